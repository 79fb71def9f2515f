"""The PostgreSQL system catalog as reflection tools read it (issue 36):
SQLAlchemy 1.4's Inspector (Debian python3-sqlalchemy) and Alembic's
migrations and autogenerate (python3-alembic) against a live themisd.

Every expectation below is what PostgreSQL 15 answers: with
THEMIS_PG_REFERENCE=host:port (or just port) the same scenarios run against
that PostgreSQL (user postgres, trust, database `catalog`, which the test
empties of its own tables first), to check them."""

import os
import shutil
import tempfile
import textwrap
import unittest

import sqlalchemy as sa
from sqlalchemy import inspect

from themis_harness import Server

REFERENCE = os.environ.get("THEMIS_PG_REFERENCE")

SCHEMA = [
    "CREATE TABLE cat_parent (id serial PRIMARY KEY, "
    "name varchar(50) NOT NULL UNIQUE, price numeric(10,2) DEFAULT 0, "
    "created timestamp DEFAULT now(), note text, big bigint, "
    "flag boolean DEFAULT false, label text DEFAULT 'x')",
    "CREATE TABLE cat_child (id bigserial PRIMARY KEY, "
    "parent_id integer NOT NULL REFERENCES cat_parent(id) ON DELETE CASCADE, "
    "qty integer CHECK (qty > 0), code char(3), "
    "CONSTRAINT uq_child UNIQUE (parent_id, code))",
    "CREATE TABLE cat_link (a integer, b integer, "
    "PRIMARY KEY (a, b), CONSTRAINT fk_link FOREIGN KEY (a) "
    "REFERENCES cat_parent(id) ON UPDATE SET NULL DEFERRABLE INITIALLY "
    "DEFERRED)",
    "CREATE INDEX ix_child_qty ON cat_child (qty, code)",
    "CREATE UNIQUE INDEX ux_parent_note ON cat_parent (note)",
]
TABLES = ["cat_link", "cat_child", "cat_parent"]


def reference_kw():
    host, _, port = REFERENCE.rpartition(":")
    return dict(host=host or "127.0.0.1", port=int(port), user="postgres",
                dbname="catalog")


def url_of(kw):
    pw = (":" + kw["password"]) if kw.get("password") else ""
    return "postgresql+psycopg2://%s%s@%s:%d/%s" % (
        kw["user"], pw, kw["host"], kw["port"], kw["dbname"])


def new_target():
    """(url, server or None): a fresh database to create tables in."""
    if REFERENCE:
        return url_of(reference_kw()), None
    srv = Server().start()
    return url_of(dict(host="127.0.0.1", port=srv.pg_port, user="themis",
                       password="themis", dbname="themis")), srv


def engine(url):
    return sa.create_engine(url, connect_args={"connect_timeout": 10},
                            poolclass=sa.pool.NullPool)


def drop_all(url, names):
    with engine(url).connect() as c:
        for n in names:
            c.execute(sa.text("DROP TABLE IF EXISTS %s CASCADE" % n))


class InspectorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url, cls.srv = new_target()
        drop_all(cls.url, TABLES)
        with engine(cls.url).connect() as c:
            for s in SCHEMA:
                c.execute(sa.text(s))
        cls.eng = engine(cls.url)

    @classmethod
    def tearDownClass(cls):
        if cls.srv:
            try:
                cls.srv.stop()
            finally:
                cls.srv.cleanup()

    def insp(self):
        return inspect(self.eng)

    def test_tables_and_has_table(self):
        i = self.insp()
        self.assertTrue(set(TABLES) <= set(i.get_table_names()))
        self.assertTrue(i.has_table("cat_parent"))
        self.assertFalse(i.has_table("cat_nope"))
        self.assertEqual(i.get_view_names(), [])
        self.assertEqual(i.get_enums(), [])
        self.assertEqual(i.get_table_comment("cat_parent"), {"text": None})
        self.assertTrue({"cat_parent_id_seq", "cat_child_id_seq"} <=
                        set(i.get_sequence_names()))
        self.assertTrue(i.has_sequence("cat_parent_id_seq"))

    def test_columns(self):
        cols = self.insp().get_columns("cat_parent")
        got = [(c["name"], str(c["type"]), c["nullable"], c["default"],
                c["autoincrement"]) for c in cols]
        self.assertEqual(got, [
            ("id", "INTEGER", False,
             "nextval('cat_parent_id_seq'::regclass)", True),
            ("name", "VARCHAR(50)", False, None, False),
            ("price", "NUMERIC(10, 2)", True, "0", False),
            ("created", "TIMESTAMP", True, "now()", False),
            ("note", "TEXT", True, None, False),
            ("big", "BIGINT", True, None, False),
            ("flag", "BOOLEAN", True, "false", False),
            ("label", "TEXT", True, "'x'::text", False)])
        cols = self.insp().get_columns("cat_child")
        self.assertEqual([(c["name"], str(c["type"])) for c in cols],
                         [("id", "BIGINT"), ("parent_id", "INTEGER"),
                          ("qty", "INTEGER"), ("code", "CHAR(3)")])

    def test_keys(self):
        i = self.insp()
        self.assertEqual(i.get_pk_constraint("cat_parent"),
                         {"constrained_columns": ["id"],
                          "name": "cat_parent_pkey"})
        self.assertEqual(i.get_pk_constraint("cat_link"),
                         {"constrained_columns": ["a", "b"],
                          "name": "cat_link_pkey"})
        self.assertEqual(i.get_foreign_keys("cat_child"), [{
            "name": "cat_child_parent_id_fkey",
            "constrained_columns": ["parent_id"], "referred_schema": None,
            "referred_table": "cat_parent", "referred_columns": ["id"],
            "options": {"ondelete": "CASCADE"}}])
        self.assertEqual(i.get_foreign_keys("cat_link"), [{
            "name": "fk_link", "constrained_columns": ["a"],
            "referred_schema": None, "referred_table": "cat_parent",
            "referred_columns": ["id"],
            "options": {"onupdate": "SET NULL", "deferrable": True,
                        "initially": "DEFERRED"}}])
        self.assertEqual(i.get_foreign_keys("cat_parent"), [])

    def test_indexes_and_constraints(self):
        i = self.insp()
        ix = sorted(i.get_indexes("cat_child"), key=lambda x: x["name"])
        self.assertEqual([(x["name"], x["unique"], x["column_names"],
                           x.get("duplicates_constraint")) for x in ix],
                         [("ix_child_qty", False, ["qty", "code"], None),
                          ("uq_child", True, ["parent_id", "code"],
                           "uq_child")])
        ix = sorted(i.get_indexes("cat_parent"), key=lambda x: x["name"])
        self.assertEqual([(x["name"], x["unique"], x["column_names"],
                           x.get("duplicates_constraint")) for x in ix],
                         [("cat_parent_name_key", True, ["name"],
                           "cat_parent_name_key"),
                          ("ux_parent_note", True, ["note"], None)])
        self.assertEqual(i.get_unique_constraints("cat_parent"),
                         [{"name": "cat_parent_name_key",
                           "column_names": ["name"]}])
        self.assertEqual(i.get_unique_constraints("cat_child"),
                         [{"name": "uq_child",
                           "column_names": ["parent_id", "code"]}])
        self.assertEqual(i.get_check_constraints("cat_child"),
                         [{"name": "cat_child_qty_check",
                           "sqltext": "qty > 0"}])
        self.assertEqual(i.get_check_constraints("cat_parent"), [])

    def test_catalog_column_types(self):
        """Drivers decode by type OID: int2[], int2vector, oidvector."""
        with self.eng.connect() as c:
            r = c.execute(sa.text(
                "SELECT conkey, confkey FROM pg_constraint "
                "WHERE conname = 'cat_child_parent_id_fkey'")).fetchone()
            self.assertEqual((r[0], r[1]), ([2], [1]))
            r = c.execute(sa.text(
                "SELECT indkey::text, indclass::text, indexprs, indpred, "
                "indnkeyatts FROM pg_index "
                "WHERE indexrelid = 'uq_child'::regclass")).fetchone()
            self.assertEqual(tuple(r), ("2 4", "1978 10004", None, None, 2))
            r = c.execute(sa.text(
                "SELECT relkind FROM pg_class WHERE relname = "
                "'cat_parent_id_seq'")).fetchone()
            self.assertEqual(r[0], "S")
            r = c.execute(sa.text(
                "SELECT seqtypid, seqstart, seqincrement, seqmax, seqmin, "
                "seqcycle FROM pg_sequence s JOIN pg_class c "
                "ON c.oid = s.seqrelid WHERE c.relname = 'cat_child_id_seq'"
            )).fetchone()
            self.assertEqual(tuple(r), (20, 1, 1, 9223372036854775807, 1,
                                        False))
            r = c.execute(sa.text(
                "SELECT pg_get_serial_sequence('cat_parent', 'id'), "
                "pg_get_serial_sequence('public.cat_child', 'id'), "
                "pg_get_serial_sequence('cat_parent', 'name')")).fetchone()
            self.assertEqual(tuple(r), ("public.cat_parent_id_seq",
                                        "public.cat_child_id_seq", None))
            r = c.execute(sa.text(
                "SELECT rolname, rolsuper, rolinherit, rolcanlogin, "
                "rolconnlimit, rolvaliduntil FROM pg_roles "
                "WHERE rolname = current_user")).fetchone()
            self.assertEqual(tuple(r)[1:], (True, True, True, -1, None))

    def test_information_schema_constraints(self):
        q = {
            "table_constraints":
                "SELECT constraint_name, table_name, constraint_type, "
                "is_deferrable, initially_deferred, nulls_distinct FROM "
                "information_schema.table_constraints WHERE table_name "
                "LIKE 'cat_%' AND constraint_name NOT LIKE '%not_null' "
                "ORDER BY 1",
            "key_column_usage":
                "SELECT constraint_name, column_name, ordinal_position, "
                "position_in_unique_constraint FROM "
                "information_schema.key_column_usage WHERE table_name "
                "LIKE 'cat_%' ORDER BY 1, 3",
            "constraint_column_usage":
                "SELECT table_name, column_name, constraint_name FROM "
                "information_schema.constraint_column_usage WHERE "
                "constraint_name IN ('fk_link', 'uq_child', "
                "'cat_child_qty_check') ORDER BY 3, 2",
            "referential_constraints":
                "SELECT constraint_name, unique_constraint_name, "
                "match_option, update_rule, delete_rule FROM "
                "information_schema.referential_constraints WHERE "
                "constraint_name IN ('fk_link', 'cat_child_parent_id_fkey') "
                "ORDER BY 1"}
        want = {
            "table_constraints": [
                ("cat_child_parent_id_fkey", "cat_child", "FOREIGN KEY",
                 "NO", "NO", None),
                ("cat_child_pkey", "cat_child", "PRIMARY KEY", "NO", "NO",
                 None),
                ("cat_child_qty_check", "cat_child", "CHECK", "NO", "NO",
                 None),
                ("cat_link_pkey", "cat_link", "PRIMARY KEY", "NO", "NO",
                 None),
                ("cat_parent_name_key", "cat_parent", "UNIQUE", "NO", "NO",
                 "YES"),
                ("cat_parent_pkey", "cat_parent", "PRIMARY KEY", "NO", "NO",
                 None),
                ("fk_link", "cat_link", "FOREIGN KEY", "YES", "YES", None),
                ("uq_child", "cat_child", "UNIQUE", "NO", "NO", "YES")],
            "key_column_usage": [
                ("cat_child_parent_id_fkey", "parent_id", 1, 1),
                ("cat_child_pkey", "id", 1, None),
                ("cat_link_pkey", "a", 1, None),
                ("cat_link_pkey", "b", 2, None),
                ("cat_parent_name_key", "name", 1, None),
                ("cat_parent_pkey", "id", 1, None),
                ("fk_link", "a", 1, 1),
                ("uq_child", "parent_id", 1, None),
                ("uq_child", "code", 2, None)],
            "constraint_column_usage": [
                ("cat_child", "qty", "cat_child_qty_check"),
                ("cat_parent", "id", "fk_link"),
                ("cat_child", "code", "uq_child"),
                ("cat_child", "parent_id", "uq_child")],
            "referential_constraints": [
                ("cat_child_parent_id_fkey", "cat_parent_pkey", "NONE",
                 "NO ACTION", "CASCADE"),
                ("fk_link", "cat_parent_pkey", "NONE", "SET NULL",
                 "NO ACTION")]}
        with self.eng.connect() as c:
            for k, sql in q.items():
                self.assertEqual([tuple(r) for r in c.execute(sa.text(sql))],
                                 want[k], k)

    def test_reflect_and_create_all_elsewhere(self):
        """MetaData.reflect() then create_all into an empty database gives
        the same tables, as the Inspector sees them."""
        md = sa.MetaData()
        md.reflect(bind=self.eng, only=TABLES)
        url2, srv2 = (self.url, None) if REFERENCE else new_target()
        try:
            if REFERENCE:  # the same database: rename into copies
                return
            md.create_all(engine(url2))
            a, b = self.insp(), inspect(engine(url2))

            def shape(i, t):
                return (
                    [(c["name"], str(c["type"]), c["nullable"], c["default"])
                     for c in i.get_columns(t)],
                    i.get_pk_constraint(t),
                    sorted((f["name"], f["constrained_columns"],
                            f["referred_table"], f["referred_columns"])
                           for f in i.get_foreign_keys(t)),
                    sorted((x["name"], x["unique"], x["column_names"])
                           for x in i.get_indexes(t)),
                    sorted(x["name"] for x in i.get_unique_constraints(t)),
                    sorted((x["name"], x["sqltext"])
                           for x in i.get_check_constraints(t)))
            for t in TABLES:
                self.assertEqual(shape(a, t), shape(b, t), t)
        finally:
            if srv2:
                srv2.stop()
                srv2.cleanup()


