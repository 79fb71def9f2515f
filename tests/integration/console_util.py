"""What the web console's tests share (test_console.py,
test_console_oidc.py): raw requests, a reverse proxy that serves themisd
under /db/, a data directory with an admin key, and the run of a
puppeteer driver in console/test/ against Debian's chromium."""

import http.client
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading

from themis_harness import THEMISD

BUILD = os.path.dirname(os.path.abspath(THEMISD))
THEMISCTL = os.path.join(BUILD, "themisctl")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONSOLE_SRC = os.path.join(ROOT, "console")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def ask(port, method, path, headers=None, body=None):
    """One request with the path sent exactly as given (no normalising);
    a Host in `headers` replaces the connection's."""
    headers = headers or {}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        c.putrequest(method, path, skip_accept_encoding=True,
                     skip_host=any(k.lower() == "host" for k in headers))
        for k, v in headers.items():
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


class PrefixProxy:
    """A reverse proxy serving themisd under /db/ (what a gateway does).
    `keep_host`: forward the client's Host, as themisd's gateway and a
    usual nginx setup do; else the upstream's own address goes."""

    def __init__(self, upstream, keep_host=False):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def forward(self):
                if not self.path.startswith("/db/") and self.path != "/db":
                    self.send_error(404)
                    return
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                hop = {"connection", "keep-alive", "accept-encoding",
                       "content-length"}
                if not keep_host:
                    hop.add("host")
                h = {k: v for k, v in self.headers.items()
                     if k.lower() not in hop}
                st, rh, data = ask(upstream, self.command,
                                   self.path[3:] or "/", h, body)
                self.send_response(st)
                for k, v in rh.items():
                    if k not in ("connection", "transfer-encoding",
                                 "content-length", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def console_data_dir(prefix):
    """(temporary directory, its data directory, the admin key printed
    by `themisctl init`, the screenshot directory, printed on stderr),
    once the console is known to be built."""
    index = os.path.join(BUILD, "console", "index.html")
    if not os.path.exists(index):
        raise RuntimeError("the console is not built (%s): run "
                           "scripts/setup.sh" % index)
    top = tempfile.mkdtemp(prefix=prefix)
    data = os.path.join(top, "data")
    p = subprocess.run([THEMISCTL, "init", "--data-dir", data],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("themisctl init: " + p.stderr)
    shots = os.path.join(top, "screenshots")
    os.makedirs(shots)
    print("\nconsole screenshots: " + shots, file=sys.stderr)
    return top, data, p.stdout.strip(), shots


# screenshot directories of failed browser runs: kept as artifacts
_failed = set()


def stop_and_clean(server, top):
    """Stops the class's server; removes its directory unless a browser
    run failed (its screenshots, failure.png among them, are the test's
    artifacts) or THEMIS_KEEP_SCREENSHOTS is set."""
    server.stop()
    server.cleanup()
    if any(s.startswith(top) for s in _failed):
        print("\nconsole screenshots kept (a browser run failed): " + top,
              file=sys.stderr)
    elif not os.environ.get("THEMIS_KEEP_SCREENSHOTS"):
        shutil.rmtree(top, ignore_errors=True)


def run_driver(test, driver, shots, **env):
    """Runs console/test/`driver` with node (environment `env`, SHOT_DIR
    and CHROMIUM) and fails `test` unless every step passed."""
    env = dict(os.environ, SHOT_DIR=shots, CHROMIUM=CHROMIUM, **env)
    try:
        p = subprocess.run(["node", os.path.join(CONSOLE_SRC, "test", driver)],
                           cwd=CONSOLE_SRC, env=env, capture_output=True,
                           text=True, timeout=240)
    except subprocess.TimeoutExpired as e:
        _failed.add(shots)
        test.fail("the browser test did not end in 240 s: %s\n"
                  "screenshots: %s" % (e.stdout, shots))
    if p.returncode != 0:
        _failed.add(shots)
        test.fail("browser test failed (screenshots in %s):\n%s\n%s" %
                  (shots, p.stdout, p.stderr[-3000:]))
    test.assertIn("ok: every step passed", p.stdout)
    return p.stdout
