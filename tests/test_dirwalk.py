"""io/dirwalk.py, the one directory walk: order, depth, loops, warnings."""
import os

import pytest

import harness

from pyflowtools.io import dirwalk


def names(top, **kw):
    return [os.path.relpath(p, top) for p, _e, _m in dirwalk.walk(str(top), **kw)]


def test_depth_first_in_place(tmp_path):
    (tmp_path / "b" / "c").mkdir(parents=True)
    for rel in ("a", "b/x", "b/c/y", "z"):
        (tmp_path / rel).write_bytes(b"")
    got = names(tmp_path, sort=True)
    assert got == ["a", "b/c/y", "b/x", "z"]


def test_limit_counts_the_top_as_level_one(tmp_path):
    d = tmp_path
    for _ in range(dirwalk.MAX_DEPTH - 1):
        d = d / "d"
        d.mkdir()
    (d / "f").write_bytes(b"")
    assert len(names(tmp_path)) == 1
    (d / "d").mkdir()
    with pytest.raises(dirwalk.DirectoryError, match="^Limit of 50 nested directories"):
        names(tmp_path)


def test_deep_trees_do_not_recurse(tmp_path):
    """An iterative walk: a tree deeper than Python's recursion limit ends in
    the depth error, not a RecursionError."""
    d = tmp_path
    try:
        for _ in range(1200):
            d = d / "d"
            os.mkdir(d)
        with pytest.raises(dirwalk.DirectoryError):
            names(tmp_path)
    finally:
        harness.remove_chain(str(tmp_path), "d")


def test_loops_by_device_and_inode(tmp_path):
    (tmp_path / "a").mkdir()
    os.symlink(str(tmp_path), tmp_path / "a" / "abs")       # absolute link to the top
    with pytest.raises(dirwalk.DirectoryError, match="directory loop: .*/a/abs is "):
        names(tmp_path)
    # not followed: a link is an entry like a file
    got = [(os.path.relpath(p, tmp_path), m) for p, _e, m in
           dirwalk.walk(str(tmp_path), follow_symlinks=False)]
    assert [g[0] for g in got] == ["a/abs"]


def test_same_directory_twice_off_the_path_is_no_loop(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_bytes(b"")
    os.symlink("x", tmp_path / "y")
    assert sorted(names(tmp_path)) == ["x/f", "y/f"]


def test_warnings(tmp_path):
    seen = []
    (tmp_path / "locked").mkdir()
    os.symlink("nowhere", tmp_path / "dangling")
    os.chmod(tmp_path / "locked", 0)
    try:
        got = names(tmp_path, warn=seen.append)
    finally:
        os.chmod(tmp_path / "locked", 0o755)
    assert got == []
    assert "stat(%s/dangling): failed" % tmp_path in seen
    if os.geteuid() != 0:
        assert any(m.startswith("opendir(%s/locked): " % tmp_path) for m in seen)
    assert list(dirwalk.walk(str(tmp_path / "missing"), warn=seen.append)) == []
    assert seen[-1].startswith("opendir(%s/missing): " % tmp_path)
