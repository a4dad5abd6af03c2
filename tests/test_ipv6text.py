"""util/ipv6: the Python printer equals the C one (ftc_fmt_addr6, used by
flow-print); parse and text round-trip; prefixes."""
import ipaddress

import pytest
from hypothesis import given, strategies as st

from pyflowtools.core.native import ffi, lib
from pyflowtools.util import ipv6

group = st.one_of(st.just(0), st.just(0xFFFF), st.integers(0, 0xFFFF))
addr = st.one_of(st.lists(group, min_size=8, max_size=8).map(
    lambda g: int.from_bytes(b"".join(x.to_bytes(2, "big") for x in g), "big")),
    st.integers(0, 0xFFFFFFFF).map(ipv6.mapped))


def c_text(a):
    buf, ln, w = ffi.new("char[64]"), ffi.new("size_t *"), ffi.new("uint32_t[4]")
    w[0:4] = list(ipv6.words(a))
    assert lib.ftc_fmt_addr6(w, buf, 64, ln) == 0
    return ffi.string(buf, ln[0]).decode()


@given(addr)
def test_text_equals_c_printer_and_round_trips(a):
    t = ipv6.text(a)
    assert t == c_text(a)
    assert ipv6.parse_any(t) == a


def test_known_texts():
    assert ipv6.text(ipv6.parse("2001:db8:0:0:1:0:0:1")) == "2001:db8::1:0:0:1"
    assert ipv6.text(ipv6.parse("2001:db8:0:1:1:1:1:1")) == "2001:db8:0:1:1:1:1:1"
    assert ipv6.text(ipv6.parse("::ffff:10.1.2.3")) == "10.1.2.3"
    assert ipv6.text(0) == "::"


@given(addr, st.integers(0, 128))
def test_prefix_masks_like_ipaddress(a, n):
    net = ipaddress.IPv6Network((a, n), strict=False)
    assert ipv6.parse_prefix("%s/%d" % (ipaddress.IPv6Address(a), n)) == (int(net.network_address), n)


def test_errors_and_ipv4():
    for bad in ("1::2::3", "fe80::1%eth0", "::/129", "g::1"):
        with pytest.raises(ValueError):
            ipv6.parse_prefix(bad)
    with pytest.raises(ValueError):
        ipv6.parse_prefix("2001:db8::1/32", exact=True)
    assert ipv6.parse_prefix_any("10.0.0.0/8") == (ipv6.mapped(0x0A000000), 104)
