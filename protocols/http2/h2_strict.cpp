/// Stream-identifier rules of RFC 9113 §5.1 that nghttp2 leaves out, and
/// the RST_STREAM(NO_ERROR) after an early answer (§8.1). nghttp2 itself
/// answers even (server-initiated) ids and HEADERS on a half-closed
/// (remote) stream; it silently ignores a HEADERS frame whose id is lower
/// than one already opened when it no longer knows that stream. Here that
/// is a connection error, except on streams we reset ourselves, whose
/// late frames the RFC says to ignore.

#include <algorithm>
#include <nghttp2/nghttp2.h>

#include "protocols/http2/h2_session.hpp"

namespace themis::http2 {

namespace {
/// Closed ids remembered; beyond this the oldest are forgotten (a
/// forgotten id is treated as never opened: PROTOCOL_ERROR).
constexpr size_t max_recent_closed = 256;
} // namespace

int h2_session::on_begin_frame(uint8_t type, int32_t id) {
  if (type != NGHTTP2_HEADERS || id <= 0 || (id & 1) == 0)
    return 0; // (0 and even ids: nghttp2's PROTOCOL_ERROR)
  if (id > highest_seen_) {
    highest_seen_ = id; // a new stream (nghttp2 may still refuse it)
    return 0;
  }
  if (streams_.count(id))
    return 0; // trailers (or a HEADERS nghttp2 judges) on an open stream
  auto it = std::find_if(recent_closed_.begin(), recent_closed_.end(),
                         [id](auto& e) { return e.first == id; });
  if (it != recent_closed_.end() && it->second)
    return 0; // we reset it: its late frames are ignored (§5.1 "closed")
  if (it != recent_closed_.end()) {
    // closed by END_STREAM both ways or by the client's RST_STREAM
    conn_error_ = NGHTTP2_STREAM_CLOSED;
    conn_error_why_ = "HEADERS on closed stream " + std::to_string(id);
  } else {
    // lower than a stream already opened: never valid (§5.1.1)
    conn_error_ = NGHTTP2_PROTOCOL_ERROR;
    conn_error_why_ = "HEADERS with stream id " + std::to_string(id) +
                      " lower than " + std::to_string(highest_seen_);
  }
  return 1;
}

void h2_session::on_frame_sent(uint8_t type, uint8_t flags, int32_t id) {
  if (type == NGHTTP2_RST_STREAM) {
    remember_closed(id, true);
    return;
  }
  if ((type != NGHTTP2_DATA && type != NGHTTP2_HEADERS) ||
      !(flags & NGHTTP2_FLAG_END_STREAM))
    return;
  auto it = streams_.find(id);
  if (it == streams_.end() || !it->second.reset_after_end ||
      it->second.request_done)
    return;
  // our answer is complete; the request body is not wanted any more
  it->second.reset_after_end = false;
  nghttp2_submit_rst_stream(s_, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
}

void h2_session::remember_closed(int32_t id, bool reset_by_us) {
  for (auto& e : recent_closed_)
    if (e.first == id) {
      e.second = e.second || reset_by_us;
      return;
    }
  recent_closed_.emplace_back(id, reset_by_us);
  if (recent_closed_.size() > max_recent_closed)
    recent_closed_.pop_front();
}

void h2_session::reset_stream(uint64_t id, uint32_t code) {
  if (closed_ || !streams_.count(static_cast<int32_t>(id)))
    return;
  nghttp2_submit_rst_stream(s_, NGHTTP2_FLAG_NONE, static_cast<int32_t>(id),
                            code);
  flush();
}

} // namespace themis::http2
