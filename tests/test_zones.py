"""Special zones (pyflowtools.report.zones, csrc/zone.c): longest-prefix ranges,
the zone file, per-record classification and the alert lines.

The property tests compare the C classifier with a plain Python reading
of the rules (below, written from the man page), over random records of
streams built by tests/oracle.py."""
import functools
import io
import ipaddress

import pytest
from hypothesis import assume, event, given, strategies as st

import oracle
import strategies as fst
from pyflowtools.core import zone as zone_c
from pyflowtools.io import stream
from pyflowtools.report import zones
from pyflowtools.util import ipv6
from pyflowtools.core.native import ffi, lib
from pyflowtools.core.errors import FormatError, InternalError

TCP, UDP, ICMP = 6, 17, 1
ACK, PSH, RST, SYN = 0x10, 0x08, 0x04, 0x02
U32 = 0xFFFFFFFF
U128 = (1 << 128) - 1


ip = oracle.ipv4
M = oracle.mapped          # the C side holds IPv4 addresses and prefixes mapped


def mask(length):
    return (U32 << (32 - length)) & U32 if length else 0


def last(net, length):
    return net | (~mask(length) & U32)


def mask128(length):
    return (U128 << (128 - length)) & U128 if length else 0


def v4pfx(prefixes):
    """IPv4 (net, len, value) prefixes as the 128-bit ones C takes."""
    return [(M(net), length + 96, value) for net, length, value in prefixes]


# ---- plain Python versions of the rules -----------------------------------

def py_lpm(prefixes, addr):
    """Value of the longest 128-bit prefix holding addr, or -1 (ipaddress
    decides membership)."""
    best = None
    a = ipaddress.IPv6Address(addr)
    for net, length, value in prefixes:
        if a in _network(net, length) and (best is None or length > best[0]):
            best = (length, value)
    return -1 if best is None else best[1]


@functools.lru_cache(maxsize=4096)
def _network(net, length):
    return ipaddress.IPv6Network((net, length))


def addr_of(r, name):
    """A record's 128-bit address: v1006 words, or an IPv4 field mapped."""
    return oracle.addr6(r, name) if "srcaddr6_0" in r else M(r[name])


def py_allowed(services, prot, port):
    return any(p == prot and lo <= port <= hi for p, lo, hi in services)


def py_alerts(recs, table, inside):
    """[(index, direction, level, server, peer)] in record order, ingress
    before egress for one record."""
    pfx = [(z.net, z.length, i) for i, z in enumerate(table)]
    ins = [(n, ln, 0) for n, ln in inside]
    out = []
    for i, r in enumerate(recs):
        prot, fl = r["prot"], r["tcp_flags"]
        if prot not in (TCP, UDP):
            continue
        src, dst = addr_of(r, "srcaddr"), addr_of(r, "dstaddr")
        zd = py_lpm(pfx, dst)
        zs = py_lpm(pfx, src)
        if (zd >= 0 and prot == TCP and fl & ACK and fl != RST | ACK
                and not py_allowed(table[zd].services, prot, r["dstport"])
                and py_lpm(ins, src) < 0):
            out.append((i, "ingress", "ALERT", dst, src))
        if (zs >= 0 and (prot == UDP or fl != RST | ACK)
                and not py_allowed(table[zs].services, prot, r["srcport"])
                and py_lpm(ins, dst) < 0):
            red = prot == UDP or fl & PSH
            out.append((i, "egress", "RED" if red else "ALERT", src, dst))
    return out


# ---- helpers --------------------------------------------------------------

rec = oracle.record


def batches(recs, order="little", zlevel=0, per_batch=None):
    v6 = bool(recs) and "srcaddr6_0" in recs[0]
    data = oracle.write_stream({"d_version": 1006 if v6 else 5,
                                "flags": oracle.HF_STREAMING}, recs, order, zlevel)
    rd = stream.reader(io.BytesIO(data), batch_records=per_batch or max(len(recs), 1),
                       ipv6=v6)
    return rd


def run_checker(checker, recs, **kw):
    """[(index, direction, level, server, peer)] over all batches, with
    record indexes made global."""
    got = []
    base = 0
    for b in batches(recs, **kw):
        alerts, n = checker.check(b)
        for j in range(n):
            a = alerts[j]
            got.append((base + a.index, zones.DIRECTIONS[a.direction], zones.LEVELS[a.level],
                        zone_c.address(a.server), zone_c.address(a.peer)))
        base += b.n
    return got


def words(a):
    return [(a >> 96) & U32, (a >> 64) & U32, (a >> 32) & U32, a & U32]


