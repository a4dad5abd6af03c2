"""ftc_header_*: stream headers between bytes and plain values.

A header crosses the binding as a dict: the integer fields of
ftc_header_t (INTS, plus byte_order, byte_order_raw, s_version,
header_len), `present` (bit 1 << TLV type per TLV), the two strings and
`ifmaps` [(TLV type, value bytes)]."""
from pyflowtools.core.native import EAGAIN, check, error, ffi, lib

LITTLE = lib.FTC_LITTLE_ENDIAN
BIG = lib.FTC_BIG_ENDIAN
MAX = lib.FTC_HEADER_MAX

#: the integer fields a header carries (TLV values), with their bit widths
INTS = (("vendor", 8), ("d_version", 32), ("agg_version", 8), ("agg_method", 8),
        ("exporter_ip", 32), ("cap_start", 32), ("cap_end", 32), ("flags", 32),
        ("rot_schedule", 32), ("flows_count", 32), ("flows_lost", 32),
        ("flows_misordered", 32), ("pkts_corrupt", 32), ("seq_reset", 32),
        ("interrupt", 8))
_TEXT_MAX = 16383


def parse(buf):
    """(dict, None) for a whole header at the start of buf, (None, bytes
    needed) when buf is too short.  FormatError in the reference's words."""
    ch = ffi.new("ftc_header_t *")
    need = ffi.new("size_t *")
    st = lib.ftc_header_parse(ffi.from_buffer(buf), len(buf), ch, need)
    if st == EAGAIN:
        return None, need[0]
    if st < 0:
        text = {lib.FTC_EDVERSION: lambda: "Unsupported d_version %d" % ch.d_version,
                lib.FTC_EAGGVER: lambda: "Unsupported agg_version %d" % ch.agg_version,
                lib.FTC_EAGGMETHOD: lambda: "Unsupported agg_method %d" % ch.agg_method,
                lib.FTC_ESVERSION: lambda: "Stream format must be 1 or 3, not %d" % buf[3],
                lib.FTC_EBADMAGIC: lambda: "bad magic number, not a flow file"}.get(st)
        if text is not None:
            raise error(st, message=text())
        check(st, "header")
    h = {name: getattr(ch, name) for name, _ in INTS}
    h.update(byte_order=ch.byte_order, byte_order_raw=ch.byte_order_raw,
             s_version=ch.s_version, header_len=ch.header_len, present=ch.present,
             cap_hostname=ffi.string(ch.cap_hostname).decode("latin-1"),
             comments=ffi.string(ch.comments).decode("latin-1"),
             ifmaps=[(ch.ifmap_type[i],
                      bytes(buf[ch.ifmap_off[i]:ch.ifmap_off[i] + ch.ifmap_len[i]]))
                     for i in range(ch.n_ifmap)])
    return h, None


def encode(values, present, cap_hostname, comments, byte_order):
    """Stream-3 header bytes: `values` maps INTS names to numbers (cut to
    their widths), `present` is the TLV bit set."""
    ch = ffi.new("ftc_header_t *")
    for name, bits in INTS:
        setattr(ch, name, values[name] & ((1 << bits) - 1))
    ch.present = present
    ch.cap_hostname = cap_hostname.encode("latin-1")[:_TEXT_MAX]
    ch.comments = comments.encode("latin-1")[:_TEXT_MAX]
    out = ffi.new("uint8_t[]", MAX)
    n = ffi.new("size_t *")
    check(lib.ftc_header_encode(ch, byte_order, out, MAX, n), "header too large")
    return bytes(ffi.buffer(out, n[0]))
