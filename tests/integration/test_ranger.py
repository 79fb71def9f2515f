"""Apache Ranger policy enforcement (issue 24) against a Ranger-Admin-
compatible endpoint run by this test.

The policy document is written in the format Ranger Admin serves to its
plugins: `GET /service/plugins/policies/download/{serviceName}
?lastKnownVersion=N` answers a ServicePolicies JSON object (serviceName,
serviceId, policyVersion, policyUpdateTime, serviceDef, policies[]), each
policy a RangerPolicy (id, name, isEnabled, policyPriority, resources with
values/isExcludes/isRecursive, policyItems, denyPolicyItems,
allowExceptions, denyExceptions with users/groups/roles/accesses
[{type,isAllowed}]/delegateAdmin) as documented in Apache Ranger's REST
API (ranger.apache.org/apidocs, "RangerServicePolicies" / "RangerPolicy")
and agents-common's ServicePolicies.java; Ranger answers 304 when the
plugin already has `lastKnownVersion`.

Real clients: http.client (REST), psql (SQL), mosquitto_pub/sub (MQTT).
Covered: the allow / deny / exception matrix on every protocol, a policy
update picked up on the next poll, Ranger down → the last known policies
still enforced, also after a restart (from the disk cache), and the
Ranger-format audit lines."""

import base64
import copy
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import Server  # noqa: E402

SECRET = "ranger integration secret, long enough"
SCOPES = "data:read data:write query"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(user, scope=SCOPES):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": user, "scope": scope,
                           "exp": int(time.time()) + 600}).encode())
    sig = hmac.new(SECRET.encode(), (head + "." + body).encode(),
                   hashlib.sha256).digest()
    return head + "." + body + "." + b64(sig)


def acc(*types):
    return [{"type": t, "isAllowed": True} for t in types]


def item(users=(), groups=(), roles=(), accesses=()):
    return {"users": list(users), "groups": list(groups),
            "roles": list(roles), "accesses": acc(*accesses),
            "conditions": [], "delegateAdmin": False}


def pol(pid, name, resources, allow=(), deny=(), allow_exc=(), deny_exc=(),
        priority=0):
    return {"id": pid, "guid": "themis-%d" % pid, "isEnabled": True,
            "isAuditEnabled": True, "version": 1, "service": "themis",
            "name": name, "policyType": 0, "policyPriority": priority,
            "description": "", "resourceSignature": "", "resources":
            {k: {"values": v, "isExcludes": False,
                 "isRecursive": k == "topic"}
             for k, v in resources.items()},
            "policyItems": list(allow), "denyPolicyItems": list(deny),
            "allowExceptions": list(allow_exc),
            "denyExceptions": list(deny_exc), "dataMaskPolicyItems": [],
            "rowFilterPolicyItems": [], "validitySchedules": [],
            "policyLabels": [], "isDenyAllElse": False}


SERVICE_DEF = {
    "name": "themis", "id": 1000, "implClass": "", "label": "themisd",
    "resources": [
        {"itemId": 1, "name": "tenant", "type": "string", "level": 10,
         "parent": "", "mandatory": True, "lookupSupported": False,
         "recursiveSupported": False, "excludesSupported": True,
         "matcher": "org.apache.ranger.plugin.resourcematcher."
                    "RangerDefaultResourceMatcher",
         "matcherOptions": {"wildCard": "true", "ignoreCase": "false"}},
        {"itemId": 2, "name": "collection", "type": "string", "level": 20,
         "parent": "tenant", "mandatory": True},
        {"itemId": 3, "name": "key", "type": "string", "level": 30,
         "parent": "collection", "mandatory": False},
        {"itemId": 4, "name": "topic", "type": "path", "level": 20,
         "parent": "tenant", "mandatory": True, "recursiveSupported": True},
        {"itemId": 5, "name": "table", "type": "string", "level": 20,
         "parent": "tenant", "mandatory": True}],
    "accessTypes": [{"itemId": i + 1, "name": n, "label": n}
                    for i, n in enumerate(["read", "write", "query", "admin",
                                           "publish", "subscribe"])]}


