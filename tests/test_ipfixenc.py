"""csrc/ipfixenc.c through core/ipfixenc.py: NetFlow v9 and IPFIX datagrams
of stream records (flow-send -V 9 / -V 10) equal the documented model of
tests/ipfixenc_oracle.py (template, grouping, capacity, refresh, sequence
numbers, values), byte for byte in the known cases; any chunking and any
output room give the same datagrams; misuse ends in a status."""
import sys

import pytest
from hypothesis import given, strategies as st

import ipfixenc_oracle as xo
import oracle
import strategies as fst
from pyflowtools.core import ipfixenc, native
from pyflowtools.core.errors import FormatError, InternalError
from pyflowtools.core.native import ffi, lib

ORDER = sys.byteorder


def rt_of(rv):
    v, _, m = rv.partition(".")
    return native.rectype(int(v), int(m or 0))


def host_records(rv, records):
    return oracle.encode_records(rv, records, ORDER)


def rec(rv="5", **kw):
    r = dict.fromkeys(oracle.fields(rv), 0)
    r.update(kw)
    return r


# ---------------------------------------------------------------------------
# known answers

def test_limits_known_answers():
    # v5: 49-byte v9 records (21 fields), 57 in IPFIX (8-byte times); a
    # 92-byte template set; 1464-byte datagrams at most
    assert ipfixenc.limits(9, rt_of("5")) == (49, 92, 29, 27)
    assert ipfixenc.limits(10, rt_of("5")) == (57, 92, 25, 23)
    for version in (9, 10):
        for rv in oracle.VERSIONS:
            hdr, tpl_len, rec_len = xo.sizes(version, rv)
            assert ipfixenc.limits(version, rt_of(rv)) == (
                rec_len, tpl_len, xo.capacity(version, rv, False),
                xo.capacity(version, rv, True)), (version, rv)


def test_v5_template_as_listed():
    assert tuple((ie, w) for _, ie, w in xo.template(9, "5")) == xo.V5_TEMPLATE_V9
    (m,) = xo.parse_all(9, ipfixenc.encode(host_records("5", [rec()]), rt_of("5"), 9))
    assert m.template == xo.V5_TEMPLATE_V9
    (m,) = xo.parse_all(10, ipfixenc.encode(host_records("5", [rec()]), rt_of("5"), 10))
    assert m.template == tuple((152, 8) if ie == 22 else (153, 8) if ie == 21 else (ie, w)
                               for ie, w in xo.V5_TEMPLATE_V9)


def test_v5_bytes_known_answer():
    """One v5 record as a v9 and an IPFIX datagram, spelled out."""
    r = rec(unix_secs=1000, unix_nsecs=250000000, sysUpTime=5000, srcaddr=0x0A000001,
            dstaddr=0x0A000002, nexthop=0x0A000003, input=1, output=2, dPkts=3,
            dOctets=4, First=4000, Last=4500, srcport=80, dstport=1024, tcp_flags=0x1B,
            prot=6, tos=8, src_as=65000, dst_as=65001, src_mask=24, dst_mask=16,
            engine_type=1, engine_id=2)
    body = bytes.fromhex("0a000001 0a000002 0a000003 0001 0002 00000003 00000004"
                         .replace(" ", ""))
    tail = bytes.fromhex("0050 0400 0000 1b 06 08 fde8 fde9 18 10 01 02".replace(" ", ""))
    tpl = b"".join(ie.to_bytes(2, "big") + w.to_bytes(2, "big") for ie, w in xo.V5_TEMPLATE_V9)
    (d,) = ipfixenc.encode(host_records("5", [r]), rt_of("5"), 9)
    want = (bytes.fromhex("0009 0002 0000128e 000003e8 00000000 00000102".replace(" ", ""))
            + b"\x00\x00\x00\x5c\x01\x00\x00\x15" + tpl
            + b"\x01\x00\x00\x38" + body + bytes.fromhex("00000fa0 00001194") + tail
            + b"\x00\x00\x00")               # 4 + 49 = 53 bytes, padded to 56
    assert d == want
    tpl10 = tpl.replace(b"\x00\x16\x00\x04", b"\x00\x98\x00\x08").replace(
        b"\x00\x15\x00\x04", b"\x00\x99\x00\x08")
    (d,) = ipfixenc.encode(host_records("5", [r]), rt_of("5"), 10)
    # First: 1000 s + 250 ms - 5000 ms + 4000 ms = 999250 ms; Last 999750
    want = (bytes.fromhex("000a 00a9 000003e8 00000000 00000102".replace(" ", ""))
            + b"\x00\x02\x00\x5c\x01\x00\x00\x15" + tpl10
            + b"\x01\x00\x00\x3d" + body
            + (999250).to_bytes(8, "big") + (999750).to_bytes(8, "big") + tail)
    assert d == want and len(d) == 0xA9


