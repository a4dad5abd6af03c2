/* tagmask.c -- the programs of flow-tag (tag.cfg), flow-mask (mask.cfg) and
 * flow-xlate (xlate.cfg), evaluated over whole batches, and the record
 * version conversion they share (the reference's ftrec_xlate).
 *
 * The configs are compiled in Python (pyflowtools/filters/tagcfg.py,
 * maskcfg.py, xlatecfg.py) into flat caller-owned arrays; every entry point
 * checks them (bounds, sorted disjoint ranges, fields of the record type)
 * before touching a record.  Address and number lookups are sorted
 * disjoint ranges searched by bisection: a prefix table is flattened by
 * the compiler so that each range carries its longest matching prefix. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

/* ------------------------------------------------------------------ */
/* ranges                                                              */

int ftc_ranges_check(const ftc_range_t *r, size_t n, uint32_t value_limit)
{
    size_t i;
    if (n && !r)
        return FTC_EINVAL;
    for (i = 0; i < n; i++) {
        if (r[i].lo > r[i].hi || r[i].value >= value_limit)
            return FTC_EPROGRAM;
        if (i && r[i].lo <= r[i - 1].hi)
            return FTC_EPROGRAM;
    }
    return FTC_OK;
}

/* does record type L have field f? */
static int has(const ftc_layout_t *L, int f)
{
    return f >= 0 && f < FTC_F_COUNT && L->off[f] >= 0;
}

/* v1006: is the 128-bit address whose last word is field f (srcaddr,
   dstaddr, nexthop) IPv4-mapped?  Fields of no such address, and the
   records of the IPv4 versions: yes (their 32-bit value is the address). */
static int v4_addr(const ftc_layout_t *L, const uint8_t *rec, int f)
{
    int hi = f == FTC_F_SRCADDR ? FTC_F_SRCADDR6_0 : f == FTC_F_DSTADDR ? FTC_F_DSTADDR6_0
             : f == FTC_F_NEXTHOP ? FTC_F_NEXTHOP6_0 : -1;
    if (hi < 0 || L->off[hi] < 0)
        return 1;
    return (ftc_ld32(rec + L->off[hi]) | ftc_ld32(rec + L->off[hi + 1])) == 0
           && ftc_ld32(rec + L->off[hi + 2]) == FTC_MAPPED_WORD;
}

/* records argument shared by the entry points */
static int recs_ok(const ftc_layout_t *L, const void *recs, size_t n)
{
    return L && (recs || !n) && n <= SIZE_MAX / L->rec_size;
}

/* ------------------------------------------------------------------ */
/* flow-tag                                                            */

int ftc_tag_check(const ftc_tag_prog_t *p)
{
    const ftc_layout_t *L = ftc_layout_get(FTC_RT_V1005);
    size_t i;
    int k, r;
    if (!p || (p->n_terms && !p->terms) || (p->n_actions && !p->actions)
        || (p->n_sets && !p->sets) || (p->maps_len && !p->maps))
        return FTC_EINVAL;
    if (p->n_ranges && !p->ranges)
        return FTC_EINVAL;
    for (i = 0; i < p->n_terms; i++) {
        const ftc_tag_term_t *t = &p->terms[i];
        if ((t->flags & ~(uint32_t)(FTC_TAGT_EXPORTER | FTC_TAGT_INPUT | FTC_TAGT_OUTPUT)) != 0)
            return FTC_EPROGRAM;
        if ((t->flags & FTC_TAGT_INPUT)
            && ((uint64_t)t->in_map + FTC_TAG_MAP_BYTES > p->maps_len))
            return FTC_EPROGRAM;
        if ((t->flags & FTC_TAGT_OUTPUT)
            && ((uint64_t)t->out_map + FTC_TAG_MAP_BYTES > p->maps_len))
            return FTC_EPROGRAM;
        if ((uint64_t)t->first + t->count > p->n_actions)
            return FTC_EPROGRAM;
    }
    for (i = 0; i < p->n_actions; i++) {
        const ftc_tag_action_t *a = &p->actions[i];
        if (a->field[0] == FTC_TAGK_ANY) {
            if (a->field[1] != FTC_TAGK_NONE)
                return FTC_EPROGRAM;
        } else {
            for (k = 0; k < 2; k++) {
                if (k == 1 && a->field[1] == FTC_TAGK_NONE)
                    break;
                if (!has(L, a->field[k]) || ftc_field_width(a->field[k]) == 0)
                    return FTC_EPROGRAM;
            }
        }
        if ((uint64_t)a->first + a->count > p->n_ranges)
            return FTC_EPROGRAM;
        r = ftc_ranges_check(p->ranges + a->first, a->count,
                             p->n_sets > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)p->n_sets);
        if (r != FTC_OK)
            return r;
    }
    return FTC_OK;
}

