"""NetFlow v9 and IPFIX decoding with templates (csrc/ipfix.c through
pyflowtools/core/ipfix.py): hand-built datagrams (tests/ipfix_oracle.py's
encoder) for every field mapping, time encoding, sampling, template and
pending rule, the caps, sequence accounting and saved templates; C against
the plain-Python evaluation of the documented mapping for generated
templates and records; arbitrary bytes; the libFuzzer harness's seeds and
crashers (csrc/fuzz/fuzz_ipfix.c)."""
import pathlib
import struct
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ipfix_oracle as X
import oracle
from ipfix_oracle import Field as F
from pyflowtools.core import ipfix
from pyflowtools.core.errors import FormatError
from pyflowtools.core.native import ffi, lib

RT = {"1": lib.FTC_RT_V1, "5": lib.FTC_RT_V5, "6": lib.FTC_RT_V6, "7": lib.FTC_RT_V7,
      "1005": lib.FTC_RT_V1005}
RT_ALL = dict(RT, **{"1006": lib.FTC_RT_V1006})      # v1006: IPv4 and IPv6 flows stored
EXP = 0x0A000001            # the exporter
PORT = 2055
LOCAL = 0x7F000001
NOW = 1700000000            # receive time (s)
E = 1700000100              # export time in the datagrams (s)
U32 = 0xFFFFFFFF
R = {name: getattr(lib, "FTC_IPX_R_" + name) for name in
     ("SHORT", "LENGTH", "SET", "TEMPLATE", "CAP", "RECORD", "VERSION")}
CORPUS = pathlib.Path(__file__).resolve().parent / "corpus" / "ipfix"
SEEDS = pathlib.Path(__file__).resolve().parent.parent / "csrc" / "fuzz" / "seeds" / "fuzz_ipfix"

# softflowd's IPv4 flow template (1024) and its options template (256)
SOFTFLOWD = [F(8, 4), F(12, 4), F(22, 4), F(21, 4), F(1, 4), F(2, 4), F(10, 4), F(14, 4),
             F(61, 1), F(136, 1), F(7, 2), F(11, 2), F(4, 1), F(6, 1), F(60, 1), F(5, 1)]
SOFT_OPT_SCOPE = [F(143, 4)]
SOFT_OPT = [F(160, 8), F(305, 4), F(306, 4), F(304, 2), F(82, 16)]


def small(**kw):
    """A small cache (the defaults take 24 MiB)."""
    lim = dict(max_sources=64, max_templates=256, max_per_source=64, max_fields=64,
               pending_bytes=1 << 16, pending_per_source=1 << 15, pending_secs=60)
    lim.update(kw)
    return ipfix.TemplateCache(**lim)


def decode(cache, dg, version="5", src=EXP, port=PORT, now=NOW):
    data, info = cache.decode(dg, src, port, LOCAL, now, RT_ALL[version])
    return oracle.decode_records(version, data, sys.byteorder), info


def release(cache, version="5", now=NOW):
    data, info = cache.release(now, RT_ALL[version])
    return oracle.decode_records(version, data, sys.byteorder), info


def tset(version, *records):
    """A template set (v9 flowset 0 / IPFIX set 2)."""
    return X.set_bytes(0 if version == 9 else 2, b"".join(records))


def oset(version, *records):
    """An options template set (v9 flowset 1 / IPFIX set 3)."""
    return X.set_bytes(1 if version == 9 else 3, b"".join(records))


def dset(tid, fields, rows, pad=0):
    return X.set_bytes(tid, b"".join(X.data_record(fields, r) for r in rows), pad)


def dgram(version, sets, seq=0, secs=E, uptime=0, domain=0):
    if version == 9:
        return X.v9(sets, seq=seq, uptime=uptime, secs=secs, source_id=domain)
    return X.ipfix(sets, seq=seq, export=secs, domain=domain)


def flows(version, fields, rows, tid=256, **kw):
    """A datagram defining template tid and carrying rows of it."""
    return dgram(version, [tset(version, X.template_record(version, tid, fields)),
                           dset(tid, fields, rows)], **kw)


def check_oracle(recs, version, fields, rows, src, uptime=0, secs=E, nscope=0):
    want = [X.expect(version, fields, r, src, EXP, secs, uptime, nscope) for r in rows]
    want = [w for w in want if isinstance(w, dict)]
    assert len(recs) == len(want)
    for got, w in zip(recs, want):
        for k, v in w.items():
            if k in got:
                assert got[k] == v, (k, got, w)
        for k, v in got.items():
            if k not in w:
                assert v == 0, (k, got)


# ---------------------------------------------------------------------------
# softflowd's datagrams

def softflowd_datagram(nrec=30, seq=0, init_ms=None):
    """IPFIX as softflowd sends it: the options template and its record
    (system init time), the flow template, nrec flow records."""
    init_ms = (E - 3600) * 1000 if init_ms is None else init_ms
    rows = []
    for i in range(nrec):
        start = 3600 * 1000 - 5000 + i        # uptime ms
        rows.append([0x0A000001 + i, 0x0A000002, start, start + 1500, 1500 + i, 3, 1, 2, 0,
                     1, 40000 + i, 443, 6, 0x1B, 4, 0])
    return X.ipfix([
        oset(10, X.options_record(10, 256, SOFT_OPT_SCOPE, SOFT_OPT)),
        X.set_bytes(256, X.data_record(SOFT_OPT_SCOPE + SOFT_OPT,
                                       [1, init_ms, 1, 0, 1, b"/tmp/sfcap/t.pca"])),
        tset(10, X.template_record(10, 1024, SOFTFLOWD)),
        dset(1024, SOFTFLOWD, rows)], seq=seq, export=E), rows


def test_softflowd_datagram():
    dg, rows = softflowd_datagram(30)
    c = small()
    recs, info = decode(c, dg)
    assert (info.version, info.records, info.options, info.templates) == (10, 30, 1, 2)
    assert (info.reason, info.bad_sets, info.seq_new, info.sampling) == (0, 0, 1, 1)
    assert info.export_secs == E and info.source == 0
    src = X.Source(10)
    src.options(SOFT_OPT_SCOPE + SOFT_OPT, [1, (E - 3600) * 1000, 1, 0, 1, b"x" * 16], 1)
    check_oracle(recs, 10, SOFTFLOWD, rows, src)
    r = recs[0]
    assert (r["srcaddr"], r["dstaddr"], r["srcport"], r["dstport"]) == (
        0x0A000001, 0x0A000002, 40000, 443)
    assert (r["prot"], r["tcp_flags"], r["dOctets"], r["dPkts"]) == (6, 0x1B, 1500, 3)
    assert (r["input"], r["output"], r["exaddr"], r["sysUpTime"]) == (1, 2, EXP, 3600 * 1000)
    # flow-tools' absolute times are the true ones: init + uptime ms
    assert X.flow_ms(r, "First") == (E - 3600) * 1000 + rows[0][2]
    assert X.flow_ms(r, "Last") == (E - 3600) * 1000 + rows[0][3]
    s, = c.sources()
    assert (s.exporter_ip, s.port, s.version, s.local_ip, s.templates) == (EXP, PORT, 10,
                                                                           LOCAL, 2)
    assert (s.datagrams, s.records, s.sampling, s.sampling_algo) == (1, 30, 1, 1)


@pytest.mark.parametrize("version", sorted(RT))
def test_every_record_type(version):
    dg, rows = softflowd_datagram(3)
    recs, info = decode(small(), dg, version)
    assert info.records == 3 and len(recs) == 3
    assert [r["srcaddr"] for r in recs] == [0x0A000001, 0x0A000002, 0x0A000003]


def test_record_type_must_have_a_stream_form():
    with pytest.raises(FormatError):
        small().decode(softflowd_datagram(1)[0], EXP, PORT, 0, NOW, lib.FTC_RT_V8_1)


# ---------------------------------------------------------------------------
# field mapping: known answers (and the oracle agrees)

MAPPING = [
    # (fields, row, expected fields of the record)
    ([F(8, 4), F(12, 4), F(15, 4)], [0x0A000001, 0xC0A80001, 0x0A0000FE],
     {"srcaddr": 0x0A000001, "dstaddr": 0xC0A80001, "nexthop": 0x0A0000FE}),
    ([F(8, 4), F(1, 8), F(2, 8)], [1, 2 ** 40, 5], {"dOctets": U32, "dPkts": 5}),
    ([F(8, 4), F(1, 3), F(2, 1)], [1, 0x123456, 7], {"dOctets": 0x123456, "dPkts": 7}),
    ([F(8, 4), F(1, 5), F(2, 6)], [1, 0xFFFFFFFF, 0x100000000], {"dOctets": U32,
                                                                 "dPkts": U32}),
    ([F(23, 4), F(24, 4)], [100, 2], {"dOctets": 100, "dPkts": 2}),
    ([F(1, 4), F(23, 4), F(24, 2), F(2, 2)], [100, 999, 9, 1], {"dOctets": 100, "dPkts": 1}),
    ([F(8, 4), F(4, 1), F(5, 1), F(6, 2)], [1, 17, 0xB8, 0x1FF],
     {"prot": 17, "tos": 0xB8, "tcp_flags": 0xFF}),
    ([F(8, 4), F(4, 2), F(5, 4)], [1, 300, 70000], {"prot": 255, "tos": 255}),
    ([F(8, 4), F(195, 1)], [1, 46], {"tos": 46 << 2}),
    ([F(8, 4), F(195, 1), F(5, 1)], [1, 46, 0x20], {"tos": 0x20}),
    ([F(8, 4), F(7, 2), F(11, 2)], [1, 1234, 53], {"srcport": 1234, "dstport": 53}),
    ([F(8, 4), F(7, 4), F(11, 1)], [1, 70000, 80], {"srcport": 65535, "dstport": 80}),
    ([F(8, 4), F(4, 1), F(32, 2)], [1, 1, 0x0303], {"dstport": 0x0303}),
    ([F(8, 4), F(32, 2), F(11, 2)], [1, 0x0303, 99], {"dstport": 99}),
    ([F(8, 4), F(176, 1), F(177, 1)], [1, 3, 1], {"dstport": 0x0301}),
    ([F(8, 4), F(177, 1), F(176, 1)], [1, 13, 8], {"dstport": 0x080D}),
    ([F(8, 4), F(176, 1)], [1, 11], {"dstport": 0x0B00}),
    ([F(8, 4), F(32, 2), F(176, 1), F(177, 1)], [1, 0x0800, 3, 3], {"dstport": 0x0800}),
    ([F(8, 4), F(9, 1), F(13, 1)], [1, 24, 16], {"src_mask": 24, "dst_mask": 16}),
    ([F(8, 4), F(9, 2), F(13, 4)], [1, 300, 32], {"src_mask": 255, "dst_mask": 32}),
    ([F(8, 4), F(10, 4), F(14, 4)], [1, 70000, 65535], {"input": 65535, "output": 65535}),
    ([F(8, 4), F(10, 2), F(14, 1)], [1, 5, 6], {"input": 5, "output": 6}),
    ([F(8, 4), F(10, 8), F(14, 3)], [1, 2 ** 33, 1000], {"input": 65535, "output": 1000}),
    ([F(8, 4), F(16, 4), F(17, 4)], [1, 70000, 64512], {"src_as": X.AS_TRANS,
                                                        "dst_as": 64512}),
    ([F(8, 4), F(16, 2), F(17, 8)], [1, 100, 2 ** 40], {"src_as": 100,
                                                        "dst_as": X.AS_TRANS}),
    ([F(8, 4), F(38, 1), F(39, 2)], [1, 2, 300], {"engine_type": 2, "engine_id": 255}),
    ([F(8, 4), F(61, 1), F(136, 1), F(999, 4), F(12, 4)], [1, 1, 2, 3, 4],
     {"srcaddr": 1, "dstaddr": 4}),
    ([F(8, 16), F(12, 4), F(1, 4)], [bytes(range(16)), 7, 10], {"srcaddr": 0, "dstaddr": 7,
                                                                "dOctets": 10}),
    ([F(8, 4), F(2, 4), F(3, 4)], [1, 9, 5], {"dPkts": 9}),   # dFlows: no such field here
]


