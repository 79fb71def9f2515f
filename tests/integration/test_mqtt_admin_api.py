"""GET /api/v1/mqtt (issue 29, docs/mqtt.md): the broker's sessions,
subscriptions and retained messages, read-only, with real clients
(mosquitto_sub / mosquitto_pub): admin scope only; a tenant's admin sees
its tenant's namespace under its own names and nothing else; a global
admin sees every namespace (the broker's names) or only the global one;
a kept session (clean session off) shows as kept after its client
left."""

import subprocess
import time
import unittest

from themis_harness import Server
from tokens import ALL_SCOPES, bearer, make_jwt

SECRET = "mqtt admin api test secret, long!"
ROOT = make_jwt(SECRET, "root", scope="admin " + ALL_SCOPES)
BOSS = make_jwt(SECRET, "boss", "acme", scope="admin " + ALL_SCOPES)
ALICE = make_jwt(SECRET, "alice", "acme")


class MqttAdminApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=("--set", "auth.jwt_secret=" + SECRET),
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        cls.procs = []

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def mqtt(self, tool, tok, *args):
        cmd = [tool, "-h", "127.0.0.1", "-p", str(self.srv.mqtt_port),
               "-u", "x", "-P", tok] + list(args)
        if tool == "mosquitto_pub":
            r = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=20)
            self.assertEqual(r.returncode, 0, r.stderr)
            return None
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def overview(self, tok, query=""):
        return self.srv.json("GET", "/api/v1/mqtt" + query, None, bearer(tok))

    def wait_clients(self, tok, ids, query=""):
        deadline = time.time() + 10
        while time.time() < deadline:
            st, _, b = self.overview(tok, query)
            self.assertEqual(st, 200, b)
            got = {c["client_id"]: c for c in b["clients"]}
            if ids <= set(got):
                return got, b
            time.sleep(0.1)
        self.fail("clients %s never listed: %s" % (ids, b))

    def test_scoped_views(self):
        self.mqtt("mosquitto_sub", ROOT, "-i", "g1", "-t", "x/#", "-q", "1")
        self.mqtt("mosquitto_sub", BOSS, "-i", "dev1", "-t", "plant/#")
        self.mqtt("mosquitto_pub", ROOT, "-i", "gp", "-t", "x/r", "-m",
                  "global-retained", "-r")
        self.mqtt("mosquitto_pub", BOSS, "-i", "ap", "-t", "plant/t", "-m",
                  "acme-retained", "-r")
        # the global admin: every namespace, under the broker's names
        got, b = self.wait_clients(ROOT, {"g1", "$tenants/acme/dev1"})
        g1 = got["g1"]
        self.assertTrue(g1["connected"])
        self.assertEqual(g1["user"], "root")
        self.assertTrue(g1["remote"].startswith("127.0.0.1"))
        self.assertEqual(g1["subscriptions"],
                         [{"filter": "x/#", "qos": 1, "id": 0}])
        self.assertEqual(got["$tenants/acme/dev1"]["subscriptions"][0]
                         ["filter"], "$tenants/acme/plant/#")
        topics = {m["topic"]: m for m in b["retained"]}
        self.assertEqual(topics["x/r"]["payload"], "global-retained")
        self.assertEqual(topics["x/r"]["bytes"], 15)
        self.assertIn("$tenants/acme/plant/t", topics)
        # only the global namespace
        got, b = self.wait_clients(ROOT, {"g1"}, "?namespace=global")
        self.assertFalse([c for c in got if c.startswith("$tenants/")])
        self.assertFalse([m for m in b["retained"]
                          if m["topic"].startswith("$tenants/")])
        # the tenant's admin: its own names, nothing of anyone else
        got, b = self.wait_clients(BOSS, {"dev1"})
        self.assertEqual(set(got), {"dev1"})
        self.assertEqual(got["dev1"]["subscriptions"][0]["filter"], "plant/#")
        self.assertEqual([m["topic"] for m in b["retained"]], ["plant/t"])
        self.assertEqual(b["retained"][0]["payload"], "acme-retained")
        # a tenant's admin cannot widen its view
        st, _, b = self.overview(BOSS, "?namespace=all")
        self.assertEqual(st, 200)
        self.assertEqual({c["client_id"] for c in b["clients"]}, {"dev1"})

    def test_kept_session(self):
        p = self.mqtt("mosquitto_sub", ROOT, "-i", "keeper", "-c", "-q", "1",
                      "-t", "k/#")
        self.wait_clients(ROOT, {"keeper"})
        p.terminate()
        p.wait(10)
        deadline = time.time() + 10
        while time.time() < deadline:
            got, _ = self.wait_clients(ROOT, {"keeper"})
            if not got["keeper"]["connected"]:
                break
            time.sleep(0.1)
        self.assertFalse(got["keeper"]["connected"])
        self.assertEqual(got["keeper"]["subscriptions"][0]["filter"], "k/#")

    def test_refusals(self):
        st, _, b = self.overview(ALICE)
        self.assertEqual(st, 403, b)
        st, _, _ = self.srv.json("GET", "/api/v1/mqtt")
        self.assertEqual(st, 401)
        st, _, b = self.overview(ROOT, "?namespace=nope")
        self.assertEqual(st, 400, b)


if __name__ == "__main__":
    unittest.main()
