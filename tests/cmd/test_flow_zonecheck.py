"""flow-zonecheck as a command: the bundled scenario against its labels,
hand-made streams, the report forms (text, TSV, -F stream), statuses, the
one-line stderr rule (FILE:LINE for zone files), empty input, pipes."""
import collections
import json

import pytest

import oracle

TCP, UDP = 6, 17


@pytest.fixture(autouse=True)
def _needs(require):
    require("flow-zonecheck")


@pytest.fixture(scope="module")
def scenario(samples_dir):
    d = samples_dir / "enterprise"
    labels = json.loads((d / "labels.json").read_text())
    return {"dir": d, "labels": labels, "flows": d / labels["flow_file"],
            "zones": d / labels["network"]["zones_file"],
            "inside": ",".join(labels["network"]["internal_blocks"])}


rec = oracle.record


ip = oracle.ipv4


stream = oracle.v5_stream


def tsv_rows(out):
    lines = out.decode().splitlines()
    assert lines[0] == ("#level\tdirection\tserver\tserver_port\tpeer\tpeer_port\tprotocol\t"
                        "flags\tpackets\toctets\tstart")
    return [dict(zip(lines[0][1:].split("\t"), ln.split("\t"))) for ln in lines[1:]]


def error_lines(err, prog="flow-zonecheck"):
    text = err.decode()
    assert "Traceback" not in text
    lines = [ln for ln in text.split("\n") if ln]
    assert lines and all(ln.startswith(prog + ": ") for ln in lines), text
    return lines


ZONES = "# test zones\n192.0.2.10 tcp/80,tcp/443\n192.0.2.64/26 tcp/22\n192.0.2.77 udp/53\n"
SERVER, OUTSIDE, INSIDE = ip("192.0.2.10"), ip("203.0.113.9"), ip("192.0.2.200")


@pytest.fixture
def zfile(tmp_path):
    p = tmp_path / "zones.txt"
    p.write_text(ZONES)
    return p


# ---- the bundled scenario ---------------------------------------------------

def grouped(rows):
    """{(direction, server, server port, peer): [flows, packets, octets, flags]}"""
    g = collections.defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        k = (r["direction"], r["server"], int(r["server_port"]), r["peer"])
        g[k][0] += 1
        g[k][1] += int(r["packets"])
        g[k][2] += int(r["octets"])
        g[k][3] |= int(r["flags"], 16)
    return dict(g)


def labelled(alerts, direction):
    return {(direction, a["server"], a["port"], a["peer"]):
            [a["flows"], a["packets"], a["octets"], int(a["flags"], 16)] for a in alerts}


def test_scenario_alerts_are_exactly_the_labelled_ones(run_cmd, scenario):
    lab = scenario["labels"]
    det = lab["detections"]
    st, out, err = run_cmd(["flow-zonecheck", "-z", str(scenario["zones"]), "-L",
                            scenario["inside"], "-o", "tsv", str(scenario["flows"])])
    assert (st, err) == (2, b"")
    rows = tsv_rows(out)
    ingress = [r for r in rows if r["direction"] == "ingress"]
    egress = [r for r in rows if r["direction"] == "egress"]
    red = [r for r in rows if r["level"] == "RED"]
    assert {r["level"] for r in ingress} == {"ALERT"}
    assert all(r["direction"] == "egress" for r in red)
    # the servers of each kind of alert
    assert {r["server"] for r in ingress} == set(det["zone_ingress_alerts"]["expected_servers"])
    assert {r["server"] for r in egress} == set(det["zone_egress_alerts"]["expected_servers"])
    assert {r["server"] for r in red} == set(det["zone_red_alerts"]["expected_servers"])
    # every alert flow, and nothing else
    assert grouped(ingress) == labelled(det["zone_ingress_alerts"]["alerts"], "ingress")
    assert grouped(egress) == labelled(det["zone_egress_alerts"]["alerts"], "egress")
    assert grouped(red) == labelled(det["zone_red_alerts"]["alerts"], "egress")
    # the same answer from the bad-host list: servers with a zone category
    zone_hosts = {h["address"]: h["categories"] for h in lab["bad_hosts"]["internal"]
                  if any(c.startswith("zone_") for c in h["categories"])}
    assert {r["server"] for r in rows} == set(zone_hosts)
    assert {r["server"] for r in red} == {a for a, c in zone_hosts.items()
                                          if any("red_alert" in x for x in c)}
    # the peers are the labelled intruders, all outside
    assert {r["peer"] for r in rows} == set(lab["categories"]["zone_intruders"]["addresses"])
    assert {r["peer"] for r in rows} <= set(lab["bad_hosts"]["external"])
    assert all(r["protocol"] == "tcp" for r in rows)


