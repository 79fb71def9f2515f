"""Logs and metrics (issue 28), with real clients: the JSON access log in a
file (HTTP, MQTT, PostgreSQL), SIGUSR1 reopening it after logrotate's
rename, the log level changed at run time, and /metrics checked as strict
Prometheus text (and by promtool when it is installed) and seen to move
after MQTT and SQL traffic."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from themis_harness import Server

# --- a strict checker of the Prometheus text format (0.0.4) ----------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{(?:%s)(?:,(?:%s))*\})? (\S+)$" % (NAME, LABEL,
                                                                LABEL))
VALUE = re.compile(r"^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+"
                   r"(?:[eE][+-]?\d+)?)|[+-]Inf|NaN)$")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"),
            "summary": ("", "_sum", "_count")}


def check_exposition(text):
    """Returns a list of problems (empty: valid). Every sample belongs to
    a family declared by HELP and TYPE before it, families are not split
    or repeated, counters end in _total, histograms have buckets ending in
    le="+Inf" equal to _count, label values are escaped, no series is
    repeated."""
    problems = []
    types, helps, seen_series = {}, set(), set()
    current, closed = None, set()
    hist = {}
    if not text.endswith("\n"):
        problems.append("no final newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            if name in helps:
                problems.append("%d: second HELP for %s" % (n, name))
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in (
                    "counter", "gauge", "histogram", "summary", "untyped"):
                problems.append("%d: bad TYPE line %r" % (n, line))
                continue
            name, typ = parts[2], parts[3]
            if name in types:
                problems.append("%d: second TYPE for %s" % (n, name))
            if name not in helps:
                problems.append("%d: TYPE before HELP for %s" % (n, name))
            if typ == "counter" and not name.endswith("_total"):
                problems.append("%d: counter %s lacks _total" % (n, name))
            if current:
                closed.add(current)
            types[name], current = typ, name
            continue
        if line.startswith("#") or not line:
            problems.append("%d: stray line %r" % (n, line))
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append("%d: malformed sample %r" % (n, line))
            continue
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        if not VALUE.match(value):
            problems.append("%d: bad value %r" % (n, value))
        family = None
        for fam in (current,):
            if fam is None:
                continue
            allowed = SUFFIXES.get(types[fam], ("",))
            if any(name == fam + s for s in allowed):
                family = fam
        if family is None:
            problems.append("%d: sample %s outside its family (current %s)"
                            % (n, name, current))
            continue
        if family in closed:
            problems.append("%d: family %s split" % (n, family))
        series = name + labels
        if series in seen_series:
            problems.append("%d: duplicate series %s" % (n, series))
        seen_series.add(series)
        if types[family] == "histogram":
            key = (family, re.sub(r',?le="[^"]*"', "", labels))
            h = hist.setdefault(key, {"inf": None, "count": None, "last": -1})
            if name.endswith("_bucket"):
                le = re.search(r'le="([^"]*)"', labels)
                if not le:
                    problems.append("%d: bucket without le" % n)
                    continue
                v = float(value)
                if v < h["last"]:
                    problems.append("%d: buckets not cumulative" % n)
                h["last"] = v
                if le.group(1) == "+Inf":
                    h["inf"] = v
            elif name.endswith("_count"):
                h["count"] = float(value)
    for (fam, labels), h in hist.items():
        if h["inf"] is None or h["inf"] != h["count"]:
            problems.append("histogram %s%s: +Inf bucket %s != count %s" %
                            (fam, labels, h["inf"], h["count"]))
    for name in helps:
        if name not in types:
            problems.append("HELP without TYPE for %s" % name)
    return problems


def parse_samples(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


class ExpositionCheckerTest(unittest.TestCase):
    """The checker itself catches what it claims to."""

    def test_catches_bad_inputs(self):
        good = ("# HELP a_total A.\n# TYPE a_total counter\n"
                'a_total{x="q\\"\\\\"} 1\n')
        self.assertEqual(check_exposition(good), [])
        bad = {
            "no family": "x 1\n",
            "counter name": "# HELP a A.\n# TYPE a counter\na 1\n",
            "duplicate": "# HELP a A.\n# TYPE a gauge\na 1\na 2\n",
            "escaping": '# HELP a A.\n# TYPE a gauge\na{x="q"q"} 1\n',
            "split": ("# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n"
                      "# TYPE b gauge\nb 1\na{y=\"1\"} 1\n"),
            "histogram": ("# HELP h H.\n# TYPE h histogram\n"
                          'h_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\n'
                          "h_sum 1\nh_count 1\n"),
            "value": "# HELP a A.\n# TYPE a gauge\na one\n",
        }
        for what, text in bad.items():
            self.assertNotEqual(check_exposition(text), [], what)


class ObservabilityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="themis_obs_")
        cls.access_path = os.path.join(cls.tmp, "access.log")
        cls.cfg = os.path.join(cls.tmp, "themisd.yaml")
        with open(cls.cfg, "w") as f:
            f.write("log:\n  access: true\n  access_format: json\n"
                    "  access_file: %s\n" % cls.access_path)
        cls.srv = Server(["--config", cls.cfg]).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- helpers ------------------------------------------------------------

    def records(self, path=None):
        path = path or self.access_path
        if not os.path.exists(path):
            return []
        out = []
        with open(path) as f:
            for line in f:
                out.append(json.loads(line))  # every line is JSON
        return out

    def wait_record(self, pred, path=None, timeout=10):
        """Access lines are buffered up to a second."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for r in self.records(path):
                if pred(r):
                    return r
            time.sleep(0.1)
        self.fail("no access record matched in %s: %s" % (
            path or self.access_path, self.records(path)[-5:]))

    def metrics(self):
        st, _, body = self.srv.request("GET", "/metrics")
        self.assertEqual(st, 200)
        return body.decode()

    def psql(self, sql, password="themis"):
        env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="10")
        dsn = "host=127.0.0.1 port=%d user=themis dbname=themis" % (
            self.srv.pg_port)
        return subprocess.run(["psql", dsn, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"],
                              input=sql, capture_output=True, text=True,
                              env=env, timeout=60)

    # -- access logs ----------------------------------------------------------

    def test_http_access_record(self):
        st, _, _ = self.srv.request("GET", "/health",
                                    headers={"X-Request-ID": "obs-http-1"})
        self.assertEqual(st, 200)
        r = self.wait_record(lambda r: r.get("request_id") == "obs-http-1")
        self.assertEqual(r["proto"], "http")
        self.assertEqual(r["event"], "request")
        self.assertEqual(r["method"], "GET")
        self.assertEqual(r["path"], "/health")
        self.assertEqual(r["status"], 200)
        self.assertGreater(r["bytes"], 0)
        self.assertGreaterEqual(r["duration_ms"], 0)
        self.assertEqual(r["principal"], "anonymous")
        self.assertEqual(r["tenant"], "")
        self.assertTrue(r["remote"].startswith("127.0.0.1"))
        self.assertRegex(r["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        # a 404 with an odd path stays one valid JSON line
        st, _, _ = self.srv.request("GET", "/no%22such%0Apath",
                                    headers={"X-Request-ID": "obs-http-2"})
        self.assertEqual(st, 404)
        r = self.wait_record(lambda r: r.get("request_id") == "obs-http-2")
        self.assertEqual(r["status"], 404)
        self.assertEqual(r["path"], '/no"such\npath')

    def test_mqtt_connect_disconnect_records(self):
        r = subprocess.run(
            ["mosquitto_pub", "-p", str(self.srv.mqtt_port), "-i",
             "obs-client", "-t", "obs/t", "-m", "x", "-q", "1"],
            capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        c = self.wait_record(lambda r: r["proto"] == "mqtt" and
                             r["event"] == "connect" and
                             r.get("client_id") == "obs-client")
        self.assertEqual(c["version"], "3.1.1")
        self.assertTrue(c["remote"].startswith("127.0.0.1"))
        d = self.wait_record(lambda r: r["proto"] == "mqtt" and
                             r["event"] == "disconnect" and
                             r.get("client_id") == "obs-client")
        self.assertEqual(d["reason"], "client disconnect")
        self.assertEqual(d["messages_in"], 1)
        self.assertGreaterEqual(d["duration_s"], 0)

    def test_pg_session_and_auth_failure_records(self):
        r = self.psql("select 1;")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = self.wait_record(lambda r: r["proto"] == "pg" and
                             r["event"] == "session_start")
        self.assertEqual(s["user"], "themis")
        e = self.wait_record(lambda r: r["proto"] == "pg" and
                             r["event"] == "session_end" and
                             r["pid"] == s["pid"])
        self.assertEqual(e["reason"], "client terminate")
        before = parse_samples(self.metrics()).get(
            "themis_pg_auth_failures_total", 0)
        r = self.psql("select 1;", password="wrong")
        self.assertNotEqual(r.returncode, 0)
        f = self.wait_record(lambda r: r["proto"] == "pg" and
                             r["event"] == "auth_failure")
        self.assertEqual(f["user"], "themis")
        after = parse_samples(self.metrics())["themis_pg_auth_failures_total"]
        self.assertEqual(after, before + 1)

    def test_sigusr1_reopens_after_rename(self):
        self.srv.request("GET", "/health", headers={"X-Request-ID": "pre-rot"})
        self.wait_record(lambda r: r.get("request_id") == "pre-rot")
        rotated = self.access_path + ".1"
        os.rename(self.access_path, rotated)
        self.srv.proc.send_signal(signal.SIGUSR1)
        # the reopen happens on an I/O thread: retry until a new request
        # lands in the new file
        deadline, n = time.time() + 10, 0
        while time.time() < deadline:
            n += 1
            self.srv.request("GET", "/health",
                             headers={"X-Request-ID": "post-rot-%d" % n})
            time.sleep(0.3)
            if any(r.get("request_id", "").startswith("post-rot")
                   for r in self.records()):
                break
        else:
            self.fail("nothing written to the reopened file")
        self.assertTrue(any(r.get("request_id") == "pre-rot"
                            for r in self.records(rotated)))
        self.assertFalse(any(r.get("request_id") == "pre-rot"
                             for r in self.records()))

    # -- level at run time ----------------------------------------------------

    def test_log_level_at_runtime(self):
        st, _, body = self.srv.request("GET", "/api/v1/admin/log-level")
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body)["level"], "debug")
        st, _, body = self.srv.request(
            "PUT", "/api/v1/admin/log-level", body=json.dumps({"level": "x"}),
            headers={"Content-Type": "application/json"})
        self.assertEqual(st, 400)
        try:
            st, _, body = self.srv.request(
                "PUT", "/api/v1/admin/log-level",
                body=json.dumps({"level": "warn"}),
                headers={"Content-Type": "application/json"})
            self.assertEqual(st, 200, body)
            self.assertEqual(json.loads(body)["level"], "warn")
            # an info line (a SIGUSR1 reopen) is no longer written
            mark = os.path.getsize(self.srv.log_path)
            self.srv.proc.send_signal(signal.SIGUSR1)
            time.sleep(1.5)
            with open(self.srv.log_path, "rb") as f:
                f.seek(mark)
                self.assertNotIn(b"log files reopened", f.read())
        finally:
            st, _, body = self.srv.request(
                "PUT", "/api/v1/admin/log-level",
                body=json.dumps({"level": "debug"}),
                headers={"Content-Type": "application/json"})
            self.assertEqual(st, 200, body)
        mark = os.path.getsize(self.srv.log_path)
        self.srv.proc.send_signal(signal.SIGUSR1)
        deadline = time.time() + 10
        while time.time() < deadline:
            with open(self.srv.log_path, "rb") as f:
                f.seek(mark)
                if b"log files reopened" in f.read():
                    break
            time.sleep(0.1)
        else:
            self.fail("info line missing after the level went back")

    # -- metrics --------------------------------------------------------------

    def test_exposition_is_valid(self):
        # traffic first, so labelled families have samples
        self.srv.request("GET", "/health")
        self.psql("select 1;")
        text = self.metrics()
        self.assertEqual(check_exposition(text), [], text)
        for family in (
                "themis_build_info", "process_cpu_seconds_total",
                "process_resident_memory_bytes", "process_open_fds",
                "process_threads", "process_start_time_seconds",
                "themis_mqtt_clients_connected", "themis_mqtt_sessions",
                "themis_mqtt_subscriptions", "themis_mqtt_retained_messages",
                "themis_mqtt_inflight_messages",
                "themis_mqtt_messages_received_total",
                "themis_mqtt_messages_sent_total",
                "themis_mqtt_messages_dropped_total", "themis_pg_sessions",
                "themis_mqtt_auth_failures_total",
                "themis_pg_statements_total", "themis_pg_errors_total",
                "themis_pg_transaction_duration_seconds",
                "themis_engine_wal_bytes",
                "themis_engine_reader_waits_total"):
            self.assertIn("# TYPE %s " % family, text)
        s = parse_samples(text)
        self.assertEqual(s['themis_build_info{version="0.1.0"}'], 1)
        self.assertGreater(s["process_resident_memory_bytes"], 1e6)
        self.assertGreater(s["process_threads"], 1)
        self.assertGreater(s["process_open_fds"], 3)
        self.assertAlmostEqual(s["process_start_time_seconds"], time.time(),
                               delta=3600)
        # every family the Grafana dashboard queries exists
        dash = os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                            "grafana-dashboard.json")
        with open(dash) as f:
            used = set(re.findall(r"\b((?:themis|process)_[a-z_]+)",
                                  f.read()))
        for name in used:
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            self.assertIn("# TYPE %s " % base, text, name)
        if shutil.which("promtool"):
            r = subprocess.run(["promtool", "check", "metrics"], input=text,
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_mqtt_publish_counts_by_qos(self):
        key = 'themis_mqtt_messages_received_total{qos="1"}'
        before = parse_samples(self.metrics())[key]
        bytes_before = parse_samples(self.metrics())[
            "themis_mqtt_received_bytes_total"]
        r = subprocess.run(
            ["mosquitto_pub", "-p", str(self.srv.mqtt_port), "-t", "obs/q1",
             "-m", "hello", "-q", "1"], capture_output=True, text=True,
            timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        s = parse_samples(self.metrics())
        self.assertEqual(s[key], before + 1)
        self.assertGreater(s["themis_mqtt_received_bytes_total"],
                           bytes_before)

    def test_sql_error_counted_by_sqlstate(self):
        key = 'themis_pg_errors_total{sqlstate="42P01"}'
        before = parse_samples(self.metrics()).get(key, 0)
        r = self.psql("select * from no_such_table_obs;")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no_such_table_obs", r.stderr)
        s = parse_samples(self.metrics())
        self.assertEqual(s[key], before + 1)
        self.assertGreaterEqual(s['themis_pg_statements_total{kind="select"}'],
                                1)
        # a transaction's duration lands in the histogram
        c = 'themis_pg_transaction_duration_seconds_count{outcome="commit"}'
        n = s[c]
        r = self.psql("begin; select 1; commit;")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(parse_samples(self.metrics())[c], n + 1)


if __name__ == "__main__":
    unittest.main()
