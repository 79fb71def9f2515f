"""pg_dump -> psql / pg_restore round trips (issue 36): PostgreSQL 15's own
pg_dump reads a themisd database filled through psycopg2, and the plain,
custom and directory formats restore into a fresh themisd with the same
rows, columns, constraints, indexes and comments. With
THEMIS_PG_REFERENCE=[host:]port the same dump also restores into a fresh
database of that PostgreSQL 15, and PostgreSQL's dump of the same schema
restores into themisd. Every client runs as a subprocess with a timeout."""

import os
import shutil
import subprocess
import tempfile
import unittest
from decimal import Decimal

import psycopg2

from themis_harness import Server

BIN = "/usr/lib/postgresql/15/bin"
REFERENCE = os.environ.get("THEMIS_PG_REFERENCE")
TIMEOUT = 60

SCHEMA = [
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
    "CREATE TABLE parent (id integer PRIMARY KEY, name text NOT NULL "
    "UNIQUE, price numeric(12,2) DEFAULT 0, created timestamptz, "
    "m mood DEFAULT 'ok')",
    "CREATE TABLE child (id bigint PRIMARY KEY, pid integer REFERENCES "
    "parent(id) ON DELETE CASCADE, tags text[], nums integer[], "
    "amounts numeric[], doc jsonb, js json, raw bytea, d date, "
    "ts timestamp, f8 float8, f4 real, b boolean, u uuid, vc varchar(20), "
    "ch char(3), sm smallint CONSTRAINT child_sm_check CHECK (sm > 0), "
    "big numeric, t time)",
    "CREATE INDEX child_pid_idx ON child (pid)",
    "CREATE UNIQUE INDEX child_vc_idx ON child (vc)",
    "CREATE TABLE pair (a integer NOT NULL, b text NOT NULL, "
    "note text DEFAULT 'none', PRIMARY KEY (a, b))",
    "COMMENT ON TABLE parent IS 'the parents'",
    "COMMENT ON COLUMN parent.name IS 'it''s a name'",
    "COMMENT ON COLUMN child.doc IS E'multi\\nline'",
]

TEXTS = ["plain", "it's", 'dq"uote', "back\\slash", "new\nline", "tab\there",
         "cr\rx", "\\N", "", "ünïcödé ✓", "{braces}", "a,b", "NULL"]


def fill(conn):
    cur = conn.cursor()
    for s in SCHEMA:
        cur.execute(s)
    for i, t in enumerate(TEXTS):
        cur.execute(
            "INSERT INTO parent VALUES (%s, %s, %s, %s, %s)",
            (i + 1, t, None if i % 4 == 3 else "%d.%02d" % (i * 7, i),
             None if i % 5 == 4 else
             "2024-02-%02d 10:11:12.345678+00" % (i + 1),
             ["sad", "ok", "happy"][i % 3]))
    rows = [
        (1, 1, ["x", "y z", None, 'q"t', "b\\s", ""], [1, -2, None],
         [Decimal("12.50"), Decimal("-0.001")], '{"a": [1, 2], "s": "x\\ny", "n": null}',
         '{"k": "v"}', b"\x00\xff\\\n'", "2024-01-02",
         "2024-01-02 03:04:05.5", 1.5, 2.25, True,
         "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "hello", "abc", 3,
         "123456789012345678901234567890.123456789", "13:14:15"),
        (2, None) + (None,) * 17,
        (3, 2, [], [], [], "[]", "[]", b"", "0001-01-01",
         "9999-12-31 23:59:59", -0.0, 1e-30, False,
         "00000000-0000-0000-0000-000000000000", "", "a  ", 32767,
         "-1e-20", "00:00:00"),
    ]
    for r in rows:
        cur.execute("INSERT INTO child VALUES (" +
                    ", ".join(["%s"] * 19) + ")", r)
    for a in range(3):
        for b in ("x", "y"):
            cur.execute("INSERT INTO pair (a, b) VALUES (%s, %s)", (a, b))


def run(cmd, env=None, stdin=None):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                       env=dict(os.environ, **(env or {})), input=stdin)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (cmd[0], r.returncode,
                                                     r.stderr[-3000:]))
    return r.stdout


