"""flow-hunt -- every method of the worm articles (Top N and baselines,
reserved/foreign/site address lists, SYN-only and RST/ACK port ranks, ICMP
unreachables and the 92-byte echo, special zones, TRW) in one pass over
the input: a text summary, and with -H an HTML report (man flow-hunt)."""
import sys
import time

from pyflowtools import cli
from pyflowtools.report import detect, hunt, zones

USAGE = ("Usage: flow-hunt [-h] [-c site_file] [-d debug_level] [-H html_file] "
         "[-L prefix[,prefix...]] [-o text|tsv] [-z zone_file] [file|directory ...]")
EXIT_FINDINGS = 2


def build_parser():
    p = cli.parser("flow-hunt", USAGE, help_status=0, unknown_status=1, common="d")
    p.add_argument("-c", dest="site")
    p.add_argument("-L", dest="inside", action="append")
    p.add_argument("-z", dest="zone_file")
    p.add_argument("-H", dest="html")
    detect.add_common(p)                # -o text|tsv
    return p


def settings(opts):
    """The site file's settings, then the options over them."""
    s = hunt.load_site(opts.site) if opts.site else hunt.Settings()
    if opts.inside:
        s.inside = zones.parse_inside(opts.inside)
    if opts.zone_file:
        s.zone_file = opts.zone_file
    return s


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    opts = cli.parse(build_parser(), argv, operands=True)
    fmt = detect.output_format(opts)
    site = settings(opts)
    if opts.html:
        from pyflowtools.report import hunthtml
        hunthtml._plotly()              # refused before any input is read
    started = time.time()
    # -H: the suspects' activity is a second pass (report/hunthtml.py)
    inp = detect.Input(opts.operands, warn=cli.warn, ipv6=True, replay=bool(opts.html))
    run = hunt.Hunt(site, inp.rectype)
    for batch in inp:
        run.feed(batch)
    found = run.finish()
    for m in run.methods:
        if getattr(m, "warning", None):
            cli.warn("%s: %s" % (m.name, m.warning))
    out = detect.text_out()
    if fmt == "tsv":
        tsv = detect.Tsv(out, hunt.TSV_COLUMNS)
        for row in hunt.tsv_rows(run):
            tsv.row(*row)
    else:
        for line in hunt.text_lines(run):
            out.write(line + "\n")
    if opts.html:
        hunthtml.write(opts.html, run, inp.again())
    if opts.debug > 0:
        cli.profile(inp.records_read, started)
        for m, fed in zip(run.methods, run.fed):
            cli.warn("%s: fed %d records" % (m.name, fed))
    return EXIT_FINDINGS if found else cli.EXIT_ERROR if inp.warnings else cli.EXIT_OK
