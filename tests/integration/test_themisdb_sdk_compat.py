"""ThemisDB's own SDKs against themisd: the exact requests ThemisDB's
Python (themisdb-client 0.1.0b1), JavaScript (@themisdb/client
0.1.0-beta.1) and Go (clients/go) SDKs send, written from their source at
ThemisDB commit e975014, checking the fields those SDKs read. The SDKs'
code is not part of this project; these are the calls they make.

Entity keys are "{model}.{namespace}.{collection}:{uuid}" (Python/JS),
the Go SDK uses /api/{model}/{collection}/{uuid}; both reach the same
collection "{model}__default__{collection}"."""

import json
import unittest
import uuid

from themis_harness import Server, ServerTest
from tokens import bearer, make_jwt

SECRET = "sdk-compat-secret-0123456789abcdef"


def blob_of(payload):
    """What the Python and JavaScript SDKs do with a GET answer."""
    if "entity" in payload:
        return payload["entity"]
    blob = payload.get("blob")
    return json.loads(blob) if isinstance(blob, str) else blob


def items_of(payload):
    """Python's _parse_query_payload / JS parseQueryResult."""
    if "entities" in payload:
        rows = payload["entities"]
    elif "items" in payload:
        rows = payload["items"]
    else:
        return []
    return [json.loads(r) if isinstance(r, str) else r for r in rows]


