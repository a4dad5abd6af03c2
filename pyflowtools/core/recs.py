"""ftc_recs_*: whole arrays of records in place (byte swap, stream-1
compat records, flow-gen's synthetic records, the IPv4 flows of v1006).  `ptr` arguments are the
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


def keep_ipv4(rectype, ptr, n):
    """Keep the IPv4 flows of n host-order records at ptr, in place, at the
    start; returns their number (n unless rectype is v1006)."""
    kept = ffi.new("size_t *")
    check(lib.ftc_recs_keep_ipv4(rectype, ptr, n, kept))
    return kept[0]


def is_ipv4(rectype, ptr):
    """Is the host-order record at ptr an IPv4 flow (always, but in v1006)?"""
    return bool(check(lib.ftc_rec_is_ipv4(rectype, ptr)))
