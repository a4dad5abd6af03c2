"""flow-icmpdecode -- list, select or count ICMP flows by type and code
(the "ICMP" method of the worm articles; man flow-icmpdecode)."""
import functools
import sys
import time

from pyflowtools import cli, parallel
from pyflowtools.core.batch import Batch
from pyflowtools.io import sink
from pyflowtools.report import detect, icmp
from pyflowtools.core.errors import UsageError

USAGE = ("Usage: flow-icmpdecode [-hFu] [-b big|little] [-C comment] [-d debug_level]\n"
         "       [-o text|tsv] [-s bytes] [-t type[/code][,...]] [-T threshold]\n"
         "       [-z z_level] [-j jobs | --dask address] [file|directory ...]")


def build_parser():
    p = cli.parser("flow-icmpdecode", USAGE, help_status=0, unknown_status=1, common="bCdz",
                   usage_on_error=False)
    detect.add_common(p)
    p.add_argument("-F", dest="stream_out", action="store_true")
    p.add_argument("-s", dest="size", type=icmp.parse_size, default=None)
    p.add_argument("-t", dest="types", type=icmp.parse_types, action="append")
    p.add_argument("-T", dest="threshold", type=icmp.parse_threshold, default=None)
    p.add_argument("-u", dest="unreachable", action="store_true")
    parallel.add_options(p)
    return p


def check_options(opts, fmt):
    if opts.unreachable and (opts.types or opts.size is not None or opts.stream_out):
        raise UsageError("-u counts type 3 codes 0, 1 and 3 itself: no -t, -s or -F with it")
    if opts.threshold is not None and not opts.unreachable:
        raise UsageError("-T is the threshold of the -u report")
    if opts.stream_out and fmt != "text":
        raise UsageError("-o applies to the text reports, not to -F")
    cli.zlevel(opts), cli.byte_order(opts)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    opts = cli.parse(build_parser(), argv, operands=True)
    fmt = detect.output_format(opts)
    check_options(opts, fmt)
    types = tuple(t for lst in opts.types for t in lst)
    plan = parallel.plan(opts)
    started = time.time()
    inp = detect.Input(opts.operands, warn=cli.warn, ipv6=True)
    if opts.unreachable:
        threshold = icmp.DEFAULT_THRESHOLD if opts.threshold is None else opts.threshold
        counts = parallel.accumulate(functools.partial(icmp.Unreachable, inp.rectype), inp,
                                     plan)
        icmp.write_report(sys.stdout, counts.rows(threshold), threshold, tsv=fmt == "tsv",
                          args=["flow-icmpdecode"] + parallel.strip_args(argv), v6=counts.v6)
    else:
        icmp.check_rectype(inp.rectype)
        factory = functools.partial(icmp.Selected, inp.rectype, types, opts.size,
                                    fmt == "tsv", opts.stream_out)
        run = factory()
        if opts.stream_out:
            rec_size = inp.header.rec_size
            with detect.stream_writer(inp.header, cli.stdout_binary(), opts.comment,
                                      cli.byte_order(opts), cli.zlevel(opts)) as wr:
                run.take = lambda data: wr.write(Batch.wrap(inp.rectype, rec_size, data))
                parallel.accumulate(factory, inp, plan, run)
        else:
            with sink.TextSink(sys.stdout.buffer) as text:
                text.text(run.listing.header())
                run.take = text.text
                parallel.accumulate(factory, inp, plan, run)
    if opts.debug:
        cli.profile(inp.records_read, started)
    return cli.EXIT_OK

