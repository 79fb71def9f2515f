"""The extended protocol's implicit transaction (issue 36), as PostgreSQL
15 runs it: the messages up to Sync are one transaction outside a BEGIN
block. From a raw socket: a batch INSERT, INSERT, failing INSERT, Sync
leaves none of the three rows; a good batch commits all; BEGIN inside a
batch opens an explicit block that keeps the batch's earlier writes; COMMIT
inside a batch commits (WARNING 25P01) and what follows is a new
transaction; a client that stops before Sync does not hold the store
writer past pg.idle_in_transaction_timeout_ms. With psycopg 3 (Debian
python3-psycopg): pipeline mode (several Syncs in flight, each its own
transaction) and executemany with a failing row.

THEMIS_PG_REFERENCE=port runs the same scenarios against a PostgreSQL 15
on that port (user postgres, trust) to check the expectations."""

import os
import socket
import struct
import time
import unittest

import psycopg
import psycopg.errors

from themis_harness import Server

REFERENCE = os.environ.get("THEMIS_PG_REFERENCE")


def startup(user, db):
    body = struct.pack("!i", 196608)
    for k, v in (("user", user), ("database", db)):
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!i", len(body) + 4) + body


def msg(t, payload=b""):
    return t + struct.pack("!i", len(payload) + 4) + payload


def parse(sql, name=b""):
    return msg(b"P", name + b"\0" + sql.encode() + b"\0" + struct.pack("!h", 0))


def bind(portal=b"", stmt=b""):
    return msg(b"B", portal + b"\0" + stmt + b"\0" + struct.pack("!hhh", 0, 0,
                                                                  0))


def execute(portal=b""):
    return msg(b"E", portal + b"\0" + struct.pack("!i", 0))


SYNC = msg(b"S")


def stmt(sql):
    """Parse, Bind and Execute of one statement (unnamed)."""
    return parse(sql) + bind() + execute()


def fields(payload):
    out = {}
    for f in payload.split(b"\0"):
        if f:
            out[f[:1].decode()] = f[1:].decode()
    return out


class Raw:
    def __init__(self, port, user, password):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.buf = b""
        self.send(startup(user, "themis" if not REFERENCE else "do_eng"))
        while True:
            t, p = self.read()
            if t == b"R" and struct.unpack("!i", p[:4])[0] == 3:
                self.send(msg(b"p", password.encode() + b"\0"))
            elif t == b"E":
                raise RuntimeError(fields(p))
            elif t == b"Z":
                return

    def close(self):
        self.s.close()

    def send(self, b):
        self.s.sendall(b)

    def read(self):
        while True:
            if len(self.buf) >= 5:
                n = struct.unpack("!i", self.buf[1:5])[0]
                if len(self.buf) >= 1 + n:
                    t, p = self.buf[:1], self.buf[5:1 + n]
                    self.buf = self.buf[1 + n:]
                    return t, p
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk

    def until_ready(self):
        """Messages up to ReadyForQuery: (list of (type, payload), status)."""
        seen = []
        while True:
            t, p = self.read()
            if t == b"Z":
                return seen, p
            seen.append((t, p))

    def batch(self, *sqls):
        self.send(b"".join(stmt(s) for s in sqls) + SYNC)
        return self.until_ready()

    def query(self, sql):
        self.send(msg(b"Q", sql.encode() + b"\0"))
        return self.until_ready()


def errors(seen):
    return [fields(p) for t, p in seen if t == b"E"]


def notices(seen):
    return [fields(p) for t, p in seen if t == b"N"]


class ImplicitTransactionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if REFERENCE:
            cls.srv = None
            cls.port, cls.user, cls.password = int(REFERENCE), "postgres", ""
            cls.dsn = ("host=127.0.0.1 port=%s user=postgres dbname=do_eng" %
                       REFERENCE)
            return
        cls.srv = Server(args=["--set", "pg.auth=trust", "--set",
                               "pg.idle_in_transaction_timeout_ms=500"]
                         ).start()
        cls.port, cls.user, cls.password = cls.srv.pg_port, "themis", "themis"
        cls.dsn = ("host=127.0.0.1 port=%d user=themis password=themis "
                   "dbname=themis connect_timeout=10" % cls.srv.pg_port)

    @classmethod
    def tearDownClass(cls):
        if cls.srv:
            try:
                cls.srv.stop()
            finally:
                cls.srv.cleanup()

    def raw(self):
        r = Raw(self.port, self.user, self.password)
        self.addCleanup(r.close)
        return r

    def connect(self):
        c = psycopg.connect(self.dsn, autocommit=True)
        self.addCleanup(c.close)
        return c

    def table(self, name):
        c = self.connect()
        c.execute("DROP TABLE IF EXISTS %s" % name)
        c.execute("CREATE TABLE %s (id int PRIMARY KEY, v text)" % name)
        return c

    def ids(self, c, name):
        return [r[0] for r in c.execute("SELECT id FROM %s ORDER BY id" %
                                        name).fetchall()]

    # -- raw protocol ------------------------------------------------------
    def test_failing_batch_rolls_back_every_write(self):
        c = self.table("it_fail")
        r = self.raw()
        seen, status = r.batch("INSERT INTO it_fail VALUES (1, 'a')",
                               "INSERT INTO it_fail VALUES (2, 'b')",
                               "INSERT INTO it_fail VALUES (1, 'dup')",
                               "INSERT INTO it_fail VALUES (3, 'skipped')")
        self.assertEqual(status, b"I")
        errs = errors(seen)
        self.assertEqual(len(errs), 1, seen)
        self.assertEqual(errs[0]["C"], "23505")
        tags = [p for t, p in seen if t == b"C"]
        self.assertEqual(tags, [b"INSERT 0 1\0", b"INSERT 0 1\0"])
        self.assertEqual(self.ids(c, "it_fail"), [])
        # the session goes on: the next batch is a transaction of its own
        seen, status = r.batch("INSERT INTO it_fail VALUES (4, 'd')")
        self.assertEqual((errors(seen), status), ([], b"I"))
        self.assertEqual(self.ids(c, "it_fail"), [4])

    def test_good_batch_commits_together_and_reads_its_writes(self):
        c = self.table("it_good")
        r = self.raw()
        seen, status = r.batch("INSERT INTO it_good VALUES (1, 'a')",
                               "UPDATE it_good SET v = 'b' WHERE id = 1",
                               "SELECT v FROM it_good WHERE id = 1",
                               "INSERT INTO it_good VALUES (2, 'c')")
        self.assertEqual((errors(seen), status), ([], b"I"))
        rows = [p for t, p in seen if t == b"D"]
        self.assertEqual(len(rows), 1)
        self.assertTrue(rows[0].endswith(b"b"), rows)
        self.assertEqual(self.ids(c, "it_good"), [1, 2])

    def test_error_after_a_read_only_prefix(self):
        self.table("it_ro")
        r = self.raw()
        seen, status = r.batch("SELECT 1", "SELECT 1/0")
        self.assertEqual(status, b"I")
        self.assertEqual([e["C"] for e in errors(seen)], ["22012"])

    def test_begin_inside_a_batch_makes_it_explicit(self):
        c = self.table("it_begin")
        r = self.raw()
        seen, status = r.batch("INSERT INTO it_begin VALUES (1, 'a')",
                               "BEGIN",
                               "INSERT INTO it_begin VALUES (2, 'b')")
        self.assertEqual((errors(seen), status), ([], b"T"))
        seen, status = r.batch("ROLLBACK")
        self.assertEqual(status, b"I")
        # the block began with the batch: its first write rolls back too
        self.assertEqual(self.ids(c, "it_begin"), [])
        seen, status = r.batch("INSERT INTO it_begin VALUES (1, 'a')",
                               "BEGIN", "INSERT INTO it_begin VALUES (2, 'b')",
                               "COMMIT")
        self.assertEqual((errors(seen), status), ([], b"I"))
        self.assertEqual(self.ids(c, "it_begin"), [1, 2])

    def test_commit_inside_a_batch_commits(self):
        c = self.table("it_commit")
        r = self.raw()
        seen, status = r.batch("INSERT INTO it_commit VALUES (1, 'a')",
                               "COMMIT",
                               "INSERT INTO it_commit VALUES (2, 'b')",
                               "INSERT INTO it_commit VALUES (2, 'dup')")
        self.assertEqual(status, b"I")
        self.assertEqual([n["C"] for n in notices(seen)], ["25P01"])
        self.assertEqual([e["C"] for e in errors(seen)], ["23505"])
        self.assertEqual(self.ids(c, "it_commit"), [1])

    def test_error_in_an_explicit_block_keeps_the_block(self):
        c = self.table("it_block")
        r = self.raw()
        seen, status = r.query("BEGIN")
        self.assertEqual(status, b"T")
        seen, status = r.batch("INSERT INTO it_block VALUES (1, 'a')",
                               "INSERT INTO it_block VALUES (1, 'dup')")
        self.assertEqual(status, b"E")
        seen, status = r.batch("COMMIT")
        self.assertEqual(status, b"I")
        self.assertEqual(self.ids(c, "it_block"), [])

    def test_ddl_in_a_batch_is_seen_by_its_later_statements(self):
        c = self.connect()
        c.execute("DROP TABLE IF EXISTS it_ddl")
        r = self.raw()
        seen, status = r.batch("CREATE TABLE it_ddl (id int PRIMARY KEY)",
                               "INSERT INTO it_ddl VALUES (1)",
                               "INSERT INTO it_ddl VALUES (1)")
        self.assertEqual(status, b"I")
        self.assertEqual([e["C"] for e in errors(seen)], ["23505"])
        with self.assertRaises(psycopg.errors.UndefinedTable):
            c.execute("SELECT * FROM it_ddl")

    def test_stalled_batch_does_not_hold_the_writer(self):
        if REFERENCE:
            self.skipTest("themisd's writer timeout")
        c = self.table("it_stall")
        r = self.raw()
        # a write that is not the last message before Sync, then silence
        r.send(stmt("INSERT INTO it_stall VALUES (1, 'stalled')") +
               parse("SELECT 1"))
        # the INSERT has run (its CommandComplete is out) and holds the
        # writer before the other session writes
        seen = []
        while not seen or seen[-1][0] != b"C":
            seen.append(r.read())
        self.assertEqual(errors(seen), [])
        t0 = time.monotonic()
        c.execute("INSERT INTO it_stall VALUES (2, 'other')")
        waited = time.monotonic() - t0
        # it waited for the stalled batch until the writer gave up on it
        self.assertGreater(waited, 0.4)
        self.assertLess(waited, 10)
        r.send(SYNC)
        seen, status = r.until_ready()
        self.assertEqual(status, b"I")
        self.assertEqual([e["C"] for e in errors(seen)], ["25P03"])
        self.assertEqual(self.ids(c, "it_stall"), [2])
        seen, status = r.batch("SELECT 1")
        self.assertEqual((errors(seen), status), ([], b"I"))

    # -- psycopg 3 -----------------------------------------------------------
    def test_psycopg_pipeline_each_sync_is_a_transaction(self):
        c = self.table("it_pipe")
        with c.pipeline() as p:
            c.execute("INSERT INTO it_pipe VALUES (%s, %s)", (1, "a"))
            c.execute("INSERT INTO it_pipe VALUES (%s, %s)", (2, "b"))
            p.sync()
            # psycopg raises the error at whichever call first reads it:
            # the next execute() when the server answered quickly, else
            # sync(); either way the whole second batch is rolled back
            with self.assertRaises(psycopg.errors.UniqueViolation):
                c.execute("INSERT INTO it_pipe VALUES (%s, %s)", (3, "c"))
                c.execute("INSERT INTO it_pipe VALUES (%s, %s)", (1, "dup"))
                c.execute("INSERT INTO it_pipe VALUES (%s, %s)", (4, "d"))
                p.sync()
            # when the error surfaced at an execute(), the batch's later
            # results are still queued as aborted: drain them so the
            # pipeline's exit does not raise PipelineAborted
            try:
                p.sync()
            except psycopg.errors.PipelineAborted:
                pass
        with c.pipeline():
            c.execute("INSERT INTO it_pipe VALUES (%s, %s)", (5, "e"))
            cur = c.execute("SELECT count(*) FROM it_pipe")
        self.assertEqual(cur.fetchone()[0], 3)
        self.assertEqual(self.ids(c, "it_pipe"), [1, 2, 5])

    def test_psycopg_executemany_is_atomic(self):
        c = self.table("it_many")
        cur = c.cursor()
        cur.executemany("INSERT INTO it_many VALUES (%s, %s)",
                        [(i, "x") for i in range(1, 51)])
        self.assertEqual(len(self.ids(c, "it_many")), 50)
        with self.assertRaises(psycopg.errors.UniqueViolation):
            cur.executemany("INSERT INTO it_many VALUES (%s, %s)",
                            [(100, "a"), (101, "b"), (1, "dup"), (102, "c")])
        self.assertEqual(len(self.ids(c, "it_many")), 50)

    def test_psycopg_transaction_mode_still_works(self):
        c = self.table("it_txn")
        c.autocommit = False
        with c.pipeline():
            c.execute("INSERT INTO it_txn VALUES (1, 'a')")
            c.execute("INSERT INTO it_txn VALUES (2, 'b')")
        c.rollback()
        c.execute("INSERT INTO it_txn VALUES (3, 'c')")
        c.commit()
        c.autocommit = True
        self.assertEqual(self.ids(c, "it_txn"), [3])


if __name__ == "__main__":
    unittest.main()
