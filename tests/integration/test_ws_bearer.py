"""The browser's WebSocket credential (issue 29, handlers/ws_bearer.hpp):
a `themis.bearer.<base64url(token)>` subprotocol offered beside the real
one authenticates the changefeed and GraphQL WebSockets on a themisd with
auth required; the answer echoes only the real protocol. Driven by the
websocket-client library (Debian python3-websocket, which like a browser
fails a handshake whose echoed protocol was not offered) and by raw
handshakes for the refusals. The token never reaches the logs."""

import base64
import hashlib
import hmac
import json
import time
import unittest

import websocket  # python3-websocket

from themis_harness import Server
from ws_raw import handshake

SECRET = "ws bearer test secret, long enough"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(scope, exp_in=600):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": "carol", "iss": "https://idp.test",
                           "aud": "themis", "scope": scope,
                           "exp": int(time.time()) + exp_in}).encode())
    sig = hmac.new(SECRET.encode(), (head + "." + body).encode(),
                   hashlib.sha256).digest()
    return head + "." + body + "." + b64(sig)


def cred(tok):
    return "themis.bearer." + b64(tok.encode())


class WsBearerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET,
                               "--set", "auth.jwt_issuer=https://idp.test",
                               "--set", "auth.jwt_audience=themis",
                               "--set", "log.access=true"],
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        cls.admin = token("admin")
        cls.cdc = token("cdc:read")
        cls.reader = token("data:read")
        st, _, _ = cls.srv.json("POST", "/v1/collections", {"name": "wsb"},
                                {"Authorization": "Bearer " + cls.admin})
        assert st in (200, 201), st

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()

    def url(self, path):
        return "ws://127.0.0.1:%d%s" % (self.srv.port, path)

    def put(self, key, doc):
        st, _, _ = self.srv.json("PUT", "/v1/collections/wsb/documents/" + key,
                                 doc, {"Authorization": "Bearer " + self.admin})
        self.assertIn(st, (200, 201))

    def test_changefeed_tail_with_the_credential(self):
        ws = websocket.create_connection(
            self.url("/api/v1/changes/ws?from_sequence=now&collection=wsb"),
            timeout=10, subprotocols=[cred(self.cdc), "themis.changes.json"])
        try:
            # the echo is the real protocol; the library refuses any other
            self.assertEqual(ws.getsubprotocol(), "themis.changes.json")
            sub = json.loads(ws.recv())
            self.assertEqual(sub["type"], "subscribed")
            self.put("live", {"n": 7})
            ev = json.loads(ws.recv())
            self.assertEqual((ev["type"], ev["key"], ev["value"]["n"]),
                             ("PUT", "live", 7))
        finally:
            ws.close()

    def test_binary_encoding_and_graphql_keep_their_protocols(self):
        s, status, h, _ = handshake(
            self.srv.port, "/api/v1/changes/ws",
            protocols=cred(self.cdc) + ", themis.changes.msgpack")
        s.close()
        self.assertIn(" 101 ", status)
        self.assertEqual(h.get("sec-websocket-protocol"),
                         "themis.changes.msgpack")
        ws = websocket.create_connection(
            self.url("/graphql"), timeout=10,
            subprotocols=["graphql-transport-ws", cred(self.admin)])
        try:
            self.assertEqual(ws.getsubprotocol(), "graphql-transport-ws")
            ws.send(json.dumps({"type": "connection_init"}))
            self.assertEqual(json.loads(ws.recv())["type"], "connection_ack")
        finally:
            ws.close()

    def test_a_global_admin_acts_in_a_tenant(self):
        acme = {"Authorization": "Bearer " + self.admin, "X-Tenant-ID": "acme"}
        st, _, _ = self.srv.json("POST", "/v1/collections", {"name": "wst"},
                                 acme)
        self.assertIn(st, (200, 201))
        ws = websocket.create_connection(
            self.url("/api/v1/changes/ws"), timeout=10,
            subprotocols=[cred(self.admin), "themis.tenant.acme",
                          "themis.changes.json"])
        try:
            self.assertEqual(ws.getsubprotocol(), "themis.changes.json")
            ws.send(json.dumps({"action": "subscribe", "from_sequence": "now"}))
            self.assertEqual(json.loads(ws.recv())["type"], "subscribed")
            # a global write first: not in acme's feed
            self.put("global1", {"n": 1})
            st, _, _ = self.srv.json("PUT", "/v1/collections/wst/documents/t1",
                                     {"n": 2}, acme)
            self.assertIn(st, (200, 201))
            ev = json.loads(ws.recv())
            self.assertEqual((ev["collection"], ev["key"]), ("wst", "t1"))
        finally:
            ws.close()
        # anyone else naming a tenant is refused, as with X-Tenant-ID
        s, status, _, _ = handshake(
            self.srv.port, "/api/v1/changes/ws",
            protocols=cred(self.cdc) + ", themis.tenant.acme, "
                                       "themis.changes.json")
        s.close()
        self.assertIn(" 403 ", status)

    def test_refusals(self):
        port = self.srv.port
        cases = [
            # no credential at all
            ("themis.changes.json", "", 401),
            # a token the server does not accept
            (cred("not.a.jwt") + ", themis.changes.json", "", 401),
            (cred(token("admin", exp_in=-3600)) + ", themis.changes.json",
             "", 401),
            # a valid token without cdc:read
            (cred(self.reader) + ", themis.changes.json", "", 403),
            # malformed credentials
            ("themis.bearer.a+b/c, themis.changes.json", "", 400),
            ("themis.bearer., themis.changes.json", "", 400),
            (cred(self.cdc) + ", " + cred(self.cdc), "", 400),
            # two credentials: which counts must not be a guess
            (cred(self.cdc) + ", themis.changes.json",
             "Authorization: Bearer %s\r\n" % self.cdc, 400),
            (cred(self.cdc) + ", themis.changes.json",
             "X-API-Key: thk_whatever\r\n", 400),
        ]
        for protocols, extra, want in cases:
            s, status, h, rest = handshake(port, "/api/v1/changes/ws",
                                           protocols=protocols, extra=extra)
            s.close()
            self.assertIn(" %d " % want, status + " ", (protocols, status))
            self.assertNotIn("themis.bearer",
                             h.get("sec-websocket-protocol", ""))
            body = rest.decode(errors="replace")
            self.assertNotIn(self.cdc, body)

    def test_the_token_is_not_logged(self):
        secret = token("cdc:read", exp_in=900)
        ws = websocket.create_connection(
            self.url("/api/v1/changes/ws?from_sequence=now"), timeout=10,
            subprotocols=[cred(secret), "themis.changes.json"])
        json.loads(ws.recv())
        ws.close()
        s, status, _, _ = handshake(
            self.srv.port, "/api/v1/changes/ws",
            protocols=cred(secret) + ", " + cred(secret))
        s.close()
        self.assertIn(" 400 ", status)
        time.sleep(0.3)
        log = self.srv.read_log()
        if isinstance(log, bytes):
            log = log.decode(errors="replace")
        self.assertIn("listening on", log)  # the server log was read
        self.assertNotIn(secret, log)
        self.assertNotIn(b64(secret.encode()), log)
        self.assertNotIn(secret.split(".")[2], log)


if __name__ == "__main__":
    unittest.main()
