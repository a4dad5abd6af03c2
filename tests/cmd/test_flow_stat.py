"""flow-stat as a command: statuses (help, unknown option, bad format, extra
argument, bad input, missing field, bad sort field), the one-line stderr
rule, -d, dPkts 0, -p/-c, -hh, broken pipe, pipelines with flow-gen and
flow-filter; the articles' Top N examples."""
import pytest

import oracle


@pytest.fixture(autouse=True)
def _needs(require):
    require("flow-stat")


rec = oracle.record
ip = oracle.ipv4


def error_lines(err):
    text = err.decode()
    assert "Traceback" not in text
    return [ln for ln in text.split("\n") if ln]


def body(out):
    """The output after the Report Information block."""
    lines = out.decode().split("\n")
    end = [i for i, ln in enumerate(lines) if ln.startswith("# Args:")][0]
    return "\n".join(lines[end + 2:])


SAMPLE = [
    rec("5", srcaddr=ip("10.0.0.1"), dstaddr=ip("192.168.10.20"), prot=6, srcport=40000,
        dstport=80, dPkts=10, dOctets=4520, First=3590000, Last=3599000),
    rec("5", srcaddr=ip("10.0.0.2"), dstaddr=ip("192.168.10.21"), prot=6, srcport=40001,
        dstport=22, dPkts=1, dOctets=40, First=3595000, Last=3595000),
    rec("5", srcaddr=ip("10.0.0.1"), dstaddr=ip("8.8.8.8"), prot=17, srcport=53001,
        dstport=53, dPkts=1, dOctets=76, First=3597000, Last=3597000),
    rec("5", srcaddr=ip("10.0.0.4"), dstaddr=ip("8.8.4.4"), prot=1, dstport=2048,
        dPkts=4, dOctets=336, First=3580000, Last=3583000),
    rec("5", srcaddr=ip("10.0.0.2"), dstaddr=ip("10.0.0.9"), prot=6, srcport=1025,
        dstport=1434, dPkts=3, dOctets=1500, First=0, Last=10),
]


def test_report_and_status(run_cmd):
    st, out, err = run_cmd(["flow-stat", "-f", "9", "-S", "3"], stdin=oracle.v5_stream(SAMPLE))
    assert (st, err) == (0, b"")
    assert out.decode().startswith("#  --- ---- ---- Report Information --- --- ---\n")
    assert "# Args:      flow-stat -f 9 -S 3 \n" in out.decode()
    assert body(out).split("\n")[3:6] == [
        "10.0.0.1         2                     4596                  11",
        "10.0.0.4         1                     336                   4",
        "10.0.0.2         2                     1540                  4"]


@pytest.mark.parametrize("argv,status,first", [
    (["-h"], 0, "Usage: flow-stat"),
    (["-Q"], 0, "flow-stat: invalid option -- 'Q'"),
    (["-f", "33"], 1, "flow-stat: No such format, 33"),
    (["-f", "0", "extra"], 1, "flow-stat: Extra arguments starting with extra."),
])
def test_statuses_before_reading(run_cmd, argv, status, first):
    st, out, err = run_cmd(["flow-stat"] + argv, stdin=oracle.v5_stream(SAMPLE))
    assert st == status and out == b""
    assert error_lines(err)[0].startswith(first)


def test_help_twice_lists_the_formats(run_cmd):
    st, out, err = run_cmd(["flow-stat", "-hh"])
    lines = error_lines(err)
    assert st == 0 and out == b"" and lines[0].startswith("Usage: flow-stat")
    assert " -f 32  Source/Destination Tag" in lines and len(lines) == 2 + 33


@pytest.mark.parametrize("data", [b"", b"not a flow file at all, just text\n"])
def test_bad_input_is_one_line_and_status_1(run_cmd, data):
    st, out, err = run_cmd(["flow-stat", "-f", "5"], stdin=data)
    lines = error_lines(err)
    assert st == 1 and out == b"" and len(lines) == 1 and lines[0].startswith("flow-stat: ")


def test_missing_field_prints_block_and_exits_0(run_cmd):
    v1 = oracle.write_stream({"d_version": 1, "flags": oracle.HF_STREAMING},
                             [rec("1", dPkts=1)])
    st, out, err = run_cmd(["flow-stat", "-f", "19"], stdin=v1)
    assert st == 0 and body(out) == ""
    assert error_lines(err) == ["flow-stat: Flow record missing required field for format."]


