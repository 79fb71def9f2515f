"""Cancel, statement_timeout and lock_timeout reach a statement that is
already in the store writer (issue 36): a long autocommit write, a long
write inside a transaction block that holds the writer, and a statement
waiting for the writer another session holds. As PostgreSQL 15: 57014
"canceling statement due to user request" / "... due to statement
timeout", 55P03 "... due to lock timeout", the block aborted (25P02) until
ROLLBACK, ROLLBACK TO SAVEPOINT recovering it, no partial write visible,
other sessions' writes going on afterwards. CancelRequest comes from
psycopg2's conn.cancel() and from psql on SIGINT, pg_cancel_backend from
another session. THEMIS_PG_REFERENCE=[host:]port runs the same scenarios
against PostgreSQL 15 (pg_client_target.py).

Every wait is bounded: a statement that is not stopped still ends at its
connection's statement_timeout (60 s, and then the test fails on the
message), each thread is joined with a timeout, and a cancel is sent only
once pg_stat_activity shows the statement running (or waiting)."""

import os
import shutil
import signal
import subprocess
import threading
import time
import unittest

import psycopg2

from pg_client_target import Target

# A write that takes many seconds on both servers: every row is written
# (the canceled statement stops at a row), and a scan that writes nothing.
BIG_INSERT = ("INSERT INTO {t} (id, v) SELECT g, 'x' FROM "
              "generate_series(1000000, 60000000) g")
BIG_SCAN = ("UPDATE {t} SET v = 'never' WHERE id IN (SELECT g FROM "
            "generate_series(1, 2000000000) g WHERE g < 0)")
USER = "canceling statement due to user request"
TIMEOUT = "canceling statement due to statement timeout"
LOCK = "canceling statement due to lock timeout"


class Runner(threading.Thread):
    """Runs statements on `conn` in a thread: their error (or None) and
    how long the last one took."""

    def __init__(self, conn, *sqls):
        super().__init__(daemon=True)
        self.conn, self.sqls = conn, sqls
        self.error, self.elapsed, self.done = None, None, threading.Event()

    def run(self):
        cur = self.conn.cursor()
        try:
            for s in self.sqls:
                t0 = time.monotonic()
                cur.execute(s)
        except psycopg2.Error as e:
            self.error = e
        finally:
            self.elapsed = time.monotonic() - t0
            self.done.set()

    def result(self, test, timeout=30):
        self.join(timeout)
        test.assertFalse(self.is_alive(), "the statement was not stopped")
        return self.error


class CancelWriterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Target()

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def connect(self, autocommit=True, timeout_ms=60000):
        c = psycopg2.connect(
            options="-c statement_timeout=%d" % timeout_ms, **self.t.kw())
        c.autocommit = autocommit
        self.addCleanup(c.close)
        return c

    def q(self, conn, sql, args=None):
        cur = conn.cursor()
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None

    def table(self, name, rows=3):
        c = self.connect()
        self.q(c, "DROP TABLE IF EXISTS %s" % name)
        self.q(c, "CREATE TABLE %s (id int PRIMARY KEY, v text)" % name)
        for i in range(1, rows + 1):
            self.q(c, "INSERT INTO %s VALUES (%%s, 'v%d')" % (name, i), (i,))
        return c

    def pid(self, conn):
        return self.q(conn, "SELECT pg_backend_pid()")[0][0]

    def wait_running(self, watch, pid, needle, timeout=15):
        """Until `pid` runs a statement containing `needle` (and a little
        longer: the statement is then past its start)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            rows = self.q(watch, "SELECT state, query FROM pg_stat_activity "
                                 "WHERE pid = %s", (pid,))
            if rows and rows[0][0] == "active" and needle in rows[0][1]:
                time.sleep(0.3)
                return
            time.sleep(0.05)
        self.fail("pid %d never ran %r" % (pid, needle))

    def assert_error(self, err, state, message):
        self.assertIsNotNone(err, "the statement was not stopped")
        self.assertEqual(err.pgcode, state, str(err))
        self.assertIn(message, str(err))

    # -- a statement running in the writer -------------------------------

    def test_cancel_autocommit_write(self):
        watch = self.table("cw_auto")
        c = self.connect()
        pid = self.pid(c)
        r = Runner(c, BIG_INSERT.format(t="cw_auto"))
        r.start()
        self.wait_running(watch, pid, "generate_series")
        t0 = time.monotonic()
        c.cancel()  # CancelRequest
        self.assert_error(r.result(self), "57014", USER)
        self.assertLess(time.monotonic() - t0, 10)
        # nothing of it was written; the writer takes other writes again
        self.assertEqual(self.q(watch, "SELECT count(*) FROM cw_auto"), [(3,)])
        self.q(watch, "INSERT INTO cw_auto VALUES (4, 'after')")
        self.q(c, "INSERT INTO cw_auto VALUES (5, 'same session')")
        self.assertEqual(self.q(watch, "SELECT count(*) FROM cw_auto"), [(5,)])

    def test_cancel_in_block_then_rollback_to_savepoint(self):
        watch = self.table("cw_sp")
        c = self.connect(autocommit=False)
        pid = self.pid(c)
        c.commit()
        self.q(c, "INSERT INTO cw_sp VALUES (10, 'kept')")
        self.q(c, "SAVEPOINT s")
        r = Runner(c, BIG_INSERT.format(t="cw_sp"))
        r.start()
        self.wait_running(watch, pid, "generate_series")
        self.assertEqual(self.q(watch, "SELECT pg_cancel_backend(%s)", (pid,)),
                         [(True,)])
        self.assert_error(r.result(self), "57014", USER)
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(c, "SELECT 1")
        self.assertEqual(cm.exception.pgcode, "25P02")
        self.q(c, "ROLLBACK TO SAVEPOINT s")
        self.assertEqual(self.q(c, "SELECT count(*) FROM cw_sp"), [(4,)])
        c.commit()
        self.assertEqual(self.q(watch, "SELECT id FROM cw_sp ORDER BY id"),
                         [(1,), (2,), (3,), (10,)])

    def test_cancel_scan_in_block_then_rollback(self):
        watch = self.table("cw_scan")
        c = self.connect(autocommit=False)
        pid = self.pid(c)
        c.commit()
        self.q(c, "INSERT INTO cw_scan VALUES (20, 'gone')")
        r = Runner(c, BIG_SCAN.format(t="cw_scan"))
        r.start()
        self.wait_running(watch, pid, "generate_series")
        c.cancel()
        self.assert_error(r.result(self), "57014", USER)
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(c, "INSERT INTO cw_scan VALUES (21, 'no')")
        self.assertEqual(cm.exception.pgcode, "25P02")
        c.rollback()
        # the writer is free: another session writes at once
        other = self.connect(timeout_ms=5000)
        self.q(other, "INSERT INTO cw_scan VALUES (22, 'other')")
        self.assertEqual(self.q(watch, "SELECT id FROM cw_scan ORDER BY id"),
                         [(1,), (2,), (3,), (22,)])
        self.q(c, "INSERT INTO cw_scan VALUES (23, 'again')")
        c.commit()

    def test_statement_timeout_in_block(self):
        watch = self.table("cw_to")
        c = self.connect(autocommit=False, timeout_ms=500)
        self.q(c, "INSERT INTO cw_to VALUES (30, 'gone')")
        t0 = time.monotonic()
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(c, BIG_INSERT.format(t="cw_to"))
        self.assert_error(cm.exception, "57014", TIMEOUT)
        self.assertLess(time.monotonic() - t0, 10)
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(c, "SELECT 1")
        self.assertEqual(cm.exception.pgcode, "25P02")
        c.rollback()
        self.assertEqual(self.q(watch, "SELECT count(*) FROM cw_to"), [(3,)])

    def test_statement_timeout_autocommit_write(self):
        watch = self.table("cw_to2")
        c = self.connect(timeout_ms=400)
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(c, BIG_SCAN.format(t="cw_to2"))
        self.assert_error(cm.exception, "57014", TIMEOUT)
        self.q(watch, "INSERT INTO cw_to2 VALUES (4, 'after')")
        self.assertEqual(self.q(watch, "SELECT count(*) FROM cw_to2"), [(4,)])

    # -- a statement waiting for the writer --------------------------------

    def hold_row(self, name):
        """A session whose open transaction updated row 1 of `name`."""
        self.table(name)
        h = self.connect(autocommit=False)
        self.q(h, "UPDATE %s SET v = 'holder' WHERE id = 1" % name)
        return h

    def test_cancel_waiting_autocommit(self):
        h = self.hold_row("cw_wait")
        watch = self.connect()
        c = self.connect()
        pid = self.pid(c)
        r = Runner(c, "UPDATE cw_wait SET v = 'waiter' WHERE id = 1")
        r.start()
        self.wait_running(watch, pid, "waiter")
        t0 = time.monotonic()
        c.cancel()
        self.assert_error(r.result(self, timeout=10), "57014", USER)
        self.assertLess(time.monotonic() - t0, 5)
        h.commit()
        # it never ran, not even once the writer was free
        time.sleep(0.2)
        self.assertEqual(self.q(watch, "SELECT v FROM cw_wait WHERE id = 1"),
                         [("holder",)])
        self.q(c, "UPDATE cw_wait SET v = 'later' WHERE id = 2")

    def test_cancel_waiting_in_block(self):
        h = self.hold_row("cw_waitb")
        watch = self.connect()
        c = self.connect(autocommit=False)
        pid = self.pid(c)
        c.commit()
        r = Runner(c, "UPDATE cw_waitb SET v = 'waiter' WHERE id = 1")
        r.start()
        self.wait_running(watch, pid, "waiter")
        self.q(watch, "SELECT pg_cancel_backend(%s)", (pid,))
        self.assert_error(r.result(self, timeout=10), "57014", USER)
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(c, "SELECT 1")
        self.assertEqual(cm.exception.pgcode, "25P02")
        c.rollback()
        h.commit()
        self.assertEqual(self.q(watch, "SELECT v FROM cw_waitb WHERE id = 1"),
                         [("holder",)])

    def test_statement_timeout_waiting(self):
        h = self.hold_row("cw_waitt")
        c = self.connect(timeout_ms=300)
        t0 = time.monotonic()
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(c, "UPDATE cw_waitt SET v = 'waiter' WHERE id = 1")
        self.assert_error(cm.exception, "57014", TIMEOUT)
        self.assertLess(time.monotonic() - t0, 5)
        h.commit()

    def test_lock_timeout_waiting(self):
        h = self.hold_row("cw_lock")
        c = self.connect()
        self.q(c, "SET lock_timeout = '200ms'")
        t0 = time.monotonic()
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(c, "UPDATE cw_lock SET v = 'waiter' WHERE id = 1")
        self.assert_error(cm.exception, "55P03", LOCK)
        self.assertLess(time.monotonic() - t0, 5)
        # a block's statement too; the block is aborted then
        self.q(c, "BEGIN")
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(c, "UPDATE cw_lock SET v = 'waiter' WHERE id = 1")
        self.assert_error(cm.exception, "55P03", LOCK)
        self.q(c, "ROLLBACK")
        h.commit()
        # lock_timeout does not limit a statement that does not wait
        self.q(c, "UPDATE cw_lock SET v = 'free' WHERE id = 1")

    # -- psql: SIGINT sends a CancelRequest --------------------------------

    @unittest.skipUnless(shutil.which("psql"), "psql is not installed")
    def test_psql_sigint(self):
        watch = self.table("cw_psql")
        env = dict(os.environ, PGPASSWORD=self.t.password or "",
                   PGCONNECT_TIMEOUT="10", PGOPTIONS="-c statement_timeout=60000",
                   PGAPPNAME="cw_psql_test")
        p = subprocess.Popen(
            ["psql", "-X", "-h", self.t.host, "-p", str(self.t.port),
             "-U", self.t.user, "-d", self.t.dbname, "-v", "ON_ERROR_STOP=1",
             "-c", BIG_INSERT.format(t="cw_psql")],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            end = time.monotonic() + 15
            pid = None
            while time.monotonic() < end and pid is None:
                rows = self.q(watch, "SELECT pid FROM pg_stat_activity WHERE "
                                     "application_name = 'cw_psql_test' AND "
                                     "state = 'active'")
                pid = rows[0][0] if rows else None
                time.sleep(0.05)
            self.assertIsNotNone(pid, "psql's statement never ran")
            self.wait_running(watch, pid, "generate_series")
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 1, out + err)
        self.assertIn("Cancel request sent", err)
        self.assertIn("ERROR:  " + USER, err)
        self.assertEqual(self.q(watch, "SELECT count(*) FROM cw_psql"), [(3,)])


if __name__ == "__main__":
    unittest.main()
