"""flow-filter: a property test of every test option against a plain
evaluator written here from commands.md 4 (random records, lists, masks,
AND and OR modes, both byte orders, compressed or not), then the command
itself: statuses, the one-line stderr rule, the ACL file lookup, headers,
pipes.  Byte-exact outputs are covered by the conformance corpus."""
import io
import os
import types

import oracle
import pytest
import strategies as fst
from hypothesis import given
from hypothesis import strategies as st

from pyflowtools.filters import acl, flowfilter
from pyflowtools.util import paths

GEN = "flow-gen -V5 -n 200"
ORDER = "iIpPertTaAxSDE"


def error_lines(err, prog="flow-filter"):
    """The non-blank stderr lines; each must carry the program prefix."""
    text = err.decode()
    assert "Traceback" not in text
    lines = [ln for ln in text.split("\n") if ln]
    assert all(ln.startswith(prog + ": ") for ln in lines), text
    return lines


# ---- property: every option against the documented rules -------------------

def _render(n, style):
    if style == "hex":
        return "0x%x" % n
    if style == "oct":
        return "0%o" % n if n else "0"
    return "%d" % n


@st.composite
def lists_of(draw, size, pool):
    """(list text, selected values) built from the documented rules; values
    mostly from `pool` so that records meet them."""
    value = st.one_of(st.sampled_from(pool), st.integers(0, size - 1))
    items = draw(st.lists(st.tuples(st.sampled_from(("one", "one", "range", "open", "empty")),
                                    value, value, st.sampled_from(("dec", "hex", "oct"))),
                          min_size=1, max_size=5))
    parts, chosen = [], set()
    ends = [v for _, a, b, _ in items for v in (a, b)]
    for kind, a, b, style in items:
        if kind == "empty":
            parts.append("")
        elif kind == "one":
            parts.append(_render(a, style))
            chosen.add(a)
        elif kind == "open":
            parts.append(_render(a, style) + "-")
            chosen.add(a)
        else:
            parts.append("%s-%s" % (_render(a, style), _render(b, style)))
            chosen.update(range(a, b + 1) if b >= a else [a])
    text = ",".join(parts)
    if draw(st.integers(0, 4)) == 0:
        text = "!" + text
        chosen = set(range(size)) - chosen
    return text, frozenset(chosen), ends


PORTS = [0, 22, 25, 53, 80, 443, 8080, 65535]
SMALL = [0, 1, 2, 3, 65535]
BYTES = [0, 1, 2, 6, 17, 0x12, 0x10, 0xb8, 0xff]
ADDRS = [0x0A000001, 0x7F000001, 0xC0000202, 0]
ACL_TEXT = ("ip access-list standard ten permit 10.0.0.0 0.255.255.255\n"
            "ip access-list standard odd permit 0.0.0.1 255.255.255.254\n"
            "ip access-list standard notlo deny 127.0.0.0 0.255.255.255\n"
            "ip access-list standard notlo permit any\n"
            "ip access-list extended tcp10 permit tcp 10.0.0.0 0.255.255.255 any\n"
            "ip access-list extended tcp10 permit udp any host 192.0.2.2\n")
ACL_MODEL = {
    "ten": lambda a: a >> 24 == 10,
    "odd": lambda a: a & 1 == 1,
    "notlo": lambda a: a >> 24 != 127,
}


def tcp10(r):
    return (r["prot"] == 6 and r["srcaddr"] >> 24 == 10) or \
        (r["prot"] == 17 and r["dstaddr"] == 0xC0000202)


LIST_FIELD = {"i": "input", "I": "output", "p": "srcport", "P": "dstport",
              "a": "src_as", "A": "dst_as"}


FIELD_OF = {"i": "input", "I": "output", "p": "srcport", "P": "dstport", "a": "src_as",
            "A": "dst_as", "r": "prot", "t": "tos", "T": "tcp_flags", "e": "exaddr"}


