/// libFuzzer target for the HTTP/1.1 codec and session: arbitrary bytes,
/// cut at arbitrary points, with tiny limits taken from the input. Any
/// crash, sanitizer report or broken invariant is a bug.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocols/http1/http1_session.hpp"

namespace {

struct sink : themis::http1::session_callbacks {
  std::vector<uint64_t> ids;
  size_t sent = 0;
  bool closed = false;
  uint64_t now = 0;
  void on_request(uint64_t id, themis::api_request) override {
    ids.push_back(id);
  }
  void send(std::string bytes) override {
    if (closed)
      std::abort(); // nothing may be sent after close
    sent += bytes.size();
  }
  void close() override { closed = true; }
  uint64_t now_ms() override { return now; }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4)
    return 0;
  themis::http1::session_options o;
  o.limits.max_header_bytes = 64 + data[0] * 4;
  o.limits.max_body_bytes = data[1] * 8;
  o.max_pipelined = 1 + data[2] % 8;
  o.header_timeout_ms = 10;
  sink s;
  themis::http1::http1_session session(o, s);
  size_t off = 4;
  size_t step = 1 + data[3] % 64;
  while (off < size && !s.closed) {
    auto n = std::min(step, size - off);
    session.on_data({reinterpret_cast<const char*>(data + off), n});
    off += n;
    // answer the oldest outstanding request, out of order every other time
    if (!s.ids.empty()) {
      auto id = (off & 1) ? s.ids.back() : s.ids.front();
      themis::api_response r;
      r.body = "x";
      session.respond(id, std::move(r));
      s.ids.erase(std::find(s.ids.begin(), s.ids.end(), id));
    }
  }
  s.now += 100;
  session.check_timeouts();
  session.drain();
  return 0;
}