class Target:
    """A database to dump from or restore into: a themisd or a database of
    the reference PostgreSQL."""

    def __init__(self, server=None, reference_db=None):
        self.srv = server
        if server:
            self.host, self.port = "127.0.0.1", server.pg_port
            self.user, self.password, self.db = "themis", "themis", "themis"
        else:
            host, _, port = REFERENCE.rpartition(":")
            self.host, self.port = host or "127.0.0.1", int(port)
            self.user, self.password, self.db = "postgres", "", reference_db

    def args(self):
        return ["-h", self.host, "-p", str(self.port), "-U", self.user,
                "-d", self.db]

    def env(self):
        return {"PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "10"}

    def connect(self):
        c = psycopg2.connect(host=self.host, port=self.port, user=self.user,
                             password=self.password, dbname=self.db,
                             connect_timeout=10)
        c.autocommit = True
        return c


def fresh_reference_db(name):
    host, _, port = REFERENCE.rpartition(":")
    c = psycopg2.connect(host=host or "127.0.0.1", port=int(port),
                         user="postgres", dbname="postgres",
                         connect_timeout=10)
    c.autocommit = True
    cur = c.cursor()
    cur.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    cur.execute("CREATE DATABASE %s" % name)
    # the dump's OWNER TO names themisd's role
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = 'themis'")
    if not cur.fetchone():
        cur.execute("CREATE ROLE themis")
    c.close()
    return Target(reference_db=name)


def snapshot(t, tables=("parent", "child", "pair")):
    """Everything compared after a restore: rows, columns, constraints,
    indexes, comments."""
    c = t.connect()
    cur = c.cursor()
    out = {}
    for tab in tables:
        cur.execute("SELECT * FROM %s ORDER BY 1, 2" % tab)
        out["rows:" + tab] = [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
            for r in cur.fetchall()]
    cur.execute(
        "SELECT table_name, column_name, ordinal_position, data_type, "
        "is_nullable, numeric_precision, numeric_scale "
        "FROM information_schema.columns WHERE table_schema = 'public' "
        "ORDER BY 1, 3")
    out["columns"] = cur.fetchall()
    cur.execute(
        "SELECT c.relname, k.conname, k.contype, "
        "pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' ORDER BY 1, 2")
    out["constraints"] = cur.fetchall()
    cur.execute("SELECT tablename, indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = 'public' ORDER BY 1, 2")
    out["indexes"] = cur.fetchall()
    cur.execute(
        "SELECT c.relname, obj_description(c.oid, 'pg_class'), "
        "col_description(c.oid, 1), col_description(c.oid, 2), "
        "col_description(c.oid, 6) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1")
    out["comments"] = cur.fetchall()
    cur.execute("SELECT e.enumlabel FROM pg_enum e JOIN pg_type t "
                "ON t.oid = e.enumtypid WHERE t.typname = 'mood' "
                "ORDER BY e.enumsortorder")
    out["enum"] = cur.fetchall()
    cur.execute("SELECT column_default FROM information_schema.columns "
                "WHERE table_name = 'parent' AND column_name = 'price'")
    out["default"] = cur.fetchall()
    c.close()
    return out


@unittest.skipUnless(os.path.exists(BIN + "/pg_dump"),
                     "PostgreSQL 15 client binaries not installed")
class PgDumpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = []
        cls.tmp = tempfile.mkdtemp(prefix="themis_dump_")
        cls.src = cls.themisd()
        c = cls.src.connect()
        fill(c)
        c.close()
        cls.expected = snapshot(cls.src)

    @classmethod
    def themisd(cls):
        srv = Server().start()
        cls.servers.append(srv)
        return Target(server=srv)

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            try:
                s.stop()
            finally:
                s.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def dump(self, src, fmt, *extra):
        path = os.path.join(self.tmp, "dump_%s_%d" % (fmt, len(os.listdir(
            self.tmp))))
        run([BIN + "/pg_dump", "-F" + fmt, "-f", path] + list(extra) +
            src.args(), env=src.env())
        return path

    def restore(self, path, fmt, dst, *extra):
        if fmt == "p":
            run([BIN + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f",
                 path] + dst.args(), env=dst.env())
        else:
            run([BIN + "/pg_restore", "--exit-on-error"] + list(extra) +
                dst.args() + [path], env=dst.env())

    def assertSame(self, got, want):
        for k in want:
            self.assertEqual(got[k], want[k], k)

    def test_plain_into_themisd(self):
        path = self.dump(self.src, "p")
        with open(path) as f:
            text = f.read()
        for needle in ("COMMENT ON TABLE public.parent IS 'the parents'",
                       "CREATE TYPE public.mood AS ENUM",
                       "ADD CONSTRAINT child_pid_fkey FOREIGN KEY (pid) "
                       "REFERENCES public.parent(id) ON DELETE CASCADE",
                       "COPY public.child (id, pid, tags"):
            self.assertIn(needle, text)
        dst = self.themisd()
        self.restore(path, "p", dst)
        self.assertSame(snapshot(dst), self.expected)
        # the restored constraints work
        c = dst.connect()
        with self.assertRaises(psycopg2.Error) as cm:
            c.cursor().execute("INSERT INTO child (id, pid) VALUES (99, 999)")
        self.assertEqual(cm.exception.pgcode, "23503")
        with self.assertRaises(psycopg2.Error) as cm:
            c.cursor().execute("INSERT INTO child (id, sm) VALUES (98, 0)")
        self.assertEqual(cm.exception.pgcode, "23514")
        c.close()

    def test_custom_into_themisd(self):
        path = self.dump(self.src, "c")
        dst = self.themisd()
        self.restore(path, "c", dst)
        self.assertSame(snapshot(dst), self.expected)
        # pg_restore's listing reads the archive's table of contents
        toc = run([BIN + "/pg_restore", "-l", path])
        self.assertIn("TABLE DATA public child", toc)

    def test_directory_schema_then_data(self):
        path = self.dump(self.src, "d")  # -j needs pg_export_snapshot()
        dst = self.themisd()
        self.restore(path, "d", dst, "--schema-only")
        c = dst.connect()
        cur = c.cursor()
        cur.execute("SELECT count(*) FROM child")
        self.assertEqual(cur.fetchone()[0], 0)
        c.close()
        # data in foreign-key order, as pg_dump --data-only sorts it
        data = self.dump(self.src, "p", "--data-only")
        self.restore(data, "p", dst)
        self.assertSame(snapshot(dst), self.expected)

    def test_one_table(self):
        path = self.dump(self.src, "p", "-t", "pair")
        dst = self.themisd()
        self.restore(path, "p", dst)
        self.assertEqual(snapshot(dst, ("pair",))["rows:pair"],
                         self.expected["rows:pair"])

    def test_dump_sees_one_snapshot(self):
        """pg_dump's REPEATABLE READ transaction: rows committed after its
        first read are not in the dump, even for tables it copies later."""
        c = self.src.connect()
        r = self.src.connect()
        cur, rc = c.cursor(), r.cursor()
        rc.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        rc.execute("SELECT count(*) FROM pair")
        before = rc.fetchone()[0]
        cur.execute("INSERT INTO pair (a, b) VALUES (100, 'late')")
        rc.execute("SELECT count(*) FROM pair")
        self.assertEqual(rc.fetchone()[0], before)
        rc.execute("COMMIT")
        rc.execute("SELECT count(*) FROM pair")
        self.assertEqual(rc.fetchone()[0], before + 1)
        # a plain BEGIN reads the latest commit per statement
        rc.execute("BEGIN")
        rc.execute("SELECT count(*) FROM pair")
        cur.execute("DELETE FROM pair WHERE a = 100")
        rc.execute("SELECT count(*) FROM pair")
        self.assertEqual(rc.fetchone()[0], before)
        rc.execute("COMMIT")
        c.close()
        r.close()

    def test_statements_errors(self):
        c = self.src.connect()
        cur = c.cursor()
        for sql, state in [
                ("LOCK TABLE parent IN ACCESS SHARE MODE", "25P01"),
                ("COMMENT ON TABLE nope IS 'x'", "42P01"),
                ("COMMENT ON COLUMN parent.nope IS 'x'", "42703"),
                ("COMMENT ON CONSTRAINT nope ON parent IS 'x'", "42704"),
                ("ALTER TABLE parent OWNER TO nobody", "42704"),
                ("ALTER TYPE nope OWNER TO themis", "42704")]:
            with self.assertRaises(psycopg2.Error, msg=sql) as cm:
                cur.execute(sql)
            self.assertEqual(cm.exception.pgcode, state, sql)
        cur.execute("BEGIN")
        cur.execute("LOCK TABLE parent, child IN ACCESS EXCLUSIVE MODE")
        with self.assertRaises(psycopg2.Error) as cm:
            cur.execute("LOCK TABLE nope")
        self.assertEqual(cm.exception.pgcode, "42P01")
        cur.execute("ROLLBACK")
        # an empty comment removes it, as in PostgreSQL
        cur.execute("CREATE TABLE tmp_c (x int)")
        cur.execute("COMMENT ON TABLE tmp_c IS 'x'")
        cur.execute("SELECT obj_description('tmp_c'::regclass, 'pg_class')")
        self.assertEqual(cur.fetchone()[0], "x")
        cur.execute("COMMENT ON TABLE tmp_c IS ''")
        cur.execute("SELECT obj_description('tmp_c'::regclass, 'pg_class')")
        self.assertIsNone(cur.fetchone()[0])
        cur.execute("DROP TABLE tmp_c")
        c.close()

    def test_serial_view_function_sequence(self):
        """A serial column (its sequence and SET DEFAULT after the data),
        a view, an SQL function and a sequence restore and go on counting
        where the source stopped."""
        src = self.themisd()
        c = src.connect()
        cur = c.cursor()
        for sql in [
                "CREATE TABLE s (id serial PRIMARY KEY, v text)",
                "INSERT INTO s (v) VALUES ('a'), ('b')",
                "CREATE VIEW sv AS SELECT id, v FROM s WHERE id > 1",
                "CREATE FUNCTION addone(x integer) RETURNS integer "
                "LANGUAGE sql AS $$ SELECT x + 1 $$",
                "CREATE SEQUENCE extra_seq START 5",
                "SELECT nextval('extra_seq')"]:
            cur.execute(sql)
        c.close()
        targets = [("p", self.themisd()), ("c", self.themisd())]
        if REFERENCE:
            targets.append(("p", fresh_reference_db("themis_dump_objs")))
        for fmt, dst in targets:
            path = self.dump(src, fmt)
            self.restore(path, fmt, dst)
            c = dst.connect()
            cur = c.cursor()
            cur.execute("INSERT INTO s (v) VALUES ('c') RETURNING id")
            self.assertEqual(cur.fetchone()[0], 3)
            cur.execute("SELECT id, v FROM sv ORDER BY id")
            self.assertEqual(cur.fetchall(), [(2, "b"), (3, "c")])
            cur.execute("SELECT addone(41), nextval('extra_seq')")
            self.assertEqual(cur.fetchone(), (42, 6))
            c.close()

    @unittest.skipUnless(REFERENCE, "THEMIS_PG_REFERENCE not set")
    def test_into_postgresql(self):
        for fmt in ("p", "c"):
            path = self.dump(self.src, fmt)
            dst = fresh_reference_db("themis_dump_rt_" + fmt)
            self.restore(path, fmt, dst)
            self.assertSame(snapshot(dst), self.expected)

    @unittest.skipUnless(REFERENCE, "THEMIS_PG_REFERENCE not set")
    def test_from_postgresql(self):
        src = fresh_reference_db("themis_dump_src")
        c = src.connect()
        fill(c)
        c.close()
        want = snapshot(src)
        for fmt in ("p", "c"):
            # PostgreSQL's objects belong to postgres, a role themisd
            # does not have (42704): restored without their owners
            path = self.dump(src, fmt, "--no-owner")
            dst = self.themisd()
            self.restore(path, fmt, dst, *(["--no-owner"] if fmt == "c"
                                           else []))
            got = snapshot(dst)
            for k in ("rows:parent", "rows:child", "rows:pair", "comments",
                      "enum"):
                self.assertEqual(got[k], want[k], k)


if __name__ == "__main__":
    unittest.main()
