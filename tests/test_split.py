"""flow-split's cutting (csrc/split.c through core/split.py and io/split.py)
against a plain Python replay of the reference's loop (commands.md 8.8,
13): the files, their names, records, capture start/end and flow counts;
the pieces of a series concatenated give its records back; any batch
size, every record version, both byte orders, zlib or not, tags (-g/-G)
with and without names; arbitrary bytes and arguments end in a status,
never a crash."""
import io
import os
import tempfile

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst
from pyflowtools.core import native
from pyflowtools.core import split as csplit
from pyflowtools.core.batch import Batch
from pyflowtools.core.errors import FlowToolsError, InternalError
from pyflowtools.core.native import ffi, lib
from pyflowtools.io import header as hdr
from pyflowtools.io import split as iosplit
from pyflowtools.io import stream

U32 = 0xFFFFFFFF
HOST = "little" if native.HOST_LITTLE else "big"


def rectype(version):
    d, _, m = version.partition(".")
    return native.rectype(int(d), int(m or 0))


# ---- the oracle: the reference's loop, record by record --------------------

def split_oracle(recs, max_flows, max_time, field=None):
    """{(tag or None, number): (records, cap_start, cap_end, flows)} as the
    reference's flow-split writes them."""
    series, files = {}, {}

    def close(key, e):
        files[(key, e["id"] - 1)] = (e["recs"], e["cap_start"], e["cap_end"], e["total"])

    for r in recs:
        key = r[field] if field else None
        e = series.setdefault(key, dict(total=0, cap_start=0, cap_end=0, newfile=True, id=0,
                                         recs=None))
        secs = r["unix_secs"]
        if e["newfile"]:
            if e["recs"] is not None:
                close(key, e)
                e.update(total=0, cap_start=0, cap_end=0)
            e["recs"] = []
            if secs > e["cap_start"]:
                e["cap_start"] = secs
            e["newfile"] = False
            e["id"] += 1
        e["total"] = (e["total"] + 1) & U32
        if max_flows and e["total"] >= max_flows:
            e["newfile"] = True
        if max_time and secs > e["cap_start"] and secs - e["cap_start"] > max_time:
            e["cap_start"] = secs
            e["newfile"] = True
        e["cap_end"] = secs
        e["recs"].append(r)
    for key, e in series.items():
        if e["recs"] is not None:
            close(key, e)
    return files


# ---- strategies ------------------------------------------------------------

def split_records(version):
    """Records with unix_secs mostly rising in small steps (so -T cuts),
    sometimes anything (going back in time, wrap-around)."""
    step = st.one_of(st.integers(0, 40), st.integers(0, U32))
    tag = st.sampled_from([0, 1, 7, 0x11, 0x14, U32])
    return st.tuples(fst.records(version), step, tag, tag)


@st.composite
def split_inputs(draw, tags=False):
    v = draw(fst.versions(include=["1005"]) if tags else fst.versions())
    raw = draw(st.lists(split_records(v), max_size=60))
    secs, recs = draw(st.integers(0, U32 - 100)), []
    for r, step, t1, t2 in raw:
        secs = (secs + step) & U32 if step <= 40 else step
        r = dict(r, unix_secs=secs)
        if v == "1005":
            r.update(src_tag=t1, dst_tag=t2)
        recs.append(r)
    n = draw(st.sampled_from([0, 0, 1, 2, 3, 7, 50, U32]))
    t = draw(st.sampled_from([0, 0, 1, 10, 30, 60, U32]))
    return v, recs, n, t


def stream_of(version, recs, order, z):
    d, _, m = version.partition(".")
    h = {"d_version": int(d), "flags": oracle.HF_STREAMING}
    if m:
        h.update(agg_method=int(m), agg_version=2)
    return oracle.write_stream(h, recs, order, z)


def run_split(data, batch, **kw):
    """Split the stream bytes in a fresh folder; {file name: bytes}."""
    with tempfile.TemporaryDirectory() as d:
        base = os.path.join(d, "p")
        rd = stream.Reader(io.BytesIO(data), batch_records=batch)
        done = iosplit.split(rd, base, **kw)
        files = {}
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                files[name] = f.read()
    assert done.files == len(files)
    return files


def check_files(files, expected, version, tag_text=str):
    """The files written equal the oracle's, headers included."""
    names = {("p.%d" % num if key is None else "p.%s.%d" % (tag_text(key), num)): v
             for (key, num), v in expected.items()}
    assert sorted(files) == sorted(names)
    for name, (recs, start, end, flows) in names.items():
        h, got = oracle.read_stream(files[name])
        assert got == recs, name
        assert (h["cap_start"], h["cap_end"], h["flows_count"]) == (start, end, flows), name
        assert h["flags"] & oracle.HF_DONE and not h["flags"] & oracle.HF_STREAMING
        assert oracle.version_of(h["d_version"], h.get("agg_method", 0)) == version


