"""Command-line plumbing shared by every command: getopt-like parsing with
the reference's usage/exit-status rules, error reporting, SIGPIPE.

Only `run()` maps exceptions to exit statuses (STYLE.md "Errors").
"""
import os
import sys

from pyflowtools.core.errors import FlowToolsError, UsageError
from pyflowtools.util import numbers

EXIT_OK = 0
EXIT_ERROR = 1

_prog = "flow-tools"


def prog():
    return _prog


def warn(msg):
    """One diagnostic line on stderr: `prog: msg`."""
    try:
        sys.stderr.write("%s: %s\n" % (_prog, msg))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class _Exit(Exception):
    def __init__(self, status):
        Exception.__init__(self, status)
        self.status = status


class Options:
    """Parsed options: one attribute per `dest`, plus `operands`."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __repr__(self):
        return "Options(%r)" % self.__dict__


class _Action:
    __slots__ = ("option_strings", "dest", "type", "default", "action", "takes_arg")

    def __init__(self, option_strings, dest, type_, default, action):
        self.option_strings = option_strings
        self.dest = dest
        self.type = type_
        self.default = default
        self.action = action
        self.takes_arg = action in ("store", "append")


class Parser:
    """GNU getopt(3) semantics, as the reference commands parse: clustered
    flags (`-nw`), attached or separate values (`-f5`, `-f 5`), options
    and operands in any order, `--` ends options.  Usage goes to stderr;
    -h and unknown options exit with the command's own statuses, -h where
    it stands (the getopt loops call usage() and exit in its `case`)."""

    def __init__(self, prog, usage, help_status, unknown_status, usage_on_error=True):
        self.prog = prog
        self.usage_text = usage
        self.usage_on_error = usage_on_error
        self.help_status = help_status
        self.unknown_status = unknown_status
        self._actions = []
        self._by_letter = {}

    def add_argument(self, *flags, dest=None, type=None, default=None, action="store",
                     metavar=None, help=None):
        if dest is None:
            dest = flags[0].lstrip("-")
        if action in ("store_true", "help") and default is None:
            default = False
        if action == "count" and default is None:
            default = 0
        act = _Action(list(flags), dest, type, default, action)
        self._actions.append(act)
        for f in flags:
            self._by_letter[f[1:]] = act
        return act

    def remove_argument(self, *flags):
        """Drop options (flow-filter has no -h: it is an invalid option)."""
        for f in flags:
            act = self._by_letter.pop(f[1:], None)
            if act is not None:
                act.option_strings.remove(f)
                if not act.option_strings:
                    self._actions.remove(act)

    def print_usage_text(self):
        try:
            sys.stderr.write(self.usage_text.rstrip("\n") + "\n")
        except (OSError, ValueError):
            pass

    def error(self, msg):
        """One `prog: msg` line and exit status 1 (argparse's error() exits 2;
        the reference commands exit 1)."""
        warn(msg)
        raise _Exit(EXIT_ERROR)

    def _fail(self, msg):
        warn(msg)
        if self.usage_on_error:
            self.print_usage_text()
        raise _Exit(self.unknown_status)

    def _long(self, arg, argv, i, values):
        """--name value or --name=value (options of ours, never the
        reference's letters); returns where parsing goes on."""
        name, eq, val = arg[2:].partition("=")
        act = self._by_letter.get("-" + name)
        if act is None:
            self._fail("unrecognized option '%s'" % arg)
        if not act.takes_arg:
            values[act.dest] = True
            return i
        if not eq:
            if i >= len(argv):
                self._fail("option '--%s' requires an argument" % name)
            val = argv[i]
            i += 1
        if act.type is not None:
            try:
                val = act.type(val)
            except (ValueError, FlowToolsError) as e:
                warn(str(e) or "bad value for --%s: %s" % (name, val))
                raise _Exit(EXIT_ERROR) from None
        values[act.dest] = val
        return i

    def parse(self, argv):
        values = {a.dest: (list(a.default) if a.action == "append" and a.default else
                           [] if a.action == "append" else a.default)
                  for a in self._actions}
        operands = []
        i = 0
        while i < len(argv):
            arg = argv[i]
            i += 1
            if arg == "--":
                operands.extend(argv[i:])
                break
            if len(arg) < 2 or arg[0] != "-":
                operands.append(arg)
                continue
            if arg.startswith("--"):            # our own long options: --name[=value]
                i = self._long(arg, argv, i, values)
                continue
            j = 1
            while j < len(arg):
                letter = arg[j]
                j += 1
                act = self._by_letter.get(letter)
                if act is None:
                    self._fail("invalid option -- '%s'" % letter)
                if act.action == "help":
                    self.print_usage_text()
                    raise _Exit(self.help_status)
                if not act.takes_arg:
                    if act.action == "count":
                        values[act.dest] += 1
                    else:
                        values[act.dest] = True
                    continue
                if j < len(arg):
                    val = arg[j:]
                elif i < len(argv):
                    val = argv[i]
                    i += 1
                else:
                    self._fail("option requires an argument -- '%s'" % letter)
                if act.type is not None:
                    try:
                        val = act.type(val)
                    except (ValueError, FlowToolsError) as e:
                        warn(str(e) or "bad value for -%s: %s" % (letter, val))
                        raise _Exit(EXIT_ERROR) from None
                if act.action == "append":
                    values[act.dest].append(val)
                else:
                    values[act.dest] = val
                break
        return Options(operands=operands, **values)


def parser(name, usage, help_status=0, unknown_status=None, common="", usage_on_error=True):
    """A parser for command `name`.  `common` adds shared letters:
    b (byte order), C (comment), d (debug), z (compression level).
    usage_on_error=False: an unknown option or a missing value gives the
    one `prog: message` line only (new commands; the originals' getopt
    loops print their usage after it)."""
    global _prog
    _prog = name
    if unknown_status is None:
        unknown_status = help_status
    p = Parser(name, usage, help_status, unknown_status, usage_on_error)
    p.add_argument("-h", "-?", dest="help", action="help")
    if "b" in common:
        p.add_argument("-b", dest="byte_order", metavar="big|little")
    if "C" in common:
        p.add_argument("-C", dest="comment", type=comment)
    if "d" in common:
        p.add_argument("-d", dest="debug", type=atoi, default=0)
    if "z" in common:
        p.add_argument("-z", dest="zlevel", type=atoi, default=None)
    return p


def parse(p, argv=None, operands=False):
    """Parse argv (sys.argv[1:] by default).  -h prints usage and exits with
    the command's status.  Operands are in `.operands`; commands that take
    none call reject_operands()."""
    if argv is None:
        argv = sys.argv[1:]
    opts = p.parse(list(argv))
    if getattr(opts, "help", False):
        p.print_usage_text()
        raise _Exit(p.help_status)
    return opts


def profile(nflows, started):
    """-d N: the reference's profile on stderr (commands.md 1.2)."""
    import time
    secs = max(time.time() - started, 1e-6)
    warn("processed %d flows" % nflows)
    try:
        for _ in range(2):
            sys.stderr.write("  sys: seconds=%.3f flows/second=%f\n" % (secs, nflows / secs))
    except (OSError, ValueError):
        pass


def reject_operands(opts_extra):
    if opts_extra:
        raise FlowToolsError("Extra arguments starting with %s." % opts_extra[0])


def atoi(text):
    """C atoi (glibc, LP64): blanks, sign, digits; garbage gives 0; past
    the C range the low 32 bits of LONG_MIN/LONG_MAX (util.numbers)."""
    return numbers.atoi(text)


def strtoul(text, base=0):
    """C strtoul with base 0 (0x hex, leading 0 octal) or 10; garbage gives
    0; past ULONG_MAX it is ULONG_MAX; a minus sign gives the negative
    value (mask it to the C width)."""
    return numbers.strtoul(text, base)[0]


def integer(lo, hi, what=None):
    """A type= for options of our own commands: a whole decimal in
    [lo, hi], else one line `bad number: TEXT` or `-X out of range
    (LO..HI): TEXT` and status 1."""
    def convert(text):
        return numbers.ranged(text, lo, hi, what or "value")
    return convert


def comment(text):
    """-C: a header comment is Latin-1 text (the header's encoding; a
    command line in another encoding reaches us as surrogate escapes);
    refused at start-up otherwise, before any file or socket is made."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        raise UsageError("comment is not Latin-1 text: %s" % ascii(text)[1:-1][:60]) from None
    return text


def zlevel(opts):
    """Validated -z level (0 when absent)."""
    z = opts.zlevel or 0
    if z < 0 or z > 9:
        raise FlowToolsError("Compression level must be between 0 and 9")
    return z


def byte_order(opts):
    """Validated -b value as a header byte order, or None (host order)."""
    if opts.byte_order is None:
        return None
    from pyflowtools.io.header import parse_order
    return parse_order(opts.byte_order)


def stdin_binary():
    return sys.stdin.buffer


def text_input(name):
    """THE reader of outside text given as an operand (`-`: standard input):
    log lines, report text.  UTF-8 whatever the locale, a byte that is not
    UTF-8 read as U+FFFD: binary input gives lines that do not parse,
    never a UnicodeDecodeError.  A context manager (stdin is not closed)."""
    import contextlib
    import io
    if name == "-":
        return contextlib.nullcontext(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8",
                                                       errors="replace", newline=None))
    return open(name, encoding="utf-8", errors="replace")


def stdout_binary():
    """stdout for a binary stream; refuses a terminal."""
    out = sys.stdout.buffer
    try:
        if os.isatty(out.fileno()):
            raise FlowToolsError("will not write binary flow data to a terminal")
    except (AttributeError, OSError, ValueError):
        pass
    return out


def _broken_pipe():
    """Die of SIGPIPE quietly, as the C originals do (status 141 in sh)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    import _signal
    _signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)
    os.kill(os.getpid(), _signal.SIGPIPE)
    return 141


