"""WebSocket over HTTP/2 (RFC 8441) against the real themisd: the server's
SETTINGS_ENABLE_CONNECT_PROTOCOL, extended CONNECT with `:protocol:
websocket` on the WebSocket routes (themisd's changefeed, ThemisDB's
format, GraphQL over graphql-transport-ws) over h2c and h2 on TLS, live
changes received, the close handshake mapped to END_STREAM, REST on the
same connection meanwhile, and the refusals (no :protocol, an unknown
protocol, :protocol before our SETTINGS are acknowledged, a route that is
no WebSocket endpoint, a second subscriber on one connection). The client
is tests/clients/h2_ws_client.py (python3-h2)."""

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

import hpack

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from h2_ws_client import H2Connection, H2Error, H2WebSocket  # noqa: E402
from themis_harness import Server, free_port  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ENABLE_CONNECT_PROTOCOL = 0x8


class H2WebSocketTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="themis_h2ws_")
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "dev-certs.sh"),
                        cls.dir], check=True, capture_output=True, timeout=60)
        cls.https_port = free_port()
        cls.srv = Server(args=[
            "--tls-cert", os.path.join(cls.dir, "server.crt"),
            "--tls-key", os.path.join(cls.dir, "server.key"),
            "--https-port", str(cls.https_port), "--mqtts-port", "0",
            "--set", "changefeed.heartbeat_ms=300"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def conn(self, tls=False):
        c = H2Connection(self.https_port if tls else self.srv.port, tls=tls)
        self.addCleanup(c.close)
        return c

    def put(self, coll, key, doc):
        st, _, body = self.srv.json("PUT", "/entities/%s:%s" % (coll, key),
                                    {"blob": json.dumps(doc)})
        self.assertIn(st, (200, 201))
        return int(body["_rev"])

    def tip(self):
        _, _, b = self.srv.json("GET", "/changefeed?from_seq=now")
        return b["latest_sequence"]

    def recv_json(self, ws):
        m = ws.recv()
        self.assertIsNotNone(m, "closed with %r" % ws.close_code)
        return json.loads(m)

    def changefeed(self, tls):
        c = self.conn(tls)
        self.assertEqual(c.remote_settings.get(ENABLE_CONNECT_PROTOCOL), 1)
        start = self.tip()
        s1 = self.put("h2ws", "a", {"n": 1})
        ws = H2WebSocket(c, "/v2/changes?from_sequence=%d" % start)
        self.assertEqual(ws.status, 200)
        self.assertNotIn("sec-websocket-accept", ws.headers)
        sub = self.recv_json(ws)
        self.assertEqual((sub["type"], sub["from_sequence"]),
                         ("subscribed", start))
        ev = self.recv_json(ws)
        self.assertEqual((ev["sequence"], ev["value"]["n"]), (s1, 1))
        # live: a write after the subscription arrives on the stream
        s2 = self.put("h2ws", "b", {"n": 2})
        ev = self.recv_json(ws)
        self.assertEqual((ev["sequence"], ev["key"]), (s2, "b"))
        # REST on other streams of the same connection meanwhile
        st, _, body = c.request("GET", "/health")
        self.assertEqual(st, 200)
        # messages from the client: a bad one gets the endpoint's error
        ws.send_text("not json")
        err = self.recv_json(ws)
        self.assertEqual((err["type"], err["status_code"]), ("error", 400))
        ws.close(1000)
        self.assertEqual(ws.close_code, 1000)
        self.assertIn(ws.sid, c.ended)  # END_STREAM after the close frames
        self.assertNotIn(ws.sid, c.resets)
        # the connection lives on, and takes a new WebSocket
        ws2 = H2WebSocket(c, "/v1/changes/ws")
        self.assertEqual(ws2.status, 200)
        ws2.close()

    def test_changefeed_over_h2c(self):
        self.changefeed(tls=False)

    def test_changefeed_over_h2_tls(self):
        self.changefeed(tls=True)

    def test_themisdb_format(self):
        c = self.conn()
        start = self.tip()
        ws = H2WebSocket(c, "/v2/changes?format=themisdb&from_sequence=%d" %
                         (start + 1))
        self.assertEqual(ws.status, 200)
        self.assertEqual(self.recv_json(ws)["type"], "welcome")
        seq = self.put("h2tdb", "k", {"v": "x"})
        ev = self.recv_json(ws)
        while ev.get("type") in ("pong", "heartbeat"):
            ev = self.recv_json(ws)
        self.assertIn(str(seq), json.dumps(ev))
        ws.close()

    def test_graphql_transport_ws(self):
        c = self.conn()
        ws = H2WebSocket(c, "/graphql", subprotocols=["graphql-transport-ws"])
        self.assertEqual(ws.status, 200)
        self.assertEqual(ws.headers.get("sec-websocket-protocol"),
                         "graphql-transport-ws")
        ws.send_text(json.dumps({"type": "connection_init"}))
        self.assertEqual(self.recv_json(ws)["type"], "connection_ack")
        ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": "{ __typename }"}}))
        msg = self.recv_json(ws)
        self.assertEqual((msg["type"], msg["id"]), ("next", "1"))
        self.assertEqual(msg["payload"]["data"]["__typename"], "Query")
        ws.close()

    def test_client_reset_ends_the_subscription(self):
        c = self.conn()
        ws = H2WebSocket(c, "/v1/changes/ws")
        ws.send_text(json.dumps({"action": "subscribe",
                                 "from_sequence": "now"}))
        self.assertEqual(self.recv_json(ws)["type"], "subscribed")
        c.conn.reset_stream(ws.sid)
        c.flush()
        # the slot is free again on this connection
        ws2 = H2WebSocket(c, "/v1/changes/ws")
        self.assertEqual(ws2.status, 200)
        ws2.close()

    def test_permessage_deflate_over_h2(self):
        # negotiated as on an HTTP/1.1 upgrade; server messages compressed
        # (RSV1) in the tunnel's DATA, client messages compressed too
        import zlib
        c = self.conn()
        start = self.tip()
        self.put("h2wsz", "big", {"pad": "z" * 4000})
        ws = H2WebSocket(c, "/v2/changes?from_sequence=%d" % start, headers=[
            ("sec-websocket-extensions", "permessage-deflate")])
        self.assertEqual(ws.status, 200)
        self.assertIn("permessage-deflate",
                      ws.headers.get("sec-websocket-extensions", ""))
        inflate = zlib.decompressobj(-15)
        msgs = []
        while len(msgs) < 2:
            m = ws.recv()
            self.assertIsNotNone(m)
            if ws.last_rsv1:
                m = inflate.decompress(m + b"\x00\x00\xff\xff")
            msgs.append((ws.last_rsv1, json.loads(m)))
        self.assertEqual(msgs[0][1]["type"], "subscribed")
        self.assertTrue(msgs[1][0], "the 4 KB event is compressed")
        self.assertEqual(msgs[1][1]["value"]["pad"], "z" * 4000)
        deflate = zlib.compressobj(wbits=-15)
        body = deflate.compress(b"not json") + deflate.flush(zlib.Z_SYNC_FLUSH)
        ws.send_frame(0x1 | 0x40, body[:-4])  # RSV1 text frame
        err = json.loads(inflate.decompress(ws.recv() + b"\x00\x00\xff\xff")
                         if ws.last_rsv1 else ws.recv())
        self.assertEqual(err["status_code"], 400)
        ws.close()

    # -- refusals ---------------------------------------------------------------

    def test_unknown_protocol_is_501(self):
        c = self.conn()
        ws = H2WebSocket(c, "/v1/changes/ws", protocol="not-websocket")
        self.assertEqual(ws.status, 501)
        c.wait(lambda: ws.sid in c.ended)
        # answered before the request ended: RST_STREAM(NO_ERROR) follows
        c.wait(lambda: ws.sid in c.resets)
        self.assertEqual(c.resets[ws.sid], 0)

    def test_not_a_websocket_route_is_400(self):
        c = self.conn()
        ws = H2WebSocket(c, "/health")
        self.assertEqual(ws.status, 400)

    def test_second_subscriber_on_one_connection_is_503(self):
        c = self.conn()
        ws = H2WebSocket(c, "/v1/changes/ws")
        self.assertEqual(ws.status, 200)
        other = H2WebSocket(c, "/v1/changes/ws")
        self.assertEqual(other.status, 503)
        ws.close()

    def raw(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        self.addCleanup(s.close)
        return s

    @staticmethod
    def frame(ftype, flags, sid, payload=b""):
        return (struct.pack("!I", len(payload))[1:] + bytes([ftype, flags]) +
                struct.pack("!I", sid) + payload)

    def frames_of(self, s, want, timeout=5):
        """Reads frames until one of type `want` (bounded)."""
        s.settimeout(timeout)
        buf, out = b"", []
        deadline = time.time() + timeout
        try:
            while time.time() < deadline:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
                while len(buf) >= 9:
                    n = struct.unpack("!I", b"\0" + buf[:3])[0]
                    if len(buf) < 9 + n:
                        break
                    out.append((buf[3], buf[4], struct.unpack(
                        "!I", buf[5:9])[0], buf[9:9 + n]))
                    buf = buf[9 + n:]
                if any(f[0] == want for f in out):
                    break
        except socket.timeout:
            pass
        return out

    def connect_headers(self, hs):
        return self.frame(1, 0x4, 1, hpack.Encoder().encode(hs))

    def test_missing_protocol_with_path_is_malformed(self):
        # CONNECT with :scheme and :path but no :protocol: malformed
        # (RFC 9113 §8.5): stream error PROTOCOL_ERROR
        s = self.raw()
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + self.frame(4, 0, 0) +
                  self.frame(4, 1, 0) + self.connect_headers([
                      (":method", "CONNECT"), (":scheme", "http"),
                      (":path", "/v1/changes/ws"), (":authority", "x")]))
        fs = self.frames_of(s, 3)
        rst = [f for f in fs if f[0] == 3]
        self.assertTrue(rst, fs)
        self.assertEqual(struct.unpack("!I", rst[0][3])[0], 1)

    def test_proxy_connect_is_405(self):
        # a proxy's CONNECT (only :authority): themisd is no proxy
        s = self.raw()
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + self.frame(4, 0, 0) +
                  self.frame(4, 1, 0) + self.connect_headers([
                      (":method", "CONNECT"),
                      (":authority", "example.com:443")]))
        fs = self.frames_of(s, 1)
        heads = [f for f in fs if f[0] == 1 and f[2] == 1]
        self.assertTrue(heads, fs)
        self.assertEqual(dict(hpack.Decoder().decode(heads[0][3]))[":status"],
                         "405")



if __name__ == "__main__":
    unittest.main()
