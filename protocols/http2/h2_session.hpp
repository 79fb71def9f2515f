#pragma once
/// HTTP/2 server session (RFC 9113) on nghttp2: frames, HPACK, flow
/// control and stream states are nghttp2's; this adapter turns complete
/// streams into api_requests and answers (whole or streamed bodies) into
/// HEADERS and DATA. Bytes in, bytes out through the same callbacks as
/// HTTP/1.1; no sockets, no actors.

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "protocols/http1/http1_session.hpp"
#include "protocols/http_front.hpp"

typedef struct nghttp2_session nghttp2_session;

namespace themis::http2 {

struct h2_options {
  uint32_t max_concurrent_streams = 100;
  uint32_t initial_window_size = 65535;
  uint32_t max_frame_size = 16384;
  uint32_t max_header_list_size = 65536;
  uint64_t max_body_bytes = 16u << 20; ///< a larger request body: 413
  uint32_t header_timeout_ms = 10000;  ///< a stream's request headers
  uint32_t body_timeout_ms = 30000;    ///< a stream's whole request
  size_t max_headers = 100;            ///< fields per request
  /// Output pieces waiting for the socket beyond which no more frames are
  /// produced (the peer does not read): our side of flow control.
  size_t max_unsent_pieces = 64;
  /// The same in bytes: a connection's output waiting for the socket is
  /// bounded whatever the size of each piece.
  size_t max_unsent_bytes = 1u << 20;
  uint32_t idle_timeout_ms = 60000; ///< no open stream for this long
  std::string server_name = "themisd";
  std::string remote_addr;
  /// RFC 8441: SETTINGS_ENABLE_CONNECT_PROTOCOL=1, WebSocket over a stream.
  bool enable_connect_protocol = true;
  /// After an early answer (413), an announced rest of the body up to
  /// this size is read and dropped instead of RST_STREAM(NO_ERROR).
  uint64_t max_discard_bytes = 1u << 20;
  /// Pre-tunnel bytes (DATA before the handler's answer) kept at most.
  size_t max_tunnel_pending = 1u << 20;
};

class h2_session : public http_front {
public:
  /// Starts a session: our SETTINGS go out at once; the client's preface
  /// is expected first in on_data.
  h2_session(h2_options opts, http1::session_callbacks& cb);
  ~h2_session() override;

  /// h2c via `Upgrade: h2c` (RFC 7540 §3.2): the HTTP2-Settings value and
  /// the request that asked for it, which becomes stream 1 (answered with
  /// respond(1, …)). False if the settings are invalid.
  bool upgrade(std::string_view http2_settings, api_request req, bool head);
  /// Whether an HTTP2-Settings value decodes (checked before the 101).
  static bool valid_settings(std::string_view http2_settings);

  void on_data(std::string_view data) override;
  void respond(uint64_t id, api_response resp) override;
  void stream_data(uint64_t id, std::string_view bytes) override;
  void stream_end(uint64_t id) override;
  void stream_end_trailers(uint64_t id, header_list trailers) override;
  void check_timeouts() override;
  /// GOAWAY with the last stream id; open streams finish, then close.
  void drain() override;
  bool wants_read() const override {
    return !closed_ && cb_.unsent_pieces() < opts_.max_unsent_pieces &&
           cb_.unsent_bytes() < opts_.max_unsent_bytes;
  }
  /// Bytes of stream `id`'s body not yet framed (a streamed answer's
  /// queue in this session; the subscriber's bound counts it).
  size_t stream_backlog(uint64_t id) const override;
  bool multiplexed() const override { return true; }
  void consumed(uint64_t id, size_t n) override;
  /// Ends stream `id` at once with RST_STREAM(`code`) (a tunnel whose
  /// WebSocket did not close in time).
  void reset_stream(uint64_t id, uint32_t code);

  // nghttp2 callbacks (public for the C trampolines)
  struct stream {
    api_request req;
    bool head = false;
    bool bad = false;      ///< refused while receiving (answered already)
    bool bad_path = false; ///< :path did not parse: 400 at the end
    bool responded = false;
    bool request_done = false;
    bool headers_done = false;
    size_t header_bytes = 0;
    size_t header_count = 0;
    uint64_t started_ms = 0;
    std::string out; ///< response body bytes not yet framed
    size_t out_pos = 0;
    bool out_done = false; ///< nothing more will be added
    bool streaming = false;
    size_t pieces = 0;    ///< stream_data calls not yet framed
    header_list trailers; ///< sent after the body's last DATA (gRPC)
    /// Dispatched at the end of its headers; the body follows through
    /// on_request_body (gRPC).
    bool body_streamed = false;
    // RFC 8441 extended CONNECT
    bool connect = false;       ///< :method CONNECT
    std::string protocol;       ///< :protocol
    bool tunnel = false;        ///< a WebSocket tunnel request (dispatched)
    bool tunnel_open = false;   ///< answered 2xx: DATA is WebSocket bytes
    std::string tunnel_pending; ///< DATA before the answer
    /// Answered before the request ended (an early 413, a refused
    /// tunnel): RST_STREAM(NO_ERROR) once our END_STREAM is out (RFC 9113
    /// §8.1), so the client stops sending.
    bool reset_after_end = false;
  };
  /// Before nghttp2 handles a frame: stream-id rules nghttp2 leaves out
  /// (RFC 9113 §5.1.1). Nonzero: the connection error to end with.
  int on_begin_frame(uint8_t type, int32_t id);
  void on_frame_sent(uint8_t type, uint8_t flags, int32_t id);
  int on_begin_headers(int32_t id);
  int on_header(int32_t id, std::string_view name, std::string_view value);
  int on_data_chunk(int32_t id, const uint8_t* data, size_t len);
  int on_request_done(int32_t id);
  void on_headers_done(int32_t id);
  int on_stream_close(int32_t id, uint32_t code);
  long read_body(int32_t id, uint8_t* buf, size_t len, uint32_t* flags);

private:
  void flush();
  void fail_stream(int32_t id, int status, const std::string& why);
  void submit(int32_t id, const api_response& resp, bool head);
  void submit_trailers(int32_t id, stream& st);
  /// Extended CONNECT at the end of its headers (h2_tunnel.cpp).
  void start_connect(int32_t id, stream& st);
  /// A tunnel request's answer: a 101 opens the tunnel as a 200.
  void respond_tunnel(int32_t id, stream& st, api_response resp);
  void tunnel_data(int32_t id, stream& st, std::string_view bytes);
  /// Remembers a closed stream id (bounded) for on_begin_frame.
  void remember_closed(int32_t id, bool reset_by_us);
  const std::string& date();

  h2_options opts_;
  http1::session_callbacks& cb_;
  nghttp2_session* s_ = nullptr;
  std::map<int32_t, stream> streams_;
  bool closed_ = false;
  bool draining_ = false;
  /// The connection error a callback asked for (0: nghttp2's own).
  uint32_t conn_error_ = 0;
  std::string conn_error_why_;
  int32_t highest_seen_ = 0; ///< highest client stream id with HEADERS
  /// Recently closed stream ids and whether we reset them (frames on
  /// those are ignored, RFC 9113 §5.1 "closed"); bounded.
  std::deque<std::pair<int32_t, bool>> recent_closed_;
  uint64_t idle_since_ms_ = 0;
  int64_t date_second_ = -1;
  std::string date_;
};

} // namespace themis::http2
