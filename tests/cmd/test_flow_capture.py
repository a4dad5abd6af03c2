"""flow-capture as a process on 127.0.0.1: a real exporter (softflowd over
a pcap made here), round trips of every record version, file names,
nesting and header TLVs (formats.md 2.5, 7), hostile input, signals under
load, remoteip, expiry, the daemon's pidfile, option errors."""
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time

import pytest

import collector as c
import harness
import oracle
from pyflowtools.netflow import pdu, udp
from pyflowtools.core.native import ffi, layout, lib, rec_size

NAME = re.compile(r"^ft-v(\d\d+)(m\d\d)?\.\d{4}-\d\d-\d\d\.\d{6}[+-]\d{4}$")
VERSIONS = ["1", "5", "6", "7"] + ["8.%d" % m for m in range(1, 15)]


def rt_of(version):
    v, _, m = version.partition(".")
    return lib.ftc_rectype(int(v), int(m or 0))


def gen(rt, n, start=0):
    buf = bytearray(n * rec_size(rt))
    assert lib.ftc_recs_gen(rt, start, n, ffi.from_buffer("uint8_t[]", buf)) >= 0
    return bytes(buf)


def sender(port):
    return udp.sender(("127.0.0.1", port))


def expected(version, recs):
    """What flow-capture stores for records sent by our encoder (formats.md
    6.5): exaddr = the exporter; v6/v7/v8 engine_type = the datagram's
    engine_id, engine_id 0; v6 encaps/peer_nexthop and v8.10 input/output
    not copied; v8.8 prot and v8.10 ports never sent."""
    out = []
    for r in recs:
        r = dict(r)
        if "exaddr" in r:
            r["exaddr"] = c.LOCAL
        if version not in ("1", "5") and "engine_id" in r:
            r["engine_type"], r["engine_id"] = r["engine_id"], 0
        if version == "6":
            r.update(in_encaps=0, out_encaps=0, peer_nexthop=0)
        if version == "8.10":
            r.update(input=0, output=0, srcport=0, dstport=0)
        if version == "8.8":
            r["prot"] = 0
        out.append(r)
    return out


def capture_tlvs(version, comment=False):
    t = [2] + ([3, 4] if version.startswith("8") else []) + [6, 7, 8, 10, 11, 13, 14, 15]
    return t + ([16] if comment else [])


# ---------------------------------------------------------------- round trip

def test_round_trip_every_version(tmp_path):
    """All 18 datagram versions at once, one collector each; records,
    names and headers as formats.md says."""
    n = 200
    runs = []
    clock = c.Clock(tmp_path / "clock").past_midnight()
    try:
        for version in VERSIONS:
            port = c.free_port()
            wd = tmp_path / version
            runs.append((version, port, wd, c.capture(wd, port, "-N", "0", "-C", "rt",
                                                      clock=clock, wait=False)))
        for *_, proc in runs:
            proc.ready()
        for version, port, _wd, _ in runs:
            rt = rt_of(version)
            recs = gen(rt, n)
            s = sender(port)
            with s.sock:
                s.send_list(pdu.encode(recs, rt))
        for _version, port, _wd, proc in runs:
            assert c.wait_drained(port)
            status, err = proc.stop(signal.SIGTERM)
            assert status == 0, err
    finally:
        for *_, proc in runs:
            proc.__exit__(None, None, None)
    for version, _port, wd, _ in runs:
        rt = rt_of(version)
        fs = c.files(wd)
        assert len(fs) == 1 and not c.files(wd, "tmp"), version
        m = NAME.match(fs[0].name)
        v, _, meth = version.partition(".")
        assert m and int(m.group(1)) == int(v), fs[0].name
        assert m.group(2) == ("m%02d" % int(meth) if meth else None)
        h, got = c.read(fs[0])
        want = expected(version, oracle.decode_records(version, gen(rt, n), "little"))
        assert got == want, version
        assert h["tlv_types"] == capture_tlvs(version, comment=True)
        assert h["flags"] == oracle.HF_DONE | oracle.HF_COMPRESS
        assert h["flows_count"] == n and h["flows_lost"] == 0 and h["pkts_corrupt"] == 0
        assert h["seq_reset"] == 0 and h["comments"] == "rt"
        assert h["cap_hostname"] == os.uname().nodename
        assert 0 < h["cap_start"] <= h["cap_end"] <= clock.now()


@pytest.mark.parametrize("args,order,flags", [
    (["-z", "0"], "little", oracle.HF_DONE),
    (["-b", "big"], "big", oracle.HF_DONE | oracle.HF_COMPRESS),
    (["-z0", "-b", "BIG"], "big", oracle.HF_DONE),
])
def test_byte_order_and_compression(tmp_path, args, order, flags):
    port = c.free_port()
    rt = lib.FTC_RT_V5
    recs = gen(rt, 95)
    with c.capture(tmp_path, port, "-N", "0", *args) as p:
        s = sender(port)
        with s.sock:
            s.send_list(pdu.encode(recs, rt))
        assert c.wait_drained(port)
        assert p.stop(signal.SIGQUIT)[0] == 0
    (f,) = c.files(tmp_path)
    h, got = c.read(f)
    assert h["byte_order"] == order and h["flags"] == flags
    assert h["tlv_types"] == capture_tlvs("5")
    assert got == expected("5", oracle.decode_records("5", recs, "little"))


