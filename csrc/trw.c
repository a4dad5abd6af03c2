/* trw.c -- flow-trw: scan detection by Threshold Random Walk (Jung,
 * Paxson, Berger, Balakrishnan, "Fast Portscan Detection Using Sequential
 * Hypothesis Testing", IEEE S&P 2004).
 *
 * Flows are not in time order in the files, and an answer may come before
 * or after the attempt it answers, so the outcome of a first contact is
 * decided at the end, in two phases over caller-owned tables (ftcore.h):
 *
 *   ftc_trw_add     one pass over the records: per (source, destination)
 *                   the earliest attempt; per answering 5-tuple the time
 *                   hull of its answers; per source its state;
 *   ftc_trw_finish  outcomes (the attempt's own ACK, or an answer of the
 *                   reversed 5-tuple overlapping it in time), then the walk
 *                   per source over its first contacts by start time.
 *
 * Memory follows the distinct (source, destination) pairs and answering
 * 5-tuples, never the flows, and stops at the caller's caps.
 *
 * Addresses are 32-bit (v1, v5, ...: contact keys of 8 bytes, source keys
 * of 4) or, on v1006, 128-bit (contact keys of 32 bytes, source keys of
 * 16: the four words big-endian; IPv4 flows are their mapped addresses, so
 * they meet the same outcomes and walks as in IPv4 records).  The two
 * record loops are one always-inline body specialised by `six`: the IPv4
 * one keeps its keys in registers. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"
#include "ftc_table.h"

#define TRW_SYN 0x02u
#define TRW_ACK 0x10u
#define TRW_TCP 6u
#define TRW_UDP 17u
#define TRW_ICMP 1u
#define TRW_ICMP6 58u
#define TRW_ECHO 2048u           /* ICMP type 8 code 0 in dstport */
#define TRW_ECHO_REPLY 0u        /* type 0 code 0 */
#define TRW_ECHO6 0x8000u        /* ICMPv6 type 128 (echo request) code 0 */
#define TRW_ECHO6_REPLY 0x8100u  /* type 129 code 0 */
#define TRW_CKEY6 32u            /* v1006 contact key: source | destination, 128-bit */
#define TRW_SKEY6 16u            /* v1006 source key */
#define TRW_RKEY 8u              /* reply key bytes: the 5-tuple's fingerprint */

_Static_assert(sizeof(ftc_trw_contact_t) == 32, "contact slot value");
_Static_assert(offsetof(ftc_trw_src_t, tag) == 60, "source slot value");

typedef struct {
    int src, dst, sp, dp, prot, fl, first, last, secs, nsecs, up;
    int six;                 /* v1006: the upper words of both addresses */
    int src6[3], dst6[3];
} trw_offs_t;

static int trw_offsets(const ftc_layout_t *L, trw_offs_t *o)
{
    o->src = L->off[FTC_F_SRCADDR];
    o->dst = L->off[FTC_F_DSTADDR];
    o->sp = L->off[FTC_F_SRCPORT];
    o->dp = L->off[FTC_F_DSTPORT];
    o->prot = L->off[FTC_F_PROT];
    o->fl = L->off[FTC_F_TCP_FLAGS];
    o->first = L->off[FTC_F_FIRST];
    o->last = L->off[FTC_F_LAST];
    o->secs = L->off[FTC_F_UNIX_SECS];
    o->nsecs = L->off[FTC_F_UNIX_NSECS];
    o->up = L->off[FTC_F_SYSUPTIME];
    o->six = L->version == 1006;
    if (o->six) {
        int k;
        for (k = 0; k < 3; k++) {
            o->src6[k] = L->off[FTC_F_SRCADDR6_0 + k];
            o->dst6[k] = L->off[FTC_F_DSTADDR6_0 + k];
            if (o->src6[k] < 0 || o->dst6[k] < 0)
                return FTC_EFIELD;
        }
    }
    if (o->src < 0 || o->dst < 0 || o->sp < 0 || o->dp < 0
        || o->prot < 0 || o->fl < 0 || o->first < 0 || o->last < 0 || o->secs < 0
        || o->up < 0)
        return FTC_EFIELD;
    return FTC_OK;
}

