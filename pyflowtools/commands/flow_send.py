"""flow-send -- send a flow stream on stdin as NetFlow export datagrams
(commands.md 8.5)."""
import time

from pyflowtools import cli
from pyflowtools.netflow import send, udp
from pyflowtools.io import stream

USAGE = ("Usage: flow-send [-h] [-d debug_level] [-x xmit_delay] [-V pdu_version]\n"
         "       localip/remoteip/port")


def build_parser():
    p = cli.parser("flow-send", USAGE, help_status=0, unknown_status=0, common="d")
    p.add_argument("-m", dest="mask", type=send.parse_mask, default=send.NO_MASK)
    p.add_argument("-s", dest="keep_source", action="store_true")
    p.add_argument("-V", dest="version", type=send.parse_version)
    p.add_argument("-x", dest="delay", type=cli.atoi, default=0)
    return p


def main(argv=None):
    p = build_parser()
    opts = cli.parse(p, argv, operands=True)
    if not opts.operands:
        p.print_usage_text()
        return cli.EXIT_ERROR
    specs = [udp.parse_spec(text) for text in opts.operands]
    started = time.time()
    with stream.reader(cli.stdin_binary()) as rd:
        outs = []
        try:
            for spec in specs:
                outs.append(send.Output(spec, opts.keep_source, delay_us=opts.delay))
                if outs[-1].fallback:
                    cli.warn(outs[-1].fallback)
            flows, _, status = send.send_stream(rd, outs, opts.version, opts.mask)
        finally:
            for out in outs:
                out.close()
        for message in rd.warnings + ([rd.error] if rd.error else []):
            cli.warn(message)
    if opts.debug > 0:
        cli.profile(flows, started)
    return status

