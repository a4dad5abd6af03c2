"""flow-tag, flow-mask and flow-xlate as commands: options, statuses, the
one-line stderr rule (plus the reference's load-failed line), output
headers, -v variables, the round trip tag -> flow-print.  Byte-exact
outputs are covered by the conformance corpus (tag-, mask-, xlate-)."""
import pytest

import oracle

TAG = """tag-action web
  type tcp-dst-port
  match @{PORT:-80} set-dst 0x11
tag-action lan
  type src-prefix
  match 10/8 set-src 0x1
tag-definition d
  term
    action lan
    action web
"""
MASK = "mask-definition default\n  prefix 10/8 12\n"
XLATE = ("xlate-action s\n type scale\n scale 3\n"
         "xlate-action t\n type tag-mask\n mask 0xF 0xF\n"
         "xlate-definition default\n term\n  action s\n"
         "xlate-definition tags\n term\n  action t\n")

BASE = {n: 0 for n in oracle.fields("5")}
RECS = [dict(BASE, srcaddr=0x0A000001, prot=6, dstport=80, dPkts=2, dOctets=100, src_mask=8),
        dict(BASE, srcaddr=0x0B000001, prot=17, dstport=80, dPkts=1, dOctets=50, src_mask=8)]


@pytest.fixture
def env(tmp_path, require):
    for c in ("flow-tag", "flow-mask", "flow-xlate"):
        require(c)
    files = {}
    for name, text in (("tag", TAG), ("mask", MASK), ("xlate", XLATE)):
        files[name] = str(tmp_path / (name + ".cfg"))
        (tmp_path / (name + ".cfg")).write_text(text)
    files["data"] = oracle.write_stream({"d_version": 5, "cap_start": 10, "cap_end": 20,
                                         "flags": oracle.HF_DONE}, RECS)
    files["dir"] = tmp_path
    return files


def one_error(err, prog, second):
    text = err.decode()
    assert "Traceback" not in text
    lines = text.strip("\n").split("\n")
    assert lines[-1] == "%s: %s" % (prog, second), text
    assert all(line.startswith(prog + ": ") for line in lines)
    return lines


def test_tag_writes_v1005_with_tags(run_cmd, env):
    st, out, err = run_cmd(["flow-tag", "-t", env["tag"], "-T", "D"], stdin=env["data"])
    assert (st, err) == (0, b"")
    h, recs = oracle.read_stream(out)
    assert h["d_version"] == 1005 and h["flags"] & oracle.HF_STREAMING
    assert [(r["src_tag"], r["dst_tag"]) for r in recs] == [(1, 0x11), (0, 0)]
    st, out, _ = run_cmd(["flow-tag", "-t", env["tag"], "-T", "d", "-v", "PORT=22"],
                         stdin=env["data"])
    assert [(r["src_tag"], r["dst_tag"]) for r in oracle.read_stream(out)[1]] == [(1, 0), (0, 0)]


def test_tag_round_trip_through_flow_print(run_cmd, env):
    st, out, _ = run_cmd(["flow-tag", "-t", env["tag"], "-T", "d"], stdin=env["data"])
    st, text, _ = run_cmd(["flow-print", "-f", "9"], stdin=out)
    lines = text.decode().splitlines()
    assert st == 0 and lines[1].startswith("0x00000001  0x00000011  10.0.0.1")
    assert lines[2].startswith("0x00000000  0x00000000  11.0.0.1")


@pytest.mark.parametrize("args,second", [
    (["-T", "nope"], "fttag_def_find(): failed"),
    ([], "fttag_def_find(): failed"),
])
def test_tag_unknown_definition(run_cmd, env, args, second):
    st, out, err = run_cmd(["flow-tag", "-t", env["tag"]] + args, stdin=env["data"])
    assert (st, out) == (1, b"")
    one_error(err, "flow-tag", second)


def test_tag_config_errors(run_cmd, env):
    bad = env["dir"] / "bad.cfg"
    bad.write_text("tag-action a\n  type source-port\n")
    st, out, err = run_cmd(["flow-tag", "-t", str(bad), "-T", "a"], stdin=env["data"])
    assert (st, out) == (1, b"")
    lines = one_error(err, "flow-tag", "fttag_load(): failed")
    assert lines[0] == "flow-tag: %s line 2: Unrecognized type." % bad
    bad.write_text("tag-definition d\n term\n  action missing\n")
    st, out, err = run_cmd(["flow-tag", "-t", str(bad), "-T", "d"], stdin=env["data"])
    assert (st, out) == (1, b"")
    assert 'Unable to resolve action "missing"' in one_error(
        err, "flow-tag", "fttag_load(): failed")[0]
    st, out, err = run_cmd(["flow-tag", "-t", str(env["dir"] / "none.cfg"), "-T", "d"],
                           stdin=env["data"])
    assert (st, out) == (1, b"")
    assert "open(" in one_error(err, "flow-tag", "fttag_load(): failed")[0]


