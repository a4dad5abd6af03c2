"""Stream headers as plain objects: decode/encode through the C core, and
flow-header's text (formats.md section 8)."""
import struct
import time

from pyflowtools.core.native import ffi, lib, check, rectype as _rectype, rec_size as _rec_size
from pyflowtools.core.native import HOST_ORDER
from pyflowtools.core.errors import FormatError
from pyflowtools.util import ipv4

LITTLE = lib.FTC_LITTLE_ENDIAN
BIG = lib.FTC_BIG_ENDIAN

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

_INTS = ("vendor", "d_version", "agg_version", "agg_method", "exporter_ip",
         "cap_start", "cap_end", "flags", "rot_schedule", "flows_count",
         "flows_lost", "flows_misordered", "pkts_corrupt", "seq_reset",
         "interrupt")


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

    # ---- C conversion ------------------------------------------------
    @classmethod
    def _from_c(cls, ch, raw):
        h = cls.__new__(cls)
        h.byte_order = ch.byte_order
        h.byte_order_raw = ch.byte_order_raw
        h.s_version = ch.s_version
        h.header_len = ch.header_len
        h.present = {t for t in range(32) if ch.present & (1 << t)}
        for name in _INTS:
            setattr(h, name, getattr(ch, name))
        h.cap_hostname = ffi.string(ch.cap_hostname).decode("latin-1")
        h.comments = ffi.string(ch.comments).decode("latin-1")
        h.ifmaps = [(ch.ifmap_type[i], bytes(raw[ch.ifmap_off[i]:ch.ifmap_off[i] + ch.ifmap_len[i]]))
                    for i in range(ch.n_ifmap)]
        return h

    def _to_c(self):
        ch = ffi.new("ftc_header_t *")
        for name in _INTS:
            setattr(ch, name, getattr(self, name) & (0xFFFFFFFF if name not in (
                "vendor", "agg_version", "agg_method", "interrupt") else 0xFF))
        ch.present = sum(1 << t for t in self.present)
        ch.cap_hostname = self.cap_hostname.encode("latin-1")[:16383]
        ch.comments = self.comments.encode("latin-1")[:16383]
        return ch

    @classmethod
    def parse(cls, buf):
        """Parse from bytes.  Returns (Header, None) or (None, bytes_needed)."""
        ch = ffi.new("ftc_header_t *")
        need = ffi.new("size_t *")
        st = lib.ftc_header_parse(ffi.from_buffer(buf), len(buf), ch, need)
        if st == lib.FTC_EAGAIN:
            return None, need[0]
        if st == lib.FTC_EDVERSION:
            raise FormatError("Unsupported d_version %d" % ch.d_version)
        if st == lib.FTC_EAGGVER:
            raise FormatError("Unsupported agg_version %d" % ch.agg_version)
        if st == lib.FTC_EAGGMETHOD:
            raise FormatError("Unsupported agg_method %d" % ch.agg_method)
        if st == lib.FTC_ESVERSION:
            raise FormatError("Stream format must be 1 or 3, not %d" % buf[3])
        if st == lib.FTC_EBADMAGIC:
            raise FormatError("bad magic number, not a flow file")
        check(st, "header")
        return cls._from_c(ch, buf), None

    def encode(self, byte_order=None):
        """Stream-3 header bytes in `byte_order` (default: self.byte_order)."""
        out = ffi.new("uint8_t[]", lib.FTC_HEADER_MAX)
        n = ffi.new("size_t *")
        st = lib.ftc_header_encode(self._to_c(), byte_order or self.byte_order, out,
                                   lib.FTC_HEADER_MAX, n)
        check(st, "header too large")
        return bytes(ffi.buffer(out, n[0]))

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
