"""Files: the one capped reader of the files the commands take whole, and
the one place the collectors and daemons create what they write (capture
files, templates, state files, pidfiles).

- create(path): a new file, opened O_CREAT|O_EXCL|O_NOFOLLOW: never through
  a symlink, never into an existing file.  Whatever sits at the name (a
  planted symlink, a stale file of a crash in the same second) is unlinked
  first, as the reference's O_TRUNC would have replaced a stale file; a
  symlink is removed, its target untouched.
- replace(path, data): write a fresh temporary file in the same directory
  (a random name, O_EXCL|O_NOFOLLOW) and rename it over `path`:
  readers see the old or the new file, never half of one, and a symlink at
  `path` is replaced, never written through.
- create_below(top, parts): a new file top/parts[0]/.../parts[-1], the
  levels below `top` made when missing and opened one by one through
  directory descriptors with O_NOFOLLOW: a symlink at any of them is
  refused (ELOOP), so nothing is ever created outside `top` (flow-export's
  Parquet datasets).
- makedirs(path, mode): every missing level made with that mode (less the
  umask, as mkdir(2) does), iteratively; os.makedirs gives the mode to the
  leaf only (the others 0777 less the umask: 0777 under `flow-capture -u`
  with umask 000) and recurses once per level.

Reading: The one reader of the small files the commands take whole: configs
(filter.cfg, stat.cfg, tag/mask/xlate configs, ACLs, zones), symbol
files, lists, and state files (flow-topn baselines, flow-dscan state and
suppress lists, flow-capture's v9/IPFIX templates).

Each is read with a size cap, so that a hostile or mistaken name
(`-f /dev/zero`, a FIFO that never ends, a huge file) ends in one error
line instead of memory exhaustion:

    CONFIG_MAX  64 MiB   configs, ACLs, zones, symbol files, lists, templates
    STATE_MAX  256 MiB   state files that grow with the traffic (flow-topn -b,
                         flow-dscan -s)

A regular file is refused from its size before any read; anything else
(FIFO, character device, process substitution) is read up to the cap and
refused past it.  A directory is refused by name.  The errors are OSError
(errno EISDIR, EFBIG) whose `filename` is the path and `strerror` says
why, so each caller words them as its reference does
(`open(PATH): reason`).
"""
import errno
import os
import stat

MIB = 1 << 20
#: cap on configuration, ACL, zone, symbol, list and template files
CONFIG_MAX = 64 * MIB
#: cap on state files that grow with the traffic (baselines, dscan state)
STATE_MAX = 256 * MIB

_CHUNK = 1 << 16


def _too_large(path, cap):
    return OSError(errno.EFBIG, "File too large (the limit is %s)" % size_text(cap), path)


