/* dscan.c -- flow-dscan's scan detector (commands.md 8.12, 17) over whole
 * batches: per source the distinct destinations (a host scan past
 * ip_depth of them), per (source, destination) the ports below 1024 (a
 * port scan at port_trigger of them), the flows over the -O/-P/-T
 * thresholds dumped, and the ager that forgets what has not been seen for
 * ager_timeout flows.
 *
 * State lives in two tables of THE hash table (ftc_table.h) that Python
 * owns and grows; lists are linked by addresses (see ftcore.h), so a
 * rehash or a removal never breaks them.  Messages are text lines in a
 * caller buffer; the caller logs them. */
#include <string.h>
#include <time.h>

#include "ftcore.h"
#include "ftc_internal.h"
#include "ftc_table.h"

_Static_assert(sizeof(ftc_dscan_src_t) == 32, "a source is 32 bytes");
_Static_assert(offsetof(ftc_dscan_dst_t, tag) == 140, "a destination is 140 bytes + tag");

#define L_NEXT  1u      /* src.links: next is valid */
#define L_DSTS  2u      /* src.links: first/last are valid */

static const char DUMP_HEADER[] =
    "Start             End                Sif SrcIPaddress      SrcP  DIf DstIPaddress"
    "      DstP   P Fl       Pkts     Octets";

static inline uint32_t bucket_of(uint32_t a)
{
    return (a >> 16) ^ (a & 0xFFFFu);
}

static inline uint32_t src_tag(uint32_t s)
{
    return ftc_tag(ftc_hash_word(s, 4));
}

static inline uint64_t dst_key(uint32_t s, uint32_t d)
{
    return (uint64_t)s | (uint64_t)d << 32;
}

static inline uint32_t dst_tag(uint64_t k)
{
    return ftc_tag(ftc_hash_word(k, 8));
}

/* slot index of source s, or FTC_TAB_NONE */
static uint32_t src_find(const ftc_tab_t *t, uint32_t s)
{
    uint32_t i = ftc_tab_probe_word(t, s, src_tag(s), 4);
    if (i == FTC_TAB_NONE || ftc_tab_tag_at(t, i) == 0)
        return FTC_TAB_NONE;
    return i;
}

static uint32_t dst_find(const ftc_tab_t *t, uint32_t s, uint32_t d)
{
    uint64_t k = dst_key(s, d);
    uint32_t i = ftc_tab_probe_word(t, k, dst_tag(k), 8);
    if (i == FTC_TAB_NONE || ftc_tab_tag_at(t, i) == 0)
        return FTC_TAB_NONE;
    return i;
}

static inline ftc_dscan_src_t *src_at(const ftc_tab_t *t, uint32_t i)
{
    return (ftc_dscan_src_t *)(void *)ftc_tab_at(t, i);
}

static inline ftc_dscan_dst_t *dst_at(const ftc_tab_t *t, uint32_t i)
{
    return (ftc_dscan_dst_t *)(void *)ftc_tab_at(t, i);
}

/* Prefetching: the tables are far larger than the caches and each step
   is a lookup at a random place, so the kernels start fetching the slots
   they will touch a few records (main loop) or ager steps (the lanes
   below) before they touch them.  Hints only: nothing changes. */

#define AHEAD 8          /* records between a record's prefetch and its turn */

/* what record r will touch: its source's slot and bucket head, its
   (source, destination) slot */
static inline void prefetch_record(const ftc_dscan_t *st, const ftc_tab_t *t,
                                   const ftc_tab_t *dt, const uint8_t *r, int osrc, int odst)
{
    uint32_t s = ftc_ld32(r + osrc), d = ftc_ld32(r + odst);
    ftc_tab_prefetch(t, src_tag(s));
    ftc_tab_prefetch_slot(dt, dst_tag(dst_key(s, d)));
    __builtin_prefetch(&st->heads[2 * bucket_of(s)], 1);
}

/* Source s into free slot i (probed with its tag; room checked by the
   caller), newest of its bucket */
