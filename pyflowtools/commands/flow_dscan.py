"""flow-dscan -- report hosts that scan many hosts or many ports of one host,
and dump flows over octet/packet/duration thresholds (commands.md 8.12, 17)."""
from pyflowtools import cli, parallel
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.filters import lists
from pyflowtools.io import stream
from pyflowtools.report import dscan
from pyflowtools.util import daemon
from pyflowtools.util.log import Log

USAGE = ("Usage: flow-dscan [-bBhlmpwW] [-d debug_level] [-D ip_depth] [-i input_filter] "
         "[-I output_filter] [-L suppress_base] [-O octets] [-P packets] [-s state_file] "
         "[-S port_trigger] [-t ager_timeout] [-T time]")


def build_parser():
    p = cli.parser("flow-dscan", USAGE, help_status=1, unknown_status=1, common="d")
    for letter, dest in (("-b", "stderr"), ("-B", "foreground"), ("-l", "load"),
                         ("-m", "multicast"), ("-p", "save"), ("-w", "web_src"),
                         ("-W", "web_dst")):
        p.add_argument(letter, dest=dest, action="store_true")
    p.add_argument("-D", dest="ip_depth", type=cli.atoi, default=200)
    p.add_argument("-i", dest="in_ifs")
    p.add_argument("-I", dest="out_ifs")
    p.add_argument("-L", dest="suppress", default=dscan.DEFAULT_SUPPRESS)
    p.add_argument("-O", dest="octets", type=cli.atoi, default=0)
    p.add_argument("-P", dest="packets", type=cli.atoi, default=0)
    p.add_argument("-s", dest="state", default=dscan.DEFAULT_STATE)
    p.add_argument("-S", dest="port_trigger", type=cli.atoi, default=64)
    p.add_argument("-t", dest="ager_timeout", type=cli.atoi, default=90000)
    p.add_argument("-T", dest="msecs", type=cli.atoi, default=0)
    parallel.add_options(p)
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    parallel.refuse(parallel.plan(opts), "its ager expires hosts as the flows' times pass")
    cli.reject_operands(opts.operands)
    ifs = [None if t is None else lists.bitmap_of(t) for t in (opts.in_ifs, opts.out_ifs)]
    if not (opts.stderr or opts.foreground):
        if daemon.daemonize(None, 0, keep_stdin=True).parent:
            return cli.EXIT_OK
    log = Log("flow-dscan", use_syslog=not opts.stderr)
    prefix = b"flow-dscan: " if opts.stderr else b""
    try:
        return run(opts, ifs, log, prefix)
    except FlowToolsError as e:
        log(str(e))
        return cli.EXIT_ERROR
    except OSError as e:
        log("%s: %s" % (e.filename, e.strerror) if e.filename else str(e.strerror or e))
        return cli.EXIT_ERROR


def run(opts, ifs, log, prefix):
    det = dscan.Detector(opts.ip_depth, opts.port_trigger, opts.ager_timeout, opts.multicast,
                         opts.web_src, opts.web_dst, opts.octets, opts.packets, opts.msecs,
                         ifs[0], ifs[1], debug=opts.debug > 0, prefix=prefix)
    if opts.load:
        dscan.load_state(det, opts.state)

    def suppress():
        det.suppress(*dscan.load_suppress_lists(opts.suppress, log))

    emit = dscan.text_emitter(log, prefix)
    with dscan.Flags() as flags:
        suppress()
        with stream.reader(cli.stdin_binary(), ipv6=True) as rd:
            if rd.header.ipv6:
                raise FlowToolsError(dscan.NO_IPV6)
            if rd.header.d_version not in dscan.SUPPORTED_VERSIONS:
                log("Export version %d not supported by format" % rd.header.d_version)
                raise FlowToolsError("Unsupported export version")
            for batch in rd:
                det.add(batch, emit)
                if flags.usr1:
                    flags.usr1 = False
                    dscan.save_state(det, opts.state)
                if flags.hup:
                    flags.hup = False
                    suppress()
            for message in rd.warnings + ([rd.error] if rd.error else []):
                log(message)
    if opts.save:
        dscan.save_state(det, opts.state)
    return cli.EXIT_OK

