"""flow-export -f 2 and flow-import -f 2 on v1006 (man flow-export(1),
flow-import(1)): the address columns hold the whole addresses (RFC 5952,
dotted quads when IPv4-mapped: Python's ipaddress is the oracle), the
field-mask bit 45 is flow_label; the C reader of IPv6 text takes every
RFC 4291 form and nothing else; CSV round trips exactly, and as commands
in every byte order, compressed or not."""
import io
import ipaddress
import struct

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst
from pyflowtools.core import export as cx
from pyflowtools.core.batch import Batch
from pyflowtools.core.native import lib, rec_size
from pyflowtools.io import export, imports

RT = lib.FTC_RT_V1006
FLOW_LABEL = lib.FTC_F_FLOW_LABEL
ADDRS = ("srcaddr", "dstaddr", "nexthop")
#: the CSV columns of v1006 (canonical order; flow_label last)
COLUMNS = ["unix_secs", "unix_nsecs", "sysUpTime", "exaddr", "dPkts", "dOctets", "First",
           "Last", "engine_type", "engine_id", "srcaddr", "dstaddr", "nexthop", "input",
           "output", "srcport", "dstport", "prot", "tos", "tcp_flags", "src_mask",
           "dst_mask", "src_as", "dst_as", "src_tag", "dst_tag", "flow_label"]


def host(records):
    return oracle.encode_records("1006", records,
                                 "little" if struct.pack("=H", 1)[0] else "big")


def batch_of(records):
    data = host(records)
    b = Batch(RT, rec_size(RT), max(len(records), 1))
    b.buf[:len(data)] = data
    b.n = len(records)
    return b


def text6(a):
    ip = ipaddress.IPv6Address(a)
    return str(ip.ipv4_mapped) if ip.ipv4_mapped is not None else ip.compressed


def cell(r, name):
    if name in ADDRS:
        return text6(oracle.addr6(r, name))
    if name == "exaddr":
        return str(ipaddress.IPv4Address(r[name]))
    return str(r[name])


def csv_of(records, bits=export.ALL_FIELDS):
    out = io.BytesIO()
    with export.CsvSink(out, RT, bits) as s:
        s.write(batch_of(records))
    return out.getvalue()


def back(text, bits=None):
    seen = []
    got = []
    for b in imports.csv(io.BytesIO(text), RT, bits, seen.append):
        got += oracle.decode_records("1006", bytes(b.to_host().buf[:b.nbytes]),
                                     "little" if struct.pack("=H", 1)[0] else "big")
    assert seen == []
    return got


def test_field_mask_of_v1006():
    m = cx.xfield_mask(RT)
    assert [n for f, n in export.FIELDS if m & (1 << f)] == [c.lower() for c in COLUMNS]
    assert m >> FLOW_LABEL & 1 and FLOW_LABEL == 45
    assert not cx.xfield_mask(lib.FTC_RT_V5) >> FLOW_LABEL
    assert export.parse_names("srcaddr,flow_label") == (1 << 12) | (1 << 45)


@given(records=fst.v1006_record_lists(max_size=20),
       cols=st.lists(st.sampled_from(COLUMNS), min_size=1, unique=True))
def test_csv_equals_ipaddress_rendering(records, cols):
    cols = [c for c in COLUMNS if c in cols]
    bits = export.parse_names(",".join(cols))
    lines = csv_of(records, bits).decode().split("\n")
    assert lines[0] == "#:" + ",".join(c.lower() for c in cols)
    assert lines[1:] == [",".join(cell(r, c) for c in cols) for r in records] + [""]


@given(records=fst.v1006_record_lists(max_size=40))
def test_csv_round_trip_exact(records):
    assert back(csv_of(records)) == records


# ---- the C reader of IPv6 text ------------------------------------------------------

def parse_addr(text):
    """The srcaddr a one-column CSV line gives (v1006)."""
    (r,) = back(b"#:srcaddr\n" + text.encode() + b"\n")
    return oracle.addr6(r, "srcaddr")


