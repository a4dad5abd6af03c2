"""pyflowtools/parallel without a process: how a run is cut into tasks
(whole files, ranges of big uncompressed ones) and the stream Reader's
spans that read those ranges.  The ranges of a file, read one after the
other, are the file: its records, its warnings."""
import functools
import os
import pickle
import tempfile

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst
from pyflowtools import parallel
from pyflowtools.core.errors import FormatError
from pyflowtools.io import header as hdr, stream
from pyflowtools.report import detect, stat


def _covered(work, rows):
    """Each file's pieces, in order, cover it once: a run of contiguous
    ranges ending with (name, pos, None); files in the rows' order."""
    pieces = [p for t in work for p in t.pieces]
    seen = []
    for name, start, stop in pieces:
        if not seen or seen[-1][0] != name or seen[-1][2] is None:
            assert start == 0, pieces
            seen.append([name, start, stop])
        else:
            assert start == seen[-1][2], pieces
            seen[-1][2] = stop
    assert [s[0] for s in seen] == [r[0] for r in rows]
    assert all(s[2] is None for s in seen)
    return pieces


ROWS = st.lists(st.tuples(st.integers(1, 10 ** 7), st.one_of(st.none(), st.integers(1, 4000))),
                min_size=1, max_size=30).map(
    lambda xs: [("f%d" % i, b if r is None else r * 64, r) for i, (b, r) in enumerate(xs)])


@given(ROWS, st.integers(1, 12), st.integers(1, 500))
def test_cut_covers_every_file_once_in_order(rows, ntasks, min_range):
    work = parallel.cut(rows, ntasks, min_range)
    assert 1 <= len(work) <= ntasks
    assert all(t.pieces for t in work)
    recs = {n: r for n, _, r in rows}
    for name, start, stop in _covered(work, rows):
        if stop is not None:                    # a range: only of a file that can be cut
            assert recs[name] and stop - start >= min_range
        if start:
            assert recs[name] - start >= min_range


@given(ROWS, st.integers(1, 4))
def test_plan_covers_every_file_and_keeps_the_counts_bounded(rows, workers):
    work = parallel.plan_rows(rows, workers)
    assert 1 <= len(work) <= 4 * workers
    _covered(work, rows)


def test_plan_of_equal_files_and_of_one_big_file():
    rows = [("f%d" % i, 100, None) for i in range(20)]
    assert [len(t.pieces) for t in parallel.plan_rows(rows, 2)] == [5, 5, 5, 5]
    big = parallel.plan_rows([("big", 64 * 10 ** 7, 10 ** 7)], 2)
    assert [t.pieces for t in big] == [[("big", 0, 2500000)], [("big", 2500000, 5000000)],
                                       [("big", 5000000, 7500000)], [("big", 7500000, None)]]
    # compressed (None records): never cut, whatever the size
    assert [t.pieces for t in parallel.plan_rows([("z", 10 ** 9, None)], 2)] == [
        [("z", 0, None)]]


def test_task_pickles_and_is_no_tuple():
    t = parallel.Task([("a", 0, 5), ("b", 0, None)])
    assert not isinstance(t, (tuple, list))        # Dask would look into it for keys
    assert pickle.loads(pickle.dumps(t)).pieces == t.pieces


def _read(path, span=None, **kw):
    with stream.reader(path, span=span, ipv6=True, **kw) as rd:
        return [dict(r._asdict()) for r in rd.records()], rd.warnings, rd.records_read