# ---- properties --------------------------------------------------------------

@given(split_inputs(), fst.byte_orders(), st.sampled_from([0, 6]), st.integers(1, 9),
       fst.byte_orders())
def test_split_equals_the_reference_loop(inp, order, z, batch, out_order):
    version, recs, n, t = inp
    files = run_split(stream_of(version, recs, order, z), batch, max_flows=n, max_time=t,
                      zlevel=z, byte_order=hdr.LITTLE if out_order == "little" else hdr.BIG)
    check_files(files, split_oracle(recs, n, t), version)
    # the pieces, in number order, are the input
    pieces = sorted(files, key=lambda name: int(name.rsplit(".", 1)[1]))
    assert [r for p in pieces for r in oracle.read_stream(files[p])[1]] == recs
    for p in pieces:
        h = oracle.read_stream(files[p])[0]
        assert h["byte_order"] == out_order and bool(h["flags"] & oracle.HF_COMPRESS) == bool(z)


@given(split_inputs(tags=True), st.sampled_from(["src", "dst"]), st.integers(1, 9),
       st.booleans())
def test_tag_split_equals_the_reference_loop(inp, which, batch, names):
    version, recs, n, t = inp
    field = which + "_tag"
    name = {0x11: "OHIO-GIGAPOP", 0x14: "CHMCC"}.get if names else None
    text = (lambda tag: name(tag, str(tag))) if names else str
    files = run_split(stream_of(version, recs, "little", 0), batch, max_flows=n, max_time=t,
                      tag=which, tag_name=text if names else None, zlevel=0)
    expected = split_oracle(recs, n, t, field)
    check_files(files, expected, version, text)
    for tag in {r[field] for r in recs}:
        mine = sorted((num, v[0]) for (key, num), v in expected.items() if key == tag)
        assert [r for _, rs in mine for r in rs] == [r for r in recs if r[field] == tag]


def test_no_record_no_file():
    assert run_split(stream_of("5", [], "little", 0), 4, max_flows=3) == {}


def test_missing_fields_are_refused():
    data = stream_of("5", [oracle.record("5")], "little", 0)
    for tag, msg in (("src", "Flow record missing source tag."),
                     ("dst", "Flow record missing destination tag.")):
        with pytest.raises(FlowToolsError, match=msg):
            run_split(data, 4, tag=tag)


def test_file_names():
    assert iosplit.file_name("b", 3) == "b.3"
    assert iosplit.file_name("b", 0, "KENT") == "b.KENT.0"
    long = "d/" + "x" * 300
    assert len(iosplit.file_name(long, 12).encode()) == 255
    iosplit.check_base("x" * 231)
    with pytest.raises(FlowToolsError, match="base output too long"):
        iosplit.check_base("x" * 232)


def test_tag_names_are_cut_to_31_characters():
    recs = [oracle.record("1005", src_tag=5)]
    files = run_split(stream_of("1005", recs, "little", 0), 4, tag="src",
                      tag_name=lambda t: "N" * 40)
    assert list(files) == ["p.%s.0" % ("N" * 31)]


def test_unwritable_base_is_one_error(tmp_path):
    data = stream_of("5", [oracle.record("5")], "little", 0)
    rd = stream.Reader(io.BytesIO(data))
    with pytest.raises(FlowToolsError, match=r"^open\(.*/no/such/p\.0\): No such file"):
        iosplit.split(rd, str(tmp_path / "no" / "such" / "p"))


# ---- the C entry points --------------------------------------------------------

def _batch(version, recs):
    rt, rs = rectype(version), oracle.RECORD_SIZE[version]
    b = Batch(rt, rs, max(len(recs), 1))
    b.buf[:len(recs) * rs] = oracle.encode_records(version, recs, HOST)
    b.n = len(recs)
    return b


def test_cut_edges():
    b = _batch("5", [oracle.record("5", unix_secs=s) for s in (10, 20, 41, 41, 42)])
    s = csplit.Series()
    s.open()
    assert s.cut(b, 0, 0, 0) == 5 and not s.ended and s.flows == 5
    s.open()
    assert s.cut(b, 0, 0, 30) == 3 and s.ended           # 41 > 10 + 30
    assert (s.cap_start, s.cap_end, s.flows) == (41, 41, 3)
    with pytest.raises(InternalError):
        s.cut(b, 3, 0, 30)                                # still ended: open first
    s.open()
    assert s.cut(b, 3, 2, 0) == 5 and s.ended and (s.cap_start, s.cap_end) == (41, 42)
    s.open()
    assert s.cut(b, 5, 1, 0) == 5 and not s.ended        # nothing left
    s.open()
    assert s.cut(b, 0, 1, 0) == 1 and s.ended             # -N 1: every record


@given(st.integers(-2, 25), st.binary(max_size=400), st.integers(0, 12), st.integers(0, 12),
       st.integers(0, U32), st.integers(0, U32), st.integers(0, 1))