@st.composite
def option_sets(draw, letters=ORDER, min_size=1, max_size=4):
    """({letter: (option text, model)}, {field: hint values}) for a random
    subset of `letters`; the hints let records meet the lists' edges."""
    opts, hints = {}, {}
    for letter in draw(st.sets(st.sampled_from(letters), min_size=min_size,
                               max_size=max_size)):
        if letter in LIST_FIELD:
            pool = PORTS if letter in "pP" else SMALL
            text, chosen, ends = draw(lists_of(65536, pool))
            opts[letter] = (text, chosen)
        elif letter == "r":
            text, chosen, ends = draw(lists_of(256, [1, 6, 17, 47]))
            opts[letter] = (text, chosen)
        elif letter in "tT":
            text, chosen, ends = draw(lists_of(256, BYTES))
            mask = draw(st.one_of(st.none(), st.sampled_from((0xFF, 0x02, 0x12, 0x3F, 0xE0,
                                                               0xFC, 0x01, 0))))
            if mask is not None:
                text += "/" + _render(mask, draw(st.sampled_from(("dec", "hex", "oct"))))
            opts[letter] = (text, (chosen, 0xFF if mask is None else mask))
        elif letter == "e":
            a = draw(st.sampled_from(ADDRS))
            opts[letter] = ("%d.%d.%d.%d" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255), a)
            ends = [a]
        elif letter == "E":
            opts[letter] = ("tcp10", None)
            ends = []
        else:
            name = draw(st.sampled_from(sorted(ACL_MODEL)))
            opts[letter] = (name, ACL_MODEL[name])
            ends = []
        if letter in FIELD_OF:
            hints[FIELD_OF[letter]] = ends
    return opts, hints


def passes(letter, model, r, or_mode):
    """One test on one record, by commands.md 4."""
    if letter in LIST_FIELD:
        return r[LIST_FIELD[letter]] in model
    if letter == "r":
        return r["prot"] in model
    if letter == "t":
        chosen, mask = model
        return r["tos"] & mask in chosen
    if letter == "T":
        chosen, mask = model
        if r["prot"] != 6:
            return not or_mode          # not tested: passes AND, never passes OR
        return r["tcp_flags"] & mask in chosen
    if letter == "e":
        return r["exaddr"] == model
    if letter == "E":
        return tcp10(r)
    field = {"x": "nexthop", "S": "srcaddr", "D": "dstaddr"}[letter]
    return model(r[field])


@st.composite
def filter_records(draw, version, hints=None):
    """Records whose tested fields often sit on, or next to, the values the
    lists name (`hints`: field -> values)."""
    hints = hints or {}
    recs = draw(st.lists(fst.records(version), max_size=40))
    pools = {"prot": [1, 6, 6, 17, 47, 0], "srcport": PORTS, "dstport": PORTS,
             "input": SMALL, "output": SMALL, "src_as": SMALL, "dst_as": SMALL,
             "tos": BYTES, "tcp_flags": BYTES, "exaddr": ADDRS, "srcaddr": ADDRS,
             "dstaddr": ADDRS, "nexthop": ADDRS}
    for r in recs:
        for f, pool in pools.items():
            if f not in r:
                continue
            top = oracle.field_max(version, f)
            near = [(v + d) & top for v in hints.get(f, ()) for d in (0, 0, 1, -1)]
            choices = [st.sampled_from(pool), st.integers(0, top)]
            if near:
                choices.insert(0, st.sampled_from(near))
            if f == "prot":
                choices = choices[:-1]
            r[f] = draw(st.one_of(*choices))
    return recs


def run_library(version, recs, opts, or_mode, in_order, zlevel, out_order):
    d_version, _ = oracle.split_version(version)
    data = oracle.write_stream({"d_version": d_version, "flags": 0}, recs, in_order, zlevel)
    ns = types.SimpleNamespace(**{"opt_" + k: v[0] for k, v in opts.items()})
    out = io.BytesIO()
    from pyflowtools.io import header as hdr
    order = hdr.BIG if out_order == "big" else hdr.LITTLE
    flowfilter.run(flowfilter.parse_tests(ns), io.BytesIO(data), out, acls=acl.parse(ACL_TEXT),
                   or_mode=or_mode, byte_order=order)
    h, got = oracle.read_stream(out.getvalue())
    assert h["byte_order"] == out_order
    return got


