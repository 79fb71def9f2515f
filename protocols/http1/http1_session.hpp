#pragma once
/// HTTP/1.1 server session: keep-alive, pipelining with in-order responses,
/// Expect: 100-continue, timeouts (slowloris), draining. Frames in, typed
/// requests out through `session_callbacks`; no sockets, no actors, so a
/// test drives it with a recording fake.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/http1/request_parser.hpp"
#include "protocols/http_front.hpp"
#include "protocols/small_fifo.hpp"
#include "themis/api_message.hpp"

namespace themis::http1 {

class session_callbacks {
public:
  virtual ~session_callbacks() = default;
  /// A complete request; answer it with `respond(id, …)`, in any order.
  virtual void on_request(uint64_t id, api_request req) = 0;
  /// Bytes to write, in order.
  virtual void send(std::string bytes) = 0;
  /// Close the connection once everything sent so far is written.
  virtual void close() = 0;
  /// Monotonic milliseconds (injected so tests control time).
  virtual uint64_t now_ms() = 0;
  /// The session answered a protocol error (400, 408, 413, 431 …) and
  /// will close; for metrics and logs.
  virtual void on_protocol_error(int status, const std::string& reason) {}
  /// A 101 answer was sent: the connection now speaks another protocol;
  /// `leftover` holds bytes already received after the request.
  virtual void on_upgraded(std::string leftover) {}
  /// HTTP/2: the client reset stream `id` (or it closed before our answer
  /// ended): whatever still produces its answer can stop.
  virtual void on_stream_reset(uint64_t id) {}
  /// Pieces written but not yet on the socket (HTTP/2 backpressure).
  virtual size_t unsent_pieces() const { return 0; }
  /// Bytes written but not yet on the socket (HTTP/2 backpressure).
  virtual size_t unsent_bytes() const { return 0; }
  /// HTTP/2 (gRPC, issue 20): whether this request's body is handed on as
  /// it arrives (on_request at the end of its headers, then
  /// on_request_body) instead of whole.
  virtual bool wants_request_stream(const api_request& req) { return false; }
  /// A piece of a streamed request body; `end`: the client half-closed.
  virtual void on_request_body(uint64_t id, std::string_view bytes, bool end) {}
  /// HTTP/2 extended CONNECT (RFC 8441): stream `id` now carries a
  /// WebSocket (its 101 went out as a 200); its DATA follows through
  /// on_tunnel_data, our bytes go back through stream_data/stream_end.
  virtual void on_tunnel_open(uint64_t id) {}
  /// Bytes of an open tunnel, in order; `end`: the client half-closed.
  virtual void on_tunnel_data(uint64_t id, std::string_view bytes, bool end) {}
};

struct session_options {
  parser_limits limits;
  size_t max_pipelined = 32;
  uint32_t header_timeout_ms = 10000;
  uint32_t body_timeout_ms = 30000;
  uint32_t idle_timeout_ms = 60000;
  /// After drain(), an idle connection stays open this long: a keep-alive
  /// client may already have sent its next request, which is then answered
  /// (with Connection: close) instead of lost in a close race.
  uint32_t drain_grace_ms = 500;
  std::string server_name = "themisd";
  std::string remote_addr;
};

class http1_session : public http_front {
public:
  http1_session(session_options opts, session_callbacks& cb);

  /// Bytes from the peer.
  void on_data(std::string_view data) override;

  /// Answer for request `id` (from on_request). Sent as soon as every
  /// earlier response was sent (RFC 9112 §9.3.2 pipelining order).
  void respond(uint64_t id, api_response resp) override;

  /// Body pieces of a streamed answer (`respond` with `stream` set), sent
  /// once every earlier answer is out; `stream_end` finishes the body.
  void stream_data(uint64_t id, std::string_view bytes) override;
  void stream_end(uint64_t id) override;

  /// Called periodically; answers 408 or closes idle connections.
  void check_timeouts() override;

  /// Stop taking new requests: the last in-flight response carries
  /// `Connection: close`; an idle connection closes now.
  void drain() override;

  /// The peer half-closed (EOF on read): the requests it completed are
  /// still answered, the last with `Connection: close`, then the session
  /// closes; a request cut short is dropped. Nothing owed: close now.
  void on_peer_eof();

  /// True while the session wants more bytes from the socket.
  bool wants_read() const override {
    return !closing_ && in_flight_.size() < opts_.max_pipelined &&
           !stream_at_front() && !upgrade_pending_;
  }

  /// Bytes of a streamed answer buffered here because earlier answers
  /// are still owed (part of the subscriber's queue).
  size_t stream_backlog(uint64_t id) const override;
  bool closing() const { return closing_; }
  bool idle() const { return in_flight_.empty() && !parser_.in_progress(); }
  size_t in_flight() const { return in_flight_.size(); }

private:
  struct entry {
    uint64_t id;
    bool head = false;
    bool keep_alive = true;
    int version_minor = 1;
    std::optional<api_response> response;
    bool head_sent = false;    ///< streamed answer: head written
    bool stream_done = false;  ///< streamed answer: stream_end called
    std::string stream_buffer; ///< body pieces waiting for their turn
    size_t stream_pieces = 0;  ///< stream_data calls in stream_buffer
  };

  void parse_buffered();
  void parse_loop();
  bool stream_at_front() const;
  void dispatch(http_request&& req);
  void fail(int status, const std::string& reason);
  void answer_error(entry& e, int status, const std::string& reason);
  void flush();
  const std::string& date();

  session_options opts_;
  session_callbacks& cb_;
  request_parser parser_;
  std::string inbuf_;
  size_t inbuf_pos_ = 0;
  small_fifo<entry> in_flight_; ///< dispatched, answered in order
  uint64_t next_id_ = 0;
  bool closing_ = false; ///< no more requests will be read
  bool close_sent_ = false;
  bool draining_ = false;
  uint64_t drain_since_ms_ = 0;
  bool continue_sent_ = false;
  bool parsing_ = false;
  bool upgrade_pending_ = false; ///< an Upgrade request awaits its answer
  bool upgraded_ = false;
  bool dispatch_stopped_ = false; ///< drain: answer what is owed, no more
  bool peer_eof_ = false;         ///< the peer will send nothing more
  bool reparse_ = false;
  uint64_t request_start_ms_ = 0;
  uint64_t head_done_ms_ = 0;
  uint64_t idle_since_ms_ = 0;
  int64_t date_second_ = -1;
  std::string date_;
};

/// Splits a request-target into a percent-decoded path and a raw query.
/// Returns false for targets that are not origin-, absolute- or
/// asterisk-form, or whose path decodes to a NUL byte.
bool split_target(std::string_view target, std::string& path,
                  std::string& query);

/// `{"error":true,"message":…,"status_code":N}` — ThemisDB's error body.
std::string error_body(int status, std::string_view message);

} // namespace themis::http1
