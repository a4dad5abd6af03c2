"""flow-icmpdecode's library (pyflowtools.report.icmp over csrc/icmp.c, the filter
engine and the agg tables): names, the listing, the -t and -s selections,
the unreachable counts.

Expectations are written out by hand from the IANA ICMP parameters registry
and the rules of man flow-icmpdecode; the property tests compare the C
selection and counting with plain Python over records from tests/oracle.py.
"""
import collections
import io
import ipaddress

import pytest
from hypothesis import given, strategies as st

import oracle
import strategies as fst
from pyflowtools.report import icmp
from pyflowtools.io import stream
from pyflowtools.core.native import ffi, lib
from pyflowtools.core.errors import MissingField

# ---------------------------------------------------------------- names
# type -> (name, {code: name}); a type without a code table names code 0 "-"
NAMES = {
    0: ("echo-reply", None),
    3: ("dest-unreachable", {
        0: "net-unreachable", 1: "host-unreachable", 2: "protocol-unreachable",
        3: "port-unreachable", 4: "fragmentation-needed", 5: "source-route-failed",
        6: "net-unknown", 7: "host-unknown", 8: "host-isolated",
        9: "net-admin-prohibited", 10: "host-admin-prohibited",
        11: "net-tos-unreachable", 12: "host-tos-unreachable", 13: "admin-prohibited",
        14: "precedence-violation", 15: "precedence-cutoff"}),
    4: ("source-quench", None),
    5: ("redirect", {0: "net-redirect", 1: "host-redirect", 2: "net-tos-redirect",
                     3: "host-tos-redirect"}),
    6: ("alternate-host-address", {0: "alternate-address"}),
    8: ("echo-request", None),
    9: ("router-advertisement", {0: "normal", 16: "no-common-traffic"}),
    10: ("router-solicitation", None),
    11: ("time-exceeded", {0: "ttl-exceeded", 1: "reassembly-timeout"}),
    12: ("parameter-problem", {0: "pointer-error", 1: "option-missing", 2: "bad-length"}),
    13: ("timestamp", None),
    14: ("timestamp-reply", None),
    15: ("info-request", None),
    16: ("info-reply", None),
    17: ("address-mask-request", None),
    18: ("address-mask-reply", None),
    30: ("traceroute", None),
    31: ("conversion-error", None),
    32: ("mobile-host-redirect", None),
    33: ("ipv6-where-are-you", None),
    34: ("ipv6-i-am-here", None),
    35: ("mobile-registration-request", None),
    36: ("mobile-registration-reply", None),
    37: ("domain-name-request", None),
    38: ("domain-name-reply", None),
    39: ("skip", None),
    40: ("photuris", {0: "bad-spi", 1: "authentication-failed", 2: "decompression-failed",
                     3: "decryption-failed", 4: "need-authentication",
                     5: "need-authorization"}),
    41: ("experimental-mobility", None),
    42: ("extended-echo-request", {0: "no-error"}),
    43: ("extended-echo-reply", {0: "no-error", 1: "malformed-query",
                                2: "no-such-interface", 3: "no-such-table-entry",
                                4: "multiple-interfaces"}),
    253: ("experiment-1", None),
    254: ("experiment-2", None),
}


def expected_code_name(t, c):
    if t not in NAMES:
        return None
    codes = NAMES[t][1]
    if codes is None:
        return "-" if c == 0 else None
    return codes.get(c)


def test_every_type_name():
    for t in range(256):
        assert icmp.type_name(t) == (NAMES[t][0] if t in NAMES else None), t
    assert lib.ftc_icmp_type_name(256) == ffi.NULL
    assert lib.ftc_icmp_type_name(0xFFFFFFFF) == ffi.NULL


def test_every_code_name():
    for t in range(256):
        for c in range(256):
            assert icmp.code_name(t, c) == expected_code_name(t, c), (t, c)
    assert icmp.code_name(3, 256) is None


