"""The exporter sequence table (csrc/seq.c, formats.md 6.6) on THE hash
table (core/table.py): one exporter slot per (source IP, local IP,
version) with its counters, one engine slot per (exporter key, engine)
with the next flow_sequence expected.  Grown by the one policy."""
from pyflowtools.core.native import check, ffi, lib
from pyflowtools.core.table import SEQ, Table, cap_for

SEQ_NEW = lib.FTC_SEQ_NEW
SEQ_LOST = lib.FTC_SEQ_LOST
SEQ_RESET = lib.FTC_SEQ_RESET
EXPORTER = lib.FTC_SEQ_EXPORTER
ENGINE = lib.FTC_SEQ_ENGINE


class SequenceTable:
    """The C table (`table`: the ftc_seq_table_t pointer the receive
    kernels take; replaced when the table grows)."""

    def __init__(self, capacity=64):
        cap = cap_for(0)
        while cap < capacity:
            cap *= 2
        self.tab = Table(SEQ, lib.FTC_SEQ_KEY_LEN, cap)
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
        """Grow by the one policy (a kernel returned FTC_EFULL)."""
        self.tab.grow()

    def check(self, exporter_ip, local_ip, hdr):
        """Account one verified datagram (hdr: ftc_pdu_hdr_t *).  Returns
        (SEQ_* bits, expected, lost); grows the table when needed."""
        while True:
            r = lib.ftc_seq_check(self.tab.t, exporter_ip, local_ip, hdr, self._exp, self._lost)
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
