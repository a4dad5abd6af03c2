"""flow-capture and flow-receive (formats.md 6-7, commands.md 8.3-8.4): the
receive loop, capture files (tmp- then ft- names, nesting, rotation,
header TLVs), signals, logging and the writer thread.

The receiving path never compresses or writes: the main thread takes
batches of datagrams (udp.BatchReceiver, one C call), verifies and decodes
them (pdu.Receiver, one C call), and queues the records; a writer thread
swaps byte order, deflates (stream.Deflater, on worker threads) and
writes, opens, finishes and renames files in queue order, so a file's
final header always counts exactly the records queued for it.
"""
import collections
import os
import signal
import socket
import subprocess
import sys
import syslog
import threading
import time

from pyflowtools.io import header as hdr
from pyflowtools.netflow import pdu, udp
from pyflowtools.io import stream
from pyflowtools.core.native import HOST_ORDER, ffi, lib, rectype as _rectype
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.util import ipv4

DEFAULT_ROTATIONS = 95
DEFAULT_NESTING = 3
DEFAULT_PIDFILE = "/var/run/flow-capture.pid"
QUEUE_BYTES = 64 << 20          # records queued for the writer, at most
TIMEOUT = 1.0                   # the reference's select() timeout


# ---------------------------------------------------------------------------
# logging: stderr in the foreground, syslog LOCAL6 when daemonised

class Log:
    def __init__(self, prog, use_syslog=False):
        self.prog = prog
        self.syslog = use_syslog
        if use_syslog:
            syslog.openlog(prog, syslog.LOG_PID, syslog.LOG_LOCAL6)

    def __call__(self, msg):
        if self.syslog:
            syslog.syslog(syslog.LOG_INFO, msg)
            return
        try:
            sys.stderr.write("%s: %s\n" % (self.prog, msg))
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


# ---------------------------------------------------------------------------
# names, nesting, rotation

def version_tag(rectype):
    """`vNN` or `v08mMM` of a record type (formats.md 7.2)."""
    from pyflowtools.core.native import layout
    version, agg = layout(rectype)[:2]
    if version == 8:
        return "v%02dm%02d" % (version, agg)
    return "v%02d" % version


def utc_offset(lt):
    off = lt.tm_gmtoff or 0
    sign = "-" if off < 0 else "+"
    off = abs(off) // 60
    return "%s%02d%02d" % (sign, off // 60, off % 60)


def nest_dirs(lt, nesting):
    """Directories of -N nesting for local time lt (formats.md 7.3)."""
    y, ym, ymd = (time.strftime(f, lt) for f in ("%Y", "%Y-%m", "%Y-%m-%d"))
    return {0: [], 1: [y], 2: [y, ym], 3: [y, ym, ymd], -3: [y, ym, ymd],
            -1: [ymd], -2: [ym, ymd]}[nesting]


def file_name(rectype, t, prefix="ft-"):
    """`ft-v05.2026-11-22.031102+0000` for creation time t (local time)."""
    lt = time.localtime(t)
    return "%s%s.%s%s" % (prefix, version_tag(rectype),
                          time.strftime("%Y-%m-%d.%H%M%S", lt), utc_offset(lt))


def rel_path(rectype, t, nesting, prefix="ft-"):
    lt = time.localtime(t)
    return os.path.join(*(nest_dirs(lt, nesting) + [file_name(rectype, t, prefix)]))


def local_midnight(t):
    lt = time.localtime(t)
    return time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday, 0, 0, 0, 0, 0, -1))


