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

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

static int valid_table(const ftc_pr_table_t *t)
{
    return t && t->slot && t->cap >= 4 && (t->cap & (t->cap - 1)) == 0
        && t->used <= t->cap;
}

static int full(const ftc_pr_table_t *t)
{
    return (uint64_t)(t->used + 1) * 4u > (uint64_t)t->cap * 3u;
}

int ftc_pr_add(ftc_pr_table_t *t, int rt, const uint8_t *recs, size_t n,
               int host_f, int port_f, unsigned value, unsigned mask, int all,
               size_t *done)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    int oh, wh, op, wp, oprot, oflags;
    uint32_t cmask;
    size_t i, rs;
    if (!L || !valid_table(t) || !done || *done > n || (n && !recs))
        return FTC_EINVAL;
    if (host_f < 0 || host_f >= FTC_F_COUNT || port_f < 0 || port_f >= FTC_F_COUNT)
        return FTC_EINVAL;
    oh = L->off[host_f];
    op = L->off[port_f];
    oprot = L->off[FTC_F_PROT];
    oflags = L->off[FTC_F_TCP_FLAGS];
    if (oh < 0 || op < 0 || oprot < 0 || oflags < 0)
        return FTC_EFIELD;
    wh = ftc_field_width(host_f);
    wp = ftc_field_width(port_f);
    rs = L->rec_size;
    cmask = t->cap - 1;
    for (i = *done; i < n; i++) {
        const uint8_t *r = recs + i * rs;
        unsigned match = r[oprot] == FTC_TCP_PROT && (r[oflags] & mask) == value;
        uint64_t key;
        uint32_t j;
        ftc_pr_slot_t *s;
        if (!match && !all)
            continue;
        key = (uint64_t)ftc_ldw(r + oh, wh) << 32 | ftc_ldw(r + op, wp);
        j = (uint32_t)mix(key) & cmask;
        for (;;) {
            s = &t->slot[j];
            if (s->flows == 0) {
                if (full(t)) {
                    *done = i;
                    return FTC_EFULL;
                }
                s->key = key;
                t->used++;
                break;
            }
            if (s->key == key)
                break;
            j = (j + 1) & cmask;
        }
        s->flows++;
        s->hits += match;
    }
    *done = n;
    return FTC_OK;
}

int ftc_pr_rehash(const ftc_pr_table_t *from, ftc_pr_table_t *to)
{
    uint32_t i, mask;
    if (!valid_table(from) || !valid_table(to) || to->used != 0
        || (uint64_t)from->used * 4u > (uint64_t)to->cap * 3u)
        return FTC_EINVAL;
    mask = to->cap - 1;
    for (i = 0; i < from->cap; i++) {
        const ftc_pr_slot_t *s = &from->slot[i];
        uint32_t j;
        if (!s->flows)
            continue;
        j = (uint32_t)mix(s->key) & mask;
        while (to->slot[j].flows)
            j = (j + 1) & mask;
        to->slot[j] = *s;
        to->used++;
    }
    return FTC_OK;
}

/* ---- report ----------------------------------------------------------
 * Only the pairs of suspect hosts are sorted: a table of millions of
 * pairs with few suspects costs two sequential scans. */

/* slot of key in t, or NULL */
static const ftc_pr_slot_t *find(const ftc_pr_table_t *t, uint64_t key)
{
    uint32_t mask = t->cap - 1, j = (uint32_t)mix(key) & mask, probes;
    for (probes = 0; probes < t->cap; probes++) {
        const ftc_pr_slot_t *s = &t->slot[j];
        if (!s->flows)
            return NULL;
        if (s->key == key)
            return s;
        j = (j + 1) & mask;
    }
    return NULL;
}

int ftc_pr_hosts(const ftc_pr_table_t *t, uint64_t threshold, ftc_pr_table_t *hosts)
{
    uint32_t i, mask;
    if (!valid_table(t) || !valid_table(hosts) || hosts->used != 0)
        return FTC_EINVAL;
    mask = hosts->cap - 1;
    for (i = 0; i < t->cap; i++) {
        const ftc_pr_slot_t *s = &t->slot[i];
        uint64_t host;
        uint32_t j;
        if (!s->flows || (!s->hits && threshold))
            continue;
        host = s->key >> 32;
        j = (uint32_t)mix(host) & mask;
        while (hosts->slot[j].flows && hosts->slot[j].key != host)
            j = (j + 1) & mask;
        if (!hosts->slot[j].flows) {
            if (full(hosts))
                return FTC_EFULL;
            hosts->slot[j].key = host;
            hosts->used++;
        }
        hosts->slot[j].flows += s->flows;
        hosts->slot[j].hits += s->hits;
    }
    return FTC_OK;
}

