/* fuzz_relay.c -- libFuzzer harness for the packed-datagram entry points:
 * ftc_pdu_rx_batch (pdu.c), ftc_fanout_batch and ftc_ipudp_wrap (relay.c),
 * with lengths that may lie.  Never compiled into the extension.
 *
 * Input layout: byte 0 options (bits 0-2 file record type, bit 3 AS
 * substitute, bit 4 a filter, bit 5 a mask, bit 6 lengths taken raw from the
 * input instead of fitted to it), byte 1 the number of datagrams n (at most
 * 64), then n 4-byte big-endian lengths, then the datagram bytes (buf_len =
 * what is left).  Fitted lengths are taken modulo 2100 and clipped to what
 * is left, so they always fit.
 *
 * Checked, beyond "no crash, no sanitizer report":
 *   - when the lengths add up to more than buf_len every entry point
 *     returns FTC_EINVAL and consumes nothing; otherwise rx_batch and
 *     fanout_batch return FTC_OK or FTC_EFULL, consume at most buf_len
 *     bytes, and resumed after FTC_EFULL consume every datagram;
 *   - fanout: accepted + corrupt == pdus, filtered <= flows, the output
 *     datagram lengths add up to out_bytes <= the output size;
 *   - ipudp_wrap: every output length is its input length + 28.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define MAX_PDUS 64
#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const int targets[8] = {
    -1, FTC_RT_V1, FTC_RT_V5, FTC_RT_V6, FTC_RT_V7, FTC_RT_V1005, FTC_RT_V8_1, FTC_RT_V8_8,
};

static ftc_pdu_enc_t enc;                     /* 256 KiB: static */
static uint8_t rx_out[MAX_PDUS * FTC_PDU_DECODE_MAX];
static uint8_t fo_out[(3 * MAX_PDUS + 3) * FTC_PDU_MAX_LEN];
static uint32_t fo_lens[3 * MAX_PDUS + 3], fo_src[3 * MAX_PDUS + 3];
static uint8_t wrap_out[MAX_PDUS * 2200 + 65536];
static uint32_t wrap_lens[MAX_PDUS];
static ftc_pdu_event_t ev[2 * MAX_PDUS + 8];

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t lens[MAX_PDUS], srcs[MAX_PDUS], dsts[MAX_PDUS];
    const uint8_t *buf;
    size_t n, i, buf_len, left, done, off, produced, wrap_len;
    uint64_t sum = 0;
    int fits, target, rt, r, rounds;
    uint16_t as_sub;
    ftc_pdu_rx_stats_t rst;
    ftc_fanout_stats_t fst;
    ftc_filter_state_t fstate;
    ftc_insn_t prog;

    if (size < 2)
        return 0;
    target = targets[data[0] & 7];
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
        srcs[i] = (uint32_t)(i % 3);
        dsts[i] = (uint32_t)(i % 2);
    }
    fits = sum <= buf_len;

    /* receive batch */
    rt = target;
    done = off = 0;
    rounds = 0;
    do {
        r = ftc_pdu_rx_batch(buf + off, buf_len - off, lens + done, n - done, srcs + done,
                             dsts + done, NULL, 0, as_sub, &rt, NULL, NULL, 0,
                             rx_out, sizeof rx_out,
                             &produced, ev, 5, &rst);
        if (!fits) {
            CHECK(r == FTC_EINVAL);
            break;
        }
        CHECK(r == FTC_OK || r == FTC_EFULL);
        CHECK(rst.accepted + rst.corrupt == rst.pdus && rst.bytes <= buf_len - off);
        CHECK(r == FTC_OK || rst.full == FTC_PDU_FULL_EVENTS || rst.full == FTC_PDU_FULL_OUT);
        done += rst.pdus;
        off += rst.bytes;
        CHECK(++rounds <= 2 * MAX_PDUS + 2);
    } while (r == FTC_EFULL);
    CHECK(!fits || (done == n && off == sum));

    /* fanout batch: a filter needs the record type known */
    rt = target;
    if ((data[-2] & 0x10) && rt < 0)
        rt = FTC_RT_V5;
    memset(&enc, 0, sizeof enc);
    memset(&fstate, 0, sizeof fstate);
    done = off = 0;
    rounds = 0;
    do {
        size_t np = (data[-2] & 0x10) ? make_prog(rt, &prog) : 0;
        r = ftc_fanout_batch(buf + off, buf_len - off, lens + done, n - done, srcs + done,
                             dsts + done, NULL, 0, as_sub, &rt, NULL, NULL, 0,
                             (data[-2] & 0x20) ? 0xFFFFFF00u : 0xFFFFFFFFu,
                             np ? &prog : NULL, np, NULL, 0, &fstate, &enc,
                             fo_out, sizeof fo_out, fo_lens, fo_src,
                             sizeof fo_lens / sizeof fo_lens[0], ev,
                             sizeof ev / sizeof ev[0], &fst);
        if (!fits || rt == FTC_RT_V1005) {   /* v1005 has no datagram form */
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
        CHECK(r == FTC_OK || fst.rx.pdus > 0);
        done += fst.rx.pdus;
        off += fst.rx.bytes;
        CHECK(++rounds <= 2 * MAX_PDUS + 2);
    } while (r == FTC_EFULL);
    CHECK(!fits || rt == FTC_RT_V1005 || (done == n && off == sum));

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
