"""Parallel (-j N) and distributed (--dask ADDRESS) runs of the aggregating
commands, on existing engines: concurrent.futures processes or a Dask
distributed cluster.  No scheduler of ours.

A run is split into tasks, one per input file, in the inputs' order (the
order of a single run: report/detect.Input).  A task builds the command's
accumulator (a picklable factory: the same class the single run uses),
feeds it the file's batches (the C kernels), and returns its partial
state as bytes (core/partial.py: the C tables, exported), the records read
and the file's warnings.  The merger folds the partials in the inputs'
order (csrc/partial.c: exact, first appearance included), then says the
warnings in that order too: the output is the single run's, byte for byte.

An accumulator has add(batch), partial() -> [bytes] and merge([bytes]);
commands whose state cannot merge exactly (flow-dscan's order-dependent
timers, flow-stat's plot data) refuse -j and --dask (`Refused`).
"""
import functools
import os
import sys
import threading

from pyflowtools.core.errors import FlowToolsError, UsageError

#: the environment variable naming a Dask scheduler when --dask is not given
ENV = "PYFLOWTOOLS_DASK"
#: most local processes -j takes
JOBS_MAX = 1024


def jobs_count(text):
    t = text.strip()
    if not t.isdigit() or not 1 <= int(t) <= JOBS_MAX:
        raise UsageError("-j wants a number of processes, 1 to %d: %s" % (JOBS_MAX, text))
    return int(t)


def add_options(p):
    """-j N (local processes) and --dask ADDRESS."""
    p.add_argument("-j", dest="jobs", type=jobs_count, default=0)
    p.add_argument("--dask", dest="dask", default=None)
    return p


def strip_args(argv):
    """argv without -j N and --dask ADDRESS (standalone words: `-j 2`,
    `-j2`, `--dask ADDR`, `--dask=ADDR`): the command line a report shows
    is the single run's, so split and single runs print the same bytes."""
    out, i = [], 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            out.extend(argv[i - 1:])
            break
        if a in ("-j", "--dask"):
            i += 1
        elif not (a.startswith("--dask=") or (a.startswith("-j") and a[2:].isdigit())):
            out.append(a)
    return out


class Plan:
    """How a run goes: jobs local processes, or the Dask scheduler at
    address; neither is the single run."""

    def __init__(self, jobs=0, address=None, from_env=False):
        self.jobs, self.address = jobs, address
        #: the address came from $PYFLOWTOOLS_DASK: stdin is then read as
        #: usual instead of refused
        self.from_env = from_env

    @property
    def split(self):
        return bool(self.address) or self.jobs > 1


def plan(opts, environ=None):
    """The Plan of parsed options: --dask, else -j, else $PYFLOWTOOLS_DASK."""
    environ = os.environ if environ is None else environ
    jobs = getattr(opts, "jobs", 0) or 0
    address = getattr(opts, "dask", None)
    if address is not None and jobs:
        raise UsageError("-j and --dask exclude each other")
    if address is None and not jobs and environ.get(ENV):
        return Plan(0, environ[ENV], from_env=True)
    return Plan(jobs, address)


def refuse(p, why):
    """A command (or a mode) whose state cannot merge exactly: one line when
    the plan splits the input."""
    if p.split:
        raise UsageError("cannot split the input (-j, --dask): %s" % why)


# ---- tasks ---------------------------------------------------------------

#: tasks a run is cut into per worker (process or Dask thread): a few, so a
#: slow worker is helped by the others, not one per file (each task's
#: partial tables cost the merger their whole size): from 2 to 4 a worker,
#: the count whose tasks, handed out in order, end soonest
TASKS_PER_WORKER = (2, 4)
#: the smallest range of a big file a task takes (records)
MIN_RANGE = 1 << 16


def run_task(factory, task):
    """One task: factory() fed every batch of its pieces, one after the
    other -> (partial bytes list, records read, warnings in order).  A task
    is an input name (a path or an fsspec URL) or a list of pieces (name,
    start, stop): records start .. stop-1 of an uncompressed file, (name,
    0, None) a whole file.  Consecutive pieces fed to one accumulator are
    the single run over them: no merge in the worker."""
    acc = factory()
    records = 0
    messages = []
    for name, start, stop in ([(task, 0, None)] if isinstance(task, str) else task.pieces):
        n, said = feed(acc, name, start, stop)
        records += n
        messages += said
    return acc.partial(), records, messages


