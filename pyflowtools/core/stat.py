"""ftc_stat_*: the report-wide counters of flow-stat and flow-report
(csrc/stat.c; docs/REPORT-ENGINE.md): totals, time bounds, rates and the
flow-stat -f 0 / summary-detail histograms, one C call per batch.

    tot = Totals(hist=True)
    for batch in reader:
        sel = tot.add(batch)          # the records counted (dPkts != 0)
        agg.add(batch, sel)
    tot.flows, tot.octets, tot.hist_psize ...
"""
from pyflowtools.core.errors import InternalError
from pyflowtools.core.native import check, ffi, lib

HIST = lib.FTC_STAT_HIST
_FIELDS = ("records", "ignores", "flows", "octets", "packets", "duration", "frecs",
           "min_secs", "max_secs", "min_first", "max_last",
           "pps_sum", "pps_min", "pps_max", "bps_sum", "bps_min", "bps_max")
_HISTS = ("hist_psize", "hist_fpsize", "hist_fosize", "hist_ftime")


class Totals:
    """Counters over every record added (see the module doc).  scale:
    dPkts and dOctets multiplied by it (0: not); hist: fill the
    histograms; dflows: flows += dFlows for the record types that have it;
    rates: the pps and bps figures (two divisions a record; without them
    they stay 0)."""

    def __init__(self, scale=0, hist=False, dflows=True, rates=True):
        self.scale = int(scale)
        self.flags = ((lib.FTC_STAT_HISTS if hist else 0) | (lib.FTC_STAT_DFLOWS if dflows else 0)
                      | (lib.FTC_STAT_RATES if rates else 0))
        self.c = ffi.new("ftc_stat_tot_t *")
        lib.ftc_stat_tot_init(self.c)
        self._sel = bytearray()

    def add(self, batch, sel=None):
        """Count the batch's records selected by sel (None: all); returns a
        bytearray of 0/1 per record: 1 for the records counted (dPkts *
        scale != 0).  It is reused by the next call: copy it to keep it."""
        n = batch.n
        if len(self._sel) < n:
            self._sel = bytearray(n)
        if not n:
            return memoryview(self._sel)[:0]
        if sel is not None and len(sel) < n:
            raise InternalError("selection shorter than the batch")
        batch.to_host()
        out = ffi.from_buffer("uint8_t[]", self._sel)
        sp = ffi.NULL if sel is None else ffi.from_buffer("uint8_t[]", sel)
        check(lib.ftc_stat_tot_add(self.c, self.flags, self.scale, batch.rectype, batch.ptr,
                                   n, len(batch.buf), sp, out), "totals")
        return memoryview(self._sel)[:n]

    def __getattr__(self, name):
        if name in _FIELDS:
            return getattr(self.c, name)
        if name in _HISTS:
            a = getattr(self.c, name)
            return [a[i] for i in range(HIST)]
        raise AttributeError(name)

    def pps(self):
        """(avg, min, max) packets per second over records with Last != First."""
        c = self.c
        return (c.pps_sum / c.frecs if c.frecs else 0.0, c.pps_min, c.pps_max)

    def bps(self):
        """(avg, min, max) bits per second, the same way."""
        c = self.c
        return (c.bps_sum / c.frecs if c.frecs else 0.0, c.bps_min, c.bps_max)


def split(batch, start, limit):
    """The first record at or after `start` whose unix_secs exceeds limit
    (batch.n when none): flow-report's time-series split, one C call."""
    batch.to_host()
    return check(lib.ftc_stat_split(batch.rectype, batch.ptr, batch.n, len(batch.buf), start,
                                    limit & 0xFFFFFFFF), "time split")
