/* fuzz_ipfix.c -- libFuzzer harness for csrc/ipfix.c (NetFlow v9 and IPFIX
 * with templates).  Never compiled into the extension.
 *
 * Input layout (tests/test_ipfix.py's replay() reads it the same way):
 * byte 0 options: bits 0-2 the record type (mod 6: v1, v5, v6, v7, v1005,
 * v1006: IPv6 flows stored too),
 * bit 3 tiny caps (3 sources, 6 templates, 4 a source, 24 fields, 1 KiB
 * pending, 640 bytes a source: the pool compacts, the ring wraps), bit 4 a small output buffer (FTC_EFULL allowed).  Then steps,
 * each a control byte and a 2-byte big-endian length (mod 2048, clipped to
 * what is left) of bytes: control bit 2 set: a saved-templates blob for
 * ftc_ipx_load; else a datagram from source (control & 3) of four, its
 * IPFIX length field fixed to the datagram's length when bit 3 is set;
 * the clock advances by (control >> 4) x 37 s.
 *
 * Checked, beyond "no crash, no sanitizer report":
 *   - every call returns a defined status; decode FTC_OK (FTC_EFULL only
 *     with the small buffer, then nothing decoded and no source made);
 *   - records written fit the buffer (a guard after it stays intact) and
 *     equal info.records; into v1006, info.v6 of them are IPv6 flows and
 *     the others IPv4-mapped (ftc_recs_keep_ipv4 keeps exactly those); info.reason is an FTC_IPX_R_* and a refused
 *     datagram writes nothing;
 *   - release ends in FTC_OK with no set left ready;
 *   - sources never pass the cap, their templates add up to no more than
 *     max_templates, each within max_per_source;
 *   - save -> load into a fresh state -> save gives the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define OUT_SIZE (2048 * 112)        /* 1-byte data records of a 2048-byte datagram */
#define GUARD 64
#define SAVE_MAX (1 << 22)

static uint8_t out[OUT_SIZE + GUARD];
static uint8_t save1[SAVE_MAX], save2[SAVE_MAX];
static uint8_t dgram[2048];

static const int rts[6] = {FTC_RT_V1, FTC_RT_V5, FTC_RT_V6, FTC_RT_V7, FTC_RT_V1005,
                           FTC_RT_V1006};

/* The states live in buffers allocated once per limits and slot (a fresh
   212 KB calloc per execution spent a fifth of the time in page faults);
   each use clears the whole buffer, so every execution starts from the
   same bytes. */
static void *state_new(const ftc_ipx_limits_t *lim, size_t *size, int slot)
{
    static void *cache[2][2];
    static size_t cached[2][2];
    int k = lim->max_sources > 8;
    *size = ftc_ipx_size(lim);
    CHECK(*size > 0);
    if (!cache[k][slot]) {
        cache[k][slot] = aligned_alloc(8, (*size + 7) & ~(size_t)7);
        cached[k][slot] = *size;
        CHECK(cache[k][slot]);
    }
    CHECK(cached[k][slot] == *size);
    memset(cache[k][slot], 0, *size);
    CHECK(ftc_ipx_init(cache[k][slot], *size, lim) == FTC_OK);
    return cache[k][slot];
}

static void guard_set(void)
{
    memset(out + OUT_SIZE, 0xA5, GUARD);
}

static void guard_check(void)
{
    int i;
    for (i = 0; i < GUARD; i++)
        CHECK(out[OUT_SIZE + i] == 0xA5);
}

static void check_sources(const void *st, const ftc_ipx_limits_t *lim)
{
    uint32_t n, i;
    uint64_t templates = 0;
    ftc_ipx_source_t s;
    CHECK(ftc_ipx_sources(st, &n) == FTC_OK);
    CHECK(n <= lim->max_sources);
    for (i = 0; i < n; i++) {
        CHECK(ftc_ipx_source_get(st, i, &s) == FTC_OK);
        CHECK(s.templates <= lim->max_per_source);
        CHECK(s.version == 9 || s.version == 10);
        CHECK(s.sampling >= 1);
        templates += s.templates;
    }
    CHECK(templates <= lim->max_templates);
    CHECK(ftc_ipx_source_get(st, n, &s) == FTC_EINVAL);
}

