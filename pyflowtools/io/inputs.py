"""Input operands of flow-cat and flow-merge: files, directories
walked recursively, `-` for stdin; ordered by header capture start within
each operand's list, as the reference does (commands.md section 3).

An operand that can be read only once (stdin, a FIFO, bash's `<(...)`, a
character device) is probed and then read through the same open Reader,
which keeps the bytes read past the header; regular files are probed, closed
and opened again when their turn comes (a directory may hold thousands)."""
import os
import stat

from pyflowtools.io import dirwalk, stream
from pyflowtools.core.errors import FormatError


class Input:
    """One readable flow stream: its name, header, and (for an operand that
    cannot be reopened) the Reader its header was probed with."""

    __slots__ = ("name", "header", "reader")

    def __init__(self, name, header, reader=None):
        self.name = name
        self.header = header
        self.reader = reader

    def open(self, raw=False, batch_records=None):
        """A Reader of the whole stream (the probed one when kept), of
        batch_records records a batch (default: about 1 MiB)."""
        if self.reader is not None:
            rd, self.reader = self.reader, None
            rd.raw = raw
            if batch_records:
                rd.batch_records = batch_records
            return rd
        return open_name(self.name, raw=raw, batch_records=batch_records)

    def close(self):
        """Close a kept Reader that will not be read."""
        if self.reader is not None:
            self.reader.close()
            self.reader = None


def is_url(name):
    """An fsspec URL (s3://..., file://...), not a path."""
    return "://" in name


def open_name(name, **kw):
    """A Reader of a path or an fsspec URL (v1006 taken)."""
    if is_url(name):
        import fsspec
        f = fsspec.open(name, "rb").open()
        try:
            rd = stream.reader(f, ipv6=True, **kw)
        except BaseException:
            f.close()
            raise
        rd._close, rd.name = True, name
        return rd
    return stream.reader(name, ipv6=True, **kw)


def _url_inputs(url, all_files, warn, out, ipv6=False):
    """The flow streams at an fsspec URL: a file, or every file under a
    directory (names starting with `tmp` skipped unless all_files)."""
    try:
        import fsspec
        fs, root = fsspec.core.url_to_fs(url)
        names = sorted(fs.find(root)) if fs.isdir(root) else [root]
    except ImportError:
        warn("open(%s): URLs need fsspec (pip install fsspec)" % url)
        return
    except OSError as e:
        warn("open(%s): %s" % (url, e.strerror or e))
        return
    proto = url.split("://", 1)[0]
    for n in names:
        if os.path.basename(n).startswith("tmp") and not all_files:
            continue
        full = n if is_url(n) else "%s://%s" % (proto, n)
        try:
            with open_name(full) as rd:
                if rd.header.ipv6 and not ipv6:
                    raise FormatError("Unsupported d_version %d" % rd.header.d_version)
                out.append(Input(full, rd.header))
        except FormatError as e:
            warn("ftiheader_read(): Warning, %s" % e)
            warn("ftiheader_read(%s): Failed, ignoring file." % full)
        except OSError as e:
            warn("open(%s): %s" % (full, e.strerror or e))


def _probe(path, warn, keep=False, ipv6=False):
    """Input of path, or None (with the reference's warnings).  `keep`:
    hold the Reader open for the read (an operand readable only once).
    `ipv6`: v1006 streams are inputs too."""
    try:
        rd = stream.reader(path, ipv6=ipv6)
    except FileNotFoundError:
        warn("open(%s): No such file or directory" % path)
    except PermissionError:
        warn("open(%s): Permission denied" % path)
    except FormatError as e:
        warn("ftiheader_read(): Warning, %s" % e)
        warn("ftiheader_read(%s): Failed, ignoring file." % path)
    except OSError as e:
        warn("open(%s): %s" % (path, e.strerror or e))
    else:
        if keep:
            return Input(path, rd.header, rd)
        rd.close()
        return Input(path, rd.header)
    return None


def _walk(path, all_files, warn, out, ipv6=False):
    """The flow streams under directory `path` (io/dirwalk.py: at most 50
    levels, a loop is an error), as flow-tools' load_dir: non-regular
    entries skipped with a warning, names starting with `tmp` unless
    all_files; v1006 ones too with `ipv6`."""
    for full, ent, mode in dirwalk.walk(path, warn=warn):
        if not stat.S_ISREG(mode):
            warn("not plain, skipping: %s" % full)
        elif ent.name.startswith("tmp") and not all_files:
            continue
        else:
            inp = _probe(full, warn, ipv6=ipv6)
            if inp is not None:
                out.append(inp)


def collect(operands, all_files=False, group=False, warn=lambda m: None, strict_stdin=False,
            ipv6=False):
    """Lists of Input, each sorted (stably) by header capture start.  One
    list per operand, or a single list with `group`.  A directory nested
    past 50 levels or holding a loop raises dirwalk.DirectoryError.  A `-` that is not a
    flow stream is skipped with a warning, or raises FormatError with
    `strict_stdin` (flow-merge).  v1006 streams are refused as the
    reference does unless `ipv6`."""
    lists = []
    for op in operands or ["-"]:
        found = []
        if op == "-":
            try:
                rd = stream.reader("-", ipv6=ipv6)
                found.append(Input("-", rd.header, rd))
            except FormatError as e:
                if strict_stdin:
                    raise
                warn("ftiheader_read(): Warning, %s" % e)
                warn("ftiheader_read(stdin): Failed, ignoring file.")
        elif is_url(op):
            _url_inputs(op, all_files, warn, found, ipv6=ipv6)
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
                _walk(op, all_files, warn, found, ipv6=ipv6)
            elif stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
                inp = _probe(op, warn, keep=not stat.S_ISREG(mode), ipv6=ipv6)
                if inp is not None:
                    found.append(inp)
            else:
                warn("odd file, skipping: %s" % op)
        lists.append(found)
    if group:
        lists = [[i for lst in lists for i in lst]]
    return [sorted(lst, key=_start) for lst in lists]


def _start(inp):
    from pyflowtools.io.header import CAP_START
    return inp.header.cap_start if CAP_START in inp.header.present else 0


class Tree:
    """The flow files of capture trees (directories walked as flow-cat
    walks them, files), for scripts: records, batches and Arrow per file
    in header capture-start order.  `warnings` collects what flow-cat
    would print (files skipped)."""

    def __init__(self, *paths, all_files=False):
        self.warnings = []
        self.inputs = collect(list(paths), all_files=all_files, group=True,
                              warn=self.warnings.append, ipv6=True)[0]

    def readers(self):
        """An open stream Reader per file, closed after its turn."""
        for inp in self.inputs:
            with inp.open() as rd:
                yield rd

    def batches(self):
        for rd in self.readers():
            yield from rd

    def records(self):
        for rd in self.readers():
            yield from rd.records()

    __iter__ = records

    def arrow_batches(self, addr_text=False):
        """pyarrow.RecordBatch per batch of every file (io/arrow.py)."""
        for rd in self.readers():
            yield from rd.arrow_batches(addr_text)

    def to_arrow(self, addr_text=False):
        """One pyarrow.Table of every file (columns a file's record
        version lacks are null)."""
        from pyflowtools.io import arrow
        return arrow.concat([rd.to_arrow(addr_text) for rd in self.readers()])

    def to_pandas(self, addr_text=False):
        from pyflowtools.io import arrow
        return arrow.to_pandas(self.to_arrow(addr_text))
