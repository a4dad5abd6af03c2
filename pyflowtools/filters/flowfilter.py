"""flow-filter's logic (commands.md section 4): option values -> one filter
program over whole batches; the stream loop; the ACL file lookup.

Each given option is one test on a record:

    -i -I -p -P -a -A   input, output, srcport, dstport, src_as, dst_as in a list
    -r                  prot in a list (0..255)
    -t list[/mask]      (tos & mask) in a list, mask default 0xff
    -T list[/mask]      TCP flows only: (tcp_flags & mask) in a list
    -e addr             exaddr equal
    -x -S -D name       nexthop, srcaddr, dstaddr permitted by a standard ACL
    -E name             the flow permitted by an extended ACL

AND of the given tests by default (no test: every record passes); with -o
the OR in the reference's order i I p P e r t T a A x S D E (no test:
nothing passes), and -T then never passes a non-TCP flow.
"""
from collections import namedtuple

from pyflowtools.io import header as hdr
from pyflowtools.io import stream
from pyflowtools.core.native import layout
from pyflowtools.core.errors import FlowToolsError, MissingField
from pyflowtools.filters import acl as aclmod
from pyflowtools.filters import lists, program
from pyflowtools.util import paths
from pyflowtools.util import ipv4

MISSING_FIELD = MissingField.MESSAGE
DEFAULT_ACL = "flow.acl"

#: the tests in the reference's evaluation order, with the fields each needs
ORDER = ("i", "I", "p", "P", "e", "r", "t", "T", "a", "A", "x", "S", "D", "E")
FIELDS = {
    "i": ("input",), "I": ("output",), "p": ("srcport",), "P": ("dstport",),
    "e": ("exaddr",), "r": ("prot",), "t": ("tos",), "T": ("prot", "tcp_flags"),
    "a": ("src_as",), "A": ("dst_as",), "x": ("nexthop",), "S": ("srcaddr",),
    "D": ("dstaddr",), "E": ("prot", "srcaddr", "dstaddr"),
}
_LIST_FIELDS = {"i": "input", "I": "output", "p": "srcport", "P": "dstport",
                "a": "src_as", "A": "dst_as"}
_ACL_FIELDS = {"x": "nexthop", "S": "srcaddr", "D": "dstaddr"}
TCP = 6


class NoSuchList(FlowToolsError):
    def __init__(self, name):
        # the reference's message ends with a newline: a blank line follows
        FlowToolsError.__init__(self, "Couldn't find list %s\n" % name)


class Tests:
    """Parsed test options: `values[letter]` is a bitmap (bytes) for the
    list options, (bitmap, mask) for -t/-T, an address for -e and a list
    name for -x -S -D -E."""

    def __init__(self):
        self.values = {}

    def __contains__(self, letter):
        return letter in self.values

    def __getitem__(self, letter):
        return self.values[letter]

    @property
    def uses_acls(self):
        return any(k in self.values for k in ("x", "S", "D", "E"))


def parse_tests(opts):
    """Tests from parsed options (attributes named by letter, see
    bin/flow-filter).  ListError on a bad list, before any input is read."""
    t = Tests()
    for letter in ORDER:
        text = getattr(opts, "opt_" + letter, None)
        if text is None:
            continue
        if letter in _LIST_FIELDS:
            t.values[letter] = lists.bitmap_of(text, lists.PORT_TABLE)
        elif letter == "r":
            t.values[letter] = lists.bitmap_of(text, lists.BYTE_TABLE)
        elif letter in ("t", "T"):
            lst, mask = lists.split_mask(text)
            t.values[letter] = (lists.bitmap_of(lst, lists.BYTE_TABLE), mask)
        elif letter == "e":
            t.values[letter] = ipv4.scan(text)
        else:
            t.values[letter] = text
    return t


def acl_path(name):
    """The ACL file to read: `name`, or the shipped file of that bare name
    (where iana-reserved.acl ships): the one lookup of util.paths."""
    return paths.resolve(name)


def _bitmap_node(field, bm, mask=None):
    if mask is None or mask == 0xFF:
        if bm.count(0xFF) == len(bm):
            return program.TRUE
        if not any(bm):
            return program.FALSE
    return program.bitmap(field, bm, mask=mask)


def build_node(tests, acls, or_mode=False):
    """The expression tree of the tests (acls: an AclSet; NoSuchList when
    a named list is not defined)."""
    parts = []
    for letter in ORDER:
        if letter not in tests:
            continue
        v = tests[letter]
        if letter in _LIST_FIELDS:
            node = _bitmap_node(_LIST_FIELDS[letter], v)
        elif letter == "r":
            node = _bitmap_node("prot", v)
        elif letter == "t":
            node = _bitmap_node("tos", v[0], v[1])
        elif letter == "T":
            flags = _bitmap_node("tcp_flags", v[0], v[1])
            tcp = program.compare("prot", "eq", TCP)
            node = program.And(tcp, flags) if or_mode else program.Or(program.Not(tcp), flags)
        elif letter == "e":
            node = program.compare("exaddr", "eq", v)
        elif letter in _ACL_FIELDS:
            if v not in acls.standard:
                raise NoSuchList(v)
            node = acls.standard_node(v, _ACL_FIELDS[letter])
        else:
            if v not in acls.extended:
                raise NoSuchList(v)
            node = acls.extended_node(v)
        parts.append(node)
    return program.Or(*parts) if or_mode else program.And(*parts)


def check_fields(tests, rectype):
    """FlowToolsError when the record type lacks a field a test needs."""
    have = layout(rectype)[3]
    for letter in ORDER:
        if letter in tests and any(f not in have for f in FIELDS[letter]):
            raise MissingField()


def output_header(src_header, comment=None, keep_times=False):
    """commands.md 1.2; -k copies the capture times when both are non-zero
    and marks the stream preloaded."""
    h = stream.streaming_header(src_header, comment)
    if keep_times:
        start = src_header.cap_start if hdr.CAP_START in src_header.present else 0
        end = src_header.cap_end if hdr.CAP_END in src_header.present else 0
        if start and end:
            h.flags |= hdr.PRELOADED
            h.set(hdr.CAP_START, "cap_start", start)
            h.set(hdr.CAP_END, "cap_end", end)
    return h


#: what run() did: records written and read
Counts = namedtuple("Counts", "written read")


def run(tests, src, dst, *, acl_file=DEFAULT_ACL, acls=None, or_mode=False,
        keep_times=False, comment=None, byte_order=None, zlevel=0, debug=0,
        warn=lambda m: None):
    """Filter the stream `src` into `dst`.  Returns Counts.  Errors
    (unknown list, missing field, bad input) raise before anything is
    written.  `acls`, an AclSet, replaces reading `acl_file`.  Messages
    (ACL errors, -d dumps, stream damage) go to warn(); nothing is printed."""
    if acls is None:
        acls = aclmod.load(acl_path(acl_file))
    for msg in acls.errors:
        warn(msg + "\n")
    if debug > 5:
        for line in acls.dump():
            warn(line)
    node = build_node(tests, acls, or_mode)
    with stream.reader(src, ipv6=True) as rd:
        check_fields(tests, rd.rectype)
        prog = program.compile(node, rd.rectype)
        h = output_header(rd.header, comment, keep_times)
        with stream.writer(dst, h, byte_order=byte_order, zlevel=zlevel) as wr:
            for batch in rd:
                wr.write(prog.apply(batch))
            written = wr.records_written
        for msg in rd.warnings:
            if msg != "Warning, partial record before EOF":
                warn(msg)
        if rd.error:
            warn(rd.error)
    return Counts(written, rd.records_read)
