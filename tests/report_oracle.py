"""A plain-Python evaluation of flow-report's documented rules
(commands.md 7, 11.3-11.8), record by record, with obvious code.

Property tests run the command and this oracle on the same records and the
same stat.cfg text and compare the outputs.  It takes the parsed
configuration (pyflowtools.report.statcfg: the model is what both share;
the evaluation, ordering and text are written again here) and records as
dicts of flow-tools field names (tests/oracle.py reads them).

    text = evaluate(cfg, "definition", records, fields, header_text="", now=0)

`fields` is the set of field names the record version has.  Filters,
tags and masks are not evaluated here (definitions using them are not
generated).  Output `path` lines are ignored: every output goes to the
returned text.  v1006 records (pyflowtools' IPv4 and IPv6 flows) key on
their 128-bit addresses (A6), as man flow-report documents.
"""
import ipaddress
import time

import oracle

U32 = 0xFFFFFFFF

PSIZE = list(range(32, 577, 32)) + [1024, 1536, 2048, 2560, 3072, 3584, 4096, 4608]
FPSIZE = [1, 2, 4, 8] + list(range(12, 53, 4)) + [60] + list(range(100, 901, 100))
FOSIZE = [32, 64, 128, 256, 512] + list(range(1280, 15873, 768))
FTIME = [10, 50, 100, 200, 500] + list(range(1000, 10001, 1000)) + list(range(12000, 30001, 2000))


def RESOLVER(addr):
    """The reverse-DNS name of a 32-bit address, or None (tests replace it)."""
    return None


def rec2_names():
    names = ["time_real", "aflowtime", "aps", "afs", "apf", "fps", "fps_real"]
    names += ["psize%d" % b for b in PSIZE]
    names[names.index("psize4096")] = ">psize4096"
    names += ["fpsize%d" % b for b in FPSIZE] + ["fpsize_other"]
    names += ["fosize%d" % b for b in FOSIZE] + ["fosize_other"]
    names += ["ftime%d" % b for b in FTIME] + ["ftime_other"]
    return names


def bucket(bounds, v, other=True):
    for i, b in enumerate(bounds):
        if v <= b:
            return i
    return len(bounds) if other else None


def pct(v, total):
    if total == 0:
        return "-nan" if v == 0 else ("inf" if v > 0 else "-inf")
    return "%f" % (v / total * 100.0)


def prefix_text(addr, length):
    """flow-print's prefix form: trailing zero octets dropped (an IPv6
    address of v1006: its text, "/", the length as stored)."""
    if isinstance(addr, A6):
        if addr >> 32 != 0xFFFF:
            return "%s/%d" % (ip(addr), length)
        addr = addr & U32
    octets = [addr >> 24 & 255, addr >> 16 & 255, addr >> 8 & 255, addr & 255]
    while len(octets) > 1 and octets[-1] == 0:
        octets.pop()
    return "%s/%d" % (".".join(str(o) for o in octets), length)


class A6(int):
    """A 128-bit address of a v1006 record (man flow-tools-v1006.5): prints
    as a dotted quad when IPv4-mapped, else RFC 5952 (Python's ipaddress)."""


MAPPED = 0xFFFF << 32


def addr_of(r, f):
    """Address field f of record dict r: an A6 on v1006 records."""
    if "srcaddr6_0" in r and f in ("srcaddr", "dstaddr", "nexthop"):
        return A6(oracle.addr6(r, f))
    return r[f]


def prefix_of(a, n):
    """The prefix key of address a and length n: the reference's netmask
    on IPv4 (and on an IPv4-mapped address's last word), else the first
    min(n, 128) bits (ipaddress)."""
    if not isinstance(a, A6):
        return a & netmask(n)
    if a >> 32 == 0xFFFF:
        return A6(MAPPED | (a & netmask(n)))
    return A6(int(ipaddress.IPv6Network((int(a), min(n, 128)), strict=False).network_address))


def ip(a):
    if isinstance(a, A6):
        if a >> 32 != 0xFFFF:
            return ipaddress.IPv6Address(int(a)).compressed
        a = a & U32
    return "%d.%d.%d.%d" % (a >> 24 & 255, a >> 16 & 255, a >> 8 & 255, a & 255)


def netmask(n):
    """The reference's 0xffffffff << (32 - n) on a 32-bit shifter: the
    count is taken modulo 32, so /0 keeps the whole address."""
    return (U32 << ((32 - n) & 31)) & U32


def dsttype(a):
    if a >> 31 == 0:
        return 0
    if a >> 30 == 2:
        return 1
    if a >> 29 == 6:
        return 2
    if a >> 28 == 14:
        return 4 if a >> 24 == 232 else 3
    return 5


