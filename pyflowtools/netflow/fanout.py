"""flow-fanout (commands.md 8.6): receive export datagrams on one address
and re-send them to several destinations, as the reference does: each
datagram is verified and accounted like flow-capture's (formats.md 6.4,
6.6), decoded, masked (-m), filtered (-f/-F), re-encoded on its own with
fanout's own per-engine sequence numbers (formats.md 6.7) and sent to
every destination.

    fo = fanout.Fanout(listen_spec, outputs, log=log)
    fo.run(daemon.Signals(), stat_interval)   # until SIGTERM/SIGQUIT
    fo.step(timeout=1.0)        # (or step by step) one recvmmsg, one C call,
                                # one send per output

Per-datagram work is C (relay.c's ftc_fanout_batch over a whole
received batch, net.c's batch receive and send).
"""
import array
import time

from pyflowtools.core import ipfix, relay
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.core.native import layout, rectype as _rectype
from pyflowtools.netflow import pdu, send, udp
from pyflowtools.netflow.collector import LOG_BURST, dropped_v6_message, first_rectype, stat_line
from pyflowtools.util import ipv4
from pyflowtools.util.clock import clock as _clock
from pyflowtools.util.log import Budget, discard

__all__ = ["Fanout", "PIDFILE"]

PIDFILE = "/var/run/flow-fanout.pid"
V5 = _rectype(5)


