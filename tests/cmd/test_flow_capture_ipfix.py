"""flow-capture hearing NetFlow v9 and IPFIX (issue 11): a real exporter
(softflowd over a pcap made here, every IPFIX time mode) stores the same
flows as its v5 export; data that comes before its template is kept and
stored once the template comes, also across a restart (the template file
in the work directory); malformed datagrams among good ones are counted,
never fatal; flow-fanout relays them untouched."""
import shutil
import socket
import struct
import subprocess
import time

import pytest

import collector as c
import harness
import ipfix_build as ib

A, B, C = 0x0A000001, 0x0A000002, 0x0A000003


def _packets():
    # recent packets: softflowd stamps its datagrams with the time now, and
    # 32-bit millisecond uptimes cannot tell flows 49.7 days apart
    t = float(int(time.time()) - 60)
    pk = [(A, B, 6, c.tcp(40000, 80, 0x02)), (B, A, 6, c.tcp(80, 40000, 0x12)),
          (A, B, 6, c.tcp(40000, 80, 0x10, b"x" * 100)),
          (B, A, 6, c.tcp(80, 40000, 0x18, b"y" * 400)),
          (A, B, 6, c.tcp(40000, 80, 0x11)), (B, A, 6, c.tcp(80, 40000, 0x11)),
          (A, C, 17, c.udp_(5353, 53, b"q" * 30)), (C, A, 17, c.udp_(53, 5353, b"r" * 60)),
          (B, C, 17, c.udp_(123, 123, b"n" * 48)),
          (A, C, 1, c.icmp(8, 0, b"p" * 56)), (C, A, 1, c.icmp(3, 3, b"p" * 28))]
    return [(t + 0.137 * i, c.ip_packet(s, d, p, pl, tos=0x10 if p == 17 else 0))
            for i, (s, d, p, pl) in enumerate(pk)]


def absolute(r):
    """(start ms, end ms) as flow-tools computes them from a record."""
    base = r["unix_secs"] * 1000 + r["unix_nsecs"] // 1000000 - r["sysUpTime"]
    return base + r["First"], base + r["Last"]


def wrapped(d):
    d %= 1 << 32
    return min(d, (1 << 32) - d)


def export(tmp_path, pcap, version, mode=None):
    """softflowd's export of pcap as flow-capture stores it: records."""
    wd = tmp_path / ("wd-%s-%s" % (version, mode))
    port = c.free_port()
    argv = ["softflowd", "-r", str(pcap), "-n", "127.0.0.1:%d" % port, "-v", version, "-d",
            "-p", str(tmp_path / "sf.pid")]
    if mode:
        argv += ["-A", mode]
    with c.capture(wd, port, "-N", "0") as p:
        r = subprocess.run(argv, capture_output=True, timeout=harness.ceiling(60),
                           env=harness.peer_env())
        assert r.returncode == 0, r.stderr
        assert c.wait_drained(port)
        status, err = p.stop()
    assert status == 0, err
    (f,) = c.files(wd)
    h, recs = c.read(f)
    assert h["d_version"] == 5 and h["pkts_corrupt"] == 0, err
    return recs, err


KEY = ("srcaddr", "dstaddr", "srcport", "dstport", "prot")
SAME = ("dPkts", "dOctets", "tcp_flags", "tos", "input", "output", "src_mask", "dst_mask",
        "src_as", "dst_as", "nexthop", "exaddr")


@pytest.fixture(scope="module")
def v5_export(tmp_path_factory):
    """(pcap, softflowd's v5 export of it as flow-capture stores it), made
    once for every version and time mode compared with it."""
    d = tmp_path_factory.mktemp("v5")
    pcap = d / "t.pcap"
    c.write_pcap(pcap, _packets())
    return pcap, export(d, pcap, "5")[0]


@pytest.mark.skipif(shutil.which("softflowd") is None, reason="softflowd not installed")
@pytest.mark.parametrize("version,mode,slack", [
    # slack: v5 itself anchors uptimes on unix_nsecs cut to milliseconds (1)
    ("9", None, 999),            # v9 headers carry whole seconds: the uptime anchor
    ("10", None, 1),             # 22/21 with systemInitTimeMilliseconds (options)
    ("10", "sec", 999),          # 150/151: whole seconds
    ("10", "milli", 1), ("10", "micro", 1), ("10", "nano", 1)])
def test_softflowd_v9_ipfix_equal_its_v5_export(tmp_path, v5_export, version, mode, slack):
    pcap, v5 = v5_export
    got, log = export(tmp_path, pcap, version, mode)
    want = {tuple(r[k] for k in KEY): r for r in v5}
    have = {tuple(r[k] for k in KEY): r for r in got}
    assert len(want) == len(v5) >= 7 and set(have) == set(want), log
    for k, r in have.items():
        w = want[k]
        assert {f: r[f] for f in SAME} == {f: w[f] for f in SAME}, k
        (s1, e1), (s2, e2) = absolute(r), absolute(w)
        assert e1 - s1 == e2 - s2 or slack, k
        # softflowd's v5 (and v9) headers say sysUpTime 0, so its First and
        # Last wrap below 0: flow-tools places such flows 2^32 ms later.
        # Absolute IPFIX times come out right; compare modulo 2^32 ms.
        assert wrapped(s1 - s2) <= slack and wrapped(e1 - e2) <= slack, (k, s1 - s2, e1 - e2)
    assert "New exporter" in log and "d_version=%s" % version in log


