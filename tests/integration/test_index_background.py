"""Persistent indexes built in the background (issue 22, "inBackground": true,
docs/indexes.md "Building in the background") against the real themisd:
202 with state "building" and progress that advances, writes served while
the build runs (each well under the time a build takes), documents written
during the build found through the index once it is ready, AQL EXPLAIN
naming it, the same results as a scan, a unique violation failing the build
with its reason, and a build interrupted by a restart resuming."""

import threading
import time
import unittest

from themis_harness import Server

N = 20000
# small chunks with a pause: the build takes long enough to watch
ARGS = ["--set", "engine.index_build_chunk=500",
        "--set", "engine.index_build_pause_ms=40"]


def wait_state(srv, coll, name, states, timeout=60):
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        st, _, ix = srv.json("GET", "/v1/collections/%s/indexes/%s"
                             % (coll, name))
        assert st == 200, ix
        seen.append(ix)
        if ix["state"] in states:
            return ix, seen
        time.sleep(0.05)
    raise AssertionError("index %s stayed %s" % (name, seen[-1]))


class BackgroundIndexTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=ARGS).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def aql(self, query, bind=None, **extra):
        body = dict(query=query, **extra)
        if bind is not None:
            body["bindVars"] = bind
        st, _, b = self.srv.json("POST", "/query/aql", body)
        self.assertEqual(st, 200, b)
        return b

    def load(self, coll, n=N):
        st, _, b = self.srv.json("POST", "/v1/collections", {"name": coll})
        self.assertIn(st, (200, 201), b)
        self.aql("FOR i IN 1..@n INSERT {_key: CONCAT('d', i), "
                 "cust: CONCAT('c', i % 1000), total: i} INTO " + coll,
                 {"n": n})

    def test_build_runs_beside_writes_and_serves_queries(self):
        self.load("orders")
        st, _, ix = self.srv.json(
            "POST", "/v1/collections/orders/indexes",
            {"type": "persistent", "fields": ["cust"], "name": "by_cust",
             "inBackground": True})
        self.assertEqual(st, 202, ix)
        self.assertEqual((ix["state"], ix["inBackground"]), ("building", True))
        self.assertEqual(ix["progress"]["total"], N)
        # writes while it builds: none waits for the whole build
        stop = threading.Event()
        lat, errors = [], []

        def writer():
            i = 0
            while not stop.is_set() and i < 2000:
                t0 = time.time()
                st, _, b = self.srv.json(
                    "PUT", "/v1/collections/orders/documents/w%d" % i,
                    {"cust": "c7", "total": -i})
                lat.append(time.time() - t0)
                if st not in (200, 201):
                    errors.append(b)
                i += 1
        t = threading.Thread(target=writer)
        t.start()
        try:
            ready, seen = wait_state(self.srv, "orders", "by_cust",
                                     ("ready", "failed"))
        finally:
            stop.set()
            t.join(30)
        self.assertEqual(ready["state"], "ready", ready)
        self.assertEqual(errors, [])
        percents = [s["progress"]["percent"] for s in seen
                    if s["state"] == "building"]
        self.assertTrue(any(0 < p < 100 for p in percents), percents)
        self.assertEqual(percents, sorted(percents))
        self.assertGreater(len(lat), 10)
        # 40 chunks with pauses took seconds; a write waited for one chunk
        self.assertLess(max(lat), 2.0, max(lat))
        # the index answers, with the documents written during the build
        q = "FOR o IN orders FILTER o.cust == @c RETURN o._key"
        b = self.aql(q, {"c": "c7"}, explain=True)
        loop = b["plan"]["loops"][0]
        self.assertEqual((loop.get("index"), loop["mode"]),
                         ("by_cust", "index_scan"), loop)
        self.assertIn("docbg:orders:by_cust", loop["sqlite_plan"])
        scan = self.aql("FOR o IN orders FILTER CONCAT(o.cust, '') == @c "
                        "RETURN o._key", {"c": "c7"})
        self.assertEqual(sorted(b["result"]), sorted(scan["result"]))
        self.assertEqual(len(b["result"]), N // 1000 + len(lat))
        self.assertLessEqual(b["extra"]["stats"]["rowsScanned"],
                             len(b["result"]))
        # IN and ranges too
        b = self.aql("FOR o IN orders FILTER o.cust IN ['c1', 'c2'] "
                     "RETURN 1")
        self.assertEqual(len(b["result"]), 2 * N // 1000)
        # kept in step after it is ready
        self.srv.json("PUT", "/v1/collections/orders/documents/d1",
                      {"cust": "moved"})
        b = self.aql(q, {"c": "moved"})
        self.assertEqual(b["result"], ["d1"])
        st, _, stats = self.srv.json("GET", "/v1/collections/orders/statistics")
        self.assertEqual(st, 200, stats)
        self.assertGreater([i for i in stats["indexes"]
                            if i["name"] == "by_cust"][0]["entries"], 0)

    def test_unique_violation_fails_the_build(self):
        self.load("dups", 3000)
        st, _, ix = self.srv.json(
            "POST", "/v1/collections/dups/indexes",
            {"type": "persistent", "fields": ["cust"], "unique": True,
             "name": "u_cust", "inBackground": True})
        self.assertEqual(st, 202, ix)
        failed, _ = wait_state(self.srv, "dups", "u_cust", ("ready", "failed"))
        self.assertEqual(failed["state"], "failed")
        self.assertIn("unique constraint violated", failed["error"])
        # writes are not constrained by it, and it can be dropped
        st, _, _ = self.srv.json("PUT", "/v1/collections/dups/documents/x",
                                 {"cust": "c1"})
        self.assertIn(st, (200, 201))
        st, _, _ = self.srv.json("DELETE", "/v1/collections/dups/indexes/u_cust")
        self.assertEqual(st, 200)

    def test_bad_flag_refused(self):
        st, _, _ = self.srv.json("POST", "/v1/collections", {"name": "badf"})
        st, _, b = self.srv.json(
            "POST", "/v1/collections/badf/indexes",
            {"type": "persistent", "fields": ["a"], "inBackground": "yes"})
        self.assertEqual(st, 400, b)


class RestartTest(unittest.TestCase):
    def test_build_resumes_after_restart(self):
        s = Server(args=["--set", "engine.index_build_chunk=200",
                         "--set", "engine.index_build_pause_ms=50"]).start()
        try:
            s.json("POST", "/v1/collections", {"name": "r"})
            s.json("POST", "/query/aql",
                   {"query": "FOR i IN 1..8000 INSERT {_key: CONCAT('k', i), "
                             "g: i % 10} INTO r"})
            st, _, ix = s.json("POST", "/v1/collections/r/indexes",
                               {"type": "persistent", "fields": ["g"],
                                "name": "by_g", "inBackground": True})
            self.assertEqual(st, 202, ix)
            deadline = time.time() + 20
            while time.time() < deadline:  # some chunks done, not all
                st, _, ix = s.json("GET", "/v1/collections/r/indexes/by_g")
                if ix["progress"]["documents"] > 0:
                    break
                time.sleep(0.02)
            self.assertEqual(ix["state"], "building", ix)
            self.assertEqual(s.stop(), 0)
            s.start()
            st, _, ix = s.json("GET", "/v1/collections/r/indexes/by_g")
            self.assertEqual(ix["state"], "building", ix)
            self.assertGreater(ix["progress"]["documents"], 0)
            ready, _ = wait_state(s, "r", "by_g", ("ready", "failed"))
            self.assertEqual(ready["state"], "ready", ready)
            st, _, b = s.json("POST", "/query/aql",
                              {"query": "FOR d IN r FILTER d.g == 3 RETURN 1"})
            self.assertEqual(len(b["result"]), 800)
            self.assertEqual(s.stop(), 0)
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
