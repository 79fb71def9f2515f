"""A gRPC deadline stops the engine, not only the call (issue 20): the
front-end stamps the call's deadline (handlers/request_deadline.hpp), the
REST request a service makes carries it, and the query's run_limits end
there — so a Query.Execute whose deadline passes answers
DEADLINE_EXCEEDED and the query stops running at once instead of at
query.timeout_ms (set to 60 s here). Also over gRPC-web's grpc-timeout
and a plain REST request that sends the header itself (it can shorten,
never lengthen, its own limit). Every wait is bounded."""

import json
import os
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import test_grpc as g  # noqa: E402  (generates the stubs on import)
from themis_harness import Server  # noqa: E402

grpc = g.grpc
SLOW = "FOR i IN 1..100000 FOR j IN 1..100000 FILTER i + j < 0 RETURN i"


def metric(srv, name):
    with urllib.request.urlopen(
            "http://127.0.0.1:%d/metrics" % srv.port, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


class GrpcDeadlineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(["--set", "query.timeout_ms=60000"]).start()
        cls.ch = grpc.insecure_channel("127.0.0.1:%d" % cls.srv.port)

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()
        code = cls.srv.stop()
        cls.srv.cleanup()
        assert code == 0, code

    def wait_errors(self, before, within):
        """Seconds until themis_aql_query_errors_total passes `before`."""
        start = time.monotonic()
        while time.monotonic() - start < within:
            if metric(self.srv, "themis_aql_query_errors_total") > before:
                return time.monotonic() - start
            time.sleep(0.05)
        return None

    def test_execute_deadline_stops_the_query(self):
        q = g.query_grpc.QueryStub(self.ch)
        before = metric(self.srv, "themis_aql_query_errors_total")
        start = time.monotonic()
        with self.assertRaises(grpc.RpcError) as e:
            for _ in q.Execute(g.query.ExecuteRequest(query=SLOW), timeout=0.5):
                pass
        self.assertEqual(e.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertLess(time.monotonic() - start, 5)
        # the engine gave up too (its timeout is 60 s): the query ended as
        # a failed (timed-out) one within moments of the deadline
        took = self.wait_errors(before, 5)
        self.assertIsNotNone(took, "the query kept running past the deadline")
        # and the server answers at once
        self.assertEqual(self.srv.json("GET", "/health")[0], 200)

    def test_rest_request_may_shorten_its_own_limit(self):
        deadline = int(time.monotonic() * 1000)  # CLOCK_MONOTONIC, as steady_clock
        req = urllib.request.Request(
            "http://127.0.0.1:%d/query/aql" % self.srv.port,
            data=json.dumps({"query": SLOW}).encode(), method="POST",
            headers={"Content-Type": "application/json",
                     "x-themis-deadline-ms": str(deadline + 300)})
        start = time.monotonic()
        try:
            urllib.request.urlopen(req, timeout=20)
            status = 200
        except urllib.error.HTTPError as e:
            status = e.code
        self.assertEqual(status, 504)  # the query's own time limit
        self.assertLess(time.monotonic() - start, 10)
        # a stamp far in the future does not lengthen the 60 s limit; a
        # malformed one is ignored
        for bad in ("not-a-number", "-5", "99999999999999999999999"):
            st, _, b = self.srv.json("POST", "/query/aql", {"query": "RETURN 1"},
                                     {"x-themis-deadline-ms": bad})
            self.assertEqual(st, 200, (bad, b))


if __name__ == "__main__":
    unittest.main()
