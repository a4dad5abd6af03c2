"""csrc/relay.c: flow-send's and flow-fanout's record and datagram steps
(privacy mask, IPv4/UDP headers for raw sockets, the relay batch)."""
import array

from pyflowtools.core.native import check, ffi, lib
from pyflowtools.core.pdu import REC_MAX

IPUDP_HDR = lib.FTC_IPUDP_HDR       # bytes of IPv4 + UDP header per raw datagram
NO_MASK = 0xFFFFFFFF


def mask_ip(rectype, ptr, n, mask):
    """ftrec_mask_ip(): AND srcaddr/dstaddr of n host-order records at ptr
    with mask (in place; multicast destinations left alone)."""
    check(lib.ftc_recs_mask_ip(rectype, ptr, n, mask), "privacy mask")


def u32(arr):
    """`uint32_t *` over an array('I') (shared, not copied)."""
    return ffi.from_buffer("uint32_t[]", arr)


def ipudp_wrap(data, lens, src_ips, src_ip, dst_ip, sport, dport, ttl, out, out_lens):
    """Each datagram packed in data (lengths: array('I') lens) to out with
    an IPv4 + UDP header (source src_ips[i], or src_ip when src_ips is
    None); lengths to out_lens.  Returns the bytes of out used."""
    used = ffi.new("size_t *")
    c_data = ffi.from_buffer("uint8_t[]", data)
    check(lib.ftc_ipudp_wrap(c_data, len(c_data), u32(lens), len(lens),
                             ffi.NULL if src_ips is None else u32(src_ips),
                             src_ip, dst_ip, sport, dport, ttl,
                             ffi.from_buffer("uint8_t[]", out), len(out), u32(out_lens), used),
          "raw datagrams")
    return used[0]


class Relay:
    """Caller-owned state of ftc_fanout_batch: the record type (*rt; the
    first accepted datagram fixes it when None), the encoder of the
    re-sent datagrams (encode=False: records out instead, flow-capture
    -f/-F), stats, events and the output buffers."""

    def __init__(self, rectype=None, encode=True, slots=1024, events=4096, ipx=None,
                 slot_len=2048):
        self.ipx = ipx
        self.rt = ffi.new("int *", -1 if rectype is None else rectype)
        self._enc = ffi.new("ftc_pdu_enc_t *") if encode else ffi.NULL
        self.st = ffi.new("ftc_fanout_stats_t *")
        self._ev_cap = max(events, lib.FTC_PDU_EVENTS_MIN)   # one datagram's events fit
        self.ev = ffi.new("ftc_pdu_event_t[]", self._ev_cap)
        self._cap = 3 * slots + 3 if encode else 0
        # -f/-F: a v9/IPFIX datagram may decode to REC_MAX (112) bytes per byte at worst
        self.out = bytearray(self._cap * lib.FTC_PDU_MAX_LEN if encode
                             else max(min(slots, 256) * lib.FTC_PDU_DECODE_MAX,
                                      2 * REC_MAX * slot_len))
        self.out_lens = array.array("I", bytes(4 * self._cap))
        self.out_src = array.array("I", bytes(4 * self._cap))
        self._c_out = ffi.from_buffer("uint8_t[]", self.out)
        self._c_lens = ffi.from_buffer("uint32_t[]", self.out_lens) if encode else ffi.NULL
        self._c_src = ffi.from_buffer("uint32_t[]", self.out_src) if encode else ffi.NULL

    @property
    def rectype(self):
        return self.rt[0] if self.rt[0] >= 0 else None

    def set_rectype(self, rectype):
        self.rt[0] = rectype

    def run(self, buf, lens, src_ips, dst_ips, remote_ip, as_sub, seq, mask=NO_MASK,
            prog=None, src_ports=None, now=None):
        """Relay the len(lens) datagrams packed in buf (src_ips, dst_ips:
        array('I')) through as many C calls as the buffers need; `seq` is
        the core.seq.SequenceTable (grown here when full), `prog` a
        core.filter.Program or None.  Yields after each call: st (the
        call's ftc_fanout_stats_t: st.rx.n_events events in .ev; st.out_pdus
        datagrams, st.out_bytes bytes in .out, .out_lens, .out_src)."""
        n = len(lens)
        c_buf = ffi.from_buffer("uint8_t[]", buf)
        c_lens, c_src, c_dst = u32(lens), u32(src_ips), u32(dst_ips)
        c_ports = ffi.NULL if src_ports is None else ffi.from_buffer("uint16_t[]", src_ports)
        ipx = ffi.NULL if self.ipx is None else self.ipx.ptr
        if now is None:
            import time
            now = int(time.time())
        insns, nprog, tables, tables_len, state = (prog.c_args() if prog is not None else
                                                   (ffi.NULL, 0, ffi.NULL, 0, ffi.NULL))
        st = self.st
        done = off = 0
        while done < n:
            r = lib.ftc_fanout_batch(
                c_buf + off, len(c_buf) - off, c_lens + done, n - done, c_src + done,
                c_dst + done, ffi.NULL if src_ports is None else c_ports + done,
                remote_ip, as_sub, self.rt, seq.table, ipx, now & 0xFFFFFFFF, mask,
                insns, nprog, tables, tables_len, state, self._enc,
                self._c_out, len(self.out), self._c_lens, self._c_src, self._cap,
                self.ev, self._ev_cap, st)
            if r != lib.FTC_EFULL:
                check(r, "fanout")
            yield st
            done += st.rx.pdus
            off += st.rx.bytes
            if r == lib.FTC_EFULL and st.rx.full == lib.FTC_PDU_FULL_TABLE:
                seq.grow()
            elif (r == lib.FTC_EFULL and st.rx.full == lib.FTC_PDU_FULL_OUT
                  and st.rx.pdus == 0 and st.out_bytes == 0 and st.rx.released == 0):
                # not even one datagram fits an empty buffer: a bigger one
                self.out = bytearray(2 * len(self.out))
                self._c_out = ffi.from_buffer("uint8_t[]", self.out)
