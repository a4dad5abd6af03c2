"""flow-capture -V 1006 with real peers (issue 12): a capture of IPv6 and
IPv4 packets built here (TCP handshakes with data, a SYN-only scan of many
hosts and ports with a few RST/ACK answers, ICMPv6 unreachables, echo and
packet-too-big, UDP), exported by softflowd -6 as NetFlow v9 and IPFIX;
the very same datagrams go to flow-capture and to nfdump's nfcapd, and
every stored flow equals what nfdump shows, field by field.  With the
default v5 the IPv6 flows are counted and dropped with one log line;
flow-cat -V 5 of the v1006 capture keeps exactly its IPv4 flows; flow-receive
-V 1006 writes the same records."""
import datetime
import ipaddress
import shutil
import subprocess
import time

import pytest

import collector as c
import oracle

pytestmark = pytest.mark.skipif(
    not (shutil.which("softflowd") and shutil.which("nfcapd") and shutil.which("nfdump")),
    reason="softflowd and nfdump (nfcapd) are needed")

A4, B4, C4 = 0x0A000001, 0x0A000002, 0x0A000003
SCANNER = "2001:db8:bad::1"
ROUTER = "2001:db8:30::fe"
WRAP = 1 << 32          # 32-bit millisecond uptimes: times agree modulo 2^32 ms


def _packets():
    """(time, packet) of the test capture: recent times, as softflowd
    stamps its datagrams with the time now."""
    pk = []
    # TCP handshakes with data, closed both ways
    for i, (client, port) in enumerate((("2001:db8:10::1", 80), ("2001:db8:10::2", 443),
                                        ("2001:db8:10::3", 80))):
        server, cp = "2001:db8:20::80", 40000 + i
        pk += [(client, server, 6, c.tcp(cp, port, 0x02)),
               (server, client, 6, c.tcp(port, cp, 0x12)),
               (client, server, 6, c.tcp(cp, port, 0x10)),
               (client, server, 6, c.tcp(cp, port, 0x18, b"G" * (100 + 10 * i))),
               (server, client, 6, c.tcp(port, cp, 0x18, b"H" * 1200)),
               (client, server, 6, c.tcp(cp, port, 0x11)),
               (server, client, 6, c.tcp(port, cp, 0x11))]
    # a SYN-only scan: 12 hosts x 5 ports; two hosts answer RST/ACK
    for h in range(1, 13):
        for port in (22, 23, 80, 445, 3389):
            dst = "2001:db8:30::%x" % h
            pk.append((SCANNER, dst, 6, c.tcp(50000 + h, port, 0x02)))
            if h in (3, 7):
                pk.append((dst, SCANNER, 6, c.tcp(port, 50000 + h, 0x14)))
    # ICMPv6: unreachables (no route, address, port) to the scanner, echo,
    # packet too big
    for code in (0, 3, 4):
        pk.append((ROUTER, SCANNER, 58, c.icmp6(1, code, b"u" * (40 + code))))
    pk += [("2001:db8:10::1", "2001:db8:20::80", 58, c.icmp6(128, 0, b"p" * 56)),
           ("2001:db8:20::80", "2001:db8:10::1", 58, c.icmp6(129, 0, b"p" * 56)),
           (ROUTER, "2001:db8:10::2", 58, c.icmp6(2, 0, b"b" * 1232))]
    # UDP (with a traffic class, which softflowd 1.1.0 does not export for IPv6)
    pk += [("2001:db8:10::1", "2001:db8::53", 17, c.udp_(5353, 53, b"q" * 30)),
           ("2001:db8::53", "2001:db8:10::1", 17, c.udp_(53, 5353, b"r" * 90))]
    # IPv4 in the same capture
    pk4 = [(A4, B4, 6, c.tcp(41000, 80, 0x02)), (B4, A4, 6, c.tcp(80, 41000, 0x12)),
           (A4, B4, 6, c.tcp(41000, 80, 0x18, b"x" * 100)),
           (B4, A4, 6, c.tcp(80, 41000, 0x11, b"y" * 400)),
           (A4, C4, 17, c.udp_(5353, 53, b"q" * 30)),
           (A4, C4, 1, c.icmp(8, 0, b"p" * 56)), (C4, A4, 1, c.icmp(3, 3, b"p" * 28))]
    t = float(int(time.time()) - 60)
    out = []
    for i, (s, d, p, pl) in enumerate(pk):
        tc = 0x28 if p == 17 else 0
        out.append((t + 0.011 * i, c.ip6_packet(s, d, p, pl, tclass=tc, flow_label=i)))
    for i, (s, d, p, pl) in enumerate(pk4):
        out.append((t + 0.5 + 0.013 * i, c.ip_packet(s, d, p, pl, tos=0x10 if p == 17 else 0)))
    return out


