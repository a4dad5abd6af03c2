"""Filter programs: one compiled form for every filter language.

Front ends (flow-filter's lists and ACLs, flow-nfilter's filter.cfg, the
detectors) build an expression tree from the node constructors below;
`compile(node, rectype)` turns it into a flat array of C instructions
(csrc/filter.c) with forward jumps only, plus a tables blob; the Program
then filters whole batches in one C call.

Nodes: Test leaves, And, Or, Not, First (Cisco-style first-match chains)
and the constants TRUE / FALSE; Addr leaves test a 128-bit address
(`addr_ranges`, `addr_masked`) and are lowered per record type: on v1006
(the address group of four words) to RANGES6 lookups and word tests, on
the IPv4 versions to tests of the 32-bit field seen as its IPv4-mapped
address ::ffff:a.b.c.d (util/ipv6.py), so that an IPv4 filter compiles
there exactly as it always did and an IPv6 range outside ::ffff:0:0/96
matches nothing.
"""
import struct

from pyflowtools.util import ipv6

from pyflowtools.core import filter as _c
from pyflowtools.core.native import layout
from pyflowtools.core.errors import InternalError, MissingField
from pyflowtools.core.filter import Program

# value sources
FIELD, DURATION, START, END = _c.SRC_FIELD, _c.SRC_DURATION, _c.SRC_START, _c.SRC_END
START_TOD, END_TOD, PPS, BPS = _c.SRC_START_TOD, _c.SRC_END_TOD, _c.SRC_PPS, _c.SRC_BPS
NONE = _c.SRC_NONE
OPP = _c.SRC_OPP      # dOctets / dPkts (compare_float only)

CMPS = _c.CMPS

__all__ = ["MissingField", "Program", "compile", "TRUE", "FALSE", "Test", "And", "Or",
           "Not", "First", "in_set", "bitmap", "in_ranges", "compare", "compare_float",
           "masked_equal", "sample", "simplify", "Addr", "addr_ranges", "addr_masked",
           "lower", "words6", "FIELD", "DURATION", "START", "END",
           "START_TOD", "END_TOD", "PPS", "BPS", "NONE", "OPP", "CMPS"]


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


class Addr(Node):
    """A test on a 128-bit address (`field`: srcaddr, dstaddr, nexthop,
    exaddr, router_sc: its last, or only, word): `ranges` [(lo, hi,
    verdict)] disjoint, else `default`; or, with `mask` set, (address &
    mask) == value.  Lowered by compile() for the record type."""
    __slots__ = ("field", "ranges", "default", "mask", "value")

    def __init__(self, field, ranges=(), default=False, mask=None, value=0):
        self.field, self.ranges, self.default = field, list(ranges), bool(default)
        self.mask, self.value = mask, value


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
    return Test(_c.OP_BITMAP, src, name, b=0xFFFFFFFF if mask is None else mask,
                shift=shift, table=bytes(bm))


