"""flow-trw: scan detection by Threshold Random Walk (Jung, Paxson,
Berger, Balakrishnan, "Fast Portscan Detection Using Sequential Hypothesis
Testing", IEEE S&P 2004), the method of SiLK's rwscan --scan-model=trw.

Per source, each FIRST contact with a distinct destination address is an
outcome, success or failure (man flow-trw, OUTCOMES).  The walk multiplies
a likelihood ratio, starting at 1, by theta1/theta0 on a success and by
(1-theta1)/(1-theta0) on a failure, in the order of the first contacts'
start times; at eta1 = beta/alpha the source is a scanner (final), at eta0
= (1-beta)/(1-alpha) it is benign for now and the walk starts again at 1.

Every per-flow step is C (csrc/trw.c, core/trw.py): one call per batch
fills the tables, one call at the end decides outcomes and walks; this
module holds the parameters, runs the pass and writes the finished rows.
"""
import math
import time
from collections import namedtuple

from pyflowtools.core import zone as _zone
from pyflowtools.core.errors import UsageError
from pyflowtools.core.trw import V1006, Walk
from pyflowtools.report import symbols
from pyflowtools.util import ipv4, ipv6

THETA0 = 0.8        # a benign host's first contact succeeds with this probability
THETA1 = 0.2        # a scanner's
ALPHA = 0.01        # false positive rate wanted
BETA = 0.99         # detection rate wanted

#: first contacts held in all (-m; answers held: as many), per source (-c)
DEFAULT_CONTACTS = 3000000
DEFAULT_PER_SOURCE = 100000
DEFAULT_PORTS = 10

PROT_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6"}
#: the protocols whose "port" is the type and code (type << 8 | code)
ICMP_PROTS = (1, 58)

#: six: the addresses are 128-bit (v1006 input; IPv4 ones mapped, printed
#: as dotted quads by util/ipv6.text)
Result = namedtuple("Result", "scanners records attempts contacts sources "
                              "contacts_dropped replies_dropped six", defaults=(False,))


class Params(namedtuple("Params", "theta0 theta1 alpha beta")):
    """The walk's four parameters and what follows from them."""
    __slots__ = ()

    @property
    def f_success(self):
        return self.theta1 / self.theta0

    @property
    def f_failure(self):
        return (1.0 - self.theta1) / (1.0 - self.theta0)

    @property
    def eta1(self):
        return self.beta / self.alpha

    @property
    def eta0(self):
        return (1.0 - self.beta) / (1.0 - self.alpha)

    def check(self):
        """UsageError unless 0 < theta1 < theta0 < 1 and 0 < alpha < beta < 1."""
        if not self.theta1 < self.theta0:
            raise UsageError("theta1 (-S %g) must be below theta0 (-s %g)"
                             % (self.theta1, self.theta0))
        if not self.alpha < self.beta:
            raise UsageError("alpha (-a %g) must be below beta (-B %g)"
                             % (self.alpha, self.beta))
        return self

    def min_failures(self):
        """Fewer failures than this can never reach eta1 from 1 (successes
        only lower the ratio): such sources are not walked.  One below the
        exact count, so that rounding never hides a scanner."""
        lam, k = 1.0, 0
        while lam < self.eta1:
            lam *= self.f_failure
            k += 1
        return max(k - 1, 0)


DEFAULT = Params(THETA0, THETA1, ALPHA, BETA)


def probability(what, letter):
    """An option parser: a number strictly between 0 and 1."""
    def parse(text):
        try:
            v = float(text)
        except ValueError:
            v = math.nan
        if not 0.0 < v < 1.0:
            raise UsageError("%s (-%s) must be a number between 0 and 1 (exclusive): %s"
                             % (what, letter, text))
        return v
    return parse


def local_ranges(prefixes):
    """[(net, len)] (zones.parse_inside: 128-bit, IPv4 prefixes in their
    mapped form) -> the C ranges, or None (no -L: every address is
    local)."""
    if not prefixes:
        return None
    return _zone.ranges([(net, length, 0) for net, length in sorted(set(prefixes))])


