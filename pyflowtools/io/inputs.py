"""Input operands of flow-cat (and later flow-merge): files, directories
walked recursively, `-` for stdin; ordered by header capture start within
each operand's list, as the reference does (commands.md section 3)."""
import os
import stat

from pyflowtools.io import stream
from pyflowtools.core.errors import FormatError

MAX_DEPTH = 50


class Input:
    """One readable flow stream: its name, header, and (for stdin, which
    cannot be reopened) the open reader."""

    __slots__ = ("name", "header", "reader")

    def __init__(self, name, header, reader=None):
        self.name = name
        self.header = header
        self.reader = reader

    def open(self, **kw):
        if self.reader is not None:
            rd, self.reader = self.reader, None
            return rd
        return stream.reader(self.name, **kw)


def _probe(path, warn):
    """Header of path, or None (with the reference's warnings)."""
    try:
        with stream.reader(path) as rd:
            return rd.header
    except FileNotFoundError:
        warn("open(%s): No such file or directory" % path)
    except PermissionError:
        warn("open(%s): Permission denied" % path)
    except FormatError as e:
        warn("ftiheader_read(): Warning, %s" % e)
        warn("ftiheader_read(%s): Failed, ignoring file." % path)
    except OSError as e:
        warn("open(%s): %s" % (path, e.strerror or e))
    return None


def _walk(path, all_files, warn, out, depth=0):
    if depth > MAX_DEPTH:
        return
    try:
        entries = list(os.scandir(path))
    except OSError as e:
        warn("opendir(%s): %s" % (path, e.strerror or e))
        return
    for ent in entries:
        full = os.path.join(path, ent.name)
        try:
            mode = ent.stat(follow_symlinks=True).st_mode
        except OSError:
            warn("stat(%s): failed" % full)
            continue
        if stat.S_ISDIR(mode):
            _walk(full, all_files, warn, out, depth + 1)
        elif not stat.S_ISREG(mode):
            warn("not plain, skipping: %s" % full)
        elif ent.name.startswith("tmp") and not all_files:
            continue
        else:
            h = _probe(full, warn)
            if h is not None:
                out.append(Input(full, h))


def collect(operands, all_files=False, group=False, warn=lambda m: None):
    """Lists of Input, each sorted (stably) by header capture start.  One
    list per operand, or a single list with `group`."""
    lists = []
    for op in operands or ["-"]:
        found = []
        if op == "-":
            try:
                rd = stream.reader("-")
                found.append(Input("-", rd.header, rd))
            except FormatError as e:
                warn("ftiheader_read(): Warning, %s" % e)
                warn("ftiheader_read(stdin): Failed, ignoring file.")
        else:
            try:
                mode = os.stat(op).st_mode
            except FileNotFoundError:
                warn("open(%s): No such file or directory" % op)
                mode = None
            except OSError as e:
                warn("open(%s): %s" % (op, e.strerror or e))
                mode = None
            if mode is None:
                pass
            elif stat.S_ISDIR(mode):
                _walk(op, all_files, warn, found)
            elif stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
                h = _probe(op, warn)
                if h is not None:
                    found.append(Input(op, h))
            else:
                warn("odd file, skipping: %s" % op)
        lists.append(found)
    if group:
        lists = [[i for lst in lists for i in lst]]
    return [sorted(lst, key=_start) for lst in lists]


def _start(inp):
    from pyflowtools.io.header import CAP_START
    return inp.header.cap_start if CAP_START in inp.header.present else 0
