"""SQL over HTTP (issue 29, docs/rest-api.md): POST /api/v1/query/sql runs
one read-only statement through the PostgreSQL port's engine with its
scope and tenant rules — results with typed columns, errors with their
SQLSTATE, writes refused (42501 for a key without data:write, 0A000
otherwise), several statements refused, bounds on maxRows and the text,
a tenant sees only its own tables; pg_stat_activity and
pg_terminate_backend / pg_cancel_backend reach the PG port's sessions as
the caller may see and signal them there (a live psql is terminated).
MCP's sql_query shares the path (test_mcp.py)."""

import os
import subprocess
import time
import unittest

import psycopg2

from themis_harness import Server
from tokens import ALL_SCOPES, bearer, make_jwt

SECRET = "sql over http test secret, long!"
ROOT = make_jwt(SECRET, "root", scope="admin " + ALL_SCOPES)
ALICE = make_jwt(SECRET, "alice", "acme")
CAROL = make_jwt(SECRET, "carol", "acme")
BOB = make_jwt(SECRET, "bob", "beta")
READER = make_jwt(SECRET, "reader", scope="data:read")
JOBS_ONLY = make_jwt(SECRET, "jobber", scope="jobs")


class SqlHttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=("--set", "auth.jwt_secret=" + SECRET),
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        for tok, coll in ((ROOT, "items"), (ALICE, "acme_items")):
            st, _, _ = cls.srv.json("POST", "/api/v1/collections",
                                    {"name": coll}, bearer(tok))
            assert st in (200, 201), st
            for i in range(5):
                st, _, _ = cls.srv.json(
                    "POST", "/api/v1/collections/%s/documents" % coll,
                    {"_key": "k%d" % i, "n": i}, bearer(tok))
                assert st in (200, 201, 202), st

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def sql(self, tok, query, **extra):
        body = dict(extra, query=query) if query is not None else extra
        return self.srv.json("POST", "/api/v1/query/sql", body,
                             bearer(tok) if tok else None)

    def test_select_rows_and_columns(self):
        n = "(doc->>'n')::int"
        st, h, b = self.sql(ROOT, "SELECT _key, %s AS n, %s * 2 AS twice, "
                                  "%s > 2, 'x' AS n FROM items ORDER BY _key"
                            % (n, n, n))
        self.assertEqual(st, 200, b)
        self.assertIn("application/json", h["content-type"])
        self.assertEqual(b["command"], "SELECT")
        self.assertEqual([c["name"] for c in b["columns"]],
                         ["_key", "n", "twice", "?column?", "n"])
        self.assertEqual(b["columns"][3]["type_oid"], 16)  # bool
        self.assertEqual(b["rows"][0], ["k0", 0, 0, False, "x"])
        self.assertEqual(len(b["rows"]), 5)
        self.assertFalse(b["truncated"])
        self.assertGreaterEqual(b["ms"], 0)
        # jsonb comes back as JSON
        st, _, b = self.sql(ROOT, "SELECT doc FROM items WHERE _key = 'k3'")
        self.assertEqual(st, 200, b)
        self.assertEqual(b["columns"][0]["type_oid"], 3802)
        self.assertEqual(b["rows"][0][0]["n"], 3)
        st, _, b = self.sql(ROOT, "SELECT 1 AS one")
        self.assertEqual((st, b["rows"]), (200, [[1]]))

    def test_max_rows(self):
        st, _, b = self.sql(ROOT, "SELECT _key FROM items ORDER BY _key",
                            maxRows=2)
        self.assertEqual((st, b["rows"], b["truncated"]),
                         (200, [["k0"], ["k1"]], True))
        for bad in (0, -1, "2", 10**9, 1.5):
            st, _, b = self.sql(ROOT, "SELECT 1", maxRows=bad)
            self.assertEqual(st, 400, (bad, b))

    def test_errors_carry_sqlstate(self):
        cases = [
            ("SELECT * FROM no_such_table", 400, "42P01"),
            ("SELEC 1", 400, "42601"),
            ("SELECT 1; SELECT 2", 400, "42601"),
            ("DELETE FROM items WHERE _key = 'k0'", 400, "0A000"),
            ("CREATE TABLE t (a int)", 400, "0A000"),
            ("SET search_path = public", 400, "0A000"),
            ("SELECT * FROM items FOR UPDATE", 400, "0A000"),
            ("NOTIFY ch", 400, "0A000"),
            ("SELECT pg_notify('ch', 'x')", 400, "0A000"),
            ("SELECT 1/0", 400, "22012"),
        ]
        for q, status, state in cases:
            st, _, b = self.sql(ROOT, q)
            self.assertEqual((st, b.get("sqlstate")), (status, state), (q, b))
            self.assertTrue(b["error"])
            self.assertTrue(b["message"])
        # nothing was written
        st, _, b = self.sql(ROOT, "SELECT count(*) FROM items")
        self.assertEqual(b["rows"], [[5]])

    def test_bad_requests(self):
        for body in ("not json", "[1]", '{"query": 5}', '{"query": ""}', "{}"):
            st, _, b = self.srv.request(
                "POST", "/api/v1/query/sql", body,
                dict(bearer(ROOT), **{"Content-Type": "application/json"}))
            self.assertEqual(st, 400, (body, b))
        st, _, b = self.sql(ROOT, "SELECT '" + "x" * (2 << 20) + "'")
        self.assertIn(st, (400, 413))

    def test_scopes(self):
        st, _, _ = self.sql(None, "SELECT 1")
        self.assertEqual(st, 401)
        st, _, b = self.sql(JOBS_ONLY, "SELECT 1")
        self.assertEqual(st, 403, b)
        # a read-only key reads, and may not write (the PG port's 42501)
        st, _, b = self.sql(READER, "SELECT count(*) FROM items")
        self.assertEqual((st, b["rows"]), (200, [[5]]))
        st, _, b = self.sql(READER, "DELETE FROM items")
        self.assertEqual((st, b["sqlstate"]), (403, "42501"), b)
        st, _, b = self.sql(READER, "UPDATE items SET doc = '{}'")
        self.assertEqual((st, b["sqlstate"]), (403, "42501"), b)

    def test_tenants(self):
        st, _, b = self.sql(ALICE, "SELECT count(*) FROM acme_items")
        self.assertEqual((st, b["rows"]), (200, [[5]]))
        st, _, b = self.sql(ALICE, "SELECT count(*) FROM items")
        self.assertEqual((st, b["sqlstate"]), (400, "42P01"))
        st, _, b = self.sql(BOB, "SELECT count(*) FROM acme_items")
        self.assertEqual((st, b["sqlstate"]), (400, "42P01"))
        st, _, b = self.sql(BOB, 'SELECT count(*) FROM "acme.acme_items"')
        self.assertEqual(st, 400, b)
        # the global admin names a tenant's table by its stored name
        st, _, b = self.sql(ROOT, 'SELECT count(*) FROM "acme.acme_items"')
        self.assertEqual((st, b["rows"]), (200, [[5]]))

    def pg(self, tok, app):
        c = psycopg2.connect(host="127.0.0.1", port=self.srv.pg_port,
                             user="app", password=tok, dbname="themis",
                             application_name=app, connect_timeout=10)
        c.autocommit = True
        self.addCleanup(c.close)
        return c

    def activity(self, tok):
        st, _, b = self.sql(tok, "SELECT pid, application_name, usename "
                                 "FROM pg_stat_activity ORDER BY pid")
        self.assertEqual(st, 200, b)
        return {r[0]: r[1] for r in b["rows"]}

    def test_pg_sessions_scoped(self):
        a = self.pg(ALICE, "alice-app")
        r = self.pg(ROOT, "root-app")
        pa, pr = a.get_backend_pid(), r.get_backend_pid()
        self.assertEqual(self.activity(ALICE).get(pa), "alice-app")
        self.assertNotIn(pr, self.activity(ALICE))
        self.assertEqual(self.activity(CAROL), {})  # not her user's
        self.assertEqual(self.activity(BOB), {})  # another tenant
        self.assertTrue({pa, pr} <= set(self.activity(ROOT)))
        # carol sees alice's backend through the tenant but may not signal
        # it; bob cannot see it at all
        st, _, b = self.sql(CAROL, "SELECT pg_cancel_backend(%d)" % pa)
        self.assertEqual((st, b["sqlstate"]), (403, "42501"), b)
        st, _, b = self.sql(BOB, "SELECT pg_terminate_backend(%d)" % pa)
        self.assertEqual((st, b["rows"]), (200, [[False]]))
        st, _, b = self.sql(ROOT, "SELECT pg_cancel_backend(%d)" % pa)
        self.assertEqual((st, b["rows"]), (200, [[True]]))
        st, _, b = self.sql(ROOT, "SELECT pg_terminate_backend(999999)")
        self.assertEqual((st, b["rows"]), (200, [[False]]))

    def test_terminate_a_live_psql(self):
        env = dict(os.environ, PGPASSWORD=ALICE, PGAPPNAME="victim")
        p = subprocess.Popen(
            ["psql", "host=127.0.0.1 port=%d user=app dbname=themis" %
             self.srv.pg_port, "-X", "-q"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        try:
            p.stdin.write("\\set VERBOSITY verbose\nSELECT 1;\n")
            p.stdin.flush()
            pid, deadline = None, time.time() + 10
            while pid is None and time.time() < deadline:
                pid = next((k for k, v in self.activity(ALICE).items()
                            if v == "victim"), None)
                time.sleep(0.1)
            self.assertIsNotNone(pid, "psql never appeared")
            st, _, b = self.sql(ALICE, "SELECT pg_terminate_backend(%d)" % pid)
            self.assertEqual((st, b["rows"]), (200, [[True]]))
            time.sleep(0.5)
            _, err = p.communicate("SELECT 2;\n", timeout=20)
            self.assertIn("FATAL:  57P01: terminating connection due to "
                          "administrator command", err)
            self.assertNotIn(pid, self.activity(ALICE))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()


if __name__ == "__main__":
    unittest.main()
