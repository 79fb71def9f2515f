/// Changefeed WebSockets over HTTP/3 (RFC 9220): an extended CONNECT at
/// /v2/changes, /v1/changes/ws or /graphql reaches the same handlers as
/// an HTTP/1.1 upgrade (auth, tenant, subprotocol checks are theirs);
/// their 101 becomes the stream's 200 and a ws_channel carries the
/// handler's messages on the stream. One changefeed subscriber per
/// connection (an SSE stream or a WebSocket), as on HTTP/2. Members of
/// h3_connection_state.

#include "actors/h3_connection_state.hpp"

namespace themis::detail {

void h3_connection_state::accept_channel(uint64_t id,
                                         const std::string& extensions,
                                         api_response& resp) {
  if (stream || channel || channel_opening) {
    resp = error_response(503, "one changefeed subscriber per connection: "
                               "open another connection");
    return; // (start_channel finds no channel waiting for a handler)
  }
  ws_message_codec codec;
  codec.negotiate(ctx->config, extensions, resp); // deflate, encoding
  channel_opening =
    std::make_shared<ws_channel>(self, ctx, *this, id, ++stream_gen, codec);
}

void h3_connection_state::start_channel(std::shared_ptr<channel_handler> h,
                                        uint32_t ping_ms) {
  // right after the handler's 101: the channel on_tunnel_open adopted
  // (none if the 101 was refused or the stream is already gone)
  if (auto c = channel; c && !c->started())
    c->start(std::move(h), ping_ms);
}

bool h3_connection_state::end_channel(uint64_t id) {
  if (!channel || channel->stream_id() != id)
    return false;
  auto c = std::move(channel); // (kept alive while it may be in a call)
  channel.reset();
  c->stop(); // unsubscribed: a client's RESET_STREAM frees it at once
  return true;
}

void h3_connection_state::channel_reset(uint64_t id) {
  if (session)
    session->reset_stream(id, 0x8 /* H3_REQUEST_CANCELLED */);
}

} // namespace themis::detail
