"""A real MIT Kerberos KDC (Debian krb5-kdc) for tests: a temporary realm
in a temporary directory, listening on a free loopback port, with the
krb5.conf clients and themisd read (KRB5_CONFIG). Nothing outside the
directory is touched; stop() kills the KDC and removes it all."""

import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

KRB5KDC = "/usr/sbin/krb5kdc"
KDB5_UTIL = "/usr/sbin/kdb5_util"
KADMIN_LOCAL = "/usr/sbin/kadmin.local"
KINIT = "/usr/bin/kinit"


def available():
    return all(os.access(p, os.X_OK)
               for p in (KRB5KDC, KDB5_UTIL, KADMIN_LOCAL, KINIT))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MitKdc:
    def __init__(self, realm="THEMIS.TEST", clockskew=1):
        self.realm = realm
        self.dir = tempfile.mkdtemp(prefix="themis_kdc_")
        self.port = _free_port()
        self.krb5_conf = os.path.join(self.dir, "krb5.conf")
        self.kdc_conf = os.path.join(self.dir, "kdc.conf")
        self.proc = None
        with open(self.krb5_conf, "w") as f:
            # clockskew 1 s: an expired ticket is refused a second after
            # its end, not after MIT's default five minutes
            f.write("""[libdefaults]
  default_realm = %(realm)s
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
  dns_canonicalize_hostname = false
  udp_preference_limit = 1
  clockskew = %(skew)d
  default_ccache_name = FILE:%(dir)s/ccache_default
[realms]
  %(realm)s = {
    kdc = 127.0.0.1:%(port)d
  }
[domain_realm]
  localhost = %(realm)s
""" % {"realm": realm, "dir": self.dir, "port": self.port,
       "skew": clockskew})
        with open(self.kdc_conf, "w") as f:
            f.write("""[kdcdefaults]
  kdc_ports = %(port)d
  kdc_tcp_listen = 127.0.0.1:%(port)d
  kdc_listen = 127.0.0.1:%(port)d
[realms]
  %(realm)s = {
    database_name = %(dir)s/principal
    key_stash_file = %(dir)s/stash
    acl_file = %(dir)s/kadm5.acl
    max_life = 10h
    max_renewable_life = 0
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }
[logging]
  kdc = FILE:%(dir)s/kdc.log
""" % {"realm": realm, "dir": self.dir, "port": self.port})
        open(os.path.join(self.dir, "kadm5.acl"), "w").close()
        self.env = dict(os.environ, KRB5_CONFIG=self.krb5_conf,
                        KRB5_KDC_PROFILE=self.kdc_conf,
                        KRB5RCACHEDIR=self.dir)

    def _run(self, args, timeout=30):
        r = subprocess.run(args, env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("%s failed: %s %s" % (args, r.stdout,
                                                      r.stderr))
        return r.stdout

    def kadmin(self, query):
        return self._run([KADMIN_LOCAL, "-r", self.realm, "-q", query])

    def start(self):
        self._run([KDB5_UTIL, "create", "-s", "-r", self.realm, "-P",
                   "master-secret-for-tests"])
        self.proc = subprocess.Popen(
            [KRB5KDC, "-n", "-r", self.realm], env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("krb5kdc exited: " + self.log())
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("krb5kdc not listening: " + self.log())

    def add_user(self, name, extra=""):
        """A user principal with a random key, and a keytab kinit uses
        (no password prompt)."""
        self.kadmin("addprinc -randkey %s %s" % (extra, name))
        kt = os.path.join(self.dir, name.replace("/", "_") + ".keytab")
        self.kadmin("ktadd -k %s %s" % (kt, name))
        return kt

    def add_service(self, name, keytab):
        self.kadmin("addprinc -randkey %s" % name)
        self.kadmin("ktadd -k %s %s" % (keytab, name))

    def kinit(self, name, keytab, ccache, lifetime=None):
        args = [KINIT, "-k", "-t", keytab, "-c", ccache]
        if lifetime:
            args += ["-l", lifetime]
        self._run(args + [name])

    def client_env(self, ccache):
        return dict(self.env, KRB5CCNAME="FILE:" + ccache)

    def log(self):
        try:
            with open(os.path.join(self.dir, "kdc.log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class _Capture(http.server.BaseHTTPRequestHandler):
    """Answers 401 Negotiate, then keeps the token curl sends."""

    def do_GET(self):
        h = self.headers.get("Authorization", "")
        if h.startswith("Negotiate "):
            self.server.tokens.append(h[len("Negotiate "):])
            self.send_response(200)
        else:
            self.send_response(401)
            self.send_header("WWW-Authenticate", "Negotiate")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def capture_tokens(env, n=1):
    """`n` fresh SPNEGO tokens (AP-REQs for HTTP/localhost) that curl
    --negotiate makes with the ticket cache in `env`, caught by a local
    server that answers 401 Negotiate: tokens themisd has not seen yet,
    to send later (replay, expiry) or in bulk (the bench)."""
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Capture)
    httpd.tokens = []
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        for _ in range(n):
            subprocess.run(["curl", "-s", "--max-time", "10", "--negotiate",
                            "-u", ":", "-o", "/dev/null",
                            "http://localhost:%d/" % httpd.server_address[1]],
                           env=env, timeout=30)
    finally:
        httpd.shutdown()
        httpd.server_close()
    return httpd.tokens
