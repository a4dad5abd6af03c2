"""THE hash table of the core (csrc/ftc_table.h) and the aggregation
kernel on it (csrc/agg.c), from Python.

One table type serves every keyed count: aggregation by any list of record
fields (flow-topn, flow-icmpdecode, later flow-stat and flow-report), the
distinct pairs behind "peers" counts, flow-portrank's (host, port) pairs
and the exporter sequence table.  Memory is Python's (a zeroed, 8-byte
aligned ffi array of cap * stride bytes); a C call that needs more room
marks the table `full` and returns FTC_EFULL, and `run()` -- the one
grower -- grows every marked table by the one policy (`next_cap`) and
calls again.

    agg = Aggregation(["srcaddr", "dstport"])
    for batch in reader:
        agg.add(batch)
    for row in agg.ranked("octets", limit=10):
        row.key, row.flows, row.octets, ...
"""
import struct
from array import array
from collections import namedtuple

from pyflowtools.core.errors import FlowToolsError, InternalError
from pyflowtools.core.native import EFULL, RT_V1006, check, ffi, field_id, lib

AGG = lib.FTC_TAB_AGG
AGGT = lib.FTC_TAB_AGGT
AGGR = lib.FTC_TAB_AGGR
SET = lib.FTC_TAB_SET
PR = lib.FTC_TAB_PR
SEQ = lib.FTC_TAB_SEQ
MIN_CAP = lib.FTC_TAB_MIN_CAP
MAX_CAP = lib.FTC_TAB_MAX_CAP
KEY_MAX = lib.FTC_KEY_MAX
DEFAULT_CAP = 1 << 12
_LIST_CHUNK = 1 << 14


def max_keys(cap):
    """The most keys a table of cap slots holds (3/4 of them)."""
    return cap - cap // 4


def next_cap(cap):
    """THE growth policy: four times the slots, up to MAX_CAP.  Fewer
    rehashes than doubling (a table of 10 M keys is moved 4 times, not 8)
    and a lower peak: the last growth holds a quarter table beside the new
    one instead of a half."""
    if cap >= MAX_CAP:
        raise FlowToolsError("table full: more than %d distinct keys" % max_keys(MAX_CAP))
    return min(cap * 4, MAX_CAP)


def cap_for(n):
    """The smallest valid capacity holding n keys."""
    cap = MIN_CAP
    while max_keys(cap) < n:
        cap *= 2
    if cap > MAX_CAP:
        raise FlowToolsError("table full: more than %d distinct keys" % max_keys(MAX_CAP))
    return cap


