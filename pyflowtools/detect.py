"""Plumbing shared by the detectors (flow-synonly, flow-portrank,
flow-icmpdecode, flow-zonecheck, flow-topn): input from file/directory
operands or stdin, report output as text or TSV, stream output.

Per-record work stays in C (filter programs, agg tables, formatters); this
module only moves batches and writes finished rows.
"""
import sys

from pyflowtools import header as hdr
from pyflowtools import inputs, stream
from pyflowtools.errors import FlowToolsError, UsageError


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
    Iterating yields host-order batches; `header` is the first input's."""

    def __init__(self, operands, warn=lambda m: None):
        self.warn = warn
        lists = inputs.collect(operands or ["-"], warn=warn)
        self.items = [i for lst in lists for i in lst]
        if not self.items:
            raise FlowToolsError("no readable flow input")
        self.header = self.items[0].header
        for i in self.items:
            if not i.header.same_format(self.header):
                raise FlowToolsError("data version or sub version changed!")
        self.rectype = self.header.rectype
        self.records_read = 0

    def __iter__(self):
        for item in self.items:
            with item.open() as rd:
                for b in rd:
                    self.records_read += b.n
                    yield b
                for m in rd.warnings:
                    self.warn(m)
                if rd.error:
                    self.warn(rd.error)


def stream_writer(src_header, opts, dst=None):
    """A writer for -F style stream output: the input's record version,
    streaming header, -b / -C / -z from opts."""
    from pyflowtools import cli
    h = stream.streaming_header(src_header, getattr(opts, "comment", None))
    return stream.writer(dst if dst is not None else cli.stdout_binary(), h,
                         byte_order=cli.byte_order(opts), zlevel=cli.zlevel(opts))


class Tsv:
    """One tab-separated row per item, after a `#`-prefixed header line."""

    def __init__(self, out, columns):
        self.out = out
        out.write("#" + "\t".join(columns) + "\n")

    def row(self, *values):
        self.out.write("\t".join("" if v is None else str(v) for v in values) + "\n")


def text_out():
    return sys.stdout


ipv4 = hdr.ipv4


def parse_ipv4(text):
    """Dotted quad (missing trailing octets are 0, as the reference) -> u32."""
    parts = text.strip().split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise ValueError("bad IPv4 address: %s" % text)
    parts = [int(p) for p in parts] + [0] * (4 - len(parts))
    return (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]


def parse_prefix(text):
    """A.B.C.D[/len] -> (network u32, length); the address is masked."""
    addr, slash, ln = text.strip().partition("/")
    a = parse_ipv4(addr)
    if slash:
        if not ln.isdigit() or int(ln) > 32:
            raise ValueError("bad prefix length: %s" % text)
        n = int(ln)
    else:
        n = 32
    mask = (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF if n else 0
    return a & mask, n
