"""Arrow and Parquet in the library (io/arrow.py, io/parquet.py, core/columns.py,
csrc/columns.c) and the record API for scripts (core/record.py).

Properties: for every record version, the Arrow columns of a stream equal the
oracle's records field by field (tests/oracle.py, struct-based), start/end equal
unix_secs*1000 + unix_nsecs/10^6 - sysUpTime + First/Last; Parquet files give the
record bytes back exactly, datasets the same records.  Skipped only without pyarrow
(the Makefile's venv installs it)."""
import datetime
import io
import ipaddress

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import pyflowtools  # noqa: E402
from pyflowtools.core import columns, native  # noqa: E402
from pyflowtools.core.batch import Batch  # noqa: E402
from pyflowtools.core.errors import FlowToolsError, FormatError, InternalError  # noqa: E402
from pyflowtools.io import arrow, parquet, stream  # noqa: E402

UTC = datetime.timezone.utc


def _ms(r, t):
    return (r.get("unix_secs", 0) * 1000 + r.get("unix_nsecs", 0) // 1000000
            - r.get("sysUpTime", 0) + r.get(t, 0))


def _reader(version, recs, order="little", zlevel=0):
    d, m = oracle.split_version(version)
    hdr = {"d_version": d, "agg_method": m} if d == 8 else {"d_version": d}
    return stream.reader(io.BytesIO(oracle.write_stream(hdr, recs, order, zlevel)),
                         ipv6=version == oracle.V1006)


def _record_bytes(version, recs):
    return oracle.encode_records(version, recs, "little" if native.HOST_LITTLE else "big")


@st.composite
def version_records(draw, max_size=40):
    v = draw(fst.versions(include=oracle.ALL_VERSIONS))
    if v == oracle.V1006:
        return v, draw(fst.v1006_record_lists(max_size=max_size))
    return v, draw(fst.record_lists(v, max_size=max_size))


@given(version_records(), fst.byte_orders(), fst.zlevels())
def test_arrow_columns_equal_the_records(vr, order, zlevel):
    version, recs = vr
    with _reader(version, recs, order, zlevel) as rd:
        tbl = rd.to_arrow()
    names = oracle.fields(version)
    addr6 = {"srcaddr6", "dstaddr6", "nexthop6"} if version == oracle.V1006 else set()
    assert set(tbl.column_names) == set(names) | {"start", "end"} | addr6
    for col in sorted(addr6):
        assert tbl.schema.field(col).type == pa.binary(16)
        assert tbl.column(col).to_pylist() == [
            oracle.addr6(r, col[:-1]).to_bytes(16, "big") for r in recs]
    assert tbl.num_rows == len(recs)
    for name in names:
        w = oracle.field_width(version, name)
        assert tbl.schema.field(name).type == {1: pa.uint8(), 2: pa.uint16(),
                                               4: pa.uint32()}[w]
        assert tbl.column(name).to_pylist() == [r[name] for r in recs], name
    ts = pa.timestamp("ms", tz="UTC")
    for col, t in (("start", "First"), ("end", "Last")):
        assert tbl.schema.field(col).type == ts
        assert tbl.column(col).cast(pa.int64()).to_pylist() == [_ms(r, t) for r in recs]
    meta = tbl.schema.metadata
    d, m = oracle.split_version(version)
    assert meta[b"flowtools.d_version"] == str(d).encode()
    assert meta[b"flowtools.agg_method"] == str(m).encode()


@given(version_records(), st.booleans())
def test_parquet_round_trip_is_exact(vr, by_metadata):
    """Records -> Parquet -> records: the same bytes, the version from the
    file's metadata or given."""
    version, recs = vr
    buf = io.BytesIO()
    with _reader(version, recs) as rd:
        sink = parquet.ParquetSink(buf, rd.rectype, rd.header)
        for b in rd:
            sink.write(b)
        sink.close()
    src = parquet.ParquetInput(io.BytesIO(buf.getvalue()))
    rt = src.rectype(None if by_metadata else oracle.split_version(version))
    assert rt == native.rectype(*oracle.split_version(version))
    got = b"".join(bytes(b.view()) for b in src.batches(rt))
    assert got == _record_bytes(version, recs)


def test_columns_sizes_0_1_cap_and_bad_arguments():
    rt = native.rectype(5)
    recs = [oracle.record("5", srcaddr=i, dPkts=i * 3, First=i, Last=i + 1, unix_secs=9)
            for i in range(3)]
    b = Batch(rt, 64, 3)
    b.buf[:] = _record_bytes("5", recs)
    for n in (0, 1, 3):
        b.n = n
        rb = arrow.record_batch(b)
        assert rb.num_rows == n
        assert rb.column("srcaddr").to_pylist() == list(range(n))
        assert rb.column("dPkts").to_pylist() == [i * 3 for i in range(n)]
    f = native.field_id("srcaddr")
    out = bytearray(8)
    with pytest.raises(InternalError):
        columns.scatter(rt, b.ptr, 3, [f], [0], out)            # 12 bytes do not fit in 8
    with pytest.raises(InternalError):
        columns.scatter(rt, b.ptr, 1, [native.field_id("router_sc")], [0], out)  # not in v5
    columns.scatter(rt, b.ptr, 2, [f], [0], out)
    assert bytes(out) == _record_bytes("5", recs)[16:20] + _record_bytes("5", recs)[80:84]


