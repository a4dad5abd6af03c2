"""The exporter sequence table (csrc/seq.c, formats.md 6.6) on THE hash
table (core/table.py): one exporter slot per (source IP, local IP,
version) with its counters, one engine slot per (exporter key, engine)
with the next flow_sequence expected.  Grown by the one policy up to its
cap (FTC_SEQ_MAX_EXPORTERS exporters: twice as many slots), then the
slots heard from longest ago are evicted; slots silent FTC_SEQ_IDLE_SECS
are expired by tick().  Both in C, a whole table pass at a time."""
from pyflowtools.core.native import check, ffi, lib
from pyflowtools.core.table import SEQ, Table, cap_for

SEQ_NEW = lib.FTC_SEQ_NEW
SEQ_LOST = lib.FTC_SEQ_LOST
SEQ_RESET = lib.FTC_SEQ_RESET
EXPORTER = lib.FTC_SEQ_EXPORTER
ENGINE = lib.FTC_SEQ_ENGINE
MAX_EXPORTERS = lib.FTC_SEQ_MAX_EXPORTERS
IDLE_SECS = lib.FTC_SEQ_IDLE_SECS
#: seconds between two expiry passes of tick()
SWEEP_SECS = 60


class SequenceTable:
    """The C table (`table`: the ftc_seq_table_t pointer the receive
    kernels take; replaced when the table grows)."""

    def __init__(self, capacity=64, max_exporters=MAX_EXPORTERS, idle=IDLE_SECS):
        cap = cap_for(0)
        while cap < capacity:
            cap *= 2
        #: the most slots: an exporter key and one engine each
        self.limit = 2 * max_exporters
        self.idle = idle
        self.tab = Table(SEQ, lib.FTC_SEQ_KEY_LEN, min(cap, cap_for(self.limit)),
                         max_keys=self.limit)
        self.expired = 0               # slots gone silent for `idle` seconds
        self.evicted = 0               # slots removed to make room
        self._reported = (0, 0)
        self._swept = None
        self._exp = ffi.new("uint32_t *")
        self._lost = ffi.new("uint32_t *")

    @property
    def table(self):
        return self.tab.t

    @property
    def capacity(self):
        return self.tab.cap

    def __len__(self):
        return len(self.tab)

    def grow(self):
        """Make room (a kernel returned FTC_EFULL): grow by the one policy
        below the cap; at it, evict the slots heard from longest ago (one
        sixteenth of the cap, so that eviction passes stay rare)."""
        if len(self.tab) + 2 <= self.limit:
            self.tab.grow()
            return
        self._prune(0, 0, self.limit - max(2, self.limit // 16))

    def _prune(self, now, idle, keep):
        gone = check(lib.ftc_seq_expire(self.tab.t, now & 0xFFFFFFFF, idle, keep, self._exp),
                     "sequence expiry")
        self.tab.t.full = 0
        self.expired += self._exp[0]
        self.evicted += gone - self._exp[0]
        return gone

    def expire(self, now):
        """Drop the slots silent for `idle` seconds or more at `now`."""
        return self._prune(now, self.idle, self.limit)

    def tick(self, now):
        """The collectors' once-a-batch call: every SWEEP_SECS an expiry
        pass; returns a log line ("sequence state: ...") when slots were
        expired or evicted since the last one, else None."""
        now = int(now)
        if self._swept is None:
            self._swept = now
        if abs(now - self._swept) < SWEEP_SECS:
            return None
        self._swept = now
        self.expire(now)
        if (self.expired, self.evicted) == self._reported:
            return None
        line = ("sequence state: expired=%d evicted=%d slots=%d cap=%d idle=%d"
                % (self.expired - self._reported[0], self.evicted - self._reported[1],
                   len(self), self.limit, self.idle))
        self._reported = (self.expired, self.evicted)
        return line

    def check(self, exporter_ip, local_ip, hdr, now=0):
        """Account one verified datagram (hdr: ftc_pdu_hdr_t *) heard at
        `now`.  Returns (SEQ_* bits, expected, lost); makes room when
        needed."""
        while True:
            r = lib.ftc_seq_check(self.tab.t, exporter_ip, local_ip, hdr, now & 0xFFFFFFFF,
                                  self._exp, self._lost)
            if r != lib.FTC_EFULL:
                break
            self.grow()
        check(r, "sequence check")
        return r, self._exp[0], self._lost[0]

    def slots(self):
        """Every used slot (ftc_seq_slot_t *), in slot order."""
        for i in self.tab.indexes():
            yield self.tab.slot(i, "ftc_seq_slot_t")

    def exporter(self, exporter_ip, local_ip, version):
        """The exporter slot of a key (ftc_seq_slot_t *), or None."""
        idx = ffi.new("uint32_t *")
        found = check(lib.ftc_seq_find(self.tab.t, exporter_ip, local_ip, version, idx),
                      "sequence table")
        return self.tab.slot(idx[0], "ftc_seq_slot_t") if found else None
