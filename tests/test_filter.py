"""The filter checker proves every program it accepts safe to run (csrc/filter.c,
ftc_filter_check; issue 13).  Its rules are stated per operand in filter.c
("validation"); these tests hold each rule, the random-program properties
(refused, or run to the same answer by every evaluator) and the replay of
csrc/fuzz/fuzz_filter.c's seeds and crashers (tests/corpus/filter/).

The evaluation state (PRNG, time-of-day cache) is the caller's memory: any
bytes there must be as safe as a zeroed state.
"""
import pathlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyflowtools.core.native import ffi, lib

EPROGRAM, OK = lib.FTC_EPROGRAM, lib.FTC_OK
ACCEPT, REJECT = lib.FTC_PROG_ACCEPT, lib.FTC_PROG_REJECT
RT_V5 = lib.FTC_RT_V5
INSN = ffi.sizeof("ftc_insn_t")
STATE = ffi.sizeof("ftc_filter_state_t")
U32, U64 = 2 ** 32 - 1, 2 ** 64 - 1
ROOT = pathlib.Path(__file__).resolve().parent.parent
INT_SOURCES = (lib.FTC_SRC_FIELD, lib.FTC_SRC_DURATION, lib.FTC_SRC_START, lib.FTC_SRC_END,
               lib.FTC_SRC_START_TOD, lib.FTC_SRC_END_TOD)
FLOAT_SOURCES = (lib.FTC_SRC_PPS, lib.FTC_SRC_BPS, lib.FTC_SRC_OPP)
INT_OPS = (lib.FTC_OP_BITMAP, lib.FTC_OP_RANGES, lib.FTC_OP_CMP, lib.FTC_OP_MASKEQ)
RT_V1006 = lib.FTC_RT_V1006
#: word _0 of the three address groups (v1006)
WORD0 = (lib.FTC_F_SRCADDR6_0, lib.FTC_F_DSTADDR6_0, lib.FTC_F_NEXTHOP6_0)


def rs(rt):
    return lib.ftc_layout_get(rt).rec_size


def off(rt, field):
    return lib.ftc_layout_get(rt).off[field]


def _prog(insns):
    p = ffi.new("ftc_insn_t[]", max(len(insns), 1))
    for i, d in enumerate(insns):
        d = dict(d)
        d.setdefault("jt", ACCEPT)
        d.setdefault("jf", REJECT)
        for k, v in d.items():
            setattr(p[i], k, v)
    return p


def _tables(blob):
    return ffi.from_buffer("uint8_t[]", blob) if blob else ffi.NULL


def _check(insns, tables=b"", rt=RT_V5):
    return lib.ftc_filter_check(_prog(insns), len(insns), _tables(tables), len(tables), rt)


def _field(rt=RT_V5, field=lib.FTC_F_DSTPORT, **kw):
    d = dict(src=lib.FTC_SRC_FIELD, offset=off(rt, field), width=lib.ftc_field_width(field))
    d.update(kw)
    return d


def _ranges(pairs, verdicts=None):
    verdicts = [1] * len(pairs) if verdicts is None else verdicts
    return (struct.pack("=I", len(pairs))
            + b"".join(struct.pack("=II", lo, hi) for lo, hi in pairs) + bytes(verdicts))


# ---------------------------------------------------------------------------
# each operand's rule

def test_true_and_sample_load_no_value():
    """TRUE and SAMPLE use no value: a source there is refused, so no offset
    is ever loaded for them (the finding: a field source's offset was read
    unchecked)."""
    for op in (lib.FTC_OP_TRUE, lib.FTC_OP_SAMPLE):
        assert _check([dict(op=op, src=lib.FTC_SRC_NONE, a=3)]) == OK
        assert _check([_field(op=op, a=3)]) == EPROGRAM               # a real field, even
        assert _check([_field(op=op, offset=1 << 20, width=4)]) == EPROGRAM
        assert _check([_field(op=op, offset=-8, width=4)]) == EPROGRAM
        for src in INT_SOURCES[1:] + FLOAT_SOURCES:
            assert _check([dict(op=op, src=src)]) == EPROGRAM, src