@pytest.mark.parametrize("nesting,depth", [(0, 0), (1, 1), (2, 2), (3, 3), (-1, 1),
                                           (-2, 2), (-3, 3)])
def test_nesting_directories(tmp_path, nesting, depth):
    port = c.free_port()
    with c.capture(tmp_path, port, "-N", str(nesting), "-V", "5") as p:
        assert c.wait_for(lambda: c.files(tmp_path, "tmp"))   # with -V: opened at once
        assert p.stop()[0] == 0
    (f,) = c.files(tmp_path)
    rel = f.relative_to(tmp_path).parts
    assert len(rel) == depth + 1
    day = NAME.match(rel[-1]) and rel[-1].split(".")[1]
    y, mo, _ = day.split("-")
    want = {0: [], 1: [y], 2: [y, y + "-" + mo], 3: [y, y + "-" + mo, day],
            -1: [day], -2: [y + "-" + mo, day], -3: [y, y + "-" + mo, day]}[nesting]
    assert list(rel[:-1]) == want
    h, recs = c.read(f)
    assert recs == [] and h["flows_count"] == 0 and h["d_version"] == 5


def test_version_fixed_translation_and_v8_mismatch(tmp_path):
    """-V 5: v1 and v7 datagrams are translated; v8 is rejected (rule 7)."""
    port = c.free_port()
    v1 = gen(lib.FTC_RT_V1, 10)
    v7 = gen(lib.FTC_RT_V7, 10)
    v8 = gen(lib.FTC_RT_V8_1, 10)
    with c.capture(tmp_path, port, "-N", "0", "-V", "5") as p:
        s = sender(port)
        with s.sock:
            s.send_list(pdu.encode(v1, lib.FTC_RT_V1) + pdu.encode(v7, lib.FTC_RT_V7)
                        + pdu.encode(v8, lib.FTC_RT_V8_1))
        assert c.wait_drained(port)
        assert p.stop()[0] == 0
    (f,) = c.files(tmp_path)
    h, recs = c.read(f)
    assert h["flows_count"] == 20 and h["pkts_corrupt"] == 1
    v1r = oracle.decode_records("1", v1, "little")
    assert [r["srcaddr"] for r in recs[:10]] == [r["srcaddr"] for r in v1r]
    assert all(r["output"] == 0 for r in recs[:10])        # v1 -> v5 loses output


def test_sequence_accounting_in_header(tmp_path):
    """formats.md 6.6's verified case: lost 10, 2 resets."""
    port = c.free_port()

    def v5(seq, count, engine=(0, 0)):
        hdr = struct.pack("!HHIIIIBBH", 5, count, 1000, 1700000000, 0, seq,
                          engine[0], engine[1], 0)
        return hdr + bytes(48 * count)
    dgrams = [v5(0, 3), v5(3, 2), v5(15, 1), v5(5000, 1, (1, 2)), v5(100000, 1), v5(5, 1)]
    with c.capture(tmp_path, port, "-N", "0") as p:
        s = sender(port)
        with s.sock:
            s.send_list(dgrams)
        assert c.wait_drained(port)
        status, err = p.stop()
    assert status == 0
    assert "New exporter" in err and "ftpdu_seq_check()" in err
    (f,) = c.files(tmp_path)
    h, recs = c.read(f)
    assert (h["flows_lost"], h["seq_reset"], h["flows_count"]) == (10, 2, 9)


def test_ipv6_dual_stack_socket(tmp_path):
    """::/::/port takes IPv4 exporters (exaddr kept) and IPv6 ones (exaddr 0)."""
    if not c.ipv6_loopback():
        pytest.skip("no IPv6")
    port = c.free_port()
    rt = lib.FTC_RT_V5
    try:
        p = c.capture(tmp_path, port, "-N", "0", spec="::/::/%d" % port, host="::")
    except AssertionError as e:
        pytest.skip("no IPv6 socket: %s" % e)
    with p:
        s4 = sender(port)
        s6 = udp.sender(("::1", port))
        with s4.sock, s6.sock:
            s4.send_list(pdu.encode(gen(rt, 30), rt))
            s6.send_list(pdu.encode(gen(rt, 30, 30), rt))
        assert c.wait_drained(port)
        assert p.stop()[0] == 0
    (f,) = c.files(tmp_path)
    h, recs = c.read(f)
    assert len(recs) == 60
    assert sorted(r["exaddr"] for r in recs) == [0] * 30 + [c.LOCAL] * 30


# ---------------------------------------------------------------- hostile input

