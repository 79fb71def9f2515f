"""Exact `numeric` (issue 36) with real clients: psycopg2 (Decimal, text)
and psycopg 3 (binary parameters and results): random decimals (signs, 0,
scales 0-40, 70+ digits, NaN, ±Infinity) round trip digit for digit and
scale for scale; numeric(p,s) columns round half away from zero and
overflow with 22003 and PostgreSQL's detail; arithmetic, division scales
and functions give PostgreSQL 15's answers (compared with a reference
server when THEMIS_PG_REFERENCE is set, e.g.
"host=127.0.0.1 port=55432 user=postgres dbname=postgres"; else with
answers checked against PostgreSQL 15 and written here); ORDER BY,
GROUP BY, DISTINCT, min/max/sum/avg over mixed scales; comparisons with
integers and parameters; errors with their SQLSTATEs; typmods in
RowDescription, format_type and information_schema; SQLAlchemy Numeric."""

import decimal
import os
import random
import unittest

import psycopg
import psycopg2
import psycopg2.errors

from themis_harness import Server

D = decimal.Decimal
SEED = int(os.environ.get("THEMIS_TEST_SEED", "36"))

# (expression, PostgreSQL 15's text of it), checked against PostgreSQL 15
EXPRS = [
    ('1.5 + 1.25', '2.75'),
    ('12.50 - 0.5', '12.00'),
    ('1.5 * -1.25', '-1.875'),
    ('1/3::numeric', '0.33333333333333333333'),
    ('10/4::numeric', '2.5000000000000000'),
    ('1.0/3', '0.33333333333333333333'),
    ('2/3::numeric', '0.66666666666666666667'),
    ('-2/3::numeric', '-0.66666666666666666667'),
    ('1/123456789.123', '0.0000000081000000656399705319'),
    ('123456789012345678901234567890/7::numeric', '17636684144620811271604938270'),
    ('1e-10/3', '0.0000000000333333333333333333'),
    ('12345678/0.0001', '123456780000.00000000'),
    ('7.5 % 2', '1.5'),
    ('-7.5 % 2.25', '-0.75'),
    ('5.0 % 0.3', '0.2'),
    ('1e-20::numeric * 1e-20', '0.0000000000000000000000000000000000000001'),
    ("'Infinity'::numeric + 1", 'Infinity'),
    ("'Infinity'::numeric - 'Infinity'::numeric", 'NaN'),
    ("'Infinity'::numeric * 0", 'NaN'),
    ("1/'Infinity'::numeric", '0'),
    ("'NaN'::numeric + 1", 'NaN'),
    ('-(1.50)', '-1.50'),
    ('abs(-1.50)', '1.50'),
    ('round(2.5)', '3'),
    ('round(-2.55, 1)', '-2.6'),
    ('round(1234.5, -2)', '1200'),
    ('round(1.5, 3)', '1.500'),
    ('trunc(-2.59, 1)', '-2.5'),
    ('trunc(1234.5678, -2)', '1200'),
    ('ceil(-1.5)', '-1'),
    ('floor(-1.5)', '-2'),
    ('ceil(1.01)', '2'),
    ('sign(-3.50)', '-1'),
    ('sign(0.0)', '0'),
    ('round(5, 2)', '5.00'),
    ('2.5::numeric(5,0)', '3'),
    ('12.345::numeric(4,2)', '12.35'),
    ('(-2.5)::numeric::int', '-3'),
    ('2.5::numeric::int8', '3'),
    ('0.1::float8::numeric', '0.1'),
    ('1.5::numeric::float8', '1.5'),
    ('12.50::text', '12.50'),
    ("' +1.50 '::numeric", '1.50'),
    ("'1.5e-3'::numeric", '0.0015'),
    ("'-0.00'::numeric", '0.00'),
    ('99999999999999999999999999999999999999999999999999999999999999999999999.5 + 0.5', '100000000000000000000000000000000000000000000000000000000000000000000000.0'),
]


