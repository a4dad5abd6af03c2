"""flow-dscan as a command: statuses, messages on stderr with -b (one
`flow-dscan: ` line each), the suppress and state files, -i/-I lists,
refused versions, SIGUSR1 and SIGHUP, and the default mode that forks.
Byte-exact reports are covered by the conformance corpus (dscan-)."""
import os
import signal
import subprocess
import time

import pytest

import oracle

BASE = {n: 0 for n in oracle.fields("5")}


def scan_recs(n=6, src=0x0A000001):
    return [dict(BASE, srcaddr=src, dstaddr=0x0B000000 + i, dstport=22, prot=6,
                 unix_secs=1700000000, sysUpTime=1000, First=1000) for i in range(n)]


@pytest.fixture
def env(tmp_path, require):
    require("flow-dscan")
    for ext in (".src", ".dst"):
        (tmp_path / ("none" + ext)).write_text("# nothing\n")
    return {"dir": tmp_path, "base": str(tmp_path / "none"),
            "data": oracle.write_stream({"d_version": 5}, scan_recs())}


def lines(err):
    text = err.decode()
    assert "Traceback" not in text
    return text.splitlines()


def test_host_scan_on_stderr(run_cmd, env):
    st, out, err = run_cmd(["flow-dscan", "-b", "-L", env["base"], "-D", "5"], stdin=env["data"])
    assert (st, out) == (0, b"")
    assert lines(err) == ["flow-dscan: load_suppress 0", "flow-dscan: load_suppress 1",
                          "flow-dscan: host scan: ip=10.0.0.1 ts=1700000000 "
                          "start=1114.22:13:20.0   "]
    st, out, err = run_cmd(["flow-dscan", "-b", "-L", env["base"], "-D", "6"], stdin=env["data"])
    assert st == 0 and len(lines(err)) == 2


def test_state_file_round_trip(run_cmd, env):
    state = str(env["dir"] / "st")
    st, _, err = run_cmd(["flow-dscan", "-b", "-L", env["base"], "-p", "-s", state, "-S", "3"],
                         stdin=env["data"])
    assert st == 0
    text = open(state).read()
    assert text.startswith("H 2561 6 0 10.0.0.1\nI  1 11.0.0.0\nP 1 22\n") and text.endswith(".\n")
    # reloaded: the same source to a 7th host stays below -D 7, the 8th fires
    more = oracle.write_stream({"d_version": 5}, scan_recs(8)[6:])
    st, _, err = run_cmd(["flow-dscan", "-b", "-L", env["base"], "-l", "-p", "-s", state,
                          "-D", "7"], stdin=more)
    assert st == 0 and "host scan: ip=10.0.0.1" in lines(err)[-1]
    assert open(state).read() == "H 2561 0 1 10.0.0.1\n.\n"


def test_state_file_is_never_written_through_a_symlink(run_cmd, env):
    """A fresh file renamed into place (util/files.py, issue 13): a link
    planted at the state file's name is replaced, its target untouched."""
    victim = env["dir"] / "victim"
    victim.write_bytes(b"precious\n")
    state = env["dir"] / "st"
    os.symlink(victim, state)
    st, _, err = run_cmd(["flow-dscan", "-b", "-L", env["base"], "-p", "-s", str(state),
                          "-S", "3"], stdin=env["data"])
    assert st == 0, err
    assert victim.read_bytes() == b"precious\n"
    assert not state.is_symlink() and state.read_text().startswith("H 2561 6 0 10.0.0.1\n")
    assert not [n for n in os.listdir(env["dir"]) if n.startswith(".st.")]


@pytest.mark.parametrize("args,message", [
    (["-L", "{dir}/nope"], "fopen({dir}/nope.src): failed"),
    (["-l", "-s", "{dir}/nostate"], "fopen({dir}/nostate): failed"),
    (["-i", "70000"], "load_lookup(): failed"),
])
def test_errors_exit_1(run_cmd, env, args, message):
    d = str(env["dir"])
    argv = ["flow-dscan", "-b", "-L", env["base"]] + [a.format(dir=d) for a in args]
    st, out, err = run_cmd(argv, stdin=env["data"])
    assert (st, out) == (1, b"")
    assert lines(err)[-1] == "flow-dscan: " + message.format(dir=d)


