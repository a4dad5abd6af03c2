"""pyflowtools.netflow.pdu / csrc/pdu.c: NetFlow export datagrams (formats.md section 6).

Datagrams are built here with `struct` from the tables of formats.md 6.1 and
6.2 (WIRE below); the records a datagram must decode to come from the mapping
rules of 6.5 written out in `expect()`, and are compared through the
independent record codec of tests/oracle.py.  Nothing here derives expected
values from pyflowtools itself.
"""
import array
import random
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracle
import strategies as fst
from pyflowtools.core import native as _native
from pyflowtools.netflow import pdu
from pyflowtools.core.native import ffi, lib
from pyflowtools.core.errors import FormatError, InternalError

HOST = "little" if _native.HOST_LITTLE else "big"
NON_V8 = ("1", "5", "6", "7")
V8 = tuple("8.%d" % m for m in range(1, 15))
WIRE_VERSIONS = NON_V8 + V8
U32 = 0xFFFFFFFF


def RT(version):
    return _native.rectype(*oracle.split_version(version))


# ---------------------------------------------------------------------------
# formats.md 6.1 / 6.2, transcribed: (offset, struct code, name); a name
# starting with "_" is a pad, reserved or ignored wire field.

def header(version, count, upt=0, secs=0, nsecs=0, seq=0, et=0, ei=0, method=0,
           aggver=2, reserved=0):
    if version == 1:
        return struct.pack(">HHIII", 1, count, upt, secs, nsecs)
    if version == 8:
        return struct.pack(">HHIIIIBBBBI", 8, count, upt, secs, nsecs, seq, et, ei,
                           method, aggver, reserved)
    return struct.pack(">HHIIIIBBH", version, count, upt, secs, nsecs, seq, et, ei,
                       reserved)


_HEAD = [(0, "I", "srcaddr"), (4, "I", "dstaddr"), (8, "I", "nexthop"),
         (12, "H", "input"), (14, "H", "output"), (16, "I", "dPkts"),
         (20, "I", "dOctets"), (24, "I", "First"), (28, "I", "Last"),
         (32, "H", "srcport"), (34, "H", "dstport")]
_V5 = _HEAD + [(36, "B", "_pad"), (37, "B", "tcp_flags"), (38, "B", "prot"),
               (39, "B", "tos"), (40, "H", "src_as"), (42, "H", "dst_as"),
               (44, "B", "src_mask"), (45, "B", "dst_mask")]
_C = [(0, "I", "dFlows"), (4, "I", "dPkts"), (8, "I", "dOctets"), (12, "I", "First"),
      (16, "I", "Last")]

#: version -> (header size, record size, max count, entries)
WIRE = {
    "1": (16, 48, 24, _HEAD + [
        (36, "H", "_pad"), (38, "B", "prot"), (39, "B", "tos"), (40, "B", "tcp_flags"),
        (41, "B", "_tcp_retx_cnt"), (42, "B", "_tcp_retx_secs"),
        (43, "B", "_tcp_misseq_cnt"), (44, "I", "_reserved")]),
    "5": (24, 48, 30, _V5 + [(46, "H", "_pad2")]),
    "6": (24, 52, 27, _V5 + [(46, "B", "in_encaps"), (47, "B", "out_encaps"),
                             (48, "I", "peer_nexthop")]),
    "7": (24, 52, 27, _V5 + [(46, "H", "_cisco_flags"), (48, "I", "router_sc")]),
}
_V8 = {
    1: (28, 51, _C + [(20, "H", "src_as"), (22, "H", "dst_as"), (24, "H", "input"),
                      (26, "H", "output")]),
    2: (28, 51, _C + [(20, "B", "prot"), (21, "B", "_pad"), (22, "H", "_reserved"),
                      (24, "H", "srcport"), (26, "H", "dstport")]),
    3: (32, 44, _C + [(20, "I", "srcaddr"), (24, "B", "src_mask"), (25, "B", "_pad"),
                      (26, "H", "src_as"), (28, "H", "input"), (30, "H", "_reserved")]),
    4: (32, 44, _C + [(20, "I", "dstaddr"), (24, "B", "dst_mask"), (25, "B", "_pad"),
                      (26, "H", "dst_as"), (28, "H", "output"), (30, "H", "_reserved")]),
    5: (40, 35, _C + [(20, "I", "srcaddr"), (24, "I", "dstaddr"), (28, "B", "dst_mask"),
                      (29, "B", "src_mask"), (30, "H", "_reserved"), (32, "H", "src_as"),
                      (34, "H", "dst_as"), (36, "H", "input"), (38, "H", "output")]),
    6: (32, 44, [(0, "I", "dstaddr"), (4, "I", "dPkts"), (8, "I", "dOctets"),
                 (12, "I", "First"), (16, "I", "Last"), (20, "H", "output"),
                 (22, "B", "tos"), (23, "B", "marked_tos"), (24, "I", "extra_pkts"),
                 (28, "I", "router_sc")]),
    7: (40, 35, [(0, "I", "dstaddr"), (4, "I", "srcaddr"), (8, "I", "dPkts"),
                 (12, "I", "dOctets"), (16, "I", "First"), (20, "I", "Last"),
                 (24, "H", "output"), (26, "H", "input"), (28, "B", "tos"),
                 (29, "B", "marked_tos"), (30, "H", "_reserved"), (32, "I", "extra_pkts"),
                 (36, "I", "router_sc")]),
    8: (44, 32, [(0, "I", "dstaddr"), (4, "I", "srcaddr"), (8, "H", "dstport"),
                 (10, "H", "srcport"), (12, "I", "dPkts"), (16, "I", "dOctets"),
                 (20, "I", "First"), (24, "I", "Last"), (28, "H", "output"),
                 (30, "H", "input"), (32, "B", "tos"), (33, "B", "prot"),
                 (34, "B", "marked_tos"), (35, "B", "_reserved"), (36, "I", "extra_pkts"),
                 (40, "I", "router_sc")]),
    9: (32, 44, _C + [(20, "H", "src_as"), (22, "H", "dst_as"), (24, "H", "input"),
                      (26, "H", "output"), (28, "B", "tos"), (29, "B", "_pad"),
                      (30, "H", "_reserved")]),
    10: (32, 44, _C + [(20, "B", "prot"), (21, "B", "tos"), (22, "H", "_reserved"),
                       (24, "H", "srcport"), (26, "H", "dstport"), (28, "H", "input"),
                       (30, "H", "output")]),
    11: (32, 44, _C + [(20, "I", "srcaddr"), (24, "B", "src_mask"), (25, "B", "tos"),
                       (26, "H", "src_as"), (28, "H", "input"), (30, "H", "_reserved")]),
    12: (32, 44, _C + [(20, "I", "dstaddr"), (24, "B", "dst_mask"), (25, "B", "tos"),
                       (26, "H", "dst_as"), (28, "H", "output"), (30, "H", "_reserved")]),
    13: (40, 35, _C + [(20, "I", "srcaddr"), (24, "I", "dstaddr"), (28, "B", "dst_mask"),
                       (29, "B", "src_mask"), (30, "B", "tos"), (31, "B", "_pad"),
                       (32, "H", "src_as"), (34, "H", "dst_as"), (36, "H", "input"),
                       (38, "H", "output")]),
    14: (40, 35, _C + [(20, "I", "srcaddr"), (24, "I", "dstaddr"), (28, "B", "dst_mask"),
                       (29, "B", "src_mask"), (30, "B", "tos"), (31, "B", "prot"),
                       (32, "H", "srcport"), (34, "H", "dstport"), (36, "H", "input"),
                       (38, "H", "output")]),
}
for _m, (_size, _max, _ents) in _V8.items():
    WIRE["8.%d" % _m] = (28, _size, _max, _ents)

_SIZE = {"B": 1, "H": 2, "I": 4}

# 6.5: what flow-capture does not copy; 6.7 + the original's encoder: what
# flow-send does not send (8.8 prot, 8.10 input/output)
DECODE_DROPS = {"6": {"in_encaps", "out_encaps", "peer_nexthop"}, "8.10": {"input", "output"}}
ENCODE_DROPS = {"8.8": {"prot"}, "8.10": {"input", "output", "srcport", "dstport"}}


def wire_fields(version):
    return [n for _, _, n in WIRE[version][3] if not n.startswith("_")]


def pack_record(version, values):
    size, entries = WIRE[version][1], WIRE[version][3]
    b = bytearray(size)
    for off, code, name in entries:
        struct.pack_into(">" + code, b, off, values.get(name, 0))
    return bytes(b)


def unpack_record(version, data):
    return {name: struct.unpack_from(">" + code, data, off)[0]
            for off, code, name in WIRE[version][3]}


def datagram(version, recs, **hdr):
    d_version, method = oracle.split_version(version)
    if d_version == 8:
        hdr.setdefault("method", method)
    return header(d_version, len(recs), **hdr) + b"".join(pack_record(version, r)
                                                          for r in recs)


def wire_values(version, rng):
    """One wire record's values, every field (wire-only ones too) random."""
    return {name: rng.getrandbits(8 * _SIZE[code]) for _, code, name in WIRE[version][3]}


def expect(dver, hdr, wrecs, target=None, exaddr=0, as_sub=0):
    """The stream records (dicts of `target`) flow-capture writes for a
    datagram of version dver with header values hdr and wire records wrecs
    (formats.md 6.5)."""
    target = target or dver
    out = []
    for w in wrecs:
        v = {k: w.get(k, 0) for k in wire_fields(dver)}
        for k in DECODE_DROPS.get(dver, ()):
            v[k] = 0
        for k in ("src_as", "dst_as"):
            if k in v and v[k] == 0:
                v[k] = as_sub
        v.update(unix_secs=hdr.get("secs", 0), unix_nsecs=hdr.get("nsecs", 0),
                 sysUpTime=hdr.get("upt", 0), exaddr=exaddr)
        if dver == "5":
            v.update(engine_type=hdr.get("et", 0), engine_id=hdr.get("ei", 0))
        elif dver != "1":
            v.update(engine_type=hdr.get("ei", 0), engine_id=0)
        if dver == "1" and target in ("5", "6", "7"):
            v["output"] = 0   # verified: v1 -> v5/v6/v7 loses output
        if target == oracle.V1006:
            for _name, prefix in oracle.ADDRS6:    # IPv4 flows: ::ffff:a.b.c.d
                v[prefix + "2"] = 0xFFFF
        out.append({f: v.get(f, 0) for f in oracle.fields(target)})
    return out