static ftc_dscan_src_t *src_add(ftc_dscan_t *st, ftc_tab_t *t, uint32_t i, uint32_t s,
                                uint32_t tag)
{
    uint32_t b = bucket_of(s);
    ftc_dscan_src_t *r = (ftc_dscan_src_t *)(void *)ftc_tab_claim_word(t, i, s, tag, 4);
    memset(r, 0, offsetof(ftc_dscan_src_t, tag));
    if (st->heads[2 * b + 1]) {
        r->next = st->heads[2 * b];
        r->links = L_NEXT;
    }
    st->heads[2 * b] = s;
    st->heads[2 * b + 1] = 1;
    return r;
}

/* a new source (room checked by the caller); NULL when it exists */
static ftc_dscan_src_t *src_new(ftc_dscan_t *st, ftc_tab_t *t, uint32_t s)
{
    uint32_t tag = src_tag(s), i = ftc_tab_probe_word(t, s, tag, 4);
    if (i == FTC_TAB_NONE || ftc_tab_tag_at(t, i) != 0)
        return NULL;
    return src_add(st, t, i, s, tag);
}

/* Destination d of source r (address s) into free slot i (probed with key
   k and its tag; room checked by the caller), last of r's list */
static ftc_dscan_dst_t *dst_add(ftc_tab_t *dt, ftc_dscan_src_t *r, uint32_t s, uint32_t d,
                                uint32_t i, uint64_t k, uint32_t tag)
{
    ftc_dscan_dst_t *x = (ftc_dscan_dst_t *)(void *)ftc_tab_claim_word(dt, i, k, tag, 8);
    memset(x, 0, offsetof(ftc_dscan_dst_t, tag));
    if (r->links & L_DSTS) {
        uint32_t p = dst_find(dt, s, r->last);
        if (p != FTC_TAB_NONE) {
            dst_at(dt, p)->next = d;
            dst_at(dt, p)->has_next = 1;
        }
    } else {
        r->first = d;
        r->links |= L_DSTS;
    }
    r->last = d;
    return x;
}

/* append destination d to source r (address s); room checked by the
   caller; NULL when it exists */
static ftc_dscan_dst_t *dst_new(ftc_tab_t *dt, ftc_dscan_src_t *r, uint32_t s, uint32_t d)
{
    uint64_t k = dst_key(s, d);
    uint32_t tag = dst_tag(k), i = ftc_tab_probe_word(dt, k, tag, 8);
    if (i == FTC_TAB_NONE || ftc_tab_tag_at(dt, i) != 0)
        return NULL;
    return dst_add(dt, r, s, d, i, k, tag);
}

/* every destination of source r (address s) removed */
static void dst_free_all(ftc_tab_t *dt, ftc_dscan_src_t *r, uint32_t s)
{
    uint32_t d = r->first, more = r->links & L_DSTS, n;
    for (n = 0; more && n <= dt->cap; n++) {
        uint32_t i = dst_find(dt, s, d);
        if (i == FTC_TAB_NONE)
            break;
        more = dst_at(dt, i)->has_next;
        d = dst_at(dt, i)->next;
        ftc_tab_remove(dt, i);
    }
    r->links &= ~L_DSTS;
    r->first = r->last = 0;
}

static uint32_t popcount1024(const uint32_t *w)
{
    uint32_t n = 0, k;
    for (k = 0; k < 32; k++)
        n += (uint32_t)__builtin_popcount(w[k]);
    return n;
}

/* ---- text ---- */

static size_t put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return n;
}

/* s left- (right = 0) or right-justified in w */
static size_t put_pad(char *p, const char *s, size_t n, size_t w, int right)
{
    size_t k = 0;
    if (right)
        for (; n + k < w; k++)
            p[k] = ' ';
    memcpy(p + k, s, n);
    k += n;
    if (!right)
        for (; k < w; k++)
            p[k] = ' ';
    return k;
}

