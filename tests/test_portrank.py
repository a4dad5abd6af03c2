"""TCP flag rules (synonly.py) and the one-pass port ranking (portrank.py,
csrc/portrank.c): each C entry point through _native, sizes 0/1/cap/cap+1,
growth of the pair table, ordering and limits, and property tests against
plain Python computations over streams built by the independent oracle."""
import collections
import ipaddress
import io

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst
from pyflowtools.report import portrank, synonly
from pyflowtools.io import stream
from pyflowtools.core import table
from pyflowtools.core.native import ffi, lib
from pyflowtools.core.errors import FlowToolsError, UsageError

TCP, UDP, ICMP = 6, 17, 1
# the versions whose records carry prot, tcp_flags, both addresses and ports
FLAG_VERSIONS = ("1", "5", "6", "7", "1005")


def rec(version="5", **kw):
    r = dict.fromkeys(oracle.fields(version), 0)
    r.update(kw)
    return r


def batches(recs, version="5", order="little", zlevel=0, per_batch=None):
    major, method = oracle.split_version(version)
    h = {"d_version": major, "flags": oracle.HF_STREAMING}
    if major == 8:
        h.update(agg_version=2, agg_method=method)
    data = oracle.write_stream(h, recs, order, zlevel)
    rd = stream.reader(io.BytesIO(data), batch_records=per_batch or max(len(recs), 1),
                       ipv6=major == 1006)
    return rd.rectype, [b.copy() for b in rd]


def ranking(recs, version="5", cap=4, **mode_kw):
    rt, bs = batches(recs, version)
    r = portrank.Ranking(rt, portrank.mode(**mode_kw), cap=cap)
    for b in bs:
        r.add(b)
    return r


# ---- rules ---------------------------------------------------------------

@pytest.mark.parametrize("text,rule", [
    ("2", synonly.Rule(2, 0xFF)), ("0x14", synonly.Rule(0x14, 0xFF)),
    ("0x02/0x02", synonly.Rule(2, 2)), ("022/0377", synonly.Rule(0o22, 0xFF)),
    (" 0x12 / 0x12 ", synonly.Rule(0x12, 0x12)), ("0/0x02", synonly.Rule(0, 2)),
])
def test_parse_rule(text, rule):
    assert synonly.parse_rule(text) == rule


@pytest.mark.parametrize("text", ["", "x", "256", "-1", "2/", "2/0x100", "0x12/0x02", "2/3/4"])
def test_parse_rule_refuses(text):
    with pytest.raises(UsageError):
        synonly.parse_rule(text)


def test_rule_constants_come_from_c():
    assert synonly.SYN_ONLY == (lib.FTC_TCP_SYN, 0xFF) == (0x02, 0xFF)
    assert synonly.RST_ACK == (lib.FTC_TCP_RST_ACK, 0xFF) == (0x14, 0xFF)
    assert str(synonly.SYN_ONLY) == "0x02" and str(synonly.Rule(2, 0x12)) == "0x02/0x12"


def test_check_fields_names_the_missing_field():
    rt, _ = batches([], "8.1")
    with pytest.raises(FlowToolsError, match="version 8.1 have no prot field"):
        synonly.check_fields(rt)
    with pytest.raises(FlowToolsError, match="tcp_flags"):
        portrank.Ranking(batches([], "8.14")[0])


def _filtered(rule, recs, version="5", order="little", zlevel=0):
    rt, bs = batches(recs, version, order, zlevel, per_batch=7)
    out = io.BytesIO()
    major = oracle.split_version(version)[0]
    h = stream.streaming_header(stream.reader(io.BytesIO(oracle.write_stream(
        {"d_version": major, "flags": 0}, [])), ipv6=major == 1006).header)
    with stream.writer(out, h) as wr:
        n = synonly.filter_stream(rule, bs, rt, wr)
    got = oracle.read_stream(out.getvalue())[1]
    assert n == len(got)
    return got


