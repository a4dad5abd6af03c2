"""core/partial.py and csrc/partial.c: a table counted in pieces, exported
and merged in the pieces' order, equals the table counted in one pass --
counters, first/last, distinct counts from the pairs, the order of first
appearance, the formatted report; totals the same; bytes that are not a
partial end in one defined error."""
import os

import pytest
from hypothesis import given, strategies as st

from pyflowtools.core import partial, portrank, stat, table
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.io import stream

SAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, "samples", "enterprise",
                      "ft-v05.2004-08-16.090000+0000")

KEYS = [(["srcaddr"], None, {}), (["srcaddr", "dstaddr"], None, {"times": True}),
        (["dstport"], ["srcaddr"], {}), (["prot"], None, {"rates": True}),
        (["srcport", "dstport"], None, {"each": True, "duration": True})]


def batches(n):
    """The sample in batches of n records (copies)."""
    with stream.reader(SAMPLE, batch_records=n) as rd:
        return [b.copy() for b in rd]


BATCHES = {n: batches(n) for n in (997, 4096)}


def rows(agg):
    """Every row in order of first appearance (seq included)."""
    return [agg.row(i) for i in agg.order("seq")]


@given(st.sampled_from(range(len(KEYS))), st.sampled_from(sorted(BATCHES)),
       st.lists(st.integers(1, 6), min_size=1, max_size=8))
def test_aggregation_in_pieces_equals_one_pass(k, n, cuts):
    key, peer, kw = KEYS[k]
    bs = BATCHES[n]
    whole = table.Aggregation(key, peer=peer, **kw)
    for b in bs:
        whole.add(b)
    merged = table.Aggregation(key, peer=peer, cap=table.MIN_CAP, **kw)
    at, pieces = 0, 0
    while at < len(bs):
        step = cuts[pieces % len(cuts)]
        piece = table.Aggregation(key, peer=peer, **kw)
        for b in bs[at:at + step]:
            piece.add(b)
        partial.merge_agg(merged, partial.export_agg(piece))
        at += step
        pieces += 1
    got, want = rows(merged), rows(whole)
    if kw.get("rates"):     # the rate sums are doubles added in another order
        got = [r._replace(pps=r.pps[1:], bps=r.bps[1:]) for r in got]
        want = [r._replace(pps=r.pps[1:], bps=r.bps[1:]) for r in want]
    assert got == want
    assert len(merged) == len(whole)


def test_merge_keeps_first_appearance_order_across_pieces():
    bs = BATCHES[997]
    one = table.Aggregation(["dstaddr"])
    a, b = table.Aggregation(["dstaddr"]), table.Aggregation(["dstaddr"])
    for x in bs[:3]:
        a.add(x)
        one.add(x)
    for x in bs[3:6]:
        b.add(x)
        one.add(x)
    m = table.Aggregation(["dstaddr"])
    partial.merge_agg(m, partial.export_agg(a))
    partial.merge_agg(m, partial.export_agg(b))
    assert [r.key for r in rows(m)] == [r.key for r in rows(one)]
    # in the other order the keys of b come first: the order is the inputs'
    r = table.Aggregation(["dstaddr"])
    partial.merge_agg(r, partial.export_agg(b))
    partial.merge_agg(r, partial.export_agg(a))
    assert [x.key for x in rows(r)] != [x.key for x in rows(one)]


@given(st.integers(1, 9))
def test_totals_in_pieces(k):
    bs = BATCHES[997]
    whole = stat.Totals(hist=True, rates=False)
    merged = stat.Totals(hist=True, rates=False)
    for i in range(0, len(bs), k):
        piece = stat.Totals(hist=True, rates=False)
        for b in bs[i:i + k]:
            piece.add(b)
            whole.add(b)
        partial.merge_totals(merged, partial.export_totals(piece))
    assert partial.export_totals(merged) == partial.export_totals(whole)


def test_empty_totals_merge_to_empty():
    t = stat.Totals(hist=True)
    partial.merge_totals(t, partial.export_totals(stat.Totals(hist=True)))
    assert (t.min_secs, t.records) == (0xFFFFFFFF, 0)


