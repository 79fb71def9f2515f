#pragma once
/// The RFC 9220 test client's state (tests/clients/h3_ws_client.cpp: the
/// WebSocket side and the main loop; h3_ws_quic.cpp: QUIC, TLS and HTTP/3
/// on ngtcp2 + nghttp3 + GnuTLS).

#include <chrono>
#include <cstdio>
#include <deque>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <string>
#include <sys/socket.h>
#include <utility>
#include <vector>

#include "protocols/websocket/frame_codec.hpp"

namespace h3ws {

using namespace themis;

inline uint64_t now_ns() {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now().time_since_epoch())
      .count());
}

struct client {
  int fd = -1;
  sockaddr_storage local{}, remote{};
  socklen_t local_len = sizeof local, remote_len = sizeof remote;
  ngtcp2_conn* conn = nullptr;
  nghttp3_conn* h3 = nullptr;
  gnutls_session_t tls = nullptr;
  gnutls_certificate_credentials_t cred = nullptr;
  ngtcp2_crypto_conn_ref ref{};
  std::string host, path = "/mqtt", protocol = "websocket", subprotocol;
  bool no_path = false;
  /// More request header fields (`--header "name: value"`).
  std::vector<std::pair<std::string, std::string>> extra;
  bool paused = false; ///< `pause`: the socket is not read (a slow reader)
  int64_t sid = -1;
  bool submitted = false, done = false;
  /// Our WebSocket frames: nghttp3 keeps pointers until acknowledged; a
  /// test connection is short, so pieces stay (a deque never moves them).
  std::deque<std::string> out;
  size_t handed = 0;
  bool out_eof = false;
  bool close_sent = false; ///< our close frame is out, theirs awaited
  std::string in;          ///< server bytes not yet a whole frame
  int status = 0;

  void line(const std::string& s) {
    std::printf("%s\n", s.c_str());
    std::fflush(stdout);
  }
  void send_frame(ws::opcode op, std::string_view payload);
  /// RFC 6455 §5.5.1: a close not started by us is answered with one;
  /// either way our FIN then ends the stream's sending side (RFC 9220
  /// §4: the FIN is the TCP close after the close handshake).
  void on_close(std::string_view payload);
  void on_ws_bytes(std::string_view b);
  /// RFC 9220 §3: the server's SETTINGS (its control stream, the first
  /// server-initiated unidirectional stream, id 3) must carry
  /// SETTINGS_ENABLE_CONNECT_PROTOCOL (0x08) = 1; nghttp3 0.8 keeps the
  /// value to itself, so the client reads the frame before nghttp3 does.
  void peek_settings(int64_t id, const uint8_t* d, size_t n, uint64_t off);
  /// The extended CONNECT, once the handshake is done.
  void submit();
  /// Socket, TLS session and QUIC connection to host:port.
  bool connect(const std::string& port);
  /// CONNECTION_CLOSE(H3_NO_ERROR): the server forgets us at once.
  void close_connection();
  /// nghttp3's data reader of the CONNECT stream: our frames in `out`.
  static nghttp3_ssize read_data(nghttp3_conn*, int64_t, nghttp3_vec* vec,
                                 size_t veccnt, uint32_t* flags, void* u,
                                 void*);
  client() = default;
  client(const client&) = delete;
  client& operator=(const client&) = delete;
  ~client();
  int setup_http();
  bool write();
  bool read();
};

} // namespace h3ws
