/* agg.c -- counting kernels over caller-owned hash tables: per-key flow,
 * octet and packet counts; distinct-peer counts; ranking. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

/* slot for key (existing or new); NULL when the table is full */
static ftc_agg_slot_t *slot_for(ftc_agg_table_t *t, uint64_t key, int *fresh)
{
    uint32_t mask = t->cap - 1, i = (uint32_t)mix(key) & mask;
    for (;;) {
        ftc_agg_slot_t *s = &t->slot[i];
        if (!s->used) {
            if ((uint64_t)(t->used + 1) * 4u > (uint64_t)t->cap * 3u)
                return NULL;
            s->used = 1;
            s->key = key;
            s->order = t->used;
            t->used++;
            *fresh = 1;
            return s;
        }
        if (s->key == key) {
            *fresh = 0;
            return s;
        }
        i = (i + 1) & mask;
    }
}

static int valid_table(const ftc_agg_table_t *t)
{
    return t && t->slot && t->cap >= 4 && (t->cap & (t->cap - 1)) == 0;
}

typedef struct {
    int o1, w1, o2, w2, op, oo;
} keyspec_t;

static int keyspec(const ftc_layout_t *L, int f1, int f2, keyspec_t *k)
{
    if (f1 < 0 || f1 >= FTC_F_COUNT || L->off[f1] < 0)
        return FTC_EFIELD;
    k->o1 = L->off[f1];
    k->w1 = ftc_field_width(f1);
    if (f2 >= 0) {
        if (f2 >= FTC_F_COUNT || L->off[f2] < 0)
            return FTC_EFIELD;
        k->o2 = L->off[f2];
        k->w2 = ftc_field_width(f2);
    } else {
        k->o2 = -1;
        k->w2 = 0;
    }
    k->op = L->off[FTC_F_DPKTS];
    k->oo = L->off[FTC_F_DOCTETS];
    return FTC_OK;
}

static uint64_t make_key(const keyspec_t *k, const uint8_t *r)
{
    uint64_t key = (uint64_t)ftc_ldw(r + k->o1, k->w1) << 32;
    if (k->o2 >= 0)
        key |= ftc_ldw(r + k->o2, k->w2);
    return key;
}

static void count(ftc_agg_slot_t *s, const keyspec_t *k, const uint8_t *r)
{
    s->flows++;
    if (k->op >= 0)
        s->packets += ftc_ld32(r + k->op);
    if (k->oo >= 0)
        s->octets += ftc_ld32(r + k->oo);
}

int ftc_agg_add(ftc_agg_table_t *t, int rt, const uint8_t *recs, size_t n,
                const uint8_t *sel, int f1, int f2, size_t *done)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    keyspec_t k;
    size_t i;
    int st, fresh;
    if (!L || !valid_table(t) || !done || (n && !recs))
        return FTC_EINVAL;
    if ((st = keyspec(L, f1, f2, &k)) != FTC_OK)
        return st;
    for (i = *done; i < n; i++) {
        const uint8_t *r = recs + i * L->rec_size;
        ftc_agg_slot_t *s;
        if (sel && !sel[i])
            continue;
        s = slot_for(t, make_key(&k, r), &fresh);
        if (!s) {
            *done = i;
            return FTC_EFULL;
        }
        count(s, &k, r);
    }
    *done = n;
    return FTC_OK;
}

int ftc_agg_distinct(ftc_agg_table_t *pairs, ftc_agg_table_t *keys, int rt,
                     const uint8_t *recs, size_t n, const uint8_t *sel,
                     int f1, int f2, size_t *done)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    keyspec_t k;
    size_t i;
    int st;
    if (!L || !valid_table(pairs) || !valid_table(keys) || !done || (n && !recs) || f2 < 0)
        return FTC_EINVAL;
    if ((st = keyspec(L, f1, f2, &k)) != FTC_OK)
        return st;
    for (i = *done; i < n; i++) {
        const uint8_t *r = recs + i * L->rec_size;
        uint64_t pk;
        ftc_agg_slot_t *p, *s;
        int pfresh, kfresh;
        if (sel && !sel[i])
            continue;
        pk = make_key(&k, r);
        /* make sure both inserts can succeed before changing anything */
        if ((uint64_t)(pairs->used + 1) * 4u > (uint64_t)pairs->cap * 3u
            || (uint64_t)(keys->used + 1) * 4u > (uint64_t)keys->cap * 3u) {
            if (ftc_agg_find(pairs, pk) < 0 || ftc_agg_find(keys, pk & 0xFFFFFFFF00000000ull) < 0) {
                *done = i;
                return FTC_EFULL;
            }
        }
        p = slot_for(pairs, pk, &pfresh);
        s = slot_for(keys, pk & 0xFFFFFFFF00000000ull, &kfresh);
        if (!p || !s) {            /* cannot happen after the check above */
            *done = i;
            return FTC_EFULL;
        }
        count(p, &k, r);
        count(s, &k, r);
        if (pfresh)
            s->aux++;
    }
    *done = n;
    return FTC_OK;
}

