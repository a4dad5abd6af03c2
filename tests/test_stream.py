"""Stream reading/writing against the independent oracle (tests/oracle.py):
round trips in every record format, byte order and compression; any
chunking of the input; arbitrary or damaged bytes end in a defined status."""
import ctypes
import ctypes.util
import io

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst
from pyflowtools.io import header as hdr
from pyflowtools.io import stream
from pyflowtools.core.errors import FormatError
from pyflowtools.io.header import Header

ORDERS = {"little": hdr.LITTLE, "big": hdr.BIG}


def read_all(data, **kw):
    with stream.reader(io.BytesIO(data), **kw) as rd:
        recs = [dict(r._asdict()) for r in rd.records()]
        return rd.header, recs, rd


def to_header(hd, version):
    """A pyflowtools Header from an oracle header dict."""
    v, _, m = version.partition(".")
    h = Header(int(v), int(m or 0))
    h.present = set()
    for key, tlv in (("vendor", hdr.VENDOR), ("d_version", hdr.EX_VER),
                     ("agg_version", hdr.AGG_VER), ("agg_method", hdr.AGG_METHOD),
                     ("exporter_ip", hdr.EXPORTER_IP), ("cap_start", hdr.CAP_START),
                     ("cap_end", hdr.CAP_END), ("flags", hdr.HEADER_FLAGS),
                     ("rot_schedule", hdr.ROT_SCHEDULE), ("flows_count", hdr.FLOW_COUNT),
                     ("flows_lost", hdr.FLOW_LOST), ("flows_misordered", hdr.FLOW_MISORDERED),
                     ("pkts_corrupt", hdr.PKT_CORRUPT), ("seq_reset", hdr.SEQ_RESET),
                     ("cap_hostname", hdr.CAP_HOSTNAME), ("comments", hdr.COMMENTS),
                     ("interrupt", hdr.INTERRUPT)):
        if key in hd:
            h.set(tlv, key, hd[key])
    return h


@given(fst.streams())
def test_oracle_stream_reads_back(s):
    header, records, order, level = s
    data = oracle.write_stream(header, records, order, level)
    h, recs, rd = read_all(data)
    assert recs == records
    assert h.byte_order == ORDERS[order]
    assert h.compressed == bool(level)
    assert rd.warnings == [] and rd.error is None
    for key in ("cap_start", "cap_end", "flows_count", "flows_lost", "pkts_corrupt",
                "seq_reset", "cap_hostname", "comments", "exporter_ip"):
        if key in header:
            assert getattr(h, key) == header[key], key


@given(fst.streams(), st.sampled_from(["little", "big"]), st.integers(0, 9))
def test_written_stream_matches_oracle(s, out_order, out_level):
    """Read any stream, write it in any order/level: the oracle reads the
    same header values and records."""
    header, records, order, level = s
    data = oracle.write_stream(header, records, order, level)
    out = io.BytesIO()
    with stream.reader(io.BytesIO(data)) as rd:
        w = stream.writer(out, rd.header, byte_order=ORDERS[out_order], zlevel=out_level)
        for b in rd:
            w.write(b)
        w.close()
    h2, recs2 = oracle.read_stream(out.getvalue())
    assert recs2 == records
    assert h2["byte_order"] == out_order
    assert bool(h2.get("flags", 0) & oracle.HF_COMPRESS) == bool(out_level)
    for key in ("cap_start", "cap_end", "flows_count", "cap_hostname", "comments"):
        if key in header:
            assert h2[key] == header[key], key


@given(fst.streams(), st.sampled_from(["little", "big"]))
def test_raw_batches_pass_through(s, out_order):
    """flow-cat's path: file-order batches, swapped only when orders differ."""
    header, records, order, level = s
    data = oracle.write_stream(header, records, order, level)
    out = io.BytesIO()
    with stream.reader(io.BytesIO(data), raw=True) as rd:
        w = stream.writer(out, rd.header, byte_order=ORDERS[out_order])
        for b in rd:
            assert b.order == ORDERS[order]
            w.write(b)
        w.close()
    assert oracle.read_stream(out.getvalue())[1] == records


@given(fst.v1_streams())
def test_stream_v1_reads_as_v3(s):
    header, records, order, level = s
    data = oracle.write_stream(header, records, order, level)
    h, recs, _ = read_all(data)
    assert h.s_version == 1
    assert recs == records


class Chunky(io.RawIOBase):
    """A raw stream returning the data in the given chunks (a pipe)."""

    def __init__(self, chunks):
        self.chunks = [c for c in chunks if c]

    def readable(self):
        return True

    def readinto(self, b):
        if not self.chunks:
            return 0
        c = self.chunks[0]
        n = min(len(b), len(c))
        b[:n] = c[:n]
        if n < len(c):
            self.chunks[0] = c[n:]
        else:
            self.chunks.pop(0)
        return n


