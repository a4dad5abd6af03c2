/* fuzz_report.c -- libFuzzer harness for the report engine: csrc/stat.c
 * (totals, histograms, the time-series split) and csrc/agg.c's report side
 * (virtual keys, v1006's 128-bit address and prefix keys, masks, each-field counting, rates, dFlows, scale, totals
 * in the pass, first-appearance order, ftc_agg_order, ftc_agg_sum,
 * ftc_agg_format, ftc_lin_add) on records made of arbitrary bytes.  Never
 * compiled into the extension.
 *
 * Input layout: byte 0 picks the record type (modulo FTC_RT_COUNT), byte 1
 * the key (one of a list of key specs), byte 2 the flags, byte 3 the order,
 * bytes 4-7 the scale (little endian, small); the rest are records (whole
 * records only, at most MAX_RECS).
 *
 * Checked, beyond "no crash, no sanitizer report": the statuses are the
 * documented ones; totals.records counts every record, counted + ignored;
 * the order lists every key once; the format writes whole lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define MAX_RECS 128
#define CAP 1024                       /* slots: room for every key here */
#define CHECK(c) do { if (!(c)) abort(); } while (0)

static uint64_t mem[CAP * 200 / 8];      /* the widest slot: rates, two addresses */
static uint8_t recs[MAX_RECS * 128];
static uint8_t sel[MAX_RECS], out_sel[MAX_RECS];
static uint32_t idx[CAP], scratch[5 * CAP + 2];
static char text[1 << 16];

