"""pyflowtools.netflow.udp / csrc/net.c: batch receive and send on 127.0.0.1."""
import array
import socket

import pytest

from pyflowtools.netflow import pdu, udp
from pyflowtools.core.native import lib
from pyflowtools.core.errors import UsageError


def _pair(spec="127.0.0.1/0/0"):
    sock = udp.listen(udp.parse_spec(spec))
    port = sock.getsockname()[1]
    return sock, udp.BatchReceiver(sock, slots=512), port


def test_parse_spec():
    assert udp.parse_spec("0/0/9991") == udp.Spec("0.0.0.0", "0.0.0.0", 9991, 0)
    assert udp.parse_spec("10.1/224.1.2.3/2055/4") == udp.Spec("10.1.0.0", "224.1.2.3", 2055, 4)
    assert udp.parse_spec("") == udp.Spec("0.0.0.0", "0.0.0.0", 9991, 0)
    assert udp.parse_spec("::1/::/9000").local == "::1"
    for bad in ("0/0/x", "0/0/70000", "0/0/1/2/3"):
        with pytest.raises(UsageError):
            udp.parse_spec(bad)


def test_recv_timeout_empty():
    sock, rx, _ = _pair()
    with sock:
        b = rx.recv(timeout=0.05)
        assert b.n == 0 and b.nbytes == 0 and len(b.lens) == 0
        assert rx.recv(timeout=0).n == 0


def test_send_recv_batch_sizes_and_addresses():
    sock, rx, port = _pair()
    out = udp.sender(("127.0.0.1", port))
    with sock, out.sock:
        dgrams = [bytes([i % 251]) * (i % 1500) for i in range(300)]  # 0-length included
        assert out.send_list(dgrams) == 300
        got = []
        for _ in range(50):
            b = rx.recv(timeout=0.2)
            got += b.datagrams()
            if b.n:
                assert set(b.src_ips) == {0x7F000001}
                assert set(b.dst_ips) == {0x7F000001}
                assert set(b.src_ports) == {out.sock.getsockname()[1]}
                assert bytes(b.src6[:16]) == bytes(10) + b"\xff\xff\x7f\x00\x00\x01"
            if len(got) >= 300:
                break
        assert got == dgrams


def test_oversized_truncated_to_slot():
    sock, rx, port = _pair()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock, s:
        s.sendto(b"x" * (udp.SLOT + 1000), ("127.0.0.1", port))
        s.sendto(b"y" * 10, ("127.0.0.1", port))
        lens = []
        for _ in range(20):
            lens += list(rx.recv(timeout=0.2).lens)
            if len(lens) == 2:
                break
        assert lens == [udp.SLOT, 10]


def _gen(rt, n):
    from pyflowtools.core.native import ffi, rec_size
    buf = bytearray(n * rec_size(rt))
    assert lib.ftc_recs_gen(rt, 0, n, ffi.from_buffer("uint8_t[]", buf)) >= 0
    return bytes(buf)


def test_max_n_and_packing_feed_receiver():
    sock, rx, port = _pair()
    out = udp.sender(("127.0.0.1", port))
    with sock, out.sock:
        recs = _gen(lib.FTC_RT_V5, 95)
        data, lens = pdu.encode_packed(recs, lib.FTC_RT_V5)
        assert out.send(data, lens) == len(lens) == 4
        got = 0
        r = pdu.Receiver()
        for _ in range(50):
            b = rx.recv(timeout=0.2, max_n=2)
            assert b.n <= 2
            res = r.feed(b.data, b.lens, b.src_ips, b.dst_ips)
            assert res.corrupt == 0
            got += res.count
            if got == 95:
                break
        assert got == 95


def test_ipv6_loopback():
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        sock = udp.listen(udp.parse_spec("::1/::/0"))
    except OSError:
        pytest.skip("no IPv6 loopback")
    rx = udp.BatchReceiver(sock, slots=8)
    out = udp.sender(("::1", sock.getsockname()[1]))
    with sock, out.sock:
        out.send_list([b"hello"])
        for _ in range(20):
            b = rx.recv(timeout=0.2)
            if b.n:
                break
        assert b.datagrams() == [b"hello"]
        assert b.src_ips[0] == 0
        assert bytes(b.src6[:16]) == socket.inet_pton(socket.AF_INET6, "::1")


def test_v4_to_dual_stack_socket():
    try:
        sock = udp.listen(udp.parse_spec("::/::/0"))
    except OSError:
        pytest.skip("no IPv6")
    rx = udp.BatchReceiver(sock, slots=8)
    out = udp.sender(("127.0.0.1", sock.getsockname()[1]))
    with sock, out.sock:
        out.send(b"abc", array.array("I", [3]))
        for _ in range(20):
            b = rx.recv(timeout=0.2)
            if b.n:
                break
        assert b.datagrams() == [b"abc"]
        assert b.src_ips[0] == 0x7F000001


def test_multicast_group_joined_on_loopback():
    spec = udp.parse_spec("127.0.0.1/239.255.42.7/0")
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("0.0.0.0", 0))
    port = probe.getsockname()[1]
    probe.close()
    try:
        sock = udp.listen(spec._replace(port=port))
    except OSError as e:
        pytest.skip("no multicast here: %s" % e)
    rx = udp.BatchReceiver(sock, slots=8)
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    out.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
    with sock, out:
        try:
            out.sendto(b"group", ("239.255.42.7", port))
        except OSError as e:
            pytest.skip("cannot send to a group here: %s" % e)
        for _ in range(10):
            b = rx.recv(timeout=0.2)
            if b.n:
                break
        if b.n == 0:
            pytest.skip("multicast not looped back here")
        assert b.datagrams() == [b"group"]
        assert b.dst_ips[0] == 0xEFFF2A07          # the group, from IP_PKTINFO
