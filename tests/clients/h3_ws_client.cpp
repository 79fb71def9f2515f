/// Test client for WebSocket over HTTP/3 (RFC 9220), on ngtcp2 0.12 +
/// nghttp3 0.8 + GnuTLS like the server (Debian 12 has no client that
/// sends `:protocol` over HTTP/3: docs/http3.md). One QUIC connection,
/// one extended CONNECT; then the request stream carries WebSocket frames
/// (masked, RFC 6455 §5.3) that protocols/websocket's codec writes and
/// reads. The wire protocol on top (MQTT, PostgreSQL) is the caller's:
///
///   stdin  `send HEX`  one binary message
///          `close`     close frame; FIN after the server's close frame
///   stdout `settings connect_protocol=N`, `status N`, `header K: V`,
///          `open` (a 200) or `answered`, `body TEXT` (a refusal's),
///          `recv HEX` (one binary message), `wsclose CODE`,
///          `reset CODE` (the server reset the stream), `fin`, `end`
///
/// h3_ws_client HOST PORT [--path P] [--protocol websocket|none]
///   [--subprotocol S] [--no-path] [--timeout SECONDS]
/// Exit: 0 after the stream ended, 2 on a connection error, 3 on timeout.

#include <arpa/inet.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "protocols/websocket/frame_codec.hpp"

namespace {

using namespace themis;

uint64_t now_ns() {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now().time_since_epoch())
      .count());
}

std::string hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string unhex(std::string_view s) {
  std::string out;
  for (size_t i = 0; i + 1 < s.size(); i += 2)
    out +=
      static_cast<char>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16));
  return out;
}

