/// libFuzzer target for the RFC 6455 codec and session: arbitrary client
/// bytes in arbitrary pieces, tiny limits from the input. Invariants: no
/// crash, nothing sent after the transport was closed, only valid UTF-8
/// text delivered.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocols/websocket/ws_session.hpp"

namespace {

struct sink : themis::ws::ws_callbacks {
  bool closed = false;
  void on_text(std::string m) override {
    if (!themis::ws::valid_utf8(m))
      std::abort();
  }
  void send(std::string) override {
    if (closed)
      std::abort();
  }
  void close_transport() override { closed = true; }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3)
    return 0;
  themis::ws::ws_options o;
  o.limits.max_frame_payload = 1 + data[0] * 4;
  o.max_message = 1 + data[1] * 8;
  sink s;
  themis::ws::ws_session session(o, s);
  size_t step = 1 + data[2] % 32;
  for (size_t off = 3; off < size && !s.closed; off += step)
    session.on_data(
      {reinterpret_cast<const char*>(data + off), std::min(step, size - off)});
  if (!s.closed)
    session.close(1000, "done");
  return 0;
}
