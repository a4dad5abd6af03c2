/* fuzz_ipxload.c -- libFuzzer harness for ftc_ipx_load (ipfix.c): a saved
 * template file is outside bytes too (flow-capture's workdir/tmp-ipfix-
 * templates may be truncated, stale or written by someone else).  Never
 * compiled into the extension.
 *
 * Input layout: byte 0 options (bit 0 tiny caps, bit 1 the input lacks the
 * magic: the harness puts "FTCIPX" 0 1 in front, bit 2 load the blob twice,
 * bits 4-7 the clock moves on that many x 37 s before the datagram), bytes
 * 1-2 the blob's length L (big-endian, clipped to what is left), the blob,
 * then one datagram decoded from 10.0.0.1:2055 (the exporter the seeds'
 * blobs name) with whatever the blob defined.
 *
 * Checked, beyond "no crash, no sanitizer report":
 *   - load returns FTC_OK (always, with the magic) or FTC_EBADMAGIC, and
 *     *loaded never counts more entries than the blob has room for;
 *   - sources stay within the caps, their templates too;
 *   - save -> load into a fresh state -> save gives the same bytes (what
 *     survived a load saves and loads back unchanged);
 *   - the datagram decodes with FTC_OK, its records fit the buffer, and
 *     waiting data sets release to FTC_OK.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define OUT_SIZE (65536 * 72)
#define SAVE_MAX (1 << 22)

static const uint8_t magic[8] = {'F', 'T', 'C', 'I', 'P', 'X', 0, 1};
static uint8_t blob[8 + 65536];
static uint8_t save1[SAVE_MAX], save2[SAVE_MAX];
static uint8_t out[OUT_SIZE];

/* The states live in buffers allocated once per limits and slot (a fresh
   calloc per execution spent a fifth of the time in page faults); each use
   clears the whole buffer, so every execution starts from the same bytes. */
static void *state_new(const ftc_ipx_limits_t *lim, int slot)
{
    static void *cache[2][2];
    static size_t cached[2][2];
    int k = lim->max_sources > 8;
    size_t size = ftc_ipx_size(lim);
    CHECK(size > 0);
    if (!cache[k][slot]) {
        cache[k][slot] = aligned_alloc(8, (size + 7) & ~(size_t)7);
        cached[k][slot] = size;
        CHECK(cache[k][slot]);
    }
    CHECK(cached[k][slot] == size);
    memset(cache[k][slot], 0, size);
    CHECK(ftc_ipx_init(cache[k][slot], size, lim) == FTC_OK);
    return cache[k][slot];
}

static void check_sources(const void *st, const ftc_ipx_limits_t *lim)
{
    uint32_t n, i;
    uint64_t templates = 0;
    ftc_ipx_source_t s;
    CHECK(ftc_ipx_sources(st, &n) == FTC_OK && n <= lim->max_sources);
    for (i = 0; i < n; i++) {
        CHECK(ftc_ipx_source_get(st, i, &s) == FTC_OK);
        CHECK(s.templates <= lim->max_per_source);
        CHECK(s.version == 9 || s.version == 10);
        CHECK(s.sampling >= 1);
        templates += s.templates;
    }
    CHECK(templates <= lim->max_templates);
}

/* save st, load it into a fresh state, save that: the same bytes */
static void round_trip(const void *st, const ftc_ipx_limits_t *lim)
{
    size_t len1, len2;
    uint32_t loaded;
    void *st2;
    CHECK(ftc_ipx_save(st, NULL, 0, &len1) == FTC_EFULL && len1 >= 8 && len1 <= SAVE_MAX);
    CHECK(ftc_ipx_save(st, save1, len1, &len2) == FTC_OK && len2 == len1);
    st2 = state_new(lim, 1);
    CHECK(ftc_ipx_load(st2, save1, len1, &loaded) == FTC_OK);
    CHECK(ftc_ipx_save(st2, save2, SAVE_MAX, &len2) == FTC_OK);
    CHECK(len1 == len2 && memcmp(save1, save2, len1) == 0);
    check_sources(st2, lim);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ftc_ipx_limits_t big = {64, 256, 64, 512, 1 << 16, 1 << 15, 60};
    static const ftc_ipx_limits_t tiny = {3, 6, 4, 24, 1024, 640, 60};
    const ftc_ipx_limits_t *lim;
    size_t len, blen, produced;
    uint32_t loaded, now = 1700000000u;
    ftc_ipx_info_t info;
    void *st;
    int opts, r, rounds = 0;

    if (size < 3)
        return 0;
    opts = data[0];
    lim = (opts & 1) ? &tiny : &big;
    len = (size_t)(data[1] << 8 | data[2]);
    data += 3;
    size -= 3;
    if (len > size)
        len = size;
    blen = 0;
    if (opts & 2) {
        memcpy(blob, magic, sizeof magic);
        blen = sizeof magic;
    }
    memcpy(blob + blen, data, len);
    blen += len;
    data += len;
    size -= len;

    st = state_new(lim, 0);
    r = ftc_ipx_load(st, blob, blen, &loaded);
    CHECK(r == FTC_OK || r == FTC_EBADMAGIC);
    CHECK(r == FTC_OK || !(opts & 2));
    /* an entry takes 16 bytes at least (its length word and key) */
    CHECK(r != FTC_OK || loaded <= (blen - 8) / 16);
    if (opts & 4) {
        r = ftc_ipx_load(st, blob, blen, &loaded);
        CHECK(r == FTC_OK || r == FTC_EBADMAGIC);
    }
    check_sources(st, lim);
    round_trip(st, lim);

    now += (uint32_t)(opts >> 4) * 37u;
    r = ftc_ipx_decode(st, size ? data : NULL, size, 0x0A000001u, 2055, 0x7F000001u, now,
                       FTC_RT_V5, out, OUT_SIZE, &produced, &info);
    CHECK(r == FTC_OK);
    CHECK(produced == info.records && produced * 64 <= OUT_SIZE);
    CHECK(info.reason >= 0 && info.reason < FTC_IPX_NREASONS);
    do {
        r = ftc_ipx_release(st, now, FTC_RT_V5, out, OUT_SIZE, &produced, &info);
        CHECK(r == FTC_OK || r == FTC_EFULL);
        CHECK(produced == info.records && (r == FTC_EFULL || info.ready == 0));
        CHECK(++rounds < 1000);
    } while (r == FTC_EFULL);
    check_sources(st, lim);
    round_trip(st, lim);
    return 0;
}
