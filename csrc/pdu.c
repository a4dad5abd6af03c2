/* pdu.c -- NetFlow export datagrams (formats.md section 6): verification,
 * decoding into host-order stream records with flow-capture's mapping and
 * version translation, flow_sequence accounting, and flow-send's encoder.
 *
 * Every datagram record type is described once, by a wire table (field,
 * offset, direction); decoding and encoding both walk it.  Records pass
 * through a uint32 value per field (indexed by FTC_F_*), so translation
 * between record types is "store the fields the target has". */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"
#include "ftc_table.h"

/* ------------------------------------------------------------------ */
/* wire tables                                                         */

enum { WD = 1, WE = 2, WDE = 3 };   /* decoded, encoded, both */

typedef struct {
    uint8_t field;    /* FTC_F_* */
    uint8_t off;      /* offset in the wire record */
    uint8_t dir;      /* WD / WE / WDE */
} went_t;

typedef struct {
    uint8_t hdr;      /* header bytes; 0 = no datagram form */
    uint8_t rec;      /* wire record bytes */
    uint8_t max;      /* max count */
    uint8_t pad_ok;   /* length >= expected accepted (v8.6-8.8, Catalyst) */
    uint8_t n;        /* entries in e */
    went_t  e[21];
} wire_t;

#define F(name) FTC_F_##name
#define CNT_A {F(DFLOWS), 0, WDE}, {F(DPKTS), 4, WDE}, {F(DOCTETS), 8, WDE}, \
              {F(FIRST), 12, WDE}, {F(LAST), 16, WDE}
#define V1_HEAD {F(SRCADDR), 0, WDE}, {F(DSTADDR), 4, WDE}, {F(NEXTHOP), 8, WDE}, \
              {F(INPUT), 12, WDE}, {F(OUTPUT), 14, WDE}, {F(DPKTS), 16, WDE}, \
              {F(DOCTETS), 20, WDE}, {F(FIRST), 24, WDE}, {F(LAST), 28, WDE}, \
              {F(SRCPORT), 32, WDE}, {F(DSTPORT), 34, WDE}
#define V5_TAIL {F(TCP_FLAGS), 37, WDE}, {F(PROT), 38, WDE}, {F(TOS), 39, WDE}, \
              {F(SRC_AS), 40, WDE}, {F(DST_AS), 42, WDE}, {F(SRC_MASK), 44, WDE}, \
              {F(DST_MASK), 45, WDE}