def decoded(version, data):
    return oracle.decode_records(version, bytes(data), HOST)


def test_wire_tables_tile_records():
    for v, (_, size, _, entries) in WIRE.items():
        pos = 0
        for off, code, _ in sorted(entries):
            assert off == pos, (v, off)
            pos += _SIZE[code]
        assert pos == size, v


# ---------------------------------------------------------------------------
# 6.3 sizes

@pytest.mark.parametrize("v", WIRE_VERSIONS)
def test_limits(v):
    hdr, size, mx, _ = WIRE[v]
    assert pdu.limits(RT(v)) == (hdr, size, mx)


def test_limits_table_max_datagrams():
    maxlen = {"1": 1168, "5": 1464, "6": 1428, "7": 1428, "8.1": 1456, "8.2": 1456,
              "8.5": 1428, "8.6": 1436, "8.7": 1428, "8.8": 1436}
    for v, n in maxlen.items():
        h, r, m = pdu.limits(RT(v))
        assert h + r * m == n
    assert max(h + r * m for h, r, m in map(pdu.limits, map(RT, WIRE_VERSIONS))) \
        == pdu.MAX_LEN
    assert max(pdu.limits(RT(v))[2] for v in WIRE_VERSIONS) == pdu.MAX_COUNT


def test_limits_bad_types():
    with pytest.raises(FormatError):
        pdu.limits(RT("1005"))            # no datagram form
    with pytest.raises(InternalError):
        pdu.limits(99)


def test_decode_max_bound():
    """FTC_PDU_DECODE_MAX: the most record bytes one datagram can become."""
    worst = 0
    for v in WIRE_VERSIONS:
        targets = NON_V8 + ("1005", "1006") if v in NON_V8 else (v,)
        worst = max(worst, max(WIRE[v][2] * oracle.RECORD_SIZE[t] for t in targets))
    assert worst == pdu.DECODE_MAX


# ---------------------------------------------------------------------------
# 6.5 decoding: known answers for every version, header fields and quirks

HDR = dict(upt=3600000, secs=1700000000, nsecs=123456789, seq=77, et=3, ei=7)


@pytest.mark.parametrize("v", WIRE_VERSIONS)
def test_decode_every_version(v):
    rng = random.Random(v)
    wrecs = [wire_values(v, rng) for _ in range(3)]
    wrecs[1]["dPkts"] = 0           # zero values decode too
    dg = datagram(v, wrecs, **HDR)
    d = pdu.decode(dg, exaddr=0xC0A80001)
    assert d.rectype == RT(v) and d.count == 3
    assert decoded(v, d.records) == expect(v, HDR, wrecs, exaddr=0xC0A80001)
    h = d.header
    assert (h.version, h.count, h.sysUpTime, h.unix_secs, h.unix_nsecs) == \
        (oracle.split_version(v)[0], 3, HDR["upt"], HDR["secs"], HDR["nsecs"])
    assert h.length == len(dg)
    if v == "1":
        assert (h.flow_sequence, h.engine_type, h.engine_id) == (0, 0, 0)
    else:
        assert (h.flow_sequence, h.engine_type, h.engine_id) == (77, 3, 7)


@pytest.mark.parametrize("v", NON_V8)
def test_decode_into_v1006_ipv4_mapped(v):
    """v1, v5, v6, v7 datagrams into v1006: every field the target has,
    the addresses IPv4-mapped (man/flow-tools-v1006.5)."""
    rng = random.Random("1006" + v)
    wrecs = [wire_values(v, rng) for _ in range(5)]
    wrecs[2]["src_as"] = wrecs[2]["dst_as"] = 0
    dg = datagram(v, wrecs, **HDR)
    d = pdu.decode(dg, RT("1006"), exaddr=0xC0A80001, as_sub=64512)
    assert d.rectype == RT("1006") and d.count == 5
    got = decoded("1006", d.records)
    assert got == expect(v, HDR, wrecs, "1006", exaddr=0xC0A80001, as_sub=64512)
    for r, w in zip(got, wrecs):
        assert oracle.is_ipv4(r)
        assert oracle.addr6(r, "srcaddr") == oracle.mapped(w["srcaddr"])
        assert oracle.addr6(r, "dstaddr") == oracle.mapped(w["dstaddr"])
        assert oracle.addr6(r, "nexthop") == oracle.mapped(w["nexthop"])
        assert r["flow_label"] == 0
    assert pdu.compat(RT(v), RT("1006"))


@pytest.mark.parametrize("v", V8)
def test_v8_not_into_v1006(v):
    assert not pdu.compat(RT(v), RT("1006"))
    with pytest.raises(pdu.DatagramError) as e:
        pdu.decode(datagram(v, [{}]), RT("1006"))
    assert e.value.reason == lib.FTC_PDU_R_XLATE_V8


def test_receive_batch_into_v1006():
    """Receiver -V 1006: v5 datagrams as mapped v1006 records, v8 ones
    corrupt (no translation), as flow-capture counts them."""
    rng = random.Random(1006)
    dgs = [datagram("5", [wire_values("5", rng) for _ in range(30)], **HDR)
           for _ in range(40)] + [datagram("8.1", [{}])]
    buf = b"".join(dgs)
    lens = array.array("I", map(len, dgs))
    res = pdu.Receiver(RT("1006")).feed(buf, lens, array.array("I", [0x0A000001] * len(dgs)))
    assert res.rectype == RT("1006") and res.count == 1200 and res.corrupt == 1
    assert res.reasons[lib.FTC_PDU_R_XLATE_V8] == 1
    got = decoded("1006", res.records)
    want = []
    for dg in dgs[:-1]:
        want += decoded("1006", pdu.decode(dg, RT("1006"), exaddr=0x0A000001).records)
    assert got == want and all(map(oracle.is_ipv4, got))


def _one(v, values, target=None, **hdr):
    d = pdu.decode(datagram(v, [values], **hdr), RT(target) if target else None,
                   exaddr=0x0A000001)
    return decoded(target or v, d.records)[0]


def test_quirk_v5_engine_copied():
    r = _one("5", {"srcaddr": 1}, et=3, ei=7)
    assert (r["engine_type"], r["engine_id"]) == (3, 7)


@pytest.mark.parametrize("v", ("6", "7") + V8)
def test_quirk_engine_type_gets_engine_id(v):
    r = _one(v, {"dPkts": 5}, et=3, ei=7)
    assert (r["engine_type"], r["engine_id"]) == (7, 0)


def test_quirk_v6_encaps_and_peer_nexthop_not_copied():
    r = _one("6", {"in_encaps": 9, "out_encaps": 10, "peer_nexthop": 0x01020304,
                   "src_as": 65000})
    assert (r["in_encaps"], r["out_encaps"], r["peer_nexthop"]) == (0, 0, 0)
    assert r["src_as"] == 65000


def test_quirk_v7_router_sc_copied_flags_ignored():
    dg = datagram("7", [{"router_sc": 0x0A0B0C0D, "_pad": 0xFF, "_cisco_flags": 0xFFFF}])
    d = pdu.decode(dg)
    assert decoded("7", d.records)[0]["router_sc"] == 0x0A0B0C0D
    assert d.records[55] == 0         # the file's v7 "flags" byte stays 0


def test_quirk_v8_10_input_output_not_copied():
    r = _one("8.10", {"input": 11, "output": 12, "srcport": 80, "prot": 6, "tos": 4})
    assert (r["input"], r["output"]) == (0, 0)
    assert (r["srcport"], r["prot"], r["tos"]) == (80, 6, 4)


def test_quirk_v1_tcp_flags_from_byte_40_retx_dropped():
    dg = datagram("1", [{"tcp_flags": 0x1B, "_pad": 0xFFFF, "_tcp_retx_cnt": 1,
                         "_tcp_retx_secs": 2, "_tcp_misseq_cnt": 3, "_reserved": U32}])
    assert dg[16 + 40] == 0x1B
    rec = pdu.decode(dg).records
    assert decoded("1", rec)[0]["tcp_flags"] == 0x1B
    assert rec[56:60] == b"\0\0\0\0"   # v1's reserved stays zero


def test_v8_prefix_methods_swap_exaddr_and_uptime_in_the_file():
    for v in ("8.3", "8.11", "8.12"):
        d = pdu.decode(datagram(v, [{}], upt=0x11111111), exaddr=0x22222222)
        rec = bytes(d.records)
        assert rec[8:12] == struct.pack("=I", 0x22222222)
        assert rec[12:16] == struct.pack("=I", 0x11111111)


def test_every_record_gets_the_header_times_and_exaddr():
    wrecs = [{"srcaddr": i} for i in range(30)]
    d = pdu.decode(datagram("5", wrecs, upt=5, secs=6, nsecs=7), exaddr=0x7F000001)
    for r in decoded("5", d.records):
        assert (r["sysUpTime"], r["unix_secs"], r["unix_nsecs"], r["exaddr"]) == \
            (5, 6, 7, 0x7F000001)


@pytest.mark.parametrize("v", ("5", "6", "7", "8.1", "8.3", "8.4", "8.5", "8.9", "8.11",
                               "8.12", "8.13"))
def test_as_substitution(v):
    wf = wire_fields(v)
    wrecs = [{"src_as": 0, "dst_as": 0}, {"src_as": 5, "dst_as": 6}]
    got = decoded(v, pdu.decode(datagram(v, wrecs), as_sub=64512).records)
    assert got == expect(v, {}, wrecs, as_sub=64512)
    if "src_as" in wf:
        assert got[0]["src_as"] == 64512 and got[1]["src_as"] == 5
    if "dst_as" in wf:
        assert got[0]["dst_as"] == 64512 and got[1]["dst_as"] == 6


