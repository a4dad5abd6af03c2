"""Flows as Apache Arrow record batches (and back), for pandas, Polars,
DuckDB, Parquet: one C pass per batch (core/columns.py), no Python per
record.  Needs pyarrow (the optional extra `pip install 'pyflowtools[arrow]'`).

The schema (man 7 pyflowtools, "ARROW AND PARQUET"): one column per field
the record version has, named and ordered as flow-tools names them (the
C layout table, core/native.layout: the CSV order of flow-export -f 2),
as unsigned integers of the field's width in host values:

    uint32  unix_secs unix_nsecs sysUpTime exaddr dFlows dPkts dOctets First
            Last srcaddr dstaddr nexthop peer_nexthop router_sc extra_pkts
            src_tag dst_tag
    uint16  input output srcport dstport src_as dst_as
    uint8   engine_type engine_id prot tos tcp_flags src_mask dst_mask
            in_encaps out_encaps marked_tos

(v1: no engine, AS, mask fields; v6 adds in_encaps, out_encaps,
peer_nexthop; v7 router_sc; v1005 src_tag, dst_tag; v8.x the fields of the
aggregation, dFlows included), then

    start   timestamp[ms, tz=UTC]   absolute First: unix_secs*1000 +
    end     timestamp[ms, tz=UTC]   unix_nsecs/10^6 - sysUpTime + First (Last),
                                    as flow-print computes them (ftc_flow_ms)

Addresses (srcaddr, dstaddr, nexthop, exaddr, peer_nexthop, router_sc)
are integers; `addr_text=True` adds a dotted-quad string column
`<name>_text` after each, computed by Arrow kernels.  v1006 (IPv4 and
IPv6 flows) has its 128-bit addresses as four uint32 words each
(srcaddr6_0 srcaddr6_1 srcaddr6_2 srcaddr, most significant first; the
same for dstaddr and nexthop) plus flow_label, and beside them the whole
addresses as `fixed_size_binary(16)` columns in network order:

    srcaddr6 dstaddr6 nexthop6   (before start, end; IPv4 flows ::ffff:a.b.c.d)

(readers of Parquet take the word columns; the binary ones are a view).

The schema's metadata holds the stream header's fields where they matter
(`flowtools.d_version`, `flowtools.agg_method`, and when present
`flowtools.exporter_ip`, `flowtools.cap_start`, `flowtools.cap_end`,
`flowtools.cap_hostname`, `flowtools.comments`): the exporter of a
capture file, the version to write records back as.
"""
from pyflowtools.core import columns as _cols
from pyflowtools.core.batch import Batch
from pyflowtools.core.errors import FlowToolsError, FormatError
from pyflowtools.core.native import layout, rec_size, rectype as _rectype
from pyflowtools.core.record import ADDR_FIELDS

#: address fields (uint32, dotted-quad text view): core/record.py
ADDR = ADDR_FIELDS
#: 16-byte IPv6 address columns: (name, virtual column, first word field)
ADDR6 = _cols.COL_ADDR6
TIMES = (("start", _cols.COL_START), ("end", _cols.COL_END))
_META = "flowtools."
_cache = {}


def pyarrow():
    """The pyarrow module, or FlowToolsError saying how to get it."""
    try:
        import pyarrow as pa
    except ImportError:
        raise FlowToolsError("pyarrow is not installed (pip install 'pyflowtools[arrow]')") \
            from None
    return pa


def fields(rectype):
    """[(name, field number, width)] of rectype, canonical order (C layout)."""
    t = _cache.get(rectype)
    if t is None:
        from pyflowtools.core.native import field_id
        _, _, _, fl = layout(rectype)
        t = sorted(((name, field_id(name), w) for name, (_, w) in fl.items()),
                   key=lambda x: x[1])
        _cache[rectype] = t
    return t


def _int_type(pa, width):
    return {1: pa.uint8(), 2: pa.uint16(), 4: pa.uint32(), 8: pa.int64()}[width]