static const wire_t wires[FTC_RT_COUNT] = {
    [FTC_RT_V1] = {16, 48, 24, 0, 14, {V1_HEAD,
        {F(PROT), 38, WDE}, {F(TOS), 39, WDE}, {F(TCP_FLAGS), 40, WDE}}},
    [FTC_RT_V5] = {24, 48, 30, 0, 18, {V1_HEAD, V5_TAIL}},
    /* v6: flow-capture never copies in_encaps, out_encaps, peer_nexthop */
    [FTC_RT_V6] = {24, 52, 27, 0, 21, {V1_HEAD, V5_TAIL,
        {F(IN_ENCAPS), 46, WE}, {F(OUT_ENCAPS), 47, WE}, {F(PEER_NEXTHOP), 48, WE}}},
    [FTC_RT_V7] = {24, 52, 27, 0, 19, {V1_HEAD, V5_TAIL, {F(ROUTER_SC), 48, WDE}}},
    [FTC_RT_V1005] = {0, 0, 0, 0, 0, {{0, 0, 0}}},
    [FTC_RT_V8_1] = {28, 28, 51, 0, 9, {CNT_A,
        {F(SRC_AS), 20, WDE}, {F(DST_AS), 22, WDE}, {F(INPUT), 24, WDE},
        {F(OUTPUT), 26, WDE}}},
    [FTC_RT_V8_2] = {28, 28, 51, 0, 8, {CNT_A,
        {F(PROT), 20, WDE}, {F(SRCPORT), 24, WDE}, {F(DSTPORT), 26, WDE}}},
    [FTC_RT_V8_3] = {28, 32, 44, 0, 9, {CNT_A,
        {F(SRCADDR), 20, WDE}, {F(SRC_MASK), 24, WDE}, {F(SRC_AS), 26, WDE},
        {F(INPUT), 28, WDE}}},
    [FTC_RT_V8_4] = {28, 32, 44, 0, 9, {CNT_A,
        {F(DSTADDR), 20, WDE}, {F(DST_MASK), 24, WDE}, {F(DST_AS), 26, WDE},
        {F(OUTPUT), 28, WDE}}},
    [FTC_RT_V8_5] = {28, 40, 35, 0, 13, {CNT_A,
        {F(SRCADDR), 20, WDE}, {F(DSTADDR), 24, WDE}, {F(DST_MASK), 28, WDE},
        {F(SRC_MASK), 29, WDE}, {F(SRC_AS), 32, WDE}, {F(DST_AS), 34, WDE},
        {F(INPUT), 36, WDE}, {F(OUTPUT), 38, WDE}}},
    [FTC_RT_V8_6] = {28, 32, 44, 1, 10, {
        {F(DSTADDR), 0, WDE}, {F(DPKTS), 4, WDE}, {F(DOCTETS), 8, WDE},
        {F(FIRST), 12, WDE}, {F(LAST), 16, WDE}, {F(OUTPUT), 20, WDE},
        {F(TOS), 22, WDE}, {F(MARKED_TOS), 23, WDE}, {F(EXTRA_PKTS), 24, WDE},
        {F(ROUTER_SC), 28, WDE}}},
    [FTC_RT_V8_7] = {28, 40, 35, 1, 12, {
        {F(DSTADDR), 0, WDE}, {F(SRCADDR), 4, WDE}, {F(DPKTS), 8, WDE},
        {F(DOCTETS), 12, WDE}, {F(FIRST), 16, WDE}, {F(LAST), 20, WDE},
        {F(OUTPUT), 24, WDE}, {F(INPUT), 26, WDE}, {F(TOS), 28, WDE},
        {F(MARKED_TOS), 29, WDE}, {F(EXTRA_PKTS), 32, WDE}, {F(ROUTER_SC), 36, WDE}}},
    /* 8.8: the original's encoder (flow-send) never fills prot */
    [FTC_RT_V8_8] = {28, 44, 32, 1, 15, {
        {F(DSTADDR), 0, WDE}, {F(SRCADDR), 4, WDE}, {F(DSTPORT), 8, WDE},
        {F(SRCPORT), 10, WDE}, {F(DPKTS), 12, WDE}, {F(DOCTETS), 16, WDE},
        {F(FIRST), 20, WDE}, {F(LAST), 24, WDE}, {F(OUTPUT), 28, WDE},
        {F(INPUT), 30, WDE}, {F(TOS), 32, WDE}, {F(PROT), 33, WD},
        {F(MARKED_TOS), 34, WDE}, {F(EXTRA_PKTS), 36, WDE}, {F(ROUTER_SC), 40, WDE}}},
    [FTC_RT_V8_9] = {28, 32, 44, 0, 10, {CNT_A,
        {F(SRC_AS), 20, WDE}, {F(DST_AS), 22, WDE}, {F(INPUT), 24, WDE},
        {F(OUTPUT), 26, WDE}, {F(TOS), 28, WDE}}},
    /* 8.10: input (28) and output (30) are neither decoded nor encoded;
       the original's encoder never fills the ports (flow-export -f 4) */
    [FTC_RT_V8_10] = {28, 32, 44, 0, 9, {CNT_A,
        {F(PROT), 20, WDE}, {F(TOS), 21, WDE}, {F(SRCPORT), 24, WD},
        {F(DSTPORT), 26, WD}}},
    [FTC_RT_V8_11] = {28, 32, 44, 0, 10, {CNT_A,
        {F(SRCADDR), 20, WDE}, {F(SRC_MASK), 24, WDE}, {F(TOS), 25, WDE},
        {F(SRC_AS), 26, WDE}, {F(INPUT), 28, WDE}}},
    [FTC_RT_V8_12] = {28, 32, 44, 0, 10, {CNT_A,
        {F(DSTADDR), 20, WDE}, {F(DST_MASK), 24, WDE}, {F(TOS), 25, WDE},
        {F(DST_AS), 26, WDE}, {F(OUTPUT), 28, WDE}}},
    [FTC_RT_V8_13] = {28, 40, 35, 0, 15, {CNT_A,
        {F(SRCADDR), 20, WDE}, {F(DSTADDR), 24, WDE}, {F(DST_MASK), 28, WDE},
        {F(SRC_MASK), 29, WDE}, {F(TOS), 30, WDE}, {F(SRC_AS), 32, WDE},
        {F(DST_AS), 34, WDE}, {F(INPUT), 36, WDE}, {F(OUTPUT), 38, WDE}}},
    [FTC_RT_V8_14] = {28, 40, 35, 0, 16, {CNT_A,
        {F(SRCADDR), 20, WDE}, {F(DSTADDR), 24, WDE}, {F(DST_MASK), 28, WDE},
        {F(SRC_MASK), 29, WDE}, {F(TOS), 30, WDE}, {F(PROT), 31, WDE},
        {F(SRCPORT), 32, WDE}, {F(DSTPORT), 34, WDE}, {F(INPUT), 36, WDE},
        {F(OUTPUT), 38, WDE}}},
};

