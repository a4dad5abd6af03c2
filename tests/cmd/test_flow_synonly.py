"""flow-synonly as a command: each rule's edges on hand-made streams
(files, directories, stdin), the output stream's header options, statuses,
the one-line stderr rule, bad input, pipes; in-process through cli.run."""
import os
import subprocess
from pathlib import Path

import pytest

import oracle

BIN = Path(__file__).resolve().parents[2] / "bin"
TCP, UDP, ICMP = 6, 17, 1
FLAGS = (0x02, 0x12, 0x03, 0x00, 0x14, 0x04, 0x1C, 0x10, 0x06, 0xFF)


@pytest.fixture(autouse=True)
def _needs(require):
    require("flow-synonly")


rec = oracle.record


def stream(recs, order="little", zlevel=0, version=5, comment=None):
    h = {"d_version": version, "flags": oracle.HF_STREAMING}
    if version == 8:
        h.update(agg_version=2, agg_method=1)
    if comment:
        h["comments"] = comment
    return oracle.write_stream(h, recs, order, zlevel)


# one TCP record per flag value (srcaddr = the flags), plus UDP and ICMP
# records carrying the SYN and RST|ACK bits
EDGES = [rec(prot=TCP, tcp_flags=f, srcaddr=f, dstport=80) for f in FLAGS] + \
        [rec(prot=UDP, tcp_flags=0x02, srcaddr=0x1002),
         rec(prot=ICMP, tcp_flags=0x14, srcaddr=0x1014),
         rec(prot=0, tcp_flags=0x02, srcaddr=0x2002)]


def passed(out):
    return [r["srcaddr"] for r in oracle.read_stream(out)[1]]


def error_lines(err, prog="flow-synonly"):
    text = err.decode()
    assert "Traceback" not in text
    lines = [ln for ln in text.split("\n") if ln]
    assert lines and all(ln.startswith(prog + ": ") for ln in lines), text
    return lines


@pytest.mark.parametrize("args,want", [
    ([], [0x02]),                                  # not SYN|ACK, SYN|FIN, UDP, ICMP
    (["-R"], [0x14]),                              # not RST, RST|ACK|PSH, RST|SYN
    (["-F", "0x02"], [0x02]),
    (["-F0x02/0x02"], [0x02, 0x12, 0x03, 0x06, 0xFF]),
    (["-F", "0/0x10"], [0x02, 0x03, 0x00, 0x04, 0x06]),
    (["-F", "0x14/0x14"], [0x14, 0x1C, 0xFF]),
    (["-F", "0x14/0x1f"], [0x14]),
    (["-F", "255"], [0xFF]),
    (["-F", "04"], [0x04]),                        # C octal, as flow-filter -T
])
def test_rules_on_flag_edges(run_cmd, args, want):
    st, out, err = run_cmd(["flow-synonly"] + args, stdin=stream(EDGES))
    assert (st, err) == (0, b"")
    assert passed(out) == want


def test_records_are_copied_unchanged_and_in_order(run_cmd):
    recs = [rec(prot=TCP, tcp_flags=2, srcaddr=i, dstaddr=0xFFFFFFFF - i, srcport=i, dstport=135,
                dPkts=i + 1, dOctets=48 * (i + 1), First=i, Last=i + 5, src_as=i, dst_mask=24)
            for i in range(300)]
    mixed = [r for pair in zip(recs, EDGES * 30) for r in pair]
    st, out, _ = run_cmd(["flow-synonly"], stdin=stream(mixed, order="big", zlevel=6))
    assert st == 0
    got = oracle.read_stream(out)[1]
    want = [r for r in mixed if r["prot"] == TCP and r["tcp_flags"] == 2]
    assert len(got) == 300 + 24 and got == want


