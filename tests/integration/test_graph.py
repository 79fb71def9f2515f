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


class EdgeCollectionTest(ServerTest):
    """Edge collections as a collection type (issue 32): created over REST
    (type "edge" or ArangoDB's 3), SQL (WITH (themis_type = 'edge')) and
    POST /graph/edge; every write path refuses an edge without valid
    _from/_to handles; the type survives a restart."""

    GOOD = {"_from": "persons/a", "_to": "persons/b"}
    # (document, what the refusal names)
    BAD = ((dict(_to="persons/b"), "_from"),
           (dict(_from="persons/a"), "_to"),
           (dict(_from="persons/a", _to=7), "_to"),
           (dict(_from="persons", _to="persons/b"), "_from"),
           (dict(_from="persons/a/x", _to="persons/b"), "_from"),
           (dict(_from="pers ons/a", _to="persons/b"), "_from"),
           (dict(_from="persons/a", _to=None), "_to"))

    def aql(self, query, bind=None):
        return self.server.json("POST", "/query/aql",
                                {"query": query, "bindVars": bind or {}})

    def pg(self):
        import psycopg2
        c = psycopg2.connect(host="127.0.0.1", port=self.server.pg_port,
                             user="themis", password="themis",
                             dbname="themis", connect_timeout=10)
        c.autocommit = True
        self.addCleanup(c.close)
        return c

    def make(self, name, typ):
        st, _, b = self.server.json("POST", "/v1/collections",
                                    {"name": name, "type": typ})
        self.assertEqual(st, 201, b)
        return b

    def refused(self, st, b, part):
        self.assertEqual(st, 400, b)
        self.assertIn("edge attribute missing or invalid", b["message"])
        self.assertIn(part, b["message"])
        self.assertEqual((b["error"], b["status_code"]), (True, 400))

    def test_type_over_rest_and_listing(self):
        self.assertEqual(self.make("likes", "edge")["type"], "edge")
        self.assertEqual(self.make("likes3", 3)["type"], "edge")
        self.assertEqual(self.make("plain2", 2)["type"], "document")
        self.assertEqual(self.make("plain", "document")["type"], "document")
        st, _, b = self.server.json("POST", "/v1/collections",
                                    {"name": "x1"})
        self.assertEqual((st, b["type"]), (201, "document"))
        for bad in ("graph", "Edge", 4, 3.0, None, ["edge"]):
            st, _, b = self.server.json("POST", "/v1/collections",
                                        {"name": "bad", "type": bad})
            self.assertEqual(st, 400, (bad, b))
            self.assertIn("type", b["message"])
        st, _, b = self.server.json("GET", "/v1/collections/likes")
        self.assertEqual((st, b["type"]), (200, "edge"))
        st, _, b = self.server.json("GET", "/v1/collections/plain")
        self.assertEqual((st, b["type"]), (200, "document"))
        _, _, b = self.server.json("GET", "/v1/collections")
        types = {c["name"]: c["type"] for c in b["collections"]}
        self.assertEqual((types["likes"], types["likes3"], types["plain"],
                          types["plain2"]),
                         ("edge", "edge", "document", "document"))
        # POST /graph/edge makes a missing collection an edge collection
        st, _, b = self.server.json("POST", "/graph/edge", dict(
            self.GOOD, collection="auto_edges"))
        self.assertEqual(st, 201, b)
        st, _, b = self.server.json("GET", "/v1/collections/auto_edges")
        self.assertEqual(b["type"], "edge")

    def test_rest_and_entity_writes_are_checked(self):
        self.make("rel", "edge")
        st, _, b = self.server.json("POST", "/v1/collections/rel/documents",
                                    dict(self.GOOD, _key="ok1"))
        self.assertEqual(st, 201, b)
        for doc, part in self.BAD:
            st, _, b = self.server.json(
                "POST", "/v1/collections/rel/documents", doc)
            self.refused(st, b, part)
            st, _, b = self.server.json(
                "PUT", "/v1/collections/rel/documents/ok1", doc)
            self.refused(st, b, "")
        # a PATCH that removes or breaks a handle
        st, _, b = self.server.json(
            "PATCH", "/v1/collections/rel/documents/ok1", {"_to": None})
        self.refused(st, b, "")
        st, _, b = self.server.json(
            "PATCH", "/v1/collections/rel/documents/ok1", {"w": 2})
        self.assertEqual(st, 200, b)
        # ThemisDB's entity routes write the same collection
        st, _, b = self.server.json("PUT", "/entities/rel:e2",
                                    {"blob": json.dumps({"x": 1})})
        self.assertEqual(st, 400, b)
        self.assertIn("edge attribute missing or invalid", b["message"])
        st, _, b = self.server.json("PUT", "/entities/rel:e2",
                                    {"blob": json.dumps(self.GOOD)})
        self.assertIn(st, (200, 201), b)
        # a document collection takes anything, as before
        self.make("loose", "document")
        st, _, b = self.server.json("POST", "/v1/collections/loose/documents",
                                    {"_from": 5})
        self.assertEqual(st, 201, b)
        # nothing refused reached the store
        st, _, b = self.server.json("GET", "/v1/collections/rel")
        self.assertEqual(b["count"], 2)

    def test_aql_writes_are_checked(self):
        self.make("aqle", "edge")
        st, _, b = self.aql("INSERT @d INTO aqle RETURN NEW._key",
                            {"d": dict(self.GOOD, _key="a1")})
        self.assertEqual((st, b.get("result")), (200, ["a1"]), b)
        # INSERT without handles: a plain document gets no handle check
        # in AQL itself, the edge collection refuses it
        for q, bind in (
                ("INSERT {x: 1} INTO aqle", {}),
                ("INSERT {_from: 'persons/a'} INTO aqle", {}),
                ("FOR i IN 1..3 INSERT {_key: TO_STRING(i), _from: 'p/1', "
                 "_to: i == 3 ? 'bad' : 'p/2'} INTO aqle", {}),
                ("UPDATE 'a1' WITH {_to: null} IN aqle", {}),
                ("UPDATE 'a1' WITH {_from: 'x y/1'} IN aqle", {}),
                ("REPLACE 'a1' WITH {w: 1} IN aqle", {}),
                ("REPLACE {_key: 'a1', _from: 'p/1'} IN aqle", {})):
            st, _, b = self.aql(q, bind)
            self.assertEqual(st, 400, (q, b))
            self.assertIn("edge attribute missing or invalid", b["message"],
                          q)
        # the failed multi-row INSERT left nothing behind
        st, _, b = self.aql("FOR e IN aqle RETURN e._key")
        self.assertEqual(b["result"], ["a1"])
        st, _, b = self.aql("UPDATE 'a1' WITH {_to: 'persons/z'} IN aqle "
                            "RETURN NEW._to")
        self.assertEqual((st, b.get("result")), (200, ["persons/z"]), b)

    def test_sql_edge_table(self):
        c = self.pg()
        cur = c.cursor()
        cur.execute("CREATE TABLE sqledges (id text PRIMARY KEY, \"_from\" "
                    "text, \"_to\" text, w int) WITH (themis_type = 'edge')")
        st, _, b = self.server.json("GET", "/v1/collections/sqledges")
        self.assertEqual((st, b.get("type")), (200, "edge"), b)
        cur.execute("INSERT INTO sqledges VALUES ('1', 'sv/a', 'sv/b', 1), "
                    "('2', 'sv/b', 'sv/c', 2)")
        import psycopg2
        for row in (("3", None, "sv/a"), ("3", "sv/a", "nohandle"),
                    ("3", "sv/a", "a/b/c")):
            with self.assertRaises(psycopg2.Error) as cm:
                cur.execute("INSERT INTO sqledges VALUES (%s, %s, %s, 0)",
                            row)
            self.assertEqual(cm.exception.pgcode, "23514", row)
            self.assertIn("edge attribute missing or invalid",
                          cm.exception.pgerror)
        with self.assertRaises(psycopg2.Error) as cm:
            cur.execute("UPDATE sqledges SET \"_to\" = 'bad' WHERE id = '1'")
        self.assertEqual(cm.exception.pgcode, "23514")
        with self.assertRaises(psycopg2.Error) as cm:
            cur.execute("CREATE TABLE t2 (a int) WITH (themis_type = 'vertex')")
        self.assertEqual(cm.exception.pgcode, "22023")
        # the SQL rows are edges for AQL traversals
        st, _, b = self.aql("FOR v, e IN 1..2 OUTBOUND 'sv/a' sqledges "
                            "RETURN e._to")
        self.assertEqual(st, 200, b)
        self.assertEqual(sorted(b["result"]), ["sv/b", "sv/c"])
        cur.execute("SELECT count(*) FROM sqledges")
        self.assertEqual(cur.fetchone()[0], 2)
        # DROP TABLE forgets the type: a document table of the same name
        cur.execute("DROP TABLE sqledges")
        cur.execute("CREATE TABLE sqledges (id text PRIMARY KEY, x int)")
        cur.execute("INSERT INTO sqledges VALUES ('1', 1)")
        st, _, b = self.server.json("GET", "/v1/collections/sqledges")
        self.assertEqual(b["type"], "document")

    def test_edge_writes_are_change_events(self):
        self.make("evedges", "edge")
        start = self.tip()
        st, _, b = self.aql("FOR i IN 1..3 INSERT {_key: CONCAT('k', i), "
                            "_from: 'p/1', _to: CONCAT('p/', i)} INTO evedges")
        self.assertEqual(st, 200, b)
        st, _, b = self.server.json("POST", "/graph/edge", {
            "id": "r1", "_from": "p/9", "_to": "p/8",
            "collection": "evedges"})
        self.assertEqual(st, 201, b)
        st, _, b = self.aql("REMOVE 'k2' IN evedges")
        self.assertEqual(st, 200, b)
        _, _, feed = self.server.json("GET", "/changefeed?from_seq=%d" % start)
        evs = [(e["type"], e["collection"], e["key"]) for e in feed["events"]
               if e["collection"] == "evedges"]
        self.assertEqual(evs, [("PUT", "evedges", "k1"),
                               ("PUT", "evedges", "k2"),
                               ("PUT", "evedges", "k3"),
                               ("PUT", "evedges", "r1"),
                               ("DELETE", "evedges", "k2")])
        put = [e for e in feed["events"] if e["key"] == "r1"][0]
        self.assertEqual((put["value"]["_from"], put["value"]["_to"]),
                         ("p/9", "p/8"))


