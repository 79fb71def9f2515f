"""psycopg 3.1 (Debian python3-psycopg) on day one against themisd (issue
36): binary parameters and results for the common types, COPY with
write_row/rows in text and binary format, pipeline mode, named server-side
cursors (DECLARE, Describe of the FETCH portal, FETCH — this used to abort
with "unexpected field count in D message"), nested conn.transaction()
blocks. THEMIS_PG_REFERENCE=[host:]port runs the same scenarios against
PostgreSQL 15 (pg_client_target.py)."""

import datetime
import decimal
import unittest
import uuid

import psycopg
import psycopg.errors
from psycopg.types.json import Jsonb

from pg_client_target import Target

UTC = datetime.timezone.utc


class Psycopg3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Target()

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def connect(self, autocommit=True):
        c = psycopg.connect(autocommit=autocommit,
                            options="-c statement_timeout=20000",
                            **self.t.kw())
        self.addCleanup(c.close)
        return c

    def table(self, c, name):
        c.execute("DROP TABLE IF EXISTS %s" % name)
        c.execute("CREATE TABLE %s (id int PRIMARY KEY, v text, f float8, "
                  "b bytea, ok boolean, d date, ts timestamptz, j jsonb, "
                  "n numeric, u uuid, i8 bigint)" % name)

    ROW = (1, "h\u00e9llo", 1.5, b"\x00\x01\xff", True,
           datetime.date(2024, 2, 29),
           datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
           {"a": [1, 2], "b": None}, decimal.Decimal("3.25"),
           uuid.UUID(int=77), 2**40)

    def test_binary_parameters(self):
        c = self.connect()
        self.table(c, "p3_bin")
        row = list(self.ROW)
        row[7] = Jsonb(row[7])
        c.execute("INSERT INTO p3_bin VALUES (%s, %s, %s, %s, %s, %s, %s, "
                  "%s, %s, %s, %s)", row, binary=True)
        for binary in (True, False):
            cur = c.execute("SELECT * FROM p3_bin WHERE id = %s", (1,),
                            binary=binary)
            got = cur.fetchone()
            self.assertEqual(got, self.ROW, binary)
        cur = c.execute("SELECT %s::int8, %s::text, %s::bytea, %s::numeric, "
                        "%s::bool, %s::float8",
                        (5, "x", b"a\x00b", decimal.Decimal("-3.25"), False,
                         -0.5), binary=True)
        self.assertEqual(cur.fetchone(),
                         (5, "x", b"a\x00b", decimal.Decimal("-3.25"), False,
                          -0.5))

    def test_copy_text(self):
        c = self.connect()
        self.table(c, "p3_copy")
        cur = c.cursor()
        with cur.copy("COPY p3_copy (id, v, f) FROM STDIN") as cp:
            for i in range(1, 5):
                cp.write_row((i, "r\t%d" % i, i / 2))
        with cur.copy("COPY p3_copy (id, v, f) TO STDOUT") as cp:
            rows = list(cp.rows())
        self.assertEqual(rows, [(str(i), "r\t%d" % i, str(i / 2).rstrip("0")
                                 .rstrip(".")) for i in range(1, 5)])

    def test_copy_binary(self):
        c = self.connect()
        self.table(c, "p3_copyb")
        cur = c.cursor()
        with cur.copy("COPY p3_copyb (id, v, b, n, ts) FROM STDIN "
                      "(FORMAT BINARY)") as cp:
            cp.set_types(["int4", "text", "bytea", "numeric", "timestamptz"])
            for i in range(3):
                cp.write_row((i, "bin%d" % i if i != 1 else None, bytes([i, 0]),
                              decimal.Decimal("%d.5" % i), self.ROW[6]))
        with cur.copy("COPY (SELECT id, v, b, n, ts FROM p3_copyb ORDER BY "
                      "id) TO STDOUT (FORMAT BINARY)") as cp:
            cp.set_types(["int4", "text", "bytea", "numeric", "timestamptz"])
            rows = list(cp.rows())
        self.assertEqual(rows, [(i, "bin%d" % i if i != 1 else None,
                                 bytes([i, 0]), decimal.Decimal("%d.5" % i),
                                 self.ROW[6]) for i in range(3)])
        # a truncated binary stream is an error, nothing stays
        with self.assertRaises(psycopg.errors.BadCopyFileFormat):
            with cur.copy("COPY p3_copyb (id) FROM STDIN (FORMAT BINARY)") \
                    as cp:
                cp.write(b"PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00"
                         b"\x00\x00\x01\x00\x00\x00\x04\x00")
        self.assertEqual(c.execute("SELECT count(*) FROM p3_copyb")
                         .fetchone(), (3,))

    def test_pipeline(self):
        c = self.connect()
        self.table(c, "p3_pipe")
        with c.pipeline():
            c.execute("INSERT INTO p3_pipe (id, v) VALUES (%s, %s)", (1, "a"))
            c.execute("INSERT INTO p3_pipe (id, v) VALUES (%s, %s)", (2, "b"))
            cur = c.execute("SELECT count(*) FROM p3_pipe")
        self.assertEqual(cur.fetchone(), (2,))
        c.cursor().executemany("INSERT INTO p3_pipe (id, v) VALUES (%s, %s)",
                               [(i, str(i)) for i in range(3, 10)])
        self.assertEqual(c.execute("SELECT count(*) FROM p3_pipe")
                         .fetchone(), (9,))
        # an error in a pipeline: the rest of that batch is not run
        with self.assertRaises(psycopg.errors.UniqueViolation):
            with c.pipeline():
                c.execute("INSERT INTO p3_pipe (id) VALUES (20)")
                c.execute("INSERT INTO p3_pipe (id) VALUES (1)")
                c.execute("INSERT INTO p3_pipe (id) VALUES (21)")
        self.assertEqual(c.execute("SELECT count(*) FROM p3_pipe WHERE id "
                                   ">= 20").fetchone(), (0,))

    def test_named_cursor(self):
        c = self.connect()
        self.table(c, "p3_nc")
        for i in range(1, 8):
            c.execute("INSERT INTO p3_nc (id, v, n) VALUES (%s, %s, %s)",
                      (i, "r%d" % i, decimal.Decimal(i)))
        with c.transaction():
            nc = c.cursor("p3_named")
            nc.execute("SELECT id, v FROM p3_nc WHERE id > %s ORDER BY id",
                       (1,))
            self.assertEqual(nc.fetchmany(3), [(2, "r2"), (3, "r3"),
                                               (4, "r4")])
            self.assertEqual(nc.fetchone(), (5, "r5"))
            self.assertEqual(nc.fetchall(), [(6, "r6"), (7, "r7")])
            nc.close()
        with c.transaction():
            nc = c.cursor("p3_iter")
            nc.itersize = 2
            nc.execute("SELECT id, n FROM p3_nc ORDER BY id")
            self.assertEqual([r for r in nc],
                             [(i, decimal.Decimal(i)) for i in range(1, 8)])
            nc.close()
        with c.transaction(): # binary results through the cursor
            nc = c.cursor("p3_binc", binary=True)
            nc.execute("SELECT id, v FROM p3_nc WHERE id <= 2 ORDER BY id")
            self.assertEqual(nc.fetchall(), [(1, "r1"), (2, "r2")])
            nc.close()

    def test_transactions(self):
        c = self.connect()
        self.table(c, "p3_tx")
        with c.transaction():
            c.execute("INSERT INTO p3_tx (id) VALUES (1)")
            try:
                with c.transaction():
                    c.execute("INSERT INTO p3_tx (id) VALUES (2)")
                    raise RuntimeError("roll back the savepoint")
            except RuntimeError:
                pass
            with c.transaction():
                c.execute("INSERT INTO p3_tx (id) VALUES (3)")
            try:
                with c.transaction():
                    c.execute("INSERT INTO p3_tx (id) VALUES (1)")
            except psycopg.errors.UniqueViolation as e:
                self.assertEqual(e.diag.constraint_name, "p3_tx_pkey")
        try:
            with c.transaction():
                c.execute("INSERT INTO p3_tx (id) VALUES (4)")
                raise RuntimeError("roll back all")
        except RuntimeError:
            pass
        self.assertEqual(c.execute("SELECT id FROM p3_tx ORDER BY id")
                         .fetchall(), [(1,), (3,)])


if __name__ == "__main__":
    unittest.main()
