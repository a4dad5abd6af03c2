"""The aggregation kernel on v1006 (csrc/agg.c, 128-bit address keys and
prefixes) equals a plain Python aggregation of the same random mixed
IPv4/IPv6 records, with Python's `ipaddress` as the oracle of prefixes and
of the 128-bit order; and on IPv4-only data it keys exactly as on v5."""
import collections
import io
import ipaddress

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.core.native import RT_V1006
from pyflowtools.core.table import Aggregation, Column, address_fields
from pyflowtools.io import stream

MAPPED = 0xFFFF << 32


def batches(version, recs, per=7):
    data = oracle.write_stream({"d_version": int(version), "flags": oracle.HF_STREAMING},
                               recs, "little")
    rd = stream.reader(io.BytesIO(data), batch_records=per, ipv6=True)
    return [b.copy() for b in rd]


def v4_prefix(a, length):
    """flow-tools' netmask of an IPv4 prefix: /1../32 as ipaddress says;
    /0 keeps the address and lengths above 32 wrap (a 32-bit shift by 32 -
    len modulo 32)."""
    if 1 <= length <= 32:
        return int(ipaddress.IPv4Network((a, length), strict=False).network_address)
    return a & (0xFFFFFFFF << ((32 - length) & 31)) & 0xFFFFFFFF


def prefix6(a, length):
    """The v1006 prefix key: an IPv4-mapped address in IPv4 terms, any other
    its first min(length, 128) bits."""
    if a >> 32 == 0xFFFF:
        return MAPPED | v4_prefix(a & 0xFFFFFFFF, length)
    return int(ipaddress.IPv6Network((a, min(length, 128)), strict=False).network_address)


def py_key(r, field):
    if field in ("srcaddr6", "dstaddr6", "nexthop6"):
        return oracle.addr6(r, field[:-1])
    if field == "srcprefix6":
        return prefix6(oracle.addr6(r, "srcaddr"), r["src_mask"])
    if field == "dstprefix6":
        return prefix6(oracle.addr6(r, "dstaddr"), r["dst_mask"])
    return r[field]


KEYS = [["srcaddr6"], ["dstaddr6"], ["nexthop6"], ["srcaddr6", "dstaddr6"],
        ["srcprefix6", "src_mask"], ["dstprefix6", "dst_mask"],
        ["srcprefix6", "src_mask", "dstprefix6", "dst_mask"], ["srcaddr6", "dstport"],
        ["prot", "dstaddr6"]]


@given(fst.v1006_record_lists(max_size=60), st.sampled_from(KEYS), st.integers(1, 9))
def test_v1006_keys_equal_python(recs, key, per):
    agg = Aggregation(key, cap=4, dflows=True)      # tiny: forces growth
    for b in batches("1006", recs, per):
        agg.add(b)
    want = collections.defaultdict(lambda: [0, 0, 0])
    for r in recs:
        w = want[tuple(py_key(r, f) for f in key)]
        w[0] += 1
        w[1] += r["dOctets"]
        w[2] += r["dPkts"]
    assert {r.key: [r.flows, r.octets, r.packets] for r in agg} == dict(want)
    # the key order is the numeric order of the 128-bit addresses
    got = [agg.row(i).key for i in agg.order("key")]
    assert got == sorted(want)
    if key[0].endswith("6") and len(key) == 1:
        assert agg.has_ipv6() == any(k[0] >> 32 != 0xFFFF for k in want)


@given(fst.v1006_record_lists(max_size=60))
def test_v1006_each_and_peers(recs):
    each = Aggregation(["srcaddr6", "dstaddr6"], each=True, cap=4)
    peers = Aggregation(["srcaddr6"], peer=["dstaddr6"], cap=4)
    for b in batches("1006", recs):
        each.add(b)
        peers.add(b)
    want = collections.Counter()
    dist = collections.defaultdict(set)
    for r in recs:
        s, d = oracle.addr6(r, "srcaddr"), oracle.addr6(r, "dstaddr")
        want[s] += 1
        want[d] += 1
        dist[s].add(d)
    assert {r.key[0]: r.flows for r in each} == dict(want)
    assert {r.key[0]: r.distinct for r in peers} == {k: len(v) for k, v in dist.items()}


@given(fst.v1006_record_lists(max_size=40))
def test_v1006_address_cells_print_as_ipaddress(recs):
    agg = Aggregation(["srcaddr6", "srcprefix6", "src_mask"])
    for b in batches("1006", recs):
        agg.add(b)
    idx = agg.order("key")
    text = b"".join(agg.format(idx, [Column("key0", "ip", sep=" "),
                                     Column("key1", "prefix", len_field=2)])).decode()
    lines = text.splitlines()
    assert len(lines) == len(idx)
    for i, line in zip(idx, lines):
        a, p, length = agg.row(i).key
        want_a = (str(ipaddress.IPv4Address(a & 0xFFFFFFFF)) if a >> 32 == 0xFFFF
                  else ipaddress.IPv6Address(a).compressed)
        if p >> 32 == 0xFFFF:
            # as on v5: the address without its trailing zero octets
            octets = str(ipaddress.IPv4Address(p & 0xFFFFFFFF)).split(".")
            while len(octets) > 1 and octets[-1] == "0":
                octets.pop()
            want_p = "%s/%d" % (".".join(octets), length if length <= 32 else 0)
        else:
            want_p = "%s/%d" % (ipaddress.IPv6Address(p).compressed, length)
        assert line == "%s %s" % (want_a, want_p)


@given(st.lists(fst.records("5"), max_size=50),
       st.sampled_from([["srcaddr"], ["srcaddr", "dstaddr"], ["srcprefix", "src_mask"],
                        ["dstprefix", "dst_mask", "srcaddr"], ["nexthop", "dstport"]]))
def test_ipv4_flows_key_as_on_v5(recs, key):
    """flow-cat -V 1006 of a v5 file: the same rows, each address mapped."""
    v5 = Aggregation(key)
    for b in batches("5", recs):
        v5.add(b)
    v6 = Aggregation(key, rectype=RT_V1006)
    assert list(v6.key.names) == address_fields(key, RT_V1006) != key
    conv = [oracle.with_addr6(oracle.with_addr6(oracle.with_addr6(
        dict({k: 0 for k in oracle.fields("1006")},
             **{k: v for k, v in r.items() if k in oracle.fields("1006")}),
        "srcaddr", oracle.mapped(r["srcaddr"])), "dstaddr", oracle.mapped(r["dstaddr"])),
        "nexthop", oracle.mapped(r["nexthop"])) for r in recs]
    for b in batches("1006", conv):
        v6.add(b)

    def widen(k):
        return tuple(MAPPED | v if n in ("srcaddr", "dstaddr", "nexthop", "srcprefix",
                                         "dstprefix") else v for n, v in zip(key, k))
    assert {widen(r.key): (r.flows, r.octets) for r in v5} == \
        {r.key: (r.flows, r.octets) for r in v6}
    # and in the same key order
    assert [widen(v5.row(i).key) for i in v5.order("key")] == \
        [v6.row(i).key for i in v6.order("key")]


def test_address6_keys_need_v1006():
    agg = Aggregation(["srcaddr6"])
    (b,) = batches("5", [{k: 0 for k in oracle.fields("5")}])
    with pytest.raises(FlowToolsError):
        agg.add(b)


def test_address_fields():
    assert address_fields(["srcaddr", "exaddr", "dstprefix", "nexthop", "prot"], RT_V1006) \
        == ["srcaddr6", "exaddr", "dstprefix6", "nexthop6", "prot"]
    assert address_fields("srcaddr", 1) == ["srcaddr"]
