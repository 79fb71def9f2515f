"""Breadth endpoints (issue 22, docs/rest-api.md) against a live themisd
over real HTTP: batch get, PATCH with JSON Merge Patch (RFC 7396) and JSON
Patch (RFC 6902, atomic, If-Match, pointer escapes, errors with the
operation's index), batch patch in one atomic write, collection
properties / statistics / truncate (seen by the changefeed), AQL validate
and explain, and the admin configuration with its secrets redacted —
each with malformed and hostile bodies."""

import json
import unittest

from themis_harness import ServerTest
from tokens import bearer, make_jwt

JP = {"Content-Type": "application/json-patch+json"}
MP = {"Content-Type": "application/merge-patch+json"}


class BreadthTest(ServerTest):
    def setUp(self):
        s = self.server
        s.json("DELETE", "/v1/collections/b")
        st, _, _ = s.json("POST", "/v1/collections", {"name": "b"})
        self.assertEqual(st, 201)
        for k, doc in (("k1", {"a": 1, "list": [1, 2], "o": {"x": 1}}),
                       ("k2", {"a": 2}), ("k3", {"a/b": 1, "m~n": 2})):
            st, _, _ = s.json("PUT", "/v1/collections/b/documents/" + k, doc)
            self.assertIn(st, (200, 201))

    def doc(self, key):
        st, h, d = self.server.json("GET", "/api/v1/collections/b/documents/" + key)
        self.assertEqual(st, 200)
        return d, h["etag"]

    def patch(self, key, ops, headers=JP):
        st, h, raw = self.server.request(
            "PATCH", "/api/v1/collections/b/documents/" + key,
            json.dumps(ops) if not isinstance(ops, (bytes, str)) else ops,
            headers)
        return st, h, json.loads(raw) if raw else None

    # --- batch get ---
    def test_batch_get(self):
        st, _, b = self.server.json(
            "POST", "/api/v1/collections/b/documents:batchGet",
            {"keys": ["k2", "nope", "k1", "bad key"]})
        self.assertEqual(st, 200, b)
        docs = b["documents"]
        self.assertEqual([d and d["_key"] for d in docs],
                         ["k2", None, "k1", None])
        self.assertEqual([(e["index"], e["status_code"]) for e in b["errors"]],
                         [(1, 404), (3, 400)])
        # deprecated /v1 alias serves the same
        st, h, _ = self.server.json("POST", "/v1/collections/b/documents:batchGet",
                                    {"keys": ["k1"]})
        self.assertEqual(st, 200)
        self.assertIn("deprecation", h)

    def test_batch_get_bad(self):
        s = self.server
        for body in ({"keys": "k1"}, {"nokeys": []}, {"keys": [1]},
                     {"keys": ["k"] * 1001}):
            st, h, b = s.json("POST", "/v1/collections/b/documents:batchGet",
                              body)
            self.assertEqual(st, 400, (body if len(str(body)) < 99 else "", b))
        st, _, raw = s.request("POST", "/v1/collections/b/documents:batchGet",
                               b"{not json", {"Content-Type": "application/json"})
        self.assertEqual(st, 400, raw)
        st, _, _ = s.json("POST", "/v1/collections/none/documents:batchGet",
                          {"keys": ["a"]})
        self.assertEqual(st, 404)
        # a document keyed like the route still answers as a document
        st, _, _ = s.json("PUT", "/v1/collections/b/documents/get", {"g": 1})
        self.assertEqual(st, 201)
        st, _, d = s.json("GET", "/v1/collections/b/documents/get")
        self.assertEqual((st, d["g"]), (200, 1))

    # --- single PATCH ---
    def test_merge_patch(self):
        st, _, d = self.patch("k1", {"a": None, "b": {"c": 1}}, MP)
        self.assertEqual(st, 200, d)
        self.assertNotIn("a", d)
        self.assertEqual(d["b"], {"c": 1})
        # plain application/json stays a merge patch (ThemisDB clients)
        st, _, d = self.patch("k1", {"z": 1}, {"Content-Type": "application/json"})
        self.assertEqual((st, d["z"]), (200, 1))
        st, _, b = self.patch("k1", "a=1", {"Content-Type": "text/plain"})
        self.assertEqual(st, 415, b)

    def test_json_patch_ops(self):
        _, etag = self.doc("k1")
        st, h, d = self.patch("k1", [
            {"op": "test", "path": "/a", "value": 1},
            {"op": "add", "path": "/list/-", "value": 3},
            {"op": "add", "path": "/list/0", "value": 0},
            {"op": "remove", "path": "/list/1"},
            {"op": "replace", "path": "/a", "value": "A"},
            {"op": "copy", "from": "/o", "path": "/o2"},
            {"op": "move", "from": "/o/x", "path": "/y"},
        ], dict(JP, **{"If-Match": etag}))
        self.assertEqual(st, 200, d)
        self.assertEqual(d["list"], [0, 2, 3])
        self.assertEqual((d["a"], d["o"], d["o2"], d["y"]),
                         ("A", {}, {"x": 1}, 1))
        self.assertNotEqual(h["etag"], etag)
        # RFC 6901 escapes: ~1 is '/', ~0 is '~'
        st, _, d = self.patch("k3", [{"op": "replace", "path": "/a~1b", "value": 7},
                                     {"op": "remove", "path": "/m~0n"}])
        self.assertEqual(st, 200, d)
        self.assertEqual(d["a/b"], 7)
        self.assertNotIn("m~n", d)

    def test_json_patch_errors_are_atomic(self):
        before, etag = self.doc("k1")
        cases = [
            ([{"op": "add", "path": "/n", "value": 1},
              {"op": "test", "path": "/a", "value": 2}], 409, 1),
            ([{"op": "remove", "path": "/a"},
              {"op": "remove", "path": "/nope"}], 422, 1),
            ([{"op": "add", "path": "a", "value": 1}], 400, 0),
            ([{"op": "add", "path": "/~2", "value": 1}], 400, 0),
            ([{"op": "add", "path": "/x"}], 400, 0),
            ([{"op": "frob", "path": "/x"}], 400, 0),
            ([{"op": "move", "from": "/o", "path": "/o/in"}], 422, 0),
            ([{"op": "add", "path": "/list/9", "value": 1}], 422, 0),
        ]
        for ops, status, index in cases:
            st, _, b = self.patch("k1", ops)
            self.assertEqual(st, status, (ops, b))
            self.assertEqual(b.get("operation"), index, b)
            self.assertIn("operation %d" % index, b["message"])
        # every operation applies, but a document must stay an object
        st, _, b = self.patch("k1", [{"op": "replace", "path": "",
                                      "value": [1]}])
        self.assertEqual(st, 422, b)
        self.assertIn("not a JSON object", b["message"])
        self.assertEqual(self.doc("k1"), (before, etag))
        for body in (b'{"op":"add"}', b"[1]", b"nope", b"[" * 5000):
            st, _, b = self.patch("k1", body)
            self.assertEqual(st, 400, (body[:20], b))
        st, _, b = self.patch("k1", [{"op": "test", "path": "/a", "value": 1}],
                              dict(JP, **{"If-Match": '"999999"'}))
        self.assertEqual(st, 412, b)
        st, _, _ = self.patch("nope", [])
        self.assertEqual(st, 404)
        # copying the document into itself: bounded, not a memory bomb
        bomb = [{"op": "copy", "from": "", "path": "/c%d" % i}
                for i in range(40)]
        st, _, b = self.patch("k1", bomb)
        self.assertIn(st, (400, 422), b)
        self.assertEqual(self.doc("k1"), (before, etag))

    # --- batch patch ---
    def test_batch_patch(self):
        _, etag2 = self.doc("k2")
        st, _, b = self.server.json("PATCH", "/api/v1/collections/b/documents", [
            {"_key": "k1", "patch": {"merged": True}},
            {"_key": "k2", "_rev": etag2.strip('"'),
             "patch": [{"op": "add", "path": "/p", "value": 1}]},
        ])
        self.assertEqual(st, 200, b)
        self.assertEqual([d["_key"] for d in b["documents"]], ["k1", "k2"])
        self.assertTrue(self.doc("k1")[0]["merged"])
        self.assertEqual(self.doc("k2")[0]["p"], 1)
        # one bad item: nothing of the batch is written
        before = (self.doc("k1"), self.doc("k2"))
        for items, status in (
                ([{"_key": "k1", "patch": {"x": 1}},
                  {"_key": "k2", "patch": [{"op": "test", "path": "/a",
                                            "value": 99}]}], 409),
                ([{"_key": "k1", "patch": {"x": 1}},
                  {"_key": "gone", "patch": {"x": 1}}], 404),
                ([{"_key": "k1", "patch": {"x": 1}},
                  {"_key": "k2", "_rev": "1", "patch": {"x": 1}}], 412),
                ([{"_key": "k1", "patch": {"x": 1}},
                  {"_key": "k1", "patch": {"y": 1}}], 400)):
            st, _, b = self.server.json("PATCH", "/v1/collections/b/documents",
                                        items)
            self.assertEqual(st, status, b)
            self.assertEqual(b["index"], 1, b)
        self.assertEqual((self.doc("k1"), self.doc("k2")), before)
        for body in ({"_key": "k1"}, [], [{"patch": {}}], [{"_key": "k1"}],
                     [{"_key": "k1", "patch": 5}]):
            st, _, b = self.server.json("PATCH", "/v1/collections/b/documents",
                                        body)
            self.assertEqual(st, 400, (body, b))

    # --- properties, statistics, truncate ---
    def test_properties_and_statistics(self):
        s = self.server
        st, _, p = s.json("GET", "/api/v1/collections/b/properties")
        self.assertEqual(st, 200, p)
        self.assertEqual((p["name"], p["type"], p["edge"]), ("b", "document", False))
        self.assertGreater(p["created_ms"], 1.6e12)
        st, _, ix = s.json("POST", "/api/v1/collections/b/indexes",
                           {"type": "persistent", "fields": ["a"], "name": "by_a"})
        self.assertIn(st, (200, 201), ix)
        st, _, t = s.json("GET", "/api/v1/collections/b/statistics")
        self.assertEqual(st, 200, t)
        self.assertEqual(t["count"], 3)
        self.assertGreater(t["documents_bytes"], 30)
        self.assertGreater(t["last_sequence"], 0)
        by_a = [i for i in t["indexes"] if i["name"] == "by_a"][0]
        self.assertEqual((by_a["entries"], by_a["pages"]), (3, 1))
        self.assertGreater(by_a["bytes"], 0)
        # an index over many pages: its interior pages hold entries too
        rows = "\n".join(json.dumps({"_key": "m%d" % i, "a": "%0200d" % i})
                         for i in range(3000))
        st, _, _ = s.request("POST", "/v1/collections/b/import", rows.encode(),
                             {"Content-Type": "application/x-ndjson"})
        self.assertIn(st, (200, 201))
        _, _, t = s.json("GET", "/api/v1/collections/b/statistics")
        by_a = [i for i in t["indexes"] if i["name"] == "by_a"][0]
        self.assertEqual(t["count"], 3003)
        self.assertEqual(by_a["entries"], 3003)
        self.assertGreater(by_a["pages"], 10)
        for path in ("/properties", "/statistics"):
            st, _, _ = s.json("GET", "/v1/collections/none" + path)
            self.assertEqual(st, 404)
            st, _, _ = s.json("GET", "/v1/collections/bad..name" + path)
            self.assertEqual(st, 400)

    def test_truncate(self):
        s = self.server
        tip = self.tip()
        st, _, b = s.json("PUT", "/api/v1/collections/b/truncate")
        self.assertEqual(st, 200, b)
        self.assertEqual((b["truncated"], b["removed"]), (True, 3))
        _, _, feed = s.json("GET", "/changefeed?from_seq=%d" % tip)
        gone = sorted(e["key"] for e in feed["events"]
                      if e["collection"] == "b" and e["type"] == "DELETE")
        self.assertEqual(gone, ["k1", "k2", "k3"])
        st, _, t = s.json("GET", "/v1/collections/b/statistics")
        self.assertEqual((t["count"], t["documents_bytes"]), (0, 0))
        # the collection stays and takes writes
        st, _, _ = s.json("PUT", "/v1/collections/b/documents/again", {"a": 1})
        self.assertEqual(st, 201)
        st, _, _ = s.json("PUT", "/v1/collections/none/truncate")
        self.assertEqual(st, 404)

    # --- AQL validate and explain ---
    def test_query_validate(self):
        s = self.server
        st, _, b = s.json("POST", "/api/v1/query/validate", {
            "query": "FOR d IN b FILTER d.a == @a FOR x IN @@c RETURN x",
            "bindVars": {"a": 1, "@c": "b"}})
        self.assertEqual(st, 200, b)
        self.assertEqual(b, {"valid": True, "bindVars": ["@c", "a"],
                             "collections": ["b"], "modifies": False})
        st, _, b = s.json("POST", "/v1/query/validate",
                          {"query": "FOR d IN b\n  FILTER d.a ==\n RETURN"})
        self.assertEqual(st, 400, b)
        self.assertEqual((b["error_kind"], b["line"]), ("parse", 3), b)
        self.assertGreater(b["column"], 0)
        st, _, b = s.json("POST", "/v1/query/validate",
                          {"query": "FOR d IN nope RETURN d"})
        self.assertEqual(st, 404, b)
        st, _, b = s.json("POST", "/v1/query/validate",
                          {"query": "RETURN @x", "bindVars": {}})
        self.assertEqual(st, 400, b)
        st, _, b = s.json("POST", "/v1/query/validate",
                          {"query": "RETURN 1", "bindVars": {"y": 1}})
        self.assertEqual(st, 400, b)
        for body in ({}, {"query": 5}, {"query": ""}, ["RETURN 1"]):
            st, _, _ = s.json("POST", "/v1/query/validate", body)
            self.assertEqual(st, 400, body)
        # nothing ran: an INSERT validates without writing
        st, _, b = s.json("POST", "/v1/query/validate",
                          {"query": "INSERT {_key: 'v'} INTO b"})
        self.assertEqual((st, b["modifies"]), (200, True), b)
        st, _, _ = s.json("GET", "/v1/collections/b/documents/v")
        self.assertEqual(st, 404)

    def test_query_explain(self):
        st, _, b = self.server.json("POST", "/api/v1/query/explain", {
            "query": "FOR d IN b FILTER d._key == 'k1' RETURN d"})
        self.assertEqual(st, 200, b)
        self.assertIn("plan", b)
        self.assertIn("ast", b)
        st, _, b = self.server.json("POST", "/v1/query/explain",
                                    {"query": "FOR"})
        self.assertEqual(st, 400, b)

    def test_registry_documents_them(self):
        st, _, doc = self.server.json("GET", "/openapi.json")
        paths = doc["paths"]
        for p in ("/api/v1/collections/{c}/documents:batchGet",
                  "/api/v1/collections/{c}/properties",
                  "/api/v1/collections/{c}/statistics",
                  "/api/v1/collections/{c}/truncate",
                  "/api/v1/query/validate", "/api/v1/query/explain",
                  "/api/v1/admin/config"):
            self.assertIn(p, paths)
        body = paths["/api/v1/collections/{c}/documents/{key}"]["patch"][
            "requestBody"]["content"]
        self.assertIn("application/json-patch+json", body)
        self.assertIn("application/merge-patch+json", body)
        self.assertEqual(paths["/api/v1/query/validate"]["post"][
            "x-rate-limit-group"], "query")


