"""Hostile input (issue 17): inputs an ordinary user can send that once
took the whole server down or swallowed its memory. Each is sent with a
real client (curl-like HTTP, psql) to the real themisd; each must get a
clear, protocol-correct error, the server must stay up and keep serving,
and its memory must stay under a stated bound.

- JSON nested 75,000 deep in a document, an entity, an NDJSON line, an
  AQL bind value and a job: 400 naming limits.max_json_depth;
- a document nested 2,000 deep (past SQLite's own JSON limit): refused,
  so FILTER push-down and SQL over the collection keep working;
- 37,000 nested AQL FORs: 400 naming limits.max_aql_clauses;
- SQL: 1+1+…+1 with 5,700 and 200,000 terms, 'a'||… with 5,700 terms
  (54001), a jsonb literal nested 75,000 deep (22P02), 2,000 nested
  sub-selects (refused, memory bounded), a statement over
  limits.max_sql_bytes (54000);
- auth.required disables the built-in themis:themis PostgreSQL login."""

import json
import os
import subprocess
import unittest

from tokens import rss_kb
from themis_harness import Server

DEEP = "[" * 75000 + "]" * 75000


class HostileInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "pg.auth=password"]).start()
        st, _, _ = cls.srv.json("POST", "/v1/collections", {"name": "c"})
        assert st == 201, st

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def psql(self, sql, user="themis", password="themis", timeout=60):
        """Runs `sql` through psql's stdin (long statements exceed argv);
        returns (returncode, stdout, stderr) with SQLSTATEs shown."""
        env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="10")
        r = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.srv.pg_port), "-U",
             user, "-d", "themis", "-At", "-v", "VERBOSITY=verbose", "-v", "ON_ERROR_STOP=1", "-X"],
            input=sql + ";\n", env=env, capture_output=True, text=True,
            timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    def assert_alive(self):
        self.assertIsNone(self.srv.proc.poll(), self.srv.read_log()[-3000:])
        st, _, _ = self.srv.request("GET", "/health")
        self.assertEqual(st, 200)
        rc, out, err = self.psql("SELECT 40 + 2")
        self.assertEqual((rc, out.strip()), (0, "42"), err)

    def test_deep_json_bodies_are_refused(self):
        body = '{"x":' + DEEP + '}'
        for method, path in (("PUT", "/v1/collections/c/documents/deep"),
                             ("PUT", "/entities/c:deep")):
            payload = body if path.startswith("/v1") else json.dumps(
                {"blob": body})
            st, _, b = self.srv.request(method, path, payload)
            if path.startswith("/entities"):
                # the blob is a string: its JSON is parsed as the document
                self.assertEqual(st, 400, b)
            else:
                self.assertEqual(st, 400, b)
                self.assertIn(b"limits.max_json_depth", b)
        st, _, b = self.srv.request(
            "POST", "/v2/documents?collection=c", body + "\n",
            {"Content-Type": "application/x-ndjson"})
        self.assertIn(b"limits.max_json_depth", b)
        self.assert_alive()

    def test_document_past_sqlite_json_limit_is_refused(self):
        # SQLite's JSON functions refuse rows nested past ~2,000: such a
        # row would break every FILTER push-down and SQL query over it
        st, _, b = self.srv.request(
            "PUT", "/v1/collections/c/documents/d2000",
            '{"x":' + "[" * 2000 + "]" * 2000 + "}")
        self.assertEqual(st, 400, b)
        st, _, b = self.srv.request(
            "PUT", "/v1/collections/c/documents/ok",
            '{"n": 7, "x":' + "[" * 100 + "]" * 100 + "}")
        self.assertIn(st, (200, 201), b)
        st, _, b = self.srv.json("POST", "/query/aql", {
            "query": "FOR d IN c FILTER d.n == 7 RETURN d._key"})
        self.assertEqual((st, b.get("result")), (200, ["ok"]), b)
        rc, out, err = self.psql(
            "SELECT _key FROM c WHERE doc->>'n' = '7'")
        self.assertEqual((rc, out.strip()), (0, "ok"), err)

    def test_deep_bind_values_are_refused(self):
        for q in ("RETURN @x", "RETURN JSON_STRINGIFY(@x)",
                  "INSERT {v: @x} INTO c"):
            body = json.dumps({"query": q, "bindVars": {"x": 0}})
            body = body.replace('"x": 0', '"x": ' + DEEP)
            st, _, b = self.srv.request("POST", "/query/aql", body)
            self.assertEqual(st, 400, b)
            self.assertIn(b"limits.max_json_depth", b)
        body = json.dumps({"query": "RETURN @x", "bindVars": {"x": 0}})
        st, _, b = self.srv.request(
            "POST", "/v2/jobs", body.replace('"x": 0', '"x": ' + DEEP))
        self.assertEqual(st, 400, b)
        # JSON_PARSE of a deep string is null, as unparsable text is
        st, _, b = self.srv.json("POST", "/query/aql", {
            "query": "RETURN JSON_PARSE(@s)", "bindVars": {"s": DEEP}})
        self.assertEqual((st, b.get("result")), (200, [None]), b)
        self.assert_alive()

    def test_nested_aql_for_clauses_are_refused(self):
        q = "".join("FOR a%d IN 1..1 " % i for i in range(37000))
        q += "RETURN 1"
        st, _, b = self.srv.json("POST", "/query/aql", {"query": q})
        self.assertEqual(st, 400, b)
        self.assertIn("limits.max_aql_clauses", b["message"])
        st, _, b = self.srv.json("POST", "/query/aql", {
            "query": "FOR a IN 1..2 FOR b IN 1..2 RETURN a * b"})
        self.assertEqual((st, b.get("result")), (200, [1, 2, 2, 4]), b)
        self.assert_alive()

    def test_too_complex_sql_is_54001(self):
        before = rss_kb(self.srv.proc.pid)
        for sql in ("SELECT 1" + "+1" * 5700, "SELECT 1" + "+1" * 200000,
                    "SELECT 'a'" + "||'a'" * 5700):
            rc, _, err = self.psql(sql)
            self.assertIn("54001", err)
            self.assertIn("statement too complex", err)
        rc, out, err = self.psql("SELECT 1" + "+1" * 60)
        self.assertEqual((rc, out.strip()), (0, "61"), err)
        # 2,000 nested sub-selects once took 3.3 GB and kept it
        rc, _, err = self.psql(
            "SELECT " + "(SELECT " * 2000 + "1" + ")" * 2000)
        self.assertNotEqual(rc, 0)
        self.assertRegex(err, "54001|54000|42601")
        self.assertIn("ERROR", err)
        rc, _, err = self.psql("SELECT " + "1," * 600000 + "1")
        self.assertIn("54000", err)
        grown = rss_kb(self.srv.proc.pid) - before
        self.assertLess(grown, 512 * 1024, "RSS grew by %d KiB" % grown)
        self.assert_alive()

    def test_deep_jsonb_literal_is_22P02(self):
        rc, _, err = self.psql("SELECT '" + DEEP + "'::jsonb")
        self.assertIn("22P02", err)
        rc, _, err = self.psql(
            "INSERT INTO c (_key, doc) VALUES ('sqldeep', '{\"x\":" +
            "[" * 3000 + "]" * 3000 + "}')")
        self.assertNotEqual(rc, 0)
        self.assertIn("ERROR", err)
        st, _, _ = self.srv.request("GET", "/v1/collections/c/documents/"
                                    "sqldeep")
        self.assertEqual(st, 404)
        self.assert_alive()


class DefaultCredentialTest(unittest.TestCase):
    def test_auth_required_disables_themis_themis(self):
        srv = Server(args=["--set", "auth.jwt_secret=" + "x" * 40],
                     env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        try:
            env = dict(os.environ, PGPASSWORD="themis",
                       PGCONNECT_TIMEOUT="10")
            r = subprocess.run(
                ["psql", "-h", "127.0.0.1", "-p", str(srv.pg_port), "-U",
                 "themis", "-d", "themis", "-At", "-c", "SELECT 1"],
                env=env, capture_output=True, text=True, timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("password authentication failed", r.stderr)
            self.assertIn("themis:themis) are disabled", srv.read_log())
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
