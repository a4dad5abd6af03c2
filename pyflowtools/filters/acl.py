"""flow-filter's access-list file language (commands.md 4.1), compiled to
filter-program nodes (filters/program.py).

One statement per line; `!` starts a comment; blank lines are allowed:

    ip access-list standard NAME {permit|deny} SOURCE
    ip access-list extended NAME {permit|deny} PROTO SOURCE DEST [qualifiers]
    access-list NUMBER {permit|deny} SOURCE                  (standard)
    access-list NUMBER {permit|deny} PROTO SOURCE DEST ...   (extended)

SOURCE/DEST: `any`, `host A.B.C.D`, `A.B.C.D WILDCARD` (1 bits = don't
care), and in standard lists a bare `A.B.C.D` (= host).  PROTO: `ip` (any),
`tcp`, `udp`, `icmp`, `igmp`.  Lines with the same name append in file
order; the first matching line decides, no match denies.

The reference's quirks kept here:
  * extended lines compare the masked flow address with the list's address
    *unmasked*: an address with bits under its wildcard matches nothing;
  * extended qualifiers `tos N`, `precedence N`, `log` are ignored; a line
    with a port operator (`eq` `neq` `lt` `gt` `range`), `established` or
    an ICMP/IGMP type never matches (permit or deny alike);
  * the first syntax error ends the parse (`syntax error at 'TOKEN'`),
    the lines before it stay defined; a last line without its newline is
    defined and then reported as `syntax error at ''`.

Standard and extended lists live in separate name spaces (-S/-D/-x look
up standard lists, -E extended ones).
"""
import bisect

from pyflowtools.core.errors import FlowToolsError
from pyflowtools.filters import program
from pyflowtools.util import files, ipv4

ALL = 0xFFFFFFFF

PROTOCOLS = {"ip": None, "tcp": 6, "udp": 17, "icmp": 1, "igmp": 2}
PORT_OPS = ("eq", "neq", "lt", "gt", "range")
KEYWORDS = frozenset(("ip", "access-list", "standard", "extended", "permit", "deny",
                      "host", "any", "tcp", "udp", "icmp", "igmp", "eq", "neq", "lt", "gt",
                      "range", "established", "tos", "precedence", "log"))

_TOKEN_RE = r"""
    (?P<blank>[ \t]+)
  | (?P<comment>![^\n]*)
  | (?P<nl>\n)
  | (?P<addr>[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+)
  | (?P<num>[0-9]+)
  | (?P<word>access-list|[A-Za-z][A-Za-z0-9_]*)
  | (?P<bad>.)
"""
_token = None          # compiled on first use: `re` costs start-up time


class StdLine:
    """A standard-list line: permit/deny addresses matching addr/wildcard."""
    __slots__ = ("permit", "addr", "wildcard")

    def __init__(self, permit, addr, wildcard):
        self.permit, self.addr, self.wildcard = permit, addr, wildcard

    def matches(self, a):
        keep = ~self.wildcard & ALL
        return (a & keep) == (self.addr & keep)

    def __repr__(self):
        return "StdLine(%s %s %s)" % ("permit" if self.permit else "deny",
                                      ipv4.text(self.addr), ipv4.text(self.wildcard))


class ExtLine:
    """An extended-list line.  `proto` None = any protocol; `never` marks a
    line with a port operator, `established` or an ICMP/IGMP type."""
    __slots__ = ("permit", "proto", "src", "src_wc", "dst", "dst_wc", "never", "text")

    def __init__(self, permit, proto, src, src_wc, dst, dst_wc, never=False, text=""):
        self.permit, self.proto = permit, proto
        self.src, self.src_wc, self.dst, self.dst_wc = src, src_wc, dst, dst_wc
        self.never, self.text = never, text

    def __repr__(self):
        return "ExtLine(%s)" % self.text


class AclSet:
    """The lists of one ACL file: `standard` and `extended` map names to
    line lists; `errors` holds the syntax-error messages (at most one)."""

    def __init__(self):
        self.standard = {}
        self.extended = {}
        self.errors = []

    def standard_node(self, name, field):
        """Program node: `field` (an address field) permitted by standard
        list `name`.  KeyError when the list does not exist."""
        return standard_node(self.standard[name], field)

    def extended_node(self, name):
        """Program node: the flow permitted by extended list `name`."""
        return extended_node(self.extended[name])

    def dump(self):
        """Text lines describing every list (flow-filter -d > 5)."""
        out = []
        for name, lines in self.standard.items():
            for ln in lines:
                out.append("ip access-list standard %s %s %s %s" % (
                    name, "permit" if ln.permit else "deny", ipv4.text(ln.addr),
                    ipv4.text(ln.wildcard)))
        for name, lines in self.extended.items():
            for ln in lines:
                out.append("ip access-list extended %s %s" % (name, ln.text))
        return out




# ---- parser --------------------------------------------------------------

class _Syntax(Exception):
    def __init__(self, tok):
        Exception.__init__(self, tok)
        self.tok = tok