def next_rotation(t, rotations):
    """First rotation boundary after t: rotations+1 intervals per day from
    local midnight (formats.md 7.4)."""
    interval = 86400 // (rotations + 1)
    midnight = local_midnight(t)
    k = int((t - midnight) // interval) + 1
    nxt = midnight + k * interval
    tomorrow = local_midnight(midnight + 86400 + 7200)
    return min(nxt, tomorrow)


def capture_header(rectype, start, hostname, comment, counts=(0, 0, 0, 0), done=False):
    """The header of a capture file (formats.md 2.5, 7.7): counts are
    (flows, lost, corrupt, resets)."""
    from pyflowtools.core.native import layout
    version, agg = layout(rectype)[:2]
    h = hdr.Header(version, agg)
    h.flags = hdr.DONE if done else 0
    h.set(hdr.CAP_START, "cap_start", int(start))
    h.set(hdr.CAP_END, "cap_end", int(time.time()) if done else 0)
    h.set(hdr.FLOW_COUNT, "flows_count", counts[0])
    h.set(hdr.FLOW_LOST, "flows_lost", counts[1])
    h.set(hdr.PKT_CORRUPT, "pkts_corrupt", counts[2])
    h.set(hdr.SEQ_RESET, "seq_reset", counts[3])
    h.set(hdr.CAP_HOSTNAME, "cap_hostname", hostname)
    if comment is not None:
        h.set(hdr.COMMENTS, "comments", comment)
    return h


# ---------------------------------------------------------------------------
# the writer thread

class WriterThread(threading.Thread):
    """Runs file work in queue order: open(path, header), data(records),
    close(final header, rename), call(fn).  The queue is bounded in bytes,
    so a slow disk holds the receiver back instead of eating memory."""

    def __init__(self, byte_order, zlevel, limit=QUEUE_BYTES):
        super().__init__(name="flow-writer", daemon=True)
        self.order = byte_order or HOST_ORDER
        self.zlevel = zlevel
        self.limit = limit
        self.q = collections.deque()
        self.queued = 0
        self.cv = threading.Condition()
        self.error = None
        self.w = None
        self.bytes_written = 0      # record bytes written to the open file

    # -- producer side --------------------------------------------------
    def _put(self, item, nbytes=0):
        with self.cv:
            while self.queued > self.limit and self.error is None and self.is_alive():
                self.cv.wait(0.5)
            self.q.append(item)
            self.queued += nbytes
            self.cv.notify_all()

    def open(self, path, header, rewrite=True):
        self._put(("open", path, header, rewrite))

    def data(self, records, rectype):
        if len(records):
            self._put(("data", bytearray(records), rectype), len(records))

    def close(self, final_header=None, rename=None, then=None):
        self._put(("close", final_header, rename, then))

    def call(self, fn):
        self._put(("call", fn))

    def stop(self, timeout=None):
        self._put(None)
        self.join(timeout)

    def pending(self):
        with self.cv:
            return self.queued

    # -- consumer side --------------------------------------------------
    def run(self):
        try:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP, signal.SIGTERM,
                                                      signal.SIGQUIT, signal.SIGINT,
                                                      signal.SIGCHLD})
        except (AttributeError, ValueError, OSError):
            pass
        while True:
            with self.cv:
                while not self.q:
                    self.cv.wait()
                item = self.q.popleft()
            if item is None:
                self._close_quietly()
                return
            try:
                if self.error is None:
                    self._do(item)
            except BaseException as e:     # reported by the main thread
                self.error = e
                self._close_quietly()
            finally:
                if item[0] == "data":
                    with self.cv:
                        self.queued -= len(item[1])
                        self.cv.notify_all()

    def _do(self, item):
        kind = item[0]
        if kind == "open":
            _, path, header, rewrite = item
            if isinstance(path, str):
                d = os.path.dirname(path)
                if d:
                    os.makedirs(d, mode=0o755, exist_ok=True)
            self.w = stream.Writer(path, header, byte_order=self.order, zlevel=self.zlevel,
                                   rewrite=rewrite)
            self.bytes_written = 0
        elif kind == "data":
            _, buf, rt = item
            if self.order != HOST_ORDER:
                n = len(buf) // self.w.rec_size
                st = lib.ftc_recs_swap(rt, ffi.from_buffer("uint8_t[]", buf), n)
                if st < 0:
                    raise FlowToolsError("byte swap failed")
            self.w.write_bytes(buf)
            self.bytes_written += len(buf)
        elif kind == "close":
            _, final, rename, then = item
            if self.w is not None:
                self.w.close(final)
                self.w = None
            if rename is not None:
                os.rename(*rename)
            if then is not None:
                then()
        elif kind == "call":
            item[1]()

    def _close_quietly(self):
        if self.w is not None:
            try:
                self.w.close()
            except Exception:
                pass
            self.w = None


# ---------------------------------------------------------------------------
# receiving

