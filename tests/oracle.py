"""An independent, obvious reader/writer of flow-tools 0.68 stream files.

Written only from /work/shared/reference/formats.md sections 2 to 4 (stream header v1
and v3 with TLVs, both byte orders, zlib-compressed record areas, the record layouts
of versions 1, 5, 6, 7, 1005 and 8.1 to 8.14), with nothing but `struct` and `zlib`.
It must never import pyflowtools: property tests compare the implementation with it.

Records are dicts of flow-tools field name -> int.  Pad and reserved bytes are not
fields: the reader skips them, the writer writes zeros.  Every field is swapped by its
real width (the reference's cross-endian swap bugs for v8.12 dst_as and v1005
exaddr/tags, formats.md 9.10, are deliberately NOT reproduced).

Record versions are named by strings: "1", "5", "6", "7", "1005", "8.1" ... "8.14".

Version "1006" is pyflowtools' own (IPv4 and IPv6 flows; written from
man/flow-tools-v1006.5, not from formats.md): VERSIONS are flow-tools'
versions, ALL_VERSIONS add it.  Its 16-byte addresses are four 32-bit words
in file order, most significant first: the record dicts have them as fields
srcaddr6_0, srcaddr6_1, srcaddr6_2 and srcaddr (the last word), and likewise
dstaddr and nexthop; addr6() / with_addr6() read and set them as ints.

Header dicts (read_stream returns them, write_stream takes them) use the names of
the C core's ftc_header_t.  A TLV that is absent from the file is absent from the
dict.  Keys:

    s_version       1 or 3
    byte_order      'little' or 'big' (as the reader used it; read only)
    byte_order_raw  header byte 2 as found (read only)
    header_len      offset of the record area (read only)
    tlv_types       TLV types in file order (read only, stream version 3)
    d_version       EX_VER (2): 1, 5, 6, 7, 8 or 1005
    agg_version     AGG_VER (3), must be 2 for version 8
    agg_method      AGG_METHOD (4), 1..14
    vendor          VENDOR (1)        exporter_ip     EXPORTER_IP (5)
    cap_start       CAP_START (6)     cap_end         CAP_END (7)
    flags           HEADER_FLAGS (8)  rot_schedule    ROT_SCHEDULE (9)
    flows_count     FLOW_COUNT (10)   flows_lost      FLOW_LOST (11)
    flows_misordered FLOW_MISORDERED (12)
    pkts_corrupt    PKT_CORRUPT (13)  seq_reset       SEQ_RESET (14)
    cap_hostname    CAP_HOSTNAME (15), str    comments   COMMENTS (16), str
    if_name         IF_NAME (17), list of raw value bytes (repeatable)
    if_alias        IF_ALIAS (18), list of raw value bytes (repeatable)
    interrupt       INTERRUPT (19)
    unknown_tlvs    list of (type, raw value bytes) for types 0 and > 19

Strings are decoded and encoded as latin-1 (one char per byte), without the NUL.
"""
import struct
import sys
import zlib

__all__ = [
    "VERSIONS", "ALL_VERSIONS", "V1006", "ADDRS6", "addr6", "with_addr6", "is_ipv4",
    "mapped", "RECORD_SIZE", "HF_DONE", "HF_COMPRESS", "HF_MULT_PDU",
    "HF_STREAMING", "HF_XLATE", "HF_PRELOADED", "HEADER_MAX",
    "layout", "fields", "field_width", "field_max", "version_of", "split_version",
    "decode_records", "encode_records", "read_header", "read_stream",
    "write_header", "write_stream", "compat_fields", "header_values",
]

# ---------------------------------------------------------------------------
# Section 2.4: HEADER_FLAGS bits; 2.2: writers' header size limit

HF_DONE = 0x01
HF_COMPRESS = 0x02
HF_MULT_PDU = 0x04
HF_STREAMING = 0x08
HF_XLATE = 0x10
HF_PRELOADED = 0x20

HEADER_MAX = 16384

# ---------------------------------------------------------------------------
# Section 4: record layouts, as (offset, width, name); a name starting with "_"
# is a pad/reserved area, not a field.

