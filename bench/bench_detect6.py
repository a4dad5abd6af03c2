"""The detectors on IPv6 (issue 12): flow-synonly, flow-portrank,
flow-icmpdecode -u and flow-zonecheck on the same flows as v5, as v1006
with IPv4 flows (IPv4-mapped) and as v1006 with every host IPv6, side by
side: records/s and the v1006 rate as a share of the v5 one (issue 12's
target: IPv6 records at least half the IPv4 rate).

Inputs (cached in bench/out/):
  real      the enterprise sample x100 (about 5.7 M flows), v5;
  real-v4m  the same through flow-cat -V 1006 (112-byte records, IPv4 flows);
  real-v6   the sample with every address moved to 2001:db8::/96 (the IPv4
            bits kept) and its ICMP made ICMPv6 (3/0 -> 1/0, 3/1 -> 1/3,
            3/3 -> 1/4, 8 -> 128, 0 -> 129, 11 -> 3), x100: the same
            detections on IPv6 hosts.

    .venv/bin/python bench/bench_detect6.py     # make install-venv first

BENCH_REPEAT (default 3), BENCH_ONLY (regular expression on the stage).
BENCH_BASELINE_BIN: a bin directory of another build (e.g. a checkout
before issue 12's detectors) whose v5 rates are printed beside ours: the
"IPv4 paths no slower" check.  Results go to bench/out/detect6.json.
"""
import json
import os
import re
import sys

import harness
from harness import bench_env as env, make_file as _make

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
SAMPLES = os.path.join(HERE, os.pardir, "samples", "enterprise")
SAMPLE = os.path.join(SAMPLES, "ft-v05.2004-08-16.090000+0000")
ZONES = os.path.join(SAMPLES, "zones.txt")
COPIES = 100

#: (stage, argv, exit statuses that are success)
STAGES = [
    ("flow-synonly", ["flow-synonly"], (0,)),
    ("flow-portrank -t 50", ["flow-portrank", "-t", "50"], (0,)),
    ("flow-portrank -d -t 10", ["flow-portrank", "-d", "-t", "10"], (0,)),
    ("flow-icmpdecode -u -T 15", ["flow-icmpdecode", "-u", "-T", "15"], (0,)),
    ("flow-zonecheck", ["flow-zonecheck", "-z", None, "-L", None], (0, 2)),
]

V6NET = 0x20010DB8
ICMP6 = {0: 129, 8: 128, 11: 3}
UNREACH6 = {0: 0, 1: 3, 3: 4}


def all_ipv6(src, dst):
    """The v1006 file src with every address in 2001:db8::/96 and ICMP as
    ICMPv6 (numpy over whole batches), written to dst."""
    import numpy as np
    sys.path.insert(0, os.path.join(HERE, os.pardir))
    from pyflowtools.io import stream
    with open(src, "rb") as f, open(dst + ".tmp", "wb") as out:
        rd = stream.reader(f, ipv6=True)
        with stream.writer(out, stream.streaming_header(rd.header)) as wr:
            for b in rd:
                b.to_host()
                raw = np.frombuffer(b.buf, dtype=np.uint8)[:b.n * 112].reshape(b.n, 112)
                w = raw.view(np.uint32)                       # 28 words a record
                for first in (14, 18):                        # srcaddr6_0.., dstaddr6_0..
                    w[:, first] = V6NET
                    w[:, first + 1] = 0
                    w[:, first + 2] = 0
                icmp = raw[:, 40] == 1
                port = raw[:, 38:40].copy().view(np.uint16)[:, 0]
                t, c = port >> 8, port & 0xFF
                t6, c6 = t.copy(), c.copy()
                for a, b6 in ICMP6.items():
                    t6[t == a] = b6
                un = t == 3
                t6[un] = 1
                c6[un] = 100 + c[un]
                for a, b6 in UNREACH6.items():
                    c6[un & (c == a)] = b6
                new = ((t6.astype(np.uint16) << 8) | (c6.astype(np.uint16) & 0xFF))
                port[icmp] = new[icmp]
                raw[:, 38:40] = port.reshape(-1, 1).view(np.uint8).reshape(-1, 2)
                raw[icmp, 40] = 58
                wr.write(b)
    os.rename(dst + ".tmp", dst)
    return dst