def test_suppress_syntax_error_keeps_the_line(run_cmd, env):
    (env["dir"] / "bad.src").write_text("10.0.0.1 6\n")
    (env["dir"] / "bad.dst").write_text("")
    st, _, err = run_cmd(["flow-dscan", "-b", "-L", str(env["dir"] / "bad")], stdin=env["data"])
    assert st == 1
    assert err.decode().endswith("flow-dscan: suppress parser: syntax error: 10.0.0.1 6\n\n")


def test_suppressed_source_and_interface_lists(run_cmd, env):
    (env["dir"] / "s.src").write_text("10.0.0.1 6 - -\n")
    (env["dir"] / "s.dst").write_text("")
    st, _, err = run_cmd(["flow-dscan", "-b", "-L", str(env["dir"] / "s"), "-D", "1"],
                         stdin=env["data"])
    assert st == 0 and len(lines(err)) == 2
    for args, fires in ((["-i", "0"], True), (["-i", "!0"], False), (["-I", "1-5"], False)):
        st, _, err = run_cmd(["flow-dscan", "-b", "-L", env["base"], "-D", "1"] + args,
                             stdin=env["data"])
        assert st == 0 and (len(lines(err)) == 3) == fires, args


def test_refused_versions_and_operands(run_cmd, env):
    data = oracle.write_stream({"d_version": 8, "agg_version": 2, "agg_method": 1}, [])
    st, out, err = run_cmd(["flow-dscan", "-b", "-L", env["base"]], stdin=data)
    assert (st, out) == (1, b"")
    assert lines(err)[-2:] == ["flow-dscan: Export version 8 not supported by format",
                               "flow-dscan: Unsupported export version"]
    st, out, err = run_cmd(["flow-dscan", "-b", "-L", env["base"], "extra"], stdin=env["data"])
    assert (st, out) == (1, b"") and lines(err) == ["flow-dscan: Extra arguments starting "
                                                    "with extra."]
    st, out, err = run_cmd(["flow-dscan", "-h"])
    assert (st, out) == (1, b"") and err.startswith(b"Usage: flow-dscan")
    assert run_cmd(["flow-dscan", "-q"])[0] == 1


def wait_for(pred, what, timeout=20):
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "timed out waiting for " + what
        time.sleep(0.02)


def start(env, args, flow_bin):
    penv = dict(os.environ, TZ="UTC", PATH=str(flow_bin) + os.pathsep + os.environ["PATH"])
    return subprocess.Popen(["flow-dscan", "-b", "-L", env["base"]] + args,
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=penv)


def read_line(p):
    return p.stderr.readline().decode()


def test_sigusr1_writes_the_state_and_sighup_reloads(env, flow_bin):
    state = env["dir"] / "st"
    p = start(env, ["-s", str(state), "-D", "2"], flow_bin)
    try:
        assert read_line(p) == "flow-dscan: load_suppress 0\n"
        assert read_line(p) == "flow-dscan: load_suppress 1\n"
        (env["dir"] / "none.src").write_text("10.0.0.1 - - -\n")
        p.send_signal(signal.SIGHUP)
        p.send_signal(signal.SIGUSR1)
        p.stdin.write(env["data"])
        p.stdin.close()
        assert p.wait(30) == 0
        rest = p.stderr.read().decode().splitlines()
    finally:
        p.kill()
    # the first batch ran with the old lists (scan reported), then both took effect
    assert rest[0].startswith("flow-dscan: host scan: ip=10.0.0.1")
    assert rest[1:] == ["flow-dscan: load_suppress 0", "flow-dscan: load_suppress 1"]
    assert state.read_text() == "H 2561 0 1 10.0.0.1\n.\n"


def test_default_mode_forks_and_the_child_works(run_cmd, env):
    state = env["dir"] / "st"
    st, out, err = run_cmd(["flow-dscan", "-L", env["base"], "-p", "-s", str(state)],
                           stdin=env["data"])
    assert (st, out, err) == (0, b"", b"")      # the parent, at once
    wait_for(lambda: state.exists() and state.read_text().endswith(".\n"), "the child's state")
    assert state.read_text().startswith("H 2561 6 0 10.0.0.1\n")
