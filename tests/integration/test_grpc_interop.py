"""grpc.testing.TestService (issue 20's interop service) against a live
themisd started with grpc.interop_test_service on: the standard interop
test cases (grpc's doc/interop-test-descriptions.md) driven by the real
python3-grpcio client with stubs generated here by grpc_tools.protoc from
protos/grpc/testing. With the switch off (the default), every method answers
UNIMPLEMENTED and reflection does not list the service. Wire-level checks
(compression flags, flow control, malformed requests) are in
test_grpc_interop_wire.py."""

import sys
import threading
import time
import unittest

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import grpc  # noqa: E402

from grpc_wire import GrpcCase, generate_stubs  # noqa: E402

generate_stubs(["grpc/testing/empty.proto", "grpc/testing/messages.proto",
                "grpc/testing/test.proto",
                "grpc/reflection/v1/reflection.proto"])
from grpc.reflection.v1 import reflection_pb2 as refl  # noqa: E402
from grpc.reflection.v1 import reflection_pb2_grpc as refl_grpc  # noqa: E402
from grpc.testing import empty_pb2, messages_pb2 as m  # noqa: E402
from grpc.testing import test_pb2_grpc  # noqa: E402

T = 15  # seconds: every call is bounded


def payload(n):
    return m.Payload(body=b"\0" * n)


class InteropTest(GrpcCase):
    server_args = ["--set", "grpc.interop_test_service=true"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stub = test_pb2_grpc.TestServiceStub(cls.ch)

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


class InteropOffTest(GrpcCase):
    """The default: no TestService (its methods are unknown, reflection
    does not list it); set through the environment twin here."""

    server_env = {"THEMIS_GRPC_INTEROP_TEST_SERVICE": "false"}

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