static size_t put_num(char *p, uint64_t v, size_t w, int right)
{
    char b[24];
    return put_pad(p, b, ftc_put_dec64(b, v), w, right);
}

/* "MMDD.HH:MM:SS.m  " of an absolute time in ms: milliseconds unpadded,
   left-justified in 3, then a blank.  FTC_DSCAN_GARBLE: the date and
   clock of the 64-bit value secs + ms * 2^32, as the reference reads it */
static size_t put_dtime(char *p, uint64_t ms_abs, int garble)
{
    uint32_t secs = (uint32_t)(ms_abs / 1000u), ms = (uint32_t)(ms_abs % 1000u);
    int64_t t = garble ? (int64_t)((uint64_t)secs | (uint64_t)ms << 32) : (int64_t)secs;
    ftc_ymdhms_t tm;
    size_t k = 0;
    ftc_local_parts((time_t)t, &tm);
    ftc_put2(p, (unsigned)tm.mon % 100u);
    ftc_put2(p + 2, (unsigned)tm.mday % 100u);
    p[4] = '.';
    ftc_put2(p + 5, (unsigned)tm.hour % 100u);
    p[7] = ':';
    ftc_put2(p + 8, (unsigned)tm.min % 100u);
    p[10] = ':';
    ftc_put2(p + 11, (unsigned)tm.sec % 100u);
    p[13] = '.';
    k = 14;
    k += put_num(p + k, ms, 3, 0);
    p[k++] = ' ';
    return k;
}

typedef struct {
    char *out;
    size_t *len;
    const char *prefix;
    size_t prefix_len;
} text_t;

static char *line_start(text_t *x)
{
    char *p = x->out + *x->len;
    memcpy(p, x->prefix, x->prefix_len);
    return p + x->prefix_len;
}

static void line_end(text_t *x, char *end)
{
    *end++ = '\n';
    *x->len = (size_t)(end - x->out);
}

/* ---- the detector ---- */

typedef struct {
    int secs, nsecs, uptime, first, last, src, dst, in, out, sport, dport, prot, flags,
        pkts, octets;
} offs_t;

static int has_sorted(const uint32_t *v, uint32_t n, uint32_t a)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo] == a;
}

static int in_list(const uint8_t *bits, uint32_t v)
{
    return (bits[(v & 0xFFFFu) >> 3] >> (v & 7u)) & 1u;
}

static void dump_flow(ftc_dscan_t *st, text_t *x, const ftc_layout_t *L, const uint8_t *r,
                      const offs_t *o)
{
    int garble = (st->opts & FTC_DSCAN_GARBLE) != 0;
    char *p, ip[16];
    if (!st->dump_header) {
        p = line_start(x);
        p += put_str(p, DUMP_HEADER);
        line_end(x, p);
        st->dump_header = 1;
    }
    p = line_start(x);
    p += put_dtime(p, ftc_flow_ms(L, r, FTC_F_FIRST), garble);
    line_end(x, p);
    p = line_start(x);
    p += put_dtime(p, ftc_flow_ms(L, r, FTC_F_LAST), garble);
    line_end(x, p);
    /* %4d %-15.15s %6d %4d %-15.15s %6d %3d %2d %10u %10u */
    p = line_start(x);
    p += put_num(p, ftc_ld16(r + o->in), 4, 1);
    *p++ = ' ';
    p += put_pad(p, ip, ftc_put_ip(ip, ftc_ld32(r + o->src)), 15, 0);
    *p++ = ' ';
    p += put_num(p, ftc_ld16(r + o->sport), 6, 1);
    *p++ = ' ';
    p += put_num(p, ftc_ld16(r + o->out), 4, 1);
    *p++ = ' ';
    p += put_pad(p, ip, ftc_put_ip(ip, ftc_ld32(r + o->dst)), 15, 0);
    *p++ = ' ';
    p += put_num(p, ftc_ld16(r + o->dport), 6, 1);
    *p++ = ' ';
    p += put_num(p, r[o->prot], 3, 1);
    *p++ = ' ';
    p += put_num(p, r[o->flags] & 7u, 2, 1);
    *p++ = ' ';
    p += put_num(p, ftc_ld32(r + o->pkts), 10, 1);
    *p++ = ' ';
    p += put_num(p, ftc_ld32(r + o->octets), 10, 1);
    line_end(x, p);
}

