"""GraphQL's fast paths (issue 21) on a real themisd: a list costs one
engine read whatever its length and whatever its items select (no N+1;
counted by the server and shown with request extensions.stats), the
parsed-document cache never serves a document validated against an older
schema or other variables, and the text serialisation keeps response keys
in selection order."""

import json
import unittest

from themis_harness import Server

ITEMS = 40


class GraphqlPerfPathsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "graphql.max_complexity=2000"]).start()
        st, _, _ = cls.srv.json("POST", "/v1/collections", {"name": "items"})
        assert st in (200, 201), st
        for i in range(ITEMS):
            st, _, body = cls.srv.json(
                "POST", "/v1/collections/items/documents",
                {"_key": "k%03d" % i, "n": i, "tag": "t%d" % (i % 3)})
            assert st in (200, 201), (st, body)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def gql(self, query, variables=None, stats=False):
        body = {"query": query}
        if variables is not None:
            body["variables"] = variables
        if stats:
            body["extensions"] = {"stats": True}
        st, _, data = self.srv.request(
            "POST", "/graphql", json.dumps(body),
            {"Content-Type": "application/json"})
        self.assertEqual(st, 200, data)
        return data.decode() if isinstance(data, bytes) else data

    def reads(self, query, variables=None):
        r = json.loads(self.gql(query, variables, stats=True))
        self.assertNotIn("errors", r, r)
        return r, r["extensions"]["engineReads"]

    def test_a_list_is_one_engine_read_whatever_its_length(self):
        q = ("query($n: Int) { itemsList(first: $n) { edges { cursor node { "
             "_id _key _rev doc } } nodes { _key doc } pageInfo { hasNextPage "
             "endCursor } } }")
        counts = {}
        for n in (2, ITEMS):
            r, counts[n] = self.reads(q, {"n": n})
            self.assertEqual(len(r["data"]["itemsList"]["nodes"]), n)
            self.assertEqual(
                r["data"]["itemsList"]["edges"][n - 1]["node"]["doc"]["n"],
                n - 1)
        self.assertEqual(counts, {2: 1, ITEMS: 1})
        # filtered, sorted and counted: one page query plus one count
        q = ("query($n: Int) { itemsList(first: $n, filter: {tag: \"t1\"}, "
             "sort: [{field: \"n\", direction: DESC}]) { totalCount nodes { "
             "_key doc } edges { node { _rev } } } }")
        counts = {}
        for n in (1, ITEMS):
            r, counts[n] = self.reads(q, {"n": n})
            self.assertEqual(r["data"]["itemsList"]["totalCount"],
                             len([i for i in range(ITEMS) if i % 3 == 1]))
        self.assertEqual(counts[1], counts[ITEMS])
        self.assertLessEqual(counts[1], 2)
        # by-key fields read one document each (three fields, three reads)
        _, n = self.reads("{ a: items(key: \"k001\") { _key } "
                          "b: items(key: \"k002\") { doc } "
                          "c: items(key: \"nope\") { _key } }")
        self.assertEqual(n, 3)

    def test_cached_documents_follow_the_schema(self):
        st, _, _ = self.srv.json("POST", "/v1/collections", {"name": "tmp"})
        self.assertIn(st, (200, 201))
        q = "{ tmpList(first: 1) { nodes { _key } } }"
        for _ in range(3):  # the second and third come from the cache
            r = json.loads(self.gql(q))
            self.assertEqual(r, {"data": {"tmpList": {"nodes": []}}})
        st, _, _ = self.srv.json("DELETE", "/v1/collections/tmp")
        self.assertIn(st, (200, 204))
        r = json.loads(self.gql(q))
        self.assertNotIn("data", r)
        self.assertIn('Cannot query field "tmpList"', r["errors"][0]["message"])

    def test_cached_documents_do_not_skip_limits_of_other_variables(self):
        q = "query($n: Int) { itemsList(first: $n) { nodes { _key _rev doc } } }"
        for n, ok in ((5, True), (900, False), (5, True), (900, False)):
            r = json.loads(self.gql(q, {"n": n}))
            if ok:
                self.assertEqual(len(r["data"]["itemsList"]["nodes"]), n)
            else:
                self.assertNotIn("data", r)
                self.assertEqual(r["errors"][0]["extensions"]["code"],
                                 "GRAPHQL_LIMIT_EXCEEDED")

    def test_response_keys_in_selection_order(self):
        text = self.gql("{ itemsList(first: 2) { pageInfo { hasNextPage "
                        "endCursor } nodes { _rev zz: _key doc } } }")
        self.assertLess(text.index('"pageInfo"'), text.index('"nodes"'))
        self.assertLess(text.index('"_rev"'), text.index('"zz"'))
        self.assertLess(text.index('"zz"'), text.index('"doc"'))
        r = json.loads(text)
        self.assertEqual(r["data"]["itemsList"]["nodes"][1]["zz"], "k001")
        self.assertTrue(r["data"]["itemsList"]["pageInfo"]["hasNextPage"])


if __name__ == "__main__":
    unittest.main()
