"""Temporary tables as PostgreSQL 15 has them (issue 36), with real clients
(psycopg2, psql): CREATE TEMP TABLE [IF NOT EXISTS] / AS SELECT, ON COMMIT
DROP / DELETE ROWS / PRESERVE ROWS (in blocks and in autocommit), pg_temp
qualified names, a temp table shadowing a permanent one, indexes, COPY,
INSERT … SELECT and joins across temp and permanent tables, the catalog
(pg_namespace pg_temp_N, relpersistence 't', pg_my_temp_schema(),
information_schema LOCAL TEMPORARY, psql \\d), privacy between sessions
and from REST, no change events and dense sequences, and the tables gone
at disconnect, after pg_terminate_backend and after a crash (kill -9 and a
restart on the same data directory). Storage is checked in the store file
itself (read-only) where no client can look."""

import json
import os
import select
import sqlite3
import subprocess
import time
import unittest

import psycopg2
import psycopg2.errors

from themis_harness import Server


def wait_notifies(conn, n, timeout=5.0):
    deadline = time.time() + timeout
    while len(conn.notifies) < n and time.time() < deadline:
        select.select([conn], [], [], 0.2)
        conn.poll()
    return [(x.channel, x.payload) for x in conn.notifies]


def stored_temp(data_dir):
    """Temp tables' definitions and rows left in the store file."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_dir,
                                                          "themis.db"),
                         uri=True, timeout=10)
    try:
        defs = [r[0] for r in db.execute(
            "SELECT name FROM sql_tables WHERE instr(name, '$') > 0")]
        rows = db.execute("SELECT count(*) FROM documents WHERE "
                          "instr(collection, '$') > 0").fetchone()[0]
        idx = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND "
            "instr(name, '$') > 0")]
        colls = [r[0] for r in db.execute(
            "SELECT name FROM collections WHERE instr(name, '$') > 0")]
        return defs, rows, idx, colls
    finally:
        db.close()


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def connect(self, srv=None, autocommit=True):
        srv = srv or self.srv
        c = psycopg2.connect(host="127.0.0.1", port=srv.pg_port,
                             user="themis", password="themis",
                             dbname="themis", connect_timeout=10,
                             options="-c statement_timeout=20000")
        c.autocommit = autocommit
        self.addCleanup(c.close)
        return c

    def rows(self, conn, sql, args=None):
        cur = conn.cursor()
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else cur.rowcount

    def one(self, conn, sql, args=None):
        return self.rows(conn, sql, args)[0][0]

    def fails(self, conn, sql, code):
        with self.assertRaises(psycopg2.Error) as cm:
            self.rows(conn, sql)
        self.assertEqual(cm.exception.pgcode, code, cm.exception)
        if not conn.autocommit:
            conn.rollback()
        return cm.exception

    def wait_no_temp(self, srv=None, timeout=10):
        srv = srv or self.srv
        deadline = time.time() + timeout
        while True:
            left = stored_temp(srv.data_dir)
            if left == ([], 0, [], []) or time.time() > deadline:
                return left
            time.sleep(0.05)

    def tip(self):
        _, _, b = self.srv.json("GET", "/changefeed?from_seq=now")
        return b["latest_sequence"]

    def psql(self, sql):
        env = dict(os.environ, PGPASSWORD="themis", PGCONNECT_TIMEOUT="10")
        dsn = "host=127.0.0.1 port=%d user=themis dbname=themis" % (
            self.srv.pg_port)
        return subprocess.run(["psql", dsn, "-X", "-v", "ON_ERROR_STOP=1"],
                              input=sql, capture_output=True, text=True,
                              env=env, timeout=60)


class TempTablesTest(Base):
    def test_shadowing_qualified_names_and_data_flow(self):
        c = self.connect()
        self.rows(c, "CREATE TABLE shadow (id int PRIMARY KEY, v text)")
        self.addCleanup(lambda: self.rows(self.connect(),
                                          "DROP TABLE IF EXISTS shadow"))
        self.rows(c, "INSERT INTO shadow VALUES (1, 'perm'), (2, 'perm')")
        self.rows(c, "CREATE TEMP TABLE shadow (id int PRIMARY KEY, v text)")
        self.rows(c, "INSERT INTO shadow VALUES (10, 'temp')")
        # unqualified: the temp table first; public. and pg_temp. choose
        self.assertEqual(self.rows(c, "SELECT id, v FROM shadow"),
                         [(10, "temp")])
        self.assertEqual(
            self.rows(c, "SELECT id FROM public.shadow ORDER BY id"),
            [(1,), (2,)])
        self.assertEqual(self.rows(c, "SELECT id FROM pg_temp.shadow"),
                         [(10,)])
        # permanent → temp and back, and a join of the two
        self.assertEqual(self.rows(
            c, "INSERT INTO pg_temp.shadow SELECT id + 100, v FROM "
               "public.shadow"), 2)
        self.assertEqual(self.rows(
            c, "INSERT INTO public.shadow SELECT id, v FROM shadow "
               "WHERE id = 10"), 1)
        self.assertEqual(self.rows(
            c, "SELECT p.id, t.id FROM public.shadow p JOIN shadow t "
               "ON t.id = p.id + 100 ORDER BY p.id"), [(1, 101), (2, 102)])
        self.assertEqual(self.rows(c, "UPDATE shadow SET v = 'x' "
                                      "WHERE id > 100"), 2)
        self.assertEqual(self.rows(c, "DELETE FROM shadow WHERE id = 101"), 1)
        self.assertEqual(self.one(c, "SELECT count(*) FROM shadow"), 2)
        # DROP TABLE drops the temp one; the permanent one is seen again
        self.rows(c, "DROP TABLE shadow")
        self.assertEqual(self.one(c, "SELECT count(*) FROM shadow"), 3)
        self.fails(c, "SELECT * FROM pg_temp.shadow", "42P01")
        self.fails(c, "DROP TABLE pg_temp.shadow", "42P01")

    def test_if_not_exists_and_errors(self):
        c = self.connect()
        self.rows(c, "CREATE TEMPORARY TABLE ine (a int)")
        c.notices.clear()
        self.rows(c, "CREATE TEMPORARY TABLE IF NOT EXISTS ine (a int)")
        self.assertTrue(any('relation "ine" already exists, skipping' in n
                            for n in c.notices), c.notices)
        e = self.fails(c, "CREATE TEMP TABLE ine (a int)", "42P07")
        self.assertIn('relation "ine" already exists', str(e))
        self.assertNotIn("$", str(e))
        self.fails(c, "CREATE TABLE perm_oc (a int) ON COMMIT DROP", "42P16")
        self.fails(c, "CREATE TEMP TABLE public.tp (a int)", "42P16")
        self.fails(c, "SELECT * FROM pg_temp_999999.ine", "42P01")
        self.fails(c, "CREATE TABLE nope_schema.x (a int)", "3F000")
        # '$' (the stored names' marker) is refused in every table name
        self.fails(c, 'CREATE TABLE "a$b" (a int)', "42602")
        self.fails(c, 'CREATE TEMP TABLE "a$b" (a int)', "42602")
        self.rows(c, "CREATE TABLE pg_temp.in_temp (a int)")  # temp too
        self.assertEqual(self.one(
            c, "SELECT relpersistence FROM pg_class WHERE relname = "
               "'in_temp'"), "t")

    def test_isolation_between_sessions(self):
        a, b = self.connect(), self.connect()
        self.rows(a, "CREATE TEMP TABLE mine (a int)")
        self.rows(a, "INSERT INTO mine VALUES (1)")
        apid = self.one(a, "SELECT pg_backend_pid()")
        self.fails(b, "SELECT * FROM mine", "42P01")
        self.fails(b, "SELECT * FROM pg_temp_%d.mine" % apid, "42P01")
        self.fails(b, 'SELECT * FROM "pg_temp_%d$mine"' % apid, "42P01")
        self.fails(b, "INSERT INTO mine VALUES (2)", "42P01")
        self.fails(b, "DROP TABLE mine", "42P01")
        self.rows(b, 'DROP TABLE IF EXISTS "pg_temp_%d$mine"' % apid)
        self.rows(b, "DROP INDEX IF EXISTS mine_idx")
        self.assertEqual(self.one(b, "SELECT count(*) FROM pg_class WHERE "
                                     "relname = 'mine'"), 0)
        self.assertEqual(self.one(
            b, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE "
               "'pg_temp%'"), 0)
        # b has its own table of the same name
        self.rows(b, "CREATE TEMP TABLE mine (a int, b text)")
        self.rows(b, "INSERT INTO mine VALUES (5, 'b')")
        self.assertEqual(self.rows(a, "SELECT * FROM mine"), [(1,)])
        self.assertEqual(self.rows(b, "SELECT * FROM mine"), [(5, "b")])
        # an index of the same name in both: each drops its own
        self.rows(a, "CREATE INDEX mine_idx ON mine (a)")
        self.rows(b, "CREATE INDEX mine_idx ON mine (a)")
        self.rows(b, "DROP INDEX mine_idx")
        self.assertEqual(self.one(a, "SELECT count(*) FROM pg_indexes "
                                     "WHERE indexname = 'mine_idx'"), 1)
        # REST sees no collection and cannot name one
        st, _, body = self.srv.json("GET", "/v1/collections")
        self.assertEqual(st, 200)
        self.assertFalse([x for x in body["collections"]
                          if "$" in x["name"] or "mine" in x["name"]], body)
        st, _, _ = self.srv.request(
            "GET", "/v1/collections/pg_temp_%d%%24mine/documents" % apid)
        self.assertIn(st, (400, 404))
        # nor does AQL, by either name, to read or to write
        for q in ("FOR d IN mine RETURN d",
                  "FOR d IN `pg_temp_%d$mine` RETURN d" % apid,
                  "INSERT {a: 9} INTO `pg_temp_%d$mine`" % apid):
            st, _, body = self.srv.json("POST", "/v1/query", {"query": q})
            self.assertEqual(st, 404, (q, body))
        self.assertEqual(self.rows(a, "SELECT * FROM mine"), [(1,)])

    def test_no_change_events_and_dense_sequences(self):
        c = self.connect()
        listener = self.connect()
        self.rows(listener, "LISTEN themis_changes")
        self.rows(c, "CREATE TABLE after_temp (id int PRIMARY KEY)")
        self.addCleanup(lambda: self.rows(self.connect(),
                                          "DROP TABLE IF EXISTS after_temp"))
        before = self.tip()
        self.rows(c, "CREATE TEMP TABLE quiet (id serial PRIMARY KEY, v "
                     "text)")
        self.rows(c, "INSERT INTO quiet (v) SELECT 'v' || g FROM "
                     "generate_series(1, 50) g")
        self.rows(c, "INSERT INTO quiet (id, v) VALUES (1, 'x') ON CONFLICT "
                     "(id) DO UPDATE SET v = excluded.v")
        self.rows(c, "UPDATE quiet SET v = 'u' WHERE id < 10")
        self.rows(c, "DELETE FROM quiet WHERE id < 5")
        cur = c.cursor()
        cur.copy_expert("COPY quiet (v) FROM STDIN", _lines(["a", "b"]))
        c.autocommit = False
        self.rows(c, "INSERT INTO quiet (v) VALUES ('in block')")
        c.commit()
        c.autocommit = True
        self.rows(c, "TRUNCATE quiet")
        self.rows(c, "CREATE TEMP TABLE quiet2 AS SELECT 1 AS a")
        self.rows(c, "DROP TABLE quiet, quiet2")
        self.assertEqual(self.tip(), before)
        self.rows(c, "INSERT INTO after_temp VALUES (7)")
        self.assertEqual(self.tip(), before + 1)
        _, _, feed = self.srv.json("GET", "/changefeed?from_seq=%d" % before)
        evs = [(e["sequence"], e["collection"], e["key"])
               for e in feed["events"] if e["sequence"] > before]
        self.assertEqual(evs, [(before + 1, "after_temp", "7")])
        got = wait_notifies(listener, 1)
        self.assertEqual([json.loads(p)["collection"] for _, p in got],
                         ["after_temp"])
        self.assertEqual(wait_notifies(listener, 2, timeout=0.5), got)

    def test_on_commit_delete_rows(self):
        c = self.connect()
        self.rows(c, "CREATE TEMP TABLE ocd (id serial PRIMARY KEY, v text) "
                     "ON COMMIT DELETE ROWS")
        # autocommit: the statement's own transaction empties it
        self.assertEqual(self.rows(c, "INSERT INTO ocd (v) VALUES ('a') "
                                      "RETURNING v"), [("a",)])
        self.assertEqual(self.one(c, "SELECT count(*) FROM ocd"), 0)
        c.autocommit = False
        self.rows(c, "INSERT INTO ocd (v) VALUES ('b'), ('c')")
        self.assertEqual(self.one(c, "SELECT count(*) FROM ocd"), 2)
        c.commit()
        self.assertEqual(self.one(c, "SELECT count(*) FROM ocd"), 0)
        c.commit()
        self.rows(c, "INSERT INTO ocd (v) VALUES ('d')")
        c.rollback()
        self.assertEqual(self.one(c, "SELECT count(*) FROM ocd"), 0)
        c.commit()
        # the table itself stays
        c.autocommit = True
        # a DO block is one transaction: its rows go at its end too
        self.rows(c, "DO $$ BEGIN INSERT INTO ocd (v) VALUES ('do'); END $$")
        self.assertEqual(self.one(c, "SELECT count(*) FROM ocd"), 0)
        self.assertEqual(self.one(c, "SELECT relpersistence FROM pg_class "
                                     "WHERE relname = 'ocd'"), "t")

    def test_on_commit_delete_rows_extended_protocol(self):
        # psycopg 3: Parse once, Bind/Execute/Sync per call; each Sync ends
        # the statement's implicit transaction
        import psycopg
        with psycopg.connect(host="127.0.0.1", port=self.srv.pg_port,
                             user="themis", password="themis",
                             dbname="themis", connect_timeout=10,
                             autocommit=True) as c:
            c.execute("CREATE TEMP TABLE ocd3 (a int) ON COMMIT DELETE ROWS")
            for i in range(3):
                c.execute("INSERT INTO ocd3 VALUES (%s)", (i,), prepare=True)
                self.assertEqual(c.execute("SELECT count(*) FROM ocd3",
                                           prepare=True).fetchone()[0], 0)
            with c.transaction():
                c.execute("INSERT INTO ocd3 VALUES (%s)", (9,), prepare=True)
                self.assertEqual(c.execute("SELECT count(*) FROM ocd3",
                                           prepare=True).fetchone()[0], 1)
            self.assertEqual(c.execute("SELECT count(*) FROM ocd3",
                                       prepare=True).fetchone()[0], 0)

    def test_on_commit_drop_and_preserve(self):
        c = self.connect(autocommit=False)
        self.rows(c, "CREATE TEMP TABLE ocx (a int) ON COMMIT DROP")
        self.rows(c, "INSERT INTO ocx VALUES (1)")
        self.assertEqual(self.rows(c, "SELECT a FROM ocx"), [(1,)])
        c.commit()
        self.fails(c, "SELECT * FROM ocx", "42P01")
        # rolled back: never existed
        self.rows(c, "CREATE TEMP TABLE ocy (a int) ON COMMIT DROP")
        c.rollback()
        self.fails(c, "SELECT * FROM ocy", "42P01")
        # autocommit: created and dropped by its own transaction
        c.autocommit = True
        self.rows(c, "CREATE TEMP TABLE ocz (a int) ON COMMIT DROP")
        self.fails(c, "SELECT * FROM ocz", "42P01")
        self.rows(c, "CREATE TEMP TABLE ocw ON COMMIT DROP AS SELECT 1 AS a")
        self.fails(c, "SELECT * FROM ocw", "42P01")
        # PRESERVE ROWS is the default
        self.rows(c, "CREATE TEMP TABLE ocp (a int) ON COMMIT PRESERVE ROWS")
        self.rows(c, "INSERT INTO ocp VALUES (1)")
        c.autocommit = False
        self.rows(c, "INSERT INTO ocp VALUES (2)")
        c.commit()
        self.assertEqual(self.one(c, "SELECT count(*) FROM ocp"), 2)
        c.commit()
        self.assertEqual(self.wait_no_temp_names("ocx", "ocy", "ocz",
                                                 "ocw"), [])

    def wait_no_temp_names(self, *names):
        defs, _, _, _ = stored_temp(self.srv.data_dir)
        return [d for d in defs if d.split("$", 1)[1] in names]

    def test_catalog_and_psql_describe(self):
        c = self.connect()
        pid = self.one(c, "SELECT pg_backend_pid()")
        self.assertEqual(self.one(c, "SELECT pg_my_temp_schema()"), 0)
        self.rows(c, "CREATE TEMP TABLE cat_t (id int PRIMARY KEY, v "
                     "varchar(5))")
        self.rows(c, "CREATE UNIQUE INDEX cat_t_v ON cat_t (v)")
        schema = "pg_temp_%d" % pid
        ns = self.one(c, "SELECT oid FROM pg_namespace WHERE nspname = %s",
                      (schema,))
        self.assertEqual(self.one(c, "SELECT pg_my_temp_schema()"), ns)
        self.assertFalse(self.one(c, "SELECT pg_is_other_temp_schema(%s)",
                                  (ns,)))
        self.assertEqual(self.rows(
            c, "SELECT relname, relkind, relpersistence FROM pg_class WHERE "
               "relnamespace = %s ORDER BY relname", (ns,)),
            [("cat_t", "r", "t"), ("cat_t_pkey", "i", "t"),
             ("cat_t_v", "i", "t")])
        self.assertEqual(self.rows(
            c, "SELECT table_schema, table_type FROM information_schema."
               "tables WHERE table_name = 'cat_t'"),
            [(schema, "LOCAL TEMPORARY")])
        self.assertEqual(self.rows(
            c, "SELECT schemaname FROM pg_tables WHERE tablename = "
               "'cat_t'"), [(schema,)])
        e = None
        self.rows(c, "INSERT INTO cat_t VALUES (1, 'a')")
        with self.assertRaises(psycopg2.Error) as cm:
            self.rows(c, "INSERT INTO cat_t VALUES (1, 'b')")
        e = cm.exception
        self.assertEqual(e.pgcode, "23505")
        self.assertEqual(e.diag.schema_name, schema)
        self.assertEqual(e.diag.table_name, "cat_t")
        self.assertEqual(e.diag.constraint_name, "cat_t_pkey")
        self.fails(c, "INSERT INTO cat_t VALUES (2, 'a')", "23505")
        # psql \d: PostgreSQL's own describe queries
        r = self.psql("CREATE TEMP TABLE d_t (id int PRIMARY KEY, "
                      "name text NOT NULL);\n\\d d_t\n\\dt\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r'Table "pg_temp_\d+\.d_t"')
        self.assertIn("d_t_pkey", r.stdout)
        self.assertRegex(r.stdout, r"pg_temp_\d+ \| d_t")

    def test_shadowed_table_is_not_visible(self):
        r = self.psql("CREATE TABLE vis (a int);\n"
                      "CREATE TEMP TABLE vis (b int);\n"
                      "SELECT n.nspname FROM pg_class c JOIN pg_namespace n "
                      "ON n.oid = c.relnamespace WHERE c.relname = 'vis' AND "
                      "pg_table_is_visible(c.oid);\n"
                      "\\dt vis\n"
                      "DROP TABLE pg_temp.vis;\n"
                      "SELECT count(*) FROM pg_class c WHERE relname = 'vis' "
                      "AND pg_table_is_visible(c.oid);\n"
                      "DROP TABLE vis;\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"nspname\s*\n-+\n pg_temp_\d+\n\(1 row\)")
        self.assertRegex(r.stdout, r"pg_temp_\d+ \| vis")
        self.assertNotIn("public | vis", r.stdout)
        self.assertRegex(r.stdout, r"count\s*\n-+\n\s+1\n")

    def test_copy_and_create_table_as(self):
        c = self.connect()
        self.rows(c, "CREATE TEMP TABLE cp (id int, name text)")
        cur = c.cursor()
        cur.copy_expert("COPY cp FROM STDIN WITH (FORMAT csv)",
                        _lines(["1,one", "2,two", "3,"]))
        self.assertEqual(self.rows(c, "SELECT id, name FROM cp ORDER BY id"),
                         [(1, "one"), (2, "two"), (3, None)])
        cur.execute("CREATE TEMP TABLE cp2 AS SELECT id * 2 AS dbl, name, "
                    "now() AS at FROM cp WHERE id < 3")
        self.assertEqual(cur.rowcount, 2)
        self.assertEqual(self.rows(c, "SELECT dbl, name FROM cp2 ORDER BY "
                                      "dbl"), [(2, "one"), (4, "two")])
        self.assertEqual(self.rows(
            c, "SELECT attname, atttypid::regtype::text FROM pg_attribute "
               "WHERE attrelid = 'cp2'::regclass ORDER BY attnum"),
            [("dbl", "integer"), ("name", "text"),
             ("at", "timestamp with time zone")])
        self.rows(c, "CREATE TEMP TABLE cp3 (x, y) AS SELECT 1, 'a' WITH NO "
                     "DATA")
        self.assertEqual(self.one(c, "SELECT count(*) FROM cp3"), 0)
        self.rows(c, "INSERT INTO cp3 VALUES (5, 'z')")
        self.assertEqual(self.rows(c, "SELECT x, y FROM cp3"), [(5, "z")])
        # temp → COPY TO
        out = _Sink()
        cur.copy_expert("COPY cp TO STDOUT", out)
        self.assertEqual(out.text.splitlines(), ["1\tone", "2\ttwo", "3\t\\N"])

    def test_disconnect_and_terminate_drop_them(self):
        a = self.connect()
        apid = self.one(a, "SELECT pg_backend_pid()")
        self.rows(a, "CREATE TEMP TABLE gone (id int PRIMARY KEY, v text)")
        self.rows(a, "CREATE INDEX gone_v ON gone (v)")
        self.rows(a, "INSERT INTO gone SELECT g, 'x' FROM "
                     "generate_series(1, 100) g")
        # open transaction with more rows, then the client vanishes
        a.autocommit = False
        self.rows(a, "INSERT INTO gone VALUES (1000, 'y')")
        a.close()
        self.assertEqual(self.wait_no_temp(), ([], 0, [], []))
        # terminated by another session
        b = self.connect()
        bpid = self.one(b, "SELECT pg_backend_pid()")
        self.rows(b, "CREATE TEMP TABLE gone2 (a int)")
        self.rows(b, "INSERT INTO gone2 VALUES (1)")
        k = self.connect()
        self.assertTrue(self.one(k, "SELECT pg_terminate_backend(%s)",
                                 (bpid,)))
        self.assertEqual(self.wait_no_temp(), ([], 0, [], []))
        self.assertNotEqual(apid, bpid)


    def test_constraints_rename_and_discard(self):
        c = self.connect()
        self.rows(c, "CREATE TABLE perm_ref (id int PRIMARY KEY)")
        self.addCleanup(lambda: self.rows(self.connect(),
                                          "DROP TABLE IF EXISTS perm_ref"))
        self.rows(c, "CREATE TEMP TABLE chk (id int PRIMARY KEY, n int "
                     "CHECK (n > 0))")
        self.fails(c, "INSERT INTO chk VALUES (1, -1)", "23514")
        self.rows(c, "INSERT INTO chk VALUES (1, 1)")
        # a temp table's constraints reference temp tables only
        self.fails(c, "CREATE TEMP TABLE fk1 (p int REFERENCES perm_ref)",
                   "42P16")
        self.rows(c, "CREATE TEMP TABLE fk2 (c int REFERENCES chk)")
        self.fails(c, "INSERT INTO fk2 VALUES (5)", "23503")
        self.rows(c, "INSERT INTO fk2 VALUES (1)")
        # a rename stays in pg_temp
        self.rows(c, "ALTER TABLE fk2 RENAME TO fk3")
        self.assertEqual(self.rows(c, "SELECT c FROM pg_temp.fk3"), [(1,)])
        self.assertEqual(self.one(c, "SELECT relpersistence FROM pg_class "
                                     "WHERE relname = 'fk3'"), "t")
        st, _, body = self.srv.json("GET", "/v1/collections")
        self.assertFalse([x for x in body["collections"]
                          if "fk3" in x["name"]], body)
        # DISCARD TEMP drops them, settings stay; DISCARD ALL too
        self.rows(c, "SET application_name = 'keepme'")
        self.rows(c, "DISCARD TEMP")
        self.fails(c, "SELECT * FROM chk", "42P01")
        self.fails(c, "SELECT * FROM fk3", "42P01")
        self.assertEqual(self.one(c, "SHOW application_name"), "keepme")
        self.rows(c, "CREATE TEMP TABLE dall (a int)")
        self.rows(c, "DISCARD ALL")
        self.fails(c, "SELECT * FROM dall", "42P01")
        self.assertEqual(self.one(c, "SELECT count(*) FROM perm_ref"), 0)

    def test_many_sessions_at_once(self):
        import threading
        errors, n = [], 12

        def one(i):
            try:
                c = psycopg2.connect(host="127.0.0.1", port=self.srv.pg_port,
                                     user="themis", password="themis",
                                     dbname="themis", connect_timeout=10)
                c.autocommit = True
                cur = c.cursor()
                cur.execute("CREATE TEMP TABLE same (who int, i int) "
                            "ON COMMIT PRESERVE ROWS")
                cur.execute("INSERT INTO same SELECT %s, g FROM "
                            "generate_series(1, 50) g", (i,))
                cur.execute("SELECT DISTINCT who FROM same")
                if cur.fetchall() != [(i,)]:
                    errors.append(i)
                if i % 2:  # half of them leave inside a transaction
                    c.autocommit = False
                    cur.execute("INSERT INTO same VALUES (%s, 0)", (i,))
                c.close()
            except Exception as e:  # reported below, with the session
                errors.append((i, repr(e)))

        ts = [threading.Thread(target=one, args=(i,), daemon=True)
              for i in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        self.assertFalse([t for t in ts if t.is_alive()])
        self.assertEqual(errors, [])
        self.assertEqual(self.wait_no_temp(), ([], 0, [], []))


class TenantTempTest(Base):
    """A tenant's temp tables stay in the tenant and count against its
    documents quota."""

    @classmethod
    def setUpClass(cls):
        from tokens import make_jwt
        cls.secret = "temp table test secret, long enough!"
        cls.tok = {n: make_jwt(cls.secret, n, t, "data:read data:write")
                   for n, t in (("alice", "acme"), ("bob", "beta"),
                                ("sam", "small"))}
        cls.tok["root"] = make_jwt(cls.secret, "root", None,
                                   "admin data:read data:write")
        cls.srv = Server(args=[
            "--set", "auth.jwt_secret=" + cls.secret,
            "--set", "auth.tenant_quotas=small documents=3",
        ], env={"THEMIS_AUTH_REQUIRED": "true"}).start()

    def as_(self, who):
        c = psycopg2.connect(host="127.0.0.1", port=self.srv.pg_port,
                             user="app", password=self.tok[who],
                             dbname="themis", connect_timeout=10)
        c.autocommit = True
        self.addCleanup(c.close)
        return c

    def test_inside_the_tenant(self):
        alice, bob, root = self.as_("alice"), self.as_("bob"), self.as_("root")
        self.rows(alice, "CREATE TEMP TABLE tt (a int)")
        self.rows(alice, "INSERT INTO tt VALUES (1)")
        defs, rows, _, colls = stored_temp(self.srv.data_dir)
        self.assertEqual(len(defs), 1)
        self.assertRegex(defs[0], r"^acme\.pg_temp_\d+\$tt$")
        self.assertEqual((rows, colls), (1, []))
        self.assertEqual(self.rows(alice, "SELECT a FROM tt"), [(1,)])
        for other in (bob, root):
            self.fails(other, "SELECT * FROM tt", "42P01")
            self.fails(other, "SELECT * FROM acme.tt", "42P01")
            self.assertEqual(self.one(other, "SELECT count(*) FROM pg_class "
                                             "WHERE relpersistence = 't'"), 0)
        e = self.fails(alice, "CREATE TEMP TABLE tt (a int)", "42P07")
        self.assertNotIn("acme", str(e))

    def test_quota_counts_temp_rows(self):
        sam = self.as_("sam")
        self.rows(sam, "CREATE TEMP TABLE q (a int)")
        for i in range(3):
            self.rows(sam, "INSERT INTO q VALUES (%s)", (i,))
        self.fails(sam, "INSERT INTO q VALUES (9)", "53400")
        self.rows(sam, "DROP TABLE q")
        self.rows(sam, "CREATE TEMP TABLE q (a int)")
        self.rows(sam, "INSERT INTO q VALUES (1)")


class RestartPurgeTest(Base):
    def test_kill9_then_restart_purges(self):
        c = self.connect()
        self.rows(c, "CREATE TABLE keep (id int PRIMARY KEY)")
        self.rows(c, "INSERT INTO keep VALUES (1)")
        self.rows(c, "CREATE TEMP TABLE crash (id int PRIMARY KEY, v text)")
        self.rows(c, "INSERT INTO crash SELECT g, 'x' FROM "
                     "generate_series(1, 20) g")
        defs, rows, idx, _ = stored_temp(self.srv.data_dir)
        self.assertEqual((len(defs), rows, len(idx)), (1, 20, 1))
        self.srv.kill9()
        self.srv.start()
        self.assertEqual(stored_temp(self.srv.data_dir), ([], 0, [], []))
        d = self.connect()
        self.assertEqual(self.one(d, "SELECT count(*) FROM keep"), 1)
        self.assertEqual(self.one(d, "SELECT count(*) FROM pg_class WHERE "
                                     "relpersistence = 't'"), 0)
        # the same pid may come back: a fresh session starts empty
        self.rows(d, "CREATE TEMP TABLE crash (a int)")
        self.assertEqual(self.one(d, "SELECT count(*) FROM crash"), 0)


class _lines:
    """A file-like source for copy_expert."""

    def __init__(self, lines):
        self.data = "".join(x + "\n" for x in lines)

    def read(self, n=-1):
        out, self.data = (self.data, "") if n < 0 else (self.data[:n],
                                                       self.data[n:])
        return out

    def readline(self, n=-1):
        i = self.data.find("\n")
        return self.read(i + 1 if i >= 0 else -1)


class _Sink:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s if isinstance(s, str) else s.decode()


if __name__ == "__main__":
    unittest.main()
