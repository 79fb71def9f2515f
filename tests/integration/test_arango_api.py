"""The ArangoDB HTTP API subset (issue 22, docs/arangodb-api.md) against a
real themisd: arangojs (pinned in tests/node/package.json) runs the
scenarios of tests/node/arango_client.mjs (connect, documents with
revision checks, aql template queries with cursors, import, collections,
/_db/{name} and tenant isolation); raw HTTP checks the error bodies
({"error","errorNum","errorMessage","code"}), headers and limits."""

import json
import os
import subprocess
import unittest

from themis_harness import Server
from tokens import ALL_SCOPES, bearer, make_jwt

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "node")
SECRET = "arango api test secret, 32 bytes!"
ROOT = make_jwt(SECRET, "root", scope="admin")
ACME = make_jwt(SECRET, "alice", "acme")
BETA = make_jwt(SECRET, "bob", "beta")
READER = make_jwt(SECRET, "ro", "acme", scope="data:read")

SCENARIOS = ["connect", "documents", "queries", "imports", "collections",
             "tenants"]


class ArangoApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules",
                                          "arangojs")):
            raise RuntimeError("tests/node/node_modules is missing: run "
                               "scripts/test.sh (it runs npm ci)")
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET,
                               "--set", "auth.required=true"]).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def call(self, method, path, body=None, token=ROOT, headers=None,
             raw=None):
        h = dict(bearer(token) if token else {})
        h.update(headers or {})
        st, hd, data = self.srv.request(method, path,
                                        raw if raw is not None else body, h)
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data
        return st, hd, parsed

    def assertArangoError(self, answer, code, num):
        st, _, body = answer
        self.assertEqual(st, code, body)
        self.assertIsInstance(body, dict, body)
        self.assertIs(body["error"], True)
        self.assertEqual(body["errorNum"], num, body)
        self.assertEqual(body["code"], code)
        self.assertIsInstance(body["errorMessage"], str)

    # -- arangojs ------------------------------------------------------------
    def test_arangojs_scenarios(self):
        env = dict(os.environ, ARANGO_URL="http://127.0.0.1:%d" % self.srv.port,
                   ARANGO_ROOT=ROOT, ARANGO_ACME=ACME, ARANGO_BETA=BETA,
                   COLL_PREFIX="aj")
        for s in SCENARIOS:
            with self.subTest(scenario=s):
                p = subprocess.run(["node", "arango_client.mjs", s],
                                   cwd=NODE_DIR, env=env, capture_output=True,
                                   text=True, timeout=120)
                out = p.stdout + p.stderr
                self.assertEqual(p.returncode, 0, out[-4000:])
                self.assertIn("ok " + s, out)

    # -- raw HTTP ------------------------------------------------------------
    def test_version_and_prefix(self):
        for path in ("/_api/version", "/_db/_system/_api/version"):
            st, _, body = self.call("GET", path)
            self.assertEqual(st, 200)
            self.assertEqual(body["server"], "arango")
        self.assertArangoError(self.call("GET", "/_db/nosuchdb/_api/version",
                                         token=ACME), 404, 1228)
        # not a tenant id: no database by that name for anyone
        self.assertArangoError(self.call("GET", "/_db/No.Such/_api/version"),
                               404, 1228)
        self.assertArangoError(self.call("GET", "/_api/no/such/thing"), 404,
                               404)

    def test_auth_is_required(self):
        st, h, _ = self.call("GET", "/_api/version", token=None)
        self.assertEqual(st, 401)
        self.assertIn("bearer", h.get("www-authenticate", "").lower())
        # a read-only token cannot write documents or create collections
        st, _, _ = self.call("POST", "/_api/collection", {"name": "ro"},
                             READER)
        self.assertEqual(st, 403)
        st, _, _ = self.call("POST", "/_api/cursor", {"query": "RETURN 1"},
                             READER)
        self.assertEqual(st, 403)

    def test_document_errors_and_headers(self):
        self.assertEqual(self.call("POST", "/_api/collection",
                                   {"name": "raw"})[0], 200)
        st, h, meta = self.call("POST", "/_api/document/raw",
                                {"_key": "a", "v": 1})
        self.assertEqual(st, 202)
        self.assertEqual(h["etag"], '"%s"' % meta["_rev"])
        st, h, _ = self.call("POST", "/_api/document/raw?waitForSync=true",
                             {"_key": "b"})
        self.assertEqual(st, 201)
        # GET with If-None-Match: 304; HEAD: no body
        st, _, _ = self.call("GET", "/_api/document/raw/a",
                             headers={"If-None-Match": meta["_rev"]})
        self.assertEqual(st, 304)
        st, h, body = self.call("HEAD", "/_api/document/raw/a")
        self.assertEqual((st, body), (200, None))
        self.assertArangoError(self.call("GET", "/_api/document/raw/zz"), 404,
                               1202)
        self.assertArangoError(self.call("GET", "/_api/document/nope/zz"),
                               404, 1203)
        self.assertArangoError(self.call("PUT", "/_api/document/raw/a",
                                         {"v": 2},
                                         headers={"If-Match": '"1"'}),
                               412, 1200)
        # _rev in the body counts only with ignoreRevs=false
        st, _, _ = self.call("PATCH", "/_api/document/raw/a",
                             {"_rev": "1", "w": 1})
        self.assertEqual(st, 202)
        self.assertArangoError(
            self.call("PATCH", "/_api/document/raw/a?ignoreRevs=false",
                      {"_rev": "1", "w": 1}), 412, 1200)
        self.assertArangoError(self.call("POST", "/_api/document/raw",
                                         {"_key": "a"}), 409, 1210)
        self.assertArangoError(self.call("POST", "/_api/document/raw",
                                         raw="{nope"), 400, 600)
        st, h, arr = self.call("POST", "/_api/document/raw",
                               [{"_key": "a"}, 5, {"_key": "c"}])
        self.assertEqual(st, 202)
        self.assertEqual(arr[0]["errorNum"], 1210)
        self.assertEqual(arr[1]["errorNum"], 1227)
        self.assertEqual(arr[2]["_key"], "c")
        self.assertEqual(h["x-arango-error-codes"], "1210:1,1227:1")
        self.assertArangoError(self.call("POST", "/_api/document/raw",
                                         {"_key": "bad key/x"}), 400, 1221)
        self.assertArangoError(self.call("POST", "/_api/document/raw",
                                         raw="7"), 400, 1227)
        self.assertArangoError(
            self.call("POST", "/_api/document/raw?overwriteMode=nah",
                      {"_key": "n"}), 400, 10)
        too_many = json.dumps([{}] * 10001)
        self.assertArangoError(self.call("POST", "/_api/document/raw",
                                         raw=too_many), 400, 32)

    def test_cursor_api(self):
        st, _, first = self.call("POST", "/_api/cursor",
                                 {"query": "FOR i IN 1..5 RETURN i",
                                  "batchSize": 2, "count": True,
                                  "ttl": 30,
                                  "options": {"fullCount": True,
                                              "stream": False}})
        self.assertEqual(st, 201)
        self.assertEqual(first["result"], [1, 2])
        self.assertIs(first["hasMore"], True)
        self.assertEqual(first["count"], 5)
        self.assertIs(first["cached"], False)
        self.assertIs(first["error"], False)
        self.assertEqual(first["code"], 201)
        self.assertIn("stats", first["extra"])
        cid = first["id"]
        # older drivers read on with PUT, 3.11's with POST
        st, _, b2 = self.call("PUT", "/_api/cursor/" + cid)
        self.assertEqual((st, b2["result"], b2["hasMore"]), (200, [3, 4],
                                                             True))
        # another principal cannot read or delete it
        self.assertArangoError(self.call("POST", "/_api/cursor/" + cid,
                                         token=ACME), 404, 1600)
        self.assertArangoError(self.call("DELETE", "/_api/cursor/" + cid,
                                         token=BETA), 404, 1600)
        st, _, d = self.call("DELETE", "/_api/cursor/" + cid)
        self.assertEqual((st, d["id"]), (202, cid))
        self.assertArangoError(self.call("POST", "/_api/cursor/" + cid), 404,
                               1600)
        # rows that look like the answer's own fields pass through intact
        tricky = [{"hasMore": True, "id": "x", "s": ',"hasMore":false}'},
                  [",\"hasMore\":"]]
        st, _, t = self.call("POST", "/_api/cursor",
                             {"query": "FOR r IN @rows RETURN r",
                              "bindVars": {"rows": tricky + tricky},
                              "batchSize": 2})
        self.assertEqual((st, t["result"], t["hasMore"]), (201, tricky, True))
        st, _, t2 = self.call("POST", "/_api/cursor/" + t["id"])
        self.assertEqual((t2["result"], t2["hasMore"], "id" in t2),
                         (tricky, False, False))
        # no cursor when everything fits
        st, _, one = self.call("POST", "/_api/cursor", {"query": "RETURN 1"})
        self.assertEqual((st, one["hasMore"], "id" in one, "count" in one),
                         (201, False, False, False))
        # errors: parse (with position), empty, bind values, batch size
        st, _, e = self.call("POST", "/_api/cursor", {"query": "FOR x IN"})
        self.assertArangoError((st, _, e), 400, 1501)
        self.assertIn("at position", e["errorMessage"])
        self.assertArangoError(self.call("POST", "/_api/cursor",
                                         {"query": ""}), 400, 1502)
        self.assertArangoError(self.call("POST", "/_api/cursor",
                                         {"query": "RETURN @x"}), 400, 1551)
        self.assertArangoError(self.call("POST", "/_api/cursor",
                                         {"query": "RETURN 1",
                                          "bindVars": [1]}), 400, 10)
        self.assertArangoError(self.call("POST", "/_api/cursor",
                                         {"query": "RETURN 1",
                                          "batchSize": 0}), 400, 10)
        self.assertArangoError(self.call("POST", "/_api/cursor", raw="{x"),
                               400, 600)
        self.assertArangoError(self.call("POST", "/_api/cursor/abc"), 404,
                               1600)

    def test_import_raw(self):
        self.call("POST", "/_api/collection", {"name": "imp_raw"})
        body = '{"_key":"j1","a":1}\n\n{"_key":"j2"}\nnot json\n[1]\n'
        st, _, r = self.call(
            "POST", "/_api/import?collection=imp_raw&type=documents"
            "&details=true", raw=body)
        self.assertEqual(st, 201, r)
        self.assertEqual((r["created"], r["errors"], r["empty"]), (2, 2, 1))
        self.assertEqual(len(r["details"]), 2)
        self.assertIn("at position 4", r["details"][0])
        st, _, r = self.call("POST", "/_api/import?collection=imp_raw"
                             "&type=auto", raw='[{"_key":"j3"}]')
        self.assertEqual((st, r["created"]), (201, 1))
        self.assertArangoError(self.call(
            "POST", "/_api/import?collection=nope&type=list", raw="[]"), 404,
            1203)
        self.assertArangoError(self.call(
            "POST", "/_api/import?collection=imp_raw&type=list", raw="{}"),
            400, 600)
        self.assertArangoError(self.call(
            "POST", "/_api/import?collection=imp_raw&type=", raw='["a"]'),
            501, 9)
        self.assertArangoError(self.call(
            "POST", "/_api/import?collection=imp_raw&type=list"
            "&onDuplicate=merge", raw="[]"), 400, 10)

    def test_collection_raw(self):
        self.assertArangoError(self.call("POST", "/_api/collection",
                                         {"name": "bad.name"}), 400, 1208)
        self.assertArangoError(self.call("POST", "/_api/collection",
                                         {"name": "t", "type": "x"}), 400, 10)
        self.assertArangoError(self.call("GET", "/_api/collection/none"), 404,
                               1203)
        self.assertArangoError(self.call("PUT",
                                         "/_api/collection/none/truncate"),
                               404, 1203)
        self.call("POST", "/_api/collection", {"name": "cr"})
        self.assertArangoError(self.call("GET", "/_api/collection/cr/shards"),
                               501, 9)
        st, _, lst = self.call("GET", "/_api/collection")
        self.assertEqual(st, 200)
        self.assertIn("cr", [c["name"] for c in lst["result"]])
        # a tenant sees its own collections only
        st, _, lst = self.call("GET", "/_api/collection", token=BETA)
        self.assertNotIn("cr", [c["name"] for c in lst["result"]])
        st, _, idx = self.call("GET", "/_api/index?collection=cr")
        self.assertEqual(idx["indexes"][0]["type"], "primary")
        self.assertArangoError(self.call("GET", "/_api/index?collection=zz"),
                               404, 1203)
        self.assertArangoError(self.call("POST", "/_api/index?collection=cr",
                                         {"type": "geo", "fields": ["a"]}),
                               501, 9)
        # persistent (hash, skiplist) and ttl indexes are themisd's own
        st, _, px = self.call("POST", "/_api/index?collection=cr",
                              {"type": "hash", "fields": ["a"], "name": "pa",
                               "unique": True, "inBackground": True})
        self.assertEqual(st, 201, px)
        self.assertEqual((px["id"], px["type"], px["unique"],
                          px["isNewlyCreated"], px["inBackground"]),
                         ("cr/pa", "persistent", True, True, True))
        st, _, again = self.call("POST", "/_api/index?collection=cr",
                                 {"type": "persistent", "fields": ["a"],
                                  "unique": True})
        self.assertEqual((st, again["isNewlyCreated"]), (200, False), again)
        st, _, tx = self.call("POST", "/_api/index?collection=cr",
                              {"type": "ttl", "fields": ["exp"],
                               "expireAfter": 60})
        self.assertEqual((st, tx["type"], tx["expireAfter"]), (201, "ttl", 60))
        self.assertArangoError(self.call("POST", "/_api/index?collection=cr",
                                         {"type": "persistent",
                                          "fields": []}), 400, 10)
        for name in ("pa", tx["name"]):
            st, _, _ = self.call("DELETE", "/_api/index/cr/" + name)
            self.assertEqual(st, 200)
        self.assertArangoError(self.call("DELETE", "/_api/index/cr/0"), 400,
                               11)
        # a fulltext index is themisd's FTS5 index
        st, _, ft = self.call("POST", "/_api/index?collection=cr",
                              {"type": "fulltext", "fields": ["text"],
                               "name": "ft_text"})
        self.assertEqual(st, 201, ft)
        self.assertEqual((ft["id"], ft["type"], ft["fields"]),
                         ("cr/ft_text", "fulltext", ["text"]))
        self.assertArangoError(self.call("POST", "/_api/index?collection=cr",
                                         {"type": "fulltext",
                                          "fields": ["text"],
                                          "name": "ft_text"}), 409, 1207)
        st, _, idx = self.call("GET", "/_api/index?collection=cr")
        self.assertEqual([i["id"] for i in idx["indexes"]],
                         ["cr/0", "cr/ft_text"])
        self.assertIn("cr/ft_text", idx["identifiers"])
        st, _, one = self.call("GET", "/_api/index/cr/ft_text")
        self.assertEqual((st, one["name"]), (200, "ft_text"))
        st, _, gone = self.call("DELETE", "/_api/index/cr/ft_text")
        self.assertEqual((st, gone["id"]), (200, "cr/ft_text"))
        self.assertArangoError(self.call("GET", "/_api/index/cr/ft_text"),
                               404, 1212)
        # a tenant does not see the global namespace's collections
        self.assertArangoError(self.call("GET", "/_api/index?collection=cr",
                                         token=BETA), 404, 1203)


if __name__ == "__main__":
    unittest.main()
