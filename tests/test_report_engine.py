"""The report engine (docs/REPORT-ENGINE.md) against plain Python
evaluations of its documented rules: core/stat.py Totals (totals, time
bounds, rates, histograms, the dPkts == 0 selection), and the aggregation
kernel's report side (virtual key fields, key masks, each-field counting,
rates, dFlows, scale, first-appearance order, ftc_agg_order, ftc_agg_format)."""
import io
import math

import pytest
from hypothesis import given, strategies as st

import oracle
from pyflowtools.core import table
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.core.native import ffi, lib
from pyflowtools.core.stat import Totals
from pyflowtools.io import stream

U32 = 0xFFFFFFFF
V5 = oracle.fields("5")


def rec(**kw):
    r = dict.fromkeys(V5, 0)
    r.update(kw)
    return r


def batches(recs, version="5", per_batch=None):
    data = oracle.write_stream({"d_version": int(version.split(".")[0]),
                                "agg_method": int(version.split(".")[1]) if "." in version
                                else 0, "flags": oracle.HF_STREAMING}, recs, "little")
    rd = stream.reader(io.BytesIO(data), batch_records=per_batch or max(len(recs), 1))
    return [b.copy() for b in rd]


small = st.sampled_from((0, 1, 2, 3, 1000, U32))
records = st.fixed_dictionaries(dict(
    srcaddr=st.sampled_from((0, 0x0A000001, 0x0A000102, 0xC0A80A14, 0xE8000001, 0xF0000001,
                             0x80000001, 0xE0000005)),
    dstaddr=st.sampled_from((0, 0x0A000001, 0xC0A80A14, 0xE8000001, 0xF0000001, 0x80000001,
                             0xE0000005, 0xC0000001)),
    srcport=st.sampled_from((0, 80, 65535)), dstport=st.sampled_from((0, 80, 53)),
    src_mask=st.sampled_from((0, 8, 24, 31, 32, 33)), dst_mask=st.sampled_from((0, 16, 32)),
    dPkts=small, dOctets=small, First=st.sampled_from((0, 5, 1000, 3000, U32)),
    Last=st.sampled_from((0, 5, 1000, 7000, U32)), unix_secs=st.sampled_from((0, 5, 2 ** 31)),
    prot=st.sampled_from((1, 6, 17))))


def py_totals(recs, scale=0):
    t = dict(records=0, ignores=0, flows=0, octets=0, packets=0, duration=0, frecs=0,
             min_secs=U32, max_secs=0, min_first=U32, max_last=0, pps=[], bps=[])
    sel = []
    for r in recs:
        t["records"] += 1
        pk, oc = r["dPkts"] * (scale or 1), r["dOctets"] * (scale or 1)
        if pk == 0:
            t["ignores"] += 1
            sel.append(0)
            continue
        sel.append(1)
        d = (r["Last"] - r["First"]) & U32
        t["flows"] += 1
        t["octets"] += oc
        t["packets"] += pk
        t["duration"] += d
        t["min_secs"] = min(t["min_secs"], r["unix_secs"])
        t["max_secs"] = max(t["max_secs"], r["unix_secs"])
        t["min_first"] = min(t["min_first"], r["First"])
        t["max_last"] = max(t["max_last"], r["Last"])
        if d:
            t["frecs"] += 1
            t["pps"].append(pk / (d / 1000.0))
            t["bps"].append(oc * 8.0 / (d / 1000.0))
    return t, sel


def min0(vals):
    """The reference's minimum: 0 means unset, so a 0 value is replaced by
    the next one."""
    m = 0.0
    for v in vals:
        if m == 0 or v < m:
            m = v
    return m


def bucket(bounds, v, other):
    for i, b in enumerate(bounds):
        if v <= b:
            return i
    return len(bounds) if other else None


PSIZE = list(range(32, 577, 32)) + list(range(1024, 4609, 512))
FPSIZE = [1, 2] + list(range(4, 53, 4)) + [60] + list(range(100, 901, 100))
FOSIZE = [32, 64, 128, 256, 512] + list(range(1280, 15873, 768))
FTIME = [10, 50, 100, 200, 500] + list(range(1000, 10001, 1000)) + list(range(12000, 30001,
                                                                               2000))


@given(st.lists(records, max_size=60), st.sampled_from((0, 1, 3)),
       st.sampled_from((None, 1, 7)))