#undef CNT_A
#undef V1_HEAD
#undef V5_TAIL

static int is_v8(int rt) { return rt >= FTC_RT_V8_1 && rt <= FTC_RT_V8_14; }

/* wire table of rt, or NULL when rt has no datagram form */
static const wire_t *wire_of(int rt)
{
    if (rt < 0 || rt >= FTC_RT_COUNT || wires[rt].hdr == 0)
        return NULL;
    return &wires[rt];
}

static uint32_t ldbe(const uint8_t *p, int w)
{
    return w == 4 ? ftc_ldbe32(p) : w == 2 ? ftc_ldbe16(p) : p[0];
}

static void stbe(uint8_t *p, int w, uint32_t v)
{
    if (w == 4)
        ftc_stbe32(p, v);
    else if (w == 2)
        ftc_stbe16(p, (uint16_t)v);
    else
        p[0] = (uint8_t)v;
}

/* ------------------------------------------------------------------ */
/* verification                                                        */

int ftc_pdu_limits(int rt, unsigned *hdr_size, unsigned *rec_size, unsigned *max_count)
{
    const wire_t *W;
    if (rt < 0 || rt >= FTC_RT_COUNT)
        return FTC_EINVAL;
    W = wire_of(rt);
    if (!W)
        return FTC_EDVERSION;
    if (hdr_size)
        *hdr_size = W->hdr;
    if (rec_size)
        *rec_size = W->rec;
    if (max_count)
        *max_count = W->max;
    return FTC_OK;
}

static int reject(int *reason, int r)
{
    if (reason)
        *reason = r;
    return FTC_EBADPDU;
}

int ftc_pdu_verify(const uint8_t *buf, size_t len, ftc_pdu_hdr_t *h, int *reason)
{
    ftc_pdu_hdr_t tmp;
    uint8_t b[28];
    const wire_t *W;
    size_t expect;
    int rt;

    if (!h)
        h = &tmp;
    memset(h, 0, sizeof *h);
    h->rectype = -1;
    if (reason)
        *reason = FTC_PDU_R_OK;
    if (!buf && len)
        return FTC_EINVAL;
    /* the header as far as the bytes go, the rest zero */
    memset(b, 0, sizeof b);
    if (len)
        memcpy(b, buf, len < sizeof b ? len : sizeof b);
    h->version = ftc_ldbe16(b);
    h->count = ftc_ldbe16(b + 2);
    h->sysUpTime = ftc_ldbe32(b + 4);
    h->unix_secs = ftc_ldbe32(b + 8);
    h->unix_nsecs = ftc_ldbe32(b + 12);
    if (h->version != 1) {
        h->flow_sequence = ftc_ldbe32(b + 16);
        h->engine_type = b[20];
        h->engine_id = b[21];
    }
    if (len < 4)
        return reject(reason, FTC_PDU_R_SHORT);

    switch (h->version) {
    case 1: rt = FTC_RT_V1; break;
    case 5: rt = FTC_RT_V5; break;
    case 6: rt = FTC_RT_V6; break;
    case 7: rt = FTC_RT_V7; break;
    case 8:
        if (len < 24)
            return reject(reason, FTC_PDU_R_V8SHORT);
        h->agg_method = b[22];
        h->agg_version = (uint8_t)(b[23] == 0 ? 2 : b[23]);   /* Juniper sends 0 */
        if (h->agg_version != 2)
            return reject(reason, FTC_PDU_R_AGGVER);
        if (h->agg_method < 1 || h->agg_method > 14)
            return reject(reason, FTC_PDU_R_METHOD);
        rt = FTC_RT_V8_1 + h->agg_method - 1;
        break;
    default:
        return reject(reason, FTC_PDU_R_VERSION);
    }
    W = &wires[rt];
    if (h->count > W->max)
        return reject(reason, FTC_PDU_R_COUNT);
    expect = (size_t)W->hdr + (size_t)h->count * W->rec;
    if (W->pad_ok ? len < expect : len != expect)
        return reject(reason, FTC_PDU_R_LENGTH);
    h->rectype = rt;
    h->length = (uint32_t)expect;
    return FTC_OK;
}