def rand_decimal(r):
    """A Decimal as PostgreSQL spells numerics: plain digits, scale kept."""
    k = r.random()
    if k < 0.03:
        return D("NaN")
    if k < 0.06:
        return D("Infinity") if r.random() < 0.5 else D("-Infinity")
    if k < 0.1:
        return D("0." + "0" * r.randint(0, 40)) if r.random() < .5 else D(0)
    ip = r.choice([0, 1, 3, 9, 18, 19, 30, 70, 75])
    fp = r.randint(0, 40)
    s = str(r.randint(1, 9)) + "".join(
        str(r.randint(0, 9)) for _ in range(max(ip - 1, 0))) if ip else "0"
    if fp:
        s += "." + "".join(str(r.randint(0, 9)) for _ in range(fp))
    if r.random() < 0.5 and D(s) != 0:
        s = "-" + s
    return D(s)


def same(want, got):
    """Digit for digit and scale for scale (Decimal('12.50') is not
    Decimal('12.5') here); NaN is NaN."""
    return isinstance(got, D) and got.as_tuple() == want.as_tuple()


class NumericTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ref = None
        dsn = os.environ.get("THEMIS_PG_REFERENCE")
        if dsn:
            cls.ref = psycopg2.connect(dsn, connect_timeout=10)
            cls.ref.autocommit = True

    @classmethod
    def tearDownClass(cls):
        if cls.ref:
            cls.ref.close()
        code = cls.srv.stop()
        try:
            assert code == 0, "themisd exit code %r" % code
        finally:
            cls.srv.cleanup()

    def pg2(self):
        c = psycopg2.connect(host="127.0.0.1", port=self.srv.pg_port,
                             user="themis", password="themis",
                             dbname="themis", connect_timeout=10,
                             options="-c statement_timeout=20000")
        c.autocommit = True
        self.addCleanup(c.close)
        return c

    def pg3(self):
        c = psycopg.connect(host="127.0.0.1", port=self.srv.pg_port,
                            user="themis", password="themis",
                            dbname="themis", autocommit=True,
                            connect_timeout=10,
                            options="-c statement_timeout=20000")
        self.addCleanup(c.close)
        return c

    def one(self, conn, sql, args=None):
        cur = conn.cursor()
        cur.execute(sql, args)
        return cur.fetchone()[0]

    def error(self, conn, sql, args=None):
        cur = conn.cursor()
        with self.assertRaises(psycopg2.Error) as cm:
            cur.execute(sql, args)
        return cm.exception

    # -- round trips ---------------------------------------------------------
    def test_text_round_trip_psycopg2(self):
        c = self.pg2()
        cur = c.cursor()
        cur.execute("CREATE TABLE rt2 (id int PRIMARY KEY, v numeric)")
        r = random.Random(SEED)
        vals = [rand_decimal(r) for _ in range(300)]
        vals += [D("12.50"), D("-0.001"), D("9" * 75 + "." + "9" * 40)]
        # psycopg2 adapts Decimal('Infinity') as 'NaN': send the text
        cur.executemany("INSERT INTO rt2 VALUES (%s, %s::numeric)",
                        [(i, str(v)) for i, v in enumerate(vals)])
        cur.execute("SELECT id, v FROM rt2 ORDER BY id")
        got = cur.fetchall()
        self.assertEqual(len(got), len(vals))
        for (i, g), w in zip(got, vals):
            self.assertTrue(same(w, g), "%r read back %r" % (w, g))
        for w in vals[:60]:  # a parameter straight back
            g = self.one(c, "SELECT %s::numeric", (str(w),))
            self.assertTrue(same(w, g), "%r read back %r" % (w, g))

    def test_binary_round_trip_psycopg3(self):
        c = self.pg3()
        c.execute("CREATE TABLE rt3 (id int PRIMARY KEY, v numeric)")
        r = random.Random(SEED + 1)
        vals = [rand_decimal(r) for _ in range(300)]
        vals += [D("12.50"), D("0.0001"), D("10000"), D("-1" + "0" * 72)]
        with c.cursor() as cur:
            cur.executemany("INSERT INTO rt3 VALUES (%b, %b)",
                            list(enumerate(vals)))
        for binary in (True, False):
            with c.cursor(binary=binary) as cur:
                cur.execute("SELECT id, v FROM rt3 ORDER BY id")
                got = cur.fetchall()
            self.assertEqual(len(got), len(vals))
            for (i, g), w in zip(got, vals):
                self.assertTrue(same(w, g), "%r read back %r (binary %s)"
                                % (w, g, binary))
        with c.cursor(binary=True) as cur:
            for w in vals[:60]:
                cur.execute("SELECT %b::numeric", (w,))
                g = cur.fetchone()[0]
                self.assertTrue(same(w, g), "%r read back %r" % (w, g))

    def test_documents_hold_numbers(self):
        c = self.pg2()
        cur = c.cursor()
        cur.execute("CREATE TABLE docs (id int PRIMARY KEY, v numeric)")
        cur.execute("INSERT INTO docs VALUES (1, 12.50), (2, 'NaN'), (3, "
                    "1234567890123456789012345678901234567890.5)")
        for key, want in (("1", "12.50"), ("2", '"NaN"'),
                          ("3", "1234567890123456789012345678901234567890.5")):
            st, _, body = self.srv.request(
                "GET", "/v1/collections/docs/documents/" + key)
            self.assertEqual(st, 200)
            # the document holds a JSON number with every digit
            self.assertIn(b'"v":' + want.encode(), body.replace(b" ", b""))

    # -- numeric(p,s) ----------------------------------------------------------
    def test_typmod_columns(self):
        c = self.pg2()
        cur = c.cursor()
        cur.execute("CREATE TABLE money (id int PRIMARY KEY, "
                    "amount numeric(12,2), whole numeric(5))")
        cur.execute("INSERT INTO money VALUES (1, 3.14159, 2.5), "
                    "(2, -2.345, -2.5), (3, 12, 99999.4)")
        cur.execute("SELECT amount, whole FROM money ORDER BY id")
        self.assertEqual(cur.fetchall(), [(D("3.14"), D("3")),
                                          (D("-2.35"), D("-3")),
                                          (D("12.00"), D("99999"))])
        self.assertEqual(str(self.one(c, "SELECT amount FROM money "
                                         "WHERE id = 3")), "12.00")
        e = self.error(c, "INSERT INTO money VALUES (4, 1e10, 0)")
        self.assertEqual(e.pgcode, "22003")
        self.assertIn("numeric field overflow", e.pgerror)
        self.assertEqual(e.diag.message_detail,
                         "A field with precision 12, scale 2 must round to "
                         "an absolute value less than 10^10.")
        e = self.error(c, "UPDATE money SET whole = 99999.5 WHERE id = 1")
        self.assertEqual(e.pgcode, "22003")
        e = self.error(c, "INSERT INTO money VALUES (5, 'Infinity', 0)")
        self.assertEqual(e.diag.message_detail,
                         "A field with precision 12, scale 2 cannot hold "
                         "an infinite value.")
        cur.execute("UPDATE money SET amount = amount * 1.5 WHERE id = 1 "
                    "RETURNING amount")
        self.assertEqual(str(cur.fetchone()[0]), "4.71")
        # the typmod travels in RowDescription: psycopg2's precision/scale
        cur.execute("SELECT amount, whole FROM money")
        self.assertEqual(cur.description[0].precision, 12)
        self.assertEqual(cur.description[0].scale, 2)
        self.assertEqual(cur.description[1].precision, 5)
        self.assertEqual(self.one(c, "SELECT format_type(1700, %s)",
                                  ((12 << 16 | 2) + 4,)), "numeric(12,2)")
        cur.execute("SELECT column_name, numeric_precision, numeric_scale, "
                    "numeric_precision_radix FROM information_schema.columns "
                    "WHERE table_name = 'money' ORDER BY ordinal_position")
        self.assertEqual(cur.fetchall(), [("id", 32, 0, 2),
                                          ("amount", 12, 2, 10),
                                          ("whole", 5, 0, 10)])
        e = self.error(c, "CREATE TABLE bad (v numeric(0))")
        self.assertEqual(e.pgcode, "22023")
        self.assertEqual(str(self.one(c, "SELECT 1.005::numeric(3,2)")),
                         "1.01")

    # -- arithmetic ----------------------------------------------------------
    def test_arithmetic_matches_postgresql(self):
        c = self.pg2()
        for sql, want in EXPRS:
            if self.ref:
                want = self.one(self.ref, "SELECT (%s)::text" % sql)
            got = self.one(c, "SELECT (%s)::text" % sql)
            self.assertEqual(got, want, sql)

    def test_random_arithmetic_against_reference(self):
        if not self.ref:
            self.skipTest("THEMIS_PG_REFERENCE is not set")
        c = self.pg2()
        r = random.Random(SEED + 2)
        for _ in range(300):
            a, b = rand_decimal(r), rand_decimal(r)
            op = r.choice(["+", "-", "*", "/", "%"])
            sql = ("SELECT (%s::numeric " + op.replace("%", "%%") +
                   " %s::numeric)::text")
            try:
                want = self.one(self.ref, sql, (str(a), str(b)))
            except psycopg2.Error as e:
                got = self.error(c, sql, (str(a), str(b)))
                self.assertEqual(got.pgcode, e.pgcode, (a, op, b))
                continue
            self.assertEqual(self.one(c, sql, (str(a), str(b))), want,
                             (a, op, b))

    def test_errors(self):
        c = self.pg2()
        for sql, state in [("SELECT '1e'::numeric", "22P02"),
                           ("SELECT '--1'::numeric", "22P02"),
                           ("SELECT '1.2.3'::numeric", "22P02"),
                           ("SELECT 1/0.0", "22012"),
                           ("SELECT 1.5 % 0", "22012"),
                           ("SELECT 'NaN'::numeric::int", "0A000"),
                           ("SELECT 'Infinity'::numeric::int", "0A000"),
                           ("SELECT 1e30::numeric::int8", "22003"),
                           ("SELECT 2147483647.5::numeric::int", "22003"),
                           ("SELECT ('1' || repeat('0', 200000))::numeric",
                            "22003")]:
            e = self.error(c, sql)
            self.assertEqual(e.pgcode, state, sql)
        # the session survives every error
        self.assertEqual(self.one(c, "SELECT 1.50"), D("1.50"))

    # -- sorting, grouping, aggregates --------------------------------------
    def test_order_group_aggregates(self):
        c = self.pg2()
        cur = c.cursor()
        cur.execute("CREATE TABLE agg (id int PRIMARY KEY, g int, "
                    "v numeric)")
        vals = ["1.50", "2.250", "-0.5", "10", "9.99", "1.5", "NaN",
                "1e-20", "100000000000000000000000000000.1", "-Infinity"]
        cur.executemany("INSERT INTO agg VALUES (%s, %s, %s)",
                        [(i, i % 2, v) for i, v in enumerate(vals)])
        cur.execute("SELECT v FROM agg ORDER BY v, id")
        self.assertEqual([str(x[0]) for x in cur.fetchall()],
                         ["-Infinity", "-0.5", "1E-20", "1.50", "1.5",
                          "2.250", "9.99", "10",
                          "100000000000000000000000000000.1", "NaN"])
        cur.execute("SELECT v FROM agg ORDER BY 1 DESC, id LIMIT 2")
        self.assertEqual([str(x[0]) for x in cur.fetchall()],
                         ["NaN", "100000000000000000000000000000.1"])
        cur.execute("SELECT min(v), max(v) FROM agg")
        self.assertEqual([str(x) for x in cur.fetchone()],
                         ["-Infinity", "NaN"])
        cur.execute("SELECT sum(v), avg(v), min(v), max(v), count(*) FROM agg"
                    " WHERE v > -1 AND v < 11")
        self.assertEqual([str(x) for x in cur.fetchone()],
                         ["24.74000000000000000001",
                          "3.53428571428571428572", "-0.5", "10", "7"])
        cur.execute("SELECT count(*) FROM (SELECT DISTINCT v FROM agg) d")
        self.assertEqual(cur.fetchone()[0], 9)  # 1.50 and 1.5 are one
        self.assertEqual(self.one(c, "SELECT count(DISTINCT v) FROM agg"), 9)
        cur.execute("SELECT v, count(*) FROM agg WHERE v BETWEEN 1 AND 2 "
                    "GROUP BY v")
        rows = cur.fetchall()
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][1], 2)
        self.assertEqual(self.one(c, "SELECT avg(x) FROM (VALUES (1), (2)) "
                                     "v(x)"), D("1.5000000000000000"))
        self.assertEqual(str(self.one(c, "SELECT sum(x) FROM (VALUES "
                                         "(9223372036854775807::int8), "
                                         "(1::int8)) v(x)")),
                         "9223372036854775808")

    def test_unique_by_value(self):
        c = self.pg2()
        cur = c.cursor()
        cur.execute("CREATE TABLE uq (id int PRIMARY KEY, v numeric UNIQUE, "
                    "note text)")
        cur.execute("INSERT INTO uq (id, v) VALUES (1, 1.5), (2, 10)")
        e = self.error(c, "INSERT INTO uq (id, v) VALUES (3, 1.50)")
        self.assertEqual(e.pgcode, "23505")  # 1.50 = 1.5, as PostgreSQL
        cur.execute("INSERT INTO uq (id, v) VALUES (4, 1.05), (5, 100)")
        cur.execute("INSERT INTO uq (id, v) VALUES (6, 10.0) ON CONFLICT (v) "
                    "DO UPDATE SET note = 'again' RETURNING id, v, note")
        self.assertEqual(cur.fetchall(), [(2, D("10"), "again")])
        self.assertEqual(self.one(c, "SELECT count(*) FROM uq"), 4)

    def test_comparisons(self):
        c = self.pg2()
        cur = c.cursor()
        cur.execute("CREATE TABLE cmp (id int PRIMARY KEY, v numeric)")
        cur.executemany("INSERT INTO cmp VALUES (%s, %s)",
                        [(1, D("1.0")), (2, D("2.50")), (3, D("10")),
                         (4, D("NaN")), (5, D("12345678901234567890.1"))])
        def q(where, args=None):
            cur.execute("SELECT id FROM cmp WHERE " + where, args)
            return sorted(x[0] for x in cur.fetchall())

        self.assertEqual(q("v = 1"), [1])
        self.assertEqual(q("v > 2"), [2, 3, 4, 5])  # NaN above all
        self.assertEqual(q("v < 10"), [1, 2])
        self.assertEqual(q("v = %s", (D("2.5"),)), [2])
        self.assertEqual(q("v > %s", (9,)), [3, 4, 5])
        self.assertEqual(q("v = 'NaN'"), [4])
        self.assertEqual(q("v IN (1, 10)"), [1, 3])
        self.assertEqual(q("v BETWEEN 2.5 AND 10.0"), [2, 3])
        self.assertEqual(q("v > 12345678901234567890"), [4, 5])
        self.assertEqual(q("v + 1 = 3.5"), [2])
        self.assertTrue(self.one(c, "SELECT 0.1 + 0.2 = 0.3"))
        self.assertTrue(self.one(c, "SELECT 'NaN'::numeric = 'NaN'"))

    def test_sqlalchemy_numeric(self):
        import sqlalchemy as sa
        eng = sa.create_engine(
            "postgresql+psycopg2://themis:themis@127.0.0.1:%d/themis"
            % self.srv.pg_port, connect_args={"connect_timeout": 10})
        self.addCleanup(eng.dispose)
        md = sa.MetaData()
        t = sa.Table("prices", md,
                     sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("price", sa.Numeric(10, 2)))
        md.create_all(eng)
        with eng.begin() as conn:
            conn.execute(t.insert(), [{"id": 1, "price": D("12.50")},
                                      {"id": 2, "price": D("0.1")}])
        with eng.connect() as conn:
            rows = conn.execute(sa.select(t.c.price).order_by(t.c.id)).all()
        self.assertEqual([str(r[0]) for r in rows], ["12.50", "0.10"])


if __name__ == "__main__":
    unittest.main()
