"""flow-tag's configuration language, tag.cfg (commands.md 8.14, 14).

API (flow-tag; flow-report's `tag NAME`; flow-capture -t/-T):

    config = tagcfg.load(path=None, variables=None)   # -> TagConfig
    tagger = config.definition("NAME")                # -> Tagger
    tagger.check(rectype)          # FlowToolsError unless v5, v6, v7, v1005 or v1006
    out = tagger.apply(batch)      # -> Batch of v1005 records (v1006: v1006), tags set

`load` raises ConfigError (str: `FILE line N: message` or `open(FILE):
reason`; `.load_failed`: "fttag_load(): failed"); `definition` raises
UnknownDefinition ("fttag_def_find(): failed").  `apply` converts v5, v6
and v7 batches to v1005 first (tags 0; the result is a batch owned by the
Tagger, refilled by the next call) and tags v1005 batches in place (their
tags are kept and modified).  One C call per batch; nothing runs per
record in Python.

Syntax (line rules: filters/cfglines.py):

    tag-action NAME
      type TYPE
      match VALUE set-src|set-dst|or-src|or-dst TAG     (set-source ...)
    tag-definition NAME
      term
        exporter A.B.C.D
        input-filter LIST          output-filter LIST
        action NAME

Per match value, one `set` or several `or`s per side (`Only one set per
source/destination per match.`); lines for the same value merge.
Evaluation per record: terms in order, a term runs when its filters pass;
its actions run in order; each lookup that hits applies its value's
set/or.  Prefix types use the longest match.  `prefix`, `as`, `ip`,
`tcp-port`, `udp-port` and `interface` look both fields up, source first,
and each hit applies all of its entry (set-dst included).
"""
from pyflowtools.core import tag as _c
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.core.native import field_id, rectype as _rectype
from pyflowtools.core.xlate import Converter
from pyflowtools.filters import lists
from pyflowtools.filters.cfglines import ConfigError, TermParser, UnknownDefinition, atoi, read
from pyflowtools.filters.nfilter import parse_prefix, prefix_ranges
from pyflowtools.util import ipv4, paths

__all__ = ["load", "parse", "TagConfig", "Tagger", "ConfigError", "UnknownDefinition",
           "LOAD_FAILED", "DEF_FAILED", "MISSING_FIELDS", "TYPES"]

LOAD_FAILED = "fttag_load(): failed"
DEF_FAILED = "fttag_def_find(): failed"
MISSING_FIELDS = "Flow record missing required field for tagging."

V1005, V1006 = _rectype(1005), _rectype(1006)
#: record types flow-tag accepts (every v5 field); v1006 (IPv4 and IPv6
#: flows) is tagged as it is, its address lookups hitting IPv4 addresses only
TAGGABLE = frozenset(_rectype(v) for v in (5, 6, 7, 1005, 1006))

# type -> (kind of value, fields looked up in order, protocol or 0)
TYPES = {}


def _type(names, kind, fields, prot=0):
    for n in names.split():
        TYPES[n] = (kind, fields, prot)


_type("src-prefix source-prefix", "prefix", ("srcaddr",))
_type("dst-prefix destination-prefix", "prefix", ("dstaddr",))
_type("prefix", "prefix", ("srcaddr", "dstaddr"))
_type("next-hop", "addr", ("nexthop",))
_type("exporter", "addr", ("exaddr",))
_type("src-ip source-ip-address", "addr", ("srcaddr",))
_type("dst-ip destination-ip-address", "addr", ("dstaddr",))
_type("ip", "addr", ("srcaddr", "dstaddr"))
_type("src-as source-as", "u16", ("src_as",))
_type("dst-as destination-as", "u16", ("dst_as",))
_type("as", "u16", ("src_as", "dst_as"))
_type("tcp-src-port tcp-source-port", "u16", ("srcport",), 6)
_type("tcp-dst-port tcp-destination-port", "u16", ("dstport",), 6)
_type("tcp-port", "u16", ("srcport", "dstport"), 6)
_type("udp-src-port udp-source-port", "u16", ("srcport",), 17)
_type("udp-dst-port udp-destination-port", "u16", ("dstport",), 17)
_type("udp-port", "u16", ("srcport", "dstport"), 17)
_type("tos", "u8", ("tos",))
_type("any", "any", ())
_type("input-interface", "u16", ("input",))
_type("output-interface", "u16", ("output",))
_type("interface", "u16", ("input", "output"))

