"""Lengths that lie: every C entry point that takes outside bytes takes explicit
lengths and checks them, and a filter program is checked in C before it runs
(issue 8).  Each case must end in the documented status, never a crash.

Also replays the libFuzzer harnesses' crashers kept in tests/corpus/<harness>/
(csrc/fuzz/fuzz_<harness>.c; see csrc/fuzz/Makefile), and the harnesses' seeds;
fuzz_filter's in tests/test_filter.py.
"""
import pathlib
import socket
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyflowtools.core.native import ffi, lib

EINVAL, EPROGRAM, OK = lib.FTC_EINVAL, lib.FTC_EPROGRAM, lib.FTC_OK
SIZE_MAX = 2 ** (8 * ffi.sizeof("size_t")) - 1
U32 = 0xFFFFFFFF
RT_V5, RT_V1005, RT_V8_1 = lib.FTC_RT_V5, lib.FTC_RT_V1005, lib.FTC_RT_V8_1
CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def rs(rt):
    return lib.ftc_layout_get(rt).rec_size


def off(rt, field):
    return lib.ftc_layout_get(rt).off[field]


def v5_datagram(count=1):
    """A well-formed v5 export datagram of `count` records (protocol 17)."""
    hdr = struct.pack("!HHIIIIBBH", 5, count, 1000, 1, 0, 0, 0, 0, 0)
    rec = bytearray(48)
    rec[38] = 17
    return hdr + bytes(rec) * count


def u32s(values):
    return ffi.new("uint32_t[]", list(values) or [0])


# ---------------------------------------------------------------------------
# packed datagrams: ftc_pdu_rx_batch, ftc_fanout_batch, ftc_ipudp_wrap,
# ftc_net_send, ftc_net_recv

class Rx:
    """ftc_pdu_rx_batch with every buffer it needs."""

    def __init__(self):
        self.rt = ffi.new("int *", -1)
        self.produced = ffi.new("size_t *")
        self.st = ffi.new("ftc_pdu_rx_stats_t *")
        self.out = ffi.new("uint8_t[]", 8 * lib.FTC_PDU_DECODE_MAX)

    def __call__(self, buf, buf_len, lens, n=None):
        n = len(lens) if n is None else n
        cbuf = ffi.from_buffer("uint8_t[]", buf) if buf is not None else ffi.NULL
        return lib.ftc_pdu_rx_batch(cbuf, buf_len, u32s(lens), n, u32s([1] * len(lens)),
                                    ffi.NULL, ffi.NULL, 0, 0, self.rt, ffi.NULL, ffi.NULL, 0,
                                    self.out,
                                    len(self.out), self.produced, ffi.NULL, 0, self.st)


class Fanout:
    """ftc_fanout_batch with every buffer it needs."""

    def __init__(self, rt=-1):
        self.rt = ffi.new("int *", rt)
        self.enc = ffi.new("ftc_pdu_enc_t *")
        self.fst = ffi.new("ftc_filter_state_t *")
        self.cap = 3 * 8 + 3
        self.out = ffi.new("uint8_t[]", self.cap * lib.FTC_PDU_MAX_LEN)
        self.lens = ffi.new("uint32_t[]", self.cap)
        self.ev = ffi.new("ftc_pdu_event_t[]", 32)
        self.st = ffi.new("ftc_fanout_stats_t *")

    def __call__(self, buf, buf_len, lens, prog=ffi.NULL, nprog=0, tables=ffi.NULL,
                 tables_len=0):
        cbuf = ffi.from_buffer("uint8_t[]", buf) if buf is not None else ffi.NULL
        return lib.ftc_fanout_batch(cbuf, buf_len, u32s(lens), len(lens),
                                    u32s([1] * len(lens)), ffi.NULL, ffi.NULL, 0, 0, self.rt,
                                    ffi.NULL, ffi.NULL, 0, U32, prog, nprog, tables, tables_len, self.fst, self.enc,
                                    self.out, len(self.out), self.lens, ffi.NULL, self.cap,
                                    self.ev, 32, self.st)


# lengths against a buffer of `size` bytes: (lens, fits?)
LIES = [
    ([], True),
    ([0], True),
    ([72], True),
    ([72, 72], True),
    ([145], False),                      # one byte past the end (buffers: 144 bytes)
    ([72, 72, 1], False),
    ([U32], False),
    ([U32, U32, 2], False),              # adds up to 2**33 (no 32-bit wrap to 0)
    ([U32, 1], False),                   # wraps to 0 in 32 bits
    ([0] * 1000 + [1000], False),
]


@pytest.mark.parametrize("lens, fits", LIES)
def test_rx_batch_lengths_must_fit(lens, fits):
    dg = v5_datagram(1)
    buf = dg * 2
    rx = Rx()
    r = rx(buf, len(buf), lens)
    if fits:
        assert r == OK and rx.st.pdus == len(lens) and rx.st.bytes == sum(lens)
    else:
        assert r == EINVAL and rx.produced[0] == 0 and rx.rt[0] == -1