def check_options(version, data, letters=ORDER, max_size=4):
    opts, hints = data.draw(option_sets(letters, max_size=max_size))
    recs = data.draw(filter_records(version, hints))
    or_mode = data.draw(st.booleans())
    in_order, out_order = data.draw(fst.byte_orders()), data.draw(fst.byte_orders())
    zlevel = data.draw(st.sampled_from((0, 0, 1)))
    results = [[passes(k, opts[k][1], r, or_mode) for k in ORDER if k in opts] for r in recs]
    want = [r for r, res in zip(recs, results) if (any(res) if or_mode else all(res))]
    assert run_library(version, recs, opts, or_mode, in_order, zlevel, out_order) == want


@given(st.sampled_from(("5", "6", "7", "1005")), st.data())
def test_options_select_what_the_rules_say(version, data):
    check_options(version, data)


@given(st.sampled_from(("5", "1005")), st.data())
def test_list_options(version, data):
    """-i -I -p -P -a -A -r, one or two at a time, in both modes."""
    check_options(version, data, letters="iIpPaAr", max_size=2)


@given(st.data())
def test_masked_options_and_the_tcp_rule(data):
    """-t and -T under masks, alone or with -r, in both modes."""
    check_options("5", data, letters="tTr", max_size=2)


@given(st.data())
def test_address_options(data):
    """-e -x -S -D -E, alone or together, in both modes."""
    check_options("5", data, letters="exSDE", max_size=2)


@given(fst.record_lists("1", max_size=20), lists_of(65536, PORTS))
def test_version_1_has_ports_but_no_as(recs, lst):
    text, chosen, _ = lst
    got = run_library("1", recs, {"P": (text, chosen)}, False, "little", 0, "little")
    assert got == [r for r in recs if r["dstport"] in chosen]
    with pytest.raises(flowfilter.FlowToolsError) as e:
        run_library("1", recs, {"a": (text, chosen)}, False, "little", 0, "little")
    assert str(e.value) == "Flow record missing required field for format."


def test_no_test_passes_all_and_or_mode_passes_none():
    recs = [dict.fromkeys(oracle.fields("5"), 0) for _ in range(5)]
    assert len(run_library("5", recs, {}, False, "little", 0, "little")) == 5
    assert run_library("5", recs, {}, True, "little", 0, "little") == []


@pytest.mark.parametrize("version,letter,ok", [
    ("8.1", "A", True), ("8.1", "P", False), ("8.2", "P", True), ("8.2", "T", False),
    ("8.2", "r", True), ("8.1", "e", True), ("8.3", "S", True), ("8.3", "D", False),
    ("8.4", "D", True), ("8.8", "x", False), ("8.8", "E", True), ("7", "x", True),
    ("8.1", "t", False), ("8.10", "t", True),
])
def test_fields_each_version_must_have(version, letter, ok):
    rec = dict.fromkeys(oracle.fields(version), 0)
    d_version, agg = oracle.split_version(version)
    data = oracle.write_stream({"d_version": d_version, "agg_method": agg, "flags": 0}, [rec])
    value = {"S": "ten", "D": "ten", "x": "ten", "E": "tcp10", "e": "0.0.0.0"}.get(letter, "0")
    tests = flowfilter.parse_tests(types.SimpleNamespace(**{"opt_" + letter: value}))
    out = io.BytesIO()
    if ok:
        flowfilter.run(tests, io.BytesIO(data), out, acls=acl.parse(ACL_TEXT))
        assert oracle.read_stream(out.getvalue())[0]["d_version"] == d_version
    else:
        with pytest.raises(flowfilter.FlowToolsError):
            flowfilter.run(tests, io.BytesIO(data), out, acls=acl.parse(ACL_TEXT))
        assert out.getvalue() == b""


