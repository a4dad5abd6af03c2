"""flow-split as a command: options, statuses, the one-line stderr rule,
file names and headers, real pipes.  Byte-exact outputs are covered by the
conformance corpus (split-); the cutting rules by tests/test_split.py."""
import os

import pytest

import oracle

RECS = [oracle.record("5", unix_secs=100 + t, srcaddr=i, dPkts=1)
        for i, t in enumerate((0, 10, 30, 31, 32, 70))]


@pytest.fixture
def data(require):
    require("flow-split")
    return oracle.v5_stream(RECS)


def files(d):
    return sorted(os.listdir(d))


def read(d, name):
    return oracle.read_stream((d / name).read_bytes())


def one_error(err, line):
    text = err.decode()
    assert "Traceback" not in text
    assert text == "flow-split: %s\n" % line, text


def test_n_and_defaults(run_cmd, data, tmp_path):
    st, out, err = run_cmd(["flow-split", "-N", "4"], stdin=data)
    assert (st, out, err) == (0, b"", b"")
    assert files(tmp_path) == ["T", "split.0", "split.1"]
    h, recs = read(tmp_path, "split.0")
    assert recs == RECS[:4] and h["flows_count"] == 4
    assert (h["cap_start"], h["cap_end"]) == (100, 131)
    assert h["flags"] & oracle.HF_COMPRESS and h["flags"] & oracle.HF_DONE
    assert not h["flags"] & oracle.HF_STREAMING and h["byte_order"] == "little"
    assert read(tmp_path, "split.1")[1] == RECS[4:]


def test_t_keeps_the_crossing_record(run_cmd, data, tmp_path):
    """commands.md 13: +0 +10 +30 +31 with -T 30: all four in file 0, whose
    capture start and end are the crossing record's time."""
    st, _, _ = run_cmd(["flow-split", "-T", "30", "-o", "t", "-z", "0"], stdin=data)
    assert st == 0
    h, recs = read(tmp_path, "t.0")
    assert recs == RECS[:4] and (h["cap_start"], h["cap_end"], h["flows_count"]) == (131, 131, 4)
    assert not h["flags"] & oracle.HF_COMPRESS
    h, recs = read(tmp_path, "t.1")
    assert recs == RECS[4:] and (h["cap_start"], h["cap_end"]) == (170, 170)


def test_header_options(run_cmd, data, tmp_path):
    st, _, _ = run_cmd(["flow-split", "-N", "100", "-b", "BIG", "-z", "9", "-C", "a b",
                        "-o", "x"], stdin=data)
    assert st == 0
    h, recs = read(tmp_path, "x.0")
    assert h["byte_order"] == "big" and h["comments"] == "a b" and recs == RECS


def test_tags_and_names(run_cmd, tmp_path, require):
    require("flow-split")
    recs = [oracle.record("1005", src_tag=t, dst_tag=0x14) for t in (0x11, 7, 0x11, 65537)]
    data = oracle.write_stream({"d_version": 1005, "flags": oracle.HF_STREAMING}, recs)
    st, _, _ = run_cmd(["flow-split", "-g", "-o", "g"], stdin=data)
    assert st == 0 and files(tmp_path) == ["T", "g.17.0", "g.65537.0", "g.7.0"]
    assert read(tmp_path, "g.17.0")[1] == [recs[0], recs[2]]
    st, _, _ = run_cmd(["flow-split", "-G", "-n", "-N", "3", "-o", "n"], stdin=data)
    assert st == 0 and "n.CHMCC.0" in files(tmp_path) and "n.CHMCC.1" in files(tmp_path)


@pytest.mark.parametrize("args,line", [
    (["-g", "-G"], "Split on destination or source."),
    (["-G", "-g"], "Split on destination or source."),
    (["-g"], "Flow record missing source tag."),
    (["-G"], "Flow record missing destination tag."),
    (["-z", "10"], "Compression level must be between 0 and 9"),
    (["-b", "middle"], 'expecting "big" or "little"'),
    (["-o", "x" * 232], "base output too long"),
    (["file"], "Extra arguments starting with file."),
])
def test_errors_exit_1_with_one_line(run_cmd, data, tmp_path, args, line):
    st, out, err = run_cmd(["flow-split"] + args, stdin=data)
    assert (st, out) == (1, b"")
    one_error(err, line)
    assert files(tmp_path) == ["T"]


def test_help_and_unknown_options_exit_1(run_cmd, data):
    for args in (["-h"], ["-q"], ["-N"]):
        st, out, err = run_cmd(["flow-split"] + args, stdin=data)
        assert (st, out) == (1, b"") and b"Usage: flow-split" in err, args


def test_bad_and_empty_input(run_cmd, tmp_path, require):
    require("flow-split")
    st, _, err = run_cmd(["flow-split"], stdin=b"not a flow file at all")
    assert st == 1 and b"Traceback" not in err and files(tmp_path) == ["T"]
    st, _, err = run_cmd(["flow-split"], stdin=oracle.v5_stream([]))
    assert (st, err) == (0, b"") and files(tmp_path) == ["T"]


def test_truncated_input_keeps_the_whole_records(run_cmd, data, tmp_path):
    st, _, _ = run_cmd(["flow-split", "-o", "c"], stdin=data[:-10])
    assert st == 0 and read(tmp_path, "c.0")[1] == RECS[:-1]


def test_unwritable_folder(run_cmd, data, tmp_path):
    st, _, err = run_cmd(["flow-split", "-o", str(tmp_path / "none" / "x")], stdin=data)
    assert st == 1
    one_error(err, "open(%s): No such file or directory" % (tmp_path / "none" / "x.0"))


def test_a_pipe_and_debug_profile(run_cmd, data, tmp_path):
    st, _, err = run_cmd("flow-gen -n 1000 | flow-split -N 300 -d 1 -o p")
    assert st == 0 and files(tmp_path) == ["T", "p.0", "p.1", "p.2", "p.3"]
    assert err.decode().startswith("flow-split: processed 1000 flows\n")
    _, whole, _ = run_cmd("flow-gen -n 1000 | flow-print -f 3")
    st, pieces, _ = run_cmd("flow-cat p.0 p.1 p.2 p.3 | flow-print -f 3")
    assert st == 0 and pieces == whole and len(whole.splitlines()) == 1001
