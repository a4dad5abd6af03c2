"""flow-rptfmt (issue 9): seconds, ratio to `cat` and peak RSS on a large
flow-report text output: BENCH_ROWS rows (default 1000000) of an
ip-source/destination-address report with header, totals and five counter
columns (about 60 MB), formatted as flow-report's default stat.cfg does
(`-f ascii`), sorted (`-s -octets`), as percentages (`-p`), as HTML, and
cut at 20 rows without sorting (`-m 20`: reading stops there).

    .venv/bin/python bench/bench_rptfmt.py    # make install-venv first

Environment: BENCH_ROWS, BENCH_REPEAT (default 3).  Results:
bench/out/rptfmt.json.  Target: a few seconds at most for a million rows
(the reference, a Python 2 script, no longer runs on this machine).
"""
import json
import os
import sys

import harness
from harness import bench_env as env

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")

STAGES = [
    ("ascii", ["flow-rptfmt", "-f", "ascii"]),
    ("sort -octets", ["flow-rptfmt", "-s", "-octets"]),
    ("percent", ["flow-rptfmt", "-p", "-H"]),
    ("html", ["flow-rptfmt", "-f", "html"]),
    ("-m 20", ["flow-rptfmt", "-m", "20"]),
]


def make_report(path, rows):
    """A flow-report style text output of `rows` rows (cached)."""
    if os.path.exists(path):
        return path
    harness.log("making %s" % path)
    with open(path + ".tmp", "wb") as f:
        f.write(b"#  --- ---- ---- Report Information --- --- ---\n"
                b"# name:                 bench\n"
                b"# type:                 ip-source/destination-address\n"
                b"# rec1: records,ignores,flows,octets,packets,duration\n"
                b"%d,0,%d,%d,%d,%d\n" % (rows, rows, rows, rows, rows)
                + b"# recn: ip-source-address*,ip-destination-address*,flows,octets,"
                  b"packets,duration\n")
        step = 100000
        for start in range(0, rows, step):
            f.write(b"".join(
                b"10.%d.%d.%d,192.168.%d.%d,%d,%d,%d,%d\n"
                % (i >> 16 & 255, i >> 8 & 255, i & 255, i >> 8 & 255, i & 255,
                   1 + i % 9, 40 + (i * 7919) % 150000, 1 + i % 101, (i * 13) % 60000)
                for i in range(start, min(rows, start + step))))
    os.rename(path + ".tmp", path)
    return path


def main():
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    os.makedirs(OUT, exist_ok=True)
    e = env()
    if not harness.have("flow-rptfmt", e):
        sys.exit("bench: flow-rptfmt is not installed (make install-venv)")
    report = make_report(os.path.join(OUT, "rptfmt-%d.txt" % rows), rows)
    harness.warm(report)
    cat = harness.summary([harness.run([["cat", report]], env=e) for _ in range(repeat)])
    results = {"rows": rows, "bytes": os.path.getsize(report), "cat": cat, "stages": {}}
    print("flow-rptfmt on %d rows (%.0f MB); cat %.3f s" % (rows, results["bytes"] / 1e6,
                                                           cat["best"]))
    print("%-14s %9s %8s %9s" % ("stage", "seconds", "x cat", "peak MB"))
    for name, argv in STAGES:
        s = harness.summary([harness.run([argv], stdin=report, env=e) for _ in range(repeat)])
        results["stages"][name] = s
        print("%-14s %9.2f %8.1f %9.0f" % (name, s["best"], s["best"] / max(cat["best"], 1e-6),
                                          s["peak_rss_kib"] / 1024))
    with open(os.path.join(OUT, "rptfmt.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