def size_text(n):
    """64 MiB, 512 KiB, 100 bytes."""
    if n % MIB == 0:
        return "%d MiB" % (n // MIB)
    if n % 1024 == 0:
        return "%d KiB" % (n // 1024)
    return "%d bytes" % n


def read(path, cap=CONFIG_MAX):
    """The bytes of the file at `path`, at most `cap` of them.  OSError
    when it cannot be opened or read, is a directory (EISDIR) or holds
    more than `cap` bytes (EFBIG); never reads more than cap + 1 bytes."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if stat.S_ISREG(st.st_mode) and st.st_size > cap:
            raise _too_large(path, cap)
        buf = bytearray()
        want = min(st.st_size, cap) + 1 if stat.S_ISREG(st.st_mode) else _CHUNK
        while True:
            try:
                piece = os.read(fd, min(want, cap + 1 - len(buf)))
            except OSError as e:
                raise OSError(e.errno, e.strerror, path) from None
            if not piece:
                return bytes(buf)
            buf += piece
            if len(buf) > cap:
                raise _too_large(path, cap)
            want = _CHUNK
    finally:
        os.close(fd)


def read_text(path, cap=CONFIG_MAX, encoding="latin-1", errors="strict"):
    """read() decoded (Latin-1 by default: every byte is a character)."""
    return read(path, cap).decode(encoding, errors)


def reason(e):
    """The words of an OSError for `open(PATH): reason` lines."""
    return e.strerror or str(e)


_CREATE = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
           | getattr(os, "O_CLOEXEC", 0))


def create(path, mode=0o644, dir_fd=None):
    """A file descriptor of a new file at path (see the module text);
    `dir_fd`: path relative to that directory descriptor."""
    for attempt in (0, 1):
        try:
            return os.open(path, _CREATE, mode, dir_fd=dir_fd)
        except FileExistsError:
            if attempt:
                raise
            os.unlink(path, dir_fd=dir_fd)   # a directory there: IsADirectoryError/EPERM
    raise AssertionError("not reached")


_LINK = "is a symbolic link (outputs are never written through one)"
_SUBDIR = (os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0)
           | getattr(os, "O_CLOEXEC", 0))


def _is_link(name, dir_fd):
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def create_below(top, parts, mode=0o644, dir_mode=0o777):
    """A file descriptor of a new file top/parts[0]/.../parts[-1] (each
    part one name): the directories parts[:-1] made when missing (dir_mode
    less the umask) and opened level by level relative to the one above,
    with O_NOFOLLOW; the file made as create() makes it.  Nothing below
    `top` is followed: a symlink at a directory level is refused (OSError
    ELOOP naming its path), one at the file's name replaced, its target
    untouched.  `top` is taken as the caller names it."""
    dfd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    path = top
    try:
        for name in parts[:-1]:
            path = os.path.join(path, name)
            try:
                os.mkdir(name, dir_mode, dir_fd=dfd)
            except FileExistsError:
                pass
            try:
                sub = os.open(name, _SUBDIR, dir_fd=dfd)
            except OSError as e:
                # O_NOFOLLOW|O_DIRECTORY on a symlink: ELOOP, or ENOTDIR (Linux)
                if e.errno == errno.ELOOP or (e.errno == errno.ENOTDIR and _is_link(name, dfd)):
                    raise OSError(errno.ELOOP, _LINK, path) from None
                raise OSError(e.errno, e.strerror, path) from None
            os.close(dfd)
            dfd = sub
        path = os.path.join(path, parts[-1])
        try:
            return create(parts[-1], mode, dir_fd=dfd)
        except OSError as e:
            raise OSError(e.errno, e.strerror, path) from None
    finally:
        os.close(dfd)


def open_output(path, append=False, mode=0o644):
    """A file descriptor for writing the output file a user named
    (flow-receive -o, flow-merge -o, flow-split's files, flow-report's
    output paths), never through a symlink: a new file is created as
    create() does (O_EXCL|O_NOFOLLOW; an existing regular file is replaced
    by a fresh one, or appended to with `append`); a symlink at the name is
    refused (ELOOP: a planted link would make us overwrite its target);
    a device or FIFO (/dev/null) is opened as it is."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise OSError(errno.ELOOP, _LINK, path)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    nofollow = os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    if st is not None and not stat.S_ISREG(st.st_mode):
        return os.open(path, nofollow | (os.O_APPEND if append else 0))
    if append and st is not None:
        return os.open(path, nofollow | os.O_APPEND)
    return create(path, mode)


def replace(path, data, mode=0o644, keep_mode=False):
    """Write bytes `data` to path through a fresh temporary file, synced,
    and a rename; the file gets `mode` less the umask (keep_mode: the mode
    of the file it replaces, when there is one)."""
    if keep_mode:
        try:
            keep = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            keep = None
    d, base = os.path.split(path)
    for _ in range(100):
        tmp = os.path.join(d, ".%s.%s" % (base, os.urandom(6).hex()))
        try:
            fd = os.open(tmp, _CREATE, mode)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError("%s: no fresh temporary name" % path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            if keep_mode and keep is not None:
                os.fchmod(f.fileno(), keep)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def makedirs(path, mode=0o755):
    """Make path and its missing parents, each with `mode` (less the umask);
    existing levels are left as they are."""
    missing = []
    p = os.path.abspath(path)
    while not os.path.isdir(p):
        missing.append(p)
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    for p in reversed(missing):
        try:
            os.mkdir(p, mode)
        except FileExistsError:
            if not os.path.isdir(p):
                raise
