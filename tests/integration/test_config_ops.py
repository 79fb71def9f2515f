"""Production operation of the real themisd (issue 28): one server per data
directory, config search and --check-config, SIGHUP reload of MQTT users
and ACLs. Every wait is bounded."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import THEMISD, Server  # noqa: E402
import mqtt_raw  # noqa: E402


def run_themisd(args, env=None, cwd=None, timeout=20):
    """Runs themisd to completion (it must exit on its own)."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("THEMIS_")}
    e.update(env or {})
    return subprocess.run([THEMISD] + list(args), capture_output=True,
                          text=True, env=e, cwd=cwd, timeout=timeout)


class DataDirLock(unittest.TestCase):
    def test_second_instance_exits_2_naming_the_pid(self):
        srv = Server().start()
        try:
            lock = os.path.join(srv.data_dir, "themisd.lock")
            with open(lock) as f:
                self.assertEqual(f.read().strip(), str(srv.proc.pid))
            r = run_themisd(["--data-dir", srv.data_dir, "--http-port", "0",
                             "--pg-port", "0", "--mqtt-port", "0"])
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("pid %d" % srv.proc.pid, r.stderr)
            self.assertIn("in use by another themisd", r.stderr)
            # the first one is unharmed
            st, _, _ = srv.request("GET", "/health/ready")
            self.assertEqual(st, 200)
            self.assertEqual(srv.stop(), 0)
            # a lock left by a killed server does not block a start
            srv2 = Server(data_dir=srv.data_dir).start()
            srv2.kill9()
            srv3 = Server(data_dir=srv.data_dir).start()
            self.assertEqual(srv3.stop(), 0)
        finally:
            srv.cleanup()


def connack(port, user, password, version=5):
    """The CONNACK reason code (5.0) or return code (3.1.1) for a login."""
    c = mqtt_raw.Client(port, version=version)
    try:
        pkt = c.connect("c-" + user, username=user, password=password)
        assert pkt and pkt[0] == 2, pkt
        return pkt[2][1]
    finally:
        c.close()