def test_rx_batch_buf_len_is_what_counts():
    dg = v5_datagram(1)
    buf = dg * 2
    rx = Rx()
    assert rx(buf, len(dg), [len(dg)]) == OK and rx.st.accepted == 1
    assert Rx()(buf, len(dg) - 1, [len(dg)]) == EINVAL      # the buffer is longer: no matter
    assert Rx()(buf, len(buf), [len(dg), len(dg) + 1]) == EINVAL
    assert Rx()(None, 1, []) == EINVAL                       # NULL with a length
    assert Rx()(None, 0, []) == OK
    assert Rx()(None, 0, [0], n=1) == EINVAL                  # NULL with datagrams


@pytest.mark.parametrize("lens, fits", LIES)
def test_fanout_batch_lengths_must_fit(lens, fits):
    buf = v5_datagram(1) * 2
    fo = Fanout()
    r = fo(buf, len(buf), lens)
    if fits:
        assert r == OK and fo.st.rx.pdus == len(lens) and fo.st.rx.bytes == sum(lens)
    else:
        assert r == EINVAL and fo.st.rx.pdus == 0 and fo.rt[0] == -1


def test_fanout_batch_program_is_checked_once_up_front():
    dg = v5_datagram(3)
    prog = ffi.new("ftc_insn_t[]", 1)
    prog[0].op, prog[0].src, prog[0].width = lib.FTC_OP_CMP, lib.FTC_SRC_FIELD, 1
    prog[0].offset, prog[0].cmp, prog[0].a = off(RT_V5, lib.FTC_F_PROT), lib.FTC_CMP_EQ, 6
    prog[0].jt, prog[0].jf = lib.FTC_PROG_ACCEPT, lib.FTC_PROG_REJECT
    fo = Fanout(RT_V5)
    assert fo(dg, len(dg), [len(dg)], prog, 1) == OK
    assert (fo.st.rx.flows, fo.st.filtered, fo.st.out_pdus) == (3, 3, 0)
    # the record type must be known to check the program against it
    assert Fanout(-1)(dg, len(dg), [len(dg)], prog, 1) == EINVAL
    # a program with a jump backwards: nothing consumed
    prog[0].jt = 0
    fo = Fanout(RT_V5)
    assert fo(dg, len(dg), [len(dg)], prog, 1) == EPROGRAM
    assert fo.st.rx.pdus == 0 and fo.st.rx.flows == 0


def test_fanout_batch_refuses_a_type_without_datagrams():
    dg = v5_datagram(1)
    fo = Fanout(RT_V1005)
    assert fo(dg, len(dg), [len(dg)]) == EINVAL and fo.st.rx.pdus == 0


@pytest.mark.parametrize("lens, fits", LIES)
def test_ipudp_wrap_lengths_must_fit(lens, fits):
    data = bytes(range(144))
    out = ffi.new("uint8_t[]", 4096)
    out_lens = ffi.new("uint32_t[]", max(len(lens), 1))
    used = ffi.new("size_t *")
    r = lib.ftc_ipudp_wrap(ffi.from_buffer("uint8_t[]", data), len(data), u32s(lens), len(lens),
                           ffi.NULL, 1, 2, 3, 4, 64, out, 4096, out_lens, used)
    if fits:
        assert r == OK and used[0] == sum(lens) + 28 * len(lens)
    else:
        assert r == EINVAL and used[0] == 0


@pytest.mark.parametrize("lens, fits", LIES)
def test_net_send_lengths_must_fit(lens, fits):
    data = bytes(144)
    sent = ffi.new("size_t *")
    err = ffi.new("int *")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rcv, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as snd:
        rcv.bind(("127.0.0.1", 0))
        snd.connect(rcv.getsockname())
        r = lib.ftc_net_send(snd.fileno(), ffi.from_buffer("uint8_t[]", data), len(data),
                             u32s(lens), len(lens), ffi.NULL, 0, sent, err)
    if fits:
        assert r == OK and sent[0] == len(lens)
    else:
        assert r == EINVAL and sent[0] == 0


def test_net_recv_buffer_must_hold_every_slot():
    n, err = ffi.new("size_t *"), ffi.new("int *")
    lens = ffi.new("uint32_t[]", 4)
    buf = ffi.new("uint8_t[]", 4 * 2048)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        fd = s.fileno()
        assert lib.ftc_net_recv(fd, buf, 4 * 2048, 2048, 4, 0, lens, ffi.NULL, ffi.NULL,
                                ffi.NULL, ffi.NULL, n, err) == OK and n[0] == 0
        assert lib.ftc_net_recv(fd, buf, 4 * 2048 - 1, 2048, 4, 0, lens, ffi.NULL, ffi.NULL,
                                ffi.NULL, ffi.NULL, n, err) == EINVAL
        # slot x nslots overflows size_t
        assert lib.ftc_net_recv(fd, buf, 4 * 2048, 2048, SIZE_MAX // 1024, 0, lens, ffi.NULL,
                                ffi.NULL, ffi.NULL, ffi.NULL, n, err) == EINVAL


