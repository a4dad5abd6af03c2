"""pyflowtools/cli.py: the getopt(3)-style option parser every command uses, the
common option letters, the C-style number readers and cli.run's exception -> exit
status mapping.  In process; the real pipes are in tests/cmd/."""
import errno
import importlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pyflowtools import cli
from pyflowtools.core.errors import FlowToolsError

USAGE = "Usage: flow-x [-ab] [-f format] [file ...]"


@pytest.fixture(autouse=True)
def _keep_prog(monkeypatch):
    """cli.parser() names the program for warn(); give it back after each test."""
    monkeypatch.setattr(cli, "_prog", cli._prog)


def make(help_status=0, unknown_status=1, common="", usage_on_error=True):
    p = cli.parser("flow-x", USAGE, help_status=help_status, unknown_status=unknown_status,
                   common=common, usage_on_error=usage_on_error)
    p.add_argument("-a", dest="all", action="store_true")
    p.add_argument("-b", dest="brief", action="store_true")
    p.add_argument("-f", dest="format")
    p.add_argument("-n", dest="count", type=cli.atoi, default=7)
    p.add_argument("-v", dest="verbose", action="count")
    p.add_argument("-x", dest="extra", action="append")
    return p


def parse(argv, **kw):
    return cli.parse(make(**kw), argv)


def status_of(argv, **kw):
    """The exit status cli.run gives for a command that only parses argv."""
    p = make(**kw)
    return cli.run(lambda a: cli.parse(p, a) and 0, argv)


# -- values ---------------------------------------------------------------

def test_defaults():
    o = parse([])
    assert (o.all, o.brief, o.format, o.count, o.verbose, o.extra, o.operands) == \
        (False, False, None, 7, 0, [], [])
    assert o.help is False


@pytest.mark.parametrize("argv", [["-f5"], ["-f", "5"]])
def test_attached_and_separate_values(argv):
    assert parse(argv).format == "5"


@pytest.mark.parametrize("argv,value", [
    (["-f", "-5"], "-5"), (["-f", "-a"], "-a"), (["-f-a"], "-a"), (["-f", "--"], "--"),
    (["-f", "-"], "-"), (["-f", ""], ""), (["-n", "-3"], -3),
])
def test_a_value_may_start_with_a_dash(argv, value):
    o = parse(argv)
    got = o.count if argv[0] == "-n" else o.format
    assert got == value
    assert o.all is False and o.operands == []


def test_combined_flags():
    o = parse(["-ab"])
    assert o.all and o.brief and o.format is None
    o = parse(["-baf5", "-vvv"])
    assert o.all and o.brief and o.format == "5" and o.verbose == 3
    o = parse(["-abf", "x y"])                # the value of the last letter is the next word
    assert o.format == "x y" and o.operands == []
    o = parse(["-afb"])                       # after a value letter the rest is its value
    assert o.format == "b" and o.brief is False


def test_options_after_operands_are_options():
    o = parse(["in1", "-a", "in2", "-f", "3", "in3", "-b"])
    assert o.operands == ["in1", "in2", "in3"]
    assert o.all and o.brief and o.format == "3"


def test_double_dash_ends_options():
    o = parse(["-a", "--", "-b", "-f", "x", "--"])
    assert o.all and not o.brief and o.format is None
    assert o.operands == ["-b", "-f", "x", "--"]


def test_a_lone_dash_is_an_operand():
    assert parse(["-", "-a", "-"]).operands == ["-", "-"]


def test_last_value_wins_and_append_keeps_all():
    o = parse(["-f", "1", "-f2", "-x", "a", "-xb"])
    assert o.format == "2" and o.extra == ["a", "b"]


def test_append_default_is_not_shared_between_parses():
    p = make()
    cli.parse(p, ["-x", "a"])
    assert cli.parse(p, []).extra == []


# -- help and errors ------------------------------------------------------------

