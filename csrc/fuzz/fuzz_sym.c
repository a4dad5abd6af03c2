/* fuzz_sym.c -- libFuzzer harness for the symbol files (fmt.c's
 * ftc_sym_parse and ftc_sym_index) and the names they feed to
 * ftc_fmt_records.  Never compiled into the extension.
 *
 * Input layout: byte 0 the entry capacity (0..255), byte 1 the base
 * offset of the text in the blob (0..255); the rest is the symbol file.
 *
 * Checked, beyond "no crash, no sanitizer report":
 *   - ftc_sym_parse returns FTC_OK, FTC_EFORMAT (with a line number no
 *     larger than the file's line count) or FTC_EFULL (exactly cap entries);
 *   - every offset points inside the text, at a NUL-terminated name that
 *     does not start with a blank (a NUL byte in the file: an empty name);
 *   - the indexed tables give the last entry of each key, and flow-print's
 *     formats with names on (-n) print records through them (prot, port and
 *     AS tables all from this file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define MAX_TEXT 65536
#define CHECK(c) do { if (!(c)) abort(); } while (0)

static uint8_t blob[256 + MAX_TEXT + 1];
static uint32_t keys[256], offs[256];
static uint32_t prot_t[256], port_t[65536], as_t[65536];
static uint8_t recs[4 * 72];
static char text_out[8 * 1024];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cap, base, len, n = 0, bad = 0, lines = 1, i, tl, c, b;
    ftc_symtab_t sym;
    ftc_fmt_state_t st;
    int r, fmt;

    if (size < 2)
        return 0;
    cap = data[0];
    base = data[1];
    data += 2;
    size -= 2;
    len = size < MAX_TEXT ? size : MAX_TEXT;
    memset(blob, 0, base);
    memcpy(blob + base, data, len);
    blob[base + len] = 0xAA;   /* the one writable byte past the text */
    for (i = 0; i < len; i++)
        lines += data[i] == '\n';

    r = ftc_sym_parse(blob + base, len, (uint32_t)base, keys, offs, cap, &n, &bad);
    CHECK(r == FTC_OK || r == FTC_EFORMAT || r == FTC_EFULL);
    CHECK(n <= cap);
    CHECK(r != FTC_EFORMAT || (bad >= 1 && bad <= lines));
    CHECK(r != FTC_EFULL || n == cap);
    for (i = 0; i < n; i++) {
        const uint8_t *name;
        CHECK(offs[i] >= base && offs[i] < base + len);
        name = blob + offs[i];
        CHECK(name[0] != ' ' && name[0] != '\t');   /* a NUL byte: an empty name */
        CHECK(memchr(name, 0, base + len + 1 - offs[i]) != NULL);
    }

    CHECK(ftc_sym_index(keys, offs, n, prot_t, 256) == FTC_OK);
    CHECK(ftc_sym_index(keys, offs, n, port_t, 65536) == FTC_OK);
    for (i = 0; i < n; i++)
        if (keys[i] < 256) {
            size_t j, last = i;
            for (j = i + 1; j < n; j++)
                if (keys[j] == keys[i])
                    last = j;
            CHECK(prot_t[keys[i]] == offs[last]);
        }
    memcpy(as_t, port_t, sizeof as_t);

    /* names through the formats; the blob is NUL-terminated at its end */
    blob[base + len] = 0;
    memset(&sym, 0, sizeof sym);
    sym.blob = (const char *)blob;
    sym.blob_len = base + len + 1;
    sym.prot_off = prot_t;
    sym.port_off = port_t;
    sym.as_off = as_t;
    sym.tag_key = keys;
    sym.tag_off = offs;
    sym.n_tag = n;   /* unsorted keys: a lookup may miss, never stray */
    CHECK(ftc_recs_gen(FTC_RT_V1005, n ? keys[0] : 0, 4, recs) == FTC_OK);
    for (fmt = 0; fmt < FTC_FMT_COUNT; fmt++) {
        memset(&st, 0, sizeof st);
        if (ftc_fmt_check(fmt, FTC_RT_V1005) != FTC_OK)
            continue;
        r = ftc_fmt_records(recs, 4, FTC_RT_V1005, fmt, FTC_FMT_NAMES, &sym, &st,
                            text_out, sizeof text_out, &tl, &c, &b);
        CHECK(r == FTC_OK && c == 4 && tl <= sizeof text_out);
    }
    /* a blob that does not end in a NUL is refused */
    sym.blob_len = base + len;
    if (base + len > 0 && blob[base + len - 1] != 0) {
        r = ftc_fmt_records(recs, 4, FTC_RT_V1005, 1, FTC_FMT_NAMES, &sym, &st, text_out,
                            sizeof text_out, &tl, &c, &b);
        CHECK(r == FTC_EINVAL);
    }
    return 0;
}
