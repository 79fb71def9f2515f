"""The OAuth2 / OpenID Connect provider (issue 24, docs/security.md) with
a real relying party: openid-client (npm, pinned in tests/node) runs
tests/node/oidc_rp.mjs against a real themisd — discovery, code + PKCE
with the login form driven over HTTP, ID-token validation by the library,
userinfo, refresh rotation and reuse detection, introspection,
revocation, client credentials, logout — and the issued access token on
REST, MQTT and PostgreSQL. Raw HTTP checks the RFC 6749 §4.1.2.1 error
split, CSRF refusals, and that refresh tokens survive a restart."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

from themis_harness import Server

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "node")
REDIRECT = "http://127.0.0.1:9/cb"
LOGOUT = "http://127.0.0.1:9/bye"
CLIENTS = ("web secret=web-secret-1 redirect_uri=%s "
           "post_logout_redirect_uri=%s name=Test+App, "
           "svc secret=svc-secret-1 redirect_uri=%s scope=data:read "
           "tenant=acme, "
           "spa public redirect_uri=%s") % (REDIRECT, LOGOUT, REDIRECT,
                                             REDIRECT)
# a private_key_jwt client: themisd holds only its public key
PKJ_CLIENT = ", jwtc public_key_file=%s redirect_uri=" + REDIRECT + \
    " scope=data:read tenant=acme"


def args(key_dir):
    return ["--set", "oauth2.enabled=true",
            "--set", "oauth2.clients=" + CLIENTS +
            PKJ_CLIENT % os.path.join(key_dir, "jwtc.pub"),
            "--set", "oauth2.users=alice:wonderland",
            "--set", "auth.principals=alice tenant=acme scope=data:read "
                     "scope=data:write scope=query"]


def form(d):
    return urllib.parse.urlencode(d)


class OidcProviderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules",
                                          "openid-client")):
            raise RuntimeError("tests/node/node_modules is missing: run "
                               "scripts/test.sh (it runs npm ci)")
        cls.keys = tempfile.mkdtemp(prefix="themis_oidc_keys_")
        key = os.path.join(cls.keys, "jwtc.key")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                        "-pkeyopt", "rsa_keygen_bits:2048", "-out", key],
                       check=True, capture_output=True, timeout=60)
        subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out",
                        os.path.join(cls.keys, "jwtc.pub")], check=True,
                       capture_output=True, timeout=60)
        cls.srv = Server(args=args(cls.keys)).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()
            shutil.rmtree(cls.keys, ignore_errors=True)

    def issuer(self):
        return "http://127.0.0.1:%d" % self.srv.port

    def run_rp(self, srv=None, alg="RS256"):
        srv = srv or self.srv
        env = dict(os.environ, OIDC_ISSUER="http://127.0.0.1:%d" % srv.port,
                   OIDC_ALG=alg,
                   OIDC_REDIRECT=REDIRECT, OIDC_LOGOUT_REDIRECT=LOGOUT,
                   OIDC_CLIENT="web", OIDC_SECRET="web-secret-1",
                   OIDC_SVC_CLIENT="svc", OIDC_SVC_SECRET="svc-secret-1",
                   OIDC_USER="alice", OIDC_PASSWORD="wonderland",
                   MQTT_PORT=str(srv.mqtt_port),
                   OIDC_PKJ_KEY=os.path.join(self.keys, "jwtc.key"),
                   PG_PORT=str(srv.pg_port))
        p = subprocess.run(["node", "oidc_rp.mjs"], cwd=NODE_DIR, env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, (p.stdout + p.stderr)[-4000:])
        return json.loads(p.stdout.strip().splitlines()[-1])

    def test_openid_client_relying_party(self):
        o = self.run_rp()
        self.assertEqual(o["discovery"]["issuer"], self.issuer())
        self.assertEqual(o["discovery"]["pkce"], ["S256"])
        self.assertEqual(o["form_status"], 200)
        self.assertIn("frame-ancestors 'none'", o["form_csp"])
        self.assertEqual(o["redirect_status"], 302)
        self.assertEqual(o["id_token"]["sub"], "alice")
        self.assertTrue(o["id_token"]["nonce_ok"])
        self.assertEqual(o["id_token"]["aud"], "web")
        self.assertEqual(o["id_token"]["tenant"], "acme")
        # admin was asked for; alice does not hold it
        self.assertEqual(o["scope"], "openid data:read data:write")
        self.assertEqual(o["userinfo"]["sub"], "alice")
        self.assertEqual(o["rest"]["status"], 200)
        self.assertEqual(o["rest"]["body"]["user"], "alice")
        self.assertEqual(o["rest"]["body"]["tenant"], "acme")
        self.assertIn("data:write", o["rest"]["body"]["scopes"])
        self.assertNotIn("admin", o["rest"]["body"]["scopes"])
        self.assertEqual(o["code_reuse"], "invalid_grant")
        self.assertEqual(o["rest_after_code_reuse"], 401)
        self.assertEqual(o["pkce_mismatch"], "invalid_grant")
        self.assertEqual(o["bad_password_status"], 401)
        # rotation, then reuse detection revokes the family
        self.assertTrue(o["rotated"])
        self.assertEqual(o["refreshed_rest"], 200)
        self.assertTrue(o["introspect_active"])
        self.assertTrue(o["introspect_refresh"]["active"])
        self.assertEqual(o["introspect_refresh"]["client_id"], "web")
        self.assertEqual(o["refresh_reuse"], "invalid_grant")
        self.assertEqual(o["after_reuse_latest"], "invalid_grant")
        self.assertFalse(o["after_reuse_introspect"])
        self.assertEqual(o["after_reuse_rest"], 401)
        self.assertIn('error="invalid_token"', o["after_reuse_challenge"])
        # revocation
        self.assertFalse(o["revoked_access_introspect"])
        self.assertEqual(o["revoked_access_rest"], 401)
        self.assertEqual(o["revoked_refresh"], "invalid_grant")
        # client credentials
        cc = o["client_credentials"]
        self.assertEqual(cc["scope"], "data:read")
        self.assertIsNone(cc["refresh"])
        self.assertEqual(cc["rest"]["status"], 200)
        self.assertEqual(cc["rest"]["body"]["user"], "svc")
        self.assertEqual(cc["rest"]["body"]["tenant"], "acme")
        self.assertEqual(o["cc_bad_scope"], "invalid_scope")
        # 401 with the Basic challenge RFC 6749 §5.2 asks for
        self.assertRegex(o["bad_secret"], r"^401 basic (invalid_client|"
                                          r"undefined)$")
        # the same token as a password on MQTT and PostgreSQL
        self.assertEqual(o["mqtt"], "ok")
        self.assertNotEqual(o["mqtt_revoked"], "ok")
        self.assertEqual(o["pg"], 1)
        self.assertEqual(o["pg_revoked"], "28P01")
        # logout redirects back and ends the grant
        self.assertEqual(o["logout"]["status"], 302)
        self.assertEqual(o["logout"]["location"], LOGOUT + "?state=bye")
        self.assertEqual(o["after_logout_refresh"], "invalid_grant")
        # the audit log saw the sign-ins, the refused client, the replays
        st, _, b = self.srv.json("GET",
                                 "/api/v1/audit?action=oauth2&limit=1000")
        self.assertEqual(st, 200, b)
        seen = {(e["action"], e["outcome"]) for e in b["events"]}
        for want in (("oauth2.login", "ok"), ("oauth2.login", "denied"),
                     ("oauth2.reuse", "denied"),
                     ("oauth2.client_auth", "denied")):
            self.assertIn(want, seen)
        reuse = [e for e in b["events"] if e["action"] == "oauth2.reuse"]
        self.assertEqual(reuse[0]["user"], "alice")
        self.assertEqual(reuse[0]["tenant"], "acme")
        # private_key_jwt (RFC 7523) by openid-client's PrivateKeyJwt
        self.assertEqual(o["private_key_jwt"],
                         {"scope": "data:read", "rest": 200})

    def test_es256_relying_party(self):
        # a rotation to ES256 (P-256): ID and access tokens validated by
        # openid-client with id_token_signed_response_alg ES256
        srv = Server(args=args(self.keys)).start()
        try:
            st, _, b = srv.json("POST", "/api/v1/auth/keys/rotate",
                                {"alg": "ES256"})
            self.assertEqual(st, 200, b)
            st, _, jwks = srv.json("GET", "/api/v1/auth/jwks")
            self.assertEqual(len(jwks["keys"]), 2)
            self.assertEqual(jwks["keys"][0]["kty"], "EC")
            o = self.run_rp(srv, "ES256")
            self.assertEqual(o["id_token"]["sub"], "alice")
            self.assertTrue(o["id_token"]["nonce_ok"])
            self.assertEqual(o["rest"]["status"], 200)
            self.assertEqual(o["refresh_reuse"], "invalid_grant")
            self.assertEqual(o["pg"], 1)
        finally:
            srv.stop()
            srv.cleanup()

    def authorize(self, **params):
        q = {"response_type": "code", "client_id": "web",
             "redirect_uri": REDIRECT, "state": "s1", "scope": "openid",
             "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
             "code_challenge_method": "S256"}
        q.update(params)
        q = {k: v for k, v in q.items() if v is not None}
        return self.srv.request("GET", "/api/v1/auth/authorize?" + form(q))

    def test_authorization_errors_rfc6749_4_1_2_1(self):
        # client_id or redirect_uri wrong: a 400 page, never a redirect
        st, hd, body = self.authorize(client_id="nobody")
        self.assertEqual(st, 400)
        self.assertNotIn("location", hd)
        st, _, _ = self.authorize(redirect_uri="http://127.0.0.1:9/evil")
        self.assertEqual(st, 400)
        # otherwise the error goes back to the client with the state
        for params, error in (({"response_type": "token"},
                               "unsupported_response_type"),
                              ({"code_challenge_method": "plain"},
                               "invalid_request"),
                              ({"client_id": "spa", "code_challenge": None,
                                "code_challenge_method": None},
                               "invalid_request"),
                              ({"client_id": "svc", "scope": "admin"},
                               "invalid_scope"),
                              ({"prompt": "none"}, "login_required")):
            st, hd, _ = self.authorize(**params)
            self.assertEqual(st, 302, params)
            loc = hd["location"]
            q = urllib.parse.parse_qs(urllib.parse.urlparse(loc).query)
            self.assertTrue(loc.startswith(REDIRECT + "?"), loc)
            self.assertEqual(q["error"], [error], params)
            self.assertEqual(q["state"], ["s1"])
            self.assertEqual(q["iss"], [self.issuer()])

    def test_login_form_csrf(self):
        st, hd, body = self.authorize()
        self.assertEqual(st, 200)
        html = body.decode()
        rid = re.search(r'name=request_id value="([^"]*)"', html).group(1)
        csrf = re.search(r'name=csrf_token value="([^"]*)"', html).group(1)
        cookie = hd["set-cookie"]
        self.assertIn("HttpOnly", cookie)
        cookie = cookie.split(";")[0]
        post = {"request_id": rid, "csrf_token": csrf, "username": "alice",
                "password": "wonderland"}
        ct = {"Content-Type": "application/x-www-form-urlencoded"}
        # a cross-site POST has the CSRF token of no form, or no cookie
        st, _, _ = self.srv.request("POST", "/api/v1/auth/authorize",
                                    form(dict(post, csrf_token="x")),
                                    dict(ct, Cookie=cookie))
        self.assertEqual(st, 403)
        st, _, _ = self.srv.request("POST", "/api/v1/auth/authorize",
                                    form(post), ct)
        self.assertEqual(st, 403)
        st, hd, _ = self.srv.request("POST", "/api/v1/auth/authorize",
                                     form(post), dict(ct, Cookie=cookie))
        self.assertEqual(st, 302)
        # the token endpoint wants a form, and its errors are RFC 6749's
        st, _, b = self.srv.request("POST", "/api/v1/auth/token", "{}",
                                    {"Content-Type": "application/json"})
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(b)["error"], "invalid_request")
        st, hd, b = self.srv.request(
            "POST", "/api/v1/auth/token",
            form({"grant_type": "authorization_code", "code": "x",
                  "client_id": "web", "client_secret": "nope"}), ct)
        self.assertEqual(st, 401)
        self.assertEqual(json.loads(b)["error"], "invalid_client")
        st, _, b = self.srv.request(
            "POST", "/api/v1/auth/token",
            "grant_type=refresh_token&grant_type=refresh_token", ct)
        self.assertEqual(st, 400)

    def test_refresh_token_survives_restart_and_jwks(self):
        st, _, body = self.srv.request("GET", "/api/v1/auth/jwks")
        self.assertEqual(st, 200)
        keys = json.loads(body)["keys"]
        self.assertEqual(keys[0]["alg"], "RS256")
        st, _, body = self.srv.request(
            "GET", "/.well-known/oauth-authorization-server")
        self.assertEqual(json.loads(body)["token_endpoint"],
                         self.issuer() + "/api/v1/auth/token")
        # a client_credentials token from before a restart still verifies
        # (the key is in auth.db), and clients registered by the API stay
        ct = {"Content-Type": "application/x-www-form-urlencoded"}
        st, _, b = self.srv.request(
            "POST", "/api/v1/auth/token",
            form({"grant_type": "client_credentials", "client_id": "svc",
                  "client_secret": "svc-secret-1"}), ct)
        self.assertEqual(st, 200, b)
        at = json.loads(b)["access_token"]
        st, _, b = self.srv.request(
            "POST", "/api/v1/auth/clients",
            json.dumps({"client_id": "api1", "redirect_uris": [REDIRECT]}),
            {"Content-Type": "application/json"})
        self.assertEqual(st, 201, b)
        self.assertTrue(json.loads(b)["client_secret"])
        self.srv.stop()
        self.srv.start()
        st, _, b = self.srv.request("GET", "/api/v1/whoami",
                                    headers={"Authorization": "Bearer " + at})
        self.assertEqual(st, 200, b)
        self.assertEqual(json.loads(b)["user"], "svc")
        st, _, b = self.srv.request("GET", "/api/v1/auth/clients")
        ids = [c["client_id"] for c in json.loads(b)["clients"]]
        self.assertIn("api1", ids)
        st, _, b = self.srv.request("GET", "/api/v1/auth/jwks")
        self.assertEqual(json.loads(b)["keys"][0]["kid"], keys[0]["kid"])


if __name__ == "__main__":
    unittest.main()
