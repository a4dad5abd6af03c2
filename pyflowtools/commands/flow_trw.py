"""flow-trw -- scan detection by Threshold Random Walk: the sources whose
first contacts fail too often, slow ones included (man flow-trw)."""
import sys
import time

from pyflowtools import cli
from pyflowtools.report import detect, trw, zones

USAGE = ("Usage: flow-trw [-hFN] [-a alpha] [-B beta] [-b big|little] [-C comment] "
         "[-c contacts] [-d debug_level] [-L prefix[,prefix...]] [-m contacts] [-n hosts] "
         "[-o text|tsv] [-p ports] [-s theta0] [-S theta1] [file|directory ...]")
EXIT_SCANNERS = 2


def build_parser():
    p = cli.parser("flow-trw", USAGE, help_status=0, unknown_status=1, common="bCd")
    detect.add_common(p)
    p.add_argument("-L", dest="inside", action="append")
    p.add_argument("-F", dest="stream_out", action="store_true")
    p.add_argument("-N", dest="names", action="store_true")
    p.add_argument("-s", dest="theta0", type=trw.probability("theta0", "s"), default=trw.THETA0)
    p.add_argument("-S", dest="theta1", type=trw.probability("theta1", "S"), default=trw.THETA1)
    p.add_argument("-a", dest="alpha", type=trw.probability("alpha", "a"), default=trw.ALPHA)
    p.add_argument("-B", dest="beta", type=trw.probability("beta", "B"), default=trw.BETA)
    p.add_argument("-m", dest="contacts", type=cli.integer(1, 1 << 30, "-m"),
                   default=trw.DEFAULT_CONTACTS)
    p.add_argument("-c", dest="per_source", type=cli.integer(1, (1 << 32) - 1, "-c"),
                   default=trw.DEFAULT_PER_SOURCE)
    p.add_argument("-n", dest="hosts", type=cli.integer(0, 1 << 31, "-n"), default=0)
    p.add_argument("-p", dest="ports", type=cli.integer(0, 1 << 31, "-p"),
                   default=trw.DEFAULT_PORTS)
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    fmt = detect.output_format(opts)
    params = trw.Params(opts.theta0, opts.theta1, opts.alpha, opts.beta).check()
    local = zones.parse_inside(opts.inside)
    names = trw.load_names() if opts.names else None
    started = time.time()
    inp = detect.Input(opts.operands, warn=cli.warn, ipv6=True, replay=opts.stream_out)
    walk, found = trw.detect(inp, inp.rectype, params, local, opts.contacts, opts.per_source)
    res = trw.result(walk, opts.hosts, opts.ports)
    if res.contacts_dropped or res.replies_dropped:
        cli.warn("caps reached: %d first contacts and %d answers not held (-m %d, -c %d)"
                 % (res.contacts_dropped, res.replies_dropped, opts.contacts, opts.per_source))
    if opts.stream_out:
        with detect.stream_writer(inp.header, cli.stdout_binary(), opts.comment,
                                  cli.byte_order(opts)) as wr:
            if found:
                for batch in inp.again():
                    wr.write(walk.keep(batch))
    elif fmt == "tsv":
        tsv = detect.Tsv(detect.text_out(), trw.tsv_columns(names is not None))
        for row in trw.tsv_rows(res, names):
            tsv.row(*row)
    else:
        out = detect.text_out()
        for line in trw.text_lines(res, names):
            out.write(line + "\n")
    if opts.debug > 0:
        cli.profile(inp.records_read, started)
    return EXIT_SCANNERS if found else cli.EXIT_ERROR if inp.warnings else cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(cli.run(main))