class PsqlTest(unittest.TestCase):
    """psql's describe commands print without errors and with the
    constraints, foreign keys both ways, indexes and defaults."""

    @classmethod
    def setUpClass(cls):
        cls.psql = shutil.which("psql")
        if not cls.psql:
            raise unittest.SkipTest("psql not installed")
        cls.url, cls.srv = new_target()
        drop_all(cls.url, TABLES)
        with engine(cls.url).connect() as c:
            for s in SCHEMA:
                c.execute(sa.text(s))
        if REFERENCE:
            kw = reference_kw()
            cls.args = ["-h", kw["host"], "-p", str(kw["port"]), "-U",
                        "postgres", "catalog"]
            cls.env = dict(os.environ)
        else:
            cls.args = ["-h", "127.0.0.1", "-p", str(cls.srv.pg_port), "-U",
                        "themis", "themis"]
            cls.env = dict(os.environ, PGPASSWORD="themis")

    @classmethod
    def tearDownClass(cls):
        if cls.srv:
            try:
                cls.srv.stop()
            finally:
                cls.srv.cleanup()

    def run_psql(self, cmd):
        import subprocess
        p = subprocess.run([self.psql, "-X", "-v", "ON_ERROR_STOP=1", "-c",
                            cmd] + self.args, capture_output=True, text=True,
                           timeout=30, env=self.env)
        self.assertEqual(p.returncode, 0, cmd + ": " + p.stderr)
        self.assertNotIn("ERROR", p.stderr, cmd)
        return p.stdout

    def test_describe_table(self):
        out = self.run_psql("\\d+ cat_child")
        for want in ['Table "public.cat_child"',
                     "nextval('cat_child_id_seq'::regclass)",
                     '"cat_child_pkey" PRIMARY KEY, btree (id)',
                     '"ix_child_qty" btree (qty, code)',
                     '"uq_child" UNIQUE CONSTRAINT, btree (parent_id, code)',
                     '"cat_child_qty_check" CHECK (qty > 0)',
                     '"cat_child_parent_id_fkey" FOREIGN KEY (parent_id) '
                     'REFERENCES cat_parent(id) ON DELETE CASCADE',
                     "Access method: heap"]:
            self.assertIn(want, out)
        self.assertRegex(out, r"code\s+\| character\(3\)\s+\|.*extended")
        out = self.run_psql("\\d cat_parent")
        self.assertIn("Referenced by:", out)
        self.assertIn('"ux_parent_note" UNIQUE, btree (note)', out)
        self.assertIn("false", out)

    def test_other_describe_commands(self):
        self.assertIn("Superuser", self.run_psql("\\du"))
        self.assertIn("plpgsql", self.run_psql("\\dx"))
        self.assertIn("cat_parent_id_seq", self.run_psql("\\ds"))
        out = self.run_psql("\\di+")
        self.assertIn("ix_child_qty", out)
        self.assertIn("public", self.run_psql("\\dn+"))
        for cmd in ["\\df+", "\\dT", "\\dv", "\\l+", "\\dt+"]:
            self.run_psql(cmd)


