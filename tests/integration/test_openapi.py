"""GET /openapi.json and /api/v1/openapi.json (OpenAPI 3.1 generated from
the handler registry, issue 22), linted with Redocly CLI (npm, in
tests/node); GET /docs (Redoc) and its script; GET /api/v1/version."""

import json
import os
import subprocess
import tempfile
import unittest

from themis_harness import ServerTest

NODE_DIR = os.path.join(os.path.dirname(__file__), "..", "node")
REDOCLY = os.path.join(NODE_DIR, "node_modules", ".bin", "redocly")


class OpenApiTest(ServerTest):
    def get_doc(self, path="/openapi.json"):
        st, h, body = self.server.request("GET", path)
        self.assertEqual(st, 200, body[:300])
        self.assertTrue(h["content-type"].startswith("application/json"))
        return json.loads(body)

    def test_document_shape(self):
        doc = self.get_doc()
        self.assertEqual(doc["openapi"], "3.1.0")
        self.assertEqual(doc, self.get_doc("/api/v1/openapi.json"))
        comps = doc["components"]
        self.assertEqual(comps["securitySchemes"]["bearerAuth"]["scheme"],
                         "bearer")
        self.assertEqual(comps["securitySchemes"]["apiKeyAuth"]["name"],
                         "X-API-Key")
        self.assertEqual(comps["schemas"]["ErrorResponse"]["required"],
                         ["error", "message", "status_code"])
        paths = doc["paths"]
        self.assertGreater(len(paths), 60)
        op = paths["/api/v1/collections"]["post"]
        self.assertEqual(op["requestBody"]["content"]["application/json"]
                         ["schema"]["required"], ["name"])
        self.assertIn("example",
                      op["requestBody"]["content"]["application/json"])
        self.assertEqual(op["security"][0], {"bearerAuth": ["data:write"]})
        self.assertTrue(paths["/v1/collections"]["post"]["deprecated"])
        self.assertEqual(paths["/health"]["get"]["security"], [])
        q = paths["/api/v1/collections/{c}/documents"]["get"]["parameters"]
        self.assertIn({"name": "limit", "in": "query", "required": False,
                       "schema": {"type": "integer", "minimum": 1,
                                  "maximum": 1000}}, q)
        tags = {t["name"] for t in doc["tags"]}
        self.assertTrue({"collections", "documents", "query",
                         "meta"} <= tags)

    def test_redocly_lint(self):
        self.assertTrue(os.path.exists(REDOCLY),
                        "npm ci in tests/node installs @redocly/cli")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "openapi.json")
            with open(path, "w") as f:
                json.dump(self.get_doc(), f)
            r = subprocess.run(
                [REDOCLY, "lint", path, "--config",
                 os.path.join(NODE_DIR, "redocly.yaml"), "--format", "json"],
                capture_output=True, text=True, timeout=180, cwd=d,
                env=dict(os.environ, REDOCLY_TELEMETRY="off",
                         REDOCLY_SUPPRESS_UPDATE_NOTICE="true"))
            out = r.stdout
            self.assertEqual(r.returncode, 0, out[-4000:] + r.stderr[-2000:])
            report = json.loads(out[out.index("{"):])
            problems = [p for p in report.get("problems", [])
                        if p.get("severity") == "error"]
            self.assertEqual(problems, [])
            warnings = [p for p in report.get("problems", [])
                        if p.get("severity") == "warn"]
            self.assertEqual(warnings, [], json.dumps(warnings[:5]))

    def test_docs_page_and_script(self):
        st, h, body = self.server.request("GET", "/docs")
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/html"))
        self.assertIn(b'<redoc spec-url="/openapi.json">', body)
        self.assertIn(b'src="/docs/redoc.standalone.js"', body)
        st, h, js = self.server.request("GET", "/docs/redoc.standalone.js")
        self.assertEqual(st, 200, js[:300])
        self.assertIn("javascript", h["content-type"])
        self.assertGreater(len(js), 100000)
        self.assertIn(b"Redoc", js[:200000])

    def test_version(self):
        st, h, v = self.server.json("GET", "/api/v1/version")
        self.assertEqual(st, 200)
        self.assertEqual(v["server"]["name"], "themisd")
        self.assertTrue(v["server"]["version"])
        self.assertEqual(v["api"]["current"], "v1")
        self.assertEqual(v["api"]["deprecated"][0]["prefix"], "/v1/")
        self.assertEqual(v["api"]["deprecated"][0]["sunset"],
                         "2027-12-01T00:00:00Z")


class OpenApiWithAuthTest(ServerTest):
    """The description and the reference are public when auth is on."""
    server_args = ("--set", "auth.jwt_secret=integration secret, long enough")
    server_env = {"THEMIS_AUTH_REQUIRED": "true"}

    def test_public(self):
        for p in ("/openapi.json", "/docs", "/api/v1/version"):
            st, _, _ = self.server.request("GET", p)
            self.assertEqual(st, 200, p)
        st, _, _ = self.server.request("GET", "/api/v1/collections")
        self.assertEqual(st, 401)


if __name__ == "__main__":
    unittest.main()
