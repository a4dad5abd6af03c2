"""Plumbing shared by the detectors (flow-synonly, flow-portrank,
flow-icmpdecode, flow-zonecheck, flow-topn): input from file/directory
operands or stdin, report output as text or TSV, stream output.

Per-record work stays in C (filter programs, agg tables, formatters); this
module only moves batches and writes finished rows.
"""
import os
import sys

from pyflowtools.io import inputs, progress, sink, stream
from pyflowtools.core.errors import FlowToolsError, UsageError


def add_common(p, stream_out=False):
    """-o text|tsv for reports; -b -C -z come from cli.parser(common=...)."""
    if not stream_out:
        p.add_argument("-o", dest="output_format", default="text")
    return p


def output_format(opts):
    fmt = getattr(opts, "output_format", "text") or "text"
    if fmt not in ("text", "tsv"):
        raise UsageError("output format must be text or tsv, not %s" % fmt)
    return fmt


class Input:
    """The records of every operand (like flow-cat: directories walked,
    tmp- files skipped, files ordered by capture start) or of stdin.
    Iterating yields host-order batches; `header` is the first input's.
    `ipv6`: the command reads v1006 streams (IPv4 and IPv6 flows); without
    it they are refused as the reference refuses an unknown version.

    `replay`: the input is read a second time with again() (flow-trw -F):
    files are opened again; an operand readable once (stdin, a FIFO) is
    copied, while the first pass reads it, into an unlinked temporary file
    ($TMPDIR) that again() reads back.

    While the first pass reads, io/progress shows files and records done,
    records/s and time left on stderr when stderr is a terminal (named
    `prog`, default the program's name)."""

    def __init__(self, operands, warn=lambda m: None, ipv6=False, replay=False, prog=None):
        #: how many warnings went to `warn` (commands exit 1 after any)
        self.warnings = 0

        def counted(msg):
            self.warnings += 1
            warn(msg)
        self.warn = counted
        lists = inputs.collect(operands or ["-"], warn=counted, ipv6=ipv6)
        self.items = [i for lst in lists for i in lst]
        if not self.items:
            raise FlowToolsError("no readable flow input")
        self.header = self.items[0].header
        for i in self.items:
            if not i.header.same_format(self.header):
                raise FlowToolsError("data version or sub version changed!")
        self.rectype = self.header.rectype
        self.records_read = 0
        self._replay = replay
        self._ipv6 = ipv6
        self._spools = {}
        self._prog = prog or os.path.basename(sys.argv[0] or "flow-tools")

    def __iter__(self):
        shown = progress.Progress(self._prog, self.items)
        try:
            yield from self._read(shown)
        finally:
            shown.close()

    def _read(self, shown):
        for k, item in enumerate(self.items):
            spool = None
            if self._replay and item.reader is not None:
                import tempfile      # here: its import (re, shutil) costs every detector 30 ms
                f = tempfile.TemporaryFile(prefix="pyflowtools-")
                self._spools[k] = f
                spool = stream.writer(f, item.header)
            with item.open() as rd:
                for b in shown.read(rd):
                    self.records_read += b.n
                    if spool is not None:
                        spool.write(b)
                    yield b
                if rd.warnings or rd.error:
                    shown.close()           # the messages start on a clean line
                for m in rd.warnings:
                    self.warn(m)
                if rd.error:
                    self.warn(rd.error)
            if spool is not None:
                spool.close()

    def again(self):
        """The batches once more (after a full pass with replay=True);
        warnings are not repeated."""
        for k, item in enumerate(self.items):
            f = self._spools.pop(k, None)
            if f is not None:
                f.seek(0)
                src = f
            else:
                src = item.name
            with stream.reader(src, ipv6=self._ipv6) as rd:
                yield from rd
            if f is not None:
                f.close()


def stream_writer(src_header, dst, comment=None, byte_order=None, zlevel=0):
    """The flow-stream sink of -F style output: the input's record version,
    a streaming header with comment (-C), byte order (-b), level (-z)."""
    h = stream.streaming_header(src_header, comment)
    return stream.writer(dst, h, byte_order=byte_order, zlevel=zlevel)


#: the TSV report sink (io/sink.py)
Tsv = sink.TsvSink


def text_out():
    return sys.stdout
