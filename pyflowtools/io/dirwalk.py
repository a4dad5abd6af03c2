"""The one directory walk.  Every command that takes directories walks them
here: flow-cat, flow-merge and flow-dscan's operands (io/inputs.py),
flow-expire and flow-capture's -e/-E ager (netflow/expire.py).

Depth: as flow-tools' load_dir (lib/ftfile.c), the operand is level 1 and at
most MAX_DEPTH (50) levels are entered; the 51st raises DirectoryError with
the reference's message, `Limit of 50 nested directories reached.`.

Loops: each directory entered is identified by (st_dev, st_ino) of its stat
(through symlinks when they are followed); one that is already on the
current path (a symlink to `.` or to an ancestor, a bind mount) raises
DirectoryError naming both paths.  The reference has no such check: it walks
the loop down to the depth limit and fails there (after a number of paths
exponential in the loops per directory, printing nothing until then), so a
loop ends the command with status 1 either way; we just get there at once.

The walk is iterative (a stack of entry lists, one directory open at a time),
in directory-read order unless sorted by name.
"""
import os
import stat

from pyflowtools.core.errors import FlowToolsError

MAX_DEPTH = 50


class DirectoryError(FlowToolsError):
    """A directory tree that cannot be walked: too deep, or a loop."""


def _silent(_msg):
    pass


def walk(top, follow_symlinks=True, sort=False, warn=None):
    """Yield (path, entry, mode) for every entry under directory `top` that
    is not a directory (mode: its st_mode, through symlinks when followed),
    depth first: a subdirectory's entries come where the subdirectory is
    met.  `warn` gets the reference's lines for what is skipped (an
    unreadable directory: `opendir(D): reason`; an entry that cannot be
    stat'ed: `stat(P): failed`; `top` missing: its opendir line).  Raises DirectoryError past MAX_DEPTH
    levels or on a loop."""
    warn = warn or _silent
    try:
        st = os.stat(top) if follow_symlinks else os.lstat(top)
    except OSError as e:
        warn("opendir(%s): %s" % (top, e.strerror or e))
        return
    on_path = {(st.st_dev, st.st_ino): top}        # the directories above
    stack = []                                     # [(dir, key, entries, next)]
    key = (st.st_dev, st.st_ino)
    entries = _entries(top, sort, warn)
    stack.append((top, key, entries, 0))
    while stack:
        path, key, entries, i = stack.pop()
        if i >= len(entries):
            del on_path[key]
            continue
        stack.append((path, key, entries, i + 1))
        ent = entries[i]
        full = os.path.join(path, ent.name)
        try:
            est = ent.stat(follow_symlinks=follow_symlinks)
        except OSError:
            warn("stat(%s): failed" % full)
            continue
        if not stat.S_ISDIR(est.st_mode):
            yield full, ent, est.st_mode
            continue
        sub = (est.st_dev, est.st_ino)
        if sub in on_path:
            raise DirectoryError("directory loop: %s is %s" % (full, on_path[sub]))
        if len(stack) >= MAX_DEPTH:
            raise DirectoryError("Limit of %d nested directories reached." % MAX_DEPTH)
        on_path[sub] = full
        stack.append((full, sub, _entries(full, sort, warn), 0))


def _entries(path, sort, warn):
    try:
        with os.scandir(path) as it:
            entries = list(it)
    except OSError as e:
        warn("opendir(%s): %s" % (path, e.strerror or e))
        return []
    if sort:
        entries.sort(key=lambda e: e.name)
    return entries
