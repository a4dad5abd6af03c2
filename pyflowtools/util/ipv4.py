"""IPv4 addresses as text: the one dotted-quad printer and the parsers
every command uses.  Addresses are host-order unsigned 32-bit ints, as in
the records."""
__all__ = ["text", "scan", "parse", "parse_prefix", "from_socket"]


def text(a):
    """Dotted quad of a host-order u32."""
    return "%d.%d.%d.%d" % (a >> 24 & 255, a >> 16 & 255, a >> 8 & 255, a & 255)


def scan(value, resolve=True):
    """An address as flow-tools scans option values: text with a letter is
    first resolved as a host name (when `resolve`); else (or when that
    fails) dotted decimal, octet by octet, missing trailing octets zero
    (`10.1` = 10.1.0.0).  Characters other than digits and dots give
    garbage, not an error (each adds its code minus '0'), as the reference.
    A NUL ends the text, as it ends the reference's C string."""
    value = value.split("\0", 1)[0]
    if resolve and any(c.isalpha() for c in value):
        import socket
        try:
            packed = socket.inet_aton(socket.gethostbyname(value))
            return int.from_bytes(packed, "big")
        except (OSError, UnicodeError, ValueError):
            pass
    addr = 0
    octets = value.split(".")[:4]
    for part in octets:
        n = 0
        for ch in part:
            n = n * 10 + (ord(ch) - 48)
        addr = (addr << 8) | (n & 0xFF)
    return (addr << (8 * (4 - len(octets)))) & 0xFFFFFFFF


def parse(value):
    """Strict dotted quad -> u32; missing trailing octets are 0 (`10.1` =
    10.1.0.0, as the reference).  ValueError on anything else."""
    parts = value.strip().split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise ValueError("bad IPv4 address: %s" % value)
    parts = [int(p) for p in parts] + [0] * (4 - len(parts))
    return (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]


def parse_prefix(value, exact=False):
    """A.B.C.D[/len] -> (network u32, length).  The address is masked, or,
    with `exact`, address bits past the length are a ValueError."""
    addr, slash, ln = value.strip().partition("/")
    a = parse(addr)
    if slash:
        if not ln.isdigit() or int(ln) > 32:
            raise ValueError("bad prefix length in '%s'" % value)
        n = int(ln)
    else:
        n = 32
    mask = (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF if n else 0
    if exact and a & ~mask & 0xFFFFFFFF:
        raise ValueError("'%s' has address bits beyond /%d" % (value, n))
    return a & mask, n


def from_socket(addr):
    """Host-order u32 of a socket address text (IPv4, or IPv4-mapped IPv6;
    0 for any other IPv6 address)."""
    import ipaddress
    a = ipaddress.ip_address(addr)
    if a.version == 6:
        a = a.ipv4_mapped
        if a is None:
            return 0
    return int(a)
