/* portrank.c -- the "TCP flags" method of the worm-hunting articles in one
 * pass: per (host, port) counts of all flows and of the flows matching a
 * TCP flag rule (SYN only, RST|ACK only, ...), then the report: hosts whose
 * matching flows reach a threshold, each with its ports ranked.
 *
 * Memory is the caller's table: one slot per distinct (host, port) pair,
 * whatever the number of records. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"
#include "ftc_table.h"

/* records hashed ahead (large tables), and how far ahead the records
   to come are prefetched */
#define PR_AHEAD 16

/* tables up to this many bytes are counted record by record; larger ones
   PR_AHEAD records at a time, their slots fetched ahead (as agg.c) */
#define PR_CACHED (1u << 20)

/* the counting loop; klen is the key's length; `a4p2`: the usual key (a
   32-bit address and a 16-bit port, klen 6), built without the generic
   field loop; `ahead` as in agg.c */
static inline __attribute__((always_inline)) int pr_loop(ftc_tab_t *tab, const ftc_key_spec_t *k,
                                                         const int *roff, int oprot, int oflags,
                                                         const uint8_t *recs, size_t n,
                                                         size_t rs, unsigned value,
                                                         unsigned mask, int all, uint32_t klen,
                                                         int a4p2, int ahead, size_t *done)
{
    ftc_tab_t tl = *tab, *t = &tl;  /* a local copy: slot stores never force reloads */
    const size_t stage = ahead ? PR_AHEAD : 1;
    uint64_t keys[PR_AHEAD];
    uint32_t tags[PR_AHEAD];
    unsigned match[PR_AHEAD];
    size_t i, m, j;
    int st = FTC_OK;
    for (i = *done; i < n; i += m) {
        m = n - i < stage ? n - i : stage;
        for (j = 0; j < m; j++) {
            const uint8_t *r = recs + (i + j) * rs;
            if (n - (i + j) > PR_AHEAD)
                __builtin_prefetch(r + PR_AHEAD * rs);      /* the records to come */
            match[j] = r[oprot] == FTC_TCP_PROT && (r[oflags] & mask) == value;
            if (!match[j] && !all)
                continue;
            if (a4p2)           /* a 32-bit address and a 16-bit port */
                keys[j] = ftc_bswap32(ftc_ld32(r + roff[0]))
                          | (uint64_t)ftc_bswap16(ftc_ld16(r + roff[1])) << 32;
            else
                keys[j] = ftc_key_word(k, roff, r, 0, 2);
            tags[j] = ftc_tag(ftc_hash_word(keys[j], klen));
            if (ahead)
                ftc_tab_prefetch(t, tags[j]);
        }
        for (j = 0; j < m; j++) {
            ftc_pr_slot_t *s;
            uint32_t si;
            if (!match[j] && !all)
                continue;
            si = ftc_tab_probe_word(t, keys[j], tags[j], klen);
            if (si == FTC_TAB_NONE) {
                st = FTC_EINVAL;
                goto out;
            }
            if (ftc_tab_tag_at(t, si) != 0)
                s = (ftc_pr_slot_t *)(void *)ftc_tab_at(t, si);
            else if (ftc_tab_room(t, 1))
                s = (ftc_pr_slot_t *)(void *)ftc_tab_claim_word(t, si, keys[j], tags[j], klen);
            else {
                *done = i + j;
                st = FTC_EFULL;
                goto out;
            }
            s->flows++;
            s->hits += match[j];
        }
    }
    *done = n;
out:
    tab->used = tl.used;
    tab->full = tl.full;
    return st;
}

/* the key words of a 128-bit host and a 16-bit port (18 key bytes): the
   bytes ftc_key_words makes, built without its field loop */
static inline void key_a16p2(const uint8_t *r, const int *roff, uint64_t *w)
{
    w[0] = ftc_bswap32(ftc_ld32(r + roff[0])) | (uint64_t)ftc_bswap32(ftc_ld32(r + roff[1])) << 32;
    w[1] = ftc_bswap32(ftc_ld32(r + roff[2])) | (uint64_t)ftc_bswap32(ftc_ld32(r + roff[3])) << 32;
    w[2] = ftc_bswap16(ftc_ld16(r + roff[4]));
}

/* ftc_tab_probe of an 18-byte key held as words (key_a16p2): the slot's
   key compared word by word */
