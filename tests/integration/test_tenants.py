"""Multi-tenancy, API keys and the audit log (issue 9), adversarially: two
tenants, acme and beta, with JWTs signed here (Python's hmac, an
independent implementation) and API keys minted over /api/keys, try to
reach each other's documents, entities, AQL results, changefeed events,
jobs, MQTT topics (mosquitto clients) and SQL tables (psql) — by plain
names, stored names ("beta.orders"), X-Tenant-ID, topic prefixes and
SET ROLE. Every attempt must fail; each tenant's own data must work."""

import json
import os
import subprocess
import time
import unittest

import websocket  # python3-websocket

import test_pgwire_protocol as pgraw  # its byte-level client, not its tests
from tokens import ALL_SCOPES, bearer, make_jwt, rss_kb  # noqa: F401
from themis_harness import Server

SECRET = "tenant test secret, long enough!"


def jwt(sub, tenant=None, scope=ALL_SCOPES, exp_in=600):
    return make_jwt(SECRET, sub, tenant, scope, exp_in)


ROOT = jwt("root", scope="admin")
ACME = jwt("alice", "acme")
BETA = jwt("bob", "beta")


class TenantTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=[
            "--set", "auth.jwt_secret=" + SECRET,
            "--set", "auth.tenant_quotas=quick requests_per_s=2 "
                     "connections=1 jobs=1, small documents=2",
            "--set", "mqtt.users=meter:meterpw",
            "--set", "auth.principals=meter tenant=acme scope=data:write "
                     "scope=data:read",
        ], env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        for tok in (ACME, BETA):
            st, _, _ = cls.srv.json("POST", "/v1/collections",
                                    {"name": "orders"}, bearer(tok))
            assert st in (200, 201), st

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def call(self, method, path, tok, body=None, headers=None):
        h = dict(bearer(tok) if tok else {}, **(headers or {}))
        return self.srv.json(method, path, body, h)

    # -- documents, entities, NDJSON, AQL ----------------------------------

    def test_documents_are_per_tenant(self):
        st, _, _ = self.call("PUT", "/v1/collections/orders/documents/o1",
                             ACME, {"owner": "acme"})
        self.assertIn(st, (200, 201))
        st, _, _ = self.call("PUT", "/v1/collections/orders/documents/o1",
                             BETA, {"owner": "beta"})
        self.assertIn(st, (200, 201))  # the same name, another namespace
        _, _, d = self.call("GET", "/v1/collections/orders/documents/o1", ACME)
        self.assertEqual(d["owner"], "acme")
        _, _, d = self.call("GET", "/v1/collections/orders/documents/o1", BETA)
        self.assertEqual(d["owner"], "beta")
        # the stored name of the other tenant's collection is not a name
        for path in ("/v1/collections/beta.orders/documents/o1",
                     "/v1/collections/beta%2Eorders/documents/o1"):
            st, _, b = self.call("GET", path, ACME)
            self.assertIn(st, (400, 404), path)
            self.assertNotIn("beta", json.dumps(b or {}).replace(
                "beta.orders", "").replace("beta%2Eorders", ""))
        # collection lists show local names only
        _, _, b = self.call("GET", "/v1/collections", ACME)
        names = json.dumps(b)
        self.assertIn("orders", names)
        self.assertNotIn("beta", names)
        self.assertNotIn("acme.", names)

    def test_entities_and_ndjson_stay_inside(self):
        st, _, _ = self.call("PUT", "/entities/orders:e1", BETA,
                             {"blob": json.dumps({"secret": "beta-only"})})
        self.assertIn(st, (200, 201))
        st, _, _ = self.call("GET", "/entities/orders:e1", ACME)
        self.assertEqual(st, 404)
        st, _, _ = self.call("GET", "/entities/beta.orders:e1", ACME)
        self.assertIn(st, (400, 404))
        lines = "\n".join(json.dumps({"_key": "n%d" % i, "v": i})
                          for i in range(3)) + "\n"
        st, _, _ = self.srv.request(
            "POST", "/v2/documents?collection=orders", lines,
            dict(bearer(ACME), **{"Content-Type": "application/x-ndjson"}))
        self.assertIn(st, (200, 201))
        st, _, _ = self.call("GET", "/v1/collections/orders/documents/n1",
                             BETA)
        self.assertEqual(st, 404)

    def test_aql_sees_only_its_tenant(self):
        self.call("PUT", "/v1/collections/orders/documents/q1", ACME,
                  {"who": "acme"})
        self.call("PUT", "/v1/collections/orders/documents/q1", BETA,
                  {"who": "beta"})
        st, _, b = self.call("POST", "/query/aql", BETA, {
            "query": "FOR d IN orders FILTER d._key == 'q1' RETURN d.who"})
        self.assertEqual((st, b["result"]), (200, ["beta"]))
        st, _, b = self.call("POST", "/query/aql", BETA, {
            "query": "FOR d IN `acme.orders` RETURN d"})
        self.assertIn(st, (400, 404))
        self.assertNotIn("acme", json.dumps(b["result"]) if "result" in b
                         else "")
        # writes through AQL land in the tenant's own collection
        st, _, _ = self.call("POST", "/query/aql", ACME, {
            "query": "INSERT {_key: 'aql1', who: 'acme'} INTO orders"})
        self.assertEqual(st, 200)
        st, _, _ = self.call("GET", "/v1/collections/orders/documents/aql1",
                             BETA)
        self.assertEqual(st, 404)

    def test_x_tenant_id(self):
        # a tenant's principal cannot choose another tenant
        st, _, _ = self.call("GET", "/v1/collections/orders/documents/o1",
                             ACME, headers={"X-Tenant-ID": "beta"})
        self.assertEqual(st, 403)
        st, _, _ = self.call("GET", "/v1/collections", ROOT,
                             headers={"X-Tenant-ID": "Bad.Tenant"})
        self.assertEqual(st, 400)
        # a global admin may act for a tenant
        self.call("PUT", "/v1/collections/orders/documents/x1", ACME,
                  {"owner": "acme"})
        st, _, d = self.call("GET", "/v1/collections/orders/documents/x1",
                             ROOT, headers={"X-Tenant-ID": "acme"})
        self.assertEqual((st, d["owner"]), (200, "acme"))

    # -- changefeed, jobs ----------------------------------------------------

    def test_changefeed_events_are_per_tenant(self):
        _, _, b = self.call("GET", "/changefeed?from_seq=now", ROOT)
        tip = b["latest_sequence"]
        self.call("PUT", "/v1/collections/orders/documents/cf-a", ACME, {})
        self.call("PUT", "/v1/collections/orders/documents/cf-b", BETA, {})
        _, _, fa = self.call("GET", "/changefeed?from_seq=%d" % tip, ACME)
        _, _, fb = self.call("GET", "/changefeed?from_seq=%d" % tip, BETA)
        ka = {e["key"] for e in fa["events"]}
        kb = {e["key"] for e in fb["events"]}
        self.assertIn("cf-a", ka)
        self.assertNotIn("cf-b", ka)
        self.assertIn("cf-b", kb)
        self.assertNotIn("cf-a", kb)
        for e in fa["events"]:
            self.assertEqual(e["collection"], "orders")
        # the global admin sees both, under stored names
        _, _, fr = self.call("GET", "/changefeed?from_seq=%d" % tip, ROOT)
        colls = {e["collection"] for e in fr["events"]}
        self.assertTrue({"acme.orders", "beta.orders"} <= colls, colls)

    def test_websocket_and_sse_feeds_are_per_tenant(self):
        _, _, b = self.call("GET", "/changefeed?from_seq=now", ROOT)
        tip = b["latest_sequence"]
        url = "ws://127.0.0.1:%d/v2/changes?from_sequence=%d" % (
            self.srv.port, tip)
        # no token: the upgrade is refused with 401 (auth.required)
        with self.assertRaises(websocket.WebSocketBadStatusException) as e:
            websocket.create_connection(url, timeout=5)
        self.assertEqual(e.exception.status_code, 401)
        ws = websocket.create_connection(url, timeout=5,
                                         header=["Authorization: Bearer " +
                                                 ACME])
        self.assertEqual(json.loads(ws.recv())["type"], "subscribed")
        # subscribing to another tenant's stored name finds nothing
        ws.send(json.dumps({"action": "subscribe",
                            "collection": "beta.orders",
                            "from_sequence": tip}))
        reply = json.loads(ws.recv())
        self.call("PUT", "/v1/collections/orders/documents/ws-b", BETA,
                  {"secret": "beta"})
        self.call("PUT", "/v1/collections/orders/documents/ws-a", ACME, {})
        got = [reply]
        ws.settimeout(3)
        try:
            while not any(g.get("key") == "ws-a" for g in got):
                got.append(json.loads(ws.recv()))
        finally:
            ws.close()
        text = json.dumps(got)
        self.assertIn("ws-a", text)
        self.assertNotIn("ws-b", text)
        self.assertNotIn("beta", text.replace('"beta.orders"', ""))
        # SSE, read by curl for a bounded time
        r = subprocess.run(
            ["curl", "-sN", "--max-time", "2", "-H",
             "Authorization: Bearer " + BETA,
             "http://127.0.0.1:%d/changefeed/stream?from_seq=%d" % (
                 self.srv.port, tip)], capture_output=True, text=True,
            timeout=20)
        self.assertIn("ws-b", r.stdout)
        self.assertNotIn("ws-a", r.stdout)

    def test_jobs_are_visible_to_their_owner_only(self):
        st, _, j = self.call("POST", "/v2/jobs", ACME,
                             {"query": "FOR d IN orders RETURN d._key"})
        self.assertEqual(st, 202)
        jid = j["job_id"]
        for method, path in (("GET", "/v2/jobs/" + jid),
                             ("GET", "/v2/jobs/%s/result" % jid),
                             ("DELETE", "/v2/jobs/" + jid)):
            st, _, _ = self.call(method, path, BETA)
            self.assertEqual(st, 404, path)
        _, _, lst = self.call("GET", "/v2/jobs", BETA)
        self.assertNotIn(jid, json.dumps(lst))
        _, _, lst = self.call("GET", "/v2/jobs", ACME)
        self.assertIn(jid, json.dumps(lst))
        deadline = time.time() + 10
        while time.time() < deadline:
            _, _, rec = self.call("GET", "/v2/jobs/%s?wait=1s" % jid, ACME)
            if rec["status"] == "completed":
                break
        _, _, page = self.call("GET", "/v2/jobs/%s/result" % jid, ACME)
        self.assertTrue(all(not k.startswith("beta") for k in page["result"]))

    # -- quotas --------------------------------------------------------------

    def test_request_quota_answers_429_with_tenant(self):
        tok = jwt("q", "quick")
        codes = []
        for _ in range(8):
            st, h, b = self.call("GET", "/v1/collections", tok)
            codes.append(st)
            if st == 429:
                self.assertEqual(b["tenant_id"], "quick")
                self.assertEqual(b["quota"], "requests_per_s")
                self.assertIn("retry-after", h)
        self.assertIn(429, codes)
        self.assertEqual(codes[0], 200)
        # another tenant is not slowed down by it
        self.assertEqual(self.call("GET", "/v1/collections", ACME)[0], 200)

    # -- API keys and the audit log ------------------------------------------

    def test_api_key_lifecycle(self):
        st, h, k = self.call("POST", "/api/keys", ROOT, {
            "name": "ingest", "tenant": "beta", "scopes": ["data:read"],
            "expires_in_s": 3600})
        self.assertEqual(st, 201)
        self.assertTrue(k["token"].startswith("thk_"))
        self.assertEqual(h["cache-control"], "no-store")
        kid, secret = k["id"], k["token"]
        self.call("PUT", "/v1/collections/orders/documents/o1", BETA,
                  {"owner": "beta"})
        # works as a bearer token and as X-API-Key, inside beta
        st, _, d = self.call("GET", "/v1/collections/orders/documents/o1",
                             secret)
        self.assertEqual((st, d["owner"]), (200, "beta"))
        st, _, _ = self.srv.json("GET", "/v1/collections/orders/documents/o1",
                                 headers={"X-API-Key": secret})
        self.assertEqual(st, 200)
        # its scopes hold: no writes
        st, _, _ = self.call("PUT", "/v1/collections/orders/documents/k",
                             secret, {})
        self.assertEqual(st, 403)
        # listing never shows the secret or its digest
        _, _, lst = self.call("GET", "/api/keys", ROOT)
        text = json.dumps(lst)
        self.assertIn(kid, text)
        self.assertNotIn(secret, text)
        self.assertNotIn(secret.split("_")[-1], text)
        # the stored form is a digest: the secret is nowhere on disk
        for root, _, files in os.walk(self.srv.data_dir):
            for f in files:
                with open(os.path.join(root, f), "rb") as fh:
                    self.assertNotIn(secret.split("_")[-1].encode(), fh.read(),
                                     f)
        # tenants' admins see their own keys only; others get 403
        self.assertEqual(self.call("GET", "/api/keys", ACME)[0], 403)
        acme_admin = jwt("boss", "acme", scope="admin")
        _, _, lst = self.call("GET", "/api/keys", acme_admin)
        self.assertNotIn(kid, json.dumps(lst))
        self.assertEqual(self.call("GET", "/api/keys/" + kid, acme_admin)[0],
                         404)
        st, _, _ = self.call("POST", "/api/keys", acme_admin, {
            "tenant": "beta", "scopes": ["admin"]})
        self.assertEqual(st, 403)
        # bad requests
        for body in ({"scopes": []}, {"scopes": ["root"]},
                     {"scopes": ["query"], "expires_in_s": -1},
                     {"scopes": ["query"], "tenant": "Not.Valid"}):
            self.assertEqual(self.call("POST", "/api/keys", ROOT, body)[0],
                             400, body)
        # revoked: 401 at once; on ThemisDB's path the key is gone (404),
        # on themisd's own a second revoke is a conflict
        self.assertEqual(self.call("DELETE", "/api/keys/" + kid, ROOT)[0], 200)
        st, h, _ = self.call("GET", "/v1/collections", secret)
        self.assertEqual(st, 401)
        self.assertIn('error="invalid_token"', h["www-authenticate"])
        self.assertEqual(self.call("DELETE", "/api/keys/" + kid, ROOT)[0], 404)
        self.assertEqual(self.call("DELETE", "/api/v1/keys/" + kid, ROOT)[0],
                         409)
        # a forged key of the right shape is refused
        forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA")
                                else "BBBB")
        self.assertEqual(self.call("GET", "/v1/collections", forged)[0], 401)

    def test_audit_log_records_failures_and_admin_actions(self):
        self.srv.request("GET", "/v1/collections",
                         headers=bearer(jwt("mallory", "acme", exp_in=-999)),
                         )
        self.call("GET", "/v1/collections/orders/documents/o1", ACME,
                  headers={"X-Tenant-ID": "beta"})
        st, _, k = self.call("POST", "/api/keys", ROOT, {
            "name": "audited", "scopes": ["query"]})
        self.assertEqual(st, 201)
        _, _, a = self.call("GET", "/api/audit", ROOT)
        a["events"] = a["entries"]  # ThemisDB's page; themisd's fields kept
        actions = [e["action"] for e in a["events"]]
        for want in ("auth.failure", "auth.denied", "key.create",
                     "collection.create"):
            self.assertIn(want, actions)
        for e in a["events"]:
            self.assertTrue(e["request_id"], e)
        created = [e for e in a["events"] if e["action"] == "key.create"]
        self.assertIn(k["id"], created[0]["detail"])  # newest first
        self.assertNotIn(k["token"], json.dumps(a))
        # CSV export with a header row
        st, h, body = self.srv.request("GET", "/api/audit?format=csv",
                                       headers=bearer(ROOT))
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/csv"))
        rows = body.decode().splitlines()
        self.assertTrue(rows[0].startswith("seq,"))
        self.assertGreaterEqual(len(rows), len(a["events"]) + 1)
        # tenants' admins read their own tenant's events; others 403
        self.assertEqual(self.call("GET", "/api/audit", ACME)[0], 403)
        _, _, ta = self.call("GET", "/api/audit",
                             jwt("boss", "beta", scope="admin"))
        self.assertTrue(all(e["tenant"] == "beta" for e in ta["entries"]))
        _, _, own = self.call("GET", "/api/v1/audit",
                              jwt("boss", "beta", scope="admin"))
        self.assertTrue(all(e["tenant"] == "beta" for e in own["events"]))

    # -- MQTT ----------------------------------------------------------------

    def mqtt_sub(self, topic, user, password, count, wait_s=4, extra=()):
        cmd = ["mosquitto_sub", "-p", str(self.srv.mqtt_port), "-t", topic,
               "-v", "-C", str(count), "-W", str(wait_s), "-u", user,
               "-P", password, "-i", "sub-%s-%d" % (user[:6], time.time_ns()
                                                     % 100000)] + list(extra)
        return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def mqtt_pub(self, topic, msg, user, password, extra=()):
        return subprocess.run(
            ["mosquitto_pub", "-p", str(self.srv.mqtt_port), "-t", topic,
             "-m", msg, "-u", user, "-P", password, "-q", "1"] + list(extra),
            capture_output=True, text=True, timeout=10)

    def test_mqtt_topics_are_per_tenant(self):
        acme_sub = self.mqtt_sub("#", "alice", ACME, 2)
        beta_sub = self.mqtt_sub("#", "bob", BETA, 1, extra=["-V", "5"])
        time.sleep(0.5)  # mosquitto_sub has no "subscribed" signal
        self.assertEqual(self.mqtt_pub("plant/t1", "beta-reading", "bob",
                                       BETA).returncode, 0)
        # a tenant cannot publish into another's tree by spelling it
        self.mqtt_pub("$tenants/acme/plant/t1", "forged", "bob", BETA)
        self.assertEqual(self.mqtt_pub("plant/t1", "acme-reading", "alice",
                                       ACME).returncode, 0)
        # a password user bound to acme by auth.principals
        self.assertEqual(self.mqtt_pub("plant/t2", "meter-reading", "meter",
                                       "meterpw").returncode, 0)
        a_out, _ = acme_sub.communicate(timeout=10)
        b_out, _ = beta_sub.communicate(timeout=10)
        self.assertIn("plant/t1 acme-reading", a_out)
        self.assertIn("plant/t2 meter-reading", a_out)
        self.assertNotIn("beta-reading", a_out)
        self.assertNotIn("forged", a_out)
        self.assertNotIn("$tenants", a_out)
        self.assertIn("plant/t1 beta-reading", b_out)
        self.assertNotIn("acme", b_out)

    def test_mqtt_credentials_and_scopes(self):
        # wrong password, bad token, no credentials: refused at CONNECT
        for user, pw in (("meter", "wrong"), ("alice", ACME[:-3] + "abc")):
            r = self.mqtt_pub("x", "y", user, pw)
            self.assertNotEqual(r.returncode, 0, (user, r.stderr))
        r = subprocess.run(["mosquitto_pub", "-p", str(self.srv.mqtt_port),
                            "-t", "x", "-m", "y"], capture_output=True,
                           text=True, timeout=10)
        self.assertNotEqual(r.returncode, 0)
        # a read-only token cannot publish (MQTT 5: PUBACK 0x87)
        reader = jwt("ro", "acme", scope="data:read")
        r = self.mqtt_pub("plant/ro", "nope", "ro", reader, extra=["-V", "5"])
        self.assertIn("Not authorized", r.stderr)
        # a write-only token cannot subscribe
        writer = jwt("wo", "acme", scope="data:write")
        sub = self.mqtt_sub("plant/#", "wo", writer, 1, wait_s=2,
                            extra=["-V", "5"])
        out, err = sub.communicate(timeout=10)
        self.assertIn("All subscription requests were denied", out + err)
        # the tenant's connection quota (quick: 1 connection) answers 0x97
        quick = jwt("q2", "quick")
        first = self.mqtt_sub("a", "q2", quick, 1, wait_s=4)
        time.sleep(0.5)
        r = self.mqtt_pub("a", "second", "q2", quick, extra=["-V", "5"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("quota", (r.stderr + r.stdout).lower())
        first.kill()
        first.communicate()

    # -- PostgreSQL ------------------------------------------------------------

    def psql(self, sql, password, user="app"):
        env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="10")
        return subprocess.run(
            ["psql", "host=127.0.0.1 port=%d user=%s dbname=themis" %
             (self.srv.pg_port, user), "-X", "-q", "-A", "-t",
             "-v", "VERBOSITY=sqlstate", "-c", sql],
            capture_output=True, text=True, timeout=30, env=env)

    def test_sql_tables_are_per_tenant(self):
        r = self.psql("CREATE TABLE ledger (id int PRIMARY KEY, note text);"
                      "INSERT INTO ledger VALUES (1, 'acme-secret');", ACME)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.psql("CREATE TABLE ledger (id int PRIMARY KEY, note text);"
                      "INSERT INTO ledger VALUES (1, 'beta-own');", BETA)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.psql("SELECT note FROM ledger", BETA)
        self.assertEqual(r.stdout.strip(), "beta-own")
        # the other tenant's stored name, schemas and catalogs show nothing
        for sql in ('SELECT * FROM "acme.ledger"', "SELECT * FROM acme.ledger",
                    "DROP TABLE \"acme.ledger\"",
                    "CREATE TABLE \"acme.ledger2\" (id int)"):
            r = self.psql(sql, BETA)
            self.assertNotEqual(r.returncode, 0, sql)
            self.assertNotIn("acme-secret", r.stdout)
        r = self.psql("SELECT table_name FROM information_schema.tables", BETA)
        self.assertNotIn("acme", r.stdout)
        self.assertIn("ledger", r.stdout)
        r = self.psql("SELECT relname FROM pg_class", BETA)
        self.assertNotIn("acme", r.stdout)
        # SET ROLE / SESSION AUTHORIZATION are no way out
        for sql in ("SET ROLE acme", "SET SESSION AUTHORIZATION alice"):
            r = self.psql(sql, BETA)
            self.assertIn("42501", r.stderr, sql)
        # REST collections of the tenant are its tables too
        r = self.psql("SELECT doc->>'owner' FROM orders WHERE _key = 'o1'",
                      ACME)
        self.call("PUT", "/v1/collections/orders/documents/o1", ACME,
                  {"owner": "acme"})
        r = self.psql("SELECT doc->>'owner' FROM orders WHERE _key = 'o1'",
                      ACME)
        self.assertEqual(r.stdout.strip(), "acme", r.stderr)
        # SQL rows are the tenant's documents over REST, and only its
        st, _, d = self.call("GET", "/v1/collections/ledger/documents/1", ACME)
        self.assertEqual((st, d.get("note")), (200, "acme-secret"))
        st, _, d = self.call("GET", "/v1/collections/ledger/documents/1", BETA)
        self.assertEqual(d.get("note"), "beta-own")

    def test_sql_credentials_and_scopes(self):
        # (28P01's text: psql shows no SQLSTATE for a failed connection)
        r = self.psql("SELECT 1", ACME[:-2] + "xx")
        self.assertIn('password authentication failed for user "app"',
                      r.stderr)
        r = self.psql("SELECT 1", "themis-wrong", user="themis")
        self.assertIn('password authentication failed for user "themis"',
                      r.stderr)
        reader = jwt("ro", "acme", scope="data:read")
        r = self.psql("SELECT count(*) FROM orders", reader)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.psql("INSERT INTO orders (_key, doc) VALUES ('r', '{}')",
                      reader)
        self.assertIn("42501", r.stderr)
        # an API key works as the password too
        _, _, k = self.call("POST", "/api/keys", ROOT, {
            "tenant": "acme", "scopes": ["data:read"]})
        r = self.psql("SELECT count(*) FROM orders", k["token"])
        self.assertEqual(r.returncode, 0, r.stderr)
        # the audit log names the failed logins
        _, _, a = self.call("GET", "/api/audit?action=auth.failure", ROOT)
        self.assertTrue(any(e["protocol"] == "postgres"
                            for e in a["entries"]))

    def test_documents_quota_over_rest_and_sql(self):
        small = jwt("s", "small")
        self.call("POST", "/v1/collections", small, {"name": "d"})
        for i in range(2):
            st, _, _ = self.call("PUT", "/v1/collections/d/documents/k%d" % i,
                                 small, {})
            self.assertEqual(st, 201)
        st, _, b = self.call("PUT", "/v1/collections/d/documents/k9", small,
                             {})
        self.assertEqual((st, b["quota"], b["tenant_id"]),
                         (429, "documents", "small"))
        r = self.psql("INSERT INTO d (_key, doc) VALUES ('k8', '{}')", small)
        self.assertIn("53400", r.stderr)
        r = self.psql("SELECT count(*) FROM d", small)  # reads still work
        self.assertEqual(r.stdout.strip(), "2", r.stderr)

    def test_sql_connection_quota(self):
        quick = jwt("q3", "quick")
        env = dict(os.environ, PGPASSWORD=quick)
        # psql reading its script from a pipe holds the session open
        hold = subprocess.Popen(
            ["psql", "host=127.0.0.1 port=%d user=q3 dbname=themis" %
             self.srv.pg_port, "-X", "-q"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            text=True)
        try:
            time.sleep(0.8)
            r = self.psql("SELECT 1", quick, user="q3")
            # (psql shows no SQLSTATE for a failed connection)
            self.assertIn('too many connections for tenant "quick"', r.stderr)
            self.assertEqual(self.pg_login(quick, "q3"), "53400")
        finally:
            hold.kill()
            hold.communicate()
        # the slot is released when the session ends (bounded wait: the
        # server notices the closed socket within its poll interval)
        deadline = time.time() + 5
        while self.pg_login(quick, "q3") != "ok":
            self.assertLess(time.time(), deadline, "quota slot not released")
            time.sleep(0.2)

    def pg_login(self, password, user="app"):
        """A raw login with a cleartext password: "ok" or the SQLSTATE."""
        c = pgraw.Conn(self.srv.pg_port)
        c.send(pgraw.startup(user=user))
        t, p = c.read_msg()
        self.assertEqual((t, p[:4]), (b"R", b"\0\0\0\x03"))  # cleartext
        c.send(pgraw.msg(b"p", password.encode() + b"\0"))
        seen, _ = c.until(b"Z")
        for t, p in seen:
            if t == b"E":
                return pgraw.sqlstate(p)
        return "ok"

    def test_sql_login_codes(self):
        self.assertEqual(self.pg_login(ACME), "ok")
        self.assertEqual(self.pg_login(ACME[:-2] + "xx"), "28P01")
        self.assertEqual(self.pg_login(jwt("old", "acme", exp_in=-999)),
                         "28P01")
        self.assertEqual(self.pg_login("not a token at all"), "28P01")


if __name__ == "__main__":
    unittest.main()
