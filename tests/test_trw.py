"""flow-trw's C kernel (csrc/trw.c through core/trw.py and report/trw.py):
the walk against a plain Python TRW (tests/trw_oracle.py) over random
first-contact sequences in any file order, outcomes, first contacts,
caps and their counters, batch sizes, the parameters' arithmetic, the
records kept for -F, and refusals; the same on v1006 records with 128-bit
hosts (IPv6 and IPv4-mapped, addresses built with Python's ipaddress),
where IPv4 flows walk exactly as in v5 records."""
import ipaddress

import pytest
from hypothesis import assume, given, strategies as st

import oracle
import trw_oracle
from pyflowtools.core import trw as ctrw
from pyflowtools.core.batch import Batch
from pyflowtools.core.errors import FlowToolsError, FormatError, UsageError
from pyflowtools.core.native import lib
from pyflowtools.core.record import pack
from pyflowtools.report import trw

RT, RT6 = lib.FTC_RT_V5, lib.FTC_RT_V1006
T0, UP = 1100000000, 3600000
SRC0, DST0 = 0x0A000001, 0xC0A80000
TCP, UDP, ICMP, ICMP6 = 6, 17, 1, 58


def rec(src, dst, sp, dp, prot, flags, start, dur=0):
    return oracle.record(unix_secs=T0, unix_nsecs=0, sysUpTime=UP, First=start,
                         Last=start + dur, srcaddr=src, dstaddr=dst, srcport=sp, dstport=dp,
                         prot=prot, tcp_flags=flags, dPkts=1, dOctets=40)


def rec6(src, dst, sp, dp, prot, flags, start, dur=0):
    """A v1006 record: src and dst 128-bit ints."""
    r = oracle.record("1006", unix_secs=T0, unix_nsecs=0, sysUpTime=UP, First=start,
                      Last=start + dur, srcport=sp, dstport=dp, prot=prot, tcp_flags=flags,
                      dPkts=1, dOctets=40)
    return oracle.with_addr6(oracle.with_addr6(r, "srcaddr", src), "dstaddr", dst)