def test_flag_edges():
    recs = [rec(prot=TCP, tcp_flags=f, srcaddr=f) for f in (0x02, 0x12, 0x03, 0x00, 0x14, 0x04,
                                                             0x1C, 0x16, 0xFF)]
    recs += [rec(prot=UDP, tcp_flags=0x02, srcaddr=1000), rec(prot=ICMP, tcp_flags=0x14,
                                                               srcaddr=1001)]
    syn = [r["srcaddr"] for r in _filtered(synonly.SYN_ONLY, recs)]
    assert syn == [0x02]                      # not SYN|ACK, not SYN|FIN, not UDP
    rst = [r["srcaddr"] for r in _filtered(synonly.RST_ACK, recs)]
    assert rst == [0x14]                      # not RST, not RST|ACK|PSH, not ICMP
    any_syn = [r["srcaddr"] for r in _filtered(synonly.Rule(0x02, 0x02), recs)]
    assert any_syn == [0x02, 0x12, 0x03, 0x16, 0xFF]
    no_ack = [r["srcaddr"] for r in _filtered(synonly.Rule(0, 0x10), recs)]
    assert no_ack == [0x02, 0x03, 0x00, 0x04]


flag_records = st.fixed_dictionaries({
    "prot": st.sampled_from((TCP, TCP, TCP, UDP, ICMP, 0)),
    "tcp_flags": st.sampled_from((0x02, 0x12, 0x03, 0x14, 0x04, 0x1C, 0x10, 0x18, 0x00, 0xFF)),
    "srcaddr": st.integers(0, 5), "dstaddr": st.integers(0, 5),
    "srcport": st.sampled_from((0, 80, 1025, 65535)),
    "dstport": st.sampled_from((0, 80, 1025, 65535)),
})


def full_records(version):
    """oracle-valid records of `version` whose interesting fields come from
    small pools (so hosts and ports repeat)."""
    return st.tuples(fst.records(version), flag_records).map(lambda t: dict(t[0], **t[1]))


@given(st.sampled_from(FLAG_VERSIONS + (oracle.V1006,)).flatmap(
           lambda v: st.tuples(st.just(v), st.lists(full_records(v), max_size=80))),
       st.integers(0, 255), st.sampled_from((0xFF, 0x02, 0x14, 0x12, 0x00)),
       fst.byte_orders(), st.sampled_from((0, 1)))
def test_filter_equals_python(vrecs, value, mask, order, zlevel):
    """flow-synonly's filter on every version with the flags (v1006's
    IPv4 and IPv6 flows alike: the rule reads no address)."""
    version, recs = vrecs
    value &= mask
    got = _filtered(synonly.Rule(value, mask), recs, version, order, zlevel)
    assert got == [r for r in recs if r["prot"] == TCP and r["tcp_flags"] & mask == value]


# ---- the pair table ------------------------------------------------------

def test_add_counts_all_flows_and_matching_flows_per_pair():
    recs = [rec(prot=TCP, tcp_flags=0x02, srcaddr=1, dstport=80),
            rec(prot=TCP, tcp_flags=0x12, srcaddr=1, dstport=80),
            rec(prot=UDP, tcp_flags=0x02, srcaddr=1, dstport=53),
            rec(prot=TCP, tcp_flags=0x02, srcaddr=2, dstport=80)]
    r = ranking(recs)
    assert r.table.pairs() == {(1, 80): (2, 1), (1, 53): (1, 0), (2, 80): (1, 1)}
    r = ranking(recs, matching_only=True)
    assert r.table.pairs() == {(1, 80): (1, 1), (2, 80): (1, 1)}


