"""DO blocks, RAISE, and SQL-level PREPARE / EXECUTE / DEALLOCATE (issue
36), with real clients (psycopg2, Debian python3-psycopg2; psycopg 3,
python3-psycopg, which sends DO through the extended protocol): notices
with their severity and SQLSTATE under client_min_messages, RAISE
EXCEPTION's fields, a block's writes undone by its error, EXCEPTION WHEN
handlers, the migration idioms (IF NOT EXISTS … THEN ALTER TABLE,
EXECUTE format()), SELECT INTO, loops, statement_timeout stopping an
endless loop, malformed bodies and constructs beyond the subset.

THEMIS_PG_REFERENCE=port runs the same scenarios against a PostgreSQL 15
on that port (user postgres, trust, database do_eng) to check the
expectations."""

import os
import time
import unittest

import psycopg
import psycopg2
import psycopg2.errors

from themis_harness import Server

REFERENCE = os.environ.get("THEMIS_PG_REFERENCE")


class DoBlockTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if REFERENCE:
            cls.srv = None
            cls.kw = dict(host="127.0.0.1", port=int(REFERENCE),
                          user="postgres", dbname="do_eng")
            return
        cls.srv = Server().start()
        cls.kw = dict(host="127.0.0.1", port=cls.srv.pg_port, user="themis",
                      password="themis", dbname="themis")

    @classmethod
    def tearDownClass(cls):
        if cls.srv:
            try:
                cls.srv.stop()
            finally:
                cls.srv.cleanup()

    def connect(self):
        c = psycopg2.connect(connect_timeout=10, **self.kw)
        c.autocommit = True
        self.addCleanup(c.close)
        return c

    def connect3(self):
        c = psycopg.connect(connect_timeout=10, autocommit=True, **self.kw)
        self.addCleanup(c.close)
        notes = []
        c.add_notice_handler(lambda d: notes.append(
            (d.severity_nonlocalized, d.sqlstate, d.message_primary)))
        return c, notes

    def table(self, c, name):
        cur = c.cursor()
        cur.execute("DROP TABLE IF EXISTS %s" % name)
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v text)" % name)
        del c.notices[:]
        return cur

    def ids(self, cur, name):
        cur.execute("SELECT id FROM %s ORDER BY id" % name)
        return [r[0] for r in cur.fetchall()]

    def fails(self, cur, sql, state):
        with self.assertRaises(psycopg2.Error) as ctx:
            cur.execute(sql)
        self.assertEqual(ctx.exception.pgcode, state, ctx.exception.pgerror)
        cur.execute("SELECT 1") # the session goes on
        self.assertEqual(cur.fetchone(), (1,))
        return ctx.exception

    # -- RAISE ---------------------------------------------------------------
    def test_notice_severities_and_states(self):
        c, notes = self.connect3()
        c.execute("DO $$ BEGIN RAISE NOTICE 'n % %', 1, 'two'; "
                  "RAISE WARNING 'w'; RAISE INFO 'i'; RAISE LOG 'l'; "
                  "RAISE DEBUG 'd'; RAISE NOTICE '100%% %', NULL; END $$")
        self.assertEqual(notes, [("NOTICE", "00000", "n 1 two"),
                                 ("WARNING", "01000", "w"),
                                 ("INFO", "00000", "i"),
                                 ("NOTICE", "00000", "100% <NULL>")])
        del notes[:]
        c.execute("SET client_min_messages = debug1")
        c.execute("DO $$ BEGIN RAISE LOG 'l'; RAISE DEBUG 'd'; END $$")
        self.assertEqual([n[0] for n in notes], ["LOG", "DEBUG"])
        del notes[:]
        c.execute("SET client_min_messages = warning")
        c.execute("DO $$ BEGIN RAISE NOTICE 'hidden'; RAISE WARNING 'shown';"
                  " RAISE INFO 'always'; END $$")
        self.assertEqual([n[2] for n in notes], ["shown", "always"])

    def test_raise_exception_fields(self):
        cur = self.connect().cursor()
        e = self.fails(cur, "DO $$ BEGIN RAISE EXCEPTION 'bad %', 42; END $$",
                       "P0001")
        self.assertEqual(e.diag.message_primary, "bad 42")
        e = self.fails(cur, "DO $$ BEGIN RAISE EXCEPTION 'custom' USING "
                            "ERRCODE = '22023', DETAIL = 'the detail', "
                            "HINT = 'the hint'; END $$", "22023")
        self.assertEqual((e.diag.message_primary, e.diag.message_detail,
                          e.diag.message_hint),
                         ("custom", "the detail", "the hint"))
        self.fails(cur, "DO $$ BEGIN RAISE EXCEPTION 'u' USING ERRCODE = "
                        "'unique_violation'; END $$", "23505")
        self.fails(cur, "DO $$ BEGIN RAISE division_by_zero; END $$", "22012")
        self.fails(cur, "DO $$ BEGIN RAISE SQLSTATE '22P02'; END $$", "22P02")
        e = self.fails(cur, "DO $$ BEGIN RAISE EXCEPTION USING MESSAGE = 'm',"
                            " ERRCODE = 'check_violation'; END $$", "23514")
        self.assertEqual(e.diag.message_primary, "m")

    # -- transactions --------------------------------------------------------
    def test_block_is_atomic(self):
        c = self.connect()
        cur = self.table(c, "do_atomic")
        self.fails(cur, "DO $$ BEGIN FOR i IN 1..3 LOOP INSERT INTO do_atomic "
                        "VALUES (i, 'x'); END LOOP; RAISE EXCEPTION 'no'; "
                        "END $$", "P0001")
        self.assertEqual(self.ids(cur, "do_atomic"), [])
        self.fails(cur, "DO $$ BEGIN INSERT INTO do_atomic VALUES (1, 'a'); "
                        "INSERT INTO do_atomic VALUES (1, 'dup'); END $$",
                   "23505")
        self.assertEqual(self.ids(cur, "do_atomic"), [])
        cur.execute("DO $$ BEGIN FOR i IN 1..3 LOOP INSERT INTO do_atomic "
                    "VALUES (i, 'x'); END LOOP; END $$")
        self.assertEqual(cur.statusmessage, "DO")
        self.assertEqual(self.ids(cur, "do_atomic"), [1, 2, 3])
        # inside a transaction block: the block's writes end with it
        c.autocommit = False
        cur.execute("DO $$ BEGIN INSERT INTO do_atomic VALUES (4, 'y'); "
                    "END $$")
        cur.execute("SELECT count(*) FROM do_atomic")
        self.assertEqual(cur.fetchone(), (4,))
        c.rollback()
        c.autocommit = True
        self.assertEqual(self.ids(cur, "do_atomic"), [1, 2, 3])

    def test_exception_handlers(self):
        c = self.connect()
        cur = self.table(c, "do_exc")
        cur.execute("""DO $$
            BEGIN
              INSERT INTO do_exc VALUES (1, 'kept');
              BEGIN
                INSERT INTO do_exc VALUES (2, 'undone');
                INSERT INTO do_exc VALUES (1, 'dup');
              EXCEPTION WHEN unique_violation THEN
                RAISE NOTICE 'caught % %', SQLSTATE, SQLERRM;
              END;
              BEGIN
                PERFORM 1 / 0;
              EXCEPTION WHEN data_exception THEN
                INSERT INTO do_exc VALUES (3, 'handler');
              END;
              BEGIN
                RAISE EXCEPTION 'x' USING ERRCODE = '22023';
              EXCEPTION WHEN division_by_zero THEN NULL;
                        WHEN others THEN INSERT INTO do_exc VALUES (4, 'o');
              END;
            END $$""")
        self.assertEqual(self.ids(cur, "do_exc"), [1, 3, 4])
        self.assertEqual(c.notices, [
            'NOTICE:  caught 23505 duplicate key value violates unique '
            'constraint "do_exc_pkey"\n'])
        # RAISE; re-raises the error being handled
        self.fails(cur, "DO $$ BEGIN BEGIN RAISE EXCEPTION 'inner' USING "
                        "ERRCODE = '22012'; EXCEPTION WHEN others THEN RAISE; "
                        "END; END $$", "22012")

    # -- the subset migrations use -------------------------------------------
    def test_migration_idioms(self):
        c = self.connect()
        cur = self.table(c, "do_mig")
        block = """DO $$
            BEGIN
              IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                             WHERE table_name = 'do_mig'
                               AND column_name = 'extra') THEN
                ALTER TABLE do_mig ADD COLUMN extra integer;
                RAISE NOTICE 'added';
              ELSE
                RAISE NOTICE 'present';
              END IF;
            END $$"""
        cur.execute(block)
        cur.execute(block)
        self.assertEqual(c.notices, ["NOTICE:  added\n",
                                     "NOTICE:  present\n"])
        cur.execute("INSERT INTO do_mig VALUES (1, 'a', 7)")
        cur.execute("""DO $$
            DECLARE tbl text := 'do_mig'; col text := 'v';
            BEGIN
              EXECUTE format('CREATE INDEX %I ON %I (%I)',
                             tbl || '_v_idx', tbl, col);
              EXECUTE format('UPDATE %I SET v = %L WHERE id = $1', tbl,
                             'it''s') USING 1;
              EXECUTE 'INSERT INTO do_mig (id, v) VALUES (2, ''b'')';
            END $$""")
        cur.execute("SELECT id, v, extra FROM do_mig ORDER BY id")
        self.assertEqual(cur.fetchall(), [(1, "it's", 7), (2, "b", None)])
        cur.execute("SELECT count(*) FROM pg_indexes WHERE indexname = "
                    "'do_mig_v_idx'")
        self.assertEqual(cur.fetchone(), (1,))

    def test_variables_select_into_and_loops(self):
        c = self.connect()
        cur = self.table(c, "do_vars")
        cur.execute("""DO $$
            DECLARE
              n integer := 2;
              total bigint;
              label text := 'sum';
              k integer := 0;
            BEGIN
              n := n * 2;
              FOR i IN 1..n LOOP
                INSERT INTO do_vars VALUES (i, label || i);
              END LOOP;
              FOR i IN REVERSE 10..1 BY 4 LOOP
                k := k + i;
              END LOOP;
              SELECT sum(id) INTO total FROM do_vars;
              LOOP
                k := k + 1;
                EXIT WHEN k >= 20;
              END LOOP;
              WHILE k < 25 LOOP k := k + 1; END LOOP;
              UPDATE do_vars SET v = 'z' WHERE id = 99;
              IF NOT FOUND THEN
                RAISE NOTICE '% % % no row', label, total, k;
              END IF;
            END $$""")
        self.assertEqual(c.notices, ["NOTICE:  sum 10 25 no row\n"])
        cur.execute("SELECT v FROM do_vars ORDER BY id")
        self.assertEqual([r[0] for r in cur.fetchall()],
                         ["sum1", "sum2", "sum3", "sum4"])
        self.fails(cur, "DO $$ DECLARE x int; BEGIN SELECT id INTO STRICT x "
                        "FROM do_vars WHERE id > 100; END $$", "P0002")
        self.fails(cur, "DO $$ DECLARE x int; BEGIN SELECT id INTO STRICT x "
                        "FROM do_vars; END $$", "P0003")
        self.fails(cur, "DO $$ DECLARE x int := 1; BEGIN ASSERT x = 2, "
                        "'x is not 2'; END $$", "P0004")

    def test_for_over_a_query_and_row_count(self):
        c = self.connect()
        cur = self.table(c, "do_drop_a")
        self.table(c, "do_drop_b")
        cur.execute("""DO $$
            DECLARE r record; n integer; total integer := 0;
            BEGIN
              FOR r IN SELECT tablename FROM pg_tables
                       WHERE tablename LIKE 'do_drop_%' ORDER BY tablename
              LOOP
                EXECUTE format('INSERT INTO %I VALUES (1, %L)',
                               r.tablename, r.tablename);
                total := total + 1;
              END LOOP;
              UPDATE do_drop_a SET v = 'x' WHERE id >= 0;
              GET DIAGNOSTICS n = ROW_COUNT;
              RAISE NOTICE 'tables % updated %', total, n;
            END $$""")
        self.assertEqual(c.notices, ["NOTICE:  tables 2 updated 1\n"])
        cur.execute("SELECT v FROM do_drop_b")
        self.assertEqual(cur.fetchall(), [("do_drop_b",)])
        self.fails(cur, "DO $$ DECLARE r record; BEGIN FOR r IN SELECT 1 AS a "
                        "LOOP RAISE NOTICE '%', r.b; END LOOP; END $$",
                   "42703")

    def test_endless_loop_stops_at_statement_timeout(self):
        c = self.connect()
        cur = c.cursor()
        cur.execute("SET statement_timeout = '300ms'")
        t0 = time.monotonic()
        self.fails(cur, "DO $$ BEGIN LOOP END LOOP; END $$", "57014")
        self.fails(cur, "DO $$ DECLARE i int := 0; BEGIN WHILE true LOOP "
                        "i := i + 1; END LOOP; END $$", "57014")
        self.assertLess(time.monotonic() - t0, 20)

    def test_extended_protocol(self):
        c, notes = self.connect3()
        c.execute("DO $$ BEGIN RAISE NOTICE 'via %', 'extended'; END $$")
        self.assertEqual(notes, [("NOTICE", "00000", "via extended")])
        with self.assertRaises(psycopg.errors.RaiseException):
            c.execute("DO $$ BEGIN RAISE EXCEPTION 'e'; END $$")
        self.assertEqual(c.execute("SELECT 2").fetchone(), (2,))

    # -- malformed and beyond the subset -------------------------------------
    def test_malformed_bodies(self):
        cur = self.connect().cursor()
        for body in ["DO $$ BEGIN x := 1; END $$",
                     "DO $$ garbage $$",
                     "DO $$ $$",
                     "DO $$ BEGIN IF true THEN END $$",
                     "DO $$ BEGIN RAISE NOTICE '% %', 1; END $$",
                     "DO $$ BEGIN RAISE NOTICE '%', 1, 2; END $$",
                     "DO $$ BEGIN SELECT 1; END $$",
                     "DO 'BEGIN'",
                     "DO $$ DECLARE x int; BEGIN x := 'abc' + ; END $$"]:
            with self.subTest(body=body):
                self.fails(cur, body, "42601")
        self.fails(cur, "DO $$ BEGIN", "42601")
        self.fails(cur, "DO LANGUAGE sql $$ SELECT 1 $$", "0A000")
        self.fails(cur, "DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = "
                        "'no_such_condition'; END $$", "42704")

    def test_deep_nesting(self):
        cur = self.connect().cursor()
        cur.execute("SET statement_timeout = '60s'")
        n = 2000
        cur.execute("DO $$ BEGIN " + "IF true THEN " * n + "NULL; " +
                    "END IF; " * n + "END $$")
        cur.execute("DO $$ " + "BEGIN " * n + "NULL; " + "END; " * (n - 1) +
                    "END $$")
        n = 20000 # past the PL/pgSQL grammar's stack: an error, no crash
        with self.assertRaises(psycopg2.Error) as ctx:
            cur.execute("DO $$ " + "BEGIN " * n + "NULL; " +
                        "END; " * (n - 1) + "END $$")
        self.assertIn(ctx.exception.pgcode, ("42601", "54001"))
        cur.execute("SELECT 1")
        self.assertEqual(cur.fetchone(), (1,))

    def test_beyond_the_subset_is_0A000(self):
        if REFERENCE:
            self.skipTest("themisd's limits")
        cur = self.connect().cursor()
        for body, what in [
                ("DO $$ DECLARE a int[]; x int; BEGIN FOREACH x IN ARRAY a "
                 "LOOP END LOOP; END $$", "FOREACH"),
                ("DO $$ BEGIN COMMIT; END $$", "COMMIT"),
                ("DO $$ BEGIN CASE 1 WHEN 1 THEN NULL; END CASE; END $$",
                 "CASE"),
                ("DO $$ BEGIN EXECUTE 'BEGIN'; END $$", "BEGIN")]:
            with self.subTest(body=body):
                e = self.fails(cur, body, "0A000")
                self.assertIn(what, e.diag.message_primary)

    # -- PREPARE / EXECUTE / DEALLOCATE --------------------------------------
    def test_prepare_execute_deallocate(self):
        c = self.connect()
        cur = self.table(c, "do_prep")
        cur.execute("PREPARE ins (int, text) AS INSERT INTO do_prep VALUES "
                    "($1, $2)")
        self.assertEqual(cur.statusmessage, "PREPARE")
        cur.execute("EXECUTE ins(1, 'one')")
        self.assertEqual(cur.statusmessage, "INSERT 0 1")
        cur.execute("EXECUTE ins (1 + 1, 'tw' || 'o')")
        cur.execute("PREPARE sel AS SELECT v FROM do_prep WHERE id = $1")
        cur.execute("EXECUTE sel(2)")
        self.assertEqual(cur.fetchall(), [("two",)])
        cur.execute("PREPARE cnt AS SELECT count(*) FROM do_prep")
        cur.execute("EXECUTE cnt")
        self.assertEqual(cur.fetchall(), [(2,)])
        e = self.fails(cur, "EXECUTE ins(3)", "42601")
        self.assertEqual(e.diag.message_detail,
                         "Expected 2 parameters but got 1.")
        self.fails(cur, "PREPARE ins AS SELECT 1", "42P05")
        self.fails(cur, "PREPARE bad (nosuchtype) AS SELECT $1", "42704")
        self.fails(cur, "EXECUTE ins('x', 'y')", "22P02")
        cur.execute("DEALLOCATE ins")
        self.assertEqual(cur.statusmessage, "DEALLOCATE")
        self.fails(cur, "EXECUTE ins(3, 'three')", "26000")
        self.fails(cur, "DEALLOCATE ins", "26000")
        cur.execute("DEALLOCATE PREPARE sel")
        cur.execute("DEALLOCATE ALL")
        self.assertEqual(cur.statusmessage, "DEALLOCATE ALL")
        self.fails(cur, "EXECUTE cnt", "26000")

    def test_execute_through_the_extended_protocol(self):
        c, _ = self.connect3()
        c.execute("PREPARE two (int) AS SELECT $1 * 2 AS doubled, 'x' AS t")
        cur = c.execute("EXECUTE two(21)")
        self.assertEqual([d.name for d in cur.description], ["doubled", "t"])
        self.assertEqual(cur.fetchall(), [(42, "x")])
        c.execute("DEALLOCATE two")


if __name__ == "__main__":
    unittest.main()
