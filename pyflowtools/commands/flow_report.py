"""flow-report -- run a stat.cfg report definition over the flows on stdin
(commands.md sections 7, 11 and 19; man flow-report), or over files and
directories split over processes (-j) or a Dask cluster (--dask) by
pyflowtools.parallel."""
import functools
import sys
import time

from pyflowtools import cli, parallel
from pyflowtools.core.errors import UsageError
from pyflowtools.io import stream
from pyflowtools.report import detect, flowreport, statcfg

USAGE = ("Usage: flow-report [-h] [-d debug_level] [-s stat_file] [-S stat_definition] "
         "[-v variable=value]")


def build_parser():
    p = cli.parser("flow-report", USAGE, help_status=0, unknown_status=0, common="d")
    p.remove_argument("-h")
    p.add_argument("-h", dest="help_count", action="count")
    p.add_argument("-s", dest="file")
    p.add_argument("-S", dest="definition", default=statcfg.DEFAULT_DEFINITION)
    p.add_argument("-v", dest="variables", action="append")
    # in the reference's option string but never handled: usage, exit 1
    for letter in ("-b", "-C", "-z"):
        p.add_argument(letter, dest="unhandled_" + letter[1])
    p.add_argument("-k", dest="unhandled_k", action="store_true")
    parallel.add_options(p)
    return p


def _plan(opts):
    """The Plan: files, directories and URLs only with -j, --dask or
    $PYFLOWTOOLS_DASK (as flow-stat); else stdin, as the reference reads."""
    plan = parallel.plan(opts)
    if opts.operands and (opts.jobs or plan.address):
        return plan
    cli.reject_operands(opts.operands)
    if opts.jobs or opts.dask is not None:
        raise UsageError("-j and --dask split files or directories, not stdin")
    return None


def _input(opts, plan):
    """(source of batches, its header, its Plan)."""
    if plan is not None:
        inp = detect.Input(opts.operands, warn=cli.warn, ipv6=True)
        return inp, inp.header, plan
    rd = stream.reader(cli.stdin_binary(), read_ahead=True, ipv6=True)
    return rd, rd.header, parallel.Plan()


def help_text(count):
    """Usage, and with -h -h the 78 report types."""
    if count < 2:
        return ""
    return "Available reports:\n" + "".join("  %s\n" % t for t in statcfg.TYPE_NAMES)


def main(argv=None):
    parser = build_parser()
    opts = cli.parse(parser, argv, operands=True)
    if opts.help_count or any(getattr(opts, "unhandled_" + c) for c in "bCzk"):
        parser.print_usage_text()
        sys.stderr.write(help_text(opts.help_count))
        return cli.EXIT_OK if opts.help_count else cli.EXIT_ERROR
    plan = _plan(opts)
    variables = dict(statcfg.parse_binding(v) for v in opts.variables)
    started = time.time()
    try:
        cfg = statcfg.load(opts.file, variables, warn=cli.warn)
    except statcfg.ConfigError as e:
        for line in str(e).split("\n") + [statcfg.LOAD_FAILED]:
            cli.warn(line)
        return cli.EXIT_ERROR
    defn = cfg.definition(opts.definition)
    why = flowreport.split_refusal(defn)
    if why and plan is not None:
        parallel.refuse(plan, why)
    src, header, plan = _input(opts, plan)
    try:
        run = flowreport.DefinitionRun(cfg, defn, header, cli.warn)
        task = functools.partial(flowreport.task_run, cfg, opts.definition, header)
        parallel.accumulate(task, src, plan, acc=run)
        run.finish()
    finally:
        if not opts.operands:
            src.close()
    if opts.debug > 0:
        cli.profile(src.records_read, started)
    return cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(cli.run(main))
