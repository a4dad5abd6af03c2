/* zone.c -- special zones (flow-zonecheck): longest-prefix-match address
 * sets as sorted disjoint ranges, per-record ingress/egress classification
 * against the allowed services of each zone server, and the alert lines.
 *
 * Addresses are 128-bit (IPv6, man/flow-tools-v1006.5): an IPv4 address
 * is its mapped form ::ffff:a.b.c.d, whether it comes from a v1-v7 record,
 * an IPv4 flow of a v1006 record or an IPv4 zone, so IPv4 zones match IPv4
 * flows and IPv6 zones IPv6 flows with one lookup. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

#define FL_ACK 0x10u
#define FL_PSH 0x08u
#define FL_RST_ACK 0x14u
#define PROT_TCP 6u
#define PROT_UDP 17u

typedef unsigned __int128 u128;

#define ALL128 (~(u128)0)

/* four words, most significant first <-> a 128-bit number */
static inline u128 w2u(const uint32_t *w)
{
    return (u128)w[0] << 96 | (u128)w[1] << 64 | (u128)w[2] << 32 | w[3];
}

/* a range bound (two 64-bit halves, upper first) <-> a 128-bit number */
static inline u128 b2u(const uint64_t *b)
{
    return (u128)b[0] << 64 | b[1];
}

static inline void u2b(u128 v, uint64_t *b)
{
    b[0] = (uint64_t)(v >> 64);
    b[1] = (uint64_t)v;
}

static inline void u2w(u128 v, uint32_t *w)
{
    w[0] = (uint32_t)(v >> 96);
    w[1] = (uint32_t)(v >> 64);
    w[2] = (uint32_t)(v >> 32);
    w[3] = (uint32_t)v;
}

/* the 128-bit address of record r: with `six` (v1006) the words from
   field hi on, else the IPv4 field lo mapped */
static inline u128 rec_addr(const ftc_layout_t *L, const uint8_t *r, int six, int hi, int lo)
{
    uint32_t w[4];
    if (!six)
        return (u128)0xFFFFu << 32 | ftc_ld32(r + L->off[lo]);
    ftc_get_addr6(L, r, hi, lo, w);
    return w2u(w);
}

/* ---- prefixes -> ranges ---- */

static u128 last_addr(const ftc_zone_prefix_t *p)
{
    /* a shift by 128 is undefined: /128 is spelled out */
    return p->len >= 128 ? w2u(p->net) : w2u(p->net) | (ALL128 >> p->len);
}

/* by network ascending, then length ascending (enclosing prefix first) */
static int pfx_before(const ftc_zone_prefix_t *a, const ftc_zone_prefix_t *b)
{
    u128 x = w2u(a->net), y = w2u(b->net);
    return x != y ? x < y : a->len < b->len;
}

static void sift_down(ftc_zone_prefix_t *p, size_t root, size_t n)
{
    for (;;) {
        size_t c = 2 * root + 1;
        ftc_zone_prefix_t t;
        if (c >= n)
            return;
        if (c + 1 < n && pfx_before(&p[c], &p[c + 1]))
            c++;
        if (!pfx_before(&p[root], &p[c]))
            return;
        t = p[root];
        p[root] = p[c];
        p[c] = t;
        root = c;
    }
}

static void pfx_sort(ftc_zone_prefix_t *p, size_t n)
{
    size_t i;
    for (i = n / 2; i-- > 0;)
        sift_down(p, i, n);
    for (i = n; i-- > 1;) {
        ftc_zone_prefix_t t = p[0];
        p[0] = p[i];
        p[i] = t;
        sift_down(p, 0, i);
    }
}

/* the painter's state: the first address not painted yet (`cur`), or
   every address painted (`end`: the last range reached the top address) */
typedef struct {
    u128 cur;
    int end;
} paint_t;

/* [pt->cur, hi] painted with value; cur moves past hi */
static int put_range(ftc_zone_range_t *out, size_t cap, size_t *k, paint_t *pt, u128 hi,
                     uint32_t value)
{
    if (pt->end || pt->cur > hi)
        return FTC_OK;
    if (*k >= cap)
        return FTC_EFULL;
    u2b(pt->cur, out[*k].lo);
    u2b(hi, out[*k].hi);
    out[*k].value = value;
    (*k)++;
    if (hi == ALL128)
        pt->end = 1;
    else
        pt->cur = hi + 1;
    return FTC_OK;
}

