"""Filter programs: one compiled form for every filter language.

Front ends (flow-filter's lists and ACLs, flow-nfilter's filter.cfg, the
detectors) build an expression tree from the node constructors below;
`compile(node, rectype)` turns it into a flat array of C instructions
(csrc/filter.c) with forward jumps only, plus a tables blob; the Program
then filters whole batches in one C call.

Nodes: Test leaves, And, Or, Not, First (Cisco-style first-match chains)
and the constants TRUE / FALSE.
"""
import struct

from pyflowtools.core.native import ffi, lib, check, layout
from pyflowtools.core.errors import FormatError, InternalError

# value sources
FIELD = lib.FTC_SRC_FIELD
DURATION = lib.FTC_SRC_DURATION
START = lib.FTC_SRC_START
END = lib.FTC_SRC_END
START_TOD = lib.FTC_SRC_START_TOD
END_TOD = lib.FTC_SRC_END_TOD
PPS = lib.FTC_SRC_PPS
BPS = lib.FTC_SRC_BPS
NONE = lib.FTC_SRC_NONE
OPP = lib.FTC_SRC_OPP      # dOctets / dPkts (compare_float only)

CMPS = {"lt": lib.FTC_CMP_LT, "le": lib.FTC_CMP_LE, "eq": lib.FTC_CMP_EQ,
        "ne": lib.FTC_CMP_NE, "ge": lib.FTC_CMP_GE, "gt": lib.FTC_CMP_GT}


class MissingField(FormatError):
    """The record type lacks a field the filter uses."""


# ---- expression tree -----------------------------------------------------

class Node:
    __slots__ = ()


class Const(Node):
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = bool(value)


TRUE = Const(True)
FALSE = Const(False)


class Test(Node):
    """One instruction's test.  `field` is a flow-tools field name (for
    FIELD sources) or None; `table` is bytes or None."""
    __slots__ = ("op", "src", "field", "cmp", "a", "b", "d", "shift", "table")

    def __init__(self, op, src=NONE, field=None, cmp=0, a=0, b=0, d=0.0, shift=0, table=None):
        self.op, self.src, self.field, self.cmp = op, src, field, cmp
        self.a, self.b, self.d, self.shift, self.table = a, b, d, shift, table


class And(Node):
    __slots__ = ("parts",)

    def __init__(self, *parts):
        self.parts = list(parts)


class Or(Node):
    __slots__ = ("parts",)

    def __init__(self, *parts):
        self.parts = list(parts)


class Not(Node):
    __slots__ = ("part",)

    def __init__(self, part):
        self.part = part


class First(Node):
    """First-match chain: [(condition, verdict bool), ...], then `default`."""
    __slots__ = ("rules", "default")

    def __init__(self, rules, default=False):
        self.rules = list(rules)
        self.default = bool(default)


# ---- leaf constructors ---------------------------------------------------

def _src(field):
    return (FIELD, field) if isinstance(field, str) else (field, None)


