"""Split runs (pyflowtools.parallel) of the aggregating commands over a
multi-file capture tree: single, -j 2, and --dask on a real LocalCluster of
two worker processes (127.0.0.1, started here once for the module) give the
same stdout, stderr and status byte for byte; a damaged file says the same
and counts the same records; a worker killed while it reads its task is
replaced by Dask and the answer stays exact; what cannot be split is
refused in one line."""
import functools
import os
import select
import signal
import threading

import pytest

import harness

# `make venv` installs dask[distributed]; a venv made before it skips these
distributed = pytest.importorskip("distributed")

SAMPLE = os.path.join(harness.SAMPLES_DIR, "enterprise", "ft-v05.2004-08-16.090000+0000")


def _env(extra=None):
    return harness.case_env(extra=extra, bindir=harness.commands_dir())


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """The sample split into 8 files of 4,000 flows in two directories
    (flow-split), as a capture tree."""
    top = tmp_path_factory.mktemp("tree")
    res = harness.run("flow-cat %s | flow-split -N 4000 -o %s/ft" % (SAMPLE, top), env=_env())
    assert res.status == 0, res.stderr
    names = sorted(os.listdir(top))
    assert len(names) >= 6
    (top / "a").mkdir()
    (top / "b").mkdir()
    for i, n in enumerate(names):
        os.rename(top / n, top / ("a" if i % 2 else "b") / n)
    return top


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=40) as lc, \
            Client(lc, set_as_default=False) as client:
        yield lc, client


def three_ways(argv, cluster, operands, env=None):
    """Results of the single run (-j 1: the operands in one process), -j 2
    and --dask; asserted equal."""
    address = cluster[0].scheduler_address
    single = harness.run(argv + ["-j", "1"] + operands, env=_env(env))
    jobs = harness.run(argv + ["-j", "2"] + operands, env=_env(env))
    dask = harness.run(argv + ["--dask", address] + operands, env=_env(env))
    for other in (jobs, dask):
        assert "Traceback" not in other.stderr.decode()
        assert other.stdout == single.stdout
        assert other.stderr == single.stderr
        assert other.status == single.status
    return single


@pytest.mark.parametrize("fmt", ["0", "7", "10", "11", "26"])
def test_flow_stat_split_equals_single(tree, cluster, fmt):
    res = three_ways(["flow-stat", "-p", "-f", fmt], cluster, [str(tree)])
    assert res.status == 0 and res.stdout.count(b"\n") > 10


def test_flow_stat_sorted_percent_tally_wide(tree, cluster):
    three_ways(["flow-stat", "-f", "9", "-S", "2", "-P", "-t", "5", "-w"], cluster,
               [str(tree / "a"), str(tree / "b")])


def test_flow_stat_tree_equals_the_pipe(tree, cluster):
    """Operands read as flow-cat reads them: the report of the tree is the
    report of flow-cat's output (but for the Args line)."""
    piped = harness.run("flow-cat %s | flow-stat -f 10 -S 3" % tree, env=_env())
    split = harness.run(["flow-stat", "-f", "10", "-S", "3", "-j", "2", str(tree)], env=_env())

    def body(out):
        return [ln for ln in out.split(b"\n") if not ln.startswith(b"# Args:")]
    assert piped.status == split.status == 0
    assert body(piped.stdout) == body(split.stdout)


@pytest.mark.parametrize("argv", [
    ["flow-portrank", "-t", "5"], ["flow-portrank", "-d", "-t", "2", "-o", "tsv"],
    ["flow-topn", "-k", "pair", "-m", "octets", "-n", "0"],
    ["flow-topn", "-k", "dst", "-m", "peers", "-P", "80,443,445", "-o", "tsv"],
    ["flow-icmpdecode", "-u", "-T", "1"]])
def test_detectors_split_equal_single(tree, cluster, argv):
    res = three_ways(argv, cluster, [str(tree / "b"), str(tree / "a")])
    assert res.stdout.count(b"\n") > 3


