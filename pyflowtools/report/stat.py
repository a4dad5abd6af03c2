"""flow-stat's reports (commands.md section 6): the 33 formats as data, the
Report Information block, format 0's text from the C totals, and the table
reports on the C aggregation kernel (docs/REPORT-ENGINE.md): one Totals.add
and one Aggregation.add per batch, rows ordered by Aggregation.order and
written by Aggregation.format; formats 13 and 14 by core.statplot.

    rep = Report(fmt, rectype, names=..., percent=..., wide=..., sort=(field, desc))
    for batch in reader:
        rep.add(batch)
    for chunk in rep.text():          # bytes chunks
        out.write(chunk)

Records with dPkts 0 are left out of every report but the plot data (13,
14); format 0 counts them (`ignored`) for its stderr warning.
"""
import struct
from array import array

from pyflowtools.core import native
from pyflowtools.core.errors import FlowToolsError, MissingField
from pyflowtools.report import text as _text

COUNT = 33
MISSING = "Flow record missing required field for format."
BOGUS = "Ignoring bogus flow dPkts=0"
NOT_IMPLEMENTED = "Not implemented."

NAMES = (
    "Overall Summary", "Average packet size distribution", "Packets per flow distribution",
    "Octets per flow distribution", "Bandwidth per flow distribution",
    "UDP/TCP destination port", "UDP/TCP source port", "UDP/TCP port", "Destination IP",
    "Source IP", "Source/Destination IP", "Source or Destination IP", "IP protocol",
    "octets for flow duration plot data", "packets for flow duration plot data",
    "short summary", "IP Next Hop", "Input interface", "Output interface", "Source AS",
    "Destination AS", "Source/Destination AS", "IP ToS", "Input/Output Interface",
    "Source Prefix", "Destination Prefix", "Source/Destination Prefix", "Exporter IP",
    "Engine Id", "Engine Type", "Source Tag", "Destination Tag", "Source/Destination Tag",
)


class NoSuchFormat(FlowToolsError):
    """-f outside 0..32: the reference's message carries a newline."""

    def __init__(self, fmt):
        FlowToolsError.__init__(self, "No such format, %d\n" % fmt)


class BadSort(FlowToolsError):
    """-S/-s names a field the format does not have."""

    def __init__(self, field):
        FlowToolsError.__init__(self, "can't sort on field %d." % (field + 1))


class Cell:
    """A key column: `kind` dec/ip/prefix, padded to `width` (`wide` with
    -w), names cut to it when `cut`, from symbol table `sym` with -n."""

    __slots__ = ("kind", "width", "wide", "cut", "sym")

    def __init__(self, kind, width, wide=None, cut=False, sym=None):
        self.kind, self.width, self.cut, self.sym = kind, width, cut, sym
        self.wide = width if wide is None else wide


class Format:
    """One flow-stat format.  kind: "summary" (0), "na" (4), "plot" (13,
    14), "short" (15), "fixed" (keys listed in descending order when
    unsorted) or "hash" (first appearance).  key: the aggregation key
    fields; each: count every record under each key field (7, 11);
    double: totals counted twice (7); tcpudp: TCP and UDP records only;
    head: the column-title cells (wide variant for fixed tables); cells:
    the key columns (Cell); pad: packets padded to 20."""

    __slots__ = ("number", "name", "kind", "needs", "key", "each", "double", "tcpudp",
                 "head", "wide_head", "cells", "pad", "nkeys", "titles")

    def __init__(self, number, kind, needs=(), key=(), each=False, head="", wide_head=None,
                 cells=(), pad=False, nkeys=1, titles=None):
        self.number, self.name, self.kind = number, NAMES[number], kind
        self.needs, self.key, self.each = tuple(needs), list(key), each
        self.double = number == 7
        self.tcpudp = number in (5, 6, 7)
        self.head, self.wide_head = head, head if wide_head is None else wide_head
        self.cells, self.pad, self.nkeys = tuple(cells), pad, nkeys
        # address tables: head as (title, padding) per cell, to widen
        self.titles = titles

    @property
    def table(self):
        return self.kind in ("fixed", "hash")

    def sort_fields(self):
        """The valid -S/-s field numbers: the keys, flows, octets, packets,
        duration."""
        return range(self.nkeys + 4)