static inline int map_bit(const uint8_t *map, uint32_t v)
{
    return (map[v >> 3] >> (v & 7)) & 1;
}

int ftc_tag_apply(const ftc_tag_prog_t *p, int rt, uint8_t *recs, size_t n)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i, rs;
    int r = ftc_tag_check(p);
    if (r != FTC_OK)
        return r;
    if ((rt != FTC_RT_V1005 && rt != FTC_RT_V1006) || !recs_ok(L, recs, n))
        return FTC_EINVAL;
    rs = L->rec_size;
    for (i = 0; i < n; i++) {
        uint8_t *rec = recs + i * rs;
        uint32_t src = ftc_ld32(rec + L->off[FTC_F_SRC_TAG]);
        uint32_t dst = ftc_ld32(rec + L->off[FTC_F_DST_TAG]);
        uint32_t in = ftc_ld16(rec + L->off[FTC_F_INPUT]);
        uint32_t out = ftc_ld16(rec + L->off[FTC_F_OUTPUT]);
        uint32_t exa = ftc_ld32(rec + L->off[FTC_F_EXADDR]);
        uint32_t prot = rec[L->off[FTC_F_PROT]];
        size_t t, j;
        for (t = 0; t < p->n_terms; t++) {
            const ftc_tag_term_t *term = &p->terms[t];
            if ((term->flags & FTC_TAGT_INPUT) && !map_bit(p->maps + term->in_map, in))
                continue;
            if ((term->flags & FTC_TAGT_OUTPUT) && !map_bit(p->maps + term->out_map, out))
                continue;
            if ((term->flags & FTC_TAGT_EXPORTER) && term->exporter != exa)
                continue;
            for (j = 0; j < term->count; j++) {
                const ftc_tag_action_t *a = &p->actions[term->first + j];
                const ftc_range_t *rg = p->ranges + a->first;
                int k;
                if (a->prot && a->prot != prot)
                    continue;
                for (k = 0; k < 2; k++) {
                    uint32_t key;
                    long hit;
                    if (a->field[k] == FTC_TAGK_NONE)
                        break;
                    key = a->field[k] == FTC_TAGK_ANY ? 0 : ftc_get(L, rec, a->field[k]);
                    /* v1006: an IPv6 address is in no IPv4 prefix */
                    hit = a->field[k] != FTC_TAGK_ANY && !v4_addr(L, rec, a->field[k]) ? -1
                          : ftc_range_find(rg, a->count, key);
                    if (hit >= 0) {
                        const ftc_tag_set_t *s = &p->sets[rg[hit].value];
                        src = (src & s->src_and) | s->src_or;
                        dst = (dst & s->dst_and) | s->dst_or;
                    }
                    if (a->field[k] == FTC_TAGK_ANY)
                        break;
                }
            }
        }
        ftc_st32(rec + L->off[FTC_F_SRC_TAG], src);
        ftc_st32(rec + L->off[FTC_F_DST_TAG], dst);
    }
    return FTC_OK;
}

/* ------------------------------------------------------------------ */
/* flow-mask                                                           */

