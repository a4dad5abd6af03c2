"""Named-tuple records built from the C layout table (scripts, tests and
debugging only: the commands never touch records one by one in Python)."""
import collections
import struct

from pyflowtools.core.native import layout

_cache = {}


def record_type(rectype):
    """(namedtuple class, struct.Struct, field order) for a record type."""
    t = _cache.get(rectype)
    if t is None:
        version, agg, size, fields = layout(rectype)
        names = sorted(fields, key=lambda k: fields[k][0])
        fmt = ["="]
        pos = 0
        for name in names:
            off, w = fields[name]
            if off > pos:
                fmt.append("%dx" % (off - pos))
            fmt.append({1: "B", 2: "H", 4: "I"}[w])
            pos = off + w
        if size > pos:
            fmt.append("%dx" % (size - pos))
        cls = collections.namedtuple("Record_v%d%s" % (version, ("_%d" % agg) if agg else ""), names)
        t = (cls, struct.Struct("".join(fmt)), names)
        _cache[rectype] = t
    return t


def unpack(rectype, buf, n):
    """List of named tuples for n host-order records in buf."""
    cls, st, _ = record_type(rectype)
    return [cls._make(v) for v in st.iter_unpack(memoryview(buf)[:n * st.size])]


def pack(rectype, records):
    """Host-order bytes for an iterable of records (named tuples or dicts;
    missing dict keys are 0)."""
    cls, st, names = record_type(rectype)
    out = bytearray()
    for r in records:
        if isinstance(r, dict):
            out += st.pack(*(r.get(k, 0) for k in names))
        else:
            out += st.pack(*r)
    return bytes(out)
