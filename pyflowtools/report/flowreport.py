"""Running a stat.cfg definition over batches (commands.md 11.3-11.8).

    run = DefinitionRun(cfg, definition, reader.header, warn)
    for batch in reader:
        run.add(batch)          # C: selections, totals, aggregations
    run.finish()                # the outputs of the last interval

Per batch and report: the filter programs select records (C), one
Totals.add counts them and returns the selection of the records that count
(dPkts != 0), one Aggregation.add keys them (C).  At the end of an interval
every output block of every report is written: Python writes the header
lines, C orders the rows (Aggregation.order) and formats them
(Aggregation.format), written as they are made (a report is never held
whole).  Python runs once per batch and once per output (and once per
#TALLY line), never per record or per row.
"""
import os
import sys
import time

from pyflowtools.core.errors import FlowToolsError
from pyflowtools.core.native import layout, rectype as _rectype
from pyflowtools.core import stat
from pyflowtools.core.stat import Totals
from pyflowtools.core.table import Aggregation, Column, Linear
from pyflowtools.report import statcfg, symbols
from pyflowtools.util import files, ipv4

NOT_IN_FLOW = "Report definition references a field not in flow."
BUILD_VERSION = "flow-tools 0.68.5"
U32 = 0xFFFFFFFF
V1005 = _rectype(1005)

PSIZE = list(range(32, 577, 32)) + [1024, 1536, 2048, 2560, 3072, 3584, 4096, 4608]
FPSIZE = [1, 2, 4, 8] + list(range(12, 53, 4)) + [60] + list(range(100, 901, 100))
FOSIZE = [32, 64, 128, 256, 512] + list(range(1280, 15873, 768))
FTIME = [10, 50, 100, 200, 500] + list(range(1000, 10001, 1000)) + list(range(12000, 30001,
                                                                              2000))


class _Emit:
    """The text of an output block, written as it is made: append/extend/+=
    of str (latin-1) or bytes pieces go straight to `write`."""

    def __init__(self, write):
        self.write = write

    def append(self, piece):
        self.write(piece.encode("latin-1") if isinstance(piece, str) else piece)

    def extend(self, pieces):
        for piece in pieces:
            self.append(piece)
        return self

    __iadd__ = extend


def rec2_titles():
    """The `# rec2:` names of summary-detail (>psize4096 sic)."""
    names = ["time_real", "aflowtime", "aps", "afs", "apf", "fps", "fps_real"]
    names += [(">psize%d" if b == 4096 else "psize%d") % b for b in PSIZE]
    names += ["fpsize%d" % b for b in FPSIZE] + ["fpsize_other"]
    names += ["fosize%d" % b for b in FOSIZE] + ["fosize_other"]
    names += ["ftime%d" % b for b in FTIME] + ["ftime_other"]
    return names


def cfloat(v, total):
    """C's %f of v / total * 100 (-nan for 0/0, inf past it)."""
    if total == 0:
        return "-nan" if v == 0 else "inf"
    return "%f" % (v / total * 100.0)


def ctime_text(t):
    return "%d %s" % (t, time.asctime(time.localtime(t)))


class ReportError(FlowToolsError):
    """A report that cannot be printed (the reference's internal errors)."""


# ---- symbol tables ------------------------------------------------------------

class _Symbols:
    """The C symbol tables +names needs, loaded once per run."""

    def __init__(self, warn):
        self.warn = warn
        self.tabs = {}

    def get(self, which):
        """(CTables, sym_kind) for a symbol file name; ip-type.sym goes in
        the protocol slot of its own tables."""
        if which not in self.tabs:
            kind = {symbols.PROT: "prot", symbols.PORT: "port", symbols.AS: "asn",
                    symbols.TAG: "tag", symbols.TYPE: "prot"}[which]
            try:
                data = files.read(symbols.path(which))
                tab = symbols.CTables(**{kind: data}, on_error=self.warn)
            except OSError as e:
                self.warn("open(%s): %s" % (symbols.path(which), e.strerror or e))
                tab = None
            self.tabs[which] = (tab, kind)
        return self.tabs[which]


