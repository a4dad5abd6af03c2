"""flow-hunt: every method of the worm articles in one pass (man flow-hunt).

Nothing here is a detector of its own.  Each method is the accumulator of
its command, fed every batch of the one read of the input:

    top-sessions, top-data   flow-topn's TopN (-k src -m flows / octets) and
                             its baseline file (report/topn.py)
    reserved-src, -dst       flow-filter's ACL engine (filters/acl.py) on the
                             shipped iana-reserved.acl list iana_reserved,
                             counted by flow-topn's TopN (-n 0)
    foreign-src              flows neither of whose ends is inside (-L): the
                             `notours` list of man pyflowtools(7), same engine
    list NAME                the site ACL file's standard lists (-c: acl, list)
    syn-only                 flow-portrank's Ranking (report/portrank.py)
    rst-ack                  flow-portrank -d's Ranking
    unreachable              flow-icmpdecode -u's Unreachable (report/icmp.py)
    echo92                   flow-icmpdecode -t 8 -s 92's selection, by source
    zones                    flow-zonecheck's Checker and Summary (report/zones.py)
    trw                      flow-trw's Detector (report/trw.py)

Every method reads v1006 input (IPv4 and IPv6 flows) as its command does:
128-bit address keys, ICMPv6 beside ICMP, IPv6 blocks in -L and the site
file, IPv6 zones.

The accumulators that compact a batch to the flows they select (a filter
program applied in place) get a copy of it in one reused scratch batch; the
others read the batch itself.  Every per-record step stays in C.
"""
from pyflowtools.core.batch import Batch
from pyflowtools.core.errors import FormatError, UsageError
from pyflowtools.filters import acl, program
from pyflowtools.report import icmp, portrank, topn, trw, zones
from pyflowtools.util import files, ipv4, ipv6, paths

#: the shipped ACL file of the IANA special-purpose IPv4 blocks
RESERVED_ACL = "iana-reserved.acl"
RESERVED_LIST = "iana_reserved"
#: Nachi's echo request: ICMP type 8, exactly 92 bytes per packet
ECHO_TYPE, ECHO_SIZE = 8, 92
#: records a compacting method is given at a time (a copy of 2048 v5
#: records is 128 KiB: it stays in the CPU's cache)
CHUNK = 2048


class Settings:
    """What one run does: from the site file (-c) and the options."""

    def __init__(self):
        self.inside = []                 # [(net, length)] 128-bit (zones.parse_inside)
        self.zone_file = None
        self.top = topn.DEFAULT_N
        self.baseline_flows = None       # flow-topn -k src -m flows baseline file
        self.baseline_octets = None
        self.syn_threshold = portrank.DEFAULT_THRESHOLD
        self.rst_threshold = portrank.DEFAULT_THRESHOLD
        self.ports = portrank.DEFAULT_PORTS
        self.unreach_threshold = icmp.DEFAULT_THRESHOLD
        self.acl_file = None
        self.lists = []                  # [(name, "src"|"dst")]
        self.trw = trw.DEFAULT


# ---- the site file --------------------------------------------------------

def _count(v):
    if not v.isdigit():
        raise ValueError("want a number, not %r" % v)
    return int(v)


def _prob(v):
    try:
        f = float(v)
    except ValueError:
        f = -1.0
    if not 0.0 < f < 1.0:
        raise ValueError("want a number between 0 and 1 (exclusive), not %r" % v)
    return f


