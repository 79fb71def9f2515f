#pragma once
/// The HTTP listener: an Asio acceptor (bound before the actors start, so a
/// bad port fails at startup) and a listener actor that spawns one
/// connection actor per socket, tracks them, and forwards drain requests.
/// Over `http.max_connections` a socket is answered 503 and closed at
/// accept time, before any actor exists for it.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <functional>
#include <memory>
#include <string>

namespace themis {

struct server_context;
class tcp_connection;
namespace tls {
class context;
}

class http_acceptor : public std::enable_shared_from_this<http_acceptor> {
public:
  using tcp = boost::asio::ip::tcp;

  /// Binds and listens; throws std::system_error naming the address.
  http_acceptor(boost::asio::io_context& io, const std::string& bind, int port,
                std::shared_ptr<server_context> ctx);
  /// The same acceptor for another protocol: sockets go to the actor
  /// registered as `listener`; over `max_connections` a socket gets
  /// `busy_reply` and is closed.
  http_acceptor(boost::asio::io_context& io, const std::string& bind, int port,
                std::shared_ptr<server_context> ctx, caf::atom_value listener,
                uint32_t max_connections, std::string busy_reply);

  /// Makes this a TLS listener: each accepted socket speaks TLS with the
  /// context `current()` returns then (it changes on a reload).
  void set_tls(std::function<std::shared_ptr<const tls::context>()> current) {
    tls_ = std::move(current);
  }

  /// Starts accepting; sockets go to the actor registered as the listener.
  void start();
  /// Stops accepting (drain). Thread-safe.
  void stop();
  int port() const { return port_; }

private:
  void do_accept();
  void reject(tcp::socket socket, const char* why);

  boost::asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<server_context> ctx_;
  int port_ = 0;
  caf::atom_value listener_;
  uint32_t max_connections_ = 0;
  /// Open connections accepted here (outlives us in the sockets' hooks).
  std::shared_ptr<std::atomic<int64_t>> open_ =
    std::make_shared<std::atomic<int64_t>>(0);
  std::string busy_;
  std::function<std::shared_ptr<const tls::context>()> tls_;
};

/// The listener actor (registered as http_listener_name by its spawner).
caf::actor spawn_http_listener(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx);

using connection_spawner = std::function<caf::actor(
  caf::actor_system&, std::shared_ptr<tcp_connection>)>;
/// A listener actor for any protocol: one actor per accepted socket from
/// `spawn`, monitored; drain requests forwarded to every connection.
caf::actor spawn_listener(caf::actor_system& sys,
                          std::shared_ptr<server_context> ctx,
                          connection_spawner spawn);

} // namespace themis