int ftc_mask_apply(int rt, const ftc_range_t *ranges, size_t n_ranges, uint8_t *recs,
                   size_t n)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i, rs;
    int r, do_src, do_dst, six;
    if (!L || !recs_ok(L, recs, n))
        return FTC_EINVAL;
    six = L->off[FTC_F_SRCADDR6_0] >= 0;
    r = ftc_ranges_check(ranges, n_ranges, 256);
    if (r != FTC_OK)
        return r;
    do_src = has(L, FTC_F_SRCADDR) && has(L, FTC_F_SRC_MASK);
    do_dst = has(L, FTC_F_DSTADDR) && has(L, FTC_F_DST_MASK);
    rs = L->rec_size;
    for (i = 0; i < n; i++) {
        uint8_t *rec = recs + i * rs;
        long hit;
        if (six && !ftc_rec6_is_ipv4(L, rec))
            continue;             /* v1006: an IPv6 flow keeps its masks */
        if (do_src) {
            hit = ftc_range_find(ranges, n_ranges, ftc_ld32(rec + L->off[FTC_F_SRCADDR]));
            if (hit >= 0)
                rec[L->off[FTC_F_SRC_MASK]] = (uint8_t)ranges[hit].value;
        }
        if (do_dst) {
            hit = ftc_range_find(ranges, n_ranges, ftc_ld32(rec + L->off[FTC_F_DSTADDR]));
            if (hit >= 0)
                rec[L->off[FTC_F_DST_MASK]] = (uint8_t)ranges[hit].value;
        }
    }
    return FTC_OK;
}

/* ------------------------------------------------------------------ */
/* flow-xlate                                                          */

/* the fields an action reads and writes (FTC_F_COUNT ends the list) */
static const uint8_t *action_fields(uint32_t type)
{
    static const uint8_t src_net[] = {FTC_F_SRCADDR, FTC_F_SRC_MASK, FTC_F_COUNT};
    static const uint8_t dst_net[] = {FTC_F_DSTADDR, FTC_F_DST_MASK, FTC_F_COUNT};
    static const uint8_t src[] = {FTC_F_SRCADDR, FTC_F_COUNT};
    static const uint8_t dst[] = {FTC_F_DSTADDR, FTC_F_COUNT};
    static const uint8_t addrs[] = {FTC_F_SRCADDR, FTC_F_DSTADDR, FTC_F_COUNT};
    static const uint8_t ports[] = {FTC_F_SRCPORT, FTC_F_DSTPORT, FTC_F_COUNT};
    static const uint8_t tags[] = {FTC_F_SRC_TAG, FTC_F_DST_TAG, FTC_F_COUNT};
    static const uint8_t counts[] = {FTC_F_DPKTS, FTC_F_DOCTETS, FTC_F_COUNT};
    static const uint8_t src_as[] = {FTC_F_SRC_AS, FTC_F_COUNT};
    static const uint8_t dst_as[] = {FTC_F_DST_AS, FTC_F_COUNT};
    switch (type) {
    case FTC_XL_SRC_TO_NET: return src_net;
    case FTC_XL_DST_TO_NET: return dst_net;
    case FTC_XL_SRC_TO_CLASS: return src;
    case FTC_XL_DST_TO_CLASS: return dst;
    case FTC_XL_ADDR_MASK: return addrs;
    case FTC_XL_PORT_MASK: return ports;
    case FTC_XL_TAG_MASK: return tags;
    case FTC_XL_SCALE: return counts;
    case FTC_XL_SRC_AS0: return src_as;
    case FTC_XL_DST_AS0: return dst_as;
    default: return NULL;
    }
}

