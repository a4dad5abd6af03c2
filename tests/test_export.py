"""flow-export's encoders and flow-import's parsers (csrc/export.c through
io/export.py and io/imports.py), in process: export -> import round trips
for every format that carries the fields (hypothesis), the CSV reader's
rules and quirks (commands.md 8.11, 12.5), cflowd time mapping, field
lists, and output cut into small buffers equal to one big one."""
import io
import pathlib

import pytest
from hypothesis import given, strategies as st

import oracle
from pyflowtools.core import export as cx
from pyflowtools.core.batch import Batch
from pyflowtools.core.native import rectype, rec_size
from pyflowtools.io import export, imports

VERSIONS = ["1", "5", "6", "7", "1005"] + ["8.%d" % m for m in range(1, 15)]
NAME = {"sysUpTime": "sysuptime", "dFlows": "dflows", "dPkts": "dpkts", "dOctets": "doctets",
        "First": "first", "Last": "last"}


def rt_of(v):
    major, _, minor = v.partition(".")
    return rectype(int(major), int(minor or 0))


def batch_of(v, recs):
    data = oracle.write_stream(oracle_header(v), recs)
    rt = rt_of(v)
    n = len(recs)
    b = Batch(rt, rec_size(rt), max(n, 1))
    b.buf[:n * rec_size(rt)] = data[len(data) - n * rec_size(rt):]
    b.n = n
    return b


def oracle_header(v):
    major, _, minor = v.partition(".")
    return {"d_version": int(major), "agg_method": int(minor or 0)}


def records_of(v, batches):
    out = []
    for b in batches:
        out.extend(r._asdict() for r in b.records())
    return out


def canon(v, recs):
    """Record dicts with the oracle's names for comparison."""
    return [{k: r[k] for k in oracle.fields(v) if not k.startswith("_")} for r in recs]


def records(v, **fixed):
    fields = [f for f in oracle.fields(v) if not f.startswith("_")]
    return st.lists(st.fixed_dictionaries(
        {f: fixed[f] if f in fixed else
         st.integers(0, (1 << (8 * oracle.field_width(v, f))) - 1) for f in fields}),
        max_size=40)


def warnings():
    seen = []
    return seen, seen.append


def export_bytes(sink_cls, v, recs, *args):
    out = io.BytesIO()
    with sink_cls(out, rt_of(v), *args) as s:
        s.write(batch_of(v, recs))
    return out.getvalue()


@pytest.mark.parametrize("v", VERSIONS)
@given(data=st.data())
def test_csv_round_trip(v, data):
    # 8.10's interfaces are not exported (the reference's field list)
    fixed = {"input": st.just(0), "output": st.just(0)} if v == "8.10" else {}
    recs = data.draw(records(v, **fixed))
    text = export_bytes(export.CsvSink, v, recs)
    if v == "6":
        # its header names peer_nexthop `nexthop` (a duplicate when read
        # back, as in the reference): the version's default columns do
        text = text.split(b"\n", 1)[1]
    seen, warn = warnings()
    back = records_of(v, imports.csv(io.BytesIO(text), rt_of(v), None, warn))
    assert canon(v, back) == canon(v, [dict(oracle.record(v), **r) for r in recs])
    assert seen == []


@given(recs=records("5", unix_nsecs=st.just(0), sysUpTime=st.just(0), First=st.just(0),
                    unix_secs=st.integers(1, 1 << 30),
                    Last=st.integers(0, 1 << 20).map(lambda s: s * 1000)))
def test_cflowd_round_trip_v5(recs):
    """cflowd carries every v5 field but the times, which come back as
    start (unix_secs) and end - start (Last): exact for such records."""
    data = export_bytes(export.CflowdSink, "5", recs)
    assert len(data) == 55 * len(recs)
    back = records_of("5", imports.cflowd(io.BytesIO(data), rt_of("5"), None))
    assert canon("5", back) == canon("5", recs)


@given(recs=records("5", exaddr=st.just(0)))
def test_wire_round_trip_v5(recs):
    """Datagrams carry every v5 field but exaddr (0 on import)."""
    data = export_bytes(export.WireSink, "5", recs)
    seen, warn = warnings()
    back = records_of("5", imports.wire(io.BytesIO(data), rt_of("5"), warn))
    assert canon("5", back) == canon("5", recs) and seen == []