static const int32_t keys[][4] = {
    {FTC_F_SRCADDR, -1}, {FTC_F_SRCADDR, FTC_F_DSTADDR, -1},
    {FTC_V_SRCPREFIX, FTC_F_SRC_MASK, -1}, {FTC_V_PKTSIZE, -1}, {FTC_V_BPS, -1},
    {FTC_V_PPS, -1}, {FTC_V_DURATION, -1}, {FTC_V_DSTTYPE, -1},
    {FTC_F_SRCPORT, FTC_F_DSTPORT, -1}, {FTC_F_SRC_TAG, FTC_F_DST_TAG, -1},
    {FTC_F_PROT, -1}, {FTC_F_INPUT, FTC_F_OUTPUT, FTC_F_SRC_AS, -1},
    /* v1006's 128-bit addresses and prefixes (FTC_EFIELD on the others) */
    {FTC_V_SRCADDR6, -1}, {FTC_V_SRCADDR6, FTC_V_DSTADDR6, -1},
    {FTC_V_DSTPREFIX6, FTC_F_DST_MASK, -1}, {FTC_V_NEXTHOP6, FTC_F_DSTPORT, -1},
};
#define NKEYS (sizeof keys / sizeof keys[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ftc_layout_t *L;
    ftc_key_spec_t spec;
    ftc_tab_t t;
    ftc_stat_tot_t tot;
    ftc_agg_sum_t sum;
    ftc_col_t cols[4];
    int32_t fields[4];
    size_t n, nf = 0, done = 0, len = 0, rows = 0, j;
    unsigned flags;
    uint32_t scale;
    int rt, st, kind;
    int64_t m, cut, m6;

    if (size < 8)
        return 0;
    rt = data[0] % FTC_RT_COUNT;
    L = ftc_layout_get(rt);
    if (!L)
        return 0;
    while (keys[data[1] % NKEYS][nf] >= 0)
        fields[nf] = keys[data[1] % NKEYS][nf], nf++;
    flags = data[2] & (FTC_AGG_RATES | FTC_AGG_DFLOWS | FTC_AGG_EACH | FTC_AGG_DURATION);
    scale = (uint32_t)data[4] % 4u;
    n = (size - 8) / L->rec_size;
    if (n > MAX_RECS)
        n = MAX_RECS;
    memcpy(recs, data + 8, n * L->rec_size);
    for (j = 0; j < n; j++)
        sel[j] = (uint8_t)(data[8 + j * L->rec_size] & 1u) | (data[3] & 0x80 ? 1 : 0);

    /* totals on their own */
    ftc_stat_tot_init(&tot);
    m = ftc_stat_tot_add(&tot, FTC_STAT_HISTS | FTC_STAT_RATES | FTC_STAT_DFLOWS, scale, rt,
                         recs, n, sizeof recs, sel, out_sel);
    CHECK(m >= 0 || m == FTC_EFIELD);
    if (m >= 0)
        CHECK(tot.records - tot.ignores == (uint64_t)m);
    cut = ftc_stat_split(rt, recs, n, sizeof recs, 0, (uint32_t)data[5] << 24);
    CHECK((cut >= 0 && (size_t)cut <= n) || cut == FTC_EFIELD);

    /* a key, a table, one pass with the totals */
    if (ftc_key_spec(&spec, fields, nf) != FTC_OK)
        return 0;
    if (data[3] & 0x40) {
        spec.has_mask = 1;
        for (j = 0; j < nf; j++)
            spec.mask[j] = 0xFF00FF00u >> j;
    }
    if ((flags & FTC_AGG_EACH) && nf > 1 && spec.width[0] != spec.width[1])
        flags &= ~(unsigned)FTC_AGG_EACH;
    kind = (flags & FTC_AGG_RATES) ? FTC_TAB_AGGR
         : (flags & FTC_AGG_DURATION) ? FTC_TAB_AGGT : FTC_TAB_AGG;
    memset(mem, 0, sizeof mem);
    CHECK(ftc_tab_init(&t, kind, (flags & FTC_AGG_EACH) ? spec.width[0] : spec.key_len, CAP,
                       (uint8_t *)mem, sizeof mem) == FTC_OK);
    ftc_stat_tot_init(&tot);
    st = ftc_agg_add(&t, &spec, NULL, NULL, flags, scale, rt, recs, n, sizeof recs, sel, &tot,
                     FTC_STAT_DFLOWS, &done);
    CHECK(st == FTC_OK || st == FTC_EFIELD);
    if (st != FTC_OK)
        return 0;
    CHECK(done == n && t.used <= ((flags & FTC_AGG_EACH) ? nf : 1u) * n);

    /* an order, sums, the rows as text */
    m = ftc_agg_order(&t, &spec, data[3] % 17, (data[3] & 0x20) && !(flags & FTC_AGG_EACH)
                      ? 0 : -1, 1, (data[3] & 0x10) ? FTC_AGG_BY_KEY : FTC_AGG_BY_SEQ,
                      data[3] & 1, NULL, idx, scratch, CAP);
    CHECK(m == (int64_t)t.used || m == FTC_EINVAL);
    if (m < 0)
        m = ftc_agg_order(&t, &spec, FTC_AGG_BY_SEQ, -1, 1, FTC_AGG_BY_SEQ, 0, NULL, idx,
                          NULL, CAP);
    CHECK(m == (int64_t)t.used);
    CHECK(ftc_agg_sum(&t, idx, (size_t)m, &sum) == FTC_OK);
    m6 = ftc_agg_key_ipv6(&t, &spec, 0);
    CHECK(spec.width[0] == 16 ? m6 == 0 || m6 == 1 : m6 == FTC_EINVAL);
    memset(cols, 0, sizeof cols);
    cols[0].src = FTC_COL_KEY;
    cols[0].field = (flags & FTC_AGG_EACH) ? -1 : 0;
    cols[0].kind = FTC_CK_IP;
    if (spec.n > 1 && spec.width[0] == 16 && spec.width[1] == 1 && !(flags & FTC_AGG_EACH)) {
        cols[0].kind = FTC_CK_PREFIX;
        cols[0].len_field = 1;
    }
    cols[0].width = 15;
    cols[0].sep_len = 1;
    cols[0].sep[0] = ',';
    cols[1].src = FTC_AGG_BY_OCTETS;
    cols[1].kind = FTC_CK_PCT;
    cols[1].total = (double)sum.octets;
    cols[1].sep_len = 1;
    cols[1].sep[0] = ',';
    cols[2].src = FTC_COL_INDEX;
    cols[2].kind = FTC_CK_DEC;
    cols[3].src = kind == FTC_TAB_AGGR ? FTC_AGG_BY_PPS_AVG : FTC_AGG_BY_FLOWS;
    cols[3].kind = FTC_CK_F;
    while (rows < (size_t)m) {
        st = ftc_agg_format(&t, &spec, cols, 4, idx + rows, (size_t)m - rows, rows, text,
                            sizeof text, &len, &done);
        CHECK(st == FTC_OK || st == FTC_EFULL);
        CHECK(len < sizeof text && (done == 0 || text[len - 1] == '\n'));
        CHECK(done > 0 || (size_t)m == rows);
        rows += done;
    }

    /* linear interpolation on a fresh rates table */
    memset(mem, 0, sizeof mem);
    CHECK(ftc_tab_init(&t, FTC_TAB_AGGR, 4, CAP, (uint8_t *)mem, sizeof mem) == FTC_OK);
    done = 0;
    st = ftc_lin_add(&t, FTC_AGG_DFLOWS, scale, rt, recs, n, sizeof recs, sel, &done);
    CHECK(st == FTC_OK || st == FTC_EFULL || st == FTC_ERANGE || st == FTC_EFIELD);
    return 0;
}
