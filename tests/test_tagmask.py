"""flow-tag, flow-mask and flow-xlate programs (csrc/tagmask.c through
filters/tagcfg.py, maskcfg.py, xlatecfg.py): the C evaluation of random
configurations over random records equals a plain record-by-record Python
evaluation of the documented rules (commands.md 14-16); config errors;
record version conversion; the C entry points refuse malformed programs."""
import random

import pytest
from hypothesis import given, strategies as st

import oracle
from pyflowtools.core import tag as ctag
from pyflowtools.core.batch import Batch
from pyflowtools.core.errors import FlowToolsError, InternalError
from pyflowtools.core.native import ffi, lib, rectype, rec_size
from pyflowtools.filters import cfglines, maskcfg, tagcfg, xlatecfg

M32 = 0xFFFFFFFF


def batch_of(version, recs):
    rt = rectype(*oracle.split_version(version)) if "." in version else rectype(int(version))
    b = Batch(rt, rec_size(rt), max(len(recs), 1))
    data = oracle.encode_records(version, recs)
    b.buf[:len(data)] = data
    b.n = len(recs)
    return b


def records_of(version, batch):
    return oracle.decode_records(version, bytes(batch.view()))


def quad(a):
    return "%d.%d.%d.%d" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255)


def netmask(length):
    return (M32 << (32 - length)) & M32 if length else 0


# ---- tag.cfg -------------------------------------------------------------

# type -> (value kind, fields, protocol)
TAG_TYPES = {
    "src-prefix": ("prefix", ["srcaddr"], 0), "destination-prefix": ("prefix", ["dstaddr"], 0),
    "prefix": ("prefix", ["srcaddr", "dstaddr"], 0), "next-hop": ("addr", ["nexthop"], 0),
    "exporter": ("addr", ["exaddr"], 0), "src-ip": ("addr", ["srcaddr"], 0),
    "destination-ip-address": ("addr", ["dstaddr"], 0),
    "ip": ("addr", ["srcaddr", "dstaddr"], 0), "source-as": ("num", ["src_as"], 0),
    "dst-as": ("num", ["dst_as"], 0), "as": ("num", ["src_as", "dst_as"], 0),
    "tcp-src-port": ("num", ["srcport"], 6), "tcp-destination-port": ("num", ["dstport"], 6),
    "tcp-port": ("num", ["srcport", "dstport"], 6), "udp-source-port": ("num", ["srcport"], 17),
    "udp-dst-port": ("num", ["dstport"], 17), "udp-port": ("num", ["srcport", "dstport"], 17),
    "tos": ("num", ["tos"], 0), "any": ("any", [], 0),
    "input-interface": ("num", ["input"], 0), "output-interface": ("num", ["output"], 0),
    "interface": ("num", ["input", "output"], 0),
}
VERBS = {"set-src": (0, "set"), "set-source": (0, "set"), "set-dst": (1, "set"),
         "set-destination": (1, "set"), "or-src": (0, "or"), "or-source": (0, "or"),
         "or-dst": (1, "or"), "or-destination": (1, "or")}
# small value pools, so that records hit the matches often
ADDRS = [0x0A000000, 0x0A010203, 0xC0A80100, 0xC0A80120, 0xC0A801FF, 0x08080808, 0xE0000005]
NUMS = [0, 1, 6, 17, 53, 80, 443, 65535]


@st.composite
def tag_matches(draw, kind):
    """[(match text, key)] for a value kind."""
    if kind == "prefix":
        out = []
        for _ in range(draw(st.integers(0, 5))):
            a = draw(st.sampled_from(ADDRS) | st.integers(0, M32))
            ln = draw(st.integers(0, 32))
            out.append(("%s/%d" % (quad(a), ln), (a & netmask(ln), ln)))
        return out
    if kind == "addr":
        return [(quad(a), a) for a in draw(st.lists(st.sampled_from(ADDRS), max_size=4))]
    if kind == "num":
        return [(str(v), v) for v in draw(st.lists(st.sampled_from(NUMS), min_size=1,
                                                   max_size=4))]
    return [("any", 0)] * draw(st.integers(0, 2))