class EdgeTypeRestartTest(unittest.TestCase):
    """The collection type is stored with the collections: a restart on
    the same data directory keeps it and keeps enforcing it."""

    def test_type_survives_restart(self):
        srv = Server().start()
        try:
            st, _, b = srv.json("POST", "/v1/collections",
                                {"name": "kept", "type": "edge"})
            self.assertEqual(st, 201, b)
            self.assertEqual(srv.stop(), 0)
            srv.start()
            st, _, b = srv.json("GET", "/v1/collections/kept")
            self.assertEqual((st, b["type"]), (200, "edge"))
            st, _, b = srv.json("POST", "/v1/collections/kept/documents",
                                {"x": 1})
            self.assertEqual(st, 400, b)
            self.assertIn("edge attribute missing or invalid", b["message"])
        finally:
            srv.stop()
            srv.cleanup()


class NamedGraphTest(ServerTest):
    """Named graphs (/v1/graphs, ArangoDB's gharial bodies) and AQL's
    GRAPH 'name': traversals and path searches over a named graph equal
    those over its edge collections listed by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rng = random.Random(3232)
        cls.g1 = Graph("people", make_graph(rng, 80, 200, "x"))
        cls.g2 = Graph("people", make_graph(rng, 80, 120, "y"))
        for name, typ in (("people", "document"), ("follows", "edge"),
                          ("blocks", "edge")):
            st, _, b = cls.server.json("POST", "/v1/collections",
                                       {"name": name, "type": typ})
            assert st == 201, b
        cls.server.json("POST", "/query/aql", {
            "query": "FOR i IN 0..79 INSERT {_key: CONCAT('v', i)} "
                     "INTO people"})
        for coll, g in (("follows", cls.g1), ("blocks", cls.g2)):
            edges = [{"_key": e["_key"], "_from": g.h(e["a"]),
                      "_to": g.h(e["b"]), "weight": e["weight"]}
                     for e in g.edges]
            st, _, b = cls.server.json("POST", "/query/aql", {
                "query": "FOR e IN @e INSERT e INTO @@c",
                "bindVars": {"e": edges, "@c": coll}})
            assert st == 200, b
        st, _, b = cls.server.json("POST", "/v1/graphs", {
            "name": "social",
            "edgeDefinitions": [
                {"collection": "follows", "from": ["people"],
                 "to": ["people"]},
                {"collection": "blocks", "from": ["people"],
                 "to": ["people"]}]})
        assert st == 201, b

    def aql(self, query, bind=None):
        return self.server.json("POST", "/query/aql",
                                {"query": query, "bindVars": bind or {}})

    def test_named_graph_traversal_equals_explicit(self):
        for direction in ("OUTBOUND", "INBOUND", "ANY"):
            for s in ("people/v0", "people/v17", "people/v79"):
                rows = []
                for src in ("GRAPH 'social'", "follows, blocks", "GRAPH @g"):
                    st, _, b = self.aql(
                        "FOR v, e, p IN 1..3 %s @s %s OPTIONS {order: "
                        "'bfs', uniqueVertices: 'global'} "
                        "RETURN [v._id, e._id, LENGTH(p.edges)]"
                        % (direction, src),
                        {"s": s, "g": "social"} if "@g" in src else {"s": s})
                    self.assertEqual(st, 200, b)
                    rows.append(b["result"])
                self.assertEqual(rows[0], rows[1], (direction, s))
                self.assertEqual(rows[0], rows[2])
        # both edge collections count: the union's BFS, checked here
        both = Graph("people", self.g1.edges + self.g2.edges)
        st, _, b = self.aql("FOR v IN 1..4 OUTBOUND 'people/v3' GRAPH "
                            "'social' OPTIONS {uniqueVertices: 'global', "
                            "order: 'bfs'} RETURN v._key")
        dist = both.bfs(3, "OUTBOUND", 4)
        self.assertEqual(sorted(int(k[1:]) for k in b["result"]),
                         sorted(v for v, d in dist.items() if d >= 1))

    def test_path_searches_over_a_named_graph(self):
        for q in ("FOR v, e IN OUTBOUND SHORTEST_PATH 'people/v1' TO "
                  "'people/v50' %s RETURN v._id",
                  "FOR p IN ANY K_SHORTEST_PATHS 'people/v2' TO 'people/v9' "
                  "%s LIMIT 3 RETURN p.vertices[*]._id",
                  "FOR p IN OUTBOUND ALL_SHORTEST_PATHS 'people/v4' TO "
                  "'people/v60' %s RETURN p.vertices[*]._id"):
            st, _, a = self.aql(q % "GRAPH 'social'")
            self.assertEqual(st, 200, a)
            st, _, b = self.aql(q % "follows, blocks")
            self.assertEqual(a["result"], b["result"], q)

    def test_graph_api(self):
        st, _, b = self.server.json("GET", "/v1/graphs/social")
        self.assertEqual(st, 200, b)
        g = b["graph"]
        self.assertEqual((g["name"], g["_key"], g["_id"]),
                         ("social", "social", "_graphs/social"))
        self.assertEqual([d["collection"] for d in g["edgeDefinitions"]],
                         ["follows", "blocks"])
        self.assertEqual(g["orphanCollections"], [])
        _, _, b = self.server.json("GET", "/v1/graphs")
        self.assertIn("social", [x["name"] for x in b["graphs"]])
        # creating one makes missing collections (edge ones as edges)
        st, _, b = self.server.json("POST", "/v1/graphs", {
            "name": "fresh", "edge_definitions": [
                {"collection": "fresh_e", "from": ["fresh_v"],
                 "to": ["fresh_v"]}],
            "orphan_collections": ["fresh_o"]})
        self.assertEqual(st, 201, b)
        self.assertEqual(b["graph"]["orphanCollections"], ["fresh_o"])
        for name, typ in (("fresh_e", "edge"), ("fresh_v", "document"),
                          ("fresh_o", "document")):
            st, _, c = self.server.json("GET", "/v1/collections/" + name)
            self.assertEqual((st, c.get("type")), (200, typ), name)
        st, _, b = self.aql("FOR v IN 1 OUTBOUND 'fresh_v/a' GRAPH 'fresh' "
                            "RETURN v")
        self.assertEqual((st, b.get("result")), (200, []), b)
        # conflicts and refusals
        st, _, b = self.server.json("POST", "/v1/graphs", {"name": "fresh"})
        self.assertEqual(st, 409, b)
        self.assertIn("already exists", b["message"])
        for body, part in (
                ({"name": "g2", "edgeDefinitions": [
                    {"collection": "people"}]}, "not an edge collection"),
                ({"name": "g2", "edgeDefinitions": [
                    {"collection": "a.b"}]}, "collection"),
                ({"name": "a/b"}, "name"),
                ({"edgeDefinitions": []}, "name"),
                ({"name": "g2", "edgeDefinitions": [
                    {"collection": "e%d" % i} for i in range(33)]}, "at most"),
                ([1], "object")):
            st, _, b = self.server.json("POST", "/v1/graphs", body)
            self.assertEqual(st, 400, (body, b))
            self.assertIn(part, b["message"])
        st, _, b = self.server.json("GET", "/v1/graphs/g2")
        self.assertEqual(st, 404, b)
        # delete, then AQL no longer finds it
        st, _, b = self.server.json("DELETE", "/v1/graphs/fresh")
        self.assertEqual((st, b.get("removed")), (200, True), b)
        st, _, b = self.server.json("DELETE", "/v1/graphs/fresh")
        self.assertEqual(st, 404, b)
        self.assertEqual(b["message"], "graph 'fresh' not found")
        st, _, b = self.aql("FOR v IN 1 OUTBOUND 'fresh_v/a' GRAPH 'fresh' "
                            "RETURN v")
        self.assertEqual(st, 404, b)
        self.assertIn("graph 'fresh' not found", b["message"])

    def test_unknown_and_malformed_graphs_in_aql(self):
        st, _, b = self.aql("FOR v IN 1..2 OUTBOUND 'people/v1' GRAPH 'nope' "
                            "RETURN v")
        self.assertEqual(st, 404, b)
        self.assertIn("graph 'nope' not found", b["message"])
        for bind in (5, "a/b", None):
            st, _, b = self.aql("FOR v IN 1 OUTBOUND 'people/v1' GRAPH @g "
                                "RETURN v", {"g": bind})
            self.assertEqual(st, 400, (bind, b))
        # a definition written straight into _graphs is read as untrusted
        st, _, b = self.server.json("POST", "/v1/collections/_graphs/documents",
                                    {"_key": "broken",
                                     "edgeDefinitions": "follows"})
        self.assertEqual(st, 201, b)
        st, _, b = self.aql("FOR v IN 1 OUTBOUND 'people/v1' GRAPH 'broken' "
                            "RETURN v")
        self.assertEqual(st, 400, b)
        self.assertIn("invalid", b["message"])


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