_HEAD = [  # the first 56 bytes, identical in v1, v5, v6, v7 and v1005 (4.1)
    (0, 4, "unix_secs"), (4, 4, "unix_nsecs"), (8, 4, "sysUpTime"),
    (12, 4, "exaddr"), (16, 4, "srcaddr"), (20, 4, "dstaddr"),
    (24, 4, "nexthop"), (28, 2, "input"), (30, 2, "output"),
    (32, 4, "dPkts"), (36, 4, "dOctets"), (40, 4, "First"), (44, 4, "Last"),
    (48, 2, "srcport"), (50, 2, "dstport"), (52, 1, "prot"), (53, 1, "tos"),
    (54, 1, "tcp_flags"), (55, 1, "_pad"),
]
_V5_TAIL = [  # bytes 56-63 of v5, v6, v7 and v1005
    (56, 1, "engine_type"), (57, 1, "engine_id"), (58, 1, "src_mask"),
    (59, 1, "dst_mask"), (60, 2, "src_as"), (62, 2, "dst_as"),
]

# v8 leading part (4.2): methods 3, 11 and 12 swap exaddr and sysUpTime
_V8_LEAD = [(0, 4, "unix_secs"), (4, 4, "unix_nsecs"),
            (8, 4, "sysUpTime"), (12, 4, "exaddr")]
_V8_LEAD_SWAPPED = [(0, 4, "unix_secs"), (4, 4, "unix_nsecs"),
                    (8, 4, "exaddr"), (12, 4, "sysUpTime")]
# counter block A (methods 1-5, 9-14), tail at 36; block B (6-8), tail at 32
_V8_A = [(16, 4, "dFlows"), (20, 4, "dPkts"), (24, 4, "dOctets"),
         (28, 4, "First"), (32, 4, "Last")]
_V8_B = [(16, 4, "dPkts"), (20, 4, "dOctets"), (24, 4, "First"), (28, 4, "Last")]

