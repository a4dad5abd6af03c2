"""flow-report's configuration language, stat.cfg (commands.md 7, 11.2, 11.9).

`load(path, variables)` / `parse(text, filename, variables)` read a whole
file into a Config of named reports (`stat-report`) and definitions
(`stat-definition`).  Nothing here touches records: flowreport.py runs a
definition over batches.

Line rules: `@NAME`, `@{NAME}`, `@{NAME:-default}` are replaced first (the
one expander, filters/nfilter.expand); a line whose first word starts with
`#` is a comment; words are separated by blanks; keywords, type, field and
option names, report and definition names are case-insensitive.

Parser states (11.2): top, report, output, definition.  As in the
reference, report- and definition-level keywords are also accepted inside
an output block, and output keywords inside a definition (they change the
last output of the last report).

Every error is ConfigError("<file> line N: message"); the command adds the
reference's `ftstat_load(): failed` line.
"""
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.filters import nfilter
from pyflowtools.report import symbols
from pyflowtools.util import files, numbers, paths

DEFAULT_DEFINITION = "default"
LOAD_FAILED = "ftstat_load(): failed"


class ConfigError(FlowToolsError):
    """A stat.cfg that cannot be loaded."""


class UnknownDefinition(FlowToolsError):
    """-S names no stat-definition."""


# ---- fields (11.2) -----------------------------------------------------------

#: every field name, in the order of the `# fields:` header line
FIELD_ORDER = ("key", "key1", "key2", "key3", "key4", "key5", "key6", "flows", "octets",
               "packets", "duration", "avg-pps", "min-pps", "max-pps", "avg-bps", "min-bps",
               "max-bps", "frecs", "other")
#: every column, in the order of the `# recn:` line (bps before pps there)
COLUMN_ORDER = ("index", "first", "last", "key", "key1", "key2", "key3", "key4", "key5",
                "key6", "count", "flows", "octets", "packets", "duration", "avg-bps",
                "min-bps", "max-bps", "avg-pps", "min-pps", "max-pps", "frecs")
PPS = ("avg-pps", "min-pps", "max-pps")
BPS = ("avg-bps", "min-bps", "max-bps")
RATES = PPS + BPS
KEYS = ("key", "key1", "key2", "key3", "key4", "key5", "key6")
FIELD_NAMES = frozenset(("index", "first", "last", "count", "other", "flows", "octets",
                         "packets", "duration", "frecs") + KEYS + RATES)
#: names of `fields` lines standing for several fields
FIELD_GROUPS = {"pps": PPS, "bps": BPS,
                "generic": ("index", "first", "last", "key", "flows", "octets", "packets",
                            "duration", "other", "frecs") + RATES}
#: the fields a `sort` line may name
SORT_FIELDS = frozenset(KEYS + ("flows", "octets", "packets", "duration", "other", "count")
                        + RATES)
#: never in a new output's columns
NOT_DEFAULT = frozenset(("index", "first", "last", "frecs") + RATES)

#: options in the order of the `# options:` header line
OPTION_ORDER = ("percent-total", "names", "header", "xheader", "totals")
FORMATS = ("ascii", "binary")
TIMES = ("now", "start", "end", "mid")
ADDRESS_FORMATS = ("address", "prefix-len", "prefix-mask")


# ---- report types (11.4) -----------------------------------------------------

class Key:
    """One key of a report type: its `# recn:` title, the record field (or
    the engine's virtual field) it is made of, how it prints, its symbol
    file for +names, and for addresses which address format applies."""

    __slots__ = ("title", "field", "kind", "sym", "addr")

    def __init__(self, title, field, kind="dec", sym=None, addr=None):
        self.title, self.field, self.kind, self.sym, self.addr = title, field, kind, sym, addr

    def __repr__(self):
        return "Key(%r, %r)" % (self.title, self.field)


_K = {
    "srcaddr": Key("ip-source-address", "srcaddr", "ip", None, "src"),
    "dstaddr": Key("ip-destination-address", "dstaddr", "ip", None, "dst"),
    "srcport": Key("ip-source-port", "srcport", "sym", symbols.PORT),
    "dstport": Key("ip-destination-port", "dstport", "sym", symbols.PORT),
    "prot": Key("ip-protocol", "prot", "sym", symbols.PROT),
    "tos": Key("ip-tos", "tos"),
    "input": Key("input-interface", "input"),
    "output": Key("output-interface", "output"),
    "src_as": Key("source-as", "src_as", "sym", symbols.AS),
    "dst_as": Key("destination-as", "dst_as", "sym", symbols.AS),
    "src_tag": Key("source-tag", "src_tag", "sym", symbols.TAG),
    "dst_tag": Key("destination-tag", "dst_tag", "sym", symbols.TAG),
}


