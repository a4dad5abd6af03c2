"""csrc/pdu.c, export datagrams (formats.md section 6): verify, decode into
host-order stream records, receive batches, and flow-send's encoder.
Thin checked wrappers with caller-owned buffers; every per-datagram and
per-record step is C.  netflow/pdu.py is the package's face of it (usage
there); Receiver takes any sequence table with .table and .grow()
(core/seq.py).
"""
import array
import collections

from pyflowtools.core import native as _native
from pyflowtools.core.native import ffi, lib
from pyflowtools.core.errors import FormatError, InternalError

__all__ = [
    "DatagramError", "PduHeader", "Decoded", "Event", "RxResult",
    "REASONS", "limits", "verify", "compat", "decode", "default_output", "events",
    "Receiver", "decode_many", "Encoder", "encode", "encode_packed",
]

RECV_MAX = lib.FTC_PDU_RECV_MAX
MAX_LEN = lib.FTC_PDU_MAX_LEN
MAX_COUNT = lib.FTC_PDU_MAX_COUNT
DECODE_MAX = lib.FTC_PDU_DECODE_MAX
SEQ_RESET_GAP = lib.FTC_SEQ_RESET_GAP     # a flow_sequence gap this big is a reset
#: the largest stream record (v1006's 112 bytes) and the smallest wire record
#: (v8's 28): no datagram decodes to more than REC_MAX / WIRE_REC_MIN times its bytes
REC_MAX = max(_native.rec_size(rt) for rt in range(lib.FTC_RT_COUNT))

#: FTC_PDU_R_* -> short description (the reference logs only "failed")
REASONS = {
    lib.FTC_PDU_R_SHORT: "shorter than 4 bytes",
    lib.FTC_PDU_R_VERSION: "unsupported export version",
    lib.FTC_PDU_R_COUNT: "count above the version's maximum",
    lib.FTC_PDU_R_LENGTH: "length does not match count",
    lib.FTC_PDU_R_V8SHORT: "v8 datagram shorter than 24 bytes",
    lib.FTC_PDU_R_AGGVER: "unsupported v8 agg_version",
    lib.FTC_PDU_R_METHOD: "unsupported v8 aggregation method",
    lib.FTC_PDU_R_SRCIP: "source is not the configured exporter",
    lib.FTC_PDU_R_XLATE_V8: "no v8 translation",
    lib.FTC_PDU_R_XLATE_AGG: "another v8 aggregation method",
    lib.FTC_PDU_R_IPX: "malformed v9/IPFIX datagram",
    lib.FTC_PDU_R_IPX_MASK: "v9/IPFIX not relayed under a privacy mask or filter",
}

#: FTC_IPX_R_* (the detail of an FTC_PDU_R_IPX event)
IPX_REASONS = {
    lib.FTC_IPX_R_SHORT: "shorter than its header",
    lib.FTC_IPX_R_LENGTH: "length field does not match the datagram",
    lib.FTC_IPX_R_SET: "set shorter than 4 bytes or past the end",
    lib.FTC_IPX_R_TEMPLATE: "malformed template",
    lib.FTC_IPX_R_CAP: "template or exporter over the caps",
    lib.FTC_IPX_R_RECORD: "data record past the end of its set",
    lib.FTC_IPX_R_VERSION: "not version 9 or 10",
}

EV_CORRUPT = lib.FTC_PDU_EV_CORRUPT
EV_EXPORTER = lib.FTC_PDU_EV_EXPORTER
EV_SEQ = lib.FTC_PDU_EV_SEQ
R_SRCIP = lib.FTC_PDU_R_SRCIP
R_XLATE_V8 = lib.FTC_PDU_R_XLATE_V8
R_XLATE_AGG = lib.FTC_PDU_R_XLATE_AGG
R_IPX = lib.FTC_PDU_R_IPX
R_IPX_MASK = lib.FTC_PDU_R_IPX_MASK


