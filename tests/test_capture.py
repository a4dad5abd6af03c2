"""pyflowtools.netflow naming / writer / collector / expire units: names, nesting,
rotation boundaries, capture headers, -E sizes, the ager, STAT lines."""
import calendar
import os
import time

import pytest

import oracle
from pyflowtools.netflow import collector, expire, naming, writer
from pyflowtools.io import header as hdr
from pyflowtools.core.native import lib
from pyflowtools.core.errors import FlowToolsError



@pytest.mark.parametrize("zone,rt,name", [
    ("UTC", lib.FTC_RT_V5, "ft-v05.2026-11-22.031102+0000"),
    ("UTC", lib.FTC_RT_V8_1, "ft-v08m01.2026-11-22.031102+0000"),
    ("Asia/Kolkata", lib.FTC_RT_V8_3, "ft-v08m03.2026-11-22.084102+0530"),
    ("America/New_York", lib.FTC_RT_V8_3, "ft-v08m03.2026-11-21.221102-0500"),
    ("UTC", lib.FTC_RT_V1005, "ft-v1005.2026-11-22.031102+0000"),
    ("UTC", lib.FTC_RT_V1, "ft-v01.2026-11-22.031102+0000"),
])
def test_file_names(tz, zone, rt, name):
    tz(zone)
    t = calendar.timegm((2026, 11, 22, 3, 11, 2, 0, 0, 0))
    assert naming.file_name(rt, t) == name
    assert naming.file_name(rt, t, "tmp-") == "tmp-" + name[3:]


def test_nesting(tz):
    tz("UTC")
    lt = time.gmtime(1795316800)
    day = time.strftime("%Y-%m-%d", lt)
    assert naming.nest_dirs(lt, 0) == []
    assert naming.nest_dirs(lt, 3) == naming.nest_dirs(lt, -3) == ["2026", "2026-11", day]
    assert naming.nest_dirs(lt, -1) == [day]
    assert naming.nest_dirs(lt, -2) == ["2026-11", day]
    assert naming.nest_dirs(lt, 1) == ["2026"]
    assert naming.nest_dirs(lt, 2) == ["2026", "2026-11"]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/New_York"])
@pytest.mark.parametrize("rotations,interval", [(95, 900), (0, 86400), (1439, 60), (1, 43200),
                                                (6, 12342)])
def test_rotation_boundaries_from_local_midnight(tz, zone, rotations, interval):
    tz(zone)
    for t in (1795316800.0, 1795316800.0 + 12345.6, 1795316800 + 899.0):
        nxt = naming.next_rotation(t, rotations)
        mid = naming.local_midnight(t)
        assert t < nxt <= mid + 86400
        assert (nxt - mid) % interval == 0 or nxt == naming.local_midnight(mid + 90000)
        assert nxt - t <= interval


def test_capture_header_tlvs():
    h = writer.capture_header(lib.FTC_RT_V8_3, 1000, "vm", "c", (5, 6, 7, 8), end=time.time())
    d = oracle.read_header(h.encode(hdr.LITTLE))
    assert d["tlv_types"] == [2, 3, 4, 6, 7, 8, 10, 11, 13, 14, 15, 16]
    assert (d["flows_count"], d["flows_lost"], d["pkts_corrupt"], d["seq_reset"]) == (5, 6, 7, 8)
    assert d["flags"] == hdr.DONE and d["cap_start"] == 1000 and d["cap_end"] > 1000
    h0 = writer.capture_header(lib.FTC_RT_V5, 1000, "vm", None)
    d0 = oracle.read_header(h0.encode(hdr.BIG))
    assert d0["tlv_types"] == [2, 6, 7, 8, 10, 11, 13, 14, 15] and d0["cap_end"] == 0
    assert len(h0.encode()) == len(writer.capture_header(lib.FTC_RT_V5, 5, "vm", None,
                                                          (9, 9, 9, 9), 7).encode())


@pytest.mark.parametrize("text,value", [("0", 0), ("100", 100), ("3b", 1536), ("2K", 2048),
                                        ("2k", 2048), ("1M", 1 << 20), ("1G", 1 << 30),
                                        ("", 0)])
def test_parse_size(text, value):
    assert expire.parse_size(text) == value


@pytest.mark.parametrize("text", ["1Q", "1KB", "5 M"])
def test_parse_size_bad(text):
    with pytest.raises(FlowToolsError, match="scan_size"):
        expire.parse_size(text)


def _flow_file(path, start, size=0):
    h = writer.capture_header(lib.FTC_RT_V5, start, "vm", None, end=time.time())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(h.encode() + bytes(size))


