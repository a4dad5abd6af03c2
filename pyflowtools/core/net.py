"""ftc_net_*: batch UDP receive and send (csrc/net.c, the core's one
exception to "no I/O").  Caller-owned buffers, one C call per batch;
system errors come back as OSError."""
import array
import errno
import os

from pyflowtools.core.native import check, ffi, lib

SLOT = lib.FTC_NET_SLOT             # bytes per receive slot (longer datagrams truncated)


def oserror(err, what):
    return OSError(err, "%s: %s" % (what, os.strerror(err)))


def pktinfo(fd, v6):
    """Ask for the local address of each datagram (IP_PKTINFO / IPV6_RECVPKTINFO)."""
    err = ffi.new("int *")
    if lib.ftc_net_pktinfo(fd, int(v6), err) == lib.FTC_ESYS:
        raise oserror(err[0], "IP_PKTINFO")


class Slots:
    """recvmmsg() into `slots` slots of `slot` bytes: `buf`, and per
    datagram `lens`, `src`, `dst` (host-order IPv4; 0 for IPv6), `ports`
    (array('I'/'H')) and `src6` (16 bytes each)."""

    def __init__(self, slots, slot=SLOT):
        self.slots = slots
        self.slot = slot
        self.buf = bytearray(slots * slot)
        self.lens = array.array("I", bytes(4 * slots))
        self.src = array.array("I", bytes(4 * slots))
        self.dst = array.array("I", bytes(4 * slots))
        self.ports = array.array("H", bytes(2 * slots))
        self.src6 = bytearray(16 * slots)
        self._c = [ffi.from_buffer("uint8_t[]", self.buf),
                   ffi.from_buffer("uint32_t[]", self.lens),
                   ffi.from_buffer("uint32_t[]", self.src),
                   ffi.from_buffer("uint32_t[]", self.dst),
                   ffi.from_buffer("uint16_t[]", self.ports),
                   ffi.from_buffer("uint8_t[]", self.src6)]
        self._n = ffi.new("size_t *")
        self._err = ffi.new("int *")

    def recv(self, fd, timeout_ms, cap):
        """Wait up to timeout_ms (-1: forever), then take up to cap queued
        datagrams; returns how many (0 after a timeout or a signal)."""
        buf, lens, src, dst, ports, src6 = self._c
        st = lib.ftc_net_recv(fd, buf, len(self.buf), self.slot, min(cap, self.slots),
                              timeout_ms, lens, src, dst, ports, src6, self._n, self._err)
        if st == lib.FTC_ESYS:
            raise oserror(self._err[0], "recvmmsg")
        check(st, "ftc_net_recv")
        return self._n[0]


class Destination:
    """sendmmsg() of packed datagrams on fd to one struct sockaddr (bytes)."""

    def __init__(self, fd, addr):
        self.fd = fd
        self._addr = ffi.new("uint8_t[]", addr)
        self._addrlen = len(addr)
        self._sent = ffi.new("size_t *")
        self._err = ffi.new("int *")

    def send(self, data, lens, what="sendmmsg"):
        """Send the len(lens) datagrams packed in data (lens: array('I'));
        returns how many went (fewer after ECONNREFUSED), else OSError."""
        n = len(lens)
        st = lib.ftc_net_send(self.fd, ffi.from_buffer("uint8_t[]", data),
                              memoryview(data).nbytes, ffi.from_buffer("uint32_t[]", lens), n,
                              self._addr, self._addrlen, self._sent, self._err)
        if st == lib.FTC_ESYS:
            if self._err[0] == errno.ECONNREFUSED:
                return self._sent[0]
            raise oserror(self._err[0], what)
        check(st, "ftc_net_send")
        return self._sent[0]
