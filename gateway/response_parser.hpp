#pragma once
/// HTTP/1.1 response decoder for upstream answers (RFC 9112): status
/// line, headers, then a body framed by Content-Length, chunked coding or
/// the end of the connection. Incremental and pure: bytes in, a verdict
/// out; limits in a small struct so tests (and fuzzers) can set them tiny.
/// A malformed answer is an error, never a throw; the gateway turns it
/// into 502.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "themis/api_message.hpp"

namespace themis::gateway {

struct response_limits {
  size_t max_header_bytes = 64 * 1024;
  size_t max_headers = 128;
  uint64_t max_body_bytes = 16u << 20;
};

struct upstream_response {
  int status = 0;
  header_list headers;
  std::string body;
  bool keep_alive = true; ///< the connection may carry another request
};

class response_parser {
public:
  enum class result { need_more, done, error };

  /// `head_request`: the answer to HEAD has no body whatever it says.
  explicit response_parser(bool head_request, response_limits lim = {});

  /// Feeds bytes; `done` once a whole response is read. Bytes after it
  /// mean the peer sent more than asked: keep_alive becomes false.
  result feed(std::string_view bytes);
  /// The peer closed: completes a close-delimited body, else an error.
  result on_eof();

  const std::string& error() const { return error_; }
  upstream_response& response() { return resp_; }
  bool started() const { return !buf_.empty() || state_ != state::head; }
  /// The status line and headers are parsed (a final answer, not 1xx):
  /// the body may be streamed from here on.
  bool head_complete() const {
    return state_ != state::head && state_ != state::failed;
  }
  /// Streaming: moves out the body bytes decoded so far (de-chunked), so
  /// only what arrived since the last call is held. The size limit counts
  /// all body bytes, taken or not.
  std::string take_body() {
    std::string out;
    out.swap(resp_.body);
    return out;
  }
  /// The body's length from Content-Length (-1: chunked or close-framed).
  int64_t content_length() const { return content_length_; }
  /// Bytes after a complete answer: after a 101 the upgraded protocol's
  /// first bytes (a WebSocket frame sent with the 101).
  std::string take_rest() {
    std::string out;
    out.swap(rest_);
    return out;
  }

private:
  enum class state {
    head,
    length,
    chunk_size,
    chunk_data,
    chunk_crlf,
    trailers,
    until_close,
    done,
    failed
  };
  result fail(std::string why);
  result parse_head();
  result step();
  /// Moves up to `remaining_` body bytes out of the buffer; true when the
  /// body (or chunk) is complete.
  bool move_body();

  bool head_;
  response_limits lim_;
  state state_ = state::head;
  std::string buf_;
  size_t pos_ = 0; ///< parsed up to here in buf_
  uint64_t remaining_ = 0;
  upstream_response resp_;
  uint64_t body_seen_ = 0; ///< body bytes decoded, including taken ones
  int64_t content_length_ = -1;
  std::string rest_;
  std::string error_;
};

} // namespace themis::gateway