static int trw_state_ok(const ftc_trw_t *st)
{
    return st && (st->local || !st->n_local) && st->max_contacts && st->max_per_source
        && st->max_replies;
}

/* the tables of one run: 32-bit keys (contacts 8 bytes, sources 4) or
   128-bit ones (32 and 16) */
static int trw_tables_ok(const ftc_tab_t *c, const ftc_tab_t *r, const ftc_tab_t *s)
{
    return ftc_tab_ok(c, FTC_TAB_TRWC) && (c->key_len == 8 || c->key_len == TRW_CKEY6)
        && (!r || (ftc_tab_ok(r, FTC_TAB_TRWR) && r->key_len == TRW_RKEY))
        && ftc_tab_ok(s, FTC_TAB_TRWS) && s->key_len == (c->key_len == 8 ? 4 : TRW_SKEY6);
}

static inline int trw_six(const ftc_tab_t *c)
{
    return c->key_len == TRW_CKEY6;
}

/* the local set's ranges are 128-bit (zone.c): an IPv4 address is looked
   up as its mapped form ::ffff:a.b.c.d (upper half 0, lower 0xffff:a) */
static inline int trw_local(const ftc_trw_t *st, uint32_t a)
{
    const uint32_t w[4] = {0, 0, 0xFFFFu, a};
    const uint64_t low = (uint64_t)0xFFFFu << 32 | a;
    size_t k;
    if (!st->local)
        return 1;
    if (st->n_local > 8)
        return ftc_zone_lookup(st->local, st->n_local, w) >= 0;
    for (k = 0; k < st->n_local; k++) {     /* a few ranges: no call, no search */
        const ftc_zone_range_t *r = &st->local[k];
        if ((r->lo[0] == 0 && r->lo[1] <= low) && (r->hi[0] > 0 || r->hi[1] >= low))
            return 1;
    }
    return 0;
}

/* the same for a 128-bit address (four words, most significant first) */
static inline int trw_local6(const ftc_trw_t *st, const uint32_t *w)
{
    const uint64_t hi = (uint64_t)w[0] << 32 | w[1], lo = (uint64_t)w[2] << 32 | w[3];
    size_t k;
    if (!st->local)
        return 1;
    if (st->n_local > 8)
        return ftc_zone_lookup(st->local, st->n_local, w) >= 0;
    for (k = 0; k < st->n_local; k++) {
        const ftc_zone_range_t *r = &st->local[k];
        if ((r->lo[0] < hi || (r->lo[0] == hi && r->lo[1] <= lo))
            && (r->hi[0] > hi || (r->hi[0] == hi && r->hi[1] >= lo)))
            return 1;
    }
    return 0;
}

/* absolute ms of a time field (First or Last) */
static int64_t trw_ms(const trw_offs_t *o, const uint8_t *r, int field)
{
    int64_t ms = (int64_t)ftc_ld32(r + o->secs) * 1000;
    if (o->nsecs >= 0)
        ms += ftc_ld32(r + o->nsecs) / 1000000u;
    return ms - (int64_t)ftc_ld32(r + o->up) + (int64_t)ftc_ld32(r + field);
}

/* the answer key: a 64-bit fingerprint of (answerer, answered, srcport,
   dstport, prot); two 5-tuples share one with probability 2^-64 */
static uint64_t trw_reply_key(uint32_t from, uint32_t to, uint32_t sp, uint32_t dp,
                              uint32_t prot)
{
    uint64_t h = ftc_mix64(((uint64_t)from << 32 | to) ^ 0x9e3779b97f4a7c15ull);
    return ftc_mix64(h ^ ((uint64_t)sp << 24 | (uint64_t)dp << 8 | prot));
}

