"""MQTT over WebSocket (issue 19) at /mqtt on the HTTP and HTTPS
listeners: MQTT.js (npm `mqtt`, tests/node/mqtt_ws_client.mjs) over ws://
and wss:// for QoS 0/1/2 both ways, retained messages, wills, credentials
and session takeover between TCP and WebSocket clients; a raw client for
the framing (packets split across frames, several packets in one frame,
fragmented messages), the handshake's refusals and bad frames."""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import unittest

import mqtt_raw
from themis_harness import Server, free_port
from ws_raw import Frames, WsStream, handshake, masked

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
NODE_DIR = os.path.join(ROOT, "tests", "node")
USERS = ["--set", "mqtt.users=alice:secret,bob:pw"]


def run_node(scenario, ws_url, tcp_url, ca=None):
    args = ["node", "mqtt_ws_client.mjs", scenario, ws_url, tcp_url]
    if ca:
        args.append(ca)
    p = subprocess.run(args, cwd=NODE_DIR, capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout + p.stderr


def ws_client(port, version=4, chunk=0):
    """mqtt_raw.Client whose socket is a WebSocket stream."""
    c = mqtt_raw.Client.__new__(mqtt_raw.Client)
    c.s = WsStream(port, chunk=chunk)
    c.version = version
    c.buf = b""
    c.next_id = 0
    return c


def connect_packet(client_id, user="alice", pw="secret"):
    flags = 0x02 | 0x80 | 0x40
    body = (mqtt_raw.mqtt_string("MQTT") + bytes([4, flags]) +
            struct.pack("!H", 60))
    payload = (mqtt_raw.mqtt_string(client_id) + mqtt_raw.mqtt_string(user) +
               mqtt_raw.mqtt_string(pw))
    body += payload
    return bytes([0x10]) + mqtt_raw.varint(len(body)) + body


class MqttWsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "mqtt")):
            raise RuntimeError("tests/node/node_modules/mqtt is missing: run "
                               "npm ci in tests/node")
        cls.dir = tempfile.mkdtemp(prefix="themis_mqttws_")
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "dev-certs.sh"),
                        cls.dir], check=True, capture_output=True, timeout=60)
        c = lambda f: os.path.join(cls.dir, f)  # noqa: E731
        cls.ca = c("ca.crt")
        cls.https_port = free_port()
        cls.srv = Server(args=USERS + [
            "--tls-cert", c("server.crt"), "--tls-key", c("server.key"),
            "--https-port", str(cls.https_port), "--mqtts-port", "0",
            "--set", "mqtt.allow_anonymous=false"]).start()
        cls.ws = "ws://127.0.0.1:%d/mqtt" % cls.srv.port
        cls.wss = "wss://localhost:%d/mqtt" % cls.https_port
        cls.tcp = "mqtt://127.0.0.1:%d" % cls.srv.mqtt_port

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.srv.stop()
            assert code == 0, "themisd exit code %r\n%s" % (
                code, cls.srv.read_log()[-4000:])
        finally:
            cls.srv.cleanup()
            shutil.rmtree(cls.dir, ignore_errors=True)

    def node(self, scenario, url=None, ca=None):
        rc, out = run_node(scenario, url or self.ws, self.tcp, ca)
        self.assertEqual(rc, 0, out + "\n--- themisd log (tail)\n" + "\n".join(
            self.srv.read_log().splitlines()[-30:]))

    # -- MQTT.js ------------------------------------------------------------

    def test_mqttjs_qos_both_ways(self):
        self.node("qos_both_ways")

    def test_mqttjs_qos_over_wss(self):
        self.node("qos_both_ways", self.wss, self.ca)

    def test_mqttjs_ws_tcp_bridge(self):
        self.node("ws_tcp_bridge")

    def test_mqttjs_retained(self):
        self.node("retained")

    def test_mqttjs_will(self):
        self.node("will")

    def test_mqttjs_takeover_tcp_ws(self):
        self.node("takeover_tcp_to_ws")

    def test_mqttjs_takeover_over_wss(self):
        self.node("takeover_tcp_to_ws", self.wss, self.ca)

    def test_mqttjs_bad_password(self):
        self.node("bad_password")

    # -- raw framing --------------------------------------------------------

    def test_packet_split_across_frames(self):
        # every packet cut into 1-byte WebSocket messages
        s, status, _, rest = handshake(self.srv.port, "/mqtt", "mqtt")
        self.assertIn("101", status)
        for b in connect_packet("split1"):
            s.sendall(masked(2, bytes([b])))
        f = Frames(s, rest)
        op, _, _, payload = f.next()
        self.assertEqual(op, 2)
        self.assertEqual(payload[:1], b"\x20")  # CONNACK
        self.assertEqual(payload[3], 0)         # accepted
        s.close()

    def test_packets_fragmented_messages(self):
        # one message fragmented into continuation frames of 3 bytes
        c = ws_client(self.srv.port, chunk=3)
        self.assertEqual(c.connect("frag1", username="alice",
                                   password="secret")[0], 2)
        self.assertEqual(c.subscribe("frag/t", 1)[0], 9)
        c.publish("frag/t", "x" * 300, qos=1)
        kinds = {c.read()[0], c.read()[0]}
        self.assertEqual(kinds, {3, 4})  # PUBLISH back and PUBACK
        c.close()

    def test_several_packets_in_one_frame(self):
        s, status, _, rest = handshake(self.srv.port, "/mqtt", "mqttv3.1")
        self.assertIn("101", status)
        sub = (struct.pack("!H", 1) + mqtt_raw.mqtt_string("many/t") +
               b"\x01")
        pub = mqtt_raw.mqtt_string("many/t") + struct.pack("!H", 2) + b"hi"
        data = (connect_packet("many1") +
                bytes([0x82]) + mqtt_raw.varint(len(sub)) + sub +
                bytes([0x32]) + mqtt_raw.varint(len(pub)) + pub)
        s.sendall(masked(2, data))
        stream = b""
        f = Frames(s, rest)
        types = []
        while len(types) < 4:
            fr = f.next()
            self.assertIsNotNone(fr, "closed early; got %r" % types)
            stream += fr[3]
            while len(stream) >= 2 and len(stream) >= 2 + stream[1]:
                types.append(stream[0] >> 4)
                stream = stream[2 + stream[1]:]
        self.assertEqual(types[0], 2)  # CONNACK
        self.assertEqual(sorted(types[1:]), [3, 4, 9])
        s.close()

    def test_tcp_subscriber_sees_ws_publish(self):
        t = mqtt_raw.Client(self.srv.mqtt_port, version=4)
        t.connect("tsub", username="bob", password="pw")
        self.assertEqual(t.subscribe("mix/#", 1)[0], 9)
        w = ws_client(self.srv.port)
        w.connect("wpub", username="alice", password="secret")
        w.publish("mix/a", "from-ws", qos=1)
        self.assertEqual(w.read()[0], 4)
        typ, flags, body = t.read()
        self.assertEqual(typ, 3)
        self.assertEqual(t.parse_publish(flags, body)[3], b"from-ws")
        t.close()
        w.close()

    def test_text_frame_closes_1003(self):
        s, status, _, rest = handshake(self.srv.port, "/mqtt", "mqtt")
        self.assertIn("101", status)
        s.sendall(masked(1, b"hello"))
        f = Frames(s, rest)
        fr = f.next()
        self.assertEqual(fr[0], 8)
        self.assertEqual(struct.unpack("!H", fr[3][:2])[0], 1003)
        self.assertIsNone(f.next())
        s.close()

    def test_unmasked_frame_closes_1002(self):
        s, status, _, rest = handshake(self.srv.port, "/mqtt", "mqtt")
        self.assertIn("101", status)
        s.sendall(b"\x82\x02ab")
        fr = Frames(s, rest).next()
        self.assertEqual(fr[0], 8)
        self.assertEqual(struct.unpack("!H", fr[3][:2])[0], 1002)
        s.close()

    def test_garbage_mqtt_closes(self):
        s, status, _, rest = handshake(self.srv.port, "/mqtt", "mqtt")
        s.sendall(masked(2, b"\xf0\x00"))  # reserved packet type
        f = Frames(s, rest)
        while True:  # the connection ends (close frame, then EOF)
            fr = f.next()
            if fr is None:
                break
        s.close()

    def test_ping_answered(self):
        c = ws_client(self.srv.port)
        c.connect("pinger", username="alice", password="secret")
        c.s.s.sendall(masked(9, b"p1"))
        fr = c.s.frames.next()
        self.assertEqual((fr[0], fr[3]), (10, b"p1"))
        c.close()

    def test_handshake_refusals(self):
        s, status, _, _ = handshake(self.srv.port, "/mqtt")
        self.assertIn("400", status)  # no subprotocol offered
        s.close()
        s, status, _, _ = handshake(self.srv.port, "/mqtt", "graphql-ws")
        self.assertIn("400", status)
        s.close()
        s, status, hs, _ = handshake(self.srv.port, "/mqtt", "mqtt",
                                     extra="")
        self.assertEqual(hs.get("sec-websocket-protocol"), "mqtt")
        s.close()
        st, _, _ = self.srv.request("GET", "/mqtt")
        self.assertEqual(st, 426)

    def test_disabled_path(self):
        srv = Server(args=["--set", "mqtt.ws_path="]).start()
        try:
            s, status, _, _ = handshake(srv.port, "/mqtt", "mqtt")
            self.assertNotIn("101", status)
            s.close()
        finally:
            srv.stop()
            srv.cleanup()

    def test_drain_disconnects_websocket_client(self):
        srv = Server(args=USERS).start()
        try:
            c = ws_client(srv.port, version=5)
            typ, _, _ = c.connect("drained", username="alice",
                                  password="secret")
            self.assertEqual(typ, 2)
            srv.proc.send_signal(signal.SIGTERM)
            typ, _, body = c.read(timeout=10)
            self.assertEqual(typ, 14)  # DISCONNECT
            self.assertEqual(body[:1], b"\x8b")  # server shutting down
            c.close()
            self.assertEqual(srv.proc.wait(timeout=20), 0)
        finally:
            if srv.proc.poll() is None:
                srv.stop()
            srv.cleanup()

    def test_bad_credentials_refused(self):
        c = ws_client(self.srv.port)
        typ, _, body = c.connect("badpw", username="alice", password="x")
        self.assertEqual(typ, 2)
        self.assertEqual(body[1], 4)  # bad user name or password
        c.close()


if __name__ == "__main__":
    unittest.main()