int ftc_xlate_check(int rt, const ftc_xlate_term_t *terms, size_t n_terms,
                    const ftc_xlate_action_t *actions, size_t n_actions)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i;
    if (!L || (n_terms && !terms) || (n_actions && !actions))
        return FTC_EINVAL;
    for (i = 0; i < n_actions; i++) {
        const uint8_t *f = action_fields(actions[i].type);
        if (!f)
            return FTC_EPROGRAM;
        for (; *f != FTC_F_COUNT; f++)
            if (!has(L, *f))
                return FTC_EFIELD;
    }
    for (i = 0; i < n_terms; i++) {
        const ftc_xlate_term_t *t = &terms[i];
        if ((uint64_t)t->first + t->count > n_actions)
            return FTC_EPROGRAM;
        if (t->prog) {
            int r;
            if (!t->fst)
                return FTC_EINVAL;
            r = ftc_filter_check(t->prog, t->nprog, t->tables, t->tables_len, rt);
            if (r != FTC_OK)
                return r;
        }
    }
    return FTC_OK;
}

/* the reference's ipv4_len2mask(): lengths 0 and past 32 mask nothing */
static uint32_t len2mask(uint32_t len)
{
    if (len == 0 || len > 32)
        return 0xFFFFFFFFu;
    return 0xFFFFFFFFu << (32 - len);
}

static uint32_t class_mask(uint32_t a)
{
    if ((a & 0x80000000u) == 0)
        return 0xFF000000u;
    if ((a & 0xC0000000u) == 0x80000000u)
        return 0xFFFF0000u;
    return 0xFFFFFF00u;
}

/* v1006: the 128-bit address at word fields hi.. and lo masked to its
   first len bits (len 0 and past 128 mask nothing, as the IPv4 rule) */
static void net6(const ftc_layout_t *L, uint8_t *rec, int hi, int lo, uint32_t len)
{
    uint32_t w[4];
    int k;
    if (len == 0 || len > 128)
        return;
    ftc_get_addr6(L, rec, hi, lo, w);
    for (k = 0; k < 4; k++) {
        uint32_t bits = len > 32u * (unsigned)k ? len - 32u * (unsigned)k : 0;
        w[k] = bits >= 32 ? w[k] : bits ? w[k] & ~(0xFFFFFFFFu >> bits) : 0;
    }
    ftc_st32(rec + L->off[hi], w[0]);
    ftc_st32(rec + L->off[hi + 1], w[1]);
    ftc_st32(rec + L->off[hi + 2], w[2]);
    ftc_st32(rec + L->off[lo], w[3]);
}

/* one action on a v1006 IPv6 flow: the net actions mask the 128-bit
   addresses with the flow's lengths (0..128); class and address-mask
   actions, which are IPv4 notions, leave it alone; the others as for any
   record.  Returns 0 when the record was handled here. */
static int xlate_v6(const ftc_layout_t *L, const ftc_xlate_action_t *a, uint8_t *rec)
{
    switch (a->type) {
    case FTC_XL_SRC_TO_NET:
        net6(L, rec, FTC_F_SRCADDR6_0, FTC_F_SRCADDR, rec[L->off[FTC_F_SRC_MASK]]);
        return 0;
    case FTC_XL_DST_TO_NET:
        net6(L, rec, FTC_F_DSTADDR6_0, FTC_F_DSTADDR, rec[L->off[FTC_F_DST_MASK]]);
        return 0;
    case FTC_XL_SRC_TO_CLASS:
    case FTC_XL_DST_TO_CLASS:
    case FTC_XL_ADDR_MASK:
        return 0;
    default:
        return 1;
    }
}

