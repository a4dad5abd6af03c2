/* ipfix.c -- NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) decoding with
 * templates.  The ipfix.c section of ftcore.h is the specification.
 *
 * The state is one caller-owned buffer:
 *
 *   [ header | source table | sources | template table | pool | pending ring ]
 *
 * - sources: THE hash table (FTC_TAB_IPXS; key: exporter address, port,
 *   version, domain; value: the source's index) over an array of src_t,
 *   indexed in order of appearance (sources are never removed);
 * - templates: THE hash table (FTC_TAB_IPXT; key: source index, template
 *   ID; value: the offset of the template's chunk in the pool);
 * - the pool: template chunks back to back (tpl_t, the compiled program,
 *   the template record as received); freed chunks are compacted away
 *   when a new one needs their room;
 * - the pending ring: data sets waiting for their template, in arrival
 *   order (FIFO), each also linked into its source's list.
 *
 * A template compiles into a program of ops (offset, length, action,
 * slot): fields that map to nothing are merged into the offset of the next
 * op, a variable-length field is an op that moves the base, and A_END gives
 * the record's end.  A data record runs the program into v[FTC_F_*] (and a
 * few 64-bit extras: counters, times, sampling), then ftc_store() writes
 * the target record type, as pdu.c does for v1-v8 datagrams.
 *
 * Every offset kept in the state is relative to the state, so the state
 * may move between calls; the tables' slot pointers are refreshed on
 * entry.
 */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"
#include "ftc_table.h"

_Static_assert(FTC_IPX_NREASONS == 8, "ftc_ipx_info_t.refused has FTC_IPX_NREASONS entries");

#define NONE32     0xFFFFFFFFu
#define IPX_MAGIC  0x58504946u          /* the state's */
#define NTP_UNIX   2208988800u          /* seconds from 1900 to 1970 */
#define AS_TRANS   23456u
#define SKEY_LEN   12                   /* ip 4, port 2, version 2, domain 4 */
#define TKEY_LEN   8                    /* source index 4, template ID 2, 0 2 */
#define VARLEN     0xFFFFu              /* field length of a variable-length field */
#define HAS_N      320                  /* IE numbers the mapping looks at */
#define MAX_RECORD 65535u               /* longest record a template may describe */
#define PAD        (-1)                 /* tpl_parse: the rest of the set is padding */

static const uint8_t save_magic[8] = {'F', 'T', 'C', 'I', 'P', 'X', 0, 1};

/* ------------------------------------------------------------------ */
/* the state                                                           */

enum { K_DATA = 0, K_OPTIONS = 1, K_STATE = 2 };     /* set kinds; save entry kinds */
enum { C_FLOW = 0, C_OTHER = 1, C_OPTIONS = 2 };     /* what a template's records are */
enum { V6_NONE = 0, V6_ALL = 1, V6_BYVER = 2 };
enum { T_NONE = 0, T_UP, T_SEC, T_MS, T_NTP, T_DELTA };
enum { SP_INTERVAL = 1, SP_SAMPLER = 2, SP_ALGO = 4, SP_PINT = 8, SP_PSPACE = 16, SP_INIT = 32 };
enum { SEQ_NEW = 0, SEQ_KNOWN = 1, SEQ_UNKNOWN = 2 };

/* 64-bit extras a record fills beside v[]; the IPv6 fields (v1006) each
   take a pair (X_S6 and X_S6 + 1: the address's upper and lower 64 bits) */
enum { X_OCT, X_PKT, X_T0, X_T1, X_INTERVAL, X_SAMPLER, X_INIT, X_IPVER, X_ALGO, X_PINT,
       X_PSPACE, X_S6, X_S6_LO, X_D6, X_D6_LO, X_N6, X_N6_LO, X_LABEL, X_SMASK6, X_DMASK6,
       NX };

/* IPv6 fields of a flow template (tpl_t.a6) */
enum { A6_SMASK = 1, A6_DMASK = 2 };

/* op actions: A_V1/2/4 load into v[slot] as they are; A_V32 .. A_X load
   any width 1..8 and convert; the ones after A_X are the same for one
   common width (compiled in by fast_act: one dispatch an op) */
enum { A_END = 0, A_VAR, A_V1, A_V2, A_V4, A_V32, A_U16, A_U8, A_LOW8, A_AS, A_DSCP,
       A_ICMPT, A_ICMPC, A_X, A_X1, A_X2, A_X4, A_X8, A_U16_4, A_AS_4, A_V32_8, A_A16 };

typedef struct {
    uint16_t off;      /* from the base (record start, or end of the last variable field) */
    uint16_t need;     /* A_VAR: bytes the next segment reads from its new base */
    uint8_t  len;      /* field bytes, 1..8 (0 for A_VAR, A_END) */
    uint8_t  act;
    uint8_t  slot;     /* FTC_F_* or X_* */
    uint8_t  pad;
} op_t;

/* a template chunk in the pool; its ops and the template record follow */
typedef struct {
    uint32_t size;       /* chunk bytes (multiple of 8), header included */
    uint32_t src;        /* source index */
    uint16_t tid;
    uint8_t  live;
    uint8_t  kind;       /* K_DATA, K_OPTIONS */
    uint8_t  cls;        /* C_* */
    uint8_t  v6;         /* V6_* */
    uint8_t  tstart;     /* T_* */
    uint8_t  tend;
    uint8_t  samp;       /* SP_* present */
    uint8_t  a6;         /* A6_* present */
    uint8_t  pad[2];
    uint32_t nops;
    uint32_t min_len;    /* smallest record */
    uint32_t fixed_len;  /* record bytes; 0 when a field has a variable length */
    uint32_t raw_len;    /* the template record's bytes */
    uint32_t nfields;
} tpl_t;

typedef struct {
    uint64_t id;
    uint32_t interval;
    uint32_t pad;
} sampler_t;

typedef struct {
    ftc_ipx_source_t pub;
    uint64_t init_ms;        /* system init time (160), when init_known */
    uint32_t init_known;
    uint32_t seq_state;      /* SEQ_* */
    uint32_t seq_expected;
    uint32_t nsamplers;
    uint32_t sampler_next;   /* the one replaced next when all are taken */
    uint32_t pend_bytes;     /* ring bytes of its pending sets */
    uint32_t pend_first;     /* ring offsets of its oldest and newest; NONE32 */
    uint32_t pend_last;
    uint32_t last_seen;      /* `now` of its last datagram (0: loaded, not heard yet) */
    uint32_t pad;
    sampler_t samplers[FTC_IPX_MAX_SAMPLERS];
} src_t;

/* a pending data set in the ring; its bytes follow */
typedef struct {
    uint32_t size;       /* entry bytes (multiple of 8); 0: wrap marker */
    uint32_t src;        /* source index; NONE32: dead (released or dropped) */
    uint32_t next;       /* the source's list, ring offsets, NONE32 at the ends */
    uint32_t prev;
    uint32_t arrived;    /* `now` when it came */
    uint32_t export_secs;
    uint32_t sys_uptime; /* v9 header uptime */
    uint16_t set_id;
    uint16_t len;        /* set bytes after the set header */
    uint32_t ready;      /* its template is known */
    uint32_t pad;
} pend_t;

typedef struct {
    uint32_t magic;
    uint32_t pad0;
    uint64_t size;
    uint8_t *base;           /* the state's address (refreshed on entry) */
    ftc_ipx_limits_t lim;
    uint32_t scap, tcap;
    ftc_tab_t stab, ttab;
    uint32_t off_src, off_pool, off_ring, off_stab, off_ttab;
    uint32_t pool_size, ring_size;
    uint32_t nsrc;
    uint32_t pool_top, pool_waste;
    uint32_t head, tail, rused, rlive, ready;
    uint32_t hand;           /* where the next search for an idle source starts */
    uint32_t pad1;
    ftc_store_t store[FTC_RT_V1005 + 2];   /* how to store v[] for V1 .. V1005, then V1006 */
} ipx_t;

typedef struct {
    uint64_t stab, src, ttab, pool, ring, total;
    uint32_t scap, tcap, pool_size, ring_size;
} plan_t;

static inline uint64_t al8(uint64_t n) { return (n + 7u) & ~(uint64_t)7u; }

static uint32_t cap_for(uint32_t n)
{
    uint32_t c = FTC_TAB_MIN_CAP;
    while (ftc_tab_max_used(c) < n)
        c <<= 1;
    return c;
}

/* the largest chunk a template of nf fields takes */
static uint64_t tpl_max(uint32_t nf)
{
    return al8(sizeof(tpl_t) + ((uint64_t)nf + 1u) * sizeof(op_t) + 6u + 8u * (uint64_t)nf);
}

static int plan(const ftc_ipx_limits_t *lim, plan_t *p)
{
    uint64_t at, pool;
    if (!lim || !lim->max_sources || !lim->max_templates || !lim->max_per_source
        || !lim->max_fields || !lim->pending_bytes || !lim->pending_per_source
        || !lim->pending_secs || lim->max_sources > FTC_IPX_LIM_SOURCES
        || lim->max_templates > FTC_IPX_LIM_TEMPLATES || lim->max_fields > FTC_IPX_LIM_FIELDS
        || lim->pending_bytes > FTC_IPX_LIM_PENDING)
        return 0;
    p->scap = cap_for(lim->max_sources);
    p->tcap = cap_for(lim->max_templates);
    at = al8(sizeof(ipx_t));
    p->stab = at;
    at += (uint64_t)p->scap * ftc_tab_stride_of(ftc_tab_val_len(FTC_TAB_IPXS), SKEY_LEN);
    p->src = at;
    at += al8((uint64_t)lim->max_sources * sizeof(src_t));
    p->ttab = at;
    at += (uint64_t)p->tcap * ftc_tab_stride_of(ftc_tab_val_len(FTC_TAB_IPXT), TKEY_LEN);
    pool = (uint64_t)lim->max_templates * (sizeof(tpl_t) + FTC_IPX_POOL_FIELDS * 12u)
           + tpl_max(lim->max_fields);
    pool = al8(pool);
    p->pool = at;
    at += pool;
    p->ring = at;
    at += al8(lim->pending_bytes);
    p->total = at;
    if (at > 0xFFFFFFF0u || at > SIZE_MAX)
        return 0;
    p->pool_size = (uint32_t)pool;
    p->ring_size = (uint32_t)al8(lim->pending_bytes);
    return 1;
}

size_t ftc_ipx_size(const ftc_ipx_limits_t *lim)
{
    plan_t p;
    return plan(lim, &p) ? (size_t)p.total : 0;
}

