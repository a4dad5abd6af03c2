"""flow-icmpdecode's logic: the "ICMP" method of the worm articles.

NetFlow v5 keeps an ICMP flow's type and code in its destination port:
type = dstport >> 8, code = dstport & 0xff.  Three things are done with it,
each over whole batches in C:

- select ICMP flows (protocol 1) by type/code list and by exact average
  packet size (a filter program, filters/program.py + csrc/filter.c);
- list them as text or TSV with the type and code names (csrc/icmp.c);
- count, per destination host, the flows of type 3 with code 0, 1 or 3 it
  received (the aggregation kernel, core/table.py), ranked by flows, ties
  by address.

The average size rule (-s BYTES) is exact: a flow matches when it has
packets and octets == BYTES * packets.  A flow of 92 * p + 1 octets never
matches 92, a flow without packets never matches anything.

v1006 streams (IPv4 and IPv6 flows) hold ICMPv6 flows too (protocol 58,
type and code in dstport the same way): they are selected beside the ICMP
ones, named from the ICMPv6 table, and the unreachable report counts
ICMPv6 destination unreachables (type 1) of the codes that mean the same
(UNREACH6_CODES) per 128-bit destination.
"""
import re

from pyflowtools import parallel
from pyflowtools.core import icmp as _icmp
from pyflowtools.core.table import Aggregation
from pyflowtools.io import sink
from pyflowtools.report import text
from pyflowtools.filters import program
from pyflowtools.core.native import RT_V1006
from pyflowtools.util import ipv4, ipv6

PROT_ICMP = 1
PROT_ICMP6 = 58
UNREACHABLE = 3
UNREACHABLE6 = 1
#: type 3 codes counted by the unreachable report: net, host, port
UNREACH_CODES = (0, 1, 3)
UNREACH_LABELS = ("net-unreachable", "host-unreachable", "port-unreachable")
#: the ICMPv6 type 1 codes counted in the same columns: no route to the
#: destination (net), address unreachable (host), port unreachable (port)
UNREACH6_CODES = (0, 3, 4)
#: default -T: every destination that received one such flow
DEFAULT_THRESHOLD = 1

TSV = _icmp.TSV
LINE_MAX = _icmp.LINE_MAX
BUFFER_BYTES = 1 << 18
U32 = 0xFFFFFFFF

_ITEM = re.compile(r"^(\d+)(?:/(\d+))?$")


# ---- names ----------------------------------------------------------------

type_name = _icmp.type_name
code_name = _icmp.code_name
type6_name = _icmp.type6_name
code6_name = _icmp.code6_name


def name_table(v6=False):
    """[(type, type name, [(code, code name), ...])] for every named type
    (of ICMPv6 with v6), codes in order ("-" entries left out): the man
    page's tables."""
    tname, cname = (type6_name, code6_name) if v6 else (type_name, code_name)
    out = []
    for t in range(256):
        tn = tname(t)
        if tn is None:
            continue
        codes = [(c, cname(t, c)) for c in range(256)]
        out.append((t, tn, [(c, n) for c, n in codes if n not in (None, "-")]))
    return out


# ---- option values --------------------------------------------------------

def parse_types(text):
    """-t TYPE[/CODE][,TYPE[/CODE]...] -> tuple of (type, code or None).
    ValueError (one line) on anything else."""
    items = []
    for part in text.split(","):
        m = _ITEM.match(part.strip())
        if not m:
            raise ValueError("bad ICMP type/code list %r: want TYPE[/CODE][,...]" % text)
        t = int(m.group(1))
        c = None if m.group(2) is None else int(m.group(2))
        if t > 255 or (c is not None and c > 255):
            raise ValueError("bad ICMP type/code list %r: types and codes are 0..255" % text)
        items.append((t, c))
    return tuple(items)


def parse_size(text):
    """-s BYTES: a decimal number 0..4294967295."""
    s = text.strip()
    if not s.isdigit() or int(s) > U32:
        raise ValueError("bad packet size %r: want a number of bytes (0..%d)" % (text, U32))
    return int(s)


