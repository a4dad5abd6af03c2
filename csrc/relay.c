/* relay.c -- the per-record and per-datagram work of flow-send and
 * flow-fanout (commands.md 8.5, 8.6): the privacy mask, flow-fanout's
 * receive -> mask -> filter -> re-encode loop over a whole batch of
 * datagrams, and IPv4/UDP headers for raw sockets (-s).
 *
 * Datagram verification, decoding, sequence accounting and encoding are
 * pdu.c's; this file only strings them together as the reference's loops
 * do, so Python makes one call per batch. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"
#include "ftc_table.h"

int ftc_recs_mask_ip(int rt, uint8_t *recs, size_t n, uint32_t mask)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i;
    int so, dof;

    if (!L || (n && !recs) || n > SIZE_MAX / L->rec_size)
        return FTC_EINVAL;
    /* ftrec_mask_ip(): v1, v5, v6, v7 and v1005 only */
    if (rt != FTC_RT_V1 && rt != FTC_RT_V5 && rt != FTC_RT_V6 && rt != FTC_RT_V7
        && rt != FTC_RT_V1005)
        return FTC_OK;
    if (mask == 0xFFFFFFFFu)
        return FTC_OK;
    so = L->off[FTC_F_SRCADDR];
    dof = L->off[FTC_F_DSTADDR];
    for (i = 0; i < n; i++) {
        uint8_t *r = recs + i * L->rec_size;
        uint32_t dst = ftc_ld32(r + dof);
        if ((dst & 0xF0000000u) == 0xE0000000u)
            continue;   /* multicast destination: left alone */
        ftc_st32(r + so, ftc_ld32(r + so) & mask);
        ftc_st32(r + dof, dst & mask);
    }
    return FTC_OK;
}

/* output room one input datagram may need: re-encoded into another
   version (-V) a full datagram can split in two; keep a spare one */
#define RELAY_PDUS_PER_IN 3

/* the -S filter_drops of the exporter key the datagram at p was accounted
   to (ftc_pdu_rx_batch: source, local address, export version) */
static void count_filtered(ftc_seq_table_t *seq, const uint8_t *p, uint32_t src, uint32_t dst,
                           uint64_t dropped)
{
    uint32_t idx;
    if (!seq || !dropped)
        return;
    if (ftc_seq_find(seq, src, dst, (uint16_t)(p[0] << 8 | p[1]), &idx) == 1)
        ((ftc_seq_slot_t *)(void *)ftc_tab_at(seq, idx))->filtered += dropped;
}

/* flow-fanout: a v9/IPFIX datagram goes out as it came.  1 relayed or
   counted, 0 no room, < 0 an error. */
static int relay_ipx(const uint8_t *p, size_t len, uint32_t index, uint32_t src, uint32_t dst,
                     uint32_t remote_ip, int must_touch, ftc_seq_table_t *seq, uint32_t now,
                     uint8_t *out, size_t out_size,
                     uint32_t *out_lens, uint32_t *out_src, size_t lens_cap,
                     ftc_pdu_event_t *ev, ftc_fanout_stats_t *st)
{
    uint16_t version = (uint16_t)p[1];
    int sr = 0, shape = FTC_IPX_R_OK, reason = FTC_PDU_R_OK;
    if (remote_ip && src != remote_ip)
        reason = FTC_PDU_R_SRCIP;
    else if ((shape = ftc_ipx_check(p, len)) != FTC_IPX_R_OK)
        reason = FTC_PDU_R_IPX;   /* relayed as it came, so only a sound one */
    else if (must_touch)
        reason = FTC_PDU_R_IPX_MASK;   /* never let unmasked/unfiltered flows through */
    if (reason != FTC_PDU_R_OK) {
        ftc_pdu_event_t *e = ftc_pdu_event_add(ev, &st->rx, index, FTC_PDU_EV_CORRUPT, reason,
                                               src, dst, version);
        st->rx.corrupt++;
        st->rx.reasons[reason]++;
        if (e)
            e->detail = shape;
        return 1;
    }
    if (st->out_pdus + 1 > lens_cap || st->out_bytes + len > out_size)
        return 0;
    if (seq) {
        sr = ftc_seq_add(seq, src, dst, version, 0, 0, 0, now);
        if (sr == FTC_EFULL)
            return 0;
        if (sr < 0)
            return sr;
    }
    if (sr & FTC_SEQ_NEW)
        ftc_pdu_event_add(ev, &st->rx, index, FTC_PDU_EV_EXPORTER, 0, src, dst, version);
    memcpy(out + st->out_bytes, p, len);
    out_lens[st->out_pdus] = (uint32_t)len;
    if (out_src)
        out_src[st->out_pdus] = src;
    st->out_pdus++;
    st->out_bytes += len;
    st->rx.accepted++;
    return 1;
}