int ftc_pdu_compat(int pdu_rt, int file_rt, int *reason)
{
    if (reason)
        *reason = FTC_PDU_R_OK;
    if (pdu_rt < 0 || pdu_rt >= FTC_RT_COUNT || file_rt < 0 || file_rt >= FTC_RT_COUNT)
        return FTC_EINVAL;
    if (pdu_rt == file_rt)
        return FTC_OK;
    /* v1006 takes v1, v5, v6 and v7 (IPv4-mapped addresses), not v8 */
    if (is_v8(pdu_rt) != is_v8(file_rt)) {
        if (reason)
            *reason = FTC_PDU_R_XLATE_V8;
        return FTC_EDVERSION;
    }
    if (is_v8(pdu_rt)) {
        if (reason)
            *reason = FTC_PDU_R_XLATE_AGG;
        return FTC_EAGGMETHOD;
    }
    return FTC_OK;   /* v1, v5, v6, v7 and v1005 translate into each other */
}

/* ------------------------------------------------------------------ */
/* decoding                                                            */

/* records pass through v[FTC_F_*]: ftc_fields_of(), ftc_store_init() and
   ftc_store() (ftc_internal.h, shared with ipfix.c) */

/* translating v1 into v5/v6/v7 loses output as the reference does:
   ftc_xlate_drops_output (tagmask.c, the one answer for every translation) */

/* decode the count records of a verified datagram of type drt into
   records of type trt (compatible, see ftc_pdu_compat) */
static void decode_records(const uint8_t *buf, const ftc_pdu_hdr_t *h, uint32_t exaddr,
                           uint16_t as_sub, int trt, uint8_t *out)
{
    const int drt = h->rectype;
    const wire_t *W = &wires[drt];
    const ftc_layout_t *T = ftc_layout_get(trt);
    ftc_store_t sp;
    uint32_t v[FTC_F_COUNT];
    int k, no_out = ftc_xlate_drops_output(drt, trt);
    uint32_t et = 0, ei = 0, i;

    ftc_store_init(T, &sp);
    if (drt == FTC_RT_V5) {
        et = h->engine_type;
        ei = h->engine_id;
    } else if (drt != FTC_RT_V1) {
        /* v6, v7, v8: the reference stores engine_id into engine_type and
           leaves engine_id 0 (verified) */
        et = h->engine_id;
    }
    for (i = 0; i < h->count; i++) {
        const uint8_t *w = buf + W->hdr + i * W->rec;
        memset(v, 0, sizeof v);
        if (trt == FTC_RT_V1006) {
            /* IPv4 flows: the addresses IPv4-mapped (::ffff:a.b.c.d) */
            v[FTC_F_SRCADDR6_2] = FTC_MAPPED_WORD;
            v[FTC_F_DSTADDR6_2] = FTC_MAPPED_WORD;
            v[FTC_F_NEXTHOP6_2] = FTC_MAPPED_WORD;
        }
        v[FTC_F_UNIX_SECS] = h->unix_secs;
        v[FTC_F_UNIX_NSECS] = h->unix_nsecs;
        v[FTC_F_SYSUPTIME] = h->sysUpTime;
        v[FTC_F_EXADDR] = exaddr;
        v[FTC_F_ENGINE_TYPE] = et;
        v[FTC_F_ENGINE_ID] = ei;
        for (k = 0; k < W->n; k++) {
            const went_t *e = &W->e[k];
            uint32_t x;
            if (!(e->dir & WD))
                continue;
            x = ldbe(w + e->off, ftc_field_width(e->field));
            if (x == 0 && (e->field == FTC_F_SRC_AS || e->field == FTC_F_DST_AS))
                x = as_sub;
            v[e->field] = x;
        }
        if (no_out)
            v[FTC_F_OUTPUT] = 0;
        ftc_store(&sp, v, out + (size_t)i * T->rec_size);
    }
}

int ftc_pdu_decode(const uint8_t *buf, size_t len, uint32_t exaddr, uint16_t as_sub,
                   int rt, uint8_t *out, size_t out_size, size_t *produced,
                   ftc_pdu_hdr_t *h, int *reason)
{
    ftc_pdu_hdr_t tmp;
    int r, trt;
    if (!h)
        h = &tmp;
    if (!produced || rt >= FTC_RT_COUNT || (!out && out_size))
        return FTC_EINVAL;
    *produced = 0;
    r = ftc_pdu_verify(buf, len, h, reason);
    if (r != FTC_OK)
        return r;
    trt = rt < 0 ? h->rectype : rt;
    r = ftc_pdu_compat(h->rectype, trt, reason);
    if (r != FTC_OK)
        return r;
    if ((size_t)h->count * ftc_layout_get(trt)->rec_size > out_size)
        return FTC_EFULL;
    decode_records(buf, h, exaddr, as_sub, trt, out);
    *produced = h->count;
    return FTC_OK;
}

