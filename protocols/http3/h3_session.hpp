#pragma once
/// HTTP/3 server session (RFC 9114) over one QUIC connection (RFC 9000):
/// ngtcp2 does QUIC (packets, loss recovery, congestion control, flow
/// control, connection IDs, path migration), GnuTLS its TLS 1.3 handshake,
/// nghttp3 the HTTP/3 framing and QPACK. This adapter turns request streams
/// into api_requests and answers (whole or streamed) into HEADERS and DATA,
/// through the same http_front interface as h1/h2: datagrams in, datagrams
/// out plus a timer; no sockets, no actors.

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "protocols/http1/http1_session.hpp"
#include "protocols/http3/h3_tls.hpp"
#include "protocols/http_front.hpp"

typedef struct ngtcp2_conn ngtcp2_conn;
typedef struct nghttp3_conn nghttp3_conn;

namespace themis::http3 {

struct h3_options {
  uint32_t max_streams = 100;          ///< concurrent request streams
  uint64_t max_data = 16u << 20;       ///< connection flow-control window
  uint64_t max_stream_data = 1u << 20; ///< per-stream flow-control window
  uint32_t idle_timeout_ms = 60000;
  uint32_t handshake_timeout_ms = 10000;
  uint64_t max_body_bytes = 16u << 20; ///< a larger request body: 413
  uint32_t max_header_list_size = 65536;
  size_t max_headers = 100;
  /// QPACK dynamic table we let the client's encoder use (bytes), and
  /// streams that may wait on it: bounded memory per connection.
  size_t qpack_max_dtable = 4096;
  size_t qpack_blocked_streams = 16;
  std::string cc = "cubic"; ///< cubic | reno | bbr | bbr2
  /// RFC 9220: SETTINGS_ENABLE_CONNECT_PROTOCOL=1, WebSocket on a request
  /// stream (extended CONNECT), as h2_options has it for RFC 8441.
  bool enable_connect_protocol = true;
  /// Tunnel bytes (DATA before the handler's answer) kept at most.
  size_t max_tunnel_pending = 1u << 20;
  std::string server_name = "themisd";
  std::string remote_addr; ///< for logs and api_request::remote_addr
  /// Secret for stateless-reset tokens (same one the endpoint uses).
  std::string static_secret;
};

/// What the session needs from its owner: the HTTP callbacks plus
/// datagram output and the connection IDs it issues (the demux table).
class h3_callbacks : public http1::session_callbacks {
public:
  void send(std::string) override {} // (datagrams go through send_to)
  /// One UDP datagram to `remote` (raw sockaddr bytes).
  virtual void send_to(std::string_view remote, std::string datagram) = 0;
  /// A connection ID of ours the peer may use (added) or no longer uses.
  virtual void on_cid(std::string_view cid, bool added) {}
  /// The handshake finished (metrics).
  virtual void on_handshake() {}
  /// Monotonic nanoseconds (QUIC's clock); tests may inject it.
  virtual uint64_t now_ns() { return now_ms() * 1000000ull; }
};

/// The client's first Initial packet header (from h3_endpoint::classify).
struct initial_info {
  std::string dcid, scid; ///< as the client sent them
  std::string ocid;       ///< after a Retry: the original DCID, else ""
  std::string token;
  uint32_t version = 1;
  std::string local, remote; ///< raw sockaddr bytes
};

class h3_session : public http_front {
public:
  h3_session(h3_options opts, h3_callbacks& cb,
             std::shared_ptr<const tls_credentials> creds,
             const initial_info& first);
  ~h3_session() override;
  h3_session(const h3_session&) = delete;
  h3_session& operator=(const h3_session&) = delete;

  /// False if setting up failed (bad credentials): drop the connection.
  bool ok() const { return conn_ != nullptr; }
  /// Our first connection ID (the demux key besides the client's DCID).
  const std::string& scid() const { return scid_; }

  /// One received datagram on the path local <- remote.
  void on_packet(std::string_view local, std::string_view remote,
                 std::string_view pkt);
  /// While held, answers wait: the owner feeds several datagrams read
  /// in one go, then releases, and one write pass sends what they all
  /// produced (fewer, fuller datagrams; one ACK for the lot).
  void hold_writes(bool hold) {
    hold_writes_ = hold;
    if (!hold)
      write();
  }
  /// When the timer should fire (now_ns clock); UINT64_MAX for never.
  uint64_t expiry_ns() const;
  /// The timer fired: retransmissions, idle timeout, pacing, closing.
  void on_expiry();
  /// Nothing more to do: the owner removes the connection.
  bool finished() const { return finished_; }
  /// Whether the handshake completed.
  bool established() const { return handshake_done_; }
  /// Smoothed RTT and the congestion-controller's PTO count (metrics).
  uint64_t smoothed_rtt_ns() const;

  // http_front
  /// A datagram on the connection's current path (fuzzing, tests).
  void on_data(std::string_view data) override;
  void respond(uint64_t id, api_response resp) override;
  void stream_data(uint64_t id, std::string_view bytes) override;
  void stream_end(uint64_t id) override;
  void check_timeouts() override;
  /// GOAWAY; open streams finish, then CONNECTION_CLOSE(H3_NO_ERROR).
  void drain() override;
  bool wants_read() const override { return !finished_; }
  size_t stream_backlog(uint64_t id) const override;
  bool multiplexed() const override { return true; }
  /// Resets stream `id` both ways (a WebSocket tunnel whose wire actor
  /// aborted or did not close in time); `code` is RFC 9113's (CANCEL),
  /// sent as its HTTP/3 equivalent (H3_REQUEST_CANCELLED).
  void reset_stream(uint64_t id, uint32_t code);

