"""Creating files and directories where others may have planted something:
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
- makedirs(path, mode): every missing level made with that mode (less the
  umask, as mkdir(2) does), iteratively; os.makedirs gives the mode to the
  leaf only (the others 0777 less the umask: 0777 under `flow-capture -u`
  with umask 000) and recurses once per level.
"""
import os

_CREATE = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
           | getattr(os, "O_CLOEXEC", 0))


def create(path, mode=0o644):
    """A file descriptor of a new file at path (see the module text)."""
    for attempt in (0, 1):
        try:
            return os.open(path, _CREATE, mode)
        except FileExistsError:
            if attempt:
                raise
            os.unlink(path)      # a directory there: IsADirectoryError/EPERM
    raise AssertionError("not reached")


def replace(path, data, mode=0o644):
    """Write bytes `data` to path through a fresh temporary file and a
    rename; the file gets `mode` less the umask."""
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