def _fixed(number, field, title, sym=None, needs=None):
    fields = field if isinstance(field, list) else [field]
    return Format(number, "fixed", needs or fields, fields, each=len(fields) > 1,
                  head="%-10s" % title[:10], wide_head="%-15s" % title[:15],
                  cells=[Cell("dec", 10, 15, True, sym)], pad=True)


def _hash(number, key, head, cells, needs=None, pad=False, nkeys=None, each=False):
    titles = None
    if isinstance(head, list):          # [(title, padding)] of address cells
        titles = tuple(head)
        head = "".join("%-*s" % (w, t) for t, w in titles)
    return Format(number, "hash", needs or key, key, each=each, head=head, cells=cells,
                  pad=pad, nkeys=len(cells) if nkeys is None else nkeys, titles=titles)


_IP = Cell("ip", 15)
_NUM10 = Cell("dec", 10, 15, True, "tag")
_TAG = Cell("dec", 10, 10, True, "tag")
_AS16 = Cell("dec", 16, 16, True, "asn")
_IF5 = Cell("dec", 5)
_PFX = Cell("prefix", 18)
_IPHEAD = [("IPaddr", 15)]
#: v1006: an address column holding an IPv6 address (not IPv4-mapped) is
#: this much wider (39 characters, 43 for a prefix: the longest RFC 5952
#: text, and "/128"); its title's padding too
WIDEN = {"ip": 39 - 15, "prefix": 43 - 18}
_PORTS = ["prot", "srcport", "dstport"]

FORMATS = {f.number: f for f in [
    Format(0, "summary", ["dPkts", "dOctets"]),
    _hash(1, ["pktsize"], "Pkt Size  ", [_NUM10], ["dPkts", "dOctets"]),
    _hash(2, ["dPkts"], "Packets   ", [_NUM10]),
    _hash(3, ["dOctets"], "Octets    ", [_NUM10]),
    Format(4, "na"),
    _fixed(5, "dstport", "port", "port", _PORTS),
    _fixed(6, "srcport", "port", "port", _PORTS),
    _fixed(7, ["srcport", "dstport"], "port", "port", _PORTS),
    _hash(8, ["dstaddr"], _IPHEAD, [_IP]),
    _hash(9, ["srcaddr"], _IPHEAD, [_IP]),
    _hash(10, ["srcaddr", "dstaddr"], [("src IPaddr", 15), ("dst IPaddr", 17)], [_IP, _IP],
          pad=True),
    _hash(11, ["srcaddr", "dstaddr"], _IPHEAD, [_IP], each=True),
    _fixed(12, "prot", "protocol", "prot"),
    Format(13, "plot", ["dPkts", "dOctets", "First", "Last"]),
    Format(14, "plot", ["dPkts", "dOctets", "First", "Last"]),
    Format(15, "short", ["dPkts", "dOctets"]),
    _hash(16, ["nexthop"], _IPHEAD, [_IP]),
    _fixed(17, "input", "interface"),
    _fixed(18, "output", "interface"),
    _fixed(19, "src_as", "src AS", "asn"),
    _fixed(20, "dst_as", "dst AS", "asn"),
    _hash(21, ["src_as", "dst_as"], "src AS          dst AS            ", [_AS16, _AS16],
          pad=True),
    _fixed(22, "tos", "ToS"),
    _hash(23, ["input", "output"], "in   out    ", [_IF5, _IF5], pad=True),
    _hash(24, ["srcprefix", "src_mask"], [("Source Prefix", 18)], [_PFX],
          ["srcaddr", "src_mask"]),
    _hash(25, ["dstprefix", "dst_mask"], [("Source Prefix", 18)], [_PFX],
          ["dstaddr", "dst_mask"]),
    _hash(26, ["srcprefix", "src_mask", "dstprefix", "dst_mask"],
          [("Source Prefix", 18), ("Destination Prefix", 20)], [_PFX, _PFX],
          ["srcaddr", "src_mask", "dstaddr", "dst_mask"]),
    _hash(27, ["exaddr"], _IPHEAD, [_IP]),
    _fixed(28, "engine_id", "engine_id"),
    _fixed(29, "engine_type", "engine_type"),
    _hash(30, ["src_tag"], "Src Tag   ", [_NUM10]),
    _hash(31, ["dst_tag"], "Dst Tag   ", [_NUM10]),
    _hash(32, ["src_tag", "dst_tag"], "Src Tag   Dst Tag     ", [_TAG, _TAG]),
]}