def host_name(addr):
    """The reverse-DNS name of a 32-bit address (as the resolver finds it:
    /etc/hosts, then DNS), or its dotted quad."""
    import socket           # only with +names (start-up time)
    quad = ipv4.text(addr)
    try:
        return socket.gethostbyaddr(quad)[0]
    except (OSError, UnicodeError):
        return quad


def host_names(agg, field):
    """A C symbol table (the "tag" kind: sorted numbers) naming every
    address of key field `field` of agg: +names on address keys.  One
    resolver call per distinct address, as the reference makes."""
    addrs = sorted({r.key[field] for r in agg.rows(agg.order("seq"))})
    text = "".join("%d %s\n" % (a, host_name(a).replace(" ", "_")) for a in addrs)
    return symbols.CTables(tag=text.encode("latin-1", "replace"))


def host_names6(agg, field):
    """+names on a 128-bit address key (v1006): {address text: name} of
    every address of key field `field` (util.ipv6.text; one resolver call
    per distinct address), to put in the rows C formatted (rename_rows)."""
    from pyflowtools.util import ipv6
    out = {}
    for a in {r.key[field] for r in agg.rows(agg.order("seq"))}:
        t = ipv6.text(a)
        out[t.encode()] = host_name_text(t).replace(" ", "_").encode("latin-1", "replace")
    return out


def host_name_text(text):
    """The reverse-DNS name of an address given as text, or the text."""
    import socket
    try:
        return socket.gethostbyaddr(text)[0]
    except (OSError, UnicodeError):
        return text


def rename_rows(chunks, renames):
    """The CSV rows of chunks (bytes) with cell j replaced by its name in
    renames[j] ({text: name}): per output row, not per record."""
    for chunk in chunks:
        lines = chunk.split(b"\n")
        for i, line in enumerate(lines):
            if not line:
                continue
            cells = line.split(b",")
            for j, names in renames.items():
                if j < len(cells):
                    cells[j] = names.get(cells[j], cells[j])
            lines[i] = b",".join(cells)
        yield b"\n".join(lines)


# ---- one report over one interval ---------------------------------------------

