"""flow-nfilter's filter.cfg language (pyflowtools/filters/nfilter.py):
every primitive type, every match type and alias, definitions, variables,
the `!` list rule, warnings and errors with FILE:LINE; and a property test:
the C evaluation of random definitions over random records equals a plain
evaluator written here from commands.md section 5.

Records and stream bytes come from tests/oracle.py; the evaluator below
never imports pyflowtools' filter code."""
import calendar
import io
import os
import time
from contextlib import contextmanager

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst
from pyflowtools.io import stream
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.filters import nfilter

U32 = 0xFFFFFFFF


# ---------------------------------------------------------------- helpers

def header_for(version):
    major, minor = oracle.split_version(version)
    h = {"d_version": major}
    if major == 8:
        h["agg_method"] = minor
    return h


def rec(version="5", **fields):
    """A record of `version` with every field 0 but those given."""
    r = {name: 0 for name in oracle.fields(version)}
    for k, v in fields.items():
        assert k in r, k
        r[k] = v
    return r


def ip(text):
    a, b, c, d = (int(x) for x in text.split("."))
    return a << 24 | b << 16 | c << 8 | d


def selected(cfg, name, records, version="5"):
    """Indexes of the records definition `name` accepts (C evaluation)."""
    if isinstance(cfg, str):
        cfg = nfilter.parse(cfg, "t.cfg")
    data = oracle.write_stream(header_for(version), records)
    out = []
    with stream.reader(io.BytesIO(data), ipv6=True) as rd:
        prog = cfg.program(name, rd.rectype)
        for b in rd:
            out.extend(prog.select(b))
    assert len(out) == len(records)
    return [i for i, s in enumerate(out) if s]


def one_primitive(ptype, lines, match, extra=""):
    """A file with primitive P of `ptype` and definition d = `match P`."""
    body = "\n".join("  " + ln for ln in lines)
    return ("filter-primitive P\n  type %s\n%s\n%sfilter-definition d\n  match %s P\n"
            % (ptype, body, extra, match))


def load_error(text, filename="t.cfg"):
    with pytest.raises(nfilter.ConfigError) as e:
        nfilter.parse(text, filename)
    return str(e.value)


@contextmanager
def tz(zone):
    old = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


# ---------------------------------------------------------------- list types

def test_ip_port_list_ranges_names_and_default():
    cfg = one_primitive("ip-port", ["permit 80,443", "permit 1000-1002", "permit ssh"],
                        "ip-destination-port")
    ports = [80, 443, 999, 1000, 1001, 1002, 1003, 22, 0, 65535]
    recs = [rec(dstport=p) for p in ports]
    assert selected(cfg, "d", recs) == [0, 1, 3, 4, 5, 7]


def test_port_names_dash_is_the_range_operator():
    # `http,ssh-telnet` is 80 plus the range ssh..telnet = 22..23 (5.4)
    cfg = one_primitive("ip-port", ["permit http,ssh-telnet"], "dst-ip-port")
    recs = [rec(dstport=p) for p in (80, 22, 23, 24, 21)]
    assert selected(cfg, "d", recs) == [0, 1, 2]
    msg = load_error(one_primitive("ip-port", ["permit ftp-data"], "dst-ip-port"))
    assert msg == 't.cfg:3: symbol lookup for "data" failed.'


def test_backwards_and_open_ranges():
    cfg = one_primitive("ip-port", ["permit 10-5", "permit 20-", "permit ,,30"], "dst-ip-port")
    recs = [rec(dstport=p) for p in (5, 7, 10, 20, 21, 30)]
    assert selected(cfg, "d", recs) == [2, 3, 5]


def test_numbers_use_c_base_detection():
    cfg = one_primitive("ip-port", ["permit 0x50", "permit 010"], "dst-ip-port")
    recs = [rec(dstport=p) for p in (80, 8, 10, 50)]
    assert selected(cfg, "d", recs) == [0, 1]


def test_bang_gives_the_opposite_and_leaves_the_rest_unset():
    # `permit !80` alone rejects everything (80 denied, the rest unset -> deny)
    recs = [rec(dstport=p) for p in (80, 81, 443)]
    assert selected(one_primitive("ip-port", ["permit !80"], "dst-ip-port"), "d", recs) == []
    assert selected(one_primitive("ip-port", ["permit !80", "default permit"], "dst-ip-port"),
                    "d", recs) == [1, 2]
    assert selected(one_primitive("ip-port", ["deny !80"], "dst-ip-port"), "d", recs) == [0]
    assert selected(one_primitive("ip-port", ["deny 80", "default permit"], "dst-ip-port"),
                    "d", recs) == [1, 2]


def test_value_set_twice_warns_with_file_line_and_later_wins():
    warnings = []
    cfg = nfilter.parse(one_primitive("ip-port", ["permit 80-81", "deny 81"], "dst-ip-port"),
                        "w.cfg", warn=warnings.append)
    assert warnings == ["w.cfg:4: index 81 previously set as permit."]
    assert selected(cfg, "d", [rec(dstport=80), rec(dstport=81)]) == [0]


def test_ip_protocol_names_case_insensitive():
    cfg = one_primitive("ip-protocol", ["permit TCP,Udp", "permit 1"], "ip-protocol")
    recs = [rec(prot=p) for p in (6, 17, 1, 0, 255)]
    assert selected(cfg, "d", recs) == [0, 1, 2]


@pytest.mark.parametrize("ptype,match,field,mask,lines,values,want", [
    ("ip-tcp-flags", "ip-tcp-flags", "tcp_flags", None, ["permit 0x02"],
     [0x02, 0x12, 0x00, 0x82], [0]),
    ("ip-tcp-flags", "ip-tcp-flags", "tcp_flags", "0x02", ["permit 0x02"],
     [0x02, 0x12, 0x00, 0x82, 0x10], [0, 1, 3]),
    ("ip-tcp-flags", "ip-tcp-flags", "tcp_flags", "0x3f", ["permit 0x02"],
     [0x02, 0x42, 0x82, 0x12], [0, 1, 2]),
    ("ip-tos", "ip-tos", "tos", "0x0f", ["permit 0x01"], [0x01, 0x11, 0xf1, 0x02], [0, 1, 2]),
    ("ip-tos", "ip-tos", "tos", None, ["permit 0-31"], [0, 31, 32, 255], [0, 1]),
])
def test_masked_types(ptype, match, field, mask, lines, values, want):
    if mask is not None:
        lines = ["mask " + mask] + lines
    cfg = one_primitive(ptype, lines, match)
    assert selected(cfg, "d", [rec(**{field: v}) for v in values]) == want


def test_tcp_flags_apply_to_any_protocol():
    cfg = one_primitive("ip-tcp-flags", ["permit 0x02"], "ip-tcp-flags")
    recs = [rec(prot=17, tcp_flags=2), rec(prot=6, tcp_flags=2)]
    assert selected(cfg, "d", recs) == [0, 1]


def test_as_names_come_from_tag_sym():
    # the reference's bug: `permit OSU` is AS 1 (tag.sym 0x0001), GOOGLE fails
    cfg = one_primitive("as", ["permit OSU,3"], "src-as")
    recs = [rec(src_as=a) for a in (1, 3, 15169, 2)]
    assert selected(cfg, "d", recs) == [0, 1]
    assert load_error(one_primitive("as", ["permit GOOGLE"], "src-as")) == \
        't.cfg:3: symbol lookup for "GOOGLE" failed.'


@pytest.mark.parametrize("ptype,limit", [
    ("ip-protocol", 255), ("ip-port", 65535), ("ip-tos", 255), ("ip-tcp-flags", 255),
    ("as", 65535), ("ifindex", 65535), ("engine", 255), ("ip-address-prefix-len", 128)])
def test_list_limits(ptype, limit):
    match = {"ip-protocol": "ip-protocol", "ip-port": "dst-ip-port", "ip-tos": "ip-tos",
             "ip-tcp-flags": "ip-tcp-flags", "as": "src-as", "ifindex": "input-interface",
             "engine": "engine-id", "ip-address-prefix-len": "src-ip-addr-prefix-len"}[ptype]
    nfilter.parse(one_primitive(ptype, ["permit %d" % limit], match))
    assert load_error(one_primitive(ptype, ["permit %d" % (limit + 1)], match)) == \
        "t.cfg:3: Value out of range."
    assert load_error(one_primitive(ptype, ["permit 1-%d" % (limit + 1)], match)) == \
        "t.cfg:3: Value out of range."


