"""Self-tests of tests/oracle.py on the copied conformance inputs.

The oracle is only worth something if it agrees with the reference: besides known
flow-gen patterns, its decoding is checked against what the reference flow-tools 0.68
printed for the same files (flow-header and flow-export -f 2 outputs recorded in
tests/conformance/expected/).
"""
import datetime
import re
import struct
import zlib

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst
from harness import CORPUS_DIR

INPUTS = CORPUS_DIR / "inputs"
EXPECTED = CORPUS_DIR / "expected"
V8_FILES = sorted(INPUTS.glob("gen-v8.*.ft"))
FLOW_FILES = sorted(p for p in INPUTS.rglob("*")
                    if p.is_file() and p.read_bytes()[:2] == b"\xcf\x10"
                    and not p.name.startswith("trunc-"))


def read(name, **kw):
    return oracle.read_stream((INPUTS / name).read_bytes(), **kw)


def load_cases():
    cases = {}
    for line in (CORPUS_DIR / "cases.tsv").read_text().splitlines():
        if line and not line.startswith("#"):
            case_id, cmd, exp, status = line.split("\t")[:4]
            cases[case_id] = (cmd, exp, int(status))
    return cases


CASES = load_cases()


# ---------------------------------------------------------------- known patterns

def test_gen_v5_pattern():
    hdr, recs = read("gen-v5.ft")
    assert (hdr["s_version"], hdr["byte_order"], hdr["d_version"]) == (3, "little", 5)
    assert hdr["flags"] == oracle.HF_STREAMING
    assert hdr["cap_hostname"] == hdr["comments"] == "flow-gen"
    assert len(recs) == 100
    for i, r in enumerate(recs):
        assert r["srcaddr"] == i
        assert r["dstaddr"] == 0xFFFF0000 + i
        assert r["dPkts"] == r["dOctets"] == i + 1
        assert r["First"] == i and r["Last"] == 0xFFFF0000 + i
        assert r["prot"] == 17


def test_gen_v5_big_has_the_same_records():
    hdr, recs = read("gen-v5-big.ft")
    assert hdr["byte_order"] == "big" and hdr["byte_order_raw"] == 2
    assert len(recs) == 60
    assert recs == read("gen-v5.ft")[1][:60]


@pytest.mark.parametrize("name, count, zhead", [
    ("gen-v5-z.ft", 300, None), ("gen-v5-z9big.ft", 75, b"\x78\xda")])
def test_compressed_gen_files(name, count, zhead):
    data = (INPUTS / name).read_bytes()
    hdr, recs = oracle.read_stream(data)
    assert hdr["flags"] & oracle.HF_COMPRESS
    area = data[hdr["header_len"]:]
    assert area[:1] == b"\x78"              # one zlib (RFC 1950) stream
    if zhead:
        assert area[:2] == zhead            # -z 9
    assert len(zlib.decompress(area)) == count * 64
    assert len(recs) == count
    plain = read("gen-v5.ft")[1]
    n = min(count, len(plain))
    assert recs[:n] == plain[:n]


@pytest.mark.parametrize("path", V8_FILES, ids=lambda p: p.name)
def test_gen_v8_files(path):
    version = path.name[len("gen-v"):-len(".ft")]
    d_version, method = oracle.split_version(version)
    data = path.read_bytes()
    hdr, recs = oracle.read_stream(data)
    assert (hdr["d_version"], hdr["agg_version"], hdr["agg_method"]) == (8, 2, method)
    assert hdr["tlv_types"] == [2, 3, 4, 8, 15, 16]
    size = oracle.RECORD_SIZE[version]
    assert (len(data) - hdr["header_len"]) == 30 * size
    assert len(recs) == 30
    assert [r["dPkts"] for r in recs] == list(range(1, 31))
    assert [r["First"] for r in recs] == list(range(30))


