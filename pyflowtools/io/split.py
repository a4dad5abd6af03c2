"""flow-split: one flow stream cut into files (commands.md 8.8, 13).

Files `BASE.0`, `BASE.1` ... (with -g / -G one series per tag:
`BASE.<tag>.0` ...).  Where a file ends is decided in C per record
(core/split.py: `-N` flows, `-T` seconds of unix_secs, with the
reference's capture-time bookkeeping); Python opens and closes the files
and writes whole slices of each batch with the stream Writer.  With tags,
C first copies each batch grouped by series, so every series gets its
records as one slice too.

A file is created when its first record arrives (an empty input creates
none) and closed as soon as its last record is written, its header then
rewritten: mode normal, capture start/end and flow count from the cut state
(the reference closes it when the series' next record arrives, with the
same values).
"""
import os
from collections import namedtuple

from pyflowtools.core import split as _split
from pyflowtools.core.batch import Batch
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.io import header as hdr
from pyflowtools.io import stream

#: the reference's MAXPATHNAME: names are cut to 255 bytes, a base longer
#: than 231 bytes is refused
PATH_MAX = 256
BASE_MAX = PATH_MAX - 25
#: tag names in file names are cut to 31 characters (its 32-byte buffer)
TAG_NAME_MAX = 31

SRC, DST = "src", "dst"

Split = namedtuple("Split", "records files")


def check_base(base):
    if len(os.fsencode(base)) > BASE_MAX:
        raise FlowToolsError("base output too long")


def file_name(base, number, tag_text=None):
    """`base.N`, or `base.TAG.N`, cut to 255 bytes as the reference's
    snprintf does."""
    name = "%s.%d" % (base, number) if tag_text is None else "%s.%s.%d" % (base, tag_text, number)
    raw = os.fsencode(name)
    return os.fsdecode(raw[:PATH_MAX - 1]) if len(raw) >= PATH_MAX else name


class _File:
    """One series' current output file."""

    __slots__ = ("series", "writer", "number", "tag_text")

    def __init__(self, tag_text=None):
        self.series = _split.Series()
        self.writer = None
        self.number = 0
        self.tag_text = tag_text


class Splitter:
    """Cut the records of `reader` into files (see split())."""

    def __init__(self, reader, base, max_flows=0, max_time=0, tag=None, tag_name=None,
                 byte_order=None, zlevel=6, comment=None):
        self.rd = reader
        self.base = base
        self.max_flows = max_flows & 0xFFFFFFFF
        self.max_time = max_time & 0xFFFFFFFF
        self.order = byte_order
        self.zlevel = zlevel
        self.tag_name = tag_name or str
        self.files = 0
        h = reader.header
        rt = reader.rectype
        fields = _split.fields_of(rt)
        if self.max_time and "unix_secs" not in fields:
            raise FlowToolsError("Flow record missing unix_secs.")
        self.grouper = None
        if tag == SRC:
            if "src_tag" not in fields:
                raise FlowToolsError("Flow record missing source tag.")
            self.grouper = _split.Grouper(rt, _split.SRC_TAG)
        elif tag == DST:
            if "dst_tag" not in fields:
                raise FlowToolsError("Flow record missing destination tag.")
            self.grouper = _split.Grouper(rt, _split.DST_TAG)
        self.header = stream.streaming_header(h, comment)
        if h.d_version == 8:
            self.header.agg_version = h.agg_version
        self.header.set(hdr.CAP_START, "cap_start", 0)
        self.header.set(hdr.CAP_END, "cap_end", 0)
        self.header.set(hdr.FLOW_COUNT, "flows_count", 0)
        self._open = []
        self._series = []           # per tag series (tag mode)
        self._plain = _File()

    # ---- files -------------------------------------------------------
    def _start(self, f):
        name = file_name(self.base, f.number, f.tag_text)
        try:
            f.writer = stream.writer(name, self.header, byte_order=self.order,
                                     zlevel=self.zlevel, rewrite=True)
        except OSError as e:
            raise FlowToolsError("open(%s): %s" % (name, e.strerror or e)) from None
        f.number += 1
        f.series.open()
        self.files += 1

    def _close(self, f):
        s = f.series
        final = self.header.copy()
        final.flags = hdr.DONE
        final.cap_start, final.cap_end, final.flows_count = s.cap_start, s.cap_end, s.flows
        w, f.writer = f.writer, None
        w.close(final)

    def _feed(self, f, batch, pos, end):
        """Records [pos, end) of batch to series f, opening and closing
        its files where C cuts."""
        while pos < end:
            if f.writer is None:
                self._start(f)
            cut = f.series.cut(batch, pos, self.max_flows, self.max_time, end)
            f.writer.write(batch, pos, cut)
            pos = cut
            if f.series.ended:
                self._close(f)

    # ---- run ---------------------------------------------------------
    def run(self):
        """Split the whole stream; returns Split(records, files)."""
        try:
            if self.grouper is None:
                for b in self.rd:
                    self._feed(self._plain, b, 0, b.n)
            else:
                self._run_tags()
        except BaseException:
            self._abort()
            raise
        self._finish()
        return Split(self.rd.records_read, self.files)

    def _run_tags(self):
        out = None
        series = self._series
        for b in self.rd:
            if out is None or out.capacity < b.n:
                out = Batch(b.rectype, b.rec_size, max(b.n, 1))
            out.order = b.order
            for s, start, count in self.grouper.group(b, out):
                while len(series) <= s:
                    tag = self.grouper.tag_of[len(series)]
                    series.append(_File(str(self.tag_name(tag))[:TAG_NAME_MAX]))
                self._feed(series[s], out, start, start + count)

    def _all(self):
        return [self._plain] + self._series

    def _finish(self):
        for f in self._all():
            if f.writer is not None:
                self._close(f)

    def _abort(self):
        for f in self._all():
            if f.writer is not None:
                try:
                    f.writer.close()
                except OSError:
                    pass
                f.writer = None


def split(reader, base="split", **kw):
    """Cut the stream of `reader` into files named from `base`.

    max_flows: a file ends after this many records (0: no limit);
    max_time: a file ends after the record whose unix_secs is more than this
    many seconds past the file's start (0: no limit); tag: None, SRC or DST
    (one series per src_tag / dst_tag, named with tag_name(tag), default
    decimal); byte_order, zlevel (default 6, zlib's default level), comment:
    of every file.  Returns Split(records, files)."""
    check_base(base)
    return Splitter(reader, base, **kw).run()
