/// WebSocket over HTTP/2 (RFC 8441): an extended CONNECT with
/// `:protocol: websocket` reaches the same WebSocket handlers as an
/// HTTP/1.1 upgrade. The request is shown to them as that upgrade (GET,
/// `Upgrade: websocket`, `Connection: Upgrade` and a placeholder key — the
/// key and Sec-WebSocket-Accept do not exist in RFC 8441, §5); their 101
/// goes out as a 200 whose stream then carries WebSocket frames in DATA
/// frames, flow-controlled by HTTP/2. Closing maps to END_STREAM, an abort
/// to RST_STREAM.

#include <nghttp2/nghttp2.h>

#include "protocols/http2/h2_session.hpp"
#include "protocols/websocket/extended_connect.hpp"

namespace themis::http2 {

void h2_session::start_connect(int32_t id, stream& st) {
  if (st.bad)
    return;
  if (st.protocol.empty()) {
    // a proxy's CONNECT (RFC 9113 §8.5): themisd is no proxy
    fail_stream(id, 405, "CONNECT without :protocol is not served");
    return;
  }
  if (st.protocol != "websocket") {
    // RFC 8441 §4: a :protocol the server does not support
    fail_stream(id, 501, "unsupported :protocol '" + st.protocol + "'");
    return;
  }
  if (st.bad_path) {
    fail_stream(id, 400, "invalid :path");
    return;
  }
  st.tunnel = true;
  ws::connect_as_upgrade(st.req);
  cb_.on_request(static_cast<uint64_t>(id), st.req);
}

void h2_session::respond_tunnel(int32_t id, stream& st, api_response resp) {
  if (st.responded)
    return;
  if (resp.status != 101) {
    // refused (401, 404, 426 …), or a route that is no WebSocket endpoint
    st.reset_after_end = !st.request_done;
    submit(id, ws::refused_connect(std::move(resp)), false);
    return;
  }
  submit(id, ws::upgrade_as_connect_ok(resp), false);
  st.tunnel_open = true;
  auto pending = std::move(st.tunnel_pending);
  st.tunnel_pending.clear();
  ws::open_tunnel(cb_, static_cast<uint64_t>(id), std::move(pending),
                  st.request_done, [&] { return streams_.count(id) != 0; });
}

void h2_session::tunnel_data(int32_t id, stream& st, std::string_view bytes) {
  // (before the answer: kept, bounded; after a refusal: dropped)
  if (!ws::tunnel_bytes(cb_, static_cast<uint64_t>(id), st.tunnel_open,
                        st.responded, st.tunnel_pending, bytes,
                        opts_.max_tunnel_pending)) {
    st.bad = true;
    nghttp2_submit_rst_stream(s_, NGHTTP2_FLAG_NONE, id,
                              NGHTTP2_ENHANCE_YOUR_CALM);
  }
}

} // namespace themis::http2
