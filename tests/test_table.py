"""THE hash table (csrc/ftc_table.h, table.c) and the aggregation kernel on
it (csrc/agg.c), through core/table.py: counts equal a plain Python
evaluation for keys of any record fields, distinct counts, times, ranks
and ties, sizes 0, 1, cap and cap + 1, the one growth policy, and every C
entry point's refusal of bad arguments."""
import collections
import io

import pytest
from hypothesis import given, strategies as st

import oracle
from pyflowtools.core import table
from pyflowtools.core.errors import FlowToolsError, InternalError
from pyflowtools.core.native import ffi, field_id, lib
from pyflowtools.io import stream

U32 = 0xFFFFFFFF
V5 = oracle.fields("5")
# the fields a key may be made of (all of a v5 record but counters, times)
KEY_FIELDS = ("srcaddr", "dstaddr", "nexthop", "exaddr", "input", "output", "srcport",
              "dstport", "prot", "tos", "tcp_flags", "src_mask", "dst_mask", "src_as",
              "dst_as", "engine_type", "engine_id")
WIDTH = {f: lib.ftc_field_width(field_id(f)) for f in KEY_FIELDS}


def rec(**kw):
    r = dict.fromkeys(V5, 0)
    r.update(kw)
    return r


def batches(recs, order="little", per_batch=None):
    data = oracle.write_stream({"d_version": 5, "flags": oracle.HF_STREAMING}, recs, order)
    rd = stream.reader(io.BytesIO(data), batch_records=per_batch or max(len(recs), 1))
    return [b.copy() for b in rd]


def aggregate(recs, key, peer=None, times=False, cap=4, sel=None, per_batch=None,
              order="little"):
    a = table.Aggregation(key, peer=peer, times=times, cap=cap)
    at = 0
    for b in batches(recs, order, per_batch):
        a.add(b, None if sel is None else bytes(sel[at:at + b.n]))
        at += b.n
    return a


def unix_secs(r, t):
    ms = r["unix_secs"] * 1000 + r["unix_nsecs"] // 1000000 - r["sysUpTime"] + t
    return (ms % 2 ** 64) // 1000 & U32


def python_counts(recs, key, peer=None, sel=None):
    """The obvious evaluation: {key tuple: [flows, octets, packets, duration,
    first, last, distinct]}."""
    out = {}
    peers = collections.defaultdict(set)
    for i, r in enumerate(recs):
        if sel is not None and not sel[i]:
            continue
        k = tuple(r[f] for f in key)
        first, last = unix_secs(r, r["First"]), unix_secs(r, r["Last"])
        c = out.setdefault(k, [0, 0, 0, 0, first, last, 0])
        c[0] += 1
        c[1] += r["dOctets"]
        c[2] += r["dPkts"]
        c[3] += (r["Last"] - r["First"]) & U32
        c[4] = min(c[4], first)
        c[5] = max(c[5], last)
        if peer:
            peers[k].add(tuple(r[f] for f in peer))
    for k, s in peers.items():
        out[k][6] = len(s)
    return out


def _value(f):
    """Few distinct values (keys collide), edges included."""
    top = (1 << (8 * WIDTH[f])) - 1
    return st.sampled_from((0, 1, 2, top))


records = st.fixed_dictionaries(
    dict({f: _value(f) for f in KEY_FIELDS},
         dPkts=st.integers(0, U32), dOctets=st.integers(0, U32),
         unix_secs=st.integers(0, 2 ** 31), unix_nsecs=st.integers(0, 999999999),
         sysUpTime=st.integers(0, U32), First=st.integers(0, U32), Last=st.integers(0, U32)))
keys = st.lists(st.sampled_from(KEY_FIELDS), min_size=1, max_size=6, unique=True)


# ---- the kernel against plain Python ---------------------------------------

@given(st.lists(records, max_size=200), keys, st.one_of(st.none(), keys),
       st.lists(st.booleans(), min_size=200, max_size=200), st.sampled_from((None, 1, 7, 64)),
       st.sampled_from(("little", "big")))