# ---------------------------------------------------------------------------
# n x rec_size past SIZE_MAX: refused before any record is touched

def _too_many(rt):
    return SIZE_MAX // rs(rt) + 1


@pytest.mark.parametrize("rt", [lib.FTC_RT_V1, RT_V5, RT_V1005, RT_V8_1])
def test_record_counts_that_overflow(rt):
    n = _too_many(rt)
    recs = ffi.new("uint8_t[]", 128)
    out = ffi.new("uint8_t[]", 128)
    kept, c, ln, b = (ffi.new("size_t *") for _ in range(4))
    assert lib.ftc_recs_swap(rt, recs, n) == EINVAL
    assert lib.ftc_recs_gen(rt, 0, n, out) == EINVAL
    assert lib.ftc_recs_mask_ip(rt, recs, n, 0xFFFFFF00) == EINVAL
    text = ffi.new("char[]", 4096)
    fst = ffi.new("ftc_fmt_state_t *")
    assert lib.ftc_fmt_records(recs, n, rt, lib.ftc_fmt_default(rt), 0, ffi.NULL, fst, text,
                               4096, ln, c, b) == EINVAL
    assert lib.ftc_icmp_format(recs, n, rt, 0, text, 4096, ln, c) in (EINVAL, lib.FTC_EFIELD)
    assert lib.ftc_zone_keep(ffi.NULL, 0, rt, recs, n, kept) == EINVAL
    prog = _prog([dict(op=lib.FTC_OP_TRUE, src=lib.FTC_SRC_NONE)])
    state = ffi.new("ftc_filter_state_t *")
    assert lib.ftc_filter_apply(prog, 1, ffi.NULL, 0, rt, state, recs, n, kept) == EINVAL
    sel = ffi.new("uint8_t[]", 16)
    assert lib.ftc_filter_select(prog, 1, ffi.NULL, 0, rt, state, recs, n, sel) == EINVAL
    if rt != RT_V1005:
        enc = ffi.new("ftc_pdu_enc_t *")
        lens = ffi.new("uint32_t[]", 4)
        np_, ol = ffi.new("size_t *"), ffi.new("size_t *")
        assert lib.ftc_pdu_encode(enc, rt, recs, n, rt, out, 128, lens, 4, c, np_,
                                  ol) == EINVAL


