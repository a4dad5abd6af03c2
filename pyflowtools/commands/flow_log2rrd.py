"""flow-log2rrd -- flow-capture and flow-fanout STAT log lines into RRD files
(man flow-log2rrd)."""
from pyflowtools import cli
from pyflowtools.report import rrd

USAGE = "Usage: flow-log2rrd [-hv] [-d debug_level] [-p rrd_path] [file ...]"


def build_parser():
    p = cli.parser("flow-log2rrd", USAGE, help_status=0, unknown_status=1, common="d",
                   usage_on_error=False)
    p.add_argument("-p", dest="rrd_path", default=".")
    p.add_argument("-v", dest="verbose", action="store_true")
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    verbose = cli.warn if opts.verbose or opts.debug > 0 else None
    with rrd.RRDTool() as tool:
        for name in opts.operands or ["-"]:
            with cli.text_input(name) as src:
                used, files = rrd.log2rrd(src, opts.rrd_path, tool, warn=cli.warn,
                                          verbose=verbose)
            if verbose:
                verbose("%s: %d STAT lines, %d files" % (name, used, files))
    return cli.EXIT_OK
