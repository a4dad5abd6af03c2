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
    """The reference's ftltime of Last, step by step: seconds in 32 bits
    (they wrap), milliseconds carried once."""
    sys_, last = r["sysUpTime"], r["Last"]
    secs, ms, sys_ms = r["unix_secs"] - sys_ // 1000, r["unix_nsecs"] // 1000000, sys_ % 1000
    if sys_ms > ms:
        secs, ms = secs - 1, ms + 1000
    secs, ms = secs + last // 1000, ms - sys_ms + last % 1000
    if ms >= 1000:
        secs, ms = secs + 1, ms - 1000
    return (secs & 0xFFFFFFFF, ms)


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
    """sysUpTime 0 in half the records (ties and wraps more likely)."""
    r = dict(r)
    if r["dPkts"] % 2:
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


# ---- flow-tag, flow-mask, flow-xlate ------------------------------------------------

def mixed(n, seed):
    """IPv4 flows (the even ones) and IPv6 flows with every field random;
    ports, protocols and addresses drawn so that the conformance configs'
    rules hit often (ports 53/80/443, prot 6/17, 10/8 and 192.168/16
    addresses, as IPv6 last words too)."""
    import random
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        r = {f: rnd.randint(0, oracle.field_max("1006", f)) for f in oracle.fields("1006")}
        r["prot"] = rnd.choice([1, 6, 17, r["prot"]])
        r["srcport"], r["dstport"] = rnd.choice([53, 80, 443, 123]), rnd.choice([53, 80, 8080])
        r["src_as"], r["dst_as"] = rnd.choice([0, 65001, r["src_as"]]), rnd.choice([0, 7018])
        r["src_mask"], r["dst_mask"] = rnd.randint(0, 140), rnd.randint(0, 140)
        for name in ("srcaddr", "dstaddr", "nexthop"):
            low = rnd.choice([0x0A000000 | rnd.getrandbits(24), 0xC0A80100 | rnd.getrandbits(8),
                              rnd.getrandbits(32), 0x0A57010A, 0x82D3DF67,
                              0x0A570100 | rnd.getrandbits(8), 0x82D30000 | rnd.getrandbits(16)])
            a = oracle.mapped(low) if i % 2 == 0 else (rnd.getrandbits(96) << 32) | low
            r = oracle.with_addr6(r, name, a)
        if i % 2 == 0:
            r["src_mask"], r["dst_mask"], r["flow_label"] = r["src_mask"] % 33, r["dst_mask"] % 33, 0
        out.append(r)
    return out


def v5_of(r, version="5"):
    return {n: r[n] for n in oracle.fields(version)}


def run_records(run_cmd, cwd, cmd, recs, version=1006):
    data = oracle.write_stream({"d_version": version, "flags": oracle.HF_STREAMING}, recs,
                               "big", 6)
    st_, out, err = run_cmd(cmd, stdin=data, cwd=cwd)
    assert (st_, err) == (0, b""), err
    h, got = oracle.read_stream(out)
    return h, got


def as_v1006(r5, r6):
    """v1006 record r6 with the fields of v5 (or v1005) record r5."""
    out = dict(r6)
    for n, v in r5.items():
        if n in ("srcaddr", "dstaddr", "nexthop"):
            out = oracle.with_addr6(out, n, oracle.mapped(v))
        elif n in out:
            out[n] = v
    return out


TAGS = ["ports", "nets", "misc", "hosts"]


@pytest.mark.parametrize("definition", TAGS)
def test_tag_v1006(run_cmd, corpus_dir, definition):
    """IPv4 flows are tagged as their v5 form is; an IPv6 flow as the v5
    form whose addresses hit no address rule (its addresses are in no IPv4
    prefix, whatever their last word)."""
    recs = mixed(400, 1)
    cmd = ["flow-tag", "-t", "cfg/tag.cfg", "-T", definition]
    h, got = run_records(run_cmd, corpus_dir, cmd, recs)
    assert h["d_version"] == 1006 and len(got) == len(recs)
    # the v5 path: v1005 records, tags from 0; ours keep the input's tags, so
    # compare with inputs whose tags are 0
    zero = [dict(r, src_tag=0, dst_tag=0) for r in recs]
    _, got = run_records(run_cmd, corpus_dir, cmd, zero)
    _, ref = run_records(run_cmd, corpus_dir, cmd, [v5_of(r) for r in zero], version=5)
    # an IPv6 flow: its v5 form with addresses no rule of ports, misc and
    # hosts names (nets: 0/0 matches every IPv4 address, no rule may hit)
    nowhere = 0xFFFFFFFE
    _, ref_none = run_records(run_cmd, corpus_dir, cmd, [
        dict(v5_of(r), srcaddr=nowhere, dstaddr=nowhere, nexthop=nowhere) for r in zero],
        version=5)
    changed = 0
    for r, g, four, none in zip(zero, got, ref, ref_none):
        if oracle.is_ipv4(r):
            assert g == as_v1006(four, r)
        else:
            assert g == r | {"src_tag": g["src_tag"], "dst_tag": g["dst_tag"]}
            if definition != "nets":
                assert (g["src_tag"], g["dst_tag"]) == (none["src_tag"], none["dst_tag"])
            else:        # every rule is a prefix rule
                assert (g["src_tag"], g["dst_tag"]) == (0, 0)
        changed += (g["src_tag"], g["dst_tag"]) != (0, 0)
    assert changed > 20


