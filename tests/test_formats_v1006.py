"""flow-print's formats 0-6 and 9 on v1006 (man flow-print(1), IPV6):
IPv4 flows print exactly as their version 5 (1005) form; an IPv6 address
prints in RFC 5952 form (Python's ipaddress as the oracle) in a column
widened to 39, an IPv6 prefix to 43; the other formats refuse v1006 as they
refuse version 5."""
import ipaddress
import struct

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst
from pyflowtools.core.native import lib, rectype
from pyflowtools.report import formats

RT = lib.FTC_RT_V1006
V1006_FORMATS = (0, 1, 2, 3, 4, 5, 6, 9)
#: the columns' sentinels: 15-character dotted quads (full IPv4 columns)
#: that no other column of these formats prints
S_SRC, S_DST = 0xFAFAFAFA, 0xFBFBFBFB
PFX_FORMATS = (4,)


def host(version, records):
    return oracle.encode_records(version, records, "little" if struct.pack("=H", 1)[0] else "big")


def rt_of(v):
    return rectype(*oracle.split_version(v))


def as_ipv4(r, version):
    """The fields of `version` of a v1006 record (the addresses' last words)."""
    out = {n: 0 for n in oracle.fields(version)}
    out.update({n: r[n] for n in oracle.fields(version) if n in r})
    return out


def text(a):
    """An address as flow-print writes it: dotted quad when IPv4-mapped."""
    ip = ipaddress.IPv6Address(a)
    return str(ip.ipv4_mapped) if ip.ipv4_mapped is not None else ip.compressed


def prefix_text(a, length):
    net = ipaddress.IPv6Network((a, min(length, 128)), strict=False)
    return "%s/%d" % (text(int(net.network_address)), length)


def expected_line(fmt, r, opts):
    """Format fmt of one v1006 record through the version 5 (format 9:
    1005) printer: an IPv4 flow as is; an IPv6 flow with sentinel IPv4
    addresses whose text is then replaced by the IPv6 text, padded to 39
    (prefixes 43) unless IPv4-mapped."""
    ref_version = "1005" if fmt == 9 else "5"
    printer = formats.Printer(rt_of(ref_version), fmt, **opts)
    v4 = as_ipv4(r, ref_version)
    if oracle.is_ipv4(r):
        return printer.format_bytes(host(ref_version, [v4])).decode()
    v4["srcaddr"], v4["dstaddr"] = S_SRC, S_DST
    if fmt in PFX_FORMATS:
        v4["src_mask"] = v4["dst_mask"] = 32
    line = printer.format_bytes(host(ref_version, [v4])).decode()
    for name, sentinel in (("srcaddr", S_SRC), ("dstaddr", S_DST)):
        s = str(ipaddress.IPv4Address(sentinel))
        a = oracle.addr6(r, name)
        if fmt in PFX_FORMATS:
            line = line.replace(s + "/32", prefix_text(a, r[name[:3] + "_mask"]).ljust(43))
        else:
            t = text(a)
            line = line.replace(s, t.ljust(15 if ipaddress.IPv6Address(a).ipv4_mapped else 39))
    return line


OPTS = st.sampled_from([{}, {"wide": True}, {"names": True}])


@pytest.mark.parametrize("fmt", V1006_FORMATS)
@given(records=fst.v1006_record_lists(min_size=1, max_size=8), opts=OPTS)
def test_format_of_mixed_records_equals_ipaddress_rendering(fmt, records, opts):
    p = formats.Printer(RT, fmt, **opts)
    got = p.format_bytes(host("1006", records)).decode()
    assert got == "".join(expected_line(fmt, r, opts) for r in records)


@pytest.mark.parametrize("fmt", (0, 1, 2, 3, 4, 5, 6))
@given(records=fst.record_lists("5", min_size=1, max_size=16), opts=OPTS)
def test_v5_records_mapped_print_byte_identical(fmt, records, opts):
    """The rule of man flow-print(1): flow-cat -V 1006 of a v5 stream prints
    as the v5 stream, header included."""
    six = []
    for r in records:
        x = oracle.record("1006", **{n: r[n] for n in oracle.fields("5")
                                     if n in oracle.fields("1006")})
        for name in ("srcaddr", "dstaddr", "nexthop"):
            x = oracle.with_addr6(x, name, oracle.mapped(r[name]))
        six.append(x)
    p5, p6 = formats.Printer(rt_of("5"), fmt, **opts), formats.Printer(RT, fmt, **opts)
    assert p6.header() == p5.header()
    assert p6.format_bytes(host("1006", six)) == p5.format_bytes(host("5", records))
    assert p6.bogus == p5.bogus


def test_formats_that_do_not_apply_refuse_as_for_v5():
    for f in range(formats.REF_COUNT):
        if f in V1006_FORMATS:
            formats.check_format(f, RT)
        else:
            with pytest.raises(formats.MissingField):
                formats.check_format(f, RT)
    assert formats.default_format(RT) == 25


def test_known_lines():
    r = oracle.record("1006", dPkts=2, dOctets=80, prot=6, srcport=1, dstport=2,
                      src_mask=48, dst_mask=129)
    r = oracle.with_addr6(r, "srcaddr", int(ipaddress.IPv6Address("2001:db8:1:2::9")))
    r = oracle.with_addr6(r, "dstaddr", oracle.mapped(0x0A000001))
    three = formats.Printer(RT, 3).format_bytes(host("1006", [r])).decode()
    assert three == ("2001:db8:1:2::9".ljust(39) + "  " + "10.0.0.1".ljust(15) + "  "
                     + "6     1        2        80          2         \n")
    four = formats.Printer(RT, 4).format_bytes(host("1006", [r])).decode()
    assert four.startswith("2001:db8:1::/48".ljust(43) + " " + "10.0.0.1/129".ljust(43) + " ")


# ---- the command ----------------------------------------------------------------

def _v5_inputs():
    return ["crafted-v5.ft", "gen-v5.ft", "real-masscan-tcp.ft", "real-allflags.ft"]


@pytest.mark.parametrize("name", _v5_inputs())
def test_flow_print_of_cat_V1006_is_identical(run_cmd, tmp_path, name):
    import pathlib
    src = pathlib.Path(__file__).parent / "conformance" / "inputs" / name
    six = tmp_path / "six.ft"
    st_, out, err = run_cmd(["flow-cat", "-V", "1006", str(src)])
    assert st_ == 0
    six.write_bytes(out)
    checked = 0
    for fmt in (0, 1, 2, 3, 4, 5, 6):
        for extra in ([], ["-w"], ["-n"], ["-n", "-w"]):
            a = run_cmd(["flow-print", "-f", str(fmt)] + extra, stdin=src.read_bytes())
            b = run_cmd(["flow-print", "-f", str(fmt)] + extra, stdin=six.read_bytes())
            assert a == b, (fmt, extra)
            checked += a[0] == 0 and len(a[1]) > 200
    assert checked >= 20


@pytest.mark.parametrize("fmt", [7, 8, 10, 17, 24])
def test_flow_print_refuses_other_formats(run_cmd, fmt):
    st_, out, err = run_cmd("flow-gen -V 1006 -n 4 | flow-print -f %d" % fmt)
    assert st_ == 255 and out == b""
    assert err == b"flow-print: Flow record missing required field for format.\n"
