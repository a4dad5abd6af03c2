"""flow-hunt as a command: on both samples, each method's rows equal those
of the separate command (run here, one after another) on the same file;
the input is read once (from a pipe, records counted once); the site file;
statuses (0 nothing, 2 findings, 1 error) and one-line errors."""
import os

import pytest

import harness
import pyflowtools

DATA = os.path.join(os.path.dirname(pyflowtools.__file__), "data")
ENT = ("enterprise", "ft-v05.2004-08-16.090000+0000", "135.169.0.0/16")
TRW = ("enterprise-trw", "ft-v05.2004-04-08.080000+0000", "158.64.0.0/16")


@pytest.fixture(autouse=True)
def _needs(require):
    require("flow-hunt", "flow-topn", "flow-filter", "flow-portrank", "flow-icmpdecode",
            "flow-zonecheck", "flow-trw")


def sections(out):
    """{method name: [its lines]} of the text summary."""
    secs, cur = {}, None
    for ln in out.decode().splitlines():
        if ln.startswith("== ") and not ln.startswith("== as: "):
            cur = secs[ln[3:].split(":")[0]] = []
        elif cur is not None and not ln.startswith("== as: ") and ln:
            cur.append(ln)
    return secs


def rows(out):
    """The report lines of a separate command (its `#` header left out)."""
    return [ln for ln in out.decode().splitlines() if ln and not ln.startswith("#")]


def hunt_rows(lines):
    return [ln for ln in lines if not ln.startswith("#")]


def one_error(err):
    text = err.decode()
    assert "Traceback" not in text
    lines = [ln for ln in text.split("\n") if ln]
    assert len(lines) == 1 and lines[0].startswith("flow-hunt: "), text
    return lines[0]


def notours_acl(inside):
    """The `notours` list of -L prefixes (IPv4 with a wildcard mask, IPv6 as
    a prefix), as man pyflowtools(7) writes it."""
    text = []
    for block in inside:
        net, length = block.split("/")
        if ":" in net:
            text.append("ip access-list standard notours deny %s\n" % block)
            continue
        wild = ".".join(str(255 - int(o)) for o in
                        (0xFFFFFFFF << (32 - int(length)) & 0xFFFFFFFF).to_bytes(4, "big"))
        text.append("ip access-list standard notours deny %s %s\n" % (net, wild))
    return "".join(text) + "ip access-list standard notours permit any\n"


def separate_runs(run_cmd, f, inside, zones, tmp_path):
    """{method: rows} of the separate commands on file f (and the zones
    summary lines of flow-zonecheck)."""
    acl = tmp_path / "site.acl"
    acl.write_text(notours_acl(inside))
    reserved = os.path.join(DATA, "iana-reserved.acl")
    L = ",".join(inside)
    separate = {
        "top-sessions": "flow-topn -k src -m flows -n 10 %s" % f,
        "top-data": "flow-topn -k src -m octets -n 10 %s" % f,
        "reserved-src": "flow-filter -f %s -S iana_reserved < %s | flow-topn -k src -n 0"
                        % (reserved, f),
        "reserved-dst": "flow-filter -f %s -D iana_reserved < %s | flow-topn -k dst -n 0"
                        % (reserved, f),
        "foreign-src": "flow-filter -f %s -S notours -D notours < %s | flow-topn -k src -n 0"
                       % (acl, f),
        "syn-only": "flow-portrank -t 50 -p 10 %s" % f,
        "rst-ack": "flow-portrank -d -t 50 -p 10 %s" % f,
        "unreachable": "flow-icmpdecode -u -T 1 %s" % f,
        "echo92": "flow-icmpdecode -t 8 -s 92 -F < %s | flow-topn -k src -n 0" % f,
        "trw": "flow-trw -L %s %s" % (L, f),
    }
    out = {}
    for method, cmd in separate.items():
        st, want, err = run_cmd(cmd)
        assert st in (0, 2) and err == b"", (cmd, err)
        out[method] = rows(want)
    st, want, err = run_cmd(["flow-zonecheck", "-z", zones, "-L", L, f])
    assert st in (0, 2) and err == b""
    out["zones"] = want.decode().splitlines()
    return out


