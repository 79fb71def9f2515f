"""MQTT and PostgreSQL over WebSocket over HTTP/2 (RFC 8441 extended
CONNECT at /mqtt and /pg, issue 19) against the real themisd, with the
RFC 8441 client of tests/clients/h2_ws_client.py (python3-h2) carrying
the raw MQTT client (mqtt_raw) and the raw PG client (test_ws_pg.PgWs):
CONNECT / SUBSCRIBE / PUBLISH both ways with TCP clients, two tunnels and
a REST request on one connection, the PG startup with SCRAM and simple
queries over h2c and TLS, the refusals (no subprotocol, text frames), a
tunnel closing while its connection goes on, and a drain."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

import mqtt_raw
import test_ws_pg  # (the module: its TestCase is not re-run here)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from h2_ws_client import H2Connection, H2WsStream  # noqa: E402
from themis_harness import Server, free_port  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ARGS = ["--set", "mqtt.users=alice:secret,bob:pw",
        "--set", "mqtt.allow_anonymous=false",
        "--set", "pg.auth=scram-sha-256", "--set", "pg.users=alice:secret"]


def mqtt_over(stream, version=4):
    """mqtt_raw.Client whose socket is `stream`."""
    c = mqtt_raw.Client.__new__(mqtt_raw.Client)
    c.s = stream
    c.version = version
    c.buf = b""
    c.next_id = 0
    return c


def pg_over(stream):
    c = test_ws_pg.PgWs.__new__(test_ws_pg.PgWs)
    c.w = stream
    c.buf = b""
    return c


class H2WireTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="themis_h2wire_")
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "dev-certs.sh"),
                        cls.dir], check=True, capture_output=True, timeout=60)
        cls.https_port = free_port()
        cls.srv = Server(args=ARGS + [
            "--tls-cert", os.path.join(cls.dir, "server.crt"),
            "--tls-key", os.path.join(cls.dir, "server.key"),
            "--https-port", str(cls.https_port),
            "--mqtts-port", "0"]).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        log = cls.srv.read_log()
        cls.srv.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert code == 0, "themisd exit code %r\n%s" % (code, log[-4000:])

    def conn(self, tls=False):
        c = H2Connection(self.https_port if tls else self.srv.port, tls=tls)
        self.addCleanup(c.close)
        return c

    def mqtt(self, h2c, client_id, version=4, user="alice", pw="secret"):
        s = H2WsStream(h2c, "/mqtt", subprotocols=["mqtt"])
        self.assertEqual(s.status, 200, s.ws.headers)
        self.assertEqual(s.ws.headers.get("sec-websocket-protocol"), "mqtt")
        c = mqtt_over(s, version)
        ack = c.connect(client_id, username=user, password=pw)
        self.assertEqual(ack[0], 2, ack)  # CONNACK
        self.assertEqual(ack[2][-1] if version == 4 else ack[2][1], 0, ack)
        return c

    def test_mqtt_both_ways_with_tcp_clients(self):
        h = self.conn()
        w = self.mqtt(h, "h2sub")
        self.assertEqual(w.subscribe("h2/in/#", 1)[0], 9)  # SUBACK
        t = mqtt_raw.Client(self.srv.mqtt_port, version=4)
        self.addCleanup(t.close)
        self.assertEqual(t.connect("tcp1", username="bob", password="pw")[0],
                         2)
        self.assertEqual(t.subscribe("h2/out/#", 1)[0], 9)
        # TCP -> HTTP/2 stream
        t.publish("h2/in/a", "from-tcp", qos=1)
        self.assertEqual(t.read()[0], 4)  # PUBACK
        typ, flags, body = w.read()
        self.assertEqual(typ, 3)
        topic, pid, _, payload = w.parse_publish(flags, body)
        self.assertEqual((topic, payload), ("h2/in/a", b"from-tcp"))
        w.ack(0x40, pid)
        # HTTP/2 stream -> TCP, QoS 1 acknowledged on the stream
        w.publish("h2/out/b", "from-h2", qos=1)
        self.assertEqual(w.read()[0], 4)
        typ, flags, body = t.read()
        self.assertEqual(typ, 3)
        self.assertEqual(t.parse_publish(flags, body)[3], b"from-h2")

    def test_two_tunnels_and_rest_on_one_connection(self):
        h = self.conn(tls=True)
        sub = self.mqtt(h, "h2two-sub", version=5)
        self.assertEqual(sub.subscribe("two/t", 0)[0], 9)
        pub = self.mqtt(h, "h2two-pub", version=5)
        st, _, _ = h.request("GET", "/health")
        self.assertEqual(st, 200)
        for i in range(20):
            pub.publish("two/t", "m%d" % i, qos=0)
        got = []
        while len(got) < 20:
            pkt = sub.read()
            self.assertIsNotNone(pkt, "only %d of 20 arrived" % len(got))
            self.assertEqual(pkt[0], 3)
            got.append(sub.parse_publish(pkt[1], pkt[2])[3])
        self.assertEqual(got, [b"m%d" % i for i in range(20)])
        # one tunnel ends (close handshake, END_STREAM); the other and
        # the connection go on
        pub.s.close()
        self.assertIn(pub.s.ws.sid, h.ended)
        pub2 = self.mqtt(h, "h2two-pub2", version=5)
        pub2.publish("two/t", "after", qos=0)
        pkt = sub.read()
        self.assertEqual(sub.parse_publish(pkt[1], pkt[2])[3], b"after")

    def test_mqtt_refusals(self):
        h = self.conn()
        s = H2WsStream(h, "/mqtt")  # no subprotocol offered
        self.assertEqual(s.status, 400)
        s = H2WsStream(h, "/mqtt", subprotocols=["mqtt"])
        self.assertEqual(s.status, 200)
        s.ws.send_text("CONNECT")  # MQTT 5.0 §6.0: binary only
        self.assertIsNone(s.ws.recv())
        self.assertEqual(s.ws.close_code, 1003)
        s = H2WsStream(h, "/mqtt", subprotocols=["mqtt"])
        c = mqtt_over(s)
        typ, _, body = c.connect("h2bad", username="alice", password="nope")
        self.assertEqual(typ, 2)
        self.assertNotEqual(body[-1], 0)  # refused CONNACK
        self.assertEqual(c.read()[0], "closed")

    def test_pg_startup_and_queries(self):
        for tls in (False, True):
            h = self.conn(tls=tls)
            s = H2WsStream(h, "/pg")
            self.assertEqual(s.status, 200)
            c = pg_over(s)
            seen, z = c.login("alice", "secret")
            self.assertEqual(z, b"I", seen)
            seen, z = c.query("SELECT 1 + 1 AS two, 'h2' AS via")
            self.assertEqual(test_ws_pg.data_rows(seen), [["2", "h2"]])
            seen, z = c.query("SELECT nosuchcolumn FROM nosuchtable")
            self.assertIn(b"E", [t for t, _ in seen])
            self.assertEqual(z, b"I")
            # Terminate: the backend ends, a close frame and END_STREAM
            c.send(test_ws_pg.msg(b"X"))
            self.assertEqual(s.recv(), b"")
            self.assertEqual(s.ws.close_code, 1000)
            st, _, _ = h.request("GET", "/health")
            self.assertEqual(st, 200)

    def test_pg_bad_password(self):
        h = self.conn()
        c = pg_over(H2WsStream(h, "/pg"))
        c.send(test_ws_pg.startup("alice"))
        t, p = c.read_msg()
        self.assertEqual(t, b"R")
        t, p = c.scram("alice", "wrong")
        self.assertEqual(t, b"E")
        self.assertIn(b"28P01", p)


class H2WireDrainTest(unittest.TestCase):
    def test_drain_disconnects_mqtt5_on_h2(self):
        srv = Server(args=ARGS).start()
        self.addCleanup(srv.cleanup)
        self.addCleanup(srv.stop)
        h = H2Connection(srv.port, read_after_goaway=True)
        self.addCleanup(h.close)
        s = H2WsStream(h, "/mqtt", subprotocols=["mqtt"])
        c = mqtt_over(s, version=5)
        self.assertEqual(c.connect("h2drain", username="alice",
                                   password="secret")[0], 2)
        srv.proc.send_signal(signal.SIGTERM)
        typ, _, body = c.read(timeout=10)
        self.assertEqual(typ, 14)  # DISCONNECT
        self.assertEqual(body[0], 0x8B)  # server shutting down
        self.assertEqual(srv.proc.wait(timeout=20), 0, srv.read_log()[-3000:])


if __name__ == "__main__":
    unittest.main()
