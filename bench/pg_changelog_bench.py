#!/usr/bin/env python3
"""Change-log append across nodes (issue 26): commits/s and commit latency of
a document write + change-log append on PostgreSQL, per sequence strategy,
and a reader that checks the log is gap-free and commit-ordered as it sees it.

Strategies (docs/design/postgres-backend.md, "Change log across nodes"):
  a    every writer's transaction takes a transaction-level advisory lock,
       bumps a counter row, writes its document with _rev = seq and appends
       its log row; the lock is held until the commit is visible, so seq n+1
       can only commit after seq n. One statement (a plpgsql function in an
       implicit transaction), as a pipelined libpq backend would send it.
  a_rt the same, but the client sends COMMIT in a second round trip: the
       lock is held across a network round trip (what not pipelining costs).
  ab   (a) behind each node's own group commit: --nodes writer
       connections (one per themisd node) each batch their clients' changes
       into one transaction and take the lock once per batch.
  abf  ab, but the locked transaction commits with synchronous_commit=off
       (visible and the lock released once its WAL is written, before the
       flush); the node then waits for durability outside the lock with a
       tiny synchronous transaction (a one-row update of its own row: its
       COMMIT flushes the WAL up to it, concurrent ones share one flush)
       before acknowledging.
  b    single writer per shard: writers hand their change to one writer
       connection that assigns seq in memory and commits the queued changes
       as ONE transaction per batch (group commit); each writer waits for
       its batch's commit.
  seq  negative control: a plain SEQUENCE (nextval), no lock. Not
       commit-ordered: the reader must report skips (proves the check bites).

The reader polls `seq > last ORDER BY seq` on its own connection; a row
whose seq is not last+1 is a skip (a smaller seq committed later, or never).
At the end the whole log must be 1..N with no hole.

Usage: pg_changelog_bench.py --dsn DSN --strategy a --writers 4 --seconds 5
Prints one JSON line.
"""
import argparse
import json
import queue
import threading
import time

import psycopg2

SCHEMA = """
DROP TABLE IF EXISTS docs, changelog, cl_counter, cl_flush;
DROP SEQUENCE IF EXISTS cl_seq;
CREATE TABLE docs (key text PRIMARY KEY, rev bigint NOT NULL, body jsonb NOT NULL);
CREATE TABLE changelog (seq bigint PRIMARY KEY, key text NOT NULL,
                        rev bigint NOT NULL, body jsonb NOT NULL);
CREATE TABLE cl_counter (id int PRIMARY KEY, v bigint NOT NULL);
INSERT INTO cl_counter VALUES (1, 0);
-- abf's flush barrier: one row per node writer, so barriers never wait on
-- each other's row lock; the update writes WAL, so its synchronous COMMIT
-- flushes (a transaction that wrote no WAL commits without a flush)
CREATE TABLE cl_flush (node int PRIMARY KEY, n bigint NOT NULL);
INSERT INTO cl_flush SELECT g, 0 FROM generate_series(0, 63) AS g;
CREATE SEQUENCE cl_seq;
-- (a): the lock first, so the sequence is known before the document is
-- written: _rev = seq as in the SQLite engine (docs/engine.md). The lock is
-- held for the write and the commit; the client adds no round trip to it.
CREATE OR REPLACE FUNCTION cl_write_a(k text, b jsonb) RETURNS bigint AS $$
DECLARE s bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(26);
  UPDATE cl_counter SET v = v + 1 WHERE id = 1 RETURNING v INTO s;
  INSERT INTO docs VALUES (k, s, b)
    ON CONFLICT (key) DO UPDATE SET rev = excluded.rev, body = excluded.body;
  INSERT INTO changelog VALUES (s, k, s, b);
  RETURN s;
END $$ LANGUAGE plpgsql;
-- (a) with each node's own group commit: one call per batch of a node's
-- writer; the lock is taken once per batch.
CREATE OR REPLACE FUNCTION cl_write_ab(ks text[], bs jsonb[]) RETURNS bigint AS $$
DECLARE s bigint; n int := cardinality(ks);
BEGIN
  PERFORM pg_advisory_xact_lock(26);
  UPDATE cl_counter SET v = v + n WHERE id = 1 RETURNING v - n INTO s;
  INSERT INTO docs SELECT k, s + i, b FROM unnest(ks, bs) WITH ORDINALITY AS t(k, b, i)
    ON CONFLICT (key) DO UPDATE SET rev = excluded.rev, body = excluded.body;
  INSERT INTO changelog
  SELECT s + i, k, s + i, b FROM unnest(ks, bs) WITH ORDINALITY AS t(k, b, i);
  RETURN s;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION cl_write_seq(k text, b jsonb) RETURNS bigint AS $$
DECLARE s bigint;
BEGIN
  s := nextval('cl_seq');
  INSERT INTO docs VALUES (k, s, b)
    ON CONFLICT (key) DO UPDATE SET rev = excluded.rev, body = excluded.body;
  -- a little work after the allocation, as a handler's other writes would do
  PERFORM pg_sleep(0.0002);
  INSERT INTO changelog VALUES (s, k, s, b);
  RETURN s;
END $$ LANGUAGE plpgsql;
"""

