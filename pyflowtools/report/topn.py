"""flow-topn's logic: the "Top N session", "Top N data" and "baseline"
methods of the worm articles.

Records (optionally only those whose destination port / protocol is in a
flow-filter style list) are counted per source, destination or
source/destination pair by the C aggregation kernel (core/table.py):
flows, octets, packets, and for src/dst keys the number of distinct peers
(destinations of a source, sources of a destination).  The C core ranks
them (value descending, ties by the lower key); Python formats the N rows.

Baseline file (text, one entry per line, written atomically):

    # flow-topn baseline: -k src -m octets
    # <free comment lines>
    135.169.20.221<TAB>9686296
    135.169.1.40<TAB>7609258

For `-k pair` an entry is `SOURCE<TAB>DESTINATION<TAB>VALUE`.  Only the
addresses matter when reading; the value is informational.  The first
line names the key and metric the entries were ranked by; a file made
with another -k or -m is refused.

Addresses are IPv4 dotted quads or IPv6 (written in RFC 5952 form by
util.ipv6.text, read by util.ipv6.parse_any): a baseline made from v1006
input holds both, and an IPv4 host is the same entry whichever version
of input saw it (its IPv4-mapped address); baselines of IPv4 input are
unchanged.  Keys are 128-bit ints here (IPv4 mapped) on every input.
"""
import os
import time

from pyflowtools.core.table import Aggregation, is_ipv6
from pyflowtools.core.errors import FormatError, UsageError
from pyflowtools.filters import lists, program
from pyflowtools.report.text import args_text, report_information
from pyflowtools.util import files, ipv6, numbers

KEYS = ("src", "dst", "pair")
METRICS = ("flows", "octets", "packets", "peers")
DEFAULT_KEY = "src"
DEFAULT_METRIC = "flows"
DEFAULT_N = 10
BASELINE_MAGIC = "# flow-topn baseline:"

# (first field, second field) of the counting key; peers = distinct second
_FIELDS = {"src": ("srcaddr", "dstaddr"), "dst": ("dstaddr", "srcaddr"),
           "pair": ("srcaddr", "dstaddr")}


#: the largest -n and -t (the C counters are 64-bit)
COUNT_MAX = (1 << 63) - 1


def count_value(text):
    """A non-negative decimal option value (-n, -t)."""
    return numbers.ranged(text, 0, COUNT_MAX)


def check_choice(what, value, choices):
    if value not in choices:
        raise UsageError("%s must be one of %s, not %s" % (what, "|".join(choices), value))
    return value


def selection(ports=None, protocols=None):
    """Expression tree for -P (dstport list) and -r (protocol list), in
    flow-filter's list syntax; None when neither is given."""
    parts = []
    if ports is not None:
        parts.append(program.bitmap("dstport", lists.bitmap_of(ports, lists.PORT_TABLE)))
    if protocols is not None:
        parts.append(program.bitmap("prot", lists.bitmap_of(protocols, lists.BYTE_TABLE)))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else program.And(*parts)


class TopN:
    """Counts batches by key; rows() ranks them."""

    def __init__(self, key=DEFAULT_KEY, metric=DEFAULT_METRIC, select=None, rectype=None):
        self.key = check_choice("-k", key, KEYS)
        self.metric = check_choice("-m", metric, METRICS)
        if metric == "peers" and key == "pair":
            raise UsageError("-m peers counts the peers of one address: use -k src or -k dst")
        f1, f2 = _FIELDS[key]
        # rectype v1006: 128-bit address keys (Aggregation(rectype=))
        self.ipv6 = rectype is not None and is_ipv6(rectype)
        if metric == "peers":
            self.counter = Aggregation([f1], peer=[f2], rectype=rectype)
        elif key == "pair":
            self.counter = Aggregation([f1, f2], rectype=rectype)
        else:
            self.counter = Aggregation([f1], rectype=rectype)
        self.select = select
        self._prog = None
        self._rectype = None
        self.flows = 0                 # records counted (after -P/-r)

    def add(self, batch):
        if self.select is not None:
            if self._prog is None or self._rectype != batch.rectype:
                self._prog = program.compile(self.select, batch.rectype)
                self._rectype = batch.rectype
            self._prog.apply(batch)
        self.flows += batch.n
        if batch.n:
            self.counter.add(batch)

    def partial(self):
        """The counts as bytes, for a split run (pyflowtools/parallel)."""
        from pyflowtools.core import partial
        return [b"%d" % self.flows] + partial.export_agg(self.counter)

    def merge(self, parts):
        """Add another TopN's partial(), counted after this one's records."""
        from pyflowtools.core import partial
        self.flows += int(parts[0])
        partial.merge_agg(self.counter, parts[1:])

    def rows(self, n=DEFAULT_N, threshold=0):
        """[(key, value, flows, octets, packets, peers)] best first, at most
        n (0: all), value >= threshold.  key is an address, or a (source,
        destination) tuple for pairs: 32-bit on IPv4 input, 128-bit on
        v1006 (wide() makes any of them 128-bit); ties by the lower key
        (on v1006 the numerically lower 128-bit address)."""
        out = []
        for r in self.counter.ranked(self.metric, limit=n if n > 0 else None,
                                     min_value=threshold):
            key = r.key if self.key == "pair" else r.key[0]
            value = r.distinct if self.metric == "peers" else getattr(r, self.metric)
            out.append((key, value, r.flows, r.octets, r.packets,
                        r.distinct if self.metric == "peers" else None))
        return out


    def wide(self, key):
        """A row key as 128-bit addresses (IPv4 mapped): the keys of the
        baseline, key_text and text_row."""
        if self.ipv6:
            return key
        return tuple(ipv6.mapped(a) for a in key) if isinstance(key, tuple) \
            else ipv6.mapped(key)

    def wide_rows(self, rows):
        return [(self.wide(r[0]),) + tuple(r[1:]) for r in rows]


