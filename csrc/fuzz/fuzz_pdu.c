/* fuzz_pdu.c -- libFuzzer harness for csrc/pdu.c (export datagrams).
 * Never compiled into the extension (build_ftcore.py takes only the .c files
 * directly in csrc/).
 *
 * Input layout: byte 0 picks options (bits 0-2 file record type, v1 being
 * v1006 instead when the input's length is odd, bit 3 AS
 * substitute, bit 4 remote address filter, bit 5 no v9/IPFIX template
 * state, bit 6 its tiny caps, bit 7 no sequence table); the rest is a list
 * of datagrams, each prefixed by a 2-byte big-endian value v: the length is
 * v % 2100 (clipped to what is left), q = v / 2100 (0..31) steers the
 * receive batches: bit 0 ends a batch after this datagram, bits 1-3 move
 * the clock on by that many x 37 s, bit 4 "restarts the collector" after
 * the batch (ftc_ipx_save into a fresh state by ftc_ipx_load).  The whole
 * remainder is also tried as one datagram.
 *
 * Checked, beyond "no crash, no sanitizer report":
 *   - every entry point returns a defined status;
 *   - ftc_pdu_verify accepts exactly when ftc_pdu_decode (own type) does,
 *     and the record count equals the header count; decoded into v1006,
 *     v1-v7 datagrams give IPv4-mapped records (ftc_recs_keep_ipv4 keeps
 *     them all) and v8 ones are refused;
 *   - ftc_pdu_rx_batch, v9/IPFIX datagrams going to a small template
 *     state, fed as pyflowtools.core.pdu.Receiver.feed does (a small out
 *     buffer doubled on FTC_PDU_FULL_OUT, the table grown on
 *     FTC_PDU_FULL_TABLE, ev_cap FTC_PDU_EVENTS_MIN..+2): never FTC_EINVAL,
 *     accepted + corrupt == pdus, flows == records produced and they fit
 *     out, reasons add up to corrupt, events never overflow, st.bytes are
 *     the consumed datagrams' bytes, every FTC_EFULL call either makes
 *     progress or asks for growth the harness can give, and a batch
 *     resumed until FTC_OK consumes every datagram;
 *   - the sequence table's caps: at RX_SEQ_LIMIT slots the oldest are
 *     evicted, after each batch the slots silent 60 s expire
 *     (ftc_seq_expire), and every slot left is found by its key;
 *   - no record is lost or made up: the records produced equal those of
 *     the accepted v1-v8 datagrams plus those the template state says it
 *     stored (its sources' `records`; checked while the clock is less than
 *     FTC_IPX_IDLE_SECS on, as an evicted source takes its count along);
 *   - decode -> encode -> decode reproduces the records, apart from the
 *     documented one-way quirks (v6/v7/v8 engine_type takes the datagram's
 *     engine_id; flow-send does not send 8.8 prot nor 8.10 ports).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"
#include "rx_common.h"

#define MAX_PDUS 64
#define CHECK(c) do { if (!(c)) abort(); } while (0)

static ftc_pdu_enc_t enc;                 /* 256 KiB: static, not on the stack */
static uint8_t out1[FTC_PDU_DECODE_MAX];
static uint8_t out2[FTC_PDU_DECODE_MAX];
static uint8_t wire[8 * FTC_PDU_MAX_LEN];
static uint8_t packed[64 * 2100];

static const int targets[8] = {
    -1, FTC_RT_V1, FTC_RT_V5, FTC_RT_V6, FTC_RT_V7, FTC_RT_V1005, FTC_RT_V8_1, FTC_RT_V8_8,
};

static int is_v8(int rt) { return rt >= FTC_RT_V8_1 && rt <= FTC_RT_V8_14; }

/* zero the fields a round trip cannot preserve */
static void normalize(int rt, uint8_t *recs, size_t n)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i;
    for (i = 0; i < n; i++) {
        uint8_t *r = recs + i * L->rec_size;
        if (rt != FTC_RT_V1 && rt != FTC_RT_V5)
            r[L->off[FTC_F_ENGINE_TYPE]] = 0;
        if (rt == FTC_RT_V8_8)
            r[L->off[FTC_F_PROT]] = 0;
        if (rt == FTC_RT_V8_10) {   /* decoded, never encoded (pdu.c's wire table) */
            memset(r + L->off[FTC_F_SRCPORT], 0, 2);
            memset(r + L->off[FTC_F_DSTPORT], 0, 2);
        }
    }
}

