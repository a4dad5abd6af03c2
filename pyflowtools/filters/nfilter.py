"""flow-nfilter's configuration language, filter.cfg (commands.md section 5).

`load(path)` / `parse(text)` read a whole file into a Config of named
primitives and definitions; `Config.program(name, rectype)` compiles one
definition into a single expression tree (filters/program.py) and from it a
Program that filters whole batches in C.  Nothing here runs per record.

File syntax (5.1): line oriented, words separated by blanks; a line whose
first word starts with `#` is a comment; keywords, type names and object
names are case-insensitive; `@NAME`, `@{NAME}` and `@{NAME:-default}` are
replaced first (values from -v).

    filter-primitive NAME           filter-definition NAME
      type TYPE                       match MATCH-TYPE PRIMITIVE
      permit VALUE | deny VALUE       or          (new group; groups are ORed)
      default permit|deny             invert      (negate the result)
      mask N (ip-tos, ip-tcp-flags)

Evaluation: every primitive yields permit or deny for a record; a group
passes when all its matches permit; the definition passes when some group
passes (none: rejects), then `invert` negates.

Errors are ConfigError("FILE:LINE: message"), warnings (a value set twice)
go through the `warn` callback in the same form.  Messages keep the
reference's wording where commands.md gives it.
"""

from pyflowtools.report import symbols
from pyflowtools.core.native import layout
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.filters import lists, program
from pyflowtools.util import files, paths
from pyflowtools.filters.program import And, Or, Not, First, TRUE, FALSE
from pyflowtools.util import ipv4, ipv6

#: the reference reads <sysconfdir>/cfg/filter.cfg; ours ships in the package
DEFAULT_FILE = paths.shipped("filter.cfg")
DEFAULT_DEFINITION = "default"

NOT_IN_FLOW = "Filter references a field not in flow."


class ConfigError(FlowToolsError):
    """A filter.cfg that cannot be loaded (`FILE:LINE: message`)."""


class UnknownDefinition(FlowToolsError):
    """-F names no filter-definition of the file."""


# ---- primitive types (5.2) -------------------------------------------------

# value lists ("bucket" types): type -> (largest value, symbol table or None)
LIST_TYPES = {
    "ip-protocol": (255, symbols.PROT),
    "ip-port": (65535, symbols.PORT),
    "ip-tos": (255, None),
    "ip-tcp-flags": (255, None),
    "as": (65535, symbols.TAG),        # the reference's bug: AS names from tag.sym
    "ifindex": (65535, None),
    "engine": (255, None),
    "ip-address-prefix-len": (128, None),     # 0..32 IPv4; up to 128 on v1006 (IPv6)
}
MASKED_TYPES = ("ip-tos", "ip-tcp-flags")
# lists of (OP, value) lines evaluated first-match
COMPARE_TYPES = ("counter", "double", "time-date", "time")
TYPES = tuple(LIST_TYPES) + COMPARE_TYPES + (
    "ip-address", "ip-address-mask", "ip-address-prefix", "tag", "tag-mask", "rate")

OPS = ("lt", "gt", "eq", "ne", "le", "ge")

# ---- match types (5.3): name -> (value source, accepted primitive types) ----

_ADDR = ("ip-address", "ip-address-mask", "ip-address-prefix")
_TIME = ("time-date", "time")
_TAGS = ("tag", "tag-mask")

# sources: a field name, or one of the computed sources below
DURATION, START, END, PPS, BPS, OPP, NOSRC = (
    "<duration>", "<start>", "<end>", "<pps>", "<bps>", "<octets-per-packet>", "<none>")

# fields each computed source reads (the reference's "xfields" test)
SOURCE_FIELDS = {
    DURATION: ("First", "Last"),
    START: ("unix_secs", "unix_nsecs", "sysUpTime", "First"),
    END: ("unix_secs", "unix_nsecs", "sysUpTime", "Last"),
    PPS: ("dPkts", "First", "Last"),
    BPS: ("dOctets", "First", "Last"),
    OPP: ("dOctets", "dPkts"),
    NOSRC: (),
}