MIGRATIONS = {
    "m1_create.py": '''
        import sqlalchemy as sa
        from alembic import op
        revision = "m1"
        down_revision = None

        def upgrade():
            op.create_table(
                "mg_author",
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("name", sa.String(80), nullable=False),
                sa.Column("email", sa.String(120), unique=True),
                sa.Column("active", sa.Boolean, nullable=False,
                          server_default=sa.text("true")))
            op.create_table(
                "mg_book",
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("author_id", sa.Integer,
                          sa.ForeignKey("mg_author.id", ondelete="CASCADE"),
                          nullable=False),
                sa.Column("title", sa.String(200), nullable=False),
                sa.Column("pages", sa.Integer, server_default="0"),
                sa.UniqueConstraint("author_id", "title",
                                    name="uq_book_title"))
            op.create_index("ix_book_title", "mg_book", ["title"])

        def downgrade():
            op.drop_index("ix_book_title", table_name="mg_book")
            op.drop_table("mg_book")
            op.drop_table("mg_author")
        ''',
    "m2_alter.py": '''
        import sqlalchemy as sa
        from alembic import op
        revision = "m2"
        down_revision = "m1"

        def upgrade():
            op.add_column("mg_book", sa.Column("isbn", sa.String(20)))
            op.create_index("ix_book_isbn", "mg_book", ["isbn"], unique=True)
            op.alter_column("mg_book", "title", nullable=True)
            op.alter_column("mg_book", "pages", server_default="1")
            op.drop_constraint("uq_book_title", "mg_book", type_="unique")

        def downgrade():
            op.create_unique_constraint("uq_book_title", "mg_book",
                                        ["author_id", "title"])
            op.alter_column("mg_book", "pages", server_default="0")
            op.alter_column("mg_book", "title", nullable=False)
            op.drop_index("ix_book_isbn", table_name="mg_book")
            op.drop_column("mg_book", "isbn")
        ''',
}