int ftc_agg_rehash(const ftc_agg_table_t *from, ftc_agg_table_t *to)
{
    uint32_t i;
    if (!valid_table(from) || !valid_table(to) || to->used != 0
        || (uint64_t)from->used * 4u > (uint64_t)to->cap * 3u)
        return FTC_EINVAL;
    for (i = 0; i < from->cap; i++) {
        const ftc_agg_slot_t *s = &from->slot[i];
        uint32_t mask = to->cap - 1, j;
        if (!s->used)
            continue;
        j = (uint32_t)mix(s->key) & mask;
        while (to->slot[j].used)
            j = (j + 1) & mask;
        to->slot[j] = *s;
        to->used++;
    }
    return FTC_OK;
}

int64_t ftc_agg_find(const ftc_agg_table_t *t, uint64_t key)
{
    uint32_t mask, i, probes;
    if (!valid_table(t))
        return -1;
    mask = t->cap - 1;
    i = (uint32_t)mix(key) & mask;
    for (probes = 0; probes < t->cap; probes++) {
        const ftc_agg_slot_t *s = &t->slot[i];
        if (!s->used)
            return -1;
        if (s->key == key)
            return (int64_t)i;
        i = (i + 1) & mask;
    }
    return -1;
}

static uint64_t metric_of(const ftc_agg_slot_t *s, int metric)
{
    switch (metric) {
    case 0: return s->flows;
    case 1: return s->octets;
    case 2: return s->packets;
    default: return s->aux;
    }
}

/* a before b? (descending metric, then ascending key) */
static int before(const ftc_agg_table_t *t, uint32_t a, uint32_t b, int metric)
{
    uint64_t ma = metric_of(&t->slot[a], metric), mb = metric_of(&t->slot[b], metric);
    if (ma != mb)
        return ma > mb;
    return t->slot[a].key < t->slot[b].key;
}

typedef struct {
    const ftc_agg_table_t *t;
    int metric;
} rank_ctx_t;

static int rank_before(const void *ctx, uint32_t a, uint32_t b)
{
    const rank_ctx_t *c = ctx;
    return before(c->t, a, b, c->metric);
}

int64_t ftc_agg_rank(const ftc_agg_table_t *t, int metric, uint64_t min_value,
                     uint32_t *idx, size_t max, uint32_t *scratch)
{
    uint32_t i, m = 0;
    if (!valid_table(t) || !idx || !scratch || metric < 0 || metric > 3)
        return FTC_EINVAL;
    /* idx and scratch must each hold t->used entries */
    if (max < t->used / 8u) {
        /* top-N: keep the best `max` in a heap whose root is the worst */
        size_t h = 0, c, p;
        if (max == 0)
            return 0;
        for (i = 0; i < t->cap; i++) {
            if (!t->slot[i].used || metric_of(&t->slot[i], metric) < min_value)
                continue;
            if (h < max) {
                c = h++;
                while (c > 0) {                        /* sift up */
                    p = (c - 1) / 2;
                    if (!before(t, idx[p], i, metric))
                        break;
                    idx[c] = idx[p];
                    c = p;
                }
                idx[c] = i;
            } else if (before(t, i, idx[0], metric)) {
                c = 0;                                 /* replace root, sift down */
                for (;;) {
                    size_t l = 2 * c + 1, r = l + 1, w = c;
                    uint32_t wv = i;
                    if (l < h && before(t, wv, idx[l], metric)) { w = l; wv = idx[l]; }
                    if (r < h && before(t, wv, idx[r], metric)) { w = r; wv = idx[r]; }
                    if (w == c)
                        break;
                    idx[c] = idx[w];
                    c = w;
                }
                idx[c] = i;
            }
        }
        m = (uint32_t)h;
    } else {
        for (i = 0; i < t->cap; i++)
            if (t->slot[i].used && metric_of(&t->slot[i], metric) >= min_value)
                idx[m++] = i;
    }
    {
        rank_ctx_t c;
        c.t = t;
        c.metric = metric;
        ftc_sort_idx(idx, scratch, m, rank_before, &c);
    }
    return (int64_t)(m < max ? m : max);
}
