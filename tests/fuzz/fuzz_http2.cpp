/// libFuzzer target for the HTTP/2 session (nghttp2 underneath): the
/// input, after the client preface, is fed in pieces whose sizes come from
/// the first byte; every request is answered (alternately whole and
/// streamed; extended CONNECT tunnels are opened and echo their bytes).
/// Invariants: no crash, no leak, and nothing is sent after close.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocols/http2/h2_session.hpp"

namespace {

struct sink : themis::http1::session_callbacks {
  themis::http2::h2_session* s = nullptr;
  bool closed = false;
  uint64_t now = 1000;
  int n = 0;
  void on_request(uint64_t id, themis::api_request req) override {
    themis::api_response r;
    if (req.header("Upgrade") && ++n % 3) { // an RFC 8441 tunnel: open it
      r.status = 101;
      s->respond(id, std::move(r));
      return;
    }
    r.headers.emplace_back("Content-Type", "text/plain");
    if (++n % 2) {
      r.body = req.path + req.body;
      s->respond(id, std::move(r));
    } else {
      r.stream = true;
      s->respond(id, std::move(r));
      s->stream_data(id, "piece");
      s->stream_end(id);
    }
  }
  void send(std::string) override {
    if (closed)
      std::abort(); // nothing after close
  }
  void close() override { closed = true; }
  void on_tunnel_data(uint64_t id, std::string_view b, bool end) override {
    if (end)
      s->stream_end(id); // (the WebSocket ended: so does our side)
    else
      s->stream_data(id, b); // echo, as a WebSocket session would answer
  }
  uint64_t now_ms() override { return now; }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  size_t piece = 1 + data[0] % 64;
  sink cb;
  themis::http2::h2_options o;
  o.max_body_bytes = 4096;
  themis::http2::h2_session s(o, cb);
  cb.s = &s;
  std::string in = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  in.append(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (size_t i = 0; i < in.size() && !cb.closed; i += piece)
    s.on_data(std::string_view(in).substr(i, piece));
  s.drain();
  return 0;
}
