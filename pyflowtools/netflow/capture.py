"""flow-capture's and flow-receive's loops (formats.md 6-7, commands.md
8.3-8.4) over a Collector (collector.py) and a WriterThread (writer.py):
capture files opened, rotated (naming.py), finished and renamed, -R
programs, the -e/-E ager, -S STAT lines; flow-receive's one stream.

    check_options(opts)                       # raises FlowToolsError as the reference
    col = collector.Collector(opts.spec, opts.rectype, log=log)
    Capture(opts, log).run(col, daemon.Signals())

Every time is read from one clock (util/clock.py), so tests can move it.
"""
import collections
import os
import socket
import subprocess
import time

from pyflowtools.core.errors import FlowToolsError
from pyflowtools.core.native import rectype as _rectype
from pyflowtools.netflow import naming, udp
from pyflowtools.netflow.expire import Ager, parse_size
from pyflowtools.netflow.writer import WriterThread, capture_header, streaming_header
from pyflowtools.util.clock import clock as _clock

DEFAULT_PIDFILE = "/var/run/flow-capture.pid"
V1005 = _rectype(1005)
TIMEOUT = 1.0                   # the reference's select() timeout


# ---------------------------------------------------------------------------
# options

def parse_version_opt(text):
    """-V: a record type from 1, 5, 6, 7, 1005, 8 or 8.N, or 1006 (ours:
    IPv4 and IPv6 flows, man/flow-tools-v1006.5)."""
    from pyflowtools.io.gen import parse_version
    v, agg = parse_version(text, ipv6=True)
    return _rectype(v, agg)


def check_options(o):
    """Validate flow-capture's options as the reference (commands.md 8.3);
    fills o.spec, o.rectype, o.expire_size, o.filter_name, o.tagging.
    o.order: the (letter, value) of -T and -V in the order given.  Raises
    FlowToolsError."""
    if not o.operands:
        raise FlowToolsError("Specify localip/remoteip/port.")
    if len(o.operands) > 1:
        raise FlowToolsError("Extra arguments starting with %s." % o.operands[1])
    if not o.workdir:
        raise FlowToolsError("Specify workdir with -w.")
    tagging = False
    for letter, value in getattr(o, "order", ()):   # -T then -V: the reference's check
        if letter == "T":
            tagging = True
        elif tagging and parse_version_opt(value) != V1005:
            raise FlowToolsError("Must be v1005 with tagging.")
    if o.rotations < 0 or o.rotations > naming.MAX_ROTATIONS:
        raise FlowToolsError("rotations limited to every 1 minute")
    if not -3 <= o.nesting <= 3:
        raise FlowToolsError("-3 <= nesting level <= 3")
    o.expire_size = parse_size(o.expire_size_text) if o.expire_size_text else 0
    o.spec = udp.parse_spec(o.operands[0])
    o.rectype = parse_version_opt(o.version) if o.version else None
    o.tagging = o.tag_file is not None or o.tag_def is not None
    if o.tagging:           # stored as v1005: the datagrams' records are tagged
        o.rectype = None
    o.filter_name = o.filter_def or "default"
    if o.stat_interval < 0:
        o.stat_interval = 0
    if o.program and os.sep in o.program:          # -R runs in workdir
        o.program = os.path.abspath(o.program)


def check_receive_options(o):
    """flow-receive's operands: fills o.spec and o.rectype."""
    if len(o.operands) > 1:
        raise FlowToolsError("Illegal option: %s" % o.operands[1])
    o.spec = udp.parse_spec(o.operands[0] if o.operands else "")
    o.rectype = parse_version_opt(o.version) if o.version else None


# ---------------------------------------------------------------------------
# flow-capture

