"""flow-report -- run a stat.cfg report definition over the flows on stdin
(commands.md sections 7, 11 and 19; man flow-report)."""
import sys
import time

from pyflowtools import cli
from pyflowtools.io import stream
from pyflowtools.report import flowreport, statcfg

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
    return p


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
    cli.reject_operands(opts.operands)
    variables = dict(statcfg.parse_binding(v) for v in opts.variables)
    started = time.time()
    try:
        cfg = statcfg.load(opts.file, variables, warn=cli.warn)
    except statcfg.ConfigError as e:
        for line in str(e).split("\n") + [statcfg.LOAD_FAILED]:
            cli.warn(line)
        return cli.EXIT_ERROR
    defn = cfg.definition(opts.definition)
    with stream.reader(cli.stdin_binary(), read_ahead=True, ipv6=True) as rd:
        run = flowreport.DefinitionRun(cfg, defn, rd.header, cli.warn)
        for batch in rd:
            run.add(batch)
        run.finish()
    if opts.debug > 0:
        cli.profile(rd.records_read, started)
    return cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(cli.run(main))