def spellings(a):
    """Other RFC 4291 texts of address a: exploded, upper case, without
    leading zeros uncompressed, with its last 32 bits as a dotted quad."""
    ip = ipaddress.IPv6Address(a)
    groups = ip.exploded.split(":")
    quad = str(ipaddress.IPv4Address(a & 0xFFFFFFFF))
    return [ip.exploded, ip.compressed.upper(), ":".join(g.lstrip("0") or "0" for g in groups),
            ":".join(groups[:6]) + ":" + quad]


@given(fst.addr6s())
def test_every_spelling_reads_back(a):
    want = a
    for text in spellings(a) + [ipaddress.IPv6Address(a).compressed]:
        assert parse_addr(text) == want, text


@pytest.mark.parametrize("text", [
    "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::2", "1::2:", "12345::",
    "g::1", "::1.2.3", "::1.2.3.256", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4.5", ":::",
    "1:", "::ffff:01.2.3.4x", "fe80::1%eth0", "2001:db8::/32", " ::1",
])
def test_malformed_ipv6_text_is_unspecified(text):
    if "%" not in text:          # ipaddress takes zone indexes; a flow address has none
        with pytest.raises(ipaddress.AddressValueError):
            ipaddress.IPv6Address(text)
    assert parse_addr(text) == 0


def test_dotted_cells_are_mapped_and_missing_columns_zero():
    (r,) = back(b"#:dpkts,srcaddr,dstaddr\n7,10.1.2.3,1.2\n")
    assert oracle.addr6(r, "srcaddr") == oracle.mapped(0x0A010203)
    assert oracle.addr6(r, "dstaddr") == oracle.mapped(0x01020000)   # as the reference scans
    assert oracle.addr6(r, "nexthop") == 0 and r["dPkts"] == 7


# ---- the commands -----------------------------------------------------------------

ORDERS = [("little", 0), ("big", 0), ("little", 5), ("big", 9)]


@pytest.mark.parametrize("order,level", ORDERS)
@pytest.mark.parametrize("out_order", ["little", "big"])
def test_export_import_commands_round_trip(run_cmd, tmp_path, order, level, out_order):
    recs = [oracle.with_addr6(oracle.with_addr6(
        oracle.record("1006", dPkts=i + 1, flow_label=i * 977 & 0xFFFFF, src_tag=i),
        "srcaddr", oracle.mapped(0x0A000000 + i) if i % 2 else (0x20010DB8 << 96) + i),
        "dstaddr", oracle.mapped(0xC0000200 + i) if i % 2 else (0xFE80 << 112) + (i << 64))
        for i in range(50)]
    src = tmp_path / "in.ft"
    src.write_bytes(oracle.write_stream({"d_version": 1006, "flags": oracle.HF_STREAMING},
                                        recs, order, level))
    st_, out, err = run_cmd("flow-export -f 2 < %s | flow-import -V 1006 -f 2 -b %s -z 3"
                            % (src, out_order))
    assert st_ == 0, err
    assert err == b"flow-export: Exported 50 records\nflow-import: Imported 50 records.\n"
    h, got = oracle.read_stream(out)
    assert h["d_version"] == 1006 and h["byte_order"] == out_order
    assert got == recs


@pytest.mark.parametrize("cmd", ["flow-export -f 0", "flow-export -f 1", "flow-export -f 4"])
def test_binary_formats_refuse_v1006(run_cmd, cmd):
    st_, out, err = run_cmd("flow-gen -V 1006 -n 3 | " + cmd)
    assert st_ == 1 and out == b""
    assert err.decode().split("\n")[0] == "flow-export: Unsupported d_version 1006"


@pytest.mark.parametrize("f", ["0", "3", "4"])
def test_import_v1006_from_csv_only(run_cmd, f):
    st_, out, err = run_cmd(["flow-import", "-V", "1006", "-f", f], stdin=b"")
    assert st_ == 1 and err == b"flow-import: Unsupported export version 1006\n"
