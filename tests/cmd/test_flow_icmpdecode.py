"""flow-icmpdecode as a command: the bundled scenario's ICMP detections
(thresholds, blocks and expected hosts read from labels.json), chaining
with flow-filter and flow-print, empty streams, options and statuses, the
one-line stderr rule, broken pipes and the terminal guard."""
import collections
import json
import os
import pty
import subprocess

import pytest

import oracle

PROG = "flow-icmpdecode"
SAMPLE = "enterprise"


def error_lines(err):
    text = err.decode()
    assert "Traceback" not in text
    lines = [ln for ln in text.split("\n") if ln]
    assert all(ln.startswith(PROG + ": ") for ln in lines), text
    return lines


def tsv_rows(out):
    lines = out.decode().splitlines()
    assert lines and lines[0].startswith("#")
    return [ln.split("\t") for ln in lines[1:]]


def acl_line(name, action, prefix):
    """`ip access-list standard NAME permit|deny ADDR WILDCARD` for a prefix."""
    addr, _, ln = prefix.partition("/")
    n = int(ln or 32)
    wild = (1 << (32 - n)) - 1
    w = ".".join(str((wild >> s) & 255) for s in (24, 16, 8, 0))
    return "ip access-list standard %s %s %s %s\n" % (name, action, addr, w)


@pytest.fixture(scope="module")
def sample(samples_dir):
    d = samples_dir / SAMPLE
    labels = json.loads((d / "labels.json").read_text())
    return d / labels["flow_file"], labels


@pytest.fixture
def internal_acl(tmp_path, sample):
    """internal: the scenario's internal blocks; external: everything else."""
    _, labels = sample
    blocks = labels["network"]["internal_blocks"]
    text = "".join(acl_line("internal", "permit", b) for b in blocks)
    text += "".join(acl_line("external", "deny", b) for b in blocks)
    text += "ip access-list standard external permit any\n"
    p = tmp_path / "inside.acl"
    p.write_text(text)
    return p


@pytest.fixture
def empty_stream(tmp_path):
    p = tmp_path / "empty.ft"
    p.write_bytes(oracle.write_stream({"d_version": 5, "flags": oracle.HF_STREAMING}, []))
    return p


def check_detection(reported, det):
    """Every expected host, no host outside expected + tolerated, and the
    labelled counts for the expected ones."""
    expected = set(det["expected"])
    allowed = expected | set(det.get("tolerated", []))
    assert expected <= set(reported), sorted(expected - set(reported))
    assert set(reported) <= allowed, sorted(set(reported) - allowed)
    for host in expected:
        assert reported[host] == det["counts"][host], host


# ---- the scenario ---------------------------------------------------------

def test_nachi_pattern(run_cmd, require, sample):
    require(PROG)
    path, labels = sample
    det = labels["detections"]["nachi_pattern"]
    st, out, err = run_cmd([PROG, "-t", "8", "-s", "92", "-o", "tsv", str(path)])
    assert st == 0 and err == b""
    rows = tsv_rows(out)
    assert all(r[2:4] == ["8", "0"] and int(r[7]) == 92 * int(r[6]) for r in rows)
    per_source = collections.Counter(r[0] for r in rows)
    reported = {h: n for h, n in per_source.items() if n >= det["threshold"]}
    check_detection(reported, det)


def test_nachi_pattern_as_a_stream_chains(run_cmd, require, sample):
    require(PROG, "flow-print")
    path, labels = sample
    det = labels["detections"]["nachi_pattern"]
    st, direct, _ = run_cmd([PROG, "-t", "8", "-s", "92", "-o", "tsv", str(path)])
    st2, chained, err = run_cmd("%s -t 8 -s 92 -F %s | %s -o tsv" % (PROG, path, PROG))
    assert st == st2 == 0 and err == b""
    assert chained == direct
    st, text, err = run_cmd("%s -t 8 -s 92 -F < %s | flow-print -f 5" % (PROG, path))
    assert st == 0 and err == b""
    lines = [ln.split() for ln in text.decode().splitlines()[2:] if ln.strip()]
    assert len(lines) == sum(det["counts"][h] for h in det["expected"])
    assert {ln[3] for ln in lines} == set(det["expected"])