def test_empty_and_broken_files():
    hdr, recs = read("empty-v5.ft")
    assert recs == [] and hdr["d_version"] == 5
    hdr, recs = read("empty-v7-zbig.ft")
    assert recs == [] and hdr["byte_order"] == "big" and hdr["flags"] & oracle.HF_COMPRESS
    for name, message in [("zero-bytes.ft", "truncated"), ("trunc-header.ft", "truncated"),
                          ("random.bin", "magic"), ("set/notes.txt", "magic"),
                          ("trunc-plain.ft", "partial"), ("trunc-z.ft", "zlib")]:
        with pytest.raises(ValueError, match=message):
            read(name)
    # non-strict: the whole records before the damage (the files are truncated
    # copies of two captures)
    hdr, recs = read("trunc-plain.ft", strict=False)
    assert len(recs) == (2500 - hdr["header_len"]) // 64 == 37
    assert recs == read("real-masscan-udp.ft")[1][:37]
    hdr, recs = read("trunc-z.ft", strict=False)
    assert hdr["flags"] & oracle.HF_COMPRESS and 0 < len(recs) < hdr["flows_count"]
    assert recs == read("real-masscan-tcp.ft")[1][:len(recs)]


_NAME_TIME = re.compile(r"^ft-v05\.(\d{4})-(\d\d)-(\d\d)\.(\d\d)(\d\d)(\d\d)\+0000$")


@pytest.mark.parametrize("path", sorted((INPUTS / "set").rglob("*-v05*")),
                         ids=lambda p: p.name)
def test_capture_set_headers(path):
    hdr, recs = oracle.read_stream(path.read_bytes())
    assert hdr["d_version"] == 5
    day = datetime.datetime(2026, 11, 22, tzinfo=datetime.timezone.utc).timestamp()
    assert day <= hdr["cap_start"] <= hdr["cap_end"] < day + 86400
    assert hdr["cap_end"] - hdr["cap_start"] <= 60
    m = _NAME_TIME.match(path.name)
    if m:  # a finished capture file: named after its creation time, header final
        named = datetime.datetime(*map(int, m.groups()), tzinfo=datetime.timezone.utc)
        assert hdr["cap_start"] == named.timestamp()
        assert hdr["flags"] & oracle.HF_DONE
        assert hdr["flows_count"] == len(recs)
        assert hdr["cap_hostname"] == "vm"
    else:
        assert path.name.startswith("tmp-")
        assert not hdr["flags"] & oracle.HF_DONE


# ------------------------------------------------- agreement with the reference

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
           "Nov", "Dec"]


def _utc(t):
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return "%s, %02d %s %d %02d:%02d:%02d +0000" % (
        _DAYS[d.weekday()], d.day, _MONTHS[d.month - 1], d.year, d.hour, d.minute,
        d.second)


def _header_lines(hdr):
    """What each line flow-header printed must say, from the oracle's header."""
    flags = hdr.get("flags", 0)
    want = {
        "mode": "streaming" if flags & oracle.HF_STREAMING else "normal",
        "compress": "on" if flags & oracle.HF_COMPRESS else "off",
        "byte order": hdr["byte_order"],
        "stream version": str(hdr["s_version"]),
    }
    for label, key in [("export version", "d_version"),
                       ("export agg_version", "agg_version"),
                       ("lost flows", "flows_lost"), ("corrupt packets", "pkts_corrupt"),
                       ("misordered flows", "flows_misordered"),
                       ("sequencer resets", "seq_reset"), ("capture flows", "flows_count"),
                       ("capture hostname", "cap_hostname"), ("comments", "comments")]:
        if key in hdr:
            want[label] = str(hdr[key])
    if "agg_method" in hdr:
        want["export agg_method"] = str(hdr["agg_method"])
    if "cap_start" in hdr:
        want["capture start"] = _utc(hdr["cap_start"])
    if "cap_end" in hdr:
        want["capture end"] = _utc(hdr["cap_end"])
        want["capture period"] = "%d seconds" % (hdr["cap_end"] - hdr.get("cap_start", 0))
    return want


def _printed_headers(text):
    """flow-header output -> list of {label: value}, one per header printed."""
    blocks, cur = [], None
    for line in text.splitlines():
        m = re.match(r"^# ([^:]+):\s+(.*)$", line)
        if m:
            if m.group(1) == "mode":
                cur = {}
                blocks.append(cur)
            cur[m.group(1)] = m.group(2)
    return blocks


