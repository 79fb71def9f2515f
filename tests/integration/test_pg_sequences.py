"""Sequences as objects (issue 36), with real clients (psycopg2, psql):
CREATE / ALTER / DROP SEQUENCE with their options and errors, nextval /
currval / lastval / setval, limits and CYCLE, values that a rollback does
not give back, two sessions drawing concurrently, values that survive a
restart, serial and identity columns as sequences, the statements
pg_dump writes for a serial column, temp sequences, the catalogs
(pg_class, pg_sequence, pg_sequences, information_schema.sequences,
pg_depend) and psql's \\ds / \\d.

THEMIS_PG_REFERENCE=[host:]port runs the same checks against a
PostgreSQL 15 (user postgres, database `seq`, created when missing),
except the restart, which needs the server's data directory."""

import os
import shutil
import subprocess
import threading
import unittest

import psycopg2

from pg_client_target import Target
from themis_harness import Server

REFERENCE = os.environ.get("THEMIS_PG_REFERENCE")


class SequenceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Target(reference_db="seq")
        cls.srv = cls.t.srv
        cls.host, cls.port = cls.t.host, cls.t.port
        cls.user, cls.password, cls.dbname = (cls.t.user, cls.t.password,
                                              cls.t.dbname)

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def connect(self, autocommit=True):
        c = psycopg2.connect(host=self.host, port=self.port, user=self.user,
                             password=self.password, dbname=self.dbname,
                             connect_timeout=10,
                             options="-c statement_timeout=20000")
        c.autocommit = autocommit
        self.addCleanup(c.close)
        return c

    def q(self, conn, sql, args=None):
        cur = conn.cursor()
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None

    def one(self, conn, sql, args=None):
        return self.q(conn, sql, args)[0][0]

    def fails(self, conn, sql, state, message=None):
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(conn, sql)
        self.assertEqual(cm.exception.pgcode, state, str(cm.exception))
        if message:
            self.assertEqual(cm.exception.diag.message_primary, message)
        return cm.exception

    def fresh(self, conn, *names):
        """Drops what an earlier run against the reference left."""
        for n in names:
            for kind in ("TABLE", "SEQUENCE"):
                try:  # 42809 when the name is the other kind
                    self.q(conn, "DROP %s IF EXISTS %s CASCADE" % (kind, n))
                except psycopg2.Error:
                    pass

    def psql(self, cmd):
        env = dict(os.environ, PGPASSWORD=self.password or "",
                   PGCONNECT_TIMEOUT="10")
        dsn = "host=%s port=%d user=%s dbname=%s" % (
            self.host, self.port, self.user, self.dbname)
        return subprocess.run(["psql", dsn, "-X", "-c", cmd],
                              capture_output=True, text=True, env=env,
                              timeout=60)

    # -- functions -----------------------------------------------------------
    def test_nextval_currval_lastval_setval(self):
        c = self.connect()
        self.fresh(c, "s1")
        self.q(c, "CREATE SEQUENCE s1")
        self.fails(c, "SELECT currval('s1')", "55000",
                   'currval of sequence "s1" is not yet defined in this '
                   'session')
        self.assertIsNone(self.one(
            c, "SELECT last_value FROM pg_sequences WHERE sequencename = "
               "'s1'"))
        self.assertEqual(self.q(c, "SELECT last_value, log_cnt, is_called "
                                   "FROM s1"), [(1, 0, False)])
        self.assertEqual(self.q(c, "SELECT nextval('s1'), "
                                   "nextval('s1'::regclass), "
                                   "nextval('public.s1')"), [(1, 2, 3)])
        self.assertEqual(self.one(c, "SELECT currval('s1')"), 3)
        self.assertEqual(self.one(c, "SELECT lastval()"), 3)
        self.assertEqual(self.q(c, "SELECT last_value, is_called FROM "
                                   "public.s1"), [(3, True)])
        self.assertEqual(self.one(
            c, "SELECT last_value FROM pg_sequences WHERE sequencename = "
               "'s1'"), 3)
        self.assertEqual(self.one(c, "SELECT setval('s1', 10)"), 10)
        self.assertEqual(self.one(c, "SELECT nextval('s1')"), 11)
        self.assertEqual(self.one(c, "SELECT setval('s1', 20, false)"), 20)
        self.assertEqual(self.q(c, "SELECT last_value, is_called FROM s1"),
                         [(20, False)])
        self.assertEqual(self.one(c, "SELECT nextval('s1')"), 20)
        self.assertEqual(self.one(c, "SELECT pg_catalog.setval('public.s1', "
                                     "42, true)"), 42)
        self.assertEqual(self.one(c, "SELECT nextval('s1')"), 43)
        # another session: its own currval / lastval
        d = self.connect()
        self.fails(d, "SELECT lastval()", "55000",
                   "lastval is not yet defined in this session")
        self.fails(d, "SELECT currval('s1')", "55000")
        self.assertEqual(self.one(d, "SELECT nextval('s1')"), 44)
        self.assertEqual(self.one(c, "SELECT currval('s1')"), 43)
        self.fails(c, "SELECT nextval('nosuch')", "42P01",
                   'relation "nosuch" does not exist')
        self.fails(c, "SELECT setval('s1', 0)", "22003",
                   'setval: value 0 is out of bounds for sequence "s1" '
                   '(1..9223372036854775807)')

    def test_options_limits_cycle(self):
        c = self.connect()
        self.fresh(c, "sd", "sm", "sc")
        self.q(c, "CREATE SEQUENCE sd AS integer INCREMENT BY -2 "
                  "MINVALUE -5 MAXVALUE 3 CYCLE")
        self.assertEqual(
            [self.one(c, "SELECT nextval('sd')") for _ in range(6)],
            [3, 1, -1, -3, -5, 3])
        self.q(c, "CREATE SEQUENCE sm MAXVALUE 2")
        self.assertEqual(self.one(c, "SELECT nextval('sm')"), 1)
        self.assertEqual(self.one(c, "SELECT nextval('sm')"), 2)
        self.fails(c, "SELECT nextval('sm')", "2200H",
                   'nextval: reached maximum value of sequence "sm" (2)')
        self.q(c, "CREATE SEQUENCE sc AS smallint START WITH 5 INCREMENT 5 "
                  "MINVALUE 5 MAXVALUE 12 CACHE 3 CYCLE")
        self.assertEqual(
            [self.one(c, "SELECT nextval('sc')") for _ in range(3)],
            [5, 10, 5])
        self.assertEqual(
            self.q(c, "SELECT format_type(seqtypid, NULL), seqstart, "
                      "seqincrement, seqmax, seqmin, seqcache, seqcycle "
                      "FROM pg_sequence WHERE seqrelid = 'sc'::regclass"),
            [("smallint", 5, 5, 12, 5, 3, True)])
        self.assertEqual(
            self.q(c, "SELECT data_type, numeric_precision, start_value, "
                      "minimum_value, maximum_value, increment, cycle_option "
                      "FROM information_schema.sequences WHERE "
                      "sequence_name = 'sd'"),
            [("integer", 32, "3", "-5", "3", "-2", "YES")])
        self.assertEqual(self.q(c, "SELECT relkind, relnatts FROM pg_class "
                                   "WHERE relname = 'sd'"), [("S", 3)])
        self.fails(c, "CREATE SEQUENCE bad INCREMENT 0", "22023",
                   "INCREMENT must not be zero")
        self.fails(c, "CREATE SEQUENCE bad MINVALUE 5 MAXVALUE 5", "22023",
                   "MINVALUE (5) must be less than MAXVALUE (5)")
        self.fails(c, "CREATE SEQUENCE bad START 0", "22023",
                   "START value (0) cannot be less than MINVALUE (1)")
        self.fails(c, "CREATE SEQUENCE bad AS smallint MAXVALUE 40000",
                   "22023", "MAXVALUE (40000) is out of range for sequence "
                            "data type smallint")
        self.fails(c, "CREATE SEQUENCE bad AS text", "22023",
                   "sequence type must be smallint, integer, or bigint")
        self.fails(c, "CREATE SEQUENCE sd", "42P07",
                   'relation "sd" already exists')
        self.q(c, "CREATE SEQUENCE IF NOT EXISTS sd")
        self.assertIn("already exists, skipping", c.notices[-1])

    def test_alter_and_drop(self):
        c = self.connect()
        self.fresh(c, "sa", "sb", "sa2", "st")
        self.q(c, "CREATE SEQUENCE sa")
        self.q(c, "SELECT nextval('sa')")
        self.q(c, "ALTER SEQUENCE sa RESTART WITH 100 INCREMENT BY 10")
        self.assertEqual(self.one(c, "SELECT nextval('sa')"), 100)
        self.assertEqual(self.one(c, "SELECT nextval('sa')"), 110)
        self.q(c, "ALTER SEQUENCE sa RESTART")
        self.assertEqual(self.one(c, "SELECT nextval('sa')"), 1)
        self.q(c, "ALTER SEQUENCE sa RENAME TO sa2")
        self.assertEqual(self.one(c, "SELECT nextval('sa2')"), 11)
        self.fails(c, "SELECT nextval('sa')", "42P01")
        self.q(c, "ALTER SEQUENCE IF EXISTS nosuch RESTART")
        self.fails(c, "ALTER SEQUENCE nosuch RESTART", "42P01",
                   'relation "nosuch" does not exist')
        self.fails(c, "ALTER SEQUENCE sa2 RESTART WITH 0", "22023",
                   "RESTART value (0) cannot be less than MINVALUE (1)")
        # a sequence a default uses: 2BP01, CASCADE drops the default
        self.q(c, "CREATE SEQUENCE sb")
        self.q(c, "CREATE TABLE st (id bigint DEFAULT nextval('sb'), "
                  "v text)")
        self.q(c, "INSERT INTO st(v) VALUES ('a'), ('b')")
        self.assertEqual(self.q(c, "SELECT id, v FROM st ORDER BY id"),
                         [(1, "a"), (2, "b")])
        self.assertEqual(self.one(c, "SELECT currval('sb')"), 2)
        e = self.fails(c, "DROP SEQUENCE sb", "2BP01",
                       "cannot drop sequence sb because other objects "
                       "depend on it")
        self.assertEqual(e.diag.message_detail, "default value for column "
                         "id of table st depends on sequence sb")
        self.q(c, "DROP SEQUENCE sb CASCADE")
        self.q(c, "INSERT INTO st(v) VALUES ('c')")
        self.assertEqual(self.q(c, "SELECT id FROM st WHERE v = 'c'"),
                         [(None,)])
        self.q(c, "DROP SEQUENCE IF EXISTS sa2, nosuch")
        self.fails(c, "DROP SEQUENCE sa2", "42P01",
                   'sequence "sa2" does not exist')

    def test_owned_by_goes_with_the_table(self):
        c = self.connect()
        self.fresh(c, "ot", "ot_seq")
        self.q(c, "CREATE TABLE ot (n integer)")
        self.q(c, "CREATE SEQUENCE ot_seq OWNED BY ot.n")
        self.assertEqual(self.q(c, "SELECT d.deptype, a.attname FROM "
                                   "pg_depend d JOIN pg_attribute a ON "
                                   "a.attrelid = d.refobjid AND a.attnum = "
                                   "d.refobjsubid WHERE d.objid = "
                                   "'ot_seq'::regclass AND d.refobjsubid > "
                                   "0"), [("a", "n")])
        self.fails(c, "ALTER SEQUENCE ot_seq OWNED BY ot.nosuch", "42703")
        self.q(c, "DROP TABLE ot")
        self.fails(c, "SELECT nextval('ot_seq')", "42P01")

    # -- not transactional, concurrent, durable ----------------------------
    def test_rollback_keeps_values_used(self):
        c = self.connect()
        self.fresh(c, "rs", "rt")
        self.q(c, "CREATE SEQUENCE rs")
        self.q(c, "CREATE TABLE rt (id integer PRIMARY KEY DEFAULT "
                  "nextval('rs'))")
        c.autocommit = False
        self.assertEqual(self.one(c, "SELECT nextval('rs')"), 1)
        self.q(c, "INSERT INTO rt DEFAULT VALUES")
        c.rollback()
        c.autocommit = True
        self.assertEqual(self.one(c, "SELECT nextval('rs')"), 3)
        self.q(c, "INSERT INTO rt VALUES (4)")
        # the failed INSERT used 4
        self.fails(c, "INSERT INTO rt VALUES (nextval('rs')), (4)", "23505")
        self.assertEqual(self.one(c, "SELECT nextval('rs')"), 5)

    def test_two_sessions_never_share_a_value(self):
        c = self.connect()
        self.fresh(c, "cs")
        self.q(c, "CREATE SEQUENCE cs")
        got, errors = [[], []], []

        def draw(i):
            try:
                conn = psycopg2.connect(
                    host=self.host, port=self.port, user=self.user,
                    password=self.password, dbname=self.dbname,
                    connect_timeout=10,
                    options="-c statement_timeout=20000")
                conn.autocommit = True
                cur = conn.cursor()
                for k in range(150):
                    if k % 3 == 2:  # some inside transactions too
                        cur.execute("BEGIN")
                        cur.execute("SELECT nextval('cs')")
                        got[i].append(cur.fetchone()[0])
                        cur.execute("COMMIT" if k % 2 else "ROLLBACK")
                    else:
                        cur.execute("SELECT nextval('cs')")
                        got[i].append(cur.fetchone()[0])
                conn.close()
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=draw, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertFalse(any(t.is_alive() for t in threads))
        self.assertEqual(errors, [])
        values = got[0] + got[1]
        self.assertEqual(len(values), 300)
        self.assertEqual(sorted(values), list(range(1, 301)))
        self.assertEqual(got[0], sorted(got[0]))

    def test_restart_keeps_values(self):
        if REFERENCE:
            self.skipTest("needs themisd's data directory")
        srv = Server().start()
        self.addCleanup(srv.cleanup)
        try:
            def conn():
                x = psycopg2.connect(host="127.0.0.1", port=srv.pg_port,
                                     user="themis", password="themis",
                                     dbname="themis", connect_timeout=10)
                x.autocommit = True
                return x
            x = conn()
            cur = x.cursor()
            cur.execute("CREATE SEQUENCE ds START 7")
            cur.execute("CREATE TABLE dt (id serial, v text)")
            cur.execute("SELECT nextval('ds'), nextval('ds')")
            cur.execute("INSERT INTO dt(v) VALUES ('a'), ('b')")
            cur.execute("BEGIN")
            cur.execute("SELECT nextval('ds')")  # 9, rolled back: used
            cur.execute("INSERT INTO dt(v) VALUES ('c')")  # id 3, used
            cur.execute("ROLLBACK")
            x.close()
            srv.stop()
            srv.start()
            x = conn()
            cur = x.cursor()
            cur.execute("SELECT nextval('ds')")
            self.assertEqual(cur.fetchone()[0], 10)
            cur.execute("INSERT INTO dt(v) VALUES ('d') RETURNING id")
            self.assertEqual(cur.fetchone()[0], 4)
            x.close()
        finally:
            srv.stop()

    # -- serial and identity columns ---------------------------------------
    def test_serial_column_is_a_sequence(self):
        c = self.connect()
        self.fresh(c, "sr")
        self.q(c, "CREATE TABLE sr (id serial PRIMARY KEY, v text)")
        self.q(c, "INSERT INTO sr(v) VALUES ('a')")
        self.assertEqual(self.one(c, "SELECT currval('sr_id_seq')"), 1)
        self.assertEqual(self.one(c, "SELECT nextval('sr_id_seq')"), 2)
        self.q(c, "INSERT INTO sr(v) VALUES ('b')")
        self.assertEqual(self.one(c, "SELECT max(id) FROM sr"), 3)
        self.q(c, "SELECT setval('sr_id_seq', 100)")
        self.q(c, "INSERT INTO sr(v) VALUES ('c')")
        self.assertEqual(self.one(c, "SELECT id FROM sr WHERE v = 'c'"), 101)
        self.assertEqual(self.one(c, "SELECT pg_get_serial_sequence('sr', "
                                     "'id')"), "public.sr_id_seq")
        self.assertEqual(self.q(c, "SELECT last_value, is_called FROM "
                                   "sr_id_seq"), [(101, True)])
        self.q(c, "ALTER SEQUENCE sr_id_seq RESTART WITH 500")
        self.q(c, "INSERT INTO sr(v) VALUES ('d')")
        self.assertEqual(self.one(c, "SELECT id FROM sr WHERE v = 'd'"), 500)
        e = self.fails(c, "DROP SEQUENCE sr_id_seq", "2BP01")
        self.assertIn("default value for column id of table sr",
                      e.diag.message_detail)

    def test_pg_dump_serial_script(self):
        c = self.connect()
        self.fresh(c, "pd")
        for stmt in [
                "CREATE TABLE public.pd (id integer NOT NULL, v text)",
                "CREATE SEQUENCE public.pd_id_seq AS integer START WITH 1 "
                "INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1",
                "ALTER SEQUENCE public.pd_id_seq OWNED BY public.pd.id",
                "ALTER TABLE ONLY public.pd ALTER COLUMN id SET DEFAULT "
                "nextval('public.pd_id_seq'::regclass)",
                "INSERT INTO public.pd (id, v) VALUES (42, 'old')",
                "SELECT pg_catalog.setval('public.pd_id_seq', 42, true)"]:
            self.q(c, stmt)
        self.assertEqual(self.one(c, "INSERT INTO pd(v) VALUES ('new') "
                                     "RETURNING id"), 43)
        self.assertEqual(self.one(c, "SELECT pg_get_serial_sequence('pd', "
                                     "'id')"), "public.pd_id_seq")
        self.assertEqual(self.one(c, "SELECT column_default FROM "
                                     "information_schema.columns WHERE "
                                     "table_name = 'pd' AND column_name = "
                                     "'id'"),
                         "nextval('pd_id_seq'::regclass)")
        self.assertEqual(self.q(c, "SELECT seqtypid::regtype::text, seqmax "
                                   "FROM pg_sequence WHERE seqrelid = "
                                   "'pd_id_seq'::regclass"),
                         [("integer", 2147483647)])
        # as SQLAlchemy reflects it: an autoincrement column
        try:
            import sqlalchemy
        except ImportError:
            return
        url = "postgresql+psycopg2://%s:%s@%s:%d/%s" % (
            self.user, self.password, self.host, self.port, self.dbname)
        eng = sqlalchemy.create_engine(url)
        try:
            cols = {x["name"]: x for x in
                    sqlalchemy.inspect(eng).get_columns("pd")}
            self.assertTrue(cols["id"]["autoincrement"])
            self.assertIn("pd_id_seq", cols["id"]["default"])
            self.assertIn("pd_id_seq",
                          sqlalchemy.inspect(eng).get_sequence_names())
        finally:
            eng.dispose()

    def test_identity_columns(self):
        c = self.connect()
        self.fresh(c, "idt", "idd")
        self.q(c, "CREATE TABLE idt (id integer GENERATED BY DEFAULT AS "
                  "IDENTITY (START WITH 10 INCREMENT BY 5), v text)")
        self.q(c, "INSERT INTO idt(v) VALUES ('a'), ('b')")
        self.assertEqual(self.q(c, "SELECT id FROM idt ORDER BY id"),
                         [(10,), (15,)])
        self.assertEqual(self.one(c, "SELECT pg_get_serial_sequence('idt', "
                                     "'id')"), "public.idt_id_seq")
        self.assertEqual(self.q(c, "SELECT deptype FROM pg_depend WHERE "
                                   "objid = 'idt_id_seq'::regclass AND "
                                   "refobjsubid > 0"), [("i",)])
        # pg_dump's form for an identity column
        self.q(c, "CREATE TABLE public.idd (id integer NOT NULL, v text)")
        self.q(c, "ALTER TABLE public.idd ALTER COLUMN id ADD GENERATED BY "
                  "DEFAULT AS IDENTITY (SEQUENCE NAME public.idd_id_seq "
                  "START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE "
                  "CACHE 1)")
        self.q(c, "INSERT INTO idd VALUES (7, 'x')")
        self.q(c, "SELECT pg_catalog.setval('public.idd_id_seq', 7, true)")
        self.assertEqual(self.one(c, "INSERT INTO idd(v) VALUES ('y') "
                                     "RETURNING id"), 8)
        # the sequence keeps its name and counter when the table is renamed
        self.q(c, "ALTER TABLE idt RENAME TO idt2")
        self.assertEqual(self.one(c, "INSERT INTO idt2(v) VALUES ('c') "
                                     "RETURNING id"), 20)
        self.assertEqual(self.one(c, "SELECT pg_get_serial_sequence('idt2', "
                                     "'id')"), "public.idt_id_seq")
        self.q(c, "DROP TABLE idt2")
        # GENERATED ALWAYS: a value needs OVERRIDING SYSTEM VALUE
        self.fresh(c, "ga")
        self.q(c, "CREATE TABLE ga (id integer GENERATED ALWAYS AS IDENTITY, "
                  "v text)")
        e = self.fails(c, "INSERT INTO ga VALUES (1, 'x')", "428C9",
                       'cannot insert a non-DEFAULT value into column "id"')
        self.assertEqual(e.diag.message_detail, 'Column "id" is an identity '
                         'column defined as GENERATED ALWAYS.')
        self.q(c, "INSERT INTO ga VALUES (DEFAULT, 'y')")
        self.q(c, "INSERT INTO ga OVERRIDING SYSTEM VALUE VALUES (50, 'z')")
        self.assertEqual(self.q(c, "SELECT id, v FROM ga ORDER BY id"),
                         [(1, "y"), (50, "z")])
        e = self.fails(c, "UPDATE ga SET id = 3", "428C9",
                       'column "id" can only be updated to DEFAULT')
        self.q(c, "UPDATE ga SET id = DEFAULT WHERE v = 'y'")
        self.assertEqual(self.q(c, "SELECT id, v FROM ga ORDER BY id"),
                         [(2, "y"), (50, "z")])

    # -- temp sequences --------------------------------------------------------
    def test_temp_sequence_is_session_private(self):
        c = self.connect()
        self.q(c, "CREATE TEMP SEQUENCE tmp_s START 5")
        self.assertEqual(self.one(c, "SELECT nextval('tmp_s')"), 5)
        self.assertEqual(self.one(c, "SELECT relpersistence FROM pg_class "
                                     "WHERE relname = 'tmp_s'"), "t")
        d = self.connect()
        self.fails(d, "SELECT nextval('tmp_s')", "42P01")
        c.close()
        e = self.connect()
        self.fails(e, "SELECT nextval('tmp_s')", "42P01")

    # -- psql ----------------------------------------------------------------
    def test_psql_describe(self):
        if not shutil.which("psql"):
            self.skipTest("psql not installed")
        c = self.connect()
        self.fresh(c, "ps")
        self.q(c, "CREATE SEQUENCE ps AS integer START 3")
        r = self.psql("\\ds ps")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ps", r.stdout)
        self.assertIn("sequence", r.stdout)
        r = self.psql("\\d ps")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('Sequence "public.ps"', r.stdout)
        self.assertIn("integer", r.stdout)
        self.assertIn("2147483647", r.stdout)


if __name__ == "__main__":
    unittest.main()