class ReportType:
    """A report type: `table` "B" (fixed table: ascending keys unsorted,
    keys without flows not shown), "H" (hash: first appearance), or the
    special "summary-detail", "summary-counters", "linear"; its keys; `each`
    (every record counted under each key field: ip-address, ip-port);
    `count` (the distinct peer field of 66/67, or None); which address
    formats show in the header (`src`, `dst`)."""

    def __init__(self, number, name, table, keys, each=False, count=None, src=False,
                 dst=False):
        self.number, self.name, self.table, self.keys = number, name, table, tuple(keys)
        self.each, self.count, self.src, self.dst = each, count, src, dst
        self.special = table not in ("B", "H")

    def __repr__(self):
        return "ReportType(%r)" % self.name

    @property
    def multi(self):
        return len(self.keys) > 1

    def key_fields(self):
        """The field names `key`, or `key1`..`keyN`."""
        if not self.keys:
            return ()
        if len(self.keys) == 1:
            return ("key",)
        return tuple("key%d" % (i + 1) for i in range(len(self.keys)))

    def allowed_fields(self):
        if self.table == "summary-detail":
            return frozenset(("other",) + RATES)
        if self.table == "summary-counters":
            return frozenset(RATES)
        if self.table == "linear":
            return frozenset(("key", "flows", "octets", "packets"))
        f = set(self.key_fields()) | {"flows", "octets", "packets", "duration", "other",
                                      "index", "first", "last", "frecs"} | set(RATES)
        if self.count:
            f.add("count")
        return frozenset(f)

    def default_fields(self):
        return frozenset(self.allowed_fields() - NOT_DEFAULT)

    def allowed_options(self):
        if self.table == "summary-counters":
            return frozenset(("header", "xheader", "totals"))
        return frozenset(OPTION_ORDER)

    def record_fields(self, src_fmt="address", dst_fmt="address"):
        """The record fields a flow must have for this report."""
        need = {"unix_secs", "dPkts", "dOctets", "First", "Last"}
        for k in self.keys:
            for f in (k.field if isinstance(k.field, tuple) else (k.field,)):
                need.update(_NEEDS.get(f, (f,)))
        if self.count:
            need.add(self.count)
        if self.table == "linear":
            need.update(("unix_nsecs", "sysUpTime"))
        if src_fmt != "address" and any(k.addr == "src" for k in self.keys):
            need.add("src_mask")
        if dst_fmt != "address" and any(k.addr == "dst" for k in self.keys):
            need.add("dst_mask")
        return need


_NEEDS = {"pktsize": ("dOctets", "dPkts"), "bps": ("dOctets", "First", "Last"),
          "pps": ("dPkts", "First", "Last"), "duration": ("First", "Last"),
          "dsttype": ("dstaddr",), "unix-secs": ()}


def _keys(*names):
    return [_K[n] if isinstance(n, str) else n for n in names]


