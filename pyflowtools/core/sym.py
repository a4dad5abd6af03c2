"""ftc_sym_*: symbol file text -> number/name-offset tables, and the
ftc_symtab_t the print formats read names through."""
from array import array

from pyflowtools.core.native import check, error, ffi, lib

#: entries of the number -> name-offset table of each kind
SIZES = {"prot": 256, "port": 65536, "asn": 65536}
_FIELD = {"prot": "prot_off", "port": "port_off", "asn": "as_off"}


class SymTab:
    """Names in one blob (bytes of .sym texts, each ended by a NUL) and the
    ftc_symtab_t over it (`ptr`).  Keeps every buffer alive as long as it
    lives."""

    def __init__(self, blob):
        self._blob = bytearray(blob) or bytearray(1)
        self._cblob = ffi.from_buffer("uint8_t[]", self._blob)
        self._keep = []
        self.ptr = ffi.new("ftc_symtab_t *")
        self.ptr.blob = ffi.cast("char *", self._cblob)
        self.ptr.blob_len = len(self._blob)

    def parse(self, base, length, count_hint, what):
        """(keys, offs, n): the entries of the text at blob[base:base +
        length], names as offsets in the blob, in file order.  FormatError
        `what line N: expecting <number> <name>` for a bad line."""
        return parse(self._cblob, base, length, count_hint, what)

    def set_table(self, kind, keys, offs, n):
        """Use entries [0, n) as the `kind` table (prot, port or asn); the
        last of a repeated number wins."""
        size = SIZES[kind]
        table = array("I", bytes(4 * size))
        cptr = ffi.from_buffer("uint32_t[]", table)
        check(lib.ftc_sym_index(ffi.from_buffer("uint32_t[]", keys),
                                ffi.from_buffer("uint32_t[]", offs), n, cptr, size))
        self._keep += [table, cptr]
        setattr(self.ptr, _FIELD[kind], cptr)

    def set_tags(self, keys, offs):
        """The tag table: sorted keys and their name offsets."""
        for attr, values in (("tag_key", keys), ("tag_off", offs)):
            arr = array("I", values)
            cptr = ffi.from_buffer("uint32_t[]", arr)
            self._keep += [arr, cptr]
            setattr(self.ptr, attr, cptr)
        self.ptr.n_tag = len(keys)


def parse(cblob, base, length, count_hint, what):
    """ftc_sym_parse over a blob pointer (see SymTab.parse)."""
    cap = count_hint + 1
    keys = array("I", bytes(4 * cap))
    offs = array("I", bytes(4 * cap))
    n = ffi.new("size_t *")
    bad = ffi.new("size_t *")
    rc = lib.ftc_sym_parse(cblob + base, length, base, ffi.from_buffer("uint32_t[]", keys),
                           ffi.from_buffer("uint32_t[]", offs), cap, n, bad)
    if rc == lib.FTC_EFORMAT:
        raise error(rc, message="%s line %d: expecting <number> <name>" % (what, bad[0]))
    check(rc, what)
    return keys, offs, n[0]


def parse_text(data, what):
    """[(number, name)] in file order from the bytes of a .sym file."""
    blob = bytearray(data)
    blob.append(0)
    keys, offs, n = parse(ffi.from_buffer("uint8_t[]", blob), 0, len(data),
                          data.count(b"\n"), what)
    return [(keys[i], blob[offs[i]:blob.index(0, offs[i])].decode("latin-1"))
            for i in range(n)]
