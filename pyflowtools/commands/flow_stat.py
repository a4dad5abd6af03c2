"""flow-stat -- reports over the flow stream on stdin (commands.md section 6)."""
import sys
import time

from pyflowtools import cli
from pyflowtools.core.errors import MissingField
from pyflowtools.io import stream
from pyflowtools.report import stat, symbols

USAGE = ("Usage: flow-stat [-hnpPw] [-c comment_char] [-d debug_level] [-f format]\n"
         "       [-S sort_field] [-s sort_field] [-t tally] [-T title]")


def build_parser():
    p = cli.parser("flow-stat", USAGE, help_status=0, unknown_status=0, common="d")
    p.remove_argument("-h")
    p.add_argument("-h", dest="help_count", action="count")
    p.add_argument("-c", dest="cc", default="#")
    p.add_argument("-f", dest="format", type=cli.atoi, default=0)
    p.add_argument("-n", dest="names", action="store_true")
    p.add_argument("-p", dest="print_header", action="store_true")
    p.add_argument("-P", dest="percent", action="store_true")
    # the last of -S / -s counts: (field, descending)
    p.add_argument("-S", dest="sort", type=lambda v: (cli.atoi(v), True), default=None)
    p.add_argument("-s", dest="sort", type=lambda v: (cli.atoi(v), False), default=None)
    p.add_argument("-t", dest="tally", type=cli.atoi, default=0)
    p.add_argument("-T", dest="title", default=None)
    p.add_argument("-w", dest="wide", action="store_true")
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    p = build_parser()
    opts = cli.parse(p, argv, operands=True)
    if opts.help_count:
        p.print_usage_text()
        if opts.help_count > 1:
            sys.stderr.write(stat.format_list())
        return cli.EXIT_OK
    stat.lookup(opts.format)
    cli.reject_operands(opts.operands)
    cc = opts.cc[:1] or "\0"
    sort = opts.sort
    started = time.time()
    out = sys.stdout.buffer
    with stream.reader(cli.stdin_binary(), read_ahead=True) as rd:
        out.write(stat.encode(stat.information(opts.format, [cli.prog()] + argv, opts.title,
                                               opts.percent, opts.names, sort, cc)))
        if opts.print_header:
            out.write(stat.encode("".join(cc + line[1:] for line in
                                          rd.header.describe("#").splitlines(True))))
        mask = stat.symbol_mask(opts.format, opts.names)
        syms = symbols.load_for(mask, warn=cli.warn) if mask else None
        try:
            rep = stat.Report(opts.format, rd.rectype, names=opts.names,
                              percent=opts.percent, wide=opts.wide, sort=sort,
                              tally=opts.tally, cc=cc, symbols=syms)
        except (MissingField, stat.BadSort) as e:
            out.flush()
            cli.warn(str(e))
            return cli.EXIT_OK
        out.write(rep.head())
        for batch in rd:
            text = rep.add(batch)
            if text:
                out.write(text)
        out.flush()
        if rep.ignored and opts.format == 0:
            sys.stderr.write((stat.BOGUS + "\n") * rep.ignored)
        for chunk in rep.text():
            out.write(chunk)
        for message in rd.warnings + ([rd.error] if rd.error else []):
            cli.warn(message)
        if opts.debug > 0:
            cli.profile(rd.records_read, started)
    return cli.EXIT_OK
