"""The MQTT broker driven by a real application client: the Eclipse Paho
MQTT C++ program tests/clients/paho_client.cpp, one run per scenario
(3.1.1 and 5.0 round trips, retained messages, resumed and ended
sessions, topic aliases, message expiry, shared subscriptions, delayed
wills, and ACLs on a second server that refuses anonymous clients). The
program checks everything itself and exits 0 on success; its output says
what failed, expected vs got."""

import os
import subprocess
import unittest

from themis_harness import Server

PAHO_CLIENT = os.environ.get("PAHO_CLIENT") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "tests", "paho_client")

USERS = ["--set", "mqtt.users=alice:secret,bob:pw"]
# mosquitto acl_file syntax, lines joined by ';'
ACL = ("user alice; topic readwrite devices/%c/#; topic read public/#; "
       "user bob; topic read public/#")


class PahoCase(unittest.TestCase):
    """One server per class; each test runs one paho_client scenario."""
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=cls.server_args).start()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.srv.stop()
            assert code == 0, "themisd exit code %r\n%s" % (
                code, cls.srv.read_log()[-4000:])
        finally:
            cls.srv.cleanup()

    def run_scenario(self, name):
        self.assertTrue(os.access(PAHO_CLIENT, os.X_OK),
                        "paho_client not built at %s (set PAHO_CLIENT)" %
                        PAHO_CLIENT)
        r = subprocess.run([PAHO_CLIENT, name, str(self.srv.mqtt_port)],
                           capture_output=True, text=True, timeout=60)
        log_tail = "\n".join(self.srv.read_log().splitlines()[-30:])
        self.assertEqual(
            r.returncode, 0,
            "paho_client %s exited %d\n--- output\n%s%s\n--- themisd log "
            "(tail)\n%s" % (name, r.returncode, r.stdout, r.stderr,
                            log_tail))


class PahoTest(PahoCase):
    server_args = USERS

    def test_roundtrip_v3(self):
        self.run_scenario("roundtrip_v3")

    def test_roundtrip_v5(self):
        self.run_scenario("roundtrip_v5")

    def test_retained(self):
        self.run_scenario("retained")

    def test_session_resume_v3(self):
        self.run_scenario("session_resume_v3")

    def test_session_resume_v5(self):
        self.run_scenario("session_resume_v5")

    def test_disconnect_expiry_v5(self):
        self.run_scenario("disconnect_expiry_v5")

    def test_topic_alias_v5(self):
        self.run_scenario("topic_alias_v5")

    def test_message_expiry_v5(self):
        self.run_scenario("message_expiry_v5")

    def test_shared_v5(self):
        self.run_scenario("shared_v5")

    def test_will_v5(self):
        self.run_scenario("will_v5")


class PahoAclTest(PahoCase):
    server_args = USERS + ["--set", "mqtt.allow_anonymous=false",
                           "--set", "mqtt.acl=" + ACL]

    def test_acl_v5(self):
        self.run_scenario("acl_v5")


if __name__ == "__main__":
    unittest.main(verbosity=2)
