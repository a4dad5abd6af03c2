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


class Budget:
    """At most `burst` messages a second (the daemons' per-datagram lines:
    corrupt datagrams, new exporters, sequence gaps); the rest are counted
    and reported in one line when the next second begins.

        budget.start(now)            # once per received batch
        if budget.allow(): log(...)  # per message
    """

    def __init__(self, log, burst=20):
        self.log = log
        self.burst = burst
        self.time = None
        self.left = 0

    def start(self, now):
        if self.time is None or now - self.time >= 1.0:
            if self.left < 0:
                self.log("%d more messages suppressed" % -self.left)
            self.time, self.left = now, self.burst

    def allow(self):
        self.left -= 1
        return self.left >= 0


def discard(msg):
    """A logger that drops every message (library defaults)."""
