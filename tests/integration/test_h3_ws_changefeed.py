"""Changefeed WebSockets over HTTP/3 (RFC 9220, issue 19) against the real
themisd: /v2/changes, /v1/changes/ws and GraphQL subscriptions
(graphql-transport-ws) on an extended CONNECT stream, with the client of
test_h3_websocket.py (tests/clients/h3_ws_client.cpp). A REST write's
event arrives on the stream (also as a graphql-transport-ws `changes`
`next`, and as MessagePack with themis.changes.msgpack); a resume from a
sequence replays exactly what follows it; the endpoints' own subprotocol
refusals and auth/tenant
checks apply as over HTTP/1.1; a client's RESET_STREAM frees the
subscription at once; a slow reader (a client that stops reading its
socket) ends with the overflow notice instead of growing the server's
memory; a drain ends the WebSocket with a close frame (1001) and FIN;
and overload.max_connections_per_ip counts QUIC connections with the
TCP ones."""

import json
import os
import signal
import subprocess
import time
import unittest

import test_h3_websocket as h3ws  # (the module: its tests are not re-run)
from test_h3_websocket import CLIENT, H3WsStream
from test_http3 import free_udp_port
from themis_harness import Server
from tokens import bearer, make_jwt

SECRET = "h3 changefeed test secret, long!"