@pytest.mark.parametrize("flag", ["-h", "-?"])
@pytest.mark.parametrize("help_status", [0, 1])
def test_help_prints_usage_with_the_commands_status(flag, help_status, capsys):
    assert status_of([flag], help_status=help_status, unknown_status=3) == help_status
    out, err = capsys.readouterr()
    assert out == "" and err == USAGE + "\n"


def test_help_exits_where_it_stands(capsys):
    # getopt loops exit at -h: what follows (even a bad option) is never read
    assert status_of(["-h", "-Q"], help_status=0, unknown_status=1) == 0
    assert status_of(["-h", "-f"], help_status=0, unknown_status=1) == 0
    assert capsys.readouterr().err == (USAGE + "\n") * 2
    # and what comes before it is
    assert status_of(["-Q", "-h"], help_status=0, unknown_status=1) == 1


def test_help_in_a_cluster():
    assert status_of(["-ah"], help_status=1, unknown_status=0) == 1


@pytest.mark.parametrize("unknown_status", [0, 1])
def test_unknown_option(unknown_status, capsys):
    assert status_of(["-a", "-Q", "x"], unknown_status=unknown_status) == unknown_status
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "flow-x: invalid option -- 'Q'\n" + USAGE + "\n"


def test_unknown_letter_in_a_cluster(capsys):
    assert status_of(["-aZb"], unknown_status=1) == 1
    assert capsys.readouterr().err.startswith("flow-x: invalid option -- 'Z'\n")


def test_missing_value(capsys):
    assert status_of(["-a", "-f"], unknown_status=1) == 1
    assert capsys.readouterr().err == \
        "flow-x: option requires an argument -- 'f'\n" + USAGE + "\n"


def test_one_line_errors_without_usage(capsys):
    assert status_of(["-Q"], unknown_status=1, usage_on_error=False) == 1
    assert capsys.readouterr().err == "flow-x: invalid option -- 'Q'\n"
    assert status_of(["-f"], unknown_status=1, usage_on_error=False) == 1
    assert capsys.readouterr().err == "flow-x: option requires an argument -- 'f'\n"


