"""flow-import -- make a flow stream of cflowd records, CSV, Cisco
NFCollector text or export datagrams on stdin (commands.md 8.11, 12.5),
or of Parquet (-f 6, ours: stdin, or the file or dataset of -u)."""
import time

from pyflowtools import cli
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.io import export, imports, stream
from pyflowtools.io import header as hdr
from pyflowtools.io.header import Header
from pyflowtools.core.native import rectype as _rectype

USAGE = ("Usage: flow-import [-h] [-b big|little] [-d debug_level] [-f format] "
         "[-m mask_fields] -V pdu_version [-z z_level]")
CFLOWD, PCAP, CSV, NFC, WIRE = range(5)
PARQUET = 6
#: the status each format ends with when its input ran out (the
#: reference's loops of -f 0 and -f 4 end in their error path; -f 3 exits 1)
END_STATUS = {CFLOWD: 255, CSV: 0, NFC: 1, WIRE: 255}
VERSIONS = {1, 5, 6, 7, 8}


def build_parser():
    p = cli.parser("flow-import", USAGE, help_status=0, unknown_status=0, common="bdz")
    p.add_argument("-f", dest="format", type=format_number, default=CFLOWD)
    p.add_argument("-m", dest="mask")
    p.add_argument("-u", dest="path")
    p.add_argument("-V", dest="version")
    return p


def format_number(text):
    """-f: `parquet`, else a number as C atoi reads it."""
    return PARQUET if text.strip().lower() == "parquet" else cli.atoi(text)


def parse_version(text):
    """-V: `%u` or `%u.%u` -> (version, agg_method); None when unreadable."""
    major, _, minor = text.strip().partition(".")
    if not (major.isascii() and major.isdigit()):
        return None
    return cli.strtoul(major, 10) & 0xFFFFFFFF, (cli.strtoul(minor, 10) & 0xFFFFFFFF if minor else 0)


def output_header(version, method):
    h = Header(version, method if version == 8 else 0)
    h.flags = hdr.STREAMING
    h.set(hdr.CAP_HOSTNAME, "cap_hostname", "flow-import")
    h.set(hdr.COMMENTS, "comments", "flow-import")
    return h


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    cli.reject_operands(opts.operands)
    zlevel, order = cli.zlevel(opts), cli.byte_order(opts)
    if opts.format == PARQUET:
        return _parquet(opts, zlevel, order)
    if opts.version is None:
        raise FlowToolsError("Must specify export version to store flows")
    ver = parse_version(opts.version)
    if ver is None:
        raise FlowToolsError("Must specify export version to store flows")
    version, method = ver
    if not 0 <= opts.format <= WIRE:
        raise FlowToolsError("No such format, %d" % opts.format)
    # v1006 (IPv4 and IPv6 flows) from CSV only: the other formats are IPv4
    if version not in VERSIONS and not (version == 1006 and opts.format == CSV):
        raise FlowToolsError("Unsupported export version %d" % version)
    try:
        rectype = _rectype(version, method if version == 8 else 0)
    except FlowToolsError:
        raise FlowToolsError("Unsupported export version %s" % opts.version) from None
    bits = None
    if opts.mask is not None:
        try:
            bits = export.parse_mask(opts.mask)[0]
        except export.FieldError as e:
            cli.warn(str(e))
            raise FlowToolsError(e.second) from None
    started = time.time()
    src = cli.stdin_binary()
    status = END_STATUS.get(opts.format, 255)
    imported = 0
    with stream.writer(cli.stdout_binary(), output_header(version, method),
                       byte_order=order, zlevel=zlevel) as wr:
        try:
            if opts.format == PCAP:
                raise imports.ImportStop("Not implemented", 255)
            if opts.format == CFLOWD:
                batches = imports.cflowd(src, rectype, cli.warn)
            elif opts.format == CSV:
                batches = imports.csv(src, rectype, bits, cli.warn)
            elif opts.format == NFC:
                batches = imports.nfcollector(src, rectype, cli.warn)
            else:
                batches = imports.wire(src, rectype, cli.warn)
            for batch in batches:
                wr.write(batch)
        except imports.ImportStop as e:
            cli.warn(str(e))
            status = e.status
        imported = wr.records_written
    if opts.debug > 0:
        cli.profile(imported, started)
    cli.warn("Imported %d records." % imported)
    return status


def _parquet(opts, zlevel, order):
    """-f 6: the records of a Parquet file or dataset (-u, else stdin); the
    version from -V, else the file's metadata, else 5."""
    from pyflowtools.io import parquet
    version = None
    if opts.version is not None:
        version = parse_version(opts.version)
        if version is None or version[0] not in VERSIONS | {1005, 1006}:
            raise FlowToolsError("Unsupported export version %s" % opts.version)
    started = time.time()
    src = parquet.ParquetInput(opts.path if opts.path is not None else cli.stdin_binary())
    rectype = src.rectype(version)
    from pyflowtools.core.native import layout
    v, method, _, _ = layout(rectype)
    with stream.writer(cli.stdout_binary(), output_header(v, method),
                       byte_order=order, zlevel=zlevel) as wr:
        for batch in src.batches(rectype):
            wr.write(batch)
        imported = wr.records_written
    if opts.debug > 0:
        cli.profile(imported, started)
    cli.warn("Imported %d records." % imported)
    return cli.EXIT_OK