/* the same of 128-bit addresses (four words each) */
static uint64_t trw_reply_key6(const uint32_t *from, const uint32_t *to, uint32_t sp,
                               uint32_t dp, uint32_t prot)
{
    uint64_t h = ftc_mix64(((uint64_t)from[0] << 32 | from[1]) ^ 0x9e3779b97f4a7c15ull);
    h = ftc_mix64(h ^ ((uint64_t)from[2] << 32 | from[3]));
    h = ftc_mix64(h ^ ((uint64_t)to[0] << 32 | to[1]) ^ 0x6a09e667f3bcc909ull);
    h = ftc_mix64(h ^ ((uint64_t)to[2] << 32 | to[3]));
    return ftc_mix64(h ^ ((uint64_t)sp << 24 | (uint64_t)dp << 8 | prot));
}

/* four words, most significant first, as 16 big-endian key bytes */
static inline void trw_key6(uint8_t *k, const uint32_t *w)
{
    ftc_stbe32(k, w[0]);
    ftc_stbe32(k + 4, w[1]);
    ftc_stbe32(k + 8, w[2]);
    ftc_stbe32(k + 12, w[3]);
}

static inline void trw_words6(uint32_t *w, const uint8_t *k)
{
    w[0] = ftc_key_be(k, 4);
    w[1] = ftc_key_be(k + 4, 4);
    w[2] = ftc_key_be(k + 8, 4);
    w[3] = ftc_key_be(k + 12, 4);
}

static ftc_trw_src_t *trw_src_at(const ftc_tab_t *t, uint32_t i)
{
    return (ftc_trw_src_t *)(void *)ftc_tab_at(t, i);
}

static ftc_trw_contact_t *trw_contact_at(const ftc_tab_t *t, uint32_t i)
{
    return (ftc_trw_contact_t *)(void *)ftc_tab_at(t, i);
}

/* fetch the tag of the home slot of a tag (a read prefetch: the baseline
   x86-64 target has no write prefetch and drops ftc_tab_prefetch's) */
static inline void trw_prefetch(const ftc_tab_t *t, uint32_t tag)
{
    __builtin_prefetch(ftc_tab_at(t, tag & (t->cap - 1)) + t->val_len, 0);
}

/* records parsed and hashed ahead, their home slots prefetched, so that
   the table misses of TRW_AHEAD records overlap */
#define TRW_AHEAD 32

typedef struct {
    uint64_t ckey;           /* 32-bit addresses: the contact key as a word */
    int64_t start, end;
    uint64_t rkey;
    uint32_t ctag, rtag, src, dst, sp, dp, prot, fl, slocal;
    int attempt, answer;
    uint32_t s6[4], d6[4];   /* v1006: the addresses */
    uint8_t ck6[TRW_CKEY6];  /* v1006: the contact key (its first 16 bytes: the source key) */
} trw_rec_t;

/* attempts: TCP with SYN, UDP, ICMP / ICMPv6 echo request */
static inline int trw_is_attempt(uint32_t prot, uint32_t fl, uint32_t dp)
{
    return (prot == TRW_TCP && (fl & TRW_SYN)) || prot == TRW_UDP
           || (prot == TRW_ICMP && dp == TRW_ECHO) || (prot == TRW_ICMP6 && dp == TRW_ECHO6);
}

/* answers: TCP SYN+ACK, any UDP, ICMP / ICMPv6 echo reply */
static inline int trw_is_answer(uint32_t prot, uint32_t fl, uint32_t dp)
{
    return (prot == TRW_TCP && (fl & (TRW_SYN | TRW_ACK)) == (TRW_SYN | TRW_ACK))
           || prot == TRW_UDP || (prot == TRW_ICMP && dp == TRW_ECHO_REPLY)
           || (prot == TRW_ICMP6 && dp == TRW_ECHO6_REPLY);
}

/* an answer's ports in its key: none for ICMP and ICMPv6 */
static inline int trw_portless(uint32_t prot)
{
    return prot == TRW_ICMP || prot == TRW_ICMP6;
}

/* the fields of record r into *x; 0 when it is neither an attempt nor an
   answer (or has no local end) */