#: -n: symbol file bits of symbols.load_for per table (1 prot, 2 port, 4 AS, 8 tag)
SYM_BITS = {"prot": 1, "port": 2, "asn": 4, "tag": 8}

#: hash listings: keys are kept in blocks of this many in first-seen order,
#: listed newest block first (commands.md 6.2)
BLOCK = 65536


def encode(text):
    """bytes of report text (arguments keep the bytes they were typed as)."""
    return text.encode("utf-8", "surrogateescape")


def format_list():
    """-h -h: the formats after the usage text."""
    return "".join(" -f %-3d %s\n" % (n, NAMES[n]) for n in range(COUNT))


def lookup(fmt):
    f = FORMATS.get(fmt)
    if f is None:
        raise NoSuchFormat(fmt)
    return f


def symbol_mask(fmt, names):
    """Bits of the symbol files format `fmt` reads with -n (0 without)."""
    if not names:
        return 0
    f = lookup(fmt)
    mask = 0
    for c in f.cells:
        if c.sym:
            mask |= SYM_BITS[c.sym]
    return mask


def information(fmt, argv, title=None, percent=False, names=False, sort=None, cc="#"):
    """The Report Information block (str, newline-terminated lines).
    argv: the command line as typed, program name first; sort: None or
    (field, descending)."""
    fields = []
    if title is not None:
        fields.append(("Title", title))
    fields.append(("Fields", "Percent Total" if percent else "Total"))
    fields.append(("Symbols", "Enabled" if names else "Disabled"))
    if sort is None:
        fields.append(("Sorting", "None"))
    else:
        fields.append(("Sorting", "%s Field %d" % ("Descending" if sort[1] else "Ascending",
                                                   sort[0])))
    fields.append(("Name", NAMES[fmt]))
    lines = _text.information_block(fields, _text.args_text(argv), cc)
    return "".join(line + "\n" for line in lines)


def check_fields(fmt, rectype):
    """MissingField when records of rectype lack a field format fmt reads."""
    have = native.layout(rectype)[3]
    missing = [n for n in lookup(fmt).needs if n not in have]
    if missing:
        raise MissingField(MISSING, missing[0])


def title_lines(f, percent=False, wide=False, cc="#", widened=()):
    """The `#`, column titles, `#` lines opening a table; widened: the
    indexes of the address cells printed wider (IPv6 on v1006)."""
    head = f.wide_head if wide else f.head
    if widened:
        head = "".join("%-*s" % (w + (WIDEN[f.cells[j].kind] if j in widened else 0), t)
                       for j, (t, w) in enumerate(f.titles))
    if percent:
        tail = "flows    octets   packets" + ("  duration" if wide else "")
    else:
        tail = ("flows                 octets                packets"
                + ("               duration" if wide else ""))
    return "%s\n%s %s%s\n%s\n" % (cc, cc, head, tail, cc)


# ---------------------------------------------------------------------------
# format 0: the overall summary, from the C totals

def f32(x):
    """x rounded to single precision (the reference's averages are floats)."""
    return struct.unpack("f", struct.pack("f", x))[0]


def fdiv(a, b):
    """C float division a / b: rounded to single precision, inf and nan on 0."""
    a, b = f32(a), f32(b)
    if b == 0:
        if a == 0 or a != a:
            return float("nan")
        return float("inf") if a > 0 else float("-inf")
    return f32(a / b)


def cfloat(fmt, x):
    """printf(fmt, x) for a %W.Pf fmt, with glibc's inf and -nan."""
    if x != x or x in (float("inf"), float("-inf")):
        word = "-nan" if x != x else "inf" if x > 0 else "-inf"
        width = fmt[1:].split(".")[0]
        return ("%" + width + "s") % word
    return fmt % x