def parse_site(text, path, s=None):
    """Settings from the site file's text (`key value` lines, `#`
    comments; man flow-hunt, SITE FILE).  FormatError FILE:LINE: ...."""
    s = s or Settings()
    base = paths_dir(path)
    trw_p = s.trw._asdict()
    for lineno, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        key, args = words[0].lower(), words[1:]
        try:
            if key == "list":
                if len(args) != 2 or args[1] not in ("src", "dst"):
                    raise ValueError("want: list NAME src|dst")
                s.lists.append((args[0], args[1]))
                continue
            if key == "inside":
                if not args:
                    raise ValueError("want: inside PREFIX[,PREFIX...]")
                try:
                    s.inside += zones.parse_inside([",".join(args)])
                except UsageError as e:
                    raise ValueError(str(e)[4:]) from None
                continue
            if len(args) != 1:
                raise ValueError("want: %s VALUE" % key)
            v = args[0]
            if key in ("zones", "acl", "baseline-flows", "baseline-octets"):
                v = _relative(base, v)
                setattr(s, {"zones": "zone_file", "acl": "acl_file"}.get(
                    key, key.replace("-", "_")), v)
            elif key == "top":
                s.top = _count(v)
            elif key in ("syn-threshold", "rst-threshold"):
                n = _count(v)
                if n < 1:
                    raise ValueError("want a number >= 1")
                setattr(s, key.replace("-", "_"), n)
            elif key == "ports":
                s.ports = _count(v)
            elif key == "unreach-threshold":
                s.unreach_threshold = _count(v)
            elif key in ("trw-theta0", "trw-theta1", "trw-alpha", "trw-beta"):
                trw_p[key[4:]] = _prob(v)
            else:
                raise ValueError("unknown setting %r" % key)
        except ValueError as e:
            raise FormatError("%s:%d: %s" % (path, lineno, e)) from None
    s.trw = trw.Params(**trw_p)
    return s


def paths_dir(path):
    import os
    return os.path.dirname(os.path.abspath(path))


def _relative(base, v):
    """A file named in the site file: relative to the site file's directory
    when it is there, else as given (a shipped file's bare name)."""
    import os
    cand = os.path.join(base, v)
    return cand if os.path.isabs(v) or os.path.exists(cand) else v


def load_site(path, s=None):
    try:
        data = files.read(path)
    except UnicodeEncodeError:          # a name the file system cannot hold
        raise FormatError("site file %s: no such file" % ascii(path)) from None
    return parse_site(data.decode("utf-8", "replace"), path, s)


# ---- the methods ----------------------------------------------------------

class Method:
    """One method: `name`, its command's terms (`command`), whether it
    compacts batches (`filters`), feed(batch), and after finish() the
    `findings` count, text lines() and hosts(): the addresses found, as
    text (IPv6 in RFC 5952 form, IPv4 -- also mapped -- as dotted quads)."""
    filters = False
    findings = 0

    def finish(self):
        pass

    def tsv_rows(self):
        """(host, count, figures) per finding (-o tsv; TSV_COLUMNS)."""
        return iter(())


def _figures(**kw):
    """name=value pairs joined by `;` (the figures column), in order."""
    return ";".join("%s=%s" % (k, v) for k, v in kw.items())


def _counts(r):
    """flows, octets, packets of a flow-topn row."""
    return _figures(flows=r[2], octets=r[3], packets=r[4])


class Top(Method):
    def __init__(self, rectype, metric, n, baseline):
        self.name = "top-%s" % ("sessions" if metric == "flows" else "data")
        self.command = "flow-topn -k src -m %s -n %d%s" % (
            metric, n, " -b %s" % baseline if baseline else "")
        self.title = "Top N %s (source by %s)" % (
            "session" if metric == "flows" else "data", metric)
        self.metric, self.n, self.baseline = metric, n, baseline
        self.acc = topn.TopN("src", metric, rectype=rectype)     # v1006: 128-bit keys
        self.feed = self.acc.add

    def finish(self):
        self.rows = self.acc.wide_rows(self.acc.rows(self.n, 0))     # 128-bit keys
        self.width = topn.addr_width(self.rows)
        base = topn.load_baseline(self.baseline, "src", self.metric) if self.baseline else None
        self.marks = ["NEW" if base is not None and r[0] not in base else "" for r in self.rows]
        self.findings = self.marks.count("NEW")
        self.note = None if not self.baseline else \
            "baseline %s: none yet (make it with %s)" % (self.baseline, self.command) \
            if base is None else "baseline %s: %d new" % (self.baseline, self.findings)

    def lines(self):
        if self.note:
            yield "# " + self.note
        for r, m in zip(self.rows, self.marks):
            yield topn.text_row(self.metric, r, m, self.width).rstrip("\n")

    def hosts(self):
        return [topn.key_text(r[0]) for r in self.rows]

    def tsv_rows(self):
        # the findings: the hosts NEW to the baseline (none without one)
        for r, m in zip(self.rows, self.marks):
            if m:
                yield topn.key_text(r[0]), r[1], _counts(r) + ";baseline=NEW"


