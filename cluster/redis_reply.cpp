#include "cluster/redis_reply.hpp"

#include <hiredis/hiredis.h>

namespace themis::cluster {

namespace {

/// Bounds on what a script may report: a day in µs is far past any
/// window (rules allow at most 1'000'000 h, but Retry-After beyond that
/// says nothing more).
constexpr long long max_us = 1'000'000LL * 3'600 * 1'000'000;

reply_status fail(std::string* why, const std::string& text,
                  reply_status s = reply_status::malformed) {
  if (why)
    *why = text;
  return s;
}

} // namespace

reply_status parse_decision(const redisReply* r, uint64_t limit,
                            limits::decision& out, std::string* why) {
  if (!r)
    return fail(why, "no reply", reply_status::missing);
  if (r->type == REDIS_REPLY_ERROR) {
    std::string text(r->str ? r->str : "", r->str ? r->len : 0);
    if (text.rfind("NOSCRIPT", 0) == 0)
      return fail(why, text, reply_status::no_script);
    return fail(why, text.substr(0, 200), reply_status::error);
  }
  if (r->type != REDIS_REPLY_ARRAY)
    return fail(why, "expected an array of 4 integers");
  if (r->elements != 4 || !r->element)
    return fail(why, "expected 4 elements, got " + std::to_string(r->elements));
  long long v[4];
  for (size_t i = 0; i < 4; ++i) {
    auto* e = r->element[i];
    if (!e || e->type != REDIS_REPLY_INTEGER)
      return fail(why, "element " + std::to_string(i) + " is not an integer");
    if (e->integer < 0 || e->integer > max_us)
      return fail(why, "element " + std::to_string(i) + " out of range");
    v[i] = e->integer;
  }
  if (v[0] > 1)
    return fail(why, "allowed is neither 0 nor 1");
  out = limits::decision{};
  out.allowed = v[0] == 1;
  out.limit = limit;
  out.remaining = static_cast<uint64_t>(v[1]);
  out.reset_ns = v[2] * 1000;
  out.retry_after_ns = out.allowed ? 0 : v[3] * 1000;
  return reply_status::ok;
}

bool parse_script_sha(const redisReply* r, std::string& sha) {
  if (!r || r->type != REDIS_REPLY_STRING || r->len != 40 || !r->str)
    return false;
  for (size_t i = 0; i < 40; ++i) {
    char c = r->str[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  sha.assign(r->str, 40);
  return true;
}

} // namespace themis::cluster