class Collector:
    """Socket + datagram checks + sequence accounting + optional filter.
    poll() returns the records of everything that arrived (host order) and
    adds to the pending per-file counters."""

    def __init__(self, spec, rectype=None, log=None, filter_cfg=None, filter_name=None,
                 slots=4096):
        self.spec = spec
        self.sock = udp.listen(spec)
        self.rx = udp.BatchReceiver(self.sock, slots=slots)
        self.tracker = pdu.SequenceTracker()
        remote = 0
        if not udp.is_any(spec.remote):
            import ipaddress
            if not ipaddress.ip_address(spec.remote).is_multicast:
                remote = ipv4.from_socket(spec.remote)
        self.receiver = pdu.Receiver(rectype, self.tracker, remote_ip=remote)
        self.log = log or (lambda m: None)
        self.filter_cfg = filter_cfg
        self.filter_name = filter_name
        self.prog = None
        self.counts = [0, 0, 0]          # lost, corrupt, resets (not yet in a file)
        self.total_flows = 0
        self.total_pdus = 0
        self._log_budget = 0
        self._log_time = 0

    @property
    def rectype(self):
        return self.receiver.rectype

    def port(self):
        return self.sock.getsockname()[1]

    def close(self):
        self.sock.close()

    def poll(self, timeout):
        b = self.rx.recv(timeout)
        if b.n == 0:
            return None
        res = self.receiver.feed(b.data, b.lens, b.src_ips, b.dst_ips)
        self.total_pdus += b.n
        self.counts[0] += res.lost
        self.counts[1] += res.corrupt
        self.counts[2] += res.resets
        if res.events:
            self._events(res.events)
        if res.count == 0:
            return None
        records = res.records
        if self.filter_cfg is not None:
            if self.prog is None:
                self.prog = self.filter_cfg.program(self.filter_name, res.rectype)
            kept = self.prog.apply(res.batch())
            records = kept.view()
            count = kept.n
        else:
            count = res.count
        self.total_flows += count
        return records, count

    def _events(self, events):
        now = time.time()
        if now - self._log_time >= 1.0:
            if self._log_budget < 0:
                self.log("%d more messages suppressed" % -self._log_budget)
            self._log_time, self._log_budget = now, 20
        for e in events:
            if self._log_budget <= 0:
                self._log_budget -= 1
                continue
            self._log_budget -= 1
            src, dst = ipv4.text(e.src_ip), ipv4.text(e.dst_ip)
            if e.kind == pdu.EV_EXPORTER:
                self.log("New exporter: time=%d src_ip=%s dst_ip=%s d_version=%d"
                         % (int(now), src, dst, e.version))
            elif e.kind == pdu.EV_SEQ:
                self.log("ftpdu_seq_check(): src_ip=%s dst_ip=%s d_version=%d expecting=%d "
                         "received=%d lost=%d" % (src, dst, e.version, e.expected,
                                                  e.received, e.lost))
            else:
                self.log("ftpdu_verify(): src_ip=%s failed: %s"
                         % (src, pdu.REASONS.get(e.reason, "corrupt")))

    def take_counts(self):
        c, self.counts = self.counts, [0, 0, 0]
        return c

    def stat_lines(self, now, started):
        """-S: one STAT line per exporter key."""
        out = []
        for s in self.tracker.exporters():
            out.append("STAT: now=%d startup=%d src_ip=%s dst_ip=%s d_ver=%d pkts=%d "
                       "flows=%d lost=%d reset=%d filter_drops=%d"
                       % (now, started, ipv4.text(s.exporter_ip),
                          ipv4.text(s.local_ip), s.version, s.pkts, s.flows, s.lost,
                          s.resets, s.filtered))
        return out


# ---------------------------------------------------------------------------
# signals

class Signals:
    """SIGHUP -> rotate; SIGTERM/SIGQUIT (flow-receive: all four) -> stop."""

    def __init__(self, stop=(signal.SIGTERM, signal.SIGQUIT)):
        self.hup = False
        self.stop = None
        self._old = {}
        for sig in stop:
            self._old[sig] = signal.signal(sig, self._on_stop)
        if signal.SIGHUP not in stop:
            self._old[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._on_hup)

    def _on_stop(self, sig, frame):
        self.stop = sig

    def _on_hup(self, sig, frame):
        self.hup = True

    def restore(self):
        for sig, h in self._old.items():
            signal.signal(sig, h)


