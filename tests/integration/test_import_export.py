"""Bulk import and export (issue 22, docs/rest-api.md): POST
/v1/collections/{c}/import with NDJSON, a JSON array and CSV (counts,
per-line errors, overwrite, createCollection, batches of at most 1000
documents, unique indexes and hostile lines), and GET
/v1/collections/{c}/export streamed as NDJSON, CSV and JSON; a round trip
through export and import keeps every document; imports appear in the
changefeed."""

import csv
import io
import json
import unittest

from themis_harness import Server


class ImportExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def imp(self, coll, body, ctype, query=""):
        st, _, data = self.srv.request(
            "POST", "/v1/collections/%s/import%s" % (coll, query),
            body.encode() if isinstance(body, str) else body,
            {"Content-Type": ctype}, timeout=60)
        return st, json.loads(data)

    def export(self, coll, accept=None, query=""):
        h = {"Accept": accept} if accept else {}
        return self.srv.request("GET", "/v1/collections/%s/export%s" %
                                (coll, query), None, h, timeout=60)

    def test_ndjson_with_errors(self):
        self.srv.json("POST", "/v1/collections", {"name": "nd"})
        body = "\n".join([
            '{"_key": "a", "v": 1}',
            '',
            '{"_key": "b", "v": 2}',
            'not json',
            '[1, 2]',
            '{"_key": "a", "v": 3}',  # a duplicate key
            '{"_key": "bad key!", "v": 4}',
            "[" * 100000,  # nested past the limit
            '{"_key": "c", "v": 5}\r',
        ]) + "\n"
        st, r = self.imp("nd", body, "application/x-ndjson")
        self.assertEqual(st, 200, r)
        self.assertEqual((r["created"], r["errors"], r["empty"]), (3, 5, 1), r)
        lines = sorted(d["line"] for d in r["details"])
        self.assertEqual(lines, [4, 5, 6, 7, 8])
        # overwrite=true replaces
        st, r = self.imp("nd", '{"_key": "a", "v": 9}\n', "application/x-ndjson",
                         "?overwrite=true")
        self.assertEqual((r["updated"], r["errors"]), (1, 0), r)
        st, _, d = self.srv.json("GET", "/v1/collections/nd/documents/a")
        self.assertEqual(d["v"], 9)

    def test_json_array_csv_and_batches(self):
        docs = [{"_key": "k%05d" % i, "i": i, "s": "x,\"y\"\n%d" % i}
                for i in range(2500)]
        st, r = self.imp("arr", json.dumps(docs), "application/json",
                         "?createCollection=true")
        self.assertEqual(st, 200, r)
        self.assertEqual((r["created"], r["errors"], r["batches"]),
                         (2500, 0, 3), r)
        st, r = self.imp("arr", '{"not": "an array"}', "application/json")
        self.assertEqual(st, 400)
        st, r = self.imp("arr", json.dumps([{"_key": "z1"}, 5, "s"]),
                         "application/json")
        self.assertEqual((r["created"], r["errors"]), (1, 2), r)
        text = ('_key,name,age,active,note\r\n'
                'p1,Ann,31,true,"has, comma"\r\n'
                'p2,Bob,,false,"multi\nline"\r\n'
                'p3,Cy,007,null,x\r\n'
                'p4,too,many,fields,here,extra\r\n'
                '"p5,"broken\r\n')
        st, r = self.imp("people", text, "text/csv", "?createCollection=true")
        self.assertEqual(st, 200, r)
        self.assertEqual((r["created"], r["errors"]), (3, 2), r)
        _, _, p1 = self.srv.json("GET", "/v1/collections/people/documents/p1")
        self.assertEqual((p1["age"], p1["active"], p1["note"]),
                         (31, True, "has, comma"))
        _, _, p2 = self.srv.json("GET", "/v1/collections/people/documents/p2")
        self.assertNotIn("age", p2)
        self.assertEqual(p2["note"], "multi\nline")
        _, _, p3 = self.srv.json("GET", "/v1/collections/people/documents/p3")
        self.assertEqual((p3["age"], p3["active"]), ("007", None))
        # refusals before anything is stored
        st, r = self.imp("nope", "{}\n", "application/x-ndjson")
        self.assertEqual(st, 404)
        st, r = self.imp("people", "x", "application/xml")
        self.assertEqual(st, 415)

    def test_unique_index_errors_per_line(self):
        self.srv.json("POST", "/v1/collections", {"name": "uq"})
        st, _, b = self.srv.json("POST", "/v1/collections/uq/indexes",
                                 {"type": "persistent", "fields": ["email"],
                                  "unique": True})
        self.assertEqual(st, 201, b)
        body = "\n".join(json.dumps({"email": e})
                         for e in ["a@x", "b@x", "a@x", "c@x"])
        st, r = self.imp("uq", body, "application/x-ndjson")
        self.assertEqual((r["created"], r["errors"]), (3, 1), r)
        self.assertEqual(r["details"][0]["line"], 3)
        self.assertIn("unique constraint violated", r["details"][0]["message"])

    def test_export_formats_and_round_trip(self):
        self.srv.json("POST", "/v1/collections", {"name": "src"})
        for i in range(3000):
            self.srv.json("PUT", "/v1/collections/src/documents/d%04d" % i,
                          {"i": i, "tags": ["a", i % 3], "name": "n,%d" % i})
        st, h, data = self.export("src")
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "application/x-ndjson")
        self.assertEqual(h.get("transfer-encoding"), "chunked")
        rows = [json.loads(x) for x in data.decode().splitlines()]
        self.assertEqual(len(rows), 3000)
        self.assertEqual(rows[0]["_key"], "d0000")
        st, h, data = self.export("src", "text/csv")
        table = list(csv.reader(io.StringIO(data.decode())))
        self.assertEqual(table[0], ["_key", "_rev", "i", "name", "tags"])
        self.assertEqual(table[1][0], "d0000")
        self.assertEqual(table[1][3], "n,0")
        self.assertEqual(len(table), 3001)
        st, h, data = self.export("src", query="?format=json")
        body = json.loads(data)
        self.assertEqual(body["count"], 3000)
        st, _, _ = self.export("src", query="?format=xml")
        self.assertEqual(st, 400)
        st, _, _ = self.export("nope")
        self.assertEqual(st, 404)
        # round trip: the export imported into a new collection
        _, _, nd = self.export("src")
        st, r = self.imp("copy", nd, "application/x-ndjson",
                         "?createCollection=true")
        self.assertEqual((r["created"], r["errors"]), (3000, 0), r)
        _, _, again = self.export("copy")
        strip = lambda t: [{k: v for k, v in json.loads(x).items()
                            if k != "_rev"} for x in t.decode().splitlines()]
        self.assertEqual(strip(nd), strip(again))

    def test_import_is_in_the_changefeed(self):
        self.srv.json("POST", "/v1/collections", {"name": "feed"})
        st, r = self.imp("feed", '{"_key": "f1"}\n{"_key": "f2"}\n',
                         "application/x-ndjson")
        self.assertEqual(r["created"], 2)
        st, _, b = self.srv.json("GET", "/changefeed?from_seq=0&limit=10000")
        keys = [e.get("key") for e in b["events"] if e.get("collection") == "feed"]
        self.assertEqual(keys, ["f1", "f2"])


if __name__ == "__main__":
    unittest.main()
