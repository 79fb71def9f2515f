"""REST API round trips against the real themisd: collections, documents
with revisions, ThemisDB entities, NDJSON bulk, errors, CORS, metrics."""

import json
import subprocess
import unittest

from themis_harness import ServerTest


class ApiTest(ServerTest):
    server_args = ("--set", "cors.allowed_origins=https://app.example")

    def assert_error(self, st, body, status):
        self.assertEqual(st, status, body)
        self.assertEqual(body["error"], True)
        self.assertEqual(body["status_code"], status)
        self.assertTrue(body["message"])

    def test_health_endpoints(self):
        for path in ("/health", "/health/live", "/health/ready"):
            st, h, body = self.server.json("GET", path)
            self.assertEqual(st, 200, path)
            self.assertEqual(h["content-type"], "application/json")
        st, _, body = self.server.json("GET", "/health/ready")
        self.assertEqual(body["status"], "ready")

    def test_collection_lifecycle(self):
        st, h, body = self.server.json("POST", "/v1/collections",
                                       {"name": "lifecycle"})
        self.assertEqual(st, 201)
        self.assertEqual(h["location"], "/v1/collections/lifecycle")
        st, _, body = self.server.json("POST", "/v1/collections",
                                       {"name": "lifecycle"})
        self.assert_error(st, body, 409)
        st, _, body = self.server.json("POST", "/v1/collections",
                                       {"name": "bad name!"})
        self.assert_error(st, body, 400)
        st, _, body = self.server.json("POST", "/v1/collections", "{nope")
        self.assert_error(st, body, 400)
        st, _, body = self.server.json("GET", "/v1/collections")
        self.assertIn("lifecycle", [c["name"] for c in body["collections"]])
        st, _, body = self.server.json("DELETE", "/v1/collections/lifecycle")
        self.assertEqual(st, 200)
        st, _, body = self.server.json("DELETE", "/v1/collections/lifecycle")
        self.assert_error(st, body, 404)

    def test_document_crud_with_etags(self):
        self.server.json("POST", "/v1/collections", {"name": "docs"})
        base = "/v1/collections/docs/documents"
        st, h, doc = self.server.json("POST", base, {"name": "gen"})
        self.assertEqual(st, 201)
        self.assertTrue(doc["_key"])
        self.assertEqual(h["location"], base + "/" + doc["_key"])
        self.assertEqual(h["etag"], '"%s"' % doc["_rev"])

        st, h, doc = self.server.json("PUT", base + "/k1", {"v": 1})
        self.assertEqual(st, 201)
        rev1 = doc["_rev"]
        st, h, doc = self.server.json("GET", base + "/k1")
        self.assertEqual((st, doc["v"], doc["_key"]), (200, 1, "k1"))
        self.assertEqual(h["etag"], '"%s"' % rev1)

        st, h, _ = self.server.request("GET", base + "/k1",
                                       headers={"If-None-Match": h["etag"]})
        self.assertEqual(st, 304)

        st, _, body = self.server.json("PUT", base + "/k1", {"v": 2},
                                       {"If-Match": '"not-the-rev"'})
        self.assert_error(st, body, 412)
        st, _, doc = self.server.json("PUT", base + "/k1", {"v": 2},
                                      {"If-Match": '"%s"' % rev1})
        self.assertEqual(st, 200)
        rev2 = doc["_rev"]
        self.assertNotEqual(rev1, rev2)

        st, _, doc = self.server.json("PATCH", base + "/k1", {"w": 3})
        self.assertEqual((st, doc["v"], doc["w"]), (200, 2, 3))
        st, _, body = self.server.json("PATCH", base + "/missing", {"w": 3})
        self.assert_error(st, body, 404)

        st, _, body = self.server.json("POST", base, {"_key": "k1"})
        self.assert_error(st, body, 409)
        st, _, body = self.server.json("POST", base, [1, 2])
        self.assert_error(st, body, 400)
        st, _, body = self.server.json("POST", base, "not json")
        self.assert_error(st, body, 400)

        st, _, body = self.server.json("DELETE", base + "/k1",
                                       headers={"If-Match": '"%s"' % rev1})
        self.assert_error(st, body, 412)
        st, _, body = self.server.json("DELETE", base + "/k1")
        self.assertEqual(st, 200)
        st, _, body = self.server.json("GET", base + "/k1")
        self.assert_error(st, body, 404)
        st, _, body = self.server.json("GET", "/v1/collections/nope/documents/x")
        self.assert_error(st, body, 404)
        st, _, body = self.server.json("POST", "/v1/collections/nope/documents",
                                       {})
        self.assert_error(st, body, 404)

    def test_stable_paging(self):
        self.server.json("POST", "/v1/collections", {"name": "paged"})
        keys = ["p%03d" % i for i in range(23)]
        for k in keys:
            st, _, _ = self.server.json(
                "PUT", "/v1/collections/paged/documents/" + k, {"k": k})
            self.assertEqual(st, 201)
        seen, after = [], ""
        for _ in range(10):
            st, _, body = self.server.json(
                "GET", "/v1/collections/paged/documents?limit=5&after=" + after)
            self.assertEqual(st, 200)
            seen += [d["_key"] for d in body["documents"]]
            if body["next_after"] is None:
                break
            after = body["next_after"]
        self.assertEqual(seen, keys)
        st, _, body = self.server.json(
            "GET", "/v1/collections/paged/documents?limit=0")
        self.assert_error(st, body, 400)

    def test_entities_compat(self):
        blob = json.dumps({"name": "Alice", "age": 30})
        st, _, body = self.server.json("PUT", "/entities/users:alice",
                                       {"blob": blob})
        self.assertIn(st, (200, 201))
        self.assertTrue(body["success"])
        st, _, body = self.server.json("GET", "/entities/users:alice")
        self.assertEqual(st, 200)
        self.assertEqual(body["key"], "users:alice")
        self.assertEqual(json.loads(body["blob"])["name"], "Alice")
        # ThemisDB keeps any text as a blob
        st, _, body = self.server.json("PUT", "/entities/users:bob",
                                       {"blob": "not json"})
        self.assertEqual(st, 201)
        st, _, body = self.server.json("GET", "/entities/users:bob")
        self.assertEqual(body["blob"], "not json")
        st, _, body = self.server.json("PUT", "/entities/users:bob",
                                       {"blob": 5})
        self.assert_error(st, body, 400)
        st, _, body = self.server.json("GET", "/entities/nocolon")
        self.assert_error(st, body, 400)
        st, _, body = self.server.json("DELETE", "/entities/users:alice")
        self.assertEqual(st, 200)
        st, _, body = self.server.json("GET", "/entities/users:alice")
        self.assert_error(st, body, 404)

    def test_entity_batch_reports_per_operation_and_is_bounded(self):
        ops = [{"op": "put", "key": "batch:%d" % i,
                "blob": json.dumps({"i": i})} for i in range(50)]
        st, _, body = self.server.json("POST", "/entities/batch",
                                       {"operations": ops})
        self.assertEqual(st, 200, body)
        self.assertEqual((body["success"], body["succeeded"]), (True, 50))
        # ThemisDB's batch: the good operations commit, the bad ones are
        # reported by index (a missing key's delete is not an error)
        ops = [{"op": "put", "key": "batch:new", "blob": "{}"},
               {"op": "delete", "key": "batch:missing"},
               {"op": "put", "key": "batch:bad", "blob": 5}]
        st, _, body = self.server.json("POST", "/entities/batch",
                                       {"operations": ops})
        self.assertEqual(st, 200, body)
        self.assertEqual((body["succeeded"], body["failed"]), (2, 1))
        self.assertEqual(body["errors"][0]["index"], 2)
        st, _, _ = self.server.json("GET", "/entities/batch:new")
        self.assertEqual(st, 200)
        too_many = [{"op": "delete", "key": "batch:%d" % i}
                    for i in range(10001)]
        st, _, body = self.server.json("POST", "/entities/batch",
                                       {"operations": too_many})
        self.assert_error(st, body, 400)

    def test_ndjson_bulk(self):
        st, _, body = self.server.json("POST", "/v2/documents?collection=bulk",
                                       "{}")
        self.assert_error(st, body, 415)
        lines = "\n".join([json.dumps({"_key": "a", "v": 1}),
                           json.dumps({"v": 2}),
                           "{broken",
                           json.dumps({"_key": "bad/key"}),
                           ""])
        st, _, body = self.server.json(
            "POST", "/v2/documents?collection=bulk", lines,
            {"Content-Type": "application/x-ndjson"})
        self.assertEqual(st, 207, body)
        self.assertEqual((body["succeeded"], body["failed"]), (2, 2))
        statuses = [r["status"] for r in body["results"]]
        self.assertEqual(statuses, [201, 201, 400, 400])
        st, _, body = self.server.json(
            "POST", "/v2/documents?collection=bulk",
            json.dumps({"_key": "b"}) + "\n",
            {"Content-Type": "application/x-ndjson; charset=utf-8"})
        self.assertEqual(st, 200, body)

    def test_unknown_route_and_method(self):
        st, _, body = self.server.json("GET", "/no/such/route")
        self.assert_error(st, body, 404)
        # /health answers every method (ThemisDB); /health/ready only GET
        st, h, body = self.server.json("PUT", "/health/ready")
        self.assert_error(st, body, 405)
        self.assertIn("GET", h["allow"])

    def test_request_id_echoed_or_generated(self):
        _, h, _ = self.server.request("GET", "/health",
                                      headers={"X-Request-ID": "abc-123"})
        self.assertEqual(h["x-request-id"], "abc-123")
        _, h1, _ = self.server.request("GET", "/health")
        _, h2, _ = self.server.request("GET", "/health")
        self.assertEqual(len(h1["x-request-id"]), 32)
        self.assertNotEqual(h1["x-request-id"], h2["x-request-id"])

    def test_cors(self):
        st, h, _ = self.server.request(
            "OPTIONS", "/v1/collections",
            headers={"Origin": "https://app.example",
                     "Access-Control-Request-Method": "POST"})
        self.assertEqual(st, 204)
        self.assertEqual(h["access-control-allow-origin"], "https://app.example")
        self.assertIn("POST", h["access-control-allow-methods"])
        st, h, _ = self.server.request("GET", "/health",
                                       headers={"Origin": "https://app.example"})
        self.assertEqual(h["access-control-allow-origin"], "https://app.example")
        self.assertIn("Origin", h["vary"])
        st, h, _ = self.server.request("GET", "/health",
                                       headers={"Origin": "https://evil.example"})
        self.assertNotIn("access-control-allow-origin", h)
        st, _, _ = self.server.request(
            "OPTIONS", "/v1/collections",
            headers={"Origin": "https://evil.example",
                     "Access-Control-Request-Method": "POST"})
        self.assertEqual(st, 403)

    def test_head_matches_get_without_body(self):
        st, h, body = self.server.request("HEAD", "/health")
        self.assertEqual(st, 200)
        self.assertEqual(body, b"")
        self.assertGreater(int(h["content-length"]), 0)

    def test_metrics_prometheus_text(self):
        self.server.request("GET", "/health")
        st, h, body = self.server.request("GET", "/metrics")
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/plain"))
        text = body.decode()
        self.assertIn('themis_http_requests_total{route="/health",status="200"}',
                      text)
        self.assertIn("themis_http_request_duration_seconds_bucket", text)
        self.assertIn("themis_open_connections", text)
        self.assertIn('themis_mailbox_depth{actor="store_writer"}', text)
        self.assertIn('themis_mailbox_depth{actor="changefeed_hub"}', text)
        self.assertIn("themis_changefeed_subscribers", text)
        self.assertIn("themis_engine_commits_total", text)

    def test_curl_round_trip(self):
        url = "http://127.0.0.1:%d/entities/curl:one" % self.server.port
        out = subprocess.run(
            ["curl", "-sS", "-X", "PUT", "-H", "Content-Type: application/json",
             "--data", json.dumps({"blob": json.dumps({"via": "curl"})}),
             "-w", "\n%{http_code}", url],
            capture_output=True, text=True, timeout=30)
        self.assertIn(out.stdout.strip().splitlines()[-1], ("200", "201"))
        out = subprocess.run(["curl", "-sS", url], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(json.loads(json.loads(out.stdout)["blob"])["via"],
                         "curl")


if __name__ == "__main__":
    unittest.main(verbosity=2)
