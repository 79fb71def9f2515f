"""issue 25: a real etcd cluster (Debian etcd-server 3.4) of N members on
free loopback ports, for the cluster tests and bench/cluster_config_bench.
Tuned for a test: 20 ms heartbeats and a 200 ms election timeout, so a
member loss is noticed quickly and etcd accepts a 1 s lease TTL."""

import os
import shutil
import ssl
import signal
import subprocess
import tempfile
import time
import urllib.request

ETCD = shutil.which("etcd")
ETCDCTL = shutil.which("etcdctl")


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_tls(d):
    """A CA and a server certificate for 127.0.0.1 (openssl CLI)."""
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr = os.path.join(d, "server.key"), os.path.join(d, "server.csr")
    crt, ext = os.path.join(d, "server.pem"), os.path.join(d, "san.ext")
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=etcd-ca")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
        "-out", csr, "-subj", "/CN=127.0.0.1")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
        "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext)
    return ca, crt, key


class EtcdCluster:
    def __init__(self, members=3, tls=False):
        self.dir = tempfile.mkdtemp(prefix="themis_etcd_")
        self.tls = _make_tls(self.dir) if tls else None
        self.scheme = "https" if tls else "http"
        self.user = None  # (name, password) once auth_enable() ran
        self.names = ["m%d" % i for i in range(members)]
        self.client = {n: _free_port() for n in self.names}
        self.peer = {n: _free_port() for n in self.names}
        self.procs = {}
        self.logs = {}

    @property
    def endpoints(self):
        return ["%s://127.0.0.1:%d" % (self.scheme, self.client[n])
                for n in self.names]

    def _cmd(self, n, state):
        initial = ",".join("%s=http://127.0.0.1:%d" % (m, self.peer[m])
                           for m in self.names)
        client = "%s://127.0.0.1:%d" % (self.scheme, self.client[n])
        tls = ["--cert-file", self.tls[1], "--key-file", self.tls[2]] \
            if self.tls else []
        return [ETCD, "--name", n,
                "--data-dir", os.path.join(self.dir, n),
                "--listen-client-urls", client,
                "--advertise-client-urls", client] + tls + [
                "--listen-peer-urls", "http://127.0.0.1:%d" % self.peer[n],
                "--initial-advertise-peer-urls",
                "http://127.0.0.1:%d" % self.peer[n],
                "--initial-cluster", initial,
                "--initial-cluster-state", state,
                "--initial-cluster-token", os.path.basename(self.dir),
                "--heartbeat-interval", "20", "--election-timeout", "200",
                "--logger", "zap", "--log-level", "warn"]

    def start_member(self, n, state="new"):
        self.logs[n] = open(os.path.join(self.dir, n + ".log"), "ab")
        self.procs[n] = subprocess.Popen(self._cmd(n, state),
                                         stdout=self.logs[n],
                                         stderr=self.logs[n])

    def start(self, timeout=20):
        for n in self.names:
            self.start_member(n)
        self.wait_healthy(timeout)
        return self

    def healthy(self, n):
        try:
            ctx = ssl.create_default_context(cafile=self.tls[0]) \
                if self.tls else None
            with urllib.request.urlopen(
                    "%s://127.0.0.1:%d/health" % (self.scheme, self.client[n]),
                    timeout=1, context=ctx) as r:
                return b'"true"' in r.read()
        except OSError:
            return False

    def wait_healthy(self, timeout=20, members=None):
        deadline = time.time() + timeout
        members = members or self.names
        while time.time() < deadline:
            if all(self.healthy(n) for n in members):
                return
            time.sleep(0.1)
        raise RuntimeError("etcd not healthy: " + self.log_tail())

    def stop_member(self, n):
        p = self.procs.get(n)
        if p and p.poll() is None:
            p.kill()
            p.wait()
        if n in self.logs:
            self.logs[n].close()

    def restart_member(self, n):
        self.start_member(n, state="existing")

    def ctl(self, *args, timeout=10):
        env = dict(os.environ, ETCDCTL_API="3")
        extra = ["--cacert", self.tls[0]] if self.tls else []
        if self.user:
            extra += ["--user", "%s:%s" % self.user]
        r = subprocess.run([ETCDCTL, "--endpoints", ",".join(self.endpoints),
                            "--command-timeout=3s"] + extra + list(args),
                           env=env, capture_output=True, text=True,
                           timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    def auth_enable(self, password):
        """etcd's RBAC on: a root user (etcd requires it) with `password`;
        every later request needs it."""
        for args in (("user", "add", "root:" + password),
                     ("auth", "enable")):
            rc, out, err = self.ctl(*args)
            if rc != 0:
                raise RuntimeError("etcdctl %s: %s" % (args, err))
        self.user = ("root", password)

    def log_tail(self):
        out = []
        for n in self.names:
            try:
                with open(os.path.join(self.dir, n + ".log"), "rb") as f:
                    out.append(n + ": " + f.read()[-1500:].decode(
                        errors="replace"))
            except OSError:
                pass
        return "\n".join(out)

    def cleanup(self):
        for n in self.names:
            p = self.procs.get(n)
            if p and p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.kill()
                p.wait()
            if n in self.logs:
                self.logs[n].close()
        shutil.rmtree(self.dir, ignore_errors=True)
