"""PostgreSQL sessions and notifications (issue 36), with real clients
(psycopg2, Debian python3-psycopg2; psql): LISTEN / NOTIFY / UNLISTEN and
pg_notify() across sessions with PostgreSQL's transaction semantics, the
themis_changes channels after REST writes, tenant-scoped channels,
pg_stat_activity, pg_terminate_backend / pg_cancel_backend and who may
call them, database names, and a malformed startup packet."""

import json
import os
import select
import socket
import struct
import subprocess
import threading
import time
import unittest

import psycopg2
import psycopg2.errors

from themis_harness import Server
from tokens import ALL_SCOPES, bearer, make_jwt

SECRET = "session test secret, long enough!"


def jwt(sub, tenant=None, scope=ALL_SCOPES):
    return make_jwt(SECRET, sub, tenant, scope)


ROOT = jwt("root", scope="admin " + ALL_SCOPES)
ALICE = jwt("alice", "acme")
CAROL = jwt("carol", "acme")
BOSS = jwt("boss", "acme", scope="admin " + ALL_SCOPES)
BOB = jwt("bob", "beta")


def wait_notifies(conn, n, timeout=5.0):
    """Reads notifications as an idle libpq client does (select + poll)."""
    deadline = time.time() + timeout
    while len(conn.notifies) < n and time.time() < deadline:
        select.select([conn], [], [], 0.2)
        conn.poll()
    return [(x.channel, x.payload) for x in conn.notifies]


class Base(unittest.TestCase):
    server_args = ()
    server_env = None

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=cls.server_args, env=cls.server_env).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def connect(self, user="themis", password="themis", dbname="themis",
                **kw):
        c = psycopg2.connect(host="127.0.0.1", port=self.srv.pg_port,
                             user=user, password=password, dbname=dbname,
                             connect_timeout=10, **kw)
        c.autocommit = True
        self.addCleanup(c.close)
        return c

    def run_sql(self, conn, sql, args=None):
        cur = conn.cursor()
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


