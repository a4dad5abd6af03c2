"""IPv6 filtering (issue 12): records per second of

  - the C filter alone: Program.select over batches already read (host
    order), for flow-filter ACLs and flow-nfilter definitions, on v5 (IPv4)
    and on v1006 (the IPv4 flows, the IPv6 flows, both);
  - the commands (flow-filter, flow-nfilter) over the files, reading and
    writing the stream, `cat` of the same file beside.

Target (issue 12): IPv6 records filtered in C at least half the IPv4 rate
(`v1006 IPv6 -S iana6_reserved` against `v5 IPv4 -S iana_reserved`, same
run).  The v5 rows also run with a build without IPv6 filtering (the rows
it cannot run are skipped), so that two builds compare side by side:

    .venv/bin/python bench/bench_filter6.py          # make install-venv first
    /other/clone/.venv/bin/python /this/clone/bench/bench_filter6.py

Environment: BENCH_GEN (flow-gen records of the v5 file; the v1006 file has
twice as many, half of them IPv6; default 2000000), BENCH_REPEAT (default 5).
Results: bench/out/filter6.json.
"""
import json
import os
import subprocess
import sys
import time

import harness
from harness import bench_env as env, make_file as made

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")

#: (row name, input file key, kind, argument): kind acl = flow-filter -S with
#: the shipped ACL file, cfg = flow-nfilter -F with the shipped filter.cfg
CASES = [
    ("v5 IPv4       -S iana_reserved", "v5", "acl", ("iana-reserved.acl", "iana_reserved")),
    ("v1006 IPv4    -S iana_reserved", "v4", "acl", ("iana-reserved.acl", "iana_reserved")),
    ("v1006 IPv6    -S iana6_reserved", "v6", "acl",
     ("iana-ipv6-special.acl", "iana6_reserved")),
    ("v1006 mixed   -S iana46_reserved", "mixed", "acl",
     ("iana-ipv6-special.acl", "iana46_reserved")),
    ("v5 IPv4       -S std50 (bench.acl)", "v5", "acl",
     (os.path.join(HERE, "acl", "bench.acl"), "std50")),
    ("v5 IPv4       -E ext50 (bench.acl)", "v5", "ext",
     (os.path.join(HERE, "acl", "bench.acl"), "ext50")),
    ("v5 IPv4       nfilter reserved-src", "v5", "cfg", "reserved-src"),
    ("v1006 IPv4    nfilter reserved-src", "v4", "cfg", "reserved-src"),
    ("v1006 IPv6    nfilter reserved6-src", "v6", "cfg", "reserved6-src"),
]
PAIR = ("v1006 IPv6    -S iana6_reserved", "v5 IPv4       -S iana_reserved")


def _best(fn, repeat):
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best


def _program(kind, arg, rectype):
    from pyflowtools.filters import acl, nfilter, program
    from pyflowtools.util import paths
    if kind in ("acl", "ext"):
        path, name = arg
        a = acl.load(paths.resolve(path))
        node = a.standard_node(name, "srcaddr") if kind == "acl" else a.extended_node(name)
        return program.compile(node, rectype)
    cfg = nfilter.load(nfilter.DEFAULT_FILE)
    return cfg.program(arg, rectype)


def _batches(path):
    from pyflowtools.io import stream
    try:
        rd = stream.reader(path, batch_records=65536, ipv6=True)
    except TypeError:
        rd = stream.reader(path, batch_records=65536)
    with rd:
        batches = [b.copy() for b in rd]
        return rd.rectype, batches


def c_rows(files, repeat):
    rows = []
    loaded = {}
    for name, key, kind, arg in CASES:
        try:
            if key not in loaded:
                loaded[key] = _batches(files[key])
            rectype, batches = loaded[key]
            prog = _program(kind, arg, rectype)
        except Exception as e:          # an older build: no v1006 or no such list
            rows.append(dict(stage=name, skipped="%s: %s" % (type(e).__name__, e)))
            continue
        for b in batches:
            b.to_host()
        n = sum(b.n for b in batches)
        kept = sum(sum(prog.select(b)) for b in batches)

        def run(batches=batches, prog=prog):
            for b in batches:
                prog.select(b)
        secs = _best(run, repeat)
        rows.append(dict(stage=name, records=n, kept=kept, seconds=secs, rate=n / secs))
    return rows


