"""flow-nfilter as a command: options, statuses, the one-line stderr rule,
config errors with FILE:LINE, output headers, variables, the default file,
damaged input, pipes.  Byte-exact outputs are covered by the conformance
corpus; these check behaviour around it."""
import pytest

import oracle

CFG = """filter-primitive TCP
  type ip-protocol
  permit tcp
filter-primitive WEB
  type ip-port
  permit @{PORT:-80}
filter-primitive SRC
  type as
  permit 1-10
filter-definition default
  match ip-protocol TCP
filter-definition web
  match ip-destination-port WEB
filter-definition as-src
  match source-as SRC
"""

RECS = [dict({n: 0 for n in oracle.fields("5")}, srcaddr=i, prot=p, dstport=d, src_as=a)
        for i, (p, d, a) in enumerate([(6, 80, 1), (17, 53, 2), (6, 443, 20), (1, 2048, 5),
                                       (6, 22, 0), (17, 80, 7)])]


@pytest.fixture
def env(tmp_path, require):
    require("flow-nfilter")
    cfg = tmp_path / "f.cfg"
    cfg.write_text(CFG)
    data = oracle.write_stream({"d_version": 5, "cap_start": 1000, "cap_end": 2000,
                                "flags": oracle.HF_DONE, "comments": "input"}, RECS)
    return {"cfg": str(cfg), "data": data, "dir": tmp_path}


def srcs(out):
    return [r["srcaddr"] for r in oracle.read_stream(out)[1]]


def one_line(err, prog="flow-nfilter"):
    text = err.decode()
    assert "Traceback" not in text
    lines = text.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith(prog + ": "), text
    return lines[0]


def test_filters_by_definition(run_cmd, env):
    st, out, err = run_cmd(["flow-nfilter", "-f", env["cfg"], "-F", "web"], stdin=env["data"])
    assert (st, err) == (0, b"")
    assert srcs(out) == [0, 5]
    st, out, _ = run_cmd(["flow-nfilter", "-f", env["cfg"], "-F", "WEB", "-v", "PORT=22,443"],
                         stdin=env["data"])
    assert st == 0 and srcs(out) == [2, 4]


def test_default_definition_is_default(run_cmd, env):
    st, out, _ = run_cmd(["flow-nfilter", "-f", env["cfg"]], stdin=env["data"])
    assert st == 0 and srcs(out) == [0, 2, 4]


def test_default_file_is_the_shipped_one(run_cmd, env):
    st, out, err = run_cmd(["flow-nfilter"], stdin=env["data"])
    assert (st, err) == (0, b"") and srcs(out) == list(range(6))
    st, out, _ = run_cmd(["flow-nfilter", "-F", "ip-dst-port", "-v", "PORT=2048"],
                         stdin=env["data"])
    assert st == 0 and srcs(out) == [3]
    st, out, _ = run_cmd(["flow-nfilter", "-F", "udp"], stdin=env["data"])
    assert st == 0 and srcs(out) == [1, 5]


def test_output_header(run_cmd, env):
    st, out, _ = run_cmd(["flow-nfilter", "-f", env["cfg"], "-F", "web", "-b", "big", "-z", "3",
                          "-C", "hello"], stdin=env["data"])
    assert st == 0
    h, recs = oracle.read_stream(out)
    assert h["byte_order"] == "big" and h["flags"] & oracle.HF_COMPRESS
    assert h["flags"] & oracle.HF_STREAMING and not h["flags"] & oracle.HF_PRELOADED
    assert h["comments"] == "hello"
    # the reference writes capture times and a flow count of 0
    assert (h["cap_start"], h["cap_end"], h["flows_count"]) == (0, 0, 0)
    assert [r["srcaddr"] for r in recs] == [0, 5]


def test_k_marks_preloaded_with_zero_times(run_cmd, env):
    st, out, _ = run_cmd(["flow-nfilter", "-k", "-f", env["cfg"], "-F", "web"],
                         stdin=env["data"])
    h, _ = oracle.read_stream(out)
    assert st == 0 and h["flags"] & oracle.HF_PRELOADED
    assert (h["cap_start"], h["cap_end"]) == (0, 0)
    assert "comments" not in h


