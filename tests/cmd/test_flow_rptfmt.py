"""flow-rptfmt as an installed command: run the way the default stat.cfg
runs it (its `path |flow-rptfmt @{RPTOPT:--f ascii}` line through sh, on
the flow-report outputs of tests/data/rptfmt), the argv echo, -m on an
endless input, -a firing, errors (one stderr line), broken pipe."""
import re
import shlex
from pathlib import Path

import pytest

from pyflowtools.util import paths

TESTS = Path(__file__).resolve().parent.parent
DATA = TESTS / "data" / "rptfmt"
SED_NOW = "sed -e '/^# now:/d'"
SED_ARGV = SED_NOW + " -e \"s/^#  \\['[^']*'/#  ['flow-rptfmt'/\""

# default stat.cfg cases: (case id, flow-report output, RPTOPT or None)
DEFAULT_CASES = [
    ("default-sd-crafted", "default-sd-crafted.txt", None),
    ("default-sd-html-whois", "default-sd-whois.txt", "-f html"),
    ("default-sd-noheader-scan", "default-sd-scan.txt", "-H"),
    ("default-srcaddr-octets", "default-srcaddr-crafted.txt", None),
    ("default-dport-top10", "default-dport-masscan-tcp.txt", "-H -s +ip-destination-port -m 10"),
    ("default-proto-pct", "default-proto-crafted.txt", "-p -H"),
    ("default-psize-html", "default-psize-crafted.txt", "-f html -H"),
    ("default-err-sort-ipaddr", "default-ipaddr-crafted.txt", "-H -s +ip-address"),
]


@pytest.fixture(autouse=True)
def _needs(require):
    require("flow-rptfmt")


def expand(text, variables):
    """stat.cfg's @{NAME:-default} with -v variables."""
    return re.sub(r"@\{(\w+):-([^}]*)\}", lambda m: variables.get(m.group(1), m.group(2)), text)


def stat_cfg_pipe(rptopt):
    """The command of the shipped stat.cfg's `path |...` line."""
    text = Path(paths.shipped("stat.cfg")).read_text()
    line = next(ln.split(None, 1)[1] for ln in text.splitlines()
                if ln.split()[:1] == ["path"])
    assert line.startswith("|")
    return expand(line[1:], {} if rptopt is None else {"RPTOPT": rptopt})


def error_line(err):
    text = err.decode()
    assert "Traceback" not in text
    lines = [ln for ln in text.split("\n") if ln]
    assert len(lines) == 1 and lines[0].startswith("flow-rptfmt: "), text
    return lines[0]


@pytest.mark.parametrize("cid,fixture,rptopt", DEFAULT_CASES)
def test_default_stat_cfg_pipe(run_cmd, corpus_dir, cid, fixture, rptopt):
    cmd = stat_cfg_pipe(rptopt)
    status, out, err = run_cmd("%s | %s" % (cmd, SED_ARGV), stdin=(DATA / fixture).read_bytes())
    assert out == (corpus_dir / "expected" / ("rptfmt-%s.out" % cid)).read_bytes()


def test_argv_echo_is_the_path_run(run_cmd, flow_bin):
    status, out, err = run_cmd("flow-rptfmt -m 0 x", stdin=b"# recn: a\n")
    assert status == 0
    assert out == ("#  [%r, '-m', '0', 'x']\na\n\n" % str(flow_bin / "flow-rptfmt")).encode()
    status, out, err = run_cmd("cd %s && ./flow-rptfmt" % shlex.quote(str(flow_bin)),
                               stdin=b"")
    assert out == b"#  ['./flow-rptfmt']\n\n\n"


def test_max_lines_on_endless_rows(run_cmd):
    status, out, err = run_cmd("{ echo '# recn: a,bb'; yes 1,2; } | flow-rptfmt -H -m 3")
    assert (status, out) == (0, b"1 2 \n1 2 \n1 2  \n")


def test_alarm_fires_on_endless_comments(run_cmd):
    status, out, err = run_cmd("{ echo '# recn: a'; echo 1; yes '# more'; } | flow-rptfmt -a 1")
    assert (status, out) == (0, b"flow-rptfmt exceeded CPU time, consider running report offline.\n")


@pytest.mark.parametrize("args,stdin", [
    ("-x", b""),
    ("-p", b"# recn: a*,n\nx,0\n"),
    ("-s +n", b"# recn: a*,n\nx,1.5\ny,2\n"),
    ("-n", b"# recn: ip-source-address*,n\n"),
    ("", b"# recn: a,b,c\n1,2\n"),
    ("-f HTML", b""),
    ("-m ten", b""),
])
def test_errors_one_line_status_1(run_cmd, args, stdin):
    status, out, err = run_cmd("flow-rptfmt " + args, stdin=stdin)
    assert (status, out) == (1, b"")
    error_line(err)


def test_help_on_stdout(run_cmd, corpus_dir):
    status, out, err = run_cmd("flow-rptfmt -h")
    assert (status, out, err) == (0, (corpus_dir / "expected" / "rptfmt-h.out").read_bytes(), b"")


def test_broken_pipe_is_silent(run_cmd):
    rows = b"# recn: a,b\n" + b"1,2\n" * 200000
    status, out, err = run_cmd("flow-rptfmt -H | head -c 10; echo ${PIPESTATUS[0]}", stdin=rows)
    assert out == b"1 2\n1 2\n1 141\n" and err == b""
