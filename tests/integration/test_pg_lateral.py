"""LATERAL (subquery) in FROM (issue 36) with psycopg2 and psycopg 3:
the comma form, CROSS JOIN LATERAL, LEFT JOIN LATERAL … ON true (NULL-
extended), aggregates inside, LATERAL inside LATERAL, column aliases,
parameters in the extended protocol, temp tables, the column types
clients see, and the errors PostgreSQL gives (a reference to a later
FROM item, too many column aliases, bad SQL inside).

With THEMIS_PG_REFERENCE=[host:]port the same tests run against a
PostgreSQL 15 (user postgres, database `lateral`, created when missing):
a test PostgreSQL fails is a test bug."""

import decimal
import os
import unittest

import psycopg2

from pg_test_base import PgTest
from themis_harness import Server
from tokens import ALL_SCOPES, make_jwt

REFERENCE = os.environ.get("THEMIS_PG_REFERENCE")


class LateralTest(PgTest):
    reference_db = "lateral"

    def connect(self, autocommit=True, **kw):
        kw.setdefault("options", "-c statement_timeout=30000")
        return super().connect(autocommit, **kw)

    def setUp(self):
        c = self.connect()
        for t in ("lt", "lu", "lw"):
            self.q(c, "DROP TABLE IF EXISTS %s" % t)
        self.q(c, "CREATE TABLE lt (a int PRIMARY KEY, b text)")
        self.q(c, "CREATE TABLE lu (a int, v int, p numeric(6,2))")
        self.q(c, "CREATE TABLE lw (v int, w text)")
        self.q(c, "INSERT INTO lt VALUES (1, 'x'), (2, 'y'), (3, 'z')")
        self.q(c, "INSERT INTO lu VALUES (1, 10, 1.50), (1, 11, 2.25), "
                  "(1, 12, NULL), (2, 20, 3.00)")
        self.q(c, "INSERT INTO lw VALUES (10, 'ten'), (11, 'eleven'), "
                  "(20, 'twenty'), (20, 'xx')")
        self.c = c

    def test_top_n_per_row(self):
        self.assertEqual(
            self.q(self.c, """SELECT lt.a, s.v FROM lt, LATERAL (SELECT lu.v
                FROM lu WHERE lu.a = lt.a ORDER BY lu.v DESC LIMIT 2) s
                ORDER BY 1, 2"""),
            [(1, 11), (1, 12), (2, 20)])
        self.assertEqual(
            self.q(self.c, """SELECT * FROM lt CROSS JOIN LATERAL (SELECT v, p
                FROM lu WHERE a = lt.a AND v > 10) s ORDER BY a, v"""),
            [(1, "x", 11, decimal.Decimal("2.25")), (1, "x", 12, None),
             (2, "y", 20, decimal.Decimal("3.00"))])

    def test_left_join_null_extended(self):
        self.assertEqual(
            self.q(self.c, """SELECT lt.a, s.x FROM lt LEFT JOIN LATERAL
                (SELECT v FROM lu WHERE lu.a = lt.a) s(x) ON true
                ORDER BY 1, 2"""),
            [(1, 10), (1, 11), (1, 12), (2, 20), (3, None)])
        self.assertEqual(
            self.q(self.c, """SELECT lt.a, s.v FROM lt LEFT JOIN LATERAL
                (SELECT v FROM lu WHERE lu.a = lt.a) s ON s.v > 10
                ORDER BY 1, 2"""),
            [(1, 11), (1, 12), (2, 20), (3, None)])

    def test_aggregates_inside(self):
        self.assertEqual(
            self.q(self.c, """SELECT lt.a, s.n, s.m FROM lt, LATERAL
                (SELECT count(*) AS n, max(v) AS m FROM lu WHERE lu.a = lt.a) s
                ORDER BY 1"""),
            [(1, 3, 12), (2, 1, 20), (3, 0, None)])
        self.assertEqual(
            self.q(self.c, """SELECT b, total FROM lt, LATERAL (SELECT sum(p)
                AS total FROM lu WHERE lu.a = lt.a) s WHERE total IS NOT NULL
                ORDER BY b"""),
            [("x", decimal.Decimal("3.75")), ("y", decimal.Decimal("3.00"))])

    def test_two_earlier_items_and_nesting(self):
        # a LATERAL naming two earlier FROM items
        self.assertEqual(
            self.q(self.c, """SELECT lt.a, lu.v, s.w FROM lt JOIN lu ON
                lu.a = lt.a, LATERAL (SELECT w FROM lw WHERE lw.v = lu.v AND
                lt.b = 'y' ORDER BY w) s ORDER BY 1, 2, 3"""),
            [(2, 20, "twenty"), (2, 20, "xx")])
        # LATERAL inside LATERAL, the inner one naming both levels
        self.assertEqual(
            self.q(self.c, """SELECT lt.a, s.v, s.w FROM lt, LATERAL (
                SELECT lu.v, z.w FROM lu, LATERAL (SELECT w FROM lw
                WHERE lw.v = lu.v AND lu.a = lt.a ORDER BY w LIMIT 1) z) s
                ORDER BY 1, 2"""),
            [(1, 10, "ten"), (1, 11, "eleven"), (2, 20, "twenty")])

    def test_column_aliases_and_types(self):
        cur = self.c.cursor()
        cur.execute("""SELECT * FROM lt, LATERAL (SELECT lt.a * 2, lt.b ||
            '''?1''', count(*) FROM lu WHERE lu.a = lt.a) s(x, y)
            WHERE lt.a = 1""")
        self.assertEqual(cur.fetchall(), [(1, "x", 2, "x'?1'", 3)])
        self.assertEqual([d.name for d in cur.description],
                         ["a", "b", "x", "y", "count"])
        self.assertEqual([d.type_code for d in cur.description],
                         [23, 25, 23, 25, 20])
        # control characters and ? in the subquery's literals stay text
        self.assertEqual(
            self.q(self.c, """SELECT s.z FROM lt, LATERAL (SELECT E'\\x01?2' ||
                lt.b || '"?1"' AS z) s ORDER BY 1"""),
            [("\x01?2x\"?1\"",), ("\x01?2y\"?1\"",), ("\x01?2z\"?1\"",)])
        self.fails(self.c, """SELECT * FROM lt, LATERAL (SELECT 1 AS x, 2 AS y)
            s(p, q, r)""", "42P10")

    def test_parameters_extended_protocol(self):
        import psycopg  # psycopg 3: Parse/Bind/Describe/Execute
        d = self.dsn()
        with psycopg.connect(host=d["host"], port=d["port"], user=d["user"],
                             password=d["password"], dbname=d["dbname"],
                             connect_timeout=10, autocommit=True) as c3:
            for limit, want in ((1, [(1, 10), (2, 20)]),
                                (2, [(1, 10), (1, 11), (2, 20)])):
                rows = c3.execute(
                    """SELECT lt.a, s.v FROM lt, LATERAL (SELECT v FROM lu
                    WHERE lu.a = lt.a AND v >= %s ORDER BY v LIMIT %s) s
                    WHERE lt.b <> %s ORDER BY 1, 2""",
                    (10, limit, "z"), prepare=True).fetchall()
                self.assertEqual(rows, want)
        self.assertEqual(
            self.q(self.c, """SELECT s.v FROM lt, LATERAL (SELECT v FROM lu
                WHERE lu.a = lt.a AND v > %s) s ORDER BY 1""", (11,)),
            [(12,), (20,)])

    def test_temp_table_inside(self):
        self.q(self.c, "CREATE TEMP TABLE ltmp (a int, note text)")
        self.q(self.c, "INSERT INTO ltmp VALUES (2, 'two'), (3, 'three')")
        self.assertEqual(
            self.q(self.c, """SELECT lt.a, s.note FROM lt LEFT JOIN LATERAL
                (SELECT note FROM ltmp WHERE ltmp.a = lt.a) s ON true
                ORDER BY 1"""),
            [(1, None), (2, "two"), (3, "three")])

    def test_errors(self):
        # a later FROM item: not visible, as PostgreSQL says
        e = self.fails(self.c, """SELECT * FROM LATERAL (SELECT lt.a) s, lt""",
                       "42P01")
        self.assertIn('FROM-clause entry for table "lt"', str(e))
        # no LATERAL: the earlier item is not visible either
        e = self.fails(self.c, "SELECT * FROM lt, (SELECT lt.a) s", "42P01")
        self.assertIn('invalid reference to FROM-clause entry for table "lt"',
                      str(e))
        self.fails(self.c, """SELECT * FROM lt, LATERAL (SELECT nosuch FROM lu
            WHERE lu.a = lt.a) s""", "42703")
        self.fails(self.c, "SELECT * FROM lt, LATERAL (SELECT FROM WHERE) s",
                   "42601")
        self.fails(self.c, "SELECT * FROM lt, LATERAL (SELECT 1 / (lt.a - 2)) s",
                   "22012")
        # the connection still works
        self.assertEqual(self.q(self.c, """SELECT count(*) FROM lt, LATERAL
            (SELECT 1 / lt.a) s"""), [(3,)])