/* sequence accounting: seq.c, on the one table (ftc_table.h) */
static int table_ok(const ftc_seq_table_t *t)
{
    return ftc_tab_ok(t, FTC_TAB_SEQ) && t->key_len == FTC_SEQ_KEY_LEN;
}

/* ------------------------------------------------------------------ */
/* receive batch                                                       */

static void add_event(ftc_pdu_event_t *ev, ftc_pdu_rx_stats_t *st, uint32_t index,
                      int kind, int reason, uint32_t src, uint32_t dst,
                      const ftc_pdu_hdr_t *h)
{
    ftc_pdu_event_t *e = ftc_pdu_event_add(ev, st, index, kind, reason, src, dst, h->version);
    if (e) {
        e->agg_method = h->agg_method;
        e->agg_version = h->agg_version;
    }
}

/* a v9 or IPFIX datagram (ipfix.c's) */
static int is_ipx(const uint8_t *p, size_t len)
{
    return len >= 2 && p[0] == 0 && (p[1] == 9 || p[1] == 10);
}

static void ipx_counts(ftc_pdu_rx_stats_t *st, const ftc_ipx_info_t *info)
{
    st->v6 += info->v6;
    st->pended += info->pended;
    st->expired += info->expired;
    st->templates += info->templates;
    st->bad_sets += info->bad_sets;
}

/* one v9/IPFIX datagram of the batch: 1 handled (accepted or counted as
   corrupt), 2 accepted and waiting data sets can now be released, 0 no
   room (nothing changed), < 0 an error */
static int rx_ipx(void *ipx, const uint8_t *p, size_t len, uint32_t index, uint32_t src,
                  uint32_t dst, uint16_t port, uint32_t remote_ip, uint32_t now, int *rt,
                  ftc_seq_table_t *seq, uint8_t *out, size_t room, size_t *used,
                  size_t *produced, ftc_pdu_event_t *ev, ftc_pdu_rx_stats_t *st)
{
    ftc_pdu_hdr_t h;
    ftc_ipx_info_t info;
    size_t got = 0, need;
    int trt = *rt < 0 ? FTC_RT_V5 : *rt, reason = FTC_PDU_R_OK, r, sr = 0, k, why = 0;

    memset(&h, 0, sizeof h);
    h.version = (uint16_t)p[1];
    h.rectype = -1;
    if (remote_ip && src != remote_ip)
        reason = FTC_PDU_R_SRCIP;
    else if (is_v8(trt))
        reason = FTC_PDU_R_XLATE_V8;   /* v9/IPFIX flows have no v8 form */
    if (reason != FTC_PDU_R_OK) {
        st->corrupt++;
        st->reasons[reason]++;
        add_event(ev, st, index, FTC_PDU_EV_CORRUPT, reason, src, dst, &h);
        return 1;
    }
    need = (size_t)len * ftc_layout_get(trt)->rec_size;   /* 1-byte records at worst */
    if (need > FTC_IPX_DECODE_MAX)
        need = FTC_IPX_DECODE_MAX;
    if (need > room)
        return 0;
    if (seq && !ftc_tab_room(seq, 1))
        return 0;   /* a new exporter slot may be needed below */
    r = ftc_ipx_decode(ipx, p, len, src, port, dst, now, trt, out + *used, room, &got, &info);
    if (r == FTC_EFULL)
        return 0;   /* nothing changed: the caller makes room */
    if (r != FTC_OK)
        return r;
    ipx_counts(st, &info);
    if (info.reason != FTC_IPX_R_OK) {
        st->corrupt++;
        st->reasons[FTC_PDU_R_IPX]++;
        add_event(ev, st, index, FTC_PDU_EV_CORRUPT, FTC_PDU_R_IPX, src, dst, &h);
        if (ev) {
            ev[st->n_events - 1].detail = info.reason;
            ev[st->n_events - 1].domain = info.domain;
        }
        return 1;
    }
    if (seq) {
        sr = ftc_seq_add(seq, src, dst, h.version, (uint32_t)got, info.seq_lost,
                         info.seq_reset, now);
        if (sr < 0)
            return sr;   /* room was checked */
    }
    if (sr & FTC_SEQ_NEW) {
        add_event(ev, st, index, FTC_PDU_EV_EXPORTER, 0, src, dst, &h);
        if (ev)
            ev[st->n_events - 1].domain = info.domain;
    }
    if (info.seq_lost || info.seq_reset) {
        if (ev) {
            add_event(ev, st, index, FTC_PDU_EV_SEQ, 0, src, dst, &h);
            ev[st->n_events - 1].received = info.sequence;
            ev[st->n_events - 1].lost = info.seq_lost;
            ev[st->n_events - 1].domain = info.domain;
        }
        st->lost += info.seq_lost;
        st->resets += info.seq_reset;
    }
    if (*rt < 0)
        *rt = trt;
    *used += got * ftc_layout_get(trt)->rec_size;
    *produced += got;
    st->flows += (uint32_t)got;
    for (k = FTC_IPX_NREASONS - 1; k > 0; k--)
        if (info.refused[k])
            why = k;
    if (why) {
        /* a set, template or record refused: its good sets are used, but
           the datagram counts as corrupt */
        st->corrupt++;
        st->reasons[FTC_PDU_R_IPX]++;
        add_event(ev, st, index, FTC_PDU_EV_CORRUPT, FTC_PDU_R_IPX, src, dst, &h);
        if (ev) {
            ev[st->n_events - 1].detail = why;
            ev[st->n_events - 1].domain = info.domain;
        }
    } else {
        st->accepted++;
    }
    return info.ready ? 2 : 1;
}

