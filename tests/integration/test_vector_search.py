"""Vector search (issue 32) against the real themisd: ThemisDB's request
and response shapes (/index/create with type vector, /vector/batch_insert,
/vector/search with k, filter and cursor pages, /vector/index/stats and
config), recall@10 against brute force computed here on a generated
5,000 x 32 data set, writes and deletes visible to the next search,
AQL's VECTOR_DISTANCE and APPROX_NEAR, bad input answered 400, the index
kept across a restart, and tenant isolation."""

import json
import math
import os
import random
import time
import unittest

from themis_harness import Server, ServerTest
from tokens import bearer, make_jwt

N, DIM, K = 5000, 32, 10


def vec(rng):
    return [rng.uniform(-1, 1) for _ in range(DIM)]


def l2(a, b):
    return math.sqrt(sum((x - y) * (x - y) for x, y in zip(a, b)))


class VectorSearchTest(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        st, _, b = s.json("POST", "/index/create", {
            "table": "emb", "column": "embedding", "type": "vector",
            "config": {"dimension": DIM, "metric": "l2", "M": 16,
                       "efConstruction": 200, "efSearch": 64}})
        assert st == 200 and b["success"], (st, b)
        rng = random.Random(32)
        cls.data = {}
        for start in range(0, N, 1000):
            items = []
            for i in range(start, start + 1000):
                v = vec(rng)
                cls.data["v%d" % i] = v
                items.append({"pk": "v%d" % i, "vector": v,
                              "fields": {"cat": "c%d" % (i % 5), "n": i}})
            st, _, b = s.json("POST", "/vector/batch_insert", {
                "table": "emb", "vector_field": "embedding", "items": items})
            assert st == 200 and b == {"inserted": 1000, "errors": 0,
                                       "objectName": "emb",
                                       "dimension": DIM}, (st, b)
        cls.queries = [vec(rng) for _ in range(30)]
        # the applier indexes 5,000 inserts; on a loaded machine that may
        # take longer than a search waits (503, Retry-After): wait here
        deadline = time.time() + 180
        while True:
            st, _, b = s.json("POST", "/vector/search",
                              {"vector": cls.queries[0], "table": "emb"})
            if st != 503 or time.time() > deadline:
                break
            time.sleep(0.5)
        assert st == 200, (st, b)

    def search(self, body, headers=None):
        return self.server.json("POST", "/vector/search", body, headers)

    def brute(self, q, k=K, keep=lambda key: True):
        d = sorted((l2(q, v), key) for key, v in self.data.items() if keep(key))
        return [key for _, key in d[:k]]

    def test_recall_at_10_vs_brute_force(self):
        found = 0
        for q in self.queries:
            st, _, b = self.search({"vector": q, "k": K, "table": "emb"})
            self.assertEqual(st, 200, b)
            self.assertEqual(set(b), {"results", "k", "count"})
            self.assertEqual((b["k"], b["count"]), (K, K))
            keys = [r["pk"] for r in b["results"]]
            dists = [r["distance"] for r in b["results"]]
            self.assertEqual(dists, sorted(dists))
            self.assertAlmostEqual(dists[0], l2(q, self.data[keys[0]]),
                                   places=3)
            found += len(set(keys) & set(self.brute(q)))
        recall = found / (len(self.queries) * K)
        self.assertGreaterEqual(recall, 0.95, recall)

    def test_sdk_shape_without_table(self):
        # ThemisDB's SDKs send {"vector", "k"} only: the one index is meant
        st, _, b = self.search({"vector": self.queries[0], "k": 3})
        self.assertEqual(st, 200, b)
        self.assertEqual(len(b["results"]), 3)
        self.assertEqual(set(b["results"][0]), {"pk", "distance", "score"})

    def test_metadata_filter_over_fetches(self):
        q = self.queries[1]
        st, _, b = self.search({"vector": q, "k": K, "table": "emb",
                                "filter": {"cat": "c3"}})
        self.assertEqual(st, 200, b)
        self.assertEqual(b["count"], K)
        truth = self.brute(q, keep=lambda key: int(key[1:]) % 5 == 3)
        keys = [r["pk"] for r in b["results"]]
        self.assertTrue(all(int(k[1:]) % 5 == 3 for k in keys), keys)
        self.assertGreaterEqual(len(set(keys) & set(truth)), 8)
        # array form: RANGE on a number
        st, _, b = self.search({"vector": q, "k": 5, "table": "emb", "filter": [
            {"field": "n", "op": "RANGE", "min": 100, "max": 199}]})
        self.assertEqual(st, 200, b)
        self.assertTrue(all(100 <= int(r["pk"][1:]) <= 199
                            for r in b["results"]), b)
        # a filter nothing passes: empty, not an error
        st, _, b = self.search({"vector": q, "k": 5, "table": "emb",
                                "filter": {"cat": "none"}})
        self.assertEqual((st, b["count"]), (200, 0))

    def test_cursor_pages(self):
        q = self.queries[2]
        st, _, first = self.search({"vector": q, "k": 4, "table": "emb",
                                    "use_cursor": True})
        self.assertEqual(st, 200, first)
        self.assertEqual(first["batch_size"], 4)
        self.assertTrue(first["has_more"])
        st, _, second = self.search({"vector": q, "k": 4, "table": "emb",
                                     "use_cursor": True,
                                     "cursor": first["next_cursor"]})
        self.assertEqual(st, 200, second)
        st, _, whole = self.search({"vector": q, "k": 8, "table": "emb"})
        self.assertEqual([r["pk"] for r in first["items"] + second["items"]],
                         [r["pk"] for r in whole["results"]])

    def test_writes_and_deletes_are_seen_by_the_next_search(self):
        far = [5.0] * DIM
        st, _, _ = self.server.json("PUT", "/entities/emb:probe", {
            "blob": json.dumps({"embedding": far, "cat": "p"})})
        self.assertIn(st, (200, 201))
        _, _, b = self.search({"vector": far, "k": 1, "table": "emb"})
        self.assertEqual(b["results"][0]["pk"], "probe")
        self.assertAlmostEqual(b["results"][0]["distance"], 0, places=4)
        # moved away: no longer the nearest
        st, _, _ = self.server.json("PUT", "/entities/emb:probe", {
            "blob": json.dumps({"embedding": [-5.0] * DIM})})
        _, _, b = self.search({"vector": far, "k": 1, "table": "emb"})
        self.assertNotEqual(b["results"][0]["pk"], "probe")
        # a document without a usable vector leaves the index
        self.server.json("PUT", "/entities/emb:probe", {
            "blob": json.dumps({"embedding": "not a vector"})})
        _, _, b = self.search({"vector": [-5.0] * DIM, "k": 1, "table": "emb"})
        self.assertNotEqual(b["results"][0]["pk"], "probe")
        st, _, _ = self.server.json("PUT", "/entities/emb:probe", {
            "blob": json.dumps({"embedding": far})})
        st, _, _ = self.server.json("DELETE", "/entities/emb:probe")
        self.assertEqual(st, 200)
        _, _, b = self.search({"vector": far, "k": 3, "table": "emb"})
        self.assertNotIn("probe", [r["pk"] for r in b["results"]])

    def test_aql_functions(self):
        q = self.queries[3]
        st, _, b = self.server.json("POST", "/query/aql", {
            "query": "FOR r IN APPROX_NEAR('emb', 'embedding', @q, 5) "
                     "RETURN {k: r.doc._key, d: r.distance, "
                     "exact: VECTOR_DISTANCE(r.doc.embedding, @q, 'l2')}",
            "bindVars": {"q": q}})
        self.assertEqual(st, 200, b)
        rows = b["result"]
        self.assertEqual(len(rows), 5)
        self.assertEqual(rows[0]["k"], self.brute(q, 1)[0])
        for r in rows:
            self.assertAlmostEqual(r["d"], r["exact"], places=3)
        st, _, b = self.server.json("POST", "/query/aql", {
            "query": "RETURN [VECTOR_DISTANCE([1,0],[0,1]), "
                     "VECTOR_DISTANCE([1,0],[0,1],'l2'), "
                     "VECTOR_DISTANCE([1,2],[3,4],'inner_product'), "
                     "COSINE_SIMILARITY([1,1],[2,2])]"})
        self.assertEqual(st, 200, b)
        got = b["result"][0]
        self.assertAlmostEqual(got[0], 1.0, places=5)
        self.assertAlmostEqual(got[1], math.sqrt(2), places=5)
        self.assertAlmostEqual(got[2], -11.0, places=5)
        self.assertAlmostEqual(got[3], 1.0, places=5)
        for query in ("RETURN VECTOR_DISTANCE([1,2],[1])",
                      "RETURN VECTOR_DISTANCE([1,'a'],[1,2])",
                      "RETURN VECTOR_DISTANCE([1,2],[1,2],'hamming')",
                      "RETURN APPROX_NEAR('emb','embedding',[1,2],5)",
                      "RETURN APPROX_NEAR('emb','nothing',[1,2],5)",
                      "RETURN APPROX_NEAR('missing','embedding',[1,2],5)",
                      "RETURN APPROX_NEAR('emb','embedding',@q,0)",
                      "RETURN APPROX_NEAR('emb','embedding',@q,100000)"):
            st, _, b = self.server.json("POST", "/query/aql", {
                "query": query, "bindVars": {"q": q} if "@q" in query else {}})
            self.assertEqual(st, 400, (query, b))
            self.assertTrue(b["error"])

    def test_bad_input_is_400(self):
        q = self.queries[0]
        bad = [
            {"vector": q[:5], "k": 3, "table": "emb"},          # dimension
            {"vector": q[:-1] + ["x"], "k": 3, "table": "emb"},  # non-number
            {"vector": q[:-1] + [None], "k": 3, "table": "emb"},
            {"vector": [1e300] * DIM, "k": 3, "table": "emb"},   # > float32
            {"vector": [], "k": 3, "table": "emb"},
            {"vector": "abc", "k": 3, "table": "emb"},
            {"k": 3, "table": "emb"},                            # no vector
            {"vector": q, "k": 0, "table": "emb"},
            {"vector": q, "k": 10001, "table": "emb"},
            {"vector": q, "k": "5", "table": "emb"},
            {"vector": q, "table": "emb", "filter": [{"field": "n", "op": "LIKE",
                                                      "value": 1}]},
            {"vector": q, "table": "emb", "filter": 7},
            {"vector": q, "table": "emb", "cursor": "x"},
            {"vector": q, "table": "bad name!"},
        ]
        for body in bad:
            st, _, b = self.search(body)
            self.assertEqual(st, 400, (body, b))
            self.assertTrue(b["error"] and b["message"], b)
        # NaN is not JSON; a body that is not JSON is a 400 too
        st, _, data = self.server.request(
            "POST", "/vector/search", '{"vector": [NaN], "k": 1}',
            {"Content-Type": "application/json"})
        self.assertEqual(st, 400, data)
        st, _, b = self.search({"vector": q, "k": 3, "table": "nothing"})
        self.assertEqual(st, 404, b)
        for cfg in ({"dimension": 0}, {"dimension": 5000}, {},
                    {"dimension": 4, "metric": "hamming"},
                    {"dimension": 4, "M": 500},
                    {"dimension": 4096, "max_elements": 10 ** 8}):
            st, _, b = self.server.json("POST", "/index/create", {
                "table": "other", "column": "e", "type": "vector",
                "config": cfg})
            self.assertEqual(st, 400, (cfg, b))
        st, _, b = self.server.json("POST", "/vector/batch_insert", {
            "table": "emb", "items": [{"pk": "ok1", "vector": q},
                                      {"pk": "bad", "vector": q[:3]},
                                      {"vector": q}, "junk"]})
        self.assertEqual((st, b["inserted"], b["errors"]), (200, 1, 3), b)
        self.server.json("DELETE", "/entities/emb:ok1")

    def test_index_listing_and_config(self):
        st, _, b = self.server.json("GET", "/v1/collections/emb/indexes")
        self.assertEqual(st, 200, b)
        idx = [i for i in b["indexes"] if i["type"] == "vector"][0]
        self.assertEqual((idx["state"], idx["dimension"], idx["metric"]),
                         ("ready", DIM, "l2"))
        self.assertGreaterEqual(idx["entries"], N)
        st, _, b = self.server.json("GET", "/vector/index/stats?table=emb")
        self.assertEqual(st, 200, b)
        self.assertEqual((b["objectName"], b["dimension"], b["metric"]),
                         ("emb", DIM, "L2"))
        self.assertGreaterEqual(b["vectorCount"], N)
        st, _, b = self.server.json("PUT", "/vector/index/config",
                                    {"table": "emb", "efSearch": 128})
        self.assertEqual((st, b["updated_fields"]), (200, {"efSearch": 128}))
        _, _, b = self.server.json("GET", "/vector/index/config?table=emb")
        self.assertEqual(b["efSearch"], 128)
        st, _, b = self.server.json("PUT", "/vector/index/config",
                                    {"table": "emb", "efSearch": 0})
        self.assertEqual(st, 400, b)
        # themisd's own index API: create, see it build, drop
        self.server.json("PUT", "/entities/small:a", {
            "blob": json.dumps({"v": [1, 0]})})
        st, _, b = self.server.json("POST", "/v1/collections/small/indexes", {
            "type": "vector", "field": "v", "dimension": 2, "name": "sv"})
        self.assertEqual(st, 201, b)
        st, _, b = self.server.json("POST", "/v1/collections/small/indexes", {
            "type": "vector", "field": "v", "dimension": 2, "name": "sv"})
        self.assertEqual(st, 409, b)
        st, _, b = self.search({"vector": [1, 0], "k": 1, "table": "small"})
        self.assertEqual((st, b["results"][0]["pk"]), (200, "a"), b)
        st, _, b = self.server.json("GET", "/v1/collections/small/indexes/sv")
        self.assertEqual((st, b["state"]), (200, "ready"))
        # two indexes now: the SDK shape must name one
        st, _, b = self.search({"vector": self.queries[0], "k": 1})
        self.assertEqual(st, 400, b)
        st, _, _ = self.server.json("DELETE", "/v1/collections/small/indexes/sv")
        self.assertEqual(st, 200)
        st, _, _ = self.server.json("GET", "/v1/collections/small/indexes/sv")
        self.assertEqual(st, 404)

    def test_index_api_lists_every_index_type(self):
        # the vector index beside the collection's primary index
        st, _, b = self.server.json("GET", "/v1/collections/emb/indexes")
        self.assertEqual(st, 200, b)
        by_type = {i["type"]: i for i in b["indexes"]}
        self.assertEqual(by_type["primary"]["fields"], ["_key"])
        v = by_type["vector"]
        self.assertEqual((v["name"], v["fields"], v["state"]),
                         ("vector_embedding", ["embedding"], "ready"))
        self.assertEqual((v["dimension"], v["metric"], v["M"]), (DIM, "l2", 16))
        self.assertEqual(set(v["progress"]), {"built", "total"})
        # an edge collection shows its edge index
        st, _, b = self.server.json("POST", "/v1/collections",
                                    {"name": "vknows"})
        self.assertIn(st, (200, 201), b)
        st, _, b = self.server.json("POST", "/query/aql", {
            "query": "INSERT {_from: 'emb/v1', _to: 'emb/v2'} INTO vknows"})
        self.assertEqual(st, 200, b)
        st, _, b = self.server.json("GET", "/v1/collections/vknows/indexes")
        self.assertEqual(st, 200, b)
        edge = [i for i in b["indexes"] if i["type"] == "edge"]
        self.assertEqual(len(edge), 1, b)
        self.assertEqual(edge[0]["fields"], ["_from", "_to"])
        self.assertEqual(edge[0]["sqlite_index"],
                         ["documents_edge_from", "documents_edge_to"])
        # a collection without edges has none
        _, _, b = self.server.json("GET", "/v1/collections/emb/indexes")
        self.assertNotIn("edge", [i["type"] for i in b["indexes"]])

    def test_aql_explain_names_the_vector_index(self):
        q = self.queries[5]
        st, _, b = self.server.json("POST", "/query/aql", {
            "query": "FOR r IN APPROX_NEAR('emb', 'embedding', @q, 5) "
                     "RETURN r.doc._key", "bindVars": {"q": q},
            "explain": True})
        self.assertEqual(st, 200, b)
        loop = b["plan"]["loops"][0]
        self.assertEqual(b["plan"]["mode"], "vector_index")
        self.assertEqual((loop["index"], loop["index_type"], loop["metric"],
                          loop["dimension"]),
                         ("vector_embedding", "vector", "l2", DIM))
        # SORT VECTOR_DISTANCE … LIMIT k scans: the plan says so and names
        # the index APPROX_NEAR would read
        st, _, b = self.server.json("POST", "/query/aql", {
            "query": "FOR d IN emb SORT VECTOR_DISTANCE(d.embedding, @q, "
                     "'l2') LIMIT 3 RETURN d._key", "bindVars": {"q": q},
            "explain": True})
        self.assertEqual(st, 200, b)
        loop = b["plan"]["loops"][0]
        self.assertEqual(loop["mode"], "full_scan")
        self.assertEqual((loop["sort"]["mode"], loop["sort"]["index"]),
                         ("brute_force_sort", "vector_embedding"))
        self.assertEqual(b["result"], self.brute(q, 3))
        # no index on that attribute: the loop says why
        st, _, b = self.server.json("POST", "/query/aql", {
            "query": "FOR r IN APPROX_NEAR('emb', 'nothing', @q, 5) RETURN r",
            "bindVars": {"q": q}, "explain": True})
        self.assertEqual(st, 400, b)

    def test_z_restart_keeps_the_index(self):
        q = self.queries[4]
        _, _, before = self.search({"vector": q, "k": K, "table": "emb"})
        self.assertEqual(self.server.stop(), 0)
        srv = Server(data_dir=self.server.data_dir).start()
        try:
            st, _, b = srv.json("GET", "/vector/index/stats?table=emb")
            self.assertEqual((st, b["state"]), (200, "ready"), b)
            # loaded from its file, not rebuilt from the collection
            self.assertEqual(b["progress"]["built"], 0, b)
            st, _, after = srv.json("POST", "/vector/search",
                                    {"vector": q, "k": K, "table": "emb"})
            self.assertEqual(st, 200, after)
            self.assertEqual([r["pk"] for r in after["results"]],
                             [r["pk"] for r in before["results"]])
            # a write after the restart is applied from the change log
            srv.json("PUT", "/entities/emb:late", {
                "blob": json.dumps({"embedding": q})})
            _, _, b = srv.json("POST", "/vector/search",
                               {"vector": q, "k": 1, "table": "emb"})
            self.assertEqual(b["results"][0]["pk"], "late")
            self.assertEqual(srv.stop(), 0)
            # files gone: rebuilt from the collection in the background
            vdir = os.path.join(self.server.data_dir, "vector")
            for f in os.listdir(vdir):
                os.remove(os.path.join(vdir, f))
            srv = Server(data_dir=self.server.data_dir).start()
            # searches meanwhile answer 503 (building, with progress)
            deadline = time.time() + 120
            while True:
                st, _, after = srv.json("POST", "/vector/search",
                                        {"vector": q, "k": K, "table": "emb"})
                if st != 503 or time.time() > deadline:
                    break
                self.assertIn("building", after["message"])
                time.sleep(0.2)
            self.assertEqual(st, 200, after)
            self.assertEqual(after["results"][0]["pk"], "late")
            st, _, b = srv.json("GET", "/vector/index/stats?table=emb")
            self.assertEqual(b["progress"]["built"], N + 1, b)
        finally:
            self.assertEqual(srv.stop(), 0)
            self.server.proc = srv.proc  # tearDownClass stops and cleans


class VectorCrashTest(unittest.TestCase):
    """kill -9 after writes the index has applied but not saved: the
    restart loads the last file and replays the change log from the
    sequence recorded with it."""

    def test_kill9_replays_the_log(self):
        srv = Server().start()
        try:
            st, _, b = srv.json("POST", "/index/create", {
                "table": "crash", "column": "v", "type": "vector",
                "config": {"dimension": 4, "metric": "cosine"}})
            self.assertEqual(st, 200, b)
            # the empty index is built and saved now; these writes are
            # applied in memory only (the next save is 30 s away)
            items = [{"pk": "k%d" % i, "vector": [1, i, i * i % 7, 1]}
                     for i in range(40)]
            st, _, b = srv.json("POST", "/vector/batch_insert",
                                {"table": "crash", "vector_field": "v",
                                 "items": items})
            self.assertEqual(b["inserted"], 40, b)
            st, _, b = srv.json("POST", "/vector/search", {
                "table": "crash", "vector": [1, 5, 4, 1], "k": 40})
            self.assertEqual(b["count"], 40, b)
            srv.json("DELETE", "/entities/crash:k5")
            srv.kill9()
            srv.start()
            st, _, b = srv.json("POST", "/vector/search", {
                "table": "crash", "vector": [1, 5, 4, 1], "k": 40})
            self.assertEqual(st, 200, b)
            keys = {r["pk"] for r in b["results"]}
            self.assertEqual(keys, {"k%d" % i for i in range(40)} - {"k5"})
        finally:
            srv.stop()
            srv.cleanup()


SECRET = "vector tenant test secret, long enough"


class VectorTenantTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET],
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        cls.acme = bearer(make_jwt(SECRET, "alice", "acme"))
        cls.beta = bearer(make_jwt(SECRET, "bob", "beta"))
        cls.reader = bearer(make_jwt(SECRET, "rita", "beta", "data:read"))

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def test_tenants_never_see_each_others_vectors(self):
        s = self.srv
        for tok, prefix in ((self.acme, "a"), (self.beta, "b")):
            st, _, b = s.json("POST", "/index/create", {
                "table": "emb", "column": "embedding", "type": "vector",
                "config": {"dimension": 2}}, tok)
            self.assertEqual(st, 200, b)
            st, _, b = s.json("POST", "/vector/batch_insert", {
                "table": "emb", "items": [
                    {"pk": prefix + str(i), "vector": [1, i / 10]}
                    for i in range(20)]}, tok)
            self.assertEqual(b["inserted"], 20, b)
        for tok, prefix in ((self.acme, "a"), (self.beta, "b")):
            # with and without the table name (the SDK shape)
            for body in ({"vector": [1, 0], "k": 50, "table": "emb"},
                         {"vector": [1, 0], "k": 50}):
                st, _, b = s.json("POST", "/vector/search", body, tok)
                self.assertEqual(st, 200, b)
                self.assertEqual(b["count"], 20)
                self.assertTrue(all(r["pk"].startswith(prefix)
                                    for r in b["results"]), b)
            st, _, b = s.json("POST", "/query/aql", {
                "query": "FOR r IN APPROX_NEAR('emb','embedding',[1,0],50) "
                         "RETURN r.doc._key"}, tok)
            self.assertEqual(st, 200, b)
            self.assertEqual(len(b["result"]), 20)
            self.assertTrue(all(k.startswith(prefix) for k in b["result"]))
        # the stored name of another tenant's collection is not a name
        for table in ("beta.emb", "acme.emb"):
            st, _, b = s.json("POST", "/vector/search",
                              {"vector": [1, 0], "table": table}, self.acme)
            self.assertEqual(st, 400, b)
            st, _, b = s.json("POST", "/query/aql", {
                "query": "RETURN APPROX_NEAR(@t,'embedding',[1,0],5)",
                "bindVars": {"t": table}}, self.acme)
            self.assertIn(st, (400, 404), b)
        st, _, b = s.json("GET", "/v1/collections/emb/indexes", self.acme)
        self.assertNotIn("beta", json.dumps(b))
        # a read-only token searches but may not define indexes or insert
        st, _, b = s.json("POST", "/vector/search", {"vector": [1, 0]},
                          self.reader)
        self.assertEqual(st, 200, b)
        st, _, b = s.json("POST", "/index/create", {
            "table": "x", "column": "e", "type": "vector",
            "config": {"dimension": 2}}, self.reader)
        self.assertEqual(st, 403, b)
        st, _, b = s.json("POST", "/vector/batch_insert", {
            "table": "emb", "items": [{"pk": "z", "vector": [1, 1]}]},
            self.reader)
        self.assertEqual(st, 403, b)
        st, _, b = s.json("POST", "/vector/search", {"vector": [1, 0]})
        self.assertEqual(st, 401, b)


