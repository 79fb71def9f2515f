#pragma once
/// RFC 6455 server session after the handshake: reassembles fragmented
/// messages, validates UTF-8, answers pings, runs the close handshake.
/// Frames in, text messages out through `ws_callbacks`; no sockets.

#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/websocket/frame_codec.hpp"

namespace themis::ws {

class ws_callbacks {
public:
  virtual ~ws_callbacks() = default;
  /// A complete, valid UTF-8 text message.
  virtual void on_text(std::string message) = 0;
  /// Bytes to write, in order.
  virtual void send(std::string bytes) = 0;
  /// Close the transport once everything sent so far is written.
  virtual void close_transport() = 0;
};

struct ws_options {
  codec_limits limits;
  uint64_t max_message = 1 << 20;
};

class ws_session {
public:
  ws_session(ws_options opts, ws_callbacks& cb);

  void on_data(std::string_view data);

  void send_text(std::string_view text);
  void send_ping(std::string_view payload = {});

  /// Starts the close handshake (or finishes it): sends a close frame; the
  /// transport closes when the peer answers (or at once after an error).
  void close(uint16_t code, std::string_view reason);

  bool closing() const { return close_sent_; }

private:
  void handle(frame& f);
  void fail(uint16_t code, std::string_view reason);

  ws_options opts_;
  ws_callbacks& cb_;
  std::string inbuf_;
  std::string message_; ///< fragments of the message in progress
  bool in_message_ = false;
  opcode message_op_ = opcode::text;
  bool close_sent_ = false;
  bool closed_ = false;
};

} // namespace themis::ws
