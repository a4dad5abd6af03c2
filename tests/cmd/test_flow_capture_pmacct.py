"""flow-capture hearing pmacct (issue 11, a second real exporter): pmacctd
1.7.7's nfprobe plugin exports a pcap made here as NetFlow v9 and IPFIX, and
every stored record equals what pmacct is expected to make of the capture,
worked out in plain Python from the pcap file itself.

What pmacct 1.7.7 does, and how the test uses it (CONFIG-KEYS, its source):
- pcap_savefile: pmacctd reads the file, sleeps 2 s (hard-wired, "to let the
  plugins finish"), signals its plugins and exits once one has exited.  The
  nfprobe plugin never expires flows by time while reading a savefile (its
  nfprobe_timeouts do not apply); it exports every flow when told to stop
  ("Shutting down on user request").  So once pmacctd and its plugin are
  gone (EOF on their output), the whole export is in flow-capture's socket.
  The core's status is 0 or 1 by a race of its own (which of its SIGCHLD
  handler and its wait() reaps the plugin), so the log is what is checked.
  pcap_savefile_delay: 1 shortens the startup sleep (2 s when 0 or unset);
  pcap_savefile_wait would keep it running until killed: not wanted.
- nfprobe keeps softflowd 0.9.7's bidirectional flows: one record a
  direction, both with the conversation's first and last packet times; the
  ToS of a direction is that of the conversation's last packet if that went
  its way, else 0 (each packet overwrites both slots: "// XXX" in its
  source); ICMP type and code go into dstport (srcport 0), so a request and
  its reply are two conversations.
- Times: flowStart/EndMilliseconds (152/153) by default, v9 and IPFIX;
  with timestamps_secs, v9 sends uptime milliseconds (22/21) against a
  header whose export time has whole seconds; with nfprobe_tstamp_usec,
  154/155 come 16 bytes long (a struct timeval), not RFC 7011's 8-byte NTP
  time: flow-capture (like nfdump) cannot read them, and the record is
  stored with the times of a record without times (First = Last =
  sysUpTime), its other fields intact.
"""
import contextlib
import os
import shutil
import struct
import subprocess
import time

import pytest

import collector as c
import harness

PMACCTD = shutil.which("pmacctd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")

pytestmark = pytest.mark.skipif(PMACCTD is None, reason="pmacctd (Debian package pmacct) "
                                "is not installed")

A = 0x0A000001          # 10.0.0.1
B = 0xC0A80114          # 192.168.1.20
C = 0xAC100509          # 172.16.5.9
D = 0xCB0071C8          # 203.0.113.200

# mode: (nfprobe_version, extra plugin keys, how the stored times compare)
MODES = {
    "v9": ("9", {}, "exact"),
    "v9-uptime": ("9", {"timestamps_secs": "true"}, "uptime"),
    "ipfix": ("10", {}, "exact"),
    "ipfix-usec": ("10", {"nfprobe_tstamp_usec": "true"}, "unreadable"),
}


def _packets():
    """[(time in whole microseconds, IP packet)]: conversations whose last
    packet goes either way, ToS that pmacct keeps or drops, an ICMP request,
    reply and error, GRE, high addresses and ports; sub-millisecond times."""
    # recent, as an exporter's uptime-relative times expect (49.7-day wrap)
    t0 = (int(time.time()) - 60) * 1000000 + 123456
    tcp, udp, icmp = c.tcp, c.udp_, c.icmp
    pk = [
        (A, D, 6, tcp(40000, 443, 0x02), 0x00),
        (D, A, 6, tcp(443, 40000, 0x12), 0x28),
        (A, D, 6, tcp(40000, 443, 0x10, b"x" * 1200), 0x00),
        (C, B, 17, udp(5353, 53, b"q" * 30), 0x10),
        (D, A, 6, tcp(443, 40000, 0x18, b"y" * 1400), 0x28),
        (B, C, 17, udp(53, 5353, b"r" * 90), 0x20),     # last of its conversation
        (A, C, 1, icmp(8, 0, b"p" * 56), 0x00),
        (C, A, 1, icmp(0, 0, b"p" * 56), 0x00),
        (B, D, 17, udp(123, 123, b"n" * 48), 0x10),
        (A, C, 1, icmp(8, 0, b"p" * 56), 0x00),
        (B, C, 47, b"\0\0\x08\0" + b"g" * 64, 0x00),
        (D, A, 1, icmp(3, 1, b"e" * 28), 0xC0),
        (B, C, 6, tcp(65535, 22, 0x02), 0x00),
        (B, D, 17, udp(123, 123, b"n" * 48), 0x10),
        (A, D, 6, tcp(40000, 443, 0x14), 0xB8),         # RST, last of its conversation
    ]
    return [(t0 + 137321 * i + (i % 3) * 999, c.ip_packet(s, d, p, pl, tos=tos))
            for i, (s, d, p, pl, tos) in enumerate(pk)]


def read_pcap(path):
    """[(ms, src, dst, proto, tos, length, sport, dport, tcp_flags)] read back
    from the pcap file (Ethernet frames, IPv4, no options)."""
    data = path.read_bytes()
    out, at = [], 24
    while at < len(data):
        sec, usec, caplen, _ = struct.unpack_from("<IIII", data, at)
        ip = data[at + 16 + 14:at + 16 + caplen]
        at += 16 + caplen
        tos, length, proto, src, dst = struct.unpack_from("!xBH5xB2xII", ip)
        l4 = ip[(ip[0] & 15) * 4:]
        sport = dport = flags = 0
        if proto in (6, 17):
            sport, dport = struct.unpack_from("!HH", l4)
            flags = l4[13] if proto == 6 else 0
        elif proto == 1:
            dport = l4[0] << 8 | l4[1]
        out.append((sec * 1000 + usec // 1000, src, dst, proto, tos, length, sport, dport,
                    flags))
    return out