@st.composite
def tag_configs(draw):
    """(text, actions {name: (type, [(key, side, mode, tag)])}, terms)."""
    actions, lines = {}, []
    for i in range(draw(st.integers(1, 3))):
        typ = draw(st.sampled_from(sorted(TAG_TYPES)))
        name = "a%d" % i
        lines += ["tag-action %s" % name, "  type %s" % typ]
        entries = []
        for text, key in draw(tag_matches(TAG_TYPES[typ][0])):
            verb = draw(st.sampled_from(sorted(VERBS)))
            value = draw(st.sampled_from([1, 2, 0x10, 0x100, 0x80000000]) | st.integers(0, M32))
            lines.append("  match %s %s 0x%x" % (text, verb, value))
            entries.append((key,) + VERBS[verb] + (value,))
        actions[name] = (typ, entries)
    terms = []
    lines.append("tag-definition d")
    for _ in range(draw(st.integers(1, 3))):
        lines.append("  term")
        term = {"exporter": None, "in": None, "out": None, "actions": []}
        if draw(st.integers(0, 3)) == 0:
            term["exporter"] = draw(st.sampled_from(ADDRS))
            lines.append("    exporter %s" % quad(term["exporter"]))
        for side in ("in", "out"):
            if draw(st.integers(0, 3)) == 0:
                vals = draw(st.lists(st.sampled_from(NUMS), min_size=1, max_size=3))
                term[side] = set(vals)
                lines.append("    %s-filter %s" % ("input" if side == "in" else "output",
                                                   ",".join(map(str, vals))))
        for name in draw(st.lists(st.sampled_from(sorted(actions)), min_size=1, max_size=4)):
            term["actions"].append(name)
            lines.append("    action %s" % name)
        terms.append(term)
    return "\n".join(lines) + "\n", actions, terms


def tag_table(entries):
    """{key: [(mode, value) source, (mode, value) destination]} as the
    documented merge rule builds it; None when a line breaks the rule."""
    table = {}
    for key, side, mode, value in entries:
        sides = table.setdefault(key, [(None, 0), (None, 0)])
        old = sides[side][0]
        if old == "set" or (old == "or" and mode == "set"):
            return None
        sides[side] = (mode, value if mode == "set" else sides[side][1] | value)
    return table


def tag_oracle(actions, terms, rec):
    src, dst = rec.get("src_tag", 0), rec.get("dst_tag", 0)
    tables = {n: tag_table(e) for n, (_, e) in actions.items()}
    for term in terms:
        if term["in"] is not None and rec["input"] not in term["in"]:
            continue
        if term["out"] is not None and rec["output"] not in term["out"]:
            continue
        if term["exporter"] is not None and rec["exaddr"] != term["exporter"]:
            continue
        for name in term["actions"]:
            typ, _ = actions[name]
            kind, fields, prot = TAG_TYPES[typ]
            if prot and rec["prot"] != prot:
                continue
            table = tables[name]
            hits = []
            if kind == "any":
                hits = [table.get(0)]
            for f in fields:
                v = rec[f]
                if kind == "prefix":
                    best = None
                    for (net, ln) in table:
                        if v & netmask(ln) == net and (best is None or ln > best[1]):
                            best = (net, ln)
                    hits.append(table.get(best))
                else:
                    hits.append(table.get(v))
            for hit in hits:
                if hit is None:
                    continue
                (sm, sv), (dm, dv) = hit
                src = sv if sm == "set" else src | sv if sm == "or" else src
                dst = dv if dm == "set" else dst | dv if dm == "or" else dst
    return src, dst


@st.composite
def tag_records(draw, version="5"):
    recs = draw(st.lists(strategies_record(version), max_size=24))
    return recs


