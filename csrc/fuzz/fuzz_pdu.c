/* fuzz_pdu.c -- libFuzzer harness for csrc/pdu.c (export datagrams).
 * Never compiled into the extension (build_ftcore.py takes only the .c files
 * directly in csrc/).
 *
 * Input layout: byte 0 picks options (file record type, AS substitute,
 * remote address filter); the rest is a list of datagrams, each prefixed by
 * a 2-byte big-endian length (taken modulo 2100 and clipped to what is
 * left).  The whole remainder is also tried as one datagram.
 *
 * Checked, beyond "no crash, no sanitizer report":
 *   - every entry point returns a defined status;
 *   - ftc_pdu_verify accepts exactly when ftc_pdu_decode (own type) does,
 *     and the record count equals the header count;
 *   - ftc_pdu_rx_batch: accepted + corrupt == pdus, flows == records
 *     produced, reasons add up to corrupt, events never overflow, and a
 *     batch resumed after FTC_EFULL consumes every datagram;
 *   - decode -> encode -> decode reproduces the records, apart from the
 *     documented one-way quirks (v6/v7/v8 engine_type takes the datagram's
 *     engine_id; flow-send does not send 8.8 prot).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define MAX_PDUS 64
#define CHECK(c) do { if (!(c)) abort(); } while (0)

static ftc_pdu_enc_t enc;                 /* 256 KiB: static, not on the stack */
static uint8_t out1[FTC_PDU_DECODE_MAX];
static uint8_t out2[FTC_PDU_DECODE_MAX];
static uint8_t wire[8 * FTC_PDU_MAX_LEN];
static uint8_t batch_out[4 * FTC_PDU_DECODE_MAX];
static uint8_t packed[64 * 2100];

static const int targets[8] = {
    -1, FTC_RT_V1, FTC_RT_V5, FTC_RT_V6, FTC_RT_V7, FTC_RT_V1005, FTC_RT_V8_1, FTC_RT_V8_8,
};

static int is_v8(int rt) { return rt >= FTC_RT_V8_1; }

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
    (void)is_v8;
}

static void batch(const uint8_t *const *start, const uint32_t *lens, size_t n,
                  int target, uint16_t as_sub, uint32_t remote)
{
    static ftc_seq_slot_t slots[16];
    static ftc_pdu_event_t ev[3];
    uint32_t srcs[MAX_PDUS], dsts[MAX_PDUS];
    ftc_seq_table_t seq;
    ftc_pdu_rx_stats_t st;
    size_t done = 0, produced, i, total;
    int rt = target, r, rounds = 0;
    uint32_t corrupt = 0, accepted = 0;
    size_t off = 0;

    /* the batch takes datagrams back to back */
    for (i = 0; i < n; i++) {
        memcpy(packed + off, start[i], lens[i]);
        off += lens[i];
        srcs[i] = (uint32_t)(i % 5);
        dsts[i] = (uint32_t)(i % 3);
    }
    total = off;
    off = 0;
    memset(slots, 0, sizeof slots);
    CHECK(ftc_tab_init(&seq, FTC_TAB_SEQ, FTC_SEQ_KEY_LEN, 16, (uint8_t *)slots,
                       sizeof slots) == FTC_OK);
    while (done < n) {
        r = ftc_pdu_rx_batch(packed + off, total - off, lens + done, n - done, srcs + done,
                             dsts + done, NULL, remote, as_sub, &rt, &seq, NULL, 0,
                             batch_out, sizeof batch_out,
                             &produced, ev, 3, &st);
        CHECK(r == FTC_OK || r == FTC_EFULL);
        CHECK(st.accepted + st.corrupt == st.pdus);
        CHECK(st.flows == produced && st.n_events <= 3);
        for (i = 0, corrupt = 0; i < FTC_PDU_NREASONS; i++)
            corrupt += st.reasons[i];
        CHECK(corrupt == st.corrupt && st.reasons[0] == 0);
        accepted += st.accepted;
        if (r == FTC_EFULL) {
            CHECK(st.full >= FTC_PDU_FULL_OUT && st.full <= FTC_PDU_FULL_EVENTS);
            if (st.full == FTC_PDU_FULL_TABLE) {   /* start a fresh table */
                CHECK(seq.full == 1);   /* the table says it needs to grow */
                memset(slots, 0, sizeof slots);
                seq.used = 0;
                seq.full = 0;
            }
            CHECK(st.pdus > 0 || st.full == FTC_PDU_FULL_TABLE);
        }
        done += st.pdus;
        off += st.bytes;
        CHECK(++rounds < 4 * MAX_PDUS);
    }
    CHECK(accepted == 0 || rt >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *start[MAX_PDUS], *p;
    uint32_t lens[MAX_PDUS];
    size_t n = 0, len, i;
    int target;
    uint16_t as_sub;
    uint32_t remote;
    if (size < 1)
        return 0;
    target = targets[data[0] & 7];
    as_sub = (data[0] & 0x08) ? 64512 : 0;
    remote = (data[0] & 0x10) ? 2 : 0;
    p = data + 1;
    len = size - 1;
    /* the remainder as one datagram, then as length-prefixed datagrams */
    single(p, len, target, as_sub);
    while (len >= 2 && n < MAX_PDUS) {
        size_t l = (size_t)((p[0] << 8 | p[1]) % 2100);
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
    batch(start, lens, n, target, as_sub, remote);
    return 0;
}
