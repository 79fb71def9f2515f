/// h2_session's own rules on top of nghttp2 (issue 19): stream-id errors
/// nghttp2 ignores (RFC 9113 §5.1.1), RST_STREAM(NO_ERROR) after an early
/// 413 (§8.1), and extended CONNECT (RFC 8441). Frames are built by hand
/// (HPACK by nghttp2's deflater) so that invalid ones can be sent; the
/// server's output is parsed back into frames.

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <string>
#include <vector>

#include "protocols/http2/h2_session.hpp"

using namespace themis;

namespace {

struct out_frame {
  uint8_t type, flags;
  int32_t id;
  std::string payload;
};

std::string frame(uint8_t type, uint8_t flags, int32_t id,
                  const std::string& payload = {}) {
  std::string f;
  auto n = payload.size();
  f += static_cast<char>(n >> 16);
  f += static_cast<char>(n >> 8);
  f += static_cast<char>(n);
  f += static_cast<char>(type);
  f += static_cast<char>(flags);
  for (int s = 24; s >= 0; s -= 8)
    f += static_cast<char>((id >> s) & 0xFF);
  return f + payload;
}

uint32_t be32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

struct fake : http1::session_callbacks {
  http2::h2_session* s = nullptr;
  std::string out;
  bool closed = false;
  std::vector<std::pair<uint64_t, api_request>> requests;
  std::vector<uint64_t> tunnels_opened;
  std::string tunnel_bytes;
  bool tunnel_ended = false;
  int answer_status = 200; ///< what on_request answers (0: nothing)
  void on_request(uint64_t id, api_request req) override {
    requests.emplace_back(id, req);
    if (!answer_status)
      return;
    api_response r;
    r.status = answer_status;
    if (answer_status != 101)
      r.body = "ok";
    s->respond(id, std::move(r));
  }
  void send(std::string b) override { out += b; }
  void close() override { closed = true; }
  uint64_t now_ms() override { return 1000; }
  void on_tunnel_open(uint64_t id) override { tunnels_opened.push_back(id); }
  void on_tunnel_data(uint64_t, std::string_view b, bool end) override {
    tunnel_bytes.append(b);
    tunnel_ended = tunnel_ended || end;
  }

  std::vector<out_frame> frames() {
    std::vector<out_frame> fs;
    size_t i = 0;
    while (i + 9 <= out.size()) {
      size_t n = (static_cast<uint8_t>(out[i]) << 16) |
                 (static_cast<uint8_t>(out[i + 1]) << 8) |
                 static_cast<uint8_t>(out[i + 2]);
      if (i + 9 + n > out.size())
        break;
      fs.push_back({static_cast<uint8_t>(out[i + 3]),
                    static_cast<uint8_t>(out[i + 4]),
                    static_cast<int32_t>(be32(out, i + 5) & 0x7FFFFFFF),
                    out.substr(i + 9, n)});
      i += 9 + n;
    }
    out.erase(0, i);
    return fs;
  }
};

class H2Strict : public ::testing::Test {
protected:
  void SetUp() override {
    nghttp2_hd_deflate_new(&deflater_, 4096);
    opts_.max_body_bytes = 100;
    session_ = std::make_unique<http2::h2_session>(opts_, cb_);
    cb_.s = session_.get();
    // client preface + empty SETTINGS + ACK of the server's
    session_->on_data("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" +
                      frame(NGHTTP2_SETTINGS, 0, 0) +
                      frame(NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0));
    server_settings_ = cb_.frames();
  }
  void TearDown() override { nghttp2_hd_deflate_del(deflater_); }

