"""flow-rpt2rrd with the real rrdtool: flow-report output goes in, `rrdtool
fetch` gives the report's numbers back, step by step (issue 10 item 6).

The expected values come from reading the report text here, plainly: each
block's `# first-flow:` time (or `first` column) and its rows."""
import re
import shutil
import subprocess

import pytest
from hypothesis import given, strategies as st

import harness

from pyflowtools.report import rrd

pytestmark = pytest.mark.skipif(shutil.which("rrdtool") is None,
                                reason="rrdtool not installed (tools/sysdeps.sh installs it)")

STEP = 300
SAMPLE = "enterprise/ft-v05.2004-08-16.090000+0000"

PORTS_CFG = """\
stat-report ports
  type ip-destination-port
  output
    options +header,+xheader,+totals
    fields -duration
    sort +octets
stat-definition day
  time-series 300
  report ports
"""


def fetch(path, start, end, cf="AVERAGE"):
    """{time: [values]} of `rrdtool fetch` run as a separate program."""
    out = subprocess.run(["rrdtool", "fetch", str(path), cf, "--start", str(start),
                          "--end", str(end)], capture_output=True, text=True, check=True,
                         env=harness.peer_env())
    rows = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^(\d+): (.*)$", line)
        if m:
            vals = [None if "nan" in v else float(v) for v in m.group(2).split()]
            rows[int(m.group(1))] = vals
    return rows


def report_blocks(text):
    """[(first-flow, {key: [flows, octets, packets]}, totals)] of a flow-report
    output with +header,+totals."""
    blocks = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("# first-flow:"):
            blocks.append([int(line.split()[2]), {}, None])
        elif line.startswith("# rec1:"):
            names = line[7:].strip().split(",")
            blocks[-1][2] = dict(zip(names, map(int, lines[i + 1].split(","))))
        elif line and line[0] != "#" and blocks and "," in line and i > 0 \
                and not lines[i - 1].startswith("# rec1:"):
            k, *vals = line.split(",")
            blocks[-1][1][k] = [int(v) for v in vals]
    return blocks


