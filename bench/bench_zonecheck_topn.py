"""flow-zonecheck and flow-topn: records/s, ratio to `cat` and peak RSS on
the realistic file (the bundled enterprise sample concatenated with
flow-cat, the file repeated as operands: 1, 10 and BENCH_COPIES copies,
the same hosts at every size) and on flow-gen files of 1 M and 10 M
records (every record a new source and destination).

    .venv/bin/python bench/bench_zonecheck_topn.py    # make install-venv first

Environment: BENCH_COPIES (default 100), BENCH_REPEAT (default 3),
BENCH_GEN (flow-gen record counts, default "1000000,10000000"), BENCH_ONLY
(run the stages whose name contains it).  Inputs are cached in bench/out/,
results go to bench/out/zonecheck_topn.json.  Target (issue 4): >= 10 M
records/s on the realistic file; peak RSS must not grow with the number
of flows (only with distinct hosts).
"""
import json
import os
import sys
import tempfile

import harness
from harness import bench_env as env, count_records as count, make_file as made

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
SAMPLES = os.path.join(HERE, os.pardir, "samples", "enterprise")
SAMPLE = os.path.join(SAMPLES, "ft-v05.2004-08-16.090000+0000")
ZONES = os.path.join(SAMPLES, "zones.txt")
INSIDE = "135.169.0.0/16"
TARGET = 10e6

# flow-zonecheck exits 2 when it found alerts: run it under sh, which
# turns 2 into 0 (the RSS reported includes sh's child)
ZONECHECK = ["sh", "-c", 'flow-zonecheck "$@"; s=$?; [ $s -eq 0 ] || [ $s -eq 2 ]', "sh"]

#: (name, argv, input kinds: real = sample copies, gen = flow-gen)
STAGES = [
    ("zonecheck -L", ZONECHECK + ["-z", ZONES, "-L", INSIDE], ("real", "gen")),
    ("zonecheck -L tsv", ZONECHECK + ["-z", ZONES, "-L", INSIDE, "-o", "tsv"], ("real",)),
    ("zonecheck -L -F", ZONECHECK + ["-z", ZONES, "-L", INSIDE, "-F"], ("real",)),
    ("zonecheck no -L", ZONECHECK + ["-z", ZONES], ("real",)),
    ("topn src flows", ["flow-topn"], ("real", "gen")),
    ("topn src octets -n 20", ["flow-topn", "-m", "octets", "-n", "20"], ("real",)),
    ("topn src peers", ["flow-topn", "-m", "peers"], ("real",)),
    ("topn -P 25 -r 6 src peers", ["flow-topn", "-P", "25", "-r", "6", "-m", "peers"],
     ("real",)),
    ("topn dst peers", ["flow-topn", "-k", "dst", "-m", "peers"], ("real",)),
    ("topn pair octets", ["flow-topn", "-k", "pair", "-m", "octets"], ("real",)),
    ("topn src octets -b", ["flow-topn", "-m", "octets", "-n", "20", "-b", "BASELINE"],
     ("real",)),
]


def make_inputs(e):
    os.makedirs(OUT, exist_ok=True)
    copies = int(os.environ.get("BENCH_COPIES", "100"))
    inputs = []
    for c in sorted({1, 10, copies}):
        path = os.path.join(OUT, "enterprise-x%d.ft" % c)
        inputs.append(("real", made(path, ["flow-cat"] + [SAMPLE] * c, e)))
    for n in os.environ.get("BENCH_GEN", "1000000,10000000").split(","):
        path = os.path.join(OUT, "plain-%s.ft" % n)
        inputs.append(("gen", made(path, ["flow-gen", "-n", n], e)))
    return inputs


def main():
    e = env()
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    only = os.environ.get("BENCH_ONLY", "")
    rows = []
    scratch = tempfile.mkdtemp(prefix="bench-topn-")
    for kind, path in make_inputs(e):
        records = count(path, e)
        harness.warm(path)
        for name, argv, kinds in STAGES:
            if kind not in kinds or only not in name:
                continue
            base = os.path.join(scratch, "baseline.txt")
            argv = [base if a == "BASELINE" else a for a in argv]
            runs, cats = [], []
            for _ in range(repeat):
                cats.append(harness.run([["cat", path]], env=e))
                runs.append(harness.run([argv + [path]], env=e))
            s, c = harness.summary(runs), harness.summary(cats)
            row = dict(stage=name, input=os.path.basename(path), records=records,
                       seconds=s["best"], cat_seconds=c["best"],
                       records_per_s=records / s["best"], x_cat=s["best"] / c["best"],
                       peak_rss_mb=s["peak_rss_kib"] / 1024.0,
                       target_met=(records / s["best"] >= TARGET)
                       if kind == "real" and records > 1e6 else None)
            rows.append(row)
            print("%-30s %-24s %9d rec  %7.3f s  %6.1f M rec/s  %6.1fx cat  %7.1f MB%s"
                  % (name, row["input"], records, row["seconds"],
                     row["records_per_s"] / 1e6, row["x_cat"], row["peak_rss_mb"],
                     "" if row["target_met"] in (None, True) else "  BELOW TARGET"))
            sys.stdout.flush()
    with open(os.path.join(OUT, "zonecheck_topn.json"), "w") as f:
        json.dump({"target_records_per_s": TARGET, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
