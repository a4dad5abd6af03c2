"""A plain-Python evaluation of flow-stat (commands.md section 6), record by record.

Written from the reference text and the conformance outputs only, with obvious code
(dicts, sorted(), %-formatting); it never imports pyflowtools.  The property tests run
the real command on random records and options and compare its output with
`run()` here; tests/test_stat.py also checks it against the conformance corpus.

    out, err, status = run(argv, version, records, header_text=None, symbols=None)

argv: the command line words after the program name; version: "5", "8.3", ...;
records: dicts as tests/oracle.py reads them; header_text: what flow-header prints
for the stream (-p), with "#" as comment character; symbols: {"prot"|"port"|"asn"|"tag":
{number: name}} for -n.
"""
import struct

import oracle

PROG = "flow-stat"

NAMES = [
    "Overall Summary", "Average packet size distribution", "Packets per flow distribution",
    "Octets per flow distribution", "Bandwidth per flow distribution",
    "UDP/TCP destination port", "UDP/TCP source port", "UDP/TCP port", "Destination IP",
    "Source IP", "Source/Destination IP", "Source or Destination IP", "IP protocol",
    "octets for flow duration plot data", "packets for flow duration plot data",
    "short summary", "IP Next Hop", "Input interface", "Output interface", "Source AS",
    "Destination AS", "Source/Destination AS", "IP ToS", "Input/Output Interface",
    "Source Prefix", "Destination Prefix", "Source/Destination Prefix", "Exporter IP",
    "Engine Id", "Engine Type", "Source Tag", "Destination Tag", "Source/Destination Tag",
]

FIXED = {5: "port", 6: "port", 7: "port", 12: "protocol", 17: "interface",
         18: "interface", 19: "src AS", 20: "dst AS", 22: "ToS", 28: "engine_id",
         29: "engine_type"}
FIXED_FIELD = {5: ["dstport"], 6: ["srcport"], 7: ["srcport", "dstport"], 12: ["prot"],
               17: ["input"], 18: ["output"], 19: ["src_as"], 20: ["dst_as"], 22: ["tos"],
               28: ["engine_id"], 29: ["engine_type"]}
FIXED_SYM = {5: "port", 6: "port", 7: "port", 12: "prot", 19: "asn", 20: "asn"}

# hash tables: (title cells, key cells); a key cell is (kind, width, cut, symbols)
IP = ("ip", 15, False, None)
HASH = {
    1: (["Pkt Size  "], [("num", 10, True, "tag")]),
    2: (["Packets   "], [("num", 10, True, "tag")]),
    3: (["Octets    "], [("num", 10, True, "tag")]),
    8: (["IPaddr         "], [IP]),
    9: (["IPaddr         "], [IP]),
    10: (["src IPaddr     ", "dst IPaddr       "], [IP, IP]),
    11: (["IPaddr         "], [IP]),
    16: (["IPaddr         "], [IP]),
    21: (["src AS          ", "dst AS            "],
         [("num", 16, True, "asn"), ("num", 16, True, "asn")]),
    23: (["in   ", "out    "], [("num", 5, False, None), ("num", 5, False, None)]),
    24: (["Source Prefix     "], [("prefix", 18, False, None)]),
    25: (["Source Prefix     "], [("prefix", 18, False, None)]),
    26: (["Source Prefix     ", "Destination Prefix  "],
         [("prefix", 18, False, None), ("prefix", 18, False, None)]),
    27: (["IPaddr         "], [IP]),
    30: (["Src Tag   "], [("num", 10, True, "tag")]),
    31: (["Dst Tag   "], [("num", 10, True, "tag")]),
    32: (["Src Tag   ", "Dst Tag     "], [("num", 10, True, "tag"), ("num", 10, True, "tag")]),
}
WIDE_KEY = {1, 2, 3, 30, 31}           # hash formats whose key cell widens with -w
PAD_PACKETS = set(FIXED) | {10, 21, 23}

