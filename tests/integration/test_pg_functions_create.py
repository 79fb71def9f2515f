"""CREATE FUNCTION / PROCEDURE (issue 36) with real clients (psycopg2,
psql): SQL and PL/pgSQL functions in the select list, WHERE and FROM,
overloads, defaults, STRICT, OR REPLACE, DROP [IF EXISTS], ALTER … RENAME,
CALL, the catalog (pg_proc, pg_get_function_*, psql's \\df and \\sf), the
errors PostgreSQL gives (42883 with its HINT, 42725, 42723, 42P13, 42601,
54001), durability across a restart and tenant isolation.

With THEMIS_PG_REFERENCE=host:port the same scenarios (all but restart and
tenants) run against that PostgreSQL 15, in a database of their own, so a
scenario PostgreSQL fails is a scenario bug."""

import os
import subprocess
import unittest
import uuid

import psycopg2

from pg_test_base import PgTest
from themis_harness import Server
from tokens import ALL_SCOPES, make_jwt

REF = os.environ.get("THEMIS_PG_REFERENCE")


class Reference:
    """A fresh database in the reference PostgreSQL."""

    def __init__(self, hostport):
        self.host, port = hostport.split(":")
        self.pg_port = int(port)
        self.db = "func_" + uuid.uuid4().hex[:10]
        c = psycopg2.connect(host=self.host, port=self.pg_port,
                             user="postgres", dbname="postgres",
                             connect_timeout=10)
        c.autocommit = True
        c.cursor().execute("CREATE DATABASE " + self.db)
        c.close()

    def drop(self):
        c = psycopg2.connect(host=self.host, port=self.pg_port,
                             user="postgres", dbname="postgres",
                             connect_timeout=10)
        c.autocommit = True
        c.cursor().execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.db)
        c.close()


