"""flow-rptfmt -- format flow-report output as an aligned text table or as
HTML (man flow-rptfmt)."""
import getopt
import os
import signal
import sys

from pyflowtools import cli
from pyflowtools.core.errors import UsageError
from pyflowtools.report import rptfmt

PROG = "flow-rptfmt"


def build_parser():
    p = cli.parser(PROG, rptfmt.USAGE, help_status=0, unknown_status=1, usage_on_error=False)
    p.remove_argument("-?")
    p.add_argument("-a", dest="alarm", type=rptfmt.alarm_seconds, default=0)
    p.add_argument("-f", dest="format", default="ascii")
    p.add_argument("-F", dest="fields", default="all")
    p.add_argument("-g", dest="g", action="store_true")          # accepted, ignored
    p.add_argument("-H", dest="no_header", action="store_true")
    p.add_argument("-m", dest="max_lines", default="0")           # read as a number later
    p.add_argument("-n", dest="names", action="store_true")
    p.add_argument("-p", dest="percent", action="store_true")
    p.add_argument("-s", dest="sort", default="")
    return p


def parse(argv):
    """Python getopt, as the reference: flags cluster, parsing stops at the
    first operand (operands are ignored), values are taken in order (-h
    where it stands).  None for -h."""
    p = build_parser()
    acts = {f[1:]: a for a in p._actions for f in a.option_strings}
    letters = "".join(k + (":" if a.takes_arg else "") for k, a in acts.items())
    try:
        pairs, _operands = getopt.getopt(argv, letters)
    except getopt.GetoptError as e:
        raise UsageError(str(e)) from None
    values = {a.dest: a.default for a in p._actions}
    for opt, val in pairs:
        act = acts[opt[1:]]
        if act.action == "help":
            return None
        values[act.dest] = (act.type(val) if act.type else val) if act.takes_arg else True
    return cli.Options(operands=[], **values)


def _write(out, data):
    """All of `data`: a BufferedWriter may return a short count instead of
    raising when the reader went away during a large write (Python 3.11)."""
    view = memoryview(data)
    while view:
        view = view[out.write(view[:1 << 20]):]


def _alarm(signum, frame):
    raise rptfmt.Alarm()


def main(argv=None):
    echo = list(sys.argv[:1]) if argv is None else [PROG]     # the path it was run by
    argv = sys.argv[1:] if argv is None else list(argv)
    echo += argv
    out = sys.stdout.buffer
    opts = parse(argv)
    if opts is None:
        out.write(rptfmt.USAGE.encode())
        return cli.EXIT_OK
    rpt = rptfmt.Report()
    writing = False
    signal.signal(signal.SIGALRM, _alarm)
    if opts.alarm:
        signal.alarm(opts.alarm)
    try:
        try:
            pieces = rptfmt.format_report(
                sys.stdin.buffer, echo, opts.format, os.fsencode(opts.fields),
                not opts.no_header, opts.max_lines, os.fsencode(opts.sort),
                opts.names, opts.percent, report=rpt)
            writing = True
            for piece in pieces:
                _write(out, piece)
            out.flush()
        except rptfmt.RptfmtError as e:
            writing = True
            _write(out, e.output)       # what the reference had printed
            raise
    except rptfmt.Alarm:
        signal.alarm(0)
        if rpt.printer is not None and not writing:
            _write(out, rpt.printer.text())
        out.write(rptfmt.ALARM_MESSAGE)
        return cli.EXIT_OK
    finally:
        signal.alarm(0)
    return cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(cli.run(main))
