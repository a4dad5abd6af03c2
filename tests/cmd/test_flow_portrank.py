"""flow-portrank as a command: the articles' layout on hand-made streams
(thresholds at N-1 and N, ties, -n/-p limits, -N names, -o tsv, the -d
ingress rule's edges, -s), statuses and the one-line stderr rule, pipes;
then the bundled sample scenario with the thresholds and hosts of its
labels.json (nothing here is tuned to that one sample)."""
import ipaddress
import json

import pytest

import oracle

TCP, UDP, ICMP = 6, 17, 1


@pytest.fixture(autouse=True)
def _needs(require):
    require("flow-portrank")


rec = oracle.record


def ip(text):
    return int(ipaddress.IPv4Address(text))


stream = oracle.v5_stream


def syn(src, dport, n=1, **kw):
    return [rec(prot=TCP, tcp_flags=0x02, srcaddr=ip(src), dstport=dport, **kw)] * n


def error_lines(err, prog="flow-portrank"):
    text = err.decode()
    assert "Traceback" not in text
    lines = [ln for ln in text.split("\n") if ln]
    assert lines and all(ln.startswith(prog + ": ") for ln in lines), text
    return lines


def hosts_of_text(out):
    return [ln.split(": ")[1] for ln in out.decode().splitlines()
            if ln.startswith("potential host")]


# a worm, a weaker scanner, normal hosts, and flows that are NOT SYN only
WORM = (syn("61.236.123.225", 1025, 84) + syn("61.236.123.225", 80, 70)
        + [rec(prot=TCP, tcp_flags=0x1B, srcaddr=ip("61.236.123.225"), dstport=80)] * 6
        + [rec(prot=UDP, srcaddr=ip("61.236.123.225"), dstport=53)] * 3)
SCANNER = syn("10.0.0.7", 445, 30) + syn("10.0.0.7", 139, 30)
NORMAL = ([rec(prot=TCP, tcp_flags=0x12, srcaddr=ip("10.0.0.9"), dstport=80)] * 500
          + [rec(prot=TCP, tcp_flags=0x03, srcaddr=ip("10.0.0.9"), dstport=25)] * 500
          + [rec(prot=UDP, tcp_flags=0x02, srcaddr=ip("10.0.0.9"), dstport=137)] * 500
          + syn("10.0.0.9", 443, 2))
ALL = WORM + NORMAL + SCANNER


def test_articles_layout(run_cmd):
    st, out, err = run_cmd(["flow-portrank", "-t", "50"], stdin=stream(ALL))
    assert (st, err) == (0, b"")
    assert out.decode() == (
        "potential host1: 61.236.123.225\n"
        "-----\n"
        " 84 times probe on dstport 1025\n"
        " 76 times probe on dstport 80\n"
        " 3 times probe on dstport 53\n"
        "\n"
        "potential host2: 10.0.0.7\n"
        "-----\n"
        " 30 times probe on dstport 139\n"
        " 30 times probe on dstport 445\n")


def test_default_threshold_is_50(run_cmd):
    data = stream(syn("1.1.1.1", 1, 49) + syn("2.2.2.2", 1, 50))
    st, out, _ = run_cmd(["flow-portrank"], stdin=data)
    assert st == 0 and hosts_of_text(out) == ["2.2.2.2"]


@pytest.mark.parametrize("threshold,hosts", [
    (154, ["61.236.123.225"]), (155, []), (60, ["61.236.123.225", "10.0.0.7"]),
    (61, ["61.236.123.225"]), (2, ["61.236.123.225", "10.0.0.7", "10.0.0.9"]),
    (3, ["61.236.123.225", "10.0.0.7"]),
])
def test_threshold_at_n_minus_1_and_n(run_cmd, threshold, hosts):
    st, out, _ = run_cmd(["flow-portrank", "-t", str(threshold)], stdin=stream(ALL))
    assert st == 0 and hosts_of_text(out) == hosts
    if not hosts:
        assert out == b""


def test_ties_hosts_by_address_ports_by_number(run_cmd):
    recs = []
    for h in ("10.0.0.20", "10.0.0.3", "9.255.255.255", "10.0.0.100"):
        recs += syn(h, 3127, 5) + syn(h, 2745, 5) + syn(h, 6129, 5)
    recs += syn("200.0.0.1", 80, 16)
    st, out, _ = run_cmd(["flow-portrank", "-t", "15", "-o", "tsv"], stdin=stream(recs))
    rows = [ln.split("\t") for ln in out.decode().splitlines()]
    assert rows[0] == ["#host", "syn_only", "dstport", "flows"]
    assert [r[0] for r in rows[1::3]] == ["200.0.0.1", "9.255.255.255", "10.0.0.3",
                                          "10.0.0.20", "10.0.0.100"][:len(rows[1::3])]
    assert rows[2:5] == [["9.255.255.255", "15", "2745", "5"], ["9.255.255.255", "15", "3127", "5"],
                         ["9.255.255.255", "15", "6129", "5"]]


