"""flow-log2rrd with the real rrdtool: STAT lines as flow-capture and
flow-fanout log them (collector.stat_line, the code that writes them) go in;
`rrdtool fetch` gives back the rates the counters imply (issue 10 item 6)."""
import re
import shutil
import subprocess
from types import SimpleNamespace

import pytest

import harness

from pyflowtools.netflow.collector import stat_line
from pyflowtools.util import ipv4

pytestmark = pytest.mark.skipif(shutil.which("rrdtool") is None,
                                reason="rrdtool not installed (tools/sysdeps.sh installs it)")

T0 = 1092646800                     # a multiple of 300
EXPORTER, LOCAL = "192.0.2.1", "0.0.0.0"


def line(now, startup, flows, pkts, lost, prefix="Aug 16 09:00:00 nf1 flow-capture[812]: ",
         exporter=EXPORTER, extra=""):
    x = SimpleNamespace(exporter_ip=ipv4.parse(exporter), local_ip=ipv4.parse(LOCAL),
                        version=5, pkts=pkts, flows=flows, lost=lost, resets=0, filtered=0)
    return prefix + stat_line(now, startup, x, extra) + "\n"


def fetch(path, start, end):
    out = subprocess.run(["rrdtool", "fetch", str(path), "AVERAGE", "--start", str(start),
                          "--end", str(end)], capture_output=True, text=True, check=True,
                         env=harness.peer_env())
    head = out.stdout.splitlines()[0].split()
    rows = {}
    for ln in out.stdout.splitlines():
        m = re.match(r"^(\d+): (.*)$", ln)
        if m:
            rows[int(m.group(1))] = [None if "nan" in v else float(v)
                                     for v in m.group(2).split()]
    return head, rows


def counters(i):
    """Counters after i intervals: uneven rates, so that a wrong pairing shows."""
    flows = sum(1000 + 37 * k for k in range(i))
    return flows, flows // 30 + i, i * (i - 1) // 2


@pytest.fixture
def log2rrd(require, run_cmd, tmp_path):
    require("flow-log2rrd")

    def run(text, *argv):
        return run_cmd(["flow-log2rrd", "-p", str(tmp_path)] + list(argv), stdin=text.encode())
    return run


def test_rates_come_back_from_rrdtool_fetch(log2rrd, tmp_path):
    text = "Aug 16 09:00:00 nf1 kernel: something else\n"
    text += "".join(line(T0 + 300 * i, T0, *counters(i)) for i in range(1, 13))
    st, out, err = log2rrd(text)
    assert (st, out, err) == (0, b"", b"")
    path = tmp_path / ("capture.nf1.%s.%s.rrd" % (EXPORTER, LOCAL))
    head, rows = fetch(path, T0, T0 + 300 * 12)
    assert head == ["flows", "pkts", "lost"]
    for i in range(1, 13):
        now, prev = counters(i), counters(i - 1)
        want = [(a - b) / 300.0 for a, b in zip(now, prev)]
        assert rows[T0 + 300 * i] == pytest.approx(want, rel=1e-9), i


def test_restart_gives_the_rate_since_startup_not_a_spike(log2rrd, tmp_path):
    restart = T0 + 3 * 300 + 100
    text = "".join(line(T0 + 300 * i, T0, 3000 * i, 100 * i, 0) for i in range(1, 4))
    text += line(T0 + 4 * 300, restart, 1000, 10, 0)        # 200 s after the restart
    text += line(T0 + 5 * 300, restart, 1000 + 3000, 20, 0)
    assert log2rrd(text)[0] == 0
    _, rows = fetch(tmp_path / ("capture.nf1.%s.%s.rrd" % (EXPORTER, LOCAL)), T0, T0 + 1500)
    assert rows[T0 + 900][0] == pytest.approx(10.0)
    # the step holding the restart: 100 s unknown, 200 s at 1000/200 flows/s
    assert rows[T0 + 1200][0] == pytest.approx(5.0)
    assert rows[T0 + 1500][0] == pytest.approx(10.0)


def test_lines_in_any_order_and_twice_across_runs(log2rrd, tmp_path):
    lines = [line(T0 + 300 * i, T0, *counters(i)) for i in range(1, 9)]
    assert log2rrd("".join(lines[:5]))[0] == 0
    # the next rotated log concatenated before the old one, in reverse order
    st, _, err = log2rrd("".join(reversed(lines[3:])) + "".join(lines[:5]))
    assert (st, err) == (0, b"")
    _, rows = fetch(tmp_path / ("capture.nf1.%s.%s.rrd" % (EXPORTER, LOCAL)), T0, T0 + 2400)
    for i in range(1, 9):
        want = (counters(i)[0] - counters(i - 1)[0]) / 300.0
        assert rows[T0 + 300 * i][0] == pytest.approx(want), i


def test_bare_lines_fanout_and_files_per_exporter(log2rrd, tmp_path):
    text = line(T0 + 300, T0, 300, 3, 0, prefix="flow-fanout: ", extra=" send_nobufs=0")
    text += line(T0 + 600, T0, 600, 6, 0, prefix="flow-fanout: ", extra=" send_nobufs=30")
    text += line(T0 + 300, T0, 9, 9, 0, exporter="192.0.2.7",
                 prefix="2004-08-16T09:05:00+00:00 nf2 /usr/bin/flow-capture[1]: ")
    st, _, err = log2rrd(text, "-v")
    assert st == 0 and b"created" in err
    import socket
    host = re.sub(r"[^A-Za-z0-9._+-]", "_", socket.gethostname())
    names = sorted(p.name for p in tmp_path.glob("*.rrd"))
    assert names == sorted(["fanout.%s.%s.%s.rrd" % (host, EXPORTER, LOCAL),
                            "capture.nf2.192.0.2.7.%s.rrd" % LOCAL])
    head, rows = fetch(tmp_path / names[names[0].startswith("capture") and 1 or 0], T0, T0 + 600)
    assert head == ["flows", "pkts", "lost", "nobufs"]
    assert rows[T0 + 600] == pytest.approx([1.0, 0.01, 0.0, 0.1])


def test_malformed_stat_line_is_reported_and_skipped(log2rrd, tmp_path):
    text = "flow-capture: STAT: now=1 flows=3\n" + line(T0 + 300, T0, 300, 3, 0)
    st, _, err = log2rrd(text)
    assert st == 0
    assert err == b"flow-log2rrd: line 1: malformed STAT line (no src_ip=), skipped\n"
    assert len(list(tmp_path.glob("*.rrd"))) == 1


@pytest.mark.parametrize("argv,env,message", [
    (["-p", "/nonexistent/dir"], None, b"flow-log2rrd: /nonexistent/dir: No such file or directory\n"),
    ([], {"RRDTOOL": "/no/rrdtool"},
     b"flow-log2rrd: cannot run /no/rrdtool: No such file or directory "
     b"(install the rrdtool package)\n"),
    (["/nonexistent/log"], None, b"flow-log2rrd: /nonexistent/log: No such file or directory\n"),
    (["-q"], None, b"flow-log2rrd: invalid option -- 'q'\n"),
])
def test_errors_are_one_line_status_1(require, run_cmd, argv, env, message):
    require("flow-log2rrd")
    st, out, err = run_cmd(["flow-log2rrd"] + argv, env=env)
    assert (st, out, err) == (1, b"", message)
