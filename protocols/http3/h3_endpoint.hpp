#pragma once
/// What a QUIC server endpoint does with one UDP datagram before any
/// connection sees it (RFC 9000 §5.2, §8.1, §10.3, §17.2.1): route it to
/// the connection its Destination Connection ID names, accept a new
/// connection from a client Initial, answer with Version Negotiation, a
/// Retry (address validation) or a Stateless Reset, or drop it. Pure: the
/// demux table is a lookup function; no sockets.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "protocols/http3/h3_session.hpp"

namespace themis::http3 {

/// Length of the connection IDs we issue (h3_session uses the same).
constexpr size_t server_cid_len = 18;

struct endpoint_options {
  /// Secret for Retry tokens and stateless-reset tokens (32 bytes).
  std::string static_secret;
  uint64_t retry_token_lifetime_ns = 10'000'000'000ull;
  /// Stateless resets sent per second at most (an amplification bound).
  uint32_t max_resets_per_s = 100;
};

struct dispatch {
  enum kind { drop, route, accept, reply };
  kind what = drop;
  std::string dcid;     ///< route: the demux key
  initial_info initial; ///< accept: the new connection's first packet
  std::string packet;   ///< reply: the datagram to send back
  const char* why = ""; ///< drop/reply: for logs and metrics
  bool retry = false;   ///< reply: it is a Retry
  bool reset = false;   ///< reply: it is a Stateless Reset
};

class h3_endpoint {
public:
  explicit h3_endpoint(endpoint_options opts) : opts_(std::move(opts)) {}

  /// Classifies one datagram from `remote` (raw sockaddr bytes) to
  /// `local`. `known(dcid)`: whether a connection owns that ID.
  /// `want_retry`: validate the client's address first (configured, or
  /// the server is under load). `now_ns`: monotonic; `wall_ns`: system
  /// clock (tokens outlive a restart's monotonic clock).
  dispatch classify(std::string_view pkt, std::string_view local,
                    std::string_view remote,
                    const std::function<bool(std::string_view)>& known,
                    bool want_retry, uint64_t now_ns, uint64_t wall_ns);

private:
  dispatch stateless_reset(std::string_view pkt, std::string_view dcid,
                           uint64_t now_ns);
  endpoint_options opts_;
  uint64_t reset_second_ = 0;
  uint32_t resets_ = 0;
};

} // namespace themis::http3
