"""Persistent and TTL secondary indexes (issue 22, docs/indexes.md) against
the real themisd: POST/GET/DELETE /v1/collections/{c}/indexes for
persistent indexes (unique, sparse, several fields) beside the primary,
SQL and search indexes; unique violations refused on every write path
(REST 409, AQL, SQL 23505, NDJSON, MQTT ingest); AQL EXPLAIN naming the
index SQLite's planner picks; definitions dropped with the collection,
tenant-scoped, surviving a restart; hostile definitions refused."""

import json
import os
import subprocess
import time
import unittest

from tokens import ALL_SCOPES, bearer, make_jwt
from themis_harness import Server

SECRET = "index test secret, long enough!!"
ACME = make_jwt(SECRET, "alice", "acme", ALL_SCOPES, 600)
BETA = make_jwt(SECRET, "bob", "beta", ALL_SCOPES, 600)


class IndexTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET]).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def call(self, method, path, body=None, tok=None):
        return self.srv.json(method, path, body, bearer(tok) if tok else None)

    def make(self, name, docs=(), tok=None):
        st, _, b = self.call("POST", "/v1/collections", {"name": name}, tok)
        self.assertIn(st, (200, 201), b)
        for d in docs:
            st, _, b = self.call("POST", "/v1/collections/%s/documents" % name,
                                 d, tok)
            self.assertIn(st, (200, 201), b)

    def aql(self, query, bind=None, **extra):
        body = dict(query=query, **extra)
        if bind is not None:
            body["bindVars"] = bind
        return self.call("POST", "/query/aql", body)

    def psql(self, sql):
        return self.srv.psql(sql)

    def test_create_list_get_drop(self):
        self.make("people", [{"_key": "p%d" % i, "email": "u%d@x" % i,
                              "addr": {"city": "c%d" % (i % 3)}, "age": i}
                             for i in range(30)])
        st, _, ix = self.call("POST", "/v1/collections/people/indexes",
                              {"type": "persistent", "fields": ["addr.city",
                                                                "age"]})
        self.assertEqual(st, 201, ix)
        self.assertEqual(ix["name"], "idx_addr_city_age")
        self.assertEqual(ix["fields"], ["addr.city", "age"])
        self.assertTrue(ix["isNewlyCreated"])
        self.assertFalse(ix["unique"])
        # the same definition again: the existing index, 200
        st, _, again = self.call("POST", "/v1/collections/people/indexes",
                                 {"type": "persistent",
                                  "fields": ["addr.city", "age"]})
        self.assertEqual(st, 200, again)
        self.assertFalse(again["isNewlyCreated"])
        # the name taken by another definition: 409
        st, _, b = self.call("POST", "/v1/collections/people/indexes",
                             {"type": "persistent", "fields": ["age"],
                              "name": "idx_addr_city_age"})
        self.assertEqual(st, 409, b)
        st, _, b = self.call("POST", "/v1/collections/people/indexes",
                             {"type": "persistent", "fields": ["email"],
                              "unique": True, "name": "by_email"})
        self.assertEqual(st, 201, b)
        st, _, lst = self.call("GET", "/v1/collections/people/indexes")
        self.assertEqual(st, 200)
        names = [i["name"] for i in lst["indexes"]]
        self.assertEqual(names[0], "primary")
        self.assertIn("by_email", names)
        self.assertIn("idx_addr_city_age", names)
        st, _, one = self.call("GET", "/v1/collections/people/indexes/by_email")
        self.assertEqual((st, one["type"], one["unique"]),
                         (200, "persistent", True))
        st, _, b = self.call("DELETE", "/v1/collections/people/indexes/by_email")
        self.assertEqual(st, 200, b)
        st, _, _ = self.call("GET", "/v1/collections/people/indexes/by_email")
        self.assertEqual(st, 404)
        st, _, _ = self.call("DELETE", "/v1/collections/people/indexes/by_email")
        self.assertEqual(st, 404)

    def test_themisdb_equality_and_range(self):
        # ThemisDB's /index/create and /index/drop (its OpenAPI IndexRequest)
        self.make("users", [{"_key": "u1", "email": "a@x", "salary": 10}])
        st, _, b = self.call("POST", "/index/create", {
            "table": "users", "column": "email", "type": "equality",
            "unique": True})
        self.assertEqual((st, b["success"], b["table"], b["column"]),
                         (200, True, "users", "email"), b)
        st, _, b = self.call("POST", "/index/create", {
            "table": "users", "column": "salary", "type": "range"})
        self.assertEqual(st, 200, b)
        st, _, lst = self.call("GET", "/v1/collections/users/indexes")
        by = {i["name"]: i for i in lst["indexes"]}
        self.assertTrue(by["eq_email"]["unique"])
        self.assertFalse(by["range_salary"]["unique"])
        st, _, b = self.call("POST", "/v1/collections/users/documents",
                             {"email": "a@x"})
        self.assertEqual(st, 409, b)
        st, _, b = self.call("POST", "/index/drop", {
            "table": "users", "column": "email", "type": "equality"})
        self.assertEqual((st, b["success"], b["column"]), (200, True, "email"),
                         b)
        st, _, b = self.call("POST", "/v1/collections/users/documents",
                             {"email": "a@x"})
        self.assertIn(st, (200, 201), b)
        st, _, b = self.call("POST", "/index/create", {
            "table": "nope", "column": "c", "type": "range"})
        self.assertEqual(st, 404, b)

    def test_hostile_definitions(self):
        self.make("hostile")
        for body in ({"type": "persistent"},
                     {"type": "persistent", "fields": []},
                     {"type": "persistent", "fields": ["a'); DROP TABLE x;--"]},
                     {"type": "persistent", "fields": ["a" * 300]},
                     {"type": "persistent", "fields": [".".join(["a"] * 40)]},
                     {"type": "persistent", "fields": ["f%d" % i
                                                        for i in range(9)]},
                     {"type": "persistent", "fields": ["a"], "name": "../x"},
                     {"type": "persistent", "fields": ["a"], "unique": "yes"},
                     {"type": "ttl", "fields": ["a"]},
                     {"type": "ttl", "fields": ["a"], "expireAfter": -5}):
            st, _, b = self.call("POST", "/v1/collections/hostile/indexes", body)
            self.assertEqual(st, 400, (body, b))
        st, _, b = self.call("POST", "/v1/collections/nope/indexes",
                             {"type": "persistent", "fields": ["a"]})
        self.assertEqual(st, 404, b)
        # at most 16 persistent/ttl indexes per collection
        for i in range(16):
            st, _, b = self.call("POST", "/v1/collections/hostile/indexes",
                                 {"type": "persistent", "fields": ["f%d" % i]})
            self.assertEqual(st, 201, b)
        st, _, b = self.call("POST", "/v1/collections/hostile/indexes",
                             {"type": "persistent", "fields": ["g"]})
        self.assertEqual(st, 409, b)

    def test_unique_on_every_write_path(self):
        self.make("accounts", [{"_key": "a1", "email": "a@x"},
                               {"_key": "a2", "email": "b@x"},
                               {"_key": "a3"}, {"_key": "a4"}])
        st, _, b = self.call("POST", "/v1/collections/accounts/indexes",
                             {"type": "persistent", "fields": ["email"],
                              "unique": True, "name": "u_email"})
        self.assertEqual(st, 201, b)
        # REST insert, replace and patch
        st, _, b = self.call("POST", "/v1/collections/accounts/documents",
                             {"email": "a@x"})
        self.assertEqual(st, 409, b)
        self.assertIn("unique constraint violated", b["message"])
        st, _, b = self.call("PATCH", "/v1/collections/accounts/documents/a2",
                             {"email": "a@x"})
        self.assertEqual(st, 409, b)
        # the same value on the same document is no conflict
        st, _, b = self.call("PATCH", "/v1/collections/accounts/documents/a1",
                             {"email": "a@x", "n": 1})
        self.assertEqual(st, 200, b)
        # AQL INSERT / UPDATE
        st, _, b = self.aql("INSERT {email: 'b@x'} INTO accounts")
        self.assertGreaterEqual(st, 400, b)
        self.assertIn("unique constraint violated", json.dumps(b))
        st, _, b = self.aql("UPDATE 'a3' WITH {email: 'a@x'} IN accounts")
        self.assertGreaterEqual(st, 400, b)
        # SQL over the PostgreSQL protocol: 23505
        rc, out, err = self.psql(
            "INSERT INTO accounts (_key, doc) VALUES ('s1', '{\"email\": \"a@x\"}')")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("23505", err)
        # NDJSON bulk (ThemisDB's /v1/ndjson?) via entities: PUT /entities
        st, _, b = self.call("PUT", "/entities/accounts:e1",
                             {"email": "b@x"})
        self.assertGreaterEqual(st, 400, b)
        # nothing of that landed; documents without the field never conflict
        st, _, b = self.aql("FOR a IN accounts COLLECT e = a.email WITH COUNT "
                            "INTO n RETURN [e, n]")
        self.assertEqual(st, 200, b)
        self.assertEqual(b["result"], [[None, 2], ["a@x", 1], ["b@x", 1]])
        # a unique index over existing duplicates is refused (and not kept)
        st, _, b = self.call("POST", "/v1/collections/accounts/indexes",
                             {"type": "persistent", "fields": ["n"],
                              "unique": True, "name": "u_n"})
        self.assertEqual(st, 201, b)  # n: one document has it
        self.call("PATCH", "/v1/collections/accounts/documents/a2", {"k": 1})
        self.call("PATCH", "/v1/collections/accounts/documents/a3", {"k": 1})
        st, _, b = self.call("POST", "/v1/collections/accounts/indexes",
                             {"type": "persistent", "fields": ["k"],
                              "unique": True, "name": "u_k"})
        self.assertEqual(st, 409, b)
        st, _, _ = self.call("GET", "/v1/collections/accounts/indexes/u_k")
        self.assertEqual(st, 404)

    def test_mqtt_ingest_respects_unique(self):
        self.make("telemetry")
        st, _, b = self.call("POST", "/v1/collections/telemetry/indexes",
                             {"type": "persistent", "fields": ["payload.id"],
                              "unique": True})
        self.assertEqual(st, 201, b)
        for _ in range(2):
            subprocess.run(["mosquitto_pub", "-p", str(self.srv.mqtt_port),
                            "-t", "ingest/telemetry/d1", "-m",
                            '{"id": 7}', "-q", "1", "-V", "mqttv5"],
                           capture_output=True, text=True, timeout=20)
        subprocess.run(["mosquitto_pub", "-p", str(self.srv.mqtt_port),
                        "-t", "ingest/telemetry/d1", "-m", '{"id": 8}',
                        "-q", "1"], capture_output=True, text=True, timeout=20)
        st, _, b = self.aql("FOR t IN telemetry SORT t.payload.id "
                            "RETURN t.payload.id")
        self.assertEqual((st, b["result"]), (200, [7, 8]), b)
        self.assertIsNone(self.srv.proc.poll())

    def test_aql_uses_the_index_and_explain_names_it(self):
        self.make("orders", [{"_key": "o%03d" % i, "cust": "c%d" % (i % 10),
                              "total": i, "status": ["new", "paid"][i % 2]}
                             for i in range(200)])
        st, _, b = self.call("POST", "/v1/collections/orders/indexes",
                             {"type": "persistent", "fields": ["cust"],
                              "name": "by_cust"})
        self.assertEqual(st, 201, b)
        st, _, b = self.call("POST", "/v1/collections/orders/indexes",
                             {"type": "persistent", "fields": ["total"],
                              "name": "by_total", "sparse": True})
        self.assertEqual(st, 201, b)
        cases = [
            ("FOR o IN orders FILTER o.cust == @c RETURN o._key",
             {"c": "c3"}, "by_cust", 20),
            ("FOR o IN orders FILTER o.cust IN ['c1', 'c2'] RETURN o._key",
             None, "by_cust", 40),
            ("FOR o IN orders FILTER o.total >= 150 AND o.total < 160 "
             "RETURN o._key", None, "by_total", 10),
            ("FOR o IN orders FILTER o.total > 190 RETURN o._key", None,
             "by_total", 9),
        ]
        for q, bind, index, n in cases:
            st, _, b = self.aql(q, bind, explain=True)
            self.assertEqual(st, 200, b)
            self.assertEqual(len(b["result"]), n, q)
            loop = b["plan"]["loops"][0]
            self.assertEqual(loop.get("index"), index, (q, loop))
            self.assertEqual(loop["mode"], "index_scan", (q, loop))
            self.assertIn("docidx:orders:" + index, loop["sqlite_plan"], loop)
            # only the index's rows were read
            self.assertLessEqual(b["extra"]["stats"]["rowsScanned"], n, q)
        # no usable index: a scan, and EXPLAIN says so
        st, _, b = self.aql("FOR o IN orders FILTER o.status == 'new' "
                            "RETURN 1", explain=True)
        self.assertEqual(len(b["result"]), 100)
        self.assertNotIn("index", b["plan"]["loops"][0])
        # the results equal those without the index
        for q, bind, index, n in cases:
            _, _, with_index = self.aql(q, bind)
            self.call("DELETE", "/v1/collections/orders/indexes/" + index)
            _, _, without = self.aql(q, bind)
            self.assertEqual(sorted(with_index["result"]),
                             sorted(without["result"]), q)
            self.call("POST", "/v1/collections/orders/indexes",
                      {"type": "persistent", "fields": [
                          "cust" if index == "by_cust" else "total"],
                       "name": index, "sparse": index == "by_total"})

    def test_sort_limit_reads_the_index_in_order(self):
        values = [None, True, False, 0, 3, -2.5, 7, "", "b", "B", "zz",
                  [1], [], {"x": 1}, {}]
        self.make("ranked", [{"_key": "r%03d" % i,
                              "score": values[(i * 7) % len(values)],
                              "g": i % 3}
                             for i in range(300)])
        queries = [
            "FOR r IN ranked SORT r.score LIMIT 10 RETURN r._key",
            "FOR r IN ranked SORT r.score DESC LIMIT 10 RETURN r._key",
            "FOR r IN ranked SORT r.score DESC LIMIT 50, 25 RETURN "
            "[r._key, r.score]",
            "FOR r IN ranked FILTER r.g == 1 SORT r.score LIMIT 40 "
            "RETURN r._key",
        ]
        without = [self.aql(q)[2]["result"] for q in queries]
        for background in (False, True):
            st, _, b = self.call("POST", "/v1/collections/ranked/indexes",
                                 {"type": "persistent", "fields": ["score"],
                                  "name": "by_score",
                                  "inBackground": background})
            self.assertIn(st, (201, 202), b)
            for _ in range(200):
                st, _, ix = self.call(
                    "GET", "/v1/collections/ranked/indexes/by_score")
                if ix.get("state") == "ready":
                    break
                time.sleep(0.05)
            for q, want in zip(queries, without):
                st, _, b = self.aql(q, explain=True)
                self.assertEqual(st, 200, b)
                self.assertEqual(b["result"], want, (background, q))
                loop = b["plan"]["loops"][0]
                self.assertEqual(loop["sort"]["index"], "by_score", loop)
                self.assertEqual(loop["sort"]["direction"],
                                 "desc" if "DESC" in q else "asc", loop)
            # ascending: the nulls come first, and the scan stops at 10
            st, _, b = self.aql(queries[0])
            self.assertLessEqual(b["extra"]["stats"]["rowsScanned"], 12, b)
            st, _, b = self.call("DELETE",
                                 "/v1/collections/ranked/indexes/by_score")
            self.assertEqual(st, 200, b)
        # without an index EXPLAIN names no sort index, and all rows are read
        st, _, b = self.aql(queries[0], explain=True)
        self.assertNotIn("sort", b["plan"]["loops"][0])
        self.assertEqual(b["extra"]["stats"]["rowsScanned"], 300)

    def test_sql_on_doc_fields_reads_rest_indexes(self):
        docs = [{"_key": "s%03d" % i, "cust": "c%d" % (i % 20), "total": i,
                 "flag": [True, "true", 1, "1", None][i % 5]}
                for i in range(400)]
        docs.append({"_key": "x1", "cust": 5})      # a number, not '5'
        docs.append({"_key": "x2", "cust": {"a": 1}})
        self.make("sales", docs)
        queries = [
            "SELECT count(*) FROM sales WHERE doc->>'cust' = 'c3'",
            "SELECT _key FROM sales s WHERE s.doc ->> 'cust' = 'c7' "
            "AND _key > 's100' ORDER BY _key",
            "SELECT count(*) FROM sales WHERE NOT (doc->>'cust' = 'c3')",
            "SELECT count(*) FROM sales WHERE doc->>'cust' = '5'",
            "SELECT count(*) FROM sales WHERE doc->>'flag' = 'true'",
            "SELECT count(*) FROM sales WHERE 'c4' = doc->>'cust' OR "
            "doc->>'cust' = 'c5'",
        ]

        def run_all():
            out = []
            for q in queries:
                rc, text, err = self.psql(q)
                self.assertEqual(rc, 0, (q, err))
                out.append(text)
            return out
        without = run_all()
        self.assertEqual(without[0].strip(), "20")
        for background in (False, True):
            st, _, b = self.call("POST", "/v1/collections/sales/indexes",
                                 {"type": "persistent", "fields": ["cust"],
                                  "name": "by_cust",
                                  "inBackground": background})
            self.assertIn(st, (201, 202), b)
            for _ in range(200):
                _, _, ix = self.call(
                    "GET", "/v1/collections/sales/indexes/by_cust")
                if ix.get("state") == "ready":
                    break
                time.sleep(0.05)
            self.assertEqual(run_all(), without, background)
            rc, plan, err = self.psql("EXPLAIN " + queries[0])
            self.assertEqual(rc, 0, err)
            want = "docbg:sales:by_cust" if background \
                else "docidx:sales:by_cust"
            self.assertIn(want, plan, plan)
            # UPDATE and DELETE read it too, and change the same rows
            rc, text, err = self.psql(
                "UPDATE sales SET doc = doc WHERE doc->>'cust' = 'c9' "
                "RETURNING _key")
            self.assertEqual(rc, 0, err)
            keys = [k for k in text.split() if k.startswith("s")]
            self.assertEqual(len(keys), 20, text)
            self.call("DELETE", "/v1/collections/sales/indexes/by_cust")

    def test_sql_create_index_is_listed_beside(self):
        rc, out, err = self.psql(
            "CREATE TABLE items (id int PRIMARY KEY, sku text); "
            "CREATE INDEX items_sku ON items (sku)")
        self.assertEqual(rc, 0, err)
        st, _, b = self.call("POST", "/v1/collections/items/indexes",
                             {"type": "persistent", "fields": ["sku"],
                              "name": "rest_sku"})
        self.assertEqual(st, 201, b)
        st, _, lst = self.call("GET", "/v1/collections/items/indexes")
        by = {i["name"]: i for i in lst["indexes"]}
        self.assertEqual(by["items_sku"]["type"], "persistent")
        self.assertEqual(by["rest_sku"]["type"], "persistent")
        self.assertEqual(by["rest_sku"]["sqlite_index"],
                         "docidx:items:rest_sku")

    def test_dropped_with_the_collection(self):
        self.make("temp", [{"_key": "t1", "v": 1}])
        st, _, b = self.call("POST", "/v1/collections/temp/indexes",
                             {"type": "persistent", "fields": ["v"],
                              "unique": True, "name": "uv"})
        self.assertEqual(st, 201, b)
        st, _, b = self.call("DELETE", "/v1/collections/temp")
        self.assertEqual(st, 200, b)
        # recreated: no index, and duplicates are fine
        self.make("temp", [{"v": 1}, {"v": 1}])
        st, _, lst = self.call("GET", "/v1/collections/temp/indexes")
        self.assertEqual([i["name"] for i in lst["indexes"]], ["primary"])
        # SQL DROP TABLE of a REST collection drops them too
        st, _, b = self.call("POST", "/v1/collections/temp/indexes",
                             {"type": "persistent", "fields": ["w"],
                              "unique": True, "name": "uw"})
        self.assertEqual(st, 201, b)
        rc, _, err = self.psql("DROP TABLE temp")
        self.assertEqual(rc, 0, err)
        self.make("temp", [{"w": 1}, {"w": 1}])

    def test_tenant_scoped(self):
        for tok in (ACME, BETA):
            self.make("shared", [{"k": 1}], tok)
        st, _, b = self.call("POST", "/v1/collections/shared/indexes",
                             {"type": "persistent", "fields": ["k"],
                              "unique": True, "name": "uk"}, ACME)
        self.assertEqual(st, 201, b)
        self.assertEqual(b["collection"], "shared")
        self.assertNotIn("acme", json.dumps(b).replace(
            "docidx:acme.shared", ""))
        # beta neither sees nor can drop acme's index, nor is bound by it
        st, _, lst = self.call("GET", "/v1/collections/shared/indexes",
                               tok=BETA)
        self.assertNotIn("uk", [i["name"] for i in lst["indexes"]])
        st, _, _ = self.call("DELETE", "/v1/collections/shared/indexes/uk",
                             tok=BETA)
        self.assertEqual(st, 404)
        st, _, b = self.call("POST", "/v1/collections/shared/documents",
                             {"k": 1}, BETA)
        self.assertIn(st, (200, 201), b)
        st, _, b = self.call("POST", "/v1/collections/shared/documents",
                             {"k": 1}, ACME)
        self.assertEqual(st, 409, b)
        self.assertNotIn("acme.", b["message"])
        st, _, b = self.call("POST", "/v1/collections/acme.shared/indexes",
                             {"type": "persistent", "fields": ["z"]}, BETA)
        self.assertIn(st, (400, 404), b)