class DatagramError(FormatError):
    """A datagram flow-capture would reject; `reason` is an FTC_PDU_R_* code
    (0 when the failure is not a verification rule)."""

    def __init__(self, msg, reason=0, status=None):
        super().__init__(msg)
        self.reason = reason
        self.status = status


_HDR_FIELDS = ("version", "count", "sysUpTime", "unix_secs", "unix_nsecs",
               "flow_sequence", "engine_type", "engine_id", "agg_method",
               "agg_version", "rectype", "length")
PduHeader = collections.namedtuple("PduHeader", _HDR_FIELDS,
                                   defaults=(0,) * 9 + (-1, 0))
PduHeader.__doc__ = "A datagram header (host values); rectype -1 when rejected."

Decoded = collections.namedtuple("Decoded", "header rectype count records")

Event = collections.namedtuple(
    "Event", "index kind reason src_ip dst_ip version agg_method agg_version "
             "expected received lost detail domain")

_STAT_FIELDS = ("pdus", "accepted", "corrupt", "flows", "lost", "resets",
                "v6", "pended", "released", "expired", "templates", "bad_sets")


def _hdr_from_c(h):
    return PduHeader(*(getattr(h, f) for f in _HDR_FIELDS))


def header_to_c(hdr):
    """An ftc_pdu_hdr_t * holding a PduHeader's values."""
    h = ffi.new("ftc_pdu_hdr_t *")
    for f in _HDR_FIELDS:
        setattr(h, f, getattr(hdr, f))
    return h


def _reject(status, reason, what):
    """Raise the one map's exception for status (a caller's bug), or a
    DatagramError saying why the datagram was rejected."""
    e = _native.error(status, what, REASONS.get(reason))
    if isinstance(e, InternalError):
        raise e
    raise DatagramError(str(e), reason, status)


def default_output(rt_in):
    """Datagram type of stream records of rt_in: their own, v5 for v1005."""
    return lib.FTC_RT_V5 if rt_in == lib.FTC_RT_V1005 else rt_in


def events(ev, n, base=0):
    """Event tuples of the first n ftc_pdu_event_t of ev (datagram index + base)."""
    out = []
    for k in range(n):
        e = ev[k]
        out.append(Event(base + e.index, e.kind, e.reason, e.src_ip, e.dst_ip, e.version,
                         e.agg_method, e.agg_version, e.expected, e.received, e.lost,
                         e.detail, e.domain))
    return out


def _u16_array(seq, n, what):
    """cffi uint16_t[] for a sequence of ints (array('H') shared, not copied)."""
    if isinstance(seq, array.array) and seq.itemsize == 2:
        arr = ffi.from_buffer("uint16_t[]", seq)
    else:
        arr = ffi.new("uint16_t[]", list(seq))
    if len(arr) < n:
        raise InternalError("%s: %d entries for %d datagrams" % (what, len(arr), n))
    return arr


def _u32_array(seq, n, what):
    """cffi uint32_t[] for a sequence of ints (array('I') shared, not copied)."""
    if isinstance(seq, array.array) and seq.itemsize == 4 and seq.typecode in "IL":
        arr = ffi.from_buffer("uint32_t[]", seq)
    else:
        arr = ffi.new("uint32_t[]", list(seq))
    if len(arr) < n:
        raise InternalError("%s: %d entries for %d datagrams" % (what, len(arr), n))
    return arr


# ---------------------------------------------------------------------------
# one datagram

def limits(rectype):
    """(header bytes, record bytes, max count) of rectype's datagram form."""
    hs, rs, mc = ffi.new("unsigned *"), ffi.new("unsigned *"), ffi.new("unsigned *")
    _native.check(lib.ftc_pdu_limits(rectype, hs, rs, mc), "datagram limits")
    return hs[0], rs[0], mc[0]


def verify(data):
    """PduHeader of an acceptable datagram, else raise DatagramError."""
    h = ffi.new("ftc_pdu_hdr_t *")
    reason = ffi.new("int *")
    st = lib.ftc_pdu_verify(ffi.from_buffer(data), len(data), h, reason)
    if st != lib.FTC_OK:
        _reject(st, reason[0], "ftpdu_verify()")
    return _hdr_from_c(h)


