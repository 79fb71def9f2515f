"""issue 25, the etcd half: a real 3-member etcd cluster (Debian etcd 3.4)
and 3 real themisd nodes on loopback. Membership seen by every node; a
rate rule and an API key revocation written once through one node's admin
API are enforced on every node within 100 ms; compare-and-swap conflicts
are 409 and invalid sections 400 (and invalid etcdctl writes are ignored);
the hash ring answers alike on every node and moves only the departed
node's keys; the leader killed with SIGKILL is replaced, and the singleton
duty (ttl_sweep) runs on exactly one node; with 2 of 3 etcd members gone,
nodes keep serving, refuse configuration writes (503), log CRITICAL once,
and resynchronise when quorum returns.

Tests run in name order on one cluster (each leaves it whole)."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from etcd_cluster import ETCD, EtcdCluster  # noqa: E402
from themis_harness import Server  # noqa: E402
from tokens import ALL_SCOPES, bearer, make_jwt  # noqa: E402

SECRET = "cluster test secret, long enough"
ROOT = bearer(make_jwt(SECRET, "root", None, "admin " + ALL_SCOPES, 600))
PREFIX = "/themis-test"
PG_PW = "cluster-pg-password"


def node_args(cluster, node_id, extra=()):
    return ["--set", "auth.jwt_secret=" + SECRET,
            "--set", "cluster.node_id=" + node_id,
            "--set", "cluster.etcd.endpoints=" + ",".join(cluster.endpoints),
            "--set", "cluster.etcd.prefix=" + PREFIX,
            "--set", "cluster.lease_ttl_s=1",
            "--set", "cluster.leader_duties=ttl_sweep",
            "--set", "pg.users=themis:" + PG_PW] + list(extra)


@unittest.skipUnless(ETCD, "etcd-server not installed")
class ClusterEtcdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = EtcdCluster(3).start()
        cls.nodes = {}
        try:
            for i in range(3):
                cls.start_node("n%d" % i)
            cls.wait(lambda: all(len(cls.status(n)["nodes"]) == 3
                                 for n in cls.nodes.values()), 15,
                     "3 nodes registered")
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def start_node(cls, node_id):
        s = Server(node_args(cls.etcd, node_id),
                   env={"THEMIS_AUTH_REQUIRED": "true"})
        s.args += ["--set", "cluster.advertise=127.0.0.1:%d" % s.port]
        cls.nodes[node_id] = s.start()
        return s

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes.values():
            try:
                n.stop()
            except Exception:
                pass
            finally:
                n.cleanup()
        cls.etcd.cleanup()

    @staticmethod
    def status(node):
        st, _, body = node.json("GET", "/api/v1/cluster/status", None, ROOT)
        assert st == 200, (st, body)
        return body

    @staticmethod
    def wait(pred, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if pred():
                    return
            except (OSError, AssertionError, KeyError):
                pass
            time.sleep(0.02)
        raise AssertionError("timed out waiting for " + what)

    def put_config(self, node, section, value, revision):
        return node.json("PUT", "/api/v1/cluster/config",
                         {"section": section, "value": value,
                          "revision": revision}, ROOT)

    def revision_of(self, node, section):
        st, _, body = node.json("GET", "/api/v1/cluster/config", None, ROOT)
        self.assertEqual(st, 200, body)
        return body["sections"].get(section, {}).get("mod_revision", 0)

    def live(self):
        return [n for n in self.nodes.values() if n.proc.poll() is None]

    # -- membership ------------------------------------------------------

    def test_1_membership_seen_by_all(self):
        views = [self.status(n) for n in self.live()]
        ids = sorted(n["id"] for n in views[0]["nodes"])
        self.assertEqual(ids, ["n0", "n1", "n2"])
        for v in views:
            self.assertEqual(sorted(n["id"] for n in v["nodes"]), ids)
            self.assertEqual(v["leader"], views[0]["leader"])
            self.assertEqual(v["etcd"]["state"], "up")
            self.assertTrue(v["etcd"]["registered"])
        addr = {n["id"]: n["address"] for n in views[0]["nodes"]}
        self.assertEqual(addr["n1"], "127.0.0.1:%d" % self.nodes["n1"].port)
        self.assertEqual(sum(v["is_leader"] for v in views), 1)
        leaders = 0
        for n in self.live():
            st, _, text = n.request("GET", "/metrics", headers=ROOT)
            self.assertEqual(st, 200)
            text = text.decode()
            self.assertIn("themis_cluster_nodes 3\n", text)
            self.assertIn("themis_cluster_etcd_state 2\n", text)
            leaders += "themis_cluster_is_leader 1\n" in text
        self.assertEqual(leaders, 1)
        # admin only; a node without etcd has no cluster routes
        self.assertEqual(self.nodes["n0"].request(
            "GET", "/api/v1/cluster/status")[0], 401)

    # -- replicated configuration ----------------------------------------

    def test_2_rate_rule_enforced_everywhere_within_100ms(self):
        nodes = self.live()
        rev = self.revision_of(nodes[0], "rate_limiting")
        st, _, body = self.put_config(
            nodes[0], "rate_limiting",
            {"enabled": True, "rules": ["/v1/collections 1/1h key=ip"]}, rev)
        t0 = time.time()
        self.assertEqual(st, 200, body)
        # the first request per node passes, the next is refused once the
        # rule is in force there
        first_429 = {}
        deadline = t0 + 5
        while len(first_429) < len(nodes) and time.time() < deadline:
            for n in nodes:
                if n.port in first_429:
                    continue
                st, _, _ = n.request("GET", "/v1/collections",
                                     headers=ROOT)
                if st == 429:
                    first_429[n.port] = time.time() - t0
        self.assertEqual(len(first_429), len(nodes), first_429)
        worst = max(first_429.values())
        print("rate rule enforced on %d nodes after %s ms" % (
            len(nodes), sorted(round(v * 1000, 1)
                               for v in first_429.values())),
              file=sys.stderr)
        self.assertLess(worst, 0.1)
        # turn it off again for the other tests
        rev = self.revision_of(nodes[0], "rate_limiting")
        st, _, body = self.put_config(nodes[0], "rate_limiting",
                                      {"enabled": False}, rev)
        self.assertEqual(st, 200, body)
        self.wait(lambda: all(n.request("GET", "/v1/collections",
                                        headers=ROOT)[0] == 200
                              for n in nodes), 5, "rule off")

    def test_3_key_revocation_enforced_everywhere_within_100ms(self):
        nodes = self.live()
        keys = []
        for n in nodes:  # keys live in each node's auth.db
            st, _, k = n.json("POST", "/api/keys",
                              {"name": "edge", "permissions": ["data:read"]},
                              ROOT)
            self.assertEqual(st, 201, k)
            keys.append((n, k["id"], bearer(k["secret"])))
            self.assertEqual(n.request("GET", "/v1/collections",
                                       headers=bearer(k["secret"]))[0], 200)
        rev = self.revision_of(nodes[0], "api_keys")
        st, _, body = self.put_config(nodes[1], "api_keys",
                                      {"revoked": [k[1] for k in keys]}, rev)
        self.assertEqual(st, 200, body)
        t0 = time.time()
        refused = {}
        while len(refused) < len(keys) and time.time() < t0 + 5:
            for n, kid, h in keys:
                if kid not in refused and n.request(
                        "GET", "/v1/collections", headers=h)[0] == 401:
                    refused[kid] = time.time() - t0
        self.assertEqual(len(refused), len(keys))
        print("revocation enforced on %d nodes after %s ms" % (
            len(keys), sorted(round(v * 1000, 1) for v in refused.values())),
              file=sys.stderr)
        self.assertLess(max(refused.values()), 0.1)

    def test_3k_api_key_created_once_works_everywhere(self):
        nodes = self.live()
        st, hdr, k = nodes[0].json("POST", "/api/keys",
                                   {"name": "fleet",
                                    "permissions": ["data:read"]}, ROOT)
        self.assertEqual(st, 201, k)
        self.assertNotIn("false", str(hdr.get("X-Themis-Replicated")))
        h = bearer(k["secret"])
        t0 = time.time()
        works = {}
        while len(works) < len(nodes) and time.time() < t0 + 5:
            for i, n in enumerate(nodes):
                if i not in works and n.request(
                        "GET", "/v1/collections", headers=h)[0] == 200:
                    works[i] = time.time() - t0
        self.assertEqual(len(works), len(nodes))
        print("a key created on one node works on %d nodes after %s ms" % (
            len(nodes), sorted(round(v * 1000, 1) for v in works.values())),
              file=sys.stderr)
        self.assertLess(max(works.values()), 0.1)
        # the secret never reaches etcd: only its digest
        st, _, cfg = nodes[1].json("GET", "/api/v1/cluster/config", None,
                                   ROOT)
        text = json.dumps(cfg)
        self.assertIn("api_key/" + k["id"], text)
        self.assertNotIn(k["secret"].split("_")[-1], text)
        # revoked on another node (its imported copy): refused everywhere
        st, _, body = nodes[2].json("DELETE", "/api/keys/" + k["id"], None,
                                    ROOT)
        self.assertEqual(st, 200, body)
        t0 = time.time()
        refused = set()
        while len(refused) < len(nodes) and time.time() < t0 + 5:
            for i, n in enumerate(nodes):
                if n.request("GET", "/v1/collections", headers=h)[0] == 401:
                    refused.add(i)
        self.assertEqual(len(refused), len(nodes))
        # a record with no digest is refused before it is stored
        st, _, body = self.put_config(
            nodes[0], "api_key/00112233aabbccdd",
            {"id": "00112233aabbccdd", "user": "x", "digest": "nope"}, 0)
        self.assertEqual(st, 400, body)
        self.assertIn("digest", json.dumps(body))

    def test_3p_principals_replicated(self):
        nodes = self.live()
        # before: the PostgreSQL user themis is unmapped (global admin)
        rc, out, err = nodes[1].psql("SELECT 1", password=PG_PW)
        self.assertEqual(rc, 0, err)
        rev = self.revision_of(nodes[0], "principals")
        st, _, body = self.put_config(nodes[0], "principals",
                                      {"entries": ["themis tenant=acme "
                                                   "scope=data:read"]}, rev)
        self.assertEqual(st, 200, body)
        # every node maps themis to a read-only acme principal: DDL refused
        for n in nodes:
            self.wait(lambda: self.psql_refused(n), 5, "principals applied")
        # a malformed entry is refused before it is stored
        rev = self.revision_of(nodes[0], "principals")
        st, _, body = self.put_config(nodes[1], "principals",
                                      {"entries": ["bob scope="]}, rev)
        self.assertEqual(st, 400, body)
        # deleting the section restores each node's own auth.principals
        rc, _, err = self.etcd.ctl("del", PREFIX + "/config/principals")
        self.assertEqual(rc, 0, err)
        for n in nodes:
            self.wait(lambda: n.psql("CREATE TABLE IF NOT EXISTS p_ok(a int)",
                                     password=PG_PW)[0] == 0,
                      5, "principals restored")

    @staticmethod
    def psql_refused(n):
        rc, out, err = n.psql("CREATE TABLE p_denied(a int)",
                              password=PG_PW)
        return rc != 0 and "42501" in err

    def test_4_cas_conflict_and_invalid_config(self):
        n0, n1 = self.live()[:2]
        rev = self.revision_of(n0, "tenant_quotas")
        st, _, body = self.put_config(n0, "tenant_quotas", {"quotas": []}, rev)
        self.assertEqual(st, 200, body)
        stored = body["revision"]
        self.assertGreater(stored, rev)
        # a writer still holding the old revision loses, and learns the
        # stored one
        st, _, body = self.put_config(n1, "tenant_quotas",
                                      {"quotas": ["acme requests_per_s=5"]},
                                      rev)
        self.assertEqual(st, 409, body)
        self.assertEqual(body["current_revision"], stored)
        self.assertEqual(body["current"], {"quotas": []})
        st, _, body = self.put_config(n1, "tenant_quotas",
                                      {"quotas": ["acme requests_per_s=5"]},
                                      stored)
        self.assertEqual(st, 200, body)
        self.wait(lambda: all(
            n.json("GET", "/api/v1/cluster/config", None, ROOT)[2]
            ["sections"]["tenant_quotas"] ==
            {"mod_revision": body["revision"], "applied": True,
             "value": {"quotas": ["acme requests_per_s=5"]}}
            for n in self.live()), 5, "tenant quotas applied everywhere")
        # refused before it is stored: nothing changes in etcd
        before = self.revision_of(n0, "rate_limiting")
        st, _, body = self.put_config(
            n0, "rate_limiting", {"rules": ["/x lots/1s"], "burst": 1},
            before)
        self.assertEqual(st, 400, body)
        self.assertEqual(len(body["errors"]), 2, body)
        self.assertEqual(self.revision_of(n0, "rate_limiting"), before)
        for bad in ({"section": "rate_limiting", "value": {}},  # no revision
                    {"section": "nope", "value": {}, "revision": 0},
                    {"value": {}, "revision": 0}):
            st, _, body = n0.json("PUT", "/api/v1/cluster/config", bad, ROOT)
            self.assertEqual(st, 400, (bad, body))
        # an invalid write through etcdctl is logged and ignored
        rc, out, err = self.etcd.ctl(
            "put", PREFIX + "/config/rate_limiting",
            '{"enabled": true, "rules": ["/v1/collections zero/1s"]}')
        self.assertEqual(rc, 0, err)
        self.wait(lambda: all(
            "refused" in n.read_log() and
            n.json("GET", "/api/v1/cluster/config", None, ROOT)[2]
            ["sections"]["rate_limiting"]["applied"] is False
            for n in self.live()), 5, "invalid etcdctl write refused")
        for n in self.live():
            self.assertEqual(n.request("GET", "/v1/collections",
                                       headers=ROOT)[0], 200)
        # a valid etcdctl write is applied
        rc, _, err = self.etcd.ctl("put", PREFIX + "/config/rate_limiting",
                                   '{"enabled": false}')
        self.assertEqual(rc, 0, err)
        self.wait(lambda: all(
            n.json("GET", "/api/v1/cluster/config", None, ROOT)[2]
            ["sections"]["rate_limiting"]["applied"] for n in self.live()),
            5, "valid etcdctl write applied")

    def test_4g_gateway_routes_replicated(self):
        nodes = self.live()
        yaml = ("routes:\n"
                "  - match: {exact: /cluster-hello}\n"
                "    direct: {status: 200, body: \"hello from etcd\\n\", "
                "content_type: text/plain}\n")
        # the gateway's own parser refuses a bad file before it is stored
        st, _, body = self.put_config(
            nodes[0], "gateway",
            {"yaml": "routes:\n  - match: {exact: /x}\n"
                     "    forward: {cluster: nowhere}\n"}, 0)
        self.assertEqual(st, 400, body)
        self.assertIn("nowhere", body["message"])
        st, _, body = self.put_config(nodes[0], "gateway", {"yaml": yaml},
                                      self.revision_of(nodes[0], "gateway"))
        self.assertEqual(st, 200, body)
        t0 = time.time()
        served = {}
        while len(served) < len(nodes) and time.time() < t0 + 5:
            for n in nodes:
                if n.port not in served:
                    st, _, data = n.request("GET", "/cluster-hello")
                    if st == 200 and data == b"hello from etcd\n":
                        served[n.port] = time.time() - t0
        self.assertEqual(len(served), len(nodes))
        print("gateway route served on %d nodes after %s ms" % (
            len(nodes), sorted(round(v * 1000, 1) for v in served.values())),
              file=sys.stderr)
        self.assertLess(max(served.values()), 0.1)
        # deleting the key goes back to each node's own (no) gateway file
        rc, _, err = self.etcd.ctl("del", PREFIX + "/config/gateway")
        self.assertEqual(rc, 0, err)
        self.wait(lambda: all(n.request("GET", "/cluster-hello")[0] != 200
                              for n in nodes), 5, "route removed")

    # -- ring, leader --------------------------------------------------

    def ring(self, node, keys):
        out = {}
        for k in keys:
            st, _, body = node.json("GET", "/api/v1/cluster/ring?key=" + k,
                                    None, ROOT)
            self.assertEqual(st, 200, body)
            out[k] = body["owner"]
        return out

    def duties(self):
        return {nid: self.status(n)["duties"].get("ttl_sweep", 0)
                for nid, n in self.nodes.items() if n.proc.poll() is None}

    def test_5_ring_leader_failover_and_singleton_duty(self):
        keys = ["session-%d" % i for i in range(300)]
        rings = [self.ring(n, keys) for n in self.live()]
        for r in rings[1:]:
            self.assertEqual(r, rings[0])
        share = {}
        for owner in rings[0].values():
            share[owner] = share.get(owner, 0) + 1
        self.assertEqual(sorted(share), ["n0", "n1", "n2"])

        leader = self.status(self.nodes["n0"])["leader"]
        # the singleton duty runs on the leader only
        d0 = self.duties()
        time.sleep(2.5)
        d1 = self.duties()
        ran = [nid for nid in d1 if d1[nid] > d0[nid]]
        self.assertEqual(ran, [leader], (d0, d1))

        self.nodes[leader].kill9()
        t0 = time.time()
        rest = [n for nid, n in self.nodes.items() if nid != leader]
        self.wait(lambda: all(self.status(n)["leader"] not in ("", leader)
                              for n in rest), 10, "a new leader")
        failover = time.time() - t0
        new_leader = self.status(rest[0])["leader"]
        print("leader %s killed; %s leads after %.0f ms" % (
            leader, new_leader, failover * 1000), file=sys.stderr)
        # the next node in line saw the port refuse and revoked the lease
        # (without it: lease TTL + etcd's 500 ms expiry check, ~1-1.5 s)
        self.assertLess(failover, 0.5)
        self.assertIn("refuses connections", rest[0].read_log() +
                      rest[1].read_log())
        for n in rest:
            self.assertEqual(self.status(n)["leader"], new_leader)
        d0 = self.duties()
        time.sleep(2.5)
        d1 = self.duties()
        ran = [nid for nid in d1 if d1[nid] > d0[nid]]
        self.assertEqual(ran, [new_leader], (d0, d1))

        # only the departed node's keys move (~1/3)
        after = self.ring(rest[0], keys)
        moved = [k for k in keys if after[k] != rings[0][k]]
        self.assertTrue(all(rings[0][k] == leader for k in moved))
        self.assertEqual(len(moved), share[leader])
        print("ring: %d of %d keys moved (%.0f %%) when 1 of 3 left" % (
            len(moved), len(keys), 100.0 * len(moved) / len(keys)),
              file=sys.stderr)
        self.assertLess(abs(len(moved) / len(keys) - 1 / 3), 0.15)
        # the killed node comes back and joins as a follower
        self.nodes[leader].start()
        self.wait(lambda: all(len(self.status(n)["nodes"]) == 3
                              for n in self.live()), 10, "rejoin")
        self.assertEqual(self.status(self.nodes[leader])["leader"],
                         new_leader)

    # -- quorum ------------------------------------------------------

    def test_6_quorum_loss_keeps_serving_and_refuses_writes(self):
        n0 = self.nodes["n0"]
        rev = self.revision_of(n0, "rate_limiting")
        self.etcd.stop_member("m1")
        self.etcd.stop_member("m2")
        try:
            self.wait(lambda: all(self.status(n)["etcd"]["state"] ==
                                  "unavailable" for n in self.live()),
                      15, "quorum loss noticed")
            for n in self.live():
                st, _, body = n.json("GET", "/v1/collections", None, ROOT)
                self.assertEqual(st, 200, body)
                st, h, body = self.put_config(n, "rate_limiting",
                                              {"enabled": False}, rev)
                self.assertEqual(st, 503, body)
                self.assertEqual(h.get("retry-after"), "1")
                self.assertEqual(n.read_log().count(
                    "etcd unavailable or without quorum"), 1)
                self.assertIn("critical", n.read_log())
        finally:
            self.etcd.restart_member("m1")
            self.etcd.restart_member("m2")
        self.etcd.wait_healthy(20)
        self.wait(lambda: all(self.status(n)["etcd"]["state"] == "up"
                              for n in self.live()), 15, "resync")
        st, _, body = self.put_config(n0, "rate_limiting",
                                      {"enabled": False}, rev)
        self.assertEqual(st, 200, body)
        for n in self.live():
            self.assertEqual(len(self.status(n)["nodes"]), 3)


if __name__ == "__main__":
    unittest.main()
