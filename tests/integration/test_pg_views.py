"""Views (issue 36), with real clients (psycopg2, psycopg 3, psql,
SQLAlchemy 1.4): CREATE [OR REPLACE] [TEMP] VIEW, DROP VIEW, ALTER VIEW …
RENAME; views in FROM wherever a table may be (joins, subqueries, CTEs,
views over views) in the simple and the extended protocol; writes through
simple views; the dependencies DROP TABLE / DROP COLUMN / DROP VIEW
respect; the catalog rows psql (\\dv, \\d+), SQLAlchemy and pg_dump read.

With THEMIS_PG_REFERENCE=[host:]port the same tests run against a
PostgreSQL 15 (user postgres, database `views`, created when missing): a
test PostgreSQL fails is a test bug."""

import os
import subprocess
import time
import unittest

import psycopg2

from pg_test_base import PgTest

REFERENCE = os.environ.get("THEMIS_PG_REFERENCE")


class ViewBase(PgTest):
    reference_db = "views"

    def setUp(self):
        # every test starts from no views and no tables
        c = self.connect()
        for (v,) in self.q(c, "SELECT viewname FROM pg_views WHERE "
                              "schemaname = 'public'"):
            self.q(c, 'DROP VIEW IF EXISTS "%s" CASCADE' % v)
        for (t,) in self.q(c, "SELECT tablename FROM pg_tables WHERE "
                              "schemaname = 'public'"):
            self.q(c, 'DROP TABLE IF EXISTS "%s" CASCADE' % t)
        self.c = c
        self.q(c, "CREATE TABLE t (id int PRIMARY KEY, a text, "
                  "b numeric(10,2), c int)")
        self.q(c, "INSERT INTO t VALUES (1, 'x', 1.5, 1), (2, 'y', 2.25, 0),"
                  " (3, 'z', NULL, 5)")

    def psql(self, sql):
        d = self.dsn()
        env = dict(os.environ, PGPASSWORD=d["password"],
                   PGCONNECT_TIMEOUT="10")
        dsn = "host=%s port=%d user=%s dbname=%s" % (
            d["host"], d["port"], d["user"], d["dbname"])
        r = subprocess.run(["psql", dsn, "-X", "-v", "ON_ERROR_STOP=1"],
                           input=sql, capture_output=True, text=True,
                           env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout


class SelectTest(ViewBase):
    def test_views_wherever_a_table_may_be(self):
        c = self.c
        self.q(c, "CREATE VIEW v AS SELECT id, a FROM t WHERE c > 0")
        self.q(c, "CREATE VIEW v2 (x, y) AS SELECT id, a FROM v")
        self.q(c, "CREATE VIEW v3 AS SELECT * FROM t")
        self.q(c, "CREATE VIEW v4 AS SELECT a, count(*) AS n FROM t "
                  "GROUP BY a")
        self.assertEqual(self.q(c, "SELECT * FROM v ORDER BY id"),
                         [(1, "x"), (3, "z")])
        self.assertEqual(self.q(c, "SELECT x, y FROM v2 ORDER BY x DESC"),
                         [(3, "z"), (1, "x")])
        self.assertEqual(len(self.q(c, "SELECT * FROM v3")), 3)
        self.assertEqual(self.q(c, "SELECT n FROM v4 WHERE a = 'y'"), [(1,)])
        # joins, aliases, subqueries, CTEs
        self.assertEqual(
            self.q(c, "SELECT v.id, t.c FROM v JOIN t ON t.id = v.id "
                      "ORDER BY 1"), [(1, 1), (3, 5)])
        self.assertEqual(self.q(c, "SELECT q.y FROM v2 AS q WHERE q.x = 3"),
                         [("z",)])
        self.assertEqual(
            self.q(c, "SELECT (SELECT count(*) FROM v), "
                      "(SELECT max(x) FROM v2)"), [(2, 3)])
        self.assertEqual(
            self.q(c, "SELECT id FROM t WHERE id IN (SELECT id FROM v) "
                      "ORDER BY id"), [(1,), (3,)])
        self.assertEqual(
            self.q(c, "WITH w AS (SELECT * FROM v2) SELECT count(*) FROM w"),
            [(2,)])
        # a CTE of the statement does not reach into the view's query
        self.assertEqual(
            self.q(c, "WITH t AS (SELECT 9 AS id, 'q' AS a, 1 AS c) "
                      "SELECT count(*) FROM v"), [(2,)])
        # the view reads the table as it is now
        self.q(c, "INSERT INTO t VALUES (4, 'w', NULL, 7)")
        self.assertEqual(self.q(c, "SELECT count(*) FROM v2"), [(3,)])

    def test_result_types_simple_and_extended(self):
        c = self.c
        self.q(c, "CREATE VIEW v AS SELECT id, a, b, c * 2 AS d, "
                  "b::text AS bt FROM t")
        cur = c.cursor()
        cur.execute("SELECT * FROM v WHERE id = 1")
        self.assertEqual([d.type_code for d in cur.description],
                         [23, 25, 1700, 23, 25])
        self.assertEqual(cur.fetchall()[0][:4], (1, "x",
                                                 __import__("decimal").Decimal(
                                                     "1.50"), 2))
        import psycopg  # psycopg 3: Parse/Bind/Describe/Execute
        d = self.dsn()
        with psycopg.connect(host=d["host"], port=d["port"], user=d["user"],
                             password=d["password"], dbname=d["dbname"],
                             connect_timeout=10, autocommit=True) as p:
            cur = p.execute("SELECT id, a, b, d FROM v WHERE id = %s", (3,),
                            prepare=True)
            self.assertEqual([x.type_code for x in cur.description],
                             [23, 25, 1700, 23])
            self.assertEqual(cur.fetchall(), [(3, "z", None, 10)])
            cur = p.execute("SELECT id, a FROM v WHERE id = %s", (1,),
                            binary=True)
            self.assertEqual(cur.fetchall(), [(1, "x")])


class CreateTest(ViewBase):
    def test_errors_as_postgresql(self):
        c = self.c
        self.q(c, "CREATE VIEW v AS SELECT id, a FROM t")
        self.fails(c, "CREATE VIEW v AS SELECT 1", "42P07")
        self.fails(c, "CREATE VIEW t AS SELECT 1", "42P07")
        self.fails(c, "CREATE TABLE v (x int)", "42P07")
        self.fails(c, "CREATE VIEW bad AS SELECT nosuch FROM t", "42703")
        self.fails(c, "CREATE VIEW bad AS SELECT * FROM nosuch", "42P01")
        self.fails(c, "CREATE VIEW bad AS SELECT * FROM bad", "42P01")
        self.fails(c, "CREATE VIEW bad AS SELECT id, id FROM t", "42701")
        self.fails(c, "CREATE VIEW bad (p, q, r) AS SELECT 1, 2", "42601")
        self.fails(c, "CREATE VIEW bad WITH (foo = 1) AS SELECT 1", "22023")
        self.fails(c, "CREATE VIEW bad AS SELEC 1", "42601")
        self.fails(c, "CREATE VIEW nosuch.bad AS SELECT 1", "3F000")
        # OR REPLACE may add columns at the end, nothing else
        self.q(c, "CREATE OR REPLACE VIEW v AS SELECT id, a, c FROM t")
        e = self.fails(c, "CREATE OR REPLACE VIEW v AS SELECT id FROM t",
                       "42P16")
        self.assertIn("cannot drop columns from view", str(e))
        e = self.fails(c, "CREATE OR REPLACE VIEW v AS SELECT a, id, c "
                          "FROM t", "42P16")
        self.assertIn('cannot change name of view column "id" to "a"', str(e))
        e = self.fails(c, "CREATE OR REPLACE VIEW v AS SELECT id, "
                          "a::varchar, c FROM t", "42P16")
        self.assertIn('cannot change data type of view column "a" from text '
                      'to character varying', str(e))
        self.assertEqual(self.q(c, "SELECT * FROM v WHERE id = 3"),
                         [(3, "z", 5)])
        # security_barrier is accepted
        self.q(c, "CREATE VIEW sb WITH (security_barrier) AS SELECT 1 AS x")
        self.assertEqual(self.q(c, "SELECT x FROM sb"), [(1,)])

    def test_in_a_transaction(self):
        c = self.connect(autocommit=False)
        self.q(c, "CREATE VIEW tv AS SELECT id FROM t WHERE id > 1")
        self.assertEqual(self.q(c, "SELECT count(*) FROM tv"), [(2,)])
        c.rollback()
        self.fails(c, "SELECT * FROM tv", "42P01")
        c.rollback()
        self.q(c, "CREATE VIEW tv AS SELECT id FROM t WHERE id > 1")
        c.commit()
        self.assertEqual(self.q(self.c, "SELECT count(*) FROM tv"), [(2,)])

    def test_temp_views(self):
        c = self.connect()
        self.q(c, "CREATE TEMP VIEW tv AS SELECT id FROM t")
        self.q(c, "CREATE TEMP TABLE tt (k int)")
        self.q(c, "INSERT INTO tt VALUES (5)")
        self.q(c, "CREATE VIEW over_temp AS SELECT k FROM tt")
        self.assertEqual(c.notices[-1].strip(),
                         'NOTICE:  view "over_temp" will be a temporary view')
        self.assertEqual(self.q(c, "SELECT k FROM over_temp"), [(5,)])
        self.assertEqual(self.q(c, "SELECT count(*) FROM tv"), [(3,)])
        self.assertEqual(
            self.q(c, "SELECT relpersistence FROM pg_class WHERE relname = "
                      "'over_temp'"), [("t",)])
        d = self.connect()  # DISCARD TEMP drops temp views too
        self.q(d, "CREATE TEMP VIEW dv AS SELECT 1 AS one")
        self.q(d, "DISCARD TEMP")
        self.fails(d, "SELECT * FROM dv", "42P01")
        other = self.connect()
        self.fails(other, "SELECT * FROM tv", "42P01")
        self.fails(other, "SELECT * FROM over_temp", "42P01")
        c.close()
        # gone with the session that made them (its end is asynchronous:
        # polled for up to ten seconds)
        left = None
        for _ in range(100):
            left = self.q(other, "SELECT count(*) FROM pg_class WHERE "
                                 "relname IN ('tv', 'over_temp', 'tt')")
            if left == [(0,)]:
                break
            time.sleep(0.1)
        self.assertEqual(left, [(0,)])


class DropTest(ViewBase):
    def test_drop_and_dependencies(self):
        c = self.c
        self.q(c, "CREATE VIEW v AS SELECT id, a FROM t WHERE c > 0")
        self.q(c, "CREATE VIEW v2 AS SELECT id FROM v")
        e = self.fails(c, "DROP TABLE v", "42809")
        self.assertIn('"v" is not a table', str(e))
        e = self.fails(c, "DROP VIEW t", "42809")
        self.assertIn('"t" is not a view', str(e))
        self.fails(c, "DROP VIEW nosuch", "42P01")
        self.q(c, "DROP VIEW IF EXISTS nosuch")
        e = self.fails(c, "DROP TABLE t", "2BP01")
        self.assertEqual(e.diag.message_primary,
                         "cannot drop table t because other objects depend "
                         "on it")
        self.assertEqual(e.diag.message_detail,
                         "view v depends on table t\nview v2 depends on "
                         "view v")
        e = self.fails(c, "DROP VIEW v", "2BP01")
        self.assertEqual(e.diag.message_detail, "view v2 depends on view v")
        e = self.fails(c, "ALTER TABLE t DROP COLUMN a", "2BP01")
        self.assertEqual(e.diag.message_detail,
                         "view v depends on column a of table t\n"
                         "view v2 depends on view v")
        self.q(c, "ALTER TABLE t DROP COLUMN b")  # no view reads it
        e = self.fails(c, "ALTER TABLE t ALTER COLUMN a TYPE varchar(5)",
                       "0A000")
        self.assertEqual(e.diag.message_detail,
                         'rule _RETURN on view v depends on column "a"')
        self.q(c, "ALTER TABLE t ADD COLUMN e int")
        self.q(c, "ALTER TABLE t ALTER COLUMN e TYPE bigint")
        self.q(c, "DROP VIEW v CASCADE")
        self.fails(c, "SELECT * FROM v2", "42P01")
        self.q(c, "CREATE VIEW v AS SELECT id, a FROM t")
        self.q(c, "ALTER TABLE t DROP COLUMN a CASCADE")
        self.fails(c, "SELECT * FROM v", "42P01")
        self.q(c, "CREATE VIEW v AS SELECT id FROM t")
        self.q(c, "CREATE VIEW w AS SELECT 1 AS one")
        self.q(c, "DROP VIEW v, w")
        self.q(c, "CREATE VIEW v AS SELECT id FROM t")
        self.q(c, "DROP TABLE t CASCADE")
        self.fails(c, "SELECT * FROM v", "42P01")

    def test_rename(self):
        c = self.c
        self.q(c, "CREATE VIEW v AS SELECT id, a FROM t WHERE c > 0")
        self.q(c, "CREATE VIEW v2 AS SELECT a FROM v")
        self.q(c, "ALTER VIEW v RENAME TO vv")
        self.fails(c, "SELECT * FROM v", "42P01")
        self.assertEqual(self.q(c, "SELECT count(*) FROM vv"), [(2,)])
        self.assertEqual(self.q(c, "SELECT a FROM v2 ORDER BY a"),
                         [("x",), ("z",)])
        self.fails(c, "ALTER VIEW vv RENAME TO t", "42P07")
        self.fails(c, "ALTER VIEW t RENAME TO x", "42809")
        self.q(c, "ALTER TABLE vv RENAME TO v3")
        self.assertEqual(self.q(c, "SELECT count(*) FROM v3"), [(2,)])
        # renaming what a view reads: the view follows, its columns stay
        self.q(c, "ALTER TABLE t RENAME TO t2")
        self.assertEqual(self.q(c, "SELECT * FROM v3 ORDER BY id"),
                         [(1, "x"), (3, "z")])
        self.q(c, "ALTER TABLE t2 RENAME COLUMN c TO cc")
        self.q(c, "ALTER TABLE t2 RENAME COLUMN a TO aa")
        self.assertEqual(self.q(c, "SELECT a FROM v2 ORDER BY a"),
                         [("x",), ("z",)])
        cur = c.cursor()
        cur.execute("SELECT * FROM v3 WHERE id = 1")
        self.assertEqual([d.name for d in cur.description], ["id", "a"])


class WriteTest(ViewBase):
    def test_simple_views_are_updatable(self):
        c = self.c
        self.q(c, "CREATE VIEW w AS SELECT id AS k, a AS name, c * 2 AS dbl "
                  "FROM t WHERE c > 0")
        self.q(c, "INSERT INTO w VALUES (10, 'ten')")
        self.assertEqual(
            self.q(c, "INSERT INTO w (k, name) VALUES (11, 'eleven') "
                      "RETURNING *"), [(11, "eleven", None)])
        self.assertEqual(self.q(c, "SELECT id, a, c FROM t WHERE id >= 10 "
                                   "ORDER BY id"),
                         [(10, "ten", None), (11, "eleven", None)])
        # the view's WHERE limits UPDATE and DELETE
        self.assertEqual(self.q(c, "UPDATE w SET name = upper(name) "
                                   "RETURNING k, name"),
                         [(1, "X"), (3, "Z")])
        cur = c.cursor()
        cur.execute("UPDATE w SET name = 'q' WHERE k = 2")
        self.assertEqual(cur.rowcount, 0)
        cur.execute("DELETE FROM w WHERE name = 'Z'")
        self.assertEqual(cur.rowcount, 1)
        self.assertEqual(self.q(c, "SELECT id FROM t ORDER BY id"),
                         [(1,), (2,), (10,), (11,)])
        self.q(c, "CREATE VIEW w2 AS SELECT name, k FROM w")
        self.q(c, "UPDATE w2 SET name = 'one' WHERE k = 1")
        self.assertEqual(self.q(c, "SELECT a FROM t WHERE id = 1"),
                         [("one",)])
        e = self.fails(c, "INSERT INTO w (k, name, dbl) VALUES (12, 'x', 1)",
                       "0A000")
        self.assertEqual(e.diag.message_primary,
                         'cannot insert into column "dbl" of view "w"')
        self.fails(c, "UPDATE w SET dbl = 1", "0A000")
        self.fails(c, "INSERT INTO w (nosuch) VALUES (1)", "42703")

    def test_other_views_are_not(self):
        c = self.c
        self.q(c, "CREATE VIEW g AS SELECT a, count(*) AS n FROM t "
                  "GROUP BY a")
        self.q(c, "CREATE VIEW d AS SELECT DISTINCT a FROM t")
        self.q(c, "CREATE VIEW j AS SELECT t.id FROM t JOIN t AS u "
                  "ON u.id = t.id")
        self.q(c, "CREATE VIEW l AS SELECT id FROM t LIMIT 1")
        for sql, msg in (
                ("INSERT INTO g VALUES ('x', 1)",
                 'cannot insert into view "g"'),
                ("UPDATE g SET n = 1", 'cannot update view "g"'),
                ("DELETE FROM g", 'cannot delete from view "g"')):
            e = self.fails(c, sql, "55000")
            self.assertEqual(e.diag.message_primary, msg)
            self.assertEqual(e.diag.message_detail,
                             "Views containing GROUP BY are not "
                             "automatically updatable.")
        e = self.fails(c, "DELETE FROM d", "55000")
        self.assertEqual(e.diag.message_detail, "Views containing DISTINCT "
                         "are not automatically updatable.")
        e = self.fails(c, "DELETE FROM j", "55000")
        self.assertEqual(e.diag.message_detail, "Views that do not select "
                         "from a single table or view are not automatically "
                         "updatable.")
        e = self.fails(c, "DELETE FROM l", "55000")
        self.assertEqual(e.diag.message_detail, "Views containing LIMIT or "
                         "OFFSET are not automatically updatable.")
        self.assertEqual(self.q(c, "SELECT count(*) FROM t"), [(3,)])


class CatalogTest(ViewBase):
    def test_catalog_rows(self):
        c = self.c
        self.q(c, "CREATE VIEW v AS SELECT id, a FROM t WHERE c > 0")
        self.q(c, "CREATE VIEW v2 (x, y) AS SELECT id, a FROM v")
        self.assertEqual(
            self.q(c, "SELECT relkind, relhasrules, relnatts, relam, "
                      "relpersistence FROM pg_class WHERE relname = 'v'"),
            [("v", True, 2, 0, "p")])
        self.assertEqual(
            self.q(c, "SELECT attname, atttypid FROM pg_attribute WHERE "
                      "attrelid = 'v2'::regclass AND attnum > 0 "
                      "ORDER BY attnum"), [("x", 23), ("y", 25)])
        self.assertEqual(
            self.q(c, "SELECT table_name, table_type FROM "
                      "information_schema.tables WHERE table_schema = "
                      "'public' ORDER BY 1"),
            [("t", "BASE TABLE"), ("v", "VIEW"), ("v2", "VIEW")])
        self.assertEqual(
            self.q(c, "SELECT column_name, data_type FROM "
                      "information_schema.columns WHERE table_name = 'v2' "
                      "ORDER BY ordinal_position"),
            [("x", "integer"), ("y", "text")])
        self.assertEqual(
            self.q(c, "SELECT table_name, check_option, is_updatable FROM "
                      "information_schema.views WHERE table_schema = "
                      "'public' ORDER BY 1"),
            [("v", "NONE", "YES"), ("v2", "NONE", "YES")])
        self.assertEqual(
            self.q(c, "SELECT rulename, ev_type, is_instead FROM pg_rewrite "
                      "WHERE ev_class = 'v'::regclass"),
            [("_RETURN", "1", True)])
        self.assertEqual(
            self.q(c, "SELECT count(DISTINCT d.refobjid) FROM pg_depend d "
                      "JOIN pg_rewrite r "
                      "ON r.oid = d.objid WHERE r.ev_class = 'v2'::regclass "
                      "AND d.refobjid = 'v'::regclass"), [(1,)])
        views = self.q(c, "SELECT viewname, viewowner IS NOT NULL, "
                          "definition FROM pg_views WHERE schemaname = "
                          "'public' ORDER BY 1")
        self.assertEqual([v[:2] for v in views], [("v", True), ("v2", True)])
        for name, _, d in views:
            # PostgreSQL's layout, which pg_dump writes after AS
            self.assertTrue(d.startswith(" SELECT "), d)
            self.assertIn("\n   FROM ", d)
            self.assertTrue(d.endswith(";"), d)
            self.assertEqual(
                self.q(c, "SELECT pg_get_viewdef('%s'::regclass)" % name),
                [(d,)])
            # pretty: PostgreSQL leaves out some parentheses
            pretty = self.q(c, "SELECT pg_get_viewdef('%s', true)" % name)
            self.assertEqual(pretty[0][0].replace("(", "").replace(")", ""),
                             d.replace("(", "").replace(")", ""))
        d2 = views[1][2]
        self.assertIn(" AS x,\n    ", d2)
        self.assertIn("\n   FROM v;", d2)
        # the definition restores: the same rows from a copy made of it
        self.q(c, "CREATE VIEW v2_copy AS" + d2[:-1])
        self.assertEqual(self.q(c, "SELECT * FROM v2_copy ORDER BY 1"),
                         self.q(c, "SELECT * FROM v2 ORDER BY 1"))

    def test_psql(self):
        self.q(self.c, "CREATE VIEW v AS SELECT id, a FROM t WHERE c > 0")
        out = self.psql("\\dv\n")
        self.assertIn(" public | v    | view |", out)
        out = self.psql("\\d v\n")
        self.assertIn('View "public.v"', out)
        self.assertIn(" id     | integer |", out)
        out = self.psql("\\d+ v\n")
        self.assertIn("View definition:\n SELECT ", out)
        self.assertIn("\n   FROM t\n  WHERE ", out)

    def test_pg_dump_writes_views_that_restore(self):
        c = self.c
        self.q(c, "CREATE VIEW z_first AS SELECT id, a FROM t WHERE c > 0")
        self.q(c, "CREATE VIEW a_second (x, y) AS WITH q AS (SELECT * FROM "
                  "z_first) SELECT q.id, q.a FROM q JOIN t USING (id)")
        self.q(c, "CREATE VIEW u AS SELECT id FROM t WHERE id < 2 UNION ALL "
                  "SELECT x FROM a_second")
        before = {v: self.q(c, "SELECT * FROM %s ORDER BY 1" % v)
                  for v in ("z_first", "a_second", "u")}
        d = self.dsn()
        r = subprocess.run(
            ["pg_dump", "--schema-only", "--no-owner", "-h", d["host"], "-p",
             str(d["port"]), "-U", d["user"], d["dbname"]],
            capture_output=True, text=True, timeout=120,
            env=dict(os.environ, PGPASSWORD=d["password"],
                     PGCONNECT_TIMEOUT="10"))
        if r.returncode != 0:  # pg_dump itself is another part of issue 36
            self.skipTest("pg_dump does not run here: " + r.stderr[-300:])
        stmts = [s.strip() for s in r.stdout.split(";\n")
                 if s.strip().split("\n")[-1].startswith("CREATE VIEW") or
                 "\nCREATE VIEW" in s]
        stmts = [s[s.index("CREATE VIEW"):] for s in stmts]
        self.assertEqual([s.split()[2] for s in stmts],
                         ["public.z_first", "public.a_second", "public.u"])
        # what the dump's script runs, with its empty search_path
        self.q(c, "DROP VIEW z_first CASCADE")
        self.q(c, "SELECT pg_catalog.set_config('search_path', '', false)")
        for s in stmts:
            self.q(c, s)
        self.q(c, "SET search_path TO public")
        for v, rows in before.items():
            self.assertEqual(self.q(c, "SELECT * FROM %s ORDER BY 1" % v),
                             rows)
        self.assertEqual(
            self.q(c, "SELECT attname FROM pg_attribute WHERE attrelid = "
                      "'a_second'::regclass AND attnum > 0 ORDER BY attnum"),
            [("x",), ("y",)])

    def test_sqlalchemy_inspector(self):
        import sqlalchemy
        d = self.dsn()
        eng = sqlalchemy.create_engine(
            "postgresql+psycopg2://%s:%s@%s:%d/%s" % (
                d["user"], d["password"], d["host"], d["port"], d["dbname"]),
            connect_args={"connect_timeout": 10})
        self.addCleanup(eng.dispose)
        self.q(self.c, "CREATE VIEW v AS SELECT id, a FROM t WHERE c > 0")
        insp = sqlalchemy.inspect(eng)
        self.assertEqual(insp.get_view_names(), ["v"])
        self.assertEqual(insp.get_table_names(), ["t"])
        self.assertIn("FROM t", insp.get_view_definition("v"))
        self.assertEqual([c["name"] for c in insp.get_columns("v")],
                         ["id", "a"])


if __name__ == "__main__":
    unittest.main()