# ---- the command -------------------------------------------------------------

@pytest.fixture
def gen(run_cmd, tmp_path):
    st_, data, _ = run_cmd(GEN)
    assert st_ == 0
    p = tmp_path / "gen.ft"
    p.write_bytes(data)
    return p


def flows(out):
    return oracle.read_stream(out)[1]


@pytest.mark.parametrize("argv,status,first", [
    (["-Q"], 0, "flow-filter: invalid option -- 'Q'"),
    (["-h"], 0, "flow-filter: invalid option -- 'h'"),
    (["-P", "70000"], 1, "flow-filter: load_lookup(): failed"),
    (["-r", "256"], 1, "flow-filter: load_lookup(): failed"),
    (["-p", "-1"], 1, "flow-filter: load_lookup(): failed"),
    (["-z", "11"], 1, "flow-filter: Compression level must be between 0 and 9"),
    (["-b", "middle"], 1, 'flow-filter: expecting "big" or "little"'),
    (["-r", "6", "extra"], 1, "flow-filter: Extra arguments starting with extra."),
    (["-S", "nosuch"], 1, "flow-filter: Couldn't find list nosuch"),
    (["-E", "nosuch"], 1, "flow-filter: Couldn't find list nosuch"),
    (["-P"], 0, "flow-filter: option requires an argument -- 'P'"),
])
def test_bad_usage(run_cmd, gen, argv, status, first):
    st_, out, err = run_cmd(["flow-filter"] + argv, stdin=gen.read_bytes())
    assert st_ == status
    assert out == b""
    text = err.decode()
    assert "Traceback" not in text
    assert text.split("\n")[0] == first
    if status == 0:      # usage follows the getopt message
        assert "Usage: flow-filter" in text


def test_unknown_list_prints_a_blank_line(run_cmd, gen, tmp_path):
    st_, out, err = run_cmd(["flow-filter", "-D", "x"], stdin=gen.read_bytes())
    assert (st_, out, err) == (1, b"", b"flow-filter: Couldn't find list x\n\n")


def test_missing_field_status_and_message(run_cmd):
    st_, out, err = run_cmd("flow-gen -V1 -n 3 | flow-filter -a 1")
    assert (st_, out) == (1, b"")
    assert error_lines(err) == ["flow-filter: Flow record missing required field for format."]


@pytest.mark.parametrize("data", [b"", b"not a flow file at all\n", b"\xcf\x10\x01"])
def test_bad_input(run_cmd, data):
    st_, out, err = run_cmd(["flow-filter", "-r", "6"], stdin=data)
    assert st_ == 1 and out == b""
    assert len(error_lines(err)) == 1


def test_syntax_error_is_reported_and_filtering_goes_on(run_cmd, gen, tmp_path):
    (tmp_path / "flow.acl").write_text(
        "ip access-list standard all permit any\n"
        "ip access-list standard broken permit 10.0.0.0 oops\n"
        "ip access-list standard later permit any\n")
    st_, out, err = run_cmd(["flow-filter", "-S", "all"], stdin=gen.read_bytes())
    assert st_ == 0 and len(flows(out)) == 200
    assert err == b"flow-filter: syntax error at 'oops'\n\n"
    st_, out, err = run_cmd(["flow-filter", "-S", "later"], stdin=gen.read_bytes())
    assert st_ == 1 and out == b""
    assert error_lines(err) == ["flow-filter: syntax error at 'oops'",
                                "flow-filter: Couldn't find list later"]


def test_default_acl_file_is_in_the_current_directory(run_cmd, gen, tmp_path):
    (tmp_path / "flow.acl").write_text("ip access-list standard low permit 0.0.0.0 0.0.0.15\n")
    st_, out, err = run_cmd(["flow-filter", "-S", "low"], stdin=gen.read_bytes())
    assert st_ == 0, err
    assert [r["srcaddr"] for r in flows(out)] == list(range(16))
    sub = tmp_path / "sub"
    sub.mkdir()
    st_, out, err = run_cmd(["flow-filter", "-S", "low"], stdin=gen.read_bytes(), cwd=sub)
    assert st_ == 1 and out == b""