static inline uint32_t probe_a16p2(const ftc_tab_t *t, const uint64_t *w, uint32_t tag)
{
    uint32_t mask = t->cap - 1, i = tag & mask, n;
    for (n = 0; n < t->cap; n++, i = (i + 1) & mask) {
        const uint8_t *s = ftc_tab_at(t, i);
        uint32_t st;
        memcpy(&st, s + t->val_len, 4);
        if (st == 0 || (st == tag && ftc_ldle64(s + t->key_off) == w[0]
                        && ftc_ldle64(s + t->key_off + 8) == w[1]
                        && ftc_key_ld(s + t->key_off + 16, 2) == w[2]))
            return i;
    }
    return FTC_TAB_NONE;
}

/* the counting loop of keys longer than 8 bytes (a 128-bit host and a
   port): each key built as words, hashed as words (ftc_hash_words: the
   hash of its bytes), then probed (`a16p2`: the usual 18-byte key, built
   and compared as three words; else stored as bytes for the generic
   probe); `ahead` as in pr_loop */
static inline __attribute__((always_inline)) int pr_loop_long(ftc_tab_t *tab,
                                                              const ftc_key_spec_t *k,
                                                              const int *roff, int oprot,
                                                              int oflags, const uint8_t *recs,
                                                              size_t n, size_t rs,
                                                              unsigned value, unsigned mask,
                                                              int all, int a16p2, int ahead,
                                                              size_t *done)
{
    ftc_tab_t tl = *tab, *t = &tl;
    const size_t stage = ahead ? PR_AHEAD : 1;
    const uint32_t klen = k->key_len, nw = (klen + 7u) / 8u;
    uint64_t keys[PR_AHEAD][FTC_KEY_MAX / 8];
    uint8_t kb[FTC_KEY_MAX];
    uint32_t tags[PR_AHEAD];
    unsigned match[PR_AHEAD];
    size_t i, m, j;
    int st = FTC_OK;
    for (i = *done; i < n; i += m) {
        m = n - i < stage ? n - i : stage;
        for (j = 0; j < m; j++) {
            const uint8_t *r = recs + (i + j) * rs;
            if (n - (i + j) > PR_AHEAD)
                __builtin_prefetch(r + PR_AHEAD * rs);
            match[j] = r[oprot] == FTC_TCP_PROT && (r[oflags] & mask) == value;
            if (!match[j] && !all)
                continue;
            if (a16p2) {
                key_a16p2(r, roff, keys[j]);
                tags[j] = ftc_tag(ftc_hash_words(keys[j], 18));
            } else {
                memset(keys[j], 0, nw * 8u);
                ftc_key_words(k, roff, r, keys[j], 0);
                tags[j] = ftc_tag(ftc_hash_words(keys[j], klen));
            }
            if (ahead)
                ftc_tab_prefetch(t, tags[j]);
        }
        for (j = 0; j < m; j++) {
            ftc_pr_slot_t *s;
            uint32_t si;
            if (!match[j] && !all)
                continue;
            if (a16p2)
                si = probe_a16p2(t, keys[j], tags[j]);
            else {
                ftc_key_store(kb, keys[j], nw);
                si = ftc_tab_probe(t, kb, tags[j]);
            }
            if (si == FTC_TAB_NONE) {
                st = FTC_EINVAL;
                goto out;
            }
            if (ftc_tab_tag_at(t, si) != 0)
                s = (ftc_pr_slot_t *)(void *)ftc_tab_at(t, si);
            else if (ftc_tab_room(t, 1)) {
                ftc_key_store(kb, keys[j], nw);
                s = (ftc_pr_slot_t *)(void *)ftc_tab_claim(t, si, kb, tags[j]);
            } else {
                *done = i + j;
                st = FTC_EFULL;
                goto out;
            }
            s->flows++;
            s->hits += match[j];
        }
    }
    *done = n;
out:
    tab->used = tl.used;
    tab->full = tl.full;
    return st;
}

/* the key fields of host field host_f: itself, or, for FTC_F_SRCADDR6_0 /
   FTC_F_DSTADDR6_0, the four words of the 128-bit address; returns their
   number */
static size_t host_fields(int host_f, int32_t *fields)
{
    if (host_f == FTC_F_SRCADDR6_0 || host_f == FTC_F_DSTADDR6_0) {
        int src = host_f == FTC_F_SRCADDR6_0;
        fields[0] = host_f;
        fields[1] = src ? FTC_F_SRCADDR6_1 : FTC_F_DSTADDR6_1;
        fields[2] = src ? FTC_F_SRCADDR6_2 : FTC_F_DSTADDR6_2;
        fields[3] = src ? FTC_F_SRCADDR : FTC_F_DSTADDR;
        return 4;
    }
    fields[0] = host_f;
    return 1;
}

