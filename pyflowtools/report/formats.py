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
from pyflowtools.core import fmt as _fmt
from pyflowtools.core.errors import FlowToolsError, MissingField

COUNT = _fmt.COUNT
REF_COUNT = _fmt.REF_COUNT
NAMES = _fmt.NAMES
WIDE = _fmt.WIDE

BUFFER_BYTES = 1 << 18

BOGUS_MESSAGE = "Ignoring bogus flow dPkts=0"

__all__ = ["COUNT", "REF_COUNT", "NAMES", "WIDE", "BOGUS_MESSAGE", "NoSuchFormat", "MissingField",
           "default_format", "check_format", "symbol_mask", "Printer"]


class NoSuchFormat(FlowToolsError):
    """-f N with N outside 0..24, or 25 on other records than v1006
    (flow-print: `No such format, N`)."""

    def __init__(self, fmt):
        FlowToolsError.__init__(self, "No such format, %d\n" % fmt)
        self.fmt = fmt


def default_format(rectype):
    """The format flow-print uses without -f."""
    return _fmt.default(rectype)


def check_format(fmt, rectype):
    """Raise NoSuchFormat / MissingField (flow-print exits 255 with its
    message) unless fmt can print rectype."""
    if not 0 <= fmt < COUNT or not _fmt.check(fmt, rectype):
        raise NoSuchFormat(fmt)


def symbol_mask(fmt, names=False, wide=False):
    """Which symbol tables format fmt reads (bit 0 protocol, 1 port, 2 AS,
    3 tag); 0 without names."""
    return _fmt.symbols(fmt, _opts(names, wide))


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
        mask = _fmt.symbols(fmt, self.opts)
        if symbols is None and mask:
            from pyflowtools.report import symbols as _symbols
            symbols = _symbols.load_for(mask, warn)
        self._text = _fmt.Text(rectype, fmt, self.opts, symbols, buffer_bytes)

    @property
    def bogus(self):
        """Records skipped for dPkts == 0 since the last reset (set it to 0)."""
        return self._text.bogus

    @bogus.setter
    def bogus(self, value):
        self._text.bogus = value

    def header(self):
        """The column header as bytes."""
        return _fmt.header(self.fmt, self.rectype, self.opts)

    def format_records(self, ptr, n):
        """Yield text chunks for n records at cffi pointer ptr (each chunk is
        a memoryview of the reusable buffer: use it before the next one)."""
        return self._text.records(ptr, n)

    def format(self, batch):
        """Yield text chunks for a host-order Batch."""
        if batch.rectype != self.rectype:
            raise FlowToolsError("data version or sub version changed!")
        batch.to_host()
        return self._text.records(batch.ptr, batch.n)

    def format_bytes(self, data):
        """All the text for host-order record bytes (tests, small inputs)."""
        return self._text.data(data)
