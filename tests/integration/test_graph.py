"""Graph traversals (issue 32) against the real themisd: a seeded random
graph of a few hundred vertices loaded with AQL INSERTs, and every
traversal compared with what this test computes itself (BFS, path
enumeration, Dijkstra, brute-force k shortest paths): OUTBOUND / INBOUND /
ANY, min..max, uniqueVertices none/path/global, PRUNE, FILTERs on the
path, SHORTEST_PATH (hops and weights), K_SHORTEST_PATHS order,
ALL_SHORTEST_PATHS. Then the REST routes in ThemisDB's shapes
(POST /graph/edge, /graph/traverse, DELETE /graph/edge/{id}), EXPLAIN,
change events for edge writes, the limits (depth, an exploding traversal
on a dense graph), malformed handles, and tenants that never see each
other's edges."""

import heapq
import json
import random
import time
import unittest
from collections import deque

from themis_harness import Server, ServerTest
from tokens import bearer, make_jwt

N = 300        # vertices of the big graph
M = 900        # edges of the big graph
SMALL_N = 25   # the graph for brute-force path enumeration
SMALL_M = 55


def make_graph(rng, n, m, prefix):
    """Distinct directed edges without self-loops, with integer weights."""
    pairs = set()
    while len(pairs) < m:
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b:
            pairs.add((a, b))
    edges = []
    for i, (a, b) in enumerate(sorted(pairs)):
        edges.append({"_key": "%s%d" % (prefix, i), "a": a, "b": b,
                      "weight": rng.randint(1, 9)})
    return edges


class Graph:
    def __init__(self, vcoll, edges):
        self.vcoll = vcoll
        self.edges = edges
        self.out, self.inn = {}, {}
        for e in edges:
            self.out.setdefault(e["a"], []).append(e)
            self.inn.setdefault(e["b"], []).append(e)

    def h(self, i):
        return "%s/v%d" % (self.vcoll, i)

    def step(self, v, direction):
        """(edge, neighbour) pairs of v."""
        res = []
        if direction in ("OUTBOUND", "ANY"):
            res += [(e, e["b"]) for e in self.out.get(v, [])]
        if direction in ("INBOUND", "ANY"):
            res += [(e, e["a"]) for e in self.inn.get(v, [])]
        return res

    def bfs(self, s, direction, max_depth=10 ** 9):
        dist = {s: 0}
        q = deque([s])
        while q:
            v = q.popleft()
            if dist[v] == max_depth:
                continue
            for _, w in self.step(v, direction):
                if w not in dist:
                    dist[w] = dist[v] + 1
                    q.append(w)
        return dist

    def paths(self, s, direction, lo, hi, unique_vertices, prune=None):
        """Every path (as vertex lists) of length lo..hi from s, edges
        unique on the path; vertices too if unique_vertices."""
        out = []

        def walk(path, used):
            v = path[-1]
            pruned = prune is not None and prune(v)
            if len(path) - 1 >= lo:
                out.append(list(path))
            if pruned or len(path) - 1 == hi:
                return
            for e, w in self.step(v, direction):
                if e["_key"] in used or (unique_vertices and w in path):
                    continue
                used.add(e["_key"])
                path.append(w)
                walk(path, used)
                path.pop()
                used.discard(e["_key"])

        walk([s], set())
        return out

    def dijkstra(self, s, t):
        dist = {s: 0}
        heap = [(0, s)]
        while heap:
            d, v = heapq.heappop(heap)
            if d > dist[v]:
                continue
            for e, w in self.step(v, "OUTBOUND"):
                nd = d + e["weight"]
                if w not in dist or nd < dist[w]:
                    dist[w] = nd
                    heapq.heappush(heap, (nd, w))
        return dist.get(t)

    def simple_paths(self, s, t, limit_len=10 ** 9):
        """All simple paths s→t (vertex lists) with their weights."""
        res = []

        def walk(path, weight):
            v = path[-1]
            if v == t:
                res.append((weight, list(path)))
                return
            if len(path) > limit_len:
                return
            for e, w in self.step(v, "OUTBOUND"):
                if w in path:
                    continue
                path.append(w)
                walk(path, weight + e["weight"])
                path.pop()

        walk([s], 0)
        return res


