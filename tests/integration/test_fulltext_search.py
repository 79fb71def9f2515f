"""Full-text search (issue 32) against the real themisd: ThemisDB's
/index/create (type fulltext, stemming) and /search/fulltext shapes,
BM25 ranking sanity (more matches of a rare term rank first), phrases,
prefixes, boolean operators, Porter stemming, updates and deletes seen by
the next search, malformed queries answered 400 (never 500), AQL
FULLTEXT(), hybrid search with reciprocal-rank fusion, the index across
a restart, and tenant isolation."""

import json
import random
import time
import unittest

from themis_harness import Server, ServerTest
from tokens import bearer, make_jwt

FILLER = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda "
          "omicron sigma tau upsilon phi chi psi omega").split()


class FulltextTest(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        st, _, b = s.json("POST", "/index/create", {
            "table": "articles", "column": "text", "type": "fulltext",
            "config": {"stemming_enabled": True, "language": "en"}})
        assert st == 200 and b["success"], (st, b)
        rng = random.Random(7)
        docs = {}
        for i in range(300):
            docs["f%d" % i] = " ".join(rng.choice(FILLER) for _ in range(12))
        docs.update({
            "rare3": "the aardvark met an aardvark and a third aardvark",
            "rare1": "one aardvark among " + " ".join(FILLER[:9]),
            "phrase": "deep learning for computer vision",
            "reversed": "learning deep structures of vision",
            "stem": "the runner was running and runs daily",
            "optim": "optimization of optimizers that optimize",
        })
        for k, text in docs.items():
            st, _, _ = s.json("PUT", "/entities/articles:" + k,
                              {"blob": json.dumps({"text": text, "n": k})})
            assert st in (200, 201), st

    def fts(self, query, **extra):
        body = dict({"table": "articles", "column": "text", "query": query},
                    **extra)
        return self.server.json("POST", "/search/fulltext", body)

    def keys(self, query, **extra):
        st, _, b = self.fts(query, **extra)
        self.assertEqual(st, 200, b)
        return [r["pk"] for r in b["results"]]

    def test_themisdb_shape_and_bm25_ranking(self):
        st, _, b = self.fts("aardvark", limit=10)
        self.assertEqual(st, 200, b)
        self.assertEqual(set(b), {"count", "table", "column", "query",
                                  "results"})
        self.assertEqual((b["table"], b["column"], b["query"]),
                         ("articles", "text", "aardvark"))
        self.assertEqual([r["pk"] for r in b["results"]], ["rare3", "rare1"])
        self.assertGreater(b["results"][0]["score"], b["results"][1]["score"])
        self.assertEqual(b["count"], 2)

    def test_phrase_prefix_boolean_and_stemming(self):
        self.assertEqual(self.keys('"deep learning"'), ["phrase"])
        self.assertEqual(sorted(self.keys("deep learning")),
                         ["phrase", "reversed"])
        # prefixes match indexed tokens, which porter has stemmed
        # ("optimization" -> "optim"): see docs/search.md
        self.assertEqual(self.keys("optim*"), ["optim"])
        self.assertEqual(sorted(self.keys("aard*")), ["rare1", "rare3"])
        self.assertEqual(sorted(self.keys("aardvark OR vision")),
                         ["phrase", "rare1", "rare3", "reversed"])
        self.assertEqual(self.keys("vision NOT computer"), ["reversed"])
        self.assertEqual(sorted(self.keys("(aardvark OR computer) AND vision")),
                         ["phrase"])
        self.assertEqual(self.keys("run"), ["stem"])  # porter: running, runs
        self.assertEqual(self.keys("nonexistentword"), [])
        # FTS5 operators are words here: no column filters, no NEAR
        self.assertEqual(self.keys("text:aardvark"), [])
        self.assertEqual(len(self.keys("alpha", limit=5)), 5)

    def test_updates_and_deletes_are_seen(self):
        s = self.server
        s.json("PUT", "/entities/articles:live",
               {"blob": json.dumps({"text": "zyzzyva appears here"})})
        self.assertEqual(self.keys("zyzzyva"), ["live"])
        s.json("PUT", "/entities/articles:live",
               {"blob": json.dumps({"text": "now about quokkas"})})
        self.assertEqual(self.keys("zyzzyva"), [])
        self.assertEqual(self.keys("quokkas"), ["live"])
        s.json("PUT", "/entities/articles:live",
               {"blob": json.dumps({"other": "no text attribute"})})
        self.assertEqual(self.keys("quokkas"), [])
        s.json("PUT", "/entities/articles:live",
               {"blob": json.dumps({"text": ["array", "of quokkas"]})})
        self.assertEqual(self.keys("quokkas"), ["live"])
        st, _, _ = s.json("DELETE", "/entities/articles:live")
        self.assertEqual(st, 200)
        self.assertEqual(self.keys("quokkas"), [])

    def test_bad_queries_are_400(self):
        for q in ('"unterminated', "aardvark AND", "OR aardvark", "(aardvark",
                  "aardvark)", "*", "a*b", "", "   ", "()",
                  "(" * 10000, "x " * 100, '""'):
            st, _, b = self.fts(q)
            self.assertEqual(st, 400, (q[:40], b))
            self.assertTrue(b["error"])
            self.assertIn("query", b["message"])
        for body in ({"column": "text", "query": "x"},
                     {"table": "articles", "column": "text", "query": 5},
                     {"table": "articles", "column": "text", "query": "x",
                      "limit": 0},
                     {"table": "articles", "column": "text", "query": "x",
                      "limit": 100000},
                     {"table": "bad name!", "query": "x"}):
            st, _, b = self.server.json("POST", "/search/fulltext", body)
            self.assertEqual(st, 400, (body, b))
        st, _, b = self.fts("x", table="noindex")
        self.assertEqual(st, 404, b)
        st, _, b = self.fts("x", column="other")
        self.assertEqual(st, 404, b)
        st, _, b = self.server.json("POST", "/index/create", {
            "table": "t", "column": "c", "type": "fulltext",
            "config": {"tokenizer": "icu"}})
        self.assertEqual(st, 400, b)
        # range (and equality) are persistent indexes since issue 22
        # (docs/indexes.md): on a missing table that is a 404
        st, _, b = self.server.json("POST", "/index/create", {
            "table": "t", "column": "c", "type": "range"})
        self.assertEqual(st, 404, b)

    def test_aql_fulltext(self):
        st, _, b = self.server.json("POST", "/query/aql", {
            "query": "FOR r IN FULLTEXT('articles', 'text', @q, 10) "
                     "RETURN {k: r.doc._key, s: r.score}",
            "bindVars": {"q": "aardvark"}})
        self.assertEqual(st, 200, b)
        self.assertEqual([r["k"] for r in b["result"]], ["rare3", "rare1"])
        for q in ("FULLTEXT('articles','text','\"open')",
                  "FULLTEXT('articles','nope','x')",
                  "FULLTEXT('articles','text',5)",
                  "FULLTEXT('articles','text','x',0)"):
            st, _, b = self.server.json("POST", "/query/aql",
                                        {"query": "RETURN " + q})
            self.assertEqual(st, 400, (q, b))

    def test_hybrid_rrf(self):
        s = self.server
        st, _, b = s.json("POST", "/index/create", {
            "table": "articles", "column": "emb", "type": "vector",
            "config": {"dimension": 2, "metric": "cosine"}})
        self.assertEqual(st, 200, b)
        try:
            for k, v in (("rare3", [1, 0]), ("rare1", [0, 1]),
                         ("phrase", [0.9, 0.1])):
                _, _, d = s.json("GET", "/entities/articles:" + k)
                doc = json.loads(d["blob"]) if "blob" in d else d
                doc["emb"] = v
                s.json("PUT", "/entities/articles:" + k,
                       {"blob": json.dumps(doc)})
            st, _, b = s.json("POST", "/search/hybrid", {
                "table": "articles", "text_query": "aardvark",
                "text_column": "text", "vector_query": [1, 0],
                "fusion_mode": "rrf", "k_rrf": 60, "k": 5})
            self.assertEqual(st, 200, b)
            self.assertEqual((b["fusion_mode"], b["text_count"],
                              b["vector_count"]), ("rrf", 2, 3))
            top = b["results"][0]
            self.assertEqual(top["pk"], "rare3")  # first in both lists
            self.assertAlmostEqual(top["score"], 2 / 61, places=9)
            self.assertEqual(set(r["pk"] for r in b["results"]),
                             {"rare3", "rare1", "phrase"})
            # ThemisDB's /search/fusion path and its weighted mode
            st, _, w = s.json("POST", "/search/fusion", {
                "table": "articles", "text_query": "aardvark",
                "vector_query": [1, 0], "fusion_mode": "weighted",
                "weight_text": 0.5, "k": 5})
            self.assertEqual(st, 200, w)
            self.assertEqual(w["results"][0]["pk"], "rare3")
            for bad in ({"table": "articles"},
                        {"table": "articles", "text_query": "(x"},
                        {"table": "articles", "vector_query": [1, 0, 0]},
                        {"table": "articles", "text_query": "x",
                         "fusion_mode": "max"},
                        {"table": "articles", "text_query": "x", "k_rrf": -1}):
                st, _, e = s.json("POST", "/search/hybrid", bad)
                self.assertEqual(st, 400, (bad, e))
        finally:
            s.json("POST", "/index/drop", {"table": "articles",
                                           "column": "emb", "type": "vector"})

    def test_explain_and_index_api_name_the_fulltext_index(self):
        st, _, b = self.server.json("POST", "/query/aql", {
            "query": "FOR r IN FULLTEXT('articles', 'text', 'aardvark', 5) "
                     "RETURN r.doc.n", "explain": True})
        self.assertEqual(st, 200, b)
        self.assertEqual(b["plan"]["mode"], "fulltext_index")
        loop = b["plan"]["loops"][0]
        self.assertEqual((loop["index"], loop["index_type"], loop["tokenizer"],
                          loop["attribute"]),
                         ("fulltext_text", "fulltext", "porter", "text"))
        self.assertEqual(b["result"], ["rare3", "rare1"])
        # a bind parameter for the collection: named at run time only
        st, _, b = self.server.json("POST", "/query/aql", {
            "query": "FOR r IN FULLTEXT(@c, 'text', 'aardvark') RETURN 1",
            "bindVars": {"c": "articles"}, "explain": True})
        self.assertEqual(st, 200, b)
        self.assertIn("index", b["plan"]["loops"][0])
        st, _, b = self.server.json("GET", "/v1/collections/articles/indexes")
        self.assertEqual(st, 200, b)
        types = [i["type"] for i in b["indexes"]]
        self.assertEqual(types[0], "primary")
        ft = [i for i in b["indexes"] if i["type"] == "fulltext"][0]
        self.assertEqual((ft["fields"], ft["tokenizer"], ft["state"]),
                         (["text"], "porter", "ready"))
        self.assertGreaterEqual(ft["entries"], 306)

    def test_z_restart_keeps_the_index(self):
        before = self.keys("aardvark OR vision")
        self.assertEqual(self.server.stop(), 0)
        srv = Server(data_dir=self.server.data_dir).start()
        try:
            st, _, b = srv.json("GET", "/v1/collections/articles/indexes")
            idx = [i for i in b["indexes"] if i["type"] == "fulltext"][0]
            self.assertEqual(idx["state"], "ready")
            self.assertEqual(idx["progress"]["built"], 0)  # not rebuilt
            st, _, b = srv.json("POST", "/search/fulltext", {
                "table": "articles", "column": "text",
                "query": "aardvark OR vision"})
            self.assertEqual([r["pk"] for r in b["results"]], before)
            st, _, b = srv.json("POST", "/index/drop", {
                "table": "articles", "column": "text", "type": "fulltext"})
            self.assertEqual((st, b["success"]), (200, True), b)
            st, _, b = srv.json("POST", "/search/fulltext", {
                "table": "articles", "column": "text", "query": "x"})
            self.assertEqual(st, 404, b)
        finally:
            self.assertEqual(srv.stop(), 0)
            self.server.proc = srv.proc


SECRET = "fulltext tenant test secret, long enough"


class FulltextTenantTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET],
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        cls.acme = bearer(make_jwt(SECRET, "alice", "acme"))
        cls.beta = bearer(make_jwt(SECRET, "bob", "beta"))

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def test_tenants_never_see_each_others_texts(self):
        s = self.srv
        for tok, name in ((self.acme, "acme"), (self.beta, "beta")):
            st, _, b = s.json("POST", "/index/create", {
                "table": "notes", "column": "text", "type": "fulltext"}, tok)
            self.assertEqual(st, 200, b)
            for i in range(5):
                st, _, _ = s.json("PUT", "/entities/notes:%s%d" % (name, i), {
                    "blob": json.dumps({"text": "shared secret word"})}, tok)
                self.assertIn(st, (200, 201))
        for tok, name in ((self.acme, "acme"), (self.beta, "beta")):
            st, _, b = s.json("POST", "/search/fulltext", {
                "table": "notes", "column": "text", "query": "secret"}, tok)
            self.assertEqual((st, b["count"]), (200, 5), b)
            self.assertTrue(all(r["pk"].startswith(name)
                                for r in b["results"]))
            st, _, b = s.json("POST", "/query/aql", {
                "query": "FOR r IN FULLTEXT('notes','text','secret') "
                         "RETURN r.doc._key"}, tok)
            self.assertEqual(st, 200, b)
            self.assertEqual(len(b["result"]), 5)
            self.assertTrue(all(k.startswith(name) for k in b["result"]))
        st, _, b = s.json("POST", "/search/fulltext", {
            "table": "beta.notes", "column": "text", "query": "secret"},
            self.acme)
        self.assertEqual(st, 400, b)
        # beta cannot drop acme's index by any name
        st, _, b = s.json("POST", "/index/drop", {
            "table": "acme.notes", "column": "text"}, self.beta)
        self.assertEqual(st, 400, b)
        st, _, b = s.json("POST", "/search/fulltext", {
            "table": "notes", "column": "text", "query": "secret"}, self.acme)
        self.assertEqual(b["count"], 5)


if __name__ == "__main__":
    unittest.main()
