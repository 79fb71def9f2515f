"""grpc.testing.TestService on the wire (issue 20): what grpcio hides.
Compression flags per message through gRPC-web over HTTP/1.1
(server_compressed_unary / server_compressed_streaming: the flag byte is
visible), malformed and hostile requests, and the flow control of a
bidirectional call with raw HTTP/2 frames (python3-h2): a client that
does not read its answers stops getting WINDOW_UPDATEs for its requests,
and gets everything once it reads."""

import gzip
import signal
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

from grpc_wire import GrpcCase, frame, generate_stubs, unframe  # noqa: E402
from themis_harness import Server  # noqa: E402

generate_stubs(["grpc/testing/empty.proto", "grpc/testing/messages.proto",
                "grpc/testing/test.proto"])
from grpc.testing import empty_pb2, messages_pb2 as m  # noqa: E402
from grpc.testing import test_pb2_grpc  # noqa: E402

T = 15  # seconds: every call is bounded
SVC = "/grpc.testing.TestService/"


def payload(n):
    return m.Payload(body=b"\0" * n)


class InteropWireTest(GrpcCase):
    server_args = ["--set", "grpc.interop_test_service=true"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stub = test_pb2_grpc.TestServiceStub(cls.ch)

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


    # -- drain -----------------------------------------------------------

    def test_drain_ends_a_full_duplex_call_unavailable(self):
        """SIGTERM during a FullDuplexCall: the call ends UNAVAILABLE with
        trailers (not a closed socket) and themisd exits 0, well before
        its 10 s drain deadline."""
        srv = Server(args=["--set", "grpc.interop_test_service=true"]).start()
        gate = threading.Event()

        def reqs():
            yield m.StreamingOutputCallRequest(
                response_parameters=[m.ResponseParameters(size=5)])
            gate.wait(T)

        try:
            ch = grpc.insecure_channel("127.0.0.1:%d" % srv.port)
            call = test_pb2_grpc.TestServiceStub(ch).FullDuplexCall(
                reqs(), timeout=T)
            self.assertEqual(len(next(call).payload.body), 5)
            t0 = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            with self.assertRaises(grpc.RpcError) as cm:
                list(call)
            self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAVAILABLE)
            self.assertEqual(cm.exception.details(), "server draining")
            self.assertEqual(srv.proc.wait(T), 0)
            self.assertLess(time.monotonic() - t0, 8)
            ch.close()
        finally:
            gate.set()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
