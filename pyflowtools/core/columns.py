"""ftc_recs_columns / ftc_recs_from_columns: records <-> column arrays, one
C pass per batch (the Arrow and Parquet paths, io/arrow.py)."""
from pyflowtools.core.native import check, ffi, lib

COL_START = lib.FTC_COL_START
COL_END = lib.FTC_COL_END
#: v1006's 128-bit addresses as 16 network-order bytes: (column, first word field)
COL_ADDR6 = (("srcaddr6", lib.FTC_COL_SRCADDR6, "srcaddr6_0"),
             ("dstaddr6", lib.FTC_COL_DSTADDR6, "dstaddr6_0"),
             ("nexthop6", lib.FTC_COL_NEXTHOP6, "nexthop6_0"))


def scatter(rectype, ptr, n, fields, offsets, out):
    """Columns of n host-order records at ptr: fields[k] (field number or
    COL_START/COL_END) at byte offsets[k] of the writable buffer out."""
    k = len(fields)
    outp = ffi.from_buffer("uint8_t[]", out, require_writable=True)
    check(lib.ftc_recs_columns(rectype, ptr, n, ffi.new("int32_t[]", list(fields)),
                               ffi.new("uint64_t[]", list(offsets)), k, outp, len(outp)))


def gather(rectype, columns, n, out_ptr, out_size):
    """n host-order records of rectype at out_ptr from `columns`, a list of
    (field number, buffer of n values of the field's width)."""
    keep = [ffi.from_buffer("uint8_t[]", buf) for _, buf in columns]
    cols = ffi.new("uint8_t *[]", keep) if keep else ffi.NULL
    sizes = ffi.new("size_t[]", [len(b) for b in keep]) if keep else ffi.NULL
    fields = ffi.new("int32_t[]", [f for f, _ in columns]) if keep else ffi.NULL
    check(lib.ftc_recs_from_columns(rectype, cols, sizes, fields, len(keep), n, out_ptr,
                                    out_size))
