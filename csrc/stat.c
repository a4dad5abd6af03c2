/* stat.c -- the report-wide counters of flow-stat and flow-report: totals,
 * time bounds, rates and the flow-stat -f 0 / summary-detail histograms
 * (commands.md 6.3, 11.3, 11.8). */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

/* upper bounds of the buckets (a value lands in the first bucket whose
   bound it does not exceed); 0 ends a list whose last bucket takes the
   rest ("other"); the packet-size list has no such bucket */
static const uint32_t psize_b[] = {
    32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 480, 512, 544, 576,
    1024, 1536, 2048, 2560, 3072, 3584, 4096, 4608};
static const uint32_t fpsize_b[] = {
    1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 60, 100, 200, 300, 400, 500, 600,
    700, 800, 900, 0};
static const uint32_t fosize_b[] = {
    32, 64, 128, 256, 512, 1280, 2048, 2816, 3584, 4352, 5120, 5888, 6656, 7424, 8192, 8960,
    9728, 10496, 11264, 12032, 12800, 13568, 14336, 15104, 15872, 0};
static const uint32_t ftime_b[] = {
    10, 50, 100, 200, 500, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 12000,
    14000, 16000, 18000, 20000, 22000, 24000, 26000, 28000, 30000, 0};

_Static_assert(sizeof psize_b / sizeof psize_b[0] == FTC_STAT_HIST, "26 buckets");
_Static_assert(sizeof fosize_b / sizeof fosize_b[0] == FTC_STAT_HIST, "26 buckets");

/* bucket of v, or -1 when past the last bound of a list without "other" */
static int bucket(const uint32_t *b, uint64_t v)
{
    int i;
    for (i = 0; i < FTC_STAT_HIST; i++) {
        if (b[i] == 0 || v <= b[i])
            return i;
    }
    return -1;
}

int64_t ftc_stat_split(int rt, const uint8_t *recs, size_t n, size_t size, size_t start,
                       uint32_t limit)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i;
    int o;
    if (!L || start > n || (n && !recs) || n > size / L->rec_size)
        return FTC_EINVAL;
    if ((o = L->off[FTC_F_UNIX_SECS]) < 0)
        return FTC_EFIELD;
    for (i = start; i < n; i++)
        if (ftc_ld32(recs + i * L->rec_size + (size_t)o) > limit)
            break;
    return (int64_t)i;
}

void ftc_stat_tot_init(ftc_stat_tot_t *tot)
{
    if (!tot)
        return;
    memset(tot, 0, sizeof *tot);
    tot->min_secs = 0xFFFFFFFFu;
    tot->min_first = 0xFFFFFFFFu;
}

int64_t ftc_stat_tot_add(ftc_stat_tot_t *tot, unsigned flags, uint32_t scale, int rt,
                         const uint8_t *recs, size_t n, size_t size, const uint8_t *sel,
                         uint8_t *out)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    ftc_tot_offs_t o;
    size_t i, rs;
    int64_t counted = 0;
    if (!tot || !L || (n && (!recs || !out)) || (flags & ~(unsigned)(FTC_STAT_HISTS
                                                                  | FTC_STAT_DFLOWS
                                                                  | FTC_STAT_RATES)))
        return FTC_EINVAL;
    rs = L->rec_size;
    if (n > size / rs)
        return FTC_EINVAL;
    ftc_tot_offsets(L, flags, &o);
    if (o.pk < 0 || o.oc < 0)
        return FTC_EFIELD;
    for (i = 0; i < n; i++) {
        const uint8_t *r = recs + i * rs;
        if ((sel && !sel[i]) || !ftc_tot_add(tot, flags, scale, &o, r)) {
            out[i] = 0;
            continue;
        }
        out[i] = 1;
        counted++;
        if (flags & FTC_STAT_HISTS) {
            uint64_t pk = ftc_ld32(r + o.pk), oc = ftc_ld32(r + o.oc);
            uint32_t d = (o.l >= 0 ? ftc_ld32(r + o.l) : 0) - (o.f >= 0 ? ftc_ld32(r + o.f) : 0);
            int b;
            if (scale) {
                pk *= scale;
                oc *= scale;
            }
            b = bucket(psize_b, oc / pk);
            if (b >= 0)
                tot->hist_psize[b]++;
            tot->hist_fpsize[bucket(fpsize_b, pk)]++;
            tot->hist_fosize[bucket(fosize_b, oc)]++;
            tot->hist_ftime[bucket(ftime_b, d)]++;
        }
    }
    return counted;
}