static inline __attribute__((always_inline)) int trw_parse(const ftc_trw_t *st,
                                                           const trw_offs_t *o,
                                                           const uint8_t *r, trw_rec_t *x,
                                                           const int six)
{
    x->src = ftc_ld32(r + o->src);
    x->dst = ftc_ld32(r + o->dst);
    x->prot = r[o->prot];
    x->fl = r[o->fl];
    x->dp = ftc_ld16(r + o->dp);
    x->sp = ftc_ld16(r + o->sp);
    x->attempt = trw_is_attempt(x->prot, x->fl, x->dp);
    x->answer = trw_is_answer(x->prot, x->fl, x->dp);
    if (!x->attempt && !x->answer)
        return 0;
    if (six) {
        int k;
        for (k = 0; k < 3; k++) {
            x->s6[k] = ftc_ld32(r + o->src6[k]);
            x->d6[k] = ftc_ld32(r + o->dst6[k]);
        }
        x->s6[3] = x->src;
        x->d6[3] = x->dst;
        x->slocal = (uint32_t)trw_local6(st, x->s6);
        if (!x->slocal && !trw_local6(st, x->d6))
            return 0;
    } else {
        x->slocal = (uint32_t)trw_local(st, x->src);
        if (!x->slocal && !trw_local(st, x->dst))
            return 0;
    }
    x->start = trw_ms(o, r, o->first);
    x->end = trw_ms(o, r, o->last);
    if (x->end < x->start)
        x->end = x->start;
    return 1;
}

/* one parsed record into the tables: FTC_OK, FTC_EFULL (nothing changed),
   FTC_EINVAL */
static inline __attribute__((always_inline)) int trw_take(ftc_trw_t *st, ftc_tab_t *contacts,
                                                          ftc_tab_t *replies, ftc_tab_t *srcs,
                                                          const trw_rec_t *x, const int six)
{
    uint32_t ci = 0, si = 0, ri = 0, stag = 0;
    uint64_t skey = 0;
    int cnew = 0, snew = 0, rnew = 0, chold = 0, rhold = 0;
    uint32_t dur = (uint32_t)(x->end - x->start > UINT32_MAX ? UINT32_MAX
                                                             : x->end - x->start);
    /* look everything up first: a record is taken whole or not at all */
    if (x->attempt) {
        ci = six ? ftc_tab_probe(contacts, x->ck6, x->ctag)
                 : ftc_tab_probe_word(contacts, x->ckey, x->ctag, 8);
        if (ci == FTC_TAB_NONE)
            return FTC_EINVAL;
        cnew = ftc_tab_tag_at(contacts, ci) == 0;
        if (cnew) {
            if (six) {
                stag = ftc_tag(ftc_hash(x->ck6, TRW_SKEY6));
                si = ftc_tab_probe(srcs, x->ck6, stag);
            } else {
                skey = ftc_bswap32(x->src);
                stag = ftc_tag(ftc_hash_word(skey, 4));
                si = ftc_tab_probe_word(srcs, skey, stag, 4);
            }
            if (si == FTC_TAB_NONE)
                return FTC_EINVAL;
            snew = ftc_tab_tag_at(srcs, si) == 0;
            chold = contacts->used < st->max_contacts
                    && (snew || trw_src_at(srcs, si)->contacts < st->max_per_source);
        }
    }
    if (x->answer) {
        ri = ftc_tab_probe_word(replies, x->rkey, x->rtag, TRW_RKEY);
        if (ri == FTC_TAB_NONE)
            return FTC_EINVAL;
        rnew = ftc_tab_tag_at(replies, ri) == 0;
        rhold = !rnew || replies->used < st->max_replies;
    }
    {
        int room = 1;
        if (chold && !ftc_tab_room(contacts, 1))
            room = 0;
        if (chold && snew && !ftc_tab_room(srcs, 1))
            room = 0;
        if (rnew && rhold && !ftc_tab_room(replies, 1))
            room = 0;
        if (!room)
            return FTC_EFULL;
    }
    if (x->attempt) {
        ftc_trw_contact_t *c = NULL;
        st->attempts++;
        if (cnew && chold) {
            ftc_trw_src_t *s;
            if (!snew)
                s = trw_src_at(srcs, si);
            else if (six)
                s = (ftc_trw_src_t *)(void *)ftc_tab_claim(srcs, si, x->ck6, stag);
            else
                s = (ftc_trw_src_t *)(void *)ftc_tab_claim_word(srcs, si, skey, stag, 4);
            c = (ftc_trw_contact_t *)(void *)(
                six ? ftc_tab_claim(contacts, ci, x->ck6, x->ctag)
                    : ftc_tab_claim_word(contacts, ci, x->ckey, x->ctag, 8));
            if (snew) {
                s->lambda = s->peak = 1.0;
                s->flags = x->slocal ? FTC_TRW_LOCAL : 0;
            }
            s->contacts++;
        } else if (cnew) {
            st->contacts_dropped++;
            if (!snew)
                trw_src_at(srcs, si)->dropped++;
        } else {
            c = trw_contact_at(contacts, ci);
            if (x->start >= c->start)
                c = NULL;           /* not earlier: the first contact stays */
        }
        if (c) {
            c->start = x->start;
            c->seq = st->records;
            c->dur = dur;
            c->srcport = (uint16_t)x->sp;
            c->dstport = (uint16_t)x->dp;
            c->prot = (uint8_t)x->prot;
            c->flags = (uint8_t)x->fl;
            c->outcome = 0;
        }
    }
    if (x->answer) {
        if (rnew && rhold) {
            ftc_trw_reply_t *a = (ftc_trw_reply_t *)(void *)ftc_tab_claim_word(
                replies, ri, x->rkey, x->rtag, TRW_RKEY);
            a->start = x->start;
            a->end = x->end;
        } else if (rnew) {
            st->replies_dropped++;
        } else {
            ftc_trw_reply_t *a = (ftc_trw_reply_t *)(void *)ftc_tab_at(replies, ri);
            if (x->start < a->start)
                a->start = x->start;
            if (x->end > a->end)
                a->end = x->end;
        }
    }
    return FTC_OK;
}

