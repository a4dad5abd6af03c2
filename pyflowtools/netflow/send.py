"""flow-send and flow-fanout's sending side (commands.md 8.5, 8.6): export
datagram destinations (UDP, multicast TTL, raw sockets keeping a source
address), pacing (-x), the privacy mask (-m) and flow-send's loop, which
sends v1-v8 datagrams (pdu.c) or v9/IPFIX ones with templates (-V 9 / -V 10,
ipfixenc.c).

    outs = [send.Output(udp.parse_spec(text)) for text in operands]
    status = send.send_stream(reader, outs, rt_out=None, mask=None, delay_us=0)

Every per-record and per-datagram step is C (pdu.c, relay.c, net.c):
Python hands over whole batches of datagrams (data packed back to back
plus an array of lengths).
"""
import array
import errno
import ipaddress
import socket
import time

from pyflowtools.core import native as _native
from pyflowtools.core import ipfixenc, relay
from pyflowtools.netflow import pdu, udp
from pyflowtools.core.errors import FlowToolsError, FormatError
from pyflowtools.util import ipv4, numbers

__all__ = ["NO_MASK", "SPOOF_SPORT", "parse_version", "parse_mask", "Output", "Pacer",
           "mask_batch", "send_stream"]

NO_MASK = relay.NO_MASK
SPOOF_SPORT = 7999          # UDP source port of raw (-s) datagrams, as the reference
RAW_TTL = 255               # unicast TTL of raw datagrams when the spec has none


def parse_version(text):
    """-V as sscanf("%u.%u"): (version, agg_method); `8` alone is 8.1."""
    version, rest = numbers.uint_prefix(text)
    if version is None:
        raise FlowToolsError("Version scan failed")
    agg = 0
    if rest.startswith(".") and rest[1:2].isascii() and rest[1:2].isdigit():
        agg = numbers.uint_prefix(rest[1:])[0]
    if version == 8 and agg == 0:
        agg = 1
    return version, agg


def parse_mask(text):
    """-m A.B.C.D as the reference scans it (host names resolved)."""
    return ipv4.scan(text)


def output_rectype(rt_in, version):
    """Datagram record type for stream records of rt_in sent as `version`
    ((v, agg) or None for the stream's own); raises as the reference."""
    if version is None:
        return pdu.default_output(rt_in)
    v, agg = version
    try:
        rt = _native.rectype(v, agg if v == 8 else 0)
        pdu.limits(rt)
    except FlowToolsError:
        raise FlowToolsError("ftrec_xlate_func(): failed") from None
    return rt


def encoder(rt_in, rt_out):
    """pdu.Encoder of rt_in records as rt_out datagrams, or the reference's
    error when there is no such translation."""
    try:
        return pdu.Encoder(rt_in, rt_out)
    except FormatError:
        raise FlowToolsError("ftrec_xlate_func(): failed") from None


def mask_batch(rectype, ptr, n, mask):
    """AND srcaddr/dstaddr of n host-order records with mask (in place)."""
    if mask is not None and mask != NO_MASK and n:
        relay.mask_ip(rectype, ptr, n, mask)


class Pacer:
    """-x: a delay of `delay_us` microseconds after each datagram, kept on
    average by sleeping between chunks of datagrams (one system call moves
    a chunk; at least ~2 ms of delay per chunk)."""

    def __init__(self, delay_us):
        self.delay = max(delay_us, 0) / 1e6
        self.chunk = max(1, int(0.002 / self.delay)) if self.delay else 0
        self._t = None

    def wait(self, ndgrams):
        if not self.delay:
            return
        now = time.monotonic()
        if self._t is None or self._t < now:
            self._t = now
        self._t += ndgrams * self.delay
        pause = self._t - now
        if pause > 0:
            time.sleep(pause)