int ftc_zone_ranges(ftc_zone_prefix_t *pfx, size_t n, ftc_zone_range_t *out,
                    size_t cap, size_t *nout)
{
    /* open prefixes, outermost first; nested prefixes have strictly
       increasing lengths, so at most 129 are open at once */
    const ftc_zone_prefix_t *stack[129];
    size_t depth = 0, i, k = 0;
    paint_t pt = {0, 0};
    int st;
    if (!nout || (n && (!pfx || !out)))
        return FTC_EINVAL;
    *nout = 0;
    for (i = 0; i < n; i++) {
        uint32_t len = pfx[i].len;
        if (len > 128 || (len < 128 && (w2u(pfx[i].net) & (ALL128 >> len))))
            return FTC_EINVAL;
    }
    pfx_sort(pfx, n);
    for (i = 0; i < n; i++) {
        const ftc_zone_prefix_t *p = &pfx[i];
        u128 net = w2u(p->net);
        if (i && w2u(pfx[i - 1].net) == net && pfx[i - 1].len == p->len)
            return FTC_EINVAL;
        /* close the open prefixes that end before this one */
        while (depth && last_addr(stack[depth - 1]) < net) {
            const ftc_zone_prefix_t *t = stack[--depth];
            if ((st = put_range(out, cap, &k, &pt, last_addr(t), t->value)) != FTC_OK)
                return st;
        }
        /* the enclosing prefix owns the gap up to this one */
        if (depth && net > pt.cur
            && (st = put_range(out, cap, &k, &pt, net - 1, stack[depth - 1]->value)) != FTC_OK)
            return st;
        pt.cur = net;
        stack[depth++] = p;
    }
    while (depth) {
        const ftc_zone_prefix_t *t = stack[--depth];
        if ((st = put_range(out, cap, &k, &pt, last_addr(t), t->value)) != FTC_OK)
            return st;
    }
    *nout = k;
    return FTC_OK;
}

/* index of the range holding addr, or -1; the bounds are compared as
   their two halves (an IPv4 search never leaves the upper one) */
static inline int64_t find(const ftc_zone_range_t *r, size_t n, u128 addr)
{
    const uint64_t ah = (uint64_t)(addr >> 64), al = (uint64_t)addr;
    size_t lo = 0, hi = n;        /* first range with lo > addr is in [lo, hi] */
    /* outside every range (most addresses): no search */
    if (!n || b2u(r[n - 1].hi) < addr || addr < b2u(r[0].lo))
        return -1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].lo[0] < ah || (r[mid].lo[0] == ah && r[mid].lo[1] <= al))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || b2u(r[lo - 1].hi) < addr)
        return -1;
    return (int64_t)(lo - 1);
}

int64_t ftc_zone_lookup(const ftc_zone_range_t *r, size_t n, const uint32_t *addr)
{
    int64_t i;
    if ((n && !r) || !addr)
        return -1;
    i = find(r, n, w2u(addr));
    return i < 0 ? -1 : (int64_t)r[i].value;
}

/* ---- classification ---- */