class SearchBackupTest(unittest.TestCase):
    """Backup and restore carry vector and full-text indexes (issue 32):
    the backup holds their definitions (search_indexes.json), the restored
    server rebuilds them from the restored documents, and the same
    searches answer the same top-k."""

    def test_backup_restore_rebuilds_search_indexes(self):
        import shutil
        import subprocess
        import tempfile
        from themis_harness import THEMISD
        ctl_bin = os.environ.get("THEMISCTL") or os.path.join(
            os.path.dirname(os.path.abspath(THEMISD)), "themisctl")
        work = tempfile.mkdtemp(prefix="themis-search-backup-")
        self.addCleanup(shutil.rmtree, work, True)
        srv = Server().start()
        self.addCleanup(srv.cleanup)
        rng = random.Random(9)
        st, _, b = srv.json("POST", "/index/create", {
            "table": "bk", "column": "e", "type": "vector",
            "config": {"dimension": 8, "metric": "cosine", "M": 12,
                       "efSearch": 80}})
        self.assertEqual(st, 200, b)
        st, _, b = srv.json("POST", "/v1/collections/bk/indexes", {
            "type": "fulltext", "field": "t", "tokenizer": "porter"})
        self.assertEqual(st, 201, b)
        words = "red green blue cyan magenta yellow black white".split()
        items = [{"pk": "k%d" % i,
                  "vector": [rng.uniform(-1, 1) for _ in range(8)],
                  "fields": {"t": " ".join(rng.choice(words)
                                           for _ in range(6))}}
                 for i in range(600)]
        st, _, b = srv.json("POST", "/vector/batch_insert", {
            "table": "bk", "vector_field": "e", "items": items})
        self.assertEqual((st, b["inserted"]), (200, 600), b)
        queries = [[rng.uniform(-1, 1) for _ in range(8)] for _ in range(5)]
        texts = ["red", "blue OR cyan", '"black white"', "magent*"]

        def answers(s):
            out = []
            deadline = time.time() + 60
            for q in queries:
                while True:
                    st, _, b = s.json("POST", "/vector/search",
                                      {"table": "bk", "vector": q, "k": 10})
                    if st != 503 or time.time() > deadline:
                        break
                    time.sleep(0.2)
                self.assertEqual(st, 200, b)
                out.append([r["pk"] for r in b["results"]])
            for t in texts:
                while True:
                    st, _, b = s.json("POST", "/search/fulltext", {
                        "table": "bk", "column": "t", "query": t,
                        "limit": 20})
                    if st != 503 or time.time() > deadline:
                        break
                    time.sleep(0.2)
                self.assertEqual(st, 200, b)
                out.append([(r["pk"], round(r["score"], 6))
                            for r in b["results"]])
            return out

        before = answers(srv)
        bak = os.path.join(work, "backup")
        st, _, b = srv.json("POST", "/api/v1/admin/backup", {"to": bak})
        self.assertIn(st, (200, 202), b)
        deadline = time.time() + 60
        while True:
            _, _, b = srv.json("GET", "/api/v1/admin/backup")
            if b.get("state") in ("completed", "failed") or \
                    time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(b["state"], "completed", b)
        with open(os.path.join(bak, "search_indexes.json")) as f:
            defs = json.load(f)
        self.assertEqual(sorted(d["type"] for d in defs),
                         ["fulltext", "vector"])
        self.assertEqual(srv.stop(), 0)

        restored = os.path.join(work, "restored")
        p = subprocess.run([ctl_bin, "restore", "--from", bak, "--data-dir",
                            restored], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        two = Server(data_dir=restored).start()
        self.addCleanup(two.stop)
        st, _, b = two.json("GET", "/v1/collections/bk/indexes")
        self.assertEqual(st, 200, b)
        got = {i["type"]: i for i in b["indexes"]}
        v, t = got["vector"], got["fulltext"]
        self.assertEqual((v["name"], v["dimension"], v["metric"], v["M"],
                          v["efSearch"]), ("vector_e", 8, "cosine", 12, 80))
        self.assertEqual((t["name"], t["tokenizer"]), ("fulltext_t", "porter"))
        self.assertEqual(answers(two), before)
        _, _, b = two.json("GET", "/v1/collections/bk/indexes")
        for i in b["indexes"]:
            if i["type"] in ("vector", "fulltext"):
                self.assertEqual(i["state"], "ready")
                self.assertEqual(i["progress"]["built"], 600)  # rebuilt
        self.assertEqual(two.stop(), 0)
        # themisd started on the backup directory itself builds them too
        three = Server(data_dir=bak).start()
        self.addCleanup(three.stop)
        self.assertEqual(answers(three), before)


if __name__ == "__main__":
    unittest.main()