NEEDS = {
    5: ["prot", "srcport", "dstport"], 6: ["prot", "srcport", "dstport"],
    7: ["prot", "srcport", "dstport"], 8: ["dstaddr"], 9: ["srcaddr"],
    10: ["srcaddr", "dstaddr"], 11: ["srcaddr", "dstaddr"], 12: ["prot"], 16: ["nexthop"],
    17: ["input"], 18: ["output"], 19: ["src_as"], 20: ["dst_as"], 21: ["src_as", "dst_as"],
    22: ["tos"], 23: ["input", "output"], 24: ["srcaddr", "src_mask"],
    25: ["dstaddr", "dst_mask"], 26: ["srcaddr", "src_mask", "dstaddr", "dst_mask"],
    27: ["exaddr"], 28: ["engine_id"], 29: ["engine_type"], 30: ["src_tag"],
    31: ["dst_tag"], 32: ["src_tag", "dst_tag"],
}

MASK32 = 0xFFFFFFFF
BLOCK = 65536


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def fdiv(a, b):
    """single-precision a / b (C float division)"""
    a, b = f32(a), f32(b)
    if b == 0:
        if a == 0 or a != a:
            return float("nan")
        return float("inf") if a > 0 else float("-inf")
    return f32(a / b)


def cfmt(fmt, x):
    """C printf of a double, with inf and nan as glibc writes them."""
    if x != x:
        return fmt.replace("f", "s").replace(".4", "").replace(".3", "") % "-nan"
    if x in (float("inf"), float("-inf")):
        return fmt.replace("f", "s").replace(".4", "").replace(".3", "") % (
            "inf" if x > 0 else "-inf")
    return fmt % x


def dur(r):
    return (r["Last"] - r["First"]) & MASK32


def flows_of(r):
    return r.get("dFlows", 1)


def ipstr(a):
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def prefix_str(addr, length):
    octets = [addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255]
    while len(octets) > 1 and octets[-1] == 0:
        octets.pop()
    return "%s/%d" % (".".join(str(o) for o in octets), length if length <= 32 else 0)


def netmask(length):
    """the reference's mask of a length: 0xffffffff << (32 - len) on x86, whose shift
    count is taken modulo 32 (so 0 masks nothing)"""
    return (MASK32 << ((32 - length) & 31)) & MASK32


def getopt(argv):
    """GNU getopt over "c:d:f:hnpPs:S:t:T:w" with atoi values -> (opts, operands, error)."""
    takes = set("cdfsStT")
    flags = set("hnpPw")
    opts = []
    operands = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            operands += argv[i:]
            break
        if len(a) < 2 or a[0] != "-":
            operands.append(a)
            continue
        j = 1
        while j < len(a):
            c = a[j]
            j += 1
            if c in flags:
                opts.append((c, None))
            elif c in takes:
                if j < len(a):
                    v = a[j:]
                elif i < len(argv):
                    v = argv[i]
                    i += 1
                else:
                    return opts, operands, "option requires an argument -- '%s'" % c
                opts.append((c, v))
                break
            else:
                return opts, operands, "invalid option -- '%s'" % c
    return opts, operands, None


def atoi(s):
    s = s.lstrip(" \t\n\r\f\v")
    sign = 1
    if s[:1] in "+-" and s:
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    n = 0
    for ch in s:
        if not "0" <= ch <= "9":
            break
        n = n * 10 + ord(ch) - 48
    return sign * n


class Options:
    def __init__(self, argv):
        self.cc = "#"
        self.fmt = 0
        self.names = self.header = self.percent = self.wide = False
        self.sort = None            # (field, descending)
        self.tally = 0
        self.title = None
        self.help = False
        opts, self.operands, self.error = getopt(argv)
        for c, v in opts:
            if c == "c":
                self.cc = v[:1] or "\0"
            elif c == "f":
                self.fmt = atoi(v)
            elif c == "h":
                self.help = True
            elif c == "n":
                self.names = True
            elif c == "p":
                self.header = True
            elif c == "P":
                self.percent = True
            elif c == "w":
                self.wide = True
            elif c == "S":
                self.sort = (atoi(v), True)
            elif c == "s":
                self.sort = (atoi(v), False)
            elif c == "t":
                self.tally = atoi(v)
            elif c == "T":
                self.title = v