static void scan_line(ftc_dscan_t *st, text_t *x, const char *what, uint32_t s, int has_d,
                      uint32_t d, uint64_t ms_abs)
{
    char *p = line_start(x);
    p += put_str(p, what);
    p += ftc_put_ip(p, s);
    if (has_d) {
        p += put_str(p, " dst=");
        p += ftc_put_ip(p, d);
    }
    p += put_str(p, " ts=");
    p += ftc_put_dec(p, (uint32_t)(ms_abs / 1000u));
    p += put_str(p, " start=");
    p += put_dtime(p, ms_abs, (st->opts & FTC_DSCAN_GARBLE) != 0);
    line_end(x, p);
}

/* ---- the ager ----
 * A run visits FTC_DSCAN_AGER_BUCKETS buckets from ager_pos on (fewer at
 * the end of the table: a run stops there).  Its buckets are independent:
 * a bucket's walk reads and changes only its own sources, their
 * destinations and its head, and a removal moves other keys' slots but
 * never what a key holds (lists link addresses, every step finds its slot
 * anew).  So the run walks LANES buckets at once, one step of each in
 * turn, and the cache misses of the lanes overlap where a walk bucket by
 * bucket waits for every one in turn; the outcome is the same.  A source
 * takes two steps: the first finds its slot (fetched when the lane took
 * it) and starts fetching its first destination and the next source; the
 * second, once those had time to arrive, ages it. */

#define LANES 8

typedef struct {
    uint32_t b;          /* the bucket */
    uint32_t s, more;    /* the source to visit (more: there is one) */
    uint32_t prev, has_prev;   /* the source before it, kept */
    uint32_t guard;      /* sources visited (a corrupt list ends) */
    uint32_t fetched;    /* the first step of source s is done */
} lane_t;

/* The next non-empty bucket of the run (*next up to end) into lane w, its
   head's slot fetched; 0 when the run has none left. */
static int lane_take(const ftc_dscan_t *st, const ftc_tab_t *t, lane_t *w, uint32_t *next,
                     uint32_t end)
{
    while (*next < end) {
        uint32_t b = (*next)++;
        if (!st->heads[2 * b + 1])
            continue;
        w->b = b;
        w->s = st->heads[2 * b];
        w->more = 1;
        w->prev = w->has_prev = w->guard = w->fetched = 0;
        ftc_tab_prefetch(t, src_tag(w->s));
        return 1;
    }
    return 0;
}

/* drop the destinations of source r (address s) not seen for ager_timeout
   flows */
static void age_dsts(const ftc_dscan_t *st, ftc_tab_t *dt, ftc_dscan_src_t *r, uint32_t s)
{
    uint32_t d = r->first, dmore = 1, pd = 0, has_pd = 0, g2;
    for (g2 = 0; dmore && g2 <= dt->cap; g2++) {
        uint32_t j = dst_find(dt, s, d), dn, dm;
        if (j == FTC_TAB_NONE)
            break;
        dn = dst_at(dt, j)->next;
        dm = dst_at(dt, j)->has_next;
        if (dm)
            ftc_tab_prefetch_slot(dt, dst_tag(dst_key(s, dn)));
        if ((uint32_t)st->flows - dst_at(dt, j)->seen > st->ager_timeout) {
            ftc_tab_remove(dt, j);
            if (r->depth)
                r->depth--;
            if (has_pd) {
                uint32_t pj = dst_find(dt, s, pd);
                if (pj != FTC_TAB_NONE) {
                    dst_at(dt, pj)->next = dn;
                    dst_at(dt, pj)->has_next = dm;
                }
            } else {
                r->first = dn;
            }
            if (!dm) {
                if (has_pd)
                    r->last = pd;
                else
                    r->links &= ~L_DSTS;
            }
        } else {
            pd = d;
            has_pd = 1;
        }
        d = dn;
        dmore = dm;
    }
}

