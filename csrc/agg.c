/* agg.c -- the aggregation kernel over THE hash table (ftc_table.h): per
 * key (any list of record fields) flows, octets, packets, duration, first
 * and last times, and the number of distinct peer keys; the ranking. */
#include <stdio.h>
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
        int f = fields[j], w = ftc_key_width(f);
        if (w <= 0)
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
    int pkts, octets, first, last, secs, nsecs, uptime, dflows;
} cnt_offs_t;

static void cnt_offsets(const ftc_layout_t *L, cnt_offs_t *c, unsigned flags)
{
    c->pkts = L->off[FTC_F_DPKTS];
    c->octets = L->off[FTC_F_DOCTETS];
    c->first = L->off[FTC_F_FIRST];
    c->last = L->off[FTC_F_LAST];
    c->secs = L->off[FTC_F_UNIX_SECS];
    c->nsecs = L->off[FTC_F_UNIX_NSECS];
    c->uptime = L->off[FTC_F_SYSUPTIME];
    c->dflows = (flags & FTC_AGG_DFLOWS) ? L->off[FTC_F_DFLOWS] : -1;
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

/* add v to a rate's sum, min (0 = unset) and max */
static inline void rate_add(double *sum, double *mn, double *mx, double v)
{
    *sum += v;
    if (*mn == 0 || v < *mn)
        *mn = v;
    if (v > *mx)
        *mx = v;
}

/* count record r into slot s; `fresh`: s was just claimed as key number
   seq (its first appearance) */
static inline void count(ftc_agg_slot_t *s, int fresh, uint32_t seq, const cnt_offs_t *c,
                         unsigned flags, uint32_t scale, const uint8_t *r)
{
    uint64_t pk = c->pkts >= 0 ? ftc_ld32(r + c->pkts) : 0;
    uint64_t oc = c->octets >= 0 ? ftc_ld32(r + c->octets) : 0;
    if (scale) {
        pk *= scale;
        oc *= scale;
    }
    if (fresh)
        s->seq = seq;
    s->flows += c->dflows >= 0 ? ftc_ld32(r + c->dflows) : 1u;
    s->packets += pk;
    s->octets += oc;
    if (flags & (FTC_AGG_TIMES | FTC_AGG_RATES | FTC_AGG_DURATION)) {
        uint32_t f = ld_or0(r, c->first), l = ld_or0(r, c->last), d = l - f;
        s->duration += d;
        if (flags & FTC_AGG_TIMES) {
            uint32_t fs = unix_secs(c, r, f), ls = unix_secs(c, r, l);
            if (fresh || fs < s->first)
                s->first = fs;
            if (fresh || ls > s->last)
                s->last = ls;
        }
        if ((flags & FTC_AGG_RATES) && d) {
            double secs = d / 1000.0;
            s->frecs++;
            rate_add(&s->pps_sum, &s->pps_min, &s->pps_max, (double)pk / secs);
            rate_add(&s->bps_sum, &s->bps_min, &s->bps_max, (double)oc * 8.0 / secs);
        }
    }
}

/* value of key field j of spec k for record r: a record field at roff[j]
   or a virtual field computed from the fields at vin offsets */
typedef struct {
    int octets, pkts, first, last, srcaddr, dstaddr, src_mask, dst_mask;
    int dstaddr6;      /* v1006: the first word of the 128-bit dstaddr, else -1 */
} vin_offs_t;

static void vin_offsets(const ftc_layout_t *L, vin_offs_t *v)
{
    v->octets = L->off[FTC_F_DOCTETS];
    v->pkts = L->off[FTC_F_DPKTS];
    v->first = L->off[FTC_F_FIRST];
    v->last = L->off[FTC_F_LAST];
    v->srcaddr = L->off[FTC_F_SRCADDR];
    v->dstaddr = L->off[FTC_F_DSTADDR];
    v->src_mask = L->off[FTC_F_SRC_MASK];
    v->dst_mask = L->off[FTC_F_DST_MASK];
    v->dstaddr6 = L->off[FTC_F_DSTADDR6_0];
}

/* the netmask of a mask length as flow-tools computes it: a 32-bit
   shift by (32 - len) taken modulo 32 (x86), so /0 keeps the whole
   address and a length above 32 wraps (/33: the top bit) */
static uint32_t netmask(uint32_t len)
{
    return 0xFFFFFFFFu << ((32u - len) & 31u);
}

static uint32_t key_value(int f, int roff, const vin_offs_t *v, const uint8_t *r,
                          uint32_t scale)
{
    uint32_t d, a;
    switch (f) {
    case FTC_V_PKTSIZE: {
        uint64_t pk = ftc_ld32(r + v->pkts), oc = ftc_ld32(r + v->octets);
        if (scale) {
            pk *= scale;
            oc *= scale;
        }
        return pk ? (uint32_t)(oc / pk) : 0;
    }
    case FTC_V_BPS:
    case FTC_V_PPS: {
        uint64_t x = ftc_ld32(r + (f == FTC_V_BPS ? v->octets : v->pkts));
        double q;
        if (scale)
            x *= scale;
        d = ftc_ld32(r + v->last) - ftc_ld32(r + v->first);
        if (!d)
            return 0;
        q = (double)x * (f == FTC_V_BPS ? 8.0 : 1.0) / (d / 1000.0);
        return q >= 4294967295.0 ? 0xFFFFFFFFu : (uint32_t)q;
    }
    case FTC_V_DURATION:
        return ftc_ld32(r + v->last) - ftc_ld32(r + v->first);
    case FTC_V_DSTTYPE:
        if (v->dstaddr6 >= 0) {         /* v1006: an IPv6 destination is 6, or 7 (ff00::/8) */
            uint32_t w0 = ftc_ld32(r + v->dstaddr6);
            if (w0 != 0 || ftc_ld32(r + v->dstaddr6 + 4) != 0
                || ftc_ld32(r + v->dstaddr6 + 8) != FTC_MAPPED_WORD)
                return (w0 >> 24) == 0xFF ? 7 : 6;
        }
        a = ftc_ld32(r + v->dstaddr);
        if (!(a & 0x80000000u))
            return 0;
        if ((a & 0xC0000000u) == 0x80000000u)
            return 1;
        if ((a & 0xE0000000u) == 0xC0000000u)
            return 2;
        if ((a & 0xF0000000u) == 0xE0000000u)
            return (a >> 24) == 232 ? 4 : 3;
        return 5;
    case FTC_V_SRCPREFIX:
        return ftc_ld32(r + v->srcaddr) & netmask(r[v->src_mask]);
    case FTC_V_DSTPREFIX:
        return ftc_ld32(r + v->dstaddr) & netmask(r[v->dst_mask]);
    default:
        switch (ftc_field_width(f)) {
        case 4: return ftc_ld32(r + roff);
        case 2: return ftc_ld16(r + roff);
        default: return r[roff];
        }
    }
}

/* store v big-endian in w bytes at p */
static void put_be(uint8_t *p, uint32_t v, uint32_t w)
{
    while (w--) {
        p[w] = (uint8_t)v;
        v >>= 8;
    }
}

/* the 32-bit netmask of word q (0 most significant) of a 128-bit prefix
   of len bits (len >= 128: the whole address) */
static uint32_t netmask6_word(uint32_t len, uint32_t q)
{
    uint32_t bits = len > 32u * q ? len - 32u * q : 0u;
    if (bits >= 32u)
        return 0xFFFFFFFFu;
    return bits ? 0xFFFFFFFFu << (32u - bits) : 0u;
}

/* the 128-bit address key field f (FTC_V_*ADDR6 or FTC_V_*PREFIX6) of
   record r, whose words start at roff, big-endian into out[0..16) */
static void addr6_put(int f, int roff, const vin_offs_t *v, const uint8_t *r, uint8_t *out)
{
    uint32_t w[4], q;
    for (q = 0; q < 4; q++)
        w[q] = ftc_ld32(r + roff + 4u * q);
    if (f == FTC_V_SRCPREFIX6 || f == FTC_V_DSTPREFIX6) {
        uint32_t len = r[f == FTC_V_SRCPREFIX6 ? v->src_mask : v->dst_mask];
        if (w[0] == 0 && w[1] == 0 && w[2] == FTC_MAPPED_WORD)
            w[3] &= netmask(len);               /* IPv4 terms, as FTC_V_SRCPREFIX */
        else
            for (q = 0; q < 4; q++)
                w[q] &= netmask6_word(len, q);
    }
    for (q = 0; q < 4; q++)
        put_be(out + 4u * q, w[q], 4);
}

/* key field j of spec k of record r into out (its width in bytes) */
static void field_put(const ftc_key_spec_t *k, uint32_t j, int roff, const vin_offs_t *v,
                      const uint8_t *r, uint32_t scale, uint8_t *out)
{
    uint32_t x;
    if (k->width[j] == 16) {
        addr6_put(k->field[j], roff, v, r, out);
        return;
    }
    x = key_value(k->field[j], roff, v, r, scale);
    if (k->has_mask)
        x &= k->mask[j];
    put_be(out, x, k->width[j]);
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
    uint32_t scale;
    cnt_offs_t c;
    vin_offs_t v;
    ftc_stat_tot_t *tot;       /* NULL, or totals of the same pass */
    unsigned tot_flags;
    ftc_tot_offs_t to;
    const uint8_t *recs, *sel;
    size_t n, rs;
} agg_args_t;

/* The counting loop, compiled for: keys of at most 8 bytes (key and pair
   key; `small`: every key a word in a register) or general (keys as
   bytes); `w32`, the commonest keys, built from 32-bit loads without the
   generic field loop (1: one 32-bit field, with a 32-bit peer or none; 2:
   two 32-bit fields, no peer); `ahead` (staged, slots prefetched) or
   record by record. */
/* the loops work on copies of the tables' descriptors: their counts back */
static void put_back(const agg_args_t *a, const ftc_tab_t *t, const ftc_tab_t *pairs)
{
    a->t->used = t->used;
    a->t->full = t->full;
    if (pairs) {
        a->pairs->used = pairs->used;
        a->pairs->full = pairs->full;
    }
}

/* what a counted record adds, known when the loop is compiled: M_PLAIN
   flows/octets/packets (flow-topn); M_REPORT those, the duration and the
   totals of the pass (flow-stat, flow-report); M_ANY whatever the flags,
   scale and totals say */
enum { M_PLAIN, M_REPORT, M_ANY };

static inline __attribute__((always_inline)) void count_mode(const agg_args_t *a, int mode,
                                                             ftc_agg_slot_t *s, int fresh,
                                                             uint32_t seq, const uint8_t *r)
{
    if (mode == M_ANY) {
        count(s, fresh, seq, &a->c, a->flags, a->scale, r);
        if (a->tot)
            ftc_tot_add(a->tot, a->tot_flags, a->scale, &a->to, r);
        return;
    }
    if (fresh)
        s->seq = seq;
    s->flows += a->c.dflows >= 0 ? ftc_ld32(r + a->c.dflows) : 1u;
    s->packets += ftc_ld32(r + a->c.pkts);
    s->octets += ftc_ld32(r + a->c.octets);
    if (mode == M_REPORT) {
        s->duration += (uint32_t)(ld_or0(r, a->c.last) - ld_or0(r, a->c.first));
        ftc_tot_add(a->tot, FTC_STAT_DFLOWS, 0, &a->to, r);
    }
}

static inline __attribute__((always_inline)) int agg_loop(const agg_args_t *a, int small,
                                                          int ahead, int w32, int mode,
                                                          size_t *done)
{
    const uint32_t klen = w32 ? 4u * (uint32_t)w32 : a->klen;     /* constants for w32 */
    const uint32_t pklen = w32 ? 8u : a->klen + a->plen;
    const size_t stage = ahead ? AGG_AHEAD : 1;
    uint8_t keys[AGG_AHEAD][2 * FTC_KEY_MAX];
    uint64_t kw[AGG_AHEAD] = {0}, pw[AGG_AHEAD] = {0};
    uint32_t tags[AGG_AHEAD] = {0}, ptags[AGG_AHEAD] = {0};
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
            if ((a->sel && !a->sel[i + j])
                || (mode != M_PLAIN && a->tot && !ftc_ld32(r + a->to.pk)))
                continue;       /* not selected, or dPkts 0: no key */
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
            if (mode != M_PLAIN && a->tot && !ftc_ld32(r + a->to.pk)) {
                ftc_tot_add(a->tot, a->tot_flags, a->scale, &a->to, r);   /* an ignore */
                continue;
            }
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
            count_mode(a, mode, s, fresh, tl.used - 1u, r);
        }
    }
    *done = a->n;