def report_information(o, argv):
    cc = o.cc
    lines = [cc + "  --- ---- ---- Report Information --- --- ---", cc]
    if o.title is not None:
        lines.append(cc + " Title:     " + o.title)
    lines.append(cc + " Fields:    " + ("Percent Total" if o.percent else "Total"))
    lines.append(cc + " Symbols:   " + ("Enabled" if o.names else "Disabled"))
    if o.sort is None:
        lines.append(cc + " Sorting:   None")
    else:
        lines.append(cc + " Sorting:   %s Field %d" % ("Descending" if o.sort[1] else "Ascending",
                                                     o.sort[0]))
    lines.append(cc + " Name:      " + NAMES[o.fmt])
    lines.append(cc)
    words = "".join("".join(ch for ch in w if ch.isprintable()) + " " for w in [PROG] + argv)
    lines.append(cc + " Args:      " + words)
    lines.append(cc)
    return "".join(line + "\n" for line in lines)


# ---------------------------------------------------------------------------
# format 0

HISTOGRAMS = [
    ("IP packet size distribution:",
     [32 * i for i in range(1, 19)] + [1024, 1536, 2048, 2560, 3072, 3584, 4096, 4608],
     False,
     ["   1-32   64   96  128  160  192  224  256  288  320  352  384  416  448  480",
      "    512  544  576 1024 1536 2048 2560 3072 3584 4096 4608"],
     ["   " + "{} " * 15, "   " + "{} " * 11]),
    ("Packets per flow distribution:",
     [1, 2, 4] + list(range(8, 53, 4)) + [60] + list(range(100, 901, 100)), True,
     ["      1    2    4    8   12   16   20   24   28   32   36   40   44   48   52",
      "     60  100  200  300  400  500  600  700  800  900 >900"],
     ["   " + "{} " * 15, "   " + "{} " * 11]),
    ("Octets per flow distribution:",
     [32, 64, 128, 256, 512] + list(range(1280, 15873, 768)), True,
     ["     32   64  128  256  512 1280 2048 2816 3584 4352 5120 5888 6656 7424 8192",
      "   8960 9728 10496 11264 12032 12800 13568 14336 15104 15872 >15872"],
     ["   " + "{} " * 15, "   {} {}  " + "{}  " * 9]),
    ("Flow time distribution:",
     [10, 50, 100, 200, 500] + list(range(1000, 10001, 1000)) + list(range(12000, 30001, 2000)),
     True,
     ["    10    50  100  200  500 1000 2000 3000 4000 5000 6000 7000 8000 9000 10000",
      "  12000 14000 16000 18000 20000 22000 24000 26000 28000 30000 >30000"],
     ["   " + "{} " * 14 + " {}  ", "   " + "{}  " * 11]),
]


def bucket(bounds, value, overflow):
    for i, b in enumerate(bounds):
        if value <= b:
            return i
    return len(bounds) if overflow else None