/* One step of lane w; 0 when its bucket is done. */
static int lane_step(ftc_dscan_t *st, ftc_tab_t *t, ftc_tab_t *dt, lane_t *w)
{
    uint32_t i, s = w->s, nx, nmore;
    ftc_dscan_src_t *r;
    if (!w->more || w->guard > t->cap)
        return 0;
    i = src_find(t, s);
    if (i == FTC_TAB_NONE)
        return 0;
    r = src_at(t, i);
    if (!w->fetched) {
        if (r->links & L_DSTS)
            ftc_tab_prefetch_slot(dt, dst_tag(dst_key(s, r->first)));
        if (r->links & L_NEXT)
            ftc_tab_prefetch(t, src_tag(r->next));
        w->fetched = 1;
        return 1;
    }
    if (r->links & L_DSTS)
        age_dsts(st, dt, r, s);
    nx = r->next;
    nmore = r->links & L_NEXT;
    if (r->depth == 0) {        /* the source goes */
        if (r->links & L_DSTS)
            dst_free_all(dt, r, s);
        ftc_tab_remove(t, i);
        if (w->has_prev) {
            uint32_t pi = src_find(t, w->prev);
            if (pi != FTC_TAB_NONE) {
                src_at(t, pi)->next = nx;
                if (nmore)
                    src_at(t, pi)->links |= L_NEXT;
                else
                    src_at(t, pi)->links &= ~L_NEXT;
            }
        } else {
            st->heads[2 * w->b] = nx;
            st->heads[2 * w->b + 1] = nmore ? 1u : 0u;
        }
    } else {
        w->prev = s;
        w->has_prev = 1;
    }
    w->s = nx;
    w->more = nmore;
    w->guard++;
    w->fetched = 0;
    return 1;
}

/* one ager run */
static void ager(ftc_dscan_t *st, ftc_tab_t *t, ftc_tab_t *dt, text_t *x)
{
    lane_t lane[LANES];
    uint32_t next = st->ager_pos, end = st->ager_pos + FTC_DSCAN_AGER_BUCKETS, k, live = 0;
    if (end > FTC_DSCAN_BUCKETS)
        end = FTC_DSCAN_BUCKETS;
    for (k = 0; k < LANES && lane_take(st, t, &lane[live], &next, end); k++)
        live++;
    while (live) {
        for (k = 0; k < live; k++) {
            if (lane_step(st, t, dt, &lane[k]))
                continue;
            if (!lane_take(st, t, &lane[k], &next, end))
                lane[k--] = lane[--live];       /* the last lane takes its place */
        }
    }
    st->ager_pos = end;
    if (st->ager_pos == FTC_DSCAN_BUCKETS) {
        st->ager_pos = 0;
        if (st->opts & FTC_DSCAN_DEBUG) {
            char *p = line_start(x);
            p += put_str(p, "ager: reset hash run");
            line_end(x, p);
        }
    }
}

static int st_ok(const ftc_dscan_t *st, const ftc_tab_t *t, const ftc_tab_t *dt)
{
    return st && st->heads && (!st->n_sup_src || st->sup_src) && (!st->n_sup_dst || st->sup_dst)
        && st->ager_pos < FTC_DSCAN_BUCKETS && ftc_tab_ok(t, FTC_TAB_DSRC) && t->key_len == 4
        && (!dt || (ftc_tab_ok(dt, FTC_TAB_DDST) && dt->key_len == 8));
}