class Output:
    """One destination of localip/remoteip/port[/ttl] (udp.Spec).

    UDP from an ordinary socket bound to localip (multicast: TTL from the
    spec, 0 when not given, as the reference); with keep_source, a raw
    socket writing its own IPv4 and UDP headers: the source is localip,
    or (fanout) the original exporter's address when localip is 0.
    Raw sockets need root (CAP_NET_RAW): without, `fallback` is set and an
    ordinary UDP socket is used."""

    def __init__(self, spec, keep_source=False, sport=SPOOF_SPORT, delay_us=0):
        self.spec = spec
        self.dest = (spec.remote, spec.port)
        self.pacer = Pacer(delay_us)
        self.raw = None
        self.fallback = None
        remote = ipaddress.ip_address(spec.remote)
        if keep_source and remote.version == 4:
            try:
                s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
            except PermissionError as e:
                self.fallback = "raw socket: %s (needs root); sending from %s" % (
                    e.strerror, "an ordinary UDP socket")
            else:
                try:
                    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
                    _grow_sndbuf(s)
                except BaseException:
                    s.close()
                    raise
                self.raw = _Raw(spec, sport, remote.is_multicast)
                self.tx = udp.BatchSender(s, (spec.remote, 0))
                return
        ttl = spec.ttl if remote.is_multicast else 0
        self.tx = udp.sender(self.dest, local=spec.local, ttl=ttl)

    def send(self, data, lens, src_ips=None):
        """Send the len(lens) datagrams packed in data (paced by -x).
        src_ips: per-datagram original sources (raw mode, localip 0)."""
        n = len(lens)
        if not n:
            return
        if self.raw is not None:
            data, lens = self.raw.wrap(data, lens, src_ips)
        if not self.pacer.chunk:
            self._send(data, lens)
            return
        step = self.pacer.chunk
        pos = 0
        for i in range(0, n, step):
            part = lens[i:i + step]
            nb = sum(part)
            self._send(data[pos:pos + nb], part)
            pos += nb
            self.pacer.wait(len(part))

    def _send(self, data, lens):
        while True:
            try:
                sent = self.tx.send(data, lens)
            except OSError as e:
                if e.errno == errno.ENOBUFS:     # wait and retry, as the reference
                    time.sleep(1e-6)
                    continue
                raise
            if sent >= len(lens):
                return
            # ECONNREFUSED for one datagram: the reference goes on
            data = data[sum(lens[:sent + 1]):]
            lens = lens[sent + 1:]
            if not lens:
                return

    def close(self):
        try:
            self.tx.sock.close()
        except OSError:
            pass


class _Raw:
    """IPv4/UDP headers of raw datagrams (ftc_ipudp_wrap)."""

    def __init__(self, spec, sport, multicast):
        self.src = ipv4.from_socket(spec.local)
        self.dst = ipv4.from_socket(spec.remote)
        self.sport = sport
        self.dport = spec.port
        self.ttl = spec.ttl or (0 if multicast else RAW_TTL)
        self._buf = bytearray(0)
        self._lens = array.array("I")

    def wrap(self, data, lens, src_ips=None):
        n = len(lens)
        need = memoryview(data).nbytes + n * relay.IPUDP_HDR
        if len(self._buf) < need:
            self._buf = bytearray(need)
        if len(self._lens) < n:
            self._lens = array.array("I", bytes(4 * n))
        if src_ips is not None and self.src:
            src_ips = None
        lens = lens if isinstance(lens, array.array) else array.array("I", lens)
        used = relay.ipudp_wrap(data, lens, src_ips, self.src, self.dst, self.sport,
                                self.dport, self.ttl, self._buf, self._lens)
        return memoryview(self._buf)[:used], self._lens[:n]


def _grow_sndbuf(s, size=1 << 22):
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
    except OSError:
        pass


def _last_full(enc, rt_out, lens):
    if not len(lens):
        return False
    if isinstance(enc, ipfixenc.Encoder):
        return enc.last_full
    hs, rs, mc = pdu.limits(rt_out)
    return (lens[-1] - hs) // rs >= mc


def send_stream(reader, outputs, version=None, mask=None):
    """flow-send's loop: every record of reader (stream.Reader) as export
    datagrams to every output; version is -V's (v, agg), None for the
    stream's own (9 and 10: templates and data sets, ipfixenc.c).  Returns
    (flows, datagrams, status) where status is the reference's: 1 when the
    last datagram had room for more records, else 0 (commands.md 8.5)."""
    rt_in = reader.rectype
    if version is not None and version[0] in ipfixenc.VERSIONS:
        # v9 / IPFIX: the records' own fields under a template
        rt_out = None
        enc = ipfixenc.Encoder(version[0], rt_in)
    else:
        rt_out = output_rectype(rt_in, version)
        enc = encoder(rt_in, rt_out)
    flows = dgrams = 0
    last_full = False
    for batch in reader:
        if not batch.n:
            continue
        batch.to_host()
        mask_batch(rt_in, batch.ptr, batch.n, mask)
        flows += batch.n
        for data, lens in enc.packed(batch.view()):
            for out in outputs:
                out.send(data, lens)
            dgrams += len(lens)
            last_full = _last_full(enc, rt_out, lens)
    rest = enc.flush_packed()
    if rest is not None:
        data, lens = rest
        for out in outputs:
            out.send(data, lens)
        dgrams += len(lens)
        last_full = _last_full(enc, rt_out, lens)
    status = 0 if last_full or not flows else 1
    return flows, dgrams, status
