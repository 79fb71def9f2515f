#pragma once
/// The elements of a comma-separated header value (RFC 9110 §5.6.1:
/// `Sec-WebSocket-Protocol`, `Connection`, …), trimmed of spaces and
/// tabs, empty elements skipped. Standard library only.

#include <string_view>

namespace themis {

/// Calls `f(token)` for each element in order; `f` returns false to stop.
template <class F>
void for_each_list_token(std::string_view value, F&& f) {
  size_t pos = 0;
  while (pos <= value.size()) {
    auto comma = value.find(',', pos);
    auto tok =
      value.substr(pos, comma == std::string_view::npos ? std::string_view::npos
                                                        : comma - pos);
    while (!tok.empty() && (tok.front() == ' ' || tok.front() == '\t'))
      tok.remove_prefix(1);
    while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t'))
      tok.remove_suffix(1);
    if (!tok.empty() && !f(tok))
      return;
    if (comma == std::string_view::npos)
      return;
    pos = comma + 1;
  }
}

} // namespace themis
