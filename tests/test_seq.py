"""The exporter sequence table's caps (core/seq.py over csrc/seq.c): at
most 2 x max_exporters slots, the slots heard from longest ago evicted when
full, slots silent for `idle` seconds expired; counted, logged by tick()."""
import array
import struct

from hypothesis import given
from hypothesis import strategies as st

import harness

from pyflowtools.core import seq as cseq
from pyflowtools.core import table
from pyflowtools.core.native import ffi, lib
from pyflowtools.netflow import pdu


def v5(seq=0, count=1, engine=0):
    """A v5 datagram of `count` empty records."""
    return (struct.pack(">HHIIIIBBH", 5, count, 0, 0, 0, seq, engine & 0xFF, engine >> 8, 0)
            + bytes(48 * count))


def hdr(seq=0, count=1, engine=0):
    return ffi.new("ftc_pdu_hdr_t *", {"version": 5, "count": count, "flow_sequence": seq,
                                       "engine_type": engine & 0xFF, "engine_id": engine >> 8})


def keys(t):
    return {(s.exporter_ip, s.kind, s.engine): s.last_seen for s in t.slots()}


def test_defaults_are_the_documented_caps():
    assert (cseq.MAX_EXPORTERS, cseq.IDLE_SECS) == (65536, 3600)
    t = cseq.SequenceTable()
    assert (t.limit, t.idle, t.table.limit) == (131072, 3600, 131072)
    assert ffi.sizeof("ftc_seq_slot_t") == 64


def test_expire_drops_only_the_silent_slots():
    t = cseq.SequenceTable(idle=100)
    t.check(1, 0, hdr(), now=1000)
    t.check(2, 0, hdr(), now=1050)
    t.check(3, 0, hdr(), now=1200)           # stamped after the expiry time: kept
    assert t.expire(1150) == 4               # 1 (silent 150 s) and 2 (100 s): 2 slots each
    assert (t.expired, t.evicted) == (4, 0)
    assert sorted({k[0] for k in keys(t)}) == [3]
    assert t.expire(1150) == 0


def test_an_expired_exporter_starts_afresh():
    t = cseq.SequenceTable(idle=10)
    assert t.check(7, 0, hdr(seq=0, count=3), now=5)[0] == cseq.SEQ_NEW
    assert t.check(7, 0, hdr(seq=3), now=6)[0] == 0
    t.expire(100)
    assert len(t) == 0
    # the gap would be a loss; after expiry it is a new exporter, nothing lost
    assert t.check(7, 0, hdr(seq=50), now=101) == (cseq.SEQ_NEW, 0, 0)


def test_c_expire_statuses():
    tb = table.Table(table.SEQ, lib.FTC_SEQ_KEY_LEN, 4)
    n = ffi.new("uint32_t *", 99)
    assert lib.ftc_seq_expire(tb.t, 0, 0, 0, n) == 0 and n[0] == 0       # empty
    assert lib.ftc_seq_expire(ffi.NULL, 0, 0, 0, n) == lib.FTC_EINVAL
    agg = table.Table(table.AGG, 4, 4)
    assert lib.ftc_seq_expire(agg.t, 0, 0, 0, ffi.NULL) == lib.FTC_EINVAL
    assert lib.ftc_seq_check(tb.t, 1, 0, hdr(), 10, ffi.NULL, ffi.NULL) == lib.FTC_SEQ_NEW
    assert lib.ftc_seq_expire(tb.t, 10, 0, 2, ffi.NULL) == 0   # at keep: nothing
    assert lib.ftc_seq_expire(tb.t, 10, 0, 0, n) == 2 and n[0] == 0 and tb.t.used == 0


def test_the_limit_makes_the_kernel_full():
    tb = table.Table(table.SEQ, lib.FTC_SEQ_KEY_LEN, 64, max_keys=3)
    assert lib.ftc_seq_check(tb.t, 1, 0, hdr(), 0, ffi.NULL, ffi.NULL) == lib.FTC_SEQ_NEW
    assert lib.ftc_seq_check(tb.t, 2, 0, hdr(), 0, ffi.NULL, ffi.NULL) == lib.FTC_EFULL
    assert tb.t.used == 2 and tb.t.full
    assert lib.ftc_seq_add(tb.t, 3, 0, 9, 1, 0, 0, 0) == lib.FTC_SEQ_NEW     # one slot
    assert lib.ftc_seq_add(tb.t, 4, 0, 9, 1, 0, 0, 0) == lib.FTC_EFULL


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3), st.integers(0, 50)),
                max_size=120),
       st.integers(0, 90), st.integers(0, 80), st.integers(0, 30))
