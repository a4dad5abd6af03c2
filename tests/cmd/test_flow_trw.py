"""flow-trw as a command: the planted scenario samples/enterprise-trw
(exactly its trw_scanners expected hosts, none of its must-not ones),
scenarios made the same way by tests/trw_scenario.py, the scanners of
samples/enterprise's labels; the layout, -o tsv, -F (from a file and from
stdin), options and their refusals, statuses (0 none, 2 scanners, 1
error) and the one-line stderr rule."""
import ipaddress
import json
import os

import pytest

import oracle
import trw_oracle
import trw_scenario

TRW_DIR = "enterprise-trw"
TRW_FILE = "ft-v05.2004-04-08.080000+0000"
ENT_FILE = "ft-v05.2004-08-16.090000+0000"


@pytest.fixture(autouse=True)
def _needs(require):
    require("flow-trw")


def ip(text):
    return int(ipaddress.IPv4Address(text))


def text_ip(a):
    return str(ipaddress.IPv4Address(a))


def scanners_text(out):
    return [ln.split(": ")[1].split()[0] for ln in out.decode().splitlines()
            if ln.startswith("scanner")]


def scanners_tsv(out):
    lines = out.decode().splitlines()
    assert lines[0].startswith("#scanner\twhere\tflagged_at")
    return {ln.split("\t")[0] for ln in lines[1:]}


def error_lines(err):
    text = err.decode()
    assert "Traceback" not in text
    lines = [ln for ln in text.split("\n") if ln]
    assert lines and all(ln.startswith("flow-trw: ") for ln in lines), text
    return lines


def labels(samples_dir, name):
    with open(os.path.join(samples_dir, name, "labels.json")) as f:
        return json.load(f)


def test_planted_trw_scenario(run_cmd, samples_dir):
    """Every expected host, none of the must-not ones (tolerated ones may
    go either way), with the sample's local set."""
    lab = labels(samples_dir, TRW_DIR)["detections"]["trw_scanners"]
    args = []
    for block in lab["local"]:
        args += ["-L", block]
    st, out, err = run_cmd(["flow-trw"] + args + [os.path.join(samples_dir, TRW_DIR, TRW_FILE)])
    assert st == 2 and err == b""
    found = set(scanners_text(out))
    assert set(lab["expected"]) <= found
    assert not found & set(lab["must_not_flag"])
    assert found <= set(lab["expected"]) | set(lab["tolerated"])


def test_planted_scenario_details(run_cmd, samples_dir):
    """The walk's figures for the slow scanners equal the labels' (first
    contacts, failures, where each crossed eta1)."""
    lab = labels(samples_dir, TRW_DIR)["detections"]["trw_scanners"]
    st, out, _ = run_cmd(["flow-trw", "-L", "158.64.0.0/16", "-o", "tsv", "-p", "1",
                          os.path.join(samples_dir, TRW_DIR, TRW_FILE)])
    assert st == 2
    rows = {r[0]: r for r in (ln.split("\t") for ln in out.decode().splitlines()[1:])}
    for host in lab["expected_by_category"]["slow_scanner"]:
        h = lab["hosts"][host]
        r = rows[host]
        assert (int(r[5]), int(r[6]), int(r[7])) == \
            (h["first_contacts"], h["failures"], h["successes"])
        assert (int(r[3]), int(r[4])) == (h["contacts_to_flag"], h["failures_to_flag"])
        assert r[2].replace(" ", "T") + "Z" == h["flagged_at"]


