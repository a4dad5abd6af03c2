"""v1006, pyflowtools' record version of IPv4 and IPv6 flows
(man/flow-tools-v1006.5), against the oracle: the layout, stream round trips
in both byte orders compressed or not, the IPv4 test and the pass that keeps
the IPv4 flows, conversions with the IPv4 versions, the RFC 5952 formatter
against Python's ipaddress, format 25 against format 5, the record API."""
import io
import ipaddress
import random
import struct

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst
from pyflowtools.core import fmt, recs
from pyflowtools.core.batch import Batch
from pyflowtools.core.native import ffi, field_id, layout, lib, rec_size, rectype
from pyflowtools.core.record import pack, unpack
from pyflowtools.core.xlate import Converter, version_kind, FIELDS, ZERO
from pyflowtools.io import header as hdr
from pyflowtools.io import stream
from pyflowtools.core.errors import FormatError
from pyflowtools.report import formats

RT = lib.FTC_RT_V1006
ORDERS = {"little": hdr.LITTLE, "big": hdr.BIG}
PLAIN = ("1", "5", "6", "7", "1005")
MAPPED_WORD = struct.pack("=I", 0xFFFF)


def rt_of(v):
    return rectype(*oracle.split_version(v))


def host(version, records):
    """Host-order bytes of oracle records."""
    return oracle.encode_records(version, records, "little" if struct.pack("=H", 1)[0] else "big")


def batch_of(version, records):
    rt = rt_of(version)
    data = host(version, records)
    b = Batch(rt, rec_size(rt), max(len(records), 1))
    b.buf[:len(data)] = data
    b.n = len(records)
    return b


def records_of(version, batch):
    b = batch.to_host()
    data = bytes(b.buf[:b.nbytes])
    order = "little" if struct.pack("=H", 1)[0] else "big"
    return oracle.decode_records(version, data, order)


# ---- layout ------------------------------------------------------------------

def test_layout_is_the_documented_one():
    version, agg, size, fields = layout(RT)
    assert (version, agg, size) == (1006, 0, 112) == (1006, 0, oracle.RECORD_SIZE["1006"])
    assert fields == {name: (off, w) for off, w, name in oracle.layout("1006")}
    assert rectype(1006) == RT == lib.FTC_RT_COUNT - 1


def test_new_fields_numbers_names_widths():
    names = ["srcaddr6_0", "srcaddr6_1", "srcaddr6_2", "dstaddr6_0", "dstaddr6_1",
             "dstaddr6_2", "nexthop6_0", "nexthop6_1", "nexthop6_2", "flow_label"]
    assert [field_id(n) for n in names] == list(range(36, 46))
    assert lib.FTC_F_COUNT == 46 and lib.FTC_F_FLOW_LABEL == 45
    assert all(lib.ftc_field_width(f) == 4 for f in range(36, 46))
    for rt in range(lib.FTC_RT_COUNT):                 # the IPv4 types have none
        if rt != RT:
            assert not set(names) & set(layout(rt)[3])
    # the last words are the v5 fields
    off = layout(RT)[3]
    for name, prefix in oracle.ADDRS6:
        assert off[name][0] == off[prefix + "2"][0] + 4


# ---- streams -------------------------------------------------------------------

@given(fst.streams(version="1006"))
def test_oracle_v1006_stream_reads_back(s):
    header, records, order, level = s
    data = oracle.write_stream(header, records, order, level)
    with stream.reader(io.BytesIO(data), ipv6=True) as rd:
        got = [dict(r._asdict()) for r in rd.records()]
        assert rd.header.d_version == 1006 and rd.header.ipv6
        assert rd.header.byte_order == ORDERS[order]
        assert rd.header.compressed == bool(level)
        assert rd.warnings == [] and rd.error is None
    assert got == records


@given(fst.streams(version="1006"), st.sampled_from(["little", "big"]), st.integers(0, 9),
       st.booleans())
def test_v1006_written_in_any_order_and_level(s, out_order, out_level, raw):
    header, records, order, level = s
    data = oracle.write_stream(header, records, order, level)
    out = io.BytesIO()
    with stream.reader(io.BytesIO(data), raw=raw, ipv6=True) as rd:
        w = stream.writer(out, rd.header, byte_order=ORDERS[out_order], zlevel=out_level)
        for b in rd:
            w.write(b)
        w.close()
    h2, recs2 = oracle.read_stream(out.getvalue())
    assert h2["d_version"] == 1006 and h2["byte_order"] == out_order
    assert bool(h2["flags"] & oracle.HF_COMPRESS) == bool(out_level)
    assert recs2 == records