def halves(a):
    """A range bound: the upper and lower 64 bits."""
    return [a >> 64, a & ((1 << 64) - 1)]


def ranges(prefixes, cap=None):
    """ftc_zone_ranges of 128-bit (net, len, value) prefixes -> (status,
    [(lo, hi, value)]); `arr` of the result is what lookups take."""
    n = len(prefixes)
    pfx = ffi.new("ftc_zone_prefix_t[]", max(n, 1))
    for i, (net, length, value) in enumerate(prefixes):
        pfx[i].net, pfx[i].len, pfx[i].value = words(net), length, value
    cap = 2 * n + 1 if cap is None else cap
    out = ffi.new("ftc_zone_range_t[]", max(cap, 1))
    nout = ffi.new("size_t *")
    st_ = lib.ftc_zone_ranges(pfx, n, out, cap, nout)
    return st_, [(zone_c.address(out[i].lo), zone_c.address(out[i].hi), out[i].value)
                 for i in range(nout[0])]


def lookup(r, addr):
    """ftc_zone_lookup over ranges r (as ranges() returns them)."""
    arr = ffi.new("ftc_zone_range_t[]", max(len(r), 1))
    for i, (lo, hi, v) in enumerate(r):
        arr[i].lo, arr[i].hi, arr[i].value = halves(lo), halves(hi), v
    return lib.ftc_zone_lookup(arr, len(r), ffi.new("uint32_t[4]", words(addr)))


# ---- prefixes -> ranges (longest prefix match) -----------------------------

def test_ranges_nested_and_edges():
    pfx = v4pfx([(0, 0, 9), (ip("10.0.0.0"), 8, 1), (ip("10.1.0.0"), 16, 2),
                 (ip("10.1.2.3"), 32, 3), (ip("255.255.255.255"), 32, 4),
                 (ip("10.1.255.0"), 24, 5)])
    st_, r = ranges(list(pfx))
    assert st_ == lib.FTC_OK
    assert r == sorted(r) and all(lo <= hi for lo, hi, _ in r)
    assert all(a[1] < b[0] for a, b in zip(r, r[1:]))         # disjoint
    assert r[0][0] == M(0) and r[-1][1] == M(U32)              # 0/0 covers IPv4
    for addr in (0, ip("9.255.255.255"), ip("10.0.0.0"), ip("10.0.255.255"), ip("10.1.0.0"),
                 ip("10.1.2.2"), ip("10.1.2.3"), ip("10.1.2.4"), ip("10.1.254.255"),
                 ip("10.1.255.0"), ip("10.1.255.255"), ip("10.2.0.0"), ip("10.255.255.255"),
                 ip("11.0.0.0"), ip("255.255.255.254"), U32):
        assert lookup(r, M(addr)) == py_lpm(pfx, M(addr)), hex(addr)
    # an IPv4 zone holds no IPv6 address, not even one ending in its bits
    assert lookup(r, addr) == -1 and lookup(r, (0x20010DB8 << 96) | ip("10.1.2.3")) == -1


def test_ranges_without_cover_leave_gaps():
    pfx = v4pfx([(ip("192.0.2.10"), 32, 0), (ip("192.0.2.0"), 24, 1),
                 (ip("198.51.100.0"), 24, 2)])
    st_, r = ranges(pfx)
    assert st_ == lib.FTC_OK
    look = lambda a: lookup(r, M(ip(a)))   # noqa: E731
    assert [look(a) for a in ("192.0.1.255", "192.0.2.0", "192.0.2.9", "192.0.2.10",
                              "192.0.2.11", "192.0.2.255", "192.0.3.0", "198.51.100.7",
                              "198.51.101.0")] == [-1, 1, 1, 0, 1, 1, -1, 2, -1]


def test_ranges_refuse_bad_prefixes_and_small_buffers():
    assert ranges(v4pfx([(ip("10.0.0.1"), 24, 0)]))[0] == lib.FTC_EINVAL      # host bits
    assert ranges([(M(ip("10.0.0.0")), 129, 0)])[0] == lib.FTC_EINVAL
    assert ranges([(1 << 127, 1, 0), (1 << 127, 1, 1)])[0] == lib.FTC_EINVAL
    assert ranges(v4pfx([(ip("10.0.0.0"), 8, 0), (ip("10.1.0.0"), 16, 1)]), cap=2)[0] \
        == lib.FTC_EFULL
    assert ranges([]) == (lib.FTC_OK, [])
    assert lib.ftc_zone_lookup(ffi.NULL, 0, ffi.new("uint32_t[4]")) == -1
    assert lib.ftc_zone_lookup(ffi.NULL, 0, ffi.NULL) == -1


