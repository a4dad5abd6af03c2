"""A plain-Python encoder of NetFlow v9 (RFC 3954) and IPFIX (RFC 7011)
datagrams, and the documented mapping of their records to flow-tools fields
(csrc/ftcore.h, "ipfix.c" section), evaluated the obvious way.

It never imports pyflowtools: tests compare the C decoder with it.

A field is Field(ie, length, enterprise=None); a data record is a list of
values, one per field: an int (written big-endian in the field's length),
or bytes (written as they are; for a variable-length field, its content,
with the 1- or 3-byte length prefix added).  Flow records come back as
dicts of flow-tools field names (tests/oracle.py's names).
"""
import collections
import struct

__all__ = ["Field", "VARLEN", "template_record", "options_record", "withdrawal",
           "data_record", "set_bytes", "v9", "ipfix", "Source", "expect",
           "expect1006", "NTP_UNIX", "VUPTIME", "AS_TRANS", "ntp", "flow_ms"]

VARLEN = 0xFFFF
NTP_UNIX = 2208988800
VUPTIME = 0x7FFFFFFF
AS_TRANS = 23456
U32 = 0xFFFFFFFF

Field = collections.namedtuple("Field", "ie length enterprise", defaults=(None,))


# ---------------------------------------------------------------------------
# encoding

def _spec(f, version):
    if f.enterprise is not None:
        assert version == 10
        return struct.pack("!HHI", f.ie | 0x8000, f.length, f.enterprise)
    return struct.pack("!HH", f.ie, f.length)


def template_record(version, tid, fields):
    """A (data) template record: ID, count, field specifiers."""
    return struct.pack("!HH", tid, len(fields)) + b"".join(_spec(f, version) for f in fields)


def options_record(version, tid, scope, fields):
    """An options template record with scope fields `scope` then `fields`
    (v9: ID, scope length, option length; IPFIX: ID, count, scope count)."""
    if version == 9:
        return (struct.pack("!HHH", tid, 4 * len(scope), 4 * len(fields))
                + b"".join(_spec(f, 9) for f in scope + fields))
    return (struct.pack("!HHH", tid, len(scope) + len(fields), len(scope))
            + b"".join(_spec(f, 10) for f in scope + fields))


def withdrawal(tid):
    """An IPFIX template withdrawal record (field count 0)."""
    return struct.pack("!HH", tid, 0)


def data_record(fields, values):
    out = b""
    for f, v in zip(fields, values):
        if f.length == VARLEN:
            v = bytes(v)
            out += (bytes([len(v)]) if len(v) < 255 else b"\xff" + struct.pack("!H", len(v))) + v
        elif isinstance(v, (bytes, bytearray)):
            assert len(v) == f.length
            out += bytes(v)
        else:
            out += int(v).to_bytes(f.length, "big")
    return out


def set_bytes(set_id, body, pad=0):
    """A set (flowset): ID, length, body, `pad` zero bytes."""
    body = bytes(body) + bytes(pad)
    return struct.pack("!HH", set_id, 4 + len(body)) + body


def v9(sets, seq=0, uptime=0, secs=0, source_id=0, count=None):
    """A v9 export packet of the given sets (bytes each)."""
    count = len(sets) if count is None else count
    return struct.pack("!HHIIII", 9, count, uptime, secs, seq, source_id) + b"".join(sets)


def ipfix(sets, seq=0, export=0, domain=0, length=None):
    """An IPFIX message of the given sets (bytes each)."""
    body = b"".join(sets)
    n = 16 + len(body) if length is None else length
    return struct.pack("!HHIII", 10, n, export, seq, domain) + body


