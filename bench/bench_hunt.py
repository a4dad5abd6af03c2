"""flow-hunt beside the separate pipelines it replaces, run one after
another on the same file: seconds, records/s, peak RSS.

Input: the realistic file of bench_trw.py (the enterprise sample
concatenated 100 times with flow-cat, about 5.7 M flows; cached in
bench/out/).  The separate pipelines are the commands each flow-hunt
section names (`== as:`), with the same defaults; their time is the sum of
each pipeline's best run.

    .venv/bin/python bench/bench_hunt.py        # make install-venv first

Environment: BENCH_REPEAT (default 3), BENCH_COPIES (default 100),
BENCH_V1006=1 (the same flows as v1006, flow-cat -V 1006: every method on
128-bit keys).
Results also go to bench/out/hunt.json.
"""
import json
import os
import sys

import harness
from harness import bench_env as env, make_file as _make
from bench_portrank import count

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
SAMPLE_DIR = os.path.join(HERE, os.pardir, "samples", "enterprise")
SAMPLE = os.path.join(SAMPLE_DIR, "ft-v05.2004-08-16.090000+0000")
ZONES = os.path.join(SAMPLE_DIR, "zones.txt")
SITE_ACL = os.path.join(SAMPLE_DIR, "site.acl")
LOCAL = "135.169.0.0/16"


def reserved_acl():
    """The shipped iana-reserved.acl of the installed package (the bench
    runs with the venv's python)."""
    import pyflowtools
    return os.path.join(os.path.dirname(pyflowtools.__file__), "data", "iana-reserved.acl")


def pipelines(acl):
    """(name, [argv, ...] piped, the first reading the file on stdin) of
    each method run alone."""
    topn_all = ["flow-topn", "-k", "src", "-n", "0"]
    return [
        ("flow-topn -m flows", [["flow-topn", "-k", "src", "-m", "flows", "-n", "10"]]),
        ("flow-topn -m octets", [["flow-topn", "-k", "src", "-m", "octets", "-n", "10"]]),
        ("reserved src", [["flow-filter", "-f", acl, "-S", "iana_reserved"], topn_all]),
        ("reserved dst", [["flow-filter", "-f", acl, "-D", "iana_reserved"],
                          ["flow-topn", "-k", "dst", "-n", "0"]]),
        ("foreign src", [["flow-filter", "-f", SITE_ACL, "-S", "notours", "-D", "notours"],
                         topn_all]),
        ("flow-portrank", [["flow-portrank", "-t", "50"]]),
        ("flow-portrank -d", [["flow-portrank", "-d", "-t", "50"]]),
        ("flow-icmpdecode -u", [["flow-icmpdecode", "-u"]]),
        ("echo 92", [["flow-icmpdecode", "-t", "8", "-s", "92", "-F"], topn_all]),
        ("flow-zonecheck", [["flow-zonecheck", "-z", ZONES, "-L", LOCAL]]),
        ("flow-trw", [["flow-trw", "-L", LOCAL]]),
    ]


def main():
    e = env()
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    copies = int(os.environ.get("BENCH_COPIES", "100"))
    os.makedirs(OUT, exist_ok=True)
    path = _make(os.path.join(OUT, "enterprise-x%d.ft" % copies),
                 ["flow-cat"] + [SAMPLE] * copies, e)
    if os.environ.get("BENCH_V1006"):
        path = _make(os.path.join(OUT, "enterprise-x%d.v1006.ft" % copies),
                     ["flow-cat", "-V", "1006", path], e)
    n = count(path, e)
    harness.warm(path)
    rows = []
    load = harness.OtherLoad().start()

    def best(cmds):
        return harness.summary([harness.run(cmds, stdin=path, env=e, ok=(0, 2))
                                for _ in range(repeat)])

    separate = 0.0
    rss = 0.0
    for name, cmds in pipelines(reserved_acl()):
        s = best(cmds)
        separate += s["best"]
        rss = max(rss, s["peak_rss_sum_kib"] / 1024.0)
        rows.append(dict(stage=name, seconds=s["best"]))
        print("  %-24s %7.3f s" % (name, s["best"]))
    hunt = best([["flow-hunt", "-L", LOCAL, "-z", ZONES]])
    html = best([["flow-hunt", "-L", LOCAL, "-z", ZONES, "-H", os.path.join(OUT, "hunt.html")]])
    busy = load.stop()
    print("%-38s %9s %9s %12s %9s" % ("", "records", "seconds", "M records/s", "peak MB"))
    for label, secs, mb in (("separate pipelines, one after another", separate, rss),
                            ("flow-hunt (one pass)", hunt["best"],
                             hunt["peak_rss_kib"] / 1024.0),
                            ("flow-hunt -H (second pass)", html["best"],
                             html["peak_rss_kib"] / 1024.0)):
        print("%-38s %9d %9.3f %12.2f %9.1f" % (label, n, secs, n / secs / 1e6, mb))
    print("flow-hunt / separate: %.2f%s" % (hunt["best"] / separate,
                                            " *" if busy is not None and busy >= 0.25 else ""))
    with open(os.path.join(OUT, "hunt.json"), "w") as f:
        json.dump({"records": n, "separate": rows, "separate_seconds": separate,
                   "hunt_seconds": hunt["best"], "hunt_html_seconds": html["best"],
                   "other_cpus": busy}, f, indent=1)
    print("(* = other processes kept at least a quarter of a CPU busy: rerun when quiet)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
