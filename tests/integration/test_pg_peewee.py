"""peewee 3.14 (Debian python3-peewee, psycopg2 underneath) on day one
against themisd (issue 36): create_tables with a ForeignKeyField (ON DELETE
CASCADE), unique and composite indexes, CRUD, joins and aggregates,
db.atomic() with a nested savepoint, IntegrityError, introspection
(get_columns / get_indexes / get_foreign_keys) and
playhouse.migrate.PostgresqlMigrator: add_column, drop_column,
rename_column, add_not_null, drop_not_null, add_index.
THEMIS_PG_REFERENCE=[host:]port runs the same scenarios against
PostgreSQL 15 (pg_client_target.py)."""

import datetime
import decimal
import unittest

import peewee as pw
from playhouse.migrate import PostgresqlMigrator, migrate

from pg_client_target import Target

db = pw.PostgresqlDatabase(None)


class Base(pw.Model):
    class Meta:
        database = db


class Author(Base):
    name = pw.CharField(unique=True)
    born = pw.DateField(null=True)


class Book(Base):
    author = pw.ForeignKeyField(Author, backref="books", on_delete="CASCADE")
    title = pw.CharField(index=True)
    price = pw.DecimalField(max_digits=8, decimal_places=2, null=True)
    created = pw.DateTimeField(default=datetime.datetime.now)
    ok = pw.BooleanField(default=True)

    class Meta:
        indexes = ((("author", "title"), True),)


class PeeweeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Target()
        db.init(cls.t.dbname, host=cls.t.host, port=cls.t.port,
                user=cls.t.user, password=cls.t.password,
                connect_timeout=10, options="-c statement_timeout=20000")
        db.connect()

    @classmethod
    def tearDownClass(cls):
        db.close()
        cls.t.stop()

    def setUp(self):
        db.rollback() # peewee keeps a failed test's transaction open
        db.drop_tables([Book, Author])
        db.create_tables([Author, Book])
        self.ann = Author.create(name="ann", born=datetime.date(1970, 1, 1))
        self.bob = Author.create(name="bob")
        for i in range(3):
            Book.create(author=self.ann, title="t%d" % i,
                        price=decimal.Decimal("9.99"))
        Book.create(author=self.bob, title="x")

    def test_crud_and_joins(self):
        rows = (Book.select(Book, Author).join(Author)
                .order_by(Book.title))
        self.assertEqual([(b.title, b.author.name) for b in rows],
                         [("t0", "ann"), ("t1", "ann"), ("t2", "ann"),
                          ("x", "bob")])
        counts = (Author.select(Author, pw.fn.COUNT(Book.id).alias("n"))
                  .join(Book, pw.JOIN.LEFT_OUTER).group_by(Author)
                  .order_by(Author.name))
        self.assertEqual([(a.name, a.n) for a in counts],
                         [("ann", 3), ("bob", 1)])
        Book.update(price=decimal.Decimal("1.50")).where(
            Book.title == "x").execute()
        self.assertEqual(Book.get(Book.title == "x").price,
                         decimal.Decimal("1.50"))
        self.assertEqual(Author.get(Author.name == "ann").born,
                         datetime.date(1970, 1, 1))
        self.assertEqual(
            Book.select(pw.fn.SUM(Book.price)).where(
                Book.author == self.ann).scalar(), decimal.Decimal("29.97"))
        # ON DELETE CASCADE from the foreign key
        self.ann.delete_instance()
        self.assertEqual([b.title for b in Book.select()], ["x"])

    def test_atomic(self):
        try:
            with db.atomic():
                Book.create(author=self.bob, title="y")
                with db.atomic(): # a savepoint
                    Book.create(author=self.bob, title="z")
                raise RuntimeError("roll back all")
        except RuntimeError:
            pass
        with db.atomic():
            Book.create(author=self.bob, title="kept")
            try:
                with db.atomic():
                    Book.create(author=self.bob, title="gone")
                    raise RuntimeError("roll back the savepoint")
            except RuntimeError:
                pass
        self.assertEqual(sorted(b.title for b in self.bob.books),
                         ["kept", "x"])
        with self.assertRaises(pw.IntegrityError):
            with db.atomic():
                Author.create(name="ann")
        with self.assertRaises(pw.IntegrityError):
            with db.atomic():
                Book.create(author=self.bob, title="x") # (author, title)
        with self.assertRaises(pw.IntegrityError):
            with db.atomic():
                Book.create(author_id=999, title="orphan")

    def test_introspection(self):
        self.needs_table_constraints() # get_columns reads the primary key
        cols = {c.name: c for c in db.get_columns("book")}
        self.assertEqual(sorted(cols), ["author_id", "created", "id", "ok",
                                        "price", "title"])
        self.assertTrue(cols["id"].primary_key)
        self.assertEqual(cols["title"].data_type, "character varying")
        self.assertFalse(cols["title"].null)
        self.assertTrue(cols["price"].null)
        idx = {i.name: i for i in db.get_indexes("book")}
        self.assertEqual(idx["book_author_id_title"].columns,
                         ["author_id", "title"])
        self.assertTrue(idx["book_author_id_title"].unique)
        self.assertFalse(idx["book_title"].unique)
        self.assertIn("book", db.get_tables())

    def needs_table_constraints(self):
        """peewee reads foreign keys from information_schema.table_constraints
        (and drop_column reads them first); themisd's catalog may not have
        the view yet (the catalog views are another engineer's work)."""
        try:
            db.execute_sql("SELECT 1 FROM information_schema.table_constraints"
                           " LIMIT 0")
        except pw.ProgrammingError:
            db.rollback()
            self.skipTest("information_schema.table_constraints is missing")

    def test_foreign_key_introspection(self):
        self.needs_table_constraints()
        fks = db.get_foreign_keys("book")
        self.assertEqual([(f.column, f.dest_table, f.dest_column)
                          for f in fks], [("author_id", "author", "id")])

    def test_migrator_add(self):
        # the operations that need no introspection
        m = PostgresqlMigrator(db)
        migrate(m.add_column("book", "pages", pw.IntegerField(null=True)),
                m.add_column("book", "isbn", pw.CharField(default="")),
                m.add_index("book", ("isbn",), False),
                m.add_index("book", ("pages", "isbn"), True))
        self.assertEqual(list(db.execute_sql(
            "SELECT pages, isbn FROM book WHERE title = 'x'")), [(None, "")])
        self.assertEqual(list(db.execute_sql(
            "SELECT relname FROM pg_class WHERE relname LIKE 'book_%%isbn' "
            "ORDER BY relname")), [("book_isbn",), ("book_pages_isbn",)])
        db.execute_sql("UPDATE book SET pages = id")
        with self.assertRaises(pw.IntegrityError):
            with db.atomic(): # the unique (pages, isbn) index
                db.execute_sql("UPDATE book SET pages = 1")

    def test_migrator(self):
        self.needs_table_constraints() # rename/not null read the columns
        m = PostgresqlMigrator(db)
        migrate(m.add_column("book", "pages", pw.IntegerField(null=True)),
                m.add_column("book", "isbn", pw.CharField(default="")),
                m.rename_column("book", "pages", "npages"),
                m.add_index("book", ("isbn",), False),
                m.drop_not_null("book", "isbn"))
        db.execute_sql("UPDATE book SET npages = 0")
        migrate(m.add_not_null("book", "npages"))
        cols = {c.name: c for c in db.get_columns("book")}
        self.assertNotIn("pages", cols)
        self.assertFalse(cols["npages"].null)
        self.assertTrue(cols["isbn"].null)
        self.assertEqual([r for r in db.execute_sql(
            "SELECT isbn FROM book WHERE title = 'x'")], [("",)])
        self.assertIn("book_isbn", [i.name for i in db.get_indexes("book")])
        with self.assertRaises(pw.IntegrityError):
            with db.atomic():
                db.execute_sql("INSERT INTO book (author_id, title, price, "
                               "created, isbn) VALUES (%s, 'n', 1, now(), "
                               "'i')", (self.bob.id,))

    def test_migrator_drop_column(self):
        self.needs_table_constraints()
        m = PostgresqlMigrator(db)
        migrate(m.drop_column("book", "ok"), m.drop_column("book", "price"))
        self.assertEqual(sorted(c.name for c in db.get_columns("book")),
                         ["author_id", "created", "id", "title"])
        self.assertEqual(Book.select(Book.id, Book.title).where(
            Book.title == "x").get().title, "x")


if __name__ == "__main__":
    unittest.main()
