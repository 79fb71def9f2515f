#pragma once
/// Protocol-blind request and response: what a handler sees. HTTP/1.1,
/// HTTP/2 and later front-ends all translate their frames into these, so a
/// handler never depends on a wire format.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "themis/principal.hpp"

namespace themis {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// ASCII case-insensitive comparison (header names, tokens).
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]);
    auto y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z')
      x += 32;
    if (y >= 'A' && y <= 'Z')
      y += 32;
    if (x != y)
      return false;
  }
  return true;
}

/// First value of a header, or nullptr.
inline const std::string* find_header(const header_list& hs,
                                      std::string_view name) {
  for (auto& [k, v] : hs)
    if (iequals(k, name))
      return &v;
  return nullptr;
}

struct api_request {
  std::string method;      ///< upper-case token, e.g. "GET"
  std::string path;        ///< percent-decoded path, without the query
  std::string query;       ///< raw query string (after '?'), not decoded
  header_list headers;     ///< as received, names in original case
  std::string body;        ///< complete, de-chunked body
  std::string remote_addr; ///< peer address, for logs and limits
  /// The subject (RFC 2253) of a client certificate that TLS verified
  /// against tls.client_ca; empty without mTLS.
  std::string client_cert;
  std::string request_id; ///< X-Request-ID (echoed or generated)
  /// The request's span as a W3C traceparent (empty: tracing off), so a
  /// handler's child spans and the work it hands on (jobs) join its trace.
  std::string traceparent;
  /// Who asks: set by the router's auth gate before any handler runs
  /// ("anonymous" with every scope when auth is off).
  principal who{{}, {}, {}, "anonymous", {}};

  const std::string* header(std::string_view name) const {
    return find_header(headers, name);
  }
};

struct api_response {
  int status = 200;
  header_list headers; ///< extra headers; framing headers are the codec's job
  std::string body;
  /// The body follows later as a stream (SSE): the front-end sends the
  /// head now and the body in pieces until the stream ends.
  bool stream = false;
  /// HTTP/2 trailers after the body (gRPC's grpc-status): sent as a
  /// HEADERS frame that ends the stream; front-ends without trailers
  /// (HTTP/1.1) drop them.
  header_list trailers;

  const std::string* header(std::string_view name) const {
    return find_header(headers, name);
  }
  void set_header(std::string name, std::string value) {
    for (auto& [k, v] : headers)
      if (iequals(k, name)) {
        v = std::move(value);
        return;
      }
    headers.emplace_back(std::move(name), std::move(value));
  }
};

} // namespace themis