def _types():
    K = _keys
    sa, da = "srcaddr", "dstaddr"
    types = [
        ("summary-detail", "summary-detail", []),
        ("summary-counters", "summary-counters", []),
        ("packet-size", "H", [Key("packet size/flow", "pktsize")]),
        ("octets", "H", [Key("octets/flow", "dOctets")]),
        ("packets", "H", [Key("packets/flow", "dPkts")]),
        ("ip-source-port", "B", K("srcport")),
        ("ip-destination-port", "B", K("dstport")),
        ("ip-source/destination-port", "H", K("srcport", "dstport")),
        ("bps", "H", [Key("bps/flow", "bps")]),
        ("pps", "H", [Key("pps/flow", "pps")]),
        ("ip-destination-address-type", "B",
         [Key("ip-destination-address-type", "dsttype", "sym", symbols.TYPE)]),
        ("ip-protocol", "B", K("prot")),
        ("ip-tos", "B", K("tos")),
        ("ip-next-hop-address", "H", [Key("ip-next-hop-address", "nexthop", "ip")]),
        ("ip-source-address", "H", K(sa)),
        ("ip-destination-address", "H", K(da)),
        ("ip-source/destination-address", "H", K(sa, da)),
        ("ip-exporter-address", "H", [Key("ip-exporter-address", "exaddr", "ip")]),
        ("input-interface", "B", K("input")),
        ("output-interface", "B", K("output")),
        ("input/output-interface", "H", K("input", "output")),
        ("source-as", "B", K("src_as")),
        ("destination-as", "B", K("dst_as")),
        ("source/destination-as", "H",
         K("src_as", Key("destination-AS", "dst_as", "sym", symbols.AS))),
        ("ip-source-address/source-as", "H", K(sa, "src_as")),
        # 26: the reference titles it wrongly and prints the address as a
        # source address (its prefix form follows the source format)
        ("ip-destination-address/source-as", "H",
         [Key("ip-source-address", "dstaddr", "ip", None, "dst-as-src"),
          Key("destination-as", "src_as", "sym", symbols.AS)]),
        ("ip-source-address/destination-as", "H", K(sa, "dst_as")),
        ("ip-destination-address/destination-as", "H",
         K(da, Key("source-as", "dst_as", "sym", symbols.AS))),
        ("ip-source/destination-address/source-as", "H", K(sa, da, "src_as")),
        ("ip-source/destination-address/destination-as", "H", K(sa, da, "dst_as")),
        ("ip-source/destination-address/source/destination-as", "H",
         K(sa, da, "src_as", "dst_as")),
        ("ip-source-address/input-interface", "H", K(sa, "input")),
        ("ip-destination-address/input-interface", "H", K(da, "input")),
        ("ip-source-address/output-interface", "H", K(sa, "output")),
        ("ip-destination-address/output-interface", "H", K(da, "output")),
        ("ip-source/destination-address/input-interface", "H", K(sa, da, "input")),
        ("ip-source/destination-address/output-interface", "H", K(sa, da, "output")),
        ("ip-source/destination-address/input/output-interface", "H",
         K(sa, da, "input", "output")),
        ("input-interface/source-as", "H", K("input", "src_as")),
        ("input-interface/destination-as", "H", K("input", "dst_as")),
        ("output-interface/source-as", "H", K("output", "src_as")),
        ("output-interface/destination-as", "H", K("output", "dst_as")),
        ("input-interface/source/destination-as", "H", K("input", "src_as", "dst_as")),
        ("output-interface/source/destination-as", "H", K("output", "src_as", "dst_as")),
        ("input/output-interface/source/destination-as", "H",
         K("input", "output", "src_as", "dst_as")),
        ("engine-id", "B", [Key("engine-id", "engine_id")]),
        ("engine-type", "B", [Key("engine-type", "engine_type")]),
        ("source-tag", "H", K("src_tag")),
        ("destination-tag", "H", K("dst_tag")),
        ("source/destination-tag", "H", K("src_tag", "dst_tag")),
        ("ip-source-address/ip-source-port", "H", K(sa, "srcport")),
        ("ip-source-address/ip-destination-port", "H", K(sa, "dstport")),
        ("ip-destination-address/ip-source-port", "H", K(da, "srcport")),
        ("ip-destination-address/ip-destination-port", "H", K(da, "dstport")),
        ("ip-source-address/ip-source/destination-port", "H", K(sa, "srcport", "dstport")),
        ("ip-destination-address/ip-source/destination-port", "H",
         K(da, "srcport", "dstport")),
        ("ip-source/destination-address/ip-source-port", "H", K(sa, da, "srcport")),
        ("ip-source/destination-address/ip-destination-port", "H", K(sa, da, "dstport")),
        ("ip-source/destination-address/ip-source/destination-port", "H",
         K(sa, da, "srcport", "dstport")),
        ("ip-source-address/input/output-interface", "H", K(sa, "input", "output")),
        ("ip-destination-address/input/output-interface", "H", K(da, "input", "output")),
        ("ip-source-address/source/destination-as", "H", K(sa, "src_as", "dst_as")),
        ("ip-destination-address/source/destination-as", "H", K(da, "src_as", "dst_as")),
        ("ip-address", "H", [Key("ip-address", ("srcaddr", "dstaddr"), "ip")]),
        ("ip-port", "B", [Key("ip-port", ("srcport", "dstport"), "sym", symbols.PORT)]),
        ("ip-source-address-destination-count", "H", K(sa)),
        ("ip-destination-address-source-count", "H", K(da)),
        ("ip-source/destination-address/ip-protocol/ip-tos/ip-source/destination-port", "H",
         K(sa, da, "srcport", "dstport", "prot", "tos")),
        ("ip-source/destination-address/ip-protocol/ip-tos", "H", K(sa, da, "prot", "tos")),
        ("ip-source-address/source-tag", "H", K(sa, "src_tag")),
        ("ip-source-address/destination-tag", "H", K(sa, "dst_tag")),
        ("ip-destination-address/source-tag", "H", K(da, "src_tag")),
        ("ip-destination-address/destination-tag", "H", K(da, "dst_tag")),
        ("ip-source/destination-address/source/destination-tag", "H",
         K(sa, da, "src_tag", "dst_tag")),
        ("linear-interpolated-flows-octets-packets", "linear", [Key("unix-secs", "unix-secs")]),
        ("first", "H", [Key("First", "First")]),
        ("last", "H", [Key("Last", "Last")]),
        ("duration", "H", [Key("Duration", "duration")]),
    ]
    out = {}
    for number, (name, table, keys) in enumerate(types, 1):
        src = any(k.addr == "src" for k in keys) or name in (
            "ip-address", "ip-source-address-destination-count",
            "ip-destination-address-source-count")
        dst = any(k.addr in ("dst", "dst-as-src") for k in keys) or name in (
            "ip-address", "ip-source-address-destination-count",
            "ip-destination-address-source-count", "ip-destination-address-type")
        count = {"ip-source-address-destination-count": "dstaddr",
                 "ip-destination-address-source-count": "srcaddr"}.get(name)
        out[name] = ReportType(number, name, table, keys, each=name in ("ip-address", "ip-port"),
                               count=count, src=src, dst=dst)
    return out