def test_ingress_counts_rst_ack_per_destination_by_source_port():
    recs = [rec(prot=TCP, tcp_flags=0x14, dstaddr=9, srcport=135),
            rec(prot=TCP, tcp_flags=0x04, dstaddr=9, srcport=135),
            rec(prot=TCP, tcp_flags=0x1C, dstaddr=9, srcport=135),
            rec(prot=TCP, tcp_flags=0x14, dstaddr=9, srcport=445),
            rec(prot=TCP, tcp_flags=0x02, srcaddr=9, dstport=135)]
    r = ranking(recs, ingress=True)
    assert r.table.pairs() == {(9, 135): (1, 1), (9, 445): (1, 1)}


def test_table_grows_from_the_smallest_size():
    recs = [rec(prot=TCP, tcp_flags=0x02, srcaddr=i % 50, dstport=i) for i in range(3000)]
    r = ranking(recs, cap=4)
    assert len(r.table) == 3000 and r.table.table.cap >= 4000
    rep = r.report(threshold=60, max_ports=0)
    assert [h.address for h in rep.hosts] == list(range(50))
    assert all(h.count == 60 and len(h.ports) == 60 for h in rep.hosts)


def _table(cap, key_len=6):
    """A (host, port) table of the one kind (core/table.py): its .t is the
    ftc_tab_t the C calls take."""
    return table.Table(table.PR, key_len, cap)


def _slot(tb, i):
    return tb.slot(i, "ftc_pr_slot_t")


def test_pair_slots_are_small():
    # 16 bytes of counters, the tag, a 4-byte host and a 2-byte port
    assert _table(4).stride == 32
    assert ffi.sizeof("ftc_pr_row_t") == 48


def test_add_says_full_with_done_and_resumes():
    rt, (b,) = batches([rec(prot=TCP, tcp_flags=2, srcaddr=i) for i in range(5)])
    tb = _table(4)                             # holds 3 entries (3/4 of 4)
    t, size = tb.t, len(b.buf)
    done = ffi.new("size_t *")
    f_src, f_dport = lib.FTC_F_SRCADDR, lib.FTC_F_DSTPORT
    st_ = lib.ftc_pr_add(t, rt, b.ptr, b.n, size, f_src, f_dport, 2, 0xFF, 1, done)
    assert st_ == lib.FTC_EFULL and done[0] == 3 and t.used == 3 and t.full
    tb.grow()
    assert tb.cap == 16 and len(tb) == 3 and not tb.t.full
    assert lib.ftc_pr_add(tb.t, rt, b.ptr, b.n, size, f_src, f_dport, 2, 0xFF, 1, done) \
        == lib.FTC_OK
    assert done[0] == 5 and len(tb) == 5
    assert sum(_slot(tb, i).flows for i in tb.indexes()) == 5


