"""Vector and full-text search over the PostgreSQL protocol (issue 32):
themis_vector_search() and themis_fulltext() in FROM (joined to the
collection's table, parameters through psycopg 3's extended protocol),
vector_distance() and pgvector's <-> <=> <#>, SQL EXPLAIN naming the
index, the errors (42704 unknown index/collection, 22023 bad vector or
k), and tenant isolation through two tenants' tokens. Results must equal
what REST's /vector/search and /search/fulltext answer for the same
query on the same real index."""

import json
import math
import random
import time
import unittest

import psycopg
import psycopg.errors

from themis_harness import Server
from tokens import bearer, make_jwt

SECRET = "pg vector test secret, long enough"
ROOT = make_jwt(SECRET, "root", scope="admin")
ACME = make_jwt(SECRET, "alice", "acme")
BETA = make_jwt(SECRET, "bob", "beta")
N, DIM = 1500, 16
WORDS = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda "
         "mu nu xi omicron pi rho sigma tau upsilon").split()


def lit(v):
    return "[" + ", ".join(repr(x) for x in v) + "]"


def l2(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))


class PgVectorSearchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET],
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        s, h = cls.srv, bearer(ROOT)
        st, _, b = s.json("POST", "/index/create", {
            "table": "emb", "column": "embedding", "type": "vector",
            "config": {"dimension": DIM, "metric": "l2"}}, h)
        assert st == 200, (st, b)
        st, _, b = s.json("POST", "/index/create", {
            "table": "articles", "column": "body", "type": "fulltext"}, h)
        assert st == 200, (st, b)
        rng = random.Random(32)
        cls.data = {}
        items = []
        for i in range(N):
            v = [round(rng.uniform(-1, 1), 4) for _ in range(DIM)]
            cls.data["v%d" % i] = v
            items.append({"pk": "v%d" % i, "vector": v,
                          "fields": {"cat": "c%d" % (i % 3)}})
        for start in range(0, N, 500):
            st, _, b = s.json("POST", "/vector/batch_insert", {
                "table": "emb", "vector_field": "embedding",
                "items": items[start:start + 500]}, h)
            assert st == 200 and b["inserted"] == 500, (st, b)
        for i in range(200):
            text = " ".join(rng.choice(WORDS) for _ in range(10))
            if i % 50 == 0:
                text += " aardvark aardvark"
            st, _, _ = s.json("PUT", "/entities/articles:a%d" % i, {
                "blob": json.dumps({"body": text, "n": i})}, h)
            assert st in (200, 201), st
        cls.queries = [[round(rng.uniform(-1, 1), 4) for _ in range(DIM)]
                       for _ in range(10)]
        deadline = time.time() + 120  # the applier indexes the inserts
        while True:
            st, _, b = s.json("POST", "/vector/search",
                              {"table": "emb", "vector": cls.queries[0]}, h)
            if st != 503 or time.time() > deadline:
                break
            time.sleep(0.3)
        assert st == 200, (st, b)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def connect(self, token=ROOT, user="root"):
        c = psycopg.connect(host="127.0.0.1", port=self.srv.pg_port,
                            user=user, password=token, dbname="themis",
                            connect_timeout=10, autocommit=True)
        self.addCleanup(c.close)
        return c

    def rows(self, conn, sql, args=None):
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def fails(self, conn, sql, state, args=None):
        with self.assertRaises(psycopg.Error) as cm:
            self.rows(conn, sql, args)
        self.assertEqual(cm.exception.sqlstate, state, str(cm.exception))
        return str(cm.exception)

    def rest(self, path, body, token=ROOT):
        st, _, b = self.srv.json("POST", path, body, bearer(token))
        self.assertEqual(st, 200, b)
        return b

    # -- vector search ---------------------------------------------------

    def test_vector_search_equals_rest(self):
        c = self.connect()
        for q in self.queries:
            want = self.rest("/vector/search",
                             {"table": "emb", "field": "embedding",
                              "vector": q, "k": 10})["results"]
            got = self.rows(c, "SELECT _key, distance FROM "
                               "themis_vector_search(%s, %s, %s, %s)",
                            ("emb", "embedding", lit(q), 10))
            self.assertEqual([r[0] for r in got], [r["pk"] for r in want])
            for (_, d), w in zip(got, want):
                self.assertAlmostEqual(d, w["distance"], places=4)
            # the distance is the real L2 distance of the hit
            self.assertAlmostEqual(got[0][1], l2(q, self.data[got[0][0]]),
                                   places=3)

    def test_join_doc_column_array_argument_and_ef(self):
        c = self.connect()
        q = self.queries[1]
        got = self.rows(
            c, "SELECT v._key, v.doc->>'cat', d.doc->>'cat', v.distance "
               "FROM themis_vector_search('emb', 'embedding', %s, 5) v "
               "JOIN emb d ON d._key = v._key ORDER BY v.distance", (lit(q),))
        self.assertEqual(len(got), 5)
        for key, cat1, cat2, _ in got:
            self.assertEqual(cat1, "c%d" % (int(key[1:]) % 3))
            self.assertEqual(cat1, cat2)
        # a float4[] argument, a wider beam (ef) and column aliases
        got2 = self.rows(
            c, "SELECT k, dist FROM themis_vector_search('emb', 'embedding', "
               "%s::float4[], 5, 200) AS s(k, dist, body)", (q,))
        self.assertEqual([r[0] for r in got2], [r[0] for r in got])
        # WHERE on the result, the doc as jsonb
        got3 = self.rows(
            c, "SELECT _key FROM themis_vector_search('emb','embedding',%s,20)"
               " WHERE doc->>'cat' = 'c0'", (lit(q),))
        self.assertTrue(all(int(k[1:]) % 3 == 0 for (k,) in got3), got3)
        # the index-backed top-k agrees with an exact scan on this data
        exact = sorted(self.data, key=lambda k: l2(q, self.data[k]))[:5]
        self.assertGreaterEqual(len(set(exact) & {r[0] for r in got}), 4)

    def test_distance_functions_and_operators(self):
        c = self.connect()
        (r,) = self.rows(c, "SELECT '[1,0]' <-> '[0,1]', '[1,0]' <=> '[0,1]',"
                            " '[1,2]' <#> '[3,4]', vector_distance('[1,2]', "
                            "'[2,4]'), vector_distance('{3,4}', '[0,0]', "
                            "'l2'), l2_distance('[0,0]', '[3,4]'), "
                            "cosine_distance('[1,0]', '[1,0]'), "
                            "inner_product('[1,2]', '[3,4]')")
        self.assertAlmostEqual(r[0], math.sqrt(2), places=5)
        self.assertAlmostEqual(r[1], 1.0, places=5)
        self.assertAlmostEqual(r[2], -11.0, places=5)
        self.assertAlmostEqual(r[3], 0.0, places=5)
        self.assertAlmostEqual(r[4], 5.0, places=5)
        self.assertAlmostEqual(r[5], 5.0, places=5)
        self.assertAlmostEqual(r[6], 0.0, places=5)
        self.assertAlmostEqual(r[7], 11.0, places=5)
        self.assertEqual(self.rows(c, "SELECT vector_distance(NULL, '[1]')"),
                         [(None,)])
        # ORDER BY <-> LIMIT k over the table: exact (a scan), the true top-k
        q = self.queries[2]
        got = self.rows(c, "SELECT _key FROM emb ORDER BY doc->'embedding' "
                           "<-> %s LIMIT 5", (lit(q),))
        exact = sorted(self.data, key=lambda k: l2(q, self.data[k]))[:5]
        self.assertEqual([k for (k,) in got], exact)
        self.fails(c, "SELECT '[1,2]' <-> '[1,2,3]'", "22023")
        self.fails(c, "SELECT vector_distance('[1,2]', '[1,x]')", "22023")
        self.fails(c, "SELECT vector_distance('[1]', '[1]', 'manhattan')",
                   "22023")

    def test_errors(self):
        c = self.connect()
        q = lit(self.queries[0])
        e = self.fails(c, "SELECT * FROM themis_vector_search('nope', "
                          "'embedding', %s, 5)", "42704", (q,))
        self.assertIn("no vector index", e)
        self.fails(c, "SELECT * FROM themis_vector_search('emb', 'other', "
                      "%s, 5)", "42704", (q,))
        self.fails(c, "SELECT * FROM themis_fulltext('emb', 'embedding', "
                      "'x', 5)", "42704")
        # wrong dimension, not numbers, NaN, nested, not a vector at all
        for bad in ("[1,2,3]", "[" + ",".join(["1"] * (DIM - 1)) + ",\"a\"]",
                    "{" + ",".join(["1"] * (DIM - 1)) + ",NaN}", "[[1]]",
                    "hello", "[" + "1," * 5000 + "1]"):
            self.fails(c, "SELECT * FROM themis_vector_search('emb', "
                          "'embedding', %s, 5)", "22023", (bad,))
        for k in (0, -1, 10001):
            self.fails(c, "SELECT * FROM themis_vector_search('emb', "
                          "'embedding', %s, %s)", "22023", (q, k))
        self.fails(c, "SELECT * FROM themis_vector_search('emb', "
                      "'embedding', %s, 5, 0)", "22023", (q,))
        self.fails(c, "SELECT * FROM themis_fulltext('articles', 'body', "
                      "'alpha', 0)", "22023")
        self.fails(c, "SELECT * FROM themis_fulltext('articles', 'body', "
                      "'\"unterminated', 5)", "42601")
        self.fails(c, "SELECT themis_vector_search('emb', 'embedding', %s, 5)",
                   "0A000", (q,))
        self.fails(c, "SELECT * FROM themis_vector_search('emb', 'embedding')",
                   "42883")
        # NULL arguments: no rows (a STRICT function)
        self.assertEqual(self.rows(c, "SELECT * FROM themis_vector_search("
                                      "'emb', 'embedding', NULL, 5)"), [])

    # -- full-text search --------------------------------------------------

    def test_fulltext_equals_rest(self):
        c = self.connect()
        for query in ("aardvark", "alpha beta", '"gamma delta"', "eps*",
                      "alpha OR omicron"):
            want = self.rest("/search/fulltext", {
                "table": "articles", "column": "body", "query": query,
                "limit": 20})["results"]
            got = self.rows(c, "SELECT _key, score, doc->>'body' FROM "
                               "themis_fulltext(%s, %s, %s, %s)",
                            ("articles", "body", query, 20))
            self.assertEqual([r[0] for r in got], [w["pk"] for w in want],
                             query)
            for g, w in zip(got, want):
                self.assertAlmostEqual(g[1], w["score"], places=6)
        got = self.rows(c, "SELECT f._key, a.doc->>'n' FROM themis_fulltext("
                           "'articles', 'body', 'aardvark') f JOIN articles a"
                           " USING (_key) ORDER BY f.score DESC, f._key")
        self.assertEqual(sorted(k for k, _ in got),
                         sorted("a%d" % i for i in range(0, 200, 50)))

    # -- EXPLAIN -------------------------------------------------------------

    def test_explain_names_the_index(self):
        c = self.connect()
        plan = "\n".join(r[0] for r in self.rows(
            c, "EXPLAIN SELECT v._key FROM themis_vector_search('emb', "
               "'embedding', '%s', 5) v JOIN emb d ON d._key = v._key"
               % lit(self.queries[0])))
        self.assertIn("vector index vector_embedding on emb.embedding", plan)
        self.assertIn("hnsw, l2, dimension %d" % DIM, plan)
        plan = "\n".join(r[0] for r in self.rows(
            c, "EXPLAIN SELECT * FROM themis_fulltext('articles', 'body', "
               "'alpha')"))
        self.assertIn("fulltext index fulltext_body on articles.body", plan)
        plan = "\n".join(r[0] for r in self.rows(
            c, "EXPLAIN SELECT _key FROM emb ORDER BY doc->'embedding' <-> "
               "'[1,2]' LIMIT 3"))
        # a brute-force scan: every row of the collection, then a sort
        self.assertIn("USE TEMP B-TREE FOR ORDER BY", plan)
        self.assertNotIn("VIRTUAL TABLE", plan)
        self.fails(c, "EXPLAIN ANALYZE SELECT 1", "0A000")
        self.fails(c, "EXPLAIN DELETE FROM emb", "0A000")

    def test_index_api_lists_sql_indexes(self):
        c = self.connect()
        with c.cursor() as cur:
            cur.execute("CREATE TABLE items (id int PRIMARY KEY, name text, "
                        "code text UNIQUE)")
            cur.execute("CREATE INDEX items_name ON items (name)")
        st, _, b = self.srv.json("GET", "/v1/collections/items/indexes",
                                 None, bearer(ROOT))
        self.assertEqual(st, 200, b)
        got = {i["name"]: i for i in b["indexes"]}
        self.assertEqual((got["items_pkey"]["type"],
                          got["items_pkey"]["fields"]), ("primary", ["id"]))
        self.assertEqual((got["items_name"]["type"],
                          got["items_name"]["fields"],
                          got["items_name"]["unique"]),
                         ("persistent", ["name"], False))
        self.assertEqual((got["items_code_key"]["fields"],
                          got["items_code_key"]["unique"]), (["code"], True))
        self.assertNotIn("primary", got)  # the table's own primary key

    # -- tenants ---------------------------------------------------------------

    def test_tenants_see_only_their_own_indexes(self):
        s = self.srv
        for tok, prefix in ((ACME, "a"), (BETA, "b")):
            st, _, b = s.json("POST", "/index/create", {
                "table": "tv", "column": "e", "type": "vector",
                "config": {"dimension": 2}}, bearer(tok))
            self.assertEqual(st, 200, b)
            st, _, b = s.json("POST", "/vector/batch_insert", {
                "table": "tv", "vector_field": "e", "items": [
                    {"pk": prefix + str(i), "vector": [1, i / 10]}
                    for i in range(8)]}, bearer(tok))
            self.assertEqual(b["inserted"], 8, b)
        for tok, user, prefix in ((ACME, "alice", "a"), (BETA, "bob", "b")):
            c = self.connect(tok, user)
            deadline = time.time() + 30
            while True:
                try:
                    got = self.rows(c, "SELECT _key FROM themis_vector_search("
                                       "'tv', 'e', '[1,0]', 50)")
                    break
                except psycopg.errors.ObjectNotInPrerequisiteState:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.2)
            self.assertEqual(len(got), 8)
            self.assertTrue(all(k.startswith(prefix) for (k,) in got), got)
            # another tenant's stored name, and the global one, are not names
            for other in ("beta.tv", "acme.tv", "emb"):
                self.fails(c, "SELECT * FROM themis_vector_search(%s, 'e', "
                              "'[1,0]', 5)", "42704", (other,))
            self.fails(c, "SELECT * FROM themis_vector_search('emb', "
                          "'embedding', %s, 5)", "42704",
                       (lit(self.queries[0]),))


if __name__ == "__main__":
    unittest.main()