SECRET = "breadth test secret, long enough!"


class AdminConfigTest(ServerTest):
    server_args = (
        "--set", "auth.jwt_secret=" + SECRET,
        "--set", "mqtt.users=meter:meterpw,other:pw2",
        "--set", "tracing.headers=Authorization: Bearer tracetoken",
        "--set", "cache.purge_url=https://u:purgepass@cdn.example/purge",
    )
    server_env = {"THEMIS_AUTH_REQUIRED": "true"}

    def test_redacted(self):
        root = bearer(make_jwt(SECRET, "root", scope="admin"))
        st, _, raw = self.server.request("GET", "/api/v1/admin/config", None, root)
        self.assertEqual(st, 200, raw)
        text = raw.decode()
        for secret in (SECRET, "meterpw", "pw2", "tracetoken", "purgepass"):
            self.assertNotIn(secret, text)
        c = json.loads(text)
        self.assertEqual(c["auth"]["jwt_secret"], "***")
        self.assertEqual(c["mqtt"]["users"], "meter:***,other:***")
        self.assertEqual(c["tracing"]["headers"], "***")
        self.assertEqual(c["cache"]["purge_url"],
                         "https://u:***@cdn.example/purge")
        self.assertEqual(c["http"]["port"], self.server.port)
        self.assertIs(c["auth"]["required"], True)

    def test_refused(self):
        st, _, _ = self.server.request("GET", "/api/v1/admin/config")
        self.assertEqual(st, 401)
        reader = bearer(make_jwt(SECRET, "r", scope="data:read"))
        st, _, _ = self.server.request("GET", "/api/v1/admin/config", None, reader)
        self.assertEqual(st, 403)
        tenant_admin = bearer(make_jwt(SECRET, "t", tenant="acme", scope="admin"))
        st, _, _ = self.server.request("GET", "/api/v1/admin/config", None,
                                    tenant_admin)
        self.assertEqual(st, 403)