@st.composite
def prefix_sets(draw):
    """128-bit prefixes: IPv4 ones (mapped, /96../128), IPv6 ones of any
    length near ::, ::ffff:0:0/96, 2001:db8::/32 and the top address."""
    n = draw(st.integers(0, 24))
    out, seen = [], set()
    for i in range(n):
        if draw(st.booleans()):
            length = 96 + draw(st.sampled_from([0, 1, 7, 8, 15, 16, 23, 24, 25, 30, 31, 32]))
            near = M(draw(st.sampled_from([0, ip("10.0.0.0"), ip("10.1.2.0"), U32,
                                           draw(st.integers(0, U32))])))
        else:
            length = draw(st.one_of(st.sampled_from([0, 1, 32, 48, 64, 95, 96, 127, 128]),
                                    st.integers(0, 128)))
            near = draw(st.sampled_from([0, M(0), 0x20010DB8 << 96, U128,
                                         draw(st.integers(0, U128))]))
        net = near & mask128(length)
        if (net, length) in seen:
            continue
        seen.add((net, length))
        out.append((net, length, i))
    return out


@given(prefix_sets(), st.lists(st.integers(0, U128), max_size=20))
def test_lookup_equals_python_lpm(pfx, extra):
    st_, r = ranges(list(pfx))
    assert st_ == lib.FTC_OK
    assert len(r) <= 2 * len(pfx)
    assert all(a[1] < b[0] for a, b in zip(r, r[1:]))
    probes = set(extra)
    for net, length, _ in pfx:
        hi = net | (~mask128(length) & U128)
        probes.update({net, hi, (net - 1) & U128, (hi + 1) & U128})
    for a in probes:
        assert lookup(r, a) == py_lpm(pfx, a), hex(a)


# ---- zone file -------------------------------------------------------------

def test_parse_forms():
    text = ("# comment\n\n   \n192.0.2.10 tcp/80,tcp/443  # trailing comment\n"
            "192.0.2.0/24\tUDP/53 , tcp/53\n198.51.100.0/25\n10.0.0.1 tcp/6000-6010 udp/0\n"
            "10.1 tcp/22\n")
    z = zones.parse(text, "z")
    assert [(x.net, x.length, x.services, x.line) for x in z] == [
        (M(ip("192.0.2.10")), 128, [(TCP, 80, 80), (TCP, 443, 443)], 4),
        (M(ip("192.0.2.0")), 120, [(UDP, 53, 53), (TCP, 53, 53)], 5),
        (M(ip("198.51.100.0")), 121, [], 6),
        (M(ip("10.0.0.1")), 128, [(TCP, 6000, 6010), (UDP, 0, 0)], 7),
        (M(ip("10.1.0.0")), 128, [(TCP, 22, 22)], 8),
    ]
    assert [x.text for x in z] == ["192.0.2.10", "192.0.2.0/24", "198.51.100.0/25",
                                   "10.0.0.1", "10.1.0.0"]


def test_parse_ipv6_forms():
    text = ("2001:db8::10 tcp/80\n2001:DB8:0:1::/64 udp/53\n::/0\n"
            "::ffff:192.0.2.7 tcp/25  # an IPv4 server written as mapped\n")
    z = zones.parse(text, "z")
    assert [(x.net, x.length) for x in z] == [
        (int(ipaddress.ip_address("2001:db8::10")), 128),
        (int(ipaddress.ip_address("2001:db8:0:1::")), 64), (0, 0), (M(ip("192.0.2.7")), 128)]
    assert [x.text for x in z] == ["2001:db8::10", "2001:db8:0:1::/64", "::/0", "192.0.2.7"]
    with pytest.raises(zones.ZoneFileError, match="already listed on line 1"):
        zones.parse("192.0.2.7\n::ffff:192.0.2.7/128\n", "z")


