"""Packaging and the service contract (issue 28): the .deb that CPack
builds from this build directory installs a working server, and themisd
speaks systemd's notify protocol.

- `cpack -G DEB`: the package declares its shared-library dependencies,
  marks /etc/themisd/themisd.yaml as a conffile, carries maintainer
  scripts that parse; unpacked with `dpkg -x` into a temporary root, its
  binary starts on its packaged default configuration and serves /health,
  and its systemd unit passes `systemd-analyze verify`;
- with NOTIFY_SOCKET set (as systemd does for Type=notify), themisd sends
  READY=1 once it serves, WATCHDOG=1 at half of WATCHDOG_USEC, and
  STOPPING=1 on SIGTERM."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from themis_harness import THEMISD, free_port

BUILD_DIR = os.path.dirname(os.path.abspath(THEMISD))


def health(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/health" % port,
                                    timeout=2) as r:
            return r.status
    except OSError:
        return None


def wait_health(port, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        if health(port) == 200:
            return True
        time.sleep(0.1)
    return False


class PackagingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="themis_pkg_")
        r = subprocess.run(
            ["cpack", "-G", "DEB", "-B", cls.tmp, "--config",
             os.path.join(BUILD_DIR, "CPackConfig.cmake")],
            capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        debs = [f for f in os.listdir(cls.tmp) if f.endswith(".deb")]
        assert len(debs) == 1, debs
        cls.deb = os.path.join(cls.tmp, debs[0])
        cls.root = os.path.join(cls.tmp, "root")
        subprocess.run(["dpkg-deb", "-x", cls.deb, cls.root], check=True,
                       timeout=60)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_control_fields_and_scripts(self):
        info = subprocess.run(["dpkg-deb", "-I", self.deb],
                              capture_output=True, text=True,
                              timeout=30).stdout
        self.assertIn("Package: themisd", info)
        self.assertRegex(info, r"Depends:.*libcaf-core0\.17")
        self.assertRegex(info, r"Depends:.*libsqlite3-0")
        ctrl = os.path.join(self.tmp, "control")
        subprocess.run(["dpkg-deb", "-e", self.deb, ctrl], check=True,
                       timeout=30)
        with open(os.path.join(ctrl, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/themisd/themisd.yaml"])
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(ctrl, script)
            self.assertTrue(os.access(path, os.X_OK), script)
            r = subprocess.run(["sh", "-n", path], capture_output=True,
                               text=True, timeout=10)
            self.assertEqual(r.returncode, 0, r.stderr)
        for f in ("usr/bin/themisd", "etc/themisd/themisd.yaml",
                  "lib/systemd/system/themisd.service",
                  "usr/share/doc/themisd/operations.md"):
            self.assertTrue(os.path.exists(os.path.join(self.root, f)), f)

    def test_unpacked_server_starts_on_its_packaged_config(self):
        port = free_port()
        data = os.path.join(self.tmp, "data")
        proc = subprocess.Popen(
            [os.path.join(self.root, "usr/bin/themisd"), "--config",
             os.path.join(self.root, "etc/themisd/themisd.yaml"),
             "--data-dir", data, "--http-port", str(port), "--pg-port",
             str(free_port()), "--mqtt-port", str(free_port()),
             "--https-port", "0", "--mqtts-port", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            self.assertTrue(wait_health(port, proc), proc.stderr.read()
                            if proc.poll() is not None else "no answer")
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()

    def test_unit_file_verifies(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze not installed")
        unit = os.path.join(self.root, "lib/systemd/system/themisd.service")
        with open(unit) as f:
            text = f.read()
        self.assertIn("Type=notify", text)
        self.assertIn("WatchdogSec=", text)
        # the unit names /usr/bin/themisd; verify it against the unpacked one
        local = os.path.join(self.tmp, "themisd.service")
        with open(local, "w") as f:
            f.write(text.replace("/usr/bin/themisd", os.path.join(
                self.root, "usr/bin/themisd")))
        r = subprocess.run(["systemd-analyze", "verify", local],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class NotifyTest(unittest.TestCase):
    def test_ready_watchdog_stopping(self):
        tmp = tempfile.mkdtemp(prefix="themis_notify_")
        path = os.path.join(tmp, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(0.5)
        port = free_port()
        env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="400000")
        proc = subprocess.Popen(
            [THEMISD, "--data-dir", os.path.join(tmp, "data"), "--http-port",
             str(port), "--pg-port", "0", "--mqtt-port", "0",
             "--https-port", "0", "--mqtts-port", "0"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        got = []

        def read_until(word, timeout):
            deadline = time.time() + timeout
            while time.time() < deadline:
                try:
                    got.append(sock.recv(4096).decode())
                except socket.timeout:
                    continue
                if any(word in m for m in got):
                    return True
            return False

        try:
            self.assertTrue(read_until("READY=1", 20), got)
            self.assertEqual(health(port), 200)
            ready = [m for m in got if "READY=1" in m][0]
            self.assertIn("MAINPID=%d" % proc.pid, ready)
            self.assertTrue(read_until("WATCHDOG=1", 3), got)
            proc.send_signal(signal.SIGTERM)
            self.assertTrue(read_until("STOPPING=1", 10), got)
            self.assertEqual(proc.wait(30), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            sock.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
