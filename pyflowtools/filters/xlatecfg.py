"""flow-xlate's configuration language, xlate.cfg (commands.md 8.15, 15).

API (flow-xlate; flow-capture/flow-fanout -x/-X):

    config = xlatecfg.load(path=None, variables=None)  # -> XlateConfig
    xl = config.definition("NAME")                     # -> Translator
    xl.check(rectype)      # FlowToolsError "Xlate references a field not in flow."
    xl.apply(batch)        # records translated in place; -> batch

    conv = xlatecfg.converter(rt_in, rt_out)           # flow-xlate -V
    out = conv.convert(batch)                          # -> batch of rt_out

`load` raises ConfigError (str: `FILE line N: message` or `open(FILE):
reason`; `.load_failed`: "ftxlate_load(): failed"); `definition` raises
UnknownDefinition ("ftxlate_def_find(): failed").  Records are never
dropped.  One C call per batch: the terms' filter programs (filter.cfg
definitions, compiled by filters/nfilter.py) are run by C, term by term
over the whole batch.

Syntax (line rules: filters/cfglines.py):

    include-filter PATH               (filter.cfg for `filter` lines)
    xlate-action NAME
      type TYPE
      mask SRC DST | scale N | as N    (as the type needs)
    xlate-definition NAME
      term
        filter FILTER-DEFINITION       (optional: only records it permits)
        action NAME                    (several, run in order)
        stop                           (no further terms once this one ran)

Masks are C numbers (strtoull: `0xFFFFFF00`; a dotted quad means its
first octet); scale and as are atoi.  The anonymizing types are parsed,
but as in the reference (built without OpenSSL) they cannot be loaded:
`algorithm` says `OpenSSL not compiled in.`, without it `Action X:
unknown anonymization algorithm`.
"""
from pyflowtools.core import xlate as _c
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.core.native import layout
from pyflowtools.filters import lists, nfilter
from pyflowtools.filters.cfglines import ConfigError, TermParser, UnknownDefinition, atoi, read
from pyflowtools.util import paths

__all__ = ["load", "parse", "XlateConfig", "Translator", "converter", "ConfigError",
           "UnknownDefinition", "LOAD_FAILED", "DEF_FAILED", "NOT_IN_FLOW", "TYPES"]

LOAD_FAILED = "ftxlate_load(): failed"
DEF_FAILED = "ftxlate_def_find(): failed"
NOT_IN_FLOW = _c.NOT_IN_FLOW

ANON = "anon"
# type -> (C action type or ANON, parameter keyword or None, fields it needs)
TYPES = {
    "ip-source-address-to-network": (_c.SRC_TO_NET, None, ("srcaddr", "src_mask")),
    "ip-destination-address-to-network": (_c.DST_TO_NET, None, ("dstaddr", "dst_mask")),
    "ip-source-address-to-class-network": (_c.SRC_TO_CLASS, None, ("srcaddr",)),
    "ip-destination-address-to-class-network": (_c.DST_TO_CLASS, None, ("dstaddr",)),
    "ip-address-privacy-mask": (_c.ADDR_MASK, "mask", ("srcaddr", "dstaddr")),
    "ip-port-privacy-mask": (_c.PORT_MASK, "mask", ("srcport", "dstport")),
    "scale": (_c.SCALE, "scale", ("dPkts", "dOctets")),
    "tag-mask": (_c.TAG_MASK, "mask", ("src_tag", "dst_tag")),
    "replace-source-as0": (_c.SRC_AS0, "as", ("src_as",)),
    "replace-destination-as0": (_c.DST_AS0, "as", ("dst_as",)),
    "ip-source-address-anonymize": (ANON, None, ("srcaddr",)),
    "ip-destination-address-anonymize": (ANON, None, ("dstaddr",)),
    "ip-address-anonymize": (ANON, None, ("srcaddr", "dstaddr")),
}


def converter(rt_in, rt_out):
    """core.xlate.Converter: records of rt_in as rt_out (the reference's
    ftrec_xlate: common fields; no translation known: zero records)."""
    return _c.Converter(rt_in, rt_out)


class Action:
    def __init__(self, name):
        self.name = name
        self.type = None
        self.src = self.dst = 0
        self.algorithm = None

    def fields(self):
        return TYPES[self.type][2] if self.type else ()


class Term:
    def __init__(self):
        self.filter = None       # filter-definition name
        self.actions = []        # names, then Action objects
        self.stop = False


class Definition:
    def __init__(self, name):
        self.name = name
        self.terms = []


class XlateConfig:
    """A loaded xlate.cfg: `actions`, `definitions` by lower-case name and
    `filters` (the nfilter.Config of its filter lines, or None)."""

    def __init__(self, filename):
        self.filename = filename
        self.actions = {}
        self.definitions = {}
        self.filters = None
        self._translators = {}

    def definition(self, name):
        """The Translator of xlate-definition `name` (case-insensitive)."""
        key = (name or "").lower()
        d = self.definitions.get(key)
        if d is None:
            raise UnknownDefinition(DEF_FAILED)
        t = self._translators.get(key)
        if t is None:
            t = self._translators[key] = Translator(d, self.filters)
        return t


