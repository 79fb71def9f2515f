"""HTTP/1.1 wire behaviour of the real themisd, byte-exact over raw
sockets and with curl: pipelining, chunked uploads, 100-continue, limits
(431/413/400/408), the connection limit and crash isolation."""

import json
import socket
import subprocess
import threading
import time
import unittest

from themis_harness import RawConn, Server, ServerTest


class WireTest(ServerTest):
    server_args = ("--set", "http.max_body_bytes=4096",
                   "--set", "http.header_timeout_ms=400",
                   "--set", "http.body_timeout_ms=400",
                   "--set", "debug.crash_routes=true")

    def test_keep_alive_and_pipelining_in_order(self):
        c = self.server.raw()
        self.server.json("POST", "/v1/collections", {"name": "pipe"})
        reqs = ""
        for i in range(10):
            body = json.dumps({"i": i})
            reqs += ("PUT /v1/collections/pipe/documents/d%d HTTP/1.1\r\n"
                     "Host: x\r\nContent-Length: %d\r\n\r\n%s"
                     % (i, len(body), body))
            reqs += ("GET /v1/collections/pipe/documents/d%d HTTP/1.1\r\n"
                     "Host: x\r\n\r\n" % i)
        c.send(reqs)  # all twenty in one write
        for i in range(10):
            st, _, body = c.read_response()
            self.assertEqual(st, 201)
            st, _, body = c.read_response()
            self.assertEqual(st, 200)
            self.assertEqual(json.loads(body)["i"], i)
        c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(c.read_response()[0], 200)  # still alive
        c.close()

    def test_chunked_upload(self):
        c = self.server.raw()
        body = json.dumps({"_key": "chunky", "text": "x" * 100})
        chunks = [body[:10], body[10:50], body[50:]]
        wire = "".join("%x;ext=1\r\n%s\r\n" % (len(ch), ch) for ch in chunks)
        c.send("POST /v2/documents?collection=chunked HTTP/1.1\r\nHost: x\r\n"
               "Content-Type: application/x-ndjson\r\n"
               "Transfer-Encoding: chunked\r\n\r\n")
        for piece in (wire[:7], wire[7:30], wire[30:]):
            c.send(piece)
            time.sleep(0.02)
        c.send("0\r\nX-Trailer: t\r\n\r\n")
        st, _, resp = c.read_response()
        self.assertEqual(st, 200, resp)
        st, _, doc = self.server.json("GET",
                                      "/v1/collections/chunked/documents/chunky")
        self.assertEqual(doc["text"], "x" * 100)
        c.close()

    def test_curl_chunked_and_expect_continue(self):
        url = "http://127.0.0.1:%d/v2/documents?collection=curlc" % \
            self.server.port
        out = subprocess.run(
            ["curl", "-sS", "-v", "-H", "Transfer-Encoding: chunked",
             "-H", "Expect: 100-continue",
             "-H", "Content-Type: application/x-ndjson",
             "--data-binary", '{"_key":"c1"}\n', "-w", "\n%{http_code}", url],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(out.stdout.strip().splitlines()[-1], "200", out.stderr)
        self.assertIn("100 Continue", out.stderr)

    def test_expect_continue_rejects_oversized_body_early(self):
        c = self.server.raw()
        c.send("PUT /v1/collections/x/documents/y HTTP/1.1\r\nHost: x\r\n"
               "Expect: 100-continue\r\nContent-Length: 100000\r\n\r\n")
        st, h, body = c.read_response()
        self.assertEqual(st, 413)
        self.assertEqual(json.loads(body)["status_code"], 413)
        self.assertTrue(c.is_closed())

    def test_header_block_too_large_is_431(self):
        c = self.server.raw()
        c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n"
               % ("a" * 9000))
        st, h, _ = c.read_response()
        self.assertEqual(st, 431)
        self.assertEqual(h["connection"], "close")
        self.assertTrue(c.is_closed())

    def test_body_too_large_is_413(self):
        st, _, body = self.server.json("POST", "/v1/collections",
                                       "x" * 5000)
        self.assertEqual(st, 413)
        self.assertEqual(body["status_code"], 413)
        # chunked bodies are counted as they arrive
        c = self.server.raw()
        c.send("POST /v1/collections HTTP/1.1\r\nHost: x\r\n"
               "Transfer-Encoding: chunked\r\n\r\n")
        c.send(("1000\r\n" + "a" * 4096 + "\r\n") * 2)
        st, _, _ = c.read_response()
        self.assertEqual(st, 413)

    def test_malformed_requests_are_400_and_close(self):
        for bad in ("GARBAGE\r\n\r\n",
                    "GET / HTTP/1.1\r\n\r\n",               # no Host
                    "GET / HTTP/1.1\r\nHost : x\r\n\r\n",   # space before colon
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                    "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"):  # TLS hello
            c = self.server.raw()
            c.send(bad)
            st, h, body = c.read_response()
            self.assertEqual(st, 400, bad)
            self.assertEqual(json.loads(body)["error"], True)
            self.assertTrue(c.is_closed(), bad)
            c.close()
        c = self.server.raw()
        c.send("GET / HTTP/3.0\r\nHost: x\r\n\r\n")
        self.assertEqual(c.read_response()[0], 505)

    def test_slowloris_gets_408_and_close(self):
        c = self.server.raw()
        started = time.time()
        c.send("GET /health HTTP/1.1\r\nHost: x\r\n")  # never finishes
        st, _, _ = c.read_response(timeout=5)
        self.assertEqual(st, 408)
        self.assertTrue(c.is_closed())
        self.assertLess(time.time() - started, 3)
        # a slow body too
        c = self.server.raw()
        c.send("PUT /entities/a:b HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
               "\r\n12")
        self.assertEqual(c.read_response(timeout=5)[0], 408)

    def test_handler_crash_isolated_to_its_request(self):
        other = self.server.raw()
        other.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(other.read_response()[0], 200)
        c = self.server.raw()
        c.send("GET /v1/_debug/crash HTTP/1.1\r\nHost: x\r\n\r\n")
        st, _, body = c.read_response()
        self.assertEqual(st, 500)
        self.assertEqual(json.loads(body)["status_code"], 500)
        c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")  # same connection
        self.assertEqual(c.read_response()[0], 200)
        other.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(other.read_response()[0], 200)
        other.close()
        c.close()

    def test_connection_actor_crash_closes_only_that_connection(self):
        others = [self.server.raw() for _ in range(3)]
        for o in others:
            o.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(o.read_response()[0], 200)
        c = self.server.raw()
        c.send("GET /v1/_debug/crash?mode=actor HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(c.is_closed())
        for o in others:  # the keep-alive neighbours did not notice
            o.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(o.read_response()[0], 200)
            o.close()
        st, _, body = self.server.request("GET", "/metrics")
        self.assertIn("themis_handler_crashes_total", body.decode())


class ConnectionLimitTest(unittest.TestCase):
    def test_over_limit_refused_without_hurting_existing(self):
        srv = Server(("--set", "http.max_connections=4")).start()
        try:
            # Poll over the first held connection until every other one
            # (wait_ready's) is gone, so the count is exact.
            first = srv.raw()
            for _ in range(200):
                first.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                st, _, m = first.read_response()
                self.assertEqual(st, 200)
                if b"\nthemis_open_connections 1\n" in m:
                    break
                time.sleep(0.05)
            held = [first] + [srv.raw() for _ in range(3)]
            for h in held:
                h.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(h.read_response()[0], 200)
            extra = RawConn(srv.port)
            st, h, body = extra.read_response()
            self.assertEqual(st, 503)
            self.assertEqual(json.loads(body)["status_code"], 503)
            self.assertTrue(extra.is_closed())
            for h in held:
                h.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(h.read_response()[0], 200)
                h.close()
            # once the held connections are gone, new ones are served again
            for _ in range(100):
                try:
                    st, _, _ = srv.request("GET", "/health")
                except OSError:
                    st = None  # refused at accept while still over the limit
                if st == 200:
                    break
                time.sleep(0.05)
            self.assertEqual(st, 200)
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