class FunctionsTest(PgTest):
    @classmethod
    def setUpClass(cls):
        if REF:
            cls.ref = Reference(REF)
        else:
            super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        if REF:
            cls.ref.drop()
        else:
            super().tearDownClass()

    def connect(self, autocommit=True, **kw):
        if not REF:
            return super().connect(autocommit, **kw)
        c = psycopg2.connect(host=self.ref.host, port=self.ref.pg_port,
                             user="postgres", dbname=self.ref.db,
                             connect_timeout=10,
                             options="-c statement_timeout=20000")
        c.autocommit = autocommit
        self.addCleanup(c.close)
        return c

    def psql(self, *args):
        if REF:
            cmd = ["psql", "-h", self.ref.host, "-p", str(self.ref.pg_port),
                   "-U", "postgres", "-X", "-d", self.ref.db]
            env = dict(os.environ)
        else:
            cmd = ["psql", "-h", "127.0.0.1", "-p", str(self.srv.pg_port),
                   "-U", "themis", "-X", "-d", "themis"]
            env = dict(os.environ, PGPASSWORD="themis")
        r = subprocess.run(cmd + list(args), capture_output=True, text=True,
                           timeout=30, env=env)
        return r.returncode, r.stdout, r.stderr

    # -- SQL functions ----------------------------------------------------------

    def test_sql_functions_everywhere(self):
        c = self.connect()
        self.q(c, "CREATE TABLE fe_items (id int PRIMARY KEY, name text, "
                  "price numeric(10,2))")
        self.q(c, "INSERT INTO fe_items VALUES (1, 'apple', 1.50), "
                  "(2, 'pear', 2.25), (3, 'plum', 0.75)")
        self.q(c, "CREATE FUNCTION fe_add(a int, b int DEFAULT 10) RETURNS int "
                  "LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$")
        self.assertEqual(self.q(c, "SELECT fe_add(1), fe_add(1, 2), "
                                   "fe_add(fe_add(1), 100)"),
                         [(11, 3, 111)])
        # WHERE, ORDER BY, with a column argument
        self.assertEqual(self.q(c, "SELECT id FROM fe_items WHERE "
                                   "fe_add(id, 1) > 2 ORDER BY fe_add(id) "
                                   "DESC"), [(3,), (2,)])
        # a body reading a table, with $1
        self.q(c, "CREATE FUNCTION fe_price(int) RETURNS numeric LANGUAGE sql "
                  "STABLE AS $$ SELECT price FROM fe_items WHERE id = $1 $$")
        self.assertEqual([str(r[0]) for r in self.q(
            c, "SELECT fe_price(2) UNION ALL SELECT fe_price(99)")],
            ["2.25", "None"])
        # set-returning functions in FROM: SETOF and RETURNS TABLE
        self.q(c, "CREATE FUNCTION fe_names(min_id int) RETURNS SETOF text "
                  "LANGUAGE sql AS $$ SELECT name FROM fe_items WHERE id >= "
                  "min_id ORDER BY id $$")
        self.assertEqual(self.q(c, "SELECT * FROM fe_names(2)"),
                         [("pear",), ("plum",)])
        self.q(c, "CREATE FUNCTION fe_cheap(lim numeric) RETURNS TABLE(item "
                  "text, cost numeric) LANGUAGE sql AS $$ SELECT name, price "
                  "FROM fe_items WHERE price < lim ORDER BY price $$")
        self.assertEqual(
            [(a, str(b)) for a, b in self.q(
                c, "SELECT item, cost FROM fe_cheap(2) c WHERE c.cost > 0.5")],
            [("plum", "0.75"), ("apple", "1.50")])
        self.assertEqual(self.q(c, "SELECT n FROM fe_names(3) AS t(n)"),
                         [("plum",)])
        # unnamed targets and a UNION keep their columns apart
        self.q(c, "CREATE FUNCTION fe_pairs() RETURNS TABLE(a int, b text) "
                  "LANGUAGE sql AS $$ SELECT 1, 'p' UNION ALL SELECT 2, 'q' $$")
        self.assertEqual(self.q(c, "SELECT * FROM fe_pairs() ORDER BY a"),
                         [(1, "p"), (2, "q")])
        # SETOF a table's rows
        self.q(c, "CREATE FUNCTION fe_rows() RETURNS SETOF fe_items LANGUAGE "
                  "sql AS $$ SELECT * FROM fe_items WHERE id < 3 $$")
        self.assertEqual(self.q(c, "SELECT id, name FROM fe_rows() ORDER BY "
                                   "id"), [(1, "apple"), (2, "pear")])
        # column defaults that call functions (SQL and PL/pgSQL)
        self.q(c, "CREATE FUNCTION fe_d() RETURNS int LANGUAGE sql AS "
                  "$$ SELECT 41 + 1 $$")
        self.q(c, "CREATE FUNCTION fe_pd() RETURNS text LANGUAGE plpgsql AS "
                  "$$ BEGIN RETURN 'pl'; END $$")
        self.q(c, "CREATE TABLE fe_def (id int PRIMARY KEY, v int DEFAULT "
                  "fe_d(), w text DEFAULT fe_pd())")
        self.q(c, "INSERT INTO fe_def (id) VALUES (1)")
        self.assertEqual(self.q(c, "SELECT v, w FROM fe_def"), [(42, "pl")])
        # a parameter from the client
        self.assertEqual(self.q(c, "SELECT fe_add(%s, %s)", (4, 5)), [(9,)])
        # schema-qualified
        self.assertEqual(self.q(c, "SELECT public.fe_add(1, 1)"), [(2,)])

    def test_strict_and_null(self):
        c = self.connect()
        self.q(c, "CREATE FUNCTION st_strict(a int) RETURNS int STRICT "
                  "LANGUAGE sql AS $$ SELECT coalesce(a, 42) $$")
        self.q(c, "CREATE FUNCTION st_called(a int) RETURNS int CALLED ON "
                  "NULL INPUT LANGUAGE sql AS $$ SELECT coalesce(a, 42) $$")
        self.assertEqual(self.q(c, "SELECT st_strict(NULL), st_called(NULL), "
                                   "st_strict(1)"), [(None, 42, 1)])
        self.q(c, "CREATE FUNCTION st_pl(a text) RETURNS text STRICT "
                  "LANGUAGE plpgsql AS $$ BEGIN RETURN 'got ' || a; END $$")
        self.assertEqual(self.q(c, "SELECT st_pl(NULL), st_pl('x')"),
                         [(None, "got x")])

    def test_overloading(self):
        c = self.connect()
        self.q(c, "CREATE FUNCTION ov(a int) RETURNS text LANGUAGE sql AS "
                  "$$ SELECT 'int' $$")
        self.q(c, "CREATE FUNCTION ov(a text) RETURNS text LANGUAGE sql AS "
                  "$$ SELECT 'text' $$")
        self.q(c, "CREATE FUNCTION ov(a int, b int) RETURNS text LANGUAGE sql "
                  "AS $$ SELECT 'two' $$")
        self.assertEqual(self.q(c, "SELECT ov(1), ov('x'), ov(1, 2), "
                                   "ov('x'::text)"),
                         [("int", "text", "two", "text")])
        e = self.fails(c, "SELECT ov(1.5)", "42883")
        self.assertIn("function ov(numeric) does not exist", str(e))
        self.assertIn("No function matches the given name and argument types",
                      e.diag.message_hint)
        self.fails(c, "SELECT ov(true)", "42883")
        self.fails(c, "SELECT nosuch_fn(1)", "42883")
        # two that fit as well as each other
        self.q(c, "CREATE FUNCTION amb(a int, b text DEFAULT 'x') RETURNS int "
                  "LANGUAGE sql AS $$ SELECT 1 $$")
        self.q(c, "CREATE FUNCTION amb(a int) RETURNS int LANGUAGE sql AS "
                  "$$ SELECT 2 $$")
        e = self.fails(c, "SELECT amb(1)", "42725")
        self.assertIn("is not unique", str(e))
        self.assertEqual(self.q(c, "SELECT amb(1, 'y')"), [(1,)])

    def test_create_errors(self):
        c = self.connect()
        self.q(c, "CREATE FUNCTION ce_f(a int) RETURNS int LANGUAGE sql AS "
                  "$$ SELECT a $$")
        self.fails(c, "CREATE FUNCTION ce_f(b int) RETURNS int LANGUAGE sql "
                      "AS $$ SELECT b $$", "42723")
        self.fails(c, "CREATE FUNCTION ce_g() RETURNS int LANGUAGE sql AS "
                      "$$ SELECT nocol FROM no_such_table $$", "42P01")
        self.fails(c, "CREATE FUNCTION ce_g() RETURNS int LANGUAGE sql AS "
                      "$$ SELEC 1 $$", "42601")
        e = self.fails(c, "CREATE FUNCTION ce_g() RETURNS int LANGUAGE sql "
                          "AS $$ SELECT 'x'::text $$", "42P13")
        self.assertIn("return type mismatch", str(e))
        self.fails(c, "CREATE FUNCTION ce_g() RETURNS int LANGUAGE sql AS "
                      "$$ DELETE FROM no_such_table $$", "42P01")
        self.fails(c, "CREATE FUNCTION ce_g() RETURNS int LANGUAGE plpgsql "
                      "AS $$ BEGIN RETURN 1 END $$", "42601")
        self.fails(c, "CREATE FUNCTION ce_g() RETURNS int LANGUAGE plpgsql "
                      "AS $$ BEGIN IF THEN END $$", "42601")
        self.fails(c, "CREATE FUNCTION ce_g() RETURNS int LANGUAGE nosuch "
                      "AS $$ x $$", "42704")
        self.fails(c, "CREATE FUNCTION ce_g(a int, a int) RETURNS int "
                      "LANGUAGE sql AS $$ SELECT 1 $$", "42P13")
        self.fails(c, "CREATE FUNCTION ce_g(a int DEFAULT 1, b int) RETURNS "
                      "int LANGUAGE sql AS $$ SELECT 1 $$", "42P13")
        self.fails(c, "CREATE FUNCTION ce_g() RETURNS no_such_type LANGUAGE "
                      "sql AS $$ SELECT 1 $$", "42704")
        self.fails(c, "CREATE FUNCTION ce_g() RETURNS trigger LANGUAGE sql "
                      "AS $$ SELECT 1 $$", "42P13")
        # OR REPLACE: body changes; return type and parameter names may not
        self.q(c, "CREATE OR REPLACE FUNCTION ce_f(a int) RETURNS int "
                  "LANGUAGE sql AS $$ SELECT a * 2 $$")
        self.assertEqual(self.q(c, "SELECT ce_f(21)"), [(42,)])
        e = self.fails(c, "CREATE OR REPLACE FUNCTION ce_f(a int) RETURNS "
                          "text LANGUAGE sql AS $$ SELECT 'x' $$", "42P13")
        self.assertIn("Use DROP FUNCTION ce_f(integer) first.",
                      e.diag.message_hint)
        self.fails(c, "CREATE OR REPLACE FUNCTION ce_f(z int) RETURNS int "
                      "LANGUAGE sql AS $$ SELECT 1 $$", "42P13")
        # pg_dump's scripts turn the check off: a body may name a table
        # created later
        self.q(c, "SET check_function_bodies = false")
        self.q(c, "CREATE FUNCTION ce_later() RETURNS bigint LANGUAGE sql AS "
                  "$$ SELECT count(*) FROM ce_made_later $$")
        self.q(c, "RESET check_function_bodies")
        self.fails(c, "SELECT ce_later()", "42P01")
        self.q(c, "CREATE TABLE ce_made_later (x int)")
        self.assertEqual(self.q(c, "SELECT ce_later()"), [(0,)])

    def test_drop_and_alter(self):
        c = self.connect()
        self.q(c, "CREATE FUNCTION dr(a int) RETURNS int LANGUAGE sql AS "
                  "$$ SELECT a $$")
        self.q(c, "CREATE FUNCTION dr(a text) RETURNS text LANGUAGE sql AS "
                  "$$ SELECT a $$")
        e = self.fails(c, "DROP FUNCTION dr", "42725")
        self.assertIn("Specify the argument list", e.diag.message_hint)
        self.fails(c, "DROP FUNCTION dr(int, int)", "42883")
        self.fails(c, "DROP FUNCTION nosuch_dr()", "42883")
        self.q(c, "DROP FUNCTION IF EXISTS nosuch_dr(), dr(int, int)")
        self.q(c, "DROP FUNCTION dr(text)")
        self.fails(c, "SELECT dr('x'::text)", "42883")
        self.assertEqual(self.q(c, "SELECT dr(5)"), [(5,)])
        self.q(c, "DROP FUNCTION dr")  # the only one left
        self.fails(c, "SELECT dr(5)", "42883")
        self.q(c, "CREATE FUNCTION al(a int) RETURNS int LANGUAGE sql AS "
                  "$$ SELECT a + 1 $$")
        self.q(c, "ALTER FUNCTION al(int) RENAME TO al2")
        self.fails(c, "SELECT al(1)", "42883")
        self.assertEqual(self.q(c, "SELECT al2(1)"), [(2,)])
        self.q(c, "ALTER FUNCTION al2(int) IMMUTABLE")
        self.assertEqual(self.q(c, "SELECT provolatile FROM pg_proc WHERE "
                                   "proname = 'al2'"), [("i",)])
        self.q(c, "ALTER FUNCTION al2(integer) OWNER TO CURRENT_USER")
        self.q(c, "CREATE FUNCTION al(a int) RETURNS int LANGUAGE sql AS "
                  "$$ SELECT 0 $$")
        self.fails(c, "ALTER FUNCTION al(int) RENAME TO al2", "42723")
        # in a transaction: visible at once, gone with a rollback
        c2 = self.connect(autocommit=False)
        self.q(c2, "CREATE FUNCTION tx_fn() RETURNS int LANGUAGE sql AS "
                   "$$ SELECT 7 $$")
        self.assertEqual(self.q(c2, "SELECT tx_fn()"), [(7,)])
        c2.rollback()
        self.fails(c, "SELECT tx_fn()", "42883")

    # -- PL/pgSQL -----------------------------------------------------------------

    def test_plpgsql_functions(self):
        c = self.connect()
        self.q(c, "CREATE TABLE pl_t (id int PRIMARY KEY, qty int)")
        self.q(c, "INSERT INTO pl_t VALUES (1, 5), (2, 50), (3, NULL)")
        self.q(c, """CREATE FUNCTION pl_grade(q int) RETURNS text
            LANGUAGE plpgsql IMMUTABLE AS $$
            DECLARE
              label text := 'none';
            BEGIN
              IF q IS NULL THEN
                RETURN label;
              ELSIF q >= 10 THEN
                label := 'many';
              ELSE
                label := 'few';
              END IF;
              RETURN label || ':' || $1;
            END $$""")
        self.assertEqual(self.q(c, "SELECT id, pl_grade(qty) FROM pl_t "
                                   "ORDER BY id"),
                         [(1, "few:5"), (2, "many:50"), (3, "none")])
        self.assertEqual(self.q(c, "SELECT id FROM pl_t WHERE pl_grade(qty) "
                                   "LIKE 'many%'"), [(2,)])
        # SELECT … INTO, PERFORM, FOUND, a loop
        self.q(c, """CREATE FUNCTION pl_total(lo int) RETURNS bigint
            LANGUAGE plpgsql STABLE AS $$
            DECLARE s bigint; n int := 0; i int;
            BEGIN
              SELECT sum(qty) INTO s FROM pl_t WHERE id >= lo;
              PERFORM 1 FROM pl_t WHERE id = lo;
              IF NOT FOUND THEN
                RAISE EXCEPTION 'no row %', lo USING ERRCODE = 'P0002';
              END IF;
              FOR i IN 1..3 LOOP n := n + i; END LOOP;
              RETURN s + n;
            END $$""")
        self.assertEqual(self.q(c, "SELECT pl_total(1)"), [(61,)])
        e = self.fails(c, "SELECT pl_total(9)", "P0002")
        self.assertIn("no row 9", str(e))
        # a function that ends without RETURN
        self.q(c, "CREATE FUNCTION pl_noret() RETURNS int LANGUAGE plpgsql "
                  "AS $$ BEGIN END $$")
        self.fails(c, "SELECT pl_noret()", "2F005")
        # void
        self.q(c, "CREATE FUNCTION pl_void(a int) RETURNS void LANGUAGE "
                  "plpgsql AS $$ BEGIN PERFORM a; END $$")
        self.assertEqual(self.q(c, "SELECT pl_void(1)"), [("",)])

    def test_recursion(self):
        c = self.connect()
        # an SQL function that calls itself: evaluated, not inlined forever
        self.q(c, "CREATE FUNCTION fact(n int) RETURNS numeric LANGUAGE sql "
                  "AS $$ SELECT CASE WHEN n <= 1 THEN 1 ELSE n * fact(n - 1) "
                  "END $$")
        self.assertEqual(str(self.q(c, "SELECT fact(10)")[0][0]), "3628800")
        self.q(c, "CREATE FUNCTION fib(n int) RETURNS int LANGUAGE plpgsql "
                  "AS $$ BEGIN IF n < 2 THEN RETURN n; END IF; "
                  "RETURN fib(n - 1) + fib(n - 2); END $$")
        self.assertEqual(self.q(c, "SELECT fib(12)"), [(144,)])
        # runaway recursion: stack depth limit, and the session goes on
        self.q(c, "CREATE FUNCTION runaway(n int) RETURNS int LANGUAGE "
                  "plpgsql AS $$ BEGIN RETURN runaway(n + 1); END $$")
        self.fails(c, "SELECT runaway(1)", "54001")
        self.q(c, "CREATE FUNCTION runaway_sql(n int) RETURNS int LANGUAGE "
                  "sql AS $$ SELECT runaway_sql(n + 1) $$")
        self.fails(c, "SELECT runaway_sql(1)", "54001")
        self.assertEqual(self.q(c, "SELECT 1"), [(1,)])

    def test_procedures_and_call(self):
        c = self.connect()
        self.q(c, "CREATE TABLE pr_log (id int PRIMARY KEY, note text)")
        self.q(c, "CREATE PROCEDURE pr_add(i int, n text DEFAULT 'dflt') "
                  "LANGUAGE sql AS $$ INSERT INTO pr_log VALUES (i, n) $$")
        self.q(c, "CALL pr_add(1, 'one')")
        self.q(c, "CALL pr_add(2)")
        self.q(c, """CREATE PROCEDURE pr_many(n int) LANGUAGE plpgsql AS $$
            BEGIN
              FOR k IN 10..(9 + n) LOOP
                INSERT INTO pr_log VALUES (k, 'loop ' || k);
              END LOOP;
            END $$""")
        self.q(c, "CALL pr_many(3)")
        self.assertEqual(self.q(c, "SELECT id, note FROM pr_log ORDER BY id"),
                         [(1, "one"), (2, "dflt"), (10, "loop 10"),
                          (11, "loop 11"), (12, "loop 12")])
        # an error inside undoes the whole CALL
        self.fails(c, "CALL pr_many(2)", "23505")
        self.assertEqual(self.q(c, "SELECT count(*) FROM pr_log"), [(5,)])
        self.fails(c, "SELECT pr_add(1)", "42809")
        self.fails(c, "CALL nosuch_proc()", "42883")
        self.q(c, "DROP PROCEDURE pr_add(int, text)")
        self.fails(c, "CALL pr_add(3)", "42883")

    def test_triggers(self):
        c = self.connect()
        self.q(c, "CREATE TABLE tg_t (x int, updated_at timestamptz)")
        self.q(c, "CREATE FUNCTION tg_touch() RETURNS trigger LANGUAGE plpgsql "
                  "AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$")
        self.fails(c, "SELECT tg_touch()", "0A000")
        self.q(c, "DROP TRIGGER IF EXISTS tg ON tg_t")
        self.fails(c, "DROP TRIGGER tg ON tg_t", "42704")
        if REF:
            return
        self.fails(c, "CREATE TRIGGER tg BEFORE INSERT OR UPDATE ON tg_t FOR "
                      "EACH ROW EXECUTE FUNCTION tg_touch()", "0A000")

    # -- the catalog --------------------------------------------------------------

    def test_catalog_and_psql(self):
        c = self.connect()
        self.q(c, "CREATE FUNCTION cat_f(a int, b text DEFAULT 'x') RETURNS "
                  "text LANGUAGE sql STABLE STRICT AS $$ SELECT b || a $$")
        self.q(c, "CREATE FUNCTION cat_t(n int) RETURNS TABLE(i int, s text) "
                  "LANGUAGE sql AS $$ SELECT n, 'x' $$")
        self.q(c, "CREATE PROCEDURE cat_p(x int) LANGUAGE plpgsql AS "
                  "$$ BEGIN NULL; END $$")
        rows = self.q(c, """SELECT p.proname, p.prokind, p.provolatile,
            p.proisstrict, p.proretset, p.pronargs, p.pronargdefaults,
            p.prorettype::int, l.lanname, p.proargnames,
            pg_get_function_arguments(p.oid),
            pg_get_function_identity_arguments(p.oid),
            pg_get_function_result(p.oid)
            FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public' AND p.proname LIKE 'cat\\_%'
            ORDER BY 1""")
        self.assertEqual(rows, [
            ("cat_f", "f", "s", True, False, 2, 1, 25, "sql", ["a", "b"],
             "a integer, b text DEFAULT 'x'::text", "a integer, b text",
             "text"),
            ("cat_p", "p", "v", False, False, 1, 0, 2278, "plpgsql", ["x"],
             "IN x integer", "IN x integer", None),
            ("cat_t", "f", "v", False, True, 1, 0, 2249, "sql",
             ["n", "i", "s"], "n integer", "n integer",
             "TABLE(i integer, s text)")])
        self.assertEqual(self.q(c, "SELECT proargmodes, proallargtypes::text "
                                   "FROM pg_proc WHERE proname = 'cat_t'"),
                         [(["i", "t", "t"], "{23,23,25}")])
        self.assertEqual(self.q(c, "SELECT 'cat_t'::regproc::oid = (SELECT oid "
                                   "FROM pg_proc WHERE proname = 'cat_t')"),
                         [(True,)])
        self.assertEqual(self.q(c, "SELECT 'cat_f(integer, text)'::"
                                   "regprocedure::oid = (SELECT oid FROM "
                                   "pg_proc WHERE proname = 'cat_f')"),
                         [(True,)])
        d = self.q(c, "SELECT pg_get_functiondef('cat_f'::regproc)")[0][0]
        self.assertIn("CREATE OR REPLACE FUNCTION public.cat_f(a integer, b "
                      "text DEFAULT 'x'::text)", d)
        self.assertIn("RETURNS text", d)
        self.assertIn("STABLE STRICT", d)
        self.assertIn("SELECT b || a", d)
        rc, out, err = self.psql("-c", "\\df cat_*")
        self.assertEqual(rc, 0, err)
        self.assertIn("cat_f", out)
        self.assertIn("TABLE(i integer, s text)", out)
        self.assertIn("proc", out)
        rc, out, err = self.psql("-c", "\\df+ cat_f")
        self.assertEqual(rc, 0, err)
        self.assertIn("stable", out)
        rc, out, err = self.psql("-c", "\\sf cat_f")
        self.assertEqual(rc, 0, err)
        self.assertIn("CREATE OR REPLACE FUNCTION public.cat_f", out)

    def test_writes_from_a_query(self):
        """PostgreSQL lets a VOLATILE function called by SELECT write; here
        it is refused (0A000) and nothing is written."""
        if REF:
            self.skipTest("themisd's documented limit")
        c = self.connect()
        self.q(c, "CREATE TABLE wq (x int)")
        self.q(c, "CREATE FUNCTION wq_ins() RETURNS int LANGUAGE plpgsql AS "
                  "$$ BEGIN INSERT INTO wq VALUES (1); RETURN 1; END $$")
        self.fails(c, "SELECT wq_ins()", "0A000")
        self.assertEqual(self.q(c, "SELECT count(*) FROM wq"), [(0,)])

    def test_builtin_names_are_not_shadowed(self):
        if REF:
            self.skipTest("PostgreSQL allows it (pg_catalog comes first)")
        c = self.connect()
        self.fails(c, "CREATE FUNCTION now() RETURNS int LANGUAGE sql AS "
                      "$$ SELECT 1 $$", "42723")
        self.fails(c, "CREATE FUNCTION lower(a text) RETURNS text LANGUAGE "
                      "sql AS $$ SELECT a $$", "42723")
        self.assertEqual(self.q(c, "SELECT lower('AB')"), [("ab",)])


