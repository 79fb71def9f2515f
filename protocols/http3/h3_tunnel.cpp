/// WebSocket over HTTP/3 (RFC 9220): an extended CONNECT (`:protocol
/// websocket`, with `:scheme`, `:path`, `:authority`, which nghttp3
/// checks: without them the stream is malformed, H3_MESSAGE_ERROR)
/// reaches the same WebSocket handlers as an HTTP/1.1 upgrade, as on
/// HTTP/2 (protocols/websocket/extended_connect.hpp). Their 101 goes out
/// as a 200 without FIN; the request stream's DATA frames then carry
/// WebSocket frames both ways, flow-controlled by QUIC. Closing maps to
/// FIN, an abort to RESET_STREAM/STOP_SENDING.

#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>

#include "protocols/http3/h3_session.hpp"
#include "protocols/websocket/extended_connect.hpp"

namespace themis::http3 {

void h3_session::on_end_headers(int64_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end() || !it->second.connect || it->second.tunnel ||
      it->second.bad || it->second.responded)
    return; // (trailers have their own callback: this is the request's)
  start_connect(id, it->second);
}

void h3_session::start_connect(int64_t id, stream& st) {
  if (st.bad_status) {
    fail_stream(id, st.bad_status, st.bad_why);
    stop_reading(id);
    return;
  }
  if (st.protocol.empty()) {
    // a proxy's CONNECT (RFC 9114 §4.4): themisd is no proxy
    fail_stream(id, 405, "CONNECT without :protocol is not served");
    stop_reading(id);
    return;
  }
  if (st.protocol != "websocket") {
    // RFC 9220 §3 / RFC 8441 §4: a :protocol the server does not support
    fail_stream(id, 501, "unsupported :protocol '" + st.protocol + "'");
    stop_reading(id);
    return;
  }
  st.tunnel = true;
  ws::connect_as_upgrade(st.req);
  cb_.on_request(static_cast<uint64_t>(id), st.req);
}

void h3_session::respond_tunnel(int64_t id, stream& st, api_response resp) {
  if (st.responded)
    return;
  if (resp.status != 101) {
    // refused (401, 404, 426 …) or no WebSocket endpoint: the answer is
    // complete, the client's tunnel bytes are not wanted
    submit(id, st, ws::refused_connect(std::move(resp)));
    st.bad = true;
    if (!st.request_done)
      stop_reading(id);
    return;
  }
  submit(id, st, ws::upgrade_as_connect_ok(resp));
  st.tunnel_open = true;
  auto pending = std::move(st.tunnel_pending);
  st.tunnel_pending.clear();
  ws::open_tunnel(cb_, static_cast<uint64_t>(id), std::move(pending),
                  st.request_done, [&] { return streams_.count(id) != 0; });
}

void h3_session::tunnel_data(int64_t id, stream& st, std::string_view bytes) {
  // (before the answer: kept, bounded; after a refusal: dropped)
  if (!ws::tunnel_bytes(cb_, static_cast<uint64_t>(id), st.tunnel_open,
                        st.responded, st.tunnel_pending, bytes,
                        opts_.max_tunnel_pending)) {
    st.bad = true;
    ngtcp2_conn_shutdown_stream(conn_, id, NGHTTP3_H3_EXCESSIVE_LOAD);
  }
}

void h3_session::stop_reading(int64_t id) {
  // RFC 9114 §4.1.1: the answer is complete; the rest is not wanted
  ngtcp2_conn_shutdown_stream_read(conn_, id, NGHTTP3_H3_NO_ERROR);
}

void h3_session::reset_stream(uint64_t id, uint32_t code) {
  auto sid = static_cast<int64_t>(id);
  if (finished_ || !conn_ || !streams_.count(sid))
    return;
  // RFC 9113 CANCEL (0x8) is H3_REQUEST_CANCELLED; others: internal
  uint64_t h3 = code == 0x8   ? NGHTTP3_H3_REQUEST_CANCELLED
                : code == 0x0 ? NGHTTP3_H3_NO_ERROR
                              : NGHTTP3_H3_INTERNAL_ERROR;
  ngtcp2_conn_shutdown_stream(conn_, sid, h3);
  write();
}

} // namespace themis::http3
