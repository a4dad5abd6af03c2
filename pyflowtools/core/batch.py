"""Batch: records of one type in a reusable caller-owned buffer, the unit
every C entry point works on."""
from pyflowtools.core import recs
from pyflowtools.core.native import HOST_ORDER


class Batch:
    """`n` records of `rectype` in `buf` (bytearray); `order` is the byte
    order of the records in buf (host order unless read raw)."""

    __slots__ = ("rectype", "rec_size", "buf", "n", "order", "_ptr")

    def __init__(self, rectype, rec_size, capacity, order=HOST_ORDER):
        self.rectype = rectype
        self.rec_size = rec_size
        self.buf = bytearray(capacity * rec_size)
        self.n = 0
        self.order = order
        self._ptr = recs.pointer(self.buf)

    @classmethod
    def wrap(cls, rectype, rec_size, data, order=HOST_ORDER):
        """The whole records of data as a Batch: over data itself when it is
        writable (a bytearray or a view of one: no copy), else over a
        copy (bytes from another process)."""
        b = cls.__new__(cls)
        b.rectype, b.rec_size, b.order = rectype, rec_size, order
        mv = memoryview(data)
        b.buf = mv if not mv.readonly else bytearray(mv)
        b.n = len(b.buf) // rec_size
        b._ptr = recs.pointer(b.buf)
        return b

    @property
    def capacity(self):
        return len(self.buf) // self.rec_size

    @property
    def ptr(self):
        """cffi `uint8_t *` to the first record."""
        return self._ptr

    @property
    def nbytes(self):
        return self.n * self.rec_size

    def view(self):
        """memoryview of the n records' bytes."""
        return memoryview(self.buf)[:self.n * self.rec_size]

    def to_order(self, order):
        """Swap the records to byte order `order` in place if needed."""
        if self.order != order:
            recs.swap(self.rectype, self._ptr, self.n)
            self.order = order
        return self

    def to_host(self):
        """Swap records to host order in place if needed."""
        return self.to_order(HOST_ORDER)

    def copy(self):
        b = Batch(self.rectype, self.rec_size, max(self.n, 1), self.order)
        b.buf[:self.nbytes] = self.buf[:self.nbytes]
        b.n = self.n
        return b

    def records(self):
        """Named-tuple records (scripts and tests only: slow)."""
        from pyflowtools.core.record import unpack
        self.to_host()
        return unpack(self.rectype, self.buf, self.n)