TYPES = _types()
#: the 78 type names in `-h -h` order
TYPE_NAMES = tuple(TYPES)
COUNT_TITLES = {"dstaddr": "ip-destination-address-count", "srcaddr": "ip-source-address-count"}


# ---- the model ---------------------------------------------------------------

class Output:
    """One `output` block of a report."""

    def __init__(self, rtype, lineno):
        self.rtype = rtype
        self.lineno = lineno
        self.format = "ascii"
        self.sort = None              # (descending, field) or None
        self.records = 0
        self.tally = 0
        self.fields = set(rtype.default_fields())
        self.options = set()
        self.path = None
        self.time = "mid"

    def shows_rates(self):
        return bool(self.fields & set(RATES)) or (self.sort is not None
                                                   and self.sort[1] in RATES)


class Report:
    """A `stat-report` block."""

    def __init__(self, name, lineno):
        self.name, self.lineno = name, lineno
        self.type = None
        self.filter = None
        self.scale = 0
        self.tag_mask = None          # (src mask, dst mask)
        self.src_fmt = "address"
        self.dst_fmt = "address"
        self.outputs = []

    def rates(self):
        """Whether the report computes pps/bps (some output shows or sorts
        on them)."""
        return any(o.shows_rates() for o in self.outputs)

    def record_fields(self):
        need = self.type.record_fields(self.src_fmt, self.dst_fmt) if self.type else set()
        if self.tag_mask is not None:
            need.update(("src_tag", "dst_tag"))
        return need


class Definition:
    """A `stat-definition` block: reports (names until resolved), and the
    pre-processing of every flow."""

    def __init__(self, name, lineno):
        self.name, self.lineno = name, lineno
        self.report_names = []        # [(name, lineno)]
        self.reports = []
        self.filter = None
        self.tag = None
        self.mask = None
        self.time_series = 0


class Config:
    def __init__(self, filename):
        self.filename = filename
        self.reports = {}
        self.definitions = {}
        self.filter_path = None
        self.tag_path = None
        self.mask_path = None
        self.filters = None           # nfilter.Config, once a filter line loaded it
        self.tag_config = None        # filters.tagcfg.TagConfig, when a line needs it
        self.mask_config = None       # filters.maskcfg.MaskConfig

    def definition(self, name):
        d = self.definitions.get(name.lower())
        if d is None:
            raise UnknownDefinition("ftstat_find_def(%s): failed" % name)
        return d

    def filter_program(self, name, rectype):
        """The compiled filter definition `name` for records of rectype."""
        return self.filters.program(name, rectype)


# ---- the parser --------------------------------------------------------------