def format0(recs, err):
    counted = []
    for r in recs:
        if r["dPkts"] == 0:
            err.append("Ignoring bogus flow dPkts=0")
            continue
        counted.append(r)
    if not counted:
        return ""
    flows = sum(flows_of(r) for r in counted)
    octets = sum(r["dOctets"] for r in counted)
    packets = sum(r["dPkts"] for r in counted)
    time_ = sum(dur(r) for r in counted)
    real = max(r["unix_secs"] for r in counted) - min(r["unix_secs"] for r in counted)
    data = (max(r["Last"] for r in counted) - min(r["First"] for r in counted)) & MASK32
    secs = data // 1000
    fps_real = fdiv(flows, real) if real else 0.0
    kbps_real = fdiv(fdiv(octets * 8, 1000), real) if real else 0.0
    lines = [
        "Total Flows                     : %d" % flows,
        "Total Octets                    : %d" % octets,
        "Total Packets                   : %d" % packets,
        "Total Time (1/1000 secs) (flows): %d" % time_,
        "Duration of data  (realtime)    : %d" % real,
        "Duration of data (1/1000 secs)  : %d" % data,
        "Average flow time (1/1000 secs) : " + cfmt("%4.4f", fdiv(time_, flows)),
        "Average packet size (octets)    : " + cfmt("%4.4f", fdiv(octets, packets)),
        "Average flow size (octets)      : " + cfmt("%4.4f", fdiv(octets, flows)),
        "Average packets per flow        : " + cfmt("%4.4f", fdiv(packets, flows)),
        "Average flows / second (flow)   : " + cfmt("%4.4f", fdiv(flows, secs)),
        "Average flows / second (real)   : " + cfmt("%4.4f", fps_real),
        "Average Kbits / second (flow)   : " + cfmt("%4.4f", fdiv(fdiv(octets * 8, 1000), secs)),
        "Average Kbits / second (real)   : " + cfmt("%4.4f", kbps_real),
        "", "",
    ]
    n = len(counted)
    values = [
        [r["dOctets"] // r["dPkts"] for r in counted],
        [r["dPkts"] for r in counted],
        [r["dOctets"] for r in counted],
        [dur(r) for r in counted],
    ]
    for (title, bounds, overflow, labels, rows), vals in zip(HISTOGRAMS, values):
        counts = [0] * (len(bounds) + 1)
        for v in vals:
            b = bucket(bounds, v, overflow)
            if b is not None:
                counts[b] += 1
        cells = [("%.3f" % fdiv(c, n))[1:] for c in counts[:len(bounds) + overflow]]
        lines.append(title)
        lines.append(labels[0])
        lines.append(rows[0].format(*cells[:15]))
        lines.append("")
        lines.append(labels[1])
        lines.append(rows[1].format(*cells[15:]))
        lines.append("")
    return "".join(line + "\n" for line in lines)


# ---------------------------------------------------------------------------
# tables

def cut(text, width, do_cut):
    return text[:width] if do_cut else text


def table(o, fmt, recs, symbols):
    """(title line, [(sort values, cells text, counters)], totals) of a table format."""
    keyed = {}                 # key tuple -> [flows, octets, packets, duration, seq]
    tot = [0, 0, 0, 0]
    for r in recs:
        if fmt in (5, 6, 7) and r["prot"] not in (6, 17):
            continue
        if r["dPkts"] == 0:         # left out, as format 0 does
            continue
        if fmt in FIXED:
            keys = [(r[f],) for f in FIXED_FIELD[fmt]]
        elif fmt == 1:
            keys = [(r["dOctets"] // r["dPkts"],)]
        elif fmt == 2:
            keys = [(r["dPkts"],)]
        elif fmt == 3:
            keys = [(r["dOctets"],)]
        elif fmt == 8:
            keys = [(r["dstaddr"],)]
        elif fmt == 9:
            keys = [(r["srcaddr"],)]
        elif fmt == 10:
            keys = [(r["srcaddr"], r["dstaddr"])]
        elif fmt == 11:
            keys = [(r["srcaddr"],), (r["dstaddr"],)]
        elif fmt == 16:
            keys = [(r["nexthop"],)]
        elif fmt == 21:
            keys = [(r["src_as"], r["dst_as"])]
        elif fmt == 23:
            keys = [(r["input"], r["output"])]
        elif fmt == 24:
            keys = [(r["srcaddr"] & netmask(r["src_mask"]), r["src_mask"])]
        elif fmt == 25:
            keys = [(r["dstaddr"] & netmask(r["dst_mask"]), r["dst_mask"])]
        elif fmt == 26:
            keys = [(r["srcaddr"] & netmask(r["src_mask"]), r["src_mask"],
                     r["dstaddr"] & netmask(r["dst_mask"]), r["dst_mask"])]
        elif fmt == 27:
            keys = [(r["exaddr"],)]
        elif fmt == 30:
            keys = [(r["src_tag"],)]
        elif fmt == 31:
            keys = [(r["dst_tag"],)]
        else:
            keys = [(r["src_tag"], r["dst_tag"])]
        counters = (flows_of(r), r["dOctets"], r["dPkts"], dur(r))
        for k in keys:
            c = keyed.get(k)
            if c is None:
                c = keyed[k] = [0, 0, 0, 0, len(keyed)]
            for i in range(4):
                c[i] += counters[i]
        times = len(keys) if fmt == 7 else 1
        for i in range(4):
            tot[i] += counters[i] * times
    return keyed, tot


def key_cells(o, fmt, key, symbols):
    """the key column(s) of a row, separators included."""
    def name(table_, value):
        if o.names and table_ and symbols and value in symbols.get(table_, {}):
            return symbols[table_][value]
        return None

    if fmt in FIXED:
        width = 15 if o.wide else 10
        text = name(FIXED_SYM.get(fmt), key[0]) or "%d" % key[0]
        return "%-*s" % (width, text[:width])
    cells = HASH[fmt][1]
    out = []
    values = list(key)
    if fmt in (24, 25, 26):
        values = [(key[0], key[1])] if fmt != 26 else [(key[0], key[1]), (key[2], key[3])]
    for (kind, width, do_cut, sym), v in zip(cells, values):
        if kind == "ip":
            text = ipstr(v)
        elif kind == "prefix":
            text = prefix_str(*v)
        else:
            if o.wide and fmt in WIDE_KEY:
                width = 15
            text = name(sym, v) or "%d" % v
            text = cut(text, width, do_cut)
        out.append("%-*s" % (width, text))
    return "  ".join(out)


def title_line(o, fmt):
    cc = o.cc
    if fmt in FIXED:
        width = 15 if o.wide else 10
        head = "%-*s" % (width, FIXED[fmt][:width])
    else:
        head = "".join(HASH[fmt][0])
    if o.percent:
        tail = "flows    octets   packets" + ("  duration" if o.wide else "")
    else:
        tail = ("flows                 octets                packets" +
                ("               duration" if o.wide else ""))
    return "%s\n%s %s%s\n%s\n" % (cc, cc, head, tail, cc)


def pct(value, total):
    if total == 0:
        return float("nan") if value == 0 else float("inf")
    return value / total * 100.0


def counters_text(o, fmt, c, tot):
    if o.percent:
        vals = [pct(c[i], tot[i]) for i in range(4 if o.wide else 3)]
        return "   ".join(cfmt("%-6.3f", v) for v in vals)
    if o.wide:
        return "%-20d  %-20d  %-20d  %d" % (c[0], c[1], c[2], c[3])
    if fmt in PAD_PACKETS:
        return "%-20d  %-20d  %-20d" % (c[0], c[1], c[2])
    return "%-20d  %-20d  %d" % (c[0], c[1], c[2])


def listing_order(keyed):
    """hash tables unsorted: blocks of 65536 keys in first-seen order, newest block first"""
    by_seq = sorted(keyed, key=lambda k: keyed[k][4])
    blocks = [by_seq[i:i + BLOCK] for i in range(0, len(by_seq), BLOCK)]
    return [k for b in reversed(blocks) for k in b]


def table_report(o, fmt, recs, symbols, err):
    keyed, tot = table(o, fmt, recs, symbols)
    nkeys = len(HASH[fmt][1]) if fmt in HASH else 1
    if fmt in (24, 25):
        nkeys = 1
    if fmt == 26:
        nkeys = 2
    if o.sort is not None:
        field, desc = o.sort
        if not 0 <= field <= nkeys + 3:
            err.append("# can't sort on field %d." % (field + 1))
            return ""
    out = [title_line(o, fmt)]
    if fmt in FIXED:
        keys = sorted((k for k in keyed if keyed[k][0] > 0), reverse=True)
    else:
        keys = listing_order(keyed)
    if o.sort is not None:
        field, desc = o.sort

        def value(k):
            if field < nkeys:
                return sort_key_value(fmt, k, field)
            return keyed[k][field - nkeys]
        # ascending on the field, ties in the unsorted listing's reverse for fixed tables
        # (ascending key) and in it for hash tables (first appearance); -S reverses the
        # whole order, ties included
        if fmt in FIXED:
            keys.reverse()
        keys = sorted(keys, key=value)
        if desc:
            keys.reverse()
    cum = [0] * 4
    for i, k in enumerate(keys, 1):
        c = keyed[k]
        out.append("%s  %s\n" % (key_cells(o, fmt, k, symbols), counters_text(o, fmt, c, tot)))
        if o.percent and o.tally > 0:
            for j in range(4):
                cum[j] += c[j]
            if i % o.tally == 0:
                out.append("%sSUB %s\n" % (o.cc, "   ".join(
                    cfmt("%.3f", v) for v in [0.0] + [pct(cum[j], tot[j]) for j in range(4)])))
    return "".join(out)


def sort_key_value(fmt, k, field):
    if fmt in (24, 25):
        return k[0]
    if fmt == 26:
        return k[2 * field]
    return k[field]


# ---------------------------------------------------------------------------

def plot(o, fmt, recs):
    cc = o.cc
    what = "octets" if fmt == 13 else "packets"
    out = ["%s\n%s start      %s\n%s end        %s\n%s\n" % (cc, cc, what, cc, what, cc)] \
        if fmt == 13 else \
        ["%s\n%s start     %s\n%s end       %s\n%s\n" % (cc, cc, what, cc, what, cc)]
    xmin, xmax, ymin, ymax = MASK32, 0, MASK32, 0
    for r in recs:
        y = r["dOctets"] if fmt == 13 else r["dPkts"]
        if fmt == 13:
            out.append("%-10d   %-10d\n%-10d   %-10d\n\n" % (r["First"], y, r["Last"], y))
        else:
            out.append("%-10d    %-10d\n%-10d    %-10d\n\n" % (r["First"], y, r["Last"], y))
        xmin = min(xmin, r["First"])
        xmax = max(xmax, r["Last"])
        if fmt == 13:
            ymin = min(ymin, y)
            ymax = max(ymax, y)
        else:
            # the reference compares the octets and keeps the packets
            if r["dOctets"] < ymin:
                ymin = y
            if r["dOctets"] > ymax:
                ymax = y
    out.append("%s xmin=%-10d   ymin=%-10d   xmax=%-10d   ymax=%-10d\n"
               % (cc, xmin, ymin, xmax, ymax))
    return "".join(out)


def short(o, recs):
    cc = o.cc
    recs = [r for r in recs if r["dPkts"]]
    octets = sum(r["dOctets"] for r in recs)
    packets = sum(r["dPkts"] for r in recs)
    return ("%s\n%s Octets            Packets             MBytes\n%s\n%-20d%-20d%.3f\n"
            % (cc, cc, cc, octets, packets, octets / 1000000.0))


def run(argv, version, records, header_text=None, symbols=None):
    """-> (stdout text, [stderr lines], exit status)"""
    o = Options(argv)
    err = []
    if o.error:
        return "", [o.error], 0
    if o.help:
        return "", ["usage"], 0
    if o.operands:
        return "", ["Extra arguments starting with %s." % o.operands[0]], 1
    if not 0 <= o.fmt <= 32:
        return "", ["No such format, %d" % o.fmt, ""], 1
    out = report_information(o, argv)
    if o.header and header_text is not None:
        out += "".join(o.cc + line[1:] for line in header_text.splitlines(True))
    fmt = o.fmt
    if fmt in NEEDS and not set(NEEDS[fmt]) <= set(oracle.fields(version)):
        return out, ["Flow record missing required field for format."], 0
    if fmt == 0:
        out += format0(records, err)
    elif fmt == 4:
        out += "Not implemented.\n"
    elif fmt in (13, 14):
        out += plot(o, fmt, records)
    elif fmt == 15:
        out += short(o, records)
    else:
        out += table_report(o, fmt, records, symbols, err)
    return out, err, 0