def test_limits_n_and_p(run_cmd):
    data = stream(ALL)
    st, out, _ = run_cmd(["flow-portrank", "-t", "2", "-n", "2", "-p", "1"], stdin=data)
    assert out.decode() == ("potential host1: 61.236.123.225\n-----\n"
                            " 84 times probe on dstport 1025\n\n"
                            "potential host2: 10.0.0.7\n-----\n"
                            " 30 times probe on dstport 139\n")
    st, out, _ = run_cmd(["flow-portrank", "-t2", "-n0", "-p0", "-otsv"], stdin=data)
    rows = out.decode().splitlines()[1:]
    assert len(rows) == 3 + 2 + 4                # every port of the three hosts
    assert rows[-4:] == ["10.0.0.9\t2\t25\t500", "10.0.0.9\t2\t80\t500", "10.0.0.9\t2\t137\t500",
                         "10.0.0.9\t2\t443\t2"]
    st, out, _ = run_cmd(["flow-portrank", "-t", "2", "-p", "2"], stdin=data)
    assert out.decode().count("times probe") == 6


def test_default_ports_per_host_is_10(run_cmd):
    recs = [r for p in range(1, 16) for r in syn("1.2.3.4", p, 20 - p)]
    st, out, _ = run_cmd(["flow-portrank", "-t", "1"], stdin=stream(recs))
    lines = out.decode().splitlines()
    assert lines[2:] == [" %d times probe on dstport %d" % (20 - p, p) for p in range(1, 11)]


def test_s_ranks_only_the_syn_only_flows(run_cmd):
    st, out, _ = run_cmd(["flow-portrank", "-t", "50", "-s", "-n", "1"], stdin=stream(ALL))
    assert out.decode() == ("potential host1: 61.236.123.225\n-----\n"
                            " 84 times probe on dstport 1025\n"
                            " 70 times probe on dstport 80\n")


def test_names(run_cmd):
    recs = syn("10.9.9.9", 1434, 3) + syn("10.9.9.9", 3127, 2) + syn("10.9.9.9", 4, 1)
    st, out, _ = run_cmd(["flow-portrank", "-t", "1", "-N"], stdin=stream(recs))
    lines = out.decode().splitlines()
    assert lines[2].startswith(" 3 times probe on dstport 1434 (") and "Slammer" in lines[2]
    assert lines[3].startswith(" 2 times probe on dstport 3127 (") and "MyDoom" in lines[3]
    assert lines[4] == " 1 times probe on dstport 4"
    st, out, _ = run_cmd(["flow-portrank", "-t", "1", "-N", "-o", "tsv"], stdin=stream(recs))
    rows = [ln.split("\t") for ln in out.decode().splitlines()]
    assert rows[0] == ["#host", "syn_only", "dstport", "flows", "name"]
    assert "MyDoom" in rows[2][4] and rows[3] == ["10.9.9.9", "6", "4", "1", ""]


def test_ingress_rst_ack_edges(run_cmd):
    victim = ip("135.169.20.251")
    recs = ([rec(prot=TCP, tcp_flags=0x14, dstaddr=victim, srcport=135)] * 5
            + [rec(prot=TCP, tcp_flags=0x04, dstaddr=victim, srcport=135)] * 9       # RST alone
            + [rec(prot=TCP, tcp_flags=0x1C, dstaddr=victim, srcport=135)] * 9       # RST|ACK|PSH
            + [rec(prot=UDP, tcp_flags=0x14, dstaddr=victim, srcport=135)] * 9       # not TCP
            + [rec(prot=TCP, tcp_flags=0x14, srcaddr=victim, dstport=135)] * 9       # sent
            + [rec(prot=TCP, tcp_flags=0x14, dstaddr=victim, srcport=445)] * 4
            + [rec(prot=TCP, tcp_flags=0x14, dstaddr=ip("10.0.0.1"), srcport=80)] * 8)
    st, out, _ = run_cmd(["flow-portrank", "-d", "-t", "9"], stdin=stream(recs))
    # the victim's 5 + 4 RST|ACK; the 9 it sent count for their destination
    # (0.0.0.0 here, source port 0); equal counts: lower address first
    assert out.decode() == ("potential host1: 0.0.0.0\n-----\n"
                            " 9 times probe on dstport 0\n"
                            "\n"
                            "potential host2: 135.169.20.251\n-----\n"
                            " 5 times probe on dstport 135\n"
                            " 4 times probe on dstport 445\n")
    st, out, _ = run_cmd(["flow-portrank", "-d", "-t", "8", "-o", "tsv"], stdin=stream(recs))
    assert out.decode().splitlines() == [
        "#host\trst_ack\tsrcport\tflows", "0.0.0.0\t9\t0\t9", "135.169.20.251\t9\t135\t5",
        "135.169.20.251\t9\t445\t4", "10.0.0.1\t8\t80\t8"]
    st, out, _ = run_cmd(["flow-portrank", "-d", "-t", "10"], stdin=stream(recs))
    assert (st, out) == (0, b"")


