"""Symbol files (`*.sym`): number <-> name tables (commands.md 1.7), and their
C form for the print formats (`ftc_symtab_t`).

File syntax: one `<number> <name>` per line; the number in C base
auto-detection (`0x1F` hex, `017` octal, else decimal); the name is the rest
of the line without its leading and trailing blanks (it may contain spaces);
blank lines and lines starting with `#` are ignored.  When a number appears
twice the last name wins (number -> name); name -> number lookups are
case-insensitive and return the first number carrying the name.  A number
without a name makes the whole file fail to load (the reference then prints
numbers).

The five reference files live in the package data folder (`data/`); nothing
is cached between processes and a table is loaded only when asked for.
"""
import os
from array import array

from pyflowtools.errors import FormatError

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

#: the reference's symbol files by table
PROT, PORT, AS, TAG, TYPE = "ip-prot", "tcp-port", "asn", "tag", "ip-type"

_BLANKS = " \t\r\n\v\f"


def path(name):
    """Path of a shipped symbol file ("ip-prot" or "ip-prot.sym")."""
    if not name.endswith(".sym"):
        name += ".sym"
    return os.path.join(DATA_DIR, name)


def parse_number(tok):
    """C strtoul(tok, NULL, 0) on a whole token: 0x hex, leading 0 octal.
    Returns None when the token does not start with a number."""
    t = tok.lower()
    if t.startswith("0x"):
        base, digits, t = 16, "0123456789abcdef", t[2:]
        if not t or t[0] not in digits:
            return 0          # strtoul parses the "0" and stops at "x"
    elif t.startswith("0"):
        base, digits = 8, "01234567"
    else:
        base, digits = 10, "0123456789"
    n = 0
    seen = False
    for ch in t:
        d = digits.find(ch)
        if d < 0:
            break
        n = n * base + d
        seen = True
    if not seen and base == 10:
        return None
    return n


def parse(text, what="symbol file"):
    """[(number, name)] in file order from the text of a .sym file.
    Raises FormatError for a number without a name or a line that does not
    start with a number."""
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip(_BLANKS)
        if not s or s[0] == "#":
            continue
        cut = 0
        while cut < len(s) and s[cut] not in _BLANKS:
            cut += 1
        num = parse_number(s[:cut])
        name = s[cut:].strip(_BLANKS)
        if num is None or not name:
            raise FormatError("%s line %d: expecting <number> <name>" % (what, lineno))
        out.append((num, name))
    return out


class SymbolTable:
    """A loaded symbol file: `name(number)` and `number(name)`."""

    def __init__(self, entries, source=None):
        self.source = source
        self.by_number = {}
        self.by_name = {}
        for num, name in entries:
            self.by_number[num] = name            # last duplicate wins
            self.by_name.setdefault(name.lower(), num)

    def __len__(self):
        return len(self.by_number)

    def name(self, number, default=None):
        return self.by_number.get(number, default)

    def number(self, name, default=None):
        """Case-insensitive name lookup."""
        return self.by_name.get(name.lower(), default)

    def items(self):
        return self.by_number.items()


def load(name_or_path):
    """Load a symbol file by table name ("asn") or path.  OSError when it
    cannot be read, FormatError when it is malformed."""
    p = name_or_path
    if os.sep not in p:
        p = path(p)
    with open(p, "rb") as f:
        text = f.read().decode("latin-1")
    return SymbolTable(parse(text, p), p)


class CTables:
    """The C form of up to four tables (protocol, port, AS, tag) for the print
    formats.  Keeps every buffer alive as long as the object lives; `ptr` is
    the `ftc_symtab_t *` (or ffi.NULL when no table is loaded)."""

    def __init__(self, prot=None, port=None, asn=None, tag=None):
        from pyflowtools._native import ffi, lib
        none = lib.FTC_SYM_NONE
        blob = bytearray()
        offsets = {}

        def offset(name):
            off = offsets.get(name)
            if off is None:
                off = offsets[name] = len(blob)
                blob.extend(name.encode("latin-1"))
                blob.append(0)
            return off

        def dense(table, size):
            if table is None:
                return None
            arr = array("I", [none]) * size
            for num, name in table.items():
                if 0 <= num < size:
                    arr[num] = offset(name)
            return arr

        self._prot = dense(prot, 256)
        self._port = dense(port, 65536)
        self._as = dense(asn, 65536)
        self._tag_key = self._tag_off = None
        if tag is not None:
            keys = sorted(k for k in tag.by_number if 0 <= k <= 0xFFFFFFFF)
            self._tag_key = array("I", keys)
            self._tag_off = array("I", (offset(tag.by_number[k]) for k in keys))
        self._blob = bytes(blob) or b"\0"
        self._keep = [self._blob]
        st = ffi.new("ftc_symtab_t *")
        st.blob = ffi.from_buffer("char[]", self._blob)
        self._keep.append(st.blob)
        for attr, arr in (("prot_off", self._prot), ("port_off", self._port),
                          ("as_off", self._as), ("tag_key", self._tag_key),
                          ("tag_off", self._tag_off)):
            if arr is not None:
                cptr = ffi.from_buffer("uint32_t[]", arr)
                self._keep.append(cptr)
                setattr(st, attr, cptr)
        st.n_tag = len(self._tag_key) if self._tag_key is not None else 0
        self.ptr = st


def load_for(mask, warn=None):
    """CTables with the tables of bit mask `mask` (bit 0 protocol, 1 port,
    2 AS, 3 tag, as ftc_fmt_symbols() returns).  A file that cannot be read
    or parsed is reported through warn(message) and left out (numbers are
    printed instead), as the reference does."""
    tables = {}
    for bit, key, name in ((1, "prot", PROT), (2, "port", PORT), (4, "asn", AS), (8, "tag", TAG)):
        if not mask & bit:
            continue
        try:
            tables[key] = load(name)
        except OSError as e:
            if warn:
                warn("open(%s): %s" % (path(name), e.strerror or e))
        except FormatError as e:
            if warn:
                warn(str(e))
    return CTables(**tables)
