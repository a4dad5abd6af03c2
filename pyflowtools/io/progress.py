"""Progress of a long read on standard error (issue 15 item 3): files and
records done, records/s and time left, redrawn on one line at most twice a
second -- only when that stream is a terminal, never in a pipe, a file or
cron's mail.

    prog = Progress("flow-cat", items)        # items: io/inputs.Input
    for item in items:
        with item.open() as rd:
            for batch in prog.read(rd):
                ...
    prog.close()                              # clears the line

Time left is estimated from bytes: the sizes of the regular input files
against the bytes read so far (compressed files too); without sizes (a
pipe) it is left out.  The one implementation: the detectors' input
(report/detect.Input) and flow-cat use it.
"""
import os
import sys
import time

#: seconds between two redraws
INTERVAL = 0.5


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _size(name):
    try:
        return os.stat(name).st_size if name not in ("-", "stdin") else 0
    except (OSError, TypeError, ValueError):
        return 0


def _rate(v):
    if v >= 1e6:
        return "%.1f M" % (v / 1e6)
    if v >= 1e3:
        return "%.1f k" % (v / 1e3)
    return "%.0f" % v


def _clock(secs):
    secs = int(secs + 0.5)
    return "%d:%02d:%02d" % (secs // 3600, secs // 60 % 60, secs % 60)


class Progress:
    """One progress line for reading `items` (objects with a `name`).
    `enabled`: None = when `stream` is a terminal."""

    def __init__(self, prog, items, stream=None, enabled=None, clock=time.monotonic):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = _isatty(self.stream) if enabled is None else bool(enabled)
        self.prog = prog
        self.clock = clock
        self.files = len(items)
        self.total_bytes = sum(_size(i.name) for i in items) if self.enabled else 0
        self.files_done = 0
        self.bytes_done = 0
        self.records = 0
        self.started = clock()
        self._last = None
        self._drawn = False

    def read(self, rd):
        """The batches of Reader rd, counted; the file is done at the end."""
        if not self.enabled:
            yield from rd
            return
        size = _size(rd.name)
        for b in rd:
            self.records += b.n
            now = self.clock()
            if self._last is None or now - self._last >= INTERVAL:
                self._last = now
                self.draw(now, self.bytes_done + _position(rd))
            yield b
        self.files_done += 1
        self.bytes_done += size

    def line(self, now, bytes_now):
        """The progress text at `now` after bytes_now bytes."""
        elapsed = max(now - self.started, 1e-6)
        text = "%s: %d/%d files, %d records, %s records/s" % (
            self.prog, self.files_done, self.files, self.records, _rate(self.records / elapsed))
        if self.total_bytes and bytes_now > 0:
            left = elapsed * max(self.total_bytes - bytes_now, 0) / bytes_now
            text += ", %s left" % _clock(left)
        return text

    def draw(self, now=None, bytes_now=None):
        now = self.clock() if now is None else now
        text = self.line(now, self.bytes_done if bytes_now is None else bytes_now)
        try:
            self.stream.write("\r" + text + "\033[K")
            self.stream.flush()
            self._drawn = True
        except (OSError, ValueError):
            self.enabled = False

    def close(self):
        """Clear the line (the terminal is left as it was)."""
        if self._drawn:
            try:
                self.stream.write("\r\033[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self._drawn = False


def _position(rd):
    """Bytes of rd's file read so far (0 when it cannot tell: a pipe)."""
    try:
        return rd.f.tell()
    except (AttributeError, OSError, ValueError):
        return 0