class TtlTest(unittest.TestCase):
    def test_expired_documents_are_deleted_with_change_events(self):
        srv = Server().start()
        try:
            srv.json("POST", "/v1/collections", {"name": "sessions"})
            now = time.time()
            docs = {"old": now - 100, "older": now - 5000, "fresh": now + 3600,
                    "text": "2001-01-01", "none": None}
            for k, v in docs.items():
                d = {"_key": k}
                if v is not None:
                    d["exp"] = v
                srv.json("PUT", "/v1/collections/sessions/documents/" + k, d)
            for i in range(2500):  # a backlog: swept in batches of 1000
                srv.json("PUT", "/v1/collections/sessions/documents/b%d" % i,
                         {"exp": now - 50})
            st, _, b = srv.json("POST", "/v1/collections/sessions/indexes",
                                {"type": "ttl", "fields": ["exp"],
                                 "expireAfter": 10})
            self.assertEqual(st, 201, b)
            self.assertEqual((b["type"], b["sparse"], b["expireAfter"]),
                             ("ttl", True, 10))
            deadline = time.time() + 20
            left = None
            while time.time() < deadline:
                _, _, c = srv.json("GET", "/v1/collections/sessions")
                left = c["count"]
                if left == 3:
                    break
                time.sleep(0.2)
            self.assertEqual(left, 3)
            _, _, r = srv.json("POST", "/query/aql", {
                "query": "FOR s IN sessions SORT s._key RETURN s._key"})
            self.assertEqual(r["result"], ["fresh", "none", "text"])
            st, _, feed = srv.json("GET", "/changefeed?from_seq=0&limit=10000")
            deleted = {e["key"] for e in feed["events"]
                       if e["type"] == "DELETE" and
                       e["collection"] == "sessions"}
            self.assertIn("old", deleted)
            self.assertIn("older", deleted)
            self.assertEqual(len(deleted), 2502)
        finally:
            srv.stop()
            srv.cleanup()


class IndexRestartTest(unittest.TestCase):
    def test_definitions_survive_a_restart(self):
        srv = Server().start()
        try:
            srv.json("POST", "/v1/collections", {"name": "keep"})
            srv.json("POST", "/v1/collections/keep/documents", {"e": "x"})
            st, _, b = srv.json("POST", "/v1/collections/keep/indexes",
                                {"type": "persistent", "fields": ["e"],
                                 "unique": True, "name": "ue"})
            self.assertEqual(st, 201, b)
            srv.stop()
            srv.start()
            st, _, lst = srv.json("GET", "/v1/collections/keep/indexes")
            self.assertIn("ue", [i["name"] for i in lst["indexes"]])
            st, _, b = srv.json("POST", "/v1/collections/keep/documents",
                                {"e": "x"})
            self.assertEqual(st, 409, b)
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