class Capture:
    """flow-capture's main loop over a Collector, a WriterThread and files."""

    def __init__(self, opts, log, clock=None, transform=None, filter_loader=None):
        self.o = opts
        self.log = log
        self.tr = transform         # -t/-T, -x/-X (transform.py), or None
        self.filter_loader = filter_loader   # -f/-F without -t: () -> filter config
        self.checked = None         # the record type transform.check() passed
        self.clock = clock or _clock()
        self.hostname = socket.gethostname()
        self.workdir = os.path.abspath(opts.workdir)
        self.writer = WriterThread(opts.byte_order, opts.zlevel)
        self.cur = None            # (tmp path, final path, start, rel final path, rectype)
        self.flows = 0             # records queued into the open file
        self.counts = [0, 0, 0]    # lost, corrupt, resets of the open file
        self.rotate_at = None
        self.last_start = 0        # creation second of the previous file
        self.held = []             # records that wait for the next second's file
        self.children = []
        self.to_run = collections.deque()   # -R: finished files, from the writer thread
        self.expired_at = 0
        self.ager = Ager(opts.expire_count, opts.expire_size, dry_run=opts.debug > 0, log=log)

    def run(self, collector, signals):
        o = self.o
        self.collector = collector
        collector.load_templates()
        self.writer.start()
        if self.ager.enabled:
            self.ager.scan(self.workdir)
        started = self.clock()
        next_stat = started + o.stat_interval * 60 if o.stat_interval else None
        try:
            while True:
                now = self.clock()
                if signals.stop is not None:
                    self.log(signals.stop_name)
                    break
                if signals.take_hup():
                    self.log("SIGHUP")
                    self.finish()
                    self._reload(collector)
                if self.cur is not None and now >= self.rotate_at:
                    self.finish()
                if self.cur is None and collector.rectype is not None:
                    self.open(self._rectype(collector.rectype), now)
                if next_stat is not None and now >= next_stat:
                    for line in collector.stat_lines(int(now), int(started)):
                        self.log(line)
                    next_stat = now + o.stat_interval * 60
                self.writer.check()
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
                rt = self._rectype(collector.rectype)
                if self.tr is not None:
                    records, count = self.tr.apply(records, count, collector.rectype)
                if self.cur is None:
                    self.open(rt, self.clock())
                if self.cur is None:
                    self.held.append((bytes(records), count))
                    continue
                self.writer.data(records, rt)
                self.flows += count
        finally:
            if self.held and collector.rectype is not None:
                while self.cur is None:
                    time.sleep(max(0.0, self.last_start + 1 - self.clock()))
                    self.open(self._rectype(collector.rectype), self.clock())
            if self.cur is not None:
                self.finish()
            collector.save_templates()
            self.writer.stop()
            self._reap()
            self.writer.check()
            for c in self.children:
                try:
                    c.wait(5)
                except subprocess.TimeoutExpired:
                    pass

    def _rectype(self, rt):
        """The stored record type of received records of rt; the transform's
        field checks run when rt is first known."""
        if self.tr is None:
            return rt
        if rt != self.checked:
            self.tr.check(rt)
            self.checked = rt
        return self.tr.output_rectype(rt)

    def _reload(self, collector):
        """SIGHUP: load the filter, tag and xlate files again (an error is
        logged and the previous definitions kept)."""
        if self.filter_loader is not None:
            try:
                collector.set_filter(self.filter_loader())
            except FlowToolsError as e:
                self.log(str(e))
        if self.tr is None:
            return
        try:
            self.tr.load()
            if self.checked is not None:
                self.tr.check(self.checked)
        except FlowToolsError as e:
            self.log(str(e))

    def _add(self, c):
        for i in range(3):
            self.counts[i] += c[i]

    def open(self, rectype, now):
        """Open the next file, unless one was created in this second already
        (same name): then records wait in .held for the next second."""
        if int(now) <= self.last_start:
            return
        self.last_start = int(now)
        rel_tmp = naming.rel_path(rectype, now, self.o.nesting, "tmp-")
        rel_ft = naming.rel_path(rectype, now, self.o.nesting, "ft-")
        tmp = os.path.join(self.workdir, rel_tmp)
        final = os.path.join(self.workdir, rel_ft)
        h = capture_header(rectype, now, self.hostname, self.o.comment, (0, *self.counts))
        self.writer.open(tmp, h, exclusive=True)
        self.cur = (tmp, final, int(now), rel_ft, rectype)
        self.rotate_at = naming.next_rotation(now, self.o.rotations)
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
        if getattr(self, "collector", None) is not None:
            self.collector.save_templates()     # v9/IPFIX: a restart keeps them
        h = capture_header(rectype, start, self.hostname, self.o.comment,
                           (self.flows, *self.counts), end=self.clock())
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
# flow-receive

class Receive:
    """flow-receive's loop: one stream to `dst` (a path: a capture file
    whose header is finished on exit; else a pipe: a streaming header)."""

    def __init__(self, opts, dst, to_file, log, clock=None):
        self.o = opts
        self.dst = dst
        self.to_file = to_file
        self.log = log
        self.clock = clock or _clock()
        self.hostname = socket.gethostname()
        self.writer = WriterThread(opts.byte_order, opts.zlevel)
        self.start = None
        self.flows = 0
        self.counts = [0, 0, 0]

    def _header(self, rectype, done=False):
        if self.to_file:
            return capture_header(rectype, self.start, self.hostname, self.o.comment,
                                  (self.flows, *self.counts),
                                  end=self.clock() if done else None)
        return streaming_header(rectype, self.start, self.hostname, self.o.comment)

    def _open(self, rectype):
        self.start = self.clock()
        self.writer.open(self.dst, self._header(rectype), rewrite=self.to_file)

    def run(self, collector, signals):
        writer = self.writer
        writer.start()
        started = self.clock()
        stat_every = max(self.o.stat_interval, 0) * 60
        next_stat = started + stat_every if stat_every else None
        try:
            while signals.stop is None:
                signals.take_hup()
                now = self.clock()
                if next_stat is not None and now >= next_stat:
                    for line in collector.stat_lines(int(now), int(started)):
                        self.log(line)
                    next_stat = now + stat_every
                if self.start is None and collector.rectype is not None:
                    self._open(collector.rectype)
                writer.check()
                got = collector.poll(TIMEOUT)
                c = collector.take_counts()
                for i in range(3):
                    self.counts[i] += c[i]
                if got is None:
                    continue
                if self.start is None:
                    self._open(collector.rectype)
                writer.data(got[0], collector.rectype)
                self.flows += got[1]
            self.log("Cleaning up")
        finally:
            if self.start is not None:
                writer.close(self._header(collector.rectype, done=True)
                             if self.to_file else None)
            writer.stop()
        writer.check()
