"""flow-export and flow-import as commands: statuses and the one-line
stderr rule, and -f 5 / -f 3 into real PostgreSQL and MariaDB servers
(tests/dbservers.py, started once per session): the bundled sample's rows
read back equal flow-export -f 2 of it, the table is created when missing,
bad URIs, unreachable servers and refused logins are one line, and a
server killed mid-export leaves only whole batches.  Byte-exact outputs
are the conformance corpus's (export-, import-)."""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

import dbservers
import harness
import oracle

SAMPLE = "enterprise/ft-v05.2004-08-16.090000+0000"


def stderr_lines(err):
    text = err.decode()
    assert "Traceback" not in text
    return text.strip("\n").split("\n") if text.strip() else []


# ---------------------------------------------------------------------------
# servers (session-scoped: started once, stopped at the end)

def _boot(cls, base):
    os.chmod(base, 0o755)
    return cls(base)


@pytest.fixture(scope="session")
def _servers():
    """Both servers booting at once, each in a fresh folder its own user can
    reach (pytest's tmp folders are private to us): {kind: (future or skip
    reason, folder)}."""
    from concurrent.futures import ThreadPoolExecutor
    pool = ThreadPoolExecutor(2)
    boots = {}
    for cls in (dbservers.Postgres, dbservers.MariaDB):
        reason = cls.skip_reason()
        if reason:
            boots[cls.kind] = (reason, None)
        else:
            base = tempfile.mkdtemp(prefix="pyflowtools-%s-" % cls.kind)
            boots[cls.kind] = (pool.submit(_boot, cls, base), base)
    yield boots
    for what, base in boots.values():
        if base is None:
            continue
        try:
            what.result().stop()
        except Exception:
            pass
        shutil.rmtree(base, ignore_errors=True)
    pool.shutdown()


def _server(boots, kind):
    what, _ = boots[kind]
    if isinstance(what, str):
        pytest.skip(what)
    return what.result()


@pytest.fixture(scope="session")
def pg(_servers):
    return _server(_servers, "pgsql")


@pytest.fixture(scope="session")
def maria(_servers):
    return _server(_servers, "mysql")


@pytest.fixture(params=["pgsql", "mysql"])
def server(request):
    return request.getfixturevalue("pg" if request.param == "pgsql" else "maria")


def fmt(server):
    return "5" if server.kind == "pgsql" else "3"


_tables = iter(range(1, 1 << 30))


def new_table():
    return "t%d_%d" % (os.getpid(), next(_tables))


@pytest.fixture(scope="module")
def sample_csv(samples_dir, flow_bin):
    """(column names, sorted rows as text) of flow-export -f 2 of the sample."""
    path = os.path.join(flow_bin, "flow-export")
    if not os.path.exists(path):
        pytest.skip("command not implemented: flow-export")
    with open(os.path.join(samples_dir, SAMPLE), "rb") as f:
        out = subprocess.run([path, "-f", "2"], stdin=f, capture_output=True, check=True).stdout
    lines = out.decode().splitlines()
    return lines[0][2:].split(","), sorted(tuple(line.split(",")) for line in lines[1:])


def test_database_rows_equal_csv(run_cmd, server, samples_dir, sample_csv):
    names, rows = sample_csv
    table = new_table()
    st, out, err = run_cmd(["flow-export", "-f", fmt(server), "-u", server.uri(table)],
                           stdin=open(os.path.join(samples_dir, SAMPLE), "rb").read())
    assert (st, out) == (0, b""), err
    assert stderr_lines(err) == ["flow-export: Exported %d records" % len(rows)]
    assert sorted(server.dump(table, names)) == rows


