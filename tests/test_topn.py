"""flow-topn's library (pyflowtools.report.topn): counting and ranking equal a
plain Python computation over random records; ties, thresholds, -n; the
-P/-r selection; the baseline file."""
import collections
import io
import os

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst
from pyflowtools.io import stream
from pyflowtools.report import topn
from pyflowtools.core.errors import FormatError, UsageError
from pyflowtools.filters import lists
from pyflowtools.util import ipv6

U32 = 0xFFFFFFFF
M = 0xFFFF << 32            # ::ffff:0:0/96


rec = oracle.record


def count(t, recs, per_batch=None, order="little", zlevel=0):
    data = oracle.write_stream({"d_version": 5, "flags": oracle.HF_STREAMING}, recs,
                               order, zlevel)
    for b in stream.reader(io.BytesIO(data), batch_records=per_batch or max(len(recs), 1)):
        t.add(b)
    return t


def py_rank(recs, key, metric, ports=None, protocols=None, n=10, threshold=0):
    """[(key, value)] by the documented rules, in plain Python."""
    sums = collections.defaultdict(lambda: [0, 0, 0])
    peers = collections.defaultdict(set)
    for r in recs:
        if ports is not None and r["dstport"] not in ports:
            continue
        if protocols is not None and r["prot"] not in protocols:
            continue
        k = {"src": r["srcaddr"], "dst": r["dstaddr"],
             "pair": (r["srcaddr"], r["dstaddr"])}[key]
        s = sums[k]
        s[0] += 1
        s[1] += r["dOctets"]
        s[2] += r["dPkts"]
        peers[k].add(r["dstaddr"] if key == "src" else r["srcaddr"])
    value = {"flows": lambda k: sums[k][0], "octets": lambda k: sums[k][1],
             "packets": lambda k: sums[k][2], "peers": lambda k: len(peers[k])}[metric]
    rows = sorted(((k, value(k)) for k in sums), key=lambda kv: (-kv[1], kv[0]))
    rows = [kv for kv in rows if kv[1] >= threshold]
    return rows[:n] if n > 0 else rows


# ---- hand-made edges --------------------------------------------------------

def test_ties_rank_by_the_lower_key_and_n_cuts_there():
    recs = [rec(srcaddr=a, dOctets=100) for a in (9, 3, 7, 5, 1)] + [rec(srcaddr=2, dOctets=300)]
    t = count(topn.TopN("src", "octets"), recs)
    assert [(r[0], r[1]) for r in t.rows(4)] == [(2, 300), (1, 100), (3, 100), (5, 100)]
    assert [r[0] for r in t.rows(0)] == [2, 1, 3, 5, 7, 9]


def test_threshold_is_inclusive_and_applies_before_n():
    recs = [rec(srcaddr=1)] * 5 + [rec(srcaddr=2)] * 4 + [rec(srcaddr=3)] * 3
    t = count(topn.TopN("src", "flows"), recs)
    assert [(r[0], r[1]) for r in t.rows(10, 4)] == [(1, 5), (2, 4)]
    assert [(r[0], r[1]) for r in t.rows(1, 4)] == [(1, 5)]
    assert t.rows(10, 6) == []


def test_keys_and_metrics():
    recs = [rec(srcaddr=1, dstaddr=10, dPkts=2, dOctets=80),
            rec(srcaddr=1, dstaddr=11, dPkts=3, dOctets=90),
            rec(srcaddr=1, dstaddr=10, dPkts=1, dOctets=40),
            rec(srcaddr=2, dstaddr=10, dPkts=9, dOctets=900)]
    assert [r[:2] for r in count(topn.TopN("src", "peers"), recs).rows()] == [(1, 2), (2, 1)]
    assert [r[:2] for r in count(topn.TopN("dst", "peers"), recs).rows()] == [(10, 2), (11, 1)]
    assert [r[:2] for r in count(topn.TopN("dst", "packets"), recs).rows()] == [(10, 12), (11, 3)]
    assert [r[:2] for r in count(topn.TopN("pair", "flows"), recs).rows()] == [
        ((1, 10), 2), ((1, 11), 1), ((2, 10), 1)]
    row = count(topn.TopN("src", "peers"), recs).rows()[0]
    assert row == (1, 2, 3, 210, 6, 2)          # key, value, flows, octets, packets, peers


def test_selection_by_port_and_protocol_lists():
    recs = [rec(srcaddr=1, dstport=25, prot=6), rec(srcaddr=1, dstport=25, prot=17),
            rec(srcaddr=2, dstport=80, prot=6), rec(srcaddr=3, dstport=587, prot=6)]
    sel = topn.selection("25,587", "6")
    t = count(topn.TopN("src", "flows", sel), recs)
    assert [r[:2] for r in t.rows()] == [(1, 1), (3, 1)] and t.flows == 2
    t = count(topn.TopN("src", "flows", topn.selection("!25")), recs)
    assert [r[:2] for r in t.rows()] == [(2, 1), (3, 1)]
    assert topn.selection() is None
    with pytest.raises(lists.ListError):
        topn.selection("70000")