def feed(acc, name, start=0, stop=None, seen=None):
    """acc fed every batch of one piece: records start .. stop-1 of an
    uncompressed file, or (0, None) the whole input -> (records, its
    warnings in order); seen(reader, records so far) after each batch.
    The one reading loop of tasks and the counter."""
    from pyflowtools.io import inputs
    records = 0
    with inputs.open_name(name, span=None if (start, stop) == (0, None) else (start, stop)) as rd:
        for b in rd:
            records += b.n
            acc.add(b)
            if seen is not None:
                seen(rd, records)
        return records, list(rd.warnings) + ([rd.error] if rd.error else [])


def _first(row):
    """The first record of a cut() row: (name, bytes, records[, first])."""
    return row[3] if len(row) > 3 else 0


def _names(inp):
    out = []
    for item in inp.items:
        if item.reader is not None:
            raise UsageError("%s: stdin, FIFOs and devices cannot be split into tasks (-j, "
                             "--dask): give files or directories" % item.name)
        out.append(item.name if "://" in item.name else os.path.abspath(item.name))
    return out


def _piece(name, header):
    """(name, bytes of records, records or None when it cannot be cut)."""
    if "://" in name:
        return name, None, None
    try:
        size = os.stat(name).st_size
    except OSError:
        return name, None, None
    body = max(size - header.header_len, 0)
    if header.compressed or header.s_version == 1:
        return name, body, None
    return name, body, body // header.rec_size


class Task:
    """What one task reads: pieces (name, start, stop) in order, records
    start .. stop-1 of an uncompressed file or (name, 0, None) a whole
    file.  A class, not a list of tuples: Dask would look into those for
    keys of its graph."""

    __slots__ = ("pieces",)

    def __init__(self, pieces):
        self.pieces = list(pieces)

    def __getstate__(self):
        return self.pieces

    def __setstate__(self, state):
        self.pieces = state

    def __repr__(self):
        return "Task(%r)" % (self.pieces,)


def cut(rows, ntasks, min_range=MIN_RANGE):
    """rows [(name, bytes, records or None when it cannot be cut[, first])]
    in order (first: the row is records first .. first+records-1 of an
    uncompressed file, to its end; default 0) -> at most ntasks Tasks of
    about the same bytes: each task's end is aimed at its share of what is
    left; a file crossing it is cut there on a record boundary when it can
    be (ranges of min_range records at least), else the task ends before
    or after it, whichever is nearer."""
    total = sum(row[1] for row in rows)
    out, cur, done, begin = [], [], 0, 0

    def close():
        nonlocal cur, begin
        out.append(Task(cur))
        cur, begin = [], done
    for row in rows:
        name, size, nrec = row[:3]
        pos = _first(row)
        end = pos + (nrec or 0)
        rs = size / nrec if nrec else 0
        while True:
            last = len(out) >= ntasks - 1
            bound = begin + (total - begin) / max(ntasks - len(out), 1)
            left = (end - pos) * rs if nrec else size
            if last or done + left <= bound:
                cur.append((name, pos, None))
                done += left
                break
            if nrec:
                take = int(round((bound - done) / rs))
                if take >= min_range and end - pos - take >= min_range:
                    cur.append((name, pos, pos + take))
                    done += take * rs
                    pos += take
                    close()
                    continue
                if take < min_range and cur:
                    close()                 # the bound is just before this file
                    continue
            elif cur and bound - done < done + left - bound:
                close()
                continue
            cur.append((name, pos, None))
            done += left
            close()
            break
    if cur:
        out.append(Task(cur))
    return out


def _task_bytes(task, sizes):
    """Bytes of task's pieces; sizes {name: (bytes, records, first)}."""
    total = 0
    for n, a, b in task.pieces:
        size, nrec, first = sizes[n]
        total += size * ((first + nrec if b is None else b) - a) / nrec if nrec else size
    return total