static void single(const uint8_t *p, size_t len, int target, uint16_t as_sub)
{
    ftc_pdu_hdr_t h, h2;
    size_t n = 0, n2 = 0, consumed, npdu, nbytes, nf, fb, k, off;
    uint32_t lens[8];
    int reason, r, v, rt;

    v = ftc_pdu_verify(p, len, &h, &reason);
    CHECK(v == FTC_OK || v == FTC_EBADPDU);
    CHECK((v == FTC_OK) == (reason == FTC_PDU_R_OK));
    CHECK((v == FTC_OK) == (h.rectype >= 0));

    r = ftc_pdu_decode(p, len, 0x0A000001u, as_sub, -1, out1, sizeof out1, &n, &h2, &reason);
    CHECK(r == v);
    if (r != FTC_OK)
        return;
    CHECK(n == h.count && h.length <= len);

    /* translation targets */
    r = ftc_pdu_decode(p, len, 1, as_sub, target < 0 ? h.rectype : target, out2,
                       sizeof out2, &n2, NULL, NULL);
    CHECK(r == FTC_OK || r == FTC_EDVERSION || r == FTC_EAGGMETHOD);
    CHECK(r != FTC_OK || n2 == n);
    if (target == FTC_RT_V1006) {
        size_t kept;
        CHECK((r == FTC_OK) == !is_v8(h.rectype));
        CHECK(r != FTC_OK || (ftc_recs_keep_ipv4(target, out2, n2, &kept) == FTC_OK
                              && kept == n2));
    }

    /* decode -> encode -> decode, with a fresh encoder each time */
    rt = h.rectype;
    memset(&enc, 0, sizeof enc);
    r = ftc_pdu_encode(&enc, rt, out1, n, rt, wire, sizeof wire, lens, 8,
                       &consumed, &npdu, &nbytes);
    CHECK(r == FTC_OK && consumed == n);
    r = ftc_pdu_encode_flush(&enc, wire + nbytes, sizeof wire - nbytes, lens + npdu,
                             8 - npdu, &nf, &fb);
    CHECK(r == FTC_OK);
    npdu += nf;
    CHECK(npdu == (n ? 1u : 0u));
    off = 0;
    n2 = 0;
    for (k = 0; k < npdu; k++) {
        size_t got = 0;
        r = ftc_pdu_decode(wire + off, lens[k], 0x0A000001u, as_sub, rt,
                           out2 + n2 * ftc_layout_get(rt)->rec_size,
                           sizeof out2 - n2 * ftc_layout_get(rt)->rec_size, &got, NULL, NULL);
        CHECK(r == FTC_OK);
        n2 += got;
        off += lens[k];
    }
    CHECK(n2 == n);
    normalize(rt, out1, n);
    normalize(rt, out2, n);
    CHECK(memcmp(out1, out2, n * ftc_layout_get(rt)->rec_size) == 0);
}


/* the receive side: one collector's state across the input's batches */
#define RX_OUT_MAX (FTC_PDU_DECODE_MAX << 7)   /* > 2100 bytes x 72: any datagram */
static uint8_t rx_out[RX_OUT_MAX];
static uint8_t saved[1 << 20];
static rx_seq_t rxseq;

typedef struct {
    int rt;
    uint16_t as_sub;
    uint32_t remote;
    ftc_seq_table_t *seq;
    void *ipx;
    const ftc_ipx_limits_t *lim;
    size_t out_size;          /* grows as Receiver.feed's buffer does */
    uint64_t flows;           /* records produced */
    uint64_t v8_flows;        /* ... by accepted v1-v8 datagrams */
    uint64_t ipx_before;      /* records stored by template states replaced */
    unsigned calls;
} rx_t;