class Matching(Method):
    """Flows an ACL node selects, counted per address as flow-topn -n 0."""
    filters = True

    def __init__(self, rectype, name, title, command, node, key):
        self.name, self.title, self.command, self.key = name, title, command, key
        self.acc = topn.TopN(key, "flows", select=node, rectype=rectype)
        self.feed = self.acc.add

    def finish(self):
        self.rows = self.acc.wide_rows(self.acc.rows(0, 0))
        self.width = topn.addr_width(self.rows)
        self.findings = len(self.rows)

    def lines(self):
        for r in self.rows:
            yield topn.text_row("flows", r, "", self.width).rstrip("\n")

    def hosts(self):
        return [topn.key_text(r[0]) for r in self.rows]

    def tsv_rows(self):
        for r in self.rows:
            yield topn.key_text(r[0]), r[1], _counts(r)


class Rank(Method):
    def __init__(self, rectype, ingress, threshold, ports):
        self.name = "rst-ack" if ingress else "syn-only"
        self.title = ("RST/ACK receivers" if ingress else "SYN-only sources") + \
            " and their ports"
        self.command = "flow-portrank%s -t %d -p %d" % (" -d" if ingress else "", threshold,
                                                        ports)
        self.threshold, self.ports = threshold, ports
        self.acc = portrank.Ranking(rectype, portrank.mode(ingress=ingress))
        self.feed = self.acc.add

    def finish(self):
        self.report = self.acc.report(self.threshold, 0, self.ports)
        self.findings = len(self.report.hosts)

    def lines(self):
        return portrank.text_lines(self.report)

    def hosts(self):
        text = portrank.host_text(self.report)
        return [text(h.address) for h in self.report.hosts]

    def tsv_rows(self):
        text = portrank.host_text(self.report)
        for h in self.report.hosts:
            yield text(h.address), h.count, _figures(
                ports=",".join("%d:%d" % (port, flows) for port, flows in h.ports))


class Unreach(Method):
    filters = True

    def __init__(self, rectype, threshold):
        self.name, self.title = "unreachable", "ICMP unreachables received"
        self.command = "flow-icmpdecode -u -T %d" % threshold
        self.threshold = threshold
        self.acc = icmp.Unreachable(rectype)
        self.feed = self.acc.add

    def finish(self):
        self.rows = self.acc.rows(self.threshold)
        self.findings = len(self.rows)

    def lines(self):
        for r in self.rows:
            yield icmp.text_row(r, self.acc.v6).rstrip("\n")

    def hosts(self):
        text = ipv6.text if self.acc.v6 else ipv4.text
        return [text(r[0]) for r in self.rows]

    def tsv_rows(self):
        for h, (_, flows, net, host, port) in zip(self.hosts(), self.rows):
            yield h, flows, _figures(net=net, host=host, port=port)


