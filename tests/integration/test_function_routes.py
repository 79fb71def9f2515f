#!/usr/bin/env python3
"""Route bindings of serverless functions (issue 27): an upload with
route=true binds /fn/{tenant}/{id}/... (any method, any sub-path); the
request's method, path, query and headers reach the module through its
environment and argv, the module sets status and headers, and another
tenant cannot reach the route. Also the host API's aql_query (the
caller's namespace and scopes, writes through the store writer)."""

import json
import unittest

from test_functions import SECRET, FunctionsBase, put_doc
from tokens import bearer, make_jwt


def environ_of(body):
    _, env = body.split(b"\n--env--\n")
    return dict(e.split(b"=", 1) for e in env.split(b"\0") if b"=" in e)


class FunctionRouteTest(FunctionsBase):
    def test_bound_route_any_method_and_sub_path(self):
        st, _, b = self.upload("echo", "echo", "?route=true")
        self.assertEqual(st, 201, b)
        self.assertIn(b'"route":"/fn/_/echo"', b)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            st, h, b = self.server.request(
                method, "/fn/_/echo/orders/42?x=1&y=two", b"payload",
                {"X-Trace": "t1", "Authorization": "Basic secret"})
            self.assertEqual(st, 201, (method, b))
            self.assertEqual(h["x-echo"], "yes")
            self.assertTrue(b.startswith(b"payload\n--env--\n"), b)
            env = environ_of(b)
            self.assertEqual(env[b"THEMIS_METHOD"], method.encode())
            self.assertEqual(env[b"THEMIS_PATH"], b"/orders/42")
            self.assertEqual(env[b"THEMIS_QUERY"], b"x=1&y=two")
            self.assertEqual(env[b"THEMIS_ROUTE"], b"/fn/_/echo")
            self.assertEqual(env[b"HTTP_X_TRACE"], b"t1")
            self.assertNotIn(b"HTTP_AUTHORIZATION", env)
        # the bare route: sub-path "/"
        st, _, b = self.server.request("GET", "/fn/_/echo")
        self.assertEqual(st, 201, b)
        self.assertEqual(environ_of(b)[b"THEMIS_PATH"], b"/")

    def test_unbound_and_unknown_are_404(self):
        self.assertEqual(self.upload("plain", "hello")[0], 201)
        st, _, b = self.server.request("GET", "/fn/_/plain/x")
        self.assertEqual(st, 404, b)
        self.assertEqual(self.server.request("GET", "/fn/_/nope/x")[0], 404)
        # a new version keeps the binding unless it says otherwise
        self.assertEqual(self.upload("plain", "hello", "?route=1")[0], 200)
        self.assertEqual(self.upload("plain", "hello")[0], 200)
        self.assertEqual(self.server.request("GET", "/fn/_/plain/x")[:3:2],
                         (200, b"hello, world\n"))
        self.assertEqual(self.upload("plain", "hello", "?route=false")[0], 200)
        self.assertEqual(self.server.request("GET", "/fn/_/plain/x")[0], 404)
        self.assertEqual(self.upload("plain", "hello", "?route=maybe")[0], 400)


class FunctionAqlTest(FunctionsBase):
    def test_aql_reads_and_writes(self):
        put_doc(self.server, "src", "k1", {"n": 1})
        self.assertEqual(self.upload("aql", "aql")[0], 201)
        st, _, b = self.invoke("aql", b"FOR d IN src RETURN d.n")
        self.assertEqual((st, json.loads(b)), (200, [1]))
        tip = self.tip()
        st, _, b = self.invoke("aql", b"INSERT {_key: 'w1', by: 'aql'} INTO src")
        self.assertEqual(st, 200, b)
        st, _, doc = self.server.json("GET", "/v1/collections/src/documents/w1")
        self.assertEqual((st, doc.get("by")), (200, "aql"))
        self.assertGreater(self.tip(), tip)  # a change event like any write
        self.assertEqual(self.invoke("aql", b"FOR d IN")[0], 453)  # invalid
        self.assertEqual(self.invoke("aql", b"RETURN 1 / ")[0], 453)


class FunctionRouteTenantTest(FunctionsBase):
    server_args = ["--set", "auth.jwt_secret=" + SECRET]
    server_env = {"THEMIS_AUTH_REQUIRED": "true"}

    def test_tenant_b_cannot_use_a_route_of_a(self):
        acme = bearer(make_jwt(SECRET, "alice", "acme"))
        beta = bearer(make_jwt(SECRET, "bob", "beta"))
        self.assertEqual(self.upload("echo", "echo", "?route=true", acme)[0],
                         201)
        st, _, b = self.server.request("POST", "/fn/acme/echo/a", b"hi", acme)
        self.assertEqual(st, 201, b)
        self.assertEqual(environ_of(b)[b"THEMIS_TENANT"], b"acme")
        # beta: under acme's name, under its own, without credentials
        for path in ("/fn/acme/echo/a", "/fn/beta/echo/a", "/fn/_/echo/a"):
            st, _, b = self.server.request("POST", path, b"hi", beta)
            self.assertEqual(st, 404, (path, b))
        self.assertEqual(
            self.server.request("POST", "/fn/acme/echo/a", b"hi")[0], 401)

    def test_aql_sees_the_callers_namespace_and_scopes(self):
        acme = bearer(make_jwt(SECRET, "alice", "acme"))
        beta = bearer(make_jwt(SECRET, "bob", "beta"))
        for who, tag in ((acme, "acme"), (beta, "beta")):
            put_doc(self.server, "src", "k1", {"tenant": tag}, who)
            self.assertEqual(self.upload("aql", "aql", who=who)[0], 201)
        st, _, b = self.invoke("aql", b"FOR d IN src RETURN d.tenant", acme)
        self.assertEqual((st, json.loads(b)), (200, ["acme"]))
        st, _, b = self.invoke("aql", b"FOR d IN src RETURN d.tenant", beta)
        self.assertEqual((st, json.loads(b)), (200, ["beta"]))
        # a dotted name is not a way into another tenant's collection
        st, _, b = self.invoke("aql", b"FOR d IN `beta.src` RETURN d", acme)
        self.assertNotEqual(st, 200, b)
        # without the query scope: forbidden (-2); without data:write, a
        # write is forbidden too
        reader = bearer(make_jwt(SECRET, "carol", "acme", scope="data:read"))
        self.assertEqual(self.invoke("aql", b"RETURN 1", reader)[0], 452)
        querier = bearer(make_jwt(SECRET, "dave", "acme",
                                  scope="data:read query"))
        self.assertEqual(self.invoke("aql", b"RETURN 1", querier)[:3:2],
                         (200, b"[1]"))
        self.assertEqual(self.invoke(
            "aql", b"INSERT {_key: 'x'} INTO src", querier)[0], 452)


if __name__ == "__main__":
    unittest.main()
