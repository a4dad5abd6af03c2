"""flow-export's outputs and the field lists flow-export and flow-import
share (commands.md 8.10, 8.11, 12): sinks for CSV text, cflowd records,
the pcap-like file and export datagrams; the databases are in io/db.py.

Field masks are the reference's -m bits: bit f = record field f
(core/native field numbers, canonical order).  v1006 (IPv4 and IPv6 flows)
adds bit 45, flow_label; its srcaddr, dstaddr and nexthop bits carry the
whole 128-bit addresses (RFC 5952 text, dotted quads for IPv4-mapped ones),
the upper address words are never columns.
"""
import struct

from pyflowtools.core import export as _x
from pyflowtools.core.errors import FlowToolsError, FormatError
from pyflowtools.io.sink import Sink
from pyflowtools.util import numbers

ALL_FIELDS = (1 << _x.FIELD_COUNT) - 1     # each version keeps those it has (present())
ALL_CFLOWD = 0xFFFFFF
RT_V1005, RT_V1006 = _x.RT_V1005, _x.RT_V1006
#: canonical (bit, name) of every field
FIELDS = _x.FIELDS
NAME = dict(FIELDS)
PEER_NEXTHOP, EXTRA_PKTS, MARKED_TOS = _x.PEER_NEXTHOP, _x.EXTRA_PKTS, _x.MARKED_TOS
#: the name CSV headers give each field (the reference writes `nexthop`
#: for peer_nexthop)
CSV_NAME = dict(NAME)
CSV_NAME[PEER_NEXTHOP] = "nexthop"
_BY_NAME = {}
for _f, _n in FIELDS:
    _BY_NAME.setdefault(_n, []).append(_f)


class FieldError(FlowToolsError):
    """A bad -m list or `#:` line: the message, then `ftxfield_parse(): failed`."""

    second = "ftxfield_parse(): failed"


def parse_names(text):
    """A comma list of field names in canonical order -> the bits.  Names
    are case-insensitive (the `nexthop` a v6 CSV header gives peer_nexthop
    is a duplicate, as in the reference)."""
    mask, last = 0, -1
    for word in text.split(","):
        name = word.strip().lower()
        if not name:
            continue
        cands = _BY_NAME.get(name)
        if not cands:
            raise FieldError("Unrecognized field: %s" % word.strip())
        for f in cands:
            if f > last and not mask & (1 << f):
                mask |= 1 << f
                last = f
                break
        else:
            if any(mask & (1 << f) for f in cands):
                raise FieldError("Duplicate field: %s" % word.strip())
            raise FieldError("Out of order field: %s" % word.strip())
    return mask


def parse_mask(text):
    """-m: a name list when it starts with a letter, else a C number.
    Returns (bits, by_name)."""
    t = text.strip()
    if t[:1].isalpha():
        return parse_names(t), True
    return numbers.strtoul(t)[0] & numbers.ULONG_MAX, False


def to_cflowd(bits):
    """-m field bits -> cflowd bits; fields cflowd cannot name are an error
    (the reference cannot select start/end by name)."""
    out = 0
    for b in range(24):
        f = _x.cflowd_field(b)
        if b in (10, 11):
            continue
        if bits & (1 << f):
            out |= 1 << b
            bits &= ~(1 << f)
    if bits:
        raise FieldError("xfields contains fields after conversion to cflow mask 0x%X" % bits)
    return out


def columns(bits, swap=True):
    """Field of each column of a field mask, canonical order; `swap` reads
    marked_tos's value where the header says extra_pkts and back (the
    reference's CSV)."""
    cols = [f for f, _ in FIELDS if bits & (1 << f)]
    if swap:
        cols = [MARKED_TOS if f == EXTRA_PKTS else EXTRA_PKTS if f == MARKED_TOS else f
                for f in cols]
    return cols


def present(rectype, bits=ALL_FIELDS):
    """The bits of `bits` that records of rectype have."""
    return bits & _x.xfield_mask(rectype)


class _EncodedSink(Sink):
    """Records -> an encoder's bytes on the binary file `out`."""

    def __init__(self, out, encoder):
        self.out = out
        self._enc = encoder

    def write(self, batch):
        for chunk in self._enc.chunks(batch):
            self.out.write(chunk)
        self.records_written += batch.n

    def close(self):
        self.out = None


class CsvSink(_EncodedSink):
    """-f 2: a `#:` line of the field names, one line per record."""

    def __init__(self, out, rectype, bits=ALL_FIELDS):
        bits = present(rectype, bits)
        super().__init__(out, _x.Encoder("text", rectype, bits, _x.CSV))
        out.write(("#:" + ",".join(CSV_NAME[f] for f, _ in FIELDS if bits & (1 << f))
                   + "\n").encode())


class CflowdSink(_EncodedSink):
    """-f 0: cflowd records of the cflowd bits `mask`."""

    def __init__(self, out, rectype, mask=ALL_CFLOWD):
        super().__init__(out, _x.Encoder("cflowd", rectype, mask & 0xFFFFFFFF))


PCAP_HEADER = struct.pack("<QHH4xqQQQ", 0xa1b2c3d4, 2, 4, 0, 6, 65535, 1)


class PcapSink(_EncodedSink):
    """-f 1: the reference's pcap-like file (8-byte header fields).
    Raises FormatError (missing field) before writing anything."""

    def __init__(self, out, rectype):
        enc = _x.Encoder("pcap", rectype)
        try:
            enc.check()
        except FormatError:
            raise FormatError("Flow record missing required field for format.") from None
        super().__init__(out, enc)
        out.write(PCAP_HEADER)


class WireSink(Sink):
    """-f 4: export datagrams as flow-send makes them, back to back."""

    def __init__(self, out, rectype):
        from pyflowtools.core.pdu import Encoder
        if rectype == RT_V1005:
            # the reference fails too, writing nothing (exit 1)
            raise FlowToolsError("Internal error i=0")
        self.out = out
        self._enc = Encoder(rectype)

    def write(self, batch):
        for data, _ in self._enc.packed(batch):
            self.out.write(data)
        self.records_written += batch.n

    def close(self):
        if self.out is not None:
            chunk = self._enc.flush_packed()
            if chunk is not None:
                self.out.write(chunk[0])
            self.out = None

    def abort(self):
        self.out = None