def check_equal(got, want):
    assert set(want) == set(got)
    for method, lines in want.items():
        if method == "zones":
            assert lines[-len(got["zones"]):] == got["zones"]
        else:
            assert hunt_rows(got[method]) == lines, method


@pytest.mark.parametrize("sample", [ENT, TRW], ids=["enterprise", "enterprise-trw"])
def test_methods_equal_the_separate_commands(run_cmd, samples_dir, sample, tmp_path):
    name, fname, inside = sample
    d = os.path.join(samples_dir, name)
    f = os.path.join(d, fname)
    zones = os.path.join(d, "zones.txt")
    st, out, err = run_cmd(["flow-hunt", "-L", inside, "-z", zones, f])
    assert st == 2 and err == b"", err
    got = sections(out)
    check_equal(got, separate_runs(run_cmd, f, [inside], zones, tmp_path))
    summary = got["zones"]
    if name == "enterprise":                      # the labelled answers are in it
        assert len(hunt_rows(got["reserved-src"])) == 121
        assert len(hunt_rows(got["foreign-src"])) == 501
        assert [ln.split()[0] for ln in got["echo92"]] == ["135.169.177.129"]
        assert "135.169.0.20" in "\n".join(summary)


# ---- v1006: IPv4 and IPv6 flows ------------------------------------------------

INSIDE6 = ["2001:db8:1::/48", "10.0.0.0/8"]
ZONES6 = "# a hardened IPv6 web server, an IPv4 mail server\n" \
         "2001:db8:1::10 tcp/80,tcp/443\n10.1.0.25 tcp/25\n"
#: the planted hosts, by the method that must find them
PLANTED = {
    "syn-only": ["2001:db8:aa::66", "10.9.9.9"],
    "rst-ack": ["2001:db8:aa::77"],
    "unreachable": ["2001:db8:bb::5"],
    "echo92": ["10.1.0.200"],
    "trw": ["2001:db8:1::99", "2001:db8:aa::66", "10.9.9.9"],
}


def mixed_file(run_cmd, tmp_path):
    """flow-gen -V 1006 (IPv4 and IPv6 flows) plus planted ones: an IPv6
    and an IPv4 SYN-only scanner, an IPv6 RST/ACK receiver, an IPv6 host
    drawing ICMPv6 port unreachables, an IPv4 92-byte echo sender (Nachi),
    a slow IPv6 scanner inside (6 contacts: under every fixed threshold),
    and an IPv6 zone server probed on a port it does not serve."""
    import ipaddress
    import oracle
    st, data, err = run_cmd("flow-gen -V 1006 -n 3000")
    assert (st, err) == (0, b"")
    hdr, recs = oracle.read_stream(data)
    t0, up = 1100000000, 3600000

    def addr(text):
        a = ipaddress.ip_address(text)
        return int(a) if a.version == 6 else oracle.mapped(int(a))

    def flow(src, dst, sp, dp, prot, flags, start, pkts=1, octets=40):
        r = oracle.record("1006", unix_secs=t0, sysUpTime=up, First=start, Last=start + 10,
                          srcport=sp, dstport=dp, prot=prot, tcp_flags=flags, dPkts=pkts,
                          dOctets=octets)
        return oracle.with_addr6(oracle.with_addr6(r, "srcaddr", addr(src)), "dstaddr",
                                 addr(dst))
    for k in range(1, 61):
        recs.append(flow("2001:db8:aa::66", "2001:db8:1::%x" % k, 40000 + k, 445, 6, 2, k))
        recs.append(flow("2001:db8:1::%x" % k, "2001:db8:aa::77", 80, 50000 + k, 6, 0x14, k))
    for k in range(1, 56):
        recs.append(flow("10.9.9.9", "10.1.0.%d" % k, 30000 + k, 139, 6, 2, k))
    for k in range(1, 6):
        recs.append(flow("2001:db8:1::%x" % k, "2001:db8:bb::5", 0, 0x0104, 58, 0, k))
        recs.append(flow("10.1.0.200", "10.2.0.%d" % k, 0, 0x0800, 1, 0, k, 1, 92))
    for k in range(1, 7):
        recs.append(flow("2001:db8:1::99", "2001:db8:cc::%x" % k, 20000 + k, 22, 6, 2,
                         600000 * k))
    recs.append(flow("2001:db8:dd::1", "2001:db8:1::10", 33333, 22, 6, 0x1B, 5))
    path = tmp_path / "mixed.v1006"
    path.write_bytes(oracle.write_stream(hdr, recs))
    zones = tmp_path / "zones6.txt"
    zones.write_text(ZONES6)
    return str(path), str(zones)


