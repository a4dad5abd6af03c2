"""The collectors' writer thread and the headers of what they write
(formats.md 2.5, 7.6-7.7).

The receiving path never compresses or writes: it queues records and file
work; the writer thread swaps byte order, deflates (stream.Deflater, on
worker threads) and writes, opens, finishes and renames files in queue
order, so a file's final header always counts exactly the records queued
for it.

    w = WriterThread(byte_order, zlevel); w.start()
    w.open("wd/tmp-v05...", capture_header(rt, start, host, None))
    w.data(records, rt)
    w.close(capture_header(rt, start, host, None, counts, end=now), ("wd/tmp-...", "wd/ft-..."))
    w.stop()
"""
import collections
import os
import threading

from pyflowtools.core import recs
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.core.native import HOST_ORDER, layout
from pyflowtools.io import header as hdr
from pyflowtools.io import stream
from pyflowtools.util import daemon, files

QUEUE_BYTES = 64 << 20          # records queued for the writer, at most


def _header(rectype, start, hostname, comment):
    version, agg = layout(rectype)[:2]
    h = hdr.Header(version, agg)
    h.set(hdr.CAP_START, "cap_start", int(start))
    h.set(hdr.CAP_HOSTNAME, "cap_hostname", hostname)
    if comment is not None:
        h.set(hdr.COMMENTS, "comments", comment)
    return h


def capture_header(rectype, start, hostname, comment, counts=(0, 0, 0, 0), end=None):
    """The header of a capture file (formats.md 2.5, 7.7): counts are
    (flows, lost, corrupt, resets); `end` (CAP_END) marks it DONE."""
    h = _header(rectype, start, hostname, comment)
    h.flags = hdr.DONE if end is not None else 0
    h.set(hdr.CAP_END, "cap_end", 0 if end is None else int(end))
    h.set(hdr.FLOW_COUNT, "flows_count", counts[0])
    h.set(hdr.FLOW_LOST, "flows_lost", counts[1])
    h.set(hdr.PKT_CORRUPT, "pkts_corrupt", counts[2])
    h.set(hdr.SEQ_RESET, "seq_reset", counts[3])
    return h


def streaming_header(rectype, start, hostname, comment):
    """flow-receive's header on a pipe: STREAMING, no counts."""
    h = _header(rectype, start, hostname, comment)
    h.flags = hdr.STREAMING
    return h


class WriterThread(threading.Thread):
    """Runs file work in queue order: open(path, header), data(records),
    close(final header, rename), call(fn).  The queue is bounded in bytes,
    so a slow disk holds the receiver back instead of eating memory.
    An exception in the thread is kept in .error (check() raises it) and
    ends the file work."""

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

    def open(self, path, header, rewrite=True, exclusive=False):
        """exclusive: a new file, its missing directories made 0755 less the
        umask (util/files.py)."""
        self._put(("open", path, header, rewrite, exclusive))

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

    def check(self):
        """Raise the thread's error, if any (OSError and FlowToolsError as
        they are, anything else as a FlowToolsError)."""
        e = self.error
        if e is not None:
            raise e if isinstance(e, (OSError, FlowToolsError)) else FlowToolsError(str(e))

    # -- consumer side --------------------------------------------------
    def run(self):
        daemon.block_signals()
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
            _, path, header, rewrite, exclusive = item
            if isinstance(path, str):
                d = os.path.dirname(path)
                if d:
                    files.makedirs(d, 0o755)
            self.w = stream.Writer(path, header, byte_order=self.order, zlevel=self.zlevel,
                                   rewrite=rewrite, exclusive=exclusive)
            self.bytes_written = 0
        elif kind == "data":
            _, buf, rt = item
            if self.order != HOST_ORDER:
                recs.swap(rt, recs.pointer(buf), len(buf) // self.w.rec_size)
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
