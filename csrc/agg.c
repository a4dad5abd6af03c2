/* agg.c -- the aggregation kernel over THE hash table (ftc_table.h): per
 * key (any list of record fields) flows, octets, packets, duration, first
 * and last times, and the number of distinct peer keys; the ranking. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"
#include "ftc_table.h"

int ftc_key_spec(ftc_key_spec_t *k, const int32_t *fields, size_t n)
{
    size_t j;
    uint32_t at = 0;
    if (!k || !fields || n < 1 || n > FTC_KEY_FIELDS)
        return FTC_EINVAL;
    memset(k, 0, sizeof *k);
    for (j = 0; j < n; j++) {
        int f = fields[j], w;
        if (f < 0 || f >= FTC_F_COUNT || (w = ftc_field_width(f)) <= 0)
            return FTC_EINVAL;
        if (at + (uint32_t)w > FTC_KEY_MAX)
            return FTC_EINVAL;
        k->field[j] = f;
        k->off[j] = (uint16_t)at;
        k->width[j] = (uint16_t)w;
        at += (uint32_t)w;
    }
    k->n = (uint32_t)n;
    k->key_len = at;
    return FTC_OK;
}

/* the record offsets of the counted fields (-1: absent) */
typedef struct {
    int pkts, octets, first, last, secs, nsecs, uptime;
} cnt_offs_t;

static void cnt_offsets(const ftc_layout_t *L, cnt_offs_t *c)
{
    c->pkts = L->off[FTC_F_DPKTS];
    c->octets = L->off[FTC_F_DOCTETS];
    c->first = L->off[FTC_F_FIRST];
    c->last = L->off[FTC_F_LAST];
    c->secs = L->off[FTC_F_UNIX_SECS];
    c->nsecs = L->off[FTC_F_UNIX_NSECS];
    c->uptime = L->off[FTC_F_SYSUPTIME];
}

static uint32_t ld_or0(const uint8_t *r, int off)
{
    return off < 0 ? 0 : ftc_ld32(r + off);
}

/* unix seconds of router time t (ms since boot) in record r */
static uint32_t unix_secs(const cnt_offs_t *c, const uint8_t *r, uint32_t t)
{
    uint64_t ms = (uint64_t)ld_or0(r, c->secs) * 1000u + ld_or0(r, c->nsecs) / 1000000u;
    ms = ms - ld_or0(r, c->uptime) + t;
    return (uint32_t)(ms / 1000u);
}

static inline void count(ftc_agg_slot_t *s, int fresh, const cnt_offs_t *c, unsigned flags,
                  const uint8_t *r)
{
    s->flows++;
    if (c->pkts >= 0)
        s->packets += ftc_ld32(r + c->pkts);
    if (c->octets >= 0)
        s->octets += ftc_ld32(r + c->octets);
    if (flags & FTC_AGG_TIMES) {
        uint32_t f = ld_or0(r, c->first), l = ld_or0(r, c->last);
        uint32_t fs = unix_secs(c, r, f), ls = unix_secs(c, r, l);
        s->duration += (uint32_t)(l - f);
        if (fresh || fs < s->first)
            s->first = fs;
        if (fresh || ls > s->last)
            s->last = ls;
    }
}

/* records hashed ahead of the one being counted (tables past a core's
   cache), and how far ahead the records to come are prefetched */
#define AGG_AHEAD 16
/* tables up to this many bytes are counted record by record; larger ones
   AGG_AHEAD records at a time, their slots fetched ahead so that the
   misses overlap (measured: staging costs more than it saves on a table
   that a core's cache holds) */
#define AGG_CACHED (1u << 20)

/* one ftc_agg_add call's checked arguments */
typedef struct {
    ftc_tab_t *t, *pairs;
    const ftc_key_spec_t *key, *peer;
    int koff[FTC_KEY_FIELDS], poff[FTC_KEY_FIELDS];
    uint32_t klen, plen;
    unsigned flags;
    cnt_offs_t c;
    const uint8_t *recs, *sel;
    size_t n, rs;
} agg_args_t;

