"""flow-tag, flow-mask, flow-xlate, flow-dscan and flow-import (issue 10):
seconds, records/s, ratio to `cat` and peak RSS on the 10 M record
flow-gen file (bench/out/plain-N.ft).

    .venv/bin/python bench/bench_tools.py    # make install-venv first

Rows (every command reads its input on stdin and writes to /dev/null):

- `cat plain.ft`, `cat plain.csv`, `cat plain.cflowd`, `cat v1005.ft`,
  `cat sample-x174.ft`: the read floors, best over the cat runs made
  beside the rows of that input;
- `flow-cat`: the plain pass-through (read and write a stream), for scale;
- `flow-tag`: the `bench` definition of bench/tag-bench.cfg (520 match
  lines: source and destination prefixes, UDP and TCP destination ports,
  three terms, one behind an input-filter).  The input is version 5, so
  every record is first converted to version 1005; `flow-tag v1005 in`
  runs the same definition on a v1005 copy (made once by flow-xlate -n
  -V 1005) and shows the tagging alone;
- `flow-mask`: the `bench` definition of bench/mask-bench.cfg (333
  prefixes, longest match on both addresses);
- `flow-xlate`: the `bench` definition of bench/xlate-bench.cfg (five
  actions in three terms, one term behind the `udp` filter of the
  filter.cfg flow-xlate finds), and `flow-xlate -n -V 7` (version
  conversion alone, no configuration);
- `flow-dscan -b`: default thresholds, in the foreground (-b; without it the
  command detaches and returns at once), with empty suppress lists (-L; the
  command needs both files).  Every flow-gen record is a new source: the
  worst case for its tables (every record inserts a source and a
  destination, the ager removes them again).  `flow-dscan -b (sample
  x174)` runs it on the realistic file of the detector benches (the
  bundled enterprise sample concatenated 174 times, 10.0 M flows, made
  once; 10.0 M flows whatever BENCH_RECORDS), whose sources repeat;
- `flow-import -f 2`: the CSV that flow-export -f 2 makes of the file
  (made once, 1.3 GB for 10 M records), read back as version 5;
  `flow-import -f 0` the same for cflowd records (flow-export -f 0, 550 MB).
  flow-import -f 0 exits with status 255 at the end of its input, as the
  reference does: it runs under `sh -c` that takes 255 for success (the
  wrapper's RSS report includes the command's).

flow-export -f 0, -f 2 and -f 4 to /dev/null are rows of bench/
bench_export.py and not repeated here.

Columns: `seconds` (best of BENCH_REPEAT runs), `records/s`, `x cat` (the
row's seconds over the best `cat` of its own input, cat and command
interleaved in the same runs), `x flow-cat` (seconds per record over the
flow-cat row's), `RSS MB` (peak resident set), `ref>= s`.

flow-tools 0.68 cannot be built or run on this machine, so none of these
commands was timed as the reference.  `ref>= s` is a floor, not a
measurement: per record, its flow-tag, flow-mask and flow-xlate do what its
flow-cat does (ftio_read, ftio_write) plus their work, and its flow-import
does ftio_write plus parsing a larger text or cflowd input, so its flow-cat
time for the 10 M file, 0.18 s (bench/README.md), scaled to BENCH_RECORDS,
bounds them from below.  flow-dscan writes no stream (its floor would be
ftio_read alone, never measured), so it has no `ref>=`.

Environment: BENCH_RECORDS (default 10000000), BENCH_REPEAT (default 3),
BENCH_ONLY (a regular expression: rows whose name matches; the flow-cat row
always runs).  Results: bench/out/tools.json.
"""
import json
import os
import re
import subprocess
import sys
import time

import harness
from harness import bench_env as env, count_records, make_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
SAMPLE = os.path.join(HERE, os.pardir, "samples", "enterprise",
                      "ft-v05.2004-08-16.090000+0000")
SAMPLE_COPIES = 174   # 10.0 M flows, as bench_portrank.py's real10M

REF_CAT = 0.18        # flow-tools 0.68 flow-cat plain.ft, 10 M records (seconds)
REF_RECORDS = 10_000_000

TAG_CFG = os.path.join(HERE, "tag-bench.cfg")
MASK_CFG = os.path.join(HERE, "mask-bench.cfg")
XLATE_CFG = os.path.join(HERE, "xlate-bench.cfg")

#: flow-import -f 0 and -f 4 end with status 255 at the end of the input
STATUS_255_OK = ['"$@"; s=$?; [ $s -eq 255 ] && exit 0; exit $s', "sh"]


