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


@pytest.mark.parametrize("sample", [ENT, TRW], ids=["enterprise", "enterprise-trw"])
def test_methods_equal_the_separate_commands(run_cmd, samples_dir, sample, tmp_path):
    name, fname, inside = sample
    d = os.path.join(samples_dir, name)
    f = os.path.join(d, fname)
    zones = os.path.join(d, "zones.txt")
    acl = tmp_path / "site.acl"
    net, length = inside.split("/")
    wild = ".".join(str(255 - int(o)) for o in
                    (0xFFFFFFFF << (32 - int(length)) & 0xFFFFFFFF).to_bytes(4, "big"))
    acl.write_text("ip access-list standard notours deny %s %s\n"
                   "ip access-list standard notours permit any\n" % (net, wild))
    st, out, err = run_cmd(["flow-hunt", "-L", inside, "-z", zones, f])
    assert st == 2 and err == b"", err
    got = sections(out)
    reserved = os.path.join(DATA, "iana-reserved.acl")
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
        "trw": "flow-trw -L %s %s" % (inside, f),
    }
    assert set(separate) | {"zones"} == set(got)
    for method, cmd in separate.items():
        st, want, err = run_cmd(cmd)
        assert st in (0, 2) and err == b"", (cmd, err)
        assert hunt_rows(got[method]) == rows(want), method
    st, want, err = run_cmd(["flow-zonecheck", "-z", zones, "-L", inside, f])
    assert st in (0, 2) and err == b""
    summary = got["zones"]
    assert want.decode().splitlines()[-len(summary):] == summary
    if name == "enterprise":                      # the labelled answers are in it
        assert len(hunt_rows(got["reserved-src"])) == 121
        assert len(hunt_rows(got["foreign-src"])) == 501
        assert [ln.split()[0] for ln in got["echo92"]] == ["135.169.177.129"]
        assert "135.169.0.20" in "\n".join(summary)


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
    missing = [h for h in hosts if h not in dom]
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
