"""Numbers in option values and config words, read as the C library of the
reference reads them (glibc on LP64), never into integers wider than the
machine's: the one scanner behind cli.atoi, cli.strtoul, cli.integer and
the library's version and size parsers (issue 13: 20- or 5,000-digit values
gave OverflowError or ValueError tracebacks).

    strtol(text, base)    -> (value, rest)  clamped to [LONG_MIN, LONG_MAX]
    strtoul(text, base)   -> (value, rest)  clamped to ULONG_MAX, `-x` gives -x
    atoi(text)            (int)strtol(text, 10): the low 32 bits, signed
    uint_prefix(text)     sscanf("%u"): leading digits (after blanks) -> u32, rest
    ranged(text, lo, hi)  a whole decimal in [lo, hi], else NumberError

Digits past the clamp are consumed, never multiplied: a value of any
length costs one pass."""
LONG_MAX = (1 << 63) - 1
LONG_MIN = -(1 << 63)
ULONG_MAX = (1 << 64) - 1
UINT_MAX = (1 << 32) - 1
INT_MAX = (1 << 31) - 1

_BLANKS = " \t\n\r\f\v"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


class NumberError(ValueError):
    """A value that is not a number in the range asked for (its text is
    the one-line message)."""


def _scan(text, base, limit):
    """(sign, magnitude clamped to limit + 1, rest, any digits) of the C
    strto* syntax: blanks, sign, 0x/0 prefixes for base 0 or 16."""
    s = text.lstrip(_BLANKS)
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if base in (0, 16) and s[:2].lower() == "0x" and s[2:3].lower() in _DIGITS[:16] \
            and s[2:3]:
        base, s = 16, s[2:]
    elif base == 0:
        base = 8 if s[:1] == "0" else 10
    n = 0
    i = 0
    for ch in s:
        d = _DIGITS.find(ch.lower()) if ch.isascii() else -1
        if d < 0 or d >= base:
            break
        if n <= limit:
            n = n * base + d
        i += 1
    return sign, min(n, limit + 1), s[i:], i > 0


def strtol(text, base=10):
    """C strtol: (value clamped to [LONG_MIN, LONG_MAX], rest); no digits
    gives (0, text)."""
    sign, n, rest, any_ = _scan(text, base, LONG_MAX)
    if not any_:
        return 0, text
    if sign < 0:
        return max(-n, LONG_MIN), rest
    return min(n, LONG_MAX), rest


def strtoul(text, base=0):
    """C strtoul: (value, rest); past ULONG_MAX it is ULONG_MAX; a minus
    sign gives the negative value (the caller masks it to its C width,
    as C negates modulo 2**64)."""
    sign, n, rest, any_ = _scan(text, base, ULONG_MAX)
    if not any_:
        return 0, text
    if n > ULONG_MAX:
        return ULONG_MAX, rest
    return -n if sign < 0 else n, rest


def atoi(text):
    """C atoi on glibc LP64: (int)strtol(text, NULL, 10), the low 32 bits
    as a signed int (99999999999999999999 -> LONG_MAX -> -1)."""
    v = strtol(text, 10)[0] & UINT_MAX
    return v - (1 << 32) if v > INT_MAX else v


def uint_prefix(text):
    """sscanf("%u") of a version word: (value as a u32, rest) after
    blanks and digits only (no sign), or (None, text) when no digit."""
    s = text.lstrip(_BLANKS)
    if not s[:1].isdigit() or not s[:1].isascii():
        return None, text
    v, rest = strtoul(s, 10)
    return v & UINT_MAX, rest


def ranged(text, lo, hi, what="value"):
    """A whole decimal (blanks around it allowed, a sign only when lo < 0)
    in [lo, hi]; NumberError `bad number: TEXT` or `WHAT out of range
    (LO..HI): TEXT` otherwise."""
    t = text.strip(_BLANKS)
    body = t[1:] if t[:1] in "+-" and lo < 0 else t
    if not body or not (body.isascii() and body.isdigit()):
        raise NumberError("bad number: %s" % text)
    v = strtol(t, 10)[0]
    if not lo <= v <= hi or len(body.lstrip("0")) > 19:
        raise NumberError("%s out of range (%d..%d): %s" % (what, lo, hi, _short(text)))
    return v


def _short(text, width=40):
    return text if len(text) <= width else text[:width] + "..."