def test_kernel_equals_python(recs, key, peer, mask, per_batch, order):
    recs = [rec(**r) for r in recs]
    a = aggregate(recs, key, peer, times=True, sel=mask, per_batch=per_batch, order=order)
    want = python_counts(recs, key, peer, mask)
    got = {r.key: [r.flows, r.octets, r.packets, r.duration, r.first, r.last, r.distinct]
           for r in a}
    assert got == want
    assert len(a) == len(want)
    if peer:
        assert len(a.pairs) == sum(v[6] for v in want.values())
    for k, v in want.items():
        r = a.find(*k)
        assert [r.flows, r.octets, r.packets, r.duration, r.first, r.last, r.distinct] == v
    # seq: the order of first appearance of the keys
    first_seen = list(dict.fromkeys(tuple(r[f] for f in key) for i, r in enumerate(recs)
                                    if mask[i]))
    assert [r.key for r in a.rows(a.order("seq"))] == first_seen


#: the keys agg.c builds from 32-bit loads (its `w32` instances), and
#: their neighbours that take the generic word path
WORD_KEYS = ((("srcaddr",), None), (("srcaddr",), ("dstaddr",)), (("dstaddr", "srcaddr"), None),
             (("srcaddr",), ("dstport",)), (("srcaddr", "dstport"), None),
             (("input",), ("dstaddr",)), (("nexthop",), ("exaddr",)))


@given(st.lists(records, max_size=200), st.sampled_from(WORD_KEYS), st.booleans(),
       st.sampled_from((4, 1 << 15)), st.sampled_from(("little", "big")))
def test_word_keys_equal_python(recs, key_peer, times, cap, order):
    """Keys of at most 8 bytes in both loops: record by record (a small
    table) and staged with prefetches (cap 1 << 15: over 1 MB of slots)."""
    key, peer = key_peer
    recs = [rec(**r) for r in recs]
    a = aggregate(recs, list(key), list(peer) if peer else None, times=times, cap=cap,
                  order=order)
    want = python_counts(recs, list(key), list(peer) if peer else None)
    got = {r.key: [r.flows, r.octets, r.packets, r.duration, r.first, r.last, r.distinct]
           for r in a}
    if not times:
        want = {k: v[:3] + [0, 0, 0] + v[6:] for k, v in want.items()}
    assert got == want
    if peer:    # the pair keys are the key's bytes then the peer's, as the general path's
        both = table.KeySpec(list(key) + list(peer))
        assert {a.pairs.key(i) for i in a.pairs.indexes()} == \
            {both.pack(tuple(r[f] for f in key + peer)) for r in recs}


@given(st.lists(records, min_size=1, max_size=200), keys,
       st.sampled_from(tuple(table.BY)), st.integers(0, 12), st.integers(0, 3))
def test_rank_is_a_stable_sort_by_counter_then_key(recs, key, by, limit, min_value):
    recs = [rec(**r) for r in recs]
    a = aggregate(recs, key, peer=["srcaddr", "dstport"], times=True)
    field = {"peers": "distinct"}.get(by, by)
    rows = list(a)
    if by == "key":
        want = sorted(rows, key=lambda r: r.key)
    else:
        rows = [r for r in rows if getattr(r, field) >= min_value]
        want = sorted(rows, key=lambda r: (-getattr(r, field), r.key))
    mv = 0 if by == "key" else min_value
    assert a.ranked(by, min_value=mv) == want
    assert a.ranked(by, limit=limit, min_value=mv) == want[:limit]


def test_top_n_of_many_keys_takes_the_heap_and_equals_the_full_sort():
    # many keys, a small limit: the heap selection path (limit < used / 8)
    recs = [rec(srcaddr=i % 500, dOctets=(i * 7919) % 97) for i in range(5000)]
    a = aggregate(recs, ["srcaddr"], cap=1 << 12)
    full = a.ranked("octets")
    assert len(full) == 500
    for limit in (0, 1, 2, 10, 62):
        assert a.ranked("octets", limit=limit) == full[:limit]


def test_ties_go_to_the_lower_key_field_by_field():
    recs = [rec(srcaddr=a, dstport=p) for a, p in
            ((2, 1), (1, 65535), (1, 2), (U32, 0), (0, 9), (1, 1))]
    a = aggregate(recs, ["srcaddr", "dstport"])
    assert [r.key for r in a.ranked("flows")] == \
        [(0, 9), (1, 1), (1, 2), (1, 65535), (2, 1), (U32, 0)]
    assert [r.key for r in a.ranked("key")] == [r.key for r in a.ranked("flows")]
    # keys are big-endian field by field: the table orders like the tuples
    assert a.key.pack((1, 2)) == bytes([0, 0, 0, 1, 0, 2])
    assert a.key.unpack(bytes([0, 0, 0, 1, 0, 2])) == (1, 2)