class ReportRun:
    """A report's counters for one interval and the persistent row order
    of its table (11.6)."""

    def __init__(self, report, rectype, fields):
        self.report = report
        self.rtype = rt = report.type
        self.rectype = rectype
        self.rates = report.rates()
        dflows = "dFlows" in fields
        # rates cost two divisions a record: only for outputs that show them
        self.totals = Totals(scale=report.scale, hist=rt.table == "summary-detail",
                             dflows=dflows, rates=self.rates)
        self.agg = None
        self.linear = None
        self.order = None           # slot indexes, ascending persistent order
        self.sorted_by = None       # what the persistent order was last sorted on
        self.key_map = []           # per type key: (engine field index, len field index)
        if rt.table == "linear":
            self.linear = Linear(dflows=dflows, scale=report.scale)
        elif not rt.special:
            self.agg = self._aggregation(dflows)

    def _aggregation(self, dflows):
        rep, rt = self.report, self.rtype
        names, mask = [], []
        if rt.each:
            names = list(rt.keys[0].field)
            mask = [U32, U32]
            self.key_map = [(0, None)]
        else:
            for k in rt.keys:
                start = len(names)
                if k.addr:
                    key_fmt = rep.dst_fmt if k.addr != "src" else rep.src_fmt
                    print_fmt = rep.src_fmt if k.addr in ("src", "dst-as-src") else rep.dst_fmt
                    mfield = "src_mask" if k.field == "srcaddr" else "dst_mask"
                    if key_fmt == "prefix-mask":
                        names += ["srcprefix" if k.field == "srcaddr" else "dstprefix", mfield]
                        mask += [U32, U32]
                    elif key_fmt == "prefix-len":
                        names += [k.field, mfield]
                        mask += [U32, U32]
                    else:
                        names.append(k.field)
                        mask.append(U32)
                        if print_fmt != "address":
                            # printed as a prefix of length 0 (type 26's quirk)
                            names.append(mfield)
                            mask.append(0)
                    self.key_map.append((start, start + 1 if print_fmt != "address" else None))
                    continue
                names.append(k.field)
                m = U32
                if rep.tag_mask is not None and k.field in ("src_tag", "dst_tag"):
                    m = rep.tag_mask[0] if k.field == "src_tag" else rep.tag_mask[1]
                mask.append(m)
                self.key_map.append((start, None))
        key_and = mask if any(m != U32 for m in mask) else None
        frecs = any("frecs" in o.fields for o in rep.outputs)
        # v1006: address keys of 128 bits (address_fields)
        return Aggregation(names, peer=[rt.count] if rt.count else None, duration=True,
                           rates=self.rates or frecs, dflows=dflows, scale=rep.scale, each=rt.each,
                           key_and=key_and, rectype=self.rectype)

    def add(self, batch, sel):
        if self.agg is not None:
            self.agg.add(batch, sel, totals=self.totals)    # one pass for both
            return
        counted = self.totals.add(batch, sel)
        if self.linear is not None:
            self.linear.add(batch, counted)

    def nkeys(self):
        if self.agg is not None:
            return len(self.agg)
        if self.linear is not None:
            return len(self.linear)
        return 0

    # ---- ordering (11.6)
    def initial_order(self):
        if self.rtype.table == "B":
            return self.agg.order(by="key", ties="key")
        return self.agg.order(by="seq")

    def rows_order(self, out):
        """The slot indexes in print order for output `out`; updates the
        persistent order."""
        if self.order is None:
            self.order = self.initial_order()
        desc = False
        if out.sort is not None:
            desc, field = out.sort
            if field == "other":
                raise ReportError("bucket_dump1(): internal error" if self.rtype.table == "B"
                                  else "chash_xxx_dump(): internal error")
            if not (self.rtype.table == "B" and field.startswith("key")):
                self.order = self.sort(field)
        if desc:
            idx = self.order[::-1]
        else:
            idx = self.order
        return idx

    def sort(self, field):
        """The persistent order sorted ascending on field (stable)."""
        by, kfield = field, None
        if field.startswith("key"):
            by = "key"
            if field != "key" or self.rtype.each:
                n = 1 if field == "key" else int(field[3:])
                kfield = self.key_map[n - 1][0] if not self.rtype.each else None
        ties = "key" if self.rtype.table == "B" else "seq"
        prefix = kfield is not None and self.key_map[n - 1][1] is not None
        nfields = 2 if prefix else 1        # a prefix key: address, then length
        init = self.order if self.sorted_by is not None else None
        self.sorted_by = field
        # a later sort starts from the order the previous one left (stable)
        return self.agg.order(by=by, ties=ties, field=kfield, nfields=nfields, init=init)


# ---- split runs ------------------------------------------------------------------

def split_refusal(defn):
    """Why definition defn cannot be split into tasks whose counters merge
    exactly (pyflowtools/parallel), or None."""
    if defn.time_series:
        return "time-series intervals follow the records' order"
    for r in defn.reports:
        if r.type is None:
            continue
        if r.type.table == "linear":
            return ("report %s (%s) adds fractions of flows in the records' order"
                    % (r.name, r.type.name))
        if r.rates():
            return ("report %s sums the flows' pps and bps in the records' order"
                    % r.name)
    return None


def _quiet(message):
    """The warnings of a task's run: none are made while counting."""


def task_run(cfg, name, header):
    """The DefinitionRun of definition `name` a task counts into (a
    picklable factory: functools.partial(task_run, cfg, name, header))."""
    return DefinitionRun(cfg, cfg.definition(name), header, _quiet)


# ---- a definition over the whole input -------------------------------------------

