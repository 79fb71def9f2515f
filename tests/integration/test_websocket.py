"""WebSocket changefeed (/v2/changes, /v1/changes/ws) against the real
themisd, driven by the websocket-client library (Debian python3-websocket)
and by raw sockets for malformed frames."""

import base64
import http.client
import json
import os
import signal
import socket
import struct
import threading
import time
import unittest

import websocket  # python3-websocket

from themis_harness import RawConn, Server, ServerTest


def ws_url(srv, path):
    return "ws://127.0.0.1:%d%s" % (srv.port, path)


def recv_json(ws):
    return json.loads(ws.recv())


def handshake(port, path="/v1/changes/ws", extra=""):
    c = RawConn(port)
    key = base64.b64encode(os.urandom(16)).decode()
    c.send("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: "
           "Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           "%s\r\n" % (path, key, extra))
    return c


def masked(op, payload, fin=True):
    mask = os.urandom(4)
    head = bytes([(0x80 if fin else 0) | op])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    else:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close_code(raw):
    """Code of the first server close frame in raw bytes."""
    i = 0
    while i + 2 <= len(raw):
        op, n = raw[i] & 0x0F, raw[i + 1] & 0x7F
        if op == 8:
            return struct.unpack("!H", raw[i + 2:i + 4])[0] if n >= 2 else 1005
        i += 2 + n
    return None


class WebSocketTest(ServerTest):
    server_args = ("--set", "changefeed.heartbeat_ms=200",)

    def put(self, key, doc=None, coll="wsc"):
        return self.put_entity(coll, key, doc)

    def test_subscribe_backfill_live_and_unsubscribe(self):
        start = self.tip()
        s1 = self.put("a", {"n": 1})
        ws = websocket.create_connection(
            ws_url(self.server, "/v2/changes?from_sequence=%d" % start),
            timeout=5)
        sub = recv_json(ws)
        self.assertEqual((sub["type"], sub["from_sequence"]), ("subscribed", start))
        ev = recv_json(ws)
        self.assertEqual((ev["sequence"], ev["type"], ev["subscription"]),
                         (s1, "PUT", sub["subscription"]))
        self.assertEqual(ev["value"]["n"], 1)
        ws.send(json.dumps({"action": "subscribe", "collection": "wsc",
                            "key_prefix": "z", "from_sequence": "now",
                            "include_docs": False}))
        sub2 = recv_json(ws)["subscription"]
        s2 = self.put("zz", {"n": 2})
        got = [recv_json(ws), recv_json(ws)]
        by_sub = {g["subscription"]: g for g in got}
        self.assertEqual(by_sub[sub["subscription"]]["sequence"], s2)
        self.assertEqual(by_sub[sub2]["sequence"], s2)
        self.assertNotIn("value", by_sub[sub2])
        ws.send(json.dumps({"action": "unsubscribe", "subscription": sub2}))
        self.assertEqual(recv_json(ws)["type"], "unsubscribed")
        s3 = self.put("zy")
        ev = recv_json(ws)
        self.assertEqual((ev["sequence"], ev["subscription"]),
                         (s3, sub["subscription"]))
        ws.send("not json")
        err = recv_json(ws)
        self.assertEqual((err["type"], err["status_code"]), ("error", 400))
        ws.close()

    def test_resume_without_gap_under_concurrent_writes(self):
        start = self.tip()

        def writer():
            c = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                           timeout=10)
            for i in range(400):
                c.request("PUT", "/entities/wsgap:k%d" % (i % 30),
                          json.dumps({"blob": "{}"}),
                          {"Content-Type": "application/json"})
                c.getresponse().read()
            c.close()

        threads = [threading.Thread(target=writer) for _ in range(2)]
        for t in threads:
            t.start()
        seen, last = [], start
        for _ in range(5):
            ws = websocket.create_connection(
                ws_url(self.server, "/v1/changes/ws"), timeout=5)
            ws.send(json.dumps({"action": "subscribe", "from_sequence": last}))
            recv_json(ws)
            for _ in range(120):
                ev = recv_json(ws)
                seen.append(ev["sequence"])
            last = seen[-1]
            ws.close()
        for t in threads:
            t.join(30)
        end = self.tip()
        ws = websocket.create_connection(ws_url(self.server, "/v1/changes/ws"),
                                         timeout=5)
        ws.send(json.dumps({"action": "subscribe", "from_sequence": last}))
        recv_json(ws)
        while not seen or seen[-1] < end:
            seen.append(recv_json(ws)["sequence"])
        ws.close()
        self.assertEqual(seen, list(range(start + 1, end + 1)))

    def test_server_pings_and_echoes_close(self):
        ws = websocket.create_connection(ws_url(self.server, "/v1/changes/ws"),
                                         timeout=5)
        op, frame = ws.recv_data_frame(control_frame=True)
        self.assertEqual(op, websocket.ABNF.OPCODE_PING)
        ws.send_close(1000, b"bye")
        op, frame = ws.recv_data_frame(control_frame=True)
        while op == websocket.ABNF.OPCODE_PING:
            op, frame = ws.recv_data_frame(control_frame=True)
        self.assertEqual(op, websocket.ABNF.OPCODE_CLOSE)
        self.assertEqual(struct.unpack("!H", frame.data[:2])[0], 1000)
        ws.shutdown()

    def test_handshake_errors(self):
        c = RawConn(self.server.port)
        c.send("GET /v1/changes/ws HTTP/1.1\r\nHost: x\r\n\r\n")
        st, h, _ = c.read_response()
        self.assertEqual((st, h["upgrade"]), (426, "websocket"))
        c = handshake(self.server.port, extra="")
        st, h, _ = c.read_response()
        self.assertEqual(st, 101)
        c = RawConn(self.server.port)
        c.send("GET /v1/changes/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: x\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n")
        self.assertEqual(c.read_response()[0], 400)
        c = RawConn(self.server.port)
        c.send("GET /v1/changes/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: "
               "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
        st, h, _ = c.read_response()
        self.assertEqual((st, h["sec-websocket-version"]), (426, "13"))

    def test_protocol_errors_close_with_the_right_code(self):
        for frame, code in ((b"\x81\x02hi", 1002),               # unmasked
                            (masked(0x1, b"\xc0\xaf"), 1007),    # bad UTF-8
                            (masked(0x3, b"x"), 1002),           # bad opcode
                            (masked(0x2, b"bin"), 1003)):        # binary
            c = handshake(self.server.port)
            st, _, _ = c.read_response()
            self.assertEqual(st, 101)
            c.send(frame)
            self.assertTrue(c.is_closed(timeout=5))
            self.assertEqual(close_code(c.buf), code, frame)

    def test_upgrade_pipelined_behind_a_long_poll(self):
        c = RawConn(self.server.port)
        key = base64.b64encode(os.urandom(16)).decode()
        c.send("GET /changefeed?from_seq=now&long_poll_ms=300 HTTP/1.1\r\n"
               "Host: x\r\n\r\n"
               "GET /v1/changes/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket"
               "\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % key)
        self.assertEqual(c.read_response()[0], 200)
        st, h, _ = c.read_response()
        self.assertEqual(st, 101)
        c.send(masked(0x1, json.dumps({"action": "subscribe"}).encode()))
        deadline = time.time() + 5
        while b"subscribed" not in c.buf and time.time() < deadline:
            c.sock.settimeout(1)
            try:
                c.buf += c.sock.recv(4096)
            except socket.timeout:
                pass
        self.assertIn(b"subscribed", c.buf)
        c.close()

    def test_bad_unsubscribe_is_an_error_message(self):
        ws = websocket.create_connection(ws_url(self.server, "/v1/changes/ws"),
                                         timeout=5)
        ws.send(json.dumps({"action": "unsubscribe", "subscription": "1"}))
        err = recv_json(ws)
        self.assertEqual(err["type"], "error")
        ws.send(json.dumps({"action": "subscribe"}))
        self.assertEqual(recv_json(ws)["type"], "subscribed")
        ws.close()

    def test_fragmented_subscribe_message(self):
        c = handshake(self.server.port)
        self.assertEqual(c.read_response()[0], 101)
        msg = json.dumps({"action": "subscribe", "from_sequence": "now"}).encode()
        c.send(masked(0x1, msg[:10], fin=False) + masked(0x9, b"p") +
               masked(0x0, msg[10:]))
        deadline = time.time() + 5
        while b"subscribed" not in c.buf and time.time() < deadline:
            c.sock.settimeout(1)
            try:
                c.buf += c.sock.recv(4096)
            except socket.timeout:
                pass
        self.assertIn(b"subscribed", c.buf)
        self.assertIn(b"\x8a\x01p", c.buf)  # the pong came back
        c.close()


class WebSocketLimitsTest(unittest.TestCase):
    def test_large_backfill_is_paced_while_live_events_are_held(self):
        srv = Server(("--set", "changefeed.max_queue_events=50")).start()
        try:
            ops = [{"op": "put", "key": "wbig:k%d" % i,
                    "blob": json.dumps({"pad": "y" * 500})} for i in range(3000)]
            st, _, _ = srv.json("POST", "/entities/batch", {"operations": ops})
            self.assertEqual(st, 200)
            ws = websocket.WebSocket()
            ws.sock_opt.sockopt = ((socket.SOL_SOCKET, socket.SO_RCVBUF, 8192),)
            ws.connect(ws_url(srv, "/v1/changes/ws"), timeout=10)
            ws.send(json.dumps({"action": "subscribe", "from_sequence": 0}))
            self.assertEqual(recv_json(ws)["type"], "subscribed")
            time.sleep(1)  # the server has to wait for this slow reader
            for i in range(5):  # live writes while the backfill runs
                srv.json("PUT", "/entities/wlive:k%d" % i, {"blob": "{}"})
            seqs = []
            while len(seqs) < 3005:
                m = recv_json(ws)
                self.assertNotEqual(m.get("type"), "overflow", m)
                seqs.append(m["sequence"])
            self.assertEqual(seqs, list(range(1, 3006)))
            ws.close()
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.cleanup()

    def test_overflow_closes_1011_with_last_sequence_and_drain_1001(self):
        srv = Server(("--set", "changefeed.max_queue_events=4")).start()
        try:
            slow = socket.socket()
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.connect(("127.0.0.1", srv.port))
            key = base64.b64encode(os.urandom(16)).decode()
            slow.sendall(("GET /v2/changes?from_sequence=0 HTTP/1.1\r\nHost: x\r\n"
                          "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13"
                          "\r\n\r\n" % key).encode())
            time.sleep(0.5)
            for i in range(300):
                srv.json("PUT", "/entities/ovf:k%d" % i,
                         {"blob": json.dumps({"pad": "x" * 20000})})
            data = b""
            slow.settimeout(5)
            try:
                while True:
                    chunk = slow.recv(1 << 20)
                    if not chunk:
                        break
                    data += chunk
            except (socket.timeout, ConnectionResetError):
                pass
            body = data.split(b"\r\n\r\n", 1)[1]
            seqs, code, reason, i = [], None, b"", 0
            while i + 2 <= len(body):
                op, n = body[i] & 0x0F, body[i + 1] & 0x7F
                hl = 2
                if n == 126:
                    n, hl = struct.unpack("!H", body[i + 2:i + 4])[0], 4
                elif n == 127:
                    n, hl = struct.unpack("!Q", body[i + 2:i + 10])[0], 10
                payload = body[i + hl:i + hl + n]
                if len(payload) < n:
                    break
                if op == 1:
                    m = json.loads(payload)
                    if "sequence" in m:
                        seqs.append(m["sequence"])
                elif op == 8:
                    code, reason = struct.unpack("!H", payload[:2])[0], payload[2:]
                i += hl + n
            self.assertEqual(code, 1011)
            self.assertIn(b"last_sequence=%d" % seqs[-1], reason)
            self.assertEqual(seqs, list(range(1, len(seqs) + 1)))
            slow.close()
            ws = websocket.create_connection(ws_url(srv, "/v1/changes/ws"),
                                             timeout=5)
            srv.proc.send_signal(signal.SIGTERM)
            op, frame = ws.recv_data_frame(control_frame=True)
            while op == websocket.ABNF.OPCODE_PING:
                op, frame = ws.recv_data_frame(control_frame=True)
            self.assertEqual(op, websocket.ABNF.OPCODE_CLOSE)
            self.assertEqual(struct.unpack("!H", frame.data[:2])[0], 1001)
            ws.send_close(1001)
            self.assertEqual(srv.proc.wait(20), 0)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
