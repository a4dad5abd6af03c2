"""The collectors' receiving side (formats.md 6.4-6.6, commands.md 8.3-8.4):
a socket, batch receive, datagram checks, sequence accounting, the
optional -f/-F filter, log messages and -S STAT lines.

    col = Collector(udp.parse_spec("0/0/9991"), log=log)
    got = col.poll(timeout)            # (records, count) or None
    lost, corrupt, resets = col.take_counts()

One recvmmsg and one C call per batch of datagrams (udp.BatchReceiver,
pdu.Receiver); nothing per datagram or per record in Python.
"""
import ipaddress

from pyflowtools.core import relay
from pyflowtools.netflow import pdu, udp
from pyflowtools.util import ipv4
from pyflowtools.util.clock import clock as _clock
from pyflowtools.util.log import discard

LOG_BURST = 20                  # datagram messages logged per second, at most


def stat_line(now, started, x, extra=""):
    """The reference's -S line for one exporter (pdu.ExporterStats x)."""
    return ("STAT: now=%d startup=%d src_ip=%s dst_ip=%s d_ver=%d pkts=%d flows=%d lost=%d "
            "reset=%d filter_drops=%d%s"
            % (now, started, ipv4.text(x.exporter_ip), ipv4.text(x.local_ip), x.version,
               x.pkts, x.flows, x.lost, x.resets, x.filtered, extra))


def first_rectype(b, remote_ip=0):
    """The record type of the first acceptable datagram of a udp.RecvBatch
    (from remote_ip when not 0), or None.  A filter is compiled for the
    record type, which the first accepted datagram fixes: found once,
    before any datagram is filtered."""
    pos = 0
    for i, ln in enumerate(b.lens):
        try:
            h = pdu.verify(b.data[pos:pos + ln])
        except pdu.DatagramError:
            h = None
        pos += ln
        if h is not None and (not remote_ip or b.src_ips[i] == remote_ip):
            return h.rectype
    return None


def load_filter(path, name, bindings, warn):
    """-f/-F/-v: the flow-nfilter configuration at path (None: the default
    file) with the NAME=VALUE bindings, checked to define `name` (None:
    "default"); None when neither path nor name is given."""
    if path is None and name is None:
        return None
    from pyflowtools.filters import nfilter
    variables = dict(nfilter.parse_binding(v) for v in (bindings or []))
    cfg = nfilter.load(path, variables, warn=warn)
    cfg.definition(name or "default")               # unknown name: fail now
    return cfg


class Collector:
    """Socket + datagram checks + sequence accounting + optional filter.
    poll() returns the records of everything that arrived (host order) and
    adds to the pending per-file counters."""

    def __init__(self, spec, rectype=None, log=None, filter_cfg=None, filter_name=None,
                 slots=4096, clock=None):
        self.spec = spec
        self.sock = udp.listen(spec)
        self.rx = udp.BatchReceiver(self.sock, slots=slots)
        self.tracker = pdu.SequenceTracker()
        remote = 0
        if not udp.is_any(spec.remote):
            if not ipaddress.ip_address(spec.remote).is_multicast:
                remote = ipv4.from_socket(spec.remote)
        self.remote_ip = remote
        self.receiver = pdu.Receiver(rectype, self.tracker, remote_ip=remote)
        # -f/-F: datagram by datagram (drops counted per exporter), in C
        self.relay = None if filter_cfg is None else relay.Relay(rectype, encode=False)
        self.log = log or discard
        self.clock = clock or _clock()
        self.filter_cfg = filter_cfg
        self.filter_name = filter_name
        self.prog = None
        self.counts = [0, 0, 0]          # lost, corrupt, resets (not yet in a file)
        self.total_flows = 0
        self.total_pdus = 0
        self._log_budget = 0
        self._log_time = 0

    @property
    def rectype(self):
        if self.relay is not None:
            return self.relay.rectype
        return self.receiver.rectype

    def port(self):
        return self.sock.getsockname()[1]

    def close(self):
        self.sock.close()

    def poll(self, timeout):
        b = self.rx.recv(timeout)
        if b.n == 0:
            return None
        self.total_pdus += b.n
        if self.relay is not None:
            return self._filtered(b)
        res = self.receiver.feed(b.data, b.lens, b.src_ips, b.dst_ips)
        self._add(res.lost, res.corrupt, res.resets, res.events)
        if res.count == 0:
            return None
        self.total_flows += res.count
        return res.records, res.count

    def _add(self, lost, corrupt, resets, events):
        self.counts[0] += lost
        self.counts[1] += corrupt
        self.counts[2] += resets
        if events:
            self._events(events)

    def _filtered(self, b):
        """poll() with -f/-F: the relay kernel without re-encoding."""
        r = self.relay
        if r.rectype is None:
            rt = first_rectype(b, self.remote_ip)
            if rt is not None:               # else nothing acceptable: all corrupt
                r.set_rectype(rt)
        if self.prog is None and r.rectype is not None:
            self.prog = self.filter_cfg.program(self.filter_name, r.rectype)
        kept = bytearray()
        count = 0
        for st in r.run(b.data, b.lens, b.src_ips, b.dst_ips, self.remote_ip, 0,
                        self.tracker, prog=self.prog):
            self._add(st.rx.lost, st.rx.corrupt, st.rx.resets, pdu.events(r.ev, st.rx.n_events))
            kept += memoryview(r.out)[:st.out_bytes]
            count += st.relayed_flows
        if count == 0:
            return None
        self.total_flows += count
        return kept, count

    def _events(self, events):
        now = self.clock()
        if now - self._log_time >= 1.0:
            if self._log_budget < 0:
                self.log("%d more messages suppressed" % -self._log_budget)
            self._log_time, self._log_budget = now, LOG_BURST
        for e in events:
            if self._log_budget <= 0:
                self._log_budget -= 1
                continue
            self._log_budget -= 1
            src, dst = ipv4.text(e.src_ip), ipv4.text(e.dst_ip)
            if e.kind == pdu.EV_EXPORTER:
                self.log("New exporter: time=%d src_ip=%s dst_ip=%s d_version=%d"
                         % (int(now), src, dst, e.version))
            elif e.kind == pdu.EV_SEQ:
                self.log("ftpdu_seq_check(): src_ip=%s dst_ip=%s d_version=%d expecting=%d "
                         "received=%d lost=%d" % (src, dst, e.version, e.expected,
                                                  e.received, e.lost))
            else:
                self.log("ftpdu_verify(): src_ip=%s failed: %s"
                         % (src, pdu.REASONS.get(e.reason, "corrupt")))

    def take_counts(self):
        c, self.counts = self.counts, [0, 0, 0]
        return c

    def stat_lines(self, now, started):
        """-S: one STAT line per exporter key."""
        return [stat_line(now, started, x) for x in self.tracker.exporters()]
