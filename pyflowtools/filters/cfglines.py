"""The line parser shared by tag.cfg, mask.cfg and xlate.cfg (commands.md
14-16; the same line rules as stat.cfg, 11.2).

Each line is read whole, `@NAME`, `@{NAME}` and `@{NAME:-default}` are
replaced (nfilter.expand), then split into words at blanks.  Blank lines
and lines whose first word starts with `#` are skipped.  The first word is
a keyword, matched without regard to case, and only in the parser states
that allow it; an unknown keyword, one not allowed in the current state,
or a word left over after the keyword's own: `Unexpected "word".`

Errors are ConfigError("FILE line N: message"); its `load_failed` holds
the reference's second line (`fttag_load(): failed` ...), which commands
print after it.
"""
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.filters.nfilter import expand, parse_binding
from pyflowtools.util import files, numbers

__all__ = ["ConfigError", "UnknownDefinition", "Words", "Parser", "read", "atoi",
           "parse_binding"]


class ConfigError(FlowToolsError):
    """A config file that cannot be loaded."""

    def __init__(self, message, load_failed=""):
        FlowToolsError.__init__(self, message)
        self.load_failed = load_failed


class UnknownDefinition(FlowToolsError):
    """A definition name the file does not define (`ft*_def_find(): failed`)."""


def read(path, load_failed):
    """The text of a config file; ConfigError `open(PATH): reason`."""
    try:
        return files.read_text(path)
    except OSError as e:
        raise ConfigError("open(%s): %s" % (path, files.reason(e)), load_failed) from None


def atoi(text):
    """C atoi (the reference reads numbers of these files with it):
    util.numbers.atoi."""
    return numbers.atoi(text)


class Words:
    """The words of one line after its keyword, taken one at a time."""

    def __init__(self, parser, words):
        self.p = parser
        self.w = words
        self.i = 1

    def next(self):
        """The next word, or None."""
        if self.i >= len(self.w):
            return None
        self.i += 1
        return self.w[self.i - 1]

    def need(self, message):
        """The next word; ConfigError `message` when there is none."""
        w = self.next()
        if w is None:
            self.p.error(message)
        return w

    def rest(self):
        return self.w[self.i] if self.i < len(self.w) else None


class Parser:
    """Subclasses set KEYWORDS {keyword: (states or 0 for any, method
    name)} and LOAD_FAILED, keep `state`, and implement finish()."""

    KEYWORDS = {}
    LOAD_FAILED = ""

    def __init__(self, filename, variables):
        self.filename = filename
        self.vars = dict(variables or {})
        self.lineno = 0
        self.state = 0

    def error(self, message, lineno=None):
        where = "%s line %d: " % (self.filename, lineno or self.lineno) if lineno != 0 else ""
        raise ConfigError(where + message, self.LOAD_FAILED)

    def run(self, text):
        for self.lineno, raw in enumerate(text.split("\n"), 1):
            words = expand(raw, self.vars).split()
            if not words or words[0].startswith("#"):
                continue
            entry = self.KEYWORDS.get(words[0].lower())
            if entry is None or (entry[0] and not entry[0] & self.state):
                self.error('Unexpected "%s".' % words[0])
            cur = Words(self, words)
            getattr(self, entry[1])(cur)
            if cur.rest() is not None:
                self.error('Unexpected "%s".' % cur.rest())
        return self.finish()

    def finish(self):
        raise NotImplementedError


class TermParser(Parser):
    """A Parser for the languages of actions and definitions made of terms
    (tag.cfg, xlate.cfg): `NAME-action NAME` + `type`, `NAME-definition
    NAME` + `term` lines.  Subclasses set ACTION_TYPE, DEFINITION_TYPE and
    TERM_TYPE (classes), ACTION and DEFINITION (parser states), TYPES (the
    action types) and keep self.cfg.actions and self.cfg.definitions."""

    DEFINITION_TYPE = TERM_TYPE = ACTION_TYPE = None
    DEFINITION = ACTION = 0
    TYPES = {}

    def kw_action(self, w):
        name = w.need("Expecting name.")
        if name.lower() in self.cfg.actions:
            self.error("Name (%s) previously defined." % name)
        self.action = self.cfg.actions[name.lower()] = self.ACTION_TYPE(name)
        self.state = self.ACTION

    def kw_type(self, w):
        t = w.need("Expecting type.").lower()
        if self.action.type is not None:
            self.error("Type previously defined.")
        if t not in self.TYPES:
            self.error("Unrecognized type.")
        self.action.type = t

    def kw_definition(self, w):
        name = w.need("Expecting name.")
        if name.lower() in self.cfg.definitions:
            self.error("Name (%s) previously defined." % name)
        self.defn = self.cfg.definitions[name.lower()] = self.DEFINITION_TYPE(name)
        self.term = None
        self.state = self.DEFINITION

    def kw_term(self, w):
        self.term = self.TERM_TYPE()
        self.defn.terms.append(self.term)

    def in_term(self):
        """The current term (`Must start term.` outside one)."""
        if self.term is None:
            self.error("Must start term.")
        return self.term

    def resolve_actions(self, kind):
        """Replace every term's action names by the actions of the file
        (`kind`: "tag" or "xlate", for the messages).  The reference
        crashes on an undefined name; here it is an error, for every
        definition of the file."""
        for d in self.cfg.definitions.values():
            for term in d.terms:
                for i, name in enumerate(term.actions):
                    a = self.cfg.actions.get(name.lower())
                    if a is None:
                        self.error('Unable to resolve action "%s" in %s-definition "%s".'
                                   % (name, kind, d.name), 0)
                    if a.type is None:
                        self.error('%s-action "%s" has no type.' % (kind, a.name), 0)
                    term.actions[i] = a
        return self.cfg