/* The counting loop, compiled for: keys of at most 8 bytes (key and pair
   key; `small`: every key a word in a register) or general (keys as
   bytes); `w32`, the commonest keys, built from 32-bit loads without the
   generic field loop (1: one 32-bit field, with a 32-bit peer or none; 2:
   two 32-bit fields, no peer); `ahead` (staged, slots prefetched) or
   record by record. */
static inline __attribute__((always_inline)) int agg_loop(const agg_args_t *a, int small,
                                                          int ahead, int w32, size_t *done)
{
    const uint32_t klen = w32 ? 4u * (uint32_t)w32 : a->klen;     /* constants for w32 */
    const uint32_t pklen = w32 ? 8u : a->klen + a->plen;
    const size_t stage = ahead ? AGG_AHEAD : 1;
    uint8_t keys[AGG_AHEAD][2 * FTC_KEY_MAX];
    uint64_t kw[AGG_AHEAD], pw[AGG_AHEAD];
    uint32_t tags[AGG_AHEAD], ptags[AGG_AHEAD];
    /* the tables' descriptors and key specs as locals: stores into slots
       (bytes, which may alias anything) never force them to be read again */
    ftc_tab_t tl = *a->t, pl, *t = &tl, *pairs = NULL;
    const ftc_key_spec_t kl = *a->key, pkl = a->peer ? *a->peer : kl;
    size_t words = (a->klen + a->plen + 7u) / 8u, i, m, q;
    int st = FTC_OK;

    if (a->pairs) {
        pl = *a->pairs;
        pairs = &pl;
    }
    for (i = *done; i < a->n; i += m) {
        size_t j;
        m = a->n - i < stage ? a->n - i : stage;
        /* keys and hashes (and prefetches) of the next records first */
        for (j = 0; j < m; j++) {
            const uint8_t *r = a->recs + (i + j) * a->rs;
            if (a->n - (i + j) > AGG_AHEAD)
                __builtin_prefetch(r + AGG_AHEAD * a->rs);     /* the records to come */
            if (a->sel && !a->sel[i + j])
                continue;
            if (w32) {
                kw[j] = ftc_bswap32(ftc_ld32(r + a->koff[0]));
                if (w32 == 2)
                    kw[j] |= (uint64_t)ftc_bswap32(ftc_ld32(r + a->koff[1])) << 32;
                tags[j] = ftc_tag(ftc_hash_word(kw[j], klen));
                if (pairs) {
                    pw[j] = kw[j] | (uint64_t)ftc_bswap32(ftc_ld32(r + a->poff[0])) << 32;
                    ptags[j] = ftc_tag(ftc_hash_word(pw[j], pklen));
                }
            } else if (small) {
                kw[j] = ftc_key_word(&kl, a->koff, r, 0, kl.n);
                tags[j] = ftc_tag(ftc_hash_word(kw[j], a->klen));
                if (pairs) {
                    pw[j] = kw[j] | ftc_key_word(&pkl, a->poff, r, a->klen, pkl.n);
                    ptags[j] = ftc_tag(ftc_hash_word(pw[j], a->klen + a->plen));
                }
            } else {
                uint64_t w[2 * FTC_KEY_MAX / 8];
                for (q = 0; q < words; q++)
                    w[q] = 0;
                ftc_key_words(&kl, a->koff, r, w, 0);
                tags[j] = ftc_tag(ftc_hash_words(w, a->klen));
                if (pairs) {
                    ftc_key_words(&pkl, a->poff, r, w, a->klen);
                    ptags[j] = ftc_tag(ftc_hash_words(w, a->klen + a->plen));
                }
                ftc_key_store(keys[j], w, words);
            }
            if (ahead) {
                ftc_tab_prefetch(t, tags[j]);
                if (pairs)
                    ftc_tab_prefetch(pairs, ptags[j]);
            }
        }
        for (j = 0; j < m; j++) {
            const uint8_t *r = a->recs + (i + j) * a->rs;
            uint32_t si, pi = 0;
            int fresh, pfresh = 0, tfull, pfull;
            ftc_agg_slot_t *s;
            if (a->sel && !a->sel[i + j])
                continue;
            si = small ? ftc_tab_probe_word(t, kw[j], tags[j], klen)
                       : ftc_tab_probe(t, keys[j], tags[j]);
            if (si == FTC_TAB_NONE) {
                st = FTC_EINVAL;
                goto out;
            }
            fresh = ftc_tab_tag_at(t, si) == 0;
            if (pairs) {
                pi = small ? ftc_tab_probe_word(pairs, pw[j], ptags[j], pklen)
                           : ftc_tab_probe(pairs, keys[j], ptags[j]);
                if (pi == FTC_TAB_NONE) {
                    st = FTC_EINVAL;
                    goto out;
                }
                pfresh = ftc_tab_tag_at(pairs, pi) == 0;
            }
            /* room for both new keys before anything changes (both marked) */
            tfull = fresh && !ftc_tab_room(t, 1);
            pfull = pfresh && !ftc_tab_room(pairs, 1);
            if (tfull || pfull) {
                *done = i + j;
                st = FTC_EFULL;
                goto out;
            }
            if (!fresh)
                s = (ftc_agg_slot_t *)(void *)ftc_tab_at(t, si);
            else if (small)
                s = (ftc_agg_slot_t *)(void *)ftc_tab_claim_word(t, si, kw[j], tags[j],
                                                                 klen);
            else
                s = (ftc_agg_slot_t *)(void *)ftc_tab_claim(t, si, keys[j], tags[j]);
            if (pfresh) {
                if (small)
                    ftc_tab_claim_word(pairs, pi, pw[j], ptags[j], pklen);
                else
                    ftc_tab_claim(pairs, pi, keys[j], ptags[j]);
                s->distinct++;
            }
            count(s, fresh, &a->c, a->flags, r);
        }
    }
    *done = a->n;
out:
    a->t->used = tl.used;
    a->t->full = tl.full;
    if (pairs) {
        a->pairs->used = pl.used;
        a->pairs->full = pl.full;
    }
    return st;
}

