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

IPv6 (pyflowtools, man flow-filter(1)): SOURCE/DEST may also be an IPv6
prefix `X:X::X/LEN`, `host X:X::X` or a bare `X:X::X` (= host, standard and
extended lines); PROTO also `icmp6` (58; a word, not a keyword, so it stays
usable as a list name).  Addresses are 128-bit: an IPv4 line matches the
IPv4-mapped form ::ffff:A.B.C.D (the IPv4 flows of v1006, every flow of
the IPv4 versions), an IPv6 prefix the addresses it holds (on the IPv4
versions only a prefix inside ::ffff:0:0/96 can match), `any` every address.

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
from pyflowtools.util import files, ipv4, ipv6

ALL = 0xFFFFFFFF
ALL6 = ipv6.ALL
#: address families of a line's address: `any`, a dotted quad with its
#: wildcard, an IPv6 prefix (addr = network, wildcard = host bits)
ANY, V4, V6 = "any", 4, 6

PROTOCOLS = {"ip": None, "tcp": 6, "udp": 17, "icmp": 1, "igmp": 2}
ICMP6 = "icmp6"          # a protocol word only where a protocol is expected
ICMP6_PROT = 58
PORT_OPS = ("eq", "neq", "lt", "gt", "range")
KEYWORDS = frozenset(("ip", "access-list", "standard", "extended", "permit", "deny",
                      "host", "any", "tcp", "udp", "icmp", "igmp", "eq", "neq", "lt", "gt",
                      "range", "established", "tos", "precedence", "log"))

_TOKEN_RE = r"""
    (?P<blank>[ \t]+)
  | (?P<comment>![^\n]*)
  | (?P<nl>\n)
  | (?P<addr6>[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(?:/[0-9]*)?)
  | (?P<addr>[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+)
  | (?P<num>[0-9]+)
  | (?P<word>access-list|[A-Za-z][A-Za-z0-9_]*)
  | (?P<bad>.)
"""
_token = None          # compiled on first use: `re` costs start-up time


def addr_text(family, addr, wildcard, standard=True):
    """A line's address as the ACL syntax writes it."""
    if family == ANY:
        return "any"
    if family == V6:
        if wildcard == 0:
            return "host " + ipaddr6(addr)
        return "%s/%d" % (ipaddr6(addr), 128 - wildcard.bit_length())
    return "%s %s" % (ipv4.text(addr), ipv4.text(wildcard))


def ipaddr6(a):
    """IPv6 text of a (mapped ones too: ::ffff:a.b.c.d, as an ACL says it)."""
    import ipaddress
    return ipaddress.IPv6Address(a).compressed


class StdLine:
    """A standard-list line: permit/deny addresses matching addr/wildcard
    (`family` V4: 32-bit, the mapped addresses; V6: a 128-bit prefix, the
    wildcard its host bits; ANY: every address)."""
    __slots__ = ("permit", "addr", "wildcard", "family")

    def __init__(self, permit, addr, wildcard, family=V4):
        self.permit, self.addr, self.wildcard, self.family = permit, addr, wildcard, family

    def __repr__(self):
        return "StdLine(%s %s)" % ("permit" if self.permit else "deny",
                                   addr_text(self.family, self.addr, self.wildcard))


class ExtLine:
    """An extended-list line.  `proto` None = any protocol; `never` marks a
    line with a port operator, `established` or an ICMP/IGMP type."""
    __slots__ = ("permit", "proto", "src", "src_wc", "dst", "dst_wc", "never", "text",
                 "src_family", "dst_family")

    def __init__(self, permit, proto, src, src_wc, dst, dst_wc, never=False, text="",
                 src_family=V4, dst_family=V4):
        self.permit, self.proto = permit, proto
        self.src, self.src_wc, self.dst, self.dst_wc = src, src_wc, dst, dst_wc
        self.never, self.text = never, text
        self.src_family, self.dst_family = src_family, dst_family

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
                fam = V4 if ln.family == ANY else ln.family   # any: as the reference
                out.append("ip access-list standard %s %s %s" % (
                    name, "permit" if ln.permit else "deny",
                    addr_text(fam, ln.addr, ln.wildcard)))
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

    # addresses -> (addr, wildcard, family)
    def address(self, standard):
        kind = self.peek()
        if kind == "any":
            self.take("any")
            return 0, ALL, ANY
        if kind == "host":
            self.take("host")
            if self.peek() == "addr6":
                return self.address6(host=True)
            return ipv4.scan(self.take("addr"), resolve=False), 0, V4
        if kind == "addr6":
            return self.address6()
        addr = ipv4.scan(self.take("addr"), resolve=False)
        if standard and self.peek() != "addr":
            return addr, 0, V4
        return addr, ipv4.scan(self.take("addr"), resolve=False), V4

    def address6(self, host=False):
        """X:X::X/LEN (the network: bits past LEN cleared) or X:X::X (a
        host); a malformed one is a syntax error at its token."""
        tok = self.toks[self.i]
        text = self.take("addr6")
        try:
            if host and "/" in text:
                raise ValueError(text)
            net, length = ipv6.parse_prefix(text)
        except ValueError:
            raise _Syntax(tok) from None
        return net, ipv6.ALL >> length if length < 128 else 0, V6

    def proto_next(self):
        """Is the next token a protocol word?"""
        kind, val = self.toks[self.i]
        return kind in PROTOCOLS or (kind == "word" and val == ICMP6)

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
        if kind == "standard" or (kind is None and not self.proto_next()):
            addr, wc, fam = self.address(True)
            return lambda: acls.standard.setdefault(name, []).append(
                StdLine(permit, addr, wc, fam))
        start = self.i
        if self.toks[self.i] == ("word", ICMP6):
            self.i += 1
            proto_word, proto = ICMP6, ICMP6_PROT
        else:
            proto_word = self.take(*PROTOCOLS)
            proto = PROTOCOLS[proto_word]
        never = False
        src, src_wc, src_fam = self.address(False)
        if proto_word in ("tcp", "udp") and self.peek() in PORT_OPS:
            self.port_op()
            never = True
        dst, dst_wc, dst_fam = self.address(False)
        while True:
            kind = self.peek()
            if kind in PORT_OPS and proto_word in ("tcp", "udp"):
                self.port_op()
                never = True
            elif kind == "established" and proto_word == "tcp":
                self.take("established")
                never = True
            elif kind == "num" and proto_word in ("icmp", "igmp", ICMP6):
                self.number()
                if proto_word in ("icmp", ICMP6) and self.peek() == "num":
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
        line = ExtLine(permit, proto, src, src_wc, dst, dst_wc, never, text, src_fam, dst_fam)
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
#
# Lines become 128-bit address tests (program.addr_ranges / addr_masked),
# which program.compile lowers for the record type: on the IPv4 versions
# to exactly the 32-bit RANGES / MASKEQ tests of the reference's rules, on
# v1006 to RANGES6 lookups over the address group.