def bitmap(field, bm, mask=None, shift=0):
    """value in a ready bitmap (bytes; bit v set = true)."""
    src, name = _src(field)
    return Test(_c.OP_BITMAP, src, name, b=0xFFFFFFFF if mask is None else mask,
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
    return Test(_c.OP_RANGES, src, name, a=1 if default else 0, table=blob)


def compare(field, op, value):
    """value <op> number (op: lt le eq ne ge gt)."""
    src, name = _src(field)
    return Test(_c.OP_CMP, src, name, cmp=CMPS[op], a=int(value) & 0xFFFFFFFFFFFFFFFF)


def compare_float(field, op, value):
    src, name = _src(field)
    return Test(_c.OP_CMPF, src, name, cmp=CMPS[op], d=float(value))


def masked_equal(field, mask, value):
    """(value & mask) == value_."""
    src, name = _src(field)
    return Test(_c.OP_MASKEQ, src, name, a=value & mask & 0xFFFFFFFF, b=mask & 0xFFFFFFFF) \
        if value & ~mask & 0xFFFFFFFF == 0 else \
        Test(_c.OP_MASKEQ, src, name, a=value & 0xFFFFFFFF, b=mask & 0xFFFFFFFF)


def addr_ranges(field, ranges, default=False):
    """128-bit address within one of `ranges` [(lo, hi, verdict)] (disjoint)
    gives that verdict; otherwise `default`.  IPv4 addresses are their
    mapped form (util.ipv6.mapped)."""
    return Addr(field, sorted(ranges), default)


def addr_masked(field, mask, value):
    """(128-bit address & mask) == value."""
    return Addr(field, mask=mask & ipv6.ALL, value=value & ipv6.ALL)


def sample(n):
    """True for 1 record in n (pseudo-random)."""
    return Test(_c.OP_SAMPLE, NONE, None, a=max(int(n), 1))


# ---- lowering of 128-bit address tests --------------------------------------

M32 = 0xFFFFFFFF
_MAPPED_LO, _MAPPED_HI = ipv6.MAPPED, ipv6.MAPPED | M32


def words6(field):
    """The v1006 word fields of address `field` (most significant first),
    or None when it has no 128-bit form (exaddr, router_sc)."""
    if field in ("srcaddr", "dstaddr", "nexthop"):
        return (field + "6_0", field + "6_1", field + "6_2", field)
    return None


def _ranges_const(ranges, default, top):
    """The constant the ranges amount to over [0, top], or None."""
    if all(v == default for _, _, v in ranges):
        return Const(default)
    verdicts = {v for _, _, v in ranges}
    if len(verdicts) == 1:
        pos = 0
        for lo, hi, _ in ranges:
            if lo != pos:
                return None
            pos = hi + 1
        if pos == top + 1:
            return Const(verdicts.pop())
    return None


def _ranges6_table(ranges):
    blob = struct.pack("=II", len(ranges), 0)
    blob += b"".join(struct.pack("=QQQQ", lo >> 64, lo & (1 << 64) - 1,
                                 hi >> 64, hi & (1 << 64) - 1) for lo, hi, _ in ranges)
    return blob + bytes(1 if v else 0 for _, _, v in ranges)


def _lower_ranges(node, v6):
    if v6:
        ranges = node.ranges
        top = ipv6.ALL
    else:                     # the IPv4 addresses: the mapped block, as 32 bits
        ranges = [(max(lo, _MAPPED_LO) - _MAPPED_LO, min(hi, _MAPPED_HI) - _MAPPED_LO, v)
                  for lo, hi, v in node.ranges if lo <= _MAPPED_HI and hi >= _MAPPED_LO]
        top = M32
    const = _ranges_const(ranges, node.default, top)
    if const is not None:
        return const
    if not v6:
        return in_ranges(node.field, ranges, node.default)
    return Test(_c.OP_RANGES6, FIELD, words6(node.field)[0], a=1 if node.default else 0,
                table=_ranges6_table(ranges))


def _lower_masked(node, v6):
    mask, value = node.mask, node.value
    if value & ~mask:
        return FALSE
    if not v6:
        if (_MAPPED_LO & mask) >> 32 != value >> 32:
            return FALSE
        return TRUE if mask & M32 == 0 else masked_equal(node.field, mask & M32, value & M32)
    names = words6(node.field)
    top_ones = (ipv6.ALL ^ M32)
    parts = []
    if mask & top_ones == top_ones:           # one lookup for the upper 96 bits
        top = value & top_ones
        parts.append(_lower_ranges(Addr(node.field, [(top, top | M32, True)]), True))
        words = [(3, mask & M32, value & M32)]
    else:
        words = [(k, (mask >> (96 - 32 * k)) & M32, (value >> (96 - 32 * k)) & M32)
                 for k in range(4)]
    for k, m, v in words:
        if m == M32:
            parts.append(compare(names[k], "eq", v))
        elif m:
            parts.append(masked_equal(names[k], m, v))
    return And(*parts) if parts else TRUE


def lower(node, have):
    """The tree with its Addr leaves lowered for a record type whose field
    names are `have`."""
    if isinstance(node, Addr):
        names = words6(node.field)
        v6 = names is not None and all(n in have for n in names)
        if node.mask is not None:
            return _lower_masked(node, v6)
        return _lower_ranges(node, v6)
    if isinstance(node, Not):
        return Not(lower(node.part, have))
    if isinstance(node, And):
        return And(*[lower(p, have) for p in node.parts])
    if isinstance(node, Or):
        return Or(*[lower(p, have) for p in node.parts])
    if isinstance(node, First):
        return First([(lower(c, have), v) for c, v in node.rules], node.default)
    return node


# ---- compiler ------------------------------------------------------------

class _Label:
    __slots__ = ("pos",)

    def __init__(self, pos=None):
        self.pos = pos


_ACCEPT = _Label(_c.ACCEPT)
_REJECT = _Label(_c.REJECT)


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
            self.code.append([Test(_c.OP_TRUE), t if node.value else f,
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


def compile(node, rectype):  # noqa: A001 - the verb is the point
    """Compile an expression tree for records of `rectype`."""
    em = _Emitter(rectype)
    node = simplify(lower(node, em.fields))
    if isinstance(node, Const):
        node = Test(_c.OP_TRUE) if node.value else Not(Test(_c.OP_TRUE))
    em.emit(node, _ACCEPT, _REJECT)
    insns = []
    for test, t, f in em.code:
        offset = width = table = table_len = 0
        if test.src == FIELD and test.op not in (_c.OP_TRUE, _c.OP_SAMPLE):
            pos = em.fields.get(test.field)
            if pos is None:
                raise MissingField("Filter references a field not in flow: %s" % test.field,
                                   test.field)
            offset, width = pos
            if test.op == _c.OP_RANGES6:
                width = 16                     # the group's four words from offset
        if test.table is not None:
            table, table_len = em.table(test.table), len(test.table)
        insns.append((test.op, test.src, test.cmp, test.shift, test.a, test.b, test.d,
                      offset, width, table, table_len, t.pos, f.pos))
    return _c.build(insns, em.tables, rectype)


def evaluate(node, rec):
    """Pure-Python reference evaluation of a tree on a record dict (tests
    and debugging; never on the data path)."""
    raise NotImplementedError("the test suite's oracle evaluates filters independently")
