"""Where the Python driver/ORM scenarios of issue 36 run (test_pg_django,
test_pg_peewee, test_pg_asyncpg, test_pg_psycopg3, test_pg_psycopg2): a
themisd of the build started for the test class, or, with
THEMIS_PG_REFERENCE=[host:]port, a PostgreSQL 15 (user postgres, trust)
in a database `pyorm` that is created when missing — a scenario that
PostgreSQL fails is a scenario bug."""

import os

from themis_harness import Server

REFERENCE = os.environ.get("THEMIS_PG_REFERENCE")


class Target:
    """host, port, user, password, dbname of the server under test."""

    def __init__(self, reference_db="pyorm", server_args=(),
                 reference=True):
        """reference_db: the database used in the reference PostgreSQL
        (created when missing); reference=False keeps a class on themisd
        even when THEMIS_PG_REFERENCE is set (it needs REST, auth …)."""
        self.srv = None
        if REFERENCE and reference:
            host, _, port = REFERENCE.rpartition(":")
            self.host, self.port = host or "127.0.0.1", int(port)
            self.user, self.password = "postgres", ""
            self.dbname = reference_db
            self.reference = True
            self._ensure_db()
            return
        self.reference = False
        self.srv = Server(args=server_args).start()
        self.host, self.port = "127.0.0.1", self.srv.pg_port
        self.user = self.password = self.dbname = "themis"

    def _ensure_db(self):
        import psycopg2
        c = psycopg2.connect(host=self.host, port=self.port, user=self.user,
                             dbname="postgres", connect_timeout=10)
        c.autocommit = True
        cur = c.cursor()
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                    (self.dbname,))
        if not cur.fetchone():
            cur.execute('CREATE DATABASE "%s"' % self.dbname)
        c.close()

    def kw(self):
        """psycopg2 / psycopg 3 connect() keywords."""
        return dict(host=self.host, port=self.port, user=self.user,
                    password=self.password, dbname=self.dbname,
                    connect_timeout=10)

    def stop(self):
        if self.srv:
            try:
                self.srv.stop()
            finally:
                self.srv.cleanup()