def _ends(loads, workers, counter=0.0, cores=None):
    """When the last runner ends (work in one core's time): tasks of
    `loads` handed out in order to `workers` workers, each taking the next
    as it frees up, beside a counter with `counter` work left that takes
    none; the runners share `cores` cores equally (None: each runs on a
    core of its own)."""
    queue = list(loads)[::-1]
    running = [queue.pop() for _ in range(min(workers, len(queue)))]
    t = 0.0
    while running or counter > 0:
        active = running + ([counter] if counter > 0 else [])
        step = min(active)
        t += step / (1.0 if cores is None else min(1.0, cores / len(active)))
        if counter > 0:
            counter -= step
        nxt = []
        for x in running:
            x -= step
            if x > 0:
                nxt.append(x)
            elif queue:
                nxt.append(queue.pop())
        running = nxt
    return t


def _plan(rows, workers, per_worker=TASKS_PER_WORKER):
    """(when they end, tasks, their bytes) of plan_rows()."""
    sizes = {row[0]: (row[1], row[2], _first(row)) for row in rows}
    best = None
    for k in range(per_worker[0] * workers, per_worker[1] * workers + 1):
        work = cut(rows, k)
        loads = [_task_bytes(t, sizes) for t in work]
        end = _ends(loads, workers)
        if best is None or end < best[0] * (1 - 1e-9):
            best = (end, work, loads)
    return best


def plan_rows(rows, workers, per_worker=TASKS_PER_WORKER):
    """cut(rows) for `workers` workers: of the task counts per_worker[0] to
    per_worker[1] times workers, the one whose tasks end soonest (the fewest
    tasks among equals: fewer partials to merge)."""
    return _plan(rows, workers, per_worker)[1]