def test_syntax_error_names_file_and_line(run_cmd, env):
    bad = env["dir"] / "bad.cfg"
    bad.write_text("filter-primitive P\n  type ip-port\n  permit 80 443\n")
    st, out, err = run_cmd(["flow-nfilter", "-f", str(bad)], stdin=env["data"])
    assert (st, out) == (1, b"")
    assert one_line(err) == 'flow-nfilter: %s:3: Unexpected "443".' % bad


@pytest.mark.parametrize("text,line,message", [
    ("filter-primitive P\n  type nope\n", 2, 'Unrecognized type "nope".'),
    ("filter-primitive P\n type ip-port\n permit 70000\n", 3, "Value out of range."),
    ("filter-definition d\n\n match ip-protocol X\n", 3,
     'Unable to resolve primitive "X" in filter-definition "d".'),
    ("filter-definition d\n match nope X\n", 2,
     'Unknown match criteria "nope" in filter-definition "d".'),
])
def test_config_errors(run_cmd, env, text, line, message):
    bad = env["dir"] / "bad.cfg"
    bad.write_text(text)
    st, out, err = run_cmd(["flow-nfilter", "-f", str(bad)], stdin=env["data"])
    assert (st, out) == (1, b"")
    assert one_line(err) == "flow-nfilter: %s:%d: %s" % (bad, line, message)


def test_duplicate_value_warns_and_goes_on(run_cmd, env):
    cfg = env["dir"] / "dup.cfg"
    cfg.write_text("filter-primitive P\n type ip-port\n permit 80\n deny 80\n default permit\n"
                   "filter-definition default\n match ip-destination-port P\n")
    st, out, err = run_cmd(["flow-nfilter", "-f", str(cfg)], stdin=env["data"])
    assert st == 0 and srcs(out) == [1, 2, 3, 4]
    assert one_line(err) == "flow-nfilter: %s:4: index 80 previously set as permit." % cfg


def test_unknown_definition(run_cmd, env):
    st, out, err = run_cmd(["flow-nfilter", "-f", env["cfg"], "-F", "nope"], stdin=env["data"])
    assert (st, out) == (1, b"")
    assert "ftfil_def_find(): failed" in one_line(err)


def test_missing_config_file(run_cmd, env):
    st, out, err = run_cmd(["flow-nfilter", "-f", "/nonexistent.cfg"], stdin=env["data"])
    assert (st, out) == (1, b"")
    assert one_line(err) == "flow-nfilter: open(/nonexistent.cfg): No such file or directory"


def test_missing_field(run_cmd, env):
    v1 = oracle.write_stream({"d_version": 1}, [{n: 0 for n in oracle.fields("1")}])
    st, out, err = run_cmd(["flow-nfilter", "-f", env["cfg"], "-F", "as-src"], stdin=v1)
    assert (st, out) == (1, b"")
    assert one_line(err) == "flow-nfilter: Filter references a field not in flow."


@pytest.mark.parametrize("argv,status,usage", [
    (["-h"], 1, True), (["-?"], 1, True), (["-Q"], 1, True), (["-f"], 1, True),
    (["-z", "10"], 1, False), (["-b", "middle"], 1, False), (["extra"], 1, False),
    (["-v", "NOEQUALS"], 1, False),
])
def test_usage_and_bad_options(run_cmd, env, argv, status, usage):
    st, out, err = run_cmd(["flow-nfilter", "-f", env["cfg"]] + argv, stdin=env["data"])
    assert (st, out) == (status, b"")
    text = err.decode()
    assert "Traceback" not in text
    lines = text.strip("\n").split("\n")
    if usage:
        assert lines[-1].startswith("Usage: flow-nfilter")
        assert all(ln.startswith(("flow-nfilter: ", "Usage: ")) for ln in lines)
    else:
        one_line(err)


