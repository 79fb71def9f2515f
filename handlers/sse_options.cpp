#include "handlers/sse_options.hpp"

#include "handlers/consumer_offsets.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

namespace {

/// An optional unsigned parameter in [lo, hi]; the 400 if it is not.
std::optional<api_response> bounded(const api_request& req, const char* name,
                                    uint64_t lo, uint64_t hi, uint64_t& out) {
  auto v = query_param(req.query, name);
  if (!v)
    return std::nullopt;
  uint64_t n = 0;
  if (!parse_uint(*v, n) || n < lo || n > hi)
    return error_response(400, std::string(name) + ": expected " +
                                 std::to_string(lo) + " to " +
                                 std::to_string(hi));
  out = n;
  return std::nullopt;
}

} // namespace

std::optional<api_response> read_sse_options(route_context& ctx,
                                             sse_options& out) {
  auto& req = ctx.req;
  if (auto err = change_filter::parse(req.query, out.filter))
    return error_response(400, *err);
  out.filter.scope_to(req.who);
  bool themisdb = out.filter.format == event_format::themisdb;
  auto& cf = ctx.env.config.changefeed;
  // EventSource sends Last-Event-ID on reconnect: it wins over the URL.
  auto from = req.header("Last-Event-ID")
                ? std::optional<std::string>(*req.header("Last-Event-ID"))
                : query_param(req.query, "from_seq");
  if (!from)
    from = query_param(req.query, "after");
  if (from && *from == "now")
    out.after = ctx.env.reader.last_sequence();
  else if (from && !parse_uint(*from, out.after))
    return error_response(
      400, "from_seq/Last-Event-ID: expected a sequence number or 'now'");
  out.heartbeat_ms = cf.heartbeat_ms;
  out.retry_ms = themisdb ? 3000 : 2000;
  if (auto e = bounded(req, "heartbeat_ms", 100, 3600000, out.heartbeat_ms))
    return e;
  if (auto e = bounded(req, "retry_ms", 100, 120000, out.retry_ms))
    return e;
  if (auto e = bounded(req, "max_seconds", 1, 86400, out.max_seconds))
    return e;
  if (auto e = bounded(req, "max_events", 1, 10000000, out.max_events))
    return e;
  if (auto e = bounded(req, "ack_timeout_ms", 0, 86400000, out.ack_timeout_ms))
    return e;
  if (auto k = query_param(req.query, "keep_alive")) {
    if (*k == "true" || *k == "1")
      out.keep_alive = true;
    else if (*k == "false" || *k == "0")
      out.keep_alive = false;
    else
      return error_response(400, "keep_alive: expected true or false");
  }
  auto through = ctx.env.reader.compacted_through();
  if (auto c = query_param(req.query, "consumer_id")) {
    if (!consumer_offsets::valid_id(*c))
      return error_response(400, "Invalid consumer_id: 1 to 128 of "
                                 "A-Z a-z 0-9 _ . : -");
    out.consumer = true;
    out.consumer_id = *c;
    out.tenant = req.who.tenant;
    consumer_offsets::position pos;
    try {
      auto& store = consumer_offsets::of(ctx.env.config.engine.data_dir);
      if (auto err = store.attach(out.tenant, out.consumer_id,
                                  std::max(out.after, through), pos)) {
        // a bound on consumer ids, not a rate: retrying helps only once
        // ids are released
        return too_many_response(*err, 60);
      }
    } catch (const std::exception& e) {
      return error_response(500, std::string("consumer offsets: ") + e.what());
    }
    // a known consumer resumes where it was, unless told otherwise
    // (ThemisDB clients send from_seq=0 for "where I was")
    if (pos.known && out.after == 0)
      out.after = pos.sent;
  }
  if (out.after == 0) // the start of the retained log (docs/changefeeds.md)
    out.after = through;
  if (out.after < through) {
    auto r = error_response(
      410, "events after " + std::to_string(out.after) +
             " were compacted; re-snapshot and resume from the tip");
    r.set_header("X-Compacted-Through", std::to_string(through));
    return r;
  }
  return std::nullopt;
}

} // namespace themis
