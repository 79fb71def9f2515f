#pragma once
/// gRPC services over the protocol-blind handlers. The front-end (the
/// connection actor, actors/http_grpc.cpp) owns the wire: framing,
/// compression, trailers, deadlines and cancellation. A service sees one
/// decoded request message and answers a status and message(s). Every
/// data RPC runs as the REST request it stands for, through the router
/// (`rest`): the same auth gate, scopes, tenants, rate limits, shedding
/// and handlers as HTTP — no business logic of its own.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "handlers/handler_env.hpp"

namespace themis {

/// A google.rpc.Code and its message; `trailers` are extra trailing
/// metadata (lower-case names), e.g. the changefeed's resume point.
struct grpc_status {
  int code = 0;
  std::string message;
  header_list trailers;
};

/// Runs a REST request through the router for the caller's connection;
/// the answer comes back on the caller's context (the connection actor).
using rest_call = std::function<void(api_request, responder)>;

/// What a service may say about its answer besides the messages (the
/// interop service echoes metadata and asks for (un)compressed replies);
/// shared with the front-end, read when the answer goes out.
struct grpc_reply_options {
  header_list metadata; ///< initial metadata (response headers), lower-case
  /// Unary reply: unset, the call's coding decides; true, compress (in a
  /// coding the client accepts even if its request was identity); false,
  /// send it uncompressed. For streams, true at open() picks that coding
  /// for the call, and each message says for itself (send()).
  std::optional<bool> compress;
};

struct grpc_request {
  /// The gRPC request as received: metadata in `headers` (authorization,
  /// x-api-key …), remote address, client certificate.
  const api_request& call;
  std::string message; ///< the request message, decoded and decompressed
  rest_call rest;
  /// Whether the server drains (health answers NOT_SERVING).
  bool draining = false;
  bool compressed = false; ///< `message` came compressed (flag 1)
  std::shared_ptr<grpc_reply_options> reply =
    std::make_shared<grpc_reply_options>();
};

/// An api_request for `method` `path` that carries the gRPC call's
/// credentials and identity (auth headers, remote address, certificate).
api_request rest_request_of(const api_request& call, std::string method,
                            std::string path, std::string body = {});

/// The gRPC status of a REST answer (401 → UNAUTHENTICATED, 403 →
/// PERMISSION_DENIED, 412 → FAILED_PRECONDITION, 429 → RESOURCE_EXHAUSTED
/// with retry info in trailers, 503 → UNAVAILABLE …), its message from the
/// error body.
grpc_status grpc_status_of(const api_response& resp);

using grpc_unary_done = std::function<void(grpc_status, std::string reply)>;

/// Where a server-streaming RPC writes; implemented by the front-end.
/// Every call is a no-op once the call ended (cancelled, deadline, done).
class grpc_stream_out {
public:
  virtual ~grpc_stream_out() = default;
  virtual void send(const std::string& message) = 0;
  /// `compress` false: this message goes uncompressed whatever the call's
  /// coding (a front-end without per-message choice ignores it).
  virtual void send(const std::string& message, bool compress) {
    (void)compress;
    send(message);
  }
  /// Ask for pump() again once the client has read what was sent (and at
  /// least `delay_ms` from now).
  virtual void more(uint32_t delay_ms = 0) = 0;
  /// Ends the call with this status (OK or not).
  virtual void finish(grpc_status st) = 0;
  virtual bool ended() const = 0;
  /// Whether the server drains now.
  virtual bool draining() const = 0;
};

/// A server-streaming RPC in progress: the front-end calls pump() first
/// and then each time the stream asked for more() and the client caught
/// up, so a slow reader slows the producer.
class grpc_streamer {
public:
  virtual ~grpc_streamer() = default;
  virtual void pump(const std::shared_ptr<grpc_stream_out>& out) = 0;
  /// The call ended before the stream finished (client cancel, deadline,
  /// connection gone): release what it holds (cursors).
  virtual void cancel() {}
};

/// A client-streaming or bidirectional RPC: request messages reach it as
/// they arrive (not collected first); pump() runs after more() as for a
/// server stream. The front-end stops reading the client while this
/// call's answers pile up unread, so neither side's queue grows unbounded.
class grpc_duplex : public grpc_streamer {
public:
  /// One request message; `compressed`: it came compressed.
  virtual void message(std::string message, bool compressed,
                       const std::shared_ptr<grpc_stream_out>& out) = 0;
  /// The client half-closed (no more messages).
  virtual void end(const std::shared_ptr<grpc_stream_out>& out) = 0;
};

struct grpc_method {
  std::string_view path; ///< "/package.Service/Method"
  bool server_streaming = false;
  void (*unary)(grpc_request&, grpc_unary_done) = nullptr;
  std::shared_ptr<grpc_streamer> (*open)(grpc_request&) = nullptr;
  /// Bidirectional, one answer per request message, at once (reflection);
  /// a non-zero status in `st` ends the call.
  std::string (*each)(grpc_request&, grpc_status& st) = nullptr;
  /// Client-streaming or bidirectional (`message` of the request is
  /// empty: the messages follow through grpc_duplex::message).
  std::shared_ptr<grpc_duplex> (*duplex)(grpc_request&) = nullptr;
};

/// A stream that ends at once with `st` (a malformed request message).
std::shared_ptr<grpc_streamer> grpc_failed_stream(grpc_status st);

/// The method for a :path; nullptr: UNIMPLEMENTED.
const grpc_method* find_grpc_method(std::string_view path);

/// grpc.testing.TestService on or off (grpc.interop_test_service, read at
/// start; off: its methods are unknown and reflection does not list it).
void set_grpc_interop_service(bool on);
bool grpc_interop_service();

// services (handlers/grpc_*.cpp)
const grpc_method* grpc_health_methods(size_t& n);
const grpc_method* grpc_reflection_methods(size_t& n);
const grpc_method* grpc_documents_methods(size_t& n);
const grpc_method* grpc_query_methods(size_t& n);
const grpc_method* grpc_jobs_methods(size_t& n);
const grpc_method* grpc_changefeed_methods(size_t& n);
const grpc_method* grpc_interop_methods(size_t& n);

} // namespace themis