@unittest.skipIf(REF, "themisd only: restart and tenants")
class DurabilityTest(unittest.TestCase):
    SECRET = "functions test secret, long enough!"

    def setUp(self):
        self.srv = Server(args=("--set", "auth.jwt_secret=" + self.SECRET),
                          env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        self.addCleanup(self.srv.cleanup)
        self.addCleanup(self.srv.stop)

    def conn(self, tenant=None, dbname="themis"):
        scope = ALL_SCOPES if tenant else "admin " + ALL_SCOPES
        tok = make_jwt(self.SECRET, "u_" + (tenant or "root"), tenant, scope)
        c = psycopg2.connect(host="127.0.0.1", port=self.srv.pg_port,
                             user="app", password=tok, dbname=dbname,
                             connect_timeout=10)
        c.autocommit = True
        return c

    def test_restart_and_tenants(self):
        a = self.conn("acme", "acme")
        cur = a.cursor()
        cur.execute("CREATE FUNCTION secret_fn(x int) RETURNS int LANGUAGE "
                    "sql AS $$ SELECT x * 7 $$")
        cur.execute("CREATE FUNCTION secret_pl(x int) RETURNS int LANGUAGE "
                    "plpgsql AS $$ BEGIN RETURN secret_fn(x) + 1; END $$")
        cur.execute("SELECT secret_fn(2), secret_pl(2)")
        self.assertEqual(cur.fetchall(), [(14, 15)])
        b = self.conn("beta", "beta")
        bc = b.cursor()
        with self.assertRaises(psycopg2.Error) as cm:
            bc.execute("SELECT secret_fn(2)")
        self.assertEqual(cm.exception.pgcode, "42883")
        bc.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'secret%'")
        self.assertEqual(bc.fetchall(), [(0,)])
        # the same name in another tenant is another function
        bc.execute("CREATE FUNCTION secret_fn(x int) RETURNS int LANGUAGE sql "
                   "AS $$ SELECT x $$")
        bc.execute("SELECT secret_fn(2)")
        self.assertEqual(bc.fetchall(), [(2,)])
        a.close()
        b.close()
        self.srv.stop()
        self.srv.start()
        a = self.conn("acme", "acme")
        cur = a.cursor()
        cur.execute("SELECT secret_fn(3), secret_pl(3)")
        self.assertEqual(cur.fetchall(), [(21, 22)])
        cur.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'secret%' "
                    "ORDER BY 1")
        self.assertEqual(cur.fetchall(), [("secret_fn",), ("secret_pl",)])
        a.close()


if __name__ == "__main__":
    unittest.main()
