"""flow-rptfmt: flow-report's text output in, an aligned text table or an
HTML table out (the formatter the default stat.cfg pipes reports into).

The rules are those of flow-tools 0.68's flow-rptfmt, a Python 2 script,
as its recorded outputs show them (man flow-rptfmt):

* Input: every line is stripped of surrounding white space.  Until the
  first `# recn:` line, `# rec1:` (totals) and `# rec2:` (summary-detail)
  lines take the next line as their comma-separated values, other `# rec`
  lines (not `# records:`) add columns, and every other line is a header
  line.  `# recn:` adds the report's columns (a trailing `*` marks a key;
  names are lower-cased); after it comment lines are skipped and every
  other line is a row.
* Output follows Python 2's `print` statement, whose "soft space" puts one
  blank between the items of a line: cells are padded to their column's
  widest name or value and joined by one blank (so lines end with the
  last cell's padding), and the table ends with an empty line.

Everything works on bytes, column by column, a block of lines at a time:
no Python code runs per character and little per row, so a report of a
million rows takes a few seconds.  The library never prints: `Report`
methods return or raise `RptfmtError` (whose `output` holds what the
reference had printed before failing, if anything).
"""
import gc
import os
import re
from itertools import repeat

from pyflowtools.core.errors import FlowToolsError, UsageError
from pyflowtools.util import files, numbers

USAGE = ("Usage: flow-rptfmt [-hHnp] [-a alarm] [-f format] [-F display_fields]\n"
         "                   [-m max_lines] [-s sort_field]\n")
ALARM_MESSAGE = b"flow-rptfmt exceeded CPU time, consider running report offline.\n"
FORMATS = ("ascii", "html")

#: where the reference reads -n symbol files (fixed; no installation makes it)
SYMDIR = "/usr/local/netflow/var/sym"
#: key columns that have a symbol file, and its name
SYMBOL_FILES = {
    b"ip-source-port": "tcp-port.sym", b"ip-destination-port": "tcp-port.sym",
    b"ip-protocol": "ip-prot.sym",
    b"source-as": "asn.sym", b"destination-as": "asn.sym",
    b"source-tag": "tag.sym", b"destination-tag": "tag.sym",
    b"ip-address-type": "ip-type.sym",
}
#: columns sorted as strings; FLOAT_COLUMNS as floats; every other as integers
STRING_COLUMNS = frozenset((b"ip-source-address", b"ip-destination-address",
                            b"ip-next-hop-address", b"ip-exporter-address"))
FLOAT_COLUMNS = frozenset((b"pps", b"bps"))

CHUNK = 1 << 20
_WS = rb"[ \t\n\r\x0b\x0c]*"
# Python 2 int() and long() of a decimal string (long() also takes an L)
_INT = re.compile(_WS + rb"([+-]?)" + _WS + rb"([0-9]+)" + _WS + rb"\Z")
_LONG = re.compile(_WS + rb"([+-]?)" + _WS + rb"([0-9]+)[Ll]?" + _WS + rb"\Z")
# a cell ending in one of these stops print's soft space (see _Print)
_ODD_WS = re.compile(rb"[\t\r\x0b\x0c]")
_NO_SOFT = b"\t\n\x0b\x0c\r"


class RptfmtError(FlowToolsError):
    """A failure of the formatter; `output` is the text the reference had
    already printed when it failed (its stdout, kept), else b""."""

    def __init__(self, message, output=b""):
        FlowToolsError.__init__(self, message)
        self.output = output


class Alarm(Exception):
    """-a: the time limit ran out (raised by the command's SIGALRM handler)."""


def _show(value):
    return value.decode("latin-1") if isinstance(value, bytes) else value


def py2_int(text, what):
    """`text` (str or bytes) as Python 2's int() reads it, else UsageError."""
    raw = os.fsencode(text) if isinstance(text, str) else text
    m = _INT.match(raw)
    if not m:
        raise UsageError("%s: not a decimal number: %r" % (what, _show(raw)))
    # Python 2's int() had no bound; past the C range the value is clamped
    # (util.numbers), which every use then finds out of its range
    return numbers.strtol((m.group(1) + m.group(2)).decode("ascii"))[0]