def test_prefix_len_values_above_32_get_the_default():
    cfg = one_primitive("ip-address-prefix-len", ["permit 0,24-32", "default deny"],
                        "dst-ip-addr-prefix-len")
    recs = [rec(dst_mask=m) for m in (0, 24, 32, 33, 255, 8)]
    assert selected(cfg, "d", recs) == [0, 1, 2]
    cfg = one_primitive("ip-address-prefix-len", ["deny 8", "default permit"],
                        "src-ip-addr-prefix-len")
    assert selected(cfg, "d", [rec(src_mask=m) for m in (8, 33, 255)]) == [1, 2]


def test_ifindex_and_engine():
    cfg = one_primitive("ifindex", ["permit 1-3,65535"], "output-interface")
    assert selected(cfg, "d", [rec(output=v) for v in (0, 1, 3, 4, 65535)]) == [1, 2, 4]
    cfg = one_primitive("engine", ["permit 7"], "engine-type")
    assert selected(cfg, "d", [rec(engine_type=7), rec(engine_id=7)]) == [0]


# ---------------------------------------------------------------- addresses

def test_ip_address_exact():
    cfg = one_primitive("ip-address", ["permit 10.0.0.1", "permit 10.1", "deny 10.0.0.2",
                                       "default deny"], "ip-source-address")
    recs = [rec(srcaddr=ip(a)) for a in ("10.0.0.1", "10.1.0.0", "10.0.0.2", "10.0.0.3")]
    assert selected(cfg, "d", recs) == [0, 1]


def test_ip_address_mask_first_match_and_unmasked_address():
    cfg = one_primitive("ip-address-mask", ["deny 10.1.0.0 255.255.0.0",
                                            "permit 10.0.0.0 255.0.0.0",
                                            "permit 192.168.1.1 255.255.255.0"],
                        "dst-ip-addr")
    recs = [rec(dstaddr=ip(a)) for a in ("10.1.2.3", "10.2.3.4", "192.168.1.1", "11.0.0.0")]
    # 192.168.1.1 has host bits outside its mask: the line never matches
    assert selected(cfg, "d", recs) == [1]


def test_ip_address_prefix_longest_match_in_any_order():
    lines = ["deny 10.1.2.0/24", "permit 10.0.0.0/8", "permit 10.1.2.128/25", "permit 172.16/12"]
    cfg = one_primitive("ip-address-prefix", lines, "ip-source-address")
    addrs = ["10.0.0.1", "10.1.2.3", "10.1.2.200", "10.255.255.255", "11.0.0.0",
             "172.31.255.255", "172.32.0.0", "9.255.255.255"]
    assert selected(cfg, "d", [rec(srcaddr=ip(a)) for a in addrs]) == [0, 2, 3, 5]


def test_prefix_classful_lengths_and_host_bits():
    assert nfilter.parse_prefix("10.0.0.0") == (ip("10.0.0.0"), 8)
    assert nfilter.parse_prefix("10") == (ip("10.0.0.0"), 8)
    assert nfilter.parse_prefix("172.16.0.0") == (ip("172.16.0.0"), 16)
    assert nfilter.parse_prefix("192.168.1.0") == (ip("192.168.1.0"), 24)
    assert nfilter.parse_prefix("224.0.0.0") == (ip("224.0.0.0"), 28)
    assert nfilter.parse_prefix("10.1.0.0") == (ip("10.1.0.0"), 32)
    assert nfilter.parse_prefix("10.0.0.1/24") == (ip("10.0.0.0"), 24)
    assert nfilter.parse_prefix("172.31/16") == (ip("172.31.0.0"), 16)
    assert nfilter.parse_prefix("0.0.0.0/0") == (0, 0)


@given(st.dictionaries(st.tuples(st.sampled_from([0, ip("10.0.0.0"), ip("10.1.0.0"),
                                                  ip("10.1.2.0"), ip("10.1.2.128"),
                                                  ip("255.255.255.0")]),
                                 st.integers(0, 32)),
                       st.booleans(), max_size=8),
       st.lists(st.integers(0, U32), max_size=20))
def test_prefix_ranges_equal_brute_force_longest_match(prefixes, extra):
    prefixes = {(net & (U32 << (32 - ln)) & U32, ln): v for (net, ln), v in prefixes.items()}
    ranges = nfilter.prefix_ranges(prefixes)
    for (_lo1, hi1, _), (lo2, _, _) in zip(ranges, ranges[1:]):
        assert hi1 < lo2
    probes = set(extra)
    for net, ln in prefixes:
        hi = net | ((1 << (32 - ln)) - 1)
        probes.update((net, hi, max(net - 1, 0), min(hi + 1, U32)))
    for a in probes:
        best = None
        for (net, ln), v in prefixes.items():
            if a >> (32 - ln) == net >> (32 - ln) if ln else True:
                if best is None or ln > best[0]:
                    best = (ln, v)
        got = [v for lo, hi, v in ranges if lo <= a <= hi]
        assert got == ([] if best is None else [best[1]])


@pytest.mark.parametrize("match,field", [
    ("src-ip-addr", "srcaddr"), ("ip-source-address", "srcaddr"),
    ("dst-ip-addr", "dstaddr"), ("ip-destination-address", "dstaddr"),
    ("exporter-ip-addr", "exaddr"), ("ip-exporter-address", "exaddr"),
    ("nexthop-ip-addr", "nexthop"), ("ip-nexthop-address", "nexthop")])
@pytest.mark.parametrize("ptype,line", [
    ("ip-address", "permit 192.0.2.7"), ("ip-address-mask", "permit 192.0.2.0 255.255.255.0"),
    ("ip-address-prefix", "permit 192.0.2.0/24")])
def test_every_address_match_reads_its_field(match, field, ptype, line):
    cfg = one_primitive(ptype, [line], match)
    recs = [rec(**{field: ip("192.0.2.7")})] + [rec(**{f: ip("192.0.2.7")}) for f in
                                                ("srcaddr", "dstaddr", "exaddr", "nexthop")
                                                if f != field]
    assert selected(cfg, "d", recs) == [0]


def test_shortcut_address_on_v7():
    cfg = one_primitive("ip-address", ["permit 1.2.3.4"], "shortcut-ip-addr")
    recs = [rec("7", router_sc=ip("1.2.3.4")), rec("7", srcaddr=ip("1.2.3.4"))]
    assert selected(cfg, "d", recs, version="7") == [0]
    cfg = one_primitive("ip-address", ["permit 1.2.3.4"], "ip-shortcut-address")
    with pytest.raises(FlowToolsError, match="Filter references a field not in flow."):
        selected(cfg, "d", [rec()])


# ---------------------------------------------------------------- every match type