@given(st.data())
def test_any_chunking_gives_same_records(data):
    header, records, order, level = data.draw(fst.streams(max_records=40))
    raw = oracle.write_stream(header, records, order, level)
    cuts = data.draw(fst.chunkings(len(raw), max_cuts=24))
    with stream.reader(Chunky(fst.split_at(raw, cuts)), batch_records=7) as rd:
        recs = [dict(r._asdict()) for r in rd.records()]
    assert recs == records


@given(st.binary(max_size=512))
def test_arbitrary_bytes_end_in_a_defined_status(blob):
    try:
        with stream.reader(io.BytesIO(blob)) as rd:
            n = sum(b.n for b in rd)
    except FormatError:
        return
    assert n * rd.rec_size <= len(blob)


@given(st.data())
def test_damaged_streams_yield_the_records_before_the_damage(data):
    header, records, order, level = data.draw(fst.streams(max_records=30))
    raw = oracle.write_stream(header, records, order, level)
    bad = data.draw(fst.damaged(raw))
    try:
        h, recs, rd = read_all(bad)
    except FormatError:
        return
    if len(bad) < len(raw) and bad == raw[:len(bad)]:
        # a truncation: what came out is a prefix of the records
        assert recs == records[:len(recs)]


def test_truncated_plain_stream_warns_and_keeps_whole_records():
    hd = {"d_version": 5, "flags": oracle.HF_STREAMING}
    recs = [{"srcaddr": i, "dPkts": i} for i in range(10)]
    full = oracle.write_stream(hd, [dict(oracle_record("5"), **r) for r in recs])
    h, out, rd = read_all(full[:-10])
    assert len(out) == 9
    assert rd.warnings == ["Warning, partial record before EOF"]


def test_corrupt_zlib_stream_keeps_records_before_damage():
    hd = {"d_version": 5, "flags": oracle.HF_STREAMING}
    recs = [dict(oracle_record("5"), srcaddr=i, dOctets=i * 7919) for i in range(20000)]
    data = bytearray(oracle.write_stream(hd, recs, zlevel=1))
    cut = len(data) // 2
    data[cut:cut + 64] = b"\xff" * 64
    h, out, rd = read_all(bytes(data))
    assert rd.error is not None and rd.error.startswith("inflate")
    assert 0 < len(out) < 20000
    assert out == recs[:len(out)]


def test_headers_rejected_with_reference_messages():
    with pytest.raises(FormatError, match="bad magic"):
        read_all(b"hello world, this is text\n")
    with pytest.raises(FormatError, match="short read"):
        read_all(b"")
    with pytest.raises(FormatError, match="short read"):
        read_all(b"\xcf\x10\x01\x03\x40\x00")
    with pytest.raises(FormatError, match="Stream format must be 1 or 3, not 2"):
        read_all(b"\xcf\x10\x01\x02" + b"\0" * 60)
    no_version = b"\xcf\x10\x01\x03\x10\x00\x00\x00\x08\x00\x04\x00\x08\x00\x00\x00"
    with pytest.raises(FormatError, match="Unsupported d_version 0"):
        read_all(no_version)


def test_header_encode_matches_oracle_for_every_tlv():
    h = Header(8, 5)
    for tlv, attr, v in ((hdr.CAP_START, "cap_start", 1), (hdr.CAP_END, "cap_end", 2),
                         (hdr.FLOW_COUNT, "flows_count", 3), (hdr.FLOW_LOST, "flows_lost", 4),
                         (hdr.PKT_CORRUPT, "pkts_corrupt", 5), (hdr.SEQ_RESET, "seq_reset", 6),
                         (hdr.CAP_HOSTNAME, "cap_hostname", "host"),
                         (hdr.COMMENTS, "comments", "a comment"),
                         (hdr.EXPORTER_IP, "exporter_ip", 0x0A000001)):
        h.set(tlv, attr, v)
    for order in ("little", "big"):
        data = h.encode(ORDERS[order])
        assert len(data) % 4 == 0
        od = oracle.read_header(data)
        assert od["byte_order"] == order
        assert (od["d_version"], od["agg_method"], od["agg_version"]) == (8, 5, 2)
        assert od["cap_hostname"] == "host" and od["comments"] == "a comment"
        assert od["exporter_ip"] == 0x0A000001 and od["seq_reset"] == 6
        assert od["tlv_types"] == sorted(od["tlv_types"])


def oracle_record(version):
    return {name: 0 for name in oracle.fields(version)}


