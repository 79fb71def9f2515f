"""SQLAlchemy 1.4 Core and ORM (Debian python3-sqlalchemy, psycopg2) against
a real themisd (issue 36): create_all with foreign keys, indexes and unique
constraints; relationships loaded lazily, joined and selectin; ORM cascade
and ON DELETE CASCADE; transactions and savepoints; Core inserts,
upserts and aggregates. Reflection and Alembic: test_pg_catalog.py. With
THEMIS_PG_REFERENCE=host:port the same scenario runs on PostgreSQL 15."""

import os
import unittest

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import (Session, declarative_base, joinedload,
                            relationship, selectinload)

from themis_harness import Server

Base = declarative_base()


class Author(Base):
    __tablename__ = "sa_author"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(80), nullable=False, unique=True)
    books = relationship("Book", back_populates="author",
                         cascade="all, delete-orphan", order_by="Book.id")


class Book(Base):
    __tablename__ = "sa_book"
    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(sa.String, nullable=False, index=True)
    pages = sa.Column(sa.Integer, sa.CheckConstraint("pages > 0"))
    author_id = sa.Column(sa.Integer,
                          sa.ForeignKey("sa_author.id", ondelete="CASCADE"),
                          nullable=False)
    author = relationship("Author", back_populates="books")
    tags = relationship("Tag", secondary="sa_book_tag", lazy="selectin")


class Tag(Base):
    __tablename__ = "sa_tag"
    id = sa.Column(sa.Integer, primary_key=True)
    label = sa.Column(sa.String(40), nullable=False)
    __table_args__ = (sa.UniqueConstraint("label", name="sa_tag_label_uq"),)


book_tag = sa.Table(
    "sa_book_tag", Base.metadata,
    sa.Column("book_id", sa.ForeignKey("sa_book.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("sa_tag.id"), primary_key=True))


class SqlAlchemyOrmTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def urls(self):
        out = [("themisd", "postgresql+psycopg2://themis:themis@127.0.0.1:%d/"
                           "themis" % self.srv.pg_port)]
        ref = os.environ.get("THEMIS_PG_REFERENCE")
        if ref:
            out.append(("postgres", "postgresql+psycopg2://postgres@%s/"
                                    "postgres" % ref))
        return out

    def test_orm_day_one(self):
        for target, url in self.urls():
            with self.subTest(target=target):
                eng = sa.create_engine(url, future=True,
                                       connect_args={"connect_timeout": 10})
                try:
                    self.scenario(eng)
                finally:
                    eng.dispose()

    def scenario(self, eng):
        Base.metadata.drop_all(eng)
        Base.metadata.create_all(eng)
        with Session(eng) as s:
            red, blue = Tag(label="red"), Tag(label="blue")
            ann = Author(name="ann", books=[
                Book(title="one", pages=10, tags=[red, blue]),
                Book(title="two", pages=20, tags=[red])])
            s.add_all([ann, Author(name="bob")])
            s.commit()
            # joined and selectin eager loading, lazy loading
            authors = s.execute(sa.select(Author).options(
                joinedload(Author.books)).order_by(Author.name)).unique() \
                .scalars().all()
            self.assertEqual([(a.name, [b.title for b in a.books])
                              for a in authors],
                             [("ann", ["one", "two"]), ("bob", [])])
            s.expire_all()
            a = s.execute(sa.select(Author).options(
                selectinload(Author.books)).where(Author.name == "ann")) \
                .scalar_one()
            self.assertEqual(sorted(t.label for t in a.books[0].tags),
                             ["blue", "red"])
            self.assertEqual(s.get(Book, a.books[1].id).author.name, "ann")
            # constraint violations surface as IntegrityError
            s.add(Book(title="bad", pages=0, author_id=a.id))
            with self.assertRaises(sa.exc.IntegrityError):
                s.commit()
            s.rollback()
            s.add(Book(title="orphan", pages=1, author_id=999))
            with self.assertRaises(sa.exc.IntegrityError):
                s.commit()
            s.rollback()
            # a savepoint undone, the outer transaction kept
            with s.begin_nested():
                s.add(Author(name="cid"))
            try:
                with s.begin_nested():
                    s.add(Author(name="ann"))
                    s.flush()
            except sa.exc.IntegrityError:
                pass
            s.commit()
            self.assertEqual(s.scalar(sa.select(sa.func.count(Author.id))), 3)
            # ORM delete cascades through the relationship
            s.delete(a)
            s.commit()
            self.assertEqual(s.scalar(sa.select(sa.func.count(Book.id))), 0)
            self.assertEqual(
                s.scalar(sa.select(sa.func.count()).select_from(book_tag)), 0)
        with eng.begin() as c:
            # Core: multi-row insert, upsert, aggregate with GROUP BY
            c.execute(sa.insert(Author), [{"name": "x%d" % i}
                                          for i in range(5)])
            c.execute(pg_insert(Tag).values(label="red").on_conflict_do_update(
                constraint="sa_tag_label_uq", set_={"label": "RED"}))
            self.assertEqual(
                c.execute(sa.select(Tag.label).order_by(Tag.label))
                .scalars().all(), ["RED", "blue"])
            rows = c.execute(sa.select(
                sa.func.substr(Author.name, 1, 1).label("l"),
                sa.func.count()).group_by("l").order_by("l")).all()
            self.assertEqual([tuple(r) for r in rows],
                             [("b", 1), ("c", 1), ("x", 5)])
        Base.metadata.drop_all(eng)


if __name__ == "__main__":
    unittest.main()