@given(fst.streams(version="1006", max_records=8), st.data())
def test_v1006_any_chunking(s, data):
    header, records, order, level = s
    blob = oracle.write_stream(header, records, order, level)
    cuts = data.draw(fst.chunkings(len(blob)))

    class Chunky(io.RawIOBase):
        def __init__(self, chunks):
            self.chunks = [c for c in chunks if c]

        def readable(self):
            return True

        def readinto(self, b):
            if not self.chunks:
                return 0
            c = self.chunks.pop(0)
            n = min(len(b), len(c))
            b[:n] = c[:n]
            if n < len(c):
                self.chunks.insert(0, c[n:])
            return n

    with stream.reader(Chunky(fst.split_at(blob, cuts)), ipv6=True) as rd:
        assert [dict(r._asdict()) for r in rd.records()] == records


def test_readers_refuse_v1006_unless_asked():
    data = oracle.write_stream({"d_version": 1006, "flags": 0}, [], "little")
    with pytest.raises(FormatError, match=r"^Unsupported d_version 1006$"):
        stream.reader(io.BytesIO(data))
    with stream.reader(io.BytesIO(data), ipv6=True) as rd:
        assert list(rd) == []


# ---- IPv4 flows ----------------------------------------------------------------

@given(fst.v1006_record_lists(max_size=40))
def test_keep_ipv4_equals_oracle(records):
    b = batch_of("1006", records)
    for i, r in enumerate(records):
        assert recs.is_ipv4(RT, b.ptr + i * 112) == oracle.is_ipv4(r)
    kept = recs.keep_ipv4(RT, b.ptr, b.n)
    b.n = kept
    assert records_of("1006", b) == [r for r in records if oracle.is_ipv4(r)]


def test_keep_ipv4_other_types_and_bounds():
    b = batch_of("5", [oracle.record("5", srcaddr=1)] * 3)
    assert recs.keep_ipv4(b.rectype, b.ptr, 3) == 3
    assert recs.keep_ipv4(RT, ffi.NULL, 0) == 0
    kept = ffi.new("size_t *")
    assert lib.ftc_recs_keep_ipv4(99, ffi.NULL, 0, kept) == lib.FTC_EINVAL
    assert lib.ftc_recs_keep_ipv4(RT, ffi.NULL, 1, kept) == lib.FTC_EINVAL
    assert lib.ftc_rec_is_ipv4(RT, ffi.NULL) == lib.FTC_EINVAL
    # mapped source and IPv6 destination, and the reverse: IPv6 flows
    r = oracle.with_addr6(oracle.record("1006"), "srcaddr", oracle.mapped(7))
    for one in (r, oracle.with_addr6(oracle.record("1006"), "dstaddr", oracle.mapped(7))):
        assert not recs.is_ipv4(RT, batch_of("1006", [one]).ptr)


# ---- conversions ---------------------------------------------------------------

def _expected_into_1006(v_in, r):
    out = {n: 0 for n in oracle.fields("1006")}
    out.update({n: r[n] for n in oracle.fields("1006") if n in r})
    for name, _ in oracle.ADDRS6:
        out = oracle.with_addr6(out, name, oracle.mapped(r[name]))
    return out


@given(st.sampled_from(PLAIN), st.data())
def test_ipv4_versions_into_1006_mapped(v_in, data):
    records = data.draw(st.lists(fst.records(v_in), max_size=8))
    out = Converter(rt_of(v_in), RT).convert(batch_of(v_in, records))
    got = records_of("1006", out)
    assert got == [_expected_into_1006(v_in, r) for r in records]
    assert all(oracle.is_ipv4(g) for g in got)


@given(st.sampled_from(PLAIN + ("8.1", "8.14", "1006")), fst.v1006_record_lists(max_size=12))
def test_1006_into_others_keeps_exactly_the_ipv4_flows(v_out, records):
    conv = Converter(RT, rt_of(v_out))
    out = conv.convert(batch_of("1006", records))
    got = records_of(v_out, out)
    if v_out == "1006":
        assert got == records and conv.dropped == 0
        return
    four = [r for r in records if oracle.is_ipv4(r)]
    assert conv.dropped == len(records) - len(four)
    zero = {n: 0 for n in oracle.fields(v_out)}
    if "." in v_out:
        assert got == [zero] * len(four)
    else:
        assert got == [dict(zero, **{n: r[n] for n in oracle.fields(v_out) if n in r})
                       for r in four]


@given(fst.record_lists("5", max_size=16))
def test_v5_to_1006_and_back_is_identical(records):
    there = Converter(rt_of("5"), RT).convert(batch_of("5", records))
    back = Converter(RT, rt_of("5")).convert(there.copy())
    assert records_of("5", back) == records


