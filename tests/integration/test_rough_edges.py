"""Rough edges a new user hit (issue 28), each against the real themisd:
the 426 status line, a malformed ?wait= on a finished job. Every wait is
bounded."""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import Server  # noqa: E402


class RoughEdges(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def status_line(self, request):
        with socket.create_connection(("127.0.0.1", self.srv.port),
                                      timeout=10) as s:
            s.sendall(request.encode())
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        return data.split(b"\r\n", 1)[0].decode()

    def test_426_has_its_reason_phrase(self):
        line = self.status_line(
            "GET /v1/changes/ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(line, "HTTP/1.1 426 Upgrade Required")

    def test_malformed_wait_is_400_in_every_job_state(self):
        st, _, job = self.srv.json("POST", "/v2/jobs",
                                   {"query": "RETURN 1"})
        self.assertIn(st, (200, 201, 202), job)
        path = "/v2/jobs/" + job["job_id"]
        deadline = time.time() + 10
        while time.time() < deadline:
            st, _, rec = self.srv.json("GET", path)
            if rec["status"] == "completed":
                break
            time.sleep(0.05)
        self.assertEqual(rec["status"], "completed")
        for bad in ("soon", "-1", "5x", ""):
            st, _, body = self.srv.json("GET", path + "?wait=" + bad)
            self.assertEqual(st, 400, (bad, body))
            self.assertIn("wait", body["message"])
        st, _, rec = self.srv.json("GET", path + "?wait=2s")
        self.assertEqual((st, rec["status"]), (200, "completed"))


if __name__ == "__main__":
    unittest.main()