static int allowed(const ftc_zone_db_t *db, uint32_t entry, uint32_t prot, uint32_t port)
{
    uint32_t key = prot << 16 | port;
    uint32_t lo = db->svc_start[entry], hi = db->svc_start[entry + 1];
    while (lo < hi) {             /* first pair with lo > key */
        uint32_t mid = lo + (hi - lo) / 2;
        if (db->svc[2 * mid] <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > db->svc_start[entry] && key <= db->svc[2 * (lo - 1) + 1];
}

static int valid_db(const ftc_zone_db_t *db)
{
    size_t i;
    if (!db || (db->n_zones && !db->zones) || (db->n_inside && !db->inside)
        || !db->svc_start || db->n_entries > 0xFFFFFFFEu
        || (db->svc_start[db->n_entries] && !db->svc))
        return 0;
    for (i = 0; i < db->n_zones; i++)
        if (db->zones[i].value >= db->n_entries)
            return 0;
    /* every entry's services lie inside svc: the starts never go down */
    for (i = 0; i < db->n_entries; i++)
        if (db->svc_start[i] > db->svc_start[i + 1])
            return 0;
    return 1;
}

int ftc_zone_check(const ftc_zone_db_t *db, int rt, const uint8_t *recs, size_t n,
                   size_t *done, ftc_zone_alert_t *out, size_t cap, size_t *produced)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    int o_src, o_dst, o_sp, o_dp, o_prot, o_fl, o_pk, o_oc, six;
    size_t i, k = 0;
    if (!L || !valid_db(db) || !done || !produced || (n && !recs) || (cap && !out)
        || n > SIZE_MAX / L->rec_size)
        return FTC_EINVAL;
    *produced = 0;
    o_src = L->off[FTC_F_SRCADDR];
    o_dst = L->off[FTC_F_DSTADDR];
    o_sp = L->off[FTC_F_SRCPORT];
    o_dp = L->off[FTC_F_DSTPORT];
    o_prot = L->off[FTC_F_PROT];
    o_fl = L->off[FTC_F_TCP_FLAGS];
    o_pk = L->off[FTC_F_DPKTS];
    o_oc = L->off[FTC_F_DOCTETS];
    if (o_src < 0 || o_dst < 0 || o_sp < 0 || o_dp < 0 || o_prot < 0 || o_fl < 0
        || o_pk < 0 || o_oc < 0)
        return FTC_EFIELD;
    if (!db->n_zones) {
        *done = n;
        return FTC_OK;
    }
    six = L->off[FTC_F_SRCADDR6_0] >= 0;
    for (i = *done; i < n; i++) {
        const uint8_t *r = recs + i * L->rec_size;
        uint32_t prot = r[o_prot], fl;
        u128 src, dst;
        int64_t zs, zd;
        int in_alert = 0, out_alert = 0;
        if (prot != PROT_TCP && prot != PROT_UDP)
            continue;
        src = rec_addr(L, r, six, FTC_F_SRCADDR6_0, FTC_F_SRCADDR);
        dst = rec_addr(L, r, six, FTC_F_DSTADDR6_0, FTC_F_DSTADDR);
        zs = find(db->zones, db->n_zones, src);
        zd = find(db->zones, db->n_zones, dst);
        if (zs < 0 && zd < 0)
            continue;
        fl = r[o_fl];
        /* ingress: an outside TCP peer got through to a port not allowed */
        if (zd >= 0 && prot == PROT_TCP && (fl & FL_ACK) && fl != FL_RST_ACK
            && !allowed(db, db->zones[zd].value, prot, ftc_ld16(r + o_dp))
            && find(db->inside, db->n_inside, src) < 0)
            in_alert = 1;
        /* egress: the server talks to the outside from a port not allowed */
        if (zs >= 0 && (prot == PROT_UDP || fl != FL_RST_ACK)
            && !allowed(db, db->zones[zs].value, prot, ftc_ld16(r + o_sp))
            && find(db->inside, db->n_inside, dst) < 0)
            out_alert = 1;
        if (!in_alert && !out_alert)
            continue;
        if (k + (size_t)in_alert + (size_t)out_alert > cap) {
            *done = i;
            *produced = k;
            return FTC_EFULL;
        }
        {
            uint64_t start = (uint64_t)ftc_get(L, r, FTC_F_UNIX_SECS) * 1000u
                             + ftc_get(L, r, FTC_F_UNIX_NSECS) / 1000000u
                             - ftc_get(L, r, FTC_F_SYSUPTIME) + ftc_get(L, r, FTC_F_FIRST);
            int d;
            for (d = 0; d < 2; d++) {
                ftc_zone_alert_t *a;
                int egress = d == 1;
                if (!(egress ? out_alert : in_alert))
                    continue;
                a = &out[k++];
                a->start_ms = start;
                a->index = (uint32_t)i;
                a->entry = db->zones[egress ? zs : zd].value;
                u2w(egress ? src : dst, a->server);
                u2w(egress ? dst : src, a->peer);
                a->server_port = ftc_ld16(r + (egress ? o_sp : o_dp));
                a->peer_port = ftc_ld16(r + (egress ? o_dp : o_sp));
                a->prot = (uint8_t)prot;
                a->tcp_flags = (uint8_t)fl;
                a->dPkts = ftc_ld32(r + o_pk);
                a->dOctets = ftc_ld32(r + o_oc);
                a->direction = egress ? FTC_ZONE_EGRESS : FTC_ZONE_INGRESS;
                a->level = egress && (prot == PROT_UDP || (fl & FL_PSH)) ? FTC_ZONE_RED
                                                                         : FTC_ZONE_ALERT;
            }
        }
    }
    *done = n;
    *produced = k;
    return FTC_OK;
}

int ftc_zone_keep(const ftc_zone_alert_t *a, size_t na, int rt, uint8_t *recs,
                  size_t n, size_t *kept)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t j, k = 0;
    int64_t last = -1;
    if (!L || !kept || (na && !a) || (n && !recs) || n > SIZE_MAX / L->rec_size)
        return FTC_EINVAL;
    for (j = 0; j < na; j++) {
        size_t i = a[j].index;
        if (i >= n || (int64_t)i < last)
            return FTC_EINVAL;
        if ((int64_t)i == last)
            continue;
        if (i != k)
            memmove(recs + k * L->rec_size, recs + i * L->rec_size, L->rec_size);
        k++;
        last = (int64_t)i;
    }
    *kept = k;
    return FTC_OK;
}

