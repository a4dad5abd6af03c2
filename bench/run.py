"""pyflowtools benchmarks (`make bench`): records/s, ratio to `cat` of the
same file, and peak RSS for flow-cat and flow-print, against flow-tools
0.68 measured on the same machine.  See bench/README.md.

Environment: BENCH_RECORDS (default 10000000), BENCH_REPEAT (default 3),
BENCH_ONLY (a regular expression; only stages whose name matches).
Inputs are cached in bench/out/; results go to bench/out/results.json.

After its own table it runs the other benches of bench/ in turn
(OTHER_BENCHES: the detectors (flow-trw too), flow-tag/-mask/-xlate/-dscan/-import,
flow-merge/-split, flow-export, Arrow/Parquet, flow-stat/-report, flow-rptfmt, the
v9/IPFIX decoder, flow-capture against nfcapd, split runs), each printing its table and writing its JSON; the exit
status is 1 when any of them failed.
"""
import json
import os
import platform
import re
import subprocess
import sys
import time

import bench_cat
import bench_filter
import bench_nfilter
import bench_print
import bench_startup
import harness

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")

# flow-tools 0.68 on this machine, 10 M v5 records, file in the page cache
REF_RECORDS = 10_000_000
REF_CAT = 0.07
REF_PEAK_MB = 612
PEAK_TARGET_MB = 64
BUSY = 0.25          # other processes' average CPUs above which a row gets a *
REFERENCE_TEXT = """\
flow-tools 0.68 on this machine (10 M records, file in the page cache):
  cat plain.ft                   0.07 s
  flow-cat plain.ft              0.18 s   56 M rec/s   2.6x cat   (0.23 s from stdin)
  flow-cat z6.ft                 2.4 s    4.2 M rec/s
  flow-cat -z 6 plain.ft         26 s     0.39 M rec/s
  flow-print (default format)    3.4 s    2.9 M rec/s
  flow-print -f 5                12.3 s   0.81 M rec/s
  peak memory                    612 MB
Targets: records/s >= reference and ratio to cat <= reference on every row;
start-up <= 30 ms (median) on an empty stream; peak RSS < 64 MB per process."""


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def environment():
    env = dict(os.environ)
    bindir = os.path.dirname(sys.executable)
    path = env.get("PATH", "")
    if path.split(os.pathsep)[:1] != [bindir]:
        env["PATH"] = bindir + os.pathsep + path
    return env


def env_for(kind, base):
    env = dict(base)
    if kind == "tz_utc":
        env["TZ"] = "UTC"
    elif kind == "tz_unset":
        env.pop("TZ", None)
    return env


# ---- inputs -------------------------------------------------------------
def _make(path, argv, env):
    if os.path.exists(path) and os.path.getsize(path) > 0:
        return False
    tmp = path + ".tmp"
    log("making %s (%s)" % (os.path.basename(path), " ".join(argv)))
    with open(tmp, "wb") as f:
        subprocess.run(argv, stdout=f, env=env, check=True)
    os.replace(tmp, path)
    return True


def make_inputs(n, env):
    os.makedirs(OUT, exist_ok=True)
    files = {
        "plain": os.path.join(OUT, "plain-%d.ft" % n),
        "z6": os.path.join(OUT, "z6-%d.ft" % n),
        "empty": os.path.join(OUT, "empty.ft"),
    }
    _make(files["plain"], ["flow-gen", "-n", str(n)], env)
    _make(files["z6"], ["flow-gen", "-n", str(n), "-z", "6"], env)
    _make(files["empty"], ["flow-gen", "-n", "0"], env)
    if os.path.getsize(files["plain"]) < n * 64:
        sys.exit("bench: %s is shorter than %d records; delete it and rerun" % (files["plain"], n))
    return files


# ---- measuring ----------------------------------------------------------
def expand(cmds, files):
    return [[a.format(**files) for a in argv] for argv in cmds]