/* records [*done, n): parsed and hashed TRW_AHEAD at a time, then taken */
static inline __attribute__((always_inline)) int trw_add_loop(ftc_trw_t *st,
                                                              ftc_tab_t *contacts,
                                                              ftc_tab_t *replies,
                                                              ftc_tab_t *srcs,
                                                              const trw_offs_t *o,
                                                              const uint8_t *recs, size_t n,
                                                              size_t rs, size_t *done,
                                                              const int six)
{
    trw_rec_t stage[TRW_AHEAD];
    int keep[TRW_AHEAD];
    size_t i, j, m;
    int err;
    for (i = *done; i < n; i += m) {
        m = n - i < TRW_AHEAD ? n - i : TRW_AHEAD;
        for (j = 0; j < m; j++) {
            const uint8_t *r = recs + (i + j) * rs;
            trw_rec_t *x = &stage[j];
            if (n - (i + j) > TRW_AHEAD)
                __builtin_prefetch(r + TRW_AHEAD * rs);
            keep[j] = trw_parse(st, o, r, x, six);
            if (!keep[j])
                continue;
            if (x->attempt) {
                if (six) {
                    trw_key6(x->ck6, x->s6);
                    trw_key6(x->ck6 + TRW_SKEY6, x->d6);
                    x->ctag = ftc_tag(ftc_hash(x->ck6, TRW_CKEY6));
                } else {
                    x->ckey = ftc_bswap32(x->src) | (uint64_t)ftc_bswap32(x->dst) << 32;
                    x->ctag = ftc_tag(ftc_hash_word(x->ckey, 8));
                }
                trw_prefetch(contacts, x->ctag);
            }
            if (x->answer) {
                uint32_t a = trw_portless(x->prot) ? 0 : x->sp;
                uint32_t b = trw_portless(x->prot) ? 0 : x->dp;
                x->rkey = six ? trw_reply_key6(x->s6, x->d6, a, b, x->prot)
                              : trw_reply_key(x->src, x->dst, a, b, x->prot);
                x->rtag = ftc_tag(ftc_hash_word(x->rkey, TRW_RKEY));
                trw_prefetch(replies, x->rtag);
            }
        }
        for (j = 0; j < m; j++) {
            if (keep[j]
                && (err = trw_take(st, contacts, replies, srcs, &stage[j], six)) != FTC_OK) {
                *done = i + j;
                return err;
            }
            st->records++;
        }
    }
    *done = n;
    return FTC_OK;
}

