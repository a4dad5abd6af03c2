"""flow-rptfmt's formatter (pyflowtools.report.rptfmt, through the command's
main() in-process) against the 48 rptfmt- conformance cases, before
flow-report exists: the flow-report output each case pipes in is kept in
tests/data/rptfmt/ (from the report- case of the same definition and
input when there is one, else rebuilt from the case's own output: see
tests/data/rptfmt/README.md); the options come from the case's command
line; stdout and status must equal the recorded ones.  Then the rules on
hand-made inputs: Python 2 print spacing, sorting, -p, -n, -m, getopt,
errors (one stderr line, never a traceback) and a large report."""
import io
import re
import shlex
import sys
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from pyflowtools import cli
from pyflowtools.commands import flow_rptfmt
from pyflowtools.report import rptfmt

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data" / "rptfmt"
CORPUS = TESTS / "conformance"

# case id -> the flow-report output it pipes into flow-rptfmt (None: none)
FIXTURE = {
    "default-sd-crafted": "default-sd-crafted.txt",
    "default-sd-html-whois": "default-sd-whois.txt",
    "default-sd-noheader-scan": "default-sd-scan.txt",
    "default-sd-nototals": "default-sd-nototals-nmap.txt",
    "default-sd-empty": "default-sd-empty.txt",
    "default-srcaddr-octets": "default-srcaddr-crafted.txt",
    "default-dstaddr-html": "default-dstaddr-nmap-svc.txt",
    "default-pair-fields": "default-pair-crafted.txt",
    "default-dport-top10": "default-dport-masscan-tcp.txt",
    "default-proto-pct": "default-proto-crafted.txt",
    "default-ifin": "default-ifin-crafted.txt",
    "default-sport-fields": "default-sport-nmap-svc.txt",
    "default-dport-names": "default-dport-names-nmap-svc.txt",
    "default-psize-html": "default-psize-crafted.txt",
    "default-srcaddr-empty": "default-srcaddr-empty.txt",
    "default-linear": "default-linear-crafted.txt",
    "default-exporter-nohdr": "default-exporter-crafted.txt",
    "default-err-sort-ipaddr": "default-ipaddr-crafted.txt",
    "plain-srcaddr": "crafted-srcaddr.txt",
    "html-srcaddr": "crafted-srcaddr.txt",
    "H-pair-totals": "crafted-pair.txt",
    "sort-desc-stable": "crafted-dport-asc.txt",
    "sort-addr-string": "crafted-srcaddr.txt",
    "sort-addr-desc-html": "crafted-pair.txt",
    "F-order": "crafted-pair.txt",
    "F-unknown": "nmap-all-srcaddr.txt",
    "F-all-html": "nmap-svc-dstaddr.txt",
    "m-ascii": "crafted-srcaddr.txt",
    "m-html": "crafted-srcaddr.txt",
    "m-zero-neg": "crafted-dport.txt",
    "n-nokey": "crafted-srcaddr.txt",
    "a-late-g": "crafted-dport.txt",
    "a-fires": "crafted-srcaddr.txt",
    "h": None,
    "sd-header": "crafted-sd-header.txt",
    "combined-flags": "crafted-srcaddr.txt",
    "args-stop": "crafted-dport.txt",
    "empty-input": None,
    "err-unknown-option": "crafted-srcaddr.txt",
    "err-missing-arg": "crafted-srcaddr.txt",
    "err-format": "crafted-srcaddr.txt",
    "err-sort-nosign": "crafted-srcaddr.txt",
    "err-sort-float": "crafted-srcaddr-ps.txt",
    "err-max-lines": "crafted-srcaddr.txt",
    "err-percent-zero": "masscan-udp-proto-plain.txt",
    "err-two-outputs": "crafted-two-outputs.txt",
    "err-n-address": "crafted-srcaddr.txt",
    "err-n-doc-example": "nmap-all-proto-plain.txt",
}


def load_cases():
    cases = {}
    for line in (CORPUS / "cases.tsv").read_text().splitlines():
        if line.startswith("rptfmt-"):
            cid, cmd, out, status = line.split("\t")[:4]
            cases[cid[len("rptfmt-"):]] = (cmd, CORPUS / out, int(status))
    return cases


CASES = load_cases()


def rptfmt_args(cmd):
    """flow-rptfmt's arguments in a case: the RPTOPT of the default
    stat.cfg (`-f ascii` when not set), else the words after flow-rptfmt."""
    if "stat-default.cfg" in cmd:
        m = re.search(r"RPTOPT=('[^']*'|\S+)", cmd)
        return shlex.split(shlex.split(m.group(1))[0]) if m else ["-f", "ascii"]
    tail = cmd.split("flow-rptfmt", 1)[1]
    return shlex.split(re.split(r"[|;<]", tail)[0])