def ntp(ms):
    """Unix time in ms as the NTP (seconds since 1900, fraction) 64-bit value."""
    secs, rem = divmod(ms, 1000)
    frac = -(-(rem << 32) // 1000)   # rounded up: the decoder's ms come back exact
    return ((secs + NTP_UNIX) & U32) << 32 | frac


def flow_ms(rec, field):
    """flow-tools' absolute time of First or Last, ms (ftltime, 64-bit)."""
    return (rec["unix_secs"] * 1000 + rec["unix_nsecs"] // 1000000 - rec["sysUpTime"]
            + rec[field])


# ---------------------------------------------------------------------------
# the mapping (ftcore.h, ipfix.c section)

class Source:
    """What the decoder keeps of a source that the mapping reads."""

    def __init__(self, version):
        self.version = version
        self.interval = 1
        self.samplers = {}
        self.init = None

    def options(self, fields, values, nscope):
        """An options data record as the documented rules read it."""
        got = {}
        for i, (f, v) in enumerate(zip(fields, values)):
            if f.enterprise is not None or not _usable(f.ie, f.length):
                continue
            if self.version == 9 and i < nscope:
                continue
            got[f.ie] = int.from_bytes(v, "big") if isinstance(v, bytes) else v
        iv = None
        for ie in (34, 50):
            if ie in got:
                iv = got[ie]
        if iv is None and 305 in got:
            a = min(got[305], U32)
            iv = (a + min(got[306], U32)) // (a or 1) if 306 in got else a
        sampler = None
        for ie in (48, 302):
            if ie in got:
                sampler = got[ie]
        if iv is not None:
            iv = min(iv, U32) or 1
            if sampler is not None:
                self.samplers[sampler] = iv
            self.interval = iv
        if got.get(160):
            self.init = got[160]


def _usable(ie, length):
    if length in (0, VARLEN):
        return False
    if ie in (8, 12, 15, 18):
        return length == 4
    if ie in (154, 155, 156, 157):
        return length == 8
    if ie in (27, 28):
        return True
    if ie == 62:
        return length == 16
    return length <= 8


FLOW_IES = {8, 12, 27, 28, 1, 2, 23, 24}
START = (152, 156, 154, 150, 158, 22)
END = (153, 157, 155, 151, 159, 21)


def _mode(ie):
    return {21: "up", 22: "up", 150: "s", 151: "s", 152: "ms", 153: "ms", 154: "ntp",
            155: "ntp", 156: "ntp", 157: "ntp", 158: "delta", 159: "delta"}.get(ie)


def _values(version, fields, values, nscope):
    """{IE: value} of the fields the mapping reads (the last of each IE)."""
    got = {}
    for i, (f, v) in enumerate(zip(fields, values)):
        if f.enterprise is not None or not _usable(f.ie, f.length):
            continue
        if version == 9 and i < nscope:
            continue
        got[f.ie] = int.from_bytes(v, "big") if isinstance(v, bytes) else v
    return got


def _is_ipv6(got):
    return ((27 in got or 28 in got) and 8 not in got and 12 not in got) or got.get(60) == 6


def expect(version, fields, values, src, exaddr, secs, uptime=0, nscope=0):
    """The flow-tools record (dict) a flow data record decodes to, 'v6' for
    an IPv6 record, 'other' for a data record of a non-flow template."""
    got = _values(version, fields, values, nscope)
    if not FLOW_IES & set(got):
        return "other"
    if _is_ipv6(got):
        return "v6"
    return _record(version, fields, values, got, src, exaddr, secs, uptime, nscope)


MAPPED = 0xFFFF     # word 2 of an IPv4-mapped address (::ffff:a.b.c.d)


def expect1006(version, fields, values, src, exaddr, secs, uptime=0, nscope=0):
    """The v1006 record (dict, man/flow-tools-v1006.5) a flow data record
    decodes to, or 'other'.  IPv4 records: expect()'s fields, the
    addresses IPv4-mapped; IPv6 records: the same fields, the addresses
    from IEs 27, 28, 62 (16 bytes), the flow label (31) and prefix lengths
    (29, 30: at most 128) besides."""
    got = _values(version, fields, values, nscope)
    if not FLOW_IES & set(got):
        return "other"
    r = _record(version, fields, values, got, src, exaddr, secs, uptime, nscope)
    words = {}
    if not _is_ipv6(got):
        for name in ("srcaddr", "dstaddr", "nexthop"):
            words[name] = (MAPPED << 32) | r.get(name, 0)
        r["flow_label"] = 0
    else:
        a16 = {27: 0, 28: 0, 62: 0}
        for i, (f, v) in enumerate(zip(fields, values)):
            if (f.enterprise is None and f.ie in a16 and f.length == 16
                    and not (version == 9 and i < nscope)):
                a16[f.ie] = int.from_bytes(v, "big")
        words = {"srcaddr": a16[27], "dstaddr": a16[28], "nexthop": a16[62]}
        r["flow_label"] = got.get(31, 0) & 0xFFFFF
        if 29 in got:
            r["src_mask"] = min(got[29], 128)
        if 30 in got:
            r["dst_mask"] = min(got[30], 128)
    for name, value in words.items():
        for k in range(3):
            r["%s6_%d" % (name, k)] = (value >> (96 - 32 * k)) & U32
        r[name] = value & U32
    return r


def _record(version, fields, values, got, src, exaddr, secs, uptime, nscope):
    r = collections.defaultdict(int)
    r["unix_secs"], r["unix_nsecs"], r["exaddr"], r["dFlows"] = secs, 0, exaddr, 1
    sat = lambda x, m: min(x, m)    # noqa: E731
    if 3 in got:
        r["dFlows"] = sat(got[3], U32)
    for ie, name in ((4, "prot"), (9, "src_mask"), (13, "dst_mask"), (38, "engine_type"),
                     (39, "engine_id")):
        if ie in got:
            r[name] = sat(got[ie], 255)
    if 5 in got:
        r["tos"] = sat(got[5], 255)
    elif 195 in got:
        r["tos"] = (got[195] & 63) << 2
    if 6 in got:
        r["tcp_flags"] = got[6] & 0xFF
    for ie, name in ((7, "srcport"), (10, "input"), (14, "output")):
        if ie in got:
            r[name] = sat(got[ie], 0xFFFF)
    if 11 in got:
        r["dstport"] = sat(got[11], 0xFFFF)
    elif 32 in got:
        r["dstport"] = sat(got[32], 0xFFFF)
    elif 139 in got:        # icmpTypeCodeIPv6
        r["dstport"] = sat(got[139], 0xFFFF)
    elif 176 in got or 177 in got:
        r["dstport"] = (got.get(176, 0) & 0xFF) << 8 | (got.get(177, 0) & 0xFF)
    else:                   # icmpTypeIPv6, icmpCodeIPv6
        r["dstport"] = (got.get(178, 0) & 0xFF) << 8 | (got.get(179, 0) & 0xFF)
    for ie, name in ((8, "srcaddr"), (12, "dstaddr"), (15, "nexthop"), (18, "peer_nexthop")):
        if ie in got:
            r[name] = got[ie]
    for ie, name in ((16, "src_as"), (17, "dst_as")):
        if ie in got:
            r[name] = AS_TRANS if got[ie] > 0xFFFF else got[ie]
    # sampling: the record's own interval, else its sampler's, else the source's
    def last(ies):
        """value of the last field (in template order) of one of ies"""
        x = None
        for i, (f, v) in enumerate(zip(fields, values)):
            if (f.enterprise is None and f.ie in ies and _usable(f.ie, f.length)
                    and not (version == 9 and i < nscope)):
                x = int.from_bytes(v, "big") if isinstance(v, bytes) else v
        return x

    iv = src.interval
    rec_iv, sid = last((34, 50)), last((48, 302))
    if rec_iv:
        iv = min(rec_iv, U32)
    elif sid is not None and src.samplers.get(sid):
        iv = src.samplers[sid]
    octets = got.get(1, got.get(23, 0))
    packets = got.get(2, got.get(24, 0))
    r["dOctets"] = U32 if octets > U32 else min(octets * iv, U32)
    r["dPkts"] = U32 if packets > U32 else min(packets * iv, U32)
    # times
    e1000 = secs * 1000
    if version == 9:
        up, upok = uptime, True
    elif got.get(160):
        up, upok = (e1000 - got[160]) & U32, True
    elif src.init is not None:
        up, upok = (e1000 - src.init) & U32, True
    else:
        up, upok = VUPTIME, False
    r["sysUpTime"] = up
    s_ie = next((ie for ie in START if ie in got), None)
    e_ie = next((ie for ie in END if ie in got), None)

    def conv(ie):
        raw, mode = got[ie], _mode(ie)
        if mode == "up":
            return raw & U32
        if mode == "delta":
            return (up - -(-raw // 1000)) & U32
        if mode == "s":
            ms = raw * 1000
        elif mode == "ms":
            ms = raw
        else:
            ms = (((raw >> 32) - NTP_UNIX) & U32) * 1000 + (((raw & U32) * 1000) >> 32)
        return (ms - e1000 + up) & U32

    if not upok and _mode(s_ie) == "up" and _mode(e_ie) == "up":
        r["Last"] = up
        r["First"] = (up - (got[e_ie] - got[s_ie])) & U32
    else:
        if not upok:
            s_ie = None if _mode(s_ie) == "up" else s_ie
            e_ie = None if _mode(e_ie) == "up" else e_ie
        if s_ie is None and e_ie is None:
            r["First"] = r["Last"] = up
        else:
            f = conv(s_ie) if s_ie is not None else None
            la = conv(e_ie) if e_ie is not None else None
            r["First"] = f if f is not None else la
            r["Last"] = la if la is not None else f
    return dict(r)