def test_conversion_kinds():
    assert version_kind(rt_of("1005"), RT) == FIELDS
    assert version_kind(RT, rt_of("1005")) == FIELDS
    for v in ("1", "5", "6", "7"):
        assert version_kind(rt_of(v), RT) == version_kind(RT, rt_of(v)) == FIELDS
    assert version_kind(rt_of("8.5"), RT) == version_kind(RT, rt_of("8.5")) == ZERO


def _converted_bytes(v_in, v_out, data):
    """What ftc_xlate_version must write from/into v1006, byte for byte (host
    order): the fields both have moved, the rest 0, into v1006 from another
    type the ::ffff: words of the three addresses."""
    size_in, size_out = oracle.RECORD_SIZE[v_in], oracle.RECORD_SIZE[v_out]
    if v_in == v_out:
        return bytes(data)
    n = len(data) // size_in
    out = bytearray(size_out * n)
    if "." in v_in or "." in v_out:
        return bytes(out)
    src = {name: (off, w) for off, w, name in oracle.layout(v_in)}
    dst = {name: (off, w) for off, w, name in oracle.layout(v_out)}
    for i in range(n):
        if v_out == "1006":
            for _, prefix in oracle.ADDRS6:
                o = i * size_out + dst[prefix + "2"][0]
                out[o:o + 4] = MAPPED_WORD
        for off, w, name in oracle.layout(v_out):
            if name in src and not (name == "output" and v_in == "1" and v_out in ("5", "6", "7")):
                s = i * size_in + src[name][0]
                out[i * size_out + off:i * size_out + off + w] = data[s:s + w]
    return bytes(out)


@pytest.mark.parametrize("v", oracle.VERSIONS)
@pytest.mark.parametrize("into", [True, False])
def test_conversion_bytes_pads_included(v, into):
    """From and into v1006, input pads full of junk: every output byte as
    the obvious conversion says (pads 0), the bytes past the output kept."""
    rng = random.Random(v + str(into))
    v_in, v_out = (v, "1006") if into else ("1006", v)
    rt_in, rt_out = rt_of(v_in), rt_of(v_out)
    size_in, size_out = rec_size(rt_in), rec_size(rt_out)
    for n in (0, 1, 7):
        src = bytearray(rng.getrandbits(8) for _ in range(n * size_in))
        out = bytearray(b"\xa5" * (size_out * n + 3))
        r = lib.ftc_xlate_version(rt_in, ffi.from_buffer("uint8_t[]", src), n, rt_out,
                                  ffi.from_buffer("uint8_t[]", out), len(out))
        assert r == lib.FTC_OK
        assert bytes(out[:size_out * n]) == _converted_bytes(v_in, v_out, src), (v_in, v_out)
        assert out[size_out * n:] == b"\xa5" * 3


# ---- text ------------------------------------------------------------------------

def _words(a):
    return [(a >> (96 - 32 * k)) & 0xFFFFFFFF for k in range(4)]


def expected_text(a):
    """flow-print's text of a 128-bit address: dotted quad when mapped,
    else Python's RFC 5952 form."""
    ip = ipaddress.IPv6Address(a)
    return str(ip.ipv4_mapped) if ip.ipv4_mapped is not None else ip.compressed


@given(fst.addr6s())
def test_addr6_text_equals_ipaddress(a):
    assert fmt.addr6(_words(a)) == expected_text(a)


@pytest.mark.parametrize("text,want", [
    ("::", "::"), ("::1", "::1"), ("1::", "1::"), ("2001:db8::1", "2001:db8::1"),
    ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),        # first of equal runs
    ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),               # the longest run
    ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),      # one 0 group stays
    ("::ffff:192.0.2.1", "192.0.2.1"), ("::ffff:0:0", "0.0.0.0"),
    ("::192.0.2.1", "::c000:201"), ("::ffff:0:192.0.2.1", "::ffff:0:c000:201"),
    ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("fe80::1:0:0:5", "fe80::1:0:0:5"),
])
def test_addr6_known_answers(text, want):
    assert fmt.addr6(_words(int(ipaddress.IPv6Address(text)))) == want


def test_addr6_entry_point_bounds():
    w = ffi.new("uint32_t[4]", [0x20010DB8, 0, 0, 1])
    out = ffi.new("char[]", 64)
    n = ffi.new("size_t *")
    assert lib.ftc_fmt_addr6(w, out, 10, n) == lib.FTC_EFULL and n[0] == 0
    assert lib.ftc_fmt_addr6(w, out, 11, n) == lib.FTC_OK and n[0] == 11
    assert lib.ftc_fmt_addr6(ffi.NULL, out, 11, n) == lib.FTC_EINVAL
    assert lib.ftc_fmt_addr6(w, ffi.NULL, 11, n) == lib.FTC_EINVAL
    assert lib.FTC_ADDR6_TEXT_MAX == len("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")


