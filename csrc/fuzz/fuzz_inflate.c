/* fuzz_inflate.c -- libFuzzer harness for csrc/inflate.c (the record area
 * of a compressed stream).  Never compiled into the extension.
 *
 * Input: byte 0 picks the input chunk size (1..256 bytes, or all at once),
 * byte 1 the output room per call (1..256 bytes, or 1 MiB); the rest is the
 * zlib stream, fed chunk by chunk as a reader does.  Checked, beyond "no
 * crash, no sanitizer report":
 *   - every call consumes at most what it was given and writes at most the
 *     room it had; a call returning 0 with both input and room left made
 *     progress (the reader's loop ends);
 *   - once the stream ended (1) or failed (< 0), every later call returns
 *     the same and consumes and writes nothing;
 *   - the bytes inflated before an end or an error are the same whatever
 *     the chunking: a second inflater fed everything at once, with room
 *     for all, writes the same bytes and ends the same way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define ALL (1u << 20)

static uint8_t a[ALL], b[ALL];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ftc_inflate_t *z, *w;
    size_t ichunk, ochunk, ipos = 0, fill = 0, used, made, wu, wm;
    int rc = 0, rw;
    if (size < 2)
        return 0;
    ichunk = data[0] == 255 ? size : (size_t)data[0] + 1;
    ochunk = data[1] == 255 ? ALL : (size_t)data[1] + 1;
    data += 2;
    size -= 2;
    z = ftc_inflate_new();
    w = ftc_inflate_new();
    if (!z || !w)
        abort();
    while (fill < ALL) {
        size_t in = size - ipos < ichunk ? size - ipos : ichunk;
        size_t room = ALL - fill < ochunk ? ALL - fill : ochunk;
        rc = ftc_inflate_run(z, data + ipos, in, a + fill, room, &used, &made);
        CHECK(used <= in && made <= room);
        ipos += used;
        fill += made;
        if (rc != 0)
            break;
        if (in && room)
            CHECK(used || made);
        if (!in && !made)
            break;                      /* input used up, all out: the stream is cut short */
    }
    if (rc != 0) {                      /* ended or failed: it stays so */
        int again = ftc_inflate_run(z, data, size, a, 1, &used, &made);
        CHECK(again == rc && used == 0 && made == 0);
        CHECK(strlen(ftc_inflate_msg(z)) < 128);
    }
    rw = ftc_inflate_run(w, data, size, b, ALL, &wu, &wm);
    if (fill < ALL && wm < ALL) {       /* neither ran out of room */
        CHECK(wm == fill && memcmp(a, b, fill) == 0);
        CHECK((rw == 1) == (rc == 1) && (rw < 0 || rw > 1) == (rc < 0 || rc > 1));
    }
    ftc_inflate_free(z);
    ftc_inflate_free(w);
    return 0;
}
