"""The GraphQL validator (issue 21) against graphql-js 16's validate() with
its specifiedRules: tests/node/graphql_validate_diff.js runs both over the
documents of tests/node/graphql_validate_corpus.js (valid ones and invalid
ones for every rule) on the spec's example schema, which graphql-js builds
from our own introspection answer, and compares every error's message and
locations. The C++ side is build/tests/graphql_validate_cli (the core
without the server), found next to $THEMISD's build directory."""

import os
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "..", "node")


def cli_path():
    themisd = os.environ.get("THEMISD",
                             os.path.join(HERE, "..", "..", "build", "themisd"))
    return os.path.join(os.path.dirname(os.path.abspath(themisd)), "tests",
                        "graphql_validate_cli")


class GraphqlValidateDiffTest(unittest.TestCase):
    def test_same_errors_as_graphql_js(self):
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "graphql")):
            raise RuntimeError("tests/node/node_modules is missing: run "
                               "scripts/test.sh (it runs npm ci)")
        cli = cli_path()
        self.assertTrue(os.access(cli, os.X_OK), cli + " is not built")
        p = subprocess.run(["node", "graphql_validate_diff.js", cli],
                           cwd=NODE_DIR, capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("ok validate-diff", p.stdout)

    def test_a_broken_validator_is_noticed(self):
        """The comparison can fail: a CLI that finds no errors at all."""
        fake = os.path.join(NODE_DIR, "graphql_validate_fake_cli.js")
        p = subprocess.run(["node", "graphql_validate_diff.js", fake],
                           cwd=NODE_DIR, capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("MISMATCH", p.stdout)


if __name__ == "__main__":
    unittest.main()
