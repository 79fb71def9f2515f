"""asyncpg 0.27 (Debian python3-asyncpg) on day one against themisd (issue
36): typed binary parameters and results (int, bigint, float, Decimal, str,
bytes, bool, date, timestamptz, uuid, json as text, int[]/text[] lists —
the arrays make asyncpg run its WITH RECURSIVE type introspection),
prepared statements, executemany, transactions with nested savepoints and
rollback on exception, copy_records_to_table / copy_to_table /
copy_from_table / copy_from_query, a server-side cursor, add_listener
notifications, UniqueViolationError / ForeignKeyViolationError.
THEMIS_PG_REFERENCE=[host:]port runs the same scenarios against
PostgreSQL 15 (pg_client_target.py)."""

import asyncio
import datetime
import decimal
import io
import json
import unittest
import uuid

import asyncpg

from pg_client_target import Target

UTC = datetime.timezone.utc


class AsyncpgTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Target()

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def run_async(self, coro):
        # every scenario is bounded: a hang fails instead of blocking
        return asyncio.run(asyncio.wait_for(coro, 60))

    async def connect(self):
        return await asyncpg.connect(
            host=self.t.host, port=self.t.port, user=self.t.user,
            password=self.t.password or None, database=self.t.dbname,
            timeout=10, command_timeout=20)

    async def table(self, c, name):
        await c.execute("DROP TABLE IF EXISTS %s_c; DROP TABLE IF EXISTS %s"
                        % (name, name))
        await c.execute("CREATE TABLE %s (id int PRIMARY KEY, i8 bigint, "
                        "f float8, n numeric, s text, b bytea, ok boolean, "
                        "d date, ts timestamptz, u uuid, j json)" % name)

    ROW = (1, 2**40, 1.25, decimal.Decimal("12.50"), "x\u00e9", b"\x00\xff",
           True, datetime.date(2024, 1, 2),
           datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
           uuid.UUID(int=5), json.dumps({"a": 1}))

    def test_typed_parameters(self):
        async def go():
            c = await self.connect()
            try:
                await self.table(c, "apg_types")
                await c.execute("INSERT INTO apg_types VALUES ($1, $2, $3, "
                                "$4, $5, $6, $7, $8, $9, $10, $11)", *self.ROW)
                r = await c.fetchrow("SELECT * FROM apg_types WHERE id = $1",
                                     1)
                # json keeps its text in PostgreSQL; themisd stores the
                # parsed document, so only the value is compared
                self.assertEqual(tuple(r)[:-1], self.ROW[:-1])
                self.assertEqual(json.loads(r["j"]), {"a": 1})
                self.assertEqual(str(r["n"]), "12.50")
                v = await c.fetchval("SELECT $1::float8 * 2", -0.25)
                self.assertEqual(v, -0.5)
            finally:
                await c.close()
        self.run_async(go())

    def test_arrays(self):
        async def go():
            c = await self.connect()
            try:
                await c.execute("DROP TABLE IF EXISTS apg_arr")
                await c.execute("CREATE TABLE apg_arr (id int PRIMARY KEY, "
                                "a int[], t text[])")
                await c.execute("INSERT INTO apg_arr VALUES ($1, $2, $3)", 1,
                                [1, 2, None], ["a", "b c"])
                r = await c.fetchrow("SELECT a, t FROM apg_arr")
                self.assertEqual((r["a"], r["t"]), ([1, 2, None],
                                                    ["a", "b c"]))
                self.assertEqual(await c.fetchval(
                    "SELECT count(*) FROM apg_arr WHERE 2 = ANY($1::int[])",
                    [2, 3]), 1)
            finally:
                await c.close()
        self.run_async(go())

    def test_prepared_and_executemany(self):
        async def go():
            c = await self.connect()
            try:
                await self.table(c, "apg_prep")
                await c.executemany("INSERT INTO apg_prep (id, s) VALUES "
                                    "($1, $2)",
                                    [(i, "m%d" % i) for i in range(1, 6)])
                st = await c.prepare("SELECT id, s FROM apg_prep WHERE id "
                                     "<= $1 ORDER BY id")
                self.assertEqual(await st.fetchval(1), 1)
                self.assertEqual(tuple(await st.fetchrow(1)), (1, "m1"))
                self.assertEqual([tuple(r) for r in await st.fetch(2)],
                                 [(1, "m1"), (2, "m2")])
                self.assertEqual([a.name for a in st.get_attributes()],
                                 ["id", "s"])
                self.assertEqual(await c.fetchval(
                    "SELECT count(*) FROM apg_prep"), 5)
            finally:
                await c.close()
        self.run_async(go())

    def test_transactions(self):
        async def go():
            c = await self.connect()
            try:
                await self.table(c, "apg_tx")
                async with c.transaction():
                    await c.execute("INSERT INTO apg_tx (id) VALUES (10)")
                    try:
                        async with c.transaction(): # a savepoint
                            await c.execute("INSERT INTO apg_tx (id) VALUES "
                                            "(11)")
                            raise RuntimeError("undo the savepoint")
                    except RuntimeError:
                        pass
                    with self.assertRaises(asyncpg.UniqueViolationError):
                        async with c.transaction():
                            await c.execute("INSERT INTO apg_tx (id) VALUES "
                                            "(10)")
                try:
                    async with c.transaction():
                        await c.execute("INSERT INTO apg_tx (id) VALUES (12)")
                        raise RuntimeError("undo all")
                except RuntimeError:
                    pass
                self.assertEqual([r["id"] for r in await c.fetch(
                    "SELECT id FROM apg_tx ORDER BY id")], [10])
            finally:
                await c.close()
        self.run_async(go())

    def test_copy(self):
        async def go():
            c = await self.connect()
            try:
                await self.table(c, "apg_copy")
                res = await c.copy_records_to_table(
                    "apg_copy", records=[(1, "c1", decimal.Decimal("1.5")),
                                         (2, None, None)],
                    columns=["id", "s", "n"])
                self.assertEqual(res, "COPY 2")
                res = await c.copy_to_table(
                    "apg_copy", source=io.BytesIO(b"30\tt1\n31\t\\N\n"),
                    columns=["id", "s"])
                self.assertEqual(res, "COPY 2")
                out = io.BytesIO()
                res = await c.copy_from_table("apg_copy", output=out,
                                              columns=["id", "s"])
                self.assertEqual(res, "COPY 4")
                self.assertEqual(sorted(out.getvalue().splitlines()),
                                 [b"1\tc1", b"2\t\\N", b"30\tt1",
                                  b"31\t\\N"])
                out = io.BytesIO()
                await c.copy_from_query("SELECT id FROM apg_copy WHERE id > "
                                        "$1 ORDER BY id", 25, output=out)
                self.assertEqual(out.getvalue(), b"30\n31\n")
                self.assertEqual(await c.fetchval(
                    "SELECT n FROM apg_copy WHERE id = 1"),
                    decimal.Decimal("1.5"))
            finally:
                await c.close()
        self.run_async(go())

    def test_cursor(self):
        async def go():
            c = await self.connect()
            try:
                await self.table(c, "apg_cur")
                await c.executemany("INSERT INTO apg_cur (id) VALUES ($1)",
                                    [(i,) for i in range(1, 8)])
                async with c.transaction():
                    cur = await c.cursor("SELECT id FROM apg_cur ORDER BY id")
                    self.assertEqual([r["id"] for r in await cur.fetch(3)],
                                     [1, 2, 3])
                    self.assertEqual((await cur.fetchrow())["id"], 4)
                    ids = [r["id"] async for r in c.cursor(
                        "SELECT id FROM apg_cur WHERE id < $1 ORDER BY id", 6,
                        prefetch=2)]
                    self.assertEqual(ids, [1, 2, 3, 4, 5])
            finally:
                await c.close()
        self.run_async(go())

    def test_listener(self):
        async def go():
            c = await self.connect()
            listener = await self.connect()
            try:
                got = asyncio.Queue()
                await listener.add_listener(
                    "apg_chan", lambda conn, pid, ch, payload:
                    got.put_nowait((ch, payload)))
                await c.execute("NOTIFY apg_chan, 'p1'")
                await c.execute("SELECT pg_notify('apg_chan', 'p2')")
                self.assertEqual(await asyncio.wait_for(got.get(), 10),
                                 ("apg_chan", "p1"))
                self.assertEqual(await asyncio.wait_for(got.get(), 10),
                                 ("apg_chan", "p2"))
            finally:
                await c.close()
                await listener.close()
        self.run_async(go())

    def test_errors(self):
        async def go():
            c = await self.connect()
            try:
                await self.table(c, "apg_err")
                await c.execute("CREATE TABLE apg_err_c (id int PRIMARY KEY, "
                                "p int REFERENCES apg_err(id))")
                await c.execute("INSERT INTO apg_err (id) VALUES (1)")
                with self.assertRaises(asyncpg.UniqueViolationError) as ctx:
                    await c.execute("INSERT INTO apg_err (id) VALUES (1)")
                self.assertEqual(ctx.exception.constraint_name,
                                 "apg_err_pkey")
                with self.assertRaises(
                        asyncpg.ForeignKeyViolationError) as ctx:
                    await c.execute("INSERT INTO apg_err_c VALUES (1, 999)")
                self.assertEqual(ctx.exception.constraint_name,
                                 "apg_err_c_p_fkey")
                with self.assertRaises(asyncpg.UndefinedTableError):
                    await c.fetch("SELECT * FROM apg_missing")
                self.assertEqual(await c.fetchval("SELECT 1"), 1)
            finally:
                await c.close()
        self.run_async(go())


if __name__ == "__main__":
    unittest.main()
