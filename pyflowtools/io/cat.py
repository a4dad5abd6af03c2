"""flow-cat: concatenate flow streams (commands.md section 3, formats.md
2.5).  Records pass through in batches, swapped only when the output byte
order differs from the input's; with `version` (flow-cat -V) converted into
that record version (core.xlate.Converter: into an IPv4 version the IPv6
flows of v1006 are dropped, into v1006 IPv4 addresses become mapped)."""
import signal
from collections import namedtuple

from pyflowtools.io import header as hdr
from pyflowtools.io import inputs, progress, stream
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.core.xlate import Converter
from pyflowtools.util import daemon

_COPIED_TLVS = (hdr.VENDOR, hdr.EXPORTER_IP, hdr.ROT_SCHEDULE, hdr.FLOW_MISORDERED)

#: what concatenate() did: inputs selected, streams copied (0: nothing
#: written at all, not even a header) and records written
Copied = namedtuple("Copied", "selected streams records")


def select_times(items, t_start=None, t_end=None):
    """-t/-T: keep files by their header capture times (0 when absent)."""
    out = []
    for inp in items:
        h = inp.header
        start = h.cap_start if hdr.CAP_START in h.present else 0
        end = h.cap_end if hdr.CAP_END in h.present else 0
        if t_start is not None and t_end is not None:
            keep = t_start <= start <= t_end
        elif t_start is not None:
            keep = start <= t_start
        elif t_end is not None:
            keep = end >= t_end
        else:
            keep = True
        if keep:
            out.append(inp)
    return out


def _times(items):
    starts = [i.header.cap_start if hdr.CAP_START in i.header.present else 0 for i in items]
    ends = [i.header.cap_end if hdr.CAP_END in i.header.present else 0 for i in items]
    return (min(starts) if starts else 0), (max(ends) if ends else 0)


def output_header(first, items, every, preload, to_file, comment, version=None):
    """(initial header, final header or None) for the output stream, of
    record version `version` ((d_version, agg_method); default the first
    input's).  The capture times span `every` input found (the reference
    takes them before the -t/-T selection); counts come from the selected
    `items`."""
    if version is None:
        version = (first.d_version, first.agg_method if first.d_version == 8 else 0)
    h = hdr.Header(version[0], version[1] if version[0] == 8 else 0)
    h.flags = hdr.STREAMING
    if comment is not None:
        h.set(hdr.COMMENTS, "comments", comment)
    final = None
    if preload:
        h.flags |= hdr.PRELOADED
        start, end = _times(every)
        if any(hdr.CAP_START in i.header.present for i in every):
            h.set(hdr.CAP_START, "cap_start", start)
            h.set(hdr.CAP_END, "cap_end", end)
        h.set(hdr.FLOW_COUNT, "flows_count", sum(i.header.flows_count for i in items) & 0xFFFFFFFF)
        h.set(hdr.FLOW_LOST, "flows_lost", sum(i.header.flows_lost for i in items) & 0xFFFFFFFF)
        h.set(hdr.PKT_CORRUPT, "pkts_corrupt", sum(i.header.pkts_corrupt for i in items) & 0xFFFFFFFF)
        for i in items:
            ih = i.header
            for tlv, attr in ((hdr.SEQ_RESET, "seq_reset"), (hdr.CAP_HOSTNAME, "cap_hostname"),
                              (hdr.COMMENTS, "comments"), (hdr.VENDOR, "vendor"),
                              (hdr.EXPORTER_IP, "exporter_ip"), (hdr.ROT_SCHEDULE, "rot_schedule"),
                              (hdr.FLOW_MISORDERED, "flows_misordered")):
                if tlv in ih.present:
                    h.set(tlv, attr, getattr(ih, attr))
            if hdr.AGG_VER in ih.present and h.d_version != 8:
                h.set(hdr.AGG_VER, "agg_version", ih.agg_version)
        if to_file:
            final = h.copy()
            final.flags = hdr.DONE | hdr.PRELOADED
    elif to_file:
        start, end = _times(items)
        h.set(hdr.CAP_START, "cap_start", 0xFFFFFFFF)
        h.set(hdr.CAP_END, "cap_end", 0)
        h.set(hdr.FLOW_COUNT, "flows_count", 0)
        h.set(hdr.FLOW_LOST, "flows_lost", 0)
        h.set(hdr.PKT_CORRUPT, "pkts_corrupt", 0)
        final = h.copy()
        final.flags = hdr.DONE
        final.cap_start, final.cap_end = start, end
    return h, final


def concatenate(operands, dst, *, all_files=False, group=False, preload=False,
                t_start=None, t_end=None, byte_order=None, zlevel=0, comment=None,
                to_file=False, warn=lambda m: None, debug=0, version=None, prog=None):
    """Copy every selected input to dst, converted into record version
    `version` ((d_version, agg_method)) when given: then the inputs may
    be of different versions.  Returns Copied."""
    lists = inputs.collect(operands, all_files=all_files, group=group, warn=warn, ipv6=True)
    every = [i for lst in lists for i in lst]
    try:
        return _concatenate(every, dst, preload, t_start, t_end, byte_order, zlevel,
                            comment, to_file, warn, debug, version, prog)
    finally:
        for i in every:         # the kept readers of inputs not copied
            i.close()


def _concatenate(every, dst, preload, t_start, t_end, byte_order, zlevel, comment,
                 to_file, warn, debug, version, prog=None):
    items = every
    if t_start is not None or t_end is not None:
        items = select_times(items, t_start, t_end)
        preload = True
    if debug > 5:
        for i in items:
            warn("file: %s start=%d" % (i.name, i.header.cap_start))
    if not items:
        return Copied(0, 0, 0)
    first = items[0].header
    h, final = output_header(first, items, every, preload, to_file, comment, version)
    w = None
    copied = 0
    convert = version is not None
    converters = {}
    if not convert and not all(i.header.same_format(first) for i in items):
        # the reference checks every input before copying: the output gets
        # its header and no record
        stream.writer(dst, h, byte_order=byte_order, zlevel=zlevel).close()
        raise FlowToolsError("data version or sub version changed!")
    shown = progress.Progress(prog, items, enabled=None if prog else False)
    with daemon.Signals(stop=(signal.SIGINT, signal.SIGTERM, signal.SIGHUP,
                              signal.SIGQUIT)) as stop:
        try:
            for inp in items:
                if stop.stop is not None:
                    break
                try:
                    rd = inp.open(raw=True)
                except (OSError, FlowToolsError) as e:
                    shown.close()
                    warn("%s: %s" % (inp.name, e))
                    continue
                with rd:
                    if not convert and not rd.header.same_format(first):
                        raise FlowToolsError("data version or sub version changed!")
                    if w is None:
                        w = stream.writer(dst, h, byte_order=byte_order, zlevel=zlevel,
                                          rewrite=final is not None)
                    conv = None
                    if convert:
                        conv = converters.get(rd.rectype)
                        if conv is None:
                            conv = converters[rd.rectype] = Converter(rd.rectype, w.rectype)
                    for b in shown.read(rd):
                        w.write(conv.convert(b) if conv is not None else b)
                        if stop.stop is not None:
                            break
                    if rd.warnings or rd.error:
                        shown.close()
                    for m in rd.warnings:
                        warn(m)
                    if rd.error:
                        warn(rd.error)
                copied += 1
        finally:
            shown.close()
            if w is not None:
                if final is not None:
                    final.flows_count = w.records_written & 0xFFFFFFFF
                w.close(final)
    return Copied(len(items), copied, w.records_written if w is not None else 0)
