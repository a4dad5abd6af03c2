"""The commands on v1006 streams (IPv4 and IPv6 flows, man
flow-tools-v1006(5)): flow-gen -V 1006, flow-cat -V conversions, flow-header,
flow-print's format 25, and the clean one-line refusals of the others."""
import ipaddress

import pytest

import oracle

U32 = 0xFFFFFFFF


def one_error_line(err, prog):
    text = err.decode()
    assert "Traceback" not in text
    lines = text.strip("\n").split("\n")
    assert all(line.startswith(prog + ": ") for line in lines if line), text
    return lines


def v6(text):
    return int(ipaddress.IPv6Address(text))


def mixed_records():
    """IPv4 and IPv6 flows, every field set."""
    out = []
    for i in range(40):
        r = oracle.record("1006", unix_secs=1700000000 + i, unix_nsecs=i * 1000000,
                          sysUpTime=100000, exaddr=0x0A0000FE, dPkts=i + 1,
                          dOctets=40 * (i + 1), First=90000 + i, Last=95000 + i,
                          input=i, output=2 * i, srcport=1024 + i, dstport=80, prot=6,
                          tos=i, tcp_flags=0x12, engine_type=1, engine_id=2, src_mask=24,
                          dst_mask=16, src_as=65000 + i, dst_as=i, src_tag=i, dst_tag=7)
        if i % 3:
            r = oracle.with_addr6(r, "srcaddr", oracle.mapped(0x0A000000 + i))
            r = oracle.with_addr6(r, "dstaddr", oracle.mapped(0xC0A80000 + i))
            r = oracle.with_addr6(r, "nexthop", oracle.mapped(0x0A0000FE))
        else:
            r = oracle.with_addr6(r, "srcaddr", v6("2001:db8::%x" % (i + 1)))
            r = oracle.with_addr6(r, "dstaddr", v6("2001:db8:1::%x" % (i + 1)))
            r = oracle.with_addr6(r, "nexthop", v6("fe80::1"))
            r["flow_label"] = 0x12345 + i
            r["src_mask"], r["dst_mask"] = 64, 128
        out.append(r)
    return out


@pytest.fixture(params=[("little", 0), ("big", 6)], ids=["le", "be-z6"])
def mixed(request, tmp_path):
    order, level = request.param
    recs = mixed_records()
    p = tmp_path / "mixed.ft"
    p.write_bytes(oracle.write_stream({"d_version": 1006, "flags": oracle.HF_STREAMING},
                                      recs, order, level))
    return p, recs


def test_cat_V5_keeps_exactly_the_ipv4_flows(run_cmd, mixed):
    path, recs = mixed
    st, out, err = run_cmd(["flow-cat", "-V", "5", str(path)])
    assert st == 0 and err == b""
    h, got = oracle.read_stream(out)
    assert h["d_version"] == 5
    four = [r for r in recs if oracle.is_ipv4(r)]
    assert 0 < len(four) < len(recs)
    assert got == [{n: r[n] for n in oracle.fields("5")} for r in four]


@pytest.mark.parametrize("v", ["1", "6", "7", "1005"])
def test_cat_V_other_ipv4_versions(run_cmd, mixed, v):
    path, recs = mixed
    st, out, _ = run_cmd(["flow-cat", "-V", v, str(path)])
    assert st == 0
    four = [r for r in recs if oracle.is_ipv4(r)]
    assert oracle.read_stream(out)[1] == [
        {n: r.get(n, 0) for n in oracle.fields(v)} for r in four]


def test_cat_V1006_of_v5_is_mapped_and_back_identical(run_cmd, tmp_path):
    st, v5, _ = run_cmd("flow-gen -V5 -n 300 -b big")
    p = tmp_path / "v5.ft"
    p.write_bytes(v5)
    st, there, err = run_cmd(["flow-cat", "-V", "1006", "-z", "3", str(p)])
    assert st == 0 and err == b""
    h, recs6 = oracle.read_stream(there)
    recs5 = oracle.read_stream(v5)[1]
    assert h["d_version"] == 1006 and len(recs6) == 300
    for r5, r6 in zip(recs5, recs6):
        assert oracle.is_ipv4(r6)
        for name, _ in oracle.ADDRS6:
            assert oracle.addr6(r6, name) == oracle.mapped(r5[name])
        assert all(r6[n] == r5[n] for n in oracle.fields("5") if n in r6)
        assert r6["flow_label"] == r6["src_tag"] == r6["dst_tag"] == 0
    st, back, _ = run_cmd(["flow-cat", "-V", "5", "-b", "big", "-"], stdin=there)
    assert st == 0
    assert oracle.read_stream(back)[1] == recs5
    # records byte for byte: the same file order, the same bytes after the header
    assert back[oracle.read_header(back)["header_len"]:] == v5[oracle.read_header(v5)["header_len"]:]


