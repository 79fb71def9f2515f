"""issue 25: themisd nodes talk to etcd over TLS with etcd's RBAC on, as a
production etcd is run: a real etcd (Debian 3.4) with a certificate from a
CA made by the test, `auth enable` with a root user, and two themisd nodes
given `https://` endpoints, `cluster.etcd.ca_file`, user and password.
Both register and see each other, and a rate rule written through one is
enforced by the other. A node with the wrong CA, or the wrong password,
never joins but keeps serving HTTP."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from etcd_cluster import ETCD, EtcdCluster  # noqa: E402
from themis_harness import Server  # noqa: E402
from tokens import ALL_SCOPES, bearer, make_jwt  # noqa: E402

SECRET = "cluster tls test secret, long enough"
ROOT = bearer(make_jwt(SECRET, "root", None, "admin " + ALL_SCOPES, 600))
PASSWORD = "etcd-root-pw"


def wait(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if pred():
                return
        except (OSError, AssertionError, KeyError, TypeError):
            pass
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


@unittest.skipUnless(ETCD, "etcd-server not installed")
class ClusterEtcdTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = EtcdCluster(1, tls=True).start()
        cls.etcd.auth_enable(PASSWORD)
        cls.nodes = []

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            try:
                n.stop()
            except Exception:
                pass
            finally:
                n.cleanup()
        cls.etcd.cleanup()

    def node(self, node_id, ca=None, password=PASSWORD):
        s = Server(["--set", "auth.jwt_secret=" + SECRET,
                    "--set", "cluster.node_id=" + node_id,
                    "--set", "cluster.etcd.endpoints=" +
                    ",".join(self.etcd.endpoints),
                    "--set", "cluster.etcd.prefix=/tls-test",
                    "--set", "cluster.etcd.ca_file=" + (ca or self.etcd.tls[0]),
                    "--set", "cluster.etcd.user=root",
                    "--set", "cluster.etcd.password=" + password,
                    "--set", "cluster.lease_ttl_s=2"],
                   env={"THEMIS_AUTH_REQUIRED": "true"})
        s.args += ["--set", "cluster.advertise=127.0.0.1:%d" % s.port]
        self.nodes.append(s.start())
        return s

    @staticmethod
    def status(node):
        st, _, body = node.json("GET", "/api/v1/cluster/status", None, ROOT)
        assert st == 200, (st, body)
        return body

    def test_1_nodes_join_over_tls_with_auth(self):
        a, b = self.node("t0"), self.node("t1")
        wait(lambda: all(len(self.status(n)["nodes"]) == 2 for n in (a, b)),
             15, "2 nodes registered over TLS")
        self.assertEqual(self.status(a)["etcd"]["state"], "up")
        self.assertTrue(self.status(b)["etcd"]["endpoint"].startswith(
            "https://"))
        # a write through one node reaches the other over TLS
        st, _, cfg = a.json("GET", "/api/v1/cluster/config", None, ROOT)
        rev = cfg["sections"].get("rate_limiting", {}).get("mod_revision", 0)
        st, _, body = a.json("PUT", "/api/v1/cluster/config",
                             {"section": "rate_limiting", "revision": rev,
                              "value": {"enabled": True,
                                        "rules": ["/v1/collections 2/60s "
                                                  "key=ip"]}}, ROOT)
        self.assertEqual(st, 200, body)

        def limited():
            codes = [b.request("GET", "/v1/collections", headers=ROOT)[0]
                     for _ in range(3)]
            return 429 in codes
        wait(limited, 5, "the rule enforced on the other node")
        # the stored key is readable with etcdctl over TLS as root
        rc, out, err = self.etcd.ctl("get", "--prefix", "--keys-only",
                                     "/tls-test/nodes/")
        self.assertEqual(rc, 0, err)
        self.assertIn("/tls-test/nodes/t0", out)

    def test_2_wrong_ca_or_password_never_joins_but_serves(self):
        other_ca = os.path.join(self.etcd.dir, "other-ca.pem")
        os.system("openssl req -x509 -newkey rsa:2048 -nodes -keyout "
                  "%s.key -out %s -days 1 -subj /CN=other >/dev/null 2>&1"
                  % (other_ca, other_ca))
        bad_ca = self.node("bad-ca", ca=other_ca)
        bad_pw = self.node("bad-pw", password="wrong")
        time.sleep(2.0)
        for n in (bad_ca, bad_pw):
            s = self.status(n)
            self.assertNotEqual(s["etcd"]["state"], "up", s)
            self.assertFalse(s["etcd"]["registered"], s)
            self.assertEqual(n.request("GET", "/health")[0], 200)
        # and the good nodes never saw them
        for n in self.nodes[:2]:
            ids = [x["id"] for x in self.status(n)["nodes"]]
            self.assertNotIn("bad-ca", ids)
            self.assertNotIn("bad-pw", ids)


if __name__ == "__main__":
    unittest.main()
