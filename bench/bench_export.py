"""flow-export (issue 10): -f 2 (CSV) and -f 0 (cflowd) beside `cat` of the
10 M record flow-gen file, and rows per second loaded by -f 5 into a
throw-away PostgreSQL server and by -f 3 into a throw-away MariaDB server
(tests/dbservers.py; skipped when the server or driver is absent).
flow-send (issue 11) of the same file as -V 5, -V 9 and -V 10 datagrams to
a UDP socket on 127.0.0.1 that this script holds and never reads (the
kernel drops what overflows it; the sender's work is the same).

    .venv/bin/python bench/bench_export.py    # make install-venv first

Environment: BENCH_GEN (flow-gen records of the file, default 10000000),
BENCH_DB_RECORDS (records loaded into each database, default 2000000),
BENCH_REPEAT (default 3), BENCH_ONLY (stages whose name contains it).
Results: bench/out/export.json.

The reference sends one INSERT per flow (its -f 5; it has no MySQL).
Target: -f 5 at least 100,000 rows/s on this machine.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import harness
from harness import bench_env as env, count_records as count, make_file as made

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
sys.path.insert(0, os.path.join(HERE, os.pardir, "tests"))
import dbservers  # noqa: E402  (the tests' throw-away servers)

TARGET_ROWS_PER_SECOND = 100_000
STAGES = [("export -f 2 (CSV)", ["flow-export", "-f", "2"]),
          ("export -f 0 (cflowd)", ["flow-export", "-f", "0"]),
          ("export -f 4 (datagrams)", ["flow-export", "-f", "4"])]


def send_stages(port):
    """flow-send of each version to 127.0.0.1:port (status 1 is its usual)."""
    spec = "0/127.0.0.1/%d" % port
    return [("send -V %s (loopback)" % v, ["flow-send", "-V", v, spec])
            for v in ("5", "9", "10")]


def file_rows(path, e, repeat, only, stages=STAGES, ok=(0,)):
    rows = []
    records = count(path, e)
    harness.warm(path)
    for name, argv in stages:
        if only not in name:
            continue
        runs, cats = [], []
        for _ in range(repeat):
            cats.append(harness.run([["cat", path]], env=e))
            runs.append(harness.run([argv], stdin=path, env=e, ok=ok))
        s, c = harness.summary(runs), harness.summary(cats)
        row = dict(stage=name, input=os.path.basename(path), records=records,
                   seconds=s["best"], cat_seconds=c["best"], x_cat=s["best"] / c["best"],
                   rec_per_s=records / s["best"], peak_rss_mb=s["peak_rss_kib"] / 1024.0)
        rows.append(row)
        print("%-26s %9d rec  %7.3f s  %6.1f M rec/s  %6.1fx cat  %6.1f MB"
              % (name, records, row["seconds"], row["rec_per_s"] / 1e6, row["x_cat"],
                 row["peak_rss_mb"]))
        sys.stdout.flush()
    return rows


def db_rows(cls, fmt, path, e, repeat):
    reason = cls.skip_reason()
    if reason:
        print("%-26s skipped: %s" % ("export -f %s" % fmt, reason))
        return []
    base = tempfile.mkdtemp(prefix="pyflowtools-bench-")
    os.chmod(base, 0o755)
    server = cls(base)
    try:
        records = count(path, e)
        best = None
        for i in range(repeat):
            table = "bench_%d" % i
            t0 = time.perf_counter()
            with open(path, "rb") as f:
                p = subprocess.run(["flow-export", "-f", fmt, "-u", server.uri(table)],
                                   stdin=f, env=e, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
            secs = time.perf_counter() - t0
            if p.returncode != 0:
                raise SystemExit("bench: flow-export -f %s failed: %s" % (fmt, p.stderr.decode()))
            n = server.query("SELECT count(*) FROM %s" % table)[0][0]
            if n != records:
                raise SystemExit("bench: %d rows loaded of %d" % (n, records))
            best = secs if best is None else min(best, secs)
        row = dict(stage="export -f %s (%s)" % (fmt, cls.__name__), records=records,
                   seconds=best, rows_per_s=records / best,
                   target_rows_per_s=TARGET_ROWS_PER_SECOND,
                   result="ok" if records / best >= TARGET_ROWS_PER_SECOND else "FAIL")
        print("%-26s %9d rows %7.3f s  %9.0f rows/s  (target %d: %s)"
              % (row["stage"], records, best, row["rows_per_s"], TARGET_ROWS_PER_SECOND,
                 row["result"]))
        return [row]
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def main():
    e = env()
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    only = os.environ.get("BENCH_ONLY", "")
    os.makedirs(OUT, exist_ok=True)
    n = os.environ.get("BENCH_GEN", "10000000")
    path = made(os.path.join(OUT, "plain-%s.ft" % n), ["flow-gen", "-n", n], e)
    rows = file_rows(path, e, repeat, only)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        sent = file_rows(path, e, repeat, only, send_stages(sink.getsockname()[1]), ok=(0, 1))
    by = {r["stage"]: r for r in sent}
    for v in ("9", "10"):
        a, b = by.get("send -V %s (loopback)" % v), by.get("send -V 5 (loopback)")
        if a and b:
            a["x_v5"] = a["seconds"] / b["seconds"]
            print("%-26s %.2fx the time of -V 5" % (a["stage"], a["x_v5"]))
    rows += sent
    dbn = os.environ.get("BENCH_DB_RECORDS", "2000000")
    dbpath = made(os.path.join(OUT, "plain-%s.ft" % dbn), ["flow-gen", "-n", dbn], e)
    if "PostgreSQL" in only or "-f 5" in only or not only:
        rows += db_rows(dbservers.Postgres, "5", dbpath, e, repeat)
    if "MariaDB" in only or "-f 3" in only or not only:
        rows += db_rows(dbservers.MariaDB, "3", dbpath, e, repeat)
    with open(os.path.join(OUT, "export.json"), "w") as f:
        json.dump(dict(when=time.strftime("%Y-%m-%dT%H:%M:%S%z"), rows=rows), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
