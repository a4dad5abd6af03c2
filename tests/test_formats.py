"""flow-print's formats: the C formatter (csrc/fmt.c) through pyflowtools.report.formats,
and the symbol files (pyflowtools.report.symbols).

Expected texts come from commands.md section 2 (value renderings, column specs)
and formats.md section 5 (time arithmetic), written out by hand here.
"""
import os
import subprocess
import sys
import time

import pytest

from pyflowtools.report import formats, symbols
from pyflowtools.util import paths
from pyflowtools.core.native import ffi, lib
from pyflowtools.core.record import pack

RT = {name: getattr(lib, "FTC_RT_" + name) for name in
      ("V1", "V5", "V6", "V7", "V1005") + tuple("V8_%d" % i for i in range(1, 15))}

# commands.md 2.1, the verified matrix
ACCEPTS = {
    0: "V1 V5 V6 V7 V1005 V8_8 V8_14", 1: "V1 V5 V6 V7 V1005", 2: "V1 V5 V6 V7 V1005",
    3: "V1 V5 V6 V7 V1005 V8_8 V8_14", 4: "V5 V6 V7 V1005", 5: "V1 V5 V6 V7 V1005",
    6: "V1 V5 V6 V7 V1005 V8_5 V8_7 V8_8 V8_13 V8_14", 7: "V7", 8: "V6", 9: "V1005",
    10: "V8_1 V8_5 V8_9 V8_13", 11: "V8_2 V8_10 V8_14", 12: "V8_3 V8_5 V8_11 V8_13",
    13: "V8_4 V8_5 V8_12 V8_13", 14: "V8_5 V8_13", 15: "V8_6 V8_7 V8_8", 16: "V8_7 V8_8",
    17: "V8_8", 18: "V8_9 V8_13", 19: "V8_10 V8_14", 20: "V8_11 V8_13",
    21: "V8_12 V8_13", 22: "V8_13", 23: "V8_14", 24: "V7",
}

# formats.md 5: unix_secs 1700000000 is 2023-11-14 22:13:20 UTC
BASE = dict(unix_secs=1700000000, unix_nsecs=123000000, sysUpTime=3600000,
            First=3590000, Last=3599000)


