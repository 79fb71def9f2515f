"""Per-collection JSON Schemas (issue 22): PUT/GET/DELETE
/api/v1/collections/{c}/schema, enforced on every write path with each
protocol's own error — REST 400, AQL, SQL over the PostgreSQL protocol
(SQLSTATE 23514, from psql), MQTT 5 ingest (PUBACK reason 0x99), the
ArangoDB API (errorNum 1620) — and the levels strict / moderate / new /
off. Real themisd, real clients; every wait is bounded."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from mqtt_raw import Client  # noqa: E402
from themis_harness import ServerTest  # noqa: E402

PUBACK = 4
RULE = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "age": {"type": "integer", "minimum": 0},
        "email": {"type": "string", "format": "email"},
        "tags": {"type": "array", "uniqueItems": True},
    },
}


class CollectionSchemaTest(ServerTest):
    def call(self, method, path, body=None):
        return self.server.json(method, path, body)

    def make(self, name, rule=RULE, level="strict", message=None):
        st, _, b = self.call("POST", "/v1/collections", {"name": name})
        self.assertIn(st, (200, 201), b)
        body = {"rule": rule, "level": level}
        if message:
            body["message"] = message
        st, _, b = self.call("PUT", "/api/v1/collections/%s/schema" % name,
                             body)
        self.assertEqual(st, 200, b)
        return b

    def put_doc(self, coll, key, doc):
        return self.call("PUT", "/v1/collections/%s/documents/%s" % (coll, key),
                         doc)

    def psql(self, sql):
        return self.server.psql(sql)

    def test_rest_crud_of_the_schema(self):
        b = self.make("people", message="a person needs a name")
        self.assertEqual(b["level"], "strict")
        self.assertEqual(b["rule"], RULE)
        st, _, b = self.call("GET", "/api/v1/collections/people/schema")
        self.assertEqual((st, b["collection"], b["message"]),
                         (200, "people", "a person needs a name"))
        # refusals: bad level, $ref, look-ahead pattern, not JSON, unknown
        # collection, no schema
        for body in ({"rule": RULE, "level": "sometimes"},
                     {"rule": {"$ref": "#"}},
                     {"rule": {"properties": {"a": {"pattern": "(?=x)"}}}},
                     {"rule": {"patternProperties": {"^a": {}}}},
                     {"level": "strict"}, [1, 2], "text"):
            st, _, b = self.call("PUT", "/api/v1/collections/people/schema",
                                 body)
            self.assertEqual(st, 400, (body, b))
        st, _, b = self.server.request(
            "PUT", "/api/v1/collections/people/schema", b"{not json")
        self.assertEqual(st, 400)
        st, _, _ = self.call("PUT", "/api/v1/collections/nosuch/schema",
                             {"rule": RULE})
        self.assertEqual(st, 404)
        st, _, _ = self.call("PUT", "/api/v1/collections/bad.name/schema",
                             {"rule": RULE})
        self.assertEqual(st, 400)
        # the schema still is the first one after the refusals
        _, _, b = self.call("GET", "/api/v1/collections/people/schema")
        self.assertEqual(b["rule"], RULE)
        st, _, b = self.call("DELETE", "/api/v1/collections/people/schema")
        self.assertEqual((st, b.get("removed")), (200, True), b)
        st, _, _ = self.call("GET", "/api/v1/collections/people/schema")
        self.assertEqual(st, 404)
        # and writes are free again
        st, _, b = self.put_doc("people", "x", {"whatever": 1})
        self.assertIn(st, (200, 201), b)

    def test_rest_writes_are_checked(self):
        self.make("users", message="users need a name")
        st, _, b = self.put_doc("users", "ann", {"name": "Ann", "age": 30,
                                                 "email": "ann@example.org",
                                                 "tags": ["a", "b"]})
        self.assertIn(st, (200, 201), b)
        for doc, where in (({"age": 3}, "#"), ({"name": "B", "age": -1}, "#/age"),
                           ({"name": "B", "email": "nope"}, "#/email"),
                           ({"name": "B", "tags": [1, 1.0]}, "#/tags"),
                           ({"name": ""}, "#/name")):
            st, _, b = self.put_doc("users", "bob", doc)
            self.assertEqual(st, 400, (doc, b))
            self.assertIn("does not match the collection schema", b["message"])
            self.assertIn("users need a name", b["message"])
            self.assertIn(where, b["message"])
        st, _, _ = self.call("GET", "/v1/collections/users/documents/bob")
        self.assertEqual(st, 404)  # nothing stored
        # POST (insert) and PATCH (merge) too
        st, _, b = self.call("POST", "/v1/collections/users/documents",
                             {"age": 1})
        self.assertEqual(st, 400, b)
        st, _, b = self.call("PATCH", "/v1/collections/users/documents/ann",
                             {"age": "old"})
        self.assertEqual(st, 400, b)
        _, _, b = self.call("GET", "/v1/collections/users/documents/ann")
        self.assertEqual(b["age"], 30)
        # ThemisDB's entities path
        st, _, b = self.call("PUT", "/entities/users:carl",
                             {"blob": json.dumps({"age": 5})})
        self.assertEqual(st, 400, b)

    def test_aql_and_arangodb_writes_are_checked(self):
        self.make("aqlc")
        st, _, b = self.call("POST", "/query/aql", {
            "query": "INSERT {name: 'ok'} INTO aqlc"})
        self.assertEqual(st, 200, b)
        st, _, b = self.call("POST", "/query/aql", {
            "query": "INSERT {age: 7} INTO aqlc"})
        self.assertNotEqual(st, 200, b)
        self.assertIn("collection schema", json.dumps(b))
        st, _, b = self.call("POST", "/query/aql", {
            "query": "FOR d IN aqlc UPDATE d WITH {age: -1} IN aqlc"})
        self.assertNotEqual(st, 200, b)
        st, _, b = self.call("POST", "/_api/document/aqlc", {"age": 1})
        self.assertEqual((st, b.get("errorNum")), (400, 1620), b)
        st, _, b = self.call("POST", "/query/aql", {
            "query": "FOR d IN aqlc COLLECT WITH COUNT INTO n RETURN n"})
        self.assertEqual(b["result"], [1], b)

    def test_sql_writes_get_23514(self):
        self.make("sqlc")
        rc, out, err = self.psql(
            "INSERT INTO sqlc (_key, doc) VALUES ('a', '{\"name\": \"A\"}')")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.psql(
            "INSERT INTO sqlc (_key, doc) VALUES ('b', '{\"age\": 1}')")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("23514", err)
        self.assertIn("collection schema", err)
        rc, out, err = self.psql(
            "UPDATE sqlc SET doc = '{\"name\": 5}' WHERE _key = 'a'")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("23514", err)
        _, _, b = self.call("GET", "/v1/collections/sqlc/documents/a")
        self.assertEqual(b["name"], "A")

    def test_mqtt5_ingest_gets_0x99(self):
        rule = {"type": "object", "required": ["payload"],
                "properties": {"payload": {
                    "type": "object", "required": ["t"],
                    "properties": {"t": {"type": "number"}}}}}
        self.make("meter", rule)
        for v in (5, 4):
            c = Client(self.server.mqtt_port, v)
            ack = c.connect("schema-%d" % v)
            self.assertEqual(ack[0], 2, ack)
            c.publish("ingest/meter/dev1", json.dumps({"t": 21.5}), qos=1)
            ack = c.read()
            self.assertEqual(ack[0], PUBACK, ack)
            if v == 5:
                self.assertEqual(ack[2][2:3] or b"\x00", b"\x00", ack)
            c.publish("ingest/meter/dev1", json.dumps({"t": "hot"}), qos=1)
            ack = c.read()
            self.assertEqual(ack[0], PUBACK, ack)
            if v == 5:
                self.assertEqual(ack[2][2], 0x99, ack)  # payload format invalid
            c.close()
        _, _, b = self.call("GET", "/v1/collections/meter/documents")
        docs = b.get("documents", b.get("items", b))
        self.assertEqual(len(docs), 2, b)  # one valid reading per version

    def test_grpc_put_gets_invalid_argument(self):
        import shutil
        import tempfile
        import grpc
        from google.protobuf import struct_pb2
        stubs = tempfile.mkdtemp(prefix="themis_schema_stubs_")
        try:
            base = os.path.join(os.path.dirname(__file__), "..", "..", "protos")
            subprocess.run([sys.executable, "-m", "grpc_tools.protoc",
                            "-I" + base, "-I/usr/include",
                            "--python_out=" + stubs, "--grpc_python_out=" + stubs,
                            "themis/v1/documents.proto"], check=True, timeout=60)
            sys.path.insert(0, stubs)
            from themis.v1 import documents_pb2 as docs
            from themis.v1 import documents_pb2_grpc as docs_grpc
            self.make("grpcc")
            ch = grpc.insecure_channel("127.0.0.1:%d" % self.server.port)
            d = docs_grpc.DocumentsStub(ch)
            good = struct_pb2.Struct()
            good.update({"name": "G"})
            d.Put(docs.PutDocumentRequest(collection="grpcc", key="g",
                                          body=good), timeout=10)
            bad = struct_pb2.Struct()
            bad.update({"age": 3})
            with self.assertRaises(grpc.RpcError) as e:
                d.Put(docs.PutDocumentRequest(collection="grpcc", key="b",
                                              body=bad), timeout=10)
            self.assertEqual(e.exception.code(),
                             grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("collection schema", e.exception.details())
            ch.close()
        finally:
            sys.path.remove(stubs)
            shutil.rmtree(stubs, ignore_errors=True)

    def test_levels(self):
        st, _, b = self.call("POST", "/v1/collections", {"name": "lv"})
        self.assertIn(st, (200, 201))
        self.put_doc("lv", "old", {"legacy": True})  # before any rule
        self.make_rule("lv", "moderate")
        st, _, b = self.put_doc("lv", "old", {"legacy": 2})
        self.assertIn(st, (200, 201), b)  # invalid already: may change
        st, _, b = self.put_doc("lv", "n1", {"legacy": 2})
        self.assertEqual(st, 400, b)  # inserts are checked
        self.put_doc("lv", "good", {"name": "G"})
        st, _, b = self.put_doc("lv", "good", {"name": 1})
        self.assertEqual(st, 400, b)  # a valid one stays valid
        self.make_rule("lv", "new")
        st, _, b = self.put_doc("lv", "good", {"name": 1})
        self.assertIn(st, (200, 201), b)
        self.make_rule("lv", "off")
        st, _, b = self.put_doc("lv", "n1", {"legacy": 2})
        self.assertIn(st, (200, 201), b)
        st, _, b = self.call("PUT", "/api/v1/collections/lv/schema",
                             {"rule": RULE, "level": "none"})
        self.assertEqual(b["level"], "off")

    def make_rule(self, coll, level):
        st, _, b = self.call("PUT", "/api/v1/collections/%s/schema" % coll,
                             {"rule": RULE, "level": level})
        self.assertEqual(st, 200, b)

    def test_hostile_rules_and_documents(self):
        # a pattern that backtracks exponentially in ECMA engines, and a
        # 2 MB string: RE2 answers at once, the writer keeps serving
        self.make("hostile", {"type": "object", "properties": {
            "s": {"type": "string", "pattern": "^(a+)+$"}}})
        st, _, b = self.put_doc("hostile", "x", {"s": "a" * 200000 + "!"})
        self.assertEqual(st, 400, b)
        st, _, b = self.put_doc("hostile", "y", {"s": "a" * 2000000})
        self.assertIn(st, (200, 201), str(b)[:200])
        deep = {}
        for _ in range(60):
            deep = {"not": deep}
        st, _, b = self.call("PUT", "/api/v1/collections/hostile/schema",
                             {"rule": deep})
        self.assertEqual(st, 400, b)
        st, _, b = self.call("GET", "/health")
        self.assertEqual(st, 200)

    def test_schema_survives_restart_and_drop_forgets_it(self):
        self.make("durable")
        self.server.stop()
        self.server.start()
        st, _, b = self.put_doc("durable", "x", {"age": 1})
        self.assertEqual(st, 400, b)
        st, _, _ = self.call("DELETE", "/v1/collections/durable")
        self.assertEqual(st, 200)
        self.call("POST", "/v1/collections", {"name": "durable"})
        st, _, b = self.put_doc("durable", "x", {"age": 1})
        self.assertIn(st, (200, 201), b)


if __name__ == "__main__":
    unittest.main()
