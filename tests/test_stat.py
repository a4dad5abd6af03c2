"""flow-stat's reports (pyflowtools/report/stat.py, core/statplot.py) against
tests/stat_oracle.py, a plain per-record evaluation of commands.md section 6:

* the oracle itself reproduces every simple `flow-stat ... < input` case of the
  conformance corpus (so its reading of the rules is the reference's);
* for random records (few distinct values: repeated keys and ties), record
  versions, formats and options, the command's output equals the oracle's;
* units: the format table, format 0's float arithmetic, the prefix mask and
  the plot formatter in C.
"""
import contextlib
import io
import re
import shlex

import pytest
from hypothesis import given, strategies as st

import harness
import oracle
import stat_oracle
from test_conformance import CASES

from pyflowtools import cli
from pyflowtools.commands import flow_stat
from pyflowtools.io.header import Header
from pyflowtools.report import stat, symbols

_SIMPLE = re.compile(r"flow-stat (.*?) < (inputs/\S+)( \| head -n (\d+))?")


def _symbol_dicts():
    return {k: dict(symbols.load(name).items())
            for k, name in (("prot", "ip-prot"), ("port", "tcp-port"), ("asn", "asn"),
                            ("tag", "tag"))}


@pytest.fixture(scope="module")
def syms():
    return _symbol_dicts()


def _header_text(data):
    h, _ = _read_header(data)
    return h.describe("#")


def _read_header(data):
    from pyflowtools.io import stream
    with stream.reader(io.BytesIO(data)) as rd:
        return rd.header, list(rd)


def run_stat(argv, data):
    """flow-stat argv < data in process -> (status, stdout bytes, stderr text)."""
    out, err = io.BytesIO(), io.StringIO()
    fake_out = io.TextIOWrapper(out, encoding="utf-8")
    old_in = cli.stdin_binary
    cli.stdin_binary = lambda: io.BytesIO(data)
    try:
        with contextlib.redirect_stdout(fake_out), contextlib.redirect_stderr(err):
            status = cli.run(flow_stat.main, list(argv))
            fake_out.flush()
    finally:
        cli.stdin_binary = old_in
    return status, out.getvalue(), err.getvalue()


# ---- the oracle against the corpus ----------------------------------------------

SIMPLE_CASES = [c for c in CASES if c[0].startswith("stat-") and _SIMPLE.fullmatch(c[1])]


def test_there_are_simple_cases():
    assert len(SIMPLE_CASES) > 150


@pytest.mark.parametrize("case", SIMPLE_CASES, ids=[c[0] for c in SIMPLE_CASES])
def test_oracle_reproduces_the_corpus(case, syms):
    case_id, cmd, expected, status = case
    m = _SIMPLE.fullmatch(cmd)
    data = (harness.CORPUS_DIR / m.group(2)).read_bytes()
    h, recs = oracle.read_stream(data, strict=False)
    version = oracle.version_of(h["d_version"], h.get("agg_method", 0))
    out, err, st_ = stat_oracle.run(shlex.split(m.group(1)), version, recs,
                                    _header_text(data), syms)
    if m.group(4):
        out = "".join(out.splitlines(True)[:int(m.group(4))])
    assert (out, st_) == ((harness.CORPUS_DIR / expected).read_text("latin-1"), status)


# ---- the command against the oracle ------------------------------------------------