int ftc_pdu_rx_batch(const uint8_t *buf, size_t buf_len, const uint32_t *lens, size_t n,
                     const uint32_t *src_ips, const uint32_t *dst_ips,
                     const uint16_t *src_ports,
                     uint32_t remote_ip, uint16_t as_sub, int *rt,
                     ftc_seq_table_t *seq, void *ipx, uint32_t now,
                     uint8_t *out, size_t out_size,
                     size_t *produced, ftc_pdu_event_t *ev, size_t ev_cap,
                     ftc_pdu_rx_stats_t *st)
{
    size_t i, used = 0;
    uint64_t off = 0;

    if (!st || !produced || !rt || !out || out_size < FTC_PDU_DECODE_MAX
        || (n && (!buf || !lens || !src_ips)) || (!buf && buf_len) || *rt >= FTC_RT_COUNT
        || (seq && !table_ok(seq)) || (ev && ev_cap < FTC_PDU_EVENTS_MIN))
        return FTC_EINVAL;
    if (n && !ftc_lens_fit(lens, n, buf_len))
        return FTC_EINVAL;   /* the lengths lie: more bytes than buf holds */
    memset(st, 0, sizeof *st);
    *produced = 0;

    if (ipx && *rt >= 0 && !is_v8(*rt)) {
        /* data sets whose template came since they arrived */
        ftc_ipx_info_t info;
        size_t got = 0;
        int r = ftc_ipx_release(ipx, now, *rt, out, out_size, &got, &info);
        if (r != FTC_OK && r != FTC_EFULL)
            return r;
        ipx_counts(st, &info);
        used = got * ftc_layout_get(*rt)->rec_size;
        *produced = got;
        st->flows += (uint32_t)got;
        st->released += (uint32_t)got;
        if (r == FTC_EFULL) {
            st->full = FTC_PDU_FULL_OUT;
            return FTC_EFULL;
        }
    }

    for (i = 0; i < n; i++) {
        const uint8_t *p = buf + off;
        const size_t len = lens[i];
        const uint32_t src = src_ips[i], dst = dst_ips ? dst_ips[i] : 0;
        const uint32_t index = (uint32_t)i;
        ftc_pdu_hdr_t h;
        const ftc_layout_t *T;
        int reason = FTC_PDU_R_OK, trt = 0;
        size_t need;

        if (ev && st->n_events + FTC_PDU_EVENTS_MIN > ev_cap) {
            st->full = FTC_PDU_FULL_EVENTS;
            break;
        }
        if (ipx && is_ipx(p, len)) {
            int r = rx_ipx(ipx, p, len, index, src, dst, src_ports ? src_ports[i] : 0,
                           remote_ip, now, rt, seq, out, out_size - used, &used, produced,
                           ev, st);
            if (r < 0)
                return r;
            if (r == 0) {
                st->full = seq && seq->full ? FTC_PDU_FULL_TABLE : FTC_PDU_FULL_OUT;
                break;
            }
            if (r == 2) {
                /* its templates let waiting data sets go: decode them now */
                ftc_ipx_info_t info;
                size_t got = 0;
                int rr = ftc_ipx_release(ipx, now, *rt, out + used, out_size - used, &got,
                                         &info);
                if (rr != FTC_OK && rr != FTC_EFULL)
                    return rr;
                ipx_counts(st, &info);
                used += got * ftc_layout_get(*rt)->rec_size;
                *produced += got;
                st->flows += (uint32_t)got;
                st->released += (uint32_t)got;
                if (rr == FTC_EFULL)
                    st->full = FTC_PDU_FULL_OUT;   /* the rest on the next call */
            }
            off += len;
            st->pdus++;
            st->bytes = off;
            if (st->full)
                break;
            continue;
        }
        if (ftc_pdu_verify(p, len, &h, &reason) != FTC_OK) {
            /* rules 1-5 */
        } else if (remote_ip && src != remote_ip) {
            reason = FTC_PDU_R_SRCIP;
        } else {
            trt = *rt < 0 ? h.rectype : *rt;
            ftc_pdu_compat(h.rectype, trt, &reason);
        }
        if (reason != FTC_PDU_R_OK) {
            st->corrupt++;
            st->reasons[reason]++;
            add_event(ev, st, index, FTC_PDU_EV_CORRUPT, reason, src, dst, &h);
            goto next;
        }
        T = ftc_layout_get(trt);
        need = (size_t)h.count * T->rec_size;
        if (need > out_size - used) {
            st->full = FTC_PDU_FULL_OUT;
            break;
        }
        if (seq) {
            uint32_t exp, gap;
            int r = ftc_seq_check(seq, src, dst, &h, now, &exp, &gap);
            if (r == FTC_EFULL) {
                st->full = FTC_PDU_FULL_TABLE;
                break;
            }
            if (r & FTC_SEQ_NEW)
                add_event(ev, st, index, FTC_PDU_EV_EXPORTER, 0, src, dst, &h);
            if (r & (FTC_SEQ_LOST | FTC_SEQ_RESET)) {
                if (ev) {
                    add_event(ev, st, index, FTC_PDU_EV_SEQ, 0, src, dst, &h);
                    ev[st->n_events - 1].expected = exp;
                    ev[st->n_events - 1].received = h.flow_sequence;
                    ev[st->n_events - 1].lost = gap;
                }
                if (r & FTC_SEQ_LOST)
                    st->lost += gap;
                else
                    st->resets++;
            }
        }
        if (*rt < 0)
            *rt = trt;   /* the first accepted datagram fixes the file type */
        decode_records(p, &h, src, as_sub, trt, out + used);
        used += need;
        *produced += h.count;
        st->flows += h.count;
        st->accepted++;
    next:
        off += len;
        st->pdus++;
        st->bytes = off;
    }
    return st->full ? FTC_EFULL : FTC_OK;
}