def test_a_value_the_type_refuses_exits_1(capsys):
    p = make(unknown_status=0)
    p.add_argument("-p", dest="port", type=int)
    assert cli.run(lambda a: cli.parse(p, a) and 0, ["-p", "http"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("flow-x: ")

    def bad(text):
        raise FlowToolsError("bad port %s" % text)
    p.add_argument("-q", dest="q", type=bad)
    assert cli.run(lambda a: cli.parse(p, a) and 0, ["-q", "9"]) == 1
    assert capsys.readouterr().err == "flow-x: bad port 9\n"


def test_error_exits_1_not_2(capsys):
    # argparse's error() exits 2; the reference commands exit 1
    p = make(help_status=0, unknown_status=0)

    def main(argv):
        cli.parse(p, argv)
        p.error("Must define at least source and one destination.")
    assert cli.run(main, []) == 1
    assert capsys.readouterr() == ("", "flow-x: Must define at least source and one destination.\n")


def test_remove_argument(capsys):
    p = make(unknown_status=0)
    p.remove_argument("-h", "-?")
    assert cli.run(lambda a: cli.parse(p, a) and 0, ["-h"]) == 0
    assert capsys.readouterr().err.startswith("flow-x: invalid option -- 'h'\n")
    assert cli.run(lambda a: cli.parse(p, a) and 5, ["-a"]) == 5


def test_reject_operands():
    cli.reject_operands([])
    with pytest.raises(FlowToolsError, match="Extra arguments starting with x."):
        cli.reject_operands(["x", "y"])


# -- the common letters ----------------------------------------------------------

def common(argv, letters):
    return cli.parse(cli.parser("flow-x", USAGE, common=letters), argv)


def test_common_letters():
    o = common([], "bCdz")
    assert (o.byte_order, o.comment, o.debug, o.zlevel) == (None, None, 0, None)
    o = common(["-b", "big", "-Chello world", "-d5", "-z", "9"], "bCdz")
    assert (o.byte_order, o.comment, o.debug, o.zlevel) == ("big", "hello world", 5, 9)
    assert cli.zlevel(o) == 9
    assert cli.byte_order(o) is not None


def test_common_letters_only_when_asked():
    assert status_of(["-z", "1"], common="bCd", unknown_status=1) == 1
    assert status_of(["-C", "c"], common="z", unknown_status=1) == 1
    assert status_of(["-d", "2"], common="d", unknown_status=1) == 0
    assert common(["-d", "x"], "d").debug == 0        # atoi: garbage is 0


def test_zlevel_and_byte_order_validation():
    assert cli.zlevel(common([], "z")) == 0
    assert cli.zlevel(common(["-z0"], "z")) == 0
    for bad in ("10", "-1"):
        with pytest.raises(FlowToolsError, match="between 0 and 9"):
            cli.zlevel(common(["-z", bad], "z"))
    assert cli.byte_order(common([], "b")) is None
    little = cli.byte_order(common(["-b", "little"], "b"))
    big = cli.byte_order(common(["-b", "BIG"], "b"))
    assert None is not little != big is not None
    with pytest.raises(FlowToolsError):
        cli.byte_order(common(["-b", "middle"], "b"))


@pytest.mark.parametrize("text,value", [
    ("12", 12), ("  12abc", 12), ("-3", -3), ("+7", 7), ("abc", 0), ("", 0), ("-", 0),
    ("\t\n 42", 42), ("4 2", 4), ("0x10", 0), ("007", 7),
])
def test_atoi_reads_as_c_does(text, value):
    assert cli.atoi(text) == value


@pytest.mark.parametrize("text,value", [
    ("12", 12), ("0x1f", 31), ("0X1F", 31), ("017", 15), ("0", 0), ("08", 0),
    ("12z", 12), ("-5", -5), (" 9 ", 9), ("", 0), ("zz", 0), ("0x", 0),
])
def test_strtoul_reads_as_c_does(text, value):
    assert cli.strtoul(text) == value


# -- every command's -h and unknown-option statuses -----------------------------------

# (help status, unknown-option status) of each command, as the flow-tools 0.68 commands
# exit (flow-filter's option string has no h: -h is an unknown option there)
STATUSES = {
    "flow_capture": (0, 1), "flow_cat": (1, 1), "flow_expire": (0, 0), "flow_fanout": (0, 1),
    "flow_filter": (0, 0), "flow_gen": (0, 1), "flow_header": (0, 0),
    "flow_icmpdecode": (0, 1), "flow_nfilter": (1, 1), "flow_portrank": (0, 1),
    "flow_print": (0, 0), "flow_receive": (0, 0), "flow_send": (0, 0), "flow_synonly": (0, 1),
    "flow_topn": (0, 1), "flow_trw": (0, 1), "flow_hunt": (0, 1), "flow_zonecheck": (0, 1),
    "flow_stat": (0, 0), "flow_report": (0, 0),
    "flow_tag": (1, 1), "flow_mask": (1, 1), "flow_xlate": (1, 1), "flow_split": (1, 1),
    "flow_merge": (1, 1),
    "flow_dscan": (1, 1),
    # ours (the reference's were Python 2 scripts): help exits 0, an unknown option 1
    "flow_log2rrd": (0, 1),
    "flow_rpt2rrd": (0, 1),
    "flow_export": (0, 0), "flow_import": (0, 0),
}
#: the reference's flow-rptfmt was a Python script: help on stdout, getopt's
#: own message for an unknown option (tests/cmd/test_flow_rptfmt.py)
OWN_GETOPT = {"flow_rptfmt": (0, 1)}


def test_every_command_is_listed():
    import pyflowtools.commands as pkg
    names = {f[:-3] for f in os.listdir(os.path.dirname(pkg.__file__))
             if f.startswith("flow_") and f.endswith(".py")}
    assert names == set(STATUSES) | set(OWN_GETOPT)


@pytest.mark.parametrize("name", sorted(STATUSES))
def test_command_help_and_unknown_statuses(name, capsys):
    mod = importlib.import_module("pyflowtools.commands." + name)
    help_status, unknown_status = STATUSES[name]
    prog = name.replace("_", "-")
    for flag in ("-h", "-?"):
        assert cli.run(mod.main, [flag]) == help_status, flag
        out, err = capsys.readouterr()
        assert out == ""
        if name == "flow_filter":
            assert err.startswith("%s: invalid option -- '%s'\n" % (prog, flag[1]))
        else:
            assert err.lower().startswith("usage: " + prog) and err.endswith("\n")
    assert cli.run(mod.main, ["-%"]) == unknown_status
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("%s: invalid option -- '%%'\n" % prog)


# -- cli.run: exceptions -> statuses -------------------------------------------------------

def raiser(exc):
    def main(argv):
        raise exc
    return main


@pytest.fixture
def named(monkeypatch):
    monkeypatch.setattr(cli, "_prog", "flow-x")
    monkeypatch.delenv("PYFLOWTOOLS_TRACEBACK", raising=False)


def test_run_returns_mains_status(named, capsys):
    assert cli.run(lambda a: None, []) == 0
    assert cli.run(lambda a: 0, []) == 0
    assert cli.run(lambda a: 3, []) == 3
    seen = []
    cli.run(seen.append, ["-a", "b"])
    assert seen == [["-a", "b"]]
    assert capsys.readouterr() == ("", "")


def test_run_flowtoolserror_is_one_line_status_1(named, capsys):
    assert cli.run(raiser(FlowToolsError("Compression level must be between 0 and 9")), []) == 1
    assert capsys.readouterr() == ("", "flow-x: Compression level must be between 0 and 9\n")


@pytest.mark.parametrize("exc,line", [
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "/x/y.ft"),
     "flow-x: /x/y.ft: No such file or directory"),
    (PermissionError(errno.EACCES, "Permission denied"), "flow-x: Permission denied"),
    (OSError("socket gone"), "flow-x: socket gone"),
])
def test_run_oserror_is_one_line_status_1(named, capsys, exc, line):
    assert cli.run(raiser(exc), []) == 1
    assert capsys.readouterr() == ("", line + "\n")