N6, N4 = 3 * 2 + 60 + 10 + 6 + 2, 5       # flows softflowd makes of them


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """softflowd's v9 and IPFIX exports of the capture: {version: datagrams}."""
    d = tmp_path_factory.mktemp("sf")
    pcap = d / "mixed.pcap"
    c.write_pcap(pcap, _packets())
    return {v: c.softflowd_export(pcap, v, d / "sf.pid") for v in ("9", "10")}


def capture(tmp_path, datagrams, *args, name="wd"):
    """flow-capture ARGS fed the datagrams: (records, header, log)."""
    wd = tmp_path / name
    port = c.free_port()
    with c.capture(wd, port, "-N", "0", *args) as p:
        c.send_all(port, datagrams)
        assert c.wait_drained(port)
        status, err = p.stop()
    assert status == 0, err
    (f,) = c.files(wd)
    h, recs = c.read(f)
    return recs, h, err, f


def addr(r, name):
    a = ipaddress.IPv6Address(oracle.addr6(r, name))
    return str(a.ipv4_mapped or a)


FLAG_LETTERS = "CEUAPRSF"       # nfdump's flag string, bit 7 .. bit 0


def flags_text(v):
    return "".join(ch if v & (0x80 >> k) else "." for k, ch in enumerate(FLAG_LETTERS))


def abs_ms(r, field):
    return (r["unix_secs"] * 1000 + r["unix_nsecs"] // 1000000 - r["sysUpTime"]
            + r[field]) % WRAP


def nf_ms(text):
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f")
    return round((t - datetime.datetime(1970, 1, 1)).total_seconds() * 1000) % WRAP


ICMP = (1, 58)


def ours(r):
    icmp = r["prot"] in ICMP
    return (addr(r, "srcaddr"), addr(r, "dstaddr"), r["prot"],
            0 if icmp else r["srcport"], r["dstport"],
            None if icmp else flags_text(r["tcp_flags"]),
            r["dPkts"], r["dOctets"], r["tos"], r["input"], r["output"], r["src_mask"],
            r["dst_mask"], addr(r, "exaddr") if "exaddr6_0" in r else
            str(ipaddress.IPv4Address(r["exaddr"])), abs_ms(r, "First"), abs_ms(r, "Last"))


def theirs(f):
    icmp = f["proto"] in ICMP
    return (f.get("src6_addr") or f["src4_addr"], f.get("dst6_addr") or f["dst4_addr"],
            f["proto"], 0 if icmp else f.get("src_port", 0),
            f["icmp_type"] << 8 | f["icmp_code"] if icmp else f["dst_port"],
            None if icmp else f.get("tcp_flags"),
            f["in_packets"], f["in_bytes"], f["src_tos"], f["input_snmp"], f["output_snmp"],
            f["src_mask"], f["dst_mask"], f["ip4_router"], nf_ms(f["first"]), nf_ms(f["last"]))


