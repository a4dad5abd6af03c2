"""Hypothesis strategies for flow-tools streams, for the property tests.

Everything here is built on tests/oracle.py (never on pyflowtools), so a generated
stream's bytes come from the independent oracle:

    from hypothesis import given
    import oracle
    import strategies as fst

    @given(fst.streams())
    def test_roundtrip(s):
        header, records, byte_order, zlevel = s
        data = oracle.write_stream(header, records, byte_order, zlevel)
        ...                      # decode `data` with pyflowtools, compare to records

Record versions are the oracle's strings "1", "5", "6", "7", "1005", "8.1" .. "8.14"
(and "1006" where asked for: pyflowtools' IPv4 and IPv6 flows).
Record dicts hold every field of their version, each within its width.  Note that the
oracle swaps every field by its real width, so big-endian v1005 and v8.12 streams are
clean, unlike the reference's (formats.md 9.10).
"""
from hypothesis import strategies as st

import oracle

__all__ = [
    "byte_orders", "zlevels", "versions", "v8_versions", "field_values", "records",
    "record_lists", "v1006_records", "v1006_record_lists", "addr6s", "compat_records",
    "header_strings", "header_flags", "headers",
    "v1_headers", "streams", "v1_streams", "stream_bytes", "chunkings", "split_at",
    "damaged",
]

U32 = 0xFFFFFFFF
# every defined HEADER_FLAGS bit except COMPRESS, which the writer derives from zlevel
FLAG_BITS = (oracle.HF_DONE | oracle.HF_MULT_PDU | oracle.HF_STREAMING
             | oracle.HF_XLATE | oracle.HF_PRELOADED)


def byte_orders():
    return st.sampled_from(("little", "big"))


def zlevels(allow_zero=True):
    """zlib levels for write_stream: 0 (plain) .. 9."""
    return st.integers(0 if allow_zero else 1, 9)


def versions(include=None, exclude=()):
    """Record versions; `include` restricts to a list, `exclude` removes some."""
    pool = [v for v in (include or oracle.VERSIONS) if v not in exclude]
    return st.sampled_from(pool)


def v8_versions():
    return versions(include=[v for v in oracle.VERSIONS if v.startswith("8.")])


def field_values(version, name):
    """Any value of one field: 0 .. 2**(8*width) - 1."""
    return st.integers(0, oracle.field_max(version, name))


def records(version):
    """One record dict of `version` with every field set."""
    version = str(version)
    return st.fixed_dictionaries(
        {name: field_values(version, name) for name in oracle.fields(version)})


def record_lists(version, min_size=0, max_size=64):
    return st.lists(records(version), min_size=min_size, max_size=max_size)


def addr6s():
    """128-bit addresses as ints, often with runs of zero groups, IPv4-mapped
    (::ffff:a.b.c.d) or IPv4-like (::a.b.c.d, ::ffff:0:a.b.c.d)."""
    group = st.one_of(st.just(0), st.just(0), st.integers(1, 0xF), st.integers(0, 0xFFFF))
    groups = st.lists(group, min_size=8, max_size=8).map(
        lambda g: sum(v << (16 * (7 - i)) for i, v in enumerate(g)))
    u32 = st.integers(0, U32)
    return st.one_of(groups, u32.map(oracle.mapped), u32, u32.map(lambda a: (0xFFFF << 48) | a),
                     st.integers(0, (1 << 128) - 1))


@st.composite
def v1006_records(draw, ipv4=None):
    """A v1006 record dict (every field set): an IPv4 flow (addresses
    IPv4-mapped, flow label 0) or, as often, an IPv6 one; `ipv4` forces the
    kind."""
    r = draw(records("1006"))
    four = draw(st.booleans()) if ipv4 is None else ipv4
    for name, _ in oracle.ADDRS6:
        if four:
            a = oracle.mapped(draw(st.integers(0, U32)))
        else:
            a = draw(addr6s())
        r = oracle.with_addr6(r, name, a)
    r["flow_label"] = 0 if four else r["flow_label"] & 0xFFFFF
    return r


def v1006_record_lists(min_size=0, max_size=64, ipv4=None):
    return st.lists(v1006_records(ipv4), min_size=min_size, max_size=max_size)


def compat_records(version):
    """A record of version '1' or '5' that survives a stream-v1 file unchanged:
    sysUpTime, exaddr, engine fields 0 and unix_nsecs a whole number of ms."""
    version = str(version)
    carried = set(oracle.compat_fields(version))
    spec = {}
    for name in oracle.fields(version):
        if name == "unix_nsecs":
            spec[name] = st.integers(0, 999).map(lambda ms: ms * 1000000)
        elif name in carried:
            spec[name] = field_values(version, name)
        else:
            spec[name] = st.just(0)
    return st.fixed_dictionaries(spec)


def header_strings(max_size=64, full_range=False):
    """Header string values (no NUL).  Printable ASCII unless full_range, which
    allows any byte 1..255 (as latin-1 characters)."""
    low, high = (1, 255) if full_range else (0x20, 0x7E)
    return st.text(alphabet=st.characters(min_codepoint=low, max_codepoint=high),
                   max_size=max_size)


def header_flags():
    """HEADER_FLAGS values without the COMPRESS bit."""
    return st.integers(0, FLAG_BITS).map(lambda f: f & FLAG_BITS)


def _optional(spec):
    """fixed_dictionaries whose keys are each present or absent."""
    return st.fixed_dictionaries({}, optional=spec)