def unreachable_report(run_cmd, path, acl, name, threshold, fmt="tsv"):
    st, out, err = run_cmd("flow-filter -f %s -D %s < %s | %s -u -T %d -o %s"
                           % (acl, name, path, PROG, threshold, fmt))
    assert st == 0, err
    assert b"Traceback" not in err
    return out


def test_unreachable_destinations_internal(run_cmd, require, sample, internal_acl):
    require(PROG, "flow-filter")
    path, labels = sample
    det = labels["detections"]["icmp_unreachable_destinations_internal"]
    out = unreachable_report(run_cmd, path, internal_acl, "internal", det["threshold"])
    assert out.decode().splitlines()[0] == \
        "#host\tflows\tnet-unreachable\thost-unreachable\tport-unreachable"
    rows = tsv_rows(out)
    check_detection({r[0]: int(r[1]) for r in rows}, det)
    flows = [int(r[1]) for r in rows]
    assert flows == sorted(flows, reverse=True)
    for host, net, hst, port in ((r[0], r[2], r[3], r[4]) for r in rows):
        by_code = {768: int(net), 769: int(hst), 771: int(port)}
        assert {k: v for k, v in by_code.items() if v} == \
            {int(k): v for k, v in det["by_code"][host].items()}
    # the text report names the same hosts in the same order
    text = unreachable_report(run_cmd, path, internal_acl, "internal", det["threshold"], "text")
    body = [ln.split() for ln in text.decode().splitlines() if not ln.startswith("#")]
    assert [b[:5] for b in body] == rows


def test_unreachable_destinations_external(run_cmd, require, sample, internal_acl):
    require(PROG, "flow-filter")
    path, labels = sample
    det = labels["detections"]["icmp_unreachable_destinations_external"]
    rows = tsv_rows(unreachable_report(run_cmd, path, internal_acl, "external",
                                       det["threshold"]))
    check_detection({r[0]: int(r[1]) for r in rows}, det)


def test_threshold_cuts_the_report(run_cmd, require, sample):
    require(PROG)
    path, _ = sample
    st, out, _ = run_cmd([PROG, "-u", "-T", "0", "-o", "tsv", str(path)])
    everything = tsv_rows(out)
    assert st == 0 and everything
    for row in everything:
        assert int(row[1]) == int(row[2]) + int(row[3]) + int(row[4])
    top = int(everything[0][1])
    st, out, _ = run_cmd([PROG, "-u", "-T", str(top), "-o", "tsv", str(path)])
    assert tsv_rows(out) == [r for r in everything if int(r[1]) >= top]
    st, out, _ = run_cmd([PROG, "-u", "-T", str(top + 1), "-o", "tsv", str(path)])
    assert st == 0 and tsv_rows(out) == []
    # the default threshold keeps every host
    st, out, _ = run_cmd([PROG, "-u", "-o", "tsv", str(path)])
    assert tsv_rows(out) == everything


def test_listing_is_every_icmp_flow(run_cmd, require, sample):
    require(PROG, "flow-print")
    path, _ = sample
    st, out, err = run_cmd([PROG, "-o", "tsv", str(path)])
    assert st == 0 and err == b""
    rows = tsv_rows(out)
    st, text, _ = run_cmd("flow-print -f 5 < %s" % path)
    icmp_lines = [ln.split() for ln in text.decode().splitlines()[2:]
                  if ln.strip() and ln.split()[8] == "1"]
    assert len(rows) == len(icmp_lines)
    assert [(r[0], r[1], (int(r[2]) << 8) | int(r[3]), r[6], r[7]) for r in rows] == \
        [(ln[3], ln[6], int(ln[7]), ln[10], ln[11]) for ln in icmp_lines]
    st, text, _ = run_cmd([PROG, str(path)])
    lines = text.decode().splitlines()
    assert lines[0].startswith("srcIP") and len(lines) == len(rows) + 1