/* ------------------------------------------------------------------ */
/* encoding (flow-send)                                                */

static int encode_compat(int rt_in, int rt_out)
{
    if (rt_in < 0 || rt_in >= FTC_RT_COUNT || !wire_of(rt_out))
        return FTC_EINVAL;
    if (rt_in == rt_out)
        return FTC_OK;
    if (is_v8(rt_in) != is_v8(rt_out))
        return FTC_EDVERSION;
    if (is_v8(rt_in))
        return FTC_EAGGMETHOD;
    return FTC_OK;
}

/* is the caller-owned encoder state sane: no pending datagram, or one of a
   type with a datagram form holding at most that type's maximum count? */
static int pend_ok(const ftc_pdu_enc_t *st)
{
    return st->pend_count == 0
           || (wire_of(st->pend_rt) && st->pend_count <= wires[st->pend_rt].max);
}

/* write the pending datagram's header and move it to out */
static int emit(ftc_pdu_enc_t *st, uint8_t *out, size_t out_size, uint32_t *lens,
                size_t lens_cap, size_t *n_pdus, size_t *out_len)
{
    const wire_t *W = &wires[st->pend_rt];
    const size_t len = (size_t)W->hdr + (size_t)st->pend_count * W->rec;
    uint8_t *p = st->pend;

    if (*n_pdus >= lens_cap || len > out_size - *out_len)
        return FTC_EFULL;
    memset(p, 0, W->hdr);
    ftc_stbe16(p, ftc_layout_get(st->pend_rt)->version);
    ftc_stbe16(p + 2, (uint16_t)st->pend_count);
    ftc_stbe32(p + 4, st->key_uptime);
    ftc_stbe32(p + 8, st->key_secs);
    ftc_stbe32(p + 12, st->key_nsecs);
    if (st->pend_rt != FTC_RT_V1) {
        uint32_t idx = (uint32_t)st->key_engine_id << 8 | st->key_engine_type;
        ftc_stbe32(p + 16, st->seq_next[idx]);
        st->seq_next[idx] += st->pend_count;
        p[20] = st->key_engine_type;
        p[21] = st->key_engine_id;
        if (is_v8(st->pend_rt)) {
            p[22] = ftc_layout_get(st->pend_rt)->agg_method;
            p[23] = 2;
        }
    }
    memcpy(out + *out_len, p, len);
    lens[(*n_pdus)++] = (uint32_t)len;
    *out_len += len;
    st->pend_count = 0;
    return FTC_OK;
}

