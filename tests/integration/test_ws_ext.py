"""WebSocket extensions on the changefeed endpoint (issue 19):
permessage-deflate (RFC 7692) with Python's `websockets` (Debian
python3-websockets) and Node's `ws` (tests/node/ws_deflate_client.mjs),
negotiation edge cases and the bound on decompressed size on raw frames;
binary changefeed frames (MessagePack, CBOR) decoded by python3-msgpack
and python3-cbor2."""

import asyncio
import json
import os
import struct
import subprocess
import zlib

import cbor2
import msgpack
import websocket  # python3-websocket
import websockets  # python3-websockets
# websockets resolves connect() lazily, on first use; that import then runs
# while the harness' threads run and CPython 3.11's import lock can raise
# KeyError there (seen in CI): import the client and extension eagerly
import websockets.extensions.permessage_deflate  # noqa: F401
import websockets.legacy.client  # noqa: F401

from themis_harness import ServerTest
from ws_raw import Frames, handshake, masked

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "node")


def deflate(data, reset=True):
    c = zlib.compressobj(wbits=-15)
    z = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert z.endswith(b"\x00\x00\xff\xff")
    return z[:-4]


def inflate(data):
    return zlib.decompressobj(wbits=-15).decompress(data + b"\x00\x00\xff\xff")


def close_code(frame):
    return struct.unpack("!H", frame[3][:2])[0] if len(frame[3]) >= 2 else None