# ---- baseline -------------------------------------------------------------

def key_text(key):
    """Text of a 128-bit key (TopN.wide): dotted quads for IPv4."""
    return "\t".join(ipv6.text(k) for k in key) if isinstance(key, tuple) \
        else ipv6.text(key)


def _spec(key, metric):
    return "-k %s -m %s" % (key, metric)


def load_baseline(path, key, metric):
    """The set of keys in baseline file `path`, or None when it does not
    exist.  FormatError (FILE:LINE: ...) for a malformed file or one made
    with another -k / -m."""
    try:
        data = files.read(path, files.STATE_MAX)
    except FileNotFoundError:
        return None
    text = data.decode("utf-8", "replace")
    want = 2 if key == "pair" else 1
    keys = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith(BASELINE_MAGIC):
            made = line[len(BASELINE_MAGIC):].strip()
            if made != _spec(key, metric):
                raise FormatError("%s:%d: baseline of %s, not %s (use one file per -k/-m)"
                                  % (path, lineno, made, _spec(key, metric)))
            continue
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        try:
            addrs = tuple(ipv6.parse_any(a) for a in fields[:want])
            if len(addrs) != want or len(fields) > want + 1 \
                    or not all(v.isdigit() for v in fields[want:]):
                raise ValueError("want %s" % ("SOURCE DESTINATION [VALUE]" if want == 2
                                              else "ADDRESS [VALUE]"))
        except ValueError as e:
            raise FormatError("%s:%d: %s" % (path, lineno, e)) from None
        keys.add(addrs if want == 2 else addrs[0])
    return keys


def write_baseline(path, key, metric, rows, argv=()):
    """Replace `path` atomically (util/files.replace: a fresh temporary file
    in the same directory, then a rename) with the keys and values of rows;
    an existing baseline keeps its mode."""
    text = ["%s %s\n" % (BASELINE_MAGIC, _spec(key, metric)),
            "# written %s by %s\n" % (
                time.strftime("%Y-%m-%d %H:%M:%S %z"),
                " ".join(a for a in argv if a.isprintable()) or "flow-topn")]
    text += ["%s\t%d\n" % (key_text(r[0]), r[1]) for r in rows]
    try:
        files.replace(os.path.abspath(path), "".join(text).encode("utf-8"), mode=0o666,
                      keep_mode=True)
    except OSError as e:            # name the baseline, not the temporary
        raise OSError(e.errno, e.strerror, path) from None


# ---- report ---------------------------------------------------------------

_NAMES = {"src": "Source IP", "dst": "Destination IP", "pair": "Source/Destination IP"}
_COUNTERS = ("flows", "octets", "packets")


def columns(metric):
    """Counter columns of the text report: the ranked one first."""
    rest = [c for c in _COUNTERS if c != metric]
    return [metric] + rest


#: the address column: 15 wide, 39 when some row holds an IPv6 address
ADDR_WIDTH, ADDR6_WIDTH = 15, 39


def addr_width(rows):
    """The address column width of rows (their keys)."""
    for r in rows:
        for a in (r[0] if isinstance(r[0], tuple) else (r[0],)):
            if not ipv6.is_mapped(a):
                return ADDR6_WIDTH
    return ADDR_WIDTH


def text_header(opts, argv, baseline_note, width=ADDR_WIDTH):
    sel = []
    if opts.ports is not None:
        sel.append("dstport %s" % opts.ports)
    if opts.protocols is not None:
        sel.append("prot %s" % opts.protocols)
    fields = [("Top", opts.n if opts.n > 0 else "all"), ("Threshold", "%d" % opts.threshold),
              ("Selected", ", ".join(sel) if sel else "all flows")]
    if baseline_note:
        fields.append(("Baseline", baseline_note))
    lines = report_information("Top N %s by %s" % (_NAMES[opts.key], opts.metric), fields,
                               args_text(argv)) + ["#"]
    if opts.key == "pair":
        title = "# %-*s%-*s" % (width, "src IPaddr", width + 2, "dst IPaddr")
    else:
        title = "# %-*s" % (width, "IPaddr")
    title += "".join("%-22s" % c for c in columns(opts.metric))
    lines += [title.rstrip(), "#"]
    return "\n".join(lines) + "\n"


def text_row(metric, row, mark, width=ADDR_WIDTH):
    key, value, flows, octets, packets, _ = row
    by = {"flows": flows, "octets": octets, "packets": packets, "peers": value}
    if isinstance(key, tuple):
        s = "%-*s  %-*s  " % (width, ipv6.text(key[0]), width, ipv6.text(key[1]))
    else:
        s = "%-*s  " % (width, ipv6.text(key))
    s += "".join("%-22d" % by[c] for c in columns(metric))
    return (s + mark).rstrip() + "\n"


def tsv_columns(key, metric):
    keys = ["srcaddr", "dstaddr"] if key == "pair" else \
        ["srcaddr" if key == "src" else "dstaddr"]
    return keys + [metric, "new"]


def tsv_row(row, mark):
    return "\t".join([key_text(row[0]), str(row[1]), mark]) + "\n"