/* one Receiver.feed(): n datagrams packed in buf, at time now */
static void rx_feed(rx_t *c, const uint8_t *buf, const uint32_t *lens, size_t n,
                    const uint32_t *srcs, const uint32_t *dsts, const uint16_t *ports,
                    uint32_t now)
{
    ftc_pdu_event_t ev[FTC_PDU_EVENTS_MIN + 2];
    ftc_pdu_rx_stats_t st;
    size_t done = 0, produced, i, k, ev_cap;
    uint64_t off = 0, total = 0;
    int r, rounds = 0;

    for (i = 0; i < n; i++)
        total += lens[i];
    for (;;) {
        ev_cap = FTC_PDU_EVENTS_MIN + c->calls++ % 3;
        r = ftc_pdu_rx_batch(buf + off, (size_t)(total - off), lens + done, n - done,
                             srcs + done, dsts + done, ports + done, c->remote, c->as_sub,
                             &c->rt, c->seq, c->ipx, now, rx_out, c->out_size, &produced,
                             ev, ev_cap, &st);
        CHECK(r == FTC_OK || r == FTC_EFULL);
        CHECK(st.accepted + st.corrupt == st.pdus && st.pdus <= n - done);
        CHECK(st.flows == produced && st.n_events <= ev_cap);
        CHECK(produced == 0 || c->rt >= 0);
        if (produced)
            CHECK(produced * ftc_layout_get(c->rt)->rec_size <= c->out_size);
        {
            uint64_t b = 0;
            uint32_t corrupt = 0;
            for (i = 0; i < st.pdus; i++)
                b += lens[done + i];
            CHECK(b == st.bytes);
            for (i = 0; i < FTC_PDU_NREASONS; i++)
                corrupt += st.reasons[i];
            CHECK(corrupt == st.corrupt && st.reasons[0] == 0);
            CHECK(st.released <= st.flows);
        }
        for (k = 0; k < st.n_events; k++)
            CHECK(ev[k].index < st.pdus
                  && ev[k].kind >= FTC_PDU_EV_CORRUPT && ev[k].kind <= FTC_PDU_EV_SEQ);
        /* the v1-v8 records: those of the datagrams with no CORRUPT event */
        for (i = 0; i < st.pdus; i++) {
            const uint8_t *p = buf + off;
            ftc_pdu_hdr_t h;
            int bad = 0;
            size_t skip;
            for (skip = 0; skip < i; skip++)
                p += lens[done + skip];
            if (c->ipx && rx_is_ipx(p, lens[done + i]))
                continue;
            for (k = 0; k < st.n_events; k++)
                if (ev[k].index == i && ev[k].kind == FTC_PDU_EV_CORRUPT)
                    bad = 1;
            if (bad)
                continue;
            CHECK(ftc_pdu_verify(p, lens[done + i], &h, NULL) == FTC_OK);
            c->v8_flows += h.count;
        }
        c->flows += produced;
        done += st.pdus;
        off += st.bytes;
        if (r == FTC_OK) {
            CHECK(done == n && off == total);
            break;
        }
        CHECK(st.full >= FTC_PDU_FULL_OUT && st.full <= FTC_PDU_FULL_EVENTS);
        if (st.full == FTC_PDU_FULL_TABLE) {
            CHECK(c->seq != NULL);
            rx_seq_grow(&rxseq);
        } else if (st.full == FTC_PDU_FULL_EVENTS) {
            CHECK(st.pdus > 0);   /* one datagram's events always fit */
        } else if (st.pdus == 0 && produced == 0) {
            /* no room for one datagram or one waiting data set: grow */
            CHECK(c->out_size * 2 <= RX_OUT_MAX);
            c->out_size *= 2;
        }
        CHECK(++rounds < 8 * MAX_PDUS);
    }
    if (rx_no_eviction(now))
        CHECK(c->flows == c->v8_flows + c->ipx_before + rx_ipx_records(c->ipx));
    if (c->seq)   /* the collectors' expiry pass (core/seq.py tick) */
        rx_seq_expire(&rxseq, now, 60, RX_SEQ_LIMIT);
}

