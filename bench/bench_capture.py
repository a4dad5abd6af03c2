"""flow-capture load test (issues 5 and 11): a sender on 127.0.0.1 sends
NetFlow v5, v9 or IPFIX datagrams at increasing rates to one collector at
a time -- our flow-capture, or nfcapd (nfdump) when installed -- and for
each rate counts the records stored against those sent, and the
collector's CPU use.  Reports the highest rate stored with zero loss of
every mode, side by side.

    python bench/bench_capture.py [seconds per step] [rates in M records/s ...]

Environment: BENCH_CAPTURE, the modes to run (comma separated names of
MODES below; default all), BENCH_DIR (work directory parent, /tmp).
Results: bench/out/capture.json.

The sender is a small C program built here (cc -O2): it replays a block
of datagrams encoded once by the suite's own encoders (pdu.Encoder for
v5, core.ipfixenc for v9 and IPFIX: flow-send's datagrams, 30, 29 and 25
flow-gen records a datagram, v9/IPFIX with the template every 20
datagrams), rewriting the sequence numbers on each pass so that the
stream is one exporter's and a collector's own loss accounting holds,
paced every 0.5 ms with sendmmsg(2) on a connected socket.  The same
blocks and the same sender go to both collectors, one after the other.

Stored records: FLOW_COUNT of flow-capture's finished files; `nfdump -I`
Flows of nfcapd's.  Beside them each step prints the kernel's drops on
full socket buffers, the collector's own count (flow-capture's FLOW_LOST,
nfcapd's Sequence Errors), and the CPU of the sender and of every other
process (a `*` when others kept a quarter of a CPU busy: rerun on a quiet
machine).  A step with loss is repeated once (a busy moment of
the machine); the mode stops at the first rate that loses twice.

IPv6 (issue 12): `ipfix6` stores IPFIX IPv6 flows with flow-capture -V
1006 (112-byte records), `nfcapd-ipfix6` gives the same block to nfcapd:
softflowd's IPv6 template (27/28 addresses, 20 records a datagram),
encoded by the tests' IPFIX encoder (tests/ipfix_oracle.py).

Reference (issue 5, same kind of machine): flow-tools flow-capture 3.0 M
records/s v5 with -z 0, 0.5 M with zlib level 6; nfcapd 2.0 M.  Targets:
>= 3 M (-z 0, v5 and IPFIX), >= 1 M (compressed).
"""
import json
import os
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import collector as c                                     # noqa: E402
from pyflowtools.core import ipfixenc                      # noqa: E402
from pyflowtools.core.native import ffi, lib               # noqa: E402
from pyflowtools.netflow import pdu                        # noqa: E402

BLOCK_RECORDS = 60000          # records of the replayed block
RCVBUF = 1 << 25               # asked by flow-capture (udp.RCVBUF); nfcapd gets -B the same
NFCAPD = shutil.which("nfcapd")
NFDUMP = shutil.which("nfdump")
BUSY = 25.0                    # others' CPU % that marks a step * (as run.py does)

V6 = 106                       # the IPFIX block of IPv6 flows (export version 10)
#: name -> (label, collector, export version, flow-capture options)
MODES = {
    "v5": ("ours v5 -z 0", "ours", 5, ["-z", "0"]),
    "ipfix": ("ours IPFIX -z 0", "ours", 10, ["-z", "0"]),
    "v9": ("ours v9 -z 0", "ours", 9, ["-z", "0"]),
    "nfcapd-v5": ("nfcapd v5", "nfcapd", 5, []),
    "nfcapd-ipfix": ("nfcapd IPFIX", "nfcapd", 10, []),
    "nfcapd-v9": ("nfcapd v9", "nfcapd", 9, []),
    "v5-z6": ("ours v5 default (-z 6)", "ours", 5, []),
    "ipfix6": ("ours IPFIX IPv6 -V 1006 -z 0", "ours", V6, ["-z", "0", "-V", "1006"]),
    "nfcapd-ipfix6": ("nfcapd IPFIX IPv6", "nfcapd", V6, []),
}

