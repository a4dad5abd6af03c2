"""Stream headers as plain objects: decode/encode through the C core, and
flow-header's text (formats.md section 8)."""
import struct
import time

from pyflowtools.core import header as _core
from pyflowtools.core.native import rectype as _rectype, rec_size as _rec_size
from pyflowtools.core.native import HOST_ORDER, RT_V1006
from pyflowtools.core.errors import FormatError
from pyflowtools.util import ipv4

LITTLE = _core.LITTLE
BIG = _core.BIG

# TLV types
VENDOR, EX_VER, AGG_VER, AGG_METHOD, EXPORTER_IP, CAP_START, CAP_END, \
    HEADER_FLAGS, ROT_SCHEDULE, FLOW_COUNT, FLOW_LOST, FLOW_MISORDERED, \
    PKT_CORRUPT, SEQ_RESET, CAP_HOSTNAME, COMMENTS, IF_NAME, IF_ALIAS, \
    INTERRUPT = range(1, 20)

# HEADER_FLAGS bits
DONE, COMPRESS, MULT_PDU, STREAMING, XLATE, PRELOADED = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20

AGG_NAMES = {
    1: "AS", 2: "Protocol Port", 3: "Source Prefix", 4: "Destination Prefix",
    5: "Prefix", 6: "Destination", 7: "Source Destination", 8: "Full Flow",
    9: "ToS AS", 10: "ToS Proto Port", 11: "ToS Source Prefix",
    12: "ToS Destination Prefix", 13: "ToS Prefix", 14: "ToS Prefix Port",
}

_INTS = tuple(name for name, _ in _core.INTS)
#: the export version of IPv4 and IPv6 flows (pyflowtools'; man flow-tools-v1006(5))
V1006 = 1006
assert _rectype(V1006) == RT_V1006


def parse_order(text):
    """`-b` values: big or little, case-insensitive."""
    t = text.lower()
    if t == "big":
        return BIG
    if t == "little":
        return LITTLE
    raise FormatError('expecting "big" or "little"')


