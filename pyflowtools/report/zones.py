"""Special zones (flow-zonecheck): the zone file, the C classifier and the
report.

Zone file: one hardened server (or network) per line,

    ADDRESS[/LEN] [PROTO/PORT[-PORT][,PROTO/PORT...]]

PROTO is tcp or udp; services may be separated by commas and/or blanks;
`#` starts a comment; blank lines are ignored; a line without services
allows nothing.  An address inside several listed prefixes belongs to the
longest one (its own services only).  Errors name the file and line.

Per-record work is C (csrc/zone.c): the zone and inside lookups, the
flag and service tests, the alert lines.  Python only loops over batches
and keeps the per-server summary of the (few) alerts.
"""
import collections

from pyflowtools.core.native import ffi, lib, check
from pyflowtools.core.errors import FormatError, InternalError, UsageError
from pyflowtools.util import paths
from pyflowtools.util import ipv4

PROTOCOLS = {"tcp": 6, "udp": 17}
PROTOCOL_NAMES = {v: k for k, v in PROTOCOLS.items()}
LEVELS = {lib.FTC_ZONE_ALERT: "ALERT", lib.FTC_ZONE_RED: "RED"}
DIRECTIONS = {lib.FTC_ZONE_INGRESS: "ingress", lib.FTC_ZONE_EGRESS: "egress"}


class ZoneFileError(FormatError):
    """A malformed zone file: `FILE:LINE: problem`."""

    def __init__(self, path, line, problem):
        FormatError.__init__(self, "%s:%d: %s" % (path, line, problem) if line
                             else "%s: %s" % (path, problem))
        self.path, self.line, self.problem = path, line, problem


class Zone:
    """One zone file entry: prefix and allowed services [(prot, lo, hi)]."""

    __slots__ = ("net", "length", "services", "line")

    def __init__(self, net, length, services, line=0):
        self.net, self.length, self.services, self.line = net, length, services, line

    def __repr__(self):
        return "Zone(%s/%d, %r)" % (ipv4.text(self.net), self.length, self.services)

    @property
    def text(self):
        return ipv4.text(self.net) + ("" if self.length == 32 else "/%d" % self.length)


def _service(token):
    prot, slash, ports = token.partition("/")
    if not slash or not ports:
        raise ValueError("bad service '%s' (PROTO/PORT expected)" % token)
    p = PROTOCOLS.get(prot.lower())
    if p is None:
        raise ValueError("unknown protocol '%s' in '%s' (tcp or udp)" % (prot, token))
    lo, dash, hi = ports.partition("-")
    if not lo.isdigit() or (dash and not hi.isdigit()):
        raise ValueError("bad port in '%s'" % token)
    lo = int(lo)
    hi = int(hi) if dash else lo
    if lo > 65535 or hi > 65535 or hi < lo:
        raise ValueError("bad port in '%s' (0-65535, low-high)" % token)
    return p, lo, hi


def parse(text, path="zones"):
    """The entries of a zone file's text; ZoneFileError on the first
    malformed line."""
    zones = []
    seen = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        body = line.split("#", 1)[0]
        tokens = body.replace(",", " ").split()
        if not tokens:
            continue
        try:
            net, length = ipv4.parse_prefix(tokens[0], exact=True)
            services = [_service(t) for t in tokens[1:]]
        except ValueError as e:
            raise ZoneFileError(path, lineno, str(e)) from None
        key = (net, length)
        if key in seen:
            raise ZoneFileError(path, lineno, "%s is already listed on line %d"
                                % (tokens[0], seen[key]))
        seen[key] = lineno
        zones.append(Zone(net, length, services, lineno))
    return zones


def resolve(path):
    """`path`, or the shipped file of that bare name (`-z zones.conf`
    finds the example): the one lookup of util.paths."""
    return paths.resolve(path)


def load(path):
    """Parse the zone file at `path` (OSError when it cannot be read)."""
    path = resolve(path)
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    zones = parse(text, path)
    if not zones:
        raise ZoneFileError(path, 0, "no zone defined")
    return zones


def parse_inside(values):
    """-L PREFIX[,PREFIX...] (repeatable) -> [(net, length)]."""
    out = []
    for v in values or ():
        for item in v.split(","):
            item = item.strip()
            if not item:
                continue
            try:
                out.append(ipv4.parse_prefix(item))
            except ValueError as e:
                raise UsageError("-L: %s" % e) from None
    return out


def _ranges(prefixes):
    """[(net, len, value)] -> (cffi ftc_zone_range_t[], count) by C LPM."""
    n = len(prefixes)
    pfx = ffi.new("ftc_zone_prefix_t[]", max(n, 1))
    for i, (net, length, value) in enumerate(prefixes):
        pfx[i].net, pfx[i].len, pfx[i].value = net, length, value
    out = ffi.new("ftc_zone_range_t[]", 2 * n + 1)
    nout = ffi.new("size_t *")
    check(lib.ftc_zone_ranges(pfx, n, out, 2 * n + 1, nout), "zone prefixes")
    return out, nout[0]


def _merge(services):
    """Sorted disjoint key ranges of [(prot, lo, hi)]."""
    out = []
    for lo, hi in sorted(((p << 16) | lo, (p << 16) | hi) for p, lo, hi in services):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return out


