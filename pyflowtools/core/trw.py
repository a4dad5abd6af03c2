"""flow-trw's kernel (csrc/trw.c) on THE hash table (core/table.py):
first contacts per (source, destination), answers per 5-tuple and the walk
state per source, filled in one pass of one C call per batch; outcomes and
the walks in one C call at the end; the scanners' ports in portrank's
(host, port) table and report.  v1006 records take 128-bit keys (Walk's
`six`), every other version 32-bit ones."""
from collections import namedtuple

from pyflowtools.core import portrank
from pyflowtools.core.native import check, ffi, lib
from pyflowtools.core.table import PR, Table, cap_for, run

TRWC, TRWR, TRWS = lib.FTC_TAB_TRWC, lib.FTC_TAB_TRWR, lib.FTC_TAB_TRWS
FLAGGED, LOCAL = lib.FTC_TRW_FLAGGED, lib.FTC_TRW_LOCAL
SUCCESS, FAILURE = lib.FTC_TRW_SUCCESS, lib.FTC_TRW_FAILURE
V1006 = lib.FTC_RT_V1006

#: one source's walk: address (int), local, first contacts held, dropped
#: (caps), failures, successes, benign decisions, flagged, flagged_at (ms
#: since the epoch), contacts and failures walked when flagged, peak ratio
Source = namedtuple("Source", "address local contacts dropped failures successes benign "
                              "flagged flagged_at to_flag fail_to_flag peak")

#: one of a scanner's ports: prot, port (ICMP: type << 8 | code), first
#: contacts to it, failed ones
Port = namedtuple("Port", "prot port probes failed")


class Walk:
    """The tables and counters of one run.  `local`: (ftc_zone_range_t
    array, count) from core/zone.ranges, or None (every address local);
    factors and thresholds as ftc_trw_t wants them; caps: first contacts
    held in all, per source, answer 5-tuples held.  `six`: v1006 records,
    128-bit keys (addresses are then 128-bit ints, IPv4 ones mapped)."""

    def __init__(self, local, f_success, f_failure, eta1, eta0, max_contacts,
                 max_per_source, max_replies, six=False):
        st = self.st = ffi.new("ftc_trw_t *")
        self._local = local
        if local is not None:
            st.local, st.n_local = local
        st.f_success, st.f_failure, st.eta1, st.eta0 = f_success, f_failure, eta1, eta0
        st.max_contacts = max_contacts
        st.max_per_source = max_per_source
        st.max_replies = max_replies
        self.six = six
        #: bytes of an address in the keys
        self.addr_len = 16 if six else 4
        self.contacts = Table(TRWC, 2 * self.addr_len, limit=cap_for(max_contacts))
        self.replies = Table(TRWR, 8, limit=cap_for(max_replies))
        self.sources = Table(TRWS, self.addr_len, limit=cap_for(max_contacts))
        self._done = ffi.new("size_t *")

    def add(self, batch):
        """One batch (host order): one C call, more when a table grows."""
        if not batch.n:
            return
        batch.to_host()
        self.add_records(batch.rectype, batch.ptr, batch.n, len(batch.buf))

    def add_records(self, rectype, ptr, n, size):
        done = self._done
        done[0] = 0
        c, r, s = self.contacts, self.replies, self.sources
        run(lambda: lib.ftc_trw_add(self.st, c.t, r.t, s.t, rectype, ptr, n, size, done),
            c, r, s)

    def check_rectype(self, rectype):
        """FormatError (FTC_EFIELD) when records of rectype lack a field."""
        self._done[0] = 0
        check(lib.ftc_trw_add(self.st, self.contacts.t, self.replies.t, self.sources.t,
                              rectype, ffi.NULL, 0, 0, self._done), "flow-trw")

    @property
    def counters(self):
        """(records, attempts, first contacts dropped, answers dropped)."""
        st = self.st
        return st.records, st.attempts, st.contacts_dropped, st.replies_dropped

    def finish(self, min_failures=0):
        """Outcomes and walks (sources with fewer than min_failures
        failures cannot cross eta1 and are not walked).  Returns the
        number of scanners."""
        n = len(self.contacts) + 1
        idx = ffi.new("uint32_t[]", n)
        scratch = ffi.new("uint32_t[]", n)
        return check(lib.ftc_trw_finish(self.st, self.contacts.t, self.replies.t,
                                        self.sources.t, min_failures, idx, scratch, n),
                     "flow-trw walk")

    def source(self, address):
        """The Source of an address (int), or None."""
        i = self.sources.find(address.to_bytes(self.addr_len, "big"))
        if i is None:
            return None
        s = self.sources.slot(i, "ftc_trw_src_t")
        return Source(address, bool(s.flags & LOCAL), s.contacts, s.dropped, s.failures,
                      s.successes, s.benign, bool(s.flags & FLAGGED), s.flagged_at,
                      s.to_flag, s.fail_to_flag, s.peak)

    def sources_all(self):
        """Every Source (tests: one Python step per source)."""
        for i in self.sources.indexes():
            yield self.source(int.from_bytes(self.sources.key(i), "big"))

    def scanners(self, max_hosts=0, max_ports=0):
        """[(Source, [Port])] of the flagged sources: failed first contacts
        descending, address ascending (at most max_hosts, 0: all), each
        with its ports by first contacts descending (at most max_ports)."""
        pairs = Table(PR, self.addr_len + 3)
        done = ffi.new("uint32_t *", 0)
        run(lambda: lib.ftc_trw_ports(self.contacts.t, self.sources.t, pairs.t, done), pairs)
        rows, _ = portrank.report(pairs, self.addr_len, 0, max_hosts, max_ports)
        out = []
        for r in rows:
            if r.port_rank == 1:
                out.append((self.source(r.host), []))
            out[-1][1].append(Port(r.port >> 16, r.port & 0xFFFF, r.flows,
                                   self._failed(pairs, r.host, r.port)))
        return out

    def _failed(self, pairs, host, port):
        i = pairs.find(host.to_bytes(self.addr_len, "big") + port.to_bytes(3, "big"))
        return pairs.slot(i, "ftc_pr_slot_t").hits

    def keep(self, batch):
        """Compact a host-order batch to the flows of the scanners."""
        batch.to_host()
        kept = ffi.new("size_t *")
        check(lib.ftc_trw_keep(self.sources.t, batch.rectype, batch.ptr, batch.n,
                               len(batch.buf), kept), "flow-trw")
        batch.n = kept[0]
        return batch