def test_times_known_answer():
    base = dict(unix_secs=1000, unix_nsecs=500000000, sysUpTime=10000)
    recs = [rec(srcaddr=1, First=4000, Last=9000, **base),      # 994.5 s .. 999.5 s
            rec(srcaddr=1, First=9500, Last=9999, **base)]      # 1000 s .. 1000.499 s
    (r,) = aggregate(recs, ["srcaddr"], times=True).ranked()
    assert (r.duration, r.first, r.last) == (5000 + 499, 994, 1000)
    (r,) = aggregate(recs, ["srcaddr"]).ranked()                # times not asked for
    assert (r.flows, r.duration, r.first, r.last) == (2, 0, 0, 0)


# ---- sizes and growth --------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 3, 4, 13])
def test_sizes_0_1_cap_and_cap_plus_1(n):
    # a table of 4 slots takes 3 keys: 4 keys need one growth (to 16),
    # 13 keys a second one (to 64)
    recs = [rec(dstaddr=i, dOctets=i) for i in range(n)]
    a = aggregate(recs, ["dstaddr"], cap=4)
    assert len(a) == n
    assert a.table.cap == (4 if n <= 3 else 16 if n <= 12 else 64)
    assert [r.key[0] for r in a.ranked("octets")] == list(range(n))[::-1]


def test_efull_leaves_done_at_the_first_record_not_counted():
    recs = [rec(srcaddr=i % 5, dstaddr=i) for i in range(8)]
    (b,) = batches(recs)
    key, peer = table.KeySpec(["srcaddr"]), table.KeySpec(["dstaddr"])
    t = table.Table(table.AGG, key.key_len, 8)          # 6 keys
    p = table.Table(table.SET, 8, 8)                    # 6 pairs
    done = ffi.new("size_t *")
    st_ = lib.ftc_agg_add(t.t, key.c, p.t, peer.c, 0, 0, b.rectype, b.ptr, b.n, len(b.buf),
                          ffi.NULL, ffi.NULL, 0, done)
    # record 6 would be the 7th pair: nothing of it is counted, only pairs is full
    assert st_ == lib.FTC_EFULL and done[0] == 6
    assert (len(t), len(p), t.t.full, p.t.full) == (5, 6, 0, 1)
    assert sum(t.slot(i, "ftc_agg_slot_t").flows for i in t.indexes()) == 6
    p.grow()
    assert lib.ftc_agg_add(t.t, key.c, p.t, peer.c, 0, 0, b.rectype, b.ptr, b.n, len(b.buf),
                           ffi.NULL, ffi.NULL, 0, done) == lib.FTC_OK and done[0] == 8
    assert sum(t.slot(i, "ftc_agg_slot_t").distinct for i in t.indexes()) == 8


def test_run_grows_only_the_tables_marked_full():
    calls = []
    a, b = table.Table(table.SET, 4, 4), table.Table(table.SET, 4, 4)

    def call():
        calls.append((a.cap, b.cap))
        if len(calls) == 1:
            b.t.full = 1
            return lib.FTC_EFULL
        return lib.FTC_OK
    assert table.run(call, a, b) == lib.FTC_OK
    assert calls == [(4, 4), (4, 16)]
    with pytest.raises(InternalError):
        table.run(lambda: lib.FTC_EFULL, a, b)
    with pytest.raises(InternalError):
        table.run(lambda: lib.FTC_EINVAL, a)


def test_the_one_growth_policy():
    assert table.next_cap(4) == 16
    assert table.next_cap(1 << 18) == 1 << 20
    assert table.next_cap(1 << 20) == 1 << 22
    assert table.next_cap(1 << 29) == table.MAX_CAP
    assert table.next_cap(1 << 30) == table.MAX_CAP == 1 << 31
    with pytest.raises(FlowToolsError, match="distinct keys"):
        table.next_cap(table.MAX_CAP)
    assert [table.cap_for(n) for n in (0, 3, 4, 12, 13)] == [4, 4, 8, 16, 32]


def test_iteration_and_find():
    recs = [rec(srcaddr=i % 3, prot=6 + i % 2) for i in range(10)]
    a = aggregate(recs, ["srcaddr", "prot"])
    rows = {r.key: r.flows for r in a}
    assert rows == collections.Counter((i % 3, 6 + i % 2) for i in range(10))
    assert a.find(0, 6).flows == 2 and a.find(0, 8) is None
    assert a.table.find(a.key.pack((2, 7))) is not None
    assert list(table.Aggregation(["srcaddr"])) == []
    assert table.Aggregation(["srcaddr"]).ranked() == []


