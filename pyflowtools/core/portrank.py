"""flow-portrank's counting kernel (csrc/portrank.c) on THE hash table
(core/table.py): per (host, port) the flows and the flows matching a TCP
flag rule, in one pass; then the report in three C calls."""
from collections import namedtuple

from pyflowtools.core.native import check, ffi, field_id, lib
from pyflowtools.core.table import PR, Table, next_cap, run

#: host fields that stand for a whole 128-bit address (16 key bytes)
ADDR6 = ("srcaddr6_0", "dstaddr6_0")

#: one report row: a reported host (an int, 128-bit for ADDR6 hosts) and
#: one of its ports
Row = namedtuple("Row", "host port host_hits flows host_rank port_rank")


class PairCounts:
    """The (host, port) table of one record type: host and port are field
    names, rule a (value, mask) pair on tcp_flags of TCP records; with
    all_ports every record of a host counts in `flows`, else only the
    matching ones."""

    def __init__(self, rectype, host, port, value, mask, all_ports, cap=1 << 12):
        self.rectype = rectype
        self._hf, self._pf = field_id(host), field_id(port)
        # srcaddr6_0 / dstaddr6_0: the whole 128-bit address (v1006)
        self.host_len = 16 if host in ADDR6 else lib.ftc_field_width(self._hf)
        self.table = Table(PR, self.host_len + lib.ftc_field_width(self._pf), cap)
        self._rule = (value, mask, 1 if all_ports else 0)
        self._done = ffi.new("size_t *")

    def __len__(self):
        return len(self.table)

    def add(self, batch):
        """Count one batch (host order): one C call, more when the table
        grows."""
        if not batch.n:
            return
        batch.to_host()
        value, mask, all_ = self._rule
        done = self._done
        done[0] = 0
        ptr, n, size = batch.ptr, batch.n, len(batch.buf)
        run(lambda: lib.ftc_pr_add(self.table.t, self.rectype, ptr, n, size, self._hf,
                                   self._pf, value, mask, all_, done), self.table)

    def pairs(self):
        """{(host, port): (flows, hits)} -- tests and debugging only."""
        hl = self.host_len
        out = {}
        for i in self.table.indexes():
            k, s = self.table.key(i), self.table.slot(i, "ftc_pr_slot_t")
            out[(int.from_bytes(k[:hl], "big"), int.from_bytes(k[hl:], "big"))] = \
                (s.flows, s.hits)
        return out

    def report(self, threshold, max_hosts=0, max_ports=0):
        """([Row] of the hosts with at least `threshold` matching flows --
        count descending, address ascending, at most max_hosts (0: all) --
        each with its ports -- flows descending, port ascending, at most
        max_ports (0: all)), number of such hosts).  Only the suspects'
        pairs are sorted."""
        return report(self.table, self.host_len, threshold, max_hosts, max_ports)


def report(table, host_len, threshold, max_hosts=0, max_ports=0):
    """The report of a (host, port) table of kind PR (keys: host_len bytes
    of host, then the port part): see PairCounts.report.  flow-trw ranks
    its scanners' (address, prot|port) pairs with it."""
    t = table.t
    hosts = Table(PR, host_len, 1 << 8)
    while True:       # a host table is filled in one go: on FULL, a bigger empty one
        st = lib.ftc_pr_hosts(t, threshold, hosts.t)
        if st != lib.FTC_EFULL:
            check(st, "portrank hosts")
            break
        hosts.renew(next_cap(hosts.cap))
    n = len(hosts)
    idx = ffi.new("uint32_t[]", n + 1)
    scratch = ffi.new("uint32_t[]", n + 1)
    suspects = check(lib.ftc_pr_rank_hosts(hosts.t, threshold, idx, scratch, n + 1),
                     "portrank hosts")
    nh = min(suspects, max_hosts) if max_hosts else suspects
    rank_of = ffi.new("uint32_t[]", hosts.cap)
    nrows = ffi.new("size_t *")
    cap = nh * 16 + 1
    while True:
        rows = ffi.new("ftc_pr_row_t[]", cap)
        tmp = ffi.new("ftc_pr_row_t[]", cap)
        order = ffi.new("uint32_t[]", cap)
        oscratch = ffi.new("uint32_t[]", cap)
        st = lib.ftc_pr_ports(t, hosts.t, idx, nh, max_ports, rank_of, hosts.cap, rows, tmp,
                              order, oscratch, cap, nrows)
        if st != lib.FTC_EFULL:
            check(st, "portrank ports")
            break
        cap = nrows[0] + 1
    out = []
    for i in range(nrows[0]):
        r = rows[i]
        h = r.host
        host = (h[0] << 96) | (h[1] << 64) | (h[2] << 32) | h[3]
        out.append(Row(host, r.port, r.host_hits, r.flows, r.host_rank, r.port_rank))
    return out, suspects
