"""flow-expire -- remove the oldest capture files by count or total size
(commands.md 8.7)."""
import time

from pyflowtools import cli
from pyflowtools.netflow import expire

USAGE = "Usage: flow-expire [-h] [-d debug_level] [-e expire_count] [-E expire_size] -w workdir"


def build_parser():
    p = cli.parser("flow-expire", USAGE, help_status=0, unknown_status=0, common="d")
    p.add_argument("-e", dest="count", type=cli.atoi, default=0)
    p.add_argument("-E", dest="size")
    p.add_argument("-w", dest="workdir", default=".")
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    cli.reject_operands(opts.operands)
    size = expire.parse_size(opts.size) if opts.size else 0
    ager = expire.Ager(opts.count, size, dry_run=opts.debug > 0)
    ignored = []
    ager.scan(opts.workdir, ignored)
    if opts.debug > 0:
        for name in ignored:
            cli.warn("ignoring: %s" % name)
        for start, name, nbytes in ager.files:
            cli.warn("name=%s size=%d time=%s" % (name, nbytes, time.ctime(start)))
    for name in ager.enforce():
        if opts.debug > 0:
            cli.warn("remove/1 %s" % name)
    return cli.EXIT_OK