class SdkCompatTest(ServerTest):

    def call(self, method, path, body=None, headers=None):
        return self.server.json(method, path, body, headers)

    def key(self, coll, pk, model="relational", ns="default"):
        return "%s.%s.%s:%s" % (model, ns, coll, pk)

    # -- connect: health and topology -------------------------------------
    def test_health_as_sdks_read_it(self):
        for method in ("GET", "POST", "HEAD"):
            st, h, _ = self.server.request(method, "/health")
            self.assertEqual(st, 200, method)
        st, _, body = self.call("GET", "/health")
        self.assertEqual(body["status"], "healthy")
        self.assertEqual(body["database"], "themis")
        self.assertIn("version", body)
        self.assertIsInstance(body["uptime_seconds"], int)
        st, _, root = self.call("GET", "/")
        self.assertEqual((st, root["status"]), (200, "healthy"))
        for path in ("/health/live", "/health/ready"):
            st, _, body = self.call("GET", path)
            self.assertEqual(st, 200, path)
            c = body["checks"]
            self.assertIs(c["server_running"], True)
            self.assertIs(c["storage_available"], True)
            for k in ("active_connections", "active_requests",
                      "memory_rss_bytes"):
                self.assertIsInstance(c[k], int, k)
            self.assertGreater(c["memory_rss_bytes"], 0)
            self.assertEqual(c["concerns"], [])

    def test_topology_parsed_as_js_and_python_do(self):
        st, _, body = self.call("GET", "/_admin/cluster/topology")
        self.assertEqual(st, 200)
        endpoints = set()
        for shard in body["shards"]:
            for k in ("endpoint", "http_endpoint"):
                if k in shard:
                    endpoints.add(shard[k].rstrip("/"))
        self.assertEqual(endpoints, {"http://127.0.0.1:%d" % self.server.port})
        # the endpoint it names answers
        st, _, _ = self.call("GET", "/health")
        self.assertEqual(st, 200)

    # -- Python / JavaScript entity calls ---------------------------------
    def test_put_get_delete_entity(self):
        k = self.key("users", uuid.uuid4().hex)
        doc = {"name": "Ada", "age": 36, "tags": ["x"], "nested": {"a": 1}}
        st, _, body = self.call("PUT", "/entities/" + k,
                                {"blob": json.dumps(doc)})
        self.assertEqual(st, 201, body)
        self.assertEqual((body["success"], body["key"]), (True, k))
        self.assertEqual(body["blob_size"], len(json.dumps(doc)))
        st, _, body = self.call("GET", "/entities/" + k)
        self.assertEqual(st, 200)
        self.assertEqual(body["key"], k)
        self.assertIsInstance(body["blob"], str)
        self.assertEqual(blob_of(body), doc)  # no _key/_rev added
        st, _, body = self.call("GET", "/entities/" + k + "?decrypt=true")
        self.assertEqual((st, body["decrypted"], body["entity"]),
                         (200, True, doc))
        st, _, body = self.call("DELETE", "/entities/" + k)
        self.assertEqual((st, body["success"]), (200, True))
        st, _, body = self.call("GET", "/entities/" + k)
        self.assertEqual(st, 404)  # the SDKs' "None"
        # ThemisDB answers 200 to a delete of a missing key
        st, _, body = self.call("DELETE", "/entities/" + k)
        self.assertEqual((st, body["success"], body["deleted"]),
                         (200, True, False))

    def test_any_blob_text_round_trips(self):
        # ThemisDB stores a blob as text: strings, arrays, numbers and text
        # that is not JSON come back verbatim
        for i, blob in enumerate(["plain text", "[1, 2, 3]", "42", "",
                                  '{"_blob": "x"}', '"quoted"']):
            k = self.key("blobs", str(i))
            st, _, body = self.call("PUT", "/entities/" + k, {"blob": blob})
            self.assertEqual((st, body["blob_size"]), (201, len(blob)), blob)
            st, _, body = self.call("GET", "/entities/" + k)
            self.assertEqual((st, body["blob"]), (200, blob))
        # the ThemisDB changefeed carries the blob as the SDKs stored it
        st, _, feed = self.call("GET", "/changefeed?format=themisdb&"
                                "key_prefix=relational.default.blobs:")
        values = {e["key"].rsplit(":", 1)[1]: e["value"]
                  for e in feed["events"]}
        self.assertEqual(values["0"], "plain text")
        self.assertEqual(values["1"], "[1, 2, 3]")
        st, _, body = self.call("GET", "/entities/" + self.key("blobs", "1") +
                                "?decrypt=true")
        self.assertEqual(body["entity"], [1, 2, 3])
        st, _, body = self.call("GET", "/entities/" + self.key("blobs", "0") +
                                "?decrypt=true")
        self.assertEqual(body["entity"], "plain text")

    def test_hostile_blobs(self):
        # 100k nesting inside the blob text: refused like any deep JSON
        # body; a 10 MB blob within the body limit round-trips
        k = self.key("hostile", "deep")
        deep = "[" * 100000 + "]" * 100000
        st, _, body = self.call("PUT", "/entities/" + k, {"blob": deep})
        self.assertEqual(st, 400, body)
        big = self.key("hostile", "big")
        st, _, _ = self.call("PUT", "/entities/" + big,
                             {"blob": json.dumps({"f": "x" * 10_000_000})})
        self.assertEqual(st, 201)
        st, _, body = self.call("GET", "/entities/" + big)
        self.assertEqual(len(json.loads(body["blob"])["f"]), 10_000_000)
        st, _, _ = self.call("GET", "/health")
        self.assertEqual(st, 200)

    def test_post_entities_body_key_wins(self):
        k = self.key("items", "p1")
        st, _, body = self.call("POST", "/entities",
                                {"key": k, "blob": '{"v": 1}'})
        self.assertEqual((st, body["key"]), (201, k))
        other = self.key("items", "p2")
        st, _, body = self.call("PUT", "/entities/" + other,
                                {"key": k, "blob": '{"v": 2}'})
        self.assertEqual((st, body["key"]), (201, k))
        _, _, got = self.call("GET", "/entities/" + k)
        self.assertEqual(blob_of(got), {"v": 2})
        st, _, _ = self.call("GET", "/entities/" + other)
        self.assertEqual(st, 404)
        st, _, body = self.call("PUT", "/entities/" + k + "?write_concern="
                                "majority", {"blob": '{"v": 3}'})
        self.assertEqual(st, 201)

    def test_entity_bad_input(self):
        cases = [
            ("PUT", "/entities/nocolon", {"blob": "{}"}),
            ("PUT", "/entities/a..b:1", {"blob": "{}"}),
            ("PUT", "/entities/" + self.key("u", "1"), {"no": "blob"}),
            ("PUT", "/entities/" + self.key("u", "1"), {"blob": 5}),
            ("PUT", "/entities/" + self.key("u", "1"),
             {"blob": "{}", "key": 7}),
            ("POST", "/entities", {"blob": "{}"}),
            ("PUT", "/entities/" + self.key("u", "1") + "?write_concern=a%20b",
             {"blob": "{}"}),
        ]
        for method, path, body in cases:
            st, _, out = self.call(method, path, body)
            self.assertEqual(st, 400, (path, body, out))
            self.assertEqual((out["error"], out["status_code"]), (True, 400))

    def test_batch_reports_bad_operations_and_commits_good(self):
        ops = [{"op": "put", "key": self.key("batch", "1"), "blob": '{"n":1}'},
               {"op": "put", "key": "nocolon", "blob": "{}"},
               {"op": "put", "key": self.key("batch", "2"), "blob": 5},
               {"op": "delete", "key": self.key("batch", "missing")},
               {"op": "put", "key": self.key("batch", "3"), "blob": '{"n":3}'}]
        st, _, body = self.call("POST", "/entities/batch", {"operations": ops})
        self.assertEqual(st, 200, body)
        self.assertEqual((body["success"], body["total"], body["succeeded"],
                          body["failed"]), (False, 5, 3, 2))
        self.assertEqual([e["index"] for e in body["errors"]], [1, 2])
        self.assertEqual(body["errors"][0]["key"], "nocolon")
        for pk, n in (("1", 1), ("3", 3)):
            _, _, got = self.call("GET", "/entities/" + self.key("batch", pk))
            self.assertEqual(blob_of(got), {"n": n})
        st, _, body = self.call(
            "POST", "/entities/batch",
            {"operations": [{"op": "delete", "key": "a:b"}] * 10001})
        self.assertEqual(st, 400)

    # -- queries ----------------------------------------------------------
    def seed(self, coll, n):
        for i in range(n):
            st, _, _ = self.call("PUT", "/entities/" + self.key(coll, str(i)),
                                 {"blob": json.dumps({"i": i, "g": i % 2})})
            self.assertEqual(st, 201)

    def test_query_with_params_as_sdks_send(self):
        self.seed("q", 6)
        st, _, body = self.call("POST", "/query/aql", {
            "query": "FOR d IN relational__default__q FILTER d.g == @g "
                     "SORT d.i RETURN d.i",
            "params": {"g": 1}})
        self.assertEqual(st, 200, body)
        self.assertEqual(items_of(body), [1, 3, 5])
        self.assertEqual(body["count"], 3)
        self.assertEqual(body["result"], body["entities"])
        self.assertEqual(body["table"], "relational.default.q")
        # a dotted ThemisDB table through a collection bind
        st, _, body = self.call("POST", "/api/aql", {
            "query": "FOR d IN @@t FILTER d.i < @n RETURN d.i",
            "params": {"@t": "relational.default.q", "n": 2}})
        self.assertEqual(st, 200, body)
        self.assertEqual(sorted(items_of(body)), [0, 1])
        # explain adds query, ast and plan
        st, _, body = self.call("POST", "/query/aql", {
            "query": "FOR d IN relational__default__q FILTER d.i == 1 "
                     "RETURN d", "explain": True})
        self.assertEqual(st, 200, body)
        self.assertIn("FILTER", [c["type"] for c in body["ast"]["clauses"]])
        self.assertEqual(body["plan"]["mode"], "filtered_scan")
        self.assertEqual(len(items_of(body)), 1)
        # a missing bind value is a 400 with ThemisDB's error body
        st, _, body = self.call("POST", "/query/aql", {
            "query": "FOR d IN relational__default__q FILTER d.g == @g "
                     "RETURN d"})
        self.assertEqual((st, body["error"]), (400, True))

    def test_cursor_query_pages(self):
        self.seed("cur", 5)
        req = {"query": "FOR d IN relational__default__cur SORT d.i "
                        "RETURN d.i", "use_cursor": True, "batch_size": 2}
        seen, pages = [], 0
        st, _, body = self.call("POST", "/query/aql", req)
        while True:
            self.assertEqual(st, 200, body)
            pages += 1
            self.assertEqual(body["batch_size"], 2)
            seen += items_of(body)
            if not body["has_more"]:
                self.assertNotIn("next_cursor", body)
                break
            st, _, body = self.call("POST", "/query/aql",
                                    dict(req, cursor=body["next_cursor"]))
        self.assertEqual((seen, pages), ([0, 1, 2, 3, 4], 3))
        st, _, body = self.call("POST", "/query/aql",
                                dict(req, cursor="0" * 32))
        self.assertEqual(st, 404)

    def test_structured_query_and_stream(self):
        self.seed("sq", 6)
        st, _, body = self.call("POST", "/query", {
            "table": "relational.default.sq",
            "predicates": [{"column": "g", "value": 0}],
            "range": [{"column": "i", "gte": 1, "lte": 4,
                       "includeUpper": False}],
            "order_by": {"column": "i", "desc": True, "limit": 10}})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["table"], "relational.default.sq")
        self.assertEqual([e["i"] for e in body["entities"]], [2])
        st, _, body = self.call("POST", "/query", {
            "table": "relational.default.sq", "return": "keys",
            "order_by": {"column": "i", "limit": 3}, "explain": True})
        self.assertEqual((st, body["keys"], body["count"]),
                         (200, ["0", "1", "2"], 3))
        self.assertIn("mode", body["plan"])
        for bad in ({}, {"table": "a..b"},
                    {"table": "t", "predicates": [{"column": "x"}]},
                    {"table": "t", "range": [{"gte": 1}]},
                    {"table": "t", "order_by": {"desc": True}},
                    {"table": "t", "return": "rows"},
                    {"table": "t", "predicates": [{"column": "x",
                                                   "value": {}}]}):
            st, _, out = self.call("POST", "/query", bad)
            self.assertEqual(st, 400, (bad, out))
        # an injection attempt is a value, not query text
        st, _, body = self.call("POST", "/query", {
            "table": "relational.default.sq",
            "predicates": [{"column": "g] RETURN 1 //", "value": "x"}]})
        self.assertEqual((st, body["count"]), (200, 0))
        import urllib.parse
        q = urllib.parse.quote("FOR d IN relational__default__sq "
                               "FILTER d.i < @n SORT d.i RETURN d.i")
        st, h, raw = self.server.request(
            "GET", "/v2/query/stream?query=%s&params=%s" %
            (q, urllib.parse.quote('{"n": 3}')))
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/event-stream"))
        events = [e for e in raw.decode().split("\n\n") if e.strip()]
        rows = [json.loads(e.split("data: ", 1)[1]) for e in events
                if "event: row" in e]
        self.assertEqual(rows, [0, 1, 2])
        self.assertIn('event: done\ndata: {"count":3}', raw.decode())
        st, _, _ = self.server.request("GET", "/v2/query/stream")
        self.assertEqual(st, 400)
        st, _, _ = self.server.request("GET", "/v2/query/stream?query=FOR&"
                                    "params=%7B")
        self.assertEqual(st, 400)

    # -- transactions -----------------------------------------------------
    def begin(self, body):
        st, _, out = self.call("POST", "/transaction/begin", body)
        self.assertEqual(st, 200, out)
        self.assertEqual(out["status"], "active")
        self.assertIsInstance(out["transaction_id"], str)
        return out["transaction_id"]

    def test_transaction_commit_read_your_writes_no_dirty_read(self):
        tx = self.begin({"isolation": "read_committed"})
        h = {"X-Transaction-Id": tx}
        k = self.key("txu", "1")
        st, _, _ = self.call("PUT", "/entities/" + k, {"blob": '{"v": 1}'}, h)
        self.assertEqual(st, 201)
        _, _, got = self.call("GET", "/entities/" + k, headers=h)
        self.assertEqual(blob_of(got), {"v": 1})  # read your own write
        st, _, _ = self.call("GET", "/entities/" + k)
        self.assertEqual(st, 404)  # no dirty read outside
        st, _, body = self.call("POST", "/query/aql", {
            "query": "FOR d IN relational__default__txu RETURN d.v"},
            headers=h)
        self.assertEqual((st, items_of(body)), (200, [1]))
        st, _, body = self.call("POST", "/query/aql", {
            "query": "FOR d IN relational__default__txu RETURN d.v"})
        self.assertEqual(st, 404)  # the collection is not committed yet
        st, _, body = self.call("POST", "/transaction/commit",
                                {"transaction_id": tx}, h)
        self.assertEqual((st, body["status"], body["transaction_id"]),
                         (200, "committed", tx))
        _, _, got = self.call("GET", "/entities/" + k)
        self.assertEqual(blob_of(got), {"v": 1})
        st, _, body = self.call("PUT", "/entities/" + k, {"blob": "{}"}, h)
        self.assertEqual(st, 404)  # ended
        st, _, body = self.call("POST", "/transaction/commit",
                                {"transaction_id": tx})
        self.assertEqual(st, 404)

    def test_transaction_rollback_discards(self):
        k = self.key("txr", "1")
        self.call("PUT", "/entities/" + k, {"blob": '{"v": "old"}'})
        tx = self.begin({"isolation": "snapshot"})
        h = {"X-Transaction-Id": tx}
        self.call("PUT", "/entities/" + k, {"blob": '{"v": "new"}'}, h)
        self.call("DELETE", "/entities/" + self.key("txr", "1"), headers=h)
        st, _, _ = self.call("GET", "/entities/" + k, headers=h)
        self.assertEqual(st, 404)  # deleted inside
        st, _, body = self.call("POST", "/transaction/rollback",
                                {"transaction_id": tx}, h)
        self.assertEqual((st, body["status"]), (200, "rolled_back"))
        _, _, got = self.call("GET", "/entities/" + k)
        self.assertEqual(blob_of(got), {"v": "old"})

    def test_snapshot_conflict_first_committer_wins(self):
        k = self.key("txc", "1")
        self.call("PUT", "/entities/" + k, {"blob": '{"v": 0}'})
        a, b = self.begin({"isolation": "snapshot"}), \
            self.begin({"isolation": "snapshot"})
        for tx, v in ((a, 1), (b, 2)):
            h = {"X-Transaction-Id": tx}
            self.call("GET", "/entities/" + k, headers=h)
            self.call("PUT", "/entities/" + k, {"blob": '{"v": %d}' % v}, h)
        st, _, _ = self.call("POST", "/transaction/commit",
                             {"transaction_id": a})
        self.assertEqual(st, 200)
        st, _, body = self.call("POST", "/transaction/commit",
                                {"transaction_id": b})
        self.assertEqual((st, body["status"]), (409, "aborted"))
        _, _, got = self.call("GET", "/entities/" + k)
        self.assertEqual(blob_of(got), {"v": 1})

    def test_transaction_bad_input(self):
        for body in ({"isolation": "serializable"}, {"isolation": 3},
                     {"timeout": -1}, {"timeout": "x"}):
            st, _, out = self.call("POST", "/transaction/begin", body)
            self.assertEqual(st, 400, body)
        st, _, out = self.call("POST", "/transaction/commit", {})
        self.assertEqual(st, 400)
        st, _, out = self.call("POST", "/transaction/commit",
                               {"transaction_id": "nope"})
        self.assertEqual((st, out["status"]), (404, "failed"))
        st, _, _ = self.call("GET", "/entities/" + self.key("u", "1"),
                             headers={"X-Transaction-Id": "forged"})
        self.assertEqual(st, 404)
        st, _, stats = self.call("GET", "/transaction/stats")
        self.assertEqual(st, 200)
        for k in ("active_count", "total_begun", "total_committed",
                  "total_aborted", "success_rate"):
            self.assertIn(k, stats)

    # -- the Go SDK -------------------------------------------------------
    def test_go_sdk_paths(self):
        path = "/api/relational/gousers/" + uuid.uuid4().hex
        doc = {"name": "Grace", "n": 1}
        st, _, _ = self.call("PUT", path, doc)
        self.assertLess(st, 400)
        st, _, got = self.call("GET", path)
        self.assertEqual((st, got), (200, doc))
        # the same entity through the Python/JS key
        pk = path.rsplit("/", 1)[1]
        _, _, via = self.call("GET", "/entities/" +
                              self.key("gousers", pk))
        self.assertEqual(blob_of(via), doc)
        st, _, body = self.call("POST", "/api/query", {
            "query": "FOR u IN relational__default__gousers RETURN u.name"})
        self.assertEqual((st, body["data"]), (200, ["Grace"]))
        tx = self.begin({"isolation_level": "SNAPSHOT", "timeout": 30.0})
        h = {"X-Transaction-Id": tx}
        st, _, _ = self.call("PUT", path, {"name": "Grace", "n": 2}, h)
        self.assertLess(st, 400)
        _, _, got = self.call("GET", path)
        self.assertEqual(got["n"], 1)
        st, _, _ = self.call("POST", "/transaction/commit",
                             {"transaction_id": tx})  # no header (Go)
        self.assertEqual(st, 200)
        _, _, got = self.call("GET", path)
        self.assertEqual(got["n"], 2)
        st, _, _ = self.call("DELETE", path)
        self.assertEqual(st, 200)
        st, _, _ = self.call("DELETE", path)
        self.assertEqual(st, 404)  # the Go SDK's not-found error
        # any JSON value, as the Go SDK marshals it
        st, _, _ = self.call("PUT", "/api/relational/gousers/x", [1, 2])
        self.assertLess(st, 400)
        st, _, got = self.call("GET", "/api/relational/gousers/x")
        self.assertEqual((st, got), (200, [1, 2]))
        st, _, _ = self.server.request("PUT", "/api/relational/gousers/y",
                                    "{broken")
        self.assertEqual(st, 400)