class Checker:
    """The zones and inside networks as C tables; check(batch) -> alerts."""

    def __init__(self, zones, inside=()):
        self.zones = list(zones)
        # zones with the same prefix were refused by parse(); inside
        # prefixes may repeat (-L a,a): keep each once
        inside = sorted(set((net, length) for net, length in inside))
        self._zr, nz = _ranges([(z.net, z.length, i) for i, z in enumerate(self.zones)])
        self._ir, ni = _ranges([(net, length, 0) for net, length in inside])
        start, flat = [0], []
        for z in self.zones:
            for lo, hi in _merge(z.services):
                flat += (lo, hi)
            start.append(len(flat) // 2)
        self._start = ffi.new("uint32_t[]", start)
        self._svc = ffi.new("uint32_t[]", flat or [0, 0])
        self.db = ffi.new("ftc_zone_db_t *", {
            "zones": self._zr, "n_zones": nz, "inside": self._ir, "n_inside": ni,
            "svc_start": self._start, "svc": self._svc, "n_entries": len(self.zones)})
        self._out = None
        self._done = ffi.new("size_t *")
        self._produced = ffi.new("size_t *")

    def check_rectype(self, rectype):
        """FormatError when records of `rectype` lack a field the rules
        read (the version 8 aggregations): checked before any output."""
        self._done[0] = 0
        check(lib.ftc_zone_check(self.db, rectype, ffi.NULL, 0, self._done, ffi.NULL, 0,
                                 self._produced))

    def check(self, batch):
        """(cffi ftc_zone_alert_t array, count) of one batch, in record
        order; the array is reused by the next call."""
        batch.to_host()
        cap = 2 * batch.n
        if self._out is None or self._cap < cap:
            self._cap = max(cap, 64)
            self._out = ffi.new("ftc_zone_alert_t[]", self._cap)
        self._done[0] = 0
        st = lib.ftc_zone_check(self.db, batch.rectype, batch.ptr, batch.n, self._done,
                                self._out, self._cap, self._produced)
        if st == lib.FTC_EFULL:       # 2 per record at most: cannot happen
            raise InternalError("zone alert buffer full")
        check(st)
        return self._out, self._produced[0]

    def keep(self, batch, alerts, n):
        """Compact batch to the records that raised alerts."""
        kept = ffi.new("size_t *")
        check(lib.ftc_zone_keep(alerts, n, batch.rectype, batch.ptr, batch.n, kept))
        batch.n = kept[0]
        return batch


class Formatter:
    """Alert lines (C) in text or TSV."""

    def __init__(self, tsv=False):
        self.opts = lib.FTC_ZONE_TSV if tsv else 0
        self.state = ffi.new("ftc_fmt_state_t *")
        self._buf = bytearray(1 << 16)
        self._ptr = ffi.from_buffer("char[]", self._buf)
        self._len = ffi.new("size_t *")
        self._used = ffi.new("size_t *")

    def header(self):
        check(lib.ftc_zone_header(self.opts, self._ptr, len(self._buf), self._len))
        return bytes(self._buf[:self._len[0]])

    def lines(self, alerts, n):
        """Yield bytes chunks of the lines of alerts[0..n)."""
        done = 0
        while done < n:
            st = lib.ftc_zone_format(alerts + done, n - done, self.opts, self.state,
                                     self._ptr, len(self._buf), self._len, self._used)
            if st != lib.FTC_EFULL:
                check(st)
            yield bytes(self._buf[:self._len[0]])
            done += self._used[0]


class Summary:
    """Per-server alert counts (Python per alert: alerts are few)."""

    def __init__(self):
        self.servers = collections.OrderedDict()
        self.ingress = self.egress = self.red = 0

    def add(self, alerts, n):
        for i in range(n):
            a = alerts[i]
            s = self.servers.get(a.server)
            if s is None:
                s = self.servers[a.server] = [0, 0, 0, set()]
            if a.direction == lib.FTC_ZONE_INGRESS:
                s[0] += 1
                self.ingress += 1
            else:
                s[1] += 1
                self.egress += 1
                if a.level == lib.FTC_ZONE_RED:
                    s[2] += 1
                    self.red += 1
            s[3].add(a.peer)

    @property
    def alerts(self):
        return self.ingress + self.egress

    def text(self, flows):
        out = ["#"]
        if not self.alerts:
            out.append("# no alert in %d flows" % flows)
            return "\n".join(out) + "\n"
        out.append("# %d alerts (%d ingress, %d egress, %d red) on %d servers in %d flows"
                   % (self.alerts, self.ingress, self.egress, self.red, len(self.servers),
                      flows))
        out.append("#")
        out.append("# %-16s%-9s%-8s%-5s%s" % ("server", "ingress", "egress", "red", "peers"))
        for server in sorted(self.servers):
            i, e, r, peers = self.servers[server]
            out.append("# %-16s%-9d%-8d%-5d%s" % (
                ipv4.text(server), i, e, r,
                " ".join(ipv4.text(p) for p in sorted(peers))))
        return "\n".join(out) + "\n"


def report_header(zone_path, zones, inside, argv):
    """The `#` block that opens a text report (flow-stat's style)."""
    inside_text = ", ".join(ipv4.text(n) + "/%d" % ln for n, ln in inside) \
        or "none (every peer counts as outside)"
    lines = [
        "#  --- ---- ---- Report Information --- --- ---",
        "#",
        "# Name:      Special zones",
        "# Zones:     %s (%d %s)" % (zone_path, len(zones),
                                     "entry" if len(zones) == 1 else "entries"),
        "# Inside:    %s" % inside_text,
        "#",
        "# Args:      %s" % "".join("".join(c for c in w if c.isprintable()) + " "
                                    for w in argv),
        "#",
    ]
    return "\n".join(lines) + "\n"