int ftc_ipx_init(void *mem, size_t size, const ftc_ipx_limits_t *lim)
{
    ipx_t *x = mem;
    uint8_t *b = mem;
    plan_t p;
    int k;
    if (!mem || ((uintptr_t)mem & 7u) || !plan(lim, &p) || size < p.total)
        return FTC_EINVAL;
    memset(b, 0, (size_t)p.ring);   /* all but the ring: tables and sources must be zero */
    x->magic = IPX_MAGIC;
    x->size = p.total;
    x->base = b;
    x->lim = *lim;
    x->scap = p.scap;
    x->tcap = p.tcap;
    x->off_stab = (uint32_t)p.stab;
    x->off_src = (uint32_t)p.src;
    x->off_ttab = (uint32_t)p.ttab;
    x->off_pool = (uint32_t)p.pool;
    x->off_ring = (uint32_t)p.ring;
    x->pool_size = p.pool_size;
    x->ring_size = p.ring_size;
    for (k = FTC_RT_V1; k <= FTC_RT_V1005; k++)
        ftc_store_init(ftc_layout_get(k), &x->store[k]);
    ftc_store_init(ftc_layout_get(FTC_RT_V1006), &x->store[FTC_RT_V1005 + 1]);
    if (ftc_tab_init(&x->stab, FTC_TAB_IPXS, SKEY_LEN, p.scap, b + p.stab,
                     (size_t)(p.src - p.stab)) != FTC_OK
        || ftc_tab_init(&x->ttab, FTC_TAB_IPXT, TKEY_LEN, p.tcap, b + p.ttab,
                        (size_t)(p.pool - p.ttab)) != FTC_OK)
        return FTC_EINVAL;
    return FTC_OK;
}

/* Check the header of the state at mem and point *x at a usable view of
   it: the state itself (its pointers refreshed) when writable, else the
   caller's copy. */
static ipx_t *state_view(const void *mem, ipx_t *copy)
{
    const ipx_t *s = mem;
    ipx_t *x;
    plan_t p;
    if (!mem || ((uintptr_t)mem & 7u) || s->magic != IPX_MAGIC || !plan(&s->lim, &p)
        || s->size != p.total || s->off_stab != p.stab || s->off_src != p.src
        || s->off_ttab != p.ttab || s->off_pool != p.pool || s->off_ring != p.ring
        || s->pool_size != p.pool_size || s->ring_size != p.ring_size
        || s->scap != p.scap || s->tcap != p.tcap)
        return NULL;
    if (copy) {
        memcpy(copy, s, sizeof *copy);
        x = copy;
    } else {
        x = (ipx_t *)(uintptr_t)mem;
    }
    x->base = (uint8_t *)(uintptr_t)mem;
    x->stab.slot = x->base + x->off_stab;
    x->ttab.slot = x->base + x->off_ttab;
    if (!ftc_tab_ok(&x->stab, FTC_TAB_IPXS) || x->stab.key_len != SKEY_LEN
        || x->stab.cap != x->scap || !ftc_tab_ok(&x->ttab, FTC_TAB_IPXT)
        || x->ttab.key_len != TKEY_LEN || x->ttab.cap != x->tcap
        || x->nsrc > x->lim.max_sources || x->stab.used != x->nsrc
        || x->ttab.used > x->lim.max_templates
        || x->pool_top > x->pool_size || x->pool_waste > x->pool_top
        || x->head > x->ring_size || x->tail > x->ring_size || x->rused > x->ring_size
        || (x->head & 7u) || (x->tail & 7u) || x->ready > x->rlive)
        return NULL;
    return x;
}

static inline src_t *src_at(const ipx_t *x, uint32_t i)
{
    return (src_t *)(void *)(x->base + x->off_src) + i;
}

static inline tpl_t *chunk(const ipx_t *x, uint32_t off)
{
    return (tpl_t *)(void *)(x->base + x->off_pool + off);
}

static inline const op_t *tpl_ops(const tpl_t *t)
{
    return (const op_t *)(const void *)((const uint8_t *)t + sizeof *t);
}

static inline const uint8_t *tpl_raw(const tpl_t *t)
{
    return (const uint8_t *)t + sizeof *t + (size_t)t->nops * sizeof(op_t);
}

static inline pend_t *pend_at(const ipx_t *x, uint32_t off)
{
    return (pend_t *)(void *)(x->base + x->off_ring + off);
}

static inline uint32_t slot_val(const ftc_tab_t *t, uint32_t i)
{
    uint32_t v;
    memcpy(&v, ftc_tab_at(t, i), 4);
    return v;
}

static inline void slot_set(ftc_tab_t *t, uint32_t i, uint32_t v)
{
    memcpy(ftc_tab_at(t, i), &v, 4);
}

static inline uint64_t ldbe64(const uint8_t *p)
{
    return (uint64_t)ftc_ldbe32(p) << 32 | ftc_ldbe32(p + 4);
}

static inline void stbe64(uint8_t *p, uint64_t v)
{
    ftc_stbe32(p, (uint32_t)(v >> 32));
    ftc_stbe32(p + 4, (uint32_t)v);
}

static inline uint32_t sat32(uint64_t v) { return v > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)v; }

/* ------------------------------------------------------------------ */
/* sources                                                             */

static void skey(uint8_t *k, uint32_t ip, uint16_t port, uint16_t version, uint32_t domain)
{
    memcpy(k, &ip, 4);
    memcpy(k + 4, &port, 2);
    memcpy(k + 6, &version, 2);
    memcpy(k + 8, &domain, 4);
}

static void pend_expire(ipx_t *x, pend_t *e, ftc_ipx_info_t *info);
static void tpl_remove(ipx_t *x, uint32_t i);

/* forget source sidx (its templates, its waiting data: counted in info as
   expired) so that its index can serve a new one */
static void source_evict(ipx_t *x, uint32_t sidx, ftc_ipx_info_t *info)
{
    src_t *S = src_at(x, sidx);
    uint8_t k[SKEY_LEN];
    uint32_t i;
    while (S->pend_first != NONE32)
        pend_expire(x, pend_at(x, S->pend_first), info);
    for (i = 0; S->pub.templates && i < x->ttab.cap; i++) {
        for (;;) {
            uint32_t sidx_i;
            if (ftc_tab_tag_at(&x->ttab, i) == 0)
                break;
            memcpy(&sidx_i, ftc_tab_at(&x->ttab, i) + x->ttab.key_off, 4);
            if (sidx_i != sidx)
                break;
            tpl_remove(x, i);   /* a later key may move into slot i: look again */
        }
    }
    skey(k, S->pub.exporter_ip, S->pub.port, S->pub.version, S->pub.domain);
    i = ftc_tab_lookup(&x->stab, k);
    if (i != FTC_TAB_NONE)
        ftc_tab_remove(&x->stab, i);
    info->evicted++;
}

/* an index to reuse when every source is taken: the one heard from
   longest ago among the next FTC_IPX_EVICT_SCAN, if silent for
   FTC_IPX_IDLE_SECS at least; NONE32 when none is */
static uint32_t source_victim(ipx_t *x, uint32_t now)
{
    uint32_t j, best = NONE32, best_seen = 0;
    for (j = 0; j < FTC_IPX_EVICT_SCAN && j < x->nsrc; j++) {
        uint32_t idx = (x->hand + j) % x->nsrc;
        const src_t *S = src_at(x, idx);
        if (S->last_seen <= now && now - S->last_seen >= FTC_IPX_IDLE_SECS
            && (best == NONE32 || S->last_seen < best_seen)) {
            best = idx;
            best_seen = S->last_seen;
        }
    }
    x->hand = x->nsrc ? (x->hand + j) % x->nsrc : 0;
    return best;
}

/* the source's index, NONE32 when absent (and not created: !create, or
   the cap; *capped says which).  With info, a new source past the cap
   takes the place of an idle one (source_victim), else none does. */
static uint32_t source(ipx_t *x, uint32_t ip, uint16_t port, uint16_t version, uint32_t domain,
                       int create, int *fresh, int *capped, uint32_t now,
                       ftc_ipx_info_t *info)
{
    uint8_t k[SKEY_LEN];
    uint32_t tag, i, idx;
    src_t *S;
    *fresh = 0;
    *capped = 0;
    skey(k, ip, port, version, domain);
    tag = ftc_tag(ftc_hash(k, SKEY_LEN));
    i = ftc_tab_probe(&x->stab, k, tag);
    if (i == FTC_TAB_NONE)
        return NONE32;
    if (ftc_tab_tag_at(&x->stab, i) != 0) {
        idx = slot_val(&x->stab, i);
        return idx < x->nsrc ? idx : NONE32;
    }
    if (!create)
        return NONE32;
    if (x->nsrc < x->lim.max_sources) {
        idx = x->nsrc++;
    } else {
        idx = info ? source_victim(x, now) : NONE32;
        if (idx == NONE32) {
            *capped = 1;
            return NONE32;
        }
        source_evict(x, idx, info);
        i = ftc_tab_probe(&x->stab, k, tag);   /* the removal moved slots */
        if (i == FTC_TAB_NONE)
            return NONE32;
    }
    ftc_tab_claim(&x->stab, i, k, tag);
    slot_set(&x->stab, i, idx);
    S = src_at(x, idx);
    memset(S, 0, sizeof *S);
    S->pub.exporter_ip = ip;
    S->pub.port = port;
    S->pub.version = version;
    S->pub.domain = domain;
    S->pub.sampling = 1;
    S->pend_first = S->pend_last = NONE32;
    *fresh = 1;
    return idx;
}

static void sampler_set(src_t *S, uint64_t id, uint32_t interval)
{
    uint32_t i;
    for (i = 0; i < S->nsamplers && i < FTC_IPX_MAX_SAMPLERS; i++)
        if (S->samplers[i].id == id) {
            S->samplers[i].interval = interval;
            return;
        }
    if (S->nsamplers < FTC_IPX_MAX_SAMPLERS) {
        i = S->nsamplers++;
    } else {
        i = S->sampler_next % FTC_IPX_MAX_SAMPLERS;
        S->sampler_next = (i + 1) % FTC_IPX_MAX_SAMPLERS;
    }
    S->samplers[i].id = id;
    S->samplers[i].interval = interval;
}

/* the sampler's interval, 0 when unknown */
static inline uint32_t sampler_get(const src_t *S, uint64_t id)
{
    uint32_t i;
    for (i = 0; i < S->nsamplers && i < FTC_IPX_MAX_SAMPLERS; i++)
        if (S->samplers[i].id == id)
            return S->samplers[i].interval;
    return 0;
}

/* ------------------------------------------------------------------ */
/* templates: table and pool                                           */

