"""ThemisDB's vector index maintenance routes (issue 32) against the real
themisd: POST /vector/index/save and /vector/index/load (a round trip
that brings back exactly the saved index, later writes replayed on top,
refusals of foreign, corrupt and escaping snapshots), DELETE
/vector/by-filter (pks and prefix, checked against brute force over what
the test keeps), and change events of /vector/batch_insert."""

import math
import os
import random
import time
import unittest

from themis_harness import ServerTest

N, DIM = 600, 8


def vec(rng):
    return [rng.uniform(-1, 1) for _ in range(DIM)]


def l2(a, b):
    return math.sqrt(sum((x - y) * (x - y) for x, y in zip(a, b)))


class VectorSnapshotTest(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        for table, dim in (("snap", DIM), ("other", DIM + 1)):
            st, _, b = s.json("POST", "/index/create", {
                "table": table, "column": "embedding", "type": "vector",
                "config": {"dimension": dim, "metric": "l2"}})
            assert st == 200, (st, b)
        rng = random.Random(3202)
        cls.rng = rng
        cls.data = {}
        items = []
        for i in range(N):
            v = vec(rng)
            cls.data["p%03d" % i] = v
            items.append({"pk": "p%03d" % i, "vector": v,
                          "fields": {"n": i}})
        cls.first_seq = cls.tip_of(s)
        st, _, b = s.json("POST", "/vector/batch_insert", {
            "table": "snap", "items": items})
        assert st == 200 and b["inserted"] == N, (st, b)
        cls.wait_count(N)

    @staticmethod
    def tip_of(s):
        _, _, b = s.json("GET", "/changefeed?from_seq=now")
        return b["latest_sequence"]

    @classmethod
    def wait_count(cls, n):
        """Until the index has applied every committed write (bounded)."""
        deadline = time.time() + 120
        while True:
            st, _, b = cls.server.json("POST", "/vector/search", {
                "table": "snap", "vector": [0] * DIM, "k": 1})
            _, _, stats = cls.server.json(
                "GET", "/vector/index/stats?table=snap")
            if st == 200 and stats.get("vectorCount") == n:
                return
            assert time.time() < deadline, (st, b, stats)
            time.sleep(0.2)

    def top(self, q, k=N):
        st, _, b = self.server.json("POST", "/vector/search", {
            "table": "snap", "vector": q, "k": k})
        self.assertEqual(st, 200, b)
        return [r["pk"] for r in b["results"]]

    def brute(self, q, k):
        d = sorted((l2(q, v), key) for key, v in self.data.items())
        return [key for _, key in d[:k]]

    def test_1_batch_insert_is_change_events(self):
        _, _, feed = self.server.json(
            "GET", "/changefeed?from_seq=%d&limit=1000" % self.first_seq)
        evs = [e for e in feed["events"] if e["collection"] == "snap"]
        self.assertEqual(len(evs), N)
        self.assertEqual({e["type"] for e in evs}, {"PUT"})
        self.assertEqual(sorted(e["key"] for e in evs), sorted(self.data))
        first = [e for e in evs if e["key"] == "p007"][0]
        self.assertEqual(first["value"]["n"], 7)
        self.assertEqual(len(first["value"]["embedding"]), DIM)

    def test_2_save_load_round_trip(self):
        q = vec(random.Random(1))
        st, _, b = self.server.json("POST", "/vector/index/save", {
            "table": "snap", "directory": "./backups/one"})
        self.assertEqual(st, 200, b)
        self.assertEqual((b["message"], b["directory"], b["count"],
                          b["dimension"]),
                         ("Index saved", "./backups/one", N, DIM))
        base = os.path.join(self.server.data_dir, "vector_snapshots", "_",
                            "backups", "one")
        self.assertTrue(any(f.endswith(".hnsw") for f in os.listdir(base)))
        before = self.top(q, 20)
        self.assertEqual(before, self.brute(q, 20))  # 600 points: exact
        # writes after the save: one replaced, one new, one removed
        moved = [x + 5 for x in q]
        st, _, b = self.server.json("POST", "/vector/batch_insert", {
            "table": "snap", "items": [
                {"pk": "p001", "vector": q},
                {"pk": "zz", "vector": [x + 0.001 for x in q]}]})
        self.assertEqual((st, b["inserted"]), (200, 2), b)
        st, _, b = self.server.json(
            "DELETE", "/v1/collections/snap/documents/p002")
        self.assertEqual(st, 200, b)
        self.data["p001"] = q
        self.data["zz"] = [x + 0.001 for x in q]
        del self.data["p002"]
        self.wait_count(N)
        st, _, b = self.server.json("POST", "/vector/index/load", {
            "table": "snap", "directory": "backups/one"})
        self.assertEqual(st, 200, b)
        self.assertEqual((b["message"], b["count"]), ("Index loaded", N))
        # the loaded index replays the later writes: equal to brute force
        self.wait_count(N)
        self.assertEqual(self.top(q, 25), self.brute(q, 25))
        self.assertEqual(self.top(moved, 5), self.brute(moved, 5))

    def test_3_refusals(self):
        for body, status, part in (
                ({"table": "snap"}, 400, "directory"),
                ({"table": "snap", "directory": "/etc"}, 400, "relative"),
                ({"table": "snap", "directory": "../../x"}, 400, "relative"),
                ({"table": "snap", "directory": "a/../../b"}, 400,
                 "relative"),
                ({"table": "snap", "directory": "a b"}, 400, "relative"),
                ({"table": "snap", "directory": 5}, 400, "directory"),
                ({"table": "snap", "directory": "never-saved"}, 404,
                 "snapshot"),
                ({"table": "nosuch", "directory": "x"}, 404, "")):
            st, _, b = self.server.json("POST", "/vector/index/load", body)
            self.assertEqual(st, status, (body, b))
            self.assertIn(part, b["message"], body)
        st, _, b = self.server.json("POST", "/vector/index/save", {
            "table": "snap", "directory": "../up"})
        self.assertEqual(st, 400, b)
        # a snapshot of another index (another dimension) is refused
        st, _, b = self.server.json("POST", "/vector/index/save", {
            "table": "other", "directory": "mix"})
        self.assertEqual(st, 200, b)
        base = os.path.join(self.server.data_dir, "vector_snapshots", "_",
                            "mix")
        for f in os.listdir(base):  # pose as the snap index's files
            os.rename(os.path.join(base, f),
                      os.path.join(base, f.replace("other", "snap")))
        st, _, b = self.server.json("POST", "/vector/index/load", {
            "table": "snap", "directory": "mix"})
        self.assertEqual(st, 400, b)
        self.assertIn("does not match", b["message"])
        # a truncated graph file is refused, the live index untouched
        st, _, b = self.server.json("POST", "/vector/index/save", {
            "table": "snap", "directory": "cut"})
        self.assertEqual(st, 200, b)
        base = os.path.join(self.server.data_dir, "vector_snapshots", "_",
                            "cut")
        hnsw = [f for f in os.listdir(base) if f.endswith(".hnsw")][0]
        with open(os.path.join(base, hnsw), "r+b") as f:
            f.truncate(100)
        st, _, b = self.server.json("POST", "/vector/index/load", {
            "table": "snap", "directory": "cut"})
        self.assertEqual(st, 400, b)
        q = vec(random.Random(9))
        self.assertEqual(self.top(q, 10), self.brute(q, 10))

    def test_4_delete_by_filter(self):
        q = vec(random.Random(4))
        st, _, b = self.server.json("DELETE", "/vector/by-filter", {
            "table": "snap", "pks": ["p010", "p011", "nope", 5, "p010"]})
        self.assertEqual(st, 200, b)
        self.assertEqual((b["deleted"], b["method"]), (2, "pks"))
        st, _, b = self.server.json("DELETE", "/vector/by-filter", {
            "table": "snap", "prefix": "p05"})
        self.assertEqual(st, 200, b)
        self.assertEqual((b["deleted"], b["method"], b["prefix"]),
                         (10, "prefix", "p05"))
        for k in ["p010", "p011"] + ["p05%d" % i for i in range(10)]:
            self.data.pop(k, None)
        self.wait_count(len(self.data))
        self.assertEqual(self.top(q, 30), self.brute(q, 30))
        # the documents stay, without the vector
        st, _, b = self.server.json("GET",
                                    "/v1/collections/snap/documents/p010")
        self.assertEqual(st, 200, b)
        self.assertNotIn("embedding", b)
        self.assertEqual(b["n"], 10)
        # again: nothing left to delete
        st, _, b = self.server.json("DELETE", "/vector/by-filter", {
            "table": "snap", "pks": ["p010"]})
        self.assertEqual((st, b["deleted"]), (200, 0))
        for body in ({"table": "snap"}, {"table": "snap", "prefix": ""},
                     {"table": "snap", "pks": "p1"},
                     {"table": "snap", "pks": ["x"] * 10001}):
            st, _, b = self.server.json("DELETE", "/vector/by-filter", body)
            self.assertEqual(st, 400, (body if len(str(body)) < 99 else "",
                                       b))


if __name__ == "__main__":
    unittest.main()
