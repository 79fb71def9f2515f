#include "cluster/redis_scripts.hpp"

namespace themis::cluster {

namespace {

/// Redis < 5 replicates scripts verbatim, which refuses a write after
/// TIME; effects replication (the default from Redis 5) does not.
constexpr const char* clock_prelude = R"lua(
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
)lua";

/// Same arithmetic as limits/rate_algorithms.cpp token_bucket, in µs.
constexpr const char* token_bucket_body = R"lua(
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local per_us = limit / window
local h = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(h[1])
local upd = tonumber(h[2])
if tokens == nil or upd == nil then
  tokens = cap
  upd = now
elseif now > upd then
  tokens = math.min(cap, tokens + (now - upd) * per_us)
  upd = now
end
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) / per_us)
end
local reset = math.ceil((cap - tokens) / per_us)
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'u', upd)
redis.call('PEXPIRE', KEYS[1], math.ceil(reset / 1000) + 1000)
return {allowed, math.floor(tokens), reset, retry}
)lua";

/// Same arithmetic as limits/rate_algorithms.cpp window_counter, in µs.
constexpr const char* sliding_window_body = R"lua(
local limit = tonumber(ARGV[1])
local w = tonumber(ARGV[2])
local h = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local s = tonumber(h[1]) or 0
local c = tonumber(h[2]) or 0
local p = tonumber(h[3]) or 0
if now < s then now = s end
local start = now - (now % w)
if start ~= s then
  if start - s == w then p = c else p = 0 end
  c = 0
  s = start
end
local weight = 1 - (now - start) / w
local used = p * weight + c
local allowed = 0
local remaining = 0
local retry = 0
if used + 1 <= limit then
  c = c + 1
  allowed = 1
  remaining = math.floor(math.max(0, limit - used - 1))
else
  local need = used + 1 - limit
  if c + 1 <= limit and p > 0 then
    retry = math.ceil(need / p * w)
  else
    retry = (start + w - now) + math.ceil(w * (1 - (limit - 1) / c))
  end
  if retry < 1 then retry = 1 end
end
redis.call('HSET', KEYS[1], 's', s, 'c', c, 'p', p)
redis.call('PEXPIRE', KEYS[1], math.ceil(2 * w / 1000) + 1000)
return {allowed, remaining, start + w - now, retry}
)lua";

} // namespace

const std::string& token_bucket_script() {
  static const std::string s = std::string(clock_prelude) + token_bucket_body;
  return s;
}

const std::string& sliding_window_script() {
  static const std::string s = std::string(clock_prelude) + sliding_window_body;
  return s;
}

const std::string& script_for(limits::algorithm a) {
  return a == limits::algorithm::sliding_window_counter
           ? sliding_window_script()
           : token_bucket_script();
}

bool redis_supports(limits::algorithm a) {
  return a == limits::algorithm::token_bucket ||
         a == limits::algorithm::sliding_window_counter;
}

std::string bucket_key(std::string_view prefix, limits::algorithm a,
                       std::string_view limiter_key) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out(prefix);
  out += a == limits::algorithm::sliding_window_counter ? "sw:" : "tb:";
  for (unsigned char c : limiter_key) {
    if (c > 0x20 && c < 0x7f && c != '%' && c != ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

} // namespace themis::cluster