def test_cat_V_mixes_input_versions(run_cmd, tmp_path, mixed):
    path, recs = mixed
    st, v5, _ = run_cmd("flow-gen -V5 -n 5")
    p5 = tmp_path / "a5.ft"
    p5.write_bytes(v5)
    st, out, err = run_cmd(["flow-cat", "-g", "-V", "1006", str(path), str(p5)])
    assert st == 0, err
    got = oracle.read_stream(out)[1]
    assert len(got) == len(recs) + 5
    # without -V the versions must agree, as in flow-tools
    st, _, err = run_cmd(["flow-cat", "-g", str(path), str(p5)])
    assert st == 1 and one_error_line(err, "flow-cat")[-1] == \
        "flow-cat: data version or sub version changed!"


def test_cat_copies_v1006_unchanged(run_cmd, mixed):
    path, recs = mixed
    st, out, err = run_cmd(["flow-cat", "-b", "little", str(path)])
    assert st == 0 and err == b""
    h, got = oracle.read_stream(out)
    assert h["d_version"] == 1006 and got == recs


@pytest.mark.parametrize("arg,message", [
    ("9", "Unsupported d_version 9"), ("8.15", "Unsupported agg_method 15"),
    ("x", "Version scan failed")])
def test_cat_bad_V(run_cmd, arg, message):
    st, out, err = run_cmd(["flow-cat", "-V", arg], stdin=b"")
    assert st == 1 and out == b""
    assert one_error_line(err, "flow-cat") == ["flow-cat: " + message]


def test_gen_and_header(run_cmd):
    st, out, err = run_cmd("flow-gen -V 1006 -n 8 | flow-header")
    assert st == 0 and err == b""
    assert "# export version:       1006\n" in out.decode()
    st, out, _ = run_cmd("flow-gen -V 1006 -n 8")
    h, recs = oracle.read_stream(out)
    assert h["d_version"] == 1006 and len(recs) == 8
    assert [oracle.is_ipv4(r) for r in recs] == [True, False] * 4


def test_print_default_is_format_25(run_cmd):
    st, out, err = run_cmd("flow-gen -V 1006 -n 4 | flow-print")
    assert st == 0 and err == b""
    lines = out.decode().split("\n")
    assert lines[0] == ("Start             End               Sif   SrcIPaddress" + " " * 28
                        + "SrcP  DIf   DstIPaddress" + " " * 28
                        + "DstP    P Fl Pkts       Octets")
    assert lines[1] == ""
    assert lines[2] == ("0101.00:00:00.000 0219.17:01:41.760 0     " + "0.0.0.0".ljust(40)
                        + "0     65280 " + "255.255.0.0".ljust(40)
                        + "65280 17  0  1          1         ")
    assert lines[3] == ("0101.00:00:00.001 0219.17:01:41.761 1     " + "2001:db8::1".ljust(40)
                        + "1     65281 " + "2001:db8:0:1::ffff:1".ljust(40)
                        + "65281 17  0  2          2         ")
    st, out2, _ = run_cmd("flow-gen -V 1006 -n 4 | flow-print -f 25")
    assert out2 == out


def test_print_mixed_file_against_ipaddress(run_cmd, mixed):
    path, recs = mixed
    st, out, err = run_cmd(["flow-print", "-f", "25"], stdin=path.read_bytes())
    assert st == 0 and err == b""
    lines = out.decode().split("\n")[2:-1]
    assert len(lines) == len(recs)
    for line, r in zip(lines, recs):
        cols = line.split()
        for name, col in (("srcaddr", 3), ("dstaddr", 6)):
            ip = ipaddress.IPv6Address(oracle.addr6(r, name))
            assert cols[col] == str(ip.ipv4_mapped or ip.compressed)