@pytest.mark.parametrize("line,problem", [
    ("192.0.2.300 tcp/80", "bad IPv4 address"),
    ("192.0.2.1/33 tcp/80", "bad prefix length"),
    ("192.0.2.1/x tcp/80", "bad prefix length"),
    ("192.0.2.1/24 tcp/80", "bits beyond /24"),
    ("host.example tcp/80", "bad IPv4 address"),
    ("192.0.2.1 icmp/8", "unknown protocol 'icmp'"),
    ("192.0.2.1 tcp", "PROTO/PORT expected"),
    ("192.0.2.1 tcp/", "PROTO/PORT expected"),
    ("192.0.2.1 tcp/http", "bad port"),
    ("192.0.2.1 tcp/65536", "bad port"),
    ("192.0.2.1 tcp/90-80", "bad port"),
    ("192.0.2.1 tcp/-80", "bad port"),
    ("192.0.2.5 tcp/22", "already listed on line 2"),
    ("2001:db8::1/64 tcp/80", "bits beyond /64"),
    ("2001:db8::/129 tcp/80", "bad prefix length"),
    ("2001:db8:::1 tcp/80", "bad IPv6 address"),
    ("fe80::1%eth0 tcp/22", "bad IPv6 address"),
])
def test_parse_errors_name_file_and_line(line, problem):
    text = "# zones\n192.0.2.5 tcp/25\n\n" + line + "\n192.0.2.99 tcp/1\n"
    with pytest.raises(zones.ZoneFileError) as e:
        zones.parse(text, "my.zones")
    assert str(e.value).startswith("my.zones:4: ")
    assert problem in str(e.value)
    assert isinstance(e.value, FormatError)


def test_load_empty_file_is_an_error(tmp_path):
    p = tmp_path / "empty.zones"
    p.write_text("# nothing here\n\n")
    with pytest.raises(zones.ZoneFileError, match="empty.zones: no zone defined"):
        zones.load(str(p))


def test_load_finds_the_shipped_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    z = zones.load("zones.conf")
    assert z and all(M(ip("192.0.2.0")) <= x.net <= M(ip("192.0.2.255"))
                     or ipaddress.IPv6Address(x.net) in ipaddress.IPv6Network("2001:db8::/32")
                     for x in z)
    (tmp_path / "zones.conf").write_text("10.0.0.1 tcp/1\n")     # a local file wins
    assert [x.net for x in zones.load("zones.conf")] == [M(ip("10.0.0.1"))]


def test_parse_inside():
    assert zones.parse_inside(["10.0.0.0/8,192.0.2.0/24", " 198.51.100.7 ", "2001:db8::/32"]) \
        == [(M(ip("10.0.0.0")), 104), (M(ip("192.0.2.0")), 120), (M(ip("198.51.100.7")), 128),
            (0x20010DB8 << 96, 32)]
    assert zones.parse_inside(None) == []
    with pytest.raises(Exception, match="-L"):
        zones.parse_inside(["10.0.0.0/40"])
    with pytest.raises(Exception, match="-L"):
        zones.parse_inside(["2001:db8::/200"])


# ---- classification edges --------------------------------------------------

SERVER, NET_SERVER, LAN_HOST = ip("192.0.2.10"), ip("192.0.2.77"), ip("192.0.2.200")
OUTSIDE, INSIDE_PEER = ip("203.0.113.5"), ip("10.9.9.9")
TABLE = zones.parse("192.0.2.10 tcp/80,tcp/443,udp/53\n192.0.2.64/26 tcp/22\n"
                    "192.0.2.77 tcp/25\n", "t")
CHECKER = zones.Checker(TABLE, [(M(ip("10.0.0.0")), 104)])


def inbound(flags, port=3389, prot=TCP, src=OUTSIDE, dst=SERVER):
    return rec(srcaddr=src, dstaddr=dst, srcport=40000, dstport=port, prot=prot,
               tcp_flags=flags, dPkts=3, dOctets=150)


def outbound(flags, port=3389, prot=TCP, src=SERVER, dst=OUTSIDE):
    return rec(srcaddr=src, dstaddr=dst, srcport=port, dstport=40000, prot=prot,
               tcp_flags=flags, dPkts=2, dOctets=100)


@pytest.mark.parametrize("r,want", [
    (inbound(ACK), [("ingress", "ALERT")]),
    (inbound(SYN | ACK), [("ingress", "ALERT")]),
    (inbound(ACK | PSH | SYN | 0x01), [("ingress", "ALERT")]),
    (inbound(SYN), []),                               # not let through
    (inbound(RST | ACK), []),                         # the port refused
    (inbound(RST), []),                               # no ACK
    (inbound(RST | ACK | PSH), [("ingress", "ALERT")]),
    (inbound(0), []),
    (inbound(ACK, port=80), []),                      # allowed
    (inbound(ACK, port=443), []),
    (inbound(ACK, port=53), [("ingress", "ALERT")]),  # udp/53 allowed, not tcp/53
    (inbound(ACK, prot=UDP, port=3389), []),          # ingress is TCP only
    (inbound(ACK, prot=ICMP, port=0x0800), []),
    (inbound(ACK, src=INSIDE_PEER), []),              # peers inside -L never alert
    (inbound(ACK, dst=LAN_HOST), []),                 # not a zone server
    (outbound(SYN), [("egress", "ALERT")]),           # the server calls out
    (outbound(ACK), [("egress", "ALERT")]),
    (outbound(SYN | ACK | PSH), [("egress", "RED")]),
    (outbound(PSH), [("egress", "RED")]),
    (outbound(RST | ACK), []),                        # a closed port's answer
    (outbound(RST | ACK | PSH), [("egress", "RED")]),
    (outbound(RST), [("egress", "ALERT")]),
    (outbound(0, prot=UDP, port=5353), [("egress", "RED")]),   # UDP carries data
    (outbound(RST | ACK, prot=UDP, port=5353), [("egress", "RED")]),
    (outbound(0, prot=UDP, port=53), []),             # allowed
    (outbound(SYN, port=80), []),
    (outbound(SYN, prot=ICMP, port=0), []),
    (outbound(SYN | PSH, dst=INSIDE_PEER), []),
    (outbound(SYN, src=LAN_HOST), []),
])
def test_rules_on_flag_and_port_edges(r, want):
    got = run_checker(CHECKER, [r])
    assert [(d, lvl) for _, d, lvl, _, _ in got] == want