# translation between v1, v5, v6, v7 and v1005 files

@pytest.mark.parametrize("dv", NON_V8)
@pytest.mark.parametrize("tv", NON_V8 + ("1005",))
def test_translation_matrix(dv, tv):
    rng = random.Random(dv + tv)
    wrecs = [wire_values(dv, rng) for _ in range(2)]
    d = pdu.decode(datagram(dv, wrecs, **HDR), RT(tv), exaddr=0x01020304)
    assert d.rectype == RT(tv) and d.count == 2
    assert decoded(tv, d.records) == expect(dv, HDR, wrecs, tv, exaddr=0x01020304)


def test_v1_into_v5_loses_output_but_v1005_keeps_it():
    assert _one("1", {"input": 3, "output": 4}, "5")["output"] == 0
    assert _one("1", {"input": 3, "output": 4}, "6")["output"] == 0
    assert _one("1", {"input": 3, "output": 4}, "7")["output"] == 0
    assert _one("1", {"input": 3, "output": 4}, "1")["output"] == 4
    r = _one("1", {"input": 3, "output": 4}, "1005")
    assert (r["input"], r["output"], r["src_as"], r["engine_type"]) == (3, 4, 0, 0)


def test_v5_into_v1005_tags_zero_and_v6_into_v7():
    r = _one("5", {"src_as": 9, "src_mask": 24}, "1005", et=1, ei=2)
    assert (r["src_as"], r["src_mask"], r["engine_type"], r["engine_id"],
            r["src_tag"], r["dst_tag"]) == (9, 24, 1, 2, 0, 0)
    r = _one("6", {"src_as": 9}, "7", et=1, ei=2)
    assert (r["src_as"], r["engine_type"], r["engine_id"], r["router_sc"]) == (9, 2, 0, 0)
    r = _one("7", {"router_sc": 9}, "6")
    assert r["peer_nexthop"] == 0


def test_v8_only_into_the_same_method():
    dg = datagram("8.3", [{"srcaddr": 1}])
    assert pdu.decode(dg, RT("8.3")).count == 1
    with pytest.raises(pdu.DatagramError) as e:
        pdu.decode(dg, RT("8.4"))
    assert e.value.status == lib.FTC_EAGGMETHOD
    assert e.value.reason == lib.FTC_PDU_R_XLATE_AGG
    for t in NON_V8 + ("1005",):
        with pytest.raises(pdu.DatagramError) as e:
            pdu.decode(dg, RT(t))
        assert e.value.status == lib.FTC_EDVERSION
        assert e.value.reason == lib.FTC_PDU_R_XLATE_V8
    with pytest.raises(pdu.DatagramError) as e:
        pdu.decode(datagram("5", [{}]), RT("8.1"))
    assert e.value.status == lib.FTC_EDVERSION


def test_compat():
    assert pdu.compat(RT("1"), RT("1005"))
    assert pdu.compat(RT("8.2"), RT("8.2"))
    assert not pdu.compat(RT("8.2"), RT("8.1"))
    assert not pdu.compat(RT("5"), RT("8.1"))
    with pytest.raises(InternalError):
        pdu.compat(RT("5"), 77)


# ---------------------------------------------------------------------------
# 6.4 verification

def _reason(data):
    with pytest.raises(pdu.DatagramError) as e:
        pdu.verify(data)
    assert e.value.status == lib.FTC_EBADPDU
    return e.value.reason


def test_rule1_short():
    for n in range(4):
        assert _reason(b"\x00\x05\x00\x00"[:n]) == lib.FTC_PDU_R_SHORT


def test_rule2_version():
    for version in (0, 2, 3, 4, 9, 10, 1005, 0xFFFF):
        assert _reason(struct.pack(">HH", version, 0) + bytes(20)) == lib.FTC_PDU_R_VERSION


@pytest.mark.parametrize("v", WIRE_VERSIONS)
def test_counts_zero_one_max_and_max_plus_one(v):
    hdr_size, size, mx, _ = WIRE[v]
    for n in (0, 1, mx):
        dg = datagram(v, [{} for _ in range(n)])
        assert len(dg) == hdr_size + n * size
        h = pdu.verify(dg)
        assert h.count == n and h.rectype == RT(v)
        assert pdu.decode(dg).count == n
    # one more than the maximum, with the matching length: rule 3
    dg = datagram(v, [{} for _ in range(mx + 1)])
    assert _reason(dg) == lib.FTC_PDU_R_COUNT


@pytest.mark.parametrize("v", WIRE_VERSIONS)
def test_rule4_exact_length(v):
    dg = datagram(v, [{}, {}])
    assert _reason(dg[:-1]) == lib.FTC_PDU_R_LENGTH
    short_by_record = dg[:-WIRE[v][1]]
    assert _reason(short_by_record) == lib.FTC_PDU_R_LENGTH
    if v in ("8.6", "8.7", "8.8"):      # Catalyst padding accepted, ignored
        for extra in (1, 4, 100):
            padded = dg + b"\xEE" * extra
            h = pdu.verify(padded)
            assert h.count == 2 and h.length == len(dg)
            assert pdu.decode(padded).records == pdu.decode(dg).records
    else:
        assert _reason(dg + b"\0") == lib.FTC_PDU_R_LENGTH
        assert _reason(dg + b"\0" * 4) == lib.FTC_PDU_R_LENGTH


def test_count_zero_is_header_only():
    for v in WIRE_VERSIONS:
        dg = datagram(v, [])
        assert pdu.verify(dg).count == 0
        assert pdu.decode(dg).records == b""
        if v not in ("8.6", "8.7", "8.8"):
            assert _reason(dg + bytes(4)) == lib.FTC_PDU_R_LENGTH


def test_rule5_v8():
    for n in range(4, 24):
        assert _reason(datagram("8.1", [])[:n]) == lib.FTC_PDU_R_V8SHORT
    # 24..27 bytes: method and agg_version readable, length still wrong
    assert _reason(datagram("8.1", [])[:24]) == lib.FTC_PDU_R_LENGTH
    for aggver in (1, 3, 255):
        assert _reason(datagram("8.1", [], aggver=aggver)) == lib.FTC_PDU_R_AGGVER
    for method in (0, 15, 255):
        assert _reason(header(8, 0, method=method)) == lib.FTC_PDU_R_METHOD
    h = pdu.verify(datagram("8.5", [{}], aggver=0))      # Juniper: 0 means 2
    assert (h.agg_method, h.agg_version, h.rectype) == (5, 2, RT("8.5"))


def test_rejected_header_is_filled_as_far_as_the_bytes_go():
    h = ffi.new("ftc_pdu_hdr_t *")
    reason = ffi.new("int *")
    dg = header(5, 31, upt=1, secs=2, nsecs=3, seq=4, et=5, ei=6)
    assert lib.ftc_pdu_verify(dg, len(dg), h, reason) == lib.FTC_EBADPDU
    assert reason[0] == lib.FTC_PDU_R_COUNT and h.rectype == -1
    assert (h.version, h.count, h.sysUpTime, h.flow_sequence, h.engine_id) == (5, 31, 1, 4, 6)
    assert lib.ftc_pdu_verify(dg, 6, h, reason) == lib.FTC_EBADPDU
    assert (h.count, h.sysUpTime, h.unix_secs) == (31, 0x0000, 0)


def test_decode_c_statuses():
    dg = datagram("5", [{}, {}])
    produced = ffi.new("size_t *")
    out = ffi.new("uint8_t[]", 256)
    # too small for 2 x 64 bytes: FTC_EFULL, nothing written
    assert lib.ftc_pdu_decode(dg, len(dg), 0, 0, -1, out, 127, produced, ffi.NULL,
                              ffi.NULL) == lib.FTC_EFULL
    assert produced[0] == 0
    assert lib.ftc_pdu_decode(dg, len(dg), 0, 0, -1, out, 128, produced, ffi.NULL,
                              ffi.NULL) == lib.FTC_OK
    assert produced[0] == 2
    assert lib.ftc_pdu_decode(dg, len(dg), 0, 0, -1, out, 128, ffi.NULL, ffi.NULL,
                              ffi.NULL) == lib.FTC_EINVAL
    assert lib.ftc_pdu_decode(dg, len(dg), 0, 0, lib.FTC_RT_COUNT, out, 128, produced,
                              ffi.NULL, ffi.NULL) == lib.FTC_EINVAL
    # into v1006 (IPv4 and IPv6 flows): 2 x 112 bytes
    reason = ffi.new("int *")
    assert lib.ftc_pdu_decode(dg, len(dg), 0, 0, lib.FTC_RT_V1006, out, 223, produced,
                              ffi.NULL, reason) == lib.FTC_EFULL
    assert lib.ftc_pdu_decode(dg, len(dg), 0, 0, lib.FTC_RT_V1006, out, 224, produced,
                              ffi.NULL, reason) == lib.FTC_OK
    assert reason[0] == lib.FTC_PDU_R_OK and produced[0] == 2
    # v8 has no v1006 form
    dg8 = datagram("8.1", [{}])
    assert lib.ftc_pdu_decode(dg8, len(dg8), 0, 0, lib.FTC_RT_V1006, out, 256, produced,
                              ffi.NULL, reason) == lib.FTC_EDVERSION
    assert reason[0] == lib.FTC_PDU_R_XLATE_V8 and produced[0] == 0
    assert lib.ftc_pdu_verify(ffi.NULL, 5, ffi.NULL, ffi.NULL) == lib.FTC_EINVAL


# ---------------------------------------------------------------------------
# 6.6 sequence accounting

A, B, LOCAL = 0x0A000001, 0x0A000002, 0x0A0000FE


def _seq_dg(seq, count, et=0, ei=0, version="5"):
    return datagram(version, [{} for _ in range(count)], seq=seq, et=et, ei=ei)