def test_database_mask_socket_and_existing_table(run_cmd, server, tmp_path):
    """-m chooses the columns; a Unix socket host; a second run appends to
    the table the first made."""
    recs = [dict({n: 0 for n in oracle.fields("6")}, srcaddr=0x0A000001 + i, dPkts=i,
                 peer_nexthop=0xC0000201, in_encaps=i) for i in range(3)]
    data = oracle.write_stream({"d_version": 6}, recs)
    table = new_table()
    for _ in range(2):
        st, _, err = run_cmd(["flow-export", "-f", fmt(server), "-m",
                              "dpkts,srcaddr,in_encaps,peer_nexthop",
                              "-u", server.uri(table, socket_path=True)], stdin=data)
        assert st == 0, err
    got = server.query("SELECT dpkts, srcaddr, in_encaps, peer_nexthop FROM %s" % table)
    assert sorted(tuple(map(str, r)) for r in got) == sorted(
        [(str(i), "10.0.0.%d" % (i + 1), str(i), "192.0.2.1") for i in range(3)] * 2)


def test_database_unreachable_refused_and_bad_uri(run_cmd, server, tmp_path):
    data = oracle.write_stream({"d_version": 5}, [{n: 1 for n in oracle.fields("5")}])
    port = dbservers.free_port()
    bad = [dbservers.USER, dbservers.PASSWORD, "127.0.0.1", str(port), dbservers.DB, "x"]
    st, out, err = run_cmd(["flow-export", "-f", fmt(server), "-u", ":".join(bad)], stdin=data)
    assert (st, out) == (1, b"") and len(stderr_lines(err)) == 1, err
    wrong = server.uri("x").replace(dbservers.PASSWORD, "wrong")
    st, out, err = run_cmd(["flow-export", "-f", fmt(server), "-u", wrong], stdin=data)
    assert (st, out) == (1, b"") and len(stderr_lines(err)) == 1, err
    st, _, err = run_cmd(["flow-export", "-f", fmt(server), "-u", "a:b:c"], stdin=data)
    assert st == 255 and "Missing field in dbaseURI" in err.decode()


V1006_COLUMNS = ["unix_secs", "unix_nsecs", "sysuptime", "exaddr", "dpkts", "doctets", "first",
                 "last", "engine_type", "engine_id", "srcaddr", "dstaddr", "nexthop", "input",
                 "output", "srcport", "dstport", "prot", "tos", "tcp_flags", "src_mask",
                 "dst_mask", "src_as", "dst_as", "src_tag", "dst_tag", "flow_label"]


def mixed_v1006(n, seed):
    """IPv4 and IPv6 flows, every field random, addresses of every shape
    (IPv4-mapped, ::a.b.c.d, zero runs, all ones)."""
    import random
    rnd = random.Random(seed)
    shapes = [lambda: oracle.mapped(rnd.getrandbits(32)), lambda: rnd.getrandbits(32),
              lambda: rnd.getrandbits(128), lambda: (1 << 128) - 1, lambda: 0,
              lambda: sum(rnd.choice([0, 0, 1, 0xFFFF]) << (16 * k) for k in range(8))]
    out = []
    for i in range(n):
        r = {f: rnd.randint(0, oracle.field_max("1006", f)) for f in oracle.fields("1006")}
        four = i % 2 == 0
        for name in ("srcaddr", "dstaddr", "nexthop"):
            a = oracle.mapped(rnd.getrandbits(32)) if four else rnd.choice(shapes)()
            r = oracle.with_addr6(r, name, a)
        r["flow_label"] = 0 if four else r["flow_label"] & 0xFFFFF
        out.append(r)
    return out


def _key(r):
    return tuple(sorted(r.items()))


