"""flow-capture load test (issue 5): a sender on 127.0.0.1 sends v5
datagrams (30 records each, consecutive sequence numbers) at increasing
rates; for each rate, the records stored (header FLOW_COUNT of the
finished file) against those sent, and the collector's CPU use.  Reports
the highest rate stored with zero loss, with -z 0 and with the default
compression.

    python bench/bench_capture.py [seconds per step] [rates in M records/s ...]

Reference (issue 5, same kind of machine): flow-tools flow-capture 3.0 M
records/s with -z 0, 0.5 M with zlib level 6; nfcapd 2.0 M.  Targets:
>= 3 M (-z 0), >= 1 M (compressed).
"""
import array
import os
import signal
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import collector as c                                     # noqa: E402
from pyflowtools.netflow import pdu, udp                  # noqa: E402
from pyflowtools.core.native import ffi, lib                  # noqa: E402

TICK = 0.002          # the sender's pacing step


def cpu_seconds(pid):
    f = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def datagrams(n_records):
    rt = lib.FTC_RT_V5
    buf = bytearray(n_records * 64)
    lib.ftc_recs_gen(rt, 0, n_records, ffi.from_buffer("uint8_t[]", buf))
    # one export time for all, so every datagram carries 30 records
    return pdu.Encoder(rt), bytes(buf)


def step(rate, seconds, zargs, workdir):
    """Send `rate` records/s for `seconds`; returns (sent, stored, cpu%)."""
    port = c.free_port()
    enc, block = datagrams(30 * 2000)
    with c.capture(workdir, port, "-N", "0", "-n", "0", *zargs) as p:
        s = udp.sender(("127.0.0.1", port))
        cpu0 = cpu_seconds(p.p.pid)
        t0 = time.time()
        sent = 0
        dg = enc.encode(block)
        packed = b"".join(dg)
        lens = array.array("I", map(len, dg))
        per_dgram = 30
        with s.sock:
            while True:
                now = time.time()
                if now - t0 >= seconds:
                    break
                due = int((now - t0) * rate) - sent
                if due <= 0:
                    time.sleep(TICK)
                    continue
                k = min(len(lens), max(1, due // per_dgram))
                nbytes = sum(lens[:k])
                s.send(memoryview(packed)[:nbytes], lens[:k])
                sent += k * per_dgram
        elapsed = time.time() - t0
        c.wait_drained(port, timeout=30)
        cpu = cpu_seconds(p.p.pid) - cpu0
        p.stop(signal.SIGTERM, timeout=120)
    stored = 0
    for f in c.files(workdir):
        h = c.oracle.read_header(f.read_bytes()[:4096])
        stored += h["flows_count"]
        f.unlink()
    return sent, stored, 100.0 * cpu / elapsed, sent / elapsed


def main(argv):
    seconds = float(argv[1]) if len(argv) > 1 else 3.0
    rates = [float(x) * 1e6 for x in argv[2:]] or [0.5, 1, 1.5, 2, 3, 4, 5]
    work = Path(os.environ.get("BENCH_DIR", "/tmp")) / ("bench_capture.%d" % os.getpid())
    work.mkdir(parents=True, exist_ok=True)
    print("flow-capture on 127.0.0.1, v5, %g s per step, %d CPUs" % (seconds, os.cpu_count()))
    for label, zargs in (("-z 0", ["-z", "0"]), ("default (-z 6)", [])):
        best = 0
        print("%s:" % label)
        for r in rates:
            sent, stored, cpu, actual = step(r, seconds, zargs, work)
            loss = sent - stored
            print("  asked %5.2f M/s  sent %5.2f M/s  stored %9d of %9d  loss %7d  cpu %5.1f%%"
                  % (r / 1e6, actual / 1e6, stored, sent, loss, cpu), flush=True)
            if loss == 0:
                best = max(best, actual)
            else:
                break
        print("  highest zero-loss rate: %.2f M records/s" % (best / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