# match type -> (field set on the test record, primitive type, permit line, value)
MATCH_TABLE = {
    "src-as": ("src_as", "as", "permit 7", 7),
    "source-as": ("src_as", "as", "permit 7", 7),
    "dst-as": ("dst_as", "as", "permit 7", 7),
    "destination-as": ("dst_as", "as", "permit 7", 7),
    "ip-protocol": ("prot", "ip-protocol", "permit 7", 7),
    "src-ip-addr-prefix-len": ("src_mask", "ip-address-prefix-len", "permit 7", 7),
    "ip-source-address-prefix-len": ("src_mask", "ip-address-prefix-len", "permit 7", 7),
    "dst-ip-addr-prefix-len": ("dst_mask", "ip-address-prefix-len", "permit 7", 7),
    "ip-destination-address-prefix-len": ("dst_mask", "ip-address-prefix-len", "permit 7", 7),
    "ip-tos": ("tos", "ip-tos", "permit 7", 7),
    "ip-tcp-flags": ("tcp_flags", "ip-tcp-flags", "permit 7", 7),
    "src-ip-port": ("srcport", "ip-port", "permit 7", 7),
    "ip-source-port": ("srcport", "ip-port", "permit 7", 7),
    "dst-ip-port": ("dstport", "ip-port", "permit 7", 7),
    "ip-destination-port": ("dstport", "ip-port", "permit 7", 7),
    "src-ifindex": ("input", "ifindex", "permit 7", 7),
    "input-interface": ("input", "ifindex", "permit 7", 7),
    "dst-ifindex": ("output", "ifindex", "permit 7", 7),
    "output-interface": ("output", "ifindex", "permit 7", 7),
    "engine-id": ("engine_id", "engine", "permit 7", 7),
    "engine-type": ("engine_type", "engine", "permit 7", 7),
    "octets": ("dOctets", "counter", "permit eq 7", 7),
    "packets": ("dPkts", "counter", "permit eq 7", 7),
    "duration": ("Last", "counter", "permit eq 7", 7),
    "src-tag": ("src_tag", "tag", "permit 7", 7),
    "source-tag": ("src_tag", "tag", "permit 7", 7),
    "dst-tag": ("dst_tag", "tag", "permit 7", 7),
    "destination-tag": ("dst_tag", "tag", "permit 7", 7),
}
V1005_FIELDS = ("src_as", "dst_as", "prot", "src_mask", "dst_mask", "tos", "tcp_flags",
                "srcport", "dstport", "input", "output", "engine_id", "engine_type",
                "dOctets", "dPkts", "Last", "src_tag", "dst_tag")


@pytest.mark.parametrize("match", sorted(MATCH_TABLE))
def test_every_list_match_type_reads_its_own_field(match):
    field, ptype, line, value = MATCH_TABLE[match]
    cfg = one_primitive(ptype, [line], match)
    recs = [rec("1005", **{field: value})]
    recs += [rec("1005", **{f: value}) for f in V1005_FIELDS if f != field]
    assert selected(cfg, "d", recs, version="1005") == [0]


def test_match_types_for_v8_only_fields():
    # flows (dFlows) and the marked ToS / extra packets of 8.6-8.8
    cfg = one_primitive("counter", ["permit eq 3"], "flows")
    assert selected(cfg, "d", [rec("8.1", dFlows=3), rec("8.1", dPkts=3)], "8.1") == [0]
    cfg = one_primitive("counter", ["permit gt 0"], "extra-packets")
    assert selected(cfg, "d", [rec("8.6", extra_pkts=1), rec("8.6")], "8.6") == [0]
    cfg = one_primitive("ip-tos", ["permit 4"], "ip-marked-tos")
    assert selected(cfg, "d", [rec("8.6", marked_tos=4), rec("8.6", tos=4)], "8.6") == [0]
    with pytest.raises(FlowToolsError, match="not in flow"):
        selected(one_primitive("counter", ["permit eq 3"], "flows"), "d", [rec()])


def test_documented_match_types_are_all_known():
    documented = set(MATCH_TABLE) | {
        "src-ip-addr", "ip-source-address", "dst-ip-addr", "ip-destination-address",
        "exporter-ip-addr", "ip-exporter-address", "nexthop-ip-addr", "ip-nexthop-address",
        "shortcut-ip-addr", "ip-shortcut-address", "ip-marked-tos", "flows",
        "extra-packets", "start-time", "end-time", "pps", "bps", "random-sample"}
    assert documented | {"octets-per-packet"} == set(nfilter.MATCHES)


# ---------------------------------------------------------------- counters, times, rates

@pytest.mark.parametrize("op,want", [("lt", [0]), ("le", [0, 1]), ("eq", [1]), ("ne", [0, 2]),
                                     ("ge", [1, 2]), ("gt", [2])])
def test_counter_operators(op, want):
    cfg = one_primitive("counter", ["permit %s 100" % op], "octets")
    assert selected(cfg, "d", [rec(dOctets=v) for v in (99, 100, 101)]) == want


def test_counter_first_matching_line_wins():
    # MID-OCTETS of the corpus: permit ge 100, deny gt 1000: 100..inf permitted
    cfg = one_primitive("counter", ["permit ge 100", "deny gt 1000", "default deny"], "octets")
    assert selected(cfg, "d", [rec(dOctets=v) for v in (50, 100, 5000)]) == [1, 2]
    cfg = one_primitive("counter", ["deny gt 1000", "permit ge 100"], "octets")
    assert selected(cfg, "d", [rec(dOctets=v) for v in (50, 100, 5000)]) == [1]


def test_duration_wraps_32_bits():
    cfg = one_primitive("counter", ["permit gt 4000000000"], "duration")
    recs = [rec(First=10, Last=5), rec(First=5, Last=10)]
    assert selected(cfg, "d", recs) == [0]


def test_pps_bps_and_zero_duration():
    cfg = one_primitive("double", ["permit gt 100.0"], "pps")
    recs = [rec(dPkts=200, First=0, Last=1000), rec(dPkts=50, First=0, Last=1000),
            rec(dPkts=5000, First=7, Last=7), rec(dPkts=11, First=0, Last=100)]
    assert selected(cfg, "d", recs) == [0, 3]
    cfg = one_primitive("double", ["permit lt 10000"], "bps")
    recs = [rec(dOctets=1000, First=0, Last=1000), rec(dOctets=2000, First=0, Last=1000),
            rec(dOctets=10 ** 6, First=3, Last=3)]
    assert selected(cfg, "d", recs) == [0, 2]


def test_octets_per_packet_extension():
    cfg = one_primitive("double", ["permit eq 92"], "octets-per-packet")
    recs = [rec(dOctets=92, dPkts=1), rec(dOctets=276, dPkts=3), rec(dOctets=184, dPkts=1),
            rec(dOctets=93, dPkts=1), rec(dOctets=92, dPkts=0)]
    assert selected(cfg, "d", recs) == [0, 1]


def flow_at(epoch, field="First", **kw):
    """A record whose First (or Last) falls at `epoch` seconds."""
    return rec(unix_secs=epoch + 100, sysUpTime=200000, **{field: 100000}, **kw)


def test_time_date_compares_absolute_seconds():
    with tz("UTC"):
        t = calendar.timegm((2023, 11, 14, 22, 13, 15))
        cfg = one_primitive("time-date", ["permit ge November 14, 2023 22:13:15"], "start-time")
        recs = [flow_at(t - 1), flow_at(t), flow_at(t + 3600)]
        assert selected(cfg, "d", recs) == [1, 2]
        cfg = one_primitive("time-date", ["permit lt 2023-11-14 22:13:15"], "end-time")
        recs = [flow_at(t - 1, "Last"), flow_at(t, "Last"), flow_at(t - 1, "First")]
        assert selected(cfg, "d", recs) == [0, 2]   # record 2: Last = 0 -> far in the past


def test_time_date_is_local_time():
    with tz("EST5"):
        cfg = one_primitive("time-date", ["permit eq 2023-11-14 17:00:00"], "start-time")
        t = calendar.timegm((2023, 11, 14, 22, 0, 0))
        assert selected(cfg, "d", [flow_at(t), flow_at(t - 5 * 3600)]) == [0]


def test_time_of_day_on_the_flows_own_day():
    with tz("UTC"):
        cfg = one_primitive("time", ["permit lt 22:13:05"], "start-time")
        day = calendar.timegm((2020, 8, 19, 0, 0, 0))
        recs = [flow_at(day + 22 * 3600 + 13 * 60 + 4), flow_at(day + 22 * 3600 + 13 * 60 + 5),
                flow_at(day + 86400 + 60), flow_at(day - 60)]
        assert selected(cfg, "d", recs) == [0, 2]
        cfg = one_primitive("time", ["permit ge 12", "default deny"], "end-time")
        recs = [flow_at(day + 11 * 3600, "Last"), flow_at(day + 12 * 3600, "Last")]
        assert selected(cfg, "d", recs) == [1]


def test_bad_date_is_an_error():
    assert load_error(one_primitive("time-date", ["permit gt bogus"], "start-time")) == \
        't.cfg:3: Can\'t parse date "bogus".'


