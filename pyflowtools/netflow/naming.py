"""Capture file names, nesting and the rotation schedule (formats.md 7.2-7.4).

    rel_path(rectype, t, nesting, "tmp-")   # 2026/2026-11/2026-11-22/tmp-v05.2026-11-22.031102+0000
    next_rotation(t, rotations)             # first boundary after t

Times are seconds since the epoch, named and scheduled in local time.
"""
import os
import time

from pyflowtools.core.native import layout

DEFAULT_ROTATIONS = 95
DEFAULT_NESTING = 3
MAX_ROTATIONS = 1439            # every minute


def version_tag(rectype):
    """`vNN` or `v08mMM` of a record type (formats.md 7.2)."""
    version, agg = layout(rectype)[:2]
    if version == 8:
        return "v%02dm%02d" % (version, agg)
    return "v%02d" % version


def utc_offset(lt):
    off = lt.tm_gmtoff or 0
    sign = "-" if off < 0 else "+"
    off = abs(off) // 60
    return "%s%02d%02d" % (sign, off // 60, off % 60)


def nest_dirs(lt, nesting):
    """Directories of -N nesting for local time lt (formats.md 7.3)."""
    y, ym, ymd = (time.strftime(f, lt) for f in ("%Y", "%Y-%m", "%Y-%m-%d"))
    return {0: [], 1: [y], 2: [y, ym], 3: [y, ym, ymd], -3: [y, ym, ymd],
            -1: [ymd], -2: [ym, ymd]}[nesting]


def file_name(rectype, t, prefix="ft-"):
    """`ft-v05.2026-11-22.031102+0000` for creation time t (local time)."""
    lt = time.localtime(t)
    return "%s%s.%s%s" % (prefix, version_tag(rectype),
                          time.strftime("%Y-%m-%d.%H%M%S", lt), utc_offset(lt))


def rel_path(rectype, t, nesting, prefix="ft-"):
    lt = time.localtime(t)
    return os.path.join(*(nest_dirs(lt, nesting) + [file_name(rectype, t, prefix)]))


def local_midnight(t):
    lt = time.localtime(t)
    return time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday, 0, 0, 0, 0, 0, -1))


def next_rotation(t, rotations):
    """First rotation boundary after t: rotations+1 intervals per day from
    local midnight (formats.md 7.4)."""
    interval = 86400 // (rotations + 1)
    midnight = local_midnight(t)
    k = int((t - midnight) // interval) + 1
    nxt = midnight + k * interval
    tomorrow = local_midnight(midnight + 86400 + 7200)
    return min(nxt, tomorrow)