out:
    put_back(a, &tl, pairs);
    return st;
}

/* key e of a record in agg_loop_any (full: every field at its offset):
   with each, field e's bytes alone (in key); else the whole key, full */
static const uint8_t *any_key(const ftc_key_spec_t *k, const uint8_t *full, int each,
                              uint32_t e, uint8_t *key)
{
    if (!each)
        return full;
    memset(key, 0, FTC_KEY_MAX);
    memcpy(key, full + k->off[e], k->width[e]);
    return key;
}

/* The loop for every other key: virtual fields, masked fields, each
   field apart (FTC_AGG_EACH); record by record, keys as bytes. */
static int agg_loop_any(const agg_args_t *a, size_t *done)
{
    ftc_tab_t tl = *a->t, *t = &tl, pl, *pairs = NULL;
    const ftc_key_spec_t *k = a->key, *pk = a->peer;
    const int each = (a->flags & FTC_AGG_EACH) != 0;
    const uint32_t nk = each ? k->n : 1u;
    size_t i;
    int st = FTC_OK;

    if (a->pairs) {             /* never with each (ftc_agg_add checked) */
        pl = *a->pairs;
        pairs = &pl;
    }
    for (i = *done; i < a->n; i++) {
        const uint8_t *r = a->recs + i * a->rs;
        uint8_t key[FTC_KEY_MAX], pkey[FTC_KEY_MAX], full[FTC_KEY_MAX];
        uint32_t j, e, fresh_keys = 0;
        int pair_fresh = 0, no_room;
        if (a->sel && !a->sel[i])
            continue;
        if (a->tot && !ftc_ld32(r + a->to.pk)) {
            ftc_tot_add(a->tot, a->tot_flags, a->scale, &a->to, r);       /* an ignore */
            continue;
        }
        /* the fields cover the key's bytes: built in place, no clearing */
        for (j = 0; j < k->n; j++)
            field_put(k, j, a->koff[j], &a->v, r, a->scale, full + k->off[j]);
        /* room for every new key of the record before anything changes */
        for (e = 0; e < nk; e++) {
            if (ftc_tab_lookup(t, any_key(k, full, each, e, key)) == FTC_TAB_NONE)
                fresh_keys++;
        }
        if (pairs) {
            /* the (key, peer) pair: the key's bytes, then the peer's */
            memset(pkey, 0, sizeof pkey);
            memcpy(pkey, full, a->klen);        /* never with each */
            for (j = 0; j < pk->n; j++)
                field_put(pk, j, a->poff[j], &a->v, r, a->scale, pkey + a->klen + pk->off[j]);
            pair_fresh = ftc_tab_lookup(pairs, pkey) == FTC_TAB_NONE;
        }
        /* room in both tables before anything changes (both marked) */
        no_room = fresh_keys && !ftc_tab_room(t, fresh_keys);
        no_room |= pair_fresh && !ftc_tab_room(pairs, 1);     /* both asked */
        if (no_room) {
            *done = i;
            st = FTC_EFULL;
            goto out;
        }
        for (e = 0; e < nk; e++) {
            int fresh = 0, bad = 0;
            ftc_agg_slot_t *s;
            s = (ftc_agg_slot_t *)(void *)ftc_tab_get(t, any_key(k, full, each, e, key), &fresh,
                                                      &bad);
            if (bad || !s) {
                st = FTC_EINVAL;
                goto out;
            }
            count(s, fresh, t->used - 1u, &a->c, a->flags, a->scale, r);
            if (pair_fresh) {
                int pf = 0, pbad = 0;
                if (!ftc_tab_get(pairs, pkey, &pf, &pbad) || pbad) {
                    st = FTC_EINVAL;
                    goto out;
                }
                s->distinct++;
            }
        }
        if (a->tot)
            ftc_tot_add(a->tot, a->tot_flags, a->scale, &a->to, r);
    }
    *done = a->n;
out:
    put_back(a, &tl, pairs);
    return st;
}

