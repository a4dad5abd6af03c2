"""Special zones (flow-zonecheck): the zone file, the C classifier and the
report.

Zone file: one hardened server (or network) per line,

    ADDRESS[/LEN] [PROTO/PORT[-PORT][,PROTO/PORT...]]

ADDRESS is a dotted quad or an IPv6 address (util/ipv6.parse_prefix_any):
prefixes are held 128-bit, IPv4 ones as their mapped form, so IPv4 zones
match IPv4 flows and IPv6 zones IPv6 flows (v1006 streams).

PROTO is tcp or udp; services may be separated by commas and/or blanks;
`#` starts a comment; blank lines are ignored; a line without services
allows nothing.  An address inside several listed prefixes belongs to the
longest one (its own services only).  Errors name the file and line.

Per-record work is C (csrc/zone.c): the zone and inside lookups, the
flag and service tests, the alert lines.  Python only loops over batches
and keeps the per-server summary of the (few) alerts.  Split runs (-j,
--dask: Alerts) check the flows in the tasks and send the alerts back,
in the flows' order, to the command's process, which writes them.
"""
import collections

from pyflowtools import parallel
from pyflowtools.core import zone as _zone
from pyflowtools.core.errors import FormatError, UsageError
from pyflowtools.report import text
from pyflowtools.util import files, paths
from pyflowtools.util import ipv6

PROTOCOLS = {"tcp": 6, "udp": 17}
PROTOCOL_NAMES = {v: k for k, v in PROTOCOLS.items()}
LEVELS = {_zone.ALERT: "ALERT", _zone.RED: "RED"}
DIRECTIONS = {_zone.INGRESS: "ingress", _zone.EGRESS: "egress"}


class ZoneFileError(FormatError):
    """A malformed zone file: `FILE:LINE: problem`."""

    def __init__(self, path, line, problem):
        FormatError.__init__(self, "%s:%d: %s" % (path, line, problem) if line
                             else "%s: %s" % (path, problem))
        self.path, self.line, self.problem = path, line, problem


class Zone:
    """One zone file entry: prefix (128-bit net, length 0..128; IPv4 ones
    mapped) and allowed services [(prot, lo, hi)]."""

    __slots__ = ("net", "length", "services", "line")

    def __init__(self, net, length, services, line=0):
        self.net, self.length, self.services, self.line = net, length, services, line

    def __repr__(self):
        return "Zone(%s, %r)" % (self.text, self.services)

    @property
    def text(self):
        return ipv6.prefix_text(self.net, self.length)


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
            net, length = ipv6.parse_prefix_any(tokens[0], exact=True)
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
    data = files.read(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    zones = parse(text, path)
    if not zones:
        raise ZoneFileError(path, 0, "no zone defined")
    return zones


def parse_inside(values):
    """-L PREFIX[,PREFIX...] (repeatable; IPv4 or IPv6) -> [(net, length)],
    128-bit (IPv4 ones mapped)."""
    out = []
    for v in values or ():
        for item in v.split(","):
            item = item.strip()
            if not item:
                continue
            try:
                out.append(ipv6.parse_prefix_any(item))
            except ValueError as e:
                raise UsageError("-L: %s" % e) from None
    return out


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
        self._db = _zone.Db([(z.net, z.length, i) for i, z in enumerate(self.zones)],
                            [(net, length, 0) for net, length in inside],
                            [_merge(z.services) for z in self.zones])
        self.db = self._db.ptr          # the ftc_zone_db_t * (tests call C with it)

    def check_rectype(self, rectype):
        """FormatError when records of `rectype` lack a field the rules
        read (the version 8 aggregations): checked before any output."""
        self._db.check_rectype(rectype)

    def check(self, batch):
        """(cffi ftc_zone_alert_t array, count) of one batch, in record
        order; the array is reused by the next call."""
        return self._db.check(batch.to_host())

    def keep(self, batch, alerts, n):
        """Compact batch to the records that raised alerts."""
        return self._db.keep(batch, alerts, n)


class Alerts(parallel.Ordered):
    """flow-zonecheck's pass over the flows, split or not (parallel.Ordered):
    per batch the alerts as the C structs (formatted and summed by the
    command's process: they are few), or with `records` (-F) the records
    that raised them, in host order."""

    def __init__(self, zones, inside=(), records=False):
        parallel.Ordered.__init__(self)
        self.checker = Checker(zones, inside)
        self.records = records

    def add(self, batch):
        alerts, n = self.checker.check(batch)
        if n:
            self.emit(self.checker.keep(batch, alerts, n).view() if self.records
                      else _zone.alert_bytes(alerts, n))


#: (cffi alert array, count) of the bytes Alerts emits without `records`
alerts_of = _zone.alerts_of


class Formatter:
    """Alert lines (C) in text or TSV."""

    def __init__(self, tsv=False):
        self.opts = _zone.TSV if tsv else 0
        self._lines = _zone.Lines(self.opts)

    def header(self):
        return _zone.header(self.opts)

    def lines(self, alerts, n):
        """Yield bytes chunks of the lines of alerts[0..n)."""
        return self._lines.lines(alerts, n)


class Summary:
    """Per-server alert counts (Python per alert: alerts are few)."""

    def __init__(self):
        self.servers = collections.OrderedDict()
        self.ingress = self.egress = self.red = 0

    def add(self, alerts, n):
        for i in range(n):
            a = alerts[i]
            server = _zone.address(a.server)
            s = self.servers.get(server)
            if s is None:
                s = self.servers[server] = [0, 0, 0, set()]
            if a.direction == _zone.INGRESS:
                s[0] += 1
                self.ingress += 1
            else:
                s[1] += 1
                self.egress += 1
                if a.level == _zone.RED:
                    s[2] += 1
                    self.red += 1
            s[3].add(_zone.address(a.peer))

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
                ipv6.text(server), i, e, r,
                " ".join(ipv6.text(p) for p in sorted(peers))))
        return "\n".join(out) + "\n"


def _inside_text(net, length):
    """An -L prefix as the report shows it: with its length always."""
    t = ipv6.prefix_text(net, length)
    return t if "/" in t else t + "/%d" % (length - 96 if ipv6.is_mapped(net) else length)


def report_header(zone_path, zones, inside, argv):
    """The `#` block that opens a text report (flow-stat's style)."""
    inside_text = ", ".join(_inside_text(n, ln) for n, ln in inside) \
        or "none (every peer counts as outside)"
    return "\n".join(text.report_information("Special zones", [
        ("Zones", "%s (%d %s)" % (zone_path, len(zones),
                                  "entry" if len(zones) == 1 else "entries")),
        ("Inside", inside_text)], text.args_text(argv))) + "\n"