def batches(recs, size=None):
    size = size or max(len(recs), 1)
    rt = RT6 if recs and "srcaddr6_0" in recs[0] else RT
    for k in range(0, len(recs), size):
        part = recs[k:k + size]
        data = pack(rt, part)
        b = Batch(rt, len(data) // len(part), len(part))
        b.buf[:len(data)] = data
        b.n = len(part)
        yield b


def walk(recs, params=trw.DEFAULT, local=None, min_failures=0, size=None,
         contacts=1 << 20, per_source=1 << 20, six=False, local6=None):
    # local: IPv4 (net, len) prefixes, given to C in their mapped 128-bit form
    # as zones.parse_inside makes them; local6: 128-bit ones, given as they are
    mapped = None if local is None else [((0xFFFF << 32) | n, ln + 96) for n, ln in local]
    if local6 is not None:
        mapped = (mapped or []) + local6
    w = ctrw.Walk(trw.local_ranges(mapped), params.f_success, params.f_failure, params.eta1,
                  params.eta0, contacts, per_source, contacts, six=six)
    for b in batches(recs, size):
        w.add(b)
    n = w.finish(min_failures)
    return w, n


def compare(w, expect):
    got = {s.address: s for s in w.sources_all()}
    assert set(got) == set(expect)
    for a, e in expect.items():
        s = got[a]
        assert (s.contacts, s.failures, s.successes, s.benign, s.flagged) == \
            (e.contacts, e.failures, e.successes, e.benign, e.flagged), hex(a)
        if e.flagged:
            assert (s.flagged_at, s.to_flag, s.fail_to_flag) == \
                (e.flagged_at, e.to_flag, e.fail_to_flag)


# ---- random first-contact sequences ----------------------------------------

KINDS = ("tcp_ack", "tcp_syn", "tcp_synack_answer", "tcp_rst_answer", "udp", "udp_answer",
         "echo", "echo_answer", "late_answer")


@st.composite
def scenarios(draw):
    """Records of a few sources' attempts (each kind of outcome), their
    answers, repeated destinations (only the earliest attempt counts), in
    any file order."""
    recs, port = [], [1024]

    def eport():
        port[0] += 1
        return port[0]
    for s in range(draw(st.integers(1, 4))):
        src = SRC0 + s
        for _ in range(draw(st.integers(0, 24))):
            dst = DST0 + draw(st.integers(0, 30))
            t = draw(st.integers(0, 50000))
            kind = draw(st.sampled_from(KINDS))
            sp = eport()
            if kind == "tcp_ack":
                recs.append(rec(src, dst, sp, 80, TCP, 0x1B, t, 100))
            elif kind.startswith("tcp"):
                recs.append(rec(src, dst, sp, 80, TCP, 0x02, t, 100))
                if kind == "tcp_synack_answer":
                    recs.append(rec(dst, src, 80, sp, TCP, 0x12, t, 100))
                elif kind == "tcp_rst_answer":
                    recs.append(rec(dst, src, 80, sp, TCP, 0x14, t, 0))
            elif kind.startswith("udp"):
                recs.append(rec(src, dst, sp, 161, UDP, 0, t, 10))
                if kind == "udp_answer":
                    recs.append(rec(dst, src, 161, sp, UDP, 0, t + 5, 10))
            elif kind.startswith("echo"):
                recs.append(rec(src, dst, 0, 2048, ICMP, 0, t, 10))
                if kind == "echo_answer":
                    recs.append(rec(dst, src, 0, 0, ICMP, 0, t, 10))
            else:       # an answer too late: no overlap, a failure
                recs.append(rec(src, dst, sp, 53, UDP, 0, t, 10))
                recs.append(rec(dst, src, 53, sp, UDP, 0, t + 11, 10))
    order = draw(st.permutations(range(len(recs))))
    return [recs[i] for i in order]


@st.composite
def params(draw):
    theta0 = draw(st.floats(0.3, 0.95))
    theta1 = draw(st.floats(0.02, 0.9))
    alpha = draw(st.floats(0.001, 0.2))
    beta = draw(st.floats(0.6, 0.999))
    assume(theta1 < theta0 and alpha < beta)
    return trw.Params(theta0, theta1, alpha, beta)


@given(scenarios(), params(), st.integers(1, 7))
def test_walk_equals_python_trw(recs, p, size):
    """Every source's first contacts, outcomes, benign decisions, flag,
    flag time and position equal the plain walk, whatever the file order,
    the batch size and the parameters."""
    w, n = walk(recs, p, size=size)
    expect = trw_oracle.walk(recs, None, *p)
    compare(w, expect)
    assert n == sum(e.flagged for e in expect.values())


# ---- v1006: 128-bit hosts ---------------------------------------------------

#: the IPv6 homes of renamed hosts: sources under SRC6, destinations under
#: DST6, keeping only the address's last byte -- so a source and a
#: destination share their last word (srcaddr/dstaddr) and differ only in
#: the upper words, which the 128-bit keys must tell apart
SRC6 = int(ipaddress.IPv6Address("2001:db8:1::"))
DST6 = int(ipaddress.IPv6Address("2001:db8:2::"))
ICMP_TO6 = {0x0800: 0x8000, 0: 0x8100, 0x0301: 0x0103}     # echo, echo reply, host unreachable


def mapped(a):
    return int(ipaddress.IPv6Address("::ffff:%s" % ipaddress.IPv4Address(a)))


def to_v1006(recs, six):
    """The v5 records as v1006 ones: each address in `six` moved to IPv6
    (1:1), every other one IPv4-mapped; an ICMP flow with an IPv6 end
    becomes ICMPv6 (echo 8 -> 128, reply 0 -> 129, unreachable 3 -> 1)."""
    def rename(a):
        if a not in six:
            return mapped(a)
        return (SRC6 if a >> 24 == SRC0 >> 24 else DST6) | (a & 0xFF)
    out = []
    for r in recs:
        src, dst = rename(r["srcaddr"]), rename(r["dstaddr"])
        prot, dp = r["prot"], r["dstport"]
        if prot == ICMP and (src >> 32 != 0xFFFF or dst >> 32 != 0xFFFF):
            prot, dp = ICMP6, ICMP_TO6[dp]
        out.append(rec6(src, dst, r["srcport"], dp, prot, r["tcp_flags"], r["First"],
                        r["Last"] - r["First"]))
    return out, rename


@st.composite
def scenarios6(draw):
    """A scenario of v5 records, its v1006 form with some hosts renamed to
    IPv6, and the renaming."""
    recs = draw(scenarios())
    addrs = sorted({r[k] for r in recs for k in ("srcaddr", "dstaddr")})
    six = {a for a in addrs if draw(st.booleans())}
    recs6, rename = to_v1006(recs, six)
    return recs, recs6, rename


@given(scenarios6(), params(), st.integers(1, 7),
       st.sampled_from([None, "src6", "mapped", "both"]))
def test_walk_on_128_bit_hosts_equals_python_trw(sc, p, size, local):
    """v1006: every source's walk equals the plain walk over 128-bit
    addresses (ICMPv6 echo and its reply as ICMP's), whatever the order,
    batch size, parameters and local set (IPv6 and mapped prefixes); with
    no local set it is also the v5 walk of the same flows, renamed."""
    recs4, recs6, rename = sc
    local6 = {None: None, "src6": [(SRC6, 96)], "mapped": [(mapped(SRC0 & 0xFF000000), 104)],
              "both": [(SRC6, 96), (mapped(SRC0 & 0xFF000000), 104)]}[local]
    w, n = walk(recs6, p, size=size, six=True, local6=local6)
    expect = trw_oracle.walk(recs6, local6, *p)
    compare(w, expect)
    assert n == sum(e.flagged for e in expect.values())
    if local is None:
        assert expect == {rename(a): e for a, e in trw_oracle.walk(recs4, None, *p).items()}


@given(scenarios(), params())
def test_ipv4_flows_in_v1006_walk_as_in_v5(recs, p):
    """flow-cat -V 1006 of IPv4 flows (every address mapped): the same
    sources, walks, scanners and ports as the v5 records."""
    w4, n4 = walk(recs, p)
    w6, n6 = walk(to_v1006(recs, set())[0], p, six=True)
    assert n6 == n4
    assert sorted((mapped(s.address),) + tuple(s[1:]) for s in w4.sources_all()) == \
        sorted(tuple(s) for s in w6.sources_all())
    assert [(mapped(s.address), ports) for s, ports in w4.scanners()] == \
        [(s.address, ports) for s, ports in w6.scanners()]


def test_icmpv6_echo_counts_and_unreachable_fails():
    a, b = SRC6 | 1, DST6 | 1          # the same last word: two hosts all the same
    ok = [rec6(a, b, 0, 0x8000, ICMP6, 0, 0, 10), rec6(b, a, 0, 0x8100, ICMP6, 0, 0, 10)]
    unreach = [rec6(a, b, 0, 0x8000, ICMP6, 0, 0, 10), rec6(b, a, 0, 0x0103, ICMP6, 0, 0, 10)]
    ipv4_types = [rec6(a, b, 0, 0x0800, ICMP6, 0, 0, 10)]    # type 8 is no ICMPv6 echo
    for recs, want in ((ok, (1, 0)), (unreach, (0, 1))):
        s = walk(recs, six=True)[0].source(a)
        assert (s.successes, s.failures) == want
        assert walk(recs, six=True)[0].source(b) is None
    assert walk(ipv4_types, six=True)[0].source(a) is None
    # four unanswered ICMPv6 echoes flag, as four ICMP ones do
    scan = [rec6(a, DST6 | k, 0, 0x8000, ICMP6, 0, 1000 * k) for k in range(4)]
    w, n = walk(scan, six=True)
    [(s, ports)] = w.scanners()
    assert n == 1 and s.address == a and ports == [ctrw.Port(ICMP6, 0x8000, 4, 4)]
    assert trw.port_text(ICMP6, 0x8000) == "icmp6/128.0"


def test_keep_on_v1006_compacts_to_the_128_bit_scanners():
    a, other = SRC6 | 1, mapped(SRC0 | 1)          # same last word
    scan = [rec6(a, DST6 | k, 2000 + k, 22, TCP, 2, k) for k in range(5)]
    calm = [rec6(other, DST6 | 1, 1, 80, TCP, 0x1B, 0, 10)]
    w, n = walk(scan + calm, six=True)
    b = next(batches(calm + scan))
    w.keep(b)
    assert n == 1 and b.n == 5
    assert {(r.srcaddr6_0, r.srcaddr) for r in b.records()} == {(0x20010DB8, 1)}


@given(scenarios(), params())
def test_skipping_hopeless_sources_changes_no_flag(recs, p):
    """Sources with fewer failures than Params.min_failures() are not
    walked: the flagged set stays the same."""
    w, _ = walk(recs, p, min_failures=p.min_failures())
    flagged = {s.address for s in w.sources_all() if s.flagged}
    expect = trw_oracle.walk(recs, None, *p)
    assert flagged == {a for a, e in expect.items() if e.flagged}


def test_four_failures_flag_three_do_not():
    recs3 = [rec(SRC0, DST0 + k, 2000 + k, 22, TCP, 0x02, 1000 * k) for k in range(3)]
    w, n = walk(recs3)
    assert n == 0 and not w.source(SRC0).flagged
    recs4 = recs3 + [rec(SRC0, DST0 + 3, 2003, 22, TCP, 0x02, 3000)]
    w, n = walk(recs4)
    s = w.source(SRC0)
    assert n == 1 and s.flagged and s.to_flag == 4 and s.fail_to_flag == 4
    assert s.flagged_at == T0 * 1000 - UP + 3000
    assert s.peak == pytest.approx(256.0)


def test_first_contact_is_the_earliest_attempt_not_the_first_record():
    """A later record with an earlier start replaces the first contact:
    here the answered attempt comes first in time, so no failure."""
    recs = [rec(SRC0, DST0, 3000, 80, TCP, 0x02, 5000),         # later, unanswered
            rec(SRC0, DST0, 3001, 80, TCP, 0x1B, 1000, 50)]     # earlier, completed
    w, _ = walk(recs)
    s = w.source(SRC0)
    assert (s.contacts, s.failures, s.successes) == (1, 0, 1)


def test_ties_in_start_time_go_by_file_order():
    recs = [rec(SRC0, DST0, 3000, 80, TCP, 0x02, 1000),
            rec(SRC0, DST0, 3001, 80, TCP, 0x1B, 1000)]
    s = walk(recs)[0].source(SRC0)
    assert (s.failures, s.successes) == (1, 0)
    s = walk(recs[::-1])[0].source(SRC0)
    assert (s.failures, s.successes) == (0, 1)


def test_outcomes_of_each_protocol():
    a, b = SRC0, DST0
    cases = [
        ([rec(a, b, 1, 80, TCP, 0x02, 0, 10), rec(b, a, 80, 1, TCP, 0x12, 0, 10)], True),
        ([rec(a, b, 1, 80, TCP, 0x02, 0, 10), rec(b, a, 80, 1, TCP, 0x14, 0, 0)], False),
        ([rec(a, b, 1, 80, TCP, 0x02, 0, 10), rec(b, a, 80, 2, TCP, 0x12, 0, 10)], False),
        ([rec(a, b, 1, 80, TCP, 0x12, 0, 10)], True),
        ([rec(a, b, 1, 53, UDP, 0, 0, 10), rec(b, a, 53, 1, UDP, 0, 10, 5)], True),
        ([rec(a, b, 1, 53, UDP, 0, 0, 10), rec(b, a, 53, 1, UDP, 0, 11, 5)], False),
        ([rec(a, b, 0, 2048, ICMP, 0, 0, 10), rec(b, a, 0, 0, ICMP, 0, 0, 10)], True),
        ([rec(a, b, 0, 2048, ICMP, 0, 0, 10), rec(b, a, 0, 769, ICMP, 0, 0, 10)], False),
        ([rec(b, a, 0, 769, ICMP, 0, 0, 10), rec(a, b, 0, 2048, ICMP, 0, 0, 10)], False),
    ]
    for recs, ok in cases:
        s = walk(recs)[0].source(a)
        assert (s.successes, s.failures) == ((1, 0) if ok else (0, 1)), recs


def test_what_is_never_an_attempt():
    """TCP without SYN, ICMP errors and echo replies, other protocols."""
    recs = [rec(SRC0, DST0, 1, 80, TCP, 0x14, 0), rec(SRC0, DST0 + 1, 1, 80, TCP, 0x18, 0),
            rec(SRC0, DST0 + 2, 0, 771, ICMP, 0, 0), rec(SRC0, DST0 + 3, 0, 0, ICMP, 0, 0),
            rec(SRC0, DST0 + 4, 0, 0, 47, 0, 0)]
    w, _ = walk(recs)
    assert w.source(SRC0) is None
    assert w.counters[:2] == (5, 0)


def test_local_set():
    """-L: a local source's contacts anywhere count; a remote source's only
    towards local addresses; flows with no local end are ignored."""
    local = [(0x0A000000, 8)]
    inside, out1, out2 = 0x0A000001, 0xC0000001, 0xC0000002
    recs = [rec(inside, out1, 1, 22, TCP, 2, 0), rec(out1, inside, 1, 22, TCP, 2, 0),
            rec(out1, out2, 1, 22, TCP, 2, 0), rec(inside, inside + 1, 1, 22, TCP, 2, 0)]
    w, _ = walk(recs, local=local)
    assert w.source(inside).contacts == 2 and w.source(inside).local
    assert w.source(out1).contacts == 1 and not w.source(out1).local
    assert trw_oracle.walk(recs, local)[out1].contacts == 1


@pytest.mark.parametrize("cap", [1, 2, 5])
def test_per_source_cap_counts_what_it_drops(cap):
    recs = [rec(SRC0, DST0 + k, 2000 + k, 22, TCP, 2, k) for k in range(6)]
    w, _ = walk(recs, per_source=cap)
    s = w.source(SRC0)
    assert (s.contacts, s.dropped) == (cap, 6 - cap)
    assert w.counters[2] == 6 - cap


def test_total_cap_counts_what_it_drops():
    recs = [rec(SRC0 + k, DST0, 2000 + k, 22, TCP, 2, k) for k in range(10)]
    w, _ = walk(recs, contacts=4)
    assert len(w.contacts) == 4 and w.counters[2] == 6
    assert len(w.replies) == 0 and w.counters[3] == 0


def test_tables_grow_past_their_first_size():
    """More first contacts than the first table holds: the kernel asks for
    growth mid-batch and takes every record once."""
    recs = [rec(SRC0 + k % 50, DST0 + k, 2000 + k % 999, 22, TCP, 2, k) for k in range(9000)]
    w, n = walk(recs, size=4096)
    assert len(w.contacts) == 9000 and w.counters[0] == 9000
    assert n == 50


def test_empty_and_single_batches():
    assert walk([])[1] == 0
    assert walk([rec(SRC0, DST0, 1, 22, TCP, 2, 0)])[0].source(SRC0).contacts == 1


def test_keep_compacts_to_the_scanners_flows():
    scan = [rec(SRC0, DST0 + k, 2000 + k, 22, TCP, 2, k) for k in range(5)]
    other = [rec(SRC0 + 1, DST0, 1, 80, TCP, 0x1B, 0, 10)]
    w, n = walk(scan + other)
    b = next(batches(other + scan))
    w.keep(b)
    assert n == 1 and b.n == 5
    assert {r.srcaddr for r in b.records()} == {SRC0}


def test_scanners_ports_rank_like_portrank():
    recs = ([rec(SRC0, DST0 + k, 2000 + k, 3306, TCP, 2, k) for k in range(6)]
            + [rec(SRC0, DST0 + 10 + k, 3000 + k, 161, UDP, 0, 10 + k) for k in range(2)]
            + [rec(SRC0, DST0 + 20, 4000, 80, TCP, 0x1B, 30, 5)])
    w, _ = walk(recs)
    [(s, ports)] = w.scanners()
    assert s.address == SRC0
    assert ports == [ctrw.Port(TCP, 3306, 6, 6), ctrw.Port(UDP, 161, 2, 2),
                     ctrw.Port(TCP, 80, 1, 0)]
    assert [p.port for p in w.scanners(max_ports=1)[0][1]] == [3306]


def test_v8_aggregations_and_mismatched_widths_are_refused():
    w = ctrw.Walk(None, 0.25, 4.0, 99.0, 0.0101, 10, 10, 10)
    with pytest.raises(FormatError):
        w.check_rectype(lib.FTC_RT_V8_1)
    with pytest.raises(FlowToolsError):         # v1006 records want 128-bit tables
        w.check_rectype(RT6)
    w6 = ctrw.Walk(None, 0.25, 4.0, 99.0, 0.0101, 10, 10, 10, six=True)
    w6.check_rectype(RT6)
    with pytest.raises(FlowToolsError):         # and only they take them
        w6.check_rectype(RT)
    walk6, n = trw.detect(iter(()), RT6)
    assert n == 0 and walk6.six


def test_params():
    p = trw.DEFAULT
    assert p.eta1 == pytest.approx(99.0) and p.eta0 == pytest.approx(0.010101, rel=1e-4)
    assert p.f_failure == pytest.approx(4.0) and p.f_success == pytest.approx(0.25)
    assert p.min_failures() == 3            # 4 failures flag; one below, for rounding
    with pytest.raises(UsageError):
        trw.Params(0.2, 0.8, 0.01, 0.99).check()
    with pytest.raises(UsageError):
        trw.Params(0.8, 0.2, 0.99, 0.01).check()
    for bad in ("0", "1", "-0.5", "x", "nan", "inf"):
        with pytest.raises(UsageError):
            trw.probability("alpha", "a")(bad)
    assert trw.probability("alpha", "a")("0.05") == 0.05
