"""Parsing helpers of commands.md 1.7 shared by the filter front ends:
numeric lists (flow-filter -i -I -p -P -r -a -A -t -T, flow-dscan -i -I)
and IPv4 addresses as the reference scans them.

Numeric lists: comma-separated items, each a number or `a-b`; numbers use
C base auto-detection (`0x50`, `080` = 0 as octal stops at the 8) and any
text after a number up to the next comma is ignored (`-r tcp` means 0).
A leading `!` inverts the whole list.  `a-` means `a`; `b-a` with b > a
means `b`; empty items are skipped; blanks may follow a comma.  A value
below 0 or >= the table size fails the whole list (`load_lookup():
failed`).
"""
from pyflowtools.core.errors import UsageError
from pyflowtools.util import numbers

PORT_TABLE = 1 << 16        # -i -I -p -P -a -A
BYTE_TABLE = 1 << 8         # -r -t -T

LOOKUP_FAILED = "load_lookup(): failed"


class ListError(UsageError):
    """A numeric list the reference refuses (`load_lookup(): failed`)."""

    def __init__(self, msg=LOOKUP_FAILED):
        UsageError.__init__(self, msg)


def strtol(text, pos=0):
    """C strtol(text + pos, &end, 0): (value, end).  Leading blanks and a
    sign are accepted; no digits gives (0, pos), as C does; past the C
    range LONG_MIN/LONG_MAX (util.numbers)."""
    value, rest = numbers.strtol(text[pos:], 0)
    return value, len(text) - len(rest)


_HEX = "0123456789abcdef"


def parse_bits(text, size=PORT_TABLE):
    """The list as an int whose bit v is set when value v is selected
    (the `!` inversion already applied).  ListError on a value out of
    0..size-1."""
    invert = text.startswith("!")
    if invert:
        text = text[1:]
    bits = 0
    for item in text.split(","):
        if not item:
            continue
        lo, end = strtol(item)
        hi = lo
        if end < len(item) and item[end] == "-":
            hi, _ = strtol(item, end + 1)
        if lo < 0 or lo >= size or hi < 0 or hi >= size:
            raise ListError()
        hi = max(lo, hi)
        bits |= ((1 << (hi - lo + 1)) - 1) << lo
    if invert:
        bits ^= (1 << size) - 1
    return bits


def parse(text, size=PORT_TABLE):
    """The set of values a list selects (a frozenset of ints)."""
    bits = parse_bits(text, size)
    out = []
    v = 0
    while bits:
        if bits & 0xFFFFFFFF == 0:
            bits >>= 32
            v += 32
            continue
        if bits & 1:
            out.append(v)
        bits >>= 1
        v += 1
    return frozenset(out)


def bitmap_of(text, size=PORT_TABLE):
    """The list as the bitmap the C engine reads: bytes, bit v&7 of byte
    v>>3 set when v is selected."""
    return parse_bits(text, size).to_bytes((size + 7) // 8, "little")


def split_mask(text, default_mask=0xFF):
    """`list[/mask]` of -t and -T: (list text, mask).  The mask is a C
    base-auto-detected number, kept to 8 bits (the fields are bytes);
    without one it is `default_mask`."""
    lst, slash, mask_text = text.partition("/")
    if not slash:
        return lst, default_mask
    return lst, strtol(mask_text)[0] & 0xFF

