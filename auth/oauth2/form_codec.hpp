#pragma once
/// application/x-www-form-urlencoded (the body of every OAuth2 POST and
/// the query of the authorization request): RFC 6749 §3.1 says a
/// parameter sent twice is an error, so the parser reports duplicates
/// instead of silently keeping one. Pure, bounded: count and size limits
/// are checked before anything is stored.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace themis::auth::oauth2 {

using form_map = std::map<std::string, std::string>;

struct form_limits {
  size_t max_bytes = 64 * 1024; ///< the whole encoded text
  size_t max_params = 64;
  size_t max_value_bytes = 8 * 1024; ///< one decoded value
};

struct form_result {
  bool ok = false;
  form_map params;
  std::string error; ///< for error_description (never echoes input)
};

/// Parses `text`; empty values count as absent (RFC 6749 §3.1).
form_result parse_form(std::string_view text, const form_limits& lim = {});

/// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view s);

/// `uri` with `params` appended to its query (`?` or `&`), in order.
std::string
append_query(const std::string& uri,
             const std::vector<std::pair<std::string, std::string>>& params);

/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(std::string_view s);

/// A form value, or "" when absent.
inline const std::string& form_get(const form_map& m, const std::string& k) {
  static const std::string none;
  auto i = m.find(k);
  return i == m.end() ? none : i->second;
}

} // namespace themis::auth::oauth2