def test_cut_of_arbitrary_bytes(rt, blob, n, start, max_flows, max_time, newfile):
    s = ffi.new("ftc_split_t *")
    s.newfile = newfile
    buf = ffi.new("uint8_t[]", blob or b"\0")
    r = lib.ftc_split_cut(s, rt, buf, n, len(blob), start, max_flows, max_time)
    assert r in (lib.FTC_EINVAL, lib.FTC_EFIELD) or start <= r <= n


@given(st.integers(-2, 25), st.sampled_from([34, 35, 0, 99]), st.binary(max_size=500),
       st.integers(0, 10),
       st.lists(st.tuples(st.integers(0, U32), st.integers(0, U32), st.integers(0, 6)),
                max_size=5),
       st.integers(0, 6), st.lists(st.integers(0, U32), min_size=6, max_size=6))
def test_group_of_arbitrary_bytes(rt, field, blob, n, ranges, n_series, slot_junk):
    """Any records, index and scratch: a defined status; on success the
    groups partition the records (in out) by series, stably."""
    L = lib.ftc_layout_get(rt) if 0 <= rt < lib.FTC_RT_COUNT else ffi.NULL
    rs = L.rec_size if L != ffi.NULL else 64
    buf = ffi.new("uint8_t[]", blob or b"\0")
    idx = ffi.new("ftc_range_t[]", max(len(ranges), 1))
    for i, (lo, hi, v) in enumerate(ranges):
        idx[i].lo, idx[i].hi, idx[i].value = lo, hi, v
    out = ffi.new("uint8_t[]", max(n * rs, 1))
    groups = ffi.new("ftc_split_group_t[]", max(n, 1))
    slot = ffi.new("uint32_t[]", slot_junk)
    scratch = ffi.new("uint32_t[]", max(n, 1))
    unknown = ffi.new("size_t *")
    r = lib.ftc_split_group(rt, field, idx, len(ranges), n_series, buf, n, len(blob), out,
                            n * rs, groups, slot, scratch, unknown)
    assert r in (lib.FTC_EINVAL, lib.FTC_EFIELD, lib.FTC_EPROGRAM, lib.FTC_EAGAIN) or r >= 0
    if r == lib.FTC_EAGAIN:
        assert 0 < unknown[0] <= n
    elif r >= 0:
        assert sum(groups[g].count for g in range(r)) == n
        assert len({groups[g].series for g in range(r)}) == r
        off = L.off[field]
        for g in range(r):
            lo = groups[g].start
            for j in range(lo, lo + groups[g].count):
                tag = int.from_bytes(bytes(ffi.buffer(out + j * rs + off, 4)),
                                     "little" if native.HOST_LITTLE else "big")
                hit = [x for x in ranges if x[0] <= tag <= x[1]]
                assert hit and hit[0][2] == groups[g].series


def test_grouper_keeps_order_within_a_series():
    recs = [oracle.record("1005", src_tag=t, srcaddr=i) for i, t in enumerate([5, 3, 5, 9, 3, 5])]
    b = _batch("1005", recs)
    out = Batch(b.rectype, b.rec_size, b.n)
    g = csplit.Grouper(b.rectype, csplit.SRC_TAG)
    groups = g.group(b, out)
    assert [(g.tag_of[s], start, count) for s, start, count in groups] == [
        (5, 0, 3), (3, 3, 2), (9, 5, 1)]
    got = oracle.decode_records("1005", bytes(out.buf[:6 * 72]), HOST)
    assert [r["srcaddr"] for r in got] == [0, 2, 5, 1, 4, 3]


def _fuzz_corpus():
    import pathlib
    here = pathlib.Path(__file__).resolve().parent
    seeds = here.parent / "csrc" / "fuzz" / "seeds" / "fuzz_splitmerge"
    return sorted(seeds.glob("*")) + sorted((here / "corpus" / "splitmerge").glob("*"))


@pytest.mark.parametrize("path", _fuzz_corpus(), ids=lambda p: p.name)
def test_replay_fuzz_splitmerge_split(path):
    """csrc/fuzz/fuzz_splitmerge.c's layout: record type, -N (byte 3, low
    nibble), -T (byte 4), records: the files equal the oracle's."""
    data = path.read_bytes()
    if len(data) < 5:
        return
    rt = data[0] % lib.FTC_RT_COUNT
    version = next((v for v in oracle.VERSIONS if rectype(v) == rt), None)
    if version is None:        # a type the oracle has no layout for (v1006)
        return
    rs = oracle.RECORD_SIZE[version]
    n = min((len(data) - 5) // rs, 64)
    recs = oracle.decode_records(version, data[5:5 + n * rs], HOST)
    files = run_split(stream_of(version, recs, HOST, 0), 7, max_flows=data[3] & 15,
                      max_time=data[4], zlevel=0)
    check_files(files, split_oracle(recs, data[3] & 15, data[4]), version)
