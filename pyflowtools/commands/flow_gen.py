"""flow-gen -- write a synthetic flow stream (the reference's test data)."""

from pyflowtools import cli
from pyflowtools.io import gen

USAGE = ("Usage: flow-gen [-h] [-b big|little] [-d debug_level] [-n count] "
         "[-V version] [-z z_level]")


def build_parser():
    p = cli.parser("flow-gen", USAGE, help_status=0, unknown_status=1, common="bdz")
    p.add_argument("-n", dest="count", type=cli.atoi, default=1000)
    p.add_argument("-V", dest="version", default="5")
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    cli.reject_operands(opts.operands)
    version, agg = gen.parse_version(opts.version, ipv6=True)
    gen.write(cli.stdout_binary(), version, agg, max(opts.count, 0),
              byte_order=cli.byte_order(opts), zlevel=cli.zlevel(opts))
    return cli.EXIT_OK

