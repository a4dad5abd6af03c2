"""Reading and writing flow-tools streams: paths, `-`, file objects; both
byte orders; plain or zlib-compressed record areas (formats.md 2-3).

A Reader yields Batch objects: up to BATCH_RECORDS host-order records in a
reusable buffer (refilled on the next iteration: `.copy()` to keep one).
No Python code runs per record.
"""
import io
import os
import select
import stat
import struct
import sys
import zlib

from pyflowtools.core import recs
from pyflowtools.core.batch import Batch
from pyflowtools.core.native import HOST_ORDER, ffi, lib
from pyflowtools.core.errors import FormatError, FlowToolsError
from pyflowtools.io import header as hdr
from pyflowtools.io.header import Header
from pyflowtools.io.sink import Sink
from pyflowtools.util import files

BATCH_BYTES = 1 << 20          # target bytes per batch
READ_CHUNK = 1 << 18           # compressed bytes read per call
READ_AHEAD_MIN = 8 << 20       # regular files from this size are read ahead by a thread
MIN_FILL = 1 << 16             # keep reading a pipe while data is ready


def _open_src(src):
    """(binary file object, name, close_it) for a path, '-', or a file.

    Buffered readers are read through their raw file (a buffered read of a
    pipe waits to fill the whole request, a raw one returns what is there),
    so pass them unread."""
    if src is None or src == "-":
        src = sys.stdin.buffer
        name = "stdin"
    elif isinstance(src, (str, bytes, os.PathLike)):
        return io.FileIO(src, "rb"), os.fsdecode(src), True
    else:
        name = getattr(src, "name", "stream")
    if isinstance(src, io.BufferedReader):
        src = src.raw
    return src, name, False