SET, OR = 1, 2
_ACTIONS = {"set-src": (0, SET), "set-source": (0, SET), "set-dst": (1, SET),
            "set-destination": (1, SET), "or-src": (0, OR), "or-source": (0, OR),
            "or-dst": (1, OR), "or-destination": (1, OR)}
_ALL = 0xFFFFFFFF


class Action:
    """A tag-action: `entries` {key: [[mode, value] (source), [mode, value]
    (destination)]}, key an int, (network, length) for prefixes, 0 for any."""

    def __init__(self, name):
        self.name = name
        self.type = None
        self.entries = {}

    def sets(self):
        """{key: (src_and, src_or, dst_and, dst_or)}."""
        out = {}
        for key, sides in self.entries.items():
            vals = []
            for mode, v in sides:
                vals += [0 if mode == SET else _ALL, v if mode else 0]
            out[key] = tuple(vals)
        return out


class Term:
    def __init__(self):
        self.exporter = None
        self.inputs = None           # bitmap bytes, or None: every ifIndex
        self.outputs = None
        self.actions = []            # names, then Action objects


class Definition:
    def __init__(self, name):
        self.name = name
        self.terms = []


class TagConfig:
    """A loaded tag.cfg: `actions` and `definitions` by lower-case name."""

    def __init__(self, filename):
        self.filename = filename
        self.actions = {}
        self.definitions = {}
        self._taggers = {}

    def definition(self, name):
        """The Tagger of tag-definition `name` (case-insensitive)."""
        key = (name or "").lower()
        d = self.definitions.get(key)
        if d is None:
            raise UnknownDefinition(DEF_FAILED)
        t = self._taggers.get(key)
        if t is None:
            t = self._taggers[key] = Tagger(d)
        return t


class Tagger:
    """One tag-definition compiled into a C program (see the module doc)."""

    def __init__(self, definition):
        self.name = definition.name
        self._prog = _compile(definition)
        self._conv = {}

    @staticmethod
    def check(rectype):
        """FlowToolsError unless records of rectype have every v5 field."""
        if rectype not in TAGGABLE:
            raise FlowToolsError(MISSING_FIELDS)

    output_rectype = V1005

    @staticmethod
    def output_of(rectype):
        """The record type apply() returns for batches of rectype."""
        return V1006 if rectype == V1006 else V1005

    def apply(self, batch):
        """The batch's records as tagged v1005 records (see module doc);
        v1006 batches are tagged in place and stay v1006."""
        self.check(batch.rectype)
        if batch.rectype == V1006:
            batch.to_host()
            self._prog.apply(batch.ptr, batch.n, V1006)
            return batch
        if batch.rectype != V1005:
            conv = self._conv.get(batch.rectype)
            if conv is None:
                conv = self._conv[batch.rectype] = Converter(batch.rectype, V1005)
            batch = conv.convert(batch)
        batch.to_host()
        self._prog.apply(batch.ptr, batch.n)
        return batch


def _compile(d):
    """Tag program tuples for core.tag.Program."""
    terms, actions, ranges, sets = [], [], [], []
    maps = bytearray()
    compiled = {}                   # action name -> action tuple

    def add_map(bm):
        off = len(maps)
        maps.extend(bm)
        return off

    for term in d.terms:
        first = len(actions)
        for a in term.actions:
            t = compiled.get(a.name)
            if t is None:
                t = compiled[a.name] = _compile_action(a, ranges, sets)
            actions.append(t)
        flags = exporter = in_map = out_map = 0
        if term.exporter is not None:
            flags |= _c.T_EXPORTER
            exporter = term.exporter
        if term.inputs is not None:
            flags |= _c.T_INPUT
            in_map = add_map(term.inputs)
        if term.outputs is not None:
            flags |= _c.T_OUTPUT
            out_map = add_map(term.outputs)
        terms.append((flags, exporter, in_map, out_map, first, len(actions) - first))
    return _c.Program(terms, actions, ranges, sets, bytes(maps))