#: the header's sequence number: offset, and what it counts
SEQ_OFF = {5: 16, 9: 12, 10: 8, V6: 8}
#: engine type and id (v5), source ID (v9), observation domain (IPFIX)
DOMAIN_OFF = {5: 20, 9: 16, 10: 12, V6: 12}

SENDER = r"""
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

/* sender BLOCK PORT RATE SECONDS SEQ_OFF SPAN: BLOCK is u32 n, n x (u32 len,
   u32 records, u32 seq), the datagrams back to back; each pass over the
   block adds SPAN to every datagram's sequence number (at SEQ_OFF).
   Prints: records sent, datagrams sent, seconds. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    FILE *f = fopen(argv[1], "rb");
    uint32_t n, i, *meta;
    uint8_t *data, **at;
    size_t total = 0;
    int port = atoi(argv[2]), fd;
    double rate = atof(argv[3]), secs = atof(argv[4]), t0, el;
    unsigned seq_off = (unsigned)atoi(argv[5]);
    uint32_t span = (uint32_t)strtoul(argv[6], NULL, 10), pass = 0, pos = 0;
    unsigned long long sent = 0, dgrams = 0;
    struct mmsghdr *mm;
    struct iovec *iov;
    struct sockaddr_in sa;
    int sndbuf = 4 << 20;
    struct timespec tick = {0, 500000};

    if (!f || fread(&n, 4, 1, f) != 1)
        return 2;
    meta = malloc(12 * (size_t)n);
    if (fread(meta, 12, n, f) != n)
        return 2;
    for (i = 0; i < n; i++)
        total += meta[3 * i];
    data = malloc(total);
    at = malloc(sizeof *at * n);
    if (fread(data, 1, total, f) != total)
        return 2;
    fclose(f);
    mm = calloc(n, sizeof *mm);
    iov = calloc(n, sizeof *iov);
    for (i = 0, total = 0; i < n; i++) {
        at[i] = data + total;
        iov[i].iov_base = at[i];
        iov[i].iov_len = meta[3 * i];
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
        total += meta[3 * i];
    }
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(0x7F000001);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("connect");
        return 1;
    }
    t0 = now();
    for (;;) {
        long long due;
        uint32_t k = 0, got;
        int r;
        el = now() - t0;
        if (el >= secs)
            break;
        due = (long long)(el * rate) - (long long)sent;
        if (due <= 0) {
            nanosleep(&tick, NULL);
            continue;
        }
        while (due > 0 && k < BATCH && pos + k < n)
            due -= meta[3 * (pos + k++) + 1];
        r = sendmmsg(fd, &mm[pos], k, 0);
        if (r < 0) {
            if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)
                continue;
            perror("sendmmsg");
            return 1;
        }
        for (got = 0; got < (uint32_t)r; got++)
            sent += meta[3 * (pos + got) + 1];
        dgrams += (unsigned)r;
        pos += (uint32_t)r;
        if (pos == n) {
            pos = 0;
            pass++;
            for (i = 0; i < n; i++) {
                uint32_t s = htonl(meta[3 * i + 2] + pass * span);
                memcpy(at[i] + seq_off, &s, 4);
            }
        }
    }
    printf("%llu %llu %.6f\n", sent, dgrams, now() - t0);
    return 0;
}
"""


def build_sender(tmp):
    src = Path(tmp) / "sender.c"
    exe = Path(tmp) / "sender"
    src.write_text(SENDER)
    subprocess.run(["cc", "-O2", "-std=gnu99", "-o", str(exe), str(src)], check=True)
    return exe