class Reader:
    """A flow stream open for reading.

    `raw=True` leaves records in file order (batch.order tells which); used
    by flow-cat to pass records through without two swaps.
    `warnings` collects non-fatal damage messages ("partial record before
    EOF"); `error` is set when decompression failed midway (records before
    the damage were still yielded).
    `ipv6=True`: the caller reads v1006 streams (IPv4 and IPv6 flows); the
    others refuse them as the reference does ("Unsupported d_version 1006").
    `span=(start, stop)`: only records start .. stop-1 of an uncompressed
    regular file (stop None: to the end, its damage included), read after
    one seek (the ranges of a big file in a split run: pyflowtools/parallel).
    """

    def __init__(self, src, raw=False, batch_records=None, read_ahead=False, ipv6=False,
                 span=None):
        self.f, self.name, self._close = _open_src(src)
        self.raw = raw
        # read_ahead: a big regular file is read by a second thread while
        # the caller works on the batch it has (for callers that do real
        # work per batch: reports; a plain copy gains nothing)
        self._read_ahead = read_ahead
        self.warnings = []
        self.error = None
        self.records_read = 0
        self._size = 0
        try:
            st = os.fstat(self.f.fileno())
            self._regular = stat.S_ISREG(st.st_mode)
            self._size = st.st_size
        except (AttributeError, OSError, io.UnsupportedOperation):
            self._regular = False
        try:
            self._read_header()
            if self.header.ipv6 and not ipv6:
                raise FormatError("Unsupported d_version %d" % self.header.d_version)
        except BaseException:
            self.close()
            raise
        rs = self.header.rec_size
        self.rectype = self.header.rectype
        self.rec_size = rs
        # read ahead: bigger batches, fewer hand-overs between the threads
        # (measured: 1 MB 0.092 s, 4 MB 0.078 s on the realistic file)
        self._batch_records = batch_records or max(
            (BATCH_BYTES * 4 if read_ahead else BATCH_BYTES) // rs, 1)
        self._compat = self.header.s_version == 1
        #: bytes a span has left to read (None: to the end)
        self._left = None
        if span is not None:
            self._seek_span(span)

    def _seek_span(self, span):
        start, stop = span
        h = self.header
        if h.compressed or self._compat or not self._regular:
            self.close()
            raise ValueError("%s: only an uncompressed regular file is read by ranges"
                             % self.name)
        self.f.seek(h.header_len + start * self.rec_size)
        self._rest = b""
        if stop is not None:
            self._left = max(stop - start, 0) * self.rec_size

    @property
    def batch_records(self):
        """Records per batch (set it before iterating)."""
        return self._batch_records

    @batch_records.setter
    def batch_records(self, n):
        self._batch_records = max(int(n), 1)

    # ---- header ------------------------------------------------------
    def _readsome(self, n):
        """Read up to n bytes (fewer only at EOF)."""
        out = bytearray()
        while len(out) < n:
            chunk = self.f.read(n - len(out))
            if not chunk:
                break
            out += chunk
        return out

    def _read_header(self):
        buf = self._readsome(4)
        if len(buf) < 4:
            raise FormatError("short read while loading header top" if buf or True else "")
        while True:
            h, need = Header.parse(buf)
            if h is not None:
                break
            more = self._readsome(need - len(buf))
            if not more or len(buf) + len(more) < need:
                raise FormatError("short read while loading header")
            buf += more
        self.header = h
        self._rest = bytes(buf[h.header_len:])   # over-read past the header
        self.file_order = h.byte_order
        self._swap = h.byte_order != HOST_ORDER

    # ---- records -----------------------------------------------------
    def __iter__(self):
        if self._compat:
            return self._iter_compat()
        if self.header.compressed:
            return self._iter_z()
        return self._iter_plain()

    def _new_batch(self):
        return Batch(self.rectype, self.rec_size, self._batch_records, self.file_order)

    def _finish(self, b):
        """b holds records in file order: to host order unless raw."""
        b.order = self.file_order
        if not self.raw:
            b.to_host()
        self.records_read += b.n
        return b

    def _fill(self, mv, pos):
        """Read into mv[pos:]; returns new fill.  Keeps reading a pipe only
        while data is immediately available (so live streams flow)."""
        end = len(mv)
        left, begin = self._left, pos
        if left is not None:
            end = min(end, pos + left)
        while pos < end:
            n = self.f.readinto(mv[pos:end])
            if not n:
                self._eof = True
                break
            pos += n
            if self._regular or pos >= MIN_FILL:
                if self._regular:
                    continue
                break
            try:
                r, _, _ = select.select([self.f], [], [], 0)
            except (OSError, ValueError, TypeError):
                continue
            if not r:
                break
        if left is not None:
            self._left = left - (pos - begin)
            self._eof = self._eof or not self._left
        return pos

    def _iter_plain(self):
        if self._read_ahead and self._regular and self._size >= READ_AHEAD_MIN:
            yield from self._iter_plain_ahead()
            return
        rs = self.rec_size
        b = self._new_batch()
        mv = memoryview(b.buf)
        fill = len(self._rest)
        mv[:fill] = self._rest
        self._rest = b""
        self._eof = False
        while True:
            if not self._eof:
                fill = self._fill(mv, fill)
            if fill >= rs:
                fill = yield from self._emit(b, mv, fill)
            elif self._eof:
                break
        if fill:
            self.warnings.append("Warning, partial record before EOF")

    def _iter_plain_ahead(self):
        """_iter_plain for a big regular file: two batches, the next one
        read by a thread while the caller works on the one yielded
        (readinto and the C calls release the GIL: reading and counting
        overlap on two cores).  A yielded batch stays valid until the next
        one is asked for, as always."""
        rs = self.rec_size
        bs = [self._new_batch(), self._new_batch()]
        mvs = [memoryview(b.buf) for b in bs]
        fill = len(self._rest)
        mvs[0][:fill] = self._rest
        self._rest = b""
        self._eof = False
        fill = self._fill(mvs[0], fill)
        cur = 0
        ahead = _ReadAhead(self._fill)
        pending = False
        try:
            while True:
                n = fill // rs
                tail = fill - n * rs
                nxt = 1 - cur
                if tail:
                    mvs[nxt][:tail] = mvs[cur][n * rs:fill]
                pending = not self._eof
                if pending:
                    ahead.submit(mvs[nxt], tail)
                if n:
                    b = bs[cur]
                    b.n = n
                    yield self._finish(b)
                if not pending:
                    fill = tail
                    break
                fill = ahead.result()
                pending = False
                cur = nxt
        finally:
            if pending:
                try:
                    ahead.result()
                except Exception:
                    pass
            ahead.close()
        if fill:
            self.warnings.append("Warning, partial record before EOF")

    def _emit(self, b, mv, fill):
        """Yield the whole records of mv[:fill] (batch b's buffer) and
        move the partial one after them to the front; returns its size."""
        rs = self.rec_size
        n = fill // rs
        b.n = n
        yield self._finish(b)
        tail = fill - n * rs
        if tail:
            mv[:tail] = mv[n * rs:fill]
        return tail

    def _iter_z(self):
        """Inflate and yield whole records: the C inflater (csrc/inflate.c)
        writes straight into the batch buffer from a reused input buffer, so
        nothing is allocated per batch.  On damage, every complete record
        inflated before the bad byte is yielded, then the error is set."""
        rs = self.rec_size
        z = inflater()
        b = self._new_batch()
        cap = len(b.buf)
        mv = memoryview(b.buf)
        inbuf = bytearray(max(READ_CHUNK, len(self._rest)))
        inp = recs.pointer(inbuf)
        imv = memoryview(inbuf)
        ipos, ilen = 0, len(self._rest)
        imv[:ilen] = self._rest
        self._rest = b""
        used, made = ffi.new("size_t *"), ffi.new("size_t *")
        fill = 0
        eof = False                 # the file is read to its end
        done = False                # the stream ended, was damaged, or its file did
        while True:
            while fill < cap and not done:
                if ipos == ilen and not eof:
                    ipos, ilen = 0, self.f.readinto(imv[:READ_CHUNK]) or 0
                    eof = not ilen
                # at the end of the file zlib may still hold output that did
                # not fit the batch: called with no input until it gives none
                rc = lib.ftc_inflate_run(z, inp + ipos, ilen - ipos, b.ptr + fill, cap - fill,
                                         used, made)
                ipos += used[0]
                fill += made[0]
                if rc == 1 or (rc == 0 and eof and not made[0]):
                    done = True
                elif rc < 0 or rc > 1:
                    msg = ffi.string(lib.ftc_inflate_msg(z)).decode("latin-1")
                    self.error = "inflate(): failed (Error %d while decompressing data%s)" % (
                        rc, ": " + msg if msg else "")
                    done = True
                elif ipos == ilen and not self._regular and fill >= rs:
                    break               # a live stream: hand out what came
            if fill >= rs:
                fill = yield from self._emit(b, mv, fill)
            if done and fill < rs:
                break
        if fill:
            self.warnings.append("Warning, partial inflated record before EOF")

    def _iter_compat(self):
        """Stream version 1: 60-byte compat records -> v1/v5 records."""
        inner = Reader.__new__(Reader)
        inner.__dict__.update(self.__dict__)
        inner.rec_size = recs.COMPAT_SIZE
        inner.raw = True
        inner.rectype = self.rectype
        out = Batch(self.rectype, self.rec_size, self._batch_records)
        swap = self._swap
        it = inner._iter_z() if self.header.compressed else inner._iter_plain()
        for cb in it:
            if out.capacity < cb.n:
                out = Batch(self.rectype, self.rec_size, cb.n)
            recs.from_compat(self.rectype, cb.ptr, cb.n, swap, out.ptr)
            out.n = cb.n
            out.order = HOST_ORDER
            self.records_read += cb.n
            yield out
        self.warnings.extend(inner.warnings)
        self.error = inner.error

    def records(self):
        """Iterate named-tuple records (scripts; slow)."""
        for b in self:
            yield from b.records()

    # ---- Arrow (io/arrow.py; needs pyarrow) ---------------------------
    def arrow_batches(self, addr_text=False):
        """pyarrow.RecordBatch per batch (schema: io/arrow.py)."""
        from pyflowtools.io import arrow
        return arrow.reader_batches(self, addr_text)

    def to_arrow(self, addr_text=False):
        """The whole stream as one pyarrow.Table."""
        from pyflowtools.io import arrow
        return arrow.reader_table(self, addr_text)

    def to_pandas(self, addr_text=False):
        """The whole stream as a pandas DataFrame (needs pandas)."""
        from pyflowtools.io import arrow
        return arrow.to_pandas(self.to_arrow(addr_text))

    # ---- context -----------------------------------------------------
    def close(self):
        if self._close:
            self.f.close()
            self._close = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def reader(src, **kw):
    return Reader(src, **kw)


class RecordReader(Reader):
    """A Reader whose iteration yields named-tuple records (for scripts);
    batches() gives the batches.  Reads v1006 streams too."""

    def __init__(self, src, ipv6=True, **kw):
        Reader.__init__(self, src, ipv6=ipv6, **kw)

    def __iter__(self):
        return self.records()

    def batches(self):
        return Reader.__iter__(self)

    def records(self):
        for b in Reader.__iter__(self):
            yield from b.records()


def inflater():
    """A C inflater (csrc/inflate.c) of one zlib stream, freed with it."""
    z = lib.ftc_inflate_new()
    if z == ffi.NULL:
        raise MemoryError("inflateInit")
    return ffi.gc(z, lib.ftc_inflate_free)


class Deflater:
    """One zlib (RFC 1950) stream, deflated on every core: the input is cut
    into CHUNK-byte pieces, each deflated raw on a worker thread (zlib
    releases the GIL) with the previous 32 KiB as its dictionary and ended
    with a sync flush; the last ends the stream; an Adler-32 of all input
    closes it.  A stream shorter than one chunk is byte for byte what a
    single zlib.compress() gives."""

    CHUNK = 1 << 20
    _HEADERS = {1: b"\x78\x01", 2: b"\x78\x5e", 3: b"\x78\x5e", 4: b"\x78\x5e",
                5: b"\x78\x5e", 6: b"\x78\x9c", 7: b"\x78\xda", 8: b"\x78\xda",
                9: b"\x78\xda"}

    def __init__(self, level):
        self.level = level
        self.buf = bytearray()
        self.prev = b""
        self.adler = 1
        self.started = False
        self.pending = []
        self.pool = None

    def _job(self, data, zdict, last):
        if zdict:
            c = zlib.compressobj(self.level, zlib.DEFLATED, -15, zdict=zdict)
        else:
            c = zlib.compressobj(self.level, zlib.DEFLATED, -15)
        out = c.compress(data)
        return out + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)

    def _submit(self, data, last):
        data = bytes(data)
        self.adler = zlib.adler32(data, self.adler)
        zdict, self.prev = self.prev, data[-32768:]
        if self.pool is None and not last:
            from concurrent.futures import ThreadPoolExecutor
            self.pool = ThreadPoolExecutor(max_workers=max(2, min(os.cpu_count() or 2, 8)))
        if self.pool is None:
            self.pending.append(_Done(self._job(data, zdict, last)))
        else:
            self.pending.append(self.pool.submit(self._job, data, zdict, last))

    def _drain(self, keep):
        out = []
        if not self.started:
            out.append(self._HEADERS.get(self.level, b"\x78\x9c"))
            self.started = True
        while len(self.pending) > keep:
            out.append(self.pending.pop(0).result())
        return out

    def compress(self, data):
        """Compressed chunks ready so far (a list of bytes)."""
        self.buf += data
        while len(self.buf) > self.CHUNK:
            self._submit(self.buf[:self.CHUNK], False)
            del self.buf[:self.CHUNK]
        if len(self.pending) > 4:
            return self._drain(2)
        return []

    def finish(self):
        self._submit(self.buf, True)
        self.buf = bytearray()
        out = self._drain(0)
        out.append(struct.pack(">I", self.adler & 0xFFFFFFFF))
        if self.pool is not None:
            self.pool.shutdown()
        return out