static void tkey(uint8_t *k, uint32_t sidx, uint16_t tid)
{
    memset(k, 0, TKEY_LEN);
    memcpy(k, &sidx, 4);
    memcpy(k + 4, &tid, 2);
}

/* the template's slot, FTC_TAB_NONE when absent */
static uint32_t tpl_slot(const ipx_t *x, uint32_t sidx, uint16_t tid)
{
    uint8_t k[TKEY_LEN];
    tkey(k, sidx, tid);
    return ftc_tab_lookup(&x->ttab, k);
}

static const tpl_t *tpl_get(const ipx_t *x, uint32_t sidx, uint16_t tid)
{
    uint32_t i = tpl_slot(x, sidx, tid), off;
    if (i == FTC_TAB_NONE)
        return NULL;
    off = slot_val(&x->ttab, i);
    return off < x->pool_top ? chunk(x, off) : NULL;
}

static void pool_free(ipx_t *x, uint32_t off)
{
    tpl_t *t = chunk(x, off);
    if (off < x->pool_top && t->live) {
        t->live = 0;
        x->pool_waste += t->size;
    }
}

/* move the live chunks down over the freed ones */
static void pool_compact(ipx_t *x)
{
    uint32_t at = 0, to = 0;
    while (at < x->pool_top) {
        tpl_t *t = chunk(x, at);
        uint32_t sz = t->size;
        if (sz < sizeof(tpl_t) || sz > x->pool_top - at || (sz & 7u))
            break;   /* cannot happen in a state only this file wrote */
        if (t->live) {
            if (to != at) {
                uint32_t i = tpl_slot(x, t->src, t->tid);
                memmove(chunk(x, to), t, sz);
                if (i != FTC_TAB_NONE)
                    slot_set(&x->ttab, i, to);
            }
            to += sz;
        }
        at += sz;
    }
    x->pool_top = to;
    x->pool_waste = 0;
}

/* room for need bytes at the pool's top: its offset, NONE32 when full */
static uint32_t pool_alloc(ipx_t *x, uint32_t need)
{
    uint32_t off;
    if (need > x->pool_size - x->pool_top) {
        if (!x->pool_waste || need > x->pool_size - (x->pool_top - x->pool_waste))
            return NONE32;
        pool_compact(x);
        if (need > x->pool_size - x->pool_top)
            return NONE32;
    }
    off = x->pool_top;
    x->pool_top += need;
    return off;
}

/* remove the template in slot i (its chunk freed unless the slot holds
   NONE32: a replacement under way) */
static void tpl_remove(ipx_t *x, uint32_t i)
{
    uint32_t off = slot_val(&x->ttab, i), sidx;
    memcpy(&sidx, ftc_tab_at(&x->ttab, i) + x->ttab.key_off, 4);
    if (sidx < x->nsrc && src_at(x, sidx)->pub.templates)
        src_at(x, sidx)->pub.templates--;
    if (off != NONE32)
        pool_free(x, off);
    ftc_tab_remove(&x->ttab, i);
}

/* ------------------------------------------------------------------ */
/* template records: parsing and compiling                             */

typedef struct {
    uint16_t tid;
    uint16_t nscope;     /* scope fields (options) */
    uint32_t nfields;    /* all fields */
    uint32_t len;        /* the record's bytes */
    uint32_t at;         /* offset of the first field specifier */
    int withdraw;
} tparse_t;

/* One template record at p[0..avail) of a set of kind in version: FTC_IPX_R_OK,
   PAD (the rest is padding), or FTC_IPX_R_TEMPLATE with t->len = the bytes
   to skip (0: the set cannot be read on). */
static int tpl_parse(int version, int kind, const uint8_t *p, size_t avail, tparse_t *t)
{
    size_t at, i;
    memset(t, 0, sizeof *t);
    if (version == 9 && kind == K_OPTIONS) {
        uint32_t sl, ol;
        if (avail < 6)
            return PAD;
        t->tid = ftc_ldbe16(p);
        sl = ftc_ldbe16(p + 2);
        ol = ftc_ldbe16(p + 4);
        if (t->tid == 0 && sl == 0 && ol == 0)
            return PAD;
        if ((sl & 3u) || (ol & 3u) || sl + ol > avail - 6)
            return FTC_IPX_R_TEMPLATE;
        t->nscope = (uint16_t)(sl / 4);
        t->nfields = (sl + ol) / 4;
        t->at = 6;
        t->len = 6 + sl + ol;
    } else {
        if (avail < 4)
            return PAD;
        t->tid = ftc_ldbe16(p);
        t->nfields = ftc_ldbe16(p + 2);
        if (t->tid == 0 && t->nfields == 0)
            return PAD;
        if (version == 10 && t->nfields == 0) {
            t->withdraw = 1;
            t->len = 4;
            return (t->tid >= 256 || t->tid == (kind == K_DATA ? 2 : 3))
                   ? FTC_IPX_R_OK : FTC_IPX_R_TEMPLATE;
        }
        at = 4;
        if (version == 10 && kind == K_OPTIONS) {
            if (avail < 6)
                return FTC_IPX_R_TEMPLATE;
            t->nscope = ftc_ldbe16(p + 4);
            at = 6;
        }
        t->at = (uint32_t)at;
        for (i = 0; i < t->nfields; i++) {
            if (avail - at < 4)
                return FTC_IPX_R_TEMPLATE;
            if (version == 10 && (p[at] & 0x80)) {
                if (avail - at < 8)
                    return FTC_IPX_R_TEMPLATE;
                at += 4;
            }
            at += 4;
        }
        t->len = (uint32_t)at;
        if (version == 10 && kind == K_OPTIONS && (t->nscope == 0 || t->nscope > t->nfields))
            return FTC_IPX_R_TEMPLATE;
    }
    if (t->tid < 256 || t->nfields == 0)
        return FTC_IPX_R_TEMPLATE;
    return FTC_IPX_R_OK;
}

/* one field specifier: IE number (bit 15 cleared), length, enterprise?
   returns the next specifier's offset */
static uint32_t field_at(int version, const uint8_t *p, uint32_t at, uint16_t *id,
                         uint16_t *len, int *ent)
{
    uint16_t v = ftc_ldbe16(p + at);
    *len = ftc_ldbe16(p + at + 2);
    *ent = version == 10 && (v & 0x8000);
    *id = (uint16_t)(v & (version == 10 ? 0x7FFF : 0xFFFF));
    return at + (*ent ? 8u : 4u);
}

/* can field id of len bytes be read as the mapping wants it? */
static int usable(uint16_t id, uint16_t len)
{
    if (len == VARLEN || len == 0)
        return 0;
    switch (id) {
    case 8: case 12: case 15: case 18:
        return len == 4;
    case 154: case 155: case 156: case 157:
        return len == 8;
    case 27: case 28:
        return 1;
    case 62:
        return len == 16;
    default:
        return len <= 8;
    }
}

static const uint16_t start_ids[6] = {152, 156, 154, 150, 158, 22};
static const uint16_t end_ids[6] = {153, 157, 155, 151, 159, 21};

static uint8_t time_mode(uint16_t id)
{
    switch (id) {
    case 21: case 22: return T_UP;
    case 150: case 151: return T_SEC;
    case 152: case 153: return T_MS;
    case 154: case 155: case 156: case 157: return T_NTP;
    case 158: case 159: return T_DELTA;
    default: return T_NONE;
    }
}

/* the action for act at one common width, when there is one */
static uint8_t fast_act(uint8_t act, uint8_t len)
{
    switch (act) {
    case A_X: return len == 1 ? A_X1 : len == 2 ? A_X2 : len == 4 ? A_X4 : len == 8 ? A_X8 : act;
    case A_U16: return len == 4 ? A_U16_4 : act;
    case A_AS: return len == 4 ? A_AS_4 : act;
    case A_V32: return len == 8 ? A_V32_8 : act;
    default: return act;
    }
}

/* the plain op for field slot f: loaded as it is when len fits its width
   and the conversion is saturation */
static uint8_t plain(int f, uint16_t len, uint8_t conv)
{
    int w = ftc_width(f);
    if (conv != A_LOW8 && len <= w && (len == 1 || len == 2 || len == 4))
        return len == 1 ? A_V1 : len == 2 ? A_V2 : A_V4;
    if (conv == A_LOW8 && len == 1)
        return A_V1;
    return conv;
}

typedef struct {
    uint8_t has[HAS_N];
    uint16_t tstart_id, tend_id;
    int version, kind, cls, v6;
} tmap_t;

/* op for field id (len bytes) of a flow template; 0 when skipped */
static int map_flow(const tmap_t *m, uint16_t id, uint16_t len, uint8_t *act, uint8_t *slot)
{
    int f = -1;
    uint8_t conv = A_V32;
    if (!usable(id, len))
        return 0;
    if ((m->tstart_id && id == m->tstart_id) || (m->tend_id && id == m->tend_id)) {
        *act = A_X;
        *slot = id == m->tstart_id ? X_T0 : X_T1;
        return 1;
    }
    switch (id) {
    case 1: *slot = X_OCT; *act = A_X; return 1;
    case 23: if (m->has[1]) return 0; *slot = X_OCT; *act = A_X; return 1;
    case 2: *slot = X_PKT; *act = A_X; return 1;
    case 24: if (m->has[2]) return 0; *slot = X_PKT; *act = A_X; return 1;
    case 34: case 50: *slot = X_INTERVAL; *act = A_X; return 1;
    case 48: case 302: *slot = X_SAMPLER; *act = A_X; return 1;
    case 60: *slot = X_IPVER; *act = A_X; return 1;
    case 160:
        if (m->version != 10)
            return 0;
        *slot = X_INIT; *act = A_X; return 1;
    case 3: f = FTC_F_DFLOWS; break;
    case 4: f = FTC_F_PROT; conv = A_U8; break;
    case 5: f = FTC_F_TOS; conv = A_U8; break;
    case 195:
        if (m->has[5])
            return 0;
        *slot = FTC_F_TOS; *act = A_DSCP; return 1;
    case 6: f = FTC_F_TCP_FLAGS; conv = A_LOW8; break;
    case 7: f = FTC_F_SRCPORT; conv = A_U16; break;
    case 11: f = FTC_F_DSTPORT; conv = A_U16; break;
    case 32:
        if (m->has[11])
            return 0;
        f = FTC_F_DSTPORT; conv = A_U16; break;
    case 139:   /* icmpTypeCodeIPv6 */
        if (m->has[11] || m->has[32])
            return 0;
        f = FTC_F_DSTPORT; conv = A_U16; break;
    case 176: case 177:
        if (m->has[11] || m->has[32] || m->has[139])
            return 0;
        *slot = FTC_F_DSTPORT; *act = id == 176 ? A_ICMPT : A_ICMPC; return 1;
    case 178: case 179:   /* icmpTypeIPv6, icmpCodeIPv6 */
        if (m->has[11] || m->has[32] || m->has[139] || m->has[176] || m->has[177])
            return 0;
        *slot = FTC_F_DSTPORT; *act = id == 178 ? A_ICMPT : A_ICMPC; return 1;
    /* IPv6 (stored in v1006 records only): beside v[], so that an IPv4
       record of the same template keeps its own fields */
    case 27: case 28: case 62:
        if (len != 16)
            return 0;
        *slot = id == 27 ? X_S6 : id == 28 ? X_D6 : X_N6; *act = A_A16; return 1;
    case 31: *slot = X_LABEL; *act = A_X; return 1;
    case 29: *slot = X_SMASK6; *act = A_X; return 1;
    case 30: *slot = X_DMASK6; *act = A_X; return 1;
    case 8: f = FTC_F_SRCADDR; break;
    case 12: f = FTC_F_DSTADDR; break;
    case 15: f = FTC_F_NEXTHOP; break;
    case 18: f = FTC_F_PEER_NEXTHOP; break;
    case 9: f = FTC_F_SRC_MASK; conv = A_U8; break;
    case 13: f = FTC_F_DST_MASK; conv = A_U8; break;
    case 10: f = FTC_F_INPUT; conv = A_U16; break;
    case 14: f = FTC_F_OUTPUT; conv = A_U16; break;
    case 16: f = FTC_F_SRC_AS; conv = A_AS; break;
    case 17: f = FTC_F_DST_AS; conv = A_AS; break;
    case 38: f = FTC_F_ENGINE_TYPE; conv = A_U8; break;
    case 39: f = FTC_F_ENGINE_ID; conv = A_U8; break;
    default: return 0;
    }
    *slot = (uint8_t)f;
    *act = plain(f, len, conv);
    return 1;
}

