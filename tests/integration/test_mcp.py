"""The MCP server at /mcp (issue 21) against a real themisd: the official
TypeScript SDK client (tests/node/mcp_client.mjs: every tool, resources and
subscriptions fed by REST writes, progress on a long job, cancelling a job
and a query, auth refusals, tenant isolation), the MCP Inspector CLI, and
raw HTTP from Python for the transport rules (sessions, versions, batches,
Origin, bad JSON-RPC, the 401 challenge and RFC 9728 metadata, resuming the
GET stream with Last-Event-ID)."""

import http.client
import json
import os
import re
import subprocess
import time
import unittest

from themis_harness import Server
from tokens import bearer, make_jwt

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "node")
SECRET = "mcp-test-secret-0123456789abcdef"
LONG_QUERY = ("FOR i IN 1..5000000 FILTER i % 7 == 0 "
              "COLLECT WITH COUNT INTO n RETURN n")
# ~10^9 iterations: minutes of work, so only a cancel ends it in time
ENDLESS_QUERY = ("FOR i IN 1..100000 FOR j IN 1..10000 FILTER (i + j) % 7 "
                 "== 0 COLLECT WITH COUNT INTO n RETURN n")
ACCEPT = "application/json, text/event-stream"


def run_node(scenario, env):
    p = subprocess.run(["node", "mcp_client.mjs", scenario], cwd=NODE_DIR,
                       env=dict(os.environ, **env), capture_output=True,
                       text=True, timeout=170)
    return p.returncode, p.stdout + p.stderr


class Mcp:
    """A raw MCP session over http.client."""

    def __init__(self, srv, version="2025-06-18", headers=None):
        self.srv = srv
        self.headers = dict(headers or {})
        self.version = version
        st, h, body = self.post({"jsonrpc": "2.0", "id": 0,
                                 "method": "initialize",
                                 "params": {"protocolVersion": version,
                                            "capabilities": {},
                                            "clientInfo": {"name": "py",
                                                           "version": "1"}}},
                                session=False)
        assert st == 200, (st, body)
        self.sid = h["mcp-session-id"]
        self.init = json.loads(body)
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        self.next_id = 1

    def post(self, msg, session=True, headers=None):
        hs = {"Content-Type": "application/json", "Accept": ACCEPT}
        hs.update(self.headers)
        if session:
            hs["Mcp-Session-Id"] = self.sid
            hs["MCP-Protocol-Version"] = self.version
        hs.update(headers or {})
        body = msg if isinstance(msg, (str, bytes)) else json.dumps(msg)
        return self.srv.request("POST", "/mcp", body, hs)

    def call(self, method, params=None):
        self.next_id += 1
        st, _, body = self.post({"jsonrpc": "2.0", "id": self.next_id,
                                 "method": method, "params": params or {}})
        assert st == 200, (st, body)
        return json.loads(body)


def read_events(resp, want, timeout=10):
    """SSE events of a streaming response until `want(events)` holds."""
    events, cur = [], {}
    deadline = time.time() + timeout
    while time.time() < deadline and not want(events):
        line = resp.readline()
        if not line:
            break
        line = line.decode().rstrip("\r\n")
        if line == "":
            if cur:
                events.append(cur)
            cur = {}
        elif line.startswith(":"):
            continue
        else:
            k, _, v = line.partition(":")
            cur[k] = cur.get(k, "") + v.lstrip(" ")
    return events


