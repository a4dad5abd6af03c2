"""flow-expire: -e, -E, -d (list only), -w, names considered, statuses."""
import subprocess
import sys

import pytest

import collector as c
from pyflowtools.netflow import writer
from pyflowtools.core.native import lib


def make(path, start, size=1000):
    h = writer.capture_header(lib.FTC_RT_V5, start, "vm", None, end=start)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(h.encode() + bytes(size))


def run(args, cwd=None):
    r = subprocess.run([sys.executable, str(c.BIN / "flow-expire")] + args, env=c.env(),
                       capture_output=True, timeout=20, cwd=cwd)
    return r.returncode, r.stderr.decode()


@pytest.fixture
def tree(tmp_path):
    wd = tmp_path / "wd"
    make(wd / "2026" / "2026-11" / "ft-v05.3", 300)
    make(wd / "2026" / "ft-v05.1", 100)
    make(wd / "tmp-v05.4", 400)
    make(wd / "ft-v05.2", 200)
    (wd / "README").write_text("keep me")
    return wd


def names(wd):
    return sorted(p.name for p in wd.rglob("*") if p.is_file())


def test_count(tree):
    assert run(["-e", "2", "-w", str(tree)]) == (0, "")
    assert names(tree) == ["README", "ft-v05.3", "tmp-v05.4"]


def test_size(tree):
    size = (tree / "ft-v05.2").stat().st_size
    assert run(["-E", "%d" % (2 * size), "-w", str(tree)])[0] == 0
    assert names(tree) == ["README", "ft-v05.3", "tmp-v05.4"]
    assert run(["-E", "1K", "-w", str(tree)])[0] == 0
    assert names(tree) == ["README"]


def test_debug_lists_only(tree):
    st, err = run(["-d", "1", "-e", "1", "-w", str(tree)])
    assert st == 0
    assert names(tree) == ["README", "ft-v05.1", "ft-v05.2", "ft-v05.3", "tmp-v05.4"]
    lines = err.splitlines()
    assert any(ln.startswith("flow-expire: ignoring: ") and ln.endswith("README")
               for ln in lines)
    assert sum(ln.startswith("flow-expire: name=") for ln in lines) == 4
    assert [ln.rsplit("/", 1)[1] for ln in lines if "remove/1" in ln] == [
        "ft-v05.1", "ft-v05.2", "ft-v05.3"]


def test_default_workdir_is_cwd(tree):
    assert run(["-e", "1"], cwd=tree)[0] == 0
    assert names(tree) == ["README", "tmp-v05.4"]


def test_no_limits_removes_nothing(tree):
    assert run(["-w", str(tree)])[0] == 0
    assert len(names(tree)) == 5


def test_statuses():
    assert run(["-h"])[0] == 0
    assert run(["-q"])[0] == 0
    st, err = run(["-E", "5Z"])
    assert st == 1 and err == "flow-expire: scan_size(): failed\n"
