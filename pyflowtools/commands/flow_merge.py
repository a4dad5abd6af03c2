"""flow-merge -- interleave flow files, directories and stdin by flow end time."""
import time

from pyflowtools import cli
from pyflowtools.io import merge

USAGE = ("Usage: flow-merge [-aghm] [-b big|little] [-C comment] [-d debug_level]\n"
         "       [-o filename] [-z z_level] [file|directory ...]")


def build_parser():
    p = cli.parser("flow-merge", USAGE, help_status=1, unknown_status=1, common="bCdz")
    for letter, dest in (("-a", "all"), ("-g", "group"), ("-m", "nommap")):
        p.add_argument(letter, dest=dest, action="store_true")
    p.add_argument("-o", dest="output")
    # -i is in the reference's option string but has no case: usage, exit 1
    p.add_argument("-i", dest="unhandled", action="help")
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    zlevel, order = cli.zlevel(opts), cli.byte_order(opts)
    started = time.time()
    if opts.output:
        dst, regular = merge.open_output(opts.output)
    else:
        dst, regular = cli.stdout_binary(), False
    try:
        done = merge.merge(opts.operands, dst, all_files=opts.all, group=opts.group,
                           byte_order=order, zlevel=zlevel, comment=opts.comment,
                           regular=regular, warn=cli.warn, debug=opts.debug,
                           prog=cli.prog())
    finally:
        if opts.output:
            dst.close()
    if opts.debug > 0:
        cli.profile(done.records, started)
    return cli.EXIT_OK
