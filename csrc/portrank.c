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

/* ---- report ---------------------------------------------------------- */

/* is entry a strictly before entry b? */
typedef int (*before_fn)(const ftc_pr_slot_t *v, uint32_t a, uint32_t b);

static int by_key(const ftc_pr_slot_t *v, uint32_t a, uint32_t b)
{
    return v[a].key < v[b].key;
}

/* ports of one host: flows descending, then port (key) ascending */
static int by_flows(const ftc_pr_slot_t *v, uint32_t a, uint32_t b)
{
    if (v[a].flows != v[b].flows)
        return v[a].flows > v[b].flows;
    return v[a].key < v[b].key;
}

/* hosts: matching flows descending, then address (key) ascending */
static int by_hits(const ftc_pr_slot_t *v, uint32_t a, uint32_t b)
{
    if (v[a].hits != v[b].hits)
        return v[a].hits > v[b].hits;
    return v[a].key < v[b].key;
}

/* stable bottom-up merge sort of idx[0..m) (no recursion), tmp: m entries */
static void msort(uint32_t *idx, uint32_t *tmp, size_t m, before_fn before,
                  const ftc_pr_slot_t *v)
{
    size_t width;
    for (width = 1; width < m; width *= 2) {
        size_t lo;
        for (lo = 0; lo < m; lo += 2 * width) {
            size_t mid = lo + width < m ? lo + width : m;
            size_t hi = lo + 2 * width < m ? lo + 2 * width : m;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                tmp[o++] = before(v, idx[b], idx[a]) ? idx[b++] : idx[a++];
            while (a < mid)
                tmp[o++] = idx[a++];
            while (b < hi)
                tmp[o++] = idx[b++];
        }
        memcpy(idx, tmp, m * sizeof *idx);
    }
}

int ftc_pr_report(const ftc_pr_table_t *t, uint64_t threshold, size_t max_hosts,
                  size_t max_ports, uint32_t *work, ftc_pr_slot_t *hosts,
                  ftc_pr_row_t *rows, size_t cap, size_t *nrows, size_t *nhosts,
                  size_t *nsuspects)
{
    uint32_t *idx, *tmp, *hidx;
    size_t m = 0, i, k = 0, r, out = 0, nh;
    if (!valid_table(t) || !nrows || !nhosts || !nsuspects || (cap && !rows)
        || (t->used && (!work || !hosts)))
        return FTC_EINVAL;
    *nrows = *nhosts = *nsuspects = 0;
    idx = work;
    tmp = work + t->used;
    hidx = work + 2 * (size_t)t->used;
    for (i = 0; i < t->cap; i++)
        if (t->slot[i].flows) {
            if (m == t->used)
                return FTC_EINVAL;           /* used count is wrong */
            idx[m++] = (uint32_t)i;
        }
    /* group the pairs by host: key order is (host, port) order */
    msort(idx, tmp, m, by_key, t->slot);
    for (i = 0; i < m;) {
        uint32_t host = (uint32_t)(t->slot[idx[i]].key >> 32);
        uint64_t sum = 0;
        size_t j = i;
        while (j < m && (uint32_t)(t->slot[idx[j]].key >> 32) == host)
            sum += t->slot[idx[j++]].hits;
        if (sum >= threshold) {
            hosts[k].key = host;
            hosts[k].flows = (uint64_t)i | (uint64_t)(j - i) << 32;   /* run */
            hosts[k].hits = sum;
            hidx[k] = (uint32_t)k;
            k++;
        }
        i = j;
    }
    msort(hidx, tmp, k, by_hits, hosts);
    nh = max_hosts && max_hosts < k ? max_hosts : k;
    for (r = 0; r < nh; r++) {
        const ftc_pr_slot_t *h = &hosts[hidx[r]];
        size_t start = (size_t)(h->flows & 0xFFFFFFFFu), len = (size_t)(h->flows >> 32);
        size_t np = max_ports && max_ports < len ? max_ports : len, p;
        msort(idx + start, tmp, len, by_flows, t->slot);
        if (np > cap - out)
            return FTC_EFULL;
        for (p = 0; p < np; p++) {
            const ftc_pr_slot_t *s = &t->slot[idx[start + p]];
            ftc_pr_row_t *row = &rows[out++];
            row->host = (uint32_t)h->key;
            row->port = (uint32_t)(s->key & 0xFFFFFFFFu);
            row->host_hits = h->hits;
            row->flows = s->flows;
            row->host_rank = (uint32_t)(r + 1);
            row->port_rank = (uint32_t)(p + 1);
        }
    }
    *nrows = out;
    *nhosts = nh;
    *nsuspects = k;
    return FTC_OK;
}