int ftc_trw_add(ftc_trw_t *st, ftc_tab_t *contacts, ftc_tab_t *replies, ftc_tab_t *srcs,
                int rt, const uint8_t *recs, size_t n, size_t size, size_t *done)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    trw_offs_t o;
    size_t rs;
    int err;
    if (!L || !trw_state_ok(st) || !trw_tables_ok(contacts, replies, srcs) || !replies
        || !done || *done > n || (n && !recs))
        return FTC_EINVAL;
    rs = L->rec_size;
    if (n > size / rs)
        return FTC_EINVAL;
    if ((err = trw_offsets(L, &o)) != FTC_OK)
        return err;
    if (o.six != trw_six(contacts))
        return FTC_EINVAL;          /* 128-bit records want 128-bit tables, and only they */
    if (o.six)
        return trw_add_loop(st, contacts, replies, srcs, &o, recs, n, rs, done, 1);
    return trw_add_loop(st, contacts, replies, srcs, &o, recs, n, rs, done, 0);
}

/* ---- the end: outcomes, then the walks ---------------------------------- */

static const uint8_t *trw_ckey(const ftc_tab_t *c, uint32_t i)
{
    return ftc_tab_at(c, i) + c->key_off;
}

static uint32_t trw_src_of(const ftc_tab_t *c, uint32_t i)
{
    return ftc_key_be(trw_ckey(c, i), 4);
}

static uint32_t trw_dst_of(const ftc_tab_t *c, uint32_t i)
{
    return ftc_key_be(trw_ckey(c, i) + 4, 4);
}

/* the source slot of a source key (4 or 16 bytes, as the table's), or
   FTC_TAB_NONE */
static uint32_t trw_src_find(const ftc_tab_t *s, const uint8_t *key)
{
    uint32_t i;
    if (s->key_len == 4) {
        uint64_t v = ftc_key_ld(key, 4);
        uint32_t tag = ftc_tag(ftc_hash_word(v, 4));
        i = ftc_tab_probe_word(s, v, tag, 4);
    } else {
        i = ftc_tab_probe(s, key, ftc_tag(ftc_hash(key, s->key_len)));
    }
    return i == FTC_TAB_NONE || !ftc_tab_tag_at(s, i) ? FTC_TAB_NONE : i;
}

/* the source slot of contact i (present by construction; NONE if the
   caller's tables disagree): the contact key begins with the source key */
static uint32_t trw_src_slot(const ftc_tab_t *c, const ftc_tab_t *s, uint32_t i)
{
    return trw_src_find(s, trw_ckey(c, i));
}

static int trw_answered(const ftc_tab_t *c, const ftc_tab_t *replies, uint32_t i)
{
    const ftc_trw_contact_t *x = trw_contact_at(c, i);
    const ftc_trw_reply_t *a;
    uint32_t sp = trw_portless(x->prot) ? 0 : x->srcport;
    uint32_t dp = trw_portless(x->prot) ? 0 : x->dstport;
    uint64_t k;
    uint32_t j, tag;
    if (x->prot == TRW_TCP && (x->flags & TRW_ACK))
        return 1;
    if (trw_six(c)) {
        uint32_t s6[4], d6[4];
        trw_words6(s6, trw_ckey(c, i));
        trw_words6(d6, trw_ckey(c, i) + TRW_SKEY6);
        k = trw_reply_key6(d6, s6, dp, sp, x->prot);
    } else {
        k = trw_reply_key(trw_dst_of(c, i), trw_src_of(c, i), dp, sp, x->prot);
    }
    tag = ftc_tag(ftc_hash_word(k, TRW_RKEY));
    j = ftc_tab_probe_word(replies, k, tag, TRW_RKEY);
    if (j == FTC_TAB_NONE || !ftc_tab_tag_at(replies, j))
        return 0;
    a = (const ftc_trw_reply_t *)(const void *)ftc_tab_at(replies, j);
    return a->start <= x->start + (int64_t)x->dur && a->end >= x->start;
}