class Zones(Method):
    def __init__(self, rectype, path, inside):
        self.name, self.title = "zones", "Special zones"
        self.command = "flow-zonecheck -z %s" % path
        self.checker = zones.Checker(zones.load(path), inside)
        self.checker.check_rectype(rectype)
        self.summary = zones.Summary()
        self.flows = 0

    def feed(self, batch):
        self.flows += batch.n
        alerts, n = self.checker.check(batch)
        if n:
            self.summary.add(alerts, n)

    def finish(self):
        self.findings = self.summary.alerts

    def lines(self):
        return self.summary.text(self.flows).rstrip("\n").split("\n")

    def hosts(self):
        return [ipv6.text(a) for a in sorted(self.summary.servers)]

    def tsv_rows(self):
        # a row per server: its alerts are the findings (count)
        for a in sorted(self.summary.servers):
            i, e, r, peers = self.summary.servers[a]
            yield ipv6.text(a), i + e, _figures(
                ingress=i, egress=e, red=r, peers=",".join(ipv6.text(p) for p in sorted(peers)))


class Trw(Method):
    def __init__(self, rectype, params, inside):
        self.name, self.title = "trw", "Threshold Random Walk scanners"
        self.command = "flow-trw" + "".join(" -L %s" % zones._inside_text(n, ln)
                                            for n, ln in inside)
        self.acc = trw.Detector(rectype, params, inside)
        self.feed = self.acc.feed

    def finish(self):
        self.findings = self.acc.finish()
        self.res = trw.result(self.acc.walk, 0, trw.DEFAULT_PORTS)
        if self.res.contacts_dropped or self.res.replies_dropped:
            self.warning = "caps reached: %d first contacts and %d answers not held" % (
                self.res.contacts_dropped, self.res.replies_dropped)

    def lines(self):
        return trw.text_lines(self.res)

    def hosts(self):
        text = trw.address_text(self.res)
        return [text(s.address) for s, _ in self.res.scanners]

    def tsv_rows(self):
        for h, (s, ports) in zip(self.hosts(), self.res.scanners):
            yield h, s.failures, _figures(
                where="local" if s.local else "remote", flagged_at=trw.when(s.flagged_at),
                contacts_to_flag=s.to_flag, failures_to_flag=s.fail_to_flag,
                first_contacts=s.contacts, successes=s.successes,
                ports=",".join("%s:%d:%d" % (trw.port_text(p.prot, p.port), p.probes, p.failed)
                               for p in ports))


def _inside_acl(inside):
    """The `notours` standard list of man pyflowtools(7), from -L."""
    text = []
    for net, length in inside:
        if ipv6.is_mapped(net):
            a, ln = net & 0xFFFFFFFF, length - 96
            wild = (1 << (32 - ln)) - 1
            text.append("ip access-list standard notours deny %s %s\n"
                        % (ipv4.text(a), ipv4.text(wild)))
        else:
            text.append("ip access-list standard notours deny %s\n"
                        % ipv6.prefix_text(net, length))
    text.append("ip access-list standard notours permit any\n")
    return acl.parse("".join(text))


def _acl_file(path):
    found = paths.resolve(path)
    try:
        files.read(found)
    except OSError as e:
        raise FormatError("%s: %s" % (path, files.reason(e))) from None
    s = acl.load(found)
    if s.errors:
        raise FormatError("%s: %s" % (path, s.errors[0]))
    return found, s


