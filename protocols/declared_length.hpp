#pragma once
/// A response header the front-ends read and never send (issue 23): the
/// length of a body that is not in api_response::body. A HEAD answer's
/// (the length a GET would have had) and a streamed body of known size,
/// which then goes out with Content-Length instead of chunked. The ':'
/// makes it a name no real HTTP/1.1 header can have; HTTP/2 front-ends
/// turn it into content-length. Without it nothing changes.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include "themis/api_message.hpp"

namespace themis {

inline constexpr std::string_view declared_length_header = ":content-length";

/// The declared length of `resp`, if it carries a valid one (1-19 digits).
inline std::optional<uint64_t> declared_length(const header_list& headers) {
  auto* v = find_header(headers, declared_length_header);
  if (!v || v->empty() || v->size() > 19)
    return std::nullopt;
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || p != v->data() + v->size())
    return std::nullopt;
  return n;
}

} // namespace themis