class OpenServerTest(unittest.TestCase):
    """auth off (the first-run server): the SDK, the Inspector, raw HTTP."""

    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules",
                                          "@modelcontextprotocol", "sdk")):
            raise RuntimeError("tests/node/node_modules is missing: run "
                               "scripts/test.sh (it runs npm ci)")
        cls.srv = Server(args=["--set", "mcp.allowed_origins="
                                        "https://app.example"]).start()
        cls.env = {"MCP_URL": "http://127.0.0.1:%d/mcp" % cls.srv.port,
                   "MCP_REST": "http://127.0.0.1:%d" % cls.srv.port,
                   "MCP_LONG_QUERY": LONG_QUERY,
                   "MCP_ENDLESS_QUERY": ENDLESS_QUERY}

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def node(self, scenario):
        rc, out = run_node(scenario, self.env)
        self.assertEqual(rc, 0, out)
        self.assertIn("ok " + scenario, out)
        return out

    def metric(self, name):
        _, _, body = self.srv.request("GET", "/metrics")
        m = re.search(r"^%s (\d+)" % name, body.decode(), re.M)
        return int(m.group(1)) if m else 0

    # -- the official SDK client ---------------------------------------------

    def test_sdk_lists_and_calls_every_tool(self):
        self.node("tools")

    def test_sdk_resources_and_subscriptions(self):
        self.node("resources")

    def test_sdk_progress_on_a_long_job(self):
        out = self.node("progress")
        self.assertRegex(out, r"progress notifications: [1-9]")

    def test_sdk_cancel_job_and_query(self):
        before = self.metric("themis_aql_query_errors_total")
        self.node("cancel")
        # the cancelled query stopped (it counts as failed) instead of
        # running for minutes
        deadline = time.time() + 20
        while time.time() < deadline and \
                self.metric("themis_aql_query_errors_total") <= before:
            time.sleep(0.1)
        self.assertGreater(self.metric("themis_aql_query_errors_total"),
                           before)

    def test_inspector_cli(self):
        url = self.env["MCP_URL"]
        cli = os.path.join(NODE_DIR, "node_modules", ".bin",
                           "mcp-inspector-cli")

        def run(*args):
            p = subprocess.run([cli, "--cli", url] + list(args),
                               cwd=NODE_DIR, capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            return json.loads(p.stdout)

        tools = run("--method", "tools/list")["tools"]
        self.assertEqual(len(tools), 11)
        r = run("--method", "tools/call", "--tool-name", "aql_query",
                "--tool-arg", "query=RETURN 6 * 7")
        self.assertEqual(r["structuredContent"]["rows"], [42])
        r = run("--method", "resources/templates/list")
        self.assertEqual(len(r["resourceTemplates"]), 2)
        r = run("--method", "prompts/list")
        self.assertEqual(len(r["prompts"]), 2)

    # -- the transport, raw ----------------------------------------------------

    def test_initialize_negotiates_versions(self):
        for asked, got in [("2025-06-18", "2025-06-18"),
                           ("2025-03-26", "2025-03-26"),
                           ("2024-11-05", "2024-11-05"),
                           ("2025-11-25", "2025-11-25"),
                           ("1999-01-01", "2025-11-25")]:
            s = Mcp(self.srv, asked)
            self.assertEqual(s.init["result"]["protocolVersion"], got)
            self.assertEqual(len(s.sid), 64)
            self.assertTrue(s.init["result"]["capabilities"]["resources"]
                            ["subscribe"])

    def test_sessions(self):
        s = Mcp(self.srv)
        self.assertEqual(s.call("ping")["result"], {})
        # no session header after initialize: 400; an unknown one: 404
        st, _, body = s.post({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                             session=False)
        self.assertEqual(st, 400, body)
        st, _, body = s.post({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                             headers={"Mcp-Session-Id": "f" * 64})
        self.assertEqual(st, 404)
        self.assertEqual(json.loads(body)["error"]["code"], -32001)
        # unsupported MCP-Protocol-Version: 400
        st, _, _ = s.post({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                          headers={"MCP-Protocol-Version": "1999-01-01"})
        self.assertEqual(st, 400)
        # notifications and responses only: 202, no body
        st, _, body = s.post({"jsonrpc": "2.0",
                              "method": "notifications/cancelled",
                              "params": {"requestId": 12345}})
        self.assertEqual((st, body), (202, b""))
        # DELETE ends it; then it is gone
        st, _, _ = self.srv.request("DELETE", "/mcp", None,
                                    {"Mcp-Session-Id": s.sid})
        self.assertEqual(st, 200)
        st, _, _ = s.post({"jsonrpc": "2.0", "id": 1, "method": "ping"})
        self.assertEqual(st, 404)
        st, _, _ = self.srv.request("DELETE", "/mcp", None,
                                    {"Mcp-Session-Id": s.sid})
        self.assertEqual(st, 404)
        st, _, _ = self.srv.request("HEAD", "/mcp")
        self.assertEqual(st, 405)

    def test_bad_jsonrpc(self):
        s = Mcp(self.srv)

        def error(body, status=None, **kw):
            st, _, data = s.post(body, **kw)
            if status:
                self.assertEqual(st, status, data)
            return st, json.loads(data)["error"]["code"]

        self.assertEqual(error("{not json", 400), (400, -32700))
        self.assertEqual(error("[" * 5000 + "]" * 5000, 400), (400, -32700))
        self.assertEqual(error("", 400), (400, -32700))
        self.assertEqual(error("[]", 400), (400, -32600))
        self.assertEqual(error('"x"', 400), (400, -32600))
        self.assertEqual(error({"jsonrpc": "1.0", "id": 1, "method": "ping"},
                               400), (400, -32600))
        self.assertEqual(error({"jsonrpc": "2.0", "id": None,
                                "method": "ping"}, 400), (400, -32600))
        self.assertEqual(error({"jsonrpc": "2.0", "id": 1, "method": "ping",
                                "params": [1]}, 400), (400, -32600))
        self.assertEqual(error({"jsonrpc": "2.0", "id": 1,
                                "method": "no/such"}, 200), (200, -32601))
        self.assertEqual(error({"jsonrpc": "2.0", "id": 1,
                                "method": "tools/call",
                                "params": {"name": "nope"}}, 200),
                         (200, -32602))
        self.assertEqual(error({"jsonrpc": "2.0", "id": 1,
                                "method": "tools/call",
                                "params": {"name": "get_document",
                                           "arguments": 7}}, 200),
                         (200, -32602))
        self.assertEqual(error({"jsonrpc": "2.0", "id": 1,
                                "method": "resources/read",
                                "params": {"uri": "themis://x"}}, 200),
                         (200, -32002))
        self.assertEqual(error({"jsonrpc": "2.0", "id": 1,
                                "method": "logging/setLevel",
                                "params": {"level": "loud"}}, 200),
                         (200, -32602))
        self.assertEqual(error({"jsonrpc": "2.0", "id": 1,
                                "method": "initialize",
                                "params": {"protocolVersion": 5}}, 200),
                         (200, -32602))
        # media types
        st, _, _ = s.post({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                          headers={"Content-Type": "text/plain"})
        self.assertEqual(st, 415)
        st, _, _ = s.post({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                          headers={"Accept": "text/html"})
        self.assertEqual(st, 406)
        # a tool's bad arguments are tool errors the model can read
        r = s.call("tools/call", {"name": "get_document",
                                  "arguments": {"collection": 5, "key": "k"}})
        self.assertTrue(r["result"]["isError"])
        r = s.call("tools/call", {"name": "list_collections",
                                  "arguments": {"bogus": 1}})
        self.assertTrue(r["result"]["isError"])
        self.assertEqual(s.call("ping")["result"], {})

    def test_batches_only_in_2025_03_26(self):
        batch = [{"jsonrpc": "2.0", "id": 1, "method": "ping"},
                 {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                 {"jsonrpc": "2.0", "method": "notifications/initialized"},
                 {"bad": 1}]
        old = Mcp(self.srv, "2025-03-26")
        st, _, body = old.post(batch)
        self.assertEqual(st, 200, body)
        out = json.loads(body)
        self.assertEqual(sorted(str(r.get("id")) for r in out),
                         ["1", "2", "None"])
        new = Mcp(self.srv, "2025-06-18")
        st, _, body = new.post(batch)
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(body)["error"]["code"], -32600)
        # initialize inside a batch: never
        st, _, _ = old.post([{"jsonrpc": "2.0", "id": 9,
                              "method": "initialize", "params": {}}])
        self.assertEqual(st, 400)

    def test_origin_validation(self):
        s = Mcp(self.srv)
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        for origin in ("http://evil.example", "null",
                       "http://localhost.evil.example"):
            st, _, body = s.post(ping, headers={"Origin": origin})
            self.assertEqual(st, 403, origin)
            self.assertEqual(json.loads(body)["error"]["code"], -32000)
        for origin in ("http://localhost:6274", "http://127.0.0.1",
                       "https://app.example"):
            st, _, _ = s.post(ping, headers={"Origin": origin})
            self.assertEqual(st, 200, origin)

    def test_metadata(self):
        for path in ("/.well-known/oauth-protected-resource",
                     "/.well-known/oauth-protected-resource/mcp"):
            st, _, body = self.srv.json("GET", path)
            self.assertEqual(st, 200)
            self.assertEqual(body["resource"],
                             "http://127.0.0.1:%d/mcp" % self.srv.port)
            self.assertIn("data:write", body["scopes_supported"])
            self.assertEqual(body["bearer_methods_supported"], ["header"])

    def test_get_stream_resumes_with_last_event_id(self):
        self.srv.json("POST", "/v1/collections", {"name": "mcp_resume"})
        s = Mcp(self.srv, "2025-11-25")
        uri = "themis://collections/mcp_resume/documents/r1"
        self.assertEqual(s.call("resources/subscribe", {"uri": uri})
                         ["result"], {})

        def open_stream(last=None):
            c = self.srv.conn(timeout=10)
            hs = {"Accept": "text/event-stream", "Mcp-Session-Id": s.sid,
                  "MCP-Protocol-Version": s.version}
            if last is not None:
                hs["Last-Event-ID"] = str(last)
            c.request("GET", "/mcp", headers=hs)
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            self.assertTrue(r.getheader("Content-Type")
                            .startswith("text/event-stream"))
            return c, r

        c, r = open_stream()
        # the priming event names where this stream starts
        primed = read_events(r, lambda ev: any("id" in e for e in ev))
        start = int([e for e in primed if "id" in e][0]["id"])
        c.close()
        # written while no stream is open: missed ...
        for v in (1, 2):
            st, _, _ = self.srv.json("PUT",
                                     "/v1/collections/mcp_resume/documents/r1",
                                     {"v": v})
            self.assertIn(st, (200, 201))
        self.srv.json("PUT", "/v1/collections/mcp_resume/documents/other",
                      {"v": 0})
        # ... and delivered on the resumed stream, ids = change sequences
        c, r = open_stream(start)
        ev = read_events(r, lambda ev: sum(1 for e in ev if "data" in e and
                                           e["data"]) >= 2)
        c.close()
        updates = [e for e in ev if e.get("data")]
        self.assertEqual(len(updates), 2, ev)
        for e in updates:
            msg = json.loads(e["data"])
            self.assertEqual(msg["method"], "notifications/resources/updated")
            self.assertEqual(msg["params"]["uri"], uri)
        ids = [int(e["id"]) for e in updates]
        self.assertTrue(start < ids[0] < ids[1], ids)
        # resuming after the last one: nothing old again, the next live
        c, r = open_stream(ids[1])
        read_events(r, lambda ev: any("id" in e for e in ev), timeout=3)
        self.srv.json("PUT", "/v1/collections/mcp_resume/documents/r1",
                      {"v": 3})
        ev = read_events(r, lambda ev: any(e.get("data") for e in ev))
        c.close()
        live = [int(e["id"]) for e in ev if e.get("data")]
        self.assertEqual(len(live), 1, ev)
        self.assertGreater(live[0], ids[1])
        # an ended session ends its stream
        c, r = open_stream()
        self.srv.request("DELETE", "/mcp", None, {"Mcp-Session-Id": s.sid})
        t0 = time.time()
        while r.readline():
            self.assertLess(time.time() - t0, 5)
        c.close()

    def test_hostile_inputs_leave_the_server_up(self):
        s = Mcp(self.srv)
        for uri in ("themis://collections/" + "a" * 5000,
                    "themis://collections/x/documents/%00",
                    "themis://collections/../documents/k",
                    "themis://collections/a.b/documents/k"):
            r = s.call("resources/read", {"uri": uri})
            self.assertIn("error", r)
        r = s.call("tools/call", {"name": "aql_query", "arguments": {
            "query": "RETURN " + "[" * 3000 + "]" * 3000}})
        self.assertTrue(r["result"]["isError"])
        r = s.call("tools/call", {"name": "recent_changes",
                                  "arguments": {"limit": 10 ** 9}})
        self.assertTrue(r["result"]["isError"])
        r = s.call("resources/subscribe", {"uri": 5})
        self.assertEqual(r["error"]["code"], -32602)
        self.assertEqual(s.call("ping")["result"], {})


class AuthServerTest(unittest.TestCase):
    """auth.required with JWTs: 401 + challenge, scopes, tenants."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=[
            "--set", "auth.jwt_secret=" + SECRET,
            "--set", "mcp.authorization_servers=https://auth.example",
        ], env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        cls.alice = make_jwt(SECRET, "alice", "acme")
        cls.bob = make_jwt(SECRET, "bob", "beta")
        cls.reader = make_jwt(SECRET, "rita", "acme",
                              scope="data:read query")
        cls.env = {"MCP_URL": "http://127.0.0.1:%d/mcp" % cls.srv.port,
                   "MCP_REST": "http://127.0.0.1:%d" % cls.srv.port,
                   "MCP_TOKEN": cls.alice, "MCP_TOKEN_B": cls.bob,
                   "MCP_TOKEN_RO": cls.reader}

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def test_401_points_at_the_metadata(self):
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-06-18"}}
        st, h, body = self.srv.json("POST", "/mcp", init, {"Accept": ACCEPT})
        self.assertEqual(st, 401)
        m = re.match(r'Bearer resource_metadata="([^"]+)"',
                     h["www-authenticate"])
        self.assertTrue(m, h["www-authenticate"])
        url = m.group(1)
        self.assertEqual(url, "http://127.0.0.1:%d/.well-known/"
                              "oauth-protected-resource/mcp" % self.srv.port)
        st, _, meta = self.srv.json("GET", url.split(str(self.srv.port))[1])
        self.assertEqual(st, 200)  # public, no token
        self.assertEqual(meta["authorization_servers"],
                         ["https://auth.example"])
        self.assertTrue(meta["resource"].endswith("/mcp"))
        st, h, _ = self.srv.json("POST", "/mcp", init,
                                 bearer("not.a.token"))
        self.assertEqual(st, 401)
        self.assertIn('error="invalid_token"', h["www-authenticate"])
        st, _, _ = self.srv.request("GET", "/mcp", None,
                                    {"Accept": "text/event-stream"})
        self.assertEqual(st, 401)

    def test_session_is_bound_to_its_principal(self):
        a = Mcp(self.srv, headers=bearer(self.alice))
        self.assertEqual(a.call("ping")["result"], {})
        # bob presenting alice's session id: as if it did not exist
        st, _, _ = a.post({"jsonrpc": "2.0", "id": 5, "method": "ping"},
                          headers=bearer(self.bob))
        self.assertEqual(st, 404)
        st, _, _ = self.srv.request("DELETE", "/mcp", None,
                                    dict(bearer(self.bob),
                                         **{"Mcp-Session-Id": a.sid}))
        self.assertEqual(st, 404)
        self.assertEqual(a.call("ping")["result"], {})

    def test_sdk_auth_refusals(self):
        rc, out = run_node("auth", self.env)
        self.assertEqual(rc, 0, out)

    def test_sdk_tenant_isolation(self):
        rc, out = run_node("tenants", self.env)
        self.assertEqual(rc, 0, out)

    def test_tenant_subscription_sees_only_its_own(self):
        a = Mcp(self.srv, headers=bearer(self.alice))
        b = Mcp(self.srv, headers=bearer(self.bob))
        for tok in (self.alice, self.bob):
            self.srv.json("POST", "/v1/collections", {"name": "shared"},
                          bearer(tok))
        uri = "themis://collections/shared"
        b.call("resources/subscribe", {"uri": uri})
        c = self.srv.conn(timeout=10)
        c.request("GET", "/mcp", headers=dict(bearer(self.bob), **{
            "Accept": "text/event-stream", "Mcp-Session-Id": b.sid}))
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        time.sleep(0.3)  # the stream subscribes to the feed
        # alice writes her "shared" (acme.shared), then bob his
        self.srv.json("PUT", "/v1/collections/shared/documents/x", {"a": 1},
                      bearer(self.alice))
        st, _, _ = self.srv.json("PUT", "/v1/collections/shared/documents/y",
                                 {"b": 1}, bearer(self.bob))
        self.assertIn(st, (200, 201))
        ev = read_events(r, lambda ev: any(e.get("data") for e in ev))
        c.close()
        updates = [e for e in ev if e.get("data")]
        self.assertEqual(len(updates), 1, ev)  # bob's write only
        self.assertEqual(json.loads(updates[0]["data"])["params"]["uri"], uri)
        a.call("ping")


if __name__ == "__main__":
    unittest.main()