@pytest.mark.parametrize("version", [9, 10])
def test_sizes_0_1_cap_cap_plus_1(version):
    cap_t = xo.capacity(version, "5", True)
    cap = xo.capacity(version, "5", False)
    for n in (0, 1, cap_t, cap_t + 1, cap_t + cap, cap_t + cap + 1):
        recs = [rec(srcaddr=i) for i in range(n)]
        got = ipfixenc.encode(host_records("5", recs), rt_of("5"), version)
        assert xo.parse_all(version, got) == xo.expected(version, "5", recs)
        assert all(len(d) <= xo.MAX_LEN for d in got)
    enc = ipfixenc.Encoder(version, rt_of("5"))
    enc.encode(host_records("5", [rec()] * cap_t))
    assert enc.last_full
    enc.encode(host_records("5", [rec()]))
    enc.flush()
    assert not enc.last_full and enc.totals == (2, 1, cap_t + 1)


def test_v9_uptime_takes_the_nanoseconds():
    """v9 headers have no nanoseconds: sysUpTime - unix_nsecs in ms, so the
    absolute times stay flow-tools'."""
    r = rec(unix_secs=700, unix_nsecs=999999999, sysUpTime=100000, First=50000)
    (m,) = xo.parse_all(9, ipfixenc.encode(host_records("5", [r]), rt_of("5"), 9))
    assert m.uptime == 100000 - 999 and m.secs == 700
    assert m.secs * 1000 - m.uptime + 50000 == xo.abs_ms(r, "First")


def test_refresh_by_datagrams_and_by_time():
    # 30 full datagrams of one domain: templates in 0, 20
    cap_t, cap = xo.capacity(9, "5", True), xo.capacity(9, "5", False)
    recs = [rec()] * (2 * cap_t + 28 * cap)
    ms = xo.parse_all(9, ipfixenc.encode(host_records("5", recs), rt_of("5"), 9))
    assert [i for i, m in enumerate(ms) if m.template] == [0, 20]
    assert [m.seq for m in ms] == list(range(30))
    # flow time: 1800 s after the last template, or going back
    recs = [rec(unix_secs=s) for s in (100, 200, 1899, 1900, 1901, 50, 60)]
    ms = xo.parse_all(10, ipfixenc.encode(host_records("5", recs), rt_of("5"), 10))
    assert [m.template is not None for m in ms] == [1, 0, 0, 1, 0, 1, 0]
    assert [m.seq for m in ms] == list(range(7))     # IPFIX: records before


def test_domains_have_their_own_template_and_sequence():
    recs = [rec(engine_type=1, engine_id=2), rec(engine_type=1, engine_id=2), rec(),
            rec(engine_type=1, engine_id=2), rec(engine_type=255, engine_id=255)]
    ms = xo.parse_all(10, ipfixenc.encode(host_records("5", recs), rt_of("5"), 10))
    assert [(m.domain, m.seq, m.template is not None, len(m.records)) for m in ms] == [
        (0x102, 0, True, 2), (0, 0, True, 1), (0x102, 2, False, 1), (0xFFFF, 0, True, 1)]


def test_version_1005_and_8_fields():
    assert [n for n, _, _ in xo.template(10, "1005")] == [n for n, _, _ in xo.template(10, "5")]
    assert [n for n, _, _ in xo.template(9, "1")] == [
        "srcaddr", "dstaddr", "nexthop", "input", "output", "dPkts", "dOctets", "First",
        "Last", "srcport", "dstport", "icmp", "tcp_flags", "prot", "tos"]
    assert [n for n, _, _ in xo.template(9, "8.1")][:3] == ["input", "output", "dFlows"]
    assert "marked_tos" in [n for n, _, _ in xo.template(9, "8.6")]


# ---------------------------------------------------------------------------
# properties

# few distinct header values, so that datagrams group and domains repeat
def _records(rv):
    small = {"unix_secs": st.sampled_from([0, 1, 1800, 0xFFFFFFFF]),
             "unix_nsecs": st.sampled_from([0, 1000000, 999999999, 0xFFFFFFFF]),
             "sysUpTime": st.sampled_from([0, 500, 90000, 0xFFFFFFFF]),
             "engine_type": st.sampled_from([0, 255]),
             "engine_id": st.sampled_from([0, 7])}
    return st.fixed_dictionaries({
        name: small.get(name, fst.field_values(rv, name)) for name in oracle.fields(rv)})


