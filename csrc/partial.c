/* partial.c -- partial tables of parallel and distributed runs: a table of
 * THE hash table (ftc_table.h) written as bytes by one process and merged
 * exactly into the table of another (ftcore.h, "partial.c").
 *
 * Merging in the order of the inputs gives the table one pass over all the
 * inputs would have given: sums add, first/last and the rate extremes keep
 * their bounds, a key new to the table takes the next number of first
 * appearance, distinct counts come from the union of the pairs.  Only the
 * rate sums (doubles, FTC_TAB_AGGR) may differ in their last bits, being
 * added in another order: callers that print them do not split the input. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"
#include "ftc_table.h"

#define PART_MAGIC "FTCP"
#define PART_BOM   0x01020304u

static int part_kind(uint32_t kind)
{
    return kind == FTC_TAB_AGG || kind == FTC_TAB_AGGT || kind == FTC_TAB_AGGR
        || kind == FTC_TAB_SET || kind == FTC_TAB_PR;
}

static int part_agg(uint32_t kind)
{
    return kind == FTC_TAB_AGG || kind == FTC_TAB_AGGT || kind == FTC_TAB_AGGR;
}

static uint64_t entry_len(const ftc_tab_t *t)
{
    return (uint64_t)t->val_len + t->key_len;
}

int64_t ftc_part_size(const ftc_tab_t *t)
{
    if (!ftc_tab_ok(t, 0) || !part_kind(t->kind))
        return FTC_EINVAL;
    return (int64_t)(FTC_PART_HEAD + (uint64_t)t->used * entry_len(t));
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

int64_t ftc_part_export(const ftc_tab_t *t, uint32_t *scratch, size_t nscratch, uint8_t *out,
                        size_t cap)
{
    int64_t need = ftc_part_size(t);
    uint64_t n = 0, el;
    uint8_t *w;
    uint32_t i;
    if (need < 0 || !out)
        return FTC_EINVAL;
    if ((uint64_t)need > cap)
        return FTC_EFULL;
    el = entry_len(t);
    memcpy(out, PART_MAGIC, 4);
    put32(out + 4, FTC_PART_VERSION);
    put32(out + 8, t->kind);
    put32(out + 12, t->key_len);
    put32(out + 16, t->val_len);
    put32(out + 20, PART_BOM);
    ftc_stle64(out + 24, t->used);
    w = out + FTC_PART_HEAD;
    if (part_agg(t->kind)) {
        /* in order of first appearance: seq numbers are 0 .. used-1 */
        if (!scratch || nscratch < t->used)
            return FTC_EINVAL;
        for (i = 0; i < t->used; i++)
            scratch[i] = FTC_TAB_NONE;
        for (i = 0; i < t->cap; i++) {
            const ftc_agg_slot_t *s;
            if (!ftc_tab_tag_at(t, i))
                continue;
            s = (const ftc_agg_slot_t *)(const void *)ftc_tab_at(t, i);
            if (s->seq >= t->used || scratch[s->seq] != FTC_TAB_NONE)
                return FTC_EINVAL;
            scratch[s->seq] = i;
        }
        for (i = 0; i < t->used; i++) {
            const uint8_t *s;
            if (scratch[i] == FTC_TAB_NONE)
                return FTC_EINVAL;
            s = ftc_tab_at(t, scratch[i]);
            memcpy(w, s, t->val_len);
            memcpy(w + t->val_len, s + t->key_off, t->key_len);
            w += el;
        }
        return need;
    }
    for (i = 0; i < t->cap && n < t->used; i++) {
        const uint8_t *s;
        if (!ftc_tab_tag_at(t, i))
            continue;
        s = ftc_tab_at(t, i);
        memcpy(w, s, t->val_len);
        memcpy(w + t->val_len, s + t->key_off, t->key_len);
        w += el;
        n++;
    }
    return n == t->used ? need : FTC_EINVAL;
}

/* a rate minimum: 0 is unset */
static double rate_min(double a, double b)
{
    if (a == 0)
        return b;
    if (b == 0)
        return a;
    return b < a ? b : a;
}

static double dmax(double a, double b)
{
    return b > a ? b : a;
}

/* merge the counters v (val_len bytes of kind) into slot s; fresh: s was
   just claimed as key number seq */
static void merge_value(uint32_t kind, uint8_t *s, const uint8_t *v, uint32_t val_len,
                        int fresh, uint32_t seq)
{
    if (kind == FTC_TAB_PR) {
        ftc_pr_slot_t *d = (ftc_pr_slot_t *)(void *)s, p;
        memcpy(&p, v, val_len);
        d->flows += p.flows;
        d->hits += p.hits;
        return;
    }
    if (part_agg(kind)) {
        ftc_agg_slot_t *d = (ftc_agg_slot_t *)(void *)s, a;
        memset(&a, 0, sizeof a);
        memcpy(&a, v, val_len);
        if (fresh) {
            d->seq = seq;
            d->distinct = 0;            /* rebuilt from the pairs */
        }
        d->flows += a.flows;
        d->octets += a.octets;
        d->packets += a.packets;
        if (kind == FTC_TAB_AGG)
            return;
        if (fresh || a.first < d->first)
            d->first = a.first;
        if (fresh || a.last > d->last)
            d->last = a.last;
        d->duration += a.duration;
        if (kind == FTC_TAB_AGGT)
            return;
        d->frecs += a.frecs;
        d->pps_sum += a.pps_sum;
        d->pps_min = rate_min(d->pps_min, a.pps_min);
        d->pps_max = dmax(d->pps_max, a.pps_max);
        d->bps_sum += a.bps_sum;
        d->bps_min = rate_min(d->bps_min, a.bps_min);
        d->bps_max = dmax(d->bps_max, a.bps_max);
        d->lflows += a.lflows;
        d->loctets += a.loctets;
        d->lpackets += a.lpackets;
    }
    /* FTC_TAB_SET: no value */
}

