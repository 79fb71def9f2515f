"""GET /api/v1/whoami (issue 29, docs/rest-api.md): the caller as the
server sees it — a JWT's user, tenant and scopes, an API key's id, a
global admin acting in a tenant through X-Tenant-ID (still a global
admin), a tenant's principal refused another tenant, no credentials
401. The web console shows this and offers the tenant switch only to a
global admin."""

import unittest

from themis_harness import Server
from tokens import ALL_SCOPES, bearer, make_jwt

SECRET = "whoami test secret, long enough!!"
ROOT = make_jwt(SECRET, "root", scope="admin " + ALL_SCOPES)
BOSS = make_jwt(SECRET, "boss", "acme", scope="admin " + ALL_SCOPES)
ALICE = make_jwt(SECRET, "alice", "acme", scope="data:read")


class WhoamiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=("--set", "auth.jwt_secret=" + SECRET),
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def me(self, tok, tenant=None):
        h = bearer(tok) if tok else {}
        if tenant is not None:
            h["X-Tenant-ID"] = tenant
        return self.srv.json("GET", "/api/v1/whoami", None, h)

    def test_principals(self):
        st, _, b = self.me(ROOT)
        self.assertEqual(st, 200)
        self.assertEqual((b["user"], b["tenant"], b["via"]), ("root", "", "jwt"))
        self.assertTrue(b["admin"] and b["global_admin"])
        self.assertIn("data:write", b["scopes"])
        st, _, b = self.me(ALICE)
        self.assertEqual((st, b["user"], b["tenant"], b["scopes"]),
                         (200, "alice", "acme", ["data:read"]))
        self.assertFalse(b["admin"] or b["global_admin"])
        # a tenant's admin is an admin, not a global one
        st, _, b = self.me(BOSS)
        self.assertEqual((st, b["admin"], b["global_admin"]), (200, True, False))

    def test_tenant_switch(self):
        st, _, b = self.me(ROOT, "acme")
        self.assertEqual((st, b["tenant"], b["global_admin"]),
                         (200, "acme", True))
        for tok in (ALICE, BOSS):
            st, _, _ = self.me(tok, "beta")
            self.assertEqual(st, 403)
        st, _, _ = self.me(ROOT, "Not A Tenant")
        self.assertEqual(st, 400)

    def test_api_key_and_anonymous(self):
        st, _, key = self.srv.json("POST", "/api/v1/keys",
                                   {"name": "w", "scopes": ["query"]},
                                   bearer(ROOT))
        self.assertEqual(st, 201, key)
        st, _, b = self.me(key["token"])
        self.assertEqual((st, b["via"], b["key_id"], b["scopes"]),
                         (200, "api_key", key["id"], ["query"]))
        self.assertNotIn(key["token"], str(b))
        st, _, _ = self.me(None)
        self.assertEqual(st, 401)


if __name__ == "__main__":
    unittest.main()