# ---- memory ------------------------------------------------------------------

def test_slots_are_small_and_sized_by_their_key():
    assert ffi.sizeof("ftc_agg_slot_t") == 128                  # with rates (flow-report)
    assert ffi.offsetof("ftc_agg_slot_t", "first") == lib.FTC_AGG_VAL_LEN == 32
    assert ffi.offsetof("ftc_agg_slot_t", "frecs") == lib.FTC_AGGT_VAL_LEN == 48
    assert table.KeySpec(["srcaddr"]).key_len == 4
    assert lib.ftc_tab_stride(table.AGG, 4) == 40                # one IPv4 address
    assert lib.ftc_tab_stride(table.AGGT, 4) == 56               # ... with times
    five = table.KeySpec(["srcaddr", "dstaddr", "srcport", "dstport", "prot"])
    assert lib.ftc_tab_stride(table.AGGR, 4) == 136              # ... with rates
    assert five.key_len == 13 and lib.ftc_tab_stride(table.AGG, 13) == 56
    assert lib.ftc_tab_stride(table.AGGT, 13) == 72
    assert lib.ftc_tab_stride(table.SET, 8) == 16               # a distinct pair
    assert lib.ftc_tab_stride(table.PR, 6) == 32
    assert lib.ftc_tab_stride(table.SEQ, lib.FTC_SEQ_KEY_LEN) == 64
    assert lib.ftc_tab_stride(table.AGG, 16) == 56              # an IPv6 address later
    t = table.Table(table.AGG, 4, 1 << 10)
    assert t.nbytes == 40 << 10
    assert table.Aggregation(["srcaddr"]).table.stride == 40
    assert table.Aggregation(["srcaddr"], times=True).table.stride == 56


def test_times_need_a_table_with_times():
    """flags FTC_AGG_TIMES only on FTC_TAB_AGGT, and the times orders only
    rank such a table: a slot without times has no such members."""
    batch = batches([rec(srcaddr=i, dOctets=i, First=5, Last=9) for i in (1, 2, 3)])[0]
    batch.to_host()
    for kind, flags in ((table.AGG, lib.FTC_AGG_TIMES), (table.AGGT, 0)):
        tb = table.Table(kind, 4)
        key = table.KeySpec(["srcaddr"])
        done = ffi.new("size_t *")
        assert lib.ftc_agg_add(tb.t, key.c, ffi.NULL, ffi.NULL, flags, 0, batch.rectype,
                               batch.ptr, batch.n, len(batch.buf), ffi.NULL,
                               ffi.NULL, 0, done) == lib.FTC_EINVAL
    agg = table.Aggregation(["srcaddr"])
    agg.add(batch)
    idx, scratch = ffi.new("uint32_t[]", 4), ffi.new("uint32_t[]", 4)
    for by in ("duration", "first", "last"):
        assert lib.ftc_agg_rank(agg.table.t, table.BY[by], 0, 4, idx, scratch, 4) \
            == lib.FTC_EINVAL
    assert lib.ftc_agg_rank(agg.table.t, table.BY["octets"], 0, 4, idx, scratch, 4) == 3
    assert [r.key[0] for r in agg.ranked("octets")] == [3, 2, 1]


# ---- the C entry points refuse what does not fit ---------------------------------