@pytest.mark.parametrize("op", INT_OPS)
def test_integer_ops_take_integer_sources(op):
    """BITMAP, RANGES, CMP and MASKEQ on a source with no integer value (the
    rates, octets per packet, none) would test a constant 0: refused."""
    blob = _ranges([(1, 2)]) if op == lib.FTC_OP_RANGES else b"\xff"
    for src in FLOAT_SOURCES + (lib.FTC_SRC_NONE,):
        assert _check([dict(op=op, src=src, table=0, table_len=len(blob))], blob) == EPROGRAM
    assert _check([dict(op=op, src=lib.FTC_SRC_DURATION, b=0, table=0, table_len=len(blob))],
                  blob) == OK


def test_float_comparison_needs_a_value():
    assert _check([dict(op=lib.FTC_OP_CMPF, src=lib.FTC_SRC_NONE)]) == EPROGRAM
    for src in INT_SOURCES[1:] + FLOAT_SOURCES:
        assert _check([dict(op=lib.FTC_OP_CMPF, src=src, d=1.5)]) == OK
    assert _check([_field(op=lib.FTC_OP_CMPF, d=80.0)]) == OK


@pytest.mark.parametrize("name,pairs,verdicts", [
    ("unsorted", [(10, 20), (1, 2)], None),
    ("overlapping", [(1, 10), (10, 20)], None),
    ("lo above hi", [(5, 4)], None),
    ("verdict 2", [(1, 2)], [2]),
    ("verdict 255", [(1, 2), (4, 5)], [1, 255]),
])
def test_ranges_tables_must_be_what_the_search_assumes(name, pairs, verdicts):
    """The binary search needs sorted, disjoint ranges with lo <= hi, and the
    verdicts are booleans: any other table is refused, not half-searched."""
    blob = _ranges(pairs, verdicts)
    insn = _field(op=lib.FTC_OP_RANGES, table=0, table_len=len(blob))
    assert _check([insn], blob) == EPROGRAM
    good = _ranges([(1, 2), (3, 3), (10, U32)], [0, 1, 1])
    assert _check([_field(op=lib.FTC_OP_RANGES, table=0, table_len=len(good))], good) == OK


@pytest.mark.parametrize("src", [lib.FTC_SRC_START, lib.FTC_SRC_END])
@pytest.mark.parametrize("mask", [0xFFFFFFFF00000000, 0x1FFFFFFFF, U64])
def test_bitmap_on_absolute_times_covers_64_bits(src, mask):
    """START/END are 64-bit values (a sysUpTime past the export time wraps):
    a mask above 32 bits needs its whole table (the finding: SEGV)."""
    for shift in (0, 20, 33, 58):
        need = ((mask >> shift) >> 3) + 1
        insn = dict(op=lib.FTC_OP_BITMAP, src=src, b=mask, shift=shift, table=0,
                    table_len=min(need, 8192))
        assert _check([insn], bytes(8192)) == (OK if need <= 8192 else EPROGRAM)
    insn = dict(op=lib.FTC_OP_BITMAP, src=src, b=mask, shift=63, table=0, table_len=1)
    assert _check([insn], b"\0") == OK


@pytest.mark.parametrize("shift", [64, 65, 127, 128, 200, 255])
def test_bitmap_shift_of_64_or_more_is_refused_before_shifting(shift):
    """Tested before any shifting (UBSan: a shift by 64..255 was computed
    first); a 16-bit field shifted 40 goes nowhere near the table either."""
    insn = _field(op=lib.FTC_OP_BITMAP, b=U64, shift=shift, table=0, table_len=1)
    assert _check([insn], b"\1") == EPROGRAM


