#include "actors/wire_transport.hpp"

#include "actors/tcp_connection.hpp"

namespace themis {

namespace {

class tcp_transport final : public wire_transport {
public:
  explicit tcp_transport(connection_ptr conn) : conn_(std::move(conn)) {}
  void start(caf::actor sink) override {
    conn_->set_sink(std::move(sink));
    conn_->resume_reading();
  }
  std::string on_input(std::string bytes) override { return bytes; }
  void write(std::string bytes) override { conn_->write(std::move(bytes)); }
  size_t queued_writes() const override { return conn_->queued_writes(); }
  void close_after_writes() override { conn_->close_after_writes(); }
  void abort() override { conn_->abort(); }
  const std::string& remote_address() const override {
    return conn_->remote_address();
  }
  const std::string& client_subject() const override {
    return conn_->client_subject();
  }
  const char* kind() const override { return "tcp"; }

private:
  connection_ptr conn_;
};

} // namespace

std::shared_ptr<wire_transport> make_tcp_transport(connection_ptr conn) {
  return std::make_shared<tcp_transport>(std::move(conn));
}

} // namespace themis