def input_rows(inp):
    """[(name, bytes, records or None when it cannot be cut)] of inp's
    inputs, for cut(): compressed streams (and URLs: their size is not
    asked) are never cut."""
    rows = [_piece(n, i.header) for n, i in zip(_names(inp), inp.items)]
    known = [b for _, b, _ in rows if b is not None]
    fill = (sum(known) // len(known)) if known else 1
    return [(n, fill if b is None else max(b, 1), r) for n, b, r in rows]


def tasks(inp, workers):
    """The inputs of inp as Tasks for `workers` workers (plan_rows()):
    whole files, and ranges of the uncompressed ones bigger than a share."""
    return plan_rows(input_rows(inp), workers)


def _local(factory, work, jobs):
    """The results of work's tasks run by `jobs` processes, in order.  A
    command that stops reading them (a closed pipe: `| head`, an error)
    ends the processes at once, the tasks not started cancelled, rather
    than waiting for every task."""
    import concurrent.futures as cf
    import multiprocessing
    ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    ex = cf.ProcessPoolExecutor(max_workers=min(jobs, max(len(work), 1)), mp_context=ctx)
    try:
        yield from ex.map(run_task, [factory] * len(work), work)
    except BaseException:               # GeneratorExit too: the reader is gone
        ex.shutdown(wait=False, cancel_futures=True)
        for proc in multiprocessing.active_children():
            proc.terminate()
        for proc in multiprocessing.active_children():
            proc.join()
        raise
    ex.shutdown()


def client(address):
    """A dask.distributed Client of the scheduler at address."""
    try:
        from distributed import Client
    except ImportError:
        raise FlowToolsError("--dask needs dask.distributed: pip install "
                             "'pyflowtools[dask]'") from None
    try:
        # the connect timeout is Dask's (distributed.comm.timeouts.connect)
        return Client(address, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise FlowToolsError("dask scheduler %s: %s" % (address, e)) from None


def _submit(c, factory, work):
    """The tasks of work (a list, or a function of the number of the
    cluster's threads) handed to client c -> their futures, in order."""
    if callable(work):
        work = work(max(sum(c.nthreads().values()), 1))
    return c.map(run_task, [factory] * len(work), work, pure=False)


def _gather(futures):
    for f in futures:
        yield f.result()
        f.release()


def _dask(factory, work, address):
    c = address if not isinstance(address, str) else client(address)
    try:
        yield from _gather(_submit(c, factory, work))
    finally:
        if c is not address:
            c.close()


def results(factory, work, p):
    """The task results in the order of work: a list of tasks (run_task),
    or a function of the number of workers returning them (called once
    the workers are known)."""
    if p.address is not None:
        return _dask(factory, work, p.address)
    if callable(work):
        work = work(p.jobs)
    return _local(factory, work, p.jobs)


class _Connect(threading.Thread):
    """client(address) made by a thread: importing distributed and
    connecting cost the command ~0.5 s of one core, while the other core
    counts the first inputs (_Counter); the thread closes `wake` when it
    is done."""

    def __init__(self, address, wake=None):
        threading.Thread.__init__(self, name="flow-dask-connect", daemon=True)
        self.address, self.wake = address, wake
        self.client = self.error = None

    def run(self):
        try:
            self.client = client(self.address)
        except BaseException as e:       # said by the command's thread
            self.error = e
        finally:
            if self.wake is not None:   # the command's select() wakes
                os.close(self.wake)


def units(rows, chunk=None):
    """What a counter claims one at a time, in order: (row index, start,
    stop) -- a compressed row whole (k, 0, None), a plain one in chunks of
    `chunk` records (default MIN_RANGE) from its first record ((name,
    bytes, records, first) rows start midway), the last to the end of the
    file (stop None: a partial record there is said, as run_task's last
    piece does)."""
    chunk = chunk or MIN_RANGE
    out = []
    for k, row in enumerate(rows):
        nrec = row[2]
        if not nrec:
            out.append((k, 0, None))
            continue
        first = _first(row)
        for a in range(first, first + nrec, chunk):
            out.append((k, a, a + chunk if a + chunk < first + nrec else None))
    return out


def unit_bytes(rows, unit):
    k, a, b = unit
    row = rows[k]
    if not row[2]:
        return row[1]
    end = _first(row) + row[2] if b is None else b
    return row[1] * (end - a) / row[2]


def rows_from(rows, us, u):
    """The cut() rows of units us[u:] (a plain row entered midway is its
    rest: (name, bytes, records, first))."""
    if u >= len(us):
        return []
    k, a, b = us[u]
    row = rows[k]
    if a == _first(row):
        return rows[k:]
    rest = _first(row) + row[2] - a
    return [(row[0], row[1] * rest // row[2], rest, a)] + rows[k + 1:]


def counter_share(sizes, c, workers, done=0.5):
    """The last unit a counter busy with unit c keeps counting beside
    `workers` workers taking the units after it (sizes: bytes of each
    unit): one worker's share of what is left (the part `done` of unit c
    counted), up to the unit whose middle would pass it."""
    left = sizes[c] * (1.0 - done)
    share = (left + sum(sizes[c + 1:])) / (workers + 1)
    last = c
    for j in range(c + 1, len(sizes)):
        if left + sizes[j] / 2.0 > share:
            break
        left += sizes[j]
        last = j
    return last


#: counter_last() weighs stopping points up to this many units before
#: counter_share()'s (the grain's effect is within a few units of it) ...
LAST_BEFORE = 8
#: ... and only while this many units are left (more, smaller ones: the
#: grain matters less than the time to weigh them)
LAST_UNITS = 512


def counter_last(rows, us, c, workers, cores=None, done=0.5):
    """The last unit of us (units of rows) a counter busy with unit c
    counts beside `workers` workers taking the rest as plan_rows() tasks:
    of the stopping points from LAST_BEFORE before counter_share()'s to
    two past it, the one whose run ends soonest (_ends: the part `done` of
    unit c counted; the counter and the workers share `cores` cores, None
    when the workers have cores of their own), counter_share()'s among
    equals.  Files are the grain: with two workers on the counter's two
    cores, 19 equal files left make the counter stop five files on, not
    six (the workers' 14 split in two)."""
    sizes = [unit_bytes(rows, u) for u in us]
    share = counter_share(sizes, c, workers, done)
    if len(us) - c > LAST_UNITS:
        return share
    top = min(share + 2, len(us) - 1)
    points = list(range(share, max(c, share - LAST_BEFORE) - 1, -1)) + \
        list(range(share + 1, top + 1))
    best = None
    for last in points:
        mine = sizes[c] * (1.0 - done) + sum(sizes[c + 1:last + 1])
        rest = rows_from(rows, us, last + 1)
        end = _ends(_plan(rest, workers)[2] if rest else [], workers, mine, cores)
        if best is None or end < best[0] * (1 - 1e-9):
            best = (end, last)
    return best[1]


def _seen(rows, unit, done):
    """feed()'s seen for a unit: done(the part of it counted) -- by the
    file's position in a compressed row (its bytes), by records in a
    range of a plain one."""
    k, a, b = unit
    row = rows[k]
    if not row[2]:
        body = float(max(row[1], 1))

        def seen(rd, n):
            try:
                pos = rd.f.tell()
            except (AttributeError, OSError, ValueError):   # a stream without a position
                return
            done(min(max(pos - rd.header.header_len, 0) / body, 1.0))
        return seen
    span = float(max((_first(row) + row[2] if b is None else b) - a, 1))
    return lambda rd, n: done(min(n / span, 1.0))


def count_units(acc, inp, rows, us, claim, done=None):
    """Feed acc units us of rows in order while claim(u) says yes (records
    into inp.records_read, warnings through inp.warn, as the single run
    does; done(the part of the unit counted) after each batch) -> the rows
    left (rows_from)."""
    for u, (k, a, b) in enumerate(us):
        if not claim(u):
            return rows_from(rows, us, u)
        records, messages = feed(acc, rows[k][0], a, b,
                                 None if done is None else _seen(rows, us[u], done))
        inp.records_read += records
        for m in messages:
            inp.warn(m)
    return []


class _Tally:
    """inp for count_units in a forked counter: records and warnings kept
    for the command's process, which says them."""

    def __init__(self):
        self.records_read = 0
        self.messages = []

    def warn(self, m):
        self.messages.append(m)


class _Counter:
    """A forked process counting the first inputs (count_units: whole
    compressed files, chunks of plain ones) with its own accumulator while
    this process imports distributed and connects: both cores busy, no GIL
    shared (a thread counting beside the import ran at a third of its
    speed).  Once the cluster is there, share() says where it ends: it
    goes on as one more worker over its share (counter_share); result()
    -> (partials, records, messages, rows left)."""

    def __init__(self, factory, rows):
        import multiprocessing
        import pickle
        ctx = multiprocessing.get_context("fork")
        self.rows = rows
        self.units = units(rows)
        self._lock = ctx.Lock()
        # [unit claimed (-1: none), last unit it may claim]
        self._state = ctx.RawArray("q", 2)
        self._state[0], self._state[1] = -1, len(self.units)
        # the part of the claimed unit counted (written without the lock)
        self._done = ctx.RawValue("d", 0.0)
        r, w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:               # the counter: never back into the command
            try:
                os.close(r)
                try:
                    tally, acc = _Tally(), factory()
                    rest = count_units(acc, tally, rows, self.units, self._claim,
                                       self._counted)
                    out = ("ok", acc.partial(), tally.records_read, tally.messages, rest)
                    data = pickle.dumps(out, pickle.HIGHEST_PROTOCOL)
                except BaseException as e:
                    try:
                        data = pickle.dumps(("error", e), pickle.HIGHEST_PROTOCOL)
                    except BaseException:
                        data = pickle.dumps(("error", FlowToolsError(str(e))))
                with os.fdopen(w, "wb") as f:
                    f.write(data)
            finally:
                os._exit(0)
        os.close(w)
        self.fd = r
        self._result = None
        self.taken = None

    def _claim(self, u):
        with self._lock:
            if u > self._state[1]:
                return False
            self._state[0] = u
            self._done.value = 0.0
            return True

    def _counted(self, part):
        self._done.value = part

    def share(self, workers, cores=None):
        """The counter's last unit beside `workers` workers (counter_last;
        cores: those the counter shares with them, None if none) -> the
        rows the tasks take now (those after it)."""
        with self._lock:
            c = self._state[0]
            last = -1 if c < 0 else counter_last(self.rows, self.units, c, workers, cores,
                                                 self._done.value)
            self._state[1] = last
        self.taken = rows_from(self.rows, self.units, last + 1)
        return self.taken

    def result(self):
        import pickle
        if self._result is None:
            with os.fdopen(self.fd, "rb") as f:
                data = f.read()
            os.waitpid(self.pid, 0)
            try:
                self._result = pickle.loads(data)
            except Exception:
                self._result = ("error", FlowToolsError("the counting process ended "
                                                        "without its result"))
        if self._result[0] == "error":
            raise self._result[1]
        if self.taken is not None and self._result[4] != self.taken:
            raise FlowToolsError("the counting process stopped at another file than "
                                 "planned")
        return self._result[1:]

    def abandon(self):
        """The command failed: end the counter without its result."""
        if self._result is None:
            import signal
            self._result = ("error", None)
            for end in (lambda: os.kill(self.pid, signal.SIGKILL),
                        lambda: os.waitpid(self.pid, 0), lambda: os.close(self.fd)):
                try:
                    end()
                except OSError:         # already gone, reaped or closed
                    pass


class Ordered:
    """The accumulator of a command whose output follows the flows' order
    (a listing, alert lines, an -F stream): add(batch) (the subclass's)
    passes what a batch gives, as bytes, to emit().  In the command's own
    process `take` is set (the command's writer of those bytes) and
    emit() calls it at once: the single run writes as the flows come.  In
    a task take is None: the bytes are kept, in order, and are the task's
    partial; merging it hands them to take.  The tasks merge in the
    inputs' order, so the output is the single run's, byte for byte; a
    task holds its share of the output (what it selected), not its
    flows."""

    def __init__(self):
        #: bytes -> None, in the command's process; None in a task
        self.take = None
        self._kept = []

    def emit(self, data):
        if self.take is not None:
            self.take(data)
        elif len(data):
            self._kept.append(bytes(data))

    def partial(self):
        kept, self._kept = self._kept, []
        return [b"".join(kept)]

    def merge(self, parts):
        for data in parts:
            if data:
                self.take(data)


def _merge_into(acc, inp, got):
    parts, records, messages = got[:3]
    acc.merge(parts)
    inp.records_read += records
    for m in messages:
        inp.warn(m)


def _shared_cores(c):
    """The cores of this machine when every worker of client c listens on
    a loopback address (the counter then shares them with the workers),
    else None."""
    import ipaddress
    from distributed.comm import get_address_host
    try:
        for addr in c.scheduler_info().get("workers", {}):
            host = get_address_host(addr)
            if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
                return None
    except (ValueError, TypeError):     # a host name, an address of another kind
        return None
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _overlapped(factory, inp, acc, address):
    """--dask ADDRESS: while a thread imports distributed and connects, a
    forked counter (_Counter) counts the first inputs; once the cluster is
    there the counter goes on over its share as one more worker, and tasks
    over the rest are handed out at once.
    Merged in order: the counter's partials, then the tasks'."""
    import select
    rows = input_rows(inp)
    counter = _Counter(factory, rows)
    wake_r, wake_w = os.pipe()
    conn = _Connect(address, wake_w)
    conn.start()
    c = None
    try:
        # until connected, or the counter has counted everything
        done = counter.fd in select.select([counter.fd, wake_r], [], [])[0]
        conn.join()
        if conn.error is not None:
            raise conn.error
        c = conn.client
        got = rest = None
        workers = max(sum(c.nthreads().values()), 1)
        if done:
            got = counter.result()
            rest = got[3]
        else:
            rest = counter.share(workers, _shared_cores(c))
        futures = _submit(c, factory, plan_rows(rest, workers)) if rest else []
        _merge_into(acc, inp, got or counter.result())
        for got in _gather(futures):
            _merge_into(acc, inp, got)
    except BaseException:
        counter.abandon()
        raise
    finally:
        os.close(wake_r)
        if c is not None:
            c.close()
    return acc


def accumulate(factory, inp, p=None, acc=None):
    """The accumulator of every batch of inp (report/detect.Input, or a
    stream Reader for the single run): acc (default factory()) fed every
    batch when p does not split, else the merge into it of the tasks run
    as p says (for --dask, after the inputs a forked counter took while
    this process connected and then beside the workers: _overlapped).
    Warnings go through inp.warn, records into inp.records_read, as the
    single run does."""
    acc = factory() if acc is None else acc
    if p is not None and p.from_env and any(i.reader is not None for i in inp.items):
        p = None                # stdin or a FIFO with only the variable set: one run
    if p is None or not p.split:
        for b in inp:
            acc.add(b)
        return acc
    _names(inp)                 # stdin refused before any worker starts
    if isinstance(p.address, str):
        return _overlapped(factory, inp, acc, p.address)
    for got in results(factory, functools.partial(tasks, inp), p):
        _merge_into(acc, inp, got)
    return acc