def test_tag_and_tag_mask():
    cfg = one_primitive("tag", ["permit 0x10", "permit CWRU"], "dst-tag")
    recs = [rec("1005", dst_tag=v) for v in (0x10, 2, 0x11)]
    assert selected(cfg, "d", recs, "1005") == [0, 1]
    cfg = one_primitive("tag-mask", ["deny 0x0100 0xff00", "permit 0x0000 0xf000"], "src-tag")
    recs = [rec("1005", src_tag=v) for v in (0x0150, 0x0250, 0x1000, 0x0fff)]
    assert selected(cfg, "d", recs, "1005") == [1, 3]


def test_rate_keeps_about_one_in_n():
    recs = [rec(dPkts=i) for i in range(4000)]
    kept = selected(one_primitive("rate", ["permit 4"], "random-sample"), "d", recs)
    assert 700 < len(kept) < 1300
    dropped = selected(one_primitive("rate", ["deny 4"], "random-sample"), "d", recs)
    assert 2700 < len(dropped) < 3300
    assert load_error(one_primitive("rate", ["permit 0"], "random-sample")) == \
        "t.cfg:3: Rate must be greater than 0."


# ---------------------------------------------------------------- definitions

DEFS = """
filter-primitive TCP
  type ip-protocol
  permit tcp
filter-primitive WEB
  type ip-port
  permit 80
filter-definition empty
filter-definition all
  invert
filter-definition tcp-web
  match ip-protocol TCP
  match dst-ip-port WEB
filter-definition tcp-or-web
  match ip-protocol TCP
  or
  match dst-ip-port WEB
filter-definition neither
  match ip-protocol TCP
  or
  match dst-ip-port WEB
  invert
filter-definition leading-or
  or
  match ip-protocol TCP
filter-definition Later
  match ip-protocol LATER-P
filter-primitive later-p
  type ip-protocol
  permit 17
"""
FOUR = [rec(prot=6, dstport=80), rec(prot=6, dstport=1), rec(prot=17, dstport=80),
        rec(prot=17, dstport=1)]


@pytest.mark.parametrize("name,want", [
    ("empty", []), ("all", [0, 1, 2, 3]), ("tcp-web", [0]), ("tcp-or-web", [0, 1, 2]),
    ("neither", [3]), ("leading-or", [0, 1]), ("later", [2, 3]), ("LATER", [2, 3]),
    ("TCP-WEB", [0])])
def test_definition_logic(name, want):
    assert selected(DEFS, name, FOUR) == want


def test_keywords_and_names_are_case_insensitive():
    text = ("FILTER-PRIMITIVE Web\n TYPE IP-PORT\n PERMIT 80\n DEFAULT DENY\n"
            "Filter-Definition X\n MATCH IP-DESTINATION-PORT web\n")
    assert selected(text, "x", FOUR) == [0, 2]


def test_comments_blank_lines_and_tabs():
    text = ("# comment\n\n   # indented comment\nfilter-primitive\tP\n\ttype\tip-port\n"
            "\tpermit\t80\nfilter-definition d\n\tmatch\tdst-ip-port\tP\n")
    assert selected(text, "d", FOUR) == [0, 2]


def test_unknown_definition():
    cfg = nfilter.parse(DEFS)
    with pytest.raises(nfilter.UnknownDefinition, match="ftfil_def_find"):
        cfg.definition("nope")


def test_missing_field_is_refused_before_filtering():
    cfg = nfilter.parse(one_primitive("as", ["permit 1"], "src-as"))
    with pytest.raises(FlowToolsError) as e:
        selected(cfg, "d", [rec("1")], "1")
    assert str(e.value) == "Filter references a field not in flow."
    # even when the primitive permits everything (no test is emitted)
    cfg = nfilter.parse(one_primitive("as", ["permit 0-65535"], "src-as"))
    with pytest.raises(FlowToolsError, match="not in flow"):
        selected(cfg, "d", [rec("1")], "1")


# ---------------------------------------------------------------- variables

VARS = """filter-primitive P
  type ip-port
  permit @{PORT:-80}
filter-primitive Q
  type ip-port
  permit @PORT2,@{PORT3}
filter-definition p
  match dst-ip-port P
filter-definition q
  match dst-ip-port Q
"""


def test_variables_defaults_and_bindings():
    recs = [rec(dstport=p) for p in (80, 443, 22, 23)]
    assert selected(nfilter.parse(VARS, variables={"PORT2": "22", "PORT3": "23"}), "p",
                    recs) == [0]
    assert selected(nfilter.parse(VARS, variables={"PORT": "443", "PORT2": "22",
                                                   "PORT3": "23"}), "p", recs) == [1]
    assert selected(nfilter.parse(VARS, variables={"PORT2": "22", "PORT3": "23"}), "q",
                    recs) == [2, 3]


def test_unset_variable_without_default_is_empty():
    msg = load_error("filter-primitive P\n  type ip-port\n  permit @{NOPE}\n")
    assert msg == "t.cfg:3: Expecting value list."


def test_parse_binding():
    assert nfilter.parse_binding("PORT=22") == ("PORT", "22")
    assert nfilter.parse_binding("A=b=c") == ("A", "b=c")
    with pytest.raises(FlowToolsError):
        nfilter.parse_binding("PORT")


# ---------------------------------------------------------------- errors with FILE:LINE

@pytest.mark.parametrize("text,want", [
    ("filter-primitive P\n  type no-such-type\n", 't.cfg:2: Unrecognized type "no-such-type".'),
    ("filter-primitive P\n  type ip-port\n  permit 80 443\n", 't.cfg:3: Unexpected "443".'),
    ("bogus line\n", 't.cfg:1: Unexpected "bogus".'),
    ("\n\nfilter-primitive P extra\n", 't.cfg:3: Unexpected "extra".'),
    ("filter-primitive\n", "t.cfg:1: Expecting filter-primitive name."),
    ("filter-primitive P\n  permit 80\n", "t.cfg:2: Must set type before permit."),
    ("filter-primitive P\n  type ip-port\n  type ip-port\n", "t.cfg:3: Type previously defined."),
    ("filter-primitive P\n  type ip-port\nfilter-primitive p\n",
     "t.cfg:3: Name (p) previously defined."),
    ("filter-definition D\nfilter-definition d\n", "t.cfg:2: Name (d) previously defined."),
    ("permit 80\n", 't.cfg:1: "permit" outside a filter-primitive.'),
    ("filter-primitive P\n  type ip-port\n  match ip-protocol P\n",
     't.cfg:3: "match" outside a filter-definition.'),
    ("filter-primitive P\n  type ip-port\n  default maybe\n",
     't.cfg:3: Expecting permit or deny, not "maybe".'),
    ("filter-primitive P\n  type ip-port\n  mask 3\n",
     't.cfg:3: mask does not apply to type "ip-port".'),
    ("filter-primitive P\n  type ip-tos\n  mask 256\n", "t.cfg:3: Value out of range."),
    ("filter-primitive P\n  type ip-protocol\n  permit nosuchprot\n",
     't.cfg:3: symbol lookup for "nosuchprot" failed.'),
    ("filter-primitive P\n  type counter\n  permit about 3\n",
     't.cfg:3: Unknown operator "about" (lt gt eq ne le ge).'),
    ("filter-primitive P\n  type counter\n  permit eq\n",
     "t.cfg:3: Expecting operator and value."),
    ("filter-primitive P\n  type ip-address-mask\n  permit 10.0.0.0\n",
     "t.cfg:3: Expecting IP address and mask."),
    ("filter-definition D\n  match ip-protocol\n",
     "t.cfg:2: Expecting match type and primitive name."),
    ("filter-definition D\n  match frobs P\n",
     't.cfg:2: Unknown match criteria "frobs" in filter-definition "D".'),
    ("filter-definition D\n  match ip-protocol P\n",
     't.cfg:2: Unable to resolve primitive "P" in filter-definition "D".'),
    ("filter-definition D\n\n  match ip-protocol P\nfilter-primitive P\n  type ip-port\n",
     't.cfg:3: Primitive "ip-protocol" incompatible with match in filter-definition "D".'),
    ("filter-definition D\n  or now\n", 't.cfg:2: Unexpected "now".'),
])
def test_errors_name_file_and_line(text, want):
    assert load_error(text) == want