_V8_TAILS = {
    1: [(36, 2, "src_as"), (38, 2, "dst_as"), (40, 2, "input"), (42, 2, "output"),
        (44, 1, "engine_type"), (45, 1, "engine_id"), (46, 2, "_pad")],
    2: [(36, 1, "prot"), (37, 1, "_pad"), (38, 2, "_reserved"), (40, 2, "srcport"),
        (42, 2, "dstport"), (44, 1, "engine_type"), (45, 1, "engine_id"),
        (46, 2, "_pad2")],
    3: [(36, 4, "srcaddr"), (40, 1, "src_mask"), (41, 1, "_pad"), (42, 2, "src_as"),
        (44, 2, "input"), (46, 1, "engine_type"), (47, 1, "engine_id")],
    4: [(36, 4, "dstaddr"), (40, 1, "dst_mask"), (41, 1, "_pad"),
        (42, 1, "engine_type"), (43, 1, "engine_id"), (44, 2, "dst_as"),
        (46, 2, "output")],
    5: [(36, 4, "srcaddr"), (40, 4, "dstaddr"), (44, 1, "dst_mask"),
        (45, 1, "src_mask"), (46, 1, "engine_type"), (47, 1, "engine_id"),
        (48, 2, "src_as"), (50, 2, "dst_as"), (52, 2, "input"), (54, 2, "output")],
    6: [(32, 4, "dstaddr"), (36, 4, "extra_pkts"), (40, 4, "router_sc"),
        (44, 2, "output"), (46, 2, "_pad"), (48, 1, "tos"), (49, 1, "marked_tos"),
        (50, 1, "engine_type"), (51, 1, "engine_id")],
    7: [(32, 4, "dstaddr"), (36, 4, "srcaddr"), (40, 4, "extra_pkts"),
        (44, 4, "router_sc"), (48, 2, "output"), (50, 2, "input"), (52, 1, "tos"),
        (53, 1, "marked_tos"), (54, 1, "engine_type"), (55, 1, "engine_id")],
    8: [(32, 4, "dstaddr"), (36, 4, "srcaddr"), (40, 4, "extra_pkts"),
        (44, 4, "router_sc"), (48, 2, "dstport"), (50, 2, "srcport"),
        (52, 2, "output"), (54, 2, "input"), (56, 1, "tos"), (57, 1, "marked_tos"),
        (58, 1, "engine_type"), (59, 1, "engine_id"), (60, 1, "prot"),
        (61, 1, "_pad1"), (62, 2, "_pad2")],
    9: [(36, 2, "src_as"), (38, 2, "dst_as"), (40, 2, "input"), (42, 2, "output"),
        (44, 1, "engine_type"), (45, 1, "engine_id"), (46, 1, "tos"), (47, 1, "_pad")],
    10: [(36, 2, "srcport"), (38, 2, "dstport"), (40, 2, "input"), (42, 2, "output"),
         (44, 1, "engine_type"), (45, 1, "engine_id"), (46, 1, "prot"), (47, 1, "tos")],
    11: [(36, 4, "srcaddr"), (40, 1, "src_mask"), (41, 1, "tos"), (42, 2, "src_as"),
         (44, 2, "input"), (46, 1, "engine_type"), (47, 1, "engine_id")],
    12: [(36, 4, "dstaddr"), (40, 2, "output"), (42, 2, "dst_as"), (44, 1, "dst_mask"),
         (45, 1, "tos"), (46, 1, "engine_type"), (47, 1, "engine_id")],
    13: [(36, 4, "srcaddr"), (40, 4, "dstaddr"), (44, 2, "src_as"), (46, 2, "dst_as"),
         (48, 2, "input"), (50, 2, "output"), (52, 1, "dst_mask"), (53, 1, "src_mask"),
         (54, 1, "engine_type"), (55, 1, "engine_id"), (56, 1, "tos"), (57, 1, "_pad1"),
         (58, 2, "_pad2")],
    14: [(36, 4, "srcaddr"), (40, 4, "dstaddr"), (44, 2, "srcport"), (46, 2, "dstport"),
         (48, 2, "input"), (50, 2, "output"), (52, 1, "dst_mask"), (53, 1, "src_mask"),
         (54, 1, "engine_type"), (55, 1, "engine_id"), (56, 1, "tos"), (57, 1, "prot"),
         (58, 2, "_pad2")],
}


def _v8_layout(method):
    lead = _V8_LEAD_SWAPPED if method in (3, 11, 12) else _V8_LEAD
    counters = _V8_B if method in (6, 7, 8) else _V8_A
    return lead + counters + _V8_TAILS[method]


_LAYOUTS = {
    "1": _HEAD + [(56, 4, "_reserved")],
    "5": _HEAD + _V5_TAIL,
    "6": _HEAD + _V5_TAIL + [(64, 1, "in_encaps"), (65, 1, "out_encaps"),
                             (66, 2, "_pad2"), (68, 4, "peer_nexthop")],
    "7": _HEAD + _V5_TAIL + [(64, 4, "router_sc")],
    "1005": _HEAD + _V5_TAIL + [(64, 4, "src_tag"), (68, 4, "dst_tag")],
    # man/flow-tools-v1006.5
    "1006": [
        (0, 4, "unix_secs"), (4, 4, "unix_nsecs"), (8, 4, "sysUpTime"), (12, 4, "exaddr"),
        (16, 4, "dPkts"), (20, 4, "dOctets"), (24, 4, "First"), (28, 4, "Last"),
        (32, 2, "input"), (34, 2, "output"), (36, 2, "srcport"), (38, 2, "dstport"),
        (40, 1, "prot"), (41, 1, "tos"), (42, 1, "tcp_flags"), (43, 1, "engine_type"),
        (44, 1, "engine_id"), (45, 1, "src_mask"), (46, 1, "dst_mask"), (47, 1, "_pad"),
        (48, 2, "src_as"), (50, 2, "dst_as"), (52, 4, "flow_label"),
        (56, 4, "srcaddr6_0"), (60, 4, "srcaddr6_1"), (64, 4, "srcaddr6_2"), (68, 4, "srcaddr"),
        (72, 4, "dstaddr6_0"), (76, 4, "dstaddr6_1"), (80, 4, "dstaddr6_2"), (84, 4, "dstaddr"),
        (88, 4, "nexthop6_0"), (92, 4, "nexthop6_1"), (96, 4, "nexthop6_2"), (100, 4, "nexthop"),
        (104, 4, "src_tag"), (108, 4, "dst_tag"),
    ],
}
for _m in range(1, 15):
    _LAYOUTS["8.%d" % _m] = _v8_layout(_m)

