"""flow-fanout as a command: every datagram relayed unchanged to two local
listeners, -m and -A applied, the re-encoding's own sequence numbers,
corrupt and unconfigured datagrams dropped and logged, -F filters, the
daemon with its pidfile, statuses.  Servers only on 127.0.0.1; every
process started here is stopped here."""
import contextlib
import os
import signal
import socket
import struct
import subprocess
import time

import pytest

import collector
import harness
import oracle
from test_flow_send import Listener, header

pytestmark = pytest.mark.usefixtures("_needs")


@pytest.fixture
def _needs(require):
    require("flow-fanout", "flow-send", "flow-gen")


free_port = collector.free_port


@contextlib.contextmanager
def fanout(tmp_path, port, *args, clock=None):
    """flow-fanout -D args... (listening on `port`) in the background; yields
    the Popen once the port is bound.  On exit, once everything sent to the
    port was taken, stops it with SIGTERM (SIGKILL to its group if it
    hangs): all it relayed is then queued at the listeners.  .log holds
    stderr."""
    env = harness.case_env(scratch=tmp_path)
    if clock is not None:
        env["PYFLOWTOOLS_TEST_CLOCK"] = str(clock.path)
    errf = open(tmp_path / "fanout.err", "w+b")
    proc = subprocess.Popen(["flow-fanout", "-D", *args], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=errf, start_new_session=True)
    proc.errf_text = (tmp_path / "fanout.err").read_bytes
    try:
        assert collector.wait_for(lambda: proc.poll() is not None or collector.port_bound(port, proc.pid))
        assert proc.poll() is None, (tmp_path / "fanout.err").read_bytes()
        yield proc
        assert collector.wait_drained(port)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        errf.seek(0)
        proc.log = errf.read()
        errf.close()


def send_stream(run_cmd, stream, port):
    res = run_cmd(["flow-send", "0/127.0.0.1/%d" % port], stdin=stream)
    assert res.status in (0, 1) and res.stderr == b"", res.stderr