class GraphTest(ServerTest):
    server_args = ("--set", "query.timeout_ms=60000")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rng = random.Random(20261207)
        cls.big = Graph("persons", make_graph(rng, N, M, "k"))
        cls.small = Graph("sv", make_graph(rng, SMALL_N, SMALL_M, "s"))
        for vcoll, ecoll, n, g in (("persons", "knows", N, cls.big),
                                   ("sv", "se", SMALL_N, cls.small)):
            for c in (vcoll, ecoll):
                st, _, _ = cls.server.json("POST", "/v1/collections",
                                           {"name": c})
                assert st in (200, 201), st
            docs = [{"_key": "v%d" % i, "value": i} for i in range(n)]
            cls.run_ok("FOR d IN @docs INSERT d INTO @@c",
                       {"docs": docs, "@c": vcoll})
            edges = [{"_key": e["_key"], "_from": g.h(e["a"]),
                      "_to": g.h(e["b"]), "weight": e["weight"]}
                     for e in g.edges]
            cls.run_ok("FOR e IN @edges INSERT e INTO @@c",
                       {"edges": edges, "@c": ecoll})

    @classmethod
    def run_ok(cls, query, bind=None):
        st, _, b = cls.server.json("POST", "/query/aql",
                                   {"query": query, "bindVars": bind or {}})
        assert st == 200, (st, b, query)
        return b["result"]

    def aql(self, query, bind=None):
        return self.server.json("POST", "/query/aql",
                                {"query": query, "bindVars": bind or {}})

    def keys(self, ids):
        return [int(k[1:]) for k in ids]

    # -- traversals --------------------------------------------------------

    def test_bfs_global_matches_python_bfs(self):
        g = self.big
        for direction in ("OUTBOUND", "INBOUND", "ANY"):
            for s in (0, 7, 123, 299):
                rows = self.run_ok(
                    "FOR v, e, p IN 1..3 %s @s knows OPTIONS {order: 'bfs', "
                    "uniqueVertices: 'global'} RETURN [v._key, LENGTH(p.edges)]"
                    % direction, {"s": g.h(s)})
                dist = g.bfs(s, direction, 3)
                want = {v: d for v, d in dist.items() if 1 <= d <= 3}
                got = {int(k[1:]): d for k, d in rows}
                self.assertEqual(got, want, (direction, s))
                self.assertEqual(len(rows), len(want))  # each vertex once
                depths = [d for _, d in rows]
                self.assertEqual(depths, sorted(depths))  # BFS order

    def test_path_enumeration_uniqueness_and_depth_ranges(self):
        g = self.big
        for direction, lo, hi, uv, opts in (
                ("OUTBOUND", 1, 3, True, "{uniqueVertices: 'path'}"),
                ("INBOUND", 2, 3, True, "{uniqueVertices: 'path'}"),
                ("OUTBOUND", 0, 3, False, "{}"),
                ("ANY", 1, 2, False, "{uniqueVertices: 'none'}"),
                ("OUTBOUND", 2, 2, True, "{uniqueVertices: 'path', "
                                         "order: 'bfs'}")):
            for s in (3, 42):
                rows = self.run_ok(
                    "FOR v, e, p IN %d..%d %s @s knows OPTIONS %s "
                    "RETURN p.vertices[*]._key" % (lo, hi, direction, opts),
                    {"s": g.h(s)})
                got = sorted(self.keys(r) for r in rows)
                want = sorted(g.paths(s, direction, lo, hi, uv))
                self.assertEqual(got, want, (direction, lo, hi, opts, s))

    def test_prune_and_filters_on_the_path(self):
        g = self.big
        for s in (5, 77):
            rows = self.run_ok(
                "FOR v, e, p IN 1..3 OUTBOUND @s knows "
                "PRUNE v.value % 4 == 0 OPTIONS {uniqueVertices: 'path'} "
                "RETURN p.vertices[*].value", {"s": g.h(s)})
            want = sorted(g.paths(s, "OUTBOUND", 1, 3, True,
                                  prune=lambda v: v % 4 == 0))
            self.assertEqual(sorted(rows), want)
            # FILTERs on e and p after the traversal
            rows = self.run_ok(
                "FOR v, e, p IN 1..3 OUTBOUND @s knows OPTIONS "
                "{uniqueVertices: 'path'} FILTER e.weight >= 5 "
                "FILTER MIN(p.edges[*].weight) >= 3 "
                "RETURN p.vertices[*].value", {"s": g.h(s)})
            wmap = {(e["a"], e["b"]): e["weight"] for e in g.edges}
            want = sorted(
                p for p in g.paths(s, "OUTBOUND", 1, 3, True)
                if wmap[(p[-2], p[-1])] >= 5 and
                min(wmap[(a, b)] for a, b in zip(p, p[1:])) >= 3)
            self.assertEqual(sorted(rows), want)

    def test_start_as_document_and_limit_stops_early(self):
        rows = self.run_ok(
            "FOR v IN 1..1 OUTBOUND {_id: 'persons/v1'} knows RETURN v._key")
        self.assertEqual(sorted(self.keys(rows)),
                         sorted(w for _, w in self.big.step(1, "OUTBOUND")))
        st, _, b = self.aql(
            "FOR v IN 1..10 ANY 'persons/v0' knows LIMIT 5 RETURN v._key")
        self.assertEqual((st, len(b["result"])), (200, 5))

    def test_weighted_traversal_order(self):
        rows = self.run_ok(
            "FOR v, e, p IN 1..3 OUTBOUND 'persons/v9' knows OPTIONS "
            "{order: 'weighted', weightAttribute: 'weight', "
            "uniqueVertices: 'global'} "
            "RETURN [v.value, p.weights[-1], p.vertices[*].value]")
        self.assertTrue(rows)
        weights = [w for _, w, _ in rows]
        self.assertEqual(weights, sorted(weights))  # lightest first
        self.assertEqual(len({v for v, _, _ in rows}), len(rows))
        wmap = {(e["a"], e["b"]): e["weight"] for e in self.big.edges}
        for v, w, path in rows:
            self.assertEqual(path[0], 9)
            self.assertEqual(path[-1], v)
            self.assertEqual(sum(wmap[(a, b)] for a, b in zip(path, path[1:])),
                             w)
        lightest = min(e["weight"] for e in self.big.out[9])
        self.assertEqual(rows[0][1], lightest)

    # -- path searches -----------------------------------------------------

    def test_shortest_path_hops_and_weights(self):
        g = self.big
        rng = random.Random(7)
        found = 0
        for _ in range(12):
            a, b = rng.randrange(N), rng.randrange(N)
            dist = g.bfs(a, "OUTBOUND")
            rows = self.run_ok(
                "FOR v, e IN OUTBOUND SHORTEST_PATH @a TO @b knows "
                "RETURN [v.value, e.weight]", {"a": g.h(a), "b": g.h(b)})
            if b not in dist:
                self.assertEqual(rows, [])
                continue
            found += 1
            path = [v for v, _ in rows]
            self.assertEqual((path[0], path[-1]), (a, b))
            self.assertEqual(len(path) - 1, dist[b])
            for x, y in zip(path, path[1:]):
                self.assertIn(y, [w for _, w in g.step(x, "OUTBOUND")])
            rows = self.run_ok(
                "FOR v, e IN OUTBOUND SHORTEST_PATH @a TO @b knows "
                "OPTIONS {weightAttribute: 'weight'} RETURN e.weight",
                {"a": g.h(a), "b": g.h(b)})
            self.assertIsNone(rows[0])
            self.assertEqual(sum(rows[1:]), g.dijkstra(a, b))
        self.assertGreater(found, 3)

    def test_k_shortest_paths_order_against_brute_force(self):
        g = self.small
        pairs = [(a, b) for a in range(SMALL_N) for b in range(SMALL_N)
                 if a != b]
        random.Random(3).shuffle(pairs)
        checked = 0
        for a, b in pairs:
            every = sorted(g.simple_paths(a, b))
            if len(every) < 4:
                continue
            rows = self.run_ok(
                "FOR p IN OUTBOUND K_SHORTEST_PATHS @a TO @b se OPTIONS "
                "{weightAttribute: 'weight'} LIMIT 6 "
                "RETURN {w: p.weight, vs: p.vertices[*].value, "
                "ws: p.edges[*].weight}", {"a": g.h(a), "b": g.h(b)})
            self.assertEqual([r["w"] for r in rows],
                             [w for w, _ in every[:6]], (a, b))
            valid = {tuple(p) for _, p in every}
            for r in rows:
                self.assertIn(tuple(r["vs"]), valid)
                self.assertEqual(sum(r["ws"]), r["w"])
            self.assertEqual(len({tuple(r["vs"]) for r in rows}), len(rows))
            # hop counts without a weight attribute
            rows = self.run_ok(
                "FOR p IN OUTBOUND K_SHORTEST_PATHS @a TO @b se LIMIT 4 "
                "RETURN LENGTH(p.edges)", {"a": g.h(a), "b": g.h(b)})
            self.assertEqual(rows, sorted(len(p) - 1 for _, p in every)[:4])
            # ALL_SHORTEST_PATHS: every path of the fewest hops
            rows = self.run_ok(
                "FOR p IN OUTBOUND ALL_SHORTEST_PATHS @a TO @b se "
                "RETURN p.vertices[*].value", {"a": g.h(a), "b": g.h(b)})
            fewest = min(len(p) for _, p in every)
            self.assertEqual(sorted(rows),
                             sorted(p for _, p in every if len(p) == fewest))
            checked += 1
            if checked == 8:
                break
        self.assertEqual(checked, 8)

    # -- errors and limits -------------------------------------------------

    def test_depth_limit_and_malformed_input(self):
        for q, bind, status, part in (
                ("FOR v IN 1..101 OUTBOUND 'persons/v1' knows RETURN v", {},
                 400, "limit of 100"),
                ("FOR v IN 1..@d OUTBOUND 'persons/v1' knows RETURN v",
                 {"d": 1000}, 400, "limit of 100"),
                ("FOR v IN 1..2 OUTBOUND 'nohandle' knows RETURN v", {}, 400,
                 "document handle"),
                ("FOR v IN 1..2 OUTBOUND 42 knows RETURN v", {}, 400,
                 "document handle"),
                ("FOR v IN 1..2 OUTBOUND 'persons/v1' nosuch RETURN v", {},
                 404, "nosuch"),
                ("FOR v IN 1..2 OUTBOUND 'persons/v1' knows OPTIONS "
                 "{uniqueVertices: 'global'} RETURN v", {}, 400, "global"),
                ("FOR v IN 1..2 OUTBOUND 'persons/v1' knows OPTIONS "
                 "{order: 'random'} RETURN v", {}, 400, "order"),
                ("FOR v, e IN 1..2 OUTBOUND RETURN v", {}, 400, ""),
                ("INSERT {_from: 'persons/v1', _to: 'bad handle'} INTO knows",
                 {}, 400, "_to"),
                ("INSERT {_from: 'persons/v1'} INTO knows", {}, 400, "_to"),
                ("UPDATE 'k1' WITH {_from: 7} IN knows", {}, 400, "_from")):
            st, _, b = self.aql(q, bind)
            self.assertEqual(st, status, (q, b))
            self.assertIn(part, json.dumps(b), (q, b))

    def test_exploding_traversal_is_stopped(self):
        for c in ("dv", "dense"):
            self.server.json("POST", "/v1/collections", {"name": c})
        edges = [{"_from": "dv/%d" % a, "_to": "dv/%d" % b}
                 for a in range(40) for b in range(40) if a != b]
        self.run_ok("FOR e IN @e INSERT e INTO dense", {"e": edges})
        started = time.time()
        st, _, b = self.aql(
            "FOR v IN 1..10 OUTBOUND 'dv/0' dense OPTIONS "
            "{uniqueEdges: 'none'} COLLECT WITH COUNT INTO n RETURN n")
        took = time.time() - started
        self.assertEqual(st, 400, b)
        self.assertIn("paths", json.dumps(b))
        self.assertLess(took, 50)
        # the server is fine afterwards
        st, _, b = self.aql("FOR v IN 1 OUTBOUND 'dv/0' dense "
                            "COLLECT WITH COUNT INTO n RETURN n")
        self.assertEqual((st, b["result"]), (200, [39]))

    # -- REST, EXPLAIN, change events --------------------------------------

    def test_rest_edge_and_traverse_in_themisdb_shapes(self):
        start_seq = self.tip()
        chain = [("c1", "city/a", "city/b"), ("c2", "city/b", "city/c"),
                 ("c3", "city/a", "city/d"), ("c4", "city/c", "city/e")]
        for key, f, t in chain:
            st, _, b = self.server.json("POST", "/graph/edge", {
                "id": key, "_from": f, "_to": t, "collection": "roads",
                "km": 5})
            self.assertEqual(st, 201, b)
            self.assertEqual((b["id"], b["_from"], b["_to"]), (key, f, t))
        st, _, b = self.server.json("POST", "/graph/traverse", {
            "start_vertex": "city/a", "max_depth": 2,
            "edge_collection": "roads"})
        self.assertEqual(st, 200, b)
        self.assertEqual(b["visited"][0], "city/a")
        self.assertEqual(set(b["visited"]),
                         {"city/a", "city/b", "city/d", "city/c"})
        self.assertEqual(b["visited_count"], 4)
        self.assertEqual((b["start_vertex"], b["max_depth"]), ("city/a", 2))
        # the Python SDK's request: "start", "edge_type"; it reads "nodes"
        st, _, b = self.server.json("POST", "/graph/traverse", {
            "start": "city/e", "max_depth": 10, "edge_type": "roads",
            "direction": "inbound"})
        self.assertEqual(st, 200, b)
        self.assertEqual(b["nodes"], ["city/e", "city/c", "city/b", "city/a"])
        # a bare key with vertex_collection, depth 0
        st, _, b = self.server.json("POST", "/graph/traverse", {
            "start_vertex": "a", "vertex_collection": "city", "max_depth": 0,
            "edge_collection": "roads"})
        self.assertEqual((st, b["visited"]), (200, ["city/a"]))
        # ThemisDB's entity ids "table:pk" (what its SDKs send) map to
        # the entity documents' handles, and come back in the same form
        st, _, b = self.server.json("POST", "/graph/edge", {
            "_from": "relational__default__users/1",
            "_to": "relational__default__users/2", "edge_type": "follows"})
        self.assertEqual(st, 201, b)
        st, _, b = self.server.json("POST", "/graph/traverse", {
            "start": "relational.default.users:1", "max_depth": 2,
            "edge_type": "follows"})
        self.assertEqual((st, b.get("nodes")),
                         (200, ["relational.default.users:1",
                                "relational.default.users:2"]), b)
        # no edge collection yet: just the start
        st, _, b = self.server.json("POST", "/graph/traverse", {
            "start_vertex": "city/a", "max_depth": 3})
        self.assertEqual((st, b.get("visited")), (200, ["city/a"]), b)
        # edge writes are change events like every document write
        _, _, feed = self.server.json(
            "GET", "/changefeed?from_seq=%d" % start_seq)
        evs = [e for e in feed["events"] if e["collection"] == "roads"]
        self.assertEqual([e["key"] for e in evs], ["c1", "c2", "c3", "c4"])
        self.assertEqual(evs[0]["value"]["_from"], "city/a")
        # delete
        st, _, b = self.server.json("DELETE", "/graph/edge/c2?collection=roads")
        self.assertEqual((st, b["deleted"]), (200, True))
        st, _, b = self.server.json("DELETE", "/graph/edge/roads%2Fc2")
        self.assertEqual(st, 404)
        st, _, b = self.server.json("POST", "/graph/traverse", {
            "start_vertex": "city/a", "max_depth": 5,
            "edge_collection": "roads"})
        self.assertEqual(set(b["visited"]), {"city/a", "city/b", "city/d"})

    def test_rest_errors(self):
        for path, body, part in (
                ("/graph/traverse", {"max_depth": 2}, "start_vertex"),
                ("/graph/traverse", {"start_vertex": "city/a"}, "max_depth"),
                ("/graph/traverse", {"start_vertex": "city/a",
                                     "max_depth": 101}, "max_depth"),
                ("/graph/traverse", {"start_vertex": "city/a",
                                     "max_depth": -1}, "max_depth"),
                ("/graph/traverse", {"start_vertex": "nohandle",
                                     "max_depth": 1}, "handle"),
                ("/graph/traverse", {"start_vertex": "city/a", "max_depth": 1,
                                     "direction": "up"}, "direction"),
                ("/graph/traverse", {"start_vertex": "city/a", "max_depth": 1,
                                     "edge_collection": "a.b"}, "collection"),
                ("/graph/traverse", [1, 2], "object"),
                ("/graph/edge", {"_from": "city/a"}, "_to"),
                ("/graph/edge", {"_from": "city/a", "_to": "x"}, "_to"),
                ("/graph/edge", {"_from": "a/b/c", "_to": "city/a"}, "_from"),
                ("/graph/edge", {"_from": "city/a", "_to": "city/b",
                                 "id": "bad/key"}, "key"),
                ("/graph/edge", {"_from": "city/a", "_to": "city/b",
                                 "collection": "../x"}, "collection")):
            st, _, b = self.server.json("POST", path, body)
            self.assertEqual(st, 400, (path, body, b))
            self.assertIn(part, json.dumps(b), (path, body))

    def test_explain_shows_the_traversal(self):
        st, _, b = self.server.json("POST", "/query/aql", {
            "query": "FOR v, e, p IN 1..3 INBOUND 'persons/v1' knows "
                     "PRUNE v.value == 3 RETURN v", "explain": True})
        self.assertEqual(st, 200, b)
        node = b["plan"]["loops"][0]
        self.assertEqual(b["plan"]["mode"], "traversal")
        self.assertEqual((node["direction"], node["edge_collections"],
                          node["min_depth"], node["max_depth"],
                          node["edge_index"], node["prune"]),
                         ("INBOUND", ["knows"], 1, 3, "documents_edge_to",
                          True))
        self.assertEqual(b["ast"]["clauses"][0]["source"], "graph")


