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
import os

from pyflowtools.core import ipfix, native, relay
from pyflowtools.core.errors import FormatError
from pyflowtools.netflow import pdu, udp
from pyflowtools.util import files, ipv4
from pyflowtools.util.clock import clock as _clock
from pyflowtools.util.log import Budget, discard

LOG_BURST = 20                  # datagram messages logged per second, at most
#: flow-capture's v9/IPFIX templates in its work directory: a `tmp` name, so
#: that flow-cat passes over it and flow-expire leaves it alone (no header)
TEMPLATE_FILE = "tmp-ipfix-templates"


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
        head = bytes(b.data[pos:pos + 2])
        try:
            h = pdu.verify(b.data[pos:pos + ln])
        except pdu.DatagramError:
            h = None
        pos += ln
        if remote_ip and b.src_ips[i] != remote_ip:
            continue
        if h is not None:
            return h.rectype
        if head in (b"\x00\x09", b"\x00\x0a"):
            return native.rectype(5, 0)          # v9/IPFIX flows go into v5 files
    return None


def dropped_v6_message(ipx, remedy):
    """The one line said the first time IPv6 flows are counted and dropped
    (core.ipfix.TemplateCache ipx: the first exporter that sent some)."""
    who = next((s for s in ipx.sources() if s.v6), None)
    src = "" if who is None else " from %s" % ipv4.text(who.exporter_ip)
    return "IPv6 flows%s are counted and dropped; %s" % (src, remedy)


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
                 slots=4096, clock=None, template_dir=None):
        self.spec = spec
        self.sock = udp.listen(spec)
        self.rx = udp.BatchReceiver(self.sock, slots=slots)
        self.tracker = pdu.SequenceTracker()
        self.ipx = ipfix.TemplateCache()
        self.template_path = (None if template_dir is None
                              else os.path.join(template_dir, TEMPLATE_FILE))
        self._templates_saved = None
        remote = 0
        if not udp.is_any(spec.remote):
            if not ipaddress.ip_address(spec.remote).is_multicast:
                remote = ipv4.from_socket(spec.remote)
        self.remote_ip = remote
        self.receiver = pdu.Receiver(rectype, self.tracker, remote_ip=remote, ipx=self.ipx)
        # -f/-F: datagram by datagram (drops counted per exporter), in C
        self.relay = (None if filter_cfg is None
                      else relay.Relay(rectype, encode=False, ipx=self.ipx,
                                       slot_len=self.rx.slot))
        self.log = log or discard
        self.clock = clock or _clock()
        self.filter_cfg = filter_cfg
        self.filter_name = filter_name
        self.prog = None
        self.counts = [0, 0, 0]          # lost, corrupt, resets (not yet in a file)
        self.total_flows = 0
        self.total_pdus = 0
        self._budget = Budget(lambda msg: self.log(msg), LOG_BURST)
        self._v6_told = False

    def set_filter(self, cfg):
        """-f/-F reloaded (SIGHUP): the next batch runs cfg's definition."""
        if self.relay is not None and cfg is not None:
            if self.relay.rectype is not None:
                cfg.program(self.filter_name, self.relay.rectype)   # fails now, not later
            self.filter_cfg = cfg
            self.prog = None

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
        line = self.tracker.tick(self.clock())     # the sequence state's expiry
        if line:
            self.log(line)
        if b.n == 0:
            return None
        self.total_pdus += b.n
        if self.relay is not None:
            return self._filtered(b)
        res = self.receiver.feed(b.data, b.lens, b.src_ips, b.dst_ips, b.src_ports,
                                 int(self.clock()))
        self._add(res.lost, res.corrupt, res.resets, res.events)
        if res.v6:
            self._dropped_v6()
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
                        self.tracker, prog=self.prog, src_ports=b.src_ports,
                        now=int(self.clock())):
            self._add(st.rx.lost, st.rx.corrupt, st.rx.resets, pdu.events(r.ev, st.rx.n_events))
            if st.rx.v6:
                self._dropped_v6()
            kept += memoryview(r.out)[:st.out_bytes]
            count += st.relayed_flows
        if count == 0:
            return None
        self.total_flows += count
        return kept, count

    def _dropped_v6(self):
        """IPv6 flows came (counted per exporter: -S v6_flows=): unless
        stored (v1006), say so once per process, naming the option."""
        if self._v6_told or self.rectype == native.RT_V1006:
            return
        self._v6_told = True
        self.log(dropped_v6_message(self.ipx, "-V 1006 stores them"))

    def _events(self, events):
        now = self.clock()
        self._budget.start(now)
        for e in events:
            if not self._budget.allow():
                continue
            src, dst = ipv4.text(e.src_ip), ipv4.text(e.dst_ip)
            ipx = e.version in (9, 10)
            if e.kind == pdu.EV_EXPORTER:
                self.log("New exporter: time=%d src_ip=%s dst_ip=%s d_version=%d%s"
                         % (int(now), src, dst, e.version,
                            " domain=%d" % e.domain if ipx else ""))
            elif e.kind == pdu.EV_SEQ and ipx:
                self.log("sequence: src_ip=%s dst_ip=%s d_version=%d domain=%d received=%d "
                         "%s" % (src, dst, e.version, e.domain, e.received,
                                 "lost=%d" % e.lost if e.lost else "reset"))
            elif e.kind == pdu.EV_SEQ:
                self.log("ftpdu_seq_check(): src_ip=%s dst_ip=%s d_version=%d expecting=%d "
                         "received=%d lost=%d" % (src, dst, e.version, e.expected,
                                                  e.received, e.lost))
            elif e.reason == pdu.R_IPX:
                self.log("ftpdu_verify(): src_ip=%s failed: %s (%s)"
                         % (src, pdu.REASONS[e.reason],
                            pdu.IPX_REASONS.get(e.detail, "corrupt")))
            else:
                self.log("ftpdu_verify(): src_ip=%s failed: %s"
                         % (src, pdu.REASONS.get(e.reason, "corrupt")))

    def take_counts(self):
        c, self.counts = self.counts, [0, 0, 0]
        return c

    def stat_lines(self, now, started):
        """-S: one STAT line per exporter key; v9/IPFIX ones go on with
        their templates, sampling, IPv6 flows and expired waiting data."""
        extra = {}
        for s in self.ipx.sources():
            k = (s.exporter_ip, s.local_ip, s.version)
            t = extra.setdefault(k, [0, 1, 0, 0])
            t[0] += s.templates
            t[1] = max(t[1], s.sampling)
            t[2] += s.v6
            t[3] += s.expired
        return [stat_line(now, started, x,
                          " templates=%d sampling=%d v6_flows=%d expired=%d"
                          % tuple(extra[(x.exporter_ip, x.local_ip, x.version)])
                          if (x.exporter_ip, x.local_ip, x.version) in extra else "")
                for x in self.tracker.exporters()]

    def load_templates(self):
        """flow-capture's start: the templates saved by the last run.  A
        file that cannot be read or parsed is logged and passed over."""
        if self.template_path is None:
            return 0
        try:
            data = files.read(self.template_path)
        except FileNotFoundError:
            return 0
        except OSError as e:
            self.log("templates: %s: %s" % (self.template_path, files.reason(e)))
            return 0
        try:
            n = self.ipx.load(data)
        except FormatError as e:
            self.log("templates: %s: %s; passed over" % (self.template_path, e))
            return 0
        self._templates_saved = data
        self.log("templates: %d loaded from %s" % (n, self.template_path))
        return n

    def save_templates(self):
        """Write the templates when they changed (file rotation, exit):
        a fresh temporary file renamed over the old one (util/files.py)."""
        if self.template_path is None:
            return
        if self._templates_saved is None and not self.ipx.sources():
            return                      # no v9/IPFIX heard: no file
        data = self.ipx.save()
        if data == self._templates_saved:
            return
        try:
            files.replace(self.template_path, data)
            self._templates_saved = data
        except OSError as e:
            self.log("templates: %s: %s" % (self.template_path, e.strerror))