def test_operands_files_directories_and_stdin(run_cmd, require, sample, tmp_path):
    require(PROG)
    path, _ = sample
    d = tmp_path / "flows"
    d.mkdir()
    for name in ("ft-a", "ft-b"):
        (d / name).write_bytes(path.read_bytes())
    (d / "tmp-ignored").write_bytes(path.read_bytes())
    _, one, _ = run_cmd([PROG, "-u", "-o", "tsv", str(path)])
    st, two, err = run_cmd([PROG, "-u", "-o", "tsv", str(d)])
    assert st == 0 and err == b""
    doubled = [[r[0]] + [str(2 * int(v)) for v in r[1:]] for r in tsv_rows(one)]
    assert tsv_rows(two) == doubled
    st, piped, _ = run_cmd("%s -u -o tsv < %s" % (PROG, path))
    assert piped == one
    st, listed, _ = run_cmd([PROG, "-t", "3/3,8", str(path), str(path)])
    st, repeated, _ = run_cmd([PROG, "-t", "3/3", "-t", "8", str(path), str(path)])
    assert st == 0 and listed == repeated and listed.count(b"\n") > 1


def test_stream_options_b_z_C(run_cmd, require, sample):
    require(PROG)
    path, _ = sample
    st, plain, _ = run_cmd([PROG, "-t", "3", "-F", str(path)])
    st2, packed, err = run_cmd([PROG, "-t", "3", "-F", "-b", "big", "-z", "6",
                                "-C", "icmp unreachables", str(path)])
    assert st == st2 == 0 and err == b""
    h1, r1 = oracle.read_stream(plain)
    h2, r2 = oracle.read_stream(packed)
    assert r1 == r2 and r1 and all(r["prot"] == 1 and r["dstport"] >> 8 == 3 for r in r1)
    assert h2["byte_order"] == "big" and h2["flags"] & oracle.HF_COMPRESS
    assert h2["comments"] == "icmp unreachables"


# ---- empty input ----------------------------------------------------------

def test_empty_stream_gives_empty_reports(run_cmd, require, empty_stream):
    require(PROG)
    st, out, err = run_cmd([PROG, str(empty_stream)])
    assert (st, err) == (0, b"")
    assert out.decode().splitlines() == [out.decode().splitlines()[0]]
    assert out.startswith(b"srcIP")
    st, out, err = run_cmd([PROG, "-o", "tsv"], stdin=empty_stream.read_bytes())
    assert (st, err) == (0, b"") and out.count(b"\n") == 1 and out.startswith(b"#")
    st, out, err = run_cmd([PROG, "-u", str(empty_stream)])
    assert (st, err) == (0, b"")
    assert all(ln.startswith("#") for ln in out.decode().splitlines())
    st, out, err = run_cmd([PROG, "-u", "-o", "tsv", str(empty_stream)])
    assert (st, err, out) == (0, b"", b"#host\tflows\tnet-unreachable\thost-unreachable"
                                      b"\tport-unreachable\n")
    st, out, err = run_cmd([PROG, "-F", "-t", "8", "-s", "92", str(empty_stream)])
    assert (st, err) == (0, b"") and oracle.read_stream(out)[1] == []


def test_no_input_at_all_is_an_error(run_cmd, require):
    require(PROG)
    st, out, err = run_cmd([PROG], stdin=b"")
    assert st == 1 and out == b""
    assert error_lines(err)
    st, out, err = run_cmd([PROG, "/nonexistent/flows"])
    assert st == 1 and out == b""
    assert error_lines(err)[0] == PROG + ": open(/nonexistent/flows): No such file or directory"


# ---- options and statuses -------------------------------------------------