int ftc_dscan_add(ftc_dscan_t *st, ftc_tab_t *t, ftc_tab_t *dt, int rt,
                  const uint8_t *recs, size_t n, size_t size, size_t *done,
                  const char *prefix, size_t prefix_len, char *out, size_t cap, size_t *len)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    text_t x;
    offs_t o;
    size_t rs, i;
    if (!L || !dt || !st_ok(st, t, dt) || !done || *done > n || (n && !recs) || !len
        || !out || *len > cap || prefix_len > 64 || (prefix_len && !prefix))
        return FTC_EINVAL;
    if (L->version != 1 && L->version != 5 && L->version != 6 && L->version != 7)
        return FTC_EFIELD;
    rs = L->rec_size;
    if (n > size / rs)
        return FTC_EINVAL;
    o.secs = L->off[FTC_F_UNIX_SECS];
    o.src = L->off[FTC_F_SRCADDR];
    o.dst = L->off[FTC_F_DSTADDR];
    o.in = L->off[FTC_F_INPUT];
    o.out = L->off[FTC_F_OUTPUT];
    o.sport = L->off[FTC_F_SRCPORT];
    o.dport = L->off[FTC_F_DSTPORT];
    o.prot = L->off[FTC_F_PROT];
    o.flags = L->off[FTC_F_TCP_FLAGS];
    o.pkts = L->off[FTC_F_DPKTS];
    o.octets = L->off[FTC_F_DOCTETS];
    o.first = L->off[FTC_F_FIRST];
    o.last = L->off[FTC_F_LAST];
    if (o.secs < 0 || o.src < 0 || o.dst < 0 || o.in < 0 || o.out < 0 || o.sport < 0
        || o.dport < 0 || o.prot < 0 || o.flags < 0 || o.pkts < 0 || o.octets < 0
        || o.first < 0 || o.last < 0)
        return FTC_EFIELD;
    x.out = out;
    x.len = len;
    x.prefix = prefix;
    x.prefix_len = prefix_len;
    for (i = *done; i < n && i < *done + AHEAD; i++)
        prefetch_record(st, t, dt, recs + i * rs, o.src, o.dst);
    for (i = *done; i < n; i++) {
        const uint8_t *r = recs + i * rs;
        uint32_t s, d, ti, di, stag, dtag, prot = r[o.prot];
        uint64_t dk;
        int no_room;
        uint16_t sport, dport;
        ftc_dscan_src_t *sr;
        if (i + AHEAD < n)
            prefetch_record(st, t, dt, r + AHEAD * rs, o.src, o.dst);
        if (cap - *len < FTC_DSCAN_TEXT_MAX) {
            *done = i;
            return FTC_OK;
        }
        no_room = !ftc_tab_room(t, 1);
        no_room |= !ftc_tab_room(dt, 1);                      /* both asked */
        if (no_room) {
            *done = i;
            return FTC_EFULL;
        }
        s = ftc_ld32(r + o.src);
        d = ftc_ld32(r + o.dst);
        sport = ftc_ld16(r + o.sport);
        dport = ftc_ld16(r + o.dport);
        if (st->in_ifs && !in_list(st->in_ifs, ftc_ld16(r + o.in)))
            continue;
        if (st->out_ifs && !in_list(st->out_ifs, ftc_ld16(r + o.out)))
            continue;
        if ((st->opts & FTC_DSCAN_MCAST)
            && ((s & 0xF0000000u) == 0xE0000000u || (d & 0xF0000000u) == 0xE0000000u))
            continue;
        if ((st->opts & FTC_DSCAN_WEBSRC) && prot == 6 && sport == 80 && dport > 1023)
            continue;
        if ((st->opts & FTC_DSCAN_WEBDST) && prot == 6 && dport == 80 && sport > 1023)
            continue;
        if (st->n_sup_src && has_sorted(st->sup_src, st->n_sup_src, s))
            continue;
        /* the reference looks .dst entries up in the bucket of the source */
        if (st->n_sup_dst && bucket_of(s) == bucket_of(d)
            && has_sorted(st->sup_dst, st->n_sup_dst, d))
            continue;
        if (st->octets && ftc_ld32(r + o.octets) > st->octets)
            dump_flow(st, &x, L, r, &o);
        if (st->packets && ftc_ld32(r + o.pkts) > st->packets)
            dump_flow(st, &x, L, r, &o);
        if (st->msecs && ftc_ld32(r + o.last) - ftc_ld32(r + o.first) > st->msecs)
            dump_flow(st, &x, L, r, &o);
        /* scan tracking */
        st->flows++;
        if (st->ager_timeout && st->flows % FTC_DSCAN_AGER_EVERY == 0)
            ager(st, t, dt, &x);
        /* one probe per table: the slot of the key, or the free slot
           where it goes */
        stag = src_tag(s);
        ti = ftc_tab_probe_word(t, s, stag, 4);
        dk = dst_key(s, d);
        dtag = dst_tag(dk);
        if (ti == FTC_TAB_NONE)
            return FTC_EINVAL;
        if (ftc_tab_tag_at(t, ti) == 0) {           /* a new source */
            ftc_dscan_dst_t *nd;
            sr = src_add(st, t, ti, s, stag);
            di = ftc_tab_probe_word(dt, dk, dtag, 8);
            if (di == FTC_TAB_NONE || ftc_tab_tag_at(dt, di) != 0)
                return FTC_EINVAL;
            nd = dst_add(dt, sr, s, d, di, dk, dtag);
            nd->seen = (uint32_t)st->flows;
            if (dport < 1024)
                nd->ports[dport >> 5] |= 1u << (dport & 31u);
            sr->depth = 1;
            continue;
        }
        sr = src_at(t, ti);
        if (sr->flags)
            continue;
        di = ftc_tab_probe_word(dt, dk, dtag, 8);
        if (di != FTC_TAB_NONE && ftc_tab_tag_at(dt, di) != 0) {
            ftc_dscan_dst_t *xd = dst_at(dt, di);
            xd->seen = (uint32_t)st->flows;
            if (dport < 1024) {
                xd->ports[dport >> 5] |= 1u << (dport & 31u);
                if (popcount1024(xd->ports) >= st->port_trigger) {
                    scan_line(st, &x, "port scan: src=", s, 1, d,
                              ftc_flow_ms(L, r, FTC_F_FIRST));
                    memset(xd->ports, 0, sizeof xd->ports);
                    sr->flags |= FTC_DSCAN_PORT;
                }
            }
        } else if (sr->depth >= st->ip_depth) {
            scan_line(st, &x, "host scan: ip=", s, 0, 0, ftc_flow_ms(L, r, FTC_F_FIRST));
            dst_free_all(dt, sr, s);
            sr->depth = 0;
            sr->flags |= FTC_DSCAN_HOST;
        } else {
            ftc_dscan_dst_t *nd;
            if (di == FTC_TAB_NONE)
                return FTC_EINVAL;
            nd = dst_add(dt, sr, s, d, di, dk, dtag);
            nd->seen = (uint32_t)st->flows;
            if (dport < 1024)
                nd->ports[dport >> 5] |= 1u << (dport & 31u);
            sr->depth++;
        }
    }
    *done = n;
    return FTC_OK;
}

