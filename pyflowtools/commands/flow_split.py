"""flow-split -- cut a flow stream into files by flow count, time or tag."""
import time

from pyflowtools import cli
from pyflowtools.io import split, stream

USAGE = ("Usage: flow-split [-gGhn] [-b big|little] [-C comment] [-d debug_level]\n"
         "       [-N nflows] [-o outfile_basename] [-T nseconds] [-z z_level]")


def _decimal(text):
    """-N and -T: strtoul(text, 10) kept to 32 bits (garbage is 0)."""
    return cli.strtoul(text, 10) & 0xFFFFFFFF


def build_parser():
    p = cli.parser("flow-split", USAGE, help_status=1, unknown_status=1, common="bCdz")
    p.add_argument("-g", dest="src_tags", action="store_true")
    p.add_argument("-G", dest="dst_tags", action="store_true")
    p.add_argument("-n", dest="names", action="store_true")
    p.add_argument("-N", dest="max_flows", type=_decimal, default=0)
    p.add_argument("-o", dest="base", default="split")
    p.add_argument("-T", dest="max_time", type=_decimal, default=0)
    return p


def _tag_names(names):
    """The tag -> text of file names: tag.sym names with -n (decimal when
    a tag has none, or the file does not load)."""
    if not names:
        return None
    from pyflowtools.report import symbols
    try:
        table = symbols.load(symbols.TAG)
    except (OSError, ValueError):
        return None
    return lambda tag: table.name(tag, str(tag))


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    if opts.src_tags and opts.dst_tags:
        raise cli.FlowToolsError("Split on destination or source.")
    cli.reject_operands(opts.operands)
    zlevel = 6 if opts.zlevel is None else cli.zlevel(opts)
    order = cli.byte_order(opts)
    split.check_base(opts.base)
    started = time.time()
    tag = split.SRC if opts.src_tags else split.DST if opts.dst_tags else None
    with stream.reader(cli.stdin_binary(), ipv6=True) as rd:
        done = split.split(rd, opts.base, max_flows=opts.max_flows, max_time=opts.max_time,
                           tag=tag, tag_name=_tag_names(opts.names and tag), byte_order=order,
                           zlevel=zlevel, comment=opts.comment)
        for message in rd.warnings + ([rd.error] if rd.error else []):
            cli.warn(message)
    if opts.debug > 0:
        cli.profile(done.records, started)
    return cli.EXIT_OK
