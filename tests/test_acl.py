"""The access-list language (pyflowtools/filters/acl.py, commands.md 4.1):
parser quirks one by one, then property tests: random ACLs over random
records, the C evaluation against a plain evaluator written below from the
documented rules (it never imports pyflowtools' filter code)."""
import io
import types

import oracle
import pytest
import strategies as fst
from hypothesis import given
from hypothesis import strategies as st

from pyflowtools.filters import acl, flowfilter
from pyflowtools.core.filter import OP_RANGES, OP_RANGES6
from pyflowtools.filters import program
from pyflowtools.core.native import RT_V1006, rectype

ALL = 0xFFFFFFFF


ip = oracle.ipv4


def dotted(a):
    return "%d.%d.%d.%d" % (a >> 24 & 255, a >> 16 & 255, a >> 8 & 255, a & 255)


def std(acls, name):
    return [(ln.permit, ln.addr, ln.wildcard) for ln in acls.standard[name]]


# ---- parser ----------------------------------------------------------------

def test_standard_forms():
    a = acl.parse("ip access-list standard s permit any\n"
                  "ip access-list standard s deny host 10.0.0.1\n"
                  "ip access-list standard s permit 10.0.0.2\n"
                  "ip access-list standard s deny 10.0.0.0 0.0.0.255\n")
    assert a.errors == []
    assert std(a, "s") == [(True, 0, ALL), (False, ip("10.0.0.1"), 0),
                           (True, ip("10.0.0.2"), 0), (False, ip("10.0.0.0"), 255)]


def test_extended_forms_and_protocols():
    a = acl.parse("ip access-list extended e permit ip any any\n"
                  "ip access-list extended e permit tcp host 1.2.3.4 10.0.0.0 0.0.0.255\n"
                  "ip access-list extended e deny udp any host 5.6.7.8\n"
                  "ip access-list extended e permit icmp any any\n"
                  "ip access-list extended e permit igmp any any\n")
    assert a.errors == []
    lines = a.extended["e"]
    assert [ln.proto for ln in lines] == [None, 6, 17, 1, 2]
    assert (lines[1].src, lines[1].src_wc, lines[1].dst, lines[1].dst_wc) == \
        (ip("1.2.3.4"), 0, ip("10.0.0.0"), 255)
    assert [ln.permit for ln in lines] == [True, True, False, True, True]
    assert not any(ln.never for ln in lines)


def test_numbered_lists_kind_decided_by_syntax():
    a = acl.parse("access-list 5 permit 8.8.0.0 0.0.255.255\n"
                  "access-list 5 deny any\n"
                  "access-list 101 permit udp any any\n"
                  "access-list 5 permit ip any any\n")
    assert a.errors == []
    assert std(a, "5") == [(True, ip("8.8.0.0"), 0xFFFF), (False, 0, ALL)]
    assert [ln.proto for ln in a.extended["101"]] == [17]
    assert [ln.proto for ln in a.extended["5"]] == [None]   # separate name spaces
    assert "101" not in a.standard


def test_comments_blank_lines_and_names():
    a = acl.parse("! heading\n\n   \nip access-list standard A_1 permit any ! trailing\n"
                  "ip access-list standard hostile deny any\n\t\n")
    assert a.errors == []
    assert set(a.standard) == {"A_1", "hostile"}


def test_same_name_appends_in_file_order():
    a = acl.parse("ip access-list standard x deny host 1.1.1.1\n"
                  "ip access-list standard y permit any\n"
                  "ip access-list standard x permit any\n")
    assert std(a, "x") == [(False, ip("1.1.1.1"), 0), (True, 0, ALL)]


def test_ignored_and_never_matching_qualifiers():
    a = acl.parse("ip access-list extended e permit tcp any any tos 4\n"
                  "ip access-list extended e permit tcp any any precedence 3 log\n"
                  "ip access-list extended e permit ip any any log\n"
                  "ip access-list extended e permit tcp any any eq 80\n"
                  "ip access-list extended e permit tcp any eq 80 any\n"
                  "ip access-list extended e permit udp any any range 1 1023\n"
                  "ip access-list extended e permit tcp any any established\n"
                  "ip access-list extended e permit icmp any any 8\n"
                  "ip access-list extended e permit icmp any any 3 1\n"
                  "ip access-list extended e permit igmp any any 2\n"
                  "ip access-list extended e deny udp any any neq 53 lt 9 gt 1\n")
    assert a.errors == []
    assert [ln.never for ln in a.extended["e"]] == [False] * 3 + [True] * 8