@pytest.mark.parametrize("rt", range(19))
def test_batch_sizes_zero_one_cap_and_cap_plus_one(rt):
    from pyflowtools.core.native import layout
    version, agg, size, _ = layout(rt)
    vs = "%d.%d" % (version, agg) if version == 8 else str(version)
    hd = {"d_version": version, "flags": oracle.HF_STREAMING}
    if version == 8:
        hd.update(agg_version=2, agg_method=agg)
    cap = 5
    for n in (0, 1, cap, cap + 1, 3 * cap + 2):
        recs = [dict(oracle_record(vs), dPkts=i + 1) for i in range(n)]
        data = oracle.write_stream(hd, recs, "big")
        with stream.reader(io.BytesIO(data), batch_records=cap) as rd:
            sizes = [b.n for b in rd]
        assert sum(sizes) == n and all(0 < s <= cap for s in sizes)


@given(st.data())
def test_read_ahead_gives_what_a_plain_read_gives(data):
    """A regular file read ahead by the second thread (any batch size, a
    partial last record or not) yields the same records and warnings."""
    import tempfile
    header, records, order, level = data.draw(fst.streams(max_records=40))
    raw = oracle.write_stream(header, records, order, level)
    cut = data.draw(st.integers(0, 70))
    raw = raw[:len(raw) - cut] if cut < len(raw) else raw
    per = data.draw(st.sampled_from((1, 2, 7, 64)))
    saved = stream.READ_AHEAD_MIN
    stream.READ_AHEAD_MIN = 0
    try:
        with tempfile.TemporaryFile() as f:
            f.write(raw)
            results = []
            for ahead in (False, True):
                f.seek(0)
                try:
                    with stream.reader(f, batch_records=per, read_ahead=ahead) as rd:
                        recs = [dict(r._asdict()) for r in rd.records()]
                        results.append((recs, rd.warnings, rd.error, rd.records_read))
                except FormatError as e:
                    results.append(str(e))
    finally:
        stream.READ_AHEAD_MIN = saved
    assert results[0] == results[1]


def test_read_ahead_stops_cleanly_when_the_reader_stops_early(tmp_path):
    hd = {"d_version": 5, "flags": oracle.HF_STREAMING}
    recs = [dict(oracle_record("5"), srcaddr=i) for i in range(1000)]
    p = tmp_path / "f.ft"
    p.write_bytes(oracle.write_stream(hd, recs))
    saved = stream.READ_AHEAD_MIN
    stream.READ_AHEAD_MIN = 0
    try:
        with open(p, "rb") as f, stream.reader(f, batch_records=10, read_ahead=True) as rd:
            it = iter(rd)
            first = next(it)
            assert first.n == 10
            it.close()          # the read in flight is waited for, the thread ends
    finally:
        stream.READ_AHEAD_MIN = saved
    import threading
    for t in threading.enumerate():
        if t.name == "flow-read-ahead":
            t.join(5)
            assert not t.is_alive()


class _ZStream(ctypes.Structure):
    """zlib's z_stream (zlib.h), for the oracle below."""
    _fields_ = [("next_in", ctypes.c_void_p), ("avail_in", ctypes.c_uint),
                ("total_in", ctypes.c_ulong), ("next_out", ctypes.c_void_p),
                ("avail_out", ctypes.c_uint), ("total_out", ctypes.c_ulong),
                ("msg", ctypes.c_char_p), ("state", ctypes.c_void_p),
                ("zalloc", ctypes.c_void_p), ("zfree", ctypes.c_void_p),
                ("opaque", ctypes.c_void_p), ("data_type", ctypes.c_int),
                ("adler", ctypes.c_ulong), ("reserved", ctypes.c_ulong)]


def _inflate_before_error(area):
    """The oracle: every byte zlib inflates from `area` before its error
    (or the stream's end): one inflate() call of libz itself (ctypes), with
    room for all (Python's zlib module drops the output of the call that
    fails, so it cannot tell).  -> (bytes, failed)."""
    libz = ctypes.CDLL(ctypes.util.find_library("z"))
    libz.zlibVersion.restype = ctypes.c_char_p
    libz.inflateInit_.argtypes = [ctypes.POINTER(_ZStream), ctypes.c_char_p, ctypes.c_int]
    libz.inflate.argtypes = [ctypes.POINTER(_ZStream), ctypes.c_int]
    libz.inflateEnd.argtypes = [ctypes.POINTER(_ZStream)]
    zs = _ZStream()
    assert libz.inflateInit_(ctypes.byref(zs), libz.zlibVersion(), ctypes.sizeof(zs)) == 0
    src = ctypes.create_string_buffer(area, len(area))
    room = 1032 * len(area) + 1024          # deflate expands at most 1032:1
    dst = ctypes.create_string_buffer(room)
    zs.next_in, zs.avail_in = ctypes.addressof(src), len(area)
    zs.next_out, zs.avail_out = ctypes.addressof(dst), room
    rc = libz.inflate(ctypes.byref(zs), 2)  # Z_SYNC_FLUSH
    libz.inflateEnd(ctypes.byref(zs))
    # Z_OK (input used up), Z_STREAM_END, Z_BUF_ERROR: no error
    return dst.raw[:room - zs.avail_out], rc not in (0, 1, -5)