def alarm_seconds(text):
    """-a N: seconds (0 or negative: no alarm, as alarm() of a negative int
    never fires in practice)."""
    n = py2_int(text, "-a")
    if not -2 ** 31 <= n < 2 ** 31:
        raise UsageError("-a: %s seconds is out of range" % n)
    return max(n, 0)


def argv_repr(argv):
    """The command line as Python 2 printed a list of byte strings:
    `['flow-rptfmt', '-f', 'ascii']`."""
    items = [os.fsencode(a) if isinstance(a, str) else a for a in argv]
    return b"[" + b", ".join(repr(a)[1:].encode("ascii") for a in items) + b"]"


def _ints(col, what):
    """The values of a column as Python 2's long() reads them."""
    try:
        vals = list(map(int, col))
        if b"_" not in b"".join(col):       # (Python 3 takes 1_000, Python 2 did not)
            return vals
    except ValueError:
        pass
    out = []
    for n, v in enumerate(col, 1):
        m = _LONG.match(v)
        if not m:
            raise RptfmtError("%s: row %d: %r is not an integer" % (what, n, _show(v)))
        out.append(int(m.group(1) + m.group(2)))
    return out


def _float(v, what):
    """One value as Python 2's float() reads it."""
    try:
        if b"_" not in v:
            return float(v)
    except ValueError:
        pass
    raise RptfmtError("%s: %r is not a number" % (what, _show(v)))


class _Print:
    """Python 2's print statement on one stream.  `item(s)` is `print s,`:
    a blank first when the soft space is set; afterwards the soft space is
    set unless s ends in white space other than a blank.  `end()` is a bare
    `print`: a newline, soft space cleared."""

    def __init__(self):
        self.parts = []
        self.soft = False

    def item(self, s):
        if self.soft:
            self.parts.append(b" ")
        self.parts.append(s)
        self.soft = not s or s[-1] not in _NO_SOFT

    def end(self):
        self.parts.append(b"\n")
        self.soft = False

    def line(self, *items):
        for s in items:
            self.item(s)
        self.end()

    def raw(self, text, soft):
        """Text already laid out by the rules above; `soft` the state after it."""
        self.parts.append(text)
        self.soft = soft

    def text(self):
        return b"".join(self.parts)


# summary-detail: the labels of the values, then the histograms: (title or
# None, [(column line, first index, last index, trailing blank)])
_TOTALS = ((b"Ignores:                 ", b"ignores"),
           (b"Total Flows:             ", b"flows"),
           (b"Total Octets:            ", b"octets"),
           (b"Total Packets:           ", b"packets"),
           (b"Total Duration (ms):     ", b"duration"))
_AVERAGES = ((b"Real Time:               ", b"time_real"),
             (b"Average Flow Time:       ", b"aflowtime"),
             (b"Average Packets/Second:  ", b"aps"),
             (b"Average Flows/Second:    ", b"afs"),
             (b"Average Packets/Flow:    ", b"apf"),
             (b"Flows/Second:            ", b"fps"),
             (b"Flows/Second (real):     ", b"fps_real"))
_HISTOGRAMS = (
    (b"\nAverage IP packet size distribution:", (
        (b"\n   1-32   64   96  128  160  192  224  256  288  320  352  384  416  448  480\n  ",
         7, 21, 21),
        (b"\n\n    512  544  576 1024 1536 2048 2560 3072 3584 4096 4608\n  ", 22, 32, 32))),
    (b"\n\nPackets per flow distribution:", (
        (b"\n      1    2    4    8   12   16   20   24   28   32   36   40   44   48   52\n  ",
         33, 47, 47),
        (b"\n\n     60  100  200  300  400  500  600  700  800  900 >900\n   ", 48, 58, 58))),
    (b"\n\nOctets per flow distribution:", (
        (b"\n     32   64  128  256  512 1280 2048 2816 3584 4352 5120 5888 6656 7424 8192\n  ",
         59, 73, 73),
        (b"\n\n   8960 9728 10496 11264 12032 12800 13568 14336 15104 15872 >15872\n  ",
         74, 84, 74))),
    (b"\n\nFlow Time Distribution (ms):", (
        (b"\n    10    50  100  200  500 1000 2000 3000 4000 5000 6000 7000 8000 9000 10000\n  ",
         85, 99, 99),
        (b"\n\n  12000 14000 16000 18000 20000 22000 24000 26000 28000 30000 >30000\n  ",
         100, 110, 99))),
)


