"""Contract test (issue 22): every operation of the served /openapi.json is
called against a live themisd — path parameters filled, the request body
from its example — and the answer must have a declared status and, for a
JSON answer, validate against the declared schema (python3-jsonschema,
Draft 2020-12). Streams (SSE, WebSocket) are checked by their head only."""

import http.client
import json
import unittest

import jsonschema

from themis_harness import ServerTest

# operations not called: they stop the server or wait for events forever
SKIP = {
    ("post", "/api/v1/admin/drain"),
}
STREAMS = ("text/event-stream",)
# path parameter values: a collection and a document made in setUp
VALUES = {"c": "contract_c", "key": "k1", "collection": "contract_c",
          "model": "relational", "id": "contract_c:k1", "name": "nope",
          "sub": "count", "batch": "1", "db": "_system", "tenant": "_",
          "trigger": "nope"}
ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}


def deref(node, doc, depth=0):
    """The node with every local $ref replaced by its target."""
    assert depth < 50
    if isinstance(node, dict):
        if "$ref" in node:
            target = doc
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return deref(target, doc, depth + 1)
        return {k: deref(v, doc, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [deref(v, doc, depth + 1) for v in node]
    return node


class ContractTest(ServerTest):
    def setUp(self):
        s = self.server
        s.json("POST", "/v1/collections", {"name": "contract_c"})
        s.json("PUT", "/v1/collections/contract_c/documents/k1", {"a": 1})

    def call(self, method, path, op):
        body, headers = None, {}
        rb = op.get("requestBody", {}).get("content", {})
        for ctype, media in rb.items():
            if "example" in media:
                body = json.dumps(media["example"])
                headers["Content-Type"] = ctype
            break
        query = ""
        for p in op.get("parameters", []):
            if p["in"] == "query" and p.get("required"):
                query += ("&" if query else "?") + p["name"] + "=RETURN%201"
        c = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                       timeout=15)
        try:
            c.request(method.upper(), path + query, body=body,
                      headers=headers)
            r = c.getresponse()
            ctype = r.getheader("Content-Type", "")
            if any(ctype.startswith(t) for t in STREAMS):
                return r.status, ctype, None  # a stream: the head only
            return r.status, ctype, r.read()
        finally:
            c.close()

    def test_every_operation(self):
        st, _, raw = self.server.request("GET", "/openapi.json")
        self.assertEqual(st, 200)
        doc = json.loads(raw)
        ops = []
        for tmpl, item in doc["paths"].items():
            for method, op in item.items():
                if (method, tmpl) not in SKIP:
                    ops.append((ORDER[method], tmpl, method, op))
        ops.sort(key=lambda o: (o[0], o[1]))
        failures, called = [], 0
        for _, tmpl, method, op in ops:
            path = tmpl
            for name, value in VALUES.items():
                path = path.replace("{" + name + "}", value)
            self.assertNotIn("{", path, tmpl)
            try:
                status, ctype, body = self.call(method, path, op)
            except Exception as e:  # a timeout or reset is a failure
                failures.append("%s %s: %r" % (method, path, e))
                continue
            called += 1
            declared = op["responses"]
            if str(status) not in declared:
                failures.append("%s %s: status %d not declared (%s)" % (
                    method, path, status, sorted(declared)))
                continue
            resp = deref(declared[str(status)], doc)
            content = resp.get("content", {})
            mtype = ctype.split(";")[0].strip()
            if mtype not in content and content:
                failures.append("%s %s: %d answered %s, declared %s" % (
                    method, path, status, mtype, sorted(content)))
                continue
            if body is None or not (mtype == "application/json" or
                                    mtype.endswith("+json")):
                continue  # streams, NDJSON, CSV, HTML: the type is checked
            schema = content[mtype].get("schema", {})
            try:
                jsonschema.Draft202012Validator(schema).validate(
                    json.loads(body))
            except (jsonschema.ValidationError, ValueError) as e:
                failures.append("%s %s: %d body does not match: %s" % (
                    method, path, status, str(e).splitlines()[0]))
        self.assertGreater(called, 100)
        self.assertEqual(failures, [], "\n".join(failures))


if __name__ == "__main__":
    unittest.main()