def udp_send(port, dgrams, src="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    for d in dgrams:
        s.sendto(d, ("127.0.0.1", port))
        time.sleep(0.002)
    s.close()


def gen(run_cmd, args):
    st, out, err = run_cmd("flow-gen " + args)
    assert st == 0, err
    return out


def test_relays_every_datagram_unchanged(run_cmd, tmp_path):
    stream = gen(run_cmd, "-n 200")
    direct = Listener()
    send_stream(run_cmd, stream, direct.port)
    expected = direct.result()
    assert len(expected) == 7
    port = free_port()
    a, b = Listener(), Listener()
    with fanout(tmp_path, port, "0/0/%d" % port, a.spec, b.spec) as proc:
        send_stream(run_cmd, stream, port)
    da, db = a.result(), b.result()
    assert da == expected and db == expected
    assert proc.returncode == 0
    assert proc.log == (b"flow-fanout: New exporter: time=%s src_ip=127.0.0.1 "
                        b"dst_ip=127.0.0.1 d_version=5\nflow-fanout: SIGTERM\n"
                        % proc.log.split(b"time=")[1].split(b" ")[0])


@pytest.mark.parametrize("version", ["1", "7", "8.1", "8.14"])
def test_relays_other_versions(run_cmd, tmp_path, version):
    stream = gen(run_cmd, "-V %s -n 60" % version)
    direct = Listener()
    send_stream(run_cmd, stream, direct.port)
    expected = direct.result()
    port = free_port()
    a = Listener()
    with fanout(tmp_path, port, "0/0/%d" % port, a.spec):
        send_stream(run_cmd, stream, port)
    got = a.result()
    assert [len(d) for d in got] == [len(d) for d in expected]
    if version != "7":
        # v7: the wire flags bytes are not decoded; the rest come back byte
        # for byte (engine_id -> engine_type of v8 is 0 -> 0 here)
        assert got == expected


def test_mask_and_as_substitution(run_cmd, tmp_path):
    stream = gen(run_cmd, "-n 3")      # record 0: src_as 0; record i: srcaddr i
    port = free_port()
    a = Listener()
    with fanout(tmp_path, port, "-A", "65001", "-m", "255.255.255.0", "0/0/%d" % port, a.spec):
        send_stream(run_cmd, stream, port)
    (d,) = a.result()
    for i in range(3):
        r = d[24 + 48 * i:24 + 48 * (i + 1)]
        src, dst = struct.unpack("!II", r[:8])
        src_as, dst_as = struct.unpack("!HH", r[40:44])
        assert (src, dst) == (0, 0xFFFF0000)          # i and 255.255.0.i masked
        assert src_as == (65001 if i == 0 else i)
        assert dst_as == 0xFF00 + i


def test_own_sequence_numbers(run_cmd, tmp_path):
    """A gap in the exporter's sequence is logged; the relayed datagrams
    carry fanout's own contiguous numbers (the reference re-encodes)."""
    def v5(seq, count, base):
        hdr = struct.pack("!HHIIIIBBH", 5, count, 1000, 1700000000, 0, seq, 0, 0, 0)
        recs = b"".join(struct.pack("!IIIHHIIIIHHBBBBHHBBH", base + k, 2, 0, 1, 2, 1, 40,
                                    900, 950, 10, 20, 0, 0, 17, 0, 1, 2, 24, 24, 0)
                        for k in range(count))
        return hdr + recs
    port = free_port()
    a = Listener()
    with fanout(tmp_path, port, "0/0/%d" % port, a.spec) as proc:
        udp_send(port, [v5(5000, 2, 0), v5(5002, 3, 10), v5(5010, 1, 20)])
    got = a.result()
    assert [header(d)[5] for d in got] == [0, 2, 5]
    assert [header(d)[1] for d in got] == [2, 3, 1]
    assert [d[24:] for d in got] == [v5(5000, 2, 0)[24:], v5(5002, 3, 10)[24:],
                                     v5(5010, 1, 20)[24:]]
    assert (b"ftpdu_seq_check(): src_ip=127.0.0.1 dst_ip=127.0.0.1 d_version=5 "
            b"expecting=5005 received=5010 lost=5\n") in proc.log


def test_corrupt_and_unconfigured_datagrams_dropped(run_cmd, tmp_path):
    good = struct.pack("!HHIIIIBBH", 5, 0, 0, 0, 0, 0, 0, 0, 0)
    port = free_port()
    a = Listener()
    with fanout(tmp_path, port, "0/0/%d" % port, a.spec) as proc:
        udp_send(port, [b"\x00\x05\x00\x01garbage", b"", good, b"\x00\x09" + bytes(30)])
    got = a.result()
    assert got == []                      # count 0: nothing to relay
    assert proc.log.count(b"ftpdu_verify(): src_ip=127.0.0.1 failed.\n") == 3
    port = free_port()
    a = Listener()
    with fanout(tmp_path, port, "0/127.0.0.2/%d" % port, a.spec) as proc:
        send_stream(run_cmd, gen(run_cmd, "-n 5"), port)
    got = a.result()
    assert got == []
    assert b"Unexpected PDU: src_ip=127.0.0.1 not configured\n" in proc.log


def smtp_filter(tmp_path):
    """(filter.cfg path defining `smtp`: destination port 25, a v5 stream
    of 10 records, srcaddr k, dstport 25 for k = 0, 3, 6, 9)."""
    cfg = tmp_path / "filter.cfg"
    cfg.write_text("filter-primitive p25\n  type ip-port\n  permit 25\n"
                   "filter-definition smtp\n  match ip-destination-port p25\n")
    recs = []
    for k in range(10):
        r = dict.fromkeys(oracle.fields("5"), 0)
        r.update(srcaddr=k, dstport=25 if k % 3 == 0 else 80, unix_secs=1700000000)
        recs.append(r)
    return cfg, oracle.write_stream({"d_version": 5, "flags": oracle.HF_STREAMING}, recs)


def test_filter(run_cmd, tmp_path):
    cfg, stream = smtp_filter(tmp_path)
    port = free_port()
    a = Listener()
    with fanout(tmp_path, port, "-f", str(cfg), "-F", "smtp", "0/0/%d" % port, a.spec):
        send_stream(run_cmd, stream, port)
    (d,) = a.result()
    assert header(d)[1] == 4
    assert [struct.unpack("!I", d[24 + 48 * i:28 + 48 * i])[0] for i in range(4)] == [0, 3, 6, 9]


def test_stat_line_counts_filter_drops(run_cmd, tmp_path):
    """-S 1 with -F: the STAT line's filter_drops counts the records the
    filter dropped (was always 0); the relay's clock is moved a minute on."""
    cfg, stream = smtp_filter(tmp_path)
    clock = collector.Clock(tmp_path / "clock")
    port = free_port()
    a = Listener()
    with fanout(tmp_path, port, "-S", "1", "-f", str(cfg), "-F", "smtp", "0/0/%d" % port,
                a.spec, clock=clock) as proc:
        send_stream(run_cmd, stream, port)
        assert collector.wait_drained(port)
        stats = proc.errf_text().count(b"STAT: ")   # at start, as the reference: 0 or 1
        clock.advance(60)
        assert collector.wait_for(lambda: proc.errf_text().count(b"STAT: ") > stats)
    (d,) = a.result()
    assert header(d)[1] == 4
    line = [ln for ln in proc.log.splitlines() if b"STAT: " in ln][-1]
    assert line.endswith(b" src_ip=127.0.0.1 dst_ip=127.0.0.1 d_ver=5 pkts=1 flows=10 lost=0 "
                         b"reset=0 filter_drops=6 send_nobufs=0")


def test_daemon_and_pidfile(run_cmd, tmp_path):
    port = free_port()
    pidbase = tmp_path / "fanout.pid"
    res = run_cmd(["flow-fanout", "-p", str(pidbase), "0/127.0.0.1/%d" % port,
                   "0/127.0.0.1/9"], timeout=10)
    assert res.status == 0 and res.stderr == b""
    pidfile = tmp_path / ("fanout.pid.%d" % port)
    for _ in range(50):
        if pidfile.exists() and pidfile.read_text().strip():
            break
        time.sleep(0.1)
    pid = int(pidfile.read_text())
    try:
        os.kill(pid, 0)
    finally:
        os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        if not pidfile.exists():
            break
        time.sleep(0.1)
    assert not pidfile.exists()


def test_usage_and_statuses(run_cmd):
    res = run_cmd(["flow-fanout", "-D", "0/0/9991"])
    assert (res.status, res.stderr) == (
        1, b"flow-fanout: Must define at least source and one destination.\n")
    res = run_cmd(["flow-fanout", "-h"])
    assert res.status == 0 and res.stderr.startswith(b"usage: flow-fanout")
    res = run_cmd(["flow-fanout", "-q"])
    assert res.status == 1 and res.stderr.splitlines()[0] == \
        b"flow-fanout: invalid option -- 'q'"
    res = run_cmd(["flow-fanout", "-D", "-S", "61", "0/0/9991", "0/127.0.0.1/9"])
    assert (res.status, res.stderr) == (
        1, b"flow-fanout: Stat interval must be between 0 and 60.\n")


@pytest.mark.skipif(os.geteuid() != 0, reason="raw sockets need root")
def test_keep_source_address(run_cmd, tmp_path):
    """-s: the relayed datagrams come from the exporter's address (raw
    socket, UDP source port 7999 for the first destination)."""
    stream = gen(run_cmd, "-n 35")
    port = free_port()
    a = Listener()
    with fanout(tmp_path, port, "-s", "0/0/%d" % port, a.spec):
        res = run_cmd(["flow-send", "127.0.0.5/127.0.0.1/%d" % port], stdin=stream)
        assert res.status == 1 and res.stderr == b""
    got = a.result()
    assert [len(d) for d in got] == [1464, 264]
    assert set(a.sources) == {("127.0.0.5", 7999)}


# -t/-T, -x/-X: tags (for the filter) and translation before re-encoding

TAG_CFG = ("tag-action low\n  type src-prefix\n  match 0.0.0.0/28 set-src 0x7\n"
           "tag-definition d\n  term\n    action low\n")
XLATE_CFG = ("xlate-action s\n  type scale\n  scale 3\n"
             "xlate-action m\n  type ip-port-privacy-mask\n  mask 0xFFF0 0xFF00\n"
             "xlate-definition x\n  term\n    action s\n    action m\n")
TAG_FILTER = ("filter-primitive t\n  type tag\n  permit 0x7\n"
              "filter-definition tagged\n  match src-tag t\n")


@pytest.mark.parametrize("args,pipeline", [
    (["-x", "xlate.cfg", "-X", "x"], "flow-xlate -x xlate.cfg -X x"),
    (["-t", "tag.cfg", "-T", "d", "-f", "filter.cfg", "-F", "tagged", "-x", "xlate.cfg",
      "-X", "x"], "flow-tag -t tag.cfg -T d | flow-nfilter -f filter.cfg -F tagged | "
                  "flow-xlate -x xlate.cfg -X x"),
])
def test_tags_and_translation(run_cmd, tmp_path, args, pipeline):
    """The datagrams sent on are those flow-send makes of what flow-tag,
    flow-nfilter and flow-xlate make of the records received."""
    for name, text in (("tag.cfg", TAG_CFG), ("xlate.cfg", XLATE_CFG),
                       ("filter.cfg", TAG_FILTER)):
        (tmp_path / name).write_text(text)
    stream = gen(run_cmd, "-n 40")
    st, want_stream, err = run_cmd(pipeline, stdin=stream, cwd=tmp_path)
    assert st == 0, err
    direct = Listener()
    send_stream(run_cmd, want_stream, direct.port)
    expected = direct.result()
    port = free_port()
    a = Listener()
    args = [str(tmp_path / a_) if a_.endswith(".cfg") else a_ for a_ in args]
    with fanout(tmp_path, port, *args, "0/0/%d" % port, a.spec) as proc:
        send_stream(run_cmd, stream, port)
    got = a.result()
    assert proc.returncode == 0, proc.log
    assert got == expected and len(got) == (1 if "-T" in args else 2)
    assert sum(header(d)[1] for d in got) == (16 if "-T" in args else 40)


def test_delay_stays_a_number_and_xlate_errors(run_cmd, tmp_path):
    res = run_cmd(["flow-fanout", "-D", "-x", "none.cfg", "-X", "x", "0/0/%d" % free_port(),
                   "0/127.0.0.1/9"], cwd=tmp_path)
    assert res.status == 1 and res.stderr == (
        b"flow-fanout: open(none.cfg): No such file or directory\n"
        b"flow-fanout: ftxlate_load(none.cfg): failed\n")


def test_datagram_messages_are_rate_limited(run_cmd, tmp_path):
    """A flood of bad datagrams: at most 20 lines a second, the rest
    counted in "N more messages suppressed" once the next second begins
    (the daemon's clock moved on); every bad datagram accounted for."""
    clock = collector.Clock(tmp_path / "clock")
    port = free_port()
    a = Listener()
    bad = b"\x00\x05\x00\x01garbage"
    with fanout(tmp_path, port, "0/0/%d" % port, a.spec, clock=clock) as proc:
        udp_send(port, [bad] * 300)
        assert collector.wait_drained(port)
        clock.advance(5)
        udp_send(port, [bad])
        assert collector.wait_drained(port)
    a.result()
    log = proc.log.decode()
    failed = log.count("ftpdu_verify(): src_ip=127.0.0.1 failed.")
    suppressed = [int(ln.split()[1]) for ln in log.splitlines() if ln.endswith(" more messages suppressed")]
    assert suppressed and failed + sum(suppressed) == 301
    assert failed <= 20 * (len(suppressed) + 1)


def test_ipv6_flows_of_ipfix_with_xlate_counted_and_dropped_once(run_cmd, tmp_path):
    """-x: v9/IPFIX decoded and sent on as v5 datagrams, which hold no IPv6:
    the IPv4 flows go on, the IPv6 ones are dropped with one line (once,
    however many come); without -x the datagram goes on as it came."""
    import ipfix_oracle as X
    F = X.Field
    f4 = [F(8, 4), F(12, 4), F(1, 4), F(2, 4), F(7, 2), F(11, 2), F(4, 1)]
    f6 = [F(27, 16), F(28, 16), F(1, 4), F(2, 4), F(7, 2), F(11, 2), F(4, 1)]
    a6 = (0x20010DB8 << 96 | 1).to_bytes(16, "big")
    dg = X.ipfix([X.set_bytes(2, X.template_record(10, 300, f4) + X.template_record(10, 301, f6)),
                  X.set_bytes(300, b"".join(X.data_record(f4, [0x0A000001, 0x0A000002 + i, 100,
                                                              2, 1024, 80, 6]) for i in range(3))),
                  X.set_bytes(301, b"".join(X.data_record(f6, [a6, a6, 100, 2, 1024, 80, 6])
                                            for _ in range(4)))],
                 seq=0, export=int(time.time()))
    (tmp_path / "xlate.cfg").write_text(XLATE_CFG)
    port = free_port()
    a = Listener()
    with fanout(tmp_path, port, "-x", str(tmp_path / "xlate.cfg"), "-X", "x",
                "0/0/%d" % port, a.spec) as proc:
        udp_send(port, [dg])
        assert collector.wait_drained(port)
        udp_send(port, [dg])
    got = a.result()
    assert proc.returncode == 0, proc.log
    assert [header(d)[:2] for d in got] == [(5, 3), (5, 3)]
    line = (b"flow-fanout: IPv6 flows from 127.0.0.1 are counted and dropped; without "
            b"-t/-T/-x/-X v9/IPFIX datagrams are relayed as they came\n")
    assert proc.log.count(b"IPv6 flows") == 1 and line in proc.log, proc.log
    port = free_port()
    b = Listener()
    with fanout(tmp_path, port, "0/0/%d" % port, b.spec) as proc:
        udp_send(port, [dg])
    assert b.result() == [dg] and b"IPv6" not in proc.log, proc.log
