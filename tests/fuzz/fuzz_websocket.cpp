/// libFuzzer target for the RFC 6455 codec and session: arbitrary client
/// bytes in arbitrary pieces, tiny limits from the input, and (issue 19)
/// permessage-deflate and binary acceptance chosen by the input.
/// Invariants: no crash, nothing sent after the transport was closed,
/// only valid UTF-8 text delivered, no message beyond max_message.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocols/websocket/ws_session.hpp"

namespace {

struct sink : themis::ws::ws_callbacks {
  bool closed = false;
  size_t max = 0;
  void on_text(std::string m) override {
    if (!themis::ws::valid_utf8(m) || m.size() > max)
      std::abort();
  }
  void on_binary(std::string m) override {
    if (m.size() > max)
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
  // the third byte's high bits: deflate (and its context takeover), binary
  if (data[2] & 0x80) {
    themis::ws::deflate_params p;
    p.client_no_context_takeover = (data[2] & 0x40) != 0;
    p.server_no_context_takeover = (data[2] & 0x40) != 0;
    o.deflate = p;
  }
  o.accept_binary = (data[2] & 0x20) != 0;
  sink s;
  s.max = o.max_message;
  themis::ws::ws_session session(o, s);
  size_t step = 1 + data[2] % 32;
  for (size_t off = 3; off < size && !s.closed; off += step)
    session.on_data(
      {reinterpret_cast<const char*>(data + off), std::min(step, size - off)});
  if (!s.closed)
    session.close(1000, "done");
  return 0;
}
