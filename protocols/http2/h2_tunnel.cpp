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

namespace themis::http2 {

namespace {
/// RFC 6455 §1.3's sample nonce: valid, so the shared 101 path accepts
/// it; its Sec-WebSocket-Accept is dropped from the 200.
constexpr const char* placeholder_key = "dGhlIHNhbXBsZSBub25jZQ==";
} // namespace

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
  auto& r = st.req;
  r.method = "GET";
  std::erase_if(r.headers, [](auto& h) {
    return iequals(h.first, "sec-websocket-key") ||
           iequals(h.first, "upgrade") || iequals(h.first, "connection");
  });
  r.headers.emplace_back("upgrade", "websocket");
  r.headers.emplace_back("connection", "Upgrade");
  r.headers.emplace_back("sec-websocket-key", placeholder_key);
  cb_.on_request(static_cast<uint64_t>(id), r);
}

void h2_session::respond_tunnel(int32_t id, stream& st, api_response resp) {
  if (st.responded)
    return;
  if (resp.status != 101) {
    // refused (401, 404, 426 …), or a route that is no WebSocket
    // endpoint (its 2xx would read as an open tunnel, RFC 8441 §5)
    if (resp.status < 300) {
      resp = api_response{};
      resp.status = 400;
      resp.headers.emplace_back("content-type", "application/json");
      resp.body = "{\"error\":true,\"code\":400,\"message\":\"not a "
                  "WebSocket endpoint\"}";
    }
    st.reset_after_end = !st.request_done;
    submit(id, resp, false);
    return;
  }
  api_response ok;
  ok.status = 200;
  ok.stream = true; // the WebSocket's bytes follow as DATA
  for (auto& [k, v] : resp.headers)
    if (!iequals(k, "sec-websocket-accept") && !iequals(k, "upgrade") &&
        !iequals(k, "connection"))
      ok.headers.emplace_back(k, v);
  submit(id, ok, false);
  st.tunnel_open = true;
  bool ended = st.request_done;
  auto pending = std::move(st.tunnel_pending);
  st.tunnel_pending.clear();
  auto uid = static_cast<uint64_t>(id);
  cb_.on_tunnel_open(uid);
  // (the callbacks may close the stream: look it up again each time)
  if (!pending.empty() && streams_.count(id))
    cb_.on_tunnel_data(uid, pending, false);
  if (ended && streams_.count(id))
    cb_.on_tunnel_data(uid, {}, true);
}

void h2_session::tunnel_data(int32_t id, stream& st, std::string_view bytes) {
  if (st.tunnel_open) {
    cb_.on_tunnel_data(static_cast<uint64_t>(id), bytes, false);
    return;
  }
  if (st.responded)
    return; // refused: the rest of its DATA is dropped
  // before the handler's answer (it may wait for authentication)
  if (st.tunnel_pending.size() + bytes.size() > opts_.max_tunnel_pending) {
    st.bad = true;
    nghttp2_submit_rst_stream(s_, NGHTTP2_FLAG_NONE, id,
                              NGHTTP2_ENHANCE_YOUR_CALM);
    return;
  }
  st.tunnel_pending.append(bytes);
}

} // namespace themis::http2
