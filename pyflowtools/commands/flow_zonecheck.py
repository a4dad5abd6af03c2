"""flow-zonecheck -- special zones: alert on flows of hardened servers that
use a service their zone file line does not allow (man flow-zonecheck)."""
import functools
import sys
import time

from pyflowtools import cli, parallel
from pyflowtools.core.batch import Batch
from pyflowtools.io import sink
from pyflowtools.report import detect, zones
from pyflowtools.core.errors import UsageError

USAGE = ("Usage: flow-zonecheck [-hF] [-b big|little] [-C comment] [-d debug_level] "
         "[-L prefix[,prefix...]] [-o text|tsv]\n       [-j jobs | --dask address] -z zone_file "
         "[file|directory ...]")
EXIT_ALERTS = 2


def build_parser():
    p = cli.parser("flow-zonecheck", USAGE, help_status=0, unknown_status=1, common="bCd")
    p.add_argument("-z", dest="zone_file")
    p.add_argument("-L", dest="inside", action="append")
    p.add_argument("-F", dest="stream_out", action="store_true")
    detect.add_common(p)
    parallel.add_options(p)
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    opts = cli.parse(build_parser(), argv, operands=True)
    if not opts.zone_file:
        raise UsageError("no zone file: use -z FILE")
    fmt = detect.output_format(opts)
    table = zones.load(opts.zone_file)
    inside = zones.parse_inside(opts.inside)
    plan = parallel.plan(opts)
    started = time.time()
    inp = detect.Input(opts.operands, warn=cli.warn, ipv6=True)
    factory = functools.partial(zones.Alerts, table, inside, opts.stream_out)
    run = factory()
    run.checker.check_rectype(inp.rectype)
    summary = zones.Summary()
    if opts.stream_out:
        opts.zlevel = 0             # -z is the zone file: -F writes uncompressed
        rec_size = inp.header.rec_size
        kept = [0]
        with detect.stream_writer(inp.header, cli.stdout_binary(), opts.comment,
                                  cli.byte_order(opts), cli.zlevel(opts)) as wr:
            def take(data):
                b = Batch.wrap(inp.rectype, rec_size, data)
                kept[0] += b.n
                wr.write(b)
            run.take = take
            parallel.accumulate(factory, inp, plan, run)
        alerted = kept[0] > 0       # a record is kept for each alert's flow
    else:
        lines = zones.Formatter(tsv=fmt == "tsv")
        with sink.TextSink(sys.stdout.buffer) as text:
            if fmt == "text":
                text.text(zones.report_header(zones.resolve(opts.zone_file), table, inside,
                                              [cli.prog()] + parallel.strip_args(argv)))
            text.text(lines.header())
            if fmt == "text":
                text.text("#\n")

            def take(data):
                alerts, n = zones.alerts_of(data)
                summary.add(alerts, n)
                text.chunks(lines.lines(alerts, n))
            run.take = take
            parallel.accumulate(factory, inp, plan, run)
            if fmt == "text":
                text.text(summary.text(inp.records_read))
        alerted = summary.alerts > 0
    if opts.debug > 0:
        cli.profile(inp.records_read, started)
    return EXIT_ALERTS if alerted else cli.EXIT_ERROR if inp.warnings else cli.EXIT_OK