def test_enterprise_sample_scanners(run_cmd, samples_dir):
    """samples/enterprise: its labels' scanning hosts (worms, scanners,
    Slammer, Nachi, the UDP worm, the outside scanner) are all found, and
    no host the labels call benign."""
    lab = labels(samples_dir, "enterprise")
    cats = lab["categories"]
    scanners = set()
    for name in ("tcp_worm_scanners", "moderate_scanners", "rpc_worm_scanners",
                 "sql_slammer", "nachi", "udp_worms", "external_scanners"):
        scanners |= {h["address"] for h in cats[name]["hosts"]}
    bad = {h["address"] for h in lab["bad_hosts"]["internal"]} | set(lab["bad_hosts"]["external"])
    args = []
    for block in lab["network"]["internal_blocks"]:
        args += ["-L", block]
    st, out, _ = run_cmd(["flow-trw", "-o", "tsv"] + args +
                         [os.path.join(samples_dir, "enterprise", ENT_FILE)])
    assert st == 2
    found = scanners_tsv(out)
    assert scanners <= found
    assert found <= bad


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_scenarios(run_cmd, seed):
    """Scenarios made the same way: slow TCP and UDP scanners, an outside
    scanner, benign noisy hosts, normal clients, records out of time order."""
    recs, lab = trw_scenario.generate(seed)
    net, length = lab["local"]
    st, out, err = run_cmd(["flow-trw", "-L", "%s/%d" % (text_ip(net), length)],
                           stdin=oracle.v5_stream(recs, zlevel=6))
    assert st == 2, err
    found = set(scanners_text(out))
    assert found == {text_ip(a) for a in lab["expected"]}
    # the plain walk agrees
    w = trw_oracle.walk(recs, [lab["local"]])
    assert found == {text_ip(a) for a, e in w.items() if e.flagged}


def test_layout_and_tsv(run_cmd):
    src = ip("10.1.0.5")
    recs = [trw_scenario._rec(src, ip("192.0.2.%d" % k), 3000 + k, 3306, 6, 0x02, 1000 * k)
            for k in range(5)]
    recs.append(trw_scenario._rec(src, ip("198.51.100.1"), 4000, 161, 17, 0, 9000))
    data = oracle.v5_stream(recs)
    st, out, err = run_cmd(["flow-trw", "-L", "10.0.0.0/8"], stdin=data)
    assert (st, err) == (2, b"")
    start = (trw_scenario.T0 * 1000 - trw_scenario.UPTIME + 3000) // 1000
    import time
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start))
    assert out.decode() == (
        "scanner1: 10.1.0.5 (local)\n"
        "-----\n"
        " flagged at %s.000, first contact 4, failure 4\n"
        " 6 first contacts: 6 failed, 0 succeeded\n"
        " 5 times probe on tcp/3306, 5 failed\n"
        " 1 times probe on udp/161, 1 failed\n" % when)
    st, out, _ = run_cmd(["flow-trw", "-L", "10.0.0.0/8", "-o", "tsv", "-N"], stdin=data)
    assert st == 2
    lines = out.decode().splitlines()
    assert lines[0].split("\t") == ["#scanner", "where", "flagged_at", "contacts_to_flag",
                                    "failures_to_flag", "first_contacts", "failures",
                                    "successes", "port", "probes", "failed", "name"]
    assert lines[1].split("\t")[:2] == ["10.1.0.5", "local"]
    assert lines[1].split("\t")[8:11] == ["tcp/3306", "5", "5"]


def test_nothing_found_is_status_0(run_cmd):
    recs = [trw_scenario._rec(ip("10.1.0.5"), ip("192.0.2.1"), 3000, 80, 6, 0x1B, 0, 10)]
    st, out, err = run_cmd(["flow-trw"], stdin=oracle.v5_stream(recs))
    assert (st, out, err) == (0, b"", b"")
    st, out, err = run_cmd(["flow-trw"], stdin=oracle.v5_stream([]))
    assert (st, out, err) == (0, b"", b"")


def test_parameters_change_the_walk(run_cmd):
    """Three failures flag with beta/alpha lowered under 64 (-a, -B), and
    -S/-s change the factors."""
    recs = [trw_scenario._rec(ip("10.1.0.5"), ip("192.0.2.%d" % k), 3000 + k, 22, 6, 2, k)
            for k in range(3)]
    data = oracle.v5_stream(recs)
    assert run_cmd(["flow-trw"], stdin=data)[0] == 0
    assert run_cmd(["flow-trw", "-a", "0.05", "-B", "0.95"], stdin=data)[0] == 2
    assert run_cmd(["flow-trw", "-s", "0.95"], stdin=data)[0] == 2        # factor 16
    assert run_cmd(["flow-trw", "-S", "0.7"], stdin=data)[0] == 0         # factor 1.5


