"""The README's two commands (issue 35): scripts/run.sh starts the server
from the checkout on the existing build (nothing recompiles) and serves a
document round trip until SIGTERM; a second invocation of the set-up that
both commands share neither reinstalls a package nor recompiles anything
(ninja reports no work), and scripts/test.sh passes its arguments to
ctest. Also: a built-in default port that is taken moves to a free one and
the log says which key moves it; a chosen port that is taken fails with
the key, flag and variable."""

import os
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from themis_harness import THEMISD, free_port

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.path.dirname(os.path.abspath(THEMISD))


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def http(method, url, body=None, timeout=10):
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class ScriptsTest(unittest.TestCase):
    def env(self):
        # the build dir ctest runs from, configured as it is
        e = dict(os.environ, BUILD_DIR=BUILD_DIR)
        e.pop("BUILD_TYPE", None)
        e.pop("THEMIS_CMAKE_ARGS", None)
        return e

    def start_run_sh(self, args, data_dir):
        log = open(os.path.join(data_dir, "run.log"), "wb")
        proc = subprocess.Popen([os.path.join(ROOT, "scripts", "run.sh")] +
                                args, stdout=log, stderr=log, env=self.env(),
                                cwd=data_dir)
        return proc, log

    def wait_ready(self, url, proc, log_path, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.assertIsNone(proc.poll(), read(log_path)[-3000:])
            try:
                if http("GET", url + "/health/ready", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.fail("not ready: " + read(log_path)[-3000:])

    def test_run_sh_serves_and_stops_on_sigterm(self):
        with tempfile.TemporaryDirectory(prefix="themis_run_") as d:
            port = free_port()
            data = os.path.join(d, "data")
            proc, log = self.start_run_sh(
                ["--data-dir", data, "--http-port", str(port), "--pg-port",
                 str(free_port()), "--mqtt-port", str(free_port()),
                 "--https-port", "0", "--mqtts-port", "0"], d)
            try:
                url = "http://127.0.0.1:%d" % port
                self.wait_ready(url, proc, os.path.join(d, "run.log"))
                self.assertEqual(http("POST", url + "/v1/collections",
                                      b'{"name":"notes"}')[0], 201)
                self.assertIn(http("PUT", url + "/v1/collections/notes/"
                                   "documents/n1", b'{"text":"hi"}')[0],
                              (200, 201))
                st, body = http("GET", url + "/v1/collections/notes/"
                                "documents/n1")
                self.assertEqual(st, 200)
                self.assertIn(b'"hi"', body)
                self.assertTrue(os.path.isdir(data))
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(30), 0)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                log.close()
            out = read(os.path.join(d, "run.log"))
            self.assertIn("no work to do", out)  # nothing recompiled
            self.assertIn("docs/security.md", out)

    def test_second_setup_neither_installs_nor_compiles(self):
        for _ in range(2):
            r = subprocess.run([os.path.join(ROOT, "scripts", "setup.sh")],
                               env=self.env(), capture_output=True,
                               text=True, timeout=600)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertIn("all Debian packages present", r.stdout)
        self.assertIn("no work to do", r.stdout)
        self.assertNotIn("-- Configuring", r.stdout)

    def test_test_sh_passes_arguments_to_ctest(self):
        r = subprocess.run(
            [os.path.join(ROOT, "scripts", "test.sh"), "-R",
             "^config_loader.defaults$"], env=self.env(),
            capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
        self.assertIn("no work to do", r.stdout)
        self.assertIn("100% tests passed, 0 tests failed out of 1", r.stdout)

    def test_taken_default_port_moves_chosen_port_fails(self):
        # MQTT's built-in port 1883 held (by us, or by a local broker):
        # themisd moves MQTT to a free port and names the key
        holder = socket.socket()
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            holder.bind(("127.0.0.1", 1883))
            holder.listen(1)
        except OSError:
            pass  # somebody else holds it: the same situation
        try:
            with tempfile.TemporaryDirectory(prefix="themis_port_") as d:
                log_path = os.path.join(d, "themisd.log")
                with open(log_path, "wb") as log:
                    port = free_port()
                    proc = subprocess.Popen(
                        [THEMISD, "--data-dir", d, "--http-port", str(port),
                         "--pg-port", str(free_port()), "--https-port", "0",
                         "--mqtts-port", "0"], stdout=log, stderr=log)
                    try:
                        self.wait_ready("http://127.0.0.1:%d" % port, proc,
                                        log_path, timeout=30)
                        out = read(log_path)
                        self.assertIn("MQTT port 1883 is in use", out)
                        self.assertIn("mqtt.port", out)
                        self.assertIn("--mqtt-port", out)
                    finally:
                        proc.send_signal(signal.SIGTERM)
                        proc.wait(30)
        finally:
            holder.close()
        # a port the operator chose that is taken fails start-up, naming
        # the key, flag and variable that move it
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        taken = holder.getsockname()[1]
        try:
            with tempfile.TemporaryDirectory(prefix="themis_port_") as d:
                r = subprocess.run(
                    [THEMISD, "--data-dir", d, "--http-port", str(free_port()),
                     "--pg-port", str(taken), "--mqtt-port", "0",
                     "--https-port", "0", "--mqtts-port", "0"],
                    capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("pg.port", r.stderr)
                self.assertIn("--pg-port", r.stderr)
                self.assertIn("THEMIS_PG_PORT", r.stderr)
        finally:
            holder.close()


if __name__ == "__main__":
    unittest.main()
