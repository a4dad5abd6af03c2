"""C counting tables equal a plain Counter over the same random records."""
import collections
import io

from hypothesis import given, strategies as st

import oracle
from pyflowtools.report import agg
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
    c = agg.Counter("srcaddr", "dstport", cap=4)   # tiny: forces growth
    d = agg.DistinctCounter("srcaddr", "dstaddr", cap=4)
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
    got = {(key >> 32, key & 0xFFFFFFFF): [f, o, p] for key, f, o, p, _ in c.table.ranked()}
    assert got == dict(want)
    assert {key >> 32: aux for key, _, _, _, aux in d.table.ranked()} == \
        {s: len(v) for s, v in peers.items()}
    ranked = c.table.ranked("octets")
    assert [x[2] for x in ranked] == sorted((x[2] for x in ranked), reverse=True)
    for a, b in zip(ranked, ranked[1:]):
        if a[2] == b[2]:
            assert a[0] < b[0]
    assert len(c.table.ranked("flows", limit=3)) == min(3, len(want))


@given(st.lists(small, min_size=1, max_size=400), st.integers(0, 12))
def test_top_n_selection_equals_full_sort(recs, limit):
    c = agg.Counter("srcaddr", "dstaddr")
    for b in batch_of(recs):
        c.add(b)
    full = c.table.ranked("octets")
    assert c.table.ranked("octets", limit=limit) == full[:limit]