def test_cflowd_times_and_short_record():
    """start -> unix_secs, Last = (end - start) x 1000; start 0: end ->
    unix_secs; a short final record is dropped."""
    rec = dict(oracle.record("5"), unix_secs=100, unix_nsecs=600_000_000,
               sysUpTime=5000, First=4000, Last=7500)
    data = export_bytes(export.CflowdSink, "5", [rec])
    (back,) = records_of("5", imports.cflowd(io.BytesIO(data + data[:20]), rt_of("5"), None))
    assert (back["unix_secs"], back["First"], back["Last"]) == (99, 0, 4000)
    only_end = bytes.fromhex("00000800") + (1234).to_bytes(4, "big")
    (back,) = records_of("5", imports.cflowd(io.BytesIO(only_end), rt_of("5"), None))
    assert (back["unix_secs"], back["Last"]) == (1234, 0)


def parse_csv(text, v="5", bits=None):
    seen, warn = warnings()
    recs = records_of(v, imports.csv(io.BytesIO(text), rt_of(v), bits, warn))
    return recs, seen


def test_csv_reader_rules():
    text = (b"# a comment\n"
            b"#:dpkts,srcaddr,srcport\n"
            b"   # indented comment\n"
            b"0x10,10.1,010\n"
            b"#:dstaddr\n"                         # after a record: a comment
            b"\n"                                  # an all-zero record
            b"5,1.2.3.4,6,7,8,9\n"                 # extra cells ignored
            b"-1\n")                               # missing cells are 0
    recs, seen = parse_csv(text)
    got = [(r["srcaddr"], r["dPkts"], r["srcport"]) for r in recs]
    assert got == [(0x0A010000, 16, 8), (0, 0, 0), (0x01020304, 5, 6), (0, 0xFFFFFFFF, 0)]
    assert seen == [] and all(r["dstaddr"] == 0 for r in recs)


def test_csv_reader_pieces_of_1023_bytes():
    """Lines are read in 1023-byte pieces: a 1023-byte line leaves its
    newline as a line of its own (an all-zero record)."""
    line = b"5," + b"0" * 1021
    recs, _ = parse_csv(b"#:dpkts,doctets\n" + line + b"\n7,1\n")
    assert [(r["dPkts"], r["dOctets"]) for r in recs] == [(5, 0), (0, 0), (7, 1)]


def test_csv_reader_header_errors_and_mask():
    with pytest.raises(imports.ImportStop) as e:
        parse_csv(b"#:srcaddr,dpkts\n1,2\n")
    assert e.value.status == 255
    recs, _ = parse_csv(b"1.2.3.4,7\n", bits=export.parse_mask("srcaddr,dstaddr")[0])
    assert (recs[0]["srcaddr"], recs[0]["dstaddr"]) == (0x01020304, 0x07000000)


def test_csv_v8_marked_tos_and_extra_pkts_swap():
    """The header says extra_pkts,marked_tos; the values come the other way
    round, and the reader reads them back the same way."""
    rec = dict(oracle.record("8.6"), extra_pkts=1000, marked_tos=7)
    text = export_bytes(export.CsvSink, "8.6", [rec])
    assert text.decode().split("\n")[0].endswith("extra_pkts,marked_tos")
    assert text.decode().split("\n")[1].endswith(",7,1000")
    (back,) = records_of("8.6", imports.csv(io.BytesIO(text), rt_of("8.6"), None, None))
    assert (back["extra_pkts"], back["marked_tos"]) == (1000, 7)


def test_nfcollector_columns_and_broken_lines():
    text = (b"c|FORMAT A|AGGREGATION SourceNode|r|d|t|v|x|y\n"
            b"10.0.0.1|3|300|1\n"
            b"10.0.0.2|3\n"
            b"10.0.0.3|4|400|2\n")
    seen, warn = warnings()
    recs = records_of("5", imports.nfcollector(io.BytesIO(text), rt_of("5"), warn))
    assert [(r["srcaddr"], r["dPkts"], r["dOctets"]) for r in recs] == [
        (0x0A000001, 3, 300), (0x0A000003, 4, 400)]
    assert seen == ["Broken record at line 3 (not output)"]
    for bad in (b"a|b\n", b"c|FORMAT B|AGGREGATION SourceNode|r|d|t|v|x|y\n",
                b"c|FORMAT A|AGGREGATION Other|r|d|t|v|x|y\n", b""):
        with pytest.raises(imports.ImportStop) as e:
            list(imports.nfcollector(io.BytesIO(bad), rt_of("5"), warn))
        assert e.value.status == 255