int ftc_pdu_encode(ftc_pdu_enc_t *st, int rt_in, const uint8_t *recs, size_t n,
                   int rt_out, uint8_t *out, size_t out_size,
                   uint32_t *lens, size_t lens_cap,
                   size_t *consumed, size_t *n_pdus, size_t *out_len)
{
    const ftc_layout_t *L;
    const wire_t *W;
    uint8_t list[FTC_F_COUNT];
    uint32_t v[FTC_F_COUNT];
    int nl, j, k, no_out, r;
    size_t i;

    if (!st || !consumed || !n_pdus || !out_len || (n && !recs)
        || (!out && out_size) || (!lens && lens_cap))
        return FTC_EINVAL;
    *consumed = *n_pdus = *out_len = 0;
    r = encode_compat(rt_in, rt_out);
    if (r != FTC_OK)
        return r;
    if (!pend_ok(st))
        return FTC_EINVAL;   /* state not zeroed */
    L = ftc_layout_get(rt_in);
    if (n > SIZE_MAX / L->rec_size)
        return FTC_EINVAL;
    W = &wires[rt_out];
    nl = ftc_fields_of(L, list);
    no_out = ftc_xlate_drops_output(rt_in, rt_out);

    for (i = 0; i < n; i++) {
        const uint8_t *rec = recs + i * L->rec_size;
        uint8_t *w;
        uint32_t et, ei;

        memset(v, 0, sizeof v);
        for (j = 0; j < nl; j++)
            v[list[j]] = ftc_ldw(rec + L->off[list[j]], ftc_field_width(list[j]));
        if (no_out)
            v[FTC_F_OUTPUT] = 0;
        et = rt_out == FTC_RT_V1 ? 0 : v[FTC_F_ENGINE_TYPE];
        ei = rt_out == FTC_RT_V1 ? 0 : v[FTC_F_ENGINE_ID];

        if (st->pend_count
            && (st->pend_rt != rt_out || st->pend_count >= wires[st->pend_rt].max
                || st->key_uptime != v[FTC_F_SYSUPTIME]
                || st->key_secs != v[FTC_F_UNIX_SECS]
                || st->key_nsecs != v[FTC_F_UNIX_NSECS]
                || st->key_engine_type != et || st->key_engine_id != ei)) {
            if (emit(st, out, out_size, lens, lens_cap, n_pdus, out_len) != FTC_OK) {
                *consumed = i;
                return FTC_EFULL;
            }
        }
        if (st->pend_count == 0) {
            st->pend_rt = rt_out;
            st->key_uptime = v[FTC_F_SYSUPTIME];
            st->key_secs = v[FTC_F_UNIX_SECS];
            st->key_nsecs = v[FTC_F_UNIX_NSECS];
            st->key_engine_type = (uint8_t)et;
            st->key_engine_id = (uint8_t)ei;
        }
        w = st->pend + W->hdr + (size_t)st->pend_count * W->rec;
        memset(w, 0, W->rec);
        for (k = 0; k < W->n; k++) {
            const went_t *e = &W->e[k];
            if (e->dir & WE)
                stbe(w + e->off, ftc_field_width(e->field), v[e->field]);
        }
        st->pend_count++;
        /* send a full datagram at once; if there is no room it waits */
        if (st->pend_count >= W->max
            && emit(st, out, out_size, lens, lens_cap, n_pdus, out_len) != FTC_OK) {
            *consumed = i + 1;
            return i + 1 == n ? FTC_OK : FTC_EFULL;
        }
    }
    *consumed = n;
    return FTC_OK;
}

int ftc_pdu_encode_flush(ftc_pdu_enc_t *st, uint8_t *out, size_t out_size,
                         uint32_t *lens, size_t lens_cap,
                         size_t *n_pdus, size_t *out_len)
{
    if (!st || !n_pdus || !out_len || (!out && out_size) || (!lens && lens_cap))
        return FTC_EINVAL;
    *n_pdus = *out_len = 0;
    if (!pend_ok(st))
        return FTC_EINVAL;
    if (st->pend_count == 0)
        return FTC_OK;
    return emit(st, out, out_size, lens, lens_cap, n_pdus, out_len);
}
