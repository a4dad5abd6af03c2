"""flow-mask's configuration language, mask.cfg (commands.md 8.13, 16).

API (flow-mask; flow-report's `mask NAME`):

    config = maskcfg.load(path=None, variables=None)   # -> MaskConfig
    masker = config.definition("NAME")                 # -> Masker
    masker.apply(batch)    # src_mask / dst_mask rewritten in place; -> batch

`load` raises ConfigError (str: `FILE line N: message` or `open(FILE):
reason`; `.load_failed`: "ftmask_load(): failed"); `definition` raises
UnknownDefinition ("ftmask_def_find(): failed").  `apply` works on any
record type: a record having srcaddr and src_mask gets the new length of
the longest prefix holding srcaddr (none: unchanged), the same for the
destination; other records (v1, most v8) pass untouched.  Addresses are
never changed.  One C call per batch (a sorted range table, bisection).

Syntax (line rules: filters/cfglines.py):

    mask-definition NAME
      prefix A.B.C.D/LEN NEWLEN       (any number; NEWLEN by atoi, 0-255)

Errors: the same prefix twice `Only one match.`; `prefix` before any
definition `Not in definition mode.`; `Expecting prefix.` / `Expecting
mask.`; a name twice `Name (X) previously defined.`
"""
from pyflowtools.core.mask import Table
from pyflowtools.filters.cfglines import ConfigError, Parser, UnknownDefinition, atoi, read
from pyflowtools.filters.nfilter import parse_prefix, prefix_ranges
from pyflowtools.util import paths

__all__ = ["load", "parse", "MaskConfig", "Masker", "ConfigError", "UnknownDefinition",
           "LOAD_FAILED", "DEF_FAILED"]

LOAD_FAILED = "ftmask_load(): failed"
DEF_FAILED = "ftmask_def_find(): failed"


class Definition:
    """A mask-definition: `prefixes` {(network, length): new length}."""

    def __init__(self, name):
        self.name = name
        self.prefixes = {}


class MaskConfig:
    """A loaded mask.cfg: `definitions` by lower-case name."""

    def __init__(self, filename):
        self.filename = filename
        self.definitions = {}
        self._maskers = {}

    def definition(self, name):
        """The Masker of mask-definition `name` (case-insensitive)."""
        key = (name or "").lower()
        d = self.definitions.get(key)
        if d is None:
            raise UnknownDefinition(DEF_FAILED)
        m = self._maskers.get(key)
        if m is None:
            m = self._maskers[key] = Masker(d)
        return m


class Masker:
    """One mask-definition as a C range table."""

    def __init__(self, definition):
        self.name = definition.name
        self.table = Table(prefix_ranges(definition.prefixes))

    def apply(self, batch):
        return self.table.apply(batch)


class _Parser(Parser):
    LOAD_FAILED = LOAD_FAILED
    DEFINITION = 1

    def __init__(self, filename, variables):
        Parser.__init__(self, filename, variables)
        self.cfg = MaskConfig(filename)
        self.defn = None

    def kw_definition(self, w):
        name = w.need("Expecting name.")
        if name.lower() in self.cfg.definitions:
            self.error("Name (%s) previously defined." % name)
        self.defn = self.cfg.definitions[name.lower()] = Definition(name)
        self.state = self.DEFINITION

    def kw_prefix(self, w):
        if self.defn is None:
            self.error("Not in definition mode.")
        prefix = parse_prefix(w.need("Expecting prefix."))
        new = atoi(w.need("Expecting mask.")) & 0xFF
        if prefix in self.defn.prefixes:
            self.error("Only one match.")
        self.defn.prefixes[prefix] = new

    KEYWORDS = {"mask-definition": (0, "kw_definition"), "prefix": (0, "kw_prefix")}

    def finish(self):
        return self.cfg


def parse(text, filename="<mask.cfg>", variables=None):
    """MaskConfig from the text of a mask.cfg."""
    return _Parser(filename, variables).run(text)


def load(path=None, variables=None):
    """MaskConfig from a file (default: the site's <sysconfdir>/cfg/mask.cfg)."""
    path = paths.site_file(paths.CFG, "mask.cfg") if path is None else path
    return parse(read(path, LOAD_FAILED), path, variables)
