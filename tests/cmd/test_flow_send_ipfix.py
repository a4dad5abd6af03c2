"""flow-send -V 9 (NetFlow v9) and -V 10 (IPFIX): the datagrams on a plain
UDP socket equal the documented model (tests/ipfixenc_oracle.py); an
independent decoder (the PyPI `netflow` package) reads the same field
values; a real collector (nfdump's nfcapd on 127.0.0.1) stores the same
flows as flow-export -f 2 shows for the input: addresses, ports, protocol,
packets, bytes, start and end times in ms, tos, flags, interfaces, AS
numbers, masks, next hop."""
import csv
import datetime
import hashlib
import io
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import threading

import pytest

import collector
import harness
import ipfixenc_oracle as xo
import oracle

SAMPLE = harness.SAMPLES_DIR / "enterprise" / "ft-v05.2004-08-16.090000+0000"

needs_nfdump = pytest.mark.skipif(not (shutil.which("nfcapd") and shutil.which("nfdump")),
                                  reason="nfdump (nfcapd, nfdump) is not installed")


@pytest.fixture(autouse=True)
def _needs(require):
    require("flow-send", "flow-gen", "flow-export")


class Listener:
    """A UDP socket on 127.0.0.1 read by a thread while the sender runs;
    result() once the sender has exited: waits until the socket's queue is
    empty, then stops the thread and returns the datagrams in order."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.dgrams = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.dgrams.append(self.sock.recv(65536))
            except socket.timeout:
                continue

    def result(self):
        assert collector.wait_drained(self.port)
        self._stop.set()
        self._thread.join()
        self.sock.close()
        return self.dgrams

    @property
    def spec(self):
        return "0/127.0.0.1/%d" % self.port


def hand_stream(n=3000, seed=5):
    """v5 records with every field varied, a few engines (domains), header
    times moving on every 100 records; ICMP flows carry type/code in dstport
    and no srcport, GRE flows no ports, as routers send them (nfdump reads
    them so)."""
    rng = random.Random(seed)
    recs = []
    for i in range(n):
        up = 10 ** 8 + 7 * i
        first = up - rng.randrange(10 ** 6)
        prot = rng.choice([1, 6, 17, 47])
        recs.append(oracle.record(
            "5", unix_secs=1700000000 + i // 100, unix_nsecs=rng.randrange(10 ** 9),
            sysUpTime=up, srcaddr=rng.getrandbits(32), dstaddr=rng.getrandbits(32),
            nexthop=rng.getrandbits(32), input=rng.getrandbits(16), output=rng.getrandbits(16),
            dPkts=rng.randrange(1, 1 << 32), dOctets=rng.randrange(1, 1 << 32), First=first,
            Last=rng.randrange(first, up + 1),
            srcport=0 if prot in (1, 47) else rng.getrandbits(16),
            dstport=0 if prot == 47 else rng.getrandbits(16),
            prot=prot, tos=rng.getrandbits(8), tcp_flags=rng.getrandbits(8),
            engine_type=rng.choice([0, 1]), engine_id=rng.choice([0, 3]),
            src_mask=rng.randrange(33), dst_mask=rng.randrange(33),
            src_as=rng.getrandbits(16), dst_as=rng.getrandbits(16)))
    return oracle.v5_stream(recs)


def gen(run_cmd, args):
    st, out, err = run_cmd("flow-gen " + args)
    assert st == 0, err
    return out


def inputs(run_cmd, name):
    if name == "sample":
        return SAMPLE.read_bytes()
    if name == "flow-gen":
        return gen(run_cmd, "-n 1000")
    return hand_stream()


_EXPORTED = {}


def export_rows(run_cmd, stream):
    """flow-export -f 2 of stream: one dict per record, numbers as ints (not
    to be modified: each stream is exported once, the sample is read by four
    tests)."""
    key = hashlib.sha256(stream).digest()
    if key not in _EXPORTED:
        st, out, err = run_cmd(["flow-export", "-f", "2"], stdin=stream)
        assert st == 0, err
        lines = out.decode().splitlines()
        names = lines[0][2:].split(",")
        rows = []
        for r in csv.reader(io.StringIO("\n".join(lines[1:]))):
            rows.append({k: (v if "." in v else int(v)) for k, v in zip(names, r)})
        _EXPORTED[key] = rows
    return _EXPORTED[key]


def abs_ms(row, t):
    return row["unix_secs"] * 1000 + row["unix_nsecs"] // 1000000 - row["sysuptime"] + row[t]


def ip_int(text):
    return struct.unpack("!I", socket.inet_aton(text))[0]


# ---------------------------------------------------------------------------
# the datagrams on the wire

@pytest.mark.parametrize("source", ["flow-gen", "hand"])
@pytest.mark.parametrize("version", [9, 10])
def test_datagrams_equal_the_model(run_cmd, version, source):
    stream = inputs(run_cmd, source)
    _, records = oracle.read_stream(stream)
    lst = Listener()
    res = run_cmd(["flow-send", "-V", str(version), lst.spec], stdin=stream)
    dgrams = lst.result()
    assert res.stderr == b""
    assert all(len(d) <= xo.MAX_LEN for d in dgrams)
    got = xo.parse_all(version, dgrams)
    want = xo.expected(version, "5", records)
    assert len(got) == len(want)
    assert got == want
    # the reference's status: 1 when the last datagram had room for more
    last = want[-1]
    full = len(last.records) == xo.capacity(version, "5", last.template is not None)
    assert res.status == (0 if full else 1)


@pytest.mark.parametrize("version", [9, 10])
def test_other_record_versions(run_cmd, version):
    """v1 (no engines: domain 0), v7, v1005 (tags not sent), v8.1 (dFlows)."""
    for rv in ("1", "7", "1005", "8.1"):
        stream = gen(run_cmd, "-V %s -n 70" % rv)
        _, records = oracle.read_stream(stream)
        lst = Listener()
        res = run_cmd(["flow-send", "-V", str(version), lst.spec], stdin=stream)
        assert res.status == 1 and res.stderr == b""
        assert xo.parse_all(version, lst.result()) == xo.expected(version, rv, records)


def test_empty_stream_and_bad_versions(run_cmd):
    lst = Listener()
    res = run_cmd(["flow-send", "-V", "10", lst.spec], stdin=gen(run_cmd, "-n 0"))
    assert (res.status, res.stderr, lst.result()) == (0, b"", [])
    for v in ("11", "4"):
        res = run_cmd(["flow-send", "-V", v, "0/127.0.0.1/9"], stdin=gen(run_cmd, "-n 1"))
        assert (res.status, res.stderr) == (1, b"flow-send: ftrec_xlate_func(): failed\n")


def test_mask_applies(run_cmd):
    stream = oracle.v5_stream([oracle.record("5", srcaddr=0x0A010203, dstaddr=0xC0A80A0B)])
    lst = Listener()
    run_cmd(["flow-send", "-V", "9", "-m", "255.255.0.0", lst.spec], stdin=stream)
    (m,) = xo.parse_all(9, lst.result())
    assert m.records[0][:2] == (0x0A010000, 0xC0A80000)


# ---------------------------------------------------------------------------
# an independent decoder: the netflow package

@pytest.mark.parametrize("version", [9, 10])
def test_netflow_package_reads_the_same_fields(run_cmd, version):
    nf_v9 = pytest.importorskip("netflow.v9")
    nf_ipfix = pytest.importorskip("netflow.ipfix")
    stream = SAMPLE.read_bytes()
    rows = export_rows(run_cmd, stream)
    lst = Listener()
    res = run_cmd(["flow-send", "-V", str(version), lst.spec], stdin=stream)
    assert res.status in (0, 1) and res.stderr == b""
    templates = {}
    got = []
    for d in lst.result():
        if version == 9:
            p = nf_v9.V9ExportPacket(d, templates)
            h = p.header
            for f in p.flows:
                got.append((
                    ip_int(f.IPV4_SRC_ADDR), ip_int(f.IPV4_DST_ADDR), ip_int(f.IPV4_NEXT_HOP),
                    f.INPUT_SNMP, f.OUTPUT_SNMP, f.IN_PKTS, f.IN_BYTES,
                    h.timestamp * 1000 - h.uptime + f.FIRST_SWITCHED,
                    h.timestamp * 1000 - h.uptime + f.LAST_SWITCHED,
                    f.L4_SRC_PORT, f.L4_DST_PORT, f.ICMP_TYPE, f.TCP_FLAGS, f.PROTOCOL,
                    f.SRC_TOS, f.SRC_AS, f.DST_AS, f.SRC_MASK, f.DST_MASK,
                    f.ENGINE_TYPE, f.ENGINE_ID, h.source_id))
        else:
            p = nf_ipfix.IPFIXExportPacket(d, templates)
            h = p.header
            for f in p.flows:
                got.append((
                    f.sourceIPv4Address, f.destinationIPv4Address, f.ipNextHopIPv4Address,
                    f.ingressInterface, f.egressInterface, f.packetDeltaCount,
                    f.octetDeltaCount, f.flowStartMilliseconds, f.flowEndMilliseconds,
                    f.sourceTransportPort, f.destinationTransportPort, f.icmpTypeCodeIPv4,
                    f.tcpControlBits, f.protocolIdentifier, f.ipClassOfService,
                    f.bgpSourceAsNumber, f.bgpDestinationAsNumber, f.sourceIPv4PrefixLength,
                    f.destinationIPv4PrefixLength, f.engineType, f.engineId,
                    h.obervation_domain_id))
    want = [(ip_int(r["srcaddr"]), ip_int(r["dstaddr"]), ip_int(r["nexthop"]), r["input"],
             r["output"], r["dpkts"], r["doctets"], abs_ms(r, "first"), abs_ms(r, "last"),
             r["srcport"], r["dstport"], r["dstport"] if r["prot"] == 1 else 0,
             r["tcp_flags"], r["prot"], r["tos"], r["src_as"], r["dst_as"], r["src_mask"],
             r["dst_mask"], r["engine_type"], r["engine_id"],
             r["engine_type"] << 8 | r["engine_id"])
            for r in rows]
    assert len(got) == len(want) == 57556
    diff = [(w, g) for w, g in zip(want, got) if w != g]
    assert not diff, "first differences (flow-export, netflow): %r" % diff[:3]


# ---------------------------------------------------------------------------
# a real collector: nfdump's nfcapd

FLAG_LETTERS = "CEUAPRSF"       # nfdump's flag string, bit 7 .. bit 0


def _flags_text(v):
    return "".join(c if v & (0x80 >> k) else "." for k, c in enumerate(FLAG_LETTERS))


def _iso_ms(ms):
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (ms % 1000)


def _nfdump_json(directory):
    res = subprocess.run(["nfdump", "-R", str(directory), "-q", "-N", "-o", "json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                         env=harness.peer_env(dict(os.environ, TZ="UTC")))
    assert res.returncode == 0, res.stderr
    text = res.stdout.decode().strip().rstrip(",")
    if text.startswith("No matching flows") or not text:
        return []
    return json.loads("[" + text + "]")


def _nfcapd_flows(run_cmd, tmp_path, version, stream, pace):
    port = collector.free_port()
    store = tmp_path / "nfcapd"
    store.mkdir()
    nf = subprocess.Popen(["nfcapd", "-w", str(store), "-p", str(port), "-b", "127.0.0.1",
                           "-B", str(1 << 23)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          start_new_session=True, env=harness.peer_env())
    try:
        assert collector.wait_for(lambda: nf.poll() is not None or collector.port_bound(port, nf.pid))
        assert nf.poll() is None, nf.stdout.read()
        res = run_cmd(["flow-send", "-V", str(version), "-x", str(pace),
                       "0/127.0.0.1/%d" % port], stdin=stream, timeout=120)
        assert res.status in (0, 1) and res.stderr == b""
        assert collector.wait_drained(port)
    finally:
        nf.send_signal(signal.SIGTERM)
        try:
            log = nf.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            os.killpg(nf.pid, signal.SIGKILL)
            log = nf.communicate()[0]
    return _nfdump_json(store), log.decode(errors="replace")


@needs_nfdump
@pytest.mark.parametrize("source", ["sample", "flow-gen", "hand"])
@pytest.mark.parametrize("version", [9, 10])
def test_real_collector_nfcapd(run_cmd, tmp_path, version, source):
    stream = inputs(run_cmd, source)
    rows = export_rows(run_cmd, stream)
    flows, log = _nfcapd_flows(run_cmd, tmp_path, version, stream,
                               50 if source == "sample" else 0)
    assert len(flows) == len(rows), log
    assert "Sequence Errors: 0," in log, log     # nfcapd checks our sequence numbers

    want = sorted(
        (_iso_ms(abs_ms(r, "first")), _iso_ms(abs_ms(r, "last")), r["srcaddr"], r["dstaddr"],
         r["srcport"], r["dstport"], r["prot"],
         None if r["prot"] == 1 else _flags_text(r["tcp_flags"]),
         r["dpkts"], r["doctets"], r["input"], r["output"], r["src_as"], r["dst_as"],
         r["src_mask"], r["dst_mask"], r["tos"], r["nexthop"])
        for r in rows)
    got = sorted(
        (f["first"], f["last"], f["src4_addr"], f["dst4_addr"],
         f.get("src_port", 0), f["dst_port"] if "dst_port" in f
         else f["icmp_type"] << 8 | f["icmp_code"], f["proto"], f.get("tcp_flags"),
         f["in_packets"], f["in_bytes"], f["input_snmp"], f["output_snmp"], f["src_as"],
         f["dst_as"], f["src_mask"], f["dst_mask"], f["src_tos"], f["ip4_next_hop"])
        for f in flows)
    diff = [(w, g) for w, g in zip(want, got) if w != g]
    assert not diff, "first differences (flow-export, nfdump): %r" % diff[:3]