def _bad_datagrams(rng, good):
    """Malformed datagrams of every kind, each rejected by construction."""
    bad = []
    for i in range(3000):
        kind = i % 8
        g = good[i % len(good)]
        if kind == 0:                        # random bytes, wrong version forced
            d = bytearray(rng.randbytes(rng.randrange(4, 1500)))
            d[0:2] = struct.pack("!H", rng.choice([0, 2, 3, 4, 9, 10, 0xFFFF]))
            bad.append(bytes(d))
        elif kind == 1:                      # wrong version, otherwise good
            bad.append(struct.pack("!H", rng.choice([2, 4, 9, 1005])) + g[2:])
        elif kind == 2:                      # count larger than the payload
            bad.append(g[:2] + struct.pack("!H", 30) + g[4:24] + g[24:24 + 48])
        elif kind == 3:                      # truncated record
            bad.append(g[:-rng.randrange(1, 47)])
        elif kind == 4:                      # zero-length / shorter than 4 bytes
            bad.append(b"" if i % 16 == 4 else b"\x00\x05\x00"[:rng.randrange(1, 4)])
        elif kind == 5:                      # oversized: truncated at 2048, length check
            bad.append(g + rng.randbytes(3000))
        elif kind == 6:                      # count above the version's maximum
            bad.append(g[:2] + struct.pack("!H", 31) + g[4:] + bytes(48))
        else:                                # one trailing byte
            bad.append(g + b"\0")
    return bad


def test_hostile_input_never_dies_counts_every_bad_datagram(tmp_path):
    rng = random.Random(5)
    rt = lib.FTC_RT_V5
    recs = gen(rt, 30 * 400)
    good = pdu.encode(recs, rt)
    bad = _bad_datagrams(rng, good)
    for d in bad:
        with pytest.raises(pdu.DatagramError):
            pdu.verify(d[:2048])
    mixed = [(0, d) for d in good] + [(1, d) for d in bad]
    rng.shuffle(mixed)
    # keep the good ones in their order (sequence numbers): reinsert
    it = iter(good)
    mixed = [(k, next(it) if k == 0 else d) for k, d in mixed]
    port = c.free_port()
    clock = c.Clock(tmp_path / "clock").past_midnight()
    with c.capture(tmp_path / "wd", port, "-N", "0", "-z", "0", clock=clock) as p:
        s = sender(port)
        with s.sock:
            for i in range(0, len(mixed), 200):
                s.send_list([d for _, d in mixed[i:i + 200]])
                time.sleep(0.002)
        assert c.wait_drained(port)
        assert p.p.poll() is None
        status, err = p.stop()
    assert status == 0 and "Traceback" not in err
    fs = c.files(tmp_path / "wd")
    assert len(fs) == 1
    h, got = c.read(fs[0])
    assert h["pkts_corrupt"] == len(bad)
    assert h["flows_count"] == len(got) == 30 * 400
    assert got == expected("5", oracle.decode_records("5", recs, "little"))
    assert h["flows_lost"] == 0 and h["seq_reset"] == 0


def test_corrupt_before_the_first_good_datagram_go_into_the_first_file(tmp_path):
    port = c.free_port()
    rt = lib.FTC_RT_V5
    with c.capture(tmp_path, port, "-N", "0") as p:
        s = sender(port)
        with s.sock:
            s.send_list([b"", b"\x00\x05", b"\x00\x02" + bytes(30)])
            p.wait_log("ftpdu_verify(): src_ip=127.0.0.1 failed", 3)
            p.loop_passed()
            assert not c.files(tmp_path, "tmp")             # no version yet: no file
            s.send_list(pdu.encode(gen(rt, 10), rt))
        assert c.wait_drained(port)
        assert p.stop()[0] == 0
    (f,) = c.files(tmp_path)
    h, recs = c.read(f)
    assert (h["pkts_corrupt"], h["flows_count"], len(recs)) == (3, 10, 10)


def test_relative_workdir_and_rotation_program(tmp_path):
    (tmp_path / "bin").mkdir()
    prog = tmp_path / "bin" / "r.sh"
    prog.write_text("#!/bin/sh\necho \"$1\" > ../ran\n")
    prog.chmod(0o755)
    port = c.free_port()
    argv = [str(c.BIN / "flow-capture"), "-D", "-w", "wd", "-N", "0", "-V", "1",
            "-R", "bin/r.sh", "127.0.0.1/0/%d" % port]
    with c.Proc(argv, port, cwd=tmp_path) as p:
        assert c.wait_for(lambda: c.files(tmp_path / "wd", "tmp"))
        assert p.stop()[0] == 0
    (f,) = c.files(tmp_path / "wd")
    assert (tmp_path / "ran").read_text() == f.name + "\n"


