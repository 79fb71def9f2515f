"""ThemisDB changefeed compatibility against the real themisd: the ThemisDB
event format on the long poll and SSE (?format=themisdb), bounded SSE
(max_seconds, max_events, keep_alive, retry_ms), at-least-once consumers
(consumer_id, ack_timeout_ms, POST /changefeed/stream/ack, persisted across
a restart), /changefeed/stats and /retention, and ThemisDB's WebSocket
frames on /v2/changes (inclusive from_sequence, cdc_event, ping, query).
SSE is read with curl; WebSocket with python3-websocket."""

import json
import subprocess
import time
import unittest

import websocket  # python3-websocket

from themis_harness import Server, ServerTest
from tokens import bearer, make_jwt

SECRET = "changefeed compat secret, long enough"
ROOT = make_jwt(SECRET, "root", scope="admin")
ACME = make_jwt(SECRET, "alice", "acme")
BETA = make_jwt(SECRET, "bob", "beta")

TABLE = "relational.default.users"


def sse(port, query, max_time=5, headers=()):
    """Runs curl on /changefeed/stream?query for at most max_time s:
    (blocks as dicts, seconds taken, raw text)."""
    cmd = ["curl", "-sN", "--max-time", str(max_time)]
    for h in headers:
        cmd += ["-H", h]
    cmd.append("http://127.0.0.1:%d/changefeed/stream?%s" % (port, query))
    t0 = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    took = time.time() - t0
    blocks = []
    for block in out.split("\n\n"):
        fields = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                fields.setdefault("comment", []).append(line[1:].strip())
            elif ":" in line:
                k, v = line.split(":", 1)
                fields[k] = v[1:] if v.startswith(" ") else v
        if fields:
            blocks.append(fields)
    return blocks, took, out


def events(blocks):
    return [json.loads(b["data"]) for b in blocks
            if "data" in b and "event" not in b]


def ack(srv, consumer, up_to):
    return srv.json("POST", "/changefeed/stream/ack",
                    {"consumer_id": consumer, "up_to_sequence": up_to})