def hosts_of(method, lines):
    out = []
    for ln in hunt_rows(lines):
        words = ln.split()
        if method in ("syn-only", "rst-ack"):
            if ln.startswith("potential"):
                out.append(words[2])
        elif method == "trw":
            if ln.startswith("scanner"):
                out.append(words[1])
        elif words:
            out.append(words[0])
    return out


def test_methods_on_mixed_v1006_equal_the_separate_commands(run_cmd, tmp_path):
    """A mixed IPv4/IPv6 file: every method's rows equal its separate
    command's, the planted IPv6 and IPv4 hosts are found (printed RFC 5952
    and dotted), and the site file's IPv6 `inside` is -L's."""
    f, zones = mixed_file(run_cmd, tmp_path)
    st, out, err = run_cmd(["flow-hunt", "-L", ",".join(INSIDE6), "-z", zones, f])
    assert st == 2 and err == b"", err
    got = sections(out)
    check_equal(got, separate_runs(run_cmd, f, INSIDE6, zones, tmp_path))
    for method, hosts in PLANTED.items():
        assert set(hosts) <= set(hosts_of(method, got[method])), method
    assert "2001:db8:aa::66" in hosts_of("top-sessions", got["top-sessions"])
    assert any(ln.startswith("# 2001:db8:1::10 ") for ln in got["zones"])
    # flow-gen's 0.0.0.x sources are IANA-reserved; its IPv6 sources outside -L are foreign
    assert hosts_of("reserved-src", got["reserved-src"])
    assert any(":" in h for h in hosts_of("foreign-src", got["foreign-src"]))
    site = tmp_path / "site.conf"
    site.write_text("inside %s\ninside %s\nzones %s\n" % (INSIDE6[0], INSIDE6[1], zones))
    st, by_site, err = run_cmd(["flow-hunt", "-c", str(site), f])
    assert (st, err) == (2, b"")
    strip = lambda o: [ln for ln in o.decode().splitlines() if not ln.startswith("== as")]
    assert strip(by_site) == strip(out)


def test_v1006_of_an_ipv4_file_gives_the_same_summary(run_cmd, samples_dir, tmp_path):
    """flow-cat -V 1006 of the sample (IPv4 flows, stored mapped): the
    summary is the v5 one, byte for byte."""
    name, fname, inside = ENT
    d = os.path.join(samples_dir, name)
    f = os.path.join(d, fname)
    st, data, err = run_cmd(["flow-cat", "-V", "1006", f])
    assert (st, err) == (0, b"")
    f6 = tmp_path / "ent.v1006"
    f6.write_bytes(data)
    args = ["flow-hunt", "-L", inside, "-z", os.path.join(d, "zones.txt")]
    st5, out5, _ = run_cmd(args + [f])
    st6, out6, err = run_cmd(args + [str(f6)])
    assert (st6, err) == (2, b"") and out6 == out5


