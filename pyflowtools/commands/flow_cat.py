"""flow-cat -- concatenate flow files, directories and stdin into one stream."""
import time

from pyflowtools.io import cat, gen
from pyflowtools import cli

USAGE = ("Usage: flow-cat [-aghmp] [-b big|little] [-C comment] [-d debug_level] "
         "[-o filename] [-t start_time] [-T end_time] [-z z_level] [file|directory ...]")


def _version(text):
    """-V (ours): a record version to convert into, 1006 included."""
    return gen.parse_version(text, ipv6=True)


def build_parser():
    p = cli.parser("flow-cat", USAGE, help_status=1, unknown_status=1, common="bCdz")
    for letter, dest in (("-a", "all"), ("-g", "group"), ("-m", "nommap"), ("-p", "preload")):
        p.add_argument(letter, dest=dest, action="store_true")
    p.add_argument("-o", dest="output")
    p.add_argument("-t", dest="start")
    p.add_argument("-T", dest="end")
    p.add_argument("-V", dest="version", type=_version)
    return p


def _time(text):
    if text is None:
        return None
    from pyflowtools.util import getdate
    try:
        return getdate.parse(text)
    except ValueError:
        raise cli.FlowToolsError("Error parsing time: %s." % text) from None


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    zlevel, order = cli.zlevel(opts), cli.byte_order(opts)
    t_start, t_end = _time(opts.start), _time(opts.end)
    dst = opts.output if opts.output else cli.stdout_binary()
    started = time.time()
    done = cat.concatenate(opts.operands, dst, all_files=opts.all, group=opts.group,
                           preload=opts.preload, t_start=t_start, t_end=t_end,
                           byte_order=order, zlevel=zlevel, comment=opts.comment,
                           to_file=bool(opts.output), warn=cli.warn, debug=opts.debug,
                           version=opts.version, prog=cli.prog())
    if opts.debug > 0 and done.selected:
        cli.profile(done.records, started)
    return cli.EXIT_OK if done.streams else cli.EXIT_ERROR

