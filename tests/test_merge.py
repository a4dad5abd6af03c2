"""flow-merge's merge (csrc/merge.c through core/merge.py and io/merge.py)
against plain Python: the end time of commands.md 8.9 (the reference's
ftltime of Last, 32-bit), the reference's head-by-head loop (each time the
pending record with the earliest end time, the first input on ties), and
for time-sorted inputs the documented rule itself: the concatenation
sorted stably by (end time, input).  Batches of any size, output buffers
of any capacity, every record version, both byte orders, zlib or not;
arbitrary bytes and arguments end in a status, never a crash."""
import io

import pytest
from hypothesis import assume, given, strategies as st

import oracle
import strategies as fst
from pyflowtools.core import merge as cmerge
from pyflowtools.core import native
from pyflowtools.core.batch import Batch
from pyflowtools.core.native import ffi, lib
from pyflowtools.io import merge as iomerge

U32 = 0xFFFFFFFF
HOST = "little" if native.HOST_LITTLE else "big"


def rectype(version):
    d, _, m = version.partition(".")
    return native.rectype(int(d), int(m or 0))


# ---- the oracle ----------------------------------------------------------

def end_time(r):
    """The reference's ftltime(sysUpTime, unix_secs, unix_nsecs, Last):
    (seconds, milliseconds), 32-bit unsigned."""
    sys_ = r["sysUpTime"]
    secs = (r["unix_secs"] - sys_ // 1000) & U32
    ms, sys_ms = r["unix_nsecs"] // 1000000, sys_ % 1000
    if sys_ms > ms:
        secs = (secs - 1) & U32
        ms += 1000
    ms -= sys_ms
    secs = (secs + r["Last"] // 1000) & U32
    ms += r["Last"] % 1000
    if ms >= 1000:
        ms -= 1000
        secs = (secs + 1) & U32
    return secs, ms


def head_by_head(streams):
    """flow-merge's loop: the pending record with the earliest end time,
    the first input among equals."""
    pos = [0] * len(streams)
    out = []
    while True:
        best = best_key = None
        for i, s in enumerate(streams):
            if pos[i] < len(s):
                key = end_time(s[pos[i]])
                if best is None or key < best_key:
                    best, best_key = i, key
        if best is None:
            return out
        out.append(streams[best][pos[best]])
        pos[best] += 1


def sorted_rule(streams):
    """The documented rule for time-sorted inputs: all records ordered by
    end time, ties by input, then by position."""
    tagged = [(end_time(r), i, j, r) for i, s in enumerate(streams) for j, r in enumerate(s)]
    return [t[3] for t in sorted(tagged, key=lambda t: t[:3])]


# ---- strategies ----------------------------------------------------------

def timed_records(version):
    """Records whose time fields come from small pools (many equal end
    times) or from the whole 32-bit range (wrap-around)."""
    small = st.sampled_from([0, 1, 999, 1000, 1500, 86399000, 86400000, U32])
    base = fst.records(version)
    times = st.fixed_dictionaries({
        "unix_secs": st.one_of(st.sampled_from([0, 1, 1700000000, U32]), st.integers(0, U32)),
        "unix_nsecs": st.one_of(st.sampled_from([0, 1, 999999999, 5000000]),
                                st.integers(0, U32)),
        "sysUpTime": st.one_of(small, st.integers(0, U32)),
        "Last": st.one_of(small, st.integers(0, U32)),
    })
    return st.tuples(base, times).map(lambda t: dict(t[0], **t[1]))


@st.composite
def merge_inputs(draw, sort=False, max_inputs=5, max_records=24):
    v = draw(fst.versions())
    k = draw(st.integers(0, max_inputs))
    streams = [draw(st.lists(timed_records(v), max_size=max_records)) for _ in range(k)]
    if sort:
        streams = [sorted(s, key=end_time) for s in streams]
    return v, streams


def batches_of(version, recs, sizes):
    """Host-order Batches holding recs, cut at the given sizes (cycled)."""
    rt, rs = rectype(version), oracle.RECORD_SIZE[version]
    out, i, j = [], 0, 0
    while i < len(recs):
        n = max(1, sizes[j % len(sizes)] if sizes else len(recs))
        j += 1
        b = Batch(rt, rs, n)
        chunk = recs[i:i + n]
        b.buf[:len(chunk) * rs] = oracle.encode_records(version, chunk, HOST)
        b.n = len(chunk)
        out.append(b)
        i += n
    return out


def run_merger(version, streams, sizes, cap):
    """Merge through core.merge.Merger with the given batch sizes and
    output capacity; returns the record dicts."""
    rt, rs = rectype(version), oracle.RECORD_SIZE[version]
    feeds = [iter(batches_of(version, s, sizes)) for s in streams]
    m = cmerge.Merger(rt, len(streams))
    for i, f in enumerate(feeds):
        m.feed(i, next(f, None))
    out = Batch(rt, rs, cap)
    data = bytearray()
    for _ in range(10 * (sum(map(len, streams)) + len(streams) + 2)):
        status, i = m.step(out)
        data += out.buf[:out.n * rs]
        if status == cmerge.DONE:
            return oracle.decode_records(version, bytes(data), HOST)
        if status == cmerge.NEED:
            m.feed(i, next(feeds[i], None))
    raise AssertionError("merge did not finish")


# ---- properties ----------------------------------------------------------

@given(merge_inputs(), st.lists(st.integers(1, 9), max_size=4), st.integers(1, 40))
def test_merge_equals_the_reference_loop(inp, sizes, cap):
    version, streams = inp
    assert run_merger(version, streams, sizes, cap) == head_by_head(streams)


@given(merge_inputs(sort=True), st.lists(st.integers(1, 9), max_size=4), st.integers(1, 40))
def test_sorted_inputs_give_the_sorted_concatenation(inp, sizes, cap):
    version, streams = inp
    merged = run_merger(version, streams, sizes, cap)
    assert merged == sorted_rule(streams)
    keys = [end_time(r) for r in merged]
    assert keys == sorted(keys)


@given(fst.versions(), st.lists(timed_records("5"), max_size=30))
def test_keys_are_the_reference_end_time(version, recs):
    recs = [{k: r.get(k, 0) & oracle.field_max(version, k) for k in oracle.fields(version)}
            for r in recs]
    b = batches_of(version, recs, [len(recs) or 1])
    got = [k for x in b for k in cmerge.keys(x)]
    assert got == [s << 32 | ms for s, ms in map(end_time, recs)]


def test_end_time_matches_commands_md_example():
    # commands.md 1.8: 2023-11-14 22:13:10.123 UTC for these values
    r = dict(unix_secs=1700000000, unix_nsecs=123000000, sysUpTime=3600000, Last=3590000)
    assert end_time(r) == (1699999990, 123)


@given(merge_inputs(max_inputs=4, max_records=12), st.data())
def test_files_merge_in_every_version_order_and_compression(tmp_path_factory, inp, data):
    version, streams = inp
    assume(streams)
    d = tmp_path_factory.mktemp("m")
    d_version, _, method = version.partition(".")
    paths = []
    for i, recs in enumerate(streams):
        order = data.draw(fst.byte_orders())
        z = data.draw(st.sampled_from([0, 1, 6]))
        h = {"d_version": int(d_version), "flags": oracle.HF_STREAMING}
        if method:
            h.update(agg_method=int(method), agg_version=2)
        p = d / ("in%d.ft" % i)
        p.write_bytes(oracle.write_stream(h, recs, order, z))
        paths.append(str(p))
    out_order = data.draw(fst.byte_orders())
    z = data.draw(st.sampled_from([0, 9]))
    out = d / "out.ft"
    with open(out, "wb") as f:
        done = iomerge.merge(paths, f, byte_order=oracle_order(out_order), zlevel=z,
                             regular=True)
    hdr, recs = oracle.read_stream(out.read_bytes())
    assert recs == head_by_head(streams)
    assert done.records == len(recs) and hdr["flows_count"] == len(recs)
    assert hdr["byte_order"] == out_order and bool(hdr["flags"] & oracle.HF_COMPRESS) == bool(z)
    assert hdr["flags"] & oracle.HF_DONE and not hdr["flags"] & oracle.HF_STREAMING


def oracle_order(name):
    from pyflowtools.io import header
    return header.LITTLE if name == "little" else header.BIG


def test_many_inputs_and_small_batches(tmp_path, monkeypatch):
    """300 inputs: the heap, the per-input batch size (MIN_BATCH) and the
    descriptor limit."""
    monkeypatch.setattr(iomerge, "INPUT_MEMORY", 1)
    streams = [[oracle.record("5", unix_secs=t, Last=1000 * ((i * 7 + t) % 13), srcaddr=i)
                for t in range(5)] for i in range(300)]
    streams = [sorted(s, key=end_time) for s in streams]
    paths = []
    for i, s in enumerate(streams):
        p = tmp_path / ("f%03d" % i)
        p.write_bytes(oracle.v5_stream(s))
        paths.append(str(p))
    buf = io.BytesIO()
    iomerge.merge(paths, buf)
    assert oracle.read_stream(buf.getvalue())[1] == sorted_rule(streams)


# ---- edges of the C entry point -------------------------------------------

def _ins(k):
    return ffi.new("ftc_merge_in_t[]", max(k, 1)), ffi.new("uint32_t[]", max(k, 1))


def _call(rt, ins, k, heap, out, cap):
    produced, need = ffi.new("size_t *"), ffi.new("size_t *")
    st_ = lib.ftc_merge(rt, ins, k, heap, out, cap, produced, need)
    return st_, produced[0], need[0]


def test_no_input_is_done_at_once():
    ins, heap = _ins(0)
    assert _call(rectype("5"), ins, 0, heap, ffi.NULL, 0) == (lib.FTC_OK, 0, 0)


@pytest.mark.parametrize("cap", [0, 1, 3, 4, 5])
def test_output_capacity_edges(cap):
    """0, 1, exactly the records, one more: EFULL until the records fit."""
    recs = [oracle.record("5", Last=1000 * t) for t in (3, 1, 2, 4)]
    b = batches_of("5", recs, [4])[0]
    ins, heap = _ins(1)
    ins[0].recs, ins[0].size, ins[0].n, ins[0].done = b.ptr, len(b.buf), 4, 1
    out = ffi.new("uint8_t[]", 64 * 5)
    got, rounds = bytearray(), 0
    while True:
        status, produced, _ = _call(b.rectype, ins, 1, heap, out, cap)
        got += bytes(ffi.buffer(out, produced * 64))
        rounds += 1
        if status != lib.FTC_EFULL or cap == 0 or rounds > 10:
            break
        assert produced == cap
    if cap == 0:
        assert status == lib.FTC_EFULL and not got
    else:
        assert status == lib.FTC_OK and oracle.decode_records("5", bytes(got), HOST) == recs


def test_an_exhausted_input_is_asked_for_before_any_record():
    recs = [oracle.record("5", Last=t) for t in (1, 2)]
    b = batches_of("5", recs, [2])[0]
    ins, heap = _ins(2)
    ins[0].recs, ins[0].size, ins[0].n, ins[0].done = b.ptr, len(b.buf), 2, 1
    ins[1].n, ins[1].done = 0, 0
    out = ffi.new("uint8_t[]", 64 * 4)
    assert _call(b.rectype, ins, 2, heap, out, 4) == (lib.FTC_EAGAIN, 0, 1)


@pytest.mark.parametrize("bad", ["pos", "size", "rt", "null"])
def test_bad_arguments_are_einval(bad):
    recs = [oracle.record("5")] * 2
    b = batches_of("5", recs, [2])[0]
    ins, heap = _ins(1)
    ins[0].recs, ins[0].size, ins[0].n, ins[0].done = b.ptr, len(b.buf), 2, 1
    rt = b.rectype
    if bad == "pos":
        ins[0].pos = 3
    elif bad == "size":
        ins[0].size = 64 * 2 - 1
    elif bad == "rt":
        rt = 99
    else:
        ins[0].recs = ffi.NULL
    out = ffi.new("uint8_t[]", 64 * 2)
    assert _call(rt, ins, 1, heap, out, 2)[0] == lib.FTC_EINVAL
    assert lib.ftc_merge(b.rectype, ins, 1, heap, out, 2, ffi.NULL, ffi.NULL) == lib.FTC_EINVAL


@given(st.integers(-3, 25), st.lists(st.binary(max_size=400), max_size=4),
       st.lists(st.tuples(st.integers(0, 2 ** 64 - 1), st.integers(0, 2 ** 64 - 1),
                          st.integers(0, 1)), max_size=4),
       st.integers(0, 8))
def test_arbitrary_bytes_and_fields_never_crash(rt, blobs, fields, cap):
    """Any record bytes, record type, pos/n/done: a defined status; the
    records written are records of the inputs."""
    k = len(blobs)
    ins, heap = _ins(k)
    keep = []
    L = lib.ftc_layout_get(rt) if 0 <= rt < lib.FTC_RT_COUNT else ffi.NULL
    rs = L.rec_size if L != ffi.NULL else 64
    for i, blob in enumerate(blobs):
        buf = ffi.new("uint8_t[]", blob or b"\0")
        keep.append(buf)
        n_whole = len(blob) // rs
        pos, n, done = fields[i] if i < len(fields) else (0, n_whole, 1)
        if i % 2 == 0:          # half of them consistent, so records move
            n, pos = n_whole, min(pos, n_whole)
        ins[i].recs, ins[i].size, ins[i].n, ins[i].pos, ins[i].done = (
            buf, len(blob), n, pos, done)
    out = ffi.new("uint8_t[]", max(cap * rs, 1))
    status, produced, need = _call(rt, ins, k, heap, out, cap)
    assert status in (lib.FTC_OK, lib.FTC_EAGAIN, lib.FTC_EFULL, lib.FTC_EINVAL,
                      lib.FTC_EFIELD)
    assert produced <= cap
    if status == lib.FTC_EAGAIN:
        assert need < k
    pool = {bytes(b[j * rs:(j + 1) * rs]) for b in blobs for j in range(len(b) // rs)}
    for j in range(produced):
        assert bytes(ffi.buffer(out + j * rs, rs)) in pool


@given(st.integers(-2, 25), st.binary(max_size=300), st.integers(0, 10))
def test_keys_of_arbitrary_bytes(rt, blob, n):
    buf = ffi.new("uint8_t[]", blob or b"\0")
    keys = ffi.new("uint64_t[]", max(n, 1))
    r = lib.ftc_merge_keys(rt, buf, n, len(blob), keys)
    assert r in (lib.FTC_OK, lib.FTC_EINVAL, lib.FTC_EFIELD)


def test_every_version_has_the_time_fields():
    for v in oracle.VERSIONS:
        assert {"unix_secs", "unix_nsecs", "sysUpTime", "Last"} <= set(oracle.fields(v)), v



# ---- the libFuzzer harness's seeds and crashers, replayed -------------------

def _fuzz_corpus():
    import pathlib
    here = pathlib.Path(__file__).resolve().parent
    seeds = here.parent / "csrc" / "fuzz" / "seeds" / "fuzz_splitmerge"
    return sorted(seeds.glob("*")) + sorted((here / "corpus" / "splitmerge").glob("*"))


@pytest.mark.parametrize("path", _fuzz_corpus(), ids=lambda p: p.name)
def test_replay_fuzz_splitmerge_merge(path):
    """csrc/fuzz/fuzz_splitmerge.c's layout: record type, inputs and output
    capacity, batch size, then records dealt to the inputs in turn."""
    data = path.read_bytes()
    if len(data) < 5:
        return
    rt = data[0] % lib.FTC_RT_COUNT
    version = next((v for v in oracle.VERSIONS if rectype(v) == rt), None)
    if version is None:        # a type the oracle has no layout for (v1006)
        return
    rs = oracle.RECORD_SIZE[version]
    k, cap, bs = (data[1] & 7) + 1, data[1] >> 4, (data[2] & 15) + 1
    n = min((len(data) - 5) // rs, 64)
    recs = oracle.decode_records(version, data[5:5 + n * rs], HOST)
    streams = [recs[i::k] for i in range(k)]
    if cap:
        assert run_merger(version, streams, [bs], cap) == head_by_head(streams)
