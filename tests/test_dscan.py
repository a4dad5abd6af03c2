"""flow-dscan's detector (csrc/dscan.c through core/dscan.py) against a plain
Python evaluation of commands.md 8.12 and 17: filters, suppress lists (and
the .dst lookup in the source's bucket), trigger dumps, host and port
scans, the ager, the state file, its reload; the reference's garbled dates;
table growth and text-buffer refills; the suppress and state file parsers."""
import collections
import io
import random
import time

import pytest
from hypothesis import given, strategies as st

import oracle
from pyflowtools.core import dscan as cdscan
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.core.native import ffi, lib
from pyflowtools.filters import lists
from pyflowtools.io import stream
from pyflowtools.report import dscan

BUCKETS = 65536
HEADER = ("Start             End                Sif SrcIPaddress      SrcP  DIf DstIPaddress"
          "      DstP   P Fl       Pkts     Octets")


def ip(a):
    return "%d.%d.%d.%d" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255)


def bucket(a):
    return (a >> 16) ^ (a & 0xFFFF)


# ---- the oracle: the documented rules, record by record --------------------

class Oracle:
    def __init__(self, D=200, S=64, t=90000, m=False, w=False, W=False, O=0, P=0, T=0,  # noqa: E741 (the option letters)
                 iif=None, oif=None, sup_src=(), sup_dst=(), debug=False, garble=True):
        self.D, self.S, self.t = D, S, t
        self.m, self.w, self.W, self.O, self.P, self.T = m, w, W, O, P, T
        self.iif, self.oif = iif, oif
        self.sup_src, self.sup_dst = set(sup_src), set(sup_dst)
        self.debug, self.garble = debug, garble
        self.sources = {}       # src -> [depth, flags, OrderedDict(dst -> [seen, set(ports)])]
        self.chains = collections.defaultdict(list)     # bucket -> sources, newest first
        self.flows = 0
        self.pos = 0
        self.header = False
        self.lines = []

    def when(self, r, field):
        ms = r["unix_secs"] * 1000 + r["unix_nsecs"] // 1000000 - r["sysUpTime"] + r[field]
        ms %= 1 << 64
        secs, msec = ms // 1000 % (1 << 32), ms % 1000
        t = time.localtime(secs | msec << 32 if self.garble else secs)
        return secs, "%02d%02d.%02d:%02d:%02d.%-3d " % (t.tm_mon, t.tm_mday, t.tm_hour,
                                                         t.tm_min, t.tm_sec, msec)

    def dump(self, r):
        if not self.header:
            self.lines.append(HEADER)
            self.header = True
        self.lines.append(self.when(r, "First")[1])
        self.lines.append(self.when(r, "Last")[1])
        self.lines.append("%4d %-15.15s %6d %4d %-15.15s %6d %3d %2d %10d %10d" % (
            r["input"], ip(r["srcaddr"]), r["srcport"], r["output"], ip(r["dstaddr"]),
            r["dstport"], r["prot"], r["tcp_flags"] & 7, r["dPkts"], r["dOctets"]))

    def new_source(self, s, depth=0, flags=0):
        self.sources[s] = [depth, flags, collections.OrderedDict()]
        self.chains[bucket(s)].insert(0, s)

    def ager(self):
        for _ in range(500):
            for s in list(self.chains[self.pos]):
                rec = self.sources[s]
                for d, (seen, _p) in list(rec[2].items()):
                    if (self.flows - seen) % (1 << 32) > self.t:
                        del rec[2][d]
                        rec[0] = max(rec[0] - 1, 0)
                if rec[0] == 0:
                    del self.sources[s]
                    self.chains[self.pos].remove(s)
            self.pos += 1
            if self.pos == BUCKETS:
                self.pos = 0
                if self.debug:
                    self.lines.append("ager: reset hash run")
                return

    def add(self, r):
        s, d, prot = r["srcaddr"], r["dstaddr"], r["prot"]
        sp, dp = r["srcport"], r["dstport"]
        if self.iif is not None and r["input"] not in self.iif:
            return
        if self.oif is not None and r["output"] not in self.oif:
            return
        if self.m and (s >> 28 == 14 or d >> 28 == 14):
            return
        if self.w and prot == 6 and sp == 80 and dp > 1023:
            return
        if self.W and prot == 6 and dp == 80 and sp > 1023:
            return
        if s in self.sup_src or (d in self.sup_dst and bucket(s) == bucket(d)):
            return
        if self.O and r["dOctets"] > self.O:
            self.dump(r)
        if self.P and r["dPkts"] > self.P:
            self.dump(r)
        if self.T and (r["Last"] - r["First"]) % (1 << 32) > self.T:
            self.dump(r)
        self.flows += 1
        if self.t and self.flows % 1000 == 0:
            self.ager()
        rec = self.sources.get(s)
        if rec is None:
            self.new_source(s, 1)
            self.sources[s][2][d] = [self.flows, {dp} if dp < 1024 else set()]
            return
        if rec[1]:
            return
        dst = rec[2].get(d)
        if dst is not None:
            dst[0] = self.flows
            if dp < 1024:
                dst[1].add(dp)
                if len(dst[1]) >= self.S:
                    secs, text = self.when(r, "First")
                    self.lines.append("port scan: src=%s dst=%s ts=%d start=%s"
                                      % (ip(s), ip(d), secs, text))
                    dst[1].clear()
                    rec[1] |= 2
        elif rec[0] >= self.D:
            secs, text = self.when(r, "First")
            self.lines.append("host scan: ip=%s ts=%d start=%s" % (ip(s), secs, text))
            rec[2].clear()
            rec[0] = 0
            rec[1] |= 1
        else:
            rec[2][d] = [self.flows, {dp} if dp < 1024 else set()]
            rec[0] += 1

    def state(self):
        out = []
        for b in sorted(self.chains):
            for s in self.chains[b]:
                depth, flags, dsts = self.sources[s]
                out.append("H %d %d %d %s" % (b, depth, flags, ip(s)))
                for d, (seen, ports) in dsts.items():
                    out.append("I  %d %s" % (seen % (1 << 32), ip(d)))
                    if ports:
                        out.append("P %d %s" % (len(ports), " ".join(map(str, sorted(ports)))))
        return "\n".join(out + ["."]) + "\n"


