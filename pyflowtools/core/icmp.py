"""ftc_icmp_*: ICMP type/code names and flow-icmpdecode's listing
(csrc/icmp.c) into a reusable text buffer."""
from pyflowtools.core.errors import MissingField
from pyflowtools.core.native import check as _check, ffi, lib, rec_size

TSV = lib.FTC_ICMP_TSV
LINE_MAX = lib.FTC_ICMP_LINE_MAX
_HEADER_MAX = 512


def type_name(icmp_type):
    """The name of an ICMP type, or None."""
    p = lib.ftc_icmp_type_name(icmp_type)
    return None if p == ffi.NULL else ffi.string(p).decode("ascii")


def code_name(icmp_type, code):
    """The name of a code of a type ("-" for code 0 of a type without
    codes), or None."""
    p = lib.ftc_icmp_code_name(icmp_type, code)
    return None if p == ffi.NULL else ffi.string(p).decode("ascii")


def type6_name(icmp_type):
    """The name of an ICMPv6 type, or None."""
    p = lib.ftc_icmp6_type_name(icmp_type)
    return None if p == ffi.NULL else ffi.string(p).decode("ascii")


def code6_name(icmp_type, code):
    """The name of a code of an ICMPv6 type ("-" for code 0 of a type
    without codes), or None."""
    p = lib.ftc_icmp6_code_name(icmp_type, code)
    return None if p == ffi.NULL else ffi.string(p).decode("ascii")


def check(rectype):
    """MissingField unless records of rectype carry what the listing reads."""
    st = lib.ftc_icmp_check(rectype)
    if st == lib.FTC_EFIELD:
        raise MissingField()
    _check(st)


def header(opts):
    """The listing's column header, as bytes."""
    buf = ffi.new("char[]", _HEADER_MAX)
    n = ffi.new("size_t *")
    _check(lib.ftc_icmp_header(opts, buf, _HEADER_MAX, n))
    return ffi.buffer(buf, n[0])[:]


class Text:
    """The listing of records of `rectype` (options opts), chunk by chunk
    in one reusable buffer of at least buffer_bytes."""

    def __init__(self, rectype, opts, buffer_bytes=1 << 18):
        self.rectype, self.opts = rectype, opts
        self._buf = bytearray(max(buffer_bytes, LINE_MAX + 1))
        self._cbuf = ffi.from_buffer("char[]", self._buf)
        self._len = ffi.new("size_t *")
        self._consumed = ffi.new("size_t *")
        self._rs = rec_size(rectype)

    def records(self, ptr, n):
        """Yield chunks (memoryviews of the buffer: use each at once)."""
        mv = memoryview(self._buf)
        done = 0
        while done < n:
            rc = lib.ftc_icmp_format(ptr + done * self._rs, n - done, self.rectype,
                                     self.opts, self._cbuf, len(self._buf), self._len,
                                     self._consumed)
            if rc != lib.FTC_EFULL:
                _check(rc, "icmp listing")
            done += self._consumed[0]
            if self._len[0]:
                yield mv[:self._len[0]]