int ftc_agg_add(ftc_tab_t *t, const ftc_key_spec_t *key, ftc_tab_t *pairs,
                const ftc_key_spec_t *peer, unsigned flags, uint32_t scale, int rt,
                const uint8_t *recs, size_t n, size_t size, const uint8_t *sel,
                ftc_stat_tot_t *tot, unsigned tot_flags, size_t *done)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    agg_args_t a;
    int st, big, kind, mode;
    unsigned all = FTC_AGG_TIMES | FTC_AGG_RATES | FTC_AGG_DFLOWS | FTC_AGG_EACH
                 | FTC_AGG_DURATION;

    kind = (flags & FTC_AGG_RATES) ? FTC_TAB_AGGR
         : (flags & (FTC_AGG_TIMES | FTC_AGG_DURATION)) ? FTC_TAB_AGGT : FTC_TAB_AGG;
    if (!L || !ftc_tab_ok(t, 0) || !done || *done > n || (n && !recs)
        || (flags & ~all) || (!pairs != !peer) || (int)t->kind != kind)
        return FTC_EINVAL;
    a.rs = L->rec_size;
    if (n > size / a.rs)
        return FTC_EINVAL;
    if ((st = ftc_key_offsets(key, L, a.koff)) != FTC_OK)
        return st;
    a.klen = key->key_len;
    a.plen = 0;
    if (flags & FTC_AGG_EACH) {
        uint32_t j;
        if (pairs)
            return FTC_EINVAL;
        for (j = 1; j < key->n; j++)
            if (key->width[j] != key->width[0])
                return FTC_EINVAL;
        a.klen = key->width[0];
    }
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
    cnt_offsets(L, &a.c, flags);
    vin_offsets(L, &a.v);
    a.tot = tot;
    a.tot_flags = tot_flags;
    if (tot) {
        if (tot_flags & ~(unsigned)(FTC_STAT_DFLOWS | FTC_STAT_RATES))
            return FTC_EINVAL;
        ftc_tot_offsets(L, tot_flags, &a.to);
        if (a.to.pk < 0 || a.to.oc < 0)
            return FTC_EFIELD;
    }
    a.t = t;
    a.pairs = pairs;
    a.key = key;
    a.peer = peer;
    a.flags = flags;
    a.scale = scale;
    a.recs = recs;
    a.sel = sel;
    a.n = n;
    if ((flags & FTC_AGG_EACH) || !ftc_key_plain(key) || (peer && !ftc_key_plain(peer)))
        return agg_loop_any(&a, done);
    if (a.c.pkts < 0 || a.c.octets < 0)
        mode = M_ANY;           /* record types without counters: the checked path */
    else if (flags == 0 && !tot && !scale)
        mode = M_PLAIN;
    else if ((flags & ~(unsigned)FTC_AGG_DFLOWS) == FTC_AGG_DURATION && tot && !scale
             && !(tot_flags & FTC_STAT_RATES))
        mode = M_REPORT;
    else
        mode = M_ANY;
    if (a.klen + a.plen > 8)
        return agg_loop(&a, 0, 1, 0, M_ANY, done);
    big = (uint64_t)t->cap * t->stride + (pairs ? (uint64_t)pairs->cap * pairs->stride : 0)
        > AGG_CACHED;