# ---- running the C detector ------------------------------------------------

def rec(**kw):
    r = dict.fromkeys(oracle.fields("5"), 0)
    r.update(unix_secs=1700000000, sysUpTime=1000, First=500, Last=900, prot=6)
    r.update(kw)
    return r


def batches(recs, version="5", per_batch=None):
    h = {"d_version": int(version), "flags": oracle.HF_STREAMING}
    data = oracle.write_stream(h, recs, "little", 0)
    rd = stream.reader(io.BytesIO(data), batch_records=per_batch or max(len(recs), 1))
    return [b.copy() for b in rd]


def detector(o, **kw):
    ifs = [None if v is None else bytes(lists.bitmap_of(",".join(map(str, sorted(v)) or "!0-65535")))
           for v in (o.iif, o.oif)]
    det = cdscan.Detector(o.D, o.S, o.t, o.m, o.w, o.W, o.O, o.P, o.T, ifs[0], ifs[1],
                          debug=o.debug, garble=o.garble, **kw)
    det.suppress(o.sup_src, o.sup_dst)
    return det


def run_c(o, recs, version="5", per_batch=None, **kw):
    det = detector(o, **kw)
    out = []
    for b in batches(recs, version, per_batch):
        det.add(b, out.append)
    return det, b"".join(out).decode()


def state_text(det):
    out = []
    det.save(out.append)
    return b"".join(out).decode()


def check(o, recs, version="5", per_batch=None, **kw):
    for r in recs:
        o.add(r)
    det, text = run_c(o, recs, version, per_batch, **kw)
    assert text == "".join(line + "\n" for line in o.lines)
    assert state_text(det) == o.state()
    assert det.flows == o.flows
    return det


# ---- examples from commands.md ----------------------------------------------

@pytest.fixture(autouse=True)
def utc(tz):
    tz("UTC")


def test_host_scan_fires_on_the_depth_plus_first_destination():
    recs = [rec(srcaddr=0x0A000001, dstaddr=0x0B000000 + i, dstport=22) for i in range(6)]
    o = Oracle(D=5)
    check(o, recs)
    assert len(o.lines) == 1 and o.lines[0].startswith("host scan: ip=10.0.0.1 ts=1699999999 ")