def test_operands_files_directories_and_stdin(run_cmd, tmp_path):
    d = tmp_path / "flows" / "2004-08-16"
    d.mkdir(parents=True)
    (d / "ft-a").write_bytes(stream([rec(prot=TCP, tcp_flags=2, srcaddr=1)]))
    (d / "ft-b").write_bytes(stream([rec(prot=TCP, tcp_flags=2, srcaddr=2)], order="big"))
    (d / "tmp-c").write_bytes(stream([rec(prot=TCP, tcp_flags=2, srcaddr=3)]))
    one = tmp_path / "one.ft"
    one.write_bytes(stream([rec(prot=TCP, tcp_flags=2, srcaddr=4), rec(prot=TCP, tcp_flags=0x12)]))
    st, out, err = run_cmd(["flow-synonly", str(tmp_path / "flows"), str(one)])
    assert (st, err) == (0, b"")
    assert sorted(passed(out)[:2]) == [1, 2] and passed(out)[2:] == [4]
    st, out, _ = run_cmd(["flow-synonly", "-"], stdin=one.read_bytes())
    assert st == 0 and passed(out) == [4]


def test_output_header_options(run_cmd):
    data = stream(EDGES, comment="from the exporter")
    st, out, _ = run_cmd(["flow-synonly", "-b", "big", "-z", "5", "-C", "syn only"], stdin=data)
    assert st == 0
    h, recs = oracle.read_stream(out)
    assert h["byte_order"] == "big" and h["flags"] & oracle.HF_COMPRESS
    assert h["flags"] & oracle.HF_STREAMING and h["comments"] == "syn only"
    assert h["d_version"] == 5 and [r["srcaddr"] for r in recs] == [2]
    st, out, _ = run_cmd(["flow-synonly", "-b", "little"], stdin=data)
    h = oracle.read_stream(out)[0]
    assert h["byte_order"] == "little" and not h["flags"] & oracle.HF_COMPRESS
    assert "comments" not in h


@pytest.mark.parametrize("version", ["1", "6", "7", "1005"])
def test_other_record_versions(run_cmd, version):
    recs = []
    for f in (0x02, 0x12, 0x14):
        r = dict.fromkeys(oracle.fields(version), 0)
        r.update(prot=TCP, tcp_flags=f, srcaddr=f)
        recs.append(r)
    data = oracle.write_stream({"d_version": int(version), "flags": 0}, recs)
    st, out, _ = run_cmd(["flow-synonly", "-R"], stdin=data)
    assert st == 0
    h, got = oracle.read_stream(out)
    assert h["d_version"] == int(version) and [r["srcaddr"] for r in got] == [0x14]


def test_empty_stream_gives_a_header_and_status_0(run_cmd):
    st, out, err = run_cmd(["flow-synonly"], stdin=stream([]))
    assert (st, err) == (0, b"")
    h, recs = oracle.read_stream(out)
    assert recs == [] and h["d_version"] == 5


def test_debug_prints_a_profile(run_cmd):
    st, out, err = run_cmd(["flow-synonly", "-d", "1"], stdin=stream(EDGES))
    assert st == 0 and passed(out) == [2]
    assert err.decode().startswith("flow-synonly: processed %d flows" % len(EDGES))


@pytest.mark.parametrize("args,message", [
    (["-Q"], "invalid option -- 'Q'"),
    (["-F"], "option requires an argument -- 'F'"),
    (["-F", "0x12/0x02"], "bits outside mask"),
    (["-F", "0x100"], "out of range"),
    (["-F", "syn"], "bad TCP flags value: syn"),
    (["-F", "2/x"], "bad TCP flags mask"),
    (["-R", "-F", "2"], "-R and -F exclude each other"),
    (["-z", "10"], "Compression level must be between 0 and 9"),
    (["-b", "middle"], 'expecting "big" or "little"'),
])
def test_bad_options_one_line_status_1(run_cmd, args, message):
    st, out, err = run_cmd(["flow-synonly"] + args, stdin=stream(EDGES))
    assert st == 1 and out == b""
    lines = error_lines(err)
    assert len(lines) == 1 and message in lines[0]