@pytest.mark.parametrize("version", ["9", "10"])
def test_every_stored_flow_equals_nfdump(tmp_path, exports, version):
    dgs = exports[version]
    recs, h, log, _ = capture(tmp_path, dgs, "-V", "1006", "-S", "0")
    assert h["d_version"] == 1006 and h["pkts_corrupt"] == 0, log
    assert "IPv6 flows" not in log, log        # stored: nothing to say
    with c.Nfcapd(tmp_path / "nfcapd") as nf:
        c.send_all(nf.port, dgs)
        flows = nf.flows()
    want = sorted(map(theirs, flows))
    got = sorted(map(ours, recs))
    if version == "9":
        # nfdump 1.7.1 reads icmpTypeCodeIPv6 (IE 139) from IPFIX, not from
        # v9 (0.0 for every ICMPv6 flow): compared in the IPFIX run
        assert {w[4] for w in want if w[2] == 58} == {0}
        want, got = ([x[:4] + (None if x[2] == 58 else x[4],) + x[5:] for x in t]
                     for t in (want, got))
        want.sort(key=repr)
        got.sort(key=repr)
    else:
        # nfdump 1.7.1 swaps softflowd's IPFIX flowStartSysUpTime (22) and
        # flowEndSysUpTime (21): its first is our Last; ours are in order
        assert all(r["First"] <= r["Last"] for r in recs)
        assert any(w[-2] > w[-1] for w in want)
        want, got = (sorted(x[:-2] + tuple(sorted(x[-2:])) for x in t) for t in (want, got))
    assert len(got) == len(want) == N6 + N4, (len(got), len(want))
    diff = [(w, g) for w, g in zip(want, got) if w != g]
    assert not diff, "first differences (nfdump, flow-capture): %r" % diff[:3]
    # what the test's capture holds, seen through both
    v6 = [r for r in recs if not oracle.is_ipv4(r)]
    assert len(v6) == N6
    assert sum(1 for r in v6 if addr(r, "srcaddr") == SCANNER and r["tcp_flags"] == 0x02) == 60
    assert sorted(r["dstport"] for r in v6 if r["prot"] == 58 and addr(r, "dstaddr") == SCANNER) \
        == [1 << 8 | 0, 1 << 8 | 3, 1 << 8 | 4]
    assert {r["dstport"] >> 8 for r in v6 if r["prot"] == 58} == {1, 2, 128, 129}
    assert sum(1 for r in v6 if r["tcp_flags"] == 0x14) == 10          # RST/ACK answers


@pytest.mark.parametrize("version", ["9", "10"])
def test_default_v5_counts_and_drops_ipv6_with_one_line(tmp_path, exports, version):
    """Without -V the IPv6 flows are dropped (counted), one log line (once
    per process, files rotating or not) names the option; the IPv4 flows are those of -V 1006 (the
    same fields, the addresses' last words); flow-cat -V 5 of the v1006
    capture gives exactly them."""
    dgs = exports[version]
    recs6, _, _, f6 = capture(tmp_path, dgs, "-V", "1006", name="v1006")
    port = c.free_port()
    wd = tmp_path / "v5"
    with c.capture(wd, port, "-N", "0") as p:
        c.send_all(port, dgs)
        assert c.wait_drained(port)
        p.loop_passed()                 # a new file: the line is the process's
        c.send_all(port, dgs)           # again: still one line
        assert c.wait_drained(port)
        status, log = p.stop()
    assert status == 0, log
    recs5 = []
    for f5 in c.files(wd):
        h5, recs = c.read(f5)
        assert h5["d_version"] == 5 and h5["pkts_corrupt"] == 0
        recs5 += recs
    line = "flow-capture: IPv6 flows from 127.0.0.1 are counted and dropped; -V 1006 stores them"
    assert log.count("IPv6 flows") == 1 and line in log.splitlines(), log
    ipv4 = [r for r in recs6 if oracle.is_ipv4(r)]
    assert len(ipv4) == N4 and len(recs5) == 2 * N4
    keep = [f for f in oracle.fields("5")]

    def as5(r):
        return tuple(r[k] for k in keep if k not in ("unix_secs", "unix_nsecs", "sysUpTime",
                                                    "First", "Last"))
    assert sorted(map(as5, recs5)) == sorted(map(as5, ipv4 + ipv4))
    # flow-cat -V 5 of the mixed capture: exactly its IPv4 flows, field by field
    r = subprocess.run([str(c.BIN / "flow-cat"), "-V", "5", str(f6)], capture_output=True,
                       env=c.env(), timeout=60)
    assert r.returncode == 0, r.stderr
    h, cat5 = oracle.read_stream(r.stdout)
    assert h["d_version"] == 5
    assert cat5 == [{k: x[k] for k in oracle.fields("5")} for x in ipv4]


def test_flow_receive_v1006_writes_the_same_records(tmp_path, exports):
    dgs = exports["10"]
    recs, _, _, _ = capture(tmp_path, dgs, "-V", "1006")
    port = c.free_port()
    out = tmp_path / "recv.ft"
    p = c.Proc([str(c.BIN / "flow-receive"), "-V", "1006", "-o", str(out),
                "127.0.0.1/0/%d" % port], port)
    with p:
        c.send_all(port, dgs)
        assert c.wait_drained(port)
        status, log = p.stop()
    assert status == 0, log
    h, got = c.read(out)
    assert h["d_version"] == 1006

    def key(r):
        return sorted(tuple(sorted((k, v) for k, v in x.items()
                                   if k not in ("unix_secs", "unix_nsecs", "sysUpTime",
                                                "First", "Last"))) for x in r)
    assert key(got) == key(recs) and len(got) == N6 + N4
