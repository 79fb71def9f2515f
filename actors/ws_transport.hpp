#pragma once
/// A wire protocol carried in WebSocket binary messages (MQTT over
/// WebSocket, MQTT 5.0 §6): the messages' payloads form the protocol's
/// byte stream, split across or packed into messages in any way; what we
/// write goes out as one binary message per write. Text messages fail the
/// connection (1003); pings are answered; a close frame is echoed and ends
/// the stream. After the handshake the socket's bytes come to the wire
/// actor directly (tcp_connection::begin_sink_switch); the HTTP connection
/// actor relays only what it had read before, and a drain.

#include <string>

#include "actors/wire_transport.hpp"
#include "protocols/websocket/ws_session.hpp"

namespace themis {

class ws_transport final : public wire_transport, private ws::ws_callbacks {
public:
  ws_transport(connection_ptr conn, ws::ws_options opts);

  void start(caf::actor sink) override;
  std::string on_input(std::string bytes) override;
  void write(std::string bytes) override;
  size_t queued_writes() const override;
  void close_after_writes() override;
  void abort() override;
  const std::string& remote_address() const override;
  const std::string& client_subject() const override;
  const char* kind() const override { return "websocket"; }

private:
  void on_text(std::string message) override;
  void on_binary(std::string message) override;
  void send(std::string bytes) override;
  void close_transport() override;

  connection_ptr conn_;
  ws::ws_session ws_;
  std::string app_; ///< protocol bytes gathered during one on_input
  bool closed_ = false;
};

} // namespace themis
