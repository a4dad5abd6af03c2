"""csrc/ipfix.c, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) datagrams with
templates (ftcore.h's ipfix.c section says what is decoded and how).

A TemplateCache owns the C state (one bytearray of ftc_ipx_size() bytes):
sources, their templates and sampling, and the data sets waiting for a
template, all under fixed caps.  Every per-record step is C; Python calls
once per datagram (or per release of waiting sets).

    cache = TemplateCache()
    records, info = cache.decode(datagram, src_ip, src_port, local_ip, now, rt)
    if info.ready:
        more, rinfo = cache.release(now, rt)

Default caps and the memory they take (ftc_ipx_size; ftcore.h has the
figures per cap): MAX_SOURCES 4096 sources (1.3 MiB with their table),
MAX_TEMPLATES 16384 templates (7.1 MiB: 512 KiB of table and a 6.6 MiB
template pool sized for 32 fields a template on average, any one up to
MAX_FIELDS 512), at most MAX_PER_SOURCE 256 of them from one source,
PENDING_BYTES 16 MiB of data sets waiting for their template, at most
PENDING_PER_SOURCE 4 MiB of them from one source, each for PENDING_SECS
300 s: 24.4 MiB in all (DEFAULT_SIZE).
"""
import collections
import struct

from pyflowtools.core import native as _native
from pyflowtools.core.errors import FormatError, InternalError
from pyflowtools.core.native import ffi, lib

__all__ = ["TemplateCache", "Info", "Source", "REASONS", "MAX_SOURCES", "MAX_TEMPLATES",
           "MAX_PER_SOURCE", "MAX_FIELDS", "PENDING_BYTES", "PENDING_PER_SOURCE",
           "PENDING_SECS", "DEFAULT_SIZE", "VUPTIME", "size"]

MAX_SOURCES = 4096
MAX_TEMPLATES = 16384
MAX_PER_SOURCE = 256
MAX_FIELDS = 512
PENDING_BYTES = 16 << 20
PENDING_PER_SOURCE = 4 << 20
PENDING_SECS = 300

VUPTIME = lib.FTC_IPX_VUPTIME          # sysUpTime of IPFIX records without init time
DECODE_MAX = lib.FTC_IPX_DECODE_MAX

#: FTC_IPX_R_* -> what was refused
REASONS = {
    lib.FTC_IPX_R_SHORT: "shorter than its header",
    lib.FTC_IPX_R_LENGTH: "IPFIX length does not match the datagram (or over 65535 bytes)",
    lib.FTC_IPX_R_SET: "set shorter than 4 bytes or past the end",
    lib.FTC_IPX_R_TEMPLATE: "malformed template",
    lib.FTC_IPX_R_CAP: "over a cap (sources, templates, fields, template memory)",
    lib.FTC_IPX_R_RECORD: "data record past the end of its set",
    lib.FTC_IPX_R_VERSION: "version neither 9 nor 10",
}

_INFO_FIELDS = ("version", "count", "export_secs", "sys_uptime", "sequence", "domain",
                "source", "records", "v6", "other", "options", "templates", "withdrawn",
                "pended", "expired", "expired_records", "seq_lost", "seq_reset", "seq_new",
                "sampling", "bad_sets", "reason", "ready", "evicted")
Info = collections.namedtuple("Info", _INFO_FIELDS + ("refused",))
Info.__doc__ = ("What one decode() or release() did (ftc_ipx_info_t); `refused` maps "
                "FTC_IPX_R_* to counts; `source` is None when no source took the datagram.")

_SOURCE_FIELDS = ("exporter_ip", "local_ip", "port", "version", "domain", "templates",
                  "sampling", "sampling_algo", "datagrams", "records", "v6", "lost",
                  "resets", "pended", "expired", "bad")
Source = collections.namedtuple("Source", _SOURCE_FIELDS)
Source.__doc__ = "One exporter source (ftc_ipx_source_t)."

_NONE32 = 0xFFFFFFFF


def _limits(max_sources, max_templates, max_per_source, max_fields, pending_bytes,
            pending_per_source, pending_secs):
    return ffi.new("ftc_ipx_limits_t *", dict(
        max_sources=max_sources, max_templates=max_templates,
        max_per_source=max_per_source, max_fields=max_fields, pending_bytes=pending_bytes,
        pending_per_source=pending_per_source, pending_secs=pending_secs))


