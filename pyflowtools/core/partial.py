"""Partial tables (csrc/partial.c): a table of THE hash table (core/table.py)
or the report totals (core/stat.py) as bytes in one process, merged
exactly into the same table of another.  Parallel and distributed runs
(pyflowtools/parallel/) ship these between the tasks and the merger.

    data = export(agg.table)          # in a task
    merge(total.table, data)          # in the merger, in the inputs' order
"""
from pyflowtools.core.errors import FormatError
from pyflowtools.core.native import check, ffi, lib, strerror
from pyflowtools.core.table import run

HEAD = lib.FTC_PART_HEAD
_TOT_SIZE = ffi.sizeof("ftc_stat_tot_t")


def export(table):
    """The partial of a core.table.Table as bytes (one C call)."""
    size = check(lib.ftc_part_size(table.t), "partial table")
    out = bytearray(size)
    n = table.t.used
    scratch = ffi.new("uint32_t[]", max(n, 1))
    check(lib.ftc_part_export(table.t, scratch, n, ffi.from_buffer("uint8_t[]", out), size),
          "partial table")
    return bytes(out)


def merge(table, data, owner=None):
    """Merge the partial `data` into table (grown as needed); owner: the
    aggregation Table whose distinct counts a pairs table's new pairs
    raise (merge the aggregation table's own partial first).  A partial
    that is not one raises FormatError."""
    if len(data) < HEAD:
        raise FormatError("partial table: %s" % strerror(lib.FTC_ETRUNC))
    count = int.from_bytes(data[24:32], "little")       # ftc_part_export's header
    if count <= len(data) - HEAD:
        table.reserve(len(table) + count)
    done = ffi.new("size_t *", 0)
    buf = ffi.from_buffer("uint8_t[]", data)
    run(lambda: lib.ftc_part_merge(table.t, ffi.NULL if owner is None else owner.t, buf,
                                   len(data), done), table)


def export_totals(totals):
    """The bytes of a core.stat.Totals' counters."""
    return bytes(ffi.buffer(totals.c, _TOT_SIZE))


def merge_totals(totals, data):
    """Add counters exported by export_totals into totals."""
    if len(data) != _TOT_SIZE:
        raise FormatError("partial totals: %d bytes, not %d" % (len(data), _TOT_SIZE))
    src = ffi.new("ftc_stat_tot_t *")
    ffi.memmove(src, data, _TOT_SIZE)
    lib.ftc_stat_tot_merge(totals.c, src)


def export_agg(agg):
    """The partials of a core.table.Aggregation: its table, then its pairs
    table when it counts distinct peers."""
    parts = [export(agg.table)]
    if agg.pairs is not None:
        parts.append(export(agg.pairs))
    return parts


def merge_agg(agg, parts):
    """Merge export_agg's partials into agg (distinct counts from the
    union of the pairs)."""
    merge(agg.table, parts[0])
    if agg.pairs is not None:
        merge(agg.pairs, parts[1], owner=agg.table)
