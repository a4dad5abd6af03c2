"""Throw-away PostgreSQL and MariaDB servers for the database tests: a data
folder under a temporary folder, listening on 127.0.0.1 (a free port) and a
Unix socket only, a `netflow` user with a password and a `netflow`
database.  Started once per test session by the fixtures of
tests/cmd/test_flow_export.py; `skip_reason()` says why a server cannot run
(binaries or driver absent)."""
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time

import harness

USER, PASSWORD, DB = "netflow", "nf-secret", "netflow"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user(name):
    """Popen arguments running the command itself as `name` when we are root
    (the servers refuse root; no wrapper process, so kill() reaches it)."""
    if os.geteuid() != 0:
        return {}
    pw = pwd.getpwnam(name)
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def _wait_connect(path_or_port, proc, timeout=30.0):
    """Wait until the server accepts connections on its socket (or it died);
    timeout scaled by harness.SLOW."""
    deadline = time.monotonic() + harness.ceiling(timeout)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with status %s" % proc.returncode)
        try:
            if isinstance(path_or_port, int):
                socket.create_connection(("127.0.0.1", path_or_port), 0.2).close()
            else:
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(0.2)
                s.connect(path_or_port)
                s.close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("server did not start")


def pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    return dirs[-1] if dirs and os.path.exists(dirs[-1] + "/postgres") else None


