"""flow-dscan's detector (csrc/dscan.c) on THE hash table (core/table.py):
sources and (source, destination) pairs in two tables Python owns and
grows, the 65536 bucket heads, the filters, and the text the detector
writes (scan reports, trigger dumps), in one C call per batch."""
from array import array

from pyflowtools.core.native import check, ffi, lib
from pyflowtools.core.table import Table, run

BUCKETS = lib.FTC_DSCAN_BUCKETS
HOST_SCAN = lib.FTC_DSCAN_HOST
PORT_SCAN = lib.FTC_DSCAN_PORT
IFS_LEN = lib.FTC_DSCAN_IFS_LEN
_TEXT = 1 << 20


class Detector:
    """The scan detector's state and settings.  `in_ifs`/`out_ifs`: None or
    the FTC_DSCAN_IFS_LEN-byte bitmap of an interface list; `prefix`: bytes
    put before every message line; `garble`: dates as the reference prints
    them (commands.md 17)."""

    def __init__(self, ip_depth=200, port_trigger=64, ager_timeout=90000, multicast=False,
                 web_src=False, web_dst=False, octets=0, packets=0, msecs=0, in_ifs=None,
                 out_ifs=None, debug=False, garble=True, prefix=b"", text_cap=_TEXT):
        self.src = Table(lib.FTC_TAB_DSRC, 4)
        self.dst = Table(lib.FTC_TAB_DDST, 8)
        self.st = st = ffi.new("ftc_dscan_t *")
        self._heads = ffi.new("uint32_t[]", 2 * BUCKETS)
        st.heads = self._heads
        st.ip_depth = ip_depth & 0xFFFFFFFF
        st.port_trigger = port_trigger & 0xFFFFFFFF
        st.ager_timeout = ager_timeout & 0xFFFFFFFF
        st.opts = ((lib.FTC_DSCAN_MCAST if multicast else 0)
                   | (lib.FTC_DSCAN_WEBSRC if web_src else 0)
                   | (lib.FTC_DSCAN_WEBDST if web_dst else 0)
                   | (lib.FTC_DSCAN_DEBUG if debug else 0)
                   | (lib.FTC_DSCAN_GARBLE if garble else 0))
        st.octets = octets & 0xFFFFFFFF
        st.packets = packets & 0xFFFFFFFF
        st.msecs = msecs & 0xFFFFFFFF
        self._keep = []
        for name, bits in (("in_ifs", in_ifs), ("out_ifs", out_ifs)):
            if bits is not None:
                if len(bits) != IFS_LEN:
                    raise ValueError("an interface list is %d bytes" % IFS_LEN)
                buf = ffi.new("uint8_t[]", bytes(bits))
                self._keep.append(buf)
                setattr(st, name, buf)
        self.suppress((), ())
        self._prefix = ffi.new("char[]", bytes(prefix) or b"\0")
        self._prefix_len = len(prefix)
        self._cap = max(text_cap, 2 * lib.FTC_DSCAN_TEXT_MAX + 8192)
        self._text = ffi.new("char[]", self._cap)
        self._len = ffi.new("size_t *")
        self._done = ffi.new("size_t *")

    def suppress(self, sources, destinations):
        """The suppress lists (iterables of host-order addresses)."""
        st = self.st
        self._sup = []
        for name, addrs in (("sup_src", sources), ("sup_dst", destinations)):
            v = sorted(set(a & 0xFFFFFFFF for a in addrs))
            buf = ffi.new("uint32_t[]", v or [0])
            self._sup.append(buf)
            setattr(st, name, buf)
            setattr(st, "n_" + name, len(v))

    @property
    def flows(self):
        """Flows that reached scan tracking."""
        return self.st.flows

    def _flush(self, emit):
        if self._len[0]:
            emit(bytes(ffi.buffer(self._text, self._len[0])))
            self._len[0] = 0

    def add(self, batch, emit):
        """Run one batch (v1/v5/v6/v7) through the detector; emit(bytes) gets
        the message text as it is made (whole lines)."""
        if not batch.n:
            return
        batch.to_host()
        done = self._done
        done[0] = 0
        ptr, n, size, rt = batch.ptr, batch.n, len(batch.buf), batch.rectype
        while True:
            run(lambda: lib.ftc_dscan_add(self.st, self.src.t, self.dst.t, rt, ptr, n, size,
                                          done, self._prefix, self._prefix_len, self._text,
                                          self._cap, self._len), self.src, self.dst)
            self._flush(emit)
            if done[0] >= n:
                return

    def save(self, emit):
        """The state file's text (commands.md 17) to emit(bytes), in pieces."""
        cur = ffi.new("uint32_t[4]")
        while True:
            fin = check(lib.ftc_dscan_save(self.st, self.src.t, self.dst.t, cur, self._text,
                                           self._cap, self._len), "dscan state")
            self._flush(emit)
            if fin:
                return

    def put_source(self, addr, depth, flags):
        """A source read from a state file (newest of its bucket)."""
        run(lambda: lib.ftc_dscan_put_src(self.st, self.src.t, addr, depth, flags), self.src)

    def put_destination(self, src, dst, seen, ports):
        """A destination of source src read from a state file; ports: the
        ports below 1024 it has seen."""
        words = array("I", bytes(128))
        for p in ports:
            words[p >> 5] |= 1 << (p & 31)
        buf = ffi.new("uint32_t[32]", list(words))
        run(lambda: lib.ftc_dscan_put_dst(self.st, self.src.t, self.dst.t, src, dst, seen,
                                          buf), self.dst)
