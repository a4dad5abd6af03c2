"""flow-merge as a command: options, statuses, the one-line stderr rule,
output headers, operands (files, directories, stdin, missing and non-flow
files), real pipes, the tty guard.  Byte-exact outputs are covered by the
conformance corpus (merge-); the merge order by tests/test_merge.py."""
import pytest

import oracle


def stream(times, start=None, end=None, version=5, tag=0, **extra):
    """A v5 stream whose records end at the given seconds (Last, ms)."""
    recs = [oracle.record(str(version), Last=1000 * t, srcaddr=tag, **extra) for t in times]
    h = {"d_version": version, "flags": oracle.HF_STREAMING}
    if start is not None:
        h.update(flags=oracle.HF_DONE, cap_start=start, cap_end=end)
    return oracle.write_stream(h, recs)


@pytest.fixture
def inputs(require, tmp_path):
    require("flow-merge")
    paths = {}
    for name, data in (("a", stream([1, 4, 5], 50, 60, tag=1)),
                       ("b", stream([2, 4, 9], 40, 70, tag=2)),
                       ("v1", stream([3], version=1))):
        paths[name] = tmp_path / (name + ".ft")
        paths[name].write_bytes(data)
    return paths


def order(out):
    return [(r["Last"] // 1000, r["srcaddr"]) for r in oracle.read_stream(out)[1]]


def test_interleaves_by_end_time(run_cmd, inputs):
    st, out, err = run_cmd(["flow-merge", str(inputs["a"]), str(inputs["b"])])
    assert (st, err) == (0, b"")
    assert order(out) == [(1, 1), (2, 2), (4, 1), (4, 2), (5, 1), (9, 2)]
    h = oracle.read_stream(out)[0]
    assert h["flags"] & oracle.HF_STREAMING and "cap_start" not in h and "comments" not in h


def test_operand_order_breaks_ties(run_cmd, inputs):
    st, out, _ = run_cmd(["flow-merge", str(inputs["b"]), str(inputs["a"])])
    assert st == 0 and order(out)[2:4] == [(4, 2), (4, 1)]


def test_o_header(run_cmd, inputs, tmp_path):
    st, out, _ = run_cmd(["flow-merge", "-o", "m.ft", "-z", "5", "-b", "big", "-C", "c",
                          str(inputs["a"]), str(inputs["b"])])
    assert (st, out) == (0, b"")
    h, recs = oracle.read_stream((tmp_path / "m.ft").read_bytes())
    assert (h["cap_start"], h["cap_end"], h["flows_count"]) == (40, 70, 6)
    assert h["flags"] & oracle.HF_DONE and not h["flags"] & oracle.HF_STREAMING
    assert h["byte_order"] == "big" and h["flags"] & oracle.HF_COMPRESS
    assert h["comments"] == "c" and "flows_lost" not in h and len(recs) == 6


def test_stdin_and_dash(run_cmd, inputs):
    data = inputs["b"].read_bytes()
    st, out, _ = run_cmd(["flow-merge"], stdin=data)
    assert st == 0 and order(out) == [(2, 2), (4, 2), (9, 2)]
    st, out, _ = run_cmd(["flow-merge", str(inputs["a"]), "-"], stdin=data)
    assert st == 0 and len(order(out)) == 6
    st, out, err = run_cmd(["flow-merge"], stdin=b"garbage garbage")
    assert (st, out) == (1, b"") and b"Traceback" not in err


def test_missing_and_non_flow_files_are_skipped(run_cmd, inputs, tmp_path):
    (tmp_path / "text").write_text("hello\n" * 10)
    st, out, err = run_cmd(["flow-merge", "nope.ft", "text", str(inputs["a"])])
    assert st == 0 and len(order(out)) == 3
    lines = err.decode().splitlines()
    assert lines[0] == "flow-merge: open(nope.ft): No such file or directory"
    assert all(line.startswith("flow-merge: ") for line in lines)
    st, out, _ = run_cmd(["flow-merge", "nope.ft"])
    assert (st, out) == (0, b"")


def test_version_mismatch_writes_the_header_and_exits_1(run_cmd, inputs):
    st, out, err = run_cmd(["flow-merge", str(inputs["a"]), str(inputs["v1"])])
    assert st == 1 and err.decode() == "flow-merge: data version or sub version changed!\n"
    h, recs = oracle.read_stream(out)
    assert h["d_version"] == 5 and recs == []


def test_directory_a_and_g(run_cmd, inputs, tmp_path):
    d = tmp_path / "dir"
    (d / "sub").mkdir(parents=True)
    (d / "ft-1").write_bytes(stream([3], 10, 20, tag=3))
    (d / "sub" / "ft-2").write_bytes(stream([3], 5, 20, tag=4))
    (d / "tmp-3").write_bytes(stream([3], 1, 20, tag=5))
    st, out, _ = run_cmd(["flow-merge", str(d)])
    assert st == 0 and order(out) == [(3, 4), (3, 3)]       # by capture start
    st, out, _ = run_cmd(["flow-merge", "-a", str(d)])
    assert st == 0 and order(out) == [(3, 5), (3, 4), (3, 3)]
    st, out, _ = run_cmd(["flow-merge", "-m", str(d), str(d / "sub")])
    assert st == 0 and order(out) == [(3, 4), (3, 3), (3, 4)]
    st, out, _ = run_cmd(["flow-merge", "-g", str(d), str(d / "sub")])
    assert st == 0 and order(out) == [(3, 4), (3, 4), (3, 3)]


@pytest.mark.parametrize("args", [["-h", "A"], ["-q", "A"], ["-i", "x", "A"], ["A", "-i"],
                                  ["A", "-o"]])
def test_help_unknown_and_i_exit_1(run_cmd, inputs, args):
    st, out, err = run_cmd(["flow-merge"] + [str(inputs["a"]) if a == "A" else a for a in args])
    assert (st, out) == (1, b"") and b"Usage: flow-merge" in err, args


@pytest.mark.parametrize("args,line", [
    (["-z", "10"], "Compression level must be between 0 and 9"),
    (["-b", "x"], 'expecting "big" or "little"'),
])
def test_bad_values(run_cmd, inputs, args, line):
    st, out, err = run_cmd(["flow-merge"] + args + [str(inputs["a"])])
    assert (st, out, err.decode()) == (1, b"", "flow-merge: %s\n" % line)


def test_broken_pipe_and_profile(run_cmd, require):
    require("flow-gen")
    st, out, err = run_cmd("flow-gen -n 200000 > g.ft; flow-merge g.ft g.ft | head -c 100 "
                           "| wc -c; echo ${PIPESTATUS[0]}")
    assert out.split() == [b"100", b"141"] and b"Traceback" not in err
    st, _, err = run_cmd(["flow-merge", "-d", "1", "g.ft"])
    assert st == 0 and err.decode().startswith("flow-merge: processed 200000 flows\n")


def test_refuses_a_terminal(run_cmd, inputs):
    st, out, err = run_cmd("script -qec 'flow-merge %s' /dev/null" % inputs["a"])
    if b"script:" in err:
        pytest.skip("no script(1)")
    assert b"terminal" in out + err
