"""issue 25: a real etcd cluster (Debian etcd-server 3.4) of N members on
free loopback ports, for the cluster tests and bench/cluster_config_bench.
Tuned for a test: 20 ms heartbeats and a 200 ms election timeout, so a
member loss is noticed quickly and etcd accepts a 1 s lease TTL."""

import os
import shutil
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


class EtcdCluster:
    def __init__(self, members=3):
        self.dir = tempfile.mkdtemp(prefix="themis_etcd_")
        self.names = ["m%d" % i for i in range(members)]
        self.client = {n: _free_port() for n in self.names}
        self.peer = {n: _free_port() for n in self.names}
        self.procs = {}
        self.logs = {}

    @property
    def endpoints(self):
        return ["http://127.0.0.1:%d" % self.client[n] for n in self.names]

    def _cmd(self, n, state):
        initial = ",".join("%s=http://127.0.0.1:%d" % (m, self.peer[m])
                           for m in self.names)
        return [ETCD, "--name", n,
                "--data-dir", os.path.join(self.dir, n),
                "--listen-client-urls", "http://127.0.0.1:%d" % self.client[n],
                "--advertise-client-urls",
                "http://127.0.0.1:%d" % self.client[n],
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
            with urllib.request.urlopen(
                    "http://127.0.0.1:%d/health" % self.client[n],
                    timeout=1) as r:
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
        r = subprocess.run([ETCDCTL, "--endpoints", ",".join(self.endpoints),
                            "--command-timeout=3s"] + list(args),
                           env=env, capture_output=True, text=True,
                           timeout=timeout)
        return r.returncode, r.stdout, r.stderr

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
