"""flow-print's text formats (commands.md section 2) over the C formatter
(csrc/fmt.c): a Printer turns batches of host-order records into text chunks
in one reusable buffer.

    p = Printer(rd.header.rectype, fmt, names=True, wide=False, warn=cli.warn)
    out.write(p.header())
    for batch in rd:
        for chunk in p.format(batch):   # memoryview of the buffer: write it now
            out.write(chunk)
        p.bogus                          # records skipped for dPkts == 0 so far
"""
from pyflowtools.core.native import ffi, lib, check
from pyflowtools.core.errors import FlowToolsError

COUNT = lib.FTC_FMT_COUNT
NAMES = lib.FTC_FMT_NAMES
WIDE = lib.FTC_FMT_WIDE

BUFFER_BYTES = 1 << 18

BOGUS_MESSAGE = "Ignoring bogus flow dPkts=0"


class NoSuchFormat(FlowToolsError):
    """-f N with N outside 0..24 (flow-print: `No such format, N`)."""

    def __init__(self, fmt):
        FlowToolsError.__init__(self, "No such format, %d\n" % fmt)
        self.fmt = fmt


class MissingField(FlowToolsError):
    """The format needs a field the record version lacks (flow-print exits
    255 with this message)."""

    def __init__(self):
        FlowToolsError.__init__(self, "Flow record missing required field for format.")


def default_format(rectype):
    """The format flow-print uses without -f."""
    return lib.ftc_fmt_default(rectype)


def check_format(fmt, rectype):
    """Raise NoSuchFormat / MissingField unless fmt can print rectype."""
    if not 0 <= fmt < COUNT:
        raise NoSuchFormat(fmt)
    rc = lib.ftc_fmt_check(fmt, rectype)
    if rc == lib.FTC_EFIELD:
        raise MissingField()
    check(rc, "format %d" % fmt)


def symbol_mask(fmt, names=False, wide=False):
    """Which symbol tables format fmt reads (bit 0 protocol, 1 port, 2 AS,
    3 tag); 0 without names."""
    return lib.ftc_fmt_symbols(fmt, _opts(names, wide))


def _opts(names, wide):
    return (NAMES if names else 0) | (WIDE if wide else 0)


class Printer:
    """Format `fmt` for records of type `rectype`.

    names: symbolic names (-n); the symbol files the format uses are loaded
    here (only those), missing ones reported through warn().  `symbols` may
    give a prepared symbols.CTables instead.
    """

    def __init__(self, rectype, fmt, names=False, wide=False, symbols=None, warn=None,
                 buffer_bytes=BUFFER_BYTES):
        check_format(fmt, rectype)
        self.rectype = rectype
        self.fmt = fmt
        self.opts = _opts(names, wide)
        self.bogus = 0
        mask = lib.ftc_fmt_symbols(fmt, self.opts)
        if symbols is None and mask:
            from pyflowtools.report import symbols as _symbols
            symbols = _symbols.load_for(mask, warn)
        self._symbols = symbols
        self._symptr = symbols.ptr if symbols is not None else ffi.NULL
        self._state = ffi.new("ftc_fmt_state_t *")
        cap = max(buffer_bytes, lib.FTC_FMT_LINE_MAX + 1)
        self._buf = bytearray(cap)
        self._cbuf = ffi.from_buffer("char[]", self._buf)
        self._len = ffi.new("size_t *")
        self._consumed = ffi.new("size_t *")
        self._bogus = ffi.new("size_t *")

    def header(self):
        """The column header as bytes."""
        buf = ffi.new("char[]", lib.FTC_FMT_HEADER_MAX)
        check(lib.ftc_fmt_header(self.fmt, self.rectype, self.opts, buf,
                                 lib.FTC_FMT_HEADER_MAX, self._len), "format header")
        return ffi.buffer(buf, self._len[0])[:]

    def format_records(self, ptr, n):
        """Yield text chunks for n records at cffi pointer ptr (each chunk is
        a memoryview of the reusable buffer: use it before the next one)."""
        cap = len(self._buf)
        mv = memoryview(self._buf)
        rs = lib.ftc_layout_get(self.rectype).rec_size
        done = 0
        while done < n:
            rc = lib.ftc_fmt_records(ptr + done * rs, n - done, self.rectype, self.fmt,
                                     self.opts, self._symptr, self._state, self._cbuf,
                                     cap, self._len, self._consumed, self._bogus)
            if rc not in (lib.FTC_OK, lib.FTC_EFULL):
                check(rc, "format %d" % self.fmt)
            done += self._consumed[0]
            self.bogus += self._bogus[0]
            if self._len[0]:
                yield mv[:self._len[0]]
            if rc == lib.FTC_EFULL and not self._consumed[0]:
                raise FlowToolsError("format buffer too small")

    def format(self, batch):
        """Yield text chunks for a host-order Batch."""
        if batch.rectype != self.rectype:
            raise FlowToolsError("data version or sub version changed!")
        batch.to_host()
        return self.format_records(batch.ptr, batch.n)

    def format_bytes(self, data):
        """All the text for host-order record bytes (tests, small inputs)."""
        rs = lib.ftc_layout_get(self.rectype).rec_size
        n = len(data) // rs
        src = ffi.from_buffer("uint8_t[]", bytes(data) or b"\0")
        return b"".join(bytes(c) for c in self.format_records(src, n))
