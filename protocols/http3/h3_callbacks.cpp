/// The C callbacks ngtcp2 and nghttp3 call, forwarded to h3_session, and
/// the ngtcp2/nghttp3 set-up (callback tables, settings, transport
/// parameters) of h3_session's constructor.

#include <cstring>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "protocols/http3/h3_callbacks.hpp"
#include "protocols/http3/h3_session.hpp"

namespace themis::http3 {

namespace {

h3_session* of(void* u) {
  return static_cast<h3_session*>(u);
}

int handshake_completed(ngtcp2_conn*, void* u) {
  of(u)->on_handshake_completed();
  return 0;
}

int recv_stream_data(ngtcp2_conn*, uint32_t flags, int64_t id, uint64_t,
                     const uint8_t* data, size_t len, void* u, void*) {
  return of(u)->on_stream_data(id, flags & NGTCP2_STREAM_DATA_FLAG_FIN, data,
                               len) == 0
           ? 0
           : NGTCP2_ERR_CALLBACK_FAILURE;
}

int acked_stream_data_offset(ngtcp2_conn*, int64_t id, uint64_t, uint64_t len,
                             void* u, void*) {
  return of(u)->on_acked_stream(id, len) == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

int stream_close(ngtcp2_conn*, uint32_t flags, int64_t id, uint64_t code,
                 void* u, void*) {
  if (!(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET))
    code = NGHTTP3_H3_NO_ERROR;
  return of(u)->on_stream_close(id, code) == 0 ? 0
                                               : NGTCP2_ERR_CALLBACK_FAILURE;
}

int stream_reset(ngtcp2_conn*, int64_t id, uint64_t, uint64_t, void* u, void*) {
  return of(u)->on_stream_reset(id) == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

int stream_stop_sending(ngtcp2_conn*, int64_t id, uint64_t, void* u, void*) {
  return of(u)->on_stream_reset(id) == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

void rand_cb(uint8_t* dest, size_t len, const ngtcp2_rand_ctx*) {
  random_bytes(dest, len);
}

int get_new_connection_id(ngtcp2_conn*, ngtcp2_cid* cid, uint8_t* token,
                          size_t len, void* u) {
  cid->datalen = len;
  return of(u)->on_new_cid(cid->data, token, len) == 0
           ? 0
           : NGTCP2_ERR_CALLBACK_FAILURE;
}

int remove_connection_id(ngtcp2_conn*, const ngtcp2_cid* cid, void* u) {
  of(u)->on_remove_cid(
    std::string_view(reinterpret_cast<const char*>(cid->data), cid->datalen));
  return 0;
}

int extend_max_remote_streams_bidi(ngtcp2_conn*, uint64_t max, void* u) {
  if (auto* h = of(u)->http())
    nghttp3_conn_set_max_client_streams_bidi(h, max);
  return 0;
}

int extend_max_stream_data(ngtcp2_conn*, int64_t id, uint64_t, void* u, void*) {
  if (auto* h = of(u)->http())
    if (nghttp3_conn_unblock_stream(h, id) != 0)
      return NGTCP2_ERR_CALLBACK_FAILURE;
  return 0;
}

int recv_tx_key(ngtcp2_conn*, ngtcp2_crypto_level level, void* u) {
  if (level != NGTCP2_CRYPTO_LEVEL_APPLICATION)
    return 0;
  return of(u)->setup_http() == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

// -- nghttp3 ------------------------------------------------------------------

int h_acked(nghttp3_conn*, int64_t id, uint64_t len, void* u, void*) {
  of(u)->on_body_acked(id, len);
  return 0;
}

int h_stream_close(nghttp3_conn*, int64_t id, uint64_t, void* u, void*) {
  of(u)->on_http_stream_close(id);
  return 0;
}

int h_recv_data(nghttp3_conn*, int64_t id, const uint8_t* data, size_t len,
                void* u, void*) {
  of(u)->on_body(id, data, len);
  of(u)->consume(id, len);
  return 0;
}

int h_deferred_consume(nghttp3_conn*, int64_t id, size_t n, void* u, void*) {
  of(u)->consume(id, n);
  return 0;
}

int h_begin_headers(nghttp3_conn*, int64_t id, void* u, void*) {
  of(u)->on_begin_headers(id);
  return 0;
}

int h_recv_header(nghttp3_conn*, int64_t id, int32_t token, nghttp3_rcbuf* name,
                  nghttp3_rcbuf* value, uint8_t, void* u, void*) {
  auto n = nghttp3_rcbuf_get_buf(name);
  auto v = nghttp3_rcbuf_get_buf(value);
  of(u)->on_header(
    id, token, std::string_view(reinterpret_cast<const char*>(n.base), n.len),
    std::string_view(reinterpret_cast<const char*>(v.base), v.len));
  return 0;
}

int h_end_headers(nghttp3_conn*, int64_t id, int, void* u, void*) {
  of(u)->on_end_headers(id);
  return 0;
}

int h_end_stream(nghttp3_conn*, int64_t id, void* u, void*) {
  of(u)->on_request_done(id);
  return 0;
}

int h_stop_sending(nghttp3_conn*, int64_t id, uint64_t code, void* u, void*) {
  return ngtcp2_conn_shutdown_stream_read(of(u)->conn(), id, code) == 0
           ? 0
           : NGHTTP3_ERR_CALLBACK_FAILURE;
}

int h_reset_stream(nghttp3_conn*, int64_t id, uint64_t code, void* u, void*) {
  return ngtcp2_conn_shutdown_stream_write(of(u)->conn(), id, code) == 0
           ? 0
           : NGHTTP3_ERR_CALLBACK_FAILURE;
}

} // namespace

void fill_quic_callbacks(ngtcp2_callbacks& cb) {
  std::memset(&cb, 0, sizeof cb);
  cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.handshake_completed = handshake_completed;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.recv_stream_data = recv_stream_data;
  cb.acked_stream_data_offset = acked_stream_data_offset;
  cb.stream_close = stream_close;
  cb.rand = rand_cb;
  cb.get_new_connection_id = get_new_connection_id;
  cb.remove_connection_id = remove_connection_id;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.stream_reset = stream_reset;
  cb.extend_max_remote_streams_bidi = extend_max_remote_streams_bidi;
  cb.extend_max_stream_data = extend_max_stream_data;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.stream_stop_sending = stream_stop_sending;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.recv_tx_key = recv_tx_key;
}

void fill_http_callbacks(nghttp3_callbacks& cb) {
  std::memset(&cb, 0, sizeof cb);
  cb.acked_stream_data = h_acked;
  cb.stream_close = h_stream_close;
  cb.recv_data = h_recv_data;
  cb.deferred_consume = h_deferred_consume;
  cb.begin_headers = h_begin_headers;
  cb.recv_header = h_recv_header;
  cb.end_headers = h_end_headers;
  cb.stop_sending = h_stop_sending;
  cb.end_stream = h_end_stream;
  cb.reset_stream = h_reset_stream;
}

long read_data_trampoline(nghttp3_conn*, int64_t id, nghttp3_vec* vec,
                          size_t veccnt, uint32_t* flags, void* u, void*) {
  return of(u)->read_body(id, vec, veccnt, flags);
}

} // namespace themis::http3
