"""The check of issue 12 for the detectors: flow-synonly, flow-portrank,
flow-icmpdecode and flow-zonecheck find the same scanners, RST/ACK
receivers, unreachable receivers, Nachi sweeps and zone alerts in a mixed
IPv4/IPv6 capture as in the IPv4-only one.

The mixed capture is the bundled enterprise sample converted by the real
`flow-cat -V 1006`, then rewritten here (test code, tests/oracle.py): a
chosen set of hosts H -- the servers of 135.169.0.0/24, the client
subnets 135.169.20.0/24 and 135.169.177.0/24, and every outside address
whose last bit is 1 -- is renamed 1:1 to IPv6, A.B.C.D -> 2001:db8::A.B.C.D
(2001:db8::/96 plus the IPv4 bits), wherever it appears as source or
destination.  A record with a renamed end is an IPv6 flow (v1006 says so
when an address is not IPv4-mapped); its ICMP messages become ICMPv6
(protocol 58) with these types and codes:

    ICMP                              ICMPv6
    0   echo reply                    129 echo reply
    8   echo request                  128 echo request
    3/0 net unreachable               1/0 no route to destination
    3/1 host unreachable              1/3 address unreachable
    3/3 port unreachable              1/4 port unreachable
    3/c any other code                1/(100 + c)  (undefined codes, counted nowhere)
    11/c time exceeded                3/c time exceeded
    t/c any other type                (t + 150)/c  (no ICMPv6 meaning)

so flow-icmpdecode -u counts the same unreachables in the same columns.
Every detector runs on the v5 file and on the mixed one; the mixed
output, its addresses mapped back (2001:db8::/96 and ::ffff:0:0/96 to the
last 32 bits) and its ICMPv6 types mapped back, equals the v5 output, and
the expectations of samples/enterprise/labels.json hold on it.
"""
import ipaddress
import json

import pytest

import oracle

TCP, UDP, ICMP, ICMP6 = 6, 17, 1, 58
V6NET = 0x20010DB8 << 96
INTERNAL = ipaddress.IPv4Network("135.169.0.0/16")
RENAMED_NETS = [ipaddress.IPv4Network(n) for n in
                ("135.169.0.0/24", "135.169.20.0/24", "135.169.177.0/24")]


@pytest.fixture(autouse=True)
def _needs(require):
    require("flow-cat", "flow-synonly", "flow-portrank", "flow-icmpdecode", "flow-zonecheck")


def renamed(a):
    """Is IPv4 address a (an int) one of the hosts H moved to IPv6?"""
    addr = ipaddress.IPv4Address(a)
    if addr in INTERNAL:
        return any(addr in n for n in RENAMED_NETS)
    return a & 1 == 1


def to6(a):
    return V6NET | a


def back(text):
    """An address as the detectors print it in the mixed run -> the IPv4
    text of the v5 run (2001:db8::/96 or a dotted quad)."""
    if ":" not in text:
        return text
    a = ipaddress.IPv6Address(text)
    assert int(a) >> 32 == V6NET >> 32, text
    return str(ipaddress.IPv4Address(int(a) & 0xFFFFFFFF))


def icmp_to6(t, c):
    if t == 0:
        return 129, c
    if t == 8:
        return 128, c
    if t == 3:
        return 1, {0: 0, 1: 3, 3: 4}.get(c, 100 + c)
    if t == 11:
        return 3, c
    assert t + 150 < 256, t
    return t + 150, c


ICMP_BACK = {}


def icmp_back(t, c):
    return ICMP_BACK[(t, c)]


@pytest.fixture(scope="module")
def capture(samples_dir, tmp_path_factory, flow_bin):
    """(v5 records, mixed v1006 records, labels, paths) -- the records pair
    up by index."""
    import harness
    d = samples_dir / "enterprise"
    labels = json.loads((d / "labels.json").read_text())
    v5path = d / labels["flow_file"]
    tmp = tmp_path_factory.mktemp("mixed")
    env = harness.case_env(scratch=tmp, bindir=flow_bin)
    st, data, err = harness.run(["flow-cat", "-V", "1006", str(v5path)], env=env, cwd=tmp,
                                timeout=60)
    assert (st, err) == (0, b"")
    v5 = oracle.read_stream(v5path.read_bytes())[1]
    hdr, v1006 = oracle.read_stream(data)
    assert hdr["d_version"] == 1006 and len(v1006) == len(v5) == labels["flows"]
    mixed = []
    for r4, r6 in zip(v5, v1006):
        assert oracle.addr6(r6, "srcaddr") == oracle.mapped(r4["srcaddr"])   # flow-cat -V 1006
        r = dict(r6)
        for name in ("srcaddr", "dstaddr"):
            if renamed(r4[name]):
                r = oracle.with_addr6(r, name, to6(r4[name]))
        if r["prot"] == ICMP and not oracle.is_ipv4(r):
            t, c = r4["dstport"] >> 8, r4["dstport"] & 0xFF
            t6, c6 = icmp_to6(t, c)
            assert ICMP_BACK.setdefault((t6, c6), (t, c)) == (t, c)     # 1:1
            r["prot"], r["dstport"] = ICMP6, (t6 << 8) | c6
        mixed.append(r)
    return v5, mixed, labels, tmp


