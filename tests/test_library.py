"""The library API for scripts: open, header, records, batches, writing."""
import io

import pyflowtools
from pyflowtools.io import gen, stream, header as hdr


def make(tmp_path, n=10, version=5, agg=0, **kw):
    p = tmp_path / "f.ft"
    with open(p, "wb") as f:
        gen.write(f, version, agg, n, **kw)
    return p


def test_open_iterates_named_records(tmp_path):
    p = make(tmp_path, 5)
    recs = list(pyflowtools.open(str(p)))
    assert [r.srcaddr for r in recs] == [0, 1, 2, 3, 4]
    assert [r.dstport for r in recs] == [65280, 65281, 65282, 65283, 65284]
    assert pyflowtools.ipv4(recs[1].dstaddr) == "255.255.0.1"
    assert recs[2].dPkts == 3 and recs[2].prot == 17


def test_open_header_and_batches(tmp_path):
    p = make(tmp_path, 3000, version=8, agg=5, byte_order=hdr.BIG, zlevel=3)
    with pyflowtools.open(p) as flows:
        assert flows.header.d_version == 8 and flows.header.agg_method == 5
        assert flows.header.byte_order == hdr.BIG and flows.header.compressed
        assert "export agg_method:    5 (Prefix)" in flows.header.describe()
        total = sum(b.n for b in flows.batches())
    assert total == 3000


def test_open_binary_file_object_and_write_back(tmp_path):
    p = make(tmp_path, 100, version=7)
    data = p.read_bytes()
    out = io.BytesIO()
    with pyflowtools.open(io.BytesIO(data)) as flows:
        w = stream.writer(out, flows.header, byte_order=hdr.BIG, zlevel=9)
        for b in flows.batches():
            w.write(b)
        w.close()
    back = list(pyflowtools.open(io.BytesIO(out.getvalue())))
    assert back == list(pyflowtools.open(io.BytesIO(data)))
    assert len(back) == 100 and back[99].router_sc == 99