VERIFIED = [  # formats.md 6.6: (seq, count, engine_type, engine_id)
    (0, 3, 0, 0), (3, 2, 0, 0), (15, 1, 0, 0),      # 15 when 5 expected: lost 10
    (5000, 1, 1, 2),                                 # second engine: own slot
    (100000, 1, 0, 0),                               # jump: reset
    (5, 1, 0, 0),                                    # back to 5: reset
]


def test_sequence_verified_example_tracker():
    t = pdu.SequenceTracker()
    results = [t.check(A, LOCAL, pdu.verify(_seq_dg(*x))) for x in VERIFIED]
    assert results[0] == (pdu.SEQ_NEW, 0, 0)
    assert results[1] == (0, 0, 0)
    assert results[2] == (pdu.SEQ_LOST, 5, 10)
    assert results[3] == (0, 0, 0)
    assert results[4] == (pdu.SEQ_RESET, 16, 100000 - 16)
    assert results[5] == (pdu.SEQ_RESET, 100001, (U32 - 100001) + 5)
    (ex,) = t.exporters()
    assert (ex.exporter_ip, ex.local_ip, ex.version) == (A, LOCAL, 5)
    assert (ex.pkts, ex.flows, ex.lost, ex.resets) == (6, 9, 10, 2)
    assert len(t) == 3        # the exporter and two engines


def test_sequence_verified_example_batch():
    dgrams = [_seq_dg(*x) for x in VERIFIED]
    res = pdu.decode_many(b"".join(dgrams), [len(d) for d in dgrams], [A] * 6,
                          tracker=pdu.SequenceTracker())
    assert (res.lost, res.resets, res.corrupt, res.accepted, res.count) == (10, 2, 0, 6, 9)
    assert [(e.index, e.kind) for e in res.events] == [
        (0, pdu.EV_EXPORTER), (2, pdu.EV_SEQ), (4, pdu.EV_SEQ), (5, pdu.EV_SEQ)]
    e = res.events[1]
    assert (e.expected, e.received, e.lost, e.src_ip, e.version) == (5, 15, 10, A, 5)
    assert res.events[2].lost >= pdu.SEQ_RESET_GAP


def test_sequence_wrap_arithmetic_is_one_short():
    t = pdu.SequenceTracker()
    hdr = pdu.verify(_seq_dg(0xFFFFFFF0, 15))          # expects 0xFFFFFFFF next
    assert t.check(A, 0, hdr)[0] == pdu.SEQ_NEW
    # 0xFFFFFFFF, 0, 1, 2 missing: 4 flows, the reference says 3
    assert t.check(A, 0, pdu.verify(_seq_dg(3, 1))) == (pdu.SEQ_LOST, U32, 3)
    # sequence numbers wrap silently when in order
    t2 = pdu.SequenceTracker()
    t2.check(A, 0, pdu.verify(_seq_dg(0xFFFFFFFE, 5)))
    assert t2.check(A, 0, pdu.verify(_seq_dg(3, 1)))[0] == 0
    # expected == 0xFFFFFFFF and seq 0: a gap of 1 computes as 0, still a mismatch
    t3 = pdu.SequenceTracker()
    t3.check(A, 0, pdu.verify(_seq_dg(0xFFFFFFFE, 1)))
    assert t3.check(A, 0, pdu.verify(_seq_dg(0, 1))) == (pdu.SEQ_LOST, U32, 0)


def test_sequence_reset_threshold():
    t = pdu.SequenceTracker()
    t.check(A, 0, pdu.verify(_seq_dg(0, 1)))
    assert t.check(A, 0, pdu.verify(_seq_dg(1000, 1))) == (pdu.SEQ_LOST, 1, 999)
    assert t.check(A, 0, pdu.verify(_seq_dg(2001, 1))) == (pdu.SEQ_RESET, 1001, 1000)
    ex = t.exporters()[0]
    assert (ex.lost, ex.resets) == (999, 1)


def test_sequence_v1_never_checked():
    t = pdu.SequenceTracker()
    for i in range(3):
        flags, _, _ = t.check(A, 0, pdu.verify(datagram("1", [{}] * (i + 1))))
        assert flags == (pdu.SEQ_NEW if i == 0 else 0)
    assert len(t) == 1 and t.exporters()[0].flows == 6


def test_sequence_separate_keys():
    t = pdu.SequenceTracker()
    h0 = pdu.verify(_seq_dg(0, 1))
    assert t.check(A, 0, h0)[0] == pdu.SEQ_NEW
    assert t.check(B, 0, h0)[0] == pdu.SEQ_NEW           # other exporter
    assert t.check(A, LOCAL, h0)[0] == pdu.SEQ_NEW       # other local address
    assert t.check(A, 0, pdu.verify(_seq_dg(0, 1, version="7")))[0] == pdu.SEQ_NEW
    assert t.check(A, 0, pdu.verify(_seq_dg(0, 1, version="8.1")))[0] == pdu.SEQ_NEW
    # all v8 methods share the version-8 key of an exporter
    assert t.check(A, 0, pdu.verify(_seq_dg(1, 1, version="8.2"))) == (0, 0, 0)
    assert len(t.exporters()) == 5


def test_sequence_engine_index_is_id_times_256_plus_type():
    t = pdu.SequenceTracker()
    t.check(A, 0, pdu.verify(_seq_dg(0, 1, et=1, ei=2)))
    assert t.check(A, 0, pdu.verify(_seq_dg(0, 1, et=2, ei=1)))[0] == 0    # new engine
    assert t.check(A, 0, pdu.verify(_seq_dg(1, 1, et=1, ei=2)))[0] == 0
    engines = sorted(s.engine for s in t.slots() if s.kind == lib.FTC_SEQ_ENGINE)
    assert engines == [1 * 256 + 2, 2 * 256 + 1]


def test_sequence_table_grows_and_keeps_state():
    t = pdu.SequenceTracker(capacity=4)
    for ip in range(300):
        t.check(ip, 0, pdu.verify(_seq_dg(10, 2)))
    assert t.capacity >= 4 * 300 // 3 and len(t) == 600
    for ip in range(300):
        assert t.check(ip, 0, pdu.verify(_seq_dg(12, 1)))[0] == 0
    assert [e.pkts for e in t.exporters()] == [2] * 300


def test_seq_c_statuses():
    from pyflowtools.core import table
    tb = table.Table(table.SEQ, lib.FTC_SEQ_KEY_LEN, 4)
    t = tb.t
    assert tb.stride == ffi.sizeof("ftc_seq_slot_t") == 64
    h = ffi.new("ftc_pdu_hdr_t *", {"version": 5, "count": 1})
    assert lib.ftc_seq_check(t, 1, 0, h, 0, ffi.NULL, ffi.NULL) == lib.FTC_SEQ_NEW
    assert t.used == 2 and not t.full
    # 3/4 of 4 slots: one more exporter needs two slots -> full, untouched
    assert lib.ftc_seq_check(t, 2, 0, h, 0, ffi.NULL, ffi.NULL) == lib.FTC_EFULL
    assert t.used == 2 and t.full
    idx = ffi.new("uint32_t *")
    assert lib.ftc_seq_find(t, 1, 0, 5, idx) == 1
    assert tb.slot(idx[0], "ftc_seq_slot_t").pkts == 1
    assert lib.ftc_seq_find(t, 2, 0, 5, idx) == 0
    assert lib.ftc_seq_find(t, 1, 0, 5, ffi.NULL) == lib.FTC_EINVAL
    t.cap = 3                                  # not a power of two
    assert lib.ftc_seq_check(t, 1, 0, h, 0, ffi.NULL, ffi.NULL) == lib.FTC_EINVAL
    t.cap = 4
    t.kind = table.AGG                         # a table of another kind
    assert lib.ftc_seq_check(t, 1, 0, h, 0, ffi.NULL, ffi.NULL) == lib.FTC_EINVAL
    t.kind = table.SEQ
    assert lib.ftc_seq_check(t, 1, 0, ffi.NULL, 0, ffi.NULL, ffi.NULL) == lib.FTC_EINVAL
    # the one rehash: into a table too small, a non-empty one, then a good one
    small = table.Table(table.SEQ, lib.FTC_SEQ_KEY_LEN, 4)
    small.t.used = 3
    assert lib.ftc_tab_rehash(t, small.t) == lib.FTC_EINVAL
    tb.grow()
    assert tb.cap == 16 and len(tb) == 2 and not tb.t.full
    assert lib.ftc_tab_rehash(t, tb.t) == lib.FTC_EINVAL      # target not empty
    h.flow_sequence = 1                        # the next one expected: state kept
    assert lib.ftc_seq_check(tb.t, 1, 0, h, 0, ffi.NULL, ffi.NULL) == 0
    assert lib.ftc_seq_check(tb.t, 2, 0, h, 0, ffi.NULL, ffi.NULL) == lib.FTC_SEQ_NEW


# ---------------------------------------------------------------------------
# receive batches: rules 6 and 7, the file type, counts, events

def _feed(rx, dgrams, srcs=None, dsts=None):
    srcs = srcs or [A] * len(dgrams)
    return rx.feed(b"".join(dgrams), array.array("I", map(len, dgrams)), srcs, dsts)


def test_batch_five_bad_datagrams_count_corrupt():
    bad = [b"\0\5", struct.pack(">HH", 9, 0) + bytes(20), datagram("5", [{}])[:-1],
           datagram("8.1", [], aggver=3), header(8, 0, method=15)]
    res = _feed(pdu.Receiver(tracker=pdu.SequenceTracker()), bad)
    assert (res.corrupt, res.accepted, res.count, res.rectype) == (5, 0, 0, None)
    assert [e.reason for e in res.events] == [
        lib.FTC_PDU_R_SHORT, lib.FTC_PDU_R_VERSION, lib.FTC_PDU_R_LENGTH,
        lib.FTC_PDU_R_AGGVER, lib.FTC_PDU_R_METHOD]
    assert sum(res.reasons.values()) == 5