class Table:
    """One C table (ftc_tab_t): `kind` (AGG, AGGT, SET, PR, SEQ) and key_len-byte
    keys in cap slots.  `t` is the ftc_tab_t pointer C calls take; it is
    replaced when the table grows."""

    def __init__(self, kind, key_len, cap=DEFAULT_CAP, limit=None, max_keys=0):
        self.kind = kind
        self.key_len = key_len
        #: most slots growth goes to (None: MAX_CAP); a kernel that caps its
        #: keys at n takes limit=cap_for(n), never four times that
        self.limit = limit
        #: the most keys in C (ftc_tab_t.limit, 0: none but 3/4 cap): kernels
        #: return FTC_EFULL at it, and growth stops at the capacity holding it
        self.max_keys = max_keys
        self.stride = check(lib.ftc_tab_stride(kind, key_len), "table layout")
        self._mem, self.t = self._alloc(cap_for(0) if cap < MIN_CAP else cap)

    def _alloc(self, cap):
        if cap & (cap - 1) or not MIN_CAP <= cap <= MAX_CAP:
            raise InternalError("table capacity %d is not a power of two in range" % cap)
        size = cap * self.stride
        mem = ffi.new("uint64_t[]", size // 8)          # zeroed, 8-byte aligned
        t = ffi.new("ftc_tab_t *")
        check(lib.ftc_tab_init(t, self.kind, self.key_len, cap, ffi.cast("uint8_t *", mem),
                               size), "table")
        t.limit = self.max_keys
        return mem, t

    @property
    def cap(self):
        return self.t.cap

    def __len__(self):
        return self.t.used

    @property
    def nbytes(self):
        """Bytes of slot memory."""
        return self.t.cap * self.stride

    def grow(self):
        """Move the keys into a table of next_cap() slots (at most limit,
        and no more than hold max_keys keys when there is such a cap)."""
        cap = next_cap(self.t.cap)
        if self.limit is not None and self.t.cap < self.limit:
            cap = min(cap, self.limit)
        if self.max_keys:
            cap = max(self.t.cap, min(cap, cap_for(self.max_keys)))
        mem, t = self._alloc(cap)
        check(lib.ftc_tab_rehash(self.t, t), "table growth")
        self._mem, self.t = mem, t

    def reserve(self, n):
        """Grow (as grow() does) until n keys fit without growing.  A
        partial merge reserves its keys first: csrc/partial.c inserts a
        partial's keys in its slot (hash) order, which into a table of the
        same size, already well filled, piles them into one run of slots
        that every later key probes across (10 M portrank pairs: minutes)."""
        while max_keys(self.t.cap) < n:
            cap = self.t.cap
            self.grow()
            if self.t.cap == cap:
                break

    def renew(self, cap=None):
        """Start empty, with cap slots (default next_cap())."""
        self._mem, self.t = self._alloc(next_cap(self.t.cap) if cap is None else cap)

    def find(self, key):
        """Slot index of key (bytes of key_len), or None."""
        idx = ffi.new("uint32_t *")
        found = check(lib.ftc_tab_find(self.t, key, len(key), idx), "table lookup")
        return idx[0] if found else None

    def indexes(self):
        """The used slots' indexes, in slot order."""
        pos = ffi.new("uint32_t *", 0)
        idx = ffi.new("uint32_t[]", min(max(len(self), 1), _LIST_CHUNK))
        while pos[0] < self.t.cap:
            m = check(lib.ftc_tab_slots(self.t, pos, idx, len(idx)), "table slots")
            for j in range(m):
                yield idx[j]

    def slot(self, i, ctype):
        """Slot i's value as a `ctype *` (e.g. "ftc_agg_slot_t")."""
        return ffi.cast(ctype + " *", self.t.slot + i * self.stride)

    def key(self, i):
        """Slot i's key bytes."""
        off = i * self.stride + self.t.key_off
        return bytes(ffi.buffer(self.t.slot + off, self.key_len))


def run(call, *tables):
    """THE grower: call() (a C kernel on `tables`, reading each `.t` anew)
    until it returns something else than FTC_EFULL, growing the tables it
    marked full in between.  Returns the final status (checked)."""
    while True:
        st = call()
        if st != EFULL:
            return check(st)
        grown = False
        for tb in tables:
            if tb is not None and tb.t.full:
                tb.grow()
                grown = True
        if not grown:
            raise InternalError("FTC_EFULL without a table marked full")


# ---- keys ------------------------------------------------------------------

_FMT = {1: "B", 2: "H", 4: "I"}


#: fields computed per record (csrc/ftcore.h FTC_V_*)
VIRTUAL = {"pktsize": lib.FTC_V_PKTSIZE, "bps": lib.FTC_V_BPS, "pps": lib.FTC_V_PPS,
           "duration": lib.FTC_V_DURATION, "dsttype": lib.FTC_V_DSTTYPE,
           "srcprefix": lib.FTC_V_SRCPREFIX, "dstprefix": lib.FTC_V_DSTPREFIX,
           # v1006: 128-bit addresses (16-byte keys, values as unsigned ints;
           # print with util.ipv6.text)
           "srcaddr6": lib.FTC_V_SRCADDR6, "dstaddr6": lib.FTC_V_DSTADDR6,
           "nexthop6": lib.FTC_V_NEXTHOP6, "srcprefix6": lib.FTC_V_SRCPREFIX6,
           "dstprefix6": lib.FTC_V_DSTPREFIX6}

#: the 128-bit key field of an address key field on v1006 (address_fields)
ADDR6 = {"srcaddr": "srcaddr6", "dstaddr": "dstaddr6", "nexthop": "nexthop6",
         "srcprefix": "srcprefix6", "dstprefix": "dstprefix6"}


def is_ipv6(rectype):
    """Do records of rectype hold 128-bit addresses (v1006)?"""
    return rectype == RT_V1006


def address_fields(fields, rectype):
    """Key fields for records of rectype: on v1006 each address field
    (srcaddr, dstaddr, nexthop, srcprefix, dstprefix) becomes its 128-bit
    key field (ADDR6), whose values are 128-bit ints (IPv4 flows mapped,
    ::ffff:a.b.c.d); the others, and every field on the IPv4 record types,
    stay.  `exaddr` stays IPv4 everywhere."""
    if isinstance(fields, str):
        fields = (fields,)
    if not is_ipv6(rectype):
        return list(fields)
    return [ADDR6.get(f, f) for f in fields]


def key_field_id(name):
    """C id of a key field: a record field (flow-tools name) or a VIRTUAL one."""
    v = VIRTUAL.get(name)
    return field_id(name) if v is None else v


class KeySpec:
    """A key made of record fields (flow-tools names) or VIRTUAL fields,
    packed in order, each big-endian in its width (so keys order as
    numbers, field by field; a 128-bit address as one 16-byte field);
    `mask`: one int per field ANDed onto it (fields of up to 4 bytes).
    The layout comes from C (ftc_key_spec)."""

    def __init__(self, fields, mask=None):
        if isinstance(fields, str):
            fields = (fields,)
        self.names = tuple(fields)
        ids = ffi.new("int32_t[]", [key_field_id(f) for f in self.names])
        self.c = ffi.new("ftc_key_spec_t *")
        check(lib.ftc_key_spec(self.c, ids, len(self.names)), "key %s" % ",".join(self.names))
        if mask is not None:
            if len(mask) != len(self.names):
                raise InternalError("one mask per key field")
            self.c.has_mask = 1
            for j, m in enumerate(mask):
                self.c.mask[j] = m & 0xFFFFFFFF
        self.key_len = self.c.key_len
        self.widths = tuple(self.c.width[j] for j in range(self.c.n))
        if all(w in _FMT for w in self.widths):
            self._st = struct.Struct(">" + "".join(_FMT[w] for w in self.widths))
        else:
            self._st = None

    def pack(self, values):
        """Key bytes of a tuple of field values."""
        if self._st is not None:
            return self._st.pack(*values)
        return b"".join(v.to_bytes(w, "big") for v, w in zip(values, self.widths))

    def unpack(self, key):
        """The tuple of field values of key bytes."""
        if self._st is not None:
            return self._st.unpack(key)
        out, off = [], 0
        for w in self.widths:
            out.append(int.from_bytes(key[off:off + w], "big"))
            off += w
        return tuple(out)


# ---- the aggregation kernel ------------------------------------------------

#: rank orders: a counter (descending, ties by key ascending) or the key
BY = {"flows": lib.FTC_AGG_BY_FLOWS, "octets": lib.FTC_AGG_BY_OCTETS,
      "packets": lib.FTC_AGG_BY_PACKETS, "distinct": lib.FTC_AGG_BY_DISTINCT,
      "peers": lib.FTC_AGG_BY_DISTINCT, "duration": lib.FTC_AGG_BY_DURATION,
      "first": lib.FTC_AGG_BY_FIRST, "last": lib.FTC_AGG_BY_LAST,
      "key": lib.FTC_AGG_BY_KEY}

#: order / column sources (ftc_agg_order, ftc_agg_format)
SOURCES = dict(BY, seq=lib.FTC_AGG_BY_SEQ, frecs=lib.FTC_AGG_BY_FRECS,
               count=lib.FTC_AGG_BY_COUNT, lflows=lib.FTC_AGG_BY_LFLOWS,
               loctets=lib.FTC_AGG_BY_LOCTETS, lpackets=lib.FTC_AGG_BY_LPACKETS,
               **{"avg-pps": lib.FTC_AGG_BY_PPS_AVG, "min-pps": lib.FTC_AGG_BY_PPS_MIN,
                  "max-pps": lib.FTC_AGG_BY_PPS_MAX, "avg-bps": lib.FTC_AGG_BY_BPS_AVG,
                  "min-bps": lib.FTC_AGG_BY_BPS_MIN, "max-bps": lib.FTC_AGG_BY_BPS_MAX,
                  "index": lib.FTC_COL_INDEX, "text": lib.FTC_COL_TEXT})

KINDS = {"dec": lib.FTC_CK_DEC, "ip": lib.FTC_CK_IP, "prefix": lib.FTC_CK_PREFIX,
         "sym": lib.FTC_CK_SYM, "f": lib.FTC_CK_F, "pct": lib.FTC_CK_PCT,
         "pct3": lib.FTC_CK_PCT3}
SYM_KINDS = {"prot": lib.FTC_SYMK_PROT, "port": lib.FTC_SYMK_PORT, "asn": lib.FTC_SYMK_AS,
             "tag": lib.FTC_SYMK_TAG}

#: one aggregation slot: key is a tuple of field values (in key order)
Row = namedtuple("Row", "key flows octets packets duration first last distinct seq frecs "
                        "pps bps lin")
_Z3 = (0.0, 0.0, 0.0)

_FORMAT_BUF = 1 << 20


class Column:
    """A column of Aggregation.format (docs/REPORT-ENGINE.md): `src` a
    counter name, "key" / "keyN" (key field N), "index" or "text";
    rendered as `kind`, padded to `width`, cut to `cut`, then `sep`."""

    __slots__ = ("src", "kind", "width", "sep", "total", "sym", "sym_kind", "cut",
                 "len_field", "field")

    def __init__(self, src, kind="dec", width=0, sep="", total=0, sym=None, sym_kind=None,
                 cut=0, len_field=None):
        self.src, self.kind, self.width, self.sep = src, kind, width, sep
        self.total, self.sym, self.sym_kind, self.cut = total, sym, sym_kind, cut
        self.len_field = len_field
        self.field = None
        if src == "key":
            self.field = -1
        elif src.startswith("key") and src[3:].isdigit():
            self.field = int(src[3:])
        elif src not in SOURCES:
            raise InternalError("no column source %r" % src)
        if kind not in KINDS:
            raise InternalError("no column kind %r" % kind)
        if kind == "sym" and (sym is None or sym_kind not in SYM_KINDS):
            raise InternalError("a sym column needs sym and sym_kind")
        if kind == "prefix" and len_field is None:
            raise InternalError("a prefix column needs len_field")
        if len(sep.encode()) > lib.FTC_COL_SEP_MAX:
            raise InternalError("column separator too long")

    def fill(self, c):
        c.src = lib.FTC_COL_KEY if self.field is not None else SOURCES[self.src]
        c.kind = KINDS[self.kind]
        c.field = -1 if self.field is None else self.field
        c.len_field = -1 if self.len_field is None else self.len_field
        c.width = self.width
        c.cut = self.cut
        c.sym_kind = SYM_KINDS.get(self.sym_kind, 0)
        sep = self.sep.encode()
        c.sep_len = len(sep)
        c.sep = sep
        c.total = float(self.total)
        c.sym = self.sym.ptr if self.sym is not None else ffi.NULL


class Aggregation:
    """Per key (record fields or VIRTUAL fields `key`, docs/REPORT-ENGINE.md):
    flows, octets, packets, the key's order of first appearance (seq) and,
    with times=True, duration (ms), first and last (unix seconds); with
    rates=True also frecs and pps/bps sums, minima and maxima; with `peer`
    fields, the number of distinct peer keys of each key (in a second
    table of (key, peer) pairs).  dflows: flows += dFlows (v8); scale:
    packets and octets multiplied; each: every record counted under each
    key field; key_and: a mask per key field.  C counts whole batches."""

    def __init__(self, key, peer=None, times=False, cap=DEFAULT_CAP, rates=False,
                 dflows=False, scale=0, each=False, key_and=None, duration=False,
                 rectype=None):
        if rectype is not None:         # v1006: address fields as 128-bit keys
            key = address_fields(key, rectype)
            peer = address_fields(peer, rectype) if peer else peer
        self.key = KeySpec(key, key_and)
        self.peer = KeySpec(peer) if peer else None
        self.rates = bool(rates)
        # duration: the sum of Last - First alone (first and last cost two
        # divisions a record: only times=True computes them)
        self.times = bool(times) or self.rates or bool(duration)
        self.each = bool(each)
        self.scale = int(scale)
        self.flags = ((lib.FTC_AGG_RATES if self.rates else 0)
                      | (lib.FTC_AGG_TIMES if times else 0)
                      | (lib.FTC_AGG_DURATION if duration else 0)
                      | (lib.FTC_AGG_DFLOWS if dflows else 0)
                      | (lib.FTC_AGG_EACH if each else 0))
        key_len = self.key.widths[0] if each else self.key.key_len
        if each and len(set(self.key.widths)) != 1:
            raise InternalError("each: key fields of one width")
        self.fields = 1 if each else len(self.key.names)
        self.kind = AGGR if self.rates else AGGT if self.times else AGG
        # without times the slots hold only flows..seq (40 bytes for an
        # IPv4 key instead of 56)
        self.table = Table(self.kind, key_len, cap)
        self.pairs = Table(SET, self.key.key_len + self.peer.key_len, cap) if self.peer \
            else None
        self._done = ffi.new("size_t *")
        self._peer_c = self.peer.c if self.peer else ffi.NULL
        self._unpack = (KeySpec([self.key.names[0]]).unpack if each else self.key.unpack)
        # the spec rows are read with (an EACH table's key is one field)
        self._row_key = KeySpec([self.key.names[0]]) if each else self.key

    def __len__(self):
        return len(self.table)

    def add_records(self, rectype, ptr, n, size, sel=None, totals=None):
        """Count records ptr[0..n) (host order, size bytes) of rectype;
        sel: None or n bytes, nonzero = count; totals: a core.stat.Totals
        counted in the same pass (records with dPkts 0 are then left out
        here and only add to its ignores)."""
        if sel is not None and len(sel) < n:
            raise InternalError("selection shorter than the batch")
        sp = ffi.NULL if sel is None else ffi.from_buffer("uint8_t[]", sel)
        done = self._done
        done[0] = 0
        pairs = self.pairs
        if totals is not None:
            if totals.flags & lib.FTC_STAT_HISTS:
                raise InternalError("histograms are counted by Totals.add alone")
            tp, tf = totals.c, totals.flags
        else:
            tp, tf = ffi.NULL, 0
        run(lambda: lib.ftc_agg_add(self.table.t, self.key.c,
                                    ffi.NULL if pairs is None else pairs.t, self._peer_c,
                                    self.flags, self.scale, rectype, ptr, n, size, sp, tp, tf,
                                    done),
            self.table, pairs)

    def add(self, batch, sel=None, totals=None):
        """Count a stream batch (converted to host order first); see
        add_records for sel and totals."""
        if not batch.n:
            return
        batch.to_host()
        self.add_records(batch.rectype, batch.ptr, batch.n, len(batch.buf), sel, totals)

    def rank(self, by="flows", limit=None, min_value=0):
        """Slot indexes best first (see ranked)."""
        n = len(self.table)
        if not n:
            return []
        idx = ffi.new("uint32_t[]", n)
        scratch = ffi.new("uint32_t[]", n)
        m = check(lib.ftc_agg_rank(self.table.t, BY[by], min_value,
                                   n if limit is None else max(limit, 0), idx, scratch, n),
                  "rank")
        return [idx[j] for j in range(m)]

    def order(self, by="seq", desc=False, ties="seq", field=None, nfields=1, init=None):
        """Every slot index (array('I')) in the ascending order of (by,
        ties) -- ties "seq" (first appearance) or "key" -- reversed as a
        whole when desc.  by="key" with field=k: key fields k .. k +
        nfields - 1 only.  init: an earlier order (array('I') of every slot)
        to sort from, stably (ties keep it)."""
        n = len(self.table)
        out = array("I", bytes(4 * n))
        if not n:
            return out
        if by not in SOURCES or by in ("index", "text"):
            raise InternalError("no order by %r" % by)
        if ties not in ("seq", "key"):
            raise InternalError("ties are seq or key")
        if init is not None and len(init) != n:
            raise InternalError("init holds %d of %d slots" % (len(init), n))
        # first appearance needs no scratch; a sort 20 bytes a key
        scratch = ffi.NULL if by == "seq" and ties == "seq" and init is None else \
            ffi.new("uint64_t[]", (5 * n + 1) // 2)
        ip = ffi.NULL if init is None else ffi.from_buffer("uint32_t[]", init)
        m = check(lib.ftc_agg_order(self.table.t, self._row_key.c, SOURCES[by],
                                    -1 if field is None else field, nfields, SOURCES[ties],
                                    1 if desc else 0, ip, ffi.from_buffer("uint32_t[]", out),
                                    ffi.cast("uint32_t *", scratch), n), "order")
        if m != n:
            raise InternalError("order returned %d of %d slots" % (m, n))
        return out

    def row(self, i):
        s = self.table.slot(i, "ftc_agg_slot_t")
        key = self._unpack(self.table.key(i))
        if not self.times:          # the slot ends before the times members
            return Row(key, s.flows, s.octets, s.packets, 0, 0, 0, s.distinct, s.seq, 0,
                       _Z3, _Z3, _Z3)
        if not self.rates:
            return Row(key, s.flows, s.octets, s.packets, s.duration, s.first, s.last,
                       s.distinct, s.seq, 0, _Z3, _Z3, _Z3)
        f = s.frecs
        return Row(key, s.flows, s.octets, s.packets, s.duration, s.first, s.last,
                   s.distinct, s.seq, f,
                   (s.pps_sum / f if f else 0.0, s.pps_min, s.pps_max),
                   (s.bps_sum / f if f else 0.0, s.bps_min, s.bps_max),
                   (s.lflows, s.loctets, s.lpackets))

    def sums(self, idx, start=0, end=None):
        """Sums of the counters of slots idx[start:end] (one C call): an
        ftc_agg_sum_t with flows, octets, packets, duration, frecs,
        distinct, pps_sum, bps_sum."""
        end = len(idx) if end is None else end
        out = ffi.new("ftc_agg_sum_t *")
        n = max(end - start, 0)
        base = ffi.from_buffer("uint32_t[]", idx) if len(idx) else ffi.NULL
        check(lib.ftc_agg_sum(self.table.t, base + start if n else ffi.NULL, n, out), "sums")
        return out

    def rows(self, idx):
        """The Row of every slot index in idx."""
        for i in idx:
            yield self.row(i)

    def format(self, idx, columns, start=0, index_start=0):
        """The rows idx[start:] as text lines (bytes chunks), formatted in C
        by the Column list `columns`."""
        n = len(idx) - start
        if n <= 0:
            return
        cols = ffi.new("ftc_col_t[]", len(columns))
        for j, col in enumerate(columns):
            col.fill(cols[j])
        keep = [col.sym for col in columns]            # noqa: F841  (alive during C)
        cap = _FORMAT_BUF + len(columns) * (lib.FTC_COL_CELL_MAX + lib.FTC_COL_SEP_MAX
                                            + max(c.width for c in columns)) + 1
        buf = ffi.new("char[]", cap)
        ln = ffi.new("size_t *")
        done = ffi.new("size_t *")
        base = ffi.from_buffer("uint32_t[]", idx)
        at = start
        while at < len(idx):
            st = lib.ftc_agg_format(self.table.t, self._row_key.c, cols, len(columns),
                                    base + at, len(idx) - at, index_start + (at - start),
                                    buf, cap, ln, done)
            if st != EFULL:
                check(st, "format rows")
            yield ffi.buffer(buf, ln[0])[:]
            at += done[0]
            if st != EFULL:
                break
        del keep

    def has_ipv6(self, field=0):
        """Does key field `field` (a 128-bit address) hold an address that
        is not IPv4-mapped in any row?  (The reports widen the column.)"""
        if self._row_key.widths[field] != 16:
            return False
        return check(lib.ftc_agg_key_ipv6(self.table.t, self._row_key.c, field),
                     "address keys") == 1

    def ranked(self, by="flows", limit=None, min_value=0):
        """[Row] by counter `by` descending, ties by key ascending ("key":
        key ascending); at most limit (None: all); rows whose counter is
        below min_value left out."""
        return [self.row(i) for i in self.rank(by, limit, min_value)]

    def find(self, *values):
        """The Row of the key made of values, or None."""
        i = self.table.find(self._row_key.pack(values))
        return None if i is None else self.row(i)

    def __iter__(self):
        """Every Row, in slot order."""
        for i in self.table.indexes():
            yield self.row(i)


class Linear(Aggregation):
    """flow-report's linear-interpolated-flows-octets-packets: per second
    (a u32 key, unix seconds) the shares lflows, loctets, lpackets of every
    record spread over the seconds from its start to its end (C:
    ftc_lin_add).  Ordered and formatted as an Aggregation (sources
    "lflows", "loctets", "lpackets"; "key" the second)."""

    def __init__(self, dflows=False, scale=0, cap=DEFAULT_CAP):
        Aggregation.__init__(self, ["unix_secs"], rates=True, cap=cap)
        self.lin_flags = lib.FTC_AGG_DFLOWS if dflows else 0
        self.scale = int(scale)

    def add_records(self, rectype, ptr, n, size, sel=None, totals=None):
        if totals is not None:
            raise InternalError("Linear counts no totals: use Totals.add")
        if sel is not None and len(sel) < n:
            raise InternalError("selection shorter than the batch")
        sp = ffi.NULL if sel is None else ffi.from_buffer("uint8_t[]", sel)
        done = self._done
        done[0] = 0
        while True:             # run()'s loop, with the span error said in words
            st = lib.ftc_lin_add(self.table.t, self.lin_flags, self.scale, rectype, ptr, n,
                                 size, sp, done)
            if st == EFULL:
                self.table.grow()
                continue
            if st == lib.FTC_ERANGE:
                raise FlowToolsError("a flow spans more than %d seconds"
                                     % lib.FTC_LIN_MAX_SPAN)
            check(st, "linear interpolation")
            return