  std::string block(std::vector<std::pair<std::string, std::string>> hs) {
    std::vector<nghttp2_nv> nva;
    for (auto& [k, v] : hs)
      nva.push_back({reinterpret_cast<uint8_t*>(k.data()),
                     reinterpret_cast<uint8_t*>(v.data()), k.size(), v.size(),
                     NGHTTP2_NV_FLAG_NONE});
    std::string buf(nghttp2_hd_deflate_bound(deflater_, nva.data(), nva.size()),
                    '\0');
    auto n =
      nghttp2_hd_deflate_hd(deflater_, reinterpret_cast<uint8_t*>(buf.data()),
                            buf.size(), nva.data(), nva.size());
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
  std::string get(int32_t id, bool end = true, std::string method = "GET") {
    return frame(NGHTTP2_HEADERS,
                 NGHTTP2_FLAG_END_HEADERS | (end ? NGHTTP2_FLAG_END_STREAM : 0),
                 id,
                 block({{":method", method},
                        {":scheme", "http"},
                        {":path", "/x"},
                        {":authority", "h"}}));
  }
  std::string connect(int32_t id, std::string protocol) {
    std::vector<std::pair<std::string, std::string>> hs = {
      {":method", "CONNECT"},
      {":scheme", "http"},
      {":path", "/ws"},
      {":authority", "h"}};
    if (!protocol.empty())
      hs.emplace_back(":protocol", protocol); // (pseudo-headers first)
    hs.emplace_back("sec-websocket-version", "13");
    return frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, id, block(hs));
  }
  static const out_frame* find(const std::vector<out_frame>& fs, uint8_t type,
                               int32_t id = -1) {
    for (auto& f : fs)
      if (f.type == type && (id < 0 || f.id == id))
        return &f;
    return nullptr;
  }
  static uint32_t goaway_code(const std::vector<out_frame>& fs) {
    auto* g = find(fs, NGHTTP2_GOAWAY);
    return g ? be32(g->payload, 4) : 0xFFFFFFFF;
  }