def parse_threshold(text):
    """-T N: a decimal number of flows."""
    s = text.strip()
    if not s.isdigit() or int(s) >= 1 << 64:
        raise ValueError("bad threshold %r: want a number of flows" % text)
    return int(s)


def dstport_values(types):
    """The dstport values (type << 8 | code) a -t list selects."""
    values = set()
    for t, c in types:
        if c is None:
            values.update(range(t << 8, (t << 8) + 256))
        else:
            values.add((t << 8) | c)
    return values


# ---- selection ------------------------------------------------------------

def selection(types=(), size=None, v6=False):
    """Filter tree: ICMP flows (and ICMPv6 ones with v6), of the listed
    types/codes (any when empty), with exactly `size` bytes per packet
    (any when None)."""
    prot = program.compare("prot", "eq", PROT_ICMP)
    if v6:
        prot = program.Or(prot, program.compare("prot", "eq", PROT_ICMP6))
    parts = [prot]
    if types:
        parts.append(program.in_set("dstport", dstport_values(types), nbits=1 << 16))
    if size is not None:
        # dOctets / dPkts in double precision equals an integer B exactly
        # when dOctets == B * dPkts: both are below 2**32, so a remainder r
        # moves the quotient by r / dPkts > B * 2**-32, far more than half a
        # double's unit in the last place at B (B * 2**-53).
        parts.append(program.compare("dPkts", "ne", 0))
        parts.append(program.compare_float(program.OPP, "eq", size))
    return program.And(*parts)


def is_v6(rectype):
    """Records of rectype may hold IPv6 (ICMPv6) flows: v1006."""
    return rectype == RT_V1006


def compile_selection(rectype, types=(), size=None):
    return program.compile(selection(types, size, is_v6(rectype)), rectype)


def check_rectype(rectype):
    """MissingField unless the records carry what flow-icmpdecode reads."""
    _icmp.check(rectype)


# ---- the listing ----------------------------------------------------------

class Listing:
    """ICMP flows as text lines (or TSV rows), formatted in C into one
    reusable buffer."""

    def __init__(self, rectype, tsv=False, buffer_bytes=BUFFER_BYTES):
        check_rectype(rectype)
        self.rectype = rectype
        self.opts = TSV if tsv else 0
        self._text = _icmp.Text(rectype, self.opts, buffer_bytes)

    def header(self):
        return _icmp.header(self.opts)

    def format_records(self, ptr, n):
        """Yield chunks (memoryviews of the buffer: use each at once)."""
        return self._text.records(ptr, n)

    def format(self, batch):
        batch.to_host()
        return self._text.records(batch.ptr, batch.n)


class Selected(parallel.Ordered):
    """The listing's (or -F's, with `records`) pass over the flows, split
    or not (parallel.Ordered): per batch the selected flows as lines
    formatted in C, or as host-order records."""

    def __init__(self, rectype, types=(), size=None, tsv=False, records=False):
        parallel.Ordered.__init__(self)
        self.prog = compile_selection(rectype, types, size)
        self.listing = None if records else Listing(rectype, tsv=tsv)

    def add(self, batch):
        b = self.prog.apply(batch)
        if not b.n:
            return
        if self.listing is None:
            self.emit(b.view())
        else:
            for chunk in self.listing.format(b):
                self.emit(chunk)


# ---- the unreachable report -----------------------------------------------

def unreachable_selection(v6=False):
    """Filter tree of the counted flows: ICMP type 3 codes UNREACH_CODES,
    and with v6 ICMPv6 type 1 codes UNREACH6_CODES."""
    node = program.And(program.compare("prot", "eq", PROT_ICMP),
                       program.in_set("dstport", [(UNREACHABLE << 8) | c for c in UNREACH_CODES],
                                      nbits=1 << 16))
    if not v6:
        return node
    return program.Or(node, program.And(
        program.compare("prot", "eq", PROT_ICMP6),
        program.in_set("dstport", [(UNREACHABLE6 << 8) | c for c in UNREACH6_CODES],
                       nbits=1 << 16)))


