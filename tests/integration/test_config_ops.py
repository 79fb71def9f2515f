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


if __name__ == "__main__":
    unittest.main()
