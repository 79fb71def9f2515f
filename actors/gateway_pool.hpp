#pragma once
/// The HTTP/1.1 keep-alive connection pool of one upstream cluster
/// (issue 23): Asio sockets to each endpoint, idle connections reused,
/// bounded by the cluster's breaker (max connections, max pending). Owned
/// by the cluster actor; callbacks run on an I/O thread and only send the
/// actor a message. No CAF here, no policy: which endpoint, retries and
/// ejection are the actor's.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gateway/body_pipe.hpp"
#include "gateway/gateway_config.hpp"
#include "gateway/response_parser.hpp"

namespace boost::asio {
class io_context;
}

namespace themis {

/// One attempt's outcome.
struct gateway_try {
  bool ok = false;       ///< a whole, well-formed response arrived
  int fail_status = 502; ///< when !ok: 502, 503 (pool full) or 504
  std::string reason;    ///< when !ok: for x-themis-gateway-reason
  bool connect_failed = false;
  bool overflow = false; ///< refused by the pool's limits (max_pending)
  gateway::upstream_response resp;
  double ms = 0; ///< time to the complete response (streamed: to its head)
  /// The head arrived and the body follows through the call's body_pipe
  /// (resp.body is empty; the pipe holds what came with the head).
  bool streamed = false;
  int64_t content_length = -1; ///< streamed: the upstream's, -1 if none
};

class gateway_pool : public std::enable_shared_from_this<gateway_pool> {
public:
  using done_fn = std::function<void(gateway_try)>;

  /// Resolves endpoint names now (once; DNS clusters are not done yet).
  gateway_pool(boost::asio::io_context& io, const gateway::cluster_config& c);
  ~gateway_pool();

  /// Sends `wire` (a whole request) to endpoint `ep`; `done` runs once, on
  /// an I/O thread, within `timeout_ms` (plus scheduling). With `body`, an
  /// answer below 500 whose body has not arrived whole with its head is
  /// streamed: `done` gets the head (`streamed`), the body goes through
  /// the pipe, and the connection returns to the pool when it ends.
  void send(size_t ep, std::shared_ptr<const std::string> wire, bool head,
            uint32_t timeout_ms, done_fn done,
            std::shared_ptr<gateway::body_pipe> body = nullptr);

  /// WebSocket pass-through: the upgrade request `wire` on a connection
  /// of its own (counted with the pool's under max_connections); see
  /// gateway_detail::open_tunnel.
  void open_tunnel(size_t ep, std::shared_ptr<const std::string> wire,
                   uint32_t timeout_ms, done_fn done,
                   std::shared_ptr<gateway::body_pipe> pipe,
                   std::shared_ptr<struct gateway_tunnel_slot> slot);

  /// Active health check: GET `path` on a connection of its own; `done`
  /// gets whether a 2xx came back in time.
  void probe(size_t ep, const std::string& path, uint32_t timeout_ms,
             std::function<void(bool)> done);

  /// Closes idle connections and refuses new work (reload, shutdown).
  void shut();

  uint32_t open_connections() const;
  uint32_t pending() const;
  uint64_t connects() const; ///< new connections opened so far
  uint64_t reuses() const;   ///< requests that found an idle connection

  struct impl;

private:
  std::shared_ptr<impl> impl_; ///< shared with handlers still in flight
};

} // namespace themis
