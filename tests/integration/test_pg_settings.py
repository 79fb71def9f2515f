"""PostgreSQL settings (GUCs) as drivers and ORMs use them (issue 36), with
real clients (psycopg2, Debian python3-psycopg2; psql): startup-packet
parameters and `options` (-c key=value, --key=value, escaped spaces), SHOW
in PostgreSQL's format with units, SET LOCAL / RESET / RESET ALL,
set_config() / current_setting(), the isolation level read back, bad
values, and statement_timeout enforced (57014)."""

import os
import subprocess
import time
import unittest

import psycopg2
import psycopg2.errors

from themis_harness import Server


class SettingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def connect(self, **kw):
        c = psycopg2.connect(host="127.0.0.1", port=self.srv.pg_port,
                             user="themis", password="themis",
                             dbname="themis", connect_timeout=10, **kw)
        c.autocommit = True
        self.addCleanup(c.close)
        return c

    def one(self, conn, sql, args=None):
        cur = conn.cursor()
        cur.execute(sql, args)
        return cur.fetchone()[0]

    def show(self, conn, name):
        return self.one(conn, "SHOW " + name)

    def psql(self, sql, options=None):
        env = dict(os.environ, PGPASSWORD="themis", PGCONNECT_TIMEOUT="10")
        if options is not None:
            env["PGOPTIONS"] = options
        dsn = "host=127.0.0.1 port=%d user=themis dbname=themis" % (
            self.srv.pg_port)
        return subprocess.run(
            ["psql", dsn, "-X", "-q", "-A", "-t", "-v", "VERBOSITY=sqlstate"],
            input=sql, capture_output=True, text=True, env=env, timeout=60)

    # -- startup packet ------------------------------------------------------
    def test_options_c_and_double_dash(self):
        c = self.connect(options="-c statement_timeout=3000 "
                                 "--lock_timeout=1min "
                                 "-c search_path=a\\ b,public "
                                 "-cidle_in_transaction_session_timeout=100")
        self.assertEqual(self.show(c, "statement_timeout"), "3s")
        self.assertEqual(self.show(c, "lock_timeout"), "1min")
        self.assertEqual(self.show(c, "search_path"), "a b,public")
        self.assertEqual(
            self.show(c, "idle_in_transaction_session_timeout"), "100ms")

    def test_startup_parameters(self):
        # libpq passes unknown conninfo keys nowhere, so these go through
        # `options` as PGOPTIONS does, plus the ones psycopg2 sends itself
        c = self.connect(options="-c TimeZone=Europe/Berlin "
                                 "-c DateStyle=SQL,DMY "
                                 "-c IntervalStyle=iso_8601 "
                                 "-c extra_float_digits=3 "
                                 "-c standard_conforming_strings=true "
                                 "-c default_transaction_isolation="
                                 "repeatable\\ read",
                         application_name="settings-test")
        self.assertEqual(self.show(c, "TimeZone"), "Europe/Berlin")
        # psycopg2 sees DateStyle "SQL, DMY" reported at start-up and, as
        # with PostgreSQL, sends SET DATESTYLE TO 'ISO' itself
        self.assertEqual(self.show(c, "DateStyle"), "ISO, DMY")
        self.assertEqual(self.show(c, "IntervalStyle"), "iso_8601")
        self.assertEqual(self.show(c, "extra_float_digits"), "3")
        self.assertEqual(self.show(c, "standard_conforming_strings"), "on")
        self.assertEqual(self.show(c, "default_transaction_isolation"),
                         "repeatable read")
        self.assertEqual(self.show(c, "application_name"), "settings-test")
        # ParameterStatus at start-up reports the session's values
        self.assertEqual(c.get_parameter_status("TimeZone"), "Europe/Berlin")
        self.assertEqual(c.get_parameter_status("IntervalStyle"), "iso_8601")
        self.assertEqual(c.get_parameter_status("application_name"),
                         "settings-test")
        # … and after SET
        self.one(c, "SET DateStyle = 'Postgres'; SELECT 1")
        self.assertEqual(c.get_parameter_status("DateStyle"),
                         "Postgres, DMY")

    def test_psql_pgoptions(self):
        r = self.psql("SHOW statement_timeout;\nSHOW lock_timeout;\n"
                      "SHOW DateStyle;\n",
                      options="-c statement_timeout=5min "
                              "--lock_timeout=250 -c DateStyle=SQL,DMY")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["5min", "250ms", "SQL, DMY"])

    def test_bad_startup_value_is_fatal(self):
        with self.assertRaises(psycopg2.OperationalError) as cm:
            self.connect(options="-c statement_timeout=soon")
        self.assertIn("statement_timeout", str(cm.exception))
        with self.assertRaises(psycopg2.OperationalError):
            self.connect(options="statement_timeout=1")

    # -- SET / SHOW ------------------------------------------------------------
    def test_show_formats(self):
        c = self.connect()
        cases = [("3000", "3s"), ("100", "100ms"), ("'100ms'", "100ms"),
                 ("'3s'", "3s"), ("'1min'", "1min"), ("300000", "5min"),
                 ("'1h'", "1h"), ("'2 s'", "2s"), ("1500", "1500ms"),
                 ("0", "0"), ("'1d'", "1d")]
        for name in ("statement_timeout", "lock_timeout",
                     "idle_in_transaction_session_timeout"):
            for val, shown in cases:
                self.one(c, "SET %s = %s; SHOW %s" % (name, val, name))
                self.assertEqual(self.show(c, name), shown, (name, val))
            self.one(c, "SELECT set_config('%s', '0', false)" % name)

    def test_show_column_names(self):
        c = self.connect()
        cur = c.cursor()
        for name, col in (("timezone", "TimeZone"), ("DateStyle", "DateStyle"),
                          ("intervalstyle", "IntervalStyle"),
                          ("statement_timeout", "statement_timeout")):
            cur.execute("SHOW " + name)
            self.assertEqual(cur.description[0].name, col)
            cur.fetchall()

    def test_bad_values(self):
        c = self.connect()
        for sql in ("SET statement_timeout = 'soon'",
                    "SET statement_timeout = '3 weeks'",
                    "SET statement_timeout = -1",
                    "SET extra_float_digits = 9",
                    "SET DateStyle = 'Klingon'",
                    "SET default_transaction_isolation = 'sometimes'",
                    "SET standard_conforming_strings = maybe"):
            with self.assertRaises(psycopg2.Error) as cm:
                self.one(c, sql + "; SELECT 1")
            self.assertEqual(cm.exception.pgcode, "22023", sql)
        for sql in ("SET no_such_setting = 1", "SHOW no_such_setting",
                    "RESET no_such_setting"):
            with self.assertRaises(psycopg2.Error) as cm:
                self.one(c, sql + "; SELECT 1")
            self.assertEqual(cm.exception.pgcode, "42704", sql)
        with self.assertRaises(psycopg2.Error) as cm:
            self.one(c, "SELECT current_setting('no_such_setting')")
        self.assertEqual(cm.exception.pgcode, "42704")
        self.assertEqual(self.show(c, "statement_timeout"), "0")

    def test_set_local_and_reset(self):
        c = self.connect()
        c.autocommit = False
        cur = c.cursor()
        cur.execute("SET statement_timeout = '2s'")
        cur.execute("SET LOCAL statement_timeout = 500")
        cur.execute("SHOW statement_timeout")
        self.assertEqual(cur.fetchone()[0], "500ms")
        c.commit()
        cur = c.cursor()
        self.assertEqual(self.show(c, "statement_timeout"), "2s")
        cur.execute("SET LOCAL lock_timeout = '1s'")
        c.rollback()
        self.assertEqual(self.show(c, "lock_timeout"), "0")
        c.rollback()
        c.autocommit = True
        self.one(c, "SET lock_timeout = 10; SELECT 1")
        self.one(c, "RESET statement_timeout; SELECT 1")
        self.assertEqual(self.show(c, "statement_timeout"), "0")
        self.assertEqual(self.show(c, "lock_timeout"), "10ms")
        self.one(c, "SET DateStyle = 'German'; SELECT 1")
        self.one(c, "RESET ALL; SELECT 1")
        self.assertEqual(self.show(c, "lock_timeout"), "0")
        self.assertEqual(self.show(c, "DateStyle"), "ISO, MDY")

    def test_set_config_and_current_setting(self):
        c = self.connect()
        self.one(c, "SELECT set_config('statement_timeout', '3000', false)")
        self.assertEqual(self.show(c, "statement_timeout"), "3s")
        self.assertEqual(
            self.one(c, "SELECT current_setting('statement_timeout')"), "3s")
        self.one(c, "SELECT set_config('myapp.user_id', '42', false)")
        self.assertEqual(
            self.one(c, "SELECT current_setting('myapp.user_id')"), "42")
        self.assertIsNone(
            self.one(c, "SELECT current_setting('myapp.other', true)"))
        c.autocommit = False
        cur = c.cursor()
        cur.execute("SELECT set_config('lock_timeout', '5s', true)")
        cur.execute("SELECT current_setting('lock_timeout')")
        self.assertEqual(cur.fetchone()[0], "5s")
        c.commit()
        c.autocommit = True
        self.assertEqual(self.show(c, "lock_timeout"), "0")
        self.one(c, "SET statement_timeout = 0; SELECT 1")

    def test_isolation_read_back(self):
        c = self.connect()
        c.autocommit = False
        cur = c.cursor()
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SHOW transaction_isolation")
        self.assertEqual(cur.fetchone()[0], "repeatable read")
        c.commit()
        cur.execute("SHOW transaction_isolation")
        self.assertEqual(cur.fetchone()[0], "serializable")
        c.rollback()
        c.autocommit = True
        self.one(c, "SET default_transaction_isolation = 'read committed'; "
                    "SELECT 1")
        self.assertEqual(self.show(c, "default_transaction_isolation"),
                         "read committed")
        self.one(c, "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION "
                    "LEVEL REPEATABLE READ; SELECT 1")
        self.assertEqual(self.show(c, "default_transaction_isolation"),
                         "repeatable read")
        # psycopg2's own way: it sends BEGIN then SET TRANSACTION … or
        # SET default_transaction_isolation
        c.set_session(isolation_level="REPEATABLE READ")
        c.autocommit = False
        cur = c.cursor()
        cur.execute("SHOW transaction_isolation")
        self.assertEqual(cur.fetchone()[0], "repeatable read")
        c.rollback()

    # -- statement_timeout -------------------------------------------------------
    def test_timeout_stops_a_long_query(self):
        c = self.connect(options="-c statement_timeout=100")
        t = time.monotonic()
        with self.assertRaises(psycopg2.errors.QueryCanceled) as cm:
            self.one(c, "SELECT count(*) FROM generate_series(1, 2000000000)")
        self.assertLess(time.monotonic() - t, 10)
        self.assertEqual(cm.exception.pgcode, "57014")
        self.assertIn("statement timeout", str(cm.exception))
        # the session goes on; a fast query is not stopped
        self.assertEqual(self.one(c, "SELECT count(*) FROM "
                                     "generate_series(1, 1000)"), 1000)
        # extended protocol (a parameter) and SET at run time
        self.one(c, "SET statement_timeout = '50ms'; SELECT 1")
        with self.assertRaises(psycopg2.errors.QueryCanceled):
            self.one(c, "SELECT count(*) FROM generate_series(1, %s)",
                     (2000000000,))
        self.one(c, "SET statement_timeout = 0; SELECT 1")
        self.assertEqual(self.one(c, "SELECT count(*) FROM "
                                     "generate_series(1, 100000)"), 100000)

    def test_timeout_in_a_transaction_block(self):
        c = self.connect()
        c.autocommit = False
        cur = c.cursor()
        cur.execute("SET LOCAL statement_timeout = 100")
        with self.assertRaises(psycopg2.errors.QueryCanceled):
            cur.execute("SELECT count(*) FROM generate_series(1, 2000000000)")
        c.rollback()
        cur.execute("SELECT count(*) FROM generate_series(1, 100000)")
        self.assertEqual(cur.fetchone()[0], 100000)
        c.rollback()

    def test_idle_in_transaction_timeout(self):
        c = self.connect(options="-c idle_in_transaction_session_timeout=300")
        c.autocommit = False
        cur = c.cursor()
        cur.execute("SELECT pg_backend_pid()")  # BEGIN, then idle in it
        pid = cur.fetchone()[0]
        time.sleep(2.0)
        # the server ended the session (FATAL 25P03, as PostgreSQL 14+; a
        # client that sends next may see only the closed socket)
        other = self.connect()
        self.assertEqual(self.one(other, "SELECT count(*) FROM "
                                         "pg_stat_activity WHERE pid = %s",
                                  (pid,)), 0)
        with self.assertRaises(psycopg2.OperationalError):
            cur.execute("SELECT 1")
        # idle outside a transaction is not ended
        d = self.connect(options="-c idle_in_transaction_session_timeout=300")
        time.sleep(1.0)
        self.assertEqual(self.one(d, "SELECT 7"), 7)

    def test_psql_timeout(self):
        r = self.psql("SELECT count(*) FROM generate_series(1, 2000000000);\n",
                      options="-c statement_timeout=100")
        self.assertIn("57014", r.stderr)


if __name__ == "__main__":
    unittest.main()