def cmd_rows(files, counts, repeat, e):
    rows = []
    cmds = [
        ("flow-filter -S iana_reserved < v5", "v5",
         ["flow-filter", "-f", "iana-reserved.acl", "-S", "iana_reserved"]),
        ("flow-filter -S iana_reserved < v1006 IPv4", "v4",
         ["flow-filter", "-f", "iana-reserved.acl", "-S", "iana_reserved"]),
        ("flow-filter -S iana6_reserved < v1006 IPv6", "v6",
         ["flow-filter", "-f", "iana-ipv6-special.acl", "-S", "iana6_reserved"]),
        ("flow-nfilter -F reserved-src < v5", "v5", ["flow-nfilter", "-F", "reserved-src"]),
        ("flow-nfilter -F reserved6-src < v1006 IPv6", "v6",
         ["flow-nfilter", "-F", "reserved6-src"]),
    ]
    for name, key, argv in cmds:
        path = files[key]
        ok = subprocess.run(argv, stdin=open(path, "rb"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=e).returncode == 0
        if not ok:
            rows.append(dict(stage=name, skipped="the command refused the input"))
            continue

        def run(argv=argv, path=path):
            with open(path, "rb") as f:
                subprocess.run(argv, stdin=f, stdout=subprocess.DEVNULL, env=e, check=True)

        def cat(path=path):
            with open(path, "rb") as f:
                subprocess.run(["cat"], stdin=f, stdout=subprocess.DEVNULL, check=True)
        secs, cat_secs = _best(run, repeat), _best(cat, repeat)
        rows.append(dict(stage=name, records=counts[key], seconds=secs,
                         rate=counts[key] / secs, x_cat=secs / cat_secs))
    return rows


def _scramble(src, dst, kind, seed=12):
    """A copy of flow file src with random addresses (flow-gen's are
    sequential: every one in 0/8 or 2001:db8::/32): `v4` random IPv4 (on v5,
    or IPv4-mapped on v1006), `v6` IPv6 addresses mostly in 2000::/3 with 1
    in 8 from fe80::/10, fc00::/7 or ff00::/8."""
    import random
    import struct
    from pyflowtools.core.native import layout
    from pyflowtools.io import stream
    if os.path.exists(dst):
        return dst
    harness.log("making %s" % dst)
    rnd = random.Random(seed)
    special = (0xFE80 << 112, 0xFC00 << 112, 0xFF00 << 112)
    with stream.reader(src, ipv6=True) as rd, open(dst + ".tmp", "wb") as out:
        fields = layout(rd.rectype)[3]
        groups = [[fields[f][0] for f in (a + "6_0", a + "6_1", a + "6_2", a)]
                  if a + "6_0" in fields else [fields[a][0]] for a in ("srcaddr", "dstaddr")]
        with stream.writer(out, stream.streaming_header(rd.header)) as wr:
            for b in rd:
                b.to_host()
                buf, size = b.buf, b.rec_size
                for i in range(b.n):
                    base = i * size
                    for offs in groups:
                        if kind == "v4":
                            a = rnd.getrandbits(32) | (0xFFFF << 32 if len(offs) == 4 else 0)
                        elif rnd.getrandbits(3):
                            a = (1 << 125) | rnd.getrandbits(125)      # 2000::/3
                        else:
                            a = rnd.choice(special) | rnd.getrandbits(100)
                        if len(offs) == 1:
                            struct.pack_into("=I", buf, base + offs[0], a & 0xFFFFFFFF)
                        else:
                            for k, o in enumerate(offs):
                                struct.pack_into("=I", buf, base + o,
                                                 a >> (96 - 32 * k) & 0xFFFFFFFF)
                wr.write(b)
    os.rename(dst + ".tmp", dst)
    return dst


def main():
    n = int(os.environ.get("BENCH_GEN", 2000000))
    repeat = max(1, int(os.environ.get("BENCH_REPEAT", 5)))
    e = env()
    os.makedirs(OUT, exist_ok=True)
    gen5 = made(os.path.join(OUT, "f6-gen5-%d.ft" % n), ["flow-gen", "-n", str(n)], e)
    files = {"v5": _scramble(gen5, os.path.join(OUT, "f6-v5-%d.ft" % n), "v4")}
    try:
        for key in ("v6", "v4"):
            gen = made(os.path.join(OUT, "f6-gen1006-%d.ft" % n),
                       ["flow-gen", "-V", "1006", "-n", str(n)], e)
            files[key] = _scramble(gen, os.path.join(OUT, "f6-%s-%d.ft" % (key, n)), key)
        mixed = os.path.join(OUT, "f6-mixed-%d.ft" % (2 * n))
        if not os.path.exists(mixed):
            with open(mixed + ".tmp", "wb") as f:
                subprocess.run(["flow-cat", files["v4"], files["v6"]], stdout=f, env=e,
                               check=True)
            os.rename(mixed + ".tmp", mixed)
        files["mixed"] = mixed
    except (subprocess.CalledProcessError, OSError) as err:
        harness.log("no v1006 inputs with this build: %s" % err)
    for key in ("v4", "v6", "mixed"):
        files.setdefault(key, os.path.join(OUT, "f6-missing"))
    counts = {"v5": n, "v4": n, "v6": n, "mixed": 2 * n}
    rows = c_rows(files, repeat)
    print("C filter alone (Program.select over batches read; best of %d)" % repeat)
    for r in rows:
        if "skipped" in r:
            print("  %-38s skipped (%s)" % (r["stage"], r["skipped"][:60]))
        else:
            print("  %-38s %9d rec  %7.4f s  %7.1f M rec/s  kept %d"
                  % (r["stage"], r["records"], r["seconds"], r["rate"] / 1e6, r["kept"]))
    rates = {r["stage"]: r.get("rate") for r in rows}
    verdict = None
    if rates.get(PAIR[0]) and rates.get(PAIR[1]):
        ratio = rates[PAIR[0]] / rates[PAIR[1]]
        verdict = "PASS" if ratio >= 0.5 else "FAIL"
        print("  IPv6 / IPv4 rate: %.2f (target >= 0.5): %s" % (ratio, verdict))
    crows = cmd_rows(files, counts, repeat, e)
    print("Commands (stream read + filter + write to /dev/null; best of %d)" % repeat)
    for r in crows:
        if "skipped" in r:
            print("  %-44s skipped (%s)" % (r["stage"], r["skipped"]))
        else:
            print("  %-44s %7.3f s  %6.1f M rec/s  %5.1f x cat"
                  % (r["stage"], r["seconds"], r["rate"] / 1e6, r["x_cat"]))
    import pyflowtools
    with open(os.path.join(OUT, "filter6.json"), "w") as f:
        json.dump(dict(build=os.path.dirname(pyflowtools.__file__), records=n, repeat=repeat,
                       c=rows, commands=crows, ipv6_half_rate=verdict), f, indent=1)
    return 1 if verdict == "FAIL" else 0


if __name__ == "__main__":
    sys.exit(main())