typedef struct {
    const ftc_tab_t *c, *s;
    uint32_t min_failures;
} trw_ctx_t;

static int trw_keep(const void *ctx, uint32_t i)
{
    const trw_ctx_t *x = ctx;
    uint32_t j;
    if (!ftc_tab_tag_at(x->c, i))
        return 0;
    j = trw_src_slot(x->c, x->s, i);
    return j != FTC_TAB_NONE && trw_src_at(x->s, j)->failures >= x->min_failures;
}

/* (source, start, input order) */
static int trw_before(const void *ctx, uint32_t a, uint32_t b)
{
    const ftc_tab_t *c = ((const trw_ctx_t *)ctx)->c;
    const ftc_trw_contact_t *x = trw_contact_at(c, a), *y = trw_contact_at(c, b);
    if (trw_six(c)) {
        int d = memcmp(trw_ckey(c, a), trw_ckey(c, b), TRW_SKEY6);
        if (d)
            return d < 0;
    } else {
        uint32_t sa = trw_src_of(c, a), sb = trw_src_of(c, b);
        if (sa != sb)
            return sa < sb;
    }
    if (x->start != y->start)
        return x->start < y->start;
    return x->seq < y->seq;
}

int64_t ftc_trw_finish(const ftc_trw_t *st, ftc_tab_t *contacts, const ftc_tab_t *replies,
                       ftc_tab_t *srcs, uint32_t min_failures, uint32_t *idx,
                       uint32_t *scratch, size_t n_idx)
{
    trw_ctx_t ctx;
    int64_t m, flagged = 0;
    uint32_t i, cur = FTC_TAB_NONE, walked = 0, failed = 0;
    if (!trw_state_ok(st) || !trw_tables_ok(contacts, replies, srcs) || !replies
        || n_idx < contacts->used || (n_idx && (!idx || !scratch)))
        return FTC_EINVAL;
    for (i = 0; i < srcs->cap; i++) {
        ftc_trw_src_t *s = trw_src_at(srcs, i);
        if (!ftc_tab_tag_at(srcs, i))
            continue;
        s->lambda = s->peak = 1.0;
        s->failures = s->successes = s->benign = s->to_flag = s->fail_to_flag = 0;
        s->flagged_at = 0;
        s->flags &= ~(uint32_t)FTC_TRW_FLAGGED;
    }
    for (i = 0; i < contacts->cap; i++) {
        ftc_trw_contact_t *c = trw_contact_at(contacts, i);
        ftc_trw_src_t *s;
        uint32_t j;
        if (!ftc_tab_tag_at(contacts, i))
            continue;
        if ((j = trw_src_slot(contacts, srcs, i)) == FTC_TAB_NONE)
            return FTC_EINVAL;
        s = trw_src_at(srcs, j);
        c->outcome = trw_answered(contacts, replies, i) ? FTC_TRW_SUCCESS : FTC_TRW_FAILURE;
        if (c->outcome == FTC_TRW_SUCCESS)
            s->successes++;
        else
            s->failures++;
    }
    ctx.c = contacts;
    ctx.s = srcs;
    ctx.min_failures = min_failures;
    m = ftc_rank_idx(contacts->cap, contacts->used, trw_keep, trw_before, &ctx, SIZE_MAX,
                     idx, scratch, n_idx);
    if (m < 0)
        return FTC_EINVAL;
    for (i = 0; i < (uint32_t)m; i++) {
        const ftc_trw_contact_t *c = trw_contact_at(contacts, idx[i]);
        ftc_trw_src_t *s;
        uint32_t j = trw_src_slot(contacts, srcs, idx[i]);
        if (j == FTC_TAB_NONE)
            return FTC_EINVAL;
        if (j != cur) {
            cur = j;
            walked = failed = 0;
        }
        s = trw_src_at(srcs, j);
        if (s->flags & FTC_TRW_FLAGGED)
            continue;               /* a scanner is final */
        walked++;
        if (c->outcome == FTC_TRW_FAILURE) {
            failed++;
            s->lambda *= st->f_failure;
        } else {
            s->lambda *= st->f_success;
        }
        if (s->lambda > s->peak)
            s->peak = s->lambda;
        if (s->lambda >= st->eta1) {
            s->flags |= FTC_TRW_FLAGGED;
            s->flagged_at = c->start;
            s->to_flag = walked;
            s->fail_to_flag = failed;
            flagged++;
        } else if (s->lambda <= st->eta0) {
            s->benign++;
            s->lambda = 1.0;        /* benign for now: the walk starts again */
        }
    }
    return flagged;
}

