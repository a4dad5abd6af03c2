"""csrc/ipfixenc.c, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export
datagrams from stream records (flow-send -V 9 / -V 10).  The template, the
refresh rule, the domains and the sequence numbers are documented in
ftcore.h and flow-send(1).

    enc = ipfixenc.Encoder(10, rectype)
    for data, lens in enc.packed(batch):        # datagrams back to back
        ...
    rest = enc.flush_packed()                   # (data, lens) or None
    dgrams = ipfixenc.encode(records, rectype, 9)   # list of bytes
"""

from pyflowtools.core import native as _native
from pyflowtools.core import pdu as _pdu
from pyflowtools.core.native import ffi, lib
from pyflowtools.core.errors import FormatError

__all__ = ["VERSIONS", "TEMPLATE_ID", "REFRESH_PDUS", "REFRESH_SECS", "Limits", "limits",
           "Encoder", "encode"]

VERSIONS = (9, 10)
TEMPLATE_ID = lib.FTC_IPXENC_TEMPLATE_ID
REFRESH_PDUS = lib.FTC_IPXENC_REFRESH_PDUS
REFRESH_SECS = lib.FTC_IPXENC_REFRESH_SECS
MAX_LEN = lib.FTC_PDU_MAX_LEN


class Limits(tuple):
    """(rec_len, tpl_len, max_recs, max_recs_tpl) of a version and record type."""
    __slots__ = ()

    rec_len = property(lambda self: self[0])
    tpl_len = property(lambda self: self[1])
    max_recs = property(lambda self: self[2])
    max_recs_tpl = property(lambda self: self[3])


def _refuse(status, version, rt_in):
    if status == lib.FTC_EDVERSION:
        raise FormatError("no export version %r with templates" % (version,))
    if status == lib.FTC_EINVAL:
        raise FormatError("cannot send record type %r as version %r" % (rt_in, version))
    _native.check(status, "encode")


def limits(version, rt_in):
    """Limits of records of rt_in as version 9 or 10 datagrams."""
    out = [ffi.new("unsigned *") for _ in range(4)]
    st = lib.ftc_ipxenc_limits(version, rt_in, *out)
    if st != lib.FTC_OK:
        _refuse(st, version, rt_in)
    return Limits(p[0] for p in out)


class Encoder(_pdu.Encoder):
    """Records of rt_in -> version 9 or 10 datagrams.  Keeps the per-domain
    sequence numbers, template times and the unfinished datagram between
    calls.  refresh_pdus / refresh_secs: the template refresh (None: the
    defaults, REFRESH_PDUS datagrams and REFRESH_SECS seconds)."""

    def __init__(self, version, rt_in, refresh_pdus=None, refresh_secs=None, burst=64):
        self.limits = limits(version, rt_in)
        self.version = version
        self.rt_in = rt_in
        self._st = ffi.new("ftc_ipxenc_t *")
        self._st.refresh_pdus = refresh_pdus or 0
        self._st.refresh_secs = refresh_secs or 0
        self._c = [ffi.new("size_t *") for _ in range(3)]
        self._rec_size = _native.rec_size(rt_in)
        self._burst = burst
        self._out = ffi.new("uint8_t[]", burst * MAX_LEN)
        self._lens = ffi.new("uint32_t[]", burst)

    @property
    def last_full(self):
        """Whether the last datagram sent had no room for another record."""
        return bool(self._st.last_full)

    @property
    def totals(self):
        """(datagrams, templates, records) sent so far."""
        return self._st.datagrams, self._st.templates, self._st.records

    # packed(), encode(), flush_packed() and flush() are pdu.Encoder's: only
    # the C calls differ
    def _encode_step(self, src, n, consumed, npdu, nbytes):
        return lib.ftc_ipxenc_encode(self._st, self.version, self.rt_in, src, n, self._out,
                                     self._burst * MAX_LEN, self._lens, self._burst,
                                     consumed, npdu, nbytes)

    def _flush_step(self, npdu, nbytes):
        return lib.ftc_ipxenc_flush(self._st, self._out, self._burst * MAX_LEN, self._lens,
                                    self._burst, npdu, nbytes)


def encode(records, rt_in, version, refresh_pdus=None, refresh_secs=None):
    """All datagrams of `records` from a fresh encoder (every domain starts
    with its template and sequence 0)."""
    enc = Encoder(version, rt_in, refresh_pdus, refresh_secs)
    return enc.encode(records) + enc.flush()