def policies(version, bob_reads=False):
    ps = [
        pol(1, "root everything", {"tenant": ["*"]},
            allow=[item(users=["root"], accesses=["read", "write", "query",
                                                   "admin"])]),
        pol(2, "root data", {"tenant": ["*"], "collection": ["*"]},
            allow=[item(users=["root"], accesses=["read", "write",
                                                   "admin"])]),
        pol(3, "orders", {"tenant": ["*"], "collection": ["orders"]},
            allow=[item(users=["alice"], accesses=["read", "write"]),
                   item(groups=["analysts"], accesses=["read"])],
            allow_exc=[item(users=["carol"], accesses=["read"])],
            deny=[] if bob_reads else [item(users=["bob"],
                                           accesses=["read"])]),
        pol(4, "bob may read orders", {"tenant": ["*"],
                                       "collection": ["orders"]},
            allow=[item(users=["bob"], accesses=["read"])]),
        pol(5, "sensors", {"tenant": ["*"], "topic": ["sensors"]},
            allow=[item(users=["alice"], accesses=["publish",
                                                   "subscribe"])],
            deny=[item(users=["bob"], accesses=["publish", "subscribe"])]),
        pol(6, "orders table", {"tenant": ["*"], "table": ["orders"]},
            allow=[item(users=["alice", "bob", "root"],
                        accesses=["read", "write", "admin"])],
            deny=[item(users=["bob"], accesses=["read"])],
            deny_exc=[item(users=["bob"], accesses=["read"])]
            if bob_reads else []),
    ]
    return {"serviceName": "themis", "serviceId": 7,
            "policyVersion": version, "policyUpdateTime": 1765000000000,
            "serviceDef": SERVICE_DEF, "auditMode": "audit-default",
            "policies": ps, "tagPolicies": None}


class RangerAdmin:
    """Ranger Admin's plugin download endpoint, and nothing else."""

    def __init__(self):
        self.doc = policies(1)
        self.seen = []
        self.httpd = None

    def start(self, port=0):
        admin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path, _, query = self.path.partition("?")
                args = dict(p.split("=", 1) for p in query.split("&")
                            if "=" in p)
                admin.seen.append((path, args))
                if path != "/service/plugins/policies/download/themis":
                    self.send_error(404)
                    return
                if args.get("lastKnownVersion") == str(
                        admin.doc["policyVersion"]):
                    self.send_response(304)
                    self.end_headers()
                    return
                body = json.dumps(admin.doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                     Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever,
                         daemon=True).start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_for(pred, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.2)
    return False


class RangerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ranger = RangerAdmin().start()
        cls.args = [
            "--set", "auth.jwt_secret=" + SECRET,
            "--set", "auth.ranger.url=http://127.0.0.1:%d" % cls.ranger.port,
            "--set", "auth.ranger.service=themis",
            "--set", "auth.ranger.poll_s=1",
            "--set", "pg.users=alice:pw,bob:pw,root:pw",
            "--set", "mqtt.users=alice:pw,bob:pw",
            "--set", "auth.principals=alice scope=data:read "
                     "scope=data:write scope=query,bob scope=data:read "
                     "scope=data:write scope=query,root scope=admin"]
        cls.srv = Server(args=cls.args,
                         env={"THEMIS_AUTH_REQUIRED": "true"})
        cls.audit = os.path.join(cls.srv.data_dir, "ranger-audit.log")
        cls.srv.args += ["--set", "auth.ranger.audit_file=" + cls.audit]
        cls.srv.start()
        root = cls.h("root", "admin")
        st, _, b = cls.srv.json("POST", "/v1/collections",
                                {"name": "orders"}, root)
        assert st in (200, 201), (st, b)
        st, _, b = cls.srv.json("POST", "/v1/collections/orders/documents",
                                {"_key": "k1", "total": 5}, root)
        assert st in (200, 201, 202), (st, b)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        try:
            cls.ranger.stop()
        except Exception:
            pass

    @staticmethod
    def h(user, scope=SCOPES):
        return {"Authorization": "Bearer " + token(user, scope)}

    def get(self, user, scope=SCOPES, key="k1"):
        st, _, _ = self.srv.request(
            "GET", "/v1/collections/orders/documents/" + key,
            headers=self.h(user, scope))
        return st

    def test_1_rest_matrix(self):
        self.assertEqual(self.get("alice"), 200)          # allow item
        self.assertEqual(self.get("dave", SCOPES + " analysts"), 200)  # group
        self.assertEqual(self.get("carol", SCOPES + " analysts"), 403)  # exc.
        self.assertEqual(self.get("bob"), 403)            # deny beats allow
        self.assertEqual(self.get("eve"), 403)            # no policy
        # scopes still count: Ranger allows alice, her token lacks data:read
        self.assertEqual(self.get("alice", "query"), 403)
        st, _, _ = self.srv.request(
            "POST", "/v1/collections/orders/documents",
            body={"_key": "k2"}, headers=self.h("alice"))
        self.assertIn(st, (200, 201, 202))
        st, _, _ = self.srv.request(
            "POST", "/v1/collections/orders/documents",
            body={"_key": "k3"}, headers=self.h("dave", SCOPES + " analysts"))
        self.assertEqual(st, 403)                         # read-only group
        # the /api/v1 twin of the same route is checked the same way
        st, _, _ = self.srv.request(
            "GET", "/api/v1/collections/orders/documents/k1",
            headers=self.h("bob"))
        self.assertEqual(st, 403)
        st, _, _ = self.srv.request(
            "GET", "/api/v1/collections/orders/documents/k1",
            headers=self.h("alice"))
        self.assertEqual(st, 200)

    def test_1b_every_data_route_is_checked(self):
        # resources come from the matched route, not from a list of paths:
        # the ArangoDB API, entities, NDJSON bulk and query-parameter
        # collections are checked like /v1/collections
        def st(method, path, user, scope=SCOPES, body=None, headers=None):
            h = self.h(user, scope)
            h.update(headers or {})
            return self.srv.request(method, path, body=body, headers=h)[0]
        self.assertEqual(st("GET", "/_api/document/orders/k1", "bob"), 403)
        self.assertEqual(st("GET", "/_api/document/orders/k1", "alice"), 200)
        self.assertEqual(st("GET", "/entities/orders:k1", "bob"), 403)
        self.assertEqual(st("GET", "/entities/orders:k1", "eve"), 403)
        nd = b'{"_collection": "orders", "_key": "n1"}\n'
        ndh = {"Content-Type": "application/x-ndjson"}
        self.assertEqual(st("POST", "/v2/documents", "dave",
                            SCOPES + " analysts", nd, ndh), 403)
        self.assertEqual(st("POST", "/v2/documents", "alice", body=nd,
                            headers=ndh), 200)
        # one line naming a collection alice may not write: all refused
        nd2 = nd + b'{"_collection": "payroll", "_key": "p1"}\n'
        self.assertEqual(st("POST", "/v2/documents", "alice", body=nd2,
                            headers=ndh), 403)
        self.assertEqual(st("POST", "/v2/documents?collection=orders",
                            "dave", SCOPES + " analysts",
                            b'{"_key": "n2"}\n', ndh), 403)
        # GraphQL and MCP reach any collection: the tenant's query right
        q = {"query": "{ __typename }"}
        self.assertEqual(st("POST", "/graphql", "alice", body=q), 403)
        self.assertEqual(st("POST", "/graphql", "root", body=q), 200)
        # dropping or reshaping a collection is Ranger "admin", not write
        self.assertEqual(st("DELETE", "/v1/collections/orders", "alice"),
                         403)
        self.assertEqual(st("PUT", "/v1/collections/orders/properties",
                            "alice", body={"waitForSync": True}), 403)

    def test_2_sql_matrix(self):
        rc, out, err = self.srv.psql("SELECT count(*) FROM orders", "alice",
                                     "pw")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.srv.psql("SELECT count(*) FROM orders", "bob",
                                     "pw")
        self.assertNotEqual(rc, 0)
        self.assertIn("42501", err)
        self.assertIn("Ranger", err)

    def mqtt(self, tool, user, *args):
        return subprocess.run(
            [tool, "-h", "127.0.0.1", "-p", str(self.srv.mqtt_port), "-u",
             user, "-P", "pw", "-V", "mqttv5", *args],
            capture_output=True, text=True, timeout=20)

    def test_3_mqtt_matrix(self):
        # bob's SUBSCRIBE is refused (deny item), alice's is granted
        r = self.mqtt("mosquitto_sub", "bob", "-t", "sensors/#", "-C", "1",
                      "-W", "2")
        self.assertIn("subscription requests were denied",
                      r.stdout + r.stderr)
        sub = subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p",
             str(self.srv.mqtt_port), "-u", "alice", "-P", "pw", "-V",
             "mqttv5", "-t", "sensors/#", "-C", "1", "-W", "10", "-v"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        # bob's PUBLISH is dropped (not authorized); alice's arrives
        self.mqtt("mosquitto_pub", "bob", "-t", "sensors/t1", "-m", "bob",
                  "-q", "1")
        r = self.mqtt("mosquitto_pub", "alice", "-t", "sensors/t1", "-m",
                      "alice", "-q", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        out, _ = sub.communicate(timeout=15)
        self.assertEqual(out.strip(), "sensors/t1 alice")

    def test_4_audit_lines(self):
        with open(self.audit) as f:
            lines = [json.loads(x) for x in f if x.strip()]
        denied = [e for e in lines if e["reqUser"] == "bob" and
                  e["result"] == 0]
        self.assertTrue(denied)
        e = denied[0]
        for k in ("repoType", "repo", "evtTime", "access", "resource",
                  "resType", "action", "agent", "policy", "enforcer",
                  "cliIP"):
            self.assertIn(k, e)
        self.assertEqual(e["repo"], "themis")
        agents = {x["agent"] for x in lines}
        self.assertTrue({"themisd-rest", "themisd-pg",
                         "themisd-mqtt"} <= agents, agents)

    def test_5_update_then_ranger_down_then_restart(self):
        self.assertEqual(self.get("bob"), 403)
        # the next poll says which version it holds (Ranger answers 304)
        self.assertTrue(wait_for(lambda: any(
            a.get("lastKnownVersion") == "1" for _, a in self.ranger.seen)))
        self.ranger.doc = policies(2, bob_reads=True)
        self.assertTrue(wait_for(lambda: self.get("bob") == 200))
        rc, _, err = self.srv.psql("SELECT count(*) FROM orders", "bob", "pw")
        self.assertEqual(rc, 0, err)
        # Ranger Admin goes away: the last known policies (version 2) hold
        self.ranger.stop()
        time.sleep(2.5)
        self.assertEqual(self.get("bob"), 200)
        self.assertEqual(self.get("carol", SCOPES + " analysts"), 403)
        self.assertIn("enforcing policy version 2", self.srv.read_log())
        # and after a restart, from <data_dir>/ranger-policies.json
        self.srv.stop()
        self.srv.start()
        self.assertEqual(self.get("bob"), 200)
        self.assertEqual(self.get("carol", SCOPES + " analysts"), 403)
        self.assertEqual(self.get("eve"), 403)


class RangerFileTest(unittest.TestCase):
    """auth.ranger.file without Ranger Admin: read at start, re-read when
    it changes; auth.ranger.unmatched=scopes leaves unmatched requests to
    the scopes; a malformed file keeps the policies in force."""

    def test_file_reload_and_unmatched_scopes(self):
        srv = Server(args=["--set", "auth.jwt_secret=" + SECRET,
                           "--set", "auth.ranger.unmatched=scopes",
                           "--set", "auth.ranger.poll_s=1"],
                     env={"THEMIS_AUTH_REQUIRED": "true"})
        path = os.path.join(srv.data_dir, "policies.json")
        with open(path, "w") as f:
            json.dump(policies(1), f)
        srv.args += ["--set", "auth.ranger.file=" + path]
        srv.start()
        try:
            root = {"Authorization": "Bearer " + token("root", "admin")}
            for name in ("orders", "misc"):
                st, _, _ = srv.json("POST", "/v1/collections",
                                    {"name": name}, root)
                self.assertIn(st, (200, 201))

            def get(user, coll):
                return srv.request("GET", "/v1/collections/%s/documents/x"
                                   % coll, headers={
                                       "Authorization": "Bearer " +
                                       token(user)})[0]
            self.assertEqual(get("bob", "orders"), 403)   # deny item
            self.assertEqual(get("bob", "misc"), 404)     # unmatched: scopes
            with open(path, "w") as f:
                json.dump(policies(2, bob_reads=True), f)
            self.assertTrue(wait_for(lambda: get("bob", "orders") == 404))
            with open(path, "w") as f:
                f.write('{"serviceName": "themis", "policies": [')
            time.sleep(2.5)
            self.assertEqual(get("bob", "orders"), 404)   # version 2 kept
            self.assertEqual(get("carol", "orders"), 404)  # unmatched user
            self.assertIn("not a JSON object", srv.read_log())
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