HISTOGRAMS = (
    ("IP packet size distribution:", "hist_psize",
     ("   1-32   64   96  128  160  192  224  256  288  320  352  384  416  448  480",
      "    512  544  576 1024 1536 2048 2560 3072 3584 4096 4608"),
     ("   " + "{} " * 15, "   " + "{} " * 11)),
    ("Packets per flow distribution:", "hist_fpsize",
     ("      1    2    4    8   12   16   20   24   28   32   36   40   44   48   52",
      "     60  100  200  300  400  500  600  700  800  900 >900"),
     ("   " + "{} " * 15, "   " + "{} " * 11)),
    ("Octets per flow distribution:", "hist_fosize",
     ("     32   64  128  256  512 1280 2048 2816 3584 4352 5120 5888 6656 7424 8192",
      "   8960 9728 10496 11264 12032 12800 13568 14336 15104 15872 >15872"),
     ("   " + "{} " * 15, "   {} {}  " + "{}  " * 9)),
    ("Flow time distribution:", "hist_ftime",
     ("    10    50  100  200  500 1000 2000 3000 4000 5000 6000 7000 8000 9000 10000",
      "  12000 14000 16000 18000 20000 22000 24000 26000 28000 30000 >30000"),
     ("   " + "{} " * 14 + " {}  ", "   " + "{}  " * 11)),
)


def fraction(count, total):
    """A histogram cell: %.3f without its first digit (1.000 -> .000)."""
    return ("%.3f" % fdiv(count, total))[1:]


def summary_text(tot):
    """Format 0's text from a Totals(hist=True); "" when nothing was
    counted."""
    counted = tot.records - tot.ignores
    if counted <= 0:
        return ""
    flows, octets, packets, time_ = tot.flows, tot.octets, tot.packets, tot.duration
    real = (tot.max_secs - tot.min_secs) & 0xFFFFFFFF
    data = (tot.max_last - tot.min_first) & 0xFFFFFFFF
    secs = data // 1000
    kbits = fdiv(octets * 8, 1000)

    def avg(x):
        return cfloat("%4.4f", x)
    lines = [
        "Total Flows                     : %d" % flows,
        "Total Octets                    : %d" % octets,
        "Total Packets                   : %d" % packets,
        "Total Time (1/1000 secs) (flows): %d" % time_,
        "Duration of data  (realtime)    : %d" % real,
        "Duration of data (1/1000 secs)  : %d" % data,
        "Average flow time (1/1000 secs) : " + avg(fdiv(time_, flows)),
        "Average packet size (octets)    : " + avg(fdiv(octets, packets)),
        "Average flow size (octets)      : " + avg(fdiv(octets, flows)),
        "Average packets per flow        : " + avg(fdiv(packets, flows)),
        "Average flows / second (flow)   : " + avg(fdiv(flows, secs)),
        "Average flows / second (real)   : " + avg(fdiv(flows, real) if real else 0.0),
        "Average Kbits / second (flow)   : " + avg(fdiv(kbits, secs)),
        "Average Kbits / second (real)   : " + avg(fdiv(kbits, real) if real else 0.0),
        "", "",
    ]
    for title, attr, labels, rows in HISTOGRAMS:
        cells = [fraction(c, counted) for c in getattr(tot, attr)]
        lines += [title, labels[0], rows[0].format(*cells[:15]), "",
                  labels[1], rows[1].format(*cells[15:]), ""]
    return "".join(line + "\n" for line in lines)


def short_text(tot, cc="#"):
    """Format 15: octets, packets and megabytes."""
    return ("%s\n%s Octets            Packets             MBytes\n%s\n%-20d%-20d%.3f\n"
            % (cc, cc, cc, tot.octets, tot.packets, tot.octets / 1000000.0))


# ---------------------------------------------------------------------------
# the reports

_COUNTERS = ("flows", "octets", "packets", "duration")

PLOT_TITLES = {13: "#\n# start      octets\n# end        octets\n#\n",
               14: "#\n# start     packets\n# end       packets\n#\n"}


