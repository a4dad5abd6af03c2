"""flow-report: the command line (statuses, the one-line stderr rule, -h -h,
config errors), and the property that for random records and random report
definitions the report equals tests/report_oracle.py, a record-by-record
Python evaluation of the documented rules.  Byte-exact outputs on real
inputs are the conformance corpus's (report- cases)."""
import io
import ipaddress
import socket
import os
import time

import pytest
from unittest import mock
from hypothesis import given, strategies as st

import oracle
import report_oracle
from pyflowtools.io import stream
from pyflowtools.report import flowreport, statcfg

CFG = """stat-report r
  type @{TYPE:-ip-protocol}
  output
    @{OUT:-#}
stat-definition d
  report r
"""


def rec(**kw):
    r = {n: 0 for n in oracle.fields("5")}
    r.update(dPkts=1, dOctets=40, unix_secs=1600000000, First=1000, Last=2000)
    r.update(kw)
    return r


RECS = [rec(prot=6, srcaddr=1, dPkts=3, dOctets=300), rec(prot=17, srcaddr=2),
        rec(prot=6, srcaddr=1, dPkts=0), rec(prot=1, srcaddr=3, dOctets=84)]


@pytest.fixture
def env(tmp_path, require):
    require("flow-report")
    cfg = tmp_path / "s.cfg"
    cfg.write_text(CFG)
    return {"cfg": str(cfg), "data": oracle.write_stream({"d_version": 5}, RECS)}


def one_line(err):
    text = err.decode()
    assert "Traceback" not in text
    lines = text.strip("\n").split("\n")
    assert all(line.startswith("flow-report: ") for line in lines), text
    return lines


def test_runs_a_definition(run_cmd, env):
    st_, out, err = run_cmd(["flow-report", "-s", env["cfg"], "-S", "D", "-v",
                             "OUT=options +totals"], stdin=env["data"])
    assert (st_, err) == (0, b"")
    assert out.decode() == ("# rec1: records,ignores,flows,octets,packets,duration\n"
                            "3,1,3,424,5,3000\n"
                            "# recn: ip-protocol*,flows,octets,packets,duration\n"
                            "1,1,84,1,1000\n6,1,300,3,1000\n17,1,40,1,1000\n")


@pytest.mark.parametrize("argv,status", [(["-h"], 0), (["-x"], 0), (["-hh"], 0),
                                         (["-b", "big"], 1), (["-k"], 1), (["-z", "1"], 1),
                                         (["-C", "c"], 1)])
def test_usage_statuses(run_cmd, env, argv, status):
    st_, out, err = run_cmd(["flow-report"] + argv, stdin=env["data"])
    assert st_ == status and out == b""
    assert b"Usage: flow-report" in err
    assert (b"Available reports:\n  summary-detail\n" in err) == (argv == ["-hh"])
    if argv == ["-hh"]:
        assert err.count(b"\n  ") == 78


@pytest.mark.parametrize("argv,message", [
    (["extra"], "flow-report: Extra arguments starting with extra."),
    (["-v", "NOEQUALS"], "flow-report: ftvar_pset(NOEQUALS): failed"),
    (["-S", "nope"], "flow-report: ftstat_find_def(nope): failed"),
    (["-v", "OUT=sort flows"], "flow-report: %(cfg)s line 4: Expecting + or -."),
    (["-v", "TYPE=ip-source-address"], None),
])
def test_errors_are_one_line_and_status_1(run_cmd, env, argv, message):
    st_, out, err = run_cmd(["flow-report", "-s", env["cfg"], "-S", "d"] + argv,
                            stdin=oracle.write_stream({"d_version": 8, "agg_method": 2,
                                                       "agg_version": 2}, []))
    lines = one_line(err)
    assert st_ == 1
    if message is None:
        assert lines == ["flow-report: Report definition references a field not in flow."]
    else:
        assert lines[0] == message % env
        if "line" in message:
            assert lines[1:] == ["flow-report: ftstat_load(): failed"]


