"""util/files.py: creating files and directories where others may have
planted links (issue 13)."""
import os
import stat

import pytest

from pyflowtools.util import files


def test_create_never_follows_and_replaces_what_is_there(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"keep")
    link = tmp_path / "f"
    os.symlink(target, link)
    fd = files.create(str(link))
    os.write(fd, b"new")
    os.close(fd)
    assert target.read_bytes() == b"keep"
    assert not link.is_symlink() and link.read_bytes() == b"new"
    os.link(target, tmp_path / "hard")                    # a hard link: its bytes kept
    fd = files.create(str(tmp_path / "hard"))
    os.close(fd)
    assert target.read_bytes() == b"keep" and (tmp_path / "hard").stat().st_size == 0
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError):
        files.create(str(tmp_path / "d"))


def test_replace_writes_a_fresh_file(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"keep")
    os.symlink(target, tmp_path / "state")
    old = os.umask(0o027)
    try:
        files.replace(str(tmp_path / "state"), b"data", 0o644)
    finally:
        os.umask(old)
    st_ = os.lstat(tmp_path / "state")
    assert stat.S_ISREG(st_.st_mode) and stat.S_IMODE(st_.st_mode) == 0o640
    assert (tmp_path / "state").read_bytes() == b"data" and target.read_bytes() == b"keep"
    assert sorted(os.listdir(tmp_path)) == ["state", "target"]
    with pytest.raises(OSError):
        files.replace(str(tmp_path / "missing" / "x"), b"")


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_makedirs_gives_every_level_the_mode(tmp_path, umask):
    (tmp_path / "have").mkdir(mode=0o700)
    path = tmp_path / "have" / "a" / "b" / "c"
    old = os.umask(umask)
    try:
        files.makedirs(str(path), 0o755)
        files.makedirs(str(path), 0o755)                   # existing: nothing to do
    finally:
        os.umask(old)
    for d in (path.parent.parent, path.parent, path):
        assert stat.S_IMODE(d.stat().st_mode) == 0o755 & ~umask
    assert stat.S_IMODE((tmp_path / "have").stat().st_mode) == 0o700
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OSError):
        files.makedirs(str(tmp_path / "file" / "x"))


def test_makedirs_is_iterative(tmp_path):
    """3,000 levels (the issue's `flow-capture -w` RecursionError): made or
    refused by the system (ENAMETOOLONG), never a RecursionError."""
    deep = os.path.join(str(tmp_path), *["d"] * 3000)
    try:
        files.makedirs(deep)
    except OSError:
        pass