HEADER_CASES = []
for _id, (_cmd, _exp, _st) in sorted(CASES.items()):
    _m = re.fullmatch(r"flow-header < (inputs/\S+)", _cmd)
    if _st != 0:
        continue
    if _m:
        HEADER_CASES.append(pytest.param([_m.group(1)], _exp, id=_id))
    elif _id == "header-set-all":  # a loop over three globs, in glob order
        _files = (sorted((INPUTS / "set").glob("ft-v05.*"))
                  + sorted((INPUTS / "set" / "sub").glob("ft-v05.*"))
                  + sorted((INPUTS / "set").glob("tmp-v05.*")))
        HEADER_CASES.append(pytest.param(
            [str(p.relative_to(CORPUS_DIR)) for p in _files], _exp, id=_id))


def test_header_cases_found():
    assert len(HEADER_CASES) >= 30


@pytest.mark.parametrize("inputs, expected", HEADER_CASES)
def test_header_matches_reference_flow_header(inputs, expected):
    printed = _printed_headers((CORPUS_DIR / expected).read_text())
    assert len(printed) == len(inputs)
    for name, lines in zip(inputs, printed):
        hdr = oracle.read_header((CORPUS_DIR / name).read_bytes())
        want = _header_lines(hdr)
        for label, value in lines.items():
            if label == "export agg_method":
                value = value.split(" ")[0]  # "3 (Source Prefix)"
            assert label in want, (name, label)
            assert want[label] == value, (name, label)


_CSV_NAMES = {"sysuptime": "sysUpTime", "dpkts": "dPkts", "doctets": "dOctets",
              "first": "First", "last": "Last", "dflows": "dFlows"}


def _dotted(value):
    return ".".join(str((value >> s) & 0xFF) for s in (24, 16, 8, 0))


EXPORT_CASES = []
for _id, (_cmd, _exp, _st) in sorted(CASES.items()):
    _m = re.fullmatch(r"flow-export -f 2 (?:-m \S+ )?< (inputs/\S+)", _cmd)
    if _m and _st == 0:  # error-export-trunc-z: the records before the damage
        EXPORT_CASES.append(pytest.param(_m.group(1), _exp, id=_id))


def test_export_cases_found():
    assert len(EXPORT_CASES) >= 12


@pytest.mark.parametrize("name, expected", EXPORT_CASES)
def test_records_match_reference_flow_export(name, expected):
    _, recs = oracle.read_stream((CORPUS_DIR / name).read_bytes(), strict=False)
    lines = (CORPUS_DIR / expected).read_text().splitlines()
    assert lines[0].startswith("#:")
    columns = []
    order = ["in_encaps", "out_encaps", "peer_nexthop", "router_sc", "extra_pkts",
             "marked_tos", "src_tag", "dst_tag"]
    for col in lines[0][2:].split(",") if lines[0] != "#:" else []:
        col = _CSV_NAMES.get(col, col)
        # v6 prints peer_nexthop as "nexthop": after nexthop or a later field
        if col == "nexthop" and (col in columns or columns and columns[-1] in order):
            col = "peer_nexthop"
        columns.append(col)
    rows = lines[1:]
    # no field selected: the header line only
    assert len(rows) == (len(recs) if columns else 0)
    for rec, row in zip(recs, rows):
        for col, value in zip(columns, row.split(",")):
            shown = _dotted(rec[col]) if "." in value else str(rec[col])
            assert shown == value, (col, rec)


# ---------------------------------------------------------- format details

@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_rewrite_reproduces_file_bytes(path):
    """Every reference-written header re-encodes to the same bytes (TLVs in
    ascending order, 4-byte padding); plain record areas too."""
    data = path.read_bytes()
    hdr, recs = oracle.read_stream(data)
    assert hdr["tlv_types"] == sorted(hdr["tlv_types"])
    compressed = bool(hdr["flags"] & oracle.HF_COMPRESS)
    header = oracle.write_header(hdr, hdr["byte_order"], compressed)
    assert header == data[:hdr["header_len"]]
    if not compressed:
        assert oracle.write_stream(hdr, recs, hdr["byte_order"]) == data
    else:
        area = zlib.decompress(data[hdr["header_len"]:])
        assert oracle.encode_records(oracle.version_of(hdr["d_version"],
                                                       hdr.get("agg_method", 0)),
                                     recs, hdr["byte_order"]) == area