class Report:
    """One flow-stat run over records of `rectype` (see the module doc).
    Raises NoSuchFormat, MissingField (records lack a field) or BadSort
    (-S/-s field out of range) before any record is read.  symbols: the
    C symbol tables for -n (symbols.load_for(symbol_mask(...)))."""

    def __init__(self, fmt, rectype, names=False, percent=False, wide=False, sort=None,
                 tally=0, cc="#", symbols=None):
        from pyflowtools.core.stat import Totals
        self.f = f = lookup(fmt)
        check_fields(fmt, rectype)
        self.names, self.percent, self.wide = names, percent, wide
        self.sort, self.tally, self.cc, self.symbols = sort, tally, cc, symbols
        if f.table and sort is not None and sort[0] not in f.sort_fields():
            raise BadSort(sort[0])
        self.totals = Totals(hist=f.kind == "summary", rates=False)
        self.agg = None
        self.plot = None
        self._select = None
        self._progs = {}
        self.has_dflows = "dFlows" in native.layout(rectype)[3]
        if f.table:
            from pyflowtools.core.table import Aggregation
            # durations only for -w, a sort on them or the #SUB lines of -P
            # -t (40 bytes a key instead of 56 for an address)
            need_dur = (wide or (sort is not None and sort[0] == f.nkeys + 3)
                        or (percent and tally > 0))
            # v1006: address keys of 128 bits (address_fields)
            self.agg = Aggregation(f.key, duration=need_dur, dflows=True, each=f.each,
                                   rectype=rectype)
            if f.tcpudp:
                from pyflowtools.filters import program
                self._select = program.in_set("prot", (6, 17), nbits=256)
        elif f.kind == "plot":
            from pyflowtools.core.statplot import Plot
            self.plot = Plot(packets=fmt == 14)

    @property
    def ignored(self):
        return self.totals.ignores

    def _selection(self, batch):
        if self._select is None:
            return None
        prog = self._progs.get(batch.rectype)
        if prog is None:
            from pyflowtools.filters import program
            prog = self._progs[batch.rectype] = program.compile(self._select, batch.rectype)
        return prog.select(batch)

    def head(self):
        """Text to write before the records are added (bytes): the plot
        data's titles, since its lines are written as the records come."""
        if self.f.kind != "plot":
            return b""
        return encode(PLOT_TITLES[self.f.number].replace("#", self.cc))

    def add(self, batch):
        """Count one batch (one C call per counter).  The plot formats
        return the batch's text (bytes) to write at once."""
        f = self.f
        if not batch.n or f.kind == "na":
            return None
        if f.kind == "plot":
            return self.plot.format(batch)
        if self.agg is not None:
            # totals and keys in one pass
            self.agg.add(batch, self._selection(batch), totals=self.totals)
        else:
            self.totals.add(batch, self._selection(batch))
        return None

    # ---- partials of a split run (pyflowtools/parallel) ---------------
    def partial(self):
        """The counters as bytes (the totals, then the table's)."""
        from pyflowtools.core import partial
        parts = [partial.export_totals(self.totals)]
        return parts + (partial.export_agg(self.agg) if self.agg is not None else [])

    def merge(self, parts):
        """Add another Report's partial(), counted after this one's records."""
        from pyflowtools.core import partial
        partial.merge_totals(self.totals, parts[0])
        if self.agg is not None:
            partial.merge_agg(self.agg, parts[1:])

    # ---- output ------------------------------------------------------
    def text(self):
        """The report after the Report Information block, as bytes chunks."""
        for chunk in self._text():
            yield chunk if isinstance(chunk, bytes) else encode(chunk)

    def _text(self):
        f = self.f
        cc = self.cc
        if f.kind == "na":
            yield NOT_IMPLEMENTED + "\n"
        elif f.kind == "summary":
            yield summary_text(self.totals)
        elif f.kind == "short":
            yield short_text(self.totals, cc)
        elif f.kind == "plot":
            yield self.plot.trailer(cc)
        else:
            self._widened = self.widened()
            yield title_lines(f, self.percent, self.wide, cc, self._widened)
            yield from self._rows()

    def widened(self):
        """The address cells holding an IPv6 address in some row (v1006):
        printed WIDEN wider.  Empty on the IPv4 record types and when every
        address is IPv4, so IPv4 flows print exactly as on v5."""
        f = self.f
        return frozenset(j for j, c in enumerate(f.cells) if c.kind in WIDEN
                         and self.agg.has_ipv6(j * 2 if f.number == 26 else j))

    def totals_of_rows(self):
        """(flows, octets, packets, duration): what the percentages divide."""
        t = self.totals
        k = 2 if self.f.double else 1
        return tuple(k * getattr(t, c) for c in _COUNTERS)

    def order(self):
        """The slot indexes of the rows, in output order."""
        f = self.f
        agg = self.agg
        if self.sort is None:
            if f.kind == "fixed":
                idx = agg.order("key", desc=True)
            else:
                idx = _blocks_newest_first(agg.order("seq"))
        else:
            field, desc = self.sort
            if field < f.nkeys:
                by, kf = "key", field * 2 if f.number == 26 else field
            else:
                by, kf = _COUNTERS[field - f.nkeys], None
            # ascending on the field, ties in the unsorted listing's own order
            # for hash tables (first appearance) and reversed for fixed tables
            # (ascending key); -S reverses the whole order, ties included
            init = None if f.kind == "fixed" else _blocks_newest_first(agg.order("seq"))
            idx = agg.order(by, desc=desc, ties="key" if f.kind == "fixed" else "seq",
                            field=kf, init=init)
        if f.kind == "fixed" and self.has_dflows:
            idx = array("I", (i for i, r in zip(idx, agg.rows(idx)) if r.flows))
        return idx

    def columns(self):
        from pyflowtools.core.table import Column
        f = self.f
        cols = []
        widened = getattr(self, "_widened", None)
        if widened is None:
            widened = self.widened()
        for j, c in enumerate(f.cells):
            width = c.wide if self.wide else c.width
            if j in widened:
                width += WIDEN[c.kind]
            src = "key%d" % (j * 2 if f.number == 26 else j)
            if c.kind == "prefix":
                cols.append(Column(src, "prefix", width=width, sep="  ",
                                   len_field=(j * 2 if f.number == 26 else j) + 1))
            elif c.kind == "ip":
                cols.append(Column(src, "ip", width=width, sep="  "))
            elif self.names and c.sym and self.symbols is not None:
                cols.append(Column(src, "sym", width=width, sep="  ", sym=self.symbols,
                                   sym_kind=c.sym, cut=width if c.cut else 0))
            else:
                cols.append(Column(src, "dec", width=width, sep="  "))
        n = 4 if self.wide else 3
        tot = self.totals_of_rows()
        for j, name in enumerate(_COUNTERS[:n]):
            last = j == n - 1
            if self.percent:
                cols.append(Column(name, "pct3", sep="" if last else "   ", total=tot[j]))
            elif name == "packets" and (f.pad or self.wide):
                cols.append(Column(name, "dec", width=20, sep="" if last else "  "))
            elif last:
                cols.append(Column(name, "dec"))
            else:
                cols.append(Column(name, "dec", width=20, sep="  "))
        return cols

    def _rows(self):
        idx = self.order()
        cols = self.columns()
        if not (self.percent and self.tally > 0):
            yield from self.agg.format(idx, cols)
            return
        tot = self.totals_of_rows()
        n = self.tally
        for at in range(0, len(idx), n):
            end = min(at + n, len(idx))
            yield from self.agg.format(idx[:end], cols, start=at)
            if end - at == n:
                s = self.agg.sums(idx, 0, end)          # one C call a #SUB line
                yield sub_line([s.flows, s.octets, s.packets, s.duration], tot, self.cc)


def percent(value, total):
    if total == 0:
        return float("nan") if value == 0 else float("inf")
    return value / total * 100.0


def sub_line(cum, tot, cc="#"):
    """-P -t: the `#SUB` line of the cumulated percentages after every
    tally rows.  Its first number is 0 (the reference prints an unreliable
    value there)."""
    values = [0.0] + [percent(c, t) for c, t in zip(cum, tot)]
    return "%sSUB %s\n" % (cc, "   ".join(cfloat("%.3f", v) for v in values))


def _blocks_newest_first(idx):
    """First-seen order (seq) in blocks of BLOCK keys, newest block first."""
    if len(idx) <= BLOCK:
        return idx
    out = array("I")
    starts = list(range(0, len(idx), BLOCK))
    for s in reversed(starts):
        out.extend(idx[s:s + BLOCK])
    return out