@pytest.mark.parametrize("text,token", [
    ("ip access-list standard tcp permit any\n", "syntax error at 'tcp'"),
    ("ip access-list standard host permit any\n", "syntax error at 'host'"),
    ("ip access-list standard 10 permit any\n", "syntax error at '10'"),
    ("access-list abc permit any\n", "syntax error at 'abc'"),
    ("ip access-list standard a-b permit any\n", '"-": syntax error at \'-\''),
    ("ip access-list standard a PERMIT any\n", "syntax error at 'PERMIT'"),
    ("ip access-list standard a permit\n", "syntax error at '\\n'"),
    ("ip access-list standard a permit host\n", "syntax error at '\\n'"),
    ("ip access-list standard a permit host 1.2.3.4 0.0.0.255\n", "syntax error at '0.0.0.255'"),
    ("ip access-list extended a permit ip 1.2.3.4 any\n", "syntax error at 'any'"),
    ("ip access-list extended a permit 6 any any\n", "syntax error at '6'"),
    ("ip access-list extended a permit ip any any eq 80\n", "syntax error at 'eq'"),
    ("ip access-list extended a permit udp any any established\n",
     "syntax error at 'established'"),
    ("ip access-list standard a permit 10.1 0.0.0.255\n", "syntax error at '10'"),
    ("permit any\n", "syntax error at 'permit'"),
    ("ip access-list standard a permit any\r\n", '"\r": syntax error at \'\r\''),
])
def test_syntax_errors(text, token):
    a = acl.parse(text)
    assert a.errors == [token]
    assert not a.standard and not a.extended


def test_first_error_stops_the_parse_but_keeps_earlier_lines():
    a = acl.parse("ip access-list standard a permit any\n"
                  "ip access-list standard b permit host 1.1.1.1\n"
                  "ip access-list standard c oops any\n"
                  "ip access-list standard d permit any\n"
                  "garbage here\n")
    assert a.errors == ["syntax error at 'oops'"]
    assert set(a.standard) == {"a", "b"}


def test_missing_final_newline_defines_the_line_then_errs():
    a = acl.parse("ip access-list standard a permit any\nip access-list standard b permit 1.2.3.4")
    assert a.errors == ["syntax error at ''"]
    assert std(a, "b") == [(True, ip("1.2.3.4"), 0)]
    a = acl.parse("ip access-list standard a permit any\nip access-list standard b permit")
    assert a.errors == ["syntax error at ''"] and set(a.standard) == {"a"}
    a = acl.parse("ip access-list standard a permit any\n! comment, no newline")
    assert a.errors == [] and set(a.standard) == {"a"}


def test_missing_file_defines_nothing_quietly(tmp_path):
    a = acl.load(str(tmp_path / "none.acl"))
    assert a.errors == [] and not a.standard and not a.extended


def test_dump_lists_every_line():
    a = acl.parse("ip access-list standard s permit 10.0.0.0 0.0.0.255\n"
                  "access-list 101 permit tcp any host 1.2.3.4 eq 80\n")
    assert a.dump() == ["ip access-list standard s permit 10.0.0.0 0.0.0.255",
                        "ip access-list extended 101 permit tcp any host 1.2.3.4 eq 80"]


# ---- the reference's worked examples (commands.md 4.2) ---------------------

EXAMPLE = """\
! comment line
ip access-list standard net10 permit 10.0.0.0 0.0.0.255
ip access-list standard odd permit 0.0.0.1 255.255.255.254
access-list 5 permit 8.8.0.0 0.0.255.255
access-list 5 deny any
ip access-list extended unnorm permit ip 10.0.0.1 0.0.0.255 any
ip access-list extended e4 deny tcp any any eq 80
ip access-list extended e4 permit ip any any
"""


def records_v5(rows):
    recs = []
    for src, dst, prot, dport in rows:
        r = {name: 0 for name in oracle.fields("5")}
        r.update(srcaddr=ip(src), dstaddr=ip(dst), prot=prot, dstport=dport)
        recs.append(r)
    return recs