/* ---- the state file ---- */

/* cursor: cur[0] bucket, cur[1] phase (0: bucket start, 1: source cur[2]'s
   H line, 2: destination cur[3] of source cur[2], 3: done), */
int ftc_dscan_save(const ftc_dscan_t *st, const ftc_tab_t *t, const ftc_tab_t *dt,
                   uint32_t *cur, char *out, size_t cap, size_t *len)
{
    if (!st_ok(st, t, dt) || !dt || !cur || !out || !len || *len > cap
        || cur[0] > FTC_DSCAN_BUCKETS || cur[1] > 3)
        return FTC_EINVAL;
    while (cap - *len >= FTC_DSCAN_TEXT_MAX + 8192u) {
        char *p = out + *len;
        if (cur[1] == 3)
            return 1;
        if (cur[1] == 0) {
            if (cur[0] == FTC_DSCAN_BUCKETS) {
                *p++ = '.';
                *p++ = '\n';
                *len = (size_t)(p - out);
                cur[1] = 3;
                return 1;
            }
            if (st->heads[2 * cur[0] + 1]) {
                cur[2] = st->heads[2 * cur[0]];
                cur[1] = 1;
            } else {
                cur[0]++;
            }
            continue;
        }
        {
            uint32_t i = src_find(t, cur[2]);
            const ftc_dscan_src_t *r;
            if (i == FTC_TAB_NONE)
                return FTC_EINVAL;
            r = src_at(t, i);
            if (cur[1] == 1) {
                p += put_str(p, "H ");
                p += ftc_put_dec(p, cur[0]);
                *p++ = ' ';
                p += ftc_put_dec(p, r->depth);
                *p++ = ' ';
                p += ftc_put_dec(p, r->flags);
                *p++ = ' ';
                p += ftc_put_ip(p, cur[2]);
                *p++ = '\n';
                *len = (size_t)(p - out);
                if (r->links & L_DSTS) {
                    cur[3] = r->first;
                    cur[1] = 2;
                    continue;
                }
            } else {
                uint32_t j = dst_find(dt, cur[2], cur[3]);
                const ftc_dscan_dst_t *x;
                uint32_t np, port;
                if (j == FTC_TAB_NONE)
                    return FTC_EINVAL;
                x = dst_at(dt, j);
                p += put_str(p, "I  ");
                p += ftc_put_dec(p, x->seen);
                *p++ = ' ';
                p += ftc_put_ip(p, cur[3]);
                *p++ = '\n';
                if ((np = popcount1024(x->ports)) != 0) {
                    p += put_str(p, "P ");
                    p += ftc_put_dec(p, np);
                    for (port = 0; port < 1024; port++)
                        if ((x->ports[port >> 5] >> (port & 31u)) & 1u) {
                            *p++ = ' ';
                            p += ftc_put_dec(p, port);
                        }
                    *p++ = '\n';
                }
                *len = (size_t)(p - out);
                if (x->has_next) {
                    cur[3] = x->next;
                    continue;
                }
            }
            /* the next source of the bucket, or the next bucket */
            if (r->links & L_NEXT) {
                cur[2] = r->next;
                cur[1] = 1;
            } else {
                cur[0]++;
                cur[1] = 0;
            }
        }
    }
    return 0;
}