def test_from_arrow_any_types_missing_columns_and_derived_times():
    """Any integer types whose values fit; missing fields 0; without raw time
    fields, start/end give unix_secs/unix_nsecs/sysUpTime/Last back."""
    rt = native.rectype(5)
    start = datetime.datetime(2026, 11, 22, 3, 0, 1, 250000, tzinfo=UTC)
    end = start + datetime.timedelta(seconds=61, milliseconds=500)
    tbl = pa.table({"srcaddr": pa.array([int(ipaddress.IPv4Address("10.1.2.3"))], pa.int64()),
                    "dstport": pa.array([443], pa.int32()),
                    "start": pa.array([start], pa.timestamp("us", tz="UTC")),
                    "end": pa.array([end], pa.timestamp("us", tz="UTC")),
                    "unrelated": ["x"]})
    b = arrow.to_batch(tbl, rt)
    (r,) = b.records()
    assert str(r.srcaddr) == "10.1.2.3" and r.dstport == 443 and r.dPkts == 0
    assert (r.start, r.end) == (start, end)
    bad = pa.table({"dstport": pa.array([70000], pa.int64())})
    with pytest.raises(FormatError, match="dstport"):
        arrow.to_batch(bad, rt)


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("version", ["5", "1006"])
def test_parquet_files_are_written_for_scans(version, plain, monkeypatch):
    """Every column zstd with min/max statistics equal to the column's (what
    engines skip row groups by); the exporter, protocol and flags
    dictionary-encoded, the other integer and time columns byte stream
    split (PYFLOWTOOLS_PARQUET_ENCODING=plain: plain), the 16-byte
    addresses plain (io/parquet.py, man flow-export); the records back."""
    import random
    if plain:
        monkeypatch.setenv(parquet.ENV, " Plain")
    else:
        monkeypatch.delenv(parquet.ENV, raising=False)
    rnd = random.Random(7)
    if version == "1006":
        recs = [oracle.with_addr6(oracle.record(oracle.V1006, dPkts=rnd.getrandbits(32),
                                                prot=rnd.choice([6, 17]),
                                                srcport=rnd.getrandbits(16)),
                                  "srcaddr", rnd.getrandbits(128))
                for _ in range(300)]
    else:
        recs = [oracle.record("5", srcaddr=rnd.getrandbits(32), dPkts=rnd.getrandbits(32),
                              prot=rnd.choice([6, 17]), srcport=rnd.getrandbits(16),
                              unix_secs=rnd.getrandbits(31), First=rnd.getrandbits(20))
                for _ in range(300)]
    buf = io.BytesIO()
    with _reader(version, recs) as rd:
        sink = parquet.ParquetSink(buf, rd.rectype, rd.header)
        for b in rd:
            sink.write(b)
        sink.close()
    f = pq.ParquetFile(io.BytesIO(buf.getvalue()))
    tbl = f.read()
    rg = f.metadata.row_group(0)
    for i in range(rg.num_columns):
        c = rg.column(i)
        name = c.path_in_schema
        assert c.compression == "ZSTD", name
        col = tbl.column(name)
        assert c.statistics is not None and c.statistics.has_min_max, name
        if name not in ("srcaddr6", "dstaddr6", "nexthop6"):
            import pyarrow.compute as pc
            mm = pc.min_max(col)
            assert (c.statistics.min, c.statistics.max) == (mm["min"].as_py(), mm["max"].as_py())
        if name in parquet.DICTIONARY:
            assert "RLE_DICTIONARY" in c.encodings, name
        elif pa.types.is_fixed_size_binary(col.type) or plain:
            assert "PLAIN" in c.encodings and "BYTE_STREAM_SPLIT" not in c.encodings, name
        else:
            assert "BYTE_STREAM_SPLIT" in c.encodings, (name, c.encodings)
    assert version != "1006" or "srcaddr6" in tbl.column_names
    src = parquet.ParquetInput(io.BytesIO(buf.getvalue()))
    got = b"".join(bytes(b.view()) for b in src.batches(src.rectype()))
    assert got == _record_bytes(version, recs)


