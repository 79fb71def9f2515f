"""grpc.testing.TestService (issue 20's interop service) against a live
themisd started with grpc.interop_test_service on: the standard interop
test cases (grpc's doc/interop-test-descriptions.md) driven by the real
python3-grpcio client with stubs generated here by grpc_tools.protoc from
protos/grpc/testing. Compression flags are checked on the wire through
gRPC-web (raw HTTP/1.1). Bidirectional flow control is checked with raw
HTTP/2 frames (python3-h2): a client that does not read its answers stops
being read. With the switch off (the default), every method answers
UNIMPLEMENTED and reflection does not list the service."""

import gzip
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import grpc  # noqa: E402
import h2.config  # noqa: E402
import h2.connection  # noqa: E402
import h2.events  # noqa: E402

from grpc_wire import frame, generate_stubs, unframe  # noqa: E402
from themis_harness import Server  # noqa: E402

generate_stubs(["grpc/testing/empty.proto", "grpc/testing/messages.proto",
                "grpc/testing/test.proto",
                "grpc/reflection/v1/reflection.proto"])
from grpc.reflection.v1 import reflection_pb2 as refl  # noqa: E402
from grpc.reflection.v1 import reflection_pb2_grpc as refl_grpc  # noqa: E402
from grpc.testing import empty_pb2, messages_pb2 as m  # noqa: E402
from grpc.testing import test_pb2_grpc  # noqa: E402

T = 15  # seconds: every call is bounded
SVC = "/grpc.testing.TestService/"


def payload(n):
    return m.Payload(body=b"\0" * n)


class InteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "grpc.interop_test_service=true"]
                         ).start()
        cls.ch = grpc.insecure_channel("127.0.0.1:%d" % cls.srv.port)
        grpc.channel_ready_future(cls.ch).result(timeout=10)
        cls.stub = test_pb2_grpc.TestServiceStub(cls.ch)

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()
        cls.srv.stop()

    def rpc_error(self, fn, *args, **kw):
        with self.assertRaises(grpc.RpcError) as cm:
            r = fn(*args, **kw)
            if hasattr(r, "__iter__") and not hasattr(r, "SerializeToString"):
                list(r)
        return cm.exception

    # -- the interop cases ------------------------------------------------

    def test_empty_unary(self):
        r = self.stub.EmptyCall(empty_pb2.Empty(), timeout=T)
        self.assertEqual(r, empty_pb2.Empty())

    def test_large_unary(self):
        r = self.stub.UnaryCall(m.SimpleRequest(
            response_size=314159, payload=payload(271828)), timeout=T)
        self.assertEqual(r.payload.body, b"\0" * 314159)
        r = self.stub.CacheableUnaryCall(m.SimpleRequest(
            response_size=10, fill_server_id=True), timeout=T)
        self.assertEqual(len(r.payload.body), 10)
        self.assertEqual(r.server_id, "themisd")

    def test_client_compressed_unary(self):
        # the probe: expect_compressed on an uncompressed request
        e = self.rpc_error(self.stub.UnaryCall, m.SimpleRequest(
            response_size=314159, payload=payload(271828),
            expect_compressed=m.BoolValue(value=True)), timeout=T)
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        for comp in (grpc.Compression.Gzip, grpc.Compression.Deflate):
            r = self.stub.UnaryCall(m.SimpleRequest(
                response_size=314159, payload=payload(271828),
                expect_compressed=m.BoolValue(value=True)), timeout=T,
                compression=comp)
            self.assertEqual(len(r.payload.body), 314159)
        r = self.stub.UnaryCall(m.SimpleRequest(
            response_size=314159, payload=payload(271828),
            expect_compressed=m.BoolValue(value=False)), timeout=T)
        self.assertEqual(len(r.payload.body), 314159)

    def test_client_compressed_streaming(self):
        e = self.rpc_error(self.stub.StreamingInputCall, iter([
            m.StreamingInputCallRequest(
                payload=payload(27182),
                expect_compressed=m.BoolValue(value=True))]), timeout=T)
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        r = self.stub.StreamingInputCall(iter([
            m.StreamingInputCallRequest(
                payload=payload(27182),
                expect_compressed=m.BoolValue(value=True)),
            m.StreamingInputCallRequest(payload=payload(45904))]),
            timeout=T, compression=grpc.Compression.Gzip)
        self.assertEqual(r.aggregated_payload_size, 73086)

    def test_client_streaming(self):
        sizes = [27182, 8, 1828, 45904]
        r = self.stub.StreamingInputCall(
            iter([m.StreamingInputCallRequest(payload=payload(n))
                  for n in sizes]), timeout=T)
        self.assertEqual(r.aggregated_payload_size, 74922)

    def test_server_streaming(self):
        sizes = [31415, 9, 2653, 58979]
        got = [len(r.payload.body) for r in self.stub.StreamingOutputCall(
            m.StreamingOutputCallRequest(response_parameters=[
                m.ResponseParameters(size=n) for n in sizes]), timeout=T)]
        self.assertEqual(got, sizes)

    def test_server_streaming_intervals(self):
        t0 = time.monotonic()
        got = list(self.stub.StreamingOutputCall(
            m.StreamingOutputCallRequest(response_parameters=[
                m.ResponseParameters(size=1, interval_us=200000)
                for _ in range(3)]), timeout=T))
        self.assertEqual(len(got), 3)
        self.assertGreaterEqual(time.monotonic() - t0, 0.55)

    def test_ping_pong(self):
        """Each answer arrives before the next request is sent: a server
        that waited for the request stream's end would deadlock here."""
        req_sizes = [27182, 8, 1828, 45904]
        resp_sizes = [31415, 9, 2653, 58979]
        cv = threading.Condition()
        turn = [0]

        def requests():
            for i, (a, b) in enumerate(zip(req_sizes, resp_sizes)):
                with cv:
                    if not cv.wait_for(lambda: turn[0] == i, timeout=T):
                        return
                yield m.StreamingOutputCallRequest(
                    response_parameters=[m.ResponseParameters(size=b)],
                    payload=payload(a))

        call = self.stub.FullDuplexCall(requests(), timeout=T)
        got = []
        for r in call:
            got.append(len(r.payload.body))
            with cv:
                turn[0] += 1
                cv.notify_all()
        self.assertEqual(got, resp_sizes)
        self.assertEqual(call.code(), grpc.StatusCode.OK)

    def test_half_duplex(self):
        reqs = [m.StreamingOutputCallRequest(
            response_parameters=[m.ResponseParameters(size=n)])
            for n in (5, 6, 7)]
        got = [len(r.payload.body) for r in
               self.stub.HalfDuplexCall(iter(reqs), timeout=T)]
        self.assertEqual(got, [5, 6, 7])

    def test_empty_stream(self):
        call = self.stub.FullDuplexCall(iter([]), timeout=T)
        self.assertEqual(list(call), [])
        self.assertEqual(call.code(), grpc.StatusCode.OK)

    def test_status_code_and_message(self):
        st = m.EchoStatus(code=2, message="test status message")
        e = self.rpc_error(self.stub.UnaryCall,
                           m.SimpleRequest(response_status=st), timeout=T)
        self.assertEqual(e.code(), grpc.StatusCode.UNKNOWN)
        self.assertEqual(e.details(), "test status message")
        e = self.rpc_error(self.stub.FullDuplexCall, iter([
            m.StreamingOutputCallRequest(response_status=st)]), timeout=T)
        self.assertEqual(e.code(), grpc.StatusCode.UNKNOWN)
        self.assertEqual(e.details(), "test status message")

    def test_special_status_message(self):
        text = ("\t\ntest with whitespace\r\nand Unicode BMP \u263a and "
                "non-BMP \U0001f608\t\n")
        e = self.rpc_error(self.stub.UnaryCall, m.SimpleRequest(
            response_status=m.EchoStatus(code=2, message=text)), timeout=T)
        self.assertEqual(e.code(), grpc.StatusCode.UNKNOWN)
        self.assertEqual(e.details(), text)

    def test_custom_metadata(self):
        md = (("x-grpc-test-echo-initial", "test_initial_metadata_value"),
              ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab"))
        r, call = self.stub.UnaryCall.with_call(m.SimpleRequest(
            response_size=314159, payload=payload(271828)), metadata=md,
            timeout=T)
        self.assertEqual(len(r.payload.body), 314159)
        self.assertIn(md[0], tuple(call.initial_metadata()))
        self.assertIn(md[1], tuple(call.trailing_metadata()))
        call = self.stub.FullDuplexCall(iter([m.StreamingOutputCallRequest(
            response_parameters=[m.ResponseParameters(size=314159)],
            payload=payload(271828))]), metadata=md, timeout=T)
        self.assertEqual([len(x.payload.body) for x in call], [314159])
        self.assertIn(md[0], tuple(call.initial_metadata()))
        self.assertIn(md[1], tuple(call.trailing_metadata()))

    def test_unimplemented_method_and_service(self):
        e = self.rpc_error(self.stub.UnimplementedCall, empty_pb2.Empty(),
                           timeout=T)
        self.assertEqual(e.code(), grpc.StatusCode.UNIMPLEMENTED)
        other = test_pb2_grpc.UnimplementedServiceStub(self.ch)
        e = self.rpc_error(other.UnimplementedCall, empty_pb2.Empty(),
                           timeout=T)
        self.assertEqual(e.code(), grpc.StatusCode.UNIMPLEMENTED)

    def test_cancel_after_begin(self):
        gate = threading.Event()

        def never():
            gate.wait(T)
            return
            yield  # noqa: unreachable (a generator)

        fut = self.stub.StreamingInputCall.future(never(), timeout=T)
        time.sleep(0.2)
        fut.cancel()
        gate.set()
        self.assertTrue(fut.cancelled())

    def test_cancel_after_first_response(self):
        gate = threading.Event()

        def reqs():
            yield m.StreamingOutputCallRequest(
                response_parameters=[m.ResponseParameters(size=31415)],
                payload=payload(27182))
            gate.wait(T)

        call = self.stub.FullDuplexCall(reqs(), timeout=T)
        self.assertEqual(len(next(call).payload.body), 31415)
        call.cancel()
        gate.set()
        self.assertEqual(call.code(), grpc.StatusCode.CANCELLED)
        # the server is fine afterwards
        self.stub.EmptyCall(empty_pb2.Empty(), timeout=T)

    def test_timeout_on_sleeping_server(self):
        gate = threading.Event()

        def reqs():
            yield m.StreamingOutputCallRequest(payload=payload(27182))
            gate.wait(T)

        e = self.rpc_error(self.stub.FullDuplexCall, reqs(), timeout=0.5)
        gate.set()
        self.assertEqual(e.code(), grpc.StatusCode.DEADLINE_EXCEEDED)

    def test_reflection_lists_it(self):
        st = refl_grpc.ServerReflectionStub(self.ch)
        names = []
        for r in st.ServerReflectionInfo(iter([refl.ServerReflectionRequest(
                list_services="")]), timeout=T):
            names += [s.name for s in r.list_services_response.service]
        self.assertIn("grpc.testing.TestService", names)

    # -- compression on the wire (gRPC-web: the flag byte is visible) -------

    def web(self, method, msg, headers=None):
        h = {"Content-Type": "application/grpc-web+proto",
             "grpc-accept-encoding": "gzip"}
        h.update(headers or {})
        st, hd, body = self.srv.request("POST", SVC + method,
                                        body=frame(msg.SerializeToString()),
                                        headers=h, timeout=T)
        self.assertEqual(st, 200)
        return {k.lower(): v for k, v in hd.items()}, unframe(body)

    def test_server_compressed_unary(self):
        req = m.SimpleRequest(response_size=314159,
                              response_compressed=m.BoolValue(value=True))
        hd, frames = self.web("UnaryCall", req)
        self.assertEqual(hd.get("grpc-encoding"), "gzip")
        flag, data = frames[0]
        self.assertEqual(flag, 1)
        r = m.SimpleResponse.FromString(gzip.decompress(data))
        self.assertEqual(len(r.payload.body), 314159)
        req.response_compressed.value = False
        hd, frames = self.web("UnaryCall", req)
        self.assertEqual(frames[0][0], 0)
        self.assertEqual(len(m.SimpleResponse.FromString(
            frames[0][1]).payload.body), 314159)

    def test_server_compressed_streaming(self):
        req = m.StreamingOutputCallRequest(response_parameters=[
            m.ResponseParameters(size=31415,
                                 compressed=m.BoolValue(value=True)),
            m.ResponseParameters(size=92653,
                                 compressed=m.BoolValue(value=False))])
        hd, frames = self.web("StreamingOutputCall", req)
        self.assertEqual(hd.get("grpc-encoding"), "gzip")
        self.assertEqual([f for f, _ in frames], [1, 0, 0x80])
        a = m.StreamingOutputCallResponse.FromString(
            gzip.decompress(frames[0][1]))
        b = m.StreamingOutputCallResponse.FromString(frames[1][1])
        self.assertEqual((len(a.payload.body), len(b.payload.body)),
                         (31415, 92653))
        self.assertIn(b"grpc-status:0", frames[2][1].replace(b" ", b""))

    # -- malformed and hostile requests -----------------------------------

    def test_bad_requests(self):
        e = self.rpc_error(self.stub.UnaryCall,
                           m.SimpleRequest(response_size=-1), timeout=T)
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        e = self.rpc_error(self.stub.UnaryCall,
                           m.SimpleRequest(response_size=2 ** 30), timeout=T)
        self.assertEqual(e.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        e = self.rpc_error(self.stub.StreamingOutputCall,
                           m.StreamingOutputCallRequest(response_parameters=[
                               m.ResponseParameters(size=-5)]), timeout=T)
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        # a request message that is not a StreamingOutputCallRequest
        raw = self.ch.stream_stream(SVC + "FullDuplexCall",
                                    request_serializer=lambda b: b,
                                    response_deserializer=lambda b: b)
        e = self.rpc_error(raw, iter([b"\xff\xff\xff"]), timeout=T)
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        # an over-limit message on a client stream: refused on its prefix
        e = self.rpc_error(self.stub.StreamingInputCall, iter([
            m.StreamingInputCallRequest(payload=payload(5 << 20))]),
            timeout=T)
        self.assertEqual(e.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.stub.EmptyCall(empty_pb2.Empty(), timeout=T)

    # -- flow control of a bidirectional call (raw HTTP/2) -----------------

    def test_full_duplex_reader_that_does_not_read_is_not_read(self):
        """Requests asking 256 KiB answers each, never read (no
        WINDOW_UPDATE): once our unread answers pass the bound, themisd
        stops taking requests, so our send window on the stream runs out
        and stays out; reading then delivers every answer."""
        sock = socket.create_connection(("127.0.0.1", self.srv.port),
                                        timeout=T)
        conn = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8"))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, [
            (":method", "POST"), (":scheme", "http"), (":path",
                                                      SVC + "FullDuplexCall"),
            (":authority", "127.0.0.1"), ("content-type", "application/grpc"),
            ("te", "trailers")])
        # 15 KiB requests (one DATA frame each): a few fill our send
        # window, so a server that stops reading stalls us soon
        one = frame(m.StreamingOutputCallRequest(response_parameters=[
            m.ResponseParameters(size=256 << 10)],
            payload=payload(15 << 10)).SerializeToString())
        sent = 0
        sock.settimeout(0.2)
        received = unacked = 0
        stalled_since = None
        deadline = time.monotonic() + T
        while time.monotonic() < deadline:
            window = conn.local_flow_control_window(sid)
            if window >= len(one):
                conn.send_data(sid, one)
                sent += 1
                stalled_since = None
            elif stalled_since is None:
                stalled_since = time.monotonic()
            elif time.monotonic() - stalled_since > 1.0:
                break  # no WINDOW_UPDATE for a second: we are not read
            sock.sendall(conn.data_to_send())
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                break
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.DataReceived):
                    received += len(ev.data)  # (not acknowledged yet)
                    unacked += ev.flow_controlled_length
        self.assertIsNotNone(stalled_since, "never stopped being read")
        # bounded: the unread answers stop at the 1 MiB bound plus what
        # was in flight, far below what `sent` requests ask for
        self.assertLess(sent, 64)
        # now read (acknowledge) everything: all answers arrive
        conn.acknowledge_received_data(unacked, sid)
        conn.end_stream(sid)
        got = received
        ended = False
        sock.settimeout(T)
        while not ended and time.monotonic() < deadline + T:
            sock.sendall(conn.data_to_send())
            data = sock.recv(1 << 20)
            if not data:
                break
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.DataReceived):
                    got += len(ev.data)
                    conn.acknowledge_received_data(
                        ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    ended = True
                elif isinstance(ev, h2.events.TrailersReceived):
                    self.assertIn(("grpc-status", "0"), ev.headers)
        sock.close()
        self.assertTrue(ended)
        self.assertGreaterEqual(got, sent * (256 << 10))


class InteropOffTest(unittest.TestCase):
    """The default: no TestService (its methods are unknown, reflection
    does not list it); set through the environment twin here."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(env={"THEMIS_GRPC_INTEROP_TEST_SERVICE": "false"}
                         ).start()
        cls.ch = grpc.insecure_channel("127.0.0.1:%d" % cls.srv.port)
        grpc.channel_ready_future(cls.ch).result(timeout=10)

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()
        cls.srv.stop()

    def test_off_unimplemented_and_not_listed(self):
        stub = test_pb2_grpc.TestServiceStub(self.ch)
        for fn, arg in ((stub.EmptyCall, empty_pb2.Empty()),
                        (stub.UnaryCall, m.SimpleRequest(response_size=1))):
            with self.assertRaises(grpc.RpcError) as cm:
                fn(arg, timeout=T)
            self.assertEqual(cm.exception.code(),
                             grpc.StatusCode.UNIMPLEMENTED)
        with self.assertRaises(grpc.RpcError) as cm:
            list(stub.FullDuplexCall(iter([m.StreamingOutputCallRequest()]),
                                     timeout=T))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNIMPLEMENTED)
        st = refl_grpc.ServerReflectionStub(self.ch)
        rs = list(st.ServerReflectionInfo(iter([
            refl.ServerReflectionRequest(list_services=""),
            refl.ServerReflectionRequest(
                file_containing_symbol="grpc.testing.TestService")]),
            timeout=T))
        names = [s.name for s in rs[0].list_services_response.service]
        self.assertIn("grpc.health.v1.Health", names)
        self.assertNotIn("grpc.testing.TestService", names)
        self.assertEqual(rs[1].error_response.error_code, 5)


if __name__ == "__main__":
    unittest.main()