@given(st.data())
def test_bit_flip_in_compressed_stream_keeps_every_record_inflated_before_it(data):
    """Issue 13: a one-bit flip in a compressed stream; the records read
    are those of every complete record zlib inflated before its error."""
    version = data.draw(st.sampled_from(["5", "1", "7", "1005"]))
    n = data.draw(st.integers(1, 3000))
    seed = data.draw(st.integers(0, 2**32 - 1))
    rnd = __import__("random").Random(seed)
    recs = [dict(oracle_record(version), srcaddr=rnd.getrandbits(8),
                 dOctets=rnd.getrandbits(12) * (i % 3), dPkts=i) for i in range(n)]
    hd = {"d_version": int(version), "flags": oracle.HF_STREAMING}
    order = data.draw(st.sampled_from(["little", "big"]))
    level = data.draw(st.integers(1, 9))
    plain = oracle.write_stream(hd, recs, order, 0)
    full = bytearray(oracle.write_stream(hd, recs, order, level))
    hlen = len(plain) - n * len(oracle.encode_records(version, recs[:1], order))
    bit = data.draw(st.integers(hlen * 8, len(full) * 8 - 1))
    full[bit // 8] ^= 1 << (bit % 8)
    inflated, failed = _inflate_before_error(bytes(full[hlen:]))
    rs = len(plain[hlen:]) // n
    want = oracle.decode_records(version, inflated[:len(inflated) // rs * rs], order)
    h, out, rd = read_all(bytes(full), batch_records=data.draw(st.sampled_from([None, 1, 7, 64])))
    assert out == want
    if failed:
        assert rd.error is not None and rd.error.startswith("inflate(): failed")


@given(st.data())
def test_cut_compressed_stream_keeps_every_record_inflated_before_the_cut(data):
    """A compressed stream cut anywhere (a file still being written, a
    full disk): every complete record zlib inflates from the bytes there,
    whatever the batch size; a cut right after a long match leaves output
    zlib holds after the last input byte (fuzz_inflate found the reader
    stopping at the end of the file without asking for it)."""
    n = data.draw(st.integers(1, 2000))
    hd = {"d_version": 5, "flags": oracle.HF_STREAMING}
    recs = [dict(oracle_record("5"), srcaddr=i % 3, dPkts=i // 50) for i in range(n)]
    level = data.draw(st.integers(1, 9))
    full = oracle.write_stream(hd, recs, zlevel=level)
    hlen = len(oracle.write_stream(hd, [], zlevel=0))
    cut = data.draw(st.integers(hlen, len(full)))
    inflated, _ = _inflate_before_error(full[hlen:cut])
    h, out, rd = read_all(full[:cut], batch_records=data.draw(st.sampled_from([None, 1, 3, 64])))
    assert out == oracle.decode_records("5", inflated[:len(inflated) // 64 * 64])


def test_cut_after_a_match_gives_the_held_output():
    """The case itself: zero records compress to long matches; cut the
    stream before its trailer and read it one record a batch."""
    hd = {"d_version": 5, "flags": oracle.HF_STREAMING}
    recs = [dict(oracle_record("5"), srcaddr=0, dPkts=0, dOctets=0) for _ in range(400)]
    full = oracle.write_stream(hd, recs, zlevel=9)
    hlen = len(oracle.write_stream(hd, [], zlevel=0))
    body = full[:-4]                                # the Adler-32 gone
    inflated, failed = _inflate_before_error(body[hlen:])
    assert not failed and len(inflated) == 400 * 64
    h, out, rd = read_all(body, batch_records=1)
    assert len(out) == 400 and rd.error is None


def test_damage_past_a_full_batch_loses_no_record():
    """The failing chunk inflates to more than the room left in a batch:
    every record before the damage still comes out."""
    hd = {"d_version": 5, "flags": oracle.HF_STREAMING}
    recs = [dict(oracle_record("5"), srcaddr=i % 7, dPkts=i) for i in range(50000)]
    good = oracle.write_stream(hd, recs, zlevel=9)
    hlen = len(oracle.write_stream(hd, [], zlevel=0))
    for pos in range(len(good) - 60, hlen, -1):      # the first flip zlib notices
        full = bytearray(good)
        full[pos] ^= 0x10
        inflated, failed = _inflate_before_error(bytes(full[hlen:]))
        if failed:
            break
    h, out, rd = read_all(bytes(full), batch_records=5)
    assert len(inflated) // 64 > 40000
    assert out == oracle.decode_records("5", inflated[:len(inflated) // 64 * 64])