def test_longest_prefix_decides_the_services():
    # 192.0.2.77 has its own line (tcp/25): the /26's tcp/22 does not apply
    recs = [inbound(ACK, port=22, dst=NET_SERVER), inbound(ACK, port=25, dst=NET_SERVER),
            inbound(ACK, port=22, dst=ip("192.0.2.100")),
            inbound(ACK, port=25, dst=ip("192.0.2.100")),
            inbound(ACK, port=22, dst=ip("192.0.2.128"))]      # outside the /26
    got = run_checker(CHECKER, recs)
    assert [(i, srv) for i, _, _, srv, _ in got] == [(0, M(NET_SERVER)),
                                                     (3, M(ip("192.0.2.100")))]


def test_both_ends_zone_servers_give_two_alerts():
    r = rec(srcaddr=SERVER, dstaddr=NET_SERVER, srcport=1111, dstport=2222, prot=TCP,
            tcp_flags=ACK | PSH)
    got = run_checker(CHECKER, [r])
    assert got == [(0, "ingress", "ALERT", M(NET_SERVER), M(SERVER)),
                   (0, "egress", "RED", M(SERVER), M(NET_SERVER))]


def test_without_inside_every_peer_is_outside():
    c = zones.Checker(TABLE)
    assert len(run_checker(c, [inbound(ACK, src=INSIDE_PEER)])) == 1


def test_alert_fields_and_lines():
    r = rec(srcaddr=OUTSIDE, dstaddr=SERVER, srcport=1824, dstport=3389, prot=TCP,
            tcp_flags=0x13, dPkts=4, dOctets=168, unix_secs=1092646800, unix_nsecs=5000000,
            sysUpTime=1000, First=754716)
    b = next(iter(batches([r])))
    alerts, n = CHECKER.check(b)
    assert n == 1
    a = alerts[0]
    assert (zone_c.address(a.server), a.server_port, zone_c.address(a.peer), a.peer_port,
            a.prot, a.tcp_flags, a.dPkts, a.dOctets, a.index, a.entry) == \
        (M(SERVER), 3389, M(OUTSIDE), 1824, TCP, 0x13, 4, 168, 0, 0)
    assert a.start_ms == 1092646800 * 1000 + 5 - 1000 + 754716
    text = b"".join(zones.Formatter().lines(alerts, n)).decode()
    tsv = b"".join(zones.Formatter(tsv=True).lines(alerts, n)).decode()
    # TZ is whatever the test runs under: compare with Python's local time
    import time
    t = a.start_ms // 1000
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) + ".%03d" % (a.start_ms % 1000)
    assert tsv == "\t".join(["ALERT", "ingress", "192.0.2.10", "3389", "203.0.113.5", "1824",
                             "tcp", "0x13", "4", "168", stamp]) + "\n"
    assert text.split() == tsv.replace(" ", "\t").split("\t")[:-2] + stamp.split()
    header = zones.Formatter().header().decode()
    assert header.startswith("# level") and header.endswith("start\n")
    # every title starts where its column starts in the rows
    for title, value in (("dir", " ingress"), ("server", " 192.0.2.10"), ("flags", " 0x13"),
                         ("packets", " 4 "), ("octets", " 168"), ("start", " " + stamp[:4])):
        assert header.index(" " + title) == text.index(value), title
    assert zones.Formatter(tsv=True).header().decode() == (
        "#level\tdirection\tserver\tserver_port\tpeer\tpeer_port\tprotocol\tflags\tpackets\t"
        "octets\tstart\n")