TOP, REPORT, OUTPUT, DEFINITION = "top", "report", "output", "definition"


def parse_binding(text):
    """-v NAME=VALUE -> (NAME, VALUE); `ftvar_pset(X): failed` otherwise."""
    name, eq, value = text.partition("=")
    if not eq or not name:
        raise FlowToolsError("ftvar_pset(%s): failed" % text)
    return name, value


def _cnum(text):
    """A C number (strtoul base 0)."""
    return numbers.strtoul(text)[0]


def _atoi(text):
    return numbers.atoi(text)


def _load_config(kind, path, variables):
    """The TagConfig or MaskConfig of a tag.cfg / mask.cfg (flow-tag's and
    flow-mask's languages: filters/tagcfg.py, maskcfg.py)."""
    if kind == "tag":
        from pyflowtools.filters import tagcfg
        return tagcfg.load(path, variables)
    from pyflowtools.filters import maskcfg
    return maskcfg.load(path, variables)


class _Parser:
    def __init__(self, filename, variables, warn):
        self.cfg = Config(filename)
        self.filename = filename
        self.vars = dict(variables or {})
        self.warn = warn or (lambda m: None)
        self.lineno = 0
        self.state = TOP
        self.report = None
        self.output = None
        self.defn = None

    def error(self, msg, lineno=None):
        raise ConfigError("%s line %d: %s" % (self.filename, lineno or self.lineno, msg))

    def run(self, text):
        for self.lineno, raw in enumerate(text.split("\n"), 1):
            line = nfilter.expand(raw, self.vars)
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            kw = words[0].lower()
            handler = self.KEYWORDS.get(kw)
            if handler is None:
                self.error('Unexpected "%s".' % words[0])
            handler(self, words, line)
        self.resolve()
        return self.cfg

    def expect(self, words, n, missing):
        if len(words) < n:
            self.error(missing)
        if len(words) > n:
            self.error('Unexpected "%s".' % words[n])
        return words[n - 1] if n > 1 else None

    @staticmethod
    def rest(line, words):
        """The text after the keyword, blanks around it removed."""
        return line.strip()[len(words[0]):].strip()

    # ---- top level
    def kw_include(self, words, line, attr, what):
        path = self.expect(words, 2, "Expecting pathname.")
        if getattr(self.cfg, attr) is not None:
            self.error("%s pathname previously specified." % what)
        setattr(self.cfg, attr, path)

    def kw_include_filter(self, words, line):
        self.kw_include(words, line, "filter_path", "Filter")

    def kw_include_tag(self, words, line):
        self.kw_include(words, line, "tag_path", "Tag")

    def kw_include_mask(self, words, line):
        self.kw_include(words, line, "mask_path", "Mask")

    def kw_stat_report(self, words, line):
        name = self.expect(words, 2, "Expecting name.")
        if name.lower() in self.cfg.reports:
            self.error("Name (%s) previously defined." % name)
        self.report = self.cfg.reports[name.lower()] = Report(name, self.lineno)
        self.output = None
        self.state = REPORT

    def kw_stat_definition(self, words, line):
        name = self.expect(words, 2, "Expecting name.")
        if name.lower() in self.cfg.definitions:
            self.error("Name (%s) previously defined." % name)
        self.defn = self.cfg.definitions[name.lower()] = Definition(name, self.lineno)
        self.state = DEFINITION

    # ---- report level (also inside output blocks)
    def in_report(self):
        if self.state not in (REPORT, OUTPUT) or self.report is None:
            self.error("Not in report mode.")
        return self.report

    def kw_type(self, words, line):
        r = self.in_report()
        name = self.expect(words, 2, "Expecting type.")
        if r.type is not None:
            self.error("Type previously defined.")
        t = TYPES.get(name.lower())
        if t is None:
            self.error("Unrecognized type.")
        r.type = t

    def kw_filter(self, words, line):
        if self.state == DEFINITION:
            return self.def_filter(words, line)
        r = self.in_report()
        name = self.expect(words, 2, "Expecting filter name.")
        if r.filter is not None:
            self.error("Filter previously defined for report .")
        self.find_filter(name)
        r.filter = name

    def kw_scale(self, words, line):
        r = self.in_report()
        r.scale = _atoi(self.expect(words, 2, "Expecting scale."))

    def kw_tag_mask(self, words, line):
        r = self.in_report()
        if len(words) < 3:
            self.error("Expecting tag mask.")
        self.expect(words, 3, "Expecting tag mask.")
        r.tag_mask = (_cnum(words[1]) & 0xFFFFFFFF, _cnum(words[2]) & 0xFFFFFFFF)

    def kw_addr_format(self, words, line, attr):
        r = self.in_report()
        fmt = self.expect(words, 2, "Expecting address format.").lower()
        if fmt not in ADDRESS_FORMATS:
            self.error("Invalid address format.")
        setattr(r, attr, fmt)

    def kw_src_format(self, words, line):
        self.kw_addr_format(words, line, "src_fmt")

    def kw_dst_format(self, words, line):
        self.kw_addr_format(words, line, "dst_fmt")

    def kw_output(self, words, line):
        r = self.in_report()
        self.expect(words, 1, "")
        if r.type is None:
            # the reference crashes here (SIGSEGV); say why instead
            self.error("Type must be set before output.")
        self.output = Output(r.type, self.lineno)
        r.outputs.append(self.output)
        self.state = OUTPUT

    # ---- output level (also inside definitions)
    def in_output(self):
        if self.state not in (OUTPUT, DEFINITION) or self.output is None:
            self.error("Not in report output.")
        return self.output

    def kw_format(self, words, line):
        o = self.in_output()
        fmt = self.expect(words, 2, "Expecting format.").lower()
        if fmt not in FORMATS:
            self.error("Unrecognized format.")
        o.format = fmt

    def kw_sort(self, words, line):
        o = self.in_output()
        word = self.expect(words, 2, "Expecting sort field.")
        if word[0] not in "+-":
            self.error("Expecting + or -.")
        name = word[1:].lower()
        if not name:
            o.sort = None
            return
        if name not in SORT_FIELDS:
            self.error("Unrecognized field.")
        if name not in o.rtype.allowed_fields():
            self.error('field "%s" selected not available for report.' % word[1:])
        o.sort = (word[0] == "+", name)

    def kw_records(self, words, line):
        o = self.in_output()
        o.records = _cnum(self.expect(words, 2, "Expecting num records.")) & 0xFFFFFFFFFFFFFFFF

    def kw_tally(self, words, line):
        o = self.in_output()
        o.tally = max(_cnum(self.expect(words, 2, "Expecting num tally.")), 0)

    @staticmethod
    def items(text):
        return [w for w in text.replace(",", " ").split() if w]

    def kw_fields(self, words, line):
        o = self.in_output()
        items = self.items(self.rest(line, words))
        if not items:
            self.error("Expecting display fields.")
        allowed = o.rtype.allowed_fields()
        for item in items:
            if item[0] not in "+-":
                self.error("Expecting +field or -field.")
            name = item[1:].lower()
            if not name:
                continue
            names = FIELD_GROUPS.get(name, (name,))
            if name not in FIELD_GROUPS and name not in FIELD_NAMES:
                self.error("Unrecognized field.")
            if any(n not in allowed for n in names):
                self.error('field "%s" selected not available for report.' % item[1:])
            if item[0] == "+":
                o.fields.update(names)
            else:
                o.fields.difference_update(names)

    def kw_options(self, words, line):
        o = self.in_output()
        items = self.items(self.rest(line, words))
        if not items:
            self.error("Expecting options.")
        allowed = o.rtype.allowed_options()
        for item in items:
            if item[0] not in "+-":
                self.error("Expecting +option or -option.")
            name = item[1:].lower()
            if not name:
                continue
            if name not in OPTION_ORDER:
                self.error("Unrecognized option.")
            if name not in allowed:
                self.error("option selected not available for report.")
            if item[0] == "+":
                o.options.add(name)
            else:
                o.options.discard(name)

    def kw_path(self, words, line):
        o = self.in_output()
        rest = self.rest(line, words)
        if not rest:
            self.error("Expecting pathname.")
        o.path = rest

    def kw_time(self, words, line):
        o = self.in_output()
        t = self.expect(words, 2, "Expecting time specifier.").lower()
        if t not in TIMES:
            self.error("Invalid time specifier.")
        o.time = t

    # ---- definition level (also inside output blocks)
    def in_definition(self):
        if self.state not in (DEFINITION, OUTPUT) or self.defn is None:
            self.error("Not in definition mode.")
        return self.defn

    def kw_report(self, words, line):
        d = self.in_definition()
        name = self.expect(words, 2, "Expecting report name.")
        if any(n.lower() == name.lower() for n, _ in d.report_names):
            self.error("Duplicate report in definition.")
        d.report_names.append((name, self.lineno))

    def def_filter(self, words, line):
        d = self.in_definition()
        name = self.expect(words, 2, "Expecting filter name.")
        if d.filter is not None:
            self.error("Filter previously defined for definition.")
        self.find_filter(name)
        d.filter = name

    def find_filter(self, name):
        if self.cfg.filters is None:
            path = self.cfg.filter_path or paths.site_file(paths.CFG, "filter.cfg")
            try:
                self.cfg.filters = nfilter.load(path, self.vars, self.warn)
            except FlowToolsError as e:
                self.warn(str(e))
                self.error("Filters not loaded.")
        try:
            self.cfg.filters.definition(name)
        except FlowToolsError:
            self.error("Filter definition not found.")

    def load_config(self, kind, what):
        """The tag or mask config, loaded the first time a line needs it;
        its errors are reported, then `<file> line N: Tags not loaded.`"""
        from pyflowtools.filters.cfglines import ConfigError
        attr = kind + "_config"
        conf = getattr(self.cfg, attr)
        if conf is None:
            path = getattr(self.cfg, kind + "_path") or paths.site_file(paths.CFG,
                                                                         kind + ".cfg")
            try:
                conf = _load_config(kind, path, self.vars)
            except ConfigError as e:
                for text in str(e).split("\n"):
                    self.warn(text)
                self.error("%s not loaded." % what)
            setattr(self.cfg, attr, conf)
        return conf

    def kw_tag(self, words, line):
        d = self.in_definition()
        name = self.expect(words, 2, "Expecting tag name.")
        if d.tag is not None:
            self.error("Tag previously defined for definition.")
        if name.lower() not in self.load_config("tag", "Tags").definitions:
            self.error("Tag definition not found.")
        d.tag = name

    def kw_mask(self, words, line):
        d = self.in_definition()
        name = self.expect(words, 2, "Expecting mask name.")
        # the reference's bug: a mask after a tag line reports this too
        if d.mask is not None or d.tag is not None:
            self.error("Mask previously defined for definition.")
        if name.lower() not in self.load_config("mask", "Masks").definitions:
            self.error("Mask definition not found.")
        d.mask = name

    def kw_time_series(self, words, line):
        d = self.in_definition()
        secs = self.expect(words, 2, "Expecting time.")
        if d.time_series:
            self.error("Time previously defined for definition.")
        d.time_series = max(_atoi(secs), 0)

    KEYWORDS = {
        "include-filter": kw_include_filter, "include-tag": kw_include_tag,
        "include-mask": kw_include_mask, "stat-report": kw_stat_report,
        "stat-definition": kw_stat_definition, "type": kw_type, "filter": kw_filter,
        "scale": kw_scale, "tag-mask": kw_tag_mask,
        "ip-source-address-format": kw_src_format,
        "ip-destination-address-format": kw_dst_format, "output": kw_output,
        "format": kw_format, "sort": kw_sort, "records": kw_records, "tally": kw_tally,
        "fields": kw_fields, "options": kw_options, "path": kw_path, "time": kw_time,
        "report": kw_report, "tag": kw_tag, "mask": kw_mask, "time-series": kw_time_series,
    }

    def resolve(self):
        """Bind definition report lines to reports (they may come later)."""
        for d in self.cfg.definitions.values():
            for name, _lineno in d.report_names:
                r = self.cfg.reports.get(name.lower())
                if r is None:
                    raise ConfigError('Unable to resolve report "%s" in stat-definition "%s".'
                                      "\nresolve_reports(): failed" % (name, d.name))
                d.reports.append(r)


def parse(text, filename="<config>", variables=None, warn=None):
    """Config from the text of a stat.cfg."""
    return _Parser(filename, variables, warn).run(text)


def default_path():
    """The stat.cfg used without -s: the site's, else the shipped one."""
    return paths.site_file(paths.CFG, "stat.cfg")


def load(path=None, variables=None, warn=None):
    """Config from a file (default: default_path()).  FlowToolsError
    `open(FILE): reason` when it cannot be read, ConfigError when it is
    malformed."""
    path = default_path() if path is None else path
    try:
        text = files.read_text(path)
    except OSError as e:
        raise ConfigError("open(%s): %s" % (path, files.reason(e))) from None
    return parse(text, path, variables, warn)