def wait_log(srv, text, start=0, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        log = srv.read_log()[start:]
        if text in log:
            return log
        time.sleep(0.05)
    raise AssertionError("no %r in the log:\n%s" % (text, srv.read_log()))


class ConfigSearch(unittest.TestCase):
    def test_default_search_check_config_and_unknown_env(self):
        d = tempfile.mkdtemp(prefix="themis_cfgsearch_")
        try:
            with open(os.path.join(d, "themisd.yaml"), "w") as f:
                f.write("# found by the search\nhttp:\n  idle_timeout_ms: 4321\n")
            r = run_themisd(["--check-config", "--data-dir", d], cwd=d,
                            env={"THEMIS_PG_PORT": "6543",
                                 "THEMIS_HTTP_PROT": "1"})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("file ./themisd.yaml", r.stdout)
            self.assertIn("  idle_timeout_ms: 4321  # file ./themisd.yaml:3",
                          r.stdout)
            self.assertIn("  port: 6543  # env THEMIS_PG_PORT", r.stdout)
            self.assertIn("did you mean THEMIS_HTTP_PORT?", r.stdout)
            # the file is not checked in place of a running server's
            self.assertFalse(os.path.exists(os.path.join(d, "themisd.lock")))
            with open(os.path.join(d, "themisd.yaml"), "w") as f:
                f.write("http:\n  port: 1\n  idle_timeout: 5\n")
            r = run_themisd(["--check-config", "--data-dir", d], cwd=d)
            self.assertEqual(r.returncode, 2)
            self.assertIn("./themisd.yaml:3: unknown configuration key "
                          "'http.idle_timeout'", r.stderr)
            # a started server says which file it read and warns of typos
            with open(os.path.join(d, "themisd.yaml"), "w") as f:
                f.write("http:\n  idle_timeout_ms: 4321\n")
            srv = Server(env={"THEMIS_HTTP_PROT": "1"})
            out = open(srv.log_path, "ab")
            srv.proc = subprocess.Popen(
                [THEMISD, "--http-port", str(srv.port), "--pg-port", "0",
                 "--mqtt-port", "0", "--data-dir", srv.data_dir],
                cwd=d, stdout=out,
                stderr=subprocess.STDOUT, env=srv.env)
            try:
                srv.wait_ready()
                log = srv.read_log()
                self.assertIn("configuration file ./themisd.yaml (found by "
                              "the default search)", log)
                self.assertIn("THEMIS_HTTP_PROT is not a themisd setting", log)
                self.assertEqual(srv.stop(), 0)
            finally:
                out.close()
                srv.cleanup()
        finally:
            import shutil
            shutil.rmtree(d, ignore_errors=True)


class Reload(unittest.TestCase):
    def write(self, text):
        tmp = self.cfg + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.cfg)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="themis_reload_")
        self.cfg = os.path.join(self.dir, "themisd.yaml")
        self.acl = os.path.join(self.dir, "mqtt.acl")
        with open(self.acl, "w") as f:
            f.write("user dev1\ntopic readwrite a/#\n"
                    "user dev2\ntopic readwrite a/#\n")
        self.write("mqtt:\n  allow_anonymous: false\n"
                   "  users: dev1:pw1\n  acl_file: %s\n"
                   "cors:\n  allowed_origins: [\"https://a.example\"]\n"
                   % self.acl)
        self.srv = Server(args=["--config", self.cfg]).start()

    def tearDown(self):
        self.srv.cleanup()
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)

    def suback(self, user, password, flt):
        c = mqtt_raw.Client(self.srv.mqtt_port)
        try:
            pkt = c.connect("s-" + user, username=user, password=password)
            self.assertEqual(pkt[2][1], 0)
            pkt = c.subscribe(flt, qos=1)
            self.assertEqual(pkt[0], 9, pkt)  # SUBACK
            return pkt[2][-1]
        finally:
            c.close()

    def preflight(self, origin):
        st, h, _ = self.srv.request("OPTIONS", "/v1/collections", headers={
            "Origin": origin, "Access-Control-Request-Method": "GET"})
        return st

    def test_sighup_swaps_mqtt_users_acl_and_cors(self):
        port = self.srv.mqtt_port
        self.assertEqual(connack(port, "dev1", "pw1"), 0)
        self.assertEqual(connack(port, "dev2", "pw2"), 0x86)
        self.assertEqual(self.suback("dev1", "pw1", "b/x"), 0x87)
        self.assertEqual(self.preflight("https://b.example"), 403)
        # new users, a wider ACL for dev2, another CORS origin
        with open(self.acl, "w") as f:
            f.write("user dev2\ntopic readwrite a/#\ntopic read b/#\n")
        self.write("mqtt:\n  allow_anonymous: false\n"
                   "  users: dev2:pw2\n  acl_file: %s\n"
                   "cors:\n  allowed_origins: [\"https://b.example\"]\n"
                   "auth:\n  principals: [\"dev9 tenant=acme\"]\n"
                   "  tenant_quotas: [\"acme connections=5\"]\n"
                   "http:\n  idle_timeout_ms: 1234\n" % self.acl)
        mark = len(self.srv.read_log())
        self.srv.proc.send_signal(signal.SIGHUP)
        log = wait_log(self.srv, "SIGHUP: configuration reloaded", mark)
        for key in ("mqtt.users", "mqtt.acl_file (contents)",
                    "cors.allowed_origins", "auth.principals",
                    "auth.tenant_quotas"):
            self.assertIn(key, log)
        self.assertIn("applied only after a restart: http.idle_timeout_ms",
                      log)
        self.assertEqual(connack(port, "dev2", "pw2"), 0)
        self.assertEqual(connack(port, "dev1", "pw1"), 0x86)
        self.assertEqual(self.suback("dev2", "pw2", "b/x"), 1)
        self.assertEqual(self.preflight("https://b.example"), 204)
        self.assertEqual(self.preflight("https://a.example"), 403)
        # a bad ACL file is refused; the running configuration stays
        with open(self.acl, "w") as f:
            f.write("user dev2\nsubscribe a/#\n")
        mark = len(self.srv.read_log())
        self.srv.proc.send_signal(signal.SIGHUP)
        wait_log(self.srv, "configuration not reloaded", mark)
        self.assertEqual(connack(port, "dev2", "pw2"), 0)
        self.assertEqual(self.suback("dev2", "pw2", "b/x"), 1)
        # a bad YAML file too, naming file:line
        self.write("mqtt:\n  users: dev3:pw3\n  nonsense: 1\n")
        mark = len(self.srv.read_log())
        self.srv.proc.send_signal(signal.SIGHUP)
        log = wait_log(self.srv, "configuration not reloaded", mark)
        self.assertIn(self.cfg + ":3:", log)
        self.assertEqual(connack(port, "dev3", "pw3"), 0x86)
        self.assertEqual(connack(port, "dev2", "pw2"), 0)
        self.assertEqual(self.srv.stop(), 0)


if __name__ == "__main__":
    unittest.main()