# 4.3: record size summary
RECORD_SIZE = {"1": 60, "5": 64, "6": 72, "7": 68, "1005": 72, "1006": 112}
RECORD_SIZE.update({"8.%d" % m: 48 for m in (1, 2, 3, 4, 9, 10, 11, 12)})
RECORD_SIZE.update({"8.5": 56, "8.6": 52, "8.7": 56, "8.8": 64, "8.13": 60, "8.14": 60})

VERSIONS = ("1", "5", "6", "7", "1005") + tuple("8.%d" % m for m in range(1, 15))
V1006 = "1006"
ALL_VERSIONS = VERSIONS + (V1006,)

_WIDTH_CODE = {1: "B", 2: "H", 4: "I"}


def _check_layout(version, entries):
    """The tables above must tile the record exactly: no gap, no overlap."""
    pos = 0
    for off, width, name in entries:
        assert off == pos, (version, name, off, pos)
        assert width in _WIDTH_CODE, (version, name)
        pos += width
    assert pos == RECORD_SIZE[version], (version, pos)
    names = [n for _, _, n in entries if not n.startswith("_")]
    assert len(names) == len(set(names)), version


def _struct_code(entries):
    return "".join("%dx" % w if n.startswith("_") else _WIDTH_CODE[w]
                   for _, w, n in entries)


_FIELDS = {}
_STRUCTS = {}
for _v, _entries in _LAYOUTS.items():
    _check_layout(_v, _entries)
    _FIELDS[_v] = tuple(n for _, _, n in _entries if not n.startswith("_"))
    _STRUCTS[_v] = {
        "little": struct.Struct("<" + _struct_code(_entries)),
        "big": struct.Struct(">" + _struct_code(_entries)),
    }
    assert _STRUCTS[_v]["little"].size == RECORD_SIZE[_v]


def split_version(version):
    """'8.3' -> (8, 3); '5' -> (5, 0)."""
    version = str(version)
    if version not in _LAYOUTS:
        raise ValueError("unknown record version %r" % version)
    if version.startswith("8."):
        return 8, int(version[2:])
    return int(version), 0


def version_of(d_version, agg_method=0):
    """(8, 3) -> '8.3'; (5, anything) -> '5'.  ValueError when unsupported."""
    if d_version == 8:
        key = "8.%d" % agg_method
    else:
        key = str(d_version)
    if key not in _LAYOUTS:
        raise ValueError("unsupported export version %s (agg method %s)"
                         % (d_version, agg_method))
    return key


def layout(version):
    """[(offset, width, name), ...] of every field (pads excluded)."""
    return [e for e in _LAYOUTS[str(version)] if not e[2].startswith("_")]


def fields(version):
    """The field names of a record version, in offset order."""
    return _FIELDS[str(version)]


def field_width(version, name):
    for _, width, n in _LAYOUTS[str(version)]:
        if n == name:
            return width
    raise KeyError(name)


def field_max(version, name):
    return (1 << (8 * field_width(version, name))) - 1


# ---------------------------------------------------------------------------
# Records <-> bytes

def decode_records(version, data, byte_order="little"):
    """Whole records of `version` in data (file order) -> list of dicts.

    len(data) must be a multiple of the record size."""
    version = str(version)
    st = _STRUCTS[version][byte_order]
    if len(data) % st.size:
        raise ValueError("partial record: %d bytes is not a multiple of %d"
                         % (len(data), st.size))
    names = _FIELDS[version]
    return [dict(zip(names, values)) for values in st.iter_unpack(data)]


