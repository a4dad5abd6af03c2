"""flow-portrank -- hosts with many SYN-only flows (or, -d, receiving many
RST|ACK flows) and the ports they probed, in one pass."""

import functools

from pyflowtools import cli, parallel
from pyflowtools.report import detect, portrank
from pyflowtools.core.errors import UsageError

USAGE = ("Usage: flow-portrank [-hNds] [-n hosts] [-o text|tsv] [-p ports] [-t threshold]\n"
         "       [-j jobs | --dask address] [file|directory ...]")


def count(what, minimum, maximum=(1 << 63) - 1):
    def parse(text):
        t = text.strip()
        if not t.isdigit() or int(t) < minimum:
            raise UsageError("%s must be an integer >= %d: %s" % (what, minimum, text))
        if int(t) > maximum:
            raise UsageError("%s is too large: %s" % (what, text))
        return int(t)
    return parse


def build_parser():
    p = cli.parser("flow-portrank", USAGE, help_status=0, unknown_status=1,
                   usage_on_error=False)
    detect.add_common(p)
    p.add_argument("-d", dest="ingress", action="store_true")
    p.add_argument("-N", dest="names", action="store_true")
    p.add_argument("-s", dest="matching_only", action="store_true")
    p.add_argument("-t", dest="threshold", type=count("threshold (-t)", 1),
                   default=portrank.DEFAULT_THRESHOLD)
    p.add_argument("-n", dest="hosts", type=count("host count (-n)", 0), default=0)
    p.add_argument("-p", dest="ports", type=count("port count (-p)", 0),
                   default=portrank.DEFAULT_PORTS)
    parallel.add_options(p)
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    fmt = detect.output_format(opts)
    names = portrank.load_names() if opts.names else None
    mode = portrank.mode(ingress=opts.ingress, matching_only=opts.matching_only)
    inp = detect.Input(opts.operands, warn=cli.warn, ipv6=True)
    ranking = parallel.accumulate(functools.partial(portrank.Ranking, inp.rectype, mode), inp,
                                  parallel.plan(opts))
    report = ranking.report(opts.threshold, opts.hosts, opts.ports)
    out = detect.text_out()
    if fmt == "tsv":
        tsv = detect.Tsv(out, portrank.tsv_columns(mode, names is not None))
        for row in portrank.tsv_rows(report, names):
            tsv.row(*row)
    else:
        for line in portrank.text_lines(report, names):
            out.write(line + "\n")
    return cli.EXIT_ERROR if inp.warnings else cli.EXIT_OK

