"""Server-Sent Events changefeed against the real themisd, read with
curl -N and with a raw-socket SSE client: backfill then live without gap,
Last-Event-ID resume under concurrent writes, filters, heartbeats, slow
consumer overflow, 410 after compaction, draining, 1,000 subscribers."""

import http.client
import json
import resource
import selectors
import signal
import socket
import subprocess
import threading
import time
import unittest

from themis_harness import Server, ServerTest

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))


class SseClient:
    """Minimal EventSource: HTTP/1.1 GET, chunked decoding, SSE fields."""

    def __init__(self, port, path, headers=None, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        extra = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAccept: "
                           "text/event-stream\r\n%s\r\n" % (path, extra)).encode())
        self.raw = b""
        self.body = b""
        self.status = None
        self.closed = False

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        if not data:
            self.closed = True
            return False
        self.raw += data
        if self.status is None and b"\r\n\r\n" in self.raw:
            head, self.raw = self.raw.split(b"\r\n\r\n", 1)
            self.status = int(head.split(b" ")[1])
            self.headers = head.decode().lower()
        if self.status is not None:
            while True:  # de-chunk what is complete
                nl = self.raw.find(b"\r\n")
                if nl < 0:
                    break
                size = int(self.raw[:nl].split(b";")[0], 16)
                if len(self.raw) < nl + 2 + size + 2:
                    break
                self.body += self.raw[nl + 2:nl + 2 + size]
                self.raw = self.raw[nl + 2 + size + 2:]
                if size == 0:
                    self.closed = True
                    break
        return True

    def events(self, until, timeout=10):
        """Reads until until(list_of_blocks) is true; returns the blocks."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            blocks = self.blocks()
            if until(blocks) or self.closed:
                return blocks
            self._fill(max(0.01, deadline - time.time()))
        return self.blocks()

    def blocks(self):
        out = []
        for block in self.body.decode().split("\n\n")[:-1]:
            fields = {}
            for line in block.split("\n"):
                if line.startswith(":"):
                    fields.setdefault("comment", []).append(line[1:].strip())
                elif ":" in line:
                    k, v = line.split(":", 1)
                    fields[k] = v[1:] if v.startswith(" ") else v
            out.append(fields)
        return out

    def close(self):
        self.sock.close()


def changes(blocks):
    return [json.loads(b["data"]) for b in blocks if b.get("event") == "change"]


class SseTest(ServerTest):
    def put(self, key, doc=None, coll="sse"):
        return self.put_entity(coll, key, doc)

    def test_backfill_then_live_in_order(self):
        start = self.tip()
        s1 = self.put("a", {"n": 1})
        s2 = self.put("b", {"n": 2})
        c = SseClient(self.server.port, "/changefeed/stream?from_seq=%d" % start)
        blocks = c.events(lambda b: len(changes(b)) >= 2)
        self.assertEqual(c.status, 200)
        self.assertIn("content-type: text/event-stream", c.headers)
        self.assertIn("transfer-encoding: chunked", c.headers)
        self.assertIn("retry", blocks[0])
        s3 = self.put("c", {"n": 3})
        self.server.request("DELETE", "/entities/sse:a")
        blocks = c.events(lambda b: len(changes(b)) >= 4)
        ev = changes(blocks)
        self.assertEqual([e["sequence"] for e in ev], [s1, s2, s3, s3 + 1])
        ids = [int(b["id"]) for b in blocks if b.get("event") == "change"]
        self.assertEqual(ids, [s1, s2, s3, s3 + 1])
        self.assertEqual(ev[2]["value"]["n"], 3)
        self.assertEqual(ev[3]["type"], "DELETE")
        c.close()

    def test_curl_reads_a_true_stream(self):
        start = self.tip()
        p = subprocess.Popen(
            ["curl", "-sN", "http://127.0.0.1:%d/v1/changes/stream?from_seq=%d"
             % (self.server.port, start)], stdout=subprocess.PIPE)
        time.sleep(0.3)
        seq = self.put("curl", {"via": "curl"})
        got = b""
        deadline = time.time() + 10
        while b"id: %d" % seq not in got and time.time() < deadline:
            got += p.stdout.read1(4096)
        p.kill()
        p.wait()
        self.assertIn(b"id: %d\nevent: change\ndata: " % seq, got)

    def test_resume_with_last_event_id_under_concurrent_writes(self):
        start = self.tip()
        stop = threading.Event()

        def writer():
            c = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                           timeout=10)
            for i in range(600):
                if stop.is_set():
                    break
                c.request("PUT", "/entities/resume:k%d" % (i % 40),
                          json.dumps({"blob": json.dumps({"i": i})}),
                          {"Content-Type": "application/json"})
                c.getresponse().read()
            c.close()

        threads = [threading.Thread(target=writer) for _ in range(2)]
        for t in threads:
            t.start()
        seen = []
        last = start
        for rnd in range(6):  # disconnect and resume several times
            c = SseClient(self.server.port, "/changefeed/stream?from_seq=0",
                          headers={"Last-Event-ID": str(last)})
            blocks = c.events(lambda b: len(changes(b)) >= 150, timeout=5)
            c.close()
            got = [e["sequence"] for e in changes(blocks)]
            seen += got
            if got:
                last = got[-1]
        for t in threads:
            t.join(30)
        c = SseClient(self.server.port, "/changefeed/stream",
                      headers={"Last-Event-ID": str(last)})
        end = self.tip()
        blocks = c.events(lambda b: changes(b) and
                          changes(b)[-1]["sequence"] >= end, timeout=10)
        seen += [e["sequence"] for e in changes(blocks)]
        c.close()
        self.assertEqual(seen, list(range(start + 1, end + 1)))

    def test_filters_and_heartbeats(self):
        start = self.tip()
        c = SseClient(self.server.port,
                      "/changefeed/stream?from_seq=%d&key_prefix=hb:x"
                      "&event_types=PUT&heartbeat_ms=200&include_docs=false"
                      % start)
        self.put("x1", coll="hb")
        self.put("y1", coll="hb")
        self.put("x2", coll="hb")
        self.server.request("DELETE", "/entities/hb:x1")
        blocks = c.events(lambda b: len(changes(b)) >= 2 and
                          sum("comment" in x for x in b) >= 2, timeout=5)
        ev = changes(blocks)
        self.assertEqual([e["key"] for e in ev], ["x1", "x2"])
        self.assertNotIn("value", ev[0])
        self.assertGreaterEqual(
            sum(x.get("comment") == ["heartbeat"] for x in blocks), 2)
        c.close()
        for bad in ("event_types=NOPE", "from_seq=abc", "heartbeat_ms=1"):
            st, _, body = self.server.json("GET", "/changefeed/stream?" + bad)
            self.assertEqual(st, 400, bad)

    def test_pipelined_request_behind_a_stream_and_head(self):
        start = self.tip()
        c = SseClient(self.server.port, "/changefeed/stream?from_seq=%d"
                      "&collection=pipe" % start)
        c.sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        seq = self.put("p1", coll="pipe")
        blocks = c.events(lambda b: len(changes(b)) >= 1)
        self.assertEqual([e["sequence"] for e in changes(blocks)], [seq])
        c.close()
        # HEAD: headers only, and the connection stays usable
        r = __import__("themis_harness").RawConn(self.server.port)
        r.send("HEAD /changefeed/stream HTTP/1.1\r\nHost: x\r\n\r\n")
        st, h, body = r.read_response()
        self.assertEqual(st, 200)
        self.assertEqual(body, b"")
        r.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(r.read_response()[0], 200)
        r.close()

    def test_thousand_subscribers_receive_everything(self):
        start = self.tip()
        n = 1000
        sel = selectors.DefaultSelector()
        socks = []
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", self.server.port))
            s.sendall(b"GET /changefeed/stream?from_seq=%d&collection=fan "
                      b"HTTP/1.1\r\nHost: x\r\n\r\n" % start)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
            socks.append(s)
        time.sleep(0.5)
        seqs = [self.put("k%d" % i, {"i": i}, coll="fan") for i in range(20)]
        want = b"id: %d\n" % seqs[-1]
        data = [b""] * n
        done = set()
        deadline = time.time() + 60
        while len(done) < n and time.time() < deadline:
            for key, _ in sel.select(timeout=1):
                chunk = key.fileobj.recv(65536)
                data[key.data] += chunk
                if want in data[key.data]:
                    done.add(key.data)
        for s in socks:
            s.close()
        self.assertEqual(len(done), n)
        for d in data:
            self.assertEqual(
                [int(l[4:]) for l in d.decode().split("\n")
                 if l.startswith("id: ")], seqs)


class SseLimitsTest(unittest.TestCase):
    def test_slow_consumer_gets_overflow_with_last_sequence(self):
        srv = Server(("--set", "changefeed.max_queue_events=4")).start()
        try:
            c = SseClient(srv.port, "/changefeed/stream?from_seq=0",
                          rcvbuf=4096)
            c.events(lambda b: len(b) >= 1, timeout=5)  # subscribed
            big = "x" * 20000
            for i in range(400):
                st, _, _ = srv.json("PUT", "/entities/slow:k%d" % i,
                                    {"blob": json.dumps({"pad": big})})
                self.assertIn(st, (200, 201))
            blocks = c.events(lambda b: any(x.get("event") == "error"
                                            for x in b), timeout=30)
            err = [json.loads(b["data"]) for b in blocks
                   if b.get("event") == "error"]
            self.assertEqual(len(err), 1)
            self.assertIn("overflow", err[0]["message"])
            got = [e["sequence"] for e in changes(blocks)]
            self.assertEqual(err[0]["last_sequence"], got[-1])
            self.assertEqual(got, list(range(1, len(got) + 1)))
            self.assertLess(len(got), 400)
            c.events(lambda b: False, timeout=2)
            self.assertTrue(c.closed)  # the stream ended
            # resuming from the reported sequence continues without a gap
            c2 = SseClient(srv.port, "/changefeed/stream",
                           headers={"Last-Event-ID": str(got[-1])})
            b2 = c2.events(lambda b: len(changes(b)) >= 1, timeout=5)
            self.assertEqual(changes(b2)[0]["sequence"], got[-1] + 1)
            c2.close()
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.cleanup()

    def test_large_backfill_is_paced_not_overflowed(self):
        srv = Server(("--set", "changefeed.max_queue_events=4")).start()
        try:
            ops = [{"op": "put", "key": "big:k%d" % i,
                    "blob": json.dumps({"pad": "y" * 500, "i": i})}
                   for i in range(3000)]
            st, _, _ = srv.json("POST", "/entities/batch", {"operations": ops})
            self.assertEqual(st, 200)
            c = SseClient(srv.port, "/changefeed/stream?from_seq=0",
                          rcvbuf=8192)
            time.sleep(1)  # let the server block on the small window
            blocks = c.events(lambda b: len(changes(b)) >= 3000, timeout=60)
            self.assertFalse(any(b.get("event") == "error" for b in blocks))
            self.assertEqual([e["sequence"] for e in changes(blocks)],
                             list(range(1, 3001)))
            c.close()
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.cleanup()

    def test_compacted_resume_is_410_and_drain_ends_streams(self):
        srv = Server(("--set", "changefeed.retention_max_events=2",
                      "--set", "changefeed.compaction_interval_ms=100")).start()
        try:
            for i in range(10):
                srv.json("PUT", "/entities/c:k%d" % i, {"blob": "{}"})
            for _ in range(200):  # wait for the compaction (long-poll view)
                st, h, _ = srv.request("GET", "/changefeed?from_seq=1")
                if st == 410 and h.get("x-compacted-through") == "8":
                    break
                time.sleep(0.05)
            st, h, body = srv.request("GET", "/changefeed/stream?from_seq=1")
            self.assertEqual(st, 410)
            self.assertEqual(h["x-compacted-through"], "8")
            self.assertEqual(json.loads(body)["status_code"], 410)
            c = SseClient(srv.port, "/changefeed/stream?from_seq=8")
            blocks = c.events(lambda b: len(changes(b)) >= 2, timeout=5)
            self.assertEqual([e["sequence"] for e in changes(blocks)], [9, 10])
            idle = SseClient(srv.port, "/changefeed/stream?from_seq=10")
            idle.events(lambda b: len(b) >= 1, timeout=5)  # subscribed
            srv.proc.send_signal(signal.SIGTERM)
            blocks = c.events(lambda b: False, timeout=5)
            self.assertTrue(c.closed)
            end = [json.loads(b["data"]) for b in blocks if b.get("event") == "end"]
            self.assertEqual(len(end), 1)
            self.assertEqual(end[0]["last_sequence"], 10)
            # a stream that was sent nothing reports its own start point
            blocks = idle.events(lambda b: False, timeout=5)
            end = [json.loads(b["data"]) for b in blocks if b.get("event") == "end"]
            self.assertEqual(end[0]["last_sequence"], 10)
            self.assertEqual(srv.proc.wait(20), 0)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