@given(st.data(), st.sampled_from([9, 10]), fst.versions(),
       st.sampled_from([1, 2, 3, 20, 1000]), st.sampled_from([1, 1799, 1800, 4000000000]))
def test_datagrams_equal_the_model(data, version, rv, refresh_pdus, refresh_secs):
    """Random records of any version: the datagrams decode (plain struct)
    to exactly the documented messages, none longer than 1464 bytes; a
    template precedes every domain's first data set."""
    runs = data.draw(st.lists(st.tuples(_records(rv), st.integers(1, 40)), max_size=8))
    recs = [r for r, k in runs for _ in range(k)]
    got = ipfixenc.encode(host_records(rv, recs), rt_of(rv), version,
                          refresh_pdus, refresh_secs)
    assert all(len(d) <= xo.MAX_LEN for d in got)
    assert xo.parse_all(version, got) == xo.expected(version, rv, recs, refresh_pdus,
                                                     refresh_secs)


@given(st.data(), st.sampled_from([9, 10]), st.integers(1, 5))
def test_any_chunking_and_room_same_datagrams(data, version, burst):
    recs = data.draw(st.lists(_records("5"), max_size=120))
    raw = host_records("5", recs)
    want = ipfixenc.encode(raw, rt_of("5"), version)
    enc = ipfixenc.Encoder(version, rt_of("5"), burst=burst)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(recs)), max_size=5)))
    got, pos = [], 0
    size = len(raw) // max(len(recs), 1)
    for c in cuts + [len(recs)]:
        got += enc.encode(raw[pos * size:c * size])
        pos = c
    got += enc.flush()
    assert got == want


# ---------------------------------------------------------------------------
# misuse

def test_statuses():
    st_ = ffi.new("ftc_ipxenc_t *")
    c = [ffi.new("size_t *") for _ in range(3)]
    assert lib.ftc_ipxenc_encode(st_, 7, rt_of("5"), ffi.NULL, 0, ffi.NULL, 0, ffi.NULL, 0,
                                 *c) == lib.FTC_EDVERSION
    assert lib.ftc_ipxenc_encode(st_, 9, 99, ffi.NULL, 0, ffi.NULL, 0, ffi.NULL, 0,
                                 *c) == lib.FTC_EINVAL
    assert lib.ftc_ipxenc_encode(st_, 9, rt_of("5"), ffi.NULL, 0, ffi.NULL, 0, ffi.NULL, 0,
                                 *c) == lib.FTC_OK
    # the first call fixed version and record type
    assert lib.ftc_ipxenc_encode(st_, 10, rt_of("5"), ffi.NULL, 0, ffi.NULL, 0, ffi.NULL, 0,
                                 *c) == lib.FTC_EINVAL
    assert lib.ftc_ipxenc_encode(st_, 9, rt_of("1"), ffi.NULL, 0, ffi.NULL, 0, ffi.NULL, 0,
                                 *c) == lib.FTC_EINVAL
    # a state that is not one the encoder left
    st_.pend_len = 5000
    assert lib.ftc_ipxenc_flush(st_, ffi.NULL, 0, ffi.NULL, 0, c[1], c[2]) == lib.FTC_EINVAL
    st_.pend_len = 0
    st_.pend_count = 3
    assert lib.ftc_ipxenc_flush(st_, ffi.NULL, 0, ffi.NULL, 0, c[1], c[2]) == lib.FTC_EINVAL
    # no room: FTC_EFULL, nothing lost (the datagram waits)
    one = host_records("5", [rec()])
    st_ = ffi.new("ftc_ipxenc_t *")
    src = ffi.from_buffer("uint8_t[]", one)
    assert lib.ftc_ipxenc_encode(st_, 9, rt_of("5"), src, 1, ffi.NULL, 0, ffi.NULL, 0,
                                 *c) == lib.FTC_OK
    assert lib.ftc_ipxenc_flush(st_, ffi.NULL, 0, ffi.NULL, 0, c[1], c[2]) == lib.FTC_EFULL
    out, lens = ffi.new("uint8_t[]", 1464), ffi.new("uint32_t[]", 1)
    assert lib.ftc_ipxenc_flush(st_, out, 1464, lens, 1, c[1], c[2]) == lib.FTC_OK
    assert c[1][0] == 1 and lens[0] == c[2][0] == 20 + 92 + 56
    with pytest.raises(FormatError):
        ipfixenc.Encoder(8, rt_of("5"))
    with pytest.raises(InternalError):
        list(ipfixenc.Encoder(9, rt_of("5")).packed(b"\0" * 10))