def test_run_keyboard_interrupt_is_130(named, capsys):
    assert cli.run(raiser(KeyboardInterrupt()), []) == 130
    assert "Traceback" not in capsys.readouterr().err


def test_run_traceback_on_request(named, monkeypatch, capsys):
    monkeypatch.setenv("PYFLOWTOOLS_TRACEBACK", "1")
    with pytest.raises(FlowToolsError):
        cli.run(raiser(FlowToolsError("boom")), [])
    assert capsys.readouterr().err == "flow-x: boom\n"


def test_run_other_errors_are_not_hidden(named):
    with pytest.raises(ZeroDivisionError):
        cli.run(raiser(ZeroDivisionError()), [])


def test_warn_survives_a_closed_stderr(named, monkeypatch):
    class Closed:
        def write(self, s):
            raise ValueError("I/O operation on closed file")
    monkeypatch.setattr(sys, "stderr", Closed())
    cli.warn("nobody hears this")
    assert cli.run(raiser(FlowToolsError("nor this")), []) == 1


BROKEN_PIPE = r"""
import sys
from pyflowtools import cli
cli._prog = "flow-x"
def raising(argv):
    raise BrokenPipeError(32, "Broken pipe")
def writing(argv):
    sys.stdout.write("x" * 100)        # buffered: the flush in cli.run meets the pipe
def writing_much(argv):
    for _ in range(100):
        sys.stdout.write("x" * 65536)
mode = sys.argv[1]
sys.exit(cli.run({"raising": raising, "writing": writing, "writing_much": writing_much}[mode]))
"""