MATCHES = {}


def _match(names, source, types):
    for n in names.split():
        MATCHES[n] = (source, types)


_match("src-as source-as", "src_as", ("as",))
_match("dst-as destination-as", "dst_as", ("as",))
_match("ip-protocol", "prot", ("ip-protocol",))
_match("src-ip-addr ip-source-address", "srcaddr", _ADDR)
_match("dst-ip-addr ip-destination-address", "dstaddr", _ADDR)
_match("exporter-ip-addr ip-exporter-address", "exaddr", _ADDR)
_match("nexthop-ip-addr ip-nexthop-address", "nexthop", _ADDR)
_match("shortcut-ip-addr ip-shortcut-address", "router_sc", _ADDR)
_match("src-ip-addr-prefix-len ip-source-address-prefix-len", "src_mask",
       ("ip-address-prefix-len",))
_match("dst-ip-addr-prefix-len ip-destination-address-prefix-len", "dst_mask",
       ("ip-address-prefix-len",))
_match("ip-tos", "tos", ("ip-tos",))
_match("ip-marked-tos", "marked_tos", ("ip-tos",))
_match("ip-tcp-flags", "tcp_flags", ("ip-tcp-flags",))
_match("src-ip-port ip-source-port", "srcport", ("ip-port",))
_match("dst-ip-port ip-destination-port", "dstport", ("ip-port",))
_match("src-ifindex input-interface", "input", ("ifindex",))
_match("dst-ifindex output-interface", "output", ("ifindex",))
_match("engine-id", "engine_id", ("engine",))
_match("engine-type", "engine_type", ("engine",))
_match("flows", "dFlows", ("counter",))
_match("octets", "dOctets", ("counter",))
_match("packets", "dPkts", ("counter",))
_match("extra-packets", "extra_pkts", ("counter",))
_match("duration", DURATION, ("counter",))
_match("start-time", START, _TIME)
_match("end-time", END, _TIME)
_match("src-tag source-tag", "src_tag", _TAGS)
_match("dst-tag destination-tag", "dst_tag", _TAGS)
_match("pps", PPS, ("double",))
_match("bps", BPS, ("double",))
_match("random-sample", NOSRC, ("rate",))
# pyflowtools extension: dOctets / dPkts (0 when dPkts is 0), e.g. `eq 92`
_match("octets-per-packet", OPP, ("double",))

_FIELD_WIDTH_BITS = {"prot": 8, "tos": 8, "marked_tos": 8, "tcp_flags": 8,
                     "src_mask": 8, "dst_mask": 8, "engine_id": 8, "engine_type": 8}


# ---- the parsed objects ------------------------------------------------------

class Primitive:
    """A filter-primitive.  List types keep `values` {value: permit?};
    addresses and prefixes keep dicts too; the other types keep `entries`
    [(args..., permit?)] in file order (first match wins)."""

    def __init__(self, name, lineno):
        self.name = name
        self.lineno = lineno
        self.type = None
        self.default = False          # default deny
        self.mask = 0xFF
        self.values = {}
        self.entries = []
        self.rate = None              # (n, permit?) for type rate

    def __repr__(self):
        return "Primitive(%r, %r)" % (self.name, self.type)


class Definition:
    """A filter-definition: groups (ORed) of matches (ANDed), each a tuple
    (match type, Primitive, line); `invert` negates the result."""

    def __init__(self, name, lineno):
        self.name = name
        self.lineno = lineno
        self.groups = [[]]
        self.invert = False

    def __repr__(self):
        return "Definition(%r)" % (self.name,)

    def fields(self):
        """Record fields the definition reads."""
        out = set()
        for group in self.groups:
            for mtype, _, _ in group:
                src = MATCHES[mtype][0]
                out.update(SOURCE_FIELDS.get(src, (src,)))
        return out

    def node(self):
        """The definition as one program expression tree."""
        groups = []
        for group in self.groups:
            if group:
                groups.append(And(*[primitive_node(p, mtype) for mtype, p, _ in group]))
        tree = Or(*groups) if groups else FALSE
        return Not(tree) if self.invert else tree