def test_help_exits_0_with_usage(run_cmd):
    st, out, err = run_cmd(["flow-synonly", "-h"])
    assert st == 0 and out == b"" and err.decode().startswith("Usage: flow-synonly")


def test_records_without_tcp_flags_are_refused(run_cmd):
    st, out, err = run_cmd(["flow-synonly"], stdin=stream([], version=8))
    assert st == 1
    assert error_lines(err) == ["flow-synonly: records of version 8.1 have no prot field"]


def test_bad_and_missing_operands(run_cmd, tmp_path):
    good = tmp_path / "good.ft"
    good.write_bytes(stream(EDGES))
    text = tmp_path / "notes.txt"
    text.write_text("not a flow file\n")
    trunc = tmp_path / "trunc.ft"
    trunc.write_bytes(stream(EDGES)[:-10])
    st, out, err = run_cmd(["flow-synonly", "/nonexistent.ft", str(text), str(good), str(trunc)])
    assert st == 1
    assert passed(out) == [2, 2]                 # the good file and the truncated one's records
    lines = error_lines(err)
    assert any("nonexistent.ft" in ln for ln in lines)
    assert any("partial record" in ln for ln in lines)
    st, out, err = run_cmd(["flow-synonly", "/nonexistent.ft"])
    assert st == 1 and out == b""
    assert error_lines(err)[-1] == "flow-synonly: no readable flow input"
    st, out, err = run_cmd(["flow-synonly"], stdin=b"")
    assert st == 1 and out == b""
    error_lines(err)


def test_mixed_versions_are_refused(run_cmd, tmp_path):
    a, b = tmp_path / "a.ft", tmp_path / "b.ft"
    a.write_bytes(stream(EDGES))
    b.write_bytes(oracle.write_stream({"d_version": 7, "flags": 0}, []))
    st, out, err = run_cmd(["flow-synonly", str(a), str(b)])
    assert st == 1 and error_lines(err)


def test_broken_pipe_is_silent(run_cmd, tmp_path):
    p = tmp_path / "in.ft"
    p.write_bytes(stream([rec(prot=TCP, tcp_flags=2, srcaddr=i) for i in range(200000)]))
    st, out, err = run_cmd('flow-synonly %s | head -c 100 > /dev/null; '
                           'echo "${PIPESTATUS[0]}" >&2' % p)
    assert err == b"141\n"                   # SIGPIPE, nothing on stderr


def test_binary_output_refused_on_a_terminal(tmp_path, flow_bin):
    import harness
    f = tmp_path / "in.ft"
    f.write_bytes(stream(EDGES))
    master, slave = os.openpty()
    try:
        res = subprocess.run([str(flow_bin / "flow-synonly"), str(f)], stdout=slave,
                             stderr=subprocess.PIPE, env=harness.case_env(), timeout=20)
    finally:
        os.close(slave)
        os.close(master)
    assert res.returncode == 1
    assert error_lines(res.stderr) == [
        "flow-synonly: will not write binary flow data to a terminal"]


# ---- in-process ---------------------------------------------------------

def load():
    from pyflowtools.commands import flow_synonly
    return flow_synonly


def test_in_process_statuses(tmp_path, capsysbinary):
    from pyflowtools import cli
    mod = load()
    f = tmp_path / "in.ft"
    f.write_bytes(stream(EDGES))
    assert cli.run(mod.main, ["-R", str(f)]) == 0
    out, err = capsysbinary.readouterr()
    assert passed(out) == [0x14] and err == b""
    assert cli.run(mod.main, ["-F", "nope"]) == 1
    assert cli.run(mod.main, ["-h"]) == 0
    out, err = capsysbinary.readouterr()
    assert out == b"" and err.startswith(b"flow-synonly: bad TCP flags value: nope\nUsage:")