def encode_records(version, records, byte_order="little"):
    """List of dicts -> bytes in file order.  Missing fields are 0; unknown
    field names and out-of-range values raise ValueError."""
    version = str(version)
    st = _STRUCTS[version][byte_order]
    names = _FIELDS[version]
    out = bytearray()
    for rec in records:
        extra = set(rec) - set(names)
        if extra:
            raise ValueError("fields %s not in a v%s record" % (sorted(extra), version))
        try:
            out += st.pack(*[rec.get(n, 0) for n in names])
        except struct.error as exc:
            raise ValueError("record %r: %s" % (rec, exc)) from None
    return bytes(out)


# ---------------------------------------------------------------------------
# Section 2.7: stream version 1 (legacy) header and 60-byte "compat" records

_V1_HEADER = {
    "little": struct.Struct("<4sH2xIIIIIII68s256s"),
    "big": struct.Struct(">4sH2xIIIIIII68s256s"),
}
assert _V1_HEADER["little"].size == 360

_COMPAT_FIELDS = (
    "unix_secs", "unix_msecs", "srcaddr", "dstaddr", "nexthop", "input", "output",
    "dPkts", "dOctets", "First", "Last", "srcport", "dstport", "prot", "tos",
    "flags", "tcp_retx_cnt", "tcp_retx_secs", "tcp_misseq_cnt", "src_as", "dst_as",
    "src_mask", "dst_mask", "drops",
)
# 0 unix_secs, 4 unix_msecs, 8 srcaddr, 12 dstaddr, 16 nexthop, 20 input, 22 output,
# 24 dPkts, 28 dOctets, 32 First, 36 Last, 40 srcport, 42 dstport, 44 pad(2),
# 46 prot, 47 tos, 48 flags, 49 tcp_retx_cnt, 50 tcp_retx_secs, 51 tcp_misseq_cnt,
# 52 src_as, 54 dst_as, 56 src_mask, 57 dst_mask, 58 drops
_COMPAT = {
    "little": struct.Struct("<IIIIIHHIIIIHH2xBBBBBBHHBBH"),
    "big": struct.Struct(">IIIIIHHIIIIHH2xBBBBBBHHBBH"),
}
assert _COMPAT["little"].size == 60


def compat_fields(version):
    """The fields a stream-v1 file can carry for record version '1' or '5'
    (everything else reads back as 0)."""
    base = ("unix_secs", "unix_nsecs", "srcaddr", "dstaddr", "nexthop", "input",
            "output", "dPkts", "dOctets", "First", "Last", "srcport", "dstport",
            "prot", "tos", "tcp_flags")
    if str(version) == "5":
        return base + ("src_mask", "dst_mask", "src_as", "dst_as")
    return base


def _compat_to_record(version, c):
    rec = dict.fromkeys(_FIELDS[version], 0)
    for name in ("unix_secs", "srcaddr", "dstaddr", "nexthop", "input", "output",
                 "dPkts", "dOctets", "First", "Last", "srcport", "dstport", "prot",
                 "tos"):
        rec[name] = c[name]
    rec["unix_nsecs"] = (c["unix_msecs"] * 1000000) & 0xFFFFFFFF  # C u32 product
    rec["tcp_flags"] = c["flags"]
    if version == "5":
        for name in ("src_as", "dst_as", "src_mask", "dst_mask"):
            rec[name] = c[name]
    return rec


def _record_to_compat(version, rec):
    extra = set(rec) - set(_FIELDS[version])
    if extra:
        raise ValueError("fields %s not in a v%s record" % (sorted(extra), version))
    c = dict.fromkeys(_COMPAT_FIELDS, 0)
    for name in ("unix_secs", "srcaddr", "dstaddr", "nexthop", "input", "output",
                 "dPkts", "dOctets", "First", "Last", "srcport", "dstport", "prot",
                 "tos"):
        c[name] = rec.get(name, 0)
    c["unix_msecs"] = rec.get("unix_nsecs", 0) // 1000000
    c["flags"] = rec.get("tcp_flags", 0)
    if version == "5":
        for name in ("src_as", "dst_as", "src_mask", "dst_mask"):
            c[name] = rec.get(name, 0)
    return c


