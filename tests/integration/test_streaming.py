"""Streamed AQL results (issue 22, docs/rest-api.md "Streaming") against
the real themisd: NDJSON, CSV and a streamed JSON array from POST
/query/aql and /v1/query with chunked transfer encoding; an error after
the first byte as the documented final record; a slow reader keeps the
server's memory bounded (VmRSS from /proc) while a large result is
produced only as fast as it is read; a client that goes away stops the
query (its CPU time stops growing)."""

import csv
import io
import json
import socket
import time
import unittest

from tokens import rss_kb
from themis_harness import Server

BIG = ("FOR a IN 1..5000 FOR b IN 1..1000 "
       "RETURN {a, b, pad: '0123456789012345678901234567890123456789'}")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / 100.0


class StreamingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "query.timeout_ms=120000"]).start()
        s = cls.srv
        s.json("POST", "/v1/collections", {"name": "things"})
        for i in range(20):
            s.json("POST", "/v1/collections/things/documents",
                   {"_key": "t%02d" % i, "n": i, "text": "a,b \"q\" %d" % i})

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def post(self, path, query, headers, bind=None):
        body = {"query": query}
        if bind:
            body["bindVars"] = bind
        return self.srv.request("POST", path, json.dumps(body), dict(
            headers, **{"Content-Type": "application/json"}), timeout=60)

    def test_ndjson(self):
        st, h, data = self.post("/query/aql",
                                "FOR i IN 1..30000 RETURN {i}",
                                {"Accept": "application/x-ndjson"})
        self.assertEqual(st, 200, data[:200])
        self.assertEqual(h["content-type"], "application/x-ndjson")
        self.assertEqual(h.get("transfer-encoding"), "chunked")
        lines = data.decode().splitlines()
        self.assertEqual(len(lines), 30000)
        self.assertEqual(json.loads(lines[0]), {"i": 1})
        self.assertEqual(json.loads(lines[-1]), {"i": 30000})
        # /v1/query streams the same way
        st, _, data = self.post("/v1/query", "FOR t IN things RETURN t.n",
                                {"Accept": "application/x-ndjson"})
        self.assertEqual(st, 200)
        self.assertEqual([json.loads(x) for x in data.decode().splitlines()],
                         list(range(20)))

    def test_json_array_and_csv(self):
        st, h, data = self.srv.request(
            "POST", "/query/aql?stream=true",
            json.dumps({"query": "FOR t IN things FILTER t.n < @m RETURN t.n",
                        "bindVars": {"m": 5}}),
            {"Content-Type": "application/json"})
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(data),
                         {"result": [0, 1, 2, 3, 4], "hasMore": False,
                          "count": 5})
        st, h, data = self.post(
            "/query/aql", "FOR t IN things SORT t.n LIMIT 3 "
            "RETURN {n: t.n, text: t.text, nested: {x: t.n}}",
            {"Accept": "text/csv"})
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/csv"))
        rows = list(csv.reader(io.StringIO(data.decode())))
        self.assertEqual(rows[0], ["n", "nested", "text"])
        self.assertEqual(rows[1], ["0", '{"x":0}', 'a,b "q" 0'])
        self.assertEqual(len(rows), 4)

    def test_errors(self):
        # before the first byte: the usual answer
        st, _, data = self.post("/query/aql", "FOR i IN RETURN",
                                {"Accept": "application/x-ndjson"})
        self.assertEqual(st, 400)
        # after it: NDJSON's last record, JSON's error fields, CSV's #error
        q = ("FOR a IN 1..100 FOR b IN (a == 90 ? 1..100000000 : 1..1000) "
             "RETURN {a, b}")
        st, _, data = self.post("/query/aql", q,
                                {"Accept": "application/x-ndjson"})
        self.assertEqual(st, 200)
        lines = data.decode().splitlines()
        self.assertGreater(len(lines), 1000)
        last = json.loads(lines[-1])
        self.assertEqual((last["error"], last["status_code"]), (True, 400),
                         last)
        self.assertIn("range too large", last["message"])
        st, _, data = self.srv.request(
            "POST", "/query/aql?stream=true", json.dumps({"query": q}),
            {"Content-Type": "application/json"}, timeout=60)
        body = json.loads(data)
        self.assertTrue(body["error"])
        self.assertGreater(len(body["result"]), 1000)
        st, _, data = self.post("/query/aql", q, {"Accept": "text/csv"})
        self.assertTrue(data.decode().splitlines()[-1].startswith("#error,400,"))

    def raw_request(self, query):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        body = json.dumps({"query": query}).encode()
        s.sendall(b"POST /query/aql HTTP/1.1\r\nHost: x\r\n"
                  b"Accept: application/x-ndjson\r\n"
                  b"Content-Type: application/json\r\nContent-Length: " +
                  str(len(body)).encode() + b"\r\n\r\n" + body)
        return s

    def test_slow_reader_bounded_memory_then_disconnect(self):
        pid = self.srv.proc.pid
        base = rss_kb(pid)
        s = self.raw_request(BIG)  # 5M rows, ~375 MB of NDJSON
        got = 0
        peak = base
        for _ in range(25):  # a slow client: 64 KiB every 0.1 s
            chunk = s.recv(65536)
            self.assertTrue(chunk)
            got += len(chunk)
            peak = max(peak, rss_kb(pid))
            time.sleep(0.1)
        self.assertLess(got, 4 << 20)
        # the result is ~375 MB; the server holds a bounded window of it
        self.assertLess(peak - base, 64 * 1024,
                        "RSS grew from %d to %d KiB" % (base, peak))
        # the query is paced by the reader: idle while nobody reads
        c0 = cpu_seconds(pid)
        time.sleep(1.0)
        self.assertLess(cpu_seconds(pid) - c0, 0.5)
        # a client that leaves stops the query
        s.close()
        time.sleep(0.5)
        st, _, b = self.srv.json("POST", "/query/aql", {"query": "RETURN 1"})
        self.assertEqual((st, b["result"]), (200, [1]))
        c0 = cpu_seconds(pid)
        time.sleep(1.0)
        self.assertLess(cpu_seconds(pid) - c0, 0.5)

    def test_fast_reader_gets_everything(self):
        s = self.raw_request("FOR a IN 1..200 FOR b IN 1..1000 RETURN a * 1000 + b")
        f = s.makefile("rb")
        status = f.readline()
        self.assertIn(b"200", status)
        while f.readline() not in (b"\r\n", b""):
            pass
        # chunked body
        n = 0
        last = None
        buf = b""
        while True:
            size = int(f.readline().strip(), 16)
            if size == 0:
                break
            buf += f.read(size)
            f.readline()
            *done, buf = buf.split(b"\n")
            n += len(done)
            if done:
                last = done[-1]
        s.close()
        self.assertEqual(n, 200000)
        self.assertEqual(last, b"201000")


if __name__ == "__main__":
    unittest.main()
