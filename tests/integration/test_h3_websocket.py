"""WebSocket over HTTP/3 (RFC 9220, issue 19) against the real themisd
with TLS and HTTP/3: the server's SETTINGS_ENABLE_CONNECT_PROTOCOL, an
extended CONNECT at /mqtt answered 200 (not 101) whose request stream
then carries MQTT in WebSocket binary frames — CONNECT, SUBSCRIBE and
PUBLISH both ways with a TCP MQTT client — the close handshake ending
the stream, PostgreSQL at /pg (startup, SCRAM, a simple query), a drain
(MQTT 5 DISCONNECT 0x8B on the stream, then a clean exit), and the
refusals: an unknown :protocol (501), CONNECT without :protocol (405),
an extended CONNECT without :path (malformed: the stream is reset with
H3_MESSAGE_ERROR), /mqtt without the mqtt subprotocol (400) and /graphql
without graphql-transport-ws (400); the changefeed WebSockets over
HTTP/3 are test_h3_ws_changefeed.py's. The client
is tests/clients/h3_ws_client.cpp (ngtcp2 + nghttp3 + GnuTLS, the
WebSocket framing of protocols/websocket): Debian 12 has no client that
sends :protocol over HTTP/3."""

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import mqtt_raw
import test_ws_pg  # (the module: its TestCase is not re-run here)
from test_h2_wire import ARGS, mqtt_over, pg_over  # (helpers only)
from test_http3 import free_udp_port, make_certs
from themis_harness import Server

CLIENT = os.environ.get("H3_WS_CLIENT", "")
H3_MESSAGE_ERROR = 0x10E


