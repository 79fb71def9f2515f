"""PostgreSQL functions applications call (issue 36), with real clients
(psycopg2, Debian python3-psycopg2; psql): pg_sleep() timing and cancel,
set-returning functions in the select list and in FROM (generate_series,
unnest), and a scalar subquery of more than one row (21000)."""

import os
import subprocess
import threading
import time
import unittest

import psycopg2
import psycopg2.errors

from pg_test_base import PgTest


class Base(PgTest):
    def run_sql(self, conn, sql, args=None):
        return self.q(conn, sql, args)

    def psql(self, sql):
        env = dict(os.environ, PGPASSWORD="themis", PGCONNECT_TIMEOUT="10")
        dsn = "host=127.0.0.1 port=%d user=themis dbname=themis" % (
            self.srv.pg_port)
        return subprocess.run(
            ["psql", dsn, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"],
            input=sql, capture_output=True, text=True, env=env, timeout=60)


class SleepTest(Base):
    def test_sleep_takes_its_time(self):
        c = self.connect()
        t0 = time.monotonic()
        self.assertEqual(self.run_sql(c, "SELECT pg_sleep(0.3)"), [("",)])
        self.assertGreaterEqual(time.monotonic() - t0, 0.29)
        t0 = time.monotonic()
        self.run_sql(c, "SELECT pg_sleep(%s)", (0.1,))
        self.assertGreaterEqual(time.monotonic() - t0, 0.09)

    def test_bad_inputs_return_at_once(self):
        c = self.connect()
        for arg in ("-5", "'NaN'::float8", "0", "NULL"):
            t0 = time.monotonic()
            self.run_sql(c, "SELECT pg_sleep(%s)" % arg)
            self.assertLess(time.monotonic() - t0, 1.0, arg)
        self.fails(c, "SELECT pg_sleep()", "42883")

    def sleep_signalled(self, fn):
        a, b = self.connect(), self.connect()
        err = []

        def sleeper():
            try:
                self.run_sql(a, "SELECT pg_sleep(60)")
            except psycopg2.Error as e:
                err.append(e)

        # a daemon: a cancel that never lands fails the test, not hangs it
        t = threading.Thread(target=sleeper, daemon=True)
        t0 = time.monotonic()
        t.start()
        pid = a.get_backend_pid()
        deadline = time.time() + 10
        while time.time() < deadline:
            st = self.run_sql(b, "SELECT state FROM pg_stat_activity "
                                 "WHERE pid = %s", (pid,))
            if st and st[0][0] == "active":
                break
            time.sleep(0.05)
        time.sleep(0.2)  # inside the sleep
        self.assertEqual(self.run_sql(b, "SELECT %s(%%s)" % fn, (pid,)),
                         [(True,)])
        t.join(10)
        self.assertFalse(t.is_alive())
        self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual(len(err), 1)
        return err[0]

    def test_cancel_ends_the_sleep(self):
        e = self.sleep_signalled("pg_cancel_backend")
        self.assertEqual(e.pgcode, "57014")

    def test_terminate_ends_the_sleep(self):
        e = self.sleep_signalled("pg_terminate_backend")
        self.assertIn(e.pgcode, ("57P01", None))  # FATAL, then gone

    def test_sleep_for_an_interval(self):
        c = self.connect()
        for arg in ("'0.2 seconds'", "interval '200 ms'", "'00:00:00.2'",
                    "'0.2s'::interval"):
            t0 = time.monotonic()
            self.run_sql(c, "SELECT pg_sleep_for(%s)" % arg)
            self.assertGreaterEqual(time.monotonic() - t0, 0.19, arg)
        t0 = time.monotonic()
        self.run_sql(c, "SELECT pg_sleep_for('-1 day')")
        self.assertLess(time.monotonic() - t0, 1.0)
        self.fails(c, "SELECT pg_sleep_for('soon')", "22007")

    def test_statement_timeout_ends_the_sleep(self):
        c = self.connect()
        self.run_sql(c, "SET statement_timeout = '200ms'")
        t0 = time.monotonic()
        self.fails(c, "SELECT pg_sleep(5)", "57014")
        self.assertLess(time.monotonic() - t0, 2.0)
        self.run_sql(c, "SET statement_timeout = 0")

    def test_after_a_write_in_a_block(self):
        c = self.connect()
        self.run_sql(c, "CREATE TABLE sleep_w(id int PRIMARY KEY)")
        c.autocommit = False
        self.run_sql(c, "SELECT pg_sleep(0.01)")  # before a write: fine
        self.run_sql(c, "INSERT INTO sleep_w VALUES (1)")
        self.fails(c, "SELECT pg_sleep(0.01)", "0A000")
        c.rollback()
        c.autocommit = True

    def test_psql(self):
        r = self.psql("SELECT pg_sleep(0.05);\nSELECT 1;\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip().splitlines()[-1], "1")


class SetReturningTest(Base):
    def test_generate_series_in_select_list(self):
        c = self.connect()
        self.assertEqual(self.run_sql(c, "SELECT generate_series(1, 10)"),
                         [(i,) for i in range(1, 11)])
        self.assertEqual(self.run_sql(c, "SELECT generate_series(1,3), 'x'"),
                         [(1, "x"), (2, "x"), (3, "x")])
        self.assertEqual(
            self.run_sql(c, "SELECT generate_series(10, 1, -4) AS n"),
            [(10,), (6,), (2,)])
        cur = c.cursor()
        cur.execute("SELECT generate_series(1, 2) AS n")
        self.assertEqual(cur.description[0].name, "n")
        self.assertEqual(cur.description[0].type_code, 23)

    def test_generate_series_with_a_table(self):
        c = self.connect()
        self.run_sql(c, "CREATE TABLE srf_t(id int PRIMARY KEY, name text)")
        self.run_sql(c, "INSERT INTO srf_t VALUES (1, 'a'), (2, 'b')")
        self.assertEqual(
            self.run_sql(c, "SELECT name, generate_series(1, 2) FROM srf_t "
                            "ORDER BY 1, 2"),
            [("a", 1), ("a", 2), ("b", 1), ("b", 2)])

    def test_generate_series_in_from(self):
        c = self.connect()
        self.assertEqual(
            self.run_sql(c, "SELECT * FROM generate_series(1,3) AS g(n)"),
            [(1,), (2,), (3,)])
        self.assertEqual(
            self.run_sql(c, "SELECT n * 2 FROM generate_series(1,3) AS g(n) "
                            "WHERE n > 1"), [(4,), (6,)])
        self.assertEqual(
            self.run_sql(c, "SELECT * FROM generate_series(5, 1, -2)"),
            [(5,), (3,), (1,)])

    def test_zero_step(self):
        c = self.connect()
        e = self.fails(c, "SELECT generate_series(1, 3, 0)", "22023")
        self.assertIn("step size cannot equal zero", str(e))
        self.fails(c, "SELECT * FROM generate_series(1, 3, 0)", "22023")

    def test_unnest(self):
        c = self.connect()
        self.assertEqual(
            self.run_sql(c, "SELECT * FROM unnest('{1,2,3}'::int[])"),
            [(1,), (2,), (3,)])
        self.assertEqual(
            self.run_sql(c, "SELECT unnest('{a,\"b c\",NULL}'::text[])"),
            [("a",), ("b c",), (None,)])
        self.assertEqual(
            self.run_sql(c, "SELECT x FROM unnest('{p,q}'::text[]) AS u(x)"),
            [("p",), ("q",)])

    def test_unnest_array_constructor(self):
        c = self.connect()
        self.assertEqual(self.run_sql(c, "SELECT unnest(ARRAY[1, 2, 3])"),
                         [(1,), (2,), (3,)])
        self.assertEqual(
            self.run_sql(c, "SELECT * FROM unnest(ARRAY['a', 'b']) AS u(x)"),
            [("a",), ("b",)])

    def test_with_ordinality(self):
        c = self.connect()
        self.assertEqual(
            self.run_sql(c, "SELECT * FROM unnest('{a,b,c}'::text[]) "
                            "WITH ORDINALITY"),
            [("a", 1), ("b", 2), ("c", 3)])
        self.assertEqual(
            self.run_sql(c, "SELECT x, i FROM unnest('{5,7}'::int[]) WITH "
                            "ORDINALITY AS u(x, i) ORDER BY i DESC"),
            [(7, 2), (5, 1)])
        self.assertEqual(
            self.run_sql(c, "SELECT * FROM generate_series(10, 30, 10) "
                            "WITH ORDINALITY AS g(v, n)"),
            [(10, 1), (20, 2), (30, 3)])

    def test_srf_refused_elsewhere(self):
        c = self.connect()
        self.fails(c, "SELECT generate_series(1,2), generate_series(1,3)",
                   "0A000")
        self.fails(c, "SELECT 1 + generate_series(1,2)", "0A000")


class SubqueryTest(Base):
    def test_more_than_one_row(self):
        c = self.connect()
        e = self.fails(c, "SELECT (SELECT * FROM generate_series(1,2))",
                       "21000")
        self.assertIn("more than one row returned by a subquery", str(e))
        self.assertEqual(
            self.run_sql(c, "SELECT (SELECT * FROM generate_series(1,1))"),
            [(1,)])
        self.assertEqual(
            self.run_sql(c, "SELECT (SELECT n FROM generate_series(1,0) "
                            "AS g(n))"), [(None,)])
        self.run_sql(c, "CREATE TABLE sq_t(id int PRIMARY KEY, v text)")
        self.run_sql(c, "INSERT INTO sq_t VALUES (1, 'a'), (2, 'b')")
        self.assertEqual(
            self.run_sql(c, "SELECT id, (SELECT v FROM sq_t s WHERE s.id = "
                            "t.id) FROM sq_t t ORDER BY id"),
            [(1, "a"), (2, "b")])
        self.fails(c, "SELECT (SELECT v FROM sq_t)", "21000")


class ErrorFieldsTest(Base):
    def test_unique_and_not_null(self):
        c = self.connect()
        self.run_sql(c, "CREATE TABLE ef(id int PRIMARY KEY, email text "
                        "UNIQUE, name text NOT NULL)")
        self.run_sql(c, "CREATE UNIQUE INDEX ef_name_idx ON ef(name)")
        self.run_sql(c, "INSERT INTO ef VALUES (1, 'a', 'x')")
        for sql, constraint in (
                ("INSERT INTO ef VALUES (1, 'b', 'y')", "ef_pkey"),
                ("INSERT INTO ef VALUES (2, 'a', 'y')", "ef_email_key"),
                ("INSERT INTO ef VALUES (3, 'c', 'x')", "ef_name_idx")):
            e = self.fails(c, sql, "23505")
            self.assertEqual(e.diag.schema_name, "public", sql)
            self.assertEqual(e.diag.table_name, "ef", sql)
            self.assertEqual(e.diag.constraint_name, constraint, sql)
            self.assertEqual(
                e.diag.message_primary,
                'duplicate key value violates unique constraint "%s"'
                % constraint)
        for sql in ("INSERT INTO ef VALUES (4, 'd', NULL)",
                    "UPDATE ef SET name = NULL"):
            e = self.fails(c, sql, "23502")
            self.assertEqual(e.diag.schema_name, "public", sql)
            self.assertEqual(e.diag.table_name, "ef", sql)
            self.assertEqual(e.diag.column_name, "name", sql)
            self.assertEqual(
                e.diag.message_primary, 'null value in column "name" of '
                'relation "ef" violates not-null constraint')
        # in a transaction block (the store writer's path) too
        c.autocommit = False
        e = self.fails(c, "INSERT INTO ef VALUES (1, 'z', 'z')", "23505")
        self.assertEqual(e.diag.constraint_name, "ef_pkey")
        c.rollback()
        c.autocommit = True
        # other errors carry none
        e = self.fails(c, "SELECT * FROM no_such_table", "42P01")
        self.assertIsNone(e.diag.table_name)
        self.assertIsNone(e.diag.constraint_name)


if __name__ == "__main__":
    unittest.main()