def addr6_columns(rectype):
    """[(name, virtual column)] of the 16-byte address columns of rectype."""
    names = {name for name, _, _ in fields(rectype)}
    return [(name, col) for name, col, word in ADDR6 if word in names]


def metadata(header):
    """Schema metadata of a stream header (None: no header)."""
    if header is None:
        return None
    from pyflowtools.io import header as hdr
    from pyflowtools.util import ipv4
    m = {"d_version": str(header.d_version),
         "agg_method": str(header.agg_method if header.d_version == 8 else 0)}
    if hdr.EXPORTER_IP in header.present:
        m["exporter_ip"] = ipv4.text(header.exporter_ip)
    for tlv, name in ((hdr.CAP_START, "cap_start"), (hdr.CAP_END, "cap_end")):
        if tlv in header.present:
            m[name] = str(getattr(header, name))
    if hdr.CAP_HOSTNAME in header.present:
        m["cap_hostname"] = header.cap_hostname
    if hdr.COMMENTS in header.present:
        m["comments"] = header.comments
    return {(_META + k).encode(): v.encode() for k, v in m.items()}


def schema(rectype, header=None, addr_text=False):
    """The Arrow schema of records of rectype (module docstring)."""
    pa = pyarrow()
    cols = []
    for name, _, w in fields(rectype):
        cols.append(pa.field(name, _int_type(pa, w), nullable=False))
        if addr_text and name in ADDR:
            cols.append(pa.field(name + "_text", pa.string(), nullable=False))
    cols += [pa.field(name, pa.binary(16), nullable=False) for name, _ in addr6_columns(rectype)]
    ts = pa.timestamp("ms", tz="UTC")
    cols += [pa.field(name, ts, nullable=False) for name, _ in TIMES]
    return pa.schema(cols, metadata=metadata(header))


def _text(pa, arr):
    """Dotted quads of a uint32 array, by Arrow kernels."""
    import pyarrow.compute as pc
    octets = [pc.cast(pc.bit_wise_and(pc.shift_right(arr, s), 255), pa.string())
              for s in (24, 16, 8, 0)]
    return pc.binary_join_element_wise(*octets, ".")


def record_batch(batch, header=None, addr_text=False, schema_=None):
    """A pyarrow.RecordBatch of a Batch's records: one C call scatters the
    fields into fresh column buffers (the batch may be refilled after)."""
    pa = pyarrow()
    batch.to_host()
    n = batch.n
    fl = fields(batch.rectype)
    plan = ([(name, f, w) for name, f, w in fl]
            + [(name, f, 16) for name, f in addr6_columns(batch.rectype)]
            + [(name, f, 8) for name, f in TIMES])
    offsets, pos = [], 0
    for _, _, w in plan:
        offsets.append(pos)
        pos += (n * w + 63) & ~63
    buf = pa.allocate_buffer(max(pos, 64))
    _cols.scatter(batch.rectype, batch.ptr, n, [f for _, f, _ in plan], offsets, buf)
    if schema_ is None:
        schema_ = schema(batch.rectype, header, addr_text)
    arrays = []
    for (name, _, w), off in zip(plan, offsets):
        typ = schema_.field(name).type
        arr = pa.Array.from_buffers(typ, n, [None, buf.slice(off, n * w)])
        arrays.append(arr)
        if addr_text and name in ADDR:
            arrays.append(_text(pa, arr))
    return pa.RecordBatch.from_arrays(arrays, schema=schema_)


def reader_batches(rd, addr_text=False):
    """RecordBatches of a stream Reader (io/stream.py), one per batch."""
    sch = schema(rd.rectype, rd.header, addr_text)
    from pyflowtools.io.stream import Reader
    for b in Reader.__iter__(rd):
        if b.n:
            yield record_batch(b, addr_text=addr_text, schema_=sch)


def reader_table(rd, addr_text=False):
    """A pyarrow.Table of a whole stream."""
    pa = pyarrow()
    sch = schema(rd.rectype, rd.header, addr_text)
    return pa.Table.from_batches(list(reader_batches(rd, addr_text)), schema=sch)


