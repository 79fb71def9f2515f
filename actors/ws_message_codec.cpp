/// permessage-deflate and the binary encodings of a changefeed WebSocket
/// (see ws_message_codec.hpp).

#include "actors/ws_message_codec.hpp"

#include <algorithm>

#include "themis/server_config.hpp"

namespace themis {

void ws_message_codec::negotiate(const server_config& cfg,
                                 const std::string& extensions,
                                 api_response& resp) {
  ws::deflate_config dc;
  dc.enabled = cfg.http.ws_deflate;
  auto n = ws::negotiate_deflate(extensions, dc);
  deflate_ = n.params;
  if (!n.response.empty())
    resp.set_header("Sec-WebSocket-Extensions", n.response);
  encoding_ = ws::message_encoding::json;
  for (auto& [k, v] : resp.headers)
    if (iequals(k, "Sec-WebSocket-Protocol"))
      encoding_ = ws::pick_encoding(v);
  sizes_.clear();
}

ws::ws_options
ws_message_codec::session_options(const server_config& cfg) const {
  ws::ws_options o;
  o.limits.max_frame_payload = cfg.http.max_body_bytes;
  o.max_message = cfg.http.max_body_bytes;
  o.deflate = deflate_;
  // a binary encoding also takes the client's messages in it
  o.accept_binary = encoding_ != ws::message_encoding::json;
  return o;
}

void ws_message_codec::send(ws::ws_session& ws, const std::string& text,
                            size_t unsent_wire) {
  if (!deflate_ && encoding_ == ws::message_encoding::json) {
    ws.send_text(text);
    return;
  }
  auto before = ws.bytes_sent();
  auto n = text.size();
  // the overflow notice follows messages that may have been dropped
  // unsent (discard_queued): it must not refer to them through the
  // compression context, so it goes plain
  bool compress = text.rfind("{\"type\":\"overflow\"", 0) != 0;
  if (encoding_ == ws::message_encoding::json) {
    ws.send_text(text, compress);
  } else if (auto bin = ws::encode_json_text(text, encoding_)) {
    ws.send_binary(*bin, compress);
  } else {
    ws.send_text(text, compress); // (never: the handlers write JSON)
  }
  // the handler counts the text and its frame header (ws_changefeed::put)
  sizes_.emplace_back(ws.bytes_sent() - before, n + (n < 126     ? 2
                                                     : n < 65536 ? 4
                                                                 : 10));
  // only messages that may still be unsent matter: forget older ones
  size_t wire = 0, unsent = unsent_wire + sizes_.back().first;
  auto keep = sizes_.size();
  for (auto it = sizes_.rbegin(); it != sizes_.rend(); ++it) {
    wire += it->first;
    if (wire > unsent + (64u << 10)) {
      keep = static_cast<size_t>(it - sizes_.rbegin()) + 1;
      break;
    }
  }
  while (sizes_.size() > keep && sizes_.size() > 1)
    sizes_.pop_front();
}

size_t ws_message_codec::logical(size_t wire_unsent) const {
  // the newest messages are the unsent ones: their logical sizes, the one
  // cut by the write in flight in proportion
  size_t logical = 0;
  for (auto it = sizes_.rbegin(); it != sizes_.rend() && wire_unsent; ++it) {
    if (it->first <= wire_unsent) {
      logical += it->second;
      wire_unsent -= it->first;
    } else {
      logical += it->second * wire_unsent / std::max<size_t>(it->first, 1);
      wire_unsent = 0;
    }
  }
  return logical + wire_unsent; // (pings and pongs as they are)
}

} // namespace themis
