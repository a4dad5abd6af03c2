"""flow-export's database sinks (commands.md 12.4): records -> rows of a
PostgreSQL table (psycopg 3, COPY) or a MySQL/MariaDB table (PyMySQL,
multi-row INSERTs), one transaction per batch.

The destination is the reference's URI user:pwd:host:port:db:table
(defaults netflow, netflow, localhost, 5432 or 3306, netflow, raw; an
empty part takes its default; a host starting with `/` is a Unix socket:
PostgreSQL's socket folder, MySQL's socket file).  The table is created
when missing: one column per exported field, named as flow-export's CSV
names them (peer_nexthop as itself), addresses as `inet` (PostgreSQL) or
`VARCHAR(15)` (MySQL; v1006 `VARCHAR(39)`, IPv6 addresses as RFC 5952
text, IPv4 flows' as dotted quads), numbers as the smallest integer type
that holds the field (v1006's flow_label as the 32-bit ones).  Rows are
made in C (core/export.py); a batch that fails is rolled back, so the
table holds whole batches only.

The drivers are optional: a missing one is one clear error line.
"""
from pyflowtools.core import export as _x
from pyflowtools.core.errors import FlowToolsError, FormatError
from pyflowtools.io import export
from pyflowtools.io.sink import Sink

URI_PARTS = ("user", "pwd", "host", "port", "db", "table")
DEFAULTS = {"user": "netflow", "pwd": "netflow", "host": "localhost", "db": "netflow",
            "table": "raw"}
PORTS = {"pgsql": 5432, "mysql": 3306}
ADDRESS_FIELDS = {"exaddr", "srcaddr", "dstaddr", "nexthop", "peer_nexthop", "router_sc"}
#: field byte widths (the number types of the columns)
_WIDTH = {"unix_secs": 4, "unix_nsecs": 4, "sysuptime": 4, "dflows": 4, "dpkts": 4,
          "doctets": 4, "first": 4, "last": 4, "engine_type": 1, "engine_id": 1,
          "input": 2, "output": 2, "srcport": 2, "dstport": 2, "prot": 1, "tos": 1,
          "tcp_flags": 1, "src_mask": 1, "dst_mask": 1, "src_as": 2, "dst_as": 2,
          "in_encaps": 1, "out_encaps": 1, "extra_pkts": 4, "marked_tos": 1,
          "src_tag": 4, "dst_tag": 4, "flow_label": 4}
STATEMENT_BYTES = 1 << 20


def parse_uri(text, kind):
    """-u: a dict of the six parts (defaults for empty ones)."""
    d = dict(DEFAULTS, port=PORTS[kind])
    if text is None:
        return d
    parts = text.split(":")
    if len(parts) < 6:
        raise FormatError("Missing field in dbaseURI, expecting user:pwd:host:port:name:table.")
    parts = parts[:5] + [":".join(parts[5:])]
    for name, value in zip(URI_PARTS, parts):
        if value:
            d[name] = value
    try:
        d["port"] = int(d["port"])
    except ValueError:
        raise FormatError("Bad port in dbaseURI: %s" % d["port"]) from None
    return d


def columns(rectype, bits):
    """Names of the exported columns, canonical order."""
    bits = export.present(rectype, bits)
    return [n for f, n in export.FIELDS if bits & (1 << f)]


def schema(kind, names, rectype=None):
    """Column definitions of the table made when missing (v1006: MySQL's
    address columns VARCHAR(39), room for any RFC 5952 text)."""
    out = []
    wide = rectype == export.RT_V1006
    for n in names:
        if n in ADDRESS_FIELDS:
            t = "inet" if kind == "pgsql" else "VARCHAR(39)" if wide else "VARCHAR(15)"
        elif kind == "pgsql":
            t = "bigint" if _WIDTH[n] == 4 else "integer"
        else:
            t = {4: "INT UNSIGNED", 2: "SMALLINT UNSIGNED", 1: "TINYINT UNSIGNED"}[_WIDTH[n]]
        out.append((n, t))
    return out


def _first_line(e):
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0].strip()


class _DbSink(Sink):
    kind = None

    def __init__(self, uri, rectype, bits, style):
        self.uri = parse_uri(uri, self.kind)
        self.rectype = rectype
        self.names = columns(rectype, bits)
        if not self.names:
            raise FormatError("no field to export")
        self._enc = _x.Encoder("text", rectype, export.present(rectype, bits), style,
                               size=STATEMENT_BYTES)
        self.conn = None

    def abort(self):
        if self.conn is not None:
            try:
                self.conn.rollback()
            except Exception:
                pass
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


