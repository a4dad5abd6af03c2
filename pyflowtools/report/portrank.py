"""flow-portrank: the articles' three "TCP flags" steps in one pass.

(1) count the flows matching a TCP flag rule per host; (2) the hosts at or
above a threshold are suspects; (3) rank the ports of each suspect.

    egress (default)  host = srcaddr, rule SYN only, ports = dstport of
                      ALL the host's flows (or only of its SYN-only flows)
    ingress (-d)      host = dstaddr, rule RST|ACK only, ports = srcport of
                      those RST|ACK flows (the ports the host probed)

The C core (csrc/portrank.c) keeps one counter pair per distinct (host,
port) -- all flows, matching flows -- so memory follows the number of
distinct pairs, never the number of flows, and one pass over stdin is
enough: a host's port counts exist before it is known to be a suspect.
"""
from collections import namedtuple

from pyflowtools.report import symbols
from pyflowtools.core.portrank import PairCounts
from pyflowtools.report.synonly import RST_ACK, SYN_ONLY, check_fields
from pyflowtools.core.native import layout
from pyflowtools.util import ipv4, ipv6

#: the shipped worm and backdoor port names (-N)
WORM_PORTS = symbols.path("worm-ports")

DEFAULT_THRESHOLD = 50
DEFAULT_PORTS = 10

Host = namedtuple("Host", "address count ports")     # ports: [(port, flows)]
# suspects: hosts >= threshold; ipv6: addresses are 128-bit (v1006; IPv4
# hosts as mapped addresses, printed as dotted quads)
Report = namedtuple("Report", "hosts suspects ipv6", defaults=(False,))


class Mode(namedtuple("Mode", "rule host port all_ports count_name port_name")):
    """What is counted: the rule, the host and port fields, whether every
    flow of a host is ranked by port (or only the matching ones), and the
    TSV column names."""
    __slots__ = ()


def mode(ingress=False, matching_only=False):
    if ingress:
        return Mode(RST_ACK, "dstaddr", "srcport", False, "rst_ack", "srcport")
    return Mode(SYN_ONLY, "srcaddr", "dstport", not matching_only, "syn_only", "dstport")


class Ranking:
    """Counts batches in one pass; `report()` ranks at the end."""

    def __init__(self, rectype, mode_=None, cap=1 << 12):
        self.mode = mode_ or mode()
        check_fields(rectype, ("prot", "tcp_flags", self.mode.host, self.mode.port))
        self.rectype = rectype
        #: v1006: hosts are the 128-bit addresses
        self.ipv6 = self.mode.host + "6_0" in layout(rectype)[3]
        host = self.mode.host + "6_0" if self.ipv6 else self.mode.host
        rule = self.mode.rule
        self.table = PairCounts(rectype, host, self.mode.port, rule.value, rule.mask,
                                self.mode.all_ports, cap)

    def add(self, batch):
        """Count one batch (one C call, more only when the table grows)."""
        self.table.add(batch)

    def partial(self):
        """The pair counts as bytes, for a split run (pyflowtools/parallel)."""
        from pyflowtools.core import partial
        return [partial.export(self.table.table)]

    def merge(self, parts):
        """Add another Ranking's partial()."""
        from pyflowtools.core import partial
        partial.merge(self.table.table, parts[0])

    def report(self, threshold=DEFAULT_THRESHOLD, max_hosts=0, max_ports=DEFAULT_PORTS):
        """Report of the hosts with at least `threshold` matching flows
        (count descending, address ascending; at most max_hosts, 0 = all),
        each with its ports (flows descending, port ascending; at most
        max_ports, 0 = all).  Three C calls; only the suspects' pairs are
        sorted."""
        rows, suspects = self.table.report(threshold, max_hosts, max_ports)
        out = []
        for r in rows:
            if r.port_rank == 1:
                out.append(Host(r.host, r.host_hits, []))
            out[-1].ports.append((r.port, r.flows))
        return Report(out, suspects, self.ipv6)


def rank(batches, rectype, mode_=None, threshold=DEFAULT_THRESHOLD, max_hosts=0,
         max_ports=DEFAULT_PORTS):
    """One pass over `batches` -> Report."""
    r = Ranking(rectype, mode_)
    for b in batches:
        r.add(b)
    return r.report(threshold, max_hosts, max_ports)


def load_names(path=WORM_PORTS):
    """The -N port names (a SymbolTable)."""
    return symbols.load(path)


def text_lines(report, names=None):
    """The articles' layout, one block per host, a blank line between
    blocks:

        potential host1: 61.236.123.225
        -----
         84 times probe on dstport 1025

    IPv6 hosts (v1006) print in RFC 5952 form, IPv4 ones as dotted quads.
    """
    text = host_text(report)
    for i, h in enumerate(report.hosts):
        if i:
            yield ""
        yield "potential host%d: %s" % (i + 1, text(h.address))
        yield "-----"
        for port, flows in h.ports:
            name = names.name(port) if names is not None else None
            yield " %d times probe on dstport %d%s" % (flows, port,
                                                       " (%s)" % name if name else "")


def host_text(report):
    """The printer of the report's host addresses: util/ipv6.text for
    128-bit ones (a dotted quad for an IPv4-mapped one), else the dotted
    quad."""
    return ipv6.text if report.ipv6 else ipv4.text


def tsv_columns(mode_, names=False):
    cols = ["host", mode_.count_name, mode_.port_name, "flows"]
    return cols + ["name"] if names else cols


def tsv_rows(report, names=None):
    """One tuple per (host, port): host, count, port, flows[, name]."""
    text = host_text(report)
    for h in report.hosts:
        for port, flows in h.ports:
            row = (text(h.address), h.count, port, flows)
            if names is not None:
                row += (names.name(port, ""),)
            yield row