def test_totals_equal_python(recs, scale, per_batch):
    recs = [rec(**r) for r in recs]
    tot = Totals(scale=scale, hist=True)
    got_sel = []
    for b in batches(recs, per_batch=per_batch):
        got_sel += list(tot.add(b))
    want, sel = py_totals(recs, scale)
    assert got_sel == sel
    for f in ("records", "ignores", "flows", "octets", "packets", "duration", "frecs",
              "min_secs", "max_secs", "min_first", "max_last"):
        assert getattr(tot, f) == want[f], f
    for name, vals in (("pps", want["pps"]), ("bps", want["bps"])):
        avg, mn, mx = getattr(tot, name)()
        assert math.isclose(avg, sum(vals) / len(vals) if vals else 0.0, rel_tol=1e-9)
        assert mn == min0(vals) and mx == (max(vals) if vals else 0.0)
    hists = {k: [0] * 26 for k in ("psize", "fpsize", "fosize", "ftime")}
    for r, s in zip(recs, sel):
        if not s:
            continue
        pk, oc = r["dPkts"] * (scale or 1), r["dOctets"] * (scale or 1)
        for name, bounds, v, other in (("psize", PSIZE, oc // pk, False),
                                       ("fpsize", FPSIZE, pk, True),
                                       ("fosize", FOSIZE, oc, True),
                                       ("ftime", FTIME, (r["Last"] - r["First"]) & U32, True)):
            b = bucket(bounds, v, other)
            if b is not None:
                hists[name][b] += 1
    for name, h in hists.items():
        assert getattr(tot, "hist_" + name) == h, name


def test_totals_selection_skips_unselected_and_counts_dflows():
    recs = [rec(dPkts=1, dOctets=10, srcaddr=1), rec(dPkts=0), rec(dPkts=2, dOctets=5)]
    tot = Totals()
    (b,) = batches(recs)
    assert list(tot.add(b, bytes([1, 1, 0]))) == [1, 0, 0]
    assert (tot.records, tot.ignores, tot.flows, tot.octets) == (2, 1, 1, 10)
    assert (tot.min_secs, tot.max_secs, tot.min_first, tot.max_last) == (0, 0, 0, 0)
    empty = Totals()
    assert (empty.min_secs, empty.min_first, empty.max_secs) == (U32, U32, 0)
    # v8 records count their dFlows
    v8 = oracle.fields("8.1")
    r8 = [dict(dict.fromkeys(v8, 0), dFlows=5, dPkts=1), dict(dict.fromkeys(v8, 0), dFlows=2,
                                                              dPkts=1)]
    tot = Totals()
    for b in batches(r8, "8.1"):
        tot.add(b)
    assert tot.flows == 7
    tot = Totals(dflows=False)
    for b in batches(r8, "8.1"):
        tot.add(b)
    assert tot.flows == 2


# ---- virtual fields, masks, each ---------------------------------------------

def netmask(n):
    """flow-tools' netmask: a 32-bit shift by (32 - n) modulo 32, so /0 keeps
    the whole address and /33 is the top bit (x86 shift semantics)."""
    return (U32 << ((32 - n) & 31)) & U32


def dsttype(a):
    if not a & 0x80000000:
        return 0
    if a & 0xC0000000 == 0x80000000:
        return 1
    if a & 0xE0000000 == 0xC0000000:
        return 2
    if a & 0xF0000000 == 0xE0000000:
        return 4 if a >> 24 == 232 else 3
    return 5


def rate(x, d):
    return 0 if d == 0 else min(int(x / (d / 1000.0)), U32)


VIRT = {
    "pktsize": lambda r: r["dOctets"] // r["dPkts"] if r["dPkts"] else 0,
    "bps": lambda r: rate(r["dOctets"] * 8.0, (r["Last"] - r["First"]) & U32),
    "pps": lambda r: rate(float(r["dPkts"]), (r["Last"] - r["First"]) & U32),
    "duration": lambda r: (r["Last"] - r["First"]) & U32,
    "dsttype": lambda r: dsttype(r["dstaddr"]),
    "srcprefix": lambda r: r["srcaddr"] & netmask(r["src_mask"]),
    "dstprefix": lambda r: r["dstaddr"] & netmask(r["dst_mask"]),
}
FIELDS = ("srcaddr", "dstaddr", "srcport", "dstport", "prot", "src_mask") + tuple(VIRT)


def value(r, f):
    return VIRT[f](r) if f in VIRT else r[f]


def py_agg(recs, key, each=False, mask=None, scale=0):
    out = {}
    for r in recs:
        if scale:           # the record is scaled before it is keyed (bps, pps)
            r = dict(r, dPkts=r["dPkts"] * scale, dOctets=r["dOctets"] * scale)
        vals = [value(r, f) for f in key]
        if mask:
            vals = [v & m for v, m in zip(vals, mask)]
        for k in ([(v,) for v in vals] if each else [tuple(vals)]):
            c = out.setdefault(k, dict(flows=0, octets=0, packets=0, duration=0, frecs=0,
                                       pps=[], bps=[], seq=len(out)))
            pk, oc = r["dPkts"], r["dOctets"]
            d = (r["Last"] - r["First"]) & U32
            c["flows"] += 1
            c["octets"] += oc
            c["packets"] += pk
            c["duration"] += d
            if d:
                c["frecs"] += 1
                c["pps"].append(pk / (d / 1000.0))
                c["bps"].append(oc * 8.0 / (d / 1000.0))
    return out


keys = st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True)