def test_batch_first_accepted_datagram_fixes_the_file_type():
    rng = random.Random(7)
    w7 = [wire_values("7", rng) for _ in range(2)]
    w5 = [wire_values("5", rng)]
    dgs = [b"junk", datagram("7", w7, **HDR), datagram("5", w5, **HDR),
           datagram("8.1", [{}]), datagram("1", [{"output": 9}])]
    rx = pdu.Receiver()
    res = _feed(rx, dgs)
    assert rx.rectype == res.rectype == RT("7")
    assert (res.accepted, res.corrupt, res.count) == (3, 2, 4)
    assert res.reasons[lib.FTC_PDU_R_XLATE_V8] == 1
    want = (expect("7", HDR, w7, exaddr=A) + expect("5", HDR, w5, "7", exaddr=A)
            + expect("1", {}, [{"output": 9}], "7", exaddr=A))
    assert decoded("7", res.records) == want
    # the file type stays fixed for the next batch
    res2 = _feed(rx, [datagram("5", w5, **HDR)])
    assert res2.rectype == RT("7")


def test_batch_rule7_v8_methods():
    rx = pdu.Receiver(rectype=RT("8.1"))
    res = _feed(rx, [datagram("8.2", [{}]), datagram("5", [{}]), datagram("8.1", [{}])])
    assert [e.reason for e in res.events if e.kind == pdu.EV_CORRUPT] == [
        lib.FTC_PDU_R_XLATE_AGG, lib.FTC_PDU_R_XLATE_V8]
    assert res.events[0].agg_method == 2 and res.events[0].version == 8
    assert (res.accepted, res.count) == (1, 1)


def test_batch_rule6_remote_ip():
    rx = pdu.Receiver(remote_ip=B, tracker=pdu.SequenceTracker())
    res = _feed(rx, [_seq_dg(0, 1), _seq_dg(0, 2)], srcs=[A, B])
    assert (res.corrupt, res.accepted, res.count) == (1, 1, 2)
    assert res.events[0].reason == lib.FTC_PDU_R_SRCIP and res.events[0].src_ip == A
    assert decoded("5", res.records)[0]["exaddr"] == B
    assert [e.exporter_ip for e in rx.tracker.exporters()] == [B]


def test_batch_local_addresses_and_new_exporter_events():
    rx = pdu.Receiver(tracker=pdu.SequenceTracker())
    res = _feed(rx, [_seq_dg(0, 1), _seq_dg(0, 1), _seq_dg(1, 1)],
                srcs=[A, A, A], dsts=[1, 2, 1])
    assert [(e.index, e.kind, e.dst_ip) for e in res.events] == [
        (0, pdu.EV_EXPORTER, 1), (1, pdu.EV_EXPORTER, 2)]
    assert res.lost == 0


def test_batch_without_tracker_counts_no_loss():
    a, b = _seq_dg(0, 1), _seq_dg(500, 1)
    res = pdu.decode_many(a + b, [len(a), len(b)], [A, A])
    assert (res.accepted, res.lost, res.resets, res.events) == (2, 0, 0, [])


def test_batch_many_events_with_a_tiny_event_buffer():
    rx = pdu.Receiver(tracker=pdu.SequenceTracker(capacity=4), events=1)
    dgs = [b"x"] * 10 + [_seq_dg(0, 1)] * 5
    res = _feed(rx, dgs, srcs=list(range(15)))
    assert [e.index for e in res.events] == list(range(15))
    assert (res.corrupt, res.accepted) == (10, 5)
    assert len(rx.tracker.exporters()) == 5


def test_batch_empty_and_argument_checks():
    res = pdu.Receiver().feed(b"", [], [])
    assert (res.count, res.pdus, res.records.nbytes) == (0, 0, 0)
    with pytest.raises(InternalError):
        pdu.Receiver().feed(b"abc", [4], [A])


def test_batch_c_out_full_and_resume():
    dg = datagram("8.1", [{} for _ in range(51)])        # 51 x 48 = 2448 bytes out
    n = 5
    buf = dg * n
    lens = ffi.new("uint32_t[]", [len(dg)] * n)
    srcs = ffi.new("uint32_t[]", [A] * n)
    rt = ffi.new("int *", -1)
    produced = ffi.new("size_t *")
    stats = ffi.new("ftc_pdu_rx_stats_t *")
    out = ffi.new("uint8_t[]", pdu.DECODE_MAX)
    assert lib.ftc_pdu_rx_batch(buf, len(buf), lens, n, srcs, ffi.NULL, ffi.NULL, 0, 0, rt,
                                ffi.NULL, ffi.NULL, 0, out,
                                pdu.DECODE_MAX - 1, produced, ffi.NULL, 0,
                                stats) == lib.FTC_EINVAL
    done = 0
    for _ in range(n):
        rest = buf[done * len(dg):]
        r = lib.ftc_pdu_rx_batch(rest, len(rest), lens + done, n - done, srcs + done,
                                 ffi.NULL, ffi.NULL, 0, 0, rt, ffi.NULL, ffi.NULL, 0, out,
                                 pdu.DECODE_MAX,
                                 produced, ffi.NULL, 0, stats)
        assert produced[0] == 51 and stats.pdus == 1
        assert stats.bytes == len(dg)
        done += stats.pdus
        assert r == (lib.FTC_OK if done == n else lib.FTC_EFULL)
        if r == lib.FTC_EFULL:
            assert stats.full == lib.FTC_PDU_FULL_OUT
    assert rt[0] == RT("8.1")


def test_batch_agrees_with_single_decode():
    rng = random.Random(3)
    dgs, srcs = [], []
    for _i in range(200):
        v = rng.choice(WIRE_VERSIONS)
        n = rng.randint(0, WIRE[v][2])
        dg = datagram(v, [wire_values(v, rng) for _ in range(n)], **HDR)
        if rng.random() < 0.2:
            dg = dg[:rng.randrange(len(dg) + 1)]
        dgs.append(dg)
        srcs.append(rng.getrandbits(32))
    for target in ("5", "8.4", "1005"):
        res = _feed(pdu.Receiver(rectype=RT(target)), dgs, srcs)
        want = b""
        ok = 0
        for dg, src in zip(dgs, srcs):
            try:
                want += pdu.decode(dg, RT(target), exaddr=src).records
                ok += 1
            except pdu.DatagramError:
                pass
        assert bytes(res.records) == want
        assert (res.accepted, res.corrupt, res.pdus) == (ok, 200 - ok, 200)


# ---------------------------------------------------------------------------
# 6.7 encoding (flow-send)

def recs_bytes(version, recs):
    full = [{f: r.get(f, 0) for f in oracle.fields(version)} for r in recs]
    return oracle.encode_records(version, full, HOST)


def parse(dg):
    """(header dict, [wire record dicts]) of a datagram, with struct."""
    version, count = struct.unpack_from(">HH", dg)
    if version == 1:
        keys = ("version", "count", "upt", "secs", "nsecs")
        h = dict(zip(keys, struct.unpack_from(">HHIII", dg)))
        v = "1"
    elif version == 8:
        keys = ("version", "count", "upt", "secs", "nsecs", "seq", "et", "ei", "method",
                "aggver", "reserved")
        h = dict(zip(keys, struct.unpack_from(">HHIIIIBBBBI", dg)))
        v = "8.%d" % h["method"]
    else:
        keys = ("version", "count", "upt", "secs", "nsecs", "seq", "et", "ei", "reserved")
        h = dict(zip(keys, struct.unpack_from(">HHIIIIBBH", dg)))
        v = str(version)
    hs, size = WIRE[v][0], WIRE[v][1]
    assert len(dg) == hs + count * size
    return h, [unpack_record(v, dg[hs + i * size:hs + (i + 1) * size]) for i in range(count)]


def test_encode_v5_verified_sizes_and_sequences():
    recs = [{"unix_secs": 100, "srcaddr": i} for i in range(35)]
    recs += [{"unix_secs": 100, "engine_type": 1, "engine_id": 2, "srcaddr": 99}]
    recs += [{"unix_secs": 101, "srcaddr": 100}]
    dgs = pdu.encode(recs_bytes("5", recs), RT("5"))
    assert [len(d) for d in dgs] == [1464, 264, 72, 72]
    hs = [parse(d)[0] for d in dgs]
    assert [h["seq"] for h in hs] == [0, 30, 0, 35]
    assert [(h["et"], h["ei"]) for h in hs] == [(0, 0), (0, 0), (1, 2), (0, 0)]
    assert [h["secs"] for h in hs] == [100, 100, 100, 101]
    assert all(h["reserved"] == 0 for h in hs)
    assert [r["srcaddr"] for d in dgs for r in parse(d)[1]] == list(range(35)) + [99, 100]


@pytest.mark.parametrize("v,n,sizes", [("1", 25, [1168, 64]), ("7", 27, [1428]),
                                       ("8.1", 52, [1456, 56]), ("6", 28, [1428, 76])])
def test_encode_verified_maximum_datagrams(v, n, sizes):
    assert [len(d) for d in pdu.encode(recs_bytes(v, [{}] * n), RT(v))] == sizes


@pytest.mark.parametrize("v", V8)
def test_encode_v8_header(v):
    (dg,) = pdu.encode(recs_bytes(v, [{"sysUpTime": 9, "engine_type": 4,
                                       "engine_id": 5}]), RT(v))
    h, _ = parse(dg)
    assert (h["version"], h["method"], h["aggver"], h["reserved"]) == \
        (8, int(v[2:]), 2, 0)
    assert (h["upt"], h["et"], h["ei"], h["seq"]) == (9, 4, 5, 0)


def test_encode_v1_ignores_engines_when_packing():
    recs = [{"unix_secs": 1, "srcaddr": i, "engine_id": i} for i in range(3)]
    (dg,) = pdu.encode(recs_bytes("5", recs), RT("5"), RT("1"))
    h, wrecs = parse(dg)
    assert h["count"] == 3 and len(dg) == 16 + 3 * 48


