"""The one logger of the daemons (flow-capture, flow-receive, flow-fanout):
`prog: message` lines on stderr in the foreground, or syslog facility
LOG_LOCAL6 with LOG_PID once daemonised, as the reference's fterr does.

    log = Log("flow-capture", use_syslog=not opts.foreground)
    log("SIGHUP")
"""
import sys
import syslog


class Log:
    def __init__(self, prog, use_syslog=False):
        self.prog = prog
        self.syslog = use_syslog
        if use_syslog:
            syslog.openlog(prog, syslog.LOG_PID | syslog.LOG_NDELAY, syslog.LOG_LOCAL6)

    def __call__(self, msg):
        if self.syslog:
            syslog.syslog(syslog.LOG_INFO, msg)
            return
        try:
            sys.stderr.write("%s: %s\n" % (self.prog, msg))
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


def discard(msg):
    """A logger that drops every message (library defaults)."""
