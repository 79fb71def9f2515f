"""Long-poll changefeed (GET /changefeed) against the real themisd:
ordering, exclusive resume, filters, waiting, retention (410) and a
gap-free resume loop under concurrent writes."""

import http.client
import json
import signal
import threading
import time
import unittest

from themis_harness import Server, ServerTest


def poll(server, query, timeout=15):
    st, h, body = server.request("GET", "/changefeed?" + query, timeout=timeout)
    return st, h, json.loads(body)


class LongPollTest(ServerTest):
    def put(self, coll, key, doc):
        return self.put_entity(coll, key, doc)

    def test_events_in_order_with_documents_and_deletes(self):
        _, _, tip = poll(self.server, "from_seq=now")
        start = tip["latest_sequence"]
        s1 = self.put("lp", "a", {"v": 1})
        s2 = self.put("lp", "a", {"v": 2})
        st, _, _ = self.server.request("DELETE", "/entities/lp:a")
        self.assertEqual(st, 200)
        st, _, body = poll(self.server, "from_seq=%d" % start)
        self.assertEqual(st, 200)
        ev = [e for e in body["events"] if e["collection"] == "lp"]
        self.assertEqual([e["type"] for e in ev], ["PUT", "PUT", "DELETE"])
        self.assertEqual([e["sequence"] for e in ev], [s1, s2, s2 + 1])
        self.assertEqual(ev[1]["value"]["v"], 2)  # a document, not a string
        self.assertNotIn("value", ev[2])
        self.assertEqual(body["count"], len(body["events"]))
        self.assertGreaterEqual(body["latest_sequence"], s2 + 1)
        # resume is exclusive
        st, _, body = poll(self.server, "from_seq=%d" % s1)
        self.assertEqual(body["events"][0]["sequence"], s2)

    def test_filters(self):
        _, _, tip = poll(self.server, "from_seq=now")
        start = tip["latest_sequence"]
        self.put("fa", "k1", {"x": 1})
        self.put("fb", "k2", {"x": 2})
        self.put("fa", "z9", {"x": 3})
        self.server.request("DELETE", "/entities/fa:k1")
        _, _, b = poll(self.server, "from_seq=%d&collection=fa" % start)
        self.assertEqual([e["key"] for e in b["events"]], ["k1", "z9", "k1"])
        _, _, b = poll(self.server, "from_seq=%d&key_prefix=fa:k" % start)
        self.assertEqual([(e["collection"], e["key"]) for e in b["events"]],
                         [("fa", "k1"), ("fa", "k1")])
        _, _, b = poll(self.server,
                       "from_seq=%d&collection=fa&event_types=DELETE" % start)
        self.assertEqual([e["type"] for e in b["events"]], ["DELETE"])
        _, _, b = poll(self.server,
                       "from_seq=%d&collection=fb&include_docs=false" % start)
        self.assertNotIn("value", b["events"][0])
        _, _, b = poll(self.server, "from_seq=%d&collection=fa&limit=1" % start)
        self.assertEqual(b["count"], 1)
        for bad in ("from_seq=x", "limit=0", "event_types=UPSERT",
                    "long_poll_ms=-1", "include_docs=maybe"):
            st, _, b = poll(self.server, bad)
            self.assertEqual(st, 400, bad)
            self.assertEqual(b["status_code"], 400)

    def test_long_poll_wakes_on_commit_and_times_out(self):
        _, _, tip = poll(self.server, "from_seq=now")
        start = tip["latest_sequence"]
        result = {}

        def waiter():
            t0 = time.time()
            result["resp"] = poll(self.server, "from_seq=%d&long_poll_ms=5000"
                                  % start)
            result["elapsed"] = time.time() - t0

        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.3)
        seq = self.put("wake", "k", {"w": 1})
        t.join(10)
        st, _, body = result["resp"]
        self.assertEqual(st, 200)
        self.assertEqual(body["events"][0]["sequence"], seq)
        self.assertLess(result["elapsed"], 4)
        # nothing matches: answers empty at the deadline
        t0 = time.time()
        _, _, body = poll(self.server, "from_seq=now&long_poll_ms=400")
        self.assertEqual(body["count"], 0)
        self.assertGreaterEqual(time.time() - t0, 0.35)
        # a non-matching write does not end the wait early with nothing
        _, _, tip = poll(self.server, "from_seq=now")

        def filtered():
            result["f"] = poll(self.server,
                               "from_seq=%d&collection=only&long_poll_ms=4000"
                               % tip["latest_sequence"])

        t = threading.Thread(target=filtered)
        t.start()
        time.sleep(0.2)
        self.put("other", "k", {})
        time.sleep(0.2)
        self.put("only", "k", {})
        t.join(10)
        self.assertEqual([e["collection"] for e in result["f"][2]["events"]],
                         ["only"])

    def test_resume_loop_is_gap_free_under_concurrent_writes(self):
        _, _, tip = poll(self.server, "from_seq=now")
        start = tip["latest_sequence"]
        stop = threading.Event()
        written = []

        def writer():
            c = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                           timeout=10)
            i = 0
            while not stop.is_set() and i < 400:
                c.request("PUT", "/entities/gapfree:k%d" % (i % 50),
                          json.dumps({"blob": json.dumps({"i": i})}),
                          {"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                written.append(r.status)
                i += 1
            c.close()

        threads = [threading.Thread(target=writer) for _ in range(3)]
        for t in threads:
            t.start()
        seen = []
        after = start
        deadline = time.time() + 30
        while time.time() < deadline:
            # writers finished *before* this poll began: its latest_sequence
            # then covers every acknowledged write (checked after the poll,
            # a write acknowledged during it could be missed)
            writers_done = all(not t.is_alive() for t in threads)
            st, _, b = poll(self.server, "from_seq=%d&limit=37&long_poll_ms=500"
                            % after)
            self.assertEqual(st, 200)
            seen += [e["sequence"] for e in b["events"]]
            after = b["next_from_seq"]
            if writers_done and after >= b["latest_sequence"]:
                break
        stop.set()
        for t in threads:
            t.join(10)
        self.assertEqual(len(written), 1200)
        self.assertEqual(seen, list(range(start + 1, start + 1 + len(seen))))
        self.assertEqual(len(seen), 1200)


class RetentionTest(unittest.TestCase):
    def test_compacted_resume_is_410(self):
        srv = Server(("--set", "changefeed.retention_max_events=5",
                      "--set", "changefeed.compaction_interval_ms=100")).start()
        try:
            for i in range(20):
                st, _, _ = srv.json("PUT", "/entities/ret:k%d" % i,
                                    {"blob": "{}"})
                self.assertIn(st, (200, 201))
            # compaction runs on its own interval, maybe between writes:
            # wait until it has caught up with all twenty
            body, h, st = None, {}, None
            for _ in range(200):
                st, h, body = poll(srv, "from_seq=1")
                if st == 410 and h.get("x-compacted-through") == "15":
                    break
                time.sleep(0.05)
            self.assertEqual(st, 410)
            self.assertEqual(body["status_code"], 410)
            self.assertIn("compacted", body["message"])
            self.assertEqual(h["x-compacted-through"], "15")
            st, _, body = poll(srv, "from_seq=15")
            self.assertEqual(st, 200)
            self.assertEqual([e["sequence"] for e in body["events"]],
                             [16, 17, 18, 19, 20])
            # 0 (and no from_seq) is the start of the retained log, never
            # a 410 (issue 28; docs/changefeeds.md)
            for q in ("from_seq=0", "limit=100"):
                st, _, body = poll(srv, q)
                self.assertEqual(st, 200, body)
                self.assertEqual([e["sequence"] for e in body["events"]],
                                 [16, 17, 18, 19, 20])
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.cleanup()


class DrainWakesPollTest(unittest.TestCase):
    def test_sigterm_answers_waiting_long_polls(self):
        srv = Server(("--set", "changefeed.long_poll_max_ms=60000")).start()
        try:
            result = {}

            def waiter():
                result["r"] = poll(srv, "from_seq=now&long_poll_ms=60000",
                                   timeout=30)

            t = threading.Thread(target=waiter)
            t.start()
            time.sleep(0.3)
            t0 = time.time()
            srv.proc.send_signal(signal.SIGTERM)
            t.join(20)
            st, h, body = result["r"]
            self.assertEqual(st, 200)
            self.assertEqual(body["count"], 0)
            self.assertEqual(h.get("connection"), "close")
            self.assertEqual(srv.proc.wait(20), 0)
            self.assertLess(time.time() - t0, 5)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