SECRET = "graph tenant secret, long enough!"


class GraphTenantTest(unittest.TestCase):
    """Two tenants with the same collection names: a traversal reads only
    its own tenant's edges and vertices, and cannot name the other's."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--set", "auth.jwt_secret=" + SECRET],
                         env={"THEMIS_AUTH_REQUIRED": "true"}).start()
        cls.acme = bearer(make_jwt(SECRET, "alice", "acme"))
        cls.beta = bearer(make_jwt(SECRET, "bob", "beta"))

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def aql(self, who, query, bind=None):
        return self.srv.json("POST", "/query/aql",
                             {"query": query, "bindVars": bind or {}}, who)

    def test_edges_are_per_tenant(self):
        for who, tag in ((self.acme, "acme"), (self.beta, "beta")):
            for key, f, t in (("e1", "p/1", "p/2"), ("e2", "p/2", "p/" + tag)):
                st, _, b = self.srv.json("POST", "/graph/edge", {
                    "id": key, "_from": f, "_to": t}, who)
                self.assertEqual(st, 201, b)
            st, _, _ = self.srv.json("POST", "/v1/collections", {"name": "p"},
                                     who)
            self.assertIn(st, (200, 201))
            st, b = self.aql(who, "INSERT {_key: '1', owner: @t} INTO p",
                             {"t": tag})[0::2]
            self.assertEqual(st, 200, b)
        for who, tag, other in ((self.acme, "acme", "beta"),
                                (self.beta, "beta", "acme")):
            st, _, b = self.aql(who, "FOR v, e, p IN 0..5 ANY 'p/1' edges "
                                     "RETURN [v, e, p]")
            self.assertEqual(st, 200, b)
            text = json.dumps(b["result"])
            self.assertIn("p/" + tag, text)
            self.assertNotIn(other, text)
            st, _, b = self.srv.json("POST", "/graph/traverse", {
                "start_vertex": "p/1", "max_depth": 5}, who)
            self.assertEqual((st, sorted(b["visited"])),
                             (200, ["p/1", "p/2", "p/" + tag]))
            # the other tenant's stored names are not reachable
            st, _, b = self.aql(who, "FOR v IN 1 OUTBOUND 'p/1' @@e RETURN v",
                                {"@e": other + ".edges"})
            self.assertIn(st, (400, 404), b)
            st, _, b = self.aql(who, "FOR v IN 1 OUTBOUND @s edges RETURN v",
                                {"s": other + ".p/1"})
            self.assertEqual(st, 400, b)
            st, _, b = self.srv.json("POST", "/graph/traverse", {
                "start_vertex": "p/1", "max_depth": 5,
                "edge_collection": other + ".edges"}, who)
            self.assertEqual(st, 400, b)


if __name__ == "__main__":
    unittest.main()