class Counter:
    def __init__(self, seq):
        self.seq = seq
        self.flows = self.octets = self.packets = self.duration = self.frecs = 0
        self.pps = [0.0, 0.0, 0.0]        # sum, min, max
        self.bps = [0.0, 0.0, 0.0]
        self.peers = set()


def rate_add(acc, v):
    acc[0] += v
    if acc[1] == 0 or v < acc[1]:
        acc[1] = v
    if v > acc[2]:
        acc[2] = v


class State:
    """One report over one interval."""

    def __init__(self, report):
        self.report = report
        self.rtype = report.type
        self.keys = {}
        self.order = None
        self.records = self.ignores = self.flows = self.octets = self.packets = 0
        self.duration = self.frecs = 0
        self.pps = [0.0, 0.0, 0.0]
        self.bps = [0.0, 0.0, 0.0]
        self.min_secs, self.max_secs = U32, 0
        self.max_last = 0
        self.hist = [[0] * 26, [0] * 26, [0] * 26, [0] * 26]
        self.linear = {}

    def key_values(self, r):
        """[(key tuple, print info)] for a record: usually one key."""
        out = []
        for k in self.rtype.keys:
            f = k.field
            if isinstance(f, tuple):            # ip-address, ip-port
                return [((addr_of(r, f[0]),),), ((addr_of(r, f[1]),),)]
            out.append(self.one_key(k, r))
        return [tuple(out)]

    def one_key(self, k, r):
        f = k.field
        rep = self.report
        if f == "pktsize":
            return r["dOctets"] // r["dPkts"] if r["dPkts"] else 0
        if f in ("bps", "pps"):
            # the record is scaled before it is keyed ("multiplied before
            # counting", 11.2)
            dur = (r["Last"] - r["First"]) & U32
            if not dur:
                return 0
            scale = rep.scale or 1
            v = r["dOctets"] * scale * 8.0 if f == "bps" else float(r["dPkts"] * scale)
            return min(int(v / (dur / 1000.0)), U32)
        if f == "duration":
            return (r["Last"] - r["First"]) & U32
        if f == "dsttype":
            a = addr_of(r, "dstaddr")
            if isinstance(a, A6) and a >> 32 != 0xFFFF:
                return 7 if a >> 120 == 0xFF else 6     # v1006: IPv6, IPv6 multicast
            return dsttype(r["dstaddr"])
        if k.addr:
            fmt = rep.src_fmt if k.addr == "src" else rep.dst_fmt
            mask_field = "src_mask" if f == "srcaddr" else "dst_mask"
            a = addr_of(r, f)
            if fmt == "address":
                return (a,)
            n = r[mask_field]
            if fmt == "prefix-mask":
                return (prefix_of(a, n), n)
            return (a, n)
        return addr_of(r, f)

    def add(self, r, fields):
        rep = self.report
        pk, oc = r["dPkts"], r["dOctets"]
        if rep.scale:
            pk, oc = pk * rep.scale, oc * rep.scale
        self.records += 1
        if pk == 0:
            self.ignores += 1
            return
        fl = r["dFlows"] if "dFlows" in fields else 1
        dur = (r["Last"] - r["First"]) & U32
        self.flows += fl
        self.octets += oc
        self.packets += pk
        self.min_secs = min(self.min_secs, r["unix_secs"])
        self.max_secs = max(self.max_secs, r["unix_secs"])
        self.max_last = max(self.max_last, r["Last"])
        pps = bps = None
        if dur:
            self.duration += dur
            self.frecs += 1
            pps = pk / (dur / 1000.0)
            bps = oc * 8.0 / (dur / 1000.0)
            rate_add(self.pps, pps)
            rate_add(self.bps, bps)
        t = self.rtype.table
        if t == "summary-detail":
            h = self.hist
            b = bucket(PSIZE, oc // pk, other=False)
            if b is not None:
                h[0][b] += 1
            h[1][bucket(FPSIZE, pk)] += 1
            h[2][bucket(FOSIZE, oc)] += 1
            h[3][bucket(FTIME, dur)] += 1
            return
        if t == "summary-counters":
            return
        if t == "linear":
            ms = r["unix_secs"] * 1000 + r["unix_nsecs"] // 1000000 - r["sysUpTime"]
            start = (ms + r["First"]) // 1000
            end = (ms + r["Last"]) // 1000
            d = end - start + 1
            for s in range(start, end + 1):
                c = self.linear.setdefault(s, [0.0, 0.0, 0.0])
                c[0] += fl / d
                c[1] += oc / d
                c[2] += pk / d
            return
        for key in self.key_values(r):
            c = self.keys.get(key)
            if c is None:
                c = self.keys[key] = Counter(len(self.keys))
            c.flows += fl
            c.octets += oc
            c.packets += pk
            if dur:
                c.duration += dur
                c.frecs += 1
                rate_add(c.pps, pps)
                rate_add(c.bps, bps)
            if self.rtype.count:
                c.peers.add(addr_of(r, self.rtype.count))


def flat(key):
    out = []
    for part in key:
        out.extend(part if isinstance(part, tuple) else (part,))
    return tuple(out)


def sort_value(key, c, field):
    if field == "key":
        return flat(key)
    if field.startswith("key"):
        part = key[int(field[3:]) - 1]
        return part if isinstance(part, tuple) else (part,)
    if field == "count":
        return len(c.peers)
    if field in ("flows", "octets", "packets", "duration", "frecs"):
        return getattr(c, field)
    kind, stat = field.split("-")
    acc = c.pps if stat == "pps" else c.bps
    return {"avg": acc[0] / c.frecs if c.frecs else 0.0, "min": acc[1], "max": acc[2]}[kind]


def ctime(t):
    return "%d %s" % (t, time.asctime(time.localtime(t)))


def header_lines(st, out, defn, interval, now, nkeys):
    rep, rt = st.report, st.rtype
    L = []

    def add(label, value):
        L.append("# %-22s%s" % (label + ":", value))

    if interval == 0:
        L.append("#  --- ---- ---- Report Information --- --- ---")
        add("build-version", "flow-tools 0.68.5")
        add("name", rep.name)
        add("type", rt.name)
        if rep.scale:
            add("scale", rep.scale)
        add("options", ",".join("+" + o for o in
                                ("percent-total", "names", "header", "xheader", "totals")
                                if o in out.options))
        if rt.src:
            add("ip-src-addr-type", rep.src_fmt)
        if rt.dst:
            add("ip-dst-addr-type", rep.dst_fmt)
        if out.sort:
            add("sort_field", "+" + out.sort[1])
        order = ("key", "key1", "key2", "key3", "key4", "key5", "key6", "flows", "octets",
                 "packets", "duration", "avg-pps", "min-pps", "max-pps", "avg-bps", "min-bps",
                 "max-bps", "frecs", "other")
        shown = [f for f in order if f in out.fields]
        if shown:
            add("fields", ",".join("+" + f for f in shown))
        if out.tally:
            add("tally", out.tally)
        if defn.tag:
            add("tag", defn.tag)
        if defn.filter:
            add("pre-filter", defn.filter)
        if rep.filter:
            add("filter", rep.filter)
    add("records", nkeys)
    if out.records:
        L.append("# records_shown:      %d" % out.records)
    add("first-flow", ctime(st.min_secs))
    add("last-flow", ctime(st.max_secs))
    add("now", ctime(now))
    if defn.time_series:
        add("time-series", "%d seconds / interval %d" % (defn.time_series, interval))
    return L


def tally_pct(rate_sum, frecs, total):
    """%3.3f of (rate_sum / frecs) / total * 100, C's -nan/inf included."""
    if frecs == 0:
        return "-nan"
    v = rate_sum / frecs
    if total == 0:
        return "-nan" if v == 0 else "inf"
    return "%3.3f" % (v / total * 100.0)


class Oracle:
    def __init__(self, cfg, defn_name, fields, header_text="", now=0):
        self.cfg = cfg
        self.defn = cfg.definition(defn_name)
        self.fields = fields
        self.header_text = header_text
        self.now = now
        self.index = {}

    def run(self, records):
        d = self.defn
        out = []
        interval = 0
        states = [State(r) for r in d.reports]
        start = None
        for r in records:
            if d.time_series:
                if start is None:
                    start = r["unix_secs"]
                elif r["unix_secs"] > start + d.time_series:
                    out += self.dump(states, interval)
                    interval += 1
                    states = [State(rep) for rep in d.reports]
                    start = r["unix_secs"]
            for st in states:
                rr = r
                if st.report.tag_mask is not None:
                    rr = dict(r)
                    rr["src_tag"] &= st.report.tag_mask[0]
                    rr["dst_tag"] &= st.report.tag_mask[1]
                st.add(rr, self.fields)
        out += self.dump(states, interval)
        return "".join(out)

    def dump(self, states, interval):
        text = []
        for st in states:
            for o in st.report.outputs:
                text.append(self.output(st, o, interval))
        return text

    def output(self, st, o, interval):
        rep, rt = st.report, st.rtype
        rates = rep.rates()
        L = []
        if rt.table == "linear":
            nkeys = len(st.linear)
        else:
            nkeys = len(st.keys)
        if "header" in o.options:
            L += header_lines(st, o, self.defn, interval, self.now, nkeys)
            if "xheader" in o.options and interval == 0:
                L += self.header_text.rstrip("\n").split("\n") if self.header_text else []
        if "totals" in o.options:
            head = "# rec1: records,ignores,flows,octets,packets,duration"
            vals = [0 if rt.table.startswith("summary") else nkeys, st.ignores, st.flows, st.octets, st.packets,
                    st.duration]
            vals = [str(v) for v in vals]
            if rates:
                head += ",avg_bps,min_bps,max_bps,avg_pps,min_pps,max_pps"
                avg_b = st.bps[0] / st.frecs if st.frecs else 0.0
                avg_p = st.pps[0] / st.frecs if st.frecs else 0.0
                vals += ["%f" % v for v in (avg_b, st.bps[1], st.bps[2], avg_p, st.pps[1],
                                            st.pps[2])]
            L += [head, ",".join(vals)]
        if rt.table == "summary-detail":
            L += self.rec2(st)
        elif rt.table == "summary-counters":
            pass
        elif rt.table == "linear":
            L += self.linear_rows(st, o)
        else:
            L += self.rows(st, o)
        return "".join(line + "\n" for line in L)

    def rec2(self, st):
        fl = st.flows
        vals = [str(st.max_secs)]
        aflow = st.duration // fl if fl else 0
        aps = st.octets // st.packets if st.packets else 0
        afs = st.octets // fl if fl else 0
        apf = st.packets // fl if fl else 0
        fps = fl / (st.max_last / 1000.0) if st.max_last else 0.0
        fps_real = fl / st.max_secs if st.max_secs else 0.0
        vals += ["%f" % v for v in (aflow, aps, afs, apf, fps, fps_real)]
        sizes = (len(PSIZE), len(FPSIZE) + 1, len(FOSIZE) + 1, len(FTIME) + 1)
        for h, n in zip(st.hist, sizes):
            for i in range(n):
                vals.append("%f" % (h[i] / fl) if fl else "-nan")
        return ["# rec2: " + ",".join(rec2_names()), ",".join(vals)]

    def linear_rows(self, st, o):
        cols = [f for f in ("key", "flows", "octets", "packets") if f in o.fields]
        L = ["# recn: " + ",".join("unix-secs*" if c == "key" else c for c in cols)]
        items = list(st.linear.items())
        if o.sort:
            desc, field = o.sort
            col = {"key": None, "flows": 0, "octets": 1, "packets": 2}.get(field, None)
            if field == "key" or field.startswith("key"):
                items.sort(key=lambda kv: kv[0])
            elif col is not None:
                items.sort(key=lambda kv: kv[1][col])
            if desc:
                items.reverse()
        for secs, (f, oc, pk) in items:
            cells = {"key": str(secs), "flows": "%f" % f, "octets": "%f" % oc,
                     "packets": "%f" % pk}
            L.append(",".join(cells[c] for c in cols))
        return L

    def key_cells(self, st, key, names):
        rep, rt = st.report, st.rtype
        cells = []
        keys = rt.keys
        if len(keys) == 1 and isinstance(keys[0].field, tuple):
            keys = [keys[0]]
        for k, part in zip(keys, key):
            cells.append(self.key_text(rep, k, part, names))
        return cells

    def key_text(self, rep, k, part, names):
        if (k.addr or k.kind == "ip") and "names" in self.cur_options:
            # +names: the resolver's name of the address, else the plain
            # address (no /len)
            addr = part[0] if isinstance(part, tuple) else part
            name = RESOLVER(addr)
            return ip(addr) if name is None else name
        if k.addr:
            print_fmt = rep.src_fmt if k.addr in ("src", "dst-as-src") else rep.dst_fmt
            addr = part[0]
            if print_fmt == "address":
                return ip(addr)
            return prefix_text(addr, part[1] if len(part) > 1 else 0)
        v = part[0] if isinstance(part, tuple) else part
        if k.kind == "ip":
            return ip(v)
        if k.kind == "sym" and "names" in self.cur_options:
            name = self.symbols(k.sym).get(v)
            if name is not None:
                return name
        return str(v)

    _symcache = {}

    def symbols(self, which):
        t = self._symcache.get(which)
        if t is None:
            from pyflowtools.report import symbols
            t = self._symcache[which] = dict(symbols.load(which).items())
        return t

    def rows(self, st, o):
        rep, rt = st.report, st.rtype
        self.cur_options = o.options
        pct_on = "percent-total" in o.options
        cols = [c for c in ("index", "first", "last") if c in o.fields]
        titles = list(cols)
        kf = rt.key_fields()
        for i, k in enumerate(rt.keys):
            if kf[i] in o.fields:
                titles.append(k.title + "*")
        if "count" in o.fields and rt.count:
            titles.append({"dstaddr": "ip-destination-address-count",
                           "srcaddr": "ip-source-address-count"}[rt.count])
        for c in ("flows", "octets", "packets", "duration", "avg-bps", "min-bps", "max-bps",
                  "avg-pps", "min-pps", "max-pps", "frecs"):
            if c in o.fields:
                titles.append(c)
        L = ["# recn: " + ",".join(titles)]
        # the order: persistent per report (11.6)
        if st.order is None:
            if rt.table == "B":
                st.order = sorted(st.keys, key=flat)
            else:
                st.order = sorted(st.keys, key=lambda k: st.keys[k].seq)
        desc = False
        if o.sort:
            desc, field = o.sort
            if field == "other":
                raise RuntimeError("internal error")
            if not (rt.table == "B" and field.startswith("key")):
                st.order = sorted(st.order, key=lambda k: sort_value(k, st.keys[k], field))
        seq = list(reversed(st.order)) if desc else list(st.order)
        rates = rep.rates()
        total_count = sum(len(c.peers) for c in st.keys.values())
        avg_b = st.bps[0] / st.frecs if st.frecs else 0.0
        avg_p = st.pps[0] / st.frecs if st.frecs else 0.0
        rate_tot = {"avg-bps": avg_b, "min-bps": st.bps[1], "max-bps": st.bps[2],
                    "avg-pps": avg_p, "min-pps": st.pps[1], "max-pps": st.pps[2]}
        shown = 0
        run = [0, 0, 0, 0.0, 0.0, 0]
        idx = self.index.get(rep.name, 0)
        for key in seq:
            c = st.keys[key]
            if o.records and shown >= o.records:
                L.append("# stop, hit record limit.")
                break
            if o.tally and shown and shown % o.tally == 0:
                t = "#TALLY %%recs=%3.3f %%flows=%3.3f %%octets=%3.3f %%packets=%3.3f" % (
                    shown / len(seq) * 100.0, run[0] / st.flows * 100.0,
                    run[1] / st.octets * 100.0, run[2] / st.packets * 100.0)
                if rates:
                    # the running average rate over the flows shown so far
                    t += " %%avg-bps=%s %%avg-pps=%s" % (
                        tally_pct(run[3], run[5], avg_b), tally_pct(run[4], run[5], avg_p))
                L.append(t)
            cells = []
            if "index" in o.fields:
                cells.append(str(idx))
            if "first" in o.fields:
                cells.append(str(st.min_secs))
            if "last" in o.fields:
                cells.append(str(st.max_secs))
            for i, text in enumerate(self.key_cells(st, key, False)):
                if kf[i] in o.fields:
                    cells.append(text)
            if "count" in o.fields and rt.count:
                n = len(c.peers)
                cells.append(pct(n, total_count) if pct_on else str(n))
            for f, tot in (("flows", st.flows), ("octets", st.octets),
                           ("packets", st.packets), ("duration", st.duration)):
                if f in o.fields:
                    v = getattr(c, f)
                    cells.append(pct(v, tot) if pct_on else str(v))
            for f in ("avg-bps", "min-bps", "max-bps", "avg-pps", "min-pps", "max-pps"):
                if f in o.fields:
                    v = sort_value(key, c, f) if rates else 0.0
                    cells.append(pct(v, rate_tot[f]) if pct_on else "%f" % v)
            if "frecs" in o.fields:
                cells.append(str(c.frecs))
            L.append(",".join(cells))
            shown += 1
            idx += 1
            run[0] += c.flows
            run[1] += c.octets
            run[2] += c.packets
            run[3] += c.bps[0] if rates else 0.0
            run[4] += c.pps[0] if rates else 0.0
            run[5] += c.frecs
            if rt.table == "B" and o.records and shown == o.records:
                # a fixed table checks the limit after each row it printed
                L.append("# stop, hit record limit.")
                break
        self.index[rep.name] = idx
        return L


def evaluate(cfg, defn_name, records, fields, header_text="", now=0):
    return Oracle(cfg, defn_name, fields, header_text, now).run(records)
