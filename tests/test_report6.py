"""flow-report on v1006 (IPv4 and IPv6 flows): for random mixed records and
random report definitions the report equals tests/report_oracle.py (which
keys v1006 records on their 128-bit addresses, ipaddress for prefixes and
text); and IPv4 flows stored as v1006 report exactly as the same flows in
v5."""
import io
import ipaddress

from hypothesis import given, strategies as st

import oracle
import report_oracle
from pyflowtools.io import stream
from pyflowtools.report import flowreport, statcfg

V4 = [0x0A000001, 0x0A000002, 0xC0A80101, 0xE0000005, 0x08080808]
V6 = [int(ipaddress.IPv6Address(a)) for a in
      ("2001:db8::1", "2001:db8::2", "2001:db8:0:1::1", "fe80::1", "::1", "ff02::1:2",
       "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "64:ff9b::a00:1")]


def base(version, **kw):
    r = {n: 0 for n in oracle.fields(version)}
    r.update(dPkts=1, dOctets=40, unix_secs=1600000000, First=1000, Last=2000)
    r.update(kw)
    return r


@st.composite
def flows(draw, version="1006"):
    """A record: on v1006 an IPv4 flow (mapped, lengths 1..32) or an IPv6
    one (lengths 0..140: above 128 keeps the whole address)."""
    first = draw(st.integers(0, 5000))
    r = base(version, unix_secs=draw(st.sampled_from([1600000000, 1600000005])),
             sysUpTime=10000, dPkts=draw(st.integers(0, 4)),
             dOctets=draw(st.integers(0, 3000)), First=first,
             Last=first + draw(st.sampled_from([0, 1, 999, 4000])),
             exaddr=draw(st.integers(0, 2)), input=draw(st.integers(0, 3)),
             output=draw(st.integers(0, 3)), srcport=draw(st.sampled_from([0, 22, 80])),
             dstport=draw(st.sampled_from([0, 25, 443])), prot=draw(st.sampled_from([1, 6, 17])),
             tos=draw(st.integers(0, 2)), src_as=draw(st.integers(0, 3)),
             dst_as=draw(st.integers(0, 3)), engine_id=draw(st.integers(0, 1)),
             src_mask=draw(st.integers(1, 32)), dst_mask=draw(st.integers(1, 32)))
    if version != "1006":
        for f in ("srcaddr", "dstaddr", "nexthop"):
            r[f] = draw(st.sampled_from(V4))
        return r
    if draw(st.booleans()):
        for f in ("srcaddr", "dstaddr", "nexthop"):
            r = oracle.with_addr6(r, f, oracle.mapped(draw(st.sampled_from(V4))))
    else:
        for f in ("srcaddr", "dstaddr", "nexthop"):
            r = oracle.with_addr6(r, f, draw(st.sampled_from(V6)))
        r["src_mask"] = draw(st.integers(0, 140))
        r["dst_mask"] = draw(st.integers(0, 140))
    return r


@st.composite
def definitions(draw, types=None):
    name = draw(st.sampled_from(types or [t for t in statcfg.TYPE_NAMES if "tag" not in t]))
    rt = statcfg.TYPES[name]
    lines = ["stat-report r", "  type " + name]
    for which in ("source", "destination"):
        if draw(st.booleans()):
            lines.append("  ip-%s-address-format %s" % (
                which, draw(st.sampled_from(statcfg.ADDRESS_FORMATS))))
    allowed = sorted(rt.allowed_fields())
    sortable = sorted(f for f in allowed if f in statcfg.SORT_FIELDS and f != "other")
    lines.append("  output")
    if sortable and draw(st.booleans()):
        lines.append("    sort %s%s" % (draw(st.sampled_from("+-")), draw(st.sampled_from(sortable))))
    if allowed and draw(st.booleans()):
        picks = draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=4))
        lines.append("    fields " + ",".join(draw(st.sampled_from("+-")) + f for f in picks))
    opts = draw(st.lists(st.sampled_from(sorted(rt.allowed_options()
                                                - {"header", "xheader", "names"})), max_size=2))
    if opts:
        lines.append("    options " + ",".join("+" + o for o in opts))
    if draw(st.booleans()):
        lines.append("    records %d" % draw(st.integers(0, 4)))
    lines += ["stat-definition d", "  report r"]
    return "\n".join(lines) + "\n"