def test_wire_errors():
    warn = warnings()[1]
    for data, status, text in ((b"\x00\x09\x00\x01", 1, "Unrecognized PDU version: 9."),
                               (b"\x00\x05\x00\x02" + bytes(40), 1, "expecting to read 120"),
                               (b"\x00\x08\x00\x01" + bytes(60), 255, "ftpdu_verify()"),
                               (b"\x00\x05", 1, "fread()")):
        with pytest.raises(imports.ImportStop) as e:
            list(imports.wire(io.BytesIO(data), rt_of("5"), warn))
        assert e.value.status == status and text in str(e.value)


@pytest.mark.parametrize("kind, args", [("text", (export.ALL_FIELDS, cx.CSV)),
                                        ("text", (export.ALL_FIELDS, cx.SQL)),
                                        ("cflowd", (0xFFFFFF,)), ("pcap", ())])
def test_small_buffers_give_the_same_bytes(kind, args):
    recs = [dict(oracle.record("6"), srcaddr=i * 7919, dPkts=i, prot=6 if i % 2 else 17)
            for i in range(50)]
    b = batch_of("6", recs)
    big = b"".join(bytes(c) for c in cx.Encoder(kind, rt_of("6"), *args).chunks(b))
    small = b"".join(bytes(c) for c in cx.Encoder(kind, rt_of("6"), *args, size=700).chunks(b))
    assert big == small and big


def test_field_lists():
    assert export.parse_mask("DOCTETS,srcaddr")[0] == (1 << 6) | (1 << 12)
    assert export.parse_mask("0x3000") == (0x3000, False)
    for text, msg in (("dstaddr,srcaddr", "Out of order field: srcaddr"),
                      ("srcaddr,srcaddr", "Duplicate field: srcaddr"),
                      ("srcaddr,bogus", "Unrecognized field: bogus")):
        with pytest.raises(export.FieldError, match=msg):
            export.parse_mask(text)
    assert export.to_cflowd(export.parse_mask("srcaddr,dstaddr,prot")[0]) == 0x1006
    with pytest.raises(export.FieldError, match="0x80"):
        export.to_cflowd(export.parse_mask("first")[0])
    # the reference's masks by record type
    assert [cx.cflowd_mask(rt_of(v)) for v in ("1", "5", "6", "8.2")] == [
        0x43FFF, 0xC7FFFF, 0xFFFFFF, 0xC00DE1]


# ---- arbitrary bytes into the parsers (csrc/fuzz/fuzz_export.c's checks) ----

SEEDS = sorted((pathlib.Path(__file__).resolve().parent.parent
                / "csrc" / "fuzz" / "seeds" / "fuzz_export").glob("*"))


def _parse_any(data):
    """fuzz_export.c's layout: record type, mode, input."""
    if len(data) < 2:
        return
    rt, mode, data = data[0] % len(VERSIONS), data[1], data[2:]
    rt = rt_of(VERSIONS[rt])
    if mode & 3 in (0, 1):
        strict = mode & 1
        p = cx.TextParser(rt, export.columns(cx.xfield_mask(rt)), "|" if strict else ",",
                          strict=strict, base=10 if strict else 0, cap=64)
        p.headers = bool(mode & 8)
        status, recs, n, used, extra = p.parse(data, bool(mode & 4))
        assert used <= len(data) and n <= 64 and len(recs) == n * rec_size(rt)
        if status == cx.HEADER:
            assert extra[:2] == b"#:" and used + len(extra) <= len(data)
    elif mode & 3 == 2:
        recs, n, used = cx.CflowdParser(rt, cap=64).parse(data)
        assert used <= len(data) and n <= 64
    else:
        status, lens, used, _ = cx.wire_split(data)
        assert sum(lens) == used <= len(data)


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_replay_fuzz_export_seeds(path):
    _parse_any(path.read_bytes())


@given(st.binary(max_size=600))
def test_arbitrary_bytes_into_the_parsers(data):
    for mode in range(16):
        _parse_any(bytes([data[:1] and data[0] or 0, mode]) + data[1:])
