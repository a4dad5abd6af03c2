"""The aggregation kernel (csrc/agg.c through core/table.py) equals a plain
Counter over the same random records."""
import collections
import io

from hypothesis import given, strategies as st

import oracle
from pyflowtools.core.table import Aggregation
from pyflowtools.io import stream


def batch_of(recs):
    data = oracle.write_stream({"d_version": 5, "flags": oracle.HF_STREAMING},
                               [dict({k: 0 for k in oracle.fields("5")}, **r) for r in recs])
    rd = stream.reader(io.BytesIO(data), batch_records=max(len(recs), 1))
    return list(b.copy() for b in rd) or []


small = st.fixed_dictionaries({
    "srcaddr": st.integers(0, 20), "dstaddr": st.integers(0, 20),
    "dstport": st.integers(0, 5), "dPkts": st.integers(0, 2**32 - 1),
    "dOctets": st.integers(0, 2**32 - 1)})


@given(st.lists(small, max_size=300), st.lists(st.booleans(), min_size=300, max_size=300))
def test_counts_equal_python(recs, mask):
    c = Aggregation(["srcaddr", "dstport"], cap=4)   # tiny: forces growth
    d = Aggregation(["srcaddr"], peer=["dstaddr"], cap=4)
    for b in batch_of(recs):
        sel = bytes(1 if m else 0 for m in mask[:b.n])
        c.add(b, sel)
        d.add(b, sel)
    want = collections.defaultdict(lambda: [0, 0, 0])
    peers = collections.defaultdict(set)
    for r, m in zip(recs, mask):
        if not m:
            continue
        k = want[(r["srcaddr"], r["dstport"])]
        k[0] += 1
        k[1] += r["dOctets"]
        k[2] += r["dPkts"]
        peers[r["srcaddr"]].add(r["dstaddr"])
    got = {r.key: [r.flows, r.octets, r.packets] for r in c.ranked()}
    assert got == dict(want)
    assert {r.key[0]: r.distinct for r in d.ranked()} == {s: len(v) for s, v in peers.items()}
    ranked = c.ranked("octets")
    assert [x.octets for x in ranked] == sorted((x.octets for x in ranked), reverse=True)
    for a, b in zip(ranked, ranked[1:]):
        if a.octets == b.octets:
            assert a.key < b.key
    assert len(c.ranked("flows", limit=3)) == min(3, len(want))


@given(st.lists(small, min_size=1, max_size=400), st.integers(0, 12))
def test_top_n_selection_equals_full_sort(recs, limit):
    c = Aggregation(["srcaddr", "dstaddr"])
    for b in batch_of(recs):
        c.add(b)
    full = c.ranked("octets")
    assert c.ranked("octets", limit=limit) == full[:limit]