def run_filter(recs, version="5", acl_text="", or_mode=False, **opts):
    """Records a flow-filter run passes (in-process, library path)."""
    d_version, agg = oracle.split_version(version)
    h = {"d_version": d_version, "flags": 0}
    if d_version == 8:
        h["agg_method"] = agg
    data = oracle.write_stream(h, recs)
    ns = types.SimpleNamespace(**{"opt_" + k: v for k, v in opts.items()})
    tests = flowfilter.parse_tests(ns)
    out = io.BytesIO()
    flowfilter.run(tests, io.BytesIO(data), out, acls=acl.parse(acl_text), or_mode=or_mode)
    return oracle.read_stream(out.getvalue())[1]


SAMPLE = records_v5([
    ("10.0.0.1", "192.168.10.20", 6, 80), ("10.0.0.2", "8.8.8.8", 17, 53),
    ("172.16.5.9", "10.0.0.4", 1, 771), ("8.8.4.4", "10.0.0.4", 1, 0),
    ("10.0.0.9", "224.0.0.5", 89, 0), ("10.0.1.1", "8.8.4.4", 6, 443),
])


def srcs(recs):
    return [dotted(r["srcaddr"]) for r in recs]


def test_examples_standard_and_numbered():
    assert srcs(run_filter(SAMPLE, acl_text=EXAMPLE, S="net10")) == \
        ["10.0.0.1", "10.0.0.2", "10.0.0.9"]
    assert srcs(run_filter(SAMPLE, acl_text=EXAMPLE, S="odd")) == \
        ["10.0.0.1", "172.16.5.9", "10.0.0.9", "10.0.1.1"]
    assert srcs(run_filter(SAMPLE, acl_text=EXAMPLE, D="5")) == ["10.0.0.2", "10.0.1.1"]


def test_examples_extended_quirks():
    assert run_filter(SAMPLE, acl_text=EXAMPLE, E="unnorm") == []      # unmasked address
    assert len(run_filter(SAMPLE, acl_text=EXAMPLE, E="e4")) == len(SAMPLE)   # eq 80 never matches


def test_unknown_list_and_wrong_kind():
    with pytest.raises(flowfilter.NoSuchList) as e:
        run_filter(SAMPLE, acl_text=EXAMPLE, S="nosuch")
    assert str(e.value) == "Couldn't find list nosuch\n"
    with pytest.raises(flowfilter.NoSuchList):
        run_filter(SAMPLE, acl_text=EXAMPLE, E="net10")     # a standard list


# ---- compilation shapes ------------------------------------------------------

def test_prefix_runs_compile_to_range_lookups():
    lines = [acl.StdLine(i % 3 != 0, (i * 7919 << 12) & ALL & ~0xFFF, 0xFFF) for i in range(50)]
    node = acl.standard_node(lines, "srcaddr")
    v4 = program.lower(node, {"srcaddr"})
    tests = [cond for cond, _ in v4.rules]
    assert len(tests) == 1 and tests[0].op == OP_RANGES
    # on v1006 (the address group): one 128-bit lookup
    v6 = program.lower(node, set(program.words6("srcaddr")))
    tests = [cond for cond, _ in v6.rules]
    assert len(tests) == 1 and tests[0].op == OP_RANGES6 and tests[0].field == "srcaddr6_0"


def test_cover_claims_only_new_parts():
    c = acl._Cover()
    assert c.claim(10, 20) == [(10, 20)]
    assert c.claim(0, 30) == [(0, 9), (21, 30)]
    assert c.claim(5, 25) == []
    assert c.claim(31, 31) == [(31, 31)]
    assert c.claim(0, ALL) == [(32, ALL)]


# ---- property: random ACLs against a plain evaluator -------------------------
#
# An ACL is generated as data: standard lines (permit, form, addr, wildcard),
# extended lines (permit, proto word, src, dst, qualifiers).  It is rendered
# to text for pyflowtools, and evaluated here from the data by the rules of
# commands.md 4.1.

PROTO_NUM = {"ip": None, "tcp": 6, "udp": 17, "icmp": 1, "igmp": 2}
IGNORED = ("tos 5", "precedence 2", "log")


def std_match(line, a):
    _, form, addr, wc = line
    if form == "any":
        return True
    if form in ("host", "bare"):
        return a == addr
    keep = ~wc & ALL
    return a & keep == addr & keep


def ext_addr_match(spec, a):
    form, addr, wc = spec
    if form == "any":
        return True
    if form == "host":
        return a == addr
    return a & (~wc & ALL) == addr            # the list's address is not masked


def ext_match(line, rec):
    _, proto, src, dst, quals = line
    if any(q not in IGNORED for q in quals):
        return False                           # port ops, established, types
    want = PROTO_NUM[proto]
    return ((want is None or rec["prot"] == want) and ext_addr_match(src, rec["srcaddr"])
            and ext_addr_match(dst, rec["dstaddr"]))


