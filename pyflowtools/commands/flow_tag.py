"""flow-tag -- set src_tag/dst_tag with a tag.cfg definition, writing v1005
records (commands.md 8.14, 14), or v1006 ones for v1006 input."""
import time

from pyflowtools import cli
from pyflowtools.commands.flow_nfilter import output_header
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.filters import cfglines, tagcfg
from pyflowtools.io import stream

USAGE = ("Usage: flow-tag [-hk] [-b big|little] [-C comment] [-d debug_level] "
         "[-t tag_fname] [-T tag_definition] [-v variable=value] [-z z_level]")


def build_parser():
    p = cli.parser("flow-tag", USAGE, help_status=1, unknown_status=1, common="bCdz")
    p.add_argument("-k", dest="keep_time", action="store_true")
    p.add_argument("-t", dest="file")
    p.add_argument("-T", dest="definition", default="")
    p.add_argument("-v", dest="variables", action="append")
    return p


def load(opts, module):
    """The config module.load() of -t/-m/-x with -v bindings; a config
    error prints the reference's two lines (shared by flow-mask, -xlate)."""
    variables = dict(cfglines.parse_binding(v) for v in getattr(opts, "variables", None) or ())
    try:
        return module.load(opts.file, variables)
    except cfglines.ConfigError as e:
        cli.warn(str(e))
        raise FlowToolsError(e.load_failed) from None


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    cli.reject_operands(opts.operands)
    zlevel, order = cli.zlevel(opts), cli.byte_order(opts)
    started = time.time()
    tagger = load(opts, tagcfg).definition(opts.definition)
    with stream.reader(cli.stdin_binary(), ipv6=True) as rd:
        tagger.check(rd.rectype)
        h = output_header(rd.header, opts)
        # v1006 stays v1006 (it has the tags); the others become v1005
        h.d_version, h.agg_method = (1006 if rd.header.ipv6 else 1005), 0
        with stream.writer(cli.stdout_binary(), h, byte_order=order, zlevel=zlevel) as wr:
            for batch in rd:
                wr.write(tagger.apply(batch))
        for message in rd.warnings + ([rd.error] if rd.error else []):
            cli.warn(message)
    if opts.debug > 0:
        cli.profile(rd.records_read, started)
    return cli.EXIT_OK
