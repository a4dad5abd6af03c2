"""flow-stat and flow-report (issue 9): seconds, ratio to `cat` and peak RSS
on the realistic file (the bundled enterprise sample concatenated
BENCH_COPIES times, 5.76 M flows) and on the 10 M record flow-gen file
(every record a new source: 10 M keys, the worst case), beside nfdump 1.7
ranking the same 10 M sources (`nfdump -s srcip`) from the files nfcapd
wrote when the flow-gen file was replayed to it once (flow-send on
127.0.0.1; cached in bench/out/nfcapd-N/).

    .venv/bin/python bench/bench_stat_report.py    # make install-venv first

Environment: BENCH_COPIES (default 100), BENCH_REPEAT (default 3), BENCH_GEN
(flow-gen records, default 10000000), BENCH_ONLY (stages whose name
contains it).  Results: bench/out/stat_report.json.

flow-tools 0.68 on this machine (issue 9): flow-stat -f 9 on the 10 M file
75 s and 1.6 GB, a flow-report ip-source-address report 61 s; on the
realistic file flow-stat -f 9 -S 3 0.65 s, flow-report 0.20 s.  nfdump
-s srcip on the 10 M file: 4.0 s, 1.8 GB.  Targets: at most half the
reference's time on each, at least nfdump's speed on the 10 M keys, peak
memory below both.
"""
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import harness
from harness import bench_env as env, count_records as count, make_file as made

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
SAMPLE = os.path.join(HERE, os.pardir, "samples", "enterprise",
                      "ft-v05.2004-08-16.090000+0000")
CFG = os.path.join(HERE, "stat-bench.cfg")

#: reference seconds (flow-tools 0.68, this machine) per (stage, input kind)
REFERENCE = {("stat -f 9", "gen"): 75.0, ("report srcaddr", "gen"): 61.0,
             ("stat -f 9 -S 3", "real"): 0.65, ("report srcaddr", "real"): 0.20}
NFDUMP = {"seconds": 4.0, "peak_mb": 1800}
REF_PEAK_MB = 1600

#: (name, argv reading stdin, input kinds)
STAGES = [
    ("stat -f 9", ["flow-stat", "-f", "9"], ("real", "gen")),
    ("stat -f 9 -S 3", ["flow-stat", "-f", "9", "-S", "3"], ("real", "gen")),
    ("stat -f 10 -S 2", ["flow-stat", "-f", "10", "-S", "2"], ("real",)),
    ("stat -f 0", ["flow-stat", "-f", "0"], ("real", "gen")),
    ("stat -f 5", ["flow-stat", "-f", "5"], ("real",)),
    ("report srcaddr", ["flow-report", "-s", CFG, "-S", "srcaddr"], ("real", "gen")),
    ("report srcaddr-top", ["flow-report", "-s", CFG, "-S", "srcaddr-top"], ("real", "gen")),
]


def nfcapd_files(path, e):
    """nfcapd's files for the flow file at path: replayed once by flow-send
    to nfcapd on 127.0.0.1 (cached).  None when nfdump is not installed."""
    if not (shutil.which("nfcapd") and shutil.which("nfdump")):
        return None
    store = os.path.join(OUT, "nfcapd-" + os.path.basename(path))
    done = store + ".done"        # beside it: nfdump -R reads every file inside
    if os.path.exists(done):
        return store
    shutil.rmtree(store, ignore_errors=True)
    os.makedirs(store)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    harness.log("replaying %s to nfcapd (once)" % path)
    nf = subprocess.Popen(["nfcapd", "-w", store, "-p", str(port), "-b", "127.0.0.1",
                           "-B", str(1 << 25)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(1.0)       # bench only: nfcapd binds its socket at start
        with open(path, "rb") as f:
            subprocess.run(["flow-send", "-x", "20", "0/127.0.0.1/%d" % port], stdin=f,
                           env=e, check=False)
        time.sleep(2.0)
    finally:
        nf.send_signal(signal.SIGTERM)
        nf.wait(timeout=60)
    open(done, "w").close()
    return store


def nfdump_rows(store, e, repeat):
    runs = [harness.run([["nfdump", "-R", store, "-s", "srcip", "-n", "10", "-q"]], env=e)
            for _ in range(repeat)]
    s = harness.summary(runs)
    flows = subprocess.run(["nfdump", "-R", store, "-q", "-s", "record/flows", "-n", "1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return s, flows


def main():
    e = env()
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    only = os.environ.get("BENCH_ONLY", "")
    copies = int(os.environ.get("BENCH_COPIES", "100"))
    os.makedirs(OUT, exist_ok=True)
    inputs = [("real", made(os.path.join(OUT, "enterprise-x%d.ft" % copies),
                            ["flow-cat"] + [SAMPLE] * copies, e))]
    n = os.environ.get("BENCH_GEN", "10000000")
    inputs.append(("gen", made(os.path.join(OUT, "plain-%s.ft" % n), ["flow-gen", "-n", n], e)))
    rows = []
    for kind, path in inputs:
        records = count(path, e)
        harness.warm(path)
        for name, argv, kinds in STAGES:
            if kind not in kinds or only not in name:
                continue
            runs, cats = [], []
            for _ in range(repeat):
                cats.append(harness.run([["cat", path]], env=e))
                runs.append(harness.run([argv], stdin=path, env=e))
            s, c = harness.summary(runs), harness.summary(cats)
            ref = REFERENCE.get((name, kind))
            row = dict(stage=name, input=os.path.basename(path), records=records,
                       seconds=s["best"], cat_seconds=c["best"], x_cat=s["best"] / c["best"],
                       peak_rss_mb=s["peak_rss_kib"] / 1024.0, reference_seconds=ref,
                       x_reference=s["best"] / ref if ref else None)
            rows.append(row)
            print("%-20s %-22s %9d rec  %8.3f s  %6.1fx cat  %7.1f MB%s"
                  % (name, row["input"], records, row["seconds"], row["x_cat"],
                     row["peak_rss_mb"],
                     "  ref %.2f s (%.3fx)" % (ref, row["x_reference"]) if ref else ""))
            sys.stdout.flush()
        if kind == "gen" and (not only or "nfdump" in only):
            store = nfcapd_files(path, e)
            if store and glob.glob(os.path.join(store, "**", "nfcapd.*"), recursive=True):
                s, _ = nfdump_rows(store, e, repeat)
                row = dict(stage="nfdump -s srcip", input=os.path.basename(store),
                           records=records, seconds=s["best"],
                           peak_rss_mb=s["peak_rss_kib"] / 1024.0)
                rows.append(row)
                print("%-20s %-22s %9d rec  %8.3f s  %17s %7.1f MB"
                      % (row["stage"], row["input"], records, row["seconds"], "",
                         row["peak_rss_mb"]))
    with open(os.path.join(OUT, "stat_report.json"), "w") as f:
        json.dump({"reference": {"%s/%s" % k: v for k, v in REFERENCE.items()},
                   "reference_peak_mb": REF_PEAK_MB, "nfdump_reported": NFDUMP,
                   "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
