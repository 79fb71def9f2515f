#!/usr/bin/env python3
"""Function triggers (issue 27) on a real themisd, with modules built from
tests/integration/wasm/*.wat: a change trigger runs its function for each
matching committed change (filters on operation and key prefix); failures
are retried with backoff and then dead-lettered without holding up other
triggers; delivery is at least once across a SIGTERM and a kill -9
restart (every event processed, the checkpoint advances and survives);
an MQTT trigger transforms messages published with mosquitto_pub into a
collection and republishes them (host API mqtt_publish); tenants are
isolated."""

import json
import re
import subprocess
import time
import unittest

from test_functions import SECRET, FunctionsBase, wasm
from themis_harness import Server
from tokens import bearer, make_jwt

FAST = ["--set", "functions.trigger_max_attempts=3", "--set",
        "functions.trigger_backoff_ms=300"]


def wait_for(what, timeout=15, step=0.05):
    """Polls `what()` until it is truthy (its value) or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = what()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out waiting")


def docs(srv, coll, who=None):
    st, _, b = srv.request("POST", "/query/aql",
                           {"query": "FOR d IN %s RETURN d" % coll}, who)
    if st != 200:
        return []
    return json.loads(b)["result"]


def wait_subscriptions(srv, n):
    """Until the broker holds `n` subscriptions (the trigger's own and the
    test's mosquitto_sub ones): neither says when it has subscribed."""
    def count():
        _, _, m = srv.request("GET", "/metrics")
        found = re.search(rb"^themis_mqtt_subscriptions (\d+)", m, re.M)
        return found and int(found.group(1)) >= n
    wait_for(count)


def upload(srv, fid, module, who=None):
    h = {"Content-Type": "application/wasm"}
    h.update(who or {})
    st, _, b = srv.request("PUT", "/api/v1/functions/%s/wasm" % fid,
                           wasm(module), h)
    assert st in (200, 201), (st, b)


def add_trigger(srv, fid, spec, who=None):
    st, _, b = srv.request("POST", "/api/v1/functions/%s/triggers" % fid,
                           spec, who)
    assert st == 201, (st, b)
    return json.loads(b)


def trigger_of(srv, fid, tid, who=None):
    _, _, b = srv.json("GET", "/api/v1/functions/%s/triggers" % fid,
                       headers=who)
    return [t for t in b["triggers"] if t["id"] == tid][0]


class ChangeTriggerTest(FunctionsBase):
    server_args = FAST

    def test_matching_changes_run_the_function(self):
        srv = self.server
        upload(srv, "seen", "trigger_seen")
        srv.request("POST", "/v1/collections", {"name": "orders"})
        t = add_trigger(srv, "seen", {"collection": "orders",
                                      "operations": ["PUT"],
                                      "key_prefix": "o"})
        self.assertEqual((t["operations"], t["key_prefix"]), (["PUT"], "o"))
        seqs = [self.put_entity("orders", k, {"n": i})
                for i, k in enumerate(("o1", "o2", "x1"))]
        srv.request("DELETE", "/v1/collections/orders/documents/o1")
        # (the class's other tests write "seen" too: only orders here)
        orders = lambda: [d for d in docs(srv, "seen")  # noqa: E731
                          if d["collection"] == "orders"]
        wait_for(lambda: len(orders()) >= 2)
        time.sleep(0.5)  # nothing more arrives: x1 and the DELETE do not match
        got = orders()
        self.assertEqual(sorted(d["_key"] for d in got),
                         sorted(str(s) for s in seqs[:2]))
        for d in got:
            self.assertEqual((d["type"], d["collection"]), ("PUT", "orders"))
        # the checkpoint reaches the tip, lag 0
        tip = self.tip()
        wait_for(lambda: trigger_of(srv, "seen", t["id"])["checkpoint"] >= tip)
        self.assertEqual(trigger_of(srv, "seen", t["id"])["lag"], 0)
        _, _, m = srv.request("GET", "/metrics")
        self.assertRegex(m.decode(), r'themis_function_trigger_invocations_'
                         r'total\{source="change",result="ok"\} [2-9]')

    def test_failures_retry_then_dead_letter_without_blocking(self):
        srv = self.server
        upload(srv, "bad", "trap")
        upload(srv, "good", "trigger_seen")
        srv.request("POST", "/v1/collections", {"name": "jobs"})
        bad = add_trigger(srv, "bad", {"collection": "jobs"})
        add_trigger(srv, "good", {"collection": "jobs"})
        t0 = time.monotonic()
        seq = self.put_entity("jobs", "j1")
        # the good trigger is not held up by the failing one's retries
        wait_for(lambda: [d for d in docs(srv, "seen") if d["_key"] == str(seq)])
        self.assertFalse(docs(srv, "function_dead_letters"))
        dead = wait_for(lambda: docs(srv, "function_dead_letters"))
        # 3 attempts, backoff 300 then 600 ms
        self.assertGreater(time.monotonic() - t0, 0.8)
        self.assertEqual(len(dead), 1)
        d = dead[0]
        self.assertEqual((d["trigger"], d["function"], d["sequence"],
                          d["attempts"]), (bad["id"], "bad", seq, 3))
        self.assertIn("trap", d["error"])
        self.assertEqual((d["event"]["key"], d["event"]["collection"]),
                         ("j1", "jobs"))
        _, _, meta = srv.json("GET", "/api/v1/functions/bad")
        self.assertEqual(meta["stats"]["invocations"], 3)
        wait_for(lambda: trigger_of(srv, "bad", bad["id"])["checkpoint"] >= seq)
        stats = trigger_of(srv, "bad", bad["id"])["stats"]
        self.assertEqual((stats["invocations"], stats["failures"],
                          stats["dead_letters"]), (3, 3, 1))
        self.assertIn("trap", stats["last_error"])
        _, _, m = srv.request("GET", "/metrics")
        self.assertRegex(m.decode(), r"themis_function_dead_letters_total [1-9]")

    def test_a_busy_function_delays_but_never_loses_events(self):
        # one invocation at a time: two triggers of the same function take
        # turns (a busy function is retried, not a failed attempt)
        srv = self.server
        st, _, b = srv.request("PUT", "/api/v1/functions/one/wasm?"
                               "max_concurrent=1", wasm("trigger_seen"),
                               {"Content-Type": "application/wasm"})
        self.assertEqual(st, 201, b)
        srv.request("POST", "/v1/collections", {"name": "pairs"})
        ids = [add_trigger(srv, "one", {"collection": "pairs"})["id"]
               for _ in range(2)]
        q = "FOR i IN 1..30 INSERT {_key: CONCAT('p', i)} INTO pairs"
        self.assertIn(srv.request("POST", "/query/aql", {"query": q})[0],
                      (200, 201))
        for tid in ids:
            wait_for(lambda: trigger_of(srv, "one", tid)["stats"][
                "invocations"] >= 30)
            stats = trigger_of(srv, "one", tid)["stats"]
            self.assertEqual((stats["invocations"], stats["failures"]),
                             (30, 0))

    def test_trigger_api_refusals(self):
        srv = self.server
        upload(srv, "api", "hello")
        path = "/api/v1/functions/api/triggers"
        for body in ({}, {"collection": "a", "topic": "b"},
                     {"collection": "bad.name"}, {"collection": "a",
                                                  "operations": ["GET"]},
                     {"topic": "a/#/b"}, {"topic": "$SYS/x"},
                     {"topic": "a", "output": "no.dots"},
                     {"collection": "a", "after_sequence": 10 ** 12},
                     {"collection": "function_dead_letters"}):
            st, _, b = srv.request("POST", path, body)
            self.assertEqual(st, 400, (body, b))
        self.assertEqual(srv.request("POST", "/api/v1/functions/nope/triggers",
                                     {"collection": "a"})[0], 404)
        ids = [add_trigger(srv, "api", {"collection": "c%d" % i})["id"]
               for i in range(16)]
        st, _, b = srv.request("POST", path, {"collection": "x"})
        self.assertEqual(st, 409, b)
        self.assertEqual(srv.request("DELETE", path + "/" + ids[0])[0], 204)
        self.assertEqual(srv.request("DELETE", path + "/" + ids[0])[0], 404)
        # deleting the function takes its triggers along
        srv.request("DELETE", "/api/v1/functions/api")
        upload(srv, "api", "hello")
        self.assertEqual(srv.json("GET", path)[2]["triggers"], [])


class ChangeTriggerRestartTest(unittest.TestCase):
    """At least once across restarts: 200 events committed at once, the
    server stopped before the trigger got far (SIGTERM), then a second
    batch and kill -9 while it works through it; after each restart every
    event is processed, and the trigger resumes at (not before) the
    checkpoint it had saved."""

    def run_batch(self, srv, first):
        q = ("FOR i IN %d..%d INSERT {_key: CONCAT('o', i), n: i} INTO orders"
             % (first, first + 199))
        st, _, b = srv.request("POST", "/query/aql", {"query": q})
        self.assertIn(st, (200, 201), b)

    def checkpoint(self, srv, tid):
        return trigger_of(srv, "seen", tid)["checkpoint"]

    def test_every_event_processed_across_restarts(self):
        srv = Server(args=FAST).start()
        try:
            upload(srv, "seen", "trigger_seen")
            srv.request("POST", "/v1/collections", {"name": "orders"})
            tid = add_trigger(srv, "seen", {"collection": "orders"})["id"]
            start = self.checkpoint(srv, tid)
            # SIGTERM before the trigger got far; kill -9 once it has
            # processed part of the second batch
            for first, stop, seen in ((1, srv.stop, 0), (1001, srv.kill9, 250)):
                self.run_batch(srv, first)
                wait_for(lambda: len(docs(srv, "seen")) >= seen)
                saved = self.checkpoint(srv, tid)
                stop()
                srv.start()
                # resumes from the durable checkpoint (never behind it)
                self.assertGreaterEqual(self.checkpoint(srv, tid), saved)
                if seen:
                    self.assertGreater(saved, start)
            _, _, b = srv.json("GET", "/changefeed?collection=orders&"
                               "from_seq=%d&limit=1000" % start)
            want = {str(e["sequence"]) for e in b["events"]
                    if e.get("type") == "PUT"}
            self.assertEqual(len(want), 400)
            got = wait_for(lambda: want <= {d["_key"] for d in
                                            docs(srv, "seen")} and True,
                           timeout=30)
            self.assertTrue(got)
            tip = srv.json("GET", "/changefeed?from_seq=now")[2][
                "latest_sequence"]
            wait_for(lambda: self.checkpoint(srv, tid) >= tip - 1)
        finally:
            srv.stop()
            srv.cleanup()


class MqttTriggerTest(FunctionsBase):
    def test_transform_into_a_collection_and_republish(self):
        srv = self.server
        upload(srv, "xform", "mqtt_transform")
        t = add_trigger(srv, "xform", {"topic": "sensors/+/temp",
                                       "output": "readings"})
        self.assertEqual((t["topic"], t["output"]), ("sensors/+/temp",
                                                     "readings"))
        sub = subprocess.Popen(
            ["mosquitto_sub", "-p", str(srv.mqtt_port), "-t", "out/#", "-v",
             "-C", "1", "-W", "10"], stdout=subprocess.PIPE, text=True)
        wait_subscriptions(srv, 2)  # the trigger's and mosquitto_sub's
        pub = lambda topic, msg: subprocess.run(  # noqa: E731
            ["mosquitto_pub", "-p", str(srv.mqtt_port), "-t", topic, "-m",
             msg], check=True, timeout=10)
        pub("sensors/s1/hum", '{"h":40}')  # no match
        pub("sensors/s1/temp", '{"t":21.5}')
        got = wait_for(lambda: docs(srv, "readings"))
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["reading"], {"t": 21.5})
        self.assertEqual(got[0]["topic"], "sensors/s1/temp")
        out, _ = sub.communicate(timeout=15)
        topic, payload = out.strip().split(" ", 1)
        self.assertEqual(topic, "out/reading")
        self.assertEqual(json.loads(payload)["reading"], {"t": 21.5})
        _, _, m = srv.request("GET", "/metrics")
        self.assertRegex(m.decode(), r'themis_function_trigger_invocations_'
                         r'total\{source="mqtt",result="ok"\} [1-9]')