def test_remoteip_other_sources_counted_corrupt(tmp_path):
    port = c.free_port()
    rt = lib.FTC_RT_V5
    dgrams = pdu.encode(gen(rt, 60), rt)
    with c.capture(tmp_path, port, "-N", "0", "-V", "5",
                   spec="127.0.0.1/127.0.0.2/%d" % port) as p:
        s = sender(port)
        with s.sock:
            s.send_list(dgrams)
        p.wait_log("failed: source is not the configured exporter", len(dgrams))
        assert p.stop()[0] == 0
    (f,) = c.files(tmp_path)
    h, recs = c.read(f)
    assert recs == [] and h["pkts_corrupt"] == len(dgrams)


# ---------------------------------------------------------------- signals

class Load(threading.Thread):
    """Sends v5 datagrams (consecutive sequence numbers) until stopped."""

    def __init__(self, port, rate=20000):
        super().__init__(daemon=True)
        self.port = port
        self.rate = rate
        self.sent_flows = 0
        self.halt = threading.Event()
        rt = lib.FTC_RT_V5
        self.enc = pdu.Encoder(rt)
        self.block = gen(rt, 30 * 50)

    def run(self):
        s = sender(self.port)
        with s.sock:
            while not self.halt.is_set():
                d = self.enc.encode(self.block)
                try:
                    s.send_list(d)
                except OSError:
                    return
                self.sent_flows += 30 * len(d)
                time.sleep(len(d) / self.rate)


def _check_files(wd):
    assert not c.files(wd, "tmp"), "unfinished file left"
    total = 0
    for f in c.files(wd):
        h, recs = c.read(f)          # strict: complete zlib stream, whole records
        assert h["flags"] & oracle.HF_DONE
        assert h["flows_count"] == len(recs), f
        total += len(recs)
    return total


@pytest.mark.parametrize("final", [signal.SIGTERM, signal.SIGQUIT])
def test_signals_under_load_leave_finished_files(tmp_path, final):
    rng = random.Random(final)
    port = c.free_port()
    with c.capture(tmp_path, port, "-N", "0") as p:
        load = Load(port)
        load.start()
        for k in range(1, 5):
            time.sleep(rng.uniform(0.05, 0.3))
            p.send_signal(signal.SIGHUP)
            p.wait_log("SIGHUP", k)      # else two pending SIGHUPs count as one
        time.sleep(rng.uniform(0.05, 0.2))
        load.halt.set()
        load.join()
        assert c.wait_drained(port)
        status, err = p.stop(final)
    assert status == 0, err
    assert err.count("SIGHUP") == 4
    assert _check_files(tmp_path) == load.sent_flows     # nothing accepted is lost
    assert len(c.files(tmp_path)) >= 2


def test_sigterm_in_the_middle_of_load(tmp_path):
    port = c.free_port()
    with c.capture(tmp_path, port, "-N", "0") as p:
        load = Load(port, rate=50000)
        load.start()
        time.sleep(0.7)
        status, err = p.stop(signal.SIGTERM)
        load.halt.set()
        load.join()
    assert status == 0, err
    assert 0 < _check_files(tmp_path) <= load.sent_flows


def rotate(p, wd, clock, k):
    """SIGHUP number k, one second later on the capture's clock (a file
    name per second): wait until the next file is open."""
    assert c.wait_for(lambda: c.files(wd, "tmp")), \
        "no tmp- file (exit status %r): %r" % (p.p.poll(), p.log())
    old = c.files(wd, "tmp")
    clock.advance(1)
    p.send_signal(signal.SIGHUP)
    p.wait_log("SIGHUP", k)
    assert c.wait_for(lambda: c.files(wd, "tmp") not in ([], old))


def test_rotation_program_and_count_expiry(tmp_path):
    """-R runs on each finished file (relative name, in workdir); -e 2
    keeps the two newest finished files plus the open one."""
    wd = tmp_path / "wd"
    log = tmp_path / "ran"
    prog = tmp_path / "prog.sh"
    prog.write_text("#!/bin/sh\necho \"$1 $(pwd)\" >> %s\n" % log)
    prog.chmod(0o755)
    port = c.free_port()
    clock = c.Clock(tmp_path / "clock")
    with c.capture(wd, port, "-N", "1", "-V", "5", "-e", "2", "-R", str(prog),
                   clock=clock) as p:
        for k in range(1, 6):
            rotate(p, wd, clock, k)
        p.wait_log("expired ", 3)                # 5 finished, the 2 newest kept
        assert len(c.files(wd, "tmp")) == 1
        assert len(c.files(wd)) == 2
        assert p.stop()[0] == 0
    assert len(c.files(wd)) == 3                 # the file finished at exit stays
    lines = log.read_text().split("\n")
    names = [ln.split()[0] for ln in lines if ln]
    assert len(names) == 6
    assert all(re.match(r"^\d{4}/ft-v05\.", n) for n in names)
    assert all(ln.split()[1] == str(wd) for ln in lines if ln)


