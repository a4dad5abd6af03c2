"""Split runs (issue 14, pyflowtools/parallel): on 20-file capture trees,
the records per second of flow-stat -f 0, -f 5, flow-report (a port
table), flow-portrank and flow-zonecheck (alert lines, in the flows'
order) read in one process (-j 1), by two local processes (-j 2) and by
a two-worker Dask cluster (--dask, LocalCluster of two processes with one
thread each, started here on 127.0.0.1), side by side;
then flow-stat -f 5 on the same flows as ONE uncompressed file (cut into
ranges of records).  Target: -j 2 and the cluster each at least 1.7x the
one-process rate on a 2-core machine.

Two trees of 20 zlib files (flow-split) of about BENCH_GEN flows each
(default 40 M: 2 M flows a file, five minutes of a busy router): flow-gen's
records, and the bundled enterprise sample's real flows (copies of its
hour).  A split run pays fixed costs a single run does not (forking, or
the Dask client's `import distributed` and connection: ~0.5 s of CPU
against ~7 s of work at 40 M), so a small tree understates the speed-up.
flow-portrank is held to the target on the real flows: flow-gen draws
every address and port at random, so there each of its flows is a
distinct (host, port) pair and the partial tables are the flows
themselves (the merge is the single run's table work, serial in the
parent); that row is shown, like flow-stat -f 10 (a key per flow), not
held.

Memory: the command's peak RSS, and the workers' peak RSS (bounded by
their partial tables, not by the flows).  CPU: user + sys seconds of the
command and its processes (not the Dask workers'), best run: on a shared
machine the wall clock swings, the CPU time much less.

    .venv/bin/python bench/bench_parallel.py    # make install-venv first

Environment: BENCH_GEN (flows of each tree, default 40000000), BENCH_REPEAT
(default 3), BENCH_ONLY (only the rows whose name has this).  Results:
bench/out/parallel.json.
"""
import json
import os
import shutil
import subprocess
import sys

import harness
from harness import bench_env as env, make_file as made

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
FILES = 20
TARGET = 1.7

SAMPLE = os.path.join(HERE, os.pardir, "samples", "enterprise",
                      "ft-v05.2004-08-16.090000+0000")
#: flows in the sample (flow-cat -d 1)
SAMPLE_FLOWS = 57556

#: (name, argv, tree, whether the target applies): flow-stat -f 10 keys
#: every (source, destination) pair and flow-portrank every (host, port)
#: pair, nearly one a flow in flow-gen's data, so their partial tables are
#: as big as the flows and the merge is the run: shown, not held to the
#: target; flow-portrank is held on real flows
COMMANDS = (("flow-stat -f 0", ["flow-stat", "-f", "0"], "gen", True),
            ("flow-stat -f 5", ["flow-stat", "-f", "5"], "gen", True),
            ("flow-report dport", ["flow-report", "-s", "@CFG", "-S", "dport"], "gen", True),
            ("flow-stat -f 5, real flows", ["flow-stat", "-f", "5"], "real", True),
            ("flow-portrank -t 50, real flows", ["flow-portrank", "-t", "50"], "real", True),
            ("flow-zonecheck, real flows", ["flow-zonecheck", "-z", "@ZONES", "-L", "135.169.0.0/16"],
             "real", True),
            ("flow-portrank -t 50", ["flow-portrank", "-t", "50"], "gen", False),
            ("flow-stat -f 10", ["flow-stat", "-f", "10"], "gen", False))
#: flow-report's definition: a destination port table sorted on octets
REPORT_CFG = """stat-report dport
  type ip-destination-port
  output
    sort +octets
    records 20

stat-definition dport
  report dport
"""