def strategies_record(version):
    base = {n: st.integers(0, oracle.field_max(version, n)) for n in oracle.fields(version)}
    base.update(srcaddr=st.sampled_from(ADDRS) | st.integers(0, M32),
                dstaddr=st.sampled_from(ADDRS) | st.integers(0, M32),
                nexthop=st.sampled_from(ADDRS), exaddr=st.sampled_from(ADDRS),
                prot=st.sampled_from([1, 6, 17]), tos=st.sampled_from(NUMS[:4]))
    for f in ("src_as", "dst_as", "srcport", "dstport", "input", "output"):
        base[f] = st.sampled_from(NUMS)
    return st.fixed_dictionaries(base)


@given(tag_configs(), st.sampled_from(["5", "6", "7", "1005"]), st.data())
def test_tag_equals_oracle(cfg, version, data):
    text, actions, terms = cfg
    recs = data.draw(st.lists(strategies_record(version), max_size=24))
    if any(tag_table(e) is None for _, e in actions.values()):
        with pytest.raises(cfglines.ConfigError, match="Only one set per source"):
            tagcfg.parse(text)
        return
    tagger = tagcfg.parse(text).definition("D")
    out = tagger.apply(batch_of(version, recs))
    assert out.rectype == rectype(1005)
    got = records_of("1005", out)
    assert len(got) == len(recs)
    for r, g in zip(recs, got):
        assert (g["src_tag"], g["dst_tag"]) == tag_oracle(actions, terms, r)
        # every other field converted unchanged
        for f in oracle.fields("5"):
            assert g[f] == r[f], f


def test_tag_known_answer():
    """The reference-verified example of commands.md 14."""
    text = """tag-action P
  type tcp-dst-port
  match 80 set-dst 0x10
tag-action U
  type udp-port
  match 53 or-src 0x100
tag-action ANY
  type any
  match any or-src 0x1000
tag-action NH
  type next-hop
  match 10.0.0.254 or-dst 0x20000
tag-action TOS
  type tos
  match 16 set-src 0x99
tag-definition d
  term
    input-filter 1
    action P
    action U
    action ANY
  term
    action NH
    action TOS
  term
    exporter 192.168.1.2
"""
    base = {n: 0 for n in oracle.fields("5")}
    recs = [dict(base, input=1, prot=6, dstport=80, nexthop=0x0A0000FE),
            dict(base, input=1, prot=17, srcport=53),
            dict(base, input=1, prot=6, tos=16),
            dict(base, input=3, prot=6, dstport=80)]
    got = records_of("1005", tagcfg.parse(text).definition("d").apply(batch_of("5", recs)))
    assert [(g["src_tag"], g["dst_tag"]) for g in got] == [
        (4096, 131088), (4352, 0), (153, 0), (0, 0)]


def test_tag_refuses_records_without_v5_fields():
    tagger = tagcfg.parse("tag-definition d\n term\n").definition("d")
    for version in ("1", "8.1"):
        with pytest.raises(FlowToolsError, match="missing required field for tagging"):
            tagger.apply(batch_of(version, []))


@pytest.mark.parametrize("text,line,message", [
    ("tag-action a\n type nope\n", 2, "Unrecognized type."),
    ("tag-action a\n type tos\n type as\n", 3, "Type previously defined."),
    ("tag-action a\n match 1 set-src 1\n", 2, "Must set type first."),
    ("tag-action a\n type tos\n match\n", 3, "Expecting match data."),
    ("tag-action a\n type tos\n match 1\n", 3, "Expecting [set|or]-[source|destination]."),
    ("tag-action a\n type tos\n match 1 add 3\n", 3, "Expecting [set|or]-[source|destination]."),
    ("tag-action a\n type tos\n match 1 set-src\n", 3, "Expecting set data."),
    ("tag-action a\n type any\n match 1 set-src 1\n", 3, "Match must be any."),
    ("tag-action a\n type tos\n match 1 or-src 1\n match 1 set-source 2\n", 4,
     "Only one set per source/destination per match."),
    ("tag-definition d\n action a\n", 2, "Must start term."),
    ("tag-definition d\n term\n input-filter 1\n input-filter 2\n", 4,
     "Input filter previously defined."),
    ("tag-definition d\n term\n output-filter 70000\n", 3, "load_lookup(): failed"),
    ("tag-action a\n type tos extra\n", 2, 'Unexpected "extra".'),
    ("match 1 set-src 1\n", 1, 'Unexpected "match".'),
    ("tag-action a\ntag-action A\n", 2, "Name (A) previously defined."),
])
def test_tag_config_errors(text, line, message):
    with pytest.raises(cfglines.ConfigError) as e:
        tagcfg.parse(text, "t.cfg")
    assert str(e.value) == "t.cfg line %d: %s" % (line, message)
    assert e.value.load_failed == "fttag_load(): failed"


