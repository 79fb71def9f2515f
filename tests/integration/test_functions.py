#!/usr/bin/env python3
"""Serverless WebAssembly functions (issue 27) on a real themisd: modules
are built from tests/integration/wasm/*.wat with wat2wasm at test time,
uploaded with PUT /api/v1/functions/{id}/wasm and invoked over HTTP.
Covers hello world, echo with status/headers/environment, the document
host API (writes are change events), an infinite loop (504 in time), a
memory bomb (500), a trap, malformed and non-WASI uploads (400), calls
the sandbox refuses, the concurrency limit (429), tenant isolation, logs
and a restart."""

import json
import os
import subprocess
import tempfile
import threading
import time
import unittest

from themis_harness import Server, ServerTest
from tokens import bearer, make_jwt

WAT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wasm")
_built = {}


def wasm(name):
    """The binary of wasm/<name>.wat (wat2wasm, Debian's wabt)."""
    if name not in _built:
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, name + ".wasm")
            subprocess.run(["wat2wasm", os.path.join(WAT_DIR, name + ".wat"),
                            "-o", out], check=True, timeout=30)
            with open(out, "rb") as f:
                _built[name] = f.read()
    return _built[name]


def put_doc(srv, coll, key, doc, who=None):
    srv.request("POST", "/v1/collections", {"name": coll}, who)
    st, _, b = srv.request("PUT", "/v1/collections/%s/documents/%s"
                           % (coll, key), doc, who)
    assert st in (200, 201), (st, b)


class FunctionsBase(ServerTest):
    def upload(self, fid, module, query="", who=None):
        body = wasm(module) if isinstance(module, str) else module
        h = {"Content-Type": "application/wasm"}
        h.update(who or {})
        return self.server.request("PUT", "/api/v1/functions/%s/wasm%s"
                                % (fid, query), body, h)

    def invoke(self, fid, body=b"", headers=None, timeout=10):
        return self.server.request("POST", "/api/v1/functions/%s/invoke" % fid,
                                body, headers or {}, timeout=timeout)