def test_compat_record_count_that_overflows():
    recs = ffi.new("uint8_t[]", 128)
    assert lib.ftc_recs_from_compat(RT_V5, recs, SIZE_MAX // 60 + 1, 0, recs) == EINVAL
    assert lib.ftc_recs_from_compat(RT_V5, recs, 0, 0, recs) == OK


def test_zone_check_counts_and_service_table():
    zones = ffi.new("ftc_zone_range_t[]", [{"lo": [0, 0], "hi": [2**64 - 1] * 2, "value": 0}])
    start = ffi.new("uint32_t[]", [0, 1])
    svc = ffi.new("uint32_t[]", [0, 0])
    db = ffi.new("ftc_zone_db_t *", {"zones": zones, "n_zones": 1, "svc_start": start,
                                     "svc": svc, "n_entries": 1})
    recs = ffi.new("uint8_t[]", rs(RT_V5))
    done, produced = ffi.new("size_t *"), ffi.new("size_t *")
    alerts = ffi.new("ftc_zone_alert_t[]", 4)
    assert lib.ftc_zone_check(db, RT_V5, recs, 1, done, alerts, 4, produced) == OK
    assert lib.ftc_zone_check(db, RT_V5, recs, _too_many(RT_V5), done, alerts, 4,
                              produced) == EINVAL
    # service starts that go down would index svc out of bounds
    start2 = ffi.new("uint32_t[]", [5, 1])
    db.svc_start = start2
    done[0] = 0
    assert lib.ftc_zone_check(db, RT_V5, recs, 1, done, alerts, 4, produced) == EINVAL


# ---------------------------------------------------------------------------
# symbol files and the names the formats print

def test_sym_parse_checks_its_arguments():
    text = ffi.new("uint8_t[]", list(b"6 tcp\n17 udp\n\0"))
    keys, offs = ffi.new("uint32_t[]", 4), ffi.new("uint32_t[]", 4)
    n, bad = ffi.new("size_t *"), ffi.new("size_t *")
    assert lib.ftc_sym_parse(text, 13, 0, keys, offs, 4, n, bad) == OK and n[0] == 2
    assert lib.ftc_sym_parse(ffi.NULL, 13, 0, keys, offs, 4, n, bad) == EINVAL
    assert lib.ftc_sym_parse(text, 13, 0, ffi.NULL, offs, 4, n, bad) == EINVAL
    assert lib.ftc_sym_parse(text, 13, 0, keys, offs, 4, ffi.NULL, bad) == EINVAL
    # offsets past 32 bits
    assert lib.ftc_sym_parse(text, 13, U32 - 12, keys, offs, 4, n, bad) == EINVAL
    assert lib.ftc_sym_parse(text, 13, U32 - 13, keys, offs, 4, n, bad) == OK
    table = ffi.new("uint32_t[]", 256)
    assert lib.ftc_sym_index(keys, offs, 2, ffi.NULL, 256) == EINVAL
    assert lib.ftc_sym_index(ffi.NULL, offs, 2, table, 256) == EINVAL


# a format that prints protocol names with -n
PROT_FMT = next(f for f in range(lib.FTC_FMT_COUNT)
                if lib.ftc_fmt_check(f, RT_V5) == OK and lib.ftc_fmt_symbols(f, lib.FTC_FMT_NAMES) & 1)


def _print_prot(blob, blob_len, prot_off):
    rt = RT_V5
    recs = ffi.new("uint8_t[]", rs(rt))
    recs[off(rt, lib.FTC_F_PROT)] = 6
    cblob = ffi.new("char[]", blob)
    sym = ffi.new("ftc_symtab_t *", {"blob": cblob, "blob_len": blob_len,
                                     "prot_off": prot_off})
    st = ffi.new("ftc_fmt_state_t *")
    text = ffi.new("char[]", 4096)
    ln, c, b = (ffi.new("size_t *") for _ in range(3))
    r = lib.ftc_fmt_records(recs, 1, rt, PROT_FMT, lib.FTC_FMT_NAMES, sym, st, text, 4096, ln,
                            c, b)
    return r, ffi.buffer(text, ln[0])[:]


def test_symbol_names_stay_inside_the_blob():
    prot = ffi.new("uint32_t[]", [lib.FTC_SYM_NONE] * 256)
    prot[6] = 0
    r, line = _print_prot(b"tcp\0", 4, prot)
    assert r == OK and b"tcp" in line
    prot[6] = 4                              # at blob_len: no name, the number
    r, line2 = _print_prot(b"tcp\0", 4, prot)
    assert r == OK and b"tcp" not in line2 and b"6" in line2
    prot[6] = 0                              # a blob that does not end in a NUL
    assert _print_prot(b"tcp", 3, prot)[0] == EINVAL


# ---------------------------------------------------------------------------
# filter programs: checked in C before they run

INSN = ffi.sizeof("ftc_insn_t")
ACCEPT, REJECT = lib.FTC_PROG_ACCEPT, lib.FTC_PROG_REJECT


def _prog(insns):
    p = ffi.new("ftc_insn_t[]", max(len(insns), 1))
    for i, d in enumerate(insns):
        d = dict(d)
        d.setdefault("jt", ACCEPT)
        d.setdefault("jf", REJECT)
        for k, v in d.items():
            setattr(p[i], k, v)
    return p


def _port_test(rt=RT_V5, **kw):
    d = dict(op=lib.FTC_OP_CMP, src=lib.FTC_SRC_FIELD, width=2,
             offset=off(rt, lib.FTC_F_DSTPORT), cmp=lib.FTC_CMP_EQ, a=80)
    d.update(kw)
    return d


def _bitmap(rt=RT_V5, nbytes=8192, **kw):
    d = dict(op=lib.FTC_OP_BITMAP, src=lib.FTC_SRC_FIELD, width=2,
             offset=off(rt, lib.FTC_F_DSTPORT), b=0xFFFF, table=0, table_len=nbytes)
    d.update(kw)
    return d


def _ranges_blob(count, pairs=()):
    blob = struct.pack("=I", count) + b"".join(struct.pack("=II", lo, hi) for lo, hi in pairs)
    return blob + bytes(len(pairs))


def _check(insns, tables=b"", rt=RT_V5, tables_len=None):
    p = _prog(insns)
    t = ffi.from_buffer("uint8_t[]", tables) if tables else ffi.NULL
    return lib.ftc_filter_check(p, len(insns), t, len(tables) if tables_len is None
                                else tables_len, rt)


BAD_PROGRAMS = {
    "empty": ([], b""),
    "jump to itself": ([_port_test(jt=0)], b""),
    "jump backwards": ([_port_test(jt=1), _port_test(jf=0)], b""),
    "jump past the end": ([_port_test(jt=1)], b""),
    "jump far past the end": ([_port_test(jf=0x7FFFFFFF)], b""),
    "other negative jump": ([_port_test(jt=-3)], b""),
    "unknown op": ([_port_test(op=7)], b""),
    "unknown source": ([_port_test(src=10)], b""),
    "unknown comparison": ([_port_test(cmp=6)], b""),
    "offset past the record": ([_port_test(offset=64)], b""),
    "negative offset": ([_port_test(offset=-1)], b""),
    "offset inside a field": ([_port_test(offset=off(RT_V5, lib.FTC_F_DSTPORT) + 1)], b""),
    "wrong width for the field": ([_port_test(width=4)], b""),
    "width 3": ([_port_test(width=3)], b""),
    "TRUE loading past the record": ([dict(op=lib.FTC_OP_TRUE, src=lib.FTC_SRC_FIELD,
                                           offset=64)], b""),
    "bitmap past the tables": ([_bitmap(table=8)], bytes(8192)),
    "bitmap longer than the tables": ([_bitmap(nbytes=8193)], bytes(8192)),
    "bitmap too small for its values": ([_bitmap(nbytes=8191)], bytes(8191)),
    "bitmap table offset wraps": ([_bitmap(table=U32, nbytes=8192)], bytes(8192)),
    "bitmap shift 64": ([_bitmap(shift=64, nbytes=1)], bytes(1)),
    "bitmap on START, 64-bit mask": ([_bitmap(src=lib.FTC_SRC_START, b=2**64 - 1)],
                                     bytes(8192)),
    "ranges shorter than their count": ([_port_test(op=lib.FTC_OP_RANGES, table=0,
                                                    table_len=13)], _ranges_blob(2, [(1, 2)])),
    "ranges count huge": ([_port_test(op=lib.FTC_OP_RANGES, table=0, table_len=4)],
                          _ranges_blob(U32)),
    "ranges under 4 bytes": ([_port_test(op=lib.FTC_OP_RANGES, table=0, table_len=3)],
                             b"\0\0\0\0"),
    "ranges past the tables": ([_port_test(op=lib.FTC_OP_RANGES, table=4, table_len=4)],
                               b"\0" * 4),
}


@pytest.mark.parametrize("name", sorted(BAD_PROGRAMS))
def test_bad_programs_are_refused_and_never_run(name):
    insns, tables = BAD_PROGRAMS[name]
    assert _check(insns, tables) == EPROGRAM
    p = _prog(insns)
    t = ffi.from_buffer("uint8_t[]", tables) if tables else ffi.NULL
    recs = bytearray(range(64)) * 3
    before = bytes(recs)
    c = ffi.from_buffer("uint8_t[]", recs)
    state = ffi.new("ftc_filter_state_t *")
    kept = ffi.new("size_t *", 99)
    sel = ffi.new("uint8_t[]", 3)
    assert lib.ftc_filter_apply(p, len(insns), t, len(tables), RT_V5, state, c, 3,
                                kept) == EPROGRAM
    assert lib.ftc_filter_select(p, len(insns), t, len(tables), RT_V5, state, c, 3,
                                 sel) == EPROGRAM
    assert bytes(recs) == before and list(sel) == [0, 0, 0]


def test_good_programs_pass():
    assert _check([_port_test()]) == OK
    assert _check([_port_test(jt=1), _port_test(a=443)]) == OK
    assert _check([_bitmap()], bytes(8192)) == OK
    assert _check([_bitmap(nbytes=1, shift=16)], bytes(1)) == OK     # every value -> bit 0
    assert _check([_bitmap(nbytes=2, b=0xFF00, shift=8 + 4)], bytes(2)) == OK
    assert _check([_port_test(op=lib.FTC_OP_RANGES, table=0, table_len=13)],
                  _ranges_blob(1, [(1, 2)])) == OK
    assert _check([dict(op=lib.FTC_OP_TRUE, src=lib.FTC_SRC_NONE)]) == OK
    assert _check([dict(op=lib.FTC_OP_SAMPLE, src=lib.FTC_SRC_NONE, a=0)]) == OK
    assert _check([_port_test(op=lib.FTC_OP_CMP, src=lib.FTC_SRC_END_TOD, width=0,
                              offset=0)]) == OK


def test_check_arguments():
    p = _prog([_port_test()])
    assert lib.ftc_filter_check(p, 1, ffi.NULL, 0, lib.FTC_RT_COUNT) == EINVAL
    assert lib.ftc_filter_check(p, 1, ffi.NULL, 5, RT_V5) == EINVAL      # NULL tables, length 5
    assert lib.ftc_filter_check(ffi.NULL, 1, ffi.NULL, 0, RT_V5) == EINVAL
    assert lib.ftc_filter_check(p, 0x80000000, ffi.NULL, 0, RT_V5) == EINVAL


def test_field_must_exist_in_the_record_type():
    # v8.1 has no dstport: the v5 offset of dstport is some other field's middle
    assert _check([_port_test(rt=RT_V5)], rt=RT_V8_1) == EPROGRAM


def _run(insns, tables, values, rt=RT_V5, field=lib.FTC_F_DSTPORT):
    """apply and select over records whose `field` takes `values`."""
    size = rs(rt)
    recs = bytearray(size * len(values))
    for i, v in enumerate(values):
        struct.pack_into("=H", recs, i * size + off(rt, field), v)
    p = _prog(insns)
    t = ffi.from_buffer("uint8_t[]", tables) if tables else ffi.NULL
    sel = ffi.new("uint8_t[]", len(values))
    state = ffi.new("ftc_filter_state_t *")
    c = ffi.from_buffer("uint8_t[]", recs)
    count = lib.ftc_filter_select(p, len(insns), t, len(tables), rt, state, c, len(values), sel)
    kept = ffi.new("size_t *")
    assert lib.ftc_filter_apply(p, len(insns), t, len(tables), rt, state, c, len(values),
                                kept) == OK
    assert count == kept[0]
    return list(sel)


def test_bitmap_on_16_bits_shifted_past_them():
    """fuzz_filter's first crasher: the one-instruction 16-bit bitmap loop
    shifted a 32-bit value by up to 63 (undefined; on x86 the shift wraps and
    reads past the table).  A shift of 16 or more leaves bit 0, as the
    general evaluator computes it."""
    values = [0, 4, 80, 0xFFFF]
    bm = b"\x01"                                  # only bit 0 set
    one = [_bitmap(nbytes=1, shift=34)]
    assert _run(one, bm, values) == [1, 1, 1, 1]
    # the same test behind a TRUE takes the general path: same answer
    two = [dict(op=lib.FTC_OP_TRUE, src=lib.FTC_SRC_NONE, jt=1, jf=1),
           _bitmap(nbytes=1, shift=34)]
    assert _run(two, bm, values) == [1, 1, 1, 1]


@given(st.integers(0, lib.FTC_RT_COUNT - 1), st.binary(max_size=6 * INSN),
       st.binary(max_size=64), st.binary(max_size=4 * 72))
def test_arbitrary_programs_never_crash(rt, code, tables, recs):
    """Random instruction bytes: the check's verdict is what apply and select
    return, and a program that passes runs to the same answer both ways."""
    n = len(code) // INSN
    prog = ffi.new("ftc_insn_t[]", max(n, 1))
    ffi.memmove(prog, code[:n * INSN], n * INSN)
    _run_any(rt, prog, n, tables, recs)


def _run_any(rt, prog, n, tables, recs):
    size = rs(rt)
    nrec = len(recs) // size
    recs = bytearray(recs[:nrec * size])
    before = bytes(recs)
    t = ffi.from_buffer("uint8_t[]", tables) if tables else ffi.NULL
    c = ffi.from_buffer("uint8_t[]", recs) if recs else ffi.NULL
    chk = lib.ftc_filter_check(prog, n, t, len(tables), rt)
    assert chk in (OK, EPROGRAM)
    sel = ffi.new("uint8_t[]", max(nrec, 1))
    s1, s2 = ffi.new("ftc_filter_state_t *"), ffi.new("ftc_filter_state_t *")
    s1.rng = s2.rng = 7
    kept = ffi.new("size_t *")
    s = lib.ftc_filter_select(prog, n, t, len(tables), rt, s1, c, nrec, sel)
    a = lib.ftc_filter_apply(prog, n, t, len(tables), rt, s2, c, nrec, kept)
    if chk != OK:
        assert s == a == chk and bytes(recs) == before
        return
    assert a == OK and s == kept[0]
    chosen = b"".join(before[i * size:(i + 1) * size] for i in range(nrec) if sel[i])
    assert bytes(recs[:len(chosen)]) == chosen


def _fields(rt):
    lay = lib.ftc_layout_get(rt)
    return [(lay.off[f], lib.ftc_field_width(f)) for f in range(lib.FTC_F_COUNT)
            if lay.off[f] >= 0]


@st.composite
def _programs(draw):
    """Mostly well-formed programs (forward jumps, real fields, tables in
    range), so the evaluators themselves run."""
    rt = draw(st.integers(0, lib.FTC_RT_COUNT - 1))
    tables = draw(st.binary(min_size=0, max_size=64))
    n = draw(st.integers(1, 6))
    insns = []
    for i in range(n):
        later = st.integers(i + 1, n - 1) if i + 1 < n else st.just(ACCEPT)
        jump = st.one_of(st.just(ACCEPT), st.just(REJECT), later)
        o, w = draw(st.sampled_from(_fields(rt)))
        insns.append(dict(
            op=draw(st.integers(0, 7)), src=draw(st.integers(0, 10)), cmp=draw(st.integers(0, 6)),
            shift=draw(st.integers(0, 70)), offset=o, width=w,
            table=draw(st.integers(0, 70)), table_len=draw(st.integers(0, 70)),
            a=draw(st.integers(0, 2 ** 64 - 1)), b=draw(st.sampled_from([0, 1, 0xF, 0xFFFF, U32,
                                                                      2 ** 64 - 1])),
            d=draw(st.floats(allow_nan=True)), jt=draw(jump), jf=draw(jump)))
    recs = draw(st.binary(max_size=4 * 72))
    return rt, insns, tables, recs


@given(_programs())
def test_nearly_valid_programs_never_crash(case):
    rt, insns, tables, recs = case
    _run_any(rt, _prog(insns), len(insns), tables, recs)


# ---------------------------------------------------------------------------
# crashers of the libFuzzer harnesses (tests/corpus/<harness>/), replayed

def _corpus(name):
    """The harness's seeds, then the crashers kept for it."""
    seeds = CORPUS.parent.parent / "csrc" / "fuzz" / "seeds" / ("fuzz_" + name)
    return sorted(seeds.glob("*")) + sorted((CORPUS / name).glob("*"))


@pytest.mark.parametrize("path", _corpus("relay"), ids=lambda p: p.name)
def test_replay_fuzz_relay(path):
    """csrc/fuzz/fuzz_relay.c's layout: options, count, big-endian lengths
    (fitted unless bit 6), datagrams.  Here: the receive and fanout batches."""
    data = path.read_bytes()
    if len(data) < 2:
        data = data + bytes(2 - len(data))   # the harness passes these by; here: no datagram
    targets = (-1, lib.FTC_RT_V1, RT_V5, lib.FTC_RT_V6, lib.FTC_RT_V7, RT_V1005, RT_V8_1,
               lib.FTC_RT_V8_8)
    opt, n, data = data[0], data[1] % 65, data[2:]
    n = min(n, len(data) // 4)
    raw = [int.from_bytes(data[4 * i:4 * i + 4], "big") for i in range(n)]
    buf = data[4 * n:]
    lens, left = [], len(buf)
    for v in raw:
        if not opt & 0x40:
            v = min(v % 2100, left)
            left -= v
        lens.append(v)
    fits = sum(lens) <= len(buf)
    rx = Rx()
    rx.rt[0] = targets[opt & 7]
    r = rx(buf, len(buf), lens)
    assert r == (lib.FTC_OK if fits else EINVAL) or (fits and r == lib.FTC_EFULL)
    rt = targets[opt & 7]
    fo = Fanout(RT_V5 if rt < 0 and opt & 0x10 else rt)
    r = fo(buf, len(buf), lens)
    if not fits or fo.rt[0] == RT_V1005:
        assert r == EINVAL and fo.st.rx.pdus == 0
    else:
        assert r in (OK, lib.FTC_EFULL)


@pytest.mark.parametrize("path", _corpus("sym"), ids=lambda p: p.name)
def test_replay_fuzz_sym(path):
    """csrc/fuzz/fuzz_sym.c's layout: capacity, base, the symbol file."""
    data = path.read_bytes()
    cap, base, text = data[0], data[1], data[2:]
    blob = ffi.new("uint8_t[]", list(bytes(base) + text + b"\xaa"))
    keys, offs = ffi.new("uint32_t[]", 256), ffi.new("uint32_t[]", 256)
    n, bad = ffi.new("size_t *"), ffi.new("size_t *")
    r = lib.ftc_sym_parse(blob + base, len(text), base, keys, offs, cap, n, bad)
    assert r in (OK, lib.FTC_EFORMAT, lib.FTC_EFULL) and n[0] <= cap
    for i in range(n[0]):
        assert base <= offs[i] < base + len(text)
        assert blob[offs[i]] not in b" \t"


@pytest.mark.parametrize("path", _corpus("header"), ids=lambda p: p.name)
def test_replay_fuzz_header(path):
    """csrc/fuzz/fuzz_header.c's input: the start of a flow file."""
    data = path.read_bytes()
    h, need = ffi.new("ftc_header_t *"), ffi.new("size_t *")
    r = lib.ftc_header_parse(data, len(data), h, need)
    assert lib.FTC_EHDRBIG <= r <= OK
    if r == OK:
        assert 8 <= h.header_len <= len(data)


#: csrc/fuzz/fuzz_report.c's key list, by flow-tools names
REPORT_KEYS = (("srcaddr",), ("srcaddr", "dstaddr"), ("srcprefix", "src_mask"), ("pktsize",),
               ("bps",), ("pps",), ("duration",), ("dsttype",), ("srcport", "dstport"),
               ("src_tag", "dst_tag"), ("prot",), ("input", "output", "src_as"))


@pytest.mark.parametrize("path", _corpus("report"), ids=lambda p: p.name)
def test_replay_fuzz_report(path):
    """csrc/fuzz/fuzz_report.c's layout (record type, key, flags, order,
    scale, records) through the report engine's Python side: totals,
    aggregation with the totals of the pass, every order, the rows as
    text, linear interpolation; only documented errors."""
    from pyflowtools.core import table
    from pyflowtools.core.batch import Batch
    from pyflowtools.core.errors import FlowToolsError
    from pyflowtools.core.stat import Totals
    data = path.read_bytes().ljust(8, b"\0")
    rt = data[0] % lib.FTC_RT_COUNT
    size = rs(rt)
    n = min((len(data) - 8) // size, 128)
    b = Batch(rt, size, max(n, 1))
    b.buf[:n * size] = data[8:8 + n * size]
    b.n = n
    key = REPORT_KEYS[data[1] % len(REPORT_KEYS)]
    scale = data[4] % 4
    try:
        tot = Totals(scale=scale, hist=True)
        tot.add(b)
        agg = table.Aggregation(list(key), rates=bool(data[2] & 2), duration=bool(data[2] & 16),
                                scale=scale, cap=4)
        agg.add(b, totals=Totals(scale=scale))
    except FlowToolsError:
        return                          # a record type without the fields
    for by in ("seq", "key", "flows", "octets", "packets"):
        idx = agg.order(by, desc=bool(data[3] & 1))
        assert sorted(idx) == sorted(agg.order("seq"))
        text = b"".join(agg.format(idx, [table.Column("key0", "dec", 12, ","),
                                         table.Column("octets", "pct", total=tot.octets)]))
        assert text.count(b"\n") == len(agg)
    try:
        table.Linear(scale=scale).add(b)
    except FlowToolsError:
        pass                            # a flow of years, or no First/Last


@pytest.mark.parametrize("path", _corpus("tagmask"), ids=lambda p: p.name)
def test_replay_fuzz_tagmask_conversion(path):
    """csrc/fuzz/fuzz_tagmask.c's record types (bytes 0, 1) and whole
    records from its tail: a version conversion writes exactly n records of
    the target's size (v1006: 112 bytes, more than the harness once had
    room for), FTC_EFULL one byte short."""
    data = path.read_bytes().ljust(4, b"\0")
    rt, rt2 = data[0] % lib.FTC_RT_COUNT, data[1] % lib.FTC_RT_COUNT
    n = min(len(data) // rs(rt), 32)
    src = ffi.new("uint8_t[]", max(n * rs(rt), 1))
    ffi.memmove(src, data[len(data) - n * rs(rt):], n * rs(rt))
    out = ffi.new("uint8_t[]", n * rs(rt2) + 8)
    out[n * rs(rt2)] = 0xA5
    if n:
        assert lib.ftc_xlate_version(rt, src, n, rt2, out, n * rs(rt2) - 1) == lib.FTC_EFULL
    assert lib.ftc_xlate_version(rt, src, n, rt2, out, n * rs(rt2)) == OK
    assert out[n * rs(rt2)] == 0xA5


@pytest.mark.parametrize("path", _corpus("splitmerge"), ids=lambda p: p.name)
def test_replay_fuzz_splitmerge_merge(path):
    """csrc/fuzz/fuzz_splitmerge.c's layout (type, inputs, batch, -N, -T,
    records): the records dealt to the inputs come out of ftc_merge once
    each, into an out of exactly that many records of the type's size."""
    data = path.read_bytes().ljust(5, b"\0")
    rt = data[0] % lib.FTC_RT_COUNT
    size = rs(rt)
    k = (data[1] & 7) + 1
    n = min((len(data) - 5) // size, 64)
    recs = [data[5 + i * size:5 + (i + 1) * size] for i in range(n)]
    bufs = [ffi.new("uint8_t[]", max(b"".join(recs[j::k]), b"\0", key=len)) for j in range(k)]
    ins = ffi.new("ftc_merge_in_t[]", k)
    for j in range(k):
        ins[j].recs, ins[j].size = bufs[j], len(recs[j::k]) * size
        ins[j].n, ins[j].done = len(recs[j::k]), 1
    out = ffi.new("uint8_t[]", n * size + 8)
    out[n * size] = 0xA5
    produced, need = ffi.new("size_t *"), ffi.new("size_t *")
    heap = ffi.new("uint32_t[]", k)
    r = lib.ftc_merge(rt, ins, k, heap, out, n, produced, need)
    if r == lib.FTC_EFIELD:
        return
    assert r in (OK, lib.FTC_EFULL) and produced[0] == n
    assert sorted(bytes(ffi.buffer(out, n * size))[i * size:(i + 1) * size]
                  for i in range(n)) == sorted(recs)
    assert out[n * size] == 0xA5


def _inflate_chunked(data, ichunk, ochunk, room):
    """csrc/inflate.c fed data ichunk bytes and ochunk bytes of room a
    call, as the reader does (at the end of the input it asks until no
    output comes) -> (bytes, last status)."""
    z = ffi.gc(lib.ftc_inflate_new(), lib.ftc_inflate_free)
    src = ffi.from_buffer("uint8_t[]", data) if data else ffi.new("uint8_t[]", 1)
    out = ffi.new("uint8_t[]", room)
    used, made = ffi.new("size_t *"), ffi.new("size_t *")
    ipos = fill = 0
    rc = 0
    while fill < room:
        n = min(len(data) - ipos, ichunk)
        m = min(room - fill, ochunk)
        rc = lib.ftc_inflate_run(z, src + ipos, n, out + fill, m, used, made)
        assert used[0] <= n and made[0] <= m
        ipos += used[0]
        fill += made[0]
        if rc != 0 or (not n and not made[0]):
            break
        assert not (n and m) or used[0] or made[0]
    return bytes(ffi.buffer(out, fill)), rc


@pytest.mark.parametrize("path", _corpus("inflate"), ids=lambda p: p.name)
def test_replay_fuzz_inflate(path):
    """csrc/fuzz/fuzz_inflate.c's layout (input chunk, output room, a zlib
    stream): the bytes inflated chunk by chunk are those of one call with
    room for all, and the stream ends (or fails) the same way."""
    data = path.read_bytes().ljust(2, b"\0")
    ichunk = len(data) if data[0] == 255 else data[0] + 1
    ochunk = 1 << 20 if data[1] == 255 else data[1] + 1
    got, rc = _inflate_chunked(data[2:], ichunk, ochunk, 1 << 20)
    want, rw = _inflate_chunked(data[2:], len(data), 1 << 20, 1 << 20)
    assert got == want and (rc == 1) == (rw == 1)