# ---------------------------------------------------------------------------
# flow-capture

class Capture:
    """flow-capture's main loop over a Collector, a WriterThread and files."""

    def __init__(self, opts, log):
        self.o = opts
        self.log = log
        self.hostname = socket.gethostname()
        self.workdir = os.path.abspath(opts.workdir)
        self.writer = WriterThread(opts.byte_order, opts.zlevel)
        self.cur = None            # (tmp path, final path, start, rel final path)
        self.flows = 0             # records queued into the open file
        self.counts = [0, 0, 0]    # lost, corrupt, resets of the open file
        self.rotate_at = None
        self.last_start = 0        # creation second of the previous file
        self.held = []             # records that wait for the next second's file
        self.children = []
        self.to_run = collections.deque()   # -R: finished files, from the writer thread
        self.expired_at = 0
        from pyflowtools.netflow.expire import Ager
        self.ager = Ager(opts.expire_count, opts.expire_size, dry_run=opts.debug > 0, log=log)

    def run(self, collector, signals):
        o = self.o
        self.writer.start()
        if self.ager.enabled:
            self.ager.scan(self.workdir)
        started = time.time()
        next_stat = started + o.stat_interval * 60 if o.stat_interval else None
        try:
            while True:
                now = time.time()
                if signals.stop is not None:
                    self.log({signal.SIGTERM: "SIGTERM", signal.SIGQUIT: "SIGQUIT",
                              signal.SIGINT: "SIGINT"}.get(signals.stop, "signal"))
                    break
                if signals.hup:
                    signals.hup = False
                    self.log("SIGHUP")
                    self.finish()
                if self.cur is not None and now >= self.rotate_at:
                    self.finish()
                if self.cur is None and collector.rectype is not None:
                    self.open(collector.rectype, now)
                if next_stat is not None and now >= next_stat:
                    for line in collector.stat_lines(int(now), int(started)):
                        self.log(line)
                    next_stat = now + o.stat_interval * 60
                self._check_writer()
                self._reap()
                if self.cur is not None and self.ager.enabled and now - self.expired_at >= 1:
                    self.expired_at = now
                    self.writer.call(self._expire)
                timeout = TIMEOUT
                if self.cur is not None:
                    timeout = max(0.0, min(TIMEOUT, self.rotate_at - now))
                elif collector.rectype is not None:      # a file may open next second
                    timeout = min(TIMEOUT, max(0.01, int(now) + 1 - now))
                got = collector.poll(timeout)
                self._add(collector.take_counts())
                if got is None:
                    continue
                records, count = got
                if self.cur is None:
                    self.open(collector.rectype, time.time())
                if self.cur is None:
                    self.held.append((bytes(records), count))
                    continue
                self.writer.data(records, collector.rectype)
                self.flows += count
        finally:
            if self.held and collector.rectype is not None:
                while self.cur is None:
                    time.sleep(max(0.0, self.last_start + 1 - time.time()))
                    self.open(collector.rectype, time.time())
            if self.cur is not None:
                self.finish()
            self.writer.stop()
            self._reap()
            self._check_writer()
            for c in self.children:
                try:
                    c.wait(5)
                except subprocess.TimeoutExpired:
                    pass

    def _add(self, c):
        for i in range(3):
            self.counts[i] += c[i]

    def _check_writer(self):
        if self.writer.error is not None:
            e = self.writer.error
            raise e if isinstance(e, (OSError, FlowToolsError)) else FlowToolsError(str(e))

    def open(self, rectype, now):
        """Open the next file, unless one was created in this second already
        (same name): then records wait in .held for the next second."""
        if int(now) <= self.last_start:
            return
        self.last_start = int(now)
        rel_tmp = rel_path(rectype, now, self.o.nesting, "tmp-")
        rel_ft = rel_path(rectype, now, self.o.nesting, "ft-")
        tmp = os.path.join(self.workdir, rel_tmp)
        final = os.path.join(self.workdir, rel_ft)
        h = capture_header(rectype, now, self.hostname, self.o.comment,
                           (0, *self.counts))
        self.writer.open(tmp, h)
        self.cur = (tmp, final, int(now), rel_ft, rectype)
        self.rotate_at = next_rotation(now, self.o.rotations)
        self.flows = 0
        for records, count in self.held:
            self.writer.data(records, rectype)
            self.flows += count
        self.held = []

    def finish(self):
        """Final header (DONE, CAP_END, counts), rename, -R, ager."""
        if self.cur is None:
            return
        tmp, final, start, rel_ft, rectype = self.cur
        h = capture_header(rectype, start, self.hostname, self.o.comment,
                           (self.flows, *self.counts), done=True)
        self.writer.close(h, (tmp, final), lambda: self._finished(final, rel_ft, start))
        self.cur = None
        self.counts = [0, 0, 0]
        self.flows = 0

    def _finished(self, final, rel, start):
        """Writer thread, after the rename."""
        if self.ager.enabled:
            self.ager.add(final, start)
        if self.o.program:
            self.to_run.append(rel)

    def _expire(self):
        """Writer thread: the ager, counting the open file's bytes."""
        for path in self.ager.enforce(self.writer.bytes_written):
            self.log("remove/1 %s" % path if self.o.debug else "expired %s" % path)

    def _reap(self):
        """Main thread: start -R for files finished since, reap the done ones."""
        while self.to_run:
            rel = self.to_run.popleft()
            try:
                self.children.append(subprocess.Popen([self.o.program, rel], cwd=self.workdir,
                                                      stdin=subprocess.DEVNULL))
            except OSError as e:
                self.log("exec(%s): %s" % (self.o.program, e.strerror))
        self.children = [c for c in self.children if c.poll() is None]