static void xlate_one(const ftc_layout_t *L, const ftc_xlate_action_t *a, uint8_t *rec)
{
    const int16_t *o = L->off;
    uint32_t v;
    if (o[FTC_F_SRCADDR6_0] >= 0 && !ftc_rec6_is_ipv4(L, rec) && xlate_v6(L, a, rec) == 0)
        return;
    switch (a->type) {
    case FTC_XL_SRC_TO_NET:
        v = ftc_ld32(rec + o[FTC_F_SRCADDR]) & len2mask(rec[o[FTC_F_SRC_MASK]]);
        ftc_st32(rec + o[FTC_F_SRCADDR], v);
        break;
    case FTC_XL_DST_TO_NET:
        v = ftc_ld32(rec + o[FTC_F_DSTADDR]) & len2mask(rec[o[FTC_F_DST_MASK]]);
        ftc_st32(rec + o[FTC_F_DSTADDR], v);
        break;
    case FTC_XL_SRC_TO_CLASS:
        v = ftc_ld32(rec + o[FTC_F_SRCADDR]);
        ftc_st32(rec + o[FTC_F_SRCADDR], v & class_mask(v));
        break;
    case FTC_XL_DST_TO_CLASS:
        v = ftc_ld32(rec + o[FTC_F_DSTADDR]);
        ftc_st32(rec + o[FTC_F_DSTADDR], v & class_mask(v));
        break;
    case FTC_XL_ADDR_MASK:
        ftc_st32(rec + o[FTC_F_SRCADDR], ftc_ld32(rec + o[FTC_F_SRCADDR]) & a->src);
        ftc_st32(rec + o[FTC_F_DSTADDR], ftc_ld32(rec + o[FTC_F_DSTADDR]) & a->dst);
        break;
    case FTC_XL_PORT_MASK:
        ftc_st16(rec + o[FTC_F_SRCPORT], (uint16_t)(ftc_ld16(rec + o[FTC_F_SRCPORT]) & a->src));
        ftc_st16(rec + o[FTC_F_DSTPORT], (uint16_t)(ftc_ld16(rec + o[FTC_F_DSTPORT]) & a->dst));
        break;
    case FTC_XL_TAG_MASK:
        ftc_st32(rec + o[FTC_F_SRC_TAG], ftc_ld32(rec + o[FTC_F_SRC_TAG]) & a->src);
        ftc_st32(rec + o[FTC_F_DST_TAG], ftc_ld32(rec + o[FTC_F_DST_TAG]) & a->dst);
        break;
    case FTC_XL_SCALE:
        ftc_st32(rec + o[FTC_F_DOCTETS], ftc_ld32(rec + o[FTC_F_DOCTETS]) * a->src);
        ftc_st32(rec + o[FTC_F_DPKTS], ftc_ld32(rec + o[FTC_F_DPKTS]) * a->src);
        break;
    case FTC_XL_SRC_AS0:
        if (ftc_ld16(rec + o[FTC_F_SRC_AS]) == 0)
            ftc_st16(rec + o[FTC_F_SRC_AS], (uint16_t)a->src);
        break;
    case FTC_XL_DST_AS0:
        if (ftc_ld16(rec + o[FTC_F_DST_AS]) == 0)
            ftc_st16(rec + o[FTC_F_DST_AS], (uint16_t)a->src);
        break;
    default:
        break;
    }
}

int ftc_xlate_apply(int rt, const ftc_xlate_term_t *terms, size_t n_terms,
                    const ftc_xlate_action_t *actions, size_t n_actions,
                    uint8_t *recs, size_t n, uint8_t *sel, uint8_t *done)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i, t, j, rs;
    int r = ftc_xlate_check(rt, terms, n_terms, actions, n_actions);
    if (r != FTC_OK)
        return r;
    if (!recs_ok(L, recs, n) || (n && (!sel || !done)) || n > 0x7FFFFFFF)
        return FTC_EINVAL;
    if (n == 0)
        return FTC_OK;
    rs = L->rec_size;
    memset(done, 0, n);
    for (t = 0; t < n_terms; t++) {
        const ftc_xlate_term_t *term = &terms[t];
        if (term->prog) {
            r = ftc_filter_select(term->prog, term->nprog, term->tables, term->tables_len,
                                  rt, term->fst, recs, n, sel);
            if (r < 0)
                return r;
        } else {
            memset(sel, 1, n);
        }
        for (i = 0; i < n; i++) {
            uint8_t *rec = recs + i * rs;
            if (!sel[i] || done[i])
                continue;
            for (j = 0; j < term->count; j++)
                xlate_one(L, &actions[term->first + j], rec);
            if (term->stop)
                done[i] = 1;
        }
    }
    return FTC_OK;
}

/* ------------------------------------------------------------------ */
/* record version conversion (the reference's ftrec_xlate)             */