def test_names_the_articles_need():
    assert [icmp.code_name(3, c) for c in icmp.UNREACH_CODES] == list(icmp.UNREACH_LABELS)
    assert icmp.type_name(8) == "echo-request" and icmp.type_name(0) == "echo-reply"
    assert all("admin-prohibited" in icmp.code_name(3, c) for c in (9, 10, 13))


def test_name_table_lists_every_named_code():
    table = icmp.name_table()
    assert [t for t, _, _ in table] == sorted(NAMES)
    for t, name, codes in table:
        assert name == NAMES[t][0]
        assert dict(codes) == (NAMES[t][1] or {})


# ---------------------------------------------------------------- records
def ip(text):
    a, b, c, d = (int(x) for x in text.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def icmp_rec(src="10.0.0.1", dst="10.0.0.2", t=8, c=0, pkts=1, octets=92, prot=1, **kw):
    r = {k: 0 for k in oracle.fields("5")}
    r.update(srcaddr=ip(src), dstaddr=ip(dst), dstport=(t << 8) | c, prot=prot,
             dPkts=pkts, dOctets=octets)
    r.update(kw)
    return r


def batches(recs, version="5", order="little", per_batch=None):
    major = int(version.split(".")[0])
    data = oracle.write_stream({"d_version": major,
                                **({"agg_version": 2, "agg_method": int(version[2:])}
                                   if version.startswith("8.") else {}),
                                "flags": oracle.HF_STREAMING},
                               recs, order)
    rd = stream.reader(io.BytesIO(data), batch_records=per_batch or max(len(recs), 1),
                       ipv6=major == 1006)
    return rd, [b.copy() for b in rd]


def listing_text(recs, tsv=False, **kw):
    rd, bs = batches(recs)
    lst = icmp.Listing(rd.rectype, tsv=tsv, **kw)
    out = lst.header()
    for b in bs:
        out += b"".join(bytes(c) for c in lst.format(b))
    return out.decode()


def selected(recs, types=(), size=None, **kw):
    rd, bs = batches(recs, **kw)
    prog = icmp.compile_selection(rd.rectype, types, size)
    out = []
    for b in bs:
        out += [dict(r._asdict()) for r in prog.apply(b).records()]
    return out


# ---------------------------------------------------------------- listing
HEADER = ("srcIP            dstIP            type code type-name             "
          "code-name              packets     octets      B/Pk\n")


def test_listing_lines():
    text = listing_text([
        icmp_rec("135.169.177.129", "148.186.172.1", 8, 0, 1, 92),
        icmp_rec("10.1.2.3", "192.168.200.201", 3, 3, 12, 1000),
        icmp_rec("1.2.3.4", "5.6.7.8", 3, 200, 0, 0),
        icmp_rec("1.2.3.4", "5.6.7.8", 99, 7, 3, 277),
        icmp_rec("255.255.255.255", "0.0.0.0", 35, 0, 4294967295, 4294967295),
    ])
    assert text == HEADER + (
        "135.169.177.129  148.186.172.1    8    0    echo-request          -"
        "                      1           92          92\n"
        "10.1.2.3         192.168.200.201  3    3    dest-unreachable      port-unreachable"
        "       12          1000        83.33\n"
        "1.2.3.4          5.6.7.8          3    200  dest-unreachable      200"
        "                    0           0           -\n"
        "1.2.3.4          5.6.7.8          99   7    99                    7"
        "                      3           277         92.33\n"
        "255.255.255.255  0.0.0.0          35   0    mobile-registration-request  -"
        "                      4294967295  4294967295  1\n")


def test_listing_tsv():
    text = listing_text([icmp_rec("1.2.3.4", "5.6.7.8", 11, 0, 3, 277),
                         icmp_rec("1.2.3.4", "5.6.7.8", 250, 9, 2, 184)], tsv=True)
    assert text == (
        "#srcaddr\tdstaddr\ttype\tcode\ttype-name\tcode-name\tdPkts\tdOctets\tB/Pk\n"
        "1.2.3.4\t5.6.7.8\t11\t0\ttime-exceeded\tttl-exceeded\t3\t277\t92.33\n"
        "1.2.3.4\t5.6.7.8\t250\t9\t250\t9\t2\t184\t92\n")


@pytest.mark.parametrize("octets,pkts,shown", [
    (92, 1, "92"), (184, 2, "92"), (185, 2, "92.50"), (92 * 1000 + 1, 1000, "92.00"),
    (92 * 1000 - 1, 1000, "91.99"), (0, 5, "0"), (7, 0, "-"), (0, 0, "-"), (1, 3, "0.33"),
    (4294967295, 1, "4294967295"), (4294967295, 4294967294, "1.00")])
def test_bytes_per_packet_column(octets, pkts, shown):
    line = listing_text([icmp_rec(pkts=pkts, octets=octets)], tsv=True).splitlines()[1]
    assert line.split("\t")[-1] == shown


def test_listing_resumes_when_the_buffer_fills():
    recs = [icmp_rec("10.0.%d.%d" % (i >> 8, i & 255), t=i % 44, c=i % 7, pkts=i, octets=i * 3)
            for i in range(3000)]
    small = listing_text(recs, buffer_bytes=1)            # one line per call
    assert small == listing_text(recs)
    assert small.count("\n") == 3001


def test_listing_empty_batch_and_header_only():
    assert listing_text([]) == HEADER


def test_listing_both_byte_orders():
    recs = [icmp_rec("10.0.0.%d" % i, t=3, c=i % 4, pkts=i, octets=i * 56) for i in range(50)]
    rd, bs = batches(recs, order="big")
    lst = icmp.Listing(rd.rectype)
    big = b"".join(bytes(c) for b in bs for c in lst.format(b))
    assert big.decode() == listing_text(recs)[len(HEADER):]


@pytest.mark.parametrize("version", ["1", "5", "6", "7", "1005", "8.14"])
def test_listing_record_types_with_the_fields(version):
    r = {k: 0 for k in oracle.fields(version)}
    r.update(srcaddr=ip("1.2.3.4"), dstaddr=ip("5.6.7.8"), dstport=0x0303, prot=1,
             dPkts=2, dOctets=112)
    rd, bs = batches([r], version=version)
    lst = icmp.Listing(rd.rectype, tsv=True)
    text = b"".join(bytes(c) for c in lst.format(bs[0])).decode()
    assert text == "1.2.3.4\t5.6.7.8\t3\t3\tdest-unreachable\tport-unreachable\t2\t112\t56\n"


@pytest.mark.parametrize("version", ["8.1", "8.2", "8.6", "8.9"])
def test_record_types_without_the_fields_are_refused(version):
    r = {k: 0 for k in oracle.fields(version)}
    rd, _ = batches([r], version=version)
    with pytest.raises(MissingField):
        icmp.Listing(rd.rectype)
    with pytest.raises(MissingField):
        icmp.Unreachable(rd.rectype)
    assert lib.ftc_icmp_check(99) == lib.FTC_EINVAL


# ---------------------------------------------------------------- selection
def test_protocol_1_only():
    got = selected([icmp_rec(prot=1), icmp_rec(prot=6), icmp_rec(prot=17), icmp_rec(prot=58)])
    assert [r["prot"] for r in got] == [1]


def test_exact_92_byte_average_with_remainders():
    recs = []
    for p in (1, 2, 3, 7, 1000, 46684427):                   # 92 * 46684427 < 2**32
        recs += [icmp_rec(pkts=p, octets=92 * p, srcport=1),      # exact: selected
                 icmp_rec(pkts=p, octets=92 * p + 1, srcport=0),  # one byte more
                 icmp_rec(pkts=p, octets=92 * p - 1, srcport=0)]  # one byte less
    recs += [icmp_rec(pkts=0, octets=0), icmp_rec(pkts=0, octets=92),   # no packets
             icmp_rec(pkts=2, octets=185), icmp_rec(pkts=1, octets=93),
             icmp_rec(pkts=4294967295, octets=4294967295)]
    got = selected(recs, types=((8, None),), size=92)
    assert len(got) == 6 and all(r["srcport"] == 1 for r in got)
    assert all(r["dOctets"] == 92 * r["dPkts"] for r in got)


def test_size_zero_and_size_limits():
    recs = [icmp_rec(pkts=0, octets=0), icmp_rec(pkts=3, octets=0), icmp_rec(pkts=3, octets=1),
            icmp_rec(pkts=1, octets=4294967295), icmp_rec(pkts=2, octets=4294967295)]
    assert [(r["dPkts"], r["dOctets"]) for r in selected(recs, size=0)] == [(3, 0)]
    assert [(r["dPkts"], r["dOctets"]) for r in selected(recs, size=4294967295)] == \
        [(1, 4294967295)]
    assert [(r["dPkts"], r["dOctets"]) for r in selected(recs, size=2147483647)] == []


def test_type_and_code_lists():
    recs = [icmp_rec(t=t, c=c) for t in (0, 3, 8, 11, 255) for c in (0, 1, 3, 13, 255)]

    def tc(types):
        return sorted((r["dstport"] >> 8, r["dstport"] & 255) for r in selected(recs, types))

    assert tc(((8, None),)) == [(8, c) for c in (0, 1, 3, 13, 255)]
    assert tc(((3, 3),)) == [(3, 3)]
    assert tc(((3, 0), (3, 1), (3, 3), (0, None))) == \
        sorted([(3, 0), (3, 1), (3, 3)] + [(0, c) for c in (0, 1, 3, 13, 255)])
    assert tc(((255, 255),)) == [(255, 255)]
    assert tc(((7, None),)) == []
    assert len(tc(())) == 25


@pytest.mark.parametrize("text,want", [
    ("8", ((8, None),)), ("3/3", ((3, 3),)), ("3/0,3/1,3/3", ((3, 0), (3, 1), (3, 3))),
    ("8,0", ((8, None), (0, None))), (" 8 , 3/13", ((8, None), (3, 13))),
    ("0/0", ((0, 0),)), ("255/255", ((255, 255),)), ("008", ((8, None),)),
])
def test_parse_types(text, want):
    assert icmp.parse_types(text) == want
    assert icmp.dstport_values(want) == {(t << 8) | c for t, cc in want
                                         for c in ([cc] if cc is not None else range(256))}


@pytest.mark.parametrize("text", ["", ",", "8,", "256", "3/256", "3/", "/3", "-1", "8/1/2",
                                  "echo", "0x8", "3 / 3", "8;0", "1e3"])
def test_parse_types_refuses(text):
    with pytest.raises(ValueError) as e:
        icmp.parse_types(text)
    assert "\n" not in str(e.value) and str(e.value)


@pytest.mark.parametrize("text,ok", [("92", 92), ("0", 0), ("4294967295", 4294967295),
                                     ("4294967296", None), ("-1", None), ("9.2", None),
                                     ("", None), ("92b", None)])
def test_parse_size(text, ok):
    if ok is None:
        with pytest.raises(ValueError):
            icmp.parse_size(text)
    else:
        assert icmp.parse_size(text) == ok


@pytest.mark.parametrize("text,ok", [("15", 15), ("0", 0), ("x", None), ("-3", None),
                                     ("", None)])
def test_parse_threshold(text, ok):
    if ok is None:
        with pytest.raises(ValueError):
            icmp.parse_threshold(text)
    else:
        assert icmp.parse_threshold(text) == ok


# ---------------------------------------------------------------- the report
def report_rows(recs, threshold=icmp.DEFAULT_THRESHOLD, per_batch=None):
    rd, bs = batches(recs, per_batch=per_batch)
    u = icmp.Unreachable(rd.rectype)
    for b in bs:
        u.add(b)
    return u.rows(threshold)


def test_unreachable_counts_codes_0_1_3_to_the_destination():
    recs = ([icmp_rec("9.9.9.9", "10.0.0.5", 3, 3)] * 4 + [icmp_rec("9.9.9.8", "10.0.0.5", 3, 1)]
            + [icmp_rec("9.9.9.9", "10.0.0.5", 3, 0)] * 2
            + [icmp_rec("9.9.9.9", "10.0.0.5", 3, c) for c in (2, 4, 9, 10, 13)]
            + [icmp_rec("10.0.0.5", "9.9.9.9", 3, 3)]              # sent, not received
            + [icmp_rec("9.9.9.9", "10.0.0.5", 3, 3, prot=17)]     # not ICMP
            + [icmp_rec("9.9.9.9", "10.0.0.5", 8, 0)]
            + [icmp_rec("9.9.9.9", "10.0.0.7", 3, 1)] * 7
            + [icmp_rec("9.9.9.9", "10.0.0.6", 3, 3)] * 7)
    assert report_rows(recs) == [
        (ip("10.0.0.5"), 7, 2, 1, 4), (ip("10.0.0.6"), 7, 0, 0, 7),   # ties: by address
        (ip("10.0.0.7"), 7, 0, 7, 0), (ip("9.9.9.9"), 1, 0, 0, 1)]
    assert report_rows(recs, 7) == report_rows(recs)[:3]
    assert report_rows(recs, 8) == []
    assert report_rows(recs, 0) == report_rows(recs)
    assert report_rows([]) == []


def test_report_text_and_tsv():
    rows = [(ip("135.169.20.221"), 985, 140, 452, 393), (ip("1.2.3.4"), 15, 0, 0, 15)]
    out = io.StringIO()
    icmp.write_report(out, rows, 15, args=["flow-icmpdecode", "-u", "-T", "15"])
    lines = out.getvalue().splitlines()
    assert all(ln.startswith("#") for ln in lines[:-2])
    assert "# Args:      flow-icmpdecode -u -T 15" in lines
    assert "# Threshold: 15 flows" in lines
    assert lines[-2:] == [
        "135.169.20.221   985                   140                   452                   393",
        "1.2.3.4          15                    0                     0                     15"]
    out = io.StringIO()
    icmp.write_report(out, rows, 15, tsv=True)
    assert out.getvalue() == (
        "#host\tflows\tnet-unreachable\thost-unreachable\tport-unreachable\n"
        "135.169.20.221\t985\t140\t452\t393\n1.2.3.4\t15\t0\t0\t15\n")
    out = io.StringIO()
    icmp.write_report(out, [], 1)
    assert out.getvalue().splitlines()[-2].startswith("# IPaddr")


# ---------------------------------------------------------------- properties
ICMP_PORTS = st.one_of(
    st.sampled_from([0x0300, 0x0301, 0x0302, 0x0303, 0x0800, 0x0000, 0x0B00, 0x030D]),
    st.integers(0, 0xFFFF))
PACKETS = st.one_of(st.integers(0, 4), st.integers(0, 2**32 - 1))


@st.composite
def icmp_records(draw):
    r = draw(fst.records("5"))
    r["prot"] = draw(st.sampled_from([1, 1, 1, 6, 17, r["prot"]]))
    r["dstport"] = draw(ICMP_PORTS)
    r["dstaddr"] = draw(st.one_of(st.integers(0, 6), st.integers(0, 2**32 - 1)))
    p = draw(PACKETS)
    r["dPkts"] = p
    size = draw(st.sampled_from([0, 60, 84, 92]))
    r["dOctets"] = draw(st.one_of(
        st.integers(0, 2**32 - 1),
        st.integers(-2, 2).map(lambda d: min(max(size * p + d, 0), 2**32 - 1))))
    return r


TYPE_LISTS = st.lists(st.tuples(st.sampled_from([0, 3, 8, 11, 255]),
                                st.one_of(st.none(), st.sampled_from([0, 1, 3, 13, 255]))),
                      max_size=4).map(tuple)


@given(st.lists(icmp_records(), max_size=120), TYPE_LISTS,
       st.one_of(st.none(), st.sampled_from([0, 60, 84, 92])), st.sampled_from(["little", "big"]),
       st.integers(1, 50))
def test_selection_equals_python(recs, types, size, order, per_batch):
    def want(r):
        t, c = r["dstport"] >> 8, r["dstport"] & 0xFF
        return (r["prot"] == 1
                and (not types or any(t == tt and (cc is None or c == cc) for tt, cc in types))
                and (size is None or (r["dPkts"] > 0 and r["dOctets"] == size * r["dPkts"])))

    got = selected(recs, types, size, order=order, per_batch=per_batch)
    assert got == [r for r in recs if want(r)]


@given(st.lists(icmp_records(), max_size=200), st.integers(0, 4), st.integers(1, 64))
def test_unreachable_counts_equal_python(recs, threshold, per_batch):
    flows = collections.Counter()
    per = collections.Counter()
    for r in recs:
        if r["prot"] == 1 and r["dstport"] in (0x0300, 0x0301, 0x0303):
            flows[r["dstaddr"]] += 1
            per[(r["dstaddr"], r["dstport"] & 0xFF)] += 1
    want = sorted(((a, n, per[(a, 0)], per[(a, 1)], per[(a, 3)])
                   for a, n in flows.items() if n >= threshold),
                  key=lambda row: (-row[1], row[0]))
    assert report_rows(recs, threshold, per_batch=per_batch) == want


def test_man_page_table_is_every_name():
    """man/flow-icmpdecode.1 prints the whole table (`TYPE name` lines and
    indented `TYPE/CODE name` lines)."""
    import pathlib
    page = pathlib.Path(__file__).resolve().parent.parent / "man" / "flow-icmpdecode.1"
    text = page.read_text()
    body = text.split(".\\\" icmp-table-begin")[1].split(".\\\" icmp-table-end")[0]
    lines = [ln for ln in body.splitlines()[1:] if ln and not ln.startswith(".")]
    types, codes = {}, {}
    for ln in lines:
        key, name = ln.split()
        name = name.replace("\\-", "-")
        if "/" in key:
            assert ln.startswith("  ")
            t, c = (int(x) for x in key.split("/"))
            codes[(t, c)] = name
        else:
            types[int(key)] = name
    assert types == {t: v[0] for t, v in NAMES.items()}
    assert codes == {(t, c): n for t, v in NAMES.items() for c, n in (v[1] or {}).items()}



# ---------------------------------------------------------------- ICMPv6 (v1006)
# written from the IANA ICMPv6 parameters registry (RFC 4443, 2710, 3810,
# 4286, 4861, 6275, 6550, 8335, 8883), named in the style of the ICMP table
NAMES6 = {
    1: ("dest-unreachable", {
        0: "no-route", 1: "admin-prohibited", 2: "beyond-scope", 3: "address-unreachable",
        4: "port-unreachable", 5: "source-policy-failed", 6: "reject-route",
        7: "source-routing-header-error", 8: "headers-too-long"}),
    2: ("packet-too-big", None),
    3: ("time-exceeded", {0: "hop-limit-exceeded", 1: "reassembly-timeout"}),
    4: ("parameter-problem", {0: "erroneous-header-field", 1: "unrecognized-next-header",
                              2: "unrecognized-option", 3: "incomplete-header-chain"}),
    128: ("echo-request", None), 129: ("echo-reply", None),
    130: ("mld-query", None), 131: ("mld-report", None), 132: ("mld-done", None),
    133: ("router-solicitation", None), 134: ("router-advertisement", None),
    135: ("neighbor-solicitation", None), 136: ("neighbor-advertisement", None),
    137: ("redirect", None),
    141: ("inverse-nd-solicitation", None), 142: ("inverse-nd-advertisement", None),
    143: ("mldv2-report", None),
    144: ("haad-request", None), 145: ("haad-reply", None),
    146: ("mobile-prefix-solicitation", None), 147: ("mobile-prefix-advertisement", None),
    148: ("cert-path-solicitation", None), 149: ("cert-path-advertisement", None),
    151: ("mrd-advertisement", None), 152: ("mrd-solicitation", None),
    153: ("mrd-termination", None), 155: ("rpl-control", None),
    160: ("extended-echo-request", {0: "no-error"}),
    161: ("extended-echo-reply", {0: "no-error", 1: "malformed-query", 2: "no-such-interface",
                                 3: "no-such-table-entry", 4: "multiple-interfaces"}),
}


def expected_code6_name(t, c):
    if t not in NAMES6:
        return None
    codes = NAMES6[t][1]
    if codes is None:
        return "-" if c == 0 else None
    return codes.get(c)


def test_every_icmp6_type_and_code_name():
    for t in range(300):
        assert icmp.type6_name(t) == (NAMES6[t][0] if t in NAMES6 else None), t
        for c in range(256):
            assert icmp.code6_name(t, c) == expected_code6_name(t, c), (t, c)
    assert lib.ftc_icmp6_type_name(0xFFFFFFFF) == ffi.NULL
    table = icmp.name_table(v6=True)
    assert [t for t, _, _ in table] == sorted(NAMES6)
    assert all(dict(codes) == (NAMES6[t][1] or {}) for t, _, codes in table)


def test_icmp6_unreachable_codes_mean_the_v4_columns():
    assert [icmp.code6_name(1, c) for c in icmp.UNREACH6_CODES] == \
        ["no-route", "address-unreachable", "port-unreachable"]


def v6rec(src, dst, t=128, c=0, pkts=1, octets=112, prot=58, **kw):
    """A v1006 record: src and dst are address texts (IPv4 ones mapped)."""
    r = {k: 0 for k in oracle.fields("1006")}
    r.update(dstport=(t << 8) | c, prot=prot, dPkts=pkts, dOctets=octets, **kw)
    for name, text in (("srcaddr", src), ("dstaddr", dst)):
        a = ipaddress.ip_address(text)
        r = oracle.with_addr6(r, name, int(a) if a.version == 6 else oracle.mapped(int(a)))
    return r


def v6_listing(recs, tsv=False):
    rd, bs = batches(recs, version="1006")
    lst = icmp.Listing(rd.rectype, tsv=tsv)
    return (lst.header() + b"".join(bytes(c) for b in bs for c in lst.format(b))).decode()


def test_v1006_listing_names_icmp6_and_prints_ipv4_as_v5_does():
    v4 = [icmp_rec("135.169.177.129", "148.186.172.1", 8, 0, 1, 92),
          icmp_rec("10.1.2.3", "192.168.200.201", 3, 3, 12, 1000)]
    mapped = [v6rec("135.169.177.129", "148.186.172.1", 8, 0, 1, 92, prot=1),
              v6rec("10.1.2.3", "192.168.200.201", 3, 3, 12, 1000, prot=1)]
    assert v6_listing(mapped) == listing_text(v4)
    assert v6_listing(mapped, tsv=True) == listing_text(v4, tsv=True)
    got = v6_listing([v6rec("2001:db8::1", "2001:db8:0:1::ffff:1", 1, 4, 2, 200),
                      v6rec("fe80::1", "ff02::1", 135, 0, 1, 72),
                      v6rec("2001:db8::1", "10.0.0.1", 3, 0, 1, 80)], tsv=True)
    assert got.splitlines()[1:] == [
        "2001:db8::1\t2001:db8:0:1::ffff:1\t1\t4\tdest-unreachable\tport-unreachable\t2\t200\t100",
        "fe80::1\tff02::1\t135\t0\tneighbor-solicitation\t-\t1\t72\t72",
        "2001:db8::1\t10.0.0.1\t3\t0\ttime-exceeded\thop-limit-exceeded\t1\t80\t80"]
    text = v6_listing([v6rec("2001:db8::1", "ff02::1", 128, 0, 1, 112)]).splitlines()[1]
    # a long address pushes the rest of its line (two blanks after it)
    assert text.startswith("2001:db8::1      ff02::1          128  0    echo-request   ")


def test_v1006_selection_takes_icmp6_beside_icmp():
    recs = [v6rec("2001:db8::1", "2001:db8::2", 128, 0, prot=p) for p in (1, 58, 6, 17)]
    rd, bs = batches(recs, version="1006")
    prog = icmp.compile_selection(rd.rectype, ((128, None),))
    assert [r.prot for b in bs for r in prog.apply(b).records()] == [1, 58]
    # in an IPv4 version protocol 58 stays out (test_protocol_1_only)


@st.composite
def icmp6_records(draw):
    """v1006 records, ICMP or ICMPv6 (or not), destinations from a small pool
    of IPv4-mapped and IPv6 addresses sharing their last word."""
    r = draw(fst.records("1006"))
    pool = [oracle.mapped(0x0A000005), int(ipaddress.ip_address("2001:db8::a00:5")),
            int(ipaddress.ip_address("::1")), oracle.mapped(1), (1 << 128) - 1]
    r = oracle.with_addr6(r, "dstaddr", draw(st.sampled_from(pool)))
    r["prot"] = draw(st.sampled_from([1, 58, 58, 6]))
    r["dstport"] = draw(st.one_of(
        st.sampled_from([0x0300, 0x0301, 0x0303, 0x0302, 0x0100, 0x0103, 0x0104, 0x0101,
                         0x0105, 0x8000]), st.integers(0, 0xFFFF)))
    return r


@given(st.lists(icmp6_records(), max_size=150), st.integers(0, 4), st.integers(1, 64))
def test_v1006_unreachable_counts_equal_python(recs, threshold, per_batch):
    """Per 128-bit destination: ICMP type 3 codes 0 1 3 and ICMPv6 type 1
    codes 0 3 4 in the net, host, port columns."""
    column = {(1, 0x0300): 0, (1, 0x0301): 1, (1, 0x0303): 2,
              (58, 0x0100): 0, (58, 0x0103): 1, (58, 0x0104): 2}
    flows = collections.Counter()
    per = collections.Counter()
    for r in recs:
        col = column.get((r["prot"], r["dstport"]))
        if col is not None:
            a = int(ipaddress.IPv6Address(oracle.addr6(r, "dstaddr")))
            flows[a] += 1
            per[(a, col)] += 1
    want = sorted(((a, n, per[(a, 0)], per[(a, 1)], per[(a, 2)])
                   for a, n in flows.items() if n >= threshold),
                  key=lambda row: (-row[1], row[0]))
    rd, bs = batches(recs, version="1006", per_batch=per_batch)
    u = icmp.Unreachable(rd.rectype)
    for b in bs:
        u.add(b)
    assert u.v6 and u.rows(threshold) == want


def test_v1006_report_rows_print_ipv6_text():
    rows = [(int(ipaddress.ip_address("2001:db8::a00:5")), 3, 1, 1, 1),
            (oracle.mapped(ip("10.0.0.5")), 2, 0, 0, 2)]
    out = io.StringIO()
    icmp.write_report(out, rows, 1, v6=True)
    lines = out.getvalue().splitlines()
    assert "ICMPv6 unreachable (type 1, codes 0 3 4)" in out.getvalue()
    assert lines[-2:] == [
        "2001:db8::a00:5  3                     1                     1                     1",
        "10.0.0.5         2                     0                     0                     2"]
    out = io.StringIO()
    icmp.write_report(out, rows, 1, tsv=True, v6=True)
    assert out.getvalue().splitlines()[1:] == ["2001:db8::a00:5\t3\t1\t1\t1",
                                               "10.0.0.5\t2\t0\t0\t2"]


def test_man_page_icmp6_table_is_every_name():
    import pathlib
    page = pathlib.Path(__file__).resolve().parent.parent / "man" / "flow-icmpdecode.1"
    body = page.read_text().split(".\\\" icmp6-table-begin")[1].split(
        ".\\\" icmp6-table-end")[0]
    types, codes = {}, {}
    for ln in body.splitlines()[1:]:
        if not ln or ln.startswith("."):
            continue
        key, name = ln.split()
        name = name.replace("\\-", "-")
        if "/" in key:
            t, c = (int(x) for x in key.split("/"))
            codes[(t, c)] = name
        else:
            types[int(key)] = name
    assert types == {t: v[0] for t, v in NAMES6.items()}
    assert codes == {(t, c): n for t, v in NAMES6.items() for c, n in (v[1] or {}).items()}
