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
from array import array

from pyflowtools.core.native import ffi, lib
from pyflowtools.core.errors import FormatError
from pyflowtools.util import paths

#: the reference's symbol files
PROT, PORT, AS, TAG, TYPE = "ip-prot", "tcp-port", "asn", "tag", "ip-type"

#: bits of ftc_fmt_symbols() -> (CTables argument, file)
MASK_FILES = ((1, "prot", PROT), (2, "port", PORT), (4, "asn", AS), (8, "tag", TAG))


def path(name):
    """Path of a shipped symbol file ("ip-prot" or "ip-prot.sym")."""
    if not name.endswith(".sym"):
        name += ".sym"
    return paths.shipped(name)


def _read(name_or_path):
    p = name_or_path if os.sep in name_or_path else path(name_or_path)
    with open(p, "rb") as f:
        return f.read(), p


class _Parsed:
    """The C parse of one file's text inside a shared blob: `keys[:n]` and
    `offs[:n]` (name offsets in the blob), in file order."""

    def __init__(self, cblob, base, length, count_hint, what):
        cap = count_hint + 1
        self.keys = array("I", bytes(4 * cap))
        self.offs = array("I", bytes(4 * cap))
        n = ffi.new("size_t *")
        bad = ffi.new("size_t *")
        rc = lib.ftc_sym_parse(cblob + base, length, base,
                               ffi.from_buffer("uint32_t[]", self.keys),
                               ffi.from_buffer("uint32_t[]", self.offs), cap, n, bad)
        if rc == lib.FTC_EFORMAT:
            raise FormatError("%s line %d: expecting <number> <name>" % (what, bad[0]))
        if rc != lib.FTC_OK:
            raise FormatError("%s: %s" % (what, ffi.string(lib.ftc_strerror(rc)).decode()))
        self.n = n[0]


def parse(data, what="symbol file"):
    """[(number, name)] in file order from the bytes (or str) of a .sym file.
    FormatError for a line without a number or without a name."""
    if isinstance(data, str):
        data = data.encode("latin-1")
    blob = bytearray(data)
    blob.append(0)
    p = _Parsed(ffi.from_buffer("uint8_t[]", blob), 0, len(data), data.count(b"\n"), what)
    out = []
    for i in range(p.n):
        off = p.offs[i]
        out.append((p.keys[i], blob[off:blob.index(0, off)].decode("latin-1")))
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

    _SIZES = {"prot": 256, "port": 65536, "asn": 65536}

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
        self._blob = blob
        cblob = ffi.from_buffer("uint8_t[]", blob)
        self._keep = [cblob]
        st = ffi.new("ftc_symtab_t *")
        st.blob = ffi.cast("char *", cblob)
        st.blob_len = len(blob)
        for key, (base, length) in spans.items():
            try:
                parsed = _Parsed(cblob, base, length, texts[key].count(b"\n"),
                                 (what or {}).get(key, key + " symbols"))
            except FormatError as e:
                if on_error is None:
                    raise
                on_error(str(e))
                continue
            if key == "tag":
                last = dict(zip(parsed.keys[:parsed.n], parsed.offs[:parsed.n]))
                order = sorted(last)
                tag_key = array("I", order)
                tag_off = array("I", (last[k] for k in order))
                for attr, arr in (("tag_key", tag_key), ("tag_off", tag_off)):
                    cptr = ffi.from_buffer("uint32_t[]", arr)
                    self._keep += [arr, cptr]
                    setattr(st, attr, cptr)
                st.n_tag = len(order)
                continue
            size = self._SIZES[key]
            table = array("I", bytes(4 * size))
            cptr = ffi.from_buffer("uint32_t[]", table)
            lib.ftc_sym_index(ffi.from_buffer("uint32_t[]", parsed.keys),
                              ffi.from_buffer("uint32_t[]", parsed.offs), parsed.n, cptr, size)
            self._keep += [table, cptr]
            setattr(st, key + "_off" if key != "asn" else "as_off", cptr)
        self.ptr = st


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
