"""Arrow and Parquet (issue 14): records per second of

  - Arrow conversion: batches already read, each turned into a
    pyarrow.RecordBatch by the library (one C pass, core/columns.py);
    target at least 20 M records/s;
  - reading + conversion (Reader.arrow_batches(), batches consumed one by one)
    and a whole table (Reader.to_arrow(), every column kept: fresh memory);
  - flow-export -f 6 of the file into one Parquet file (target at least 5 M
    records/s, the command's start-up included), the same with
    PYFLOWTOOLS_PARQUET_ENCODING=plain (plain values instead of byte stream
    split) beside it, and into a Hive-partitioned dataset; flow-import -f 6
    of the file back; `cat` of the flow file beside;
  - flow-export -f 6 of real flows (the enterprise sample, BENCH_COPIES
    copies, default 100: 5.76 M flows), both encodings: flow-gen's counting
    fields compress far better than real traffic does;
  - the bytes a record of each file; the CPU the other processes of the
    machine used meanwhile.

    .venv/bin/python bench/bench_arrow.py    # make install-venv first

Environment: BENCH_GEN (flow-gen v5 records of the file, default 5000000),
BENCH_REPEAT (default 3), BENCH_COPIES (0: no real rows).  Results:
bench/out/arrow.json.

Figures (bench/README.md has the table): see "Arrow and Parquet" there.
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
SAMPLE = os.path.join(HERE, os.pardir, "samples", "enterprise", "ft-v05.2004-08-16.090000+0000")
SAMPLE_FLOWS = 57556         # flows of the enterprise sample


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


def command_rows(path, n, repeat, e, tmp, real=None, n_real=0):
    """The commands on the flow-gen file, then (`real`) on the enterprise
    sample's copies; each flow-export with the default encoding and with
    PYFLOWTOOLS_PARQUET_ENCODING=plain, runs interleaved."""
    rows = []
    pq_file = os.path.join(tmp, "f.parquet")
    plain = os.path.join(tmp, "plain.parquet")
    ds = os.path.join(tmp, "ds") + "/"
    e_plain = dict(e, PYFLOWTOOLS_PARQUET_ENCODING="plain")
    stages = [("flow-export -f 6 (one file)", [["flow-export", "-f", "6", "-u", pq_file]],
               path, e, n, TARGET_EXPORT),
              ("flow-export -f 6 (one file), plain", [["flow-export", "-f", "6", "-u", plain]],
               path, e_plain, n, None),
              ("flow-export -f 6 -u dir/ (dataset)", [["flow-export", "-f", "6", "-u", ds]],
               path, e, n, None),
              ("flow-import -f 6 (one file)", [["flow-import", "-f", "6", "-u", pq_file]],
               None, e, n, None)]
    sizes = [("parquet bytes per record", pq_file, n), ("parquet bytes per record, plain", plain, n)]
    if real is not None:
        rf, rp = os.path.join(tmp, "real.parquet"), os.path.join(tmp, "real-plain.parquet")
        stages += [("real: flow-export -f 6 (one file)", [["flow-export", "-f", "6", "-u", rf]],
                    real, e, n_real, None),
                   ("real: flow-export -f 6, plain", [["flow-export", "-f", "6", "-u", rp]],
                    real, e_plain, n_real, None)]
        sizes += [("real: parquet bytes per record", rf, n_real),
                  ("real: parquet bytes per record, plain", rp, n_real)]
    cat = harness.summary([harness.run([["cat", path]], env=e) for _ in range(repeat)])
    runs = {name: [] for name, *_ in stages}
    for _ in range(repeat):
        for name, argv, stdin, env_, _n, _t in stages:
            shutil.rmtree(ds, ignore_errors=True)
            runs[name].append(harness.run(argv, stdin=stdin, env=env_))
    for name, _argv, _stdin, _env, count, target in stages:
        s = harness.summary(runs[name])
        rows.append(dict(stage=name, records=count, seconds=s["best"],
                         rec_per_s=count / s["best"], x_cat=s["best"] / cat["best"],
                         peak_rss_mb=s["peak_rss_kib"] / 1024.0, target_rec_per_s=target))
    for name, f, count in sizes:
        rows.append(dict(stage=name, records=count, value=os.path.getsize(f) / count))
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
    copies = int(os.environ.get("BENCH_COPIES", "100"))
    real = None
    if copies > 0 and os.path.exists(SAMPLE):
        real = made(os.path.join(OUT, "enterprise-x%d.ft" % copies),
                    ["flow-cat"] + [SAMPLE] * copies, e)
        harness.warm(real)
    tmp = os.path.join(OUT, "arrow-tmp")
    os.makedirs(tmp, exist_ok=True)
    load = harness.OtherLoad().start()
    try:
        rows = library_rows(path, n, repeat) + command_rows(
            path, n, repeat, e, tmp, real, SAMPLE_FLOWS * copies)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    busy = load.stop()
    if busy is not None:
        print("other load during the runs: %.2f CPUs busy" % busy)
        rows.append(dict(stage="other load (CPUs busy)", records=0, value=busy))
    status = 0
    for r in rows:
        if "value" in r:
            print("%-40s %6.1f" % (r["stage"], r["value"]))
            continue
        t = r.get("target_rec_per_s")
        verdict = "" if t is None else ("  ok (>= %d M)" % (t / 1e6) if r["rec_per_s"] >= t
                                         else "  BELOW TARGET %d M" % (t / 1e6))
        if t is not None and r["rec_per_s"] < t:
            status = 1
        print("%-40s %9d rec  %7.3f s  %6.1f M rec/s%s"
              % (r["stage"], r["records"], r["seconds"], r["rec_per_s"] / 1e6, verdict))
    with open(os.path.join(OUT, "arrow.json"), "w") as f:
        json.dump(rows, f, indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main())
