"""ftc_split_*: flow-split's cut points and tag groups (csrc/split.c).

Series holds the C state of one series of output files (ftc_split_t);
Grouper groups a batch's records by tag series for -g / -G."""
import bisect

from pyflowtools.core.native import EAGAIN, check, ffi, layout, lib

SRC_TAG, DST_TAG = lib.FTC_F_SRC_TAG, lib.FTC_F_DST_TAG
_MESSAGES = {lib.FTC_EFIELD: "Flow record missing required field."}


class Series:
    """The cut state of one series: flows, cap_start, cap_end of its
    current file; `ended` once a record has completed the file."""

    __slots__ = ("_s",)

    def __init__(self):
        self._s = ffi.new("ftc_split_t *")

    def open(self):
        """A new file starts with the series' next record."""
        s = self._s
        s.flows = s.cap_start = s.cap_end = s.newfile = 0

    @property
    def ended(self):
        return bool(self._s.newfile)

    flows = property(lambda self: self._s.flows)
    cap_start = property(lambda self: self._s.cap_start)
    cap_end = property(lambda self: self._s.cap_end)

    def cut(self, batch, start, max_flows, max_time, n=None):
        """The end of the records of batch from `start` (to n, default
        batch.n) that go to the current file (complete when `ended`)."""
        return check(lib.ftc_split_cut(self._s, batch.rectype, batch.ptr,
                                       batch.n if n is None else n, len(batch.buf), start,
                                       max_flows & 0xFFFFFFFF, max_time & 0xFFFFFFFF),
                     "split", _MESSAGES)


class Grouper:
    """Records of a batch grouped by the series of their tag (field
    SRC_TAG or DST_TAG).  Series are numbered in order of first sight;
    tag_of[series] is its tag."""

    def __init__(self, rectype, field):
        self.rectype = rectype
        self.field = field
        self.tags = []                 # known tags, sorted
        self.series_of = {}            # tag -> series
        self.tag_of = []               # series -> tag
        self._index = ffi.new("ftc_range_t[]", 1)
        self._slot = ffi.new("uint32_t[]", 1)
        self._cap = 0
        self._groups = self._scratch = None
        self._n_unknown = ffi.new("size_t *")

    def _add(self, tags):
        for tag in tags:
            if tag not in self.series_of:
                self.series_of[tag] = len(self.tag_of)
                self.tag_of.append(tag)
                bisect.insort(self.tags, tag)
        idx = self._index = ffi.new("ftc_range_t[]", max(len(self.tags), 1))
        for i, tag in enumerate(self.tags):
            idx[i].lo = idx[i].hi = tag
            idx[i].value = self.series_of[tag]
        self._slot = ffi.new("uint32_t[]", max(len(self.tags), 1))

    def group(self, batch, out):
        """Copy batch's records into the Batch out (same capacity at
        least) grouped by series; returns [(series, start, count)] in order
        of first appearance."""
        n = batch.n
        if n > self._cap:
            self._cap = n
            self._groups = ffi.new("ftc_split_group_t[]", n)
            self._scratch = ffi.new("uint32_t[]", n)
        while True:
            ng = lib.ftc_split_group(self.rectype, self.field, self._index, len(self.tags),
                                     len(self.tags), batch.ptr, n, len(batch.buf), out.ptr,
                                     len(out.buf), self._groups, self._slot, self._scratch,
                                     self._n_unknown)
            if ng != EAGAIN:
                break
            self._add(dict.fromkeys(self._scratch[0:self._n_unknown[0]]))
        check(ng, "split", _MESSAGES)
        out.n = n
        g = self._groups
        return [(g[i].series, g[i].start, g[i].count) for i in range(ng)]


def fields_of(rectype):
    """The names of the fields records of rectype have."""
    return set(layout(rectype)[3])
