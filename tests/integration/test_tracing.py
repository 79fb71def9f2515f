"""OpenTelemetry tracing (issue 28): themisd exports spans over OTLP/HTTP
(JSON encoding) to a receiver written here from the OTLP specification
(the collector's /v1/traces endpoint: ExportTraceServiceRequest as JSON,
ids in hex, 64-bit integers as strings), and the spans join the caller's
trace:

- an HTTP request with a W3C traceparent: a server span whose parent is
  the caller's span, named by method and route, with auth and handler
  children; an unsampled caller (flags 00) exports nothing;
- a job submitted with a traceparent: job.run is a child of the submit
  request's span, aql.execute a child of job.run, store.commit of that;
- an MQTT 5 PUBLISH carrying a `traceparent` user property: a consumer
  span under it, store.commit under that for an ingest topic;
- a psql statement: a server span with the database attributes;
- a receiver that is down costs requests nothing and is counted."""

import http.server
import json
import os
import subprocess
import threading
import time
import unittest

from mqtt_raw import Client, mqtt_string, props
from themis_harness import Server, free_port

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


class Receiver:
    """An OTLP/HTTP traces endpoint that keeps what it receives."""

    def __init__(self):
        self.spans = []
        self.resources = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(n))
                ok = (self.path == "/v1/traces" and self.headers.get(
                    "Content-Type") == "application/json")
                with outer.lock:
                    for rs in body.get("resourceSpans", []):
                        outer.resources.append(rs.get("resource", {}))
                        for ss in rs.get("scopeSpans", []):
                            outer.spans.extend(ss.get("spans", []))
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port),
                                                     Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def wait(self, pred, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                found = [s for s in self.spans if pred(s)]
            if found:
                return found
            time.sleep(0.05)
        return []

    def of_trace(self, trace):
        with self.lock:
            return [s for s in self.spans if s["traceId"] == trace]


def attrs(span):
    out = {}
    for kv in span.get("attributes", []):
        (k, v), = kv["value"].items()
        out[kv["key"]] = int(v) if k == "intValue" else v
    return out


class TracingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = Receiver()
        cls.srv = Server(args=[
            "--set", "tracing.enabled=true",
            "--set", "tracing.endpoint=http://127.0.0.1:%d/v1/traces" %
            cls.rx.port,
            "--set", "tracing.flush_interval_ms=50",
            "--set", "tracing.resource_attributes=deployment.environment=ci",
            "--set", "pg.auth=trust"]).start()
        st, _, _ = cls.srv.json("POST", "/v1/collections", {"name": "t"})
        assert st == 201, st

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()
            cls.rx.stop()

    def test_http_request_joins_the_callers_trace(self):
        tp = "00-%s-%s-01" % (TRACE, PARENT)
        st, _, _ = self.srv.request("GET", "/v1/collections",
                                    headers={"traceparent": tp})
        self.assertEqual(st, 200)
        server = self.rx.wait(lambda s: s["traceId"] == TRACE and
                              s.get("parentSpanId") == PARENT)
        self.assertEqual(len(server), 1, self.rx.of_trace(TRACE))
        server = server[0]
        self.assertEqual(server["name"], "GET /v1/collections")
        self.assertEqual(server["kind"], 2)  # SERVER
        a = attrs(server)
        self.assertEqual(a["http.response.status_code"], 200)
        self.assertEqual(a["http.request.method"], "GET")
        self.assertEqual(a["http.route"], "/v1/collections")
        self.assertLessEqual(int(server["startTimeUnixNano"]),
                             int(server["endTimeUnixNano"]))
        kids = self.rx.wait(lambda s: s.get("parentSpanId") ==
                            server["spanId"] and s["name"].startswith(
                                "handler"))
        self.assertTrue(kids, self.rx.of_trace(TRACE))
        auth = self.rx.wait(lambda s: s.get("parentSpanId") ==
                            server["spanId"] and s["name"] == "auth")
        self.assertTrue(auth)
        res = self.rx.resources[0]["attributes"]
        keys = {kv["key"]: kv["value"].get("stringValue") for kv in res}
        self.assertEqual(keys["service.name"], "themisd")
        self.assertEqual(keys["deployment.environment"], "ci")

    def test_writes_and_queries_get_engine_spans(self):
        trace = "7bf92f3577b34da6a3ce929d0e0e4736"
        tp = "00-%s-%s-01" % (trace, PARENT)
        st, _, _ = self.srv.request(
            "PUT", "/v1/collections/t/documents/k1", '{"v": 1}',
            headers={"traceparent": tp})
        self.assertIn(st, (200, 201))
        commit = self.rx.wait(lambda s: s["traceId"] == trace and
                              s["name"] == "store.commit")
        self.assertTrue(commit, self.rx.of_trace(trace))
        handler = [s for s in self.rx.of_trace(trace)
                   if s["spanId"] == commit[0]["parentSpanId"]]
        self.assertTrue(handler and handler[0]["name"].startswith("handler"))
        trace2 = "8bf92f3577b34da6a3ce929d0e0e4736"
        st, _, _ = self.srv.json(
            "POST", "/query/aql", {"query": "FOR d IN t RETURN d._key"},
            headers={"traceparent": "00-%s-%s-01" % (trace2, PARENT)})
        self.assertEqual(st, 200)
        work = self.rx.wait(lambda s: s["traceId"] == trace2 and
                            s["name"] == "engine.work")
        self.assertTrue(work, self.rx.of_trace(trace2))

    def test_unsampled_caller_exports_nothing_and_errors_are_marked(self):
        trace = "0af7651916cd43dd8448eb211c80319c"
        self.srv.request("GET", "/v1/collections", headers={
            "traceparent": "00-%s-b7ad6b7169203331-00" % trace})
        # a new trace for a request without a context; a 404 is not an error
        # of the server, a 500 would be
        st, _, _ = self.srv.request("GET", "/v1/collections/none/documents/x")
        self.assertEqual(st, 404)
        found = self.rx.wait(lambda s: s["name"].endswith(
            "/v1/collections/{c}/documents/{key}") and
            attrs(s).get("http.response.status_code") == 404)
        self.assertTrue(found)
        self.assertNotEqual(found[0].get("status", {}).get("code"), 2)
        time.sleep(0.3)
        self.assertEqual(self.rx.of_trace(trace), [])

    def test_job_run_is_a_child_of_its_submission(self):
        trace = "5bf92f3577b34da6a3ce929d0e0e4736"
        tp = "00-%s-%s-01" % (trace, PARENT)
        st, _, b = self.srv.json(
            "POST", "/v2/jobs",
            {"query": "FOR i IN 1..3 INSERT {i: i} INTO t RETURN i"},
            headers={"traceparent": tp})
        self.assertIn(st, (200, 201, 202), b)
        run = self.rx.wait(lambda s: s["traceId"] == trace and
                           s["name"] == "job.run")
        self.assertTrue(run, self.rx.of_trace(trace))
        submit = [s for s in self.rx.of_trace(trace)
                  if s.get("parentSpanId") == PARENT]
        self.assertEqual(len(submit), 1)
        self.assertEqual(run[0]["parentSpanId"], submit[0]["spanId"])
        self.assertEqual(attrs(run[0])["themis.job_status"], "completed")
        execute = self.rx.wait(lambda s: s.get("parentSpanId") ==
                               run[0]["spanId"] and
                               s["name"] == "aql.execute")
        self.assertTrue(execute)
        commit = self.rx.wait(lambda s: s.get("parentSpanId") ==
                              execute[0]["spanId"] and
                              s["name"] == "store.commit")
        self.assertTrue(commit, self.rx.of_trace(trace))

    def test_mqtt_publish_with_traceparent_property(self):
        trace = "6bf92f3577b34da6a3ce929d0e0e4736"
        c = Client(self.srv.mqtt_port, 5)
        ack = c.connect("traced")
        self.assertEqual(ack[2][1], 0, ack)
        user = mqtt_string("traceparent") + mqtt_string(
            "00-%s-%s-01" % (trace, PARENT))
        c.publish("ingest/t/dev1", '{"v": 1}', qos=1,
                  pub_props=props((0x26, user)))
        self.assertEqual(c.read()[0], 4)  # PUBACK after the commit
        c.close()
        pub = self.rx.wait(lambda s: s["traceId"] == trace and
                           s["name"] == "mqtt publish")
        self.assertTrue(pub, self.rx.of_trace(trace))
        self.assertEqual(pub[0]["parentSpanId"], PARENT)
        self.assertEqual(pub[0]["kind"], 5)  # CONSUMER
        a = attrs(pub[0])
        self.assertEqual(a["messaging.system"], "mqtt")
        self.assertEqual(a["messaging.destination.name"], "ingest/t/dev1")
        commit = self.rx.wait(lambda s: s.get("parentSpanId") ==
                              pub[0]["spanId"] and
                              s["name"] == "store.commit")
        self.assertTrue(commit)

    def test_pg_statement_span(self):
        r = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.srv.pg_port), "-U",
             "themis", "-d", "themis", "-At", "-c", "SELECT count(*) FROM t"],
            capture_output=True, text=True, timeout=30,
            env=dict(os.environ, PGCONNECT_TIMEOUT="10"))
        self.assertEqual(r.returncode, 0, r.stderr)
        found = self.rx.wait(lambda s: s["name"] == "pg SELECT")
        self.assertTrue(found)
        a = attrs(found[0])
        self.assertEqual(a["db.system"], "postgresql")
        self.assertEqual(a["db.namespace"], "themis")
        r = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.srv.pg_port), "-U",
             "themis", "-d", "themis", "-At", "-c", "SELECT 1 / (count(*) - count(*)) FROM t"],
            capture_output=True, text=True, timeout=30)
        bad = self.rx.wait(lambda s: attrs(s).get(
            "db.response.status_code") == "22012")
        self.assertTrue(bad)
        self.assertEqual(bad[0]["status"]["code"], 2)


