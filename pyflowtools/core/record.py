"""Named-tuple records built from the C layout table (scripts, tests and
debugging only: the commands never touch records one by one in Python).

Fields keep their flow-tools names and raw values; address fields
(ADDR_FIELDS) are `IPv4` values: ints that compare and compute as the raw
u32 and print as dotted quads.  Beside the raw time fields a record has
`start`, `end` (absolute First and Last, as flow-print computes them) and
`export_time` (unix_secs + unix_nsecs) as UTC datetimes.

v1006 records (IPv4 and IPv6 flows) have the fields of the layout (srcaddr
is the last 32-bit word of the source address, srcaddr6_0 .. srcaddr6_2
the others) and, besides, `srcaddr6`, `dstaddr6` and `nexthop6`: the
128-bit addresses as ints (ipaddress.IPv6Address(r.srcaddr6) gives the
address; an IPv4 flow's are IPv4-mapped), and `is_ipv4`.  pack() takes
those three keys in dicts too."""
import collections
import datetime
import ipaddress
import struct

from pyflowtools.core.native import layout

#: the u32 fields that hold IPv4 addresses (printed as dotted quads)
ADDR_FIELDS = ("exaddr", "srcaddr", "dstaddr", "nexthop", "peer_nexthop", "router_sc")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_cache = {}
#: the 128-bit address properties of v1006: name, upper words' prefix, last word
ADDR6 = (("srcaddr6", "srcaddr6_", "srcaddr"), ("dstaddr6", "dstaddr6_", "dstaddr"),
         ("nexthop6", "nexthop6_", "nexthop"))
_MAPPED = 0xFFFF << 32


def _addr6_property(hi, lo):
    def get(self):
        return ((getattr(self, hi + "0") << 96) | (getattr(self, hi + "1") << 64)
                | (getattr(self, hi + "2") << 32) | int(getattr(self, lo)))
    return property(get)


def _is_ipv4(self):
    return (self.srcaddr6 >> 32 == _MAPPED >> 32) and (self.dstaddr6 >> 32 == _MAPPED >> 32)


def _split_addr6(r):
    """A dict record with srcaddr6 / dstaddr6 / nexthop6 ints -> words."""
    if not any(name in r for name, _, _ in ADDR6):
        return r
    r = dict(r)
    for name, hi, lo in ADDR6:
        if name in r:
            a = r.pop(name)
            for k in range(3):
                r[hi + str(k)] = (a >> (96 - 32 * k)) & 0xFFFFFFFF
            r[lo] = a & 0xFFFFFFFF
    return r


class IPv4(int):
    """An IPv4 address field: the raw host-order u32 (equal to it, hashes
    as it, `%d` and arithmetic as it) whose str() is the dotted quad;
    `.address` is the ipaddress.IPv4Address, whose attributes it answers
    too (`is_private`, `packed`, ...)."""

    __slots__ = ()

    def __str__(self):
        from pyflowtools.util import ipv4
        return ipv4.text(int(self))

    def __repr__(self):
        return "IPv4('%s')" % self

    def __format__(self, spec):
        kind = spec[-1:] if spec[-1:].isalpha() else ""
        return str(self).__format__(spec) if kind in ("", "s") else int(self).__format__(spec)

    @property
    def address(self):
        return ipaddress.IPv4Address(int(self))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(ipaddress.IPv4Address(int(self)), name)


def _ms_time(ms):
    return _EPOCH + datetime.timedelta(milliseconds=ms)


class _Times:
    """start, end and export_time of a record (UTC datetimes)."""

    __slots__ = ()

    def _base_ms(self):
        return (getattr(self, "unix_secs", 0) * 1000 + getattr(self, "unix_nsecs", 0) // 1000000
                - getattr(self, "sysUpTime", 0))

    @property
    def start(self):
        return _ms_time(self._base_ms() + getattr(self, "First", 0))

    @property
    def end(self):
        return _ms_time(self._base_ms() + getattr(self, "Last", 0))

    @property
    def export_time(self):
        return _EPOCH + datetime.timedelta(seconds=getattr(self, "unix_secs", 0),
                                           microseconds=getattr(self, "unix_nsecs", 0) // 1000)


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
        tname = "Record_v%d%s" % (version, ("_%d" % agg) if agg else "")
        base = collections.namedtuple(tname, names)
        extra = {"__slots__": ()}
        if "srcaddr6_0" in fields:
            extra.update({name: _addr6_property(hi, lo) for name, hi, lo in ADDR6})
            extra["is_ipv4"] = property(_is_ipv4)
        cls = type(tname, (base, _Times), extra)
        t = (cls, struct.Struct("".join(fmt)), names)
        _cache[rectype] = t
    return t


def unpack(rectype, buf, n):
    """List of named tuples for n host-order records in buf."""
    cls, st, names = record_type(rectype)
    addr = [i for i, name in enumerate(names) if name in ADDR_FIELDS]
    out = []
    for v in st.iter_unpack(memoryview(buf)[:n * st.size]):
        v = list(v)
        for i in addr:
            v[i] = IPv4(v[i])
        out.append(cls._make(v))
    return out


def pack(rectype, records):
    """Host-order bytes for an iterable of records (named tuples or dicts;
    missing dict keys are 0)."""
    cls, st, names = record_type(rectype)
    out = bytearray()
    for r in records:
        if isinstance(r, dict):
            r = _split_addr6(r)
            out += st.pack(*(r.get(k, 0) for k in names))
        else:
            out += st.pack(*r)
    return bytes(out)
