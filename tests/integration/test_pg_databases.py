"""Databases (issue 36): CREATE / DROP / ALTER DATABASE with real clients
(psycopg2, psql, createdb, dropdb): a database is an isolated namespace,
sessions connected to it see only its tables; DROP with other sessions
connected is 55006 unless WITH (FORCE) terminates them; the statements
pg_dump -C writes (CREATE DATABASE … TEMPLATE = template0 …, ALTER
DATABASE … OWNER TO, \\connect) run through psql; pg_database and psql's
\\l list them; the registry survives a restart; a tenant's principal may
not create one (42501).

THEMIS_PG_REFERENCE=host:port (or just port) runs the scenarios that do
not need a themisd (tenants, restart) against that PostgreSQL (user
postgres, trust), to check them."""

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
import unittest

import psycopg2
import psycopg2.errors

from themis_harness import Server
from tokens import ALL_SCOPES, make_jwt

REFERENCE = os.environ.get("THEMIS_PG_REFERENCE")
SECRET = "database test secret, long enough!"
TOOLS = all(shutil.which(t) for t in ("psql", "createdb", "dropdb"))


class Target:
    """Where the scenarios run: a themisd started here, or PostgreSQL."""

    def __init__(self, srv=None):
        self.srv = srv
        if srv:
            self.host, self.port = "127.0.0.1", srv.pg_port
            self.user, self.password, self.base = "themis", "themis", "themis"
        else:
            host, _, port = REFERENCE.rpartition(":")
            self.host, self.port = host or "127.0.0.1", int(port)
            self.user, self.password, self.base = "postgres", "", "postgres"

    def env(self):
        return dict(os.environ, PGPASSWORD=self.password, PGCONNECT_TIMEOUT="10")

    def tool(self, *args, stdin=None):
        """A PostgreSQL client binary against the target (bounded)."""
        cmd = [args[0], "-h", self.host, "-p", str(self.port), "-U",
               self.user] + list(args[1:])
        return subprocess.run(cmd, input=stdin, capture_output=True,
                              text=True, env=self.env(), timeout=60)


class DatabaseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = None if REFERENCE else Server().start()
        cls.t = Target(cls.srv)

    @classmethod
    def tearDownClass(cls):
        if cls.srv:
            try:
                cls.srv.stop()
            finally:
                cls.srv.cleanup()

    def connect(self, dbname=None, autocommit=True):
        c = psycopg2.connect(host=self.t.host, port=self.t.port,
                             user=self.t.user, password=self.t.password,
                             dbname=dbname or self.t.base, connect_timeout=10)
        c.autocommit = autocommit
        self.addCleanup(c.close)
        return c

    def q(self, conn, sql, args=None):
        cur = conn.cursor()
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None

    def fails(self, conn, sql, state):
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(conn, sql)
        self.assertEqual(cm.exception.pgcode, state, str(cm.exception))
        return cm.exception

    def fresh(self, *names):
        """The databases `names` do not exist (now and after the test)."""
        base = self.connect()
        for n in names:
            self.q(base, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % n)
            self.addCleanup(self.drop_quietly, n)
        return base

    def drop_quietly(self, name):
        c = psycopg2.connect(host=self.t.host, port=self.t.port,
                             user=self.t.user, password=self.t.password,
                             dbname=self.t.base, connect_timeout=10)
        try:
            c.autocommit = True
            c.cursor().execute(
                "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        finally:
            c.close()

    def tables(self, conn):
        return sorted(r[0] for r in self.q(
            conn, "SELECT table_name FROM information_schema.tables "
                  "WHERE table_schema = 'public'"))

    # -- create, connect, isolation ----------------------------------------
    def test_databases_are_isolated(self):
        base = self.fresh("dbt_a", "dbt_b")
        self.q(base, "CREATE DATABASE dbt_a")
        self.q(base, "CREATE DATABASE dbt_b WITH OWNER = %s ENCODING 'UTF8' "
                     "CONNECTION LIMIT 10" % self.t.user)
        a, b = self.connect("dbt_a"), self.connect("dbt_b")
        self.assertEqual(self.q(a, "SELECT current_database()"), [("dbt_a",)])
        for conn, rows in ((a, ["one", "two"]), (b, ["three"])):
            self.q(conn, "CREATE TABLE items (id serial PRIMARY KEY, "
                         "name text NOT NULL UNIQUE)")
            for r in rows:
                self.q(conn, "INSERT INTO items (name) VALUES (%s)", (r,))
        self.assertEqual(self.q(a, "SELECT id, name FROM items ORDER BY id"),
                         [(1, "one"), (2, "two")])
        self.assertEqual(self.q(b, "SELECT id, name FROM items ORDER BY id"),
                         [(1, "three")])
        # the same name elsewhere is another table; the base database has none
        self.assertEqual(self.tables(a), ["items"])
        self.assertNotIn("items", self.tables(base))
        self.fails(base, "SELECT * FROM items", "42P01")
        e = self.fails(a, "INSERT INTO items (name) VALUES ('one')", "23505")
        self.assertEqual(e.diag.table_name, "items")
        # a database's session cannot name another database's tables
        self.fails(a, 'SELECT * FROM "dbt_b.items"', "42P01")

    def test_notifications_stay_in_their_database(self):
        base = self.fresh("dbt_na", "dbt_nb")
        self.q(base, "CREATE DATABASE dbt_na")
        self.q(base, "CREATE DATABASE dbt_nb")
        la, a2, b = (self.connect("dbt_na"), self.connect("dbt_na"),
                     self.connect("dbt_nb"))
        self.q(la, "LISTEN ch")
        self.q(b, "NOTIFY ch, 'from b'")
        self.q(base, "NOTIFY ch, 'from base'")
        self.q(a2, "NOTIFY ch, 'from a'")
        deadline = time.time() + 5
        while not la.notifies and time.time() < deadline:
            select.select([la], [], [], 0.2)
            la.poll()
        time.sleep(0.2)  # anything else would have come with it
        la.poll()
        self.assertEqual([n.payload for n in la.notifies], ["from a"])
        if self.t.srv is None:
            return
        # change events: only the database's own, under local names
        self.q(la, "LISTEN themis_changes")
        for conn in (b, a2):
            self.q(conn, "CREATE TABLE ev (id int PRIMARY KEY)")
            self.q(conn, "INSERT INTO ev VALUES (1)")
        la.notifies.clear()
        deadline = time.time() + 5
        while not la.notifies and time.time() < deadline:
            select.select([la], [], [], 0.2)
            la.poll()
        time.sleep(0.2)
        la.poll()
        events = [json.loads(n.payload) for n in la.notifies
                  if n.channel == "themis_changes"]
        self.assertEqual([(e["collection"], e["key"]) for e in events],
                         [("ev", "1")])

    def test_pg_database_and_psql_list(self):
        base = self.fresh("dbt_list")
        self.q(base, "CREATE DATABASE dbt_list CONNECTION LIMIT 5")
        rows = self.q(base, "SELECT datname, datdba = 10 OR datdba > 0, "
                            "encoding, datistemplate, datallowconn, "
                            "datconnlimit, datcollate, datctype FROM "
                            "pg_database WHERE datname IN ('dbt_list', "
                            "'postgres', 'template1', 'template0') ORDER BY 1")
        self.assertEqual([r[0] for r in rows],
                         ["dbt_list", "postgres", "template0", "template1"])
        self.assertEqual(rows[0][2:6], (6, False, True, 5))
        self.assertEqual(rows[2][3:5], (True, False))  # template0
        oid = self.q(base, "SELECT oid FROM pg_database WHERE datname = "
                           "'dbt_list'")[0][0]
        c = self.connect("dbt_list")
        self.assertEqual(self.q(c, "SELECT oid FROM pg_database WHERE "
                                   "datname = current_database()"), [(oid,)])
        if not TOOLS:
            self.skipTest("psql not installed")
        r = self.t.tool("psql", "-d", self.t.base, "-X", "-l")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("dbt_list", r.stdout)
        self.assertIn("template1", r.stdout)

    def test_createdb_and_dropdb(self):
        if not TOOLS:
            self.skipTest("createdb/dropdb not installed")
        self.fresh("dbt_tool")
        r = self.t.tool("createdb", "dbt_tool")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.t.tool("createdb", "dbt_tool")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('database "dbt_tool" already exists', r.stderr)
        r = self.t.tool("psql", "-d", "dbt_tool", "-X", "-v",
                        "ON_ERROR_STOP=1", "-c",
                        "CREATE TABLE t (a int); INSERT INTO t VALUES (7)")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.t.tool("dropdb", "dbt_tool")
        self.assertEqual(r.returncode, 0, r.stderr)
        with self.assertRaises(psycopg2.OperationalError) as cm:
            self.connect("dbt_tool")
        self.assertIn('database "dbt_tool" does not exist', str(cm.exception))

    def test_pg_dump_create_statements_through_psql(self):
        if not TOOLS:
            self.skipTest("psql not installed")
        self.fresh("dbt_dump")
        # what pg_dump -C writes (PostgreSQL 15), \connect included
        script = (
            "SET statement_timeout = 0;\n"
            "SET client_encoding = 'UTF8';\n"
            "CREATE DATABASE dbt_dump WITH TEMPLATE = template0 ENCODING = "
            "'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';\n"
            "ALTER DATABASE dbt_dump OWNER TO %s;\n"
            "\\connect dbt_dump\n"
            "SET statement_timeout = 0;\n"
            "SELECT pg_catalog.set_config('search_path', '', false);\n"
            "CREATE TABLE public.t (a integer, b text);\n"
            "COPY public.t (a, b) FROM stdin;\n"
            "1\tx\n2\ty\n\\.\n" % self.t.user)
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as f:
            f.write(script)
            f.flush()
            r = self.t.tool("psql", "-d", self.t.base, "-X", "-v",
                            "ON_ERROR_STOP=1", "-f", f.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        c = self.connect("dbt_dump")
        self.assertEqual(self.q(c, "SELECT a, b FROM t ORDER BY a"),
                         [(1, "x"), (2, "y")])
        self.assertNotIn("t", self.tables(self.connect()))

    def test_pg_dump_restore_round_trip(self):
        if not (TOOLS and shutil.which("pg_dump") and
                shutil.which("pg_restore")):
            self.skipTest("pg_dump / pg_restore not installed")
        base = self.fresh("dbt_rt")
        self.q(base, "CREATE DATABASE dbt_rt")
        c = self.connect("dbt_rt")
        self.q(c, "CREATE TABLE items (id int PRIMARY KEY, name text NOT "
                  "NULL, price numeric(10,2))")
        self.q(c, "INSERT INTO items VALUES (1, 'a', 1.50), (2, 'b\tc', 2)")
        want = self.q(c, "SELECT * FROM items ORDER BY id")
        c.close()
        with tempfile.TemporaryDirectory() as d:
            custom, plain = os.path.join(d, "c.dump"), os.path.join(d, "p.sql")
            r = self.t.tool("pg_dump", "-Fc", "-C", "-f", custom, "dbt_rt")
            self.assertEqual(r.returncode, 0, r.stderr)
            r = self.t.tool("pg_dump", "-C", "-f", plain, "dbt_rt")
            self.assertEqual(r.returncode, 0, r.stderr)
            # pg_restore -C: CREATE DATABASE, \connect, the rows by COPY
            self.q(base, "DROP DATABASE dbt_rt")
            r = self.t.tool("pg_restore", "-C", "-e", "-d", self.t.base,
                            custom)
            self.assertEqual(r.returncode, 0, r.stderr)
            c = self.connect("dbt_rt")
            self.assertEqual(self.q(c, "SELECT * FROM items ORDER BY id"),
                             want)
            c.close()
            # the plain script through psql
            self.q(base, "DROP DATABASE dbt_rt")
            r = self.t.tool("psql", "-X", "-v", "ON_ERROR_STOP=1", "-d",
                            self.t.base, "-f", plain)
            self.assertEqual(r.returncode, 0, r.stderr)
            c = self.connect("dbt_rt")
            self.assertEqual(self.q(c, "SELECT * FROM items ORDER BY id"),
                             want)

    def test_django_test_database(self):
        """Django's test runner: CREATE DATABASE test_<name> (DROP and again
        when it exists), migrate inside it, DROP DATABASE at the end."""
        try:
            import django
            from django.conf import settings
        except ImportError:
            self.skipTest("Django not installed")
        test_name = "test_" + self.t.base
        self.fresh(test_name)
        settings.configure(DATABASES={"default": {
            "ENGINE": "django.db.backends.postgresql", "NAME": self.t.base,
            "USER": self.t.user, "PASSWORD": self.t.password,
            "HOST": self.t.host, "PORT": str(self.t.port),
            "OPTIONS": {"connect_timeout": 10}}},
            INSTALLED_APPS=["django.contrib.contenttypes",
                            "django.contrib.auth"])
        django.setup()
        from django.contrib.auth.models import User
        from django.db import connection
        for round_ in range(2):
            name = connection.creation.create_test_db(verbosity=0,
                                                      autoclobber=True)
            self.assertEqual(name, test_name)
            self.assertEqual(User.objects.count(), 0)  # a fresh database
            User.objects.create(username="u%d" % round_)
            self.assertEqual(User.objects.count(), 1)
            connection.creation.destroy_test_db(self.t.base, verbosity=0)
        base = self.connect()
        self.assertEqual(self.q(base, "SELECT count(*) FROM pg_database "
                                      "WHERE datname = %s", (test_name,)),
                         [(0,)])
        self.assertNotIn("auth_user", self.tables(base))

    # -- errors --------------------------------------------------------------
    def test_statement_errors(self):
        base = self.fresh("dbt_err", "dbt_err2")
        self.q(base, "CREATE DATABASE dbt_err")
        for name in ("dbt_err", "postgres", "template1"):
            e = self.fails(base, "CREATE DATABASE %s" % name, "42P04")
            self.assertIn('database "%s" already exists' % name, str(e))
        self.fails(base, "CREATE DATABASE dbt_err2 FOO 1", "42601")
        self.fails(base, "CREATE DATABASE dbt_err2 ENCODING 'UTF8' "
                         "ENCODING 'UTF8'", "42601")
        self.fails(base, "CREATE DATABASE dbt_err2 ENCODING 'NOPE'", "42704")
        self.fails(base, "CREATE DATABASE dbt_err2 CONNECTION LIMIT -5",
                   "22023")
        self.fails(base, "CREATE DATABASE dbt_err2 LOCALE_PROVIDER foo",
                   "42P17")
        self.fails(base, "CREATE DATABASE dbt_err2 TEMPLATE nope", "3D000")
        e = self.fails(base, "DROP DATABASE dbt_nope", "3D000")
        self.assertIn('database "dbt_nope" does not exist', str(e))
        self.q(base, "DROP DATABASE IF EXISTS dbt_nope")
        self.assertIn('database "dbt_nope" does not exist, skipping',
                      base.notices[-1])
        self.fails(base, "DROP DATABASE template1", "42809")
        self.fails(base, "ALTER DATABASE dbt_nope RENAME TO dbt_x", "3D000")
        self.fails(base, "ALTER DATABASE dbt_nope OWNER TO %s" % self.t.user,
                   "3D000")
        self.fails(base, "ALTER DATABASE dbt_err SET no_such_setting = 1",
                   "42704")
        self.fails(base, "ALTER DATABASE dbt_err SET statement_timeout = 'x'",
                   "22023")
        c = self.connect("dbt_err")
        self.fails(c, "DROP DATABASE dbt_err", "55006")
        self.fails(c, "ALTER DATABASE dbt_err RENAME TO dbt_x", "0A000")
        # not in a transaction block
        tx = self.connect(autocommit=False)
        e = self.fails(tx, "CREATE DATABASE dbt_err2", "25001")
        self.assertIn("CREATE DATABASE cannot run inside a transaction block",
                      str(e))
        tx.rollback()
        self.fails(tx, "DROP DATABASE dbt_err", "25001")
        tx.rollback()
        self.assertEqual(self.q(base, "SELECT count(*) FROM pg_database "
                                      "WHERE datname = 'dbt_err2'"), [(0,)])

    # -- DROP with sessions connected ---------------------------------------
    def test_drop_with_sessions_connected(self):
        base = self.fresh("dbt_busy")
        self.q(base, "CREATE DATABASE dbt_busy")
        other = self.connect("dbt_busy")
        self.q(other, "CREATE TABLE t (a int)")
        e = self.fails(base, "DROP DATABASE dbt_busy", "55006")
        self.assertIn('database "dbt_busy" is being accessed by other users',
                      str(e))
        self.assertEqual(e.diag.message_detail,
                         "There is 1 other session using the database.")
        self.q(other, "SELECT 1")  # still connected
        self.q(base, "DROP DATABASE dbt_busy WITH (FORCE)")
        with self.assertRaises(psycopg2.Error):
            self.q(other, "SELECT 1")
        with self.assertRaises(psycopg2.OperationalError) as cm:
            self.connect("dbt_busy")
        self.assertIn('database "dbt_busy" does not exist', str(cm.exception))
        # a database of the same name later starts empty
        self.q(base, "CREATE DATABASE dbt_busy")
        self.assertEqual(self.tables(self.connect("dbt_busy")), [])

    # -- ALTER DATABASE -------------------------------------------------------
    def test_alter_database(self):
        base = self.fresh("dbt_alt", "dbt_alt2")
        self.q(base, "CREATE DATABASE dbt_alt")
        self.q(base, "ALTER DATABASE dbt_alt SET statement_timeout = '2s'")
        self.q(base, "ALTER DATABASE dbt_alt SET application_name = 'fromdb'")
        self.q(base, "ALTER DATABASE dbt_alt OWNER TO %s" % self.t.user)
        self.q(base, "ALTER DATABASE dbt_alt CONNECTION LIMIT 7")
        c = self.connect("dbt_alt")
        self.assertEqual(self.q(c, "SHOW statement_timeout"), [("2s",)])
        self.assertEqual(self.q(c, "SHOW application_name"), [("fromdb",)])
        self.assertEqual(self.q(c, "SELECT datconnlimit FROM pg_database "
                                   "WHERE datname = 'dbt_alt'"), [(7,)])
        c.close()
        self.q(base, "ALTER DATABASE dbt_alt RESET statement_timeout")
        c = self.connect("dbt_alt")
        self.assertEqual(self.q(c, "SHOW statement_timeout"), [("0",)])
        self.q(c, "CREATE TABLE kept (a int)")
        self.q(c, "INSERT INTO kept VALUES (1)")
        c.close()
        self.q(base, "ALTER DATABASE dbt_alt RENAME TO dbt_alt2")
        c = self.connect("dbt_alt2")
        self.assertEqual(self.q(c, "SELECT a FROM kept"), [(1,)])
        with self.assertRaises(psycopg2.OperationalError):
            self.connect("dbt_alt")


@unittest.skipIf(REFERENCE, "themisd only: tenants, restart")
class DatabaseServerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="themis_db_")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.args = ["--set", "auth.jwt_secret=" + SECRET]
        self.srv = Server(args=self.args, data_dir=self.dir,
                          env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        self.addCleanup(self.srv.cleanup)
        self.addCleanup(self.srv.stop)

    def connect(self, token, dbname="themis"):
        c = psycopg2.connect(host="127.0.0.1", port=self.srv.pg_port,
                             user="app", password=token, dbname=dbname,
                             connect_timeout=10)
        c.autocommit = True
        self.addCleanup(c.close)
        return c

    def test_tenants_restart_and_rest(self):
        root = make_jwt(SECRET, "root", None, "admin " + ALL_SCOPES)
        alice = make_jwt(SECRET, "alice", "acme", ALL_SCOPES)
        plain = make_jwt(SECRET, "pat", None, ALL_SCOPES)
        a = self.connect(alice, "acme")
        cur = a.cursor()
        for sql, state in (("CREATE DATABASE shop", "42501"),
                           ("DROP DATABASE themis", "42501")):
            with self.assertRaises(psycopg2.Error) as cm:
                cur.execute(sql)
            self.assertEqual(cm.exception.pgcode, state)
        with self.assertRaises(psycopg2.Error) as cm:
            self.connect(plain).cursor().execute("CREATE DATABASE shop")
        self.assertEqual(cm.exception.pgcode, "42501")
        r = self.connect(root)
        # a tenant's namespace is taken: no database over it
        cur.execute("CREATE TABLE t (a int)")
        with self.assertRaises(psycopg2.Error) as cm:
            r.cursor().execute("CREATE DATABASE acme")
        self.assertEqual(cm.exception.pgcode, "42P04")
        r.cursor().execute("CREATE DATABASE shop")
        r.cursor().execute("ALTER DATABASE shop SET search_path = public")
        s = self.connect(root, "shop")
        s.cursor().execute("CREATE TABLE orders (id int PRIMARY KEY, v text)")
        s.cursor().execute("INSERT INTO orders VALUES (1, 'x')")
        # a tenant's principal has its own database only
        with self.assertRaises(psycopg2.OperationalError) as cm:
            self.connect(alice, "shop")
        self.assertIn('database "shop" does not exist', str(cm.exception))
        # a global admin reaches it over REST inside its namespace
        st, _, body = self.srv.json(
            "GET", "/v1/collections/orders/documents/1",
            headers={"Authorization": "Bearer " + root, "X-Tenant-ID": "shop"})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["v"], "x")
        # the registry and the namespace survive a restart
        for c in (a, r, s):
            c.close()
        self.srv.stop()
        self.srv = Server(args=self.args, data_dir=self.dir,
                          env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        self.addCleanup(self.srv.cleanup)
        self.addCleanup(self.srv.stop)
        s = self.connect(root, "shop")
        cur = s.cursor()
        cur.execute("SELECT id, v FROM orders")
        self.assertEqual(cur.fetchall(), [(1, "x")])
        cur.execute("SHOW search_path")
        self.assertEqual(cur.fetchall(), [("public",)])
        cur.execute("SELECT count(*) FROM pg_database WHERE datname = 'shop'")
        self.assertEqual(cur.fetchall(), [(1,)])


if __name__ == "__main__":
    unittest.main()