def _blocks(stream, size=CHUNK):
    """The input as blocks of whole lines (bytes, newlines between lines)."""
    read = getattr(stream, "read1", None) or stream.read
    pieces = []
    while True:
        chunk = read(size)
        if not chunk:
            break
        nl = chunk.rfind(b"\n")
        if nl < 0:
            pieces.append(chunk)
            continue
        pieces.append(chunk[:nl])
        data = b"".join(pieces) if len(pieces) > 1 else pieces[0]
        pieces = [chunk[nl + 1:]] if nl + 1 < len(chunk) else []
        yield data
    if pieces:
        yield b"".join(pieces)


def load_symbols(path):
    """A symbol file as the reference reads it: every line exactly a value
    and a name (a blank or comment line is an error)."""
    data = files.read(path)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    table = {}
    for n, line in enumerate(lines, 1):
        words = line.split()
        if len(words) != 2:
            raise RptfmtError("%s:%d: expected a value and a name" % (path, n))
        table[words[0]] = words[1]
    return table


class Report:
    """One flow-report text output, loaded column by column."""

    def __init__(self):
        self.header = []          # header lines, stripped
        self.values = {}          # rec1/rec2 values by name, rec2's also by index
        self.totals = False       # a `# rec1:` line was read
        self.summary_detail = False
        self.names = []           # column names (lower case, no `*`)
        self.index = {}           # name -> (last) column index
        self.keys = set()         # key columns (`*`)
        self.cols = []            # column values (bytes), row order
        self.widths = []          # widest name or value per column
        self.shown = []           # columns displayed (pick())
        self.rows = 0
        self.in_data = False
        self.odd_ws = False       # some text may end in non-blank white space
        self.printer = None       # the _Print of the output being made
        self.order = None         # row order after sort() (None: input order)

    # ---------------------------------------------------------------- input
    def load(self, stream, limit=None):
        """Read flow-report output; stop after `limit` rows (None: all)."""
        pending = None
        for data in _blocks(stream):
            if not self.odd_ws and _ODD_WS.search(data):
                self.odd_ws = True
            lines = data.split(b"\n")
            i = 0
            if not self.in_data:
                n = len(lines)
                while i < n and not self.in_data:
                    line = lines[i].strip()
                    i += 1
                    if pending is not None:
                        self._values(pending, line)
                        pending = None
                    elif line[:5] == b"# rec" and line[:10] != b"# records:":
                        tag = line[:6]
                        if tag in (b"# rec1", b"# rec2"):
                            pending = (tag, line[8:].split(b","))
                        else:
                            self.in_data = tag == b"# recn"
                            self._columns(line[8:])
                    else:
                        self.header.append(line)
                if i:
                    lines = lines[i:]
            if self.in_data and lines and self._rows(lines, limit):
                return
        if pending is not None:
            self._values(pending, b"")

    def _values(self, pending, line):
        tag, names = pending
        vals = line.split(b",")
        if len(vals) < len(names):
            raise RptfmtError("%s line names %d values, the next line has %d"
                              % (_show(tag), len(names), len(vals)))
        rec2 = tag == b"# rec2"
        if rec2:
            self.summary_detail = True
        else:
            self.totals = True
        for x, name in enumerate(names):
            self.values[name] = vals[x]
            if rec2:
                self.values[x] = vals[x]

    def _columns(self, text):
        for name in text.split(b","):
            if name[-1:] == b"*":
                name = name[:-1]
                self.keys.add(len(self.names))
            name = name.lower()
            self.index[name] = len(self.names)
            self.names.append(name)
            self.widths.append(len(name))
            self.cols.append([])

    def _rows(self, lines, limit):
        """Add the rows among `lines`; True when `limit` rows are reached."""
        rows = [s for s in map(bytes.strip, lines) if s[:1] != b"#"]
        done = False
        if limit is not None and limit > 0 and self.rows + len(rows) >= limit:
            rows = rows[:limit - self.rows]
            done = True
        if not rows:
            return done
        nf = len(self.cols)
        commas = list(map(bytes.count, rows, repeat(b",", len(rows))))
        if commas.count(nf - 1) == len(rows):
            # every row has exactly the columns: one split of the whole block
            flat = b",".join(rows).split(b",")
            cols = [flat[c::nf] for c in range(nf)]
        else:
            if min(commas) < nf - 1:
                n = next(i for i, k in enumerate(commas) if k < nf - 1)
                raise RptfmtError("row %d has %d fields, the report has %d columns"
                                  % (self.rows + n + 1, commas[n] + 1, nf))
            cols = list(zip(*[r.split(b",", nf)[:nf] for r in rows]))
        for c, col in enumerate(cols):
            self.cols[c].extend(col)
            w = max(map(len, col))
            if w > self.widths[c]:
                self.widths[c] = w
        self.rows += len(rows)
        return done

    # ------------------------------------------------------------ transforms
    def pick(self, fields):
        """-F: the columns named in the comma-separated `fields` (bytes), or
        every column when one of them is `all`."""
        use = set(fields.split(b","))
        self.shown = [i for i, name in enumerate(self.names) if b"all" in use or name in use]

    def sort(self, field):
        """-s: `+NAME` ascending, `-NAME` descending, stable; any other
        first character leaves the order.  NAME must be a column."""
        if not field:
            return
        name = field[1:]
        if name not in self.index:
            raise RptfmtError("no column %r to sort on" % _show(name))
        if field[:1] not in (b"+", b"-") or self.rows < 2:
            return          # (no comparison made: nothing to convert)
        col = self.cols[self.index[name]]
        what = "sort on %s" % _show(name)
        if name in FLOAT_COLUMNS:
            keys = [_float(v, what) for v in col]
        elif name in STRING_COLUMNS:
            keys = col
        else:
            keys = _ints(col, what)
        self.order = sorted(range(self.rows), key=keys.__getitem__, reverse=field[:1] == b"-")

    def map_symbols(self, symdir=SYMDIR):
        """-n: key values of the displayed key columns replaced by their
        names from the column's symbol file in `symdir`."""
        for i in sorted(self.keys):
            if i not in self.shown:
                continue
            fname = SYMBOL_FILES.get(self.names[i])
            if fname is None:
                raise RptfmtError("-n: no symbol file for column %r" % _show(self.names[i]))
            table = load_symbols(os.path.join(symdir, fname))
            col = self.cols[i] = [table.get(v, v) for v in self.cols[i]]
            if col:
                self.widths[i] = max(self.widths[i], max(map(len, col)))

    def percent(self):
        """-p: every value of a non-key column as a percentage of its column
        total (`%5.6f`)."""
        if not self.rows:
            return
        for i, col in enumerate(self.cols):
            if i in self.keys:
                continue
            what = "-p: column %s" % _show(self.names[i])
            ints = _ints(col, what)
            total = sum(ints)
            if total == 0:
                raise RptfmtError("%s totals 0" % what)
            if any(v[-1:] in b"Ll" for v in col):
                raise RptfmtError("%s: a value ends in L" % what)
            try:
                t = float(total)
                col = self.cols[i] = [b"%5.6f" % (float(v) / t * 100) for v in ints]
            except OverflowError:
                raise RptfmtError("%s: values too large" % what) from None
            self.widths[i] = max(self.widths[i], max(map(len, col)))

    # --------------------------------------------------------------- output
    def ascii(self, p, argv, header, max_lines):
        """-f ascii into the _Print `p`."""
        if header:
            for line in self.header:
                p.line(line)
            p.line(b"# ", argv_repr(argv))
            if not self.summary_detail:
                for i in self.shown:
                    p.item(self.names[i].ljust(self.widths[i]))
                p.end()
        if self.summary_detail:
            self._summary_detail(p)
        else:
            self._table(p, max_lines, html=False)
        p.item(b"\n")

    def html(self, p, header, max_lines):
        """-f html into the _Print `p`."""
        if header:
            p.line(b"<pre>")
            for line in self.header:
                if line == b"#rec1:":     # (the reference compares 7 characters with 6)
                    break
                p.line(line)
            p.line(b"</pre>")
        p.line(b"<table border cellspacing=0 cellpadding=5>")
        p.line(b"<tr>")
        if not self.summary_detail:
            for i in self.shown:
                p.line(b" <th>", self.names[i], b"</th>")
        p.line(b"</tr>")
        if self.summary_detail:
            p.line(b"<pre>")
            self._summary_detail(p)
            p.line(b"</pre>")
        else:
            self._table(p, max_lines, html=True)
        p.line(b"</table>")

    def _table(self, p, max_lines, html):
        """The rows: `max_lines` N > 0 stops after N rows, the last one
        without its line end (the reference breaks out of its loop there)."""
        stop = 0 < max_lines <= self.rows
        count = max_lines if stop else self.rows
        if not count:
            return
        if self.order is None:
            cells = [self.cols[i][:count] for i in self.shown]
        else:
            order = self.order[:count]
            cells = [list(map(self.cols[i].__getitem__, order)) for i in self.shown]
        if self.odd_ws:
            self._table_slow(p, cells, count, stop, html)
            return
        rows = zip(*cells) if cells else repeat((), count)
        if html:
            fmt = b"<tr>\n" + b"  <td> %s </td>\n" * len(cells) + b"</tr>\n"
            text = b"".join(map(fmt.__mod__, rows))
            p.raw(text[:-6] if stop else text, False)
        else:
            fmt = b" ".join(b"%%-%ds" % self.widths[i] for i in self.shown)
            text = b"\n".join(map(fmt.__mod__, rows))
            p.raw(text if stop else text + b"\n", stop and bool(cells))

    def _table_slow(self, p, cells, count, stop, html):
        widths = [self.widths[i] for i in self.shown]
        for r in range(count):
            if html:
                p.line(b"<tr>")
                for col in cells:
                    p.line(b"  <td>", col[r], b"</td>")
            else:
                for col, w in zip(cells, widths):
                    p.item(col[r].ljust(w))
            if stop and r == count - 1:
                break
            if html:
                p.line(b"</tr>")
            else:
                p.end()

    def _get(self, p, key):
        try:
            return self.values[key]
        except KeyError:
            name = _show(key) if isinstance(key, bytes) else "value %d" % (key + 1)
            raise RptfmtError("summary-detail input lacks %s" % name, p.text()) from None

    def _dist(self, p, key, trailing):
        """A histogram value as `%-3.3f` (the caller drops its first character)."""
        v = self._get(p, key)
        try:
            f = _float(v, "summary-detail value %d" % (key + 1))
        except RptfmtError as e:
            raise RptfmtError(str(e), p.text()) from None
        return (b"%-3.3f " if trailing else b"%-3.3f") % f

    def _summary_detail(self, p):
        if self.totals:
            for label, key in _TOTALS:
                p.line(label + self._get(p, key))
        for label, key in _AVERAGES:
            p.line(label + self._get(p, key))
        for title, rows in _HISTOGRAMS:
            p.line(title)
            for head, first, last, plain_upto in rows:
                p.item(head)
                for x in range(first, last + 1):
                    p.item(self._dist(p, x, x > plain_upto)[1:])
        p.end()