/* op for field id of an options template; 0 when skipped */
static int map_options(uint16_t id, uint16_t len, uint8_t *act, uint8_t *slot, uint8_t *samp)
{
    if (!usable(id, len))
        return 0;
    switch (id) {
    case 34: case 50: *slot = X_INTERVAL; *samp |= SP_INTERVAL; break;
    case 35: case 49: case 304: *slot = X_ALGO; *samp |= SP_ALGO; break;
    case 48: case 302: *slot = X_SAMPLER; *samp |= SP_SAMPLER; break;
    case 305: *slot = X_PINT; *samp |= SP_PINT; break;
    case 306: *slot = X_PSPACE; *samp |= SP_PSPACE; break;
    case 160: *slot = X_INIT; *samp |= SP_INIT; break;
    default: return 0;
    }
    *act = A_X;
    return 1;
}

/* First pass over the fields of a parsed template record p: what the
   mapping needs (presence, class, times), the record's smallest length
   and the ops it takes.  FTC_IPX_R_OK or FTC_IPX_R_TEMPLATE. */
static int tpl_scan(int version, int kind, const uint8_t *p, const tparse_t *t, tmap_t *m,
                    uint32_t *min_len, uint32_t *nvar)
{
    uint32_t i, at = t->at;
    uint64_t fixed = 0;
    int k;
    memset(m, 0, sizeof *m);
    m->version = version;
    m->kind = kind;
    *nvar = 0;
    for (i = 0; i < t->nfields; i++) {
        uint16_t id, len;
        int ent;
        at = field_at(version, p, at, &id, &len, &ent);
        if (len == VARLEN) {
            (*nvar)++;
            continue;
        }
        fixed += len;
        /* v9 scope fields are scopes (system, interface...), not IEs */
        if (!ent && id < HAS_N && usable(id, len) && !(version == 9 && i < t->nscope))
            m->has[id] = 1;
    }
    if (fixed + *nvar > MAX_RECORD || fixed + *nvar == 0)
        return FTC_IPX_R_TEMPLATE;
    *min_len = (uint32_t)(fixed + *nvar);
    if (kind == K_OPTIONS) {
        m->cls = C_OPTIONS;
    } else if (m->has[8] || m->has[12] || m->has[27] || m->has[28] || m->has[1]
               || m->has[2] || m->has[23] || m->has[24]) {
        m->cls = C_FLOW;
        if ((m->has[27] || m->has[28]) && !m->has[8] && !m->has[12])
            m->v6 = V6_ALL;
        else if (m->has[60])
            m->v6 = V6_BYVER;
        for (k = 0; k < 6; k++)
            if (!m->tstart_id && m->has[start_ids[k]])
                m->tstart_id = start_ids[k];
        for (k = 0; k < 6; k++)
            if (!m->tend_id && m->has[end_ids[k]])
                m->tend_id = end_ids[k];
    } else {
        m->cls = C_OTHER;
    }
    return FTC_IPX_R_OK;
}

/* Compile the template record p (parsed: t; scanned: m) into the chunk c,
   which has room for t->nfields + 1 ops and the record. */
static void tpl_compile(const uint8_t *p, const tparse_t *t, const tmap_t *m, uint32_t min_len,
                        uint32_t nvar, tpl_t *c)
{
    op_t *ops = (op_t *)(void *)((uint8_t *)c + sizeof *c);
    uint32_t i, at = t->at, n = 0, seg = 0, k, last_var = NONE32;
    uint8_t samp = 0;
    for (i = 0; i < t->nfields; i++) {
        uint16_t id, len;
        uint8_t act = 0, slot = 0;
        int ent, mapped = 0;
        at = field_at(m->version, p, at, &id, &len, &ent);
        if (len == VARLEN) {
            memset(&ops[n], 0, sizeof ops[n]);
            ops[n].off = (uint16_t)seg;
            ops[n].act = A_VAR;
            n++;
            seg = 0;
            continue;
        }
        if (!ent && !(m->version == 9 && i < t->nscope)) {
            if (m->cls == C_OPTIONS)
                mapped = map_options(id, len, &act, &slot, &samp);
            else if (m->cls == C_FLOW)
                mapped = map_flow(m, id, len, &act, &slot);
        }
        if (mapped) {
            memset(&ops[n], 0, sizeof ops[n]);
            ops[n].off = (uint16_t)seg;
            ops[n].len = (uint8_t)len;
            ops[n].act = fast_act(act, (uint8_t)len);
            ops[n].slot = slot;
            n++;
        }
        seg += len;
    }
    memset(&ops[n], 0, sizeof ops[n]);
    ops[n].off = (uint16_t)seg;
    ops[n].act = A_END;
    n++;
    /* each A_VAR checks that the next segment's fixed bytes (and the next
       variable field's first length byte) are there */
    for (k = n; k-- > 0;) {
        if (ops[k].act == A_END)
            last_var = (uint32_t)ops[k].off;
        else if (ops[k].act == A_VAR) {
            ops[k].need = (uint16_t)last_var;
            last_var = (uint32_t)ops[k].off + 1u;
        }
    }
    c->tid = t->tid;
    c->live = 1;
    c->kind = (uint8_t)m->kind;
    c->cls = (uint8_t)m->cls;
    c->v6 = (uint8_t)m->v6;
    c->tstart = time_mode(m->tstart_id);
    c->tend = time_mode(m->tend_id);
    if (m->cls == C_FLOW) {
        if (m->has[34] || m->has[50])
            samp |= SP_INTERVAL;
        if (m->has[48] || m->has[302])
            samp |= SP_SAMPLER;
        if (m->version == 10 && m->has[160])
            samp |= SP_INIT;
    }
    c->samp = samp;
    c->a6 = (uint8_t)((m->has[29] ? A6_SMASK : 0) | (m->has[30] ? A6_DMASK : 0));
    c->nops = n;
    c->min_len = min_len;
    c->fixed_len = nvar ? 0 : min_len;
    c->raw_len = t->len;
    c->nfields = t->nfields;
    memcpy((uint8_t *)c + sizeof *c + n * sizeof(op_t), p, t->len);
}

/* ------------------------------------------------------------------ */
/* data records                                                        */

/* where decoded records go */
typedef struct {
    const ftc_store_t *sp;
    size_t rs;
    uint8_t *out;
    size_t room;     /* records that fit */
    size_t n;        /* records written */
    int v6;          /* v1006 records: IPv6 flows are stored too */
} sink_t;

/* what a data set's records share */
typedef struct {
    uint32_t exaddr;
    uint32_t export_secs;
    uint32_t uptime;     /* sysUpTime of the records */
    int uptime_ok;       /* 22/21 are relative to it */
    uint32_t interval;   /* the source's sampling interval */
} ctx_t;

static inline uint64_t ldn(const uint8_t *p, unsigned n)
{
    uint64_t v;
    switch (n) {
    case 1: return p[0];
    case 2: return ftc_ldbe16(p);
    case 4: return ftc_ldbe32(p);
    case 8: return ldbe64(p);
    default:
        v = 0;
        while (n--)
            v = v << 8 | *p++;
        return v;
    }
}

/* Run the program o over the record at p (at least its template's
   smallest record before end): its end, or NULL when a variable-length
   field runs past end. */
