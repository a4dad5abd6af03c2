"""flow-stat, flow-report and flow-topn on IPv6 (issue 12): the same flows
as v5, as v1006 IPv4 flows (flow-cat -V 1006: IPv4-mapped) and as v1006
IPv6 flows (each address a.b.c.d made 2001:db8::a.b.c.d, so the keys
are the same in number and spread), side by side in one run: records/s,
seconds and peak RSS of each.  Target: the IPv6 file at least half the
v5 rate.  With BENCH_BASE_BIN (the bin/ of another build, e.g. a clone
before the 128-bit keys), the v5 stages run there too, beside this
build's: the IPv4 path must not be slower.

    .venv/bin/python bench/bench_stat6.py

Inputs: the bundled enterprise sample concatenated BENCH_COPIES times
(default 20, 1.15 M flows: realistic key counts) and BENCH_GEN flow-gen
records (default 2000000: every record a new source, the worst case).
Environment: BENCH_REPEAT (default 3), BENCH_ONLY (stages whose name
contains it).  Results: bench/out/stat6.json.
"""
import json
import os
import sys

import numpy as np

import harness
from harness import bench_env as env, count_records as count, make_file as made

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
SAMPLE = os.path.join(HERE, os.pardir, "samples", "enterprise",
                      "ft-v05.2004-08-16.090000+0000")
CFG = os.path.join(HERE, "stat-bench.cfg")

STAGES = [
    ("stat -f 9", ["flow-stat", "-f", "9"]),
    ("stat -f 10 -S 2", ["flow-stat", "-f", "10", "-S", "2"]),
    ("stat -f 11", ["flow-stat", "-f", "11"]),
    ("stat -f 24", ["flow-stat", "-f", "24"]),
    ("report srcaddr", ["flow-report", "-s", CFG, "-S", "srcaddr"]),
    ("topn -k src -m peers", ["flow-topn", "-k", "src", "-m", "peers"]),
]


def ipv6_copy(src, dst):
    """dst: the v1006 records of src (IPv4-mapped) with every address's
    upper words set to 2001:db8:: (word 0 0x20010db8, word 2 0): IPv6 flows
    with the same keys.  Whole batches through numpy."""
    from pyflowtools.io import stream
    if os.path.exists(dst):
        return dst
    harness.log("making %s" % dst)
    with stream.reader(src, ipv6=True) as rd, open(dst + ".tmp", "wb") as f:
        w = stream.writer(f, stream.streaming_header(rd.header))
        for b in rd:
            b.to_host()
            words = np.frombuffer(b.buf, dtype=np.uint32, count=b.n * 28).reshape(b.n, 28)
            for first in (14, 18, 22):          # srcaddr6_0, dstaddr6_0, nexthop6_0
                words[:, first] = 0x20010DB8
                words[:, first + 2] = 0
            w.write(b)
        w.close()
    os.rename(dst + ".tmp", dst)
    return dst


def measure(argv, path, e, repeat):
    runs = [harness.run([argv], stdin=path, env=e) for _ in range(repeat)]
    return harness.summary(runs)


def main():
    e = env()
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    only = os.environ.get("BENCH_ONLY", "")
    copies = int(os.environ.get("BENCH_COPIES", "20"))
    n = os.environ.get("BENCH_GEN", "2000000")
    base_bin = os.environ.get("BENCH_BASE_BIN")
    os.makedirs(OUT, exist_ok=True)
    sets = []
    for kind, v5, argv in (
            ("real", os.path.join(OUT, "enterprise-x%d.ft" % copies),
             ["flow-cat"] + [SAMPLE] * copies),
            ("gen", os.path.join(OUT, "plain-%s.ft" % n), ["flow-gen", "-n", n])):
        made(v5, argv, e)
        mapped = made(v5[:-3] + "-v1006.ft", ["flow-cat", "-V", "1006", v5], e)
        six = ipv6_copy(mapped, v5[:-3] + "-ipv6.ft")
        sets.append((kind, v5, mapped, six))
    rows = []
    print("%-22s %-5s %10s %10s %10s %10s  %s" % ("stage", "input", "v5 rec/s", "v1006-v4",
                                                  "v1006-v6", "v6/v5",
                                                  "base v5 rec/s" if base_bin else ""))
    for kind, v5, mapped, six in sets:
        records = count(v5, e)
        for p in (v5, mapped, six):
            harness.warm(p)
        for name, argv in STAGES:
            if only not in name:
                continue
            res = {k: measure(argv, p, e, repeat) for k, p in
                   (("v5", v5), ("v1006-ipv4", mapped), ("v1006-ipv6", six))}
            if base_bin:
                be = dict(e, PATH=base_bin + os.pathsep + e["PATH"])
                res["base-v5"] = measure(argv, v5, be, repeat)
            row = dict(stage=name, input=kind, records=records)
            for k, s in res.items():
                row[k] = dict(seconds=s["best"], rate=records / s["best"],
                              peak_rss_mb=s["peak_rss_kib"] / 1024.0)
            row["ipv6_over_v5"] = row["v1006-ipv6"]["rate"] / row["v5"]["rate"]
            rows.append(row)
            print("%-22s %-5s %10.0f %10.0f %10.0f %9.2fx  %s"
                  % (name, kind, row["v5"]["rate"], row["v1006-ipv4"]["rate"],
                     row["v1006-ipv6"]["rate"], row["ipv6_over_v5"],
                     "%.0f (this build %.2fx)" % (row["base-v5"]["rate"],
                                                  row["v5"]["rate"] / row["base-v5"]["rate"])
                     if base_bin else ""))
            sys.stdout.flush()
    with open(os.path.join(OUT, "stat6.json"), "w") as f:
        json.dump({"rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
