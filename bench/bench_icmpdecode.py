"""flow-icmpdecode: records/s, ratio to `cat` and peak RSS on the realistic
file (the bundled enterprise sample concatenated BENCH_COPIES times with
flow-cat, about 5.7 M flows for 100 copies) and on flow-gen files of 1 M
and 10 M records (peak RSS must not grow with the records).

    .venv/bin/python bench/bench_icmpdecode.py        # make install-venv first

Environment: BENCH_COPIES (default 100), BENCH_REPEAT (default 3),
BENCH_GEN (flow-gen record counts, default "1000000,10000000").  Inputs
are cached in bench/out/.  Target (issue 4): >= 10 M records/s on the
realistic file.
"""
import json
import os
import subprocess
import sys

import harness
from harness import log, bench_env as env, count_records as count

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
SAMPLE = os.path.join(HERE, os.pardir, "samples", "enterprise",
                      "ft-v05.2004-08-16.090000+0000")
TARGET = 10e6

#: (name, argv after the command, input kinds)
STAGES = [
    ("listing", [], ("real",)),
    ("listing tsv", ["-o", "tsv"], ("real",)),
    ("nachi -t 8 -s 92 -F", ["-t", "8", "-s", "92", "-F"], ("real", "gen")),
    ("unreachable -u -T 15", ["-u", "-T", "15"], ("real", "gen")),
    ("unreachable -u -T 0 tsv", ["-u", "-T", "0", "-o", "tsv"], ("real",)),
]


def make_inputs(e):
    os.makedirs(OUT, exist_ok=True)
    copies = int(os.environ.get("BENCH_COPIES", "100"))
    real = os.path.join(OUT, "enterprise-x%d.ft" % copies)
    if not os.path.exists(real):
        log("making %s" % real)
        with open(real + ".tmp", "wb") as f:
            subprocess.run(["flow-cat"] + [SAMPLE] * copies, stdout=f, env=e, check=True)
        os.rename(real + ".tmp", real)
    inputs = [("real", real)]
    for n in os.environ.get("BENCH_GEN", "1000000,10000000").split(","):
        path = os.path.join(OUT, "plain-%s.ft" % n)
        if not os.path.exists(path):
            log("making %s" % path)
            with open(path + ".tmp", "wb") as f:
                subprocess.run(["flow-gen", "-n", n], stdout=f, env=e, check=True)
            os.rename(path + ".tmp", path)
        inputs.append(("gen", path))
    return inputs


def main():
    e = env()
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    rows = []
    for kind, path in make_inputs(e):
        records = count(path, e)
        harness.warm(path)
        for name, args, kinds in STAGES:
            if kind not in kinds:
                continue
            runs, cats = [], []
            for _ in range(repeat):
                cats.append(harness.run([["cat", path]], env=e))
                runs.append(harness.run([["flow-icmpdecode"] + args + [path]], env=e))
            s, c = harness.summary(runs), harness.summary(cats)
            row = dict(stage=name, input=os.path.basename(path), records=records,
                       seconds=s["best"], cat_seconds=c["best"],
                       records_per_s=records / s["best"], x_cat=s["best"] / c["best"],
                       peak_rss_mb=s["peak_rss_kib"] / 1024.0,
                       target_met=(records / s["best"] >= TARGET) if kind == "real" else None)
            rows.append(row)
            print("%-26s %-24s %9d rec  %7.3f s  %6.1f M rec/s  %5.1fx cat  %6.1f MB%s"
                  % (name, row["input"], records, row["seconds"],
                     row["records_per_s"] / 1e6, row["x_cat"], row["peak_rss_mb"],
                     "" if row["target_met"] in (None, True) else "  BELOW TARGET"))
            sys.stdout.flush()
    with open(os.path.join(OUT, "icmpdecode.json"), "w") as f:
        json.dump({"target_records_per_s": TARGET, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
