"""The SAML 2.0 service provider (issue 24, docs/security.md) against a
test IdP whose messages are signed with the xmlsec1 CLI (keys made with
openssl here): SP-initiated login through the real themisd — the
HTTP-Redirect AuthnRequest (signed), the HTTP-POST ACS, and the access
token it returns used on REST — then every refusal: forged and tampered
signatures, unsigned, expired (with the clock-skew hint), replayed,
wrong audience, Recipient and Destination, unknown InResponseTo, a
missing required attribute (403), XML signature wrapping, a DTD/XXE
payload and an oversized message; SLO from the IdP (signed
LogoutRequest revokes the session's token) and by the user."""

import base64
import datetime
import html
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse
import zlib
import xml.etree.ElementTree as ET

from themis_harness import Server
import saml_test_idp as idp_mod
from saml_test_idp import b64

BASE = "https://db.test"
SP = BASE + "/api/v1/auth/saml/metadata"
ACS = BASE + "/api/v1/auth/saml/acs"
SLO = BASE + "/api/v1/auth/saml/slo"
IDP = "https://idp.test/metadata"
IDP_SLO = "https://idp.test/slo"
ATTRS = {"uid": "alice", "tenant": "acme", "email": "alice@acme.test",
         "groups": ["db-users", "staff"]}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class SamlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="themis_saml_")
        cls.idp = idp_mod.Idp(cls.dir, IDP, SP, ACS)
        cls.sp_key, cls.sp_crt = idp_mod.make_key(cls.dir, "sp")
        cls.evil_key, cls.evil_crt = idp_mod.make_key(cls.dir, "evil")
        md = cls.idp.metadata_file(IDP_SLO)
        cls.srv = Server(args=[
            "--set", "auth.required=true",
            # auth.required wants a key it can verify at start; the SAML
            # tokens are the OAuth2 provider's (RS256), not this secret's
            "--set", "auth.jwt_secret=saml-test-unused-secret-0123456789",
            "--set", "oauth2.enabled=true",
            "--set", "saml.enabled=true",
            "--set", "saml.base_url=" + BASE,
            "--set", "saml.idp_metadata_file=" + md,
            "--set", "saml.sp_key_file=" + cls.sp_key,
            "--set", "saml.sp_cert_file=" + cls.sp_crt,
            "--set", "saml.user_attribute=uid",
            "--set", "saml.tenant_attribute=tenant",
            "--set", "saml.scope_attribute=groups",
            "--set", "saml.scope_map=db-users=data:read data:write query",
            "--set", "saml.required_attributes=email",
            "--set", "saml.clock_skew_s=60",
            "--set", "saml.max_response_bytes=65536",
        ]).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()
            shutil.rmtree(cls.dir, ignore_errors=True)

    # -- helpers -----------------------------------------------------------
    def login(self, return_to=None):
        """GET …/login → (request id, RelayState, Location)."""
        path = "/api/v1/auth/saml/login"
        if return_to:
            path += "?" + urllib.parse.urlencode({"return_to": return_to})
        st, h, _ = self.srv.request("GET", path)
        self.assertEqual(st, 302)
        req, q = idp_mod.parse_redirect(h["location"])
        return req.get("ID"), q["RelayState"], h["location"]

    def post_acs(self, xml, relay=None, raw=None):
        body = {"SAMLResponse": raw if raw is not None else b64(xml)}
        if relay:
            body["RelayState"] = relay
        return self.srv.json("POST", "/api/v1/auth/saml/acs",
                             urllib.parse.urlencode(body), FORM)

    def signed(self, rid, attrs=ATTRS, **kw):
        aid, a = self.idp.assertion("alice-nameid", attrs, rid, **kw)
        return aid, self.idp.sign(self.idp.response(rid, a))

    def refused(self, xml, status, fragment, relay=None, raw=None):
        st, _, body = self.post_acs(xml, relay, raw)
        self.assertEqual(st, status, body)
        self.assertIs(body["error"], True)  # ThemisDB's error body
        self.assertEqual(body["status_code"], status)
        self.assertIn(fragment, body["message"])
        return body

    def whoami(self, token):
        return self.srv.json("GET", "/api/v1/whoami",
                             headers={"Authorization": "Bearer " + token})

    # -- the good path -------------------------------------------------------
    def test_metadata(self):
        st, h, body = self.srv.request("GET", "/api/v1/auth/saml/metadata")
        self.assertEqual(st, 200)
        self.assertIn("samlmetadata+xml", h["content-type"])
        root = ET.fromstring(body)
        self.assertEqual(root.get("entityID"), SP)
        text = body.decode()
        self.assertIn('Location="%s"' % ACS, text)
        self.assertIn('Location="%s"' % SLO, text)
        self.assertIn('AuthnRequestsSigned="true"', text)
        self.assertIn("X509Certificate", text)

    def test_authn_request_is_signed_redirect(self):
        rid, relay, loc = self.login()
        req, q = idp_mod.parse_redirect(loc)
        self.assertTrue(loc.startswith("https://idp.test/sso?"))
        self.assertEqual(req.get("AssertionConsumerServiceURL") or ACS, ACS)
        self.assertEqual(req.find("{%s}Issuer" % idp_mod.SAML_NS).text, SP)
        self.assertLessEqual(len(relay), 80)
        # the Redirect binding's signature over the raw query, checked
        # with openssl against the SP certificate
        query = urllib.parse.urlsplit(loc).query
        signed = query[:query.index("&Signature=")]
        sig = base64.b64decode(q["Signature"])
        self.assertIn("rsa-sha256", q["SigAlg"])
        pub = os.path.join(self.dir, "sp.pub")
        subprocess.run(["openssl", "x509", "-in", self.sp_crt, "-pubkey",
                        "-noout", "-out", pub], check=True, timeout=30)
        sigf = os.path.join(self.dir, "redirect.sig")
        with open(sigf, "wb") as f:
            f.write(sig)
        v = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub,
                            "-signature", sigf], input=signed.encode(),
                           capture_output=True, timeout=30)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_login_token_works_on_rest_and_replay_is_refused(self):
        rid, relay, _ = self.login()
        aid, xml = self.signed(rid)
        st, h, body = self.post_acs(xml, relay)
        self.assertEqual(st, 200, body)
        self.assertEqual(h.get("cache-control"), "no-store")
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["user"], "alice")
        self.assertEqual(body["tenant"], "acme")
        token = body["access_token"]
        st, _, who = self.whoami(token)
        self.assertEqual(st, 200, who)
        self.assertEqual(who["user"], "alice")
        self.assertEqual(who["tenant"], "acme")
        # db-users maps to these; "staff" maps to nothing
        self.assertEqual(sorted(who["scopes"]),
                         ["data:read", "data:write", "query"])
        auth = {"Authorization": "Bearer " + token}
        st, _, b = self.srv.json("POST", "/v1/collections",
                                 {"name": "saml_docs"}, auth)
        self.assertIn(st, (200, 201), b)
        st, _, b = self.srv.json("POST", "/v1/collections/saml_docs/documents",
                                 {"_key": "k1", "v": 1}, auth)
        self.assertIn(st, (200, 201), b)
        st, _, b = self.srv.json("GET", "/v1/collections/saml_docs/documents/k1",
                                 headers=auth)
        self.assertEqual(st, 200, b)
        self.assertEqual(b["v"], 1)
        # the same token as a PostgreSQL password (psql), in its tenant
        r = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.srv.pg_port), "-U",
             "alice", "-d", "acme", "-At", "-X", "-c",
             "SELECT doc->>'v' FROM saml_docs WHERE _key = 'k1'"],
            env=dict(os.environ, PGPASSWORD=token, PGCONNECT_TIMEOUT="10"),
            capture_output=True, text=True, timeout=60)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "1"),
                         r.stderr)
        # the same response again: the assertion id is remembered
        self.refused(xml, 401, "already used", relay)
        # …and an answer to a fresh request carrying the old assertion
        rid2, relay2, _ = self.login()
        _, a = self.idp.assertion("alice-nameid", ATTRS, rid2, aid=aid)
        self.refused(self.idp.sign(self.idp.response(rid2, a)), 401,
                     "already used", relay2)

    def test_signed_response_with_unsigned_assertion(self):
        rid, relay, _ = self.login()
        _, a = self.idp.assertion("alice-nameid", ATTRS, rid, sign=False)
        xml = self.idp.sign(self.idp.response(rid, a, sign=True),
                            node="urn:oasis:names:tc:SAML:2.0:protocol:"
                            "Response")
        st, _, body = self.post_acs(xml, relay)
        self.assertEqual(st, 200, body)

    def test_return_to_redirects_with_the_token_in_the_fragment(self):
        rid, relay, _ = self.login(return_to="/console/")
        _, xml = self.signed(rid)
        st, h, _ = self.srv.request(
            "POST", "/api/v1/auth/saml/acs",
            urllib.parse.urlencode({"SAMLResponse": b64(xml),
                                    "RelayState": relay}), FORM)
        self.assertEqual(st, 303)
        loc = h["location"]
        self.assertTrue(loc.startswith("/console/#access_token="), loc)
        frag = dict(urllib.parse.parse_qsl(loc.split("#", 1)[1]))
        self.assertEqual(self.whoami(frag["access_token"])[0], 200)
        for bad in ("//evil.test/", "https://evil.test/", "/a\\b"):
            st, _, body = self.srv.json(
                "GET", "/api/v1/auth/saml/login?" +
                urllib.parse.urlencode({"return_to": bad}))
            self.assertEqual(st, 400, bad)

    # -- refusals --------------------------------------------------------------
    def test_forged_and_tampered_signatures(self):
        rid, relay, _ = self.login()
        _, a = self.idp.assertion("alice-nameid", ATTRS, rid)
        forged = self.idp.sign(self.idp.response(rid, a), key=self.evil_key,
                               crt=self.evil_crt)
        self.refused(forged, 401, "signature", relay)
        _, good = self.signed(rid)
        tampered = good.replace("alice@acme.test", "mallory@acme.test")
        self.assertNotEqual(tampered, good)
        self.refused(tampered, 401, "signature", relay)
        _, unsigned = self.idp.assertion("alice-nameid", ATTRS, rid,
                                         sign=False)
        self.refused(self.idp.response(rid, unsigned), 401, "signature",
                     relay)
        # the request survived the refusals: the genuine answer works
        st, _, body = self.post_acs(good, relay)
        self.assertEqual(st, 200, body)

    def test_expired_assertion_has_a_clock_skew_hint(self):
        rid, relay, _ = self.login()
        old = idp_mod.utcnow() - datetime.timedelta(hours=2)
        _, xml = self.signed(rid, now=old)
        body = self.refused(xml, 401, "expired", relay)
        self.assertIn("clock skew", body["message"])
        self.assertIn("saml.clock_skew_s", body["message"])
        future = idp_mod.utcnow() + datetime.timedelta(hours=2)
        _, xml = self.signed(rid, now=future)
        self.refused(xml, 401, "not valid before", relay)

    def test_wrong_audience_recipient_destination_issuer(self):
        rid, relay, _ = self.login()
        _, xml = self.signed(rid, audience="https://other-sp.test")
        self.refused(xml, 401, "audience", relay)
        _, xml = self.signed(rid, recipient="https://other-sp.test/acs")
        self.refused(xml, 401, "Recipient", relay)
        _, a = self.idp.assertion("alice-nameid", ATTRS, rid)
        xml = self.idp.sign(self.idp.response(
            rid, a, destination="https://other-sp.test/acs"))
        self.refused(xml, 401, "Destination", relay)

    def test_in_response_to_must_name_an_outstanding_request(self):
        _, xml = self.signed("_never_sent_by_this_sp")
        self.refused(xml, 401, "InResponseTo")
        # unsolicited (IdP-initiated) responses are not accepted
        _, a = self.idp.assertion("alice-nameid", ATTRS, None)
        self.refused(self.idp.sign(self.idp.response(None, a)), 401,
                     "unsolicited")
        # an answered request cannot be answered twice
        rid, relay, _ = self.login()
        _, xml = self.signed(rid)
        self.assertEqual(self.post_acs(xml, relay)[0], 200)
        _, xml2 = self.signed(rid)
        self.refused(xml2, 401, "InResponseTo", relay)
        # the RelayState must be the request's
        rid, relay, _ = self.login()
        _, xml = self.signed(rid)
        self.refused(xml, 401, "RelayState", "not-the-relay-state")

    def test_missing_required_attribute_is_403(self):
        rid, relay, _ = self.login()
        attrs = dict(ATTRS)
        del attrs["email"]
        _, xml = self.signed(rid, attrs=attrs)
        self.refused(xml, 403, "'email'", relay)

    def test_signature_wrapping_is_refused(self):
        rid, relay, _ = self.login()
        aid, good = self.idp.assertion("alice-nameid", ATTRS, rid)
        signed = self.idp.sign(self.idp.response(rid, good))
        sa = re.search(r"<saml:Assertion.*</saml:Assertion>", signed,
                       re.S).group(0)
        sig = re.search(r"<ds:Signature.*</ds:Signature>", sa,
                        re.S).group(0)
        evil_attrs = dict(ATTRS, uid="mallory",
                          groups=["db-users", "db-admins"])
        eid, evil = self.idp.assertion("mallory", evil_attrs, rid,
                                       sign=False)
        cases = {
            # an unsigned assertion beside the signed one (either order)
            "evil-first": self.idp.response(rid, evil + sa),
            "evil-last": self.idp.response(rid, sa + evil),
            # the evil one takes the signed one's ID
            "same-id": self.idp.response(rid, evil.replace(eid, aid) + sa),
            # the signed assertion hidden inside the evil one
            "hidden-in-advice": self.idp.response(
                rid, evil.replace("</saml:Conditions>",
                                  "</saml:Conditions><saml:Advice>" + sa +
                                  "</saml:Advice>")),
            # the evil assertion carries the good one's signature
            "copied-signature": self.idp.response(
                rid, evil.replace("</saml:Issuer>", "</saml:Issuer>" + sig,
                                  1)),
            # the evil assertion inserted into a response already signed
            "after-response-signature": self.idp.sign(
                self.idp.response(rid, good.replace(
                    idp_mod.SIG.format(id=aid), ""), sign=True),
                node="urn:oasis:names:tc:SAML:2.0:protocol:Response"
            ).replace("</samlp:Response>", evil + "</samlp:Response>"),
        }
        for name, xml in cases.items():
            with self.subTest(name):
                st, _, body = self.post_acs(xml, relay)
                self.assertEqual(st, 401, (name, body))
                self.assertIs(body["error"], True)
        st, _, body = self.post_acs(signed, relay)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["user"], "alice")

    def test_hostile_input(self):
        xxe = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM '
               '"file:///etc/passwd">]><samlp:Response xmlns:samlp="' +
               idp_mod.SAMLP_NS + '">&x;</samlp:Response>')
        self.refused(xxe, 400, "DTD")
        self.refused(None, 413, "saml.max_response_bytes",
                     raw="A" * 70000)
        self.refused(None, 400, "base64", raw="%%%not-base64%%%")
        self.refused(None, 401, "unusable", raw=b64("<x/>"))
        st, _, body = self.srv.json("POST", "/api/v1/auth/saml/acs",
                                    "{}", {"Content-Type":
                                           "application/json"})
        self.assertEqual(st, 400, body)

    # -- logout ----------------------------------------------------------------
    def login_token(self, session_index=None):
        rid, relay, _ = self.login()
        _, xml = self.signed(rid, session_index=session_index)
        st, _, body = self.post_acs(xml, relay)
        self.assertEqual(st, 200, body)
        return body["access_token"]

    def post_slo(self, xml):
        return self.srv.request(
            "POST", "/api/v1/auth/saml/slo",
            urllib.parse.urlencode({"SAMLRequest": b64(xml)}), FORM)

    def test_idp_logout_revokes_the_session(self):
        t1 = self.login_token(session_index="_sess_one")
        t2 = self.login_token(session_index="_sess_two")
        lr = self.idp.logout_request("alice-nameid", "_sess_one", SLO)
        # forged and unsigned LogoutRequests change nothing
        st, _, _ = self.post_slo(self.idp.sign(
            lr, node="urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
            key=self.evil_key, crt=self.evil_crt))
        self.assertEqual(st, 401)
        self.assertEqual(self.whoami(t1)[0], 200)
        signed = self.idp.sign(
            lr, node="urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest")
        st, h, body = self.post_slo(signed)
        self.assertEqual(st, 200, body)
        self.assertIn("text/html", h["content-type"])
        page = body.decode()
        self.assertIn('action="%s"' % IDP_SLO, page)
        resp = re.search(r'name="SAMLResponse" value="([^"]+)"', page)
        root = ET.fromstring(base64.b64decode(html.unescape(resp.group(1))))
        self.assertTrue(root.tag.endswith("LogoutResponse"))
        code = root.find("{%s}Status/{%s}StatusCode" % (idp_mod.SAMLP_NS,
                                                       idp_mod.SAMLP_NS))
        self.assertTrue(code.get("Value").endswith(":Success"))
        self.assertEqual(self.whoami(t1)[0], 401)  # that session ended
        self.assertEqual(self.whoami(t2)[0], 200)  # the other did not
        # the same signed LogoutRequest again (captured and replayed): 401
        st, _, body = self.post_slo(signed)
        self.assertEqual(st, 401, body)
        self.assertIn(b"used before", body)
        # a stale one (issued an hour ago), validly signed: 401
        old = re.sub(r'IssueInstant="[^"]+"',
                     'IssueInstant="%s"' % idp_mod.iso(
                         idp_mod.utcnow() - datetime.timedelta(hours=1)),
                     self.idp.logout_request("alice-nameid", "_sess_two",
                                             SLO), count=1)
        st, _, body = self.post_slo(self.idp.sign(
            old, node="urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest"))
        self.assertEqual(st, 401, body)
        self.assertIn(b"not fresh", body)
        self.assertEqual(self.whoami(t2)[0], 200)
        # a LogoutRequest addressed to another SP
        lr = self.idp.logout_request("alice-nameid", "_sess_two",
                                     "https://other-sp.test/slo")
        st, _, _ = self.post_slo(self.idp.sign(
            lr, node="urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest"))
        self.assertEqual(st, 401)
        self.assertEqual(self.whoami(t2)[0], 200)

    def test_user_logout_with_bearer(self):
        t = self.login_token()
        st, _, body = self.srv.json(
            "POST", "/api/v1/auth/saml/slo",
            headers={"Authorization": "Bearer " + t})
        self.assertEqual(st, 200, body)
        self.assertEqual(self.whoami(t)[0], 401)


if __name__ == "__main__":
    unittest.main()