def size(max_sources=MAX_SOURCES, max_templates=MAX_TEMPLATES, max_per_source=MAX_PER_SOURCE,
         max_fields=MAX_FIELDS, pending_bytes=PENDING_BYTES,
         pending_per_source=PENDING_PER_SOURCE, pending_secs=PENDING_SECS):
    """Bytes of state these caps take; 0 when one is 0 or out of range."""
    return lib.ftc_ipx_size(_limits(max_sources, max_templates, max_per_source, max_fields,
                                    pending_bytes, pending_per_source, pending_secs))


DEFAULT_SIZE = size()


def _struct_of(ctype):
    """A struct.Struct reading the C struct `ctype` as cffi describes it
    (names in order, offsets checked): the layout is C's, not restated."""
    codes = {"uint16_t": "H", "uint32_t": "I", "int32_t": "i", "uint64_t": "Q"}
    fmt, names, at = "=", [], 0
    for name, f in ffi.typeof(ctype).fields:
        t = f.type
        n = t.length if t.kind == "array" else 1
        code = codes[(t.item if t.kind == "array" else t).cname]
        if f.offset != at:
            raise InternalError("%s.%s: unexpected padding" % (ctype, name))
        fmt += "%d%s" % (n, code) if n > 1 else code
        names.append((name, n))
        at += ffi.sizeof(t)
    if at != ffi.sizeof(ctype):
        raise InternalError("%s: unexpected padding" % ctype)
    return struct.Struct(fmt), names


_INFO_STRUCT, _INFO_LAYOUT = _struct_of("ftc_ipx_info_t")
if [n for n, _ in _INFO_LAYOUT] != list(_INFO_FIELDS) + ["refused"]:
    raise InternalError("ftc_ipx_info_t and Info differ")
_SOURCE_AT = _INFO_FIELDS.index("source")


#: record bytes of the record types the decoder writes
_REC_SIZES = {rt: _native.rec_size(rt) for rt in (lib.FTC_RT_V1, lib.FTC_RT_V5, lib.FTC_RT_V6,
                                                  lib.FTC_RT_V7, lib.FTC_RT_V1005,
                                                  lib.FTC_RT_V1006)}


def _rec_size(rectype):
    try:
        return _REC_SIZES[rectype]
    except KeyError:
        raise FormatError("v9/IPFIX records cannot be stored as record type %r"
                          % (rectype,)) from None


def _info(c):
    vals = _INFO_STRUCT.unpack(ffi.buffer(c))
    n = len(_INFO_FIELDS)
    refused = vals[n:]
    vals = list(vals[:n])
    if vals[_SOURCE_AT] == _NONE32:
        vals[_SOURCE_AT] = None
    return Info(*vals, {r: k for r, k in enumerate(refused) if k} if any(refused) else {})


