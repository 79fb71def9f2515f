"""gRPC-web and Connect on themisd's HTTP port (issue 20): the TypeScript
client generated from protos/ (scripts/gen-ts-client.sh, protoc-gen-es)
is compiled with tsc and drives a live themisd from Node through
gRPC-web and Connect transports (connect-node over HTTP/1.1 and HTTP/2,
connect-web over fetch): unary Documents.Put/Get, Query.Execute streamed,
a Changefeed.Subscribe receiving a live change. Raw HTTP/1.1 from Python
covers grpc-web-text (base64 both ways, streamed chunks), trailer frames,
Trailers-Only errors, Connect unary/streaming errors, CORS preflight and
malformed bodies (each answers its status; the server stays up)."""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, "/usr/lib/python3/dist-packages")
from google.protobuf import json_format  # noqa: E402

from themis_harness import Server  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
NODE_DIR = os.path.join(ROOT, "tests", "node")
GEN = os.path.join(ROOT, "scripts", "gen-ts-client.sh")
STUBS = tempfile.mkdtemp(prefix="themis_grpcweb_stubs_")
ORIGIN = "https://app.test"


def _python_stubs():
    base = os.path.join(ROOT, "protos")
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + base,
                    "-I/usr/include", "--python_out=" + STUBS,
                    "themis/v1/documents.proto", "themis/v1/query.proto",
                    "themis/v1/changefeed.proto"], check=True, timeout=60)
    sys.path.insert(0, STUBS)


_python_stubs()
from themis.v1 import changefeed_pb2 as cf  # noqa: E402
from themis.v1 import documents_pb2 as docs  # noqa: E402
from themis.v1 import query_pb2 as query  # noqa: E402

WEB = "application/grpc-web+proto"
TEXT = "application/grpc-web-text"


def frame(msg, flag=0):
    return bytes([flag]) + len(msg).to_bytes(4, "big") + msg


def unframe(body):
    """[(flag, payload)] of a gRPC-web/Connect body; raises if cut."""
    out = []
    while body:
        assert len(body) >= 5, body
        n = int.from_bytes(body[1:5], "big")
        assert len(body) >= 5 + n, (n, body)
        out.append((body[0], body[5:5 + n]))
        body = body[5 + n:]
    return out


def trailers_of(payload):
    t = {}
    for line in payload.decode().split("\r\n"):
        if line:
            k, _, v = line.partition(":")
            t[k.strip()] = v.strip()
    return t


class GrpcWebTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "grpc.web_cors_origins=" + ORIGIN]
                         ).start()
        st, _, _ = cls.srv.json("POST", "/v1/collections", {"name": "w"})
        assert st == 201, st

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def post(self, path, body, ctype, headers=None, timeout=15):
        h = {"Content-Type": ctype}
        h.update(headers or {})
        return self.srv.request("POST", path, body=body, headers=h,
                                timeout=timeout)

    def web_call(self, path, msg, ctype=WEB, headers=None):
        """One gRPC-web call: (http status, headers, [messages], trailers
        or None). Text bodies are base64 both ways."""
        body = frame(msg.SerializeToString())
        if ctype.startswith(TEXT):
            body = base64.b64encode(body)
        st, h, data = self.post(path, body, ctype, headers)
        if ctype.startswith(TEXT) and data:
            # the server encodes each frame on its own (padding inside):
            # quartet by quartet
            self.assertEqual(len(data) % 4, 0)
            data = b"".join(base64.b64decode(data[i:i + 4])
                            for i in range(0, len(data), 4))
        msgs, trailers = [], None
        for flag, payload in unframe(data):
            if flag & 0x80:
                trailers = trailers_of(payload)
            else:
                msgs.append(payload)
        return st, h, msgs, trailers

    # -- the generated TypeScript client from Node -------------------------

    def test_ts_client_generated_compiled_and_calls_themisd(self):
        pkg = tempfile.mkdtemp(prefix="themis_ts_client_")
        try:
            shutil.copytree(os.path.join(ROOT, "clients", "ts"), pkg,
                            dirs_exist_ok=True)
            os.symlink(os.path.join(NODE_DIR, "node_modules"),
                       os.path.join(pkg, "node_modules"))
            t0 = time.monotonic()
            g = subprocess.run([GEN, os.path.join(pkg, "src", "gen")],
                               capture_output=True, text=True, timeout=60)
            gen_s = time.monotonic() - t0
            self.assertEqual(g.returncode, 0, g.stderr)
            self.assertLessEqual(gen_s, 5.0)
            self.assertTrue(os.path.exists(os.path.join(
                pkg, "src", "gen", "themis", "v1", "documents_pb.ts")))
            tsc = os.path.join(NODE_DIR, "node_modules", ".bin", "tsc")
            c = subprocess.run([tsc, "-p", pkg], capture_output=True,
                               text=True, timeout=180)
            self.assertEqual(c.returncode, 0, c.stdout + c.stderr)
            base = "http://127.0.0.1:%d" % self.srv.port
            r = subprocess.run(
                ["node", os.path.join(NODE_DIR, "grpc_web_client.mjs"), pkg,
                 base, "w"], capture_output=True, text=True, timeout=180,
                cwd=NODE_DIR)
            self.assertEqual(r.returncode, 0, r.stderr)
            out = json.loads(r.stdout.strip().splitlines()[-1])
            self.assertEqual(len(out), 7, out)
            # connect-web's useHttpGet: Documents.Get went out as GET
            self.assertEqual(out["connect-json/fetch/get"].get(
                "http_methods"), ["GET", "POST"], out)
            for name, res in out.items():
                with self.subTest(transport=name):
                    self.assertTrue(res.get("ok"), res)
                    self.assertEqual(res["get_body"]["via"], name)
                    self.assertEqual(res["get_rev"], res["put_rev"])
                    self.assertEqual(res["not_found"], "NotFound")
                    self.assertEqual(res["query_rows"], 25)
                    self.assertEqual(res["query_sum"], 325)
                    self.assertEqual(res["query_batches"], 3)
                    key = name.replace("/", "_").replace("-", "_")
                    self.assertEqual(res["feed_keys"][-1], key + "_live")
        finally:
            shutil.rmtree(pkg, ignore_errors=True)

    def test_generation_stops_on_a_proto_syntax_error(self):
        d = tempfile.mkdtemp(prefix="themis_bad_protos_")
        try:
            shutil.copytree(os.path.join(ROOT, "protos"), d,
                            dirs_exist_ok=True)
            p = os.path.join(d, "themis", "v1", "documents.proto")
            with open(p) as f:
                lines = f.read().split("\n")
            lines.insert(9, "message Broken { string x = }")
            with open(p, "w") as f:
                f.write("\n".join(lines))
            out = os.path.join(d, "out")
            r = subprocess.run([GEN, out], capture_output=True, text=True,
                               timeout=60,
                               env=dict(os.environ, THEMIS_PROTOS_DIR=d))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("themis/v1/documents.proto:10:", r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    # -- gRPC-web on HTTP/1.1, raw -----------------------------------------

    def put(self, key, body):
        m = docs.PutDocumentRequest(collection="w", key=key)
        m.body.update(body)
        st, _, msgs, t = self.web_call("/themis.v1.Documents/Put", m)
        self.assertEqual((st, t["grpc-status"]), (200, "0"), t)
        return docs.Document.FromString(msgs[0])

    def test_grpc_web_binary_unary_and_trailer_frame(self):
        d = self.put("b1", {"x": 1})
        st, h, msgs, t = self.web_call(
            "/themis.v1.Documents/Get",
            docs.GetDocumentRequest(collection="w", key="b1"))
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], WEB)
        self.assertEqual(t["grpc-status"], "0")
        got = docs.Document.FromString(msgs[0])
        self.assertEqual(got.rev, d.rev)
        self.assertEqual(json_format.MessageToDict(got.body)["x"], 1)

    def test_grpc_web_text_unary_and_streamed_chunks(self):
        self.put("t1", {"t": "ext"})
        st, h, msgs, t = self.web_call(
            "/themis.v1.Documents/Get",
            docs.GetDocumentRequest(collection="w", key="t1"), ctype=TEXT)
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "application/grpc-web-text+proto")
        self.assertEqual(t["grpc-status"], "0")
        self.assertEqual(docs.Document.FromString(msgs[0]).key, "t1")
        # server streaming: chunked on HTTP/1.1, each frame base64 alone
        st, h, msgs, t = self.web_call(
            "/themis.v1.Query/Execute",
            query.ExecuteRequest(query="FOR i IN 1..7 RETURN i",
                                 batch_size=3), ctype=TEXT)
        self.assertEqual(h.get("transfer-encoding"), "chunked")
        self.assertEqual(t["grpc-status"], "0")
        rows = []
        for m in msgs:
            rows += [v.number_value for v in
                     query.ResultBatch.FromString(m).rows]
        self.assertEqual(len(msgs), 3)
        self.assertEqual(rows, [1, 2, 3, 4, 5, 6, 7])

    def test_grpc_web_errors_trailers_only_and_in_body(self):
        st, h, msgs, t = self.web_call(
            "/themis.v1.Documents/Get",
            docs.GetDocumentRequest(collection="w", key="nope"))
        # Trailers-Only: the status in the HTTP headers, no body
        self.assertEqual((st, msgs, t), (200, [], None))
        self.assertEqual(h["grpc-status"], "5")
        st, h, msgs, t = self.web_call(
            "/themis.v1.Nope/Get", docs.GetDocumentRequest())
        self.assertEqual(h["grpc-status"], "12")
        # a deadline on a live feed ends it in the body's trailer frame
        self.put("dl", {})
        st, h, msgs, t = self.web_call(
            "/themis.v1.Changefeed/Subscribe",
            cf.SubscribeRequest(collections=["w"], key_prefix="dl"),
            headers={"grpc-timeout": "700m"})
        # after the backfilled event: the trailer frame; on a machine too
        # loaded to send it in time: Trailers-Only. Either way, status 4.
        status = t["grpc-status"] if msgs else h.get("grpc-status")
        self.assertEqual(status, "4", (h, t))

    def test_malformed_bodies_answer_their_status(self):
        path = "/themis.v1.Documents/Get"
        good = docs.GetDocumentRequest(collection="w", key="x")
        cases = [
            # (body, content-type, http status, grpc-status)
            (b"\x00\x00\x00\x00\x64abc", WEB, 200, "13"),  # cut short
            (b"\x00\x7f\xff\xff\xffabc", WEB, 200, "8"),   # oversize
            (b"\x05\x00\x00\x00\x00", WEB, 200, "13"),     # bad flag
            (b"\x80\x00\x00\x00\x00", WEB, 200, "13"),     # trailer flag
            (b"\x01" + frame(b"xx")[1:], WEB, 200, "13"),  # no encoding
            (b"", WEB, 200, "12"),                         # no message
            (frame(b"\xff\xff\xff"), WEB, 200, "3"),       # not protobuf
            (b"AAAA*AAA", TEXT, 200, "13"),                # bad base64
            (b"AAAAA", TEXT, 200, "13"),                   # cut base64
            (frame(good.SerializeToString()),
             "application/grpc-web+json", 415, None),
            (frame(good.SerializeToString()), "application/grpc", 415,
             None),                                      # gRPC needs h2
        ]
        for body, ctype, want_st, want_grpc in cases:
            with self.subTest(body=body, ctype=ctype):
                st, h, data = self.post(path, body, ctype)
                self.assertEqual(st, want_st, data)
                if want_grpc:
                    self.assertEqual(h.get("grpc-status"), want_grpc,
                                     (h, data))
        st, h, _ = self.post(path, frame(b""), WEB,
                             {"grpc-timeout": "soon"})
        self.assertEqual((st, h.get("grpc-status")), (200, "3"))
        st, _, _ = self.srv.request("GET", "/health/ready")
        self.assertEqual(st, 200)

    # -- CORS --------------------------------------------------------------

    def test_cors_preflight_and_exposed_headers(self):
        st, h, _ = self.srv.request("OPTIONS", "/themis.v1.Documents/Get",
                                    headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers":
                "content-type,x-grpc-web,x-user-agent,authorization"})
        self.assertEqual(st, 204)
        self.assertEqual(h["access-control-allow-origin"], ORIGIN)
        self.assertEqual(h["access-control-allow-headers"],
                         "content-type,x-grpc-web,x-user-agent,authorization")
        self.assertIn("POST", h["access-control-allow-methods"])
        st, h, _ = self.srv.request("OPTIONS", "/themis.v1.Documents/Get",
                                    headers={
            "Origin": "https://evil.test",
            "Access-Control-Request-Method": "POST"})
        self.assertEqual(st, 403)
        self.assertNotIn("access-control-allow-origin", h)
        # header injection is never reflected
        st, h, _ = self.srv.request("OPTIONS", "/themis.v1.Documents/Get",
                                    headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "a:b"})
        self.assertEqual(st, 204)
        self.assertNotEqual(h["access-control-allow-headers"], "a:b")
        st, h, _, t = self.web_call(
            "/themis.v1.Documents/Get",
            docs.GetDocumentRequest(collection="w", key="nope"),
            headers={"Origin": ORIGIN})
        self.assertEqual(h["access-control-allow-origin"], ORIGIN)
        self.assertIn("grpc-status", h["access-control-expose-headers"])
        self.assertIn("grpc-message", h["access-control-expose-headers"])
        st, h, _, t = self.web_call(
            "/themis.v1.Documents/Get",
            docs.GetDocumentRequest(collection="w", key="nope"),
            headers={"Origin": "https://evil.test"})
        self.assertNotIn("access-control-allow-origin", h)

    # -- Connect, raw ------------------------------------------------------

    def test_connect_unary_json_proto_and_errors(self):
        self.put("c1", {"c": True})
        path = "/themis.v1.Documents/Get"
        st, h, data = self.post(path, json.dumps(
            {"collection": "w", "key": "c1"}), "application/json",
            {"Connect-Protocol-Version": "1"})
        self.assertEqual(st, 200, data)
        self.assertEqual(h["content-type"], "application/json")
        self.assertEqual(json.loads(data)["body"]["c"], True)
        st, h, data = self.post(path, docs.GetDocumentRequest(
            collection="w", key="c1").SerializeToString(),
            "application/proto")
        self.assertEqual(st, 200)
        self.assertEqual(docs.Document.FromString(data).key, "c1")
        for body, headers, want_st, want_code in [
            ('{"collection":"w","key":"none"}', {}, 404, "not_found"),
            ('{"collection":"w","bogus":1}', {}, 400, "invalid_argument"),
            ('{"collection":', {}, 400, "invalid_argument"),
            ("[" * 5000, {}, 400, "invalid_argument"),
            ('{}', {"Connect-Timeout-Ms": "x"}, 400, "invalid_argument"),
            ('{}', {"Connect-Protocol-Version": "2"}, 400,
             "invalid_argument"),
            ('{}', {"Content-Encoding": "br"}, 501, "unimplemented"),
        ]:
            with self.subTest(body=body[:40], headers=headers):
                st, h, data = self.post(path, body, "application/json",
                                        headers)
                self.assertEqual(st, want_st, data)
                self.assertEqual(h["content-type"], "application/json")
                self.assertEqual(json.loads(data)["code"], want_code)
        # a unary type on a streaming method
        st, _, _ = self.post("/themis.v1.Query/Execute", "{}",
                             "application/json")
        self.assertEqual(st, 415)

    def test_connect_server_streaming_and_end_stream(self):
        body = frame(json.dumps({"query": "FOR i IN 1..5 RETURN i",
                                 "batchSize": 2}).encode())
        st, h, data = self.post("/themis.v1.Query/Execute", body,
                                "application/connect+json")
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "application/connect+json")
        parts = unframe(data)
        self.assertEqual(parts[-1][0], 0x02)
        self.assertNotIn("error", json.loads(parts[-1][1]))
        rows = []
        for flag, p in parts[:-1]:
            self.assertEqual(flag, 0)
            rows += json.loads(p).get("rows", [])
        self.assertEqual(rows, [1, 2, 3, 4, 5])
        # an error: still 200, the error in the end-stream message
        st, h, data = self.post("/themis.v1.Query/Execute",
                                frame(b'{"query": "FOR x IN"}'),
                                "application/connect+json")
        self.assertEqual(st, 200)
        parts = unframe(data)
        self.assertEqual(len(parts), 1)
        self.assertEqual(parts[0][0], 0x02)
        self.assertEqual(json.loads(parts[0][1])["error"]["code"],
                         "invalid_argument")

    def test_reflection_half_duplex_and_health_over_connect(self):
        body = (frame(json.dumps({"listServices": ""}).encode()) +
                frame(json.dumps({"fileContainingSymbol": "no.Such"}
                                 ).encode()))
        st, h, data = self.post(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            body, "application/connect+json")
        self.assertEqual(st, 200)
        parts = unframe(data)
        self.assertEqual([p[0] for p in parts], [0, 0, 2])
        names = [x["name"] for x in
                 json.loads(parts[0][1])["listServicesResponse"]["service"]]
        self.assertIn("themis.v1.Documents", names)
        self.assertEqual(
            json.loads(parts[1][1])["errorResponse"]["errorCode"], 5)
        st, _, data = self.post("/grpc.health.v1.Health/Check", "{}",
                                "application/json")
        self.assertEqual((st, json.loads(data)), (200, {"status": "SERVING"}))


if __name__ == "__main__":
    unittest.main()
