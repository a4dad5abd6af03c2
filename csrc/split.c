/* split.c -- flow-split: where a series of output files is cut
 * (commands.md 8.8, 13), and the grouping of a batch's records by tag
 * series for -g / -G, so that Python writes whole slices. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

int64_t ftc_split_cut(ftc_split_t *s, int rt, const uint8_t *recs, size_t n, size_t size,
                      size_t start, uint32_t max_flows, uint32_t max_time)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i, off, rs;
    if (!L || !s || s->newfile || start > n || (n && !recs) || n > size / L->rec_size)
        return FTC_EINVAL;
    if (L->off[FTC_F_UNIX_SECS] < 0)
        return FTC_EFIELD;
    off = (size_t)L->off[FTC_F_UNIX_SECS];
    rs = L->rec_size;
    for (i = start; i < n; i++) {
        uint32_t secs = ftc_ld32(recs + i * rs + off);
        if (s->flows == 0 && secs > s->cap_start)
            s->cap_start = secs;
        s->flows++;
        if (max_flows && s->flows >= max_flows)
            s->newfile = 1;
        if (max_time && secs > s->cap_start && secs - s->cap_start > max_time) {
            s->cap_start = secs;
            s->newfile = 1;
        }
        s->cap_end = secs;
        if (s->newfile)
            return (int64_t)(i + 1);
    }
    return (int64_t)n;
}

#define NO_GROUP 0xFFFFFFFFu

int64_t ftc_split_group(int rt, int field, const ftc_range_t *index, size_t n_index,
                        uint32_t n_series, const uint8_t *recs, size_t n, size_t size,
                        uint8_t *out, size_t out_size, ftc_split_group_t *groups,
                        uint32_t *slot, uint32_t *scratch, size_t *n_unknown)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i, off, rs, ng = 0, unknown = 0, g;
    uint32_t pos;
    int r;
    if (!L || !n_unknown || (field != FTC_F_SRC_TAG && field != FTC_F_DST_TAG))
        return FTC_EINVAL;
    *n_unknown = 0;
    if (L->off[field] < 0)
        return FTC_EFIELD;
    rs = L->rec_size;
    if (n && (!recs || !out || !groups || !scratch || n > size / rs || n > out_size / rs
              || n > 0xFFFFFFFFu))
        return FTC_EINVAL;
    if (n_series && !slot)
        return FTC_EINVAL;
    if ((r = ftc_ranges_check(index, n_index, n_series)) != FTC_OK)
        return r;
    off = (size_t)L->off[field];
    /* pass 1: the series of each record, groups in order of appearance */
    for (i = 0; i < n; i++) {
        uint32_t tag = ftc_ld32(recs + i * rs + off), s, gi;
        long hit = ftc_range_find(index, n_index, tag);
        if (hit < 0) {
            scratch[unknown++] = tag;
            continue;
        }
        if (unknown)
            continue;
        s = index[hit].value;
        gi = slot[s];
        if (gi >= ng || groups[gi].series != s) {
            gi = (uint32_t)ng++;
            groups[gi].series = s;
            groups[gi].count = 0;
            groups[gi].pad = 0;
            slot[s] = gi;
        }
        groups[gi].count++;
        scratch[i] = gi;
    }
    if (unknown) {
        *n_unknown = unknown;
        return FTC_EAGAIN;
    }
    /* pass 2: each group's place in out, then the records */
    for (g = 0, pos = 0; g < ng; g++) {
        groups[g].start = pos;
        groups[g].pad = pos;            /* the fill point of the copy below */
        pos += groups[g].count;
    }
    for (i = 0; i < n; i++) {
        ftc_split_group_t *gr = &groups[scratch[i]];
        memcpy(out + (size_t)gr->pad * rs, recs + i * rs, rs);
        gr->pad++;
    }
    for (g = 0; g < ng; g++)
        groups[g].pad = 0;
    return (int64_t)ng;
}