def test_flow_gen_header_bytes_from_formats_doc():
    """formats.md 2.6: flow-gen -V5 -n 3 (little endian), and -b big."""
    hdr = {"d_version": 5, "flags": oracle.HF_STREAMING,
           "cap_hostname": "flow-gen", "comments": "flow-gen"}
    assert oracle.write_header(hdr, "little") == bytes.fromhex(
        "cf100103300000000200020005000800040008000000"
        "0f000900666c6f772d67656e00" "10000900666c6f772d67656e00")
    assert oracle.write_header(hdr, "big")[:22] == bytes.fromhex(
        "cf100203000000300002000200050008000400000008")
    v8 = oracle.write_header(dict(hdr, d_version=8, agg_method=3), "little")
    assert len(v8) == 60 and v8[8:28] == bytes.fromhex(
        "0200020008000300010002040001000308000400")


def test_tlv_reader_rules():
    """Unknown and NULL TLVs are skipped, a header length need not be a multiple of
    4, a TLV overrunning the header ends the list (formats.md 2.2)."""
    body = (struct.pack("<HHH", 2, 2, 5) + struct.pack("<HH", 0, 0)
            + struct.pack("<HH", 0x99, 3) + b"abc" + struct.pack("<HHI", 8, 4, 8)
            + struct.pack("<HH", 0x10, 50) + b"x")       # overruns: ignored
    header_len = 8 + len(body)
    assert header_len % 4 != 0
    data = b"\xcf\x10\x01\x03" + struct.pack("<I", header_len) + body + bytes(64)
    hdr, recs = oracle.read_stream(data)
    assert hdr["d_version"] == 5 and hdr["flags"] == 8 and "comments" not in hdr
    assert hdr["unknown_tlvs"] == [(0, b""), (0x99, b"abc")]
    assert hdr["tlv_types"] == [2, 0, 0x99, 8]
    assert recs == [dict.fromkeys(oracle.fields("5"), 0)]


def test_bad_preambles():
    good = (INPUTS / "gen-v5.ft").read_bytes()
    with pytest.raises(ValueError, match="magic"):
        oracle.read_stream(b"\xcf\x11" + good[2:])
    with pytest.raises(ValueError, match="1 or 3"):
        oracle.read_stream(good[:3] + b"\x02" + good[4:])
    v8 = (INPUTS / "gen-v8.1.ft").read_bytes()
    i = v8.index(bytes.fromhex("03000100")) + 4       # AGG_VER value
    with pytest.raises(ValueError, match="agg_version"):
        oracle.read_stream(v8[:i] + b"\x03" + v8[i + 1:])


def test_stream_v1_header_and_compat_records():
    """A legacy stream-1 file built by hand from the formats.md 2.7 tables."""
    hdr = bytearray(360)
    hdr[0:4] = b"\xcf\x10\x02\x01"                               # big endian, s_version 1
    struct.pack_into(">H", hdr, 4, 0xFFFF)                       # d_version read as 1
    struct.pack_into(">IIIIIII", hdr, 8, 1000, 2000, 0, 7, 1, 3, 4)
    hdr[36:38] = b"vm"
    hdr[104:107] = b"abc"
    rec = bytearray(60)
    struct.pack_into(">IIIII", rec, 0, 1700000000, 250, 0x0A000001, 0x0A000002, 9)
    struct.pack_into(">HHIIIIHH", rec, 20, 3, 4, 10, 840, 100, 200, 1234, 80)
    rec[46:49] = bytes((6, 0x10, 0x12))
    struct.pack_into(">HHBB", rec, 52, 65001, 65002, 24, 16)
    h, recs = oracle.read_stream(bytes(hdr) + bytes(rec))
    assert (h["s_version"], h["d_version"], h["byte_order"], h["header_len"]) == (1, 1, "big", 360)
    assert (h["cap_start"], h["cap_end"], h["flows_count"], h["flows_lost"]) == (1000, 2000, 1, 3)
    assert (h["cap_hostname"], h["comments"]) == ("vm", "abc")
    assert recs == [{
        "unix_secs": 1700000000, "unix_nsecs": 250000000, "sysUpTime": 0, "exaddr": 0,
        "srcaddr": 0x0A000001, "dstaddr": 0x0A000002, "nexthop": 9, "input": 3,
        "output": 4, "dPkts": 10, "dOctets": 840, "First": 100, "Last": 200,
        "srcport": 1234, "dstport": 80, "prot": 6, "tos": 0x10, "tcp_flags": 0x12}]
    struct.pack_into(">H", hdr, 4, 5)                            # the same as v5
    h, recs = oracle.read_stream(bytes(hdr) + bytes(rec))
    assert h["d_version"] == 5
    assert (recs[0]["src_as"], recs[0]["dst_as"], recs[0]["src_mask"],
            recs[0]["dst_mask"], recs[0]["engine_type"]) == (65001, 65002, 24, 16, 0)
    h["d_version"] = 5
    assert oracle.write_stream(h, recs, "big") == bytes(hdr) + bytes(rec)


