#pragma once
/// Serialises an api_response as an HTTP/1.1 message. Owns the framing
/// headers (Content-Length, Date, Server, Connection) so handlers cannot get
/// them wrong.

#include <string>
#include <string_view>

#include "themis/api_message.hpp"

namespace themis::http1 {

struct response_options {
  bool head_request = false; ///< send headers only, Content-Length of body
  bool keep_alive = true;
  int version_minor = 1;
  std::string_view date;   ///< IMF-fixdate, cached by the caller
  std::string_view server; ///< Server header value
};

/// Appends the serialised response to `out`.
void write_response(const api_response& resp, const response_options& opts,
                    std::string& out);

/// Appends one piece of a streamed body (a chunk for HTTP/1.1).
void write_chunk(std::string_view data, int version_minor, std::string& out);

/// Current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string http_date_now();

/// True if a response with this status has no body by definition.
inline bool status_forbids_body(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

} // namespace themis::http1