def test_missing_config_file(run_cmd, env, tmp_path):
    st_, out, err = run_cmd(["flow-report", "-s", str(tmp_path / "none.cfg")],
                            stdin=env["data"])
    lines = one_line(err)
    assert st_ == 1 and lines[0].startswith("flow-report: open(")
    assert lines[-1] == "flow-report: ftstat_load(): failed"


def test_pipe_failure_is_reported_and_exit_0(run_cmd, env):
    st_, out, err = run_cmd(["flow-report", "-s", env["cfg"], "-S", "d", "-v",
                             "OUT=path |cat; exit 3"], stdin=env["data"])
    assert st_ == 0
    assert out.startswith(b"# recn: ip-protocol*")
    assert one_line(err) == ["flow-report: pclose(cat; exit 3): failed exit code=3."]


def test_mask_and_tag_definitions_run_before_the_reports(run_cmd, env, tmp_path):
    """A definition's `mask` (flow-mask) then `tag` (flow-tag) rewrite the
    records every report of it sees: v5 records become v1005 with tags."""
    tag = tmp_path / "tag.cfg"
    tag.write_text("tag-action P\n  type tcp-dst-port\n  match 80 set-src 0x10\n"
                   "tag-action A\n  type any\n  match any or-dst 0x2\n"
                   "tag-definition t\n  term\n    action P\n    action A\n")
    mask = tmp_path / "mask.cfg"
    mask.write_text("mask-definition m\n  prefix 10.0.0.0/8 8\n")
    cfg = tmp_path / "t.cfg"
    cfg.write_text("include-tag %s\ninclude-mask %s\n"
                   "stat-report r\n  type source/destination-tag\n  output\n"
                   "    fields -duration\n"
                   "stat-report p\n  type ip-source-address\n"
                   "  ip-source-address-format prefix-mask\n  output\n    fields -duration\n"
                   "stat-definition d\n  mask m\n  tag t\n  report r\n  report p\n"
                   % (tag, mask))
    data = oracle.write_stream({"d_version": 5}, [
        rec(prot=6, dstport=80, srcaddr=0x0A010203, src_mask=24),
        rec(prot=17, dstport=53, srcaddr=0x0A010204, src_mask=24),
        rec(prot=6, dstport=80, srcaddr=0xC0A80001, src_mask=24)])
    st_, out, err = run_cmd(["flow-report", "-s", str(cfg), "-S", "d"], stdin=data)
    assert (st_, err) == (0, b"")
    assert out.decode().splitlines() == [
        "# recn: source-tag*,destination-tag*,flows,octets,packets",
        "16,2,2,80,2", "0,2,1,40,1",
        "# recn: ip-source-address*,flows,octets,packets",
        "10/8,2,80,2", "192.168/24,1,40,1"]


def test_tag_definition_errors(run_cmd, env, tmp_path):
    cfg = tmp_path / "t.cfg"
    cfg.write_text("include-tag %s\n%s  tag t\n" % (tmp_path / "none.cfg", CFG))
    st_, out, err = run_cmd(["flow-report", "-s", str(cfg), "-S", "d"], stdin=env["data"])
    assert st_ == 1 and out == b""
    text = err.decode()
    assert "Traceback" not in text
    assert text.splitlines()[-2:] == ["flow-report: %s line 8: Tags not loaded." % cfg,
                                      "flow-report: ftstat_load(): failed"]


# ---- the property: the command's library equals the oracle --------------------------

def small(n):
    return st.integers(0, n)


