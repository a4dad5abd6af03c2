"""v1006 through flow-print and flow-export (issue 12), side by side with
the same flows as version 5: the IPv4 path must be no slower, IPv6 records
formatted in C at least at half the IPv4 rate.

Inputs (flow-gen, cached in bench/out): v5 (N records), the same flows as
v1006 (flow-cat -V 1006: every flow IPv4-mapped), and flow-gen -V 1006
(half IPv4, half IPv6).  Stages: flow-print -f 5 (the v1006 mixed file
prints IPv6 addresses in widened columns), flow-print -f 25 (v1006 only),
flow-print -f 4 (prefixes) and flow-export -f 2 (CSV).

    .venv/bin/python bench/bench_v1006_text.py    # make install-venv first

Environment: BENCH_GEN (records, default 2000000), BENCH_REPEAT (default 3).
Results: bench/out/v1006_text.json.
"""
import json
import os
import sys

import harness
from harness import bench_env as env, make_file as made

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")


def main():
    n = int(os.environ.get("BENCH_GEN", "2000000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    e = env()
    os.makedirs(OUT, exist_ok=True)
    v5 = made(os.path.join(OUT, "v5-%d.ft" % n), ["flow-gen", "-n", str(n)], e)
    v6m = made(os.path.join(OUT, "v1006-mapped-%d.ft" % n), ["flow-cat", "-V", "1006", v5], e)
    v6 = made(os.path.join(OUT, "v1006-mixed-%d.ft" % n),
              ["flow-gen", "-V", "1006", "-n", str(n)], e)
    inputs = [("v5", v5), ("v1006 IPv4", v6m), ("v1006 mixed", v6)]
    stages = [("flow-print -f 5", [["flow-print", "-f", "5"]], None),
              ("flow-print -f 4", [["flow-print", "-f", "4"]], None),
              ("flow-print -f 25", [["flow-print", "-f", "25"]], "v1006"),
              ("flow-export -f 2", [["flow-export", "-f", "2"]], None)]
    rows = []
    print("%-18s %-12s %8s %9s %8s" % ("stage", "input", "seconds", "M rec/s", "x cat"))
    for name, cmds, only in stages:
        for label, path in inputs:
            if only and not label.startswith(only):
                continue
            harness.warm(path)
            runs, cats = [], []
            for _ in range(repeat):
                cats.append(harness.run([["cat", path]], env=e))
                runs.append(harness.run(cmds, stdin=path, env=e))
            s, c = harness.summary(runs), harness.summary(cats)
            row = dict(stage=name, input=label, records=n, seconds=s["best"],
                       rec_per_s=n / s["best"], x_cat=s["best"] / c["best"])
            rows.append(row)
            print("%-18s %-12s %8.3f %9.2f %8.1f" % (name, label, row["seconds"],
                                                    row["rec_per_s"] / 1e6, row["x_cat"]))
            sys.stdout.flush()
    with open(os.path.join(OUT, "v1006_text.json"), "w") as f:
        json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