def slot(t):
    return (t // STEP + 1) * STEP


@pytest.fixture
def day_report(require, run_cmd, samples_dir, tmp_path):
    require("flow-report", "flow-rpt2rrd")
    cfg = tmp_path / "ports.cfg"
    cfg.write_text(PORTS_CFG)
    st_, out, err = run_cmd(["flow-report", "-s", str(cfg), "-S", "day"],
                            stdin=(samples_dir / SAMPLE).read_bytes())
    assert (st_, err) == (0, b"")
    return out


def test_time_series_report_comes_back_from_rrdtool_fetch(run_cmd, day_report, tmp_path):
    keys = ["80", "25", "443", "53", "totals"]
    st_, out, err = run_cmd(["flow-rpt2rrd", "-p", str(tmp_path), "-P", "-r1",
                             "-k", ",".join(keys)], stdin=day_report)
    assert (st_, out, err) == (0, b"", b"")
    blocks = report_blocks(day_report.decode())
    assert len(blocks) >= 4
    lo, hi = slot(blocks[0][0]) - STEP, slot(blocks[-1][0])
    for key in keys:
        got = fetch(tmp_path / ("%s-r1.rrd" % key), lo, hi)
        for first, rows, totals in blocks:
            if key == "totals":
                want = [totals["flows"], totals["octets"], totals["packets"]]
            else:
                want = rows.get(key, [0, 0, 0])        # no row: no traffic that step
            assert got[slot(first)] == want, (key, first)
    # the step before the first report is unknown, not zero
    assert fetch(tmp_path / "80-r1.rrd", lo - STEP, lo)[lo] == [None, None, None]


def test_fed_twice_changes_nothing(run_cmd, day_report, tmp_path):
    argv = ["flow-rpt2rrd", "-p", str(tmp_path), "-k", "80"]
    assert run_cmd(argv, stdin=day_report)[0] == 0
    path = tmp_path / "80.rrd"
    before = path.read_bytes()
    st_, out, err = run_cmd(argv, stdin=day_report)
    assert (st_, err) == (0, b"")
    blocks = report_blocks(day_report.decode())
    lo, hi = slot(blocks[0][0]) - STEP, slot(blocks[-1][0])
    assert fetch(path, lo, hi) == fetch_bytes(before, tmp_path, lo, hi)


def fetch_bytes(data, tmp_path, lo, hi):
    p = tmp_path / "copy.rrd"
    p.write_bytes(data)
    return fetch(p, lo, hi)


def test_names_with_n_and_fields(run_cmd, day_report, tmp_path):
    st_, out, err = run_cmd(["flow-rpt2rrd", "-n", "-v", "-p", str(tmp_path), "-k",
                             "http,smtp", "-f", "octets"], stdin=day_report)
    assert st_ == 0
    assert b"created %s/http.rrd" % str(tmp_path).encode() in err
    info = subprocess.run(["rrdtool", "info", str(tmp_path / "smtp.rrd")],
                          capture_output=True, text=True, check=True,
                          env=harness.peer_env()).stdout
    assert re.findall(r"^ds\[(\w+)\]\.type", info, re.M) == ["octets"]
    blocks = report_blocks(day_report.decode())
    got = fetch(tmp_path / "smtp.rrd", slot(blocks[0][0]) - STEP, slot(blocks[-1][0]))
    assert got[slot(blocks[1][0])] == [blocks[1][1]["25"][1]]


def test_storage_option_sets_the_archives(run_cmd, day_report, tmp_path):
    st_, _, err = run_cmd(["flow-rpt2rrd", "-p", str(tmp_path), "-k", "80",
                           "-r", "10:20:0:5"], stdin=day_report)
    assert (st_, err) == (0, b"")
    info = subprocess.run(["rrdtool", "info", str(tmp_path / "80.rrd")],
                          capture_output=True, text=True, check=True,
                          env=harness.peer_env()).stdout
    rras = re.findall(r"^rra\[\d+\]\.(cf|rows|pdp_per_row) = (\S+)", info, re.M)
    cfs = [v.strip('"') for k, v in rras if k == "cf"]
    rows = [int(v) for k, v in rras if k == "rows"]
    pdp = [int(v) for k, v in rras if k == "pdp_per_row"]
    assert cfs == ["AVERAGE"] * 3 + ["MAX"] * 3
    assert rows == [10, 20, 5] * 2 and pdp == [1, 6, 288] * 2
    assert "step = 300" in info and "ds[flows].minimal_heartbeat = 300" in info


def test_cut_report_leaves_absent_keys_unknown(run_cmd, tmp_path):
    report = ("#  --- ---- ---- Report Information --- --- ---\n"
              "# first-flow:           1092646890 Mon Aug 16 09:01:30 2004\n"
              "# recn: ip-destination-port*,flows,octets,packets\n"
              "80,3,300,30\n# stop, hit record limit.\n"
              "#  --- ---- ---- Report Information --- --- ---\n"
              "# first-flow:           1092647192 Mon Aug 16 09:06:32 2004\n"
              "# recn: ip-destination-port*,flows,octets,packets\n"
              "80,4,400,40\n")
    st_, _, err = run_cmd(["flow-rpt2rrd", "-p", str(tmp_path), "-k", "80,25"],
                          stdin=report.encode())
    assert (st_, err) == (0, b"")
    got = fetch(tmp_path / "25.rrd", 1092646800, 1092647400)
    assert got[1092647100] == [None, None, None]       # cut: unknown
    assert got[1092647400] == [0, 0, 0]                # complete, absent: zero
    assert fetch(tmp_path / "80.rrd", 1092646800, 1092647400)[1092647400] == [4, 400, 40]


def test_headerless_report_uses_first_column_and_pairs_join(run_cmd, tmp_path):
    report = ("# recn: first,ip-source-address*,ip-destination-address*,flows,octets,packets\n"
              "1092646890,10.0.0.1,10.0.0.2,1,100,2\n"
              "1092646890,10.0.0.3,10.0.0.2,5,500,9\n"
              "# recn: first,ip-source-address*,ip-destination-address*,flows,octets,packets\n"
              "1092647192,10.0.0.1,10.0.0.2,7,700,8\n")
    st_, _, err = run_cmd(["flow-rpt2rrd", "-p", str(tmp_path), "-k", "10.0.0.1_10.0.0.2"],
                          stdin=report.encode())
    assert (st_, err) == (0, b"")
    got = fetch(tmp_path / "10.0.0.1_10.0.0.2.rrd", 1092646800, 1092647400)
    assert got[1092647100] == [1, 100, 2] and got[1092647400] == [7, 700, 8]


def test_prefix_key_file_name_and_keys_file(run_cmd, tmp_path):
    (tmp_path / "keys").write_text("# networks\n10.0.0.0/24\n\n10.1.0.0/16, 10.9.0.0/8\n")
    report = ("# recn: first,ip-source-address*,flows,octets,packets\n"
              "1092646890,10.0.0.0/24,1,100,2\n1092646890,10.1.0.0/16,3,30,3\n")
    st_, _, err = run_cmd(["flow-rpt2rrd", "-p", str(tmp_path), "-K", str(tmp_path / "keys")],
                          stdin=report.encode())
    assert (st_, err) == (0, b"")
    assert sorted(p.name for p in tmp_path.glob("*.rrd")) == [
        "10.0.0.0-24.rrd", "10.1.0.0-16.rrd", "10.9.0.0-8.rrd"]


@pytest.mark.parametrize("argv,stdin,message", [
    ([], b"", b"flow-rpt2rrd: keys must be specified with -k or -K\n"),
    (["-k", "80", "-r", "1:2"], b"",
     b"flow-rpt2rrd: rrd_storage must be four numbers separated by ':' (1:2)\n"),
    (["-k", "80", "-f", "flows,bogus"],
     b"# recn: ip-destination-port*,flows,octets,packets\n80,1,2,3\n",
     b"flow-rpt2rrd: field bogus is not in the report\n"),
    (["-k", "80", "-p", "/nonexistent/dir"], b"",
     b"flow-rpt2rrd: /nonexistent/dir: No such file or directory\n"),
    (["-k", "80"], b"# name: a\n# recn: ip-protocol*,flows\n6,1\n# name: b\n",
     b"flow-rpt2rrd: the input holds several reports (a, b): give one report per run\n"),
    (["-x"], b"", None),
])
def test_errors_are_one_line_status_1(run_cmd, require, argv, stdin, message):
    require("flow-rpt2rrd")
    st_, out, err = run_cmd(["flow-rpt2rrd"] + argv, stdin=stdin)
    assert st_ == 1 and out == b""
    if message is not None:
        assert err == message
    else:
        assert err.startswith(b"flow-rpt2rrd: ") and err.count(b"\n") == 1


def test_foreign_file_is_refused_by_name(run_cmd, require, tmp_path):
    require("flow-rpt2rrd")
    (tmp_path / "80.rrd").write_bytes(b"not an rrd")
    st_, _, err = run_cmd(["flow-rpt2rrd", "-p", str(tmp_path), "-k", "80"],
                          stdin=b"# recn: ip-destination-port*,flows,octets,packets\n80,1,2,3\n")
    assert st_ == 1 and err.startswith(b"flow-rpt2rrd: %s/80.rrd: " % str(tmp_path).encode())
    assert err.count(b"\n") == 1


def test_missing_rrdtool_is_one_line(run_cmd, require):
    require("flow-rpt2rrd")
    st_, _, err = run_cmd(["flow-rpt2rrd", "-k", "80"], env={"RRDTOOL": "/no/rrdtool"})
    assert st_ == 1
    assert err == (b"flow-rpt2rrd: cannot run /no/rrdtool: No such file or directory "
                   b"(install the rrdtool package)\n")


# ---------------------------------------------------------------- property
_block = st.tuples(st.integers(0, 40),                      # step index
                   st.dictionaries(st.sampled_from(["80", "25", "443", "53"]),
                                   st.tuples(st.integers(1, 10**6), st.integers(1, 10**9),
                                             st.integers(1, 10**6)), max_size=4),
                   st.integers(0, STEP - 1))                # offset of the first flow


@given(st.lists(_block, min_size=1, max_size=12))
def test_any_series_of_reports_round_trips(tmp_path_factory, blocks):
    """Reports at arbitrary steps (several per step are added up): fetch
    gives, per step, the sum of that step's reports, 0 for an absent key,
    unknown for steps without a report."""
    d = tmp_path_factory.mktemp("rpt")
    base = 1092646800
    text, want = [], {}
    for idx, rows, off in sorted(blocks, key=lambda b: b[0]):
        text.append("#  --- ---- ---- Report Information --- --- ---\n"
                    "# first-flow:           %d x\n" % (base + idx * STEP + off))
        text.append("# recn: ip-destination-port*,flows,octets,packets\n")
        text += ["%s,%d,%d,%d\n" % ((k,) + v) for k, v in rows.items()]
        t = base + (idx + 1) * STEP
        for k in ("80", "25"):
            old = want.get((k, t), [0, 0, 0])
            want[(k, t)] = [a + b for a, b in zip(old, rows.get(k, (0, 0, 0)))]
    with rrd.RRDTool() as tool:
        rrd.rpt2rrd("".join(text).splitlines(True), ["80", "25"], list(rrd.RPT_FIELDS), str(d), "",
                    rrd.RPT_STORAGE, tool)
        for k in ("80", "25"):
            rows = dict(tool.fetch(str(d / ("%s.rrd" % k)), "AVERAGE", base, base + 42 * STEP))
            for i in range(42):
                t = base + (i + 1) * STEP
                exp = want.get((k, t))
                if exp is None and t < min(tt for kk, tt in want if kk == k):
                    continue                                # before the file's start
                assert rows[t] == (exp if exp is not None else [None] * 3), (k, t)