def test_parquet_encoding_environment_variable(monkeypatch):
    monkeypatch.setenv(parquet.ENV, "delta")
    with pytest.raises(FlowToolsError) as e:
        parquet.ParquetSink(io.BytesIO(), native.rectype(5, 0))
    assert str(e.value) == "PYFLOWTOOLS_PARQUET_ENCODING must be one of plain, split"
    assert parquet.encoding({parquet.ENV: ""}) == parquet.encoding({}) == parquet.SPLIT


def test_not_parquet_is_a_format_error():
    with pytest.raises(FormatError):
        parquet.ParquetInput(io.BytesIO(b"not parquet at all"))


def test_dataset_partitions_by_exporter_date_hour(tmp_path):
    base = int(datetime.datetime(2026, 11, 22, tzinfo=UTC).timestamp())
    recs = []
    for i in range(50):
        recs.append(oracle.record("5", exaddr=oracle.ipv4("192.0.2.%d" % (1 + i % 2)),
                                  unix_secs=base + 1800 * (i % 3), sysUpTime=1000,
                                  First=1000, Last=1000 + i, srcaddr=i, dOctets=i))
    with _reader("5", recs) as rd:
        sink = parquet.ParquetSink(str(tmp_path / "ds") + "/", rd.rectype, rd.header,
                                   dataset=True)
        for b in rd:
            sink.write(b)
        sink.close()
    parts = sorted(str(p.relative_to(tmp_path / "ds").parent)
                   for p in (tmp_path / "ds").rglob("*.parquet"))
    assert parts == ["exporter=192.0.2.1/date=2026-11-22/hour=0",
                     "exporter=192.0.2.1/date=2026-11-22/hour=1",
                     "exporter=192.0.2.2/date=2026-11-22/hour=0",
                     "exporter=192.0.2.2/date=2026-11-22/hour=1"]
    src = parquet.ParquetInput(str(tmp_path / "ds"))
    got = [r._asdict() for b in src.batches(src.rectype()) for r in b.records()]
    assert sorted(got, key=lambda r: r["srcaddr"]) == recs
    meta = pq.ParquetFile(next((tmp_path / "ds").rglob("*.parquet"))).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_record_api_addresses_and_times(tmp_path):
    rec = oracle.record("5", srcaddr=oracle.ipv4("10.0.0.1"), dstaddr=oracle.ipv4("192.0.2.7"),
                        unix_secs=1092646890, unix_nsecs=139042000, sysUpTime=89848,
                        First=19156, Last=83355, dstport=443)
    p = tmp_path / "f.ft"
    p.write_bytes(oracle.v5_stream([rec]))
    (r,) = list(pyflowtools.open(str(p)))
    assert str(r.srcaddr) == "10.0.0.1" and r.srcaddr == oracle.ipv4("10.0.0.1")
    assert repr(r.dstaddr) == "IPv4('192.0.2.7')" and "%d" % r.dstaddr == str(0xC0000207)
    assert r.srcaddr.address == ipaddress.IPv4Address("10.0.0.1") and r.srcaddr.is_private
    assert ipaddress.ip_address(r.dstaddr) == ipaddress.IPv4Address("192.0.2.7")
    assert f"{r.srcaddr:>10}" == "  10.0.0.1" and f"{r.srcaddr:x}" == "a000001"
    assert r.start == datetime.datetime(2004, 8, 16, 9, 0, 19, 447000, tzinfo=UTC)
    assert r.end == datetime.datetime(2004, 8, 16, 9, 1, 23, 646000, tzinfo=UTC)
    assert r.export_time == datetime.datetime(2004, 8, 16, 9, 1, 30, 139042, tzinfo=UTC)
    assert r.First == 19156 and r._asdict()["srcaddr"] == oracle.ipv4("10.0.0.1")


