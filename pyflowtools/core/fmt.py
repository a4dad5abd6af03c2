"""ftc_fmt_*: flow-print's formats (csrc/fmt.c) into a reusable text
buffer."""
from pyflowtools.core.errors import FlowToolsError, MissingField
from pyflowtools.core.native import check as _check, ffi, lib, rec_size

#: formats 0 .. COUNT-1 (REF_COUNT.. are pyflowtools' own); option bits
#: (-n, -w); text sizes
COUNT, NAMES, WIDE = lib.FTC_FMT_COUNT, lib.FTC_FMT_NAMES, lib.FTC_FMT_WIDE
REF_COUNT = lib.FTC_FMT_REF_COUNT
ADDR6_TEXT_MAX = lib.FTC_ADDR6_TEXT_MAX
LINE_MAX, HEADER_MAX = lib.FTC_FMT_LINE_MAX, lib.FTC_FMT_HEADER_MAX


def default(rectype):
    """The format flow-print uses without -f."""
    return lib.ftc_fmt_default(rectype)


def check(fmt, rectype):
    """True when format fmt (0 <= fmt < COUNT) can print rectype; False when
    there is no such format for it (one of ours on a type the reference
    reads); MissingField when the type lacks a field the format needs."""
    rc = lib.ftc_fmt_check(fmt, rectype)
    if rc == lib.FTC_EFIELD:
        raise MissingField()
    if rc == lib.FTC_EFORMAT:
        return False
    _check(rc, "format %d" % fmt)
    return True


def addr6(words):
    """flow-print's text of a 128-bit address given as four 32-bit words,
    most significant first (dotted quad when IPv4-mapped, else RFC 5952)."""
    w = ffi.new("uint32_t[4]", [x & 0xFFFFFFFF for x in words])
    out = ffi.new("char[]", ADDR6_TEXT_MAX)
    n = ffi.new("size_t *")
    _check(lib.ftc_fmt_addr6(w, out, ADDR6_TEXT_MAX, n), "address text")
    return ffi.buffer(out, n[0])[:].decode("ascii")


def symbols(fmt, opts):
    """Bit mask of the symbol tables format fmt reads with options opts."""
    return lib.ftc_fmt_symbols(fmt, opts)


def header(fmt, rectype, opts):
    """The column header of a format, as bytes."""
    buf = ffi.new("char[]", HEADER_MAX)
    n = ffi.new("size_t *")
    _check(lib.ftc_fmt_header(fmt, rectype, opts, buf, HEADER_MAX, n), "format header")
    return ffi.buffer(buf, n[0])[:]


class Text:
    """Records of `rectype` as the text of format `fmt` (options `opts`,
    names from `symtab`, a core.sym.SymTab or None), chunk by chunk in one
    reusable buffer of at least buffer_bytes.  `bogus` counts the records
    skipped for dPkts == 0 (the caller resets it)."""

    def __init__(self, rectype, fmt, opts, symtab=None, buffer_bytes=1 << 18):
        self.rectype, self.fmt, self.opts = rectype, fmt, opts
        self.bogus = 0
        self._rs = rec_size(rectype)
        self._symtab = symtab
        self._symptr = symtab.ptr if symtab is not None else ffi.NULL
        self._state = ffi.new("ftc_fmt_state_t *")
        self._buf = bytearray(max(buffer_bytes, LINE_MAX + 1))
        self._cbuf = ffi.from_buffer("char[]", self._buf)
        self._len = ffi.new("size_t *")
        self._consumed = ffi.new("size_t *")
        self._bogus = ffi.new("size_t *")

    def records(self, ptr, n):
        """Yield text chunks for n host-order records at cffi pointer ptr
        (each a memoryview of the buffer: use it before the next one)."""
        cap = len(self._buf)
        mv = memoryview(self._buf)
        rs = self._rs
        done = 0
        while done < n:
            rc = lib.ftc_fmt_records(ptr + done * rs, n - done, self.rectype, self.fmt,
                                     self.opts, self._symptr, self._state, self._cbuf,
                                     cap, self._len, self._consumed, self._bogus)
            if rc != lib.FTC_EFULL:
                _check(rc, "format %d" % self.fmt)
            done += self._consumed[0]
            self.bogus += self._bogus[0]
            if self._len[0]:
                yield mv[:self._len[0]]
            if rc == lib.FTC_EFULL and not self._consumed[0]:
                raise FlowToolsError("format buffer too small")

    def data(self, data):
        """All the text for host-order record bytes (tests, small inputs)."""
        n = len(data) // self._rs
        src = ffi.from_buffer("uint8_t[]", bytes(data) or b"\0")
        return b"".join(bytes(c) for c in self.records(src, n))
