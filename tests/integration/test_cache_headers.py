"""Edge caching headers (issue 22, docs/caching.md) on the real themisd:
Cache-Control per route from the registry, strong ETags (the document's
_rev, a body hash for computed answers), Last-Modified where the answer
has a time, conditional GET/HEAD with RFC 9110's precedence
(If-None-Match over If-Modified-Since), Vary, Surrogate-Key/Cache-Tag,
private answers for authenticated principals unless configured, and a
purge hook whose failures are counted without slowing the writer."""

import re
import time
import unittest

from themis_harness import Server, ServerTest
from tokens import bearer, make_jwt

DOC = "/api/v1/collections/cache_c/documents/k1"
SECRET = "cache test secret, long enough"


def purge_count(server, result):
    _, _, body = server.request("GET", "/metrics")
    m = re.search(r'themis_cache_purge_requests_total\{result="%s"\} (\d+)'
                  % result, body.decode())
    return int(m.group(1)) if m else None


class CacheHeadersTest(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        st, _, _ = s.json("POST", "/api/v1/collections", {"name": "cache_c"})
        assert st == 201, st
        st, _, _ = s.json("PUT", DOC, {"v": 1})
        assert st in (200, 201), st

    def test_document_policy_headers(self):
        st, h, doc = self.server.json("GET", DOC)
        self.assertEqual(st, 200)
        self.assertEqual(h["cache-control"],
                         "public, max-age=0, s-maxage=300, "
                         "stale-while-revalidate=10, stale-if-error=300")
        self.assertEqual(h["etag"], '"%s"' % doc["_rev"])
        self.assertEqual(h["surrogate-key"], "doc:/cache_c/k1 themis-all")
        self.assertEqual(h["cache-tag"], "doc:/cache_c/k1,themis-all")
        vary = [v.strip() for v in h["vary"].split(",")]
        self.assertIn("Authorization", vary)
        self.assertIn("X-API-Key", vary)
        self.assertNotIn("last-modified", h)  # documents carry no time

    def test_if_none_match_gives_304(self):
        st, h, _ = self.server.json("GET", DOC)
        tag = h["etag"]
        for inm in (tag, "W/" + tag, '"nope", ' + tag, "*"):
            st, h2, body = self.server.request("GET", DOC,
                                               headers={"If-None-Match": inm})
            self.assertEqual(st, 304, inm)
            self.assertEqual(body, b"")
            self.assertEqual(h2["etag"], tag)
            self.assertIn("cache-control", h2)
            self.assertIn("vary", h2)
            self.assertIn("surrogate-key", h2)
        for inm in ('"nope"', "garbage", '"' + tag):
            st, _, body = self.server.request("GET", DOC,
                                              headers={"If-None-Match": inm})
            self.assertEqual(st, 200, inm)
            self.assertTrue(body)

    def test_head_same_headers_no_body(self):
        st, g, body = self.server.request("GET", DOC)
        st, h, hbody = self.server.request("HEAD", DOC)
        self.assertEqual(st, 200)
        self.assertEqual(hbody, b"")
        self.assertEqual(int(h["content-length"]), len(body))
        for k in ("etag", "cache-control", "vary", "surrogate-key"):
            self.assertEqual(h[k], g[k], k)
        st, _, hbody = self.server.request(
            "HEAD", DOC, headers={"If-None-Match": g["etag"]})
        self.assertEqual((st, hbody), (304, b""))

    def test_write_changes_the_validator(self):
        self.server.json("PUT", "/api/v1/collections/cache_c/documents/k9",
                         {"v": 1})
        path = "/api/v1/collections/cache_c/documents/k9"
        _, h, _ = self.server.json("GET", path)
        self.server.json("PUT", path, {"v": 2})
        st, h2, doc = self.server.json("GET", path,
                                       headers={"If-None-Match": h["etag"]})
        self.assertEqual(st, 200)
        self.assertEqual(doc["v"], 2)
        self.assertNotEqual(h2["etag"], h["etag"])

    def test_compressed_answer_weak_tag_revalidates(self):
        path = "/api/v1/collections/cache_c/documents/big"
        self.server.json("PUT", path, {"text": "x" * 4000})
        st, h, _ = self.server.request("GET", path,
                                       headers={"Accept-Encoding": "gzip"})
        self.assertEqual(h.get("content-encoding"), "gzip")
        self.assertTrue(h["etag"].startswith('W/"'))
        self.assertIn("Accept-Encoding", h["vary"])
        st, _, body = self.server.request(
            "GET", path, headers={"Accept-Encoding": "gzip",
                                  "If-None-Match": h["etag"]})
        self.assertEqual((st, body), (304, b""))

    def test_openapi_last_modified_and_precedence(self):
        st, h, body = self.server.request("GET", "/openapi.json")
        self.assertEqual(st, 200)
        self.assertEqual(h["cache-control"], "public, max-age=300, "
                         "s-maxage=3600")
        # a public route answers everyone alike: no credentials in Vary
        # (Accept-Encoding: the compression layer, a compressible answer)
        self.assertEqual(h["vary"], "Accept-Encoding")
        lm = h["last-modified"]
        self.assertRegex(h["etag"], r'^"h[0-9a-f]{16}-[0-9a-f]+"$')
        ims = {"If-Modified-Since": lm}
        self.assertEqual(self.server.request("GET", "/openapi.json",
                                             headers=ims)[0], 304)
        future = "Fri, 01 Jan 2100 00:00:00 GMT"
        past = "Sun, 06 Nov 1994 08:49:37 GMT"
        cases = [
            ({"If-Modified-Since": past}, 200),
            ({"If-Modified-Since": "not a date"}, 200),
            ({"If-Modified-Since": future}, 304),
            # RFC 9110 §13.2.2: If-None-Match decides alone when present
            ({"If-None-Match": '"other"', "If-Modified-Since": future}, 200),
            ({"If-None-Match": h["etag"], "If-Modified-Since": past}, 304),
        ]
        for hdrs, want in cases:
            st, _, b = self.server.request("GET", "/openapi.json",
                                           headers=hdrs)
            self.assertEqual(st, want, hdrs)
            self.assertEqual(b == b"", want == 304)
        st, _, _ = self.server.request("HEAD", "/openapi.json", headers=ims)
        self.assertEqual(st, 304)

    def test_listings_and_version(self):
        st, h, _ = self.server.json(
            "GET", "/api/v1/collections/cache_c/documents")
        self.assertEqual(st, 200)
        self.assertEqual(h["surrogate-key"], "coll:/cache_c themis-all")
        st, h, _ = self.server.json("GET", "/api/v1/collections/cache_c")
        self.assertEqual(h["surrogate-key"], "coll:/cache_c themis-all")
        st, h, _ = self.server.json("GET", "/api/v1/collections")
        self.assertEqual(h["cache-control"], "public, max-age=0, s-maxage=5")
        self.assertEqual(h["surrogate-key"], "themis-all")
        st, h, _ = self.server.json("GET", "/api/v1/version")
        self.assertIn("last-modified", h)
        # the deprecated /v1 alias has the same policy
        st, h, _ = self.server.json("GET", "/v1/collections/cache_c/"
                                    "documents/k1")
        self.assertIn("s-maxage=300", h["cache-control"])
        self.assertIn("deprecation", h)

    def test_errors_and_routes_without_policy_untouched(self):
        st, h, _ = self.server.json(
            "GET", "/api/v1/collections/cache_c/documents/missing")
        self.assertEqual(st, 404)
        self.assertNotIn("surrogate-key", h)
        self.assertNotIn("etag", h)
        st, h, _ = self.server.json("GET", "/health")
        self.assertEqual(st, 200)
        self.assertNotIn("etag", h)
        self.assertNotIn("surrogate-key", h)
        st, h, _ = self.server.json("POST", "/query/aql",
                                    {"query": "RETURN 1"})
        self.assertEqual(st, 200)
        self.assertNotIn("surrogate-key", h)


class CorsVaryTest(ServerTest):
    server_args = ("--set", "cors.allowed_origins=https://app.example")

    def test_origin_added_to_vary(self):
        s = self.server
        s.json("POST", "/api/v1/collections", {"name": "cv"})
        s.json("PUT", "/api/v1/collections/cv/documents/a", {"v": 1})
        st, h, _ = s.request("GET", "/api/v1/collections/cv/documents/a",
                             headers={"Origin": "https://app.example"})
        self.assertEqual(st, 200)
        vary = [v.strip() for v in h["vary"].split(",")]
        for f in ("Authorization", "X-API-Key", "Origin"):
            self.assertIn(f, vary)


class AuthenticatedCacheTest(unittest.TestCase):
    """Authenticated answers are private unless cache.authenticated_public."""

    def run_server(self, *extra):
        srv = Server(["--set", "auth.required=true",
                      "--set", "auth.jwt_secret=" + SECRET] + list(extra))
        srv.start()
        self.addCleanup(srv.cleanup)
        self.addCleanup(srv.stop)
        auth = bearer(make_jwt(SECRET, "alice"))
        st, _, _ = srv.json("POST", "/api/v1/collections", {"name": "ac"},
                            headers=auth)
        self.assertEqual(st, 201)
        srv.json("PUT", "/api/v1/collections/ac/documents/a", {"v": 1},
                 headers=auth)
        return srv, auth

    def test_private_by_default(self):
        srv, auth = self.run_server()
        st, h, _ = srv.json("GET", "/api/v1/collections/ac/documents/a",
                            headers=auth)
        self.assertEqual(st, 200)
        self.assertEqual(h["cache-control"], "private, max-age=0")
        self.assertNotIn("surrogate-key", h)
        self.assertIn("Authorization", h["vary"])
        # conditional requests work for private answers too
        st, _, _ = srv.json("GET", "/api/v1/collections/ac/documents/a",
                            headers=dict(auth, **{"If-None-Match":
                                                  h["etag"]}))
        self.assertEqual(st, 304)
        # unauthenticated: refused, no cache headers of the route
        st, h, _ = srv.json("GET", "/api/v1/collections/ac/documents/a")
        self.assertEqual(st, 401)
        self.assertNotIn("surrogate-key", h)

    def test_shareable_when_configured(self):
        srv, auth = self.run_server("--set", "cache.authenticated_public=true")
        st, h, _ = srv.json("GET", "/api/v1/collections/ac/documents/a",
                            headers=auth)
        self.assertEqual(st, 200)
        self.assertTrue(h["cache-control"].startswith("public"))
        self.assertIn("s-maxage=300", h["cache-control"])
        self.assertEqual(h["surrogate-key"], "doc:/ac/a themis-all")
        self.assertIn("Authorization", h["vary"])


class CacheDisabledTest(ServerTest):
    server_args = ("--set", "cache.enabled=false")

    def test_no_policy_headers(self):
        s = self.server
        s.json("POST", "/api/v1/collections", {"name": "off"})
        s.json("PUT", "/api/v1/collections/off/documents/a", {"v": 1})
        st, h, _ = s.json("GET", "/api/v1/collections/off/documents/a")
        self.assertEqual(st, 200)
        self.assertNotIn("cache-control", h)
        self.assertNotIn("surrogate-key", h)
        self.assertIn("etag", h)  # the document's own validator stays
        st, _, _ = s.json("GET", "/api/v1/collections/off/documents/a",
                          headers={"If-None-Match": h["etag"]})
        self.assertEqual(st, 304)


class PurgeFailureTest(unittest.TestCase):
    """A purge endpoint that refuses connections: every write still
    commits at once, failures are logged and counted."""

    def test_failures_counted_writer_not_blocked(self):
        from themis_harness import free_port
        dead = free_port()  # nothing listens there
        srv = Server(["--set", "cache.purge_url=http://127.0.0.1:%d/" % dead,
                      "--set", "cache.purge_timeout_ms=500",
                      "--set", "cache.purge_token=s3cret"])
        srv.start()
        self.addCleanup(srv.cleanup)
        self.addCleanup(srv.stop)
        self.assertEqual(purge_count(srv, "failed"), 0)
        srv.json("POST", "/api/v1/collections", {"name": "pf"})
        t0 = time.monotonic()
        for i in range(20):
            st, _, _ = srv.json("PUT", "/api/v1/collections/pf/documents/"
                                "k%d" % i, {"i": i})
            self.assertIn(st, (200, 201))
        self.assertLess(time.monotonic() - t0, 5)
        deadline = time.time() + 10
        while time.time() < deadline and not purge_count(srv, "failed"):
            time.sleep(0.05)
        self.assertGreaterEqual(purge_count(srv, "failed"), 1)
        self.assertEqual(purge_count(srv, "ok"), 0)
        self.assertIn("cache purge PURGE http://127.0.0.1:%d/ failed" % dead,
                      srv.read_log())
        # the token is a credential: never shown
        st, _, cfg = srv.json("GET", "/api/v1/admin/config")
        self.assertEqual((st, cfg["cache"]["purge_token"]), (200, "***"))
        # writes kept committing while the purges failed
        st, _, doc = srv.json("GET", "/api/v1/collections/pf/documents/k19")
        self.assertEqual((st, doc["i"]), (200, 19))


if __name__ == "__main__":
    unittest.main()