#define AGG_MODES(small, ahead, w32) \
    (mode == M_PLAIN ? agg_loop(&a, small, ahead, w32, M_PLAIN, done) \
     : mode == M_REPORT ? agg_loop(&a, small, ahead, w32, M_REPORT, done) \
     : agg_loop(&a, small, ahead, w32, M_ANY, done))
    if (key->n == 1 && key->width[0] == 4 && (!pairs || (peer->n == 1 && peer->width[0] == 4)))
        return big ? AGG_MODES(1, 1, 1) : AGG_MODES(1, 0, 1);
    if (!pairs && key->n == 2 && key->width[0] == 4 && key->width[1] == 4)
        return big ? AGG_MODES(1, 1, 2) : AGG_MODES(1, 0, 2);
    return big ? agg_loop(&a, 1, 1, 0, M_ANY, done) : agg_loop(&a, 1, 0, 0, M_ANY, done);
#undef AGG_MODES
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

/* ---- order (flow-stat, flow-report) ---- */

static int by_counter(int by)
{
    return (by >= FTC_AGG_BY_FLOWS && by <= FTC_AGG_BY_LAST && by != FTC_AGG_BY_DISTINCT)
        || by == FTC_AGG_BY_DISTINCT || by == FTC_AGG_BY_FRECS || by == FTC_AGG_BY_COUNT;
}

static int by_rate(int by)
{
    return (by >= FTC_AGG_BY_PPS_AVG && by <= FTC_AGG_BY_BPS_MAX)
        || (by >= FTC_AGG_BY_LFLOWS && by <= FTC_AGG_BY_LPACKETS);
}

static double rate_of(const ftc_agg_slot_t *s, int by)
{
    switch (by) {
    case FTC_AGG_BY_PPS_AVG: return s->frecs ? s->pps_sum / (double)s->frecs : 0.0;
    case FTC_AGG_BY_PPS_MIN: return s->pps_min;
    case FTC_AGG_BY_PPS_MAX: return s->pps_max;
    case FTC_AGG_BY_BPS_AVG: return s->frecs ? s->bps_sum / (double)s->frecs : 0.0;
    case FTC_AGG_BY_BPS_MIN: return s->bps_min;
    case FTC_AGG_BY_LFLOWS:  return s->lflows;
    case FTC_AGG_BY_LOCTETS: return s->loctets;
    case FTC_AGG_BY_LPACKETS: return s->lpackets;
    default:                 return s->bps_max;
    }
}

static uint64_t value_of(const ftc_tab_t *t, uint32_t i, int by)
{
    const ftc_agg_slot_t *s = (const ftc_agg_slot_t *)(const void *)ftc_tab_at(t, i);
    switch (by) {
    case FTC_AGG_BY_FRECS: return s->frecs;
    case FTC_AGG_BY_COUNT: return s->distinct;
    case FTC_AGG_BY_SEQ:   return s->seq;
    default:               return counter_of(t, i, by);
    }
}

