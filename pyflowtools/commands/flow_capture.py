"""flow-capture -- receive NetFlow export datagrams and store them in
rotating flow files under a work directory (commands.md 8.3)."""

import os

from pyflowtools import cli
from pyflowtools.netflow import capture, collector, naming, transform
from pyflowtools.util import daemon, files
from pyflowtools.util.log import Log

USAGE = ("Usage: flow-capture [-hu] [-b big|little] [-C comment] [-c flow_clients] "
         "[-d debug_level] [-D daemonize] [-e expire_count] [-E expire_size[bKMG]] "
         "[-f filter_fname] [-F filter_definition] [-n rotations] [-N nesting_level] "
         "[-p pidfile] [-R rot_program] [-S stat_interval] [-t tag_fname] "
         "[-T tag_active] [-v variable binding] [-V pdu_version] [-x xlate_fname] "
         "[-X xlate_definition] [-z z_level] -w workdir localip/remoteip/port")


def build_parser():
    p = cli.parser("flow-capture", USAGE, help_status=0, unknown_status=1, common="bCdz")
    p.add_argument("-c", dest="clients", type=cli.atoi, default=0)
    p.add_argument("-D", dest="foreground", action="store_true")
    p.add_argument("-e", dest="expire_count", type=cli.atoi, default=0)
    p.add_argument("-E", dest="expire_size_text")
    p.add_argument("-f", dest="filter_file")
    p.add_argument("-F", dest="filter_def")
    p.add_argument("-n", dest="rotations", type=cli.atoi, default=naming.DEFAULT_ROTATIONS)
    p.add_argument("-N", dest="nesting", type=cli.atoi, default=naming.DEFAULT_NESTING)
    p.add_argument("-p", dest="pidfile")
    p.add_argument("-R", dest="program")
    p.add_argument("-S", dest="stat_interval", type=cli.atoi, default=0)
    p.add_argument("-t", dest="tag_file")
    p.order = []            # -T and -V as given (capture.check_options)
    p.add_argument("-T", dest="tag_def", type=lambda v: p.order.append(("T", v)) or v)
    p.add_argument("-u", dest="keep_umask", action="store_true")
    p.add_argument("-v", dest="variables", action="append")
    p.add_argument("-V", dest="version", type=lambda v: p.order.append(("V", v)) or v)
    p.add_argument("-w", dest="workdir")
    p.add_argument("-x", dest="xlate_file")
    p.add_argument("-X", dest="xlate_def")
    return p


def main(argv=None):
    parser = build_parser()
    opts = cli.parse(parser, argv, operands=True)
    opts.order = parser.order
    opts.zlevel = 6 if opts.zlevel is None else cli.zlevel(opts)
    opts.byte_order = cli.byte_order(opts)
    capture.check_options(opts)
    if not opts.keep_umask:
        os.umask(0o022)
    if opts.clients:
        cli.warn("-c %d: TCP clients are not supported; ignored" % opts.clients)
    opts.workdir = os.path.abspath(opts.workdir)
    files.makedirs(opts.workdir, 0o755)
    tr, cfg = transform.capture_transform(opts, opts.workdir, cli.warn)
    signals = daemon.Signals()       # before binding: a signal once bound is never lost
    col = pidfile = None
    try:
        col = collector.Collector(opts.spec, opts.rectype, filter_cfg=cfg,
                                  filter_name=opts.filter_name, template_dir=opts.workdir)
        if not opts.foreground:
            d = daemon.daemonize(None if opts.pidfile == "-" else
                                 opts.pidfile or capture.DEFAULT_PIDFILE, opts.spec.port)
            if d.parent:
                if d.warning:
                    cli.warn(d.warning)
                return cli.EXIT_OK
            pidfile = d.pidfile
        col.log = log = Log("flow-capture", use_syslog=not opts.foreground)
        loader = None
        if cfg is not None:
            def loader():
                return collector.load_filter(transform.resolve(opts.filter_file, opts.workdir),
                                             opts.filter_def, opts.variables, log)
        capture.Capture(opts, log, transform=tr, filter_loader=loader).run(col, signals)
    finally:
        if col is not None:
            col.close()
        signals.restore()
        daemon.unlink_pidfile(pidfile)
    return cli.EXIT_OK
