"""API gateway (issue 23): themisd in front of real upstream HTTP servers
started by the test (gateway_upstreams.py). Routing matrix, forwarding
headers, LB distribution, health-check ejection and return, outlier
ejection under injected 5xx, breaker 503, timeout 504, malformed 502,
request coalescing counted at the upstream, SIGHUP reload with a request
in flight, metrics and the admin view."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import Server  # noqa: E402
from gateway_upstreams import Upstream, closed_port, stop_checked  # noqa


def wait_for(pred, timeout=10.0, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


class GatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ups = [Upstream("u%d" % i) for i in range(3)]
        cls.dead = closed_port()
        cls.dir = tempfile.mkdtemp(prefix="themis_gw_")
        cls.file = os.path.join(cls.dir, "gateway.yaml")
        with open(cls.file, "w") as f:
            f.write(cls.config())
        cls.server = Server(["--set", "gateway.file=" + cls.file]).start()

    @classmethod
    def config(cls, v1_body="v1"):
        u = [x.address for x in cls.ups]
        return """
clusters:
  - name: rr
    endpoints: [%(u0)s, %(u1)s, %(u2)s]
  - name: weighted
    lb: weighted
    endpoints:
      - {address: "%(u0)s", weight: 3}
      - {address: "%(u1)s", weight: 1}
  - name: hc
    endpoints: [%(u0)s, %(u1)s]
    health_check: {path: /health, interval_ms: 100, timeout_ms: 500,
                   unhealthy_threshold: 2, healthy_threshold: 1}
  - name: outlier
    endpoints: [%(u0)s, %(u1)s]
    outlier: {consecutive_5xx: 3, base_ejection_ms: 2000,
              max_ejection_percent: 50}
  - name: small
    endpoints: [%(u2)s]
    breaker: {max_requests: 1}
  - name: single
    endpoints: [%(u2)s]
    connect_timeout_ms: %(ct)d
  - name: deadpool
    endpoints: ["127.0.0.1:%(dead)d", %(u2)s]
  - name: ring
    lb: ring_hash
    hash_on: header:X-User
    endpoints: [%(u0)s, %(u1)s, %(u2)s]
routes:
  - name: direct
    match: {exact: /gw/direct}
    direct: {status: 200, body: "%(v1)s", content_type: text/plain}
  - name: redirect
    match: {prefix: /gw/old}
    redirect: {location: "https://new.example$path$query", status: 301}
  - name: wildcard
    match: {host: "*.tenant.test", prefix: /gw/host}
    direct: {body: wildcard}
  - name: only-post
    match: {prefix: /gw/method, methods: [POST]}
    direct: {body: post}
  - name: canary
    match: {prefix: /gw/canary, headers: {X-Canary: "1"}}
    direct: {body: canary}
  - name: own
    match: {prefix: /gw/own}
    themisd: true
  - name: rr
    match: {prefix: /gw/rr}
    forward: {cluster: rr, rewrite_prefix: /svc, retries: 0}
    request_headers: {add: {X-Gw-Route: rr}, remove: [X-Drop]}
    response_headers: {add: {X-Served-By: themisd-gw}}
  - name: weighted
    match: {prefix: /gw/weighted}
    forward: {cluster: weighted, retries: 0}
  - name: hc
    match: {prefix: /gw/hc}
    forward: {cluster: hc, retries: 0}
  - name: outlier
    match: {prefix: /gw/outlier}
    forward: {cluster: outlier, retries: 0}
  - name: small
    match: {prefix: /gw/small}
    forward: {cluster: small, retries: 0}
  - name: slow
    match: {prefix: /gw/slow}
    forward: {cluster: single, per_try_timeout_ms: 300, timeout_ms: 600,
              retries: 0}
  - name: coalesce
    match: {prefix: /gw/co}
    forward: {cluster: single, coalesce: true, max_waiters: 100}
  - name: cowait
    match: {prefix: /gw/waitco}
    forward: {cluster: single, coalesce: true, coalesce_wait_ms: 100}
  - name: dead
    match: {prefix: /gw/dead}
    forward: {cluster: deadpool, retries: 1, retry_base_ms: 1}
  - name: ring
    match: {prefix: /gw/ring}
    forward: {cluster: ring}
  - name: reload
    match: {prefix: /gw/reload}
    direct: {body: "%(v1)s"}
  - name: inflight
    match: {prefix: /gw/inflight}
    forward: {cluster: single, timeout_ms: 5000, per_try_timeout_ms: 5000}