class PgSink(_DbSink):
    """PostgreSQL: CREATE TABLE IF NOT EXISTS, then one COPY (CSV) in one
    transaction per batch."""

    kind = "pgsql"

    def __init__(self, uri, rectype, bits=export.ALL_FIELDS):
        super().__init__(uri, rectype, bits, _x.COPY)
        try:
            import psycopg
            from psycopg import sql
        except ImportError:
            raise FlowToolsError("-f 5 needs the psycopg package "
                                 "(pip install 'psycopg[binary]')") from None
        self._errors = (psycopg.Error,)
        u = self.uri
        try:
            self.conn = psycopg.connect(host=u["host"], port=u["port"], user=u["user"],
                                        password=u["pwd"], dbname=u["db"], connect_timeout=10)
        except psycopg.Error as e:
            raise FlowToolsError("PQsetdbLogin(): %s" % _first_line(e)) from None
        table = sql.Identifier(*u["table"].split(".", 1))
        cols = sql.SQL(",").join(sql.Identifier(n) for n in self.names)
        self._copy = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(table, cols)
        create = sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
            table, sql.SQL(",").join(sql.SQL("{} " + t).format(sql.Identifier(n))
                                     for n, t in schema(self.kind, self.names, self.rectype)))
        try:
            with self.conn.transaction():
                self.conn.execute(create)
        except psycopg.Error as e:
            self.abort()
            raise FlowToolsError("PostgreSQL: %s" % _first_line(e)) from None

    def write(self, batch):
        if not batch.n:
            return
        try:
            with self.conn.transaction():
                with self.conn.cursor() as cur:
                    with cur.copy(self._copy) as cp:
                        for chunk in self._enc.chunks(batch):
                            cp.write(bytes(chunk))
        except self._errors as e:
            self.abort()
            raise FlowToolsError("PostgreSQL: %s" % _first_line(e)) from None
        self.records_written += batch.n


class MySqlSink(_DbSink):
    """MySQL/MariaDB: CREATE TABLE IF NOT EXISTS, then multi-row INSERTs of
    at most STATEMENT_BYTES, one transaction per batch."""

    kind = "mysql"

    def __init__(self, uri, rectype, bits=export.ALL_FIELDS):
        super().__init__(uri, rectype, bits, _x.SQL)
        try:
            import pymysql
        except ImportError:
            raise FlowToolsError("-f 3 needs the PyMySQL package (pip install PyMySQL)") from None
        self._errors = (pymysql.Error,)
        u = self.uri
        kw = dict(user=u["user"], password=u["pwd"], database=u["db"], autocommit=False,
                  connect_timeout=10)
        if u["host"].startswith("/"):
            kw["unix_socket"] = u["host"]
        else:
            kw.update(host=u["host"], port=u["port"])
        try:
            self.conn = pymysql.connect(**kw)
        except pymysql.Error as e:
            raise FlowToolsError("mysql_real_connect(): %s" % _mysql_text(e)) from None
        table = ".".join("`%s`" % p.replace("`", "``") for p in u["table"].split(".", 1))
        self._insert = ("INSERT INTO %s (%s) VALUES " % (
            table, ",".join("`%s`" % n for n in self.names))).encode()
        create = "CREATE TABLE IF NOT EXISTS %s (%s)" % (
            table, ",".join("`%s` %s" % nt for nt in schema(self.kind, self.names,
                                                            self.rectype)))
        try:
            with self.conn.cursor() as cur:
                cur.execute(create)
            self.conn.commit()
        except pymysql.Error as e:
            self.abort()
            raise FlowToolsError("MySQL: %s" % _mysql_text(e)) from None

    def write(self, batch):
        if not batch.n:
            return
        try:
            with self.conn.cursor() as cur:
                for chunk in self._enc.chunks(batch):
                    # rows end with ",\n": the last one's comma goes
                    cur.execute((self._insert + bytes(chunk[:-2])).decode("ascii"))
            self.conn.commit()
        except self._errors as e:
            self.abort()
            raise FlowToolsError("MySQL: %s" % _mysql_text(e)) from None
        self.records_written += batch.n


def _mysql_text(e):
    if len(getattr(e, "args", ())) >= 2:
        return _first_line(e.args[1])
    return _first_line(e)


def open_sink(kind, uri, rectype, bits=export.ALL_FIELDS):
    """The sink of -f 5 ("pgsql") or -f 3 ("mysql")."""
    return (PgSink if kind == "pgsql" else MySqlSink)(uri, rectype, bits)
