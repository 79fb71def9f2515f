"""The simple-protocol translation cache (engine/sql/literal_cache.hpp):
a Query seen before with other integer literals runs with its literals
bound, and must answer exactly as a fresh translation would. psycopg2
(Debian python3-psycopg2) interpolates its arguments client-side, so every
execute below is a simple Query with literals in its text. Each shape is
run several times with different values: the first run learns the shape,
the later ones take the cache."""

import threading
import time
import unittest

import psycopg2
import psycopg2.errors

from themis_harness import Server


class LiteralCacheTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def connect(self, autocommit=True):
        c = psycopg2.connect(host="127.0.0.1", port=self.srv.pg_port,
                             user="themis", password="themis",
                             dbname="themis", connect_timeout=10,
                             options="-c statement_timeout=20000")
        c.autocommit = autocommit
        self.addCleanup(c.close)
        return c

    def q(self, conn, sql, args=None):
        cur = conn.cursor()
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None

    def types(self, conn, sql):
        cur = conn.cursor()
        cur.execute(sql)
        cur.fetchall()
        return [d.type_code for d in cur.description]

    def test_dml_with_changing_literals(self):
        c = self.connect()
        self.q(c, "create table lc_acc (aid int primary key, bal int, "
                  "note text)")
        for i in range(1, 21):
            self.q(c, "insert into lc_acc (aid, bal, note) values "
                      "(%d, %d, 'n%d')" % (i, i * 10, i))
        for i in range(1, 21):
            # negative and positive deltas: "+ -5" is a unary minus
            self.q(c, "update lc_acc set bal = bal + %d where aid = %d"
                   % (-i if i % 2 else i, i))
        rows = self.q(c, "select aid, bal, note from lc_acc order by aid")
        self.assertEqual(len(rows), 20)
        for aid, bal, note in rows:
            self.assertEqual(bal, aid * 10 + (-aid if aid % 2 else aid))
            self.assertEqual(note, "n%d" % aid)
        for i in (3, 4, 5):
            self.assertEqual(
                self.q(c, "select bal from lc_acc where aid = %d" % i),
                [(i * 10 + (-i if i % 2 else i),)])
        for i in (1, 2):
            self.q(c, "delete from lc_acc where aid = %d" % i)
        self.assertEqual(self.q(c, "select count(*) from lc_acc"), [(18,)])
        # a cached INSERT still reports its constraint violation
        self.q(c, "insert into lc_acc (aid, bal) values (100, 1)")
        with self.assertRaises(psycopg2.errors.UniqueViolation):
            self.q(c, "insert into lc_acc (aid, bal) values (100, 2)")
        self.assertEqual(self.q(c, "select bal from lc_acc where aid = 100"),
                         [(1,)])

    def test_positions_limits_and_types(self):
        c = self.connect()
        self.q(c, "create table lc_pos (a int, b int)")
        self.q(c, "insert into lc_pos values (1, 30), (2, 20), (3, 10)")
        # ORDER BY / GROUP BY positions name columns: never bound
        self.assertEqual(self.q(c, "select a, b from lc_pos order by 2"),
                         [(3, 10), (2, 20), (1, 30)])
        self.assertEqual(self.q(c, "select a, b from lc_pos order by 1"),
                         [(1, 30), (2, 20), (3, 10)])
        self.assertEqual(
            self.q(c, "select a, b from lc_pos where a > 0 order by 2 desc, 1"),
            [(1, 30), (2, 20), (3, 10)])
        self.assertEqual(
            self.q(c, "select a % 2, count(*) from lc_pos group by 1 "
                      "order by 1"), [(0, 1), (1, 2)])
        for n in (1, 2, 3):
            self.assertEqual(
                len(self.q(c, "select a from lc_pos order by a limit %d" % n)),
                n)
        for lo, hi in ((1, 3), (2, 9), (5, 6)):
            self.assertEqual(
                self.q(c, "select count(*) from generate_series(%d, %d)"
                       % (lo, hi)), [(hi - lo + 1,)])
        # int4 and int8 literals are different shapes
        self.assertEqual(self.types(c, "select 5"), [23])
        self.assertEqual(self.types(c, "select 7"), [23])
        self.assertEqual(self.types(c, "select 5000000000"), [20])
        self.assertEqual(self.q(c, "select 6000000000"), [(6000000000,)])
        self.assertEqual(self.q(c, "select 8"), [(8,)])
        # digits inside strings and names are not literals
        self.assertEqual(self.q(c, "select 'a1', 2, 'b3'"), [("a1", 2, "b3")])
        self.assertEqual(self.q(c, "select 'a9', 4, 'b7'"), [("a9", 4, "b7")])
        self.assertEqual(self.q(c, "select 1.5 + 2"), [(3.5,)])

    def test_errors_follow_the_values(self):
        c = self.connect()
        self.assertEqual(self.q(c, "select 10 / 2"), [(5,)])
        self.assertEqual(self.q(c, "select 10 / 5"), [(2,)])
        with self.assertRaises(psycopg2.errors.DivisionByZero):
            self.q(c, "select 10 / 0")
        self.assertEqual(self.q(c, "select 12 / 4"), [(3,)])
        with self.assertRaises(psycopg2.errors.NumericValueOutOfRange):
            self.q(c, "select 2147483647 + 1")

    def test_transaction_and_schema_change(self):
        c = self.connect(autocommit=False)
        cur = c.cursor()
        cur.execute("create table lc_tx (id int primary key, v int)")
        cur.execute("insert into lc_tx values (1, 100), (2, 200)")
        c.commit()
        for delta in (5, 6):
            cur.execute("update lc_tx set v = v + %d where id = 1" % delta)
        c.rollback()
        cur.execute("select v from lc_tx where id = 1")
        self.assertEqual(cur.fetchall(), [(100,)])
        for delta in (5, 6):
            cur.execute("update lc_tx set v = v + %d where id = 2" % delta)
        c.commit()
        cur.execute("select v from lc_tx where id = 2")
        self.assertEqual(cur.fetchall(), [(211,)])
        # an aborted transaction refuses a cached statement too
        with self.assertRaises(psycopg2.errors.UniqueViolation):
            cur.execute("insert into lc_tx values (1, 0)")
        with self.assertRaises(psycopg2.errors.InFailedSqlTransaction):
            cur.execute("update lc_tx set v = v + 7 where id = 2")
        c.rollback()
        # the same text after the table changed: translated afresh
        cur.execute("select v from lc_tx where id = 2")
        self.assertEqual(cur.fetchall(), [(211,)])
        cur.execute("drop table lc_tx")
        cur.execute("create table lc_tx (id int primary key, v text)")
        cur.execute("insert into lc_tx values (2, 'two')")
        c.commit()
        cur.execute("select v from lc_tx where id = 2")
        self.assertEqual(cur.fetchall(), [("two",)])
        self.assertEqual(cur.description[0].type_code, 25)