@pytest.mark.parametrize("args", [
    ["-t", "256"], ["-t", "3/256"], ["-t", "8,"], ["-t", ""], ["-t", "echo"], ["-t", "3/"],
    ["-t", "-1"], ["-s", "x"], ["-s", "-92"], ["-s", "4294967296"], ["-T", "many"],
    ["-u", "-T", "-1"], ["-o", "xml"], ["-u", "-t", "3"], ["-u", "-s", "92"], ["-u", "-F"],
    ["-T", "5"], ["-F", "-o", "tsv"], ["-F", "-z", "12"], ["-F", "-b", "middle"],
])
def test_bad_values_are_one_line_and_status_1(run_cmd, require, sample, args):
    require(PROG)
    path, _ = sample
    st, out, err = run_cmd([PROG] + args + [str(path)])
    assert st == 1 and out == b""
    assert len(error_lines(err)) == 1


def test_help_and_unknown_options(run_cmd, require):
    require(PROG)
    st, out, err = run_cmd([PROG, "-h"])
    assert st == 0 and out == b"" and err.decode().startswith("Usage: flow-icmpdecode")
    st, out, err = run_cmd([PROG, "-Q"])
    assert st == 1 and out == b""
    assert error_lines(err) == [PROG + ": invalid option -- 'Q'"]
    st, out, err = run_cmd([PROG, "-t"])
    assert st == 1 and out == b""
    assert error_lines(err) == [PROG + ": option requires an argument -- 't'"]


def test_broken_pipe_is_quiet(run_cmd, require, sample):
    require(PROG)
    path, _ = sample
    st, out, err = run_cmd('%s %s %s %s | head -1 >/dev/null; echo "${PIPESTATUS[0]}"'
                           % (PROG, path, path, path))
    assert out.strip() in (b"141", b"0") and err == b""


def test_stream_output_refuses_a_terminal(flow_bin, require, sample):
    require(PROG)
    path, _ = sample
    master, slave = pty.openpty()
    try:
        res = subprocess.run([str(flow_bin / PROG), "-F", str(path)], stdout=slave,
                             stderr=subprocess.PIPE, timeout=20)
    finally:
        os.close(slave)
        os.close(master)
    assert res.returncode == 1
    assert error_lines(res.stderr) == [PROG + ": will not write binary flow data to a terminal"]


# ---- in-process -------------------------------------------------------------

def load():
    from pyflowtools.commands import flow_icmpdecode
    return flow_icmpdecode


def test_in_process(tmp_path, capsysbinary, empty_stream):
    from pyflowtools import cli
    mod = load()
    recs = [dict({k: 0 for k in oracle.fields("5")}, srcaddr=0x0A000001, dstaddr=0x0A000002,
                 prot=1, dstport=0x0303, dPkts=2, dOctets=184)] * 3
    f = tmp_path / "in.ft"
    f.write_bytes(oracle.write_stream({"d_version": 5, "flags": oracle.HF_STREAMING}, recs))
    assert cli.run(mod.main, ["-u", "-o", "tsv", str(f)]) == 0
    out, err = capsysbinary.readouterr()
    assert out.decode().splitlines()[1:] == ["10.0.0.2\t3\t0\t0\t3"] and err == b""
    assert cli.run(mod.main, ["-o", "tsv", "-t", "3/3", "-s", "92", str(f)]) == 0
    out, err = capsysbinary.readouterr()
    assert out.decode().splitlines()[1:] == [
        "10.0.0.1\t10.0.0.2\t3\t3\tdest-unreachable\tport-unreachable\t2\t184\t92"] * 3
    assert cli.run(mod.main, [str(empty_stream)]) == 0
    out, err = capsysbinary.readouterr()
    assert out.count(b"\n") == 1 and err == b""
    assert cli.run(mod.main, ["-t", "3/x", str(f)]) == 1
    assert cli.run(mod.main, ["-h"]) == 0
    out, err = capsysbinary.readouterr()
    assert out == b""
    assert err.startswith(b"flow-icmpdecode: bad ICMP type/code list '3/x': ")
    assert err.count(b"\n") == 2 + mod.USAGE.count("\n") and b"\nUsage: " in err