def test_stream_out_from_file_and_stdin(run_cmd, samples_dir, tmp_path):
    """-F: the scanners' flows, as a flow stream, whether the input can be
    read again (a file) or not (stdin, spooled)."""
    path = os.path.join(samples_dir, TRW_DIR, TRW_FILE)
    lab = labels(samples_dir, TRW_DIR)["detections"]["trw_scanners"]
    st, out, err = run_cmd(["flow-trw", "-F", "-L", "158.64.0.0/16", path])
    assert (st, err) == (2, b"")
    _, recs = oracle.read_stream(out)
    assert {text_ip(r["srcaddr"]) for r in recs} == set(lab["expected"])
    with open(path, "rb") as f:
        data = f.read()
    _, everything = oracle.read_stream(data)
    expect = [r for r in everything if text_ip(r["srcaddr"]) in set(lab["expected"])]
    assert recs == expect
    st, out2, _ = run_cmd(["flow-trw", "-F", "-L", "158.64.0.0/16"], stdin=data)
    assert st == 2 and oracle.read_stream(out2)[1] == expect


def test_refusals_are_one_line_status_1(run_cmd):
    data = oracle.v5_stream([])
    for argv in (["-a", "0"], ["-B", "1.5"], ["-s", "0.1", "-S", "0.2"], ["-a", "0.995"],
                 ["-m", "0"], ["-L", "10.0.0.0/33"], ["-o", "xml"]):
        st, out, err = run_cmd(["flow-trw"] + argv, stdin=data)
        assert st == 1 and out == b"", argv
        assert len(error_lines(err)) == 1, argv
    st, out, err = run_cmd(["flow-trw", "-Q"], stdin=data)
    assert st == 1 and out == b"" and err.decode().startswith("flow-trw: invalid option")
    st, _, err = run_cmd(["flow-trw", "/nonexistent/flows"])
    assert st == 1 and "Traceback" not in err.decode()


def test_help_status_0(run_cmd):
    st, out, err = run_cmd(["flow-trw", "-h"])
    assert st == 0 and err.decode().startswith("Usage: flow-trw")


# ---- v1006 (IPv4 and IPv6 flows) --------------------------------------------

V6NET = int(ipaddress.IPv6Address("2001:db8::"))


def v1006_of(run_cmd, path, tmp_path):
    """The real flow-cat -V 1006 of a file, written next to the test."""
    st, out, err = run_cmd(["flow-cat", "-V", "1006", str(path)])
    assert (st, err) == (0, b"")
    dest = tmp_path / (os.path.basename(str(path)) + ".v1006")
    dest.write_bytes(out)
    return dest


@pytest.mark.parametrize("sample,name,local", [
    (TRW_DIR, TRW_FILE, ["-L", "158.64.0.0/16"]),
    (TRW_DIR, TRW_FILE, []),
    ("enterprise", ENT_FILE, ["-L", "135.169.0.0/16"]),
    ("enterprise", ENT_FILE, []),
])
def test_v1006_of_the_samples_gives_the_v5_answers(run_cmd, require, samples_dir, tmp_path,
                                                    sample, name, local):
    """flow-cat -V 1006 of both samples (IPv4 flows, stored mapped): the
    same scanners, byte for byte the same text and TSV, and -F the same
    flows (in v1006) as the v5 input."""
    require("flow-cat")
    v5 = os.path.join(samples_dir, sample, name)
    v6 = v1006_of(run_cmd, v5, tmp_path)
    for args in ([], ["-o", "tsv", "-p", "0", "-N"], ["-n", "3", "-p", "2"]):
        st5, out5, err5 = run_cmd(["flow-trw"] + local + args + [v5])
        st6, out6, err6 = run_cmd(["flow-trw"] + local + args + [str(v6)])
        assert (st6, out6, err6) == (st5, out5, err5) and st5 == 2, args
    assert len(scanners_text(run_cmd(["flow-trw"] + local + [str(v6)])[1])) >= 3
    st5, f5, _ = run_cmd(["flow-trw", "-F"] + local + [v5])
    st6, f6, err = run_cmd(["flow-trw", "-F"] + local + [str(v6)])
    assert (st5, st6, err) == (2, 2, b"")
    h6, recs6 = oracle.read_stream(f6)
    assert h6["d_version"] == 1006
    assert recs6 == oracle.read_stream(run_cmd(["flow-cat", "-V", "1006"], stdin=f5)[1])[1]
    assert len(recs6) > 100