def test_input_is_read_once(run_cmd, samples_dir):
    """From a pipe (readable once), every method fed the file's records
    exactly once, and the same summary as from the file."""
    name, fname, inside = ENT
    f = os.path.join(samples_dir, name, fname)
    st, from_file, _ = run_cmd(["flow-hunt", "-L", inside, f])
    st2, from_pipe, err = run_cmd("cat %s | flow-hunt -d 1 -L %s" % (f, inside))
    assert st == st2 == 2
    assert from_pipe == from_file
    text = err.decode()
    assert "flow-hunt: processed 57556 flows\n" in text
    fed = [ln for ln in text.splitlines() if " fed " in ln]
    assert len(fed) == len(sections(from_file)) >= 10
    assert all(ln.endswith(": fed 57556 records") for ln in fed)


def test_site_file(run_cmd, samples_dir, tmp_path):
    """The site file gives the same run as the options, its thresholds and
    lists are used, and paths in it are relative to it."""
    name, fname, inside = ENT
    d = os.path.join(samples_dir, name)
    f = os.path.join(d, fname)
    (tmp_path / "zones.txt").write_bytes(open(os.path.join(d, "zones.txt"), "rb").read())
    (tmp_path / "site.acl").write_bytes(open(os.path.join(d, "site.acl"), "rb").read())
    site = tmp_path / "site.conf"
    site.write_text("# our network\ninside %s\nzones zones.txt\n" % inside)
    st, by_file, err = run_cmd(["flow-hunt", "-c", str(site), f])
    st2, by_opts, _ = run_cmd(["flow-hunt", "-L", inside, "-z", os.path.join(d, "zones.txt"), f])
    assert st == st2 == 2 and err == b""
    strip = lambda out: [ln for ln in out.decode().splitlines() if not ln.startswith("== as")]
    assert strip(by_file) == strip(by_opts)
    site.write_text("inside %s\nsyn-threshold 300\ntop 3\nacl site.acl\nlist ours src\n"
                    "trw-alpha 0.001\n" % inside)
    st, out, err = run_cmd(["flow-hunt", "-c", str(site), f])
    assert st == 2 and err == b""
    got = sections(out)
    assert [ln.split()[2] for ln in got["syn-only"] if ln.startswith("potential")] == \
        ["133.200.164.141", "135.169.20.251", "135.169.20.192"]
    assert len(got["top-sessions"]) == 3
    st, want, _ = run_cmd("flow-filter -f %s -S ours < %s | flow-topn -k src -n 0"
                          % (tmp_path / "site.acl", f))
    assert got["list-ours-src"] == rows(want)
    assert "zones" not in got


def test_baseline_marks_new_hosts(run_cmd, samples_dir, tmp_path):
    name, fname, _ = ENT
    f = os.path.join(samples_dir, name, fname)
    base = tmp_path / "octets.base"
    st, _, _ = run_cmd(["flow-topn", "-k", "src", "-m", "octets", "-n", "3", "-b", str(base), f])
    assert st == 0
    site = tmp_path / "site.conf"
    site.write_text("baseline-octets octets.base\n")
    st, out, err = run_cmd(["flow-hunt", "-c", str(site), f])
    assert st == 2 and err == b""
    top = sections(out)["top-data"]
    assert top[0].startswith("# baseline ") and top[0].endswith(": 7 new")
    assert [ln.split()[-1] == "NEW" for ln in top[1:]] == [False] * 3 + [True] * 7


def test_nothing_found_is_status_0(run_cmd, tmp_path):
    st, data, _ = run_cmd("flow-gen -n 0")
    assert st == 0
    st, out, err = run_cmd(["flow-hunt"], stdin=data)
    assert st == 0 and err == b""
    assert out.decode().startswith("# flow-hunt: 0 records, ")
    assert " 0 findings\n" in out.decode()


