"""gRPC on themisd's own HTTP/2 stack (issue 20), driven by the real
python3-grpcio client with stubs generated here from protos/ by
grpc_tools.protoc: every service and method, status mapping, revisions,
compression both ways, deadlines, cancellation mid-stream, auth failures,
reflection (v1 and v1alpha), health watch across a drain, TLS, and
malformed frames sent with nghttp (the status comes back in trailers)."""

import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import grpc  # noqa: E402
from google.protobuf import descriptor_pb2, json_format  # noqa: E402

from themis_harness import Server, free_port  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
STUBS = tempfile.mkdtemp(prefix="themis_grpc_stubs_")


def _generate_stubs():
    protos = []
    base = os.path.join(ROOT, "protos")
    for d, _, files in os.walk(base):
        protos += [os.path.relpath(os.path.join(d, f), base)
                   for f in files if f.endswith(".proto")]
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + base,
                    "-I/usr/include", "--python_out=" + STUBS,
                    "--grpc_python_out=" + STUBS] + protos, check=True,
                   timeout=60)
    sys.path.insert(0, STUBS)
    # grpc.health / grpc.reflection live inside the grpc package's name
    grpc.__path__.append(os.path.join(STUBS, "grpc"))


_generate_stubs()
from grpc.health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from grpc.reflection.v1 import reflection_pb2 as refl1  # noqa: E402
from grpc.reflection.v1 import reflection_pb2_grpc as refl1_grpc  # noqa: E402
from grpc.reflection.v1alpha import reflection_pb2 as refla  # noqa: E402
from grpc.reflection.v1alpha import \
    reflection_pb2_grpc as refla_grpc  # noqa: E402
from themis.v1 import changefeed_pb2 as cf  # noqa: E402
from themis.v1 import changefeed_pb2_grpc as cf_grpc  # noqa: E402
from themis.v1 import documents_pb2 as docs  # noqa: E402
from themis.v1 import documents_pb2_grpc as docs_grpc  # noqa: E402
from themis.v1 import jobs_pb2 as jobs  # noqa: E402
from themis.v1 import jobs_pb2_grpc as jobs_grpc  # noqa: E402
from themis.v1 import query_pb2 as query  # noqa: E402
from themis.v1 import query_pb2_grpc as query_grpc  # noqa: E402

SECRET = "grpc integration secret, long enough"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(scope):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": "alice", "iss": "https://idp.test",
                           "aud": "themis", "scope": scope,
                           "exp": int(time.time()) + 600}).encode())
    sig = hmac.new(SECRET.encode(), (head + "." + body).encode(),
                   hashlib.sha256).digest()
    return head + "." + body + "." + b64(sig)


def py(value):
    """A google.protobuf.Value as a Python value (numbers are floats)."""
    return json_format.MessageToDict(value)


def frame(msg, flag=0):
    return bytes([flag]) + len(msg).to_bytes(4, "big") + msg


def nghttp(port, path, data, headers=(), timeout=10):
    """POSTs raw bytes as one gRPC call; the response's header fields
    (head and trailers) as a dict of lists, and the DATA bytes."""
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(data)
        name = f.name
    try:
        cmd = ["nghttp", "-v", "-n", "-d", name,
               "-H", "content-type: application/grpc", "-H", "te: trailers"]
        for h in headers:
            cmd += ["-H", h]
        cmd.append("http://127.0.0.1:%d%s" % (port, path))
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
    finally:
        os.unlink(name)
    fields = {}
    for line in r.stdout.splitlines():
        line = line.strip()
        # "[  0.001] recv (stream_id=13) grpc-status: 0"
        if "recv (stream_id=" in line and ": " in line:
            kv = line.split(") ", 1)[1]
            k, _, v = kv.partition(": ")
            fields.setdefault(k, []).append(v)
    return fields, r.stdout


class GrpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        st, _, _ = cls.srv.json("POST", "/v1/collections", {"name": "g"})
        assert st == 201, st
        cls.ch = grpc.insecure_channel("127.0.0.1:%d" % cls.srv.port)
        grpc.channel_ready_future(cls.ch).result(timeout=10)

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()
        cls.srv.stop()

    def code_of(self, fn, *args, **kw):
        try:
            fn(*args, **kw)
        except grpc.RpcError as e:
            return e.code(), e.details()
        return grpc.StatusCode.OK, ""

    # -- health and reflection ---------------------------------------------

    def test_health_check(self):
        h = health_pb2_grpc.HealthStub(self.ch)
        r = h.Check(health_pb2.HealthCheckRequest(), timeout=5)
        self.assertEqual(r.status, health_pb2.HealthCheckResponse.SERVING)
        r = h.Check(health_pb2.HealthCheckRequest(
            service="themis.v1.Documents"), timeout=5)
        self.assertEqual(r.status, health_pb2.HealthCheckResponse.SERVING)
        code, _ = self.code_of(h.Check, health_pb2.HealthCheckRequest(
            service="no.such.Service"), timeout=5)
        self.assertEqual(code, grpc.StatusCode.NOT_FOUND)

    def test_reflection_v1_and_v1alpha(self):
        for pb, stub in ((refl1, refl1_grpc), (refla, refla_grpc)):
            s = stub.ServerReflectionStub(self.ch)
            reqs = [pb.ServerReflectionRequest(list_services=""),
                    pb.ServerReflectionRequest(
                        file_containing_symbol="themis.v1.Documents"),
                    pb.ServerReflectionRequest(
                        file_by_filename="themis/v1/query.proto"),
                    pb.ServerReflectionRequest(
                        file_containing_symbol="no.Such")]
            out = list(s.ServerReflectionInfo(iter(reqs), timeout=10))
            self.assertEqual(len(out), 4)
            names = [x.name for x in out[0].list_services_response.service]
            for n in ("themis.v1.Documents", "themis.v1.Query",
                      "themis.v1.Jobs", "themis.v1.Changefeed",
                      "grpc.health.v1.Health"):
                self.assertIn(n, names)
            files = {}
            for raw in out[1].file_descriptor_response.file_descriptor_proto:
                fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
                files[fd.name] = fd
            self.assertIn("themis/v1/documents.proto", files)
            self.assertIn("google/protobuf/struct.proto", files)
            svc = files["themis/v1/documents.proto"].service[0]
            self.assertEqual(
                sorted(m.name for m in svc.method),
                ["BatchWrite", "Delete", "Get", "List", "Put"])
            q = descriptor_pb2.FileDescriptorProto.FromString(
                out[2].file_descriptor_response.file_descriptor_proto[0])
            self.assertEqual(q.name, "themis/v1/query.proto")
            self.assertEqual(out[3].error_response.error_code, 5)

    def test_reflection_answers_each_request_before_the_next(self):
        # a bidirectional stream: the answer comes while the request
        # stream is still open (grpcurl and buf curl work this way)
        import queue
        q = queue.Queue()

        def reqs():
            yield refl1.ServerReflectionRequest(list_services="")
            q.get(timeout=10)  # until the first answer arrived
        s = refl1_grpc.ServerReflectionStub(self.ch)
        it = s.ServerReflectionInfo(reqs(), timeout=10)
        first = next(it)
        self.assertTrue(first.list_services_response.service)
        q.put(1)
        self.assertEqual(list(it), [])

    # -- documents ---------------------------------------------------------

    def test_documents_crud_and_revisions(self):
        d = docs_grpc.DocumentsStub(self.ch)
        body = docs.PutDocumentRequest(collection="g", key="a1")
        body.body.update({"name": "Ada", "n": 3, "tags": ["x", "y"],
                          "nested": {"ok": True, "none": None}})
        created = d.Put(body, timeout=5)
        self.assertEqual(created.key, "a1")
        self.assertTrue(created.rev)
        got = d.Get(docs.GetDocumentRequest(collection="g", key="a1"),
                    timeout=5)
        self.assertEqual(got.rev, created.rev)
        self.assertEqual(got.body["name"], "Ada")
        self.assertEqual(list(got.body["tags"]), ["x", "y"])
        # the stored JSON keeps integers as integers (REST sees 3, not 3.0)
        st, _, j = self.srv.json("GET", "/v1/collections/g/documents/a1")
        self.assertEqual(j["n"], 3)
        # revision precondition
        stale = docs.PutDocumentRequest(collection="g", key="a1",
                                        if_match="not-the-rev")
        stale.body.update({"name": "Bob"})
        code, msg = self.code_of(d.Put, stale, timeout=5)
        self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION, msg)
        ok = docs.PutDocumentRequest(collection="g", key="a1",
                                     if_match=created.rev)
        ok.body.update({"name": "Bob"})
        self.assertNotEqual(d.Put(ok, timeout=5).rev, created.rev)
        # not found, invalid argument
        code, _ = self.code_of(d.Get, docs.GetDocumentRequest(
            collection="g", key="nope"), timeout=5)
        self.assertEqual(code, grpc.StatusCode.NOT_FOUND)
        code, _ = self.code_of(d.Get, docs.GetDocumentRequest(
            collection="g", key="a/b"), timeout=5)
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
        code, _ = self.code_of(d.Put, docs.PutDocumentRequest(
            collection="missing_coll", key="k"), timeout=5)
        self.assertEqual(code, grpc.StatusCode.NOT_FOUND)
        # delete
        r = d.Delete(docs.DeleteDocumentRequest(collection="g", key="a1"),
                     timeout=5)
        self.assertEqual(r.key, "a1")
        code, _ = self.code_of(d.Get, docs.GetDocumentRequest(
            collection="g", key="a1"), timeout=5)
        self.assertEqual(code, grpc.StatusCode.NOT_FOUND)

    def test_list_paged_and_batch_write(self):
        self.srv.json("POST", "/v1/collections", {"name": "gl"})
        d = docs_grpc.DocumentsStub(self.ch)
        req = docs.BatchWriteRequest(collection="gl")
        for i in range(25):
            op = req.ops.add(kind=docs.WriteOp.PUT, key="k%02d" % i)
            op.body.update({"i": i})
        req.ops.add(kind=docs.WriteOp.DELETE, key="k00")
        req.ops.add(kind=docs.WriteOp.DELETE, key="absent")
        res = d.BatchWrite(req, timeout=10).results
        self.assertEqual(len(res), 27)
        self.assertTrue(all(r.code == 0 and r.rev for r in res[:26]))
        self.assertEqual(res[26].code, grpc.StatusCode.NOT_FOUND.value[0])
        keys, token_ = [], ""
        for _ in range(10):
            page = d.List(docs.ListDocumentsRequest(
                collection="gl", page_size=10, page_token=token_), timeout=5)
            keys += [x.key for x in page.documents]
            token_ = page.next_page_token
            if not token_:
                break
        self.assertEqual(keys, ["k%02d" % i for i in range(1, 25)])
        code, _ = self.code_of(d.List, docs.ListDocumentsRequest(
            collection="gl", page_size=5000), timeout=5)
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)

    # -- query, compression, deadlines, cancellation -----------------------

    def test_query_execute_streams_batches(self):
        q = query_grpc.QueryStub(self.ch)
        req = query.ExecuteRequest(query="FOR i IN 1..@n RETURN {i: i}",
                                   batch_size=10)
        req.bind_vars.update({"n": 95})
        batches = list(q.Execute(req, timeout=10))
        self.assertEqual(len(batches), 10)
        rows = [int(py(r)["i"]) for b in batches for r in b.rows]
        self.assertEqual(rows, list(range(1, 96)))
        self.assertTrue(all(b.count == 95 for b in batches))
        self.assertFalse(batches[-1].has_more)
        # a parse error is INVALID_ARGUMENT
        code, msg = self.code_of(lambda: list(q.Execute(query.ExecuteRequest(
            query="FOR i IN"), timeout=5)))
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT, msg)

    def test_query_explain(self):
        q = query_grpc.QueryStub(self.ch)
        r = q.Explain(query.ExplainRequest(
            query="FOR d IN g FILTER d._key == 'x' RETURN d"), timeout=5)
        self.assertIn("plan", r.plan)
        code, _ = self.code_of(q.Explain, query.ExplainRequest(
            query="RETURN ("), timeout=5)
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)

    def test_compression_both_directions(self):
        for algo in (grpc.Compression.Gzip, grpc.Compression.Deflate):
            ch = grpc.insecure_channel("127.0.0.1:%d" % self.srv.port,
                                       compression=algo)
            try:
                q = query_grpc.QueryStub(ch)
                req = query.ExecuteRequest(
                    query="FOR i IN 1..300 RETURN CONCAT('row-', i)",
                    batch_size=100)
                rows = [py(r) for b in q.Execute(req, timeout=10)
                        for r in b.rows]
                self.assertEqual(len(rows), 300)
                self.assertEqual(rows[0], "row-1")
            finally:
                ch.close()
        # the server compresses its answer with the request's coding
        msg = query.ExecuteRequest(query="RETURN 1").SerializeToString()
        import zlib
        gz = zlib.compressobj(wbits=31)
        packed = gz.compress(msg) + gz.flush()
        fields, out = nghttp(self.srv.port, "/themis.v1.Query/Execute",
                             frame(packed, 1),
                             ["grpc-encoding: gzip",
                              "grpc-accept-encoding: gzip"])
        self.assertEqual(fields.get("grpc-status"), ["0"], out)
        self.assertEqual(fields.get("grpc-encoding"), ["gzip"], out)

    def test_deadline_exceeded_on_the_server(self):
        # the server's own timer: grpc-timeout 1 ms over a long query, sent
        # raw so the client library's deadline cannot answer first
        msg = query.ExecuteRequest(
            query="FOR i IN 1..3000000 FILTER i % 7 == 99 RETURN i")
        fields, out = nghttp(self.srv.port, "/themis.v1.Query/Execute",
                             frame(msg.SerializeToString()),
                             ["grpc-timeout: 1m"])
        self.assertEqual(fields.get("grpc-status"), ["4"], out)
        # and through grpcio
        q = query_grpc.QueryStub(self.ch)
        code, _ = self.code_of(lambda: list(q.Execute(msg, timeout=0.05)))
        self.assertEqual(code, grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertEqual(self.srv.request("GET", "/health/ready")[0], 200)

    def test_cancel_mid_stream(self):
        q = query_grpc.QueryStub(self.ch)
        call = q.Execute(query.ExecuteRequest(
            query="FOR i IN 1..90000 RETURN i", batch_size=100), timeout=30)
        first = next(call)
        self.assertEqual(len(first.rows), 100)
        next(call)
        call.cancel()
        with self.assertRaises(grpc.RpcError) as e:
            for _ in call:
                pass
        self.assertEqual(e.exception.code(), grpc.StatusCode.CANCELLED)
        # the connection and the server keep serving
        r = health_pb2_grpc.HealthStub(self.ch).Check(
            health_pb2.HealthCheckRequest(), timeout=5)
        self.assertEqual(r.status, health_pb2.HealthCheckResponse.SERVING)
        deadline = time.time() + 5
        while time.time() < deadline and "reset by the client" not in \
                self.srv.read_log():
            time.sleep(0.05)
        self.assertIn("reset by the client", self.srv.read_log())

    # -- jobs and changefeed -----------------------------------------------

    def test_jobs(self):
        j = jobs_grpc.JobsStub(self.ch)
        req = jobs.SubmitJobRequest(query="FOR i IN 1..2500 RETURN i",
                                    idempotency_key="grpc-job-1")
        job = j.Submit(req, timeout=10)
        self.assertTrue(job.id.startswith("job-"))
        self.assertEqual(j.Submit(req, timeout=10).id, job.id)  # idempotent
        states = [x.status for x in j.Watch(jobs.JobRequest(id=job.id),
                                            timeout=30)]
        self.assertEqual(states[-1], "completed")
        rows = [int(py(r)) for b in j.Results(jobs.JobResultsRequest(
            id=job.id, page_size=1000), timeout=30) for r in b.rows]
        self.assertEqual(rows, list(range(1, 2501)))
        self.assertEqual(j.Get(jobs.JobRequest(id=job.id),
                               timeout=5).status, "completed")
        code, _ = self.code_of(j.Cancel, jobs.JobRequest(id=job.id),
                               timeout=5)
        self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(j.Delete(jobs.JobRequest(id=job.id),
                                  timeout=5).id, job.id)
        code, _ = self.code_of(j.Get, jobs.JobRequest(id=job.id), timeout=5)
        self.assertEqual(code, grpc.StatusCode.NOT_FOUND)

    def test_changefeed_subscribe_resume_and_filter(self):
        self.srv.json("POST", "/v1/collections", {"name": "feed_a"})
        self.srv.json("POST", "/v1/collections", {"name": "feed_b"})
        _, _, tip = self.srv.json("GET", "/changefeed?from_seq=now")
        start = tip["latest_sequence"]
        for i in range(3):
            self.srv.json("PUT", "/v1/collections/feed_a/documents/a%d" % i,
                          {"i": i})
            self.srv.json("PUT", "/v1/collections/feed_b/documents/b%d" % i,
                          {"i": i})
        c = cf_grpc.ChangefeedStub(self.ch)
        call = c.Subscribe(cf.SubscribeRequest(after_sequence=start,
                                               collections=["feed_a"]),
                           timeout=20)
        got = [next(call) for _ in range(3)]
        self.assertEqual([e.key for e in got], ["a0", "a1", "a2"])
        self.assertTrue(all(e.type == "PUT" for e in got))
        self.assertEqual(py(got[0].value)["i"], 0)
        # live events arrive on the open stream
        self.srv.json("PUT", "/v1/collections/feed_a/documents/live", {})
        self.assertEqual(next(call).key, "live")
        call.cancel()
        # resume after the second event: exclusive
        call = c.Subscribe(cf.SubscribeRequest(
            after_sequence=got[1].sequence, collections=["feed_a"]),
            timeout=20)
        self.assertEqual(next(call).key, "a2")
        call.cancel()

    # -- wire errors -------------------------------------------------------

    def test_unknown_method_and_http1(self):
        code, _ = self.code_of(self.ch.unary_unary(
            "/themis.v1.Documents/Nope"), b"", timeout=5)
        self.assertEqual(code, grpc.StatusCode.UNIMPLEMENTED)
        st, _, body = self.srv.request(
            "POST", "/themis.v1.Documents/Get", body=frame(b""),
            headers={"Content-Type": "application/grpc"})
        self.assertEqual(st, 415)
        self.assertIn(b"HTTP/2", body)

    def test_malformed_frames(self):
        p = self.srv.port
        get = "/themis.v1.Documents/Get"
        ok = docs.GetDocumentRequest(collection="g", key="x")
        cases = [
            # cut off inside the message
            (frame(ok.SerializeToString())[:-2], [], "13"),
            # length prefix over the 4 MiB limit
            (b"\x00" + (5 << 20).to_bytes(4, "big") + b"x" * 10, [], "8"),
            # flag byte 2
            (b"\x02" + frame(b"")[1:], [], "13"),
            # compressed flag without grpc-encoding
            (frame(b"abc", 1), [], "13"),
            # gzip flag over bytes that are not gzip
            (frame(b"not gzip", 1), ["grpc-encoding: gzip"], "13"),
            # an encoding we do not have
            (frame(b""), ["grpc-encoding: snappy"], "12"),
            # no message at all
            (b"", [], "12"),
            # two messages for a unary call
            (frame(b"") + frame(b""), [], "12"),
            # not a GetDocumentRequest
            (frame(b"\xff\xff\xff"), [], "3"),
            # malformed grpc-timeout
            (frame(b""), ["grpc-timeout: 12x"], "3"),
        ]
        for data, hs, want in cases:
            fields, out = nghttp(p, get, data, hs)
            self.assertEqual(fields.get("grpc-status"), [want],
                             (data[:12], hs, out[-2000:]))
        # a gzip bomb stops at the limit: RESOURCE_EXHAUSTED
        import zlib
        gz = zlib.compressobj(wbits=31)
        bomb = gz.compress(b"\0" * (6 << 20)) + gz.flush()
        fields, out = nghttp(p, get, frame(bomb, 1), ["grpc-encoding: gzip"])
        self.assertEqual(fields.get("grpc-status"), ["8"], out[-2000:])
        self.assertEqual(self.srv.request("GET", "/health/ready")[0], 200)


class GrpcAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET,
                               "--set", "auth.jwt_issuer=https://idp.test",
                               "--set", "auth.jwt_audience=themis"],
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        admin = {"Authorization": "Bearer " + token("admin")}
        st, _, _ = cls.srv.json("POST", "/v1/collections", {"name": "s"},
                                admin)
        assert st == 201, st
        cls.ch = grpc.insecure_channel("127.0.0.1:%d" % cls.srv.port)

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()
        cls.srv.stop()

    def test_unauthenticated_and_permission_denied(self):
        d = docs_grpc.DocumentsStub(self.ch)
        put = docs.PutDocumentRequest(collection="s", key="k")
        put.body.update({"v": 1})
        with self.assertRaises(grpc.RpcError) as e:
            d.Put(put, timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        with self.assertRaises(grpc.RpcError) as e:
            d.Put(put, timeout=5, metadata=[("authorization",
                                             "Bearer " + token("data:read"))])
        self.assertEqual(e.exception.code(),
                         grpc.StatusCode.PERMISSION_DENIED)
        with self.assertRaises(grpc.RpcError) as e:
            d.Put(put, timeout=5, metadata=[("authorization",
                                             "Bearer not.a.jwt")])
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        w = d.Put(put, timeout=5, metadata=[("authorization",
                                             "Bearer " + token("data:write"))])
        self.assertEqual(w.key, "k")
        r = d.Get(docs.GetDocumentRequest(collection="s", key="k"),
                  timeout=5, metadata=[("authorization",
                                        "Bearer " + token("data:read"))])
        self.assertEqual(r.body["v"], 1)
        # a query without credentials
        q = query_grpc.QueryStub(self.ch)
        with self.assertRaises(grpc.RpcError) as e:
            list(q.Execute(query.ExecuteRequest(query="RETURN 1"),
                           timeout=5))
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        # health and reflection stay open, like /health
        h = health_pb2_grpc.HealthStub(self.ch).Check(
            health_pb2.HealthCheckRequest(), timeout=5)
        self.assertEqual(h.status, health_pb2.HealthCheckResponse.SERVING)


class GrpcDrainTest(unittest.TestCase):
    def test_health_watch_across_a_drain(self):
        srv = Server().start()
        ch = grpc.insecure_channel("127.0.0.1:%d" % srv.port)
        try:
            h = health_pb2_grpc.HealthStub(ch)
            call = h.Watch(health_pb2.HealthCheckRequest(), timeout=20)
            self.assertEqual(next(call).status,
                             health_pb2.HealthCheckResponse.SERVING)
            srv.proc.send_signal(signal.SIGTERM)
            self.assertEqual(next(call).status,
                             health_pb2.HealthCheckResponse.NOT_SERVING)
            with self.assertRaises(grpc.RpcError) as e:
                next(call)
            self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
            srv.proc.wait(20)
            self.assertEqual(srv.proc.returncode, 0)
        finally:
            ch.close()
            srv.stop()


class GrpcTlsTest(unittest.TestCase):
    def test_documents_over_tls(self):
        d = tempfile.mkdtemp(prefix="themis_grpc_tls_")
        subprocess.run(["bash", os.path.join(ROOT, "scripts",
                                             "dev-certs.sh"), d],
                       check=True, capture_output=True, timeout=60)
        https = free_port()
        srv = Server(args=["--tls-cert", os.path.join(d, "server.crt"),
                           "--tls-key", os.path.join(d, "server.key"),
                           "--https-port", str(https)]).start()
        try:
            srv.json("POST", "/v1/collections", {"name": "t"})
            with open(os.path.join(d, "ca.crt"), "rb") as f:
                creds = grpc.ssl_channel_credentials(f.read())
            ch = grpc.secure_channel("localhost:%d" % https, creds)
            try:
                s = docs_grpc.DocumentsStub(ch)
                put = docs.PutDocumentRequest(collection="t", key="k")
                put.body.update({"tls": True})
                s.Put(put, timeout=10)
                got = s.Get(docs.GetDocumentRequest(collection="t", key="k"),
                            timeout=10)
                self.assertTrue(got.body["tls"])
            finally:
                ch.close()
        finally:
            srv.stop()
            shutil.rmtree(d, ignore_errors=True)


def tearDownModule():
    shutil.rmtree(STUBS, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
