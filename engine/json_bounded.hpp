#pragma once
/// nlohmann::json parsing of untrusted text with the nesting limit checked
/// first (issue 17). nlohmann parses iteratively but copies, compares and
/// dumps recursively, and SQLite's JSON functions refuse rows nested past
/// their own limit: an over-deep value must never enter the process.

#include <nlohmann/json.hpp>
#include <string_view>

#include "themis/input_limits.hpp"

namespace themis::engine {

enum class json_parse_status { ok, malformed, too_deep };

/// Parses `text` into `out` (left discarded unless ok).
inline json_parse_status parse_untrusted_json(std::string_view text,
                                              nlohmann::json& out) {
  if (!json_depth_ok(text)) {
    out = nlohmann::json(nlohmann::json::value_t::discarded);
    return json_parse_status::too_deep;
  }
  // nlohmann ends the input at a NUL byte, so "1\0[…" would parse as 1 with
  // the rest unseen. NULs that only trail (a C string sent with its
  // terminator) are still accepted; anything after one is malformed.
  if (auto nul = text.find('\0');
      nul != std::string_view::npos &&
      text.find_first_not_of('\0', nul) != std::string_view::npos) {
    out = nlohmann::json(nlohmann::json::value_t::discarded);
    return json_parse_status::malformed;
  }
  out = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  return out.is_discarded() ? json_parse_status::malformed
                            : json_parse_status::ok;
}

/// The message a client gets for too_deep, naming the limit.
inline std::string json_too_deep_message() {
  return "JSON nested deeper than " + std::to_string(max_json_depth()) +
         " levels (limits.max_json_depth)";
}

} // namespace themis::engine
