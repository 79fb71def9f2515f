"""HTTP authentication with bearer JWTs (auth.required): the 401/403
matrix over the route groups with curl-like raw requests, tokens signed
here with Python's hmac (an independent implementation), the environment
switch THEMIS_AUTH_REQUIRED, and the open health and metrics routes."""

import base64
import hashlib
import hmac
import json
import time
import unittest

from themis_harness import Server

SECRET = "integration secret, long enough"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(scope, exp_in=600, aud="themis", secret=SECRET, alg="HS256"):
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": "alice", "iss": "https://idp.test",
                           "aud": aud, "scope": scope,
                           "exp": int(time.time()) + exp_in}).encode())
    sig = hmac.new(secret.encode(), (head + "." + body).encode(),
                   hashlib.sha256).digest()
    return head + "." + body + "." + b64(sig)


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET,
                               "--set", "auth.jwt_issuer=https://idp.test",
                               "--set", "auth.jwt_audience=themis"],
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        admin = {"Authorization": "Bearer " + token("admin")}
        cls.srv.json("POST", "/v1/collections", {"name": "secure"}, admin)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def req(self, method, path, tok=None, body=None):
        headers = {"Authorization": "Bearer " + tok} if tok else {}
        return self.srv.request(method, path, body, headers)

    def test_open_routes(self):
        self.assertEqual(self.req("GET", "/health")[0], 200)
        self.assertEqual(self.req("GET", "/health/ready")[0], 200)
        self.assertEqual(self.req("GET", "/metrics")[0], 200)

    def test_missing_and_invalid_tokens_get_401(self):
        st, h, _ = self.req("GET", "/v1/collections/secure/documents")
        self.assertEqual(st, 401)
        self.assertEqual(h["www-authenticate"], 'Bearer realm="themis"')
        for bad in (token("admin", exp_in=-3600),      # expired
                    token("admin", aud="someone"),     # wrong audience
                    token("admin", secret="guessed"),  # bad signature
                    token("admin", alg="none"),        # alg=none
                    "not.a.jwt"):
            st, h, _ = self.req("GET", "/v1/collections/secure/documents", bad)
            self.assertEqual(st, 401, bad)
            self.assertIn('error="invalid_token"', h["www-authenticate"])

    def test_scopes_per_route_group(self):
        reader = token("data:read")
        writer = token("data:read data:write")
        matrix = [
            ("GET", "/v1/collections/secure/documents", reader, 200),
            ("PUT", "/v1/collections/secure/documents/a", reader, 403),
            ("PUT", "/v1/collections/secure/documents/a", writer, 201),
            ("POST", "/query/aql", reader, 403),
            ("POST", "/query/aql", token("query"), 200),
            ("GET", "/changefeed?from_seq=0", reader, 403),
            ("GET", "/changefeed?from_seq=0", token("cdc:read"), 200),
            ("GET", "/v2/jobs", token("jobs"), 200),
            ("GET", "/v2/jobs", writer, 403),
            ("GET", "/v1/jobs", token("jobs"), 200),
            ("GET", "/v1/jobs", writer, 403),
            ("GET", "/v1/collections/secure/documents", token("admin"), 200),
        ]
        for method, path, tok, want in matrix:
            body = None
            if method == "PUT":
                body = {"v": 1}
            if path == "/query/aql":
                body = {"query": "RETURN 1"}
            st, h, data = self.req(method, path, tok, body)
            self.assertEqual(st, want, (method, path, data))
            if want == 403:
                self.assertIn('error="insufficient_scope"',
                              h["www-authenticate"])

    def test_websocket_upgrade_needs_a_token(self):
        st, _, _ = self.srv.request(
            "GET", "/v2/changes", None,
            {"Upgrade": "websocket", "Connection": "Upgrade",
             "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
             "Sec-WebSocket-Version": "13"})
        self.assertEqual(st, 401)


class AuthConfigTest(unittest.TestCase):
    def test_required_without_keys_refuses_to_start(self):
        srv = Server(args=["--set", "auth.required=true"])
        try:
            srv.start(wait=False)
            self.assertEqual(srv.proc.wait(timeout=20), 2)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