static inline __attribute__((always_inline))
const uint8_t *run(const op_t *o, const uint8_t *p, const uint8_t *end,
                                 uint32_t *v, uint64_t *s)
{
    const uint8_t *b = p;
    for (;; o++) {
        uint64_t x;
        switch (o->act) {
        case A_END:
            return b + o->off;
        case A_V1:
            v[o->slot] = b[o->off];
            continue;
        case A_V2:
            v[o->slot] = ftc_ldbe16(b + o->off);
            continue;
        case A_V4:
            v[o->slot] = ftc_ldbe32(b + o->off);
            continue;
        case A_X1:
            s[o->slot] = b[o->off];
            continue;
        case A_X2:
            s[o->slot] = ftc_ldbe16(b + o->off);
            continue;
        case A_X4:
            s[o->slot] = ftc_ldbe32(b + o->off);
            continue;
        case A_X8:
            s[o->slot] = ldbe64(b + o->off);
            continue;
        case A_U16_4:
            x = ftc_ldbe32(b + o->off);
            v[o->slot] = x > 0xFFFFu ? 0xFFFFu : (uint32_t)x;
            continue;
        case A_AS_4:
            x = ftc_ldbe32(b + o->off);
            v[o->slot] = x > 0xFFFFu ? AS_TRANS : (uint32_t)x;
            continue;
        case A_V32_8:
            v[o->slot] = sat32(ldbe64(b + o->off));
            continue;
        case A_A16:
            s[o->slot] = ldbe64(b + o->off);
            s[o->slot + 1] = ldbe64(b + o->off + 8);
            continue;
        case A_VAR: {
            const uint8_t *q = b + o->off;
            size_t l = *q++;
            if (l == 255) {
                if (end - q < 2)
                    return NULL;
                l = ftc_ldbe16(q);
                q += 2;
            }
            if ((size_t)(end - q) < l)
                return NULL;
            b = q + l;
            if ((size_t)(end - b) < o->need)
                return NULL;
            continue;
        }
        default:
            break;
        }
        x = ldn(b + o->off, o->len);
        switch (o->act) {
        case A_X: s[o->slot] = x; break;
        case A_V32: v[o->slot] = sat32(x); break;
        case A_U16: v[o->slot] = x > 0xFFFFu ? 0xFFFFu : (uint32_t)x; break;
        case A_U8: v[o->slot] = x > 0xFFu ? 0xFFu : (uint32_t)x; break;
        case A_LOW8: v[o->slot] = (uint32_t)(x & 0xFFu); break;
        case A_AS: v[o->slot] = x > 0xFFFFu ? AS_TRANS : (uint32_t)x; break;
        case A_DSCP: v[o->slot] = (uint32_t)(x & 63u) << 2; break;
        case A_ICMPT: v[o->slot] = (v[o->slot] & 0xFFu) | (uint32_t)(x & 0xFFu) << 8; break;
        case A_ICMPC: v[o->slot] = (v[o->slot] & 0xFF00u) | (uint32_t)(x & 0xFFu); break;
        default: break;
        }
    }
}

/* a time of encoding mode (raw value r) as First/Last */
static inline uint32_t flow_time(int mode, uint64_t r, uint64_t e1000, uint32_t up)
{
    uint64_t ms;
    switch (mode) {
    case T_UP: return (uint32_t)r;
    case T_SEC: ms = r * 1000u; break;
    case T_MS: ms = r; break;
    case T_NTP:
        ms = (uint64_t)(uint32_t)((uint32_t)(r >> 32) - NTP_UNIX) * 1000u
             + (((r & 0xFFFFFFFFu) * 1000u) >> 32);
        break;
    case T_DELTA:
        return up - (uint32_t)(r / 1000u + (r % 1000u != 0));
    default:
        return up;
    }
    return (uint32_t)(ms - e1000 + up);
}

static inline void flow_times(int ms, int me, const uint64_t *s, uint64_t e1000, uint32_t up,
                              int uptime_ok, uint32_t *v)
{
    uint32_t f, l;
    if (!uptime_ok) {
        if (ms == T_UP && me == T_UP) {
            v[FTC_F_LAST] = up;
            v[FTC_F_FIRST] = up - (uint32_t)(s[X_T1] - s[X_T0]);
            return;
        }
        /* an uptime of unknown base alone: taken as the other end, or as
           the export time */
        if (ms == T_UP)
            ms = T_NONE;
        if (me == T_UP)
            me = T_NONE;
    }
    if (ms == T_NONE && me == T_NONE) {
        v[FTC_F_FIRST] = v[FTC_F_LAST] = up;
        return;
    }
    f = flow_time(ms, s[X_T0], e1000, up);
    l = flow_time(me, s[X_T1], e1000, up);
    v[FTC_F_FIRST] = ms == T_NONE ? l : f;
    v[FTC_F_LAST] = me == T_NONE ? f : l;
}

static inline uint32_t mulsat(uint64_t a, uint32_t b)
{
    if (a > 0xFFFFFFFFu)
        return 0xFFFFFFFFu;
    return sat32(a * b);
}

static void apply_options(src_t *S, const tpl_t *tp, const uint64_t *s)
{
    uint64_t iv = 0;
    int given = 0;
    if (tp->samp & SP_INTERVAL) {
        iv = s[X_INTERVAL];
        given = 1;
    } else if (tp->samp & SP_PINT) {
        uint64_t a = sat32(s[X_PINT]);
        iv = a;
        if (tp->samp & SP_PSPACE)
            iv = (a + sat32(s[X_PSPACE])) / (a ? a : 1);
        given = 1;
    }
    if (given) {
        uint32_t i32 = iv ? sat32(iv) : 1;
        if (tp->samp & SP_SAMPLER)
            sampler_set(S, s[X_SAMPLER], i32);
        S->pub.sampling = i32;
    }
    if (tp->samp & SP_ALGO)
        S->pub.sampling_algo = sat32(s[X_ALGO]);
    if ((tp->samp & SP_INIT) && s[X_INIT]) {
        S->init_ms = s[X_INIT];
        S->init_known = 1;
    }
}

/* the IPv6 fields of a record (s: its extras) into the v1006 record r
   that ftc_store() wrote from v[] (layout L); a6: A6_* of its template */
static inline void put_v6(const ftc_layout_t *L, const uint64_t *s, int a6, uint8_t *r)
{
    static const struct { uint8_t hi, lo, x; } addr[3] = {
        {FTC_F_SRCADDR6_0, FTC_F_SRCADDR, X_S6}, {FTC_F_DSTADDR6_0, FTC_F_DSTADDR, X_D6},
        {FTC_F_NEXTHOP6_0, FTC_F_NEXTHOP, X_N6}};
    int k;
    for (k = 0; k < 3; k++) {
        const uint64_t hi = s[addr[k].x], lo = s[addr[k].x + 1];
        ftc_st32(r + L->off[addr[k].hi], (uint32_t)(hi >> 32));
        ftc_st32(r + L->off[addr[k].hi + 1], (uint32_t)hi);
        ftc_st32(r + L->off[addr[k].hi + 2], (uint32_t)(lo >> 32));
        ftc_st32(r + L->off[addr[k].lo], (uint32_t)lo);
    }
    ftc_st32(r + L->off[FTC_F_FLOW_LABEL], (uint32_t)(s[X_LABEL] & 0xFFFFFu));
    if (a6 & A6_SMASK)
        r[L->off[FTC_F_SRC_MASK]] = (uint8_t)(s[X_SMASK6] > 128 ? 128 : s[X_SMASK6]);
    if (a6 & A6_DMASK)
        r[L->off[FTC_F_DST_MASK]] = (uint8_t)(s[X_DMASK6] > 128 ? 128 : s[X_DMASK6]);
}

/* The flow records of the data set d[0..len) of template tp into k:
   returns how many were stored; *nrec = records read, *nv6 = IPv6 ones
   (stored into v1006 records, else dropped), *r = FTC_IPX_R_RECORD when
   one ran past the set.  The hot loop: what it reads of the template and
   the sink is copied into locals first.  keep6 (v1006 records) is a
   constant of each caller below, so that the IPv4 types' loop carries
   none of the IPv6 work. */
static inline __attribute__((always_inline))
uint32_t flow_records_k(const src_t *S, const tpl_t *tp, const uint8_t *d, size_t len,
                        const ctx_t *c, sink_t *k, uint32_t *nrec, uint32_t *nv6, int *r,
                        const int keep6)
{
    const op_t *ops = tpl_ops(tp);
    const ftc_store_t sp = *k->sp;
    const uint8_t *p = d, *end = d + len;
    const uint64_t e1000 = (uint64_t)c->export_secs * 1000u;
    const size_t ml = tp->min_len, rs = k->rs;
    const int by_ver = tp->v6 == V6_BYVER, all6 = tp->v6 == V6_ALL, samp = tp->samp;
    const int a6 = tp->a6;
    const ftc_layout_t *L6 = keep6 ? ftc_layout_get(FTC_RT_V1006) : NULL;
    const uint32_t interval = c->interval, uptime = c->uptime;
    const int uptime_ok = c->uptime_ok;
    uint8_t *out = k->out + k->n * rs;
    size_t room = k->room - k->n;
    uint32_t v[FTC_F_COUNT], n = 0, stored = 0, v6 = 0;
    uint64_t s[NX];

    /* every op sets its slot in every record: v and s start once per set */
    memset(v, 0, sizeof v);
    memset(s, 0, sizeof s);
    v[FTC_F_UNIX_SECS] = c->export_secs;
    v[FTC_F_SYSUPTIME] = uptime;
    v[FTC_F_EXADDR] = c->exaddr;
    v[FTC_F_DFLOWS] = 1;
    if (keep6) {
        /* v1006: an IPv4 flow's addresses IPv4-mapped (::ffff:a.b.c.d);
           no op writes these words of v[] (IPv6 ones go to s[]) */
        v[FTC_F_SRCADDR6_2] = FTC_MAPPED_WORD;
        v[FTC_F_DSTADDR6_2] = FTC_MAPPED_WORD;
        v[FTC_F_NEXTHOP6_2] = FTC_MAPPED_WORD;
    }
    while ((size_t)(end - p) >= ml) {
        const uint8_t *q;
        uint32_t iv = interval, up = uptime;
        int upok = uptime_ok, is6;
        q = run(ops, p, end, v, s);
        if (!q) {
            *r = FTC_IPX_R_RECORD;
            break;
        }
        p = q;
        n++;
        is6 = (keep6 && all6) || (by_ver && s[X_IPVER] == 6);
        if (is6) {
            v6++;
            if (!keep6)
                continue;
        }
        if (samp) {
            if ((samp & SP_INTERVAL) && s[X_INTERVAL]) {
                iv = sat32(s[X_INTERVAL]);
            } else if (samp & SP_SAMPLER) {
                uint32_t si = sampler_get(S, s[X_SAMPLER]);
                if (si)
                    iv = si;
            }
            if ((samp & SP_INIT) && s[X_INIT]) {
                up = (uint32_t)(e1000 - s[X_INIT]);
                upok = 1;
            }
            v[FTC_F_SYSUPTIME] = up;
        }
        v[FTC_F_DOCTETS] = mulsat(s[X_OCT], iv);
        v[FTC_F_DPKTS] = mulsat(s[X_PKT], iv);
        flow_times(tp->tstart, tp->tend, s, e1000, up, upok, v);
        if (stored == room)
            break;   /* cannot happen: the caller checked the bound */
        ftc_store(&sp, v, out);
        if (keep6 && is6)
            put_v6(L6, s, a6, out);
        out += rs;
        stored++;
    }
    k->n += stored;
    *nrec = n;
    *nv6 = v6;
    return stored;
}

/* flow_records_k for the IPv4 record types (IPv6 flows counted, dropped)
   and for v1006 (stored) */
static uint32_t flow_records4(const src_t *S, const tpl_t *tp, const uint8_t *d, size_t len,
                              const ctx_t *c, sink_t *k, uint32_t *nrec, uint32_t *nv6, int *r)
{
    return flow_records_k(S, tp, d, len, c, k, nrec, nv6, r, 0);
}

