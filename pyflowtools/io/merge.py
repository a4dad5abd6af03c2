"""flow-merge: flow streams interleaved by end time (commands.md 8.9, 13).

Operands are found and ordered as flow-cat finds them (io/inputs.py: one
list per operand, each by header capture start; one list with `group`).
Every input is open at once; C (core/merge.py) repeatedly takes the
pending record with the earliest end time, the earlier input on equal
times, exactly the sequence of the reference's head-by-head scan (inputs
need not be sorted), and asks for an input's next batch when it has used
one up.  Output header as flow-cat's: streaming, the first input's
version; to a regular file (`-o`) it is rewritten at the end with mode
normal, capture start/end = min/max of the inputs' header capture times
(0 for a stream without them) and the flow count.

v1006 streams (IPv4 and IPv6 flows) merge with v1006 streams; a v1006
stream among IPv4 ones is refused as any change of version is ("data
version or sub version changed!"): convert with flow-cat -V first.
"""
import os
import signal
import stat
from collections import namedtuple

from pyflowtools.core import merge as _merge
from pyflowtools.core.batch import Batch
from pyflowtools.core.errors import FlowToolsError, FormatError
from pyflowtools.io import header as hdr
from pyflowtools.io import inputs, progress, stream
from pyflowtools.util import daemon, files

#: bytes of input batches, all inputs together (each input a batch of at
#: most stream.BATCH_BYTES and at least MIN_BATCH records); the output batch
INPUT_MEMORY = 32 << 20
MIN_BATCH = 64
OUT_BYTES = 1 << 20

#: what merge() did: inputs merged, records written
Merged = namedtuple("Merged", "inputs records")


def open_output(path):
    """(file object, regular) for -o: a fresh file, mode 0644, never
    written through a symlink (util/files.open_output)."""
    fd = files.open_output(path)
    return os.fdopen(fd, "wb", buffering=0), stat.S_ISREG(os.fstat(fd).st_mode)


def output_header(first, comment, regular):
    """The header written when the first input is opened."""
    h = stream.streaming_header(first, comment)
    if first.d_version == 8:
        h.agg_version = first.agg_version
    if regular:
        h.set(hdr.CAP_START, "cap_start", 0xFFFFFFFF)
        h.set(hdr.CAP_END, "cap_end", 0)
        h.set(hdr.FLOW_COUNT, "flows_count", 0)
    return h


def _cap_times(h):
    return (h.cap_start if hdr.CAP_START in h.present else 0,
            h.cap_end if hdr.CAP_END in h.present else 0)


def _allow_files(k):
    """Room for k open inputs: raise the soft descriptor limit if needed."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = k + 64
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
    except (ImportError, ValueError, OSError):
        pass


def merge(operands, dst, *, all_files=False, group=False, byte_order=None, zlevel=0,
          comment=None, regular=False, warn=lambda m: None, debug=0, prog=None):
    """Merge the operands' streams into dst (a binary file object;
    `regular`: it is a regular file whose header is rewritten at the end).
    Returns Merged.  Raises FlowToolsError when the inputs' record
    versions differ (after the output header).  `prog`: progress on stderr
    under that name when it is a terminal (io/progress)."""
    lists = inputs.collect(operands, all_files=all_files, group=group, warn=warn,
                           strict_stdin=True, ipv6=True)
    items = [i for lst in lists for i in lst]
    if debug > 5:
        for i in items:
            warn("file: %s start=%d" % (i.name, _cap_times(i.header)[0]))
    readers = []
    shown = progress.Progress(prog, items, enabled=None if prog else False)
    try:
        return _merge_items(items, readers, dst, byte_order, zlevel, comment, regular, warn,
                            shown)
    finally:
        shown.close()
        for rd in readers:
            rd.close()
        for i in items:
            i.close()


def _merge_items(items, readers, dst, byte_order, zlevel, comment, regular, warn, shown):
    first = None
    w = None
    start, end = 0xFFFFFFFF, 0
    _allow_files(len(items))
    per_input = None
    if items:
        rs = items[0].header.rec_size
        per_input = max(MIN_BATCH, min(stream.BATCH_BYTES, INPUT_MEMORY // len(items)) // rs)
    for inp in items:
        try:
            rd = inp.open(batch_records=per_input)
        except FormatError:
            raise FlowToolsError("ftio_init(): failed") from None
        except OSError as e:
            warn("open(%s): %s" % (inp.name, e.strerror or e))
            continue
        readers.append(rd)
        h = rd.header
        s, e = _cap_times(h)
        start, end = min(start, s), max(end, e)
        if first is None:
            first = h
            w = stream.writer(dst, output_header(h, comment, regular), byte_order=byte_order,
                              zlevel=zlevel, rewrite=regular)
        elif not h.same_format(first):
            w.flush()
            w.abort()
            raise FlowToolsError("data version or sub version changed!")
    if w is None:
        if regular:         # no input: the reference still writes the header
            h = output_header(hdr.Header(5), comment, True)
            final = _final(h, start, end, 0)
            stream.writer(dst, h, byte_order=byte_order, zlevel=zlevel, rewrite=True).close(final)
        return Merged(0, 0)
    written = _run(readers, w, warn, shown)
    w.close(_final(w.header, start, end, written) if regular else None)
    return Merged(len(readers), written)


def _final(h, start, end, flows):
    f = h.copy()
    f.flags = hdr.DONE
    f.cap_start, f.cap_end, f.flows_count = start, end, flows & 0xFFFFFFFF
    return f


def _run(readers, w, warn, shown):
    rt, rs = readers[0].rectype, readers[0].rec_size
    k = len(readers)
    m = _merge.Merger(rt, k)
    its = [iter(shown.read(rd)) for rd in readers]

    def feed(i):
        b = next(its[i], None)
        if b is None:
            rd = readers[i]
            for msg in rd.warnings + ([rd.error] if rd.error else []):
                warn(msg)
        m.feed(i, b)

    out = Batch(rt, rs, max(OUT_BYTES // rs, 1))
    with daemon.Signals(stop=(signal.SIGINT, signal.SIGTERM, signal.SIGHUP,
                              signal.SIGQUIT)) as stop:
        if k == 1:              # nothing to interleave: the batches as read
            for b in its[0]:
                w.write(b)
                if stop.stop is not None:
                    break
            else:
                feed(0)
            return w.records_written
        for i in range(k):
            feed(i)
        while stop.stop is None:
            status, i = m.step(out)
            if out.n:
                w.write(out)
            if status == _merge.DONE:
                break
            if status == _merge.NEED:
                feed(i)
    return w.records_written