def test_print_refusals(run_cmd, tmp_path):
    st, out, err = run_cmd("flow-gen -V 1006 -n 3 | flow-print -f 7")
    assert st == 255 and out == b""
    assert one_error_line(err, "flow-print") == [
        "flow-print: Flow record missing required field for format."]
    # format 25 is not one of flow-tools' formats for its own versions
    st, out, err = run_cmd("flow-gen -V 5 -n 3 | flow-print -p -f 25")
    assert st == 1 and out == b""
    assert err.decode() == "flow-print: No such format, 25\n\n"


REFUSING = [
    "flow-send 0/127.0.0.1/9",
    "flow-dscan -b -L cfg/dscan-none",
]


@pytest.mark.parametrize("cmd", REFUSING)
def test_other_commands_refuse_in_one_line(run_cmd, corpus_dir, cmd):
    """As flow-tools refuses an unknown version: `Unsupported d_version 1006`,
    status 1 (the detectors, reading operands, add flow-tools' skip lines)."""
    st, out, err = run_cmd("flow-gen -V 1006 -n 5 | " + cmd.replace("T/", "$T/"), cwd=corpus_dir)
    prog = cmd.split()[0]
    text = err.decode()
    assert st == 1, text
    assert "Traceback" not in text
    lines = text.strip("\n").split("\n")
    assert all(line.startswith(prog + ": ") for line in lines), text
    assert any(line.endswith("Unsupported d_version 1006") for line in lines) or (
        prog == "flow-dscan" and lines[-1] == "flow-dscan: Unsupported d_version 1006: "
        "flow-dscan tracks IPv4 hosts only; flow-cat -V 5 keeps the IPv4 flows"), text


def test_xlate_n_V_converts(run_cmd, mixed):
    path, recs = mixed
    st, out, err = run_cmd(["flow-xlate", "-n", "-V", "5"], stdin=path.read_bytes())
    assert st == 0 and err == b""
    assert len(oracle.read_stream(out)[1]) == sum(oracle.is_ipv4(r) for r in recs)
    st, out, err = run_cmd("flow-gen -n 4 | flow-xlate -n -V 1006")
    assert st == 0 and all(oracle.is_ipv4(r) for r in oracle.read_stream(out)[1])


@pytest.mark.parametrize("cmd", ["flow-import -V 1006 -f 0"])
def test_import_does_not_write_1006_yet(run_cmd, cmd):
    # flow-capture and flow-receive -V 1006: tests/cmd/test_flow_capture_ipv6.py
    st, out, err = run_cmd(cmd, stdin=b"")
    assert st == 1
    lines = one_error_line(err, cmd.split()[0])
    assert "1006" in lines[-1]


def test_fanout_has_no_1006_datagrams(run_cmd):
    """flow-fanout -V re-encodes as a datagram version; v1006 has none
    (v9/IPFIX, IPv6 flows included, are relayed as they came)."""
    st, out, err = run_cmd("flow-fanout -D -V 1006 0/0/1 0/127.0.0.1/2", stdin=b"")
    assert st == 1
    assert one_error_line(err, "flow-fanout")[-1] == "flow-fanout: ftrec_xlate_func(): failed"


def test_cat_walks_directories_of_v1006(run_cmd, tmp_path, mixed):
    path, recs = mixed
    d = tmp_path / "capture" / "2026"
    d.mkdir(parents=True)
    (d / "ft-v1006").write_bytes(path.read_bytes())
    st, out, err = run_cmd(["flow-cat", "-V", "5", str(tmp_path / "capture")])
    assert st == 0 and err == b""
    assert len(oracle.read_stream(out)[1]) == sum(oracle.is_ipv4(r) for r in recs)
    # flow-topn walks it too, every flow counted (IPv6 ones included)
    st, out, err = run_cmd(["flow-topn", "-n", "0", "-o", "tsv", str(tmp_path / "capture")])
    assert st == 0 and err == b""
    rows = [ln.split(b"\t") for ln in out.splitlines() if not ln.startswith(b"#")]
    assert sum(int(r[1]) for r in rows) == len(recs)
