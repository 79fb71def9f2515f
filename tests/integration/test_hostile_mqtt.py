"""The MQTT broker against an attacker with an ordinary account (issue 17):
two tenants (acme, beta) and a global non-admin user, with JWTs signed
here, try to read another tenant's tree through `$share/{group}/…`, to
write into another tenant's collection through `ingest/{tenant.name}/…`,
to wedge a persistent 3.1.1 session with a message that can never be
stored, to store JSON nested past limits.max_json_depth, and to grow the
server with a subscriber that never reads. Real clients (mosquitto_pub,
the raw client of mqtt_raw.py); every wait is bounded."""

import json
import os
import socket
import struct
import subprocess
import threading
import time
import unittest

from mqtt_raw import Client
from tokens import ALL_SCOPES, bearer, make_jwt, rss_kb  # noqa: F401
from themis_harness import Server

# The same HS256 tokens as test_tenants.py (which needs the system
# interpreter's websocket module, so it is not imported here).
SECRET = "hostile mqtt test secret, long enough!"


def jwt(sub, tenant=None, scope=ALL_SCOPES, exp_in=3600):
    return make_jwt(SECRET, sub, tenant, scope, exp_in)


ROOT = jwt("root", scope="admin")
ACME = jwt("alice", "acme")
BETA = jwt("bob", "beta")
EVE = jwt("eve")  # global, not an admin
SMALL = jwt("sam", "small")  # a tenant with a documents quota of 3
READER = jwt("ro", scope="data:read")  # global, no cdc:read

PUBLISH, PUBACK, PUBREC, SUBACK, PINGRESP = 3, 4, 5, 9, 13


class HostileMqttTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=[
            "--set", "auth.jwt_secret=" + SECRET,
            "--set", "mqtt.changes_prefix=$changes/",
            "--set", "mqtt.sys_interval_s=1",
            "--set", "auth.tenant_quotas=small documents=3",
        ], env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        cls.port = cls.srv.mqtt_port
        for tok in (ACME, BETA):
            st, _, _ = cls.srv.json("POST", "/v1/collections",
                                    {"name": "secret"}, bearer(tok))
            assert st in (200, 201), st
        st, _, _ = cls.srv.json("PUT", "/v1/collections/secret/documents/s1",
                                {"owner": "beta"}, bearer(BETA))
        assert st in (200, 201), st

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def client(self, version, tok, cid, clean=True):
        c = Client(self.port, version)
        ack = c.connect(cid, clean=clean, username="u", password=tok)
        self.assertEqual(ack[0], 2, ack)
        self.assertEqual(ack[2][1], 0, ack)  # accepted
        return c

    def suback(self, c, flt, qos=1):
        r = c.subscribe(flt, qos)
        self.assertEqual(r[0], SUBACK, r)
        return r[2][-1]

    def docs(self, coll, tok):
        st, _, b = self.srv.json("GET", "/v1/collections/%s/documents" % coll,
                                 None, bearer(tok))
        return st, (b or {}).get("documents", [])

    def sys_counter(self, leaf, at_least=0, timeout=8):
        """The retained $SYS/broker/<leaf> value once it reaches at_least."""
        deadline = time.time() + timeout
        value = None
        while time.time() < deadline:
            c = self.client(5, ROOT, "sys-%d" % time.time_ns())
            c.subscribe("$SYS/broker/" + leaf, 0)
            p = c.read(2)
            c.close()
            if p and p[0] == PUBLISH:
                value = int(c.parse_publish(p[1], p[2])[3].split()[0])
                if value >= at_least:
                    return value
            time.sleep(0.5)
        return value

    def alive(self):
        st, _, _ = self.srv.request("GET", "/health/ready")
        return st == 200 and self.srv.proc.poll() is None

    # -- 1: $share/{group}/… is judged by its inner filter ---------------

    def test_shared_subscriptions_do_not_cross_tenants(self):
        spies = []
        for v, refused in ((4, 0x80), (5, 0x87)):
            for tok, who in ((EVE, "eve"), (ACME, "acme")):
                c = self.client(v, tok, "spy-%s-%d" % (who, v))
                for flt in ("$tenants/beta/#", "$share/g/$tenants/beta/#",
                            "$share/g/$tenants/beta/$changes/#",
                            "$share/g/$tenants/+/#"):
                    self.assertEqual(self.suback(c, flt), refused,
                                     (v, who, flt))
                spies.append(c)
            # no cdc:read: change topics refused, shared or not
            r = self.client(v, READER, "reader-%d" % v)
            self.assertEqual(self.suback(r, "$share/g/$changes/#"), refused)
            self.assertEqual(self.suback(r, "$changes/secret"), refused)
            self.assertEqual(self.suback(r, "$share/g/plain/#"), 1)
            r.close()
            # a nested shared filter is malformed
            n = self.client(v, ROOT, "nested-%d" % v)
            self.assertEqual(self.suback(n, "$share/g/$share/h/x"),
                             0x80 if v == 4 else 0x8F)
            n.close()
        # control: a global admin may follow beta through $share and does
        # receive what the spies must not
        admin = self.client(5, ROOT, "admin-watch")
        self.assertEqual(self.suback(admin, "$share/g/$tenants/beta/#"), 1)
        bob = self.client(5, BETA, "bob-pub")
        bob.publish("plant/t1", "beta-reading", qos=1)
        self.assertEqual(bob.read()[0], PUBACK)
        st, _, _ = self.srv.json("PUT", "/v1/collections/secret/documents/s2",
                                 {"owner": "beta"}, bearer(BETA))
        self.assertIn(st, (200, 201))
        got = admin.read(5)
        self.assertIsNotNone(got)
        self.assertEqual(got[0], PUBLISH)
        self.assertIn(b"beta-reading", got[2])
        for c in spies:  # neither the message nor the change event
            p = c.read(1.0)
            self.assertTrue(p is None or p[0] != PUBLISH, p)
        for c in spies + [admin, bob]:
            c.close()
        self.assertTrue(self.alive())

    # -- 2 and 3: ingest collection names, and no poison loop ------------

    def test_ingest_cannot_name_another_tenants_collection(self):
        for v in (4, 5):
            c = self.client(v, ACME, "ingest-%d" % v, clean=False)
            for topic in ("ingest/beta.secret/x", "ingest/beta.newcoll/x",
                          "ingest/../x", "ingest/a b/x", "ingest//x"):
                pid = c.publish(topic, '{"forged": true}', qos=1)
                ack = c.read()
                self.assertIsNotNone(ack, topic)
                self.assertEqual(ack[0], PUBACK, (v, topic, ack))
                self.assertEqual(struct.unpack("!H", ack[2][:2])[0], pid)
                if v == 5:
                    self.assertEqual(ack[2][2], 0x90, topic)  # topic invalid
            # QoS 2: PUBREC, with 0x90 on 5.0
            c.publish("ingest/beta.secret/y", "{}", qos=2)
            rec = c.read()
            self.assertEqual(rec[0], PUBREC, rec)
            if v == 5:
                self.assertEqual(rec[2][2], 0x90)
            # the connection is still up (3.1.1 used to be disconnected,
            # and its persistent session resent the message forever)
            c.send(0xC0, b"")
            self.assertEqual(c.read()[0], PINGRESP)
            c.close()
            # reconnecting the persistent session: nothing to resend, no
            # disconnect
            c = self.client(v, ACME, "ingest-%d" % v, clean=False)
            c.send(0xC0, b"")
            self.assertEqual(c.read()[0], PINGRESP)
            c.close()
        # mosquitto_pub on 3.1.1 completes as well
        r = subprocess.run(
            ["mosquitto_pub", "-p", str(self.port), "-t",
             "ingest/beta.secret/z", "-m", "{}", "-q", "1", "-u", "u", "-P",
             ACME], capture_output=True, text=True, timeout=15)
        self.assertEqual(r.returncode, 0, r.stderr)
        # beta's collection holds its own document only; no new collection
        st, docs = self.docs("secret", BETA)
        self.assertEqual(st, 200)
        self.assertTrue(all(d.get("owner") == "beta" for d in docs), docs)
        _, _, cols = self.srv.json("GET", "/v1/collections", None,
                                   bearer(ROOT))
        self.assertNotIn("newcoll", json.dumps(cols))
        self.assertNotIn("acme.beta", json.dumps(cols))
        # counted ($SYS) and logged
        self.assertGreaterEqual(self.sys_counter("ingest/rejected", 13), 13)
        self.assertIn("invalid collection name", self.srv.read_log())
        # its own collections still work
        c = self.client(4, ACME, "ingest-ok")
        c.publish("ingest/secret/dev1", '{"temp": 1}', qos=1)
        self.assertEqual(c.read()[0], PUBACK)
        c.close()
        st, docs = self.docs("secret", ACME)
        self.assertEqual([d["payload"] for d in docs], [{"temp": 1}])

    def test_ingest_respects_the_documents_quota(self):
        c = self.client(5, SMALL, "quota-5")
        codes = []
        for i in range(5):
            c.publish("ingest/meter/x", '{"n": %d}' % i, qos=1)
            ack = c.read()
            self.assertEqual(ack[0], PUBACK, ack)
            codes.append(ack[2][2] if len(ack[2]) > 2 else 0)
        self.assertEqual(codes, [0, 0, 0, 0x97, 0x97])  # quota exceeded
        c.close()
        # 3.1.1: acknowledged and dropped, the connection stays
        c = self.client(4, SMALL, "quota-4", clean=False)
        c.publish("ingest/meter/x", '{"n": 9}', qos=1)
        self.assertEqual(c.read()[0], PUBACK)
        c.send(0xC0, b"")
        self.assertEqual(c.read()[0], PINGRESP)
        c.close()
        st, docs = self.docs("meter", SMALL)
        self.assertEqual((st, len(docs)), (200, 3), docs)

    # -- 4: JSON nesting on ingest topics ---------------------------------

    def test_deep_json_payload_is_refused(self):
        deep = "[" * 200 + "]" * 200  # limits.max_json_depth is 128
        wide = "[" * 100 + "]" * 100
        for v in (4, 5):
            c = self.client(v, ACME, "deep-%d" % v)
            c.publish("ingest/deep%d/x" % v, deep, qos=1)
            ack = c.read()
            self.assertEqual(ack[0], PUBACK, ack)
            if v == 5:
                self.assertEqual(ack[2][2], 0x99)  # payload format invalid
            c.publish("ingest/deep%d/x" % v, deep, qos=0)
            c.publish("ingest/deep%d/x" % v, wide, qos=1)
            ack = c.read()
            self.assertEqual(ack[0], PUBACK, ack)
            if v == 5:
                self.assertEqual(len(ack[2]) <= 2 or ack[2][2] == 0, True)
            c.close()
            st, docs = self.docs("deep%d" % v, ACME)
            self.assertEqual(st, 200)
            self.assertEqual(len(docs), 1, docs)  # the 100-deep one only
            self.assertIsInstance(docs[0]["payload"], list)
        self.assertTrue(self.alive())

    # -- 5: a subscriber that never reads ---------------------------------

    def test_unread_subscriber_is_bounded_in_bytes(self):
        pid = self.srv.proc.pid
        slow = Client(self.port, 4)
        slow.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.assertEqual(slow.connect("slow", username="u",
                                      password=ACME)[0], 2)
        self.assertEqual(slow.subscribe("flood/#", 0)[0], SUBACK)
        # a normal subscriber keeps reading (a thread counts its bytes)
        good = self.client(4, ACME, "good")
        self.assertEqual(self.suback(good, "flood/#", 1), 1)
        good.s.settimeout(0.5)
        seen = {"bytes": 0, "tail": b"", "stop": False}

        def drain():
            while not seen["stop"]:
                try:
                    d = good.s.recv(1 << 16)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not d:
                    return
                seen["bytes"] += len(d)
                seen["tail"] = (seen["tail"] + d)[-4096:]
                if b"END-MARKER" in seen["tail"]:
                    seen["marker"] = True

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        time.sleep(0.3)
        before = rss_kb(pid)
        peak = [before]
        sampling = [True]

        def sample():
            while sampling[0]:
                peak[0] = max(peak[0], rss_kb(pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        pub = self.client(4, ACME, "flooder")
        payload = b"x" * 10000
        total = 80 * 1000 * 1000  # 80 MB of QoS 0
        t0 = time.time()
        for _ in range(total // len(payload)):
            pub.publish("flood/data", payload, qos=0)
            self.assertLess(time.time() - t0, 120, "flood took too long")
        # a QoS 1 round trip: everything before it was read by the server
        pub.publish("flood/sync", "sync", qos=1)
        deadline = time.time() + 30
        while time.time() < deadline:
            p = pub.read(5)
            if p is None or p[0] == PUBACK:
                break
        time.sleep(1.0)
        pub.publish("flood/end", "END-MARKER", qos=1)
        deadline = time.time() + 20
        while time.time() < deadline and not seen.get("marker"):
            time.sleep(0.1)
        sampling[0] = False
        sampler.join(2)
        seen["stop"] = True
        reader.join(2)
        grown_mb = (peak[0] - before) / 1024.0
        print("\nunread QoS 0 subscriber: %d MB published in %.1f s, server "
              "RSS %.1f -> peak %.1f MB (+%.1f MB); the reading subscriber "
              "got %.1f MB" % (total // 1000000, time.time() - t0,
                               before / 1024.0, peak[0] / 1024.0, grown_mb,
                               seen["bytes"] / 1e6))
        self.assertLess(grown_mb, 64, "server grew by %.1f MB" % grown_mb)
        self.assertTrue(self.alive())
        self.assertTrue(seen.get("marker"), "the reading subscriber starved")
        self.assertGreater(self.sys_counter("messages/dropped", 1000), 1000)
        slow.close()
        pub.close()
        good.close()


if __name__ == "__main__":
    unittest.main()