/* an order-keeping 64-bit image of a non-negative double */
static uint64_t dbl_bits(double d)
{
    uint64_t u;
    if (!(d > 0))
        return 0;           /* 0, -0, NaN */
    memcpy(&u, &d, 8);
    return u;
}

typedef struct {
    const ftc_tab_t *t;
    int field_off, field_w;    /* a key field's bytes, or the whole key (-1) */
} key_ctx_t;

static int keyf_before(const void *ctx, uint32_t a, uint32_t b)
{
    const key_ctx_t *c = ctx;
    const uint8_t *ka = ftc_tab_at(c->t, a) + c->t->key_off;
    const uint8_t *kb = ftc_tab_at(c->t, b) + c->t->key_off;
    int d;
    if (c->field_off >= 0) {
        d = memcmp(ka + c->field_off, kb + c->field_off, (size_t)c->field_w);
        if (d)
            return d < 0;
    }
    return 0;
}

static int wholekey_before(const void *ctx, uint32_t a, uint32_t b)
{
    const key_ctx_t *c = ctx;
    return memcmp(ftc_tab_at(c->t, a) + c->t->key_off, ftc_tab_at(c->t, b) + c->t->key_off,
                  c->t->key_len) < 0;
}

/* stable LSD radix sort of idx[0..m) by v[0..m) (ascending; both moved
   together; tv/ti scratch of m entries) */
static void radix_sort(uint64_t *v, uint32_t *idx, uint64_t *tv, uint32_t *ti, size_t m)
{
    uint64_t or_all = 0, and_all = ~(uint64_t)0;
    size_t i, cnt[256];
    unsigned pass;
    for (i = 0; i < m; i++) {
        or_all |= v[i];
        and_all &= v[i];
    }
    for (pass = 0; pass < 8; pass++) {
        unsigned sh = 8 * pass, b;
        size_t sum = 0;
        if ((((or_all ^ and_all) >> sh) & 0xFF) == 0)
            continue;                           /* every value has this byte */
        memset(cnt, 0, sizeof cnt);
        for (i = 0; i < m; i++)
            cnt[(v[i] >> sh) & 0xFF]++;
        for (b = 0; b < 256; b++) {
            size_t c = cnt[b];
            cnt[b] = sum;
            sum += c;
        }
        for (i = 0; i < m; i++) {
            size_t o = cnt[(v[i] >> sh) & 0xFF]++;
            tv[o] = v[i];
            ti[o] = idx[i];
        }
        memcpy(v, tv, m * sizeof *v);
        memcpy(idx, ti, m * sizeof *idx);
    }
}

int64_t ftc_agg_order(const ftc_tab_t *t, const ftc_key_spec_t *key, int by, int field,
                      int nfields, int tie, int desc, const uint32_t *init, uint32_t *idx,
                      uint32_t *scratch, size_t n_idx)
{
    uint32_t i, m = 0;
    int rates = t && t->kind == FTC_TAB_AGGR, times = rates || (t && t->kind == FTC_TAB_AGGT);
    if (!ftc_tab_ok(t, 0) || t->kind == FTC_TAB_SET || t->kind == FTC_TAB_PR
        || t->kind == FTC_TAB_SEQ || !idx || n_idx < t->used
        || (!scratch && (by != FTC_AGG_BY_SEQ || tie != FTC_AGG_BY_SEQ || init))
        || (tie != FTC_AGG_BY_SEQ && tie != FTC_AGG_BY_KEY))
        return FTC_EINVAL;
    if ((by >= FTC_AGG_BY_DURATION && by <= FTC_AGG_BY_LAST && !times)
        || ((by_rate(by) || by == FTC_AGG_BY_FRECS) && !rates))
        return FTC_EINVAL;
    if (!by_counter(by) && !by_rate(by) && by != FTC_AGG_BY_KEY && by != FTC_AGG_BY_SEQ)
        return FTC_EINVAL;
    if (by == FTC_AGG_BY_KEY && field >= 0
        && (!key || key->n > FTC_KEY_FIELDS || nfields < 1 || (uint32_t)field >= key->n
            || (uint32_t)(field + nfields) > key->n
            || (uint32_t)key->off[field + nfields - 1] + key->width[field + nfields - 1]
               > t->key_len))
        return FTC_EINVAL;

    if (init) {
        /* an earlier order: every used slot once */
        uint8_t *seen = (uint8_t *)(void *)scratch;      /* t->used bytes, cleared here */
        for (i = 0; i < t->used; i++)
            seen[i] = 0;
        for (i = 0; i < t->used; i++) {
            const ftc_agg_slot_t *s;
            if (init[i] >= t->cap || !ftc_tab_tag_at(t, init[i]))
                return FTC_EINVAL;
            s = (const ftc_agg_slot_t *)(const void *)ftc_tab_at(t, init[i]);
            if (s->seq >= t->used || seen[s->seq])
                return FTC_EINVAL;
            seen[s->seq] = 1;
            idx[i] = init[i];
        }
        m = t->used;
    } else {
        /* the slots in order of first appearance: seq numbers are 0..used-1 */
        for (i = 0; i < t->cap; i++) {
            const ftc_agg_slot_t *s;
            if (!ftc_tab_tag_at(t, i))
                continue;
            s = (const ftc_agg_slot_t *)(const void *)ftc_tab_at(t, i);
            if (s->seq >= t->used)
                return FTC_EINVAL;
            idx[s->seq] = i;
            m++;
        }
        if (m != t->used)
            return FTC_EINVAL;
        if (tie == FTC_AGG_BY_KEY && by != FTC_AGG_BY_KEY) {
            key_ctx_t c = {t, -1, 0};
            ftc_sort_idx(idx, scratch, m, wholekey_before, &c);
        }
    }
    if (by == FTC_AGG_BY_KEY) {
        key_ctx_t c = {t, -1, 0};
        if (field >= 0) {
            c.field_off = key->off[field];
            c.field_w = key->off[field + nfields - 1] + key->width[field + nfields - 1]
                      - key->off[field];
            if (tie == FTC_AGG_BY_KEY && !init)
                ftc_sort_idx(idx, scratch, m, wholekey_before, &c);
            ftc_sort_idx(idx, scratch, m, keyf_before, &c);
        } else
            ftc_sort_idx(idx, scratch, m, wholekey_before, &c);
    } else if (by != FTC_AGG_BY_SEQ || init) {
        /* stable sort by the value: ties keep the order set above.
           scratch (5 * n_idx entries): the values, their copy, the
           index copy */
        uint64_t *v = (uint64_t *)(void *)scratch, *tv = v + m;
        uint32_t *ti = (uint32_t *)(void *)(tv + m);
        if (((uintptr_t)scratch & 7u) != 0)
            return FTC_EINVAL;
        for (i = 0; i < m; i++)
            v[i] = by_rate(by) ? dbl_bits(rate_of((const ftc_agg_slot_t *)(const void *)
                                                  ftc_tab_at(t, idx[i]), by))
                               : value_of(t, idx[i], by);
        radix_sort(v, idx, tv, ti, m);
    }
    if (desc) {
        uint32_t a = 0, b = m;
        while (a + 1 < b) {
            uint32_t x = idx[a];
            idx[a++] = idx[--b];
            idx[b] = x;
        }
    }
    return m;
}