def in_set(field, values, nbits=None, mask=None, shift=0):
    """value (masked with `mask`, then shifted right) is in `values` (an
    iterable of ints) -- a bitmap lookup."""
    src, name = _src(field)
    if nbits is None:
        nbits = 1 << 16
    bm = bytearray((nbits + 7) // 8)
    for v in values:
        if 0 <= v < nbits:
            bm[v >> 3] |= 1 << (v & 7)
    return Test(lib.FTC_OP_BITMAP, src, name, b=0xFFFFFFFF if mask is None else mask,
                shift=shift, table=bytes(bm))


def bitmap(field, bm, mask=None, shift=0):
    """value in a ready bitmap (bytes; bit v set = true)."""
    src, name = _src(field)
    return Test(lib.FTC_OP_BITMAP, src, name, b=0xFFFFFFFF if mask is None else mask,
                shift=shift, table=bytes(bm))


def in_ranges(field, ranges, default=False):
    """value within one of `ranges` [(lo, hi, verdict), ...] (disjoint) gives
    that verdict; otherwise `default`."""
    src, name = _src(field)
    ranges = sorted(ranges)
    for (_lo1, hi1, _), (lo2, _, _) in zip(ranges, ranges[1:]):
        if lo2 <= hi1:
            raise InternalError("overlapping ranges")
    blob = struct.pack("=I", len(ranges))
    blob += b"".join(struct.pack("=II", lo, hi) for lo, hi, _ in ranges)
    blob += bytes(1 if v else 0 for _, _, v in ranges)
    return Test(lib.FTC_OP_RANGES, src, name, a=1 if default else 0, table=blob)


def compare(field, op, value):
    """value <op> number (op: lt le eq ne ge gt)."""
    src, name = _src(field)
    return Test(lib.FTC_OP_CMP, src, name, cmp=CMPS[op], a=int(value) & 0xFFFFFFFFFFFFFFFF)


def compare_float(field, op, value):
    src, name = _src(field)
    return Test(lib.FTC_OP_CMPF, src, name, cmp=CMPS[op], d=float(value))


def masked_equal(field, mask, value):
    """(value & mask) == value_."""
    src, name = _src(field)
    return Test(lib.FTC_OP_MASKEQ, src, name, a=value & mask & 0xFFFFFFFF, b=mask & 0xFFFFFFFF) \
        if value & ~mask & 0xFFFFFFFF == 0 else \
        Test(lib.FTC_OP_MASKEQ, src, name, a=value & 0xFFFFFFFF, b=mask & 0xFFFFFFFF)


def sample(n):
    """True for 1 record in n (pseudo-random)."""
    return Test(lib.FTC_OP_SAMPLE, NONE, None, a=max(int(n), 1))


# ---- compiler ------------------------------------------------------------

class _Label:
    __slots__ = ("pos",)

    def __init__(self, pos=None):
        self.pos = pos


_ACCEPT = _Label(lib.FTC_PROG_ACCEPT)
_REJECT = _Label(lib.FTC_PROG_REJECT)


class _Emitter:
    def __init__(self, rectype):
        self.rectype = rectype
        _, _, self.rec_size, self.fields = layout(rectype)
        self.code = []          # [test, jt label, jf label]
        self.tables = bytearray()
        self._table_at = {}

    def here(self):
        return _Label(len(self.code))

    def table(self, blob):
        off = self._table_at.get(blob)
        if off is None:
            while len(self.tables) % 8:
                self.tables.append(0)
            off = len(self.tables)
            self.tables += blob
            self._table_at[blob] = off
        return off

    def emit(self, node, t, f):
        if isinstance(node, Const):
            # a constant needs an instruction only as a jump target; the
            # callers short-circuit it where possible
            self.code.append([Test(lib.FTC_OP_TRUE), t if node.value else f,
                              t if node.value else f])
        elif isinstance(node, Test):
            self.code.append([node, t, f])
        elif isinstance(node, Not):
            self.emit(node.part, f, t)
        elif isinstance(node, (And, Or)):
            parts = node.parts or [TRUE if isinstance(node, And) else FALSE]
            for i, p in enumerate(parts):
                if i == len(parts) - 1:
                    self.emit(p, t, f)
                else:
                    nxt = _Label()
                    if isinstance(node, And):
                        self.emit(p, nxt, f)
                    else:
                        self.emit(p, t, nxt)
                    nxt.pos = len(self.code)
        elif isinstance(node, First):
            dflt = t if node.default else f
            for cond, verdict in node.rules:
                nxt = _Label()
                self.emit(cond, t if verdict else f, nxt)
                nxt.pos = len(self.code)
            self.emit(Const(node.default), dflt, dflt)
        else:
            raise InternalError("bad filter node %r" % (node,))


def simplify(node):
    """Fold constants (so `permit any` style chains stay short)."""
    if isinstance(node, Not):
        p = simplify(node.part)
        return Const(not p.value) if isinstance(p, Const) else Not(p)
    if isinstance(node, And):
        parts = []
        for p in map(simplify, node.parts):
            if isinstance(p, Const):
                if not p.value:
                    return FALSE
                continue
            parts.append(p)
        return And(*parts) if len(parts) > 1 else parts[0] if parts else TRUE
    if isinstance(node, Or):
        parts = []
        for p in map(simplify, node.parts):
            if isinstance(p, Const):
                if p.value:
                    return TRUE
                continue
            parts.append(p)
        return Or(*parts) if len(parts) > 1 else parts[0] if parts else FALSE
    if isinstance(node, First):
        rules = []
        for cond, verdict in node.rules:
            cond = simplify(cond)
            if isinstance(cond, Const):
                if cond.value:
                    return First(rules, verdict) if rules else Const(verdict)
                continue
            rules.append((cond, verdict))
        return First(rules, node.default) if rules else Const(node.default)
    return node


class Program:
    """A compiled filter for one record type."""

    def __init__(self, insns, n, tables, rectype):
        self._insns = insns
        self.n = n
        self.tables = tables
        self._tptr = ffi.from_buffer("uint8_t[]", tables) if tables else ffi.new("uint8_t[8]")
        self.rectype = rectype
        self.state = ffi.new("ftc_filter_state_t *")
        self._sel = None

    def seed(self, value):
        self.state.rng = value & 0xFFFFFFFFFFFFFFFF or 1

    def apply(self, batch):
        """Keep the accepted records of batch (in place); returns batch."""
        if batch.n:
            batch.to_host()
            kept = ffi.new("size_t *")
            check(lib.ftc_filter_apply(self._insns, self.n, self._tptr, len(self.tables),
                                       self.rectype, self.state, batch.ptr, batch.n, kept))
            batch.n = kept[0]
        return batch

    def select(self, batch):
        """bytes: 1 per accepted record, 0 otherwise (batch unchanged)."""
        batch.to_host()
        if self._sel is None or len(self._sel) < batch.n:
            self._sel = bytearray(max(batch.n, 1))
            self._sptr = ffi.from_buffer("uint8_t[]", self._sel)
        check(lib.ftc_filter_select(self._insns, self.n, self._tptr, len(self.tables),
                                    self.rectype, self.state, batch.ptr, batch.n, self._sptr))
        return memoryview(self._sel)[:batch.n]


def compile(node, rectype):  # noqa: A001 - the verb is the point
    """Compile an expression tree for records of `rectype`."""
    node = simplify(node)
    em = _Emitter(rectype)
    if isinstance(node, Const):
        node = Test(lib.FTC_OP_TRUE) if node.value else Not(Test(lib.FTC_OP_TRUE))
    em.emit(node, _ACCEPT, _REJECT)
    n = len(em.code)
    insns = ffi.new("ftc_insn_t[]", n)
    for i, (test, t, f) in enumerate(em.code):
        ins = insns[i]
        ins.op, ins.src, ins.cmp, ins.shift = test.op, test.src, test.cmp, test.shift
        ins.a, ins.b, ins.d = test.a, test.b, test.d
        if test.src == FIELD and test.op not in (lib.FTC_OP_TRUE, lib.FTC_OP_SAMPLE):
            pos = em.fields.get(test.field)
            if pos is None:
                raise MissingField("Filter references a field not in flow: %s" % test.field)
            ins.offset, ins.width = pos
        if test.table is not None:
            ins.table = em.table(test.table)
            ins.table_len = len(test.table)
        ins.jt, ins.jf = t.pos, f.pos
    tables = bytes(em.tables)
    tptr = ffi.from_buffer("uint8_t[]", tables) if tables else ffi.NULL
    check(lib.ftc_filter_check(insns, n, tptr, len(tables), rectype), "filter program")
    return Program(insns, n, tables, rectype)


def evaluate(node, rec):
    """Pure-Python reference evaluation of a tree on a record dict (tests
    and debugging; never on the data path)."""
    raise NotImplementedError("the test suite's oracle evaluates filters independently")