B_BATCH = """
INSERT INTO docs SELECT k, %(base)s + i, b
FROM unnest(%(k)s::text[], %(b)s::jsonb[]) WITH ORDINALITY AS t(k, b, i)
ON CONFLICT (key) DO UPDATE SET rev = excluded.rev, body = excluded.body;
INSERT INTO changelog SELECT %(base)s + i, k, %(base)s + i, b
FROM unnest(%(k)s::text[], %(b)s::jsonb[]) WITH ORDINALITY AS t(k, b, i);
-- the fence: the counter must still be where this leader left it (a
-- deposed leader's batch updates no row and is rolled back). Last, so the
-- cursor's rowcount is this statement's.
UPDATE cl_counter SET v = %(base)s + %(n)s WHERE id = 1 AND v = %(base)s
"""

MAX_BATCH = 256  # bounded: one batch is one transaction of at most this many


def connect(dsn, autocommit=True):
    c = psycopg2.connect(dsn)
    c.autocommit = autocommit
    return c


def wal_syncs(conn):
    cur = conn.cursor()
    cur.execute("SELECT pg_stat_clear_snapshot(); SELECT wal_sync FROM pg_stat_wal")
    return cur.fetchone()[0]


def percentile(sorted_vals, p):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, int(round(p / 100.0 * (len(sorted_vals) - 1))))
    return sorted_vals[i]


class Single_writer:
    """Strategy (b): the one writer of the shard. Batches what is queued."""

    def __init__(self, dsn, locked=False, flush_outside=False, node=0):
        self.q = queue.Queue(maxsize=4096)
        # locked: strategy 'ab' (one of several node writers, seq under the
        # advisory lock); else 'b' (the shard's only writer, seq in memory)
        self.locked = locked
        self.flush_outside = flush_outside  # 'abf'
        self.node = node
        self.conn = connect(dsn, autocommit=False)
        cur = self.conn.cursor()
        if not locked:
            # (b)'s leadership: a session-level advisory lock on the writer's
            # own connection, freed by PostgreSQL when the connection dies
            cur.execute("SELECT pg_try_advisory_lock(2626)")
            if not cur.fetchone()[0]:
                raise RuntimeError("another writer leads this shard")
        cur.execute("SELECT v FROM cl_counter WHERE id = 1")
        self.next_seq = cur.fetchone()[0]  # leader's in-memory counter
        self.conn.commit()
        self.batches = 0
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        cur = self.conn.cursor()
        while True:
            try:
                first = self.q.get(timeout=0.05)
            except queue.Empty:
                if self.stop:
                    return
                continue
            items = [first]
            while len(items) < MAX_BATCH:
                try:
                    items.append(self.q.get_nowait())
                except queue.Empty:
                    break
            keys = [it[0] for it in items]
            bodies = [it[1] for it in items]
            try:
                if self.flush_outside:
                    cur.execute("SET LOCAL synchronous_commit = off;"
                                "SELECT cl_write_ab(%s::text[], %s::jsonb[])", (keys, bodies))
                    self.conn.commit()  # visible, lock released, not yet flushed
                    # the flush barrier: its synchronous commit flushes the
                    # WAL past the batch's commit record
                    cur.execute("UPDATE cl_flush SET n = n + 1 WHERE node = %s", (self.node,))
                elif self.locked:
                    cur.execute("SELECT cl_write_ab(%s::text[], %s::jsonb[])", (keys, bodies))
                else:
                    cur.execute(B_BATCH, {"k": keys, "b": bodies,
                                          "base": self.next_seq, "n": len(items)})
                    if cur.rowcount != 1:
                        raise RuntimeError("fenced: another writer moved the counter")
                self.conn.commit()
                self.next_seq += len(items)
                self.batches += 1
                for it in items:
                    it[2].set()
            except Exception as e:  # a failed batch fails every waiter
                self.conn.rollback()
                for it in items:
                    it[3].append(str(e))
                    it[2].set()

    def append(self, key, body):
        done = threading.Event()
        err = []
        self.q.put((key, body, done, err))
        done.wait()
        if err:
            raise RuntimeError(err[0])