def _cstring(raw):
    return raw.split(b"\0", 1)[0].decode("latin-1")


# ---------------------------------------------------------------------------
# Section 2.3: TLV catalogue

_TLV_INT = {  # type -> (key, width)
    1: ("vendor", 1), 2: ("d_version", 2), 3: ("agg_version", 1),
    4: ("agg_method", 1), 5: ("exporter_ip", 4), 6: ("cap_start", 4),
    7: ("cap_end", 4), 8: ("flags", 4), 9: ("rot_schedule", 4),
    10: ("flows_count", 4), 11: ("flows_lost", 4), 12: ("flows_misordered", 4),
    13: ("pkts_corrupt", 4), 14: ("seq_reset", 4), 19: ("interrupt", 1),
}
_TLV_STR = {15: "cap_hostname", 16: "comments"}
_TLV_LIST = {17: "if_name", 18: "if_alias"}


def _byte_order_of(raw):
    if raw == 1:
        return "little"
    if raw == 2:
        return "big"
    return sys.byteorder  # 2.1: any other value is "same as host"


def read_header(data):
    """Parse the stream header at the start of data -> header dict.
    ValueError for a bad magic, stream version or a truncated header."""
    if len(data) < 4:
        raise ValueError("truncated header: %d bytes" % len(data))
    if data[0] != 0xCF or data[1] != 0x10:
        raise ValueError("bad magic number")
    order = _byte_order_of(data[2])
    e = "<" if order == "little" else ">"
    hdr = {"s_version": data[3], "byte_order": order, "byte_order_raw": data[2]}

    if data[3] == 1:
        if len(data) < 360:
            raise ValueError("truncated stream-v1 header: %d bytes" % len(data))
        (_, d_version, cap_start, cap_end, flags, rotation, count, dropped,
         misordered, hostname, comments) = _V1_HEADER[order].unpack_from(data, 0)
        hdr.update(
            header_len=360, d_version=1 if d_version == 0xFFFF else d_version,
            cap_start=cap_start, cap_end=cap_end, flags=flags, rot_schedule=rotation,
            flows_count=count, flows_lost=dropped, flows_misordered=misordered,
            cap_hostname=_cstring(hostname), comments=_cstring(comments))
        return hdr

    if data[3] != 3:
        raise ValueError("Stream format must be 1 or 3 (got %d)" % data[3])
    if len(data) < 8:
        raise ValueError("truncated header: %d bytes" % len(data))
    (header_len,) = struct.unpack_from(e + "I", data, 4)
    if header_len < 8:
        raise ValueError("header length %d < 8" % header_len)
    if header_len > len(data):
        raise ValueError("truncated header: length %d, %d bytes" % (header_len, len(data)))
    hdr["header_len"] = header_len
    hdr["tlv_types"] = []
    pos = 8
    while header_len - pos >= 4:
        tlv_type, length = struct.unpack_from(e + "HH", data, pos)
        if pos + 4 + length > header_len:
            break  # overruns the header: stop
        value = bytes(data[pos + 4:pos + 4 + length])
        pos += 4 + length
        hdr["tlv_types"].append(tlv_type)
        if tlv_type in _TLV_INT:
            key, width = _TLV_INT[tlv_type]
            if length < width:
                raise ValueError("TLV %d: length %d < %d" % (tlv_type, length, width))
            hdr[key] = int.from_bytes(value[:width], order)
        elif tlv_type in _TLV_STR:
            hdr[_TLV_STR[tlv_type]] = _cstring(value)
        elif tlv_type in _TLV_LIST:
            hdr.setdefault(_TLV_LIST[tlv_type], []).append(value)
        else:
            hdr.setdefault("unknown_tlvs", []).append((tlv_type, value))
    return hdr