def test_ager_scan_order_and_limits(tmp_path):
    _flow_file(tmp_path / "2026" / "ft-v05.c", 300, 100)
    _flow_file(tmp_path / "ft-v05.a", 100, 100)
    _flow_file(tmp_path / "tmp-v05.b", 200, 100)
    _flow_file(tmp_path / "cf-old", 50, 100)
    _flow_file(tmp_path / "other", 10, 100)             # name not considered
    (tmp_path / "ft-garbage").write_bytes(b"not a flow file")
    ignored = []
    a = expire.Ager(count=2)
    assert a.scan(str(tmp_path), ignored) == 4
    assert [os.path.basename(f[1]) for f in a.files] == ["cf-old", "ft-v05.a", "tmp-v05.b",
                                                         "ft-v05.c"]
    assert sorted(os.path.basename(p) for p in ignored) == ["ft-garbage", "other"]
    removed = a.enforce()
    assert [os.path.basename(p) for p in removed] == ["cf-old", "ft-v05.a"]
    assert not (tmp_path / "cf-old").exists() and (tmp_path / "other").exists()
    size = (tmp_path / "tmp-v05.b").stat().st_size
    b = expire.Ager(size=size + 10)
    b.scan(str(tmp_path))
    assert b.enforce(open_bytes=0) == [str(tmp_path / "tmp-v05.b")]
    assert [f[1] for f in b.files] == [str(tmp_path / "2026" / "ft-v05.c")]
    assert b.enforce(open_bytes=size) == [str(tmp_path / "2026" / "ft-v05.c")]


def test_ager_dry_run_removes_nothing(tmp_path):
    for i in range(3):
        _flow_file(tmp_path / ("ft-%d" % i), i)
    a = expire.Ager(count=1, dry_run=True)
    a.scan(str(tmp_path))
    assert len(a.enforce()) == 2
    assert len(list(tmp_path.iterdir())) == 3


def test_collector_stat_lines_and_events():
    from pyflowtools.netflow import pdu, udp
    logged = []
    col = collector.Collector(udp.parse_spec("127.0.0.1/0/0"), log=logged.append)
    try:
        rt = lib.FTC_RT_V5
        from pyflowtools.core.native import ffi
        buf = bytearray(45 * 64)
        lib.ftc_recs_gen(rt, 0, 45, ffi.from_buffer("uint8_t[]", buf))
        s = udp.sender(("127.0.0.1", col.port()))
        with s.sock:
            s.send_list(pdu.encode(bytes(buf), rt) + [b"\x00\x09junk"])
        got = 0
        for _ in range(50):
            r = col.poll(0.2)
            if r is not None:
                got += r[1]
            if got == 45 and col.total_pdus == 3:
                break
        assert got == 45 and col.take_counts() == [0, 1, 0] and col.take_counts() == [0, 0, 0]
        (line,) = col.stat_lines(100, 50)
        assert line == ("STAT: now=100 startup=50 src_ip=127.0.0.1 dst_ip=127.0.0.1 d_ver=5 "
                        "pkts=2 flows=45 lost=0 reset=0 filter_drops=0")
        assert logged[0].startswith("New exporter: time=")
        assert logged[0].endswith(" src_ip=127.0.0.1 dst_ip=127.0.0.1 d_version=5")
        assert logged[1] == ("ftpdu_verify(): src_ip=127.0.0.1 failed: "
                             "malformed v9/IPFIX datagram (shorter than its header)")
    finally:
        col.close()


def test_collector_filter_drops_per_exporter(tmp_path):
    """-f/-F: the records the filter drops show as filter_drops in the STAT
    line of the exporter they came from (they were always 0)."""
    from pyflowtools.netflow import pdu, udp
    from pyflowtools.core import recs
    cfg_path = tmp_path / "filter.cfg"
    cfg_path.write_text("filter-primitive p\n  type ip-port\n  permit 5\n"
                        "filter-definition five\n  match ip-source-port p\n")
    cfg = collector.load_filter(str(cfg_path), "five", None, None)
    col = collector.Collector(udp.parse_spec("127.0.0.1/0/0"), filter_cfg=cfg,
                              filter_name="five")
    try:
        rt = lib.FTC_RT_V5
        buf = bytearray(45 * 64)
        recs.gen(rt, 0, 45, recs.pointer(buf))          # srcport i: one has 5
        s = udp.sender(("127.0.0.1", col.port()))
        with s.sock:
            s.send_list(pdu.encode(bytes(buf), rt))
        got = 0
        for _ in range(50):
            r = col.poll(0.2)
            if r is not None:
                got += r[1]
            if col.total_pdus == 2:
                break
        assert got == 1 and col.total_flows == 1
        (line,) = col.stat_lines(100, 50)
        assert line == ("STAT: now=100 startup=50 src_ip=127.0.0.1 dst_ip=127.0.0.1 d_ver=5 "
                        "pkts=2 flows=45 lost=0 reset=0 filter_drops=44")
    finally:
        col.close()


def test_log_budget_allows_a_burst_a_second():
    from pyflowtools.util.log import Budget
    lines = []
    b = Budget(lines.append, burst=3)
    b.start(100.0)
    assert [b.allow() for _ in range(5)] == [True, True, True, False, False]
    b.start(100.9)                       # the same second: nothing reported yet
    assert not b.allow() and lines == []
    b.start(101.0)
    assert lines == ["3 more messages suppressed"] and b.allow()
    b.start(105.0)                       # nothing suppressed since: no line
    assert lines == ["3 more messages suppressed"]
