"""io/progress (issue 15 item 3): the progress line of long reads on
stderr -- files and records done, records/s, time left -- drawn when stderr
is a terminal (a real pty here) and never otherwise; redrawn at most every
INTERVAL seconds (a fake clock, no sleeping); the commands reading
directories (flow-cat, the detectors) use it."""
import io
import os
import pty
import shutil
import subprocess

import pytest

from pyflowtools.io import progress

TRW = ("enterprise-trw", "ft-v05.2004-04-08.080000+0000")
ENT = ("enterprise", "ft-v05.2004-08-16.090000+0000")


class Item:
    def __init__(self, name):
        self.name = name


class FakeReader:
    """Batches of n records; tell() grows by `step` bytes a batch."""

    class B:
        def __init__(self, n):
            self.n = n

    class F:
        def __init__(self):
            self.pos = 0

        def tell(self):
            return self.pos

    def __init__(self, name, batches, step):
        self.name, self.batches, self.step = name, batches, step
        self.f = self.F()

    def __iter__(self):
        for n in self.batches:
            self.f.pos += self.step
            yield self.B(n)


def test_line_and_throttle(tmp_path):
    paths = []
    for k in range(2):
        p = tmp_path / ("f%d" % k)
        p.write_bytes(b"x" * 1000)
        paths.append(str(p))
    now = [100.0]
    out = io.StringIO()
    prog = progress.Progress("flow-x", [Item(p) for p in paths], stream=out, enabled=True,
                             clock=lambda: now[0])
    assert prog.total_bytes == 2000
    rd = FakeReader(paths[0], [1000, 1000, 1000], 250)
    it = prog.read(rd)
    now[0] = 101.0
    next(it)                                # the first batch always draws
    assert out.getvalue() == ("\rflow-x: 0/2 files, 1000 records, 1.0 k records/s, "
                              "0:00:07 left\x1b[K")
    next(it)                                # same instant: no redraw
    assert out.getvalue().count("\r") == 1
    now[0] = 101.0 + progress.INTERVAL
    next(it)
    assert out.getvalue().count("\r") == 2
    assert "3000 records, 2.0 k records/s" in out.getvalue()
    assert list(it) == [] and prog.files_done == 1 and prog.bytes_done == 1000
    prog.close()
    assert out.getvalue().endswith("\r\x1b[K")


def test_disabled_writes_nothing_and_passes_batches():
    out = io.StringIO()
    prog = progress.Progress("flow-x", [Item("-")], stream=out)   # StringIO: no tty
    assert not prog.enabled
    rd = FakeReader("-", [5, 6], 0)
    assert [b.n for b in prog.read(rd)] == [5, 6]
    prog.close()
    assert out.getvalue() == ""


def test_no_time_left_without_sizes():
    out = io.StringIO()
    prog = progress.Progress("flow-x", [Item("-")], stream=out, enabled=True)
    list(prog.read(FakeReader("-", [5], 0)))
    assert "records/s" in out.getvalue() and "left" not in out.getvalue()


@pytest.fixture
def tree(samples_dir, tmp_path):
    d = tmp_path / "tree" / "2004"
    d.mkdir(parents=True)
    for sub, name in (TRW, ENT):
        shutil.copy(os.path.join(samples_dir, sub, name), d / name)
    return str(tmp_path / "tree")


def run_on_pty(argv, env):
    """(status, what the command wrote to its terminal stderr)."""
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=slave, env=env)
    finally:
        os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:             # EIO: every writer closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return p.wait(), out.decode()


@pytest.mark.parametrize("cmd", [["flow-cat"], ["flow-merge"], ["flow-portrank"], ["flow-trw"], ["flow-hunt"],
                                 ["flow-icmpdecode", "-u"]])
def test_commands_show_progress_on_a_terminal_only(cmd, tree, flow_bin, require):
    require(cmd[0])
    env = dict(os.environ, PATH=str(flow_bin) + os.pathsep + os.environ.get("PATH", ""))
    status, text = run_on_pty(cmd + [tree], env)
    assert status in (0, 2)
    assert "\r%s: 0/2 files, " % cmd[0] in text and " records/s" in text
    assert text.endswith("\r\x1b[K")            # the line is cleared at the end
    r = subprocess.run(cmd + [tree], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=env)
    assert r.returncode == status and r.stderr == b""
