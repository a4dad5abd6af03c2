"""RRD files from flow-capture/flow-fanout STAT log lines (flow-log2rrd) and
from flow-report output (flow-rpt2rrd), written by the real rrdtool.

One rrdtool process per run, in its pipe mode (`rrdtool -`): a command per
line, answered by its output and an `OK ...` or `ERROR: ...` line.  Updates
of one file go out in a few commands of many `time:values` each.

    tool = RRDTool()
    tool.create(path, step, start, ["DS:flows:GAUGE:300:0:U"], ["RRA:AVERAGE:0.5:1:600"])
    tool.update(path, ["flows"], [(1092647100, [198])])
    rows = tool.fetch(path, "AVERAGE", start, end)     # [(time, [value or None])]
    tool.close()

STAT lines (flow-log2rrd): every line holding `flow-capture...: STAT:` or
`flow-fanout...: STAT:` (bare, as -D prints them, or behind a syslog prefix
whose last word before the program is the host name).  The counters are
totals since the collector started, so the data sources are DERIVE (rates
per second, never negative); when the collector restarted after the file's
last update, a zero update at its start time is inserted first, so the first
interval after a restart is a rate too and the restart itself is unknown,
not a spike.

flow-report output (flow-rpt2rrd): blocks of `# recn:` rows (and the
`# rec1:` totals), each with the header's first-flow time; each requested
key's row goes into its own RRD, one GAUGE data source per requested
column, at the end of the step that holds the block's first flow.  A key
absent from a complete block is stored as 0 (the report saw no traffic for
it); absent from a block cut by `records N` it is unknown.
"""
import math
import os
import re
import socket
import subprocess
import time

from pyflowtools.core.errors import FlowToolsError
from pyflowtools.util import files

#: values per `update` command (a pipe-mode line stays well under rrdtool's limits)
UPDATE_CHUNK = 256


class RRDError(FlowToolsError):
    """rrdtool refused a command, or could not be run."""


def _quote(arg):
    """One argument of a pipe-mode line: rrdtool splits on blanks and
    honours double quotes."""
    arg = str(arg)
    if '"' in arg or "\n" in arg or "\r" in arg:
        raise RRDError("cannot pass %r to rrdtool" % arg)
    if not arg or any(c in arg for c in " \t'"):
        return '"%s"' % arg
    return arg


