"""flow-dscan's files (commands.md 8.12, 17): the suppress lists and the
state file.  The detector itself is C (core/dscan.py)."""
import errno
import io
import signal
import sys

from pyflowtools.core.dscan import Detector
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.util import files, ipv4

__all__ = ["Detector", "load_suppress", "load_state", "save_state", "SUPPORTED_VERSIONS",
           "NO_IPV6",
           "text_emitter", "Flags", "load_suppress_lists"]

SUPPORTED_VERSIONS = (1, 5, 6, 7)
#: the refusal of v1006 streams (IPv4 and IPv6 flows): the detector's
#: tables, suppress lists and state file are IPv4 (man flow-dscan, IPv6)
NO_IPV6 = ("Unsupported d_version 1006: flow-dscan tracks IPv4 hosts only; "
           "flow-cat -V 5 keeps the IPv4 flows")
DEFAULT_SUPPRESS = "./dscan.suppress"
DEFAULT_STATE = "/var/tmp/dscan.state"


def _open(path, cap=files.CONFIG_MAX):
    """The text of a file to read, whole, through the capped reader
    (util.files): `fopen(PATH): failed` as the reference says, or
    `PATH: File too large (the limit is ...)` past the cap.  (The state
    file is written by save_state: util/files.replace, never through a
    symlink.)"""
    try:
        return io.StringIO(files.read_text(path, cap), newline="")
    except OSError as e:
        if e.errno == errno.EFBIG:
            raise FlowToolsError("%s: %s" % (path, files.reason(e))) from None
        raise FlowToolsError("fopen(%s): failed" % path) from None


def load_suppress(path):
    """The addresses of one suppress file: lines `IP PROTO SRCPORT DSTPORT`
    after optional blanks, `#` lines and empty lines skipped.  The
    protocol and port words are read but, as in the reference, never
    used.  FlowToolsError with the reference's messages."""
    addrs = set()
    with _open(path) as f:
        for line in f:
            text = line.lstrip(" \t")
            if not text.strip("\r\n") or text.startswith("#"):
                continue
            words = text.split()
            if len(words) < 4:
                raise FlowToolsError("suppress parser: syntax error: %s" % line)
            if words[0].startswith("-"):
                raise FlowToolsError("suppress parser: no src ip wildcard")
            a = ipv4.scan(words[0])
            if a in addrs:
                raise FlowToolsError("suppress parser: dup ip: %s" % line)
            addrs.add(a)
    return addrs


def load_suppress_lists(base, log):
    """(sources, destinations) of base.src and base.dst, each announced
    first as the reference does (`load_suppress 0`, `load_suppress 1`)."""
    out = []
    for i, ext in enumerate((".src", ".dst")):
        log("load_suppress %d" % i)
        out.append(load_suppress(base + ext))
    return out


def _bad_state(path, n, line):
    return FlowToolsError("%s: line %d: bad state line: %s" % (path, n, line.rstrip("\n")))


def load_state(det, path):
    """Read a state file written by save_state into the detector: sources
    as new ones (each the newest of its bucket), their destinations in
    file order."""
    src = None
    sources, pairs = set(), set()
    pending = None          # (src, dst, seen): its P line may follow

    def flush():
        if pending is not None:
            det.put_destination(pending[0], pending[1], pending[2], ())

    with _open(path, cap=files.STATE_MAX) as f:
        for n, line in enumerate(f, 1):
            w = line.split()
            try:
                if not w:
                    continue
                if w[0] == "." and len(w) == 1:
                    break
                if w[0] == "H" and len(w) == 5:
                    flush()
                    pending = None
                    depth, flags, src = int(w[2]), int(w[3]), ipv4.parse(w[4])
                    if src in sources or not 0 <= flags <= 3 or not 0 <= depth < 1 << 32:
                        raise ValueError
                    sources.add(src)
                    det.put_source(src, depth, flags)
                elif w[0] == "I" and len(w) == 3 and src is not None:
                    flush()
                    seen, dst = int(w[1]), ipv4.parse(w[2])
                    if (src, dst) in pairs or not 0 <= seen < 1 << 32:
                        raise ValueError
                    pairs.add((src, dst))
                    pending = (src, dst, seen)
                elif w[0] == "P" and pending is not None:
                    ports = [int(p) for p in w[2:]]
                    if int(w[1]) != len(ports) or not all(0 <= p < 1024 for p in ports):
                        raise ValueError
                    det.put_destination(pending[0], pending[1], pending[2], ports)
                    pending = None
                else:
                    raise ValueError
            except ValueError:
                raise _bad_state(path, n, line) from None
        flush()


def save_state(det, path):
    """Write the detector's state file (commands.md 17): a fresh file
    renamed over the old one (util/files.py), never written through a
    symlink, never left half written."""
    parts = []
    det.save(parts.append)
    try:
        files.replace(path, b"".join(parts))
    except OSError:
        raise FlowToolsError("fopen(%s): failed" % path) from None


def text_emitter(log, prefix):
    """emit(bytes) for the detector: whole text to stderr (-b), else one
    log message a line."""
    if prefix:
        def emit(text):
            sys.stderr.flush()
            sys.stderr.buffer.write(text)
            sys.stderr.buffer.flush()
        return emit

    def emit_lines(text):
        for line in text.decode("latin-1").splitlines():
            log(line)
    return emit_lines


class Flags:
    """SIGUSR1 (write the state file) and SIGHUP (reload the suppress
    lists), taken between batches."""

    def __init__(self):
        self.usr1 = self.hup = False
        self._old = {}

    def __enter__(self):
        for sig, name in ((signal.SIGUSR1, "usr1"), (signal.SIGHUP, "hup")):
            try:
                self._old[sig] = signal.signal(sig, lambda s, f, n=name: setattr(self, n, True))
            except (ValueError, OSError):
                pass
        return self

    def __exit__(self, *exc):
        for sig, h in self._old.items():
            signal.signal(sig, h)