def test_garbled_and_plain_dates():
    # 1700000252.500: the reference prints the 64-bit value secs + 500 << 32
    r = rec(unix_secs=1700000252, unix_nsecs=500000000, sysUpTime=0, First=0)
    o = Oracle(D=0)
    recs = [r, dict(r, dstaddr=1)]
    check(o, recs)
    assert o.lines == ["host scan: ip=0.0.0.0 ts=1700000252 start=1201.17:50:52.500 "]
    o = Oracle(D=0, garble=False)
    check(o, recs)
    assert o.lines == ["host scan: ip=0.0.0.0 ts=1700000252 start=1114.22:17:32.500 "]


def test_port_scan_and_state_example():
    # commands.md 17: ports 1, 17, ..., 1009 to one host, -S 200
    recs = [rec(srcaddr=0x09090909, dstaddr=0x08080808, dstport=p) for p in range(1, 1024, 16)]
    o = Oracle(S=200)
    det = check(o, recs)
    text = state_text(det)
    assert text.startswith("H 0 1 0 9.9.9.9\nI  64 8.8.8.8\nP 64 1 17 33 ")
    assert text.endswith(" 1009\n.\n")
    o = Oracle(S=10)
    check(o, recs)
    assert [x[:40] for x in o.lines] == ["port scan: src=9.9.9.9 dst=8.8.8.8 ts=16"]


def test_trigger_dump_lines():
    r = rec(input=7, srcaddr=0x04040404, srcport=1, output=8, dstaddr=0x05050505, dstport=2,
            prot=17, tcp_flags=0xFF, dPkts=100, dOctets=999999)
    o = Oracle(O=5, P=5, T=5)
    check(o, [r])
    assert o.lines[0] == HEADER and len(o.lines) == 10
    assert o.lines[3] == ("   7 4.4.4.4              1    8 5.5.5.5              2  17  7"
                          "        100     999999")


def test_dst_suppress_uses_the_source_bucket():
    s = 0x0A000001
    other = 0x0B00000B
    assert bucket(s) != bucket(0x0B000001)
    d_same = (bucket(s) ^ 0x1234) << 16 | 0x1234     # hashes like s
    assert bucket(d_same) == bucket(s)
    recs = [rec(srcaddr=s, dstaddr=d, dPkts=9) for d in (d_same, 0x0B000001, other)]
    o = Oracle(P=1, sup_dst=[d_same, 0x0B000001])
    check(o, recs)
    assert len(o.lines) == 1 + 2 * 3    # the d_same flow alone is suppressed


def test_ager_reset_line_after_a_full_pass():
    recs = [rec(srcaddr=1, dstaddr=2)] * 1000
    o = Oracle(t=1, debug=True)
    det = detector(o)
    out = []
    b = batches(recs)[0]
    for _ in range(132):
        det.add(b, out.append)
        assert (b"ager: reset hash run" in b"".join(out)) == (det.flows >= 132000)
    assert b"".join(out) == b"ager: reset hash run\n"


