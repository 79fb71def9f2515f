/// The RFC 9220 test client's QUIC side: the ngtcp2 and nghttp3
/// callbacks, the connection set-up on GnuTLS, datagrams in and out (the
/// same calls as protocols/http3/h3_session, from the client's end).

#include <cstring>
#include <netdb.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <unistd.h>

#include "tests/clients/h3_ws_client.hpp"

namespace h3ws {

namespace {

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

/// The server reset (RESET_STREAM) or refused (STOP_SENDING) a stream.
int peer_abort(void* u, int64_t id, const char* what, uint64_t code) {
  auto* c = of(u);
  if (id == c->sid)
    c->line(what + std::to_string(code));
  if (c->h3)
    nghttp3_conn_shutdown_stream_read(c->h3, id);
  return 0;
}

int q_stream_reset(ngtcp2_conn*, int64_t id, uint64_t, uint64_t code, void* u,
                   void*) {
  return peer_abort(u, id, "reset ", code);
}

int q_stop_sending(ngtcp2_conn*, int64_t id, uint64_t code, void* u, void*) {
  return peer_abort(u, id, "stop_sending ", code);
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

} // namespace

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

bool client::connect(const std::string& port) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0)
    return false;
  fd = socket(res->ai_family, SOCK_DGRAM, 0);
  bool ok = fd >= 0 && ::connect(fd, res->ai_addr, res->ai_addrlen) == 0;
  std::memcpy(&remote, res->ai_addr, res->ai_addrlen);
  remote_len = res->ai_addrlen;
  freeaddrinfo(res);
  if (!ok)
    return false;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len);

  gnutls_certificate_allocate_credentials(&cred);
  gnutls_init(&tls, GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA);
  gnutls_priority_set_direct(
    tls,
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:"
    "+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM",
    nullptr);
  if (ngtcp2_crypto_gnutls_configure_client_session(tls) != 0)
    return false;
  ref.user_data = this;
  ref.get_conn = [](ngtcp2_crypto_conn_ref* r) {
    return static_cast<client*>(r->user_data)->conn;
  };
  gnutls_session_set_ptr(tls, &ref);
  // (a test client: the server's certificate is not verified)
  gnutls_credentials_set(tls, GNUTLS_CRD_CERTIFICATE, cred);
  gnutls_datum_t alpn{reinterpret_cast<unsigned char*>(const_cast<char*>("h3")),
                      2};
  gnutls_alpn_set_protocols(tls, &alpn, 1, GNUTLS_ALPN_MANDATORY);
  gnutls_server_name_set(tls, GNUTLS_NAME_DNS, "localhost", 9);

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
  ngtcp2_path path{{reinterpret_cast<ngtcp2_sockaddr*>(&local), local_len},
                   {reinterpret_cast<ngtcp2_sockaddr*>(&remote), remote_len},
                   nullptr};
  if (ngtcp2_conn_client_new(&conn, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1,
                             &cb, &settings, &params, nullptr, this) != 0)
    return false;
  ngtcp2_conn_set_tls_native_handle(conn, tls);
  return true;
}

void client::close_connection() {
  // CONNECTION_CLOSE(H3_NO_ERROR): the server forgets us at once
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_set_application_error(
    &ccerr, NGHTTP3_H3_NO_ERROR, nullptr, 0);
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi;
  uint8_t buf[1452];
  auto n = ngtcp2_conn_write_connection_close(conn, &ps.path, &pi, buf,
                                              sizeof buf, &ccerr, now_ns());
  if (n > 0)
    ::send(fd, buf, static_cast<size_t>(n), 0);
}

client::~client() {
  if (h3)
    nghttp3_conn_del(h3);
  if (conn)
    ngtcp2_conn_del(conn);
  if (tls)
    gnutls_deinit(tls);
  if (cred)
    gnutls_certificate_free_credentials(cred);
  if (fd >= 0)
    ::close(fd);
}

} // namespace h3ws