/// The frame at the start of `in` with a mask added (key `key`): a client
/// frame for the codec's encoder output, and, with a zero key, the
/// server's unmasked frames in the form decode_frame reads. 0: incomplete.
size_t add_mask(std::string_view in, const uint8_t key[4], std::string& out) {
  if (in.size() < 2)
    return 0;
  size_t len7 = static_cast<uint8_t>(in[1]) & 0x7f;
  size_t hdr = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
  if (in.size() < hdr)
    return 0;
  uint64_t len = len7;
  if (len7 >= 126) {
    len = 0;
    for (size_t i = 2; i < hdr; ++i)
      len = (len << 8) | static_cast<uint8_t>(in[i]);
  }
  if (in.size() < hdr + len)
    return 0;
  out.assign(in.substr(0, hdr));
  out[1] = static_cast<char>(out[1] | 0x80);
  out.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < len; ++i)
    out += static_cast<char>(in[hdr + i] ^ key[i % 4]);
  return hdr + len;
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
  int64_t sid = -1;
  bool submitted = false, done = false, failed = false;
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
  void send_frame(ws::opcode op, std::string_view payload) {
    std::string plain, masked;
    if (op == ws::opcode::close)
      ws::encode_close(1000, "", plain);
    else
      ws::encode_frame(op, payload, true, plain);
    uint8_t key[4];
    gnutls_rnd(GNUTLS_RND_NONCE, key, 4);
    add_mask(plain, key, masked);
    out.push_back(std::move(masked));
    if (h3 && sid >= 0)
      nghttp3_conn_resume_stream(h3, sid);
  }
  /// RFC 6455 §5.5.1: a close not started by us is answered with one;
  /// either way our FIN then ends the stream's sending side (RFC 9220
  /// §4: the FIN is the TCP close after the close handshake).
  void on_close(std::string_view payload) {
    line("wsclose " +
         std::to_string(payload.size() >= 2
                          ? (static_cast<uint8_t>(payload[0]) << 8) |
                              static_cast<uint8_t>(payload[1])
                          : 1005));
    if (!close_sent)
      send_frame(ws::opcode::close, {});
    close_sent = out_eof = true; // (our FIN follows the close frames)
    if (h3 && sid >= 0)
      nghttp3_conn_resume_stream(h3, sid);
  }
  void on_ws_bytes(std::string_view b) {
    in.append(b);
    static const uint8_t zero[4] = {0, 0, 0, 0};
    ws::codec_limits lim;
    lim.max_frame_payload = 64u << 20;
    for (;;) {
      std::string masked;
      size_t n = add_mask(in, zero, masked);
      if (!n)
        return;
      ws::frame f;
      auto r = ws::decode_frame(masked, lim, f);
      in.erase(0, n);
      if (r.status != ws::decode_status::ok) {
        line(std::string("wserror ") + r.reason);
        continue;
      }
      if (f.op == ws::opcode::binary || f.op == ws::opcode::text)
        line("recv " + hex(f.payload));
      else if (f.op == ws::opcode::close)
        on_close(f.payload);
      else if (f.op == ws::opcode::ping)
        send_frame(ws::opcode::pong, f.payload);
    }
  }
  /// RFC 9220 §3: the server's SETTINGS (its control stream, the first
  /// server-initiated unidirectional stream, id 3) must carry
  /// SETTINGS_ENABLE_CONNECT_PROTOCOL (0x08) = 1; nghttp3 0.8 keeps the
  /// value to itself, so the client reads the frame before nghttp3 does.
  void peek_settings(int64_t id, const uint8_t* d, size_t n, uint64_t off) {
    if (id != 3 || off != 0)
      return;
    size_t p = 0;
    auto varint = [&](uint64_t& v) {
      if (p >= n)
        return false;
      size_t len = size_t(1) << (d[p] >> 6);
      if (p + len > n)
        return false;
      v = d[p] & 0x3f;
      for (size_t i = 1; i < len; ++i)
        v = (v << 8) | d[p + i];
      p += len;
      return true;
    };
    uint64_t type, ftype, flen, value = 0;
    if (!varint(type) || type != 0 || !varint(ftype) || ftype != 4 ||
        !varint(flen))
      return;
    size_t end = std::min(n, p + flen);
    while (p < end) {
      uint64_t k, v;
      if (!varint(k) || !varint(v))
        break;
      if (k == 0x08)
        value = v;
    }
    line("settings connect_protocol=" + std::to_string(value));
  }
  void submit() {
    if (submitted || !h3 || !ngtcp2_conn_get_handshake_completed(conn))
      return;
    if (ngtcp2_conn_open_bidi_stream(conn, &sid, nullptr) != 0)
      return;
    submitted = true;
    std::vector<std::pair<std::string, std::string>> hs = {
      {":method", "CONNECT"}};
    if (protocol != "none") { // (a proxy's CONNECT has neither, §4.4)
      hs.emplace_back(":protocol", protocol);
      hs.emplace_back(":scheme", "https");
      if (!no_path)
        hs.emplace_back(":path", path);
    }
    hs.emplace_back(":authority", host);
    hs.emplace_back("sec-websocket-version", "13");
    if (!subprotocol.empty())
      hs.emplace_back("sec-websocket-protocol", subprotocol);
    std::vector<nghttp3_nv> nva;
    for (auto& [k, v] : hs)
      nva.push_back({reinterpret_cast<uint8_t*>(k.data()),
                     reinterpret_cast<uint8_t*>(v.data()), k.size(), v.size(),
                     NGHTTP3_NV_FLAG_NONE});
    nghttp3_data_reader dr{read_data};
    nghttp3_conn_submit_request(h3, sid, nva.data(), nva.size(), &dr, nullptr);
  }
  static nghttp3_ssize read_data(nghttp3_conn*, int64_t, nghttp3_vec* vec,
                                 size_t veccnt, uint32_t* flags, void* u,
                                 void*) {
    auto* c = static_cast<client*>(u);
    size_t n = 0;
    while (n < veccnt && c->handed < c->out.size()) {
      auto& piece = c->out[c->handed++];
      vec[n++] = {reinterpret_cast<uint8_t*>(piece.data()), piece.size()};
    }
    if (c->handed == c->out.size() && c->out_eof)
      *flags |= NGHTTP3_DATA_FLAG_EOF;
    else if (n == 0)
      return NGHTTP3_ERR_WOULDBLOCK;
    return static_cast<nghttp3_ssize>(n);
  }
  int setup_http();
  bool write();
  bool read();
};

