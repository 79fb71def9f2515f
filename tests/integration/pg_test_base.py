"""The common frame of the PostgreSQL-protocol tests: one real themisd per
test class, psycopg2 connections that close with the test, and query /
expected-error helpers (every wait bounded by connect_timeout and the
server's own limits)."""

import unittest

import psycopg2

from themis_harness import Server


class PgTest(unittest.TestCase):
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=cls.server_args).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def connect(self, autocommit=True, **kw):
        c = psycopg2.connect(host="127.0.0.1", port=self.srv.pg_port,
                             user=kw.pop("user", "themis"),
                             password=kw.pop("password", "themis"),
                             dbname=kw.pop("dbname", "themis"),
                             connect_timeout=10, **kw)
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