static int plain(int rt)
{
    return rt == FTC_RT_V1 || rt == FTC_RT_V5 || rt == FTC_RT_V6 || rt == FTC_RT_V7
           || rt == FTC_RT_V1005 || rt == FTC_RT_V1006;
}

int ftc_xlate_version_kind(int rt_in, int rt_out)
{
    if (!ftc_layout_get(rt_in) || !ftc_layout_get(rt_out))
        return FTC_EINVAL;
    if (rt_in == rt_out)
        return FTC_XV_COPY;
    if (!plain(rt_in) || !plain(rt_out))
        return FTC_XV_ZERO;
    /* the reference converts v1005 only into v5; v1006 is ours: v1005 <->
       v1006 keep the tags */
    if (rt_in == FTC_RT_V1005 && rt_out != FTC_RT_V5 && rt_out != FTC_RT_V1006)
        return FTC_XV_ZERO;
    return FTC_XV_FIELDS;
}

int ftc_xlate_drops_output(int from, int to)
{
    /* the reference's v1 -> v5/v6/v7 routines copy output onto itself
       (verified); v1 -> v1005 reuses v5 -> v1005 and keeps it.  pdu.c's
       decoder and encoder ask here too. */
    return from == FTC_RT_V1 && (to == FTC_RT_V5 || to == FTC_RT_V6 || to == FTC_RT_V7);
}

/* One field a conversion moves: `width` bytes from offset src of the
   source record to offset dst of the target. */
typedef struct {
    uint8_t src, dst, width;
} move_t;

/* The moves from records of layout I into records of layout O: one for
   each field both have (output left out when drop_output), sorted by
   target offset (a layout's fields never overlap); m holds FTC_F_COUNT. */
static int moves_of(const ftc_layout_t *I, const ftc_layout_t *O, int drop_output, move_t *m)
{
    int f, n = 0, k;
    for (f = 0; f < FTC_F_COUNT; f++) {
        move_t x;
        if (I->off[f] < 0 || O->off[f] < 0 || ftc_field_width(f) == 0
            || (f == FTC_F_OUTPUT && drop_output))
            continue;
        x.src = (uint8_t)I->off[f];
        x.dst = (uint8_t)O->off[f];
        x.width = (uint8_t)ftc_field_width(f);
        for (k = n; k > 0 && m[k - 1].dst > x.dst; k--)    /* insertion by target offset */
            m[k] = m[k - 1];
        m[k] = x;
        n++;
    }
    return n;
}

/* The plan of a FIELDS conversion: the target record cut into segments,
   in order, each copied from the source record or from the fill record
   (zeros, but for an IPv4 type -> v1006 the ::ffff: words of the mapped
   addresses), so that every target byte is written once; fields adjacent
   in both records share a segment (v5 -> v1005: 0-54 copied, 55 zeroed,
   56-63 copied, 64-71 zeroed). */
typedef struct {
    uint8_t dst, src, len, copy;
} seg_t;

#define MAX_SEGS (2 * FTC_F_COUNT + 1)

static int plan_segments(int rt_in, int rt_out, seg_t *seg)
{
    const ftc_layout_t *I = ftc_layout_get(rt_in), *O = ftc_layout_get(rt_out);
    move_t m[FTC_F_COUNT];
    int n = moves_of(I, O, ftc_xlate_drops_output(rt_in, rt_out), m), k, ns = 0;
    unsigned at = 0;
    for (k = 0; k < n; k++) {
        seg_t *last = ns ? &seg[ns - 1] : NULL;
        if (m[k].dst > at) {
            seg[ns].dst = (uint8_t)at;
            seg[ns].src = 0;
            seg[ns].len = (uint8_t)(m[k].dst - at);
            seg[ns].copy = 0;
            last = &seg[ns++];
        }
        if (last && last->copy && last->dst + last->len == m[k].dst
            && last->src + last->len == m[k].src) {
            last->len = (uint8_t)(last->len + m[k].width);
        } else {
            seg[ns].dst = m[k].dst;
            seg[ns].src = m[k].src;
            seg[ns].len = m[k].width;
            seg[ns].copy = 1;
            ns++;
        }
        at = (unsigned)m[k].dst + m[k].width;
    }
    if (at < O->rec_size) {
        seg[ns].dst = (uint8_t)at;
        seg[ns].src = 0;
        seg[ns].len = (uint8_t)(O->rec_size - at);
        seg[ns].copy = 0;
        ns++;
    }
    return ns;
}