def first_match(lines, match):
    for line in lines:
        if match(line):
            return line[0]
    return False


def render_addr(form, addr, wc):
    if form == "any":
        return "any"
    if form == "host":
        return "host " + dotted(addr)
    if form == "bare":
        return dotted(addr)
    return "%s %s" % (dotted(addr), dotted(wc))


def render_std(name, line):
    permit, form, addr, wc = line
    head = ("access-list %s" % name) if name.isdigit() else \
        ("ip access-list standard %s" % name)
    return "%s %s %s" % (head, "permit" if permit else "deny", render_addr(form, addr, wc))


def render_ext(name, line):
    permit, proto, src, dst, quals = line
    head = ("access-list %s" % name) if name.isdigit() else \
        ("ip access-list extended %s" % name)
    src_q = [q for q in quals if q.startswith("@")]
    tail = [q for q in quals if not q.startswith("@")]
    words = [head, "permit" if permit else "deny", proto, render_addr(*src)]
    words += [q[1:] for q in src_q]
    words += [render_addr(*dst)] + tail
    return " ".join(words)


# addresses: a small pool so that lines and records meet
POOL = [ip(a) for a in ("10.0.0.1", "10.0.0.2", "10.0.1.7", "10.1.2.3", "192.168.1.1",
                        "192.168.1.200", "8.8.8.8", "0.0.0.0", "255.255.255.255",
                        "172.16.9.9")]
addresses = st.one_of(st.sampled_from(POOL), st.integers(0, ALL))
prefix_wc = st.integers(0, 32).map(lambda k: (1 << k) - 1)
wildcards = st.one_of(prefix_wc, st.integers(0, ALL), st.just(0x000000FF), st.just(0xFFFFFFFE))


@st.composite
def normalized(draw, wc_strategy=wildcards):
    """(addr, wc) with the address sometimes normalized under the wildcard."""
    addr, wc = draw(addresses), draw(wc_strategy)
    if draw(st.booleans()):
        addr &= ~wc & ALL
    return addr, wc


@st.composite
def std_lines(draw):
    form = draw(st.sampled_from(("any", "host", "bare", "wild", "wild")))
    addr, wc = draw(normalized())
    if form in ("host", "bare"):
        wc = 0
    return (draw(st.booleans()), form, addr, wc)


@st.composite
def ext_specs(draw):
    form = draw(st.sampled_from(("any", "host", "wild", "wild")))
    addr, wc = draw(normalized())
    return (form, addr, 0 if form == "host" else wc)


@st.composite
def ext_lines(draw):
    proto = draw(st.sampled_from(tuple(PROTO_NUM)))
    quals = []
    if draw(st.integers(0, 4)) == 0:
        if proto in ("tcp", "udp"):
            quals.append(draw(st.sampled_from(("eq 80", "neq 53", "lt 1024", "gt 5",
                                               "range 1 99", "@eq 25"))))
            if proto == "tcp" and draw(st.booleans()):
                quals.append("established")
        elif proto == "icmp":
            quals.append(draw(st.sampled_from(("8", "3 1"))))
        elif proto == "igmp":
            quals.append("2")
    quals += draw(st.lists(st.sampled_from(IGNORED), max_size=2))
    return (draw(st.booleans()), proto, draw(ext_specs()), draw(ext_specs()), quals)


@st.composite
def acl_records(draw):
    recs = draw(st.lists(fst.records("5"), max_size=24))
    for r in recs:
        for f in ("srcaddr", "dstaddr", "nexthop"):
            if draw(st.integers(0, 3)):
                r[f] = draw(st.sampled_from(POOL)) ^ draw(st.sampled_from((0, 0, 1, 0x80, 0x100)))
        r["prot"] = draw(st.sampled_from((1, 2, 6, 17, 6, 17, 0, 89)))
    return recs


NAMES = st.sampled_from(("L", "list_1", "x9", "110", "7"))


@st.composite
def std_acls(draw):
    name = draw(NAMES)
    lines = draw(st.lists(std_lines(), min_size=1, max_size=12))
    noise = draw(st.lists(std_lines(), max_size=3))
    text = [render_std(name, ln) for ln in lines]
    for i, ln in enumerate(noise):              # other lists interleaved
        text.insert(min(i * 2, len(text)), render_std("other", ln))
    return name, lines, "\n".join(text) + "\n"


