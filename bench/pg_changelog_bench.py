#!/usr/bin/env python3
"""Change-log append across nodes (issue 26): commits/s and commit latency of
a document write + change-log append on PostgreSQL, per sequence strategy,
and a reader that checks the log is gap-free and commit-ordered as it sees it.

Strategies (docs/design/postgres-backend.md, "Change log across nodes"):
  a    every writer's transaction upserts its document, then takes a
       transaction-level advisory lock, bumps a counter row and appends its
       log row; the lock is held until the commit is visible, so seq n+1 can
       only commit after seq n. One statement (a plpgsql function in an
       implicit transaction), as a pipelined libpq backend would send it.
  a_rt the same, but the client sends COMMIT in a second round trip: the
       lock is held across a network round trip (what not pipelining costs).
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
DROP TABLE IF EXISTS docs, changelog, cl_counter;
DROP SEQUENCE IF EXISTS cl_seq;
CREATE TABLE docs (key text PRIMARY KEY, rev bigint NOT NULL, body jsonb NOT NULL);
CREATE TABLE changelog (seq bigint PRIMARY KEY, key text NOT NULL,
                        rev bigint NOT NULL, body jsonb NOT NULL);
CREATE TABLE cl_counter (id int PRIMARY KEY, v bigint NOT NULL);
INSERT INTO cl_counter VALUES (1, 0);
CREATE SEQUENCE cl_seq;
-- (a): the document write, then the lock, counter and log row last, so the
-- lock covers only the append and the commit.
CREATE OR REPLACE FUNCTION cl_write_a(k text, b jsonb) RETURNS bigint AS $$
DECLARE s bigint; r bigint;
BEGIN
  INSERT INTO docs VALUES (k, 1, b)
    ON CONFLICT (key) DO UPDATE SET rev = docs.rev + 1, body = excluded.body
    RETURNING rev INTO r;
  PERFORM pg_advisory_xact_lock(26);
  UPDATE cl_counter SET v = v + 1 WHERE id = 1 RETURNING v INTO s;
  INSERT INTO changelog VALUES (s, k, r, b);
  RETURN s;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION cl_write_seq(k text, b jsonb) RETURNS bigint AS $$
DECLARE s bigint; r bigint;
BEGIN
  INSERT INTO docs VALUES (k, 1, b)
    ON CONFLICT (key) DO UPDATE SET rev = docs.rev + 1, body = excluded.body
    RETURNING rev INTO r;
  s := nextval('cl_seq');
  -- a little work after the allocation, as a handler's other writes would do
  PERFORM pg_sleep(0.0002);
  INSERT INTO changelog VALUES (s, k, r, b);
  RETURN s;
END $$ LANGUAGE plpgsql;
"""

B_BATCH = """
WITH d AS (
  INSERT INTO docs SELECT k, 1, b FROM unnest(%(k)s::text[], %(b)s::jsonb[]) AS t(k, b)
  ON CONFLICT (key) DO UPDATE SET rev = docs.rev + 1, body = excluded.body
  RETURNING key, rev, body)
INSERT INTO changelog
SELECT %(base)s + o.i, d.key, d.rev, d.body
FROM unnest(%(k)s::text[]) WITH ORDINALITY AS o(k, i) JOIN d ON d.key = o.k
"""

MAX_BATCH = 256  # bounded: one batch is one transaction of at most this many


def connect(dsn, autocommit=True):
    c = psycopg2.connect(dsn)
    c.autocommit = autocommit
    return c


def percentile(sorted_vals, p):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, int(round(p / 100.0 * (len(sorted_vals) - 1))))
    return sorted_vals[i]


class Single_writer:
    """Strategy (b): the one writer of the shard. Batches what is queued."""

    def __init__(self, dsn):
        self.q = queue.Queue(maxsize=4096)
        self.conn = connect(dsn, autocommit=False)
        cur = self.conn.cursor()
        cur.execute("SELECT coalesce(max(seq), 0) FROM changelog")
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
                cur.execute(B_BATCH, {"k": keys, "b": bodies, "base": self.next_seq})
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
    conn = None if args.strategy == "b" else connect(args.dsn, args.strategy != "a_rt")
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
                sw.append(key, body)
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
    ap.add_argument("--strategy", choices=["a", "a_rt", "b", "seq"], required=True)
    ap.add_argument("--writers", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5)
    args = ap.parse_args()
    c = connect(args.dsn)
    c.cursor().execute(SCHEMA)
    sw = Single_writer(args.dsn) if args.strategy == "b" else None
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
    if sw:
        sw.stop = True
        sw.t.join()
    stop.set()
    rt.join()
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
        "log_rows": n,
        "dense": n == hi and lo in (0, 1),
        "reader_last": rout.get("last"),
        "reader_skips": rout.get("skips"),
        "reader_first_skips": rout.get("first_skips"),
        "reader_polls": rout.get("polls"),
    }
    if sw:
        res["batches"] = sw.batches
        res["mean_batch"] = round(len(all_lat) / max(1, sw.batches), 2)
    print(json.dumps(res), flush=True)
    c.close()


if __name__ == "__main__":
    main()
