"""The common frame of the PostgreSQL-protocol tests: one real themisd per
test class (or, for a class naming a reference_db, the PostgreSQL 15 of
THEMIS_PG_REFERENCE), psycopg2 connections that close with the test, and query /
expected-error helpers (every wait bounded by connect_timeout and the
server's own limits)."""

import unittest

import psycopg2

from pg_client_target import Target


class PgTest(unittest.TestCase):
    server_args = ()
    # A class whose scenarios PostgreSQL 15 must pass too names its
    # database there: with THEMIS_PG_REFERENCE=[host:]port it then runs
    # against that server (self.srv is None) instead of a themisd.
    reference_db = None

    @classmethod
    def setUpClass(cls):
        cls.t = Target(reference_db=cls.reference_db or "pyorm",
                       server_args=cls.server_args,
                       reference=cls.reference_db is not None)
        cls.srv = cls.t.srv

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def dsn(self):
        """host, port, user, password, dbname of the server under test."""
        return dict(host=self.t.host, port=self.t.port, user=self.t.user,
                    password=self.t.password, dbname=self.t.dbname)

    def connect(self, autocommit=True, **kw):
        d = self.dsn()
        for k in ("user", "password", "dbname"):
            if k in kw:
                d[k] = kw.pop(k)
        c = psycopg2.connect(connect_timeout=10, **d, **kw)
        c.autocommit = autocommit
        self.addCleanup(c.close)
        return c

    def q(self, conn, sql, args=None):
        """Rows of a statement (None when it returns none)."""
        cur = conn.cursor()
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None

    def fails(self, conn, sql, state, args=None):
        """The error a statement must end with (its SQLSTATE checked)."""
        with self.assertRaises(psycopg2.Error) as cm:
            self.q(conn, sql, args)
        self.assertEqual(cm.exception.pgcode, state, str(cm.exception))
        return cm.exception