class JavaScriptSdkFlowTest(ServerTest):
    """The JavaScript SDK's exact sequence: topology first, then every call
    to the endpoint the topology named (a 404 there is TopologyError)."""


    def test_flow(self):
        import http.client
        import urllib.parse
        st, _, topo = self.server.json("GET", "/_admin/cluster/topology")
        self.assertEqual(st, 200)
        shard = topo["shards"][0]
        url = urllib.parse.urlsplit(shard.get("endpoint") or
                                    shard["http_endpoint"])

        def call(method, path, body=None, headers=None):
            c = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
            h = {"Content-Type": "application/json"} if body else {}
            h.update(headers or {})
            c.request(method, path, json.dumps(body) if body else None, h)
            r = c.getresponse()
            data = r.read()
            c.close()
            return r.status, json.loads(data) if data else None

        key = "relational.default.jsusers:" + uuid.uuid4().hex
        self.assertEqual(call("PUT", "/entities/" + key,
                              {"blob": json.dumps({"n": 1})})[0], 201)
        st, got = call("GET", "/entities/" + key)
        self.assertEqual(json.loads(got["blob"]), {"n": 1})
        st, tx = call("POST", "/transaction/begin", {"isolation": "snapshot"})
        self.assertEqual((st, tx["status"]), (200, "active"))
        h = {"X-Transaction-Id": tx["transaction_id"]}
        self.assertEqual(call("DELETE", "/entities/" + key, None, h)[0], 200)
        self.assertEqual(call("GET", "/entities/" + key, None, h)[0], 404)
        self.assertEqual(call("GET", "/entities/" + key)[0], 200)
        st, out = call("POST", "/transaction/commit",
                       {"transaction_id": tx["transaction_id"]}, h)
        self.assertEqual((st, out["status"]), (200, "committed"))
        self.assertEqual(call("GET", "/entities/" + key)[0], 404)
        st, q = call("POST", "/query/aql", {
            "query": "FOR u IN relational__default__jsusers RETURN u",
            "params": {}})
        self.assertEqual((st, q["entities"]), (200, []))