/* ---- alert lines ---- */

/* the columns: text title, TSV title, text width (titles start with "# ",
   so the first width covers those two characters) */
static const struct {
    const char *title, *tsv;
    size_t w;
} cols[] = {
    {"level", "level", 8},
    {"dir", "direction", 9},
    {"server", "server", 16},
    {"port", "server_port", 7},
    {"peer", "peer", 16},
    {"port", "peer_port", 7},
    {"prot", "protocol", 6},
    {"flags", "flags", 7},
    {"packets", "packets", 11},
    {"octets", "octets", 12},
    {"start", "start", 0},
};
#define NCOLS (sizeof cols / sizeof cols[0])

/* s, then blanks up to width w (at least one), or a tab; nothing after
   the last column */
static size_t cell(char *p, size_t col, const char *s, size_t len, int tsv)
{
    size_t n = len;
    memcpy(p, s, len);
    if (col + 1 == NCOLS)
        return n;
    if (tsv) {
        p[n++] = '\t';
        return n;
    }
    do
        p[n++] = ' ';
    while (n < cols[col].w);
    return n;
}

int ftc_zone_header(unsigned opts, char *out, size_t cap, size_t *len)
{
    int tsv = (opts & FTC_ZONE_TSV) != 0;
    size_t c, n = 0;
    if (!out || !len || cap <= FTC_ZONE_LINE_MAX)
        return FTC_EINVAL;
    out[n++] = '#';
    if (!tsv)
        out[n++] = ' ';
    for (c = 0; c < NCOLS; c++) {
        const char *t = tsv ? cols[c].tsv : cols[c].title;
        /* the first text cell begins after "# " */
        size_t start = c == 0 ? 0 : n;
        memcpy(out + n, t, strlen(t));
        n += strlen(t);
        if (c + 1 == NCOLS)
            break;
        if (tsv) {
            out[n++] = '\t';
            continue;
        }
        do
            out[n++] = ' ';
        while (n - start < cols[c].w);
    }
    out[n++] = '\n';
    *len = n;
    return FTC_OK;
}

int ftc_zone_format(const ftc_zone_alert_t *a, size_t na, unsigned opts,
                    ftc_fmt_state_t *st, char *out, size_t cap, size_t *len,
                    size_t *consumed)
{
    int tsv = (opts & FTC_ZONE_TSV) != 0;
    size_t j, o = 0;
    if (!len || !consumed || !st || (na && !a) || (cap && !out))
        return FTC_EINVAL;
    *len = 0;
    *consumed = 0;
    for (j = 0; j < na; j++) {
        const ftc_zone_alert_t *x = &a[j];
        char t[48];
        char *p = out + o;
        size_t n = 0, tl;
        const char *s;
        if (cap - o <= FTC_ZONE_LINE_MAX) {
            *len = o;
            *consumed = j;
            return FTC_EFULL;
        }
        s = x->level == FTC_ZONE_RED ? "RED" : "ALERT";
        n += cell(p + n, 0, s, strlen(s), tsv);
        s = x->direction == FTC_ZONE_EGRESS ? "egress" : "ingress";
        n += cell(p + n, 1, s, strlen(s), tsv);
        tl = ftc_put_addr6(t, x->server);
        n += cell(p + n, 2, t, tl, tsv);
        tl = ftc_put_dec(t, x->server_port);
        n += cell(p + n, 3, t, tl, tsv);
        tl = ftc_put_addr6(t, x->peer);
        n += cell(p + n, 4, t, tl, tsv);
        tl = ftc_put_dec(t, x->peer_port);
        n += cell(p + n, 5, t, tl, tsv);
        if (x->prot == PROT_TCP || x->prot == PROT_UDP) {
            s = x->prot == PROT_TCP ? "tcp" : "udp";
            n += cell(p + n, 6, s, 3, tsv);
        } else {
            tl = ftc_put_dec(t, x->prot);
            n += cell(p + n, 6, t, tl, tsv);
        }
        t[0] = '0';
        t[1] = 'x';
        tl = 2 + ftc_put_hex(t + 2, x->tcp_flags, 2);
        n += cell(p + n, 7, t, tl, tsv);
        tl = ftc_put_dec(t, x->dPkts);
        n += cell(p + n, 8, t, tl, tsv);
        tl = ftc_put_dec(t, x->dOctets);
        n += cell(p + n, 9, t, tl, tsv);
        tl = ftc_put_time(t, st, x->start_ms, 1);
        n += cell(p + n, 10, t, tl, tsv);
        p[n++] = '\n';
        o += n;
    }
    *len = o;
    *consumed = na;
    return FTC_OK;
}