def headers(version=None, ifmaps=False, unknown=False, full_strings=False):
    """A stream-version-3 header dict for write_stream.

    `version` is a record-version string or a strategy of them (default: any).
    d_version (and agg_version 2 / agg_method for version 8) and flags are always
    present; every other TLV is present or not.  With `ifmaps`, IF_NAME/IF_ALIAS
    raw values may appear; with `unknown`, TLVs of type 0 or 20..0xFFFF."""
    if version is None:
        version = versions()
    elif not isinstance(version, st.SearchStrategy):
        version = st.just(str(version))

    u32 = st.integers(0, U32)
    optional = {
        "vendor": st.integers(0, 255), "exporter_ip": u32,
        "cap_start": u32, "cap_end": u32, "rot_schedule": u32,
        "flows_count": u32, "flows_lost": u32, "flows_misordered": u32,
        "pkts_corrupt": u32, "seq_reset": u32, "interrupt": st.integers(0, 255),
        "cap_hostname": header_strings(full_range=full_strings),
        "comments": header_strings(max_size=200, full_range=full_strings),
    }
    if ifmaps:
        raw = st.lists(st.binary(max_size=32), min_size=1, max_size=3)
        optional["if_name"] = raw
        optional["if_alias"] = raw
    if unknown:
        optional["unknown_tlvs"] = st.lists(
            st.tuples(st.one_of(st.just(0), st.integers(20, 0xFFFF)),
                      st.binary(max_size=16)),
            min_size=1, max_size=3)

    @st.composite
    def build(draw):
        d_version, agg_method = oracle.split_version(draw(version))
        hdr = {"d_version": d_version, "flags": draw(header_flags())}
        if d_version == 8:
            hdr["agg_version"] = 2
            hdr["agg_method"] = agg_method
        hdr.update(draw(_optional(optional)))
        if "unknown_tlvs" in hdr:  # the writer sorts by type; keep dict == re-read
            hdr["unknown_tlvs"].sort(key=lambda t: t[0])
        return hdr

    return build()


def v1_headers(version=None):
    """A stream-version-1 (legacy, 360-byte) header dict: d_version 1 or 5 and
    every fixed field (a v1 header has no optional parts)."""
    version = st.sampled_from(("1", "5")) if version is None else st.just(str(version))
    u32 = st.integers(0, U32)
    return st.fixed_dictionaries({
        "s_version": st.just(1), "d_version": version.map(int),
        "cap_start": u32, "cap_end": u32, "flags": header_flags(),
        "rot_schedule": u32, "flows_count": u32, "flows_lost": u32,
        "flows_misordered": u32,
        "cap_hostname": header_strings(max_size=67),
        "comments": header_strings(max_size=255),
    })


@st.composite
def streams(draw, version=None, max_records=64, zlevel=None, byte_order=None,
            header_kwargs=None):
    """(header, records, byte_order, zlevel) of a stream-3 file, for
    oracle.write_stream(*s).  Any argument left None is drawn."""
    v = draw(versions() if version is None else st.just(str(version)))
    hdr = draw(headers(v, **(header_kwargs or {})))
    if v == oracle.V1006:
        recs = draw(v1006_record_lists(max_size=max_records))
    else:
        recs = draw(record_lists(v, max_size=max_records))
    order = draw(byte_orders()) if byte_order is None else byte_order
    level = draw(zlevels()) if zlevel is None else zlevel
    return hdr, recs, order, level


@st.composite
def v1_streams(draw, max_records=32, zlevel=None, byte_order=None):
    """(header, records, byte_order, zlevel) of a legacy stream-1 file whose
    records read back unchanged (see compat_records)."""
    hdr = draw(v1_headers())
    recs = draw(st.lists(compat_records(str(hdr["d_version"])), max_size=max_records))
    order = draw(byte_orders()) if byte_order is None else byte_order
    level = draw(zlevels()) if zlevel is None else zlevel
    return hdr, recs, order, level


def stream_bytes(**kwargs):
    """(data, header, records) with data = oracle.write_stream(...) of streams(**kwargs)."""
    return streams(**kwargs).map(
        lambda s: (oracle.write_stream(*s), s[0], s[1]))


def chunkings(length, max_cuts=16):
    """Sorted cut points in 0..length, for split_at(): any chunking of a stream."""
    return st.lists(st.integers(0, length), max_size=max_cuts).map(sorted)


def split_at(data, cuts):
    """data cut at the given sorted offsets -> list of chunks (some may be empty)."""
    bounds = [0] + list(cuts) + [len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


def damaged(data):
    """Strategy of damaged copies of `data`: truncated, bytes overwritten,
    garbage appended, or a mix."""
    data = bytes(data)
    n = len(data)

    truncated = st.integers(0, max(n - 1, 0)).map(lambda k: data[:k])

    @st.composite
    def overwritten(draw):
        buf = bytearray(data)
        if not buf:
            return draw(st.binary(min_size=1, max_size=64))
        for _ in range(draw(st.integers(1, 8))):
            buf[draw(st.integers(0, n - 1))] = draw(st.integers(0, 255))
        return bytes(buf)

    appended = st.binary(min_size=1, max_size=64).map(lambda extra: data + extra)
    mixed = st.tuples(overwritten(), st.integers(0, n)).map(lambda t: t[0][:t[1]])
    return st.one_of(truncated, overwritten(), appended, mixed)