class Config:
    """A loaded filter.cfg."""

    def __init__(self, filename):
        self.filename = filename
        self.primitives = {}
        self.definitions = {}

    def definition(self, name):
        d = self.definitions.get(name.lower())
        if d is None:
            raise UnknownDefinition('ftfil_def_find(): failed: no filter-definition "%s" in %s'
                                    % (name, self.filename))
        return d

    def program(self, name, rectype):
        """Program for definition `name` over records of `rectype`.  Raises
        UnknownDefinition, or FlowToolsError when a field is missing."""
        d = self.definition(name)
        _, _, _, have = layout(rectype)
        if not d.fields() <= set(have):
            raise FlowToolsError(NOT_IN_FLOW)
        try:
            return program.compile(d.node(), rectype)
        except program.MissingField:
            raise FlowToolsError(NOT_IN_FLOW) from None


# ---- value parsing -------------------------------------------------------------

def _number(tok):
    """C strtoul(tok, NULL, 0): 0x hex, leading 0 octal; garbage after the
    digits is ignored, no digits gives 0."""
    return lists.strtol(tok)[0]


_DIGITS = "0123456789"


def _double(tok):
    """C strtod: the longest numeric prefix, 0.0 when there is none."""
    s = tok.lstrip(" \t")
    n = len(s)
    i = 1 if s[:1] in ("+", "-") else 0
    low = s[i:i + 8].lower()
    for word in ("infinity", "inf", "nan"):
        if low.startswith(word):
            return float(s[:i] + word)
    j = i
    while j < n and s[j] in _DIGITS:
        j += 1
    mantissa = j > i
    if j < n and s[j] == ".":
        j += 1
        while j < n and s[j] in _DIGITS:
            j += 1
            mantissa = True
    if not mantissa:
        return 0.0
    if j < n and s[j] in "eE":
        k = j + 1 + (s[j + 1:j + 2] in ("+", "-"))
        if k < n and s[k] in _DIGITS:
            while k < n and s[k] in _DIGITS:
                k += 1
            j = k
    return float(s[:j])


def address(text):
    """An address of a primitive as 128 bits: IPv6 text (a ':' in it), or a
    dotted quad (util.ipv4.scan) as its IPv4-mapped address.  ValueError
    for a malformed IPv6 address."""
    if ipv6.is_v6_text(text):
        return ipv6.parse(text)
    return ipv6.mapped(ipv4.scan(text))


def prefix_len(addr):
    """Classful length of an address given without /len: /8, /16, /24 or
    /28 (classes A-D) when it has no host bits for its class, else /32."""
    for top_bits, top, length in ((1, 0, 8), (2, 2, 16), (3, 6, 24), (4, 14, 28)):
        if addr >> (32 - top_bits) == top:
            return length if addr & ((1 << (32 - length)) - 1) == 0 else 32
    return 32


def parse_prefix6(text):
    """An ip-address-prefix value as a 128-bit (network, len): `X:X::X/len`
    (no /len: /128) or an IPv4 prefix (parse_prefix) as its mapped prefix,
    length + 96.  ValueError for a malformed IPv6 one."""
    if ipv6.is_v6_text(text):
        return ipv6.parse_prefix(text)
    net, length = parse_prefix(text)
    return ipv6.mapped(net), length + 96


