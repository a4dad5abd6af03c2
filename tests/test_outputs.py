"""Named output files (util/files.open_output, by every writer of a file a
user names: stream.Writer, flow-merge -o, flow-split, flow-report output
paths, flow-export -f 6's Parquet file; util/files.create_below for the
files of a Parquet dataset): never written through a symlink (issue 13)."""
import errno
import os
import subprocess
import sys

import pytest

from pyflowtools.io import header as hdr
from pyflowtools.io import merge, stream
from pyflowtools.util import files


def _planted(tmp_path):
    target = tmp_path / "victim"
    target.write_bytes(b"precious")
    link = tmp_path / "out"
    link.symlink_to(target)
    return link, target


@pytest.mark.parametrize("append", [False, True])
def test_open_output_refuses_a_symlink(tmp_path, append):
    link, target = _planted(tmp_path)
    with pytest.raises(OSError) as e:
        files.open_output(str(link), append=append)
    assert e.value.errno == errno.ELOOP and "symbolic link" in e.value.strerror
    assert target.read_bytes() == b"precious"


def test_open_output_new_replaced_appended_and_devices(tmp_path):
    p = tmp_path / "f"
    os.close(files.open_output(str(p)))
    assert p.read_bytes() == b""
    p.write_bytes(b"old")
    other = tmp_path / "hard"
    os.link(p, other)                     # a hard link is not written through either
    fd = files.open_output(str(p))
    os.write(fd, b"new")
    os.close(fd)
    assert p.read_bytes() == b"new" and other.read_bytes() == b"old"
    fd = files.open_output(str(p), append=True)
    os.write(fd, b"+")
    os.close(fd)
    assert p.read_bytes() == b"new+"
    fd = files.open_output(os.devnull)    # a device: opened as it is, never replaced
    os.close(fd)
    assert os.path.exists(os.devnull) and not os.path.isfile(os.devnull)
    with pytest.raises(IsADirectoryError):
        files.open_output(str(tmp_path))


def test_stream_writer_and_merge_output(tmp_path):
    link, target = _planted(tmp_path)
    with pytest.raises(OSError):
        stream.Writer(str(link), hdr.Header(5))
    with pytest.raises(OSError):
        merge.open_output(str(link))
    assert target.read_bytes() == b"precious"


def _cmd(name):
    return os.path.join(os.path.dirname(sys.executable), name)


@pytest.mark.parametrize("argv", [
    ["flow-merge", "-o", "{out}", "-"],
    ["flow-split", "-N", "1", "-o", "{dir}/ft"],
    ["flow-export", "-f", "6", "-u", "{out}"],
    ["flow-export", "-f", "parquet", "-u", "{out}"],
])
def test_commands_refuse_a_planted_output_symlink(tmp_path, argv):
    target = tmp_path / "victim"
    target.write_bytes(b"precious")
    gen = subprocess.run([_cmd("flow-gen"), "-n", "3"], capture_output=True, check=True).stdout
    out = tmp_path / "out"
    out.symlink_to(target)
    if argv[0] == "flow-split":                        # its first file's name
        first = tmp_path / "ft.0"
        out.unlink()
        first.symlink_to(target)
    args = [_cmd(argv[0])] + [a.format(out=out, dir=tmp_path) for a in argv[1:]]
    r = subprocess.run(args, input=gen, capture_output=True, timeout=60)
    assert target.read_bytes() == b"precious"
    assert r.returncode == 1 and b"Traceback" not in r.stderr
    assert r.stderr.startswith(argv[0].encode() + b": ") and len(r.stderr.splitlines()) == 1


def _export(args, tmp_path):
    gen = subprocess.run([_cmd("flow-gen"), "-n", "3"], capture_output=True, check=True).stdout
    return subprocess.run([_cmd("flow-export"), "-f", "6"] + args, input=gen,
                          capture_output=True, timeout=60)


def _one_line(r, status=1):
    assert r.returncode == status and b"Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith(b"flow-export: ") and len(r.stderr.splitlines()) == 1


@pytest.mark.parametrize("level", [0, 1, 2])
@pytest.mark.parametrize("dangling", [False, True])
def test_parquet_dataset_never_follows_a_planted_directory(tmp_path, level, dangling):
    """flow-gen -n 3 lands in exporter=0.0.0.0/date=1970-02-19/hour=17: a
    symlink planted at any of those levels (to a directory of the victim's,
    or dangling) is refused with one line; nothing is created through it."""
    pytest.importorskip("pyarrow")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_bytes(b"precious")
    levels = ["exporter=0.0.0.0", "date=1970-02-19", "hour=17"]
    d = tmp_path / "ds"
    for name in levels[:level]:
        d = d / name
    d.mkdir(parents=True)
    link = d / levels[level]
    link.symlink_to(tmp_path / "nowhere" if dangling else victim)
    r = _export(["-u", str(tmp_path / "ds") + "/"], tmp_path)
    _one_line(r)
    assert str(link).encode() in r.stderr and b"symbolic link" in r.stderr
    assert sorted(os.listdir(victim)) == ["keep"] and (victim / "keep").read_bytes() == b"precious"
    assert not (tmp_path / "nowhere").exists()
    assert not list((tmp_path / "ds").rglob("*.parquet"))


def test_parquet_symlink_to_a_directory_is_not_a_dataset(tmp_path):
    """-u LINK (a symlink to a directory) is a file name, refused; -u LINK/
    writes the dataset in the directory it names, as a path would."""
    pytest.importorskip("pyarrow")
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    _one_line(_export(["-u", str(tmp_path / "link")], tmp_path))
    assert os.listdir(real) == []
    r = _export(["-u", str(tmp_path / "link") + "/"], tmp_path)
    assert r.returncode == 0 and len(list(real.rglob("*.parquet"))) == 1


def test_parquet_file_replaces_what_is_there(tmp_path):
    """An existing file at the -u name is replaced by a fresh one (a hard
    link to it keeps its bytes); a directory there is a dataset."""
    pytest.importorskip("pyarrow")
    out = tmp_path / "f.parquet"
    out.write_bytes(b"old")
    os.link(out, tmp_path / "hard")
    r = _export(["-u", str(out)], tmp_path)
    assert r.returncode == 0 and out.read_bytes()[:4] == b"PAR1"
    assert (tmp_path / "hard").read_bytes() == b"old"
