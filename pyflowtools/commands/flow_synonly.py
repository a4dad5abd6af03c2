"""flow-synonly -- pass TCP flows whose flags are exactly SYN (or RST|ACK, or
any value/mask): the "TCP flags" method of the worm-hunting articles."""
import time

from pyflowtools import cli
from pyflowtools.report import detect, synonly
from pyflowtools.core.errors import UsageError

USAGE = ("Usage: flow-synonly [-hR] [-b big|little] [-C comment] [-d debug_level] "
         "[-F value[/mask]] [-z z_level] [file|directory ...]")


def build_parser():
    p = cli.parser("flow-synonly", USAGE, help_status=0, unknown_status=1, common="bCdz",
                   usage_on_error=False)
    p.add_argument("-R", dest="rst_ack", action="store_true")
    p.add_argument("-F", dest="rule", type=synonly.parse_rule)
    return p


def main(argv=None):
    started = time.time()
    opts = cli.parse(build_parser(), argv, operands=True)
    if opts.rst_ack and opts.rule is not None:
        raise UsageError("-R and -F exclude each other")
    rule = synonly.RST_ACK if opts.rst_ack else opts.rule or synonly.SYN_ONLY
    cli.zlevel(opts), cli.byte_order(opts)
    inp = detect.Input(opts.operands, warn=cli.warn, ipv6=True)
    with detect.stream_writer(inp.header, cli.stdout_binary(), opts.comment,
                                  cli.byte_order(opts), cli.zlevel(opts)) as wr:
        synonly.filter_stream(rule, inp, inp.rectype, wr)
    if opts.debug > 0:
        cli.profile(inp.records_read, started)
    return cli.EXIT_ERROR if inp.warnings else cli.EXIT_OK