class Postgres:
    """A PostgreSQL server; `uri(table)` is flow-export's -u for it."""

    kind = "pgsql"

    @staticmethod
    def skip_reason():
        if pg_bindir() is None:
            return "PostgreSQL server binaries absent (Debian package postgresql)"
        try:
            import psycopg  # noqa: F401
        except ImportError:
            return "psycopg not installed"
        if os.geteuid() == 0 and not _has_user("postgres"):
            return "running as root without a postgres user"
        return None

    def __init__(self, base):
        self.base = base
        self.data = os.path.join(base, "pgdata")
        self.sock = os.path.join(base, "pgsock")
        os.makedirs(self.sock)
        self.port = free_port()
        self._chown("postgres")
        pwfile = os.path.join(base, "pgpw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(pwfile, 0o644)
        bindir = pg_bindir()
        self.postgres = bindir + "/postgres"
        subprocess.run([
            bindir + "/initdb", "-D", self.data, "-U", USER, "--pwfile", pwfile,
            "--auth=scram-sha-256", "-E", "UTF8", "--no-sync", "--locale=C"],
            check=True, capture_output=True, cwd=self.base, env=harness.peer_env(),
            **_as_user("postgres"))
        self.start()
        import psycopg
        with psycopg.connect(**self.connargs(dbname="postgres"), autocommit=True) as c:
            c.execute("CREATE DATABASE %s" % DB)

    def _chown(self, user):
        if os.geteuid() == 0:
            pw = pwd.getpwnam(user)
            for d in (self.base, self.sock):
                os.chown(d, pw.pw_uid, pw.pw_gid)

    def start(self):
        self.proc = subprocess.Popen([
            self.postgres, "-D", self.data, "-h", "127.0.0.1", "-p", str(self.port),
            "-k", self.sock, "-c", "fsync=off",
            "-c", "full_page_writes=off", "-c", "logging_collector=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.base,
            env=harness.peer_env(),
            **_as_user("postgres"))
        _wait_connect(os.path.join(self.sock, ".s.PGSQL.%d" % self.port), self.proc)
        _wait_ready(self)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)     # fast shutdown
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def connargs(self, dbname=DB):
        return dict(host="127.0.0.1", port=self.port, user=USER, password=PASSWORD,
                    dbname=dbname)

    def uri(self, table, socket_path=False):
        host = self.sock if socket_path else "127.0.0.1"
        return "%s:%s:%s:%d:%s:%s" % (USER, PASSWORD, host, self.port, DB, table)

    def query(self, text):
        import psycopg
        with psycopg.connect(**self.connargs(), autocommit=True) as c:
            cur = c.execute(text)
            return cur.fetchall() if cur.description else None


    def dump(self, table, names):
        """Rows of `names` as text tuples (COPY: no per-value conversion)."""
        import psycopg
        out = bytearray()
        with psycopg.connect(**self.connargs(), autocommit=True) as c:
            with c.cursor().copy("COPY (SELECT %s FROM %s) TO STDOUT (FORMAT csv)"
                                 % (",".join(names), table)) as cp:
                for data in cp:
                    out += data
        return [tuple(line.split(",")) for line in out.decode().splitlines()]


class MariaDB:
    """A MariaDB server; `uri(table)` is flow-export's -u for it."""

    kind = "mysql"

    @staticmethod
    def binary():
        for b in ("/usr/sbin/mariadbd", "/usr/sbin/mysqld", "/usr/bin/mysqld"):
            if os.path.exists(b):
                return b
        return None

    @staticmethod
    def skip_reason():
        if MariaDB.binary() is None or not shutil.which("mariadb-install-db"):
            return "MariaDB server binaries absent (Debian package mariadb-server)"
        try:
            import pymysql  # noqa: F401
        except ImportError:
            return "PyMySQL not installed"
        if os.geteuid() == 0 and not _has_user("mysql"):
            return "running as root without a mysql user"
        return None

    def __init__(self, base, buffer_pool="32M"):
        self.base = base
        self.buffer_pool = buffer_pool
        self.data = os.path.join(base, "mydata")
        self.sock = os.path.join(base, "my.sock")
        self.port = free_port()
        if os.geteuid() == 0:
            pw = pwd.getpwnam("mysql")
            os.chown(base, pw.pw_uid, pw.pw_gid)
        user = ["--user=mysql"] if os.geteuid() == 0 else []
        subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + self.data,
                        "--auth-root-authentication-method=normal", "--skip-test-db",
                        "--skip-name-resolve"] + user,
                       check=True, capture_output=True, env=harness.peer_env())
        self._user = user
        self.start()
        import pymysql
        c = pymysql.connect(unix_socket=self.sock, user="root", autocommit=True)
        with c.cursor() as cur:
            cur.execute("CREATE DATABASE %s" % DB)
            cur.execute("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'" % (USER, PASSWORD))
            cur.execute("CREATE USER '%s'@'localhost' IDENTIFIED BY '%s'" % (USER, PASSWORD))
            cur.execute("GRANT ALL ON %s.* TO '%s'@'%%'" % (DB, USER))
            cur.execute("GRANT ALL ON %s.* TO '%s'@'localhost'" % (DB, USER))
        c.close()

    def start(self):
        self.proc = subprocess.Popen([
            self.binary(), "--no-defaults", "--datadir=" + self.data, "--socket=" + self.sock,
            "--port=%d" % self.port, "--bind-address=127.0.0.1", "--skip-name-resolve",
            "--innodb-buffer-pool-size=" + self.buffer_pool, "--innodb-log-file-size=16M",
            "--innodb-flush-log-at-trx-commit=2", "--skip-log-bin",
            "--pid-file=" + os.path.join(self.base, "my.pid"),
            "--log-error=" + os.path.join(self.base, "my.err")] + self._user,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=harness.peer_env())
        _wait_connect(self.sock, self.proc)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def uri(self, table, socket_path=False):
        host = self.sock if socket_path else "127.0.0.1"
        return "%s:%s:%s:%d:%s:%s" % (USER, PASSWORD, host, self.port, DB, table)

    def dump(self, table, names):
        """Rows of `names` as text tuples (the mariadb client's batch output)."""
        client = shutil.which("mariadb") or shutil.which("mysql")
        out = subprocess.run([client, "--no-defaults", "--batch", "--skip-column-names",
                              "-S", self.sock, "-u", USER, "-p" + PASSWORD, DB, "-e",
                              "SELECT %s FROM %s" % (",".join(names), table)],
                             check=True, capture_output=True, env=harness.peer_env()).stdout
        return [tuple(line.split("\t")) for line in out.decode().splitlines()]

    def query(self, text):
        import pymysql
        c = pymysql.connect(unix_socket=self.sock, user=USER, password=PASSWORD, database=DB,
                            autocommit=True)
        try:
            with c.cursor() as cur:
                cur.execute(text)
                return [tuple(r) for r in cur.fetchall()] if cur.description else None
        finally:
            c.close()


def _wait_ready(server, timeout=30.0):
    """PostgreSQL accepts the socket before it accepts logins."""
    import psycopg
    deadline = time.monotonic() + harness.ceiling(timeout)
    while True:
        try:
            psycopg.connect(**server.connargs(dbname="postgres"), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline or server.proc.poll() is not None:
                raise
            time.sleep(0.02)


def _has_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
