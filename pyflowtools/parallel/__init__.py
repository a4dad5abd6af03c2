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
import os

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

def run_task(factory, name):
    """One task: factory() fed every batch of input `name` (a path or an
    fsspec URL) -> (partial bytes list, records read, warnings)."""
    from pyflowtools.io import inputs
    acc = factory()
    records = 0
    with inputs.open_name(name) as rd:
        for b in rd:
            records += b.n
            acc.add(b)
        messages = list(rd.warnings) + ([rd.error] if rd.error else [])
    return acc.partial(), records, messages


def _names(inp):
    out = []
    for item in inp.items:
        if item.reader is not None:
            raise UsageError("%s: stdin, FIFOs and devices cannot be split into tasks (-j, "
                             "--dask): give files or directories" % item.name)
        out.append(item.name if "://" in item.name else os.path.abspath(item.name))
    return out


def _local(factory, names, jobs):
    import concurrent.futures as cf
    import multiprocessing
    ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with cf.ProcessPoolExecutor(max_workers=min(jobs, max(len(names), 1)),
                                mp_context=ctx) as ex:
        yield from ex.map(run_task, [factory] * len(names), names)


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


def _dask(factory, names, address):
    c = address if not isinstance(address, str) else client(address)
    try:
        futures = c.map(run_task, [factory] * len(names), names, pure=False)
        for f in futures:
            yield f.result()
            f.release()
    finally:
        if c is not address:
            c.close()


def results(factory, names, p):
    """The task results in the order of names."""
    if p.address is not None:
        return _dask(factory, names, p.address)
    return _local(factory, names, p.jobs)


def accumulate(factory, inp, p=None, acc=None):
    """The accumulator of every batch of inp (report/detect.Input, or a
    stream Reader for the single run): acc (default factory()) fed every
    batch when p does not split, else the merge into it of one task per
    input file run as p says.  Warnings go through inp.warn, records into
    inp.records_read, as the single run does."""
    acc = factory() if acc is None else acc
    if p is not None and p.from_env and any(i.reader is not None for i in inp.items):
        p = None                # stdin or a FIFO with only the variable set: one run
    if p is None or not p.split:
        for b in inp:
            acc.add(b)
        return acc
    for parts, records, messages in results(factory, _names(inp), p):
        acc.merge(parts)
        inp.records_read += records
        for m in messages:
            inp.warn(m)
    return acc
