"""csrc/export.c: flow-export's record encoders (CSV text, SQL rows, cflowd,
pcap-like) and flow-import's parsers (CSV / NFCollector lines, cflowd
records, concatenated datagrams).  Thin checked wrappers over caller-owned
buffers; every per-record step is C."""
from pyflowtools.core import native as _native
from pyflowtools.core.native import ffi, lib
from pyflowtools.core.errors import InternalError

__all__ = ["xfield_mask", "cflowd_mask", "cflowd_field", "Encoder", "TextParser",
           "CflowdParser", "wire_split",
           "CSV", "COPY", "SQL", "HEADER", "BROKEN", "VERSION", "V8"]

CSV, COPY, SQL = lib.FTC_XT_CSV, lib.FTC_XT_COPY, lib.FTC_XT_SQL
HEADER, BROKEN = lib.FTC_IMP_HEADER, lib.FTC_IMP_BROKEN
VERSION, V8 = lib.FTC_IMP_VERSION, lib.FTC_IMP_V8

_CHUNK = 1 << 20
RT_V1005 = lib.FTC_RT_V1005
RT_V1006 = lib.FTC_RT_V1006
PEER_NEXTHOP, EXTRA_PKTS, MARKED_TOS = (lib.FTC_F_PEER_NEXTHOP, lib.FTC_F_EXTRA_PKTS,
                                        lib.FTC_F_MARKED_TOS)
FLOW_LABEL, FIELD_COUNT = lib.FTC_F_FLOW_LABEL, lib.FTC_F_COUNT
#: canonical (field number = -m bit, export name) of every record field
FIELDS = [(f, ffi.string(lib.ftc_field_name(f)).decode().lower())
          for f in range(lib.FTC_F_COUNT) if ffi.string(lib.ftc_field_name(f))]


def xfield_mask(rectype):
    """-m bits (1 << field) of the fields of rectype."""
    return lib.ftc_xfield_mask(rectype)


def cflowd_mask(rectype):
    """The reference's cflowd mask of rectype."""
    return lib.ftc_cflowd_mask(rectype)


def cflowd_field(bit):
    """Record field number of cflowd bit `bit` (10/11: First/Last), or -1."""
    return lib.ftc_cflowd_field(bit)


class Encoder:
    """Records of one type -> bytes.  kind: "text" (style CSV/COPY/SQL, -m
    bits `mask`), "cflowd" (cflowd `mask`) or "pcap".  chunks(batch) yields
    memoryviews of a reused buffer, each valid until the next is asked for."""

    def __init__(self, kind, rectype, mask=0, style=CSV, size=_CHUNK):
        self.rectype = rectype
        self._rs = _native.rec_size(rectype)
        self._buf = bytearray(size)
        self._out = ffi.from_buffer("uint8_t[]", self._buf)
        self._len = ffi.new("size_t *")
        self._done = ffi.new("size_t *")
        if kind == "text":
            out = ffi.cast("char *", self._out)
            self._call = lambda p, n: lib.ftc_export_text(p, n, rectype, mask, style, out,
                                                          size, self._len, self._done)
        elif kind == "cflowd":
            self._call = lambda p, n: lib.ftc_export_cflowd(p, n, rectype, mask, self._out,
                                                            size, self._len, self._done)
        elif kind == "pcap":
            self._call = lambda p, n: lib.ftc_export_pcap(p, n, rectype, self._out, size,
                                                          self._len, self._done)
        else:
            raise InternalError("no such encoder %r" % kind)

    def check(self):
        """Raise the core's error when the record type cannot be encoded
        (pcap: a missing field)."""
        _native.check(self._call(ffi.NULL, 0), "export")

    def chunks(self, batch):
        batch.to_host()
        n, p = batch.n, batch.ptr
        while n:
            st = self._call(p, n)
            if st not in (lib.FTC_OK, lib.FTC_EFULL):
                _native.check(st, "export")
            done = self._done[0]
            if not done and st == lib.FTC_EFULL:
                raise InternalError("export buffer too small for one record")
            yield memoryview(self._buf)[:self._len[0]]
            n -= done
            p += done * self._rs


