"""ThemisDB's own clients against themisd (issue 34): the requests they
send to /v2/jobs, /api/keys and /api/audit, replayed from ThemisDB's
handlers (async_job_api_handler, api_key_mgmt_handler, audit_api_handler),
checking the fields those clients read — and bad input. themisd's own
shapes stay on /v1/jobs, /api/v1/keys and /api/v1/audit."""

import csv
import io
import re
import time
import unittest

from tokens import ALL_SCOPES, bearer, make_jwt
from themis_harness import Server

SECRET = "themisdb compat secret, long enough"
SLOW = ("FOR a IN 1..100000 FOR b IN 1..100000 "
        "FILTER a == b + 1000000 RETURN a")
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def jwt(sub, tenant=None, scope=ALL_SCOPES):
    return make_jwt(SECRET, sub, tenant, scope, 600)


ROOT = jwt("root", scope="admin")
ALICE = jwt("alice", scope="jobs query")
BOB = jwt("bob", scope="jobs query")


class ThemisDBCompatTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET,
                               "--set", "jobs.max_running=1"],
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def call(self, method, path, tok, body=None, headers=None):
        h = dict(bearer(tok) if tok else {}, **(headers or {}))
        return self.srv.json(method, path, body, h)

    def wait_for(self, jid, statuses, tok=ALICE):
        deadline = time.time() + 20
        while time.time() < deadline:
            st, _, rec = self.call("GET", "/v2/jobs/" + jid, tok)
            self.assertEqual(st, 200, rec)
            if rec["status"] in statuses:
                return rec
            time.sleep(0.05)
        self.fail("job %s never reached %s" % (jid, statuses))

    # -- /v2/jobs --------------------------------------------------------

    def test_job_submit_poll_list(self):
        st, h, b = self.call("POST", "/v2/jobs", ALICE,
                             {"query": "FOR i IN 1..3 RETURN {i}"},
                             {"X-Correlation-ID": "client-42"})
        self.assertEqual(st, 202, b)
        self.assertEqual(b["status"], "pending")
        self.assertEqual(b["correlation_id"], "client-42")
        self.assertRegex(b["job_id"], r"^job-")
        jid = b["job_id"]
        rec = self.wait_for(jid, ("completed",))
        for f in ("job_id", "query", "status", "created_at", "updated_at"):
            self.assertIn(f, rec)
        self.assertRegex(rec["created_at"], ISO_Z)
        self.assertRegex(rec["updated_at"], ISO_Z)
        self.assertEqual(rec["query"], "FOR i IN 1..3 RETURN {i}")
        self.assertEqual(rec["result"]["entities"],
                         [{"i": 1}, {"i": 2}, {"i": 3}])
        self.assertEqual(rec["result"]["result"], rec["result"]["entities"])
        self.assertEqual(rec["result"]["count"], 3)
        self.assertNotIn("error", rec)
        # the list is a bare array of the caller's records
        st, _, lst = self.call("GET", "/v2/jobs", ALICE)
        self.assertEqual(st, 200)
        self.assertIsInstance(lst, list)
        self.assertIn(jid, [j["job_id"] for j in lst])
        self.assertTrue(all("status" in j for j in lst))
        # without a usable correlation id, one is made up
        st, _, b = self.call("POST", "/v2/jobs", ALICE, {"query": "RETURN 1"},
                             {"X-Correlation-ID": "bad id with spaces"})
        self.assertEqual(st, 202)
        self.assertTrue(b["correlation_id"])
        self.assertNotEqual(b["correlation_id"], "bad id with spaces")

    def test_job_failed_carries_error(self):
        _, _, b = self.call("POST", "/v2/jobs", ALICE,
                            {"query": "FOR x IN nowhere_coll RETURN x"})
        rec = self.wait_for(b["job_id"], ("failed",))
        self.assertIn("nowhere_coll", rec["error"])
        self.assertNotIn("result", rec)

    def test_job_cancel_and_terminal_409(self):
        _, _, slow = self.call("POST", "/v2/jobs", ALICE, {"query": SLOW})
        self.wait_for(slow["job_id"], ("running",))
        _, _, queued = self.call("POST", "/v2/jobs", ALICE,
                                 {"query": "RETURN 7"})
        # pending: cancelled at once
        st, _, b = self.call("DELETE", "/v2/jobs/" + queued["job_id"], ALICE)
        self.assertEqual(st, 200, b)
        self.assertEqual(b, {"job_id": queued["job_id"],
                             "message": "Cancellation requested",
                             "status": "cancelled"})
        # running: cancellation requested, the job ends cancelled
        st, _, b = self.call("DELETE", "/v2/jobs/" + slow["job_id"], ALICE)
        self.assertEqual(st, 200, b)
        self.assertEqual(b["message"], "Cancellation requested")
        self.assertIn(b["status"], ("cancelled", "running"))
        self.wait_for(slow["job_id"], ("cancelled",))
        # terminal: 409 with the state; the record is not deleted
        st, _, b = self.call("DELETE", "/v2/jobs/" + slow["job_id"], ALICE)
        self.assertEqual(st, 409, b)
        self.assertEqual(b["message"],
                         "Job already in terminal state: cancelled")
        self.assertEqual((b["status"], b["job_id"], b["error"]),
                         ("cancelled", slow["job_id"], True))
        st, _, _ = self.call("GET", "/v2/jobs/" + slow["job_id"], ALICE)
        self.assertEqual(st, 200)
        # themisd's own path still deletes a finished record
        st, _, _ = self.call("DELETE", "/v1/jobs/" + slow["job_id"], ALICE)
        self.assertEqual(st, 204)
        st, _, _ = self.call("GET", "/v2/jobs/" + slow["job_id"], ALICE)
        self.assertEqual(st, 404)

    def test_job_bad_input_and_other_owner(self):
        st, _, b = self.call("POST", "/v2/jobs", ALICE, {"query": "RETURN 5"})
        jid = b["job_id"]
        self.wait_for(jid, ("completed",))
        for method in ("GET", "DELETE"):
            st, _, b = self.call(method, "/v2/jobs/" + jid, BOB)
            self.assertEqual(st, 404, method)
            self.assertEqual(b["message"], "Job not found: " + jid)
        _, _, lst = self.call("GET", "/v2/jobs", BOB)
        self.assertNotIn(jid, [j["job_id"] for j in lst])
        self.assertEqual(self.call("GET", "/v2/jobs/job-nope", ALICE)[0], 404)
        st, _, b = self.call("POST", "/v2/jobs", ALICE, {})
        self.assertEqual(st, 400)
        self.assertTrue(b["error"])
        self.assertEqual(self.call("POST", "/v2/jobs", ALICE,
                                   {"query": "FOR x IN"})[0], 400)
        self.assertEqual(self.call("GET", "/v2/jobs", None)[0], 401)
        # themisd's shapes on /v1/jobs
        st, _, own = self.call("GET", "/v1/jobs", ALICE)
        self.assertEqual(st, 200)
        self.assertIn(jid, [j["job_id"] for j in own["jobs"]])

    # -- /api/keys -------------------------------------------------------

    def test_key_lifecycle(self):
        st, h, k = self.call("POST", "/api/keys", ROOT, {
            "name": "sdk-reader", "permissions": ["data:read", "query"],
            "expires_in_days": 30})
        self.assertEqual(st, 201, k)
        for f in ("id", "name", "permissions", "created_at", "expires_at",
                  "secret"):
            self.assertIn(f, k)
        self.assertEqual(k["permissions"], ["data:read", "query"])
        self.assertRegex(k["created_at"], ISO_Z)
        self.assertRegex(k["expires_at"], ISO_Z)
        self.assertTrue(k["secret"].startswith("thk_"))
        kid, secret = k["id"], k["secret"]
        # the secret works as a bearer token with those permissions
        self.assertEqual(self.srv.request("POST", "/query/aql",
                                          {"query": "RETURN 1"},
                                          bearer(secret))[0], 200)
        st, _, lst = self.call("GET", "/api/keys", ROOT)
        self.assertEqual(st, 200)
        self.assertEqual(lst["total"], len(lst["items"]))
        mine = [i for i in lst["items"] if i["id"] == kid]
        self.assertEqual(len(mine), 1)
        self.assertNotIn("secret", mine[0])
        self.assertNotIn(secret, str(lst))
        st, _, one = self.call("GET", "/api/keys/" + kid, ROOT)
        self.assertEqual((st, one["name"]), (200, "sdk-reader"))
        # PUT: rename, replace permissions; persisted and enforced
        st, _, up = self.call("PUT", "/api/keys/" + kid, ROOT,
                              {"name": "sdk-writer",
                               "permissions": ["data:write"]})
        self.assertEqual(st, 200, up)
        self.assertEqual((up["name"], up["permissions"]),
                         ("sdk-writer", ["data:write"]))
        self.assertEqual(self.srv.request("POST", "/query/aql",
                                          {"query": "RETURN 1"},
                                          bearer(secret))[0], 403)
        st, _, up = self.call("PUT", "/api/keys/" + kid, ROOT, {"name": ""})
        self.assertEqual((st, up["name"]), (200, "sdk-writer"))  # ignored
        st, _, own = self.call("GET", "/api/v1/keys/" + kid, ROOT)
        self.assertEqual(own["scopes"], ["data:write"])
        # DELETE: {"id","success":true}; then the key is gone
        st, _, d = self.call("DELETE", "/api/keys/" + kid, ROOT)
        self.assertEqual(st, 200)
        self.assertEqual((d["id"], d["success"]), (kid, True))
        self.assertEqual(self.srv.request("GET", "/v1/collections",
                                          headers=bearer(secret))[0], 401)
        self.assertEqual(self.call("GET", "/api/keys/" + kid, ROOT)[0], 404)
        _, _, lst = self.call("GET", "/api/keys", ROOT)
        self.assertNotIn(kid, [i["id"] for i in lst["items"]])
        # the audit log has the update
        _, _, a = self.call("GET", "/api/audit?action=key.update", ROOT)
        self.assertTrue(any(e["entityId"] == kid for e in a["entries"]), a)

    def test_key_bad_input(self):
        st, _, _ = self.call("PUT", "/api/keys/0123456789abcdef", ROOT,
                             {"name": "x"})
        self.assertEqual(st, 404)
        for body in ({"name": "x", "permissions": ["root"]},
                     {"name": "x", "permissions": "query"},
                     {"name": "x", "expires_in_days": "soon"},
                     {"name": 5}):
            self.assertEqual(self.call("POST", "/api/keys", ROOT, body)[0],
                             400, body)
        self.assertEqual(self.srv.request("POST", "/api/keys", "{nope",
                                          dict(bearer(ROOT)))[0], 400)
        # ThemisDB's admin:all is themisd's admin; no permissions is allowed
        st, _, k = self.call("POST", "/api/keys", ROOT,
                             {"name": "ops", "permissions": ["admin:all"]})
        self.assertEqual((st, k["permissions"]), (201, ["admin"]))
        st, _, k = self.call("POST", "/api/keys", ROOT, {"name": "none"})
        self.assertEqual((st, k["permissions"]), (201, []))
        self.assertNotIn("expires_at", k)
        # not an admin: 403
        self.assertEqual(self.call("GET", "/api/keys", ALICE)[0], 403)
        self.assertEqual(self.call("PUT", "/api/keys/" + k["id"], ALICE,
                                   {"name": "mine"})[0], 403)

    # -- /api/audit ------------------------------------------------------

    def test_audit_pages_and_filters(self):
        for i in range(3):
            self.call("POST", "/api/keys", ROOT,
                      {"name": "audit-%d" % i, "permissions": ["query"]})
        self.srv.request("GET", "/v1/collections",
                         headers=bearer(jwt("mallory", scope="query")))
        st, _, a = self.call("GET", "/api/audit?page=1&page_size=2", ROOT)
        self.assertEqual(st, 200, a)
        for f in ("entries", "totalCount", "page", "pageSize", "hasMore"):
            self.assertIn(f, a)
        self.assertEqual((a["page"], a["pageSize"], len(a["entries"])),
                         (1, 2, 2))
        self.assertTrue(a["hasMore"])
        e = a["entries"][0]
        for f in ("action", "entityId", "entityType", "errorMessage", "id",
                  "ipAddress", "newValue", "oldValue", "sessionId",
                  "success", "timestamp", "user"):
            self.assertIn(f, e)
        self.assertRegex(e["timestamp"], ISO_Z)
        ids = [x["id"] for x in a["entries"]]
        self.assertEqual(ids, sorted(ids, reverse=True))  # newest first
        _, _, p2 = self.call("GET", "/api/audit?page=2&page_size=2", ROOT)
        self.assertTrue(set(ids).isdisjoint(x["id"] for x in p2["entries"]))
        # filters: case-insensitive substrings, success, time range
        _, _, k = self.call("GET", "/api/audit?action=KEY.CREATE&"
                            "entity_type=KEY&success=yes", ROOT)
        self.assertGreaterEqual(k["totalCount"], 3)
        self.assertTrue(all(x["action"] == "key.create" and x["success"]
                            and x["entityType"] == "key"
                            for x in k["entries"]))
        _, _, d = self.call("GET", "/api/audit?user=MALLO", ROOT)
        self.assertTrue(d["entries"])
        self.assertTrue(all(not x["success"] and x["errorMessage"]
                            for x in d["entries"]))
        _, _, f = self.call("GET", "/api/audit?start=2999-01-01T00:00:00Z",
                            ROOT)
        self.assertEqual((f["totalCount"], f["entries"]), (0, []))
        now_ms = int(time.time() * 1000) + 60000
        _, _, f = self.call("GET", "/api/audit?start=0&end=%d" % now_ms, ROOT)
        self.assertGreater(f["totalCount"], 0)
        # out of range numbers are clamped as ThemisDB does; text is a 400
        _, _, c = self.call("GET", "/api/audit?page=0&page_size=5000", ROOT)
        self.assertEqual((c["page"], c["pageSize"]), (1, 1000))
        for q in ("page=abc", "page_size=ten", "start=yesterday",
                  "end=2025-13-01"):
            st, _, b = self.call("GET", "/api/audit?" + q, ROOT)
            self.assertEqual(st, 400, (q, b))
        self.assertEqual(self.call("GET", "/api/audit", ALICE)[0], 403)
        # themisd's own shape on /api/v1/audit
        _, _, own = self.call("GET", "/api/v1/audit?limit=2", ROOT)
        self.assertEqual(len(own["events"]), 2)

    def test_audit_csv_export(self):
        self.call("POST", "/api/keys", ROOT,
                  {"name": "=HYPERLINK(\"x\")", "permissions": ["query"]})
        self.srv.request("GET", "/v1/collections",
                         headers=bearer(jwt("-2+3", scope="query")))
        st, h, body = self.srv.request("GET", "/api/audit/export/csv",
                                       headers=bearer(ROOT))
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/csv"))
        self.assertIn("themis_audit_export.csv", h["content-disposition"])
        rows = list(csv.reader(io.StringIO(body.decode())))
        self.assertEqual(rows[0], [
            "Id", "Timestamp", "User", "Action", "EntityType", "EntityId",
            "OldValue", "NewValue", "Success", "IpAddress", "SessionId",
            "ErrorMessage"])
        self.assertTrue(all(len(r) == 12 for r in rows))
        self.assertRegex(rows[1][1], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        self.assertIn(rows[1][8], ("true", "false"))
        # formula guard: no cell starts a spreadsheet formula
        for r in rows[1:]:
            for cell in r:
                self.assertFalse(cell[:1] in ("=", "+", "-", "@"), r)
        self.assertIn("'-2+3", [r[2] for r in rows])
        # filters apply; the old CSV route still answers
        st, _, body = self.srv.request(
            "GET", "/api/audit/export/csv?action=key.create",
            headers=bearer(ROOT))
        rows = list(csv.reader(io.StringIO(body.decode())))
        self.assertTrue(all(r[3] == "key.create" for r in rows[1:]))
        st, _, body = self.srv.request("GET", "/api/audit?format=csv",
                                       headers=bearer(ROOT))
        self.assertTrue(body.decode().startswith("seq,"))


class KeyUpdateSurvivesRestartTest(unittest.TestCase):
    def test_put_is_durable(self):
        s = Server(args=["--set", "auth.jwt_secret=" + SECRET],
                   env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        try:
            h = bearer(ROOT)
            st, _, k = s.json("POST", "/api/keys",
                              {"name": "before", "permissions": ["query"]}, h)
            self.assertEqual(st, 201, k)
            st, _, _ = s.json("PUT", "/api/keys/" + k["id"],
                              {"name": "after",
                               "permissions": ["data:read", "jobs"]}, h)
            self.assertEqual(st, 200)
            self.assertEqual(s.stop(), 0)
            s.start()
            st, _, got = s.json("GET", "/api/keys/" + k["id"], None, h)
            self.assertEqual((st, got["name"], got["permissions"]),
                             (200, "after", ["data:read", "jobs"]))
            # the secret carries the new scopes after the restart
            self.assertEqual(s.request("GET", "/v2/jobs",
                                       headers=bearer(k["secret"]))[0], 200)
            self.assertEqual(s.request("POST", "/query/aql",
                                       {"query": "RETURN 1"},
                                       bearer(k["secret"]))[0], 403)
            self.assertEqual(s.stop(), 0)
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