def test_format_resumes_when_the_buffer_fills():
    recs = [inbound(ACK, port=1000 + i) for i in range(50)]
    b = next(iter(batches(recs)))
    alerts, n = CHECKER.check(b)
    assert n == 50
    state = ffi.new("ftc_fmt_state_t *")
    buf = ffi.new("char[]", 4 * lib.FTC_ZONE_LINE_MAX)
    length, used = ffi.new("size_t *"), ffi.new("size_t *")
    done, text = 0, b""
    while done < n:
        st_ = lib.ftc_zone_format(alerts + done, n - done, 0, state, buf,
                                  4 * lib.FTC_ZONE_LINE_MAX, length, used)
        assert st_ in (lib.FTC_OK, lib.FTC_EFULL)
        assert used[0] > 0
        text += ffi.buffer(buf, length[0])[:]
        done += used[0]
    assert text == b"".join(zones.Formatter().lines(alerts, n))
    assert len(text.splitlines()) == 50


def test_check_resumes_when_the_alert_buffer_fills():
    recs = [rec(srcaddr=SERVER, dstaddr=NET_SERVER, srcport=1, dstport=2, prot=TCP,
                tcp_flags=ACK)] * 3
    b = next(iter(batches(recs)))
    out = ffi.new("ftc_zone_alert_t[]", 3)
    done, produced = ffi.new("size_t *"), ffi.new("size_t *")
    st_ = lib.ftc_zone_check(CHECKER.db, b.rectype, b.ptr, b.n, done, out, 3, produced)
    # two alerts per record: the second record does not fit whole
    assert (st_, done[0], produced[0]) == (lib.FTC_EFULL, 1, 2)
    st_ = lib.ftc_zone_check(CHECKER.db, b.rectype, b.ptr, b.n, done, out, 3, produced)
    assert (st_, done[0], produced[0]) == (lib.FTC_EFULL, 2, 2)
    st_ = lib.ftc_zone_check(CHECKER.db, b.rectype, b.ptr, b.n, done, out, 3, produced)
    assert (st_, done[0], produced[0]) == (lib.FTC_OK, 3, 2)


def test_keep_compacts_the_alerting_records():
    recs = [inbound(SYN, port=i) if i % 3 else inbound(ACK, port=5000 + i) for i in range(30)]
    recs[4] = rec(srcaddr=SERVER, dstaddr=NET_SERVER, srcport=9, dstport=9, prot=TCP,
                  tcp_flags=ACK)                                   # two alerts, kept once
    b = next(iter(batches(recs)))
    alerts, n = CHECKER.check(b)
    CHECKER.keep(b, alerts, n)
    assert [r.dstport for r in b.records()] == [5000 + i if i != 4 else 9
                                                for i in range(30) if i % 3 == 0 or i == 4]
    bad = ffi.new("ftc_zone_alert_t[]", 2)
    bad[0].index, bad[1].index = 3, 1                              # not ascending
    kept = ffi.new("size_t *")
    assert lib.ftc_zone_keep(bad, 2, b.rectype, b.ptr, b.n, kept) == lib.FTC_EINVAL


def test_records_without_the_fields_are_refused():
    data = oracle.write_stream({"d_version": 8, "agg_version": 2, "agg_method": 1,
                                "flags": 0}, [dict.fromkeys(oracle.fields("8.1"), 0)])
    b = next(iter(stream.reader(io.BytesIO(data))))
    with pytest.raises(FormatError):
        CHECKER.check(b)


def test_bad_db_is_an_internal_error():
    c = zones.Checker(TABLE)
    c.db.n_entries = 0                       # zone values out of range
    b = next(iter(batches([inbound(ACK)])))
    with pytest.raises(InternalError):
        c.check(b)


# ---- property: C equals the plain rules ------------------------------------