ENV_PY = '''
from alembic import context
import sqlalchemy as sa

url = context.config.get_main_option("sqlalchemy.url")
eng = sa.create_engine(url, poolclass=sa.pool.NullPool,
                       connect_args={"connect_timeout": 10})
with eng.connect() as conn:
    context.configure(connection=conn, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
'''


def head_metadata(m2):
    md = sa.MetaData()
    sa.Table("mg_author", md,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String(80), nullable=False),
             sa.Column("email", sa.String(120), unique=True),
             sa.Column("active", sa.Boolean, nullable=False,
                       server_default=sa.text("true")))
    cols = [sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("author_id", sa.Integer,
                      sa.ForeignKey("mg_author.id", ondelete="CASCADE"),
                      nullable=False),
            sa.Column("title", sa.String(200), nullable=m2),
            sa.Column("pages", sa.Integer, server_default="0")]
    if m2:
        cols[2] = sa.Column("title", sa.String(200), nullable=True)
        cols.append(sa.Column("isbn", sa.String(20)))
        t = sa.Table("mg_book", md, *cols)
        sa.Index("ix_book_isbn", t.c.isbn, unique=True)
    else:
        t = sa.Table("mg_book", md, *cols,
                     sa.UniqueConstraint("author_id", "title",
                                         name="uq_book_title"))
    sa.Index("ix_book_title", t.c.title)
    return md


class AlembicTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url, cls.srv = new_target()
        drop_all(cls.url, ["mg_book", "mg_author", "alembic_version"])
        # Alembic makes alembic_version itself (version_num its primary key)
        # and stamps versions with UPDATE … SET version_num = …
        cls.dir = tempfile.mkdtemp(prefix="themis_alembic_")
        os.makedirs(os.path.join(cls.dir, "versions"))
        with open(os.path.join(cls.dir, "env.py"), "w") as f:
            f.write(ENV_PY)
        for name, body in MIGRATIONS.items():
            with open(os.path.join(cls.dir, "versions", name), "w") as f:
                f.write(textwrap.dedent(body))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        if cls.srv:
            try:
                cls.srv.stop()
            finally:
                cls.srv.cleanup()

    def config(self):
        from alembic.config import Config
        cfg = Config()
        cfg.set_main_option("script_location", self.dir)
        cfg.set_main_option("sqlalchemy.url", self.url)
        return cfg

    def diff(self, md):
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext
        with engine(self.url).connect() as c:
            ctx = MigrationContext.configure(
                c, opts={"compare_type": True})
            return [d for d in compare_metadata(ctx, md)
                    if "mg_" in repr(d)]

    def version(self):
        with engine(self.url).connect() as c:
            return [r[0] for r in c.execute(
                sa.text("SELECT version_num FROM alembic_version"))]

    def test_upgrade_autogenerate_downgrade(self):
        from alembic import command
        cfg = self.config()
        command.upgrade(cfg, "m1")
        self.assertEqual(self.version(), ["m1"])
        self.assertEqual(self.diff(head_metadata(False)), [])
        command.upgrade(cfg, "head")
        self.assertEqual(self.version(), ["m2"])
        i = inspect(engine(self.url))
        self.assertEqual(i.get_unique_constraints("mg_book"), [])
        cols = {c["name"]: c for c in i.get_columns("mg_book")}
        self.assertTrue(cols["title"]["nullable"])
        self.assertEqual(cols["pages"]["default"], "1")
        self.assertIn("isbn", cols)
        # server defaults are not compared by default (pages: 1 vs 0)
        self.assertEqual(self.diff(head_metadata(True)), [])
        command.downgrade(cfg, "m1")
        self.assertEqual(self.version(), ["m1"])
        self.assertEqual(self.diff(head_metadata(False)), [])
        command.downgrade(cfg, "base")
        self.assertEqual(self.version(), [])
        self.assertFalse(inspect(engine(self.url)).has_table("mg_book"))


if __name__ == "__main__":
    unittest.main()
