"""What the collectors and daemons create, against planted links (issue 13):
flow-capture's `tmp-...` capture files and its template file, the daemons'
pidfiles (flow-dscan's state file: tests/cmd/test_flow_dscan.py) are never
written through a symlink (util/files.py: O_EXCL|O_NOFOLLOW, or a fresh
file renamed into place); and
every directory level flow-capture makes gets mode 0755 less the umask
(also under -u with umask 000, where the year and month levels were 0777)."""
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

import collector as c
from test_flow_capture_ipfix import Exporter, ms_datagrams

PRECIOUS = b"precious, not a flow file\n"


def victim(tmp_path):
    v = tmp_path / "victim"
    v.write_bytes(PRECIOUS)
    return v


def tmp_names(clock, span=40):
    """The tmp- names flow-capture -N 0 -V 5 may pick in the next `span`
    seconds of its clock (TZ=UTC in the collectors' environment)."""
    now = int(clock.now())
    return ["tmp-v05.%s+0000" % time.strftime("%Y-%m-%d.%H%M%S", time.gmtime(t))
            for t in range(now - 1, now + span)]


def test_capture_file_never_goes_through_a_planted_symlink(tmp_path):
    """The finding: a symlink at the predictable tmp- name made flow-capture
    overwrite its target with a flow header."""
    wd = tmp_path / "wd"
    wd.mkdir()
    v = victim(tmp_path)
    clock = c.Clock(tmp_path / "clock")
    clock.set(86400 * 3 + 0.5)                 # a second far from any other test's
    for name in tmp_names(clock):
        os.symlink(v, wd / name)
    port = c.free_port()
    with c.capture(wd, port, "-N", "0", "-V", "5", clock=clock) as p:
        assert c.wait_for(lambda: any(f.is_file() and not f.is_symlink()
                                      for f in wd.glob("tmp-v05*")))
        status, err = p.stop()
    assert status == 0, err
    assert v.read_bytes() == PRECIOUS
    (f,) = c.files(wd)
    assert not f.is_symlink() and c.read(f)[0]["d_version"] == 5


def test_capture_file_replaces_a_stale_file_of_the_same_name(tmp_path):
    """A regular file at the name (a crash in the same second) is replaced,
    as the reference's O_TRUNC did, and a hard link's other name keeps its
    bytes."""
    wd = tmp_path / "wd"
    wd.mkdir()
    v = victim(tmp_path)
    clock = c.Clock(tmp_path / "clock")
    clock.set(86400 * 4 + 0.5)
    for name in tmp_names(clock):
        os.link(v, wd / name)
    port = c.free_port()
    with c.capture(wd, port, "-N", "0", "-V", "5", clock=clock) as p:
        assert c.wait_for(lambda: any(f.stat().st_nlink == 1 for f in wd.glob("tmp-v05*")))
        status, err = p.stop()
    assert status == 0, err
    assert v.read_bytes() == PRECIOUS
    assert len(c.files(wd)) == 1


@pytest.mark.parametrize("umask,keep", [(0o000, True), (0o022, False), (0o000, False),
                                        (0o027, True)])
def test_every_directory_level_gets_0755_less_the_umask(tmp_path, umask, keep):
    """-N 3: year, month and day directories (and a missing work directory's
    levels) made 0755 less the umask in force: the process's with -u, else
    022 (flow-capture sets it)."""
    wd = tmp_path / "a" / "b" / "wd"
    port = c.free_port()
    old = os.umask(umask)
    try:
        proc = c.capture(wd, port, "-N", "3", "-V", "5", *(["-u"] if keep else []))
    finally:
        os.umask(old)
    with proc as p:
        assert c.wait_for(lambda: list(wd.rglob("tmp-v05*")))
        status, err = p.stop()
    assert status == 0, err
    want = 0o755 & ~(umask if keep else 0o022)
    (f,) = c.files(wd)
    levels = [tmp_path / "a", tmp_path / "a" / "b", wd] + list(reversed(f.parents))[
        len(wd.parts):]
    assert len(levels) == 6
    for d in levels:
        assert stat.S_IMODE(d.stat().st_mode) == want, d
    assert stat.S_IMODE(f.stat().st_mode) == 0o644 & ~(umask if keep else 0o022)


def test_template_file_is_never_written_through_a_symlink(tmp_path):
    """The templates are written to a fresh file renamed into place: a link
    at the old fixed temporary name (tmp-ipfix-templates.new) no longer has
    its target overwritten."""
    wd = tmp_path / "wd"
    wd.mkdir()
    v = victim(tmp_path)
    os.symlink(v, wd / "tmp-ipfix-templates.new")
    tmpl, _data, _rows = ms_datagrams(3)
    port = c.free_port()
    exporter = Exporter()
    try:
        with c.capture(wd, port, "-N", "0") as p:
            exporter.send(port, tmpl)
            assert c.wait_drained(port)
            status, err = p.stop()
    finally:
        exporter.s.close()
    assert status == 0, err
    assert v.read_bytes() == PRECIOUS
    t = wd / "tmp-ipfix-templates"
    assert t.is_file() and not t.is_symlink() and t.stat().st_size > 0
    assert not [n for n in os.listdir(wd) if n.startswith(".tmp-ipfix-templates")]


def test_pidfile_is_never_written_through_a_symlink(tmp_path):
    port = c.free_port()
    pidbase = tmp_path / "cap.pid"
    pidfile = tmp_path / ("cap.pid.%d" % port)
    v = victim(tmp_path)
    os.symlink(v, pidfile)
    r = subprocess.run([sys.executable, str(c.BIN / "flow-capture"), "-w", str(tmp_path / "wd"),
                        "-p", str(pidbase), "-V", "5", "-N", "0",
                        "127.0.0.1/0/%d" % port], env=c.env(), capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    try:
        pid = int(pidfile.read_text())
        assert not pidfile.is_symlink() and v.read_bytes() == PRECIOUS
    finally:
        try:
            pid = int(pidfile.read_text())
        except (OSError, ValueError):
            pid = None
        if pid:
            os.kill(pid, signal.SIGTERM)
            end = time.time() + 10
            while pidfile.exists() and time.time() < end:
                time.sleep(0.05)
