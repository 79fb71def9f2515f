"""Response compression and compressed request bodies, driven by curl
(which decodes gzip, br and zstd itself) and raw http.client requests:
negotiation with q-values, Vary, no compression below the minimum size or
for a client that refuses it, a compressed SSE stream that decodes as it
arrives, gzip and zstd request bodies, an unknown coding (415) and a zip
bomb (413)."""

import gzip
import json
import subprocess
import unittest

from themis_harness import Server


class CompressionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "compression.min_bytes=200"]).start()
        cls.base = "http://127.0.0.1:%d" % cls.srv.port
        cls.srv.json("POST", "/v1/collections", {"name": "zdocs"})
        for i in range(40):
            cls.srv.json("PUT", "/v1/collections/zdocs/documents/d%02d" % i,
                         {"text": "the same words again and again %d" % i})

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def curl(self, path, *args):
        r = subprocess.run(["curl", "-sS", "--max-time", "10", "-D", "-",
                            *args, self.base + path], capture_output=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        head, _, body = r.stdout.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode().split("\r\n")[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        return headers, body

    def test_each_coding_round_trips(self):
        path = "/v1/collections/zdocs/documents"
        _, plain = self.curl(path)
        for coding in ("gzip", "br", "zstd"):
            h, body = self.curl(path, "--compressed", "-H",
                                "Accept-Encoding: " + coding)
            self.assertEqual(h.get("content-encoding"), coding)
            self.assertIn("Accept-Encoding", h.get("vary", ""))
            self.assertEqual(json.loads(body), json.loads(plain))
            # and the wire form is smaller
            _, raw = self.curl(path, "-H", "Accept-Encoding: " + coding)
            self.assertLess(len(raw), len(plain) // 2)

    def test_negotiation(self):
        path = "/v1/collections/zdocs/documents"
        h, _ = self.curl(path, "-H", "Accept-Encoding: gzip;q=1, br;q=0.5")
        self.assertEqual(h.get("content-encoding"), "gzip")
        h, _ = self.curl(path, "-H", "Accept-Encoding: br;q=0, *;q=0.1")
        self.assertEqual(h.get("content-encoding"), "zstd")
        h, _ = self.curl(path, "-H", "Accept-Encoding: identity")
        self.assertNotIn("content-encoding", h)
        self.assertIn("Accept-Encoding", h.get("vary", ""))
        h, _ = self.curl(path)  # no header: identity
        self.assertNotIn("content-encoding", h)
        # below compression.min_bytes: sent as it is
        h, _ = self.curl("/health", "-H", "Accept-Encoding: gzip")
        self.assertNotIn("content-encoding", h)

    def test_compressed_sse_stream(self):
        # the stream is compressed and flushed per event: curl decodes the
        # backfilled events before the stream ends
        r = subprocess.run(
            ["curl", "-sS", "-N", "--compressed", "--max-time", "3", "-H",
             "Accept-Encoding: gzip", "-D", "-",
             self.base + "/changefeed/stream?from_seq=0&collection=zdocs"],
            capture_output=True, timeout=30)
        out = r.stdout.decode(errors="replace")
        self.assertIn("content-encoding: gzip", out.lower())
        for i in range(40):  # (other tests add documents of their own)
            self.assertIn('"key":"d%02d"' % i, out)

    def post(self, body, encoding):
        st, h, data = self.srv.request(
            "PUT", "/v1/collections/zdocs/documents/posted", body,
            {"Content-Type": "application/json",
             "Content-Encoding": encoding})
        return st, h, data

    def test_compressed_request_bodies(self):
        doc = json.dumps({"posted": "yes", "pad": "x" * 1000}).encode()
        st, _, data = self.post(gzip.compress(doc), "gzip")
        self.assertIn(st, (200, 201), data)
        z = subprocess.run(["zstd", "-q", "-c"], input=doc,
                           capture_output=True).stdout
        st, _, data = self.post(z, "zstd")
        self.assertIn(st, (200, 201), data)
        st, _, body = self.srv.request(
            "GET", "/v1/collections/zdocs/documents/posted")
        self.assertEqual(json.loads(body)["posted"], "yes")

    def test_bad_request_bodies(self):
        st, h, _ = self.post(b"{}", "compress")  # LZW: not supported
        self.assertEqual(st, 415)
        self.assertIn("gzip", h.get("accept-encoding", ""))
        st, _, _ = self.post(b"not gzip at all", "gzip")
        self.assertEqual(st, 400)
        bomb = gzip.compress(b"\0" * (64 << 20))  # 64 MiB in ~64 KiB
        st, _, data = self.post(bomb, "gzip")
        self.assertEqual(st, 413, data)
        st, _, _ = self.srv.request("GET", "/health")
        self.assertEqual(st, 200)


if __name__ == "__main__":
    unittest.main()