def test_time_rotation_on_the_minute(tmp_path):
    """-n 1439: a file per minute, boundaries on the minute (formats.md 7.4):
    the first file ends at the boundary, the next starts right after.  The
    capture's clock is moved to just before a minute boundary."""
    port = c.free_port()
    rt = lib.FTC_RT_V5
    clock = c.Clock(tmp_path / "clock")
    now = time.time()
    clock.set((int(now) // 60 + 1) * 60 + 10 - now)        # 10 s after a minute
    wd = tmp_path / "wd"
    with c.capture(wd, port, "-N", "0", "-n", "1439", "-V", "5", clock=clock) as p:
        assert c.wait_for(lambda: c.files(wd, "tmp"))
        s = sender(port)
        with s.sock:
            s.send_list(pdu.encode(gen(rt, 30), rt))
            assert c.wait_drained(port)
            boundary = (int(clock.now()) // 60 + 1) * 60
            clock.advance(boundary - 0.3 - clock.now())
            assert c.wait_for(lambda: c.files(wd) and c.files(wd, "tmp"))
            s.send_list(pdu.encode(gen(rt, 30, 30), rt))
        assert c.wait_drained(port)
        assert p.stop()[0] == 0
    first, second = c.files(wd)
    h1, r1 = c.read(first)
    h2, r2 = c.read(second)
    assert h1["cap_end"] in (boundary, boundary + 1) and len(r1) == 30
    assert boundary <= h2["cap_start"] <= boundary + 2 and len(r2) == 30
    assert second.name.endswith(time.strftime("%H%M", time.gmtime(boundary))
                                + "%02d+0000" % (h2["cap_start"] - boundary))


def test_size_expiry(tmp_path):
    port = c.free_port()
    rt = lib.FTC_RT_V5
    clock = c.Clock(tmp_path / "clock")
    wd = tmp_path / "wd"
    with c.capture(wd, port, "-N", "0", "-z", "0", "-E", "40K", clock=clock) as p:
        s = sender(port)
        with s.sock:
            enc = pdu.Encoder(rt)
            for k in range(1, 5):
                s.send_list(enc.encode(gen(rt, 300)))       # 19 KB of records
                assert c.wait_drained(port)
                if k == 1 and not c.wait_for(lambda: c.files(wd, "tmp"), timeout=5):
                    # the first file opens on the first datagram: once (seen one CI
                    # run in many) none had arrived; UDP may lose them, so send again
                    # (a bigger first file only expires sooner: the checks hold)
                    s.send_list(enc.encode(gen(rt, 300)))
                    assert c.wait_drained(port)
                rotate(p, wd, clock, k)
        p.wait_log("expired ", 2)       # 4 x 19 KB finished: the 2 oldest go
        assert p.stop()[0] == 0
    fs = c.files(wd)
    assert len(fs) < 4
    assert sum(f.stat().st_size for f in fs[:-1]) <= 40 * 1024


# ---------------------------------------------------------------- real exporter

A, B, C = 0x0A000001, 0x0A000002, 0xC0A80105


def _conversations():
    """Packets of a small capture and the per-direction flows softflowd
    must export: (src, dst, sport, dport, prot) -> [pkts, octets, flags]."""
    t = 1700000000.0
    pk = [(A, B, 6, c.tcp(40000, 80, 0x02)), (B, A, 6, c.tcp(80, 40000, 0x12)),
          (A, B, 6, c.tcp(40000, 80, 0x10, b"x" * 100)),
          (B, A, 6, c.tcp(80, 40000, 0x18, b"y" * 400)),
          (A, B, 6, c.tcp(40000, 80, 0x11)), (B, A, 6, c.tcp(80, 40000, 0x11)),
          (A, B, 6, c.tcp(40000, 80, 0x10)),
          (A, C, 17, c.udp_(5353, 53, b"q" * 30)), (C, A, 17, c.udp_(53, 5353, b"r" * 60)),
          (A, C, 17, c.udp_(5353, 53, b"q" * 31)),
          (B, C, 17, c.udp_(123, 123, b"n" * 48)),
          (A, C, 1, c.icmp(8, 0, b"p" * 56)), (C, A, 1, c.icmp(0, 0, b"p" * 56))]
    packets, flows = [], {}
    for i, (src, dst, prot, payload) in enumerate(pk):
        ip = c.ip_packet(src, dst, prot, payload)
        packets.append((t + 0.1 * i, ip))
        if prot == 1:
            sport, dport = 0, (payload[0] << 8) | payload[1]
        else:
            sport, dport = struct.unpack("!HH", payload[:4])
        f = flows.setdefault((src, dst, sport, dport, prot), [0, 0, 0])
        f[0] += 1
        f[1] += len(ip)
        f[2] |= payload[13] if prot == 6 else 0
    return packets, flows


@pytest.mark.skipif(shutil.which("softflowd") is None, reason="softflowd not installed")
@pytest.mark.parametrize("version", ["5", "1"])
def test_softflowd_exports_match_the_capture(tmp_path, version):
    packets, flows = _conversations()
    pcap = tmp_path / "t.pcap"
    c.write_pcap(pcap, packets)
    wd = tmp_path / "wd"
    port = c.free_port()
    with c.capture(wd, port, "-N", "0") as p:
        r = subprocess.run(["softflowd", "-r", str(pcap), "-n", "127.0.0.1:%d" % port,
                            "-v", version, "-d", "-p", str(tmp_path / "sf.pid")],
                           capture_output=True, timeout=harness.ceiling(60),
                           env=harness.peer_env())
        assert r.returncode == 0, r.stderr
        assert c.wait_drained(port)
        status, err = p.stop()
    assert status == 0, err
    (f,) = c.files(wd)
    h, recs = c.read(f)
    assert h["d_version"] == int(version) and h["pkts_corrupt"] == 0
    got = {(r["srcaddr"], r["dstaddr"], r["srcport"], r["dstport"], r["prot"]):
           [r["dPkts"], r["dOctets"], r["tcp_flags"]] for r in recs}
    assert len(got) == len(recs)
    assert got == flows
    assert all(r["exaddr"] == c.LOCAL for r in recs)


# ---------------------------------------------------------------- daemon, options

def test_daemon_pidfile_and_sigterm(tmp_path):
    port = c.free_port()
    pidbase = tmp_path / "cap.pid"
    r = subprocess.run([sys.executable, str(c.BIN / "flow-capture"), "-w", str(tmp_path / "wd"),
                        "-p", str(pidbase), "-V", "5", "-N", "0",
                        "127.0.0.1/0/%d" % port], env=c.env(), capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    pidfile = tmp_path / ("cap.pid.%d" % port)
    pid = int(pidfile.read_text())
    try:
        end = time.time() + 10
        while not c.files(tmp_path / "wd", "tmp") and time.time() < end:
            time.sleep(0.1)
        os.kill(pid, signal.SIGTERM)
        end = time.time() + 10
        while pidfile.exists() and time.time() < end:
            time.sleep(0.05)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not pidfile.exists()
    time.sleep(0.2)
    (f,) = c.files(tmp_path / "wd")
    assert c.read(f)[0]["flags"] & oracle.HF_DONE


def _run(args):
    r = subprocess.run([sys.executable, str(c.BIN / "flow-capture")] + args, env=c.env(),
                       capture_output=True, timeout=20)
    return r.returncode, r.stderr.decode()


@pytest.mark.parametrize("args,status,msg", [
    (["-w", "x"], 1, "flow-capture: Specify localip/remoteip/port.\n"),
    (["0/0/9"], 1, "flow-capture: Specify workdir with -w.\n"),
    (["-w", "x", "-N", "4", "0/0/9"], 1, "flow-capture: -3 <= nesting level <= 3\n"),
    (["-w", "x", "-n", "1440", "0/0/9"], 1, "flow-capture: rotations limited to every 1 minute\n"),
    (["-w", "x", "-E", "10Q", "0/0/9"], 1, "flow-capture: scan_size(): failed\n"),
    (["-w", "x", "-t", "tags", "0/0/9"], 1, None),
    (["-w", "x", "-V", "4", "0/0/9"], 1, "flow-capture: Unsupported d_version 4\n"),
    (["-w", "x", "-z", "12", "0/0/9"], 1, None),
    (["-w", "x", "-b", "middle", "0/0/9"], 1, None),
])
def test_option_errors(tmp_path, args, status, msg):
    st, err = _run(args)
    assert st == status
    assert "Traceback" not in err and err.startswith("flow-capture: ")
    if msg:
        assert err == msg


def test_help_and_unknown_option_status():
    st, err = _run(["-h"])
    assert st == 0 and err.startswith("Usage: flow-capture")
    st, err = _run(["-q"])
    assert st == 1


def test_filter_option_stores_only_matching_flows(tmp_path):
    cfg = tmp_path / "filter.cfg"
    cfg.write_text("filter-primitive p\n  type ip-port\n  permit 5\n"
                   "filter-definition five\n  match ip-source-port p\n")
    port = c.free_port()
    rt = lib.FTC_RT_V5
    with c.capture(tmp_path / "wd", port, "-N", "0", "-f", str(cfg), "-F", "five") as p:
        s = sender(port)
        with s.sock:
            s.send_list(pdu.encode(gen(rt, 20), rt))
        assert c.wait_drained(port)
        assert p.stop()[0] == 0
    (f,) = c.files(tmp_path / "wd")
    h, recs = c.read(f)
    assert [r["srcport"] for r in recs] == [5] and h["flows_count"] == 1


def test_sighup_reloads_the_filter_file(tmp_path):
    """-f/-F: SIGHUP reads the filter file again (a broken one is logged
    and the previous filter kept)."""
    cfg = tmp_path / "filter.cfg"
    prim = "filter-primitive p\n  type ip-port\n  permit %d\nfilter-definition five\n" \
           "  match ip-source-port p\n"
    cfg.write_text(prim % 5)
    port = c.free_port()
    rt = lib.FTC_RT_V5
    with c.capture(tmp_path / "wd", port, "-N", "0", "-f", str(cfg), "-F", "five") as p:
        s = sender(port)
        with s.sock:
            s.send_list(pdu.encode(gen(rt, 20), rt))
            assert c.wait_drained(port)
            cfg.write_text(prim % 7)
            p.loop_passed()                       # SIGHUP: now port 7
            s.send_list(pdu.encode(gen(rt, 20), rt))
            assert c.wait_drained(port)
            cfg.write_text("filter-definition five\n  match nothing-known x\n")
            p.loop_passed()                       # broken: port 7 stays
            s.send_list(pdu.encode(gen(rt, 20), rt))
            assert c.wait_drained(port)
        status, err = p.stop()
    assert status == 0, err
    ports = []
    for f in c.files(tmp_path / "wd"):
        ports += [r["srcport"] for r in c.read(f)[1]]
    assert ports == [5, 7, 7]
    assert "Traceback" not in err
    assert "nothing-known" in err                 # the broken file's error, logged


def test_stat_line_counts_filter_drops(tmp_path):
    """-S with -f/-F: filter_drops is what the filter dropped (was always 0);
    the capture's clock is moved past the -S 1 minute."""
    cfg = tmp_path / "filter.cfg"
    cfg.write_text("filter-primitive p\n  type ip-port\n  permit 5\n"
                   "filter-definition five\n  match ip-source-port p\n")
    port = c.free_port()
    rt = lib.FTC_RT_V5
    clock = c.Clock(tmp_path / "clock")
    with c.capture(tmp_path / "wd", port, "-N", "0", "-S", "1", "-f", str(cfg), "-F", "five",
                   clock=clock) as p:
        s = sender(port)
        with s.sock:
            s.send_list(pdu.encode(gen(rt, 20), rt))
        p.wait_log("New exporter")
        assert c.wait_drained(port)
        clock.advance(61)
        log = p.wait_log("STAT: ")
        assert p.stop()[0] == 0
    (line,) = [ln for ln in log.splitlines() if "STAT: " in ln]
    assert line.endswith(" src_ip=127.0.0.1 dst_ip=127.0.0.1 d_ver=5 pkts=1 flows=20 lost=0 "
                         "reset=0 filter_drops=19")


def test_layout_helper_agrees():
    assert layout(lib.FTC_RT_V5)[:2] == (5, 0)


# ---------------------------------------------------------------- -t/-T, -x/-X (commands.md 18)

TAG_CFG = ("tag-action low\n  type src-prefix\n  match 0.0.0.0/28 set-src 0x7\n"
           "tag-action ports\n  type udp-src-port\n  match 3 set-dst 0x11\n  match 5 or-dst 0x2\n"
           "tag-definition d\n  term\n    action low\n  term\n    input-filter 3-5\n"
           "    action ports\n")
XLATE_CFG = ("xlate-action s\n  type scale\n  scale 3\n"
             "xlate-action m\n  type ip-port-privacy-mask\n  mask 0xFFF0 0xFF00\n"
             "xlate-definition x\n  term\n    action s\n    action m\n")
TAG_FILTER = ("filter-primitive t\n  type tag\n  permit 0x7\n"
              "filter-definition tagged\n  match src-tag t\n")


def _pipe(argv, data):
    r = subprocess.run([sys.executable, str(c.BIN / argv[0])] + argv[1:], input=data,
                       env=c.env(), capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def plain_capture(tmp_path_factory):
    """(v5 datagrams, the file a plain flow-capture makes of them), made once
    for every configuration compared with it."""
    rt = lib.FTC_RT_V5
    datagrams = pdu.encode(gen(rt, 40), rt)
    d = tmp_path_factory.mktemp("plain")
    port = c.free_port()
    with c.capture(d / "wd", port, "-N", "0",
                   clock=c.Clock(d / "clock").past_midnight()) as plain:
        s = sender(port)
        with s.sock:
            s.send_list(datagrams)
        assert c.wait_drained(port)
        assert plain.stop()[0] == 0
    (f,) = c.files(d / "wd")
    return datagrams, f.read_bytes()


@pytest.mark.parametrize("args,steps", [
    (["-t", "tag.cfg", "-T", "d"], ["tag"]),
    (["-V", "5", "-T", "d", "-t", "tag.cfg", "-x", "xlate.cfg", "-X", "x"], ["tag", "xlate"]),
    (["-x", "xlate.cfg", "-X", "x"], ["xlate"]),
    (["-t", "tag.cfg", "-T", "d", "-f", "filter.cfg", "-F", "tagged", "-x", "xlate.cfg", "-X",
      "x"], ["tag", "filter", "xlate"]),
])
def test_tags_and_translation_at_capture_time(tmp_path, plain_capture, args, steps):
    """The stored records are those flow-tag, flow-nfilter and flow-xlate make
    of a plain capture of the same datagrams; the config files are named
    relative to the workdir."""
    wd = tmp_path / "wd"
    wd.mkdir()
    for name, text in (("tag.cfg", TAG_CFG), ("xlate.cfg", XLATE_CFG),
                       ("filter.cfg", TAG_FILTER)):
        (wd / name).write_text(text)
    datagrams, want = plain_capture
    port = c.free_port()
    with c.capture(wd, port, "-N", "0", *args,
                   clock=c.Clock(tmp_path / "clock").past_midnight()) as p:
        s = sender(port)
        with s.sock:
            s.send_list(datagrams)
        assert c.wait_drained(port)
        st, log = p.stop()
        assert st == 0, log
    (f,) = c.files(wd)
    h, got = c.read(f)
    assert h["d_version"] == (1005 if "tag" in steps else 5)
    assert f.name.startswith("ft-v1005." if "tag" in steps else "ft-v05.")
    cfg = {"tag": ["flow-tag", "-t", str(wd / "tag.cfg"), "-T", "d"],
           "filter": ["flow-nfilter", "-f", str(wd / "filter.cfg"), "-F", "tagged"],
           "xlate": ["flow-xlate", "-x", str(wd / "xlate.cfg"), "-X", "x"]}
    for step in steps:
        want = _pipe(cfg[step], want)
    want_h, want_recs = oracle.read_stream(want)
    assert got == want_recs and h["flows_count"] == len(want_recs)
    assert len(got) == (16 if "filter" in steps else 40)
    if "tag" in steps:
        assert {(r["src_tag"], r["dst_tag"]) for r in got} >= {(7, 0x11), (7, 2), (7, 0)}


def test_sighup_reloads_the_tag_file(tmp_path):
    wd = tmp_path / "wd"
    wd.mkdir()
    (wd / "tag.cfg").write_text(TAG_CFG)
    rt = lib.FTC_RT_V5
    port = c.free_port()
    with c.capture(wd, port, "-N", "0", "-t", "tag.cfg", "-T", "d") as p:
        s = sender(port)
        with s.sock:
            s.send_list(pdu.encode(gen(rt, 4), rt))
            assert c.wait_drained(port)
            p.loop_passed()                         # first file closed
            (wd / "tag.cfg").write_text(TAG_CFG.replace("0x7", "0x9"))
            p.send_signal(signal.SIGHUP)
            p.wait_log("SIGHUP", 3)                 # reloaded before the next receive
            s.send_list(pdu.encode(gen(rt, 4, start=4), rt))
            assert c.wait_drained(port)
            (wd / "tag.cfg").write_text("tag-action broken\n  type nonsense\n")
            p.send_signal(signal.SIGHUP)
            p.wait_log("fttag_load(): failed")      # logged, the previous one kept
            s.send_list(pdu.encode(gen(rt, 4, start=8), rt))
            assert c.wait_drained(port)
        assert p.stop()[0] == 0
    tags = [r["src_tag"] for f in c.files(wd) for r in c.read(f)[1]]
    assert sorted(tags) == [7] * 4 + [9] * 8


@pytest.mark.parametrize("args,lines", [
    (["-t", "tags"], ["open(tags): No such file or directory", "fttag_load(): failed"]),
    (["-t", "tag.cfg", "-T", "nope"], ["fttag_load(): failed"]),
    (["-T", "d", "-V", "5"], ["Must be v1005 with tagging."]),
    (["-x", "xlate.cfg", "-X", "nope"], ["ftlate_def_find(nope): failed"]),
    (["-x", "none.cfg", "-X", "x"], ["open(none.cfg): No such file or directory",
                                     "ftxlate_load(none.cfg): failed"]),
])
def test_tag_and_xlate_errors(tmp_path, args, lines):
    wd = tmp_path / "wd"
    wd.mkdir()
    (wd / "tag.cfg").write_text(TAG_CFG)
    (wd / "xlate.cfg").write_text(XLATE_CFG)
    st, err = _run(["-D", "-w", str(wd)] + args + ["127.0.0.1/0/%d" % c.free_port()])
    assert st == 1 and err == "".join("flow-capture: %s\n" % ln for ln in lines)


def test_xlate_field_missing_fails_at_the_first_datagram(tmp_path):
    wd = tmp_path / "wd"
    wd.mkdir()
    (wd / "x.cfg").write_text("xlate-action t\n  type tag-mask\n  mask 1 1\n"
                              "xlate-definition x\n  term\n    action t\n")
    port = c.free_port()
    rt = lib.FTC_RT_V5
    with c.capture(wd, port, "-N", "0", "-x", "x.cfg", "-X", "x") as p:
        s = sender(port)
        with s.sock:
            s.send_list(pdu.encode(gen(rt, 4), rt))
        p.p.wait(20)
        assert p.p.returncode == 1
        assert p.log().endswith("flow-capture: Xlate references a field not in flow.\n")