def compat(pdu_rectype, file_rectype):
    """True if records of the datagram type can go into a file of file_rectype."""
    st = lib.ftc_pdu_compat(pdu_rectype, file_rectype, ffi.NULL)
    if st == lib.FTC_EINVAL:
        raise InternalError("bad record type")
    return st == lib.FTC_OK


def decode(data, rectype=None, exaddr=0, as_sub=0):
    """Decode one datagram into records of `rectype` (default: its own).

    Returns Decoded(header, rectype, count, records bytes).  Raises
    DatagramError for a datagram flow-capture rejects or cannot translate."""
    h = ffi.new("ftc_pdu_hdr_t *")
    reason = ffi.new("int *")
    produced = ffi.new("size_t *")
    out = ffi.new("uint8_t[]", DECODE_MAX)
    rt = -1 if rectype is None else rectype
    st = lib.ftc_pdu_decode(ffi.from_buffer(data), len(data), exaddr, as_sub, rt,
                            out, DECODE_MAX, produced, h, reason)
    if st != lib.FTC_OK:
        _reject(st, reason[0], "decode")
    rt = h.rectype if rectype is None else rectype
    n = produced[0]
    return Decoded(_hdr_from_c(h), rt, n, bytes(ffi.buffer(out, n * _native.rec_size(rt))))


WIRE_REC_MIN = min(limits(rt)[1] for rt in range(lib.FTC_RT_COUNT)
                   if lib.ftc_pdu_limits(rt, ffi.NULL, ffi.NULL, ffi.NULL) == lib.FTC_OK)


# ---------------------------------------------------------------------------
# receive batches

class RxResult:
    """What one Receiver.feed() produced.  `records` is a memoryview into
    the receiver's buffer, valid until the next feed()."""

    __slots__ = ("rectype", "count", "records", "events") + _STAT_FIELDS + ("reasons",)

    def __init__(self):
        self.rectype = None
        self.count = 0
        self.records = memoryview(b"")
        self.events = []
        for f in _STAT_FIELDS:
            setattr(self, f, 0)
        self.reasons = collections.Counter()

    def batch(self):
        """A stream.Batch copy of the records (host order)."""
        from pyflowtools.io.stream import Batch
        b = Batch(self.rectype, _native.rec_size(self.rectype), max(self.count, 1))
        b.buf[:len(self.records)] = self.records
        b.n = self.count
        return b