def test_not_a_flow_stream(run_cmd, env):
    st, out, err = run_cmd(["flow-nfilter", "-f", env["cfg"]], stdin=b"not a flow file\n" * 8)
    assert (st, out) == (1, b"")
    assert "Traceback" not in err.decode()


def test_empty_input(run_cmd, env):
    st, out, err = run_cmd(["flow-nfilter", "-f", env["cfg"]], stdin=b"")
    assert (st, out) == (1, b"")
    assert "Traceback" not in err.decode()


def test_zero_records_gives_a_header(run_cmd, env):
    data = oracle.write_stream({"d_version": 5}, [])
    st, out, _ = run_cmd(["flow-nfilter", "-f", env["cfg"]], stdin=data)
    assert st == 0
    h, recs = oracle.read_stream(out)
    assert h["d_version"] == 5 and recs == []


def test_truncated_input_keeps_whole_records(run_cmd, env):
    p = env["dir"] / "trunc.ft"
    p.write_bytes(env["data"][:-10])
    st, out, err = run_cmd("flow-nfilter -f %s -F web < %s" % (env["cfg"], p))
    assert st == 0 and srcs(out) == [0]
    assert "partial record" in one_line(err)


def test_debug_profile(run_cmd, env):
    st, out, err = run_cmd(["flow-nfilter", "-d", "1", "-f", env["cfg"]], stdin=env["data"])
    lines = err.decode().splitlines()
    assert st == 0 and lines[0] == "flow-nfilter: processed 6 flows"
    assert len(lines) == 3 and all(ln.startswith("  sys: seconds=") for ln in lines[1:])


def test_pipeline_and_broken_pipe(run_cmd, env):
    st, out, err = run_cmd("flow-gen -V5 -n 200000 | flow-nfilter -F udp | "
                           "flow-print -f 5 | head -n 3")
    assert st == 0 and len(out.splitlines()) == 3 and err == b""
    st, out, err = run_cmd("flow-gen -V5 -n 200000 | flow-nfilter | head -c 100 >/dev/null; "
                           "echo ${PIPESTATUS[1]}")
    assert out.strip() in (b"0", b"141") and b"Traceback" not in err


def test_v1006_stream_with_ipv6_primitives(run_cmd, tmp_path):
    """v1006 in, v1006 out; IPv6 prefixes and an ICMPv6 port; a bad IPv6
    value is one line naming file and line."""
    import ipaddress
    recs = []
    for i, src in enumerate(("2001:db8::1", "2001:db8:bad::1", "10.0.0.1", "fe80::1")):
        r = dict.fromkeys(oracle.fields("1006"), 0)
        a = ipaddress.ip_address(src)
        r = oracle.with_addr6(r, "srcaddr", int(a) if a.version == 6 else oracle.mapped(int(a)))
        r.update(srcport=i, prot=58, dstport=128 << 8)
        recs.append(r)
    data = oracle.write_stream({"d_version": 1006, "flags": 0}, recs)
    cfg = tmp_path / "f.cfg"
    cfg.write_text("filter-primitive DOC6\n  type ip-address-prefix\n  permit 2001:db8::/32\n"
                   "  deny 2001:db8:bad::/48\n  permit 10.0.0.0/8\n"
                   "filter-primitive ECHO6\n  type ip-port\n  permit 32768\n"
                   "filter-definition d\n  match ip-source-address DOC6\n"
                   "  match ip-destination-port ECHO6\n")
    st, out, err = run_cmd(["flow-nfilter", "-f", str(cfg), "-F", "d"], stdin=data)
    assert st == 0 and err == b""
    h, got = oracle.read_stream(out)
    assert h["d_version"] == 1006 and got == [recs[0], recs[2]]
    cfg.write_text("filter-primitive X\n  type ip-address\n  permit 2001:db8::zz\n")
    st, out, err = run_cmd(["flow-nfilter", "-f", str(cfg)], stdin=data)
    assert st == 1 and out == b""
    assert err.decode() == '%s:3: Bad IPv6 address "2001:db8::zz".\n' % ("flow-nfilter: " + str(cfg))