def test_bitmap16_fast_path_with_a_long_shift():
    """A one-instruction 16-bit bitmap (its own loop) shifted 40: bit 0 for
    every value, as the general evaluator computes it."""
    values = [0, 1, 80, 0xFFFF]
    insn = _field(op=lib.FTC_OP_BITMAP, b=U64, shift=40, table=0, table_len=1)
    assert _select([insn], b"\1", _v5_records(dstport=values)) == [1] * 4
    assert _select([insn], b"\0", _v5_records(dstport=values)) == [0] * 4


# ---------------------------------------------------------------------------
# the state is the caller's memory

def _v5_records(n=None, secs=1_000_000_020, dstport=None):
    """v5 records that start at unix time `secs` (First = sysUpTime)."""
    ports = dstport if dstport is not None else [0] * (n or 1)
    size = rs(RT_V5)
    recs = bytearray(size * len(ports))
    for i, port in enumerate(ports):
        base = i * size
        struct.pack_into("=I", recs, base + off(RT_V5, lib.FTC_F_UNIX_SECS), secs)
        for f in (lib.FTC_F_SYSUPTIME, lib.FTC_F_FIRST, lib.FTC_F_LAST):
            struct.pack_into("=I", recs, base + off(RT_V5, f), 5000)
        struct.pack_into("=H", recs, base + off(RT_V5, lib.FTC_F_DSTPORT), port)
    return recs


def _select(insns, tables, recs, state=None, rt=RT_V5):
    n = len(recs) // rs(rt)
    sel = ffi.new("uint8_t[]", max(n, 1))
    st_ = ffi.new("ftc_filter_state_t *", state or {})
    r = lib.ftc_filter_select(_prog(insns), len(insns), _tables(tables), len(tables), rt, st_,
                              ffi.from_buffer("uint8_t[]", recs), n, sel)
    assert r >= 0
    return list(sel)[:n]