""" % {"u0": u[0], "u1": u[1], "u2": u[2], "dead": cls.dead, "v1": v1_body,
       "ct": 1000 if v1_body == "v1" else 1500}

    @classmethod
    def tearDownClass(cls):
        stop_checked(cls.server, *[u.close for u in cls.ups])

    def setUp(self):
        for u in self.ups:
            u.reset()

    def get(self, path, headers=None, method="GET", body=None):
        return self.server.request(method, path, body=body, headers=headers)

    # -- routing ------------------------------------------------------------

    def test_routing_matrix(self):
        st, h, b = self.get("/gw/direct")
        self.assertEqual((st, b), (200, b"v1"))
        self.assertEqual(h["content-type"], "text/plain")
        st, h, _ = self.get("/gw/old/x?y=1")
        self.assertEqual(st, 301)
        self.assertEqual(h["location"], "https://new.example/gw/old/x?y=1")
        st, _, b = self.get("/gw/host", {"Host": "a.tenant.test"})
        self.assertEqual((st, b), (200, b"wildcard"))
        st, _, _ = self.get("/gw/host", {"Host": "tenant.test"})
        self.assertEqual(st, 404)  # no route: themisd's own router
        st, _, b = self.get("/gw/method", method="POST", body="")
        self.assertEqual((st, b), (200, b"post"))
        self.assertEqual(self.get("/gw/method")[0], 404)
        st, _, b = self.get("/gw/canary", {"X-Canary": "1"})
        self.assertEqual((st, b), (200, b"canary"))
        self.assertEqual(self.get("/gw/canary")[0], 404)
        self.assertEqual(self.get("/gw/own")[0], 404)  # themisd: true
        self.assertEqual(self.get("/health/ready")[0], 200)  # not routed
        self.assertEqual(sum(u.count() for u in self.ups), 0)

    def test_forward_rewrites_and_headers(self):
        st, h, b = self.get("/gw/rr/a%20b?q=1", {
            "X-Drop": "secret", "Connection": "X-Hop-Req",
            "X-Hop-Req": "no", "X-Forwarded-For": "192.0.2.1"},
            method="POST", body=b"payload")
        self.assertEqual(st, 200, b)
        j = json.loads(b)
        self.assertEqual(j["method"], "POST")
        self.assertEqual(j["path"], "/svc/a%20b?q=1")
        self.assertEqual(j["body"], "payload")
        hs = {k.lower(): v for k, v in j["headers"].items()}
        self.assertEqual(hs["x-forwarded-for"], "192.0.2.1, 127.0.0.1")
        self.assertEqual(hs["x-forwarded-proto"], "http")
        self.assertEqual(hs["via"], "1.1 themisd")
        self.assertEqual(hs["x-gw-route"], "rr")
        self.assertNotIn("x-drop", hs)
        self.assertNotIn("x-hop-req", hs)
        # response: upstream headers relayed, hop-by-hop ones not
        self.assertIn(h["x-upstream"], ("u0", "u1", "u2"))
        self.assertNotIn("x-hop", h)
        self.assertEqual(h["via"], "1.1 themisd")
        self.assertEqual(h["x-served-by"], "themisd-gw")
        # the upstream's own status passes through
        st, h, _ = self.get("/gw/rr/x?status=404")
        self.assertEqual(st, 404)
        self.assertNotIn("x-themis-gateway-reason", h)

    # -- load balancing -----------------------------------------------------

    def test_round_robin_distribution(self):
        for _ in range(30):
            self.assertEqual(self.get("/gw/rr/x")[0], 200)
        self.assertEqual([u.count() for u in self.ups], [10, 10, 10])

    def test_weighted_distribution(self):
        for _ in range(40):
            self.assertEqual(self.get("/gw/weighted/x")[0], 200)
        self.assertEqual([u.count() for u in self.ups[:2]], [30, 10])

    def test_ring_hash_affinity(self):
        seen = {}
        for i in range(20):
            user = "user-%d" % (i % 5)
            _, h, _ = self.get("/gw/ring/x", {"X-User": user})
            seen.setdefault(user, set()).add(h["x-upstream"])
        self.assertTrue(all(len(s) == 1 for s in seen.values()), seen)

    # -- resilience ---------------------------------------------------------

    def upstream_view(self, cluster):
        st, _, j = self.server.json("GET", "/api/v1/gateway/upstreams")
        self.assertEqual(st, 200)
        return next(c for c in j["clusters"] if c["name"] == cluster)

    def test_health_check_ejection_and_return(self):
        u0, u1 = self.ups[0], self.ups[1]
        self.assertTrue(wait_for(lambda: u0.health_hits > 0))
        u1.health_status = 503
        self.assertTrue(wait_for(lambda: not self.upstream_view("hc")[
            "endpoints"][1]["healthy"], 5))
        for _ in range(10):
            self.assertEqual(self.get("/gw/hc/x")[0], 200)
        self.assertEqual((u0.count(), u1.count()), (10, 0))
        u1.health_status = 200
        self.assertTrue(wait_for(lambda: self.upstream_view("hc")[
            "endpoints"][1]["healthy"], 5))
        for _ in range(10):
            self.get("/gw/hc/x")
        self.assertEqual(u1.count(), 5)  # back in the rotation

    def test_outlier_ejection_under_5xx(self):
        u0, u1 = self.ups[0], self.ups[1]
        u1.fail_status = 500
        codes = [self.get("/gw/outlier/x")[0] for _ in range(12)]
        # u1 answers 500 three times in a row, then is ejected: the rest
        # go to u0
        self.assertEqual(u1.count(), 3, codes)
        self.assertEqual(codes.count(500), 3)
        # (the admin view is refreshed every 250 ms)
        self.assertTrue(wait_for(lambda: self.upstream_view("outlier")[
            "endpoints"][1]["ejected"], 1.5))
        self.assertGreaterEqual(self.upstream_view("outlier")["ejections"], 1)
        u1.fail_status = None
        time.sleep(2.3)  # base_ejection_ms: it returns by itself
        for _ in range(4):
            self.get("/gw/outlier/x")
        self.assertGreaterEqual(u1.count(), 4)

    def test_breaker_max_requests_503(self):
        self.ups[2].slow_ms = 600
        results = []

        def call():
            results.append(self.get("/gw/small/x"))

        ts = [threading.Thread(target=call) for _ in range(3)]
        for t in ts:
            t.start()
            time.sleep(0.05)
        for t in ts:
            t.join(10)
        codes = sorted(r[0] for r in results)
        self.assertEqual(codes, [200, 503, 503])
        refused = [r for r in results if r[0] == 503][0]
        self.assertIn("max requests",
                      refused[1]["x-themis-gateway-reason"])
        body = json.loads(refused[2])
        self.assertEqual((body["error"], body["status_code"]), (True, 503))

    def test_timeout_504(self):
        self.ups[2].slow_ms = 1500
        t0 = time.time()
        st, h, b = self.get("/gw/slow/x")
        self.assertEqual(st, 504, b)
        self.assertIn("timeout", h["x-themis-gateway-reason"])
        self.assertLess(time.time() - t0, 1.4)

    def test_connect_failure_is_retried_elsewhere(self):
        # deadpool: one endpoint refuses connections; its requests are
        # retried on the other, the client sees only 200s
        codes = [self.get("/gw/dead/x")[0] for _ in range(6)]
        self.assertEqual(codes, [200] * 6)
        self.assertEqual(self.ups[2].count(), 6)

    def test_malformed_upstream_502(self):
        self.ups[2].malformed = True
        st, h, b = self.get("/gw/slow/x")
        self.assertEqual(st, 502, b)
        self.assertIn("malformed", h["x-themis-gateway-reason"])

    # -- coalescing ---------------------------------------------------------

    def test_coalescing_identical_gets(self):
        up = self.ups[2]
        up.slow_ms = 400
        with ThreadPoolExecutor(20) as ex:
            rs = list(ex.map(lambda _: self.get("/gw/co/item?id=7"),
                             range(20)))
        self.assertTrue(all(r[0] == 200 for r in rs))
        self.assertEqual(len({r[2] for r in rs}), 1)
        self.assertEqual(up.count(), 1)  # one upstream hit for 20 GETs
        # different principals do not share (route is not public)
        up.reset()
        up.slow_ms = 300
        with ThreadPoolExecutor(4) as ex:
            rs = list(ex.map(lambda i: self.get(
                "/gw/co/item?id=7", {"Authorization": "Bearer t%d" % (i % 2)}),
                range(4)))
        self.assertEqual(up.count(), 2)
        # unsafe methods never coalesce
        up.reset()
        up.slow_ms = 300
        with ThreadPoolExecutor(5) as ex:
            rs = list(ex.map(lambda _: self.get(
                "/gw/co/item", method="POST", body="x"), range(5)))
        self.assertTrue(all(r[0] == 200 for r in rs))
        self.assertEqual(up.count(), 5)

    def test_coalescing_waiter_timeout_falls_back(self):
        # waiters give up on the leader after coalesce_wait_ms and make
        # their own calls: 3 upstream hits, all answered
        up = self.ups[2]
        up.slow_ms = 500
        with ThreadPoolExecutor(3) as ex:
            rs = list(ex.map(lambda _: self.get("/gw/waitco/x"), range(3)))
        self.assertEqual([r[0] for r in rs], [200] * 3)
        self.assertEqual(up.count(), 3)

    def test_http2_client(self):
        # h2c (prior knowledge) through the same route table
        r = subprocess.run(
            ["curl", "-s", "-i", "--http2-prior-knowledge", "-H",
             "Host: h2.example", "http://127.0.0.1:%d/gw/rr/h2?x=1"
             % self.server.port], capture_output=True, text=True, timeout=10)
        head, _, body = r.stdout.partition("\n\n")  # (text mode: LF)
        self.assertTrue(head.startswith("HTTP/2 200"), r.stdout)
        self.assertIn("via: 1.1 themisd", head)
        j = json.loads(body)
        self.assertEqual(j["path"], "/svc/h2?x=1")
        self.assertEqual(j["headers"]["Host"], "h2.example")

    # -- reload, metrics ----------------------------------------------------

    def test_zz_sighup_reload_keeps_inflight(self):
        up = self.ups[2]
        up.slow_ms = 800
        out = {}

        def slow():
            out["r"] = self.get("/gw/inflight/x")

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.2)  # the request is at the upstream
        # the new file changes cluster `single`: its actor retires, holding
        # the request in flight, which must still be answered
        with open(self.file, "w") as f:
            f.write(self.config(v1_body="v2"))
        self.server.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(
            lambda: self.get("/gw/reload")[2] == b"v2", 5))
        t.join(10)
        self.assertEqual(out["r"][0], 200, out["r"])
        # a bad file is refused and the running table stays
        with open(self.file, "w") as f:
            f.write("routes:\n  - forward: nowhere\n")
        self.server.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(
            lambda: "unknown cluster 'nowhere'" in self.server.read_log(), 5))
        self.assertEqual(self.get("/gw/reload")[2], b"v2")
        with open(self.file, "w") as f:
            f.write(self.config())

    def test_bad_gateway_file_exits_2_naming_the_key(self):
        bad = os.path.join(self.dir, "bad.yaml")
        with open(bad, "w") as f:
            f.write("clusters:\n  - name: a\n    endpoints: [\"h:1\"]\n"
                    "    lb: fastest\n")
        s = Server(["--set", "gateway.file=" + bad]).start(wait=False)
        try:
            self.assertEqual(s.proc.wait(15), 2)
            log = s.read_log()
            self.assertIn("gateway.file: " + bad + ": line 4: "
                          "clusters[0].lb: expected one of", log)
        finally:
            s.cleanup()

    def test_metrics_and_admin_view(self):
        self.get("/gw/rr/x")
        self.get("/gw/direct")
        st, _, body = self.get("/metrics")
        text = body.decode()
        self.assertIn('themis_gateway_route_requests_total{route="rr",'
                      'action="forward",code="2xx"}', text)
        self.assertIn('themis_gateway_upstream_requests_total{cluster="rr"}',
                      text)
        self.assertIn("themis_gateway_upstream_duration_seconds_bucket", text)
        self.assertIn("themis_gateway_breaker_open", text)
        view = self.upstream_view("rr")
        self.assertEqual(len(view["endpoints"]), 3)
        self.assertTrue(all(e["available"] for e in view["endpoints"]))


if __name__ == "__main__":
    unittest.main()