class EndlessComments(io.RawIOBase):
    """A report followed by `# more` lines forever (`yes '# more'`)."""

    def __init__(self, head):
        self.head = head

    def readable(self):
        return True

    def readinto(self, b):
        data, self.head = (self.head, b"") if self.head else (b"# more\n" * 4096, b"")
        n = min(len(b), len(data))
        b[:n] = data[:n]
        return n


def run(args, stdin=b"", capsys=None, monkeypatch=None):
    """main(args) in-process: (status, stdout bytes, stderr text)."""
    raw = stdin if isinstance(stdin, io.RawIOBase) else io.BytesIO(stdin)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(raw)))
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out))
    status = cli.run(flow_rptfmt.main, list(args))
    sys.stdout.flush()
    err = capsys.readouterr().err
    return status, out.getvalue(), err


def check_stderr(err, status):
    assert "Traceback" not in err
    lines = [ln for ln in err.split("\n") if ln]
    if status == 1:
        assert len(lines) == 1 and lines[0].startswith("flow-rptfmt: "), err
    else:
        assert not lines, err


@pytest.mark.parametrize("cid", sorted(FIXTURE))
def test_conformance_case(cid, capsys, monkeypatch):
    cmd, expected_file, want_status = CASES[cid]
    expected = expected_file.read_bytes()
    data = (DATA / FIXTURE[cid]).read_bytes() if FIXTURE[cid] else b""
    args = rptfmt_args(cmd)
    if cid == "m-zero-neg":
        got = b""
        for m in ("0", "-1"):
            got += b"== -m %s\n" % m.encode()
            status, out, err = run(["-H", "-m", m], data, capsys, monkeypatch)
            got += out
    elif cid == "a-fires":
        status, got, err = run(args, EndlessComments(data), capsys, monkeypatch)
    else:
        status, got, err = run(args, data, capsys, monkeypatch)
    if "/^# now:/d" in cmd:
        got = b"".join(ln for ln in got.splitlines(True) if not ln.startswith(b"# now:"))
    assert got == expected
    if "stat-default.cfg" in cmd:
        # flow-report runs it from `path |flow-rptfmt`: exits 0 whatever the formatter's
        # status (1 on the error cases, that print nothing)
        want_status = 1 if "-err-" in "-" + cid else 0
    assert status == want_status
    check_stderr(err, status)


def test_every_case_has_a_fixture_entry():
    assert set(CASES) == set(FIXTURE) and len(CASES) == 48


# ---------------------------------------------------------------- the rules
def fmt(text, args=(), monkeypatch=None, capsys=None):
    return run(list(args), text if isinstance(text, bytes) else text.encode(),
               capsys, monkeypatch)


@pytest.fixture
def go(capsys, monkeypatch):
    return lambda text, *args: fmt(text, args, monkeypatch, capsys)


REPORT = "# recn: a*,bb,c\n1,22,333\n4444,5,66\n"


def test_ascii_layout(go):
    status, out, _ = go(REPORT, "-H")
    assert out == b"1    22 333\n4444 5  66 \n\n"
    assert status == 0


def test_header_echoes_argv_python2_repr(go):
    _, out, _ = go("# hello \n" + REPORT, "-m", "0", "-s", "x'y")
    # (the sort field does not exist, so the run fails; echo rule checked below)
    assert out == b""
    assert rptfmt.argv_repr(["flow-rptfmt", "it's", 'a"b', "\t\xe9"]) == \
        b"""['flow-rptfmt', "it's", 'a"b', '\\t\\xc3\\xa9']"""


def test_header_lines_then_names(go):
    _, out, _ = go("  # hello  \n\n" + REPORT)
    assert out.split(b"\n")[:4] == [b"# hello", b"", b"#  ['flow-rptfmt']", b"a    bb c  "]


def test_html_layout(go):
    _, out, _ = go(REPORT, "-f", "html")
    assert out == (b"<pre>\n</pre>\n<table border cellspacing=0 cellpadding=5>\n<tr>\n"
                   b" <th> a </th>\n <th> bb </th>\n <th> c </th>\n</tr>\n"
                   b"<tr>\n  <td> 1 </td>\n  <td> 22 </td>\n  <td> 333 </td>\n</tr>\n"
                   b"<tr>\n  <td> 4444 </td>\n  <td> 5 </td>\n  <td> 66 </td>\n</tr>\n"
                   b"</table>\n")