def methods(settings, rectype):
    """The methods of a run, in report order."""
    s = settings
    out = [Top(rectype, "flows", s.top, s.baseline_flows),
           Top(rectype, "octets", s.top, s.baseline_octets)]
    rpath, reserved = _acl_file(RESERVED_ACL)
    for field, end in (("srcaddr", "src"), ("dstaddr", "dst")):
        out.append(Matching(rectype, "reserved-" + end, "IANA reserved %s addresses" % (
            "source" if end == "src" else "destination"),
            "flow-filter -f %s -%s %s | flow-topn -k %s -n 0" % (
                RESERVED_ACL, "S" if end == "src" else "D", RESERVED_LIST, end),
            reserved.standard_node(RESERVED_LIST, field), end))
    if s.inside:
        notours = _inside_acl(s.inside)
        node = program.And(notours.standard_node("notours", "srcaddr"),
                           notours.standard_node("notours", "dstaddr"))
        out.append(Matching(rectype, "foreign-src", "Flows between two outside addresses (forged "
                            "sources)", "flow-filter -f site.acl -S notours -D notours | "
                            "flow-topn -k src -n 0", node, "src"))
    if s.lists:
        if not s.acl_file:
            raise UsageError("site lists need the ACL file: acl FILE")
        _, site = _acl_file(s.acl_file)
        for name, end in s.lists:
            if name not in site.standard:
                raise FormatError("%s: no standard list %s" % (s.acl_file, name))
            out.append(Matching(rectype, "list-%s-%s" % (name, end), "Site list %s (%s)" % (name, end),
                                "flow-filter -f %s -%s %s | flow-topn -k %s -n 0" % (
                                    s.acl_file, "S" if end == "src" else "D", name, end),
                                site.standard_node(name, end + "addr"), end))
    out.append(Rank(rectype, False, s.syn_threshold, s.ports))
    out.append(Rank(rectype, True, s.rst_threshold, s.ports))
    out.append(Unreach(rectype, s.unreach_threshold))
    out.append(Matching(rectype, "echo92", "ICMP echo requests of 92 bytes (Nachi)",
                        "flow-icmpdecode -t 8 -s 92 -F | flow-topn -k src -n 0",
                        icmp.selection(((ECHO_TYPE, None),), ECHO_SIZE, icmp.is_v6(rectype)),
                        "src"))
    if s.zone_file:
        out.append(Zones(rectype, s.zone_file, s.inside))
    out.append(Trw(rectype, s.trw, s.inside))
    return out


class Hunt:
    """The methods fed from one pass: feed(batch) hands the batch to the
    readers, then a copy (one reused scratch batch) to each method that
    compacts it."""

    def __init__(self, settings, rectype):
        self.methods = methods(settings, rectype)
        self.records = 0
        #: records handed to each method (the -d instrument: each equals
        #: the records read, once)
        self.fed = [0] * len(self.methods)
        self._scratch = None

    def _copy(self, b, start, count):
        """Records [start, start+count) of b in the scratch batch."""
        s = self._scratch
        if s is None or s.rectype != b.rectype or s.capacity < count:
            s = self._scratch = Batch(b.rectype, b.rec_size, max(count, CHUNK), b.order)
        lo, n = start * b.rec_size, count * b.rec_size
        s.buf[:n] = memoryview(b.buf)[lo:lo + n]
        s.n, s.order = count, b.order
        return s

    def feed(self, batch):
        batch.to_host()
        n = batch.n
        self.records += n
        for i, m in enumerate(self.methods):
            if not m.filters:
                m.feed(batch)
                self.fed[i] += n
        # the compacting methods take the batch a cache-sized chunk at a
        # time: the copy, the filter and the count stay in the CPU's cache
        for start in range(0, n, CHUNK):
            count = min(CHUNK, n - start)
            for i, m in enumerate(self.methods):
                if m.filters:
                    self.fed[i] += count
                    m.feed(self._copy(batch, start, count))

    def finish(self):
        for m in self.methods:
            m.finish()
        return sum(m.findings for m in self.methods)


def text_lines(hunt):
    """The text summary: per method a title line with the command it
    equals, then that command's rows."""
    total = sum(m.findings for m in hunt.methods)
    yield "# flow-hunt: %d records, %d methods, %d findings" % (
        hunt.records, len(hunt.methods), total)
    for m in hunt.methods:
        yield ""
        yield "== %s: %s -- %d finding%s" % (m.name, m.title, m.findings,
                                             "" if m.findings == 1 else "s")
        yield "== as: %s" % m.command
        for line in m.lines():
            yield line


#: -o tsv: one row per finding (man flow-hunt, TSV OUTPUT)
TSV_COLUMNS = ("method", "host", "count", "figures")


def tsv_rows(hunt):
    """(method, host, count, figures) of every finding, methods in report
    order."""
    for m in hunt.methods:
        for host, count, figures in m.tsv_rows():
            yield m.name, host, count, figures
