"""flow-header -- print the header of the flow stream on stdin."""
import sys

from pyflowtools import cli
from pyflowtools.io import sink, stream

USAGE = "Usage: flow-header [-h] [-c comment_char] [-d debug_level]"


def build_parser():
    p = cli.parser("flow-header", USAGE, help_status=0, unknown_status=0, common="d")
    p.add_argument("-c", dest="cc", default="#")
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    cli.reject_operands(opts.operands)
    with stream.reader(cli.stdin_binary(), ipv6=True) as rd, sink.TextSink(sys.stdout) as text:
        text.text(rd.header.describe(opts.cc[:1] or "#"))
    return cli.EXIT_OK

