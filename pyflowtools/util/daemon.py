"""Daemon plumbing shared by flow-capture and flow-fanout: detaching with
a pidfile (the reference appends the listening port to its name) and the
signal flags their loops poll.

    d = daemon.daemonize("/var/run/flow-capture.pid", port)
    if d.parent:                  # the command warns d.warning and exits 0
        ...
    signals = daemon.Signals()    # SIGTERM/SIGQUIT -> .stop, SIGHUP -> .hup
    ...
    daemon.unlink_pidfile(d.pidfile)
"""
import collections
import os
import signal

from pyflowtools.util import files

Detached = collections.namedtuple("Detached", "parent pidfile warning")
Detached.__doc__ = ("daemonize()'s result: parent True in the process that must exit 0; "
                    "pidfile the path written (or None); warning the text of a pidfile "
                    "that could not be written (parent only), else None.")


def pidfile_name(path, port):
    """The reference appends the listening port: /var/run/flow-fanout.pid.9991."""
    return "%s.%d" % (path, port)


def daemonize(pidfile, port, chdir=None, umask=None, keep_stdin=False):
    """Fork.  The parent writes the child's pid to pidfile.<port> (pidfile
    None: no file) and returns Detached(parent=True, ...): it must exit 0.
    The child starts a new session with stdin/stdout/stderr on /dev/null
    (stdin kept with keep_stdin: flow-dscan reads it) (after chdir and
    umask when given) and returns Detached(parent=False)."""
    path = pidfile_name(pidfile, port) if pidfile else None
    pid = os.fork()
    if pid:
        warning = None
        if path:
            try:
                files.replace(path, b"%d\n" % pid)
            except OSError as e:
                warning = "%s: %s" % (path, e.strerror)
        return Detached(True, path, warning)
    if chdir is not None:
        os.chdir(chdir)
    if umask is not None:
        os.umask(umask)
    os.setsid()
    fd = os.open(os.devnull, os.O_RDWR)
    for k in (1, 2) if keep_stdin else (0, 1, 2):
        os.dup2(fd, k)
    if fd > 2:
        os.close(fd)
    return Detached(False, path, None)


def unlink_pidfile(path):
    """Remove the pidfile written by daemonize() (path None: nothing)."""
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def block_signals():
    """In a worker thread: leave the daemons' signals to the main thread."""
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP, signal.SIGTERM, signal.SIGQUIT,
                                                  signal.SIGINT, signal.SIGCHLD})
    except (AttributeError, ValueError, OSError):
        pass


class Signals:
    """Flags set by signal handlers, polled by a loop (the daemons', and
    flow-cat's copy, which ends after the current batch): a signal of
    `stop` sets .stop to its number; SIGHUP (unless a stop signal) sets
    .hup.  restore() -- or leaving a `with` block -- puts the previous
    handlers back.  A signal that cannot be caught here (not the main
    thread) is left alone."""

    def __init__(self, stop=(signal.SIGTERM, signal.SIGQUIT)):
        self.hup = False
        self.stop = None
        self._old = {}
        for sig in stop:
            self._catch(sig, self._on_stop)
        if signal.SIGHUP not in stop:
            self._catch(signal.SIGHUP, self._on_hup)

    def _catch(self, sig, handler):
        try:
            self._old[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.restore()

    def _on_stop(self, sig, frame):
        self.stop = sig

    def _on_hup(self, sig, frame):
        self.hup = True

    def take_hup(self):
        """True once per SIGHUP received since the last call."""
        hup, self.hup = self.hup, False
        return hup

    @property
    def stop_name(self):
        """`SIGTERM` etc. of the stop signal received (None before)."""
        return None if self.stop is None else signal.Signals(self.stop).name

    def restore(self):
        for sig, h in self._old.items():
            signal.signal(sig, h)
        self._old = {}