class ReceiverDownTest(unittest.TestCase):
    def test_requests_do_not_wait_for_a_dead_receiver(self):
        srv = Server(args=[
            "--set", "tracing.enabled=true",
            "--set", "tracing.endpoint=http://127.0.0.1:%d/v1/traces" %
            free_port(),
            "--set", "tracing.flush_interval_ms=50",
            "--set", "tracing.max_queue_spans=16"]).start()
        try:
            t0 = time.time()
            for _ in range(200):
                st, _, _ = srv.request("GET", "/health")
                self.assertEqual(st, 200)
            self.assertLess(time.time() - t0, 20)
            self.assertIsNone(srv.proc.poll())
            # counted: every span either failed to export or was dropped
            deadline = time.time() + 10
            while time.time() < deadline:
                _, _, m = srv.request("GET", "/metrics")
                vals = {}
                for line in m.decode().splitlines():
                    if line.startswith("themis_tracing_spans_"):
                        k, v = line.split()
                        vals[k] = float(v)
                if vals and (vals["themis_tracing_spans_failed_total"] +
                             vals["themis_tracing_spans_dropped_total"] >=
                             200):
                    break
                time.sleep(0.2)
            self.assertGreaterEqual(
                vals["themis_tracing_spans_failed_total"] +
                vals["themis_tracing_spans_dropped_total"], 200, vals)
            self.assertEqual(vals.get("themis_tracing_spans_exported_total"),
                             0)
        finally:
            self.assertEqual(srv.stop(), 0)
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
