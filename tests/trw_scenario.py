"""A small scenario generator "made the same way" as
samples/enterprise-trw: an enterprise block, normal clients talking to the
outside (TCP connections answered, DNS queries answered, now and then a
dead server), slow scanners far under any fixed SYN-only threshold (TCP
SYN-only probes, some refused by RST/ACK, one answered; a UDP sweeper; an
outside scanner), and benign hosts that look noisy to a careless detector
(a busy server answering many clients, a peer-to-peer client with
scattered failures, a poller retrying one dead address, a laptop waking up
with three failed contacts among many good ones).

As softflowd exports them, both directions of a conversation carry the same
start and end times, and records are not in time order (shuffled within
windows of a minute).

    recs, labels = generate(seed)     # v5 record dicts (tests/oracle.py), and
    labels = {"local": (net, len), "expected": [...], "must_not_flag": [...]}
"""
import random

import oracle

TCP, UDP, ICMP = 6, 17, 1
T0 = 1100000000                 # unix seconds of the scenario's start
UPTIME = 3600000                # sysUptime of every record, ms
SPAN = 1200 * 1000              # 20 minutes, ms


def _rec(src, dst, sp, dp, prot, flags, start, dur=0, pkts=1, octets=60):
    return oracle.record(unix_secs=T0, unix_nsecs=0, sysUpTime=UPTIME, First=start,
                         Last=start + dur, srcaddr=src, dstaddr=dst, srcport=sp,
                         dstport=dp, prot=prot, tcp_flags=flags, dPkts=pkts,
                         dOctets=octets)


class _Gen:
    def __init__(self, seed, net):
        self.rnd = random.Random(seed)
        self.net = net
        self.recs = []
        self.ports = 20000

    def inside(self):
        return self.net | self.rnd.randrange(256, 65000)

    def outside(self):
        while True:
            a = self.rnd.randrange(1 << 24, 223 << 24)
            if a >> 16 != self.net >> 16 and a >> 24 not in (10, 127):
                return a

    def eport(self):
        self.ports = 20000 + (self.ports + 7) % 40000
        return self.ports

    def when(self, lo=0, hi=SPAN - 5000):
        return self.rnd.randrange(lo, hi)

    # conversations ------------------------------------------------------
    def tcp_ok(self, a, b, dport, t):
        sp, d = self.eport(), self.rnd.randrange(20, 3000)
        self.recs += [_rec(a, b, sp, dport, TCP, 0x1B, t, d, 8, 900),
                      _rec(b, a, dport, sp, TCP, 0x1B, t, d, 7, 4000)]

    def tcp_dead(self, a, b, dport, t, rst=False):
        sp = self.eport()
        self.recs.append(_rec(a, b, sp, dport, TCP, 0x02, t, 3000, 3, 180))
        if rst:
            self.recs.append(_rec(b, a, dport, sp, TCP, 0x14, t, 0, 1, 40))

    def udp(self, a, b, dport, t, answered):
        sp = self.eport()
        self.recs.append(_rec(a, b, sp, dport, UDP, 0, t, 5, 1, 70))
        if answered:
            self.recs.append(_rec(b, a, dport, sp, UDP, 0, t, 5, 1, 200))


def generate(seed=1):
    """(records, labels) of one scenario."""
    rnd = random.Random(seed)
    net = (rnd.randrange(11, 200) << 24) | (rnd.randrange(0, 256) << 16)
    g = _Gen(seed, net)
    servers = [g.outside() for _ in range(60)]
    resolver = net | 0x010A
    # normal clients: web and DNS, rarely a dead server (never 3 in a row)
    for _ in range(40):
        c = g.inside()
        for k in range(rnd.randrange(8, 25)):
            t = g.when()
            s = rnd.choice(servers)
            if k % 9 == 4:
                g.tcp_dead(c, g.outside(), 80, t)
            else:
                g.tcp_ok(c, s, rnd.choice((80, 443)), t)
            g.udp(c, resolver, 53, t, True)
    expected, must_not = [], []
    # slow internal TCP scanners: a probe every 60-110 s, some refused, one
    # answered, amid a little normal traffic
    for port in (3306, 22):
        sc = g.inside()
        expected.append(sc)
        t = g.when(0, 60000)
        for k in range(rnd.randrange(9, 15)):
            target = g.outside()
            if k == 5:
                g.tcp_ok(sc, target, port, t)
            else:
                g.tcp_dead(sc, target, port, t, rst=k % 4 == 1)
            t += rnd.randrange(60000, 110000)
        for _ in range(3):
            g.tcp_ok(sc, rnd.choice(servers), 80, g.when())
    # a slow UDP sweeper (SNMP): never answered
    sw = g.inside()
    expected.append(sw)
    t = g.when(0, 60000)
    for _ in range(10):
        g.udp(sw, g.outside(), 161, t, False)
        t += rnd.randrange(80000, 110000)
    # an outside slow telnet scanner
    ext = g.outside()
    expected.append(ext)
    t = g.when(0, 60000)
    for k in range(12):
        g.tcp_dead(ext, g.inside(), 23, t, rst=k % 3 == 0)
        t += rnd.randrange(70000, 95000)
    # benign: a busy server answering many clients (SYN/ACK flows)
    busy = net | 0x0154
    must_not.append(busy)
    for _ in range(150):
        g.tcp_ok(g.outside(), busy, 443, g.when())
    # benign: a peer-to-peer client, one failure after every three successes
    p2p = g.inside()
    must_not.append(p2p)
    t = g.when(0, 60000)
    for k in range(60):
        if k % 4 == 3:
            g.tcp_dead(p2p, g.outside(), 6881, t)
        else:
            g.udp(p2p, g.outside(), rnd.randrange(1024, 65000), t, True)
        t += rnd.randrange(5000, 15000)
    # benign: a poller retrying one dead address (one first contact)
    poller = g.inside()
    must_not.append(poller)
    dead = g.outside()
    for k in range(30):
        g.tcp_dead(poller, dead, 8080, k * 30000 + 1000)
    for _ in range(6):
        g.tcp_ok(poller, rnd.choice(servers), 80, g.when())
    # benign: a laptop waking up: three failures, then good contacts
    lap = g.inside()
    must_not.append(lap)
    t = g.when(0, 600000)
    for k in range(3):
        g.tcp_dead(lap, g.outside(), 443, t + k * 200)
    for k in range(12):
        g.tcp_ok(lap, g.outside(), 443, t + 1000 + k * 3000)
    # not time ordered: shuffled within minute windows (as an exporter's
    # expiry order mixes them)
    g.recs.sort(key=lambda r: r["First"] // 60000)
    out = []
    for k in range(0, len(g.recs), 50):
        chunk = g.recs[k:k + 50]
        rnd.shuffle(chunk)
        out += chunk
    return out, {"local": (net, 16), "expected": expected, "must_not_flag": must_not}