def test_c_entry_points_refuse_bad_arguments():
    rt, (b,) = batches([rec()])
    tb = _table(4)
    t, size = tb.t, len(b.buf)
    done = ffi.new("size_t *")
    F, P = lib.FTC_F_SRCADDR, lib.FTC_F_DSTPORT
    assert lib.ftc_pr_add(t, rt, b.ptr, 1, size, F, P, 2, 255, 1, done) == lib.FTC_OK
    done[0] = 0
    assert lib.ftc_pr_add(ffi.NULL, rt, b.ptr, 1, size, F, P, 2, 255, 1, done) == lib.FTC_EINVAL
    assert lib.ftc_pr_add(t, 99, b.ptr, 1, size, F, P, 2, 255, 1, done) == lib.FTC_EINVAL
    assert lib.ftc_pr_add(t, rt, b.ptr, 1, size, -1, P, 2, 255, 1, done) == lib.FTC_EINVAL
    # the key widths must be the table's: srcaddr, srcaddr is 8 bytes, not 6
    assert lib.ftc_pr_add(t, rt, b.ptr, 1, size, F, F, 2, 255, 1, done) == lib.FTC_EINVAL
    # the records must fit the buffer
    assert lib.ftc_pr_add(t, rt, b.ptr, 1, size - 1, F, P, 2, 255, 1, done) == lib.FTC_EINVAL
    done[0] = 2
    assert lib.ftc_pr_add(t, rt, b.ptr, 1, size, F, P, 2, 255, 1, done) == lib.FTC_EINVAL
    done[0] = 0
    assert lib.ftc_pr_add(t, rt, ffi.NULL, 0, 0, F, P, 2, 255, 1, done) == lib.FTC_OK
    t.cap = 3                                  # not a power of two
    assert lib.ftc_pr_add(t, rt, b.ptr, 1, size, F, P, 2, 255, 1, done) == lib.FTC_EINVAL
    t.cap = 4
    t.kind = table.AGG                         # a table of another kind
    assert lib.ftc_pr_add(t, rt, b.ptr, 1, size, F, P, 2, 255, 1, done) == lib.FTC_EINVAL
    t.kind = table.PR
    rt8, _ = batches([], "8.1")
    assert lib.ftc_pr_add(t, rt8, ffi.NULL, 0, 0, F, P, 2, 255, 1, done) == lib.FTC_EFIELD
    small = _table(4, 4)
    small.t.used = 1                            # rehash needs an empty target
    assert lib.ftc_tab_rehash(t, small.t) == lib.FTC_EINVAL
    n = ffi.new("size_t *")
    assert lib.ftc_pr_hosts(t, 1, small.t) == lib.FTC_EINVAL        # hosts not empty
    assert lib.ftc_pr_hosts(t, 1, ffi.NULL) == lib.FTC_EINVAL
    assert lib.ftc_pr_hosts(t, 1, _table(4, 6).t) == lib.FTC_EINVAL  # not a host key
    assert lib.ftc_pr_rank_hosts(small.t, 1, ffi.NULL, ffi.NULL, 0) == lib.FTC_EINVAL
    hosts = _table(4, 4)
    assert lib.ftc_pr_ports(t, hosts.t, ffi.NULL, 1, 0, ffi.NULL, 0, ffi.NULL, ffi.NULL,
                            ffi.NULL, ffi.NULL, 0, n) == lib.FTC_EINVAL
    assert lib.ftc_pr_ports(t, hosts.t, ffi.NULL, 0, 0, ffi.NULL, 0, ffi.NULL, ffi.NULL,
                            ffi.NULL, ffi.NULL, 0, n) == lib.FTC_OK and n[0] == 0