@unittest.skipIf(REFERENCE, "themisd only: tenants")
class LateralTenantTest(unittest.TestCase):
    """Inside a tenant the subquery reads the tenant's tables only."""

    SECRET = "lateral test secret, long enough!!"

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + cls.SECRET],
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def connect(self, tenant):
        token = make_jwt(self.SECRET, "u_" + tenant, tenant, ALL_SCOPES)
        c = psycopg2.connect(host="127.0.0.1", port=self.srv.pg_port,
                             user="app", password=token, dbname=tenant,
                             connect_timeout=10)
        c.autocommit = True
        self.addCleanup(c.close)
        return c

    def test_tenant_tables(self):
        conns = {}
        for tenant, v in (("acme", 1), ("beta", 2)):
            c = self.connect(tenant)
            cur = c.cursor()
            cur.execute("CREATE TABLE o (id int PRIMARY KEY)")
            cur.execute("CREATE TABLE i (o int, v int)")
            cur.execute("INSERT INTO o VALUES (1)")
            cur.execute("INSERT INTO i VALUES (1, %s), (1, %s)", (v, v * 10))
            conns[tenant] = c
        for tenant, want in (("acme", [(1, 2, 10)]), ("beta", [(1, 2, 20)])):
            cur = conns[tenant].cursor()
            cur.execute("""SELECT o.id, s.n, s.m FROM o, LATERAL (SELECT
                count(*) AS n, max(v) AS m FROM i WHERE i.o = o.id) s""")
            self.assertEqual(cur.fetchall(), want)


if __name__ == "__main__":
    unittest.main()
