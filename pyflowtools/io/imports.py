"""flow-import's inputs (commands.md 8.11, 12.5): cflowd records, CSV with
`#:` lines, Cisco NFCollector text and concatenated export datagrams, read
from a binary file into batches of host-order records of one record type.

Each reader is a generator of Batch objects; what the reference reports
goes to the `warn` callback; an error that ends the import raises
ImportStop(message, status) after the records before it were yielded.
"""
from pyflowtools.core import export as _x
from pyflowtools.core.batch import Batch
from pyflowtools.core.native import rec_size
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.io import export

READ = 1 << 20


class ImportStop(FlowToolsError):
    """The import ends: `status` is the exit status the reference gives."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


def _batch(rectype, recs, n):
    b = Batch(rectype, rec_size(rectype), max(n, 1))
    b.buf[:len(recs)] = recs
    b.n = n
    return b


def _chunks(f):
    while True:
        data = f.read(READ)
        if not data:
            return
        yield data


def cflowd(f, rectype, warn):
    """-f 0: cflowd records; a short final record is dropped silently."""
    parser = _x.CflowdParser(rectype)
    pending = b""
    for data in _chunks(f):
        pending += data
        while True:
            recs, n, used = parser.parse(pending)
            if n:
                yield _batch(rectype, recs, n)
            pending = pending[used:]
            if not n or not used:
                break


def csv(f, rectype, bits, warn):
    """-f 2: CSV lines; `bits` the -m field bits (None: every field of the
    version); a `#:` line before the first record redefines the columns."""
    if bits is None:
        bits = _x.xfield_mask(rectype)
    parser = _x.TextParser(rectype, export.columns(bits), ",")
    yield from _lines(f, rectype, parser, warn, csv_header=True)


def _lines(f, rectype, parser, warn, csv_header=False, first_line=1):
    pending = b""
    final = False
    chunks = _chunks(f)
    while True:
        if not final:
            data = next(chunks, None)
            if data is None:
                final = True
            else:
                pending += data
        while pending:
            st, recs, n, used, extra = parser.parse(pending, final)
            if n:
                parser.headers = False
                yield _batch(rectype, recs, n)
            pending = pending[used:]
            if st == _x.HEADER:
                line = extra.split(b"\n")[0].decode("latin-1")
                try:
                    bits = export.parse_names(line[2:].strip())
                except export.FieldError as e:
                    warn(str(e))
                    raise ImportStop(e.second, 255) from None
                parser.set_columns(export.columns(bits))
                parser.lines[0] += 1
                pending = pending[len(extra):]
                continue
            if st == _x.BROKEN:
                warn("Broken record at line %d (not output)" % (extra + first_line))
                continue
            if not used and not n:
                break
        if final:
            return


#: Cisco NFCollector aggregations: the fields of the data columns
_NFC = {
    "AGGREGATION CallRecord": ("srcaddr", "dstaddr", "srcport", "dstport", "prot", "tos",
                               "dpkts", "doctets", "dflows", "first", "last", None),
    "AGGREGATION HostMatrix": ("srcaddr", "dstaddr", "dpkts", "doctets", "dflows"),
    "AGGREGATION SourceNode": ("srcaddr", "dpkts", "doctets", "dflows"),
    "AGGREGATION DestNode": ("dstaddr", "dpkts", "doctets", "dflows"),
}


def nfcollector(f, rectype, warn):
    """-f 3: a `|`-separated format line, then data lines of the
    aggregation's columns (decimal); other column counts are reported."""
    line = f.readline(1023)
    fields = line.rstrip(b"\r\n").decode("latin-1").split("|")
    if not line or len(fields) != 9:
        raise ImportStop("Unregconized format line", 255)
    if fields[1] != "FORMAT A":
        raise ImportStop('Unregocnized format "%s"' % fields[1], 255)
    names = _NFC.get(fields[2])
    if names is None:
        raise ImportStop('Unsupported aggrecation scheme "%s"' % fields[2], 255)
    by_name = dict((n, b) for b, n in export.FIELDS)
    cols = [by_name[n] if n else -1 for n in names]
    parser = _x.TextParser(rectype, cols, "|", strict=True, base=10)
    parser.headers = False
    yield from _lines(f, rectype, parser, warn, first_line=1)


def wire(f, rectype, warn):
    """-f 4: datagrams back to back (v1, v5, v6, v7), translated to rectype,
    their sequence numbers checked."""
    from pyflowtools.core.pdu import Receiver, R_XLATE_AGG, R_XLATE_V8, EV_CORRUPT, EV_SEQ
    from pyflowtools.core.seq import SequenceTable
    rx = Receiver(rectype, SequenceTable())
    pending = b""
    eof = False
    chunks = _chunks(f)
    while True:
        data = next(chunks, None)
        if data is None:
            eof = True
        else:
            pending += data
        while True:
            st, lens, used, info = _x.wire_split(pending)
            if lens:
                res = rx.feed(pending[:used], lens, [0] * len(lens))
                bad = None
                for ev in res.events:
                    if ev.kind == EV_SEQ:
                        warn("ftpdu_seq_check(): expecting=%d received=%d lost=%d"
                             % (ev.expected, ev.received, ev.lost))
                    elif ev.kind == EV_CORRUPT and bad is None:
                        bad = ev
                if res.count:
                    yield _batch(rectype, res.records, res.count)
                if bad is not None:
                    if bad.reason in (R_XLATE_V8, R_XLATE_AGG):
                        raise ImportStop("ftpdu_v%d_decode(): cannot translate to the "
                                         "output version" % bad.version, 1)
                    raise ImportStop("ftpdu_verify(): failed.", 255)
                pending = pending[used:]
            if st == _x.EFULL:
                continue
            if st == _x.VERSION:
                raise ImportStop("Unrecognized PDU version: %d." % info, 1)
            if st == _x.V8:
                raise ImportStop("ftpdu_verify(): failed.", 255)
            if st == _x.ETRUNC and eof:
                raise ImportStop("fread(): failed - expecting to read %d bytes." % info, 1)
            break
        if eof:
            if pending:
                raise ImportStop("fread(): failed - expecting to read 4 bytes.", 1)
            return
