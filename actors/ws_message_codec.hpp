#pragma once
/// What a changefeed WebSocket negotiated at its handshake and how its
/// messages go out: permessage-deflate (RFC 7692) and the binary
/// encoding chosen by subprotocol (changefeeds.md), with the bookkeeping
/// that lets a subscriber's queue be counted in the logical (JSON text)
/// bytes its channel handler reasons in. Shared by every transport a
/// changefeed WebSocket runs on: the socket after an HTTP/1.1 upgrade, an
/// HTTP/2 stream (RFC 8441) and an HTTP/3 stream (RFC 9220). Private to
/// actors/.

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "handlers/changefeed_encoding.hpp"
#include "protocols/websocket/ws_session.hpp"
#include "themis/api_message.hpp"

namespace themis {

struct server_config;

class ws_message_codec {
public:
  /// For the 101 `resp` a handler gave: permessage-deflate (if
  /// http.ws_deflate allows it and the client offered it in
  /// `extensions`) and the encoding of the subprotocol `resp` chose.
  void negotiate(const server_config& cfg, const std::string& extensions,
                 api_response& resp);
  /// The WebSocket session's options for what was negotiated.
  ws::ws_options session_options(const server_config& cfg) const;
  /// Sends one JSON text message, encoded and compressed as negotiated.
  /// `unsent_wire`: bytes of earlier messages not yet delivered (to
  /// forget the sizes of messages that are long gone).
  void send(ws::ws_session& ws, const std::string& text, size_t unsent_wire);
  /// `wire_unsent` bytes of the newest messages in their logical size.
  size_t logical(size_t wire_unsent) const;
  /// Whether wire and logical sizes can differ at all.
  bool resized() const { return !sizes_.empty(); }
  /// A client's binary message as JSON text (nullopt: not valid in the
  /// negotiated encoding).
  std::optional<std::string> decode(std::string_view message) const {
    return ws::decode_to_json_text(message, encoding_);
  }

private:
  std::optional<ws::deflate_params> deflate_;
  ws::message_encoding encoding_ = ws::message_encoding::json;
  /// Wire size and logical size of recent messages, newest last.
  std::deque<std::pair<size_t, size_t>> sizes_;
};

} // namespace themis