int ftc_fanout_batch(const uint8_t *buf, size_t buf_len, const uint32_t *lens, size_t n,
                     const uint32_t *src_ips, const uint32_t *dst_ips,
                     const uint16_t *src_ports,
                     uint32_t remote_ip, uint16_t as_sub, int *rt,
                     ftc_seq_table_t *seq, void *ipx, uint32_t now, uint32_t mask,
                     const ftc_insn_t *prog, size_t nprog, const uint8_t *tables,
                     size_t tables_len, ftc_filter_state_t *fst, ftc_pdu_enc_t *enc,
                     uint8_t *out, size_t out_size, uint32_t *out_lens,
                     uint32_t *out_src, size_t lens_cap,
                     ftc_pdu_event_t *ev, size_t ev_cap,
                     ftc_fanout_stats_t *st)
{
    uint8_t recs[FTC_PDU_DECODE_MAX];
    size_t i;
    uint64_t off = 0;

    if (!st || !rt || (n && (!buf || !lens || !src_ips)) || (!buf && buf_len)
        || (!out && out_size) || (!out_lens && lens_cap) || (prog && !fst)
        || *rt >= FTC_RT_COUNT || (ev && ev_cap < FTC_PDU_EVENTS_MIN))
        return FTC_EINVAL;
    if (n && !ftc_lens_fit(lens, n, buf_len))
        return FTC_EINVAL;   /* the lengths lie: more bytes than buf holds */
    if (enc && *rt >= 0 && ftc_pdu_limits(*rt, NULL, NULL, NULL) != FTC_OK)
        return FTC_EINVAL;   /* no datagram form (v1005): nothing to re-send */
    if (prog) {
        /* checked once for the batch; the record type is fixed by then */
        int r;
        if (*rt < 0)
            return FTC_EINVAL;
        r = ftc_filter_check(prog, nprog, tables, tables_len, *rt);
        if (r != FTC_OK)
            return r;
    }
    memset(st, 0, sizeof *st);

    for (i = 0; i < n; i++) {
        ftc_pdu_rx_stats_t one;
        const uint8_t *p;
        uint8_t *got;
        size_t produced = 0, kept, consumed, npdu = 0, nbytes = 0, k;
        size_t ev_used = st->rx.n_events;
        int r;

        if (ev && ev_cap - ev_used < FTC_PDU_EVENTS_MIN) {
            st->rx.full = FTC_PDU_FULL_EVENTS;
            break;
        }
        p = buf + off;
        if (enc && lens[i] >= 2 && p[0] == 0 && (p[1] == 9 || p[1] == 10)) {
            r = relay_ipx(p, lens[i], (uint32_t)i, src_ips[i], dst_ips ? dst_ips[i] : 0,
                          remote_ip, mask != 0xFFFFFFFFu || prog != NULL, seq, now, out,
                          out_size, out_lens, out_src, lens_cap, ev, st);
            if (r < 0)
                return r;
            if (r == 0) {
                st->rx.full = seq && seq->full ? FTC_PDU_FULL_TABLE : FTC_PDU_FULL_OUT;
                break;
            }
            off += lens[i];
            st->rx.pdus++;
            st->rx.bytes = off;
            continue;
        }
        if (enc ? st->out_pdus + RELAY_PDUS_PER_IN > lens_cap
                  || st->out_bytes + RELAY_PDUS_PER_IN * FTC_PDU_MAX_LEN > out_size
                : st->out_bytes + FTC_PDU_DECODE_MAX > out_size) {
            st->rx.full = FTC_PDU_FULL_OUT;
            break;
        }
        /* records: into recs to re-encode, or straight into out (-f/-F) */
        got = enc ? recs : out + st->out_bytes;
        r = ftc_pdu_rx_batch(buf + off, lens[i], lens + i, 1, src_ips + i,
                             dst_ips ? dst_ips + i : NULL, src_ports ? src_ports + i : NULL,
                             remote_ip, as_sub, rt, seq, enc ? NULL : ipx, now,
                             got, enc ? sizeof recs : out_size - st->out_bytes, &produced,
                             ev ? ev + ev_used : NULL, ev ? ev_cap - ev_used : 0, &one);
        if (r != FTC_OK && r != FTC_EFULL)
            return r;
        /* FTC_EFULL: stop after this one.  The datagram may be taken (waiting
           data sets remain for the next call) or not (no room for it), and
           either way v9/IPFIX data sets released before it may be in got:
           they are out of the template state, so they are used here */
        if (r == FTC_EFULL)
            st->rx.full = one.full;
        if (!one.pdus && !produced)
            break;
        for (k = 0; k < one.n_events; k++)
            ev[ev_used + k].index = (uint32_t)i;
        st->rx.n_events += one.n_events;
        st->rx.lost += one.lost;
        st->rx.accepted += one.accepted;
        st->rx.corrupt += one.corrupt;
        st->rx.resets += one.resets;
        st->rx.flows += one.flows;
        st->rx.v6 += one.v6;
        st->rx.pended += one.pended;
        st->rx.released += one.released;
        st->rx.expired += one.expired;
        st->rx.templates += one.templates;
        st->rx.bad_sets += one.bad_sets;
        for (k = 0; k < FTC_PDU_NREASONS; k++)
            st->rx.reasons[k] += one.reasons[k];
        if (one.pdus) {
            off += lens[i];
            st->rx.pdus++;
            st->rx.bytes = off;
        }
        if (!produced) {
            if (st->rx.full)
                break;
            continue;   /* refused, or nothing decoded (templates only) */
        }

        r = ftc_recs_mask_ip(*rt, got, produced, mask);
        if (r != FTC_OK)
            return r;
        kept = produced;
        if (prog) {
            r = ftc_filter_apply_checked(prog, nprog, tables, *rt, fst, got, produced,
                                         &kept);
            if (r < 0)
                return r;
            st->filtered += produced - kept;
            if (one.pdus)
                count_filtered(seq, p, src_ips[i], dst_ips ? dst_ips[i] : 0, produced - kept);
        }
        if (!enc) {
            /* records out (flow-capture -f/-F), not datagrams: already there */
            size_t nb = kept * ftc_layout_get(*rt)->rec_size;
            st->out_bytes += nb;
            st->relayed_flows += kept;
            if (st->rx.full)
                break;
            continue;
        }
        /* the reference re-encodes each datagram's records on their own */
        r = ftc_pdu_encode(enc, *rt, recs, kept, *rt, out + st->out_bytes,
                           out_size - st->out_bytes, out_lens + st->out_pdus,
                           lens_cap - st->out_pdus, &consumed, &npdu, &nbytes);
        if (r != FTC_OK)
            return r == FTC_EFULL ? FTC_EINVAL : r;
        for (k = 0; k < npdu; k++)
            if (out_src)
                out_src[st->out_pdus + k] = src_ips[i];
        st->out_pdus += (uint32_t)npdu;
        st->out_bytes += nbytes;
        r = ftc_pdu_encode_flush(enc, out + st->out_bytes, out_size - st->out_bytes,
                                 out_lens + st->out_pdus, lens_cap - st->out_pdus,
                                 &npdu, &nbytes);
        if (r != FTC_OK)
            return r == FTC_EFULL ? FTC_EINVAL : r;
        for (k = 0; k < npdu; k++)
            if (out_src)
                out_src[st->out_pdus + k] = src_ips[i];
        st->out_pdus += (uint32_t)npdu;
        st->out_bytes += nbytes;
        st->relayed_flows += kept;
        if (st->rx.full)
            break;
    }
    return st->rx.full ? FTC_EFULL : FTC_OK;
}