VERSIONS = ("1", "5", "6", "7", "1005", "8.1", "8.2", "8.3", "8.5", "8.8", "8.14")
_SMALL = {
    "srcaddr": [0x0A000001, 0x0A000002, 0x0A010203, 0xC0A80A14, 0],
    "dstaddr": [0x0A000001, 0x08080808, 0xFFFF0000, 0xE0000005],
    "nexthop": [0, 0x0A0000FE], "exaddr": [0x7F000001, 0xC0A80101],
    "prot": [1, 6, 17, 89, 0], "srcport": [0, 22, 80, 443, 40000, 65535],
    "dstport": [0, 53, 80, 1434, 52302], "input": [0, 1, 2, 65535],
    "output": [0, 3, 65280], "src_as": [0, 15169, 65001], "dst_as": [0, 65002, 7],
    "tos": [0, 16, 192], "engine_type": [0, 1], "engine_id": [0, 5],
    "src_mask": [0, 8, 16, 24, 32, 33], "dst_mask": [0, 24, 255],
    "src_tag": [0, 1, 2, 0x10001], "dst_tag": [0, 7, 0xFFFFFFFF],
    "dPkts": [0, 1, 2, 5, 100, 1000], "dOctets": [40, 52, 1500, 4520, 15000, 0],
    "dFlows": [0, 1, 3], "unix_secs": [1700000000, 1700000005, 0],
    "First": [0, 1000, 3590000, 4294967295], "Last": [0, 1010, 3599000, 40],
}


def small_records(version):
    spec = {}
    for name in oracle.fields(version):
        if name in _SMALL:
            vals = [v for v in _SMALL[name] if v <= oracle.field_max(version, name)]
            spec[name] = st.sampled_from(vals)
        else:
            spec[name] = st.just(0)
    return st.fixed_dictionaries(spec)


@st.composite
def streams(draw):
    version = draw(st.sampled_from(VERSIONS))
    recs = draw(st.lists(small_records(version), max_size=40))
    major, method = oracle.split_version(version)
    hdr = {"d_version": major, "flags": oracle.HF_STREAMING}
    if major == 8:
        hdr.update(agg_version=2, agg_method=method)
    return version, recs, oracle.write_stream(hdr, recs)


@st.composite
def argvs(draw):
    argv = []
    fmt = draw(st.integers(0, 32))
    if draw(st.booleans()):
        argv.append(draw(st.sampled_from(["-n", "-P", "-w", "-p", "-nP", "-Pw", "-nw"])))
    if draw(st.booleans()):
        argv += [draw(st.sampled_from(["-S", "-s"])), str(draw(st.integers(-1, 6)))]
    if draw(st.booleans()):
        argv += ["-t", str(draw(st.integers(1, 4)))]
        argv.append("-P")
    if draw(st.booleans()):
        argv += ["-c", draw(st.sampled_from(["%", ";", "*x"]))]
    if draw(st.booleans()):
        argv += ["-T", draw(st.sampled_from(["A title", "x"]))]
    argv += ["-f", str(fmt)]
    return argv


@given(streams(), argvs())
def test_command_equals_oracle(syms, s, argv):
    version, recs, data = s
    status, out, err = run_stat(argv, data)
    want, want_err, want_status = stat_oracle.run(argv, version, recs, _header_text(data),
                                                  syms)
    assert "Traceback" not in err
    assert status == want_status
    assert out.decode("utf-8") == want


@given(streams(), st.sampled_from([5, 8, 9, 10, 11, 12, 21, 24, 26, 32]),
       st.sampled_from(["-S", "-s"]), st.integers(0, 5))
def test_sorted_tables_equal_oracle(syms, s, fmt, how, field):
    version, recs, data = s
    argv = [how, str(field), "-f", str(fmt)]
    status, out, err = run_stat(argv, data)
    want, _, want_status = stat_oracle.run(argv, version, recs, None, syms)
    assert (status, out.decode()) == (want_status, want)


# ---- units -------------------------------------------------------------------------

def test_every_format_is_described():
    assert sorted(stat.FORMATS) == list(range(33)) and len(stat.NAMES) == stat.COUNT
    for n, f in stat.FORMATS.items():
        assert f.name == stat_oracle.NAMES[n]
        if f.table:
            assert f.kind == ("fixed" if n in stat_oracle.FIXED else "hash")
            assert f.nkeys == (2 if n in (10, 21, 23, 26, 32) else 1)