def test_bad_sort_field(run_cmd):
    st, out, err = run_cmd(["flow-stat", "-f", "10", "-S", "6"],
                           stdin=oracle.v5_stream(SAMPLE))
    assert st == 0 and body(out) == "" and "# Sorting:   Descending Field 6" in out.decode()
    assert error_lines(err) == ["flow-stat: can't sort on field 7."]
    st, out, err = run_cmd(["flow-stat", "-f", "10", "-S", "5"],
                           stdin=oracle.v5_stream(SAMPLE))
    assert st == 0 and err == b"" and body(out).count("\n") == 3 + len(SAMPLE)


def test_zero_packet_records(run_cmd):
    recs = SAMPLE + [rec("5", dPkts=0, dOctets=99, prot=6, dstport=80)] * 2
    st, out, err = run_cmd(["flow-stat", "-f", "0"], stdin=oracle.v5_stream(recs))
    assert st == 0 and error_lines(err) == ["Ignoring bogus flow dPkts=0"] * 2
    assert "Total Flows                     : 5\n" in out.decode()
    st, out, err = run_cmd(["flow-stat", "-f", "5"], stdin=oracle.v5_stream(recs))
    assert st == 0 and err == b""
    assert "\n80          1                     4520" in out.decode()


def test_comment_character_and_header(run_cmd):
    st, out, err = run_cmd(["flow-stat", "-c", ";;", "-p", "-f", "15"],
                           stdin=oracle.v5_stream(SAMPLE))
    text = out.decode()
    assert st == 0 and err == b""
    assert all(ln.startswith(";") for ln in text.splitlines()[:-1])
    assert "; mode:                 streaming\n" in text
    assert text.endswith("6472                19                  0.006\n")


def test_debug_profile(run_cmd):
    st, out, err = run_cmd(["flow-stat", "-d", "1", "-f", "15"], stdin=oracle.v5_stream(SAMPLE))
    lines = error_lines(err)
    assert st == 0 and lines[0] == "flow-stat: processed 5 flows" and len(lines) == 3


def test_percent_tally(run_cmd):
    st, out, err = run_cmd(["flow-stat", "-P", "-t", "2", "-f", "5"],
                           stdin=oracle.v5_stream(SAMPLE))
    rows = body(out).split("\n")[3:-1]
    assert st == 0 and err == b""
    # TCP and UDP only: 6136 octets, 15 packets, 9010 ms
    assert rows == ["1434        25.000   24.446   20.000",
                    "80          25.000   73.664   66.667",
                    "#SUB 0.000   50.000   98.110   86.667   100.000",
                    "53          25.000   1.239    6.667 ",
                    "22          25.000   0.652    6.667 ",
                    "#SUB 0.000   100.000   100.000   100.000   100.000"]


def test_broken_pipe_is_silent(run_cmd, require):
    require("flow-gen")
    st, out, err = run_cmd("flow-gen -V5 -n 20000 | flow-stat -f 9 | head -n 2; "
                           "echo ${PIPESTATUS[1]}")
    assert out.decode().splitlines()[-1] == "141" and b"Traceback" not in err


def test_top_talkers_to_port_1434(run_cmd, require):
    require("flow-filter")
    st, out, err = run_cmd("flow-filter -P 1434 | flow-stat -f 9 -S 2",
                           stdin=oracle.v5_stream(SAMPLE))
    assert st == 0 and err == b""
    assert body(out).split("\n")[3:-1] == [
        "10.0.0.2         1                     1500                  3"]


def test_top_sessions_by_flows(run_cmd):
    st, out, err = run_cmd(["flow-stat", "-f", "10", "-S", "2"],
                           stdin=oracle.v5_stream(SAMPLE + SAMPLE[:1]))
    assert st == 0 and body(out).split("\n")[3].startswith(
        "10.0.0.1         192.168.10.20    2  ")


def test_plot_data_streams_every_record(run_cmd):
    st, out, err = run_cmd(["flow-stat", "-f", "14"], stdin=oracle.v5_stream(SAMPLE))
    text = body(out)
    assert st == 0 and err == b""
    assert text.count("\n\n") == len(SAMPLE)
    assert text.splitlines()[-1] == ("# xmin=0            ymin=10           xmax=3599000"
                                     "      ymax=3         ")


def test_hash_listing_blocks_of_65536_newest_first(run_cmd, require):
    require("flow-gen")
    st, out, err = run_cmd("flow-gen -V5 -n 70000 | flow-stat -f 9")
    rows = [ln.split()[0] for ln in body(out).split("\n")[3:-1]]
    assert st == 0 and len(rows) == 70000
    # flow-gen's i-th flow comes from address i: keys 65536.. first, then 0..65535
    assert rows[:2] == ["0.1.0.0", "0.1.0.1"] and rows[4463:4466] == [
        "0.1.17.111", "0.0.0.0", "0.0.0.1"] and rows[-1] == "0.0.255.255"
