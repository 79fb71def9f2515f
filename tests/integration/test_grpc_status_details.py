"""grpc-status-details-bin (issue 20): an error with details carries a
google.rpc.Status whose code and message are the call's own, with a
google.rpc.BadRequest (one field violation per request-validation error,
the JSON Pointer as a field path) or a google.rpc.RetryInfo (from the
rate limiter's Retry-After), decoded here with stubs generated from
protos/google/rpc. Every wait is bounded."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import test_grpc as g  # noqa: E402  (generates the stubs on import)
from google.rpc import error_details_pb2, status_pb2  # noqa: E402
from themis_harness import Server  # noqa: E402

grpc = g.grpc


def details_of(err):
    for k, v in err.trailing_metadata() or ():
        if k == "grpc-status-details-bin":
            st = status_pb2.Status()
            st.ParseFromString(v)  # grpcio base64-decodes -bin values
            return st
    return None


class StatusDetailsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(["--set", "rate_limiting.enabled=true",
                          "--set", "rate_limiting.rules=/v1/collections 2/10s",
                          ]).start()
        cls.ch = grpc.insecure_channel("127.0.0.1:%d" % cls.srv.port)

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()
        code = cls.srv.stop()
        cls.srv.cleanup()
        assert code == 0, code

    def test_invalid_argument_lists_field_violations(self):
        q = g.query_grpc.QueryStub(self.ch)
        with self.assertRaises(grpc.RpcError) as e:
            for _ in q.Execute(g.query.ExecuteRequest(query=""), timeout=10):
                pass
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        st = details_of(e.exception)
        self.assertIsNotNone(st, e.exception.trailing_metadata())
        self.assertEqual(st.code, 3)
        self.assertEqual(st.message, e.exception.details())
        bad = error_details_pb2.BadRequest()
        self.assertTrue(st.details[0].Unpack(bad), st)
        self.assertEqual([v.field for v in bad.field_violations], ["query"])
        self.assertTrue(bad.field_violations[0].description)

    def test_resource_exhausted_carries_retry_info(self):
        d = g.docs_grpc.DocumentsStub(self.ch)
        err = None
        for _ in range(10):
            try:
                d.List(g.docs.ListDocumentsRequest(collection="nosuch"),
                       timeout=10)
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                    err = e
                    break
        self.assertIsNotNone(err, "the rate limit never answered")
        st = details_of(err)
        self.assertIsNotNone(st, err.trailing_metadata())
        self.assertEqual(st.code, 8)
        retry = error_details_pb2.RetryInfo()
        self.assertTrue(any(x.Unpack(retry) for x in st.details), st)
        self.assertGreaterEqual(retry.retry_delay.seconds, 1)

    def test_plain_errors_have_no_details(self):
        d = g.docs_grpc.DocumentsStub(self.ch)
        with self.assertRaises(grpc.RpcError) as e:
            d.Get(g.docs.GetDocumentRequest(collection="nosuch", key="k"),
                  timeout=10)
        self.assertIn(e.exception.code(), (grpc.StatusCode.NOT_FOUND,
                                           grpc.StatusCode.RESOURCE_EXHAUSTED))
        if e.exception.code() == grpc.StatusCode.NOT_FOUND:
            self.assertIsNone(details_of(e.exception))


if __name__ == "__main__":
    unittest.main()
