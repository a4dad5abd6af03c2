/* fuzz_trw.c -- libFuzzer harness for flow-trw's kernel (trw.c):
 * ftc_trw_add over hostile record bytes with caps and a local set taken
 * from the input, tables grown as core/table.py does; then ftc_trw_finish,
 * ftc_trw_ports (grown, resumed) and ftc_trw_keep.  Never compiled into
 * the extension.
 *
 * Input layout: byte 0 record type (v1, v5, v6, v7, v1005, v1006: the last
 * with 128-bit tables, contact keys of 32 bytes and source keys of 16),
 * byte 1 max_contacts (1..32), byte 2 max_per_source (1..8), byte 3
 * max_replies (1..32), byte 4 local set (bit 0: 10.0.0.0/8 mapped, bit 1:
 * 2001:db8::/32 too, bit 2: the ranges past the inline few, as lookups),
 * byte 5 min_failures (0..7), then the records (a partial last one
 * ignored).  Addresses are folded to few values (so that first contacts
 * repeat and answers match; on v1006 the upper words to IPv4-mapped or
 * 2001:db8::/96, whose last words collide) and times kept any value (starts
 * before the epoch, Last before First).  The other width's tables are
 * refused (FTC_EINVAL) before anything is read.
 *
 * Checked, beyond "no crash, no sanitizer report": add returns FTC_OK or
 * FTC_EFULL (grown, resumed); no table passes 3/4 of its slots; the caps
 * hold (contacts, answers, per source); records + dropped counters add up;
 * finish flags at most as many sources as there are; keep leaves only the
 * flows of flagged sources.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const int types[6] = { FTC_RT_V1, FTC_RT_V5, FTC_RT_V6, FTC_RT_V7, FTC_RT_V1005,
                              FTC_RT_V1006 };

typedef struct {
    ftc_tab_t t;
    uint8_t *mem;
} tab_t;

static void tab_new(tab_t *x, int kind, uint32_t key_len, uint32_t cap)
{
    int64_t stride = ftc_tab_stride(kind, key_len);
    size_t size;
    CHECK(stride > 0);
    size = (size_t)stride * cap;
    x->mem = aligned_alloc(8, size);
    CHECK(x->mem);
    memset(x->mem, 0, size);
    CHECK(ftc_tab_init(&x->t, kind, key_len, cap, x->mem, size) == FTC_OK);
}

static void tab_grow(tab_t *x)
{
    tab_t y;
    tab_new(&y, (int)x->t.kind, x->t.key_len, x->t.cap * 4);
    CHECK(ftc_tab_rehash(&x->t, &y.t) == FTC_OK);
    free(x->mem);
    *x = y;
}

static int under(const tab_t *x)
{
    return x->t.used <= x->t.cap - x->t.cap / 4;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ftc_trw_t st;
    ftc_zone_range_t local[12] = {
        { {0, 0xFFFF0A000000u}, {0, 0xFFFF0AFFFFFFu}, 0 },                 /* 10/8, mapped */
        { {0x20010DB800000000u, 0}, {0x20010DB8FFFFFFFFu, UINT64_MAX}, 0 },  /* 2001:db8::/32 */
    };
    tab_t c, r, s, p, w;
    int six;
    uint32_t ak;
    const ftc_layout_t *L;
    uint8_t *recs;
    uint32_t *idx, *scratch, pdone = 0, i;
    size_t n, k, done = 0, kept = 0;
    int64_t flagged;
    int rt, ret;
    if (size < 6)
        return 0;
    rt = types[data[0] % 6];
    six = rt == FTC_RT_V1006;
    L = ftc_layout_get(rt);
    CHECK(L);
    memset(&st, 0, sizeof st);
    st.max_contacts = 1u + data[1] % 32u;
    st.max_per_source = 1u + data[2] % 8u;
    st.max_replies = 1u + data[3] % 32u;
    if (data[4] & 3) {
        st.local = (data[4] & 3) == 2 ? &local[1] : local;
        st.n_local = (data[4] & 3) == 3 ? 2 : 1;
    }
    if (st.local && (data[4] & 4)) {        /* many ranges: ftc_zone_lookup */
        for (ak = 2; ak < 12; ak++) {       /* sorted, disjoint, after 2001:db8::/32 */
            local[ak].lo[0] = local[ak].hi[0] = 0x3000000000000000u + ak;
            local[ak].lo[1] = 0;
            local[ak].hi[1] = UINT64_MAX;
        }
        if (st.local == local)
            st.n_local = 12;
        else if (st.local == &local[1])
            st.n_local = 11;
    }
    st.f_success = 0.25;
    st.f_failure = 4.0;
    st.eta1 = 99.0;
    st.eta0 = 0.0101;
    tab_new(&c, FTC_TAB_TRWC, six ? 32 : 8, 4);
    tab_new(&r, FTC_TAB_TRWR, 8, 4);
    tab_new(&s, FTC_TAB_TRWS, six ? 16 : 4, 4);
    tab_new(&w, FTC_TAB_TRWC, six ? 8 : 32, 4);      /* the other width: refused */
    {
        tab_t ws;
        tab_new(&ws, FTC_TAB_TRWS, six ? 4 : 16, 4);
        done = 0;
        CHECK(ftc_trw_add(&st, &w.t, &r.t, &ws.t, rt, data, 0, 0, &done) == FTC_EINVAL);
        CHECK(ftc_trw_keep(&ws.t, rt, NULL, 0, 0, &kept) == FTC_EINVAL);
        free(ws.mem);
    }
    n = (size - 6) / L->rec_size;
    recs = malloc(n * L->rec_size + 1);
    CHECK(recs);
    memcpy(recs, data + 6, n * L->rec_size);
    for (k = 0; k < n; k++) {              /* few distinct addresses */
        uint8_t *q = recs + k * L->rec_size;
        if (L->off[FTC_F_SRCADDR] >= 0)
            q[L->off[FTC_F_SRCADDR]] &= 3;
        if (L->off[FTC_F_DSTADDR] >= 0)
            q[L->off[FTC_F_DSTADDR]] &= 3;
        if (six) {                         /* upper words: mapped or 2001:db8::/96 */
            for (ak = 0; ak < 2; ak++) {
                int f = ak ? FTC_F_DSTADDR6_0 : FTC_F_SRCADDR6_0;
                const uint8_t *a = q + L->off[f];
                uint32_t v[3] = {0, 0, 0xFFFFu};
                if (a[0] & 1) {
                    v[0] = 0x20010DB8u;
                    v[2] = 0;
                }
                memcpy(q + L->off[f], &v[0], 4);
                memcpy(q + L->off[f + 1], &v[1], 4);
                memcpy(q + L->off[f + 2], &v[2], 4);
            }
        }
    }
    for (;;) {
        ret = ftc_trw_add(&st, &c.t, &r.t, &s.t, rt, recs, n, n * L->rec_size, &done);
        CHECK(ret == FTC_OK || ret == FTC_EFULL);
        CHECK(under(&c) && under(&r) && under(&s));
        CHECK(c.t.used <= st.max_contacts && r.t.used <= st.max_replies);
        if (ret == FTC_OK)
            break;
        CHECK(c.t.full || r.t.full || s.t.full);
        if (c.t.full) tab_grow(&c);
        if (r.t.full) tab_grow(&r);
        if (s.t.full) tab_grow(&s);
    }
    CHECK(done == n && st.records == n && st.attempts <= n);
    CHECK(s.t.used <= c.t.used);
    idx = malloc(sizeof *idx * (c.t.used + 1));
    scratch = malloc(sizeof *scratch * (c.t.used + 1));
    CHECK(idx && scratch);
    flagged = ftc_trw_finish(&st, &c.t, &r.t, &s.t, data[5] % 8u, idx, scratch, c.t.used + 1);
    CHECK(flagged >= 0 && (uint64_t)flagged <= s.t.used);
    for (i = 0; i < s.t.cap; i++) {
        const ftc_trw_src_t *x = (const ftc_trw_src_t *)(const void *)(s.t.slot
                                                                       + (size_t)i * s.t.stride);
        uint32_t tag;
        memcpy(&tag, s.t.slot + (size_t)i * s.t.stride + s.t.val_len, 4);
        if (!tag)
            continue;
        CHECK(x->contacts <= st.max_per_source && x->failures + x->successes == x->contacts);
        CHECK(!(x->flags & FTC_TRW_FLAGGED) || (x->to_flag >= 1 && x->fail_to_flag >= 1));
    }
    tab_new(&p, FTC_TAB_PR, six ? 19 : 7, 4);
    for (;;) {
        ret = ftc_trw_ports(&c.t, &s.t, &p.t, &pdone);
        if (ret != FTC_EFULL)
            break;
        tab_grow(&p);
    }
    CHECK(ret == FTC_OK && under(&p));
    CHECK(ftc_trw_keep(&s.t, rt, recs, n, n * L->rec_size, &kept) == FTC_OK && kept <= n);
    CHECK(flagged || kept == 0);
    free(p.mem);
    free(idx);
    free(scratch);
    free(recs);
    free(w.mem);
    free(c.mem);
    free(r.mem);
    free(s.mem);
    return 0;
}
