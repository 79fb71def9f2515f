"""Starts the real themisd binary on a free port with a private data
directory, and offers small raw-socket and http.client helpers. Every wait
is bounded; every process is killed at the end of its test."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

THEMISD = os.environ.get("THEMISD") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "themisd")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, args=(), data_dir=None, env=None):
        self.port = free_port()
        self.pg_port = free_port()
        self.mqtt_port = free_port()
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="themis_it_")
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "themisd.log")

    def start(self, wait=True):
        # free_port() closes its probe socket, so a test running in
        # parallel (or an ephemeral bind) may take the port before themisd
        # binds it: a start that fails on a taken port gets fresh ports
        for attempt in range(3):
            self.log = open(self.log_path, "ab")
            before = self.log.tell()
            cmd = [THEMISD, "--http-port", str(self.port),
                   "--pg-port", str(self.pg_port),
                   "--mqtt-port", str(self.mqtt_port), "--data-dir",
                   self.data_dir, "--bind", "127.0.0.1", "--log-level",
                   "debug"] + self.args
            self.proc = subprocess.Popen(cmd, stdout=self.log,
                                         stderr=self.log, env=self.env)
            if not wait:
                return self
            try:
                self.wait_ready()
                return self
            except RuntimeError:
                taken = ("Address already in use" in
                         self.read_log()[before:])
                if self.proc.poll() is None or not taken or attempt == 2:
                    raise
                self.log.close()
                self.port = free_port()
                self.pg_port = free_port()
                self.mqtt_port = free_port()
        return self

    def wait_ready(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("themisd exited early: " + self.read_log())
            try:
                st, _, _ = self.request("GET", "/health/ready")
                if st == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("themisd not ready: " + self.read_log())

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=10):
        c = self.conn(timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                headers = dict(headers or {})
                headers.setdefault("Content-Type", "application/json")
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def json(self, method, path, body=None, headers=None):
        st, h, data = self.request(method, path, body, headers)
        return st, h, (json.loads(data) if data else None)

    def psql(self, sql, user="themis", password="themis"):
        """Runs `sql` with Debian's psql on the PostgreSQL port (verbose
        errors, so SQLSTATEs show); (returncode, stdout, stderr)."""
        env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="10")
        r = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", user,
             "-d", "themis", "-At", "-v", "VERBOSITY=verbose",
             "-v", "ON_ERROR_STOP=1", "-X"],
            input=sql + ";\n", env=env, capture_output=True, text=True,
            timeout=60)
        return r.returncode, r.stdout, r.stderr

    def raw(self):
        return RawConn(self.port)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("themisd did not stop in time")
        if hasattr(self, "log"):
            self.log.close()
        return self.proc.returncode if self.proc else None

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        keep = os.environ.get("THEMIS_TEST_LOGS")
        if keep:
            os.makedirs(keep, exist_ok=True)
            shutil.copy(self.log_path, os.path.join(keep, "%d.log" % self.port))
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


class RawConn:
    """A plain TCP client for byte-exact HTTP tests."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def read_response(self, timeout=10):
        """One response (Content-Length framed): (status, headers, body),
        or None on EOF."""
        self.sock.settimeout(timeout)
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        if status in (100, 204, 304):
            n = 0
        while len(rest) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        self.buf = rest[n:]
        return status, headers, rest[:n]

    def is_closed(self, timeout=5):
        """True if the server closes (EOF or reset) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


class ServerTest(unittest.TestCase):
    """One server per test class (fast); override `server_args` and
    `server_env` (extra environment variables)."""
    server_args = ()
    server_env = None

    def put_entity(self, coll, key, doc=None):
        """PUT /entities/coll:key; returns the write's change sequence."""
        st, _, body = self.server.json("PUT", "/entities/%s:%s" % (coll, key),
                                       {"blob": json.dumps(doc or {})})
        self.assertIn(st, (200, 201))
        return int(body["_rev"])

    def tip(self):
        """The newest change-log sequence."""
        _, _, b = self.server.json("GET", "/changefeed?from_seq=now")
        return b["latest_sequence"]

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.server_args, env=cls.server_env).start()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.server.stop()
            assert code == 0, "themisd exit code %r\n%s" % (
                code, cls.server.read_log())
        finally:
            cls.server.cleanup()
