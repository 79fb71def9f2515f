"""Helpers the gRPC integration tests share: protoc stubs generated at
test time (grpc_tools.protoc from protos/), and the 5-byte length prefix of
gRPC, gRPC-web and Connect messages."""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, "/usr/lib/python3/dist-packages")

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def generate_stubs(protos, services=True):
    """Python messages (and grpc stubs) of `protos` (paths under protos/)
    in a temp dir put on sys.path; grpc.* packages (grpc.testing, …) join
    the grpc package's path."""
    out = tempfile.mkdtemp(prefix="themis_grpc_stubs_")
    base = os.path.join(ROOT, "protos")
    args = [sys.executable, "-m", "grpc_tools.protoc", "-I" + base,
            "-I/usr/include", "--python_out=" + out]
    if services:
        args.append("--grpc_python_out=" + out)
    subprocess.run(args + list(protos), check=True, timeout=60)
    sys.path.insert(0, out)
    import grpc
    grpc.__path__.append(os.path.join(out, "grpc"))
    return out


def frame(msg, flag=0):
    """One length-prefixed message (flag 1: compressed, 2: Connect end)."""
    return bytes([flag]) + len(msg).to_bytes(4, "big") + msg


def unframe(body):
    """[(flag, payload)] of a body of length-prefixed messages; raises if
    one is cut."""
    out = []
    while body:
        assert len(body) >= 5, body
        n = int.from_bytes(body[1:5], "big")
        assert len(body) >= 5 + n, (n, len(body))
        out.append((body[0], body[5:5 + n]))
        body = body[5 + n:]
    return out


class GrpcCase(unittest.TestCase):
    """One themisd per test class (`server_args`, `server_env`) and a
    grpcio channel `ch` on it."""

    server_args = ()
    server_env = None

    @classmethod
    def setUpClass(cls):
        import grpc
        from themis_harness import Server
        cls.srv = Server(args=cls.server_args, env=cls.server_env).start()
        cls.ch = grpc.insecure_channel("127.0.0.1:%d" % cls.srv.port)
        grpc.channel_ready_future(cls.ch).result(timeout=10)

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()
        cls.srv.stop()

    def rpc_error(self, fn, *args, **kw):
        """The RpcError a call (unary, or a stream read to its end)
        raises; fails the test if it succeeds."""
        import grpc
        with self.assertRaises(grpc.RpcError) as cm:
            r = fn(*args, **kw)
            if hasattr(r, "__iter__") and not hasattr(r, "SerializeToString"):
                list(r)
        return cm.exception
