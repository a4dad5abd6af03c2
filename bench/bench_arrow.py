"""Arrow and Parquet (issue 14): records per second of

  - Arrow conversion: batches already read, each turned into a
    pyarrow.RecordBatch by the library (one C pass, core/columns.py);
    target at least 20 M records/s;
  - reading + conversion (Reader.arrow_batches(), batches consumed one by one)
    and a whole table (Reader.to_arrow(), every column kept: fresh memory);
  - flow-export -f 6 of the file into one Parquet file (target at least 5 M
    records/s, the command's start-up included) and into a Hive-partitioned
    dataset; flow-import -f 6 of the file back; `cat` of the flow file beside.

    .venv/bin/python bench/bench_arrow.py    # make install-venv first

Environment: BENCH_GEN (flow-gen v5 records of the file, default 5000000),
BENCH_REPEAT (default 3).  Results: bench/out/arrow.json.
"""
import json
import os
import shutil
import sys
import time

import harness
from harness import bench_env as env, make_file as made

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
TARGET_CONVERT = 20e6
TARGET_EXPORT = 5e6


def _best(fn, repeat):
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best


def library_rows(path, n, repeat):
    from pyflowtools.io import arrow, stream
    rows = []
    rd = stream.reader(path, batch_records=65536)
    batches = [b.copy() for b in rd]
    sch = arrow.schema(rd.rectype, rd.header)

    def convert():
        for b in batches:
            arrow.record_batch(b, schema_=sch)

    def read_convert():
        with stream.reader(path) as r:
            for _ in r.arrow_batches():
                pass

    def table():
        with stream.reader(path) as r:
            r.to_arrow()

    for name, fn, target in (("Arrow conversion (C pass + arrays)", convert, TARGET_CONVERT),
                             ("read + arrow_batches()", read_convert, None),
                             ("read + to_arrow() (whole table)", table, None)):
        s = _best(fn, repeat)
        rows.append(dict(stage=name, records=n, seconds=s, rec_per_s=n / s,
                         target_rec_per_s=target))
    return rows


def command_rows(path, n, repeat, e, tmp):
    rows = []
    pq_file = os.path.join(tmp, "f.parquet")
    ds = os.path.join(tmp, "ds") + "/"
    stages = [("flow-export -f 6 (one file)", [["flow-export", "-f", "6", "-u", pq_file]],
               path, TARGET_EXPORT),
              ("flow-export -f 6 -u dir/ (dataset)", [["flow-export", "-f", "6", "-u", ds]],
               path, None),
              ("flow-import -f 6 (one file)", [["flow-import", "-f", "6", "-u", pq_file]],
               None, None)]
    cat = harness.summary([harness.run([["cat", path]], env=e) for _ in range(repeat)])
    for name, argv, stdin, target in stages:
        runs = []
        for _ in range(repeat):
            shutil.rmtree(ds, ignore_errors=True)
            runs.append(harness.run(argv, stdin=stdin, env=e))
        s = harness.summary(runs)
        rows.append(dict(stage=name, records=n, seconds=s["best"], rec_per_s=n / s["best"],
                         x_cat=s["best"] / cat["best"], peak_rss_mb=s["peak_rss_kib"] / 1024.0,
                         target_rec_per_s=target))
    rows.append(dict(stage="parquet bytes per record", records=n,
                     value=os.path.getsize(pq_file) / n))
    return rows


def main():
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        print("bench_arrow: pyarrow is not installed: skipped")
        return 0
    n = int(os.environ.get("BENCH_GEN", "5000000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    e = env()
    os.makedirs(OUT, exist_ok=True)
    path = made(os.path.join(OUT, "gen-v5-%d.ft" % n), ["flow-gen", "-V", "5", "-n", str(n)], e)
    harness.warm(path)
    tmp = os.path.join(OUT, "arrow-tmp")
    os.makedirs(tmp, exist_ok=True)
    try:
        rows = library_rows(path, n, repeat) + command_rows(path, n, repeat, e, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    status = 0
    for r in rows:
        if "value" in r:
            print("%-38s %6.1f" % (r["stage"], r["value"]))
            continue
        t = r.get("target_rec_per_s")
        verdict = "" if t is None else ("  ok (>= %d M)" % (t / 1e6) if r["rec_per_s"] >= t
                                         else "  BELOW TARGET %d M" % (t / 1e6))
        if t is not None and r["rec_per_s"] < t:
            status = 1
        print("%-38s %9d rec  %7.3f s  %6.1f M rec/s%s"
              % (r["stage"], r["records"], r["seconds"], r["rec_per_s"] / 1e6, verdict))
    with open(os.path.join(OUT, "arrow.json"), "w") as f:
        json.dump(rows, f, indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main())
