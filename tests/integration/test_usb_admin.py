"""USB admin keys (issue 24) end to end: keys made by the openssl CLI,
enrolled with `themisd admin enroll-usb-key` (offline) and the admin API,
logins by `themisctl admin login --key FILE` against the real themisd, and
the protocol driven by hand (python `cryptography`) for what a client
must not get away with: a wrong key, a replayed nonce, an expired nonce,
an unenrolled key, too many failures. The sysfs `removable` check runs
over a fake sysfs tree (auth.usb_admin.sysfs_root), since this machine
has no removable disk: it shows both what the check refuses and that it
trusts the device the client reports."""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, os.path.dirname(__file__))
from themis_harness import Server, THEMISD  # noqa: E402

THEMISCTL = os.path.join(os.path.dirname(THEMISD), "themisctl")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token):
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def make_key(d, name, algorithm):
    priv = os.path.join(d, name + ".key")
    pub = os.path.join(d, name + ".pub")
    gen = ["openssl", "genpkey", "-out", priv]
    gen += (["-algorithm", "ed25519"] if algorithm == "ed25519" else
            ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
    subprocess.run(gen, check=True, capture_output=True, timeout=30)
    subprocess.run(["openssl", "pkey", "-in", priv, "-pubout", "-out", pub],
                   check=True, capture_output=True, timeout=30)
    return priv, pub


def fingerprint(pub_path):
    with open(pub_path, "rb") as f:
        k = serialization.load_pem_public_key(f.read())
    der = k.public_bytes(serialization.Encoding.DER,
                         serialization.PublicFormat.SubjectPublicKeyInfo)
    h = hashes.Hash(hashes.SHA256())
    h.update(der)
    return h.finalize().hex()


def sign(priv_path, nonce):
    with open(priv_path, "rb") as f:
        k = serialization.load_pem_private_key(f.read(), None)
    msg = b"themis-usb-admin-login-v1\n" + nonce.encode()
    if isinstance(k, ec.EllipticCurvePrivateKey):
        return b64url(k.sign(msg, ec.ECDSA(hashes.SHA256())))
    return b64url(k.sign(msg))


def fake_sysfs(root, removable_devs, other_devs):
    """/sys/dev/block/MAJ:MIN → a disk directory with `removable`."""
    os.makedirs(os.path.join(root, "dev", "block"), exist_ok=True)
    for i, (devs, flag) in enumerate(((removable_devs, "1"),
                                      (other_devs, "0"))):
        for j, dev in enumerate(devs):
            disk = os.path.join(root, "devices", "d%d_%d" % (i, j))
            os.makedirs(disk, exist_ok=True)
            with open(os.path.join(disk, "removable"), "w") as f:
                f.write(flag + "\n")
            os.symlink(disk, os.path.join(root, "dev", "block", dev))


def device_of(path):
    st = os.stat(path)
    return "%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev))


BASE = ["--set", "auth.required=true", "--set", "auth.usb_admin.enabled=true",
        "--set", "auth.usb_admin.token_ttl_s=120",
        "--set", "auth.usb_admin.challenges_per_min=200"]


class UsbAdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = tempfile.mkdtemp(prefix="themis_usb_keys_")
        cls.ops_key, cls.ops_pub = make_key(cls.keys, "ops", "ed25519")
        cls.p256_key, cls.p256_pub = make_key(cls.keys, "second", "p256")
        cls.stranger_key, cls.stranger_pub = make_key(cls.keys, "x", "ed25519")
        cls.ops_id = fingerprint(cls.ops_pub)
        sysfs = os.path.join(cls.keys, "sys")
        fake_sysfs(sysfs, [device_of(cls.ops_key)], [])
        cls.srv = Server(args=BASE + [
            "--set", "auth.usb_admin.challenge_ttl_s=3",
            "--set", "auth.usb_admin.max_failures=40",
            "--set", "auth.usb_admin.removable=warn",
            "--set", "auth.usb_admin.sysfs_root=" + sysfs])
        # enrolled offline, before the server starts, into its data dir
        r = cls.admin("enroll-usb-key", "--key", cls.ops_pub, "--name", "ops")
        assert r.returncode == 0, r.stderr
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        subprocess.run(["rm", "-rf", cls.keys], timeout=30)

    @classmethod
    def admin(cls, *args):
        return subprocess.run([THEMISD, "admin"] + list(args) +
                              ["--data-dir", cls.srv.data_dir],
                              capture_output=True, text=True, timeout=30)

    def ctl_login(self, key, *extra, srv=None):
        srv = srv or self.srv
        return subprocess.run(
            [THEMISCTL, "--url", "http://127.0.0.1:%d" % srv.port,
             "admin", "login", "--key", key] + list(extra),
            capture_output=True, text=True, timeout=30,
            env=dict(os.environ, THEMIS_TOKEN="stale-token-is-not-sent"))

    def bearer(self, token):
        return {"Authorization": "Bearer " + token}

    def challenge(self, key_id, srv=None):
        return (srv or self.srv).json("POST", "/api/v1/auth/usb/challenge",
                                      {"key_id": key_id})

    def login(self, key_id, nonce, signature, srv=None, **extra):
        body = dict(key_id=key_id, nonce=nonce, signature=signature, **extra)
        return (srv or self.srv).json("POST", "/api/v1/auth/usb/login", body)

    def assert_themis_error(self, st, body, status):
        self.assertEqual(st, status, body)
        self.assertIs(body["error"], True)
        self.assertEqual(body["status_code"], status)
        self.assertTrue(body["message"])

    def test_cli_enroll_is_idempotent_and_listed(self):
        r = self.admin("enroll-usb-key", "--key", self.ops_pub)
        self.assertEqual(r.returncode, 2)
        self.assertIn("already enrolled as ops", r.stderr)
        r = self.admin("enroll-usb-key", "--key", self.ops_key)  # private
        self.assertEqual(r.returncode, 2)
        r = self.admin("list-usb-keys")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(self.ops_id, r.stdout)

    def test_login_with_the_key_file_gives_an_admin_token(self):
        st, _, _ = self.srv.json("GET", "/api/v1/admin/usb-keys")
        self.assertEqual(st, 401)  # auth is required
        r = self.ctl_login(self.ops_key)
        self.assertEqual(r.returncode, 0, r.stderr)
        token = r.stdout.strip()
        c = claims_of(token)
        self.assertEqual(c["scope"], "admin")
        self.assertEqual(c["sub"], "usb-admin:ops")
        self.assertEqual(c["exp"] - c["iat"], 120)
        st, _, b = self.srv.json("GET", "/api/v1/admin/usb-keys",
                                 headers=self.bearer(token))
        self.assertEqual(st, 200, b)
        self.assertIn("ops", [k["name"] for k in b["keys"]])
        st, _, b = self.srv.json("GET", "/api/v1/admin/status",
                                 headers=self.bearer(token))
        self.assertEqual(st, 200, b)
        st, _, b = self.srv.json("GET", "/api/v1/whoami",
                                 headers=self.bearer(token))
        self.assertEqual(st, 200, b)
        # a forged token (the signature of another) is refused
        parts = token.split(".")
        forged = parts[0] + "." + parts[1] + "." + parts[2][::-1]
        st, _, _ = self.srv.json("GET", "/api/v1/admin/status",
                                 headers=self.bearer(forged))
        self.assertEqual(st, 401)

    def test_enroll_by_api_then_remove_ends_the_sessions(self):
        token = self.ctl_login(self.ops_key).stdout.strip()
        with open(self.p256_pub) as f:
            pem = f.read()
        st, _, b = self.srv.json("POST", "/api/v1/admin/usb-keys",
                                 {"public_key": pem, "name": "second"},
                                 headers=self.bearer(token))
        self.assertEqual(st, 201, b)
        self.assertEqual(b["type"], "p256")
        st, _, b = self.srv.json("POST", "/api/v1/admin/usb-keys",
                                 {"public_key": "junk"},
                                 headers=self.bearer(token))
        self.assert_themis_error(st, b, 400)
        r = self.ctl_login(self.p256_key, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        second = json.loads(r.stdout)["access_token"]
        st, _, _ = self.srv.json("GET", "/api/v1/admin/status",
                                 headers=self.bearer(second))
        self.assertEqual(st, 200)
        st, _, b = self.srv.json("DELETE", "/api/v1/admin/usb-keys/second",
                                 headers=self.bearer(token))
        self.assertEqual(st, 200, b)
        st, _, _ = self.srv.json("GET", "/api/v1/admin/status",
                                 headers=self.bearer(second))
        self.assertEqual(st, 401)  # its key is gone: so is its session
        r = self.ctl_login(self.p256_key)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not enrolled", r.stderr)

    def test_wrong_key_replay_expiry_and_unenrolled_are_refused(self):
        # a good login, then the same nonce and signature again
        st, _, ch = self.challenge(self.ops_id)
        self.assertEqual(st, 200, ch)
        good = sign(self.ops_key, ch["nonce"])
        st, h, b = self.login(self.ops_id, ch["nonce"], good)
        self.assertEqual(st, 200, b)
        self.assertEqual(h.get("cache-control"), "no-store")
        st, _, b = self.login(self.ops_id, ch["nonce"], good)
        self.assert_themis_error(st, b, 401)
        self.assertIn("nonce", b["message"])
        # a signature by a key that is not the enrolled one
        st, _, ch = self.challenge(self.ops_id)
        st, _, b = self.login(self.ops_id, ch["nonce"],
                              sign(self.stranger_key, ch["nonce"]))
        self.assert_themis_error(st, b, 401)
        self.assertIn("signature", b["message"])
        # the nonce was spent by that failure: the right key is late now
        st, _, b = self.login(self.ops_id, ch["nonce"],
                              sign(self.ops_key, ch["nonce"]))
        self.assert_themis_error(st, b, 401)
        # an expired nonce (challenge_ttl_s=3)
        st, _, ch = self.challenge(self.ops_id)
        time.sleep(3.3)
        st, _, b = self.login(self.ops_id, ch["nonce"],
                              sign(self.ops_key, ch["nonce"]))
        self.assert_themis_error(st, b, 401)
        # an unenrolled key: no challenge, and themisctl says so
        st, _, b = self.challenge(fingerprint(self.stranger_pub))
        self.assert_themis_error(st, b, 401)
        r = self.ctl_login(self.stranger_key)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not enrolled", r.stderr)
        # the audit log has the login and the refusals
        token = self.ctl_login(self.ops_key).stdout.strip()
        st, _, b = self.srv.json("GET",
                                 "/api/v1/audit?action=usb_admin&limit=1000",
                                 headers=self.bearer(token))
        self.assertEqual(st, 200, b)
        seen = {(e["action"], e["outcome"]) for e in b["events"]}
        self.assertIn(("usb_admin.login", "ok"), seen)
        self.assertIn(("usb_admin.login", "denied"), seen)
        ok = [e for e in b["events"] if e["outcome"] == "ok"]
        self.assertEqual(ok[0]["user"], "usb-admin:ops")
        # warn mode: themisctl reported the key file's device, which the
        # fake sysfs calls removable (python's logins named none)
        details = [e["detail"] for e in ok]
        self.assertTrue(any(d.endswith(" removable") and
                            "not removable" not in d for d in details),
                        details)
        self.assertTrue(any(d.endswith("- unknown") for d in details),
                        details)

    def test_z_failures_are_rate_limited_per_address(self):
        # 40 failures a minute from one address, then 429 for everything
        statuses = []
        for _ in range(45):
            st, h, b = self.login(self.ops_id, "not-a-nonce", "AAAA")
            statuses.append(st)
            if st == 429:
                break
        self.assertEqual(statuses[-1], 429, statuses)
        self.assertEqual(h.get("retry-after"), "60")
        self.assertLessEqual(statuses.count(401), 40)
        st, _, b = self.challenge(self.ops_id)
        self.assert_themis_error(st, b, 429)


class UsbAdminRemovableTest(unittest.TestCase):
    """auth.usb_admin.removable=require: the key file's device must be a
    removable disk in sysfs. A fake tree marks the real key device as fixed
    and 1:1 as removable."""

    @classmethod
    def setUpClass(cls):
        cls.keys = tempfile.mkdtemp(prefix="themis_usb_keys_")
        cls.key, cls.pub = make_key(cls.keys, "ops", "p256")
        cls.key_id = fingerprint(cls.pub)
        sysfs = os.path.join(cls.keys, "sys")
        fake_sysfs(sysfs, ["1:1"], [device_of(cls.key)])
        cls.srv = Server(args=BASE + [
            "--set", "auth.usb_admin.removable=require",
            "--set", "auth.usb_admin.sysfs_root=" + sysfs])
        r = subprocess.run([THEMISD, "admin", "enroll-usb-key", "--key",
                            cls.pub, "--data-dir", cls.srv.data_dir],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        subprocess.run(["rm", "-rf", cls.keys], timeout=30)

    def test_require_refuses_a_fixed_disk(self):
        r = subprocess.run(
            [THEMISCTL, "--url", "http://127.0.0.1:%d" % self.srv.port,
             "admin", "login", "--key", self.key],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("HTTP 403", r.stderr)
        self.assertIn("not on a removable device", r.stderr)
        # the client's own check (real /sys here: no removable disk) stops
        # before the server is asked
        r = subprocess.run(
            [THEMISCTL, "--url", "http://127.0.0.1:1", "admin", "login",
             "--key", self.key, "--require-removable"],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("refusing", r.stderr)

    def test_the_server_trusts_the_reported_device(self):
        # what the check does not prove: a client may name any device
        st, _, ch = self.srv.json("POST", "/api/v1/auth/usb/challenge",
                                  {"key_id": self.key_id})
        self.assertEqual(st, 200, ch)
        st, _, b = self.srv.json("POST", "/api/v1/auth/usb/login", {
            "key_id": self.key_id, "nonce": ch["nonce"],
            "signature": sign(self.key, ch["nonce"]), "device": "1:1"})
        self.assertEqual(st, 200, b)


if __name__ == "__main__":
    unittest.main()
