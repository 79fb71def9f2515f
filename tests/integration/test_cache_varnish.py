"""A real Varnish (Debian's varnish 7.1) in front of themisd (issue 22,
docs/caching.md): varnishd on a free loopback port with a VCL written to
a temporary directory that caches themisd's GETs (honouring s-maxage),
marks hits in X-Cache, and turns themisd's purge hook — PURGE with the
changed keys in Surrogate-Key — into a ban on obj.http.Surrogate-Key.
Scenario: a document is a hit the second time; a REST write, an AQL
write and an SQL write (psql) each make the next read through Varnish
show the new value; a document nobody wrote stays a hit; listings are
purged by collection."""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from themis_harness import Server, free_port

VCL = r"""vcl 4.1;

backend themisd {
  .host = "127.0.0.1";
  .port = "%(port)d";
}

acl purgers {
  "127.0.0.1";
}

sub vcl_recv {
  if (req.method == "PURGE") {
    # the purge token stands for a CDN API credential (Fastly-Key)
    if (client.ip !~ purgers || req.http.X-Purge-Token != "%(token)s") {
      return (synth(403, "Forbidden"));
    }
    if (req.http.Surrogate-Key) {
      # the keys are tokens without regex metacharacters (percent-encoded)
      ban("obj.http.Surrogate-Key ~ (^|\s)(" +
          regsuball(regsub(req.http.Surrogate-Key, "^\s+|\s+$", ""),
                    "\s+", "|") + ")(\s|$)");
      return (synth(200, "Banned"));
    }
    return (purge);
  }
}

sub vcl_deliver {
  if (obj.hits > 0) {
    set resp.http.X-Cache = "HIT";
  } else {
    set resp.http.X-Cache = "MISS";
  }
}
"""

DOCS = "/api/v1/collections/vc/documents"
TOKEN = "t0ken-for-purges"