def test_corpus_bad_cfg(corpus_dir):
    with pytest.raises(nfilter.ConfigError) as e:
        nfilter.load(str(corpus_dir / "cfg" / "bad.cfg"))
    assert str(e.value).endswith('bad.cfg:2: Unrecognized type "no-such-type".')


def test_missing_file():
    with pytest.raises(FlowToolsError) as e:
        nfilter.load("/nonexistent/filter.cfg")
    assert str(e.value) == "open(/nonexistent/filter.cfg): No such file or directory"


# ---------------------------------------------------------------- the shipped file

def test_shipped_file_loads_and_default_accepts_all():
    cfg = nfilter.load()
    assert nfilter.DEFAULT_FILE.endswith(os.path.join("pyflowtools", "data", "filter.cfg"))
    recs = [rec(prot=p, dstport=d) for p in (1, 6, 17) for d in (0, 80)]
    assert selected(cfg, "default", recs) == list(range(len(recs)))


def test_shipped_worm_definitions():
    cfg = nfilter.load()
    recs = [
        rec(prot=6, tcp_flags=0x02, dstport=445),      # 0 SYN to a worm port
        rec(prot=6, tcp_flags=0x12, dstport=445),      # 1 SYN+ACK
        rec(prot=6, tcp_flags=0x14, dstport=3127),     # 2 RST+ACK
        rec(prot=1, dstport=2048, dPkts=3, dOctets=276),   # 3 Nachi
        rec(prot=1, dstport=2048, dPkts=1, dOctets=184),   # 4 echo, not Nachi
        rec(prot=1, dstport=771),                          # 5 port unreachable
        rec(prot=17, dstport=1434, srcaddr=ip("10.9.9.9")),    # 6 Slammer, private source
        rec(prot=6, tcp_flags=0x02, dstport=80, srcaddr=ip("8.8.8.8")),  # 7 SYN to 80
    ]
    assert selected(cfg, "syn-only", recs) == [0, 7]
    assert selected(cfg, "rst-ack-only", recs) == [2]
    assert selected(cfg, "icmp-unreachable", recs) == [5]
    assert selected(cfg, "icmp-echo-request", recs) == [3, 4]
    assert selected(cfg, "nachi", recs) == [3]
    assert selected(cfg, "nachi-portable", recs) == [3, 4]
    assert selected(cfg, "worm-ports", recs) == [0, 1, 2, 6]
    assert selected(cfg, "worm-syn", recs) == [0]
    # every record above has srcaddr 0.0.0.0 (0/8) except 7
    assert selected(cfg, "reserved-src", recs) == [0, 1, 2, 3, 4, 5, 6]


def test_shipped_variable_definitions():
    recs = [rec(dstport=22, prot=6, srcaddr=ip("192.0.2.1")), rec(dstport=80, prot=17)]
    assert selected(nfilter.load(variables={"PORT": "22"}), "ip-dst-port", recs) == [0]
    assert selected(nfilter.load(), "ip-dst-port", recs) == [1]
    assert selected(nfilter.load(variables={"PROT": "udp"}), "ip-prot", recs) == [1]
    assert selected(nfilter.load(variables={"ADDR": "192.0.2.0/24"}), "ip-src-addr",
                    recs) == [0]


# ================================================================ property test
#
# An independent evaluator of the documented rules (commands.md 5.2, 5.3).
# A definition spec is (groups, invert); a group a list of (match, prim);
# a primitive spec is a dict written out as filter.cfg text by cfg_text().

PROT_NAMES = {"tcp": 6, "udp": 17, "icmp": 1}

LIST_LIMIT = {"ip-protocol": 255, "ip-port": 65535, "ip-tos": 255, "ip-tcp-flags": 255,
              "as": 65535, "ifindex": 65535, "engine": 255, "ip-address-prefix-len": 32}

# match type -> (how to read the value, primitive types it takes)
PROP_MATCHES = {
    "ip-protocol": ("prot", ["ip-protocol"]),
    "ip-source-port": ("srcport", ["ip-port"]),
    "dst-ip-port": ("dstport", ["ip-port"]),
    "ip-tos": ("tos", ["ip-tos"]),
    "ip-tcp-flags": ("tcp_flags", ["ip-tcp-flags"]),
    "src-as": ("src_as", ["as"]),
    "destination-as": ("dst_as", ["as"]),
    "input-interface": ("input", ["ifindex"]),
    "dst-ifindex": ("output", ["ifindex"]),
    "engine-id": ("engine_id", ["engine"]),
    "engine-type": ("engine_type", ["engine"]),
    "src-ip-addr-prefix-len": ("src_mask", ["ip-address-prefix-len"]),
    "ip-destination-address-prefix-len": ("dst_mask", ["ip-address-prefix-len"]),
    "src-ip-addr": ("srcaddr", ["ip-address", "ip-address-mask", "ip-address-prefix"]),
    "ip-destination-address": ("dstaddr", ["ip-address", "ip-address-mask",
                                           "ip-address-prefix"]),
    "ip-nexthop-address": ("nexthop", ["ip-address", "ip-address-mask", "ip-address-prefix"]),
    "octets": ("dOctets", ["counter"]),
    "packets": ("dPkts", ["counter"]),
    "duration": ("duration", ["counter"]),
    "pps": ("pps", ["double"]),
    "bps": ("bps", ["double"]),
    "start-time": ("start", ["time-date", "time"]),
    "end-time": ("end", ["time-date", "time"]),
    "source-tag": ("src_tag", ["tag", "tag-mask"]),
    "dst-tag": ("dst_tag", ["tag", "tag-mask"]),
}

PORT_POOL = [0, 1, 22, 25, 53, 80, 443, 1023, 1024, 2048, 8080, 65535]
SMALL_POOL = [0, 1, 2, 6, 17, 18, 0x12, 0x14, 0x3f, 0x80, 255]
ADDR_POOL = [0, ip("10.0.0.1"), ip("10.0.0.255"), ip("10.1.2.3"), ip("10.255.0.0"),
             ip("172.16.5.4"), ip("192.168.1.1"), ip("224.0.0.5"), ip("255.255.255.255")]
COUNT_POOL = [0, 1, 2, 40, 92, 100, 1000, 1500, U32]
TIME_POOL = [0, 1, 86399, 86400, 1597873440, 1700000000, 2000000000, 4000000000]
TAG_POOL = [0, 1, 2, 0x10, 0x0100, 0x0150, 0x1000, U32]


def near(pool, bits):
    top = (1 << bits) - 1
    pooled = st.sampled_from([v & top for v in pool])
    return st.one_of(pooled, pooled, pooled, st.integers(0, top))


@st.composite
def prop_records(draw):
    r = draw(fst.records("1005"))
    for f, pool, bits in (("srcport", PORT_POOL, 16), ("dstport", PORT_POOL, 16),
                          ("prot", SMALL_POOL, 8), ("tos", SMALL_POOL, 8),
                          ("tcp_flags", SMALL_POOL, 8), ("engine_id", SMALL_POOL, 8),
                          ("engine_type", SMALL_POOL, 8), ("src_as", PORT_POOL, 16),
                          ("dst_as", PORT_POOL, 16), ("input", SMALL_POOL, 16),
                          ("output", SMALL_POOL, 16), ("src_mask", [0, 8, 24, 32, 33], 8),
                          ("dst_mask", [0, 8, 24, 32, 33], 8), ("srcaddr", ADDR_POOL, 32),
                          ("dstaddr", ADDR_POOL, 32), ("nexthop", ADDR_POOL, 32),
                          ("dOctets", COUNT_POOL, 32), ("dPkts", COUNT_POOL, 32),
                          ("First", COUNT_POOL, 32), ("Last", COUNT_POOL, 32),
                          ("unix_secs", TIME_POOL, 32), ("sysUpTime", COUNT_POOL, 32),
                          ("src_tag", TAG_POOL, 32), ("dst_tag", TAG_POOL, 32)):
        r[f] = draw(near(pool, bits))
    return r


