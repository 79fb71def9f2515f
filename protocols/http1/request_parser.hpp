#pragma once
/// Incremental, strict HTTP/1.1 request parser (RFC 9112). Pure: bytes in,
/// a request out, no I/O and no exceptions. Errors carry the HTTP status a
/// server must answer with (400, 413, 431, 501, 505) so the session can
/// reply and close without interpreting them.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "themis/api_message.hpp"

namespace themis::http1 {

struct parser_limits {
  size_t max_header_bytes = 8192; ///< request line + headers + final CRLF
  uint64_t max_body_bytes = 16ull << 20;
  size_t max_headers = 100;
  size_t max_chunk_line = 1024; ///< chunk-size line incl. extensions
};

enum class parse_status {
  need_more, ///< all input consumed, request not complete
  complete,  ///< one request complete; `consumed` bytes belong to it
  error,     ///< malformed or over a limit: answer `error_status`, close
};

struct parse_result {
  size_t consumed = 0;
  parse_status status = parse_status::need_more;
};

struct http_request {
  std::string method;
  std::string target; ///< request-target as sent (origin-form expected)
  int version_minor = 1;
  header_list headers;
  std::string body;
  bool keep_alive = true;
  bool expect_continue = false;
  bool chunked = false;
  uint64_t content_length = 0;
};

class request_parser {
public:
  explicit request_parser(parser_limits limits = {});

  /// Consumes bytes of at most one request. After `complete`, take the
  /// request with `release()`; after `error`, the parser stays failed.
  parse_result feed(std::string_view data);

  /// True once the header block of the current request was parsed (lets
  /// the session answer `Expect: 100-continue` before the body arrives).
  bool head_complete() const { return state_ > state::head; }

  /// True if some bytes of a request were seen but it is not complete.
  bool in_progress() const { return state_ != state::head || !head_.empty(); }

  /// Status code to answer a failed parse with, and a short reason.
  int error_status() const { return error_status_; }
  const std::string& error_reason() const { return error_reason_; }

  const http_request& request() const { return req_; }
  http_request release();

private:
  enum class state {
    head,
    body,
    chunk_size,
    chunk_data,
    chunk_crlf,
    trailer,
    done,
    failed
  };

  parse_result fail(size_t consumed, int status, std::string reason);
  bool parse_head(); ///< parses head_; sets error on failure
  bool parse_request_line(std::string_view line);
  bool parse_header_line(std::string_view line);
  bool finish_headers();

  parser_limits limits_;
  state state_ = state::head;
  std::string head_; ///< bytes of the header block or current chunk line
  http_request req_;
  uint64_t remaining_ = 0; ///< body or chunk bytes still expected
  size_t trailer_bytes_ = 0;
  int error_status_ = 0;
  std::string error_reason_;
};

/// Reason phrase for a status code ("OK", "Not Found" …).
std::string_view reason_phrase(int status);

} // namespace themis::http1