class DefinitionRun:
    """Runs definition `defn` of `cfg` over the batches of a stream with
    header `header`; outputs go to stdout (`stdout`, a text file) or their
    `path`."""

    def __init__(self, cfg, defn, header, warn, stdout=None, now=None):
        self.cfg, self.defn, self.header = cfg, defn, header
        self.warn = warn
        self.stdout = stdout or sys.stdout
        self.now = now
        self.rectype = header.rectype
        # the definition's mask (flow-mask) and tag (flow-tag) run on every
        # batch first, in that order (11.3); tagging makes v1005 records
        # (v1006 stays v1006: both keep IPv6 flows as flow-mask and flow-tag do)
        self.masker = cfg.mask_config.definition(defn.mask) if defn.mask else None
        self.tagger = cfg.tag_config.definition(defn.tag) if defn.tag else None
        if self.tagger is not None:
            self.tagger.check(self.rectype)
            self.rectype = self.tagger.output_of(self.rectype)
        self.fields = set(layout(self.rectype)[3])
        for r in defn.reports:
            if r.type is None:
                continue
            if not r.record_fields() <= self.fields:
                raise FlowToolsError(NOT_IN_FLOW)
        self.pre = cfg.filter_program(defn.filter, self.rectype) if defn.filter else None
        self.filters = {r.name: cfg.filter_program(r.filter, self.rectype)
                        for r in defn.reports if r.filter and r.type is not None}
        self.syms = _Symbols(warn)
        self.index = {}
        self.interval = 0
        self.start = None
        self._split = None
        self.runs = self._new_runs()

    def _new_runs(self):
        return [ReportRun(r, self.rectype, self.fields) for r in self.defn.reports
                if r.type is not None]

    # ---- split runs (pyflowtools/parallel)
    def partial(self):
        """The counters of every report as bytes (totals, then the table's
        partials), for a split run."""
        from pyflowtools.core import partial
        parts = []
        for run in self.runs:
            parts.append(partial.export_totals(run.totals))
            if run.agg is not None:
                parts += partial.export_agg(run.agg)
        return parts

    def merge(self, parts):
        """Add another run's partial(), counted after this one's records."""
        from pyflowtools.core import partial
        i = 0
        for run in self.runs:
            partial.merge_totals(run.totals, parts[i])
            i += 1
            if run.agg is not None:
                n = 1 if run.agg.pairs is None else 2
                partial.merge_agg(run.agg, parts[i:i + n])
                i += n

    # ---- input
    def add(self, batch):
        if not batch.n:
            return
        batch.to_host()
        if self.masker is not None:
            batch = self.masker.apply(batch)
        if self.tagger is not None:
            batch = self.tagger.apply(batch)
            batch.to_host()
        lo = 0
        while lo < batch.n:
            hi = batch.n
            if self.defn.time_series:
                if self.start is None:
                    self.start = self._secs(batch, lo)
                hi = self._split_at(batch, lo)
            self._count(batch, lo, hi)
            if hi < batch.n:
                self.dump()
                self.interval += 1
                self.runs = self._new_runs()
                self.start = self._secs(batch, hi)
            lo = hi

    def _secs(self, batch, i):
        import struct
        off = layout(self.rectype)[3]["unix_secs"][0]
        return struct.unpack_from("=I", batch.buf, i * batch.rec_size + off)[0]

    def _split_at(self, batch, lo):
        """The first record at or after lo whose unix_secs is more than
        time-series seconds past the interval start (one C call)."""
        limit = self.start + self.defn.time_series
        if limit > U32:
            return batch.n
        return stat.split(batch, lo, limit)

    def _count(self, batch, lo, hi):
        n = batch.n
        sel = None
        if lo or hi < n:
            sel = bytes(lo) + b"\x01" * (hi - lo) + bytes(n - hi)
        if self.pre is not None:
            sel = _and(sel, self.pre.select(batch))
        for run in self.runs:
            f = self.filters.get(run.report.name)
            s = sel if f is None else _and(sel, f.select(batch))
            run.add(batch, s)

    # ---- output
    def finish(self):
        self.dump()

    def dump(self):
        for run in self.runs:
            for out in run.report.outputs:
                self.write_output(run, out)

    def write_output(self, run, out):
        """Write one output block where it goes, as it is made (a report
        of 10 M rows is never held whole); text made before an internal
        sort error still goes out, as the reference's buffered output does."""
        sink, close = self.open_output(run, out)
        try:
            self.output_text(run, out, _Emit(sink))
        finally:
            close()

    def open_output(self, run, out):
        """(write(bytes), close()) of an output's destination: stdout, a
        |command pipe or a file (strftime on the chosen time)."""
        if out.path is None:
            buf = getattr(self.stdout, "buffer", None)
            if buf is None:
                return (lambda b: self.stdout.write(b.decode("latin-1"))), (lambda: None)
            self.stdout.flush()
            return buf.write, buf.flush
        tot = run.totals
        start, end = tot.min_secs, tot.max_secs
        t = {"now": int(self.now if self.now is not None else time.time()), "start": start,
             "end": end, "mid": start + (end - start) // 2}[out.time] & U32
        try:
            path = time.strftime(out.path, time.localtime(t))
        except (ValueError, OverflowError):
            path = out.path
        if path.startswith("|"):
            import subprocess       # only for |command outputs (start-up time)
            cmd = path[1:]
            self.stdout.flush()
            proc = subprocess.Popen(cmd, shell=True, stdin=subprocess.PIPE)
            broken = []

            def write(b):
                if broken:
                    return
                try:
                    proc.stdin.write(b)
                except BrokenPipeError:
                    broken.append(True)

            def close():
                try:
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
                status = proc.wait()
                if status != 0:
                    code = status if status > 0 else 128 - status
                    self.warn("pclose(%s): failed exit code=%d." % (cmd, code))
            return write, close
        d = os.path.dirname(path)
        if d and not os.path.isdir(d):
            files.makedirs(d, 0o755)
        f = os.fdopen(files.open_output(path, append=self.interval != 0), "wb")
        return f.write, f.close

    def header_lines(self, run, out):
        rep, rt, tot = run.report, run.rtype, run.totals
        lines = []

        def add(label, value):
            lines.append("# %-22s%s\n" % (label + ":", value))
        if self.interval == 0:
            lines.append("#  --- ---- ---- Report Information --- --- ---\n")
            add("build-version", BUILD_VERSION)
            add("name", rep.name)
            add("type", rt.name)
            if rep.scale:
                add("scale", rep.scale)
            add("options", ",".join("+" + o for o in statcfg.OPTION_ORDER if o in out.options))
            if rt.src:
                add("ip-src-addr-type", rep.src_fmt)
            if rt.dst:
                add("ip-dst-addr-type", rep.dst_fmt)
            if out.sort is not None:
                add("sort_field", "+" + out.sort[1])
            shown = [f for f in statcfg.FIELD_ORDER if f in out.fields]
            if shown:
                add("fields", ",".join("+" + f for f in shown))
            if out.tally:
                add("tally", out.tally)
            if self.defn.tag:
                add("tag", self.defn.tag)
            if self.defn.filter:
                add("pre-filter", self.defn.filter)
            if rep.filter:
                add("filter", rep.filter)
        add("records", run.nkeys())
        if out.records:
            lines.append("# records_shown:      %d\n" % out.records)
        add("first-flow", ctime_text(tot.min_secs))
        add("last-flow", ctime_text(tot.max_secs))
        add("now", ctime_text(int(self.now if self.now is not None else time.time())))
        if self.defn.time_series:
            add("time-series", "%d seconds / interval %d" % (self.defn.time_series,
                                                             self.interval))
        if "xheader" in out.options and self.interval == 0:
            lines.append(self.header.describe("#"))
        return lines

    def output_text(self, run, out, text):
        rt, tot = run.rtype, run.totals
        if "header" in out.options:
            text += self.header_lines(run, out)
        if "totals" in out.options:
            head = "# rec1: records,ignores,flows,octets,packets,duration"
            vals = ["0" if rt.table.startswith("summary") else str(run.nkeys()),
                    str(tot.ignores), str(tot.flows), str(tot.octets), str(tot.packets),
                    str(tot.duration)]
            if run.rates:
                head += ",avg_bps,min_bps,max_bps,avg_pps,min_pps,max_pps"
                vals += ["%f" % v for v in tot.bps() + tot.pps()]
            text += [head, "\n", ",".join(vals), "\n"]
        if rt.table == "summary-detail":
            text += self.rec2(tot)
        elif rt.table == "linear":
            text += self.linear_rows(run, out)
        elif not rt.special:
            self.rows(run, out, text)

    @staticmethod
    def rec2(tot):
        fl = tot.flows
        vals = [str(tot.max_secs)]
        vals += ["%f" % v for v in (
            tot.duration // fl if fl else 0, tot.octets // tot.packets if tot.packets else 0,
            tot.octets // fl if fl else 0, tot.packets // fl if fl else 0,
            fl / (tot.max_last / 1000.0) if tot.max_last else 0.0,
            fl / tot.max_secs if tot.max_secs else 0.0)]
        for hist, n in ((tot.hist_psize, len(PSIZE)), (tot.hist_fpsize, len(FPSIZE) + 1),
                        (tot.hist_fosize, len(FOSIZE) + 1), (tot.hist_ftime, len(FTIME) + 1)):
            vals += [("%f" % (h / fl)) if fl else "-nan" for h in hist[:n]]
        return ["# rec2: ", ",".join(rec2_titles()), "\n", ",".join(vals), "\n"]

    @staticmethod
    def linear_rows(run, out):
        cols = [f for f in ("key", "flows", "octets", "packets") if f in out.fields]
        yield "# recn: " + ",".join("unix-secs*" if c == "key" else c for c in cols) + "\n"
        lin = run.linear
        by, desc = "seq", False
        if out.sort is not None:
            desc, field = out.sort
            if field.startswith("key"):
                by = "key"
            else:
                by = {"flows": "lflows", "octets": "loctets", "packets": "lpackets"}.get(
                    field, "seq")
        idx = lin.order(by, desc=desc)
        source = {"key": Column("key"), "flows": Column("lflows", "f"),
                  "octets": Column("loctets", "f"), "packets": Column("lpackets", "f")}
        columns = [source[c] for c in cols]
        for c in columns[:-1]:
            c.sep = ","
        if columns:
            yield from lin.format(idx, columns)
        else:
            yield "\n" * len(idx)

    def columns(self, run, out):
        """(titles, [Column], renames) of an output's rows, in `# recn:`
        order; renames: {column: {address text: name}} (rename_rows)."""
        rt, tot = run.rtype, run.totals
        pct = "percent-total" in out.options
        names = "names" in out.options
        titles, cols, renames = [], [], {}
        if "index" in out.fields:
            titles.append("index")
            cols.append(Column("index"))
        for f, v in (("first", tot.min_secs), ("last", tot.max_secs)):
            if f in out.fields:
                titles.append(f)
                cols.append(Column("text", sep="%d" % v))
        kf = rt.key_fields()
        for i, k in enumerate(rt.keys):
            if kf[i] not in out.fields:
                continue
            titles.append(k.title + "*")
            field, len_field = run.key_map[i]
            src = "key%d" % field
            if k.kind == "ip" and names and run.agg.key.widths[field] == 16:
                # v1006: the address in C, its name put in per row
                renames[len(cols)] = host_names6(run.agg, field)
                cols.append(Column(src, "ip"))
            elif k.kind == "ip" and names:
                # the reverse-DNS name of each address; a failed lookup
                # prints the plain address (without /len: 11.4)
                tab = host_names(run.agg, field)
                cols.append(Column(src, "sym", sym=tab, sym_kind="tag"))
            elif len_field is not None:
                cols.append(Column(src, "prefix", len_field=len_field))
            elif k.kind == "sym" and names:
                tab, kind = self.syms.get(k.sym)
                cols.append(Column(src, "sym", sym=tab, sym_kind=kind) if tab is not None
                            else Column(src))
            else:
                cols.append(Column(src, "ip" if k.kind == "ip" else "dec"))
        if "count" in out.fields and rt.count:
            titles.append(statcfg.COUNT_TITLES[rt.count])
            cols.append(Column("count", "pct", total=len(run.agg.pairs)) if pct
                        else Column("count"))
        for f, total in (("flows", tot.flows), ("octets", tot.octets),
                         ("packets", tot.packets), ("duration", tot.duration)):
            if f in out.fields:
                titles.append(f)
                cols.append(Column(f, "pct", total=total) if pct else Column(f))
        bps, pps = tot.bps(), tot.pps()
        for f, total in (("avg-bps", bps[0]), ("min-bps", bps[1]), ("max-bps", bps[2]),
                         ("avg-pps", pps[0]), ("min-pps", pps[1]), ("max-pps", pps[2])):
            if f in out.fields:
                titles.append(f)
                cols.append(Column(f, "pct", total=total) if pct else Column(f, "f"))
        if "frecs" in out.fields:
            titles.append("frecs")
            cols.append(Column("frecs"))
        for c in cols[:-1]:
            c.sep = c.sep + "," if c.src == "text" else ","
        return titles, cols, renames

    def rows(self, run, out, text):
        titles, cols, renames = self.columns(run, out)
        if renames:
            text = _Renamed(text, renames)
        text.append("# recn: " + ",".join(titles) + "\n")
        idx = run.rows_order(out)
        n = len(idx)
        shown = n if not out.records else min(n, out.records)
        start_index = self.index.get(run.report.name, 0)
        if not cols:
            text.append("\n" * shown)
        elif out.tally:
            self.tally_rows(run, out, idx, shown, cols, start_index, text)
        else:
            text.extend(run.agg.format(idx[:shown], cols, index_start=start_index))
        self.index[run.report.name] = start_index + shown
        # a fixed table checks the limit after each row it printed (the
        # stop line comes even when no row is left), a hash table before
        # the next one
        if shown < n or (run.rtype.table == "B" and out.records and shown == out.records):
            text.append("# stop, hit record limit.\n")

    def tally_rows(self, run, out, idx, shown, cols, start_index, text):
        tot = run.totals
        n = len(idx)
        avg_b, avg_p = tot.bps()[0], tot.pps()[0]
        at = 0
        while at < shown:
            if at:
                acc = run.agg.sums(idx, 0, at)          # one C call a tally line
                line = "#TALLY %%recs=%3.3f %%flows=%3.3f %%octets=%3.3f %%packets=%3.3f" % (
                    at / n * 100.0, _ratio(acc.flows, tot.flows), _ratio(acc.octets, tot.octets),
                    _ratio(acc.packets, tot.packets))
                if run.rates:
                    line += " %%avg-bps=%s %%avg-pps=%s" % (
                        _tally_rate(acc.bps_sum, acc.frecs, avg_b),
                        _tally_rate(acc.pps_sum, acc.frecs, avg_p))
                text.append(line + "\n")
            end = min(at + out.tally, shown)
            text.extend(run.agg.format(idx[:end], cols, start=at,
                                       index_start=start_index + at))
            at = end


class _Renamed:
    """An _Emit whose row chunks (bytes) go through rename_rows."""

    def __init__(self, text, renames):
        self.text, self.renames = text, renames

    def append(self, piece):
        self.text.append(piece)

    def extend(self, pieces):
        for piece in pieces:
            if isinstance(piece, bytes):
                piece = b"".join(rename_rows([piece], self.renames))
            self.text.append(piece)
        return self


def _ratio(v, total):
    return v / total * 100.0 if total else float("nan")


def _tally_rate(rate_sum, frecs, total):
    if frecs == 0:
        return "-nan"
    v = rate_sum / frecs
    if total == 0:
        return "-nan" if v == 0 else "inf"
    return "%3.3f" % (v / total * 100.0)


def _and(a, b):
    """The AND of two 0/1 selections (None: all)."""
    if a is None:
        return bytes(b)
    n = len(a)
    return (int.from_bytes(a, "little") & int.from_bytes(b, "little")).to_bytes(n, "little")