class Header:
    """A stream header.  `present` is the set of TLV types it carries."""

    __slots__ = ("byte_order", "byte_order_raw", "s_version", "header_len",
                 "present", "cap_hostname", "comments", "ifmaps") + _INTS

    def __init__(self, d_version=5, agg_method=0, **kw):
        self.byte_order = HOST_ORDER
        self.byte_order_raw = HOST_ORDER
        self.s_version = 3
        self.header_len = 0
        self.present = {EX_VER, HEADER_FLAGS}
        self.cap_hostname = ""
        self.comments = ""
        self.ifmaps = []
        for name in _INTS:
            setattr(self, name, 0)
        self.d_version = d_version
        self.agg_method = agg_method
        if d_version == 8:
            self.agg_version = 2
            self.present |= {AGG_VER, AGG_METHOD}
        for k, v in kw.items():
            setattr(self, k, v)

    # ---- record type -------------------------------------------------
    @property
    def rectype(self):
        return _rectype(self.d_version, self.agg_method if self.d_version == 8 else 0)

    @property
    def rec_size(self):
        return _rec_size(self.rectype)

    @property
    def ipv6(self):
        """Records of v1006 (IPv4 and IPv6 flows)?"""
        return self.d_version == V1006


    @property
    def compressed(self):
        return bool(self.flags & COMPRESS)

    def same_format(self, other):
        """True when records of both headers have the same layout."""
        return (self.d_version == other.d_version
                and (self.d_version != 8 or self.agg_method == other.agg_method))

    def copy(self):
        h = Header.__new__(Header)
        for name in Header.__slots__:
            v = getattr(self, name)
            setattr(h, name, set(v) if isinstance(v, set) else list(v) if isinstance(v, list) else v)
        return h

    def set(self, tlv, attr=None, value=None):
        """Mark TLV present and optionally set its attribute."""
        self.present.add(tlv)
        if attr is not None:
            setattr(self, attr, value)

    # ---- bytes ------------------------------------------------------
    @classmethod
    def parse(cls, buf):
        """Parse from bytes.  Returns (Header, None) or (None, bytes_needed)."""
        d, need = _core.parse(buf)
        if d is None:
            return None, need
        h = cls.__new__(cls)
        present = d.pop("present")
        h.present = {t for t in range(32) if present & (1 << t)}
        for k, v in d.items():
            setattr(h, k, v)
        return h, None

    def encode(self, byte_order=None):
        """Stream-3 header bytes in `byte_order` (default: self.byte_order)."""
        return _core.encode({k: getattr(self, k) for k in _INTS},
                            sum(1 << t for t in self.present), self.cap_hostname,
                            self.comments, byte_order or self.byte_order)

    # ---- flow-header text --------------------------------------------
    def describe(self, cc="#"):
        """The text flow-header prints for this header."""
        p = self.present
        f = self.flags
        streaming = bool(f & STREAMING)
        full = not streaming or bool(f & PRELOADED)
        lines = [cc]

        def add(label, value):
            lines.append("%s %-22s%s" % (cc, label + ":", value))

        add("mode", "streaming" if streaming else "normal")
        if f & XLATE:
            add("translated", "yes")
        if not streaming and CAP_HOSTNAME in p:
            add("capture hostname", self.cap_hostname)
        if not streaming and EXPORTER_IP in p:
            add("exporter IP address", ipv4.text(self.exporter_ip))
        if CAP_START in p and full:
            add("capture start", _ctime(self.cap_start))
            if f & (DONE | PRELOADED):
                add("capture end", _ctime(self.cap_end))
                add("capture period", "%d seconds" % ((self.cap_end - self.cap_start) & 0xFFFFFFFF))
        add("compress", "on" if f & COMPRESS else "off")
        add("byte order", {LITTLE: "little", BIG: "big"}.get(self.byte_order_raw, "BROKEN"))
        add("stream version", "%d" % self.s_version)
        if EX_VER in p:
            add("export version", "%d" % self.d_version)
        if self.d_version == 8:
            add("export agg_version", "%d" % self.agg_version)
            add("export agg_method", "%d (%s)" % (self.agg_method, AGG_NAMES.get(self.agg_method, "Unknown")))
        if full:
            for tlv, label, attr in ((FLOW_LOST, "lost flows", "flows_lost"),
                                     (FLOW_MISORDERED, "misordered flows", "flows_misordered"),
                                     (PKT_CORRUPT, "corrupt packets", "pkts_corrupt"),
                                     (SEQ_RESET, "sequencer resets", "seq_reset")):
                if tlv in p:
                    add(label, "%d" % getattr(self, attr))
        if COMMENTS in p:
            add("comments", self.comments)
        if full:
            if f & (DONE | PRELOADED):
                if FLOW_COUNT in p:
                    add("capture flows", "%d" % self.flows_count)
            else:
                lines.append("%s note, incomplete flow file" % cc)
        for t, val in self.ifmaps:
            lines.append(_ifmap_text(cc, t, val, self.byte_order))
        lines.append(cc)
        return "\n".join(lines) + "\n"




def _ctime(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S %z", time.localtime(t))


def _ifmap_text(cc, t, val, order):
    """IF_NAME: ip, ifIndex, name; IF_ALIAS: ip, count, ifIndex list, name."""
    e = "<" if order == LITTLE else ">"
    ip = ipv4.text(struct.unpack(e + "I", val[:4])[0]) if len(val) >= 4 else "0.0.0.0"
    if t == IF_NAME:
        idx = struct.unpack(e + "H", val[4:6])[0] if len(val) >= 6 else 0
        name = val[6:].split(b"\0")[0].decode("latin-1")
        return "%s ifname %s %d %s" % (cc, ip, idx, name)
    cnt = struct.unpack(e + "H", val[4:6])[0] if len(val) >= 6 else 0
    idxs = [struct.unpack(e + "H", val[6 + 2 * i:8 + 2 * i])[0]
            for i in range(cnt) if 8 + 2 * i <= len(val)]
    name = val[6 + 2 * cnt:].split(b"\0")[0].decode("latin-1")
    return "%s ifalias %s %s %s" % (cc, ip, ",".join(str(i) for i in idxs), name)