@given(std_acls(), acl_records(), st.sampled_from(("S", "D", "x")))
def test_standard_acls_match_the_rules(case, recs, letter):
    name, lines, text = case
    field = {"S": "srcaddr", "D": "dstaddr", "x": "nexthop"}[letter]
    want = [r for r in recs if first_match(lines, lambda ln, r=r: std_match(ln, r[field]))]
    assert run_filter(recs, acl_text=text, **{letter: name}) == want


@given(NAMES, st.lists(ext_lines(), min_size=1, max_size=10), acl_records())
def test_extended_acls_match_the_rules(name, lines, recs):
    text = "".join(render_ext(name, ln) + "\n" for ln in lines)
    want = [r for r in recs if first_match(lines, lambda ln, r=r: ext_match(ln, r))]
    assert run_filter(recs, acl_text=text, E=name) == want


@given(st.lists(std_lines(), min_size=2, max_size=40), acl_records(),
       st.integers(0, 39), st.booleans())
def test_parse_stops_at_the_first_error(lines, recs, cut, newline):
    """Lines after a syntax error are not defined; a list whose lines all
    come after it does not exist."""
    cut = min(cut, len(lines))
    text = [render_std("L", ln) for ln in lines]
    text.insert(cut, "ip access-list standard L permit bogus")
    body = "\n".join(text) + ("\n" if newline else "")
    a = acl.parse(body)
    assert a.errors == ["syntax error at 'bogus'"]
    if cut == 0:
        with pytest.raises(flowfilter.NoSuchList):
            run_filter(recs, acl_text=body, S="L")
        return
    kept = lines[:cut]
    want = [r for r in recs if first_match(kept, lambda ln, r=r: std_match(ln, r["srcaddr"]))]
    assert run_filter(recs, acl_text=body, S="L") == want


@given(st.lists(st.tuples(st.booleans(), prefix_wc, addresses), min_size=30, max_size=60),
       acl_records())
def test_long_prefix_lists_keep_first_match_order(raw, recs):
    """Long prefix lists go through the range compilation: same result."""
    lines = [(p, "wild", a & ~wc & ALL, wc) for p, wc, a in raw]
    text = "".join(render_std("big", ln) + "\n" for ln in lines)
    want = [r for r in recs if first_match(lines, lambda ln, r=r: std_match(ln, r["srcaddr"]))]
    assert run_filter(recs, acl_text=text, S="big") == want


narrow_wc = st.tuples(st.integers(0, 0xFF), st.integers(0, 0xFFFF)).map(
    lambda t: (t[0] << 16) | t[1])           # few wildcard bits in the top 16


@given(st.lists(st.tuples(st.booleans(), st.one_of(narrow_wc, wildcards), addresses),
                min_size=4, max_size=30),
       acl_records(), st.sampled_from(("std", "ext")))
def test_long_lists_of_any_wildcard_keep_first_match_order(raw, recs, kind):
    """Lists with non-prefix wildcards get a top-16-bit guard: same result."""
    if kind == "std":
        lines = [(p, "wild", a, wc) for p, wc, a in raw]
        text = "".join(render_std("nc", ln) + "\n" for ln in lines)
        want = [r for r in recs
                if first_match(lines, lambda ln, r=r: std_match(ln, r["srcaddr"]))]
        assert run_filter(recs, acl_text=text, S="nc") == want
    else:
        lines = [(p, "ip", ("wild", a & ~wc & ALL, wc), ("any", 0, ALL), []) for p, wc, a in raw]
        text = "".join(render_ext("nc", ln) + "\n" for ln in lines)
        want = [r for r in recs if first_match(lines, lambda ln, r=r: ext_match(ln, r))]
        assert run_filter(recs, acl_text=text, E="nc") == want


# ---- IPv6 (v1006 streams; pyflowtools' ACL syntax, man flow-filter(1)) --------
#
# Lines are data again: (permit, form, a, b) with form any | v4host | v4bare |
# v4wild (a address, b wildcard) | v6host | v6bare (a address) | v6pfx (a
# address, b length; the network is a masked to b).  The evaluator below
# decides with Python's ipaddress from the documented rules: an IPv4 line
# matches an IPv4-mapped address (::ffff:a.b.c.d) whose IPv4 part it
# matches, an IPv6 line the addresses its prefix holds, `any` everything.
# Records of the IPv4 versions are their mapped addresses.

import ipaddress  # noqa: E402