def test_tab_init_and_stride_refuse_bad_layouts():
    mem = ffi.new("uint64_t[]", 64)
    p = ffi.cast("uint8_t *", mem)
    t = ffi.new("ftc_tab_t *")
    assert lib.ftc_tab_init(t, table.AGGT, 4, 8, p, 8 * 56) == lib.FTC_OK
    assert (t.stride, t.key_off, t.val_len, t.used, t.full) == (56, 52, 48, 0, 0)
    assert lib.ftc_tab_init(t, table.AGG, 4, 8, p, 8 * 40) == lib.FTC_OK
    assert (t.stride, t.key_off, t.val_len, t.used, t.full) == (40, 36, 32, 0, 0)
    assert lib.ftc_tab_init(t, table.AGG, 4, 8, p, 8 * 40 - 1) == lib.FTC_EINVAL  # size
    assert lib.ftc_tab_init(t, table.AGG, 4, 6, p, 512) == lib.FTC_EINVAL        # cap
    assert lib.ftc_tab_init(t, table.AGG, 4, 2, p, 512) == lib.FTC_EINVAL        # < min
    assert lib.ftc_tab_init(t, table.AGG, 4, 8, p + 4, 8 * 56) == lib.FTC_EINVAL  # align
    assert lib.ftc_tab_init(t, 0, 4, 8, p, 512) == lib.FTC_EINVAL                 # kind
    assert lib.ftc_tab_init(t, 9, 4, 8, p, 512) == lib.FTC_EINVAL
    assert lib.ftc_tab_init(t, table.AGG, 0, 8, p, 512) == lib.FTC_EINVAL
    assert lib.ftc_tab_init(t, table.SET, table.KEY_MAX + 1, 4, p, 512) == lib.FTC_EINVAL
    assert lib.ftc_tab_init(t, table.SEQ, 8, 4, p, 512) == lib.FTC_EINVAL         # key
    assert lib.ftc_tab_init(ffi.NULL, table.AGG, 4, 8, p, 512) == lib.FTC_EINVAL
    assert lib.ftc_tab_init(t, table.AGG, 4, 8, ffi.NULL, 512) == lib.FTC_EINVAL
    assert lib.ftc_tab_stride(table.AGG, 0) == lib.FTC_EINVAL
    assert lib.ftc_tab_stride(7, 4) == lib.FTC_EINVAL
    assert lib.ftc_tab_stride(table.AGGR + 1, 4) == lib.FTC_EINVAL
    with pytest.raises(InternalError):
        table.Table(table.AGG, 4, 6)


def test_key_spec_refuses_bad_fields():
    k = ffi.new("ftc_key_spec_t *")
    ids = ffi.new("int32_t[]", [lib.FTC_F_SRCADDR] * 17)
    assert lib.ftc_key_spec(k, ids, 16) == lib.FTC_OK and k.key_len == 64
    assert lib.ftc_key_spec(k, ids, 17) == lib.FTC_EINVAL           # too many fields
    assert lib.ftc_key_spec(k, ids, 0) == lib.FTC_EINVAL
    for bad in (-1, lib.FTC_F_COUNT, 11):                            # 11: no such field
        assert lib.ftc_key_spec(k, ffi.new("int32_t[]", [bad]), 1) == lib.FTC_EINVAL
    assert lib.ftc_key_spec(ffi.NULL, ids, 1) == lib.FTC_EINVAL


def test_agg_add_refuses_mismatches():
    (b,) = batches([rec(srcaddr=1)])
    key, peer = table.KeySpec(["srcaddr"]), table.KeySpec(["dstport"])
    t = table.Table(table.AGG, 4, 4)
    pairs = table.Table(table.SET, 6, 4)
    done = ffi.new("size_t *")
    size = len(b.buf)

    def add(t_=t.t, key_=key.c, p_=ffi.NULL, peer_=ffi.NULL, flags=0, rt=b.rectype,
            n=b.n, size_=size):
        done[0] = 0
        return lib.ftc_agg_add(t_, key_, p_, peer_, flags, 0, rt, b.ptr, n, size_, ffi.NULL,
                               ffi.NULL, 0, done)

    assert add() == lib.FTC_OK and done[0] == 1
    assert add(p_=pairs.t, peer_=peer.c) == lib.FTC_OK
    assert add(p_=pairs.t) == lib.FTC_EINVAL                     # pairs without peer
    assert add(peer_=peer.c) == lib.FTC_EINVAL
    assert add(p_=t.t, peer_=peer.c) == lib.FTC_EINVAL           # not a SET table
    assert add(p_=pairs.t, peer_=key.c) == lib.FTC_EINVAL        # pair key length
    assert add(key_=peer.c) == lib.FTC_EINVAL                    # key length
    assert add(t_=pairs.t, p_=pairs.t, peer_=peer.c) == lib.FTC_EINVAL
    assert add(flags=2) == lib.FTC_EINVAL
    assert add(rt=99) == lib.FTC_EINVAL
    assert add(size_=size - 1) == lib.FTC_EINVAL                 # records beyond the buffer
    assert add(n=0, size_=0) == lib.FTC_OK
    done[0] = 2
    assert lib.ftc_agg_add(t.t, key.c, ffi.NULL, ffi.NULL, 0, 0, b.rectype, b.ptr, 1, size,
                           ffi.NULL, ffi.NULL, 0, done) == lib.FTC_EINVAL     # done beyond n
    # a spec edited behind C's back
    key.c.width[0] = 2
    assert add() == lib.FTC_EINVAL
    key.c.width[0] = 4
    # a field the record type lacks
    data = oracle.write_stream({"d_version": 8, "agg_version": 2, "agg_method": 1,
                                "flags": oracle.HF_STREAMING}, [])
    rt8 = stream.reader(io.BytesIO(data)).rectype
    assert lib.ftc_agg_add(t.t, key.c, ffi.NULL, ffi.NULL, 0, 0, rt8, ffi.NULL, 0, 0, ffi.NULL,
                           ffi.NULL, 0, done) == lib.FTC_EFIELD