def test_report_calls_say_full_and_resume():
    recs = [rec(prot=TCP, tcp_flags=2 if p % 2 else 0x12, srcaddr=p % 4, dstport=p)
            for p in range(12)]
    r = ranking(recs)
    t = r.table.table.t
    hosts = _table(4, 4)                       # 4 hosts, room for 3
    assert lib.ftc_pr_hosts(t, 0, hosts.t) == lib.FTC_EFULL and hosts.t.full
    hosts = _table(4, 4)                       # the 2 with SYN-only flows fit
    assert lib.ftc_pr_hosts(t, 1, hosts.t) == lib.FTC_OK
    hosts = _table(8, 4)
    assert lib.ftc_pr_hosts(t, 1, hosts.t) == lib.FTC_OK and len(hosts) == 2   # hosts 1, 3
    all_hosts = _table(8, 4)
    assert lib.ftc_pr_hosts(t, 0, all_hosts.t) == lib.FTC_OK and len(all_hosts) == 4
    idx, scratch = ffi.new("uint32_t[]", 2), ffi.new("uint32_t[]", 2)
    assert lib.ftc_pr_rank_hosts(hosts.t, 1, idx, scratch, 1) == lib.FTC_EINVAL   # room
    assert lib.ftc_pr_rank_hosts(hosts.t, 1, idx, scratch, 2) == 2
    assert [hosts.key(idx[i]) for i in range(2)] == [bytes([0, 0, 0, 1]), bytes([0, 0, 0, 3])]
    assert [_slot(hosts, idx[i]).hits for i in range(2)] == [3, 3]      # tie: address
    assert [_slot(hosts, idx[i]).flows for i in range(2)] == [3, 3]
    assert lib.ftc_pr_rank_hosts(hosts.t, 4, idx, scratch, 2) == 0
    assert lib.ftc_pr_rank_hosts(hosts.t, 1, idx, scratch, 2) == 2
    rank_of = ffi.new("uint32_t[]", 8)
    rows, tmp = ffi.new("ftc_pr_row_t[]", 6), ffi.new("ftc_pr_row_t[]", 6)
    order, oscr = ffi.new("uint32_t[]", 6), ffi.new("uint32_t[]", 6)
    n = ffi.new("size_t *")
    assert lib.ftc_pr_ports(t, hosts.t, idx, 2, 0, rank_of, 7, rows, tmp, order, oscr, 6, n) \
        == lib.FTC_EINVAL                      # rank_of smaller than the host table
    assert lib.ftc_pr_ports(t, hosts.t, idx, 2, 0, rank_of, 8, rows, tmp, order, oscr, 5, n) \
        == lib.FTC_EFULL
    assert n[0] == 6
    assert lib.ftc_pr_ports(t, hosts.t, idx, 2, 0, rank_of, 8, rows, tmp, order, oscr, 6, n) \
        == lib.FTC_OK
    got = [(rows[i].host[3], rows[i].port, rows[i].host_rank, rows[i].port_rank, rows[i].host_hits)
           for i in range(n[0])]
    assert got == [(1, 1, 1, 1, 3), (1, 5, 1, 2, 3), (1, 9, 1, 3, 3),
                   (3, 3, 2, 1, 3), (3, 7, 2, 2, 3), (3, 11, 2, 3, 3)]
    assert lib.ftc_pr_ports(t, hosts.t, idx, 1, 2, rank_of, 8, rows, tmp, order, oscr, 6, n) \
        == lib.FTC_OK
    assert [(rows[i].host[3], rows[i].port) for i in range(n[0])] == [(1, 1), (1, 5)]


# ---- the report ------------------------------------------------------------

def test_empty_input_gives_an_empty_report():
    r = ranking([])
    assert r.report(1) == portrank.Report([], 0)
    assert list(portrank.text_lines(r.report(1))) == []


def test_threshold_edges_and_ties():
    recs = []
    for host, n in ((10, 5), (11, 4), (12, 5), (9, 5)):
        recs += [rec(prot=TCP, tcp_flags=2, srcaddr=host, dstport=80)] * n
    rep = ranking(recs).report(threshold=5)
    assert [(h.address, h.count) for h in rep.hosts] == [(9, 5), (10, 5), (12, 5)]
    rep = ranking(recs).report(threshold=4)
    assert [h.address for h in rep.hosts] == [9, 10, 12, 11] and rep.suspects == 4
    assert ranking(recs).report(threshold=6) == portrank.Report([], 0)


def test_ports_rank_by_flows_then_port_and_limits():
    recs = [rec(prot=TCP, tcp_flags=2, srcaddr=1, dstport=p) for p in (445, 80, 80, 135, 135, 22)]
    recs += [rec(prot=UDP, srcaddr=1, dstport=53)] * 3
    recs += [rec(prot=TCP, tcp_flags=2, srcaddr=2, dstport=80)] * 7
    r = ranking(recs)
    rep = r.report(threshold=1, max_ports=0)
    assert rep.hosts[0] == portrank.Host(2, 7, [(80, 7)])
    assert rep.hosts[1] == portrank.Host(1, 6, [(53, 3), (80, 2), (135, 2), (22, 1), (445, 1)])
    rep = r.report(threshold=1, max_hosts=1, max_ports=2)
    assert rep.hosts == [portrank.Host(2, 7, [(80, 7)])] and rep.suspects == 2
    rep = r.report(threshold=1, max_hosts=5, max_ports=2)
    assert rep.hosts[1].ports == [(53, 3), (80, 2)]
    rep = ranking(recs, matching_only=True).report(threshold=1, max_ports=0)
    assert rep.hosts[1].ports == [(80, 2), (135, 2), (22, 1), (445, 1)]