def value_of(r, what):
    """The flow value a match reads (commands.md 1.8 and 5.3)."""
    dur = (r["Last"] - r["First"]) & U32
    if what == "duration":
        return dur
    if what == "pps":
        return r["dPkts"] / (dur / 1000.0) if dur else 0.0
    if what == "bps":
        return r["dOctets"] * 8.0 / (dur / 1000.0) if dur else 0.0
    if what in ("start", "end"):
        base = r["unix_secs"] * 1000 + r["unix_nsecs"] // 1000000 - r["sysUpTime"]
        t = r["First"] if what == "start" else r["Last"]
        return ((base + t) % (1 << 64)) // 1000
    return r[what]


def compare(op, a, b):
    return {"lt": a < b, "le": a <= b, "eq": a == b, "ne": a != b, "ge": a >= b,
            "gt": a > b}[op]


def prim_permits(p, r, what, ptype_used):
    t = p["type"]
    v = value_of(r, what)
    if t in LIST_LIMIT:
        modes = {}
        for permit, negate, items in p["lines"]:
            for lo, hi in items:
                for x in range(lo, max(lo, hi) + 1):
                    modes[x] = permit != negate
        if t in ("ip-tos", "ip-tcp-flags"):
            v &= p["mask"]
        return modes.get(v, p["default"])
    if t in ("ip-address", "tag"):
        modes = {}
        for permit, a in p["lines"]:
            modes[a] = permit
        return modes.get(v, p["default"])
    if t == "ip-address-prefix":
        modes = {}
        for permit, (net, ln) in p["lines"]:
            modes[(net & (U32 << (32 - ln)) & U32, ln)] = permit
        best = None
        for (net, ln), permit in modes.items():
            if ln == 0 or v >> (32 - ln) == net >> (32 - ln):
                if best is None or ln > best[0]:
                    best = (ln, permit)
        return p["default"] if best is None else best[1]
    if t in ("ip-address-mask", "tag-mask"):
        for permit, a, m in p["lines"]:
            if v & m == a:
                return permit
        return p["default"]
    if t == "time":
        v %= 86400                       # TZ is UTC in the test
    for permit, op, x in p["lines"]:     # counter double time-date time
        if compare(op, v, x):
            return permit
    return p["default"]


def evaluate(spec, prims, r):
    groups, invert = spec
    ok = any(group and all(prim_permits(prims[pn], r, PROP_MATCHES[m][0], None)
                           for m, pn in group)
             for group in groups)
    return ok != invert


def list_item_text(lo, hi, t):
    def one(x):
        if t == "ip-protocol":
            for name, num in PROT_NAMES.items():
                if num == x:
                    return name.upper() if x == 17 else name
        return "%d" % x if x % 3 else "0x%x" % x
    return one(lo) if lo == hi else "%s-%s" % (one(lo), one(hi))


def cfg_text(prims, defs):
    out = []
    for name, p in prims.items():
        out += ["filter-primitive %s" % name, "  type %s" % p["type"]]
        if p["type"] in ("ip-tos", "ip-tcp-flags"):
            out.append("  mask 0x%x" % p["mask"])
        for line in p["lines"]:
            kw = "permit" if line[0] else "deny"
            t = p["type"]
            if t in LIST_LIMIT:
                _, negate, items = line
                out.append("  %s %s%s" % (kw, "!" if negate else "",
                                          ",".join(list_item_text(lo, hi, t) for lo, hi in items)))
            elif t in ("ip-address", "tag"):
                a = line[1]
                out.append("  %s %s" % (kw, "%d.%d.%d.%d" % tuple(a >> s & 255 for s in
                                                                  (24, 16, 8, 0))
                                        if t == "ip-address" else "0x%x" % a))
            elif t == "ip-address-prefix":
                net, ln = line[1]
                out.append("  %s %d.%d.%d.%d/%d" % ((kw,) + tuple(net >> s & 255 for s in
                                                                  (24, 16, 8, 0)) + (ln,)))
            elif t == "ip-address-mask":
                out.append("  %s %s %s" % (kw, *("%d.%d.%d.%d" % tuple(x >> s & 255 for s in
                                                                        (24, 16, 8, 0))
                                                 for x in line[1:])))
            elif t == "tag-mask":
                out.append("  %s 0x%x 0x%x" % (kw, line[1], line[2]))
            elif t == "time-date":
                out.append("  %s %s %s" % (kw, line[1], time.strftime("%Y-%m-%d %H:%M:%S",
                                                                      time.gmtime(line[2]))))
            elif t == "time":
                x = line[2]
                out.append("  %s %s %d:%02d:%02d" % (kw, line[1], x // 3600, x // 60 % 60, x % 60))
            elif t == "double":
                out.append("  %s %s %r" % (kw, line[1], line[2]))
            else:
                out.append("  %s %s %d" % (kw, line[1], line[2]))
        out.append("  default %s" % ("permit" if p["default"] else "deny"))
    for name, (groups, invert) in defs.items():
        out.append("filter-definition %s" % name)
        for i, group in enumerate(groups):
            if i:
                out.append("  or")
            out += ["  match %s %s" % (m, pn) for m, pn in group]
        if invert:
            out.append("  invert")
    return "\n".join(out) + "\n"


OPS = ["lt", "le", "eq", "ne", "ge", "gt"]


@st.composite
def primitive_specs(draw, ptype, records):
    """A primitive of ptype whose values come partly from the records."""
    def pick(values, bits):
        top = (1 << bits) - 1
        return draw(st.one_of(st.sampled_from(values), st.integers(0, top)))

    n = draw(st.sampled_from([0, 1, 1, 2, 2, 3, 4]))
    p = {"type": ptype, "default": draw(st.booleans()), "lines": []}
    if ptype in LIST_LIMIT:
        limit = LIST_LIMIT[ptype]
        field = {"ip-protocol": "prot", "ip-port": "dstport", "ip-tos": "tos",
                 "ip-tcp-flags": "tcp_flags", "as": "src_as", "ifindex": "input",
                 "engine": "engine_id", "ip-address-prefix-len": "dst_mask"}[ptype]
        seen = [r[field] for r in records if r[field] <= limit] or [0]
        if ptype in ("ip-tos", "ip-tcp-flags"):
            p["mask"] = draw(st.sampled_from([0xff, 0x02, 0x3f, 0x0f, 0x12, 0]))
        for _ in range(n):
            items = []
            for _ in range(draw(st.integers(1, 3))):
                lo = draw(st.one_of(st.sampled_from(seen), st.sampled_from(seen),
                                    st.integers(0, limit)))
                hi = draw(st.one_of(st.just(lo), st.integers(0, limit),
                                    st.just(min(lo + 5, limit))))
                items.append((lo, hi))
            p["lines"].append((draw(st.booleans()), draw(st.booleans()), items))
    elif ptype in ("ip-address", "ip-address-prefix", "ip-address-mask"):
        addrs = ADDR_POOL + [r["srcaddr"] for r in records]
        for _ in range(n):
            a = draw(st.one_of(st.sampled_from(addrs), st.integers(0, U32)))
            if ptype == "ip-address":
                p["lines"].append((draw(st.booleans()), a))
            elif ptype == "ip-address-prefix":
                ln = draw(st.sampled_from([0, 1, 8, 12, 16, 24, 25, 31, 32]))
                p["lines"].append((draw(st.booleans()), (a & (U32 << (32 - ln)) & U32, ln)))
            else:
                m = draw(st.sampled_from([0, U32, 0xFF000000, 0xFFFF0000, 0xFFFFFF00,
                                          0xF0000000]))
                a = a & m if draw(st.booleans()) else a
                p["lines"].append((draw(st.booleans()), a, m))
    elif ptype in ("tag", "tag-mask"):
        tags = TAG_POOL + [r["src_tag"] for r in records]
        for _ in range(n):
            a = draw(st.sampled_from(tags))
            if ptype == "tag":
                p["lines"].append((draw(st.booleans()), a))
            else:
                m = draw(st.sampled_from([0, U32, 0xFF00, 0xF000, 0x00FF]))
                p["lines"].append((draw(st.booleans()), a & m, m))
    else:
        for _ in range(n):
            op = draw(st.sampled_from(OPS))
            if ptype == "counter":
                x = draw(st.one_of(st.sampled_from(COUNT_POOL), st.integers(0, U32)))
            elif ptype == "double":
                vals = [value_of(r, w) for r in records for w in ("pps", "bps")] or [0.0]
                x = draw(st.one_of(st.sampled_from(vals),
                                   st.floats(0, 1e10, allow_nan=False)))
            elif ptype == "time-date":
                vals = [value_of(r, w) for r in records for w in ("start", "end")]
                vals = [v for v in vals if v < 4102444800] or [0]
                x = draw(st.one_of(st.sampled_from(vals), st.integers(0, 4102444799)))
            else:
                vals = [value_of(r, w) % 86400 for r in records for w in ("start", "end")]
                x = draw(st.one_of(st.sampled_from(vals or [0]), st.integers(0, 86399)))
            p["lines"].append((draw(st.booleans()), op, x))
    return p


@st.composite
def scenarios(draw):
    records = draw(st.lists(prop_records(), min_size=6, max_size=24))
    prims = {}
    defs = {}
    for d in range(draw(st.integers(1, 3))):
        groups = []
        for _ in range(draw(st.sampled_from([0, 1, 1, 2, 2, 3]))):
            group = []
            for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 2, 3]))):
                m = draw(st.sampled_from(sorted(PROP_MATCHES)))
                ptype = draw(st.sampled_from(PROP_MATCHES[m][1]))
                name = "P%d" % len(prims)
                prims[name] = draw(primitive_specs(ptype, records))
                group.append((m, name))
            groups.append(group)
        defs["def%d" % d] = (groups, draw(st.booleans()))
    return records, prims, defs