def test_tag_v1006_ipv6_addresses_miss_ipv4_prefixes(run_cmd, corpus_dir):
    r = oracle.record("1006", prot=6, dstport=80, src_tag=5)
    six = oracle.with_addr6(oracle.with_addr6(r, "srcaddr", (0x20010DB8 << 96) | 0x0A000001),
                            "dstaddr", (0x20010DB8 << 96) | 0xC0A80101)
    four = oracle.with_addr6(oracle.with_addr6(r, "srcaddr", oracle.mapped(0x0A000001)),
                             "dstaddr", oracle.mapped(0xC0A80101))
    _, (g6, g4) = run_records(run_cmd, corpus_dir, ["flow-tag", "-t", "cfg/tag.cfg", "-T", "nets"],
                              [six, four])
    assert (g6["src_tag"], g6["dst_tag"]) == (5, 0)            # kept: no prefix hits
    assert (g4["src_tag"], g4["dst_tag"]) == (3, 0x010000)     # 10/8, 192.168/16


@pytest.mark.parametrize("definition", ["lans", "everything", "hosts"])
def test_mask_v1006(run_cmd, corpus_dir, definition):
    """IPv4 flows get the masks of their v5 form; IPv6 flows are unchanged."""
    recs = mixed(400, 2)
    cmd = ["flow-mask", "-m", "cfg/mask.cfg", "-M", definition]
    h, got = run_records(run_cmd, corpus_dir, cmd, recs)
    _, ref = run_records(run_cmd, corpus_dir, cmd, [v5_of(r) for r in recs], version=5)
    assert h["d_version"] == 1006
    changed = 0
    for r, g, four in zip(recs, got, ref):
        assert g == (as_v1006(four, r) if oracle.is_ipv4(r) else r)
        changed += g != r
    assert changed > 10


def net6(a, length):
    import ipaddress
    if length == 0 or length > 128:
        return a
    return int(ipaddress.IPv6Network((a, length), strict=False).network_address)


XLATES = ["nets", "classes", "privacy", "ports", "scale", "as0", "tags", "filtered"]


@pytest.mark.parametrize("definition", XLATES)
def test_xlate_v1006(run_cmd, corpus_dir, definition):
    """IPv4 flows as their v1005 form; IPv6 flows: the fields but the
    addresses as the v1005 form's, the addresses masked to the flow's prefix
    lengths by `nets` (ipaddress) and unchanged by the other actions."""
    recs = mixed(400, 3)
    cmd = ["flow-xlate", "-x", "cfg/xlate.cfg", "-X", definition]
    h, got = run_records(run_cmd, corpus_dir, cmd, recs)
    # v1005: the v5 fields and the tags
    _, ref = run_records(run_cmd, corpus_dir, cmd, [v5_of(r, "1005") for r in recs],
                         version=1005)
    assert h["d_version"] == 1006
    changed = 0
    for r, g, five in zip(recs, got, ref):
        if oracle.is_ipv4(r):
            assert g == as_v1006(five, r)
        else:
            want = dict(r)
            for n, v in five.items():
                if n not in ("srcaddr", "dstaddr", "nexthop"):
                    want[n] = v
            if definition == "nets":
                want = oracle.with_addr6(want, "srcaddr",
                                         net6(oracle.addr6(r, "srcaddr"), r["src_mask"]))
                want = oracle.with_addr6(want, "dstaddr",
                                         net6(oracle.addr6(r, "dstaddr"), r["dst_mask"]))
            assert g == want
        changed += g != r
    assert changed > 10


def test_collector_transform_tags_v1006_in_place(corpus_dir):
    """flow-capture -t/-T on v1006 (netflow/transform.py): the stored type
    stays v1006, the records tagged as flow-tag tags them."""
    import sys
    from pyflowtools.core.native import rectype
    from pyflowtools.netflow.transform import Transform
    v1006 = rectype(1006)
    tr = Transform(tag=("cfg/tag.cfg", "nets"), base=str(corpus_dir))
    assert tr.output_rectype(v1006) == v1006 and tr.output_rectype(rectype(5)) == rectype(1005)
    tr.check(v1006)
    four = oracle.with_addr6(oracle.record("1006"), "srcaddr", oracle.mapped(0x0A000001))
    four = oracle.with_addr6(four, "dstaddr", oracle.mapped(0))
    six = oracle.with_addr6(oracle.record("1006", src_tag=9), "srcaddr",
                            (0x20010DB8 << 96) | 0x0A000001)
    data = oracle.encode_records("1006", [four, six], sys.byteorder)
    out, n = tr.apply(data, 2, v1006)
    got = oracle.decode_records("1006", bytes(out)[:2 * 112], sys.byteorder)
    assert n == 2
    assert (got[0]["src_tag"], got[0]["dst_tag"]) == (3, 0x19)     # 10/8, 0/0
    assert (got[1]["src_tag"], got[1]["dst_tag"]) == (9, 0)        # no IPv6 hit