@given(st.lists(records, max_size=60), keys, st.booleans(), st.sampled_from((0, 2)),
       st.sampled_from((None, 3)))
def test_virtual_keys_masks_rates_equal_python(recs, key, masked, scale, per_batch):
    recs = [rec(**r) for r in recs]
    mask = [0xF0F0F0F0 >> (8 * j) for j in range(len(key))] if masked else None
    a = table.Aggregation(key, rates=True, scale=scale, key_and=mask, cap=4)
    for b in batches(recs, per_batch=per_batch):
        a.add(b)
    want = py_agg(recs, key, mask=mask, scale=scale)
    rows = list(a.rows(a.order("seq")))
    assert [r.key for r in rows] == list(want)
    for r in rows:
        w = want[r.key]
        assert (r.flows, r.octets, r.packets, r.duration, r.frecs, r.seq) == \
            (w["flows"], w["octets"], w["packets"], w["duration"], w["frecs"], w["seq"])
        for got, vals in ((r.pps, w["pps"]), (r.bps, w["bps"])):
            assert math.isclose(got[0], sum(vals) / len(vals) if vals else 0.0, rel_tol=1e-9)
            assert got[1:] == (min0(vals), max(vals) if vals else 0.0)


@given(st.lists(records, max_size=60),
       st.sampled_from((("srcaddr", "dstaddr"), ("srcport", "dstport"),
                        ("srcprefix", "dstprefix"))))
def test_each_field_counts_every_record_under_each(recs, key):
    recs = [rec(**dict(r, dPkts=1)) for r in recs]
    a = table.Aggregation(list(key), each=True, cap=4)
    for b in batches(recs, per_batch=5):
        a.add(b)
    want = py_agg(recs, key, each=True)
    rows = list(a.rows(a.order("seq")))
    assert [r.key for r in rows] == list(want)
    assert [(r.flows, r.octets) for r in rows] == [(w["flows"], w["octets"])
                                                    for w in want.values()]
    assert sum(r.flows for r in rows) == len(key) * len(recs)


def test_each_refuses_mixed_widths_and_peers():
    with pytest.raises(FlowToolsError):
        table.Aggregation(["srcaddr", "dstport"], each=True)


# ---- order ------------------------------------------------------------------

ORDERS = ("seq", "key", "flows", "octets", "packets", "duration", "frecs", "avg-pps",
          "min-pps", "max-pps", "avg-bps", "min-bps", "max-bps")


def py_value(w, by):
    if by in ("flows", "octets", "packets", "duration", "frecs", "seq"):
        return w[by]
    kind, what = by.split("-")
    vals = w[what]
    if not vals:
        return 0.0
    return {"avg": sum(vals) / len(vals), "min": min0(vals), "max": max(vals)}[kind]


@given(st.lists(records, max_size=80), keys, st.sampled_from(ORDERS), st.booleans(),
       st.sampled_from(("seq", "key")), st.data())
