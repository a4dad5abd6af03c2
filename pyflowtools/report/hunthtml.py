"""flow-hunt -H: the HTML report, one self-contained file readable offline.

Per method its findings (the text summary's rows), a chart of the
suspects' activity over time and the Top N bar charts, drawn with plotly
(the `html` extra) whose JavaScript is inlined once in the page.

The suspects' activity: the suspects are known only at the end of the
pass, so their time bins come from a second pass over the input
(Input.again(): files are read again, an input readable once -- stdin, a
FIFO -- was copied to a temporary file while the first pass read it).  That
pass keeps, in C, only the suspects' flows (a standard ACL of their
addresses, filters/acl.py) and counts them by the aggregation kernel keyed
by (source address, export time in BIN-second bins: unix_secs with its low
bits masked): memory is one slot per (suspect, bin), at most SUSPECTS
suspects.  The export time trails a flow's start by at most the exporter's
active timeout.
"""
import datetime
import html
import os

from pyflowtools.core.errors import FlowToolsError
from pyflowtools.core.table import Aggregation, is_ipv6
from pyflowtools.filters import acl, program
from pyflowtools.util import files, ipv4, ipv6

#: at most this many suspects in the activity chart
SUSPECTS = 20
#: the counting bin (a power of two: unix_secs & ~(BIN - 1)); the chart
#: merges bins so that it shows at most MAX_BINS points per suspect
BIN = 64
MAX_BINS = 400
#: the methods whose hosts are suspects, in the order they are picked
SUSPECT_METHODS = ("trw", "syn-only", "rst-ack", "unreachable", "echo92", "top-sessions",
                   "top-data")


def suspects(run):
    """The suspects: the hosts of SUSPECT_METHODS (Top N ones only when NEW
    to the baseline), first seen first, at most SUSPECTS."""
    out = []
    by = {m.name: m for m in run.methods}
    for name in SUSPECT_METHODS:
        m = by.get(name)
        if m is None:
            continue
        hosts = m.hosts()                 # text: IPv6 RFC 5952, IPv4 dotted
        if name.startswith("top-"):
            hosts = [h for h, mark in zip(hosts, m.marks) if mark]
        for h in hosts:
            if h not in out and len(out) < SUSPECTS:
                out.append(h)
    return out


def activity(batches, hosts):
    """{host text: [(bin start, flows)]} of the hosts' flows as sources, from
    one pass over host-order batches (C: one filter and one aggregation
    call per batch).  On v1006 input the hosts are 128-bit (an IPv6 host's
    text in RFC 5952 form, an IPv4 one's a dotted quad)."""
    if not hosts:
        return {}
    lists = acl.parse("".join("ip access-list standard suspects permit host %s\n"
                              % h for h in hosts))
    node = lists.standard_node("suspects", "srcaddr")
    agg, prog, rectype = None, None, None
    for b in batches:
        if prog is None or rectype != b.rectype:
            prog, rectype = program.compile(node, b.rectype), b.rectype
        if agg is None:
            # the address mask is one of a 32-bit field (a 128-bit one is kept whole)
            agg = Aggregation(["srcaddr", "unix_secs"], rectype=b.rectype,
                              key_and=[0xFFFFFFFF, 0xFFFFFFFF & ~(BIN - 1)])
            text = ipv6.text if is_ipv6(b.rectype) else ipv4.text
        prog.apply(b)
        if b.n:
            agg.add(b)
    out = {h: [] for h in hosts}
    for r in (agg.ranked("flows") if agg is not None else ()):
        out[text(r.key[0])].append((r.key[1], r.flows))
    span = [t for pts in out.values() for t, _ in pts]
    step = BIN
    if span:
        while (max(span) - min(span)) // step >= MAX_BINS:
            step *= 2
    for h, pts in out.items():
        merged = {}
        for t, n in pts:
            merged[t - t % step] = merged.get(t - t % step, 0) + n
        out[h] = sorted(merged.items())
    return out


def _plotly():
    try:
        import plotly.graph_objects as go
        import plotly.io as pio
    except ImportError:
        raise FlowToolsError("-H needs plotly: pip install 'pyflowtools[html]'") from None
    return go, pio


def figures(run, act):
    """[(title, plotly figure)]: the activity lines, then the Top N bars."""
    go, _ = _plotly()
    out = []
    if act:
        fig = go.Figure()
        for h, pts in act.items():
            fig.add_trace(go.Scatter(
                x=[datetime.datetime.fromtimestamp(t, datetime.timezone.utc) for t, _ in pts],
                y=[n for _, n in pts], mode="lines+markers", name=h))
        fig.update_layout(xaxis_title="export time (UTC)", yaxis_title="flows sent per bin",
                          height=500)
        out.append(("Suspects' activity over time", fig))
    for m in run.methods:
        if m.name.startswith("top-"):
            fig = go.Figure(go.Bar(x=m.hosts(),
                                   y=[r[1] for r in m.rows],
                                   marker_color=["#c0392b" if mark else "#2c7fb8"
                                                 for mark in m.marks]))
            fig.update_layout(xaxis_title="source", yaxis_title=m.metric, height=400,
                              xaxis_type="category")
            out.append((m.title, fig))
    return out


def page(run, act):
    """The whole HTML document."""
    _, pio = _plotly()
    found = sum(m.findings for m in run.methods)
    esc = html.escape
    parts = ["<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">",
             "<title>flow-hunt report</title>",
             "<style>body{font-family:sans-serif;margin:1em 2em}"
             "pre{background:#f4f4f4;padding:.5em;overflow-x:auto}"
             "h2{border-bottom:1px solid #ccc}.n{color:#c0392b}</style></head><body>",
             "<h1>flow-hunt report</h1>",
             "<p>%d records, %d methods, <span class=\"n\">%d findings</span></p>"
             % (run.records, len(run.methods), found)]
    parts.append("<table border=\"1\" cellpadding=\"4\"><tr><th>method</th><th>findings</th>"
                 "<th>as</th></tr>")
    for m in run.methods:
        parts.append("<tr><td><a href=\"#%s\">%s</a></td><td>%d</td><td><code>%s</code></td>"
                     "</tr>" % (esc(m.name), esc(m.title), m.findings, esc(m.command)))
    parts.append("</table>")
    first = True
    for title, fig in figures(run, act):
        parts.append("<h2>%s</h2>" % esc(title))
        parts.append(pio.to_html(fig, include_plotlyjs=first, full_html=False))
        first = False
    for m in run.methods:
        parts.append("<h2 id=\"%s\">%s: %d finding%s</h2>" % (
            esc(m.name), esc(m.title), m.findings, "" if m.findings == 1 else "s"))
        parts.append("<p><code>%s</code></p>" % esc(m.command))
        parts.append("<pre>%s</pre>" % esc("\n".join(m.lines())))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write(path, run, batches):
    """Write the report to `path` (batches: the second pass's)."""
    text = page(run, activity(batches, suspects(run)))
    fd = files.open_output(path)            # never through a symlink
    with os.fdopen(fd, "wb") as f:
        f.write(text.encode("utf-8"))