class Detector:
    """One run's accumulator: feed(batch) per host-order batch (one C call),
    finish() once at the end -> the number of scanners; `walk` is the Walk.
    flow-trw and flow-hunt both run it."""

    def __init__(self, rectype, params=DEFAULT, local=None, max_contacts=DEFAULT_CONTACTS,
                 max_per_source=DEFAULT_PER_SOURCE):
        self.params = params
        self.walk = Walk(local_ranges(local), params.f_success, params.f_failure,
                         params.eta1, params.eta0, max_contacts, max_per_source, max_contacts,
                         six=rectype == V1006)
        self.walk.check_rectype(rectype)

    def feed(self, batch):
        self.walk.add(batch)

    def finish(self):
        return self.walk.finish(self.params.min_failures())


def detect(batches, rectype, params=DEFAULT, local=None, max_contacts=DEFAULT_CONTACTS,
           max_per_source=DEFAULT_PER_SOURCE):
    """One pass over `batches` (host-order batches of `rectype`) -> the
    Walk after finish() and the number of scanners."""
    d = Detector(rectype, params, local, max_contacts, max_per_source)
    for b in batches:
        d.feed(b)
    return d.walk, d.finish()


def result(walk, max_hosts=0, max_ports=DEFAULT_PORTS):
    """The Result of a finished Walk."""
    records, attempts, cdrop, rdrop = walk.counters
    return Result(walk.scanners(max_hosts, max_ports), records, attempts,
                  len(walk.contacts), len(walk.sources), cdrop, rdrop, walk.six)


def address_text(res):
    """The printer of a Result's addresses: util/ipv6.text on v1006 input
    (IPv4 hosts as dotted quads), util/ipv4.text else."""
    return ipv6.text if res.six else ipv4.text


def load_names():
    """The -N port names (worm-ports, as flow-portrank -N)."""
    return symbols.load(symbols.path("worm-ports"))


def when(ms):
    """Local time (TZ) of ms since the epoch: YYYY-MM-DD HH:MM:SS.mmm."""
    secs, frac = divmod(ms, 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(secs)) + ".%03d" % frac


def port_text(prot, port):
    """tcp/23, udp/161, icmp/8.0, icmp6/128.0 (type.code)."""
    name = PROT_NAMES.get(prot, str(prot))
    if prot in ICMP_PROTS:
        return "%s/%d.%d" % (name, port >> 8, port & 0xFF)
    return "%s/%d" % (name, port)


def _name(names, p):
    if names is None or p.prot in ICMP_PROTS:
        return ""
    return names.name(p.port, "") or ""


def text_lines(res, names=None):
    """flow-portrank's layout, one block per scanner:

        scanner1: 158.64.198.16 (local)
        -----
         flagged at 2004-04-08 08:11:01.161, first contact 14, failure 7
         22 first contacts: 13 failed, 9 succeeded
         14 times probe on tcp/3306, 13 failed
    """
    text = address_text(res)
    for i, (s, ports) in enumerate(res.scanners):
        if i:
            yield ""
        yield "scanner%d: %s (%s)" % (i + 1, text(s.address),
                                      "local" if s.local else "remote")
        yield "-----"
        yield " flagged at %s, first contact %d, failure %d" % (when(s.flagged_at), s.to_flag,
                                                                s.fail_to_flag)
        more = ", %d more not held" % s.dropped if s.dropped else ""
        yield " %d first contacts: %d failed, %d succeeded%s" % (s.contacts, s.failures,
                                                                 s.successes, more)
        for p in ports:
            name = _name(names, p)
            yield " %d times probe on %s, %d failed%s" % (p.probes, port_text(p.prot, p.port),
                                                         p.failed,
                                                         " (%s)" % name if name else "")


def tsv_columns(names=False):
    cols = ["scanner", "where", "flagged_at", "contacts_to_flag", "failures_to_flag",
            "first_contacts", "failures", "successes", "port", "probes", "failed"]
    return cols + ["name"] if names else cols


def tsv_rows(res, names=None):
    """One tuple per (scanner, port)."""
    text = address_text(res)
    for s, ports in res.scanners:
        for p in ports:
            row = (text(s.address), "local" if s.local else "remote", when(s.flagged_at),
                   s.to_flag, s.fail_to_flag, s.contacts, s.failures, s.successes,
                   port_text(p.prot, p.port), p.probes, p.failed)
            if names is not None:
                row += (_name(names, p),)
            yield row