def test_scenario_text_report_and_stream(run_cmd, scenario):
    lab = scenario["labels"]["detections"]
    n_in = sum(a["flows"] for a in lab["zone_ingress_alerts"]["alerts"])
    n_out = sum(a["flows"] for a in lab["zone_egress_alerts"]["alerts"])
    n_red = sum(a["flows"] for a in lab["zone_red_alerts"]["alerts"])
    servers = set(lab["zone_ingress_alerts"]["expected_servers"]) | \
        set(lab["zone_egress_alerts"]["expected_servers"])
    cmd = "flow-cat %s | flow-zonecheck -z %s -L %s" % (scenario["flows"], scenario["zones"],
                                                       scenario["inside"])
    st, out, err = run_cmd(cmd)
    assert (st, err) == (2, b"")
    text = out.decode()
    rows = [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert len(rows) == n_in + n_out
    assert sum(ln.startswith("RED ") for ln in rows) == n_red
    assert "# %d alerts (%d ingress, %d egress, %d red) on %d servers in %d flows" % (
        n_in + n_out, n_in, n_out, n_red, len(servers), scenario["labels"]["flows"]) in text
    assert "# Inside:    %s" % scenario["inside"].replace(",", ", ") in text
    # -F: the offending flows as a stream (each alert here is its own flow)
    st, out, err = run_cmd(cmd + " -F -C zone-alerts")
    assert (st, err) == (2, b"")
    h, recs = oracle.read_stream(out)
    assert h["comments"] == "zone-alerts" and len(recs) == n_in + n_out
    ends = {(r["srcaddr"], r["dstaddr"]) for r in recs}
    assert {a for pair in ends for a in pair} <= {ip(x) for x in servers} | \
        {ip(x) for x in scenario["labels"]["categories"]["zone_intruders"]["addresses"]}


def test_scenario_with_a_directory_operand_and_without_inside(run_cmd, scenario):
    st, out, _ = run_cmd(["flow-zonecheck", "-z", str(scenario["zones"]), "-o", "tsv",
                          str(scenario["dir"])])
    assert st == 2
    # without -L the internal peers count as outside: more alerts, same servers included
    servers = {r["server"] for r in tsv_rows(out)}
    assert set(scenario["labels"]["detections"]["zone_ingress_alerts"]["expected_servers"]) \
        <= servers


# ---- hand-made streams ----------------------------------------------------------

def test_hand_made_alerts_and_quiet_flows(run_cmd, zfile):
    recs = [
        rec(srcaddr=OUTSIDE, dstaddr=SERVER, srcport=4000, dstport=3389, prot=TCP, tcp_flags=0x12,
            dPkts=3, dOctets=144),                                     # ingress
        rec(srcaddr=OUTSIDE, dstaddr=SERVER, srcport=4000, dstport=3389, prot=TCP, tcp_flags=0x02),
        rec(srcaddr=OUTSIDE, dstaddr=SERVER, srcport=4000, dstport=3389, prot=TCP, tcp_flags=0x14),
        rec(srcaddr=OUTSIDE, dstaddr=SERVER, srcport=4000, dstport=443, prot=TCP, tcp_flags=0x1b),
        rec(srcaddr=SERVER, dstaddr=OUTSIDE, srcport=5555, dstport=80, prot=TCP, tcp_flags=0x02),
        rec(srcaddr=SERVER, dstaddr=OUTSIDE, srcport=5556, dstport=80, prot=TCP, tcp_flags=0x1a),
        rec(srcaddr=SERVER, dstaddr=OUTSIDE, srcport=80, dstport=4000, prot=TCP, tcp_flags=0x1b),
        rec(srcaddr=ip("192.0.2.77"), dstaddr=OUTSIDE, srcport=53, dstport=53, prot=UDP),
        rec(srcaddr=ip("192.0.2.77"), dstaddr=OUTSIDE, srcport=1053, dstport=53, prot=UDP),
        rec(srcaddr=ip("192.0.2.70"), dstaddr=INSIDE, srcport=9999, dstport=53, prot=UDP),
        rec(srcaddr=INSIDE, dstaddr=ip("192.0.2.70"), srcport=4000, dstport=8080, prot=TCP,
            tcp_flags=0x10),
    ]
    st, out, err = run_cmd(["flow-zonecheck", "-z", str(zfile), "-L", "192.0.2.128/25",
                            "-o", "tsv"], stdin=stream(recs, order="big", zlevel=3))
    assert (st, err) == (2, b"")
    got = [(r["level"], r["direction"], r["server"], r["server_port"], r["peer_port"],
            r["protocol"], r["flags"]) for r in tsv_rows(out)]
    assert got == [
        ("ALERT", "ingress", "192.0.2.10", "3389", "4000", "tcp", "0x12"),
        ("ALERT", "egress", "192.0.2.10", "5555", "80", "tcp", "0x02"),
        ("RED", "egress", "192.0.2.10", "5556", "80", "tcp", "0x1a"),
        ("RED", "egress", "192.0.2.77", "1053", "53", "udp", "0x00"),
    ]


def test_no_alert_is_status_0(run_cmd, zfile):
    quiet = [rec(srcaddr=OUTSIDE, dstaddr=SERVER, srcport=4000, dstport=80, prot=TCP,
                 tcp_flags=0x1b)]
    st, out, err = run_cmd(["flow-zonecheck", "-z", str(zfile)], stdin=stream(quiet))
    assert (st, err) == (0, b"")
    text = out.decode()
    assert all(ln.startswith("#") for ln in text.splitlines())
    assert "# no alert in 1 flows" in text


@pytest.mark.parametrize("args", [[], ["-o", "tsv"], ["-F"]])
def test_empty_stream_gives_an_empty_report(run_cmd, zfile, args):
    st, out, err = run_cmd(["flow-zonecheck", "-z", str(zfile)] + args, stdin=stream([]))
    assert (st, err) == (0, b"")
    if args == ["-F"]:
        assert oracle.read_stream(out)[1] == []
    else:
        assert all(ln.startswith("#") for ln in out.decode().splitlines())


def test_stream_output_options(run_cmd, zfile):
    r = rec(srcaddr=SERVER, dstaddr=OUTSIDE, srcport=5555, dstport=80, prot=TCP, tcp_flags=0x18,
            dPkts=7, dOctets=700, First=5, Last=9)
    st, out, err = run_cmd(["flow-zonecheck", "-z", str(zfile), "-F", "-b", "big"],
                           stdin=stream([r] * 3 + [rec(prot=TCP)]))
    assert (st, err) == (2, b"")
    h, recs = oracle.read_stream(out)
    assert h["byte_order"] == "big" and recs == [r] * 3


# ---- errors and statuses --------------------------------------------------------------

@pytest.mark.parametrize("content,line,problem", [
    ("192.0.2.1 tcp/80\n10.0.0.300 tcp/80\n", 2, "bad IPv4 address"),
    ("# c\n\n192.0.2.1 smtp/25\n", 3, "unknown protocol 'smtp'"),
    ("192.0.2.1/24 tcp/22\n", 1, "bits beyond /24"),
    ("192.0.2.1 tcp/22\n192.0.2.1 tcp/23\n", 2, "already listed on line 1"),
    ("192.0.2.1 tcp/99999\n", 1, "bad port"),
])
def test_malformed_zone_file_is_file_line_and_status_1(run_cmd, tmp_path, content, line,
                                                       problem):
    p = tmp_path / "bad.zones"
    p.write_text(content)
    st, out, err = run_cmd(["flow-zonecheck", "-z", str(p)], stdin=stream([rec()]))
    assert (st, out) == (1, b"")
    lines = error_lines(err)
    assert len(lines) == 1
    assert lines[0].startswith("flow-zonecheck: %s:%d: " % (p, line))
    assert problem in lines[0]


@pytest.mark.parametrize("args,status,message", [
    ([], 1, "no zone file"),
    (["-z", "/nonexistent/zones"], 1, "/nonexistent/zones: No such file or directory"),
    (["-z", "ZONES", "-L", "10.0.0.0/99"], 1, "-L: bad prefix length"),
    (["-z", "ZONES", "-L", "ten"], 1, "-L: bad IPv4 address"),
    (["-z", "ZONES", "-o", "csv"], 1, "output format must be text or tsv"),
    (["-z", "ZONES", "/nonexistent/flows"], 1, "/nonexistent/flows"),
    (["-Q"], 1, "invalid option -- 'Q'"),
])
def test_usage_errors(run_cmd, zfile, args, status, message):
    args = [str(zfile) if a == "ZONES" else a for a in args]
    st, out, err = run_cmd(["flow-zonecheck"] + args, stdin=stream([rec()]))
    assert (st, out) == (status, b"")
    assert "Traceback" not in err.decode()
    first = err.decode().splitlines()[0]
    assert first.startswith("flow-zonecheck: ") and message in first


def test_help_is_usage_and_status_0(run_cmd):
    st, out, err = run_cmd(["flow-zonecheck", "-h"])
    assert (st, out) == (0, b"")
    assert err.decode().startswith("Usage: flow-zonecheck ")


def test_not_a_flow_stream(run_cmd, zfile):
    st, out, err = run_cmd(["flow-zonecheck", "-z", str(zfile)], stdin=b"not a flow file\n")
    assert st == 1 and out == b""
    error_lines(err)


def test_broken_pipe_is_quiet(run_cmd, zfile):
    recs = [rec(srcaddr=SERVER, dstaddr=OUTSIDE, srcport=5000 + i % 1000, dstport=80, prot=TCP,
                tcp_flags=0x02) for i in range(60000)]
    (zfile.parent / "many.ft").write_bytes(stream(recs))
    st, out, err = run_cmd("flow-zonecheck -z %s %s | head -n 3; echo ${PIPESTATUS[0]} >&2"
                           % (zfile, zfile.parent / "many.ft"))
    assert len(out.splitlines()) == 3
    assert err.decode().strip() in ("141", "2")      # killed by SIGPIPE, or done first


def test_unreadable_operand_status(run_cmd, zfile, tmp_path):
    quiet = tmp_path / "quiet.ft"
    quiet.write_bytes(stream([rec(srcaddr=OUTSIDE, dstaddr=SERVER, dstport=80, prot=TCP,
                                  tcp_flags=0x10)]))
    loud = tmp_path / "loud.ft"
    loud.write_bytes(stream([rec(srcaddr=SERVER, dstaddr=OUTSIDE, srcport=6667, prot=TCP,
                                 tcp_flags=0x18)]))
    missing = str(tmp_path / "missing.ft")
    st, out, err = run_cmd(["flow-zonecheck", "-z", str(zfile), "-o", "tsv", str(quiet), missing])
    assert st == 1 and tsv_rows(out) == []
    assert len(error_lines(err)) == 1 and "missing.ft" in err.decode()
    st, out, err = run_cmd(["flow-zonecheck", "-z", str(zfile), "-o", "tsv", str(loud), missing])
    assert st == 2 and len(tsv_rows(out)) == 1 and len(error_lines(err)) == 1


def test_records_without_ports_or_flags_are_refused_before_any_output(run_cmd, zfile):
    data = oracle.write_stream({"d_version": 8, "agg_version": 2, "agg_method": 1, "flags": 0},
                               [dict.fromkeys(oracle.fields("8.1"), 0)])
    st, out, err = run_cmd(["flow-zonecheck", "-z", str(zfile)], stdin=data)
    assert (st, out) == (1, b"")
    assert error_lines(err) == ["flow-zonecheck: flow record missing required field"]
