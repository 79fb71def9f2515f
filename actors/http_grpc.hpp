#pragma once
/// gRPC calls on an HTTP/2 connection (issue 20): the state of one call
/// (actors/http_grpc.cpp drives it from the connection actor). Private to
/// actors/.

#include <caf/atom.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "handlers/grpc_service.hpp"
#include "protocols/grpc/grpc_metadata.hpp"
#include "protocols/grpc/grpc_web.hpp"

namespace themis {

/// Resumes a server stream once its client caught up: (id, gen).
using grpc_pump_atom = caf::atom_constant<caf::atom("t_grpcpmp")>;
/// A call's grpc-timeout passed: (id, gen).
using grpc_deadline_atom = caf::atom_constant<caf::atom("t_grpcdl")>;

namespace detail {

struct http_connection_state;

/// What a server-streaming service writes to; forwards to the connection
/// while the call lives, a no-op after it ended.
class grpc_out final : public grpc_stream_out {
public:
  grpc_out(http_connection_state& st, uint64_t id, uint64_t gen) :
    st_(st), id_(id), gen_(gen) {}
  void send(const std::string& message) override { send(message, true); }
  void send(const std::string& message, bool compress) override;
  void more(uint32_t delay_ms) override;
  void finish(grpc_status s) override;
  bool ended() const override { return ended_; }
  bool draining() const override;
  void end() { ended_ = true; }

private:
  http_connection_state& st_;
  uint64_t id_, gen_;
  bool ended_ = false;
};

struct grpc_call {
  uint64_t gen = 0;
  const grpc_method* method = nullptr;
  api_request req;   ///< the call's headers (metadata), address, certificate
  std::string inbuf; ///< request bytes not yet a whole message
  std::vector<std::string> messages;
  std::optional<grpc::message_coding> req_coding;
  grpc::message_coding resp_coding = grpc::message_coding::identity;
  bool msg_compressed = false; ///< the unary request message came compressed
  /// The service's say on the answer (metadata, compression).
  std::shared_ptr<grpc_reply_options> reply =
    std::make_shared<grpc_reply_options>();
  /// Client-streaming/bidirectional (actors/http_grpc_input.cpp): the
  /// service gets each message as it is decoded.
  std::shared_ptr<grpc_duplex> duplex;
  bool request_ended = false; ///< the client half-closed (duplex)
  bool end_delivered = false; ///< duplex->end() ran
  /// The call's answers pile up unread: its messages wait in `inbuf`, and
  /// the bytes received meanwhile (`unconsumed`) are not given back to the
  /// stream's HTTP/2 window, until the client catches up.
  bool inbound_paused = false;
  size_t unconsumed = 0;
  bool head_sent = false;
  bool started = false; ///< the service runs (unary/stream)
  bool pump_scheduled = false;
  std::shared_ptr<grpc_streamer> streamer;
  std::shared_ptr<grpc_out> out;
  /// gRPC-web or Connect (actors/http_grpc_web.cpp); unset: plain gRPC.
  std::optional<grpc::web_format> web;
  header_list cors; ///< CORS fields every answer of a browser call carries
};

/// gRPC's default receive limit; a larger request message answers
/// RESOURCE_EXHAUSTED.
inline constexpr size_t grpc_max_recv = 4u << 20;
/// Our answers' limit (a unary reply above it: RESOURCE_EXHAUSTED).
inline constexpr size_t grpc_max_send = 16u << 20;
/// Unsent answer bytes of a client-streaming/bidirectional call beyond
/// which its request messages are not taken (nor its window reopened).
inline constexpr size_t grpc_duplex_backlog = 1u << 20;

/// A refused Connect GET: the HTTP status and the Connect error to send.
struct connect_get_refusal {
  int http;
  int code;
  std::string message;
};
/// A Connect unary GET rewritten in place into the POST it stands for
/// (actors/http_connect_unary.cpp); the refusal when it is not one (405 for
/// a method with side effects, 400/415 for a malformed query).
std::optional<connect_get_refusal> connect_get_as_post(api_request& req);

/// A service asked for a compressed answer on a call whose request was
/// identity: answer in gzip if the client's accept-encoding lists it.
void grpc_settle_coding(grpc_call& c);

/// application/grpc, application/grpc+proto … (not grpc-web: that is a
/// different wire format).
bool is_grpc_request(const api_request& req);
/// gRPC-web (any application/grpc-web* type), a Connect call (its content
/// types on a gRPC method's path) or a CORS preflight for a gRPC method:
/// served by grpc_web_start, on HTTP/1.1 and HTTP/2 alike.
bool is_grpc_web_call(const api_request& req);

} // namespace detail
} // namespace themis