  nghttp2_hd_deflater* deflater_ = nullptr;
  http2::h2_options opts_;
  fake cb_;
  std::unique_ptr<http2::h2_session> session_;
  std::vector<out_frame> server_settings_;
};

TEST_F(H2Strict, AdvertisesExtendedConnect) {
  auto* s = find(server_settings_, NGHTTP2_SETTINGS);
  ASSERT_NE(s, nullptr);
  bool found = false;
  for (size_t i = 0; i + 6 <= s->payload.size(); i += 6)
    if (((static_cast<uint8_t>(s->payload[i]) << 8) |
         static_cast<uint8_t>(s->payload[i + 1])) ==
          NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL &&
        be32(s->payload, i + 2) == 1)
      found = true;
  EXPECT_TRUE(found);
}

TEST_F(H2Strict, LowerStreamIdIsProtocolError) {
  session_->on_data(get(5));
  ASSERT_EQ(cb_.requests.size(), 1u);
  cb_.frames();
  session_->on_data(get(3));
  auto fs = cb_.frames();
  EXPECT_EQ(goaway_code(fs), static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
  EXPECT_EQ(be32(find(fs, NGHTTP2_GOAWAY)->payload, 0), 5u); // last stream
  EXPECT_TRUE(cb_.closed);
  EXPECT_EQ(cb_.requests.size(), 1u); // stream 3 never dispatched
}

TEST_F(H2Strict, EvenStreamIdIsProtocolError) {
  session_->on_data(get(2));
  EXPECT_EQ(goaway_code(cb_.frames()),
            static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
}

TEST_F(H2Strict, HeadersOnClosedStreamIsStreamClosed) {
  session_->on_data(get(1));
  session_->on_data(get(3));
  cb_.frames();
  session_->on_data(get(1)); // closed by END_STREAM both ways
  EXPECT_EQ(goaway_code(cb_.frames()),
            static_cast<uint32_t>(NGHTTP2_STREAM_CLOSED));
}

TEST_F(H2Strict, Early413ThenRstNoErrorAndLateFramesIgnored) {
  session_->on_data(get(1, false, "PUT"));
  session_->on_data(frame(NGHTTP2_DATA, 0, 1, std::string(150, 'x')));
  auto fs = cb_.frames();
  const out_frame* rst = find(fs, NGHTTP2_RST_STREAM, 1);
  ASSERT_NE(rst, nullptr);
  EXPECT_EQ(be32(rst->payload, 0), static_cast<uint32_t>(NGHTTP2_NO_ERROR));
  // END_STREAM (the 413's body) before the RST_STREAM
  size_t end_at = fs.size(), rst_at = fs.size();
  for (size_t i = 0; i < fs.size(); ++i) {
    if (fs[i].id == 1 && (fs[i].flags & NGHTTP2_FLAG_END_STREAM) &&
        end_at == fs.size())
      end_at = i;
    if (&fs[i] == rst)
      rst_at = i;
  }
  EXPECT_LT(end_at, rst_at);
  EXPECT_TRUE(cb_.requests.empty()); // never dispatched
  // trailers on the stream we reset: ignored (RFC 9113 §5.1 "closed")
  session_->on_data(get(1));
  session_->on_data(get(3));
  fs = cb_.frames();
  EXPECT_EQ(find(fs, NGHTTP2_GOAWAY), nullptr);
  ASSERT_EQ(cb_.requests.size(), 1u);
  EXPECT_EQ(cb_.requests[0].first, 3u);
}

TEST_F(H2Strict, Early413WithSmallAnnouncedRestIsReadNotReset) {
  // content-length announced and within max_discard_bytes: the rest is
  // read and dropped (curl 7.88 fails an upload on any RST_STREAM)
  session_->on_data(frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1,
                          block({{":method", "PUT"},
                                 {":scheme", "http"},
                                 {":path", "/x"},
                                 {":authority", "h"},
                                 {"content-length", "300"}})));
  session_->on_data(frame(NGHTTP2_DATA, 0, 1, std::string(150, 'x')));
  auto fs = cb_.frames();
  EXPECT_NE(find(fs, NGHTTP2_HEADERS, 1), nullptr); // the 413
  EXPECT_EQ(find(fs, NGHTTP2_RST_STREAM, 1), nullptr);
  session_->on_data(
    frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1, std::string(150, 'y')));
  fs = cb_.frames();
  EXPECT_EQ(find(fs, NGHTTP2_RST_STREAM, 1), nullptr);
  EXPECT_EQ(find(fs, NGHTTP2_GOAWAY), nullptr);
  EXPECT_TRUE(cb_.requests.empty());
}

TEST_F(H2Strict, ExtendedConnectOpensATunnel) {
  cb_.answer_status = 101;
  session_->on_data(connect(1, "websocket") +
                    frame(NGHTTP2_DATA, 0, 1, "early"));
  ASSERT_EQ(cb_.requests.size(), 1u);
  auto& req = cb_.requests[0].second;
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(*req.header("Upgrade"), "websocket");
  EXPECT_NE(req.header("Sec-WebSocket-Key"), nullptr);
  ASSERT_EQ(cb_.tunnels_opened.size(), 1u);
  auto fs = cb_.frames();
  auto* h = find(fs, NGHTTP2_HEADERS, 1);
  ASSERT_NE(h, nullptr);
  EXPECT_FALSE(h->flags & NGHTTP2_FLAG_END_STREAM);
  // ":status: 200" is static table index 8 (0x88)
  EXPECT_EQ(static_cast<uint8_t>(h->payload[0]), 0x88);
  EXPECT_EQ(cb_.tunnel_bytes, "early");
  session_->on_data(frame(NGHTTP2_DATA, 0, 1, "more"));
  EXPECT_EQ(cb_.tunnel_bytes, "earlymore");
  session_->stream_data(1, "frame");
  fs = cb_.frames();
  auto* d = find(fs, NGHTTP2_DATA, 1);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->payload, "frame");
  session_->on_data(frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1));
  EXPECT_TRUE(cb_.tunnel_ended);
}