class OldStoreUpgradeTest(unittest.TestCase):
    """A data directory from before HTTP transactions (its change log
    allows only PUT and DELETE) is migrated once at start: the old events
    and sequences stay, and commits append their markers."""

    def test_old_change_log_is_migrated(self):
        import os
        import sqlite3
        srv = Server().start()
        try:
            srv.json("PUT", "/entities/old:1", {"blob": '{"v": 1}'})
            srv.stop()
            db = sqlite3.connect(os.path.join(srv.data_dir, "themis.db"))
            db.executescript("""
                BEGIN;
                CREATE TABLE cl_old(seq INTEGER PRIMARY KEY,
                  type TEXT NOT NULL CHECK(type IN ('PUT','DELETE')),
                  collection TEXT NOT NULL, key TEXT NOT NULL, value TEXT,
                  timestamp_ms INTEGER NOT NULL);
                INSERT INTO cl_old SELECT * FROM changelog;
                DROP TABLE changelog;
                ALTER TABLE cl_old RENAME TO changelog;
                COMMIT;""")
            db.close()
            srv.start()
            st, _, tx = srv.json("POST", "/transaction/begin", {})
            h = {"X-Transaction-Id": tx["transaction_id"]}
            srv.json("PUT", "/entities/old:2", {"blob": "{}"}, h)
            st, _, out = srv.json("POST", "/transaction/commit",
                                  {"transaction_id": tx["transaction_id"]})
            self.assertEqual(st, 200, out)
            st, _, feed = srv.json("GET",
                                   "/changefeed?format=themisdb&from_seq=0")
            self.assertEqual([(e["sequence"], e["type"])
                              for e in feed["events"]],
                             [(1, "PUT"), (2, "PUT"),
                              (3, "TRANSACTION_COMMIT")])
            srv.stop()
        finally:
            srv.cleanup()


