"""flow-stat -- reports over the flow stream on stdin, or over files and
directories (commands.md section 6); split over processes (-j) or a Dask
cluster (--dask) by pyflowtools.parallel."""
import functools
import sys
import time

from pyflowtools import cli, parallel
from pyflowtools.core.errors import MissingField, UsageError
from pyflowtools.io import stream
from pyflowtools.report import detect, stat, symbols

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
    parallel.add_options(p)
    return p


def _input(opts):
    """(source of batches, its header, its Plan): stdin, as the reference
    reads; files, directories and URLs only for a run given -j, --dask or
    $PYFLOWTOOLS_DASK (split as the plan says; -j 1 in this process)."""
    plan = parallel.plan(opts)
    if opts.operands and (opts.jobs or plan.address):
        inp = detect.Input(opts.operands, warn=cli.warn, ipv6=True)
        return inp, inp.header, plan
    cli.reject_operands(opts.operands)
    if opts.jobs or opts.dask is not None:
        raise UsageError("-j and --dask split files or directories, not stdin")
    rd = stream.reader(cli.stdin_binary(), read_ahead=True, ipv6=True)    # v1006 too
    return rd, rd.header, parallel.Plan()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    p = build_parser()
    opts = cli.parse(p, argv, operands=True)
    if opts.help_count:
        p.print_usage_text()
        if opts.help_count > 1:
            sys.stderr.write(stat.format_list())
        return cli.EXIT_OK
    f = stat.lookup(opts.format)
    cc = opts.cc[:1] or "\0"
    sort = opts.sort
    started = time.time()
    out = sys.stdout.buffer
    src, header, plan = _input(opts)
    if f.kind == "plot":
        parallel.refuse(plan, "the plot data of -f %d follows the records' order" % f.number)
    try:
        shown = [cli.prog()] + parallel.strip_args(argv)     # the single run's line
        out.write(stat.encode(stat.information(opts.format, shown, opts.title, opts.percent,
                                               opts.names, sort, cc)))
        if opts.print_header:
            out.write(stat.encode("".join(cc + line[1:] for line in
                                          header.describe("#").splitlines(True))))
        mask = stat.symbol_mask(opts.format, opts.names)
        syms = symbols.load_for(mask, warn=cli.warn) if mask else None
        report = functools.partial(stat.Report, opts.format, header.rectype, names=opts.names,
                                   percent=opts.percent, wide=opts.wide, sort=sort,
                                   tally=opts.tally, cc=cc)
        try:
            rep = report(symbols=syms)
        except (MissingField, stat.BadSort) as e:
            out.flush()
            cli.warn(str(e))
            return cli.EXIT_OK
        out.write(rep.head())
        if f.kind == "plot":
            for batch in src:
                text = rep.add(batch)
                if text:
                    out.write(text)
        else:
            parallel.accumulate(report, src, plan, acc=rep)
        out.flush()
        if rep.ignored and opts.format == 0:
            sys.stderr.write((stat.BOGUS + "\n") * rep.ignored)
        for chunk in rep.text():
            out.write(chunk)
        if not opts.operands:               # a Reader of stdin: its damage, last
            for message in src.warnings + ([src.error] if src.error else []):
                cli.warn(message)
        if opts.debug > 0:
            cli.profile(src.records_read, started)
    finally:
        if not opts.operands:
            src.close()
    return cli.EXIT_OK
