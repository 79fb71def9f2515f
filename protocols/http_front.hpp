#pragma once
/// What a connection actor drives, whatever the HTTP version: bytes in,
/// requests out through http1::session_callbacks (ids are HTTP/1.1
/// sequence numbers or HTTP/2 stream ids), answers and streamed bodies
/// back. HTTP/1.1 (http1_session) and HTTP/2 (h2_session) implement it,
/// so handlers and the actor stay protocol-blind.

#include <cstdint>
#include <string_view>

#include "themis/api_message.hpp"

namespace themis {

class http_front {
public:
  virtual ~http_front() = default;
  virtual void on_data(std::string_view data) = 0;
  virtual void respond(uint64_t id, api_response resp) = 0;
  virtual void stream_data(uint64_t id, std::string_view bytes) = 0;
  virtual void stream_end(uint64_t id) = 0;
  /// Ends a streamed body with trailers (gRPC); without trailer support
  /// (HTTP/1.1) they are dropped.
  virtual void stream_end_trailers(uint64_t id, header_list trailers) {
    stream_end(id);
  }
  virtual void check_timeouts() = 0;
  virtual void drain() = 0;
  virtual bool wants_read() const = 0;
  virtual size_t stream_backlog(uint64_t id) const = 0;
  /// HTTP/2: `n` bytes a streamed request body delivered (gRPC's
  /// on_request_body) were taken by the application: the stream's
  /// flow-control window reopens by that much. Until then the client may
  /// send no more than the window on that stream.
  virtual void consumed(uint64_t id, size_t n) {}
  /// HTTP/2: several requests run at once on one connection.
  virtual bool multiplexed() const { return false; }
};

} // namespace themis
