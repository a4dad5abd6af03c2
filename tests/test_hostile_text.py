"""Every reader of outside text (configs, ACLs, zones, symbol files, lists,
baselines, log and report lines) takes arbitrary bytes: a result, or one
FlowToolsError whose message is one line, never another exception (issue
13: flow-log2rrd on binary input ended in a UnicodeDecodeError traceback)."""
import os
import subprocess
import sys
import tempfile

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pyflowtools.core.errors import FlowToolsError
from pyflowtools.filters import acl, maskcfg, nfilter, tagcfg, xlatecfg
from pyflowtools.report import dscan, rptfmt, rrd, statcfg, symbols, topn, zones

# bytes that are not UTF-8, NULs, lone CRs and other line breaks Python
# knows (\x0b \x0c \x1c \x85 \u2028 as UTF-8), long runs, and text close to
# each syntax
_WORDS = [b"\xff\xfe", b"\x80", b"\0", b"\r", b"\x0b", b"\x1c", b"\xc2\x85",
          b"\xe2\x80\xa8", b"\n", b" ", b"#", b"ip-access-list standard a permit ",
          b"filter-primitive p\n type ip-address\n permit 10.0.0.0/8\n",
          b"filter-definition d\n match p\n", b"stat-report r\n type ip-source-address\n",
          b"stat-definition s\n report r\n", b"tag-action a\n type src-prefix\n",
          b"tag-definition t\n action a\n", b"mask-definition m\n",
          b"xlate-action x\n type ip-source-address-to-network\n",
          b"xlate-definition y\n action x\n", b"10.0.0.0/8 1\n", b"zone a 10.0.0.0/8\n",
          b"1 icmp\n", b"\xd9\xa3", b"\xef\xbc\x91", b"STAT: now=1 startup=1 src_ip=1.2.3.4 ",
          b"dst_ip=0.0.0.0 d_ver=5 pkts=\xd9\xa3 flows=1 lost=0 reset=0 filter_drops=0\n",
          b"flow-capture[1]: ", b"9" * 40, b"-", b"/", b"..", b"include ", b"%s%n"]

hostile = st.one_of(
    st.binary(max_size=600),
    st.lists(st.sampled_from(_WORDS) | st.binary(max_size=8), max_size=40).map(b"".join))


def one_line(e):
    # flow-dscan's suppress parser quotes the line with its newline, as the
    # reference does (an empty line follows): one line of text all the same
    msg = str(e)
    if msg.startswith("suppress parser: "):
        msg = msg[:-1] if msg.endswith("\n") else msg
    assert msg and "\n" not in msg, repr(msg)


def _file(data):
    fd, path = tempfile.mkstemp(prefix="pft-hostile-")
    os.write(fd, data)
    os.close(fd)
    return path


def _each(load, data):
    path = _file(data)
    try:
        load(path)
    except FlowToolsError as e:
        one_line(e)
    finally:
        os.unlink(path)


LOADERS = {
    "acl": acl.load,
    "filter.cfg": nfilter.load,
    "stat.cfg": statcfg.load,
    "tag.cfg": tagcfg.load,
    "mask.cfg": maskcfg.load,
    "xlate.cfg": xlatecfg.load,
    "zones": zones.load,
    "symbols": lambda p: symbols.load(os.path.abspath(p)),
    "rptfmt symbols": rptfmt.load_symbols,
    "topn baseline": lambda p: topn.load_baseline(p, "src", "octets"),
    "dscan suppress": dscan.load_suppress,
    "rpt2rrd keys": rrd.read_keys,
}


@pytest.mark.parametrize("what", sorted(LOADERS))
@given(data=hostile)
@example(data=b"\xff\xfe\x00binary\x80\n")
def test_arbitrary_bytes_give_a_result_or_one_line(what, data):
    _each(LOADERS[what], data)


@given(data=hostile)
@example(data=b"flow-capture: STAT: now=1 startup=1 src_ip=1.2.3.4 dst_ip=0.0.0.0 d_ver=5 "
              b"pkts=\xd9\xa3 flows=1 lost=0 reset=0 filter_drops=0")
def test_stat_lines_of_arbitrary_text(data):
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            rrd.parse_stat_line(line, "host")
        except ValueError as e:          # log2rrd's "malformed STAT line", skipped
            one_line(e)


@given(data=hostile)
def test_report_text_of_arbitrary_bytes(data):
    import io
    try:
        list(rrd.parse_report(io.StringIO(data.decode("utf-8", "replace")), {"10.0.0.1"}))
    except FlowToolsError as e:
        one_line(e)


@pytest.mark.parametrize("cmd", ["flow-log2rrd", "flow-rpt2rrd"])
def test_binary_standard_input_is_not_a_traceback(cmd, tmp_path):
    """The commands read standard input as UTF-8 with replacement, whatever
    the locale says."""
    exe = os.path.join(os.path.dirname(sys.executable), cmd)
    data = b"\xff\xfe\x80\x00 binary \xc3\x28\n" * 100 + os.urandom(4096)
    # a strict UTF-8 standard input, as under en_US.UTF-8 (C and C.UTF-8
    # give surrogateescape)
    env = dict(os.environ, PYTHONIOENCODING="utf-8:strict")
    env.pop("PYTHONUTF8", None)
    argv = [exe, "-p", str(tmp_path)] + (["-k", "src"] if cmd == "flow-rpt2rrd" else [])
    r = subprocess.run(argv, input=data, capture_output=True, env=env, timeout=60)
    assert b"Traceback" not in r.stderr and b"UnicodeDecodeError" not in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) <= 1 or r.returncode == 0, r.stderr


def test_a_nul_ends_an_address_word():
    """Found by the test above: a NUL in a suppress file's address word
    reached gethostbyname (TypeError traceback); the C string ends there."""
    from pyflowtools.util import ipv4
    assert ipv4.scan("10.1\0.2.3") == ipv4.scan("10.1") == 0x0A010000
    assert ipv4.scan("\0a") == 0
    _each(dscan.load_suppress, b"\0a\t\0\t\0\t\0")