client* of(void* u) {
  return static_cast<client*>(u);
}

// -- nghttp3 ------------------------------------------------------------------

int h_header(nghttp3_conn*, int64_t, int32_t token, nghttp3_rcbuf* name,
             nghttp3_rcbuf* value, uint8_t, void* u, void*) {
  auto n = nghttp3_rcbuf_get_buf(name);
  auto v = nghttp3_rcbuf_get_buf(value);
  std::string k(reinterpret_cast<char*>(n.base), n.len);
  std::string val(reinterpret_cast<char*>(v.base), v.len);
  if (token == NGHTTP3_QPACK_TOKEN__STATUS) {
    of(u)->status = std::stoi(val);
    of(u)->line("status " + val);
  } else {
    of(u)->line("header " + k + ": " + val);
  }
  return 0;
}

int h_end_headers(nghttp3_conn*, int64_t, int, void* u, void*) {
  of(u)->line(of(u)->status == 200 ? "open" : "answered");
  return 0;
}

int h_data(nghttp3_conn*, int64_t id, const uint8_t* d, size_t n, void* u,
           void*) {
  auto* c = of(u);
  ngtcp2_conn_extend_max_stream_offset(c->conn, id, n);
  ngtcp2_conn_extend_max_offset(c->conn, n);
  if (c->status == 200)
    c->on_ws_bytes({reinterpret_cast<const char*>(d), n});
  else
    c->line("body " + std::string(reinterpret_cast<const char*>(d), n));
  return 0;
}

int h_deferred(nghttp3_conn*, int64_t id, size_t n, void* u, void*) {
  ngtcp2_conn_extend_max_stream_offset(of(u)->conn, id, n);
  ngtcp2_conn_extend_max_offset(of(u)->conn, n);
  return 0;
}

int h_end_stream(nghttp3_conn*, int64_t, void* u, void*) {
  of(u)->line("fin");
  return 0;
}

int h_stream_close(nghttp3_conn*, int64_t id, uint64_t code, void* u, void*) {
  auto* c = of(u);
  if (id == c->sid) {
    if (code != NGHTTP3_H3_NO_ERROR)
      c->line("reset " + std::to_string(code));
    c->done = true;
  }
  return 0;
}

int h_stop_sending(nghttp3_conn*, int64_t id, uint64_t code, void* u, void*) {
  ngtcp2_conn_shutdown_stream_read(of(u)->conn, id, code);
  return 0;
}

int h_reset_stream(nghttp3_conn*, int64_t id, uint64_t code, void* u, void*) {
  ngtcp2_conn_shutdown_stream_write(of(u)->conn, id, code);
  return 0;
}

// -- ngtcp2 -------------------------------------------------------------------