@st.composite
def records(draw):
    n = draw(st.integers(0, 12))
    out = []
    for _ in range(n):
        first = draw(st.integers(0, 5000))
        out.append(rec(
            unix_secs=draw(st.sampled_from([1600000000, 1600000005, 1600000100])),
            unix_nsecs=draw(st.sampled_from([0, 999000000])), sysUpTime=10000,
            dPkts=draw(small(4)), dOctets=draw(st.integers(0, 3000)),
            First=first, Last=first + draw(st.sampled_from([0, 0, 1, 999, 4000])),
            srcaddr=draw(st.sampled_from([0x0A000001, 0x0A000002, 0xC0A80101, 0xE0000005])),
            dstaddr=draw(st.sampled_from([0x0A000001, 0x08080808, 0xE8000001, 0xF0000001])),
            nexthop=draw(small(2)), exaddr=draw(small(2)), input=draw(small(3)),
            output=draw(small(3)), srcport=draw(st.sampled_from([0, 22, 80, 53001])),
            dstport=draw(st.sampled_from([0, 25, 80, 443])), prot=draw(st.sampled_from([1, 6,
                                                                                      17])),
            tos=draw(small(2)), src_mask=draw(st.integers(1, 32)),
            dst_mask=draw(st.integers(1, 32)), src_as=draw(small(3)), dst_as=draw(small(3)),
            engine_id=draw(small(1)), engine_type=draw(small(1))))
    return out


@st.composite
def definitions(draw):
    name = draw(st.sampled_from([t for t in statcfg.TYPE_NAMES if "tag" not in t]))
    rt = statcfg.TYPES[name]
    lines = ["stat-report r", "  type " + name]
    if draw(st.booleans()):
        lines.append("  scale %d" % draw(st.integers(1, 3)))
    for which in ("source", "destination"):
        if draw(st.booleans()):
            lines.append("  ip-%s-address-format %s" % (
                which, draw(st.sampled_from(statcfg.ADDRESS_FORMATS))))
    allowed = sorted(rt.allowed_fields())
    sortable = sorted(f for f in allowed if f in statcfg.SORT_FIELDS and f != "other")
    for _ in range(draw(st.integers(1, 2))):
        lines.append("  output")
        if sortable and draw(st.booleans()):
            lines.append("    sort %s%s" % (draw(st.sampled_from("+-")),
                                            draw(st.sampled_from(sortable))))
        if allowed and draw(st.booleans()):
            picks = draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=4))
            lines.append("    fields " + ",".join(draw(st.sampled_from("+-")) + f
                                                  for f in picks))
        opts = draw(st.lists(st.sampled_from(sorted(rt.allowed_options() - {"header",
                                                                            "xheader"})),
                             max_size=3))
        if opts:
            lines.append("    options " + ",".join("+" + o for o in opts))
        if draw(st.booleans()):
            lines.append("    records %d" % draw(st.integers(0, 4)))
        if draw(st.booleans()):
            lines.append("    tally %d" % draw(st.integers(0, 3)))
    lines += ["stat-definition d", "  report r"]
    if draw(st.booleans()):
        lines.append("  time-series %d" % draw(st.sampled_from([1, 10])))
    return "\n".join(lines) + "\n"


def library_output(cfg_text, data):
    cfg = statcfg.parse(cfg_text, "p.cfg")
    out = io.StringIO()
    with stream.reader(io.BytesIO(data)) as rd:
        run = flowreport.DefinitionRun(cfg, cfg.definition("d"), rd.header, lambda m: None,
                                       stdout=out, now=0)
        for batch in rd:
            run.add(batch)
        run.finish()
    return out.getvalue()


def fake_name(addr):
    """A resolver for the tests: names for some addresses, none for others."""
    return "host-%d.example" % addr if addr % 3 == 1 else None


def fake_gethostbyaddr(quad):
    name = fake_name(int(ipaddress.IPv4Address(quad)))
    if name is None:
        raise OSError("unknown host")
    return name, [], [quad]


