"""ftc_xlate_*: flow-xlate programs (csrc/tagmask.c) over batches, and the
record version conversion (the reference's ftrec_xlate) that flow-xlate -V
and flow-tag use."""
from pyflowtools.core import recs
from pyflowtools.core.batch import Batch
from pyflowtools.core.errors import MissingField
from pyflowtools.core.native import RT_V1006, check, ffi, lib, rec_size

#: action types
SRC_TO_NET, DST_TO_NET = lib.FTC_XL_SRC_TO_NET, lib.FTC_XL_DST_TO_NET
SRC_TO_CLASS, DST_TO_CLASS = lib.FTC_XL_SRC_TO_CLASS, lib.FTC_XL_DST_TO_CLASS
ADDR_MASK, PORT_MASK, TAG_MASK = lib.FTC_XL_ADDR_MASK, lib.FTC_XL_PORT_MASK, lib.FTC_XL_TAG_MASK
SCALE, SRC_AS0, DST_AS0 = lib.FTC_XL_SCALE, lib.FTC_XL_SRC_AS0, lib.FTC_XL_DST_AS0
#: conversion kinds
COPY, FIELDS, ZERO = lib.FTC_XV_COPY, lib.FTC_XV_FIELDS, lib.FTC_XV_ZERO

NOT_IN_FLOW = "Xlate references a field not in flow."


class Program:
    """actions [(type, src, dst)]; terms [(filter Program or None, stop,
    first, count)] for records of `rectype`.  FlowToolsError when an
    action needs a field the record type lacks."""

    def __init__(self, rectype, terms, actions):
        self.rectype = rectype
        self._actions = ffi.new("ftc_xlate_action_t[]", max(len(actions), 1))
        for i, (typ, src, dst) in enumerate(actions):
            a = self._actions[i]
            a.type, a.src, a.dst = typ, src & 0xFFFFFFFF, dst & 0xFFFFFFFF
        self._terms = ffi.new("ftc_xlate_term_t[]", max(len(terms), 1))
        self._filters = []
        for i, (prog, stop, first, count) in enumerate(terms):
            t = self._terms[i]
            if prog is not None:
                self._filters.append(prog)
                t.prog, t.nprog, t.tables, t.tables_len, t.fst = prog.c_args()
            t.stop, t.first, t.count = 1 if stop else 0, first, count
        self.n_terms, self.n_actions = len(terms), len(actions)
        check(lib.ftc_xlate_check(rectype, self._terms, self.n_terms, self._actions,
                                  self.n_actions), "xlate program",
              {lib.FTC_EFIELD: NOT_IN_FLOW})
        self._scratch = bytearray(0)

    def apply(self, batch):
        """Translate the batch's records in place; returns batch."""
        n = batch.n
        if not n:
            return batch
        batch.to_host()
        if len(self._scratch) < 2 * n:
            self._scratch = bytearray(2 * n)
            self._sptr = ffi.from_buffer("uint8_t[]", self._scratch)
        check(lib.ftc_xlate_apply(self.rectype, self._terms, self.n_terms, self._actions,
                                  self.n_actions, batch.ptr, n, self._sptr, self._sptr + n),
              "xlate program", {lib.FTC_EFIELD: NOT_IN_FLOW})
        return batch


def version_kind(rt_in, rt_out):
    """COPY, FIELDS or ZERO (see csrc/ftcore.h)."""
    return check(lib.ftc_xlate_version_kind(rt_in, rt_out))


class Converter:
    """Records of rt_in to records of rt_out, one C call per batch, into a
    batch owned here (refilled by the next call).  From v1006 into an IPv4
    type only the IPv4 flows are converted: the IPv6 ones are dropped from
    the given batch first, in place (`dropped` counts them); into v1006 the
    addresses become IPv4-mapped."""

    def __init__(self, rt_in, rt_out):
        self.rt_in, self.rt_out = rt_in, rt_out
        self.kind = version_kind(rt_in, rt_out)
        self._ipv4_only = rt_in == RT_V1006 and rt_out != RT_V1006
        self.dropped = 0
        self._out = None

    def convert(self, batch):
        if batch.rectype != self.rt_in:
            raise MissingField("data version or sub version changed!")
        if self.kind == COPY:
            return batch
        batch.to_host()
        if self._ipv4_only:
            kept = recs.keep_ipv4(self.rt_in, batch.ptr, batch.n)
            self.dropped += batch.n - kept
            batch.n = kept
        n = batch.n
        out = self._out
        if out is None or out.capacity < n:
            out = self._out = Batch(self.rt_out, rec_size(self.rt_out), max(n, 1))
        check(lib.ftc_xlate_version(self.rt_in, batch.ptr, n, self.rt_out, out.ptr,
                                    len(out.buf)), "record conversion")
        out.n = n
        return out
