#pragma once
/// What the router asks the distributed limiter (issue 25, the Redis
/// backend's actor) and what it answers, as a small line format carried in
/// an api_request / api_response body over the front-end's service port.
/// Pure; bounded: at most `max_wire_items` buckets of `max_wire_key` bytes.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "limits/rate_algorithms.hpp"

namespace themis::limits {

constexpr size_t max_wire_items = 4;
constexpr size_t max_wire_key = 1024;

/// One bucket to take a request from.
struct limit_item {
  algorithm algo = algorithm::token_bucket;
  limit_spec spec;
  std::string key; ///< the limiter's bucket key (any bytes)
};

/// The answer for one item; `from_redis` false: decided by the node's
/// local fallback bucket (Redis down or too slow).
struct limit_answer {
  decision d;
  bool from_redis = false;
};

/// Appends `in` with %XX escapes decoded to `out`; false on a bad escape.
bool percent_decode(std::string_view in, std::string& out);

std::string encode_query(const std::vector<limit_item>& items);
/// nullopt on anything malformed or over the bounds.
std::optional<std::vector<limit_item>> decode_query(const std::string& body);

std::string encode_answers(const std::vector<limit_answer>& answers);
/// nullopt unless exactly `expected` well-formed answers.
std::optional<std::vector<limit_answer>> decode_answers(const std::string& body,
                                                        size_t expected);

} // namespace themis::limits
