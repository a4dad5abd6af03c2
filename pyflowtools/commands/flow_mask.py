"""flow-mask -- rewrite src_mask/dst_mask with a mask.cfg definition
(commands.md 8.13, 16)."""
import time

from pyflowtools import cli
from pyflowtools.commands.flow_nfilter import output_header
from pyflowtools.commands.flow_tag import load
from pyflowtools.filters import maskcfg
from pyflowtools.io import stream

USAGE = ("Usage: flow-mask [-hk] [-b big|little] [-C comment] [-d debug_level] "
         "[-m mask_fname] [-M mask_definition] [-z z_level]")


def build_parser():
    p = cli.parser("flow-mask", USAGE, help_status=1, unknown_status=1, common="bCdz")
    p.add_argument("-k", dest="keep_time", action="store_true")
    p.add_argument("-m", dest="file")
    p.add_argument("-M", dest="definition", default="default")
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    cli.reject_operands(opts.operands)
    zlevel, order = cli.zlevel(opts), cli.byte_order(opts)
    started = time.time()
    masker = load(opts, maskcfg).definition(opts.definition)
    with stream.reader(cli.stdin_binary(), ipv6=True) as rd:
        with stream.writer(cli.stdout_binary(), output_header(rd.header, opts),
                           byte_order=order, zlevel=zlevel) as wr:
            for batch in rd:
                wr.write(masker.apply(batch))
        for message in rd.warnings + ([rd.error] if rd.error else []):
            cli.warn(message)
    if opts.debug > 0:
        cli.profile(rd.records_read, started)
    return cli.EXIT_OK