static uint32_t flow_records6(const src_t *S, const tpl_t *tp, const uint8_t *d, size_t len,
                              const ctx_t *c, sink_t *k, uint32_t *nrec, uint32_t *nv6, int *r)
{
    return flow_records_k(S, tp, d, len, c, k, nrec, nv6, r, 1);
}

/* Decode the data set d[0..len) of template tp from source S.  *nrec =
   data records read.  FTC_IPX_R_OK, or FTC_IPX_R_RECORD when a record
   runs past the set (the records before it are kept). */
static int data_set(src_t *S, const tpl_t *tp, const uint8_t *d, size_t len, const ctx_t *c,
                    sink_t *k, ftc_ipx_info_t *info, uint32_t *nrec)
{
    const op_t *ops = tpl_ops(tp);
    const uint8_t *p = d, *end = d + len;
    uint32_t v[FTC_F_COUNT], n = 0, stored, v6 = 0;
    uint64_t s[NX];
    const size_t ml = tp->min_len;
    int r = FTC_IPX_R_OK;

    if (tp->cls == C_OTHER || (tp->v6 == V6_ALL && !k->v6)) {
        /* nothing to decode: count the records */
        if (tp->fixed_len) {
            n = (uint32_t)(len / tp->fixed_len);
        } else {
            while ((size_t)(end - p) >= ml) {
                const uint8_t *q = run(ops, p, end, v, s);
                if (!q) {
                    r = FTC_IPX_R_RECORD;
                    break;
                }
                p = q;
                n++;
            }
        }
        if (tp->cls == C_OTHER)
            info->other += n;
        else
            v6 = n;
        goto done;
    }
    if (tp->cls == C_OPTIONS) {
        while ((size_t)(end - p) >= ml) {
            const uint8_t *q;
            memset(s, 0, sizeof s);
            q = run(ops, p, end, v, s);
            if (!q) {
                r = FTC_IPX_R_RECORD;
                break;
            }
            apply_options(S, tp, s);
            p = q;
            n++;
        }
        info->options += n;
        goto done;
    }

    stored = k->v6 ? flow_records6(S, tp, d, len, c, k, &n, &v6, &r)
                   : flow_records4(S, tp, d, len, c, k, &n, &v6, &r);
    info->records += stored;
    S->pub.records += stored;
done:
    info->v6 += v6;
    S->pub.v6 += v6;
    *nrec = n;
    return r;
}

/* records in the data set d[0..len) of template tp (padding and a bad
   record end the count) */
static uint32_t count_records(const tpl_t *tp, const uint8_t *d, size_t len)
{
    const uint8_t *p = d, *end = d + len;
    uint32_t v[FTC_F_COUNT], n = 0;
    uint64_t s[NX];
    if (tp->fixed_len)
        return (uint32_t)(len / tp->fixed_len);
    while ((size_t)(end - p) >= tp->min_len) {
        p = run(tpl_ops(tp), p, end, v, s);
        if (!p)
            break;
        n++;
    }
    return n;
}

static void ctx_of(const src_t *S, uint32_t export_secs, uint32_t v9_uptime, ctx_t *c)
{
    c->exaddr = S->pub.exporter_ip;
    c->export_secs = export_secs;
    c->interval = S->pub.sampling ? S->pub.sampling : 1;
    if (S->pub.version == 9) {
        c->uptime = v9_uptime;
        c->uptime_ok = 1;
    } else if (S->init_known) {
        c->uptime = (uint32_t)((uint64_t)export_secs * 1000u - S->init_ms);
        c->uptime_ok = 1;
    } else {
        c->uptime = FTC_IPX_VUPTIME;
        c->uptime_ok = 0;
    }
}

/* ------------------------------------------------------------------ */
/* the pending ring                                                    */

static void count_refused(ftc_ipx_info_t *info, int reason)
{
    if (reason > 0 && reason < FTC_IPX_NREASONS)
        info->refused[reason]++;
}

static void pend_unlink(ipx_t *x, src_t *S, pend_t *e)
{
    if (e->prev != NONE32)
        pend_at(x, e->prev)->next = e->next;
    else
        S->pend_first = e->next;
    if (e->next != NONE32)
        pend_at(x, e->next)->prev = e->prev;
    else
        S->pend_last = e->prev;
    S->pend_bytes -= e->size;
    e->src = NONE32;
    x->rlive--;
    if (e->ready) {
        e->ready = 0;
        x->ready--;
    }
}

/* drop the live entry e: counted as expired */
static void pend_expire(ipx_t *x, pend_t *e, ftc_ipx_info_t *info)
{
    src_t *S = src_at(x, e->src);
    if (e->ready) {
        const tpl_t *tp = tpl_get(x, e->src, e->set_id);
        if (tp)
            info->expired_records += count_records(tp, (const uint8_t *)(e + 1), e->len);
    }
    info->expired++;
    S->pub.expired++;
    pend_unlink(x, S, e);
}

/* free the oldest entry (or wrap); 0 when the ring is empty */
static int ring_pop(ipx_t *x, ftc_ipx_info_t *info)
{
    pend_t *e;
    if (x->rused == 0) {
        x->head = x->tail = 0;
        return 0;
    }
    if (x->head >= x->ring_size || pend_at(x, x->head)->size == 0) {
        uint32_t waste = x->ring_size - x->head;
        x->rused = waste < x->rused ? x->rused - waste : 0;
        x->head = 0;
    } else {
        e = pend_at(x, x->head);
        if (e->src != NONE32)
            pend_expire(x, e, info);
        x->head += e->size;
        x->rused -= e->size;
    }
    if (x->rused == 0)
        x->head = x->tail = 0;
    return 1;
}

/* drop entries from the head: dead ones, and those older than pending_secs */
static void ring_expire(ipx_t *x, uint32_t now, ftc_ipx_info_t *info)
{
    while (x->rused) {
        pend_t *e;
        if (x->head >= x->ring_size || pend_at(x, x->head)->size == 0) {
            ring_pop(x, info);
            continue;
        }
        e = pend_at(x, x->head);
        if (e->src != NONE32 && (now < e->arrived || now - e->arrived < x->lim.pending_secs))
            break;
        ring_pop(x, info);
    }
}

/* room for an entry of need bytes at the ring's tail, dropping the oldest
   entries as needed: its offset (need <= ring_size) */
static uint32_t ring_room(ipx_t *x, uint32_t need, ftc_ipx_info_t *info)
{
    for (;;) {
        uint32_t at;
        if (x->rused == 0)
            x->head = x->tail = 0;
        if (x->rused == 0 || x->tail > x->head) {
            /* used: [head, tail); free: [tail, size) and [0, head) */
            if (x->ring_size - x->tail >= need) {
                at = x->tail;
                x->tail += need;
                x->rused += need;
                return at;
            }
            if (x->head >= need) {
                if (x->tail < x->ring_size)
                    pend_at(x, x->tail)->size = 0;   /* wrap marker */
                x->rused += x->ring_size - x->tail;
                x->tail = need;
                x->rused += need;
                return 0;
            }
        } else if (x->head - x->tail >= need) {
            /* used: [head, size) and [0, tail); free: [tail, head) */
            at = x->tail;
            x->tail += need;
            x->rused += need;
            return at;
        }
        if (!ring_pop(x, info))
            return NONE32;   /* cannot happen: an empty ring has room */
    }
}

/* Put the data set d[0..len) of set_id aside for its template. */
static void pend_add(ipx_t *x, uint32_t sidx, uint16_t set_id, const uint8_t *d, size_t len,
                     uint32_t export_secs, uint32_t uptime, uint32_t now, ftc_ipx_info_t *info)
{
    src_t *S = src_at(x, sidx);
    uint32_t need = (uint32_t)al8(sizeof(pend_t) + len), at;
    uint32_t share = x->lim.pending_per_source;
    pend_t *e;
    if (need > x->ring_size || need > share) {
        info->expired++;     /* can never wait: dropped at once */
        S->pub.expired++;
        return;
    }
    while (S->pend_first != NONE32 && S->pend_bytes + need > share)
        pend_expire(x, pend_at(x, S->pend_first), info);
    at = ring_room(x, need, info);
    if (at == NONE32)
        return;
    e = pend_at(x, at);
    memset(e, 0, sizeof *e);
    e->size = need;
    e->src = sidx;
    e->next = NONE32;
    e->prev = S->pend_last;
    e->arrived = now;
    e->export_secs = export_secs;
    e->sys_uptime = uptime;
    e->set_id = set_id;
    e->len = (uint16_t)len;
    memcpy(e + 1, d, len);
    if (S->pend_last != NONE32)
        pend_at(x, S->pend_last)->next = at;
    else
        S->pend_first = at;
    S->pend_last = at;
    S->pend_bytes += need;
    x->rlive++;
    info->pended++;
    S->pub.pended++;
}

/* template tid of source S is defined: its waiting sets can be released */
static void pend_ready(ipx_t *x, src_t *S, uint16_t tid)
{
    uint32_t at = S->pend_first;
    while (at != NONE32) {
        pend_t *e = pend_at(x, at);
        if (e->set_id == tid && !e->ready) {
            e->ready = 1;
            x->ready++;
        }
        at = e->next;
    }
}

/* ------------------------------------------------------------------ */
/* template sets                                                       */

/* Define the template record p (parsed: t) for source sidx.
   FTC_IPX_R_OK or the reason it was refused. */