def test_tag_undefined_action_is_an_error_not_a_crash():
    text = "tag-action a\n type any\ntag-definition d\n term\n  action nope\n  action a\n"
    with pytest.raises(cfglines.ConfigError,
                       match='Unable to resolve action "nope" in tag-definition "d"'):
        tagcfg.parse(text)


def test_tag_unknown_definition_and_variables():
    cfg = tagcfg.parse("tag-action web\n type tcp-port\n match @{P:-80} set-dst 7\n"
                       "tag-definition d\n term\n  action web\n", variables={"P": "22"})
    with pytest.raises(cfglines.UnknownDefinition, match="fttag_def_find"):
        cfg.definition("")
    rec = dict({n: 0 for n in oracle.fields("5")}, prot=6, dstport=22)
    got = records_of("1005", cfg.definition("D").apply(batch_of("5", [rec])))
    assert got[0]["dst_tag"] == 7


def test_tag_c_refuses_malformed_programs():
    good = dict(terms=[(0, 0, 0, 0, 0, 1)], actions=[(lib.FTC_F_TOS, ctag.NONE, 0, 0, 1)],
                ranges=[(1, 1, 0)], sets=[(0, 1, M32, 0)], maps=b"")
    ctag.Program(**good)
    bad = [dict(good, terms=[(0, 0, 0, 0, 0, 2)]),                 # actions out of bounds
           dict(good, terms=[(ctag.T_INPUT, 0, 0, 0, 0, 1)]),       # no bitmap
           dict(good, actions=[(lib.FTC_F_ROUTER_SC, ctag.NONE, 0, 0, 1)]),  # not in v1005
           dict(good, actions=[(lib.FTC_F_TOS, ctag.NONE, 0, 0, 2)]),  # ranges out of bounds
           dict(good, ranges=[(1, 1, 1)]),                          # set out of bounds
           dict(good, ranges=[(2, 1, 0)])]                          # lo > hi
    for b in bad:
        with pytest.raises(InternalError):
            ctag.Program(**b)
    with pytest.raises(InternalError):
        ctag.Program(**dict(good, actions=[(lib.FTC_F_TOS, ctag.NONE, 0, 0, 2)],
                            ranges=[(5, 9, 0), (7, 8, 0)]))      # overlapping


# ---- mask.cfg ------------------------------------------------------------

@given(st.lists(st.tuples(st.sampled_from(ADDRS) | st.integers(0, M32), st.integers(0, 32),
                          st.integers(0, 255)), max_size=8),
       st.sampled_from(["1", "5", "6", "7", "1005", "8.1", "8.3", "8.4", "8.5", "8.14"]),
       st.data())
def test_mask_equals_oracle(prefixes, version, data):
    table, lines = {}, ["mask-definition m"]
    for a, ln, new in prefixes:
        key = (a & netmask(ln), ln)
        if key in table:
            continue
        table[key] = new
        lines.append("  prefix %s/%d %d" % (quad(a), ln, new))
    recs = data.draw(st.lists(strategies_record(version) if version in ("5", "6", "7", "1005")
                              else st.fixed_dictionaries(
                                  {n: st.integers(0, oracle.field_max(version, n))
                                   for n in oracle.fields(version)}), max_size=16))
    masker = maskcfg.parse("\n".join(lines)).definition("M")
    got = records_of(version, masker.apply(batch_of(version, recs)))
    names = oracle.fields(version)
    for r, g in zip(recs, got):
        want = dict(r)
        for addr, mask in (("srcaddr", "src_mask"), ("dstaddr", "dst_mask")):
            if addr in names and mask in names:
                best = max((ln for (net, ln) in table if r[addr] & netmask(ln) == net),
                           default=None)
                if best is not None:
                    want[mask] = table[(r[addr] & netmask(best), best)]
        assert g == want