int ftc_agg_add(ftc_tab_t *t, const ftc_key_spec_t *key, ftc_tab_t *pairs,
                const ftc_key_spec_t *peer, unsigned flags, int rt, const uint8_t *recs,
                size_t n, size_t size, const uint8_t *sel, size_t *done)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    agg_args_t a;
    int st, big;

    if (!L || !ftc_tab_ok(t, 0) || !done || *done > n || (n && !recs)
        || (flags & ~(unsigned)FTC_AGG_TIMES) || (!pairs != !peer)
        || (int)t->kind != ((flags & FTC_AGG_TIMES) ? FTC_TAB_AGGT : FTC_TAB_AGG))
        return FTC_EINVAL;
    a.rs = L->rec_size;
    if (n > size / a.rs)
        return FTC_EINVAL;
    if ((st = ftc_key_offsets(key, L, a.koff)) != FTC_OK)
        return st;
    a.klen = key->key_len;
    a.plen = 0;
    if (t->key_len != a.klen)
        return FTC_EINVAL;
    if (pairs) {
        if (pairs == t || !ftc_tab_ok(pairs, FTC_TAB_SET))
            return FTC_EINVAL;
        if ((st = ftc_key_offsets(peer, L, a.poff)) != FTC_OK)
            return st;
        a.plen = peer->key_len;
        if (pairs->key_len != a.klen + a.plen)
            return FTC_EINVAL;
    }
    cnt_offsets(L, &a.c);
    a.t = t;
    a.pairs = pairs;
    a.key = key;
    a.peer = peer;
    a.flags = flags;
    a.recs = recs;
    a.sel = sel;
    a.n = n;
    if (a.klen + a.plen > 8)
        return agg_loop(&a, 0, 1, 0, done);
    big = (uint64_t)t->cap * t->stride + (pairs ? (uint64_t)pairs->cap * pairs->stride : 0)
        > AGG_CACHED;
    if (key->n == 1 && key->width[0] == 4 && (!pairs || (peer->n == 1 && peer->width[0] == 4)))
        return big ? agg_loop(&a, 1, 1, 1, done) : agg_loop(&a, 1, 0, 1, done);
    if (!pairs && key->n == 2 && key->width[0] == 4 && key->width[1] == 4)
        return big ? agg_loop(&a, 1, 1, 2, done) : agg_loop(&a, 1, 0, 2, done);
    return big ? agg_loop(&a, 1, 1, 0, done) : agg_loop(&a, 1, 0, 0, done);
}

