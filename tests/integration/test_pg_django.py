"""Django 3.2 (Debian python3-django, psycopg2) on day one against themisd
(issue 36): a settings module and an app written to a temp dir (models with
ForeignKey CASCADE / SET_NULL / PROTECT, ManyToMany, unique_together, an
index, DecimalField, JSONField, DateTimeField with USE_TZ, BooleanField,
TextField), `makemigrations` then `migrate` (Django's DEFERRABLE INITIALLY
DEFERRED foreign keys, SET CONSTRAINTS, its pg_catalog introspection), ORM
CRUD with select_related / prefetch_related, atomic blocks and savepoints,
aggregates and annotate, bulk_create, F() updates, JSONField lookups
(jsonb @>), `inspectdb`, and `migrate shop zero`.
THEMIS_PG_REFERENCE=[host:]port runs the same scenario against PostgreSQL
15 (pg_client_target.py). Django's settings are process-wide, so this file
is one test class on one server."""

import datetime
import decimal
import io
import os
import shutil
import sys
import tempfile
import unittest

from pg_client_target import Target

MODELS = '''
from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=50, unique=True)


class Tag(models.Model):
    label = models.CharField(max_length=30)


class Supplier(models.Model):
    name = models.TextField()


class Product(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE,
                                 related_name="products")
    supplier = models.ForeignKey(Supplier, on_delete=models.SET_NULL,
                                 null=True, blank=True)
    sku = models.CharField(max_length=20)
    region = models.CharField(max_length=10)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    attrs = models.JSONField(default=dict)
    created = models.DateTimeField()
    active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, related_name="products")

    class Meta:
        unique_together = [("sku", "region")]
        indexes = [models.Index(fields=["created"],
                                name="product_created_idx")]


class Order(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    qty = models.IntegerField()
'''

UTC = datetime.timezone.utc
NOW = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


class DjangoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Target()
        cls.dir = tempfile.mkdtemp(prefix="themis_django_")
        app = os.path.join(cls.dir, "shop")
        os.makedirs(os.path.join(app, "migrations"))
        for f in ("__init__.py", os.path.join("migrations", "__init__.py")):
            open(os.path.join(app, f), "w").close()
        with open(os.path.join(app, "models.py"), "w") as f:
            f.write(MODELS)
        sys.path.insert(0, cls.dir)
        from django.conf import settings
        settings.configure(
            SECRET_KEY="x", USE_TZ=True, TIME_ZONE="UTC",
            INSTALLED_APPS=["django.contrib.contenttypes",
                            "django.contrib.auth", "shop"],
            DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
            DATABASES={"default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": cls.t.dbname, "USER": cls.t.user,
                "PASSWORD": cls.t.password, "HOST": cls.t.host,
                "PORT": str(cls.t.port),
                "OPTIONS": {"connect_timeout": 10,
                            "options": "-c statement_timeout=30000"}}})
        import django
        django.setup()
        from django.core.management import call_command
        from django.db import connection
        with connection.cursor() as cur: # a reference database re-used
            for t in ("shop_order", "shop_product_tags", "shop_product",
                      "shop_tag", "shop_supplier", "shop_category"):
                cur.execute("DROP TABLE IF EXISTS %s CASCADE" % t)
            cur.execute("DROP TABLE IF EXISTS django_migrations, "
                        "auth_group_permissions, auth_user_groups, "
                        "auth_user_user_permissions, auth_permission, "
                        "auth_group, auth_user, django_content_type CASCADE")
        call_command("makemigrations", "shop", verbosity=0)
        call_command("migrate", verbosity=0)

    @classmethod
    def tearDownClass(cls):
        from django.db import connection
        connection.close()
        sys.path.remove(cls.dir)
        shutil.rmtree(cls.dir, ignore_errors=True)
        cls.t.stop()

    def test_1_migrated(self):
        from django.db import connection
        tables = connection.introspection.table_names()
        for t in ("shop_category", "shop_product", "shop_product_tags",
                  "shop_order", "django_migrations", "auth_user"):
            self.assertIn(t, tables)
        from django.db.migrations.recorder import MigrationRecorder
        self.assertIn(("shop", "0001_initial"),
                      MigrationRecorder.Migration.objects.values_list(
                          "app", "name"))

    def test_2_orm(self):
        from django.db import IntegrityError, transaction
        from django.db.models import Avg, Count, F, ProtectedError, Sum
        from shop.models import Category, Order, Product, Supplier, Tag
        tools = Category.objects.create(name="tools")
        food = Category.objects.create(name="food")
        acme = Supplier.objects.create(name="acme")
        a, b = Tag.objects.create(label="a"), Tag.objects.create(label="b")
        p = Product.objects.create(
            category=tools, supplier=acme, sku="h1", region="eu",
            price=decimal.Decimal("12.50"), attrs={"w": 1, "c": ["r"]},
            created=NOW)
        p.tags.add(a, b)
        Product.objects.bulk_create([
            Product(category=food, sku="f%d" % i, region="us",
                    price=decimal.Decimal(i), created=NOW)
            for i in range(5)])
        q = Product.objects.select_related("category", "supplier").get(
            sku="h1")
        self.assertEqual((q.category.name, q.supplier.name, q.price,
                          q.attrs, q.created, q.active),
                         ("tools", "acme", decimal.Decimal("12.50"),
                          {"w": 1, "c": ["r"]}, NOW, True))
        self.assertEqual(
            [(x.sku, sorted(t.label for t in x.tags.all()))
             for x in Product.objects.prefetch_related("tags")
             .order_by("sku")],
            [("f0", []), ("f1", []), ("f2", []), ("f3", []), ("f4", []),
             ("h1", ["a", "b"])])
        self.assertEqual(
            list(Category.objects.annotate(n=Count("products"),
                                           total=Sum("products__price"))
                 .order_by("name").values_list("name", "n", "total")),
            [("food", 5, decimal.Decimal("10.00")),
             ("tools", 1, decimal.Decimal("12.50"))])
        agg = Product.objects.aggregate(Avg("price"), Sum("price"))
        self.assertEqual(agg["price__sum"], decimal.Decimal("22.50"))
        self.assertEqual(agg["price__avg"], decimal.Decimal("3.75"))
        self.assertEqual(Product.objects.filter(attrs__w=1).count(), 1)
        self.assertEqual(
            Product.objects.filter(attrs__c__contains=["r"]).count(), 1)
        self.assertEqual(
            Product.objects.filter(attrs__contains={"w": 1}).count(), 1)
        self.assertEqual(Product.objects.filter(
            region="us").update(price=F("price") + 1), 5)
        self.assertEqual(Product.objects.get(sku="f0").price,
                         decimal.Decimal("1.00"))
        # unique_together, in a savepoint
        with self.assertRaises(IntegrityError):
            with transaction.atomic():
                Product.objects.create(category=tools, sku="h1",
                                       region="eu", price=1, created=NOW)
        with transaction.atomic():
            Tag.objects.create(label="keep")
            try:
                with transaction.atomic():
                    Tag.objects.create(label="gone")
                    raise RuntimeError("undo the savepoint")
            except RuntimeError:
                pass
        self.assertEqual(sorted(Tag.objects.values_list("label", flat=True)),
                         ["a", "b", "keep"])
        # PROTECT, SET_NULL, CASCADE (Django's collector)
        o = Order.objects.create(product=p, qty=2)
        with self.assertRaises(ProtectedError):
            p.delete()
        o.delete()
        acme.delete()
        p.refresh_from_db()
        self.assertIsNone(p.supplier_id)
        food.delete()
        self.assertEqual(list(Product.objects.values_list("sku", flat=True)),
                         ["h1"])
        # the deferred foreign key is checked at commit; SET CONSTRAINTS
        with self.assertRaises(IntegrityError):
            with transaction.atomic():
                Order.objects.create(product_id=999999, qty=1)
        from django.db import connection
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cur.execute("SET CONSTRAINTS ALL DEFERRED")

    def introspection_ready(self):
        """Django's get_constraints() must find the foreign keys
        (`fka.attnum = c.confkey[1]`) and read pg_index with unnest(indkey,
        indoption): inspectdb and the schema editor's rollback need it."""
        from django.db import connection
        with connection.cursor() as cur:
            try:
                c = connection.introspection.get_constraints(
                    cur, "shop_product")
            except Exception as e: # noqa: BLE001 — a server that lacks it
                return "get_constraints: %s" % e
        fks = [v["foreign_key"] for v in c.values() if v["foreign_key"]]
        if sorted(fks) != [("shop_category", "id"), ("shop_supplier", "id")]:
            return "get_constraints found foreign keys %r" % fks
        return None

    def test_3_inspectdb(self):
        why = None if self.t.reference else self.introspection_ready()
        if why:
            self.skipTest(why)
        from django.core.management import call_command
        out = io.StringIO()
        call_command("inspectdb", "shop_product", "shop_category",
                     stdout=out)
        text = out.getvalue()
        self.assertIn("class ShopProduct(models.Model):", text)
        self.assertIn("class ShopCategory(models.Model):", text)
        self.assertIn("models.ForeignKey('ShopCategory'", text)
        self.assertIn("max_digits=10, decimal_places=2", text)
        self.assertIn("unique_together = (('sku', 'region'),)", text)
        self.assertNotIn("Unable to inspect", text)

    def test_4_migrate_zero(self):
        why = None if self.t.reference else self.introspection_ready()
        if why:
            self.skipTest(why)
        from django.core.management import call_command
        from django.db import connection
        call_command("migrate", "shop", "zero", verbosity=0)
        tables = connection.introspection.table_names()
        self.assertNotIn("shop_product", tables)
        self.assertIn("auth_user", tables)
        call_command("migrate", "shop", verbosity=0) # and forward again
        self.assertIn("shop_product", connection.introspection.table_names())


if __name__ == "__main__":
    unittest.main()