def test_capture_tree_to_arrow(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    r5 = [oracle.record("5", srcaddr=i) for i in range(3)]
    r6 = [oracle.record("6", srcaddr=10 + i, peer_nexthop=7) for i in range(2)]
    (tmp_path / "a" / "ft-v05.1").write_bytes(oracle.v5_stream(r5))
    (tmp_path / "a" / "b" / "ft-v06.2").write_bytes(
        oracle.write_stream({"d_version": 6, "flags": oracle.HF_STREAMING}, r6))
    (tmp_path / "a" / "notes.txt").write_text("not a flow file")
    tree = pyflowtools.open_tree(str(tmp_path / "a"))
    tbl = tree.to_arrow()
    assert sorted(tbl.column("srcaddr").to_pylist()) == [0, 1, 2, 10, 11]
    assert sorted(tbl.column("peer_nexthop").to_pylist(), key=str) == [7, 7, None, None, None]
    assert any("notes.txt" in w for w in tree.warnings)
    assert sum(rb.num_rows for rb in tree.arrow_batches()) == 5
    assert len(list(tree.records())) == 5


def test_addr_text_view(tmp_path):
    p = tmp_path / "f.ft"
    p.write_bytes(oracle.v5_stream([oracle.record("5", srcaddr=oracle.ipv4("203.0.113.9"),
                                                  exaddr=oracle.ipv4("127.0.0.1"))]))
    with pyflowtools.open(str(p)) as rd:
        tbl = rd.to_arrow(addr_text=True)
    assert tbl.column("srcaddr_text").to_pylist() == ["203.0.113.9"]
    assert tbl.column("exaddr_text").to_pylist() == ["127.0.0.1"]
    assert tbl.column_names.index("srcaddr_text") == tbl.column_names.index("srcaddr") + 1


def test_to_pandas(tmp_path):
    pytest.importorskip("pandas")
    p = tmp_path / "f.ft"
    p.write_bytes(oracle.v5_stream([oracle.record("5", dOctets=5)] * 3))
    with pyflowtools.open(str(p)) as rd:
        df = rd.to_pandas()
    assert list(df["dOctets"]) == [5, 5, 5]


def test_dataset_with_more_partitions_than_open_files(tmp_path, monkeypatch):
    """Partitions past MAX_OPEN close the least recently used file; rows that
    come later for it go to a new file beside it; every record comes back."""
    monkeypatch.setattr(parquet, "MAX_OPEN", 4)
    monkeypatch.setattr(parquet, "ROW_GROUP", 64)
    recs = [oracle.record("5", exaddr=i % 10 + 1, unix_secs=3600 * (i % 3) + 7200,
                          srcaddr=i) for i in range(500)]
    with _reader("5", recs) as rd:
        rd.batch_records = 50
        sink = parquet.ParquetSink(str(tmp_path / "ds"), rd.rectype, rd.header, dataset=True)
        for b in rd:
            sink.write(b)
        sink.close()
    dirs = {p.parent for p in (tmp_path / "ds").rglob("*.parquet")}
    assert len(dirs) == 30
    src = parquet.ParquetInput(str(tmp_path / "ds"))
    got = [r._asdict() for b in src.batches(src.rectype()) for r in b.records()]
    assert sorted(got, key=lambda r: r["srcaddr"]) == recs


@pytest.mark.parametrize("max_runs", [1, 3, 1024])
def test_dataset_partitions_sliced_or_sorted_keep_the_order(tmp_path, monkeypatch, max_runs):
    """A row group's rows go to their partitions in their order whether the
    runs of one partition are sliced (few runs) or the rows sorted by the
    key (more than MAX_RUNS): each file holds its partition's records in
    the stream's order."""
    monkeypatch.setattr(parquet, "MAX_RUNS", max_runs)
    monkeypatch.setattr(parquet, "ROW_GROUP", 40)
    keys = [(1, 0)] * 7 + [(2, 0)] * 5 + [(1, 1)] * 3 + [(1, 0)] * 9 + [(2, 0), (1, 0)] * 8
    recs = [oracle.record("5", exaddr=exa, unix_secs=7200 + 3600 * h, srcaddr=i)
            for i, (exa, h) in enumerate(keys)]
    with _reader("5", recs) as rd:
        rd.batch_records = 8
        sink = parquet.ParquetSink(str(tmp_path / "ds"), rd.rectype, rd.header, dataset=True)
        for b in rd:
            sink.write(b)
        sink.close()
    got = {}
    for f in sorted((tmp_path / "ds").rglob("*.parquet")):
        part = str(f.parent.relative_to(tmp_path / "ds"))
        got.setdefault(part, []).extend(pq.read_table(f).column("srcaddr").to_pylist())
    want = {}
    for i, (exa, h) in enumerate(keys):
        want.setdefault("exporter=0.0.0.%d/date=1970-01-01/hour=%d" % (exa, 2 + h), []).append(i)
    assert got == want


def test_gather_checks_its_arguments():
    """ftc_recs_from_columns: a field the version lacks or records past the
    output are bugs of the caller (InternalError); n = 0 writes nothing."""
    rt = native.rectype(5)
    b = Batch(rt, 64, 2)
    col = (native.field_id("srcaddr"), b"\x01\x00\x00\x00\x02\x00\x00\x00")
    columns.gather(rt, [col], 2, b.ptr, len(b.buf))
    b.n = 2
    assert [r.srcaddr for r in b.records()] == ([1, 2] if native.HOST_LITTLE else
                                                [1 << 24, 2 << 24])
    with pytest.raises(InternalError):
        columns.gather(rt, [(native.field_id("router_sc"), bytes(8))], 2, b.ptr, len(b.buf))
    with pytest.raises(InternalError):
        columns.gather(rt, [col], 3, b.ptr, len(b.buf))
    b3 = Batch(rt, 64, 3)
    with pytest.raises(InternalError):      # a column of 2 values for 3 records
        columns.gather(rt, [col], 3, b3.ptr, len(b3.buf))
    columns.gather(rt, [], 0, b.ptr, len(b.buf))
