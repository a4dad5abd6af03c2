"""flow-fanout -- relay NetFlow export datagrams received on one address to
several collectors (commands.md 8.6)."""
import syslog
import time

from pyflowtools import cli
from pyflowtools.netflow import fanout, send, udp
from pyflowtools.filters import nfilter

USAGE = ("usage: flow-fanout [-hDs] [-A AS0_substitution] [-d debug_level]\n"
         "       [-m privacy_mask] [-p pidfile] [-S stat_interval] [-V pdu_version]\n"
         "       [-x] xmit_delay] localip/remoteip/port localip/remoteip/port ...")


def build_parser():
    p = cli.parser("flow-fanout", USAGE, help_status=0, unknown_status=1, common="d")
    p.add_argument("-A", dest="as_sub", type=cli.atoi, default=0)
    p.add_argument("-D", dest="foreground", action="store_true")
    p.add_argument("-f", dest="filter_file")
    p.add_argument("-F", dest="filter_def")
    p.add_argument("-m", dest="mask", type=send.parse_mask, default=send.NO_MASK)
    p.add_argument("-p", dest="pidfile", default=fanout.PIDFILE)
    p.add_argument("-s", dest="keep_source", action="store_true")
    p.add_argument("-S", dest="stat_interval", type=cli.atoi, default=0)
    p.add_argument("-v", dest="variables", action="append")
    p.add_argument("-V", dest="version", type=send.parse_version)
    p.add_argument("-x", dest="delay", type=cli.atoi, default=0)
    return p


def filter_factory(opts):
    if not opts.filter_def:
        return None
    variables = dict(nfilter.parse_binding(v) for v in opts.variables)

    def load(rectype):
        cfg = nfilter.load(opts.filter_file, variables, warn=cli.warn)
        return cfg.program(opts.filter_def, rectype)
    return load


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    if not 0 <= opts.stat_interval <= 60:
        raise cli.FlowToolsError("Stat interval must be between 0 and 60.")
    if len(opts.operands) < 2:
        raise cli.FlowToolsError("Must define at least source and one destination.")
    pidfile = None if opts.pidfile in ("", "-") else opts.pidfile
    specs = [udp.parse_spec(t) for t in opts.operands]
    log = cli.warn
    if not opts.foreground:
        if fanout.daemonize(pidfile, specs[0].port):
            return cli.EXIT_OK
        syslog.openlog("flow-fanout", syslog.LOG_PID | syslog.LOG_NDELAY, syslog.LOG_LOCAL6)
        log = syslog.syslog
    outs = []
    for i, spec in enumerate(specs[1:]):
        outs.append(send.Output(spec, opts.keep_source, send.SPOOF_SPORT + i, opts.delay))
        if outs[-1].fallback:
            log(outs[-1].fallback)
    fo = fanout.Fanout(specs[0], outs, opts.version, opts.as_sub, opts.mask,
                       filter_factory(opts), log=log)
    flags = {}
    fanout.install_signals(flags)
    stat_next = -1
    try:
        while True:
            fo.step(timeout=1.0)
            if opts.stat_interval:
                tm = time.localtime()
                if stat_next in (-1, tm.tm_min):
                    for line in fo.stat_lines():
                        log(line)
                    stat_next = (tm.tm_min + opts.stat_interval
                                 - tm.tm_min % opts.stat_interval) % 60
            if flags.pop(fanout.signal.SIGQUIT, False):
                log("SIGQUIT")
                break
            if flags.pop(fanout.signal.SIGTERM, False):
                log("SIGTERM")
                break
            if flags.pop(fanout.signal.SIGHUP, False):
                log("SIGHUP")
                fo.reload()
    finally:
        fo.close()
        if pidfile and not opts.foreground:
            fanout.unlink_pidfile(pidfile, specs[0].port)
    if opts.debug > 0:
        cli.profile(fo.flows, fo.started)
    return cli.EXIT_OK

