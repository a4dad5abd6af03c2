"""ftc_recs_*: whole arrays of records in place (byte swap, stream-1
compat records, flow-gen's synthetic records).  `ptr` arguments are the
cffi pointers of core.batch.Batch (or pointer())."""
from pyflowtools.core.native import check, ffi, lib

#: bytes of one stream version 1 ("compat") record
COMPAT_SIZE = 60


def pointer(buf):
    """A `uint8_t *` over a writable buffer (bytearray), kept by the caller
    as long as buf."""
    return ffi.from_buffer("uint8_t[]", buf)


def swap(rectype, ptr, n):
    """Swap the byte order of n records of rectype at ptr, in place."""
    check(lib.ftc_recs_swap(rectype, ptr, n))


def from_compat(rectype, src, n, swapped, out):
    """n compat records at src -> host-order records of rectype at out
    (`swapped`: the compat records are in the other byte order)."""
    check(lib.ftc_recs_from_compat(rectype, src, n, 1 if swapped else 0, out))


def gen(rectype, start, n, out):
    """flow-gen's records number start .. start + n - 1 at out."""
    check(lib.ftc_recs_gen(rectype, start & 0xFFFFFFFF, n, out))
