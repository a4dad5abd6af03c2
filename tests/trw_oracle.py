"""A plain Python Threshold Random Walk (Jung, Paxson, Berger,
Balakrishnan 2004) over v5 or v1006 record dicts, written from the rule
text of samples/enterprise-trw/labels.json (trw_scanners) and man flow-trw:
the oracle of flow-trw's C walk.  It never imports pyflowtools.

On v1006 records (those with srcaddr6_0) every address is the 128-bit
int of its four words and the local prefixes are 128-bit (net, len);
ICMPv6 (protocol 58) echo requests (type 128, dstport 0x8000) are attempts
and echo replies (129, 0x8100) answers, like ICMP's 8 and 0.

    first contacts   per source, the earliest attempt (start, then file
                     order) to each destination; attempts are TCP with SYN,
                     UDP, ICMP echo requests (dstport 2048), from a local
                     source, or from anywhere to a local destination;
    outcome          success when the TCP flow has ACK, or some answer from
                     the destination with the ports swapped (TCP SYN+ACK,
                     UDP; for ICMP an echo reply, dstport 0) overlaps it in
                     time; failure otherwise;
    walk             lambda from 1, times theta1/theta0 on a success and
                     (1-theta1)/(1-theta0) on a failure; >= eta1: scanner
                     (final); <= eta0: benign, lambda back to 1.
"""
from collections import namedtuple

SYN, ACK = 0x02, 0x10
TCP, UDP, ICMP, ICMP6 = 6, 17, 1, 58
ECHO = {ICMP: 0x0800, ICMP6: 0x8000}
ECHO_REPLY = {ICMP: 0, ICMP6: 0x8100}

Walked = namedtuple("Walked", "contacts failures successes benign flagged flagged_at "
                              "to_flag fail_to_flag")


def ms(r, field):
    return r["unix_secs"] * 1000 + r["unix_nsecs"] // 1000000 - r["sysUpTime"] + r[field]


def address(r, name):
    """Address `name` of record r: 32-bit, or 128-bit on v1006."""
    if name + "6_0" not in r:
        return r[name]
    return ((r[name + "6_0"] << 96) | (r[name + "6_1"] << 64) | (r[name + "6_2"] << 32)
            | r[name])


def is_local(a, local, bits=32):
    """local: [(net, len)] of `bits`-bit addresses, or None (everything local)."""
    if local is None:
        return True
    return any(a >> (bits - n) == net >> (bits - n) for net, n in local)


def factors(theta0, theta1, alpha, beta):
    """(success factor, failure factor, eta1, eta0) -- computed as flow-trw
    computes them (the same float operations)."""
    return (theta1 / theta0, (1.0 - theta1) / (1.0 - theta0), beta / alpha,
            (1.0 - beta) / (1.0 - alpha))


def first_contacts(records, local=None):
    """{(src, dst): (start, index, record)} and the answers [(from, to,
    srcport, dstport, prot, start, end)]."""
    first, answers = {}, []
    for i, r in enumerate(records):
        src, dst, prot, fl, dp = (address(r, "srcaddr"), address(r, "dstaddr"), r["prot"],
                                  r["tcp_flags"], r["dstport"])
        bits = 128 if "srcaddr6_0" in r else 32
        if not (is_local(src, local, bits) or is_local(dst, local, bits)):
            continue
        attempt = (prot == TCP and fl & SYN) or prot == UDP or ECHO.get(prot) == dp
        answer = ((prot == TCP and fl & (SYN | ACK) == SYN | ACK) or prot == UDP
                  or ECHO_REPLY.get(prot) == dp)
        start = ms(r, "First")
        end = max(ms(r, "Last"), start)
        if attempt:
            k = (src, dst)
            if k not in first or start < first[k][0]:
                first[k] = (start, i, r)
        if answer:
            sp, dport = (0, 0) if prot in ECHO else (r["srcport"], dp)
            answers.append((src, dst, sp, dport, prot, start, end))
    return first, answers


def outcome(r, answers_by_key):
    """True for a success."""
    if r["prot"] == TCP and r["tcp_flags"] & ACK:
        return True
    start = ms(r, "First")
    end = max(ms(r, "Last"), start)
    src, dst = address(r, "srcaddr"), address(r, "dstaddr")
    if r["prot"] in ECHO:
        key = (dst, src, 0, 0, r["prot"])
    else:
        key = (dst, src, r["dstport"], r["srcport"], r["prot"])
    return any(a_start <= end and a_end >= start for a_start, a_end in answers_by_key.get(key, ()))


def walk(records, local=None, theta0=0.8, theta1=0.2, alpha=0.01, beta=0.99):
    """{source: Walked} of every source with a first contact."""
    fs, ff, eta1, eta0 = factors(theta0, theta1, alpha, beta)
    first, answers = first_contacts(records, local)
    by_key = {}
    for a in answers:
        by_key.setdefault(a[:5], []).append(a[5:])
    per_src = {}
    for (src, _dst), (start, i, r) in first.items():
        per_src.setdefault(src, []).append((start, i, outcome(r, by_key)))
    out = {}
    for src, seq in per_src.items():
        seq.sort()
        lam, benign, flagged, at, walked, failed, to_flag, fail_to_flag = \
            1.0, 0, False, 0, 0, 0, 0, 0
        for start, _i, ok in seq:
            walked += 1
            if ok:
                lam *= fs
            else:
                failed += 1
                lam *= ff
            if lam >= eta1:
                flagged, at, to_flag, fail_to_flag = True, start, walked, failed
                break
            if lam <= eta0:
                benign += 1
                lam = 1.0
        fails = sum(1 for _s, _i, ok in seq if not ok)
        out[src] = Walked(len(seq), fails, len(seq) - fails, benign, flagged, at, to_flag,
                          fail_to_flag)
    return out
