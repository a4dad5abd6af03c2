"""flow-print -- print the flow stream on stdin as text (commands.md section 2)."""
import sys
import time

from pyflowtools import cli
from pyflowtools.report import formats
from pyflowtools.io import sink, stream

USAGE = "Usage: flow-print [-hlnpw] [-d debug_level] [-f format] [-c comment_char]"
EXIT_MISSING_FIELD = 255


def build_parser():
    p = cli.parser("flow-print", USAGE, help_status=0, unknown_status=0, common="d")
    p.add_argument("-c", dest="cc", default="#")
    p.add_argument("-f", dest="format", type=cli.atoi, default=None)
    p.add_argument("-l", dest="line_buffered", action="store_true")
    p.add_argument("-n", dest="names", action="store_true")
    p.add_argument("-p", dest="print_header", action="store_true")
    p.add_argument("-w", dest="wide", action="store_true")
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    cli.reject_operands(opts.operands)
    if opts.format is not None and opts.format >= formats.COUNT:
        raise formats.NoSuchFormat(opts.format)
    started = time.time()
    out = sys.stdout.buffer
    with stream.reader(cli.stdin_binary(), ipv6=True) as rd:
        fmt = formats.default_format(rd.rectype) if opts.format is None else opts.format
        if fmt >= formats.REF_COUNT:      # ours: no such format for the reference's records
            formats.check_format(fmt, rd.rectype)
        if opts.print_header:
            out.write(rd.header.describe(opts.cc[:1] or "#").encode("latin-1"))
        try:
            printer = formats.Printer(rd.rectype, fmt, names=opts.names, wide=opts.wide,
                                      warn=cli.warn)
        except formats.MissingField as e:
            out.flush()
            cli.warn(str(e))
            return EXIT_MISSING_FIELD
        with sink.TextSink(out, printer) as text:
            for batch in rd:
                text.write(batch)
                if printer.bogus:
                    sys.stderr.write((formats.BOGUS_MESSAGE + "\n") * printer.bogus)
                    printer.bogus = 0
                if opts.line_buffered:
                    out.flush()
        for message in rd.warnings + ([rd.error] if rd.error else []):
            cli.warn(message)
        if opts.debug > 0:
            cli.profile(rd.records_read, started)
    return cli.EXIT_OK