@pytest.mark.parametrize("args,site,what", [
    (["-c", "{t}/none.conf"], None, "none.conf"),
    (["-c", "{t}/s.conf"], "bogus 1\n", "s.conf:1: unknown setting 'bogus'"),
    (["-c", "{t}/s.conf"], "\nsyn-threshold x\n", "s.conf:2: want a number"),
    (["-c", "{t}/s.conf"], "trw-alpha 2\n", "s.conf:1: want a number between 0 and 1"),
    (["-c", "{t}/s.conf"], "list ours src\n", "site lists need the ACL file"),
    (["-z", "{t}/nozones"], None, "nozones"),
    (["-L", "300.1.2.3/8"], None, "-L"),
    (["-L", "2001:db8::/129"], None, "-L"),
    (["-o", "xml"], None, "output format must be text or tsv"),
    (["-q"], None, ""),
])
def test_errors_are_one_line_status_1(run_cmd, tmp_path, args, site, what):
    st, data, _ = run_cmd("flow-gen -n 10")
    if site is not None:
        (tmp_path / "s.conf").write_text(site)
    st, out, err = run_cmd(["flow-hunt"] + [a.format(t=tmp_path) for a in args], stdin=data)
    assert st == 1
    if args != ["-q"]:
        assert what in one_error(err)


# ---- the HTML report in headless Chromium ------------------------------------------

def chromium():
    import shutil
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium not found (tools/sysdeps.sh installs the Debian package)")


def png_bytes(path):
    """The decompressed (still filtered) scanlines of a PNG, and its size:
    a tiny reader over zlib (chunks, IDAT concatenated)."""
    import struct
    import zlib
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    return zlib.decompress(b"".join(idat)), size


