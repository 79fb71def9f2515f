"""Every supported type round-trips byte-exact through the PostgreSQL wire
protocol, driven by a real driver (Debian's python3-psycopg, psycopg 3):
random values per type (empty and all-byte bytea, unicode text, extreme
integers, NaN/inf floats, nulls) sent as text and as binary parameters,
stored in a table with a column of each type, and read back in text and in
binary result format. Bad binary parameters are errors (22P03 / 22021),
never silently empty values. Also the connection set-up that drivers and
ORMs do: client_encoding aliases, current_schema() in FROM, a regtype
parameter, Sequelize's SET TIME ZONE INTERVAL.

THEMIS_RT_SEED=<n> replays one random run; THEMIS_RT_ROWS sets its size."""

import datetime as dt
import decimal
import json
import math
import os
import random
import struct
import subprocess
import unittest
import uuid

import psycopg
from psycopg import sql
from psycopg.types.json import Json, Jsonb
from psycopg.types.numeric import Float4, Float8, Int2, Int4, Int8

from themis_harness import Server

SEED = int(os.environ.get("THEMIS_RT_SEED") or random.randrange(1 << 30))
ROWS = int(os.environ.get("THEMIS_RT_ROWS") or 40)
UTC = dt.timezone.utc


def rand_text(r):
    pools = [(0x20, 0x7e), (0x01, 0x1f), (0xa0, 0x2ff), (0x370, 0x3ff),
             (0x4e00, 0x4fff), (0xe000, 0xfffd), (0x1f300, 0x1f6ff),
             (0x10000, 0x10ffff)]
    out = []
    for _ in range(r.choice([0, 1, 5, 30, 200])):
        lo, hi = r.choice(pools)
        out.append(chr(r.randint(lo, hi)))
    return "".join(out)


def rand_bytes(r):
    return r.choice([b"", bytes(range(256)), b"\x00", b"\\x00",
                     bytes(r.getrandbits(8) for _ in range(r.randint(1, 300)))])


def rand_float8(r):
    special = [0.0, -0.0, math.nan, math.inf, -math.inf, 5e-324,
               1.7976931348623157e308, -2.2250738585072014e-308, 1.0, 0.1]
    if r.random() < 0.3:
        return r.choice(special)
    while True:
        d = struct.unpack("<d", r.getrandbits(64).to_bytes(8, "little"))[0]
        if not math.isnan(d):
            return d


def rand_float4(r):
    special = [0.0, math.nan, math.inf, -math.inf, 1.0, 0.1,
               3.4028234663852886e38, 1.401298464324817e-45]
    if r.random() < 0.3:
        v = r.choice(special)
    else:
        while True:
            v = struct.unpack("<f", r.getrandbits(32).to_bytes(4, "little"))[0]
            if not math.isnan(v):
                break
    return struct.unpack("<f", struct.pack("<f", v))[0]


def rand_int(r, bits):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return r.choice([lo, hi, 0, -1, 1, r.randint(lo, hi), r.randint(-999, 999)])


def rand_numeric(r):
    """Exact numerics (issue 36): any sign, scales 0-40 (trailing zeros
    kept), up to 75 digits before the point, NaN and ±Infinity."""
    k = r.random()
    if k < 0.03:
        return decimal.Decimal("NaN")
    if k < 0.06:
        return decimal.Decimal(r.choice(["Infinity", "-Infinity"]))
    if k < 0.25:
        return decimal.Decimal(rand_int(r, 64))
    ip = r.choice([0, 1, 5, 15, 19, 40, 70, 75])
    s = "".join(str(r.randint(0, 9)) for _ in range(ip)).lstrip("0") or "0"
    fp = r.randint(0, 40)
    if fp:
        s += "." + "".join(str(r.randint(0, 9)) for _ in range(fp))
    d = decimal.Decimal(s)  # copy_negate: `-d` rounds to 28 digits
    return d.copy_negate() if r.random() < 0.5 and d != 0 else d


