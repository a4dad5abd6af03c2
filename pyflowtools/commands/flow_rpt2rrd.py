"""flow-rpt2rrd -- flow-report output into RRD files, one per key
(man flow-rpt2rrd)."""

from pyflowtools import cli
from pyflowtools.core.errors import FlowToolsError, UsageError
from pyflowtools.report import rrd, symbols

USAGE = ("Usage: flow-rpt2rrd [-hnv] [-d debug_level] [-f fields] [-k keys] [-K keys_file]\n"
         "       [-p rrd_path] [-P rrd_postfix] [-r rrd_storage] [-s step] [file ...]")


def build_parser():
    p = cli.parser("flow-rpt2rrd", USAGE, help_status=0, unknown_status=1, common="d",
                   usage_on_error=False)
    p.add_argument("-f", dest="fields", default=",".join(rrd.RPT_FIELDS))
    p.add_argument("-k", dest="keys", action="append", default=[])
    p.add_argument("-K", dest="keys_files", action="append", default=[])
    p.add_argument("-n", dest="names", action="store_true")
    p.add_argument("-p", dest="rrd_path", default=".")
    p.add_argument("-P", dest="postfix", default="")
    p.add_argument("-r", dest="storage", default=":".join(map(str, rrd.RPT_STORAGE)))
    p.add_argument("-s", dest="step", type=cli.atoi, default=rrd.STEP)
    p.add_argument("-v", dest="verbose", action="store_true")
    return p


def _symbols():
    cache = {}

    def load(kind):
        if kind not in cache:
            try:
                cache[kind] = symbols.load(kind)
            except (OSError, FlowToolsError) as e:
                cli.warn("%s symbols: %s" % (kind, getattr(e, "strerror", None) or e))
                cache[kind] = None
        return cache[kind]
    return load


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    keys = [k for text in opts.keys for k in text.split(",") if k]
    for path in opts.keys_files:
        keys += rrd.read_keys(path)
    keys = list(dict.fromkeys(keys))
    if not keys:
        raise UsageError("keys must be specified with -k or -K")
    fields = [f for f in opts.fields.split(",") if f]
    if not fields:
        raise UsageError("no fields (-f)")
    if opts.step <= 0:
        raise UsageError("step must be a positive number of seconds")
    storage = rrd.parse_storage(opts.storage)
    verbose = cli.warn if opts.verbose or opts.debug > 0 else None
    names = _symbols() if opts.names else None
    srcs = opts.operands or ["-"]
    with rrd.RRDTool() as tool:
        for name in srcs:
            with cli.text_input(name) as src:
                rrd.rpt2rrd(src, keys, fields, opts.rrd_path, opts.postfix, storage,
                            tool, step=opts.step, symbols=names, verbose=verbose)
    return cli.EXIT_OK