# ---------------------------------------------------------------------------
# daemon helpers

def daemonize(pidfile, port):
    """Fork; the parent writes the child's pid to pidfile.<port> and exits 0;
    the child starts a new session with stdin/stdout/stderr on /dev/null.
    Returns the pidfile path the child must remove (or None)."""
    path = "%s.%d" % (pidfile, port) if pidfile else None
    pid = os.fork()
    if pid:
        if path:
            try:
                with open(path, "w") as f:
                    f.write("%d\n" % pid)
            except OSError as e:
                sys.stderr.write("flow-capture: %s: %s\n" % (path, e.strerror))
        os._exit(0)
    os.setsid()
    fd = os.open(os.devnull, os.O_RDWR)
    for k in (0, 1, 2):
        os.dup2(fd, k)
    if fd > 2:
        os.close(fd)
    return path


def parse_version_opt(text):
    """-V: a record type from 1, 5, 6, 7, 1005, 8 or 8.N."""
    from pyflowtools.io.gen import parse_version
    v, agg = parse_version(text)
    return _rectype(v, agg)


def check_capture_options(o):
    """Validate flow-capture's options as the reference (commands.md 8.3);
    fills o.spec, o.rectype, o.expire_size.  Raises FlowToolsError."""
    from pyflowtools.netflow.expire import parse_size
    if not o.operands:
        raise FlowToolsError("Specify localip/remoteip/port.")
    if len(o.operands) > 1:
        raise FlowToolsError("Extra arguments starting with %s." % o.operands[1])
    if not o.workdir:
        raise FlowToolsError("Specify workdir with -w.")
    for letter, what in (("tag_file", "-t (tagging)"), ("tag_def", "-T (tagging)"),
                         ("xlate_file", "-x (translation)"), ("xlate_def", "-X (translation)")):
        if getattr(o, letter) is not None:
            raise FlowToolsError("%s is not supported by this flow-capture" % what)
    if o.rotations < 0 or o.rotations > 1439:
        raise FlowToolsError("rotations limited to every 1 minute")
    if not -3 <= o.nesting <= 3:
        raise FlowToolsError("-3 <= nesting level <= 3")
    o.expire_size = parse_size(o.expire_size_text) if o.expire_size_text else 0
    o.spec = udp.parse_spec(o.operands[0])
    o.rectype = parse_version_opt(o.version) if o.version else None
    if o.stat_interval < 0:
        o.stat_interval = 0