  // callbacks from the C trampolines (h3_callbacks.cpp)
  struct stream {
    api_request req;
    bool head = false;
    bool bad = false;   ///< refused while receiving (answered already)
    int bad_status = 0; ///< answer this at the end of the request
    std::string bad_why;
    bool responded = false;
    bool request_done = false;
    size_t header_bytes = 0;
    size_t header_count = 0;
    /// Response body pieces: nghttp3 keeps pointers into handed-out
    /// pieces until the peer acknowledges them, so pieces never move (a
    /// deque's elements stay put on push_back / pop_front).
    std::deque<std::string> out;
    size_t handed = 0;     ///< pieces of `out` given to nghttp3
    uint64_t acked = 0;    ///< acknowledged bytes of out.front()
    uint64_t unacked = 0;  ///< bytes in `out` not acknowledged
    bool out_done = false; ///< nothing more will be added
    bool eof_sent = false;
    // RFC 9220 extended CONNECT (h3_tunnel.cpp)
    bool connect = false;       ///< :method CONNECT
    std::string protocol;       ///< :protocol
    bool tunnel = false;        ///< a WebSocket tunnel request (dispatched)
    bool tunnel_open = false;   ///< answered 2xx: DATA is WebSocket bytes
    std::string tunnel_pending; ///< DATA before the answer
  };
  int setup_http();
  int on_stream_data(int64_t id, bool fin, const uint8_t* data, size_t len);
  int on_acked_stream(int64_t id, uint64_t len);
  int on_stream_close(int64_t id, uint64_t app_error);
  int on_stream_reset(int64_t id);
  int on_new_cid(uint8_t* cid, uint8_t* token, size_t len);
  void on_remove_cid(std::string_view cid);
  void on_handshake_completed();
  void consume(int64_t id, size_t n);
  void on_begin_headers(int64_t id);
  /// The request's header section is complete: an extended CONNECT is
  /// dispatched now (its DATA is the tunnel), others at their FIN.
  void on_end_headers(int64_t id);
  void on_header(int64_t id, int32_t token, std::string_view name,
                 std::string_view value);
  void on_body(int64_t id, const uint8_t* data, size_t len);
  void on_request_done(int64_t id);
  void on_http_stream_close(int64_t id);
  long read_body(int64_t id, void* vec, size_t veccnt, uint32_t* flags);
  void on_body_acked(int64_t id, uint64_t len);
  ngtcp2_conn* conn() const { return conn_; }
  nghttp3_conn* http() const { return h3_; }

private:
  void write();
  void fail_stream(int64_t id, int status, const std::string& why);
  void submit(int64_t id, stream& st, const api_response& resp);
  // RFC 9220 (h3_tunnel.cpp)
  void start_connect(int64_t id, stream& st);
  /// A tunnel request's answer: a 101 opens the tunnel as a 200.
  void respond_tunnel(int64_t id, stream& st, api_response resp);
  void tunnel_data(int64_t id, stream& st, std::string_view bytes);
  /// After an answer that ends the request early: STOP_SENDING.
  void stop_reading(int64_t id);
  /// Enters the closing period with CONNECTION_CLOSE carrying the error
  /// set in last_error_ (a QUIC transport or H3 application code).
  void close_with_error();
  /// Sets an HTTP/3 application error code for the CONNECTION_CLOSE.
  void set_app_error(uint64_t code);
  void start_closing_period();
  void start_draining_period();
  void handle_liberr(int rv);
  uint64_t now() const { return cb_.now_ns(); }
  const std::string& date();

  h3_options opts_;
  h3_callbacks& cb_;
  std::shared_ptr<const tls_credentials> creds_;
  tls_session tls_;
  ngtcp2_conn* conn_ = nullptr;
  nghttp3_conn* h3_ = nullptr;
  std::string scid_;
  std::string local_, remote_; ///< the path of the last datagram
  std::map<int64_t, stream> streams_;
  /// Error for CONNECTION_CLOSE (ngtcp2_connection_close_error).
  struct close_error;
  std::unique_ptr<close_error> last_error_;
  std::string close_packet_; ///< resent while closing
  uint64_t close_deadline_ = 0;
  bool closing_ = false;  ///< we sent CONNECTION_CLOSE
  bool draining_ = false; ///< the peer closed: we stay silent
  bool finished_ = false;
  bool shutting_down_ = false; ///< drain(): GOAWAY sent
  /// When the peer last sent a packet, and when drain() began: a draining
  /// connection whose peer stays silent (a killed client never acknowledges
  /// its streams' end) is closed instead of holding the drain to its
  /// deadline.
  uint64_t last_rx_ns_ = 0, drain_at_ns_ = 0;
  /// Past this, a draining connection with a silent peer closes.
  uint64_t silent_drain_deadline() const;
  bool handshake_done_ = false;
  bool in_write_ = false;
  bool in_read_ = false;     ///< inside ngtcp2_conn_read_pkt: writes wait
  bool hold_writes_ = false; ///< hold_writes(true): writes wait
  int64_t date_second_ = -1;
  std::string date_;
};

} // namespace themis::http3