@pytest.mark.parametrize("tod_src", [lib.FTC_SRC_START_TOD, lib.FTC_SRC_END_TOD])
@pytest.mark.parametrize("base", [-60, 86400, 86399, 2 ** 31 - 60, -2 ** 31])
def test_time_of_day_cache_in_the_state_is_validated(tod_src, base):
    """A time-of-day bitmap sized for the documented bound (0..86400) with
    every in-day bit set accepts every record, whatever the state's cache
    holds (the finding: a cached base read from the caller's memory pushed the
    bit index past the table, SEGV in eval())."""
    secs = 1_000_000_020
    table = bytearray(16384)
    table[:86401 // 8 + 1] = b"\xff" * (86401 // 8 + 1)
    table[86401 // 8] = 0x01                          # bit 86400 is the last one set
    insn = dict(op=lib.FTC_OP_BITMAP, src=tod_src, b=U64, table=0, table_len=len(table))
    assert _check([insn], bytes(table)) == OK
    state = dict(tod_valid=1, tod_minute=secs // 60, tod_base=base)
    assert _select([insn], bytes(table), _v5_records(3, secs), state) == [1, 1, 1]


def test_a_sound_cache_is_still_used():
    """A valid cached minute gives its base plus the seconds (the cache
    exists for speed; validation must not make it a miss)."""
    secs = 1_000_000_020 + 20
    want = 3600 + secs % 60                                 # 01:00:20 only
    table = bytearray(16384)
    table[want >> 3] |= 1 << (want & 7)
    insn = dict(op=lib.FTC_OP_BITMAP, src=lib.FTC_SRC_START_TOD, b=U64, table=0,
                table_len=len(table))
    state = dict(tod_valid=1, tod_minute=secs // 60, tod_base=3600)
    assert _select([insn], bytes(table), _v5_records(2, secs), state) == [1, 1]


# ---------------------------------------------------------------------------
# random programs: refused, or run to one answer by every evaluator

def _run_any(rt, prog, n, tables, recs, state=b""):
    """The harness's properties through the binding: the check's verdict is
    what apply and select return (records untouched on refusal); an accepted
    program keeps what select marks, and the general evaluator (the program
    behind an always-true SAMPLE) marks the same."""
    size = rs(rt)
    nrec = len(recs) // size
    recs = bytearray(recs[:nrec * size])
    before = bytes(recs)
    state = bytes(state[:STATE]).ljust(STATE, b"\0")
    t = _tables(tables)
    c = ffi.from_buffer("uint8_t[]", recs) if recs else ffi.NULL
    chk = lib.ftc_filter_check(prog, n, t, len(tables), rt)
    assert chk in (OK, EPROGRAM)
    sel = ffi.new("uint8_t[]", max(nrec, 1))
    s1, s2 = ffi.new("ftc_filter_state_t *"), ffi.new("ftc_filter_state_t *")
    ffi.memmove(s1, state, STATE)
    ffi.memmove(s2, state, STATE)
    kept = ffi.new("size_t *")
    s = lib.ftc_filter_select(prog, n, t, len(tables), rt, s1, c, nrec, sel)
    a = lib.ftc_filter_apply(prog, n, t, len(tables), rt, s2, c, nrec, kept)
    if chk != OK:
        assert s == a == chk and bytes(recs) == before
        return False
    assert a == OK and s == kept[0]
    chosen = b"".join(before[i * size:(i + 1) * size] for i in range(nrec) if sel[i])
    assert bytes(recs[:len(chosen)]) == chosen
    # the general evaluator agrees with the fast paths
    p2 = ffi.new("ftc_insn_t[]", n + 1)
    p2[0].op, p2[0].src, p2[0].a, p2[0].jt, p2[0].jf = lib.FTC_OP_SAMPLE, lib.FTC_SRC_NONE, 1, 1, 1
    for i in range(n):
        p2[i + 1] = prog[i]
        p2[i + 1].jt += p2[i + 1].jt >= 0
        p2[i + 1].jf += p2[i + 1].jf >= 0
    orig = ffi.from_buffer("uint8_t[]", bytearray(before)) if before else ffi.NULL
    sel2 = ffi.new("uint8_t[]", max(nrec, 1))
    s3 = ffi.new("ftc_filter_state_t *")
    ffi.memmove(s3, state, STATE)
    assert lib.ftc_filter_select(p2, n + 1, t, len(tables), rt, s3, orig, nrec, sel2) == s
    assert list(sel2)[:nrec] == list(sel)[:nrec]
    return True


@given(st.integers(0, lib.FTC_RT_COUNT - 1), st.binary(max_size=6 * INSN),
       st.binary(max_size=64), st.binary(max_size=4 * 72), st.binary(max_size=STATE))
def test_arbitrary_programs_are_refused_or_run(rt, code, tables, recs, state):
    n = len(code) // INSN
    prog = ffi.new("ftc_insn_t[]", max(n, 1))
    ffi.memmove(prog, code[:n * INSN], n * INSN)
    _run_any(rt, prog, n, tables, recs, state)


def _fields(rt):
    lay = lib.ftc_layout_get(rt)
    return [(lay.off[f], lib.ftc_field_width(f)) for f in range(lib.FTC_F_COUNT)
            if lay.off[f] >= 0]


def _bound(src, width):
    if src == lib.FTC_SRC_FIELD:
        return (1 << (8 * width)) - 1
    if src == lib.FTC_SRC_DURATION:
        return U32
    if src in (lib.FTC_SRC_START_TOD, lib.FTC_SRC_END_TOD):
        return 0x1FFFF
    return U64


@st.composite
def _programs(draw):
    """Programs near the checker's boundary: every op with every source,
    bitmaps with exactly the table their bound needs (or one byte less),
    ranges tables sound or slightly off, random states."""
    rt = draw(st.integers(0, lib.FTC_RT_COUNT - 1))
    n = draw(st.integers(1, 5))
    tables = bytearray()
    insns = []
    for i in range(n):
        later = st.integers(i + 1, n - 1) if i + 1 < n else st.just(ACCEPT)
        jump = st.one_of(st.just(ACCEPT), st.just(REJECT), later)
        o, w = draw(st.sampled_from(_fields(rt)))
        op = draw(st.integers(0, lib.FTC_OP_SAMPLE))
        src = draw(st.integers(0, lib.FTC_SRC_OPP))
        shift = draw(st.one_of(st.integers(0, 63), st.integers(0, 255)))
        b = draw(st.one_of(st.sampled_from([0, 1, 0xF, 0xFFFF, 0x1FFFF, U32, U64,
                                            0xFFFFFFFF00000000]),
                           st.integers(0, U64)))
        d = dict(op=op, src=src, cmp=draw(st.integers(0, 6)), shift=shift, offset=o, width=w,
                 a=draw(st.integers(0, U64)), b=b, d=draw(st.floats(allow_nan=True)),
                 jt=draw(jump), jf=draw(jump))
        if op == lib.FTC_OP_BITMAP and shift < 64:
            need = ((_bound(src, w) & b) >> shift >> 3) + 1 - draw(st.integers(0, 1))
            if need <= 20000:
                d.update(table=len(tables), table_len=need)
                tables += draw(st.binary(min_size=min(need, 64), max_size=min(need, 64)))
                tables += bytes(need - min(need, 64))
        elif op == lib.FTC_OP_RANGES:
            count = draw(st.integers(0, 4))
            lo, pairs = 0, []
            for _ in range(count):
                a = draw(st.integers(0, 100))
                b2 = draw(st.integers(0, 100))
                pairs.append((lo + a, lo + a + b2))
                lo += a + b2 + draw(st.integers(0, 2))      # 0: the next one overlaps
            blob = _ranges(pairs, draw(st.lists(st.integers(0, 2), min_size=count,
                                                max_size=count)))
            d.update(table=len(tables), table_len=len(blob) - draw(st.integers(0, 1)))
            tables += blob
        insns.append(d)
    recs = draw(st.binary(max_size=4 * 72))
    state = draw(st.binary(min_size=STATE, max_size=STATE))
    return rt, insns, bytes(tables), recs, state


@given(_programs())
def test_programs_near_the_rules_are_refused_or_run(case):
    rt, insns, tables, recs, state = case
    _run_any(rt, _prog(insns), len(insns), tables, recs, state)


# ---------------------------------------------------------------------------
# csrc/fuzz/fuzz_filter.c: its seeds and crashers, through the binding

MAX_TABLES = 20000


def _bits_bound(p):
    return _bound(p.src, p.width)


def _harness_input(data):
    """fuzz_filter.c's input layout and repair step (keep them in step)."""
    head = data[:4 + STATE].ljust(4 + STATE, b"\0")
    rt = head[0] % lib.FTC_RT_COUNT
    fix = head[1] & 1
    n = (head[1] >> 1) % 65
    tables_len = (head[2] | head[3] << 8) % (MAX_TABLES + 1)
    state = head[4:4 + STATE]
    data = data[4 + STATE:]
    code = data[:n * INSN].ljust(n * INSN, b"\0")
    data = data[n * INSN:]
    tables = bytearray(data[:tables_len].ljust(tables_len, b"\0"))
    data = data[tables_len:]
    size = rs(rt)
    nrec = min(len(data) // size, 64)
    prog = ffi.new("ftc_insn_t[]", max(n, 1))
    ffi.memmove(prog, code, n * INSN)
    lay = lib.ftc_layout_get(rt)
    ints = INT_SOURCES
    nums = INT_SOURCES + FLOAT_SOURCES
    for i in range(n if fix else 0):
        p = prog[i]
        steer = p.pad[0]
        p.op %= lib.FTC_OP_RANGES6 + 1
        p.src %= lib.FTC_SRC_OPP + 1
        p.cmp %= lib.FTC_CMP_GT + 1
        if not steer & 1:
            if p.op in (lib.FTC_OP_TRUE, lib.FTC_OP_SAMPLE):
                p.src = lib.FTC_SRC_NONE
            elif p.op == lib.FTC_OP_CMPF:
                p.src = nums[p.src % len(nums)]
            else:
                p.src = ints[p.src % len(ints)]
        if not steer & 8:
            p.shift %= 64
        if p.src == lib.FTC_SRC_FIELD:
            f = (p.offset & U32) % lib.FTC_F_COUNT
            while lay.off[f] < 0:
                f = (f + 1) % lib.FTC_F_COUNT
            p.offset, p.width = lay.off[f], lib.ftc_field_width(f)
            if p.op == lib.FTC_OP_RANGES6 and not steer & 16:
                g = WORD0[f % 3]
                if lay.off[g] >= 0:
                    p.offset, p.width = lay.off[g], 16
        if i + 1 >= n:
            p.jt = ACCEPT if p.jt & 1 else REJECT
            p.jf = ACCEPT if p.jf & 1 else REJECT
        else:
            span = n - i - 1
            p.jt = ACCEPT if p.jt & 3 == 0 else i + 1 + (p.jt & U32) % span
            p.jf = REJECT if p.jf & 3 == 0 else i + 1 + (p.jf & U32) % span
        if not tables_len:
            continue
        p.table %= tables_len
        p.table_len %= tables_len - p.table + 1
        if (p.op == lib.FTC_OP_BITMAP and steer & 2 and p.shift < 64
                and p.src not in FLOAT_SOURCES + (lib.FTC_SRC_NONE,)):
            need = ((_bits_bound(p) & p.b) >> p.shift >> 3) + 1
            if need <= tables_len:
                p.table_len, p.table = need, tables_len - need
        if p.op == lib.FTC_OP_RANGES and steer & 4 and p.table_len >= 4:
            t = p.table
            cnt = struct.unpack_from("=I", tables, t)[0] % ((p.table_len - 4) // 9 + 1)
            lo = 0
            for k in range(cnt):
                a, b = struct.unpack_from("=II", tables, t + 4 + 8 * k)
                a, b = a % 4096, b % 4096
                struct.pack_into("=II", tables, t + 4 + 8 * k, lo + a, lo + a + b)
                lo += a + b + 1
            struct.pack_into("=I", tables, t, cnt)
            for k in range(cnt):
                tables[t + 4 + 8 * cnt + k] &= 1
        if p.op == lib.FTC_OP_RANGES6 and steer & 4 and p.table_len >= 8:
            t = p.table
            cnt = struct.unpack_from("=I", tables, t)[0] % ((p.table_len - 8) // 33 + 1)
            struct.pack_into("=II", tables, t, cnt, 0)
            hi = 0
            for k in range(cnt):
                e = t + 8 + 32 * k
                lh, ll, hh, hl = struct.unpack_from("=QQQQ", tables, e)
                a, b = lh % 3, hh % 3
                hi += a
                struct.pack_into("=QQ", tables, e, hi, k << 41 | ll & 0xFFFFFFFFFF)
                hi += b
                struct.pack_into("=QQ", tables, e + 16, hi,
                                 hl if b else k << 41 | 1 << 40 | hl & 0xFFFFFFFFFF)
                hi += 1
            for k in range(cnt):
                tables[t + 8 + 32 * cnt + k] &= 1
    return rt, prog, n, bytes(tables), data[:nrec * size], state


def _corpus():
    seeds = ROOT / "csrc" / "fuzz" / "seeds" / "fuzz_filter"
    return sorted(seeds.glob("*")) + sorted((ROOT / "tests" / "corpus" / "filter").glob("*"))


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_replay_fuzz_filter(path):
    _run_any(*_harness_input(path.read_bytes()))


def test_the_crashers_are_accepted_programs():
    """The kept crashers still reach the evaluators (a replay of a program the
    checker now refuses would prove nothing about running it)."""
    for name in ("bitmap16-shift34", "bitmap-tod-state-cache"):
        assert _run_any(*_harness_input((ROOT / "tests/corpus/filter" / name).read_bytes()))


# ---------------------------------------------------------------------------
# RANGES6: 128-bit address ranges over the address groups of v1006

def _ranges6(pairs, verdicts=None, count=None):
    verdicts = [1] * len(pairs) if verdicts is None else verdicts
    m = (1 << 64) - 1
    return (struct.pack("=II", len(pairs) if count is None else count, 0)
            + b"".join(struct.pack("=QQQQ", lo >> 64, lo & m, hi >> 64, hi & m)
                       for lo, hi in pairs) + bytes(verdicts))


def _group(word0=lib.FTC_F_SRCADDR6_0, rt=RT_V1006, **kw):
    d = dict(op=lib.FTC_OP_RANGES6, src=lib.FTC_SRC_FIELD, offset=off(rt, word0), width=16)
    d.update(kw)
    return d


def _rec6(**addrs):
    """One v1006 record (host order), every byte 0 but the 128-bit addresses."""
    r = bytearray(rs(RT_V1006))
    lay = lib.ftc_layout_get(RT_V1006)
    for word0, last, name in ((lib.FTC_F_SRCADDR6_0, lib.FTC_F_SRCADDR, "src"),
                              (lib.FTC_F_DSTADDR6_0, lib.FTC_F_DSTADDR, "dst"),
                              (lib.FTC_F_NEXTHOP6_0, lib.FTC_F_NEXTHOP, "nexthop")):
        a = addrs.get(name, 0)
        for k in range(4):
            f = word0 + k if k < 3 else last
            struct.pack_into("=I", r, lay.off[f], a >> (96 - 32 * k) & U32)
    return bytes(r)


def _select6(insns, tables, recs):
    blob = bytearray(b"".join(recs))
    sel = ffi.new("uint8_t[]", max(len(recs), 1))
    st_ = ffi.new("ftc_filter_state_t *")
    n = lib.ftc_filter_select(_prog(insns), len(insns), _tables(tables), len(tables), RT_V1006,
                              st_, ffi.from_buffer("uint8_t[]", blob), len(recs), sel)
    assert n >= 0, n
    return list(sel)[:len(recs)]


@pytest.mark.parametrize("word0", WORD0)
def test_ranges6_on_each_address_group(word0):
    name = {WORD0[0]: "src", WORD0[1]: "dst", WORD0[2]: "nexthop"}[word0]
    lo, hi = 0x20010DB8 << 96, (0x20010DB8 << 96) | (1 << 96) - 1
    tab = _ranges6([(lo, hi), (hi + 2, hi + 2)], [1, 0])
    recs = [_rec6(**{name: a}) for a in (lo, hi, lo - 1, hi + 1, hi + 2, hi + 3)]
    # outside every range: the default (a); inside: the range's verdict
    assert _select6([_group(word0, a=0, table_len=len(tab))], tab, recs) == [1, 1, 0, 0, 0, 0]
    assert _select6([_group(word0, a=1, table_len=len(tab))], tab, recs) == [1, 1, 1, 1, 0, 1]


def test_ranges6_takes_only_an_address_group_of_the_record_type():
    tab = _ranges6([(1, 2)])
    ok = _group(table_len=len(tab))
    assert _check([ok], tab, RT_V1006) == OK
    lay = lib.ftc_layout_get(RT_V1006)
    bad = [
        dict(ok, width=4), dict(ok, width=12), dict(ok, offset=ok["offset"] + 4),
        dict(ok, offset=lay.off[lib.FTC_F_SRCADDR]),          # the last word alone
        dict(ok, offset=lay.off[lib.FTC_F_SRC_TAG] - 12),     # 16 bytes, no group
        dict(ok, src=lib.FTC_SRC_DURATION), dict(ok, src=lib.FTC_SRC_NONE),
    ]
    for insn in bad:
        assert _check([insn], tab, RT_V1006) == EPROGRAM, insn
    # no address group in the IPv4 record types
    for rt in (RT_V5, lib.FTC_RT_V1005, lib.FTC_RT_V7):
        assert _check([dict(ok, offset=off(rt, lib.FTC_F_SRCADDR) - 12)], tab, rt) == EPROGRAM
        assert _check([dict(ok, offset=off(rt, lib.FTC_F_SRCADDR))], tab, rt) == EPROGRAM
    # width 16 is RANGES6's alone
    assert _check([dict(ok, op=lib.FTC_OP_RANGES)], _ranges([(1, 2)]), RT_V1006) == EPROGRAM


@pytest.mark.parametrize("name,pairs,verdicts,count,cut", [
    ("sound", [(0, 5), (6, 6), (1 << 100, (1 << 128) - 1)], [1, 0, 1], None, 0),
    ("empty", [], [], None, 0),
    ("short of its verdicts", [(0, 5)], [1], None, 1),
    ("count past the table", [(0, 5)], [1], 2, 0),
    ("lo above hi", [(7, 6)], [1], None, 0),
    ("lo above hi in the upper half", [((2 << 64), (1 << 64) | 9)], [1], None, 0),
    ("overlapping", [(0, 5), (5, 9)], [1, 1], None, 0),
    ("unsorted", [(10, 11), (0, 5)], [1, 1], None, 0),
    ("verdict 2", [(0, 5)], [2], None, 0),
    ("no room for the pad", [], [], None, 5),
])
def test_ranges6_tables_must_be_what_the_search_assumes(name, pairs, verdicts, count, cut):
    tab = _ranges6(pairs, verdicts, count)
    tab = tab[:len(tab) - cut]
    want = OK if name in ("sound", "empty") else EPROGRAM
    assert _check([_group(table_len=len(tab))], tab, RT_V1006) == want, name
    # the table must lie inside the blob
    if want == OK:
        assert _check([_group(table_len=len(tab) + 1)], tab, RT_V1006) == EPROGRAM


@st.composite
def _programs6(draw):
    """RANGES6 programs on v1006 near the rules: sound or slightly broken
    tables, any group offset or a near miss, beside field tests."""
    n = draw(st.integers(1, 4))
    tables, insns = bytearray(), []
    for i in range(n):
        later = st.integers(i + 1, n - 1) if i + 1 < n else st.just(ACCEPT)
        jump = st.one_of(st.just(ACCEPT), st.just(REJECT), later)
        pairs, lo = [], 0
        for _ in range(draw(st.integers(0, 4))):
            a, b = draw(st.integers(0, 1 << 120)), draw(st.integers(0, 1 << 120))
            pairs.append((lo + a, min(lo + a + b, (1 << 128) - 1)))
            lo = min(lo + a + b + draw(st.integers(0, 2)), (1 << 128) - 1)
        verdicts = draw(st.lists(st.integers(0, 2), min_size=len(pairs), max_size=len(pairs)))
        blob = _ranges6(pairs, verdicts)
        offset = off(RT_V1006, draw(st.sampled_from(WORD0))) + draw(st.sampled_from((0, 0, 0, 4)))
        insns.append(_group(offset=offset, width=draw(st.sampled_from((16, 16, 4))),
                            a=draw(st.integers(0, 1)), table=len(tables),
                            table_len=len(blob) - draw(st.sampled_from((0, 0, 1))),
                            jt=draw(jump), jf=draw(jump)))
        tables += blob
    recs = draw(st.binary(max_size=4 * rs(RT_V1006)))
    return insns, bytes(tables), recs


@given(_programs6())
def test_ranges6_programs_near_the_rules_are_refused_or_run(case):
    insns, tables, recs = case
    _run_any(RT_V1006, _prog(insns), len(insns), tables, recs)