@given(st.data())
def test_spans_read_one_after_the_other_are_the_file(data):
    header, records, order, _ = data.draw(fst.streams(max_records=60, zlevel=0))
    raw = oracle.write_stream(header, records, order, 0)
    tail = data.draw(st.integers(0, 40))            # a partial record at the end
    raw += b"\x01" * tail
    n = len(records)
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=4)))
    bounds = [0] + cuts + [None]
    batch = data.draw(st.sampled_from((1, 3, 64)))
    ahead = data.draw(st.booleans())
    saved = stream.READ_AHEAD_MIN
    stream.READ_AHEAD_MIN = 0 if ahead else saved
    try:
        with tempfile.NamedTemporaryFile() as f:
            f.write(raw)
            f.flush()
            try:
                whole = _read(f.name, batch_records=batch)
            except FormatError:
                return
            got, warnings, count = [], [], 0
            for a, b in zip(bounds, bounds[1:]):
                recs, w, c = _read(f.name, span=(a, b), batch_records=batch,
                                   read_ahead=ahead)
                assert len(recs) == c == (n - a if b is None else b - a)
                if b is not None:
                    assert w == []                  # only the last range sees the end
                got += recs
                warnings += w
                count += c
    finally:
        stream.READ_AHEAD_MIN = saved
    assert (got, warnings, count) == whole
    assert got == records


def test_span_of_a_compressed_stream_is_refused(tmp_path):
    header, records = {"d_version": 5, "flags": oracle.HF_STREAMING}, []
    p = tmp_path / "z.ft"
    p.write_bytes(oracle.write_stream(header, records, "little", 6))
    try:
        stream.reader(str(p), span=(0, None))
    except ValueError as e:
        assert "only an uncompressed regular file" in str(e)
    else:
        raise AssertionError("a compressed stream was read by ranges")


SAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, "samples", "enterprise",
                      "ft-v05.2004-08-16.090000+0000")