@pytest.fixture
def utc():
    """Run the test with TZ=UTC in this process (restored afterwards)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def rec(**kw):
    r = dict(BASE)
    r.update(kw)
    return r


def ip(text):
    a, b, c, d = (int(x) for x in text.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def text(rt, fmt, records, names=False, wide=False, symtab=None, **kw):
    p = formats.Printer(RT[rt], fmt, names=names, wide=wide, symbols=symtab, **kw)
    body = p.format_bytes(pack(RT[rt], records))
    return body.decode("latin-1"), p


def lines(rt, fmt, records, **kw):
    return text(rt, fmt, records, **kw)[0].split("\n")


# ---- format table --------------------------------------------------------

def test_accept_matrix():
    for fmt in range(25):
        ok = set(ACCEPTS[fmt].split())
        for name, rt in RT.items():
            rc = lib.ftc_fmt_check(fmt, rt)
            assert rc == (lib.FTC_OK if name in ok else lib.FTC_EFIELD), (fmt, name)


def test_no_such_format():
    assert lib.ftc_fmt_check(25, RT["V5"]) == lib.FTC_EFORMAT
    assert lib.ftc_fmt_check(-1, RT["V5"]) == lib.FTC_EFORMAT
    with pytest.raises(formats.NoSuchFormat) as e:
        formats.Printer(RT["V5"], 25)
    assert str(e.value) == "No such format, 25\n"
    with pytest.raises(formats.MissingField) as e:
        formats.Printer(RT["V1"], 4)
    assert str(e.value) == "Flow record missing required field for format."


def test_refused_format_writes_nothing():
    buf = ffi.new("char[]", 4096)
    n = ffi.new("size_t *")
    c = ffi.new("size_t *")
    b = ffi.new("size_t *")
    st = ffi.new("ftc_fmt_state_t *")
    data = ffi.new("uint8_t[]", 64)
    assert lib.ftc_fmt_header(4, RT["V1"], 0, buf, 4096, n) == lib.FTC_EFIELD and n[0] == 0
    rc = lib.ftc_fmt_records(data, 1, RT["V1"], 4, 0, ffi.NULL, st, buf, 4096, n, c, b)
    assert rc == lib.FTC_EFIELD and n[0] == 0 and c[0] == 0


def test_default_formats():
    want = {"V1": 3, "V5": 3, "V6": 8, "V7": 7, "V1005": 9}
    want.update({"V8_%d" % i: 9 + i for i in range(1, 15)})
    for name, rt in RT.items():
        assert formats.default_format(rt) == want[name]


def test_headers_and_wide_headers():
    p = formats.Printer(RT["V5"], 3)
    assert p.header() == (b"srcIP            dstIP            prot  srcPort  dstPort  "
                          b"octets      packets\n")
    p = formats.Printer(RT["V5"], 3, wide=True)
    assert p.header() == (b"srcIP            dstIP            prot   srcPort           "
                          b"dstPort           octets      packets\n")
    # formats 1, 2: two lines and an empty one; 5 and 24: an empty line
    assert formats.Printer(RT["V5"], 1).header().endswith(b"Ts Fl\n\n")
    assert formats.Printer(RT["V5"], 5).header().endswith(b"Octets\n\n")
    assert formats.Printer(RT["V7"], 24).header().endswith(b"DstAS\n\n")
    # -w changes nothing where there is no wide form
    for fmt in (0, 1, 2, 5, 6):
        assert formats.Printer(RT["V5"], fmt, wide=True).header() == \
            formats.Printer(RT["V5"], fmt).header()


def test_header_buffer_too_small():
    buf = ffi.new("char[]", 10)
    n = ffi.new("size_t *")
    assert lib.ftc_fmt_header(3, RT["V5"], 0, buf, 10, n) == lib.FTC_EFULL


def test_symbol_mask():
    assert formats.symbol_mask(3) == 0
    assert formats.symbol_mask(3, names=True) == 1 | 2
    assert formats.symbol_mask(4, names=True) == 1 | 4
    assert formats.symbol_mask(9, names=True) == 8
    assert formats.symbol_mask(5, names=True) == 0
    assert formats.symbol_mask(24, names=True) == 4


# ---- value renderings ----------------------------------------------------

PREFIXES = [
    ("10.0.0.0", 24, "10/24"), ("192.168.10.0", 24, "192.168.10/24"),
    ("10.1.0.0", 16, "10.1/16"), ("0.0.0.0", 0, "0/0"), ("255.255.0.0", 0, "255.255/0"),
    ("10.0.0.1", 24, "10.0.0.1/24"), ("0.0.0.1", 0, "0.0.0.1/0"),
    ("10.0.0.0", 33, "10/0"), ("10.0.0.0", 255, "10/0"), ("1.0.0.0", 32, "1/32"),
    ("255.255.255.255", 32, "255.255.255.255/32"),
]


@pytest.mark.parametrize("addr,mask,want", PREFIXES)
def test_prefix(addr, mask, want):
    out = lines("V5", 4, [rec(srcaddr=ip(addr), src_mask=mask, dstaddr=ip(addr),
                              dst_mask=mask)])[0]
    assert out[:18] == want.ljust(18)
    assert out[19:37] == want.ljust(18)


def test_format0_and_hex_columns():
    r = rec(input=0x12, output=0xabcd, srcaddr=ip("10.0.0.1"), dstaddr=ip("192.168.10.20"),
            prot=6, srcport=40000, dstport=80, dPkts=10, dOctets=4520)
    assert lines("V5", 0, [r])[0] == ("0012 10.0.0.1         abcd 192.168.10.20     06 "
                                      "9c40 50    10         4520      ")


def test_format1_times_active_bpk(utc):
    r = rec(input=1, output=2, srcaddr=ip("10.0.0.1"), dstaddr=ip("192.168.10.20"),
            prot=6, srcport=40000, dstport=80, dPkts=10, dOctets=4520, tcp_flags=0x1b)
    got = lines("V5", 1, [r])
    assert got[1] == " 1114.22:13:10.123  1114.22:13:19.123      9.000 452 00 1b"
    assert got[2] == ""


@pytest.mark.parametrize("nsecs,uptime,first,last,start,end,active", [
    (123456789, 3600000, 3590000, 3599500, "1114.22:13:10.123", "1114.22:13:19.623", "9.500"),
    (999999999, 1000, 500, 1500, "1114.22:13:20.499", "1114.22:13:21.499", "1.000"),
    (0, 100, 4294967000, 50, "0103.15:16:06.900", "1114.22:13:19.950", "0.346"),
])
def test_time_arithmetic(utc, nsecs, uptime, first, last, start, end, active):
    r = rec(unix_nsecs=nsecs, sysUpTime=uptime, First=first, Last=last, dPkts=1)
    got = lines("V5", 1, [r])[1]
    assert got[1:18] == start and got[20:37] == end
    assert got[39:48].strip() == active


def test_format24_dates(utc):
    r = rec(unix_nsecs=0, sysUpTime=100, First=4294967000, Last=50, dPkts=1)
    got = lines("V7", 24, [r])[0]
    assert "2024-01-03 15:16:06.900  2023-11-14 22:13:19.950" in got


def test_active_wraps_in_32_bits(utc):
    got = lines("V5", 1, [rec(First=65536, Last=0, dPkts=1, dOctets=1)])[1]
    assert got[39:50] == "4294901.760"


def test_32_bit_maxima():
    big = 0xFFFFFFFF
    r = rec(dPkts=big, dOctets=big, srcaddr=big, dstaddr=big)
    assert lines("V5", 6, [r])[0] == (" 255.255.255.255  255.255.255.255         4294967295"
                                      "          4294967295")
    v8 = dict(dFlows=big, dPkts=big, dOctets=big, First=0, Last=big, src_as=65535,
              dst_as=65535, input=65535, output=65535)
    assert lines("V8_1", 10, [v8])[0] == ("65535  65535  65535  65535  4294967295  "
                                          "4294967295  4294967295  4294967295  ")


def test_format5_flags_and_columns(utc):
    r = rec(input=1, output=2, srcaddr=ip("10.0.0.1"), dstaddr=ip("192.168.10.20"),
            srcport=40000, dstport=80, prot=6, tcp_flags=0x1b, dPkts=10, dOctets=4520)
    assert lines("V5", 5, [r])[0] == (
        "1114.22:13:10.123 1114.22:13:19.123 1     10.0.0.1        40000 2     "
        "192.168.10.20   80    6   3  10         4520      ")


def test_format2_keeps_only_syn_floods():
    syn = rec(prot=6, tcp_flags=2, dPkts=2, dOctets=80)
    out, p = text("V5", 2, [syn, rec(prot=6, tcp_flags=2, dPkts=2, dOctets=81),
                            rec(prot=17, tcp_flags=2, dPkts=2, dOctets=80),
                            rec(prot=6, tcp_flags=0x12, dPkts=2, dOctets=80)])
    assert out.count("\n\n") == 1 and p.bogus == 0


@pytest.mark.parametrize("rt,fmt", [("V5", 1), ("V5", 2), ("V7", 24)])
def test_zero_dpkts_skipped_and_counted(rt, fmt):
    kept = rec(dPkts=2, dOctets=80, prot=6, tcp_flags=2)   # passes format 2's test too
    out, p = text(rt, fmt, [rec(dPkts=0), kept, rec(dPkts=0, prot=6, tcp_flags=2)])
    assert p.bogus == 2
    assert out.count("\n") == (3 if fmt != 24 else 1)


def test_zero_dpkts_kept_elsewhere():
    out, p = text("V5", 0, [rec(dPkts=0)])
    assert p.bogus == 0 and out.count("\n") == 1


def test_v8_quirks():
    # 19: the protocol in the ToS column
    got = lines("V8_10", 19, [dict(tos=9, prot=17, srcport=1, dstport=2, dFlows=1)])[0]
    assert got.startswith("17   1        2        17     1 ")
    # 22: dst prefix in the srcAS column (cut to 5), src_as in the dstPrefix column
    r = dict(tos=0, srcaddr=ip("10.0.0.0"), src_mask=24, dstaddr=ip("192.168.10.0"),
             dst_mask=24, src_as=65001, dst_as=65002, input=1, output=2)
    got = lines("V8_13", 22, [r])[0]
    assert got.startswith("0    10/24               192.1  65001               65002  1      2      ")
    got = lines("V8_13", 22, [r], wide=True)[0]
    assert got.startswith("0    10/24               192.168.10/24     65001               65002")
    # 13: the output interface under the "input" header
    got = lines("V8_4", 13, [dict(dstaddr=ip("8.0.0.0"), dst_mask=8, dst_as=1, output=7)])[0]
    assert got.startswith("8/8                 1      7      ")


def test_tags():
    r = rec(src_tag=7, dst_tag=0x12345678)
    assert lines("V1005", 9, [r])[0].startswith("0x00000007  0x12345678  ")
    tab = symbols.SymbolTable([(7, "KENT"), (0x12345678, "A-VERY-LONG-TAG-NAME")])
    got = lines("V1005", 9, [r], names=True, symtab=symbols.CTables(tag=tab))[0]
    assert got.startswith("KENT        A-VERY-LON  ")
    got = lines("V1005", 9, [r], names=True, wide=True, symtab=symbols.CTables(tag=tab))[0]
    assert got.startswith("KENT             A-VERY-LONG-TAG  ")


# ---- symbolic names ------------------------------------------------------

def _tables():
    prot = symbols.SymbolTable([(6, "tcp"), (0, "hopopt"), (17, "udp")])
    port = symbols.SymbolTable([(40000, "safetynetp"), (80, "http"), (0, "spr-itunes")])
    asn = symbols.SymbolTable([(15169, "GOOGLE"), (0, "IANA-RSVD-0")])
    return symbols.CTables(prot=prot, port=port, asn=asn)


def test_names_cut_to_width():
    r = rec(srcaddr=ip("10.0.0.1"), dstaddr=ip("8.8.8.8"), prot=6, srcport=40000,
            dstport=80, src_as=0, dst_as=15169, dOctets=76, dPkts=1)
    tab = _tables()
    assert lines("V5", 3, [r], names=True, symtab=tab)[0] == (
        "10.0.0.1         8.8.8.8          tcp   safetyn  http     76          1         ")
    assert lines("V5", 3, [r], names=True, wide=True, symtab=tab)[0] == (
        "10.0.0.1         8.8.8.8          tcp    safetynetp        http              "
        "76          1         ")
    got = lines("V5", 4, [r], names=True, symtab=tab)[0]
    assert got[38:52] == "tcp   IANA-  GOOGL"[:14]
    # without -n the tables are ignored
    assert lines("V5", 3, [r], names=False, symtab=tab)[0].split()[2:5] == ["6", "40000", "80"]


def test_name_limits_per_column():
    tab = _tables()
    r = dict(prot=0, srcport=0, dstport=65280, dFlows=1)
    # 11: protocol names at most 4 characters in a 5-wide column
    assert lines("V8_2", 11, [r], names=True, symtab=tab)[0].startswith(
        "spr-itu  65280    hopo   ")
    # 17: ports cut to 4, protocol to 3
    got = lines("V8_8", 17, [dict(r, srcaddr=0, dstaddr=0)], names=True, symtab=tab)[0]
    assert got[65:84] == "spr-   65280  hop  "
    # 23: protocol 3, ports 5
    got = lines("V8_14", 23, [r], names=True, symtab=tab)[0]
    assert got[45:64] == "hop  spr-i  65280  "


def test_numbers_not_in_table_print_as_numbers():
    r = rec(prot=250, srcport=12345, dstport=65535)
    got = lines("V5", 3, [r], names=True, symtab=_tables())[0]
    assert got.split()[2:5] == ["250", "12345", "65535"]


def test_symbol_files_loaded_only_when_needed(monkeypatch):
    loaded = []
    real = symbols._read

    def spy(name):
        loaded.append(name)
        return real(name)

    monkeypatch.setattr(symbols, "_read", spy)
    formats.Printer(RT["V5"], 3)
    assert loaded == []
    formats.Printer(RT["V5"], 3, names=True)
    assert sorted(loaded) == ["ip-prot", "tcp-port"]


# ---- buffer handling -----------------------------------------------------

def _random_records(rt, n, seed=1):
    import random
    rnd = random.Random(seed)
    from pyflowtools.core.record import record_type
    _, _, names = record_type(RT[rt])
    widths = {"input": 16, "output": 16, "srcport": 16, "dstport": 16, "src_as": 16,
              "dst_as": 16, "prot": 8, "tos": 8, "tcp_flags": 8, "src_mask": 8,
              "dst_mask": 8, "engine_type": 8, "engine_id": 8, "in_encaps": 8,
              "out_encaps": 8, "marked_tos": 8}
    out = []
    for _ in range(n):
        r = {k: rnd.getrandbits(widths.get(k, 32)) for k in names}
        r["unix_secs"] = rnd.randrange(0, 2000000000)
        r["dPkts"] = rnd.choice([0, 1, 2, rnd.getrandbits(32)])
        out.append(r)
    return out


@pytest.mark.parametrize("rt", ["V5", "V7", "V1005", "V6", "V8_13", "V8_14", "V8_8"])
def test_buffer_full_resumption_matches_one_big_buffer(rt):
    recs = _random_records(rt, 300)
    data = pack(RT[rt], recs)
    tab = _tables()
    for fmt in range(25):
        if lib.ftc_fmt_check(fmt, RT[rt]) != lib.FTC_OK:
            continue
        for names in (False, True):
            big = formats.Printer(RT[rt], fmt, names=names, symbols=tab)
            small = formats.Printer(RT[rt], fmt, names=names, symbols=tab,
                                    buffer_bytes=lib.FTC_FMT_LINE_MAX + 1)
            a = big.format_bytes(data)
            b = small.format_bytes(data)
            assert a == b, (rt, fmt, names)
            assert big.bogus == small.bogus


def test_buffer_below_line_max_makes_no_progress():
    data = ffi.new("uint8_t[]", pack(RT["V5"], [rec()]))
    buf = ffi.new("char[]", 100)
    n, c, b = ffi.new("size_t *"), ffi.new("size_t *"), ffi.new("size_t *")
    st = ffi.new("ftc_fmt_state_t *")
    rc = lib.ftc_fmt_records(data, 1, RT["V5"], 3, 0, ffi.NULL, st, buf, 100, n, c, b)
    assert rc == lib.FTC_EFULL and c[0] == 0 and n[0] == 0
    rc = lib.ftc_fmt_records(data, 0, RT["V5"], 3, 0, ffi.NULL, st, buf, 100, n, c, b)
    assert rc == lib.FTC_OK and c[0] == 0


def test_lines_never_exceed_line_max():
    big = 0xFFFFFFFF
    longname = symbols.SymbolTable([(i, "N" * 300) for i in range(256)])
    tab = symbols.CTables(prot=longname, port=longname, asn=longname, tag=longname)
    r = {k: big for k in ("unix_secs", "dPkts", "dOctets", "srcaddr", "dstaddr",
                          "exaddr", "router_sc", "First")}
    for fmt in range(25):
        for rt in RT:
            if lib.ftc_fmt_check(fmt, RT[rt]) != lib.FTC_OK:
                continue
            out = text(rt, fmt, [r], names=True, wide=True, symtab=tab)[0]
            assert len(out) < lib.FTC_FMT_LINE_MAX


# ---- local time: other zones, in a subprocess ----------------------------

_TZ_SCRIPT = r"""
import sys, time
from pyflowtools.report import formats
from pyflowtools.core.native import lib
from pyflowtools.core.record import pack
recs = []
for secs in range(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])):
    recs.append(dict(unix_secs=secs, unix_nsecs=0, sysUpTime=0, First=0, Last=1, dPkts=1))
