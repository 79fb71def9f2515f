"""Enum types as migrations create them (issue 36), with psycopg2:
CREATE TYPE … AS ENUM, enum columns with defaults, label checks (22P02),
casts, ALTER TYPE … ADD VALUE [IF NOT EXISTS] [BEFORE|AFTER],
ALTER TYPE … RENAME VALUE (stored rows follow), DROP TYPE and its
dependency check, a type created and used inside one transaction, and a
tenant-free restart (types survive)."""

import unittest

import psycopg2

from pg_test_base import PgTest


class EnumTest(PgTest):
    def test_enum_lifecycle(self):
        c = self.connect()
        self.q(c, "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
        self.fails(c, "CREATE TYPE mood AS ENUM ('x')", "42710")
        self.fails(c, "CREATE TYPE bad AS ENUM ('a', 'a')", "42710")
        self.q(c, "CREATE TABLE person (id int PRIMARY KEY, "
                  "m mood NOT NULL DEFAULT 'ok')")
        self.q(c, "INSERT INTO person VALUES (1, 'sad'), (2, %s)", ("happy",))
        self.q(c, "INSERT INTO person(id) VALUES (3)")
        e = self.fails(c, "INSERT INTO person VALUES (4, 'angry')", "22P02")
        self.assertIn('invalid input value for enum mood: "angry"', str(e))
        self.assertEqual(self.q(c, "SELECT id, m FROM person ORDER BY id"),
                         [(1, "sad"), (2, "happy"), (3, "ok")])
        self.assertEqual(self.q(c, "SELECT id FROM person WHERE m = 'happy'"),
                         [(2,)])
        self.fails(c, "SELECT 'nope'::mood", "22P02")
        self.q(c, "ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'")
        self.q(c, "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh'")
        self.assertTrue(any("already exists, skipping" in n
                            for n in c.notices), c.notices)
        self.fails(c, "ALTER TYPE mood ADD VALUE 'meh'", "42710")
        self.fails(c, "ALTER TYPE mood ADD VALUE 'x' AFTER 'nope'", "22023")
        self.q(c, "INSERT INTO person VALUES (5, 'meh')")
        self.q(c, "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'")
        self.assertEqual(self.q(c, "SELECT id, m FROM person ORDER BY id"),
                         [(1, "blue"), (2, "happy"), (3, "ok"), (5, "meh")])
        self.fails(c, "INSERT INTO person VALUES (6, 'sad')", "22P02")
        self.fails(c, "DROP TYPE mood", "2BP01")
        self.q(c, "DROP TABLE person")
        self.q(c, "DROP TYPE mood")
        self.fails(c, "DROP TYPE mood", "42704")
        self.q(c, "DROP TYPE IF EXISTS mood")

    def test_in_one_transaction_and_after_restart(self):
        c = self.connect()
        c.autocommit = False
        cur = c.cursor()
        cur.execute("CREATE TYPE color AS ENUM ('red', 'green')")
        cur.execute("CREATE TABLE paint (id int PRIMARY KEY, c color)")
        cur.execute("INSERT INTO paint VALUES (1, 'green')")
        c.commit()
        c.close()
        self.srv.stop()
        self.srv.start()
        c = self.connect()
        self.assertEqual(self.q(c, "SELECT c FROM paint"), [("green",)])
        self.fails(c, "INSERT INTO paint VALUES (2, 'blue')", "22P02")
        c2 = self.connect()
        c2.autocommit = False
        cur = c2.cursor()
        cur.execute("CREATE TYPE size AS ENUM ('s', 'm')")
        c2.rollback()
        self.fails(c, "SELECT 's'::size", "42704")


if __name__ == "__main__":
    unittest.main()
