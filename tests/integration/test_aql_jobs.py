"""AQL over HTTP (POST /query/aql, /v1/query cursors) and the async job
API in themisd's own shapes (/v1/jobs): submit, poll, page, cancel,
delete, idempotency, the concurrency limit, and jobs across restarts —
against the real themisd, driven by curl and http.client. ThemisDB's
shapes on /v2/jobs: test_themisdb_jobs_keys_audit.py."""

import json
import signal
import subprocess
import time
import unittest

from themis_harness import Server, ServerTest

# ~10^10 inner iterations: runs for hours unless cancelled
SLOW = ("FOR a IN 1..100000 FOR b IN 1..100000 "
        "FILTER a == b + 1000000 RETURN a")


def curl(*args):
    out = subprocess.run(["curl", "-sS", "--max-time", "20"] + list(args),
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


def wait_status(server, job_id, statuses, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st, _, rec = server.json("GET", "/v1/jobs/%s?wait=2s" % job_id)
        assert st == 200, (st, rec)
        if rec["status"] in statuses:
            return rec
    raise AssertionError("job %s never reached %s: %r" % (job_id, statuses, rec))


class AqlTest(ServerTest):
    server_args = ("--set", "query.timeout_ms=1500")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        s.json("POST", "/v1/collections", {"name": "people"})
        for i in range(1, 21):
            doc = {"_key": "p%02d" % i, "name": "person%d" % i, "age": 20 + i,
                   "team": ["red", "blue", "green"][i % 3]}
            st, _, _ = s.json("PUT", "/v1/collections/people/documents/p%02d" % i,
                              doc)
            assert st in (200, 201)

    def aql(self, query, bind=None, path="/query/aql", **extra):
        body = dict(query=query, **extra)
        if bind is not None:
            body["bindVars"] = bind
        return self.server.json("POST", path, body)

    def test_query_with_curl(self):
        out = json.loads(curl("-X", "POST", "-H", "Content-Type: application/json",
                              "--data", json.dumps({
                                  "query": "FOR p IN people FILTER p.age > @min "
                                           "SORT p.age DESC LIMIT 3 RETURN p.name",
                                  "bindVars": {"min": 30}}),
                              "http://127.0.0.1:%d/query/aql" % self.server.port))
        self.assertEqual(out["result"], ["person20", "person19", "person18"])
        self.assertEqual(out["count"], 3)
        self.assertFalse(out["hasMore"])

    def test_collect_and_join(self):
        st, _, b = self.aql("FOR p IN people COLLECT team = p.team AGGREGATE "
                            "n = COUNT(p), oldest = MAX(p.age) RETURN {team, n, oldest}")
        self.assertEqual(st, 200, b)
        self.assertEqual(b["result"], [
            {"team": "blue", "n": 7, "oldest": 39},
            {"team": "green", "n": 7, "oldest": 40},
            {"team": "red", "n": 6, "oldest": 38}])

    def test_errors(self):
        st, _, b = self.aql("FOR p IN people\nFILTER p.age >\nRETURN p")
        self.assertEqual(st, 400)
        self.assertEqual((b["line"], b["column"]), (3, 1))
        self.assertTrue(b["error"])
        st, _, b = self.aql("FOR x IN no_such_collection RETURN x")
        self.assertEqual(st, 404)
        self.assertIn("no_such_collection", b["message"])
        st, _, b = self.aql("RETURN NOPE(1)")
        self.assertEqual(st, 400)
        self.assertIn("NOPE", b["message"])
        st, _, b = self.aql("RETURN @missing")
        self.assertEqual(st, 400)
        st, _, _ = self.server.request("POST", "/query/aql", "not json")
        self.assertEqual(st, 400)
        st, _, b = self.aql(SLOW)
        self.assertEqual(st, 504)  # query.timeout_ms; jobs are for long ones
        self.assertIn("time limit", b["message"])

    def test_cursor_batches(self):
        st, _, b = self.aql("FOR p IN people SORT p._key RETURN p._key",
                            path="/v1/query", batchSize=8)
        self.assertEqual(st, 201)
        seen = list(b["result"])
        self.assertTrue(b["hasMore"])
        self.assertEqual(b["count"], 20)
        cid = b["id"]
        while b["hasMore"]:
            st, _, b = self.server.json("GET", "/v1/query/cursor/" + cid)
            self.assertEqual(st, 200)
            seen += b["result"]
        self.assertEqual(seen, ["p%02d" % i for i in range(1, 21)])
        st, _, _ = self.server.json("GET", "/v1/query/cursor/" + cid)
        self.assertEqual(st, 404)  # exhausted cursors are gone
        st, _, b = self.aql("FOR i IN 1..10 RETURN i", path="/v1/query",
                            batchSize=2)
        self.assertEqual(self.server.request(
            "DELETE", "/v1/query/cursor/" + b["id"])[0], 204)
        st, _, b = self.aql("RETURN 1", path="/v1/query", batchSize=0)
        self.assertEqual(st, 400)

    def test_writes_reach_the_change_log_and_rest(self):
        tip = self.tip()
        st, _, b = self.aql("FOR i IN 1..3 INSERT {_key: CONCAT('w', i), i} "
                            "INTO people RETURN NEW._rev")
        self.assertEqual(st, 200, b)
        self.assertEqual(len(b["result"]), 3)
        _, _, feed = self.server.json("GET", "/changefeed?from_seq=%d" % tip)
        keys = [e["key"] for e in feed["events"] if e["collection"] == "people"]
        self.assertEqual(keys, ["w1", "w2", "w3"])
        st, _, doc = self.server.json("GET", "/v1/collections/people/documents/w2")
        self.assertEqual((st, doc["i"]), (200, 2))
        st, _, b = self.aql("FOR p IN people FILTER p.i != null REMOVE p IN people "
                            "RETURN OLD._key")
        self.assertEqual(sorted(b["result"]), ["w1", "w2", "w3"])
        st, _, _ = self.server.json("GET", "/v1/collections/people/documents/w2")
        self.assertEqual(st, 404)


class JobsTest(ServerTest):
    server_args = ("--set", "jobs.max_running=1")

    def submit(self, query, **extra):
        st, h, b = self.server.json("POST", "/v1/jobs", dict(query=query, **extra))
        self.assertEqual(st, 202, b)
        self.assertEqual(h["location"], "/v1/jobs/" + b["job_id"])
        return b["job_id"]

    def cancel(self, job_id):
        t0 = time.time()
        st, _, b = self.server.json("DELETE", "/v1/jobs/" + job_id)
        return st, b, time.time() - t0

    def test_submit_poll_page_with_curl(self):
        port = self.server.port
        out = json.loads(curl("-X", "POST", "--data", json.dumps(
            {"query": "FOR i IN 1..2345 RETURN {i, sq: i * i}"}),
            "http://127.0.0.1:%d/v1/jobs" % port))
        self.assertEqual(out["status"] in ("pending", "running"), True, out)
        rec = wait_status(self.server, out["job_id"], ("completed",))
        self.assertEqual(rec["result_count"], 2345)
        self.assertEqual(rec["progress"]["rows_produced"], 2345)
        rows, token = [], ""
        while True:
            page = json.loads(curl("http://127.0.0.1:%d/v1/jobs/%s/result?page_size=1000%s"
                                   % (port, out["job_id"],
                                      "&page_token=" + token if token else "")))
            rows += page["result"]
            if page["next_page_token"] is None:
                break
            token = page["next_page_token"]
        self.assertEqual([r["i"] for r in rows], list(range(1, 2346)))
        self.assertTrue(page["complete"])

    def test_cancel_a_slow_query_within_a_second(self):
        job = self.submit(SLOW)
        wait_status(self.server, job, ("running",))
        time.sleep(0.3)
        st, b, took = self.cancel(job)
        self.assertEqual(st, 200, b)
        self.assertEqual(b["status"], "cancelled")
        self.assertLess(took, 1.0)
        st, _, _ = self.server.json("GET", "/v1/jobs/%s/result" % job)
        self.assertEqual(st, 409)
        # DELETE again: the finished record is removed
        self.assertEqual(self.server.request("DELETE", "/v1/jobs/" + job)[0], 204)
        self.assertEqual(self.server.request("GET", "/v1/jobs/" + job)[0], 404)
        self.assertEqual(self.server.request("DELETE", "/v1/jobs/" + job)[0], 404)

    def test_concurrency_limit_queues_fifo(self):
        slow = self.submit(SLOW)
        wait_status(self.server, slow, ("running",))
        quick = self.submit("RETURN 42")
        time.sleep(0.3)
        _, _, rec = self.server.json("GET", "/v1/jobs/" + quick)
        self.assertEqual(rec["status"], "pending")
        _, _, listed = self.server.json("GET", "/v1/jobs?status=pending")
        self.assertIn(quick, [j["job_id"] for j in listed["jobs"]])
        self.assertEqual(self.cancel(slow)[0], 200)
        wait_status(self.server, quick, ("completed",))
        _, _, page = self.server.json("GET", "/v1/jobs/%s/result" % quick)
        self.assertEqual(page["result"], [42])
        _, _, done = self.server.json("GET", "/v1/jobs?status=completed&limit=1000")
        self.assertIn(quick, [j["job_id"] for j in done["jobs"]])

    def test_idempotent_submit(self):
        a = self.submit("RETURN 1", idempotency_key="same-key")
        st, h, b = self.server.json("POST", "/v1/jobs",
                                    {"query": "RETURN 1", "idempotency_key": "same-key"})
        self.assertEqual((st, b["job_id"]), (202, a))
        st, _, _ = self.server.json("POST", "/v1/jobs",
                                    {"query": "RETURN 2", "idempotency_key": "same-key"})
        self.assertEqual(st, 422)

    def test_bad_requests(self):
        st, _, b = self.server.json("POST", "/v1/jobs", {"query": "FOR x IN"})
        self.assertEqual(st, 400)
        self.assertIn("line", b)
        self.assertEqual(self.server.request("GET", "/v1/jobs/job-unknown")[0], 404)
        self.assertEqual(self.server.request("GET", "/v1/jobs?limit=0")[0], 400)
        self.assertEqual(self.server.request("PUT", "/v1/jobs")[0], 405)

    def test_failed_job_reports_its_error(self):
        job = self.submit("FOR x IN no_such_coll RETURN x")
        rec = wait_status(self.server, job, ("failed",))
        self.assertEqual(rec["error_kind"], "collection_not_found")
        self.assertIn("no_such_coll", rec["error"])

    def test_job_writes_go_through_the_change_log(self):
        self.server.json("POST", "/v1/collections", {"name": "jobout"})
        tip = self.tip()
        job = self.submit("FOR i IN 1..5 INSERT {_key: CONCAT('k', i)} INTO jobout")
        rec = wait_status(self.server, job, ("completed",))
        self.assertEqual(rec["writes"], 5)
        _, _, feed = self.server.json("GET", "/changefeed?from_seq=%d" % tip)
        self.assertEqual(len([e for e in feed["events"]
                              if e["collection"] == "jobout"]), 5)


class JobsRestartTest(unittest.TestCase):
    def test_finished_survive_and_running_become_interrupted(self):
        s = Server().start()
        try:
            st, _, done = s.json("POST", "/v1/jobs", {"query": "FOR i IN 1..10 RETURN i"})
            done = wait_status(s, done["job_id"], ("completed",))
            _, _, slow = s.json("POST", "/v1/jobs", {"query": SLOW})
            wait_status(s, slow["job_id"], ("running",))
            t0 = time.time()
            self.assertEqual(s.stop(signal.SIGTERM), 0)  # the job does not hold it up
            self.assertLess(time.time() - t0, 10)
            s.start()
            _, _, page = s.json("GET", "/v1/jobs/%s/result" % done["job_id"])
            self.assertEqual(page["result"], list(range(1, 11)))
            _, _, rec = s.json("GET", "/v1/jobs/" + slow["job_id"])
            self.assertEqual((rec["status"], rec["error_kind"]),
                             ("failed", "interrupted"))
            # kill -9 mid-run: the record still says what happened
            _, _, slow2 = s.json("POST", "/v1/jobs", {"query": SLOW})
            wait_status(s, slow2["job_id"], ("running",))
            s.kill9()
            s.start()
            _, _, rec = s.json("GET", "/v1/jobs/" + slow2["job_id"])
            self.assertEqual((rec["status"], rec["error_kind"]),
                             ("failed", "interrupted"))
            self.assertEqual(s.stop(), 0)
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