def test_html_report_in_chromium(run_cmd, samples_dir, tmp_path):
    """The report opens offline in headless Chromium: the screenshot is not
    blank, the charts were drawn (plotly's inlined JavaScript ran), and
    the page's text holds every finding's host."""
    import subprocess
    browser = chromium()
    name, fname, inside = ENT
    d = os.path.join(samples_dir, name)
    f = os.path.join(d, fname)
    report = tmp_path / "hunt.html"
    st, out, err = run_cmd(["flow-hunt", "-L", inside, "-z", os.path.join(d, "zones.txt"),
                            "-H", str(report), f])
    assert st == 2 and err == b"", err
    assert report.stat().st_size > 1 << 20          # plotly's JavaScript is in the page
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=%s" % (tmp_path / "profile"), "--window-size=1200,2000"]
    url = "file://%s" % report
    shot = tmp_path / "shot.png"
    env = harness.peer_env(dict(os.environ, HOME=str(tmp_path)))
    subprocess.run(args + ["--screenshot=%s" % shot, url], env=env, cwd=tmp_path,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    pixels, size = png_bytes(shot)
    assert size == (1200, 2000)
    # a blank page's scanlines hold a handful of byte values; text and charts many
    assert len(set(pixels)) > 64
    dom = subprocess.run(args + ["--virtual-time-budget=5000", "--dump-dom", url], env=env,
                         cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         timeout=120).stdout.decode("utf-8", "replace")
    assert dom.count('class="main-svg"') >= 3          # 3 charts drawn by the inlined JS
    got = sections(out)
    hosts = set()
    for method, lines in got.items():
        for ln in hunt_rows(lines):
            words = ln.split()
            if method in ("syn-only", "rst-ack"):
                if ln.startswith("potential"):
                    hosts.add(words[2])
            elif method == "trw":
                if ln.startswith("scanner"):
                    hosts.add(words[1])
            elif words:
                hosts.add(words[0])
    for ln in got["zones"]:
        if ln.startswith("# 135."):
            hosts.update(ln[2:].split()[:1] + ln[2:].split()[4:])
    assert len(hosts) > 600
    import re
    words = set(re.findall(r"[0-9A-Fa-f:.]+", dom))     # once, not a search per host
    missing = [h for h in hosts if h not in words and h not in dom]
    assert not missing


def test_html_from_a_pipe(run_cmd, samples_dir, tmp_path):
    """-H on standard input: the second pass reads the copy made while the
    first read the pipe; the summary is the one without -H, and the
    activity chart has a trace per suspect (the trw scanners among them)."""
    name, fname, inside = TRW
    f = os.path.join(samples_dir, name, fname)
    report = tmp_path / "r.html"
    st, out, err = run_cmd("cat %s | flow-hunt -L %s -H %s" % (f, inside, report))
    assert st == 2 and err == b"", err
    st, plain, _ = run_cmd(["flow-hunt", "-L", inside, f])
    assert out == plain
    page = report.read_text()
    assert "Suspects&#x27; activity over time" in page
    scanners = [ln.split()[1] for ln in sections(out)["trw"] if ln.startswith("scanner")]
    assert scanners
    for host in scanners:
        assert '"name":"%s"' % host in page             # a trace of the activity chart


def test_html_report_shows_ipv6_hosts(run_cmd, tmp_path):
    """-H on a mixed v1006 file: every finding's host is in the page (IPv6
    in RFC 5952 form), and the activity chart has a trace per planted
    suspect, IPv6 and IPv4 (its second pass counts 128-bit sources)."""
    import html
    f, zones = mixed_file(run_cmd, tmp_path)
    report = tmp_path / "r6.html"
    st, out, err = run_cmd(["flow-hunt", "-L", ",".join(INSIDE6), "-z", zones,
                            "-H", str(report), f])
    assert st == 2 and err == b"", err
    import re
    page = html.unescape(report.read_text())
    # the page's address-like words, once: a 5 MB page searched again for
    # each of thousands of hosts took 14 s; a host not a whole word of it is
    # still looked for as a substring
    words = set(re.findall(r"[0-9A-Fa-f:.]+", page))
    got = sections(out)
    for method, lines in got.items():
        if method != "zones":
            for h in hosts_of(method, lines):
                assert h in words or h in page, (method, h)
    for h in PLANTED["trw"] + PLANTED["syn-only"] + PLANTED["echo92"]:
        assert '"name":"%s"' % h in page, h
    trace = page.split('"name":"2001:db8:aa::66"')[1].split('"y":[', 1)[1].split("]")[0]
    assert sum(int(v) for v in trace.split(",")) == 60        # its 60 flows, binned


# ---- -o tsv --------------------------------------------------------------------

def findings_in_text(out):
    """{method: N} of the `== NAME: TITLE -- N findings` lines."""
    return {ln[3:].split(":")[0]: int(ln.rsplit(" -- ", 1)[1].split()[0])
            for ln in out.decode().splitlines()
            if ln.startswith("== ") and not ln.startswith("== as: ")}


def tsv_from_text(out):
    """The rows -o tsv must give, read from the text summary: (method,
    host, count, figures), count None where the text does not show it."""
    rows = []
    for method, lines in sections(out).items():
        body = hunt_rows(lines)
        if method.startswith("top-"):
            for ln in body:
                w = ln.split()
                if w[-1] == "NEW":
                    rows.append((method, w[0], w[1], None))
        elif method in ("syn-only", "rst-ack"):
            for ln in body:
                if ln.startswith("potential"):
                    rows.append([method, ln.split()[2], None, []])
                elif " times probe on dstport " in ln:
                    n, port = ln.split()[0], ln.split()[-1]
                    rows[-1][3].append("%s:%s" % (port, n))
            rows = [tuple(r[:3]) + ("ports=" + ",".join(r[3]),) if isinstance(r, list) else r
                    for r in rows]
        elif method == "unreachable":
            for ln in body:
                h, flows, net, host, port = ln.split()
                rows.append((method, h, flows, "net=%s;host=%s;port=%s" % (net, host, port)))
        elif method == "zones":
            for ln in lines:
                w = ln[2:].split()
                if ln.startswith("# ") and len(w) >= 4 and w[1].isdigit() and w[0] != "server":
                    rows.append((method, w[0], str(int(w[1]) + int(w[2])),
                                 "ingress=%s;egress=%s;red=%s;peers=%s"
                                 % (w[1], w[2], w[3], ",".join(w[4:]))))
        elif method == "trw":
            for ln in body:
                w = ln.split()
                if ln.startswith("scanner"):
                    cur = {"host": w[1], "where": w[2].strip("()"), "ports": []}
                    rows.append(cur)
                elif ln.startswith(" flagged at "):
                    cur["at"] = " ".join(w[2:4]).rstrip(",")
                    cur["to"], cur["fto"] = w[6].rstrip(","), w[8]
                elif " first contacts: " in ln:
                    cur["fc"], cur["failed"], cur["ok"] = w[0], w[3], w[5]
                elif " times probe on " in ln:
                    cur["ports"].append("%s:%s:%s" % (w[4].rstrip(","), w[0], w[5]))
            rows = [r if isinstance(r, tuple) else
                    (method, r["host"], r["failed"],
                     "where=%s;flagged_at=%s;contacts_to_flag=%s;failures_to_flag=%s;"
                     "first_contacts=%s;successes=%s;ports=%s"
                     % (r["where"], r["at"], r["to"], r["fto"], r["fc"], r["ok"],
                        ",".join(r["ports"]))) for r in rows]
        else:                             # address lists, echo92: flow-topn -n 0 rows
            for ln in body:
                h, flows, octets, packets = ln.split()
                rows.append((method, h, flows,
                             "flows=%s;octets=%s;packets=%s" % (flows, octets, packets)))
    return rows


def check_tsv(run_cmd, args):
    st, text, _ = run_cmd(["flow-hunt"] + args)
    st2, tsv, err = run_cmd(["flow-hunt", "-o", "tsv"] + args)
    assert st == st2 == 2 and err == b"", err
    lines = tsv.decode().splitlines()
    assert lines[0] == "#method\thost\tcount\tfigures"
    got = [tuple(ln.split("\t")) for ln in lines[1:]]
    want = tsv_from_text(text)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g[:2] == w[:2] and (w[2] is None or g[2] == w[2]), (g, w)
        assert w[3] is None or g[3] == w[3], (g, w)
        if g[0].startswith("top-"):
            assert g[3].endswith(";baseline=NEW")
    # a row per finding; zones: a row per server, its alerts the count
    per = {}
    for g in got:
        per[g[0]] = per.get(g[0], 0) + (int(g[2]) if g[0] == "zones" else 1)
    assert per == {m: n for m, n in findings_in_text(text).items() if n}
    return got


def test_tsv_rows_are_the_text_findings(run_cmd, samples_dir, tmp_path):
    """-o tsv: one row per finding of every method, the same hosts, counts
    and figures as the text summary (both samples, a baseline marking NEW
    hosts, and a mixed v1006 file with IPv6 hosts)."""
    name, fname, inside = ENT
    d = os.path.join(samples_dir, name)
    f = os.path.join(d, fname)
    base = tmp_path / "flows.base"
    assert run_cmd(["flow-topn", "-k", "src", "-n", "4", "-b", str(base), f])[0] == 0
    site = tmp_path / "site.conf"
    site.write_text("inside %s\nzones %s\nbaseline-flows %s\n"
                    % (inside, os.path.join(d, "zones.txt"), base))
    got = check_tsv(run_cmd, ["-c", str(site), f])
    # syn-only's count is flow-portrank's (the text shows only the ports)
    st, pr, _ = run_cmd(["flow-portrank", "-t", "50", "-o", "tsv", f])
    counts = {ln.split("\t")[0]: ln.split("\t")[1] for ln in pr.decode().splitlines()[1:]}
    assert {g[1]: g[2] for g in got if g[0] == "syn-only"} == counts
    assert {g[0] for g in got} >= {"top-sessions", "syn-only", "rst-ack", "unreachable",
                                   "echo92", "zones", "trw", "reserved-src", "foreign-src"}
    name, fname, inside = TRW
    check_tsv(run_cmd, ["-L", inside, os.path.join(samples_dir, name, fname)])
    f6, zones = mixed_file(run_cmd, tmp_path)
    got = check_tsv(run_cmd, ["-L", ",".join(INSIDE6), "-z", zones, f6])
    assert ("syn-only", "2001:db8:aa::66", "60", "ports=445:60") in got
    assert ("unreachable", "2001:db8:bb::5", "5", "net=0;host=0;port=5") in got
    assert [g[1] for g in got if g[0] == "zones"] == ["2001:db8:1::10"]
