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
from pyflowtools.core.native import ffi, lib, check
from pyflowtools.report.agg import field_id
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.report.synonly import RST_ACK, SYN_ONLY, check_fields
from pyflowtools.util import ipv4

#: the shipped worm and backdoor port names (-N)
WORM_PORTS = symbols.path("worm-ports")

DEFAULT_THRESHOLD = 50
MAX_SLOTS = 1 << 31            # ftc_pr_table_t.cap is a uint32_t power of two
DEFAULT_PORTS = 10

Host = namedtuple("Host", "address count ports")     # ports: [(port, flows)]
Report = namedtuple("Report", "hosts suspects")      # suspects: hosts >= threshold


class Mode(namedtuple("Mode", "rule host port all_ports count_name port_name")):
    """What is counted: the rule, the host and port fields, whether every
    flow of a host is ranked by port (or only the matching ones), and the
    TSV column names."""
    __slots__ = ()


def mode(ingress=False, matching_only=False):
    if ingress:
        return Mode(RST_ACK, "dstaddr", "srcport", False, "rst_ack", "srcport")
    return Mode(SYN_ONLY, "srcaddr", "dstport", not matching_only, "syn_only", "dstport")


class PairTable:
    """The C table of per-(host, port) counters (ftc_pr_table_t); grows by
    rehashing into a bigger zeroed table when the C call says FULL."""

    def __init__(self, cap=1 << 12):
        self._alloc(cap)

    def _alloc(self, cap):
        self._slots = ffi.new("ftc_pr_slot_t[]", cap)
        self.t = ffi.new("ftc_pr_table_t *", {"slot": self._slots, "cap": cap, "used": 0})

    def grow(self):
        old_slots, old = self._slots, self.t
        cap = old.cap
        if cap >= MAX_SLOTS:
            raise FlowToolsError("more than %d distinct (host, port) pairs" % (MAX_SLOTS * 3 // 4))
        self._alloc(min(cap * (4 if cap < (1 << 20) else 2), MAX_SLOTS))
        check(lib.ftc_pr_rehash(old, self.t))
        del old_slots

    def __len__(self):
        return self.t.used

    def pairs(self):
        """{(host, port): (flows, hits)} -- tests and debugging only."""
        return {(s.key >> 32, s.key & 0xFFFFFFFF): (s.flows, s.hits)
                for s in (self._slots[i] for i in range(self.t.cap)) if s.flows}


class Ranking:
    """Counts batches in one pass; `report()` ranks at the end."""

    def __init__(self, rectype, mode_=None, cap=1 << 12):
        self.mode = mode_ or mode()
        check_fields(rectype, ("prot", "tcp_flags", self.mode.host, self.mode.port))
        self.rectype = rectype
        self.table = PairTable(cap)
        self._hf = field_id(self.mode.host)
        self._pf = field_id(self.mode.port)
        self._done = ffi.new("size_t *")

    def add(self, batch):
        """Count one batch (one C call, more only when the table grows)."""
        if not batch.n:
            return
        batch.to_host()
        rule = self.mode.rule
        self._done[0] = 0
        while True:
            st = lib.ftc_pr_add(self.table.t, self.rectype, batch.ptr, batch.n,
                                self._hf, self._pf, rule.value, rule.mask,
                                1 if self.mode.all_ports else 0, self._done)
            if st != lib.FTC_EFULL:
                check(st)
                return
            self.table.grow()

    def report(self, threshold=DEFAULT_THRESHOLD, max_hosts=0, max_ports=DEFAULT_PORTS):
        """Report of the hosts with at least `threshold` matching flows
        (count descending, address ascending; at most max_hosts, 0 = all),
        each with its ports (flows descending, port ascending; at most
        max_ports, 0 = all).  Three C calls; only the suspects' pairs are
        sorted."""
        t = self.table.t
        hosts = PairTable(1 << 8)
        while True:
            st = lib.ftc_pr_hosts(t, threshold, hosts.t)
            if st != lib.FTC_EFULL:
                check(st)
                break
            hosts = PairTable(min(hosts.t.cap * 4, MAX_SLOTS))
        n = hosts.t.used
        idx = ffi.new("uint32_t[]", n + 1)
        suspects = check(lib.ftc_pr_rank_hosts(hosts.t, threshold, idx,
                                               ffi.new("uint32_t[]", n + 1)))
        nh = min(suspects, max_hosts) if max_hosts else suspects
        rank_of = ffi.new("uint32_t[]", hosts.t.cap)
        nrows = ffi.new("size_t *")
        cap = nh * 16
        while True:
            rows = ffi.new("ftc_pr_row_t[]", cap + 1)
            tmp = ffi.new("ftc_pr_row_t[]", cap + 1)
            st = lib.ftc_pr_ports(t, hosts.t, idx, nh, max_ports, rank_of, rows, tmp,
                                  cap + 1, nrows)
            if st != lib.FTC_EFULL:
                check(st)
                break
            cap = nrows[0]
        out = []
        for i in range(nrows[0]):
            r = rows[i]
            if r.port_rank == 1:
                out.append(Host(r.host, r.host_hits, []))
            out[-1].ports.append((r.port, r.flows))
        return Report(out, suspects)


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
    """
    for i, h in enumerate(report.hosts):
        if i:
            yield ""
        yield "potential host%d: %s" % (i + 1, ipv4.text(h.address))
        yield "-----"
        for port, flows in h.ports:
            name = names.name(port) if names is not None else None
            yield " %d times probe on dstport %d%s" % (flows, port,
                                                       " (%s)" % name if name else "")


def tsv_columns(mode_, names=False):
    cols = ["host", mode_.count_name, mode_.port_name, "flows"]
    return cols + ["name"] if names else cols


def tsv_rows(report, names=None):
    """One tuple per (host, port): host, count, port, flows[, name]."""
    for h in report.hosts:
        for port, flows in h.ports:
            row = (ipv4.text(h.address), h.count, port, flows)
            if names is not None:
                row += (names.name(port, ""),)
            yield row