def test_bad_choices():
    with pytest.raises(UsageError, match="-k"):
        topn.TopN("host", "flows")
    with pytest.raises(UsageError, match="-m"):
        topn.TopN("src", "bytes")
    with pytest.raises(UsageError, match="peers"):
        topn.TopN("pair", "peers")
    with pytest.raises(ValueError):
        topn.count_value("-3")
    assert topn.count_value(" 12 ") == 12


def test_many_keys_grow_the_tables():
    recs = [rec(srcaddr=i, dstaddr=i % 7, dOctets=i) for i in range(20000)]
    t = count(topn.TopN("src", "octets"), recs, per_batch=3000)
    assert [r[:2] for r in t.rows(3)] == [(19999, 19999), (19998, 19998), (19997, 19997)]
    t = count(topn.TopN("dst", "peers"), recs, per_batch=3000)
    assert [r[1] for r in t.rows(0)] == [2858] + [2857] * 6


# ---- property: C counting equals plain Python -------------------------------

small = st.fixed_dictionaries({
    "srcaddr": st.one_of(st.integers(0, 12), st.just(U32)),
    "dstaddr": st.one_of(st.integers(0, 12), st.just(U32)),
    "dstport": st.sampled_from([25, 80, 0, 65535]),
    "prot": st.sampled_from([6, 17, 1]),
    "dPkts": st.one_of(st.integers(0, 3), st.just(U32)),
    "dOctets": st.one_of(st.integers(0, 3), st.just(U32))})


@given(st.lists(st.tuples(fst.records("5"), small).map(lambda t: {**t[0], **t[1]}),
                max_size=200),
       st.sampled_from([("src", m) for m in topn.METRICS] + [("dst", m) for m in topn.METRICS]
                       + [("pair", m) for m in ("flows", "octets", "packets")]),
       st.sampled_from([None, "25", "!25", "0-80"]), st.sampled_from([None, "6", "6,17"]),
       st.integers(0, 6), st.integers(0, 4), st.integers(1, 50), fst.byte_orders())
def test_ranking_equals_python(recs, km, ports, protocols, n, threshold, per_batch, order):
    key, metric = km
    t = count(topn.TopN(key, metric, topn.selection(ports, protocols)), recs, per_batch, order)
    want = py_rank(recs, key, metric,
                   None if ports is None else lists.parse(ports),
                   None if protocols is None else lists.parse(protocols, lists.BYTE_TABLE),
                   n, threshold)
    assert [r[:2] for r in t.rows(n, threshold)] == want


# ---- baseline file -------------------------------------------------------------

def test_baseline_round_trip_and_atomic_write(tmp_path):
    p = tmp_path / "base.txt"
    assert topn.load_baseline(str(p), "src", "octets") is None
    # keys are 128-bit (IPv4 mapped: the baseline of any input version)
    rows = [(M | 0x0A000001, 500), (M | 0x0A000002, 400), (ipv6.parse("2001:db8::1"), 7)]
    topn.write_baseline(str(p), "src", "octets", rows, ["flow-topn", "-b", str(p)])
    text = p.read_text()
    assert text.splitlines()[0] == "# flow-topn baseline: -k src -m octets"
    assert "10.0.0.1\t500\n10.0.0.2\t400\n2001:db8::1\t7\n" in text
    assert topn.load_baseline(str(p), "src", "octets") == {r[0] for r in rows}
    assert os.listdir(tmp_path) == ["base.txt"]             # no temporary left
    os.chmod(p, 0o640)
    topn.write_baseline(str(p), "src", "octets", rows[:1])
    assert os.stat(p).st_mode & 0o777 == 0o640
    assert topn.load_baseline(str(p), "src", "octets") == {M | 0x0A000001}


def test_baseline_pairs_and_hand_written(tmp_path):
    p = tmp_path / "pairs.txt"
    p.write_text("# my list\n10.0.0.1 192.0.2.7\n\n10.0.0.2\t192.0.2.8\t99  # note\n"
                 "2001:DB8::0:1 ::ffff:192.0.2.9\n")
    assert topn.load_baseline(str(p), "pair", "flows") == {
        (M | 0x0A000001, M | 0xC0000207), (M | 0x0A000002, M | 0xC0000208),
        (ipv6.parse("2001:db8::1"), M | 0xC0000209)}
    with pytest.raises(FormatError, match=r"pairs.txt:2: want ADDRESS \[VALUE\]"):
        topn.load_baseline(str(p), "src", "flows")            # 3 fields for one address


@pytest.mark.parametrize("content,where", [
    ("# flow-topn baseline: -k dst -m octets\n", "b.txt:1: baseline of -k dst -m octets"),
    ("# flow-topn baseline: -k src -m flows\n10.0.0.1\n", "b.txt:1: baseline of -k src -m flows"),
    ("10.0.0.1\n10.0.0.x\n", "b.txt:2: bad IPv4"),
])
def test_baseline_errors(tmp_path, content, where):
    p = tmp_path / "b.txt"
    p.write_text(content)
    with pytest.raises(FormatError) as e:
        topn.load_baseline(str(p), "src", "octets")
    assert where in str(e.value)


def test_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    p = tmp_path / "base.txt"
    topn.write_baseline(str(p), "src", "flows", [(1, 1)])
    before = p.read_bytes()

    def boom(*a):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        topn.write_baseline(str(p), "src", "flows", [(2, 2)])
    assert p.read_bytes() == before and os.listdir(tmp_path) == ["base.txt"]
