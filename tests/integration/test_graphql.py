"""GraphQL at /graphql (issue 21) on a real themisd with auth required and
tenants: the npm clients (graphql-request, graphql-ws, graphql's
buildClientSchema/validateSchema) through tests/node/graphql_clients.js,
and, from here, the GraphQL-over-HTTP rules (media types and status codes,
GET for queries only, batching off, persisted queries), auth refusals,
tenant isolation, limits answered with spec errors, jobs, and the
graphql-transport-ws protocol's close codes."""

import hashlib
import json
import os
import struct
import subprocess
import time
import unittest
import urllib.parse

import websocket  # python3-websocket

from themis_harness import Server
from tokens import bearer, make_jwt

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "node")
SECRET = "graphql test secret, long enough!"
ACME = make_jwt(SECRET, "alice", "acme")
BETA = make_jwt(SECRET, "bob", "beta")
READER = make_jwt(SECRET, "rita", "acme", "data:read")
GQL_RESPONSE = "application/graphql-response+json"


def close_code(ws, timeout=10):
    """Reads until the server's close frame; its status code."""
    ws.settimeout(timeout)
    while True:
        op, data = ws.recv_data(control_frame=True)
        if op == websocket.ABNF.OPCODE_CLOSE:
            return struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None


class GraphqlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules",
                                          "graphql-ws")):
            raise RuntimeError("tests/node/node_modules is missing: run "
                               "scripts/test.sh (it runs npm ci)")
        cls.srv = Server(args=[
            "--set", "auth.jwt_secret=" + SECRET,
            "--set", "graphql.max_depth=8",
            "--set", "graphql.max_aliases=6",
            "--set", "graphql.max_complexity=2000",
            "--set", "graphql.max_query_bytes=4096",
            "--set", "graphql.init_timeout_ms=1000",
        ], env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        for tok in (ACME, BETA):
            for name in ("gqlorders", "gqlfeed", "gqlmisc"):
                st, _, _ = cls.srv.json("POST", "/v1/collections",
                                        {"name": name}, bearer(tok))
                assert st in (200, 201), st

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    # -- helpers -------------------------------------------------------------

    def post(self, body, tok=ACME, accept=GQL_RESPONSE, ctype=None):
        h = dict(bearer(tok) if tok else {})
        if accept:
            h["Accept"] = accept
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        h["Content-Type"] = ctype or "application/json"
        st, hd, data = self.srv.request("POST", "/graphql", body, h)
        return st, hd, (json.loads(data) if data else None)

    def get(self, params, tok=ACME, accept=GQL_RESPONSE):
        h = dict(bearer(tok) if tok else {})
        if accept:
            h["Accept"] = accept
        st, hd, data = self.srv.request(
            "GET", "/graphql?" + urllib.parse.urlencode(params), None, h)
        return st, hd, (json.loads(data) if data else None)

    def node(self, scenario):
        env = dict(os.environ,
                   GQL_URL="http://127.0.0.1:%d/graphql" % self.srv.port,
                   GQL_TOKEN=ACME)
        p = subprocess.run(["node", "graphql_clients.js", scenario],
                           cwd=NODE_DIR, env=env, capture_output=True,
                           text=True, timeout=120)
        out = p.stdout + p.stderr
        self.assertEqual(p.returncode, 0, out[-4000:])
        self.assertIn("ok " + scenario, out)

    def ws(self, tok=ACME, protocols=("graphql-transport-ws",)):
        return websocket.create_connection(
            "ws://127.0.0.1:%d/graphql" % self.srv.port, timeout=10,
            subprotocols=list(protocols),
            header=["Authorization: Bearer " + tok] if tok else [])

    def init(self, ws):
        ws.send(json.dumps({"type": "connection_init"}))
        self.assertEqual(json.loads(ws.recv())["type"], "connection_ack")

    # -- npm clients ---------------------------------------------------------

    def test_1_npm_introspection_builds_a_valid_client_schema(self):
        self.node("introspect")

    def test_2_npm_graphql_request_queries_and_mutations(self):
        self.node("crud")

    def test_3_npm_graphql_ws_live_and_resumed_subscription(self):
        self.node("subscribe")

    # -- GraphQL over HTTP ---------------------------------------------------

    def test_media_types_and_status_codes(self):
        bad = {"query": "{ gqlorders(key: \"x\") { _key "}  # syntax error
        st, h, b = self.post(bad)
        self.assertEqual(st, 400)
        self.assertTrue(h["content-type"].startswith(GQL_RESPONSE))
        self.assertNotIn("data", b)
        self.assertIn("locations", b["errors"][0])
        # application/json: 200 for every well-formed request
        st, h, b = self.post(bad, accept="application/json")
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("application/json"))
        self.assertNotIn("data", b)
        # no Accept: application/json
        st, h, _ = self.post({"query": "{ __typename }"}, accept=None)
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("application/json"))
        st, _, _ = self.post({"query": "{ __typename }"}, accept="text/html")
        self.assertEqual(st, 406)
        st, _, _ = self.post({"query": "{ __typename }"}, ctype="text/plain")
        self.assertEqual(st, 415)
        st, _, b = self.post("{not json")
        self.assertEqual(st, 400)
        st, _, b = self.post({"variables": {}})
        self.assertEqual(st, 400)
        st, _, b = self.post({"query": 5})
        self.assertEqual(st, 400)
        # a variable of the wrong type: a request error (no data)
        st, _, b = self.post({"query": "query Q($k: ID!) { gqlorders(key: $k)"
                                       " { _key } }",
                              "variables": {"k": {"an": "object"}}})
        self.assertEqual(st, 400, b)
        self.assertNotIn("data", b)
        # a field error keeps 200 and data
        st, _, b = self.post({"query": "{ gqlordersList(first: -1) "
                                       "{ totalCount } __typename }"})
        self.assertEqual(st, 200, b)
        self.assertIn("data", b)
        self.assertEqual(b["errors"][0]["path"], ["gqlordersList"])
        # a subscription is not for HTTP
        st, _, b = self.post({"query": "subscription { changes(collection: "
                                       "\"gqlfeed\") { key } }"})
        self.assertEqual(st, 400)

    def test_get_runs_queries_only(self):
        st, _, b = self.get({"query": "query Q($k: ID!) { gqlorders(key: $k) "
                                      "{ _key } __typename }",
                             "variables": json.dumps({"k": "none"})})
        self.assertEqual((st, b["data"]["__typename"]), (200, "Query"))
        st, h, b = self.get({"query": "mutation { insertGqlmisc(doc: {}) "
                                      "{ _key } }"})
        self.assertEqual(st, 405)
        self.assertEqual(h.get("allow"), "POST")
        st, _, b = self.get({"query": "{ __typename }",
                             "variables": "{bad"})
        self.assertEqual(st, 400)
        # nothing was written by the refused GET
        st, _, b = self.post({"query": "{ gqlmiscList { totalCount } }"})
        self.assertEqual(b["data"]["gqlmiscList"]["totalCount"], 0)

    def test_batching_is_off(self):
        st, _, b = self.post([{"query": "{ __typename }"}])
        self.assertEqual(st, 400)
        self.assertIn("batching", b["errors"][0]["message"])

    def test_persisted_queries(self):
        q = "{ __typename gqlordersList(first: 1) { totalCount } }"
        h = hashlib.sha256(q.encode()).hexdigest()
        ext = {"persistedQuery": {"version": 1, "sha256Hash": h}}
        st, _, b = self.post({"extensions": ext})
        self.assertEqual(b["errors"][0]["message"], "PersistedQueryNotFound")
        st, _, b = self.post({"query": q, "extensions": ext})
        self.assertEqual((st, b["data"]["__typename"]), (200, "Query"))
        st, _, b = self.post({"extensions": ext})
        self.assertEqual((st, b["data"]["__typename"]), (200, "Query"))
        # another tenant's persisted queries are not shared
        st, _, b = self.post({"extensions": ext}, tok=BETA)
        self.assertEqual(b["errors"][0]["message"], "PersistedQueryNotFound")
        wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
        st, _, b = self.post({"query": q, "extensions": wrong})
        self.assertEqual(st, 400)

    # -- auth, tenants ---------------------------------------------------------

    def test_auth_refusals(self):
        st, h, _ = self.post({"query": "{ __typename }"}, tok=None)
        self.assertEqual(st, 401)
        self.assertIn("Bearer", h.get("www-authenticate", ""))
        st, _, _ = self.post({"query": "{ __typename }"}, tok="garbage")
        self.assertEqual(st, 401)
        # read scope only: no mutation, no aql (needs the query scope)
        st, _, b = self.post({"query": "mutation { insertGqlmisc(doc: {}) "
                                       "{ _key } }"}, tok=READER)
        self.assertEqual(st, 403)
        self.assertEqual(b["errors"][0]["extensions"]["code"], "FORBIDDEN")
        st, _, b = self.post({"query": "{ aql(query: \"RETURN 1\") "
                                       "gqlmiscList { totalCount } }"},
                             tok=READER)
        self.assertEqual(st, 200)
        self.assertEqual(b["errors"][0]["extensions"]["code"], "FORBIDDEN")
        self.assertEqual(b["errors"][0]["path"], ["aql"])
        self.assertEqual(b["data"]["gqlmiscList"]["totalCount"], 0)

    def test_tenants_see_only_their_collections(self):
        st, _, b = self.post({"query": "mutation { insertGqlmisc(doc: "
                                       "{_key: \"t1\", who: \"acme\"}) "
                                       "{ _key } }"})
        self.assertEqual(st, 200, b)
        st, _, b = self.post({"query": "{ gqlmisc(key: \"t1\") { doc } }"},
                             tok=BETA)
        self.assertIsNone(b["data"]["gqlmisc"])
        # beta's schema has its own collections only
        st, _, b = self.post({"query": "{ collections { name } }"}, tok=BETA)
        names = {c["name"] for c in b["data"]["collections"]}
        self.assertEqual(names, {"gqlorders", "gqlfeed", "gqlmisc"})
        # stored names of another tenant are not names
        st, _, b = self.post({"query": "{ aql(query: \"FOR d IN "
                                       "`acme.gqlmisc` RETURN d\") }"},
                             tok=BETA)
        self.assertIsNone(b["data"]["aql"])
        self.assertEqual(b["errors"][0]["extensions"]["code"],
                         "AQL_COLLECTION_NOT_FOUND")
        st, _, b = self.post({"query": "{ gqlmiscList(filter: {who: "
                                       "\"acme\"}) { totalCount } }"},
                             tok=BETA)
        self.assertEqual(b["data"]["gqlmiscList"]["totalCount"], 0)

    # -- limits ----------------------------------------------------------------

    def test_over_limit_queries_get_spec_errors(self):
        # depth 9 (ofType adds none); also 3 nested __Type lists
        deep = ("{ __schema { types { fields { type { fields { type { "
                "fields { type { name } } } } } } } } }")
        too_many = "{ " + " ".join("a%d: __typename" % i
                                   for i in range(7)) + " }"
        costly = ("{ gqlordersList(first: 1000) { edges { node { _key _rev "
                  "_id doc } cursor } } }")
        big = "{ __typename " + " " * 5000 + "}"
        for q in (deep, too_many, costly, big):
            st, _, b = self.post({"query": q})
            self.assertEqual(st, 400, (q[:60], b))
            self.assertNotIn("data", b)
            self.assertTrue(b["errors"][0]["message"], b)
        # nesting beyond the parser's bound is an error, not a crash
        st, _, b = self.post({"query": "{" * 2000 + "}" * 2000})
        self.assertEqual(st, 400)
        st, _, b = self.post({"query": "{ __typename }"})
        self.assertEqual(st, 200)

    def test_introspection_can_be_turned_off(self):
        srv = Server(args=["--set", "graphql.introspection=false"]).start()
        try:
            st, _, data = srv.request(
                "POST", "/graphql",
                json.dumps({"query": "{ __schema { queryType { name } } }"}),
                {"Content-Type": "application/json", "Accept": GQL_RESPONSE})
            self.assertEqual(st, 400)
            self.assertNotIn("data", json.loads(data))
            st, _, data = srv.request(
                "POST", "/graphql", json.dumps({"query": "{ __typename }"}),
                {"Content-Type": "application/json"})
            self.assertEqual(json.loads(data)["data"]["__typename"], "Query")
        finally:
            srv.stop()
            srv.cleanup()

    # -- jobs ------------------------------------------------------------------

    def test_jobs_submit_query_and_progress(self):
        st, _, b = self.post({"query": "mutation { submitJob(query: \"FOR i "
                                       "IN 1..5 RETURN i\", idempotencyKey: "
                                       "\"gq1\") { id status } }"})
        self.assertEqual(st, 200, b)
        job = b["data"]["submitJob"]["id"]
        ws = self.ws()
        self.init(ws)
        ws.send(json.dumps({"id": "p", "type": "subscribe", "payload": {
            "query": "subscription($id: ID!) { jobProgress(id: $id) "
                     "{ status resultCount } }", "variables": {"id": job}}}))
        statuses = []
        while True:
            m = json.loads(ws.recv())
            if m["type"] == "complete":
                break
            self.assertEqual(m["type"], "next", m)
            statuses.append(m["payload"]["data"]["jobProgress"]["status"])
        self.assertEqual(statuses[-1], "completed")
        ws.close()
        st, _, b = self.post({"query": "query($id: ID!) { job(id: $id) { "
                                       "status resultCount result(limit: 10) }"
                                       " jobs { id } }",
                              "variables": {"id": job}})
        self.assertEqual(b["data"]["job"]["result"], [1, 2, 3, 4, 5], b)
        self.assertIn(job, [j["id"] for j in b["data"]["jobs"]])
        # another tenant does not see it
        st, _, b = self.post({"query": "query($id: ID!) { job(id: $id) "
                                       "{ status } }",
                              "variables": {"id": job}}, tok=BETA)
        self.assertIsNone(b["data"]["job"])

    # -- graphql-transport-ws --------------------------------------------------

    def test_ws_protocol_rules(self):
        with self.assertRaises(websocket.WebSocketBadStatusException) as e:
            self.ws(tok=None)
        self.assertEqual(e.exception.status_code, 401)
        with self.assertRaises(websocket.WebSocketBadStatusException) as e:
            self.ws(protocols=("graphql-ws",))
        self.assertEqual(e.exception.status_code, 400)
        ws = self.ws()
        self.assertEqual(ws.getsubprotocol(), "graphql-transport-ws")
        ws.send(json.dumps({"id": "1", "type": "subscribe",
                            "payload": {"query": "{ __typename }"}}))
        self.assertEqual(close_code(ws), 4401)
        ws = self.ws()
        ws.send("not json")
        self.assertEqual(close_code(ws), 4400)
        ws = self.ws()
        self.init(ws)
        ws.send(json.dumps({"type": "connection_init"}))
        self.assertEqual(close_code(ws), 4429)
        ws = self.ws()  # no connection_init within graphql.init_timeout_ms
        started = time.monotonic()
        self.assertEqual(close_code(ws), 4408)
        self.assertLess(time.monotonic() - started, 8)
        ws = self.ws()
        self.init(ws)
        ws.send(json.dumps({"type": "ping"}))
        self.assertEqual(json.loads(ws.recv())["type"], "pong")
        # a query over the socket: next, then complete
        ws.send(json.dumps({"id": "q", "type": "subscribe",
                            "payload": {"query": "{ __typename }"}}))
        m = json.loads(ws.recv())
        self.assertEqual((m["type"], m["payload"]["data"]["__typename"]),
                         ("next", "Query"))
        self.assertEqual(json.loads(ws.recv()), {"id": "q",
                                                 "type": "complete"})
        # a validation error: an error message for that id
        ws.send(json.dumps({"id": "v", "type": "subscribe",
                            "payload": {"query": "{ nope }"}}))
        m = json.loads(ws.recv())
        self.assertEqual((m["id"], m["type"]), ("v", "error"))
        self.assertIn("locations", m["payload"][0])
        # a subscriber id in use: 4409
        sub = {"id": "s", "type": "subscribe", "payload": {
            "query": "subscription { changes(collection: \"gqlfeed\") "
                     "{ key } }"}}
        ws.send(json.dumps(sub))
        ws.send(json.dumps(sub))
        self.assertEqual(close_code(ws), 4409)

    def test_ws_changes_are_per_tenant_and_filtered(self):
        ws = self.ws(tok=BETA)
        self.init(ws)
        ws.send(json.dumps({"id": "b", "type": "subscribe", "payload": {
            "query": "subscription { changes(collection: \"gqlfeed\", "
                     "filter: {keyPrefix: \"keep\"}) { key collection } }"}}))
        # a round trip so the subscription is in place before the writes
        ws.send(json.dumps({"type": "ping"}))
        self.assertEqual(json.loads(ws.recv())["type"], "pong")
        ins = "mutation($d: JSON!) { insertGqlfeed(doc: $d) { _key } }"
        self.post({"query": ins, "variables": {"d": {"_key": "keep-acme"}}})
        self.post({"query": ins, "variables": {"d": {"_key": "drop-b"}}},
                  tok=BETA)
        self.post({"query": ins, "variables": {"d": {"_key": "keep-b"}}},
                  tok=BETA)
        m = json.loads(ws.recv())
        self.assertEqual(m["payload"]["data"]["changes"],
                         {"key": "keep-b", "collection": "gqlfeed"})
        ws.close()


if __name__ == "__main__":
    unittest.main()