int ftc_part_merge(ftc_tab_t *t, ftc_tab_t *owner, const uint8_t *in, size_t len,
                   size_t *done)
{
    uint64_t count, el, i;
    uint32_t kind;
    if (!ftc_tab_ok(t, 0) || !part_kind(t->kind) || !done || (len && !in))
        return FTC_EINVAL;
    if (owner && (t->kind != FTC_TAB_SET || !ftc_tab_ok(owner, 0) || !part_agg(owner->kind)
                  || owner->key_len >= t->key_len))
        return FTC_EINVAL;
    if (len < FTC_PART_HEAD)
        return FTC_ETRUNC;
    if (memcmp(in, PART_MAGIC, 4) != 0 || get32(in + 4) != FTC_PART_VERSION
        || get32(in + 20) != PART_BOM)
        return FTC_EBADMAGIC;
    kind = get32(in + 8);
    if (kind != t->kind || get32(in + 12) != t->key_len || get32(in + 16) != t->val_len)
        return FTC_EINVAL;
    count = ftc_ldle64(in + 24);
    el = entry_len(t);
    if (count > (len - FTC_PART_HEAD) / el || FTC_PART_HEAD + count * el != len)
        return FTC_ETRUNC;
    if (*done > count)
        return FTC_EINVAL;
    for (i = *done; i < count; i++) {
        const uint8_t *e = in + FTC_PART_HEAD + i * el;
        const uint8_t *key = e + t->val_len;
        uint32_t seq = t->used;
        int fresh = 0, bad = 0;
        uint8_t *s;
        if (owner) {
            /* a pair new to t adds 1 to its key's distinct count: the key
               must be there first (merge the aggregation table first) */
            uint32_t oi = ftc_tab_lookup(owner, key);
            uint32_t pi = ftc_tab_probe(t, key, ftc_tag(ftc_hash(key, t->key_len)));
            if (pi == FTC_TAB_NONE)
                return FTC_EINVAL;
            if (ftc_tab_tag_at(t, pi) != 0)
                continue;
            if (oi == FTC_TAB_NONE)
                return FTC_EINVAL;
            if (!ftc_tab_room(t, 1)) {
                *done = (size_t)i;
                return FTC_EFULL;
            }
            ftc_tab_claim(t, pi, key, ftc_tag(ftc_hash(key, t->key_len)));
            ((ftc_agg_slot_t *)(void *)ftc_tab_at(owner, oi))->distinct++;
            continue;
        }
        s = ftc_tab_get(t, key, &fresh, &bad);
        if (!s) {
            if (bad)
                return FTC_EINVAL;
            *done = (size_t)i;
            return FTC_EFULL;
        }
        merge_value(t->kind, s, e, t->val_len, fresh, seq);
    }
    *done = (size_t)count;
    return FTC_OK;
}

void ftc_stat_tot_merge(ftc_stat_tot_t *dst, const ftc_stat_tot_t *src)
{
    size_t i;
    if (!dst || !src)
        return;
    dst->records += src->records;
    dst->ignores += src->ignores;
    dst->flows += src->flows;
    dst->octets += src->octets;
    dst->packets += src->packets;
    dst->duration += src->duration;
    dst->frecs += src->frecs;
    if (src->min_secs < dst->min_secs)
        dst->min_secs = src->min_secs;
    if (src->max_secs > dst->max_secs)
        dst->max_secs = src->max_secs;
    if (src->min_first < dst->min_first)
        dst->min_first = src->min_first;
    if (src->max_last > dst->max_last)
        dst->max_last = src->max_last;
    dst->pps_sum += src->pps_sum;
    dst->pps_min = rate_min(dst->pps_min, src->pps_min);
    dst->pps_max = dmax(dst->pps_max, src->pps_max);
    dst->bps_sum += src->bps_sum;
    dst->bps_min = rate_min(dst->bps_min, src->bps_min);
    dst->bps_max = dmax(dst->bps_max, src->bps_max);
    for (i = 0; i < 26; i++) {
        dst->hist_psize[i] += src->hist_psize[i];
        dst->hist_fpsize[i] += src->hist_fpsize[i];
        dst->hist_fosize[i] += src->hist_fosize[i];
        dst->hist_ftime[i] += src->hist_ftime[i];
    }
}