def write(path, version, recs):
    oracle_hdr = {"d_version": version, "flags": oracle.HF_STREAMING}
    path.write_bytes(oracle.write_stream(oracle_hdr, recs))
    return path


def pair_files(capture, name, keep=lambda r: True):
    """The v5 file and the mixed v1006 file of the records of v5 that
    `keep` selects (the same records in both); made once per name."""
    v5, mixed, _, tmp = capture
    f5, f6 = tmp / (name + ".v5"), tmp / (name + ".v1006")
    if not f6.exists():
        idx = [i for i, r in enumerate(v5) if keep(r)]
        assert idx
        write(f5, 5, [v5[i] for i in idx])
        write(f6, 1006, [mixed[i] for i in idx])
    return f5, f6


def addr_back(r, name):
    """The IPv4 address (int) a mixed record's address stands for."""
    a = oracle.addr6(r, name)
    assert a >> 32 in (0xFFFF, V6NET >> 32), hex(a)
    return a & 0xFFFFFFFF


def internal(a):
    return ipaddress.IPv4Address(a) in INTERNAL


def test_the_mixed_capture_holds_both_families(capture):
    v5, mixed, _, _ = capture
    six = [r for r in mixed if not oracle.is_ipv4(r)]
    assert 0.2 * len(mixed) < len(six) < 0.95 * len(mixed)
    assert sum(r["prot"] == ICMP6 for r in mixed) > 1000
    assert sum(r["prot"] == ICMP for r in mixed) > 10
    # both ends IPv6 in many flows (client subnet <-> odd outside address)
    assert sum(oracle.addr6(r, "srcaddr") >> 32 == oracle.addr6(r, "dstaddr") >> 32
               == V6NET >> 32 for r in mixed) > 1000


def run_ok(run_cmd, argv, path, statuses=(0,)):
    st, out, err = run_cmd(argv + [str(path)])
    assert st in statuses and err == b"", (argv, st, err)
    return out.decode()