@given(recs=records(), cfg_text=definitions())
def test_reports_equal_the_oracle(recs, cfg_text):
    data = oracle.write_stream({"d_version": 5}, recs)
    with mock.patch.object(report_oracle, "RESOLVER", fake_name), \
            mock.patch.object(socket, "gethostbyaddr", fake_gethostbyaddr):
        expected = report_oracle.evaluate(statcfg.parse(cfg_text, "p.cfg"), "d", recs,
                                          set(oracle.fields("5")), now=0)
        assert library_output(cfg_text, data) == expected, cfg_text


def test_the_property_can_fail():
    """A report the oracle and the library print differently when a rule is
    broken: flows counted for dPkts == 0 records would change the output."""
    cfg_text = "stat-report r\n  type ip-protocol\n  output\nstat-definition d\n  report r\n"
    recs = [rec(prot=6), rec(prot=6, dPkts=0)]
    data = oracle.write_stream({"d_version": 5}, recs)
    got = library_output(cfg_text, data)
    assert got == "# recn: ip-protocol*,flows,octets,packets,duration\n6,1,40,1,1000\n"
    wrong = report_oracle.evaluate(statcfg.parse(cfg_text), "d", [recs[0], recs[0]],
                                   set(oracle.fields("5")))
    assert got != wrong


def test_prefix_mask_of_length_0_keeps_the_address(tz):
    """The reference's netmask is a shift modulo 32 (x86): /0 keeps the address."""
    tz("UTC")
    cfg_text = ("stat-report r\n  type ip-source-address\n  ip-source-address-format "
                "prefix-mask\n  output\nstat-definition d\n  report r\n")
    data = oracle.write_stream({"d_version": 5}, [rec(srcaddr=0x0A000001, src_mask=0)])
    assert library_output(cfg_text, data).splitlines()[1] == "10.0.0.1/0,1,40,1,1000"


def test_now_is_the_clock(tz):
    tz("UTC")
    cfg_text = ("stat-report r\n  type ip-protocol\n  output\n    options +header\n"
                "stat-definition d\n  report r\n")
    data = oracle.write_stream({"d_version": 5}, [rec()])
    cfg = statcfg.parse(cfg_text)
    out = io.StringIO()
    with stream.reader(io.BytesIO(data)) as rd:
        run = flowreport.DefinitionRun(cfg, cfg.definition("d"), rd.header, lambda m: None,
                                       stdout=out)
        before = int(time.time())
        for batch in rd:
            run.add(batch)
        run.finish()
    now = [line for line in out.getvalue().splitlines() if line.startswith("# now:")][0]
    assert before <= int(now.split()[2]) <= int(time.time()) and os.environ["TZ"] == "UTC"


def test_names_on_address_keys_are_reverse_dns(tz, monkeypatch):
    """+names: an address key prints its resolver name, a failed lookup the
    plain address (without /len for a prefix format)."""
    tz("UTC")
    names = {"10.0.0.1": "gw.example", "127.0.0.1": "localhost"}

    def fake(quad):
        if quad in names:
            return names[quad], [], [quad]
        raise OSError("unknown host")
    monkeypatch.setattr(socket, "gethostbyaddr", fake)
    data = oracle.write_stream({"d_version": 5}, [
        rec(srcaddr=0x0A000001, dstaddr=0x7F000001, src_mask=24),
        rec(srcaddr=0x0A000002, dstaddr=0x0A000001, src_mask=24)])
    cfg_text = ("stat-report r\n  type ip-source/destination-address\n"
                "  ip-source-address-format prefix-len\n  output\n    options +names\n"
                "    fields -duration\nstat-definition d\n  report r\n")
    assert library_output(cfg_text, data).splitlines() == [
        "# recn: ip-source-address*,ip-destination-address*,flows,octets,packets",
        "gw.example,localhost,1,40,1", "10.0.0.2,gw.example,1,40,1"]


def test_names_of_the_loopback_come_from_the_resolver():
    try:
        name = socket.gethostbyaddr("127.0.0.1")[0]
    except OSError:
        pytest.skip("no resolver name for 127.0.0.1 here")
    assert flowreport.host_name(0x7F000001) == name
