"""Constraints and ALTER TABLE as migrations use them (issue 36), with
psycopg2 (Debian python3-psycopg2): FOREIGN KEY with its actions and
deferral, CHECK, NOT NULL/DEFAULT changes, DROP/RENAME COLUMN, ALTER
COLUMN TYPE, RENAME TO/CONSTRAINT, DROP/TRUNCATE of referenced tables,
the error fields ORMs map to exceptions, and the catalog rows
(pg_constraint, pg_get_constraintdef) reflection reads. ON UPDATE CASCADE
(OnUpdateCascadeTest) also runs against PostgreSQL 15 with
THEMIS_PG_REFERENCE=host:port."""

import json
import select
import time
import unittest
import urllib.request

import psycopg2
import psycopg2.errors

from pg_client_target import Target
from pg_test_base import PgTest


class Base(PgTest):
    pass


class ForeignKeyTest(Base):
    def setUp(self):
        self.c = self.connect()
        for t in ("fk_c2", "fk_c", "fk_tree", "fk_p"):
            self.q(self.c, "DROP TABLE IF EXISTS %s CASCADE" % t)
        self.q(self.c, "CREATE TABLE fk_p (id int PRIMARY KEY, code text "
                       "UNIQUE)")
        self.q(self.c, "INSERT INTO fk_p VALUES (1, 'a'), (2, 'b'), (3, 'c')")

    def test_missing_parent_is_23503_with_fields(self):
        self.q(self.c, "CREATE TABLE fk_c (id int PRIMARY KEY, "
                       "pid int REFERENCES fk_p)")
        e = self.fails(self.c, "INSERT INTO fk_c VALUES (1, 9)", "23503")
        self.assertIsInstance(e, psycopg2.errors.ForeignKeyViolation)
        self.assertEqual(e.diag.table_name, "fk_c")
        self.assertEqual(e.diag.constraint_name, "fk_c_pid_fkey")
        self.assertEqual(e.diag.message_detail,
                         'Key (pid)=(9) is not present in table "fk_p".')
        # NULL references nothing (MATCH SIMPLE); an existing parent passes
        self.q(self.c, "INSERT INTO fk_c VALUES (1, NULL), (2, 1)")
        self.fails(self.c, "UPDATE fk_c SET pid = 7 WHERE id = 2", "23503")
        self.assertEqual(self.q(self.c, "SELECT pid FROM fk_c WHERE id = 2"),
                         [(1,)])
        # a failed multi-row insert leaves nothing behind
        self.fails(self.c, "INSERT INTO fk_c VALUES (3, 1), (4, 8)", "23503")
        self.assertEqual(self.q(self.c, "SELECT count(*) FROM fk_c"), [(2,)])

    def test_restrict_and_no_action(self):
        self.q(self.c, "CREATE TABLE fk_c (id int PRIMARY KEY, "
                       "pid int REFERENCES fk_p ON DELETE RESTRICT)")
        self.q(self.c, "INSERT INTO fk_c VALUES (1, 2)")
        e = self.fails(self.c, "DELETE FROM fk_p WHERE id = 2", "23503")
        self.assertIn('on table "fk_c"', str(e))
        self.assertEqual(e.diag.message_detail,
                         'Key (id)=(2) is still referenced from table '
                         '"fk_c".')
        self.q(self.c, "DELETE FROM fk_p WHERE id = 3")  # unreferenced
        self.assertEqual(self.q(self.c, "SELECT id FROM fk_p ORDER BY id"),
                         [(1,), (2,)])

    def test_cascade_set_null_set_default(self):
        self.q(self.c, "CREATE TABLE fk_c (id int PRIMARY KEY, "
                       "pid int REFERENCES fk_p ON DELETE CASCADE)")
        self.q(self.c, "CREATE TABLE fk_c2 (id int PRIMARY KEY, "
                       "cid int REFERENCES fk_c ON DELETE CASCADE, "
                       "pid int DEFAULT 1 REFERENCES fk_p(id) "
                       "ON DELETE SET DEFAULT, "
                       "code text REFERENCES fk_p(code) ON DELETE SET NULL)")
        self.q(self.c, "INSERT INTO fk_c VALUES (10, 2), (11, 3)")
        self.q(self.c, "INSERT INTO fk_c2 VALUES (20, 10, 3, 'b'), "
                       "(21, 11, 2, 'c'), (22, NULL, 3, 'b')")
        self.q(self.c, "DELETE FROM fk_p WHERE id = 2")
        # fk_c 10 (pid 2) cascades, and 20 (cid 10) with it; 21's pid
        # 2 becomes the default 1; 'b' rows get code NULL
        self.assertEqual(self.q(self.c, "SELECT id FROM fk_c"), [(11,)])
        self.assertEqual(
            self.q(self.c, "SELECT id, cid, pid, code FROM fk_c2 "
                           "ORDER BY id"),
            [(21, 11, 1, "c"), (22, None, 3, None)])
        # the cascaded rows are documents REST sees as gone too
        url = "http://127.0.0.1:%d/v1/collections/fk_c2/documents/20" % (
            self.srv.port)
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(url, timeout=10)
        self.assertEqual(cm.exception.code, 404)

    def test_self_reference_cascades_down_a_tree(self):
        self.q(self.c, "CREATE TABLE fk_tree (id int PRIMARY KEY, "
                       "parent int REFERENCES fk_tree ON DELETE CASCADE)")
        self.q(self.c, "INSERT INTO fk_tree VALUES (1, NULL), (2, 1), "
                       "(3, 2), (4, 3), (5, NULL), (6, 5)")
        self.q(self.c, "DELETE FROM fk_tree WHERE id = 2")
        self.assertEqual(self.q(self.c, "SELECT id FROM fk_tree ORDER BY id"),
                         [(1,), (5,), (6,)])
        self.fails(self.c, "INSERT INTO fk_tree VALUES (7, 99)", "23503")

    def test_composite_and_match_full(self):
        self.q(self.c, "CREATE TABLE fk_c (a int, b int, PRIMARY KEY (a, b))")
        self.q(self.c, "CREATE TABLE fk_c2 (id int PRIMARY KEY, x int, "
                       "y int, CONSTRAINT two FOREIGN KEY (x, y) "
                       "REFERENCES fk_c (a, b) MATCH FULL)")
        self.q(self.c, "INSERT INTO fk_c VALUES (1, 1)")
        self.q(self.c, "INSERT INTO fk_c2 VALUES (1, 1, 1), (2, NULL, NULL)")
        e = self.fails(self.c, "INSERT INTO fk_c2 VALUES (3, 1, NULL)",
                       "23503")
        self.assertIn("MATCH FULL", e.diag.message_detail)
        e = self.fails(self.c, "INSERT INTO fk_c2 VALUES (4, 1, 2)", "23503")
        self.assertEqual(e.diag.constraint_name, "two")
        self.assertIn("Key (x, y)=(1, 2)", e.diag.message_detail)

    def test_deferred_checked_at_commit(self):
        self.q(self.c, "CREATE TABLE fk_c (id int PRIMARY KEY, pid int "
                       "REFERENCES fk_p DEFERRABLE INITIALLY DEFERRED)")
        self.c.autocommit = False
        cur = self.c.cursor()
        cur.execute("INSERT INTO fk_c VALUES (1, 50)")  # parent comes later
        cur.execute("INSERT INTO fk_p VALUES (50, 'z')")
        self.c.commit()
        cur.execute("INSERT INTO fk_c VALUES (2, 60)")
        with self.assertRaises(psycopg2.errors.ForeignKeyViolation):
            self.c.commit()
        self.c.rollback()
        self.c.autocommit = True
        self.assertEqual(self.q(self.c, "SELECT id FROM fk_c"), [(1,)])
        # outside a block a deferred key is checked at the statement
        self.fails(self.c, "INSERT INTO fk_c VALUES (3, 70)", "23503")

    def test_primary_key_update(self):
        self.q(self.c, "CREATE TABLE fk_c (id int PRIMARY KEY, "
                       "pid int REFERENCES fk_p)")
        self.q(self.c, "INSERT INTO fk_c VALUES (10, 1)")
        self.q(self.c, "UPDATE fk_p SET id = 30 WHERE id = 3")  # unreferenced
        e = self.fails(self.c, "UPDATE fk_p SET id = 50 WHERE id = 1",
                       "23503")
        self.assertIn("is still referenced", e.diag.message_detail)
        self.fails(self.c, "UPDATE fk_p SET id = 2 WHERE id = 30", "23505")
        self.assertEqual(self.q(self.c, "SELECT id FROM fk_p ORDER BY id"),
                         [(1,), (2,), (30,)])
        # REST follows the key: the old one is gone, the new one is there
        base = "http://127.0.0.1:%d/v1/collections/fk_p/documents/" % (
            self.srv.port)
        with urllib.request.urlopen(base + "30", timeout=10) as r:
            self.assertEqual(json.loads(r.read())["id"], 30)
        with self.assertRaises(urllib.error.HTTPError):
            urllib.request.urlopen(base + "3", timeout=10)

    def test_definition_errors(self):
        self.fails(self.c, "CREATE TABLE fk_c (id int, pid int REFERENCES "
                           "nowhere)", "42P01")
        self.fails(self.c, "CREATE TABLE fk_c (id int, pid text REFERENCES "
                           "fk_p)", "42804")
        self.fails(self.c, "CREATE TABLE fk_c (id int, pid int REFERENCES "
                           "fk_p (nope))", "42703")
        self.q(self.c, "CREATE TABLE fk_c2 (id int, v int)")
        self.fails(self.c, "CREATE TABLE fk_c (id int, pid int REFERENCES "
                           "fk_c2 (v))", "42830")

    def test_drop_and_truncate_of_a_referenced_table(self):
        self.q(self.c, "CREATE TABLE fk_c (id int PRIMARY KEY, "
                       "pid int REFERENCES fk_p)")
        self.q(self.c, "INSERT INTO fk_c VALUES (1, 1)")
        self.fails(self.c, "DROP TABLE fk_p", "2BP01")
        self.fails(self.c, "TRUNCATE fk_p", "0A000")
        self.q(self.c, "TRUNCATE fk_p CASCADE")
        self.assertEqual(self.q(self.c, "SELECT count(*) FROM fk_c"), [(0,)])
        self.q(self.c, "DROP TABLE fk_p CASCADE")
        # the child stays, without its foreign key
        self.q(self.c, "INSERT INTO fk_c VALUES (2, 99)")

    def test_catalog_rows_for_reflection(self):
        self.q(self.c, "CREATE TABLE fk_c (id int PRIMARY KEY, pid int, "
                       "CONSTRAINT c_to_p FOREIGN KEY (pid) REFERENCES fk_p "
                       "(id) ON DELETE CASCADE DEFERRABLE INITIALLY "
                       "DEFERRED, CONSTRAINT pid_pos CHECK (pid > 0))")
        rows = self.q(
            self.c, "SELECT conname, contype, confdeltype, condeferrable, "
                    "pg_get_constraintdef(oid) FROM pg_constraint WHERE "
                    "conrelid = 'fk_c'::regclass ORDER BY conname")
        self.assertEqual(rows, [
            ("c_to_p", "f", "c", True,
             "FOREIGN KEY (pid) REFERENCES fk_p(id) ON DELETE CASCADE "
             "DEFERRABLE INITIALLY DEFERRED"),
            ("fk_c_pkey", "p", " ", False, "PRIMARY KEY (id)"),
            ("pid_pos", "c", " ", False, "CHECK ((pid > 0))")])
        ref = self.q(self.c, "SELECT confrelid = 'fk_p'::regclass FROM "
                             "pg_constraint WHERE conname = 'c_to_p'")
        self.assertEqual(ref, [(True,)])


