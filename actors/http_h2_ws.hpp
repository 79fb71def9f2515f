#pragma once
/// WebSocket over HTTP/2 (RFC 8441): the byte transport of a WebSocket
/// session when it runs on one HTTP/2 stream instead of the socket. The
/// session (protocols/websocket) and the channel handlers are the same as
/// after an HTTP/1.1 upgrade; only where bytes go differs. Private to
/// actors/.

#include <cstdint>
#include <string>

#include "protocols/websocket/ws_session.hpp"

namespace themis::detail {

struct http_connection_state;

class h2_ws_transport : public ws::ws_callbacks {
public:
  h2_ws_transport(http_connection_state& st, uint64_t stream_id) :
    st_(st), id_(stream_id) {}

  void on_text(std::string message) override;
  /// A binary message (MessagePack/CBOR changefeed encodings).
  void on_binary(std::string message) override;
  /// WebSocket frames as DATA of the stream (HTTP/2 flow control).
  void send(std::string bytes) override;
  /// The close handshake is done: END_STREAM.
  void close_transport() override;

private:
  http_connection_state& st_;
  uint64_t id_;
};

} // namespace themis::detail
