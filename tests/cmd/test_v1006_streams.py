"""flow-merge and flow-split on v1006 streams (IPv4 and IPv6 flows, man
flow-tools-v1006(5)): records pass through unchanged in both byte orders,
compressed or not; flow-merge's order is its documented one (earliest end
time, the earlier input on ties), checked against a plain Python merge; a
v1006 stream among IPv4 ones is refused in one line."""
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import oracle
import strategies as fst

ORDERS = [("little", 0), ("big", 0), ("little", 6), ("big", 9)]


def end_ms(r):
    return (r["unix_secs"] * 1000 + r["unix_nsecs"] // 1000000 - r["sysUpTime"] + r["Last"]) \
        & 0xFFFFFFFFFFFFFFFF


def merged(lists):
    """flow-merge's order: the head with the earliest end time, the earlier
    input on equal times."""
    pos = [0] * len(lists)
    out = []
    while True:
        best = None
        for i, lst in enumerate(lists):
            if pos[i] < len(lst) and (best is None or end_ms(lst[pos[i]]) < end_ms(lists[best][pos[best]])):
                best = i
        if best is None:
            return out
        out.append(lists[best][pos[best]])
        pos[best] += 1


def write(path, recs, order="little", level=0):
    path.write_bytes(oracle.write_stream({"d_version": 1006, "flags": oracle.HF_STREAMING},
                                         recs, order, level))
    return str(path)


def small_times(r):
    """Keep end times comparable in 64 bits as the C key computes them."""
    r = dict(r)
    r["sysUpTime"] = 0
    return r


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lists=st.lists(fst.v1006_record_lists(max_size=20).map(lambda rs: [small_times(r) for r in rs]),
                      min_size=1, max_size=3),
       fmt=st.sampled_from(ORDERS))
def test_merge_v1006_equals_python_merge(run_cmd, tmp_path, lists, fmt):
    paths = [write(tmp_path / ("in%d.ft" % i), rs, *fmt) for i, rs in enumerate(lists)]
    st_, out, err = run_cmd(["flow-merge"] + paths)
    assert (st_, err) == (0, b"")
    h, got = oracle.read_stream(out)
    assert h["d_version"] == 1006
    assert got == merged(lists)


def test_merge_v1006_with_ipv4_refused(run_cmd, tmp_path):
    six = write(tmp_path / "a.ft", [oracle.record("1006")])
    five = tmp_path / "b.ft"
    five.write_bytes(oracle.write_stream({"d_version": 5, "flags": oracle.HF_STREAMING},
                                         [oracle.record("5")]))
    for ops in ([six, str(five)], [str(five), six]):
        st_, out, err = run_cmd(["flow-merge"] + ops)
        assert st_ == 1
        assert err == b"flow-merge: data version or sub version changed!\n"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(recs=fst.v1006_record_lists(min_size=1, max_size=30), n=st.integers(1, 7),
       fmt=st.sampled_from(ORDERS))
def test_split_v1006_keeps_every_record(run_cmd, tmp_path, recs, n, fmt):
    d = tmp_path / ("out%d" % len(list(tmp_path.iterdir())))
    d.mkdir()
    src = write(tmp_path / "in.ft", recs, *fmt)
    st_, out, err = run_cmd("flow-split -N %d -o %s/x < %s" % (n, d, src))
    assert (st_, err) == (0, b"")
    files = sorted(d.iterdir(), key=lambda p: int(p.name.split(".")[1]))
    got = []
    for p in files:
        h, rs = oracle.read_stream(p.read_bytes())
        assert h["d_version"] == 1006 and len(rs) <= n
        got += rs
    assert got == recs and len(files) == -(-len(recs) // n)


@pytest.mark.parametrize("tag", ["-g", "-G"])
def test_split_v1006_by_tag(run_cmd, tmp_path, tag):
    recs = [oracle.record("1006", src_tag=i % 3, dst_tag=i % 2, dPkts=i) for i in range(12)]
    src = write(tmp_path / "in.ft", recs)
    d = tmp_path / "out"
    d.mkdir()
    st_, out, err = run_cmd("flow-split %s -o %s/x < %s" % (tag, d, src))
    assert (st_, err) == (0, b"")
    key = "src_tag" if tag == "-g" else "dst_tag"
    seen = []
    for p in d.iterdir():
        value = int(p.name.split(".")[1], 0)
        h, rs = oracle.read_stream(p.read_bytes())
        assert h["d_version"] == 1006 and rs == [r for r in recs if r[key] == value]
        seen.append(value)
    assert sorted(seen) == sorted({r[key] for r in recs})