class TemplateCache:
    """Templates, sampling and waiting data sets of v9/IPFIX exporters
    (caps as keywords; see the module constants)."""

    def __init__(self, max_sources=MAX_SOURCES, max_templates=MAX_TEMPLATES,
                 max_per_source=MAX_PER_SOURCE, max_fields=MAX_FIELDS,
                 pending_bytes=PENDING_BYTES, pending_per_source=PENDING_PER_SOURCE,
                 pending_secs=PENDING_SECS):
        lim = _limits(max_sources, max_templates, max_per_source, max_fields, pending_bytes,
                      pending_per_source, pending_secs)
        n = lib.ftc_ipx_size(lim)
        if n == 0:
            raise ValueError("template cache limits out of range")
        self.size = n
        self._mem = bytearray(n + 8)
        base = ffi.from_buffer("uint8_t[]", self._mem)
        pad = -int(ffi.cast("uintptr_t", base)) % 8
        self._base = base          # keeps the buffer's export alive
        self._state = base + pad
        _native.check(lib.ftc_ipx_init(self._state, n, lim), "template cache")
        self._info = ffi.new("ftc_ipx_info_t *")
        self._produced = ffi.new("size_t *")
        self._out_len = 0
        self._grow(64 * 1500)

    @property
    def ptr(self):
        """The state for the C receive paths (ftc_pdu_rx_batch, ftc_fanout_batch)."""
        return self._state

    def _grow(self, nbytes):
        self._out_len = max(nbytes, 2 * self._out_len)
        self._outp = ffi.new("uint8_t[]", self._out_len)

    def decode(self, datagram, src_ip, src_port, local_ip, now, rectype):
        """Decode one datagram from (src_ip, src_port) received on local_ip
        at unix time `now` into records of `rectype` (v1, v5, v6, v7, v1005;
        v1006 stores the IPv6 flows too).
        Returns (records as bytes, Info).  A refused datagram gives no
        records and Info.reason != 0."""
        rs = _rec_size(rectype)
        n = len(datagram)
        if (n - 16) * rs > self._out_len:       # the most the datagram can hold
            self._grow((n - 16) * rs)
        st = lib.ftc_ipx_decode(self._state, ffi.from_buffer("uint8_t[]", datagram), n,
                                src_ip & _NONE32, src_port & 0xFFFF, local_ip & _NONE32,
                                now & _NONE32, rectype, self._outp, self._out_len,
                                self._produced, self._info)
        if st:
            _native.check(st, "v9/IPFIX decode")   # EFULL cannot happen: out takes the bound
        return bytes(ffi.buffer(self._outp, self._produced[0] * rs)), _info(self._info)

    def release(self, now, rectype):
        """Decode every waiting data set whose template is now known (and
        drop the expired ones).  Returns (records as bytes, Info) over all
        of them (Info.source: the last source released)."""
        rs = _rec_size(rectype)
        chunks, total = [], None
        while True:
            st = lib.ftc_ipx_release(self._state, now & _NONE32, rectype, self._outp,
                                     self._out_len, self._produced, self._info)
            if st not in (lib.FTC_OK, lib.FTC_EFULL):
                _native.check(st, "v9/IPFIX release")
            n = self._produced[0]
            chunks.append(bytes(ffi.buffer(self._outp, n * rs)))
            info = _info(self._info)
            total = info if total is None else _add(total, info)
            if st == lib.FTC_OK:
                break
            if n == 0:
                self._grow(2 * self._out_len)   # one waiting set takes more than out
        return b"".join(chunks), total

    def sources(self):
        """Every source, in order of appearance (Info.source indexes it)."""
        n = ffi.new("uint32_t *")
        _native.check(lib.ftc_ipx_sources(self._state, n), "sources")
        s = ffi.new("ftc_ipx_source_t *")
        out = []
        for i in range(n[0]):
            _native.check(lib.ftc_ipx_source_get(self._state, i, s), "source")
            out.append(Source(*(getattr(s, f) for f in _SOURCE_FIELDS)))
        return out

    def save(self):
        """Every template (and source sampling state) as bytes (ftcore.h
        documents the format)."""
        n = ffi.new("size_t *")
        st = lib.ftc_ipx_save(self._state, ffi.NULL, 0, n)    # the size it takes
        if st != lib.FTC_EFULL:
            _native.check(st, "save templates")
        buf = bytearray(n[0])
        st = lib.ftc_ipx_save(self._state, ffi.from_buffer("uint8_t[]", buf), len(buf), n)
        _native.check(st, "save templates")
        return bytes(buf[:n[0]])

    def load(self, data):
        """Templates saved by save() back into the cache (added to what it
        holds; entries that do not parse or a cap refuses are skipped).
        Returns how many entries took; FormatError when data is no saved
        template file."""
        n = ffi.new("uint32_t *")
        st = lib.ftc_ipx_load(self._state, ffi.from_buffer("uint8_t[]", data), len(data), n)
        if st == lib.FTC_EBADMAGIC:
            raise FormatError("not a saved template file")
        if st != lib.FTC_OK:
            raise InternalError("load templates: %s" % _native.strerror(st))
        return n[0]


def _add(a, b):
    """Two release Infos summed (counts added, the rest from the later)."""
    keep = {"version", "count", "export_secs", "sys_uptime", "sequence", "domain", "source",
            "sampling", "reason", "ready"}
    vals = {}
    for f in _INFO_FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        vals[f] = (y if y is not None else x) if f in keep else x + y
    refused = collections.Counter(a.refused)
    refused.update(b.refused)
    return Info(refused=dict(refused), **vals)