def test_soft_space_after_tab_ending_cell(go):
    """A cell ending in a tab (widest of its column, so unpadded) is not
    followed by print's blank; the fast path must not be taken."""
    _, out, _ = go("# recn: a,b\nx\t,1\ny,2\n", "-H")
    assert out == b"x\t1\ny  2\n\n"
    _, out, _ = go("# recn: a,b\nx\t,1\n", "-H", "-f", "html")
    assert b"  <td> x\t</td>\n" in out


def test_sort_stable_both_ways(go):
    text = "# recn: k*,n\na,2\nb,1\nc,2\nd,1\n"
    assert go(text, "-H", "-s", "+n")[1] == b"b 1\nd 1\na 2\nc 2\n\n"
    assert go(text, "-H", "-s", "-n")[1] == b"a 2\nc 2\nb 1\nd 1\n\n"
    assert go(text, "-H", "-s", "xn")[1] == b"a 2\nb 1\nc 2\nd 1\n\n"   # no sign: no sort


def test_sort_python2_numbers(go):
    text = "# recn: k*,n\na, 12\nb,-3\nc,+4\nd,5L\ne,- 1\n"
    assert go(text, "-H", "-s", "+n")[1].split() == [b"b", b"-3", b"e", b"-", b"1", b"c", b"+4",
                                                     b"d", b"5L", b"a", b"12"]
    status, out, err = go("# recn: k*,n\na,1_0\nb,2\n", "-H", "-s", "+n")
    assert (status, out) == (1, b"") and "1_0" in err


def test_sort_needs_two_rows_to_convert(go):
    assert go("# recn: k*,n\na,x\n", "-H", "-s", "+n")[0] == 0
    assert go("# recn: k*,n\na,x\nb,1\n", "-H", "-s", "+n")[0] == 1


def test_sort_float_and_string_columns(go):
    text = "# recn: ip-exporter-address*,pps\n10.0.0.9,1.5\n10.0.0.10,0.25\n"
    assert go(text, "-H", "-s", "+pps")[1].split()[0] == b"10.0.0.10"
    assert go(text, "-H", "-s", "+ip-exporter-address")[1].split()[0] == b"10.0.0.10"
    assert go(text, "-H", "-s", "-ip-exporter-address")[1].split()[0] == b"10.0.0.9"


def test_percent(go):
    text = "# recn: k*,n,m\na,1,3\nb,3,1\n"
    _, out, _ = go(text, "-H", "-p")
    assert out == b"a 25.000000 75.000000\nb 75.000000 25.000000\n\n"
    assert go("# recn: k*,n\n", "-H", "-p")[0] == 0         # no rows, no division
    assert go("# recn: k*,n\na,0\n", "-H", "-p")[:2] == (1, b"")


def test_percent_counts_hidden_columns(go):
    assert go("# recn: k*,n,f\na,1,0.5\n", "-H", "-p", "-F", "k,n")[:2] == (1, b"")


def test_max_lines_stops_reading(go):
    """Without -s and -p the input is read up to the N-th row only: a bad
    row after it does not matter, and widths come from the rows read."""
    text = "# recn: k*,n\na,1\nbbbbbb,2\nbad\n"
    assert go(text, "-H", "-m", "1")[1] == b"a 1 \n"
    assert go(text, "-H", "-m", "1", "-s", "+n")[0] == 1


def test_two_sections_of_another_width(go):
    text = "# recn: k*,a,b\nx,1,2\n# recn: k*,a\ny,3\n"
    status, out, err = go(text)
    assert (status, out) == (1, b"")
    assert "row 2" in err


def test_wider_rows_are_cut(go):
    assert go("# recn: k,n\na,1,extra\n", "-H")[1] == b"a 1\n\n"


def test_rec_lines_and_records_line(go):
    text = ("# records:              9\n# records_shown:      3\n# rec1: x,y\n1,2\n"
            "# recn: k*,n\n")
    # `# records_shown:` is a `# rec` line: its text from the 9th character is a column
    _, out, _ = go(text + "a,1,2\n")
    assert out.split(b"\n")[:4] == [b"# records:              9", b"#  ['flow-rptfmt']",
                                    b"s_shown:      3 k n", b"a               1 2"]
    assert go(text + "a,1\n")[:2] == (1, b"")


def test_rec1_without_enough_values(go):
    assert go("# rec1: a,b,c\n1,2\n# recn: k\n")[:2] == (1, b"")


def test_summary_detail_missing_values_keep_partial_output(go):
    status, out, err = go("# h\n# rec2: time_real\n5\n", "-f", "html")
    assert status == 1 and out.startswith(b"<pre>\n# h\n</pre>\n") and "lacks" in err