def rand_json(r, depth=0):
    kind = r.randrange(7 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return r.choice([True, False])
    if kind == 2:
        return r.randint(-(1 << 53), 1 << 53)
    if kind == 3:
        return r.choice([0.5, -1.25, 1e100, 3.0e-5])
    if kind == 4:
        return rand_text(r)
    if kind == 5:
        return [rand_json(r, depth + 1) for _ in range(r.randint(0, 4))]
    return {rand_text(r): rand_json(r, depth + 1)
            for _ in range(r.randint(0, 4))}


def rand_date(r):
    return r.choice([dt.date(1, 1, 1), dt.date(9999, 12, 31),
                     dt.date(2000, 1, 1), dt.date(2024, 2, 29),
                     dt.date.fromordinal(r.randint(1, 3652059))])


def rand_timestamp(r):
    d = rand_date(r)
    return dt.datetime(d.year, d.month, d.day, r.randint(0, 23),
                       r.randint(0, 59), r.randint(0, 59),
                       r.choice([0, 500000, r.randint(0, 999999)]))


def rand_timestamptz(r):
    ts = rand_timestamp(r)
    if ts.year in (1, 9999):
        ts = ts.replace(year=2000)  # an offset must not leave the range
    tz = dt.timezone(dt.timedelta(minutes=r.choice([0, 60, -330, 840])))
    return ts.replace(tzinfo=tz)


def rand_time(r):
    return dt.time(r.randint(0, 23), r.randint(0, 59), r.randint(0, 59),
                   r.choice([0, 500000, r.randint(0, 999999)]))


# column type, generator, wrapper (the parameter's declared type)
TYPES = [
    ("int2", lambda r: rand_int(r, 16), Int2),
    ("int4", lambda r: rand_int(r, 32), Int4),
    ("int8", lambda r: rand_int(r, 64), Int8),
    ("float4", rand_float4, Float4),
    ("float8", rand_float8, Float8),
    ("bool", lambda r: r.choice([True, False]), None),
    ("text", rand_text, None),
    ("varchar", rand_text, None),
    ("bytea", rand_bytes, None),
    ("json", rand_json, Json),
    ("jsonb", rand_json, Jsonb),
    ("date", rand_date, None),
    ("time", rand_time, None),
    ("timestamp", rand_timestamp, None),
    ("timestamptz", rand_timestamptz, None),
    ("uuid", lambda r: uuid.UUID(int=r.getrandbits(128)), None),
    ("numeric", rand_numeric, None),
]


def same(typ, want, got):
    """Exact equality: floats by bit pattern (NaN is NaN, -0 is -0),
    decimals by their spelling, json by value."""
    if want is None or got is None:
        return want is got
    if typ in ("float4", "float8"):
        # float4's text is the shortest spelling that reads back as the same
        # float4 (as PostgreSQL's with extra_float_digits=1): compare as such
        fmt = "<f" if typ == "float4" else "<d"
        return (math.isnan(want) and math.isnan(got)) or (
            struct.pack(fmt, want) == struct.pack(fmt, got))
    if typ == "numeric":  # digit for digit, scale for scale
        return (isinstance(got, decimal.Decimal) and
                got.as_tuple() == want.as_tuple())
    if typ == "bytea":
        return isinstance(got, bytes) and got == want
    return type(got) is type(want) and got == want


class PgRoundTripTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        try:
            assert code == 0, "themisd exit code %r" % code
        finally:
            cls.srv.cleanup()

    def connect(self, **kw):
        return psycopg.connect(host="127.0.0.1", port=self.srv.pg_port,
                               user="themis", password="themis",
                               dbname="themis", autocommit=True,
                               connect_timeout=10, **kw)

    def setUp(self):
        self.conn = self.connect()
        self.rng = random.Random(SEED)
        self.note = "seed %d (THEMIS_RT_SEED replays it)" % SEED

    def tearDown(self):
        self.conn.close()

    def param(self, typ, wrap, v):
        if v is None:
            return None
        return wrap(v) if wrap else v

    def check(self, typ, want, got, how):
        self.assertTrue(same(typ, want, got), "%s %s: sent %r, got %r; %s" % (
            typ, how, want, got, self.note))

    # -- the data-loss regression, spelled out --------------------------

    def test_binary_bytea_parameter_is_never_lost(self):
        raw = b"\x00\x01\xff"
        cur = self.conn.cursor()
        for q in ("select %b", "select %b::bytea", "select %s"):
            for binary in (False, True):
                cur.execute(q, (raw,), binary=binary)
                self.assertEqual(cur.fetchone()[0], raw, (q, binary))
        cur.execute("create table loss(id int primary key, t text, "
                    "v varchar, b bytea)")
        cur.execute("insert into loss values (1, %b, %b, %b)",
                    (raw, raw, raw))
        cur.execute("insert into loss values (2, %t, %t, %t)",
                    (raw, raw, raw))
        for binary in (False, True):
            cur.execute("select t, v, b from loss order by id",
                        binary=binary)
            # PostgreSQL stores bytea's text form in a text column
            self.assertEqual(cur.fetchall(),
                             [("\\x0001ff", "\\x0001ff", raw)] * 2)

    # -- the property test ----------------------------------------------

    def test_every_type_round_trips_in_both_formats(self):
        r = self.rng
        cur = self.conn.cursor()
        cols = sql.SQL(", ").join(
            sql.SQL("c_{} {}").format(sql.SQL(t), sql.SQL(t))
            for t, _, _ in TYPES)
        cur.execute(sql.SQL("create table rt(id int primary key, {})")
                    .format(cols))
        names = sql.SQL(", ").join(sql.SQL("c_" + t) for t, _, _ in TYPES)
        rows = {}
        for i in range(ROWS):
            vals = [None if r.random() < 0.1 else gen(r)
                    for _, gen, _ in TYPES]
            binary = i % 2 == 0
            ph = sql.SQL(", ").join(
                [sql.Placeholder(format="b" if binary else "t")] *
                (len(TYPES) + 1))
            cur.execute(sql.SQL("insert into rt(id, {}) values ({})")
                        .format(names, ph),
                        [i] + [self.param(t, w, v)
                               for (t, _, w), v in zip(TYPES, vals)])
            rows[i] = vals
        for binary in (False, True):
            cur.execute(sql.SQL("select id, {} from rt order by id")
                        .format(names), binary=binary)
            got = cur.fetchall()
            self.assertEqual([g[0] for g in got], sorted(rows))
            for g in got:
                sent_as = "binary" if g[0] % 2 == 0 else "text"
                for (t, _, _), want, back in zip(TYPES, rows[g[0]], g[1:]):
                    self.check(t, want, back, "row %d, %s parameter, %s "
                               "result" % (g[0], sent_as,
                                           "binary" if binary else "text"))

    def test_select_parameter_round_trips(self):
        """SELECT $1 and SELECT $1::type, parameters and results each in
        text and binary."""
        r = self.rng
        cur = self.conn.cursor()
        for t, gen, wrap in TYPES:
            for _ in range(max(3, ROWS // 8)):
                v = gen(r)
                p = self.param(t, wrap, v)
                for pfmt in ("b", "t"):
                    for q in ("select %{0}::{1}", "select %{0}"):
                        for binary in (False, True):
                            cur.execute(q.format(pfmt, t), (p,),
                                        binary=binary)
                            self.check(t, v, cur.fetchone()[0],
                                       "%s, %s parameter, %s result" % (
                                           q.format(pfmt, t), pfmt,
                                           "binary" if binary else "text"))

    def test_unspecified_type_binary_parameter(self):
        """A parameter of type 0 in binary: its type is inferred (text for
        SELECT $1, the column's type in an INSERT)."""
        pg = self.conn.pgconn
        res = pg.exec_params(b"select $1", ["héllo ✓".encode()], [0], [1])
        self.assertEqual(res.status, psycopg.pq.ExecStatus.TUPLES_OK,
                         res.error_message)
        self.assertEqual(res.ftype(0), 25)
        self.assertEqual(res.get_value(0, 0), "héllo ✓".encode())
        self.conn.execute("create table unspec(i int8, b bytea, u uuid)")
        u = uuid.UUID(int=self.rng.getrandbits(128))
        res = pg.exec_params(
            b"insert into unspec values ($1, $2, $3)",
            [struct.pack("!q", -(1 << 63)), b"\x00\xff", u.bytes],
            [0, 0, 0], [1, 1, 1])
        self.assertEqual(res.status, psycopg.pq.ExecStatus.COMMAND_OK,
                         res.error_message)
        for binary in (False, True):
            got = self.conn.execute("select i, b, u from unspec",
                                    binary=binary).fetchone()
            self.assertEqual(got, (-(1 << 63), b"\x00\xff", u))

    def test_bad_binary_parameters_are_errors(self):
        pg = self.conn.pgconn
        self.conn.execute("create table bad(i int4, t text)")
        cases = [
            (b"select $1", [b"abc"], [23], "22P03"),       # int4: 3 bytes
            (b"select $1", [b"\0" * 7], [20], "22P03"),    # int8: 7 bytes
            (b"select $1", [b"\0" * 9], [701], "22P03"),   # float8: 9 bytes
            (b"select $1", [b""], [16], "22P03"),          # bool: empty
            (b"select $1", [b"\0\1"], [16], "22P03"),      # bool: 2 bytes
            (b"select $1", [b"\0" * 15], [2950], "22P03"),  # uuid: 15
            (b"select $1", [b"\0\0\0\1"], [1007], "22P03"),  # int4[]: none
            (b"select $1", [b"\xff\xfe"], [25], "22021"),  # not UTF-8
            (b"select $1", [b"a\0b"], [25], "22021"),      # NUL in text
            (b"select $1", [b"\x02{}"], [3802], "22P03"),  # jsonb version
            (b"select $1", [b"{"], [114], "22P02"),        # json syntax
            (b"select $1", [b"\x7f\xff\xff\xff"], [1082], "22008"),
            (b"insert into bad(i) values ($1)", [b"\0\0"], [23], "22P03"),
            (b"insert into bad(t) values ($1)", [b"\xc3"], [0], "22021"),
        ]
        for q, vals, types, state in cases:
            res = pg.exec_params(q, vals, types, [1] * len(vals))
            self.assertEqual(res.status, psycopg.pq.ExecStatus.FATAL_ERROR,
                             (q, vals, types))
            self.assertEqual(
                res.error_field(psycopg.pq.DiagnosticField.SQLSTATE),
                state.encode(), (q, vals, types, res.error_message))
        # nothing half-stored, and the session goes on
        self.assertEqual(self.conn.execute("select count(*) from bad")
                         .fetchone()[0], 0)

    # -- connection set-up ----------------------------------------------

    def test_client_encoding_aliases(self):
        for enc in ("UTF8", "utf8", "utf-8", "Unicode", "UTF-8"):
            with self.connect(client_encoding=enc) as c:
                self.assertEqual(c.execute("select 'ü'").fetchone()[0], "ü")
                self.assertEqual(
                    c.execute("show client_encoding").fetchone()[0], "UTF8")
        with self.assertRaises(psycopg.OperationalError) as e:
            self.connect(client_encoding="klingon")
        self.assertIn("klingon", str(e.exception))
        c = self.conn.cursor()
        c.execute("set client_encoding = 'Utf-8'")
        with self.assertRaises(psycopg.Error) as e:
            c.execute("set client_encoding = 'latin1'")
        self.assertEqual(e.exception.sqlstate, "22023")

    def test_current_schema_in_from(self):
        cur = self.conn.cursor()
        cur.execute("select * from current_schema()")
        self.assertEqual(cur.fetchall(), [("public",)])
        self.assertEqual(cur.description[0].name, "current_schema")
        cur.execute("select s from current_schema() as s")
        self.assertEqual(cur.fetchone()[0], "public")

    def test_regtype_parameter(self):
        """psycopg's TypeInfo.fetch: a type name as a regtype parameter."""
        cur = self.conn.cursor()
        for name, oid in (("jsonb", 3802), ("int4", 23), ("integer", 23),
                          ("text", 25), ("pg_catalog.bool", 16)):
            cur.execute("select %s::regtype::oid", (name,))
            self.assertEqual(cur.fetchone()[0], oid, name)
        info = psycopg.types.TypeInfo.fetch(self.conn, "jsonb")
        self.assertEqual((info.name, info.oid), ("jsonb", 3802))
        with self.assertRaises(psycopg.Error) as e:
            cur.execute("select %s::regtype", ("nosuchtype",))
        self.assertEqual(e.exception.sqlstate, "42704")

    def test_set_time_zone_interval(self):
        cur = self.conn.cursor()
        cur.execute("SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE")
        cur.execute("show timezone")
        self.assertIn(cur.fetchone()[0], ("<+00>-00", "UTC", "+00:00"))
        cur.execute("SET TIME ZONE 'UTC'")
        cur.execute("show timezone")
        self.assertEqual(cur.fetchone()[0], "UTC")

    def test_psql_sees_the_same_bytes(self):
        """The text form psql prints is PostgreSQL's for bytea and for
        bytea stored in a text column."""
        self.conn.execute("create table viapsql(t text, b bytea)")
        self.conn.execute("insert into viapsql values (%b, %b)",
                          (b"\x00\x01\xff", b"\x00\x01\xff"))
        env = dict(os.environ, PGPASSWORD="themis", PGCONNECT_TIMEOUT="10")
        out = subprocess.run(
            ["psql", "host=127.0.0.1 port=%d user=themis dbname=themis" %
             self.srv.pg_port, "-X", "-A", "-t", "-c",
             "select t, b, b = '\\x0001ff'::bytea from viapsql"],
            capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "\\x0001ff|\\x0001ff|t")


if __name__ == "__main__":
    unittest.main()