class FunctionsTest(FunctionsBase):
    def test_hello_world_and_logs(self):
        st, _, b = self.upload("hello", "hello", "?name=Hello")
        self.assertEqual(st, 201, b)
        st, h, b = self.invoke("hello")
        self.assertEqual((st, b), (200, b"hello, world\n"))
        self.assertTrue(h["content-type"].startswith("text/plain"))
        st, _, meta = self.server.json("GET", "/api/v1/functions/hello")
        self.assertEqual(st, 200, meta)
        self.assertEqual((meta["name"], meta["version"]), ("Hello", 1))
        self.assertGreaterEqual(meta["stats"]["invocations"], 1)
        self.assertEqual(meta["limits"]["timeout_ms"], 500)
        st, _, logs = self.server.json("GET", "/api/v1/functions/hello/logs")
        self.assertEqual(st, 200)
        self.assertEqual(logs["logs"][-1]["text"], "said hello")
        self.assertEqual(logs["logs"][-1]["outcome"], "ok")
        # a new upload is a new version
        st, _, b = self.upload("hello", "hello")
        self.assertEqual(st, 200, b)
        _, _, meta = self.server.json("GET", "/api/v1/functions/hello")
        self.assertEqual(meta["version"], 2)
        st, _, lst = self.server.json("GET", "/api/v1/functions")
        self.assertIn("hello", [f["id"] for f in lst["functions"]])

    def test_echo_with_status_headers_and_environment(self):
        self.assertEqual(self.upload("echo", "echo")[0], 201)
        st, h, b = self.invoke("echo", b'{"ping":1}',
                               {"X-Trace": "abc", "Authorization": "Basic x"})
        self.assertEqual(st, 201, b)
        self.assertEqual(h["x-echo"], "yes")
        self.assertEqual(h["content-type"], "application/x-echo")
        body, env = b.split(b"\n--env--\n")
        self.assertEqual(body, b'{"ping":1}')
        env = env.split(b"\0")
        self.assertIn(b"THEMIS_FUNCTION=echo", env)
        self.assertIn(b"THEMIS_METHOD=POST", env)
        self.assertIn(b"HTTP_X_TRACE=abc", env)
        self.assertFalse([e for e in env if e.startswith(b"HTTP_AUTHORIZATION")])

    def test_host_api_reads_and_writes_documents(self):
        put_doc(self.server, "src", "k1", {"from": "rest"})
        tip = self.tip()
        self.assertEqual(self.upload("docs", "docs")[0], 201)
        st, _, b = self.invoke("docs", b'{"written":"by wasm"}')
        self.assertEqual(st, 200, b)
        self.assertEqual(b[:1], b"0")  # doc_put answered ok
        self.assertIn(b'"from":"rest"', b[1:])
        st, _, doc = self.server.json("GET", "/v1/collections/fnout/documents/k1")
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["written"], "by wasm")
        # the write went through the store writer: one change event (and
        # the collection it created)
        self.assertGreater(self.tip(), tip)
        st, _, feed = self.server.json("GET", "/changefeed?from_seq=%d" % tip)
        self.assertEqual(st, 200, feed)
        self.assertIn("fnout", str(feed))

    def test_infinite_loop_is_cut_at_the_deadline(self):
        # default limits: 100M steps (about 0.4 s here) or 500 ms, whichever
        # comes first; with timeout_ms=100 the wall clock ends it
        self.assertEqual(self.upload("loop", "loop")[0], 201)
        self.assertEqual(self.upload("loop100", "loop", "?timeout_ms=100")[0],
                         201)
        for fid, outcomes, limit in (("loop", ("fuel", "deadline"), 0.9),
                                     ("loop100", ("deadline",), 0.5)):
            t0 = time.monotonic()
            st, h, b = self.invoke(fid)
            took = time.monotonic() - t0
            self.assertEqual(st, 504, b)
            self.assertEqual(h["grpc-status"], "4")
            self.assertIn(h["x-function-outcome"], outcomes)
            self.assertIn(b"DEADLINE_EXCEEDED", b)
            self.assertLess(took, limit)
        self.server_fine()

    def test_memory_bomb_is_killed(self):
        self.assertEqual(self.upload("bomb", "bomb", "?memory_pages=64")[0],
                         201)
        st, h, b = self.invoke("bomb")
        self.assertEqual(st, 500, b)
        self.assertEqual(h["x-function-outcome"], "memory")
        self.server_fine()

    def test_trap_ends_only_that_invocation(self):
        self.assertEqual(self.upload("trap", "trap")[0], 201)
        st, h, b = self.invoke("trap")
        self.assertEqual(st, 500, b)
        self.assertEqual(h["x-function-outcome"], "trap")
        self.assertIn(b"unreachable", b)
        self.server_fine()

    def test_bad_uploads_are_refused(self):
        for fid, body, why in (
                ("garbage", b"hello, not wasm", b"not a WebAssembly"),
                ("trunc", b"\0asm\x01\0\0\0\x01\x05\x01", b"invalid module"),
                ("notwasi", "not_wasi", b"env.print"),
                ("bad id!", "hello", b"function id")):
            st, _, b = self.upload(fid.replace(" ", "%20"), body)
            self.assertEqual(st, 400, (fid, b))
            self.assertIn(why, b)
        st, _, b = self.upload("big", "hello", "?timeout_ms=999999")
        self.assertEqual(st, 400, b)
        self.assertEqual(self.server.request(
            "GET", "/api/v1/functions/garbage")[0], 404)

    def test_sandbox_refuses_files_and_other_fds(self):
        self.assertEqual(self.upload("forbidden", "forbidden")[0], 201)
        st, _, b = self.invoke("forbidden")
        self.assertEqual((st, b), (200, bytes([76, 8])))

    def test_concurrency_limit_answers_429(self):
        self.assertEqual(self.upload(
            "slow", "loop", "?max_concurrent=1&timeout_ms=400")[0], 201)
        first = {}
        t = threading.Thread(target=lambda: first.update(
            st=self.invoke("slow")[0]))
        t.start()
        try:
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                meta = self.server.json("GET", "/api/v1/functions/slow")[2]
                if meta["stats"]["running"] == 1:
                    break
                time.sleep(0.01)
            st, h, b = self.invoke("slow")
            self.assertEqual(st, 429, b)
            self.assertGreaterEqual(int(h["retry-after"]), 1)
        finally:
            t.join(5)
        self.assertEqual(first["st"], 504)
        # the slot came back
        self.assertEqual(self.invoke("slow")[0], 504)
        st, _, m = self.server.request("GET", "/metrics")
        self.assertEqual(st, 200)
        values = dict(line.rsplit(" ", 1) for line in m.decode().splitlines()
                      if line.startswith("themis_function"))
        self.assertGreaterEqual(int(values["themis_function_rejected_total"]),
                                1)
        # each of the two ran out of steps or of time, whichever came first
        killed = sum(int(values['themis_function_invocations_total'
                                '{outcome="%s"}' % o])
                     for o in ("fuel", "deadline"))
        self.assertGreaterEqual(killed, 2)

    def test_delete(self):
        self.assertEqual(self.upload("gone", "hello")[0], 201)
        self.assertEqual(self.server.request(
            "DELETE", "/api/v1/functions/gone")[0], 204)
        self.assertEqual(self.invoke("gone")[0], 404)
        self.assertEqual(self.server.request(
            "DELETE", "/api/v1/functions/gone")[0], 404)

    def server_fine(self):
        self.assertEqual(self.server.request("GET", "/health")[0], 200)
        self.upload("hello2", "hello")
        self.assertEqual(self.invoke("hello2")[:3:2],
                         (200, b"hello, world\n"))


