"""util/files.py: creating files and directories where others may have
planted links; the one capped reader of config, list, symbol and state
files, and every command that reads such a file through it: /dev/zero,
a file past the cap and a directory end in one named line (issue 13)."""
import errno
import os
import stat
import threading

import pytest

import harness

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


def test_create_below_makes_the_levels_and_never_follows_a_link(tmp_path):
    top = tmp_path / "top"
    top.mkdir()
    fd = files.create_below(str(top), ["a", "b", "f"])
    os.write(fd, b"x")
    os.close(fd)
    assert (top / "a" / "b" / "f").read_bytes() == b"x"
    fd = files.create_below(str(top), ["a", "b", "f"])          # replaced, fresh
    os.close(fd)
    assert (top / "a" / "b" / "f").read_bytes() == b""
    victim = tmp_path / "victim"
    victim.mkdir()
    (top / "a" / "l").symlink_to(victim)
    with pytest.raises(OSError) as e:
        files.create_below(str(top), ["a", "l", "c", "f"])
    assert e.value.errno == errno.ELOOP and e.value.filename == str(top / "a" / "l")
    assert os.listdir(victim) == []
    (top / "a" / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OSError) as e:
        files.create_below(str(top), ["a", "dangling", "f"])
    assert e.value.errno == errno.ELOOP and not (tmp_path / "nowhere").exists()
    (victim / "keep").write_bytes(b"keep")                      # a link at the file's name
    (top / "a" / "b" / "g").symlink_to(victim / "keep")
    fd = files.create_below(str(top), ["a", "b", "g"])
    os.close(fd)
    assert (victim / "keep").read_bytes() == b"keep" and not (top / "a" / "b" / "g").is_symlink()
    (top / "a" / "file").write_bytes(b"")
    with pytest.raises(NotADirectoryError) as e:
        files.create_below(str(top), ["a", "file", "f"])
    assert e.value.filename == str(top / "a" / "file")


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
    finally:
        harness.remove_chain(str(tmp_path), "d")


def test_reads_small_files_whole(tmp_path):
    p = tmp_path / "a.cfg"
    for data in (b"", b"x", b"line\n" * 1000):
        p.write_bytes(data)
        assert files.read(str(p)) == data
    assert files.read_text(str(p), cap=len(b"line\n" * 1000)) == "line\n" * 1000


def test_regular_file_past_the_cap_is_refused_by_its_size(tmp_path):
    p = tmp_path / "big"
    with open(p, "wb") as f:
        f.truncate(files.CONFIG_MAX + 1)      # sparse: nothing is read
    with pytest.raises(OSError) as e:
        files.read(str(p))
    assert e.value.errno == errno.EFBIG and e.value.filename == str(p)
    assert "64 MiB" in e.value.strerror
    p.write_bytes(b"12345")
    assert files.read(str(p), cap=5) == b"12345"
    with pytest.raises(OSError, match="limit is 4 bytes"):
        files.read(str(p), cap=4)


def test_device_is_read_only_up_to_the_cap():
    with pytest.raises(OSError) as e:
        files.read("/dev/zero", cap=100000)
    assert e.value.errno == errno.EFBIG and e.value.filename == "/dev/zero"


def test_fifo_is_read_at_most_cap_plus_one_bytes(tmp_path):
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    sent = []

    def feed():
        fd = os.open(fifo, os.O_WRONLY)
        try:
            while True:
                sent.append(os.write(fd, b"a" * 4096))
        except BrokenPipeError:
            pass
        finally:
            os.close(fd)

    t = threading.Thread(target=feed)
    t.start()
    with pytest.raises(OSError) as e:
        files.read(fifo, cap=1 << 20)
    t.join(20)
    assert e.value.errno == errno.EFBIG
    # the writer stopped soon after the reader did (a pipe holds 64 KiB)
    assert sum(sent) < (1 << 20) + (1 << 18)


def test_short_fifo_is_read_whole(tmp_path):
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "wb") as f:
            f.write(b"ip access-list standard x permit any\n")

    t = threading.Thread(target=feed)
    t.start()
    assert files.read(fifo) == b"ip access-list standard x permit any\n"
    t.join(20)


def test_directory_is_named(tmp_path):
    with pytest.raises(IsADirectoryError) as e:
        files.read(str(tmp_path))
    assert e.value.filename == str(tmp_path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        files.read(str(tmp_path / "nosuch"))


def test_size_text():
    assert files.size_text(64 << 20) == "64 MiB"
    assert files.size_text(4096) == "4 KiB"
    assert files.size_text(100) == "100 bytes"


# ---- every command that takes such a file ------------------------------------------

#: command line with {f} the file; the file kinds STATE_MAX applies to
COMMANDS = [
    ("flow-nfilter -f {f} -F x", files.CONFIG_MAX),
    ("flow-filter -f {f} -S x", files.CONFIG_MAX),
    ("flow-filter -f {f} -r 6", files.CONFIG_MAX),
    ("flow-topn -b {f}", files.STATE_MAX),
    ("flow-zonecheck -z {f}", files.CONFIG_MAX),
    ("flow-report -s {f}", files.CONFIG_MAX),
    ("flow-tag -t {f} -T x", files.CONFIG_MAX),
    ("flow-mask -m {f} -M x", files.CONFIG_MAX),
    ("flow-xlate -x {f} -X x", files.CONFIG_MAX),
    ("flow-dscan -b -l -s {f} -L $T/nosuch", files.STATE_MAX),
    ("flow-rpt2rrd -K {f}", files.CONFIG_MAX),
    ("flow-capture -D -w $T -f {f} 0/0/0", files.CONFIG_MAX),
]

#: an address-space limit (KiB) far below what reading /dev/zero whole needs
#: and above what a command needs
ULIMIT_V = 1500000


def _check(run_cmd, cmd, path):
    prog = cmd.split()[0]
    st_, out, err = run_cmd("flow-gen -n 50 | (ulimit -v %d; %s)" % (ULIMIT_V, cmd.format(f=path)),
                            env=harness.UNSANITIZED, timeout=60)
    text = err.decode("utf-8", "replace")
    assert "Traceback" not in text and "MemoryError" not in text, text
    assert st_ == 1, (st_, text)
    lines = text.splitlines()
    assert lines and all(ln.startswith(prog + ": ") for ln in lines if ln), text
    assert path in lines[0], text
    return lines[0]


@pytest.mark.parametrize("cmd,cap", COMMANDS, ids=[c[0].split(" -")[0] + c[0].split()[1]
                                                   for c in COMMANDS])
def test_endless_device_ends_in_one_named_line(run_cmd, cmd, cap):
    first = _check(run_cmd, cmd, "/dev/zero")
    assert "limit is %s" % files.size_text(cap) in first


@pytest.mark.parametrize("cmd,cap", COMMANDS, ids=[c[0].split(" -")[0] + c[0].split()[1]
                                                   for c in COMMANDS])
def test_file_past_the_cap_and_directory_end_in_one_named_line(run_cmd, tmp_path, cmd, cap):
    big = tmp_path / "big"
    with open(big, "wb") as f:
        f.truncate(cap + 1)
    first = _check(run_cmd, cmd, str(big))
    assert "limit is %s" % files.size_text(cap) in first
    d = tmp_path / "adir"
    d.mkdir()
    first = _check(run_cmd, cmd, str(d))
    if "dscan" not in cmd:                  # the reference's `fopen(PATH): failed`
        assert "Is a directory" in first
