"""NetFlow export datagrams (formats.md section 6): verify, decode into
host-order stream records, sequence accounting, and flow-send's encoder.
The binding is core/pdu.py (csrc/pdu.c) and core/seq.py (the sequence
table); this module is what the collectors, flow-send and flow-fanout use.

    hdr = pdu.verify(datagram)                      # PduHeader or DatagramError
    d = pdu.decode(datagram, exaddr=ip)             # Decoded(header, rectype, count, records)
    rx = pdu.Receiver(tracker=pdu.SequenceTracker())
    res = rx.feed(packed, lens, src_ips)            # thousands of datagrams, one C call
    dgrams = pdu.encode(records, rectype)           # list of datagram bytes

Record types are the FTC_RT_* ints (`native.rectype(version, method)`);
IPv4 addresses are ints (10.0.0.1 = 0x0A000001); records are bytes in host
order in the stream layout of their type.
"""
import collections

from pyflowtools.core.pdu import (  # noqa: F401 - the package's names for them
    DECODE_MAX, EV_CORRUPT, EV_EXPORTER, EV_SEQ, IPX_REASONS, MAX_COUNT, MAX_LEN, R_IPX,
    R_IPX_MASK, R_SRCIP, R_XLATE_AGG,
    R_XLATE_V8, REASONS, SEQ_RESET_GAP, RECV_MAX, DatagramError, Decoded, Encoder, Event, PduHeader,
    Receiver, RxResult, compat, decode, decode_many, default_output, encode, encode_packed,
    events, header_to_c, limits, verify)
from pyflowtools.core.seq import (  # noqa: F401
    EXPORTER, SEQ_LOST, SEQ_NEW, SEQ_RESET, SequenceTable)

__all__ = [
    "DatagramError", "PduHeader", "Decoded", "Event", "RxResult", "ExporterStats",
    "REASONS", "limits", "verify", "compat", "decode", "SequenceTracker",
    "Receiver", "decode_many", "Encoder", "encode", "encode_packed",
]

ExporterStats = collections.namedtuple(
    "ExporterStats", "exporter_ip local_ip version pkts flows lost resets filtered")


# ---------------------------------------------------------------------------
# sequence accounting

class SequenceTracker(SequenceTable):
    """The C sequence table (formats.md 6.6, core/seq.py) of a collector;
    grows by the one policy when full.

    One tracker lives as long as the collector: expected sequence numbers
    and per-exporter counters survive file rotations."""

    def check(self, exporter_ip, local_ip, header, now=0):
        """Account one verified datagram (a PduHeader) heard at `now`.
        Returns (flags, expected, lost): flags has SEQ_NEW / SEQ_LOST /
        SEQ_RESET."""
        return SequenceTable.check(self, exporter_ip, local_ip, header_to_c(header), now)

    def exporters(self):
        """ExporterStats of every exporter key (flow-capture's STAT lines)."""
        out = [ExporterStats(s.exporter_ip, s.local_ip, s.version, s.pkts, s.flows, s.lost,
                             s.resets, s.filtered)
               for s in self.slots() if s.kind == EXPORTER]
        out.sort()
        return out