@st.composite
def scenarios(draw):
    """(zone table, inside prefixes, records) with addresses, ports and
    flags drawn near the edges the rules care about."""
    nzones = draw(st.integers(1, 6))
    lines, seen = [], set()
    for _ in range(nzones):
        length = draw(st.sampled_from([32, 32, 30, 28, 24]))
        net = (ip("192.0.2.0") + draw(st.integers(0, 255))) & mask(length)
        if (net, length) in seen:
            continue
        seen.add((net, length))
        svcs = draw(st.lists(st.tuples(st.sampled_from(["tcp", "udp"]),
                                       st.sampled_from([22, 25, 53, 80, 443, 3389]),
                                       st.integers(0, 3)), max_size=3))
        lines.append("%d.%d.%d.%d/%d %s" % (net >> 24, net >> 16 & 255, net >> 8 & 255,
                                             net & 255, length,
                                             ",".join("%s/%d-%d" % (p, lo, lo + w)
                                                      for p, lo, w in svcs)))
    table = zones.parse("\n".join(lines), "t")
    inside = draw(st.sampled_from([[], [(M(ip("10.0.0.0")), 104)],
                                   [(M(ip("10.0.0.0")), 104), (M(ip("192.0.2.0")), 121)]]))
    edges = sorted({a & U32 for z in table for a in (z.net, last(z.net, z.length - 96),
                                                      z.net - 1, last(z.net, z.length - 96) + 1)})
    addrs = st.one_of(st.sampled_from(edges), st.sampled_from(edges), st.sampled_from(edges),
                      st.integers(ip("192.0.2.0"), ip("192.0.2.255")),
                      st.integers(ip("10.0.0.0"), ip("10.0.0.3")),
                      st.sampled_from([ip("203.0.113.1"), ip("192.0.1.255"), ip("192.0.3.0")]),
                      st.integers(0, U32))
    ports = st.one_of(st.sampled_from([22, 23, 25, 26, 53, 80, 81, 443, 446, 3389]),
                      st.integers(0, 65535))
    flags = st.one_of(st.sampled_from([0, SYN, ACK, SYN | ACK, RST, RST | ACK,
                                       RST | ACK | PSH, ACK | PSH, 0x1b, 0x13]),
                      st.integers(0, 255))
    over = st.fixed_dictionaries({
        "srcaddr": addrs, "dstaddr": addrs, "srcport": ports, "dstport": ports,
        "prot": st.sampled_from([TCP, TCP, UDP, ICMP, 0, 255]), "tcp_flags": flags})
    recs = draw(st.lists(st.tuples(fst.records("5"), over).map(lambda t: {**t[0], **t[1]}),
                         min_size=draw(st.integers(0, 40)), max_size=120))
    return table, inside, recs


@given(scenarios(), fst.byte_orders(), st.integers(1, 40))
def test_classification_equals_the_plain_rules(scn, order, per_batch):
    table, inside, recs = scn
    assume(table)
    checker = zones.Checker(table, inside)
    got = run_checker(checker, recs, order=order, per_batch=per_batch)
    event("alerts: %s" % ("none" if not got else "1-5" if len(got) < 6 else "6+"))
    assert got == py_alerts(recs, table, inside)


def test_check_rectype():
    CHECKER.check_rectype(lib.FTC_RT_V5)
    CHECKER.check_rectype(lib.FTC_RT_V7)
    with pytest.raises(FormatError):
        CHECKER.check_rectype(lib.FTC_RT_V8_1)


# ---- v1006: IPv6 zones, mixed IPv4/IPv6 flows --------------------------------

@st.composite
def scenarios6(draw):
    """(zone table, inside prefixes, v1006 records): IPv4 zones in
    192.0.2.0/24, IPv6 zones in 2001:db8::/32, addresses of both families
    at the zones' edges, IPv6 ones sharing their last word with IPv4 ones."""
    lines, seen = [], set()
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            length = draw(st.sampled_from([32, 30, 24]))
            net = (ip("192.0.2.0") + draw(st.integers(0, 255))) & mask(length)
            text = "%s/%d" % (ipaddress.IPv4Address(net), length)
            key = (M(net), length + 96)
        else:
            length = draw(st.sampled_from([128, 127, 120, 64, 48]))
            net = ((0x20010DB8 << 96) | draw(st.integers(0, (1 << 96) - 1))) & mask128(length)
            text = "%s/%d" % (ipaddress.IPv6Address(net), length)
            key = (net, length)
        if key in seen:
            continue
        seen.add(key)
        svcs = draw(st.lists(st.tuples(st.sampled_from(["tcp", "udp"]),
                                       st.sampled_from([22, 25, 53, 80, 443])), max_size=2))
        lines.append(text + " " + ",".join("%s/%d" % s for s in svcs))
    table = zones.parse("\n".join(lines), "t")
    inside = draw(st.sampled_from([[], [(0x20010DB8 << 96, 48)],
                                   [(M(ip("192.0.2.0")), 121), (0x20010DB8 << 96, 32)]]))
    edges = set()
    for z in table:
        hi = z.net | (~mask128(z.length) & U128)
        edges.update({z.net, hi, (z.net - 1) & U128, (hi + 1) & U128,
                      (0x20010DB8 << 96) | (z.net & U32)})     # an IPv6 twin of the last word
    addrs = st.one_of(st.sampled_from(sorted(edges)), st.sampled_from(sorted(edges)),
                      st.sampled_from([M(ip("203.0.113.1")), 0x20010DB8FFFF << 80, 1]),
                      st.integers(0, U128))
    ports = st.one_of(st.sampled_from([22, 25, 26, 53, 80, 443, 3389]), st.integers(0, 65535))
    flags = st.one_of(st.sampled_from([0, SYN, ACK, SYN | ACK, RST | ACK, ACK | PSH, 0x1b]),
                      st.integers(0, 255))
    over = st.fixed_dictionaries({
        "srcport": ports, "dstport": ports, "prot": st.sampled_from([TCP, TCP, UDP, ICMP]),
        "tcp_flags": flags})
    recs = []
    for _ in range(draw(st.integers(0, 60))):
        r = dict(draw(fst.records("1006")), **draw(over))
        r = oracle.with_addr6(oracle.with_addr6(r, "srcaddr", draw(addrs)), "dstaddr",
                              draw(addrs))
        recs.append(r)
    return table, inside, recs


