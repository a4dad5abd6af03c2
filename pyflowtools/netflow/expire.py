"""Capture-file expiry (formats.md 7.5, commands.md 8.7): flow-expire and
flow-capture's -e/-E ager.

Files considered: regular files whose names begin with `ft`, `cf` or `tmp`
and that start with a valid flow header, found recursively under the work
directory (io/dirwalk.py: symlinks not followed; past 50 levels or on a
loop, DirectoryError, where the reference fails with "ftfile_scandir():
failed"), ordered by header CAP_START (ties by name).  The oldest go first
until at most `count` remain and their bytes (plus those of the file being
written) are at most `size`.
"""
import os
import stat

from pyflowtools.core.errors import FlowToolsError
from pyflowtools.io import dirwalk
from pyflowtools.io.header import Header
from pyflowtools.util import numbers

PREFIXES = ("ft", "cf", "tmp")
_SUFFIX = {"b": 512, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def parse_size(text):
    """-E value: a number, optionally followed by b (x512), K, M or G."""
    t = text.strip()
    i = 0
    while i < len(t) and "0" <= t[i] <= "9":
        i += 1
    n = numbers.strtoul(t[:i], 10)[0] if i else 0
    rest = t[i:]
    if not rest:
        return n
    if len(rest) == 1 and rest.lower() in _SUFFIX:
        return n * _SUFFIX[rest.lower()]
    raise FlowToolsError("scan_size(): failed")


def header_start(path):
    """CAP_START of the flow file at path, or None when it has no valid header."""
    try:
        with open(path, "rb") as f:
            data = f.read(16384)
        h, _need = Header.parse(data)
    except (OSError, FlowToolsError, ValueError):
        return None
    return None if h is None else h.cap_start


class Ager:
    """The ordered list of finished capture files and their total size."""

    def __init__(self, count=0, size=0, dry_run=False, log=None):
        self.count = count
        self.size = size
        self.dry_run = dry_run
        self.log = log
        self.files = []            # [cap_start, path, size], oldest first
        self.total = 0

    @property
    def enabled(self):
        return bool(self.count or self.size)

    def scan(self, workdir, ignored=None):
        """Add every capture file under workdir."""
        found = []
        self._walk(workdir, found, ignored)
        found.sort()
        for start, path, size in found:
            self.files.append([start, path, size])
            self.total += size
        self.files.sort()
        return len(found)

    def _walk(self, d, found, ignored):
        """Capture files under d (io/dirwalk.py: symlinks not followed, at
        most 50 levels, names sorted); unreadable entries are passed by."""
        for path, e, mode in dirwalk.walk(d, follow_symlinks=False, sort=True):
            if not stat.S_ISREG(mode):
                continue
            if not e.name.startswith(PREFIXES):
                if ignored is not None:
                    ignored.append(path)
                continue
            start = header_start(path)
            if start is None:
                if ignored is not None:
                    ignored.append(path)
                continue
            try:
                size = e.stat(follow_symlinks=False).st_size
            except OSError:
                continue
            found.append((start, path, size))

    def add(self, path, start):
        """A file just finished (always the newest)."""
        try:
            size = os.path.getsize(path)
        except OSError:
            return
        self.files.append([start, path, size])
        self.total += size

    def enforce(self, open_bytes=0):
        """Remove the oldest files until the limits hold; returns the removed
        paths (listed only, not removed, with dry_run)."""
        removed = []
        i = 0
        n = len(self.files)
        total = self.total + open_bytes
        while i < n:
            over_count = self.count and n - i > self.count
            over_size = self.size and total > self.size
            if not (over_count or over_size):
                break
            start, path, size = self.files[i]
            removed.append(path)
            total -= size
            i += 1
        if not removed:
            return removed
        if self.dry_run:
            return removed
        for path in removed:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as e:
                if self.log:
                    self.log("unlink(%s): %s" % (path, e.strerror))
        self.total -= sum(f[2] for f in self.files[:i])
        del self.files[:i]
        return removed
