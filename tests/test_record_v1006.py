"""The record API on v1006 (man pyflowtools(7), ARROW AND PARQUET: records):
srcaddr / dstaddr / nexthop print as addresses (IPv4 flows: IPv4 values as
in version 5; IPv6 flows: the whole address in RFC 5952 form, still the
last word as an int), srcaddr6 / dstaddr6 / nexthop6 print as addresses,
`.address` is the ipaddress object; Python's ipaddress is the oracle."""
import copy
import ipaddress
import pickle
import struct

from hypothesis import given

import oracle
import strategies as fst
from pyflowtools.core.native import lib
from pyflowtools.core.record import IPv4, IPv6, Word6, pack, unpack

RT = lib.FTC_RT_V1006


def host(records):
    return oracle.encode_records("1006", records,
                                 "little" if struct.pack("=H", 1)[0] else "big")


def text(a):
    ip = ipaddress.IPv6Address(a)
    return str(ip.ipv4_mapped) if ip.ipv4_mapped is not None else ip.compressed


@given(fst.v1006_record_lists(min_size=1, max_size=16))
def test_addresses_print_and_answer_as_ipaddress(records):
    data = host(records)
    got = unpack(RT, data, len(records))
    assert pack(RT, got) == data                    # named tuples pack back as they came
    for t, r in zip(got, records):
        four = oracle.is_ipv4(r)
        assert t.is_ipv4 == four
        for name in ("srcaddr", "dstaddr", "nexthop"):
            a = oracle.addr6(r, name)
            field, whole = getattr(t, name), getattr(t, name + "6")
            assert int(field) == a & 0xFFFFFFFF == r[name]
            assert isinstance(whole, IPv6) and int(whole) == a
            assert str(whole) == text(a) and whole.address == ipaddress.IPv6Address(a)
            if four:
                assert type(field) is IPv4
                assert field.address == ipaddress.IPv4Address(a & 0xFFFFFFFF)
                assert str(field) == str(ipaddress.IPv4Address(a & 0xFFFFFFFF))
            else:
                assert type(field) is Word6
                assert str(field) == text(a) and "%s" % field == text(a)
                assert field.address == ipaddress.IPv6Address(a)
                assert "%d" % field == str(a & 0xFFFFFFFF)
                assert pickle.loads(pickle.dumps(field)) == field
                assert str(copy.deepcopy(field)) == text(a)


def test_known_record():
    r = oracle.with_addr6(oracle.record("1006", dPkts=3), "srcaddr",
                          int(ipaddress.IPv6Address("2001:db8::a:7")))
    r = oracle.with_addr6(r, "dstaddr", oracle.mapped(0x0A000001))
    (t,) = unpack(RT, host([r]), 1)
    assert str(t.srcaddr) == "2001:db8::a:7" and t.srcaddr == 0xA0007
    assert repr(t.srcaddr) == "Word6('2001:db8::a:7')"
    assert str(t.dstaddr) == "10.0.0.1"             # mapped, in an IPv6 flow
    assert t.dstaddr.address == ipaddress.IPv6Address("::ffff:10.0.0.1")
    assert repr(t.dstaddr6) == "IPv6('10.0.0.1')" and t.srcaddr6.is_global is False
    assert str(t.nexthop) == "::" and "{:>6}".format(t.nexthop) == "    ::"