@pytest.mark.parametrize("version", [9, 10])
@pytest.mark.parametrize("case", range(len(MAPPING)))
def test_field_mapping(case, version):
    fields, row, want = MAPPING[case]
    recs, info = decode(small(), flows(version, fields, [row]))
    assert info.records == 1 and info.reason == 0
    for k, v in want.items():
        assert recs[0][k] == v, k
    assert recs[0]["exaddr"] == EXP and recs[0]["unix_secs"] == E
    check_oracle(recs, version, fields, [row], X.Source(version))


def test_peer_nexthop_in_v6_records():
    fields = [F(8, 4), F(18, 4)]
    recs, _ = decode(small(), flows(10, fields, [[1, 0xC0000201]]), "6")
    assert recs[0]["peer_nexthop"] == 0xC0000201


def test_enterprise_fields_are_skipped():
    fields = [F(8, 4), F(12, 4, enterprise=9), F(1, 4, enterprise=29305), F(12, 4), F(2, 4)]
    recs, info = decode(small(), flows(10, fields, [[1, 99, 98, 2, 3]]))
    assert info.records == 1
    assert (recs[0]["dstaddr"], recs[0]["dOctets"], recs[0]["dPkts"]) == (2, 0, 3)


def test_variable_length_fields():
    fields = [F(8, 4), F(82, X.VARLEN), F(2, 4, enterprise=9), F(12, 4), F(83, X.VARLEN),
              F(1, 4)]
    rows = [[1, b"", 5, 2, b"", 10],
            [3, b"eth0", 5, 4, b"x" * 254, 20],
            [5, b"y" * 255, 5, 6, b"z" * 300, 30],     # 255 and more: 3-byte lengths
            [7, b"\xff" * 3, 5, 8, b"q", 40]]
    recs, info = decode(small(), flows(10, fields, rows))
    assert info.records == 4 and info.bad_sets == 0
    assert [(r["srcaddr"], r["dstaddr"], r["dOctets"]) for r in recs] == [
        (1, 2, 10), (3, 4, 20), (5, 6, 30), (7, 8, 40)]


def test_variable_length_field_past_its_set():
    fields = [F(8, 4), F(82, X.VARLEN), F(1, 4)]
    good = X.data_record(fields, [1, b"ab", 10])
    bad = X.data_record(fields, [2, b"abcdef", 20])[:-6]     # says 6 bytes, has fewer
    dg = dgram(10, [tset(10, X.template_record(10, 300, fields)),
                    X.set_bytes(300, good + good + bad)])
    recs, info = decode(small(), dg)
    assert info.records == 2 and info.bad_sets == 1 and info.refused == {R["RECORD"]: 1}
    assert info.reason == 0


def test_reduced_size_integers_every_width():
    for n in range(1, 9):
        fields = [F(8, 4), F(1, n), F(2, n), F(10, n), F(7, n)]
        v = (1 << (8 * n)) - 1
        recs, _ = decode(small(), flows(10, fields, [[1, v, 1, v, v]]))
        r = recs[0]
        assert r["dOctets"] == min(v, U32) and r["dPkts"] == 1
        assert r["input"] == min(v, 65535) and r["srcport"] == min(v, 65535)


def test_padding_is_ignored():
    fields = SOFTFLOWD
    row = [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 9, 10, 6, 0, 4, 0]
    for pad in (1, 3, 41):
        dg = dgram(10, [X.set_bytes(2, X.template_record(10, 1024, fields), pad=3),
                        dset(1024, fields, [row, row], pad=pad)])
        recs, info = decode(small(), dg)
        assert info.records == 2 and info.bad_sets == 0 and info.templates == 1
    # v9: template flowsets padded to 4 bytes, options too
    opt = X.options_record(9, 257, [F(1, 4)], [F(34, 4)])
    dg = X.v9([X.set_bytes(0, X.template_record(9, 256, fields), pad=2),
               X.set_bytes(1, opt, pad=2),
               dset(257, [F(1, 4), F(34, 4)], [[0, 10]], pad=3),
               dset(256, fields, [row], pad=2)], secs=E)
    recs, info = decode(small(), dg)
    assert (info.templates, info.options, info.records, info.bad_sets) == (2, 1, 1, 0)
    assert recs[0]["dOctets"] == 50


def test_other_templates_are_counted_not_stored():
    fields = [F(82, X.VARLEN), F(10, 4), F(61, 1)]
    recs, info = decode(small(), flows(10, fields, [[b"eth0", 1, 0], [b"eth1", 2, 1]]))
    assert (info.records, info.other, len(recs)) == (0, 2, 0)


# ---------------------------------------------------------------------------
# times

T0 = (E - 10) * 1000 - 123       # true start (ms)
T1 = (E - 2) * 1000 + 456        # true end


def _times(version, fields, row, uptime=0, pre=()):
    c = small()
    for dg in pre:
        decode(c, dg)
    recs, info = decode(c, flows(version, fields, [row], uptime=uptime))
    assert info.records == 1
    return recs[0]


def test_v9_uptime_times():
    up = 86400000 + 777
    r = _times(9, [F(8, 4), F(22, 4), F(21, 4)],
               [1, up - (E * 1000 - T0), up - (E * 1000 - T1)], uptime=up)
    assert r["sysUpTime"] == up and r["unix_nsecs"] == 0
    assert (X.flow_ms(r, "First"), X.flow_ms(r, "Last")) == (T0, T1)


