#pragma once
/// RFC 6455 server session after the handshake: reassembles fragmented
/// messages, validates UTF-8, answers pings, runs the close handshake.
/// Frames in, messages out through `ws_callbacks`; no sockets. With
/// permessage-deflate negotiated (RFC 7692), compressed messages are
/// inflated (bounded by max_message) and outgoing ones deflated.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/websocket/frame_codec.hpp"
#include "protocols/websocket/permessage_deflate.hpp"
#include "themis/ws_message_counters.hpp"

namespace themis::ws {

class ws_callbacks {
public:
  virtual ~ws_callbacks() = default;
  /// A complete, valid UTF-8 text message.
  virtual void on_text(std::string message) = 0;
  /// A complete binary message (only with ws_options::accept_binary).
  virtual void on_binary(std::string message) { (void)message; }
  /// Bytes to write, in order.
  virtual void send(std::string bytes) = 0;
  /// Close the transport once everything sent so far is written.
  virtual void close_transport() = 0;
};

struct ws_options {
  codec_limits limits;
  uint64_t max_message = 1 << 20; ///< after decompression
  /// Which data messages the endpoint takes; the other kind fails the
  /// connection with 1003 (RFC 6455 §7.4.1).
  bool accept_text = true;
  bool accept_binary = false;
  /// permessage-deflate as negotiated at the handshake (none: off).
  std::optional<deflate_params> deflate;
  /// Smaller outgoing messages are sent uncompressed (RFC 7692 lets each
  /// message choose): below this deflate costs more than it saves.
  size_t compress_min = 64;
  /// Where complete data messages are counted (null: nowhere).
  ws_message_counters* counters = nullptr;
};

class ws_session {
public:
  ws_session(ws_options opts, ws_callbacks& cb);

  void on_data(std::string_view data);

  /// `compress` false: sent plain even with permessage-deflate (a plain
  /// message does not touch the peer's inflate context, so it stays
  /// readable after earlier compressed messages were dropped unsent).
  void send_text(std::string_view text, bool compress = true);
  void send_binary(std::string_view bytes, bool compress = true);
  void send_ping(std::string_view payload = {});

  /// Starts the close handshake (or finishes it): sends a close frame; the
  /// transport closes when the peer answers (or at once after an error).
  void close(uint16_t code, std::string_view reason);

  /// Counts messages into `c` from now on (a channel knows its endpoint
  /// only once its handler starts, after the session exists).
  void count_into(ws_message_counters* c) { opts_.counters = c; }

  bool closing() const { return close_sent_; }
  /// Bytes handed to ws_callbacks::send so far (frames as on the wire).
  uint64_t bytes_sent() const { return bytes_sent_; }

private:
  void handle(frame& f);
  void send_data(opcode op, std::string_view payload, bool compress);
  void emit(std::string bytes);
  void count_received();
  void fail(uint16_t code, std::string_view reason);

  ws_options opts_;
  ws_callbacks& cb_;
  std::string inbuf_;
  std::string message_; ///< fragments of the message in progress
  bool in_message_ = false;
  opcode message_op_ = opcode::text;
  bool message_compressed_ = false;
  std::unique_ptr<deflate_codec> deflate_;
  bool close_sent_ = false;
  bool closed_ = false;
  uint64_t bytes_sent_ = 0;
};

} // namespace themis::ws