class H3WsStream:
    """One extended CONNECT by h3_ws_client, with the socket methods
    mqtt_raw and test_ws_pg use (sendall, recv, settimeout, close): each
    sendall is one WebSocket binary message, recv the next one received."""

    def __init__(self, port, path, subprotocol=None, protocol="websocket",
                 no_path=False, headers=(), timeout=30):
        args = [CLIENT, "127.0.0.1", str(port), "--path", path,
                "--protocol", protocol, "--timeout", str(timeout)]
        if subprotocol:
            args += ["--subprotocol", subprotocol]
        for h in headers:  # "name: value"
            args += ["--header", h]
        if no_path:
            args.append("--no-path")
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        self.lines = queue.Queue()
        self.log = []
        self.headers = {}
        self.status = 0
        self.settings = None
        self.reset = None
        self.ws_close = None
        self.ended = False
        self.timeout = 10
        self.pending = b""
        threading.Thread(target=self._pump, daemon=True).start()
        # the answer's header section, or the stream's reset
        while self.reset is None and not self.ended:
            line = self._next(15)
            if line is None or line in ("open", "answered"):
                break

    def _pump(self):
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _next(self, timeout):
        """Handles one output line; returns it (None: timeout or EOF)."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            self.ended = True
            return None
        self.log.append(line)
        word, _, rest = line.partition(" ")
        if word == "status":
            self.status = int(rest)
        elif word == "header":
            k, _, v = rest.partition(": ")
            self.headers[k] = v
        elif word == "settings":
            self.settings = int(rest.split("=")[1])
        elif word == "reset":
            self.reset = int(rest)
        elif word == "wsclose":
            self.ws_close = int(rest)
        elif word == "end":
            self.ended = True
        return line

    def sendall(self, data):
        self.p.stdin.write("send %s\n" % data.hex())
        self.p.stdin.flush()

    def settimeout(self, t):
        self.timeout = t

    def recv(self, n):
        if self.pending:
            out, self.pending = self.pending[:n], self.pending[n:]
            return out
        deadline = time.monotonic() + self.timeout
        while not self.ended:
            line = self._next(max(0.01, deadline - time.monotonic()))
            if line is None:
                if self.ended:
                    break
                raise socket.timeout()
            if line.startswith("recv "):
                self.pending = bytes.fromhex(line[5:])
                return self.recv(n)
        return b""

    def close(self):
        """The close handshake: our close frame and FIN, then theirs."""
        if self.p.poll() is None:
            try:
                self.p.stdin.write("close\n")
                self.p.stdin.flush()
            except (BrokenPipeError, ValueError):
                pass
        deadline = time.monotonic() + 10
        while not self.ended and time.monotonic() < deadline:
            self._next(0.5)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        for f in (self.p.stdin, self.p.stdout):
            try:
                f.close()
            except (BrokenPipeError, ValueError):
                pass

    def text(self):
        return "\n".join(self.log)


@unittest.skipUnless(CLIENT and os.path.exists(CLIENT),
                     "h3_ws_client not built (H3_WS_CLIENT)")
class H3WebSocketTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="themis_h3ws_")
        make_certs(cls.dir)
        cls.port = free_udp_port()
        cls.srv = Server(args=ARGS + [
            "--tls-cert", os.path.join(cls.dir, "server.crt"),
            "--tls-key", os.path.join(cls.dir, "server.key"),
            "--https-port", str(cls.port), "--mqtts-port", "0"]).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        log = cls.srv.read_log()
        cls.srv.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert code == 0, "themisd exit code %r\n%s" % (code, log[-4000:])

    def stream(self, path, **kw):
        s = H3WsStream(self.port, path, **kw)
        self.addCleanup(s.close)
        return s

    def mqtt(self, client_id, version=4):
        s = self.stream("/mqtt", subprotocol="mqtt")
        self.assertEqual(s.status, 200, s.text())
        self.assertEqual(s.headers.get("sec-websocket-protocol"), "mqtt")
        self.assertNotIn("sec-websocket-accept", s.headers)
        c = mqtt_over(s, version)
        ack = c.connect(client_id, username="alice", password="secret")
        self.assertIsNotNone(ack, s.text())
        self.assertEqual(ack[0], 2, ack)  # CONNACK
        self.assertEqual(ack[2][-1] if version == 4 else ack[2][1], 0, ack)
        return s, c

    def test_settings_enable_connect_protocol(self):
        s, _ = self.mqtt("h3settings")
        self.assertEqual(s.settings, 1, s.text())

    def test_mqtt_both_ways_with_a_tcp_client(self):
        s, w = self.mqtt("h3sub", version=5)
        self.assertEqual(w.subscribe("h3/in/#", 1)[0], 9)  # SUBACK
        t = mqtt_raw.Client(self.srv.mqtt_port, version=4)
        self.addCleanup(t.close)
        self.assertEqual(t.connect("tcp-h3", username="alice",
                                   password="secret")[0], 2)
        self.assertEqual(t.subscribe("h3/out/#", 1)[0], 9)
        # HTTP/3 stream -> TCP subscriber
        w.publish("h3/out/a", "from-h3", qos=1)
        self.assertEqual(w.read()[0], 4)  # PUBACK on the stream
        pkt = t.read()
        self.assertIsNotNone(pkt, "the TCP subscriber got nothing")
        self.assertEqual(pkt[0], 3)
        self.assertEqual(t.parse_publish(pkt[1], pkt[2])[0:1], ("h3/out/a",))
        self.assertEqual(t.parse_publish(pkt[1], pkt[2])[3], b"from-h3")
        # TCP -> HTTP/3 stream, QoS 1
        t.publish("h3/in/b", "from-tcp", qos=1)
        self.assertEqual(t.read()[0], 4)
        typ, flags, body = w.read()
        self.assertEqual(typ, 3, s.text())
        topic, pid, _, payload = w.parse_publish(flags, body)
        self.assertEqual((topic, payload), ("h3/in/b", b"from-tcp"))
        w.ack(0x40, pid)
        # a larger message split over many QUIC packets
        big = os.urandom(200_000).hex()[:200_000]
        w.publish("h3/out/big", big, qos=0)
        pkt = t.read(timeout=15)
        self.assertIsNotNone(pkt)
        self.assertEqual(t.parse_publish(pkt[1], pkt[2])[3], big.encode())
        # the close handshake ends the stream cleanly
        s.close()
        self.assertEqual(s.ws_close, 1000, s.text())
        self.assertIsNone(s.reset, s.text())
        self.assertEqual(s.p.returncode, 0, s.text())

    def test_pg_simple_query(self):
        s = self.stream("/pg", subprotocol="pg")
        self.assertEqual(s.status, 200, s.text())
        c = pg_over(s)
        seen, z = c.login("alice", "secret")
        self.assertEqual(z, b"I", seen)
        seen, z = c.query("SELECT 1 + 2 AS three, 'h3' AS via")
        self.assertEqual(test_ws_pg.data_rows(seen), [["3", "h3"]])
        # Terminate: the backend ends, a close frame and FIN
        c.send(test_ws_pg.msg(b"X"))
        self.assertEqual(s.recv(65536), b"")
        self.assertEqual(s.ws_close, 1000, s.text())
        self.assertIsNone(s.reset, s.text())

    def test_refusals(self):
        s = self.stream("/mqtt", subprotocol="mqtt", protocol="mqtt-ish")
        self.assertEqual(s.status, 501, s.text())
        s = self.stream("/mqtt", protocol="none")  # a proxy's CONNECT
        self.assertEqual(s.status, 405, s.text())
        s = self.stream("/mqtt", subprotocol="mqtt", no_path=True)
        self.assertEqual(s.status, 0, s.text())  # malformed: no answer
        self.assertEqual(s.reset, H3_MESSAGE_ERROR, s.text())
        s = self.stream("/mqtt")  # no subprotocol
        self.assertEqual(s.status, 400, s.text())
        s = self.stream("/graphql", subprotocol="graphql-ws")  # (old one)
        self.assertEqual(s.status, 400, s.text())
        s = self.stream("/health")  # no WebSocket endpoint: not a tunnel
        self.assertEqual(s.status, 400, s.text())
        # and the server still serves a tunnel afterwards
        self.mqtt("h3after")

    def test_drain_disconnects_mqtt5_on_h3(self):
        port = free_udp_port()
        srv = Server(args=ARGS + [
            "--tls-cert", os.path.join(self.dir, "server.crt"),
            "--tls-key", os.path.join(self.dir, "server.key"),
            "--https-port", str(port), "--mqtts-port", "0"]).start()
        self.addCleanup(srv.cleanup)
        self.addCleanup(srv.stop)
        s = H3WsStream(port, "/mqtt", subprotocol="mqtt")
        self.addCleanup(s.close)
        c = mqtt_over(s, version=5)
        self.assertEqual(c.connect("h3drain", username="alice",
                                   password="secret")[0], 2)
        srv.proc.send_signal(signal.SIGTERM)
        pkt = c.read(timeout=10)
        self.assertIsNotNone(pkt, s.text())
        self.assertEqual(pkt[0], 14)  # DISCONNECT
        self.assertEqual(pkt[2][0], 0x8B)  # server shutting down
        # the close handshake and FIN follow; themisd exits at once, 0
        self.assertEqual(srv.proc.wait(timeout=20), 0, srv.read_log()[-3000:])
        s.close()
        self.assertEqual(s.ws_close, 1000, s.text())
        self.assertIsNone(s.reset, s.text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