@pytest.mark.parametrize("mode", ["raising", "writing", "writing_much"])
def test_run_broken_pipe_dies_quietly_of_sigpipe(mode):
    r, w = os.pipe()
    os.close(r)                         # nobody reads: writes fail with EPIPE
    try:
        proc = subprocess.run([sys.executable, "-c", BROKEN_PIPE, mode], stdout=w,
                              stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(w)
    assert proc.returncode == -signal.SIGPIPE
    assert proc.stderr == b""


def test_run_command_import_failure_is_one_line(capsys):
    """A shim whose command cannot be imported (say, a stale C core:
    core/native.py raises ImportError) prints one line, exits 1."""
    assert cli.run_command("flow_no_such_command") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("flow-no-such-command: ")


def test_every_shim_runs_its_command():
    bins = sorted(p for p in (Path(__file__).resolve().parent.parent / "bin").iterdir())
    assert bins
    for b in bins:
        text = b.read_text()
        mod = b.name.replace("-", "_")
        assert 'sys.exit(cli.run_command("%s"))' % mod in text, b
        assert (Path(cli.__file__).parent / "commands" / (mod + ".py")).is_file(), b


# -- odd option values through every command (issue 13) -----------------------------------

from hypothesis import given, strategies as st  # noqa: E402

from pyflowtools.util import numbers  # noqa: E402

#: values that gave tracebacks: huge digit strings (OverflowError, ValueError of
#: int()'s 4300-digit limit), text the header cannot hold (UnicodeEncodeError),
#: empty strings; then anything
ODD_VALUES = st.one_of(
    st.sampled_from(["9" * 20, "9" * 5000, "-" + "9" * 20, "8." + "9" * 5000, "", "\u20ac",
                     "\u00e9", "\udcff", "\u0663", "1.2.3", "-1", "1e999", "nan",
                     "/" + "a/" * 3000]),
    st.text(alphabet="0123456789", min_size=19, max_size=6000),
    st.builds(lambda p, d: p + d, st.sampled_from(["-", "+", " ", "0x", "0", "-0x", "8.", "5.1"]),
              st.text(alphabet="0123456789abcdef", min_size=1, max_size=5000)),
    st.text(st.characters(exclude_characters="\x00"), max_size=40),  # argv holds no NUL
)

#: argv after the drawn option so that no command waits on a socket or the
#: terminal (a daemon ends at its operands' check, after its options')
TAILS = {"flow_receive": ["0/0/x"], "flow_dscan": ["-b"]}
#: commands whose input is text (their stdin is empty here)
TEXT_INPUT = {"flow_log2rrd", "flow_rpt2rrd", "flow_rptfmt", "flow_import"}


class _Disk(__import__("io").BytesIO):
    """stdout of at most 1 MiB, then ENOSPC (flow-gen -n 2000000000 is a
    valid request; here it ends as on a full disk, in one line)."""

    def write(self, data):
        if self.tell() + len(data) > 1 << 20:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)


def _run_in_process(mod, argv, stdin_bytes):
    import io
    saved = sys.stdin, sys.stdout, sys.stderr
    out = io.TextIOWrapper(_Disk(), encoding="utf-8", errors="surrogateescape")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin_bytes), encoding="utf-8")
    sys.stdout, sys.stderr = out, err
    try:
        try:
            status = cli.run(mod.main, argv)
        except BaseException as e:             # what cli.run let through
            import traceback
            status = "escaped %s" % "".join(traceback.format_exception(e))
        err.flush()
        return status, err.buffer.getvalue().decode("utf-8", "replace")
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


@pytest.fixture(scope="module")
def small_flows():
    import oracle
    return oracle.v5_stream([oracle.record("5", srcaddr=i, dPkts=i + 1, dOctets=40,
                                           prot=6) for i in range(5)])