def read_stream(data, strict=True):
    """bytes of a whole flow file -> (header dict, [record dicts]).

    With strict (the default) a trailing partial record, an unfinished zlib stream
    or bytes after the zlib stream raise ValueError; with strict=False the complete
    records are returned and the rest ignored (what the reference's reader yields)."""
    data = bytes(data)
    hdr = read_header(data)
    if hdr["s_version"] == 3 and hdr.get("d_version") == 8 and hdr.get("agg_version") != 2:
        raise ValueError("Unsupported agg_version %s" % hdr.get("agg_version"))
    version = version_of(hdr.get("d_version", 0), hdr.get("agg_method", 0))
    if hdr["s_version"] == 1 and version not in ("1", "5"):
        raise ValueError("stream-v1 file with export version %s" % version)

    area = data[hdr["header_len"]:]
    if hdr.get("flags", 0) & HF_COMPRESS:
        z = zlib.decompressobj()
        try:
            area = z.decompress(area)
        except zlib.error as exc:
            if strict:
                raise ValueError("zlib: %s" % exc) from None
            area = b""  # keep it obvious: a damaged stream yields nothing here
        else:
            if strict and not z.eof:
                raise ValueError("unfinished zlib stream")
            if strict and z.unused_data:
                raise ValueError("%d bytes after the zlib stream" % len(z.unused_data))

    rec_size = 60 if hdr["s_version"] == 1 else RECORD_SIZE[version]
    whole = len(area) - len(area) % rec_size
    if strict and whole != len(area):
        raise ValueError("partial record before EOF (%d bytes)" % (len(area) - whole))
    area = area[:whole]

    if hdr["s_version"] == 1:
        names = _COMPAT_FIELDS
        records = [_compat_to_record(version, dict(zip(names, values)))
                   for values in _COMPAT[hdr["byte_order"]].iter_unpack(area)]
    else:
        records = decode_records(version, area, hdr["byte_order"])
    return hdr, records


_READ_ONLY = ("byte_order", "byte_order_raw", "header_len", "tlv_types")


def header_values(header):
    """A header dict reduced to what write_header takes back: read-only keys
    dropped, COMPRESS cleared from flags, s_version dropped when 3.  So
    header_values(read_stream(write_stream(h, ...))[0]) == header_values(h)."""
    out = {k: v for k, v in header.items() if k not in _READ_ONLY}
    if "flags" in out:
        out["flags"] &= ~HF_COMPRESS
    if out.get("s_version") == 3:
        del out["s_version"]
    return out


def _tlv(e, tlv_type, value):
    return struct.pack(e + "HH", tlv_type, len(value)) + value


def write_header(header, byte_order="little", compressed=False):
    """header dict -> header bytes (stream version header.get('s_version', 3)).

    HEADER_FLAGS is always written; its COMPRESS bit is set iff `compressed`.
    Read-only keys (byte_order, byte_order_raw, header_len, tlv_types) are ignored."""
    if byte_order not in ("little", "big"):
        raise ValueError("byte order must be 'little' or 'big'")
    e = "<" if byte_order == "little" else ">"
    order_byte = 1 if byte_order == "little" else 2
    flags = header.get("flags", 0) & ~HF_COMPRESS
    if compressed:
        flags |= HF_COMPRESS
    s_version = header.get("s_version", 3)

    if s_version == 1:
        def text(key, size):
            raw = header.get(key, "").encode("latin-1")
            if len(raw) >= size:
                raise ValueError("%s longer than %d bytes" % (key, size - 1))
            return raw
        return _V1_HEADER[byte_order].pack(
            bytes((0xCF, 0x10, order_byte, 1)), header["d_version"],
            header.get("cap_start", 0), header.get("cap_end", 0), flags,
            header.get("rot_schedule", 0), header.get("flows_count", 0),
            header.get("flows_lost", 0), header.get("flows_misordered", 0),
            text("cap_hostname", 68), text("comments", 256))

    if s_version != 3:
        raise ValueError("stream version must be 1 or 3")
    values = dict(header)
    values["flags"] = flags
    if header.get("d_version") == 8:
        values.setdefault("agg_version", 2)
    tlvs = []  # (type, value bytes), sorted by type below (stable for repeats)
    for tlv_type, (key, width) in _TLV_INT.items():
        if key in values:
            tlvs.append((tlv_type, values[key].to_bytes(width, byte_order)))
    for tlv_type, key in _TLV_STR.items():
        if key in values:
            tlvs.append((tlv_type, values[key].encode("latin-1") + b"\0"))
    for tlv_type, key in _TLV_LIST.items():
        for value in values.get(key, ()):
            tlvs.append((tlv_type, bytes(value)))
    for tlv_type, value in values.get("unknown_tlvs", ()):
        tlvs.append((tlv_type, bytes(value)))
    tlvs.sort(key=lambda t: t[0])
    body = b"".join(_tlv(e, t, v) for t, v in tlvs)
    header_len = 8 + len(body)
    header_len += -header_len % 4
    if header_len > HEADER_MAX:
        raise ValueError("header of %d bytes exceeds %d" % (header_len, HEADER_MAX))
    out = bytes((0xCF, 0x10, order_byte, 3)) + struct.pack(e + "I", header_len) + body
    return out + b"\0" * (header_len - len(out))