def run_command(module, argv=None):
    """A bin/ shim's whole work: import pyflowtools.commands.<module> and
    run() its main.  A core that cannot be loaded (not built, stale) is one
    line and status 1, never a traceback."""
    import importlib
    global _prog
    _prog = module.replace("_", "-")
    try:
        mod = importlib.import_module("pyflowtools.commands." + module)
    except ImportError as e:
        warn(str(e))
        return EXIT_ERROR
    return run(mod.main, argv)


def run(main, argv=None):
    """Run main(argv) and map exceptions to exit statuses."""
    try:
        status = main(argv)
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            return _broken_pipe()
        return status or 0
    except _Exit as e:
        return e.status
    except BrokenPipeError:
        return _broken_pipe()
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        # the caps (util.files, the C tables) should make this unreachable
        warn("out of memory")
        if os.environ.get("PYFLOWTOOLS_TRACEBACK"):
            raise
        return EXIT_ERROR
    except (FlowToolsError, OSError) as e:
        msg = str(e)
        if isinstance(e, OSError) and e.filename is not None and e.strerror:
            msg = "%s: %s" % (e.filename, e.strerror)
        elif isinstance(e, OSError) and e.strerror:
            msg = e.strerror
        warn(msg)
        if os.environ.get("PYFLOWTOOLS_TRACEBACK"):
            raise
        return EXIT_ERROR