class CheckAndAlterTest(Base):
    def setUp(self):
        self.c = self.connect()
        for t in ("al_t", "al_u", "al_v"):
            self.q(self.c, "DROP TABLE IF EXISTS %s CASCADE" % t)
        self.q(self.c, "CREATE TABLE al_t (id int PRIMARY KEY, "
                       "price numeric CHECK (price >= 0), qty int, "
                       "CHECK (qty IS NULL OR qty < 100))")
        self.q(self.c, "INSERT INTO al_t VALUES (1, 5, 1), (2, 0, NULL)")

    def test_check_constraints(self):
        e = self.fails(self.c, "INSERT INTO al_t VALUES (3, -1, 1)", "23514")
        self.assertIsInstance(e, psycopg2.errors.CheckViolation)
        self.assertEqual(e.diag.constraint_name, "al_t_price_check")
        e = self.fails(self.c, "UPDATE al_t SET qty = 500", "23514")
        self.assertEqual(e.diag.constraint_name, "al_t_check")
        self.q(self.c, "INSERT INTO al_t VALUES (3, NULL, NULL)")  # NULL ok
        self.fails(self.c, "ALTER TABLE al_t ADD CONSTRAINT small CHECK "
                           "(price < 1)", "23514")
        self.q(self.c, "ALTER TABLE al_t ADD CONSTRAINT small CHECK "
                       "(price < 10)")
        self.fails(self.c, "INSERT INTO al_t VALUES (4, 20, 1)", "23514")
        self.q(self.c, "ALTER TABLE al_t DROP CONSTRAINT small")
        self.q(self.c, "INSERT INTO al_t VALUES (4, 20, 1)")
        self.fails(self.c, "ALTER TABLE al_t DROP CONSTRAINT small", "42704")
        self.q(self.c, "ALTER TABLE al_t DROP CONSTRAINT IF EXISTS small")
        self.fails(self.c, "CREATE TABLE al_u (a int CHECK (a > (SELECT 1)))",
                   "0A000")

    def test_add_column_with_default_fills_rows(self):
        self.q(self.c, "ALTER TABLE al_t ADD COLUMN n integer DEFAULT '1'")
        self.q(self.c, "ALTER TABLE al_t ADD COLUMN s text NOT NULL "
                       "DEFAULT 'x'")
        self.assertEqual(self.q(self.c, "SELECT id, n, s FROM al_t ORDER BY "
                                        "id"),
                         [(1, 1, "x"), (2, 1, "x")])
        self.fails(self.c, "ALTER TABLE al_t ADD COLUMN m int NOT NULL",
                   "23502")
        self.q(self.c, "ALTER TABLE al_t ADD COLUMN IF NOT EXISTS n int")
        self.q(self.c, "INSERT INTO al_t(id, price) VALUES (9, 1)")
        self.assertEqual(self.q(self.c, "SELECT n, s FROM al_t WHERE id = 9"),
                         [(1, "x")])

    def test_defaults_and_not_null(self):
        self.q(self.c, "ALTER TABLE al_t ALTER COLUMN qty SET DEFAULT 7")
        self.q(self.c, "INSERT INTO al_t(id, price) VALUES (5, 1)")
        self.q(self.c, "ALTER TABLE al_t ALTER COLUMN qty DROP DEFAULT")
        self.q(self.c, "INSERT INTO al_t(id, price) VALUES (6, 1)")
        self.assertEqual(
            self.q(self.c, "SELECT id, qty FROM al_t WHERE id >= 5 ORDER BY "
                           "id"), [(5, 7), (6, None)])
        self.fails(self.c, "ALTER TABLE al_t ALTER COLUMN qty SET NOT NULL",
                   "23502")
        self.q(self.c, "DELETE FROM al_t WHERE qty IS NULL")
        self.q(self.c, "ALTER TABLE al_t ALTER COLUMN qty SET NOT NULL")
        self.fails(self.c, "INSERT INTO al_t(id, price) VALUES (7, 1)",
                   "23502")
        self.q(self.c, "ALTER TABLE al_t ALTER COLUMN qty DROP NOT NULL")
        self.q(self.c, "INSERT INTO al_t(id, price) VALUES (7, 1)")
        self.fails(self.c, "ALTER TABLE al_t ALTER COLUMN id DROP NOT NULL",
                   "42P16")

    def test_drop_and_rename_column(self):
        self.q(self.c, "CREATE INDEX al_qty ON al_t (qty)")
        self.q(self.c, "ALTER TABLE al_t RENAME COLUMN qty TO amount")
        self.assertEqual(
            self.q(self.c, "SELECT id, amount FROM al_t WHERE amount = 1"),
            [(1, 1)])
        # the check that named the column follows it
        self.fails(self.c, "INSERT INTO al_t VALUES (3, 1, 500)", "23514")
        self.fails(self.c, "SELECT qty FROM al_t", "42703")
        self.q(self.c, "ALTER TABLE al_t DROP COLUMN amount")
        self.assertEqual(self.q(self.c, "SELECT * FROM al_t ORDER BY id"),
                         [(1, 5), (2, 0)])
        self.q(self.c, "INSERT INTO al_t VALUES (3, 1)")
        self.fails(self.c, "ALTER TABLE al_t DROP COLUMN nope", "42703")
        self.q(self.c, "ALTER TABLE al_t DROP COLUMN IF EXISTS nope")
        # the documents lost the field
        url = "http://127.0.0.1:%d/v1/collections/al_t/documents/1" % (
            self.srv.port)
        with urllib.request.urlopen(url, timeout=10) as r:
            doc = json.loads(r.read())
        self.assertNotIn("amount", doc)
        self.assertNotIn("qty", doc)

    def test_alter_column_type(self):
        self.q(self.c, "CREATE TABLE al_v (id int PRIMARY KEY, v text)")
        self.q(self.c, "INSERT INTO al_v VALUES (1, '12'), (2, '30')")
        self.q(self.c, "ALTER TABLE al_v ALTER COLUMN v TYPE bigint USING "
                       "v::bigint")
        self.assertEqual(self.q(self.c, "SELECT v + 1 FROM al_v ORDER BY id"),
                         [(13,), (31,)])
        cur = self.c.cursor()
        cur.execute("SELECT v FROM al_v")
        self.assertEqual(cur.description[0].type_code, 20)  # int8
        self.fails(self.c, "INSERT INTO al_v VALUES (3, 'x1')", "22P02")
        self.q(self.c, "ALTER TABLE al_v ALTER COLUMN v TYPE text")
        self.q(self.c, "INSERT INTO al_v VALUES (3, 'x1')")
        # a value the new type cannot hold: the statement fails whole
        self.fails(self.c, "ALTER TABLE al_v ALTER COLUMN v TYPE int", "22P02")
        self.assertEqual(self.q(self.c, "SELECT v FROM al_v ORDER BY id"),
                         [("12",), ("30",), ("x1",)])

    def test_rename_table_and_constraint(self):
        self.q(self.c, "ALTER TABLE al_t RENAME TO al_u")
        self.assertEqual(self.q(self.c, "SELECT count(*) FROM al_u"), [(2,)])
        self.fails(self.c, "SELECT * FROM al_t", "42P01")
        self.q(self.c, "ALTER TABLE al_u RENAME CONSTRAINT al_t_price_check "
                       "TO price_ok")
        e = self.fails(self.c, "INSERT INTO al_u VALUES (5, -5, 1)", "23514")
        self.assertEqual(e.diag.constraint_name, "price_ok")
        self.q(self.c, "INSERT INTO al_u VALUES (5, 5, 1)")
        self.fails(self.c, "INSERT INTO al_u VALUES (5, 5, 1)", "23505")
        self.fails(self.c, "ALTER TABLE al_u RENAME TO al_u", "42P07")