static int tpl_define(ipx_t *x, uint32_t sidx, int version, int kind, const uint8_t *p,
                      const tparse_t *t)
{
    src_t *S = src_at(x, sidx);
    uint32_t i = tpl_slot(x, sidx, t->tid), min_len, nvar, need, off;
    tmap_t m;
    tpl_t *c;
    int r;

    if (i != FTC_TAB_NONE) {
        const tpl_t *old = chunk(x, slot_val(&x->ttab, i));
        if (old->kind == kind && old->raw_len == t->len && memcmp(tpl_raw(old), p, t->len) == 0) {
            pend_ready(x, S, t->tid);
            return FTC_IPX_R_OK;   /* the same again */
        }
    }
    r = tpl_scan(version, kind, p, t, &m, &min_len, &nvar);
    if (r != FTC_IPX_R_OK)
        return r;
    if (t->nfields > x->lim.max_fields) {
        if (i != FTC_TAB_NONE)
            tpl_remove(x, i);
        return FTC_IPX_R_CAP;
    }
    if (i == FTC_TAB_NONE) {
        if (S->pub.templates >= x->lim.max_per_source || x->ttab.used >= x->lim.max_templates)
            return FTC_IPX_R_CAP;
    } else {
        pool_free(x, slot_val(&x->ttab, i));
        slot_set(&x->ttab, i, NONE32);   /* a compaction may put another chunk there */
    }
    need = (uint32_t)al8(sizeof(tpl_t) + ((uint64_t)t->nfields + 1u) * sizeof(op_t) + t->len);
    off = pool_alloc(x, need);
    if (off == NONE32) {
        if (i != FTC_TAB_NONE)
            tpl_remove(x, i);   /* its chunk is already freed (NONE32): the slot goes */
        return FTC_IPX_R_CAP;
    }
    c = chunk(x, off);
    memset(c, 0, sizeof *c);
    tpl_compile(p, t, &m, min_len, nvar, c);
    c->src = sidx;
    c->size = (uint32_t)al8(sizeof(tpl_t) + (uint64_t)c->nops * sizeof(op_t) + t->len);
    x->pool_top = off + c->size;   /* the chunk was the last: give back what it does not use */
    if (i == FTC_TAB_NONE) {
        uint8_t k[TKEY_LEN];
        uint32_t tag;
        tkey(k, sidx, t->tid);
        tag = ftc_tag(ftc_hash(k, TKEY_LEN));
        i = ftc_tab_probe(&x->ttab, k, tag);
        if (i == FTC_TAB_NONE || ftc_tab_tag_at(&x->ttab, i) != 0) {
            c->live = 0;   /* cannot happen: the table has room for max_templates */
            x->pool_waste += c->size;
            return FTC_IPX_R_CAP;
        }
        ftc_tab_claim(&x->ttab, i, k, tag);
        S->pub.templates++;
    }
    slot_set(&x->ttab, i, off);
    pend_ready(x, S, t->tid);
    return FTC_IPX_R_OK;
}

/* withdraw template tid of source sidx (tid 2 or 3: all of kind) */
static uint32_t tpl_withdraw(ipx_t *x, uint32_t sidx, uint16_t tid, int kind)
{
    uint32_t n = 0, i;
    if (tid >= 256) {
        i = tpl_slot(x, sidx, tid);
        if (i == FTC_TAB_NONE)
            return 0;
        tpl_remove(x, i);
        return 1;
    }
    for (i = 0; i < x->ttab.cap; i++) {
        for (;;) {
            const uint8_t *sl = ftc_tab_at(&x->ttab, i);
            uint32_t sidx_i, off;
            if (ftc_tab_tag_at(&x->ttab, i) == 0)
                break;
            memcpy(&sidx_i, sl + x->ttab.key_off, 4);
            off = slot_val(&x->ttab, i);
            if (sidx_i != sidx || off >= x->pool_top || chunk(x, off)->kind != kind)
                break;
            tpl_remove(x, i);   /* a later key may move into slot i: look again */
            n++;
        }
    }
    return n;
}

static void template_set(ipx_t *x, uint32_t sidx, int version, int kind, const uint8_t *d,
                         size_t len, ftc_ipx_info_t *info)
{
    size_t at = 0;
    while (at < len) {
        tparse_t t;
        int r = tpl_parse(version, kind, d + at, len - at, &t);
        if (r == PAD)
            break;
        if (r == FTC_IPX_R_OK && t.withdraw) {
            info->withdrawn += tpl_withdraw(x, sidx, t.tid, kind);
        } else if (r == FTC_IPX_R_OK) {
            r = tpl_define(x, sidx, version, kind, d + at, &t);
            if (r == FTC_IPX_R_OK)
                info->templates++;
        }
        if (r != FTC_IPX_R_OK) {
            count_refused(info, r);
            if (t.len == 0) {
                info->bad_sets++;
                src_at(x, sidx)->pub.bad++;
                break;
            }
        }
        at += t.len;
    }
}

/* ------------------------------------------------------------------ */
/* entry points                                                        */

static int rt_ok(int rt)
{
    return rt == FTC_RT_V1 || rt == FTC_RT_V5 || rt == FTC_RT_V6 || rt == FTC_RT_V7
           || rt == FTC_RT_V1005 || rt == FTC_RT_V1006;
}

/* the sink for records of type rt; 0 when the state's store plan of rt
   is not one ftc_store_init() made (the state is the caller's memory) */
static int sink_init(sink_t *k, const ipx_t *x, int rt, uint8_t *out, size_t out_size)
{
    const ftc_store_t *sp = &x->store[rt == FTC_RT_V1006 ? FTC_RT_V1005 + 1 : rt];
    const int n = sp->n4 + sp->n2 + sp->n1;
    int j;
    if (sp->size != ftc_layout_get(rt)->rec_size || sp->n4 < 0 || sp->n2 < 0 || sp->n1 < 0
        || n > FTC_F_COUNT)
        return 0;
    for (j = 0; j < n; j++)
        if (sp->field[j] >= FTC_F_COUNT
            || sp->off[j] + (j < sp->n4 ? 4u : j < sp->n4 + sp->n2 ? 2u : 1u) > sp->size)
            return 0;
    k->sp = sp;
    k->rs = sp->size;
    k->out = out;
    k->room = out ? out_size / k->rs : 0;
    k->n = 0;
    k->v6 = rt == FTC_RT_V1006;
    return 1;
}

static int refuse(ftc_ipx_info_t *info, int reason)
{
    info->reason = reason;
    count_refused(info, reason);
    return FTC_OK;
}

int ftc_ipx_check(const uint8_t *buf, size_t len)
{
    size_t hlen, off;
    uint16_t version;
    if (!buf || len < 4)
        return FTC_IPX_R_SHORT;
    version = ftc_ldbe16(buf);
    if (version != 9 && version != 10)
        return FTC_IPX_R_VERSION;
    hlen = version == 9 ? 20 : 16;
    if (len < hlen)
        return FTC_IPX_R_SHORT;
    if (len > 65535 || (version == 10 && ftc_ldbe16(buf + 2) != len))
        return FTC_IPX_R_LENGTH;
    for (off = hlen; len - off >= 4;) {
        const uint16_t sl = ftc_ldbe16(buf + off + 2);
        if (sl < 4 || sl > len - off)
            break;
        off += sl;
    }
    if (off != len && !(version == 9 && len - off < 4))   /* v9: up to 3 bytes of padding */
        return FTC_IPX_R_SET;
    if (off == hlen && version == 9 && ftc_ldbe16(buf + 2) != 0)
        return FTC_IPX_R_SET;   /* records counted but no set to hold them */
    return FTC_IPX_R_OK;
}

int ftc_ipx_decode(void *state, const uint8_t *buf, size_t len, uint32_t src_ip,
                   uint16_t src_port, uint32_t local_ip, uint32_t now, int rt,
                   uint8_t *out, size_t out_size, size_t *produced, ftc_ipx_info_t *info)
{
    ipx_t *x;
    src_t *S;
    sink_t k;
    size_t hlen, off;
    uint64_t bound = 0;
    uint32_t sidx, nrec = 0, hdr_uptime = 0;
    uint16_t version;
    int fresh, capped, unknown = 0, seen_tpl = 0, shape;

    if (!info || !produced || (!buf && len) || (!out && out_size))
        return FTC_EINVAL;
    memset(info, 0, sizeof *info);
    info->source = NONE32;
    *produced = 0;
    if (!rt_ok(rt))
        return rt >= 0 && rt < FTC_RT_COUNT ? FTC_EDVERSION : FTC_EINVAL;
    x = state_view(state, NULL);
    if (!x || !sink_init(&k, x, rt, out, out_size))
        return FTC_EINVAL;

    if (len < 4)
        return refuse(info, FTC_IPX_R_SHORT);
    version = ftc_ldbe16(buf);
    info->version = version;
    if (version != 9 && version != 10)
        return refuse(info, FTC_IPX_R_VERSION);
    hlen = version == 9 ? 20 : 16;
    if (len < hlen)
        return refuse(info, FTC_IPX_R_SHORT);
    shape = ftc_ipx_check(buf, len);
    if (version == 9) {
        info->count = ftc_ldbe16(buf + 2);
        info->sys_uptime = hdr_uptime = ftc_ldbe32(buf + 4);
        info->export_secs = ftc_ldbe32(buf + 8);
        info->sequence = ftc_ldbe32(buf + 12);
        info->domain = ftc_ldbe32(buf + 16);
    } else {
        info->export_secs = ftc_ldbe32(buf + 4);
        info->sequence = ftc_ldbe32(buf + 8);
        info->domain = ftc_ldbe32(buf + 12);
    }
    sidx = source(x, src_ip, src_port, version, info->domain, 0, &fresh, &capped, now, NULL);
    info->source = sidx;
    if (shape != FTC_IPX_R_OK) {
        if (sidx != NONE32)
            src_at(x, sidx)->pub.bad++;
        return refuse(info, shape);
    }
    /* the bound on the records (the sets chain to the end: checked) */
    for (off = hlen; len - off >= 4;) {
        const uint16_t sid = ftc_ldbe16(buf + off), sl = ftc_ldbe16(buf + off + 2);
        if (sid >= 256) {
            const tpl_t *tp = seen_tpl || sidx == NONE32 ? NULL : tpl_get(x, sidx, sid);
            bound += (uint64_t)(sl - 4) / (tp ? tp->min_len : 1u);
        } else if (sid == (version == 9 ? 0 : 2) || sid == (version == 9 ? 1 : 3)) {
            seen_tpl = 1;
        }
        off += sl;
    }
    if (bound * ftc_layout_get(rt)->rec_size > out_size)
        return FTC_EFULL;

    if (sidx == NONE32) {
        sidx = source(x, src_ip, src_port, version, info->domain, 1, &fresh, &capped, now,
                      info);
        if (sidx == NONE32) {
            info->source = NONE32;
            return refuse(info, capped ? FTC_IPX_R_CAP : FTC_IPX_R_SHORT);
        }
        info->source = sidx;
    }
    S = src_at(x, sidx);
    S->pub.local_ip = local_ip;
    S->pub.datagrams++;
    S->last_seen = now;
    ring_expire(x, now, info);

    for (off = hlen; len - off >= 4;) {
        const uint16_t sid = ftc_ldbe16(buf + off), sl = ftc_ldbe16(buf + off + 2);
        const uint8_t *d = buf + off + 4;
        const size_t dl = (size_t)sl - 4;
        off += sl;
        if (sid == (version == 9 ? 0 : 2)) {
            template_set(x, sidx, version, K_DATA, d, dl, info);
        } else if (sid == (version == 9 ? 1 : 3)) {
            template_set(x, sidx, version, K_OPTIONS, d, dl, info);
        } else if (sid >= 256) {
            const tpl_t *tp = tpl_get(x, sidx, sid);
            if (tp) {
                ctx_t c;
                uint32_t n = 0;
                int r;
                ctx_of(S, info->export_secs, hdr_uptime, &c);
                r = data_set(S, tp, d, dl, &c, &k, info, &n);
                nrec += n;
                if (r != FTC_IPX_R_OK) {
                    count_refused(info, r);
                    info->bad_sets++;
                    S->pub.bad++;
                    unknown = 1;
                }
            } else if (dl) {
                pend_add(x, sidx, sid, d, dl, info->export_secs, hdr_uptime, now, info);
                unknown = 1;
            }
        } else {
            info->bad_sets++;
            count_refused(info, FTC_IPX_R_SET);
            S->pub.bad++;
        }
    }

    /* sequence accounting */
    if (S->seq_state == SEQ_NEW) {
        info->seq_new = 1;
    } else if (S->seq_state == SEQ_KNOWN && info->sequence != S->seq_expected) {
        uint32_t gap = info->sequence - S->seq_expected;
        if (gap < 0x80000000u) {
            info->seq_lost = gap;
            S->pub.lost += gap;
        } else {
            info->seq_reset = 1;
            S->pub.resets++;
        }
    }
    if (version == 9) {
        S->seq_expected = info->sequence + 1u;
        S->seq_state = SEQ_KNOWN;
    } else {
        S->seq_expected = info->sequence + nrec;
        S->seq_state = unknown ? SEQ_UNKNOWN : SEQ_KNOWN;
    }
    info->sampling = S->pub.sampling;
    info->ready = x->ready;
    *produced = k.n;
    return FTC_OK;
}