int q_stream_data(ngtcp2_conn*, uint32_t flags, int64_t id, uint64_t off,
                  const uint8_t* d, size_t n, void* u, void*) {
  auto* c = of(u);
  c->peek_settings(id, d, n, off);
  if (!c->h3)
    return 0;
  auto rv = nghttp3_conn_read_stream(c->h3, id, d, n,
                                     flags & NGTCP2_STREAM_DATA_FLAG_FIN);
  if (rv < 0) {
    c->line("h3error " + std::string(nghttp3_strerror(static_cast<int>(rv))));
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  ngtcp2_conn_extend_max_stream_offset(c->conn, id, static_cast<size_t>(rv));
  ngtcp2_conn_extend_max_offset(c->conn, static_cast<size_t>(rv));
  return 0;
}

int q_acked(ngtcp2_conn*, int64_t id, uint64_t, uint64_t len, void* u, void*) {
  return of(u)->h3 && nghttp3_conn_add_ack_offset(of(u)->h3, id, len) != 0
           ? NGTCP2_ERR_CALLBACK_FAILURE
           : 0;
}

int q_stream_close(ngtcp2_conn*, uint32_t flags, int64_t id, uint64_t code,
                   void* u, void*) {
  if (!(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET))
    code = NGHTTP3_H3_NO_ERROR;
  if (of(u)->h3)
    nghttp3_conn_close_stream(of(u)->h3, id, code);
  return 0;
}

int q_stream_reset(ngtcp2_conn*, int64_t id, uint64_t, uint64_t code, void* u,
                   void*) {
  auto* c = of(u);
  if (id == c->sid)
    c->line("reset " + std::to_string(code));
  if (c->h3)
    nghttp3_conn_shutdown_stream_read(c->h3, id);
  return 0;
}

int q_stop_sending(ngtcp2_conn*, int64_t id, uint64_t code, void* u, void*) {
  auto* c = of(u);
  if (id == c->sid)
    c->line("stop_sending " + std::to_string(code));
  if (c->h3)
    nghttp3_conn_shutdown_stream_read(c->h3, id);
  return 0;
}

int q_extend_stream(ngtcp2_conn*, int64_t id, uint64_t, void* u, void*) {
  if (of(u)->h3)
    nghttp3_conn_unblock_stream(of(u)->h3, id);
  return 0;
}

void q_rand(uint8_t* d, size_t n, const ngtcp2_rand_ctx*) {
  gnutls_rnd(GNUTLS_RND_RANDOM, d, n);
}

int q_new_cid(ngtcp2_conn*, ngtcp2_cid* cid, uint8_t* token, size_t len,
              void*) {
  gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, len);
  cid->datalen = len;
  gnutls_rnd(GNUTLS_RND_RANDOM, token, NGTCP2_STATELESS_RESET_TOKENLEN);
  return 0;
}

int q_rx_key(ngtcp2_conn*, ngtcp2_crypto_level level, void* u) {
  if (level != NGTCP2_CRYPTO_LEVEL_APPLICATION)
    return 0;
  return of(u)->setup_http() == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

int client::setup_http() {
  nghttp3_callbacks cb{};
  cb.recv_header = h_header;
  cb.end_headers = h_end_headers;
  cb.recv_data = h_data;
  cb.deferred_consume = h_deferred;
  cb.end_stream = h_end_stream;
  cb.stream_close = h_stream_close;
  cb.stop_sending = h_stop_sending;
  cb.reset_stream = h_reset_stream;
  nghttp3_settings s;
  nghttp3_settings_default(&s);
  if (nghttp3_conn_client_new(&h3, &cb, &s, nghttp3_mem_default(), this) != 0)
    return -1;
  int64_t ctrl, enc, dec;
  if (ngtcp2_conn_open_uni_stream(conn, &ctrl, nullptr) != 0 ||
      nghttp3_conn_bind_control_stream(h3, ctrl) != 0 ||
      ngtcp2_conn_open_uni_stream(conn, &enc, nullptr) != 0 ||
      ngtcp2_conn_open_uni_stream(conn, &dec, nullptr) != 0 ||
      nghttp3_conn_bind_qpack_streams(h3, enc, dec) != 0)
    return -1;
  return 0;
}

bool client::write() {
  submit();
  uint8_t buf[1452];
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  for (;;) {
    int64_t stream_id = -1;
    int fin = 0;
    nghttp3_vec vec[16];
    nghttp3_ssize nvec = 0;
    if (h3 && ngtcp2_conn_get_max_data_left(conn)) {
      nvec = nghttp3_conn_writev_stream(h3, &stream_id, &fin, vec, 16);
      if (nvec < 0)
        return false;
    }
    ngtcp2_ssize ndatalen = -1;
    uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    if (fin)
      flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    ngtcp2_pkt_info pi;
    auto n = ngtcp2_conn_writev_stream(conn, &ps.path, &pi, buf, sizeof buf,
                                       &ndatalen, flags, stream_id,
                                       reinterpret_cast<const ngtcp2_vec*>(vec),
                                       static_cast<size_t>(nvec), now_ns());
    if (n < 0) {
      if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
        nghttp3_conn_block_stream(h3, stream_id);
        continue;
      }
      if (n == NGTCP2_ERR_STREAM_SHUT_WR) {
        nghttp3_conn_shutdown_stream_write(h3, stream_id);
        continue;
      }
      if (n == NGTCP2_ERR_WRITE_MORE) {
        nghttp3_conn_add_write_offset(h3, stream_id,
                                      static_cast<size_t>(ndatalen));
        continue;
      }
      line("quicerror " + std::string(ngtcp2_strerror(static_cast<int>(n))));
      return false;
    }
    if (ndatalen >= 0 && stream_id >= 0)
      nghttp3_conn_add_write_offset(h3, stream_id,
                                    static_cast<size_t>(ndatalen));
    if (n == 0)
      break;
    ::send(fd, buf, static_cast<size_t>(n), 0);
  }
  ngtcp2_conn_update_pkt_tx_time(conn, now_ns());
  return true;
}

