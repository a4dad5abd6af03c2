"""Counting tables for reports and detectors: per-key flows, octets and
packets (and distinct peers), counted by the C core over whole batches.
Memory grows with the number of distinct keys, never with the records."""
from pyflowtools.core.native import ffi, lib, check
from pyflowtools.core.errors import InternalError

METRICS = {"flows": 0, "octets": 1, "packets": 2, "peers": 3}


def field_id(name):
    """enum ftc_field number of a flow-tools field name."""
    for f in range(lib.FTC_F_COUNT):
        if ffi.string(lib.ftc_field_name(f)).decode() == name:
            return f
    raise InternalError("no field %r" % name)


class Table:
    """A growable C hash table (ftc_agg_table_t)."""

    def __init__(self, cap=1 << 12):
        self._alloc(cap)

    def _alloc(self, cap):
        self._slots = ffi.new("ftc_agg_slot_t[]", cap)
        self.t = ffi.new("ftc_agg_table_t *", {"slot": self._slots, "cap": cap, "used": 0})

    def grow(self):
        old_slots, old = self._slots, self.t
        self._alloc(old.cap * 4)
        check(lib.ftc_agg_rehash(old, self.t))
        del old_slots

    def __len__(self):
        return self.t.used

    def get(self, key):
        i = lib.ftc_agg_find(self.t, key)
        return None if i < 0 else self._slots[i]

    def ranked(self, metric="flows", limit=None, min_value=0):
        """[(key, flows, octets, packets, aux)] by metric descending, ties
        by key ascending."""
        n = self.t.used
        if not n:
            return []
        idx = ffi.new("uint32_t[]", n)
        scratch = ffi.new("uint32_t[]", n)
        m = check(lib.ftc_agg_rank(self.t, METRICS[metric], min_value, idx,
                                   n if limit is None else max(limit, 0), scratch))
        out = []
        for j in range(m):
            s = self._slots[idx[j]]
            out.append((s.key, s.flows, s.octets, s.packets, s.aux))
        return out


class Counter:
    """Counts records by (field1[, field2]): key = f1 << 32 | f2."""

    def __init__(self, field1, field2=None, cap=1 << 12):
        self.f1 = field_id(field1)
        self.f2 = field_id(field2) if field2 else -1
        self.table = Table(cap)

    def add(self, batch, sel=None):
        batch.to_host()
        done = ffi.new("size_t *", 0)
        sp = ffi.NULL if sel is None else ffi.from_buffer("uint8_t[]", sel)
        while True:
            st = lib.ftc_agg_add(self.table.t, batch.rectype, batch.ptr, batch.n, sp,
                                 self.f1, self.f2, done)
            if st != lib.FTC_EFULL:
                check(st)
                return
            self.table.grow()


class DistinctCounter:
    """Per key f1: flows/octets/packets and the number of distinct f2."""

    def __init__(self, field1, field2, cap=1 << 12):
        self.f1 = field_id(field1)
        self.f2 = field_id(field2)
        self.pairs = Table(cap)
        self.table = Table(cap)

    def add(self, batch, sel=None):
        batch.to_host()
        done = ffi.new("size_t *", 0)
        sp = ffi.NULL if sel is None else ffi.from_buffer("uint8_t[]", sel)
        while True:
            st = lib.ftc_agg_distinct(self.pairs.t, self.table.t, batch.rectype, batch.ptr,
                                      batch.n, sp, self.f1, self.f2, done)
            if st != lib.FTC_EFULL:
                check(st)
                return
            if (self.pairs.t.used + 1) * 4 > self.pairs.t.cap * 3:
                self.pairs.grow()
            if (self.table.t.used + 1) * 4 > self.table.t.cap * 3:
                self.table.grow()