def test_order_equals_a_stable_python_sort(recs, key, by, desc, ties, data):
    recs = [rec(**r) for r in recs]
    a = table.Aggregation(key, rates=True)
    for b in batches(recs):
        a.add(b)
    want = py_agg(recs, key)
    field = None
    if by == "key" and len(key) > 1:
        field = data.draw(st.sampled_from((None,) + tuple(range(len(key)))))
    items = list(want.items())                   # first appearance order
    if ties == "key":
        items.sort(key=lambda kv: kv[0])
    if by == "key":
        items.sort(key=lambda kv: kv[0] if field is None else kv[0][field])
    elif by != "seq":
        items.sort(key=lambda kv: py_value(kv[1], by))
    if desc:
        items.reverse()
    got = [r.key for r in a.rows(a.order(by, desc=desc, ties=ties, field=field))]
    if by.endswith(("pps", "bps")) and by.startswith("avg"):
        # averages: equal sums may differ in the last bit; compare values
        vals = [py_value(want[k], by) for k in got]
        assert all(math.isclose(x, y, rel_tol=1e-12) or (x > y if desc else x < y)
                   for x, y in zip(vals, vals[1:]))
        assert sorted(got) == sorted(want)
    else:
        assert got == [k for k, _ in items]


def test_order_refuses_what_the_table_lacks():
    a = table.Aggregation(["srcaddr"])
    (b,) = batches([rec(srcaddr=1, dPkts=1)])
    a.add(b)
    for by in ("duration", "frecs", "avg-pps"):
        with pytest.raises(FlowToolsError):
            a.order(by)
    assert list(a.order("key")) == list(a.order("seq"))
    assert list(table.Aggregation(["srcaddr"]).order("flows")) == []


# ---- format -----------------------------------------------------------------

def test_format_renders_every_kind_as_printf_does():
    recs = [rec(srcaddr=0x0A000102, src_mask=16, prot=6, srcport=80, dPkts=3, dOctets=300,
                First=0, Last=2000),
            rec(srcaddr=0xC0A80000, src_mask=24, prot=17, srcport=53, dPkts=1, dOctets=76),
            rec(srcaddr=0, src_mask=0, prot=99, srcport=7, dPkts=2, dOctets=80)]
    a = table.Aggregation(["srcaddr", "src_mask", "prot", "srcport"], rates=True)
    for b in batches(recs):
        a.add(b)
    from pyflowtools.report import symbols
    sym = symbols.CTables(prot="6 tcp\n17 udp\n", port="80 www\n53 domain\n")
    cols = [table.Column("index", width=4, sep="|"),
            table.Column("key0", "ip", 16, "|"),
            table.Column("key0", "prefix", 0, "|", len_field=1),
            table.Column("key2", "sym", 6, "|", sym=sym, sym_kind="prot"),
            table.Column("key3", "sym", 0, "|", sym=sym, sym_kind="port", cut=3),
            table.Column("flows", "dec", 3, "|"),
            table.Column("octets", "pct", 0, "|", total=456),
            table.Column("packets", "pct3", 0, "|", total=6),
            table.Column("avg-pps", "f", 0, "|"),
            table.Column("octets", "pct", 0, "", total=0)]
    text = b"".join(a.format(a.order("seq"), cols, index_start=7)).decode()
    assert text.splitlines() == [
        "7   |10.0.1.2        |10.0.1.2/16|tcp   |www|1  |65.789474|50.000|1.500000|-nan",
        "8   |192.168.0.0     |192.168/24|udp   |dom|1  |16.666667|16.667|0.000000|-nan",
        "9   |0.0.0.0         |0/0|99    |7|1  |17.543860|33.333|0.000000|-nan"]
    # from a start row; and in chunks: many rows through a small first buffer
    assert b"".join(a.format(a.order("seq"), cols[:2], start=2, index_start=9)) == \
        b"9   |0.0.0.0         |\n"


def test_format_many_rows_in_chunks():
    recs = [rec(srcaddr=i, dPkts=1, dOctets=i) for i in range(70000)]
    a = table.Aggregation(["srcaddr"])
    for b in batches(recs, per_batch=8192):
        a.add(b)
    chunks = list(a.format(a.order("seq"), [table.Column("key", "dec", 0, ","),
                                            table.Column("octets", "dec", 25)]))
    lines = b"".join(chunks).decode().splitlines()
    assert len(chunks) > 1
    assert lines == ["%d,%-25d" % (i, i) for i in range(70000)]


