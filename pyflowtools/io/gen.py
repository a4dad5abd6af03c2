"""flow-gen's synthetic streams: the same records and bytes as the
reference (commands.md 8.2); the records are made by the C core."""
from pyflowtools.io import header as hdr
from pyflowtools.io import stream
from pyflowtools.core import recs
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.util import numbers


def _digits(text):
    return text.isascii() and text.isdigit()


def parse_version(text, ipv6=False):
    """-V: 1, 5, 6, 7, 1005, 8 (= 8.1) or 8.N -> (version, agg_method);
    1006 too when `ipv6` (flow-gen, flow-cat)."""
    t = text.strip()
    head, dot, tail = t.partition(".")
    if not _digits(head) or (dot and not _digits(tail)):
        raise FlowToolsError("Version scan failed")
    v = numbers.uint_prefix(head)[0]
    agg = numbers.uint_prefix(tail)[0] if dot else 0
    if v == 8:
        agg = agg or 1
        if not 1 <= agg <= 14:
            raise FlowToolsError("Unsupported agg_method %d" % agg)
        return v, agg
    if v not in (1, 5, 6, 7, 1005) and not (ipv6 and v == hdr.V1006):
        raise FlowToolsError("Unsupported d_version %d" % v)
    return v, 0


def header(version, agg):
    h = hdr.Header(version, agg)
    h.flags = hdr.STREAMING
    h.set(hdr.CAP_HOSTNAME, "cap_hostname", "flow-gen")
    h.set(hdr.COMMENTS, "comments", "flow-gen")
    return h


def write(dst, version, agg, count, byte_order=None, zlevel=0):
    """Write `count` generated records as a stream to dst."""
    h = header(version, agg)
    w = stream.writer(dst, h, byte_order=byte_order, zlevel=zlevel)
    b = stream.Batch(h.rectype, h.rec_size, min(max(count, 1), stream.BATCH_BYTES // h.rec_size))
    done = 0
    while done < count:
        n = min(b.capacity, count - done)
        recs.gen(h.rectype, done, n, b.ptr)
        b.n = n
        w.write(b)
        done += n
    w.close()