ALL6 = (1 << 128) - 1
POOL6 = [int(ipaddress.IPv6Address(a)) for a in (
    "2001:db8::1", "2001:db8::2", "2001:db8:1::7", "2001:db8:ffff::", "fe80::1",
    "::", "::1", "ff02::1", "2002:c000:204::1", "::ffff:10.0.0.1", "::ffff:192.168.1.1",
    "::10.0.0.1", "64:ff9b::8.8.8.8", "fc00::5")]
addresses6 = st.one_of(st.sampled_from(POOL6), st.sampled_from(POOL).map(oracle.mapped),
                       fst.addr6s())


def v6_text(draw_bool, a):
    """IPv6 text in one of the forms a user writes."""
    ad = ipaddress.IPv6Address(a)
    if draw_bool[0]:
        return ad.exploded.upper() if draw_bool[1] else ad.exploded
    if ad.ipv4_mapped is not None and draw_bool[1]:
        return "::ffff:%s" % ad.ipv4_mapped
    return ad.compressed


@st.composite
def std6_lines(draw):
    form = draw(st.sampled_from(("v6host", "v6bare", "v6pfx", "v6host", "v6pfx", "v4host",
                                 "v4bare", "v4wild", "any")))
    if form.startswith("v4"):
        addr, wc = draw(normalized())
        return (draw(st.booleans()), form, addr, 0 if form != "v4wild" else wc)
    a = draw(addresses6)
    length = draw(st.one_of(st.integers(96, 128), st.integers(0, 128),
                            st.sampled_from((32, 48, 64, 96, 104, 127))))
    if form == "v6pfx" and draw(st.booleans()):
        a &= ipv6_mask(length)
    return (draw(st.booleans()), form, a, length)


def ipv6_mask(n):
    return (ALL6 << (128 - n)) & ALL6 if n else 0


def std6_match(line, a):
    """Does the line match the 128-bit address a? (ipaddress decides.)"""
    _, form, x, y = line
    ad = ipaddress.IPv6Address(a)
    if form == "any":
        return True
    if form.startswith("v4"):
        v4 = ad.ipv4_mapped
        if v4 is None:
            return False
        if form != "v4wild":
            return int(v4) == x
        keep = ~y & ALL
        return int(v4) & keep == x & keep
    if form in ("v6host", "v6bare"):
        return ad == ipaddress.IPv6Address(x)
    return ad in ipaddress.IPv6Network((x, y), strict=False)


def render6_addr(form, x, y, flags, standard=True):
    if form == "any":
        return "any"
    if form == "v4host":
        return "host " + dotted(x)
    if form == "v4bare":
        return dotted(x) if standard else "host " + dotted(x)
    if form == "v4wild":
        return "%s %s" % (dotted(x), dotted(y))
    if form == "v6host":
        return "host " + v6_text(flags, x)
    if form == "v6bare":
        return v6_text(flags, x)
    return "%s/%d" % (v6_text(flags, x), y)


def render6_std(name, line, flags=(False, False)):
    permit, form, x, y = line
    head = ("access-list %s" % name) if name.isdigit() else ("ip access-list standard %s" % name)
    return "%s %s %s" % (head, "permit" if permit else "deny", render6_addr(form, x, y, flags))


def near(lines):
    """The 128-bit addresses the lines name (IPv4 ones mapped), to draw
    record addresses that meet them."""
    out = []
    for ln in lines:
        for form, x in ((ln[1], ln[2]),) if isinstance(ln[1], str) and ln[1] in FORMS else \
                ((ln[2][0], ln[2][1]), (ln[3][0], ln[3][1])):
            if form.startswith("v4"):
                out.append(oracle.mapped(x))
            elif form != "any":
                out.append(x)
    return out


FORMS = ("any", "v4host", "v4bare", "v4wild", "v6host", "v6bare", "v6pfx")


