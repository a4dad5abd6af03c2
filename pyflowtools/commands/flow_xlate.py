"""flow-xlate -- translate records with an xlate.cfg definition and/or to
another record version (commands.md 8.15, 15)."""
import re
import time

from pyflowtools import cli
from pyflowtools.commands.flow_nfilter import output_header
from pyflowtools.commands.flow_tag import load
from pyflowtools.core import native
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.filters import xlatecfg
from pyflowtools.io import header as hdr
from pyflowtools.io import stream

USAGE = ("Usage: flow-xlate [-hkn] [-b big|little] [-C comment] [-d debug_level] "
         "[-v variable=value] [-V version] [-x xlate_fname] [-X xlate_definition] "
         "[-z z_level]")

_VERSION = re.compile(r"\s*([+-]?\d+)(?:\.([+-]?\d+))?", re.ASCII)


def parse_version(text):
    """-V as sscanf("%u.%u"): (version, agg_method)."""
    m = _VERSION.match(text)
    if not m:
        raise FlowToolsError("Version scan failed")
    return (cli.strtoul(m.group(1), 10) & 0xFFFFFFFF,
            cli.strtoul(m.group(2) or "0", 10) & 0xFFFFFFFF)


def build_parser():
    p = cli.parser("flow-xlate", USAGE, help_status=1, unknown_status=1, common="bCdz")
    p.add_argument("-k", dest="keep_time", action="store_true")
    p.add_argument("-n", dest="no_config", action="store_true")
    p.add_argument("-v", dest="variables", action="append")
    p.add_argument("-V", dest="version", type=parse_version)
    p.add_argument("-x", dest="file")
    p.add_argument("-X", dest="definition", default="default")
    return p


def main(argv=None):
    opts = cli.parse(build_parser(), argv, operands=True)
    cli.reject_operands(opts.operands)
    zlevel, order = cli.zlevel(opts), cli.byte_order(opts)
    started = time.time()
    xl = None if opts.no_config else load(opts, xlatecfg).definition(opts.definition)
    # v1006 (IPv4 and IPv6 flows): IPv4 flows as v5, IPv6 ones by the rules
    # of man flow-xlate(1)
    with stream.reader(cli.stdin_binary(), ipv6=True) as rd:
        if xl is not None:
            xl.check(rd.rectype)
        h = output_header(rd.header, opts)
        conv = None
        if opts.version is not None:
            version, agg = opts.version
            try:
                rt_out = native.rectype(version, agg if version == 8 else 0)
            except FlowToolsError:
                raise FlowToolsError("ftio_set_ver(): failed") from None
            h.d_version, h.agg_method = version, agg if version == 8 else 0
            if version == 8:
                h.set(hdr.AGG_VER, "agg_version", 2)
                h.set(hdr.AGG_METHOD, "agg_method", agg)
            conv = xlatecfg.converter(rd.rectype, rt_out)
        with stream.writer(cli.stdout_binary(), h, byte_order=order, zlevel=zlevel) as wr:
            for batch in rd:
                if xl is not None:
                    xl.apply(batch)
                wr.write(conv.convert(batch) if conv else batch)
        for message in rd.warnings + ([rd.error] if rd.error else []):
            cli.warn(message)
    if opts.debug > 0:
        cli.profile(rd.records_read, started)
    return cli.EXIT_OK
