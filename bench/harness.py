"""Measurement primitives for bench/: run a command or a two-stage pipeline
with its stdin/stdout wired to files, time it (wall clock) and read each
process's peak RSS.

Peak RSS: each command runs under a small wrapper that waits for it and
reports its ru_maxrss: `/usr/bin/time -f %M` when present, else a minimal
`python3 -S` wrapper.  The wrapper matters: Linux carries the high-water
RSS of the address space a process had before exec() into its ru_maxrss,
and a child spawned straight from this (large) Python process would report
at least this process's size.  Under GNU time the floor is ~2 MB; under the
fallback wrapper it is that interpreter's ~8 MB.  Each measurement is its
own set of processes, so one run's peak never leaks into the next.
Wall time is taken here, around the whole run (wrappers included, for cat
and for the command alike: about a millisecond).
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

GNU_TIME = "/usr/bin/time"
_WRAPPER = r"""
import os, sys
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, st, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % ru.ru_maxrss)
code = os.waitstatus_to_exitcode(st)
sys.exit(code if code >= 0 else 128 - code)
"""


def wrapper():
    """Name of the RSS wrapper in use."""
    return GNU_TIME + " -f %M" if _use_gnu_time() else "python3 -S wrapper"


def _use_gnu_time():
    return os.access(GNU_TIME, os.X_OK)


def _wrap(argv, rss_path):
    if _use_gnu_time():
        return [GNU_TIME, "-f", "%M", "-o", rss_path] + argv
    return [sys.executable, "-S", "-c", _WRAPPER, rss_path] + argv


def _read_rss(path):
    """The last line of the wrapper's report (GNU time puts a status line
    before it when the command failed)."""
    with open(path) as f:
        lines = [ln for ln in f.read().split() if ln.isdigit()]
    return int(lines[-1]) if lines else 0


class CommandFailed(Exception):
    pass


class Result:
    """Wall seconds of one run; peak RSS (KiB) of each process."""

    __slots__ = ("seconds", "rss_kib")

    def __init__(self, seconds, rss_kib):
        self.seconds = seconds
        self.rss_kib = rss_kib

    @property
    def peak_kib(self):
        return max(self.rss_kib)


def run(cmds, stdin=None, env=None, ok=(0,)):
    """Run `cmds` (a list of argv lists, piped left to right), the first
    reading the file `stdin` (or /dev/null), the last writing /dev/null.
    Raises CommandFailed (with stderr's first lines) on a status not in
    `ok` (flow-send's usual status is 1)."""
    errs = [tempfile.TemporaryFile() for _ in cmds]
    tmpdir = tempfile.mkdtemp(prefix="bench-rss-")
    rss_paths = [os.path.join(tmpdir, "rss%d" % i) for i in range(len(cmds))]
    devnull = os.open(os.devnull, os.O_RDWR)
    fin = os.open(stdin, os.O_RDONLY) if stdin else devnull
    procs = []
    try:
        t0 = time.perf_counter()
        prev = fin
        for i, argv in enumerate(cmds):
            last = i == len(cmds) - 1
            p = subprocess.Popen(_wrap(argv, rss_paths[i]), stdin=prev,
                                 stdout=devnull if last else subprocess.PIPE,
                                 stderr=errs[i], env=env, close_fds=True)
            if prev not in (fin, devnull):
                os.close(prev)
            if not last:
                prev = os.dup(p.stdout.fileno())
                p.stdout.close()
            procs.append(p)
        statuses = [p.wait() for p in procs]
        seconds = time.perf_counter() - t0
        rss = [_read_rss(pth) for pth in rss_paths]
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
                p.wait()
        os.close(devnull)
        if stdin:
            os.close(fin)
        shutil.rmtree(tmpdir, ignore_errors=True)
    try:
        for argv, st, e in zip(cmds, statuses, errs):
            if st not in ok:
                e.seek(0)
                text = e.read().decode("utf-8", "replace").strip().splitlines()
                raise CommandFailed("%s exited %d: %s" % (" ".join(argv), st,
                                                         " | ".join(text[:3]) or "(no message)"))
    finally:
        for e in errs:
            e.close()
    return Result(seconds, rss)


class OtherLoad:
    """CPU time used on this machine by processes other than this one and
    its children, between start() and stop(), as average CPUs busy: the
    busy jiffies of /proc/stat less our own rusage.  None where /proc/stat
    is missing."""

    def __init__(self):
        self.t0 = self.busy0 = self.ours0 = None

    @staticmethod
    def _busy():
        try:
            with open("/proc/stat") as f:
                v = [int(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _ours():
        a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    def start(self):
        self.t0, self.busy0, self.ours0 = time.perf_counter(), self._busy(), self._ours()
        return self

    def stop(self):
        busy = self._busy()
        if busy is None or self.busy0 is None:
            return None
        wall = time.perf_counter() - self.t0
        others = (busy - self.busy0) - (self._ours() - self.ours0)
        return max(others, 0.0) / wall if wall > 0 else None


def warm(path):
    """Read a file once so later runs find it in the page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 22):
            pass


def have(cmd, env=None):
    path = (env or os.environ).get("PATH")
    return shutil.which(cmd, path=path) is not None


def summary(results):
    secs = [r.seconds for r in results]
    return {
        "best": min(secs),
        "median": statistics.median(secs),
        "runs": secs,
        "peak_rss_kib": max(r.peak_kib for r in results),
        "peak_rss_sum_kib": max(sum(r.rss_kib) for r in results),
    }


# ---- helpers shared by the detector benches ------------------------------

def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def bench_env():
    """The environment of a bench command: the venv's bin first, TZ=UTC."""
    e = dict(os.environ)
    e["PATH"] = os.path.dirname(sys.executable) + os.pathsep + e.get("PATH", "")
    e["TZ"] = "UTC"
    return e


def count_records(path, e):
    """Records in a flow file (flow-cat -d 1's profile line)."""
    out = subprocess.run(["flow-cat", "-d", "1", path], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=e, check=True).stderr.decode()
    return int(out.split("processed ")[1].split()[0])


def make_file(path, argv, e):
    """Write argv's stdout to path once (cached in bench/out)."""
    if not os.path.exists(path):
        log("making %s" % path)
        with open(path + ".tmp", "wb") as f:
            subprocess.run(argv, stdout=f, env=e, check=True)
        os.rename(path + ".tmp", path)
    return path