/* hosts: matching flows descending, then address ascending */
static int host_before(const ftc_pr_slot_t *v, uint32_t a, uint32_t b)
{
    if (v[a].hits != v[b].hits)
        return v[a].hits > v[b].hits;
    return v[a].key < v[b].key;
}

static int host_before_idx(const void *ctx, uint32_t a, uint32_t b)
{
    return host_before(ctx, a, b);
}

int64_t ftc_pr_rank_hosts(const ftc_pr_table_t *hosts, uint64_t threshold, uint32_t *idx,
                          uint32_t *scratch)
{
    size_t m = 0;
    uint32_t i;
    if (!valid_table(hosts) || (hosts->used && (!idx || !scratch)))
        return FTC_EINVAL;
    for (i = 0; i < hosts->cap; i++) {
        const ftc_pr_slot_t *s = &hosts->slot[i];
        if (s->flows && s->hits >= threshold) {
            if (m == hosts->used)
                return FTC_EINVAL;              /* used count is wrong */
            idx[m++] = i;
        }
    }
    ftc_sort_idx(idx, scratch, m, host_before_idx, hosts->slot);
    return (int64_t)m;
}

/* rows: host rank ascending, flows descending, port ascending */
static int row_before(const ftc_pr_row_t *a, const ftc_pr_row_t *b)
{
    if (a->host_rank != b->host_rank)
        return a->host_rank < b->host_rank;
    if (a->flows != b->flows)
        return a->flows > b->flows;
    return a->port < b->port;
}

int ftc_pr_ports(const ftc_pr_table_t *t, const ftc_pr_table_t *hosts, const uint32_t *idx,
                 size_t nh, size_t max_ports, uint32_t *rank_of, ftc_pr_row_t *rows,
                 ftc_pr_row_t *tmp, size_t cap, size_t *nrows)
{
    size_t m = 0, r, width, out;
    uint32_t i, prev;
    if (!valid_table(t) || !valid_table(hosts) || !nrows || (nh && (!idx || !rank_of))
        || nh > hosts->used || (cap && (!rows || !tmp)))
        return FTC_EINVAL;
    *nrows = 0;
    if (!nh)
        return FTC_OK;
    memset(rank_of, 0, (size_t)hosts->cap * sizeof *rank_of);
    for (r = 0; r < nh; r++) {
        if (idx[r] >= hosts->cap || !hosts->slot[idx[r]].flows)
            return FTC_EINVAL;
        rank_of[idx[r]] = (uint32_t)(r + 1);
    }
    for (i = 0; i < t->cap; i++) {
        const ftc_pr_slot_t *s = &t->slot[i], *h;
        uint32_t rank;
        if (!s->flows || !(h = find(hosts, s->key >> 32)))
            continue;
        rank = rank_of[h - hosts->slot];
        if (!rank)
            continue;
        if (m < cap) {
            ftc_pr_row_t *row = &rows[m];
            row->host = (uint32_t)(s->key >> 32);
            row->port = (uint32_t)(s->key & 0xFFFFFFFFu);
            row->host_hits = h->hits;
            row->flows = s->flows;
            row->host_rank = rank;
            row->port_rank = 0;
        }
        m++;
    }
    if (m > cap) {
        *nrows = m;
        return FTC_EFULL;
    }
    for (width = 1; width < m; width *= 2) {
        size_t lo;
        for (lo = 0; lo < m; lo += 2 * width) {
            size_t mid = lo + width < m ? lo + width : m;
            size_t hi = lo + 2 * width < m ? lo + 2 * width : m;
            size_t x = lo, y = mid, o = lo;
            while (x < mid && y < hi)
                tmp[o++] = row_before(&rows[y], &rows[x]) ? rows[y++] : rows[x++];
            while (x < mid)
                tmp[o++] = rows[x++];
            while (y < hi)
                tmp[o++] = rows[y++];
        }
        memcpy(rows, tmp, m * sizeof *rows);
    }
    /* number the ports of each host; keep the first max_ports */
    out = 0;
    prev = 0;
    for (r = 0; r < m; r++) {
        uint32_t pr = rows[r].host_rank == prev ? rows[out - 1].port_rank + 1 : 1;
        if (rows[r].host_rank == prev && max_ports && pr > max_ports)
            continue;
        rows[out] = rows[r];
        rows[out].port_rank = pr;
        prev = rows[out].host_rank;
        out++;
    }
    *nrows = out;
    return FTC_OK;
}
