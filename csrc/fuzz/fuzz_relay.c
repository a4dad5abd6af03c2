/* fuzz_relay.c -- libFuzzer harness for the packed-datagram entry points:
 * ftc_pdu_rx_batch (pdu.c), ftc_fanout_batch and ftc_ipudp_wrap (relay.c),
 * with lengths that may lie.  Never compiled into the extension.
 *
 * Input layout: byte 0 options (bits 0-2 file record type, v1 being v1006
 * instead when the input's length is odd, bit 3 AS
 * substitute, bit 4 a filter, bit 5 a mask, bit 6 lengths taken raw from the
 * input instead of fitted to it, bit 7 no v9/IPFIX template state), byte 1
 * the number of datagrams n (at most
 * 64), then n 4-byte big-endian lengths, then the datagram bytes (buf_len =
 * what is left).  Fitted lengths are taken modulo 2100 and clipped to what
 * is left, so they always fit.
 *
 * Checked, beyond "no crash, no sanitizer report":
 *   - when the lengths add up to more than buf_len every entry point
 *     returns FTC_EINVAL and consumes nothing; otherwise rx_batch and
 *     fanout_batch return FTC_OK or FTC_EFULL, consume at most buf_len
 *     bytes, and resumed after FTC_EFULL consume every datagram;
 *   - every call is fed as pyflowtools does (core.pdu.Receiver.feed,
 *     core.relay.Relay.run): the clock moves on 7 s a call, the record
 *     buffer starts at FTC_PDU_DECODE_MAX and doubles when not even one
 *     datagram (or waiting v9/IPFIX data set) fits, the sequence table
 *     starts at 4 slots and grows when full, ev_cap is
 *     FTC_PDU_EVENTS_MIN..+2; every FTC_EFULL call makes progress or asks
 *     for growth the harness can give;
 *   - rx_batch (a tiny template state, no sequence table): flows ==
 *     records produced, they fit out; fanout: accepted + corrupt == pdus,
 *     filtered <= flows, the output datagram lengths add up to out_bytes <=
 *     the output size; fanout without an encoder (flow-capture -f/-F, a
 *     small template state, a sequence table): relayed + filtered == flows,
 *     out_bytes == relayed records' bytes;
 *   - no record is lost or made up (rx_batch, fanout without encoder): the
 *     records equal those of the accepted v1-v8 datagrams plus those the
 *     template state says it stored (while the clock is less than
 *     FTC_IPX_IDLE_SECS on: an evicted source takes its count along);
 *   - ipudp_wrap: every output length is its input length + 28.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"
#include "rx_common.h"

#define MAX_PDUS 64
#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const int targets[8] = {
    -1, FTC_RT_V1, FTC_RT_V5, FTC_RT_V6, FTC_RT_V7, FTC_RT_V1005, FTC_RT_V8_1, FTC_RT_V8_8,
};

static ftc_pdu_enc_t enc;                     /* 256 KiB: static */
static uint8_t rx_out[FTC_IPX_DECODE_MAX];   /* what one datagram may need */
static uint8_t fo_out[(3 * MAX_PDUS + 3) * FTC_PDU_MAX_LEN];
static uint32_t fo_lens[3 * MAX_PDUS + 3], fo_src[3 * MAX_PDUS + 3];
static uint8_t wrap_out[MAX_PDUS * 2200 + 65536];
static uint32_t wrap_lens[MAX_PDUS];
static ftc_pdu_event_t ev[2 * MAX_PDUS + 8];
static rx_seq_t rxseq;

/* a one-instruction program for records of type rt: prot == 17, or
   (types without prot) TRUE */
static size_t make_prog(int rt, ftc_insn_t *p)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    memset(p, 0, sizeof *p);
    p->jt = FTC_PROG_ACCEPT;
    p->jf = FTC_PROG_REJECT;
    if (L->off[FTC_F_PROT] >= 0) {
        p->op = FTC_OP_CMP;
        p->src = FTC_SRC_FIELD;
        p->width = 1;
        p->offset = L->off[FTC_F_PROT];
        p->cmp = FTC_CMP_EQ;
        p->a = 17;
    } else {
        p->op = FTC_OP_TRUE;
        p->src = FTC_SRC_NONE;
    }
    return 1;
}