SECRET = "functions tenant secret, long enough!"


class FunctionsTenantTest(FunctionsBase):
    """Tenant B cannot list, read, invoke or delete tenant A's function,
    and A's function sees only A's documents; the caller's scopes bound
    the host API."""
    server_args = ["--set", "auth.jwt_secret=" + SECRET]
    server_env = {"THEMIS_AUTH_REQUIRED": "true"}

    def test_isolation(self):
        acme = bearer(make_jwt(SECRET, "alice", "acme"))
        beta = bearer(make_jwt(SECRET, "bob", "beta"))
        for who, tag in ((acme, "acme"), (beta, "beta")):
            put_doc(self.server, "src", "k1", {"tenant": tag}, who)
        self.assertEqual(self.upload("docs", "docs", who=acme)[0], 201)
        st, _, b = self.invoke("docs", b"{}", acme)
        self.assertEqual(st, 200, b)
        self.assertIn(b'"tenant":"acme"', b)
        for method, path in (("GET", "/api/v1/functions/docs"),
                             ("GET", "/api/v1/functions/docs/logs"),
                             ("POST", "/api/v1/functions/docs/invoke"),
                             ("DELETE", "/api/v1/functions/docs")):
            st, _, b = self.server.request(method, path, b"{}", beta)
            self.assertEqual(st, 404, (method, path, b))
        st, _, lst = self.server.json("GET", "/api/v1/functions", headers=beta)
        self.assertEqual(lst["functions"], [])
        # B's own function of the same id reads B's documents
        self.assertEqual(self.upload("docs", "docs", who=beta)[0], 201)
        st, _, b = self.invoke("docs", b"{}", beta)
        self.assertIn(b'"tenant":"beta"', b)
        # without data:write the host API refuses the put (-2)
        reader = bearer(make_jwt(SECRET, "carol", "acme", scope="data:read"))
        st, _, b = self.invoke("docs", b'{"x":1}', reader)
        self.assertEqual(st, 200, b)
        self.assertEqual(b[:1], b"2")
        # and a reader cannot upload
        self.assertEqual(self.upload("x", "hello", who=reader)[0], 403)
        self.assertEqual(self.server.request("GET", "/api/v1/functions")[0], 401)


class FunctionsOffTest(FunctionsBase):
    server_args = ["--set", "functions.enabled=false", "--set",
                   "functions.timeout_ms=50"]

    def test_off_answers_404(self):
        st, _, b = self.upload("hello", "hello")
        self.assertEqual(st, 404, b)
        self.assertIn(b"functions.enabled", b)
        self.assertEqual(self.server.request("GET", "/api/v1/functions")[0],
                         404)


class FunctionsRestartTest(unittest.TestCase):
    def test_functions_survive_a_restart(self):
        # the configured limits are the defaults and the caps
        srv = Server(args=["--set", "functions.timeout_ms=400", "--set",
                           "functions.tenant_max_concurrent=1"]).start()
        try:
            put = lambda q: srv.request(  # noqa: E731
                "PUT", "/api/v1/functions/keep/wasm" + q, wasm("hello"),
                {"Content-Type": "application/wasm"})
            st, _, b = put("?timeout_ms=500")
            self.assertEqual(st, 400, b)
            self.assertIn(b"timeout_ms must be in [1, 400]", b)
            st, _, b = put("")
            self.assertEqual(st, 201, b)
            self.assertEqual(json.loads(b)["limits"]["timeout_ms"], 400)
            # one invocation of the tenant at a time: a second function
            # is refused while the first runs
            srv.request("PUT", "/api/v1/functions/spin/wasm", wasm("loop"),
                        {"Content-Type": "application/wasm"})
            t = threading.Thread(target=srv.request,
                                 args=("POST", "/api/v1/functions/spin/invoke"))
            t.start()
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and srv.json(
                    "GET", "/api/v1/functions/spin")[2]["stats"]["running"] == 0:
                time.sleep(0.005)
            st, h, b = srv.request("POST", "/api/v1/functions/keep/invoke")
            t.join(5)
            self.assertEqual(st, 429, b)
            self.assertIn(b"the tenant runs 1", b)
            self.assertIn("retry-after", h)
            srv.stop()
            srv.start()
            st, _, b = srv.request("POST", "/api/v1/functions/keep/invoke")
            self.assertEqual((st, b), (200, b"hello, world\n"))
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