def test_text_layout_and_names():
    rep = portrank.Report([portrank.Host(0x3DEC7BE1, 160, [(1025, 84), (80, 76)]),
                           portrank.Host(0x0A000001, 30, [(31337, 30)])], 2)
    assert list(portrank.text_lines(rep)) == [
        "potential host1: 61.236.123.225", "-----",
        " 84 times probe on dstport 1025", " 76 times probe on dstport 80", "",
        "potential host2: 10.0.0.1", "-----", " 30 times probe on dstport 31337"]
    names = portrank.load_names()
    lines = list(portrank.text_lines(rep, names))
    assert lines[2] == " 84 times probe on dstport 1025 (%s)" % names.name(1025)
    assert lines[3] == " 76 times probe on dstport 80 (%s)" % names.name(80)
    assert list(portrank.tsv_rows(rep)) == [("61.236.123.225", 160, 1025, 84),
                                            ("61.236.123.225", 160, 80, 76),
                                            ("10.0.0.1", 30, 31337, 30)]
    assert portrank.tsv_columns(portrank.mode()) == ["host", "syn_only", "dstport", "flows"]
    assert portrank.tsv_columns(portrank.mode(ingress=True), True) == \
        ["host", "rst_ack", "srcport", "flows", "name"]
    no_name = portrank.Report([portrank.Host(1, 1, [(4, 1)])], 1)
    assert list(portrank.text_lines(no_name, names))[-1] == " 1 times probe on dstport 4"
    assert list(portrank.tsv_rows(no_name, names)) == [("0.0.0.1", 1, 4, 1, "")]


def test_worm_port_file_covers_the_articles_ports():
    names = portrank.load_names()
    for port in (135, 137, 138, 139, 445, 1025, 1433, 1434, 2745, 4444, 5554, 9996, 6129,
                 12345, 27374, 80, 25, 69, 3389, 1080, 3128, 8080, 10080, 17300, 31337):
        assert names.name(port), port
    assert all("MyDoom" in names.name(p) for p in range(3127, 3199))
    assert "Slammer" in names.name(1434) and "Sasser" in names.name(5554)
    assert "Sasser" in names.name(9996) and "Bagle" in names.name(2745)
    # flow-tools syntax: one `<number> <name>` per line, names without blanks
    with open(portrank.WORM_PORTS, encoding="ascii") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                number, name = line.split()
                assert number.isdigit() and 0 <= int(number) <= 65535


# ---- property: the C counting equals Python ----------------------------------

def model(recs, ingress, matching_only, threshold, max_hosts, max_ports):
    """The articles' three steps, written plainly."""
    value = 0x14 if ingress else 0x02
    hits = collections.Counter()
    ports = collections.defaultdict(collections.Counter)
    for r in recs:
        match = r["prot"] == TCP and r["tcp_flags"] == value
        host = r["dstaddr"] if ingress else r["srcaddr"]
        port = r["srcport"] if ingress else r["dstport"]
        if match:
            hits[host] += 1
        if match or not (ingress or matching_only):
            ports[host][port] += 1
    suspects = sorted((h for h in hits if hits[h] >= threshold), key=lambda h: (-hits[h], h))
    out = []
    for h in suspects[:max_hosts or None]:
        ranked = sorted(ports[h].items(), key=lambda pf: (-pf[1], pf[0]))
        out.append(portrank.Host(h, hits[h], ranked[:max_ports or None]))
    return portrank.Report(out, len(suspects))


@given(st.sampled_from(FLAG_VERSIONS).flatmap(
           lambda v: st.tuples(st.just(v), st.lists(full_records(v), max_size=150))),
       st.booleans(), st.booleans(), st.integers(1, 6), st.integers(0, 3), st.integers(0, 3),
       fst.byte_orders(), st.integers(1, 40))
