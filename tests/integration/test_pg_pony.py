"""Pony ORM 0.7 (Debian python3-pony, psycopg2 underneath) on day one
against themisd (issue 36): generate_mapping(create_tables=True) with a
one-to-many relationship (foreign key + index), a composite key and a
many-to-many link table; CRUD in db_session; generator queries compiled
to SQL (joins, aggregates, left_join, exists, IN, ordering, paging);
optimistic concurrency (Pony's UPDATE … WHERE old values) raising
OptimisticCheckError; cascade delete; rollback; integrity errors; raw
SQL with a parameter. THEMIS_PG_REFERENCE=[host:]port runs the same
scenarios against PostgreSQL 15 (pg_client_target.py)."""

import datetime
import threading
import unittest
from decimal import Decimal

from pony import orm

from pg_client_target import Target

db = orm.Database()


class Customer(db.Entity):
    name = orm.Required(str, unique=True)
    joined = orm.Optional(datetime.date)
    orders = orm.Set("Order", cascade_delete=True)
    tags = orm.Set("Tag")


class Order(db.Entity):
    customer = orm.Required(Customer)
    total = orm.Required(Decimal, precision=10, scale=2)
    note = orm.Optional(str, nullable=True)
    placed = orm.Required(datetime.datetime, default=datetime.datetime.now)


class Tag(db.Entity):
    label = orm.PrimaryKey(str)
    customers = orm.Set(Customer)


class Price(db.Entity):
    sku = orm.Required(str)
    region = orm.Required(str)
    amount = orm.Required(int)
    orm.PrimaryKey(sku, region)


class PonyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Target()
        db.bind(provider="postgres", host=cls.t.host, port=cls.t.port,
                user=cls.t.user, password=cls.t.password or None,
                database=cls.t.dbname, connect_timeout=10,
                options="-c statement_timeout=20000")
        db.generate_mapping(check_tables=False)
        db.drop_all_tables(with_all_data=True)
        db.create_tables()

    @classmethod
    def tearDownClass(cls):
        try:
            db.drop_all_tables(with_all_data=True)
            db.disconnect()
        finally:
            cls.t.stop()

    def setUp(self):
        with orm.db_session:
            orm.delete(o for o in Order)
            for c in Customer.select():
                c.tags.clear()
            orm.delete(c for c in Customer)
            orm.delete(t for t in Tag)
            orm.delete(p for p in Price)
        with orm.db_session:
            vip, new = Tag(label="vip"), Tag(label="new")
            ann = Customer(name="ann", joined=datetime.date(2020, 2, 29),
                           tags=[vip])
            bob = Customer(name="bob", tags=[vip, new])
            Customer(name="cy")
            Order(customer=ann, total=Decimal("12.50"), note="first")
            Order(customer=ann, total=Decimal("7.25"))
            Order(customer=bob, total=Decimal("1.00"), note="it's \"quoted\"")

    def test_queries(self):
        with orm.db_session:
            sums = orm.select((c.name, orm.sum(c.orders.total))
                              for c in Customer).order_by(1)[:]
            self.assertEqual(list(sums), [("ann", Decimal("19.75")),
                                          ("bob", Decimal("1.00")),
                                          ("cy", 0)])
            self.assertEqual(orm.count(o for o in Order if o.total > 5 and
                                       o.customer.name == "ann"), 2)
            counts = orm.left_join((c.name, orm.count(o)) for c in Customer
                                   for o in c.orders).order_by(1)[:]
            self.assertEqual(list(counts), [("ann", 2), ("bob", 1),
                                            ("cy", 0)])
            idle = orm.select(c.name for c in Customer
                              if not orm.exists(o for o in c.orders))[:]
            self.assertEqual(list(idle), ["cy"])
            vips = orm.select(c.name for c in Customer
                              for t in c.tags if t.label == "vip")
            self.assertEqual(sorted(vips), ["ann", "bob"])
            named = orm.select(c for c in Customer
                               if c.name in ("ann", "cy")).order_by(
                                   orm.desc(Customer.name))[:]
            self.assertEqual([c.name for c in named], ["cy", "ann"])
            page = Order.select().order_by(Order.total).page(2, pagesize=2)
            self.assertEqual([o.total for o in page], [Decimal("12.50")])
            self.assertEqual(Customer.get(name="ann").joined,
                             datetime.date(2020, 2, 29))
            quoted = Order.get(total=Decimal("1.00"))
            self.assertEqual(quoted.note, "it's \"quoted\"")
            self.assertIsNone(Order.get(total=Decimal("7.25")).note)
            raw = db.select("SELECT name FROM customer WHERE name > $x "
                            "ORDER BY name", {"x": "b"})
            self.assertEqual(list(raw), ["bob", "cy"])

    def test_update_delete_and_composite_key(self):
        with orm.db_session:
            Price(sku="a1", region="eu", amount=10)
            Price(sku="a1", region="us", amount=12)
        with orm.db_session:
            Price[("a1", "eu")].amount = 11
            Customer.get(name="cy").joined = datetime.date(2024, 1, 1)
        with orm.db_session:
            self.assertEqual(Price[("a1", "eu")].amount, 11)
            self.assertEqual(Price[("a1", "us")].amount, 12)
            self.assertEqual(Customer.get(name="cy").joined,
                             datetime.date(2024, 1, 1))
            # cascade_delete removes the customer's orders
            Customer.get(name="ann").delete()
        with orm.db_session:
            self.assertEqual(orm.count(o for o in Order), 1)
            self.assertEqual(sorted(t.label for t in
                                    Customer.get(name="bob").tags),
                             ["new", "vip"])

    def test_rollback_and_integrity(self):
        with self.assertRaises(RuntimeError):
            with orm.db_session:
                Customer(name="dee")
                orm.flush()
                raise RuntimeError("rolls back")
        with orm.db_session:
            self.assertIsNone(Customer.get(name="dee"))
        with self.assertRaises(orm.TransactionIntegrityError):
            with orm.db_session:
                Customer(name="ann") # unique
        with orm.db_session:
            Price(sku="b", region="eu", amount=1)
        with self.assertRaises(orm.TransactionIntegrityError):
            with orm.db_session: # a new session: the server must refuse it
                Price(sku="b", region="eu", amount=2) # composite key
        with orm.db_session:
            self.assertEqual(orm.count(c for c in Customer), 3)

    def test_optimistic_check(self):
        # Pony updates with WHERE <column> = <value it read>: a concurrent
        # change in between must make that UPDATE match nothing
        started, changed = threading.Event(), threading.Event()
        errors = []

        def other():
            started.wait(10)
            try:
                with orm.db_session:
                    Customer.get(name="bob").joined = datetime.date(2001, 1, 1)
            except Exception as e: # reported below
                errors.append(e)
            changed.set()

        th = threading.Thread(target=other)
        th.start()
        with self.assertRaises(orm.OptimisticCheckError):
            with orm.db_session:
                bob = Customer.get(name="bob")
                _ = bob.joined # read: becomes part of the optimistic check
                started.set()
                self.assertTrue(changed.wait(10))
                bob.joined = datetime.date(1999, 9, 9)
        th.join(10)
        self.assertEqual(errors, [])
        with orm.db_session:
            self.assertEqual(Customer.get(name="bob").joined,
                             datetime.date(2001, 1, 1))


if __name__ == "__main__":
    unittest.main()
