"""Kerberos sign-in (issue 24) against a real MIT KDC started on loopback
(mit_kdc.py, Debian krb5-kdc): curl --negotiate (SPNEGO, RFC 4559) on the
REST API and psql with GSSAPI on the PostgreSQL port, as the principal the
realm rule maps; no ticket, a ticket for another service, a realm no rule
names, a service principal, a replayed and an expired ticket refused."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import mit_kdc  # noqa: E402
from themis_harness import Server  # noqa: E402

REALM = "THEMIS.TEST"
# auth.required needs some way to mint the first admin token
JWT_SECRET = "kerberos-test-secret-0123456789abcdef"


@unittest.skipUnless(mit_kdc.available(),
                     "MIT KDC binaries (krb5-kdc, krb5-admin-server, "
                     "krb5-user) are not installed: KERBEROS NOT TESTED")
class KerberosTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kdc = mit_kdc.MitKdc(REALM).start()
        k = cls.kdc
        cls.keytab = os.path.join(k.dir, "server.keytab")
        # one keytab for both services: a ticket for the one must not
        # open the other
        k.add_service("HTTP/localhost", cls.keytab)
        k.add_service("postgres/localhost", cls.keytab)
        cls.cc = {}
        for name in ("alice", "bob", "alice/admin"):
            kt = k.add_user(name)
            cc = os.path.join(k.dir, "cc_" + name.replace("/", "_"))
            k.kinit(name, kt, cc)
            cls.cc[name] = (kt, cc)
        cls.srv = Server(args=[
            "--set", "auth.required=true",
            "--set", "auth.jwt_secret=" + JWT_SECRET,
            "--set", "auth.kerberos.keytab=" + cls.keytab,
            "--set", "auth.kerberos.realms=" + REALM +
            " tenant=acme scope=data:read",
            "--set", "auth.principals=alice tenant=other scope=query "
            "scope=data:write",
            "--set", "pg.auth_rules=gss user=alice,gss user=bob "
            "host=127.0.0.1/32",
            "--set", "pg.users=carol:carol-password",
        ], env={"KRB5_CONFIG": k.krb5_conf, "KRB5RCACHEDIR": k.dir})
        try:
            cls.srv.start()
        except Exception:
            cls.kdc.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        cls.kdc.stop()

    # -- helpers -----------------------------------------------------------
    def curl(self, who, path="/api/v1/whoami", extra=(), port=None):
        env = self.kdc.client_env(self.cc[who][1]) if who else dict(
            self.kdc.env, KRB5CCNAME="FILE:/nonexistent")
        r = subprocess.run(
            ["curl", "-sS", "--max-time", "10", "--negotiate", "-u", ":",
             "-o", "-", "-w", "\n%{http_code}", "-D", "-", *extra,
             "http://localhost:%d%s" % (port or self.srv.port, path)],
            env=env, capture_output=True, text=True, timeout=30)
        body, _, code = r.stdout.rpartition("\n")
        return int(code or 0), body, r

    def capture_token(self, who):
        tokens = mit_kdc.capture_tokens(self.kdc.client_env(self.cc[who][1]))
        self.assertEqual(len(tokens), 1)
        return tokens[0]

    def psql(self, who, user, gssencmode="disable", sql="SELECT 40 + 2"):
        conn = ("host=localhost port=%d dbname=themis user=%s "
                "krbsrvname=postgres connect_timeout=10" %
                (self.srv.pg_port, user))
        if gssencmode:
            conn += " gssencmode=" + gssencmode
        env = self.kdc.client_env(self.cc[who][1])
        env.pop("PGPASSWORD", None)
        return subprocess.run(["psql", "-X", "-w", "-At", "-d", conn,
                               "-c", sql], env=env, capture_output=True,
                              text=True, timeout=30)

    # -- HTTP --------------------------------------------------------------
    def test_curl_negotiate_signs_in_as_the_mapped_principal(self):
        code, body, r = self.curl("alice")
        self.assertEqual(code, 200, r.stdout + r.stderr)
        import json
        who = json.loads(body.split("\n\n")[-1])
        self.assertEqual(who["user"], "alice")
        self.assertEqual(who["via"], "kerberos")
        self.assertEqual(who["tenant"], "acme")  # the realm rule's
        self.assertEqual(sorted(who["scopes"]), ["data:write", "query"])
        # mutual authentication: the AP-REP came back (curl checked it)
        self.assertRegex(r.stdout, r"(?i)www-authenticate: Negotiate \S+")
        # bob has no auth.principals entry: the rule's default scopes
        code, body, r = self.curl("bob")
        self.assertEqual(code, 200, r.stdout + r.stderr)
        who = json.loads(body.split("\n\n")[-1])
        self.assertEqual((who["user"], who["tenant"], who["scopes"]),
                         ("bob", "acme", ["data:read"]))

    def test_curl_negotiate_over_h2c(self):
        # the same auth gate behind HTTP/2 (prior knowledge, cleartext)
        code, body, r = self.curl("bob", extra=["--http2-prior-knowledge"])
        self.assertEqual(code, 200, r.stdout + r.stderr)
        self.assertIn("HTTP/2 200", r.stdout)
        self.assertIn('"via":"kerberos"', body.replace(" ", ""))

    def test_no_ticket_is_401_offering_negotiate(self):
        st, h, _ = self.srv.request("GET", "/api/v1/whoami")
        self.assertEqual(st, 401)
        c = self.srv.conn()
        c.request("GET", "/api/v1/whoami")
        resp = c.getresponse()
        resp.read()
        offers = resp.msg.get_all("WWW-Authenticate")
        c.close()
        self.assertIn("Negotiate", offers)
        self.assertTrue(any(o.startswith("Bearer") for o in offers))
        code, _, r = self.curl(None)
        self.assertEqual(code, 401, r.stdout + r.stderr)

    def test_ticket_for_another_service_is_refused(self):
        # curl asks for postgres/localhost: in the keytab, not HTTP's
        code, _, r = self.curl("alice", extra=["--service-name", "postgres"])
        self.assertEqual(code, 401, r.stdout)
        # MIT's acceptor refuses it (HTTP/@ matches any host, not another
        # service); gss_exchange checks the target again behind it
        self.assertIn("postgres/localhost@THEMIS.TEST", r.stdout)
        self.assertRegex(r.stdout, "does not match server principal HTTP|"
                         "not for service HTTP")

    def test_service_principal_is_refused(self):
        code, _, r = self.curl("alice/admin")
        self.assertEqual(code, 401, r.stdout)
        self.assertIn("instance", r.stdout)

    def test_captured_token_works_once(self):
        tok = self.capture_token("bob")
        st, _, body = self.srv.request(
            "GET", "/api/v1/whoami", headers={"Authorization":
                                              "Negotiate " + tok})
        self.assertEqual(st, 200, body)
        st, _, body = self.srv.request(
            "GET", "/api/v1/whoami", headers={"Authorization":
                                              "Negotiate " + tok})
        self.assertEqual(st, 401, body)  # the replay cache
        self.assertIn(b"replay", body.lower())

    def test_expired_ticket_is_refused(self):
        kt, _ = self.cc["bob"]
        cc = os.path.join(self.kdc.dir, "cc_bob_short")
        self.kdc.kinit("bob", kt, cc, lifetime="3s")
        self.cc["bob_short"] = (kt, cc)
        tok = self.capture_token("bob_short")
        time.sleep(5.5)  # 3 s life + 1 s clock skew (krb5.conf) + margin
        st, _, body = self.srv.request(
            "GET", "/api/v1/whoami", headers={"Authorization":
                                              "Negotiate " + tok})
        self.assertEqual(st, 401, body)
        self.assertIn(b"expired", body.lower())

    def test_garbage_tokens_are_refused(self):
        for tok in ["!!!", "AAAA", "YII" + "A" * 5000]:
            st, _, body = self.srv.request(
                "GET", "/api/v1/whoami",
                headers={"Authorization": "Negotiate " + tok})
            self.assertEqual(st, 401, (tok[:10], body))
        st, _, _ = self.srv.request("GET", "/health/ready")
        self.assertEqual(st, 200)

    def test_unknown_realm_is_refused(self):
        srv = Server(args=[
            "--set", "auth.required=true",
            "--set", "auth.jwt_secret=" + JWT_SECRET,
            "--set", "auth.kerberos.keytab=" + self.keytab,
            "--set", "auth.kerberos.realms=OTHER.TEST tenant=x",
        ], env={"KRB5_CONFIG": self.kdc.krb5_conf,
                "KRB5RCACHEDIR": self.kdc.dir})
        try:
            srv.start()
            code, _, r = self.curl("alice", port=srv.port)
            self.assertEqual(code, 401, r.stdout)
            self.assertIn("THEMIS.TEST is not in auth.kerberos.realms",
                          r.stdout)
        finally:
            srv.cleanup()

    def test_negotiate_without_kerberos_is_refused(self):
        # an open server (auth off, no keytab): a ticket it cannot verify
        # is refused, not ignored into the anonymous principal
        srv = Server()
        try:
            srv.start()
            tok = self.capture_token("alice")
            st, h, body = srv.request(
                "GET", "/api/v1/whoami",
                headers={"Authorization": "Negotiate " + tok})
            self.assertEqual(st, 401, body)
            self.assertIn(b"not configured", body)
            # (the last WWW-Authenticate: no Negotiate challenge added)
            self.assertTrue(h["www-authenticate"].startswith("Bearer"))
        finally:
            srv.cleanup()

    def test_bad_keytab_stops_the_start(self):
        srv = Server(args=[
            "--set", "auth.kerberos.keytab=/nonexistent/keytab",
            "--set", "auth.kerberos.realms=" + REALM,
        ], env={"KRB5_CONFIG": self.kdc.krb5_conf})
        try:
            srv.start(wait=False)
            self.assertEqual(srv.proc.wait(15), 2)
            self.assertIn("auth.kerberos", srv.read_log())
        finally:
            srv.cleanup()

    # -- PostgreSQL --------------------------------------------------------
    def test_psql_gssapi_without_gss_encryption(self):
        r = self.psql("alice", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "42")

    def test_psql_default_gssencmode_falls_back(self):
        # libpq asks GSSENCRequest first (it holds a ticket); 'N' → plain
        r = self.psql("bob", "bob", gssencmode=None,
                      sql="SELECT current_user")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "bob")

    def test_psql_ticket_of_another_user_is_refused(self):
        r = self.psql("alice", "bob")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("GSSAPI authentication failed", r.stderr)

    def test_psql_password_users_keep_their_method(self):
        # no rule names themis: pg.auth (SCRAM) as before
        st, out, err = self.srv.psql("SELECT 1", user="carol",
                                     password="carol-password")
        self.assertEqual(st, 0, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