class Varnish:
    def __init__(self, port, backend_port):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="themis_varnish_")
        self.vcl = os.path.join(self.dir, "themis.vcl")
        with open(self.vcl, "w") as f:
            f.write(VCL % {"port": backend_port, "token": TOKEN})
        self.log = open(os.path.join(self.dir, "varnishd.log"), "wb")
        # -F: foreground, ends with us; -j none: no privilege separation
        # (the test may run as root); -T none: no management port
        self.proc = subprocess.Popen(
            ["varnishd", "-F", "-j", "none", "-T", "none",
             "-a", "127.0.0.1:%d" % port, "-n", os.path.join(self.dir, "n"),
             "-f", self.vcl, "-s", "malloc,32m",
             "-p", "default_grace=0", "-p", "ban_lurker_sleep=0.01"],
            stdout=self.log, stderr=self.log)

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("varnishd exited: " + self.read_log())
            try:
                st, _, _ = self.get("/health")
                if st == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("varnishd not ready: " + self.read_log())

    def read_log(self):
        with open(os.path.join(self.dir, "varnishd.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, \
                r.read()
        finally:
            c.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def metric(server, name):
    _, _, body = server.request("GET", "/metrics")
    m = re.search(r"^%s (\d+)" % re.escape(name), body.decode(), re.M)
    return int(m.group(1)) if m else 0


def purges_ok(server):
    return metric(server, 'themis_cache_purge_requests_total{result="ok"}')


def settle(server, timeout=10):
    """Waits until the purges of every write committed so far have been
    sent and answered (themis_cache_purge_sequence reaches the change
    log's tip): no earlier write's purge can land after this."""
    _, _, b = server.json("GET", "/changefeed?from_seq=now")
    tip = b["latest_sequence"]
    deadline = time.time() + timeout
    while metric(server, "themis_cache_purge_sequence") < tip:
        if time.time() > deadline:
            raise AssertionError("purges did not reach sequence %d" % tip)
        time.sleep(0.005)


class VarnishPurgeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("varnishd"):
            raise RuntimeError("varnishd not installed: Debian varnish is "
                               "in scripts/packages.txt (scripts/setup.sh)")
        vport = free_port()
        cls.srv = Server(["--set",
                          "cache.purge_url=http://127.0.0.1:%d/" % vport,
                          "--set", "cache.purge_delay_ms=5",
                          "--set", "cache.purge_token=" + TOKEN,
                          "--set", "cache.purge_token_header=X-Purge-Token"])
        cls.srv.start()
        cls.varnish = Varnish(vport, cls.srv.port)
        try:
            cls.varnish.wait_ready()
        except Exception:
            cls.varnish.stop()
            cls.srv.stop()
            cls.srv.cleanup()
            raise
        st, _, _ = cls.srv.json("POST", "/api/v1/collections", {"name": "vc"})
        assert st == 201, st

    @classmethod
    def tearDownClass(cls):
        cls.varnish.stop()
        cls.srv.stop()
        cls.srv.cleanup()

    def via(self, path):
        st, h, body = self.varnish.get(path)
        self.assertEqual(st, 200, body)
        return h, json.loads(body)

    def write_and_wait(self, write):
        """Runs `write` (acknowledged = committed), then waits until the
        purge of its keys was answered by Varnish; returns the seconds
        from the acknowledgement to then."""
        settle(self.srv)
        before = purges_ok(self.srv)
        write()
        t0 = time.monotonic()
        settle(self.srv)
        took = time.monotonic() - t0
        self.assertGreater(purges_ok(self.srv), before)
        return took

    def test_hit_then_rest_and_aql_writes_purge(self):
        s = self.srv
        s.json("PUT", DOCS + "/k1", {"v": 1})
        s.json("PUT", DOCS + "/other", {"v": 1})
        # these writes' own purges must not land after the reads below
        settle(s)
        h, doc = self.via(DOCS + "/k1")
        self.assertEqual(doc["v"], 1)
        h, doc = self.via(DOCS + "/k1")
        self.assertEqual((h["x-cache"], doc["v"]), ("HIT", 1))
        self.assertIn("age", h)
        self.via(DOCS + "/other")
        self.assertEqual(self.via(DOCS + "/other")[0]["x-cache"], "HIT")

        # REST: the next read through Varnish is fresh
        took = self.write_and_wait(
            lambda: s.json("PUT", DOCS + "/k1", {"v": 2}))
        h, doc = self.via(DOCS + "/k1")
        self.assertEqual((h["x-cache"], doc["v"]), ("MISS", 2))
        self.assertEqual(self.via(DOCS + "/k1")[0]["x-cache"], "HIT")
        print("purge answered %.1f ms after the REST write's ack"
              % (took * 1e3))

        # AQL (another write path, same changefeed): fresh again
        def aql():
            st, _, body = s.json("POST", "/query/aql", {
                "query": "UPDATE {_key: 'k1'} WITH {v: 3} IN vc"})
            self.assertEqual(st, 200, body)
        took = self.write_and_wait(aql)
        h, doc = self.via(DOCS + "/k1")
        self.assertEqual((h["x-cache"], doc["v"]), ("MISS", 3))
        print("purge answered %.1f ms after the AQL write's ack"
              % (took * 1e3))

        # SQL over the PostgreSQL protocol (psql): the same changefeed
        def sql():
            env = dict(os.environ, PGPASSWORD="themis",
                       PGCONNECT_TIMEOUT="10")
            r = subprocess.run(
                ["psql", "-h", "127.0.0.1", "-p", str(s.pg_port), "-U",
                 "themis", "-d", "themis", "-X", "-v", "ON_ERROR_STOP=1",
                 "-c", "UPDATE vc SET doc = '{\"v\": 4}' WHERE _key = 'k1'"],
                env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
        took = self.write_and_wait(sql)
        h, doc = self.via(DOCS + "/k1")
        self.assertEqual((h["x-cache"], doc["v"]), ("MISS", 4))
        print("purge answered %.1f ms after the SQL write's ack"
              % (took * 1e3))

        # a document nobody wrote was not purged
        self.assertEqual(self.via(DOCS + "/other")[0]["x-cache"], "HIT")
        self.assertEqual(metric(
            s, 'themis_cache_purge_requests_total{result="failed"}'), 0)

    def test_listing_purged_by_collection_key(self):
        s = self.srv
        s.json("PUT", DOCS + "/l1", {"v": 1})
        settle(s)
        self.via(DOCS + "?limit=1000")
        h, listing = self.via(DOCS + "?limit=1000")
        self.assertEqual(h["x-cache"], "HIT")
        self.write_and_wait(lambda: s.json("PUT", DOCS + "/l2", {"v": 2}))
        h, listing = self.via(DOCS + "?limit=1000")
        self.assertEqual(h["x-cache"], "MISS")
        self.assertIn("l2", json.dumps(listing))

    def test_purge_without_the_token_is_refused(self):
        # the VCL's own check, so a passing purge above proves the token
        c = http.client.HTTPConnection("127.0.0.1", self.varnish.port,
                                       timeout=10)
        try:
            c.request("PURGE", "/", headers={"Surrogate-Key": "themis-all"})
            self.assertEqual(c.getresponse().status, 403)
        finally:
            c.close()

    def test_delete_purges(self):
        s = self.srv
        s.json("PUT", DOCS + "/gone", {"v": 1})
        settle(s)
        self.via(DOCS + "/gone")
        self.assertEqual(self.via(DOCS + "/gone")[0]["x-cache"], "HIT")
        self.write_and_wait(lambda: s.request("DELETE", DOCS + "/gone"))
        st, h, _ = self.varnish.get(DOCS + "/gone")
        self.assertEqual(st, 404)


if __name__ == "__main__":
    unittest.main()
