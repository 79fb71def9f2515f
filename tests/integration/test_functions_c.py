#!/usr/bin/env python3
"""A serverless function written in C (issue 27): tests/integration/wasm_c/
notes.c is compiled at test time with Debian's clang for wasm32-wasi
against wasi-libc (packages wasi-libc, libclang-rt-14-dev-wasm32, lld-14),
uploaded as a bound route and driven over HTTP. It checks that a real
toolchain's WASI start-up (args, environ, fd_prestat_get, stdio buffering,
malloc growing linear memory, proc_exit) runs in the sandbox, and that the
host API (doc_put/doc_get with a too-small buffer, aql_query, set_status,
set_header, log) works from C as docs/functions.md describes."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from test_functions import FunctionsBase

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wasm_c",
                   "notes.c")
CLANG = shutil.which("clang-14") or "clang"


def build_c(src):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "m.wasm")
        subprocess.run([CLANG, "--target=wasm32-wasi", "-O2", "-o", out,
                        src], check=True, timeout=120)
        with open(out, "rb") as f:
            return f.read()


class FunctionFromCTest(FunctionsBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.module = build_c(SRC)

    def test_notes_service_in_c(self):
        st, _, b = self.upload("notes", self.module, "?route=true&name=Notes")
        self.assertEqual(st, 201, b)
        meta = json.loads(b)
        self.assertEqual(meta["route"], "/fn/_/notes")

        st, _, b = self.server.request("GET", "/fn/_/notes/n1")
        self.assertEqual(st, 404, b)
        self.assertEqual(json.loads(b), {"error": "no note n1"})

        note = {"title": "groceries", "items": ["milk"] * 40}  # > 16 bytes
        st, _, b = self.server.request("PUT", "/fn/_/notes/n1",
                                       json.dumps(note).encode())
        self.assertEqual((st, json.loads(b)), (201, {"put": 0}), b)
        st, h, b = self.server.request("GET", "/fn/_/notes/n1")
        self.assertEqual(st, 200, b)
        self.assertEqual(h["content-type"], "application/json")
        got = json.loads(b)
        self.assertEqual((got["title"], got["items"]), ("groceries",
                                                         note["items"]))
        # the write went through the store: REST sees it
        st, _, doc = self.server.json("GET",
                                      "/v1/collections/notes/documents/n1")
        self.assertEqual((st, doc["title"]), (200, "groceries"))

        self.server.request("PUT", "/fn/_/notes/n2", b'{"title":"x"}')
        st, _, b = self.server.request("GET", "/fn/_/notes")
        self.assertEqual((st, json.loads(b)), (200, {"count": [2]}), b)

        # not a JSON object: the host refuses (-3), the module says 400
        st, _, b = self.server.request("PUT", "/fn/_/notes/n3", b"[1,2]")
        self.assertEqual((st, json.loads(b)), (400, {"put": -3}), b)
        st, h, _ = self.server.request("DELETE", "/fn/_/notes/n1")
        self.assertEqual((st, h.get("allow")), (405, "GET, PUT"))

        # the module's log lines are the function's logs
        st, _, logs = self.server.json("GET", "/api/v1/functions/notes/logs")
        texts = " ".join(l["text"] for l in logs["logs"])
        self.assertIn("PUT /n1", texts)
        self.assertIn("DELETE /n1", texts)


if __name__ == "__main__":
    unittest.main()