def test_f_bare_name_falls_back_to_the_shipped_files(run_cmd, tmp_path):
    """-f iana-reserved.acl works from any directory; a file of that name in
    the current directory comes first."""
    rows = [(0x0A000001, 0x08080808), (0x08080808, 0x0A000001), (0xC0A80101, 0x01010101),
            (0x01010101, 0xE0000001), (0x64400001, 1), (0x64800001, 1), (0xFFFFFFFF, 1),
            (0xC6120000, 1), (0xC6140000, 1), (0xCB007101, 1), (0x00000001, 1)]
    recs = []
    for src, dst in rows:
        r = dict.fromkeys(oracle.fields("5"), 0)
        r.update(srcaddr=src, dstaddr=dst)
        recs.append(r)
    data = oracle.write_stream({"d_version": 5, "flags": 0}, recs)
    st_, out, err = run_cmd(["flow-filter", "-f", "iana-reserved.acl", "-S", "iana_reserved"],
                            stdin=data)
    assert st_ == 0, err
    assert [r["srcaddr"] for r in flows(out)] == \
        [0x0A000001, 0xC0A80101, 0x64400001, 0xFFFFFFFF, 0xC6120000, 0xCB007101, 1]
    st_, out, err = run_cmd(["flow-filter", "-f", "iana-reserved.acl", "-S", "iana_public"],
                            stdin=data)
    assert [r["srcaddr"] for r in flows(out)] == [0x08080808, 0x01010101, 0x64800001, 0xC6140000]
    (tmp_path / "iana-reserved.acl").write_text("ip access-list standard iana_reserved deny any\n")
    st_, out, err = run_cmd(["flow-filter", "-f", "iana-reserved.acl", "-S", "iana_reserved"],
                            stdin=data)
    assert st_ == 0 and flows(out) == []
    st_, out, err = run_cmd(["flow-filter", "-f", "./nosuch/iana-reserved.acl", "-S", "x"],
                            stdin=data)
    assert st_ == 1


def test_shipped_iana_list_has_every_registry_block():
    """Read independently of the parser: the permit lines of iana_reserved."""
    path = os.path.join(os.path.dirname(flowfilter.__file__), "..", "data", "iana-reserved.acl")
    with open(path) as f:
        text = f.read()
    assert text.endswith("\n")
    blocks = set()
    for line in text.splitlines():
        w = line.split()
        if w[:5] == ["ip", "access-list", "standard", "iana_reserved", "permit"]:
            if w[5] == "host":
                blocks.add((w[6], 32))
            else:
                wc = [int(x) for x in w[6].split(".")]
                bits = bin(wc[0] << 24 | wc[1] << 16 | wc[2] << 8 | wc[3]).count("1")
                blocks.add((w[5], 32 - bits))
    assert blocks == {
        ("0.0.0.0", 8), ("10.0.0.0", 8), ("100.64.0.0", 10), ("127.0.0.0", 8),
        ("169.254.0.0", 16), ("172.16.0.0", 12), ("192.0.0.0", 24), ("192.0.2.0", 24),
        ("192.88.99.0", 24), ("192.168.0.0", 16), ("198.18.0.0", 15), ("198.51.100.0", 24),
        ("203.0.113.0", 24), ("224.0.0.0", 4), ("240.0.0.0", 4), ("255.255.255.255", 32)}


def test_shipped_acl_files_parse_clean():
    for name in ("flow.acl", "iana-reserved.acl", "iana-ipv6-special.acl"):
        a = acl.load(os.path.join(paths.DATA_DIR, name))
        assert a.errors == [] and a.standard, name


