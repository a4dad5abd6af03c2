"""Tests of the test harness itself (tests/harness.py, the run_cmd fixture and the
cases.tsv loader), so that a broken harness cannot make the conformance suite pass."""
import os
import stat
import sys
import time

import harness
from test_conformance import CASES, load_cases


def test_command_words():
    cmd = 'flow-cat -p inputs/set | flow-print -f 5; flow-cat x && echo "flow-stat"'
    assert harness.command_words(cmd) == ["flow-cat", "flow-print", "flow-stat"]
    assert harness.command_words("for f in 1 2; do echo $f; done") == []


def test_missing_commands(tmp_path):
    exe = tmp_path / "flow-cat"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    (tmp_path / "flow-print").write_text("not executable\n")
    (tmp_path / "flow-stat").mkdir()
    assert harness.is_implemented("flow-cat", tmp_path)
    assert harness.missing_commands(
        "flow-cat a | flow-print | flow-stat | flow-cat", tmp_path) == [
            "flow-print", "flow-stat"]


def test_commands_dir_override(monkeypatch, tmp_path):
    monkeypatch.setenv("PYFLOWTOOLS_BIN", str(tmp_path))
    assert harness.commands_dir() == tmp_path
    monkeypatch.delenv("PYFLOWTOOLS_BIN")
    assert harness.commands_dir() == harness.Path(os.path.dirname(sys.executable))


def test_run_cmd_environment(run_cmd, flow_bin, monkeypatch):
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    monkeypatch.setenv("LANGUAGE", "de")
    status, out, err = run_cmd(
        'echo "$TZ|$LC_ALL|${LANG-unset}|${LANGUAGE-unset}"; test -d "$T" && ls -A "$T"')
    assert (status, out, err) == (0, b"UTC|C|unset|unset\n", b"")
    path = run_cmd("echo $PATH").stdout.decode()
    assert path.split(os.pathsep)[0] == str(flow_bin)
    assert run_cmd("echo $X", env={"X": "1"}).stdout == b"1\n"
    assert run_cmd("echo ${TZ-unset}", env={"TZ": None}).stdout == b"unset\n"


def test_run_cmd_stdin_status_argv(run_cmd, tmp_path):
    assert run_cmd("cat").stdout == b""                      # /dev/null
    assert run_cmd(["cat"], stdin=b"\x00\xffdata") == (0, b"\x00\xffdata", b"")
    assert run_cmd("echo oops >&2; exit 3") == (3, b"", b"oops\n")
    assert run_cmd("pwd").stdout.decode().strip() == str(tmp_path)
    assert run_cmd("kill -TERM $$").status == 128 + 15
    # no pipefail: the status of a pipeline is its last command's
    assert run_cmd("false | true").status == 0
    # SIGPIPE has its default action in the commands (yes | head ends)
    assert run_cmd("yes | head -n 2").stdout == b"y\ny\n"


def test_run_cmd_timeout_kills_the_group(run_cmd):
    start = time.monotonic()
    res = run_cmd("sleep 30 | sleep 30", timeout=0.3)
    assert res.status == 124 and res.timed_out
    assert time.monotonic() - start < 10


def test_describe_difference():
    text = harness.describe_difference(b"a\nb\nc\n", b"a\nB\nc\n")
    assert "-b" in text and "+B" in text
    binary = harness.describe_difference(b"\x00\x01\x02", b"\x00\x01\x03\x04")
    assert "at byte 2" in binary and "expected 02, got 03" in binary
    short = harness.describe_difference(b"\x00\x01", b"\x00")
    assert "at byte 1" in short and "got EOF" in short


def test_load_cases(tmp_path):
    f = tmp_path / "cases.tsv"
    f.write_bytes(b"# comment\tlike\ta\tcase\n\n"
                  b"id-1\tflow-cat a | flow-print\texpected/id-1.out\t0\r\n"
                  b"id.2\techo x\t\texpected/id.2.out\t255\n")
    assert load_cases(f) == [("id-1", "flow-cat a | flow-print", "expected/id-1.out", 0),
                             ("id.2", "echo x", "expected/id.2.out", 255)]
    assert len(CASES) == 1459           # the whole shared corpus
    assert all((harness.CORPUS_DIR / exp).is_file() for _, _, exp, _ in CASES)