def test_eviction_keeps_the_most_recently_heard(visits, keep, now, idle):
    """Whatever the visits: the idle ones go, then the oldest until `keep`
    remain; every slot kept was heard from no earlier than any evicted."""
    t = cseq.SequenceTable(max_exporters=1 << 12, idle=idle)
    clock = 0
    for ip, engine, step in visits:
        clock += step % 7
        t.check(ip, 0, hdr(engine=engine), now=clock)
    before = keys(t)
    gone = t._prune(now, idle, keep)
    after = keys(t)
    removed = {k: v for k, v in before.items() if k not in after}
    assert gone == len(removed) == t.expired + t.evicted
    assert set(after) <= set(before)
    idle_keys = {k for k, v in before.items() if idle and v <= now and now - v >= idle}
    assert not idle_keys & set(after)
    assert t.expired == len(idle_keys)
    assert len(after) == min(keep, len(before) - len(idle_keys))
    evicted = [v for k, v in removed.items() if k not in idle_keys]
    if evicted and after:
        assert max(evicted) <= min(after.values())
    for k in after:                                   # the survivors are findable
        if k[1] == cseq.EXPORTER:
            assert t.exporter(k[0], 0, 5) is not None


def test_tick_expires_once_a_sweep_and_logs_the_counts():
    t = cseq.SequenceTable(idle=30)
    t.check(1, 0, hdr(), now=1000)
    assert t.tick(1000) is None                      # the first call starts the clock
    assert t.tick(1059) is None                      # not yet a sweep
    assert t.tick(1060) == "sequence state: expired=2 evicted=0 slots=0 cap=131072 idle=30"
    t.check(2, 0, hdr(), now=1070)
    assert t.tick(1119) is None and len(t) == 2     # swept at 1060: wait
    assert t.tick(1125) == "sequence state: expired=2 evicted=0 slots=0 cap=131072 idle=30"
    assert t.tick(1200) is None                      # nothing new: no line


def test_eviction_counted_in_the_tick_line():
    t = cseq.SequenceTable(max_exporters=16, idle=3600)
    for ip in range(100):
        t.check(ip, 0, hdr(), now=ip)
    assert len(t) <= 32 and t.evicted == 200 - len(t) and t.expired == 0
    t.tick(0)
    assert t.tick(100) == ("sequence state: expired=0 evicted=%d slots=%d cap=32 idle=3600"
                           % (t.evicted, len(t)))
    # the newest exporters survived; the oldest went first
    assert 99 in {k[0] for k in keys(t)} and 0 not in {k[0] for k in keys(t)}


def _rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_spoofed_exporters_stay_bounded():
    """300,000 distinct exporter addresses through the receive kernel (one C
    call a batch, as the collectors do): the table stops at its cap, the
    rest is evicted and counted, and the process grows by about the table's
    size at the cap, not by the exporters heard."""
    rx = pdu.Receiver(tracker=pdu.SequenceTracker())
    t = rx.tracker
    dg = v5()
    batch = 20000
    buf = dg * batch
    lens = array.array("I", [len(dg)]) * batch
    rx.feed(buf, lens, array.array("I", range(1, batch + 1)), now=1)   # warm up the buffers
    rss0 = _rss()
    heard = batch
    while heard < 300000:
        src = array.array("I", range(heard + 1, heard + batch + 1))
        res = rx.feed(buf, lens, src, now=1 + heard // batch)
        assert res.accepted == batch
        heard += batch
    grown = _rss() - rss0
    limit = 2 * cseq.MAX_EXPORTERS
    assert len(t) <= limit and t.table.used == len(t)
    assert t.evicted == 2 * heard - len(t) and t.expired == 0
    assert t.capacity == table.cap_for(limit)
    at_cap = t.tab.nbytes                            # 262144 slots of 64 bytes: 16 MiB
    assert at_cap == table.cap_for(limit) * 64
    # unbounded, 600,000 slots would take a 64 MiB table (and 80 MiB while it grows);
    # under make asan the process size says nothing (ASan's allocator keeps freed
    # blocks, its quarantine): the table's size above is the check there
    if not harness.SANITIZED:
        assert grown < at_cap + (8 << 20), (grown, at_cap)
    # the most recent exporters are there, the first ones gone
    assert t.exporter(heard, 0, 5) is not None and t.exporter(1, 0, 5) is None