TEST_F(H2Strict, UnknownProtocolIs501) {
  cb_.answer_status = 0;
  session_->on_data(connect(1, "chat"));
  EXPECT_TRUE(cb_.requests.empty());
  auto fs = cb_.frames();
  auto* h = find(fs, NGHTTP2_HEADERS, 1);
  ASSERT_NE(h, nullptr);
  EXPECT_NE(find(fs, NGHTTP2_RST_STREAM, 1), nullptr);
}

TEST_F(H2Strict, NonWebSocketAnswerToATunnelIs400) {
  cb_.answer_status = 200; // a route that is no WebSocket endpoint
  session_->on_data(connect(1, "websocket"));
  EXPECT_TRUE(cb_.tunnels_opened.empty());
  auto fs = cb_.frames();
  ASSERT_NE(find(fs, NGHTTP2_HEADERS, 1), nullptr);
  // ":status: 400" is static table index 12 (0x8c)
  EXPECT_EQ(static_cast<uint8_t>(find(fs, NGHTTP2_HEADERS, 1)->payload[0]),
            0x8c);
}

TEST_F(H2Strict, ConnectWithoutProtocolButPathIsMalformed) {
  session_->on_data(connect(1, ""));
  EXPECT_TRUE(cb_.requests.empty());
  auto fs = cb_.frames();
  auto* r = find(fs, NGHTTP2_RST_STREAM, 1);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(be32(r->payload, 0), static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
}

TEST_F(H2Strict, HostileManyClosedStreamsStayBounded) {
  // thousands of streams: the closed-id memory stays bounded and a
  // forgotten id still counts as lower (PROTOCOL_ERROR), never a crash
  for (int32_t id = 1; id < 4001; id += 2)
    session_->on_data(get(id));
  cb_.frames();
  session_->on_data(get(1));
  EXPECT_EQ(goaway_code(cb_.frames()),
            static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
}

TEST(H2StrictNoSetting, ProtocolWithoutTheSettingIsMalformed) {
  // a server that does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL:
  // :protocol is an unknown pseudo-header, the request malformed (RFC 8441
  // §3, RFC 9113 §8.3): RST_STREAM(PROTOCOL_ERROR), nothing dispatched
  fake cb;
  http2::h2_options o;
  o.enable_connect_protocol = false;
  http2::h2_session s(o, cb);
  cb.s = &s;
  nghttp2_hd_deflater* d = nullptr;
  nghttp2_hd_deflate_new(&d, 4096);
  std::vector<std::pair<std::string, std::string>> hs = {
    {":method", "CONNECT"}, {":scheme", "http"},        {":path", "/ws"},
    {":authority", "h"},    {":protocol", "websocket"},
  };
  std::vector<nghttp2_nv> nva;
  for (auto& [k, v] : hs)
    nva.push_back({reinterpret_cast<uint8_t*>(k.data()),
                   reinterpret_cast<uint8_t*>(v.data()), k.size(), v.size(),
                   NGHTTP2_NV_FLAG_NONE});
  std::string blk(256, '\0');
  auto n = nghttp2_hd_deflate_hd(d, reinterpret_cast<uint8_t*>(blk.data()),
                                 blk.size(), nva.data(), nva.size());
  blk.resize(static_cast<size_t>(n));
  nghttp2_hd_deflate_del(d);
  s.on_data("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(NGHTTP2_SETTINGS, 0, 0) +
            frame(NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0) +
            frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1, blk));
  EXPECT_TRUE(cb.requests.empty());
  bool rst = false;
  for (auto& f : cb.frames())
    if (f.type == NGHTTP2_RST_STREAM && f.id == 1 &&
        be32(f.payload, 0) == NGHTTP2_PROTOCOL_ERROR)
      rst = true;
  EXPECT_TRUE(rst);
}

} // namespace
