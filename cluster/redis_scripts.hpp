#pragma once
/// The Lua scripts of the Redis-backed rate limiter (issue 25) and how
/// bucket keys are named. A script updates one bucket atomically on the
/// Redis server with the server's own clock (`TIME`), so every node sees
/// the same bucket and node clocks do not matter. Pure: text only.

#include <string>
#include <string_view>

#include "limits/rate_algorithms.hpp"

namespace themis::cluster {

/// KEYS[1] = bucket hash; ARGV = limit, window_us, capacity.
/// Returns {allowed 0|1, remaining, reset_us, retry_after_us}.
const std::string& token_bucket_script();

/// KEYS[1] = counter hash; ARGV = limit, window_us.
/// Returns {allowed 0|1, remaining, reset_us, retry_after_us}.
const std::string& sliding_window_script();

/// The script for `a` (sliding_window_log has none: refused by config).
const std::string& script_for(limits::algorithm a);

/// Whether the Redis backend implements `a`.
bool redis_supports(limits::algorithm a);

/// The Redis key of one bucket: `prefix` + "tb:" / "sw:" + the limiter's
/// bucket key with bytes outside printable ASCII, '%' and ':' escaped as
/// %XX (the limiter's keys hold a NUL separator and token digests).
std::string bucket_key(std::string_view prefix, limits::algorithm a,
                       std::string_view limiter_key);

} // namespace themis::cluster