def test_ranking_equals_python(vrecs, ingress, matching_only, threshold, max_hosts,
                               max_ports, order, per_batch):
    version, recs = vrecs
    rt, bs = batches(recs, version, order, per_batch=per_batch)
    m = portrank.mode(ingress=ingress, matching_only=matching_only)
    got = portrank.rank(bs, rt, m, threshold, max_hosts, max_ports)
    assert got == model(recs, ingress, matching_only, threshold, max_hosts, max_ports)


pair_records = st.fixed_dictionaries({
    "prot": st.sampled_from((TCP, TCP, UDP)),
    "tcp_flags": st.sampled_from((0x02, 0x12, 0x14)),
    "srcaddr": st.sampled_from((1, 0x0A000001, 0xFFFFFFFF)),
    "dstaddr": st.sampled_from((2, 0xC0000201)),
    "srcport": st.sampled_from((0, 80, 65535)), "dstport": st.sampled_from((25, 445)),
    "input": st.sampled_from((0, 3, 65535)), "output": st.sampled_from((1, 7)),
})


@given(st.lists(pair_records, max_size=60),
       st.sampled_from((("srcaddr", "dstport"), ("dstaddr", "srcport"), ("input", "dstaddr"),
                        ("input", "output"), ("srcaddr", "dstaddr"))),
       st.sampled_from((0, 1)), st.sampled_from((1 << 2, 1 << 12)))
def test_pair_counts_of_any_fields_equal_python(recs, fields, all_ports, cap):
    """The (host, port) kernel equals a plain count for the usual key (a
    32-bit address and a 16-bit port: its own code path) and for keys of
    other widths (the generic one), through table growth."""
    from pyflowtools.core.portrank import PairCounts
    host, port = fields
    rt, bs = batches([rec(**r) for r in recs])
    pc = PairCounts(rt, host, port, 0x02, 0xFF, all_ports, cap=cap)
    for b in bs:
        pc.add(b)
    want = collections.Counter()
    hits = collections.Counter()
    for r in recs:
        match = r["prot"] == TCP and r["tcp_flags"] == 0x02
        if match or all_ports:
            want[(r[host], r[port])] += 1
            hits[(r[host], r[port])] += match
    assert pc.pairs() == {k: (want[k], hits[k]) for k in want}


# ---- v1006: 128-bit hosts ------------------------------------------------------