def writer(args, wid, deadline, lat, errors, sw):
    conn = None if sw else connect(args.dsn, args.strategy != "a_rt")
    cur = conn.cursor() if conn else None
    i = 0
    body = json.dumps({"w": wid, "pad": "x" * 64})
    while time.monotonic() < deadline:
        key = "w%d-%d" % (wid, i % 1000)
        i += 1
        t0 = time.perf_counter()
        try:
            if args.strategy == "a":
                cur.execute("SELECT cl_write_a(%s, %s::jsonb)", (key, body))
                cur.fetchone()
            elif args.strategy == "a_rt":
                cur.execute("SELECT cl_write_a(%s, %s::jsonb)", (key, body))
                cur.fetchone()
                conn.commit()  # second round trip while holding the lock
            elif args.strategy == "seq":
                cur.execute("SELECT cl_write_seq(%s, %s::jsonb)", (key, body))
                cur.fetchone()
            else:
                sw[wid % len(sw)].append(key, body)
        except Exception as e:
            errors.append(str(e))
            if conn and not conn.autocommit:
                conn.rollback()
            continue
        lat.append(time.perf_counter() - t0)
    if conn:
        conn.close()


def reader(dsn, stop, out):
    """Polls seq > last; records every seq that did not follow last."""
    conn = connect(dsn)
    cur = conn.cursor()
    last = 0
    skips = []
    polls = 0
    while True:
        final = stop.is_set()
        cur.execute("SELECT seq FROM changelog WHERE seq > %s ORDER BY seq LIMIT 10000", (last,))
        polls += 1
        for (s,) in cur.fetchall():
            if s != last + 1:
                skips.append((last, s))
            last = s
        if final:
            break
        time.sleep(0.001)
    out.update(last=last, skips=len(skips), first_skips=skips[:3], polls=polls)
    conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--strategy", choices=["a", "a_rt", "ab", "abf", "b", "seq"], required=True)
    ap.add_argument("--writers", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--nodes", type=int, default=2,
                    help="ab, abf: node writers (each batching its clients)")
    args = ap.parse_args()
    c = connect(args.dsn)
    c.cursor().execute(SCHEMA)
    wal_sync0 = wal_syncs(c)
    sw = None
    if args.strategy == "b":
        sw = [Single_writer(args.dsn)]
    elif args.strategy in ("ab", "abf"):
        sw = [Single_writer(args.dsn, locked=True, flush_outside=args.strategy == "abf", node=n)
              for n in range(min(args.nodes, args.writers, 64))]
    lats = [[] for _ in range(args.writers)]
    errors = []
    stop = threading.Event()
    rout = {}
    rt = threading.Thread(target=reader, args=(args.dsn, stop, rout))
    rt.start()
    t0 = time.monotonic()
    deadline = t0 + args.seconds
    ws = [threading.Thread(target=writer, args=(args, w, deadline, lats[w], errors, sw))
          for w in range(args.writers)]
    for t in ws:
        t.start()
    for t in ws:
        t.join()
    elapsed = time.monotonic() - t0
    for w in sw or []:
        w.stop = True
        w.t.join()
    stop.set()
    rt.join()
    time.sleep(0.6)  # backends report their WAL statistics when idle
    syncs = wal_syncs(c) - wal_sync0
    cur = c.cursor()
    cur.execute("SELECT count(*), coalesce(min(seq),0), coalesce(max(seq),0) FROM changelog")
    n, lo, hi = cur.fetchone()
    all_lat = sorted(x for l in lats for x in l)
    res = {
        "strategy": args.strategy,
        "writers": args.writers,
        "commits": len(all_lat),
        "commits_per_s": round(len(all_lat) / elapsed, 1),
        "p50_ms": round(percentile(all_lat, 50) * 1e3, 3) if all_lat else None,
        "p99_ms": round(percentile(all_lat, 99) * 1e3, 3) if all_lat else None,
        "errors": len(errors),
        "wal_syncs": syncs,  # WAL flushes (pg_stat_wal): how well commits shared them
        "commits_per_sync": round(len(all_lat) / syncs, 2) if syncs else None,
        "log_rows": n,
        "dense": n == hi and lo in (0, 1),
        "reader_last": rout.get("last"),
        "reader_skips": rout.get("skips"),
        "reader_first_skips": rout.get("first_skips"),
        "reader_polls": rout.get("polls"),
    }
    if sw:
        batches = sum(w.batches for w in sw)
        res["node_writers"] = len(sw)
        res["batches"] = batches
        res["mean_batch"] = round(len(all_lat) / max(1, batches), 2)
    print(json.dumps(res), flush=True)
    c.close()
    # every strategy but the 'seq' control must keep the log gap-free and
    # commit-ordered: a violation is an exit status, not just a number
    if args.strategy != "seq" and (res["reader_skips"] or not res["dense"] or errors):
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
