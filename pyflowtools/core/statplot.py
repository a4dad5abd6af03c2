"""ftc_plot_*: flow-stat's flow duration plot data (-f 13 octets, -f 14
packets; csrc/statplot.c), one C call per batch into a reusable buffer;
and its prefix masking (-f 24/25/26)."""
from pyflowtools.core.errors import MissingField
from pyflowtools.core.native import EFULL, check, ffi, lib

REC_MAX = lib.FTC_PLOT_REC_MAX


class Plot:
    """The two lines per record and the running bounds (xmin, xmax, ymin,
    ymax) of -f 13, or of -f 14 with packets=True."""

    def __init__(self, packets=False, buffer_bytes=1 << 18):
        self.packets = 1 if packets else 0
        self.c = ffi.new("ftc_plot_t *")
        lib.ftc_plot_init(self.c)
        self._buf = ffi.new("char[]", max(buffer_bytes, REC_MAX + 1))
        self._cap = max(buffer_bytes, REC_MAX + 1)
        self._len = ffi.new("size_t *")
        self._done = ffi.new("size_t *")

    def format(self, batch):
        """The text of the batch's records (bytes)."""
        batch.to_host()
        parts = []
        done = 0
        n = batch.n
        while done < n:
            st = lib.ftc_plot_format(self.c, self.packets, batch.rectype,
                                     batch.ptr + done * batch.rec_size, n - done,
                                     len(batch.buf) - done * batch.rec_size, self._buf,
                                     self._cap, self._len, self._done)
            if st == lib.FTC_EFIELD:
                raise MissingField()
            if st != EFULL:
                check(st, "plot data")
            parts.append(ffi.buffer(self._buf, self._len[0])[:])
            done += self._done[0]
        return b"".join(parts)

    @property
    def bounds(self):
        """(xmin, ymin, xmax, ymax)"""
        c = self.c
        return c.xmin, c.ymin, c.xmax, c.ymax

    def trailer(self, cc="#"):
        """The closing `# xmin=... ymax=...` line."""
        return "%s xmin=%-10d   ymin=%-10d   xmax=%-10d   ymax=%-10d\n" % ((cc,) + self.bounds)