class Translator:
    """One xlate-definition; compiled per record type on first use."""

    def __init__(self, definition, filters):
        self.name = definition.name
        self._def = definition
        self._filters = filters
        self._progs = {}

    def fields(self):
        """Every record field the definition reads or writes (filters too)."""
        out = set()
        for term in self._def.terms:
            if term.filter is not None:
                out |= self._filters.definition(term.filter).fields()
            for a in term.actions:
                out.update(a.fields())
        return out

    def check(self, rectype):
        """FlowToolsError NOT_IN_FLOW unless rectype has every field."""
        if not self.fields() <= set(layout(rectype)[3]):
            raise FlowToolsError(NOT_IN_FLOW)

    def program(self, rectype):
        prog = self._progs.get(rectype)
        if prog is None:
            self.check(rectype)
            terms, actions, index = [], [], {}
            for term in self._def.terms:
                first = len(actions)
                for a in term.actions:
                    actions.append((TYPES[a.type][0], a.src, a.dst))
                filt = None
                if term.filter is not None:
                    filt = index.get(term.filter.lower())
                    if filt is None:
                        filt = index[term.filter.lower()] = self._filters.program(
                            term.filter, rectype)
                terms.append((filt, term.stop, first, len(actions) - first))
            prog = self._progs[rectype] = _c.Program(rectype, terms, actions)
        return prog

    def apply(self, batch):
        """Translate the batch's records in place; returns batch."""
        return self.program(batch.rectype).apply(batch)


# ---- the parser ----------------------------------------------------------

ACTION, DEFINITION = 1, 2


def _mask(text):
    """strtoull(text, 0, 0) kept to 32 bits."""
    return lists.strtol(text)[0] & 0xFFFFFFFF


class _Parser(TermParser):
    DEFINITION_TYPE, TERM_TYPE, ACTION_TYPE = Definition, Term, Action
    DEFINITION, ACTION, TYPES = DEFINITION, ACTION, TYPES
    LOAD_FAILED = LOAD_FAILED

    def __init__(self, filename, variables):
        TermParser.__init__(self, filename, variables)
        self.cfg = XlateConfig(filename)
        self.filter_path = None
        self.action = None
        self.defn = None
        self.term = None

    def kw_include_filter(self, w):
        path = w.need("Expecting pathname.")
        if self.filter_path is not None:
            self.error("Filter pathname previously specified.")
        self.filter_path = path

    def param(self, keyword):
        """The current action, checked to take parameter `keyword`."""
        a = self.action
        if a.type is None:
            self.error("Must set type first.")
        if TYPES[a.type][1] != keyword:
            self.error("Illegal keyword.")
        return a

    def kw_mask(self, w):
        a = self.param("mask")
        src = w.need("Expecting source mask.")
        dst = w.need("Expecting destination mask.")
        a.src, a.dst = _mask(src), _mask(dst)

    def kw_scale(self, w):
        a = self.param("scale")
        a.src = atoi(w.need("Expecting scale.")) & 0xFFFFFFFF

    def kw_as(self, w):
        a = self.param("as")
        a.src = atoi(w.need("Expecting AS.")) & 0xFFFF

    def anon(self):
        a = self.action
        if a.type is None:
            self.error("Must set type first.")
        if TYPES[a.type][0] != ANON:
            self.error("Illegal keyword.")
        return a

    def kw_key(self, w):
        self.anon()
        key = w.need("Expecting Key.")
        if not all(c in "0123456789abcdefABCDEF" for c in key[:64]):
            self.error("decode_hex() failed.")

    def kw_key_file(self, w):
        self.anon()
        w.need("Expecting key-file.")

    def kw_key_refresh(self, w):
        self.anon()
        w.need("Expecting interval.")
        w.next()

    def kw_algorithm(self, w):
        self.anon()
        w.need("Expecting algorithm.")
        self.error("OpenSSL not compiled in.")

    def kw_filter(self, w):
        t = self.in_term()
        name = w.need("Expecting filter name.")
        if t.filter is not None:
            self.error("Filter previously defined for term.")
        if self.cfg.filters is None:
            path = self.filter_path or paths.site_file(paths.CFG, "filter.cfg")
            try:
                self.cfg.filters = nfilter.load(path, self.vars)
            except FlowToolsError as e:
                self.error("Filters not loaded (%s)." % e)
        try:
            self.cfg.filters.definition(name)
        except nfilter.UnknownDefinition:
            self.error("Filter definition not found.")
        t.filter = name

    def kw_stop(self, w):
        self.in_term().stop = True

    def kw_term_action(self, w):
        self.in_term().actions.append(w.need("Expecting action."))

    KEYWORDS = {
        "include-filter": (0, "kw_include_filter"),
        "xlate-action": (0, "kw_action"),
        "type": (ACTION, "kw_type"),
        "mask": (ACTION, "kw_mask"),
        "scale": (ACTION, "kw_scale"),
        "as": (ACTION, "kw_as"),
        "key": (ACTION, "kw_key"),
        "key-file": (ACTION, "kw_key_file"),
        "key-file-refresh": (ACTION, "kw_key_refresh"),
        "algorithm": (ACTION, "kw_algorithm"),
        "xlate-definition": (0, "kw_definition"),
        "term": (DEFINITION, "kw_term"),
        "filter": (DEFINITION, "kw_filter"),
        "stop": (DEFINITION, "kw_stop"),
        "action": (DEFINITION, "kw_term_action"),
    }

    def finish(self):
        """Anonymizing actions cannot load (no algorithm available); every
        action name must resolve (the reference crashes on an undefined
        one; here it is this error, for every definition of the file)."""
        for a in self.cfg.actions.values():
            if a.type is not None and TYPES[a.type][0] == ANON:
                self.error("Action %s: unknown anonymization algorithm" % a.name, 0)
        return self.resolve_actions("xlate")


def parse(text, filename="<xlate.cfg>", variables=None):
    """XlateConfig from the text of an xlate.cfg."""
    return _Parser(filename, variables).run(text)


def load(path=None, variables=None):
    """XlateConfig from a file (default: the site's <sysconfdir>/cfg/xlate.cfg)."""
    path = paths.site_file(paths.CFG, "xlate.cfg") if path is None else path
    return parse(read(path, LOAD_FAILED), path, variables)