def test_corpus_copy_is_complete():
    inputs = harness.CORPUS_DIR / "inputs"
    assert (inputs / "set" / "sub").is_dir()
    assert (inputs / "set" / "tmp-v05.unfinished").is_file()
    assert (inputs / "set" / "notes.txt").is_file()
    assert (inputs / "zero-bytes.ft").stat().st_size == 0
    assert (harness.CORPUS_DIR / "run").stat().st_mode & stat.S_IXUSR
    assert {p.name for p in (harness.SAMPLES_DIR / "enterprise").iterdir()} >= {
        "ft-v05.2004-08-16.090000+0000", "labels.json", "truth.md", "zones.txt"}


def test_ahead_runs_work_in_the_background_once():
    import threading
    calls = []
    gate = threading.Event()

    def work(x):
        gate.wait(10)
        calls.append((x, threading.current_thread().name))
        if x == "bad":
            raise ValueError(x)
        return x * 2

    pool = harness.Ahead(2)
    try:
        pool.submit("a", work, "a")
        pool.submit("bad", work, "bad")
        gate.set()
        assert pool.result("a", work, "never") == "aa"
        try:
            pool.result("bad", work, "never")
            raise AssertionError("the worker's exception was lost")
        except ValueError as e:
            assert str(e) == "bad"
        # collected once: asking again (or for a key never submitted) runs it here
        assert pool.result("a", work, "b") == "bb"
        assert pool.result("zzz", work, "c") == "cc"
    finally:
        pool.close()
    assert [c[0] for c in calls if c[1].startswith("ahead")] in (["a", "bad"], ["bad", "a"])
    assert [c for c in calls if not c[1].startswith("ahead")] == [
        ("b", threading.current_thread().name), ("c", threading.current_thread().name)]


def test_ahead_runs_what_has_not_started_in_the_foreground():
    import threading
    gate = threading.Event()
    pool = harness.Ahead(1)
    try:
        pool.submit("busy", gate.wait, 10)
        pool.submit("queued", lambda: "background")
        assert pool.result("queued", lambda: "foreground") == "foreground"
        gate.set()
        assert pool.result("busy", lambda: "foreground") is True
    finally:
        gate.set()
        pool.close()


def test_ahead_with_no_jobs_runs_inline():
    pool = harness.Ahead(0)
    pool.submit("k", lambda: 1 / 0)            # not started
    assert pool.result("k", lambda: 5) == 5
    pool.close()


def test_run_case_is_the_corpus_runner(tmp_path):
    res = harness.run_case('pwd; echo "$T|$TZ|$LC_ALL"; ls -A "$T"; exit 3', tmp_path)
    assert res.status == 3
    assert res.stdout.decode().splitlines() == [
        str(harness.CORPUS_DIR), "%s|UTC|C" % tmp_path]
    niced = harness.run_case("nice; exit 4", tmp_path, nice=10)
    assert niced.status == 4
    assert int(niced.stdout) == min(int(harness.run_case("nice", tmp_path).stdout) + 10, 19)


def test_collector_log_read_while_written_loses_no_line():
    """collector.Proc.log() reads the stderr file the command writes through
    the same open file description: reading it must not move the shared
    offset (a seek(0) there made the command's next line land over the
    first: 600-2300 of 20,000 lines lost, and flow-capture's third SIGHUP
    line "missing" in two tests)."""
    import subprocess
    import tempfile
    import collector
    p = collector.Proc.__new__(collector.Proc)
    p.errf = tempfile.TemporaryFile()
    code = ("import sys\nfor i in range(20000):\n"
            "    sys.stderr.write('line %06d\\n' % i)\n    sys.stderr.flush()\n")
    p.p = subprocess.Popen([sys.executable, "-c", code], stderr=p.errf)
    reads = 0
    while p.p.poll() is None:
        p.log()
        reads += 1
    lines = p.log().split("\n")
    p.errf.close()
    assert reads > 0
    assert lines == ["line %06d" % i for i in range(20000)] + [""]