/* records of the accepted v1-v8 datagrams among the pdus consumed at p:
   those without a CORRUPT event (v9/IPFIX ones with ipx are the state's) */
static uint64_t v8_flows(const uint8_t *p, const uint32_t *lens, size_t pdus,
                         const ftc_pdu_event_t *e, size_t n_events, int ipx)
{
    uint64_t flows = 0;
    size_t i, k;
    for (i = 0; i < pdus; p += lens[i], i++) {
        ftc_pdu_hdr_t h;
        int bad = 0;
        if (ipx && rx_is_ipx(p, lens[i]))
            continue;
        for (k = 0; k < n_events; k++)
            if (e[k].index == i && e[k].kind == FTC_PDU_EV_CORRUPT)
                bad = 1;
        if (bad)
            continue;
        CHECK(ftc_pdu_verify(p, lens[i], &h, NULL) == FTC_OK);
        flows += h.count;
    }
    return flows;
}

/* flow-capture -f/-F: ftc_fanout_batch without encoder, records out */
static void fanout_records(const uint8_t *buf, size_t buf_len, const uint32_t *lens, size_t n,
                           const uint32_t *srcs, const uint32_t *dsts, const uint16_t *ports,
                           int fits, int opts, int target, uint16_t as_sub)
{
    static uint8_t out[FTC_IPX_DECODE_MAX + FTC_PDU_DECODE_MAX];
    size_t out_size = FTC_PDU_DECODE_MAX, done = 0, off = 0, np, ev_cap;
    uint32_t now = RX_NOW0;
    uint64_t flows = 0, v8 = 0;
    void *ipx = (opts & 0x80) ? NULL : rx_ipx_new(&rx_small_lim);
    ftc_fanout_stats_t fst;
    ftc_filter_state_t fstate;
    ftc_insn_t prog;
    int rt = target, r, rounds = 0;

    if ((opts & 0x10) && rt < 0)
        rt = FTC_RT_V5;
    memset(&fstate, 0, sizeof fstate);
    rx_seq_init(&rxseq);
    for (;;) {
        np = (opts & 0x10) ? make_prog(rt, &prog) : 0;
        ev_cap = FTC_PDU_EVENTS_MIN + (size_t)rounds % 3;
        r = ftc_fanout_batch(buf + off, buf_len - off, lens + done, n - done, srcs + done,
                             dsts + done, ports + done, 0, as_sub, &rt, &rxseq.t, ipx, now,
                             (opts & 0x20) ? 0xFFFFFF00u : 0xFFFFFFFFu,
                             np ? &prog : NULL, np, NULL, 0, &fstate, NULL,
                             out, out_size, NULL, NULL, 0, ev, ev_cap, &fst);
        if (!fits) {
            CHECK(r == FTC_EINVAL);
            break;
        }
        CHECK(r == FTC_OK || r == FTC_EFULL);
        CHECK(fst.rx.accepted + fst.rx.corrupt == fst.rx.pdus && fst.rx.pdus <= n - done);
        CHECK(fst.rx.bytes <= buf_len - off && fst.rx.n_events <= ev_cap);
        CHECK(fst.relayed_flows + fst.filtered == fst.rx.flows);
        CHECK(fst.out_bytes <= out_size);
        CHECK(fst.rx.flows == 0 || rt >= 0);
        if (fst.rx.flows)
            CHECK(fst.out_bytes == fst.relayed_flows * ftc_layout_get(rt)->rec_size);
        flows += fst.rx.flows;
        v8 += v8_flows(buf + off, lens + done, fst.rx.pdus, ev, fst.rx.n_events, ipx != NULL);
        done += fst.rx.pdus;
        off += fst.rx.bytes;
        now += 7;
        if (r == FTC_OK) {
            CHECK(done == n);
            break;
        }
        CHECK(fst.rx.full >= FTC_PDU_FULL_OUT && fst.rx.full <= FTC_PDU_FULL_EVENTS);
        if (fst.rx.full == FTC_PDU_FULL_TABLE) {
            rx_seq_grow(&rxseq);
        } else if (fst.rx.full == FTC_PDU_FULL_EVENTS) {
            CHECK(fst.rx.pdus > 0);
        } else if (fst.rx.pdus == 0 && fst.out_bytes == 0 && fst.rx.released == 0) {
            CHECK(out_size * 2 <= sizeof out);   /* what Relay.run does */
            out_size *= 2;
        }
        CHECK(++rounds <= 8 * MAX_PDUS + 8);
    }
    CHECK(!rx_no_eviction(now) || flows == v8 + rx_ipx_records(ipx));
    free(ipx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t lens[MAX_PDUS], srcs[MAX_PDUS], dsts[MAX_PDUS];
    uint16_t ports[MAX_PDUS];
    const uint8_t *buf;
    size_t n, i, buf_len, left, done, off, produced, wrap_len, out_size;
    uint64_t sum = 0, flows, v8;
    uint32_t now = RX_NOW0;
    void *ipx;
    int fits, target, rt, r, rounds;
    uint16_t as_sub;
    ftc_pdu_rx_stats_t rst;
    ftc_fanout_stats_t fst;
    ftc_filter_state_t fstate;
    ftc_insn_t prog;

    if (size < 2)
        return 0;
    target = targets[data[0] & 7];
    if (target == FTC_RT_V1 && (size & 1))
        target = FTC_RT_V1006;
    as_sub = (data[0] & 0x08) ? 64512 : 0;
    n = (size_t)data[1] % (MAX_PDUS + 1);
    data += 2;
    size -= 2;
    if (size < 4 * n)
        n = size / 4;
    buf = data + 4 * n;
    buf_len = size - 4 * n;
    left = buf_len;
    for (i = 0; i < n; i++) {
        uint32_t l = (uint32_t)data[4 * i] << 24 | (uint32_t)data[4 * i + 1] << 16
                     | (uint32_t)data[4 * i + 2] << 8 | data[4 * i + 3];
        if (!(data[-2] & 0x40)) {
            l %= 2100;
            if (l > left)
                l = (uint32_t)left;
            left -= l;
        }
        lens[i] = l;
        sum += l;
        srcs[i] = i % 5 == 4 ? 2u : 1u;   /* mostly one v9/IPFIX source */
        dsts[i] = (uint32_t)(i % 2);
        ports[i] = (uint16_t)(i % 7 == 6 ? 9995 : 2055);
    }
    fits = sum <= buf_len;

    /* receive batch */
    ipx = (data[-2] & 0x80) ? NULL : rx_ipx_new(&rx_tiny_lim);
    rt = target;
    done = off = 0;
    rounds = 0;
    flows = v8 = 0;
    out_size = FTC_PDU_DECODE_MAX;
    for (;;) {
        size_t ev_cap = FTC_PDU_EVENTS_MIN + (size_t)rounds % 3;
        r = ftc_pdu_rx_batch(buf + off, buf_len - off, lens + done, n - done, srcs + done,
                             dsts + done, ports + done, 0, as_sub, &rt, NULL, ipx, now,
                             rx_out, out_size, &produced, ev, ev_cap, &rst);
        if (!fits) {
            CHECK(r == FTC_EINVAL);
            break;
        }
        CHECK(r == FTC_OK || r == FTC_EFULL);
        CHECK(rst.accepted + rst.corrupt == rst.pdus && rst.bytes <= buf_len - off);
        CHECK(rst.pdus <= n - done && rst.n_events <= ev_cap && rst.flows == produced);
        CHECK(produced == 0 || rt >= 0);
        if (produced)
            CHECK(produced * ftc_layout_get(rt)->rec_size <= out_size);
        CHECK(r == FTC_OK || rst.full == FTC_PDU_FULL_EVENTS || rst.full == FTC_PDU_FULL_OUT);
        flows += produced;
        v8 += v8_flows(buf + off, lens + done, rst.pdus, ev, rst.n_events, ipx != NULL);
        done += rst.pdus;
        off += rst.bytes;
        now += 7;
        if (r == FTC_OK)
            break;
        if (rst.full == FTC_PDU_FULL_EVENTS) {
            CHECK(rst.pdus > 0);
        } else if (rst.pdus == 0 && produced == 0) {
            CHECK(out_size * 2 <= sizeof rx_out);
            out_size *= 2;
        }
        CHECK(++rounds <= 8 * MAX_PDUS + 8);
    }
    CHECK(!fits || (done == n && off == sum));
    CHECK(!fits || !rx_no_eviction(now) || flows == v8 + rx_ipx_records(ipx));
    free(ipx);

    /* fanout batch: a filter needs the record type known */
    rt = target;
    if ((data[-2] & 0x10) && rt < 0)
        rt = FTC_RT_V5;
    memset(&enc, 0, sizeof enc);
    memset(&fstate, 0, sizeof fstate);
    rx_seq_init(&rxseq);
    done = off = 0;
    rounds = 0;
    do {
        size_t np = (data[-2] & 0x10) ? make_prog(rt, &prog) : 0;
        r = ftc_fanout_batch(buf + off, buf_len - off, lens + done, n - done, srcs + done,
                             dsts + done, ports + done, 0, as_sub, &rt, &rxseq.t, NULL,
                             now + 7u * (uint32_t)rounds, (data[-2] & 0x20) ? 0xFFFFFF00u : 0xFFFFFFFFu,
                             np ? &prog : NULL, np, NULL, 0, &fstate, &enc,
                             fo_out, sizeof fo_out, fo_lens, fo_src,
                             sizeof fo_lens / sizeof fo_lens[0], ev,
                             sizeof ev / sizeof ev[0], &fst);
        if (!fits || rt == FTC_RT_V1005 || rt == FTC_RT_V1006) {   /* no datagram form */
            CHECK(r == FTC_EINVAL && done == 0);
            break;
        }
        CHECK(r == FTC_OK || r == FTC_EFULL);
        CHECK(fst.rx.accepted + fst.rx.corrupt == fst.rx.pdus);
        CHECK(fst.rx.bytes <= buf_len - off && fst.filtered <= fst.rx.flows);
        CHECK(fst.out_bytes <= sizeof fo_out);
        {
            uint64_t s = 0;
            for (i = 0; i < fst.out_pdus; i++)
                s += fo_lens[i];
            CHECK(s == fst.out_bytes);
        }
        CHECK(r == FTC_OK || fst.rx.pdus > 0 || fst.rx.full == FTC_PDU_FULL_TABLE);
        if (r == FTC_EFULL && fst.rx.full == FTC_PDU_FULL_TABLE)
            rx_seq_grow(&rxseq);
        done += fst.rx.pdus;
        off += fst.rx.bytes;
        CHECK(++rounds <= 4 * MAX_PDUS + 4);
    } while (r == FTC_EFULL);
    CHECK(!fits || rt == FTC_RT_V1005 || rt == FTC_RT_V1006 || (done == n && off == sum));

    fanout_records(buf, buf_len, lens, n, srcs, dsts, ports, fits, data[-2], target, as_sub);

    /* raw IPv4/UDP headers */
    r = ftc_ipudp_wrap(buf, buf_len, lens, n, NULL, 1, 2, 3, 4, 64, wrap_out,
                       sizeof wrap_out, wrap_lens, &wrap_len);
    if (!fits) {
        CHECK(n == 0 || r == FTC_EINVAL);
    } else {
        CHECK(r == FTC_OK || r == FTC_EFULL || r == FTC_EINVAL);
        if (r == FTC_OK) {
            CHECK(wrap_len == sum + 28u * n);
            for (i = 0; i < n; i++)
                CHECK(wrap_lens[i] == lens[i] + 28u);
        }
    }
    return 0;
}