int ftc_pr_add(ftc_tab_t *tab, int rt, const uint8_t *recs, size_t n, size_t size,
               int host_f, int port_f, unsigned value, unsigned mask, int all,
               size_t *done)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    ftc_key_spec_t k;
    int32_t fields[5];
    int roff[5], oprot, oflags, st, ahead;
    size_t rs, nf;
    if (!L || !ftc_tab_ok(tab, FTC_TAB_PR) || !done || *done > n || (n && !recs))
        return FTC_EINVAL;
    rs = L->rec_size;
    if (n > size / rs)
        return FTC_EINVAL;
    nf = host_fields(host_f, fields);
    fields[nf] = port_f;
    if (ftc_key_spec(&k, fields, nf + 1) != FTC_OK || tab->key_len != k.key_len
        || k.key_len > (nf == 4 ? 20u : 8u))
        return FTC_EINVAL;
    if ((st = ftc_key_offsets(&k, L, roff)) != FTC_OK)
        return st;
    oprot = L->off[FTC_F_PROT];
    oflags = L->off[FTC_F_TCP_FLAGS];
    if (oprot < 0 || oflags < 0)
        return FTC_EFIELD;
    ahead = (uint64_t)tab->cap * tab->stride > PR_CACHED;
    if (k.key_len == 18)    /* a 128-bit host and a 16-bit port: the usual v1006 key */
        return ahead ? pr_loop_long(tab, &k, roff, oprot, oflags, recs, n, rs, value, mask,
                                    all, 1, 1, done)
                     : pr_loop_long(tab, &k, roff, oprot, oflags, recs, n, rs, value, mask,
                                    all, 1, 0, done);
    if (k.key_len > 8)      /* a 128-bit host and a 32-bit field */
        return pr_loop_long(tab, &k, roff, oprot, oflags, recs, n, rs, value, mask, all, 0,
                            ahead, done);
    if (k.width[0] == 4 && k.width[1] == 2)     /* the usual key: klen 6, a constant */
        return ahead ? pr_loop(tab, &k, roff, oprot, oflags, recs, n, rs, value, mask, all,
                               6, 1, 1, done)
                     : pr_loop(tab, &k, roff, oprot, oflags, recs, n, rs, value, mask, all,
                               6, 1, 0, done);
    return pr_loop(tab, &k, roff, oprot, oflags, recs, n, rs, value, mask, all, k.key_len,
                   0, ahead, done);
}

/* ---- report ----------------------------------------------------------
 * Only the pairs of suspect hosts are sorted: a table of millions of
 * pairs with few suspects costs two sequential scans. */

static const ftc_pr_slot_t *pr_at(const ftc_tab_t *t, uint32_t i)
{
    return (const ftc_pr_slot_t *)(const void *)ftc_tab_at(t, i);
}

/* hosts is a table of the host part of t's keys */
static int hosts_of(const ftc_tab_t *t, const ftc_tab_t *hosts)
{
    return ftc_tab_ok(t, FTC_TAB_PR) && ftc_tab_ok(hosts, FTC_TAB_PR)
        && hosts->key_len < t->key_len && hosts->key_len <= 16
        && t->key_len - hosts->key_len <= 4;
}

int ftc_pr_hosts(const ftc_tab_t *t, uint64_t threshold, ftc_tab_t *hosts)
{
    uint32_t i;
    if (!hosts_of(t, hosts) || hosts->used != 0)
        return FTC_EINVAL;
    for (i = 0; i < t->cap; i++) {
        const ftc_pr_slot_t *s = pr_at(t, i);
        ftc_pr_slot_t *h;
        int fresh, bad = 0;
        if (!ftc_tab_tag_at(t, i) || (!s->hits && threshold))
            continue;
        h = (ftc_pr_slot_t *)(void *)ftc_tab_get(hosts, ftc_tab_at(t, i) + t->key_off,
                                                   &fresh, &bad);
        if (!h)
            return bad ? FTC_EINVAL : FTC_EFULL;
        h->flows += s->flows;
        h->hits += s->hits;
    }
    return FTC_OK;
}

typedef struct {
    const ftc_tab_t *t;
    uint64_t threshold;
} host_ctx_t;

/* a host key of hl <= 16 big-endian bytes as four words, most
   significant first, zero-extended (an IPv4 host is w[3]) */
static void host_words(const uint8_t *key, uint32_t hl, uint32_t *w)
{
    uint8_t b[16];
    uint32_t q;
    memset(b, 0, sizeof b);
    memcpy(b + 16 - hl, key, hl);
    for (q = 0; q < 4; q++)
        w[q] = ftc_key_be(b + 4 * q, 4);
}