def _contiguous(wildcard):
    """True when the wildcard is 2**k - 1 (a prefix)."""
    return (wildcard & (wildcard + 1)) == 0


def _span(family, addr, wildcard):
    """The 128-bit [lo, hi] of a prefix-shaped address (the address taken
    with its wildcard bits clear), or None for a non-prefix IPv4 wildcard."""
    if family == ANY:
        return 0, ALL6
    if family == V6:
        return addr, addr | wildcard
    if not _contiguous(wildcard):
        return None
    lo = ipv6.mapped(addr & ~wildcard & ALL)
    return lo, lo | wildcard


def _v4_masked(field, addr, wildcard):
    """(address & ~wildcard) == addr over the mapped addresses."""
    keep = ~wildcard & ALL
    return program.addr_masked(field, (ALL6 ^ ALL) | keep, ipv6.mapped(addr & keep))


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
    if parts == [(0, ALL6)]:
        return program.TRUE
    return program.addr_ranges(field, [(lo, hi, True) for lo, hi in _merge(parts)])


def standard_node(lines, field):
    """First-match chain of standard lines on an address field.  Runs of
    lines with prefix-shaped addresses (IPv4 prefix wildcards, IPv6
    prefixes, any) become two range lookups each (the addresses they
    permit, those they deny), overlaps resolved in line order; other lines
    stay one masked compare each, and the chain is then guarded by a bitmap
    of the top 16 bits of the last word the permit lines allow (only a
    permit line can pass an address; not when one is IPv6)."""
    rules = []
    cover = None
    permits = denies = None

    def flush():
        if cover is not None:
            rules.append((_ranges_node(field, permits), True))
            rules.append((_ranges_node(field, denies), False))

    for line in lines:
        span = _span(line.family, line.addr, line.wildcard)
        if span is not None:
            if cover is None:
                cover, permits, denies = _Cover(), [], []
            parts = cover.claim(*span)
            (permits if line.permit else denies).extend(parts)
        else:
            flush()
            cover = None
            rules.append((_v4_masked(field, line.addr, line.wildcard), line.permit))
    flush()
    chain = _first(rules)
    if all(_span(ln.family, ln.addr, ln.wildcard) for ln in lines) or len(rules) < 4:
        return chain
    if any(ln.permit and ln.family == V6 for ln in lines):
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


def _ext_addr(field, family, addr, wildcard):
    if family == ANY:
        return program.TRUE
    if family == V6:
        return program.addr_ranges(field, [(addr, addr | wildcard, True)])
    if addr & wildcard:
        return program.FALSE          # the list's address is not masked
    return _v4_masked(field, addr, wildcard)


def _can_match(ln):
    return not ln.never and not (ln.src_family == V4 and ln.src & ln.src_wc) \
        and not (ln.dst_family == V4 and ln.dst & ln.dst_wc)


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
    """A test every address of the (family, addr, wildcard) blocks passes:
    one range lookup when they are prefix-shaped, else a bitmap on the top
    16 bits of the last word (IPv4 blocks only; TRUE with an IPv6 one)."""
    spans = [_span(*b) for b in blocks]
    if all(spans):
        cover = _Cover()
        parts = []
        for span in spans:
            parts.extend(cover.claim(*span))
        return _ranges_node(field, parts)
    if any(fam == V6 for fam, _, _ in blocks):
        return program.TRUE
    return _top16_guard(field, [(addr, wc) for _, addr, wc in blocks])


def extended_node(lines):
    """First-match chain of extended lines.  A flow can only be permitted
    through a permit line, so the chain is guarded by one range lookup
    per address field over the permit lines' blocks: most flows of a long
    list are then rejected by two lookups instead of the whole chain."""
    rules = []
    for ln in lines:
        if not _can_match(ln):
            cond = program.FALSE
        else:
            parts = [_ext_addr("srcaddr", ln.src_family, ln.src, ln.src_wc),
                     _ext_addr("dstaddr", ln.dst_family, ln.dst, ln.dst_wc)]
            if ln.proto is not None:
                parts.append(program.compare("prot", "eq", ln.proto))
            cond = program.And(*parts)
        rules.append((cond, ln.permit))
    chain = _first(rules)
    permits = [ln for ln in lines if ln.permit and _can_match(ln)]
    if len(rules) < 4 or not permits:
        return chain
    return program.And(
        _guard("srcaddr", [(ln.src_family, ln.src, ln.src_wc) for ln in permits]),
        _guard("dstaddr", [(ln.dst_family, ln.dst, ln.dst_wc) for ln in permits]),
        chain)
