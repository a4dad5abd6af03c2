"""The daemons' wall clock: file names, rotation, CAP_START/CAP_END, STAT
lines and log times all read it.

`clock()` is time.time, unless $PYFLOWTOOLS_TEST_CLOCK names a file: then
the number of seconds in that file (0 when absent or empty) is added to
every reading.  That seam lets the collector tests move a running daemon's
time forward (to a rotation boundary, a STAT interval, a new file-name
second) without waiting for it; it is not meant for production use.
"""
import os
import time

from pyflowtools.util import files

ENV = "PYFLOWTOOLS_TEST_CLOCK"


def clock(environ=os.environ):
    """A callable returning seconds since the epoch (see the module doc)."""
    path = environ.get(ENV)
    if not path:
        return time.time

    def now():
        try:
            offset = float(files.read_text(path, 4096).strip() or 0)
        except (OSError, ValueError):
            offset = 0.0
        return time.time() + offset
    return now