@pytest.mark.parametrize("v", WIRE_VERSIONS)
def test_encode_wire_fields(v):
    rng = random.Random("enc" + v)
    rec = {f: rng.getrandbits(8 * oracle.field_width(v, f)) for f in oracle.fields(v)}
    (dg,) = pdu.encode(recs_bytes(v, [rec]), RT(v))
    h, (w,) = parse(dg)
    assert (h["upt"], h["secs"], h["nsecs"]) == \
        (rec["sysUpTime"], rec["unix_secs"], rec["unix_nsecs"])
    for name, value in w.items():
        if name.startswith("_") or name in ENCODE_DROPS.get(v, ()):
            assert value == 0, name
        else:
            assert value == rec[name], name


def test_encode_translation_v1005_and_v1():
    rec = {"srcaddr": 5, "output": 7, "src_as": 3, "src_tag": 9, "engine_type": 1}
    (dg,) = pdu.encode(recs_bytes("1005", [rec]), RT("1005"))      # default: v5
    h, (w,) = parse(dg)
    assert h["version"] == 5 and (w["srcaddr"], w["output"], w["src_as"]) == (5, 7, 3)
    (dg,) = pdu.encode(recs_bytes("1", [{"output": 7, "tcp_flags": 3}]), RT("1"), RT("5"))
    w = parse(dg)[1][0]
    assert (w["output"], w["tcp_flags"]) == (0, 3)     # as the reference's xlate
    (dg,) = pdu.encode(recs_bytes("5", [{"output": 7, "tcp_flags": 3}]), RT("5"), RT("1"))
    w = parse(dg)[1][0]
    assert (w["output"], w["tcp_flags"]) == (7, 3) and dg[16 + 40] == 3


def test_encode_refuses_untranslatable():
    with pytest.raises(FormatError):
        pdu.Encoder(RT("5"), RT("8.1"))
    with pytest.raises(FormatError):
        pdu.Encoder(RT("8.1"), RT("8.2"))
    with pytest.raises(FormatError):
        pdu.Encoder(RT("8.1"), RT("5"))
    with pytest.raises(FormatError):
        pdu.Encoder(RT("5"), RT("1005"))


def test_encoder_state_carries_across_calls_and_flush():
    enc = pdu.Encoder(RT("5"))
    one = recs_bytes("5", [{"unix_secs": 1}])
    assert enc.encode(one) == []                    # unfinished datagram waits
    out = []
    for _ in range(29):
        out += enc.encode(one)
    assert [len(d) for d in out] == [1464]          # the 30th fills it
    assert enc.encode(recs_bytes("5", [{"unix_secs": 2}])) == []
    (last,) = enc.flush()
    assert parse(last)[0]["seq"] == 30
    assert enc.flush() == []


