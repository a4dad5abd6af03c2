"""ftc_merge*: flow-merge's k-way merge by end time (csrc/merge.c).

A Merger holds the C input table and the heap scratch for k inputs; the
caller (io/merge.py) feeds each input its batches as C asks for them."""
from pyflowtools.core.native import EAGAIN, EFULL, OK, check, ffi, lib

_MESSAGES = {lib.FTC_EFIELD: "Flow record missing required field."}

DONE, NEED, FULL = "done", "need", "full"


class Merger:
    """k inputs of record type rectype, merged into out batches."""

    def __init__(self, rectype, k):
        self.rectype = rectype
        self.k = k
        self.ins = ffi.new("ftc_merge_in_t[]", max(k, 1))
        self._heap = ffi.new("uint32_t[]", max(k, 1))
        self._batches = [None] * k
        self._produced = ffi.new("size_t *")
        self._need = ffi.new("size_t *")

    def feed(self, i, batch):
        """Input i's next batch (host order), or None: the input is done."""
        e = self.ins[i]
        self._batches[i] = batch
        e.pos = 0
        if batch is None:
            e.recs, e.size, e.n, e.done = ffi.NULL, 0, 0, 1
        else:
            e.recs, e.size, e.n, e.done = batch.ptr, len(batch.buf), batch.n, 0

    def step(self, out):
        """Merge into the Batch out (from its start).  Returns (DONE, None),
        (NEED, input index) or (FULL, None); out.n is set to the records
        written."""
        st = lib.ftc_merge(self.rectype, self.ins, self.k, self._heap, out.ptr, out.capacity,
                           self._produced, self._need)
        out.n = self._produced[0]
        if st == OK:
            return DONE, None
        if st == EAGAIN:
            return NEED, self._need[0]
        if st == EFULL:
            return FULL, None
        check(st, "merge", _MESSAGES)
        return DONE, None


def keys(batch):
    """The end time of each record of a host-order batch, as ftc_merge
    orders them: seconds << 32 | milliseconds (tests, scripts)."""
    arr = ffi.new("uint64_t[]", max(batch.n, 1))
    check(lib.ftc_merge_keys(batch.rectype, batch.ptr, batch.n, len(batch.buf), arr),
          "merge keys", _MESSAGES)
    return list(arr[0:batch.n])
