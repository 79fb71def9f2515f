"""The MQTT broker driven by real clients (mosquitto_pub / mosquitto_sub,
3.1.1 and 5.0) and by a raw socket for what those tools cannot do (an
abrupt disconnect, a silent client, malformed bytes): QoS 0/1/2 round
trips, wildcards, retained messages, wills, takeover, keep-alive,
credentials, and ingest topics landing in the database."""

import json
import socket
import struct
import subprocess
import time
import unittest

from mqtt_raw import mqtt_string, varint
from themis_harness import Server


def connect_packet(client_id, keep_alive=60, will=None, version=4):
    flags = 0x02
    payload = mqtt_string(client_id)
    props = b"\x00" if version == 5 else b""
    if will:
        topic, msg = will
        flags |= 0x04
        payload += (b"\x00" if version == 5 else b"") + mqtt_string(topic) + \
            mqtt_string(msg)
    body = mqtt_string("MQTT") + bytes([version, flags]) + \
        struct.pack("!H", keep_alive) + props + payload
    return b"\x10" + varint(len(body)) + body


class Raw:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)

    def __del__(self):
        self.s.close()

    def recv_some(self, timeout=5):
        self.s.settimeout(timeout)
        try:
            return self.s.recv(65536)
        except socket.timeout:
            return None


class MqttTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "mqtt.users=alice:secret"]).start()
        cls.mqtt_port = cls.srv.mqtt_port

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def sub(self, topic, count, *extra, timeout=10):
        return subprocess.Popen(
            ["mosquitto_sub", "-p", str(self.mqtt_port), "-t", topic, "-v",
             "-C", str(count), "-W", str(timeout), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def pub(self, topic, msg, *extra):
        r = subprocess.run(
            ["mosquitto_pub", "-p", str(self.mqtt_port), "-t", topic, "-m",
             msg, *extra], capture_output=True, text=True, timeout=20)
        return r

    def wait_subscribed(self):
        time.sleep(0.4)  # mosquitto_sub has no "subscribed" signal

    def test_qos_round_trips_both_versions(self):
        for version in ("mqttv311", "mqttv5"):
            for qos in ("0", "1", "2"):
                topic = "rt/%s/%s" % (version, qos)
                s = self.sub(topic, 1, "-q", qos, "-V", version)
                self.wait_subscribed()
                r = self.pub(topic, "m" + qos, "-q", qos, "-V", version)
                self.assertEqual(r.returncode, 0, r.stderr)
                out, err = s.communicate(timeout=15)
                self.assertEqual(out.strip(), topic + " m" + qos, err)

    def test_wildcards_and_dollar_topics(self):
        s = self.sub("w/+/x/#", 2)
        d = self.sub("#", 1, "-W", "2")
        self.wait_subscribed()
        self.pub("$SYS/ignored", "no")
        self.pub("w/a/x", "one")
        self.pub("w/b/y", "skip")
        self.pub("w/c/x/d/e", "two")
        out, _ = s.communicate(timeout=15)
        self.assertEqual(out.split("\n")[:2], ["w/a/x one", "w/c/x/d/e two"])
        out, _ = d.communicate(timeout=15)
        self.assertNotIn("$SYS", out)

    def test_retained_set_replace_clear(self):
        self.pub("ret/t", "v1", "-r", "-q", "1")
        self.pub("ret/t", "v2", "-r", "-q", "1")
        s = self.sub("ret/#", 1, "-W", "5")
        out, _ = s.communicate(timeout=15)
        self.assertEqual(out.strip(), "ret/t v2")
        self.pub("ret/t", "", "-r", "-q", "1")  # clears it
        s = self.sub("ret/#", 1, "-W", "2")
        out, _ = s.communicate(timeout=15)
        self.assertEqual(out.strip(), "")

    def test_will_on_abrupt_disconnect(self):
        s = self.sub("wills/dev1", 1)
        self.wait_subscribed()
        c = Raw(self.mqtt_port)
        c.s.sendall(connect_packet("dev1", will=("wills/dev1", "gone")))
        self.assertEqual(c.recv_some()[:4], b"\x20\x02\x00\x00")
        c.s.close()  # no DISCONNECT: the will is published
        out, _ = s.communicate(timeout=15)
        self.assertEqual(out.strip(), "wills/dev1 gone")

    def test_keep_alive_is_enforced(self):
        c = Raw(self.mqtt_port)
        c.s.sendall(connect_packet("sleepy", keep_alive=1))
        self.assertEqual(c.recv_some()[:4], b"\x20\x02\x00\x00")
        t0 = time.time()
        self.assertEqual(c.recv_some(timeout=6), b"")  # closed by the server
        self.assertLess(time.time() - t0, 4.0)  # 1.5 × keep-alive + a tick

    def test_takeover_closes_the_old_connection(self):
        a = Raw(self.mqtt_port)
        a.s.sendall(connect_packet("same-id", version=5))
        self.assertEqual(a.recv_some()[0], 0x20)
        b = Raw(self.mqtt_port)
        b.s.sendall(connect_packet("same-id", version=5))
        self.assertEqual(b.recv_some()[0], 0x20)
        data = a.recv_some()
        self.assertEqual(data[0], 0xE0)  # DISCONNECT
        self.assertEqual(data[2], 0x8E)  # session taken over

    def test_credentials(self):
        ok = self.pub("cred/t", "x", "-u", "alice", "-P", "secret")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        bad = self.pub("cred/t", "x", "-u", "alice", "-P", "wrong")
        self.assertNotEqual(bad.returncode, 0)
        bad5 = self.pub("cred/t", "x", "-u", "alice", "-P", "wrong", "-V",
                        "mqttv5")
        self.assertNotEqual(bad5.returncode, 0)

    def test_malformed_packets_close_without_harm(self):
        corpus = [
            b"\x30\x02\x00\x00",                    # PUBLISH before CONNECT
            connect_packet("m1")[:-1] + b"\x00\xff",  # bad CONNECT length
            b"\x10\xff\xff\xff\xff\x01",            # 5-byte remaining length
            connect_packet("m2") + b"\x36\x03\x00\x01t",  # QoS 3 PUBLISH
            connect_packet("m3") + b"\x82\x02\x00\x01",   # empty SUBSCRIBE
        ]
        for bad in corpus:
            c = Raw(self.mqtt_port)
            c.s.sendall(bad)
            got = b""
            while True:
                d = c.recv_some(timeout=5)
                if not d:
                    break
                got += d
            self.assertIsNotNone(d, bad)  # closed, not left hanging
        r = self.pub("alive/t", "still")  # and the broker is fine
        self.assertEqual(r.returncode, 0)

    def test_persistent_sessions_keep_qos1_messages(self):
        for version, extra in (("mqttv311", []), ("mqttv5", ["-x", "60"])):
            cid = "persist-" + version
            topic = "persist/%s" % version
            r = subprocess.run(
                ["mosquitto_sub", "-p", str(self.mqtt_port), "-t", topic,
                 "-q", "1", "-c", "-i", cid, "-E", "-V", version, *extra],
                capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.pub(topic, "while-away", "-q", "1")
            self.pub(topic, "qos0-dropped", "-q", "0")
            s = self.sub(topic, 1, "-q", "1", "-c", "-i", cid, "-V", version,
                         *extra, timeout=5)
            out, err = s.communicate(timeout=15)
            self.assertEqual(out.strip(), topic + " while-away", err)

    def test_sessions_and_retained_survive_a_restart(self):
        cid = "restart-sub"
        r = subprocess.run(
            ["mosquitto_sub", "-p", str(self.mqtt_port), "-t", "rs/#", "-q",
             "1", "-c", "-i", cid, "-E"],
            capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.pub("rs/queued", "kept", "-q", "1")
        self.pub("rsr/flag", "on", "-q", "1", "-r")
        self.assertEqual(self.srv.stop(), 0)
        self.srv.start()
        s = self.sub("rs/#", 1, "-q", "1", "-c", "-i", cid, timeout=5)
        out, err = s.communicate(timeout=15)
        self.assertEqual(out.strip(), "rs/queued kept", err)
        s = self.sub("rsr/#", 1, timeout=5)
        out, _ = s.communicate(timeout=15)
        self.assertEqual(out.strip(), "rsr/flag on")

    def test_ingest_lands_in_the_database(self):
        r = self.pub("ingest/telemetry/dev7", '{"temp": 21.5}', "-q", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.pub("ingest/telemetry/dev7", "raw\x01bytes", "-q", "1",
                     "-V", "mqttv5")
        self.assertEqual(r.returncode, 0, r.stderr)
        st, _, body = self.srv.request(
            "GET", "/v1/collections/telemetry/documents")
        self.assertEqual(st, 200)
        docs = json.loads(body)["documents"]
        self.assertEqual(len(docs), 2)
        by_encoding = {d.get("payload_encoding"): d for d in docs}
        self.assertEqual(by_encoding[None]["payload"], {"temp": 21.5})
        self.assertEqual(by_encoding[None]["topic"], "ingest/telemetry/dev7")
        self.assertEqual(by_encoding["base64"]["payload"], "cmF3AWJ5dGVz")


if __name__ == "__main__":
    unittest.main()