@pytest.mark.parametrize("name", sorted(set(STATUSES) | set(OWN_GETOPT)))
def test_odd_option_values_end_in_one_line_never_a_traceback(name, small_flows, tmp_path,
                                                             monkeypatch):
    mod = importlib.import_module("pyflowtools.commands." + name)
    prog = name.replace("_", "-")
    letters = [a.option_strings[0] for a in mod.build_parser()._actions if a.takes_arg]
    if not letters:
        pytest.skip("no option takes a value")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(paths_env(), str(tmp_path))
    monkeypatch.delenv("PYFLOWTOOLS_TRACEBACK", raising=False)

    @given(st.sampled_from(letters), ODD_VALUES, st.booleans())
    def check(letter, value, attached):
        argv = ([letter + value] if attached and value and not value.startswith("-")
                else [letter, value]) + TAILS.get(name, [])
        status, err = _run_in_process(mod, argv, b"" if name in TEXT_INPUT else small_flows)
        assert isinstance(status, int), (argv[:1], status)
        assert "Traceback" not in err, err
        lines = err.splitlines()
        # (-d N prints the reference's debug lines and profile as they are)
        if lines and not lines[0].startswith("Usage:") and name not in OWN_GETOPT \
                and letter != "-d":
            assert lines[0].startswith(prog + ": "), (argv[0][:40], err[:300])
    check()


def paths_env():
    from pyflowtools.util import paths
    return paths.ENV


@pytest.mark.parametrize("text,value", [
    ("12", 12), ("-12", -12), (" +7x", 7), ("", 0), ("x", 0), ("2147483647", 2147483647),
    ("2147483648", -2147483648), ("4294967295", -1), ("9" * 20, -1), ("-" + "9" * 20, 0),
    ("9" * 5000, -1), ("\u0663", 0),
])
def test_atoi_is_glibc_atoi(text, value):
    assert cli.atoi(text) == value


@pytest.mark.parametrize("text,base,value", [
    ("0x10", 0, 16), ("010", 0, 8), ("10", 10, 10), ("-1", 0, -1), ("9" * 30, 10, numbers.ULONG_MAX),
    ("0x" + "f" * 40, 0, numbers.ULONG_MAX), ("0xg", 0, 0), ("", 0, 0),
])
def test_strtoul_clamps_as_c(text, base, value):
    assert cli.strtoul(text, base) == value


def test_integer_is_range_checked_one_line(capsys):
    p = cli.parser("flow-x", USAGE, common="")
    p.add_argument("-n", dest="n", type=cli.integer(0, 100, "-n"), default=1)
    assert cli.parse(p, ["-n", "100"]).n == 100
    for bad, msg in (("101", "flow-x: -n out of range (0..100): 101\n"),
                     ("9" * 5000, "flow-x: -n out of range (0..100): %s...\n" % ("9" * 40)),
                     ("-1", "flow-x: bad number: -1\n"), ("", "flow-x: bad number: \n"),
                     ("\u0663", "flow-x: bad number: \u0663\n")):
        with pytest.raises(cli._Exit) as e:
            cli.parse(p, ["-n", bad])
        assert e.value.status == 1
        assert capsys.readouterr().err == msg


@pytest.mark.parametrize("comment", ["\u20ac", "x\udcff", "\u4e2d"])
def test_comment_outside_latin1_is_refused_at_start(comment, capsys):
    p = cli.parser("flow-x", USAGE, common="C")
    with pytest.raises(cli._Exit) as e:
        cli.parse(p, ["-C", comment])
    assert e.value.status == 1
    err = capsys.readouterr().err
    assert err.startswith("flow-x: comment is not Latin-1 text") and err.count("\n") == 1
    assert cli.parse(p, ["-C", "caf\u00e9"]).comment == "caf\u00e9"


@pytest.mark.parametrize("cmd", ["flow-capture -D -w $T/wd -C \u20ac 0/0/0",
                                 "flow-receive -C \u20ac 0/0/0",
                                 "flow-cat -C \u20ac", "flow-synonly -C \u4e2d"])
def test_comment_outside_latin1_refused_before_any_file_or_socket(run_cmd, cmd):
    """flow-capture took it and died at the first datagram, leaving an
    empty tmp- file; the others raised UnicodeEncodeError."""
    st_, out, err = run_cmd(cmd, timeout=30)
    assert (st_, out) == (1, b"")
    assert err.decode().startswith(cmd.split()[0] + ": comment is not Latin-1 text")
    assert err.count(b"\n") == 1
