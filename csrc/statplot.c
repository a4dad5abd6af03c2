/* statplot.c -- flow-stat -f 13 / -f 14: the flow duration plot data
 * (commands.md 6.3).  Per record two lines and an empty one:
 *
 *     First (L10), 3 blanks, octets (L10)      -f 13
 *     Last  (L10), 3 blanks, octets (L10)
 *
 * -f 14 prints the packets after 4 blanks.  The running bounds end the
 * report: xmin = smallest First, xmax = largest Last; ymin/ymax the
 * smallest/largest octets for -f 13.  For -f 14 the reference compares the
 * octets with its bounds but stores the packets in them (so ymin is, in
 * practice, the first record's packets and ymax the last one's): kept.
 */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

void ftc_plot_init(ftc_plot_t *st)
{
    if (!st)
        return;
    st->xmin = 0xFFFFFFFFu;
    st->xmax = 0;
    st->ymin = 0xFFFFFFFFu;
    st->ymax = 0;
}

/* v in decimal, left-justified and padded with blanks to 10, then `gap`
   blanks; returns the length */
static size_t cell(char *p, uint32_t v, size_t gap)
{
    size_t n = ftc_put_dec64(p, v);
    while (n < 10)
        p[n++] = ' ';
    memset(p + n, ' ', gap);
    return n + gap;
}

int ftc_plot_format(ftc_plot_t *st, int packets, int rt, const uint8_t *recs, size_t n,
                    size_t size, char *out, size_t cap, size_t *len, size_t *consumed)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i, pos = 0, rs, gap = packets ? 4 : 3;
    if (!st || !L || !len || !consumed || !out || (n && !recs))
        return FTC_EINVAL;
    *len = 0;
    *consumed = 0;
    if (L->off[FTC_F_DPKTS] < 0 || L->off[FTC_F_DOCTETS] < 0 || L->off[FTC_F_FIRST] < 0
        || L->off[FTC_F_LAST] < 0)
        return FTC_EFIELD;
    rs = L->rec_size;
    if (n > size / rs)
        return FTC_EINVAL;
    for (i = 0; i < n; i++) {
        const uint8_t *r = recs + i * rs;
        uint32_t first = ftc_get(L, r, FTC_F_FIRST), last = ftc_get(L, r, FTC_F_LAST);
        uint32_t octets = ftc_get(L, r, FTC_F_DOCTETS);
        uint32_t y = packets ? ftc_get(L, r, FTC_F_DPKTS) : octets;
        if (cap - pos < FTC_PLOT_REC_MAX)
            break;
        pos += cell(out + pos, first, gap);
        pos += cell(out + pos, y, 0);
        out[pos++] = '\n';
        pos += cell(out + pos, last, gap);
        pos += cell(out + pos, y, 0);
        out[pos++] = '\n';
        out[pos++] = '\n';
        if (first < st->xmin)
            st->xmin = first;
        if (last > st->xmax)
            st->xmax = last;
        if (octets < st->ymin)
            st->ymin = y;
        if (octets > st->ymax)
            st->ymax = y;
    }
    *len = pos;
    *consumed = i;
    return i < n ? FTC_EFULL : FTC_OK;
}
