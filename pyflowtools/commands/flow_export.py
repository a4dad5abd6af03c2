"""flow-export -- write the flow stream on stdin as cflowd records, a
pcap-like file, CSV, export datagrams, rows of a PostgreSQL or
MySQL/MariaDB table (commands.md 8.10, 12), or Parquet (-f 6, ours)."""
import sys
import time

from pyflowtools import cli
from pyflowtools.core.errors import FlowToolsError, FormatError
from pyflowtools.io import export, stream

USAGE = ("Usage: flow-export [-h] [-d debug_level] [-f format] [-m mask_fields] "
         "-u [database URI]")
EXIT_CANNOT = 255
CFLOWD, PCAP, CSV, MYSQL, WIRE, PGSQL, PARQUET = range(7)
#: formats by name (ours: the reference takes numbers only)
NAMES = {"parquet": PARQUET}


def format_number(text):
    """-f: a format name, else a number as C atoi reads it (other words
    are 0, as in the reference)."""
    return NAMES.get(text.strip().lower(), None) or cli.atoi(text)


def build_parser():
    p = cli.parser("flow-export", USAGE, help_status=0, unknown_status=0, common="d")
    p.add_argument("-f", dest="format", type=format_number, default=CFLOWD)
    p.add_argument("-m", dest="mask")
    p.add_argument("-u", dest="uri")
    return p


def _mask(opts):
    """The -m bits for the format: cflowd bits for -f 0, else field bits."""
    if opts.mask is None:
        return export.ALL_CFLOWD if opts.format == CFLOWD else export.ALL_FIELDS
    try:
        bits, by_name = export.parse_mask(opts.mask)
        if opts.format == CFLOWD and by_name:
            try:
                bits = export.to_cflowd(bits)
            except export.FieldError as e:
                cli.warn(str(e))
                raise FlowToolsError("ftxfield_tocflow(): failed") from None
    except export.FieldError as e:
        cli.warn(str(e))
        raise FlowToolsError(e.second) from None
    return bits


def _sink(opts, rd, bits, out):
    rectype = rd.rectype
    if opts.format == PARQUET:
        from pyflowtools.io import parquet
        fields = None if opts.mask is None else bits
        if opts.uri is None:
            return parquet.ParquetSink(cli.stdout_binary(), rectype, rd.header, fields)
        return parquet.ParquetSink(opts.uri, rectype, rd.header, fields,
                                   dataset=parquet.is_dataset(opts.uri))
    if opts.format == CFLOWD:
        return export.CflowdSink(out, rectype, bits)
    if opts.format == PCAP:
        return export.PcapSink(out, rectype)
    if opts.format == CSV:
        return export.CsvSink(out, rectype, bits)
    if opts.format == WIRE:
        return export.WireSink(out, rectype)
    from pyflowtools.io import db
    return db.open_sink("pgsql" if opts.format == PGSQL else "mysql", opts.uri, rectype, bits)


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    cli.reject_operands(opts.operands)
    if not 0 <= opts.format <= PARQUET:
        raise FlowToolsError("No such format, %d" % opts.format)
    bits = _mask(opts)
    started = time.time()
    exported = 0
    status = cli.EXIT_OK
    # v1006 (IPv4 and IPv6 flows) as text, rows and Parquet; the binary
    # formats (cflowd, pcap, datagrams) have IPv4 addresses only
    with stream.reader(cli.stdin_binary(), ipv6=opts.format in (CSV, MYSQL, PGSQL, PARQUET)) \
            as rd:
        if opts.format == MYSQL and opts.uri is None:
            # the reference's build has no MySQL: scripts that call -f 3
            # without a database get its answer; -u exports for real
            cli.warn("Format not supported")
        else:
            out = sys.stdout.buffer
            try:
                sink = _sink(opts, rd, bits, out)
            except FormatError as e:
                cli.warn(str(e))
                sink, status = None, EXIT_CANNOT
            if sink is not None:
                with sink:
                    for batch in rd:
                        sink.write(batch)
                exported = sink.records_written
        # the reference's flow-export reads without mmap: a partial plain
        # record goes unreported (commands.md 1.5)
        for message in rd.warnings + ([rd.error] if rd.error else []):
            if message != "Warning, partial record before EOF":
                cli.warn(message)
    if opts.debug > 0:
        cli.profile(rd.records_read, started)
    cli.warn("Exported %d records" % exported)
    return status