class RateGroupTest(ServerTest):
    """rate_limiting.groups: the registry's group of the operation a
    request reaches has its own limit per client, on top of the prefix
    rule (here generous); 429 with Retry-After and the group's RateLimit
    fields; counted per group in /metrics."""

    server_args = (
        "--set", "rate_limiting.enabled=true",
        "--set", "rate_limiting.rules=/ 10000/1s",
        "--set", "rate_limiting.groups=query 3/1m, bulk 1/1m key=global",
    )

    def test_query_group(self):
        s = self.server
        q = {"query": "RETURN 1"}
        # /v1/query/validate, /query/aql and /api/v1/query share "query"
        for path in ("/api/v1/query/validate", "/query/aql",
                     "/api/v1/query/explain"):
            st, _, _ = s.json("POST", path, q)
            self.assertIn(st, (200, 201), path)
        st, h, b = s.json("POST", "/v1/query/validate", q)
        self.assertEqual(st, 429, b)
        self.assertGreaterEqual(int(h["retry-after"]), 1)
        self.assertIn('"query"', h["ratelimit-policy"])
        self.assertEqual(h["x-ratelimit-limit"], "3")
        # other groups are not touched: documents (default) still answer
        st, _, _ = s.json("GET", "/v1/collections")
        self.assertEqual(st, 200)
        st, _, body = s.request("GET", "/metrics")
        text = body.decode()
        self.assertIn('themis_rate_group_requests_total{group="query",'
                      'outcome="refused"} 1', text)
        self.assertIn('themis_rate_group_requests_total{group="query",'
                      'outcome="allowed"} 3', text)

    def test_bulk_group_is_global(self):
        s = self.server
        st, _, _ = s.json("POST", "/v1/collections", {"name": "rg"})
        st, _, _ = s.request("POST", "/v1/collections/rg/import",
                             b'{"_key":"a"}\n',
                             {"Content-Type": "application/x-ndjson"})
        self.assertIn(st, (200, 201))
        st, _, _ = s.request("GET", "/api/v1/collections/rg/export")
        self.assertEqual(st, 429)


if __name__ == "__main__":
    unittest.main()