class WsExtTest(ServerTest):
    server_args = ("--set", "http.max_body_bytes=65536",)

    def url(self, q=""):
        return "ws://127.0.0.1:%d/v1/changes/ws%s" % (self.server.port, q)

    # -- permessage-deflate -------------------------------------------------

    def test_websockets_library_deflate(self):
        start = self.tip()
        big = {"text": "compress me " * 200}

        async def run():
            async with websockets.connect(
                    self.url("?from_sequence=%d" % start),
                    compression="deflate", open_timeout=5,
                    max_size=1 << 20) as ws:
                ext = ws.response_headers.get("Sec-WebSocket-Extensions", "")
                self.assertTrue(ext.startswith("permessage-deflate"), ext)
                sub = json.loads(await asyncio.wait_for(ws.recv(), 5))
                self.assertEqual(sub["type"], "subscribed")
                seqs = [self.put_entity("wsx", "k%d" % i, big)
                        for i in range(5)]
                got = []
                while len(got) < 5:
                    ev = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    got.append(ev)
                self.assertEqual([e["sequence"] for e in got], seqs)
                self.assertEqual(got[0]["value"]["text"], big["text"])
                # a large client message, compressed by the library
                await ws.send(json.dumps({"action": "subscribe",
                                          "collection": "wsx",
                                          "key_prefix": "q" * 3000}))
                r = json.loads(await asyncio.wait_for(ws.recv(), 5))
                self.assertEqual(r["type"], "subscribed", r)
        asyncio.run(run())

    def test_websockets_no_context_takeover(self):
        start = self.tip()
        from websockets.extensions.permessage_deflate import \
            ClientPerMessageDeflateFactory

        async def run():
            f = ClientPerMessageDeflateFactory(
                server_no_context_takeover=True,
                client_no_context_takeover=True, server_max_window_bits=10)
            async with websockets.connect(
                    self.url("?from_sequence=%d" % start), extensions=[f],
                    compression=None, open_timeout=5) as ws:
                ext = ws.response_headers["Sec-WebSocket-Extensions"]
                self.assertIn("server_no_context_takeover", ext)
                self.assertIn("server_max_window_bits=10", ext)
                await asyncio.wait_for(ws.recv(), 5)
                for i in range(3):
                    s = self.put_entity("wsy", "k%d" % i, {"v": "x" * 500})
                    ev = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    self.assertEqual(ev["sequence"], s)
        asyncio.run(run())

    def test_node_ws_deflate(self):
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "ws")):
            self.skipTest("node ws not installed")
        start = self.tip()
        p = subprocess.Popen(["node", "ws_deflate_client.mjs",
                              self.url("?from_sequence=%d" % start)],
                             cwd=NODE_DIR, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        try:
            line = p.stdout.readline()  # "subscribed" once ready
            self.assertIn("subscribed", line)
            for i in range(3):
                self.put_entity("wsn", "k%d" % i, {"v": "node " * 100})
            out, _ = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
        self.assertEqual(p.returncode, 0, line + out)

    def test_offer_with_bad_parameters_declined(self):
        for offer in ("permessage-deflate; server_max_window_bits=20",
                      "permessage-deflate; bogus=1",
                      "permessage-deflate; server_max_window_bits=8"):
            s, status, hs, _ = handshake(self.server.port, "/v1/changes/ws",
                                         extensions=offer)
            self.assertIn("101", status)
            self.assertNotIn("sec-websocket-extensions", hs, offer)
            s.close()
        s, status, hs, _ = handshake(
            self.server.port, "/v1/changes/ws",
            extensions="permessage-deflate; bogus, permessage-deflate; "
                       "client_max_window_bits")
        self.assertEqual(hs.get("sec-websocket-extensions"),
                         "permessage-deflate")
        s.close()

    def test_raw_compressed_message_and_compressed_answer(self):
        s, status, hs, rest = handshake(self.server.port, "/v1/changes/ws",
                                        extensions="permessage-deflate")
        self.assertEqual(hs.get("sec-websocket-extensions"),
                         "permessage-deflate")
        body = json.dumps({"action": "subscribe", "collection": "wsr",
                           "key_prefix": "p" * 200}).encode()
        s.sendall(masked(1, deflate(body), rsv1=True))
        f = Frames(s, rest)
        op, rsv1, _, payload = f.next()
        msg = json.loads(inflate(payload) if rsv1 else payload)
        self.assertEqual(msg["type"], "subscribed")
        s.close()

    def test_bomb_closes_1009(self):
        s, status, _, rest = handshake(self.server.port, "/v1/changes/ws",
                                       extensions="permessage-deflate")
        bomb = deflate(b" " * (4 << 20))  # 4 MiB of spaces, ~4 KiB
        self.assertLess(len(bomb), 65536)
        s.sendall(masked(1, bomb, rsv1=True))
        f = Frames(s, rest)
        while True:
            fr = f.next()
            self.assertIsNotNone(fr, "closed without a close frame")
            if fr[0] == 8:
                break
        self.assertEqual(close_code(fr), 1009)
        s.close()

    def test_corrupt_compressed_closes_1007(self):
        s, status, _, rest = handshake(self.server.port, "/v1/changes/ws",
                                       extensions="permessage-deflate")
        s.sendall(masked(1, b"\xff\xff\xff\xff", rsv1=True))
        fr = Frames(s, rest).next()
        self.assertEqual((fr[0], close_code(fr)), (8, 1007))
        s.close()

    def test_rsv1_without_extension_closes_1002(self):
        s, status, _, rest = handshake(self.server.port, "/v1/changes/ws")
        s.sendall(masked(1, deflate(b"{}"), rsv1=True))
        fr = Frames(s, rest).next()
        self.assertEqual((fr[0], close_code(fr)), (8, 1002))
        s.close()

    def test_deflate_disabled(self):
        from themis_harness import Server
        srv = Server(args=["--set", "http.ws_deflate=false"]).start()
        try:
            s, status, hs, _ = handshake(srv.port, "/v1/changes/ws",
                                         extensions="permessage-deflate")
            self.assertIn("101", status)
            self.assertNotIn("sec-websocket-extensions", hs)
            s.close()
        finally:
            srv.stop()
            srv.cleanup()

    def test_overflow_notice_readable_after_dropped_compressed_frames(self):
        # a slow reader with deflate: frames queued behind the write in
        # flight are dropped; the overflow notice is sent uncompressed so
        # it does not refer to them through the compression context
        from themis_harness import Server
        import base64
        import socket
        import time
        srv = Server(("--set", "changefeed.max_queue_events=4")).start()
        try:
            slow = socket.socket()
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.connect(("127.0.0.1", srv.port))
            key = base64.b64encode(os.urandom(16)).decode()
            slow.sendall(("GET /v2/changes?from_sequence=0 HTTP/1.1\r\n"
                          "Host: x\r\nUpgrade: websocket\r\nConnection: "
                          "Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-"
                          "Extensions: permessage-deflate\r\n\r\n"
                          % key).encode())
            time.sleep(0.5)
            for i in range(300):
                srv.json("PUT", "/entities/ovd:k%d" % i,
                         {"blob": json.dumps({"pad": os.urandom(10000).hex()})})
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
            head, _, body = data.partition(b"\r\n\r\n")
            self.assertIn(b"permessage-deflate", head)
            f = Frames(None, body)
            z = zlib.decompressobj(wbits=-15)
            overflow, code, events = None, None, 0
            while True:
                fr = f._parse()
                if fr is None:
                    break
                op, rsv1, _, payload = fr
                if op == 8:
                    code = struct.unpack("!H", payload[:2])[0]
                    break
                if op != 1:
                    continue
                if rsv1 and overflow is None:
                    text = z.decompress(payload + b"\x00\x00\xff\xff")
                    m = json.loads(text)
                    events += "sequence" in m
                    continue
                self.assertFalse(rsv1, "a compressed frame after the notice")
                m = json.loads(payload)
                if m.get("type") == "overflow":
                    overflow = m
            self.assertIsNotNone(overflow, "no overflow notice")
            self.assertEqual(code, 1011)
            self.assertGreater(events, 0)
            slow.close()
        finally:
            srv.stop()
            srv.cleanup()

    # -- binary changefeed frames -------------------------------------------

    def binary_feed(self, proto, decode, encode):
        start = self.tip()
        ws = websocket.create_connection(
            self.url("?from_sequence=%d" % start), timeout=5,
            subprotocols=["foo", proto])
        self.assertEqual(ws.getsubprotocol(), proto)
        op, data = ws.recv_data()
        self.assertEqual(op, websocket.ABNF.OPCODE_BINARY)
        sub = decode(data)
        self.assertEqual((sub["type"], sub["from_sequence"]),
                         ("subscribed", start))
        s1 = self.put_entity("wsb", "a", {"n": 1, "f": 2.5, "s": "ü"})
        op, data = ws.recv_data()
        ev = decode(data)
        self.assertEqual((ev["sequence"], ev["type"]), (s1, "PUT"))
        self.assertEqual({k: ev["value"][k] for k in ("n", "f", "s")},
                         {"n": 1, "f": 2.5, "s": "ü"})
        self.assertIsInstance(ev["value"]["f"], float)
        # a control message in the encoding, as a binary message
        ws.send_binary(encode({"action": "subscribe", "collection": "wsb",
                               "from_sequence": "now"}))
        r = decode(ws.recv_data()[1])
        self.assertEqual(r["type"], "subscribed")
        # and as JSON text
        ws.send(json.dumps({"action": "unsubscribe",
                            "subscription": r["subscription"]}))
        self.assertEqual(decode(ws.recv_data()[1])["type"], "unsubscribed")
        # garbage in the encoding closes 1007
        ws.send_binary(b"\xc1\xc1")
        op, data = ws.recv_data(control_frame=True)
        while op != websocket.ABNF.OPCODE_CLOSE:
            op, data = ws.recv_data(control_frame=True)
        self.assertEqual(struct.unpack("!H", data[:2])[0], 1007)
        ws.close()

    def test_msgpack_frames(self):
        self.binary_feed("themis.changes.msgpack",
                         lambda b: msgpack.unpackb(b, raw=False),
                         msgpack.packb)

    def test_cbor_frames(self):
        self.binary_feed("themis.changes.cbor", cbor2.loads, cbor2.dumps)

    def test_msgpack_with_deflate(self):
        start = self.tip()

        async def run():
            async with websockets.connect(
                    self.url("?from_sequence=%d" % start),
                    subprotocols=["themis.changes.msgpack"],
                    compression="deflate", open_timeout=5) as ws:
                self.assertEqual(ws.subprotocol, "themis.changes.msgpack")
                sub = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 5))
                self.assertEqual(sub["type"], "subscribed")
                s = self.put_entity("wsm", "k", {"t": "z" * 2000})
                ev = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 5))
                self.assertEqual((ev["sequence"], ev["value"]["t"]),
                                 (s, "z" * 2000))
        asyncio.run(run())

    def test_json_stays_default(self):
        ws = websocket.create_connection(self.url("?from_sequence=now"),
                                         timeout=5)
        self.assertIsNone(ws.getsubprotocol())
        op, data = ws.recv_data()
        self.assertEqual(op, websocket.ABNF.OPCODE_TEXT)
        ws.close()


if __name__ == "__main__":
    import unittest
    unittest.main()
