#!/usr/bin/env python3
"""Prints a PBKDF2-SHA256 hash for a password, in the
`pbkdf2_sha256$<iterations>$<salt>$<base64>` format themisd accepts in
user lists (mqtt.users): `user:<hash>`. The password is read from stdin
(or prompted for) so it stays out of the shell history.

  scripts/hash-password.py [--iterations 100000]"""

import argparse
import base64
import getpass
import hashlib
import secrets
import string
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--iterations", type=int, default=100000)
args = ap.parse_args()
pw = getpass.getpass("password: ") if sys.stdin.isatty() else \
    sys.stdin.readline().rstrip("\n")
salt = "".join(secrets.choice(string.ascii_letters + string.digits)
               for _ in range(16))
digest = hashlib.pbkdf2_hmac("sha256", pw.encode(), salt.encode(),
                             args.iterations)
print("pbkdf2_sha256$%d$%s$%s" % (args.iterations, salt,
                                  base64.b64encode(digest).decode()))
