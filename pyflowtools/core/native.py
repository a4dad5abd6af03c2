"""The binding: the only importer of the compiled core.

On import it checks that the core matches this package (ABI version, and in
a source tree the build stamp of csrc/ftcore.h's cdef, so a stale in-place
build is refused with "run make").  It holds the one status -> exception
map (`check`), C sizes and constants as Python ints, and the record layout
table.  Modules outside pyflowtools.core never touch `lib.ftc_*`: they call
the thin checked wrappers of core/ (one module per C noun)."""
from pyflowtools.core import stamp as _stamp
from pyflowtools.core.errors import FlowToolsError, FormatError, InternalError

try:
    from pyflowtools._ftcore import ffi, lib
except ImportError as e:  # pragma: no cover - depends on the build
    raise ImportError("pyflowtools C core is not built (%s): run make" % e) from None

ABI_VERSION = 2
if lib.ftc_abi_version() != lib.FTC_ABI_VERSION or lib.FTC_ABI_VERSION != ABI_VERSION:
    raise ImportError("pyflowtools C core is stale (ABI mismatch): run make")
BUILD_STAMP = ffi.string(lib.ftc_build_stamp()).decode()
_src = _stamp.source_stamp()
if _src is not None and _src != BUILD_STAMP:
    raise ImportError("pyflowtools C core is stale (built from another csrc/ftcore.h): run make")
del _src

OK = lib.FTC_OK
EAGAIN = lib.FTC_EAGAIN
EFULL = lib.FTC_EFULL

#: the record type of v1006 (IPv4 and IPv6 flows)
RT_V1006 = lib.FTC_RT_V1006

HOST_LITTLE = bool(lib.ftc_host_little())
HOST_ORDER = lib.FTC_LITTLE_ENDIAN if HOST_LITTLE else lib.FTC_BIG_ENDIAN

#: the one status -> exception map: statuses meaning the caller passed
#: something impossible are bugs (InternalError); the rest are bad input
#: (FormatError).  EAGAIN and EFULL are not errors: callers handle them
#: before check() sees them.
_EXCEPTION = {lib.FTC_EINVAL: InternalError, lib.FTC_EPROGRAM: InternalError}


def strerror(status):
    """The core's text for a status."""
    return ffi.string(lib.ftc_strerror(status)).decode()


def error(status, what=None, message=None):
    """The exception for a negative status: `message` (default the core's
    text), prefixed with `what: ` when given."""
    msg = message or strerror(status)
    if what:
        msg = "%s: %s" % (what, msg)
    return _EXCEPTION.get(status, FormatError)(msg)


def check(status, what=None, messages=None):
    """Return status when >= 0; raise the matching exception otherwise.
    `messages` maps statuses to the text a caller's users expect (the
    reference's wording) instead of the core's."""
    if status >= 0:
        return status
    raise error(status, what, messages.get(status) if messages else None)


def layout(rectype):
    """(version, agg_method, rec_size, {field name: (offset, width)})."""
    L = lib.ftc_layout_get(rectype)
    if L == ffi.NULL:
        raise InternalError("bad record type %r" % rectype)
    fields = {}
    for f in range(lib.FTC_F_COUNT):
        off = L.off[f]
        if off >= 0:
            fields[ffi.string(lib.ftc_field_name(f)).decode()] = (off, lib.ftc_field_width(f))
    return L.version, L.agg_method, L.rec_size, fields


def rec_size(rectype):
    L = lib.ftc_layout_get(rectype)
    if L == ffi.NULL:
        raise InternalError("bad record type %r" % rectype)
    return L.rec_size


def rectype(version, agg_method=0):
    """Record type index for an export version (and v8 method), or raise."""
    rt = lib.ftc_rectype(version, agg_method)
    if rt < 0:
        if rt == lib.FTC_EAGGMETHOD:
            raise FormatError("Unsupported agg_method %d" % agg_method)
        raise FormatError("Unsupported d_version %d" % version)
    return rt


def field_id(name):
    """enum ftc_field number of a flow-tools field name."""
    for f in range(lib.FTC_F_COUNT):
        if ffi.string(lib.ftc_field_name(f)).decode() == name:
            return f
    raise InternalError("no field %r" % name)


__all__ = ["ffi", "lib", "check", "error", "strerror", "layout", "rec_size", "rectype",
           "field_id", "OK", "EAGAIN", "EFULL", "HOST_LITTLE", "HOST_ORDER", "BUILD_STAMP",
           "RT_V1006",
           "FlowToolsError"]