def test_k_keeps_capture_times_only_when_asked(run_cmd, corpus_dir):
    src = (corpus_dir / "inputs" / "real-nmap-svc.ft").read_bytes()
    h_in = oracle.read_stream(src, strict=False)[0]
    st_, out, _ = run_cmd(["flow-filter", "-k", "-P", "80"], stdin=src)
    h = oracle.read_stream(out)[0]
    assert (h["cap_start"], h["cap_end"]) == (h_in["cap_start"], h_in["cap_end"])
    assert h["flags"] & oracle.HF_PRELOADED
    st_, out, _ = run_cmd(["flow-filter", "-P", "80"], stdin=src)
    h = oracle.read_stream(out)[0]
    assert "cap_start" not in h and not h["flags"] & oracle.HF_PRELOADED
    st_, out, _ = run_cmd("flow-gen -n 3 | flow-filter -k")     # no times: none copied
    assert "cap_start" not in oracle.read_stream(out)[0]


def test_header_comment_order_and_compression(run_cmd, gen):
    st_, out, _ = run_cmd(["flow-filter", "-C", "hello", "-b", "BIG", "-z", "6", "-p", "0-9"],
                          stdin=gen.read_bytes())
    h, recs = oracle.read_stream(out)
    assert h["comments"] == "hello" and h["byte_order"] == "big"
    assert h["flags"] & oracle.HF_COMPRESS and h["flags"] & oracle.HF_STREAMING
    assert [r["srcport"] for r in recs] == list(range(10))


def test_options_after_clusters_and_attached_values(run_cmd, gen):
    st_, out, _ = run_cmd(["flow-filter", "-oP1,2", "-p3"], stdin=gen.read_bytes())
    assert st_ == 0
    assert len(flows(out)) == 1      # flow-gen: srcport 3 only (dstports start at 65280)


def test_debug_prints_a_profile_and_acls(run_cmd, gen, tmp_path):
    (tmp_path / "flow.acl").write_text("ip access-list standard a permit any\n")
    st_, out, err = run_cmd(["flow-filter", "-d", "9", "-r", "17"], stdin=gen.read_bytes())
    assert st_ == 0
    text = err.decode()
    assert "flow-filter: ip access-list standard a permit 0.0.0.0 255.255.255.255" in text
    assert "flow-filter: processed 200 flows" in text


def test_partial_record_is_dropped_quietly(run_cmd, gen):
    data = gen.read_bytes()[:-10]
    st_, out, err = run_cmd(["flow-filter"], stdin=data)
    assert st_ == 0 and err == b"" and len(flows(out)) == 199


def test_broken_pipe_is_quiet(run_cmd):
    st_, out, err = run_cmd("flow-gen -n 200000 | flow-filter | head -c 100 > /dev/null; "
                            "echo ${PIPESTATUS[1]}")
    assert out.strip() in (b"141", b"0")
    assert b"Traceback" not in err and b"flow-filter" not in err


def test_refuses_a_terminal(flow_bin, gen):
    import pty
    import subprocess
    master, slave = pty.openpty()
    try:
        with open(gen, "rb") as src:
            p = subprocess.run([os.path.join(flow_bin, "flow-filter")], stdin=src, stdout=slave,
                               stderr=subprocess.PIPE, check=False)
    finally:
        os.close(slave)
        os.close(master)
    assert p.returncode == 1
    assert len(error_lines(p.stderr)) == 1 and b"terminal" in p.stderr


# ---- v1006 (IPv4 and IPv6 flows) ------------------------------------------------

def _v1006(addrs):
    """A v1006 stream: one flow per (source, destination) text pair; IPv4
    text becomes the IPv4-mapped address."""
    import ipaddress
    recs = []
    for i, (src, dst) in enumerate(addrs):
        r = dict.fromkeys(oracle.fields("1006"), 0)
        r["srcport"] = i
        for name, text in (("srcaddr", src), ("dstaddr", dst)):
            a = ipaddress.ip_address(text)
            v = int(a) if a.version == 6 else oracle.mapped(int(a))
            r = oracle.with_addr6(r, name, v)
        recs.append(r)
    return oracle.write_stream({"d_version": 1006, "flags": 0}, recs), recs