def test_portrank_pairs_in_pieces():
    bs = BATCHES[997]
    whole = portrank.PairCounts(bs[0].rectype, "srcaddr", "dstport", 0x02, 0x3F, True)
    merged = portrank.PairCounts(bs[0].rectype, "srcaddr", "dstport", 0x02, 0x3F, True)
    for i in range(0, len(bs), 2):
        piece = portrank.PairCounts(bs[0].rectype, "srcaddr", "dstport", 0x02, 0x3F, True)
        for b in bs[i:i + 2]:
            piece.add(b)
            whole.add(b)
        partial.merge(merged.table, partial.export(piece.table))
    assert merged.pairs() == whole.pairs()
    assert merged.report(1, 0, 0) == whole.report(1, 0, 0)


def _partial():
    a = table.Aggregation(["prot"])
    for b in BATCHES[997][:2]:
        a.add(b)
    return partial.export(a.table)


@pytest.mark.parametrize("damage", ["short", "magic", "version", "order", "count", "extra"])
def test_damaged_partials_are_refused(damage):
    d = bytearray(_partial())
    if damage == "short":
        d = d[:20]
    elif damage == "magic":
        d[0:4] = b"XXXX"
    elif damage == "version":
        d[4] ^= 0xFF
    elif damage == "order":
        d[20:24] = bytes(reversed(d[20:24]))
    elif damage == "count":
        d[24] += 1
    else:
        d += b"\0"
    t = table.Aggregation(["prot"])
    with pytest.raises(FlowToolsError):
        partial.merge(t.table, bytes(d))


def test_another_kind_or_key_is_a_bug_not_data():
    d = _partial()
    with pytest.raises(FlowToolsError):
        partial.merge(table.Aggregation(["srcport"]).table, d)       # 2-byte key
    with pytest.raises(FlowToolsError):
        partial.merge(table.Aggregation(["prot"], times=True).table, d)


def test_merge_grows_the_table():
    a = table.Aggregation(["srcaddr", "dstaddr"])
    for b in BATCHES[4096]:
        a.add(b)
    m = table.Aggregation(["srcaddr", "dstaddr"], cap=table.MIN_CAP)
    partial.merge_agg(m, partial.export_agg(a))
    assert m.table.cap > table.MIN_CAP and rows(m) == rows(a)


def test_corpus_seeds_replay():
    """The fuzz harness's seeds (csrc/fuzz/seeds/fuzz_partial: byte 0 the
    kind, byte 1 the key length, then an exported partial) merge whole
    into the table they name."""
    seeds = os.path.join(os.path.dirname(__file__), os.pardir, "csrc", "fuzz", "seeds",
                         "fuzz_partial")
    kinds = [table.AGG, table.AGGT, table.AGGR, table.SET, table.PR]
    names = sorted(os.listdir(seeds))
    assert names
    for name in names:
        with open(os.path.join(seeds, name), "rb") as f:
            data = f.read()
        t = table.Table(kinds[(data[0] & 0x7F) % 5], 1 + data[1] % 16, table.MIN_CAP)
        partial.merge(t, data[2:])
        assert len(t) == int.from_bytes(data[2 + 24:2 + 32], "little")


def test_merge_reserves_room_for_the_partial_before_inserting(monkeypatch):
    """A partial's keys arrive in its table's slot (hash) order: merged
    into a table of the same size, half full, they would pile into one run
    of slots.  The merge makes room for all of them first (the table ends
    with room for both tables' keys and loses nothing)."""
    bs = BATCHES[997]
    half = len(bs) // 2

    def counted(part):
        p = portrank.PairCounts(bs[0].rectype, "srcaddr", "dstport", 0x02, 0x3F, True)
        for b in part:
            p.add(b)
        return p
    first, second = counted(bs[:half]), counted(bs[half:])
    data = partial.export(second.table)
    before = first.table.cap
    n, used = len(first) + len(second), len(first)
    grows = []
    grow = table.Table.grow

    def watched(self):
        grows.append(len(self))
        grow(self)
    monkeypatch.setattr(table.Table, "grow", watched)
    partial.merge(first.table, data)
    assert grows and set(grows) == {used}      # all growth before the first key went in
    assert table.max_keys(first.table.cap) >= n
    assert first.table.cap >= before
    assert first.pairs() == counted(bs).pairs()


def test_reserve_grows_only_when_needed():
    t = table.Table(table.SET, 4)
    cap = t.cap
    t.reserve(table.max_keys(cap))
    assert t.cap == cap
    t.reserve(table.max_keys(cap) + 1)
    assert t.cap > cap and table.max_keys(t.cap) >= table.max_keys(cap) + 1
    t.reserve(10 ** 5)
    assert table.max_keys(t.cap) >= 10 ** 5
