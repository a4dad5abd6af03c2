"""Operands that can be read only once (a FIFO, bash's `<(...)`, a /dev/fd
pipe): their header is probed and their records read through the same open
file.  Opening such an operand twice lost the header ("bad magic number")."""
import os
import subprocess

import pytest

import oracle


@pytest.fixture
def gen(run_cmd):
    st, data, _ = run_cmd("flow-gen -n 1000")
    assert st == 0
    return data


def _records(data):
    return oracle.read_stream(data)[1]


@pytest.mark.parametrize("prog", ["flow-cat", "flow-synonly -F 0/0", "flow-topn -o tsv"])
def test_process_substitution(run_cmd, gen, tmp_path, prog):
    plain = tmp_path / "gen.ft"
    plain.write_bytes(gen)
    st, want, err0 = run_cmd("%s %s" % (prog, plain))
    assert st == 0, err0
    st, out, err = run_cmd("%s <(flow-gen -n 1000)" % prog)
    assert err == b"" and st == 0, err
    assert out == want


def test_cat_two_substitutions(run_cmd, gen):
    st, out, err = run_cmd("flow-cat <(flow-gen -n 1000) <(flow-gen -n 1000 -z 6)")
    assert st == 0 and err == b"", err
    assert _records(out) == _records(gen) * 2


@pytest.mark.parametrize("prog", ["flow-cat", "flow-synonly -F 0/0"])
def test_fifo(run_cmd, gen, tmp_path, prog):
    plain = tmp_path / "gen.ft"
    plain.write_bytes(gen)
    st, want, err0 = run_cmd("%s %s" % (prog, plain))
    assert st == 0, err0
    fifo = tmp_path / "flows.fifo"
    os.mkfifo(fifo)
    # the writer blocks in open() until the command opens the FIFO to read
    st, out, err = run_cmd("flow-gen -n 1000 > %s & %s %s; wait" % (fifo, prog, fifo))
    assert st == 0 and err == b"", err
    assert out == want
    if prog == "flow-cat":
        assert _records(out) == _records(gen)


def test_dev_fd_pipe(flow_bin, gen, tmp_path):
    r, w = os.pipe()
    env = dict(os.environ, PATH=str(flow_bin) + os.pathsep + os.environ.get("PATH", ""))
    p = subprocess.Popen(["flow-cat", "/dev/fd/%d" % r], pass_fds=(r,), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(r)
    os.write(w, gen)
    os.close(w)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 0 and err == b"", err
    assert _records(out) == _records(gen)