class NotifyTest(Base):
    def test_listen_notify_across_sessions(self):
        a, b = self.connect(), self.connect()
        self.run_sql(a, "LISTEN orders_ch")
        self.run_sql(b, "NOTIFY orders_ch, 'one'")
        self.run_sql(b, "NOTIFY other_ch, 'not heard'")
        self.assertEqual(self.run_sql(b, "SELECT pg_notify('orders_ch', "
                                         "'two')"), [("",)])
        got = wait_notifies(a, 2)
        self.assertEqual(got, [("orders_ch", "one"), ("orders_ch", "two")])
        self.assertEqual(a.notifies[0].pid, b.get_backend_pid())
        # UNLISTEN: nothing more
        a.notifies.clear()
        self.run_sql(a, "UNLISTEN orders_ch")
        self.run_sql(b, "NOTIFY orders_ch, 'three'")
        self.assertEqual(wait_notifies(a, 1, timeout=1), [])

    def test_commit_rollback_and_folding(self):
        a, b = self.connect(), self.connect()
        self.run_sql(a, "LISTEN tx_ch")
        self.run_sql(b, "BEGIN")
        self.run_sql(b, "NOTIFY tx_ch, 'x'")
        self.run_sql(b, "NOTIFY tx_ch, 'x'")  # folded into one
        self.run_sql(b, "SELECT pg_notify('tx_ch', 'y')")
        self.assertEqual(wait_notifies(a, 1, timeout=1), [])  # not yet
        self.run_sql(b, "COMMIT")
        self.assertEqual(wait_notifies(a, 2), [("tx_ch", "x"), ("tx_ch", "y")])
        a.notifies.clear()
        self.run_sql(b, "BEGIN")
        self.run_sql(b, "NOTIFY tx_ch, 'rolled back'")
        self.run_sql(b, "ROLLBACK")
        # a failed block's COMMIT is a rollback too
        self.run_sql(b, "BEGIN")
        self.run_sql(b, "NOTIFY tx_ch, 'failed block'")
        with self.assertRaises(psycopg2.Error):
            self.run_sql(b, "SELECT 1/0")
        self.run_sql(b, "COMMIT")
        self.assertEqual(wait_notifies(a, 1, timeout=1), [])

    def test_listener_in_a_transaction_hears_after_it(self):
        a, b = self.connect(), self.connect()
        self.run_sql(a, "LISTEN held")
        self.run_sql(a, "BEGIN")
        self.run_sql(b, "NOTIFY held, 'later'")
        time.sleep(0.3)
        self.run_sql(a, "SELECT 1")  # inside the block: nothing arrives
        a.poll()
        self.assertEqual(a.notifies, [])
        self.run_sql(a, "COMMIT")  # arrives with COMMIT's ReadyForQuery
        self.assertEqual([(n.channel, n.payload) for n in a.notifies],
                         [("held", "later")])

    def test_own_notification_and_listen_in_transaction(self):
        a = self.connect()
        self.run_sql(a, "BEGIN")
        self.run_sql(a, "LISTEN self_ch")
        self.run_sql(a, "NOTIFY self_ch, 'me'")
        self.run_sql(a, "COMMIT")
        self.assertEqual([(n.channel, n.payload, n.pid) for n in a.notifies],
                         [("self_ch", "me", a.get_backend_pid())])
        # a LISTEN rolled back never took effect
        b = self.connect()
        self.run_sql(b, "BEGIN")
        self.run_sql(b, "LISTEN never")
        self.run_sql(b, "ROLLBACK")
        self.run_sql(a, "NOTIFY never")
        self.assertEqual(wait_notifies(b, 1, timeout=1), [])

    def test_channel_names_and_payload_limits(self):
        a = self.connect()
        self.run_sql(a, 'LISTEN "Mixed Case"')
        self.run_sql(a, "SELECT pg_notify('Mixed Case', 'quoted')")
        self.run_sql(a, "NOTIFY mixed_case_not_this")
        self.assertEqual(wait_notifies(a, 1), [("Mixed Case", "quoted")])
        self.run_sql(a, "SELECT pg_notify('x', %s)", ("p" * 7999,))
        for sql, args in (("SELECT pg_notify('x', %s)", ("p" * 8000,)),
                          ("NOTIFY x, %s", ("p" * 8000,)),
                          ("SELECT pg_notify('', 'p')", None),
                          ("SELECT pg_notify(%s, 'p')", ("c" * 64,))):
            with self.assertRaises(psycopg2.Error) as cm:
                self.run_sql(a, sql, args)
            self.assertEqual(cm.exception.pgcode, "22023", sql)
        # UNLISTEN *: every channel
        self.run_sql(a, "LISTEN one; LISTEN two")
        self.run_sql(a, "UNLISTEN *")
        a.notifies.clear()
        self.run_sql(a, "NOTIFY one; NOTIFY two")
        self.assertEqual(wait_notifies(a, 1, timeout=1), [])

    def test_psql_sees_notifications(self):
        b = self.connect()
        env = dict(os.environ, PGPASSWORD="themis")
        p = subprocess.Popen(
            ["psql", "host=127.0.0.1 port=%d user=themis dbname=themis" %
             self.srv.pg_port, "-X", "-q"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        p.stdin.write("LISTEN psql_ch;\n")
        p.stdin.flush()
        time.sleep(1)
        self.run_sql(b, "NOTIFY psql_ch, 'to psql'")
        time.sleep(0.5)
        out, _ = p.communicate("SELECT 1;\n", timeout=20)
        self.assertIn('Asynchronous notification "psql_ch" with payload '
                      '"to psql" received from server process', out)

    def test_bounded_queue(self):
        a, b = self.connect(), self.connect()
        self.run_sql(a, "LISTEN flood")
        self.run_sql(a, "BEGIN")  # holds delivery: the queue fills
        payload = "f" * 7000
        cur = b.cursor()
        for i in range(200):  # ~1.4 MB > the 1 MiB bound
            cur.execute("NOTIFY flood, %s", ("%d" % i + payload,))
        self.run_sql(a, "COMMIT")
        got = wait_notifies(a, 140)
        self.assertGreater(len(got), 100)
        self.assertLess(len(got), 200)
        self.assertTrue(any("dropped" in n for n in a.notices), a.notices)
        # the session goes on
        self.assertEqual(self.run_sql(a, "SELECT 1"), [(1,)])

    def test_changes_channel(self):
        st, _, _ = self.srv.json("POST", "/v1/collections",
                                 {"name": "orders"})
        self.assertIn(st, (200, 201, 409))
        self.srv.json("POST", "/v1/collections", {"name": "other"})
        a = self.connect()
        self.run_sql(a, 'LISTEN "themis_changes:orders"')
        b = self.connect()
        self.run_sql(b, "LISTEN themis_changes")
        st, _, _ = self.srv.json("PUT", "/v1/collections/orders/documents/o1",
                                 {"n": 1})
        self.assertIn(st, (200, 201))
        self.srv.json("PUT", "/v1/collections/other/documents/x1", {"n": 2})
        got = wait_notifies(a, 1)
        self.assertEqual(len(got), 1, got)
        self.assertEqual(got[0][0], "themis_changes:orders")
        ev = json.loads(got[0][1])
        self.assertEqual((ev["type"], ev["collection"], ev["key"],
                          ev["value"]["n"]), ("PUT", "orders", "o1", 1))
        self.assertGreater(ev["sequence"], 0)
        self.assertEqual(wait_notifies(a, 2, timeout=1), got)  # not "other"
        both = wait_notifies(b, 2)
        self.assertEqual(sorted(json.loads(p)["collection"] for _, p in both),
                         ["orders", "other"])
        # clients cannot forge change events
        with self.assertRaises(psycopg2.Error) as cm:
            self.run_sql(b, "NOTIFY \"themis_changes:orders\", '{}'")
        self.assertEqual(cm.exception.pgcode, "42501")


class ActivityTest(Base):
    def test_pg_stat_activity(self):
        a = self.connect(application_name="app-one")
        b = self.connect(application_name="app-two")
        self.run_sql(a, "BEGIN")
        self.run_sql(a, "SELECT 42")
        rows = self.run_sql(
            b, "SELECT pid, datname, usename, application_name, client_addr,"
               " client_port, backend_start IS NOT NULL, xact_start IS NOT "
               "NULL, state, query, wait_event_type, wait_event, "
               "backend_type FROM pg_stat_activity ORDER BY pid")
        by_pid = {r[0]: r for r in rows}
        ra, rb = by_pid[a.get_backend_pid()], by_pid[b.get_backend_pid()]
        self.assertEqual(ra[1:4], ("themis", "themis", "app-one"))
        self.assertEqual(ra[4], "127.0.0.1")
        self.assertGreater(ra[5], 0)
        self.assertEqual(ra[6:12], (True, True, "idle in transaction",
                                    "SELECT 42", "Client", "ClientRead"))
        self.assertEqual(ra[12], "client backend")
        self.assertEqual(rb[8], "active")
        self.assertIn("pg_stat_activity", rb[9])
        self.assertEqual(rb[3], "app-two")
        self.run_sql(a, "COMMIT")
        self.run_sql(a, "SET application_name = 'renamed'")
        rows = self.run_sql(b, "SELECT state, application_name, xact_start "
                               "FROM pg_catalog.pg_stat_activity WHERE pid "
                               "= %s", (a.get_backend_pid(),))
        self.assertEqual(rows, [("idle", "renamed", None)])
        self.assertEqual(self.run_sql(b, "SELECT pg_backend_pid(), "
                                         "current_database(), "
                                         "pg_is_in_recovery()"),
                         [(b.get_backend_pid(), "themis", False)])

    def test_terminate(self):
        a, b = self.connect(), self.connect()
        pid = a.get_backend_pid()
        self.assertEqual(self.run_sql(b, "SELECT pg_terminate_backend(%s)",
                                      (pid,)), [(True,)])
        time.sleep(0.3)
        # libpq takes a FATAL that arrives while idle as a notice
        a.poll()
        self.assertEqual(a.notices, ["FATAL:  terminating connection due to "
                                     "administrator command\n"])
        with self.assertRaises(psycopg2.OperationalError):
            self.run_sql(a, "SELECT 1")
        # an unknown pid: false (with a WARNING)
        self.assertEqual(self.run_sql(b, "SELECT pg_terminate_backend(999999)"),
                         [(False,)])
        rows = self.run_sql(b, "SELECT count(*) FROM pg_stat_activity "
                               "WHERE pid = %s", (pid,))
        self.assertEqual(rows, [(0,)])

    def test_terminate_psql_sees_57P01(self):
        b = self.connect()
        env = dict(os.environ, PGPASSWORD="themis", PGAPPNAME="victim")
        p = subprocess.Popen(
            ["psql", "host=127.0.0.1 port=%d user=themis dbname=themis" %
             self.srv.pg_port, "-X", "-q"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        p.stdin.write("\\set VERBOSITY verbose\nSELECT 1;\n")
        p.stdin.flush()
        pid = None
        deadline = time.time() + 10
        while pid is None and time.time() < deadline:
            rows = self.run_sql(b, "SELECT pid FROM pg_stat_activity WHERE "
                                   "application_name = 'victim'")
            pid = rows[0][0] if rows else None
            time.sleep(0.1)
        self.assertEqual(self.run_sql(b, "SELECT pg_terminate_backend(%s)",
                                      (pid,)), [(True,)])
        time.sleep(0.5)
        _, err = p.communicate("SELECT 2;\n", timeout=20)
        self.assertIn("FATAL:  57P01: terminating connection due to "
                      "administrator command", err)

    def signal_long_query(self, fn):
        """Runs a long query on a fresh session, signals it from another
        with `fn` once pg_stat_activity shows it active; the error the
        query ended with."""
        a, b = self.connect(), self.connect()
        err = []

        def long_query():
            try:
                self.run_sql(a, "SELECT count(*) FROM generate_series(1, "
                                "2000000000)")
            except psycopg2.Error as e:
                err.append(e)

        # a daemon: a cancel that never lands fails the test, not hangs it
        t = threading.Thread(target=long_query, daemon=True)
        t.start()
        pid = a.get_backend_pid()
        deadline = time.time() + 10
        while time.time() < deadline:
            st = self.run_sql(b, "SELECT state, query FROM pg_stat_activity "
                                 "WHERE pid = %s", (pid,))
            if st and st[0][0] == "active":
                self.assertIn("generate_series", st[0][1])
                break
            time.sleep(0.05)
        self.assertEqual(self.run_sql(b, "SELECT %s(%%s)" % fn, (pid,)),
                         [(True,)])
        t.join(20)
        self.assertFalse(t.is_alive())
        self.assertEqual(len(err), 1)
        return a, err[0]

    def test_cancel(self):
        a, err = self.signal_long_query("pg_cancel_backend")
        self.assertEqual(err.pgcode, "57014", err.pgerror)
        self.assertEqual(self.run_sql(a, "SELECT 7"), [(7,)])  # alive

    def test_terminate_running_query(self):
        a, err = self.signal_long_query("pg_terminate_backend")
        self.assertIsInstance(err, psycopg2.OperationalError)
        self.assertTrue(a.closed)
        # what the client is told, as psql shows it
        b = self.connect()
        env = dict(os.environ, PGPASSWORD="themis", PGAPPNAME="busy")
        p = subprocess.Popen(
            ["psql", "host=127.0.0.1 port=%d user=themis dbname=themis" %
             self.srv.pg_port, "-X", "-c", "SELECT count(*) FROM "
             "generate_series(1, 2000000000)"], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env)
        rows, deadline = [], time.time() + 10
        while not rows and time.time() < deadline:
            rows = self.run_sql(b, "SELECT pid FROM pg_stat_activity WHERE "
                                   "application_name = 'busy' AND state = "
                                   "'active'")
            time.sleep(0.05)
        self.run_sql(b, "SELECT pg_terminate_backend(%s)", (rows[0][0],))
        _, err = p.communicate(timeout=20)
        self.assertTrue(err.startswith("FATAL:  terminating connection due "
                                       "to administrator command"), err)


class TenantSessionTest(Base):
    server_args = ("--set", "auth.jwt_secret=" + SECRET)
    server_env = {"THEMIS_AUTH_REQUIRED": "true"}

    def as_(self, token, dbname="themis", **kw):
        return self.connect(user="app", password=token, dbname=dbname, **kw)

    def pids(self, conn):
        return {r[0] for r in self.run_sql(
            conn, "SELECT pid FROM pg_stat_activity")}

    def test_database_names(self):
        for db in ("themis", "postgres", "template1"):
            c = self.as_(ALICE, dbname=db)
            self.assertEqual(self.run_sql(c, "SELECT current_database()"),
                             [(db,)])
        c = self.as_(ALICE, dbname="acme")  # a tenant's name is its database
        self.assertEqual(self.run_sql(c, "SELECT current_database()"),
                         [("acme",)])
        for tok, db in ((ALICE, "beta"), (ALICE, "nope"), (ROOT, "acme")):
            with self.assertRaises(psycopg2.OperationalError) as cm:
                self.as_(tok, dbname=db)
            self.assertIn('database "%s" does not exist' % db,
                          str(cm.exception))

    def test_activity_is_scoped(self):
        alice, carol = self.as_(ALICE), self.as_(CAROL)
        bob, boss, root = self.as_(BOB), self.as_(BOSS), self.as_(ROOT)
        p = {n: c.get_backend_pid() for n, c in (
            ("alice", alice), ("carol", carol), ("bob", bob), ("boss", boss),
            ("root", root))}
        self.assertEqual(self.pids(alice), {p["alice"]})  # its own user's
        self.assertEqual(self.pids(bob), {p["bob"]})
        self.assertEqual(self.pids(boss) & set(p.values()),
                         {p["alice"], p["carol"], p["boss"]})  # its tenant's
        self.assertTrue(set(p.values()) <= self.pids(root))  # everybody

    def test_signal_permissions(self):
        alice, carol = self.as_(ALICE), self.as_(CAROL)
        bob, boss = self.as_(BOB), self.as_(BOSS)
        alice2 = self.as_(ALICE)
        target = alice.get_backend_pid()
        for fn in ("pg_cancel_backend", "pg_terminate_backend"):
            with self.assertRaises(psycopg2.Error) as cm:
                self.run_sql(carol, "SELECT %s(%%s)" % fn, (target,))
            self.assertEqual(cm.exception.pgcode, "42501")
            # another tenant's backend does not exist for bob
            self.assertEqual(self.run_sql(bob, "SELECT %s(%%s)" % fn,
                                          (target,)), [(False,)])
        # the same user may; so may its tenant's admin
        self.assertEqual(self.run_sql(alice2, "SELECT pg_cancel_backend(%s)",
                                      (target,)), [(True,)])
        self.assertEqual(self.run_sql(boss, "SELECT pg_terminate_backend(%s)",
                                      (target,)), [(True,)])
        time.sleep(0.3)
        alice.poll()
        self.assertIn("terminating connection", "".join(alice.notices))
        with self.assertRaises(psycopg2.OperationalError):
            self.run_sql(alice, "SELECT 1")

    def test_channels_are_per_tenant(self):
        for tok in (ALICE, BOB):
            st, _, _ = self.srv.json("POST", "/v1/collections",
                                     {"name": "orders"}, bearer(tok))
            self.assertIn(st, (200, 201, 409))
        alice, carol, bob = self.as_(ALICE), self.as_(CAROL), self.as_(BOB)
        root = self.as_(ROOT)
        for c in (alice, bob, root):
            self.run_sql(c, "LISTEN news")
        self.run_sql(carol, "NOTIFY news, 'acme only'")
        self.assertEqual(wait_notifies(alice, 1), [("news", "acme only")])
        self.assertEqual(wait_notifies(bob, 1, timeout=1), [])
        self.assertEqual(wait_notifies(root, 1, timeout=0.5), [])
        # change events: each tenant its own collection, under its own name
        self.run_sql(alice, 'LISTEN "themis_changes:orders"')
        self.run_sql(bob, 'LISTEN "themis_changes:orders"')
        alice.notifies.clear()
        st, _, _ = self.srv.json("PUT", "/v1/collections/orders/documents/b1",
                                 {"who": "beta"}, bearer(BOB))
        self.assertIn(st, (200, 201))
        st, _, _ = self.srv.json("PUT", "/v1/collections/orders/documents/a1",
                                 {"who": "acme"}, bearer(ALICE))
        self.assertIn(st, (200, 201))
        wait_notifies(alice, 1)
        time.sleep(0.3)  # (beta's event, had it leaked, would be here too)
        alice.poll()
        got = [json.loads(n.payload) for n in alice.notifies]
        self.assertEqual([(e["collection"], e["key"], e["value"]["who"])
                          for e in got], [("orders", "a1", "acme")])
        got = [json.loads(p) for _, p in wait_notifies(bob, 1)]
        self.assertEqual([(e["collection"], e["key"]) for e in got],
                         [("orders", "b1")])


class WireTest(Base):
    """The extended protocol and the message order, byte by byte (the
    raw client of test_pgwire_protocol)."""
    server_args = ("--set", "pg.auth=trust")

    def raw(self):
        import test_pgwire_protocol as pgraw
        c = pgraw.Conn(self.srv.pg_port)
        c.send(pgraw.startup())
        seen, status = c.until(b"Z")
        self.assertEqual(status, b"I")
        return c

    @staticmethod
    def notification(payload):
        pid = struct.unpack("!i", payload[:4])[0]
        channel, text, _ = payload[4:].split(b"\0")
        return pid, channel.decode(), text.decode()

    def test_extended_protocol_and_order(self):
        from test_pgwire_protocol import msg
        listener, sender = self.raw(), self.raw()
        listener.query("LISTEN ext")
        # node-postgres style: pg_notify with bound parameters
        sender.send(
            msg(b"P", b"\0SELECT pg_notify($1, $2)\0\0\0") +
            msg(b"B", b"\0\0\0\0\0\x02" +
                struct.pack("!i", 3) + b"ext" +
                struct.pack("!i", 8) + b"via bind" + b"\0\0") +
            msg(b"E", b"\0\0\0\0\0") + msg(b"S"))
        seen, status = sender.until(b"Z")
        self.assertEqual(status, b"I", seen)
        self.assertNotIn(b"E", [t for t, _ in seen])
        t, p = listener.read_msg()  # pushed while idle
        self.assertEqual(t, b"A")
        self.assertEqual(self.notification(p)[1:], ("ext", "via bind"))
        # its own notification comes before ReadyForQuery
        seen, _ = listener.query("NOTIFY ext, 'mine'")
        types = [t for t, _ in seen]
        self.assertEqual(types[-2:], [b"A", b"Z"])
        self.assertEqual(self.notification(seen[-2][1])[1:], ("ext", "mine"))


class StartupTest(Base):
    def test_terminate_before_startup_is_not_answered(self):
        s = socket.create_connection(("127.0.0.1", self.srv.pg_port),
                                     timeout=5)
        s.sendall(b"X\x00\x00\x00\x04")
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        s.close()
        self.assertEqual(data, b"")  # closed, no ErrorResponse
        deadline = time.time() + 5
        while time.time() < deadline:
            if "invalid length of startup packet" in self.srv.read_log():
                break
            time.sleep(0.1)
        self.assertIn("invalid length of startup packet", self.srv.read_log())
        # the server goes on
        c = self.connect()
        self.assertEqual(self.run_sql(c, "SELECT 1"), [(1,)])


if __name__ == "__main__":
    unittest.main()