class ThemisdbChangefeedTest(ServerTest):
    def put(self, pk, doc, table=TABLE):
        return self.put_entity(table, pk, doc)

    def delete(self, pk, table=TABLE):
        st, _, _ = self.server.request("DELETE",
                                       "/entities/%s:%s" % (table, pk))
        self.assertEqual(st, 200)
        return self.tip()

    def test_long_poll_in_themisdb_format(self):
        start = self.tip()
        s1 = self.put("42", {"name": "Ada"})
        s2 = self.delete("42")
        self.put_entity("plain", "k", {"x": 1})
        st, _, b = self.server.json(
            "GET", "/changefeed?format=themisdb&from_seq=%d" % start)
        self.assertEqual(st, 200)
        for k in ("count", "events", "latest_sequence", "next_from_seq"):
            self.assertIn(k, b)
        ev = b["events"]
        self.assertEqual(b["count"], len(ev))
        self.assertEqual(ev[0], {
            "key": TABLE + ":42", "metadata": {"pk": "42", "table": TABLE},
            "sequence": s1, "timestamp_ms": ev[0]["timestamp_ms"],
            "type": "PUT", "value": json.dumps({"name": "Ada"},
                                               separators=(",", ":"))})
        self.assertEqual(json.loads(ev[0]["value"]), {"name": "Ada"})
        self.assertEqual((ev[1]["type"], ev[1]["value"], ev[1]["sequence"]),
                         ("DELETE", None, s2))
        self.assertEqual(ev[2]["key"], "plain:k")
        # key_prefix is on ThemisDB's key, "table:pk"
        _, _, b = self.server.json(
            "GET", "/changefeed?format=themisdb&from_seq=%d&key_prefix=%s:"
            % (start, TABLE))
        self.assertEqual([e["sequence"] for e in b["events"]], [s1, s2])
        # the transaction marker types are accepted as filters
        st, _, b = self.server.json(
            "GET", "/changefeed?format=themisdb&from_seq=%d"
            "&event_types=TRANSACTION_COMMIT,TRANSACTION_ROLLBACK" % start)
        self.assertEqual((st, b["events"]), (200, []))
        # themisd's own shape stays the default
        _, _, b = self.server.json("GET", "/changefeed?from_seq=%d" % start)
        self.assertEqual(b["events"][0]["collection"], "relational__default__users")
        self.assertEqual(b["events"][0]["value"]["name"], "Ada")
        for bad in ("format=xml", "format=themisdb&event_types=NOPE"):
            st, _, b = self.server.json("GET", "/changefeed?" + bad)
            self.assertEqual((st, b["error"], b["status_code"]),
                             (400, True, 400), bad)

    def test_sse_batch_bounds_and_framing(self):
        start = self.tip()
        seqs = [self.put("s%d" % i, {"i": i}) for i in range(3)]
        q = "format=themisdb&from_seq=%d" % start
        blocks, took, raw = sse(self.server.port, q + "&keep_alive=false")
        self.assertLess(took, 4)  # ended by the server, not by curl
        self.assertEqual(blocks[0], {"retry": "3000"})
        self.assertNotIn("event:", raw)  # ThemisDB sends no event: lines
        self.assertEqual([int(b["id"]) for b in blocks if "id" in b], seqs)
        self.assertEqual([e["sequence"] for e in events(blocks)], seqs)
        self.assertEqual(json.loads(events(blocks)[2]["value"]), {"i": 2})
        # max_events ends the stream after N events; retry_ms is the retry
        blocks, took, _ = sse(self.server.port,
                              q + "&max_events=2&retry_ms=500")
        self.assertLess(took, 4)
        self.assertEqual(blocks[0], {"retry": "500"})
        self.assertEqual([e["sequence"] for e in events(blocks)], seqs[:2])
        # Last-Event-ID: exclusive resume
        blocks, _, _ = sse(self.server.port, "format=themisdb&keep_alive=false",
                           headers=["Last-Event-ID: %d" % seqs[0]])
        self.assertEqual([e["sequence"] for e in events(blocks)][:2], seqs[1:])
        # themisd's native framing keeps event: change
        blocks, _, _ = sse(self.server.port, "keep_alive=false&from_seq=%d"
                           % seqs[1])
        self.assertEqual([b.get("event") for b in blocks if "id" in b],
                         ["change"])
        self.assertEqual(blocks[-1]["event"], "end")

    def test_sse_max_seconds_streams_incrementally(self):
        p = subprocess.Popen(
            ["curl", "-sN", "--max-time", "6",
             "http://127.0.0.1:%d/changefeed/stream?format=themisdb&"
             "from_seq=now&max_seconds=2&heartbeat_ms=300" % self.server.port],
            stdout=subprocess.PIPE)
        time.sleep(0.5)
        t0 = time.time()
        s = self.put("live", {"n": 1})
        # the event arrives while the stream is open (not buffered to the end)
        line = b""
        while b"id: %d" % s not in line and time.time() - t0 < 3:
            line = p.stdout.readline()
        self.assertIn(b"id: %d" % s, line)
        self.assertLess(time.time() - t0, 1.5)
        rest = p.stdout.read().decode()
        p.wait(5)
        p.stdout.close()
        self.assertLess(time.time() - t0, 4)  # ended by max_seconds
        self.assertIn(": heartbeat", rest)
        self.assertIn("max_seconds", rest)

    def test_sse_bad_parameters(self):
        for bad in ("max_seconds=0", "max_seconds=x", "max_events=0",
                    "keep_alive=maybe", "retry_ms=5", "heartbeat_ms=1",
                    "ack_timeout_ms=-1", "format=json", "consumer_id=",
                    "consumer_id=a%20b", "consumer_id=" + "x" * 129,
                    "consumer_id=a/b"):
            st, _, b = self.server.json("GET", "/changefeed/stream?" + bad)
            self.assertEqual((st, b["status_code"]), (400, 400), bad)

    def test_consumer_redelivery_and_cumulative_ack(self):
        start = self.tip()
        seqs = [self.put("c%d" % i, {"i": i}) for i in range(3)]
        q = ("format=themisdb&consumer_id=team.a:1&ack_timeout_ms=400"
             "&from_seq=%d" % start)
        # open stream: unacknowledged events are pushed again after 400 ms
        blocks, _, _ = sse(self.server.port, q + "&max_seconds=1")
        got = [e["sequence"] for e in events(blocks)]
        self.assertEqual(got[:3], seqs)
        self.assertGreaterEqual(got.count(seqs[0]), 2, got)
        st, _, b = ack(self.server, "team.a:1", seqs[1])
        self.assertEqual(b, {"acknowledged": 2, "consumer_id": "team.a:1",
                             "up_to_sequence": seqs[1]})
        time.sleep(0.5)
        # next request (no from_seq): what is still unacknowledged first
        blocks, _, _ = sse(self.server.port, "format=themisdb&consumer_id="
                           "team.a:1&ack_timeout_ms=400&keep_alive=false")
        self.assertEqual([e["sequence"] for e in events(blocks)], [seqs[2]])
        self.assertEqual(ack(self.server, "team.a:1", seqs[2])[2]
                         ["acknowledged"], 1)
        s4 = self.put("c4", {"i": 4})
        blocks, _, _ = sse(self.server.port, "format=themisdb&consumer_id="
                           "team.a:1&keep_alive=false")
        self.assertEqual([e["sequence"] for e in events(blocks)], [s4])
        # an unknown consumer: nothing to acknowledge
        self.assertEqual(ack(self.server, "nobody", 5)[:3:2],
                         (200, {"acknowledged": 0, "consumer_id": "nobody",
                                "up_to_sequence": 5}))

    def test_ack_errors(self):
        cases = [({"consumer_id": "x"}, "Required fields"),
                 ({"up_to_sequence": 1}, "Required fields"),
                 ({"consumer_id": "", "up_to_sequence": 1}, "must not be empty"),
                 ({"consumer_id": "a b", "up_to_sequence": 1},
                  "Invalid 'consumer_id'"),
                 ({"consumer_id": "x", "up_to_sequence": -1}, "JSON error"),
                 ({"consumer_id": 5, "up_to_sequence": 1}, "JSON error"),
                 ("{not json", "JSON error"), ([1], "Required fields")]
        for body, want in cases:
            st, _, b = self.server.json("POST", "/changefeed/stream/ack", body)
            self.assertEqual((st, b["error"], b["status_code"]),
                             (400, True, 400), body)
            self.assertIn(want, b["message"], body)

    def test_stats_and_retention(self):
        self.put("st", {"a": 1})
        st, _, b = self.server.json("GET", "/changefeed/stats")
        self.assertEqual(st, 200)
        self.assertEqual(b["latest_sequence"], self.tip())
        self.assertGreaterEqual(b["total_events"], 1)
        self.assertGreater(b["total_size_bytes"], 0)
        for body, want in (({"max_age_ms": 5}, "Only 'before_sequence'"),
                           ({}, "Provide 'before_sequence'"),
                           ({"before_sequence": "x"}, "Provide")):
            st, _, b = self.server.json("POST", "/changefeed/retention", body)
            self.assertEqual(st, 400, body)
            self.assertIn(want, b["message"])
    def ws(self, path="/v2/changes"):
        return websocket.create_connection(
            "ws://127.0.0.1:%d%s" % (self.server.port, path), timeout=5)

    def test_websocket_themisdb_frames(self):
        s1 = self.put("w1", {"n": 1})
        s2 = self.delete("w1")
        self.put_entity("other", "o", {})
        ws = self.ws()
        ws.send(json.dumps({"type": "ping"}))
        pong = json.loads(ws.recv())
        self.assertEqual(pong["type"], "pong")
        self.assertLess(abs(pong["timestamp"] - time.time()), 5)
        ws.send(json.dumps({"type": "subscribe", "channel": "cdc",
                            "from_sequence": s1, "key_prefix": TABLE + ":"}))
        self.assertEqual(json.loads(ws.recv()), {
            "channel": "cdc", "from_sequence": s1, "key_prefix": TABLE + ":",
            "status": "ok", "type": "subscribed"})
        put, dele = json.loads(ws.recv()), json.loads(ws.recv())  # inclusive
        self.assertEqual(put, {
            "event_type": 0, "key": TABLE + ":w1",
            "metadata": {"pk": "w1", "table": TABLE}, "sequence": s1,
            "timestamp_ms": put["timestamp_ms"], "type": "cdc_event",
            "value": '{"n":1}'})
        self.assertEqual((dele["event_type"], dele["sequence"]), (1, s2))
        self.assertNotIn("value", dele)
        # live, filtered on one type
        ws.send(json.dumps({"type": "subscribe", "channel": "changefeed",
                            "from_sequence": self.tip() + 1,
                            "filter": {"type": "DELETE"}}))
        self.assertEqual(json.loads(ws.recv())["type"], "subscribed")
        self.put("w2", {"n": 2})
        s4 = self.delete("w2")
        ev = json.loads(ws.recv())
        self.assertEqual((ev["event_type"], ev["sequence"]), (1, s4))
        for frame, reply in (
                ({"type": "bogus"}, {"message": "Unknown message type",
                                     "received_type": "bogus",
                                     "type": "error"}),
                ({"no": "type"}, {"message": "Unknown message type",
                                  "received_type": "unknown",
                                  "type": "error"})):
            ws.send(json.dumps(frame))
            self.assertEqual(json.loads(ws.recv()), reply)
        ws.send("{not json")
        err = json.loads(ws.recv())
        self.assertEqual((err["type"], err["message"]),
                         ("error", "Invalid JSON"))
        self.assertIn("error", err)
        ws.send(json.dumps({"type": "query",
                            "aql": "FOR d IN other RETURN d._key"}))
        q = json.loads(ws.recv())
        self.assertEqual((q["type"], q["status"], q["http_status"]),
                         ("query_response", "ok", 200))
        self.assertEqual(q["result"], ["o"])
        ws.send(json.dumps({"type": "query", "aql": "FOR"}))
        q = json.loads(ws.recv())
        self.assertEqual((q["type"], q["status"]), ("query_response", "error"))
        self.assertGreaterEqual(q["http_status"], 400)
        ws.send(json.dumps({"type": "unsubscribe", "channel": "cdc"}))
        self.assertEqual(json.loads(ws.recv()), {
            "channel": "cdc", "status": "ok", "type": "unsubscribed"})
        self.put("w3", {})
        self.delete("w3")
        # themisd's own frames still work on the same socket
        ws.send(json.dumps({"action": "subscribe", "collection": "other",
                            "from_sequence": 0}))
        sub = json.loads(ws.recv())
        self.assertEqual(sub["type"], "subscribed")
        ev = json.loads(ws.recv())  # no DELETE of w3 came in between
        self.assertEqual((ev["subscription"], ev["key"]), (sub["subscription"],
                                                           "o"))
        ws.close()

    def test_websocket_url_auto_subscription(self):
        s1 = self.put("u1", {"u": 1})
        ws = self.ws("/v2/changes?format=themisdb&from_sequence=%d" % s1)
        welcome = json.loads(ws.recv())
        self.assertEqual((welcome["type"], welcome["server"],
                          welcome["protocol"]),
                         ("welcome", "ThemisDB", "WebSocket"))
        self.assertEqual(len(welcome["session_id"]), 36)
        ev = json.loads(ws.recv())  # inclusive, no subscribed frame
        self.assertEqual((ev["type"], ev["sequence"]), ("cdc_event", s1))
        ws.close()
        # without format=themisdb: themisd's (exclusive) auto-subscription
        ws = self.ws("/v2/changes?from_sequence=%d" % (s1 - 1))
        self.assertEqual(json.loads(ws.recv())["type"], "subscribed")
        self.assertEqual(json.loads(ws.recv())["sequence"], s1)
        ws.close()
        st, _, _ = self.server.request(
            "GET", "/v2/changes?format=xml&from_sequence=1",
            headers={"Upgrade": "websocket", "Connection": "Upgrade",
                     "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                     "Sec-WebSocket-Version": "13"})
        self.assertEqual(st, 400)


class RetentionTest(ServerTest):
    """POST /changefeed/retention on a server of its own (it deletes the
    log other tests read)."""

    def test_cut_deletes_and_resume_before_it_is_410(self):
        for i in range(3):
            self.put_entity(TABLE, "r%d" % i, {"i": i})
        tip = self.tip()
        st, _, b = self.server.json("POST", "/changefeed/retention",
                                    {"before_sequence": tip})
        self.assertEqual(st, 200, b)
        self.assertEqual((b["before_sequence"], b["deleted"]),
                         (tip, tip - 1))
        st, _, b = self.server.json("GET", "/changefeed/stats")
        self.assertEqual(b["total_events"], 1)
        st, _, b = self.server.json("GET", "/changefeed?from_seq=%d"
                                    % (tip - 2))
        self.assertEqual(st, 410, b)
        st, _, b = self.server.json("GET", "/changefeed?from_seq=%d"
                                    % (tip - 1))
        self.assertEqual(st, 200, b)
        self.assertEqual([e["sequence"] for e in b["events"]], [tip])
        # the same cut again deletes nothing; one beyond the head takes the
        # rest, and sequences go on from where they were
        for before, deleted in ((tip, 0), (tip + 100, 1)):
            st, _, b = self.server.json("POST", "/changefeed/retention",
                                        {"before_sequence": before})
            self.assertEqual((st, b["deleted"]), (200, deleted))
        st, _, b = self.server.json("GET", "/changefeed/stats")
        self.assertEqual(b["total_events"], 0)
        self.put_entity(TABLE, "after", {})
        self.assertEqual(self.tip(), tip + 1)


class TenantTransactionTest(unittest.TestCase):
    """Markers from HTTP transactions and consumer ids, per tenant."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET],
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def call(self, method, path, tok, body=None, headers=None):
        return self.srv.json(method, path, body,
                             dict(bearer(tok), **(headers or {})))

    def poll(self, tok, query):
        st, _, b = self.call("GET", "/changefeed?" + query, tok)
        self.assertEqual(st, 200, b)
        return b["events"]

    def test_commit_markers_in_the_themisdb_format_only(self):
        tip = self.call("GET", "/changefeed?from_seq=now", ROOT)[2][
            "latest_sequence"]
        for tok, pk in ((ACME, "a1"), (BETA, "b1")):
            st, _, tx = self.call("POST", "/transaction/begin", tok, {})
            self.assertEqual(st, 200, tx)
            h = {"X-Transaction-Id": tx["transaction_id"]}
            st, _, _ = self.call("PUT", "/entities/%s:%s" % (TABLE, pk), tok,
                                 {"blob": "{}"}, h)
            self.assertIn(st, (200, 201))
            st, _, _ = self.call("POST", "/transaction/commit", tok,
                                 {"transaction_id": tx["transaction_id"]})
            self.assertEqual(st, 200)
        acme = self.poll(ACME, "format=themisdb&from_seq=%d" % tip)
        types = [e["type"] for e in acme]
        self.assertEqual(types, ["PUT", "TRANSACTION_COMMIT"])
        self.assertEqual(acme[0]["key"], TABLE + ":a1")
        mark = acme[1]
        self.assertEqual((mark["key"], mark["value"]), ("", None))
        self.assertEqual(mark["metadata"]["operations"], 1)
        self.assertIsInstance(mark["metadata"]["transaction_id"], str)
        # nothing of beta's row (its key b1) in acme's feed; the random
        # transaction id may contain "b1" by chance, so only keys and values
        self.assertFalse(any("b1" in e["key"] or "b1" in json.dumps(
            e.get("value")) for e in acme), acme)
        # the global admin sees both tenants' markers
        root = self.poll(ROOT, "format=themisdb&from_seq=%d" % tip)
        self.assertEqual([e["type"] for e in root].count(
            "TRANSACTION_COMMIT"), 2)
        # themisd's format skips markers (a gap in the sequences)
        native = self.poll(ACME, "from_seq=%d" % tip)
        self.assertEqual([e["type"] for e in native], ["PUT"])
        # a key_prefix filter leaves markers out
        only = self.poll(ACME, "format=themisdb&from_seq=%d&key_prefix=%s:"
                         % (tip, TABLE))
        self.assertEqual([e["type"] for e in only], ["PUT"])

    def test_consumer_ids_are_per_tenant(self):
        tip = self.call("GET", "/changefeed?from_seq=now", ROOT)[2][
            "latest_sequence"]
        st, _, _ = self.call("PUT", "/entities/t:k", ACME, {"blob": "{}"})
        self.assertIn(st, (200, 201))
        q = "format=themisdb&consumer_id=shared&keep_alive=false&from_seq=%d"
        a, _, _ = sse(self.srv.port, q % tip,
                      headers=["Authorization: Bearer " + ACME])
        seq = events(a)[0]["sequence"]
        # beta's "shared" is another consumer: its ack removes nothing of
        # acme's, and acme's consumer still has the event pending
        st, _, b = self.call("POST", "/changefeed/stream/ack", BETA,
                             {"consumer_id": "shared", "up_to_sequence": seq})
        self.assertEqual((st, b["acknowledged"]), (200, 0))
        st, _, b = self.call("POST", "/changefeed/stream/ack", ACME,
                             {"consumer_id": "shared", "up_to_sequence": seq})
        self.assertEqual((st, b["acknowledged"]), (200, 1))
        # stats and retention are for the global namespace's admin
        for tok in (ACME, BETA):
            st, _, _ = self.call("GET", "/changefeed/stats", tok)
            self.assertEqual(st, 403)
        st, _, _ = self.call("GET", "/changefeed/stats", ROOT)
        self.assertEqual(st, 200)


class ConsumerRestartTest(unittest.TestCase):
    def test_acknowledged_position_survives_a_restart(self):
        srv = Server().start()
        try:
            seqs = []
            for i in range(3):
                st, _, b = srv.json("PUT", "/entities/%s:r%d" % (TABLE, i),
                                    {"blob": json.dumps({"i": i})})
                seqs.append(int(b["_rev"]))
            blocks, _, _ = sse(srv.port, "format=themisdb&consumer_id=keep"
                               "&keep_alive=false")
            self.assertEqual([e["sequence"] for e in events(blocks)], seqs)
            self.assertEqual(ack(srv, "keep", seqs[0])[2]["acknowledged"], 1)
            self.assertEqual(srv.stop(), 0)
            srv.start()
            # everything after the last acknowledgement comes again
            blocks, _, _ = sse(srv.port, "format=themisdb&consumer_id=keep"
                               "&keep_alive=false")
            self.assertEqual([e["sequence"] for e in events(blocks)],
                             seqs[1:])
            self.assertEqual(ack(srv, "keep", seqs[2])[2]["acknowledged"], 2)
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
