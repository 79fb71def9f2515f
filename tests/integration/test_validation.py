"""Request validation against the handler registry's JSON Schemas (issue
22): bodies and query parameters checked before the handler; 400 as RFC
9457 application/problem+json with one entry per violation and its JSON
Pointer, alongside ThemisDB's error fields; hostile input bounded."""

import json
import unittest

from themis_harness import ServerTest


class ValidationTest(ServerTest):
    def problem(self, method, path, body, ctype="application/json"):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        st, h, raw = self.server.request(method, path, data,
                                         {"Content-Type": ctype})
        self.assertEqual(st, 400, raw[:300])
        self.assertEqual(h["content-type"], "application/problem+json")
        p = json.loads(raw)
        # RFC 9457 members and ThemisDB's error body at once
        self.assertEqual(p["status"], 400)
        self.assertEqual(p["title"], "Bad Request")
        self.assertEqual(p["type"], "about:blank")
        self.assertIs(p["error"], True)
        self.assertEqual(p["status_code"], 400)
        self.assertTrue(p["message"].startswith("request validation failed"))
        return p

    def test_body_violations_with_pointers(self):
        p = self.problem("POST", "/api/v1/collections",
                         {"name": 5, "type": [1]})
        ptrs = {(e["in"], e["pointer"]) for e in p["errors"]}
        self.assertIn(("body", "#/name"), ptrs)
        self.assertIn(("body", "#/type"), ptrs)
        self.assertEqual(p["instance"], "/api/v1/collections")
        p = self.problem("POST", "/v1/collections", {})
        self.assertEqual(p["errors"][0]["pointer"], "#")
        self.assertIn("name", p["errors"][0]["detail"])
        p = self.problem("POST", "/query/aql",
                         {"query": "RETURN 1", "bindVars": [1]})
        self.assertEqual(p["errors"][0]["pointer"], "#/bindVars")
        p = self.problem("POST", "/api/v1/keys",
                         {"name": "k", "scopes": ["data:read", 7]})
        self.assertEqual(p["errors"][0]["pointer"], "#/scopes/1")

    def test_query_parameters(self):
        self.server.json("POST", "/v1/collections", {"name": "valq"})
        for q in ("limit=abc", "limit=0", "limit=5000", "limit=1.5"):
            st, h, raw = self.server.request(
                "GET", "/api/v1/collections/valq/documents?" + q)
            self.assertEqual(st, 400, q)
            e = json.loads(raw)["errors"][0]
            self.assertEqual((e["in"], e["pointer"]), ("query", "#/limit"))
        st, _, b = self.server.json(
            "GET", "/api/v1/collections/valq/documents?limit=2")
        self.assertEqual(st, 200, b)

    def test_valid_and_non_json_bodies_reach_the_handler(self):
        st, _, b = self.server.json("POST", "/api/v1/collections",
                                    {"name": "valok"})
        self.assertEqual(st, 201, b)
        # not JSON at all: the handler's own 400 (ThemisDB's body)
        st, h, raw = self.server.request(
            "POST", "/api/v1/collections", "{nope",
            {"Content-Type": "application/json"})
        self.assertEqual(st, 400)
        self.assertEqual(h["content-type"], "application/json")

    def test_hostile_bodies(self):
        # nested past limits.max_json_depth: refused by the parser
        st, _, raw = self.server.request(
            "POST", "/api/v1/collections", "[" * 50000,
            {"Content-Type": "application/json"})
        self.assertEqual(st, 400)
        # thousands of violations: the list is capped
        p = self.problem("POST", "/api/v1/keys",
                         {"scopes": list(range(5000))})
        self.assertLessEqual(len(p["errors"]), 20)
        self.assertGreater(len(p["errors"]), 1)
        # the server still answers
        st, _, _ = self.server.request("GET", "/health")
        self.assertEqual(st, 200)


if __name__ == "__main__":
    unittest.main()
