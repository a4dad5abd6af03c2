"""UDP sockets for the collector commands: batch receive and batch send
(thin wrappers over csrc/net.c; one C call moves thousands of datagrams).

    spec = udp.parse_spec("0/0/9991")            # Spec(local, remote, port, ttl)
    sock = udp.listen(spec)                      # bound; IP_PKTINFO; multicast join
    rx = udp.BatchReceiver(sock, slots=4096)
    b = rx.recv(timeout=1.0)                     # RecvBatch; b.n == 0 on timeout/signal
    pdu_rx.feed(b.data, b.lens, b.src_ips, b.dst_ips)

    out = udp.sender(("127.0.0.1", 9991))        # BatchSender (socket made for it)
    out.send(packed_bytes, lens)                 # datagrams back to back + lengths
    out.send_list([dgram, dgram, ...])

Addresses in batches are host-order u32 ints (10.0.0.1 = 0x0A000001), as
everywhere in the suite; an IPv6 source that is not IPv4-mapped gives 0
there and its 16 bytes in RecvBatch.src6.  Spec addresses are text
(dotted quads completed as the reference does: `10.1` = 10.1.0.0, or IPv6).
"""
import array
import collections
import ipaddress
import socket
import struct

from pyflowtools.core import net
from pyflowtools.core.errors import UsageError
from pyflowtools.util import ipv4

__all__ = ["Spec", "parse_spec", "is_any", "listen", "RecvBatch", "BatchReceiver",
           "BatchSender", "sender", "sockaddr", "DEFAULT_PORT", "SLOT"]

DEFAULT_PORT = 9991
SLOT = net.SLOT
RCVBUF = 1 << 25               # asked for; the kernel caps it (rmem_max)

Spec = collections.namedtuple("Spec", "local remote port ttl")
Spec.__doc__ = ("localip/remoteip/port[/ttl]: local and remote are address text "
                "('0.0.0.0' = any), port and ttl ints (ttl 0 = unset).")


def _addr_text(text):
    """Address text of one spec field: IPv6 as given, IPv4 completed."""
    text = text.strip()
    if ":" in text:
        try:
            return str(ipaddress.IPv6Address(text))
        except ValueError:
            raise UsageError("bad IPv6 address: %s" % text) from None
    return socket.inet_ntoa(struct.pack("!I", ipv4.scan(text or "0")))


def parse_spec(text, default_port=DEFAULT_PORT):
    """Spec of `localip/remoteip/port[/ttl]` (trailing parts optional)."""
    parts = text.split("/")
    if len(parts) > 4:
        raise UsageError("bad address specification: %s" % text)
    parts += [""] * (4 - len(parts))
    local = _addr_text(parts[0])
    remote = _addr_text(parts[1])
    try:
        port = int(parts[2]) if parts[2] else default_port
        ttl = int(parts[3]) if parts[3] else 0
    except ValueError:
        raise UsageError("bad address specification: %s" % text) from None
    if not 0 <= port <= 65535:
        raise UsageError("bad port: %s" % parts[2])
    return Spec(local, remote, port, ttl)


def is_any(addr):
    return ipaddress.ip_address(addr).is_unspecified






def listen(spec, rcvbuf=RCVBUF):
    """A UDP socket bound as flow-capture binds: to spec.local:spec.port, or,
    when spec.remote is a multicast group, to the group's port on any
    address after joining the group (on interface spec.local).  Local
    destination addresses are delivered (IP_PKTINFO / IPV6_RECVPKTINFO);
    the receive buffer is enlarged as far as the system allows."""
    remote = ipaddress.ip_address(spec.remote)
    local = ipaddress.ip_address(spec.local)
    v6 = local.version == 6 or remote.version == 6
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        if remote.is_multicast:     # several listeners of one group may share the port
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        _grow_rcvbuf(s, rcvbuf)
        if v6:
            try:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            except OSError:
                pass
        net.pktinfo(s.fileno(), v6)
        if remote.is_multicast:
            if v6:
                s.bind(("::", spec.port))
                mreq = remote.packed + struct.pack("@I", 0)
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
            else:
                s.bind(("0.0.0.0", spec.port))
                mreq = remote.packed + local.packed
                s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        else:
            s.bind((str(local), spec.port))
        s.setblocking(False)
    except BaseException:
        s.close()
        raise
    return s