def test_format_refuses_bad_columns():
    a = table.Aggregation(["srcaddr"])
    (b,) = batches([rec(srcaddr=1, dPkts=1)])
    a.add(b)
    with pytest.raises(FlowToolsError):
        list(a.format(a.order("seq"), [table.Column("avg-pps", "f")]))   # no rates
    with pytest.raises(FlowToolsError):
        table.Column("nosuch")
    cols = ffi.new("ftc_col_t[]", 1)
    table.Column("key1", "dec").fill(cols[0])        # key field 1 of a one-field key
    out = ffi.new("char[]", 4096)
    ln, done = ffi.new("size_t *"), ffi.new("size_t *")
    idx = ffi.new("uint32_t[]", list(a.order("seq")))
    assert lib.ftc_agg_format(a.table.t, a.key.c, cols, 1, idx, 1, 0, out, 4096, ln,
                              done) == lib.FTC_EINVAL


def test_totals_without_rates_and_aggregation_with_duration_alone():
    recs = [rec(srcaddr=1, dPkts=2, dOctets=100, First=0, Last=2000, unix_secs=50),
            rec(srcaddr=1, dPkts=1, dOctets=10, First=5, Last=5)]
    tot = Totals(rates=False)
    a = table.Aggregation(["srcaddr"], duration=True)
    for b in batches(recs):
        a.add(b, tot.add(b))
    assert (tot.frecs, tot.duration, tot.pps(), tot.bps()) == (1, 2000, (0.0, 0.0, 0.0),
                                                               (0.0, 0.0, 0.0))
    (row,) = a.rows(a.order("seq"))
    assert (row.duration, row.first, row.last) == (2000, 0, 0)       # no unix times
    a = table.Aggregation(["srcaddr"], times=True)
    for b in batches(recs):
        a.add(b)
    (row,) = a.rows(a.order("seq"))
    assert (row.duration, row.first, row.last) == (2000, 0, 52)     # export time + Last


# ---- init orders, key ranges, sums, linear interpolation, time splits ----------

@given(st.lists(records, min_size=1, max_size=60), st.sampled_from(ORDERS[2:6]), st.booleans())
def test_order_from_an_earlier_order_is_stable(recs, by, desc):
    recs = [rec(**r) for r in recs]
    a = table.Aggregation(["srcaddr", "src_mask", "dstport"], rates=True)
    for b in batches(recs):
        a.add(b)
    first = a.order("octets", desc=True)
    got = [r.key for r in a.rows(a.order(by, desc=desc, init=first))]
    rows = {r.key: r for r in a.rows(first)}
    want = sorted((r.key for r in a.rows(first)), key=lambda k: getattr(rows[k], by))
    if desc:
        keys = [r.key for r in a.rows(first)]
        want = sorted(keys, key=lambda k: getattr(rows[k], by))[::-1]
    assert got == want
    # two key fields (an address and its length) compared together
    got = [r.key for r in a.rows(a.order("key", field=0, nfields=2))]
    seq_keys = [r.key for r in a.rows(a.order("seq"))]
    assert got == sorted(seq_keys, key=lambda k: (k[0], k[1]))
    with pytest.raises(FlowToolsError):
        a.order("key", field=2, nfields=2)
    if len(first) > 1:          # an init that names a slot twice
        with pytest.raises(FlowToolsError):
            a.order("flows", init=array_of(list(first)[:-1] + list(first)[:1]))


def array_of(values):
    from array import array
    return array("I", values)


def test_sums_of_slots():
    recs = [rec(srcaddr=i % 3, dPkts=i + 1, dOctets=10 * i, First=0, Last=1000 * (i % 2))
            for i in range(9)]
    a = table.Aggregation(["srcaddr"], rates=True)
    for b in batches(recs):
        a.add(b)
    idx = a.order("seq")
    s = a.sums(idx, 1, 3)
    rows = list(a.rows(idx))[1:3]
    assert (s.flows, s.octets, s.packets, s.duration, s.frecs) == (
        sum(r.flows for r in rows), sum(r.octets for r in rows), sum(r.packets for r in rows),
        sum(r.duration for r in rows), sum(r.frecs for r in rows))
    assert math.isclose(s.pps_sum, sum(r.pps[0] * r.frecs for r in rows))
    assert a.sums(idx, 2, 2).flows == 0


