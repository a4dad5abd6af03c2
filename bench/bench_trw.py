"""flow-trw beside flow-cat and flow-portrank on the same files: records/s,
ratio to `cat` of the same file, peak RSS.

Inputs (cached in bench/out/): the bundled enterprise sample concatenated
with flow-cat, 100 copies (about 5.7 M flows, the issue's "realistic
file") and 174 copies (about 10 M flows): the first-contact and answer
tables stay the size of one copy's (39222 and 46219 keys), the work
grows with the flows.

    .venv/bin/python bench/bench_trw.py        # make install-venv first

Environment: BENCH_REPEAT (default 3), BENCH_ONLY (regular expression on
the stage name).  Target (issue 15): flow-trw >= 10 M records/s on the
realistic file (the v1006 stage: the same flows through the 128-bit path,
no target).  Results also go to bench/out/trw.json.
"""
import json
import os
import re
import sys

import harness
from harness import bench_env as env, make_file as _make
from bench_portrank import count

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
SAMPLE = os.path.join(HERE, os.pardir, "samples", "enterprise",
                      "ft-v05.2004-08-16.090000+0000")
LOCAL = "135.169.0.0/16"

#: (stage, argv, input names, stdin instead of an operand, target records/s)
STAGES = [
    ("flow-cat", ["flow-cat"], ("real", "real10M"), False, None),
    ("flow-portrank -t 50", ["flow-portrank", "-t", "50"], ("real", "real10M"), False, None),
    ("flow-trw -L", ["flow-trw", "-L", LOCAL], ("real", "real10M"), False, 10e6),
    ("flow-trw -L < file", ["flow-trw", "-L", LOCAL], ("real",), True, 10e6),
    ("flow-trw (no -L)", ["flow-trw"], ("real",), False, 10e6),
    # the same flows as v1006 (flow-cat -V 1006: IPv4-mapped, 112-byte
    # records, 128-bit keys): the cost of the IPv6 path, no target
    ("flow-trw -L (v1006)", ["flow-trw", "-L", LOCAL], ("real1006",), False, None),
    ("flow-trw -L -o tsv -p 0", ["flow-trw", "-L", LOCAL, "-o", "tsv", "-p", "0"], ("real",),
     False, 10e6),
    # -F reads the file twice (the scanners' flows in the second pass)
    ("flow-trw -L -F", ["flow-trw", "-L", LOCAL, "-F"], ("real",), False, None),
]


def inputs(e):
    os.makedirs(OUT, exist_ok=True)
    out = {name: _make(os.path.join(OUT, "enterprise-x%d.ft" % copies),
                       ["flow-cat"] + [SAMPLE] * copies, e)
           for name, copies in (("real", 100), ("real10M", 174))}
    out["real1006"] = _make(os.path.join(OUT, "enterprise-x100.v1006.ft"),
                            ["flow-cat", "-V", "1006", out["real"]], e)
    return out


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
                    runs.append(harness.run([argv], stdin=path, env=e, ok=(0, 2)))
                else:
                    runs.append(harness.run([argv + [path]], env=e, ok=(0, 2)))
            busy = load.stop()
            s, c = harness.summary(runs), harness.summary(cats)
            rps = n / s["best"]
            row = dict(stage=stage, input=os.path.basename(path), records=n,
                       seconds=s["best"], cat_seconds=c["best"], records_per_s=rps,
                       x_cat=s["best"] / c["best"], peak_rss_mb=s["peak_rss_kib"] / 1024.0,
                       target=target, met=None if target is None else rps >= target,
                       other_cpus=busy)
            rows.append(row)
            print("%-26s %-22s %9d rec %7.3f s %7.1f M rec/s %5.2fx cat %7.1f MB%s%s"
                  % (stage, row["input"], n, row["seconds"], rps / 1e6, row["x_cat"],
                     row["peak_rss_mb"],
                     "" if row["met"] in (None, True) else "  BELOW TARGET",
                     " *" if busy is not None and busy >= 0.25 else ""))
            sys.stdout.flush()
    with open(os.path.join(OUT, "trw.json"), "w") as f:
        json.dump({"rows": rows}, f, indent=1)
    print("(* = other processes kept at least a quarter of a CPU busy: rerun when quiet)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
