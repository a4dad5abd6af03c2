"""An independent, obvious model of flow-send -V 9 / -V 10 (NetFlow v9,
RFC 3954; IPFIX, RFC 7011) as flow-send(1) documents it: the template of a
record version, the datagrams a list of records makes (grouping, capacity,
template refresh, sequence numbers), and a plain `struct` decoder of the
datagrams.  Built on tests/oracle.py (record dicts), never on pyflowtools.

    tpl = template(10, "5")                     # [(name, ie, width), ...]
    want = expected(10, "5", records, 20, 1800) # [Message, ...]
    got = parse_all(10, datagrams)              # [Message, ...]
    assert got == want
"""
import collections
import struct

import oracle

MAX_LEN = 1464            # FTC_PDU_MAX_LEN: flow-send's longest datagram
TEMPLATE_ID = 256
REFRESH_PDUS = 20
REFRESH_SECS = 1800

# (record field, v9 field type, IPFIX information element), template order
IES = (
    ("srcaddr", 8, 8), ("dstaddr", 12, 12), ("nexthop", 15, 15), ("input", 10, 10),
    ("output", 14, 14), ("dFlows", 3, 3), ("dPkts", 2, 2), ("dOctets", 1, 1),
    ("First", 22, 152), ("Last", 21, 153), ("srcport", 7, 7), ("dstport", 11, 11),
    ("icmp", 32, 32), ("tcp_flags", 6, 6), ("prot", 4, 4), ("tos", 5, 5), ("marked_tos", 55, 55),
    ("src_as", 16, 16), ("dst_as", 17, 17), ("src_mask", 9, 9), ("dst_mask", 13, 13),
    ("engine_type", 38, 38), ("engine_id", 39, 39),
)

# v5's template as the issue lists it, and ICMP type/code (32) after the
# ports (v9 numbers; IPFIX uses 152/153 for First/Last, 8 bytes each)
V5_TEMPLATE_V9 = ((8, 4), (12, 4), (15, 4), (10, 2), (14, 2), (2, 4), (1, 4), (22, 4),
                  (21, 4), (7, 2), (11, 2), (32, 2), (6, 1), (4, 1), (5, 1), (16, 2),
                  (17, 2), (9, 1), (13, 1), (38, 1), (39, 1))

Message = collections.namedtuple(
    "Message", "version count uptime secs seq domain template records")
Message.__doc__ = """One datagram: header values (count: v9's header count,
IPFIX's length; uptime: v9 only, else 0), the template fields
((ie, width), ...) when it carries one, else None, and its data records as
tuples of ints in template order."""


def template(version, rv):
    """[(field, ie, width)] of record version rv sent as version 9 or 10."""
    names = set(oracle.fields(rv))
    if {"prot", "dstport"} <= names:
        names.add("icmp")       # dstport of ICMP flows, else 0
    out = []
    for name, v9, ipfix in IES:
        if name not in names:
            continue
        width = 2 if name == "icmp" else oracle.field_width(rv, name)
        if version == 10 and name in ("First", "Last"):
            width = 8
        out.append((name, v9 if version == 9 else ipfix, width))
    return out


