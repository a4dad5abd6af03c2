"""IPv6 addresses as text: the one parser and printer of 128-bit addresses
for configs, options and reports (v1006 records, man/flow-tools-v1006.5).

Addresses are unsigned 128-bit ints, most significant bit first; an IPv4
address is its mapped form ::ffff:A.B.C.D (`mapped`), and prints as the
dotted quad, as the C printer ftc_fmt_addr6 (flow-print) does.  Text with a
':' is IPv6; anything else goes to util.ipv4, so one parser serves both."""
from pyflowtools.util import ipv4

__all__ = ["MAPPED", "ALL", "mapped", "is_mapped", "words", "from_words", "text",
           "parse", "parse_prefix", "parse_any", "parse_prefix_any", "is_v6_text",
           "mask", "prefix_text"]

ALL = (1 << 128) - 1
MAPPED = 0xFFFF << 32          # ::ffff:0:0/96


def mapped(a4):
    """The IPv4-mapped IPv6 address of a host-order u32."""
    return MAPPED | (a4 & 0xFFFFFFFF)


def is_mapped(a):
    return a >> 32 == 0xFFFF


def words(a):
    """(w0, w1, w2, w3), most significant first: srcaddr6_0, _1, _2, srcaddr."""
    return (a >> 96 & 0xFFFFFFFF, a >> 64 & 0xFFFFFFFF, a >> 32 & 0xFFFFFFFF, a & 0xFFFFFFFF)


def from_words(w0, w1, w2, w3):
    return (w0 << 96) | (w1 << 64) | (w2 << 32) | w3


def mask(length):
    """The 128-bit netmask of a prefix length 0..128."""
    return (ALL << (128 - length)) & ALL if length else 0


def text(a):
    """A dotted quad when IPv4-mapped, else RFC 5952 (lower case, the
    longest run of two or more zero groups compressed, the first on a tie)."""
    if is_mapped(a):
        return ipv4.text(a & 0xFFFFFFFF)
    import ipaddress        # imported when first needed: the commands start 10 ms sooner
    return ipaddress.IPv6Address(a).compressed


def is_v6_text(value):
    return ":" in value


def parse(value):
    """Strict IPv6 text -> int (no zone index).  ValueError otherwise."""
    import ipaddress
    v = value.strip()
    if "%" in v or "/" in v:
        raise ValueError("bad IPv6 address: %s" % value)
    try:
        return int(ipaddress.IPv6Address(v))
    except ValueError:
        raise ValueError("bad IPv6 address: %s" % value) from None


def parse_prefix(value, exact=False):
    """X:Y::Z[/len] -> (network int, length 0..128).  The address is masked,
    or, with `exact`, address bits past the length are a ValueError."""
    addr, slash, ln = value.strip().partition("/")
    a = parse(addr)
    if slash:
        if not ln.isdigit() or int(ln) > 128:
            raise ValueError("bad prefix length in '%s'" % value)
        n = int(ln)
    else:
        n = 128
    m = mask(n)
    if exact and a & ~m & ALL:
        raise ValueError("'%s' has address bits beyond /%d" % (value, n))
    return a & m, n


def parse_any(value):
    """IPv6 text, or a dotted quad (strict, util.ipv4.parse) as its mapped
    address -> int."""
    if is_v6_text(value):
        return parse(value)
    return mapped(ipv4.parse(value))


def parse_prefix_any(value, exact=False):
    """An IPv6 prefix, or an IPv4 one as its mapped prefix (length + 96)
    -> (network int, length 0..128)."""
    if is_v6_text(value):
        return parse_prefix(value, exact)
    a, n = ipv4.parse_prefix(value, exact)
    return mapped(a), n + 96


def prefix_text(net, length):
    """The text of a prefix as parse_prefix_any reads it: an IPv4-mapped
    one (length >= 96) as A.B.C.D/LEN-96, any other as text(net)/LEN; the
    length is left out when it is the whole address (/32, /128)."""
    if length >= 96 and is_mapped(net):
        a, n = ipv4.text(net & 0xFFFFFFFF), length - 96
        return a if n == 32 else "%s/%d" % (a, n)
    return text(net) if length == 128 else "%s/%d" % (text(net), length)
