/// libFuzzer target for the HTTP/3 front: each input is split into
/// datagrams (2-byte big-endian lengths) that go through h3_endpoint's
/// classification and, when it accepts or routes them, into one
/// h3_session (ngtcp2 + GnuTLS + nghttp3 underneath); the clock advances
/// between datagrams and expiries run. Invariants: no crash, no leak,
/// nothing sent after the session finished.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "protocols/http3/h3_endpoint.hpp"
#include "tests/unit/http3/h3_packets.hpp"

namespace {

using namespace themis;
using namespace themis::http3;

struct sink : h3_callbacks {
  h3_session* s = nullptr;
  uint64_t ns = 1'000'000'000ull;
  bool finished_seen = false;
  void on_request(uint64_t id, api_request req) override {
    api_response r;
    r.body = req.path;
    s->respond(id, std::move(r));
  }
  void close() override {}
  uint64_t now_ms() override { return ns / 1000000; }
  uint64_t now_ns() override { return ns; }
  void send_to(std::string_view, std::string) override {
    if (finished_seen)
      std::abort(); // sent after the end
  }
};

std::shared_ptr<const tls_credentials> creds() {
  static auto c = [] {
    std::string error;
    auto r = tls_credentials::load(THEMIS_H3_TEST_DIR "/test_cert.pem",
                                   THEMIS_H3_TEST_DIR "/test_key.pem", error);
    if (!r)
      std::abort();
    return r;
  }();
  return c;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  h3_endpoint ep(endpoint_options{std::string(32, 'f')});
  auto local = testing::addr("127.0.0.1", 443);
  auto remote = testing::addr("127.0.0.1", 50000);
  sink cb;
  std::unique_ptr<h3_session> s;
  std::string dcid;
  auto known = [&](std::string_view c) {
    return s && (c == dcid || c == s->scid());
  };
  size_t pos = 0;
  while (pos + 2 <= size) {
    size_t n = (size_t(data[pos]) << 8) | data[pos + 1];
    pos += 2;
    n = std::min(n, size - pos);
    std::string pkt(reinterpret_cast<const char*>(data + pos), n);
    pos += n;
    auto d = ep.classify(pkt, local, remote, known, false, cb.ns, cb.ns);
    if (d.what == dispatch::accept && !s) {
      dcid = d.dcid;
      h3_options o;
      o.static_secret = std::string(32, 'f');
      s = std::make_unique<h3_session>(o, cb, creds(), d.initial);
      cb.s = s.get();
      if (!s->ok())
        return 0;
    }
    if (s && (d.what == dispatch::accept || d.what == dispatch::route))
      s->on_packet(local, remote, pkt);
    else if (s)
      s->on_data(pkt); // straight in, whatever the endpoint thought
    if (s) {
      cb.ns += 10'000'000ull;
      if (cb.ns >= s->expiry_ns())
        s->on_expiry();
      if (s->finished())
        cb.finished_seen = true;
    }
  }
  return 0;
}