class _Out:
    """Output records of one type: a growable buffer of `cap` records."""

    def __init__(self, rectype, cap):
        self.rectype = rectype
        self.rs = _native.rec_size(rectype)
        self.cap = cap
        self.buf = bytearray(cap * self.rs)
        self.ptr = ffi.from_buffer("uint8_t[]", self.buf)


class TextParser:
    """CSV / NFCollector lines -> records of rectype.  `cols` lists the field
    number of each cell (-1: ignored).  parse(data, final) returns (status,
    records memoryview, count, bytes consumed, extra) where status is 0
    (all taken that can be), HEADER (extra = the line's bytes, not consumed)
    or BROKEN (extra = its line number, consumed).  `headers` says whether
    "#:" lines are reported (set it False after the first record)."""

    def __init__(self, rectype, cols, sep=",", strict=False, base=0, cap=16384):
        self._o = _Out(rectype, cap)
        self.set_columns(cols)
        self.sep = ord(sep)
        self.strict = int(bool(strict))
        self.base = base
        self.headers = True
        self.lines = ffi.new("uint64_t *")
        self._c = [ffi.new("size_t *") for _ in range(3)]

    def set_columns(self, cols):
        if len(cols) > 64:
            cols = list(cols[:64])
        self._ncols = len(cols)
        self._cols = ffi.new("int8_t[]", list(cols) or [0])

    def parse(self, data, final=False):
        o = self._o
        produced, consumed, line_len = self._c
        src = ffi.from_buffer("uint8_t[]", data)
        st = lib.ftc_import_text(src, len(data), int(final), o.rectype, self._cols,
                                 self._ncols, self.sep, self.strict, self.base,
                                 int(self.headers), o.ptr, o.cap, produced, consumed,
                                 self.lines, line_len)
        if st < 0 and st != lib.FTC_EFULL:
            _native.check(st, "import")
        n = produced[0]
        recs = memoryview(o.buf)[:n * o.rs]
        used = consumed[0]
        if st == HEADER:
            return HEADER, recs, n, used, bytes(data[used:used + line_len[0]])
        if st == BROKEN:
            return BROKEN, recs, n, used, self.lines[0]
        return 0, recs, n, used, None


class CflowdParser:
    """cflowd records -> records of rectype.  parse(data) returns (records
    memoryview, count, bytes consumed); a partial record is left."""

    def __init__(self, rectype, cap=16384):
        self._o = _Out(rectype, cap)
        self._c = [ffi.new("size_t *") for _ in range(2)]

    def parse(self, data):
        o = self._o
        produced, consumed = self._c
        src = ffi.from_buffer("uint8_t[]", data)
        st = lib.ftc_import_cflowd(src, len(data), o.rectype, o.ptr, o.cap, produced, consumed)
        if st < 0 and st != lib.FTC_EFULL:
            _native.check(st, "import")
        return memoryview(o.buf)[:produced[0] * o.rs], produced[0], consumed[0]


_LENS = 4096


def wire_split(data):
    """(status, lens, consumed, info) for concatenated datagrams: status 0
    (the rest is under 4 bytes), EFULL (call again), ETRUNC (info = bytes
    the next one needs), VERSION or V8 (info = its version)."""
    lens = ffi.new("uint32_t[]", _LENS)
    n, consumed, info = ffi.new("size_t *"), ffi.new("size_t *"), ffi.new("uint32_t *")
    src = ffi.from_buffer("uint8_t[]", data)
    st = lib.ftc_wire_split(src, len(data), lens, _LENS, n, consumed, info)
    if st == lib.FTC_EINVAL:
        _native.check(st, "import")
    return st, list(lens[0:n[0]]), consumed[0], info[0]


EFULL = lib.FTC_EFULL
ETRUNC = lib.FTC_ETRUNC
