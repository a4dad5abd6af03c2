"""flow-filter -- pass the flows that match lists, masks and access lists."""
import time

from pyflowtools import cli
from pyflowtools.filters import flowfilter

USAGE = ("Usage: flow-filter [-ko] [-a src_as] [-A dst_as] [-b big|little] [-C comment] "
         "[-D dst_acl] [-d debug] [-e exaddr] [-E ext_acl] [-f acl_file] [-i in_ifs] "
         "[-I out_ifs] [-p src_ports] [-P dst_ports] [-r protocols] [-S src_acl] "
         "[-t tos[/mask]] [-T tcp_flags[/mask]] [-x nexthop_acl] [-z level]")


def build_parser():
    p = cli.parser("flow-filter", USAGE, help_status=0, unknown_status=0, common="bCdz")
    p.remove_argument("-h", "-?")          # not in the reference's option string
    for letter in flowfilter.ORDER:
        p.add_argument("-" + letter, dest="opt_" + letter)
    p.add_argument("-f", dest="acl_file", default=flowfilter.DEFAULT_ACL)
    p.add_argument("-k", dest="keep_times", action="store_true")
    p.add_argument("-o", dest="or_mode", action="store_true")
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    tests = flowfilter.parse_tests(opts)
    cli.reject_operands(opts.operands)
    zlevel, order = cli.zlevel(opts), cli.byte_order(opts)
    started = time.time()
    done = flowfilter.run(tests, cli.stdin_binary(), cli.stdout_binary(),
                          acl_file=opts.acl_file, or_mode=opts.or_mode,
                          keep_times=opts.keep_times, comment=opts.comment,
                          byte_order=order, zlevel=zlevel, debug=opts.debug, warn=cli.warn)
    if opts.debug > 0:
        cli.profile(done.read, started)
    return cli.EXIT_OK