@pytest.mark.parametrize("order,level,out_order", [("little", 0, "big"), ("big", 6, "little")])
def test_database_v1006_round_trip(run_cmd, server, tmp_path, order, level, out_order):
    """v1006 rows (-f 5: inet columns, -f 3: VARCHAR(39)) read back and
    imported (flow-import -f 2 -V 1006) are the records exported, exactly."""
    recs = mixed_v1006(300, {"pgsql": 1, "mysql": 2}[server.kind] * 10 + len(order))
    data = oracle.write_stream({"d_version": 1006, "flags": oracle.HF_STREAMING}, recs, order,
                               level)
    table = new_table()
    st, out, err = run_cmd(["flow-export", "-f", fmt(server), "-u", server.uri(table)],
                           stdin=data)
    assert (st, out) == (0, b""), err
    assert stderr_lines(err) == ["flow-export: Exported 300 records"]
    rows = server.dump(table, V1006_COLUMNS)
    assert len(rows) == 300
    if server.kind == "mysql":
        (kind,) = server.query("SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE "
                               "TABLE_NAME='%s' AND COLUMN_NAME='srcaddr'" % table)
        assert kind[0].lower() == "varchar"
    csv = ("#:" + ",".join(V1006_COLUMNS) + "\n"
           + "".join(",".join(row) + "\n" for row in rows)).encode()
    st, out, err = run_cmd(["flow-import", "-V", "1006", "-f", "2", "-b", out_order],
                           stdin=csv)
    assert st == 0, err
    h, got = oracle.read_stream(out)
    assert h["d_version"] == 1006 and h["byte_order"] == out_order
    assert sorted(got, key=_key) == sorted(recs, key=_key)


def test_database_driver_missing(run_cmd, tmp_path):
    """Without the driver: one clear line, status 1."""
    for mod in ("psycopg", "pymysql"):
        (tmp_path / "shadow" / mod).mkdir(parents=True)
        (tmp_path / "shadow" / mod / "__init__.py").write_text("raise ImportError('absent')\n")
    data = oracle.write_stream({"d_version": 5}, [{n: 1 for n in oracle.fields("5")}])
    for f, name in (("5", "psycopg"), ("3", "PyMySQL")):
        st, _, err = run_cmd(["flow-export", "-f", f, "-u", "a:b:127.0.0.1:1:d:t"], stdin=data,
                             env={"PYTHONPATH": str(tmp_path / "shadow")})
        assert st == 1 and len(stderr_lines(err)) == 1 and name in err.decode(), err


def test_mysql_without_uri_is_the_reference_build(run_cmd, corpus_dir):
    data = open(os.path.join(corpus_dir, "inputs", "gen-v5.ft"), "rb").read()
    st, out, err = run_cmd(["flow-export", "-f", "3"], stdin=data)
    assert (st, out) == (0, b"")
    assert stderr_lines(err)[-1] == "flow-export: Exported 0 records"