def measure_stage(st, files, base_env, repeat):
    """Best of `repeat` for the stage and for `cat` of its input, interleaved."""
    env = env_for(st.get("env"), base_env)
    needs = sorted({argv[0] for argv in st["cmds"]})
    missing = [c for c in needs if not harness.have(c, env)]
    row = dict(stage=st["name"], command=st["shown"], input=st["input"], env=st.get("env"))
    if missing:
        row.update(result="SKIP", note="%s not installed" % ", ".join(missing))
        return row
    src = files[st["input"]]
    harness.warm(src)
    cmds = expand(st["cmds"], files)
    stdin = files[st["stdin"]] if st.get("stdin") else None
    cat_runs, runs = [], []
    log("%s (%d runs)" % (st["name"], repeat))
    load = harness.OtherLoad().start()
    try:
        for _ in range(repeat):
            cat_runs.append(harness.run([["cat", src]], env=env))
            runs.append(harness.run(cmds, stdin=stdin, env=env))
    except harness.CommandFailed as e:
        row.update(result="ERROR", note=str(e))
        return row
    row["measured"] = harness.summary(runs)
    row["cat"] = harness.summary(cat_runs)
    row["other_cpus"] = load.stop()
    return row


def measure_startup(files, base_env, runs):
    st, bl = bench_startup.STAGE, bench_startup.BASELINE
    rows = []
    for s in (bl, st):
        row = dict(stage=s["name"], command=s["shown"], input=s.get("stdin"))
        missing = [argv[0] for argv in s["cmds"] if not harness.have(argv[0], base_env)]
        if missing:
            row.update(result="SKIP", note="%s not installed" % ", ".join(missing))
        rows.append(row)
    live = [(s, r) for s, r in zip((bl, st), rows) if "result" not in r]
    log("start-up (%d runs each)" % runs)
    results = {id(r): [] for _, r in live}
    load = harness.OtherLoad().start()
    try:
        for _ in range(runs):
            for s, r in live:
                stdin = files[s["stdin"]] if s.get("stdin") else None
                results[id(r)].append(harness.run(s["cmds"], stdin=stdin, env=base_env))
    except harness.CommandFailed as e:
        for _, r in live:
            r.update(result="ERROR", note=str(e))
        return rows
    other = load.stop()
    for _, r in live:
        r["measured"] = harness.summary(results[id(r)])
        r["other_cpus"] = other
    return rows


# ---- judging ------------------------------------------------------------
def judge(row, n, sizes):
    m = row.get("measured")
    if not m:
        return
    peak_mb = m["peak_rss_kib"] / 1024.0
    row["peak_rss_mb"] = round(peak_mb, 1)
    row["seconds"] = m["best"]
    if row.get("cat"):
        row["cat_seconds"] = row["cat"]["best"]
        row["x_cat"] = m["best"] / row["cat"]["best"]
        row["records_per_s"] = n / m["best"]
    ref = row.get("ref_seconds")
    why = []
    if ref is not None:
        factor = sizes["z6"] / sizes["plain"] if row["input"] == "z6" else 1.0
        row["ref_records_per_s"] = REF_RECORDS / ref
        row["ref_cat_seconds"] = REF_CAT * factor
        row["ref_x_cat"] = ref / (REF_CAT * factor)
        row["ref_x_cat_estimated"] = row["input"] == "z6"
        if row["records_per_s"] < row["ref_records_per_s"]:
            why.append("records/s")
        if row["x_cat"] > row["ref_x_cat"]:
            why.append("x cat")
    if row.get("target_seconds") is not None:
        row["seconds"] = m["median"]
        if m["median"] > row["target_seconds"]:
            why.append("start-up")
    if row.get("judged", True):
        if peak_mb >= PEAK_TARGET_MB:
            why.append("memory")
        row["result"] = "FAIL" if why else "PASS"
        if why:
            row["missed"] = why
    else:
        row["result"] = "-"


# ---- output -------------------------------------------------------------
def _rate(x):
    return "%.2f M" % (x / 1e6) if x is not None else ""


def _secs(x):
    if x is None:
        return ""
    return "%.3f" % x if x < 10 else "%.1f" % x


