"""TCP flag rules: the "TCP flags" method of the worm-hunting articles.

A probe that gets no answer (or whose answer the router does not see)
leaves a TCP flow whose cumulative flags are exactly SYN (0x02); a probe
of a closed port is answered by a flow whose flags are exactly RST|ACK
(0x14).  A rule is `(value, mask)`: a record matches when its protocol is
TCP (6) and `(tcp_flags & mask) == value`.  flow-synonly passes the
matching flows (one filter-program call per batch, csrc/filter.c);
flow-portrank counts them (csrc/portrank.c).
"""
from collections import namedtuple

from pyflowtools.core import filter as _c
from pyflowtools.core.native import layout
from pyflowtools.core.errors import FlowToolsError, UsageError
from pyflowtools.filters import program


class Rule(namedtuple("Rule", "value mask")):
    """TCP flows whose flags, masked with `mask`, equal `value`."""

    __slots__ = ()

    def __str__(self):
        if self.mask == 0xFF:
            return "0x%02x" % self.value
        return "0x%02x/0x%02x" % (self.value, self.mask)


SYN_ONLY = Rule(_c.TCP_SYN, 0xFF)
RST_ACK = Rule(_c.TCP_RST_ACK, 0xFF)


def _byte(text, what):
    """A number as C's strtoul reads it with base 0 (0x hex, leading 0
    octal, else decimal), as flow-filter's -T does; all of it must be
    digits."""
    t = text.strip()
    base = 16 if t[:2].lower() == "0x" else 8 if t[:1] == "0" and len(t) > 1 else 10
    digits = t[2:] if base == 16 else t
    try:
        if not digits or not digits.isalnum():
            raise ValueError(t)
        v = int(digits, base)
    except ValueError:
        raise UsageError("bad %s: %s" % (what, text)) from None
    if not 0 <= v <= 0xFF:
        raise UsageError("%s out of range 0-255: %s" % (what, text))
    return v


def parse_rule(text):
    """`value[/mask]` (decimal, 0x hex or 0 octal; mask 0xff by default)
    -> Rule.  A value with bits outside the mask could never match."""
    value, slash, mask = text.partition("/")
    v = _byte(value, "TCP flags value")
    m = _byte(mask, "TCP flags mask") if slash else 0xFF
    if v & ~m:
        raise UsageError("TCP flags value 0x%02x has bits outside mask 0x%02x: "
                         "no flow could match" % (v, m))
    return Rule(v, m)


def node(rule):
    """The filter-program tree of a rule."""
    flags = program.compare("tcp_flags", "eq", rule.value) if rule.mask == 0xFF \
        else program.masked_equal("tcp_flags", rule.mask, rule.value)
    return program.And(program.compare("prot", "eq", _c.TCP_PROT), flags)


def check_fields(rectype, fields=("prot", "tcp_flags")):
    """FlowToolsError when records of `rectype` lack one of `fields`."""
    version, method, _, have = layout(rectype)
    for f in fields:
        if f not in have:
            v = "%d.%d" % (version, method) if version == 8 else str(version)
            raise FlowToolsError("records of version %s have no %s field" % (v, f))


def filter_stream(rule, batches, rectype, wr):
    """Write the flows of `batches` matching `rule` to writer `wr`; one C
    filter call per batch.  Returns the number of records written."""
    check_fields(rectype)
    prog = program.compile(node(rule), rectype)
    for batch in batches:
        wr.write(prog.apply(batch))
    return wr.records_written