def _compile_action(a, ranges, sets):
    kind, fields, prot = TYPES[a.type]
    values = a.sets()
    index = {}
    for key, vals in values.items():
        index[key] = len(sets)
        sets.append(vals)
    if kind == "prefix":
        rs = prefix_ranges(index)
    elif kind == "any":
        rs = [(0, 0, index[0])] if 0 in index else []
    else:
        rs = sorted((k, k, i) for k, i in index.items())
    first = len(ranges)
    ranges.extend(rs)
    if kind == "any":
        f0, f1 = _c.ANY, _c.NONE
    else:
        ids = [field_id(f) for f in fields] + [_c.NONE]
        f0, f1 = ids[0], ids[1]
    return (f0, f1, prot, first, len(rs))


# ---- the parser ----------------------------------------------------------

ACTION, DEFINITION = 1, 2


class _Parser(TermParser):
    DEFINITION_TYPE, TERM_TYPE, ACTION_TYPE = Definition, Term, Action
    DEFINITION, ACTION, TYPES = DEFINITION, ACTION, TYPES
    LOAD_FAILED = LOAD_FAILED

    def __init__(self, filename, variables):
        TermParser.__init__(self, filename, variables)
        self.cfg = TagConfig(filename)
        self.action = None
        self.defn = None
        self.term = None

    def kw_match(self, w):
        a = self.action
        if a.type is None:
            self.error("Must set type first.")
        match = w.need("Expecting match data.")
        verb = w.need("Expecting [set|or]-[source|destination].").lower()
        if verb not in _ACTIONS:
            self.error("Expecting [set|or]-[source|destination].")
        side, mode = _ACTIONS[verb]
        value = lists.strtol(w.need("Expecting set data."))[0] & _ALL
        kind = TYPES[a.type][0]
        if kind == "prefix":
            key = parse_prefix(match)
        elif kind == "addr":
            key = ipv4.scan(match)
        elif kind == "any":
            if match.lower() != "any":
                self.error("Match must be any.")
            key = 0
        else:
            key = atoi(match) & (0xFF if kind == "u8" else 0xFFFF)
        sides = a.entries.setdefault(key, [[0, 0], [0, 0]])
        old = sides[side][0]
        if old == SET or (old == OR and mode == SET):
            self.error("Only one set per source/destination per match.")
        sides[side] = [mode, value if mode == SET else sides[side][1] | value]

    def kw_exporter(self, w):
        t = self.in_term()
        text = w.need("Expecting exporter.")
        if t.exporter is not None:
            self.error("Exporter previously defined.")
        t.exporter = ipv4.scan(text)

    def _filter(self, w, attr, what):
        t = self.in_term()
        text = w.need("Expecting filter list.")
        if getattr(t, attr) is not None:
            self.error("%s filter previously defined." % what)
        try:
            setattr(t, attr, lists.bitmap_of(text, lists.PORT_TABLE))
        except lists.ListError:
            self.error(lists.LOOKUP_FAILED)

    def kw_input_filter(self, w):
        self._filter(w, "inputs", "Input")

    def kw_output_filter(self, w):
        self._filter(w, "outputs", "Output")

    def kw_term_action(self, w):
        t = self.in_term()
        t.actions.append(w.need("Expecting action."))

    KEYWORDS = {
        "tag-action": (0, "kw_action"),
        "type": (ACTION, "kw_type"),
        "match": (ACTION, "kw_match"),
        "tag-definition": (0, "kw_definition"),
        "exporter": (DEFINITION, "kw_exporter"),
        "term": (DEFINITION, "kw_term"),
        "input-filter": (DEFINITION, "kw_input_filter"),
        "output-filter": (DEFINITION, "kw_output_filter"),
        "action": (DEFINITION, "kw_term_action"),
    }

    def finish(self):
        """Resolve action names (the reference crashes on an undefined one;
        here it is this error, for every definition of the file)."""
        return self.resolve_actions("tag")


def parse(text, filename="<tag.cfg>", variables=None):
    """TagConfig from the text of a tag.cfg."""
    return _Parser(filename, variables).run(text)


def load(path=None, variables=None):
    """TagConfig from a file (default: the site's <sysconfdir>/cfg/tag.cfg)."""
    path = paths.site_file(paths.CFG, "tag.cfg") if path is None else path
    return parse(read(path, LOAD_FAILED), path, variables)
