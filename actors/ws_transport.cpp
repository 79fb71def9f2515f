#include "actors/ws_transport.hpp"

#include "actors/tcp_connection.hpp"

namespace themis {

ws_transport::ws_transport(connection_ptr conn, ws::ws_options opts) :
  conn_(std::move(conn)), ws_(std::move(opts), *this) {}

void ws_transport::start(caf::actor sink) {
  // the socket's bytes come here directly from now on (the HTTP actor
  // relays what it already had first); reading may have been paused while
  // the handshake's answer was written
  conn_->begin_sink_switch(std::move(sink));
  conn_->resume_reading();
}

std::string ws_transport::on_input(std::string bytes) {
  app_.clear();
  ws_.on_data(bytes);
  return std::move(app_);
}

void ws_transport::write(std::string bytes) {
  if (!closed_)
    ws_.send_binary(bytes);
}

size_t ws_transport::queued_writes() const {
  return conn_->queued_writes();
}

void ws_transport::close_after_writes() {
  // the protocol ended the connection (DISCONNECT, an error): a normal
  // close frame, then the socket (we do not wait for the peer's answer)
  ws_.close(1000, "");
  close_transport();
}

void ws_transport::abort() {
  conn_->abort();
}

const std::string& ws_transport::remote_address() const {
  return conn_->remote_address();
}

const std::string& ws_transport::client_subject() const {
  return conn_->client_subject();
}

void ws_transport::on_text(std::string) {
  // not reached: text messages are refused by the session (accept_text)
}

void ws_transport::on_binary(std::string message) {
  app_ += message;
}

void ws_transport::send(std::string bytes) {
  conn_->write(std::move(bytes));
}

void ws_transport::close_transport() {
  if (closed_)
    return;
  closed_ = true;
  conn_->close_after_writes();
}

} // namespace themis
