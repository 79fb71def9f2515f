#pragma once
/// Limits on hostile input that every parser shares (issue 17): how deep a
/// JSON value may nest, and how much stack a recursive walk must leave.
/// Standard library only, so codecs, the engine and the handlers all read
/// the same numbers. Set once at boot from `limits.*` in the config.

#include <atomic>
#include <cstddef>
#include <string_view>

namespace themis {

/// Default for limits.max_json_depth: far below SQLite JSON1's own limit
/// (1000/2000 levels, beyond which every JSON function on the row fails),
/// far above what real documents use.
constexpr size_t default_max_json_depth = 128;

inline std::atomic<size_t>& max_json_depth_setting() {
  static std::atomic<size_t> v{default_max_json_depth};
  return v;
}

/// The process-wide JSON nesting limit (limits.max_json_depth).
inline size_t max_json_depth() {
  return max_json_depth_setting().load(std::memory_order_relaxed);
}

inline void set_max_json_depth(size_t n) {
  max_json_depth_setting().store(n, std::memory_order_relaxed);
}

/// The other parser limits (limits.* in the config), read where each
/// parser starts; written once at boot.
struct parser_limits {
  size_t max_sql_depth = 1000;          ///< SQL parse-tree nesting: 54001
  size_t max_sql_bytes = 1u << 20;      ///< one SQL query string: 54000
  size_t max_aql_clauses = 1000;        ///< AQL clauses incl. subqueries
  size_t thread_stack_bytes = 8u << 20; ///< limits.thread_stack_kb
};

inline parser_limits& parser_limits_setting() {
  static parser_limits v;
  return v;
}

inline const parser_limits& current_parser_limits() {
  return parser_limits_setting();
}

/// Deepest array/object nesting of JSON text, counting brackets outside
/// strings only; returns as soon as `stop_after` is passed, so a hostile
/// input costs one linear scan that ends early. Malformed text is not
/// judged here: the parser that runs next does that.
inline size_t json_depth(std::string_view s, size_t stop_after = ~size_t{0}) {
  size_t depth = 0, max = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max && (max = depth) > stop_after)
        return max;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return max;
}

/// True when `s` nests no deeper than the process-wide limit.
inline bool json_depth_ok(std::string_view s) {
  auto limit = max_json_depth();
  return json_depth(s, limit) <= limit;
}

} // namespace themis