class Exporter:
    """One UDP source port, as a router keeps it: templates are the
    exporter's per (address, port, domain)."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))

    def send(self, port, *dgrams):
        for d in dgrams:
            self.s.sendto(d, ("127.0.0.1", port))


@pytest.fixture
def exporter():
    e = Exporter()
    yield e
    e.s.close()


T0 = 1700000000


def ms_datagrams(n, tid=300, seq=0):
    rows = [ib.ms_row(i, T0 * 1000) for i in range(n)]
    data = ib.ipfix([ib.data_set(tid, ib.FIELDS_MS, rows)], T0 + 5, seq=seq, domain=7)
    tmpl = ib.ipfix([ib.ipfix_template_set(tid, ib.FIELDS_MS)], T0 + 5, seq=seq, domain=7)
    return tmpl, data, rows


def stored(wd):
    out = []
    for f in c.files(wd):
        h, recs = c.read(f)
        out += recs
    return out


def check_rows(recs, rows):
    got = sorted((r["srcaddr"], r["dstaddr"], r["srcport"], r["dPkts"], r["dOctets"],
                  absolute(r)) for r in recs)
    want = sorted((w[0], w[1], w[2], w[7], w[8], (w[11], w[12])) for w in rows)
    assert got == want


def test_data_before_its_template_is_stored_when_the_template_comes(tmp_path, exporter):
    tmpl, data, rows = ms_datagrams(20)
    wd = tmp_path / "wd"
    port = c.free_port()
    with c.capture(wd, port, "-N", "0") as p:
        exporter.send(port, data)                 # no template yet: kept aside
        assert c.wait_drained(port)
        exporter.send(port, tmpl)                 # now it can be read
        assert c.wait_drained(port)
        status, err = p.stop()
    assert status == 0, err
    check_rows(stored(wd), rows)


def test_restart_between_template_and_data_still_decodes(tmp_path, exporter):
    tmpl, data, rows = ms_datagrams(15)
    wd = tmp_path / "wd"
    port = c.free_port()
    with c.capture(wd, port, "-N", "0") as p:
        exporter.send(port, tmpl)
        assert c.wait_drained(port)
        status, err = p.stop()
    assert status == 0, err
    assert (wd / "tmp-ipfix-templates").is_file()
    with c.capture(wd, port, "-N", "0") as p:
        exporter.send(port, data)
        assert c.wait_drained(port)
        status, err = p.stop()
    assert status == 0, err
    assert "templates: 1 loaded" in err
    check_rows(stored(wd), rows)


def test_a_damaged_template_file_is_logged_and_passed_over(tmp_path, exporter):
    tmpl, data, rows = ms_datagrams(5)
    wd = tmp_path / "wd"
    wd.mkdir()
    (wd / "tmp-ipfix-templates").write_bytes(b"not templates at all")
    port = c.free_port()
    with c.capture(wd, port, "-N", "0") as p:
        exporter.send(port, tmpl, data)
        assert c.wait_drained(port)
        status, err = p.stop()
    assert status == 0, err
    assert "not a saved template file; passed over" in err
    check_rows(stored(wd), rows)
    # the next save replaced it with the templates heard
    assert (wd / "tmp-ipfix-templates").read_bytes().startswith(b"FTCIPX")


def test_malformed_datagrams_among_good_ones(tmp_path, exporter):
    tmpl, data, rows = ms_datagrams(10)
    bad = [
        ib.ipfix([ib.ipfix_template_set(100, ib.FIELDS_MS)], T0),        # template ID < 256
        ib.ipfix([struct.pack("!HHHH", 2, 8, 400, 0)], T0),               # no fields
        ib.ipfix([struct.pack("!HHHH", 2, 12, 401, 9) + b"\0" * 4], T0),  # fields past the set
        ib.ipfix([struct.pack("!HH", 300, 2)], T0),                       # set shorter than 4
        struct.pack("!HHIII", 10, 999, T0, 0, 0),                         # length field lies
        b"\x00\x0a\x00",                                                  # short header
        struct.pack("!HHIIII", 9, 1, 0, T0, 0, 0) + struct.pack("!HH", 0, 3),
    ]
    wd = tmp_path / "wd"
    port = c.free_port()
    n_bad = 0
    with c.capture(wd, port, "-N", "0") as p:
        exporter.send(port, tmpl)
        for k in range(300):
            exporter.send(port, *bad)
            n_bad += len(bad)
            if k % 30 == 0:
                exporter.send(port, data)
        assert c.wait_drained(port)
        status, err = p.stop()
    assert status == 0, err
    recs = stored(wd)
    assert len(recs) == 10 * 10
    check_rows(recs[:10], rows)
    corrupt = sum(c.read(f)[0]["pkts_corrupt"] for f in c.files(wd))
    assert corrupt == n_bad - 300          # all but the withdrawal (a valid set) are corrupt
    assert "malformed v9/IPFIX datagram" in err


def test_fanout_relays_ipfix_untouched(tmp_path, exporter):
    tmpl, data, rows = ms_datagrams(12)
    wd = tmp_path / "wd"
    cport, fport = c.free_port(), c.free_port()
    with c.capture(wd, cport, "-N", "0") as cap:
        fo = c.Proc([str(c.BIN / "flow-fanout"), "-D", "127.0.0.1/0/%d" % fport,
                     "0/127.0.0.1/%d" % cport], fport)
        with fo:
            exporter.send(fport, tmpl, data)
            assert c.wait_drained(fport)
            assert c.wait_drained(cport)
            fo.stop()
        assert c.wait_drained(cport)
        status, err = cap.stop()
    assert status == 0, err
    check_rows(stored(wd), rows)


def test_fanout_never_relays_ipfix_it_should_mask(tmp_path, exporter):
    """Under a privacy mask the v9/IPFIX datagrams cannot be masked byte
    for byte: they are counted and logged, never sent on with their
    addresses; the v5 datagrams are masked and relayed as ever."""
    from pyflowtools.core.native import ffi, lib, rec_size
    from pyflowtools.netflow import pdu
    tmpl, data, rows = ms_datagrams(12)
    recs = bytearray(7 * rec_size(lib.FTC_RT_V5))
    assert lib.ftc_recs_gen(lib.FTC_RT_V5, 0, 7, ffi.from_buffer("uint8_t[]", recs)) >= 0
    v5 = pdu.encode(bytes(recs), lib.FTC_RT_V5)
    wd = tmp_path / "wd"
    cport, fport = c.free_port(), c.free_port()
    with c.capture(wd, cport, "-N", "0") as cap:
        fo = c.Proc([str(c.BIN / "flow-fanout"), "-D", "-m", "255.255.255.0",
                     "127.0.0.1/0/%d" % fport, "0/127.0.0.1/%d" % cport], fport)
        with fo:
            exporter.send(fport, tmpl, data, *v5)
            assert c.wait_drained(fport)
            assert c.wait_drained(cport)
            _, log = fo.stop()
        status, err = cap.stop()
    assert status == 0, err
    recs = stored(wd)
    assert len(recs) == 7 and all(r["srcaddr"] & 0xFF == 0 for r in recs)
    assert log.count("v9/IPFIX not relayed under a privacy mask or filter") == 2


def _rss_kib(pid):
    for ln in open("/proc/%d/status" % pid):
        if ln.startswith("VmRSS:"):
            return int(ln.split()[1])
    raise AssertionError("no VmRSS")


def test_thousands_of_spoofed_exporters_and_template_churn(tmp_path, exporter):
    """5000 exporter addresses (127.1.x.y, as a spoofing flood would come)
    against the 4096-source cap, and one exporter redefining templates
    without end: every good flow of the real exporter stored, what the caps
    refuse counted as corrupt, the collector's memory flat."""
    tmpl, data, rows = ms_datagrams(10)
    f1 = ib.FIELDS_MS[:2]
    wd = tmp_path / "wd"
    port = c.free_port()
    n_spoof = 5000
    with c.capture(wd, port, "-N", "0", "-z", "0") as p:
        exporter.send(port, tmpl, data)
        assert c.wait_drained(port)
        rss0 = _rss_kib(p.p.pid)
        # churn: the real exporter redefines its template 300 again and
        # again, and under another domain defines new IDs past the 256 a
        # source may hold
        for _ in range(600):
            exporter.send(port, tmpl)
        for k in range(300):
            exporter.send(port, ib.ipfix([ib.ipfix_template_set(1000 + k, f1)], T0, domain=3))
            if k % 100 == 99:
                assert c.wait_drained(port)
        for i in range(n_spoof):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.1.%d.%d" % (i >> 8, i & 0xFF), 0))
                s.sendto(ib.ipfix([ib.ipfix_template_set(256, f1),
                                   ib.data_set(256, f1, [[0x0B000000 + i, 1]])], T0), ("127.0.0.1", port))
            if i % 250 == 249:
                assert c.wait_drained(port)
        exporter.send(port, data)
        assert c.wait_drained(port)
        rss1 = _rss_kib(p.p.pid)
        status, err = p.stop()
    assert status == 0, err
    recs = stored(wd)
    mine = [r for r in recs if r["srcaddr"] >> 24 == 10]
    check_rows(mine[:10], rows)
    check_rows(mine[10:], rows)
    spoofed = sorted(r["srcaddr"] - 0x0B000000 for r in recs if r["srcaddr"] >> 24 == 11)
    assert spoofed == list(range(4096 - 2))        # the cap took the first ones
    corrupt = sum(c.read(f)[0]["pkts_corrupt"] for f in c.files(wd))
    assert corrupt == (n_spoof - 4094) + (300 - 256)
    assert "template or exporter over the caps" in err
    # the template state is allocated whole at start: the flood adds no more
    # than the per-exporter sequence slots and log bookkeeping
    assert rss1 - rss0 < 16 * 1024, (rss0, rss1)
