"""Symbol files (`*.sym`): number <-> name tables (commands.md 1.7), and their
C form for the print formats (`ftc_symtab_t`).

File syntax: one `<number> <name>` per line; the number in C base
auto-detection (`0x1F` hex, `017` octal, else decimal; parsing stops at the
first character that is not a digit, so `6.1` is 6); the name is the rest of
the line without its surrounding blanks (it may contain spaces); blank lines
and lines starting with `#` are ignored.  When a number appears twice the
last name wins (number -> name); name -> number lookups are case-insensitive
and return the first number carrying the name.  A line without a number or
without a name makes the whole file fail to load (the reference then prints
numbers).

The parsing is C (ftc_sym_parse): asn.sym has ~64000 lines and `flow-print
-n` should start fast.  The five reference files live in the package data
folder (`data/`, see data/SOURCES.md); nothing is cached between processes and
a file is read only when asked for.
"""
import os

from pyflowtools.core import sym as _sym
from pyflowtools.core.errors import FormatError
from pyflowtools.util import files, paths

#: the reference's symbol files
PROT, PORT, AS, TAG, TYPE = "ip-prot", "tcp-port", "asn", "tag", "ip-type"

#: bits of ftc_fmt_symbols() -> (CTables argument, file)
MASK_FILES = ((1, "prot", PROT), (2, "port", PORT), (4, "asn", AS), (8, "tag", TAG))


def path(name):
    """Path of the symbol file "ip-prot" (or "ip-prot.sym"): the site's
    <sysconfdir>/sym/ip-prot.sym, else the shipped one (util.paths)."""
    if not name.endswith(".sym"):
        name += ".sym"
    return paths.site_file(paths.SYM, name)


def _read(name_or_path):
    p = name_or_path if os.sep in name_or_path else path(name_or_path)
    return files.read(p), p


def parse(data, what="symbol file"):
    """[(number, name)] in file order from the bytes (or str) of a .sym file.
    FormatError for a line without a number or without a name."""
    if isinstance(data, str):
        data = data.encode("latin-1")
    return _sym.parse_text(data, what)


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

    def text(self):
        """The table as .sym text (one line per number)."""
        return "".join("%d %s\n" % (k, v) for k, v in self.by_number.items())


def load(name_or_path):
    """Load a symbol file by table name ("asn") or path (containing a `/`).
    OSError when it cannot be read, FormatError when it is malformed."""
    data, p = _read(name_or_path)
    return SymbolTable(parse(data, p), p)


class CTables:
    """The C form of up to four tables (protocol, port, AS, tag) for the print
    formats.  Each argument is the bytes of a .sym file, a str, or a
    SymbolTable.  Keeps every buffer alive as long as the object lives; `ptr`
    is the `ftc_symtab_t *`.  A malformed text raises FormatError, or, with
    `on_error`, is reported through on_error(message) and left out."""

    def __init__(self, prot=None, port=None, asn=None, tag=None, what=None, on_error=None):
        texts = {}
        for key, val in (("prot", prot), ("port", port), ("asn", asn), ("tag", tag)):
            if val is None:
                continue
            if isinstance(val, SymbolTable):
                val = val.text()
            if isinstance(val, str):
                val = val.encode("latin-1")
            texts[key] = bytes(val)
        blob = bytearray()
        spans = {}
        for key, data in texts.items():
            spans[key] = (len(blob), len(data))
            blob += data
            blob.append(0)
        if not blob:
            blob.append(0)
        tab = _sym.SymTab(blob)
        for key, (base, length) in spans.items():
            try:
                keys, offs, n = tab.parse(base, length, texts[key].count(b"\n"),
                                          (what or {}).get(key, key + " symbols"))
            except FormatError as e:
                if on_error is None:
                    raise
                on_error(str(e))
                continue
            if key == "tag":
                last = dict(zip(keys[:n], offs[:n]))
                order = sorted(last)
                tab.set_tags(order, [last[k] for k in order])
            else:
                tab.set_table(key, keys, offs, n)
        self._tab = tab
        self.ptr = tab.ptr


def load_for(mask, warn=None):
    """CTables with the shipped files of bit mask `mask` (bit 0 protocol,
    1 port, 2 AS, 3 tag, as ftc_fmt_symbols() returns).  A file that cannot
    be read or parsed is reported through warn(message) and left out (its
    numbers are printed), as the reference does."""
    texts = {}
    where = {}
    for bit, key, name in MASK_FILES:
        if not mask & bit:
            continue
        try:
            data, p = _read(name)
        except OSError as e:
            if warn:
                warn("open(%s): %s" % (path(name), e.strerror or e))
            continue
        texts[key] = data
        where[key] = p
    return CTables(what=where, on_error=warn or (lambda message: None), **texts)
