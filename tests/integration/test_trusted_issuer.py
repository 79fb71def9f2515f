"""Trusting an external IdP by issuer (issue 24): a Python HTTPS IdP run by
this test (its own CA, passed to themisd as the entry's ca_file) serves an
OpenID Connect discovery document and a JWKS; themisd fetches both over
HTTPS with libcurl, caches the keys and verifies the IdP's RS256 and ES256
tokens on REST (http.client), and as the password on PostgreSQL (psql) and
MQTT (mosquitto_pub).
Covered: accepted tokens mapped to a principal (user, scopes filtered by
allow_scope, tenant claim), wrong audience, expired, unknown issuer, a
forged signature, key rotation picked up through the unknown-kid refetch,
and the IdP going down (cached keys stay in force)."""

import base64
import datetime
import http.server
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import \
    decode_dss_signature
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import Server, free_port  # noqa: E402


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64(n):
    return b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class Key:
    """A signing key of the IdP and its JWK."""

    def __init__(self, kid, alg):
        self.kid, self.alg = kid, alg
        if alg == "RS256":
            self.k = rsa.generate_private_key(65537, 2048)
            pub = self.k.public_key().public_numbers()
            self.jwk = {"kty": "RSA", "kid": kid, "alg": alg, "use": "sig",
                        "n": int_b64(pub.n), "e": int_b64(pub.e)}
        else:
            self.k = ec.generate_private_key(ec.SECP256R1())
            pub = self.k.public_key().public_numbers()
            self.jwk = {"kty": "EC", "kid": kid, "alg": alg, "use": "sig",
                        "crv": "P-256",
                        "x": b64(pub.x.to_bytes(32, "big")),
                        "y": b64(pub.y.to_bytes(32, "big"))}

    def sign(self, claims):
        head = b64(json.dumps({"alg": self.alg, "typ": "JWT",
                               "kid": self.kid}).encode())
        body = b64(json.dumps(claims).encode())
        data = (head + "." + body).encode()
        if self.alg == "RS256":
            sig = self.k.sign(data, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(
                self.k.sign(data, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return head + "." + body + "." + b64(sig)


def make_ca_and_cert(d):
    """A CA and a server certificate for 127.0.0.1 signed by it."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test IdP CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                         critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                        "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {n: os.path.join(d, n) for n in ("ca.pem", "cert.pem", "key.pem")}
    with open(paths["ca.pem"], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths["cert.pem"], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["key.pem"], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return paths


class Idp:
    """Discovery and JWKS over HTTPS; counts the JWKS fetches."""

    def __init__(self, certs):
        self.port = free_port()
        self.issuer = "https://127.0.0.1:%d" % self.port
        self.keys = []
        self.jwks_gets = 0
        self.up = True
        idp = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                if not idp.up:
                    self.send_response(503)
                    self.end_headers()
                    return
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": idp.issuer,
                            "jwks_uri": idp.issuer + "/keys"}
                elif self.path == "/keys":
                    idp.jwks_gets += 1
                    body = {"keys": [k.jwk for k in idp.keys]}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port),
                                                     Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certs["cert.pem"], certs["key.pem"])
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class TrustedIssuerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="themis_idp_")
        cls.certs = make_ca_and_cert(cls.tmp)
        cls.idp = Idp(cls.certs)
        cls.k1 = Key("k1", "RS256")
        cls.k2 = Key("k2", "ES256")
        cls.idp.keys = [cls.k1]
        entry = ("%s aud=themis-api ca_file=%s scope_claim=scp "
                 "tenant_claim=tid user_claim=preferred_username "
                 "allow_scope=data:read allow_scope=data:write "
                 "allow_scope=query" % (cls.idp.issuer, cls.certs["ca.pem"]))
        cls.srv = Server(args=[
            "--set", "auth.required=true",
            "--set", "auth.trusted_issuers=" + entry,
            "--set", "auth.trusted_issuers_min_refetch_s=1",
            "--set", "auth.trusted_issuers_wait_ms=3000",
            "--set", "pg.auth=scram-sha-256"])
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        cls.idp.close()

    def claims(self, **over):
        now = int(time.time())
        c = {"iss": self.idp.issuer, "aud": ["themis-api", "other"],
             "preferred_username": "carol", "sub": "uuid-1",
             "scp": "data:read data:write query admin", "tid": "acme",
             "iat": now, "exp": now + 300}
        c.update(over)
        return c

    def whoami(self, token):
        return self.srv.json("GET", "/api/v1/whoami",
                             headers={"Authorization": "Bearer " + token})

    def test_a_token_of_the_idp_is_a_principal(self):
        st, _, b = self.whoami(self.k1.sign(self.claims()))
        self.assertEqual(st, 200, b)
        self.assertEqual(b["user"], "carol")
        self.assertEqual(b["tenant"], "acme")
        self.assertEqual(b["via"], "jwt")
        # admin is in the token but not in the entry's allow_scope
        self.assertEqual(sorted(b["scopes"]),
                         ["data:read", "data:write", "query"])
        self.assertIs(b["admin"], False)
        # the tenant's data: write and read back as carol@acme
        tok = self.k1.sign(self.claims())
        h = {"Authorization": "Bearer " + tok}
        st, _, b = self.srv.json("POST", "/v1/collections", {"name": "idp"},
                                 headers=h)
        self.assertIn(st, (200, 201, 409), b)
        st, _, b = self.srv.json("POST", "/v1/collections/idp/documents",
                                 {"_key": "a", "v": 1}, headers=h)
        self.assertIn(st, (200, 201, 202), b)
        st, _, b = self.srv.json("GET", "/v1/collections/idp/documents/a",
                                 headers=h)
        self.assertEqual(st, 200, b)

    def test_wrong_audience_expired_unknown_issuer_forged_are_refused(self):
        now = int(time.time())
        bad = {
            "audience": self.k1.sign(self.claims(aud="someone-else")),
            "expired": self.k1.sign(self.claims(iat=now - 900,
                                                exp=now - 600)),
            "issuer": self.k1.sign(self.claims(iss="https://evil.example")),
            "no user": self.k1.sign(self.claims(preferred_username=None)),
        }
        good = self.k1.sign(self.claims()).split(".")
        bad["forged"] = ".".join([good[0], b64(json.dumps(self.claims(
            tid="other")).encode()), good[2]])
        for why, tok in bad.items():
            st, h, b = self.whoami(tok)
            self.assertEqual(st, 401, (why, b))
            self.assertIn("invalid_token", h.get("www-authenticate", ""), why)

    def test_rotation_is_picked_up_and_the_idp_may_go_down(self):
        before = self.idp.jwks_gets
        tok2 = self.k2.sign(self.claims())
        self.idp.keys = [self.k1, self.k2]  # the IdP rotates in an ES256 key
        time.sleep(1.1)  # min_refetch_s=1 since the last fetch
        # the first token with the new kid starts a refetch and is not
        # held for it (a request never waits on an unknown kid); the key
        # is there for the next one
        deadline = time.time() + 5
        st, _, b = self.whoami(tok2)
        while st != 200 and time.time() < deadline:
            self.assertEqual(st, 401, b)
            time.sleep(0.05)
            st, _, b = self.whoami(tok2)
        self.assertEqual(st, 200, b)
        self.assertGreater(self.idp.jwks_gets, before)
        # made-up kids within the bound do not turn into fetches
        stranger = Key("k9", "RS256")
        gets = self.idp.jwks_gets
        for _ in range(20):
            st, _, _ = self.whoami(stranger.sign(self.claims()))
            self.assertEqual(st, 401)
        self.assertLessEqual(self.idp.jwks_gets, gets + 1)
        # the IdP down: cached keys still verify
        self.idp.up = False
        try:
            time.sleep(1.1)
            st, _, _ = self.whoami(stranger.sign(self.claims()))
            self.assertEqual(st, 401)  # a refetch attempt that fails
            st, _, b = self.whoami(self.k1.sign(self.claims()))
            self.assertEqual(st, 200, b)
        finally:
            self.idp.up = True

    def test_mosquitto_with_the_idp_token_as_password(self):
        def pub(token):
            return subprocess.run(
                ["mosquitto_pub", "-h", "127.0.0.1", "-p",
                 str(self.srv.mqtt_port), "-u", "carol", "-P", token,
                 "-V", "mqttv5", "-q", "1", "-t", "idp/t", "-m", "hello"],
                capture_output=True, text=True, timeout=20)
        r = pub(self.k1.sign(self.claims()))
        self.assertEqual(r.returncode, 0, r.stderr)
        now = int(time.time())
        r = pub(self.k1.sign(self.claims(iat=now - 900, exp=now - 600)))
        self.assertNotEqual(r.returncode, 0)

    def test_psql_with_the_idp_token_as_password(self):
        tok = self.k1.sign(self.claims())
        rc, out, err = self.srv.psql("SELECT 1", user="carol", password=tok)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.strip(), "1")


if __name__ == "__main__":
    unittest.main()
