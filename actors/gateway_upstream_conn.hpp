#pragma once
/// Private to the gateway's Asio side (gateway_pool.cpp,
/// gateway_probe.cpp): one upstream connection with its own strand and
/// deadline, and the active health check, which uses a connection of its
/// own.

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
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
/// timeout and the read never race.
struct upstream_conn {
  explicit upstream_conn(asio::io_context& io) :
    strand(asio::make_strand(io)), sock(strand), timer(strand) {}
  strand_t strand;
  tcp::socket sock;
  asio::steady_timer timer;
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

/// Active health check of `to`: sends `wire` (a GET with Connection:
/// close) on a new connection; `done(true)` for a whole 2xx answer within
/// `timeout_ms`. `done` runs once, on an I/O thread.
void probe_endpoint(asio::io_context& io, const tcp::endpoint& to,
                    std::shared_ptr<const std::string> wire,
                    uint32_t timeout_ms, std::function<void(bool)> done);

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
                 std::function<void()> on_close);

} // namespace themis::gateway_detail
