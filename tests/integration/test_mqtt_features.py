"""MQTT broker features beyond the round trips of test_mqtt.py, driven by
mosquitto clients and the raw client of mqtt_raw.py: ACL denials with
their reason codes, shared subscriptions (and redispatch when a member
leaves), message expiry, will delay, in-flight messages resent with DUP
and their packet ids, the broker state surviving kill -9, and the ingest
key field."""

import json
import os
import struct
import subprocess
import sys
import time
import unittest

from mqtt_raw import Client, props, u32
from themis_harness import Server

ACL = ("user alice; topic readwrite devices/%c/#; topic read public/#; "
       "topic deny public/secret/#; user bob; topic read public/#; "
       "topic write public/#")


def sub_proc(port, topic, *extra, timeout=5):
    return subprocess.Popen(
        ["mosquitto_sub", "-p", str(port), "-t", topic, "-v", "-W",
         str(timeout), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def pub(port, topic, msg, *extra):
    r = subprocess.run(["mosquitto_pub", "-p", str(port), "-t", topic, "-m",
                        msg, *extra], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 0, r.stderr
    return r


def lines(p):
    out, _ = p.communicate(timeout=30)
    return [l for l in out.split("\n") if l]


class AclTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # bob's password is stored hashed (scripts/hash-password.py)
        bob = subprocess.run(
            [sys.executable, os.path.join(os.path.dirname(__file__), "..", "..",
                                          "scripts", "hash-password.py"),
             "--iterations", "1000"], input="pw\n", capture_output=True,
            text=True, check=True).stdout.strip()
        cls.srv = Server(args=[
            "--set", "mqtt.users=alice:secret,bob:" + bob,
            "--set", "mqtt.allow_anonymous=false", "--set",
            "mqtt.acl=" + ACL]).start()
        cls.port = cls.srv.mqtt_port

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_denied_subscribe_gets_failure_codes(self):
        c = Client(self.port, 5)
        self.assertEqual(c.connect("dev1", username="alice",
                                   password="secret")[2][:2], b"\x00\x00")
        self.assertEqual(c.subscribe("devices/dev1/#", 1)[2][-1], 1)
        self.assertEqual(c.subscribe("devices/dev2/#", 1)[2][-1], 0x87)
        self.assertEqual(c.subscribe("devices/#", 1)[2][-1], 0x87)
        self.assertEqual(c.subscribe("public/secret/#", 1)[2][-1], 0x87)
        c.close()
        v3 = Client(self.port, 4)
        self.assertEqual(v3.connect("b3", username="bob", password="pw")[2],
                         b"\x00\x00")
        self.assertEqual(v3.subscribe("devices/#", 1)[2][-1], 0x80)
        self.assertEqual(v3.subscribe("public/#", 1)[2][-1], 1)
        v3.close()

    def test_denied_publish_is_not_delivered(self):
        watcher = sub_proc(self.port, "public/#", "-u", "bob", "-P", "pw",
                           timeout=3)
        time.sleep(0.4)
        c = Client(self.port, 5)
        c.connect("dev1", username="alice", password="secret")
        pid = c.publish("public/news", "from alice", qos=1)
        t, _, body = c.read()
        self.assertEqual(t, 4)  # PUBACK
        self.assertEqual(struct.unpack("!H", body[:2])[0], pid)
        self.assertEqual(body[2], 0x87)  # not authorized
        pid = c.publish("devices/dev1/t", "mine", qos=1)
        self.assertEqual(c.read()[2], struct.pack("!H", pid))  # success
        c.close()
        pub(self.port, "public/secret/x", "hidden", "-u", "bob", "-P", "pw")
        pub(self.port, "public/ok", "seen", "-u", "bob", "-P", "pw")
        # bob reads public/#, alice's write was refused, and the deny on
        # public/secret/# is alice's only
        self.assertEqual(lines(watcher),
                         ["public/secret/x hidden", "public/ok seen"])

    def test_deny_rule_filters_deliveries(self):
        c = Client(self.port, 5)
        c.connect("dev1", username="alice", password="secret")
        self.assertEqual(c.subscribe("public/#", 0)[2][-1], 0)
        pub(self.port, "public/secret/k", "no", "-u", "bob", "-P", "pw")
        pub(self.port, "public/open", "yes", "-u", "bob", "-P", "pw")
        t, flags, body = c.read()
        self.assertEqual(c.parse_publish(flags, body)[0], "public/open")
        c.close()

    def test_hashed_password(self):
        c = Client(self.port, 5)
        self.assertEqual(c.connect("h1", username="bob", password="pw")[2][1],
                         0)
        c = Client(self.port, 5)
        self.assertEqual(c.connect("h2", username="bob", password="pw2")[2][1],
                         0x86)

    def test_anonymous_and_bad_password_refused(self):
        c = Client(self.port, 5)
        self.assertEqual(c.connect("anon")[2][1], 0x87)
        c = Client(self.port, 5)
        self.assertEqual(c.connect("x", username="alice",
                                   password="nope")[2][1], 0x86)
        c = Client(self.port, 4)
        self.assertEqual(c.connect("x", username="alice",
                                   password="nope")[2][1], 4)


class FeaturesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "mqtt.ingest_key_field=device",
                               "--set", "mqtt.changes_prefix=$changes/"]
                         ).start()
        cls.port = cls.srv.mqtt_port

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_shared_subscription_splits_and_redispatches(self):
        s1 = sub_proc(self.port, "$share/g/sh/t", "-q", "1", "-V", "5",
                      timeout=8)
        s2 = sub_proc(self.port, "$share/g/sh/t", "-q", "1", "-V", "5",
                      timeout=3)
        plain = sub_proc(self.port, "sh/t", "-q", "1", timeout=8)
        time.sleep(0.5)
        for i in range(10):
            pub(self.port, "sh/t", "a%d" % i, "-q", "1")
        s2_got = lines(s2)  # s2 leaves after 3 s
        for i in range(6):
            pub(self.port, "sh/t", "b%d" % i, "-q", "1")
        # a member that takes messages and never acknowledges them: when
        # it leaves they go to the member that is left
        r = Client(self.port, 5)
        r.connect("hoarder")
        r.subscribe("$share/g/sh/t", 1)
        for i in range(4):
            pub(self.port, "sh/t", "c%d" % i, "-q", "1")
        held = 0
        while r.read(timeout=1):
            held += 1
        r.close()
        s1_got = lines(s1)
        got = sorted(l.split()[1] for l in s1_got + s2_got)
        want = sorted(["a%d" % i for i in range(10)] +
                      ["b%d" % i for i in range(6)] +
                      ["c%d" % i for i in range(4)])
        self.assertEqual(got, want)  # each exactly once across the group
        self.assertGreater(len(s2_got), 0)
        self.assertGreater(held, 0)
        self.assertEqual(len(lines(plain)), 20)  # a plain sub gets all

    def test_message_expiry_while_offline(self):
        cid = "expiry-sub"
        c = Client(self.port, 5)
        c.connect(cid, clean=False, connect_props=props((0x11, u32(300))))
        c.subscribe("exp/t", 1)
        c.send(0xE0, b"\x00")  # DISCONNECT, session kept
        c.close()
        time.sleep(0.2)
        pub(self.port, "exp/t", "short", "-q", "1", "-V", "5", "-D",
            "publish", "message-expiry-interval", "1")
        pub(self.port, "exp/t", "long", "-q", "1", "-V", "5", "-D",
            "publish", "message-expiry-interval", "100")
        time.sleep(2.5)
        c = Client(self.port, 5)
        connack = c.connect(cid, clean=False,
                            connect_props=props((0x11, u32(300))))
        self.assertEqual(connack[2][0], 1)  # session present
        t, flags, body = c.read()
        topic, pid, _, payload = c.parse_publish(flags, body)
        self.assertEqual(payload, b"long")
        # the remaining lifetime is sent: property 0x02, 4 bytes
        at = body.index(b"\x02", 2 + len(topic) + 2)
        left = struct.unpack("!I", body[at + 1:at + 5])[0]
        self.assertTrue(95 <= left <= 100, left)
        c.ack(0x40, pid)
        self.assertIsNone(c.read(timeout=1))  # "short" expired
        c.close()

    def test_will_delay(self):
        watcher = sub_proc(self.port, "wd/#", timeout=6)
        time.sleep(0.4)
        will = ("wd/late", "gone", 0, props((0x18, u32(2))))
        c = Client(self.port, 5)
        c.connect("wd1", connect_props=props((0x11, u32(10))), will=will)
        t0 = time.time()
        c.close()  # abrupt
        # a client that returns within the delay cancels its will
        c2 = Client(self.port, 5)
        c2.connect("wd2", connect_props=props((0x11, u32(10))),
                   will=("wd/cancelled", "no", 0, props((0x18, u32(2)))))
        c2.close()
        time.sleep(0.3)
        c3 = Client(self.port, 5)
        c3.connect("wd2", clean=False, connect_props=props((0x11, u32(10))))
        out = lines(watcher)
        c3.close()
        self.assertEqual(out, ["wd/late gone"])
        self.assertGreater(time.time() - t0, 1.5)

    def test_inflight_resent_with_dup_and_same_id(self):
        c = Client(self.port, 4)
        c.connect("dup-sub", clean=False)
        c.subscribe("dup/t", 1)
        pub(self.port, "dup/t", "hello", "-q", "1")
        t, flags, body = c.read()
        _, pid, dup, payload = c.parse_publish(flags, body)
        self.assertFalse(dup)
        c.close()  # not acknowledged
        time.sleep(0.3)
        c = Client(self.port, 4)
        self.assertEqual(c.connect("dup-sub", clean=False)[2], b"\x01\x00")
        t, flags, body = c.read()
        _, pid2, dup2, payload2 = c.parse_publish(flags, body)
        self.assertEqual((pid2, dup2, payload2), (pid, True, b"hello"))
        c.ack(0x40, pid2)
        c.send(0xE0, b"")
        c.close()

    def test_takeover_hands_inflight_messages_over(self):
        a = Client(self.port, 4)
        a.connect("handover", clean=False)
        a.subscribe("ho/t", 1)
        pub(self.port, "ho/t", "pending", "-q", "1")
        _, flags, body = a.read()
        _, pid, _, _ = a.parse_publish(flags, body)  # not acknowledged
        b = Client(self.port, 4)
        self.assertEqual(b.connect("handover", clean=False)[2], b"\x01\x00")
        _, flags, body = b.read()
        _, pid2, dup, payload = b.parse_publish(flags, body)
        self.assertEqual((pid2, dup, payload), (pid, True, b"pending"))
        self.assertEqual(a.read()[0], "closed")
        b.ack(0x40, pid2)
        b.send(0xE0, b"")

    def test_dollar_topics_belong_to_the_server(self):
        w = sub_proc(self.port, "$changes/x", "-C", "1", timeout=2)
        time.sleep(0.4)
        c = Client(self.port, 5)
        c.connect("spoofer")
        pid = c.publish("$changes/x", "{}", qos=1)
        body = c.read()[2]
        self.assertEqual((struct.unpack("!H", body[:2])[0], body[2]),
                         (pid, 0x87))
        self.assertEqual(lines(w), [])
        # a malformed shared filter is refused, not taken as a topic
        self.assertEqual(c.subscribe("$share/g", 1)[2][-1], 0x8F)
        c.close()

    def test_ingest_key_field_replaces_by_key(self):
        for t in (20, 21):
            pub(self.port, "ingest/state/x", json.dumps(
                {"device": "d1", "temp": t}), "-q", "1")
        st, _, body = self.srv.request("GET",
                                       "/v1/collections/state/documents/d1")
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body)["payload"]["temp"], 21)

    def test_changes_are_published(self):
        s = sub_proc(self.port, "$changes/gadgets", "-C", "2", timeout=8)
        w = sub_proc(self.port, "#", "-C", "1", timeout=2)  # not under '#'
        time.sleep(0.5)
        self.srv.json("POST", "/v1/collections", {"name": "gadgets"})
        st, _, _ = self.srv.json("PUT", "/v1/collections/gadgets/documents/g1",
                                 {"n": 1})
        self.assertIn(st, (200, 201))
        st, _, _ = self.srv.request("DELETE",
                                    "/v1/collections/gadgets/documents/g1")
        self.assertEqual(st, 200)
        got = lines(s)
        self.assertEqual(len(got), 2)
        put = json.loads(got[0].split(" ", 1)[1])
        self.assertEqual((put["type"], put["key"]), ("PUT", "g1"))
        self.assertEqual(json.loads(got[1].split(" ", 1)[1])["type"],
                         "DELETE")
        self.assertEqual(lines(w), [])


class CrashTest(unittest.TestCase):
    def test_sessions_survive_kill_9(self):
        srv = Server().start()
        try:
            port = srv.mqtt_port
            c = Client(port, 4)
            c.connect("crash-sub", clean=False)
            c.subscribe("crash/t", 1)
            c.send(0xE0, b"")
            c.close()
            for i in range(3):
                pub(port, "crash/t", "m%d" % i, "-q", "1")
            pub(port, "crash/flag", "on", "-q", "1", "-r")
            time.sleep(1.5)  # mqtt.persist_interval_ms is 1000
            srv.kill9()
            srv.start()
            got = lines(sub_proc(srv.mqtt_port, "crash/t", "-q", "1", "-c",
                                 "-i", "crash-sub", "-C", "3", timeout=5))
            self.assertEqual(got, ["crash/t m0", "crash/t m1", "crash/t m2"])
            got = lines(sub_proc(srv.mqtt_port, "crash/flag", "-C", "1",
                                 timeout=5))
            self.assertEqual(got, ["crash/flag on"])
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