static void release_all(void *st, uint32_t now, int rt, size_t out_size)
{
    ftc_ipx_info_t info;
    size_t produced;
    int r, rounds = 0;
    do {
        guard_set();
        r = ftc_ipx_release(st, now, rt, out, out_size, &produced, &info);
        guard_check();
        CHECK(r == FTC_OK || r == FTC_EFULL);
        CHECK(produced * ftc_layout_get(rt)->rec_size <= out_size);
        CHECK(produced == info.records);
        CHECK(r == FTC_EFULL || info.ready == 0);
        CHECK(++rounds < 100000);
    } while (r == FTC_EFULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ftc_ipx_limits_t big = {64, 256, 64, 512, 1 << 16, 1 << 15, 60};
    ftc_ipx_limits_t tiny = {3, 6, 4, 24, 1024, 640, 60};
    const ftc_ipx_limits_t *lim;
    size_t ssize, s2size, len1, len2, out_size, rs;
    void *st, *st2;
    uint32_t now = 1700000000u, loaded;
    int rt;

    if (size < 1)
        return 0;
    rt = rts[(data[0] & 7) % 6];
    lim = (data[0] & 8) ? &tiny : &big;
    rs = ftc_layout_get(rt)->rec_size;
    out_size = (data[0] & 16) ? 8 * rs : OUT_SIZE;
    st = state_new(lim, &ssize, 0);
    data++;
    size--;
    while (size >= 3) {
        const uint8_t ctl = data[0];
        size_t n = (size_t)((data[1] << 8 | data[2]) % 2048);
        const uint8_t *p = data + 3;
        if (n > size - 3)
            n = size - 3;
        data += 3 + n;
        size -= 3 + n;
        now += (uint32_t)(ctl >> 4) * 37u;
        if (ctl & 4) {
            int r = ftc_ipx_load(st, p, n, &loaded);
            CHECK(r == FTC_OK || r == FTC_EBADMAGIC);
            continue;
        }
        {
            static const uint32_t ips[4] = {0x0A000001u, 0x0A000001u, 0x0A000002u, 0x0A000003u};
            static const uint16_t ports[4] = {2055, 2056, 2055, 2055};
            ftc_ipx_info_t info;
            uint32_t before, after;
            size_t produced;
            int r;
            memcpy(dgram, p, n);
            if ((ctl & 8) && n >= 4 && dgram[0] == 0 && dgram[1] == 10) {
                dgram[2] = (uint8_t)(n >> 8);
                dgram[3] = (uint8_t)n;
            }
            CHECK(ftc_ipx_sources(st, &before) == FTC_OK);
            guard_set();
            r = ftc_ipx_decode(st, n ? dgram : NULL, n, ips[ctl & 3], ports[ctl & 3], 1, now,
                               rt, out, out_size, &produced, &info);
            guard_check();
            CHECK(ftc_ipx_sources(st, &after) == FTC_OK);
            CHECK(r == FTC_OK || (r == FTC_EFULL && out_size < OUT_SIZE));
            CHECK(produced * rs <= out_size && produced == info.records);
            if (rt == FTC_RT_V1006 && r == FTC_OK) {
                size_t kept;
                CHECK(ftc_recs_keep_ipv4(rt, out, produced, &kept) == FTC_OK);
                CHECK(info.v6 <= produced);          /* every IPv6 flow is stored */
                CHECK(kept + info.v6 >= produced);   /* an IPv6 flow may carry mapped addresses */
            }
            CHECK(info.reason >= 0 && info.reason < FTC_IPX_NREASONS);
            if (r == FTC_EFULL || info.reason)
                CHECK(produced == 0 && info.templates == 0 && after == before);
            if (r == FTC_OK && info.reason == 0)
                CHECK(info.source < after);
            if (r == FTC_OK && info.ready)
                release_all(st, now, rt, out_size);
        }
    }
    check_sources(st, lim);
    release_all(st, now + 1000, rt, out_size);

    /* save -> load -> save */
    CHECK(ftc_ipx_save(st, NULL, 0, &len1) == FTC_EFULL && len1 >= 8 && len1 <= SAVE_MAX);
    CHECK(ftc_ipx_save(st, save1, len1 - 1, &len2) == FTC_EFULL && len2 == len1);
    CHECK(ftc_ipx_save(st, save1, SAVE_MAX, &len1) == FTC_OK);
    st2 = state_new(lim, &s2size, 1);
    CHECK(ftc_ipx_load(st2, save1, len1, &loaded) == FTC_OK);
    CHECK(ftc_ipx_save(st2, save2, SAVE_MAX, &len2) == FTC_OK);
    CHECK(len1 == len2 && memcmp(save1, save2, len1) == 0);
    check_sources(st2, lim);
    return 0;
}