def test_topn_baseline_stores_the_single_runs_line(tree, cluster, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    r1 = harness.run(["flow-topn", "-b", str(a), "-j", "1", str(tree)], env=_env())
    r2 = harness.run(["flow-topn", "-b", str(b), "-j", "2", str(tree)], env=_env())
    assert r1.status == r2.status == 0
    one, two = a.read_text().splitlines(), b.read_text().splitlines()
    assert one[1].startswith("# written ") and one[1].endswith(" by flow-topn -b %s %s"
                                                              % (a, tree))
    assert two[1].endswith(" by flow-topn -b %s %s" % (b, tree))     # no -j 2
    assert one[:1] + one[2:] == two[:1] + two[2:] and len(one) > 5


ZONES = os.path.join(harness.SAMPLES_DIR, "enterprise", "zones.txt")
INSIDE = "135.169.0.0/16"      # the sample's inside network (labels.json)


@pytest.mark.parametrize("argv, lines", [
    (["flow-zonecheck", "-z", ZONES, "-L", INSIDE], 20),
    (["flow-zonecheck", "-z", ZONES, "-o", "tsv"], 10),
    (["flow-icmpdecode"], 100), (["flow-icmpdecode", "-t", "3", "-o", "tsv"], 100)])
def test_listings_split_equal_single(tree, cluster, argv, lines):
    """The lines that follow the flows' order (alerts, the ICMP listing):
    each task's come back and are written in the files' order; the
    zonecheck summary sums the tasks' alerts."""
    res = three_ways(argv, cluster, [str(tree / "b"), str(tree / "a")])
    assert res.stdout.count(b"\n") > lines
    if argv[0] == "flow-zonecheck":
        assert res.status == 2              # alerts found
    # lines of files in both directories (so of more than one task), in order
    def body(out):      # the lines of flows: no `#` line, no column header
        head = out.splitlines()[0]
        return [ln for ln in out.splitlines() if ln[:1] not in (b"#", b"") and ln != head]
    parts = [body(harness.run(argv + [str(tree / d)], env=_env()).stdout) for d in ("b", "a")]
    assert parts[0] and parts[1]
    assert body(res.stdout) == parts[0] + parts[1]


@pytest.mark.parametrize("argv", [["flow-zonecheck", "-F", "-z", ZONES, "-L", INSIDE],
                                  ["flow-icmpdecode", "-F", "-t", "8,0", "-z", "6"]])
def test_streams_split_equal_single(tree, cluster, argv):
    """-F: the selected flows of each task, written in the files' order,
    are the single run's stream, byte for byte, and hold flows of more
    than one task."""
    single = three_ways(argv, cluster, [str(tree)])
    assert single.stderr == b""
    def records(stream):        # flow-print's lines of records (not its column names)
        out = harness.run(["flow-print", "-f", "5"], stdin=stream, env=_env()).stdout
        return [ln for ln in out.splitlines() if ln[:1].isdigit()]
    halves = [records(harness.run(argv + [str(tree / d)], env=_env()).stdout)
              for d in ("a", "b")]
    assert all(len(h) > 2 for h in halves)
    assert sorted(records(single.stdout)) == sorted(halves[0] + halves[1])


def test_dscan_refuses(tree):
    res = harness.run(["flow-dscan", "-w", "-j", "2"], env=_env())
    assert (res.status, res.stdout) == (1, b"")
    assert res.stderr.decode().splitlines() == [
        "flow-dscan: cannot split the input (-j, --dask): its ager expires hosts as the "
        "flows' times pass"]


def test_environment_variable_names_the_scheduler(tree, cluster):
    address = cluster[0].scheduler_address
    single = harness.run(["flow-stat", "-f", "8", "-j1", str(tree)], env=_env())
    via_env = harness.run(["flow-stat", "-f", "8", str(tree)],
                          env=_env({"PYFLOWTOOLS_DASK": address}))
    assert via_env.stdout == single.stdout and via_env.status == 0
    # no scheduler there: one line, status 1 (proof the variable is used)
    bad = harness.run(["flow-stat", "-f", "8", str(tree)],
                      env=_env({"PYFLOWTOOLS_DASK": "tcp://127.0.0.1:1",
                                "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"}))
    lines = bad.stderr.decode().splitlines()
    assert bad.status == 1 and len(lines) == 1 and lines[0].startswith("flow-stat: dask ")


def test_environment_variable_leaves_stdin_alone(tree):
    """With only the variable set, a pipe is read as always (no scheduler
    is even asked: the address is unreachable)."""
    data = b"".join(p.read_bytes() for p in sorted(tree.rglob("ft*"))[:1])
    plain = harness.run(["flow-portrank", "-t", "2"], stdin=data, env=_env())
    with_env = harness.run(["flow-portrank", "-t", "2"], stdin=data,
                           env=_env({"PYFLOWTOOLS_DASK": "tcp://127.0.0.1:1"}))
    assert plain.status == with_env.status == 0
    assert with_env.stdout == plain.stdout and plain.stdout.count(b"\n") > 2


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """One uncompressed file of 300,000 flow-gen flows (big endian, a
    partial record at its end) and a v1006 one of 280,000: too few files
    for two workers, so each is cut into ranges of records."""
    top = tmp_path_factory.mktemp("big")
    res = harness.run("flow-gen -V 5 -b big -n 300000 > %s/v5 && printf xyz >> %s/v5 && "
                      "flow-gen -V 1006 -n 280000 > %s/v1006" % (top, top, top), env=_env())
    assert res.status == 0, res.stderr
    return top


@pytest.mark.parametrize("argv", [["flow-stat", "-f", "5"], ["flow-stat", "-f", "10", "-S", "3"],
                                  ["flow-portrank", "-t", "1"], ["flow-stat", "-f", "0"],
                                  ["flow-topn", "-k", "pair", "-m", "octets", "-n", "40"]])
@pytest.mark.parametrize("version", ["v5", "v1006"])
def test_one_big_file_is_cut_into_ranges(big, cluster, argv, version):
    """-j 2 and --dask read ranges of the one file (proof: the workers each
    read part of it: -d shows the tasks), output byte for byte the single
    run's, the partial last record said once."""
    res = three_ways(argv, cluster, [str(big / version)])
    if argv[0] != "flow-portrank":         # flow-gen makes no SYN-only flow: no suspect
        assert res.stdout.count(b"\n") > 3
    if version == "v5" and argv[-1] == "0":
        assert res.stderr.decode().splitlines() == [
            "flow-stat: Warning, partial record before EOF"]
    from pyflowtools import parallel
    from pyflowtools.report import detect
    work = parallel.tasks(detect.Input([str(big / version)], ipv6=True), 2)
    assert len(work) == 4 and all(len(t.pieces) == 1 for t in work)
    assert [t.pieces[0][1] for t in work][1:] != [0, 0, 0]


def test_damaged_file_says_the_same(tree, cluster, tmp_path):
    """A file cut in the middle of a compressed stream: the records before
    the damage are counted and the message is the single run's."""
    damaged = tmp_path / "t"
    damaged.mkdir()
    res = harness.run("flow-cat -z 6 %s > %s/whole" % (tree / "a", damaged), env=_env())
    assert res.status == 0
    data = bytearray((damaged / "whole").read_bytes())
    mid = len(data) // 2
    data[mid:mid + 32] = bytes(b ^ 0x5A for b in data[mid:mid + 32])
    (damaged / "bad").write_bytes(bytes(data))
    (damaged / "whole").rename(damaged / "ok")
    res = three_ways(["flow-stat", "-f", "0"], cluster, [str(damaged)])
    assert b"flow-stat: inflate(): failed" in res.stderr
    whole = harness.run(["flow-stat", "-f", "0", "-j", "1", str(damaged / "ok")], env=_env())
    assert whole.stdout != res.stdout           # the damaged file's records counted too


def test_refusals(tree, cluster):
    res = harness.run(["flow-stat", "-f", "13", "-j", "2", str(tree)], env=_env())
    assert res.status == 1 and res.stdout == b""
    assert res.stderr.decode().splitlines() == [
        "flow-stat: cannot split the input (-j, --dask): the plot data of -f 13 follows "
        "the records' order"]
    res = harness.run(["flow-stat", "-j", "2"], stdin=open(SAMPLE, "rb").read(), env=_env())
    assert res.status == 1
    assert res.stderr.decode().splitlines() == [
        "flow-stat: -j and --dask split files or directories, not stdin"]
    res = harness.run(["flow-stat", "-j", "0", str(tree)], env=_env())
    assert res.status == 1 and len(res.stderr.decode().splitlines()) == 1
    res = harness.run(["flow-stat", "-j", "2", "--dask", "x", str(tree)], env=_env())
    assert res.stderr.decode().splitlines() == ["flow-stat: -j and --dask exclude each other"]


def test_operands_without_a_split_are_the_reference_error(tree):
    res = harness.run(["flow-stat", "-f", "0", str(tree)], env=_env())
    assert (res.status, res.stdout) == (1, b"")
    assert res.stderr.decode().splitlines() == [
        "flow-stat: Extra arguments starting with %s." % tree]


def _holder(pids, path):
    """The pid among pids with path open."""
    for pid in pids:
        d = "/proc/%d/fd" % pid
        try:
            fds = os.listdir(d)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(os.path.join(d, fd)) == str(path):
                    return pid
            except OSError:
                pass
    return None


def _open_writer(path, box):
    box.append(os.open(path, os.O_WRONLY))     # returns once a reader has opened it


def _writer(path):
    """Open path (a FIFO) for writing in a thread: returns (thread, box)."""
    box = []
    t = threading.Thread(target=_open_writer, args=(path, box), daemon=True)
    t.start()
    return t, box


def test_killed_worker_is_replaced_and_the_answer_is_exact(tree, cluster, tmp_path):
    """The first task reads a FIFO: once its worker has opened it (the
    writer's open returns), that worker is killed; Dask runs the task
    again on a live worker, which opens the FIFO anew and gets the file."""
    from pyflowtools import parallel
    from pyflowtools.io import stream
    from pyflowtools.report import stat
    _, client = cluster
    files = sorted(str(p) for p in tree.rglob("ft*"))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with stream.reader(files[0]) as rd:
        rectype = rd.rectype
    report = functools.partial(stat.Report, 10, rectype)
    want = report()
    for f in files:
        with stream.reader(f) as rd:
            for b in rd:
                want.add(b)
    got = report()
    results = parallel.results(report, [str(fifo)] + files[1:], parallel.Plan(address=client))
    t, box = _writer(fifo)
    first = [None]

    def collect():
        first[0] = next(results)
    consumer = threading.Thread(target=collect, daemon=True)
    consumer.start()
    t.join(120)
    assert box, "no worker opened the FIFO"
    pids = list(client.run(os.getpid).values())
    victim = _holder(pids, fifo)
    assert victim is not None
    pidfd = os.pidfd_open(victim)
    os.kill(victim, signal.SIGKILL)
    # its end of the FIFO closes when it is gone: wait for that (a pidfd
    # polls readable once the process has ended), not for a while
    assert select.select([pidfd], [], [], 120)[0]
    os.close(pidfd)
    os.close(box.pop())
    t, box = _writer(fifo)             # the task, run again elsewhere, opens it anew
    t.join(120)
    assert box, "the task was not run again"
    with open(files[0], "rb") as f:
        data = f.read()
    with os.fdopen(box.pop(), "wb") as w:
        w.write(data)
    consumer.join(120)
    assert first[0] is not None
    for parts, _, messages in [first[0]] + list(results):
        assert messages == []
        got.merge(parts)
    assert b"".join(got.text()) == b"".join(want.text())
    assert victim not in client.run(os.getpid).values()
