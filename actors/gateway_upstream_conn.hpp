#pragma once
/// Private to the gateway's Asio side (gateway_pool.cpp,
/// gateway_probe.cpp): one upstream connection with its own strand and
/// deadline, and the active health check, which uses a connection of its
/// own.

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "actors/gateway_tunnel.hpp"
#include "gateway/response_parser.hpp"

namespace themis::gateway_detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using strand_t = asio::strand<asio::io_context::executor_type>;
using clock_t_ = std::chrono::steady_clock;

/// One upstream connection: socket and timer on their own strand, so the
/// timeout and the read never race. With TLS, reads and writes go through
/// `tls` (over `sock`); closing `sock` ends both.
struct upstream_conn {
  explicit upstream_conn(asio::io_context& io) :
    strand(asio::make_strand(io)), sock(strand), timer(strand) {}
  strand_t strand;
  tcp::socket sock;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls;
  asio::steady_timer timer;
  template <class Buf, class H>
  void read_some(const Buf& b, H&& h) {
    if (tls)
      tls->async_read_some(b, std::forward<H>(h));
    else
      sock.async_read_some(b, std::forward<H>(h));
  }
  template <class Buf, class H>
  void write_all(const Buf& b, H&& h) {
    if (tls)
      asio::async_write(*tls, b, std::forward<H>(h));
    else
      asio::async_write(sock, b, std::forward<H>(h));
  }
  size_t ep = 0;
  clock_t_::time_point idle_since;
  bool timed_out = false;
  std::array<char, 16384> buf;
};
using conn_ptr = std::shared_ptr<upstream_conn>;

/// The deadline of what runs now on `c`: when it passes, the socket closes
/// and the pending operation fails with `timed_out` set.
inline void arm(const conn_ptr& c, std::chrono::milliseconds ms) {
  c->timer.expires_after(ms);
  c->timer.async_wait([c](boost::system::error_code ec) {
    if (ec)
      return;
    c->timed_out = true;
    boost::system::error_code ig;
    c->sock.close(ig);
  });
}

/// TLS to a cluster's endpoints: the client context (CA store, client
/// certificate) and what each connection sends and checks.
struct upstream_tls {
  std::shared_ptr<asio::ssl::context> ctx; ///< null: plain TCP
  bool verify = true;
  std::string sni;   ///< "" : the endpoint's host
  std::string error; ///< the context could not be set up: every try fails
};

/// Builds the context of `cfg` (errors land in `error`).
upstream_tls make_upstream_tls(const std::string& ca_file, bool verify,
                               const std::string& sni,
                               const std::string& cert_file,
                               const std::string& key_file);

/// The TLS handshake on a connected `c` (on its strand) for `host`: SNI
/// unless `host` is an IP address, chain and name verified when asked.
/// `done("")` on success, else a reason for x-themis-gateway-reason.
void start_tls(const conn_ptr& c, const upstream_tls& t,
               const std::string& host, std::function<void(std::string)> done);

/// Active health check of `to`: sends `wire` (a GET with Connection:
/// close) on a new connection; `done(true)` for a whole 2xx answer within
/// `timeout_ms`. `done` runs once, on an I/O thread.
void probe_endpoint(asio::io_context& io, const tcp::endpoint& to,
                    std::shared_ptr<const std::string> wire,
                    uint32_t timeout_ms, std::function<void(bool)> done,
                    std::shared_ptr<const upstream_tls> tls = nullptr,
                    const std::string& host = {});

/// WebSocket pass-through (gateway_tunnel.cpp): connects, sends `wire`
/// (the upgrade request); on a 101 leaves the tunnel in `slot`, then
/// `done` gets the head and the upstream's bytes go into `pipe`; any
/// other answer is read whole and given to `done`. `on_close` runs once
/// when the connection closes.
void open_tunnel(asio::io_context& io, const tcp::endpoint& to,
                 std::shared_ptr<const std::string> wire, uint32_t connect_ms,
                 uint32_t timeout_ms, gateway::response_limits lim,
                 std::shared_ptr<gateway::body_pipe> pipe,
                 std::shared_ptr<gateway_tunnel_slot> slot,
                 std::function<void(gateway_try)> done,
                 std::function<void()> on_close,
                 std::shared_ptr<const upstream_tls> tls = nullptr,
                 const std::string& host = {});

} // namespace themis::gateway_detail