def concat(tables):
    """One table of several (record versions may differ: columns a version
    lacks are null; schema metadata of the first)."""
    pa = pyarrow()
    if not tables:
        return schema(_rectype(5), None).empty_table()
    if len(tables) == 1:
        return tables[0]
    meta = tables[0].schema.metadata
    t = pa.concat_tables([t.replace_schema_metadata(None) for t in tables],
                         promote_options="default")
    return t.replace_schema_metadata(meta)


def to_pandas(table):
    try:
        return table.to_pandas()
    except ImportError:
        raise FlowToolsError("pandas is not installed") from None


# ---- Arrow -> records ---------------------------------------------------

def target_rectype(sch, version=None):
    """The record type to write an Arrow schema's rows as: (version,
    agg_method) when given, else the schema metadata's, else v5."""
    if version is None:
        meta = sch.metadata or {}
        v = meta.get((_META + "d_version").encode())
        m = meta.get((_META + "agg_method").encode(), b"0")
        version = (int(v), int(m)) if v is not None else (5, 0)
    return _rectype(version[0], version[1] if version[0] == 8 else 0)


def _column(pa, tbl, name, typ):
    """Column `name` of tbl as one contiguous array of typ (nulls 0);
    FormatError when a value does not fit."""
    import pyarrow.compute as pc
    col = tbl.column(name)
    try:
        if pa.types.is_timestamp(col.type):
            col = pc.cast(col, pa.timestamp("ms", tz="UTC")).cast(pa.int64())
        col = pc.cast(col, typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise FormatError("column %s: %s" % (name, str(e).splitlines()[0])) from None
    if col.null_count:
        col = pc.fill_null(col, 0)
    return col.combine_chunks() if hasattr(col, "combine_chunks") else col


def _buffer(arr, width):
    return arr.buffers()[1].slice(arr.offset * width, len(arr) * width)


def _derived_times(pa, tbl, names):
    """unix_secs, unix_nsecs, sysUpTime, First, Last from `start`/`end`
    when the table has those and none of the raw time fields: the export
    time is `end`, sysUpTime and Last the duration, First 0, so that
    start and end come back."""
    import pyarrow.compute as pc
    raw = {"unix_secs", "unix_nsecs", "sysUpTime", "First", "Last"}
    if raw & set(names) or not {"start", "end"} <= set(names):
        return {}
    s = _column(pa, tbl, "start", pa.int64())
    e = _column(pa, tbl, "end", pa.int64())
    dur = pc.max_element_wise(pc.subtract(e, s), 0)
    dur = pc.min_element_wise(dur, 0xFFFFFFFF)
    e = pc.max_element_wise(e, 0)
    u32 = pa.uint32()
    return {"unix_secs": pc.cast(pc.divide(e, 1000), u32),
            "unix_nsecs": pc.cast(pc.multiply(pc.subtract(e, pc.multiply(pc.divide(e, 1000), 1000)),
                                              1000000), u32),
            "sysUpTime": pc.cast(dur, u32), "Last": pc.cast(dur, u32)}   # First 0


def to_batch(tbl, rectype, out=None):
    """A Batch of rectype records from a pyarrow Table or RecordBatch: the
    columns named as the rectype's fields (any integer types whose values
    fit; missing ones 0, times derived from `start`/`end` when the raw time
    fields are all missing), one C call to gather them.  `out` a Batch to
    reuse when big enough."""
    pa = pyarrow()
    n = tbl.num_rows
    names = tbl.schema.names
    derived = _derived_times(pa, tbl, names)
    cols = []
    for name, f, w in fields(rectype):
        if name in derived:
            arr = derived[name]
        elif name in names:
            arr = _column(pa, tbl, name, _int_type(pa, w))
        else:
            continue
        cols.append((f, _buffer(arr, w)))
    rs = rec_size(rectype)
    if out is None or out.rectype != rectype or out.capacity < n:
        out = Batch(rectype, rs, max(n, 1))
    _cols.gather(rectype, cols, n, out.ptr, len(out.buf))
    out.n = n
    from pyflowtools.core.native import HOST_ORDER
    out.order = HOST_ORDER
    return out