class _Done:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class Writer(Sink):
    """Write a stream: header, then records (plain or one zlib stream); the
    flow-stream Sink (io/sink.py).

    `header` is written as given (its `present` set decides the TLVs) with
    byte order `byte_order`; COMPRESS is set from `zlevel`.  When `dst` is a
    regular file and `rewrite` is true, close() rewrites the header in
    place (same size) with the values of `final_header`.  `exclusive`: dst
    is a new file (util/files.create: O_EXCL|O_NOFOLLOW, never written
    through a symlink), as the collectors create theirs; else a named file
    is opened by util/files.open_output (a symlink refused, a regular
    file replaced by a fresh one, a device as it is).
    """

    def __init__(self, dst, header, byte_order=None, zlevel=0, rewrite=False,
                 exclusive=False):
        if dst is None or dst == "-":
            self.f = sys.stdout.buffer
            self._close = False
        elif isinstance(dst, (str, bytes, os.PathLike)):
            fd = files.create(dst) if exclusive else files.open_output(dst)
            self.f = io.FileIO(fd, "wb")
            self._close = True
        else:
            self.f = dst
            self._close = False
        self.order = byte_order or header.byte_order or HOST_ORDER
        self.zlevel = zlevel
        self.header = header.copy()
        self.header.byte_order = self.order
        self.header.byte_order_raw = self.order
        if zlevel:
            self.header.flags |= hdr.COMPRESS
        else:
            self.header.flags &= ~hdr.COMPRESS
        self.rectype = self.header.rectype
        self.rec_size = self.header.rec_size
        self.records_written = 0
        self._z = Deflater(zlevel) if zlevel else None
        self._scratch = None
        self._rewrite = rewrite and self._seekable()
        self._hlen = 0
        self._write_header(self.header)

    def _seekable(self):
        try:
            return stat.S_ISREG(os.fstat(self.f.fileno()).st_mode)
        except (AttributeError, OSError, io.UnsupportedOperation):
            return False

    def _write_header(self, h):
        data = h.encode(self.order)
        self._hlen = len(data)
        self.f.write(data)

    def write(self, batch, start=0, end=None):
        """Write a Batch, or its records [start, end) (any byte order;
        swapped to the output order)."""
        if end is None:
            end = batch.n
        n = end - start
        if n <= 0:
            return
        if batch.rectype != self.rectype:
            raise FlowToolsError("data version or sub version changed!")
        rs = self.rec_size
        if batch.order != self.order:
            if self._scratch is None or self._scratch.capacity < n:
                self._scratch = Batch(self.rectype, rs, n)
            self._scratch.buf[:n * rs] = memoryview(batch.buf)[start * rs:end * rs]
            self._scratch.n = n
            self._scratch.order = batch.order
            data = self._scratch.to_order(self.order).view()
        elif start or end != batch.n:
            data = memoryview(batch.buf)[start * rs:end * rs]
        else:
            data = batch.view()
        self.write_bytes(data)
        self.records_written += n

    def write_bytes(self, data):
        """Write record bytes already in the output order."""
        if self._z is not None:
            for chunk in self._z.compress(data):
                self.f.write(chunk)
            return
        self.f.write(data)

    def flush(self):
        self.f.flush()

    def close(self, final_header=None):
        """Finish the zlib stream; rewrite the header when asked; close."""
        if self.f is None:
            return
        try:
            if self._z is not None:
                for chunk in self._z.finish():
                    self.f.write(chunk)
                self._z = None
            self.f.flush()
            if self._rewrite and final_header is not None:
                h = final_header.copy()
                if self.zlevel:
                    h.flags |= hdr.COMPRESS
                data = h.encode(self.order)
                if len(data) != self._hlen:
                    raise FlowToolsError("header size changed on rewrite")
                self.f.seek(0)
                self.f.write(data)
                self.f.flush()
        finally:
            if self._close:
                self.f.close()
            self.f = None

    def abort(self):
        """After an error: close a file we opened, without finishing it."""
        if self.f is not None and self._close:
            self.f.close()
            self.f = None


