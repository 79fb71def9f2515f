"""Node.js PostgreSQL clients against a real themisd (issue 36): node-postgres
with pg-pool (temp tables, arrays, statement_timeout, pg_cancel_backend,
LISTEN/NOTIFY, error fields, transactions) and the ORMs knex (migrations up
and down), Sequelize (sync with associations) and TypeORM (synchronize,
QueryBuilder). The packages are pinned in tests/node/package-lock.json and
installed by scripts/test.sh (npm ci). With THEMIS_PG_REFERENCE=host:port
(a PostgreSQL 15, user postgres, trust auth) every scenario runs there too:
a scenario PostgreSQL fails is a scenario bug."""

import os
import subprocess
import unittest

from themis_harness import Server

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "node")

DRIVER = ["temp_tables", "arrays", "statement_timeout", "cancel_backend",
          "notifications", "error_fields", "transactions"]
ORMS = ["knex_migrations", "sequelize_sync", "typeorm_synchronize"]


def run_node(script, scenario, env):
    p = subprocess.run(["node", script, scenario], cwd=NODE_DIR, env=env,
                       capture_output=True, text=True, timeout=170)
    return p.returncode, p.stdout + p.stderr


class NodeClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "pg")):
            raise RuntimeError("tests/node/node_modules is missing: run "
                               "scripts/test.sh (it runs npm ci)")
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def targets(self):
        out = [("themisd", dict(os.environ, PGHOST="127.0.0.1",
                                PGPORT=str(self.srv.pg_port),
                                PGUSER="themis", PGPASSWORD="themis",
                                PGDATABASE="themis"))]
        ref = os.environ.get("THEMIS_PG_REFERENCE")
        if ref:
            host, port = ref.rsplit(":", 1)
            out.append(("postgres", dict(os.environ, PGHOST=host, PGPORT=port,
                                         PGUSER="postgres", PGPASSWORD="",
                                         PGDATABASE="postgres")))
        return out

    def check(self, script, scenarios):
        for target, env in self.targets():
            for s in scenarios:
                with self.subTest(target=target, scenario=s):
                    rc, out = run_node(script, s, env)
                    self.assertEqual(rc, 0, out[-4000:])
                    self.assertIn("ok " + s, out)

    def test_node_postgres(self):
        self.check("pg_driver.js", DRIVER)

    def test_orms(self):
        self.check("orms.js", ORMS)


if __name__ == "__main__":
    unittest.main()