def test_empty_stream_empty_report_status_0(run_cmd):
    for args in ([], ["-d"], ["-N", "-t", "1"]):
        st, out, err = run_cmd(["flow-portrank"] + args, stdin=stream([]))
        assert (st, out, err) == (0, b"", b"")
    st, out, err = run_cmd(["flow-portrank", "-o", "tsv"], stdin=stream([]))
    assert (st, out, err) == (0, b"#host\tsyn_only\tdstport\tflows\n", b"")


def test_inputs_files_directories_compressed_big_endian(run_cmd, tmp_path):
    d = tmp_path / "flows"
    d.mkdir()
    (d / "ft-1").write_bytes(stream(WORM[:80], order="big", zlevel=3))
    (d / "ft-2").write_bytes(stream(WORM[80:]))
    (d / "tmp-3").write_bytes(stream(syn("61.236.123.225", 22, 99)))
    st, out, err = run_cmd(["flow-portrank", "-t", "1", str(d)])
    assert (st, err) == (0, b"")
    assert out.decode().splitlines()[2:] == [" 84 times probe on dstport 1025",
                                             " 76 times probe on dstport 80",
                                             " 3 times probe on dstport 53"]


@pytest.mark.parametrize("args,message", [
    (["-Q"], "flow-portrank: invalid option -- 'Q'"),
    (["-t"], "flow-portrank: option requires an argument -- 't'"),
    (["-t", "abc"], "flow-portrank: threshold (-t) must be an integer >= 1: abc"),
    (["-t", "0"], "flow-portrank: threshold (-t) must be an integer >= 1: 0"),
    (["-t-5"], "flow-portrank: threshold (-t) must be an integer >= 1: -5"),
    (["-t", "5x"], "flow-portrank: threshold (-t) must be an integer >= 1: 5x"),
    (["-t", "9223372036854775808"],
     "flow-portrank: threshold (-t) is too large: 9223372036854775808"),
    (["-n", "x"], "flow-portrank: host count (-n) must be an integer >= 0: x"),
    (["-p", "-1"], "flow-portrank: port count (-p) must be an integer >= 0: -1"),
    (["-o", "csv"], "flow-portrank: output format must be text or tsv, not csv"),
])
def test_bad_options_one_line_status_1(run_cmd, args, message):
    st, out, err = run_cmd(["flow-portrank"] + args, stdin=stream(ALL))
    assert (st, out) == (1, b"")
    assert error_lines(err) == [message]


def test_help(run_cmd):
    st, out, err = run_cmd(["flow-portrank", "-h"])
    assert st == 0 and out == b"" and err.decode().startswith("Usage: flow-portrank")


def test_bad_input(run_cmd, tmp_path):
    st, out, err = run_cmd(["flow-portrank"], stdin=b"not a flow file at all\n")
    assert (st, out) == (1, b"")
    error_lines(err)
    v8 = oracle.write_stream({"d_version": 8, "agg_version": 2, "agg_method": 2, "flags": 0}, [])
    st, out, err = run_cmd(["flow-portrank"], stdin=v8)
    assert error_lines(err) == ["flow-portrank: records of version 8.2 have no tcp_flags field"]
    trunc = tmp_path / "trunc.ft"
    trunc.write_bytes(stream(syn("1.1.1.1", 80, 3))[:-1])
    st, out, err = run_cmd(["flow-portrank", "-t", "1", str(trunc), "/nonexistent.ft"])
    assert st == 1 and out.decode().splitlines()[2] == " 2 times probe on dstport 80"
    assert len(error_lines(err)) == 2


def test_broken_pipe_is_silent(run_cmd, tmp_path):
    recs = [r for h in range(3000) for r in syn(str(ipaddress.IPv4Address(h + 1)), 80, 2)]
    p = tmp_path / "in.ft"
    p.write_bytes(stream(recs))
    st, out, err = run_cmd('flow-portrank -t 1 %s | head -c 10 > /dev/null; '
                           'echo "${PIPESTATUS[0]}" >&2' % p)
    assert err in (b"141\n", b"0\n")       # 0 when the report fit in the pipe
    assert b"Traceback" not in err


