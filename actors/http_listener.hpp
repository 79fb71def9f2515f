#pragma once
/// The HTTP listener: an Asio acceptor (bound before the actors start, so a
/// bad port fails at startup) and a listener actor that spawns one
/// connection actor per socket, tracks them, and forwards drain requests.
/// Over `http.max_connections` a socket is answered 503 and closed at
/// accept time, before any actor exists for it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <caf/fwd.hpp>
#include <memory>
#include <string>

namespace themis {

struct server_context;

class http_acceptor : public std::enable_shared_from_this<http_acceptor> {
public:
  using tcp = boost::asio::ip::tcp;

  /// Binds and listens; throws std::system_error naming the address.
  http_acceptor(boost::asio::io_context& io, const std::string& bind, int port,
                std::shared_ptr<server_context> ctx);

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
};

/// The listener actor (registered as http_listener_name by its spawner).
caf::actor spawn_http_listener(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx);

} // namespace themis
