/// h2_session's own WINDOW_UPDATEs (issue 20: client-streaming and
/// bidirectional gRPC): a gRPC request stream's window reopens only as the
/// application takes its bytes (consumed()), the connection's window at
/// once, and every other body as before. Driven by a real nghttp2 client
/// session, whose view of the windows is what a peer sees.

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "protocols/http2/h2_session.hpp"

using namespace themis;

namespace {

struct server_side : http1::session_callbacks {
  std::string out;
  bool grpc = true; ///< bodies stream to on_request_body (gRPC)
  size_t streamed = 0;
  size_t whole = 0; ///< the body of a request that came whole
  void on_request(uint64_t, api_request req) override {
    whole = req.body.size();
  }
  bool wants_request_stream(const api_request&) override { return grpc; }
  void on_request_body(uint64_t, std::string_view b, bool) override {
    streamed += b.size();
  }
  void send(std::string b) override { out += b; }
  void close() override {}
  uint64_t now_ms() override { return 1000; }
};

ssize_t read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t len,
                  uint32_t* flags, nghttp2_data_source* src, void*) {
  auto* left = static_cast<size_t*>(src->ptr);
  size_t n = std::min(len, *left);
  std::memset(buf, 'x', n);
  *left -= n;
  if (*left == 0)
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

class H2Flow : public ::testing::Test {
protected:
  void start(bool grpc, size_t body) {
    srv_.grpc = grpc;
    left_ = body;
    http2::h2_options o;
    o.max_body_bytes = 1u << 20;
    server_ = std::make_unique<http2::h2_session>(o, srv_);
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_client_new(&client_, cbs, nullptr);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(client_, NGHTTP2_FLAG_NONE, nullptr, 0);
    const char* ct = grpc ? "application/grpc" : "application/octet-stream";
    nghttp2_nv nva[] = {nv(":method", "POST"), nv(":scheme", "http"),
                        nv(":path", "/p.S/M"), nv(":authority", "h"),
                        nv("content-type", ct)};
    nghttp2_data_provider dp;
    dp.source.ptr = &left_;
    dp.read_callback = read_body;
    stream_ = nghttp2_submit_request(client_, nullptr, nva, 5, &dp, nullptr);
    ASSERT_GT(stream_, 0);
    pump();
  }
  void TearDown() override { nghttp2_session_del(client_); }

  static nghttp2_nv nv(const char* k, const char* v) {
    return {reinterpret_cast<uint8_t*>(const_cast<char*>(k)),
            reinterpret_cast<uint8_t*>(const_cast<char*>(v)), std::strlen(k),
            std::strlen(v), NGHTTP2_NV_FLAG_NONE};
  }
  /// Bytes both ways until neither side has more to say.
  void pump() {
    for (int round = 0; round < 1000; ++round) {
      const uint8_t* data = nullptr;
      std::string to_server;
      while (true) {
        auto n = nghttp2_session_mem_send(client_, &data);
        if (n <= 0)
          break;
        to_server.append(reinterpret_cast<const char*>(data), n);
      }
      if (!to_server.empty())
        server_->on_data(to_server);
      std::string to_client = std::move(srv_.out);
      srv_.out.clear();
      if (!to_client.empty())
        nghttp2_session_mem_recv(
          client_, reinterpret_cast<const uint8_t*>(to_client.data()),
          to_client.size());
      if (to_server.empty() && to_client.empty())
        return;
    }
  }
  int32_t stream_window() {
    return nghttp2_session_get_stream_remote_window_size(client_, stream_);
  }

  server_side srv_;
  std::unique_ptr<http2::h2_session> server_;
  nghttp2_session* client_ = nullptr;
  int32_t stream_ = 0;
  size_t left_ = 0;
};

TEST_F(H2Flow, GrpcStreamWindowReopensOnlyWhenConsumed) {
  start(true, 200000);
  // the first window's worth arrived; nothing was given back
  EXPECT_EQ(srv_.streamed, 65535u);
  EXPECT_EQ(stream_window(), 0);
  // the connection's window was reopened at once (other streams go on)
  EXPECT_GT(nghttp2_session_get_remote_window_size(client_), 0);
  server_->consumed(static_cast<uint64_t>(stream_), srv_.streamed);
  pump();
  EXPECT_EQ(srv_.streamed, 131070u);
  for (int i = 0; i < 4 && srv_.streamed < 200000; ++i) {
    server_->consumed(static_cast<uint64_t>(stream_), 65535);
    pump();
  }
  EXPECT_EQ(srv_.streamed, 200000u);
}

TEST_F(H2Flow, OtherBodiesReopenTheirWindowsAsBefore) {
  start(false, 200000);
  EXPECT_EQ(srv_.whole, 200000u); // never stalled on a window
}

} // namespace