int ftc_ipx_release(void *state, uint32_t now, int rt, uint8_t *out, size_t out_size,
                    size_t *produced, ftc_ipx_info_t *info)
{
    ipx_t *x;
    sink_t k;
    uint32_t pos, left;
    int ret = FTC_OK;

    if (!info || !produced || (!out && out_size))
        return FTC_EINVAL;
    memset(info, 0, sizeof *info);
    *produced = 0;
    if (!rt_ok(rt))
        return rt >= 0 && rt < FTC_RT_COUNT ? FTC_EDVERSION : FTC_EINVAL;
    x = state_view(state, NULL);
    if (!x)
        return FTC_EINVAL;
    if (!sink_init(&k, x, rt, out, out_size))
        return FTC_EINVAL;
    info->source = NONE32;
    ring_expire(x, now, info);

    pos = x->head;
    left = x->rused;
    while (left && x->ready) {
        pend_t *e;
        if (pos >= x->ring_size || pend_at(x, pos)->size == 0) {
            uint32_t waste = x->ring_size - pos;
            left = waste < left ? left - waste : 0;
            pos = 0;
            continue;
        }
        e = pend_at(x, pos);
        if (e->size < sizeof(pend_t) || e->size > left)
            break;   /* cannot happen in a state only this file wrote */
        left -= e->size;
        pos += e->size;
        if (e->src != NONE32 && e->src < x->nsrc && e->ready) {
            src_t *S = src_at(x, e->src);
            const tpl_t *tp = tpl_get(x, e->src, e->set_id);
            ctx_t c;
            uint32_t n = 0;
            if (!tp) {
                e->ready = 0;   /* withdrawn since */
                x->ready--;
                continue;
            }
            if (e->len / tp->min_len > k.room - k.n) {
                ret = FTC_EFULL;
                break;
            }
            info->source = e->src;
            ctx_of(S, e->export_secs, e->sys_uptime, &c);
            if (data_set(S, tp, (const uint8_t *)(e + 1), e->len, &c, &k, info, &n)
                != FTC_IPX_R_OK) {
                count_refused(info, FTC_IPX_R_RECORD);
                info->bad_sets++;
                S->pub.bad++;
            }
            pend_unlink(x, S, e);
        }
    }
    ring_expire(x, now, info);   /* the released entries at the head */
    info->ready = x->ready;
    *produced = k.n;
    return ret;
}

int ftc_ipx_sources(const void *state, uint32_t *n)
{
    ipx_t copy, *x = state_view(state, &copy);
    if (!x || !n)
        return FTC_EINVAL;
    *n = x->nsrc;
    return FTC_OK;
}

int ftc_ipx_source_get(const void *state, uint32_t index, ftc_ipx_source_t *s)
{
    ipx_t copy, *x = state_view(state, &copy);
    if (!x || !s || index >= x->nsrc)
        return FTC_EINVAL;
    *s = src_at(x, index)->pub;
    return FTC_OK;
}

/* ------------------------------------------------------------------ */
/* save and load                                                       */

static int has_state(const src_t *S)
{
    return S->pub.sampling != 1 || S->pub.sampling_algo || S->init_known || S->nsamplers;
}

/* an entry's header at p: length of the rest, the source, the kind */
static size_t entry_head(uint8_t *p, uint32_t rest, const src_t *S, int kind)
{
    ftc_stbe32(p, rest);
    ftc_stbe32(p + 4, S->pub.exporter_ip);
    ftc_stbe16(p + 8, S->pub.port);
    ftc_stbe16(p + 10, S->pub.version);
    ftc_stbe32(p + 12, S->pub.domain);
    p[16] = (uint8_t)kind;
    p[17] = 0;
    ftc_stbe16(p + 18, 0);
    return 20;
}

int ftc_ipx_save(const void *state, uint8_t *out, size_t out_size, size_t *len)
{
    ipx_t copy, *x = state_view(state, &copy);
    uint64_t need = sizeof save_magic;
    uint32_t i, at;
    size_t w;
    if (!x || !len || (!out && out_size))
        return FTC_EINVAL;
    *len = 0;
    for (i = 0; i < x->nsrc; i++)
        if (has_state(src_at(x, i)))
            need += 20 + 24 + 12u * src_at(x, i)->nsamplers;
    for (at = 0; at < x->pool_top;) {
        const tpl_t *t = chunk(x, at);
        if (t->size < sizeof(tpl_t) || t->size > x->pool_top - at)
            return FTC_EINVAL;
        if (t->live && t->src < x->nsrc)
            need += 20 + t->raw_len;
        at += t->size;
    }
    if (need > out_size) {
        *len = (size_t)need;
        return FTC_EFULL;
    }
    memcpy(out, save_magic, sizeof save_magic);
    w = sizeof save_magic;
    for (i = 0; i < x->nsrc; i++) {
        const src_t *S = src_at(x, i);
        uint32_t j, ns = S->nsamplers < FTC_IPX_MAX_SAMPLERS ? S->nsamplers : FTC_IPX_MAX_SAMPLERS;
        if (!has_state(S))
            continue;
        w += entry_head(out + w, 16 + 24 + 12 * ns, S, K_STATE);
        ftc_stbe32(out + w, S->pub.sampling);
        ftc_stbe32(out + w + 4, S->pub.sampling_algo);
        ftc_stbe32(out + w + 8, S->init_known);
        stbe64(out + w + 12, S->init_ms);
        ftc_stbe32(out + w + 20, ns);
        w += 24;
        for (j = 0; j < ns; j++) {
            stbe64(out + w, S->samplers[j].id);
            ftc_stbe32(out + w + 8, S->samplers[j].interval);
            w += 12;
        }
    }
    for (at = 0; at < x->pool_top; at += chunk(x, at)->size) {
        const tpl_t *t = chunk(x, at);
        if (!t->live || t->src >= x->nsrc)
            continue;
        w += entry_head(out + w, 16 + t->raw_len, src_at(x, t->src), t->kind);
        memcpy(out + w, tpl_raw(t), t->raw_len);
        w += t->raw_len;
    }
    *len = w;
    return FTC_OK;
}

/* one saved entry p[0..n) (after its length); 1 when it took */
static int load_entry(ipx_t *x, const uint8_t *p, size_t n)
{
    uint32_t ip, domain, sidx;
    uint16_t port, version;
    int kind, fresh, capped;
    tparse_t t;
    if (n < 16)
        return 0;
    ip = ftc_ldbe32(p);
    port = ftc_ldbe16(p + 4);
    version = ftc_ldbe16(p + 6);
    domain = ftc_ldbe32(p + 8);
    kind = p[12];
    p += 16;
    n -= 16;
    if ((version != 9 && version != 10) || kind > K_STATE)
        return 0;
    if (kind == K_STATE) {
        src_t *S;
        uint32_t ns, j, sampling;
        if (n < 24)
            return 0;
        ns = ftc_ldbe32(p + 20);
        sampling = ftc_ldbe32(p);
        if (ns > FTC_IPX_MAX_SAMPLERS || n != 24 + 12u * ns || sampling == 0)
            return 0;
        sidx = source(x, ip, port, version, domain, 1, &fresh, &capped, 0, NULL);
        if (sidx == NONE32)
            return 0;
        S = src_at(x, sidx);
        S->pub.sampling = sampling;
        S->pub.sampling_algo = ftc_ldbe32(p + 4);
        S->init_known = ftc_ldbe32(p + 8) ? 1 : 0;
        S->init_ms = ldbe64(p + 12);
        S->nsamplers = 0;
        S->sampler_next = 0;
        for (j = 0; j < ns; j++) {
            uint32_t iv = ftc_ldbe32(p + 24 + 12 * j + 8);
            sampler_set(S, ldbe64(p + 24 + 12 * j), iv ? iv : 1);
        }
        return 1;
    }
    if (tpl_parse(version, kind, p, n, &t) != FTC_IPX_R_OK || t.withdraw || t.len != n)
        return 0;
    sidx = source(x, ip, port, version, domain, 1, &fresh, &capped, 0, NULL);
    if (sidx == NONE32)
        return 0;
    return tpl_define(x, sidx, version, kind, p, &t) == FTC_IPX_R_OK;
}

int ftc_ipx_load(void *state, const uint8_t *buf, size_t len, uint32_t *loaded)
{
    ipx_t *x = state_view(state, NULL);
    size_t at;
    if (!x || !loaded || (!buf && len))
        return FTC_EINVAL;
    *loaded = 0;
    if (len < sizeof save_magic || memcmp(buf, save_magic, sizeof save_magic) != 0)
        return FTC_EBADMAGIC;
    for (at = sizeof save_magic; len - at >= 4;) {
        uint32_t n = ftc_ldbe32(buf + at);
        at += 4;
        if (n > len - at)
            break;
        *loaded += (uint32_t)load_entry(x, buf + at, n);
        at += n;
    }
    return FTC_OK;
}