def test_no_such_format():
    with pytest.raises(stat.NoSuchFormat, match="No such format, 33"):
        stat.lookup(33)
    with pytest.raises(stat.NoSuchFormat):
        stat.lookup(-1)


@pytest.mark.parametrize("a,b,text", [
    (22124, 10, "2212.3999"), (51, 0, " inf"), (0, 0, "-nan"), (5, 2, "2.5000"),
    (429490176000, 100, "4294901760.0000")])
def test_single_precision_division(a, b, text):
    assert stat.cfloat("%4.4f", stat.fdiv(a, b)) == text


@pytest.mark.parametrize("count,total,text", [(4, 10, ".400"), (10, 10, ".000"),
                                              (0, 7, ".000"), (1, 3, ".333")])
def test_histogram_cells(count, total, text):
    assert stat.fraction(count, total) == text


def test_information_block_fields_in_reference_order():
    text = stat.information(12, ["flow-stat", "-T", "t\x01x", "-P"], title="t x",
                            percent=True, names=True, sort=(3, False), cc="%")
    assert text.splitlines() == [
        "%  --- ---- ---- Report Information --- --- ---", "%", "% Title:     t x",
        "% Fields:    Percent Total", "% Symbols:   Enabled", "% Sorting:   Ascending Field 3",
        "% Name:      IP protocol", "%", "% Args:      flow-stat -T tx -P ", "%"]


@given(st.lists(st.tuples(st.integers(0, 0xFFFFFFFF), st.integers(0, 255)), max_size=30))
def test_prefix_mask_is_the_x86_shift(pairs):
    """The engine's srcprefix/dstprefix keys (-f 24/25/26) mask as the
    reference does: a shift by (32 - len) modulo 32."""
    from pyflowtools.core.table import Aggregation
    recs = [oracle.record("5", srcaddr=a, src_mask=m, dstaddr=a, dst_mask=m) for a, m in pairs]
    hdr, batches = _read_header(oracle.v5_stream(recs))
    agg = Aggregation(["srcprefix", "src_mask", "dstprefix", "dst_mask"])
    for b in batches:
        agg.add(b)
    got = [r.key for r in agg.rows(agg.order("seq"))]
    want = [(a & stat_oracle.netmask(m), m, a & stat_oracle.netmask(m), m) for a, m in pairs]
    assert got == list(dict.fromkeys(want))


@given(st.lists(st.tuples(st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF),
                          st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF)),
                max_size=30), st.booleans(), st.integers(80, 4096))
def test_plot_text_and_bounds(rows, packets, buffer_bytes):
    from pyflowtools.core.statplot import Plot
    recs = [oracle.record("5", First=f, Last=la, dPkts=p, dOctets=o) for f, la, p, o in rows]
    hdr, batches = _read_header(oracle.v5_stream(recs))
    plot = Plot(packets=packets, buffer_bytes=buffer_bytes)
    text = b"".join(plot.format(b) for b in batches).decode()
    o = stat_oracle.Options(["-f", "14" if packets else "13"])
    want = stat_oracle.plot(o, 14 if packets else 13, recs)
    assert "".join(want.splitlines(True)[4:]) == text + plot.trailer()


def test_missing_field_names_the_message():
    v1 = Header(d_version=1).rectype
    with pytest.raises(Exception, match="Flow record missing required field for format."):
        stat.check_fields(19, v1)
    stat.check_fields(22, v1)


def test_symbol_mask():
    assert stat.symbol_mask(5, False) == 0
    assert stat.symbol_mask(5, True) == 2 and stat.symbol_mask(12, True) == 1
    assert stat.symbol_mask(21, True) == 4 and stat.symbol_mask(2, True) == 8
    assert stat.symbol_mask(8, True) == 0


def test_empty_stream_prints_titles_only():
    data = oracle.v5_stream([])
    status, out, err = run_stat(["-f", "10"], data)
    assert status == 0 and out.decode().endswith("# src IPaddr     dst IPaddr       flows"
                                                 "                 octets                "
                                                 "packets\n#\n")