int ftc_agg_sum(const ftc_tab_t *t, const uint32_t *idx, size_t n, ftc_agg_sum_t *out)
{
    size_t r;
    int rates = t && t->kind == FTC_TAB_AGGR, times = rates || (t && t->kind == FTC_TAB_AGGT);
    if (!ftc_tab_ok(t, 0) || (t->kind != FTC_TAB_AGG && !times) || !out || (n && !idx))
        return FTC_EINVAL;
    memset(out, 0, sizeof *out);
    for (r = 0; r < n; r++) {
        const ftc_agg_slot_t *s;
        if (idx[r] >= t->cap || !ftc_tab_tag_at(t, idx[r]))
            return FTC_EINVAL;
        s = (const ftc_agg_slot_t *)(const void *)ftc_tab_at(t, idx[r]);
        out->flows += s->flows;
        out->octets += s->octets;
        out->packets += s->packets;
        out->distinct += s->distinct;
        if (times)
            out->duration += s->duration;
        if (rates) {
            out->frecs += s->frecs;
            out->pps_sum += s->pps_sum;
            out->bps_sum += s->bps_sum;
        }
    }
    return FTC_OK;
}

/* ---- linear interpolation (flow-report type 75) ---- */

int ftc_lin_add(ftc_tab_t *t, unsigned flags, uint32_t scale, int rt, const uint8_t *recs,
                size_t n, size_t size, const uint8_t *sel, size_t *done)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    cnt_offs_t c;
    size_t i, rs;
    if (!L || !ftc_tab_ok(t, FTC_TAB_AGGR) || t->key_len != 4 || !done || *done > n
        || (n && !recs) || (flags & ~(unsigned)FTC_AGG_DFLOWS))
        return FTC_EINVAL;
    rs = L->rec_size;
    if (n > size / rs)
        return FTC_EINVAL;
    cnt_offsets(L, &c, flags);
    if (c.pkts < 0 || c.octets < 0 || c.first < 0 || c.last < 0)
        return FTC_EFIELD;
    for (i = *done; i < n; i++) {
        const uint8_t *r = recs + i * rs;
        uint64_t pk, oc, ms;
        uint32_t start, end, d, sec;
        double fl;
        if (sel && !sel[i])
            continue;
        pk = ftc_ld32(r + c.pkts);
        oc = ftc_ld32(r + c.octets);
        if (scale) {
            pk *= scale;
            oc *= scale;
        }
        fl = c.dflows >= 0 ? (double)ftc_ld32(r + c.dflows) : 1.0;
        ms = (uint64_t)ld_or0(r, c.secs) * 1000u + ld_or0(r, c.nsecs) / 1000000u
           - ld_or0(r, c.uptime);
        start = (uint32_t)((ms + ftc_ld32(r + c.first)) / 1000u);
        end = (uint32_t)((ms + ftc_ld32(r + c.last)) / 1000u);
        d = end - start + 1u;
        if (d == 0 || d > FTC_LIN_MAX_SPAN) {
            *done = i;
            return FTC_ERANGE;
        }
        if (!ftc_tab_room(t, d)) {
            *done = i;
            return FTC_EFULL;
        }
        for (sec = 0; sec < d; sec++) {
            uint8_t key[FTC_KEY_MAX] = {0};      /* the probe reads keys by words */
            int fresh = 0, bad = 0;
            ftc_agg_slot_t *s;
            put_be(key, start + sec, 4);
            s = (ftc_agg_slot_t *)(void *)ftc_tab_get(t, key, &fresh, &bad);
            if (!s)
                return FTC_EINVAL;      /* room was checked: a corrupt table */
            if (fresh)
                s->seq = t->used - 1u;
            s->flows++;                 /* records that touch this second */
            s->lflows += fl / d;
            s->loctets += (double)oc / d;
            s->lpackets += (double)pk / d;
        }
    }
    *done = n;
    return FTC_OK;
}

/* ---- rows as text (flow-stat, flow-report) ---- */

