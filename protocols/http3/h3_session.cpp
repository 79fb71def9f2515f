/// h3_session's QUIC side: connection set-up, datagrams in and out, the
/// timer, the closing and draining periods (RFC 9000 §10.2). The HTTP/3
/// side (requests and responses) is in h3_streams.cpp.

#include "protocols/http3/h3_session.hpp"

#include <algorithm>
#include <cstring>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "protocols/http3/h3_callbacks.hpp"

namespace themis::http3 {

struct h3_session::close_error {
  ngtcp2_connection_close_error e;
};

namespace {

constexpr size_t scid_len = 18; ///< our connection IDs (RFC 9000: <= 20)

ngtcp2_addr addr_of(std::string_view raw) {
  return {reinterpret_cast<ngtcp2_sockaddr*>(const_cast<char*>(raw.data())),
          static_cast<ngtcp2_socklen>(raw.size())};
}

ngtcp2_cid cid_of(std::string_view raw) {
  ngtcp2_cid c;
  ngtcp2_cid_init(&c, reinterpret_cast<const uint8_t*>(raw.data()),
                  std::min(raw.size(), size_t(NGTCP2_MAX_CIDLEN)));
  return c;
}

ngtcp2_cc_algo cc_of(const std::string& name) {
  if (name == "reno")
    return NGTCP2_CC_ALGO_RENO;
  if (name == "bbr")
    return NGTCP2_CC_ALGO_BBR;
  if (name == "bbr2")
    return NGTCP2_CC_ALGO_BBR2;
  return NGTCP2_CC_ALGO_CUBIC;
}

} // namespace

h3_session::h3_session(h3_options opts, h3_callbacks& cb,
                       std::shared_ptr<const tls_credentials> creds,
                       const initial_info& first) :
  opts_(std::move(opts)),
  cb_(cb), creds_(std::move(creds)),
  last_error_(std::make_unique<close_error>()) {
  ngtcp2_connection_close_error_default(&last_error_->e);
  local_ = first.local;
  remote_ = first.remote;
  ngtcp2_callbacks callbacks;
  fill_quic_callbacks(callbacks);
  ngtcp2_cid scid;
  scid.datalen = scid_len;
  random_bytes(scid.data, scid.datalen);
  scid_.assign(reinterpret_cast<char*>(scid.data), scid.datalen);

  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = now();
  settings.cc_algo = cc_of(opts_.cc);
  settings.max_window = opts_.max_data;
  settings.max_stream_window = opts_.max_stream_data;
  settings.handshake_timeout =
    uint64_t(opts_.handshake_timeout_ms) * NGTCP2_MILLISECONDS;
  settings.token.base =
    reinterpret_cast<uint8_t*>(const_cast<char*>(first.token.data()));
  settings.token.len = first.token.size();

  ngtcp2_transport_params params;
  ngtcp2_transport_params_default(&params);
  params.initial_max_stream_data_bidi_local = opts_.max_stream_data;
  params.initial_max_stream_data_bidi_remote = opts_.max_stream_data;
  params.initial_max_stream_data_uni = opts_.max_stream_data;
  params.initial_max_data = opts_.max_data;
  params.initial_max_streams_bidi = opts_.max_streams;
  params.initial_max_streams_uni = 3; // control + QPACK encoder/decoder
  params.max_idle_timeout =
    uint64_t(opts_.idle_timeout_ms) * NGTCP2_MILLISECONDS;
  params.active_connection_id_limit = 7;
  auto client_dcid = cid_of(first.dcid);
  auto client_scid = cid_of(first.scid);
  if (!first.ocid.empty()) { // after our Retry (RFC 9000 §7.3)
    params.original_dcid = cid_of(first.ocid);
    params.retry_scid = client_dcid;
    params.retry_scid_present = 1;
  } else {
    params.original_dcid = client_dcid;
  }
  params.stateless_reset_token_present = 1;
  if (ngtcp2_crypto_generate_stateless_reset_token(
        params.stateless_reset_token,
        reinterpret_cast<const uint8_t*>(opts_.static_secret.data()),
        opts_.static_secret.size(), &scid) != 0)
    return;

  ngtcp2_path path{addr_of(local_), addr_of(remote_), nullptr};
  if (ngtcp2_conn_server_new(&conn_, &client_scid, &scid, &path, first.version,
                             &callbacks, &settings, &params, nullptr,
                             this) != 0) {
    conn_ = nullptr;
    return;
  }
  std::string error;
  if (!tls_.init(*creds_, &conn_, error)) {
    ngtcp2_conn_del(conn_);
    conn_ = nullptr;
    return;
  }
  ngtcp2_conn_set_tls_native_handle(conn_, tls_.native());
}

h3_session::~h3_session() {
  if (h3_)
    nghttp3_conn_del(h3_);
  if (conn_)
    ngtcp2_conn_del(conn_);
}

int h3_session::setup_http() {
  if (h3_)
    return 0;
  if (ngtcp2_conn_get_max_local_streams_uni(conn_) < 3)
    return -1; // RFC 9114 §6.2: the client must allow our 3 streams
  nghttp3_callbacks callbacks;
  fill_http_callbacks(callbacks);
  nghttp3_settings settings;
  nghttp3_settings_default(&settings);
  settings.max_field_section_size = opts_.max_header_list_size;
  settings.qpack_max_dtable_capacity = opts_.qpack_max_dtable;
  settings.qpack_blocked_streams = opts_.qpack_blocked_streams;
  // our encoder's table is bounded too (we send few distinct headers)
  settings.qpack_encoder_max_dtable_capacity = opts_.qpack_max_dtable;
  settings.enable_connect_protocol = opts_.enable_connect_protocol ? 1 : 0;
  if (nghttp3_conn_server_new(&h3_, &callbacks, &settings,
                              nghttp3_mem_default(), this) != 0)
    return -1;
  auto* params = ngtcp2_conn_get_local_transport_params(conn_);
  nghttp3_conn_set_max_client_streams_bidi(h3_,
                                           params->initial_max_streams_bidi);
  int64_t ctrl, enc, dec;
  if (ngtcp2_conn_open_uni_stream(conn_, &ctrl, nullptr) != 0 ||
      nghttp3_conn_bind_control_stream(h3_, ctrl) != 0 ||
      ngtcp2_conn_open_uni_stream(conn_, &enc, nullptr) != 0 ||
      ngtcp2_conn_open_uni_stream(conn_, &dec, nullptr) != 0 ||
      nghttp3_conn_bind_qpack_streams(h3_, enc, dec) != 0)
    return -1;
  if (shutting_down_) {
    nghttp3_conn_submit_shutdown_notice(h3_);
    nghttp3_conn_shutdown(h3_);
  }
  return 0;
}

void h3_session::on_handshake_completed() {
  handshake_done_ = true;
  cb_.on_handshake();
}

int h3_session::on_new_cid(uint8_t* cid, uint8_t* token, size_t len) {
  random_bytes(cid, len);
  ngtcp2_cid c;
  ngtcp2_cid_init(&c, cid, len);
  if (ngtcp2_crypto_generate_stateless_reset_token(
        token, reinterpret_cast<const uint8_t*>(opts_.static_secret.data()),
        opts_.static_secret.size(), &c) != 0)
    return -1;
  cb_.on_cid(std::string_view(reinterpret_cast<char*>(cid), len), true);
  return 0;
}

void h3_session::on_remove_cid(std::string_view cid) {
  cb_.on_cid(cid, false);
}

uint64_t h3_session::smoothed_rtt_ns() const {
  if (!conn_)
    return 0;
  ngtcp2_conn_stat st;
  ngtcp2_conn_get_conn_stat(conn_, &st);
  return st.smoothed_rtt;
}

void h3_session::on_data(std::string_view data) {
  on_packet(local_, remote_, data);
}

void h3_session::on_packet(std::string_view local, std::string_view remote,
                           std::string_view pkt) {
  if (finished_ || !conn_ || pkt.empty())
    return;
  if (draining_)
    return; // RFC 9000 §10.2.2: silent
  if (closing_) {
    // §10.2.1: answer with the same CONNECTION_CLOSE (a lost one repeated)
    if (!close_packet_.empty())
      cb_.send_to(remote_, close_packet_);
    return;
  }
  local_ = local;
  remote_ = remote;
  last_rx_ns_ = now();
  ngtcp2_path path{addr_of(local_), addr_of(remote_), nullptr};
  ngtcp2_pkt_info pi{};
  // answers given inside the callbacks (a handler that responds at once)
  // are written after the packet, together: ngtcp2 must not write from
  // inside its own read, and one datagram then carries many answers
  in_read_ = true;
  int rv = ngtcp2_conn_read_pkt(conn_, &path, &pi,
                                reinterpret_cast<const uint8_t*>(pkt.data()),
                                pkt.size(), now());
  in_read_ = false;
  if (rv != 0) {
    handle_liberr(rv);
    return;
  }
  write();
}

void h3_session::handle_liberr(int rv) {
  switch (rv) {
    case NGTCP2_ERR_DRAINING: // the peer sent CONNECTION_CLOSE
      start_draining_period();
      return;
    case NGTCP2_ERR_DROP_CONN:
    case NGTCP2_ERR_IDLE_CLOSE:
    case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
      finished_ = true; // nothing to send (§10.1: idle close is silent)
      cb_.close();
      return;
    case NGTCP2_ERR_CRYPTO:
      if (!last_error_->e.error_code)
        ngtcp2_connection_close_error_set_transport_error_tls_alert(
          &last_error_->e, ngtcp2_conn_get_tls_alert(conn_), nullptr, 0);
      break;
    default:
      if (!last_error_->e.error_code)
        ngtcp2_connection_close_error_set_transport_error_liberr(
          &last_error_->e, rv, nullptr, 0);
  }
  cb_.on_protocol_error(400, std::string("QUIC: ") + ngtcp2_strerror(rv));
  close_with_error();
}

void h3_session::set_app_error(uint64_t code) {
  if (!last_error_->e.error_code)
    ngtcp2_connection_close_error_set_application_error(&last_error_->e, code,
                                                        nullptr, 0);
}

void h3_session::close_with_error() {
  start_closing_period();
}

void h3_session::start_closing_period() {
  if (closing_ || draining_ || finished_)
    return;
  closing_ = true;
  close_deadline_ = now() + 3 * ngtcp2_conn_get_pto(conn_);
  std::string buf(NGTCP2_MAX_UDP_PAYLOAD_SIZE, '\0');
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi;
  auto n = ngtcp2_conn_write_connection_close(
    conn_, &ps.path, &pi, reinterpret_cast<uint8_t*>(buf.data()), buf.size(),
    &last_error_->e, now());
  if (n <= 0) {
    // nothing can be sent (before any key): just go
    finished_ = true;
    cb_.close();
    return;
  }
  buf.resize(static_cast<size_t>(n));
  close_packet_ = std::move(buf);
  cb_.send_to(remote_, close_packet_);
}

void h3_session::start_draining_period() {
  if (draining_ || finished_)
    return;
  draining_ = true;
  close_deadline_ = now() + 3 * ngtcp2_conn_get_pto(conn_);
}

uint64_t h3_session::expiry_ns() const {
  if (finished_ || !conn_)
    return UINT64_MAX;
  if (closing_ || draining_)
    return close_deadline_;
  auto at = ngtcp2_conn_get_expiry(conn_);
  if (shutting_down_ && handshake_done_)
    at = std::min(at, silent_drain_deadline());
  return at;
}

uint64_t h3_session::silent_drain_deadline() const {
  // an acknowledging peer sends packets at least every few PTOs while we
  // send it data; one that sent nothing for that long (and at least 1 s)
  // since the drain began is gone
  auto quiet =
    std::max<uint64_t>(3 * ngtcp2_conn_get_pto(conn_), 1000000000ull);
  return std::max(last_rx_ns_, drain_at_ns_) + quiet;
}

void h3_session::on_expiry() {
  if (finished_ || !conn_)
    return;
  if (closing_ || draining_) {
    if (now() >= close_deadline_) {
      finished_ = true;
      cb_.close();
    }
    return;
  }
  if (shutting_down_ && handshake_done_ && now() >= silent_drain_deadline()) {
    ngtcp2_connection_close_error_set_application_error(
      &last_error_->e, NGHTTP3_H3_NO_ERROR, nullptr, 0);
    start_closing_period();
    return;
  }
  if (int rv = ngtcp2_conn_handle_expiry(conn_, now()); rv != 0) {
    handle_liberr(rv);
    return;
  }
  write();
}

void h3_session::write() {
  if (in_write_ || in_read_ || hold_writes_ || finished_ || closing_ ||
      draining_ || !conn_)
    return;
  in_write_ = true;
  struct guard {
    bool& b;
    ~guard() { b = false; }
  } g{in_write_};
  auto max_size = ngtcp2_conn_get_max_tx_udp_payload_size(conn_);
  auto max_pkts =
    std::max<size_t>(1, ngtcp2_conn_get_send_quantum(conn_) / max_size);
  std::string buf(max_size, '\0');
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  size_t sent = 0;
  auto ts = now();
  for (;;) {
    int64_t stream_id = -1;
    int fin = 0;
    nghttp3_vec vec[16];
    nghttp3_ssize nvec = 0;
    if (h3_ && ngtcp2_conn_get_max_data_left(conn_)) {
      nvec = nghttp3_conn_writev_stream(h3_, &stream_id, &fin, vec, 16);
      if (nvec < 0) {
        ngtcp2_connection_close_error_set_application_error(
          &last_error_->e,
          nghttp3_err_infer_quic_app_error_code(static_cast<int>(nvec)),
          nullptr, 0);
        close_with_error();
        return;
      }
    }
    ngtcp2_ssize ndatalen = -1;
    uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    if (fin)
      flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    ngtcp2_pkt_info pi;
    auto n = ngtcp2_conn_writev_stream(
      conn_, &ps.path, &pi, reinterpret_cast<uint8_t*>(buf.data()), buf.size(),
      &ndatalen, flags, stream_id, reinterpret_cast<const ngtcp2_vec*>(vec),
      static_cast<size_t>(nvec), ts);
    if (n < 0) {
      if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
        nghttp3_conn_block_stream(h3_, stream_id);
        continue;
      }
      if (n == NGTCP2_ERR_STREAM_SHUT_WR) {
        nghttp3_conn_shutdown_stream_write(h3_, stream_id);
        continue;
      }
      if (n == NGTCP2_ERR_WRITE_MORE) {
        if (nghttp3_conn_add_write_offset(h3_, stream_id,
                                          static_cast<size_t>(ndatalen)) != 0)
          break;
        continue;
      }
      ngtcp2_connection_close_error_set_transport_error_liberr(
        &last_error_->e, static_cast<int>(n), nullptr, 0);
      close_with_error();
      return;
    }
    if (ndatalen >= 0 && stream_id >= 0 &&
        nghttp3_conn_add_write_offset(h3_, stream_id,
                                      static_cast<size_t>(ndatalen)) != 0) {
      ngtcp2_connection_close_error_set_application_error(
        &last_error_->e, NGHTTP3_H3_INTERNAL_ERROR, nullptr, 0);
      close_with_error();
      return;
    }
    if (n == 0)
      break; // congestion- or flow-limited, or nothing to send
    std::string_view to(reinterpret_cast<const char*>(ps.path.remote.addr),
                        ps.path.remote.addrlen);
    cb_.send_to(to, buf.substr(0, static_cast<size_t>(n)));
    if (++sent >= max_pkts)
      break; // paced: the timer brings the rest
  }
  ngtcp2_conn_update_pkt_tx_time(conn_, ts);
  // drained and every stream done: close the connection
  if (shutting_down_ && streams_.empty() && handshake_done_) {
    ngtcp2_connection_close_error_set_application_error(
      &last_error_->e, NGHTTP3_H3_NO_ERROR, nullptr, 0);
    in_write_ = false;
    start_closing_period();
  }
}

void h3_session::drain() {
  if (shutting_down_ || finished_)
    return;
  shutting_down_ = true;
  drain_at_ns_ = now();
  if (h3_) {
    // RFC 9114 §5.2: GOAWAY; requests already received still finish
    nghttp3_conn_submit_shutdown_notice(h3_);
    nghttp3_conn_shutdown(h3_);
  }
  if (!handshake_done_) {
    ngtcp2_connection_close_error_set_transport_error(
      &last_error_->e, NGTCP2_CONNECTION_REFUSED, nullptr, 0);
    start_closing_period();
    return;
  }
  write();
}

void h3_session::check_timeouts() {
  // (QUIC's own timers run through expiry_ns/on_expiry)
  write();
}

} // namespace themis::http3
