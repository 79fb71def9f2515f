#pragma once
/// Turns a script's Redis reply into a limiter decision. Pure: a hiredis
/// `redisReply` in (tests make them from RESP bytes with hiredis's reader),
/// a decision or a reason out; never throws on what a server sends.

#include <string>

#include "limits/rate_algorithms.hpp"

struct redisReply; // hiredis

namespace themis::cluster {

enum class reply_status : uint8_t {
  ok,
  no_script, ///< NOSCRIPT: the server forgot the script (restart, FLUSH)
  error,     ///< another error reply (OOM, WRONGTYPE, BUSY …)
  malformed, ///< not the 4 integers a script returns, or out of range
  missing,   ///< no reply: the connection went away
};

/// Reads {allowed, remaining, reset_us, retry_after_us}; `limit` is the
/// rule's, for the decision. `why` names what was wrong (for logs).
reply_status parse_decision(const redisReply* r, uint64_t limit,
                            limits::decision& out, std::string* why = nullptr);

/// Whether a SCRIPT LOAD reply is a 40-hex-digit SHA1; copies it.
bool parse_script_sha(const redisReply* r, std::string& sha);

} // namespace themis::cluster