/* ---- ranking ---- */

typedef struct {
    const ftc_tab_t *t;
    int by;
    uint64_t min_value;
} rank_ctx_t;

static uint64_t counter_of(const ftc_tab_t *t, uint32_t i, int by)
{
    const ftc_agg_slot_t *s = (const ftc_agg_slot_t *)(const void *)ftc_tab_at(t, i);
    switch (by) {
    case FTC_AGG_BY_FLOWS:    return s->flows;
    case FTC_AGG_BY_OCTETS:   return s->octets;
    case FTC_AGG_BY_PACKETS:  return s->packets;
    case FTC_AGG_BY_DISTINCT: return s->distinct;
    case FTC_AGG_BY_DURATION: return s->duration;
    case FTC_AGG_BY_FIRST:    return s->first;
    case FTC_AGG_BY_LAST:     return s->last;
    default:                  return 0;
    }
}

static int key_before(const ftc_tab_t *t, uint32_t a, uint32_t b)
{
    return memcmp(ftc_tab_at(t, a) + t->key_off, ftc_tab_at(t, b) + t->key_off,
                  t->key_len) < 0;
}

/* a before b?  counter descending, then key ascending */
static int rank_before(const void *ctx, uint32_t a, uint32_t b)
{
    const rank_ctx_t *c = ctx;
    if (c->by != FTC_AGG_BY_KEY) {
        uint64_t ma = counter_of(c->t, a, c->by), mb = counter_of(c->t, b, c->by);
        if (ma != mb)
            return ma > mb;
    }
    return key_before(c->t, a, b);
}

static int rank_keep(const void *ctx, uint32_t i)
{
    const rank_ctx_t *c = ctx;
    if (!ftc_tab_tag_at(c->t, i))
        return 0;
    return c->by == FTC_AGG_BY_KEY || counter_of(c->t, i, c->by) >= c->min_value;
}

int64_t ftc_agg_rank(const ftc_tab_t *t, int by, uint64_t min_value, size_t max,
                     uint32_t *idx, uint32_t *scratch, size_t n_idx)
{
    rank_ctx_t c;
    int64_t m;
    if (!ftc_tab_ok(t, 0) || (t->kind != FTC_TAB_AGG && t->kind != FTC_TAB_AGGT)
        || (t->kind == FTC_TAB_AGG && by >= FTC_AGG_BY_DURATION && by <= FTC_AGG_BY_LAST)
        || by < FTC_AGG_BY_FLOWS || by > FTC_AGG_BY_KEY
        || (n_idx && (!idx || !scratch)) || n_idx < t->used)
        return FTC_EINVAL;
    c.t = t;
    c.by = by;
    c.min_value = min_value;
    m = ftc_rank_idx(t->cap, t->used, rank_keep, rank_before, &c, max, idx, scratch, n_idx);
    return m < 0 ? FTC_EINVAL : m;
}