class Fanout:
    """The relay.  outputs: send.Output list (destination order).
    version: (v, agg) of -V or None (the first datagram fixes it).
    filter_factory: None, or a callable rectype -> filters.program.Program
    (called once the record version is known, again after reload())."""

    def __init__(self, spec, outputs, version=None, as_sub=0, mask=send.NO_MASK,
                 filter_factory=None, log=None, slots=1024, events=4096, clock=None,
                 transform=None):
        self.spec = spec
        self.outputs = outputs
        self.as_sub = as_sub & 0xFFFF
        self.mask = mask
        self.filter_factory = filter_factory
        self.log = log or discard
        self.clock = clock or _clock()
        self.sock = udp.listen(spec)
        self.rx = udp.BatchReceiver(self.sock, slots=slots)
        remote = ipv4.from_socket(spec.remote)
        # a multicast group: the exporter is the first field (reference)
        self.remote_ip = ipv4.from_socket(spec.local) if (remote >> 28) == 0xE else remote
        self.tracker = pdu.SequenceTracker()
        # -t/-T, -x/-X (transform.py): records decoded, transformed, encoded anew
        self.transform = transform
        self.encoder = None
        self._checked = None
        # v9/IPFIX datagrams are relayed as they came; with -t/-x they are
        # decoded (their templates kept here) and sent anew like any record
        self.relay = relay.Relay(None if version is None else
                                 send.output_rectype(V5, version), slots=slots, events=events,
                                 encode=transform is None,
                                 ipx=None if transform is None else ipfix.TemplateCache(),
                                 slot_len=self.rx.slot)
        self.prog = None
        self._reload = True
        self.corrupt = self.filtered = self.pdus = self.flows = 0
        self.started = int(self.clock())
        self._budget = Budget(lambda msg: self.log(msg), LOG_BURST)
        self._v6_told = False

    @property
    def rectype(self):
        return self.relay.rectype

    def reload(self):
        """SIGHUP: load the filter (and the tag and xlate files) again before
        the next datagram; a broken tag or xlate file is logged and the
        previous definitions kept."""
        self._reload = True
        if self.transform is not None:
            try:
                self.transform.load()
                if self._checked is not None:
                    self.transform.check(self._checked)
            except FlowToolsError as e:
                self.log(str(e))

    def _load_filter(self):
        if self.filter_factory is not None and self.rectype is not None:
            self.prog = self.filter_factory(self.rectype)
            self._reload = False

    def step(self, timeout=1.0):
        """Receive one batch (waiting up to timeout seconds) and relay it.
        Returns the number of datagrams received."""
        b = self.rx.recv(timeout=timeout)
        line = self.tracker.tick(self.clock())     # the sequence state's expiry
        if line:
            self.log(line)
        if not b.n:
            return 0
        if self.rectype is None and (self.filter_factory is not None
                                     or self.transform is not None):
            rt = first_rectype(b, self.remote_ip)
            if rt is not None:
                self.relay.set_rectype(rt)
        if self._reload and self.rectype is not None:
            self._load_filter()
        r = self.relay
        kept, count = bytearray(), 0
        for st in r.run(b.data, b.lens, b.src_ips, b.dst_ips, self.remote_ip, self.as_sub,
                        self.tracker, self.mask, self.prog, src_ports=b.src_ports,
                        now=int(self.clock())):
            self._events(pdu.events(r.ev, st.rx.n_events))
            if st.rx.v6 and not self._v6_told:
                # -t/-T/-x/-X: v9/IPFIX decoded into v1-v8 records, which hold no IPv6
                self._v6_told = True
                self.log(dropped_v6_message(r.ipx, "without -t/-T/-x/-X v9/IPFIX datagrams "
                                            "are relayed as they came"))
            nout = st.out_pdus
            if self.transform is not None:
                kept += memoryview(r.out)[:st.out_bytes]
                count += st.relayed_flows
            elif nout:
                data = memoryview(r.out)[:st.out_bytes]
                lens = r.out_lens[:nout]
                srcs = r.out_src[:nout]
                for o in self.outputs:
                    o.send(data, lens, srcs)
            self.corrupt += st.rx.corrupt
            self.filtered += st.filtered
            self.pdus += st.rx.accepted
            self.flows += st.rx.flows
        if count:
            self._send_transformed(kept, count, b.src_ips[0])
        return b.n

    def _send_transformed(self, records, count, src_ip):
        """-t/-T/-x/-X: the decoded records of one received batch tagged,
        filtered, translated, then encoded as flow-send does (records of
        the same export header share datagrams) and sent."""
        tr, rt = self.transform, self.rectype
        if rt != self._checked:
            tr.check(rt)
            self._checked = rt
            self.encoder = send.encoder(tr.output_rectype(rt), rt)
        records, count = tr.apply(records, count, rt)
        if not count:
            return
        for data, lens in self.encoder.packed(records):     # views: send each at once
            self._send(data, lens, src_ip)
        rest = self.encoder.flush_packed()
        if rest is not None:
            self._send(*rest, src_ip)

    def _send(self, data, lens, src_ip):
        srcs = array.array("I", [src_ip]) * len(lens)
        for o in self.outputs:
            o.send(data, lens, srcs)

    def _events(self, evs):
        now = int(self.clock())
        self._budget.start(self.clock())
        for e in evs:
            if not self._budget.allow():
                continue
            src, dst = ipv4.text(e.src_ip), ipv4.text(e.dst_ip)
            if e.kind == pdu.EV_CORRUPT:
                if e.reason == pdu.R_SRCIP:
                    self.log("Unexpected PDU: src_ip=%s not configured" % src)
                elif e.reason == pdu.R_XLATE_V8:
                    # the reference prints the local address here
                    self.log("Unexpected PDU: src_ip=%s no v8 translation" % dst)
                elif e.reason == pdu.R_XLATE_AGG:
                    oagg = layout(self.rectype)[1]
                    self.log("Unexpected PDU: src_ip=%s multi v8 oagg=%d agg=%d over=%d ver=%d"
                             % (dst, oagg, e.agg_method, 2, e.agg_version))
                elif e.reason == pdu.R_IPX_MASK:
                    self.log("Unexpected PDU: src_ip=%s v9/IPFIX not relayed under a privacy "
                             "mask or filter (-t or -x decode them)" % src)
                else:
                    self.log("ftpdu_verify(): src_ip=%s failed." % src)
            elif e.kind == pdu.EV_EXPORTER:
                self.log("New exporter: time=%d src_ip=%s dst_ip=%s d_version=%d"
                         % (now, src, dst, e.version))
            elif e.kind == pdu.EV_SEQ:
                self.log("ftpdu_seq_check(): src_ip=%s dst_ip=%s d_version=%d "
                         "expecting=%d received=%d lost=%d"
                         % (src, dst, e.version, e.expected, e.received, e.lost))

    def stat_lines(self):
        """-S: the reference's STAT line per exporter."""
        now = int(self.clock())
        return [stat_line(now, self.started, x, " send_nobufs=0")
                for x in self.tracker.exporters()]

    def run(self, signals, stat_interval=0):
        """The daemon's loop (util.daemon.Signals): relay until SIGTERM or
        SIGQUIT, reload the filter on SIGHUP (each logged); with
        stat_interval, STAT lines at start and then every stat_interval
        minutes on the minute, as the reference."""
        stat_next = -1
        while True:
            self.step(timeout=1.0)
            if stat_interval:
                tm = time.localtime(self.clock())
                if stat_next in (-1, tm.tm_min):
                    for line in self.stat_lines():
                        self.log(line)
                    stat_next = (tm.tm_min + stat_interval - tm.tm_min % stat_interval) % 60
            if signals.stop is not None:
                self.log(signals.stop_name)
                return
            if signals.take_hup():
                self.log("SIGHUP")
                self.reload()

    def close(self):
        self.sock.close()
        for o in self.outputs:
            o.close()
