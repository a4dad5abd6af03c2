"""flow-merge and flow-split (issue 10): seconds, records/s, ratio to `cat`
and peak RSS on the 10 M record flow-gen file (bench/out/plain-N.ft).

    .venv/bin/python bench/bench_split_merge.py    # make install-venv first

Rows: `cat plain.ft > /dev/null` (the read floor) and `cp plain.ft DIR`
(the write floor of flow-split, which writes files); flow-cat, the plain
pass-through, for scale; flow-merge of the file alone, of its two halves
(made once by flow-split -N N/2; flow-gen's end times wrap every 65536
records, so the halves interleave), and of the file with itself (every
record ties with its twin: runs of one record, the worst case); flow-split
-N 1000000 and -T 60 uncompressed, -g on a v1005 copy whose source tags
cycle through 4 values record by record (made once with flow-tag on the
ToS field), and -N 1000000 at the default zlib level beside flow-cat
-z 6 (the compression floor).

flow-tools 0.68 was not timed for these two commands on this machine.
Both do per record what its flow-cat does (ftio_read, ftio_write; flow-
merge also an ftltime and a scan of every input), so its flow-cat figures
are their floor: 0.18 s for the 10 M file plain, 26 s at -z 6 (bench/
README.md).  Printed as `ref>=`.

Environment: BENCH_RECORDS (default 10000000), BENCH_REPEAT (default 3),
BENCH_ONLY (rows whose name contains it).  Results:
bench/out/split_merge.json.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

import harness
from harness import bench_env as env, make_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")

REF_CAT = 0.18        # flow-tools 0.68 flow-cat plain.ft, 10 M records (seconds)
REF_CAT_Z6 = 26.0     # flow-tools 0.68 flow-cat -z 6 plain.ft
REF_RECORDS = 10_000_000

TAG_CFG = "".join(["tag-action tos\n  type tos\n"]
                  + ["  match %d set-src %d\n" % (t, t % 4 + 1) for t in range(256)]
                  + ["tag-definition cycle\n  term\n    action tos\n"])


def inputs(n, e):
    """(plain, halves, tagged) for n records, made once in bench/out."""
    os.makedirs(OUT, exist_ok=True)
    plain = make_file(os.path.join(OUT, "plain-%d.ft" % n), ["flow-gen", "-n", str(n)], e)
    halves = os.path.join(OUT, "halves-%d" % n)
    if not os.path.isdir(halves):
        harness.log("making %s" % halves)
        os.makedirs(halves + ".tmp", exist_ok=True)
        with open(plain, "rb") as f:
            subprocess.run(["flow-split", "-z", "0", "-N", str((n + 1) // 2), "-o",
                            os.path.join(halves + ".tmp", "h")], stdin=f, env=e, check=True)
        os.rename(halves + ".tmp", halves)
    cfg = os.path.join(OUT, "bench-tag.cfg")
    with open(cfg, "w") as f:
        f.write(TAG_CFG)
    tagged = os.path.join(OUT, "tagged-%d.ft" % n)
    if not os.path.exists(tagged):
        harness.log("making %s" % tagged)
        with open(plain, "rb") as fin, open(tagged + ".tmp", "wb") as fout:
            subprocess.run(["flow-tag", "-t", cfg, "-T", "cycle"], stdin=fin, stdout=fout,
                           env=e, check=True)
        os.rename(tagged + ".tmp", tagged)
    return plain, sorted(glob.glob(os.path.join(halves, "h.*"))), tagged


def rows(plain, halves, tagged, scratch):
    """(name, argv, stdin, records, floor row, reference floor)."""
    x = os.path.join(scratch, "x")
    return [
        ("cat plain.ft", ["cat", plain], None, 1, None, None),
        ("cp plain.ft DIR", ["cp", plain, os.path.join(scratch, "copy")], None, 1, None, None),
        ("flow-cat plain.ft", ["flow-cat", plain], None, 1, "cat plain.ft", REF_CAT),
        ("merge plain.ft", ["flow-merge", plain], None, 1, "cat plain.ft", REF_CAT),
        ("merge halves", ["flow-merge"] + halves, None, 1, "cat plain.ft", REF_CAT),
        ("merge plain plain", ["flow-merge", plain, plain], None, 2, "cat plain.ft",
         2 * REF_CAT),
        ("split -z0 -N 1M", ["flow-split", "-z", "0", "-N", "1000000", "-o", x], plain, 1,
         "cp plain.ft DIR", REF_CAT),
        ("split -z0 -T 60", ["flow-split", "-z", "0", "-T", "60", "-o", x], plain, 1,
         "cp plain.ft DIR", REF_CAT),
        ("split -z0 -g (4 tags)", ["flow-split", "-z", "0", "-g", "-o", x], tagged, 1,
         "cp plain.ft DIR", REF_CAT),
        ("flow-cat -z 6", ["flow-cat", "-z", "6", plain], None, 1, "cat plain.ft", REF_CAT_Z6),
        ("split -N 1M (zlib)", ["flow-split", "-N", "1000000", "-o", x], plain, 1,
         "flow-cat -z 6", REF_CAT_Z6),
    ]


def clear(d):
    for p in glob.glob(os.path.join(d, "*")):
        os.remove(p)


def main():
    n = int(os.environ.get("BENCH_RECORDS", "10000000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    only = os.environ.get("BENCH_ONLY", "")
    e = env()
    for cmd in ("flow-gen", "flow-split", "flow-merge", "flow-tag", "flow-cat"):
        if not harness.have(cmd, e):
            sys.exit("bench: %s is not installed (make install-venv)" % cmd)
    plain, halves, tagged = inputs(n, e)
    scratch = os.path.join(OUT, "split-scratch")
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    for f in [plain, tagged] + halves:
        harness.warm(f)
    results = {"records": n, "machine_busy_note": "see bench/README.md", "rows": {}}
    print("flow-merge / flow-split on %d flow-gen records (%.0f MB)"
          % (n, os.path.getsize(plain) / 1e6))
    print("%-22s %8s %11s %7s %8s %9s" % ("row", "seconds", "records/s", "x floor", "RSS MB",
                                           "ref>= s"))
    best = {}
    table = rows(plain, halves, tagged, scratch)
    chosen = {r[0] for r in table if only in r[0]}
    chosen |= {r[4] for r in table if r[0] in chosen and r[4]}
    chosen |= {r[4] for r in table if r[0] in chosen and r[4]}      # floors of floors
    for name, argv, stdin, mult, floor, ref in table:
        if name not in chosen:
            continue
        runs = []
        for _ in range(repeat):
            clear(scratch)
            if stdin:
                harness.warm(stdin)
            runs.append(harness.run([argv], stdin=stdin, env=e))
        clear(scratch)
        s = harness.summary(runs)
        best[name] = s["best"]
        recs = n * mult
        ratio = s["best"] / best[floor] if floor in best and best[floor] > 0 else None
        results["rows"][name] = dict(s, argv=argv, stdin=stdin, records=recs, floor=floor,
                                     x_floor=ratio, reference_floor_seconds=ref)
        print("%-22s %8.3f %10.1fM %7s %8.0f %9s" % (
            name, s["best"], recs / s["best"] / 1e6,
            "%.1f" % ratio if ratio is not None else "", s["peak_rss_kib"] / 1024,
            "%.2f" % (ref * n / REF_RECORDS) if ref else ""))
    shutil.rmtree(scratch, ignore_errors=True)
    with open(os.path.join(OUT, "split_merge.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