def write_stream(header, records, byte_order="little", zlevel=0):
    """header dict + record dicts -> bytes of a flow file.

    The record version comes from header['d_version'] (and 'agg_method' for 8).
    zlevel 0 writes plain records; 1..9 one zlib stream at that level, with the
    COMPRESS flag set."""
    if not 0 <= zlevel <= 9:
        raise ValueError("zlevel must be 0..9")
    version = version_of(header["d_version"], header.get("agg_method", 0))
    if header.get("s_version", 3) == 1:
        if version not in ("1", "5"):
            raise ValueError("stream-v1 files hold only versions 1 and 5")
        st = _COMPAT[byte_order]
        area = b"".join(
            st.pack(*[c[n] for n in _COMPAT_FIELDS])
            for c in (_record_to_compat(version, r) for r in records))
    else:
        area = encode_records(version, records, byte_order)
    if zlevel:
        area = zlib.compress(area, zlevel)
    return write_header(header, byte_order, compressed=bool(zlevel)) + area


# ---- small builders shared by the command tests ---------------------------

def record(version="5", **fields_):
    """A record dict of `version` with every field 0 but those given."""
    r = dict.fromkeys(fields(version), 0)
    r.update(fields_)
    return r


def ipv4(text):
    """u32 of a dotted quad."""
    a, b, c, d = (int(x) for x in text.split("."))
    return a << 24 | b << 16 | c << 8 | d


def v5_stream(recs, order="little", zlevel=0):
    """A streaming v5 file holding recs."""
    return write_stream({"d_version": 5, "flags": HF_STREAMING}, recs, order, zlevel)


# ---------------------------------------------------------------------------
# v1006 addresses (man/flow-tools-v1006.5)

#: the three addresses of a v1006 record: (name of its last word, prefix of the others)
ADDRS6 = (("srcaddr", "srcaddr6_"), ("dstaddr", "dstaddr6_"), ("nexthop", "nexthop6_"))


def addr6(rec, name):
    """The 128-bit address `name` ("srcaddr", "dstaddr", "nexthop") of a
    v1006 record dict, as an int."""
    prefix = dict(ADDRS6)[name]
    return ((rec[prefix + "0"] << 96) | (rec[prefix + "1"] << 64)
            | (rec[prefix + "2"] << 32) | rec[name])


def with_addr6(rec, name, value):
    """A copy of rec with 128-bit address `name` set to the int value."""
    prefix = dict(ADDRS6)[name]
    out = dict(rec)
    for k in range(3):
        out[prefix + str(k)] = (value >> (96 - 32 * k)) & 0xFFFFFFFF
    out[name] = value & 0xFFFFFFFF
    return out


def mapped(ipv4):
    """::ffff:a.b.c.d of a u32 IPv4 address."""
    return (0xFFFF << 32) | ipv4


def is_ipv4(rec):
    """A v1006 record is an IPv4 flow: source and destination IPv4-mapped."""
    return all(addr6(rec, n) >> 32 == 0xFFFF for n in ("srcaddr", "dstaddr"))