def test_tag_refuses_v1(run_cmd, env):
    data = oracle.write_stream({"d_version": 1}, [{n: 0 for n in oracle.fields("1")}])
    st, out, err = run_cmd(["flow-tag", "-t", env["tag"], "-T", "d"], stdin=data)
    assert (st, out) == (1, b"")
    one_error(err, "flow-tag", "Flow record missing required field for tagging.")


@pytest.mark.parametrize("cmd", ["flow-tag", "flow-mask", "flow-xlate"])
def test_help_and_bad_options_exit_1(run_cmd, env, cmd):
    st, out, err = run_cmd([cmd, "-h"])
    assert (st, out) == (1, b"") and b"Usage: " + cmd.encode() in err
    st, _, _ = run_cmd([cmd, "-q"])
    assert st == 1
    st, out, err = run_cmd([cmd, "extra"], stdin=env["data"])
    assert (st, out) == (1, b"")


@pytest.mark.parametrize("cmd,opt", [("flow-tag", ["-T", "d"]), ("flow-mask", []),
                                     ("flow-xlate", [])])
def test_header_options(run_cmd, env, cmd, opt):
    flag = {"flow-tag": "-t", "flow-mask": "-m", "flow-xlate": "-x"}[cmd]
    cfg = env[{"flow-tag": "tag", "flow-mask": "mask", "flow-xlate": "xlate"}[cmd]]
    st, out, _ = run_cmd([cmd, flag, cfg, "-b", "big", "-z", "3", "-C", "hi", "-k"] + opt,
                         stdin=env["data"])
    assert st == 0
    h, recs = oracle.read_stream(out)
    assert h["byte_order"] == "big" and h["flags"] & oracle.HF_COMPRESS
    assert h["flags"] & oracle.HF_PRELOADED and h["comments"] == "hi"
    assert (h["cap_start"], h["cap_end"]) == (0, 0) and len(recs) == 2


def test_mask_rewrites_lengths(run_cmd, env):
    st, out, err = run_cmd(["flow-mask", "-m", env["mask"]], stdin=env["data"])
    assert (st, err) == (0, b"")
    h, recs = oracle.read_stream(out)
    assert h["d_version"] == 5 and [r["src_mask"] for r in recs] == [12, 8]
    st, out, err = run_cmd(["flow-mask", "-m", env["mask"], "-M", "x"], stdin=env["data"])
    assert (st, out) == (1, b"")
    one_error(err, "flow-mask", "ftmask_def_find(): failed")


def test_xlate_definition_and_version(run_cmd, env):
    st, out, err = run_cmd(["flow-xlate", "-x", env["xlate"], "-V", "7"], stdin=env["data"])
    assert (st, err) == (0, b"")
    h, recs = oracle.read_stream(out)
    assert h["d_version"] == 7 and [r["dPkts"] for r in recs] == [6, 3]
    st, out, err = run_cmd(["flow-xlate", "-x", env["xlate"], "-X", "tags"], stdin=env["data"])
    assert (st, out) == (1, b"")
    one_error(err, "flow-xlate", "Xlate references a field not in flow.")
    st, out, err = run_cmd(["flow-xlate", "-n", "-V", "3"], stdin=env["data"])
    assert (st, out) == (1, b"")
    one_error(err, "flow-xlate", "ftio_set_ver(): failed")
    st, out, _ = run_cmd(["flow-xlate", "-n", "-V", "8.1"], stdin=env["data"])
    h, recs = oracle.read_stream(out)
    assert st == 0 and (h["d_version"], h["agg_method"]) == (8, 1)
    assert all(set(r.values()) == {0} for r in recs) and len(recs) == 2


def test_empty_input_fails_as_readers_do(run_cmd, env):
    st, out, err = run_cmd(["flow-mask", "-m", env["mask"]], stdin=b"")
    assert st == 1 and out == b"" and b"Traceback" not in err