def table(rows):
    head = ("stage", "seconds", "records/s", "x cat", "RSS MB",
            "ref s", "ref rec/s", "ref x cat", "result")
    lines = []
    for r in rows:
        est = "~" if r.get("ref_x_cat_estimated") else ""
        res = r.get("result", "")
        if (r.get("other_cpus") or 0) >= BUSY:
            res += "*"
        if r.get("missed"):
            res += " (" + ", ".join(r["missed"]) + ")"
        lines.append((
            r["stage"], _secs(r.get("seconds")), _rate(r.get("records_per_s")),
            "%.1f" % r["x_cat"] if "x_cat" in r else "",
            "%.1f" % r["peak_rss_mb"] if "peak_rss_mb" in r else "",
            _secs(r.get("ref_seconds") or r.get("target_seconds")),
            _rate(r.get("ref_records_per_s")),
            est + "%.1f" % r["ref_x_cat"] if "ref_x_cat" in r else "",
            res))
    widths = [max(len(x[i]) for x in lines + [head]) for i in range(len(head))]
    out = []
    for i, ln in enumerate([head] + lines):
        cells = [ln[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(ln[1:-1], widths[1:-1])]
        out.append("  ".join(cells + [ln[-1]]).rstrip())
        if i == 0:
            out.append("-" * len(out[0]))
    return "\n".join(out)


def machine():
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        info["commit"] = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                                        capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return info


def main():
    n = int(os.environ.get("BENCH_RECORDS", REF_RECORDS))
    repeat = max(1, int(os.environ.get("BENCH_REPEAT", 3)))
    only = re.compile(os.environ["BENCH_ONLY"]) if os.environ.get("BENCH_ONLY") else None
    env = environment()
    if not harness.have("flow-gen", env):
        sys.exit("bench: flow-gen not found on PATH (make install-venv)")
    files = make_inputs(n, env)
    overall = harness.OtherLoad().start()
    sizes = {k: os.path.getsize(v) for k, v in files.items()}

    rows = []
    for st in (bench_cat.STAGES + bench_print.STAGES + bench_nfilter.STAGES
               + bench_filter.STAGES):
        if only and not only.search(st["name"]):
            continue
        row = measure_stage(st, files, env, repeat)
        row["ref_seconds"] = st["ref"]
        if st.get("ref_note"):
            row["ref_note"] = st["ref_note"]
        rows.append(row)
    if not only or only.search(bench_startup.STAGE["name"]):
        base, stage = measure_startup(files, env, bench_startup.RUNS)
        base["judged"] = False
        stage["target_seconds"] = bench_startup.TARGET_SECONDS
        rows += [base, stage]

    # the cat baselines, best over every run beside a stage
    cats = []
    for key in ("plain", "z6"):
        secs = [r["cat"]["best"] for r in rows if r.get("cat") and r["input"] == key]
        rss = [r["cat"]["peak_rss_kib"] for r in rows if r.get("cat") and r["input"] == key]
        if secs:
            cats.append(dict(stage="cat %s.ft" % key, command="cat %s.ft > /dev/null" % key,
                             input=key, judged=False,
                             measured=dict(best=min(secs), median=min(secs),
                                           peak_rss_kib=max(rss)),
                             cat=dict(best=min(secs))))
    rows = cats + rows
    for r in rows:
        judge(r, n, sizes)

    other = overall.stop()
    print()
    print("pyflowtools bench: %d records (plain %.1f MB, z6 %.1f MB), best of %d%s" % (
        n, sizes["plain"] / 1e6, sizes["z6"] / 1e6, repeat,
        "" if n == REF_RECORDS else "  [quick run: targets are for 10 M records]"))
    print(table(rows))
    if other is not None:
        print("  other work on the machine: %.2f of %d CPUs busy on average during the run%s" % (
            other, os.cpu_count() or 0, "" if other < BUSY else
            " -- timings may be pessimistic;\n    * marks stages measured while others"
            " kept >= %.2f CPUs busy" % BUSY))
    print("  RSS via %s" % harness.wrapper())
    notes = [r for r in rows if r.get("note") or r.get("ref_note") or r.get("target_seconds")]
    for r in notes:
        if r.get("note"):
            print("  %s: %s: %s" % (r["result"], r["stage"], r["note"]))
        if r.get("ref_note"):
            print("  %s: reference is %s" % (r["stage"], r["ref_note"]))
        if r.get("target_seconds") and r.get("measured"):
            print("  %s: median %.1f ms, best %.1f ms of %d runs (target is the median)" % (
                r["stage"], r["measured"]["median"] * 1e3, r["measured"]["best"] * 1e3,
                len(r["measured"]["runs"])))
    if any(r.get("ref_x_cat_estimated") for r in rows):
        print("  ~ reference x cat for the z6 file: cat time scaled by file size "
              "(the reference timed cat on the plain file only)")
    print("  RSS MB: peak resident set of the largest process (pipelines: per process)")
    print()
    print(REFERENCE_TEXT)

    doc = dict(records=n, repeat=repeat, when=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               machine=machine(), other_cpus=other,
               rss_wrapper=harness.wrapper(), files={k: dict(path=files[k], bytes=sizes[k]) for k in files},
               reference=dict(records=REF_RECORDS, cat_seconds=REF_CAT, peak_mb=REF_PEAK_MB,
                              peak_target_mb=PEAK_TARGET_MB),
               rows=rows)
    path = os.path.join(OUT, "results.json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print("\nresults: %s" % os.path.relpath(path))
    status = 1 if any(r.get("result") == "ERROR" for r in rows) else 0
    # the other benches, each a script printing its own table and writing its
    # own JSON (bench/README.md): the detectors, then every other command
    for script, name, rows_by_command in OTHER_BENCHES:
        if only and not only.search(name):
            continue
        print("\n== %s" % name)
        sys.stdout.flush()
        status |= subprocess.call([sys.executable, os.path.join(HERE, script)],
                                  env=other_env(script, env, n, rows_by_command))
    return status


#: (script, title, whether the script's own BENCH_ONLY filter sees command
#: names).  A script runs when BENCH_ONLY is unset or matches its title; the
#: ones whose rows are named by command get BENCH_ONLY and run only the
#: matching rows, the others run whole.  bench_capture.py runs its default
#: 3 s steps (the README's figures are of 10 s steps, run by hand).
OTHER_BENCHES = (
    ("bench_portrank.py", "detectors: flow-synonly, flow-portrank", True),
    ("bench_icmpdecode.py", "detectors: flow-icmpdecode", False),
    ("bench_zonecheck_topn.py", "detectors: flow-zonecheck, flow-topn", False),
    ("bench_trw.py", "detectors: flow-trw beside flow-cat, flow-portrank", True),
    ("bench_hunt.py", "detectors: flow-hunt beside the separate pipelines one after another",
     False),
    ("bench_tools.py", "flow-tag, flow-mask, flow-xlate, flow-dscan, flow-import", True),
    ("bench_split_merge.py", "flow-merge, flow-split", False),
    ("bench_export.py", "flow-export (files; PostgreSQL, MariaDB when installed), "
                        "flow-send -V 5/9/10", False),
    ("bench_arrow.py", "Arrow conversion, flow-export/flow-import -f 6 (Parquet)", False),
    ("bench_v1006_text.py", "flow-print, flow-export -f 2: v5 beside v1006 (IPv4, mixed)", False),
    ("bench_stat_report.py", "flow-stat, flow-report (nfdump when installed)", False),
    ("bench_parallel.py", "split runs: -j 1, -j 2, a two-worker Dask cluster (20-file tree)",
     False),
    ("bench_rptfmt.py", "flow-rptfmt", False),
    ("bench_filter6.py", "IPv6 filtering: flow-filter, flow-nfilter on v1006 against v5", False),
    ("bench_stat6.py", "IPv6 reports: flow-stat, flow-report, flow-topn on v5, v1006 IPv4 "
                       "and all-IPv6", False),
    ("bench_detect6.py", "IPv6 detectors: flow-synonly, -portrank, -icmpdecode -u, -zonecheck "
                         "on v5, v1006 IPv4 and all-IPv6", True),
    ("bench_ipfix.py", "v9/IPFIX decoding (the collectors' C decoder)", False),
    ("bench_capture.py", "flow-capture, nfcapd (v5, v9, IPFIX: loss against rate on "
                         "127.0.0.1)", False),
)

#: scripts reading the flow-gen record count as BENCH_GEN (one number)
GEN_COUNT = ("bench_export.py", "bench_stat_report.py", "bench_arrow.py", "bench_filter6.py",
             "bench_v1006_text.py", "bench_parallel.py", "bench_stat6.py")


def other_env(script, env, n, rows_by_command):
    """The environment of one of OTHER_BENCHES: BENCH_ONLY kept only where
    the script's rows are named by command; a BENCH_RECORDS other than 10 M
    passed on as BENCH_GEN (and BENCH_DB_RECORDS at most that) to the
    scripts of GEN_COUNT unless BENCH_GEN is set, so a quick run stays
    quick.  BENCH_RECORDS and BENCH_REPEAT go through as they are."""
    e = dict(env)
    if not rows_by_command:
        e.pop("BENCH_ONLY", None)
    if script in GEN_COUNT and "BENCH_GEN" not in os.environ and n != REF_RECORDS:
        e["BENCH_GEN"] = str(n)
        e.setdefault("BENCH_DB_RECORDS", str(min(n, 2_000_000)))
    return e


if __name__ == "__main__":
    sys.exit(main())