def test_display_fields(go):
    text = "# recn: a*,b,c\n1,2,3\n"
    assert go(text, "-H", "-F", "c,a")[1] == b"1 3\n\n"
    assert go(text, "-H", "-F", "b,all")[1] == b"1 2 3\n\n"
    assert go(text, "-H", "-F", "B")[1] == b"\n\n"


def test_names_from_symbol_files(tmp_path):
    (tmp_path / "ip-prot.sym").write_bytes(b"6 tcp\n17 udp\n")
    rpt = rptfmt.Report()
    rpt.load(io.BytesIO(b"# recn: ip-protocol*,flows\n6,1\n17,2\n1,3\n"))
    rpt.pick(b"all")
    rpt.map_symbols(str(tmp_path))
    assert rpt.cols[0] == [b"tcp", b"udp", b"1"] and rpt.widths[0] == len("ip-protocol")
    (tmp_path / "ip-prot.sym").write_bytes(b"6 tcp\n\n17 udp\n")
    with pytest.raises(rptfmt.RptfmtError, match=r"ip-prot.sym:2:"):
        rpt.map_symbols(str(tmp_path))


def test_names_need_a_symbol_file(go):
    assert go("# recn: ip-protocol*,flows\n", "-n")[:2] == (1, b"")   # (no such folder)
    assert go("# recn: input-interface*,flows\n", "-n")[:2] == (1, b"")
    assert go("# recn: input-interface*,flows\n1,2\n", "-n", "-H", "-F", "flows")[:2] == \
        (0, b"2    \n\n")


@pytest.mark.parametrize("args,status,message", [
    (["-x"], 1, "option -x not recognized"),
    (["--help"], 1, "option --help not recognized"),
    (["-s"], 1, "option -s requires argument"),
    (["-m", "0x10"], 1, "-m"),
    (["-a", "ten"], 1, "-a"),
    (["-f", "HTML"], 1, "format"),
    (["-a", "ten", "-h"], 1, "-a"),
])
def test_option_errors(go, args, status, message):
    got_status, out, err = go(REPORT, *args)
    assert (got_status, out) == (status, b"")
    check_stderr(err, status)
    assert message in err


def test_help_where_it_stands(go):
    usage = (CORPUS / "expected" / "rptfmt-h.out").read_bytes()
    assert go("", "-m", "ten", "-h")[:2] == (0, usage)
    assert go("", "-Hh")[:2] == (0, usage)


def test_getopt_stops_at_first_operand(go):
    _, out, _ = go(REPORT, "-m", "0", "x", "-H")
    assert out.startswith(b"#  ['flow-rptfmt', '-m', '0', 'x', '-H']\n")


def test_py2_int():
    for text, want in ((" 5 ", 5), ("-1", -1), ("+7", 7), ("- 3", -3), ("007", 7)):
        assert rptfmt.py2_int(text, "-m") == want
    for text in ("ten", "0x10", "1_0", "", "5L", "1.0"):
        with pytest.raises(rptfmt.UsageError):
            rptfmt.py2_int(text, "-m")


def test_input_split_across_blocks():
    """Lines, `# rec1:` value lines and rows cut by the read size."""
    text = (b"# h1\n# rec1: a,b\n1,2\n# recn: k*,n\n" + b"".join(b"%d,%d\n" % (i, i * 7)
                                                              for i in range(500)))
    whole = rptfmt.Report()
    whole.load(io.BytesIO(text))

    class Dribble(io.RawIOBase):
        def __init__(self, data, step):
            self.data, self.step = data, step

        def readable(self):
            return True

        def readinto(self, b):
            n = min(len(b), self.step, len(self.data))
            b[:n], self.data = self.data[:n], self.data[n:]
            return n

    for step in (1, 3, 64):
        rpt = rptfmt.Report()
        rpt.load(io.BufferedReader(Dribble(text, step), 7))
        assert (rpt.header, rpt.values, rpt.cols, rpt.widths) == \
            (whole.header, whole.values, whole.cols, whole.widths)


def test_many_rows_sorted():
    """The bulk path on many rows (speed is measured in bench/bench_rptfmt.py)."""
    n = 20000
    body = b"".join(b"10.0.%d.%d,%d,%d\n" % (i >> 8 & 255, i & 255, i % 7, i * 3)
                    for i in range(n))
    data = b"# recn: ip-source-address*,flows,octets\n" + body
    text = b"".join(rptfmt.format_report(io.BytesIO(data), ["flow-rptfmt"], sort=b"-octets",
                                         max_lines="3"))
    assert text == (b"#  ['flow-rptfmt']\nip-source-address flows octets\n"
                    b"10.0.78.31        0     59997 \n10.0.78.30        6     59994 \n"
                    b"10.0.78.29        5     59991  \n")