def ipv6_block():
    """BLOCK_RECORDS IPv6 flows as IPFIX datagrams of softflowd's IPv6
    template (the template every 20 datagrams, 20 records a datagram)."""
    import ipfix_oracle as X
    F = X.Field
    fields = [F(27, 16), F(28, 16), F(22, 4), F(21, 4), F(1, 4), F(2, 4), F(10, 4), F(14, 4),
              F(61, 1), F(136, 1), F(7, 2), F(11, 2), F(4, 1), F(6, 1), F(60, 1), F(5, 1)]
    per, dgs, seq = 20, [], 0
    tpl = X.set_bytes(2, X.template_record(10, 2048, fields))
    init = X.set_bytes(3, X.options_record(10, 256, [F(149, 4)], [F(160, 8)]))
    opt = X.set_bytes(256, X.data_record([F(149, 4), F(160, 8)], [0, 1699996500000]))
    for k in range(BLOCK_RECORDS // per):
        rows = []
        for i in range(k * per, (k + 1) * per):
            src = (0x20010DB8 << 96 | (i % 4093) << 16 | 1).to_bytes(16, "big")
            dst = (0x20010DB8 << 96 | 0xFFFF << 64 | i).to_bytes(16, "big")
            rows.append([src, dst, 3500000 + i % 1000, 3600000, 40 + i % 1400, 1 + i % 7, 1, 2,
                         0, 2, 1024 + i % 60000, 443, 6, 0x1B, 6, 0])
        sets = [tpl, init, opt] if k % 20 == 0 else []
        sets.append(X.set_bytes(2048, b"".join(X.data_record(fields, r) for r in rows)))
        dgs.append(X.ipfix(sets, seq=seq, export=1700000100))
        seq += per
    return dgs


def encode_block(version):
    """The datagrams of BLOCK_RECORDS flow-gen records as flow-send sends
    them, and the sequence span of one pass: [(bytes, records, seq)], span."""
    rt = lib.FTC_RT_V5
    buf = bytearray(BLOCK_RECORDS * 64)
    lib.ftc_recs_gen(rt, 0, BLOCK_RECORDS, ffi.from_buffer("uint8_t[]", buf))
    if version == V6:
        dgs = ipv6_block()
    elif version == 5:
        dgs = pdu.Encoder(rt).encode(bytes(buf))
    else:
        enc = ipfixenc.Encoder(version, rt)
        dgs = enc.encode(bytes(buf)) + enc.flush()
    off = SEQ_OFF[version]
    seqs = [struct.unpack_from("!I", d, off)[0] for d in dgs]
    if version == 9:                # v9 counts datagrams; count = records + template
        span = len(dgs)
        recs = [struct.unpack_from("!H", d, 2)[0]
                - (struct.unpack_from("!H", d, 20)[0] == 0) for d in dgs]
    else:                           # v5 and IPFIX count records
        span = BLOCK_RECORDS
        recs = [b - a for a, b in zip(seqs, seqs[1:] + [span])]
    dom = DOMAIN_OFF[version]               # one exporter: one sequence
    if sum(recs) != BLOCK_RECORDS or len({d[dom:dom + 4] for d in dgs}) != 1:
        raise SystemExit("bench_capture: cannot count the records of the v%s block" % version)
    return list(zip(dgs, recs, seqs)), span


def write_block(path, block):
    with open(path, "wb") as f:
        f.write(struct.pack("=I", len(block)))
        for d, n, s in block:
            f.write(struct.pack("=III", len(d), n, s))
        for d, _, _ in block:
            f.write(d)


def cpu_seconds(pid):
    f = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def busy_seconds():
    """CPU seconds the whole machine spent busy so far (/proc/stat)."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(f[:8]) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK")


def children_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def udp_rcvbuf_errors():
    """Udp RcvbufErrors of /proc/net/snmp (datagrams the kernel dropped on
    a full socket buffer, machine-wide)."""
    lines = [ln.split() for ln in Path("/proc/net/snmp").read_text().splitlines()
             if ln.startswith("Udp:")]
    return int(dict(zip(lines[0], lines[1])).get("RcvbufErrors", 0))


class Ours:
    """flow-capture -N 0 -n 0 (one file, no rotation) on 127.0.0.1:port."""

    def __init__(self, workdir, port, zargs):
        self.workdir = workdir
        self.p = c.capture(workdir, port, "-N", "0", "-n", "0", *zargs)
        self.pid = self.p.p.pid

    def stop(self):
        self.p.stop(signal.SIGTERM, timeout=120)
        self.p.__exit__()

    def stored(self):
        """(records stored, records the collector counted lost)."""
        stored = lost = 0
        for f in c.files(self.workdir):
            h = c.oracle.read_header(f.read_bytes()[:4096])
            stored += h["flows_count"]
            lost += h.get("flows_lost", 0)
        return stored, lost


class Nfcapd:
    """nfcapd -w workdir on 127.0.0.1:port, socket buffer RCVBUF."""

    def __init__(self, workdir, port, zargs):
        self.workdir = workdir
        self.log = tempfile.TemporaryFile("w+")
        self.final_log = None
        self.p = subprocess.Popen([NFCAPD, "-w", str(workdir), "-b", "127.0.0.1",
                                   "-p", str(port), "-B", str(RCVBUF)] + zargs,
                                  stdin=subprocess.DEVNULL, stdout=self.log,
                                  stderr=subprocess.STDOUT)
        self.pid = self.p.pid
        end = time.time() + 20
        while not c.port_bound(port, self.pid):
            if self.p.poll() is not None or time.time() > end:
                self.stop()
                raise SystemExit("nfcapd did not start: %s" % self.text())
            time.sleep(0.01)

    def text(self):
        if self.final_log is not None:
            return self.final_log
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(120)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.final_log = self.text()
        self.log.close()

    def stored(self):
        stored = 0
        for f in sorted(Path(self.workdir).glob("nfcapd.*")):
            out = subprocess.run([NFDUMP, "-r", str(f), "-I"], capture_output=True,
                                 text=True).stdout
            m = re.search(r"^Flows: (\d+)", out, re.M)
            stored += int(m.group(1)) if m else 0
        m = re.search(r"Sequence Errors: (\d+)", self.text())
        return stored, int(m.group(1)) if m else 0


def step(sender, blockfile, span, mode, rate, seconds, workdir):
    """One rate: dict of sent, stored, loss, the collector's own loss
    count, its CPU %, the kernel's drops on full buffers."""
    label, kind, version, zargs = mode
    port = c.free_port()
    col = (Ours if kind == "ours" else Nfcapd)(workdir, port, zargs)
    try:
        drops0 = udp_rcvbuf_errors()
        cpu0 = cpu_seconds(col.pid)
        busy0, kids0 = busy_seconds(), children_seconds()
        out = subprocess.run([str(sender), str(blockfile), str(port), "%.0f" % rate,
                              str(seconds), str(SEQ_OFF[version]), str(span)],
                             check=True, capture_output=True, text=True).stdout.split()
        sent, dgrams, elapsed = int(out[0]), int(out[1]), float(out[2])
        sender_cpu = children_seconds() - kids0
        busy = busy_seconds() - busy0 - sender_cpu - (cpu_seconds(col.pid) - cpu0)
        c.wait_drained(port, timeout=60)
        cpu = cpu_seconds(col.pid) - cpu0
        drops = udp_rcvbuf_errors() - drops0
    finally:
        col.stop()
    stored, own_lost = col.stored()
    for f in Path(workdir).iterdir():
        if f.is_file():
            f.unlink()
        else:
            shutil.rmtree(f)
    return {"asked": rate, "rate": sent / elapsed, "sent": sent, "datagrams": dgrams,
            "stored": stored, "loss": sent - stored, "collector_lost": own_lost,
            "cpu_percent": 100.0 * cpu / elapsed, "rcvbuf_drops": drops,
            "sender_cpu_percent": 100.0 * sender_cpu / elapsed,
            "others_cpu_percent": 100.0 * max(0.0, busy) / elapsed}


def run_mode(sender, blocks, name, rates, seconds, work):
    mode = MODES[name]
    blockfile, span = blocks[mode[2]]
    print("%s:" % mode[0], flush=True)
    res = {"mode": name, "label": mode[0], "steps": [], "best": 0.0, "best_cpu": None,
           "first_loss": None}
    for r in rates:
        for attempt in (1, 2):
            s = step(sender, blockfile, span, mode, r, seconds, work)
            s["attempt"] = attempt
            res["steps"].append(s)
            print("  asked %5.2f M/s  sent %5.2f M/s  stored %9d of %9d  loss %7d  "
                  "cpu %5.1f%%  kernel drops %6d  own lost %d  sender %3.0f%%  others %3.0f%%%s%s"
                  % (r / 1e6, s["rate"] / 1e6, s["stored"], s["sent"], s["loss"],
                     s["cpu_percent"], s["rcvbuf_drops"], s["collector_lost"],
                     s["sender_cpu_percent"], s["others_cpu_percent"],
                     " *" if s["others_cpu_percent"] >= BUSY else "",
                     "  (again)" if attempt == 2 else ""),
                  flush=True)
            if s["loss"] == 0:
                break
        if s["loss"] != 0:
            res["first_loss"] = s["rate"]
            break
        if s["rate"] > res["best"]:
            res["best"], res["best_cpu"] = s["rate"], s["cpu_percent"]
    print("  highest zero-loss rate: %.2f M records/s" % (res["best"] / 1e6), flush=True)
    return res


def table(results, seconds):
    print("\n%-24s %16s %12s %12s" % ("mode (%g s steps)" % seconds, "zero-loss M/s",
                                      "cpu there", "first loss"))
    for r in results:
        print("%-24s %16.2f %12s %12s"
              % (r["label"], r["best"] / 1e6,
                 "-" if r["best_cpu"] is None else "%.0f %%" % r["best_cpu"],
                 "-" if r["first_loss"] is None else "%.2f M" % (r["first_loss"] / 1e6)))


def main(argv):
    seconds = float(argv[1]) if len(argv) > 1 else 3.0
    rates = ([float(x) * 1e6 for x in argv[2:]]
             or [x * 1e6 for x in (0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8)])
    names = [n for n in os.environ.get("BENCH_CAPTURE", ",".join(MODES)).split(",") if n]
    for n in names:
        if n not in MODES:
            raise SystemExit("bench_capture: no mode %r (%s)" % (n, ", ".join(MODES)))
    if not (NFCAPD and NFDUMP):
        skipped = [n for n in names if MODES[n][1] == "nfcapd"]
        if skipped:
            print("nfcapd or nfdump not installed: %s skipped" % ", ".join(skipped))
        names = [n for n in names if MODES[n][1] != "nfcapd"]
    print("collectors on 127.0.0.1, %g s per step, %d CPUs; sender: the block of %d "
          "flow-gen records replayed" % (seconds, os.cpu_count(), BLOCK_RECORDS))
    try:
        rmem_max = int(Path("/proc/sys/net/core/rmem_max").read_text())
    except OSError:
        rmem_max = 0
    print("socket buffers asked: %d MB (flow-capture: SO_RCVBUFFORCE, granted to root; "
          "nfcapd -B: SO_RCVBUF, capped by net.core.rmem_max = %d MB; the kernel doubles both)"
          % (RCVBUF >> 20, rmem_max >> 20))
    results = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR", "/tmp"),
                                     prefix="bench_capture.") as tmp:
        sender = build_sender(tmp)
        blocks = {}
        for v in sorted({MODES[n][2] for n in names}):
            block, span = encode_block(v)
            path = Path(tmp) / ("block-v%s" % v)
            write_block(path, block)
            blocks[v] = (path, span)
        work = Path(tmp) / "work"
        work.mkdir()
        for n in names:
            results.append(run_mode(sender, blocks, n, rates, seconds, work))
    table(results, seconds)
    (HERE / "out").mkdir(exist_ok=True)
    with open(HERE / "out" / "capture.json", "w") as f:
        json.dump({"seconds": seconds, "cpus": os.cpu_count(), "results": results}, f,
                  indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