def test_pipeline_with_flow_synonly(run_cmd, require, tmp_path):
    require("flow-synonly")
    p = tmp_path / "in.ft"
    p.write_bytes(stream(ALL))
    st, direct, _ = run_cmd(["flow-portrank", "-t", "50", "-s", str(p)])
    st2, piped, _ = run_cmd("flow-synonly %s | flow-portrank -t 50" % p)
    assert st == st2 == 0 and direct == piped


# ---- the sample scenario ---------------------------------------------------

@pytest.fixture(scope="module")
def sample(samples_dir):
    d = samples_dir / "enterprise"
    if not (d / "labels.json").is_file():
        pytest.skip("no sample scenario in %s" % d)
    labels = json.loads((d / "labels.json").read_text())
    return d / labels["flow_file"], labels


def acl_file(labels, tmp_path):
    """standard lists `internal` (the labels' internal blocks) and
    `outside` (everything else)."""
    lines = []
    for block in labels["network"]["internal_blocks"]:
        net = ipaddress.IPv4Network(block)
        lines.append("ip access-list standard internal permit %s %s"
                     % (net.network_address, net.hostmask))
        lines.append("ip access-list standard outside deny %s %s"
                     % (net.network_address, net.hostmask))
    lines.append("ip access-list standard outside permit any")
    p = tmp_path / "sample.acl"
    p.write_text("\n".join(lines) + "\n")
    return p


def tsv_report(out):
    """{host: (count, {port: flows})} from -o tsv output."""
    rows = out.decode().splitlines()
    assert rows[0].startswith("#host\t")
    hosts = {}
    for r in rows[1:]:
        host, count, port, flows = r.split("\t")[:4]
        hosts.setdefault(host, (int(count), {}))[1][int(port)] = int(flows)
    return hosts


def check_detection(det, hosts):
    expected, tolerated = set(det["expected"]), set(det.get("tolerated", []))
    assert expected <= set(hosts), "missed: %s" % sorted(expected - set(hosts))
    assert set(hosts) <= expected | tolerated, "false alarms: %s" % sorted(
        set(hosts) - expected - tolerated)
    for h, count in det.get("counts", {}).items():
        assert hosts[h][0] == count, h


@pytest.mark.parametrize("name,select,args", [
    ("syn_only_sources", "-S internal", []),
    ("external_syn_only_sources", "-S outside -D internal", []),
    ("rst_ack_inbound_destinations", "-S outside -D internal", ["-d"]),
])
def test_sample_detections(run_cmd, require, sample, tmp_path, name, select, args):
    require("flow-filter")
    flows, labels = sample
    det = labels["detections"][name]
    acl = acl_file(labels, tmp_path)
    cmd = "flow-filter -f %s %s < %s | flow-portrank -t %d -p 0 -o tsv %s" % (
        acl, select, flows, det["threshold"], " ".join(args))
    st, out, err = run_cmd(cmd)
    assert (st, err) == (0, b"")
    hosts = tsv_report(out)
    check_detection(det, hosts)
    # the same hosts in the text report, in the documented order
    st, text, _ = run_cmd(cmd.replace("-o tsv", ""))
    order = sorted(hosts, key=lambda h: (-hosts[h][0], ipaddress.IPv4Address(h)))
    assert hosts_of_text(text) == order


def test_sample_ports_of_the_syn_only_sources(run_cmd, require, sample, tmp_path):
    """-s ranks the SYN-only flows: exactly the labels' dst_ports; without
    -s every flow of the host counts, so each port has at least as many."""
    require("flow-filter")
    flows, labels = sample
    det = labels["detections"]["syn_only_sources"]
    acl = acl_file(labels, tmp_path)
    base = "flow-filter -f %s -S internal < %s | flow-portrank -t %d -p 0 -o tsv" % (
        acl, flows, det["threshold"])
    st, out, _ = run_cmd(base + " -s")
    only = tsv_report(out)
    st, out, _ = run_cmd(base)
    every = tsv_report(out)
    assert det.get("dst_ports")
    for host, ports in det["dst_ports"].items():
        assert only[host][1] == {int(p): n for p, n in ports.items()}, host
        for p, n in ports.items():
            assert every[host][1][int(p)] >= n
    # where the labels describe a host's flows (its busiest destination
    # ports, all it sent), the ranking of every flow agrees
    checked = 0
    for cat in labels["categories"].values():
        for h in cat.get("hosts", []) if isinstance(cat, dict) else []:
            seen = h.get("observed", {})
            if h["address"] not in every or "all_flows_by_dst_port" not in seen:
                continue
            ports = every[h["address"]][1]
            for p, n in seen["all_flows_by_dst_port"].items():
                assert ports[int(p)] == n, (h["address"], p)
            assert sum(ports.values()) == seen["flows_sent"], h["address"]
            checked += 1
    assert checked