def library_output(cfg_text, data):
    cfg = statcfg.parse(cfg_text, "p.cfg")
    out = io.StringIO()
    with stream.reader(io.BytesIO(data), ipv6=True) as rd:
        run = flowreport.DefinitionRun(cfg, cfg.definition("d"), rd.header, lambda m: None,
                                       stdout=out, now=0)
        for batch in rd:
            run.add(batch)
        run.finish()
    return out.getvalue()


ADDRESS_TYPES = [t for t in statcfg.TYPE_NAMES if "address" in t or "prefix" in t
                 or "next-hop" in t]


@given(recs=st.lists(flows(), max_size=14),
       cfg_text=st.one_of(definitions(ADDRESS_TYPES), definitions()))
def test_v1006_reports_equal_the_oracle(recs, cfg_text):
    data = oracle.write_stream({"d_version": 1006}, recs)
    expected = report_oracle.evaluate(statcfg.parse(cfg_text, "p.cfg"), "d", recs,
                                      set(oracle.fields("1006")), now=0)
    assert library_output(cfg_text, data) == expected, cfg_text


def as_v1006(r):
    """A v5 record as flow-cat -V 1006 stores it (man flow-tools-v1006.5)."""
    out = {n: r.get(n, 0) for n in oracle.fields("1006")}
    for f in ("srcaddr", "dstaddr", "nexthop"):
        out = oracle.with_addr6(out, f, oracle.mapped(r[f]))
    return out


@given(recs=st.lists(flows("5"), max_size=14), cfg_text=definitions())
def test_ipv4_flows_report_as_on_v5(recs, cfg_text):
    v5 = library_output(cfg_text, oracle.write_stream({"d_version": 5}, recs))
    v6 = library_output(cfg_text, oracle.write_stream({"d_version": 1006},
                                                      [as_v1006(r) for r in recs]))
    assert v6 == v5, cfg_text


def test_the_v1006_property_can_fail():
    """IPv6 sources that differ only in their upper words are two keys: a
    kernel keying on the last word alone would print one row."""
    a = oracle.with_addr6(base("1006"), "srcaddr", V6[0])
    b = oracle.with_addr6(base("1006"), "srcaddr", V6[0] | (1 << 120))
    cfg_text = ("stat-report r\n  type ip-source-address\n  output\n    sort -key\n"
                "stat-definition d\n  report r\n")
    got = library_output(cfg_text, oracle.write_stream({"d_version": 1006}, [a, b]))
    assert got.splitlines()[1:] == ["2001:db8::1,1,40,1,1000",
                                    "2101:db8::1,1,40,1,1000"] != got.splitlines()[1:2]
    wrong = report_oracle.evaluate(statcfg.parse(cfg_text), "d", [a, a],
                                   set(oracle.fields("1006")))
    assert got != wrong


def test_names_on_128_bit_address_keys(monkeypatch):
    """+names on v1006: every address key (IPv6 or IPv4) prints the name the
    resolver gives its text, else the address (no /len)."""
    import socket
    names = {"2001:db8::1": "six.example", "10.0.0.1": "four.example"}
    asked = []

    def fake(text):
        asked.append(text)
        if text not in names:
            raise OSError("unknown host")
        return names[text], [], [text]
    monkeypatch.setattr(socket, "gethostbyaddr", fake)
    recs = [oracle.with_addr6(base("1006", src_mask=64), "srcaddr", a) for a in
            (V6[0], V6[1], oracle.mapped(V4[0]), oracle.mapped(V4[1]), V6[0])]
    cfg_text = ("stat-report r\n  type ip-source-address\n  ip-source-address-format prefix-len\n"
                "  output\n    options +names\n    fields -duration\n"
                "stat-definition d\n  report r\n")
    got = library_output(cfg_text, oracle.write_stream({"d_version": 1006}, recs))
    assert got.splitlines()[1:] == ["six.example,2,80,2", "2001:db8::2,1,40,1",
                                    "four.example,1,40,1", "10.0.0.2,1,40,1"]
    assert sorted(asked) == sorted(["2001:db8::1", "2001:db8::2", "10.0.0.1", "10.0.0.2"])
