"""flow-receive -- receive NetFlow export datagrams and write one flow
stream to stdout or a file (commands.md 8.4)."""
import signal

from pyflowtools import cli
from pyflowtools.netflow import capture, collector
from pyflowtools.util import daemon
from pyflowtools.util.log import Log

USAGE = ("Usage: flow-receive [-h] [-b big|little] [-C comment] [-d debug_level] "
         "[-o filename] [-S stat_interval] [-V pdu_version] [-z z_level] "
         "[localip/remoteip/port]")


def build_parser():
    p = cli.parser("flow-receive", USAGE, help_status=0, unknown_status=0, common="bCdz")
    p.add_argument("-o", dest="output")
    p.add_argument("-S", dest="stat_interval", type=cli.atoi, default=0)
    p.add_argument("-V", dest="version")
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    opts.zlevel = cli.zlevel(opts)
    opts.byte_order = cli.byte_order(opts)
    capture.check_receive_options(opts)
    log = Log("flow-receive")
    signals = daemon.Signals(stop=(signal.SIGTERM, signal.SIGQUIT, signal.SIGINT, signal.SIGHUP))
    col = None
    try:
        col = collector.Collector(opts.spec, opts.rectype, log=log)
        to_file = bool(opts.output) and opts.output != "-"
        dst = opts.output if to_file else cli.stdout_binary()
        capture.Receive(opts, dst, to_file, log).run(col, signals)
    finally:
        if col is not None:
            col.close()
        signals.restore()
    return cli.EXIT_OK
