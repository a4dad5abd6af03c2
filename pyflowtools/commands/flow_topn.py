"""flow-topn -- rank sources, destinations or pairs by flows, octets,
packets or distinct peers; mark hosts new to a stored baseline (man flow-topn)."""
import functools
import sys
import time

from pyflowtools import cli, parallel
from pyflowtools.report import detect, topn
from pyflowtools.core.errors import UsageError

USAGE = ("Usage: flow-topn [-hU] [-b baseline_file] [-d debug_level] [-k src|dst|pair] "
         "[-m flows|octets|packets|peers] [-n count] [-o text|tsv] [-P dst_ports] "
         "[-r protocols] [-t threshold] [-j jobs | --dask address] [file|directory ...]")
EXIT_NEW = 2


def build_parser():
    p = cli.parser("flow-topn", USAGE, help_status=0, unknown_status=1, common="d")
    p.add_argument("-k", dest="key", default=topn.DEFAULT_KEY)
    p.add_argument("-m", dest="metric", default=topn.DEFAULT_METRIC)
    p.add_argument("-n", dest="n", type=cli.integer(0, topn.COUNT_MAX, "-n"),
                   default=topn.DEFAULT_N)
    p.add_argument("-t", dest="threshold", type=cli.integer(0, topn.COUNT_MAX, "-t"), default=0)
    p.add_argument("-P", dest="ports")
    p.add_argument("-r", dest="protocols")
    p.add_argument("-b", dest="baseline")
    p.add_argument("-U", dest="update", action="store_true")
    detect.add_common(p)
    parallel.add_options(p)
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    opts = cli.parse(build_parser(), argv, operands=True)
    fmt = detect.output_format(opts)
    if opts.update and not opts.baseline:
        raise UsageError("-U updates a baseline: give its file with -b")
    sel = topn.selection(opts.ports, opts.protocols)
    topn.TopN(opts.key, opts.metric, sel)          # option errors before any input is read
    base = topn.load_baseline(opts.baseline, opts.key, opts.metric) if opts.baseline else None
    started = time.time()
    shown = [cli.prog()] + parallel.strip_args(argv)     # the single run's command line
    inp = detect.Input(opts.operands, warn=cli.warn, ipv6=True)
    # v1006: 128-bit address keys
    make = functools.partial(topn.TopN, opts.key, opts.metric, sel, rectype=inp.rectype)
    counter = parallel.accumulate(make, inp, parallel.plan(opts))
    rows = counter.wide_rows(counter.rows(opts.n, opts.threshold))     # 128-bit keys
    marks = ["NEW" if base is not None and r[0] not in base else "" for r in rows]
    note = None
    if opts.baseline and (base is None or opts.update):
        topn.write_baseline(opts.baseline, opts.key, opts.metric, rows, shown)
        note = "%s %s (%d entries)" % (opts.baseline, "created" if base is None else "updated",
                                       len(rows))
    elif opts.baseline:
        note = "%s (%d entries, %d new)" % (opts.baseline, len(base), marks.count("NEW"))
    out = sys.stdout
    if fmt == "tsv":
        tsv = detect.Tsv(out, topn.tsv_columns(opts.key, opts.metric))
        for r, m in zip(rows, marks):
            out.write(topn.tsv_row(r, m))
        del tsv
    else:
        width = topn.addr_width(rows)
        out.write(topn.text_header(opts, shown, note, width))
        for r, m in zip(rows, marks):
            out.write(topn.text_row(opts.metric, r, m, width))
    if opts.debug > 0:
        cli.profile(inp.records_read, started)
    return EXIT_NEW if "NEW" in marks else cli.EXIT_ERROR if inp.warnings else cli.EXIT_OK