def to_mixed(recs, local):
    """v5 scenario records as v1006 ones where the local block and every
    odd outside address are IPv6 (A.B.C.D -> 2001:db8::A.B.C.D; the rest
    IPv4-mapped): the local set is then the IPv6 prefix 2001:db8::NET/96+len."""
    net, length = local

    def six(a):
        return a >> (32 - length) == net >> (32 - length) or a & 1

    out = []
    for r in recs:
        m = oracle.record("1006", **{k: v for k, v in r.items() if k in oracle.fields("1006")})
        for name in ("srcaddr", "dstaddr"):
            a = r[name]
            m = oracle.with_addr6(m, name, V6NET | a if six(a) else oracle.mapped(a))
        assert r["prot"] != 1
        out.append(m)
    return out


def v6_text(a):
    return str(ipaddress.IPv6Address(a)) if a >> 32 != 0xFFFF else text_ip(a & 0xFFFFFFFF)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ipv6_scanners_with_an_ipv6_local_block(run_cmd, seed):
    """A generated scenario whose enterprise block and half the outside
    world are IPv6: -L with the IPv6 prefix finds the renamed scanners (the
    plain walk over 128-bit addresses agrees), printed RFC 5952; the
    IPv4-mapped outside hosts print as dotted quads.  -L with the IPv4
    block alone finds none of the IPv6 local ones."""
    recs, lab = trw_scenario.generate(seed)
    net, length = lab["local"]
    mixed = to_mixed(recs, lab["local"])
    data = oracle.write_stream({"d_version": 1006, "flags": oracle.HF_STREAMING}, mixed)
    prefix6 = "%s/%d" % (ipaddress.IPv6Address(V6NET | net), 96 + length)
    st, out, err = run_cmd(["flow-trw", "-L", prefix6], stdin=data)
    assert (st, err) == (2, b""), err
    found = set(scanners_text(out))
    want = {v6_text(V6NET | a if a >> (32 - length) == net >> (32 - length) or a & 1
                    else oracle.mapped(a)) for a in lab["expected"]}
    assert found == want and any(":" in h for h in found)
    w = trw_oracle.walk(mixed, [(V6NET | net, 96 + length)])
    assert found == {v6_text(a) for a, e in w.items() if e.flagged}
    st, out, _ = run_cmd(["flow-trw", "-L", prefix6, "-o", "tsv"], stdin=data)
    assert scanners_tsv(out) == want
    # the IPv4 block is not the IPv6 one
    st, out, _ = run_cmd(["flow-trw", "-L", "%s/%d" % (text_ip(net), length)], stdin=data)
    assert not set(scanners_text(out)) & {h for h in want if h.startswith("2001:db8::")
                                          and ipaddress.IPv6Address(h) in
                                          ipaddress.IPv6Network(prefix6)}


def test_icmpv6_echo_sweep_is_a_scanner(run_cmd):
    """Unanswered ICMPv6 echo requests (type 128) and those answered by
    destination unreachable (type 1) are failures: the sweeper is flagged,
    its port shown as icmp6/128.0."""
    src = V6NET | 5
    recs = []
    for k in range(6):
        dst = V6NET | (0x100 + k)
        r = oracle.record("1006", unix_secs=trw_scenario.T0, sysUpTime=trw_scenario.UPTIME,
                          First=1000 * k, Last=1000 * k, prot=58, dstport=0x8000, dPkts=1,
                          dOctets=64)
        recs.append(oracle.with_addr6(oracle.with_addr6(r, "srcaddr", src), "dstaddr", dst))
        if k % 2:
            back = oracle.record("1006", unix_secs=trw_scenario.T0,
                                 sysUpTime=trw_scenario.UPTIME, First=1000 * k,
                                 Last=1000 * k, prot=58, dstport=0x0103, dPkts=1, dOctets=64)
            recs.append(oracle.with_addr6(oracle.with_addr6(back, "srcaddr", dst),
                                          "dstaddr", src))
    data = oracle.write_stream({"d_version": 1006, "flags": oracle.HF_STREAMING}, recs)
    st, out, err = run_cmd(["flow-trw", "-L", "2001:db8::/32"], stdin=data)
    assert (st, err) == (2, b"")
    text = out.decode()
    assert text.startswith("scanner1: 2001:db8::5 (local)\n")
    assert " 6 first contacts: 6 failed, 0 succeeded\n" in text
    assert " 6 times probe on icmp6/128.0, 6 failed\n" in text


def test_flow_gen_v1006_runs(run_cmd, require):
    require("flow-gen")
    st, out, err = run_cmd("flow-gen -V 1006 -n 2000 | flow-trw -L 2001:db8::/32,10.0.0.0/8")
    assert st in (0, 2) and err == b""