@pytest.mark.parametrize("text,line,message", [
    ("prefix 10/8 16\n", 1, "Not in definition mode."),
    ("mask-definition m\n prefix\n", 2, "Expecting prefix."),
    ("mask-definition m\n prefix 10/8\n", 2, "Expecting mask."),
    ("mask-definition m\n prefix 10/8 1\n prefix 10.1.2.3/8 2\n", 3, "Only one match."),
    ("mask-definition m\nmask-definition M\n", 2, "Name (M) previously defined."),
])
def test_mask_config_errors(text, line, message):
    with pytest.raises(cfglines.ConfigError) as e:
        maskcfg.parse(text, "m.cfg")
    assert str(e.value) == "m.cfg line %d: %s" % (line, message)
    assert e.value.load_failed == "ftmask_load(): failed"


# ---- xlate.cfg -----------------------------------------------------------

XL_TYPES = {
    "ip-source-address-to-network": "mask-", "ip-destination-address-to-network": "mask-",
    "ip-source-address-to-class-network": "", "ip-destination-address-to-class-network": "",
    "ip-address-privacy-mask": "mask", "ip-port-privacy-mask": "mask", "tag-mask": "mask",
    "scale": "scale", "replace-source-as0": "as", "replace-destination-as0": "as",
}
FILTERS = ("filter-primitive TCP\n type ip-protocol\n permit 6\n"
           "filter-definition tcp\n match ip-protocol TCP\n")


def len_mask(ln):
    return netmask(ln) if 0 < ln <= 32 else M32


def class_net(a):
    if not a & 0x80000000:
        return a & 0xFF000000
    if a & 0xC0000000 == 0x80000000:
        return a & 0xFFFF0000
    return a & 0xFFFFFF00


def xlate_oracle(actions, terms, rec):
    r = dict(rec)
    for filt, stop, names in terms:
        if filt and r["prot"] != 6:
            continue
        for n in names:
            typ, a, b = actions[n]
            if typ == "ip-source-address-to-network":
                r["srcaddr"] &= len_mask(r["src_mask"])
            elif typ == "ip-destination-address-to-network":
                r["dstaddr"] &= len_mask(r["dst_mask"])
            elif typ == "ip-source-address-to-class-network":
                r["srcaddr"] = class_net(r["srcaddr"])
            elif typ == "ip-destination-address-to-class-network":
                r["dstaddr"] = class_net(r["dstaddr"])
            elif typ == "ip-address-privacy-mask":
                r["srcaddr"] &= a
                r["dstaddr"] &= b
            elif typ == "ip-port-privacy-mask":
                r["srcport"] &= a
                r["dstport"] &= b
            elif typ == "tag-mask":
                r["src_tag"] &= a
                r["dst_tag"] &= b
            elif typ == "scale":
                r["dPkts"] = r["dPkts"] * a & M32
                r["dOctets"] = r["dOctets"] * a & M32
            elif typ == "replace-source-as0":
                r["src_as"] = r["src_as"] or a
            else:
                r["dst_as"] = r["dst_as"] or a
        if stop:
            break
    return r


@st.composite
def xlate_configs(draw, tmp):
    actions, lines = {}, ["include-filter %s" % tmp]
    for i in range(draw(st.integers(1, 4))):
        typ = draw(st.sampled_from(sorted(XL_TYPES)))
        a = draw(st.integers(0, M32))
        b = draw(st.integers(0, M32))
        lines += ["xlate-action x%d" % i, " type " + typ]
        p = XL_TYPES[typ]
        if p == "mask":
            lines.append(" mask 0x%X %d" % (a, b))
        elif p == "scale":
            a = draw(st.integers(0, 1000))
            lines.append(" scale %d" % a)
        elif p == "as":
            a = draw(st.integers(0, 65535))
            lines.append(" as %d" % a)
        actions["x%d" % i] = (typ, a, b)
    terms = []
    lines.append("xlate-definition d")
    for _ in range(draw(st.integers(0, 3))):
        filt, stop = draw(st.booleans()), draw(st.booleans())
        names = draw(st.lists(st.sampled_from(sorted(actions)), max_size=3))
        lines.append(" term")
        if filt:
            lines.append("  filter tcp")
        lines += ["  action " + n for n in names]
        if stop:
            lines.append("  stop")
        terms.append((filt, stop, names))
    return "\n".join(lines) + "\n", actions, terms


