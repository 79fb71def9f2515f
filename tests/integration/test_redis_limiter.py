"""issue 25: rate_limiting.backend redis. A real redis-server on a free
loopback port and three real themisd nodes sharing it: one client spread
over all three gets exactly the cluster-wide limit; with Redis killed or
hung every request is still answered within the timeout (local buckets,
limit / nodes_hint), a WARN is logged once per episode, and the nodes go
back to Redis when it returns."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import Server, free_port  # noqa: E402

REDIS = shutil.which("redis-server")
TIMEOUT_MS = 50


class RedisProcess:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="themis_redis_")
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.dir, "redis.log"), "ab")
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.cli("PING").strip() == "PONG":
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def cli(self, *args):
        try:
            return subprocess.run(
                ["redis-cli", "-p", str(self.port)] + list(args),
                capture_output=True, text=True, timeout=5).stdout
        except subprocess.TimeoutExpired:
            return ""

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@unittest.skipUnless(REDIS, "redis-server not installed")
class RedisLimiterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisProcess().start()
        url = "redis://127.0.0.1:%d/0" % cls.redis.port
        args = ["--set", "rate_limiting.enabled=true",
                "--set", "rate_limiting.backend=redis",
                "--set", "rate_limiting.redis.url=" + url,
                "--set", "rate_limiting.redis.timeout_ms=%d" % TIMEOUT_MS,
                "--set", "rate_limiting.redis.nodes_hint=3",
                "--set", "rate_limiting.rules=/x1 30/1h key=ip,"
                         "/fb 6/1h key=ip,/hang 1000/1s key=ip"]
        cls.nodes = []
        try:
            for _ in range(3):
                cls.nodes.append(Server(args).start())
            cls.wait_all_up()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            try:
                n.stop()
            finally:
                n.cleanup()
        cls.redis.cleanup()

    @classmethod
    def metric(cls, node, name):
        st, _, body = node.request("GET", "/metrics")
        m = re.search(r"^%s (\d+)" % name, body.decode(), re.M)
        return int(m.group(1)) if m else None

    @classmethod
    def wait_all_up(cls, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(cls.metric(n, "themis_redis_limiter_state") == 2
                   for n in cls.nodes):
                return
            time.sleep(0.1)
        raise AssertionError("nodes did not connect to Redis: " +
                             cls.nodes[0].read_log()[-3000:])

    def start_extra(self, args, count=2):
        """`count` more nodes on the same Redis, connected; stopped and
        removed at the end of the test."""
        nodes = []

        def stop_all():
            for n in nodes:
                try:
                    n.stop()
                finally:
                    n.cleanup()
        self.addCleanup(stop_all)
        for _ in range(count):
            nodes.append(Server(args).start())
        deadline = time.time() + 15
        while time.time() < deadline and not all(
                self.metric(n, "themis_redis_limiter_state") == 2
                for n in nodes):
            time.sleep(0.1)
        return nodes

    def spread(self, path, count):
        """`count` requests round-robin over the nodes: statuses, the
        slowest answer (s), and the 429 answers' headers."""
        statuses, slowest, refused = [], 0.0, []
        for i in range(count):
            t0 = time.time()
            st, h, _ = self.nodes[i % 3].request("GET", path)
            slowest = max(slowest, time.time() - t0)
            statuses.append(st)
            if st == 429:
                refused.append(h)
        return statuses, slowest, refused

    def test_1_cluster_wide_limit_exact(self):
        statuses, _, refused = self.spread("/x1/doc", 90)
        allowed = [s for s in statuses if s != 429]
        # 30/1h refills 0.5 tokens in a minute: the limit is exact here
        self.assertEqual(len(allowed), 30, statuses)
        self.assertEqual(statuses.count(429), 60)
        for h in refused:
            self.assertIn("retry-after", h)
            self.assertGreaterEqual(int(h["retry-after"]), 1)
            self.assertEqual(h["x-ratelimit-limit"], "30")
            self.assertIn('"/x1";q=30', h["ratelimit-policy"])
        # one bucket in Redis, named by prefix, algorithm and key
        keys = self.redis.cli("--scan", "--pattern", "themis:rl:*").split()
        self.assertTrue(any(k.startswith("themis:rl:tb:/x1") for k in keys),
                        keys)
        for n in self.nodes:
            self.assertGreater(
                self.metric(n, "themis_redis_limiter_redis_decisions_total"),
                0)
        # Redis forgets the scripts (SCRIPT FLUSH, as after a restart):
        # NOSCRIPT -> EVAL with the text; the exhausted bucket still refuses
        # (a local decision would allow: 10 fresh tokens per node)
        self.assertEqual(self.redis.cli("SCRIPT", "FLUSH").strip(), "OK")
        for n in self.nodes:
            st, _, _ = n.request("GET", "/x1/doc")
            self.assertEqual(st, 429)
            self.assertEqual(
                self.metric(n, "themis_redis_limiter_fallback_decisions_total"),
                0)
            self.assertEqual(
                self.metric(n, "themis_redis_limiter_errors_total"), 0)
        stats = self.redis.cli("INFO", "commandstats")
        self.assertRegex(stats, r"cmdstat_eval:calls=[1-9]", stats)

    def test_2_redis_killed_then_back(self):
        statuses, _, _ = self.spread("/fb/a", 3)
        self.assertNotIn(429, statuses)  # 3 of 6 used, through Redis
        self.redis.kill()
        # local buckets: 6 / 3 nodes = 2 per node, fresh on each node
        per_node = {0: [], 1: [], 2: []}
        slowest = 0.0
        for i in range(15):
            t0 = time.time()
            st, _, _ = self.nodes[i % 3].request("GET", "/fb/b")
            slowest = max(slowest, time.time() - t0)
            per_node[i % 3].append(st)
        for i, sts in per_node.items():
            self.assertEqual(len([s for s in sts if s != 429]), 2,
                             (i, sts))
        # never blocked past the timeout (+ scheduling slack on 2 cores)
        self.assertLess(slowest, TIMEOUT_MS / 1000 + 0.5)
        # health never waits on Redis
        t0 = time.time()
        st, _, _ = self.nodes[0].request("GET", "/health/ready")
        self.assertEqual(st, 200)
        self.assertLess(time.time() - t0, 0.5)
        for n in self.nodes:
            log = n.read_log()
            self.assertEqual(log.count("deciding with local buckets"), 1,
                             log[-2000:])
            self.assertGreaterEqual(
                self.metric(n, "themis_redis_limiter_episodes_total"), 1)
            self.assertGreater(
                self.metric(n, "themis_redis_limiter_fallback_decisions_total"),
                0)
            # 0 down, or 1 while a reconnect attempt is under way
            self.assertNotEqual(
                self.metric(n, "themis_redis_limiter_state"), 2)
        # Redis returns (empty: --save ''): the nodes reconnect and the
        # cluster-wide bucket applies again
        self.redis.start()
        self.wait_all_up()
        for n in self.nodes:
            self.assertIn("is back; limits are cluster-wide again",
                          n.read_log())
        statuses, _, _ = self.spread("/fb/c", 12)
        self.assertEqual(len([s for s in statuses if s != 429]), 6, statuses)

    def test_3_redis_hung_answers_within_timeout(self):
        self.redis.proc.send_signal(signal.SIGSTOP)
        try:
            times = []
            for i in range(12):
                t0 = time.time()
                st, _, _ = self.nodes[i % 3].request("GET", "/hang/x")
                times.append(time.time() - t0)
                self.assertNotEqual(st, 429)  # 1000/1s: local allows
            # the first ones wait the timeout, then the link gives up on
            # Redis and decides at once
            self.assertLess(max(times), TIMEOUT_MS / 1000 + 0.5, times)
            for n in self.nodes:
                self.assertGreaterEqual(
                    self.metric(n, "themis_redis_limiter_timeouts_total"), 1)
        finally:
            self.redis.proc.send_signal(signal.SIGCONT)
        self.wait_all_up(timeout=20)

    def test_4_sliding_window_shared(self):
        url = "redis://127.0.0.1:%d/0" % self.redis.port
        pair = self.start_extra([
            "--set", "rate_limiting.enabled=true",
            "--set", "rate_limiting.backend=redis",
            "--set", "rate_limiting.algorithm=sliding_window_counter",
            "--set", "rate_limiting.redis.url=" + url,
            "--set", "rate_limiting.rules=/sw 10/1h key=ip"])
        statuses = [pair[i % 2].request("GET", "/sw/x")[0] for i in range(20)]
        self.assertEqual(len([s for s in statuses if s != 429]), 10, statuses)
        keys = self.redis.cli("--scan", "--pattern", "themis:rl:sw:*")
        self.assertIn("themis:rl:sw:/sw", keys)

    def test_5_rate_group_shared(self):
        url = "redis://127.0.0.1:%d/0" % self.redis.port
        pair = self.start_extra([
            "--set", "rate_limiting.enabled=true",
            "--set", "rate_limiting.backend=redis",
            "--set", "rate_limiting.redis.url=" + url,
            "--set", "rate_limiting.rules=/ 10000/1s",
            "--set", "rate_limiting.groups=query 3/1h"])
        q = {"query": "RETURN 1"}
        answers = [pair[i % 2].json("POST", "/api/v1/query/validate", q)
                   for i in range(6)]
        statuses = [a[0] for a in answers]
        self.assertEqual(statuses.count(429), 3, statuses)
        self.assertNotIn(429, statuses[:3])
        h = answers[-1][1]
        self.assertIn('"query"', h["ratelimit-policy"])
        self.assertGreaterEqual(int(h["retry-after"]), 1)
        # the group is counted where it was decided, as locally
        refused = 0
        for n in pair:
            text = n.request("GET", "/metrics")[2].decode()
            m = re.search(r'themis_rate_group_requests_total\{group="query",'
                          r'outcome="refused"\} (\d+)', text)
            refused += int(m.group(1)) if m else 0
        self.assertEqual(refused, 3)

if __name__ == "__main__":
    unittest.main(verbosity=2)