def make_tree(n, e, real=False):
    """FILES files of n / FILES flow-gen records each, or with real the
    sample's flows copied to at least n (cached) -> (directory, flows)."""
    copies = -(-n // SAMPLE_FLOWS)
    if real:
        n = copies * SAMPLE_FLOWS
    top = os.path.join(OUT, ("tree-real-%d" if real else "tree-%d") % n)
    if os.path.isdir(top) and len(os.listdir(top)) == FILES:
        return top, n
    if real:
        src = made(os.path.join(OUT, "enterprise-x%d.ft" % copies),
                   ["flow-cat"] + [SAMPLE] * copies, e)
    else:
        src = made(os.path.join(OUT, "gen-v5-%d.ft" % n),
                   ["flow-gen", "-V", "5", "-n", str(n)], e)
    shutil.rmtree(top, ignore_errors=True)
    os.makedirs(top)
    harness.log("splitting %s into %d files" % (src, FILES))
    subprocess.run(["flow-split", "-N", str(-(-n // FILES)), "-o", os.path.join(top, "ft")],
                   stdin=open(src, "rb"), env=e, check=True)
    return top, n


def one_file(tree, n, e):
    """The tree's flows as one uncompressed file (cached)."""
    path = os.path.join(OUT, "one-%d.ft" % n)
    if not os.path.exists(path):
        harness.log("writing %s" % path)
        with open(path + ".tmp", "wb") as f:
            subprocess.run(["flow-cat", "-z", "0", tree], stdout=f, env=e, check=True)
        os.rename(path + ".tmp", path)
    return path


def _cpu():
    import resource
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _timed(argv, e):
    """One run: (harness Result, CPU seconds of it and its processes)."""
    before = _cpu()
    r = harness.run([argv], env=e, ok=(0, 2))     # 2: flow-zonecheck found alerts
    return r, _cpu() - before


def _peak_rss_kib():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    n = int(os.environ.get("BENCH_GEN", "40000000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    e = env()
    os.makedirs(OUT, exist_ok=True)
    trees = {"gen": make_tree(n, e), "real": make_tree(n, e, real=True)}
    tree = trees["gen"][0]
    for top, _ in trees.values():
        for f in os.listdir(top):
            harness.warm(os.path.join(top, f))
    cfg = os.path.join(OUT, "bench-report.cfg")
    with open(cfg, "w") as f:
        f.write(REPORT_CFG)
    one = one_file(tree, n, e)
    harness.warm(one)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        LocalCluster = None
        print("bench_parallel: dask.distributed is not installed: no --dask rows")
    cluster = client = None
    if LocalCluster is not None:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, silence_logs=40)
        client = Client(cluster, set_as_default=False)
    rows, status = [], 0
    try:
        zones = os.path.join(os.path.dirname(SAMPLE), "zones.txt")
        runs = [(name, [{"@CFG": cfg, "@ZONES": zones}.get(a, a) for a in argv], held)
                + trees[which]
                for name, argv, which, held in COMMANDS]
        runs.append(("flow-stat -f 5, one file", ["flow-stat", "-f", "5"], True, one, n))
        only = os.environ.get("BENCH_ONLY")
        runs = [r for r in runs if not only or only in r[0]]
        for name, argv, held, data, flows in runs:
            ways = [("-j 1", ["-j", "1"]), ("-j 2", ["-j", "2"])]
            if cluster is not None:
                ways.append(("--dask (2 workers)", ["--dask", cluster.scheduler_address]))
            base = None
            for way, extra in ways:
                try:
                    got = [_timed(argv + extra + [data], e) for _ in range(repeat)]
                except harness.CommandFailed as err:     # another build without it
                    harness.log("%s %s: %s" % (name, way, err))
                    break
                s = harness.summary([r for r, _ in got])
                base = base or s["best"]
                row = dict(stage="%s %s" % (name, way), records=flows, seconds=s["best"],
                           rec_per_s=flows / s["best"], speedup=base / s["best"],
                           cpu_s=min(c for _, c in got),
                           peak_rss_mb=s["peak_rss_kib"] / 1024.0)
                if way != "-j 1" and held:
                    row["target_speedup"] = TARGET
                if way.startswith("--dask"):
                    row["worker_peak_rss_mb"] = max(client.run(_peak_rss_kib).values()) / 1024.0
                rows.append(row)
    finally:
        if client is not None:
            client.close()
            cluster.close()
    print("%-52s %9s %8s %10s %8s %7s %9s %s" % ("stage", "records", "s", "M rec/s", "x -j 1",
                                                  "CPU s", "RSS MB", "worker RSS MB"))
    for r in rows:
        t = r.get("target_speedup")
        verdict = "" if t is None else ("  ok" if r["speedup"] >= t else "  BELOW %.1fx" % t)
        if t is not None and r["speedup"] < t:
            status = 1
        print("%-52s %9d %8.3f %10.2f %7.2fx %7.2f %9.1f %s%s"
              % (r["stage"], r["records"], r["seconds"], r["rec_per_s"] / 1e6, r["speedup"],
                 r["cpu_s"], r["peak_rss_mb"], ("%.1f" % r["worker_peak_rss_mb"])
                 if "worker_peak_rss_mb" in r else "-", verdict))
    print("(a loaded machine lowers the speed-ups: bench/run.py marks busy rows)")
    with open(os.path.join(OUT, "parallel.json"), "w") as f:
        json.dump(rows, f, indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main())
