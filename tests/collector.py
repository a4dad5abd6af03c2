"""Helpers for the collector tests: a flow-capture / flow-receive process
on 127.0.0.1, readiness and drain checks, pcap writing, record making.
Every process started here is stopped by its handle (context manager)."""
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness
import oracle

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / "bin"
LOCAL = 0x7F000001


def env():
    e = dict(os.environ, TZ="UTC", LC_ALL="C", PYTHONPATH=str(REPO))
    e.pop("PYFLOWTOOLS_TRACEBACK", None)
    return e


def free_port():
    """A UDP port free now, outside the kernel's ephemeral range (so no
    sender socket is given it before the collector binds it)."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free UDP port")


def _udp_sockets():
    """(local port, rx queue bytes, inode) of every UDP socket, from /proc/net/udp{,6}."""
    for name in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            f = ln.split()
            yield int(f[1].split(":")[1], 16), int(f[4].split(":")[1], 16), int(f[9])


def _socket_inodes(pid):
    """Inodes of the sockets process pid holds open (empty once it is gone)."""
    out = set()
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return out
    for fd in fds:
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            out.add(int(link[8:-1]))
    return out


def port_bound(port, pid=None):
    """True once some socket holds UDP port (with pid: a socket of that
    process, so a stranger on the port -- say an IPv6 socket, which a v4
    probe in free_port() does not meet -- never passes for the collector).
    Read from /proc, never by binding a probe: a probe socket holding the
    port for an instant makes the collector's own bind fail (EADDRINUSE)
    when the two meet."""
    inodes = [i for p, _, i in _udp_sockets() if p == port]
    if pid is None or not inodes:
        return bool(inodes)
    return bool(_socket_inodes(pid).intersection(inodes))


def ipv6_loopback():
    """True if ::1 can be bound (the machine has IPv6)."""
    if not socket.has_ipv6:
        return False
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("::1", 0))
        except OSError:
            return False
        return True


def rx_queue(port):
    """Bytes waiting in the receive queue of the UDP socket on port (0 if none)."""
    return sum(q for p, q, _ in _udp_sockets() if p == port)


def wait_for(cond, timeout=20.0, step=0.02):
    """Poll cond() until it is true (returns True) or timeout seconds (scaled by
    harness.SLOW) pass."""
    end = time.time() + harness.ceiling(timeout)
    while not cond():
        if time.time() > end:
            return False
        time.sleep(step)
    return True


def wait_drained(port, timeout=20.0, settle=0.05):
    """True once the receive queue of the UDP socket on port is empty (and
    still is `settle` seconds later: loopback datagrams handed to softirq
    processing have reached it); timeout is scaled by harness.SLOW."""
    end = time.time() + harness.ceiling(timeout)
    while time.time() < end:
        if rx_queue(port) == 0:
            time.sleep(settle)
            if rx_queue(port) == 0:
                return True
        time.sleep(0.01)
    return False


class Clock:
    """A daemon's clock (util/clock.py's $PYFLOWTOOLS_TEST_CLOCK): seconds
    added to the real time, written to a file the daemon reads."""

    def __init__(self, path):
        self.path = Path(path)
        self.offset = 0.0
        self.path.write_text("0")

    def set(self, offset):
        self.offset = offset
        tmp = self.path.with_suffix(".new")
        tmp.write_text(repr(offset))
        os.replace(tmp, self.path)

    def advance(self, seconds):
        self.set(self.offset + seconds)

    def past_midnight(self):
        """Jump to one second past the next UTC midnight, a rotation boundary
        whatever -n is: the next one is 86400/(n+1) s away (15 minutes for the
        default), so a test that wants each collector to write one file is not
        split in two by the wall clock crossing a boundary while it runs."""
        now = time.time()
        self.set(86400 * (int(now) // 86400 + 1) + 1 - now)
        return self

    def now(self):
        return time.time() + self.offset


class Proc:
    """A collector command run in the foreground on 127.0.0.1:port; stderr
    goes to a file (log() reads it while the command runs).  wait=False:
    call ready() before sending."""

    def __init__(self, argv, port, stdout=None, cwd=None, host="127.0.0.1", clock=None,
                 wait=True):
        self.port = port
        self.host = host
        e = env()
        if clock is not None:
            e["PYFLOWTOOLS_TEST_CLOCK"] = str(clock.path)
        self.errf = tempfile.TemporaryFile()
        self.p = subprocess.Popen([sys.executable] + argv, env=e, cwd=cwd,
                                  stdin=subprocess.DEVNULL,
                                  stdout=stdout or subprocess.DEVNULL,
                                  stderr=self.errf)
        if wait:
            self.ready()

    def ready(self):
        end = time.time() + harness.ceiling(20)
        while not port_bound(self.port, self.p.pid):
            if self.p.poll() is not None or time.time() > end:
                raise AssertionError("collector did not start: %r" % self.log())
            time.sleep(0.01)
        return self

    def log(self):
        """stderr so far (text).  Read with pread: the file's offset is
        shared with the command's stderr (one open file description), so
        a seek(0) here made a line the command wrote before our read land
        at offset 0, over the first line (a third `SIGHUP` line written
        over the first one: the count stayed 2)."""
        fd = self.errf.fileno()
        size = os.fstat(fd).st_size
        data, pos = [], 0
        while pos < size:
            chunk = os.pread(fd, size - pos, pos)
            if not chunk:
                break
            data.append(chunk)
            pos += len(chunk)
        return b"".join(data).decode(errors="replace")

    def wait_log(self, text, count=1, timeout=20.0):
        """Wait until stderr holds `text` at least count times; returns the log."""
        if not wait_for(lambda: self.log().count(text) >= count, timeout):
            raise AssertionError("no %d x %r in the log: %r" % (count, text, self.log()))
        return self.log()

    def loop_passed(self):
        """Wait until flow-capture's main loop has gone round at least once
        more: two SIGHUPs, each logged at the top of the loop."""
        n = self.log().count("SIGHUP")
        for k in (1, 2):
            self.send_signal(signal.SIGHUP)
            self.wait_log("SIGHUP", n + k)

    def send_signal(self, sig):
        self.p.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Send sig, wait; returns (status, stderr text)."""
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            self.p.wait(timeout=harness.ceiling(timeout))
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise AssertionError("collector did not stop") from None
        return self.p.returncode, self.log()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def capture(workdir, port, *args, spec=None, host="127.0.0.1", clock=None, wait=True):
    argv = [str(BIN / "flow-capture"), "-D", "-w", str(workdir)] + list(args)
    argv.append(spec or "127.0.0.1/0/%d" % port)
    return Proc(argv, port, host=host, clock=clock, wait=wait)