@given(scenarios6(), fst.byte_orders(), st.integers(1, 40))
def test_v1006_classification_equals_the_plain_rules(scn, order, per_batch):
    """IPv4 zones match IPv4 flows, IPv6 zones IPv6 flows: the C
    classifier on 128-bit addresses equals the rules evaluated with
    ipaddress."""
    table, inside, recs = scn
    assume(table)
    checker = zones.Checker(table, inside)
    got = run_checker(checker, recs, order=order, per_batch=per_batch)
    event("alerts: %s" % ("none" if not got else "1-5" if len(got) < 6 else "6+"))
    assert got == py_alerts(recs, table, inside)


def test_v1006_alert_lines_and_summary():
    table = zones.parse("2001:db8::10 tcp/80\n192.0.2.10 tcp/80\n", "t")
    checker = zones.Checker(table, zones.parse_inside(["2001:db8:1::/48"]))
    server6 = int(ipaddress.ip_address("2001:db8::10"))
    peer6 = int(ipaddress.ip_address("2001:db8:2::5"))

    def r6(src, dst, sport, dport, flags):
        r = dict.fromkeys(oracle.fields("1006"), 0)
        r.update(srcport=sport, dstport=dport, prot=TCP, tcp_flags=flags, dPkts=1, dOctets=60)
        return oracle.with_addr6(oracle.with_addr6(r, "srcaddr", src), "dstaddr", dst)

    recs = [r6(peer6, server6, 40000, 22, ACK),                      # ingress on 22
            r6(server6, peer6, 80, 40000, ACK | PSH),                # allowed port
            r6(int(ipaddress.ip_address("2001:db8:1::9")), server6, 40000, 22, ACK),  # inside
            r6(M(ip("203.0.113.5")), M(ip("192.0.2.10")), 40000, 25, ACK),
            # an IPv6 address whose last word is 192.0.2.10: no IPv4 zone
            r6(peer6, (0x20010DB8 << 96) | ip("192.0.2.10"), 40000, 25, ACK)]
    b = next(iter(batches(recs)))
    alerts, n = checker.check(b)
    assert n == 2
    tsv = b"".join(zones.Formatter(tsv=True).lines(alerts, n)).decode().splitlines()
    assert [ln.split("\t")[:6] for ln in tsv] == [
        ["ALERT", "ingress", "2001:db8::10", "22", "2001:db8:2::5", "40000"],
        ["ALERT", "ingress", "192.0.2.10", "25", "203.0.113.5", "40000"]]
    text = b"".join(zones.Formatter().lines(alerts, n)).decode().splitlines()
    assert text[0].split()[:6] == ["ALERT", "ingress", "2001:db8::10", "22", "2001:db8:2::5",
                                   "40000"]
    summary = zones.Summary()
    summary.add(alerts, n)
    lines = summary.text(len(recs)).splitlines()
    assert lines[-2:] == ["# 192.0.2.10      1        0       0    203.0.113.5",
                          "# 2001:db8::10    1        0       0    2001:db8:2::5"]
    head = zones.report_header("t", table, zones.parse_inside(["10.0.0.0/8", "2001:db8:1::/48"]),
                               ["flow-zonecheck"])
    assert "10.0.0.0/8, 2001:db8:1::/48" in head


def test_shipped_example_ipv6_lines_parse_when_uncommented():
    text = zones.files.read(zones.resolve("zones.conf")).decode()
    six = [ln[1:] for ln in text.splitlines() if ln.startswith("#2001:db8:")]
    z = zones.parse("\n".join(six), "zones.conf")
    assert len(z) == 2 and all(x.length >= 64 and not ipv6.is_mapped(x.net) for x in z)