def tokenize(text):
    """[(kind, text)] ending with ("eof", "").  Kinds: nl addr num word bad
    and each keyword as its own kind."""
    global _token
    if _token is None:
        import re
        _token = re.compile(_TOKEN_RE, re.X | re.S)
    toks = []
    for m in _token.finditer(text):
        kind = m.lastgroup
        val = m.group()
        if kind in ("blank", "comment"):
            continue
        if kind == "word" and val in KEYWORDS:
            kind = val
        toks.append((kind, val))
    toks.append(("eof", ""))
    return toks


class _Parser:
    def __init__(self, toks):
        self.toks = toks
        self.i = 0

    def peek(self):
        return self.toks[self.i][0]

    def take(self, *kinds):
        kind, val = self.toks[self.i]
        if kind not in kinds:
            raise _Syntax(self.toks[self.i])
        self.i += 1
        return val

    def maybe(self, *kinds):
        if self.peek() in kinds:
            return self.take(*kinds)
        return None

    # addresses -> (addr, wildcard)
    def address(self, standard):
        kind = self.peek()
        if kind == "any":
            self.take("any")
            return 0, ALL
        if kind == "host":
            self.take("host")
            return ipv4.scan(self.take("addr"), resolve=False), 0
        addr = ipv4.scan(self.take("addr"), resolve=False)
        if standard and self.peek() != "addr":
            return addr, 0
        return addr, ipv4.scan(self.take("addr"), resolve=False)

    def number(self):
        return int(self.take("num"))

    def statement(self, acls):
        """One statement (the tokens up to, not including, its end)."""
        if self.peek() == "ip":
            self.take("ip")
            self.take("access-list")
            kind = self.take("standard", "extended")
            name = self.take("word")
        else:
            self.take("access-list")
            name = self.take("num")
            kind = None
        permit = self.take("permit", "deny") == "permit"
        if kind == "standard" or (kind is None and self.peek() not in PROTOCOLS):
            addr, wc = self.address(True)
            return lambda: acls.standard.setdefault(name, []).append(
                StdLine(permit, addr, wc))
        start = self.i
        proto_word = self.take(*PROTOCOLS)
        never = False
        src, src_wc = self.address(False)
        if proto_word in ("tcp", "udp") and self.peek() in PORT_OPS:
            self.port_op()
            never = True
        dst, dst_wc = self.address(False)
        while True:
            kind = self.peek()
            if kind in PORT_OPS and proto_word in ("tcp", "udp"):
                self.port_op()
                never = True
            elif kind == "established" and proto_word == "tcp":
                self.take("established")
                never = True
            elif kind == "num" and proto_word in ("icmp", "igmp"):
                self.number()
                if proto_word == "icmp" and self.peek() == "num":
                    self.number()
                never = True
            elif kind in ("tos", "precedence"):
                self.take(kind)
                self.number()
            elif kind == "log":
                self.take("log")
            else:
                break
        text = " ".join(v for _, v in self.toks[start - 1:self.i])
        line = ExtLine(permit, PROTOCOLS[proto_word], src, src_wc, dst, dst_wc, never, text)
        return lambda: acls.extended.setdefault(name, []).append(line)

    def port_op(self):
        if self.take(*PORT_OPS) == "range":
            self.number()
        self.number()


def _error_text(tok):
    kind, val = tok
    if kind == "bad":
        return '"%s": syntax error at \'%s\'' % (val, val)
    if kind == "nl":
        return "syntax error at '\\n'"
    return "syntax error at '%s'" % val


def parse(text):
    """An AclSet from the text of an ACL file."""
    acls = AclSet()
    p = _Parser(tokenize(text))
    while True:
        kind = p.peek()
        if kind == "eof":
            break
        if kind == "nl":
            p.i += 1
            continue
        try:
            define = p.statement(acls)
            end = p.peek()
            if end == "eof":
                define()
                raise _Syntax(p.toks[p.i])
            p.take("nl")
        except _Syntax as e:
            acls.errors.append(_error_text(e.tok))
            break
        define()
    return acls


def load(path):
    """An AclSet from a file; an empty set (no error) when there is no such
    file, as the reference defers the failure to the list lookup.  A path
    that is there but cannot be read (a directory, no permission, larger
    than util.files.CONFIG_MAX) is FlowToolsError `open(PATH): reason`."""
    try:
        data = files.read(path)
    except FileNotFoundError:
        return AclSet()
    except OSError as e:
        raise FlowToolsError("open(%s): %s" % (path, files.reason(e))) from None
    return parse(data.decode("latin-1"))


# ---- compilation to program nodes ----------------------------------------

def _contiguous(wildcard):
    """True when the wildcard is 2**k - 1 (a prefix)."""
    return (wildcard & (wildcard + 1)) == 0


def _std_test(line, field):
    keep = ~line.wildcard & ALL
    if keep == 0:
        return program.TRUE
    return program.masked_equal(field, keep, line.addr & keep)