/* one's complement sum of len bytes (big-endian 16-bit words) */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    size_t i;
    for (i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

int ftc_ipudp_wrap(const uint8_t *in, size_t in_len, const uint32_t *lens, size_t n,
                   const uint32_t *src_ips, uint32_t src_ip, uint32_t dst_ip,
                   uint16_t sport, uint16_t dport, uint8_t ttl,
                   uint8_t *out, size_t out_size, uint32_t *out_lens, size_t *out_len)
{
    size_t i, used = 0;
    uint64_t off = 0;

    if (!out_len || (n && (!in || !lens || !out || !out_lens)) || (!in && in_len)
        || (!out && out_size))
        return FTC_EINVAL;
    *out_len = 0;
    if (n && !ftc_lens_fit(lens, n, in_len))
        return FTC_EINVAL;
    for (i = 0; i < n; i++) {
        const size_t len = lens[i], tot = len + FTC_IPUDP_HDR;
        const uint32_t src = src_ips ? src_ips[i] : src_ip;
        uint8_t *ip = out + used, *udp = ip + 20;
        uint8_t pseudo[12];
        uint32_t sum;
        uint16_t c;

        if (tot > 65535)
            return FTC_EINVAL;
        if (tot > out_size - used)
            return FTC_EFULL;
        memset(ip, 0, FTC_IPUDP_HDR);
        ip[0] = 0x45;
        ftc_stbe16(ip + 2, (uint16_t)tot);
        ip[8] = ttl;
        ip[9] = 17;
        ftc_stbe32(ip + 12, src);
        ftc_stbe32(ip + 16, dst_ip);
        ftc_stbe16(ip + 10, csum_fold(csum_add(0, ip, 20)));
        ftc_stbe16(udp, sport);
        ftc_stbe16(udp + 2, dport);
        ftc_stbe16(udp + 4, (uint16_t)(len + 8));
        memcpy(udp + 8, in + off, len);
        memcpy(pseudo, ip + 12, 8);
        pseudo[8] = 0;
        pseudo[9] = 17;
        ftc_stbe16(pseudo + 10, (uint16_t)(len + 8));
        sum = csum_add(0, pseudo, 12);
        sum = csum_add(sum, udp, len + 8);
        c = csum_fold(sum);
        ftc_stbe16(udp + 6, c ? c : 0xFFFF);
        out_lens[i] = (uint32_t)tot;
        used += tot;
        off += len;
    }
    *out_len = used;
    return FTC_OK;
}
