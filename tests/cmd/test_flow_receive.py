"""flow-receive on 127.0.0.1: -o file with the header finalised on exit,
stdout streaming header, signals, -z, -V, statuses."""
import signal
import subprocess
import sys

import pytest

import collector as c
import oracle
from pyflowtools.netflow import pdu, udp
from pyflowtools.core.native import ffi, lib, rec_size


def gen(rt, n):
    buf = bytearray(n * rec_size(rt))
    assert lib.ftc_recs_gen(rt, 0, n, ffi.from_buffer("uint8_t[]", buf)) >= 0
    return bytes(buf)


def receive(port, *args, stdout=None):
    return c.Proc([str(c.BIN / "flow-receive")] + list(args) + ["127.0.0.1/0/%d" % port],
                  port, stdout=stdout)


def send(port, dgrams):
    s = udp.sender(("127.0.0.1", port))
    with s.sock:
        s.send_list(dgrams)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT])
@pytest.mark.parametrize("args,flags", [([], oracle.HF_DONE),
                                        (["-z", "6"], oracle.HF_DONE | oracle.HF_COMPRESS)])
def test_output_file_header_finalised(tmp_path, sig, args, flags):
    port = c.free_port()
    out = tmp_path / "out.ft"
    rt = lib.FTC_RT_V5
    recs = gen(rt, 100)
    with receive(port, "-o", str(out), "-C", "hello", *args) as p:
        send(port, pdu.encode(recs, rt) + [b"bad"])
        assert c.wait_drained(port)
        status, err = p.stop(sig)
    assert status == 0 and "Cleaning up" in err
    h, got = c.read(out)
    assert h["tlv_types"] == [2, 6, 7, 8, 10, 11, 13, 14, 15, 16]
    assert h["flags"] == flags and h["flows_count"] == 100 and h["pkts_corrupt"] == 1
    assert [r["srcaddr"] for r in got] == list(range(100))
    assert all(r["exaddr"] == c.LOCAL for r in got)


def test_stdout_stream_header(tmp_path):
    port = c.free_port()
    rt = lib.FTC_RT_V8_2
    recs = gen(rt, 60)
    outpath = tmp_path / "stdout"
    with open(outpath, "wb") as f, receive(port, "-b", "big", stdout=f) as p:
        send(port, pdu.encode(recs, rt))
        assert c.wait_drained(port)
        assert p.stop()[0] == 0
    h, got = c.read(outpath)
    assert h["tlv_types"] == [2, 3, 4, 6, 8, 15] and h["flags"] == oracle.HF_STREAMING
    assert h["byte_order"] == "big" and len(got) == 60 and h["agg_method"] == 2


def test_version_option_translates(tmp_path):
    port = c.free_port()
    out = tmp_path / "o.ft"
    with receive(port, "-V", "7", "-o", str(out)) as p:
        send(port, pdu.encode(gen(lib.FTC_RT_V5, 10), lib.FTC_RT_V5))
        assert c.wait_drained(port)
        assert p.stop()[0] == 0
    h, got = c.read(out)
    assert h["d_version"] == 7 and len(got) == 10


def _run(args):
    r = subprocess.run([sys.executable, str(c.BIN / "flow-receive")] + args, env=c.env(),
                       capture_output=True, timeout=20)
    return r.returncode, r.stderr.decode()


def test_statuses():
    assert _run(["-h"])[0] == 0
    assert _run(["-q"])[0] == 0
    st, err = _run(["0/0/1", "0/0/2"])
    assert st == 1 and err == "flow-receive: Illegal option: 0/0/2\n"
    st, err = _run(["-z", "10"])
    assert st == 1 and "Traceback" not in err


def test_output_never_written_through_a_planted_symlink(tmp_path):
    """-o names a symlink (planted to make the collector overwrite its
    target): refused with one line, the target untouched (issue 13)."""
    port = c.free_port()
    target = tmp_path / "victim"
    target.write_bytes(b"precious")
    out = tmp_path / "o.ft"
    out.symlink_to(target)
    with receive(port, "-V", "5", "-o", str(out)) as p:   # -V: the file opens at once
        send(port, pdu.encode(gen(lib.FTC_RT_V5, 10), lib.FTC_RT_V5))
        status, err = p.p.wait(timeout=30), p.log()     # it stops by itself
    assert target.read_bytes() == b"precious" and out.is_symlink()
    assert status == 1 and "Traceback" not in err, err
    assert "flow-receive: " in err and "symbolic link" in err