def zones6(path):
    """zones.txt with the servers in 2001:db8::/96 (as real-v6 has them)."""
    import ipaddress
    if not os.path.exists(path):
        lines = []
        with open(ZONES) as f:
            for ln in f:
                if ln.strip() and not ln.startswith("#"):
                    a, rest = ln.split(None, 1)
                    v6 = ipaddress.IPv6Address((V6NET << 96) | int(ipaddress.IPv4Address(a)))
                    lines.append("%s %s" % (v6, rest))
        with open(path, "w") as f:
            f.writelines(lines)
    return path


def inputs(e):
    os.makedirs(OUT, exist_ok=True)
    real = _make(os.path.join(OUT, "enterprise-x%d.ft" % COPIES), ["flow-cat"] + [SAMPLE] * COPIES,
                 e)
    v4m = _make(os.path.join(OUT, "enterprise-x%d-v1006.ft" % COPIES),
                ["flow-cat", "-V", "1006", real], e)
    one4m = _make(os.path.join(OUT, "enterprise-v1006.ft"), ["flow-cat", "-V", "1006", SAMPLE], e)
    one6 = os.path.join(OUT, "enterprise-ipv6.ft")
    if not os.path.exists(one6):
        all_ipv6(one4m, one6)
    v6 = _make(os.path.join(OUT, "enterprise-x%d-ipv6.ft" % COPIES), ["flow-cat"] + [one6] * COPIES,
               e)
    return [("real", real, ZONES, "135.169.0.0/16"),
            ("real-v4m", v4m, ZONES, "135.169.0.0/16"),
            ("real-v6", v6, zones6(os.path.join(OUT, "zones6.txt")), "2001:db8::87a9:0/112")]


def measure(argv, path, n, e, repeat, ok):
    runs, cats = [], []
    for _ in range(repeat):
        cats.append(harness.run([["cat", path]], env=e))
        runs.append(harness.run([argv + [path]], env=e, ok=ok))
    s, c = harness.summary(runs), harness.summary(cats)
    return dict(seconds=s["best"], records_per_s=n / s["best"], x_cat=s["best"] / c["best"],
                peak_rss_mb=s["peak_rss_kib"] / 1024.0)


def main():
    e = env()
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    only = re.compile(os.environ.get("BENCH_ONLY", ""))
    base_bin = os.environ.get("BENCH_BASELINE_BIN")
    eb = None
    if base_bin:
        eb = dict(e, PATH=base_bin + os.pathsep + e["PATH"])
    files = inputs(e)
    counts = {}
    rows = []
    print("%-26s %-9s %9s %8s %6s %8s %s" % ("stage", "input", "M rec/s", "x cat", "MB",
                                              "of v5", "baseline v5 M rec/s" if eb else ""))
    for stage, argv, ok in STAGES:
        if not only.search(stage):
            continue
        v5_rate = None
        for name, path, zfile, inside in files:
            if path not in counts:
                counts[path] = harness.count_records(path, e)
                harness.warm(path)
            n = counts[path]
            a = [zfile if x is None and i == 2 else inside if x is None else x
                 for i, x in enumerate(argv)]
            r = measure(a, path, n, e, repeat, ok)
            share = None
            if name == "real":
                v5_rate = r["records_per_s"]
            else:
                share = r["records_per_s"] / v5_rate
            base = None
            if eb is not None and name == "real":
                base = measure(a, path, n, eb, repeat, ok)["records_per_s"]
            rows.append(dict(stage=stage, input=name, records=n, share_of_v5=share,
                             baseline_records_per_s=base, **r))
            print("%-26s %-9s %9.2f %8.2f %6.1f %8s %s" % (
                stage, name, r["records_per_s"] / 1e6, r["x_cat"], r["peak_rss_mb"],
                "" if share is None else "%.2f" % share,
                "" if base is None else "%.2f" % (base / 1e6)))
            sys.stdout.flush()
    with open(os.path.join(OUT, "detect6.json"), "w") as f:
        json.dump({"rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