int ftc_dscan_put_src(ftc_dscan_t *st, ftc_tab_t *t, uint32_t s, uint32_t depth,
                      uint32_t flags)
{
    ftc_dscan_src_t *r;
    if (!st_ok(st, t, NULL) || flags > 3)
        return FTC_EINVAL;
    if (src_find(t, s) != FTC_TAB_NONE)
        return FTC_EINVAL;
    if (!ftc_tab_room(t, 1))
        return FTC_EFULL;
    r = src_new(st, t, s);
    if (!r)
        return FTC_EINVAL;
    r->depth = depth;
    r->flags = flags;
    return FTC_OK;
}

int ftc_dscan_put_dst(ftc_dscan_t *st, ftc_tab_t *t, ftc_tab_t *dt, uint32_t s,
                      uint32_t d, uint32_t seen, const uint32_t *ports)
{
    uint32_t i;
    ftc_dscan_dst_t *x;
    if (!dt || !st_ok(st, t, dt) || !ports)
        return FTC_EINVAL;
    i = src_find(t, s);
    if (i == FTC_TAB_NONE || dst_find(dt, s, d) != FTC_TAB_NONE)
        return FTC_EINVAL;
    if (!ftc_tab_room(dt, 1))
        return FTC_EFULL;
    x = dst_new(dt, src_at(t, i), s, d);
    if (!x)
        return FTC_EINVAL;
    x->seen = seen;
    memcpy(x->ports, ports, sizeof x->ports);
    return FTC_OK;
}