def exported(path, src, fmt, n, e):
    """flow-export -f fmt of src into path, once; checks the record count."""
    if not os.path.exists(path):
        harness.log("making %s" % path)
        with open(src, "rb") as fin, open(path + ".tmp", "wb") as fout:
            p = subprocess.run(["flow-export", "-f", fmt], stdin=fin, stdout=fout,
                               stderr=subprocess.PIPE, env=e, check=True)
        if ("Exported %d records" % n).encode() not in p.stderr:
            sys.exit("bench: flow-export -f %s: %s" % (fmt, p.stderr.decode().strip()))
        os.rename(path + ".tmp", path)
    return path


def converted(path, src, e):
    """A v1005 copy of src (flow-xlate -n -V 1005), once."""
    if not os.path.exists(path):
        harness.log("making %s" % path)
        with open(src, "rb") as fin, open(path + ".tmp", "wb") as fout:
            subprocess.run(["flow-xlate", "-n", "-V", "1005"], stdin=fin, stdout=fout,
                           env=e, check=True)
        os.rename(path + ".tmp", path)
    return path


def suppress_base():
    """Empty dscan suppress lists (flow-dscan needs both files)."""
    os.makedirs(OUT, exist_ok=True)
    base = os.path.join(OUT, "dscan-empty")
    for ext in (".src", ".dst"):
        open(base + ext, "w").close()
    return base


def inputs(n, keys, e):
    """Input name -> path for the names in keys, made once in bench/out."""
    os.makedirs(OUT, exist_ok=True)
    plain = make_file(os.path.join(OUT, "plain-%d.ft" % n), ["flow-gen", "-n", str(n)], e)
    makers = {
        "plain.ft": lambda: plain,
        "v1005.ft": lambda: converted(os.path.join(OUT, "v1005-%d.ft" % n), plain, e),
        "plain.csv": lambda: exported(os.path.join(OUT, "plain-%d.csv" % n), plain, "2", n, e),
        "plain.cflowd": lambda: exported(os.path.join(OUT, "plain-%d.cflowd" % n), plain, "0",
                                         n, e),
        "sample-x174.ft": lambda: make_file(
            os.path.join(OUT, "enterprise-x%d.ft" % SAMPLE_COPIES),
            ["flow-cat"] + [SAMPLE] * SAMPLE_COPIES, e),
    }
    return {k: makers[k]() for k in keys}


def rows(suppress):
    """(name, argv, input, reference floor seconds for 10 M records or None)."""
    return [
        ("flow-cat", ["flow-cat"], "plain.ft", REF_CAT),
        ("flow-tag (520 terms)", ["flow-tag", "-t", TAG_CFG, "-T", "bench"], "plain.ft",
         REF_CAT),
        ("flow-tag v1005 in", ["flow-tag", "-t", TAG_CFG, "-T", "bench"], "v1005.ft", REF_CAT),
        ("flow-mask (333 prefixes)", ["flow-mask", "-m", MASK_CFG, "-M", "bench"], "plain.ft",
         REF_CAT),
        ("flow-xlate (5 actions)", ["flow-xlate", "-x", XLATE_CFG, "-X", "bench"], "plain.ft",
         REF_CAT),
        ("flow-xlate -n -V 7", ["flow-xlate", "-n", "-V", "7"], "plain.ft", REF_CAT),
        ("flow-dscan -b", ["flow-dscan", "-b", "-L", suppress], "plain.ft", None),
        ("flow-dscan -b (sample x174)", ["flow-dscan", "-b", "-L", suppress], "sample-x174.ft",
         None),
        ("flow-import -f 2 -V 5", ["flow-import", "-f", "2", "-V", "5"], "plain.csv", REF_CAT),
        ("flow-import -f 0 -V 5", ["sh", "-c"] + STATUS_255_OK
         + ["flow-import", "-f", "0", "-V", "5"], "plain.cflowd", REF_CAT),
    ]


def _secs(x):
    return "" if x is None else ("%.3f" % x if x < 10 else "%.1f" % x)


def _x(x):
    return "" if x is None else "%.1f" % x