def test_encoder_tiny_output_buffer():
    recs = recs_bytes("5", [{"unix_secs": i // 3} for i in range(100)])
    enc = pdu.Encoder(RT("5"), burst=1)
    assert enc.encode(recs) + enc.flush() == pdu.encode(recs, RT("5"))


def test_encode_c_statuses():
    st = ffi.new("ftc_pdu_enc_t *")
    recs = recs_bytes("5", [{}] * 31)
    out = ffi.new("uint8_t[]", 2000)
    lens = ffi.new("uint32_t[]", 4)
    c = [ffi.new("size_t *") for _ in range(3)]
    # out too small for the full first datagram: it waits in the state
    assert lib.ftc_pdu_encode(st, RT("5"), recs, 31, RT("5"), out, 100, lens, 4,
                              *c) == lib.FTC_EFULL
    assert (c[0][0], c[1][0], c[2][0]) == (30, 0, 0)
    assert lib.ftc_pdu_encode(st, RT("5"), recs[30 * 64:], 1, RT("5"), out, 2000, lens, 4,
                              *c) == lib.FTC_OK
    assert (c[0][0], c[1][0], lens[0]) == (1, 1, 1464)
    assert lib.ftc_pdu_encode_flush(st, out, 10, lens, 4, c[1], c[2]) == lib.FTC_EFULL
    assert lib.ftc_pdu_encode_flush(st, out, 2000, lens, 0, c[1], c[2]) == lib.FTC_EFULL
    assert lib.ftc_pdu_encode_flush(st, out, 2000, lens, 4, c[1], c[2]) == lib.FTC_OK
    assert (c[1][0], lens[0]) == (1, 72)
    assert lib.ftc_pdu_encode(st, RT("5"), recs, 1, RT("1005"), out, 2000, lens, 4,
                              *c) == lib.FTC_EINVAL
    assert lib.ftc_pdu_encode(st, RT("5"), recs, 1, RT("8.3"), out, 2000, lens, 4,
                              *c) == lib.FTC_EDVERSION
    assert lib.ftc_pdu_encode(st, RT("8.2"), recs, 1, RT("8.3"), out, 2000, lens, 4,
                              *c) == lib.FTC_EAGGMETHOD
    assert lib.ftc_pdu_encode(st, RT("5"), ffi.NULL, 1, RT("5"), out, 2000, lens, 4,
                              *c) == lib.FTC_EINVAL


# ---------------------------------------------------------------------------
# properties: encode -> decode round trip, chunking, arbitrary bytes

def after_roundtrip(rec, v, w, t, exaddr):
    """What a record of version v becomes: flow-send as w datagrams (xlate
    v -> w), flow-capture into a file of version t (formats.md 6.5)."""
    rw = {f: rec.get(f, 0) for f in oracle.fields(w)}
    if v == "1" and w in ("5", "6", "7"):
        rw["output"] = 0
    wire = {k: rw[k] for k in wire_fields(w) if k not in ENCODE_DROPS.get(w, ())}
    hdr = {"upt": rw["sysUpTime"], "secs": rw["unix_secs"], "nsecs": rw["unix_nsecs"]}
    if w != "1":
        hdr.update(et=rw["engine_type"], ei=rw["engine_id"])
    return expect(w, hdr, [wire], t, exaddr=exaddr)[0]


def datagram_plan(recs, w):
    """(count, seq) of each datagram flow-send makes of translated records."""
    mx = WIRE[w][2]
    seqs, plan, key = {}, [], None
    for r in recs:
        k = (r["sysUpTime"], r["unix_secs"], r["unix_nsecs"])
        eng = 0 if w == "1" else r.get("engine_id", 0) * 256 + r.get("engine_type", 0)
        k += (eng,)
        if plan and k == key and plan[-1][0] < mx:
            plan[-1][0] += 1
        else:
            plan.append([1, 0 if w == "1" else seqs.get(eng, 0), eng])
            key = k
        seqs[eng] = seqs.get(eng, 0) + 1
    return [(n, s) for n, s, _ in plan]


@st.composite
def keyed_records(draw, version, max_size=90):
    """Records drawing their header fields from a small pool, so runs pack."""
    fields = oracle.fields(version)
    pool = draw(st.lists(st.fixed_dictionaries({
        f: fst.field_values(version, f)
        for f in ("sysUpTime", "unix_secs", "unix_nsecs", "engine_type", "engine_id")
        if f in fields}), min_size=1, max_size=3))
    recs = draw(st.lists(st.tuples(fst.records(version), st.integers(0, len(pool) - 1)),
                         max_size=max_size))
    out = []
    for r, k in recs:
        r = dict(r)
        r.update(pool[k])
        out.append(r)
    return out


@given(st.data())
def test_roundtrip_same_version(data):
    v = data.draw(st.sampled_from(WIRE_VERSIONS))
    recs = data.draw(keyed_records(v))
    src = data.draw(st.integers(0, U32))
    buf, lens = pdu.encode_packed(recs_bytes(v, recs), RT(v))
    assert [(parse(buf[sum(lens[:i]):sum(lens[:i + 1])])[0]["count"])
            for i in range(len(lens))] == [n for n, _ in datagram_plan(recs, v)]
    res = pdu.decode_many(buf, lens, [src] * len(lens), tracker=pdu.SequenceTracker())
    assert (res.corrupt, res.lost, res.resets) == (0, 0, 0)
    assert res.count == len(recs)
    if recs:
        assert res.rectype == RT(v)
        assert decoded(v, res.records) == [after_roundtrip(r, v, v, v, src) for r in recs]


@given(st.data())
def test_roundtrip_translated(data):
    v = data.draw(st.sampled_from(NON_V8 + ("1005",)))
    w = data.draw(st.sampled_from(NON_V8))
    t = data.draw(st.sampled_from(NON_V8 + ("1005",)))
    recs = data.draw(keyed_records(v, max_size=40))
    buf, lens = pdu.encode_packed(recs_bytes(v, recs), RT(v), RT(w))
    plan = datagram_plan([after_roundtrip(r, v, w, w, 0) | {
        "engine_type": r.get("engine_type", 0), "engine_id": r.get("engine_id", 0)}
        for r in recs], w)
    off = 0
    for (n, seq), ln in zip(plan, lens):
        h, _ = parse(buf[off:off + ln])
        assert h["count"] == n and h.get("seq", 0) == seq
        off += ln
    assert len(lens) == len(plan)
    res = pdu.Receiver(rectype=RT(t)).feed(buf, lens, [A] * len(lens))
    assert decoded(t, res.records) == [after_roundtrip(r, v, w, t, A) for r in recs]


@given(st.data())
def test_encoder_chunking_gives_the_same_datagrams(data):
    v = data.draw(st.sampled_from(WIRE_VERSIONS))
    recs = recs_bytes(v, data.draw(keyed_records(v, max_size=120)))
    size = _native.rec_size(RT(v))
    n = len(recs) // size
    cuts = data.draw(fst.chunkings(n, max_cuts=8))
    enc = pdu.Encoder(RT(v), burst=data.draw(st.integers(1, 4)))
    got, prev = [], 0
    for c in cuts + [n]:
        got += enc.encode(recs[prev * size:c * size])
        prev = c
    got += enc.flush()
    assert got == pdu.encode(recs, RT(v))


TARGETS = (None, RT("5"), RT("1"), RT("1005"), RT("8.1"), RT("8.6"))


def _decode_any(data, target, src=0):
    try:
        d = pdu.decode(data, target, exaddr=src)
    except pdu.DatagramError as e:
        assert e.status in (lib.FTC_EBADPDU, lib.FTC_EDVERSION, lib.FTC_EAGGMETHOD)
        return None
    assert d.count == d.header.count
    assert len(d.records) == d.count * _native.rec_size(d.rectype)
    return d


@given(st.binary(max_size=2100))
def test_arbitrary_bytes_never_crash(data):
    for target in TARGETS:
        _decode_any(data, target)


@st.composite
def plausible_datagrams(draw):
    """A real header (any version, count, method) with arbitrary records:
    reaches the length checks and the decoders far more often."""
    version = draw(st.sampled_from((1, 5, 6, 7, 8, 8, 8, 2, 1005)))
    count = draw(st.integers(0, 60))
    hdr = header(version, count, method=draw(st.integers(0, 16)),
                 aggver=draw(st.sampled_from((0, 2, 2, 3))),
                 seq=draw(st.integers(0, U32)))
    return hdr + draw(st.binary(max_size=2048 - len(hdr)))


@given(st.lists(plausible_datagrams(), max_size=20), st.sampled_from(TARGETS))
def test_plausible_datagrams_batch_matches_single(dgs, target):
    rx = pdu.Receiver(rectype=target, tracker=pdu.SequenceTracker(capacity=4), events=3)
    res = _feed(rx, dgs, srcs=list(range(len(dgs))))
    assert res.accepted + res.corrupt == res.pdus == len(dgs)
    single = [_decode_any(d, rx.rectype if rx.rectype is not None else target, i)
              for i, d in enumerate(dgs)]
    if rx.rectype is not None:
        assert bytes(res.records) == b"".join(d.records for d in single if d)


def test_thousands_of_random_buffers():
    rng = random.Random(20240611)
    dgs = []
    for i in range(4000):
        kind = i % 4
        if kind == 0:                       # pure noise
            dg = rng.randbytes(rng.randrange(0, 1600))
        elif kind == 1:                     # a real header, noise after
            v = rng.choice(WIRE_VERSIONS)
            n = rng.randrange(0, WIRE[v][2] + 3)
            d_version, method = oracle.split_version(v)
            dg = header(d_version, n, method=method, seq=rng.getrandbits(32))
            dg += rng.randbytes(max(0, n * WIRE[v][1] + rng.choice((0, 0, 1, -1, 4))))
        elif kind == 2:                     # a valid datagram, bits flipped
            v = rng.choice(WIRE_VERSIONS)
            dg = bytearray(datagram(v, [wire_values(v, rng)
                                        for _ in range(rng.randrange(WIRE[v][2] + 1))]))
            for _ in range(rng.randrange(1, 4)):
                if dg:
                    dg[rng.randrange(len(dg))] ^= 1 << rng.randrange(8)
            dg = bytes(dg)
        else:                               # a valid datagram, truncated
            v = rng.choice(WIRE_VERSIONS)
            dg = datagram(v, [{} for _ in range(rng.randrange(1, WIRE[v][2] + 1))])
            dg = dg[:rng.randrange(len(dg))]
        dgs.append(dg)
    srcs = [rng.getrandbits(32) for _ in dgs]
    headers = [_verify_ok(d) for d in dgs]
    for file_rt in (None, RT("5"), RT("8.3")):
        tracker = pdu.SequenceTracker(capacity=4)
        res = _feed(pdu.Receiver(file_rt, tracker=tracker, events=64), dgs, srcs)
        assert res.pdus == 4000 and res.accepted + res.corrupt == 4000
        assert sum(res.reasons.values()) == res.corrupt
        # independently: the first verified datagram fixes the file type, then
        # only the same type or (both non-v8) translatable types are accepted
        accepted = 0
        for h in headers:
            if h is None:
                continue
            file_rt = h.rectype if file_rt is None else file_rt
            if h.rectype == file_rt or (h.version != 8 and file_rt < RT("8.1")):
                accepted += 1
        assert res.accepted == accepted > 50
        assert len(tracker.exporters()) == accepted
    for target in TARGETS:
        for d in dgs[:1000]:
            _decode_any(d, target)


def _verify_ok(d):
    try:
        return pdu.verify(d)
    except pdu.DatagramError:
        return None


# ---------------------------------------------------------------------------
# fuzz inputs: the harness's seeds and every crasher kept in tests/corpus/pdu

def _fuzz_inputs():
    import pathlib
    root = pathlib.Path(__file__).resolve().parent
    files = sorted((root.parent / "csrc" / "fuzz" / "seeds" / "fuzz_pdu").glob("*"))
    files += sorted((root / "corpus" / "pdu").glob("*"))
    return files


def _frames(data):
    """csrc/fuzz/fuzz_pdu.c's input layout: option byte, then datagrams each
    prefixed by a big-endian length taken modulo 2100."""
    p, out = data[1:], []
    while len(p) >= 2 and len(out) < 64:
        n = min(((p[0] << 8) | p[1]) % 2100, len(p) - 2)
        out.append(p[2:2 + n])
        p = p[2 + n:]
    return out


def _steer(data):
    """fuzz_pdu.c's batch steering: the length word's quotient by 2100 for
    each datagram (bit 0 ends a batch, bits 1-3 x 37 s on the clock, bit 4
    restarts the collector after the batch)."""
    p, out = data[1:], []
    while len(p) >= 2 and len(out) < 64:
        v = (p[0] << 8) | p[1]
        n = min(v % 2100, len(p) - 2)
        out.append(v // 2100)
        p = p[2 + n:]
    return out


def replay_fuzz_pdu_batches(data):
    """fuzz_pdu.c's receive batches through Receiver.feed, v9/IPFIX going to
    a small TemplateCache (tiny caps with option bit 6, none with bit 5; no
    sequence table with bit 7), batches and clock as the harness steers
    them, a collector restart (save -> load into a fresh cache) where asked.
    Checks what the harness does on the Python side: every datagram taken,
    and no record lost or made up."""
    from pyflowtools.core import ipfix
    target = (None, RT("1"), RT("5"), RT("6"), RT("7"), RT("1005"), RT("8.1"),
              RT("8.8"))[data[0] & 7]
    opts = data[0]
    lim = (dict(max_sources=3, max_templates=6, max_per_source=4, max_fields=24,
                pending_bytes=1024, pending_per_source=640, pending_secs=60)
           if opts & 0x40 else
           dict(max_sources=16, max_templates=48, max_per_source=16, max_fields=64,
                pending_bytes=8192, pending_per_source=4096, pending_secs=120))
    cache = None if opts & 0x20 else ipfix.TemplateCache(**lim)
    tracker = None if opts & 0x80 else pdu.SequenceTracker(4)
    rx = pdu.Receiver(target, tracker=tracker, remote_ip=2 if opts & 0x10 else 0,
                      as_sub=64512 if opts & 0x08 else 0, events=3, ipx=cache)
    frames, steer = _frames(data), _steer(data)
    ports = [9995 if i % 7 == 6 else 2055 for i in range(len(frames))]
    now, first, flows, v8, before = 1700000000, 0, 0, 0, 0
    for i, q in enumerate(steer):
        now += ((q >> 1) & 7) * 37
        if not q & 1 and i + 1 < len(frames):
            continue
        part = frames[first:i + 1]
        res = rx.feed(b"".join(part), array.array("I", map(len, part)),
                      [3 if k % 5 == 4 else 2 for k in range(first, i + 1)],
                      [k % 3 for k in range(first, i + 1)],
                      array.array("H", ports[first:i + 1]), now)
        assert res.pdus == len(part) and res.accepted + res.corrupt == len(part)
        flows += res.count
        v8 += _v8_flows(part, res, cache is not None)
        first = i + 1
        if q & 16 and cache is not None:
            blob = cache.save()
            before += sum(s.records for s in cache.sources())
            cache = ipfix.TemplateCache(**lim)
            cache.load(blob)
            rx.ipx = cache
    res = rx.feed(b"", array.array("I"), [], [], array.array("H"), now + 1000)
    flows += res.count
    stored = 0 if cache is None else sum(s.records for s in cache.sources())
    if now + 1000 - 1700000000 < lib.FTC_IPX_IDLE_SECS:   # no source evicted (counts gone)
        assert flows == v8 + before + stored


def _v8_flows(part, res, ipx):
    """Records of the accepted v1-v8 datagrams of a feed: those without a
    CORRUPT event (v9/IPFIX ones, with a cache, are the cache's)."""
    corrupt = {ev.index for ev in res.events if ev.kind == pdu.EV_CORRUPT}
    n = 0
    for i, d in enumerate(part):
        if i in corrupt or (ipx and d[:1] == b"\0" and d[1:2] in (b"\x09", b"\x0a")):
            continue
        n += pdu.verify(d).count
    return n


@pytest.mark.parametrize("path", _fuzz_inputs(), ids=lambda p: p.name)
def test_replay_fuzz_inputs(path):
    data = path.read_bytes()
    if not data:
        return
    target = (None, RT("1"), RT("5"), RT("6"), RT("7"), RT("1005"), RT("8.1"),
              RT("8.8"))[data[0] & 7]
    as_sub = 64512 if data[0] & 0x08 else 0
    frames = _frames(data)
    for dg in [data[1:]] + frames:
        _decode_any(dg, target)
    rx = pdu.Receiver(target, tracker=pdu.SequenceTracker(4), as_sub=as_sub, events=2)
    res = _feed(rx, frames, srcs=[i % 5 for i in range(len(frames))])
    assert res.accepted + res.corrupt == len(frames)
    replay_fuzz_pdu_batches(data)


def test_stream_batch_interop():
    from pyflowtools.io.stream import Batch
    recs = [{"unix_secs": 7, "srcaddr": i, "dPkts": i} for i in range(40)]
    b = Batch(RT("5"), 64, 40)
    b.buf[:] = recs_bytes("5", recs)
    b.n = 40
    dgs = pdu.Encoder(RT("5")).encode(b)             # a Batch goes in as is
    assert [len(d) for d in dgs] == [1464]           # the 10 left wait for flush
    buf, lens = pdu.encode_packed(b.view(), RT("5"))
    res = pdu.decode_many(buf, lens, [A] * len(lens))
    out = res.batch()
    assert (out.rectype, out.n) == (RT("5"), 40)
    assert [r["srcaddr"] for r in decoded("5", out.view())] == list(range(40))


# ---------------------------------------------------------------------------
# v9/IPFIX seeds of the receive-path harnesses (csrc/fuzz/seeds/fuzz_pdu/ipx-*,
# fuzz_relay/ipx-*, fuzz_ipxload/*), written by
# `python -c 'import test_pdu; test_pdu.write_ipx_seeds()'` in tests/

def _ipx_datagrams():
    """Real datagrams: flow-send -V 9 / -V 10 output (ipfixenc) of a few v5
    records, softflowd-like IPFIX with an options template, data waiting
    for its template."""
    import ipfix_oracle as X
    from ipfix_oracle import Field as F
    from pyflowtools.core import ipfixenc
    recs = [{"unix_secs": 1700000100, "sysUpTime": 3600000, "srcaddr": 0x0A000001 + i,
             "dstaddr": 0x0A000102, "dPkts": 3 + i, "dOctets": 400 + i, "First": 3590000,
             "Last": 3599000, "srcport": 1024 + i, "dstport": 53, "prot": 17,
             "engine_id": i // 3} for i in range(6)]
    raw = recs_bytes("5", recs)
    v9 = ipfixenc.encode(raw, RT("5"), 9)
    v10 = ipfixenc.encode(raw, RT("5"), 10)
    flow = [F(8, 4), F(12, 4), F(1, 4), F(2, 4), F(152, 8), F(153, 8), F(7, 2), F(11, 2),
            F(4, 1)]
    t0 = 1700000000 * 1000
    rows = [[0x0A000001 + i, 0x0A000002, 100 + i, 2, t0, t0 + 500, 40000 + i, 443, 6]
            for i in range(3)]
    tpl = X.set_bytes(2, X.template_record(10, 300, flow))
    data = X.set_bytes(300, b"".join(X.data_record(flow, r) for r in rows))
    scope, opt = [F(149, 4)], [F(160, 8), F(34, 4)]
    opts = X.ipfix([X.set_bytes(3, X.options_record(10, 301, scope, opt)),
                    X.set_bytes(301, X.data_record(scope + opt, [0, t0 - 3600000, 10]))],
                   export=1700000100)
    return {
        "v9": v9, "v10": v10, "opts": opts,
        "tpl+data": X.ipfix([tpl, data], export=1700000100, seq=0),
        "data": X.ipfix([data], export=1700000100, seq=3),
        "tpl": X.ipfix([tpl], export=1700000100, seq=6),
    }


def fuzz_ipx_seeds():
    """{(harness, name): bytes}: inputs of fuzz_pdu.c, fuzz_relay.c and
    fuzz_ipxload.c made of real v9/IPFIX datagrams."""
    from pyflowtools.core import ipfix
    d = _ipx_datagrams()
    v5 = datagram("5", [{"srcaddr": 1, "dPkts": 1}, {"srcaddr": 2, "dPkts": 2}])

    def pdu_frames(opts, frames):
        """frames: (datagram, q) with q the batch steering (fuzz_pdu.c)"""
        out = bytes([opts])
        for dg, q in frames:
            assert len(dg) < 2100 and q * 2100 + len(dg) < 65536
            out += struct.pack("!H", q * 2100 + len(dg)) + dg
        return out

    def relay_frames(opts, frames):
        return (bytes([opts, len(frames)]) + b"".join(struct.pack("!I", len(f)) for f in frames)
                + b"".join(frames))

    c = ipfix.TemplateCache(max_sources=64, max_templates=256, max_per_source=64,
                            max_fields=512, pending_bytes=1 << 16, pending_per_source=1 << 15,
                            pending_secs=60)
    c.decode(d["opts"], 0x0A000001, 2055, 0x7F000001, 1700000000, RT("5"))
    c.decode(d["tpl+data"], 0x0A000001, 2055, 0x7F000001, 1700000000, RT("5"))
    blob = c.save()
    return {
        ("fuzz_pdu", "ipx-enc"): pdu_frames(0x02, [(x, 0) for x in d["v9"]] + [(v5, 1)]
                                            + [(x, 0) for x in d["v10"]]),
        ("fuzz_pdu", "ipx-pending"): pdu_frames(0x00, [(d["data"], 1), (v5, 2 | 1),
                                                       (d["tpl"], 0), (d["data"], 1),
                                                       (d["opts"], 8 | 1)]),
        ("fuzz_pdu", "ipx-restart"): pdu_frames(0x02, [(d["opts"], 0), (d["tpl+data"], 16 | 1),
                                                       (d["data"], 1), (d["v9"][0], 0)]),
        ("fuzz_pdu", "ipx-tiny-noseq"): pdu_frames(0x40 | 0x80, [(x, k & 1) for k, x in
                                                                 enumerate(d["v10"] * 3)]),
        ("fuzz_relay", "ipx-any"): relay_frames(0x00, d["v9"] + [v5, d["tpl+data"], d["data"]]),
        ("fuzz_relay", "ipx-filtered"): relay_frames(0x12, [d["data"], d["opts"], d["tpl"]]
                                                     + d["v10"] + [v5]),
        ("fuzz_relay", "ipx-masked-v1005"): relay_frames(0x25, d["v10"] + [d["tpl+data"]]),
        ("fuzz_ipxload", "saved"): b"\0" + struct.pack("!H", len(blob)) + blob + d["data"],
        ("fuzz_ipxload", "saved-nomagic"): (b"\x16" + struct.pack("!H", len(blob) - 8)
                                            + blob[8:] + d["tpl+data"]),
        ("fuzz_ipxload", "truncated-tiny"): (b"\x05" + struct.pack("!H", len(blob) - 5)
                                             + blob[:-5] + d["data"]),
    }


def write_ipx_seeds():
    import pathlib
    root = pathlib.Path(__file__).resolve().parent.parent / "csrc" / "fuzz" / "seeds"
    for (harness, name), data in fuzz_ipx_seeds().items():
        (root / harness).mkdir(parents=True, exist_ok=True)
        (root / harness / name).write_bytes(data)


@pytest.mark.parametrize("key", sorted(fuzz_ipx_seeds()), ids="/".join)
def test_fuzz_ipx_seeds_are_current(key):
    """The committed v9/IPFIX seeds are what fuzz_ipx_seeds() makes."""
    import pathlib
    root = pathlib.Path(__file__).resolve().parent.parent / "csrc" / "fuzz" / "seeds"
    assert (root / key[0] / key[1]).read_bytes() == fuzz_ipx_seeds()[key]


def _relay_corpus():
    import pathlib
    root = pathlib.Path(__file__).resolve().parent
    return (sorted((root.parent / "csrc" / "fuzz" / "seeds" / "fuzz_relay").glob("*"))
            + sorted((root / "corpus" / "relay").glob("*")))


@pytest.mark.parametrize("path", _relay_corpus(), ids=lambda p: p.name)
def test_replay_fuzz_relay_records(path):
    """csrc/fuzz/fuzz_relay.c's fanout without encoder (flow-capture -f/-F)
    through core.relay.Relay: a small template cache, a sequence table
    grown when full, a record buffer that starts at one datagram's worth
    and is doubled as Relay.run does.  No record is lost or made up: the
    records out are those of the accepted v1-v8 datagrams plus those the
    cache stored (fanout-records-ipx-released-then-full: data sets released
    before a datagram that did not fit were dropped)."""
    from pyflowtools.core import ipfix, relay
    data = path.read_bytes()
    if len(data) < 2:
        return
    targets = (None, RT("1"), RT("5"), RT("6"), RT("7"), RT("1005"), RT("8.1"), RT("8.8"))
    opts, n, data = data[0], data[1] % 65, data[2:]
    n = min(n, len(data) // 4)
    raw = [int.from_bytes(data[4 * i:4 * i + 4], "big") for i in range(n)]
    buf = data[4 * n:]
    lens, left = [], len(buf)
    for v in raw:
        if not opts & 0x40:
            v = min(v % 2100, left)
            left -= v
        lens.append(v)
    if sum(lens) > len(buf):
        return   # the C entry points refuse it (test_bounds)
    rt = targets[opts & 7]
    if opts & 0x10:
        return   # filters: test_bounds.test_replay_fuzz_relay
    cache = None if opts & 0x80 else ipfix.TemplateCache(
        max_sources=16, max_templates=48, max_per_source=16, max_fields=64,
        pending_bytes=8192, pending_per_source=4096, pending_secs=120)
    r = relay.Relay(rectype=rt, encode=False, slots=1, slot_len=1, events=3, ipx=cache)
    srcs = array.array("I", [2 if i % 5 == 4 else 1 for i in range(n)])
    dsts = array.array("I", [i % 2 for i in range(n)])
    ports = array.array("H", [9995 if i % 7 == 6 else 2055 for i in range(n)])
    flows = v8 = done = 0
    mask = 0xFFFFFF00 if opts & 0x20 else relay.NO_MASK
    for stats in r.run(buf, array.array("I", lens), srcs, dsts, 0, 0, pdu.SequenceTracker(4),
                    mask=mask, src_ports=ports, now=1700000000):
        assert stats.rx.accepted + stats.rx.corrupt == stats.rx.pdus
        assert stats.relayed_flows + stats.filtered == stats.rx.flows
        flows += stats.rx.flows
        evs = pdu.events(r.ev, stats.rx.n_events)
        off = sum(lens[:done])
        part = [buf[off + sum(lens[done:done + k]):off + sum(lens[done:done + k + 1])]
                for k in range(stats.rx.pdus)]
        res = type("R", (), {"events": evs})
        v8 += _v8_flows(part, res, cache is not None)
        done += stats.rx.pdus
    assert done == n
    stored = 0 if cache is None else sum(s.records for s in cache.sources())
    assert flows == v8 + stored
