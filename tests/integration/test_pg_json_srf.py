"""JSON and regular-expression set-returning functions (issue 36) with
psycopg2: jsonb_each[_text], jsonb_array_elements[_text],
jsonb_object_keys, regexp_matches, regexp_split_to_table — in FROM (with
column aliases, WITH ORDINALITY, naming earlier FROM items with or
without LATERAL) and in the select list; the errors PostgreSQL gives."""

import unittest

import psycopg2

from themis_harness import Server


class JsonSrfTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.c = psycopg2.connect(host="127.0.0.1", port=cls.srv.pg_port,
                                 user="themis", password="themis",
                                 dbname="themis", connect_timeout=10)
        cls.c.autocommit = True
        cur = cls.c.cursor()
        cur.execute("CREATE TABLE js (id int PRIMARY KEY, doc jsonb)")
        cur.execute("""INSERT INTO js VALUES (1, '{"tags": ["a", "b"], "n": 1}'),
                       (2, '{"tags": ["c"]}'), (3, '{"tags": []}')""")

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def q(self, sql, args=None):
        cur = self.c.cursor()
        cur.execute(sql, args)
        return cur.fetchall()

    def fails(self, sql, state, text=None):
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(sql)
        self.assertEqual(cm.exception.pgcode, state, str(cm.exception))
        if text:
            self.assertIn(text, str(cm.exception))

    def test_each(self):
        self.assertEqual(
            self.q("""SELECT key, value FROM jsonb_each('{"a":1,"b":[1,2],
                      "c":"x"}') ORDER BY key"""),
            [("a", 1), ("b", [1, 2]), ("c", "x")])
        self.assertEqual(
            self.q("""SELECT * FROM jsonb_each_text('{"a":1,"c":"x","d":null}')
                      AS t(k, v) ORDER BY k"""),
            [("a", "1"), ("c", "x"), ("d", None)])
        self.assertEqual(self.q("""SELECT jsonb_object_keys('{"x":1,"y":2}')"""),
                         [("x",), ("y",)])

    def test_array_elements(self):
        self.assertEqual(
            self.q("""SELECT value, ordinality FROM jsonb_array_elements(
                      '[1,"two",{"three":3}]') WITH ORDINALITY"""),
            [(1, 1), ("two", 2), ({"three": 3}, 3)])
        self.assertEqual(
            self.q("""SELECT * FROM json_array_elements_text('[1,"two",null]')
                      WITH ORDINALITY AS t(v, n)"""),
            [("1", 1), ("two", 2), (None, 3)])
        # a parameter, and NULL: no rows
        self.assertEqual(self.q("SELECT * FROM jsonb_array_elements(%s)",
                                ('[true]',)), [(True,)])
        self.assertEqual(self.q("SELECT * FROM jsonb_array_elements(NULL)"),
                         [])

    def test_naming_earlier_from_items(self):
        want = [(1, "a"), (1, "b"), (2, "c")]
        self.assertEqual(self.q(
            "SELECT id, e FROM js, jsonb_array_elements_text(js.doc->'tags') e "
            "ORDER BY id, e"), want)
        self.assertEqual(self.q(
            "SELECT id, t.x FROM js CROSS JOIN LATERAL "
            "jsonb_array_elements_text(doc->'tags') AS t(x) ORDER BY 1, 2"),
            want)
        self.assertEqual(self.q(
            "SELECT id, jsonb_array_elements_text(doc->'tags') FROM js "
            "ORDER BY 1, 2"), want)
        self.assertEqual(self.q(
            "SELECT k FROM js, jsonb_each(doc) AS kv(k, v) WHERE id = 1 "
            "ORDER BY k"), [("n",), ("tags",)])

    def test_regexp(self):
        self.assertEqual(
            self.q("SELECT regexp_matches('foobarbequebaz', '(bar)(beque)')"),
            [(["bar", "beque"],)])
        self.assertEqual(
            self.q("SELECT * FROM regexp_matches('abc abd', 'a(b)(.)', 'g')"),
            [(["b", "c"],), (["b", "d"],)])
        self.assertEqual(self.q("SELECT regexp_matches('ABC', 'b', 'i')"),
                         [(["B"],)])
        self.assertEqual(
            self.q(r"SELECT regexp_split_to_table('hello world  again', "
                   r"'\s+')"), [("hello",), ("world",), ("again",)])
        self.assertEqual(self.q("SELECT regexp_split_to_table('abc', '')"),
                         [("a",), ("b",), ("c",)])
        self.assertEqual(self.q("SELECT regexp_matches('abc', 'x')"), [])

    def test_jsonb_key_and_path_operators(self):
        self.assertEqual(self.q(
            """SELECT '{"a":1,"b":2}'::jsonb ? 'a', '{"a":1}'::jsonb ? 'z',
                      '["x","y"]'::jsonb ? 'x'"""), [(True, False, True)])
        self.assertEqual(self.q(
            """SELECT '{"a":1,"b":2}'::jsonb ?| array['z','b'],
                      '{"a":1,"b":2}'::jsonb ?& array['a','z'],
                      '{"a":1,"b":2}'::jsonb ?& '{a,b}'"""),
            [(True, False, True)])
        self.assertEqual(self.q(
            """SELECT '{"a":{"b":[10,20]}}'::jsonb #> '{a,b,1}',
                      '{"a":{"b":"x"}}'::jsonb #>> '{a,b}',
                      '{"a":1}'::jsonb #> '{z}',
                      '{"a":[1,2]}'::jsonb #>> '{a,-1}'"""),
            [(20, "x", None, "2")])
        self.assertEqual(self.q(
            "SELECT id FROM js WHERE doc ? 'n' AND doc #>> %s = 'b' "
            "ORDER BY id", (["tags", "1"],)), [(1,)])

    def test_errors(self):
        self.fails("""SELECT jsonb_array_elements('{"a":1}')""", "22023",
                   "cannot extract elements from an object")
        self.fails("SELECT * FROM jsonb_array_elements('3')", "22023",
                   "scalar")
        self.fails("SELECT * FROM jsonb_each('[1]')", "22023", "non-object")
        self.fails("SELECT * FROM jsonb_each('{bad')", "22P02")
        self.fails("SELECT regexp_matches('a', 'a', 'z')", "22023")
        self.fails("SELECT regexp_matches('a', '(')", "2201B")
        self.fails("SELECT * FROM jsonb_array_elements_text('[1]') AS t(a, b)",
                   "42P10")
        self.fails("SELECT jsonb_each('{}')", "0A000")
        self.assertEqual(self.q("SELECT 1"), [(1,)])  # the session goes on


if __name__ == "__main__":
    unittest.main()