@st.composite
def acl6_records(draw, version="1006", lines=()):
    """Records whose addresses meet the lines: v1006 (IPv4 and IPv6 flows),
    or v5 (the IPv4 part of the addresses named)."""
    pool = near(lines)
    if version != "1006":
        recs = draw(acl_records())
        for r in recs:
            for f in ("srcaddr", "dstaddr", "nexthop"):
                if pool and draw(st.booleans()):
                    r[f] = draw(st.sampled_from(pool)) & ALL ^ draw(st.sampled_from((0, 1)))
        return recs
    recs = draw(st.lists(fst.v1006_records(), min_size=1, max_size=20))
    out = []
    for r in recs:
        for f in ("srcaddr", "dstaddr", "nexthop"):
            how = draw(st.integers(0, 5))
            if how == 0:
                continue                        # the record's own address
            if pool and how <= 3:
                a = draw(st.sampled_from(pool))   # a line's address itself
            else:
                a = draw(st.sampled_from(pool)) if pool and how == 4 else draw(addresses6)
                a ^= draw(st.sampled_from((0, 1, 0x80, 1 << 64, 1 << 100, 1 << 127)))
            r = oracle.with_addr6(r, f, a)
        r["prot"] = draw(st.sampled_from((1, 6, 17, 58, 6, 17, 0)))
        out.append(r)
    return out


def addr_of(rec, field, version):
    if version == "1006":
        return oracle.addr6(rec, field)
    return oracle.mapped(rec[field])


@given(st.lists(std6_lines(), min_size=1, max_size=14), st.sampled_from(("1006", "5")),
       st.data())
def test_ipv6_standard_acls_match_ipaddress(lines, version, data):
    """-S/-D/-x with IPv4, IPv6 and `any` lines on v1006 (and on v5, whose
    addresses are their mapped forms) equal the ipaddress evaluation."""
    recs = data.draw(acl6_records(version, lines))
    letter = data.draw(st.sampled_from(("S", "D", "x")))
    flags = data.draw(st.tuples(st.booleans(), st.booleans()))
    field = {"S": "srcaddr", "D": "dstaddr", "x": "nexthop"}[letter]
    text = "".join(render6_std("L6", ln, flags) + "\n" for ln in lines)
    assert acl.parse(text).errors == []
    want = [r for r in recs
            if first_match(lines, lambda ln, r=r: std6_match(ln, addr_of(r, field, version)))]
    assert run_filter(recs, version=version, acl_text=text, **{letter: "L6"}) == want


@given(st.lists(st.tuples(st.booleans(), addresses6, st.integers(0, 128)), min_size=20,
                max_size=60), st.data())
def test_ipv6_long_prefix_lists_keep_first_match_order(raw, data):
    lines = [(p, "v6pfx", a, n) for p, a, n in raw]
    recs = data.draw(acl6_records(lines=lines))
    text = "".join(render6_std("big", ln) + "\n" for ln in lines)
    want = [r for r in recs
            if first_match(lines, lambda ln, r=r: std6_match(ln, oracle.addr6(r, "srcaddr")))]
    assert run_filter(recs, version="1006", acl_text=text, S="big") == want


PROTO6 = dict(PROTO_NUM, icmp6=58)


@st.composite
def ext6_lines(draw):
    proto = draw(st.sampled_from(tuple(PROTO6)))
    quals = []
    if draw(st.integers(0, 5)) == 0 and proto in ("tcp", "icmp6"):
        quals.append("eq 80" if proto == "tcp" else "128")
    quals += draw(st.lists(st.sampled_from(IGNORED), max_size=1))
    src = draw(std6_lines())[1:]
    dst = draw(std6_lines())[1:]
    return (draw(st.booleans()), proto, src, dst, quals)


def ext6_addr_match(spec, a):
    form, x, y = spec
    if form == "v4wild":
        ad = ipaddress.IPv6Address(a)
        return ad.ipv4_mapped is not None and int(ad.ipv4_mapped) & (~y & ALL) == x
    return std6_match((True, form, x, y), a)


def render6_ext(name, line):
    permit, proto, src, dst, quals = line
    head = ("access-list %s" % name) if name.isdigit() else ("ip access-list extended %s" % name)
    return " ".join([head, "permit" if permit else "deny", proto,
                     render6_addr(*src, (False, False), standard=False),
                     render6_addr(*dst, (True, False), standard=False)] + quals)


@given(st.lists(ext6_lines(), min_size=1, max_size=10), st.sampled_from(("1006", "5")),
       st.data())
def test_ipv6_extended_acls_match_ipaddress(lines, version, data):
    recs = data.draw(acl6_records(version, lines))
    text = "".join(render6_ext("E6", ln) + "\n" for ln in lines)
    assert acl.parse(text).errors == []

    def match(ln, r):
        _, proto, src, dst, quals = ln
        if any(q not in IGNORED for q in quals):
            return False
        want = PROTO6[proto]
        return ((want is None or r["prot"] == want)
                and ext6_addr_match(src, addr_of(r, "srcaddr", version))
                and ext6_addr_match(dst, addr_of(r, "dstaddr", version)))

    want = [r for r in recs if first_match(lines, lambda ln, r=r: match(ln, r))]
    assert run_filter(recs, version=version, acl_text=text, E="E6") == want


