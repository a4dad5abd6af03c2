"""Directory operands with loops and deep trees (issue 13), through every
command that walks directories (io/dirwalk.py): flow-cat, flow-merge,
flow-portrank (the detectors' inputs), flow-expire.  A directory on the
current path met again (symlink loop) ends the command with one line and
status 1 before any output; so does a 51st nested level, with the
reference's `Limit of 50 nested directories reached.` (lib/ftfile.c
load_dir).  Symlinks to directories that are not ancestors are followed, as
the reference does."""
import os

import pytest

import oracle

DEPTH_LINE = "Limit of 50 nested directories reached."


def stream(n=3, tag=0):
    recs = [oracle.record("5", Last=1000 * (i + 1), srcaddr=tag) for i in range(n)]
    return oracle.write_stream({"d_version": 5, "flags": oracle.HF_STREAMING}, recs)


def count(out):
    return len(oracle.read_stream(out)[1]) if out else 0


def nested(top, levels):
    """top and levels - 1 directories under it (top is level 1); a flow
    file at the deepest.  Returns the deepest directory."""
    d = top
    d.mkdir()
    for i in range(levels - 1):
        d = d / ("d%d" % i)
        d.mkdir()
    (d / "ft-deep").write_bytes(stream())
    return d


@pytest.fixture
def one_loop(tmp_path):
    top = tmp_path / "D"
    top.mkdir()
    (top / "ft-a").write_bytes(stream())
    os.symlink(".", top / "self")
    return top


@pytest.fixture
def two_loops(tmp_path):
    """self -> . and sub/loop -> ..: every path of the old walk forked twice
    a level (still running after 20 s)."""
    top = tmp_path / "D"
    (top / "sub").mkdir(parents=True)
    (top / "ft-a").write_bytes(stream())
    os.symlink(".", top / "self")
    os.symlink("..", top / "sub" / "loop")
    return top


COMMANDS = [["flow-cat"], ["flow-merge"], ["flow-portrank"]]


def one_line(err, cmd):
    lines = err.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(cmd + ": "), lines
    return lines[0][len(cmd) + 2:]


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c[0])
def test_a_symlink_loop_is_an_error(run_cmd, require, one_loop, cmd):
    """The finding: `self -> .` made flow-cat print every record 41 times
    and exit 0."""
    require(cmd[0])
    st, out, err = run_cmd(cmd + [str(one_loop)])
    assert (st, out) == (1, b"")
    assert one_line(err, cmd[0]) == "directory loop: %s/self is %s" % (one_loop, one_loop)


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c[0])
def test_two_loops_end_at_once(run_cmd, require, two_loops, cmd):
    require(cmd[0])
    st, out, err = run_cmd(cmd + [str(two_loops)], timeout=15)
    assert (st, out) == (1, b"")
    assert one_line(err, cmd[0]).startswith("directory loop: ")


def test_a_loop_through_a_deeper_ancestor(run_cmd, require, tmp_path):
    require("flow-cat")
    top = tmp_path / "D"
    (top / "a" / "b" / "c").mkdir(parents=True)
    (top / "a" / "b" / "ft-x").write_bytes(stream())
    os.symlink("../..", top / "a" / "b" / "c" / "up")
    st, out, err = run_cmd(["flow-cat", str(top)])
    assert (st, out) == (1, b"")
    assert one_line(err, "flow-cat") == "directory loop: %s/a/b/c/up is %s/a" % (top, top)


def test_symlinks_to_other_directories_are_followed(run_cmd, require, tmp_path):
    """Not a loop: a link to a sibling is walked (its files twice, as the
    reference's stat() walk does)."""
    require("flow-cat")
    top = tmp_path / "D"
    (top / "x").mkdir(parents=True)
    (top / "x" / "ft-a").write_bytes(stream(2))
    os.symlink("x", top / "y")
    st, out, err = run_cmd(["flow-cat", str(top)])
    assert (st, err) == (0, b"") and count(out) == 4


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c[0])
def test_fifty_levels_are_walked(run_cmd, require, tmp_path, cmd):
    require(cmd[0])
    nested(tmp_path / "D", 50)
    st, out, err = run_cmd(cmd + [str(tmp_path / "D")])
    assert (st, err) == (0, b"")
    if cmd[0] != "flow-portrank":
        assert count(out) == 3


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("levels", [51, 52, 300])
def test_a_51st_level_is_the_references_error(run_cmd, require, tmp_path, cmd, levels):
    """The old walk stopped quietly past 51 levels and dropped the files
    there; the reference fails."""
    require(cmd[0])
    nested(tmp_path / "D", levels)
    st, out, err = run_cmd(cmd + [str(tmp_path / "D")])
    assert (st, out) == (1, b"")
    assert one_line(err, cmd[0]) == DEPTH_LINE


def test_expire_does_not_follow_symlinks_and_stops_at_depth(run_cmd, require, tmp_path):
    """flow-expire walks the same way, symlinks not followed (it deletes):
    a loop link is passed by; a 51st level is the reference's error."""
    require("flow-expire")
    wd = tmp_path / "wd"
    wd.mkdir()
    os.symlink(".", wd / "self")
    os.symlink("..", wd / "up")
    st, out, err = run_cmd(["flow-expire", "-e", "1", "-w", str(wd)])
    assert (st, out, err) == (0, b"", b"")
    deep = tmp_path / "deep"
    nested(deep, 51)
    st, out, err = run_cmd(["flow-expire", "-e", "1", "-w", str(deep)])
    assert st == 1
    assert one_line(err, "flow-expire") == DEPTH_LINE