def expected(pkts):
    """The records pmacct's nfprobe makes of packets: {key: fields}."""
    convs = {}
    for ms, src, dst, proto, tos, length, sport, dport, flags in pkts:
        ends = tuple(sorted([(src, sport), (dst, dport)]))
        cv = convs.setdefault((proto, ends), {"first": ms, "dirs": {}})
        cv["last"], cv["last_dir"] = ms, (src, sport)
        d = cv["dirs"].setdefault((src, sport), {
            "srcaddr": src, "dstaddr": dst, "srcport": sport, "dstport": dport, "prot": proto,
            "dPkts": 0, "dOctets": 0, "tcp_flags": 0, "tos": 0})
        d["dPkts"] += 1
        d["dOctets"] += length
        d["tcp_flags"] |= flags
        d["tos"] = tos
    want = {}
    for cv in convs.values():
        for end, d in cv["dirs"].items():
            r = dict(d, First=cv["first"], Last=cv["last"], input=0, output=0, nexthop=0,
                     src_mask=0, dst_mask=0, src_as=0, dst_as=0, engine_type=0, engine_id=0,
                     exaddr=c.LOCAL)
            if end != cv["last_dir"]:
                r["tos"] = 0
            want[key(r)] = r
    return want


def key(r):
    return r["srcaddr"], r["dstaddr"], r["srcport"], r["dstport"], r["prot"]


def absolute(r):
    """(First, Last) as absolute ms modulo 2^32, as flow-tools computes them."""
    base = r["unix_secs"] * 1000 + r["unix_nsecs"] // 1000000 - r["sysUpTime"]
    return (base + r["First"]) % (1 << 32), (base + r["Last"]) % (1 << 32)


def signed(d):
    d %= 1 << 32
    return d - (1 << 32) if d >= 1 << 31 else d


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """{mode: (stored header, records, flow-capture log, want)}: every mode
    exported by its own pmacctd into its own flow-capture, all at once."""
    tmp = tmp_path_factory.mktemp("pmacct")
    pcap = tmp / "t.pcap"
    c.write_pcap(pcap, [(us / 1e6, ip) for us, ip in _packets()])
    want = expected(read_pcap(pcap))
    ports = {m: c.free_port() for m in MODES}
    with contextlib.ExitStack() as stack:
        caps = {m: stack.enter_context(c.capture(tmp / m, ports[m], "-N", "0", wait=False))
                for m in MODES}
        for cap in caps.values():          # started together, then each one ready
            cap.ready()
        runs = {}
        for m, (version, extra, _) in MODES.items():
            conf = tmp / (m + ".conf")
            keys = dict(pcap_savefile=pcap, pcap_savefile_delay=1, pmacctd_nonroot="true",
                        plugins="nfprobe", nfprobe_receiver="127.0.0.1:%d" % ports[m],
                        nfprobe_version=version,
                        aggregate="src_host,dst_host,src_port,dst_port,proto,tos,tcpflags",
                        **extra)
            conf.write_text("".join("%s: %s\n" % kv for kv in keys.items()))
            runs[m] = subprocess.Popen([PMACCTD, "-f", str(conf)], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       env=harness.peer_env())
            stack.callback(runs[m].kill)
        out = {}
        for m, pm in runs.items():
            # EOF on its output: the core and the plugin are both gone
            log = pm.communicate(timeout=60)[0].decode(errors="replace")
            # the core exits 0, or 1 when its SIGCHLD handler reaps the
            # plugin before its wait() does ("no more plugins active"):
            # either way after the plugin's flush at stop
            assert pm.returncode in (0, 1) and "ERROR" not in log, (m, log)
            assert "Shutting down on user request" in log, (m, log)
            assert c.wait_drained(ports[m])
            status, err = caps[m].stop()
            assert status == 0, (m, err)
            (f,) = c.files(tmp / m)
            h, recs = c.read(f)
            out[m] = h, recs, err, want
    return out


@pytest.mark.parametrize("mode", list(MODES))
def test_pmacct_export_stored_as_the_pcap_says(exports, mode):
    h, recs, log, want = exports[mode]
    version, _, times = MODES[mode]
    assert "New exporter" in log and "d_version=%s" % version in log, log
    assert "malformed" not in log, log
    # v9 sequences count datagrams, IPFIX ones data records: none missing
    assert (h["d_version"], h["pkts_corrupt"], h["flows_lost"], h["seq_reset"]) == (5, 0, 0, 0)
    assert len(want) == 10                 # the capture's directions, as pmacct sees them
    got = {key(r): r for r in recs}
    assert len(got) == len(recs) == h["flows_count"] and set(got) == set(want), \
        (sorted(set(got) ^ set(want)), log)
    fields = [f for f in next(iter(want.values())) if f not in ("First", "Last")]
    for k, w in want.items():
        r = got[k]
        assert {f: r[f] for f in fields} == {f: w[f] for f in fields}, k
        first, last = absolute(r)
        if times == "exact":
            assert (first, last) == (w["First"] % (1 << 32), w["Last"] % (1 << 32)), k
        elif times == "uptime":
            # 22/21 are exact against the exporter's boot; the v9 header's
            # export time drops the fraction of its second: the stored times
            # are up to 999 ms early (+-1 ms of pmacct's rounding)
            assert -1001 <= signed(first - w["First"]) <= 1, (k, signed(first - w["First"]))
            assert abs((last - first) - (w["Last"] - w["First"])) <= 1, k
        else:
            assert r["First"] == r["Last"] == r["sysUpTime"], k
