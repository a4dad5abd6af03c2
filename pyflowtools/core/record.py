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
128-bit addresses as `IPv6` values (ints of 128 bits printing as
util/ipv6.text does: RFC 5952, a dotted quad when IPv4-mapped; `.address`
the ipaddress.IPv6Address), and `is_ipv4`.  On an IPv4 flow, srcaddr,
dstaddr and nexthop are `IPv4` values as in version 5; on an IPv6 flow
they are `Word6` values: the last word (so the record packs back as it
came) printing as the whole address, `.address` the IPv6Address.  pack()
takes srcaddr6 / dstaddr6 / nexthop6 keys in dicts too."""
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
        return IPv6((getattr(self, hi + "0") << 96) | (getattr(self, hi + "1") << 64)
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


class IPv6(int):
    """A 128-bit address (v1006's srcaddr6, dstaddr6, nexthop6): the int,
    whose str() is util/ipv6.text (RFC 5952; a dotted quad when
    IPv4-mapped) and whose `.address` is the ipaddress.IPv6Address (its
    attributes answered too: `is_link_local`, `ipv4_mapped`, ...)."""

    __slots__ = ()

    def __str__(self):
        from pyflowtools.util import ipv6
        return ipv6.text(int(self))

    def __repr__(self):
        return "IPv6('%s')" % self

    __format__ = IPv4.__format__

    @property
    def address(self):
        return ipaddress.IPv6Address(int(self))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(ipaddress.IPv6Address(int(self)), name)


class Word6(int):
    """srcaddr / dstaddr / nexthop of a v1006 IPv6 flow: the raw last
    32-bit word of the address (what the field holds; equal to it, hashes
    and packs as it) whose str() is the whole address in RFC 5952 form;
    `.address` is the ipaddress.IPv6Address, `.addr6` the IPv6 value."""

    def __new__(cls, word, addr6):
        self = int.__new__(cls, word)
        self.addr6 = IPv6(addr6)
        return self

    def __str__(self):
        return str(self.addr6)

    def __repr__(self):
        return "Word6('%s')" % self

    __format__ = IPv4.__format__

    def __reduce__(self):
        return (Word6, (int(self), int(self.addr6)))

    @property
    def address(self):
        return self.addr6.address

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.addr6.address, name)


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
    # v1006: (last word index, upper word indexes) of each 128-bit address
    six = [(names.index(lo), [names.index(hi + str(k)) for k in range(3)])
           for _, hi, lo in ADDR6 if hi + "0" in names]
    src, dst = (six[0], six[1]) if six else (None, None)
    out = []
    for v in st.iter_unpack(memoryview(buf)[:n * st.size]):
        v = list(v)
        if six and not (v[src[1][0]] == v[src[1][1]] == v[dst[1][0]] == v[dst[1][1]] == 0
                        and v[src[1][2]] == v[dst[1][2]] == 0xFFFF):
            for lo, (a, b, c) in six:        # an IPv6 flow
                v[lo] = Word6(v[lo], (v[a] << 96) | (v[b] << 64) | (v[c] << 32) | v[lo])
            for i in addr:
                if not isinstance(v[i], Word6):
                    v[i] = IPv4(v[i])
        else:
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
