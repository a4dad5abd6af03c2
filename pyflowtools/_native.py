"""The only importer of the compiled core: ABI check, status -> exception,
C sizes and constants as Python ints."""
from pyflowtools.errors import FormatError, InternalError

try:
    from pyflowtools._ftcore import ffi, lib
except ImportError as e:  # pragma: no cover - depends on the build
    raise ImportError("pyflowtools C core is not built (%s): run make" % e) from None

if lib.ftc_abi_version() != lib.FTC_ABI_VERSION or lib.FTC_ABI_VERSION != 1:
    raise ImportError("pyflowtools C core is stale (ABI mismatch): run make")

OK = lib.FTC_OK
EAGAIN = lib.FTC_EAGAIN
EFULL = lib.FTC_EFULL

HOST_LITTLE = bool(lib.ftc_host_little())
HOST_ORDER = lib.FTC_LITTLE_ENDIAN if HOST_LITTLE else lib.FTC_BIG_ENDIAN

#: statuses meaning the caller passed something impossible (a bug)
_INTERNAL = {lib.FTC_EINVAL, lib.FTC_EPROGRAM}


def strerror(status):
    return ffi.string(lib.ftc_strerror(status)).decode()


def check(status, what=None):
    """Return status when >= 0; raise the matching exception otherwise."""
    if status >= 0:
        return status
    msg = strerror(status)
    if what:
        msg = "%s: %s" % (what, msg)
    if status in _INTERNAL:
        raise InternalError(msg)
    raise FormatError(msg)


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