class Receiver:
    """flow-capture's per-datagram loop over whole batches of datagrams.

    rectype     file record type, or None: the first accepted datagram fixes
                it (then available as .rectype)
    tracker     SequenceTracker, or None for no sequence accounting
    remote_ip   accept only this source (rule 6); 0 = any
    as_sub      replacement for AS 0 (flow-fanout's -A); 0 = none
    ipx         a core.ipfix.TemplateCache: v9 and IPFIX datagrams are
                decoded with its templates (None: refused as an unknown
                version)
    """

    def __init__(self, rectype=None, tracker=None, remote_ip=0, as_sub=0, events=1024,
                 ipx=None):
        self.rectype = rectype
        self.tracker = tracker
        self.ipx = ipx
        self.remote_ip = remote_ip
        self.as_sub = as_sub
        self._rt = ffi.new("int *", -1 if rectype is None else rectype)
        self._produced = ffi.new("size_t *")
        self._st = ffi.new("ftc_pdu_rx_stats_t *")
        self._ev_cap = max(events, lib.FTC_PDU_EVENTS_MIN)   # one datagram's events fit
        self._ev = ffi.new("ftc_pdu_event_t[]", self._ev_cap)
        self._out = bytearray(DECODE_MAX * 4)

    def feed(self, buf, lens, src_ips, dst_ips=None, src_ports=None, now=None):
        """Handle len(lens) datagrams packed back to back in buf (src_ports:
        the exporters' UDP ports, array('H'), keys of v9/IPFIX templates;
        now: unix seconds, the age of waiting v9/IPFIX data).  Returns an
        RxResult (records, events in order, counts to add to the file)."""
        n = len(lens)
        total = sum(lens)   # for sizing only: C checks the lengths against the buffer
        c_lens = _u32_array(lens, n, "lens")
        c_src = _u32_array(src_ips, n, "src_ips")
        c_dst = ffi.NULL if dst_ips is None else _u32_array(dst_ips, n, "dst_ips")
        c_ports = ffi.NULL if src_ports is None else _u16_array(src_ports, n, "src_ports")
        ipx = ffi.NULL if self.ipx is None else self.ipx.ptr
        if now is None:
            import time
            now = int(time.time())
        # records never take more than REC_MAX/WIRE_REC_MIN times the datagram bytes
        need = max(DECODE_MAX, total * REC_MAX // WIRE_REC_MIN + DECODE_MAX)
        if len(self._out) < need:
            self._out = bytearray(need)
        res = RxResult()
        base = ffi.from_buffer("uint8_t[]", buf)
        buf_len = len(base)
        out = ffi.from_buffer("uint8_t[]", self._out)
        done = off = used = 0
        st = self._st
        while True:
            r = lib.ftc_pdu_rx_batch(
                base + off, buf_len - off, c_lens + done, n - done, c_src + done,
                ffi.NULL if dst_ips is None else c_dst + done,
                ffi.NULL if src_ports is None else c_ports + done,
                self.remote_ip, self.as_sub, self._rt,
                ffi.NULL if self.tracker is None else self.tracker.table,
                ipx, now & 0xFFFFFFFF,
                out + used, len(self._out) - used, self._produced,
                self._ev, self._ev_cap, st)
            if r not in (lib.FTC_OK, lib.FTC_EFULL):
                _native.check(r, "receive batch")
            if self._rt[0] >= 0:
                self.rectype = self._rt[0]
                used += self._produced[0] * _native.rec_size(self.rectype)
            res.count += self._produced[0]
            for f in _STAT_FIELDS:
                setattr(res, f, getattr(res, f) + getattr(st, f))
            for k in range(len(REASONS) + 1):
                if st.reasons[k]:
                    res.reasons[k] += st.reasons[k]
            res.events += events(self._ev, st.n_events, done)
            done += st.pdus
            off += st.bytes
            if r == lib.FTC_OK:
                break
            if st.full == lib.FTC_PDU_FULL_TABLE:
                self.tracker.grow()
            elif st.full == lib.FTC_PDU_FULL_OUT:
                grown = bytearray(len(self._out) * 2)
                grown[:used] = self._out[:used]
                self._out = grown
                out = ffi.from_buffer("uint8_t[]", self._out)
        res.rectype = self.rectype
        res.records = memoryview(self._out)[:used]
        return res


def decode_many(buf, lens, src_ips, dst_ips=None, rectype=None, tracker=None,
                remote_ip=0, as_sub=0):
    """One-shot Receiver(...).feed(...); see Receiver."""
    return Receiver(rectype, tracker, remote_ip, as_sub).feed(buf, lens, src_ips, dst_ips)


# ---------------------------------------------------------------------------
# encoding (flow-send)

class Encoder:
    """flow-send's encoder: records of rt_in -> datagrams of rt_out (default
    rt_in; v1005 records default to v5 datagrams).  Keeps the per-engine
    flow_sequence counters and the unfinished datagram between calls."""

    def __init__(self, rt_in, rt_out=None, burst=64):
        if rt_out is None:
            rt_out = default_output(rt_in)
        self._c = [ffi.new("size_t *") for _ in range(3)]
        self._st = ffi.new("ftc_pdu_enc_t *")
        # zero records: the C encoder only checks the pair of types
        st = lib.ftc_pdu_encode(self._st, rt_in, ffi.NULL, 0, rt_out, ffi.NULL, 0,
                                ffi.NULL, 0, *self._c)
        if st == lib.FTC_EINVAL:
            raise FormatError("cannot send record type %r as datagram type %r"
                              % (rt_in, rt_out))
        if st != lib.FTC_OK:
            raise FormatError("cannot translate version %d records to version %d datagrams"
                              % (_native.layout(rt_in)[0], _native.layout(rt_out)[0]))
        self.rt_in = rt_in
        self.rt_out = rt_out
        self._rec_size = _native.rec_size(rt_in)
        self._burst = burst
        self._out = ffi.new("uint8_t[]", burst * MAX_LEN)
        self._lens = ffi.new("uint32_t[]", burst)

    def encode(self, records):
        """Encode records (bytes-like of whole rt_in records, or a
        stream.Batch); returns the datagrams completed so far."""
        dgrams = []
        for data, lens in self.packed(records):
            _split(dgrams, data, lens)
        return dgrams

    def _encode_step(self, src, n, consumed, npdu, nbytes):
        """One C encoder call over n records at src (subclasses: other encoders)."""
        return lib.ftc_pdu_encode(self._st, self.rt_in, src, n, self.rt_out, self._out,
                                  self._burst * MAX_LEN, self._lens, self._burst, consumed,
                                  npdu, nbytes)

    def _flush_step(self, npdu, nbytes):
        return lib.ftc_pdu_encode_flush(self._st, self._out, self._burst * MAX_LEN,
                                        self._lens, self._burst, npdu, nbytes)

    def _packed(self, npdu, nbytes):
        lens = array.array("I")
        lens.frombytes(ffi.buffer(self._lens, 4 * npdu))
        return memoryview(ffi.buffer(self._out, nbytes)), lens

    def packed(self, records):
        """Like encode(), for sending: yields (data, lens) chunks, the
        datagrams back to back in a view of the encoder's buffer (valid
        until the next step) and an array('I') of their lengths; up to
        `burst` datagrams per chunk, no Python work per datagram."""
        if hasattr(records, "to_host"):
            records = records.to_host().view()
        mv = memoryview(records).cast("B")
        n = len(mv) // self._rec_size
        if n * self._rec_size != len(mv):
            raise InternalError("partial record in encoder input")
        if not n:
            return
        src = ffi.from_buffer("uint8_t[]", mv)
        consumed, npdu, nbytes = self._c
        done = 0
        while True:
            r = self._encode_step(src + done * self._rec_size, n - done, consumed, npdu,
                                  nbytes)
            if r not in (lib.FTC_OK, lib.FTC_EFULL):
                _native.check(r, "encode")
            done += consumed[0]
            if npdu[0]:
                yield self._packed(npdu[0], nbytes[0])
            if r == lib.FTC_OK:
                return

    def flush_packed(self):
        """The unfinished datagram as a (data, lens) chunk, or None."""
        _, npdu, nbytes = self._c
        _native.check(self._flush_step(npdu, nbytes), "encode")
        return self._packed(npdu[0], nbytes[0]) if npdu[0] else None

    def flush(self):
        """The unfinished datagram, if any, as a list of 0 or 1 datagrams."""
        dgrams = []
        chunk = self.flush_packed()
        if chunk is not None:
            _split(dgrams, *chunk)
        return dgrams


def _split(sink, data, lens):
    """Append the datagrams packed in data (lengths lens) to sink as bytes."""
    data = bytes(data)
    pos = 0
    for ln in lens:
        sink.append(data[pos:pos + ln])
        pos += ln


def encode(records, rt_in, rt_out=None):
    """All datagrams flow-send makes of `records` (a fresh encoder: every
    engine's sequence starts at 0)."""
    enc = Encoder(rt_in, rt_out)
    return enc.encode(records) + enc.flush()


def encode_packed(records, rt_in, rt_out=None):
    """(bytes of every datagram back to back, array('I') of their lengths),
    the shape Receiver.feed() takes."""
    dgrams = encode(records, rt_in, rt_out)
    return b"".join(dgrams), array.array("I", map(len, dgrams))