/* key field j of the slot's key as a number */
static uint32_t key_field(const ftc_tab_t *t, const ftc_key_spec_t *k, uint32_t i, int j)
{
    const uint8_t *kp = ftc_tab_at(t, i) + t->key_off;
    if (j < 0 || !k)
        return ftc_key_be(kp, t->key_len < 4 ? t->key_len : 4);
    return ftc_key_be(kp + k->off[j], k->width[j]);
}

/* the 128-bit address of key field j of slot i as host-order words */
static void key_addr6(const ftc_tab_t *t, const ftc_key_spec_t *k, uint32_t i, int j,
                      uint32_t w[4])
{
    const uint8_t *kp = ftc_tab_at(t, i) + t->key_off + k->off[j];
    uint32_t q;
    for (q = 0; q < 4; q++)
        w[q] = ftc_key_be(kp + 4u * q, 4);
}

/* a 128-bit address cell (FTC_CK_IP or FTC_CK_PREFIX): ftc_fmt_addr6's
   text; a prefix of an IPv4-mapped address as the IPv4 prefix of its last
   word (as on v5), any other's as its text "/" length */
static size_t addr6_cell(const ftc_tab_t *t, const ftc_key_spec_t *k, const ftc_col_t *c,
                         uint32_t i, char *p)
{
    uint32_t w[4], len;
    size_t n;
    key_addr6(t, k, i, c->field, w);
    if (c->kind != FTC_CK_PREFIX)
        return ftc_put_addr6(p, w);
    len = key_field(t, k, i, c->len_field);
    if (w[0] == 0 && w[1] == 0 && w[2] == FTC_MAPPED_WORD)
        return ftc_put_prefix(p, w[3], len);
    n = ftc_put_addr6(p, w);
    p[n++] = '/';
    return n + ftc_put_dec(p + n, len);
}

static int col_ok(const ftc_tab_t *t, const ftc_key_spec_t *k, const ftc_col_t *c)
{
    int rates = t->kind == FTC_TAB_AGGR, times = rates || t->kind == FTC_TAB_AGGT;
    if (c->kind < FTC_CK_DEC || c->kind > FTC_CK_PCT3 || c->width < 0
        || c->width > 4096 || c->cut < 0 || c->sep_len < 0 || c->sep_len > FTC_COL_SEP_MAX)
        return 0;
    if (c->kind == FTC_CK_SYM && (!c->sym || c->sym_kind < FTC_SYMK_PROT
                                  || c->sym_kind > FTC_SYMK_TAG || !c->sym->blob
                                  || c->sym->blob_len == 0
                                  || c->sym->blob[c->sym->blob_len - 1] != '\0'))
        return 0;
    switch (c->src) {
    case FTC_COL_KEY:
        if (c->field < -1 || (c->field >= 0 && (!k || (uint32_t)c->field >= k->n
                                               || k->n > FTC_KEY_FIELDS)))
            return 0;
        if (c->kind == FTC_CK_PREFIX && (!k || c->len_field < 0
                                         || (uint32_t)c->len_field >= k->n))
            return 0;
        /* a 128-bit address prints as an address or a prefix only */
        if (c->field >= 0 && k->width[c->field] == 16 && c->kind != FTC_CK_IP
            && c->kind != FTC_CK_PREFIX)
            return 0;
        return 1;
    case FTC_COL_INDEX:
    case FTC_COL_TEXT:
        return 1;
    default:
        if (by_rate(c->src) || c->src == FTC_AGG_BY_FRECS)
            return rates;
        if (c->src >= FTC_AGG_BY_DURATION && c->src <= FTC_AGG_BY_LAST)
            return times;
        return by_counter(c->src) || c->src == FTC_AGG_BY_SEQ;
    }
}

/* one cell (before padding) into p (FTC_COL_CELL_MAX bytes); its length */
static size_t cell(const ftc_tab_t *t, const ftc_key_spec_t *k, const ftc_col_t *c, uint32_t i,
                   uint64_t index, char *p)
{
    const ftc_agg_slot_t *s = (const ftc_agg_slot_t *)(const void *)ftc_tab_at(t, i);
    uint64_t u = 0;
    double d = 0;
    int is_d = 0, n;
    const char *name;

    switch (c->src) {
    case FTC_COL_TEXT:
        return 0;
    case FTC_COL_INDEX:
        u = index;
        break;
    case FTC_COL_KEY:
        if (c->field >= 0 && k->width[c->field] == 16)
            return addr6_cell(t, k, c, i, p);
        u = key_field(t, k, i, c->field);
        if (c->kind == FTC_CK_PREFIX)
            return ftc_put_prefix(p, (uint32_t)u, key_field(t, k, i, c->len_field));
        break;
    default:
        if (by_rate(c->src)) {
            d = rate_of(s, c->src);
            is_d = 1;
        } else
            u = value_of(t, i, c->src);
        break;
    }
    switch (c->kind) {
    case FTC_CK_IP:
        return ftc_put_ip(p, (uint32_t)u);
    case FTC_CK_SYM:
        if ((name = ftc_sym_name(c->sym, c->sym_kind, (uint32_t)u)) != NULL) {
            size_t l = strlen(name);
            if (l > FTC_COL_CELL_MAX - 1)
                l = FTC_COL_CELL_MAX - 1;
            memcpy(p, name, l);
            return l;
        }
        return ftc_put_dec64(p, u);
    case FTC_CK_F:
        n = snprintf(p, FTC_COL_CELL_MAX, "%f", is_d ? d : (double)u);
        break;
    case FTC_CK_PCT:
    case FTC_CK_PCT3:
        if (c->total == 0 && c->kind == FTC_CK_PCT) {
            memcpy(p, "-nan", 4);
            return 4;
        }
        d = (is_d ? d : (double)u) / c->total * 100.0;
        n = snprintf(p, FTC_COL_CELL_MAX, c->kind == FTC_CK_PCT ? "%f" : "%-6.3f", d);
        break;
    default:
        return ftc_put_dec64(p, is_d ? (uint64_t)d : u);
    }
    if (n < 0)
        return 0;
    return (size_t)n < FTC_COL_CELL_MAX ? (size_t)n : FTC_COL_CELL_MAX - 1;
}

