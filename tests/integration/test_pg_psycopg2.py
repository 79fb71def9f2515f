"""psycopg2 (Debian python3-psycopg2) on day one against themisd (issue
36): named (server-side) cursors, copy_expert in text and CSV, LISTEN with
conn.poll() notifications, numeric as Decimal with its scale, arrays as
lists, error classes with their diagnostics. THEMIS_PG_REFERENCE=[host:]port
runs the same scenarios against PostgreSQL 15 (pg_client_target.py)."""

import decimal
import io
import select
import time
import unittest

import psycopg2
import psycopg2.errors

from pg_client_target import Target


class Psycopg2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Target()

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def connect(self, autocommit=True):
        # a statement that hangs fails the test instead of blocking it
        c = psycopg2.connect(options="-c statement_timeout=20000",
                             **self.t.kw())
        c.autocommit = autocommit
        self.addCleanup(c.close)
        return c

    def table(self, cur, name, n=10):
        cur.execute("DROP TABLE IF EXISTS %s" % name)
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v text, "
                    "n numeric(10,2), a int[])" % name)
        for i in range(n):
            cur.execute("INSERT INTO " + name + " VALUES (%s, %s, %s, %s)",
                        (i, "v%d" % i, decimal.Decimal("1.50") + i, [i, i + 1]))

    def test_named_cursor(self):
        self.table(self.connect().cursor(), "p2_named")
        c = self.connect(autocommit=False)
        cur = c.cursor("p2_all")
        cur.itersize = 3 # FETCH 3 at a time
        cur.execute("SELECT id, v FROM p2_named ORDER BY id")
        self.assertEqual(list(cur), [(i, "v%d" % i) for i in range(10)])
        cur.close()
        cur = c.cursor("p2_some")
        cur.execute("SELECT id FROM p2_named WHERE id > %s ORDER BY id", (5,))
        self.assertEqual(cur.fetchmany(2), [(6,), (7,)])
        self.assertEqual(cur.fetchone(), (8,))
        self.assertEqual(cur.fetchall(), [(9,)])
        cur.close()
        c.commit()
        # the cursor ended with the transaction
        cur = c.cursor()
        with self.assertRaises(psycopg2.errors.InvalidCursorName):
            cur.execute("FETCH 1 FROM p2_some")
        c.rollback()

    def test_copy_expert(self):
        cur = self.connect().cursor()
        self.table(cur, "p2_copy", n=3)
        out = io.StringIO()
        cur.copy_expert("COPY p2_copy (id, v) TO STDOUT WITH CSV HEADER", out)
        self.assertEqual(out.getvalue(), "id,v\n0,v0\n1,v1\n2,v2\n")
        cur.copy_expert("COPY p2_copy (id, v) FROM STDIN WITH CSV",
                        io.StringIO('100,x\n101,"y,z"\n102,\n'))
        self.assertEqual(cur.rowcount, 3)
        cur.execute("SELECT id, v FROM p2_copy WHERE id >= 100 ORDER BY id")
        self.assertEqual(cur.fetchall(),
                         [(100, "x"), (101, "y,z"), (102, None)])
        out = io.StringIO()
        cur.copy_expert("COPY (SELECT id, v FROM p2_copy WHERE id < 2 "
                        "ORDER BY id) TO STDOUT", out)
        self.assertEqual(out.getvalue(), "0\tv0\n1\tv1\n")
        cur.copy_expert("COPY p2_copy (id, v) FROM STDIN",
                        io.StringIO("200\ttab\\there\n201\t\\N\n"))
        cur.execute("SELECT v FROM p2_copy WHERE id >= 200 ORDER BY id")
        self.assertEqual(cur.fetchall(), [("tab\there",), (None,)])
        # a bad row: 22P04 / 22P02, nothing of the COPY stays
        with self.assertRaises(psycopg2.Error) as ctx:
            cur.copy_expert("COPY p2_copy (id, v) FROM STDIN WITH CSV",
                            io.StringIO("300,a\nnot-a-number,b\n"))
        self.assertIn(ctx.exception.pgcode, ("22P02", "22P04"))
        cur.execute("SELECT count(*) FROM p2_copy WHERE id >= 300")
        self.assertEqual(cur.fetchone(), (0,))

    def test_listen_poll(self):
        listener = self.connect()
        listener.cursor().execute("LISTEN p2_chan")
        cur = self.connect().cursor()
        cur.execute("NOTIFY p2_chan, 'hello'")
        cur.execute("SELECT pg_notify('p2_chan', 'two')")
        got = []
        deadline = time.time() + 10
        while len(got) < 2 and time.time() < deadline:
            if select.select([listener], [], [], 1) != ([], [], []):
                listener.poll()
                while listener.notifies:
                    n = listener.notifies.pop(0)
                    got.append((n.channel, n.payload))
        self.assertEqual(got, [("p2_chan", "hello"), ("p2_chan", "two")])
        # a notification of a rolled-back transaction is never delivered
        c = self.connect(autocommit=False)
        c.cursor().execute("NOTIFY p2_chan, 'lost'")
        c.rollback()
        cur.execute("NOTIFY p2_chan, 'after'")
        deadline = time.time() + 10
        while time.time() < deadline and not listener.notifies:
            if select.select([listener], [], [], 1) != ([], [], []):
                listener.poll()
        self.assertEqual([n.payload for n in listener.notifies], ["after"])

    def test_numeric_scale(self):
        cur = self.connect().cursor()
        cur.execute("SELECT '12.50'::numeric")
        v = cur.fetchone()[0]
        self.assertIsInstance(v, decimal.Decimal)
        self.assertEqual(v, decimal.Decimal("12.5"))
        self.table(cur, "p2_num", n=2)
        cur.execute("SELECT sum(n) FROM p2_num")
        self.assertEqual(cur.fetchone()[0], decimal.Decimal("4"))

    def test_numeric_scale_kept(self):
        # the lead's exact numeric (issue 36): the text keeps the scale
        cur = self.connect().cursor()
        cur.execute("SELECT '12.50'::numeric, 1.50::numeric(10,2) * 2")
        self.assertEqual([str(x) for x in cur.fetchone()], ["12.50", "3.00"])
        self.table(cur, "p2_num2", n=2)
        cur.execute("SELECT n FROM p2_num2 ORDER BY id")
        self.assertEqual([str(r[0]) for r in cur.fetchall()],
                         ["1.50", "2.50"])

    def test_arrays(self):
        cur = self.connect().cursor()
        cur.execute("SELECT '{1,2,3}'::int[], ARRAY['a', 'b c', NULL], "
                    "%s::text[], ARRAY[1.5, 2.5]::float8[]", (["x", "y"],))
        self.assertEqual(cur.fetchone(), ([1, 2, 3], ["a", "b c", None],
                                          ["x", "y"], [1.5, 2.5]))
        self.table(cur, "p2_arr", n=3)
        cur.execute("SELECT a FROM p2_arr WHERE %s = ANY(a) ORDER BY id",
                    (2,))
        self.assertEqual(cur.fetchall(), [([1, 2],), ([2, 3],)])
        cur.execute("SELECT array_agg(id) FROM (SELECT id FROM p2_arr "
                    "ORDER BY id) s")
        self.assertEqual(cur.fetchone(), ([0, 1, 2],))

    def test_errors(self):
        cur = self.connect().cursor()
        self.table(cur, "p2_err", n=1)
        with self.assertRaises(psycopg2.errors.UniqueViolation) as ctx:
            cur.execute("INSERT INTO p2_err (id) VALUES (0)")
        self.assertEqual(ctx.exception.diag.constraint_name, "p2_err_pkey")
        self.assertEqual(ctx.exception.diag.table_name, "p2_err")
        with self.assertRaises(psycopg2.errors.UndefinedTable):
            cur.execute("SELECT * FROM p2_missing")
        cur.execute("SELECT 1")
        self.assertEqual(cur.fetchone(), (1,))


if __name__ == "__main__":
    unittest.main()