# ---------------------------------------------------------------- the default stat.cfg
def effective_lines(path):
    """A stat.cfg's lines without comments, blank lines and indentation."""
    return [" ".join(ln.split()) for ln in Path(path).read_text().splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def test_default_stat_cfg_is_the_reference_one():
    from pyflowtools.util import paths
    ours = effective_lines(paths.shipped("stat.cfg"))
    assert ours == effective_lines(CORPUS / "cfg" / "stat-default.cfg")
    assert "path |flow-rptfmt @{RPTOPT:--f ascii}" in ours
    assert "type @{TYPE:-summary-detail}" in ours


def test_default_stat_cfg_site_file_wins(tmp_path, monkeypatch):
    from pyflowtools.util import paths
    monkeypatch.setattr(paths, "SYSCONFDIRS", ())
    monkeypatch.delenv(paths.ENV, raising=False)
    assert paths.site_file(paths.CFG, "stat.cfg") == paths.shipped("stat.cfg")
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "stat.cfg").write_text("stat-report x\n")
    monkeypatch.setenv(paths.ENV, str(tmp_path))
    assert paths.site_file(paths.CFG, "stat.cfg") == str(tmp_path / "cfg" / "stat.cfg")


# ---------------------------------------------------------------- properties
_cell = st.text("abc.0123456789", max_size=6).map(str.encode)


@st.composite
def tables(draw):
    nf = draw(st.integers(1, 4))
    names = [b"c%d" % i for i in range(nf)]
    keys = draw(st.lists(st.booleans(), min_size=nf, max_size=nf))
    nrows = draw(st.integers(0, 12))
    num = draw(st.integers(0, nf - 1))          # a column of integers to sort on
    rows = []
    for _ in range(nrows):
        row = [draw(_cell) for _ in range(nf)]
        row[num] = b"%d" % draw(st.integers(-50, 50))
        rows.append(row)
    text = b"# recn: " + b",".join(n + (b"*" if k else b"") for n, k in zip(names, keys)) \
        + b"\n" + b"".join(b",".join(r) + b"\n" for r in rows)
    return names, rows, num, text


def oracle(names, rows, shown, m, sort_col, desc, html):
    """The documented layout, written the plain way."""
    if m > 0 and sort_col is None:
        rows = rows[:m]                     # reading stops after m rows
    if sort_col is not None:
        rows = sorted(rows, key=lambda r: int(r[sort_col]), reverse=desc)
    widths = [max([len(names[i])] + [len(r[i]) for r in rows]) for i in range(len(names))]
    stop = 0 < m <= len(rows)
    shown_rows = rows[:m] if stop else rows
    if html:
        out = b"<table border cellspacing=0 cellpadding=5>\n<tr>\n" + b"".join(
            b" <th> %s </th>\n" % names[i] for i in shown) + b"</tr>\n"
        for n, r in enumerate(shown_rows):
            out += b"<tr>\n" + b"".join(b"  <td> %s </td>\n" % r[i] for i in shown)
            if not (stop and n == len(shown_rows) - 1):
                out += b"</tr>\n"
        return out + b"</table>\n"
    lines = [b" ".join(r[i].ljust(widths[i]) for i in shown) for r in shown_rows]
    if stop:
        return b"\n".join(lines) + (b" \n" if shown else b"\n")
    return b"".join(ln + b"\n" for ln in lines) + b"\n"


class SlowPath(rptfmt.Report):
    def load(self, stream, limit=None):
        rptfmt.Report.load(self, stream, limit)
        self.odd_ws = True


@given(tables(), st.integers(-2, 14), st.sampled_from([None, b"+", b"-"]),
       st.sets(st.integers(0, 3)), st.booleans(), st.booleans())
def test_tables_against_oracle(table, m, sign, pick, html, slow):
    names, rows, num, text = table
    shown = [i for i in range(len(names)) if i in pick] if pick else list(range(len(names)))
    fields = b",".join(names[i] for i in shown) if pick else b"all"
    sort = b"" if sign is None else sign + names[num]
    got = b"".join(rptfmt.format_report(
        io.BytesIO(text), ["flow-rptfmt"], "html" if html else "ascii", fields, False, str(m),
        sort, report=SlowPath() if slow else None))
    want = oracle(names, rows, shown, m, None if sign is None else num, sign == b"-", html)
    assert got == want