def format_report(stream, argv, fmt="ascii", fields=b"all", header=True, max_lines="0",
                  sort=b"", names=False, percent=False, symdir=SYMDIR, report=None):
    """The whole formatter: read flow-report output from the binary
    `stream`, return the text to print as a list of bytes pieces (the
    table is one piece: no copy of it is made to join them).  Steps and their failures come in
    the reference's order: -m's value, the input, -s, -n, -p, -f.
    `argv` is the command line echoed in the ASCII header; `report` (a
    fresh Report) may be given to see the partial state on an Alarm."""
    m = py2_int(max_lines, "-m")
    rpt = report if report is not None else Report()
    enabled = gc.isenabled()
    gc.disable()        # no cycles are made; its passes over millions of cells cost more
    try:
        return _format(rpt, stream, argv, fmt, fields, header, m, sort, names, percent, symdir)
    finally:
        if enabled:
            gc.enable()


def _format(rpt, stream, argv, fmt, fields, header, m, sort, names, percent, symdir):
    limit = m if m > 0 and not sort and not percent else None
    rpt.load(stream, limit)
    rpt.pick(fields)
    rpt.sort(sort)
    if names:
        rpt.map_symbols(symdir)
    if percent:
        rpt.percent()
    if fmt not in FORMATS:
        raise RptfmtError("unknown format %r (ascii or html)" % fmt)
    p = _Print()
    rpt.printer = p
    if fmt == "ascii":
        rpt.ascii(p, argv, header, m)
    else:
        rpt.html(p, header, m)
    return p.parts