def test_rank_find_slots_and_rehash_refuse_bad_arguments():
    a = aggregate([rec(srcaddr=i) for i in range(5)], ["srcaddr"], cap=16)
    t = a.table.t
    idx, scratch = ffi.new("uint32_t[]", 5), ffi.new("uint32_t[]", 5)
    assert lib.ftc_agg_rank(t, 0, 0, 5, idx, scratch, 5) == 5
    assert lib.ftc_agg_rank(t, 0, 0, 5, idx, scratch, 4) == lib.FTC_EINVAL    # room
    assert lib.ftc_agg_rank(t, 8, 0, 5, idx, scratch, 5) == lib.FTC_EINVAL    # by
    assert lib.ftc_agg_rank(t, -1, 0, 5, idx, scratch, 5) == lib.FTC_EINVAL
    assert lib.ftc_agg_rank(a.pairs.t if a.pairs else ffi.NULL, 0, 0, 5, idx, scratch, 5) \
        == lib.FTC_EINVAL
    i = ffi.new("uint32_t *")
    assert lib.ftc_tab_find(t, a.key.pack((3,)), 4, i) == 1
    assert lib.ftc_tab_find(t, a.key.pack((9,)), 4, i) == 0
    assert lib.ftc_tab_find(t, a.key.pack((3,)), 3, i) == lib.FTC_EINVAL     # key length
    assert lib.ftc_tab_find(t, a.key.pack((3,)), 4, ffi.NULL) == lib.FTC_EINVAL
    pos = ffi.new("uint32_t *", 0)
    got = []
    while pos[0] < t.cap:                                  # two at a time
        m = lib.ftc_tab_slots(t, pos, idx, 2)
        assert 0 <= m <= 2
        got += [idx[j] for j in range(m)]
    assert got == sorted(a.table.indexes()) and len(got) == 5
    assert lib.ftc_tab_slots(t, pos, ffi.NULL, 2) == lib.FTC_EINVAL
    # the one rehash: kind, key length, room and honesty of `used`
    for kind, key_len, cap in ((table.SET, 4, 16), (table.AGG, 8, 16), (table.AGG, 4, 4)):
        assert lib.ftc_tab_rehash(t, table.Table(kind, key_len, cap).t) == lib.FTC_EINVAL
    to = table.Table(table.AGG, 4, 16)
    t.used = 4                                             # it has 5
    assert lib.ftc_tab_rehash(t, to.t) == lib.FTC_EINVAL
    t.used = 5
    to = table.Table(table.AGG, 4, 16)
    assert lib.ftc_tab_rehash(t, to.t) == lib.FTC_OK and to.t.used == 5
    t.used = 13                                            # more than 3/4 of 16
    assert lib.ftc_agg_rank(t, 0, 0, 5, idx, scratch, 13) == lib.FTC_EINVAL
    t.used = 5


def test_probe_never_loops_on_a_table_that_lies():
    # every slot used but `used` says 3: lookups and inserts end with EINVAL
    tb = table.Table(table.SET, 4, 4)
    for i in range(4):
        ffi.cast("uint32_t *", tb.t.slot + i * tb.stride)[0] = 0x80000000 | i
    tb.t.used = 3
    i = ffi.new("uint32_t *")
    assert lib.ftc_tab_find(tb.t, b"zzzz", 4, i) == 0
    (b,) = batches([rec(srcaddr=7)])
    agg = table.Table(table.AGG, 4, 4)
    key, peer = table.KeySpec(["srcaddr"]), table.KeySpec(["dstaddr"])
    done = ffi.new("size_t *")
    pairs = table.Table(table.SET, 8, 4)
    for i in range(4):
        ffi.cast("uint32_t *", pairs.t.slot + i * pairs.stride)[0] = 0x80000000 | i
    pairs.t.used = 3
    assert lib.ftc_agg_add(agg.t, key.c, pairs.t, peer.c, 0, 0, b.rectype, b.ptr, 1,
                           len(b.buf), ffi.NULL, ffi.NULL, 0, done) == lib.FTC_EINVAL