def _grow_rcvbuf(s, size):
    force = getattr(socket, "SO_RCVBUFFORCE", 33)
    for opt in (force, socket.SO_RCVBUF):
        try:
            s.setsockopt(socket.SOL_SOCKET, opt, size)
            return
        except OSError:
            continue


class RecvBatch:
    """Datagrams of one BatchReceiver.recv(): `data` (memoryview, the n
    datagrams back to back), `lens`, `src_ips`, `dst_ips` (array('I') of n),
    `src_ports` (array('H')), `src6` (memoryview, 16 bytes per datagram).
    Views into the receiver's buffers: valid until its next recv()."""

    __slots__ = ("n", "nbytes", "data", "lens", "src_ips", "dst_ips", "src_ports", "src6")

    def datagrams(self):
        """The datagrams as a list of bytes (tests, debugging)."""
        out, pos = [], 0
        for ln in self.lens:
            out.append(bytes(self.data[pos:pos + ln]))
            pos += ln
        return out


class BatchReceiver:
    """recvmmsg() into `slots` caller-owned slots of `slot` bytes (2048 by
    default: longer datagrams arrive truncated, as in flow-capture)."""

    def __init__(self, sock, slots=4096, slot=SLOT):
        self.sock = sock
        self.fd = sock.fileno()
        self.slots = slots
        self.slot = slot
        self._s = net.Slots(slots, slot)

    def recv(self, timeout=1.0, max_n=None):
        """Wait up to `timeout` seconds (None: forever, 0: not at all), then
        take every datagram queued, up to max_n (default: all slots).
        Returns a RecvBatch (n 0 after a timeout or a signal)."""
        ms = -1 if timeout is None else int(timeout * 1000)
        s = self._s
        n = s.recv(self.fd, ms, self.slots if max_n is None else max_n)
        b = RecvBatch()
        b.n = n
        b.lens = s.lens[:n]
        b.nbytes = sum(b.lens)
        b.data = memoryview(s.buf)[:b.nbytes]
        b.src_ips = s.src[:n]
        b.dst_ips = s.dst[:n]
        b.src_ports = s.ports[:n]
        b.src6 = memoryview(s.src6)[:16 * n]
        return b


def sockaddr(host, port):
    """The struct sockaddr bytes of (host text, port) for ftc_net_send."""
    a = ipaddress.ip_address(host)
    if a.version == 4:
        return struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + a.packed + bytes(8)
    return (struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", port, 0) + a.packed
            + struct.pack("=I", 0))


class BatchSender:
    """sendmmsg() of packed datagrams to one destination (host, port); the
    socket stays blocking, so a full send buffer waits instead of dropping."""

    def __init__(self, sock, dest):
        self.sock = sock
        self.fd = sock.fileno()
        self.dest = dest
        self._to = net.Destination(self.fd, sockaddr(*dest))

    def send(self, data, lens):
        """Send len(lens) datagrams packed back to back in data; returns the
        number sent (all, or OSError)."""
        if len(lens) == 0:
            return 0
        if not (isinstance(lens, array.array) and lens.itemsize == 4):
            lens = array.array("I", lens)
        return self._to.send(data, lens, "sendmmsg to %s port %d" % self.dest)

    def send_list(self, dgrams):
        """Send a list of datagrams (bytes)."""
        if not dgrams:
            return 0
        return self.send(b"".join(dgrams), array.array("I", map(len, dgrams)))


def sender(dest, local=None, ttl=0, sndbuf=1 << 22):
    """A BatchSender to dest = (host text, port) over a new UDP socket
    (bound to `local` text when given; `ttl` sets the unicast and
    multicast TTL when non-zero)."""
    v6 = ipaddress.ip_address(dest[0]).version == 6
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        except OSError:
            pass
        if local and not is_any(local):
            s.bind((local, 0))
        if ttl:
            if v6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, ttl)
            else:
                s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
                s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
    except BaseException:
        s.close()
        raise
    return BatchSender(s, (str(ipaddress.ip_address(dest[0])), int(dest[1])))
