"""flow-synonly and flow-portrank: records/s, ratio to `cat` of the same
file, peak RSS.

Inputs (cached in bench/out/):
  gen   flow-gen files of 1 M and 10 M records (every record UDP, every
        source address distinct);
  real  the bundled enterprise sample concatenated with flow-cat: 100
        copies (about 5.7 M flows, the issue's "realistic file"), and 18 and
        174 copies (about 1 M and 10 M flows) to show that peak RSS follows
        the distinct (host, port) pairs, not the flows.

    .venv/bin/python bench/bench_portrank.py        # make install-venv first

Environment: BENCH_REPEAT (default 3), BENCH_ONLY (regular expression on
the stage name).  Targets (issue 4): flow-synonly >= 60 M records/s on the
10 M flow-gen file; flow-portrank >= 10 M records/s on the realistic file.
Results also go to bench/out/portrank.json.
"""
import json
import os
import re
import subprocess
import sys

import harness
from harness import bench_env as env, make_file as _make

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
SAMPLE = os.path.join(HERE, os.pardir, "samples", "enterprise",
                      "ft-v05.2004-08-16.090000+0000")

#: (stage, argv, input names, stdin instead of an operand, target records/s)
STAGES = [
    ("flow-synonly", ["flow-synonly"], ("gen10M", "real"), False, 60e6),
    ("flow-synonly < file", ["flow-synonly"], ("gen10M",), True, 60e6),
    ("flow-synonly -R", ["flow-synonly", "-R"], ("real",), False, 60e6),
    ("flow-portrank -t 50", ["flow-portrank", "-t", "50"], ("real", "real1M", "real10M"),
     False, 10e6),
    ("flow-portrank -t 50 < file", ["flow-portrank", "-t", "50"], ("real",), True, 10e6),
    ("flow-portrank -d -t 10", ["flow-portrank", "-d", "-t", "10"],
     ("real", "gen1M", "gen10M"), False, 10e6),
    ("flow-portrank -N -p 0 -o tsv", ["flow-portrank", "-t", "25", "-N", "-p", "0", "-o", "tsv"],
     ("real",), False, 10e6),
    # every flow-gen record is a new (source, port) pair: the table grows
    ("flow-portrank (distinct pairs)", ["flow-portrank", "-t", "1"], ("gen1M", "gen10M"),
     False, None),
]


def inputs(e):
    os.makedirs(OUT, exist_ok=True)
    out = {}
    for name, copies in (("real", 100), ("real1M", 18), ("real10M", 174)):
        out[name] = _make(os.path.join(OUT, "enterprise-x%d.ft" % copies),
                          ["flow-cat"] + [SAMPLE] * copies, e)
    for name, n in (("gen1M", 1000000), ("gen10M", 10000000)):
        out[name] = _make(os.path.join(OUT, "plain-%d.ft" % n), ["flow-gen", "-n", str(n)], e)
    return out


def count(path, e):
    err = subprocess.run(["flow-cat", "-d", "1", path], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=e, check=True).stderr.decode()
    return int(err.split("processed ")[1].split()[0])


def main():
    e = env()
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    only = re.compile(os.environ.get("BENCH_ONLY", ""))
    files = inputs(e)
    records = {}
    rows = []
    for stage, argv, names, use_stdin, target in STAGES:
        if not only.search(stage):
            continue
        for name in names:
            path = files[name]
            if path not in records:
                records[path] = count(path, e)
                harness.warm(path)
            n = records[path]
            runs, cats = [], []
            load = harness.OtherLoad().start()
            for _ in range(repeat):
                cats.append(harness.run([["cat", path]], env=e))
                if use_stdin:
                    runs.append(harness.run([argv], stdin=path, env=e))
                else:
                    runs.append(harness.run([argv + [path]], env=e))
            busy = load.stop()
            s, c = harness.summary(runs), harness.summary(cats)
            rps = n / s["best"]
            row = dict(stage=stage, input=os.path.basename(path), records=n,
                       seconds=s["best"], cat_seconds=c["best"], records_per_s=rps,
                       x_cat=s["best"] / c["best"], peak_rss_mb=s["peak_rss_kib"] / 1024.0,
                       target=target, met=None if target is None else rps >= target,
                       other_cpus=busy)
            rows.append(row)
            print("%-30s %-22s %9d rec %7.3f s %7.1f M rec/s %5.2fx cat %7.1f MB%s%s"
                  % (stage, row["input"], n, row["seconds"], rps / 1e6, row["x_cat"],
                     row["peak_rss_mb"],
                     "" if row["met"] in (None, True) else "  BELOW TARGET",
                     " *" if busy is not None and busy >= 0.25 else ""))
            sys.stdout.flush()
    with open(os.path.join(OUT, "portrank.json"), "w") as f:
        json.dump({"rows": rows}, f, indent=1)
    print("(* = other processes kept at least a quarter of a CPU busy: rerun when quiet)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