@given(st.data())
def test_xlate_equals_oracle(tmp_path_factory, data):
    tmp = tmp_path_factory.getbasetemp() / "xlate-filters.cfg"
    tmp.write_text(FILTERS)
    text, actions, terms = data.draw(xlate_configs(str(tmp)))
    version = "1005" if any(actions[n][0] == "tag-mask" for _, _, ns in terms for n in ns) \
        else data.draw(st.sampled_from(["5", "6", "7", "1005"]))
    recs = data.draw(st.lists(strategies_record(version), max_size=16))
    xl = xlatecfg.parse(text).definition("d")
    got = records_of(version, xl.apply(batch_of(version, recs)))
    assert got == [xlate_oracle(actions, terms, r) for r in recs]


def test_xlate_refuses_missing_fields():
    cfg = xlatecfg.parse("xlate-action t\n type tag-mask\n mask 1 1\n"
                         "xlate-definition d\n term\n  action t\n")
    with pytest.raises(FlowToolsError, match="Xlate references a field not in flow."):
        cfg.definition("d").check(rectype(5))
    cfg.definition("d").check(rectype(1005))


@pytest.mark.parametrize("text,line,message", [
    ("xlate-action a\n type scale\n mask 1 2\n", 3, "Illegal keyword."),
    ("xlate-action a\n scale 2\n", 2, "Must set type first."),
    ("xlate-action a\n type tag-mask\n mask 1\n", 3, "Expecting destination mask."),
    ("xlate-action a\n type scale\n scale\n", 3, "Expecting scale."),
    ("xlate-action a\n type replace-source-as0\n as\n", 3, "Expecting AS."),
    ("xlate-action a\n type ip-address-anonymize\n algorithm cryptopan-aes128\n", 3,
     "OpenSSL not compiled in."),
    ("xlate-definition d\n stop\n", 2, "Must start term."),
    ("include-filter a\ninclude-filter b\n", 2, "Filter pathname previously specified."),
    ("xlate-action a\n type nope\n", 2, "Unrecognized type."),
])
def test_xlate_config_errors(text, line, message):
    with pytest.raises(cfglines.ConfigError) as e:
        xlatecfg.parse(text, "x.cfg")
    assert str(e.value) == "x.cfg line %d: %s" % (line, message)
    assert e.value.load_failed == "ftxlate_load(): failed"


def test_xlate_resolve_errors():
    with pytest.raises(cfglines.ConfigError, match="unknown anonymization algorithm"):
        xlatecfg.parse("xlate-action a\n type ip-address-anonymize\n")
    with pytest.raises(cfglines.ConfigError,
                       match='Unable to resolve action "b" in xlate-definition "d"'):
        xlatecfg.parse("xlate-definition d\n term\n  action b\n")


def test_xlate_masks_read_as_strtoull():
    cfg = xlatecfg.parse("xlate-action a\n type ip-address-privacy-mask\n"
                         " mask 255.255.255.0 0xFFFF0000\n")
    a = cfg.actions["a"]
    assert (a.src, a.dst) == (255, 0xFFFF0000)


# ---- version conversion ----------------------------------------------------

PLAIN = ("1", "5", "6", "7", "1005")


