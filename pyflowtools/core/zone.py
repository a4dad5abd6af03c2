"""ftc_zone_*: flow-zonecheck's classifier (csrc/zone.c): address sets by
longest prefix match, the zone database, alerts and their lines.  Addresses
are 128-bit ints (IPv4 ones IPv4-mapped); an alert's server and peer are
four words each (`address()`)."""
from pyflowtools.core.errors import InternalError
from pyflowtools.core.native import check, ffi, lib

#: alert levels, directions, and the TSV option of the lines
ALERT, RED = lib.FTC_ZONE_ALERT, lib.FTC_ZONE_RED
INGRESS, EGRESS = lib.FTC_ZONE_INGRESS, lib.FTC_ZONE_EGRESS
TSV = lib.FTC_ZONE_TSV


def _words(a):
    return [(a >> 96) & 0xFFFFFFFF, (a >> 64) & 0xFFFFFFFF, (a >> 32) & 0xFFFFFFFF,
            a & 0xFFFFFFFF]


def ranges(prefixes):
    """[(net, len, value)] -> (cffi ftc_zone_range_t[], count): sorted
    disjoint ranges carrying the value of their longest prefix.  net is a
    128-bit int, len 0..128 (an IPv4 prefix: its mapped form, util/ipv6)."""
    n = len(prefixes)
    pfx = ffi.new("ftc_zone_prefix_t[]", max(n, 1))
    for i, (net, length, value) in enumerate(prefixes):
        pfx[i].net, pfx[i].len, pfx[i].value = _words(net), length, value
    out = ffi.new("ftc_zone_range_t[]", 2 * n + 1)
    nout = ffi.new("size_t *")
    check(lib.ftc_zone_ranges(pfx, n, out, 2 * n + 1, nout), "zone prefixes")
    return out, nout[0]


def lookup(rng, n, addr):
    """The value of the range of (rng, n) holding addr (a 128-bit int), or
    None."""
    v = lib.ftc_zone_lookup(rng, n, ffi.new("uint32_t[4]", _words(addr)))
    return None if v < 0 else v


def address(words):
    """The 128-bit int of an alert's server or peer (four 32-bit words),
    or of a range bound (two 64-bit halves)."""
    if len(words) == 2:
        return (words[0] << 64) | words[1]
    return (words[0] << 96) | (words[1] << 64) | (words[2] << 32) | words[3]


class Db:
    """The zone database: zone entries' prefixes (value = entry index),
    inside prefixes, and per entry its services as sorted disjoint key
    ranges [(lo, hi)] (key = prot << 16 | port)."""

    def __init__(self, zone_prefixes, inside_prefixes, services):
        self._zr, nz = ranges(zone_prefixes)
        self._ir, ni = ranges(inside_prefixes)
        start, flat = [0], []
        for entry in services:
            for lo, hi in entry:
                flat += (lo, hi)
            start.append(len(flat) // 2)
        self._start = ffi.new("uint32_t[]", start)
        self._svc = ffi.new("uint32_t[]", flat or [0, 0])
        self.ptr = ffi.new("ftc_zone_db_t *", {
            "zones": self._zr, "n_zones": nz, "inside": self._ir, "n_inside": ni,
            "svc_start": self._start, "svc": self._svc, "n_entries": len(services)})
        self._out = None
        self._cap = 0
        self._done = ffi.new("size_t *")
        self._produced = ffi.new("size_t *")
        self._kept = ffi.new("size_t *")

    def check_rectype(self, rectype):
        """FormatError when records of rectype lack a field the rules read."""
        self._done[0] = 0
        check(lib.ftc_zone_check(self.ptr, rectype, ffi.NULL, 0, self._done, ffi.NULL, 0,
                                 self._produced))

    def check(self, batch):
        """(cffi ftc_zone_alert_t array, count) of a host-order batch, in
        record order; the array is reused by the next call."""
        cap = 2 * batch.n
        if self._out is None or self._cap < cap:
            self._cap = max(cap, 64)
            self._out = ffi.new("ftc_zone_alert_t[]", self._cap)
        self._done[0] = 0
        st = lib.ftc_zone_check(self.ptr, batch.rectype, batch.ptr, batch.n, self._done,
                                self._out, self._cap, self._produced)
        if st == lib.FTC_EFULL:       # 2 per record at most: cannot happen
            raise InternalError("zone alert buffer full")
        check(st)
        return self._out, self._produced[0]

    def keep(self, batch, alerts, n):
        """Compact batch to the records that raised alerts."""
        check(lib.ftc_zone_keep(alerts, n, batch.rectype, batch.ptr, batch.n, self._kept))
        batch.n = self._kept[0]
        return batch


#: bytes of one alert (ftc_zone_alert_t: plain numbers, no pointer)
ALERT_BYTES = ffi.sizeof("ftc_zone_alert_t")


def alert_bytes(alerts, n):
    """The bytes of alerts[0..n) (a view of the array: use it at once)."""
    return ffi.buffer(alerts, n * ALERT_BYTES)


def alerts_of(data):
    """(cffi ftc_zone_alert_t array over data, count): alert_bytes()
    read back, in this process or another one (data is kept by the
    caller as long as the array)."""
    n = len(data) // ALERT_BYTES
    return ffi.from_buffer("ftc_zone_alert_t[]", data), n


def header(opts):
    """The alert lines' column header (FTC_ZONE_TSV: tab-separated)."""
    buf = bytearray(1 << 12)
    n = ffi.new("size_t *")
    check(lib.ftc_zone_header(opts, ffi.from_buffer("char[]", buf), len(buf), n))
    return bytes(buf[:n[0]])


class Lines:
    """Alert lines (options opts) in one reusable buffer."""

    def __init__(self, opts):
        self.opts = opts
        self._state = ffi.new("ftc_fmt_state_t *")
        self._buf = bytearray(1 << 16)
        self._ptr = ffi.from_buffer("char[]", self._buf)
        self._len = ffi.new("size_t *")
        self._used = ffi.new("size_t *")

    def lines(self, alerts, n):
        """Yield bytes chunks of the lines of alerts[0..n)."""
        done = 0
        while done < n:
            st = lib.ftc_zone_format(alerts + done, n - done, self.opts, self._state,
                                     self._ptr, len(self._buf), self._len, self._used)
            if st != lib.FTC_EFULL:
                check(st)
            yield bytes(self._buf[:self._len[0]])
            done += self._used[0]