int ftc_trw_ports(const ftc_tab_t *contacts, const ftc_tab_t *srcs, ftc_tab_t *pairs,
                  uint32_t *done)
{
    uint32_t i;
    uint32_t hl;
    if (!trw_tables_ok(contacts, NULL, srcs) || !ftc_tab_ok(pairs, FTC_TAB_PR))
        return FTC_EINVAL;
    hl = srcs->key_len;
    if (pairs->key_len != hl + 3 || !done || *done > contacts->cap)
        return FTC_EINVAL;
    for (i = *done; i < contacts->cap; i++) {
        const ftc_trw_contact_t *c = trw_contact_at(contacts, i);
        ftc_pr_slot_t *p;
        uint8_t k[TRW_SKEY6 + 3];
        uint32_t j;
        int fresh = 0, bad = 0;
        if (!ftc_tab_tag_at(contacts, i))
            continue;
        if ((j = trw_src_slot(contacts, srcs, i)) == FTC_TAB_NONE)
            return FTC_EINVAL;
        if (!(trw_src_at(srcs, j)->flags & FTC_TRW_FLAGGED))
            continue;
        memcpy(k, trw_ckey(contacts, i), hl);
        k[hl] = c->prot;
        ftc_stbe16(k + hl + 1, c->dstport);
        p = (ftc_pr_slot_t *)(void *)ftc_tab_get(pairs, k, &fresh, &bad);
        if (!p) {
            *done = i;
            return bad ? FTC_EINVAL : FTC_EFULL;
        }
        p->flows++;
        p->hits += c->outcome == FTC_TRW_FAILURE;
    }
    *done = contacts->cap;
    return FTC_OK;
}

int ftc_trw_keep(const ftc_tab_t *srcs, int rt, uint8_t *recs, size_t n, size_t size,
                 size_t *kept)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    trw_offs_t o;
    size_t i, k = 0, rs;
    int err;
    if (!L || !ftc_tab_ok(srcs, FTC_TAB_TRWS)
        || (srcs->key_len != 4 && srcs->key_len != TRW_SKEY6) || !kept || (n && !recs))
        return FTC_EINVAL;
    rs = L->rec_size;
    if (n > size / rs)
        return FTC_EINVAL;
    if ((err = trw_offsets(L, &o)) != FTC_OK)
        return err;
    if (o.six != (srcs->key_len == TRW_SKEY6))
        return FTC_EINVAL;
    for (i = 0; i < n; i++) {
        uint8_t *r = recs + i * rs;
        uint8_t key[TRW_SKEY6];
        uint32_t j;
        if (o.six) {
            uint32_t w[4] = {ftc_ld32(r + o.src6[0]), ftc_ld32(r + o.src6[1]),
                             ftc_ld32(r + o.src6[2]), ftc_ld32(r + o.src)};
            trw_key6(key, w);
        } else {
            ftc_stbe32(key, ftc_ld32(r + o.src));
        }
        j = trw_src_find(srcs, key);
        if (j == FTC_TAB_NONE || !(trw_src_at(srcs, j)->flags & FTC_TRW_FLAGGED))
            continue;
        if (i != k)
            memmove(recs + k * rs, r, rs);
        k++;
    }
    *kept = k;
    return FTC_OK;
}