@given(scenarios())
def test_c_evaluation_equals_the_documented_rules(scenario):
    records, prims, defs = scenario
    text = cfg_text(prims, defs)
    with tz("UTC"):
        cfg = nfilter.parse(text, "prop.cfg")
        for name, spec in defs.items():
            want = [i for i, r in enumerate(records) if evaluate(spec, prims, r)]
            got = selected(cfg, name, records, version="1005")
            assert got == want, (name, text)


@pytest.mark.parametrize("text,want", [
    ("@A", "1"), ("@{A}", "1"), ("@{C:-9}", "9"), ("@{C}", ""), ("@C", ""), ("@{A:-9}", "1"),
    ("x@-y", "x@-y"), ("@{bad name}", "@{bad name}"), ("@{A", "@{A"), ("@{:-3}", "@{:-3}"),
    ("a @B_2, @{B_2}z", "a x, xz"), ("@@A", "@1"), ("no variables", "no variables")])
def test_variable_expansion(text, want):
    assert nfilter.expand(text, {"A": "1", "B_2": "x"}) == want


@pytest.mark.parametrize("text,want", [
    ("92", 92.0), ("1e+16", 1e16), ("x", 0.0), (".5e1", 5.0), ("-3.25abc", -3.25),
    ("5.", 5.0), (".", 0.0), ("1e", 1.0), ("1e+", 1.0), ("+12.5e-3z", 0.0125)])
def test_double_values_read_like_strtod(text, want):
    cfg = one_primitive("double", ["permit eq %s" % text], "pps")
    assert nfilter.parse(cfg).primitives["p"].entries == [("eq", want, True)]


# ---------------------------------------------------------------- IPv6 (v1006)
#
# Addresses are 128-bit: IPv6 values as written, IPv4 values as their
# IPv4-mapped form (::ffff:a.b.c.d), which is how v1006 stores IPv4 flows and
# how the IPv4 versions' addresses are seen.  The evaluator decides with
# Python's ipaddress.

import ipaddress  # noqa: E402

A6 = lambda t: int(ipaddress.IPv6Address(t))  # noqa: E731


def rec6(**addrs):
    """A v1006 record, every field 0, addresses given as text (IPv4 text
    becomes the mapped address), other fields as ints."""
    r = rec("1006")
    for k, v in addrs.items():
        if isinstance(v, str):
            a = A6(v) if ":" in v else oracle.mapped(ip(v))
            r = oracle.with_addr6(r, k, a)
        else:
            r[k] = v
    return r


def test_ipv6_ip_address_exact_and_ipv4_values_match_ipv4_flows():
    cfg = one_primitive("ip-address", ["permit 2001:db8::1", "permit 10.0.0.1",
                                       "deny ::ffff:10.0.0.2", "default deny"],
                        "ip-source-address")
    recs = [rec6(srcaddr=a) for a in ("2001:db8::1", "10.0.0.1", "10.0.0.2", "2001:db8::2",
                                      "::10.0.0.1", "::ffff:10.0.0.1")]
    assert selected(cfg, "d", recs, "1006") == [0, 1, 5]
    # the IPv6 value never matches a v5 address; the IPv4 one does
    v5 = [rec(srcaddr=ip(a)) for a in ("10.0.0.1", "10.0.0.2", "0.0.0.1")]
    assert selected(cfg, "d", v5) == [0]


def test_ipv6_prefix_longest_match_mixed_with_ipv4_prefixes():
    lines = ["permit 2001:db8::/32", "deny 2001:db8:1::/48", "permit 2001:db8:1:2::1",
             "permit 10.0.0.0/8", "deny 10.1.0.0/16", "permit ::/0", "deny ::ffff:0:0/96"]
    cfg = one_primitive("ip-address-prefix", lines, "ip-destination-address")
    addrs = ["2001:db8::5", "2001:db8:1::5", "2001:db8:1:2::1", "10.2.3.4", "10.1.2.3",
             "fe80::1", "192.168.1.1", "::ffff:10.9.9.9"]
    assert selected(cfg, "d", [rec6(dstaddr=a) for a in addrs], "1006") == [0, 2, 3, 5, 7]
    assert nfilter.parse_prefix6("2001:db8::1") == (A6("2001:db8::1"), 128)
    assert nfilter.parse_prefix6("2001:db8::1/32") == (A6("2001:db8::"), 32)
    assert nfilter.parse_prefix6("10.0.0.0") == (oracle.mapped(ip("10.0.0.0")), 104)


def test_ipv6_address_mask_and_families():
    cfg = one_primitive("ip-address-mask", ["deny 2001:db8:1:: ffff:ffff:ffff::",
                                            "permit 2001:db8:: ffff:ffff::",
                                            "permit ::1 ::ffff",
                                            "permit 10.0.0.0 255.0.0.0"], "nexthop-ip-addr")
    addrs = ["2001:db8:1::9", "2001:db8:2::9", "::1", "1::1", "10.9.9.9", "::10.9.9.9"]
    assert selected(cfg, "d", [rec6(nexthop=a) for a in addrs], "1006") == [1, 2, 3, 4]
    assert load_error(one_primitive("ip-address-mask", ["permit 10.0.0.0 ffff::"],
                                    "dst-ip-addr")) == \
        't.cfg:3: Address "10.0.0.0" and mask "ffff::" of different families.'


@pytest.mark.parametrize("ptype,value", [
    ("ip-address", "2001:db8::g"), ("ip-address-prefix", "2001:db8::/129"),
    ("ip-address-prefix", "1:2:3:4:5:6:7:8:9/64"), ("ip-address", "fe80::1%eth0")])
def test_ipv6_bad_values_are_one_line_errors(ptype, value):
    assert load_error(one_primitive(ptype, ["permit " + value], "dst-ip-addr")) == \
        't.cfg:3: Bad IPv6 address "%s".' % value


def test_ipv6_other_primitives_unchanged_icmpv6_in_dstport():
    """ICMPv6 is protocol 58 with type*256+code in dstport, as ICMP."""
    cfg = ("filter-primitive ICMP6\n  type ip-protocol\n  permit 58\n"
           "filter-primitive ECHO6\n  type ip-port\n  permit 32768\n"
           "filter-primitive PLEN\n  type ip-address-prefix-len\n  permit 64-128\n"
           "filter-definition echo6\n  match ip-protocol ICMP6\n  match dst-ip-port ECHO6\n"
           "filter-definition plen\n  match src-ip-addr-prefix-len PLEN\n"
           "filter-definition exporter\n  match ip-exporter-address EX\n"
           "filter-primitive EX\n  type ip-address\n  permit 192.0.2.1\n  permit 2001:db8::1\n")
    recs = [rec6(srcaddr="2001:db8::1", prot=58, dstport=128 << 8, src_mask=64),
            rec6(srcaddr="2001:db8::1", prot=58, dstport=129 << 8, src_mask=128),
            rec6(srcaddr="10.0.0.1", prot=1, dstport=128 << 8, src_mask=32,
                 exaddr=ip("192.0.2.1"))]
    assert selected(cfg, "echo6", recs, "1006") == [0]
    assert selected(cfg, "plen", recs, "1006") == [0, 1]
    assert selected(cfg, "exporter", recs, "1006") == [2]     # exaddr: IPv4 only