def at_once(*calls):
    """The results of independent calls (commands on the v5 and the mixed
    file), run at the same time."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(f) for f in calls]
        return [f.result() for f in futures]


# ---- flow-portrank (and flow-synonly's SYN-only flows through it) ------------

def portrank_rows(text, mapped=False):
    """{host: (count, {port: flows})} of -o tsv output."""
    lines = text.splitlines()
    assert lines[0].startswith("#host\t")
    hosts = {}
    for ln in lines[1:]:
        host, count, port, flows = ln.split("\t")
        host = back(host) if mapped else host
        hosts.setdefault(host, (int(count), {}))[1][int(port)] = int(flows)
    return hosts


def check_detection(det, hosts):
    expected, tolerated = set(det["expected"]), set(det.get("tolerated", []))
    assert expected <= set(hosts) <= expected | tolerated
    for h, count in det.get("counts", {}).items():
        assert hosts[h][0] == count, h


# Without -s a host's ports are those of all its flows; an ICMP flow's
# "port" is its type and code, which differ between ICMP and ICMPv6, so
# those comparisons leave ICMP flows out (nothing else changes).
@pytest.mark.parametrize("label,keep,args", [
    ("syn_only_sources", lambda r: internal(r["srcaddr"]) and r["prot"] != ICMP, []),
    ("syn_only_sources", lambda r: internal(r["srcaddr"]), ["-s"]),
    ("rst_ack_inbound_destinations",
     lambda r: not internal(r["srcaddr"]) and internal(r["dstaddr"]), ["-d"]),
    ("external_syn_only_sources",
     lambda r: not internal(r["srcaddr"]) and internal(r["dstaddr"]) and r["prot"] != ICMP, []),
])
def test_portrank_finds_the_same_hosts(run_cmd, capture, label, keep, args):
    labels = capture[2]
    det = labels["detections"][label]
    f5, f6 = pair_files(capture, "pr-%s%s" % (label, "".join(args)), keep)
    argv = ["flow-portrank", "-t", str(det["threshold"]), "-p", "0", "-o", "tsv"] + args
    out5, out6, text6 = at_once(
        lambda: run_ok(run_cmd, argv, f5), lambda: run_ok(run_cmd, argv, f6),
        lambda: run_ok(run_cmd, ["flow-portrank", "-t", str(det["threshold"])] + args, f6))
    want = portrank_rows(out5)
    got = portrank_rows(out6, mapped=True)
    assert got == want
    check_detection(det, got)
    if "-s" in args:
        assert {h: {str(p): n for p, n in ports.items()} for h, (_, ports) in got.items()} \
            == det["dst_ports"]
    # some of the hosts found are IPv6 ones in the mixed run
    assert "potential host1: " in text6 and "2001:db8::" in text6


@pytest.mark.parametrize("args", [[], ["-d", "-t", "5"], ["-t", "3", "-s", "-p", "3"]])
def test_portrank_whole_capture(run_cmd, capture, args):
    f5, f6 = pair_files(capture, "pr-all", lambda r: r["prot"] != ICMP)
    argv = ["flow-portrank", "-o", "tsv"] + args
    out6, out5 = at_once(lambda: run_ok(run_cmd, argv, f6), lambda: run_ok(run_cmd, argv, f5))
    assert portrank_rows(out6, mapped=True) == portrank_rows(out5)


def test_synonly_passes_the_same_flows(run_cmd, capture):
    f5, f6 = pair_files(capture, "syn")
    runs = at_once(*[lambda a=args, f=f: run_cmd(["flow-synonly"] + a + [str(f)])
                     for args in ([], ["-R"]) for f in (f5, f6)])
    for (st, out5, _), (st6, out6, err) in (runs[:2], runs[2:]):
        assert (st, st6, err) == (0, 0, b"")
        h6, recs6 = oracle.read_stream(out6)
        recs5 = oracle.read_stream(out5)[1]
        assert h6["d_version"] == 1006 and len(recs6) == len(recs5) > 100
        assert any(not oracle.is_ipv4(r) for r in recs6)
        fields = ("srcport", "dstport", "prot", "tcp_flags", "dPkts", "dOctets", "First", "Last")
        assert [(addr_back(r, "srcaddr"), addr_back(r, "dstaddr")) + tuple(r[f] for f in fields)
                for r in recs6] == \
            [(r["srcaddr"], r["dstaddr"]) + tuple(r[f] for f in fields) for r in recs5]


# ---- flow-icmpdecode ---------------------------------------------------------

def unreach_rows(text, mapped=False):
    rows = {}
    for ln in text.splitlines()[1:]:
        host, *counts = ln.split("\t")
        rows[back(host) if mapped else host] = tuple(int(c) for c in counts)
    return rows


@pytest.mark.parametrize("internal_only", [True, False])
def test_icmpdecode_finds_the_same_unreachable_receivers(run_cmd, capture, internal_only):
    labels = capture[2]
    det = labels["detections"]["icmp_unreachable_destinations_internal"]
    keep = (lambda r: internal(r["dstaddr"])) if internal_only else (lambda r: True)
    f5, f6 = pair_files(capture, "unr-%s" % internal_only, keep)
    argv = ["flow-icmpdecode", "-u", "-o", "tsv", "-T",
            str(det["threshold"] if internal_only else 1)]
    out5, out6 = at_once(lambda: run_ok(run_cmd, argv, f5), lambda: run_ok(run_cmd, argv, f6))
    want = unreach_rows(out5)
    got = unreach_rows(out6, mapped=True)
    assert got == want and got
    if internal_only:
        assert set(got) == set(det["expected"])
        for h, by in det["by_code"].items():
            assert got[h][0] == det["counts"][h]
            assert got[h][1:] == tuple(by.get(str(0x0300 | c), 0) for c in (0, 1, 3))
        # the receivers are IPv6 hosts in the mixed run: counted from ICMPv6
        mixed = capture[1]
        for h in det["expected"]:
            a = to6(int(ipaddress.IPv4Address(h)))
            assert sum(oracle.addr6(r, "dstaddr") == a and r["prot"] == ICMP6
                       and r["dstport"] >> 8 == 1 for r in mixed) == det["counts"][h]


def test_icmpdecode_lists_the_same_nachi_sweep(run_cmd, capture):
    labels = capture[2]
    det = labels["detections"]["nachi_pattern"]
    f5, f6 = pair_files(capture, "nachi")
    want, got = at_once(
        lambda: run_ok(run_cmd, ["flow-icmpdecode", "-t", "8", "-s", "92", "-o", "tsv"], f5),
        lambda: run_ok(run_cmd, ["flow-icmpdecode", "-t", "8,128", "-s", "92", "-o", "tsv"], f6))
    rows = []
    for ln in got.splitlines()[1:]:
        src, dst, t, c, tname, cname, *rest = ln.split("\t")
        t, c = int(t), int(c)
        if tname == "echo-request" and t == 128:          # an ICMPv6 one, named so
            t, c = icmp_back(t, c)
            tname = "echo-request"
        rows.append("\t".join([back(src), back(dst), str(t), str(c), tname, cname] + rest))
    assert rows == want.splitlines()[1:]
    srcs = [r.split("\t")[0] for r in rows]
    assert {s: srcs.count(s) for s in det["expected"]} == det["counts"]
    assert any("\t128\t0\techo-request\t" in ln for ln in got.splitlines())


# ---- flow-zonecheck ----------------------------------------------------------

def test_zonecheck_raises_the_same_alerts(run_cmd, capture, samples_dir):
    labels, tmp = capture[2], capture[3]
    zones_v4 = [ln for ln in (samples_dir / "enterprise" / labels["network"]["zones_file"])
                .read_text().splitlines() if ln and not ln.startswith("#")]
    z5 = tmp / "zones.v4"
    z5.write_text("\n".join(zones_v4) + "\n")
    z6 = tmp / "zones.mixed"
    lines = []
    for ln in zones_v4:
        addr, rest = ln.split(None, 1)
        a = int(ipaddress.IPv4Address(addr))
        lines.append("%s %s" % (ipaddress.IPv6Address(to6(a)) if renamed(a) else addr, rest))
    assert any(":" in ln for ln in lines)
    z6.write_text("\n".join(lines) + "\n")
    f5, f6 = pair_files(capture, "zones")
    inside = ",".join(labels["network"]["internal_blocks"])
    inside6 = ",".join("%s/%d" % (ipaddress.IPv6Address(to6(int(n.network_address))),
                                  96 + n.prefixlen)
                       for n in map(ipaddress.IPv4Network, labels["network"]["internal_blocks"]))
    want, got = at_once(
        lambda: run_ok(run_cmd, ["flow-zonecheck", "-z", str(z5), "-L", inside, "-o", "tsv"],
                       f5, (2,)),
        lambda: run_ok(run_cmd, ["flow-zonecheck", "-z", str(z6), "-L", inside + "," + inside6,
                                 "-o", "tsv"], f6, (2,)))
    rows = []
    for ln in got.splitlines()[1:]:
        cells = ln.split("\t")
        cells[2], cells[4] = back(cells[2]), back(cells[4])
        rows.append("\t".join(cells))
    assert rows == want.splitlines()[1:] and rows
    assert any(":" in ln.split("\t")[2] for ln in got.splitlines()[1:])   # IPv6 servers
    servers = {r.split("\t")[2] for r in rows}
    for kind in ("zone_ingress_alerts", "zone_red_alerts"):
        assert set(labels["detections"][kind]["expected_servers"]) <= servers



@pytest.mark.parametrize("argv", [["flow-portrank", "-t", "25", "-o", "tsv"],
                                  ["flow-portrank", "-d", "-t", "10", "-o", "tsv"],
                                  ["flow-icmpdecode", "-u", "-o", "tsv"]])
def test_split_runs_on_the_mixed_capture(run_cmd, capture, argv):
    """-j 2 (issue 14) merges the partial tables of 128-bit hosts exactly."""
    _, f6 = pair_files(capture, "pr-all", lambda r: r["prot"] != ICMP)
    _, g6 = pair_files(capture, "syn")
    one = run_ok(run_cmd, argv + [str(f6)], g6)
    assert run_ok(run_cmd, argv + ["-j", "2", str(f6)], g6) == one
    assert "2001:db8::" in one