class HeldTransactionTest(unittest.TestCase):
    """A transaction block's statements run on its session's thread while
    it holds the store writer (actors/store_writer_tx.cpp): other sessions'
    transactions and autocommit writes wait for its end, and the server
    still rolls back a block idle past pg.idle_in_transaction_timeout_ms."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set",
                               "pg.idle_in_transaction_timeout_ms=1500"]
                         ).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def connect(self, autocommit):
        c = psycopg2.connect(host="127.0.0.1", port=self.srv.pg_port,
                             user="themis", password="themis",
                             dbname="themis", connect_timeout=10,
                             options="-c statement_timeout=20000")
        c.autocommit = autocommit
        self.addCleanup(c.close)
        return c

    def test_others_wait_for_the_holder(self):
        setup = self.connect(True)
        setup.cursor().execute(
            "create table ht (id int primary key, v int)")
        setup.cursor().execute("insert into ht values (1, 0), (2, 0)")
        a = self.connect(False)
        ca = a.cursor()
        ca.execute("update ht set v = v + 1 where id = 1")
        ca.execute("update ht set v = v + 1 where id = 1")
        done = {}

        def autocommit_write():
            c = self.connect(True)
            c.cursor().execute("update ht set v = v + 10 where id = 2")
            done["auto"] = time.monotonic()

        def other_block():
            c = self.connect(False)
            cur = c.cursor()
            cur.execute("update ht set v = v + 100 where id = 1")
            cur.execute("select v from ht where id = 1")
            done["seen"] = cur.fetchall()[0][0]
            c.commit()
            done["block"] = time.monotonic()

        threads = [threading.Thread(target=autocommit_write),
                   threading.Thread(target=other_block)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        self.assertEqual(done, {})  # both wait for a's transaction
        ca.execute("select v from ht where id = 1")
        self.assertEqual(ca.fetchall(), [(2,)])
        committed = time.monotonic()
        a.commit()
        for t in threads:
            t.join(20)
            self.assertFalse(t.is_alive())
        self.assertGreaterEqual(done["auto"], committed)
        self.assertGreaterEqual(done["block"], committed)
        self.assertEqual(done["seen"], 102)  # after a's two increments
        check = self.connect(True).cursor()
        check.execute("select id, v from ht order by id")
        self.assertEqual(check.fetchall(), [(1, 102), (2, 10)])

    def test_an_idle_holder_is_rolled_back(self):
        setup = self.connect(True)
        setup.cursor().execute("create table hi (id int primary key, v int)")
        setup.cursor().execute("insert into hi values (1, 0)")
        a = self.connect(False)
        a.cursor().execute("update hi set v = 5 where id = 1")
        time.sleep(2.5)  # past the 1.5 s limit: the writer rolls it back
        # meanwhile the store is free for others
        b = self.connect(True)
        b.cursor().execute("update hi set v = v + 1 where id = 1")
        with self.assertRaises(psycopg2.Error) as cm:
            a.cursor().execute("update hi set v = 6 where id = 1")
        self.assertEqual(cm.exception.pgcode, "25P03")
        a.rollback()
        cur = b.cursor()
        cur.execute("select v from hi where id = 1")
        self.assertEqual(cur.fetchall(), [(1,)])


if __name__ == "__main__":
    unittest.main()