def parse_prefix(text):
    """`A.B.C.D/len` (or classful, see prefix_len) -> (network, len); the
    address is masked to the length."""
    addr_text, slash, len_text = text.partition("/")
    addr = ipv4.scan(addr_text)
    length = min(max(lists.strtol(len_text)[0], 0), 32) if slash else prefix_len(addr)
    mask = (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
    return addr & mask, length


_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def expand(line, variables):
    """Replace @NAME, @{NAME}, @{NAME:-default} (unset and no default:
    empty); an `@` starting none of these stays."""
    if "@" not in line:
        return line
    out = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        i += 1
        if c != "@":
            out.append(c)
            continue
        if line[i:i + 1] == "{":
            end = line.find("}", i + 1)
            name, sep, default = line[i + 1:end].partition(":-") if end > 0 else ("", "", "")
            if name and _NAME_CHARS.issuperset(name):
                out.append(variables[name] if name in variables else default)
                i = end + 1
                continue
        else:
            j = i
            while j < n and line[j] in _NAME_CHARS:
                j += 1
            if j > i:
                out.append(variables.get(line[i:j], ""))
                i = j
                continue
        out.append(c)
    return "".join(out)


def parse_binding(text):
    """-v NAME=VALUE -> (NAME, VALUE)."""
    name, eq, value = text.partition("=")
    if not eq or not name:
        raise FlowToolsError('ftvar_pset(): failed: expecting NAME=value, not "%s"' % text)
    return name, value


# ---- the parser ------------------------------------------------------------------

class _Parser:
    def __init__(self, filename, variables, warn):
        self.cfg = Config(filename)
        self.filename = filename
        self.vars = dict(variables or {})
        self.warn = warn or (lambda m: None)
        self.lineno = 0
        self.prim = None
        self.defn = None
        self._symtabs = {}

    def error(self, msg, lineno=None):
        raise ConfigError("%s:%d: %s" % (self.filename, lineno or self.lineno, msg))

    def note(self, msg):
        self.warn("%s:%d: %s" % (self.filename, self.lineno, msg))

    def symtab(self, name):
        t = self._symtabs.get(name)
        if t is None:
            try:
                t = self._symtabs[name] = symbols.load(name)
            except (OSError, FlowToolsError) as e:
                reason = getattr(e, "strerror", None) or e
                self.error("cannot load %s: %s" % (symbols.path(name), reason))
        return t

    # ---- driver
    def run(self, text):
        for self.lineno, raw in enumerate(text.splitlines(), 1):
            words = expand(raw, self.vars).split()
            if not words or words[0].startswith("#"):
                continue
            kw = words[0].lower()
            handler = self.KEYWORDS.get(kw)
            if handler is None:
                self.error('Unexpected "%s".' % words[0])
            handler(self, words)
        self.resolve()
        return self.cfg

    def expect(self, words, n, what):
        """words must be exactly n long (keyword included)."""
        if len(words) < n:
            self.error("Expecting %s." % what)
        if len(words) > n:
            self.error('Unexpected "%s".' % words[n])

    # ---- blocks
    def kw_primitive(self, words):
        self.expect(words, 2, "filter-primitive name")
        key = words[1].lower()
        if key in self.cfg.primitives:
            self.error("Name (%s) previously defined." % words[1])
        self.prim = self.cfg.primitives[key] = Primitive(words[1], self.lineno)
        self.defn = None

    def kw_definition(self, words):
        self.expect(words, 2, "filter-definition name")
        key = words[1].lower()
        if key in self.cfg.definitions:
            self.error("Name (%s) previously defined." % words[1])
        self.defn = self.cfg.definitions[key] = Definition(words[1], self.lineno)
        self.prim = None

    # ---- primitive lines
    def in_primitive(self, words):
        if self.prim is None:
            self.error('"%s" outside a filter-primitive.' % words[0])
        return self.prim

    def kw_type(self, words):
        p = self.in_primitive(words)
        self.expect(words, 2, "type name")
        t = words[1].lower()
        if p.type is not None:
            self.error("Type previously defined.")
        if t not in TYPES:
            self.error('Unrecognized type "%s".' % words[1])
        p.type = t

    def kw_default(self, words):
        p = self.in_primitive(words)
        self.expect(words, 2, "permit or deny")
        mode = words[1].lower()
        if mode not in ("permit", "deny"):
            self.error('Expecting permit or deny, not "%s".' % words[1])
        p.default = mode == "permit"

    def kw_mask(self, words):
        p = self.in_primitive(words)
        self.expect(words, 2, "mask value")
        if p.type is None:
            self.error("Must set type before mask.")
        if p.type not in MASKED_TYPES:
            self.error('mask does not apply to type "%s".' % p.type)
        mask = _number(words[1])
        if not 0 <= mask <= 255:
            self.error("Value out of range.")
        p.mask = mask

    def kw_permit(self, words):
        self.value_line(words, True)

    def kw_deny(self, words):
        self.value_line(words, False)

    def value_line(self, words, permit):
        p = self.in_primitive(words)
        if p.type is None:
            self.error("Must set type before %s." % words[0].lower())
        t = p.type
        if t in LIST_TYPES:
            self.expect(words, 2, "value list")
            self.list_values(p, words[1], permit)
        elif t == "ip-address":
            self.expect(words, 2, "IP address")
            self.set_once(p.values, self.v6(address, words[1]), permit, words[1])
        elif t == "ip-address-prefix":
            self.expect(words, 2, "IP prefix")
            net, length = self.v6(parse_prefix6, words[1])
            self.set_once(p.values, (net, length), permit, words[1])
        elif t == "ip-address-mask":
            self.expect(words, 3, "IP address and mask")
            if ipv6.is_v6_text(words[1]) != ipv6.is_v6_text(words[2]):
                self.error('Address "%s" and mask "%s" of different families.'
                           % (words[1], words[2]))
            addr, mask = self.v6(address, words[1]), self.v6(address, words[2])
            if not ipv6.is_v6_text(words[2]):      # an IPv4 mask: the mapped words kept
                mask = (ipv6.ALL ^ 0xFFFFFFFF) | (mask & 0xFFFFFFFF)
            p.entries.append((addr, mask, permit))
        elif t == "tag":
            self.expect(words, 2, "tag")
            self.set_once(p.values, self.tag_value(words[1]), permit, words[1])
        elif t == "tag-mask":
            self.expect(words, 3, "tag and mask")
            p.entries.append((self.tag_value(words[1]), self.tag_value(words[2]), permit))
        elif t == "rate":
            self.expect(words, 2, "rate")
            n = _number(words[1])
            if n <= 0:
                self.error("Rate must be greater than 0.")
            p.rate = (n, permit)
        else:                                   # counter double time-date time
            if len(words) < 3:
                self.expect(words, 3, "operator and value")
            op = words[1].lower()
            if op not in OPS:
                self.error('Unknown operator "%s" (lt gt eq ne le ge).' % words[1])
            if t == "time-date":
                text = " ".join(words[2:])
                from pyflowtools.util import getdate
                try:
                    value = getdate.parse(text)
                except ValueError:
                    self.error('Can\'t parse date "%s".' % text)
            else:
                self.expect(words, 3, "value")
                if t == "counter":
                    value = _number(words[2])
                elif t == "double":
                    value = _double(words[2])
                else:
                    value = self.time_of_day(words[2])
            p.entries.append((op, value, permit))

    def v6(self, parse, text):
        """parse(text), a malformed IPv6 address a ConfigError."""
        try:
            return parse(text)
        except ValueError:
            self.error('Bad IPv6 address "%s".' % text)

    def time_of_day(self, text):
        parts = text.split(":")
        if len(parts) > 3:
            self.error('Unexpected time "%s".' % text)
        hms = [lists.strtol(x)[0] if x else 0 for x in parts] + [0, 0]
        return hms[0] * 3600 + hms[1] * 60 + hms[2]

    def tag_value(self, tok):
        if tok[:1].isalpha():
            v = self.symtab(symbols.TAG).number(tok)
            if v is None:
                self.error('symbol lookup for "%s" failed.' % tok)
            return v & 0xFFFFFFFF
        return _number(tok) & 0xFFFFFFFF

    def set_once(self, table, key, permit, shown):
        old = table.get(key)
        if old is not None:
            self.note("index %s previously set as %s." % (shown, "permit" if old else "deny"))
        table[key] = permit

    def list_value(self, tok, limit, symtab):
        if tok[:1].isalpha():
            v = self.symtab(symtab).number(tok) if symtab else None
            if v is None:
                self.error('symbol lookup for "%s" failed.' % tok)
        else:
            v = _number(tok)
        if not 0 <= v <= limit:
            self.error("Value out of range.")
        return v

    def list_values(self, p, text, permit):
        """A list: comma items, `a-b` ranges, leading `!` (the listed values
        get the opposite action, the others stay unset)."""
        limit, symtab = LIST_TYPES[p.type]
        if text.startswith("!"):
            text, permit = text[1:], not permit
        for item in text.split(","):
            if not item:
                continue
            lo_text, dash, hi_text = item.partition("-")
            lo = self.list_value(lo_text, limit, symtab)
            hi = self.list_value(hi_text, limit, symtab) if dash and hi_text else lo
            for v in range(lo, max(lo, hi) + 1):
                old = p.values.get(v)
                if old is not None:
                    self.note("index %d previously set as %s." % (v, "permit" if old else "deny"))
                p.values[v] = permit

    # ---- definition lines
    def in_definition(self, words):
        if self.defn is None:
            self.error('"%s" outside a filter-definition.' % words[0])
        return self.defn

    def kw_match(self, words):
        d = self.in_definition(words)
        self.expect(words, 3, "match type and primitive name")
        mtype = words[1].lower()
        if mtype not in MATCHES:
            self.error('Unknown match criteria "%s" in filter-definition "%s".'
                       % (words[1], d.name))
        d.groups[-1].append((mtype, words[2], self.lineno))

    def kw_or(self, words):
        d = self.in_definition(words)
        self.expect(words, 1, "")
        d.groups.append([])

    def kw_invert(self, words):
        d = self.in_definition(words)
        self.expect(words, 1, "")
        d.invert = True

    KEYWORDS = {
        "filter-primitive": kw_primitive, "filter-definition": kw_definition,
        "type": kw_type, "permit": kw_permit, "deny": kw_deny, "default": kw_default,
        "mask": kw_mask, "match": kw_match, "or": kw_or, "invert": kw_invert,
    }

    def resolve(self):
        """Bind match lines to primitives (they may come later in the file)."""
        for d in self.cfg.definitions.values():
            for group in d.groups:
                for i, (mtype, pname, lineno) in enumerate(group):
                    p = self.cfg.primitives.get(pname.lower())
                    if p is None:
                        self.error('Unable to resolve primitive "%s" in filter-definition "%s".'
                                   % (pname, d.name), lineno)
                    if p.type not in MATCHES[mtype][1]:
                        self.error('Primitive "%s" incompatible with match in '
                                   'filter-definition "%s".' % (mtype, d.name), lineno)
                    group[i] = (mtype, p, lineno)


def parse(text, filename="<config>", variables=None, warn=None):
    """Config from the text of a filter.cfg."""
    return _Parser(filename, variables, warn).run(text)


def load(path=None, variables=None, warn=None):
    """Config from a file (default: the site's <sysconfdir>/cfg/filter.cfg,
    else DEFAULT_FILE, the shipped one: util.paths).  OSError when it cannot be
    read (`open(FILE): reason`), ConfigError when it is malformed."""
    path = paths.site_file(paths.CFG, "filter.cfg") if path is None else path
    try:
        text = files.read_text(path)
    except OSError as e:
        raise FlowToolsError("open(%s): %s" % (path, files.reason(e))) from None
    return parse(text, path, variables, warn)


# ---- compiling primitives ------------------------------------------------------

_PROGRAM_SOURCE = {DURATION: program.DURATION, START: program.START, END: program.END,
                   PPS: program.PPS, BPS: program.BPS, NOSRC: program.NONE}


def _source(src, tod=False):
    if src in (START, END) and tod:
        return program.START_TOD if src == START else program.END_TOD
    if src == OPP:
        return program.OPP
    return _PROGRAM_SOURCE.get(src, src)


def _bitmap_node(src, p):
    """A list primitive as one bitmap test (true = permit); a constant when
    every value the (masked) field can take has the same verdict."""
    nbits = 1 << _FIELD_WIDTH_BITS.get(src, 16)
    bm = bytearray(b"\xff" if p.default else b"\0") * (nbits // 8)
    for v, permit in p.values.items():
        if permit:
            bm[v >> 3] |= 1 << (v & 7)
        else:
            bm[v >> 3] &= ~(1 << (v & 7)) & 0xFF
    mask = p.mask if p.type in MASKED_TYPES else None
    if mask is None:
        verdicts = {0xFF: True, 0: False}.get(bm[0]) if bm.count(bm[0]) == len(bm) else None
    else:
        seen = {bm[(v & mask) >> 3] >> ((v & mask) & 7) & 1 for v in range(nbits)}
        verdicts = bool(seen.pop()) if len(seen) == 1 else None
    if verdicts is not None:
        return TRUE if verdicts else FALSE
    return program.bitmap(src, bytes(bm), mask=mask)


def prefix_ranges(prefixes, bits=32):
    """{(net, len): verdict} -> disjoint [(lo, hi, verdict)] where each
    address (of `bits` bits) gets the verdict of its longest matching prefix."""
    items = sorted(((net, net | ((1 << (bits - ln)) - 1), v) for (net, ln), v in prefixes.items()),
                   key=lambda t: (t[0], -t[1]))
    out = []
    stack = []                      # enclosing prefixes: (hi, verdict)
    pos = 0                         # first address not yet emitted

    def emit(lo, hi, v):
        if lo > hi:
            return
        if out and out[-1][2] == v and out[-1][1] + 1 == lo:
            out[-1] = (out[-1][0], hi, v)
        else:
            out.append((lo, hi, v))

    for lo, hi, v in items:
        while stack and stack[-1][0] < lo:
            top_hi, top_v = stack.pop()
            emit(pos, top_hi, top_v)
            pos = max(pos, top_hi + 1)
        if stack:
            emit(pos, lo - 1, stack[-1][1])
        pos = lo
        stack.append((hi, v))
    while stack:
        top_hi, top_v = stack.pop()
        emit(pos, top_hi, top_v)
        pos = top_hi + 1
    return out


def primitive_node(p, mtype):
    """Node true when primitive p permits, for the source of match `mtype`."""
    src = MATCHES[mtype][0]
    t = p.type
    if t in LIST_TYPES:
        return _bitmap_node(src, p)
    if t == "ip-address":
        return program.addr_ranges(src, [(a, a, v) for a, v in p.values.items()], p.default)
    if t == "tag":
        if not p.values:
            return TRUE if p.default else FALSE
        return program.in_ranges(src, [(a, a, v) for a, v in p.values.items()], p.default)
    if t == "ip-address-prefix":
        return program.addr_ranges(src, prefix_ranges(p.values, 128), p.default)
    if t == "ip-address-mask":
        return First([(program.addr_masked(src, mask, value), v)
                      for value, mask, v in p.entries], p.default)
    if t == "tag-mask":
        return First([(program.masked_equal(src, mask, value), v)
                      for value, mask, v in p.entries], p.default)
    if t == "rate":
        if p.rate is None:
            return TRUE if p.default else FALSE
        n, permit = p.rate
        return program.sample(n) if permit else Not(program.sample(n))
    # counter double time-date time
    if t == "double":
        s = _source(src)
        rules = [(program.compare_float(s, op, value), v) for op, value, v in p.entries]
    else:
        s = _source(src, tod=t == "time")
        rules = [(program.compare(s, op, value), v) for op, value, v in p.entries]
    return First(rules, p.default)