/* len bytes from s to d (not overlapping) in fixed-size moves: 8-byte
   words, the last one ending at len (it may cover bytes the one before
   copied; they are the same bytes), or two 4-, 2-byte moves likewise */
static inline void copy_small(uint8_t *d, const uint8_t *s, size_t len)
{
    uint64_t w;
    uint32_t v;
    uint16_t h;
    if (len >= 8) {
        size_t k;
        for (k = 0; k + 8 < len; k += 8) {
            memcpy(&w, s + k, 8);
            memcpy(d + k, &w, 8);
        }
        memcpy(&w, s + len - 8, 8);
        memcpy(d + len - 8, &w, 8);
    } else if (len >= 4) {
        memcpy(&v, s, 4);
        memcpy(d, &v, 4);
        memcpy(&v, s + len - 4, 4);
        memcpy(d + len - 4, &v, 4);
    } else if (len >= 2) {
        memcpy(&h, s, 2);
        memcpy(d, &h, 2);
        memcpy(&h, s + len - 2, 2);
        memcpy(d + len - 2, &h, 2);
    } else if (len) {
        d[0] = s[0];
    }
}

/* the fill record of a conversion into layout O from another type: zeros;
   into v1006 the addresses IPv4-mapped (an IPv4 flow, its nexthop too) */
static void fill_record(int rt_out, const ftc_layout_t *O, uint8_t *fill)
{
    memset(fill, 0, O->rec_size);
    if (rt_out == FTC_RT_V1006) {
        ftc_st32(fill + O->off[FTC_F_SRCADDR6_2], FTC_MAPPED_WORD);
        ftc_st32(fill + O->off[FTC_F_DSTADDR6_2], FTC_MAPPED_WORD);
        ftc_st32(fill + O->off[FTC_F_NEXTHOP6_2], FTC_MAPPED_WORD);
    }
}

int ftc_xlate_version(int rt_in, const uint8_t *in, size_t n, int rt_out, uint8_t *out,
                      size_t out_size)
{
    uint8_t fill[256];
    const ftc_layout_t *I = ftc_layout_get(rt_in), *O = ftc_layout_get(rt_out);
    int kind = ftc_xlate_version_kind(rt_in, rt_out), ns, k;
    seg_t seg[MAX_SEGS];
    size_t i, irs, ors;
    if (kind < 0 || !recs_ok(I, in, n) || !recs_ok(O, out, n))
        return FTC_EINVAL;
    if (n * O->rec_size > out_size)
        return FTC_EFULL;
    if (n && kind != FTC_XV_COPY && (const uint8_t *)out < in + n * I->rec_size
        && in < out + n * O->rec_size)
        return FTC_EINVAL;          /* converting needs separate buffers */
    if (n == 0)
        return FTC_OK;
    if (kind == FTC_XV_COPY) {
        memmove(out, in, n * O->rec_size);
        return FTC_OK;
    }
    if (kind == FTC_XV_ZERO) {
        memset(out, 0, n * O->rec_size);
        return FTC_OK;
    }
    ns = plan_segments(rt_in, rt_out, seg);
    fill_record(rt_out, O, fill);
    irs = I->rec_size;
    ors = O->rec_size;
    for (i = 0; i < n; i++) {
        const uint8_t *r = in + i * irs;
        uint8_t *w = out + i * ors;
        for (k = 0; k < ns; k++)
            copy_small(w + seg[k].dst, seg[k].copy ? r + seg[k].src : fill + seg[k].dst,
                       seg[k].len);
    }
    return FTC_OK;
}