def test_shipped_ipv6_definitions_article_method():
    """reserved6-src, reserved46-src ("reserved or foreign addresses") and
    ipv4 / ipv6 of the shipped filter.cfg on a mixed v1006 stream."""
    cfg = nfilter.load(nfilter.DEFAULT_FILE)
    srcs = ["2001:db8::1", "fe80::1", "2a00:1450::1", "::1", "ff02::1", "fd00::5",
            "10.1.2.3", "8.8.8.8", "2002:c000:204::1", "64:ff9b::808:808", "3fff::1",
            "2001:4860::8888"]
    recs = [rec6(srcaddr=a, dstaddr="2a00::1" if ":" in a else "1.1.1.1") for a in srcs]
    assert selected(cfg, "reserved6-src", recs, "1006") == [0, 1, 3, 4, 5, 8, 9, 10]
    assert selected(cfg, "reserved46-src", recs, "1006") == [0, 1, 3, 4, 5, 6, 8, 9, 10]
    assert selected(cfg, "reserved-src", recs, "1006") == [6]
    assert selected(cfg, "ipv4", recs, "1006") == [6, 7]
    assert selected(cfg, "ipv6", recs, "1006") == [0, 1, 2, 3, 4, 5, 8, 9, 10, 11]


# property: random address primitives over random mixed records

POOL6 = [A6(t) for t in ("2001:db8::1", "2001:db8::2", "2001:db8:1::", "fe80::1", "::",
                         "::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:10.0.0.2", "::10.0.0.1",
                         "::ffff:192.168.1.1", "fc00::5")]


def _v6text(a, v4):
    """The text of 128-bit a (dotted quad when asked and IPv4-mapped)."""
    ad = ipaddress.IPv6Address(a)
    if v4 and ad.ipv4_mapped is not None:
        return str(ad.ipv4_mapped)
    return ad.compressed


@st.composite
def addr_primitives(draw):
    """(type, lines [(permit, a, b)], default, text): a 128-bit address (and a
    prefix length, or a mask) per line."""
    ptype = draw(st.sampled_from(("ip-address", "ip-address-prefix", "ip-address-mask")))
    lines, text = [], []
    for _ in range(draw(st.integers(0, 8))):
        permit = draw(st.booleans())
        v4 = draw(st.booleans())
        a = draw(st.sampled_from(POOL6)) ^ draw(st.sampled_from((0, 0, 1, 1 << 100)))
        if v4:
            a = oracle.mapped(a & U32)
        word = "permit" if permit else "deny"
        if ptype == "ip-address":
            lines.append((permit, a, None))
            text.append("%s %s" % (word, _v6text(a, v4)))
        elif ptype == "ip-address-prefix":
            n = draw(st.integers(0, 32)) + 96 if v4 else draw(st.integers(0, 128))
            lines.append((permit, a, n))
            text.append("%s %s/%d" % (word, _v6text(a, v4), n - 96 if v4 else n))
        else:
            if v4:
                m32 = draw(st.sampled_from((0, 0xFF000000, 0xFFFF0000, U32, 0xF0F0F0F0)))
                m = ((1 << 128) - 1 - U32) | m32
                a = oracle.mapped(a & m32 if draw(st.booleans()) else a & U32)
                text.append("%s %s %s" % (word, _v6text(a, True),
                                          ipaddress.IPv4Address(m32)))
            else:
                n = draw(st.integers(0, 128))
                m = ((1 << 128) - 1) ^ ((1 << (128 - n)) - 1)
                if draw(st.booleans()):
                    a &= m
                text.append("%s %s %s" % (word, _v6text(a, False),
                                          ipaddress.IPv6Address(m).compressed))
            lines.append((permit, a, m))
    default = draw(st.booleans())
    if default:
        text.append("default permit")
    return ptype, lines, default, text


def primitive6_permits(ptype, lines, default, a):
    """The documented rules, with ipaddress: exact (last value wins),
    longest prefix (the last of equal prefixes), first matching mask line."""
    ad = ipaddress.IPv6Address(a)
    if ptype == "ip-address":
        hit = [p for p, x, _ in lines if ipaddress.IPv6Address(x) == ad]
        return hit[-1] if hit else default
    if ptype == "ip-address-prefix":
        best = None
        for p, x, n in lines:
            net = ipaddress.IPv6Network((x, n), strict=False)
            if ad in net and (best is None or n >= best[0]):
                best = (n, p)
        return best[1] if best else default
    for p, x, m in lines:
        if int(ad) & m == x:
            return p
    return default


@given(st.lists(st.tuples(addr_primitives(), st.sampled_from(("src-ip-addr", "dst-ip-addr",
                                                              "nexthop-ip-addr"))),
                min_size=1, max_size=3),
       st.booleans(), st.sampled_from(("1006", "5")), st.data())
def test_ipv6_address_primitives_equal_ipaddress(prims, with_port, version, data):
    """A definition ANDing random address primitives (and an ip-port one) on
    mixed v1006 records, or v5 ones seen as mapped, equals the evaluator."""
    text = []
    for i, ((ptype, _, _, lines), _) in enumerate(prims):
        text.append("filter-primitive P%d\n  type %s\n" % (i, ptype)
                    + "".join("  %s\n" % ln for ln in lines))
    text.append("filter-primitive PORT\n  type ip-port\n  permit 80,443\n")
    text.append("filter-definition d\n" + "".join(
        "  match %s P%d\n" % (m, i) for i, (_, m) in enumerate(prims))
        + ("  match dst-ip-port PORT\n" if with_port else ""))
    cfg = "".join(text)
    field = {"src-ip-addr": "srcaddr", "dst-ip-addr": "dstaddr", "nexthop-ip-addr": "nexthop"}
    pool = [x for (_, lines, _, _), _ in prims for _, x, _ in lines] or POOL6
    if version == "1006":
        recs = data.draw(st.lists(fst.v1006_records(), min_size=1, max_size=16))
    else:
        recs = data.draw(st.lists(fst.records("5"), min_size=1, max_size=16))
    for i, r in enumerate(recs):
        for f in field.values():
            if data.draw(st.integers(0, 3)):
                a = data.draw(st.sampled_from(pool)) ^ data.draw(st.sampled_from((0, 0, 1)))
                if version == "1006":
                    r = oracle.with_addr6(r, f, a)
                else:
                    r[f] = a & U32
        r["dstport"] = data.draw(st.sampled_from((80, 443, 22, 128 << 8)))
        recs[i] = r

    def addr(r, f):
        return oracle.addr6(r, f) if version == "1006" else oracle.mapped(r[f])

    want = [i for i, r in enumerate(recs)
            if all(primitive6_permits(pt, lines, dflt, addr(r, field[m]))
                   for (pt, lines, dflt, _), m in prims)
            and (not with_port or r["dstport"] in (80, 443))]
    assert selected(cfg, "d", recs, version) == want


@given(st.text(alphabet="0123456789abcdefABCDEF:./ \n#@{}-permitdenytypefilter-primitive"
               "definitionmatchip-address-prefixsrc-ip-addrdefaultor invert", max_size=400))
def test_arbitrary_cfg_text_loads_or_errs_in_one_line(text):
    """Any text: a Config (whose definitions compile for v1006 and v5, or
    say the field is missing) or one ConfigError line, never a traceback."""
    from pyflowtools.core.native import RT_V1006, rectype
    try:
        cfg = nfilter.parse(text, "t.cfg")
    except nfilter.ConfigError as e:
        msg = str(e)
        assert msg.startswith("t.cfg:") and "\n" not in msg
        return
    for name in cfg.definitions:
        for rt in (RT_V1006, rectype(5)):
            try:
                cfg.program(name, rt)
            except FlowToolsError as e:
                assert str(e) == nfilter.NOT_IN_FLOW