def main():
    n = int(os.environ.get("BENCH_RECORDS", REF_RECORDS))
    repeat = max(1, int(os.environ.get("BENCH_REPEAT", "3")))
    only = re.compile(os.environ["BENCH_ONLY"]) if os.environ.get("BENCH_ONLY") else None
    e = env()
    for cmd in ("flow-gen", "flow-cat", "flow-export", "flow-import", "flow-tag", "flow-mask",
                "flow-xlate", "flow-dscan"):
        if not harness.have(cmd, e):
            sys.exit("bench: %s is not installed (make install-venv)" % cmd)
    table = [r for r in rows(suppress_base())
             if r[0] == "flow-cat" or not only or only.search(r[0])]
    f = inputs(n, sorted({r[2] for r in table}), e)
    for key in sorted({r[2] for r in table}):
        harness.warm(f[key])
    scale = n / REF_RECORDS
    records = {k: count_records(v, e) if k == "sample-x174.ft" else n for k, v in f.items()}
    results = dict(records=n, repeat=repeat, when=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                   rss_wrapper=harness.wrapper(), reference_cat_seconds=REF_CAT,
                   reference_is_floor=True, files={k: os.path.getsize(v) for k, v in f.items()},
                   rows=[])
    cats = {}             # input -> best cat seconds over every run beside a row
    cat_rss = {}
    status = 0
    load = harness.OtherLoad().start()
    for name, argv, key, ref in table:
        harness.log("%s (%d runs)" % (name, repeat))
        runs, cat_runs = [], []
        try:
            for _ in range(repeat):
                cat_runs.append(harness.run([["cat", f[key]]], env=e))
                runs.append(harness.run([argv], stdin=f[key], env=e))
        except harness.CommandFailed as err:
            results["rows"].append(dict(stage=name, input=key, result="ERROR", note=str(err)))
            status = 1
            continue
        s, c = harness.summary(runs), harness.summary(cat_runs)
        cats[key] = min(cats.get(key, c["best"]), c["best"])
        cat_rss[key] = max(cat_rss.get(key, 0), c["peak_rss_kib"])
        results["rows"].append(dict(
            stage=name, argv=argv, input=key, records=records[key], measured=s, cat=c,
            seconds=s["best"], cat_seconds=c["best"], x_cat=s["best"] / c["best"],
            records_per_s=records[key] / s["best"], peak_rss_mb=s["peak_rss_kib"] / 1024.0,
            reference_floor_seconds=ref * scale if ref else None))
    other = load.stop()
    results["other_cpus"] = other
    fc = next((r["seconds"] for r in results["rows"] if r["stage"] == "flow-cat"
               and "seconds" in r), None)
    for r in results["rows"]:
        if "seconds" in r and fc:          # per record: the sample's count differs
            r["x_flow_cat"] = (r["seconds"] / r["records"]) / (fc / n)

    print("flow-tag, flow-mask, flow-xlate, flow-dscan, flow-import on %d flow-gen records "
          "(%s), best of %d" % (n, ", ".join("%s %.0f MB" % (k, v / 1e6) for k, v in
                                             sorted(results["files"].items())), repeat))
    head = "%-30s %8s %10s %6s %10s %7s %8s" % ("row", "seconds", "records/s", "x cat",
                                                "x flow-cat", "RSS MB", "ref>= s")
    print(head)
    print("-" * len(head))
    for key in ("plain.ft", "plain.csv", "plain.cflowd", "v1005.ft", "sample-x174.ft"):
        if key in cats:
            print("%-30s %8s %9.1fM %6s %10s %7.1f %8s" % (
                "cat " + key, _secs(cats[key]), records[key] / cats[key] / 1e6, "1.0", "",
                cat_rss[key] / 1024, ""))
    for r in results["rows"]:
        if r.get("result") == "ERROR":
            print("%-30s ERROR: %s" % (r["stage"], r["note"]))
            continue
        print("%-30s %8s %9.1fM %6s %10s %7.1f %8s" % (
            r["stage"], _secs(r["seconds"]), r["records_per_s"] / 1e6, _x(r["x_cat"]),
            _x(r.get("x_flow_cat")), r["peak_rss_mb"],
            _secs(r["reference_floor_seconds"])))
    if other is not None:
        print("  other work on the machine: %.2f of %d CPUs busy on average during the run"
              % (other, os.cpu_count() or 0))
    print("  ref>= s: flow-tools 0.68's flow-cat time (0.18 s per 10 M records), a floor for"
          " the reference\n  command, not a measurement of it (see the docstring)")
    results["cat_best"] = cats
    results["records_by_input"] = records
    with open(os.path.join(OUT, "tools.json"), "w") as fo:
        json.dump(results, fo, indent=1, sort_keys=True)
        fo.write("\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