def abs_ms(r, t):
    """flow-tools' absolute time of r[t] (First or Last), in ms."""
    return (r["unix_secs"] * 1000 + r["unix_nsecs"] // 1000000 - r["sysUpTime"] + r[t]) % (1 << 64)


def values(version, rv, r):
    """The data record values of r, in template order."""
    out = []
    for name, _, _ in template(version, rv):
        if version == 10 and name in ("First", "Last"):
            out.append(abs_ms(r, name))
        elif name == "icmp":
            out.append(r["dstport"] if r["prot"] == 1 else 0)
        else:
            out.append(r[name])
    return tuple(out)


def sizes(version, rv):
    """(header, template set, data record) bytes."""
    tpl = template(version, rv)
    return (20 if version == 9 else 16), 8 + 4 * len(tpl), sum(w for _, _, w in tpl)


def set_len(version, rec_len, k):
    n = 4 + k * rec_len
    return n + (-n % 4 if version == 9 else 0)


def capacity(version, rv, with_template):
    hdr, tpl_len, rec_len = sizes(version, rv)
    room = MAX_LEN - hdr - (tpl_len if with_template else 0)
    k = 0
    while set_len(version, rec_len, k + 1) <= room:
        k += 1
    return k


def domain(r):
    return r.get("engine_type", 0) << 8 | r.get("engine_id", 0)


def key(version, r):
    uptime = (r["sysUpTime"] - r["unix_nsecs"] // 1000000) % (1 << 32) if version == 9 else 0
    return domain(r), r["unix_secs"], uptime


def expected(version, rv, records, refresh_pdus=REFRESH_PDUS, refresh_secs=REFRESH_SECS):
    """The Messages flow-send makes of records, as documented."""
    tpl = tuple((ie, w) for _, ie, w in template(version, rv))
    out = []
    seq = collections.Counter()
    since = {}          # domain -> datagrams since (and with) the last template
    tsecs = {}          # domain -> unix_secs of the last template
    cur = None          # [key, with_template, cap, records]

    def close():
        d, secs, uptime = cur[0]
        recs = cur[3]
        with_tpl = cur[1]
        count = len(recs) + with_tpl if version == 9 else None
        out.append(Message(version, count, uptime, secs, seq[d], d,
                           tpl if with_tpl else None, recs))
        seq[d] += 1 if version == 9 else len(recs)
        if with_tpl:
            since[d], tsecs[d] = 1, secs
        else:
            since[d] += 1

    for r in records:
        k = key(version, r)
        if cur is not None and (cur[0] != k or len(cur[3]) >= cur[2]):
            close()
            cur = None
        if cur is None:
            d, secs = k[0], k[1]
            with_tpl = (d not in since or since[d] >= refresh_pdus or secs < tsecs[d]
                        or secs - tsecs[d] >= refresh_secs)
            cur = [k, int(with_tpl), capacity(version, rv, with_tpl), []]
        cur[3].append(values(version, rv, r))
    if cur is not None:
        close()
    out = [m if version == 9 else m._replace(count=_ipfix_len(rv, m)) for m in out]
    return out


def _ipfix_len(rv, m):
    hdr, tpl_len, rec_len = sizes(10, rv)
    return hdr + (tpl_len if m.template else 0) + set_len(10, rec_len, len(m.records))


def parse(version, d, templates):
    """Decode one datagram with `templates` ((domain, id) -> ((ie, width),
    ...), updated by the template sets it carries).  Asserts the framing
    rules: set lengths, padding zero and below 4 bytes, IPFIX length."""
    if version == 9:
        ver, count, uptime, secs, seq, dom = struct.unpack("!HHIIII", d[:20])
        off = 20
    else:
        ver, count, secs, seq, dom = struct.unpack("!HHIII", d[:16])
        uptime = 0
        off = 16
        assert count == len(d), "IPFIX length field"
    assert ver == version
    tpl = None
    recs = []
    while off < len(d):
        sid, slen = struct.unpack("!HH", d[off:off + 4])
        assert 4 <= slen <= len(d) - off, "set length"
        body = d[off + 4:off + slen]
        off += slen
        if sid == (0 if version == 9 else 2):
            p = 0
            while p + 4 <= len(body):
                tid, n = struct.unpack("!HH", body[p:p + 4])
                fields = tuple(struct.unpack("!HH", body[p + 4 + 4 * i:p + 8 + 4 * i])
                               for i in range(n))
                templates[(dom, tid)] = fields
                tpl = fields
                p += 4 + 4 * n
            assert p == len(body)
        else:
            fields = templates[(dom, sid)]      # KeyError: data before its template
            width = sum(w for _, w in fields)
            n = len(body) // width
            pad = body[n * width:]
            assert pad == bytes(len(pad)) and (len(pad) < 4 if version == 9 else not pad)
            for i in range(n):
                rec = body[i * width:(i + 1) * width]
                vals, p = [], 0
                for _, w in fields:
                    vals.append(int.from_bytes(rec[p:p + w], "big"))
                    p += w
                recs.append(tuple(vals))
    return Message(version, count, uptime, secs, seq, dom, tpl, recs)


def parse_all(version, dgrams):
    templates = {}
    return [parse(version, d, templates) for d in dgrams]