def writer(dst, header, **kw):
    return Writer(dst, header, **kw)


def streaming_header(src_header, comment=None):
    """The header a filter writes: streaming, the input's export version
    (and v8 method), comment only from -C (commands.md 1.2)."""
    h = Header(src_header.d_version, src_header.agg_method if src_header.d_version == 8 else 0)
    h.flags = hdr.STREAMING
    if comment is not None:
        h.set(hdr.COMMENTS, "comments", comment)
    return h


class _ReadAhead:
    """One reading thread: submit(*args) runs fn(*args) there, result()
    waits for its value (or raises its exception).  close() ends it."""

    def __init__(self, fn):
        import queue
        import threading
        self._req, self._res = queue.SimpleQueue(), queue.SimpleQueue()
        self._fn = fn
        self._t = threading.Thread(target=self._run, name="flow-read-ahead", daemon=True)
        self._t.start()

    def _run(self):
        while True:
            args = self._req.get()
            if args is None:
                return
            try:
                self._res.put((True, self._fn(*args)))
            except BaseException as e:         # handed to the reader's thread
                self._res.put((False, e))

    def submit(self, *args):
        self._req.put(args)

    def result(self):
        ok, value = self._res.get()
        if not ok:
            raise value
        return value

    def close(self):
        self._req.put(None)
