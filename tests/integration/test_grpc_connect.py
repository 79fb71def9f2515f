"""Connect protocol extras (issue 20) against a live themisd: unary GET
(connectrpc.com/docs/protocol/#unary-get-request) for the methods marked
NO_SIDE_EFFECTS, with JSON and base64url proto messages, compressed
messages, curl's --get as the Connect docs show it, 405 for methods with
side effects; compressed Connect unary (Content-Encoding requests,
Accept-Encoding answers); Connect streaming with connect-content-encoding
both ways, client streaming over Connect (the interop service); and the
malformed cases: bad base64, unknown encodings and codings, oversize and
bomb bodies. Raw HTTP from Python's http.client (no Connect library
hides what is on the wire)."""

import base64
import gzip
import json
import subprocess
import sys
import unittest
import urllib.parse
import zlib

sys.path.insert(0, "/usr/lib/python3/dist-packages")

from grpc_wire import frame, generate_stubs, unframe  # noqa: E402
from themis_harness import Server  # noqa: E402

generate_stubs(["themis/v1/documents.proto", "grpc/testing/messages.proto"],
               services=False)
from grpc.testing import messages_pb2 as m  # noqa: E402
from themis.v1 import documents_pb2 as docs  # noqa: E402

GET_PATH = "/themis.v1.Documents/Get"


def b64url(data, pad=False):
    s = base64.urlsafe_b64encode(data).decode()
    return s if pad else s.rstrip("=")


class ConnectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "grpc.interop_test_service=true"]
                         ).start()
        st, _, _ = cls.srv.json("POST", "/v1/collections", {"name": "cg"})
        assert st == 201, st
        st, _, _ = cls.srv.json("PUT", "/v1/collections/cg/documents/k1",
                                {"n": 7, "text": "x" * 2000})
        assert st in (200, 201), st

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def get(self, path, params, headers=None):
        q = urllib.parse.urlencode(params)
        return self.srv.request("GET", path + "?" + q, headers=headers,
                                timeout=15)

    def assert_error(self, resp, status, code):
        st, h, data = resp
        self.assertEqual(st, status, data)
        self.assertEqual(h["content-type"], "application/json")
        self.assertEqual(json.loads(data)["code"], code)

    # -- unary GET -----------------------------------------------------------

    def test_get_json_and_proto(self):
        st, h, data = self.get(GET_PATH, {
            "connect": "v1", "encoding": "json",
            "message": json.dumps({"collection": "cg", "key": "k1"})})
        self.assertEqual(st, 200, data)
        self.assertEqual(h["content-type"], "application/json")
        self.assertEqual(json.loads(data)["body"]["n"], 7)
        msg = docs.GetDocumentRequest(collection="cg",
                                      key="k1").SerializeToString()
        for pad in (False, True):
            st, h, data = self.get(GET_PATH, {
                "connect": "v1", "encoding": "proto", "base64": "1",
                "message": b64url(msg, pad)})
            self.assertEqual(st, 200, data)
            self.assertEqual(h["content-type"], "application/proto")
            self.assertEqual(docs.Document.FromString(data).key, "k1")
        # a compressed message, and a compressed answer
        st, h, data = self.get(GET_PATH, {
            "connect": "v1", "encoding": "proto", "base64": "1",
            "compression": "gzip", "message": b64url(gzip.compress(msg))},
            {"Accept-Encoding": "gzip"})
        self.assertEqual(st, 200, data)
        self.assertEqual(h.get("content-encoding"), "gzip")
        self.assertEqual(docs.Document.FromString(
            gzip.decompress(data)).key, "k1")
        # other methods marked NO_SIDE_EFFECTS
        st, _, data = self.get("/themis.v1.Documents/List", {
            "encoding": "json", "message": '{"collection":"cg"}'})
        self.assertEqual(st, 200, data)
        self.assertEqual(json.loads(data)["documents"][0]["key"], "k1")
        st, _, data = self.get(
            "/grpc.testing.TestService/CacheableUnaryCall",
            {"encoding": "json", "message": '{"responseSize": 3}'})
        self.assertEqual(st, 200, data)
        self.assertEqual(base64.b64decode(json.loads(data)["payload"]["body"]),
                         b"\0\0\0")

    def test_get_with_curl_as_in_the_connect_docs(self):
        r = subprocess.run(
            ["curl", "-sS", "--max-time", "10", "--get",
             "--data-urlencode", "encoding=json",
             "--data-urlencode", 'message={"collection":"cg","key":"k1"}',
             "http://127.0.0.1:%d%s" % (self.srv.port, GET_PATH)],
            capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["key"], "k1")
        # and over HTTP/2 (h2c prior knowledge)
        r = subprocess.run(
            ["curl", "-sS", "--max-time", "10", "--http2-prior-knowledge",
             "--get", "--data-urlencode", "encoding=json",
             "--data-urlencode", 'message={"collection":"cg","key":"none"}',
             "-w", "\n%{http_code}",
             "http://127.0.0.1:%d%s" % (self.srv.port, GET_PATH)],
            capture_output=True, text=True, timeout=20)
        body, _, code = r.stdout.rpartition("\n")
        self.assertEqual(code, "404")
        self.assertEqual(json.loads(body)["code"], "not_found")

    def test_get_refusals(self):
        ok = {"encoding": "json", "message": '{"collection":"cg","key":"k1"}'}
        for path in ("/themis.v1.Documents/Put", "/themis.v1.Query/Execute",
                     "/grpc.testing.TestService/UnaryCall"):
            with self.subTest(path=path):
                resp = self.get(path, ok)
                self.assert_error(resp, 405, "unimplemented")
                self.assertEqual(resp[1]["allow"], "POST")
        for params, status, code in [
            (dict(ok, connect="v2"), 400, "invalid_argument"),
            ({"message": ok["message"]}, 400, "invalid_argument"),
            ({"encoding": "json"}, 400, "invalid_argument"),
            (dict(ok, encoding="xml"), 415, "invalid_argument"),
            (dict(ok, base64="yes"), 400, "invalid_argument"),
            ({"encoding": "proto", "base64": "1", "message": "!!not*b64"},
             400, "invalid_argument"),
            ({"encoding": "proto", "base64": "1", "message": "A"}, 400,
             "invalid_argument"),
            (dict(ok, compression="br"), 501, "unimplemented"),
            (dict(ok, compression="gzip"), 400, "invalid_argument"),
            ({"encoding": "json", "message": '{"bogus":1}'}, 400,
             "invalid_argument"),
            ({"encoding": "proto", "message": "\xff\xff"}, 400,
             "invalid_argument"),
        ]:
            with self.subTest(params=params):
                self.assert_error(self.get(GET_PATH, params), status, code)
        # a message param over the request-line limit: refused early
        st, _, _ = self.get(GET_PATH, {"encoding": "proto", "base64": "1",
                                       "message": "A" * 20000})
        self.assertIn(st, (400, 414, 431))
        # the server is fine
        st, _, _ = self.get(GET_PATH, ok)
        self.assertEqual(st, 200)

    # -- compressed Connect unary --------------------------------------------

    def post(self, path, body, ctype, headers=None):
        h = {"Content-Type": ctype}
        h.update(headers or {})
        return self.srv.request("POST", path, body=body, headers=h,
                                timeout=15)

    def test_unary_compression_both_ways(self):
        req = json.dumps({"collection": "cg", "key": "k1"}).encode()
        for coding, comp, decomp in [
                ("gzip", gzip.compress, gzip.decompress),
                ("deflate", zlib.compress, zlib.decompress)]:
            with self.subTest(coding=coding):
                st, h, data = self.post(GET_PATH, comp(req),
                                        "application/json",
                                        {"Content-Encoding": coding,
                                         "Accept-Encoding": coding})
                self.assertEqual(st, 200, data)
                self.assertEqual(h.get("content-encoding"), coding)
                self.assertIn("Accept-Encoding", h.get("vary", ""))
                self.assertEqual(json.loads(decomp(data))["body"]["n"], 7)
        # an identity request, a gzip answer (asymmetric, as Connect
        # clients do by default); identity-only clients get identity
        st, h, data = self.post(GET_PATH, req, "application/json",
                                {"Accept-Encoding": "br, gzip"})
        self.assertEqual(h.get("content-encoding"), "gzip")
        self.assertEqual(json.loads(gzip.decompress(data))["key"], "k1")
        st, h, data = self.post(GET_PATH, req, "application/json",
                                {"Accept-Encoding": "identity"})
        self.assertNotIn("content-encoding", h)
        self.assertEqual(json.loads(data)["key"], "k1")
        # errors are plain JSON even when the client accepts gzip
        resp = self.post(GET_PATH, b'{"collection":"cg","key":"zz"}',
                         "application/json", {"Accept-Encoding": "gzip"})
        self.assert_error(resp, 404, "not_found")

    def test_unary_compression_malformed(self):
        req = b'{"collection":"cg","key":"k1"}'
        self.assert_error(self.post(GET_PATH, req, "application/json",
                                    {"Content-Encoding": "br"}),
                          501, "unimplemented")
        self.assert_error(self.post(GET_PATH, req, "application/json",
                                    {"Content-Encoding": "gzip"}),
                          400, "invalid_argument")
        self.assert_error(self.post(GET_PATH, gzip.compress(req)[:-9],
                                    "application/json",
                                    {"Content-Encoding": "gzip"}),
                          400, "invalid_argument")
        # a bomb: 5 MiB of zeros in a few KiB
        bomb = gzip.compress(b"{" + b" " * (5 << 20) + b"}")
        self.assertLess(len(bomb), 64 << 10)
        self.assert_error(self.post(GET_PATH, bomb, "application/json",
                                    {"Content-Encoding": "gzip"}),
                          429, "resource_exhausted")
        # oversize plain body
        big = b'{"collection":"' + b"x" * (5 << 20) + b'"}'
        self.assert_error(self.post(GET_PATH, big, "application/json"),
                          429, "resource_exhausted")

    # -- Connect streaming ---------------------------------------------------

    def test_streaming_compression_both_ways(self):
        req = m.StreamingOutputCallRequest(response_parameters=[
            m.ResponseParameters(size=3000),
            m.ResponseParameters(size=4000)]).SerializeToString()
        st, h, data = self.post(
            "/grpc.testing.TestService/StreamingOutputCall",
            frame(gzip.compress(req), 1), "application/connect+proto",
            {"Connect-Content-Encoding": "gzip",
             "Connect-Accept-Encoding": "gzip"})
        self.assertEqual(st, 200, data)
        self.assertEqual(h.get("connect-content-encoding"), "gzip")
        parts = unframe(data)
        self.assertEqual([f for f, _ in parts], [1, 1, 2])
        sizes = [len(m.StreamingOutputCallResponse.FromString(
            gzip.decompress(p)).payload.body) for _, p in parts[:2]]
        self.assertEqual(sizes, [3000, 4000])
        self.assertNotIn("error", json.loads(parts[2][1]))
        # a compressed envelope without a coding: internal error
        st, h, data = self.post(
            "/grpc.testing.TestService/StreamingOutputCall",
            frame(gzip.compress(req), 1), "application/connect+proto")
        self.assertEqual(st, 200)
        end = unframe(data)[-1]
        self.assertEqual(end[0], 2)
        self.assertEqual(json.loads(end[1])["error"]["code"], "internal")

    def test_client_streaming_over_connect(self):
        body = b"".join(frame(m.StreamingInputCallRequest(
            payload=m.Payload(body=b"\0" * n)).SerializeToString())
            for n in (10, 20, 30))
        st, h, data = self.post(
            "/grpc.testing.TestService/StreamingInputCall", body,
            "application/connect+proto")
        self.assertEqual(st, 200, data)
        parts = unframe(data)
        self.assertEqual([f for f, _ in parts], [0, 2])
        self.assertEqual(m.StreamingInputCallResponse.FromString(
            parts[0][1]).aggregated_payload_size, 60)
        # a unary type on the client-streaming method: 415
        st, _, _ = self.post("/grpc.testing.TestService/StreamingInputCall",
                             b"{}", "application/json")
        self.assertEqual(st, 415)


if __name__ == "__main__":
    unittest.main()