def test_ager_many_buckets_long_chains():
    """The ager walks several buckets at once (csrc/dscan.c): many buckets
    each chaining several sources of several destinations, aged partly
    (sources removed at the head, inside and at the end of a chain,
    destinations inside lists), and a table growing in between: the same
    reports and state as one bucket after the other."""
    rnd = random.Random(11)
    recs = []
    for k in range(24000):
        # one of three sources sharing a bucket the ager (500 buckets every
        # 1000 flows) visited lately or reaches within 4000 flows; every
        # other record from a bucket of every 40th (busy sources: long
        # destination lists, aged in the middle)
        b = k // 2 + rnd.randrange(-1000, 2000)
        b = (b // 40 * 40 if k % 2 else b) % BUCKETS
        hi = rnd.choice((0x0A00, 0x0A01, 0x0C07))
        recs.append(rec(srcaddr=hi << 16 | (hi ^ b), dstaddr=0x0B000000 + rnd.randrange(7),
                        dstport=rnd.randrange(1100)))
    det = check(Oracle(D=8, S=40, t=800), recs, per_batch=1000)
    assert det.src.cap > 4096 and det.dst.cap > 4096


def test_text_buffer_refills_and_tables_grow():
    rnd = random.Random(7)
    recs = [rec(srcaddr=rnd.randrange(1 << 32), dstaddr=rnd.randrange(1 << 32),
                dstport=rnd.randrange(2048), dPkts=2) for _ in range(6000)]
    o = Oracle(P=1)
    det = check(o, recs, text_cap=1)
    assert det.src.cap > 4096 and det.dst.cap > 4096


def test_versions_and_refused_types():
    for v in ("1", "6", "7"):
        r = dict.fromkeys(oracle.fields(v), 0)
        r.update(srcaddr=1, dstaddr=2, dstport=80, prot=6, unix_secs=1700000000)
        o = Oracle(D=0)
        check(o, [r, dict(r, dstaddr=3)], version=v)
        assert len(o.lines) == 1
    det = cdscan.Detector()
    b = batches([rec()], "5")[0]
    b.rectype = lib.ftc_rectype(1005, 0)
    with pytest.raises(FlowToolsError):
        det.add(b, print)


def test_state_reload_round_trip(tmp_path):
    rnd = random.Random(3)
    recs = [rec(srcaddr=rnd.randrange(4), dstaddr=rnd.randrange(40), dstport=rnd.randrange(1100))
            for _ in range(400)]
    o = Oracle(D=8, S=5)
    det = check(o, recs)
    path = tmp_path / "state"
    dscan.save_state(det, str(path))
    text = path.read_text()
    again = detector(Oracle(D=8, S=5))
    dscan.load_state(again, str(path))
    # each bucket's sources come back newest first as loaded: reversed once
    o2 = Oracle(D=8, S=5)
    for line in text.splitlines():
        w = line.split()
        if w[0] == "H":
            src = w[4].split(".")
            s = int(src[0]) << 24 | int(src[1]) << 16 | int(src[2]) << 8 | int(src[3])
            o2.new_source(s, int(w[2]), int(w[3]))
        elif w[0] == "I":
            d = [int(x) for x in w[2].split(".")]
            o2.sources[s][2][d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3]] = [int(w[1]), set()]
            last = o2.sources[s][2][d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3]]
        elif w[0] == "P":
            last[1].update(int(p) for p in w[2:])
    assert state_text(again) == o2.state()
    more = recs[:100]
    for r in more:
        o2.add(r)
    out = []
    for b in batches(more):
        again.add(b, out.append)
    assert b"".join(out).decode() == "".join(x + "\n" for x in o2.lines)
    assert state_text(again) == o2.state()


@pytest.mark.parametrize("text,msg", [
    ("1.2.3.4 6 80\n", "suppress parser: syntax error: 1.2.3.4 6 80\n"),
    ("1.2.3.4 6 - -\n 1.2.3.4 - - -\n", "suppress parser: dup ip:  1.2.3.4 - - -\n"),
    ("-1.2.3.4 - - -\n", "suppress parser: no src ip wildcard"),
])
def test_suppress_errors(tmp_path, text, msg):
    p = tmp_path / "s.src"
    p.write_text(text)
    with pytest.raises(FlowToolsError) as e:
        dscan.load_suppress(str(p))
    assert str(e.value) == msg


def test_suppress_file(tmp_path):
    p = tmp_path / "s.src"
    p.write_text("# comment\n\n   \n  10.1 17 9999 9999\n192.0.2.1 - - -")
    assert dscan.load_suppress(str(p)) == {0x0A010000, 0xC0000201}
    with pytest.raises(FlowToolsError, match=r"^fopen\(.*nope\): failed$"):
        dscan.load_suppress(str(tmp_path / "nope"))


@pytest.mark.parametrize("text", ["H 1 2\n", "I  5 1.2.3.4\n", "H 0 1 7 1.2.3.4\n",
                                  "H 0 1 0 1.2.3.4\nI  1 2.2.2.2\nP 2 80\n",
                                  "H 0 1 0 1.2.3.4\nH 0 1 0 1.2.3.4\n"])