def test_layout_pitfalls():
    """formats.md 9.5: the v8 layouts that differ from the common pattern."""
    off = {v: {n: o for o, _, n in oracle.layout(v)} for v in oracle.VERSIONS}
    assert off["8.3"]["exaddr"] == off["8.11"]["exaddr"] == off["8.12"]["exaddr"] == 8
    assert off["8.1"]["exaddr"] == 12
    assert (off["8.4"]["engine_type"], off["8.4"]["dst_as"]) == (42, 44)
    assert off["8.12"]["output"] < off["8.12"]["dst_as"]
    for v in ("8.6", "8.7", "8.8"):
        assert "dFlows" not in off[v] and off[v]["dPkts"] == 16
    assert all(oracle.RECORD_SIZE[v] % 4 == 0 for v in oracle.VERSIONS)


def test_writer_rejects_bad_input():
    with pytest.raises(ValueError):
        oracle.write_stream({"d_version": 5}, [{"srcaddr": 1 << 32}])
    with pytest.raises(ValueError):
        oracle.write_stream({"d_version": 5}, [{"peer_nexthop": 1}])
    with pytest.raises(ValueError):
        oracle.write_stream({"d_version": 4}, [])
    with pytest.raises(ValueError):
        oracle.write_stream({"d_version": 5, "comments": "x" * 20000}, [])


# ------------------------------------------------------- round trips

@given(fst.streams(header_kwargs={"unknown": True, "ifmaps": True,
                                  "full_strings": True}))
def test_write_read_roundtrip(s):
    header, records, byte_order, zlevel = s
    data = oracle.write_stream(header, records, byte_order, zlevel)
    assert data[:4] == bytes((0xCF, 0x10, 1 if byte_order == "little" else 2, 3))
    hdr, recs = oracle.read_stream(data)
    assert recs == records
    assert hdr["byte_order"] == byte_order and hdr["header_len"] % 4 == 0
    assert bool(hdr["flags"] & oracle.HF_COMPRESS) == (zlevel > 0)
    assert oracle.header_values(hdr) == header


@given(fst.v1_streams())
def test_v1_write_read_roundtrip(s):
    header, records, byte_order, zlevel = s
    data = oracle.write_stream(header, records, byte_order, zlevel)
    hdr, recs = oracle.read_stream(data)
    assert hdr["s_version"] == 1 and hdr["header_len"] == 360
    if not zlevel:
        assert len(data) == 360 + 60 * len(records)
    assert recs == records
    assert oracle.header_values(hdr) == header


@given(st.data())
def test_byte_orders_mirror_each_other(data):
    """Each field's bytes in a big-endian record are its little-endian bytes reversed."""
    version = data.draw(fst.versions())
    rec = data.draw(fst.records(version))
    little = oracle.encode_records(version, [rec], "little")
    big = oracle.encode_records(version, [rec], "big")
    for offset, width, _ in oracle.layout(version):
        assert big[offset:offset + width] == little[offset:offset + width][::-1]


@given(st.data())
def test_chunkings_and_damage_strategies(data):
    blob = data.draw(st.binary(max_size=200))
    cuts = data.draw(fst.chunkings(len(blob)))
    assert b"".join(fst.split_at(blob, cuts)) == blob
    bad = data.draw(fst.damaged(blob))
    assert isinstance(bad, bytes) and len(bad) <= len(blob) + 64