def _sample_as(top, kinds):
    """The sample's batches cut into len(kinds) files f0, f1, ... in order,
    each written with its writer keywords (kinds[i])."""
    with stream.reader(SAMPLE) as rd:
        header = rd.header
        batches = [b.copy() for b in rd]
    step = -(-len(batches) // len(kinds))
    for i, kw in enumerate(kinds):
        with open(top / ("f%d" % i), "wb") as f, stream.writer(f, header, **kw) as wr:
            for b in batches[i * step:(i + 1) * step]:
                wr.write(b)
    return top


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    """The sample as three files: plain, zlib, plain (big endian)."""
    return _sample_as(tmp_path_factory.mktemp("three"),
                      [{}, {"zlevel": 5}, {"byte_order": hdr.BIG}])


@given(ROWS, st.integers(1, 5000))
def test_units_cover_every_row_once_in_order(rows, chunk):
    """units(): a compressed row whole, a plain one in chunks from its
    first record to its last; rows_from(u) is what is left from unit u."""
    us = parallel.units(rows, chunk)
    for k, row in enumerate(rows):
        mine = [u for u in us if u[0] == k]
        if row[2] is None:
            assert mine == [(k, 0, None)]
        else:                           # the last to the end of the file
            assert mine[0][1] == 0 and mine[-1][2] is None and mine[-1][1] < row[2]
            assert all(x[2] == y[1] for x, y in zip(mine, mine[1:]))
            assert all(0 < u[2] - u[1] == chunk for u in mine[:-1])
            assert row[2] - mine[-1][1] <= chunk
    assert [u[0] for u in us] == sorted(u[0] for u in us)
    for u, (k, a, _b) in enumerate(us):
        left = parallel.rows_from(rows, us, u)
        assert left[1:] == rows[k + 1:]
        if a == 0:
            assert left[0] == rows[k]
        else:
            assert left[0][0] == rows[k][0] and left[0][2:] == (rows[k][2] - a, a)
    assert parallel.rows_from(rows, us, len(us)) == []


@pytest.mark.parametrize("after", [0, 1, 2, 5, 9, 10 ** 6])
@pytest.mark.parametrize("fmt", [5, 10])
def test_counted_units_then_tasks_equals_one_pass(three, monkeypatch, after, fmt):
    """The counter's units (count_units): the first `after` of them here
    (chunks of the plain files, the compressed one whole, or all of them),
    tasks over the rows left (a plain file entered midway is its rest, cut
    into ranges), merged after: the single run's report."""
    monkeypatch.setattr(parallel, "MIN_RANGE", 64)
    monkeypatch.setattr(stream, "BATCH_BYTES", 64 * 300)
    inp = detect.Input([str(three)])
    factory = functools.partial(stat.Report, fmt, inp.rectype)
    single = factory()
    for b in inp:
        single.add(b)
    want_records = inp.records_read
    inp = detect.Input([str(three)])
    rows = parallel.input_rows(inp)
    us = parallel.units(rows, 5000)
    acc = factory()
    rest = parallel.count_units(acc, inp, rows, us, lambda u: u < after)
    assert rest == parallel.rows_from(rows, us, min(after, len(us)))
    for t in parallel.plan_rows(rest, 2) if rest else []:
        parts, records, messages = parallel.run_task(factory, t)
        acc.merge(parts)
        inp.records_read += records
    assert inp.records_read == want_records == 57556
    assert b"".join(acc.text()) == b"".join(single.text())


@given(st.lists(st.floats(1, 1e7), min_size=1, max_size=40), st.data(), st.integers(1, 40))
def test_counter_share_is_one_workers_share(sizes, data, workers):
    """counter_share: the forked counter busy with unit c, part `done` of
    it counted, goes on over the units after it while the middle of each
    stays within one worker's share of what is left."""
    c = data.draw(st.integers(0, len(sizes) - 1))
    done = data.draw(st.floats(0, 1))
    last = parallel.counter_share(sizes, c, workers, done)
    share = (sizes[c] * (1 - done) + sum(sizes[c + 1:])) / (workers + 1)
    load = sizes[c] * (1 - done)
    for j in range(c + 1, last + 1):
        assert load + sizes[j] / 2 <= share
        load += sizes[j]
    if last + 1 < len(sizes):
        assert load + sizes[last + 1] / 2 > share


def _greedy(loads, workers):
    """When the last of `workers` ends, tasks of loads handed out in order
    to whichever is free first (each on its own core)."""
    import heapq
    free = [0.0] * workers
    for x in loads:
        heapq.heapreplace(free, free[0] + x)
    return max(free)


LOADS = st.lists(st.integers(0, 1000).map(float), max_size=30)


@given(LOADS, st.integers(1, 6), st.integers(0, 3000).map(float), st.sampled_from([None, 1, 2, 4]))
def test_ends_of_tasks_beside_a_counter(loads, workers, counter, cores):
    """_ends: without a counter nor shared cores it is list scheduling;
    with shared cores no run ends before its work fits on them, nor before
    its longest piece, nor after that work done one piece at a time."""
    end = parallel._ends(loads, workers, counter, cores)
    if not counter and cores is None:
        assert end == pytest.approx(_greedy(loads, workers))
    if cores is not None:
        assert end >= (sum(loads) + counter) / cores * (1 - 1e-9)
        assert end <= sum(loads) + counter + 1e-6
    assert end >= max(loads + [counter]) * (1 - 1e-9)


def test_ends_by_hand():
    # the counter (5.5 left) and two workers (7 each) on two cores: at 2/3
    # speed the counter ends at 8.25, the workers then have 1.5 each
    assert parallel._ends([7.0, 7.0], 2, 5.5, 2) == pytest.approx(9.75)
    assert parallel._ends([6.0, 7.0], 2, 6.5, 2) == pytest.approx(10.0)
    assert parallel._ends([1.0] * 19, 2) == 10.0


@given(st.lists(st.integers(1, 10 ** 6), min_size=1, max_size=40), st.data(),
       st.integers(1, 6), st.sampled_from([None, 2, 4]))
def test_counter_last_never_ends_later_than_one_share(sizes, data, workers, cores):
    """counter_last: the stopping point whose run ends soonest; never later
    than counter_share()'s."""
    rows = [("f%d" % i, n, None) for i, n in enumerate(sizes)]
    us = parallel.units(rows)
    c = data.draw(st.integers(0, len(us) - 1))
    done = data.draw(st.floats(0, 1))

    def end(last):
        rest = parallel.rows_from(rows, us, last + 1)
        loads = [parallel._task_bytes(t, {r[0]: (r[1], r[2], 0) for r in rest})
                 for t in parallel.plan_rows(rest, workers)] if rest else []
        mine = sizes[c] * (1 - done) + sum(sizes[c + 1:last + 1])
        return parallel._ends(loads, workers, mine, cores)
    last = parallel.counter_last(rows, us, c, workers, cores, done)
    assert c <= last < len(us)
    share = parallel.counter_share([float(x) for x in sizes], c, workers, done)
    assert end(last) <= end(share) * (1 + 1e-9)


def test_counter_last_of_equal_files():
    """Twenty equal compressed files, the counter in the first when the
    cluster answers: beside two workers on its own two cores it stops
    after file 5 (the 14 left split in two); with cores of their own, one
    worker's share (file 6)."""
    rows = [("f%d" % i, 100, None) for i in range(20)]
    us = parallel.units(rows)
    assert parallel.counter_last(rows, us, 0, 2, cores=2) == 5
    assert parallel.counter_last(rows, us, 0, 2) == 6 == parallel.counter_share([100] * 20, 0, 2)


@pytest.fixture(scope="module")
def six(tmp_path_factory):
    """The sample as six files: zlib, zlib, plain, zlib, zlib, zlib."""
    z = {"zlevel": 1}
    return _sample_as(tmp_path_factory.mktemp("six"), [z, z, {}, z, z, z])


class _Gated:
    """An accumulator that, until `opened`, says it has come (`came`) and
    waits for a permit (`gate`) before each batch: the test knows which
    batch the forked counter holds when the cluster 'arrives'."""

    def __init__(self, inner, came, gate, opened):
        self.inner, self.came, self.gate, self.opened = inner, came, gate, opened

    def add(self, b):
        if not self.opened.value:
            self.came.release()
            self.gate.acquire()
        self.inner.add(b)

    def partial(self):
        return self.inner.partial()


def _came(came, counter):
    """Wait until the gated counter comes for a permit (-> True) or has
    ended, every batch counted (-> False)."""
    import select
    while not came.acquire(timeout=0.05):
        if select.select([counter.fd], [], [], 0)[0]:
            return False
    return True


@pytest.mark.parametrize("after", [0, 1, 5, 9, 10, 11, 19, 20, 21, 25, 31, 40, 10 ** 6])
@pytest.mark.parametrize("workers", [1, 2, 5])
def test_forked_counter_then_tasks_equals_one_pass(six, monkeypatch, after, workers):
    """--dask's forked counter (_Counter): the cluster arrives after the
    counter has counted `after` batches (in a compressed file or a chunk
    of the plain one, or after all of them); the counter goes on over its
    share as one more worker, tasks take the rows after it at once; merged
    after the counter's partials they are the single run, and the counter
    stopped where the tasks began."""
    import multiprocessing
    monkeypatch.setattr(parallel, "MIN_RANGE", 64)
    monkeypatch.setattr(stream, "BATCH_BYTES", 64 * 1000)
    inp = detect.Input([str(six)])
    factory = functools.partial(stat.Report, 5, inp.rectype)
    single = factory()
    for b in inp:
        single.add(b)
    want = b"".join(single.text())
    inp = detect.Input([str(six)])
    rows = parallel.input_rows(inp)
    ctx = multiprocessing.get_context("fork")
    came, gate, opened = ctx.Semaphore(0), ctx.Semaphore(0), ctx.RawValue("b", 0)
    counter = parallel._Counter(lambda: _Gated(factory(), came, gate, opened), rows)
    try:
        for _ in range(after):
            if not _came(came, counter):        # ran out of batches: it counted them all
                break
            gate.release()
        else:
            assert _came(came, counter)         # holds batch `after` (counted: after)
        claimed, done = counter._state[0], counter._done.value
        assert 0 <= done <= 1
        rest = counter.share(workers)
        opened.value = 1
        gate.release()
        last = -1 if claimed < 0 else parallel.counter_last(rows, counter.units, claimed,
                                                            workers, done=done)
        assert rest == parallel.rows_from(rows, counter.units, last + 1)
        got = counter.result()
        assert got[3] == rest
    finally:
        counter.abandon()
    acc = factory()
    acc.merge(got[0])
    records = got[1]
    for t in parallel.plan_rows(rest, workers) if rest else []:
        parts, n, messages = parallel.run_task(factory, t)
        acc.merge(parts)
        records += n
    assert records == 57556
    assert b"".join(acc.text()) == want


def test_abandoned_counter_leaves_no_process(six):
    """A failed command ends its forked counter: killed and reaped."""
    inp = detect.Input([str(six)])
    counter = parallel._Counter(functools.partial(stat.Report, 5, inp.rectype),
                                parallel.input_rows(inp))
    counter.abandon()
    with pytest.raises(ChildProcessError):
        os.waitpid(counter.pid, 0)


@pytest.mark.parametrize("workers, cores", [
    (["tcp://127.0.0.1:4001", "tcp://127.0.0.1:4002"], "all"),
    (["tcp://[::1]:4001"], "all"), (["tcp://localhost:4001"], "all"),
    (["tcp://127.0.0.1:4001", "tcp://10.1.2.3:4002"], None),
    (["tcp://node7.example:4001"], None)])
def test_shared_cores_only_with_loopback_workers(workers, cores):
    """The counter shares this machine's cores with the workers only when
    every worker listens on a loopback address."""
    pytest.importorskip("distributed")

    class Client:
        def scheduler_info(self):
            return {"workers": {w: {} for w in workers}}
    want = len(os.sched_getaffinity(0)) if cores == "all" else None
    assert parallel._shared_cores(Client()) == want


class _Stuck:
    """An accumulator that, fed a batch of 7 records, stays busy for a
    minute and then leaves `marker` (a file) behind."""

    def __init__(self, marker):
        self.marker = marker

    def add(self, b):
        if b.n == 7:
            with open(self.marker + ".started", "w"):
                pass
            import time
            time.sleep(60)
            with open(self.marker, "w"):
                pass

    def partial(self):
        return [b""]


def test_a_reader_gone_ends_the_local_processes(tmp_path):
    """-j: when the command stops reading the results (`| head`, an
    error), the processes end at once and the tasks not started are
    cancelled: a task stuck in its work never finishes it (its marker is
    never written), where waiting for it would take a minute."""
    import multiprocessing
    with stream.reader(SAMPLE) as rd:
        header, first = rd.header, next(iter(rd)).copy()
    for name, n in (("a", 5), ("b", 7)):
        first.n = n
        with open(tmp_path / name, "wb") as f, stream.writer(f, header) as wr:
            wr.write(first)
    marker = str(tmp_path / "finished")
    work = [parallel.Task([(str(tmp_path / "a"), 0, None)])] + \
        [parallel.Task([(str(tmp_path / "b"), 0, None)]) for _ in range(3)]
    results = parallel._local(functools.partial(_Stuck, marker), work, 2)
    assert next(results)[1] == 5                # task 0: five records
    import time
    deadline = time.monotonic() + 30
    while not os.path.exists(marker + ".started"):      # a task is stuck in its work
        assert time.monotonic() < deadline
        os.sched_yield()
    results.close()
    assert not multiprocessing.active_children()
    assert not os.path.exists(marker)


def test_counter_progress_of_a_stream_without_a_position():
    """The counter's progress in a compressed input whose file object has
    no position (some fsspec streams) is left as it was, not an error."""
    got = []

    class NoTell:
        def tell(self):
            raise OSError("not seekable")

    class Reader:
        f = NoTell()
    seen = parallel._seen([("u", 100, None)], (0, 0, None), got.append)
    seen(Reader(), 10)
    assert got == []
    Reader.f = type("F", (), {"tell": lambda self: 58})()
    Reader.header = type("H", (), {"header_len": 8})()
    seen(Reader(), 10)
    assert got == [0.5]