class OnUpdateCascadeTest(unittest.TestCase):
    """ON UPDATE CASCADE as PostgreSQL 15 does it; with
    THEMIS_PG_REFERENCE=host:port this class runs against PostgreSQL
    itself (database pyorm; the change-event part needs themisd)."""

    TABLES = ("ou_g", "ou_c", "ou_p", "ou_mc", "ou_m", "ou_tree", "ou_cy",
              "ou_chk", "ou_d", "ou_dp", "ou_book", "ou_author", "ou_mark")

    @classmethod
    def setUpClass(cls):
        cls.t = Target()

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def setUp(self):
        self.c = psycopg2.connect(**self.t.kw())
        self.c.autocommit = True
        self.addCleanup(self.c.close)
        for t in self.TABLES:
            self.q("DROP TABLE IF EXISTS %s CASCADE" % t)

    def q(self, sql, args=None, conn=None):
        cur = (conn or self.c).cursor()
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None

    def fails(self, sql, state, conn=None):
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(sql, conn=conn)
        self.assertEqual(cm.exception.pgcode, state, str(cm.exception))
        return cm.exception

    def chain(self):
        # ou_c's primary key is its foreign key, and ou_g references it
        self.q("CREATE TABLE ou_p (id int PRIMARY KEY, code text UNIQUE)")
        self.q("CREATE TABLE ou_c (id int PRIMARY KEY REFERENCES ou_p "
               "ON UPDATE CASCADE, code text REFERENCES ou_p(code) "
               "ON UPDATE CASCADE, note text)")
        self.q("CREATE TABLE ou_g (id int PRIMARY KEY, cid int REFERENCES "
               "ou_c ON UPDATE CASCADE ON DELETE CASCADE)")
        self.q("INSERT INTO ou_p VALUES (1, 'a'), (2, 'b'), (3, 'c')")
        self.q("INSERT INTO ou_c VALUES (1, 'a', 'x'), (2, 'a', 'y')")
        self.q("INSERT INTO ou_g VALUES (100, 1), (101, 1), (102, 2), "
               "(103, NULL)")

    def test_primary_key_and_unique_cascade_down_a_chain(self):
        self.chain()
        self.q("UPDATE ou_p SET id = 10 WHERE id = 1")
        self.assertEqual(self.q("SELECT id, code, note FROM ou_c ORDER BY 1"),
                         [(2, "a", "y"), (10, "a", "x")])
        self.assertEqual(self.q("SELECT id, cid FROM ou_g ORDER BY 1"),
                         [(100, 10), (101, 10), (102, 2), (103, None)])
        self.q("UPDATE ou_p SET code = 'A' WHERE code = 'a'")
        self.assertEqual(self.q("SELECT id, code FROM ou_c ORDER BY 1"),
                         [(2, "A"), (10, "A")])
        # every row at once; an unreferenced row and an unchanged key too
        self.q("UPDATE ou_p SET id = id + 100, code = code")
        self.assertEqual(self.q("SELECT id FROM ou_p ORDER BY 1"),
                         [(102,), (103,), (110,)])
        self.assertEqual(self.q("SELECT id, code FROM ou_c ORDER BY 1"),
                         [(102, "A"), (110, "A")])
        self.assertEqual(self.q("SELECT id, cid FROM ou_g ORDER BY 1"),
                         [(100, 110), (101, 110), (102, 102), (103, None)])
        # the cascaded children are found by their new keys
        self.assertEqual(self.q("SELECT note FROM ou_c WHERE id = 110"),
                         [("x",)])
        self.assertEqual(self.q("SELECT count(*) FROM ou_c WHERE id = 10"),
                         [(0,)])
        # both keys of one child at once (it is valid only after both)
        self.q("UPDATE ou_p SET id = 7, code = 'Q' WHERE id = 110")
        self.assertEqual(self.q("SELECT id, code FROM ou_c ORDER BY 1"),
                         [(7, "Q"), (102, "Q")])
        self.assertEqual(self.q("SELECT id, cid FROM ou_g ORDER BY 1"),
                         [(100, 7), (101, 7), (102, 102), (103, None)])
        # and the chain still deletes
        self.q("DELETE FROM ou_c WHERE id = 7")
        self.assertEqual(self.q("SELECT id FROM ou_g ORDER BY 1"),
                         [(102,), (103,)])

    def test_multi_column_key(self):
        self.q("CREATE TABLE ou_m (id int PRIMARY KEY, a int, b text, "
               "UNIQUE (a, b))")
        self.q("CREATE TABLE ou_mc (id int PRIMARY KEY, a int, b text, "
               "FOREIGN KEY (a, b) REFERENCES ou_m (a, b) "
               "ON UPDATE CASCADE)")
        self.q("INSERT INTO ou_m VALUES (1, 1, 'x'), (2, 2, 'x')")
        self.q("INSERT INTO ou_mc VALUES (10, 1, 'x'), (11, 2, 'x'), "
               "(12, 1, NULL)")
        self.q("UPDATE ou_m SET b = 'y' WHERE id = 1")
        self.q("UPDATE ou_m SET a = 20, b = 'z' WHERE id = 2")
        self.assertEqual(self.q("SELECT id, a, b FROM ou_mc ORDER BY 1"),
                         [(10, 1, "y"), (11, 20, "z"), (12, 1, None)])

    def test_self_reference_and_cycle(self):
        self.q("CREATE TABLE ou_tree (id int PRIMARY KEY, parent int "
               "REFERENCES ou_tree ON UPDATE CASCADE)")
        self.q("INSERT INTO ou_tree VALUES (1, NULL), (2, 1), (3, 1), "
               "(4, 2), (5, 5)")
        self.q("UPDATE ou_tree SET id = 20 WHERE id = 2")
        self.q("UPDATE ou_tree SET id = 50 WHERE id = 5")  # its own parent
        self.assertEqual(self.q("SELECT id, parent FROM ou_tree ORDER BY 1"),
                         [(1, None), (3, 1), (4, 20), (20, 1), (50, 50)])
        # two columns that reference each other: the cascade goes round
        # once and stops where nothing references the old value any more
        self.q("CREATE TABLE ou_cy (id int PRIMARY KEY, k int UNIQUE, "
               "r int UNIQUE)")
        self.q("INSERT INTO ou_cy VALUES (1, 1, 1), (2, 2, 2)")
        self.q("ALTER TABLE ou_cy ADD FOREIGN KEY (k) REFERENCES ou_cy (r) "
               "ON UPDATE CASCADE")
        self.q("ALTER TABLE ou_cy ADD FOREIGN KEY (r) REFERENCES ou_cy (k) "
               "ON UPDATE CASCADE")
        self.q("UPDATE ou_cy SET k = 7 WHERE id = 1")
        self.assertEqual(self.q("SELECT id, k, r FROM ou_cy ORDER BY 1"),
                         [(1, 7, 7), (2, 2, 2)])

    def test_child_constraints_hold_after_the_cascade(self):
        self.q("CREATE TABLE ou_p (id int PRIMARY KEY, code text UNIQUE)")
        self.q("CREATE TABLE ou_chk (id int PRIMARY KEY, pid int "
               "REFERENCES ou_p ON UPDATE CASCADE CHECK (pid < 100), "
               "code text NOT NULL REFERENCES ou_p(code) ON UPDATE CASCADE)")
        self.q("INSERT INTO ou_p VALUES (1, 'a'), (2, 'b')")
        self.q("INSERT INTO ou_chk VALUES (10, 1, 'a')")
        e = self.fails("UPDATE ou_p SET id = 500 WHERE id = 1", "23514")
        self.assertEqual(e.diag.constraint_name, "ou_chk_pid_check")
        self.assertIn('new row for relation "ou_chk" violates check '
                      'constraint "ou_chk_pid_check"', str(e))
        e = self.fails("UPDATE ou_p SET code = NULL WHERE id = 1", "23502")
        self.assertEqual(e.diag.column_name, "code")
        # the failed statements changed nothing, parent or child
        self.assertEqual(self.q("SELECT id, code FROM ou_p ORDER BY 1"),
                         [(1, "a"), (2, "b")])
        self.assertEqual(self.q("SELECT id, pid, code FROM ou_chk"),
                         [(10, 1, "a")])
        self.q("UPDATE ou_p SET id = 50 WHERE id = 1")
        self.assertEqual(self.q("SELECT pid FROM ou_chk"), [(50,)])

    def test_deferrable_key_cascades_at_once(self):
        self.q("CREATE TABLE ou_dp (id int PRIMARY KEY)")
        self.q("CREATE TABLE ou_d (id int PRIMARY KEY, pid int REFERENCES "
               "ou_dp ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED)")
        self.q("INSERT INTO ou_dp VALUES (1)")
        self.q("INSERT INTO ou_d VALUES (1, 1)")
        c = psycopg2.connect(**self.t.kw())
        self.addCleanup(c.close)
        self.q("UPDATE ou_dp SET id = 2", conn=c)
        # PostgreSQL: referential actions other than NO ACTION are not
        # deferred — the child follows inside the transaction already
        self.assertEqual(self.q("SELECT pid FROM ou_d", conn=c), [(2,)])
        c.rollback()
        self.assertEqual(self.q("SELECT pid FROM ou_d"), [(1,)])
        self.q("UPDATE ou_dp SET id = 3", conn=c)
        c.commit()
        self.assertEqual(self.q("SELECT pid FROM ou_d"), [(3,)])

    def test_change_events_for_cascaded_rows(self):
        if self.t.reference:
            self.skipTest("change events are themisd's")
        self.chain()
        self.q("CREATE TABLE ou_mark (id int PRIMARY KEY)")
        self.q("LISTEN themis_changes")
        # the feed hands LISTEN the events it publishes after it, and may
        # still publish chain()'s inserts: wait for a marker written after
        # LISTEN (events arrive in commit order), then count from there
        self.q("INSERT INTO ou_mark VALUES (1)")
        deadline = time.time() + 5
        marked = False
        while time.time() < deadline and not marked:
            select.select([self.c], [], [], 0.2)
            self.c.poll()
            marked = any(json.loads(n.payload)["collection"] == "ou_mark"
                         for n in self.c.notifies)
            del self.c.notifies[:]
        self.assertTrue(marked, "the marker's change event never came")
        self.q("UPDATE ou_p SET id = 10 WHERE id = 1")
        deadline = time.time() + 5
        seen = []
        while time.time() < deadline and len(seen) < 6:
            select.select([self.c], [], [], 0.2)
            self.c.poll()
            seen += [json.loads(n.payload) for n in self.c.notifies]
            del self.c.notifies[:]
        got = [(e["collection"], e["key"], e["type"]) for e in seen]
        # the parent and the re-keyed child: a DELETE of the old key and a
        # PUT of the new one each; the grandchildren: a PUT each
        self.assertEqual(sorted(got), sorted([
            ("ou_p", "1", "DELETE"), ("ou_p", "10", "PUT"),
            ("ou_c", "1", "DELETE"), ("ou_c", "10", "PUT"),
            ("ou_g", "100", "PUT"), ("ou_g", "101", "PUT")]))
        self.assertEqual([e["value"]["cid"] for e in seen
                          if e["collection"] == "ou_g"], [10, 10])
        seqs = [e["sequence"] for e in seen]
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + 6)))

    def test_orm_style_rename_of_a_natural_key(self):
        # what SQLAlchemy's ForeignKey(..., onupdate="CASCADE") or
        # Sequelize's onUpdate: 'CASCADE' create and rely on
        self.q("CREATE TABLE ou_author (name varchar(50) NOT NULL, "
               "CONSTRAINT ou_author_pkey PRIMARY KEY (name))")
        self.q("CREATE TABLE ou_book (id serial NOT NULL, title text, "
               "author_name varchar(50), PRIMARY KEY (id), "
               "FOREIGN KEY(author_name) REFERENCES ou_author (name) "
               "ON DELETE SET NULL ON UPDATE CASCADE)")
        self.q("INSERT INTO ou_author (name) VALUES (%s), (%s)",
               ("tolkien", "austen"))
        for title, who in (("hobbit", "tolkien"), ("lotr", "tolkien"),
                           ("emma", "austen")):
            self.q("INSERT INTO ou_book (title, author_name) VALUES (%s, %s) "
                   "RETURNING ou_book.id", (title, who))
        self.q("UPDATE ou_author SET name=%(name)s WHERE ou_author.name = "
               "%(ou_author_name)s",
               {"name": "J.R.R. Tolkien", "ou_author_name": "tolkien"})
        self.assertEqual(
            self.q("SELECT ou_book.title, ou_book.author_name FROM ou_book "
                   "ORDER BY ou_book.id"),
            [("hobbit", "J.R.R. Tolkien"), ("lotr", "J.R.R. Tolkien"),
             ("emma", "austen")])
        self.q("DELETE FROM ou_author WHERE name = %s", ("J.R.R. Tolkien",))
        self.assertEqual(
            self.q("SELECT count(*) FROM ou_book WHERE author_name IS NULL"),
            [(2,)])


if __name__ == "__main__":
    unittest.main()