/* a collector restart: the templates go through ftc_ipx_save/ftc_ipx_load */
static void rx_restart(rx_t *c)
{
    size_t len, len2;
    uint32_t loaded;
    void *fresh;
    if (!c->ipx)
        return;
    CHECK(ftc_ipx_save(c->ipx, NULL, 0, &len) == FTC_EFULL && len >= 8);
    CHECK(len <= sizeof saved);
    CHECK(ftc_ipx_save(c->ipx, saved, sizeof saved, &len2) == FTC_OK && len2 == len);
    fresh = rx_ipx_new(c->lim);
    CHECK(ftc_ipx_load(fresh, saved, len, &loaded) == FTC_OK);
    c->ipx_before += rx_ipx_records(c->ipx);
    free(c->ipx);
    c->ipx = fresh;
    CHECK(rx_ipx_records(fresh) == 0);
}

static void batch(const uint8_t *const *start, const uint32_t *lens, const uint8_t *steer,
                  size_t n, int target, uint16_t as_sub, uint32_t remote, int opts)
{
    uint32_t srcs[MAX_PDUS], dsts[MAX_PDUS];
    uint16_t ports[MAX_PDUS];
    size_t i, first = 0, off = 0;
    uint32_t now = RX_NOW0;
    rx_t c;

    memset(&c, 0, sizeof c);
    c.rt = target;
    c.as_sub = as_sub;
    c.remote = remote;
    c.out_size = FTC_PDU_DECODE_MAX;
    c.lim = (opts & 0x40) ? &rx_tiny_lim : &rx_small_lim;
    c.ipx = (opts & 0x20) ? NULL : rx_ipx_new(c.lim);
    if (!(opts & 0x80)) {
        rx_seq_init(&rxseq);
        c.seq = &rxseq.t;
    }
    /* the batch takes datagrams back to back */
    for (i = 0; i < n; i++) {
        memcpy(packed + off, start[i], lens[i]);
        off += lens[i];
        srcs[i] = i % 5 == 4 ? 3u : 2u;   /* mostly one v9/IPFIX source */
        dsts[i] = (uint32_t)(i % 3);
        ports[i] = (uint16_t)(i % 7 == 6 ? 9995 : 2055);
    }
    off = 0;
    for (i = 0; i < n; i++) {
        now += (uint32_t)((steer[i] >> 1) & 7) * 37u;
        if (!(steer[i] & 1) && i + 1 < n)
            continue;
        rx_feed(&c, packed + off, lens + first, i + 1 - first, srcs + first, dsts + first,
                ports + first, now);
        while (first <= i)
            off += lens[first++];
        if (steer[i] & 16)
            rx_restart(&c);
    }
    /* a last call with no datagram: data sets released since, or expired */
    rx_feed(&c, packed, lens, 0, srcs, dsts, ports, now + 1000);
    free(c.ipx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *start[MAX_PDUS], *p;
    uint32_t lens[MAX_PDUS];
    uint8_t steer[MAX_PDUS];
    size_t n = 0, len, i;
    int target;
    uint16_t as_sub;
    uint32_t remote;
    if (size < 1)
        return 0;
    target = targets[data[0] & 7];
    if (target == FTC_RT_V1 && (size & 1))
        target = FTC_RT_V1006;
    as_sub = (data[0] & 0x08) ? 64512 : 0;
    remote = (data[0] & 0x10) ? 2 : 0;
    p = data + 1;
    len = size - 1;
    /* the remainder as one datagram, then as length-prefixed datagrams */
    single(p, len, target, as_sub);
    while (len >= 2 && n < MAX_PDUS) {
        const unsigned v = (unsigned)(p[0] << 8 | p[1]);
        size_t l = v % 2100;
        steer[n] = (uint8_t)(v / 2100);
        p += 2;
        len -= 2;
        if (l > len)
            l = len;
        start[n] = p;
        lens[n] = (uint32_t)l;
        n++;
        p += l;
        len -= l;
    }
    for (i = 0; i < n; i++)
        single(start[i], lens[i], target, as_sub);
    batch(start, lens, steer, n, target, as_sub, remote, data[0]);
    return 0;
}