@given(st.sampled_from(PLAIN), st.sampled_from(PLAIN + ("8.1", "8.14")), st.data())
def test_version_conversion_equals_oracle(v_in, v_out, data):
    recs = data.draw(st.lists(strategies_record(v_in) if v_in != "1" else st.fixed_dictionaries(
        {n: st.integers(0, oracle.field_max("1", n)) for n in oracle.fields("1")}), max_size=8))
    rt_out = rectype(*oracle.split_version(v_out)) if "." in v_out else rectype(int(v_out))
    out = xlatecfg.converter(batch_of(v_in, []).rectype, rt_out).convert(batch_of(v_in, recs))
    got = records_of(v_out, out)
    zero = {n: 0 for n in oracle.fields(v_out)}
    for r, g in zip(recs, got):
        if v_in == v_out:
            assert g == r
        elif "." in v_out or (v_in == "1005" and v_out != "5"):
            assert g == zero
        else:
            want = dict(zero, **{n: r[n] for n in oracle.fields(v_out) if n in r})
            if v_in == "1" and v_out != "1005":
                want["output"] = 0
            assert g == want
    assert len(got) == len(recs)


def _converted_bytes(v_in, v_out, data):
    """What a conversion must write, byte for byte: v_in == v_out copies;
    plain -> plain (never 1005 -> other than 5) moves each field both have
    (v1 -> 5/6/7 not output) into a zeroed record; anything else zeroes."""
    size_in, size_out = oracle.RECORD_SIZE[v_in], oracle.RECORD_SIZE[v_out]
    if v_in == v_out:
        return bytes(data)
    out = bytearray(size_out * (len(data) // size_in))
    if "." in v_in or "." in v_out or (v_in == "1005" and v_out != "5"):
        return bytes(out)
    src = {name: (off, w) for off, w, name in oracle.layout(v_in)}
    for i in range(len(data) // size_in):
        for off, w, name in oracle.layout(v_out):
            if name in src and not (name == "output" and v_in == "1" and v_out != "1005"):
                s = i * size_in + src[name][0]
                out[i * size_out + off:i * size_out + off + w] = data[s:s + w]
    return bytes(out)


@pytest.mark.parametrize("v_in", oracle.VERSIONS)
def test_version_conversion_bytes_pads_included(v_in):
    """From v_in into every record type, pads and reserved bytes of the
    input full of junk: the output equals the obvious per-field conversion
    in every byte (its pads zero), and the output buffer's bytes past the
    records stay as they were."""
    rng = random.Random(v_in)
    rt_in = rectype(*oracle.split_version(v_in))
    for v_out in oracle.VERSIONS:
        rt_out = rectype(*oracle.split_version(v_out))
        size_in, size_out = rec_size(rt_in), rec_size(rt_out)
        for n in (0, 1, 7):
            src = bytearray(rng.getrandbits(8) for _ in range(n * size_in))
            out = bytearray(b"\xa5" * (size_out * n + 3))
            r = lib.ftc_xlate_version(rt_in, ffi.from_buffer("uint8_t[]", src), n, rt_out,
                                      ffi.from_buffer("uint8_t[]", out), len(out))
            assert r == lib.FTC_OK, (v_in, v_out)
            assert bytes(out[:size_out * n]) == _converted_bytes(v_in, v_out, src), (v_in, v_out)
            assert out[size_out * n:] == b"\xa5" * 3


def test_conversion_c_checks_sizes():
    n = 3
    src = bytearray(64 * n)
    out = bytearray(72 * n)
    rt5, rt1005 = rectype(5), rectype(1005)
    sp, op = ffi.from_buffer("uint8_t[]", src), ffi.from_buffer("uint8_t[]", out)
    assert lib.ftc_xlate_version(rt5, sp, n, rt1005, op, len(out) - 1) == lib.FTC_EFULL
    assert lib.ftc_xlate_version(rt5, sp, n, rt1005, op, len(out)) == lib.FTC_OK
    assert lib.ftc_xlate_version(rt5, sp, n, rt1005, ffi.cast("uint8_t *", sp), 1000) \
        == lib.FTC_EINVAL                                          # overlapping
    assert lib.ftc_xlate_version(99, sp, n, rt1005, op, len(out)) == lib.FTC_EINVAL