class H3Feed(H3WsStream):
    """An H3WsStream for the text (JSON) messages of the changefeed."""

    def cmd(self, c):
        self.p.stdin.write(c + "\n")
        self.p.stdin.flush()

    def send_text(self, msg):
        self.cmd("text " + msg)

    def recv_json(self, timeout=10):
        """The next text message as JSON (None: closed or timed out)."""
        deadline = time.monotonic() + timeout
        while not self.ended:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            line = self._next(left)
            if line is None:
                return None
            if line.startswith("text "):
                return json.loads(line[5:])
            if line.startswith("wsclose "):
                return None
        return None

    def recv_binary(self, timeout=10):
        """The next binary message's bytes (None: closed or timed out)."""
        deadline = time.monotonic() + timeout
        while not self.ended and time.monotonic() < deadline:
            line = self._next(max(0.01, deadline - time.monotonic()))
            if line is None:
                return None
            if line.startswith("recv "):
                return bytes.fromhex(line[5:])
        return None

    def recv_type(self, want, timeout=10):
        """Messages until one of type `want` (heartbeats skipped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.recv_json(deadline - time.monotonic())
            if m is None or m.get("type") == want:
                return m
        return None

    def wait_end(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not self.ended and time.monotonic() < deadline:
            self._next(0.5)


def tls_args(d, port):
    return ["--tls-cert", os.path.join(d, "server.crt"),
            "--tls-key", os.path.join(d, "server.key"),
            "--https-port", str(port), "--mqtts-port", "0",
            "--set", "changefeed.heartbeat_ms=300"]


@unittest.skipUnless(CLIENT and os.path.exists(CLIENT),
                     "h3_ws_client not built (H3_WS_CLIENT)")
class H3ChangefeedTest(unittest.TestCase):
    # the server of test_h3_websocket.py (TLS, HTTP/3 on the HTTPS port)
    setUpClass = classmethod(h3ws.H3WebSocketTest.setUpClass.__func__)
    tearDownClass = classmethod(h3ws.H3WebSocketTest.tearDownClass.__func__)

    def feed(self, path, port=None, **kw):
        s = H3Feed(port or self.port, path, **kw)
        self.addCleanup(s.close)
        return s

    def put(self, coll, key, doc, srv=None):
        st, _, body = (srv or self.srv).json(
            "PUT", "/entities/%s:%s" % (coll, key), {"blob": json.dumps(doc)})
        self.assertIn(st, (200, 201))
        return int(body["_rev"])

    def tip(self):
        _, _, b = self.srv.json("GET", "/changefeed?from_seq=now")
        return b["latest_sequence"]

    def subscribers(self):
        _, _, body = self.srv.request("GET", "/metrics")
        for line in body.decode().splitlines():
            if line.startswith("themis_changefeed_subscribers "):
                return int(float(line.split()[1]))
        return -1

    def test_subscribe_rest_write_arrives(self):
        start = self.tip()
        s1 = self.put("h3cf", "a", {"n": 1})
        s = self.feed("/v2/changes?from_sequence=%d" % start)
        self.assertEqual(s.status, 200, s.text())
        self.assertNotIn("sec-websocket-accept", s.headers)
        sub = s.recv_json()
        self.assertEqual((sub["type"], sub["from_sequence"]),
                         ("subscribed", start), s.text())
        ev = s.recv_json()
        self.assertEqual((ev["sequence"], ev["value"]["n"]), (s1, 1))
        # live: a write after the subscription arrives on the stream
        s2 = self.put("h3cf", "b", {"n": 2})
        ev = s.recv_json()
        self.assertEqual((ev["sequence"], ev["key"]), (s2, "b"), s.text())
        # a bad client message gets the endpoint's error, as over TCP
        s.send_text("not json")
        err = s.recv_json()
        self.assertEqual((err["type"], err["status_code"]), ("error", 400))
        s.close()
        self.assertEqual(s.ws_close, 1000, s.text())
        self.assertIsNone(s.reset, s.text())
        self.assertEqual(s.p.returncode, 0, s.text())

    def test_resume_from_a_sequence(self):
        seqs = [self.put("h3resume", "k%d" % i, {"i": i}) for i in range(5)]
        # exclusive: after seqs[1] come seqs[2..4], nothing before
        s = self.feed("/v1/changes/ws")
        s.send_text(json.dumps({"action": "subscribe",
                                "collection": "h3resume",
                                "from_sequence": seqs[1]}))
        self.assertEqual(s.recv_json()["type"], "subscribed", s.text())
        got = []
        while len(got) < 3:
            m = s.recv_json()
            self.assertIsNotNone(m, s.text())
            if "sequence" in m and m.get("type") not in ("heartbeat",):
                got.append(m["sequence"])
        self.assertEqual(got, seqs[2:])

    def test_graphql_transport_ws_subscription(self):
        s = self.feed("/graphql", subprotocol="graphql-transport-ws")
        self.assertEqual(s.status, 200, s.text())
        self.assertEqual(s.headers.get("sec-websocket-protocol"),
                         "graphql-transport-ws")
        s.send_text(json.dumps({"type": "connection_init"}))
        self.assertEqual(s.recv_json()["type"], "connection_ack", s.text())
        s.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": "{ __typename }"}}))
        msg = s.recv_type("next")
        self.assertIsNotNone(msg, s.text())
        self.assertEqual(msg["id"], "1")
        self.assertEqual(msg["payload"]["data"]["__typename"], "Query")
        # a live `changes` subscription: a REST write arrives as `next`
        s.send_text(json.dumps({"id": "c", "type": "subscribe", "payload": {
            "query": "subscription { changes(collection: \"h3gql\") "
                     "{ key } }"}}))
        s.send_text(json.dumps({"type": "ping"}))  # (it is in place)
        self.assertIsNotNone(s.recv_type("pong"), s.text())
        self.put("h3gql", "live", {"v": 1})
        msg = s.recv_type("next")
        self.assertIsNotNone(msg, s.text())
        self.assertEqual((msg["id"], msg["payload"]["data"]["changes"]),
                         ("c", {"key": "live"}))
        s.close()
        self.assertEqual(s.ws_close, 1000, s.text())

    def test_msgpack_subprotocol(self):
        s = self.feed("/v2/changes?from_sequence=now",
                      subprotocol="themis.changes.msgpack")
        self.assertEqual(s.status, 200, s.text())
        self.assertEqual(s.headers.get("sec-websocket-protocol"),
                         "themis.changes.msgpack")
        first = s.recv_binary()  # a MessagePack map, not JSON text
        self.assertIsNotNone(first, s.text())
        self.assertIn(b"subscribed", first)
        self.assertNotEqual(first[:1], b"{")
        self.put("h3mp", "bin", {"n": 7})
        ev = s.recv_binary()
        self.assertIsNotNone(ev, s.text())
        self.assertIn(b"h3mp", ev)

    def test_bad_subprotocol_refused(self):
        s = self.feed("/graphql", subprotocol="graphql-ws")
        self.assertEqual(s.status, 400, s.text())
        s = self.feed("/graphql")
        self.assertEqual(s.status, 400, s.text())

    def test_client_reset_frees_the_subscription(self):
        before = self.subscribers()
        s = self.feed("/v1/changes/ws")
        s.send_text(json.dumps({"action": "subscribe",
                                "from_sequence": "now"}))
        self.assertEqual(s.recv_json()["type"], "subscribed", s.text())
        self.assertEqual(self.subscribers(), before + 1)
        s.cmd("abort")  # RESET_STREAM + STOP_SENDING, connection stays
        deadline = time.monotonic() + 5
        while self.subscribers() != before and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.subscribers(), before, s.text())
        self.assertFalse(s.ended, s.text())  # (only the stream went)

    def test_slow_reader_overflows_not_grows(self):
        port = free_udp_port()
        srv = Server(args=tls_args(self.dir, port) + [
            "--set", "changefeed.max_queue_bytes=65536"]).start()
        self.addCleanup(srv.cleanup)
        self.addCleanup(srv.stop)
        s = self.feed("/v2/changes?from_sequence=now", port=port)
        self.assertEqual(s.recv_json()["type"], "subscribed", s.text())
        s.cmd("pause")  # nothing read, nothing acknowledged
        pad = "x" * 4000
        for i in range(40):  # ~160 KB of events, 2.5x the bound
            self.put("h3slow", "k%d" % i, {"pad": pad}, srv=srv)
        s.cmd("resume")
        deadline = time.monotonic() + 20
        overflow = None
        while time.monotonic() < deadline and s.ws_close is None:
            m = s.recv_json(deadline - time.monotonic())
            if m and m.get("type") == "overflow":
                overflow = m
        self.assertIsNotNone(overflow, s.text()[-2000:])
        self.assertIn("last_sequence", json.dumps(overflow))
        self.assertEqual(s.ws_close, 1011, s.text()[-2000:])

    def test_drain_closes_with_1001_then_fin(self):
        port = free_udp_port()
        srv = Server(args=tls_args(self.dir, port)).start()
        self.addCleanup(srv.cleanup)
        self.addCleanup(srv.stop)
        s = self.feed("/v2/changes?from_sequence=now", port=port)
        self.assertEqual(s.recv_json()["type"], "subscribed", s.text())
        srv.proc.send_signal(signal.SIGTERM)
        s.wait_end(15)
        self.assertEqual(s.ws_close, 1001, s.text())
        self.assertIsNone(s.reset, s.text())
        self.assertIn("fin", s.log, s.text())
        self.assertEqual(srv.proc.wait(timeout=20), 0, srv.read_log()[-3000:])

    def test_auth_and_tenant_checks(self):
        port = free_udp_port()
        srv = Server(args=tls_args(self.dir, port) + [
            "--set", "auth.jwt_secret=" + SECRET],
            env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        self.addCleanup(srv.cleanup)
        self.addCleanup(srv.stop)
        acme = make_jwt(SECRET, "alice", "acme")
        beta = make_jwt(SECRET, "bob", "beta")
        for tok in (acme, beta):
            st, _, _ = srv.json("POST", "/v1/collections", {"name": "orders"},
                                bearer(tok))
            self.assertIn(st, (200, 201))
        s = self.feed("/v2/changes?from_sequence=now", port=port)
        self.assertEqual(s.status, 401, s.text())  # no token
        s = self.feed("/v2/changes?from_sequence=now", port=port,
                      headers=["authorization: Bearer " + acme])
        self.assertEqual(s.status, 200, s.text())
        self.assertEqual(s.recv_json()["type"], "subscribed", s.text())
        for tok, key in ((beta, "h3-b"), (acme, "h3-a")):
            st, _, _ = srv.json("PUT", "/v1/collections/orders/documents/" +
                                key, {"t": key}, bearer(tok))
            self.assertIn(st, (200, 201))
        got = []
        while not any(g.get("key") == "h3-a" for g in got):
            m = s.recv_json()
            self.assertIsNotNone(m, s.text())
            got.append(m)
        self.assertNotIn("h3-b", json.dumps(got))  # beta's event: not seen

    def test_max_connections_per_ip_counts_quic(self):
        port = free_udp_port()
        srv = Server(args=tls_args(self.dir, port) + [
            "--set", "overload.max_connections_per_ip=2"]).start()
        self.addCleanup(srv.cleanup)
        self.addCleanup(srv.stop)
        held = [self.feed("/v1/changes/ws", port=port) for _ in range(2)]
        for s in held:
            self.assertEqual(s.status, 200, s.text())
        # a third QUIC connection from this IP gets no answer
        s = H3Feed(port, "/v1/changes/ws", timeout=3)
        self.addCleanup(s.close)
        self.assertEqual(s.status, 0, s.text())
        s.close()
        self.assertEqual(s.p.returncode, 3, s.text())  # (timed out)
        # and the TCP listeners count the QUIC ones: refused too
        r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w",
                            "%{http_code}", "--max-time", "5",
                            "http://127.0.0.1:%d/health" % srv.port],
                           capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.stdout, "200", r)
        # a slot given back is usable again
        held[0].close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w",
                                "%{http_code}", "--max-time", "5",
                                "http://127.0.0.1:%d/health" % srv.port],
                               capture_output=True, text=True, timeout=20)
            if r.stdout == "200":
                break
            time.sleep(0.1)
        self.assertEqual(r.stdout, "200")


if __name__ == "__main__":
    unittest.main(verbosity=2)