def load_filter(o, warn):
    """-f/-F: the flow-nfilter definition records must pass, or None."""
    if o.filter_file is None and o.filter_def is None:
        return None
    from pyflowtools.filters import nfilter
    variables = dict(nfilter.parse_binding(v) for v in (o.variables or []))
    return nfilter.load(o.filter_file, variables, warn=warn)


def capture_main(o, prog="flow-capture"):
    """flow-capture after option parsing; returns the exit status."""
    check_capture_options(o)
    if not o.keep_umask:
        os.umask(0o022)
    if o.program and os.sep in o.program:          # -R runs in workdir
        o.program = os.path.abspath(o.program)
    cfg = load_filter(o, lambda m: sys.stderr.write("%s: %s\n" % (prog, m)))
    name = o.filter_def or "default"
    if cfg is not None:
        cfg.definition(name)                     # unknown name: fail now
    if o.clients:
        sys.stderr.write("%s: -c %d: TCP clients are not supported; ignored\n"
                         % (prog, o.clients))
    os.makedirs(o.workdir, exist_ok=True)
    collector = Collector(o.spec, o.rectype, filter_cfg=cfg, filter_name=name)
    pidpath = None
    if not o.foreground:
        pidfile = None if o.pidfile == "-" else o.pidfile or DEFAULT_PIDFILE
        pidpath = daemonize(pidfile, o.spec.port)
        log = Log(prog, use_syslog=True)
    else:
        log = Log(prog)
    collector.log = log
    signals = Signals()
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    cap = Capture(o, log)
    try:
        cap.run(collector, signals)
    finally:
        collector.close()
        signals.restore()
        if pidpath:
            try:
                os.unlink(pidpath)
            except OSError:
                pass
    return 0


def receive_main(o, prog="flow-receive"):
    """flow-receive after option parsing: one stream to stdout or -o file."""
    if len(o.operands) > 1:
        raise FlowToolsError("Illegal option: %s" % o.operands[1])
    spec = udp.parse_spec(o.operands[0] if o.operands else "")
    rectype = parse_version_opt(o.version) if o.version else None
    log = Log(prog)
    collector = Collector(spec, rectype, log=log)
    to_file = bool(o.output) and o.output != "-"
    if to_file:
        dst = o.output
    else:
        from pyflowtools import cli
        dst = cli.stdout_binary()
    writer = WriterThread(o.byte_order, o.zlevel)
    hostname = socket.gethostname()
    signals = Signals(stop=(signal.SIGTERM, signal.SIGQUIT, signal.SIGINT, signal.SIGHUP))
    start = None
    flows = 0
    counts = [0, 0, 0]
    writer.start()

    def header(done=False):
        if to_file:
            return capture_header(collector.rectype, start, hostname, o.comment,
                                  (flows, *counts), done=done)
        from pyflowtools.core.native import layout
        version, agg = layout(collector.rectype)[:2]
        h = hdr.Header(version, agg)
        h.flags = hdr.STREAMING
        h.set(hdr.CAP_START, "cap_start", int(start))
        h.set(hdr.CAP_HOSTNAME, "cap_hostname", hostname)
        if o.comment is not None:
            h.set(hdr.COMMENTS, "comments", o.comment)
        return h

    started = time.time()
    stat_every = max(o.stat_interval, 0) * 60
    next_stat = started + stat_every if stat_every else None
    try:
        while signals.stop is None:
            signals.hup = False
            now = time.time()
            if next_stat is not None and now >= next_stat:
                for line in collector.stat_lines(int(now), int(started)):
                    log(line)
                next_stat = now + stat_every
            if start is None and collector.rectype is not None:
                start = time.time()
                writer.open(dst, header(), rewrite=to_file)
            if writer.error is not None:
                raise writer.error
            got = collector.poll(TIMEOUT)
            c = collector.take_counts()
            for i in range(3):
                counts[i] += c[i]
            if got is None:
                continue
            if start is None:
                start = time.time()
                writer.open(dst, header(), rewrite=to_file)
            writer.data(got[0], collector.rectype)
            flows += got[1]
        log("Cleaning up")
    finally:
        if start is not None:
            writer.close(header(done=True) if to_file else None)
        writer.stop()
        collector.close()
        signals.restore()
    if writer.error is not None:
        raise writer.error
    return 0
