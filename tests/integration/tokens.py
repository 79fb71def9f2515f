"""HS256 JWTs signed here with Python's hmac (an implementation independent
of the server's), bearer headers, and a process's resident memory: the
helpers the auth, tenant and hostile-input tests share."""

import base64
import hashlib
import hmac
import json
import time

ALL_SCOPES = "data:read data:write query jobs cdc:read"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(secret, sub, tenant=None, scope=ALL_SCOPES, exp_in=600):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": sub, "scope": scope, "exp": int(time.time()) + exp_in}
    if tenant:
        claims["tenant"] = tenant
    body = b64(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), (head + "." + body).encode(),
                   hashlib.sha256).digest()
    return head + "." + body + "." + b64(sig)


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def rss_kb(pid):
    """VmRSS of a process in KiB (0 if it is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