/* hosts: matching flows descending, then address ascending */
static int host_before(const void *ctx, uint32_t a, uint32_t b)
{
    const ftc_tab_t *t = ((const host_ctx_t *)ctx)->t;
    const ftc_pr_slot_t *x = pr_at(t, a), *y = pr_at(t, b);
    if (x->hits != y->hits)
        return x->hits > y->hits;
    return memcmp(ftc_tab_at(t, a) + t->key_off, ftc_tab_at(t, b) + t->key_off,
                  t->key_len) < 0;
}

static int host_keep(const void *ctx, uint32_t i)
{
    const host_ctx_t *c = ctx;
    return ftc_tab_tag_at(c->t, i) && pr_at(c->t, i)->hits >= c->threshold;
}

int64_t ftc_pr_rank_hosts(const ftc_tab_t *hosts, uint64_t threshold, uint32_t *idx,
                          uint32_t *scratch, size_t n_idx)
{
    host_ctx_t c;
    int64_t m;
    if (!ftc_tab_ok(hosts, FTC_TAB_PR) || n_idx < hosts->used || (n_idx && (!idx || !scratch)))
        return FTC_EINVAL;
    c.t = hosts;
    c.threshold = threshold;
    m = ftc_rank_idx(hosts->cap, hosts->used, host_keep, host_before, &c, SIZE_MAX,
                     idx, scratch, n_idx);
    return m < 0 ? FTC_EINVAL : m;
}

/* rows: host rank ascending, flows descending, port ascending */
static int row_before(const void *ctx, uint32_t i, uint32_t j)
{
    const ftc_pr_row_t *a = (const ftc_pr_row_t *)ctx + i, *b = (const ftc_pr_row_t *)ctx + j;
    if (a->host_rank != b->host_rank)
        return a->host_rank < b->host_rank;
    if (a->flows != b->flows)
        return a->flows > b->flows;
    return a->port < b->port;
}

int ftc_pr_ports(const ftc_tab_t *t, const ftc_tab_t *hosts, const uint32_t *idx,
                 size_t nh, size_t max_ports, uint32_t *rank_of, size_t n_rank_of,
                 ftc_pr_row_t *rows, ftc_pr_row_t *tmp, uint32_t *order,
                 uint32_t *scratch, size_t cap, size_t *nrows)
{
    size_t m = 0, r, out;
    uint32_t i, prev, hl, pl;
    if (!hosts_of(t, hosts) || !nrows || (nh && (!idx || !rank_of || n_rank_of < hosts->cap))
        || nh > hosts->used || (cap && (!rows || !tmp || !order || !scratch))
        || cap > UINT32_MAX)
        return FTC_EINVAL;
    *nrows = 0;
    if (!nh)
        return FTC_OK;
    hl = hosts->key_len;
    pl = t->key_len - hl;
    memset(rank_of, 0, (size_t)hosts->cap * sizeof *rank_of);
    for (r = 0; r < nh; r++) {
        if (idx[r] >= hosts->cap || !ftc_tab_tag_at(hosts, idx[r]))
            return FTC_EINVAL;
        rank_of[idx[r]] = (uint32_t)(r + 1);
    }
    for (i = 0; i < t->cap; i++) {
        const uint8_t *key = ftc_tab_at(t, i) + t->key_off;
        uint32_t h, rank;
        if (!ftc_tab_tag_at(t, i) || (h = ftc_tab_lookup(hosts, key)) == FTC_TAB_NONE)
            continue;
        rank = rank_of[h];
        if (!rank)
            continue;
        if (m < cap) {
            ftc_pr_row_t *row = &rows[m];
            host_words(key, hl, row->host);
            row->port = ftc_key_be(key + hl, pl);
            row->host_hits = pr_at(hosts, h)->hits;
            row->flows = pr_at(t, i)->flows;
            row->host_rank = rank;
            row->port_rank = 0;
        }
        m++;
    }
    if (m > cap) {
        *nrows = m;
        return FTC_EFULL;
    }
    for (r = 0; r < m; r++)
        order[r] = (uint32_t)r;
    ftc_sort_idx(order, scratch, m, row_before, rows);
    for (r = 0; r < m; r++)
        tmp[r] = rows[order[r]];
    /* number the ports of each host; keep the first max_ports */
    out = 0;
    prev = 0;
    for (r = 0; r < m; r++) {
        uint32_t pr = tmp[r].host_rank == prev ? rows[out - 1].port_rank + 1 : 1;
        if (tmp[r].host_rank == prev && max_ports && pr > max_ports)
            continue;
        rows[out] = tmp[r];
        rows[out].port_rank = pr;
        prev = rows[out].host_rank;
        out++;
    }
    *nrows = out;
    return FTC_OK;
}