#: hosts of the v1006 properties: IPv4-mapped ones, IPv6 ones sharing the
#: last word with them (only the whole 128 bits tell them apart), ::, ::1
#: and the top address (every key byte set)
HOSTS6 = tuple(int(ipaddress.ip_address(a)) for a in (
    "::ffff:10.0.0.1", "::ffff:0.0.0.1", "2001:db8::a00:1", "2001:db8::1", "::1", "::",
    "fe80::1:0:0:1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))


def v6_records():
    """v1006 records whose addresses come from HOSTS6 and whose flags,
    protocols and ports from the small pools of flag_records."""
    return st.tuples(fst.records(oracle.V1006), flag_records,
                     st.sampled_from(HOSTS6), st.sampled_from(HOSTS6)).map(
        lambda t: oracle.with_addr6(oracle.with_addr6(dict(t[0], **t[1]), "srcaddr", t[2]),
                                    "dstaddr", t[3]))


def model6(recs, *args):
    """model() over the 128-bit addresses (ipaddress ints)."""
    plain = [dict(r, srcaddr=oracle.addr6(r, "srcaddr"), dstaddr=oracle.addr6(r, "dstaddr"))
             for r in recs]
    rep = model(plain, *args)
    return portrank.Report(rep.hosts, rep.suspects, True)


@given(st.lists(v6_records(), max_size=150), st.booleans(), st.booleans(),
       st.integers(1, 6), st.integers(0, 3), st.integers(0, 3), fst.byte_orders(),
       st.integers(1, 40), st.sampled_from((4, 1 << 12)))
def test_v1006_ranking_equals_python(recs, ingress, matching_only, threshold, max_hosts,
                                     max_ports, order, per_batch, cap):
    rt, bs = batches(recs, oracle.V1006, order, per_batch=per_batch)
    m = portrank.mode(ingress=ingress, matching_only=matching_only)
    r = portrank.Ranking(rt, m, cap=cap)
    for b in bs:
        r.add(b)
    assert r.ipv6 and r.table.host_len == 16 and r.table.table.key_len == 18
    got = r.report(threshold, max_hosts, max_ports)
    assert got == model6(recs, ingress, matching_only, threshold, max_hosts, max_ports)


@given(st.lists(v6_records(), max_size=80), st.sampled_from((4, 1 << 12)), st.booleans())
def test_v1006_pair_table_equals_python(recs, cap, all_ports):
    """The (128-bit host, port) pairs through growth from the smallest
    table: the key is the address's 16 bytes then the port."""
    from pyflowtools.core.portrank import PairCounts
    rt, bs = batches(recs, oracle.V1006, per_batch=7)
    pc = PairCounts(rt, "srcaddr6_0", "dstport", 0x02, 0xFF, all_ports, cap=cap)
    for b in bs:
        pc.add(b)
    want, hits = collections.Counter(), collections.Counter()
    for r in recs:
        match = r["prot"] == TCP and r["tcp_flags"] == 0x02
        if match or all_ports:
            k = (oracle.addr6(r, "srcaddr"), r["dstport"])
            want[k] += 1
            hits[k] += match
    assert pc.pairs() == {k: (want[k], hits[k]) for k in want}


def test_v1006_host_key_refusals():
    rt6, (b,) = batches([rec(oracle.V1006)], oracle.V1006)
    rt5, _ = batches([], "5")
    done = ffi.new("size_t *")
    t18 = _table(4, 18)
    S6, P = lib.FTC_F_SRCADDR6_0, lib.FTC_F_DSTPORT
    assert lib.ftc_pr_add(t18.t, rt6, b.ptr, 1, len(b.buf), S6, P, 2, 255, 1, done) == lib.FTC_OK
    done[0] = 0
    # a 6-byte table for a 128-bit host, a v5 record type without the words
    assert lib.ftc_pr_add(_table(4).t, rt6, b.ptr, 1, len(b.buf), S6, P, 2, 255, 1, done) \
        == lib.FTC_EINVAL
    assert lib.ftc_pr_add(t18.t, rt5, ffi.NULL, 0, 0, S6, P, 2, 255, 1, done) == lib.FTC_EFIELD
    # the second word alone is not a host of its own
    assert lib.ftc_pr_add(t18.t, rt6, b.ptr, 1, len(b.buf), lib.FTC_F_SRCADDR6_1, P, 2, 255,
                          1, done) == lib.FTC_EINVAL
    # the host table of a 128-bit host is 16 bytes; 17 is no host key
    assert lib.ftc_pr_hosts(t18.t, 1, _table(4, 17).t) == lib.FTC_EINVAL
    assert lib.ftc_pr_hosts(t18.t, 1, _table(4, 16).t) == lib.FTC_OK


def test_v1006_text_prints_rfc5952_and_dotted_quads():
    v6 = int(ipaddress.ip_address("2001:db8::a00:1"))
    rep = portrank.Report([portrank.Host(v6, 3, [(445, 3)]),
                           portrank.Host(oracle.mapped(0x0A000001), 2, [(80, 2)])], 2, True)
    assert list(portrank.text_lines(rep)) == [
        "potential host1: 2001:db8::a00:1", "-----", " 3 times probe on dstport 445", "",
        "potential host2: 10.0.0.1", "-----", " 2 times probe on dstport 80"]
    assert list(portrank.tsv_rows(rep)) == [("2001:db8::a00:1", 3, 445, 3),
                                            ("10.0.0.1", 2, 80, 2)]
