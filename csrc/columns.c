/* columns.c -- records <-> columns (Arrow, Parquet): one pass per batch
 * scatters the fields of host-order records into column arrays, or
 * gathers column arrays back into records. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

#define TILE 512

/* width in bytes of column field f (a record field, or a virtual column),
   0 when rt has no such field */
/* the four words of a v1006 address column, most significant first */
static int addr6_words(int32_t f, int w[4])
{
    int first = f == FTC_COL_SRCADDR6 ? FTC_F_SRCADDR6_0 :
                f == FTC_COL_DSTADDR6 ? FTC_F_DSTADDR6_0 :
                f == FTC_COL_NEXTHOP6 ? FTC_F_NEXTHOP6_0 : -1;
    if (first < 0)
        return 0;
    w[0] = first;
    w[1] = first + 1;
    w[2] = first + 2;
    w[3] = f == FTC_COL_SRCADDR6 ? FTC_F_SRCADDR :
           f == FTC_COL_DSTADDR6 ? FTC_F_DSTADDR : FTC_F_NEXTHOP;
    return 1;
}

static int col_width(const ftc_layout_t *L, int32_t f)
{
    int w[4];
    if (f == FTC_COL_START || f == FTC_COL_END)
        return 8;
    if (addr6_words(f, w))
        return L->off[w[0]] < 0 || L->off[w[1]] < 0 || L->off[w[2]] < 0 || L->off[w[3]] < 0
               ? 0 : 16;
    if (f < 0 || f >= FTC_F_COUNT || L->off[f] < 0)
        return 0;
    return ftc_field_width(f);
}

int ftc_recs_columns(int rt, const uint8_t *recs, size_t n, const int32_t *field,
                     const uint64_t *off, size_t ncols, uint8_t *out, size_t out_size)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t k, i, t, rs;
    if (!L || (n && !recs) || (ncols && (!field || !off)))
        return FTC_EINVAL;
    rs = L->rec_size;
    if (n > SIZE_MAX / rs || n > SIZE_MAX / 8)
        return FTC_EINVAL;
    for (k = 0; k < ncols; k++) {
        int w = col_width(L, field[k]);
        if (!w || off[k] > out_size || n * (size_t)w > out_size - off[k] || (n && !out))
            return FTC_EINVAL;
    }
    /* tiles of TILE records stay in cache while every column takes its
       values from them (column by column over a whole batch would read the
       batch from memory once per column) */
    for (t = 0; t < n; t += TILE) {
        size_t m = n - t < TILE ? n - t : TILE;
        const uint8_t *r0 = recs + t * rs;
        for (k = 0; k < ncols; k++) {
            int32_t f = field[k];
            int aw[4];
            if (addr6_words(f, aw)) {
                uint8_t *o = out + off[k] + t * 16;
                for (i = 0; i < m; i++) {
                    const uint8_t *r = r0 + i * rs;
                    int j;
                    for (j = 0; j < 4; j++)
                        ftc_stbe32(o + i * 16 + (size_t)j * 4, ftc_ld32(r + L->off[aw[j]]));
                }
                continue;
            }
            if (f == FTC_COL_START || f == FTC_COL_END) {
                int tf = f == FTC_COL_START ? FTC_F_FIRST : FTC_F_LAST;
                uint8_t *o = out + off[k] + t * 8;
                for (i = 0; i < m; i++) {
                    int64_t ms = (int64_t)ftc_flow_ms(L, r0 + i * rs, tf);
                    memcpy(o + i * 8, &ms, 8);
                }
                continue;
            }
            {
                const uint8_t *p = r0 + L->off[f];
                int w = ftc_field_width(f);
                uint8_t *o = out + off[k] + t * (size_t)w;
                switch (w) {
                case 4:
                    for (i = 0; i < m; i++)
                        ftc_st32(o + i * 4, ftc_ld32(p + i * rs));
                    break;
                case 2:
                    for (i = 0; i < m; i++)
                        ftc_st16(o + i * 2, ftc_ld16(p + i * rs));
                    break;
                default:
                    for (i = 0; i < m; i++)
                        o[i] = p[i * rs];
                    break;
                }
            }
        }
    }
    return FTC_OK;
}

int ftc_recs_from_columns(int rt, const uint8_t *const *col, const size_t *col_size,
                          const int32_t *field, size_t ncols, size_t n, uint8_t *out,
                          size_t out_size)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t k, i, rs;
    if (!L || (ncols && (!col || !col_size || !field)) || (n && !out))
        return FTC_EINVAL;
    rs = L->rec_size;
    if (n > SIZE_MAX / rs || n * rs > out_size)
        return FTC_EINVAL;
    for (k = 0; k < ncols; k++) {
        int32_t f = field[k];
        if (f < 0 || f >= FTC_F_COUNT || L->off[f] < 0 || (n && !col[k])
            || col_size[k] / (size_t)ftc_field_width(f) < n)
            return FTC_EINVAL;
    }
    if (n)
        memset(out, 0, n * rs);
    for (k = 0; k < ncols; k++) {
        int32_t f = field[k];
        const uint8_t *c = col[k];
        uint8_t *p = out + L->off[f];
        switch (ftc_field_width(f)) {
        case 4:
            for (i = 0; i < n; i++)
                ftc_st32(p + i * rs, ftc_ld32(c + i * 4));
            break;
        case 2:
            for (i = 0; i < n; i++)
                ftc_st16(p + i * rs, ftc_ld16(c + i * 2));
            break;
        default:
            for (i = 0; i < n; i++)
                p[i * rs] = c[i];
            break;
        }
    }
    return FTC_OK;
}