class TriggerTenantTest(FunctionsBase):
    server_args = ["--set", "auth.jwt_secret=" + SECRET]
    server_env = {"THEMIS_AUTH_REQUIRED": "true"}

    def test_a_trigger_sees_its_tenant_only(self):
        srv = self.server
        acme = bearer(make_jwt(SECRET, "alice", "acme"))
        beta = bearer(make_jwt(SECRET, "bob", "beta"))
        upload(srv, "seen", "trigger_seen", acme)
        t = add_trigger(srv, "seen", {"collection": "orders"}, acme)
        for who, key in ((beta, "b1"), (acme, "a1")):
            srv.request("POST", "/v1/collections", {"name": "orders"}, who)
            st, _, b = srv.request("PUT", "/v1/collections/orders/documents/"
                                   + key, {"k": key}, who)
            self.assertIn(st, (200, 201), b)
        got = wait_for(lambda: docs(srv, "seen", acme))
        time.sleep(0.5)
        got = docs(srv, "seen", acme)
        self.assertEqual([d["key"] for d in got], ["a1"])
        self.assertFalse(docs(srv, "seen", beta))
        # beta can neither see nor delete acme's trigger
        path = "/api/v1/functions/seen/triggers"
        self.assertEqual(srv.request("GET", path, None, beta)[0], 404)
        self.assertEqual(srv.request("DELETE", path + "/" + t["id"], None,
                                     beta)[0], 404)

    def test_an_mqtt_trigger_sees_its_tenants_tree_only(self):
        srv = self.server
        acme_tok = make_jwt(SECRET, "alice", "acme")
        beta_tok = make_jwt(SECRET, "bob", "beta")
        acme, beta = bearer(acme_tok), bearer(beta_tok)
        upload(srv, "xform", "mqtt_transform", acme)
        add_trigger(srv, "xform", {"topic": "plant/#", "output": "readings"},
                    acme)

        def client(tool, tok, *args):
            return [tool, "-p", str(srv.mqtt_port), "-u", "x", "-P", tok,
                    *args]
        subs = [subprocess.Popen(client("mosquitto_sub", tok, "-t", "out/#",
                                        "-C", "1", "-W", "8"),
                                 stdout=subprocess.PIPE, text=True)
                for tok in (acme_tok, beta_tok)]
        wait_subscriptions(srv, 3)
        for tok, msg in ((beta_tok, '{"from":"beta"}'),
                         (acme_tok, '{"from":"acme"}')):
            subprocess.run(client("mosquitto_pub", tok, "-t", "plant/t1",
                                  "-m", msg), check=True, timeout=10)
        got = wait_for(lambda: docs(srv, "readings", acme))
        time.sleep(0.5)
        got = docs(srv, "readings", acme)
        self.assertEqual([d["reading"] for d in got], [{"from": "acme"}])
        self.assertFalse(docs(srv, "readings", beta))
        # the republished message stays in acme's tree
        a_out, _ = subs[0].communicate(timeout=10)
        b_out, _ = subs[1].communicate(timeout=10)
        self.assertIn('"from":"acme"', a_out)
        self.assertEqual(b_out, "")


if __name__ == "__main__":
    unittest.main()