class SdkCompatAuthTest(ServerTest):
    """Transactions are the principal's own: another (or another tenant)
    never uses them, and the open-transaction bound holds."""

    server_args = ("--set", "auth.jwt_secret=" + SECRET)
    server_env = {"THEMIS_AUTH_REQUIRED": "true"}

    def test_transaction_is_owner_scoped(self):
        alice = bearer(make_jwt(SECRET, "alice", "acme"))
        bob = bearer(make_jwt(SECRET, "bob", "beta"))
        carol = bearer(make_jwt(SECRET, "carol", "acme"))
        st, _, out = self.server.json("POST", "/transaction/begin", {}, alice)
        self.assertEqual(st, 200, out)
        tx = out["transaction_id"]
        k = "relational.default.t:1"
        st, _, _ = self.server.json("PUT", "/entities/" + k, {"blob": "{}"},
                                 dict(alice, **{"X-Transaction-Id": tx}))
        self.assertEqual(st, 201)
        for other in (bob, carol):
            st, _, _ = self.server.json("GET", "/entities/" + k, None,
                                     dict(other, **{"X-Transaction-Id": tx}))
            self.assertEqual(st, 404)
            st, _, _ = self.server.json("POST", "/transaction/commit",
                                     {"transaction_id": tx}, other)
            self.assertEqual(st, 404)
        st, _, out = self.server.json("POST", "/transaction/commit",
                                   {"transaction_id": tx}, alice)
        self.assertEqual(st, 200, out)
        # committed into acme's namespace only
        st, _, _ = self.server.json("GET", "/entities/" + k, None, bob)
        self.assertEqual(st, 404)
        st, _, _ = self.server.json("GET", "/entities/" + k, None, alice)
        self.assertEqual(st, 200)
        # no token: 401 before any transaction is touched
        st, _, _ = self.server.json("POST", "/transaction/begin", {})
        self.assertEqual(st, 401)

    def test_open_transactions_are_bounded(self):
        dave = bearer(make_jwt(SECRET, "dave"))
        ids = []
        for _ in range(64):
            st, _, out = self.server.json("POST", "/transaction/begin", {}, dave)
            self.assertEqual(st, 200)
            ids.append(out["transaction_id"])
        st, h, out = self.server.json("POST", "/transaction/begin", {}, dave)
        self.assertEqual(st, 429, out)
        for tx in ids:
            self.server.json("POST", "/transaction/rollback",
                          {"transaction_id": tx}, dave)
        st, _, _ = self.server.json("POST", "/transaction/begin", {}, dave)
        self.assertEqual(st, 200)


if __name__ == "__main__":
    unittest.main()