p = formats.Printer(lib.FTC_RT_V7, 24)
got = [l[83:106] for l in p.format_bytes(pack(lib.FTC_RT_V7, recs)).decode().splitlines()]
want = [time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["unix_secs"])) + ".000"
        for r in recs]
bad = [(w, g) for w, g in zip(want, got) if w != g]
print(len(got), bad[:3])
"""


@pytest.mark.parametrize("tz,start,stop,step", [
    ("UTC", 1700000000, 1700090000, 997),
    ("IST-5:30", 1700000000, 1700090000, 997),
    ("NST3:30NDT,M3.2.0,M11.1.0", 1699160000, 1699180000, 59),   # DST end, half hours
    ("EST5EDT,M3.2.0,M11.1.0", 1710050000, 1710070000, 61),       # DST start
    ("LMT+0:44:30", 1700000000, 1700010000, 7),                   # not whole minutes
    ("UTC", 0, 3000000000, 9999991),
])
def test_local_time_matches_python_localtime(tz, start, stop, step):
    env = dict(os.environ, TZ=tz)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", _TZ_SCRIPT, str(start), str(stop), str(step)],
                         env=env, capture_output=True, text=True, check=True).stdout
    count, bad = out.split(" ", 1)
    assert int(count) > 0
    assert bad.strip() == "[]"


# ---- symbol files --------------------------------------------------------

def test_sym_parse_rules():
    text_ = ("# comment\n\n  \n0x10 sixteen\n010 eight\n9 nine  \t\n"
             "7 two words here\n9 NINE\n6.6 six-six\n")
    entries = symbols.parse(text_)
    assert entries == [(16, "sixteen"), (8, "eight"), (9, "nine"),
                       (7, "two words here"), (9, "NINE"), (6, "six-six")]
    t = symbols.SymbolTable(entries)
    assert t.name(9) == "NINE"                       # last duplicate wins
    assert t.number("Nine") == 9 and t.number("SIXTEEN") == 16
    assert t.name(1) is None


def test_sym_number_without_name_fails():
    with pytest.raises(symbols.FormatError):
        symbols.parse("1 one\n2\n")


def test_sym_parse_in_c_follows_strtoul():
    got = symbols.parse(b"0x 1\n08 a\n0x1g b\n6.6 F  \n  # c\n\n7 two words\t \n0XFF up\n"
                        b"4294967297 wraps\n")
    assert got == [(0, "1"), (0, "a"), (1, "b"), (6, "F"), (7, "two words"), (255, "up"),
                   (1, "wraps")]
    with pytest.raises(symbols.FormatError) as e:
        symbols.parse(b"1 one\n\nx two\n")
    assert "line 3" in str(e.value)


def test_malformed_symbol_file_is_reported(monkeypatch, tmp_path):
    (tmp_path / "ip-prot.sym").write_bytes(b"6 tcp\n17\n")
    (tmp_path / "tcp-port.sym").write_bytes(b"80 http\n")
    monkeypatch.setattr(paths, "DATA_DIR", str(tmp_path))
    said = []
    tab = symbols.load_for(3, said.append)
    assert len(said) == 1 and "line 2" in said[0]
    assert tab.ptr.prot_off == ffi.NULL and tab.ptr.port_off != ffi.NULL
    got = lines("V5", 3, [rec(prot=6, dstport=80)], names=True, symtab=tab)[0]
    assert got.split()[2:5] == ["6", "0", "http"]


def test_missing_symbol_file_is_reported(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "DATA_DIR", str(tmp_path))
    said = []
    tab = symbols.load_for(2, said.append)
    assert said and said[0].startswith("open(") and tab.ptr.port_off == ffi.NULL


def test_shipped_symbol_files():
    prot = symbols.load(symbols.PROT)
    assert prot.name(0) == "hopopt" and prot.name(50) == "ipv6-crypt" and prot.name(6) == "tcp"
    assert prot.number("TCP") == 6
    tag = symbols.load(symbols.TAG)
    assert tag.name(1) == "OSU" and tag.name(7) == "KENT" and tag.name(0x14) == "CHMCC"
    asn = symbols.load(symbols.AS)
    assert asn.name(0) == "IANA-RSVD-0" and asn.name(15169) == "GOOGLE"
    assert asn.name(65001) == "IANA-RSVD2" and asn.name(6) == "FORCE10-4NET"
    port = symbols.load(symbols.PORT)
    assert port.name(22) == "ssh" and port.name(80) == "http" and port.name(2048) == "dls-monitor"
    assert symbols.load(symbols.TYPE).name(3) == "Class D Multicast-ASM"


def test_shipped_tcp_port_is_the_0_68_5_file():
    port = symbols.load(symbols.PORT)
    assert port.name(0) == "spr-itunes" and port.name(1) == "rtmp"
    assert port.name(40000) == "safetynetp"
