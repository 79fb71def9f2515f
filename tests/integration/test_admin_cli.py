"""themisctl against the real themisd (issue 28): bootstrap with
`themisctl init` (no JWT key anywhere), the key on HTTP, MQTT and
PostgreSQL, keys list/revoke, status --json, and an online backup taken
while a writer thread PUTs documents, restored and started as a second
server. Every wait is bounded."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import Server, THEMISD  # noqa: E402
from mqtt_raw import Client as MqttClient  # noqa: E402

THEMISCTL = os.environ.get("THEMISCTL") or os.path.join(
    os.path.dirname(os.path.abspath(THEMISD)), "themisctl")


def ctl(*args, token=None, url=None, timeout=60):
    env = dict(os.environ)
    env.pop("THEMIS_TOKEN", None)
    if token:
        env["THEMIS_TOKEN"] = token
    if url:
        env["THEMIS_URL"] = url
    p = subprocess.run([THEMISCTL] + list(args), capture_output=True,
                       text=True, env=env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def auth_server(data_dir):
    return Server(data_dir=data_dir, env={"THEMIS_AUTH_REQUIRED": "true"})


class BootstrapTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="themis_ctl_")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            if s.proc:
                s.stop()
            s.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, data_dir, **kw):
        s = auth_server(data_dir) if not kw else Server(data_dir=data_dir,
                                                        **kw)
        self.servers.append(s)
        return s.start()

    def test_without_init_auth_required_refuses_naming_init(self):
        srv = auth_server(os.path.join(self.dir, "empty"))
        os.makedirs(srv.data_dir)
        self.servers.append(srv)
        srv.start(wait=False)
        self.assertEqual(srv.proc.wait(timeout=20), 2)
        self.assertIn("themisctl init", srv.read_log())

    def test_init_prints_once_and_the_key_works_everywhere(self):
        data = os.path.join(self.dir, "data")
        rc, out, err = ctl("init", "--data-dir", data)
        self.assertEqual(rc, 0, err)
        token = out.strip()
        self.assertRegex(token, r"^thk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$")
        self.assertEqual(out.count("thk_"), 1)
        # the second init refuses and prints no token
        rc, out2, err2 = ctl("init", "--data-dir", data)
        self.assertEqual(rc, 2)
        self.assertEqual(out2, "")
        self.assertIn("already has an admin API key", err2)

        # auth.required with no JWT secret starts on the API key alone
        srv = self.start(data)
        url = "http://127.0.0.1:%d" % srv.port
        st, _, _ = srv.request("GET", "/v1/collections")
        self.assertEqual(st, 401)
        st, _, _ = srv.request("GET", "/v1/collections",
                               headers={"Authorization": "Bearer " + token})
        self.assertEqual(st, 200)

        # init while the server holds the directory: refused, names the pid
        rc, _, err = ctl("init", "--data-dir", data)
        self.assertEqual(rc, 2)
        self.assertIn(str(srv.proc.pid), err)

        # status --json
        rc, out, err = ctl("status", "--json", token=token, url=url)
        self.assertEqual(rc, 0, err)
        st = json.loads(out)
        self.assertTrue(st["ready"])
        self.assertTrue(st["auth_required"])
        names = {l["name"]: l["address"] for l in st["listeners"]}
        self.assertEqual(names["http"], "127.0.0.1:%d" % srv.port)
        self.assertEqual(names["pg"], "127.0.0.1:%d" % srv.pg_port)
        self.assertEqual(names["mqtt"], "127.0.0.1:%d" % srv.mqtt_port)
        self.assertIn("version", st)
        # table form names the listeners too
        rc, out, _ = ctl("status", token=token, url=url)
        self.assertEqual(rc, 0)
        self.assertIn("127.0.0.1:%d" % srv.port, out)
        # without a token: 401, exit 2
        rc, _, err = ctl("status", url=url)
        self.assertEqual(rc, 2)
        self.assertIn("401", err)

        # MQTT: the token as password
        m = MqttClient(srv.mqtt_port, version=5)
        kind, _, body = m.connect("ctl-dev", username="admin",
                                  password=token)
        self.assertEqual(kind, 2)
        self.assertEqual(body[1], 0)  # CONNACK success
        m.close()
        m = MqttClient(srv.mqtt_port, version=5)
        kind, _, body = m.connect("ctl-dev2", username="admin",
                               password="thk_0000000000000000_" + "A" * 43)
        self.assertEqual(kind, 2)
        self.assertNotEqual(body[1], 0)
        m.close()

        # PostgreSQL: the token as cleartext password
        env = dict(os.environ, PGPASSWORD=token, PGCONNECT_TIMEOUT="10")
        p = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(srv.pg_port),
                            "-U", "admin", "-d", "themis", "-At", "-c",
                            "SELECT 41 + 1"], capture_output=True, text=True,
                           env=env, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "42")

        # keys create / list / revoke
        rc, out, err = ctl("keys", "create", "--name", "reader", "--scope",
                           "data:read,query", "--json", token=token, url=url)
        self.assertEqual(rc, 0, err)
        key = json.loads(out)
        reader = key["token"]
        self.assertEqual(key["scopes"], ["data:read", "query"])
        st, _, _ = srv.request("GET", "/v1/collections",
                               headers={"Authorization": "Bearer " + reader})
        self.assertEqual(st, 200)
        rc, out, _ = ctl("keys", "list", "--json", token=token, url=url)
        ids = {k["id"]: k for k in json.loads(out)["keys"]}
        self.assertIn(key["id"], ids)
        self.assertEqual(len(ids), 2)  # the init key and this one
        rc, out, _ = ctl("keys", "list", token=token, url=url)
        self.assertIn("reader", out)
        self.assertIn("live", out)
        # a reader is no operator, nor is a tenant's admin
        rc, _, err = ctl("status", token=reader, url=url)
        self.assertEqual(rc, 2)
        self.assertIn("403", err)
        rc, out, err = ctl("keys", "create", "--tenant", "acme", "--scope",
                           "admin", token=token, url=url)
        self.assertEqual(rc, 0, err)
        tenant_admin = out.strip()
        for args in (("status",), ("backup", "--to",
                                   os.path.join(self.dir, "tb")),
                     ("drain",)):
            rc, _, err = ctl(*args, token=tenant_admin, url=url)
            self.assertEqual(rc, 2, args)
            self.assertIn("403", err)
        rc, out, _ = ctl("keys", "list", "--json", token=tenant_admin,
                         url=url)
        self.assertEqual([k["tenant"] for k in json.loads(out)["keys"]],
                         ["acme"])
        rc, out, err = ctl("keys", "revoke", key["id"], token=token, url=url)
        self.assertEqual(rc, 0, err)
        st, _, _ = srv.request("GET", "/v1/collections",
                               headers={"Authorization": "Bearer " + reader})
        self.assertEqual(st, 401)
        rc, out, _ = ctl("keys", "list", token=token, url=url)
        self.assertIn("revoked", out)
        rc, _, _ = ctl("keys", "revoke", key["id"], token=token, url=url)
        self.assertEqual(rc, 2)  # 409: already revoked

        # jobs list / cancel (a job that has finished cannot be cancelled
        # twice, but listing and cancelling go through)
        auth = {"Authorization": "Bearer " + token}
        st, _, job = srv.json("POST", "/v2/jobs",
                              {"query": "FOR i IN 1..3 RETURN i"},
                              headers=auth)
        self.assertIn(st, (200, 201, 202), job)
        rc, out, err = ctl("jobs", "list", "--json", token=token, url=url)
        self.assertEqual(rc, 0, err)
        self.assertIn(job["job_id"],
                      [j["job_id"] for j in json.loads(out)["jobs"]])
        rc, out, err = ctl("jobs", "list", token=token, url=url)
        self.assertIn(job["job_id"], out)
        rc, out, err = ctl("jobs", "cancel", job["job_id"], token=token,
                           url=url)
        self.assertIn(rc, (0, 2), err)

        # drain: the server stops cleanly
        rc, out, err = ctl("drain", token=token, url=url)
        self.assertEqual(rc, 0, err)
        self.assertEqual(srv.proc.wait(timeout=20), 0)


class UsersTest(unittest.TestCase):
    def test_users_lists_principals_without_secrets(self):
        d = tempfile.mkdtemp(prefix="themis_ctl_users_")
        try:
            rc, out, err = ctl("init", "--data-dir", d)
            self.assertEqual(rc, 0, err)
            token = out.strip()
            srv = Server(data_dir=d, args=[
                "--set", "mqtt.users=meter:m3t3r-pw,ops:0ps-pw",
                "--set", "pg.users=ops:0ps-pw",
                "--set", "auth.principals=meter tenant=acme "
                         "scope=data:write, device-7 tenant=acme "
                         "scope=data:read"],
                env={"THEMIS_AUTH_REQUIRED": "true"}).start()
            try:
                url = "http://127.0.0.1:%d" % srv.port
                rc, out, err = ctl("users", "--json", token=token, url=url)
                self.assertEqual(rc, 0, err)
                users = {u["name"]: u for u in json.loads(out)["users"]}
                self.assertEqual(users["meter"]["tenant"], "acme")
                self.assertEqual(users["meter"]["scopes"], ["data:write"])
                self.assertEqual(users["meter"]["protocols"], ["mqtt"])
                self.assertEqual(sorted(users["ops"]["protocols"]),
                                 ["mqtt", "postgresql"])
                self.assertEqual(users["ops"]["scopes"], ["admin"])
                self.assertFalse(users["ops"]["mapped"])
                self.assertEqual(users["device-7"]["protocols"],
                                 ["certificate"])
                self.assertNotIn("pw", out)  # never a secret
                rc, out, err = ctl("users", token=token, url=url)
                self.assertEqual(rc, 0, err)
                self.assertIn("meter", out)
                self.assertIn("(global)", out)
                # not without an admin credential
                rc, _, _ = ctl("users", url=url)
                self.assertNotEqual(rc, 0)
            finally:
                srv.stop()
                srv.cleanup()
        finally:
            shutil.rmtree(d, ignore_errors=True)


class ReloadTest(unittest.TestCase):
    """themisctl reload: the SIGHUP reload, answered with what changed."""

    def test_reload_reports_changes_and_refusals(self):
        d = tempfile.mkdtemp(prefix="themis_rl_")
        cfg = os.path.join(d, "themisd.yaml")
        with open(cfg, "w") as f:
            f.write("cors:\n  allowed_origins: [\"https://a.example\"]\n")
        srv = Server(args=["--config", cfg])
        try:
            srv.start()
            url = "http://127.0.0.1:%d" % srv.port
            rc, out, err = ctl("reload", "--json", url=url)
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(out)["applied"], True)
            self.assertEqual(json.loads(out)["changed"], [])
            with open(cfg, "w") as f:
                f.write("cors:\n  allowed_origins: [\"https://b.example\"]"
                        "\n")
            rc, out, err = ctl("reload", url=url)
            self.assertEqual(rc, 0, err)
            self.assertIn("cors", out)
            st, h, _ = srv.request("GET", "/health",
                                   headers={"Origin": "https://b.example"})
            self.assertEqual(h.get("access-control-allow-origin"),
                             "https://b.example")
            with open(cfg, "w") as f:
                f.write("cors: [\n")
            rc, out, err = ctl("reload", url=url)
            self.assertEqual(rc, 2)
            self.assertIn("not reloaded", err)
            self.assertIn("themisd.yaml", err)
            # the running configuration stayed
            st, h, _ = srv.request("GET", "/health",
                                   headers={"Origin": "https://b.example"})
            self.assertEqual(h.get("access-control-allow-origin"),
                             "https://b.example")
        finally:
            srv.stop()
            srv.cleanup()
            shutil.rmtree(d, ignore_errors=True)


class HttpsTest(unittest.TestCase):
    def test_status_over_https_verifies_the_certificate(self):
        d = tempfile.mkdtemp(prefix="themis_ctl_tls_")
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=30)
        https_port = __import__("themis_harness").free_port()
        srv = Server(args=["--set", "tls.cert=" + cert, "--set",
                           "tls.key=" + key, "--set",
                           "tls.https_port=%d" % https_port])
        try:
            srv.start()
            url = "https://127.0.0.1:%d" % https_port
            rc, out, err = ctl("status", "--json", "--cacert", cert, url=url)
            self.assertEqual(rc, 0, err)
            names = [l["name"] for l in json.loads(out)["listeners"]]
            self.assertIn("https", names)
            rc, _, err = ctl("status", url=url)  # self-signed: refused
            self.assertEqual(rc, 1)
            self.assertIn("certificate", err)
        finally:
            srv.stop()
            srv.cleanup()
            shutil.rmtree(d, ignore_errors=True)


class BackupTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="themis_bak_")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
            s.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)

    def serve(self, data_dir):
        s = Server(data_dir=data_dir)
        self.servers.append(s)
        return s.start()

    def changelog(self, srv, upto):
        """Every event 1..upto from the long-poll feed."""
        seqs, after = [], 0
        deadline = time.time() + 60
        while after < upto and time.time() < deadline:
            st, _, b = srv.json(
                "GET", "/changefeed?from_seq=%d&limit=10000&include_docs=false"
                % after)
            self.assertEqual(st, 200, b)
            seqs += [e["sequence"] for e in b["events"]]
            if b["next_from_seq"] <= after:
                break
            after = b["next_from_seq"]
        return seqs

    def test_backup_under_load_then_restore(self):
        data = os.path.join(self.dir, "data")
        os.makedirs(data)
        srv = self.serve(data)
        url = "http://127.0.0.1:%d" % srv.port
        # retained MQTT state travels with the backup
        m = MqttClient(srv.mqtt_port, version=5)
        m.connect("bak-pub")
        m.publish("cfg/site", b"v1", qos=0, retain=True)
        m.close()
        # some bulk so the copy takes more than one step
        for i in range(40):
            lines = "\n".join(json.dumps({"_key": "b%d_%d" % (i, j),
                                           "pad": "x" * 400})
                               for j in range(100))
            st, _, _ = srv.request("POST", "/v2/documents?collection=bulk",
                                   lines, {"Content-Type":
                                           "application/x-ndjson"})
            self.assertEqual(st, 200)
        acked, errors, stop = {}, [], threading.Event()

        def writer():
            i = 0
            while not stop.is_set():
                try:
                    st, _, b = srv.json("PUT", "/entities/load:k%d" % i,
                                        {"blob": json.dumps({"i": i})})
                    if st in (200, 201):
                        acked["k%d" % i] = int(b["_rev"])
                    else:
                        errors.append(st)
                except OSError as e:
                    errors.append(str(e))
                i += 1

        t = threading.Thread(target=writer, daemon=True)
        t.start()
        time.sleep(0.5)
        before = len(acked)
        bak = os.path.join(self.dir, "backup")
        t0 = time.time()
        rc, out, err = ctl("backup", "--to", bak, "--json", url=url,
                           timeout=120)
        took = time.time() - t0
        during = len(acked) - before
        time.sleep(0.3)
        stop.set()
        t.join(timeout=30)
        self.assertEqual(rc, 0, err)
        res = json.loads(out)
        self.assertEqual(res["state"], "completed")
        seq = res["sequence"]
        sys.stderr.write(
            "\nbackup: %d bytes, %d pages, sequence %d, %.0f ms (themisctl); "
            "%d writes acknowledged during it, %d in all\n"
            % (res["bytes"], res["pages_total"], seq, took * 1000, during,
               len(acked)))
        self.assertEqual(errors, [])
        self.assertGreater(before, 0)
        # the writer kept writing during and after the backup
        self.assertTrue(any(s > seq for s in acked.values()),
                        "no write after the backup's sequence")
        self.assertTrue(os.path.exists(os.path.join(bak, "backup.json")))
        with open(os.path.join(bak, "backup.json")) as f:
            self.assertEqual(json.load(f)["sequence"], seq)
        # a second backup into the same (now non-empty) directory: 400
        st, _, b = srv.json("POST", "/api/v1/admin/backup", {"to": bak})
        self.assertEqual(st, 400)
        st, _, b = srv.json("POST", "/api/v1/admin/backup",
                            {"to": "relative/dir"})
        self.assertEqual(st, 400)
        st, _, b = srv.json("GET", "/api/v1/admin/backup")
        self.assertEqual(b["state"], "completed")
        self.assertEqual(b["progress"], 1.0)

        # restore into an empty dir; refuse a non-empty one
        rc, _, err = ctl("restore", "--from", bak, "--data-dir", data)
        self.assertEqual(rc, 2)
        restored = os.path.join(self.dir, "restored")
        rc, out, err = ctl("restore", "--from", bak, "--data-dir", restored,
                           "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["sequence"], seq)

        two = self.serve(restored)
        st, _, b = two.json("GET", "/changefeed?from_seq=now")
        self.assertEqual(b["latest_sequence"], seq)
        # every write acknowledged at or before the sequence is there, and
        # none after it (the copy is one snapshot)
        missing, extra = [], []
        for key, s in acked.items():
            st, _, _ = two.request("GET", "/entities/load:" + key)
            if s <= seq and st != 200:
                missing.append((key, s, st))
            if s > seq and st != 404:
                extra.append((key, s, st))
        self.assertEqual(missing, [])
        self.assertEqual(extra, [])
        self.assertGreater(sum(1 for s in acked.values() if s <= seq), 0)
        # the change log is dense up to the sequence
        self.assertEqual(self.changelog(two, seq), list(range(1, seq + 1)))
        # the retained message came along
        m = MqttClient(two.mqtt_port, version=5)
        m.connect("bak-sub")
        m.subscribe("cfg/#", qos=0)
        got = None
        deadline = time.time() + 10
        while got is None and time.time() < deadline:
            pkt = m.read(timeout=5)
            if pkt is None or pkt[0] == "closed":
                break
            if pkt[0] == 3:
                got = pkt[2]
        m.close()
        self.assertIsNotNone(got)
        self.assertIn(b"v1", got)
        # the restored server keeps counting from the backup's sequence
        st, _, b = two.json("PUT", "/entities/load:after",
                            {"blob": "{}"})
        self.assertEqual(int(b["_rev"]), seq + 1)

        # and themisd starts on the backup directory itself
        three = self.serve(bak)
        st, _, b = three.json("GET", "/changefeed?from_seq=now")
        self.assertEqual(b["latest_sequence"], seq)


if __name__ == "__main__":
    unittest.main()