def files(workdir, prefix="ft-"):
    return sorted(p for p in Path(workdir).rglob(prefix + "*") if p.is_file())


def read(path):
    return oracle.read_stream(Path(path).read_bytes())


# ---------------------------------------------------------------- pcap

def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_packet(src, dst, proto, payload, tos=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), 1, 0, 64, proto, 0,
                      struct.pack("!I", src), struct.pack("!I", dst))
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    return hdr + payload


def tcp(sport, dport, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 8192, 0, 0) + data


def udp_(sport, dport, data=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def icmp(type_, code, data=b""):
    return struct.pack("!BBHI", type_, code, 0, 0) + data


def ip6_packet(src, dst, next_header, payload, tclass=0, flow_label=0, hops=64):
    """An IPv6 packet (src, dst: text or 16 bytes)."""
    a = [x if isinstance(x, bytes) else socket.inet_pton(socket.AF_INET6, x) for x in (src, dst)]
    return struct.pack("!IHBB16s16s", 6 << 28 | tclass << 20 | flow_label, len(payload),
                       next_header, hops, a[0], a[1]) + payload


def icmp6(type_, code, data=b""):
    return struct.pack("!BBHI", type_, code, 0, 0) + data


def write_pcap(path, packets):
    """packets: [(time float, IPv4 or IPv6 packet bytes)] as Ethernet frames."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for t, ip in packets:
        ethertype = b"\x86\xdd" if ip[0] >> 4 == 6 else b"\x08\x00"
        frame = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + ethertype + ip
        sec = int(t)
        out.append(struct.pack("<IIII", sec, int(round((t - sec) * 1e6)), len(frame),
                               len(frame)) + frame)
    Path(path).write_bytes(b"".join(out))


# ---------------------------------------------------------------- real peers

def softflowd_export(pcap, version, pidfile, timeout=60):
    """The datagrams softflowd -6 sends for pcap (export version "9" or
    "10"), caught on a socket of ours, so that the very same export can go
    to several collectors."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        r = subprocess.run(["softflowd", "-6", "-r", str(pcap), "-n", "127.0.0.1:%d" % port,
                            "-v", version, "-d", "-p", str(pidfile)],
                           capture_output=True, timeout=harness.ceiling(timeout),
                           env=harness.peer_env())
        assert r.returncode == 0, r.stderr
        s.setblocking(False)
        out = []
        while True:
            while True:
                try:
                    out.append(s.recv(65535))
                except BlockingIOError:
                    break
            # softflowd has exited: what it sent is queued here, or about to be
            if wait_drained(port):
                try:
                    out.append(s.recv(65535))
                except BlockingIOError:
                    return out


def send_all(port, datagrams):
    """Send datagrams to 127.0.0.1:port from one socket (one exporter)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        for d in datagrams:
            s.sendto(d, ("127.0.0.1", port))


class Nfcapd:
    """nfdump's collector, nfcapd, on 127.0.0.1 (context manager); flows()
    stops it and returns what nfdump shows of its files (JSON records)."""

    def __init__(self, store):
        import shutil
        if not (shutil.which("nfcapd") and shutil.which("nfdump")):
            raise AssertionError("nfcapd/nfdump not installed")
        self.store = Path(store)
        self.store.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.p = subprocess.Popen(["nfcapd", "-w", str(self.store), "-p", str(self.port),
                                   "-b", "127.0.0.1", "-B", str(1 << 23)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  start_new_session=True, env=harness.peer_env())
        if not wait_for(lambda: self.p.poll() is not None or port_bound(self.port, self.p.pid)):
            raise AssertionError("nfcapd did not start")
        if self.p.poll() is not None:
            raise AssertionError("nfcapd: %r" % self.p.stdout.read())

    def flows(self):
        import json
        assert wait_drained(self.port)
        self.p.send_signal(signal.SIGTERM)
        try:
            self.log = self.p.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.log = self.p.communicate()[0].decode(errors="replace")
        res = subprocess.run(["nfdump", "-R", str(self.store), "-q", "-N", "-o", "json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                             env=harness.peer_env(dict(os.environ, TZ="UTC")))
        assert res.returncode == 0, res.stderr
        text = res.stdout.decode().strip().rstrip(",")
        if text.startswith("No matching flows") or not text:
            return []
        return json.loads("[" + text + "]")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
