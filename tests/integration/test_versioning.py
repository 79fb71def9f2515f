"""Versioning (issue 22, docs/versioning.md): the whole REST surface under
/api/v1 (themisd's /v1 paths as deprecated aliases with RFC 9745
Deprecation, RFC 8594 Sunset and Link rel="successor-version"; ThemisDB's
paths as undeprecated aliases), scopes of the twins under auth, and the
per-principal metric of deprecated calls."""

import base64
import hashlib
import hmac
import json
import re
import time
import unittest

from themis_harness import Server, ServerTest

SECRET = "integration secret, long enough"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(scope, sub="alice"):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": sub, "aud": "themis", "scope": scope,
                           "exp": int(time.time()) + 600}).encode())
    sig = hmac.new(SECRET.encode(), (head + "." + body).encode(),
                   hashlib.sha256).digest()
    return head + "." + body + "." + b64(sig)


class VersionedPathsTest(ServerTest):
    def test_twins_serve_the_same_data(self):
        s = self.server
        st, h, _ = s.json("POST", "/api/v1/collections", {"name": "vers"})
        self.assertEqual(st, 201)
        self.assertNotIn("deprecation", h)
        st, h, doc = s.json("PUT", "/api/v1/collections/vers/documents/k1",
                            {"a": 1})
        self.assertEqual(st, 201)
        # the deprecated alias sees the same document
        st, h, old = s.json("GET", "/v1/collections/vers/documents/k1")
        self.assertEqual(st, 200)
        self.assertEqual(old["a"], 1)
        self.assertEqual(h["deprecation"], "@1796083200")
        self.assertEqual(h["sunset"], "Wed, 01 Dec 2027 00:00:00 GMT")
        self.assertEqual(
            h["link"],
            '</api/v1/collections/vers/documents/k1>; rel="successor-version"')
        st, h, new = s.json("GET", "/api/v1/collections/vers/documents/k1")
        self.assertEqual((st, new["a"]), (200, 1))
        self.assertNotIn("deprecation", h)
        self.assertNotIn("sunset", h)
        # errors of a deprecated route carry the headers too
        st, h, _ = s.json("GET", "/v1/collections/nope_c")
        self.assertEqual(st, 404)
        self.assertIn("deprecation", h)

    def test_themisdb_paths_and_twins(self):
        s = self.server
        st, _, _ = s.json("PUT", "/api/v1/entities/twin:1",
                          {"blob": json.dumps({"x": 5})})
        self.assertIn(st, (200, 201))
        st, h, e = s.json("GET", "/entities/twin:1")
        self.assertEqual(st, 200)
        self.assertNotIn("deprecation", h) # ThemisDB's path stays as is
        st, _, r = s.json("POST", "/api/v1/query/aql",
                          {"query": "FOR d IN twin RETURN d.x"})
        self.assertEqual(st, 200, r)
        self.assertEqual(r["result"], [5])
        # handlers that read the path (jobs) see the one they were written for
        st, _, j = s.json("POST", "/api/v1/jobs",
                          {"type": "aql", "query": "RETURN 1"})
        self.assertIn(st, (201, 202), j)
        st, _, lst = s.json("GET", "/api/v1/jobs")
        self.assertEqual(st, 200, lst)
        st, _, cur = s.json("POST", "/api/v1/query",
                            {"query": "FOR i IN 1..5 RETURN i",
                             "batch_size": 2})
        self.assertEqual(st, 201, cur)
        st, _, nxt = s.json("GET", "/api/v1/query/cursor/" + cur["id"])
        self.assertEqual((st, nxt["result"]), (200, [3, 4]))

    def test_reserved_namespace(self):
        for p in ("/api/v1/nope", "/api/v1/a/b", "/api/v1/admin/nope"):
            st, _, b = self.server.json("GET", p)
            self.assertEqual(st, 404, p)
            self.assertEqual(b["status_code"], 404)

    def test_deprecated_calls_metric(self):
        self.server.request("GET", "/v1/collections")
        _, _, m = self.server.request("GET", "/metrics")
        self.assertRegex(
            m.decode(),
            r'themis_deprecated_requests_total\{principal="[^"]+",'
            r'route="/v1/collections"\} [1-9]')


class VersionedAuthTest(unittest.TestCase):
    """The twins carry their canonical route's scope (not /api's
    'authenticated'); the metric tells principals apart."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET,
                               "--set", "auth.jwt_audience=themis"],
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        admin = {"Authorization": "Bearer " + token("admin", "root")}
        st, _, _ = cls.srv.json("POST", "/api/v1/collections",
                                {"name": "sec"}, admin)
        assert st == 201, st

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def req(self, method, path, tok, body=None):
        return self.srv.request(method, path, body,
                                {"Authorization": "Bearer " + tok})

    def test_scopes(self):
        reader = token("data:read", "reader")
        matrix = [
            ("GET", "/api/v1/collections/sec/documents", reader, 200),
            ("PUT", "/api/v1/collections/sec/documents/a", reader, 403),
            ("PUT", "/api/v1/collections/sec/documents/a",
             token("data:write", "writer"), 201),
            ("POST", "/api/v1/query/aql", reader, 403),
            ("POST", "/api/v1/query/aql", token("query"), 200),
            ("GET", "/api/v1/changefeed?from_seq=0", reader, 403),
            ("GET", "/api/v1/jobs", reader, 403),
            ("GET", "/api/v1/stats", reader, 403),
        ]
        for method, path, tok, want in matrix:
            body = ({"a": 1} if method == "PUT" else
                    {"query": "RETURN 1"} if method == "POST" else None)
            st, _, b = self.req(method, path, tok, body)
            self.assertEqual(st, want, (method, path, b[:200]))
        st, _, _ = self.srv.request("GET", "/api/v1/collections")
        self.assertEqual(st, 401)

    def test_metric_per_principal(self):
        for who in ("alice", "bob", "bob"):
            st, h, _ = self.req("GET", "/v1/collections",
                                token("data:read", who))
            self.assertEqual(st, 200)
            self.assertIn("deprecation", h)
        st, _, m = self.req("GET", "/metrics", token("admin", "root"))
        text = m.decode()
        counts = dict(re.findall(
            r'themis_deprecated_requests_total\{principal="([^"]+)",'
            r'route="/v1/collections"\} (\d+)', text))
        alice = [k for k in counts if "alice" in k]
        bob = [k for k in counts if "bob" in k]
        self.assertEqual(len(alice), 1, counts)
        self.assertEqual(int(counts[alice[0]]), 1)
        self.assertEqual(int(counts[bob[0]]), 2)


if __name__ == "__main__":
    unittest.main()