def _as_v5(r):
    v5 = {n: 0 for n in oracle.fields("5")}
    v5.update({n: r[n] for n in oracle.fields("5") if n in r})
    return v5


def test_format_25_is_format_5_with_wide_addresses(tz):
    """Format 25 of a v1006 record = format 5 of its v5 fields (a fixed-width
    format: 17, 17, 5, 15, 5, 5, 15, ... each with a space) with the address
    columns 39 wide holding the addresses' text."""
    tz("UTC")
    f25 = formats.Printer(RT, 25)
    f5 = formats.Printer(rt_of("5"), 5)
    check_format_25(f25, f5)
    head5 = f5.header().decode()
    assert f25.header().decode() == (head5[:42] + "SrcIPaddress".ljust(40) + head5[58:70]
                                     + "DstIPaddress".ljust(40) + head5[86:])


@given(records=fst.v1006_record_lists(min_size=1, max_size=12))
def check_format_25(f25, f5, records):
    got = f25.format_bytes(host("1006", records)).decode().split("\n")[:-1]
    five = f5.format_bytes(host("5", [_as_v5(r) for r in records])).decode().split("\n")[:-1]
    assert len(got) == len(five) == len(records)
    for line, ref, r in zip(got, five, records):
        want = (ref[:42] + expected_text(oracle.addr6(r, "srcaddr")).ljust(39) + " "
                + ref[58:70] + expected_text(oracle.addr6(r, "dstaddr")).ljust(39) + " "
                + ref[86:])
        assert line == want


def test_formats_of_1006():
    assert formats.default_format(RT) == 25
    for f in range(formats.REF_COUNT):      # 0-6 and 9 print v1006 (test_formats_v1006)
        if f not in (0, 1, 2, 3, 4, 5, 6, 9):
            with pytest.raises(formats.MissingField):
                formats.check_format(f, RT)
    for rt in range(lib.FTC_RT_COUNT):
        if rt != RT:
            with pytest.raises(formats.NoSuchFormat):
                formats.check_format(25, rt)
    assert lib.ftc_fmt_check(25, RT) == lib.FTC_OK
    assert lib.ftc_fmt_check(26, RT) == lib.FTC_EFORMAT


# ---- flow-gen's records, the record API ------------------------------------------

def test_gen_v1006_records():
    n = 6
    b = Batch(RT, 112, n)
    recs.gen(RT, 0, n, b.ptr)
    b.n = n
    got = records_of("1006", b)
    for i, r in enumerate(got):
        if i % 2 == 0:
            assert oracle.is_ipv4(r) and r["flow_label"] == 0
            assert oracle.addr6(r, "srcaddr") == oracle.mapped(i)
            assert oracle.addr6(r, "dstaddr") == oracle.mapped(0xFFFF0000 + i)
            assert oracle.addr6(r, "nexthop") == oracle.mapped(0)
        else:
            assert not oracle.is_ipv4(r) and r["flow_label"] == i
            assert str(ipaddress.IPv6Address(oracle.addr6(r, "srcaddr"))) == "2001:db8::%x" % i
            assert oracle.addr6(r, "dstaddr") == int(ipaddress.IPv6Address("2001:db8:0:1::")) \
                + 0xFFFF0000 + i
            assert str(ipaddress.IPv6Address(oracle.addr6(r, "nexthop"))) == "fe80::%x" % i
        assert (r["src_tag"], r["dst_tag"], r["tos"], r["prot"]) == (i, 255 + i, i, 17)


def test_record_api_addresses():
    r = oracle.with_addr6(oracle.record("1006", dPkts=3), "srcaddr",
                          int(ipaddress.IPv6Address("2001:db8::7")))
    r = oracle.with_addr6(r, "dstaddr", oracle.mapped(0x0A000001))
    (t,) = unpack(RT, host("1006", [r]), 1)
    assert ipaddress.IPv6Address(t.srcaddr6) == ipaddress.IPv6Address("2001:db8::7")
    assert t.dstaddr6 == oracle.mapped(0x0A000001) and t.dstaddr == 0x0A000001
    assert t.srcaddr == 7 and not t.is_ipv4
    assert pack(RT, [{"srcaddr6": t.srcaddr6, "dstaddr6": t.dstaddr6, "dPkts": 3}]) \
        == host("1006", [r])
    v4 = pack(RT, [{"srcaddr6": oracle.mapped(1), "dstaddr6": oracle.mapped(2)}])
    assert unpack(RT, v4, 1)[0].is_ipv4