@pytest.mark.parametrize("version", [9, 10])
@pytest.mark.parametrize("enc", ["s", "ms", "us", "ns", "delta"])
def test_absolute_time_encodings(version, enc):
    ies, conv, res = {
        "s": ((150, 151), lambda t: t // 1000, 1000),
        "ms": ((152, 153), lambda t: t, 1),
        "us": ((154, 155), X.ntp, 1),
        "ns": ((156, 157), X.ntp, 1),
        "delta": ((158, 159), lambda t: E * 1000000 - t * 1000, 1),
    }[enc]
    width = 8 if enc in ("ms", "us", "ns") else 4
    fields = [F(8, 4), F(ies[0], width), F(ies[1], width)]
    r = _times(version, fields, [1, conv(T0), conv(T1)], uptime=5000000)
    assert X.flow_ms(r, "First") == T0 // res * res
    assert X.flow_ms(r, "Last") == T1 // res * res
    if version == 10:
        assert r["sysUpTime"] == X.VUPTIME    # no init time: the virtual uptime


def test_ipfix_uptime_with_init_time_in_the_record():
    init = (E - 7200) * 1000 + 5
    r = _times(10, [F(8, 4), F(22, 4), F(21, 4), F(160, 8)],
               [1, T0 - init, T1 - init, init])
    assert r["sysUpTime"] == E * 1000 - init
    assert (X.flow_ms(r, "First"), X.flow_ms(r, "Last")) == (T0, T1)


def test_ipfix_uptime_with_init_time_from_options():
    init = (E - 7200) * 1000 + 5
    opts = X.ipfix([oset(10, X.options_record(10, 300, [F(149, 4)], [F(160, 8)])),
                    X.set_bytes(300, X.data_record([F(149, 4), F(160, 8)], [0, init]))],
                   export=E - 50)
    r = _times(10, [F(8, 4), F(22, 4), F(21, 4)], [1, T0 - init, T1 - init], pre=[opts])
    assert r["sysUpTime"] == E * 1000 - init
    assert (X.flow_ms(r, "First"), X.flow_ms(r, "Last")) == (T0, T1)


def test_ipfix_uptime_without_init_time_ends_at_export():
    r = _times(10, [F(8, 4), F(22, 4), F(21, 4)], [1, 1000, 4500])
    assert r["sysUpTime"] == X.VUPTIME
    assert X.flow_ms(r, "Last") == E * 1000
    assert X.flow_ms(r, "Last") - X.flow_ms(r, "First") == 3500


def test_only_a_start_or_no_time():
    r = _times(10, [F(8, 4), F(152, 8)], [1, T0])
    assert X.flow_ms(r, "First") == X.flow_ms(r, "Last") == T0
    r = _times(10, [F(8, 4), F(153, 8)], [1, T1])
    assert X.flow_ms(r, "First") == X.flow_ms(r, "Last") == T1
    r = _times(10, [F(8, 4)], [1])
    assert X.flow_ms(r, "First") == X.flow_ms(r, "Last") == E * 1000
    r = _times(9, [F(8, 4)], [1], uptime=1234)
    assert (r["First"], r["Last"], r["sysUpTime"]) == (1234, 1234, 1234)


def test_time_encodings_by_priority():
    # ms wins over seconds and uptime; the others are skipped
    fields = [F(8, 4), F(22, 4), F(150, 4), F(152, 8), F(21, 4), F(153, 8)]
    r = _times(10, fields, [1, 5, T0 // 1000 - 100, T0, 6, T1])
    assert (X.flow_ms(r, "First"), X.flow_ms(r, "Last")) == (T0, T1)


def test_ntp_era_1():
    t = 2200000000123          # 2039: NTP seconds past 2^32
    secs = t // 1000 + 1
    fields = [F(8, 4), F(156, 8)]
    recs, _ = decode(small(), flows(10, fields, [[1, X.ntp(t)]], secs=secs))
    assert X.flow_ms(recs[0], "First") == t


# ---------------------------------------------------------------------------
# sampling

FLOW = [F(8, 4), F(1, 4), F(2, 4)]


def test_ipfix_options_sampling_interval():
    c = small()
    scope, opt = [F(149, 4)], [F(34, 4), F(35, 1)]
    decode(c, X.ipfix([oset(10, X.options_record(10, 300, scope, opt)),
                       X.set_bytes(300, X.data_record(scope + opt, [0, 100, 2]))], export=E))
    recs, info = decode(c, flows(10, FLOW, [[1, 1500, 3], [2, 2 ** 31, 2 ** 30]]))
    assert info.sampling == 100
    assert [(r["dOctets"], r["dPkts"]) for r in recs] == [(150000, 300), (U32, U32)]
    s, = c.sources()
    assert (s.sampling, s.sampling_algo) == (100, 2)


def test_v9_samplers_by_id():
    c = small()
    scope, opt = [F(1, 4)], [F(48, 1), F(49, 1), F(50, 4)]
    orec = X.options_record(9, 300, scope, opt)
    rows = [[0, 5, 2, 100], [0, 6, 2, 10]]        # sampler 5: 1/100, sampler 6: 1/10
    decode(c, X.v9([oset(9, orec), dset(300, scope + opt, rows)], secs=E))
    fields = [F(8, 4), F(48, 1), F(1, 4), F(2, 4)]
    recs, info = decode(c, flows(9, fields, [[1, 5, 10, 1], [2, 6, 10, 1], [3, 7, 10, 1]]))
    assert [r["dOctets"] for r in recs] == [1000, 100, 100]   # 7: the source's (the last)
    assert info.sampling == 10
    recs, _ = decode(c, flows(9, FLOW, [[1, 10, 1]], tid=257))
    assert recs[0]["dOctets"] == 100


def test_v9_scope_fields_are_scopes():
    c = small()
    scope, opt = [F(34, 4)], [F(34, 4)]          # scope type 34 is no samplingInterval
    decode(c, X.v9([oset(9, X.options_record(9, 300, scope, opt)),
                    dset(300, scope + opt, [[7, 20]])], secs=E))
    assert c.sources()[0].sampling == 20


def test_record_carries_its_interval():
    c = small()
    fields = [F(8, 4), F(1, 4), F(2, 4), F(34, 4)]
    recs, _ = decode(c, flows(10, fields, [[1, 10, 1, 64], [2, 10, 1, 0]]))
    assert [r["dOctets"] for r in recs] == [640, 10]


def test_packet_interval_and_space():
    for pint, space, want in ((1, 99, 100), (2, 98, 50), (50, None, 50), (0, None, 1)):
        c = small()
        opt = [F(305, 4)] + ([F(306, 4)] if space is not None else [])
        row = [1, pint] + ([space] if space is not None else [])
        decode(c, X.ipfix([oset(10, X.options_record(10, 300, [F(302, 4)], opt)),
                           X.set_bytes(300, X.data_record([F(302, 4)] + opt, row))]))
        assert c.sources()[0].sampling == want, (pint, space)
        recs, _ = decode(c, flows(10, FLOW, [[1, 10, 1]]))
        assert recs[0]["dOctets"] == 10 * want


def test_selector_id_in_flow_records():
    c = small()
    scope, opt = [F(302, 8)], [F(305, 4), F(306, 4), F(304, 2)]
    rows = [[1, 1, 9, 1], [2, 1, 999, 1]]
    decode(c, X.ipfix([oset(10, X.options_record(10, 300, scope, opt)),
                       dset(300, scope + opt, rows)]))
    fields = [F(8, 4), F(302, 8), F(1, 4)]
    recs, _ = decode(c, flows(10, fields, [[1, 1, 1], [2, 2, 1], [3, 3, 1]]))
    assert [r["dOctets"] for r in recs] == [10, 1000, 1000]


def test_samplers_are_capped_per_source():
    c = small()
    scope, opt = [F(48, 2)], [F(50, 4)]
    rows = [[i, 10 + i] for i in range(lib.FTC_IPX_MAX_SAMPLERS + 3)]
    decode(c, X.ipfix([oset(10, X.options_record(10, 300, scope, opt)),
                       dset(300, scope + opt, rows)]))
    fields = [F(8, 4), F(48, 2), F(1, 4)]
    last = rows[-1][1]
    recs, _ = decode(c, flows(10, fields, [[1, r[0], 1] for r in rows]))
    kept = [r[1] for r in rows[-lib.FTC_IPX_MAX_SAMPLERS:]]
    assert [r["dOctets"] for r in recs] == [
        r[1] if r[1] in kept else last for r in rows]


# ---------------------------------------------------------------------------
# templates: replacement, withdrawal, malformed

def test_template_replacement():
    c = small()
    a, b = [F(8, 4), F(12, 4), F(1, 4)], [F(12, 4), F(8, 4), F(2, 2)]
    recs, _ = decode(c, flows(10, a, [[1, 2, 3]]))
    assert (recs[0]["srcaddr"], recs[0]["dstaddr"], recs[0]["dOctets"]) == (1, 2, 3)
    recs, info = decode(c, flows(10, b, [[1, 2, 3]]))
    assert info.templates == 1 and c.sources()[0].templates == 1
    assert (recs[0]["srcaddr"], recs[0]["dstaddr"], recs[0]["dPkts"]) == (2, 1, 3)
    recs, info = decode(c, flows(10, b, [[5, 6, 7]]))     # the same again
    assert info.templates == 1 and recs[0]["dstaddr"] == 5


def test_withdrawals():
    c = small()
    f = [F(8, 4), F(1, 4)]
    decode(c, dgram(10, [tset(10, X.template_record(10, 256, f), X.template_record(10, 257, f)),
                         oset(10, X.options_record(10, 258, [F(149, 4)], [F(34, 4)]))]))
    assert c.sources()[0].templates == 3
    _, info = decode(c, dgram(10, [tset(10, X.withdrawal(256), X.withdrawal(999))]))
    assert info.withdrawn == 1 and c.sources()[0].templates == 2
    recs, info = decode(c, dgram(10, [dset(256, f, [[1, 2]]), dset(257, f, [[1, 2]])]))
    assert (info.records, info.pended) == (1, 1)
    _, info = decode(c, dgram(10, [tset(10, X.withdrawal(2))]))     # all data templates
    assert info.withdrawn == 1 and c.sources()[0].templates == 1
    _, info = decode(c, dgram(10, [oset(10, X.withdrawal(3))]))     # all options templates
    assert info.withdrawn == 1 and c.sources()[0].templates == 0
    _, info = decode(c, dgram(10, [tset(10, X.withdrawal(7))]))
    assert info.refused == {R["TEMPLATE"]: 1}


def test_withdraw_all_with_many_templates():
    c = small(max_templates=256, max_per_source=256, max_sources=4)
    f = [F(8, 4), F(1, 4)]
    for port in (1, 2):
        decode(c, dgram(10, [tset(10, *[X.template_record(10, 256 + i, f)
                                        for i in range(100)])]), port=port)
    _, info = decode(c, dgram(10, [tset(10, X.withdrawal(2))]), port=1)
    assert info.withdrawn == 100
    assert [s.templates for s in c.sources()] == [0, 100]
    recs, info = decode(c, dgram(10, [dset(256 + i, f, [[i, 1]]) for i in range(100)]),
                        port=2)
    assert info.records == 100


MALFORMED_TEMPLATES = [
    (10, b"\x00\x64\x00\x01\x00\x08\x00\x04"),              # ID 100
    (10, b"\x01\x00\x00\x03\x00\x08\x00\x04"),              # fields past the set
    (10, b"\x01\x00\x00\x02\x00\x08\x00\x00\x00\x0c\x00\x00"),   # record length 0
    (9, b"\x01\x00\x00\x00"),                               # v9: no fields
    (10, b"\x01\x00\x00\x01\x80\x08\x00\x04\x00\x00"),      # enterprise number cut
]


@pytest.mark.parametrize("version, rec", MALFORMED_TEMPLATES)
def test_malformed_templates(version, rec):
    c = small()
    good = X.template_record(version, 300, [F(8, 4), F(1, 4)])
    _, info = decode(c, dgram(version, [tset(version, good), tset(version, rec)]))
    assert info.refused.get(R["TEMPLATE"]) == 1 and info.templates == 1
    assert info.reason == 0


@pytest.mark.parametrize("rec", [
    b"\x01\x00\x00\x05\x00\x00\x00\x08\x00\x04",            # IPFIX: scope count 0
    b"\x01\x00\x00\x01\x00\x02\x00\x08\x00\x04",            # scope count > field count
])
def test_malformed_ipfix_options(rec):
    _, info = decode(small(), dgram(10, [oset(10, rec)]))
    assert info.refused == {R["TEMPLATE"]: 1} and info.templates == 0


def test_malformed_v9_options():
    _, info = decode(small(), X.v9([oset(9, b"\x01\x00\x00\x03\x00\x04" + b"\x00" * 7)]))
    assert info.refused == {R["TEMPLATE"]: 1}
    assert info.bad_sets == 1       # the set cannot be read on


# ---------------------------------------------------------------------------
# refused datagrams and sets

@pytest.mark.parametrize("dg, reason", [
    (b"\x00\x0a\x00", "SHORT"),
    (b"\x00\x09" + bytes(17), "SHORT"),
    (b"\x00\x0a\x00\x0f" + bytes(11), "SHORT"),
    (b"\x00\x05" + bytes(40), "VERSION"),
    (X.ipfix([], length=17), "LENGTH"),
    (X.ipfix([X.set_bytes(256, b"abc")], length=20), "LENGTH"),
    (X.ipfix([b"\x01\x00\x00\x03"]), "SET"),
    (X.ipfix([b"\x01\x00\x00\x09abcd"]), "SET"),
    (X.ipfix([X.set_bytes(256, b"abcd"), b"\x00\x02"]), "SET"),
    (X.v9([b"\x01\x00\x00\x00"]), "SET"),
])
def test_refused_datagrams(dg, reason):
    c = small()
    recs, info = decode(c, dg)
    assert info.reason == R[reason] and info.refused == {R[reason]: 1} and recs == []
    assert info.source is None and c.sources() == []


def test_refused_datagram_counts_against_a_known_source():
    c = small()
    decode(c, softflowd_datagram(1)[0])
    _, info = decode(c, X.ipfix([b"\x01\x00\x00\x03"]))
    assert info.reason == R["SET"] and info.source == 0
    assert c.sources()[0].bad == 1 and c.sources()[0].datagrams == 1


def test_no_datagram_over_65535_bytes():
    sets = [dset(256, FLOW, [[1, 2, 3]] * 5000)] * 2
    _, info = decode(small(), X.v9([tset(9, X.template_record(9, 256, FLOW))] + sets))
    assert info.reason == R["LENGTH"]


def test_v9_trailing_bytes():
    c = small()
    dg = flows(9, FLOW, [[1, 2, 3]])
    for pad, reason in ((1, 0), (3, 0), (4, R["SET"])):
        recs, info = decode(c, dg + bytes(pad))
        assert info.reason == reason and len(recs) == (0 if reason else 1)
    _, info = decode(c, flows(10, FLOW, [[1, 2, 3]]) + b"\0")
    assert info.reason == R["LENGTH"]


def test_reserved_set_ids():
    c = small()
    _, info = decode(c, X.ipfix([X.set_bytes(5, b"1234"), X.set_bytes(0, b"")]))
    assert info.bad_sets == 2 and info.reason == 0
    _, info = decode(c, X.v9([X.set_bytes(7, b"1234")]))
    assert info.bad_sets == 1


# ---------------------------------------------------------------------------
# data before its template

def test_pending_then_released():
    c = small()
    f = [F(8, 4), F(1, 4), F(22, 4), F(21, 4)]
    early = X.v9([dset(256, f, [[1, 10, 100, 200], [2, 20, 100, 200]])], uptime=1000,
                 secs=E - 30, seq=0)
    recs, info = decode(c, early, now=NOW)
    assert (info.records, info.pended, info.ready) == (0, 1, 0)
    recs, info = decode(c, X.v9([tset(9, X.template_record(9, 256, f))], seq=1), now=NOW + 5)
    assert (info.templates, info.ready) == (1, 1)
    recs, info = release(c, now=NOW + 5)
    assert info.records == 2 and info.ready == 0 and info.source == 0
    assert [r["srcaddr"] for r in recs] == [1, 2]
    # the waiting set's own header times
    assert (recs[0]["unix_secs"], recs[0]["sysUpTime"]) == (E - 30, 1000)
    recs, info = release(c, now=NOW + 6)
    assert recs == [] and info.records == 0
    s, = c.sources()
    assert (s.pended, s.records, s.expired) == (1, 2, 0)


def test_pending_in_fifo_order_and_released_by_template():
    c = small()
    f = [F(8, 4), F(1, 4)]
    for i in range(5):
        decode(c, dgram(10, [dset(256 + i % 2, f, [[i, 1]])]))
    _, info = decode(c, dgram(10, [tset(10, X.template_record(10, 257, f))]))
    assert info.ready == 2
    recs, _ = release(c)
    assert [r["srcaddr"] for r in recs] == [1, 3]
    _, info = decode(c, dgram(10, [tset(10, X.template_record(10, 256, f))]))
    assert info.ready == 3
    recs, _ = release(c)
    assert [r["srcaddr"] for r in recs] == [0, 2, 4]


def test_pending_expires_by_age():
    c = small(pending_secs=60)
    f = [F(8, 4), F(1, 4)]
    decode(c, dgram(10, [dset(256, f, [[1, 1]])]), now=NOW)
    decode(c, dgram(10, [dset(257, f, [[1, 1]])]), now=NOW + 30)
    _, info = decode(c, dgram(10, []), now=NOW + 59)
    assert info.expired == 0
    _, info = decode(c, dgram(10, []), now=NOW + 60)
    assert (info.expired, info.expired_records) == (1, 0)
    # known template but never released: its records are counted
    _, info = decode(c, dgram(10, [tset(10, X.template_record(10, 257, f))]), now=NOW + 61)
    assert info.ready == 1
    _, info = release(c, now=NOW + 95)
    assert (info.expired, info.expired_records, info.records) == (1, 1, 0)
    assert c.sources()[0].expired == 2


def test_pending_expires_by_room():
    c = small(pending_bytes=4096, pending_per_source=2048)
    f = [F(8, 4), F(1, 4)]
    big = [[i, 1] for i in range(100)]            # 800 bytes a set
    expired = 0
    for _ in range(3):
        _, info = decode(c, dgram(10, [dset(256, f, big)]))
        expired += info.expired
    assert expired == 1                           # the source's share: 2 sets
    for port in (1, 2, 3, 4):                     # others push the oldest out
        for _ in range(2):
            _, info = decode(c, dgram(10, [dset(256, f, big)]), port=port)
            expired += info.expired
    assert expired >= 5
    _, info = decode(c, dgram(10, [dset(256, f, [[0, 1]] * 400)]))   # over the share
    assert info.expired == 1 and info.pended == 0
    assert sum(s.expired for s in c.sources()) == expired + 1
    assert sum(s.pended for s in c.sources()) == 3 + 8


def test_pending_ring_wraps():
    c = small(pending_bytes=3000, pending_per_source=3000, pending_secs=100000)
    f = [F(8, 4), F(1, 4)]
    n = 0
    for i in range(50):
        rows = [[i, 1]] * (1 + i % 7 * 13)
        _, info = decode(c, dgram(10, [dset(256 + i % 3, f, rows)]), now=NOW + i)
        n += info.expired
    assert n > 10
    _, info = decode(c, dgram(10, [tset(10, *[X.template_record(10, 256 + k, f)
                                              for k in range(3)])]), now=NOW + 60)
    recs, rinfo = release(c, now=NOW + 60)
    assert rinfo.records == len(recs) > 0 and rinfo.ready == 0
    # all released sets are the newest ones, in order
    firsts = [r["srcaddr"] for r in recs]
    assert firsts == sorted(firsts) and firsts[-1] == 49


def test_release_when_out_is_small():
    c = small()
    f = [F(8, 4), F(1, 4)]
    for i in range(3):
        decode(c, dgram(10, [dset(256, f, [[i, 1]] * 10)]))
    decode(c, dgram(10, [tset(10, X.template_record(10, 256, f))]))
    info = ffi.new("ftc_ipx_info_t *")
    produced = ffi.new("size_t *")
    out = ffi.new("uint8_t[]", 64 * 15)
    got = 0
    for want in (lib.FTC_EFULL, lib.FTC_EFULL, lib.FTC_OK):
        r = lib.ftc_ipx_release(c._state, NOW, RT["5"], out, 64 * 15, produced, info)
        assert r == want and produced[0] == 10
        got += produced[0]
    assert got == 30


def test_decode_when_out_is_small():
    c = small()
    dg, _ = softflowd_datagram(10)
    info = ffi.new("ftc_ipx_info_t *")
    produced = ffi.new("size_t *")
    out = ffi.new("uint8_t[]", 64 * 10)
    # the bound of an unknown template is a record a byte
    r = lib.ftc_ipx_decode(c._state, dg, len(dg), EXP, PORT, 0, NOW, RT["5"], out, 640,
                           produced, info)
    assert r == lib.FTC_EFULL and produced[0] == 0 and c.sources() == []
    c.decode(dg, EXP, PORT, 0, NOW, RT["5"])
    data = X.ipfix([dset(1024, SOFTFLOWD, [[0] * 16] * 10)], export=E)
    r = lib.ftc_ipx_decode(c._state, data, len(data), EXP, PORT, 0, NOW, RT["5"], out, 640,
                           produced, info)
    assert r == lib.FTC_OK and produced[0] == 10
    r = lib.ftc_ipx_decode(c._state, data, len(data), EXP, PORT, 0, NOW, RT["5"], out, 639,
                           produced, info)
    assert r == lib.FTC_EFULL


# ---------------------------------------------------------------------------
# caps

def test_thousands_of_sources():
    c = small(max_sources=1000)
    dg = flows(10, FLOW, [[1, 2, 3]])
    refused = 0
    for i in range(3000):
        _, info = decode(c, dg, src=0x0A000000 + i, port=1024 + i % 7)
        refused += info.reason == R["CAP"]
    assert refused == 2000 and len(c.sources()) == 1000
    assert c.size == small(max_sources=1000).size


def test_full_table_replaces_a_source_silent_for_an_hour():
    """Past max_sources a new source takes the place of the one heard from
    longest ago, once that one has been silent FTC_IPX_IDLE_SECS; its
    templates go and its waiting data count as expired."""
    idle = lib.FTC_IPX_IDLE_SECS
    c = small(max_sources=3, pending_secs=10 * idle)
    f = [F(8, 4), F(1, 4)]
    tpl = dgram(10, [tset(10, X.template_record(10, 256, f))])
    for port, t in ((1, 0), (2, 10), (3, 20)):
        decode(c, tpl, port=port, now=NOW + t)
    _, info = decode(c, dgram(10, [dset(300, f, [[7, 1]])]), port=3, now=NOW + 20)
    assert info.pended == 1
    # a fourth while none has been silent an hour: refused, nothing forgotten
    _, info = decode(c, tpl, port=4, now=NOW + idle - 1)
    assert info.reason == R["CAP"] and info.evicted == 0
    assert [s.port for s in c.sources()] == [1, 2, 3]
    # port 1 keeps talking; port 2 (heard at +10) is the one silent longest
    decode(c, dgram(10, [dset(256, f, [[1, 1]])]), port=1, now=NOW + idle)
    _, info = decode(c, tpl, port=4, now=NOW + idle + 25)
    assert (info.reason, info.evicted, info.templates, info.expired) == (0, 1, 1, 0)
    srcs = {s.port: s for s in c.sources()}
    assert sorted(srcs) == [1, 3, 4] and (srcs[4].templates, srcs[4].datagrams) == (1, 1)
    # port 2 comes back: port 3 makes room, its waiting set counted as
    # expired; port 2 starts over and no longer knows template 256
    _, info = decode(c, dgram(10, [dset(256, f, [[2, 1]])]), port=2, now=NOW + idle + 26)
    assert (info.evicted, info.expired, info.pended, info.records) == (1, 1, 1, 0)
    recs, _ = decode(c, dgram(10, [dset(256, f, [[3, 1]])]), port=4, now=NOW + idle + 27)
    assert [r["srcaddr"] for r in recs] == [3]
    assert sorted(s.port for s in c.sources()) == [1, 2, 4]


def test_malformed_datagrams_never_evict():
    idle = lib.FTC_IPX_IDLE_SECS
    c = small(max_sources=1)
    decode(c, dgram(10, []), port=1, now=NOW)
    bad = dgram(10, []) + b"\0\0\0"              # IPFIX length field no longer matches
    _, info = decode(c, bad, port=2, now=NOW + 2 * idle)
    assert info.reason == R["LENGTH"] and info.evicted == 0
    assert [s.port for s in c.sources()] == [1]


def test_a_flood_of_new_sources_keeps_memory_and_the_busy_ones():
    """Thousands of spoofed sources against a full table: the size never
    changes, sources heard within the hour are never replaced."""
    idle = lib.FTC_IPX_IDLE_SECS
    c = small(max_sources=100)
    dg = flows(10, FLOW, [[1, 2, 3]])
    for i in range(100):
        decode(c, dg, src=0x0A000000 + i, now=NOW)
    evicted = refused = 0
    for i in range(5000):
        now = NOW + idle // 2 + i
        decode(c, dg, src=0x0A000000 + i % 10, now=now)          # ten stay busy
        _, info = decode(c, dg, src=0x0B000000 + i, now=now)      # spoofed
        evicted += info.evicted
        refused += info.reason == R["CAP"]
    ips = {s.exporter_ip for s in c.sources()}
    assert len(ips) == 100 and all(0x0A000000 + k in ips for k in range(10))
    assert evicted + refused == 5000 and evicted >= 90
    assert c.size == small(max_sources=100).size


def test_templates_per_source_and_in_all():
    c = small(max_per_source=8, max_templates=20)
    f = [F(8, 4), F(1, 4)]
    recs = [X.template_record(10, 256 + i, f) for i in range(12)]
    _, info = decode(c, dgram(10, [tset(10, *recs)]))
    assert info.templates == 8 and info.refused == {R["CAP"]: 4}
    _, info = decode(c, dgram(10, [tset(10, *recs)]), port=2)
    assert info.templates == 8
    _, info = decode(c, dgram(10, [tset(10, *recs)]), port=3)
    assert info.templates == 4 and info.refused == {R["CAP"]: 8}
    assert [s.templates for s in c.sources()] == [8, 8, 4]
    # a replacement is no new template
    _, info = decode(c, dgram(10, [tset(10, X.template_record(10, 256, f[::-1]))]), port=3)
    assert info.templates == 1


def test_fields_per_template():
    c = small(max_fields=10)
    f = [F(8, 4), F(1, 4)]
    _, info = decode(c, dgram(10, [tset(10, X.template_record(10, 256, f))]))
    assert info.templates == 1
    many = [F(8, 4)] + [F(61, 1)] * 10
    _, info = decode(c, dgram(10, [tset(10, X.template_record(10, 256, many))]))
    assert info.refused == {R["CAP"]: 1}
    # the old definition went with the refused one
    _, info = decode(c, dgram(10, [dset(256, f, [[1, 1]])]))
    assert info.pended == 1 and c.sources()[0].templates == 0


def test_template_pool_is_capped():
    c = small(max_templates=4, max_per_source=4, max_fields=512)
    # 300 fields of 4.8 KB compiled (an op and 8 bytes each): the pool takes
    # 4 x 424 bytes plus one template of 512 fields, about 12 KB
    big = [F(8, 4)] + [F(82, X.VARLEN, enterprise=1)] * 299
    recs = [X.template_record(10, 256 + i, big) for i in range(4)]
    _, info = decode(c, dgram(10, [tset(10, r) for r in recs]))
    assert info.templates == 2 and info.refused == {R["CAP"]: 2}
    # small ones still fit, and the big ones decode
    _, info = decode(c, dgram(10, [tset(10, X.template_record(10, 300, FLOW))]))
    assert info.templates == 1
    rows = [[1] + [b"ab"] * 299, [2] + [b""] * 299]
    recs, info = decode(c, dgram(10, [dset(256, big, rows), dset(257, big, rows)]))
    assert [r["srcaddr"] for r in recs] == [1, 2, 1, 2]


def test_template_churn():
    """Definitions replaced, refused and withdrawn by the thousand: the pool
    is compacted again and again, and every template left decodes as its
    last definition says."""
    c = small(max_templates=16, max_per_source=16, max_fields=64)
    size = c.size
    defs = [[F(8, 4)] + [F(61, 1)] * k + [F(82, X.VARLEN)] * (k % 3) + [F(1, 4)]
            for k in range(1, 30)]
    model = {}
    refused = 0
    for rnd in range(150):
        recs = []
        for i in range(10):
            tid, d = 256 + (rnd + 3 * i) % 20, defs[(rnd * 7 + i) % len(defs)]
            recs.append(X.template_record(10, tid, d))
            if tid in model or len(model) < 16:
                model[tid] = d
            else:
                refused += 1
        _, info = decode(c, dgram(10, [tset(10, *recs)]))
        assert info.templates + info.refused.get(R["CAP"], 0) == 10
        refused -= info.refused.get(R["CAP"], 0)
        if rnd % 7 == 6:
            decode(c, dgram(10, [tset(10, X.withdrawal(2))]))
            model.clear()
    assert refused == 0 and c.sources()[0].templates == len(model) > 0
    for tid, d in model.items():
        row = [tid] + [0] * (len(d) - 2) + [tid * 3]
        row = [b"ab" if f.length == X.VARLEN else v for f, v in zip(d, row)]
        recs, info = decode(c, dgram(10, [dset(tid, d, [row, row])]))
        assert [(r["srcaddr"], r["dOctets"]) for r in recs] == [(tid, tid * 3)] * 2
    assert c.size == size
    blob = c.save()
    b = small(max_templates=16, max_per_source=16, max_fields=64)
    assert b.load(blob) == len(model) and b.save() == blob


# ---------------------------------------------------------------------------
# IPv6

def test_ipv6_records_are_counted():
    c = small()
    f6 = [F(27, 16), F(28, 16), F(1, 4), F(2, 4)]
    recs, info = decode(c, flows(10, f6, [[bytes(16), bytes(16), 1, 1]] * 3))
    assert (info.records, info.v6, recs) == (0, 3, [])
    fv = [F(8, 4), F(27, 16), F(60, 1), F(1, 4)]
    rows = [[1, bytes(16), 4, 10], [0, bytes(16), 6, 10], [2, bytes(16), 4, 10]]
    recs, info = decode(c, flows(9, fv, rows, tid=257))
    assert (info.records, info.v6) == (2, 1) and [r["srcaddr"] for r in recs] == [1, 2]
    assert c.sources()[0].v6 == 3 and c.sources()[1].v6 == 1


# softflowd -6's IPv6 templates (2048: TCP/UDP, 2049: ICMPv6) and its
# ICMP one for IPv4 (1025), as it sends them (checked with softflowd 1.1.0)
SOFT6 = [F(27, 16), F(28, 16), F(22, 4), F(21, 4), F(1, 4), F(2, 4), F(10, 4), F(14, 4),
         F(61, 1), F(136, 1), F(7, 2), F(11, 2), F(4, 1), F(6, 1), F(60, 1), F(5, 1)]
SOFT6_ICMP = [F(27, 16), F(28, 16), F(22, 4), F(21, 4), F(1, 4), F(2, 4), F(10, 4),
              F(14, 4), F(61, 1), F(136, 1), F(139, 2), F(4, 1), F(60, 1), F(5, 1)]
SOFT_ICMP = [F(8, 4), F(12, 4), F(22, 4), F(21, 4), F(1, 4), F(2, 4), F(10, 4), F(14, 4),
             F(61, 1), F(136, 1), F(32, 2), F(4, 1), F(60, 1), F(5, 1)]


def a6(text):
    import ipaddress
    return ipaddress.IPv6Address(text).packed


def addr_text(rec, name):
    """A v1006 record's address as Python's ipaddress prints it (the
    IPv4-mapped ones as their IPv4 address)."""
    import ipaddress
    a = ipaddress.IPv6Address(oracle.addr6(rec, name))
    return str(a.ipv4_mapped or a)


@pytest.mark.parametrize("version", [9, 10])
def test_softflowd_ipv6_templates_into_v1006(version):
    """The IPv4 and IPv6 flows of one export, stored together: addresses
    (ipaddress as the oracle), ICMPv6 type/code in dstport, ports, counts."""
    c = small()
    tcp6 = [[a6("2001:db8::1"), a6("2001:db8:0:1::80"), 1000, 2000, 640, 5, 1, 2, 0, 3,
             40000, 80, 6, 0x1B, 6, 0x20],
            [a6("fe80::1:2"), a6("ff02::fb"), 1500, 1500, 90, 1, 0, 0, 0, 2, 5353, 5353, 17,
             0, 6, 0]]
    icmp6 = [[a6("2001:db8::1"), a6("2001:db8::2"), 100, 900, 640, 10, 0, 0, 0, 2,
              128 << 8, 58, 6, 0],
             [a6("2001:db8::2"), a6("2001:db8::1"), 200, 200, 100, 1, 0, 0, 0, 2,
              1 << 8 | 4, 58, 6, 0]]
    icmp4 = [[0x0A000001, 0x0A000002, 300, 300, 84, 1, 0, 0, 0, 2, 3 << 8 | 3, 1, 4, 0]]
    tcp4 = [[0x0A000001, 0x0A000002, 10, 20, 120, 2, 0, 0, 0, 2, 1234, 443, 6, 2, 4, 0]]
    dg = dgram(version, [tset(version, X.template_record(version, 2048, SOFT6),
                              X.template_record(version, 2049, SOFT6_ICMP),
                              X.template_record(version, 1024, SOFTFLOWD),
                              X.template_record(version, 1025, SOFT_ICMP)),
                         dset(2048, SOFT6, tcp6), dset(2049, SOFT6_ICMP, icmp6),
                         dset(1024, SOFTFLOWD, tcp4), dset(1025, SOFT_ICMP, icmp4)],
               uptime=5000)
    recs, info = decode(c, dg, "1006")
    assert (info.records, info.v6) == (6, 4)
    got = [(addr_text(r, "srcaddr"), addr_text(r, "dstaddr"), r["srcport"], r["dstport"],
            r["prot"], r["dPkts"], r["dOctets"], r["tcp_flags"], r["tos"],
            addr_text(r, "nexthop")) for r in recs]
    assert got == [
        ("2001:db8::1", "2001:db8:0:1::80", 40000, 80, 6, 5, 640, 0x1B, 0x20, "::"),
        ("fe80::1:2", "ff02::fb", 5353, 5353, 17, 1, 90, 0, 0, "::"),
        ("2001:db8::1", "2001:db8::2", 0, 128 << 8, 58, 10, 640, 0, 0, "::"),
        ("2001:db8::2", "2001:db8::1", 0, 1 << 8 | 4, 58, 1, 100, 0, 0, "::"),
        ("10.0.0.1", "10.0.0.2", 1234, 443, 6, 2, 120, 2, 0, "0.0.0.0"),
        ("10.0.0.1", "10.0.0.2", 0, 3 << 8 | 3, 1, 1, 84, 0, 0, "0.0.0.0")]
    assert [oracle.is_ipv4(r) for r in recs] == [False] * 4 + [True] * 2
    # into v5 the same export keeps the IPv4 flows; the IPv6 ones are counted
    recs5, info5 = decode(small(), dg, "5")
    assert (info5.records, info5.v6) == (2, 4)
    assert [(r["srcaddr"], r["dstport"]) for r in recs5] == [(0x0A000001, 443),
                                                              (0x0A000001, 3 << 8 | 3)]


def test_ipv6_next_hop_flow_label_prefixes_into_v1006():
    f = [F(27, 16), F(28, 16), F(62, 16), F(31, 4), F(29, 1), F(30, 1), F(9, 1), F(1, 4),
         F(2, 4), F(178, 1), F(179, 1), F(4, 1)]
    rows = [[a6("2001:db8:1::5"), a6("2001:db8:2::6"), a6("fe80::abcd"), 0xFFF12345, 48, 200,
             24, 100, 1, 135, 0, 58]]
    recs, info = decode(small(), flows(10, f, rows), "1006")
    (r,) = recs
    assert addr_text(r, "nexthop") == "fe80::abcd"
    assert (r["flow_label"], r["src_mask"], r["dst_mask"]) == (0x12345, 48, 128)
    assert r["dstport"] == 135 << 8 and r["prot"] == 58
    assert oracle.addr6(r, "srcaddr") == int.from_bytes(a6("2001:db8:1::5"), "big")


def test_ipv6_data_before_its_template_released_into_v1006():
    c = small()
    rows = [[a6("2001:db8::%x" % i), a6("2001:db8::ffff"), 1, 1] for i in range(1, 6)]
    f6 = [F(27, 16), F(28, 16), F(1, 4), F(2, 4)]
    recs, info = decode(c, dgram(10, [dset(256, f6, rows)]), "1006")
    assert recs == [] and info.pended == 1
    recs, info = decode(c, dgram(10, [tset(10, X.template_record(10, 256, f6))]), "1006")
    assert info.ready == 1
    recs, info = release(c, "1006")
    assert [addr_text(r, "srcaddr") for r in recs] == ["2001:db8::%x" % i for i in range(1, 6)]
    assert info.v6 == 5


# ---------------------------------------------------------------------------
# sequence accounting

def test_v9_sequence_counts_datagrams():
    c = small()
    out = []
    for seq in (7, 8, 9, 12, 13, 5, 6):
        _, info = decode(c, X.v9([], seq=seq))
        out.append((info.seq_new, info.seq_lost, info.seq_reset))
    assert out == [(1, 0, 0), (0, 0, 0), (0, 0, 0), (0, 2, 0), (0, 0, 0), (0, 0, 1),
                   (0, 0, 0)]
    s, = c.sources()
    assert (s.lost, s.resets, s.datagrams) == (2, 1, 7)


def test_ipfix_sequence_counts_records():
    c = small()
    f = [F(8, 4), F(1, 4)]
    _, info = decode(c, dgram(10, [tset(10, X.template_record(10, 256, f)),
                                   dset(256, f, [[1, 1]] * 3)], seq=100))
    assert info.seq_new == 1
    _, info = decode(c, dgram(10, [tset(10, X.template_record(10, 256, f))], seq=103))
    assert (info.seq_lost, info.seq_reset) == (0, 0)            # templates only
    _, info = decode(c, dgram(10, [dset(256, f, [[1, 1]] * 2)], seq=103))
    assert (info.seq_lost, info.seq_reset) == (0, 0)
    _, info = decode(c, dgram(10, [dset(256, f, [[1, 1]])], seq=110))
    assert info.seq_lost == 5
    _, info = decode(c, dgram(10, [dset(256, f, [[1, 1]])], seq=50))
    assert info.seq_reset == 1
    # a set waiting for its template: the next sequence is taken as it comes
    _, info = decode(c, dgram(10, [dset(999, f, [[1, 1]])], seq=51))
    assert (info.seq_lost, info.pended) == (0, 1)
    _, info = decode(c, dgram(10, [dset(256, f, [[1, 1]])], seq=60))
    assert (info.seq_lost, info.seq_reset) == (0, 0)
    _, info = decode(c, dgram(10, [dset(256, f, [[1, 1]])], seq=61 + 1000))
    assert (info.seq_lost, info.seq_reset) == (1000, 0)
    _, info = decode(c, dgram(10, [dset(256, f, [[1, 1]])], seq=0xFFFFFFF0))
    assert (info.seq_lost, info.seq_reset) == (0, 1)      # 2^31 or more ahead: a reset
    _, info = decode(c, dgram(10, [dset(256, f, [[1, 1]] * 20)], seq=0xFFFFFFF1))
    assert (info.seq_lost, info.seq_reset) == (0, 0)
    _, info = decode(c, dgram(10, [dset(256, f, [[1, 1]])], seq=5))   # wrapped
    assert (info.seq_lost, info.seq_reset) == (0, 0)
    _, info = decode(c, dgram(10, [dset(256, f, [[1, 1]])], seq=16))
    assert (info.seq_lost, info.seq_reset) == (10, 0)
    s, = c.sources()
    assert (s.lost, s.resets) == (5 + 1000 + 10, 2)


def test_sources_are_exporter_port_version_domain():
    c = small()
    dg9, dg10 = X.v9([], source_id=1), X.ipfix([], domain=1)
    for dg, src, port in ((dg9, EXP, 1), (dg9, EXP, 2), (dg10, EXP, 1), (dg9, EXP + 1, 1),
                          (X.v9([], source_id=2), EXP, 1), (dg9, EXP, 1)):
        decode(c, dg, src=src, port=port)
    assert [(s.exporter_ip, s.port, s.version, s.domain, s.datagrams) for s in c.sources()] == [
        (EXP, 1, 9, 1, 2), (EXP, 2, 9, 1, 1), (EXP, 1, 10, 1, 1), (EXP + 1, 1, 9, 1, 1),
        (EXP, 1, 9, 2, 1)]
    # templates are per source
    decode(c, flows(9, FLOW, [[1, 1, 1]], domain=1), port=1)
    _, info = decode(c, dgram(9, [dset(256, FLOW, [[1, 1, 1]])], domain=2), port=1)
    assert info.pended == 1


# ---------------------------------------------------------------------------
# saved templates

def _populate(c):
    f = [F(8, 4), F(82, X.VARLEN), F(1, 4, enterprise=9), F(12, 4), F(2, 4)]
    decode(c, softflowd_datagram(2)[0])
    decode(c, flows(10, f, [[1, b"ab", 3, 4, 5]], tid=300), port=7)
    decode(c, X.v9([tset(9, X.template_record(9, 256, FLOW), X.template_record(9, 257, f[:1])),
                    oset(9, X.options_record(9, 400, [F(1, 4)], [F(48, 1), F(50, 4)])),
                    dset(400, [F(1, 4), F(48, 1), F(50, 4)], [[0, 3, 100], [0, 4, 8]])],
                   source_id=5), src=EXP + 9)
    return f


def test_save_load_round_trip():
    a = small()
    f = _populate(a)
    blob = a.save()
    assert blob[:8] == b"FTCIPX\0\1"
    b = small()
    assert b.load(blob) == 2 + 1 + 3 + 2        # 6 templates, 2 sources with sampling state
    assert b.save() == blob
    key = lambda s: (s.exporter_ip, s.port, s.version, s.domain, s.templates,   # noqa: E731
                     s.sampling, s.sampling_algo)
    assert sorted(map(key, b.sources())) == sorted(map(key, a.sources()))
    for cache in (a, b):
        recs, info = decode(cache, dgram(10, [dset(300, f, [[7, b"x", 0, 8, 9]])]), port=7)
        assert info.records == 1 and (recs[0]["srcaddr"], recs[0]["dPkts"]) == (7, 9)
        recs, info = decode(cache, X.v9([dset(256, FLOW, [[1, 10, 1]])], source_id=5),
                            src=EXP + 9)
        assert recs[0]["dOctets"] == 80           # the source's sampling came along
        data = X.ipfix([dset(1024, SOFTFLOWD, [[1] + [0] * 15])], export=E)
        recs, info = decode(cache, data)
        assert info.records == 1 and recs[0]["sysUpTime"] == 3600 * 1000


def test_load_skips_what_does_not_parse():
    a = small()
    _populate(a)
    blob = a.save()
    # entries: 4-byte length, 16 bytes of source and kind, the body
    at, entries = 8, []
    while at < len(blob):
        n = struct.unpack_from("!I", blob, at)[0]
        entries.append(blob[at:at + 4 + n])
        at += 4 + n
    bad = bytearray(entries[3])
    bad[10:12] = b"\x00\x07"                   # version 7
    mangled = b"FTCIPX\0\1" + b"".join(entries[:3]) + bytes(bad) + b"".join(entries[4:])
    assert small().load(mangled) == len(entries) - 1
    assert small().load(blob[:-3]) == len(entries) - 1          # the last one cut
    assert small().load(b"FTCIPX\0\1") == 0
    with pytest.raises(FormatError):
        small().load(b"garbage!")
    # a cap refuses: counted as not loaded
    assert small(max_templates=2).load(blob) < len(entries)


# ---------------------------------------------------------------------------
# memory

def test_sizes():
    assert ipfix.size() == ipfix.DEFAULT_SIZE
    assert 20 << 20 < ipfix.DEFAULT_SIZE < 28 << 20
    assert ipfix.size(max_sources=0) == 0
    assert ipfix.size(pending_secs=0) == 0
    assert ipfix.size(max_fields=lib.FTC_IPX_LIM_FIELDS + 1) == 0
    assert ipfix.size(max_sources=lib.FTC_IPX_LIM_SOURCES, max_templates=1) > 0
    with pytest.raises(ValueError):
        ipfix.TemplateCache(max_templates=0)


def test_bad_state_is_refused():
    mem = ffi.new("uint64_t[]", 4096)
    info = ffi.new("ftc_ipx_info_t *")
    produced = ffi.new("size_t *")
    out = ffi.new("uint8_t[]", 64)
    assert lib.ftc_ipx_decode(mem, b"", 0, 0, 0, 0, 0, RT["5"], out, 64, produced,
                              info) == lib.FTC_EINVAL
    n = ffi.new("uint32_t *")
    assert lib.ftc_ipx_sources(mem, n) == lib.FTC_EINVAL
    lim = ffi.new("ftc_ipx_limits_t *", [1, 1, 1, 1, 64, 64, 1])
    assert lib.ftc_ipx_init(mem, 100, lim) == lib.FTC_EINVAL     # too small
    assert lib.ftc_ipx_init(ffi.cast("uint8_t *", mem) + 4, lib.ftc_ipx_size(lim),
                            lim) == lib.FTC_EINVAL               # not aligned
    assert lib.ftc_ipx_init(mem, 4096 * 8, lim) == lib.FTC_OK
    assert lib.ftc_ipx_sources(mem, n) == lib.FTC_OK and n[0] == 0


# ---------------------------------------------------------------------------
# properties

def _raw_decode(c, data, out_size, rt=RT["5"]):
    """ftc_ipx_decode into out_size bytes followed by a guard; the guard
    must stay untouched."""
    rs = lib.ftc_layout_get(rt).rec_size
    out = ffi.new("uint8_t[]", out_size + 256)
    ffi.memmove(out + out_size, b"\xa5" * 256, 256)
    info = ffi.new("ftc_ipx_info_t *")
    produced = ffi.new("size_t *")
    r = lib.ftc_ipx_decode(c._state, ffi.from_buffer(data), len(data), EXP, PORT, 0, NOW,
                           rt, out, out_size, produced, info)
    assert bytes(ffi.buffer(out + out_size, 256)) == b"\xa5" * 256
    assert produced[0] * rs <= out_size and info.records == produced[0]
    assert 0 <= info.reason < lib.FTC_IPX_NREASONS
    return r


def _fix(data, version):
    """a header that passes: version, IPFIX length"""
    data = bytearray(data)
    if len(data) >= 4:
        data[0:2] = struct.pack("!H", version)
        if version == 10:
            data[2:4] = struct.pack("!H", len(data) & 0xFFFF)
    return bytes(data)


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=6), st.sampled_from([9, 10]),
       st.integers(0, 3))
def test_arbitrary_bytes_never_crash(chunks, version, small_out):
    c = small(max_sources=2, max_templates=8, max_per_source=4, max_fields=16,
              pending_bytes=2048, pending_per_source=1024)
    prefix = softflowd_datagram(2)[0] if version == 10 else flows(9, FLOW, [[1, 2, 3]])
    for i, chunk in enumerate([prefix] + chunks):
        data = _fix(chunk, version) if i % 2 == 0 else chunk
        out_size = (len(data) * 64) >> small_out
        r = _raw_decode(c, data, out_size)
        assert r == lib.FTC_OK or (r == lib.FTC_EFULL and small_out)
    c.release(NOW + 1000, RT["5"])
    blob = c.save()
    b = small(max_sources=2, max_templates=8, max_per_source=4, max_fields=16,
              pending_bytes=2048, pending_per_source=1024)
    b.load(blob)
    assert b.save() == blob


IES = [  # (IE, lengths it is tried with)
    (1, (4, 8, 2, 5)), (2, (4, 8, 1)), (3, (4,)), (4, (1, 2)), (5, (1,)), (6, (1, 2)),
    (7, (2, 4)), (8, (4, 16)), (9, (1,)), (10, (4, 2)), (11, (2,)), (12, (4,)), (13, (1,)),
    (14, (4, 2)), (15, (4,)), (16, (4, 2)), (17, (4, 2)), (18, (4,)), (21, (4,)), (22, (4,)),
    (23, (4, 8)), (24, (4, 8)), (27, (16,)), (32, (2,)), (34, (4,)), (38, (1,)), (39, (1,)),
    (48, (1, 2)), (60, (1,)), (61, (1,)), (150, (4,)), (151, (4,)), (152, (8,)), (153, (8,)),
    (154, (8,)), (155, (8,)), (156, (8,)), (157, (8,)), (158, (4,)), (159, (4,)), (160, (8,)),
    (176, (1,)), (177, (1,)), (195, (1,)), (82, (X.VARLEN,)), (999, (3,)),
]
# and the IPv6 ones (stored into v1006 only)
IES6 = IES + [(27, (16, 4)), (28, (16,)), (62, (16, 4)), (31, (4, 3)), (29, (1,)), (30, (1, 2)),
              (139, (2,)), (178, (1,)), (179, (1,)), (60, (1,))]


@st.composite
def templates(draw, ies=IES):
    version = draw(st.sampled_from([9, 10]))
    picks = draw(st.lists(st.sampled_from(ies), min_size=1, max_size=14))
    fields = []
    for ie, lens in picks:
        length = draw(st.sampled_from(lens))
        ent = None
        if version == 10 and draw(st.integers(0, 9)) == 0:
            ent = draw(st.integers(0, U32))
        if version == 9 and length == X.VARLEN:
            length = 4
        fields.append(F(ie, length, ent))
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        row = []
        for f in fields:
            if f.length == X.VARLEN:
                row.append(draw(st.binary(max_size=300)))
            elif f.length > 8:
                row.append(draw(st.binary(min_size=f.length, max_size=f.length)))
            else:
                top = (1 << (8 * f.length)) - 1
                row.append(draw(st.one_of(st.integers(0, top), st.just(top),
                                          st.integers(0, 255), st.just(6))))
        rows.append(row)
    return version, fields, rows


@given(templates(), st.sampled_from(sorted(RT)), st.integers(0, 2 ** 32 - 1),
       st.sampled_from([None, 1, 77]))
def test_decoder_equals_the_documented_mapping(tpl, version_rt, uptime, interval):
    version, fields, rows = tpl
    c = small(max_fields=64)
    src = X.Source(version)
    if interval:
        scope, opt = ([F(1, 4)] if version == 9 else [F(149, 4)]), [F(34, 4)]
        decode(c, dgram(version, [oset(version, X.options_record(version, 400, scope, opt)),
                                  dset(400, scope + opt, [[0, interval]])]))
        src.options(scope + opt, [0, interval], 1)
    dg = flows(version, fields, rows, uptime=uptime)
    if len(dg) > 65535:
        return
    recs, info = decode(c, dg, version_rt)
    want = [X.expect(version, fields, r, src, EXP, E, uptime) for r in rows]
    assert info.v6 == want.count("v6") and info.other == want.count("other")
    check_oracle(recs, version, fields, rows, src, uptime)


@given(templates(IES6), st.integers(0, 2 ** 32 - 1))
def test_v1006_decoder_equals_the_documented_mapping(tpl, uptime):
    """Into v1006 every flow record is stored, IPv6 ones included: C
    against ipfix_oracle.expect1006; into v5 the IPv6 ones are counted."""
    version, fields, rows = tpl
    dg = flows(version, fields, rows, uptime=uptime)
    if len(dg) > 65535:
        return
    src = X.Source(version)
    recs, info = decode(small(max_fields=64), dg, "1006")
    want = [X.expect1006(version, fields, r, src, EXP, E, uptime) for r in rows]
    assert info.other == want.count("other")
    want = [w for w in want if isinstance(w, dict)]
    assert len(recs) == len(want) == info.records
    for got, w in zip(recs, want):
        assert got == {k: w.get(k, 0) for k in got}, (fields, got, w)
    v4 = [X.expect(version, fields, r, src, EXP, E, uptime) for r in rows]
    assert info.v6 == v4.count("v6")
    recs5, info5 = decode(small(max_fields=64), dg, "5")
    assert info5.v6 == info.v6 and info5.records == info.records - info.v6


@st.composite
def v5_records(draw):
    """v5 stream records whose times fit the 32-bit window of IPFIX's
    virtual uptime (within 2^30 ms of the export time)."""
    recs = []
    for _ in range(draw(st.integers(1, 60))):
        r = {name: draw(st.integers(0, oracle.field_max("5", name)))
             for name in oracle.fields("5")}
        r["unix_secs"] = draw(st.integers(10 ** 9, 2 * 10 ** 9))
        r["unix_nsecs"] = draw(st.integers(0, 999) | st.just(0)) * 1000000
        r["sysUpTime"] = draw(st.integers(2 ** 30 + 1000, U32))
        r["Last"] = r["sysUpTime"] - draw(st.integers(0, 2 ** 30))
        r["First"] = r["Last"] - draw(st.integers(0, 1000))
        recs.append(r)
    return recs


@given(v5_records(), st.sampled_from([9, 10]))
def test_round_trip_with_the_encoder(recs, version):
    """flow-send's encoder (csrc/ipfixenc.c) -> this decoder: the records
    come back, times as absolute times, exaddr the UDP source; no sequence
    gap."""
    from pyflowtools.core import ipfixenc
    data = oracle.encode_records("5", recs, sys.byteorder)
    c = small()
    got = []
    for dg in ipfixenc.encode(data, RT["5"], version):
        r, info = decode(c, dg)
        assert info.reason == 0 and info.bad_sets == 0 and info.pended == 0
        assert info.seq_lost == 0 and info.seq_reset == 0
        got += r
    assert len(got) == len(recs)
    for a, b in zip(recs, got):
        for k in ("srcaddr", "dstaddr", "nexthop", "input", "output", "dPkts", "dOctets",
                  "srcport", "dstport", "prot", "tos", "tcp_flags", "src_as", "dst_as",
                  "src_mask", "dst_mask", "engine_type", "engine_id", "unix_secs"):
            assert a[k] == b[k], k
        assert b["exaddr"] == EXP
        assert X.flow_ms(a, "First") == X.flow_ms(b, "First")
        assert X.flow_ms(a, "Last") == X.flow_ms(b, "Last")


# ---------------------------------------------------------------------------
# the libFuzzer harness's seeds and crashers (csrc/fuzz/fuzz_ipfix.c)

def _corpus():
    return sorted(SEEDS.glob("*")) + sorted(CORPUS.glob("*"))


def replay(data):
    """csrc/fuzz/fuzz_ipfix.c's input layout: options byte, then steps of a
    control byte and a 2-byte length (mod 2048): a datagram from one of four
    sources (its IPFIX length fixed when asked), or a saved blob to load."""
    if not data:
        return
    opts, data = data[0], data[1:]
    rt = (RT["1"], RT["5"], RT["6"], RT["7"], RT["1005"], RT_ALL["1006"])[(opts & 7) % 6]
    lim = dict(max_sources=3, max_templates=6, max_per_source=4, max_fields=24,
               pending_bytes=1024, pending_per_source=640) if opts & 8 else dict(
        max_sources=64, max_templates=256, max_per_source=64, max_fields=512)
    c = small(**lim)
    now = NOW
    while len(data) >= 3:
        ctl = data[0]
        n = min(struct.unpack_from("!H", data, 1)[0] % 2048, len(data) - 3)
        chunk, data = data[3:3 + n], data[3 + n:]
        now += (ctl >> 4) * 37
        if ctl & 4:
            try:
                c.load(chunk)
            except FormatError:
                pass
            continue
        if ctl & 8 and len(chunk) >= 4 and chunk[:2] == b"\x00\x0a":
            chunk = chunk[:2] + struct.pack("!H", len(chunk)) + chunk[4:]
        src = (EXP, EXP, EXP + 1, EXP + 2)[ctl & 3]
        port = (PORT, PORT + 1, PORT, PORT)[ctl & 3]
        _, info = c.decode(chunk, src, port, LOCAL, now, rt)
        if info.ready:
            c.release(now, rt)
    blob = c.save()
    b = small(**lim)
    b.load(blob)
    assert b.save() == blob


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_replay_fuzz_ipfix(path):
    replay(path.read_bytes())


def fuzz_seeds():
    """The harness's seeds (csrc/fuzz/seeds/fuzz_ipfix/ holds these, written
    by `python -c 'import test_ipfix; test_ipfix.write_seeds()'` in tests/)."""
    def step(ctl, chunk):
        return bytes([ctl]) + struct.pack("!H", len(chunk)) + chunk

    soft, _ = softflowd_datagram(5)
    varf = [F(8, 4), F(82, X.VARLEN), F(2, 4, enterprise=9), F(12, 4), F(1, 4), F(152, 8),
            F(153, 8)]
    var = flows(10, varf, [[1, b"eth0", 5, 2, 10, T0, T1], [3, b"x" * 300, 5, 4, 20, T0, T1]])
    scope, opt = [F(1, 4)], [F(48, 1), F(49, 1), F(50, 4)]
    v9opt = X.v9([oset(9, X.options_record(9, 300, scope, opt)),
                  dset(300, scope + opt, [[0, 5, 2, 100]])], secs=E)
    v9flow = flows(9, [F(8, 4), F(48, 1), F(1, 4), F(2, 4), F(22, 4), F(21, 4), F(32, 2),
                       F(16, 4)], [[1, 5, 10, 1, 100, 200, 0x0303, 70000]], uptime=1000)
    early = dgram(10, [dset(256, FLOW, [[1, 2, 3]] * 4)])
    late = dgram(10, [tset(10, X.template_record(10, 256, FLOW))])
    wd = dgram(10, [tset(10, X.withdrawal(256), X.withdrawal(2)), oset(10, X.withdrawal(3))])
    v6 = flows(10, [F(27, 16), F(28, 16), F(1, 4), F(60, 1)], [[bytes(16), bytes(16), 1, 6]])
    six = [F(27, 16), F(28, 16), F(62, 16), F(31, 4), F(29, 1), F(30, 1), F(139, 2), F(1, 4),
           F(2, 4), F(152, 8), F(153, 8)]
    v1006 = dgram(10, [tset(10, X.template_record(10, 2048, six)),
                       dset(2048, six, [[a6("2001:db8::1"), a6("2001:db8::2"), a6("fe80::1"),
                                         0x12345, 64, 128, 0x8000, 100, 1, T0, T1]] * 3)])
    c = small()
    decode(c, soft)
    decode(c, v9opt)
    blob = c.save()
    churn = dgram(10, [tset(10, *[X.template_record(10, 256 + k % 4, defs)
                                  for k, defs in enumerate([FLOW, varf, SOFTFLOWD] * 10)])])
    ring = b"".join(step(k % 4, dgram(10, [dset(300 + k % 2, FLOW, [[k, 1, 1]] * (k + 3))]))
                    for k in range(12))
    return {
        "churn": bytes([8 | 1]) + step(0, churn) + step(1, churn) + step(0, var),
        "ring": bytes([8 | 1]) + ring + step(0x10, dgram(10, [tset(10, X.template_record(
            10, 300, FLOW), X.template_record(10, 301, FLOW))])),
        "softflowd": bytes([1]) + step(0, soft) + step(0x10, soft),
        "varlen": bytes([2]) + step(8, var),
        "v9-sampling": bytes([1]) + step(1, v9opt) + step(1, v9flow),
        "pending": bytes([1]) + step(2, early) + step(0x12, late) + step(0xF2, early),
        "withdraw": bytes([4]) + step(0, soft) + step(0, late) + step(0, wd) + step(0, early),
        "v6": bytes([3]) + step(3, v6),
        "v1006": bytes([5]) + step(3, v1006) + step(0x10, v6),
        "tiny": bytes([8 | 16]) + b"".join(step(k % 4, soft) for k in range(6)),
        "load": bytes([1]) + step(4, blob) + step(0, X.ipfix([dset(1024, SOFTFLOWD, [[0] * 16])])),
    }


def write_seeds():
    SEEDS.mkdir(parents=True, exist_ok=True)
    for name, data in fuzz_seeds().items():
        (SEEDS / name).write_bytes(data)


@pytest.mark.parametrize("name", sorted(fuzz_seeds()))
def test_fuzz_seeds_are_current(name):
    """The committed seeds are what fuzz_seeds() makes, and they replay."""
    data = fuzz_seeds()[name]
    assert (SEEDS / name).read_bytes() == data
    replay(data)


# ---------------------------------------------------------------------------
# csrc/fuzz/fuzz_ipxload.c: saved template files as outside bytes (its seeds
# are written by tests/test_pdu.py's write_ipx_seeds; crashers go in
# tests/corpus/ipxload)

IPXLOAD_SEEDS = SEEDS.parent / "fuzz_ipxload"
IPXLOAD_CORPUS = CORPUS.parent / "ipxload"


def replay_ipxload(data):
    """fuzz_ipxload.c's layout: options (bit 0 tiny caps, bit 1 the magic
    put in front, bit 2 load twice, bits 4-7 x 37 s on the clock), a 2-byte
    blob length, the blob, then one datagram from EXP:PORT."""
    if len(data) < 3:
        return
    opts, n = data[0], struct.unpack_from("!H", data, 1)[0]
    blob, dg = data[3:3 + n], data[3 + n:]
    if opts & 2:
        blob = b"FTCIPX\0\1" + blob
    lim = dict(max_sources=3, max_templates=6, max_per_source=4, max_fields=24,
               pending_bytes=1024, pending_per_source=640) if opts & 1 else dict(
        max_sources=64, max_templates=256, max_per_source=64, max_fields=512)
    c = small(**lim)
    for _ in range(2 if opts & 4 else 1):
        try:
            c.load(blob)
        except FormatError:
            assert not opts & 2
    saved = c.save()
    b = small(**lim)
    b.load(saved)
    assert b.save() == saved
    now = NOW + (opts >> 4) * 37
    _, info = c.decode(dg, EXP, PORT, LOCAL, now, RT["5"])
    c.release(now, RT["5"])
    saved = c.save()
    b = small(**lim)
    b.load(saved)
    assert b.save() == saved


@pytest.mark.parametrize("path", sorted(IPXLOAD_SEEDS.glob("*")) + sorted(
    IPXLOAD_CORPUS.glob("*")), ids=lambda p: p.name)
def test_replay_fuzz_ipxload(path):
    replay_ipxload(path.read_bytes())