class _Cover:
    """Disjoint sorted intervals already decided by earlier lines."""

    def __init__(self):
        self.los = []
        self.his = []

    def claim(self, lo, hi):
        """The parts of [lo, hi] not yet covered (now covered)."""
        parts = []
        i = bisect.bisect_left(self.his, lo)
        cur = lo
        while i < len(self.los) and self.los[i] <= hi:
            if self.los[i] > cur:
                parts.append((cur, self.los[i] - 1))
            cur = max(cur, self.his[i] + 1)
            i += 1
        if cur <= hi:
            parts.append((cur, hi))
        for a, b in parts:
            j = bisect.bisect_left(self.los, a)
            self.los.insert(j, a)
            self.his.insert(j, b)
        return parts


def _merge(parts):
    out = []
    for lo, hi in sorted(parts):
        if out and out[-1][1] + 1 == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _ranges_node(field, parts):
    if not parts:
        return program.FALSE
    if parts == [(0, ALL)]:
        return program.TRUE
    return program.in_ranges(field, [(lo, hi, True) for lo, hi in _merge(parts)])


def standard_node(lines, field):
    """First-match chain of standard lines on an address field.  Runs of
    lines with prefix-shaped wildcards become two RANGES lookups each (the
    addresses they permit, those they deny), overlaps resolved in line
    order; other lines stay one masked compare each, and the chain is then
    guarded by a bitmap of the top 16 bits the permit lines allow (only a
    permit line can pass an address)."""
    rules = []
    cover = None
    permits = denies = None

    def flush():
        if cover is not None:
            rules.append((_ranges_node(field, permits), True))
            rules.append((_ranges_node(field, denies), False))

    for line in lines:
        if _contiguous(line.wildcard):
            if cover is None:
                cover, permits, denies = _Cover(), [], []
            lo = line.addr & ~line.wildcard & ALL
            parts = cover.claim(lo, lo | line.wildcard)
            (permits if line.permit else denies).extend(parts)
        else:
            flush()
            cover = None
            rules.append((_std_test(line, field), line.permit))
    flush()
    chain = _first(rules)
    if all(_contiguous(ln.wildcard) for ln in lines) or len(rules) < 4:
        return chain
    permits = [(ln.addr & ~ln.wildcard & ALL, ln.wildcard) for ln in lines if ln.permit]
    if not permits:
        return chain
    return program.And(_top16_guard(field, permits), chain)


def _first(rules):
    """First chain with implicit deny; trailing deny rules are redundant."""
    while rules and not rules[-1][1]:
        rules.pop()
    return program.First(rules, False)


def _ext_addr(field, addr, wildcard):
    keep = ~wildcard & ALL
    if addr & wildcard:
        return program.FALSE          # the list's address is not masked
    if keep == 0:
        return program.TRUE
    return program.masked_equal(field, keep, addr)


def _can_match(ln):
    return not ln.never and not (ln.src & ln.src_wc) and not (ln.dst & ln.dst_wc)


_GUARD_SPREAD = 10      # at most 2**10 top-16-bit values per line in a bitmap guard


def _top16_guard(field, blocks):
    """BITMAP test on the top 16 bits of the address: a value some block
    can have there.  For blocks with wildcards of any shape (the address is
    taken with its wildcard bits clear); TRUE when a block spreads too wide
    for the guard to help."""
    bits = 0
    for addr, wc in blocks:
        w16 = wc >> 16
        if bin(w16).count("1") > _GUARD_SPREAD:
            return program.TRUE
        base = (addr >> 16) & ~w16 & 0xFFFF
        sub = w16
        while True:                 # every value of the wildcard bits
            bits |= 1 << (base | sub)
            if not sub:
                break
            sub = (sub - 1) & w16
    if bits == (1 << 65536) - 1:
        return program.TRUE
    return program.bitmap(field, bits.to_bytes(8192, "little"), mask=0xFFFF0000, shift=16)


def _guard(field, blocks):
    """A test every address of the (addr, wildcard) blocks passes: one
    RANGES lookup when the wildcards are prefix-shaped, else a bitmap on the
    top 16 bits."""
    if not all(_contiguous(wc) for _, wc in blocks):
        return _top16_guard(field, blocks)
    cover = _Cover()
    parts = []
    for addr, wc in blocks:
        parts.extend(cover.claim(addr, addr | wc))
    return _ranges_node(field, parts)


def extended_node(lines):
    """First-match chain of extended lines.  A flow can only be permitted
    through a permit line, so the chain is guarded by one RANGES lookup
    per address field over the permit lines' blocks: most flows of a long
    list are then rejected by two lookups instead of the whole chain."""
    rules = []
    for ln in lines:
        if not _can_match(ln):
            cond = program.FALSE
        else:
            parts = [_ext_addr("srcaddr", ln.src, ln.src_wc),
                     _ext_addr("dstaddr", ln.dst, ln.dst_wc)]
            if ln.proto is not None:
                parts.append(program.compare("prot", "eq", ln.proto))
            cond = program.And(*parts)
        rules.append((cond, ln.permit))
    chain = _first(rules)
    permits = [ln for ln in lines if ln.permit and _can_match(ln)]
    if len(rules) < 4 or not permits:
        return chain
    return program.And(_guard("srcaddr", [(ln.src, ln.src_wc) for ln in permits]),
                       _guard("dstaddr", [(ln.dst, ln.dst_wc) for ln in permits]),
                       chain)