/* rows whose slots are fetched ahead: in first-appearance or counter
   order the slots are all over a big table, one cache miss each */
#define FMT_AHEAD 32

/* how a column is written: the common cells without the general path */
enum { CF_GENERAL, CF_KEY_IP, CF_KEY_DEC, CF_U64_DEC };
typedef struct {
    int how;
    uint32_t off, width;        /* key bytes, or the counter's offset in the slot */
} col_fast_t;

static col_fast_t col_fast(const ftc_tab_t *t, const ftc_key_spec_t *k, const ftc_col_t *c)
{
    col_fast_t f = {CF_GENERAL, 0, 0};
    if (c->cut)
        return f;
    if (c->src == FTC_COL_KEY && (c->kind == FTC_CK_IP || c->kind == FTC_CK_DEC)) {
        if (c->field < 0) {
            f.off = 0;
            f.width = t->key_len;
        } else {
            f.off = k->off[c->field];
            f.width = k->width[c->field];
        }
        if (f.width > 4 || (c->kind == FTC_CK_IP && f.width != 4))
            return f;
        f.how = c->kind == FTC_CK_IP ? CF_KEY_IP : CF_KEY_DEC;
        return f;
    }
    if (c->kind != FTC_CK_DEC)
        return f;
    switch (c->src) {
    case FTC_AGG_BY_FLOWS:   f.off = offsetof(ftc_agg_slot_t, flows); break;
    case FTC_AGG_BY_OCTETS:  f.off = offsetof(ftc_agg_slot_t, octets); break;
    case FTC_AGG_BY_PACKETS: f.off = offsetof(ftc_agg_slot_t, packets); break;
    case FTC_AGG_BY_DURATION: f.off = offsetof(ftc_agg_slot_t, duration); break;
    default: return f;
    }
    f.how = CF_U64_DEC;
    return f;
}

int ftc_agg_format(const ftc_tab_t *t, const ftc_key_spec_t *key, const ftc_col_t *cols,
                   size_t ncols, const uint32_t *idx, size_t n, uint64_t index_start,
                   char *out, size_t cap, size_t *len, size_t *done)
{
    size_t r, j, at = 0, line_max = 1;
    col_fast_t fast[64];
    if (!ftc_tab_ok(t, 0) || !cols || ncols == 0 || ncols > 64 || (n && !idx) || !out
        || !len || !done)
        return FTC_EINVAL;
    *len = 0;
    *done = 0;
    for (j = 0; j < ncols; j++) {
        if (!col_ok(t, key, &cols[j]))
            return FTC_EINVAL;
        fast[j] = col_fast(t, key, &cols[j]);
        line_max += FTC_COL_CELL_MAX + (size_t)cols[j].width + FTC_COL_SEP_MAX;
    }
    for (r = 0; r < n; r++) {
        uint32_t i = idx[r];
        const uint8_t *slot;
        if (i >= t->cap || !ftc_tab_tag_at(t, i))
            return FTC_EINVAL;
        if (cap - at < line_max) {
            *len = at;
            *done = r;
            return FTC_EFULL;
        }
        if (r + FMT_AHEAD < n && idx[r + FMT_AHEAD] < t->cap)
            __builtin_prefetch(ftc_tab_at(t, idx[r + FMT_AHEAD]));   /* rows to come */
        slot = ftc_tab_at(t, i);
        for (j = 0; j < ncols; j++) {
            const ftc_col_t *c = &cols[j];
            const col_fast_t *f = &fast[j];
            size_t l;
            uint64_t v;
            switch (f->how) {
            case CF_KEY_IP:
                l = ftc_put_ip(out + at, ftc_key_be(slot + t->key_off + f->off, 4));
                break;
            case CF_KEY_DEC:
                l = ftc_put_dec(out + at, ftc_key_be(slot + t->key_off + f->off, f->width));
                break;
            case CF_U64_DEC:
                memcpy(&v, slot + f->off, 8);
                l = ftc_put_dec64(out + at, v);
                break;
            default:
                l = cell(t, key, c, i, index_start + r, out + at);
                if (c->cut > 0 && l > (size_t)c->cut)
                    l = (size_t)c->cut;
                break;
            }
            at += l;
            if (l < (size_t)c->width) {
                memset(out + at, ' ', (size_t)c->width - l);
                at += (size_t)c->width - l;
            }
            memcpy(out + at, c->sep, (size_t)c->sep_len);
            at += (size_t)c->sep_len;
        }
        out[at++] = '\n';
    }
    *len = at;
    *done = n;
    return FTC_OK;
}

int ftc_agg_key_ipv6(const ftc_tab_t *t, const ftc_key_spec_t *key, int field)
{
    uint32_t i, w[4];
    if (!ftc_tab_ok(t, 0) || !key || field < 0 || key->n > FTC_KEY_FIELDS
        || (uint32_t)field >= key->n || key->width[field] != 16
        || (uint32_t)key->off[field] + 16u > t->key_len)
        return FTC_EINVAL;
    for (i = 0; i < t->cap; i++) {
        if (!ftc_tab_tag_at(t, i))
            continue;
        key_addr6(t, key, i, field, w);
        if (w[0] != 0 || w[1] != 0 || w[2] != FTC_MAPPED_WORD)
            return 1;
    }
    return 0;
}