def test_article_method_on_ipv6_with_the_shipped_list(run_cmd):
    """"Reserved or foreign addresses": -S iana6_reserved keeps the IPv6
    flows from special-purpose sources, iana46_reserved the IPv4 ones too;
    output is v1006, records unchanged."""
    data, recs = _v1006([
        ("2001:db8::1", "2a00::1"), ("fe80::1", "2a00::1"), ("2a00:1450::1", "fe80::1"),
        ("10.1.2.3", "8.8.8.8"), ("8.8.8.8", "10.1.2.3"), ("::1", "::1"),
        ("fd12:3456::1", "2a00::1"), ("ff02::1", "2a00::1"), ("2001:4860::1", "2a00::1"),
        ("3fff::5", "2a00::1"), ("::", "2a00::1"), ("100::1", "2a00::1")])
    st_, out, err = run_cmd(["flow-filter", "-f", "iana-ipv6-special.acl", "-S",
                             "iana6_reserved"], stdin=data)
    assert st_ == 0, err
    h, got = oracle.read_stream(out)
    assert h["d_version"] == 1006
    assert [r["srcport"] for r in got] == [0, 1, 5, 6, 7, 9, 10, 11]
    assert got == [recs[i] for i in (0, 1, 5, 6, 7, 9, 10, 11)]
    st_, out, err = run_cmd(["flow-filter", "-f", "iana-ipv6-special.acl", "-S",
                             "iana46_reserved"], stdin=data)
    assert [r["srcport"] for r in oracle.read_stream(out)[1]] == [0, 1, 3, 5, 6, 7, 9, 10, 11]
    st_, out, err = run_cmd(["flow-filter", "-f", "iana-ipv6-special.acl", "-D",
                             "iana6_public"], stdin=data)
    assert [r["srcport"] for r in oracle.read_stream(out)[1]] == [0, 1, 3, 4, 6, 7, 8, 9, 10, 11]
    # the IPv4 list on v1006: the IPv4 flows it keeps on v5
    st_, out, err = run_cmd(["flow-filter", "-f", "iana-reserved.acl", "-S", "iana_reserved"],
                            stdin=data)
    assert [r["srcport"] for r in oracle.read_stream(out)[1]] == [3]


def test_v1006_acl_file_with_ipv6_lines(run_cmd, tmp_path):
    (tmp_path / "flow.acl").write_text(
        "ip access-list standard v6 permit 2001:db8::/32\n"
        "ip access-list standard v6 deny host 2001:db8::1\n"        # after: never decides
        "ip access-list extended e permit icmp6 any 2a00::/16\n")
    data, recs = _v1006([("2001:db8::1", "2a00::1"), ("2001:db9::1", "2a00::1"),
                         ("10.0.0.1", "2a00::1")])
    recs[0]["prot"] = 58
    data = oracle.write_stream({"d_version": 1006, "flags": 0}, recs)
    st_, out, err = run_cmd(["flow-filter", "-S", "v6"], stdin=data, cwd=tmp_path)
    assert st_ == 0 and err == b""
    assert [r["srcport"] for r in oracle.read_stream(out)[1]] == [0]
    st_, out, err = run_cmd(["flow-filter", "-E", "e"], stdin=data, cwd=tmp_path)
    assert [r["srcport"] for r in oracle.read_stream(out)[1]] == [0]
    (tmp_path / "flow.acl").write_text("ip access-list standard v6 permit 2001:db8::/129\n")
    st_, out, err = run_cmd(["flow-filter", "-S", "v6"], stdin=data, cwd=tmp_path)
    assert st_ == 1 and out == b""
    assert err.decode() == ("flow-filter: syntax error at '2001:db8::/129'\n\n"
                            "flow-filter: Couldn't find list v6\n\n")