class RRDTool:
    """The rrdtool program in pipe mode.  `program` defaults to $RRDTOOL or
    `rrdtool` on PATH."""

    def __init__(self, program=None):
        self.program = program or os.environ.get("RRDTOOL") or "rrdtool"
        try:
            self.proc = subprocess.Popen([self.program, "-"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         bufsize=0)
        except OSError as e:
            raise RRDError("cannot run %s: %s (install the rrdtool package)"
                           % (self.program, e.strerror or e)) from None
        self._out = self.proc.stdout
        self._buf = b""

    def _readline(self):
        while True:
            i = self._buf.find(b"\n")
            if i >= 0:
                line, self._buf = self._buf[:i], self._buf[i + 1:]
                return line.decode("utf-8", "replace")
            chunk = self._out.read(65536)
            if not chunk:
                raise RRDError("%s exited unexpectedly" % self.program)
            self._buf += chunk

    def call(self, *args):
        """Run one command; its output lines.  RRDError with rrdtool's
        message when it answers ERROR."""
        line = " ".join(_quote(a) for a in args) + "\n"
        try:
            self.proc.stdin.write(line.encode("utf-8"))
        except (BrokenPipeError, OSError):
            raise RRDError("%s exited unexpectedly" % self.program) from None
        out = []
        while True:
            ln = self._readline()
            if ln.startswith("OK u:") or ln == "OK":
                return out
            if ln.startswith("ERROR:"):
                raise RRDError(ln[6:].strip())
            out.append(ln)

    def on(self, path, *args):
        """call() with the file's name in front of a refusal."""
        try:
            return self.call(*args)
        except RRDError as e:
            raise RRDError("%s: %s" % (path, e)) from None

    def create(self, path, step, start, ds, rra):
        self.on(path, "create", path, "--start", int(start), "--step", int(step), *ds, *rra)

    def last(self, path):
        """The file's last update time."""
        for ln in self.on(path, "last", path):
            if ln.strip().isdigit():
                return int(ln)
        raise RRDError("%s: no last update time" % path)

    def ds_names(self, path):
        """The data source names of an existing file, in order."""
        names = {}
        for ln in self.on(path, "info", path):
            m = re.match(r'ds\[([^\]]+)\]\.index = (\d+)', ln)
            if m:
                names[int(m.group(2))] = m.group(1)
        return [names[i] for i in sorted(names)]

    def update(self, path, names, points):
        """points: [(time, [value or None])] in time order; None is unknown.
        Points at or before the file's last update are skipped by rrdtool."""
        template = ":".join(names)
        for i in range(0, len(points), UPDATE_CHUNK):
            vals = ["%d:%s" % (t, ":".join(_value(v) for v in vs))
                    for t, vs in points[i:i + UPDATE_CHUNK]]
            self.on(path, "update", path, "--skip-past-updates", "--template", template, *vals)

    def fetch(self, path, cf, start, end, resolution=None):
        """[(time, [value or None])] of `rrdtool fetch` (a time labels the
        step that ends there); the data source names in .last_names."""
        args = ["fetch", path, cf, "--start", int(start), "--end", int(end)]
        if resolution:
            args += ["--resolution", int(resolution)]
        rows, self.last_names = [], []
        for ln in self.on(path, *args):
            if ":" in ln:
                t, _, rest = ln.partition(":")
                if t.strip().isdigit():
                    rows.append((int(t), [_parse(v) for v in rest.split()]))
                    continue
            if ln.strip() and not self.last_names:
                self.last_names = ln.split()
        return rows

    def close(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.write(b"quit\n")
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._out.close()
        self.proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_dir(path):
    """OSError unless path is a directory (before rrdtool says "Cannot
    create temporary file")."""
    if not os.path.isdir(path):
        import errno
        code = errno.ENOTDIR if os.path.exists(path) else errno.ENOENT
        raise OSError(code, os.strerror(code), path)


def _value(v):
    if v is None:
        return "U"
    if isinstance(v, float):
        if math.isnan(v):
            return "U"
        return repr(v)
    return str(v)


def _parse(text):
    try:
        v = float(text)
    except ValueError:
        return None
    return None if math.isnan(v) else v


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def file_part(text):
    """A key as part of a file name: `/` (prefixes) becomes `-`, anything
    else outside letters, digits and `._+-` becomes `_`."""
    return _UNSAFE.sub("_", text.replace("/", "-"))


def ds_name(column):
    """An RRD data source name for a report column (`avg-bps` -> `avg_bps`;
    at most 19 characters)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", column)[:19]


# --------------------------------------------------------------------------
# flow-log2rrd

STEP = 300                      # flow-capture -S 5: a line every 5 minutes
LOG_HEARTBEAT = 3600            # lines up to flow-capture -S 60 apart still give rates
LOG_RRA = ("RRA:AVERAGE:0.5:1:2016", "RRA:AVERAGE:0.5:288:365",
           "RRA:MAX:0.5:1:2016", "RRA:MAX:0.5:288:365")
LOG_DS = ("flows", "pkts", "lost")
_STAT = re.compile(r"(?:^|\s)(\S*?)(flow-capture|flow-fanout)(?:\[\d+\])?:\s+STAT:\s(.*)$")


class StatLine:
    __slots__ = ("kind", "host", "src", "dst", "port", "now", "startup", "values")

    def file_name(self):
        parts = [self.kind, self.host, self.src, self.dst]
        if self.port is not None:
            parts.append(str(self.port))
        return ".".join(file_part(p) for p in parts) + ".rrd"

    def ds(self):
        return LOG_DS + (("nobufs",) if self.kind == "fanout" else ())


def parse_stat_line(line, hostname):
    """A StatLine, None for a line that is not a STAT line, ValueError for a
    STAT line that lacks a field."""
    m = _STAT.search(line.rstrip("\r\n"))
    if m is None:
        return None
    before = line[:m.start(2) - len(m.group(1))].split()
    kv = dict(w.split("=", 1) for w in m.group(3).split() if "=" in w)
    s = StatLine()
    s.kind = "capture" if m.group(2) == "flow-capture" else "fanout"
    s.host = before[-1].rstrip(":") if before else hostname
    try:
        s.src, s.dst, s.now = kv["src_ip"], kv["dst_ip"], int(kv["now"])
        s.startup = int(kv["startup"]) if "startup" in kv else None
        port = kv.get("port", kv.get("dst_port"))
        s.port = int(port) if port is not None else None
        vals = [int(kv["flows"]), int(kv["pkts"]), int(kv["lost"])]
        if s.kind == "fanout":
            nob = kv.get("nobufs", kv.get("send_nobufs"))
            vals.append(int(nob) if nob is not None else None)
    except KeyError as e:
        raise ValueError("no %s=" % e.args[0]) from None
    s.values = vals
    return s


def log_points(lines, last):
    """The updates of one file from its StatLines (any order): [(time,
    values)] in time order, after `last` (the file's last update, or None
    for a new file), with a zero point at each collector start that falls
    after the previous point."""
    lines = sorted(lines, key=lambda s: s.now)
    points, prev_t, prev_start = [], last, None
    for s in lines:
        if prev_t is not None and s.now <= prev_t:
            prev_start = s.startup
            continue
        st = s.startup
        if st is not None and st != prev_start and st < s.now \
                and (prev_t is None or st > prev_t):
            points.append((st, [0] * len(s.values)))
        points.append((s.now, s.values))
        prev_t, prev_start = s.now, st
    return points


def log2rrd(stream, rrd_path, tool, hostname=None, warn=None, verbose=None):
    """Read STAT lines from the text stream, update (creating when missing)
    one RRD per collector/exporter pair under rrd_path.  Returns
    (lines used, files written)."""
    check_dir(rrd_path)
    hostname = hostname or socket.gethostname()
    per_file = {}
    for no, line in enumerate(stream, 1):
        try:
            s = parse_stat_line(line, hostname)
        except ValueError as e:
            if warn:
                warn("line %d: malformed STAT line (%s), skipped" % (no, e))
            continue
        if s is not None:
            per_file.setdefault(s.file_name(), []).append(s)
    used = 0
    for name, lines in sorted(per_file.items()):
        path = os.path.join(rrd_path, name)
        ds = lines[0].ds()
        last = None
        if os.path.exists(path):
            last = tool.last(path)
            have = tool.ds_names(path)
            ds = [d for d in ds if d in have]
        points = log_points(lines, last)
        if not points:
            continue
        if last is None:
            tool.create(path, STEP, points[0][0] - 1,
                        ["DS:%s:DERIVE:%d:0:U" % (d, LOG_HEARTBEAT) for d in ds], LOG_RRA)
            if verbose:
                verbose("created %s" % path)
        tool.update(path, ds, [(t, v[:len(ds)]) for t, v in points])
        used += len(lines)
        if verbose:
            verbose("%s: %d updates" % (path, len(points)))
    return used, len(per_file)


# --------------------------------------------------------------------------
# flow-rpt2rrd

RPT_STORAGE = (600, 600, 600, 732)          # rows of the 5 min, 30 min, 2 h, 1 day RRAs
RPT_STEPS = (1, 6, 24, 288)
RPT_FIELDS = ("flows", "octets", "packets")
TOTALS = "totals"
_NOT_FIELDS = frozenset(("index", "first", "last"))


class Block:
    """One report output (or one time-series interval of it)."""

    def __init__(self):
        self.name = None
        self.first = None              # header first-flow
        self.columns = None            # recn column names, '*' stripped
        self.lead = 0                  # index/first/last columns before the keys
        self.nkeys = 0
        self.rows = {}                 # key text -> [column texts]
        self.totals = None             # {column: text}
        self.cut = False               # "# stop, hit record limit."
        self.first_col = None          # the `first` column of the first row

    def time(self):
        return self.first if self.first is not None else self.first_col


def _symbol_tables(columns, nkeys, load):
    """Per key column, the symbol table (or None) for -n."""
    tabs = []
    for col in columns[:nkeys]:
        kind = ("tcp-port" if "port" in col else "ip-prot" if "protocol" in col
                else "asn" if col.endswith("-as") else "tag" if col.endswith("-tag") else None)
        tabs.append(load(kind) if kind else None)
    return tabs


def parse_report(stream, wanted, symbols=None):
    """Blocks of flow-report ASCII output (any options), keeping only the
    rows whose key text is in `wanted`.  The key text is the key columns
    joined by `_` (after -n's symbol lookup: symbols(kind) gives a table
    or None)."""
    blocks = []
    cur = None
    pending_totals = None
    tabs = None
    cols = None

    def fresh(force=False, need_cols=False):
        nonlocal cur, cols
        if force or cur is None or cur.columns is not None \
                or (not need_cols and cur.totals is not None):
            cur = Block()
            blocks.append(cur)
            cols = None
        return cur

    for line in stream:
        line = line.rstrip("\r\n")
        if not line:
            continue
        if line[0] == "#":
            if line.startswith("#  --- ---- ---- Report Information"):
                fresh(force=True)
            elif line.startswith("# records:"):
                fresh()
            elif line.startswith("# name:"):
                fresh().name = line[7:].strip()
            elif line.startswith("# first-flow:"):
                w = line[13:].split()
                fresh().first = int(w[0]) if w and w[0].isdigit() else None
            elif line.startswith("# rec1:"):
                fresh()
                pending_totals = [c.strip() for c in line[7:].split(",")]
            elif line.startswith("# recn:"):
                fresh(need_cols=True)
                names = [c.strip() for c in line[7:].split(",")]
                lead = 0
                while lead < len(names) and names[lead] in _NOT_FIELDS:
                    lead += 1
                nkeys = 0
                while lead + nkeys < len(names) and names[lead + nkeys].endswith("*"):
                    nkeys += 1
                cur.columns = [n.rstrip("*") for n in names]
                cur.lead, cur.nkeys = lead, nkeys
                cols = cur.columns
                tabs = _symbol_tables(cols[lead:], nkeys, symbols) if symbols else None
            elif line.startswith("# stop, hit record limit"):
                if cur is not None:
                    cur.cut = True
            continue
        if pending_totals is not None:
            vals = line.split(",")
            cur.totals = dict(zip(pending_totals, vals))
            pending_totals = None
            continue
        if cols is None:
            continue
        vals = line.split(",")
        lead = cur.lead
        if cur.first_col is None and "first" in cols[:lead]:
            try:
                cur.first_col = int(vals[cols.index("first")])
            except (ValueError, IndexError):
                pass
        keys = vals[lead:lead + cur.nkeys]
        if tabs:
            keys = [(t.name(int(k), k) if t is not None and k.isdigit() else k)
                    for t, k in zip(tabs, keys)]
        key = "_".join(keys)
        if key in wanted:
            cur.rows[key] = vals
    return blocks


def _combine(field, old, new):
    """Two values of one key and column that fall into the same step."""
    if old is None or new is None:
        return None
    if field.startswith("min-"):
        return min(old, new)
    if field.startswith("max-"):
        return max(old, new)
    if field.startswith("avg-"):
        return (old + new) / 2.0
    return old + new


def _num(text):
    try:
        return int(text)
    except ValueError:
        try:
            v = float(text)
        except ValueError:
            return None
        return None if math.isnan(v) else v


def report_points(blocks, keys, fields, step, now=None):
    """{key: [(time, [values])]} of the blocks: each block at the end of the
    step holding its first flow (no time in the output: the step that ended
    last, `now`).  FlowToolsError when a field is not in the report or the
    input holds several reports."""
    names = {b.name for b in blocks if b.name is not None}
    if len(names) > 1:
        raise FlowToolsError("the input holds several reports (%s): give one report per run"
                             % ", ".join(sorted(names)))
    now = int(time.time()) if now is None else now
    acc = {k: {} for k in keys}
    for b in blocks:
        t = b.time()
        slot = (t // step + 1) * step if t is not None else (now // step) * step
        for key in keys:
            if key == TOTALS:
                if b.totals is None:
                    continue
                src = b.totals
                missing = [f for f in fields if f not in src]
                if missing:
                    raise FlowToolsError("field %s is not in the report's totals" % missing[0])
                vals = [_num(src[f]) for f in fields]
            else:
                if b.columns is None:
                    continue
                idx = []
                start = b.lead + b.nkeys
                for f in fields:
                    if f not in b.columns[start:]:
                        raise FlowToolsError("field %s is not in the report" % f)
                    idx.append(b.columns.index(f, start))
                row = b.rows.get(key)
                if row is not None:
                    vals = [_num(row[i]) if i < len(row) else None for i in idx]
                else:
                    vals = [None if b.cut else 0] * len(fields)
            have = acc[key].get(slot)
            if have is not None:
                vals = [_combine(f, o, n) for f, o, n in zip(fields, have, vals)]
            acc[key][slot] = vals
    return {k: sorted(v.items()) for k, v in acc.items() if v}


def with_gaps(points, step, last=None):
    """The points with an unknown update at the start of each step that
    follows a gap (steps without a report, or since the file's last update):
    with a heartbeat of one step, the gap is then unknown and the next
    report's step still holds its value."""
    out = []
    prev = last
    for t, vals in points:
        if prev is not None and prev < t - step:
            out.append((t - step, [None] * len(vals)))
        out.append((t, vals))
        prev = t
    return out


def rpt2rrd(stream, keys, fields, rrd_path, postfix, storage, tool, step=STEP,
            symbols=None, verbose=None, now=None):
    """Store the report read from the text stream: one RRD per key.
    Returns {path: number of points}."""
    check_dir(rrd_path)
    blocks = parse_report(stream, set(keys), symbols)
    points = report_points(blocks, keys, fields, step, now)
    ds = [ds_name(f) for f in fields]
    written = {}
    for key in keys:
        pts = points.get(key)
        if not pts:
            if verbose:
                verbose("%s: not in the report" % key)
            continue
        path = os.path.join(rrd_path, file_part(key) + postfix + ".rrd")
        last = None
        if not os.path.exists(path):
            rra = ["RRA:%s:0.5:%d:%d" % (cf, n, rows) for cf in ("AVERAGE", "MAX")
                   for n, rows in zip(RPT_STEPS, storage) if rows > 0]
            tool.create(path, step, pts[0][0] - step,
                        ["DS:%s:GAUGE:%d:0:U" % (d, step) for d in ds], rra)
            if verbose:
                verbose("created %s" % path)
        else:
            have = tool.ds_names(path)
            missing = [d for d in ds if d not in have]
            if missing:
                raise FlowToolsError("%s has no data source %s" % (path, missing[0]))
            last = tool.last(path)
        tool.update(path, ds, with_gaps(pts, step, last))
        written[path] = len(pts)
        if verbose:
            verbose("%s: %d updates" % (path, len(pts)))
    return written


def parse_storage(text):
    """-r a:b:c:d: rows of the 5 minute, 30 minute, 2 hour and 1 day RRAs."""
    parts = text.split(":")
    if len(parts) != 4 or not all(p.strip().isdigit() for p in parts):
        raise FlowToolsError("rrd_storage must be four numbers separated by ':' (%s)" % text)
    rows = tuple(int(p) for p in parts)
    if not any(rows):
        raise FlowToolsError("rrd_storage keeps no rows")
    return rows


def read_keys(path):
    """-K: keys separated by commas, blanks or lines; `#` starts a comment."""
    keys = []
    for line in files.read_text(path, encoding="utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0]
        keys += [k for k in re.split(r"[,\s]+", line) if k]
    return keys