bool client::read() {
  uint8_t buf[65536];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0)
      return true;
    ngtcp2_path path{{reinterpret_cast<ngtcp2_sockaddr*>(&local), local_len},
                     {reinterpret_cast<ngtcp2_sockaddr*>(&remote), remote_len},
                     nullptr};
    ngtcp2_pkt_info pi{};
    int rv = ngtcp2_conn_read_pkt(conn, &path, &pi, buf, static_cast<size_t>(n),
                                  now_ns());
    if (rv != 0) {
      if (rv == NGTCP2_ERR_DRAINING)
        line("connection closed by the server");
      else
        line("quicerror " + std::string(ngtcp2_strerror(rv)));
      return false;
    }
  }
}

int run(client& c, const std::string& port, double timeout_s) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  if (getaddrinfo(c.host.c_str(), port.c_str(), &hints, &res) != 0)
    return 2;
  c.fd = socket(res->ai_family, SOCK_DGRAM, 0);
  if (c.fd < 0 || connect(c.fd, res->ai_addr, res->ai_addrlen) != 0)
    return 2;
  std::memcpy(&c.remote, res->ai_addr, res->ai_addrlen);
  c.remote_len = res->ai_addrlen;
  freeaddrinfo(res);
  getsockname(c.fd, reinterpret_cast<sockaddr*>(&c.local), &c.local_len);

  gnutls_certificate_allocate_credentials(&c.cred);
  gnutls_init(&c.tls, GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA);
  gnutls_priority_set_direct(
    c.tls,
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:"
    "+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM",
    nullptr);
  if (ngtcp2_crypto_gnutls_configure_client_session(c.tls) != 0)
    return 2;
  c.ref.user_data = &c;
  c.ref.get_conn = [](ngtcp2_crypto_conn_ref* r) {
    return static_cast<client*>(r->user_data)->conn;
  };
  gnutls_session_set_ptr(c.tls, &c.ref);
  // (a test client: the server's certificate is not verified)
  gnutls_credentials_set(c.tls, GNUTLS_CRD_CERTIFICATE, c.cred);
  gnutls_datum_t alpn{reinterpret_cast<unsigned char*>(const_cast<char*>("h3")),
                      2};
  gnutls_alpn_set_protocols(c.tls, &alpn, 1, GNUTLS_ALPN_MANDATORY);
  gnutls_server_name_set(c.tls, GNUTLS_NAME_DNS, "localhost", 9);

  ngtcp2_callbacks cb{};
  cb.client_initial = ngtcp2_crypto_client_initial_cb;
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.recv_stream_data = q_stream_data;
  cb.acked_stream_data_offset = q_acked;
  cb.stream_close = q_stream_close;
  cb.stream_reset = q_stream_reset;
  cb.stream_stop_sending = q_stop_sending;
  cb.extend_max_stream_data = q_extend_stream;
  cb.rand = q_rand;
  cb.get_new_connection_id = q_new_cid;
  cb.recv_rx_key = q_rx_key;

  ngtcp2_cid dcid, scid;
  dcid.datalen = 18;
  gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, dcid.datalen);
  scid.datalen = 17;
  gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, scid.datalen);
  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = now_ns();
  ngtcp2_transport_params params;
  ngtcp2_transport_params_default(&params);
  params.initial_max_streams_uni = 3;
  params.initial_max_stream_data_bidi_local = 1u << 20;
  params.initial_max_stream_data_uni = 1u << 20;
  params.initial_max_data = 4u << 20;
  params.max_idle_timeout = 30 * NGTCP2_SECONDS;
  ngtcp2_path path{
    {reinterpret_cast<ngtcp2_sockaddr*>(&c.local), c.local_len},
    {reinterpret_cast<ngtcp2_sockaddr*>(&c.remote), c.remote_len},
    nullptr};
  if (ngtcp2_conn_client_new(&c.conn, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1,
                             &cb, &settings, &params, nullptr, &c) != 0)
    return 2;
  ngtcp2_conn_set_tls_native_handle(c.conn, c.tls);

  auto deadline = now_ns() + static_cast<uint64_t>(timeout_s * 1e9);
  std::string stdin_buf;
  bool stdin_open = true;
  while (!c.done) {
    if (!c.write())
      return 2;
    auto now = now_ns();
    if (now >= deadline) {
      c.line("timeout");
      return 3;
    }
    auto expiry = ngtcp2_conn_get_expiry(c.conn);
    uint64_t wait_ns = std::min<uint64_t>(deadline - now, 100'000'000ull);
    if (expiry > now)
      wait_ns = std::min(wait_ns, expiry - now);
    else
      wait_ns = 0;
    pollfd fds[2] = {{c.fd, POLLIN, 0}, {0, POLLIN, 0}};
    int nfds = stdin_open && c.h3 && c.submitted ? 2 : 1;
    ::poll(fds, static_cast<nfds_t>(nfds),
           static_cast<int>((wait_ns + 999999) / 1000000));
    if ((fds[0].revents & POLLIN) && !c.read())
      return 2;
    if (nfds == 2 && (fds[1].revents & (POLLIN | POLLHUP))) {
      char b[65536];
      auto n = ::read(0, b, sizeof b);
      if (n <= 0)
        stdin_open = false;
      else
        stdin_buf.append(b, static_cast<size_t>(n));
      size_t nl;
      while ((nl = stdin_buf.find('\n')) != std::string::npos) {
        auto cmd = stdin_buf.substr(0, nl);
        stdin_buf.erase(0, nl + 1);
        if (cmd.rfind("send ", 0) == 0) {
          c.send_frame(ws::opcode::binary, unhex(cmd.substr(5)));
        } else if (cmd == "close" && !c.close_sent) {
          c.send_frame(ws::opcode::close, {});
          c.close_sent = true;
        }
      }
    }
    if (now_ns() >= ngtcp2_conn_get_expiry(c.conn) &&
        ngtcp2_conn_handle_expiry(c.conn, now_ns()) != 0) {
      c.line("connection timed out");
      return 2;
    }
  }
  c.write(); // (acknowledgements)
  // CONNECTION_CLOSE(H3_NO_ERROR): the server forgets us at once
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_set_application_error(
    &ccerr, NGHTTP3_H3_NO_ERROR, nullptr, 0);
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi;
  uint8_t buf[1452];
  auto n = ngtcp2_conn_write_connection_close(c.conn, &ps.path, &pi, buf,
                                              sizeof buf, &ccerr, now_ns());
  if (n > 0)
    ::send(c.fd, buf, static_cast<size_t>(n), 0);
  c.line("end");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: h3_ws_client HOST PORT [--path P] [--protocol "
                 "websocket|none] [--subprotocol S] [--no-path] [--timeout "
                 "SECONDS]\n");
    return 64;
  }
  client c;
  c.host = argv[1];
  std::string port = argv[2];
  double timeout = 20;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : ""; };
    if (a == "--path")
      c.path = next();
    else if (a == "--protocol")
      c.protocol = next();
    else if (a == "--subprotocol")
      c.subprotocol = next();
    else if (a == "--no-path")
      c.no_path = true;
    else if (a == "--timeout")
      timeout = std::stod(next());
  }
  int rc = run(c, port, timeout);
  if (c.h3)
    nghttp3_conn_del(c.h3);
  if (c.conn)
    ngtcp2_conn_del(c.conn);
  if (c.tls)
    gnutls_deinit(c.tls);
  if (c.cred)
    gnutls_certificate_free_credentials(c.cred);
  return rc;
}
