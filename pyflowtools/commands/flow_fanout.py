"""flow-fanout -- relay NetFlow export datagrams received on one address to
several collectors (commands.md 8.6)."""
import os

from pyflowtools import cli
from pyflowtools.netflow import collector, fanout, send, transform, udp
from pyflowtools.util import daemon
from pyflowtools.util.log import Log

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
    p.add_argument("-t", dest="tag_file")
    p.add_argument("-T", dest="tag_def")
    p.add_argument("-x", dest="delay_or_xlate")
    p.add_argument("-X", dest="xlate_def")
    return p


def delay_or_xlate(opts):
    """-x: a number is the reference's delay (microseconds); anything else
    names the xlate file (opts.delay, opts.xlate_file)."""
    v = opts.delay_or_xlate
    if v is not None and not v.strip().lstrip("+-").isdigit():
        opts.delay, opts.xlate_file = 0, v
    else:
        opts.delay, opts.xlate_file = (cli.atoi(v) if v is not None else 0), None


def filter_factory(opts):
    """-f/-F: rectype -> Program, loading the file again at each call (SIGHUP)."""
    if not opts.filter_def or opts.tagging:       # tagging: the Transform filters
        return None
    return lambda rectype: collector.load_filter(
        opts.filter_file, opts.filter_def, opts.variables, cli.warn).program(opts.filter_def,
                                                                            rectype)


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    if not 0 <= opts.stat_interval <= 60:
        raise cli.FlowToolsError("Stat interval must be between 0 and 60.")
    if len(opts.operands) < 2:
        raise cli.FlowToolsError("Must define at least source and one destination.")
    specs = [udp.parse_spec(t) for t in opts.operands]
    delay_or_xlate(opts)
    opts.tagging = opts.tag_file is not None or opts.tag_def is not None
    tr = None
    if opts.tagging or opts.xlate_file is not None or opts.xlate_def is not None:
        tr = transform.capture_transform(opts, os.getcwd(), cli.warn)[0]  # before chdir("/")
    signals = daemon.Signals()       # before binding: a signal once bound is never lost
    fo = pidfile = None
    try:
        if not opts.foreground:
            d = daemon.daemonize(None if opts.pidfile in ("", "-") else opts.pidfile,
                                 specs[0].port, chdir="/", umask=0o022)
            if d.parent:
                if d.warning:
                    cli.warn(d.warning)
                return cli.EXIT_OK
            pidfile = d.pidfile
        log = Log("flow-fanout", use_syslog=not opts.foreground)
        outs = []
        for i, spec in enumerate(specs[1:]):
            outs.append(send.Output(spec, opts.keep_source, send.SPOOF_SPORT + i, opts.delay))
            if outs[-1].fallback:
                log(outs[-1].fallback)
        fo = fanout.Fanout(specs[0], outs, opts.version, opts.as_sub, opts.mask,
                           filter_factory(opts), log=log, transform=tr)
        fo.run(signals, opts.stat_interval)
    finally:
        if fo is not None:
            fo.close()
        signals.restore()
        daemon.unlink_pidfile(pidfile)
    if opts.debug > 0:
        cli.profile(fo.flows, fo.started)
    return cli.EXIT_OK