class Unreachable:
    """Per destination host: flows of type 3, code 0, 1 or 3 received (and,
    in v1006, ICMPv6 type 1 codes 0, 3, 4, counted in the same columns per
    128-bit destination)."""

    def __init__(self, rectype):
        check_rectype(rectype)
        self.v6 = is_v6(rectype)
        self.prog = program.compile(unreachable_selection(self.v6), rectype)
        # on v1006 dstaddr is the 128-bit key field (table.address_fields)
        self.hosts = Aggregation(["dstaddr"], rectype=rectype)
        self.codes = Aggregation(["dstaddr", "prot", "dstport"], rectype=rectype)

    def add(self, batch):
        """Count a batch (its records are compacted to the selected ones)."""
        self.prog.apply(batch)
        if batch.n:
            self.hosts.add(batch)
            self.codes.add(batch)

    def partial(self):
        """The counts as bytes, for a split run (pyflowtools/parallel)."""
        from pyflowtools.core import partial
        return partial.export_agg(self.hosts) + partial.export_agg(self.codes)

    def merge(self, parts):
        """Add another Unreachable's partial()."""
        from pyflowtools.core import partial
        partial.merge_agg(self.hosts, parts[:1])
        partial.merge_agg(self.codes, parts[1:])

    def rows(self, threshold=DEFAULT_THRESHOLD):
        """[(address, flows, net, host, port)]: flows descending, ties by
        address ascending, only flows >= threshold."""
        out = []
        for r in self.hosts.ranked("flows", min_value=threshold):
            key, addr = r.key, r.key[0]
            per = []
            for c, c6 in zip(UNREACH_CODES, UNREACH6_CODES):
                s = self.codes.find(*key, PROT_ICMP, (UNREACHABLE << 8) | c)
                n = 0 if s is None else s.flows
                if self.v6:
                    s = self.codes.find(*key, PROT_ICMP6, (UNREACHABLE6 << 8) | c6)
                    n += 0 if s is None else s.flows
                per.append(n)
            out.append((addr, r.flows) + tuple(per))
        return out


def report_header(threshold, args=None, v6=False):
    """The `#` lines that open the text report (args: the command line)."""
    head = text.report_information(
        "ICMP unreachable (type 3, codes 0 1 3) flows by destination" if not v6 else
        "ICMP unreachable (type 3, codes 0 1 3) and ICMPv6 unreachable (type 1, codes 0 3 4)"
        " flows by destination",
        [("Sorting", "Descending flows, then address"), ("Threshold", "%d flows" % threshold)],
        None if args is None else " ".join(args))
    head += [
        "#",
        "# IPaddr         flows                 net-unreach           host-unreach"
        "          port-unreach",
        "#",
    ]
    return "\n".join(head) + "\n"


def tsv_columns():
    return ("host", "flows") + UNREACH_LABELS


def tsv_row(row, v6=False):
    addr, flows, net, host, port = row
    return (ipv6.text if v6 else ipv4.text)(addr), flows, net, host, port


def text_row(row, v6=False):
    """One host: the address padded to 15 (an IPv6 one, up to 39
    characters, pushes the rest of the row), then the counts."""
    addr = (ipv6.text if v6 else ipv4.text)(row[0])
    return "%-15s  %-20d  %-20d  %-20d  %d\n" % ((addr,) + tuple(row[1:]))


def write_report(out, rows, threshold, tsv=False, args=None, v6=False):
    """The unreachable report as text (flow-stat's layout: a `#` block,
    then one row per host) or TSV, on the binary file `out`; v6: the
    addresses are 128-bit (Unreachable.v6)."""
    if tsv:
        with sink.TsvSink(out, tsv_columns()) as t:
            for r in rows:
                t.row(*tsv_row(r, v6))
        return
    with sink.TextSink(out) as t:
        t.text(report_header(threshold, args, v6))
        for r in rows:
            t.text(text_row(r, v6))