def test_bad_state_files(tmp_path, text):
    p = tmp_path / "st"
    p.write_text(text)
    with pytest.raises(FlowToolsError, match="bad state line"):
        dscan.load_state(detector(Oracle()), str(p))


# ---- properties ------------------------------------------------------------

@st.composite
def scenarios(draw):
    seed = draw(st.integers(0, 1 << 32))
    n = draw(st.sampled_from([0, 1, 30, 300, 2500, 2500]))
    opts = dict(D=draw(st.sampled_from([0, 1, 2, 6, 50])), S=draw(st.integers(0, 6)),
                t=draw(st.sampled_from([0, 1, 3, 50, 90000])), m=draw(st.booleans()),
                w=draw(st.booleans()), W=draw(st.booleans()),
                O=draw(st.sampled_from([0, 100, 5000])), P=draw(st.sampled_from([0, 3])),
                T=draw(st.sampled_from([0, 200])), garble=draw(st.booleans()))
    rnd = random.Random(seed)
    # sources in the first buckets (the ager reaches them), a multicast one,
    # destinations sharing their bucket now and then (.dst suppression)
    sources = [(hi << 16) | (hi ^ b) for hi, b in ((0x0A00, 3), (0x0A01, 700), (0xC0A8, 1100),
                                                  (0xE000, 20), (0x0B00, 40000))]
    dests = [0x0B000000 + i for i in range(12)] + [0xE0000001, (0x0A00 << 16) | 0x0A03]
    if draw(st.booleans()):
        opts["iif"] = {0, 2}
    if draw(st.booleans()):
        opts["oif"] = {1}
    if draw(st.booleans()):
        opts["sup_src"] = [sources[1]]
        opts["sup_dst"] = [dests[-1], dests[0]]
    recs = []
    for _ in range(n):
        recs.append(rec(srcaddr=rnd.choice(sources), dstaddr=rnd.choice(dests),
                        srcport=rnd.choice([80, 1024, 5000, 22]),
                        dstport=rnd.choice([80, 22, 443, 1023, 1024, 8080, rnd.randrange(1024)]),
                        prot=rnd.choice([6, 17, 1]), input=rnd.randrange(3),
                        output=rnd.randrange(3), tcp_flags=rnd.randrange(256),
                        dPkts=rnd.randrange(6), dOctets=rnd.randrange(10000),
                        unix_secs=1700000000 + rnd.randrange(100),
                        unix_nsecs=rnd.randrange(1000000000), sysUpTime=rnd.randrange(10 ** 6),
                        First=rnd.randrange(10 ** 6), Last=rnd.randrange(10 ** 6)))
    return opts, recs, draw(st.sampled_from([None, 1, 7, 512]))


@given(scenarios())
def test_detector_equals_the_rules(case):
    opts, recs, per_batch = case
    check(Oracle(**opts), recs, per_batch=per_batch)


def test_entry_points_refuse_bad_arguments():
    det = cdscan.Detector()
    done, ln = ffi.new("size_t *"), ffi.new("size_t *")
    buf = ffi.new("char[]", 1 << 16)
    b = batches([rec()])[0]
    assert lib.ftc_dscan_add(det.st, det.src.t, det.dst.t, b.rectype, b.ptr, 2, len(b.buf),
                             done, ffi.NULL, 0, buf, 1 << 16, ln) == lib.FTC_EINVAL
    assert lib.ftc_dscan_add(det.st, det.dst.t, det.src.t, b.rectype, b.ptr, 1, len(b.buf),
                             done, ffi.NULL, 0, buf, 1 << 16, ln) == lib.FTC_EINVAL
    det.st.ager_pos = BUCKETS
    assert lib.ftc_dscan_add(det.st, det.src.t, det.dst.t, b.rectype, b.ptr, 1, len(b.buf),
                             done, ffi.NULL, 0, buf, 1 << 16, ln) == lib.FTC_EINVAL
    det.st.ager_pos = 0
    assert lib.ftc_dscan_put_src(det.st, det.src.t, 5, 0, 9) == lib.FTC_EINVAL
    ports = ffi.new("uint32_t[32]")
    assert lib.ftc_dscan_put_dst(det.st, det.src.t, det.dst.t, 5, 6, 0, ports) == lib.FTC_EINVAL
