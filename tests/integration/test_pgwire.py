"""PostgreSQL wire protocol, driven by the real psql client: DDL and DML
with RETURNING, joins and aggregates, transactions, COPY in and out, error
SQLSTATEs, authentication, \\dt, and one data set shared with REST and the
change log."""

import json
import os
import subprocess
import unittest

from themis_harness import Server


class PgWireTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def psql(self, sql, password="themis", user="themis", extra=(),
             plain=False):
        env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="10")
        dsn = "host=127.0.0.1 port=%d user=%s dbname=themis" % (
            self.srv.pg_port, user)
        return subprocess.run(
            ["psql", dsn, "-X", "-q", "-v", "VERBOSITY=sqlstate",
             *([] if plain else ["-A", "-t"]), *extra], input=sql, capture_output=True, text=True, env=env,
            timeout=60)

    def ok(self, sql):
        r = self.psql("\\set ON_ERROR_STOP 1\n" + sql)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip().splitlines()

    def test_ddl_dml_returning_joins(self):
        out = self.ok("""
            create table people(id serial primary key, name text not null,
                                age int, city_id int);
            create table cities(id int primary key, name varchar(40));
            insert into cities values (1, 'Oslo'), (2, 'Lima');
            insert into people(name, age, city_id)
              values ('ann', 31, 1), ('bo', 25, 2), ('cy', 40, 1)
              returning id, name;
            select c.name, count(*), sum(p.age) from people p
              join cities c on c.id = p.city_id group by c.name order by 1;
            update people set age = age + 1 where name = 'bo' returning age;
            delete from people where age > 35 returning name;
            select name from people where name ilike 'A%' order by id
              limit 1 offset 0;
            """)
        self.assertEqual(out, ["1|ann", "2|bo", "3|cy", "Lima|1|25",
                               "Oslo|2|71", "26", "cy", "ann"])

    def test_transactions(self):
        out = self.ok("""
            create table acct(id int primary key, bal int not null);
            insert into acct values (1, 100);
            begin;
            update acct set bal = bal - 30 where id = 1;
            select bal from acct where id = 1;
            rollback;
            select bal from acct where id = 1;
            begin;
            insert into acct values (2, 5);
            savepoint s1;
            insert into acct values (3, 7);
            rollback to savepoint s1;
            commit;
            select id from acct order by id;
            """)
        self.assertEqual(out, ["70", "100", "1", "2"])
        # an error aborts the block until ROLLBACK (25P02)
        r = self.psql("""
            begin;
            insert into acct values (1, 0);
            select 1;
            rollback;
            select count(*) from acct;
            """)
        self.assertIn("23505", r.stderr)
        self.assertIn("25P02", r.stderr)
        self.assertEqual(r.stdout.strip(), "2")

    def test_copy_in_and_out(self):
        r = self.psql("""
            create table items(id int primary key, label text, price float8);
            copy items from stdin;
1\tone\t1.5
2\t\\N\t2
\\.
            copy items(id, label) from stdin with (format csv);
3,"a, b"
\\.
            copy items to stdout with (format csv);
            """)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip().splitlines(),
                         ["1,one,1.5", "2,,2", '3,"a, b",'])

    def test_error_codes(self):
        cases = {
            "selec 1;": "42601",
            "select * from missing_table;": "42P01",
            "select nope from (select 1 as a) s;": "42703",
            "select 'abc'::int;": "22P02",
            "select 1/0;": "22012",
            "select generate_series(1, 3) over ();": "0A000",
        }
        for sql, code in cases.items():
            r = self.psql(sql)
            self.assertIn(code, r.stderr, sql)
        # the connection survives errors
        self.assertEqual(self.ok("select 1;"), ["1"])

    def test_bad_password(self):
        r = self.psql("select 1;", password="wrong")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("password authentication failed", r.stderr)

    def test_rest_and_sql_share_data(self):
        st, _, _ = self.srv.request("POST", "/v1/collections",
                                    {"name": "devices"})
        self.assertIn(st, (200, 201))
        st, _, _ = self.srv.request("POST", "/v1/collections/devices/documents",
                                    {"_key": "d1", "temp": 21.5})
        self.assertIn(st, (200, 201))
        out = self.ok("select _key, doc->>'temp' from devices;")
        self.assertEqual(out, ["d1|21.5"])
        _, _, body = self.srv.request("GET", "/changefeed?from_seq=0&limit=1")
        before = json.loads(body)["latest_sequence"]
        self.ok("create table readings(id int primary key, v int);"
                "insert into readings values (7, 42);")
        st, _, body = self.srv.request("GET",
                                       "/v1/collections/readings/documents/7")
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body)["v"], 42)
        st, _, body = self.srv.request(
            "GET", "/changefeed?from_seq=%d" % before)
        events = json.loads(body)["events"]
        self.assertTrue(any(e["collection"] == "readings" and e["key"] == "7"
                            for e in events))

    def test_libpqxx_client(self):
        # prepared statements with typed parameters, binary formats, a
        # pipeline, a 20k-row result through a cursor, cancel, error codes,
        # arrays, exact numeric, LISTEN/NOTIFY (the same program passes
        # against PostgreSQL 15)
        client = os.environ.get("PQXX_CLIENT") or os.path.join(
            os.path.dirname(__file__), "..", "..", "build", "tests",
            "pqxx_client")
        dsn = ("host=127.0.0.1 port=%d user=themis password=themis "
               "dbname=themis" % self.srv.pg_port)
        r = subprocess.run([client, dsn], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("all checks passed", r.stdout)
        for check in ("ok arrays", "ok numeric", "ok notifications",
                      "ok failing pipelined batch rolled back"):
            self.assertIn(check, r.stdout)

    def test_hostile_and_edge_inputs(self):
        # each of these once crashed, hung or answered wrongly
        out = self.ok("""
            select position('b' in 'abc'), -7, 3 - -2;
            select mod(-9223372036854775807 - 1, -1);
            select repeat('', 9223372036854775807) = '';
            select repeat('a', 300000) ~ '(a|b)*';
            create table js(id int primary key, j jsonb, name text);
            insert into js values (1, null, 'b'), (2, '{"k": 1}', 'a');
            select id from js where j is null;
            select jsonb_typeof(j) from js where id = 2;
            select upper(name) as name from js order by name;
            select id from js union select 5 order by id;
            """)
        self.assertEqual(out, ["2|-7|5", "0", "t", "t", "1", "object", "A", "B",
                               "1", "2", "5"])
        out = self.ok("select set_config('application_name', 'probe', "
                      "false); show application_name; "
                      "select current_setting('application_name');")
        self.assertEqual(out, ["probe", "probe", "probe"])
        r = self.psql("select 1 where 1 = $2147483647;")
        self.assertNotEqual(r.returncode, -9)
        self.assertEqual(self.ok("select 1;"), ["1"])

    def test_unknown_database_is_refused(self):
        env = dict(os.environ, PGPASSWORD="themis")
        r = subprocess.run(
            ["psql", "host=127.0.0.1 port=%d user=themis dbname=nope" %
             self.srv.pg_port, "-c", "select 1"], capture_output=True,
            text=True, env=env, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('database "nope" does not exist', r.stderr)

    def test_describe_table(self):
        self.ok("create table described(id serial primary key, "
                "name varchar(20) not null default 'x', u int unique);")
        r = self.psql("\\d described", plain=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("character varying(20)", r.stdout)
        self.assertIn('"described_pkey" PRIMARY KEY, btree (id)', r.stdout)
        self.assertIn("UNIQUE CONSTRAINT, btree (u)", r.stdout)

    def test_catalog_dt(self):
        self.ok("create table catalog_probe(a int);")
        r = self.psql("\\dt")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("catalog_probe", r.stdout)
        out = self.ok("select column_name, data_type from "
                      "information_schema.columns where table_name = "
                      "'catalog_probe';")
        self.assertEqual(out, ["a|integer"])


if __name__ == "__main__":
    unittest.main()