@given(st.lists(std_lines(), min_size=1, max_size=12), st.data())
def test_ipv4_acls_on_v1006_select_the_ipv4_flows_as_on_v5(lines, data):
    """An IPv4 ACL on a mixed v1006 stream keeps the IPv4 flows the v5 rules
    keep (on the last word, the IPv4 address), and an IPv6 flow only
    through an `any` line."""
    recs = data.draw(acl6_records())
    text = "".join(render_std("L", ln) + "\n" for ln in lines)
    got = run_filter(recs, version="1006", acl_text=text, S="L")
    any_verdict = first_match(lines, lambda ln: ln[1] == "any")

    def keep(r):
        if oracle.addr6(r, "srcaddr") >> 32 == 0xFFFF:
            return first_match(lines, lambda ln: std_match(ln, r["srcaddr"]))
        return any_verdict

    assert got == [r for r in recs if keep(r)]


def test_ipv6_syntax_forms_and_dump():
    a = acl.parse("ip access-list standard s permit 2001:db8::/32\n"
                  "ip access-list standard s deny host 2001:DB8::1\n"
                  "ip access-list standard s permit fe80::1\n"
                  "ip access-list standard s permit 2001:db8:1::5/48\n"
                  "ip access-list extended e permit icmp6 2001:db8::/32 any 128\n"
                  "ip access-list extended e permit tcp host ::1 ::ffff:10.0.0.0/104\n"
                  "ip access-list extended icmp6 permit icmp6 any any\n")
    assert a.errors == []
    assert [(ln.permit, ln.family, ln.addr, ln.wildcard) for ln in a.standard["s"]] == [
        (True, acl.V6, 0x20010DB8 << 96, (1 << 96) - 1),
        (False, acl.V6, (0x20010DB8 << 96) | 1, 0),
        (True, acl.V6, (0xFE80 << 112) | 1, 0),
        (True, acl.V6, (0x20010DB8 << 96) | (1 << 80), (1 << 80) - 1)]   # masked to /48
    e = a.extended["e"]
    assert [ln.proto for ln in e] == [58, 6] and e[0].never and not e[1].never
    assert a.extended["icmp6"][0].proto == 58          # still usable as a name
    assert a.dump()[:4] == [
        "ip access-list standard s permit 2001:db8::/32",
        "ip access-list standard s deny host 2001:db8::1",
        "ip access-list standard s permit host fe80::1",
        "ip access-list standard s permit 2001:db8:1::/48"]


@pytest.mark.parametrize("line,token", [
    ("ip access-list standard s permit 2001:db8::g", "g"),
    ("ip access-list standard s permit 2001:db8::1 0.0.0.255", "0.0.0.255"),
    ("ip access-list standard s permit 1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8:9"),
    ("ip access-list standard s permit 2001:db8::/129", "2001:db8::/129"),
    ("ip access-list standard s permit host 2001:db8::/64", "2001:db8::/64"),
    ("ip access-list standard s permit 2001:db8::/", "2001:db8::/"),
    ("ip access-list standard s permit fe80::1%eth0", "%"),
    ("ip access-list standard s permit 2001:db8:: ::ffff", "::ffff"),
    ("ip access-list extended e permit ip 2001:db8::/32", "\\n"),
])
def test_ipv6_syntax_errors(line, token):
    a = acl.parse(line + "\n")
    assert len(a.errors) == 1 and a.errors[0].endswith("syntax error at '%s'" % token), a.errors


@given(st.text(alphabet="0123456789abcdefABCDEF:./ \n!hostanydeny permit ip access-list"
               "standard extended tcp icmp6", max_size=300))
def test_arbitrary_acl_text_gives_lists_or_one_error(text):
    """Any text: a set of lists and at most one error line; every list compiles
    for v1006 and v5."""
    a = acl.parse(text)
    assert len(a.errors) <= 1 and all("\n" not in e.rstrip("\n") for e in a.errors)
    for name in a.standard:
        for field in ("srcaddr", "nexthop"):
            node = a.standard_node(name, field)
            program.compile(node, RT_V1006)
            program.compile(node, rectype(5))
    for name in a.extended:
        program.compile(a.extended_node(name), RT_V1006)
        program.compile(a.extended_node(name), rectype(5))