@given(st.lists(st.fixed_dictionaries(dict(
    unix_secs=st.integers(1000, 1010), sysUpTime=st.integers(0, 3000),
    First=st.integers(0, 3000), span=st.integers(0, 6000), dPkts=st.integers(1, 50),
    dOctets=st.integers(0, 5000))), max_size=30), st.sampled_from((0, 3)))
def test_linear_interpolation_equals_python(recs, scale):
    recs = [rec(Last=r.pop("span") + r["First"], **r) for r in recs]
    lin = table.Linear(scale=scale)
    for b in batches(recs, per_batch=7):
        lin.add(b)
    want = {}
    for r in recs:
        ms = r["unix_secs"] * 1000 - r["sysUpTime"]
        start, end = (ms + r["First"]) // 1000, (ms + r["Last"]) // 1000
        d = end - start + 1
        for s in range(start, end + 1):
            c = want.setdefault((s,), [0.0, 0.0, 0.0])
            c[0] += 1 / d
            c[1] += r["dOctets"] * (scale or 1) / d
            c[2] += r["dPkts"] * (scale or 1) / d
    got = {r.key: r.lin for r in lin.rows(lin.order("seq"))}
    assert list(got) == list(want)
    for k, v in want.items():
        assert all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9) for x, y in zip(got[k], v))


def test_linear_refuses_a_flow_of_years():
    lin = table.Linear()
    (b,) = batches([rec(unix_secs=100000, sysUpTime=0, First=5000, Last=2000, dPkts=1)])
    with pytest.raises(FlowToolsError, match="spans more than"):
        lin.add(b)


def test_time_series_split_point():
    recs = [rec(unix_secs=s, dPkts=1) for s in (0, 10, 30, 31, 65)]
    (b,) = batches(recs)
    from pyflowtools.core import stat
    assert [stat.split(b, 0, 30), stat.split(b, 3, 30), stat.split(b, 0, 100)] == [3, 3, 5]
    assert stat.split(b, 5, 0) == 5


@given(st.lists(records, max_size=60), keys, st.sampled_from((0, 2)), st.booleans(),
       st.sampled_from((None, 3)), st.lists(st.booleans(), min_size=60, max_size=60))
def test_totals_in_the_aggregation_pass_equal_two_passes(recs, key, scale, rates, per_batch,
                                                         mask):
    """agg.add(batch, sel, totals=T): one pass, the same totals and keys as
    T.add then agg.add of the selection it returns (growth retries
    included: the table starts at 4 slots)."""
    recs = [rec(**r) for r in recs]
    one, two = Totals(scale=scale, rates=rates), Totals(scale=scale, rates=rates)
    a1 = table.Aggregation(key, rates=True, scale=scale, cap=4)
    a2 = table.Aggregation(key, rates=True, scale=scale, cap=4)
    at = 0
    for b in batches(recs, per_batch=per_batch):
        sel = bytes(mask[at:at + b.n])
        at += b.n
        a1.add(b, sel, totals=one)
        a2.add(b, two.add(b, sel))
    for f in ("records", "ignores", "flows", "octets", "packets", "duration", "frecs",
              "min_secs", "max_secs", "min_first", "max_last", "pps_sum", "pps_min",
              "pps_max", "bps_sum", "bps_min", "bps_max"):
        assert getattr(one, f) == getattr(two, f), f
    assert list(a1.rows(a1.order("seq"))) == list(a2.rows(a2.order("seq")))


@given(st.lists(records, max_size=60), st.sampled_from((("srcprefix", "src_mask"), ("pktsize",),
                                                         ("srcaddr",))),
       st.sampled_from((("dstaddr",), ("dstprefix",), ("dstport", "prot"))))
def test_distinct_peers_of_any_key(recs, key, peer):
    """ip-source-address-destination-count with any address format: distinct
    peers per key, virtual fields on either side (the general loop)."""
    recs = [rec(**r) for r in recs]
    a = table.Aggregation(list(key), peer=list(peer), cap=4)
    for b in batches(recs, per_batch=5):
        a.add(b)
    want = {}
    for r in recs:
        want.setdefault(tuple(value(r, f) for f in key), set()).add(
            tuple(value(r, f) for f in peer))
    got = {r.key: r.distinct for r in a.rows(a.order("seq"))}
    assert got == {k: len(v) for k, v in want.items()}