def _wait(pred, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


def test_server_killed_mid_export(server, flow_bin, tmp_path):
    """The first part of the input is committed; the server dies; the next
    batch fails: status 1, one line, and after a restart the table holds
    exactly the first part (no partial batch)."""
    table = new_table()
    first = [dict({n: 0 for n in oracle.fields("5")}, srcaddr=i, dPkts=1) for i in range(3000)]
    data = oracle.write_stream({"d_version": 5}, first + first)
    hlen = len(data) - 64 * len(first) * 2
    proc = subprocess.Popen([os.path.join(flow_bin, "flow-export"), "-f", fmt(server), "-u",
                             server.uri(table)], stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        proc.stdin.write(data[:hlen + 64 * len(first)])
        proc.stdin.flush()

        def committed():
            try:
                return server.query("SELECT count(*) FROM %s" % table)[0][0] == len(first)
            except Exception:
                return False
        _wait(committed, "the first part")
        server.kill()
        try:
            proc.stdin.write(data[hlen + 64 * len(first):])
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read()
        assert proc.wait(30) == 1
        lines = stderr_lines(err)
        assert len(lines) == 1 and lines[0].startswith("flow-export: "), err
    finally:
        if proc.poll() is None:
            proc.kill()
        if server.proc.poll() is not None:
            server.start()
    assert server.query("SELECT count(*) FROM %s" % table)[0][0] == len(first)


# ---------------------------------------------------------------------------
# statuses (commands.md 1.4, 12.1, 12.5)

@pytest.mark.parametrize("argv, status, last", [
    (["-f", "7"], 1, "flow-export: No such format, 7"),
    (["-f", "2", "-m", "srcaddr,bogus"], 1, "flow-export: ftxfield_parse(): failed"),
    (["-f", "0", "-m", "first"], 1, "flow-export: ftxfield_tocflow(): failed"),
    (["-f", "2", "extra"], 1, "flow-export: Extra arguments starting with extra."),
    (["-f", "1"], 255, "flow-export: Exported 0 records"),
])
def test_export_statuses(run_cmd, require, argv, status, last):
    require("flow-export")
    data = oracle.write_stream({"d_version": 8, "agg_method": 1}, [])
    st, out, err = run_cmd(["flow-export"] + argv, stdin=data)
    assert (st, out) == (status, b"")
    assert stderr_lines(err)[-1] == last


@pytest.mark.parametrize("argv, stdin, status, nbytes", [
    (["-f", "2"], b"1,2\n", 1, 0),                       # no -V
    (["-f", "2", "-V", "2"], b"1,2\n", 1, 0),
    (["-f", "5", "-V", "5"], b"", 1, 0),
    (["-f", "2", "-V", "5", "-z", "10"], b"", 1, 0),
    (["-f", "1", "-V", "5"], b"", 255, 56),
    (["-f", "0", "-V", "5"], b"", 255, 56),
    (["-f", "2", "-V", "5"], b"", 0, 56),
    (["-f", "2", "-V", "5"], b"#:srcaddr,dpkts\n1,2\n", 255, 56),
    (["-f", "3", "-V", "5"], b"", 255, 56),
    (["-f", "4", "-V", "5"], b"\x00\x09\x00\x00", 1, 56),
    (["-f", "4", "-V", "5"], b"\x00\x05\x00\x01" + bytes(30), 1, 56),
])
def test_import_statuses(run_cmd, require, argv, stdin, status, nbytes):
    require("flow-import")
    st, out, err = run_cmd(["flow-import"] + argv, stdin=stdin)
    assert (st, len(out)) == (status, nbytes), err
    lines = stderr_lines(err)
    assert lines and all(line.startswith("flow-import: ") for line in lines)


def test_import_reports_sequence_gaps(run_cmd, require):
    """-f 4: a gap in flow_sequence is a warning; the records are kept."""
    require("flow-import")
    from pyflowtools.core import pdu
    from pyflowtools.core.native import rectype
    recs = [dict({n: 0 for n in oracle.fields("5")}, unix_secs=i // 30) for i in range(90)]
    dgrams = pdu.encode(oracle.write_stream({"d_version": 5}, recs)[-64 * 90:], rectype(5))
    st, out, err = run_cmd(["flow-import", "-f", "4", "-V", "5"],
                           stdin=dgrams[0] + dgrams[2])
    assert st == 255
    assert "ftpdu_seq_check(): expecting=30 received=60 lost=30" in err.decode()
    assert len(oracle.read_stream(out)[1]) == 60


# ---------------------------------------------------------------------------
# -f 6 / parquet (issue 14): round trips, datasets, errors, DuckDB over the files

@pytest.fixture
def sample_bytes(samples_dir):
    return open(os.path.join(samples_dir, SAMPLE), "rb").read()


def _records(data):
    """The record bytes of a flow stream (its header skipped), host order."""
    import io
    from pyflowtools.io import stream
    with stream.reader(io.BytesIO(data), ipv6=True) as rd:
        return b"".join(bytes(b.view()) for b in rd)


@pytest.mark.parametrize("version", ["1", "5", "6", "7", "1005", "1006", "8.1", "8.6", "8.14"])
def test_parquet_round_trip_every_version(run_cmd, require, version, tmp_path):
    """flow-gen's records -> flow-export -f parquet -> flow-import -f 6: the
    same record bytes; -f 6 and the name are one format."""
    require("flow-gen", "flow-export", "flow-import")
    pytest.importorskip("pyarrow")
    st, data, _ = run_cmd("flow-gen -V %s -n 3000" % version)
    assert st == 0
    st, pq_data, err = run_cmd(["flow-export", "-f", "parquet"], stdin=data)
    assert (st, stderr_lines(err)) == (0, ["flow-export: Exported 3000 records"])
    assert pq_data[:4] == b"PAR1"
    (tmp_path / "f.parquet").write_bytes(pq_data)
    # the two imports (on stdin, and -u of the file) are independent: at once
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(2) as pool:
        on_stdin = pool.submit(run_cmd, ["flow-import", "-f", "6"], stdin=pq_data)
        from_file = pool.submit(run_cmd, ["flow-import", "-f", "6", "-u",
                                          str(tmp_path / "f.parquet"), "-V", version, "-z", "5"])
        (st, back, err), (st2, back2, _) = on_stdin.result(), from_file.result()
    assert (st, stderr_lines(err)) == (0, ["flow-import: Imported 3000 records."])
    assert _records(back) == _records(data)
    assert st2 == 0 and _records(back2) == _records(data)


def test_parquet_dataset_and_mask(run_cmd, require, sample_bytes, tmp_path):
    require("flow-export", "flow-import", "flow-print")
    pytest.importorskip("pyarrow")
    ds = str(tmp_path / "ds") + "/"
    st, out, err = run_cmd(["flow-export", "-f", "6", "-u", ds], stdin=sample_bytes)
    assert (st, out) == (0, b"") and stderr_lines(err) == ["flow-export: Exported 57556 records"]
    files = sorted(p.relative_to(tmp_path / "ds").parts[:3]
                   for p in (tmp_path / "ds").rglob("*.parquet"))
    assert files and all(f[0] == "exporter=127.0.0.1" and f[1].startswith("date=2004-08-16")
                         and f[2].startswith("hour=") for f in files)
    st, back, _ = run_cmd(["flow-import", "-f", "6", "-u", ds])
    assert st == 0
    rs = 64
    orig, got = _records(sample_bytes), _records(back)
    assert sorted(orig[i:i + rs] for i in range(0, len(orig), rs)) == \
        sorted(got[i:i + rs] for i in range(0, len(got), rs))
    st, out, err = run_cmd(["flow-export", "-f", "6", "-m", "doctets,srcaddr,dstaddr",
                            "-u", str(tmp_path / "m.parquet")], stdin=sample_bytes)
    assert st == 0
    import pyarrow.parquet as pq
    assert pq.read_schema(str(tmp_path / "m.parquet")).names == [
        "dOctets", "srcaddr", "dstaddr", "start", "end"]


@pytest.mark.parametrize("argv, stdin, last", [
    (["flow-import", "-f", "6"], b"not parquet", "flow-import: stdin: "),
    (["flow-import", "-f", "6", "-u", "/nonexistent/x.parquet"], b"", "flow-import: "),
    (["flow-import", "-f", "6", "-V", "2"], b"", "flow-import: Unsupported export version 2"),
    (["flow-export", "-f", "6", "-u", "/nonexistent/dir/x.parquet"], None,
     "flow-export: /nonexistent/dir/x.parquet: "),
])
def test_parquet_errors_are_one_line(run_cmd, require, argv, stdin, last, sample_bytes):
    require("flow-export", "flow-import")
    pytest.importorskip("pyarrow")
    st, out, err = run_cmd(argv, stdin=sample_bytes if stdin is None else stdin)
    lines = stderr_lines(err)
    assert st == 1 and lines and lines[0].startswith(last), lines
    assert all(line.startswith(argv[0] + ": ") for line in lines)


def test_parquet_plain_encoding_for_older_readers(run_cmd, require, sample_bytes, tmp_path):
    """PYFLOWTOOLS_PARQUET_ENCODING=plain: no byte stream split column, the
    same rows as the default file; a value not known: one line, status 1,
    no file."""
    require("flow-export")
    pq = pytest.importorskip("pyarrow.parquet")
    files = {}
    for enc in ("plain", "split"):
        path = tmp_path / ("%s.parquet" % enc)
        st, _, err = run_cmd(["flow-export", "-f", "6", "-u", str(path)], stdin=sample_bytes,
                             env={"PYFLOWTOOLS_PARQUET_ENCODING": enc})
        assert st == 0, err
        f = pq.ParquetFile(str(path))
        encs = {e for i in range(f.metadata.num_row_groups)
                for j in range(f.metadata.num_columns)
                for e in f.metadata.row_group(i).column(j).encodings}
        assert ("BYTE_STREAM_SPLIT" in encs) == (enc == "split")
        files[enc] = f.read()
    assert files["plain"].equals(files["split"])
    st, _, err = run_cmd(["flow-export", "-f", "6", "-u", str(tmp_path / "x.parquet")],
                         stdin=sample_bytes, env={"PYFLOWTOOLS_PARQUET_ENCODING": "fast"})
    assert (st, stderr_lines(err)) == (1, [
        "flow-export: PYFLOWTOOLS_PARQUET_ENCODING must be one of plain, split"])
    assert not (tmp_path / "x.parquet").exists()


def guide_sql(name):
    """The SQL of man/pyflowtools-analytics.7 between `.\\" sql: name` and
    `.\\" sql: end`, troff escapes undone, its file a parameter (?)."""
    page = harness.TESTS_DIR.parent / "man" / "pyflowtools-analytics.7"
    lines = page.read_text(encoding="utf-8").splitlines()
    start = lines.index('.\\" sql: %s' % name) + 1
    body = lines[start:lines.index('.\\" sql: end', start)]
    sql = "\n".join(body).replace("\\-", "-").replace("\\&", "")
    assert "\\" not in sql and sql.count("'flows.parquet'") == 1
    return sql.replace("'flows.parquet'", "?").rstrip().rstrip(";")


def test_guide_sql_is_what_the_page_shows():
    """The extraction reads the page's two queries (guards the test below
    against passing on empty SQL)."""
    syn, top = guide_sql("syn-only"), guide_sql("top-octets")
    assert syn.startswith("SELECT srcaddr, count(*)") and "tcp_flags = 2" in syn
    assert top.endswith("LIMIT 20") and "sum(dOctets)" in top


def test_duckdb_over_parquet_equals_portrank_and_stat(run_cmd, require, sample_bytes, tmp_path):
    """DuckDB over the exported Parquet, with the SQL of the guide
    (pyflowtools-analytics(7)): SYN-only flows per source equal
    flow-portrank -t 5's counts, the Top 20 sources by octets flow-stat -f 9
    -S 2's rows."""
    require("flow-export", "flow-portrank", "flow-stat")
    pytest.importorskip("pyarrow")
    duckdb = pytest.importorskip("duckdb")
    from pyflowtools.util import ipv4
    path = str(tmp_path / "s.parquet")
    st, _, _ = run_cmd(["flow-export", "-f", "6", "-u", path], stdin=sample_bytes)
    assert st == 0
    con = duckdb.connect()
    syn = con.execute(guide_sql("syn-only"), [path]).fetchall()
    st, out, _ = run_cmd(["flow-portrank", "-o", "tsv", "-t", "5"], stdin=sample_bytes)
    assert st == 0
    ranked = []
    for line in out.decode().splitlines()[1:]:
        host, n = line.split("\t")[:2]
        if not ranked or ranked[-1] != (host, int(n)):
            ranked.append((host, int(n)))
    assert [(ipv4.text(a), n) for a, n in syn] == ranked and len(ranked) >= 3
    top = con.execute(guide_sql("top-octets"), [path]).fetchall()
    st, out, _ = run_cmd(["flow-stat", "-f", "9", "-S", "2"], stdin=sample_bytes)
    assert st == 0
    rows = [line.split() for line in out.decode().splitlines()
            if line and not line.startswith("#")][:20]
    assert [(ipv4.text(a), f, o, p) for a, f, o, p in top] == \
        [(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows] and len(rows) == 20


def test_parquet_import_of_a_missing_file_is_one_line(run_cmd, require, tmp_path):
    """-u of a path that is not there: the system's words, one line, status 1
    (a file is opened as a Parquet file, a directory as a dataset)."""
    require("flow-import")
    pytest.importorskip("pyarrow")
    missing = str(tmp_path / "nothing.parquet")
    st, out, err = run_cmd(["flow-import", "-f", "6", "-u", missing])
    assert (st, out) == (1, b"")
    assert stderr_lines(err) == ["flow-import: %s: No such file or directory" % missing]
