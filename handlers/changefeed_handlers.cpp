/// GET /changefeed: long-poll over the change log (ThemisDB shape).
///
/// `from_seq` is exclusive (`after N` returns N+1 onward; `now` = the tip).
/// With no matching event and `long_poll_ms` > 0 the request waits for the
/// next commit (through the change_notifier) until the deadline.

#include <charconv>
#include <chrono>
#include <memory>

#include "handlers/change_filter.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

namespace {

constexpr size_t max_limit = 10000;
constexpr size_t scan_page = 1000;
constexpr size_t max_scan = 100000; ///< rows examined per answer at most

struct poll_state {
  handler_env* env;
  change_notifier* notifier;
  responder respond;
  change_filter filter;
  uint64_t after = 0;
  /// from_seq=0 (or none): the start of the retained log, wherever
  /// retention has moved it, never a 410 (docs/changefeeds.md).
  bool from_start = false;
  size_t limit = 100;
  std::chrono::steady_clock::time_point deadline;
};

api_response gone(uint64_t after, uint64_t through) {
  auto r = error_response(410, "events after " + std::to_string(after) +
                                 " were compacted (retained from " +
                                 std::to_string(through + 1) +
                                 "); re-snapshot and resume from the tip");
  r.set_header("X-Compacted-Through", std::to_string(through));
  return r;
}

void poll_step(std::shared_ptr<poll_state> st, bool may_wait = true) {
  auto& reader = st->env->reader;
  auto through = reader.compacted_through();
  if (st->from_start && st->after < through)
    st->after = through;
  if (st->after < through)
    return st->respond(gone(st->after, through));
  std::string events;
  size_t count = 0, scanned = 0;
  uint64_t cursor = st->after;
  while (count < st->limit && scanned < max_scan) {
    auto page = reader.changes_after(cursor, scan_page);
    // Retention may have run since the check above: never skip silently.
    if (auto now_through = reader.compacted_through(); now_through > cursor) {
      if (st->from_start && count == 0) {
        cursor = st->after = now_through; // still the start: move with it
        continue;
      }
      return st->respond(gone(st->after, now_through));
    }
    for (auto& e : page) {
      cursor = e.sequence;
      ++scanned;
      if (!st->filter.matches(e))
        continue;
      if (count++)
        events.push_back(',');
      events += st->filter.render(e, nullptr);
      if (count == st->limit)
        break;
    }
    if (page.size() < scan_page)
      break;
  }
  auto now = std::chrono::steady_clock::now();
  if (count == 0 && may_wait && now < st->deadline) {
    st->after = cursor; // skip what did not match
    auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(st->deadline - now)
        .count();
    st->notifier->wait_after(cursor, static_cast<uint32_t>(left + 1),
                             [st](bool again) { poll_step(st, again); });
    return;
  }
  std::string body =
    "{\"events\":[" + events + "],\"count\":" + std::to_string(count) +
    ",\"latest_sequence\":" + std::to_string(reader.last_sequence()) +
    ",\"next_from_seq\":" + std::to_string(cursor) + "}";
  st->respond(json_response(200, std::move(body)));
}

} // namespace

void changefeed_poll(route_context& ctx) {
  auto st = std::make_shared<poll_state>();
  st->env = &ctx.env;
  st->notifier = &ctx.notifier;
  st->respond = ctx.respond;
  if (auto err = change_filter::parse(ctx.req.query, st->filter))
    return ctx.respond(error_response(400, *err));
  st->filter.scope_to(ctx.req.who);
  auto from = query_param(ctx.req.query, "from_seq");
  if (!from)
    from = query_param(ctx.req.query, "after");
  if (from && *from == "now")
    st->after = ctx.env.reader.last_sequence();
  else if (from && !parse_uint(*from, st->after))
    return ctx.respond(
      error_response(400, "from_seq: expected a sequence number or 'now'"));
  st->from_start = st->after == 0;
  if (auto l = query_param(ctx.req.query, "limit")) {
    uint64_t v = 0;
    if (!parse_uint(*l, v) || v == 0 || v > max_limit)
      return ctx.respond(
        error_response(400, "limit: expected an integer in [1, " +
                              std::to_string(max_limit) + "]"));
    st->limit = v;
  }
  uint64_t wait_ms = 0;
  if (auto w = query_param(ctx.req.query, "long_poll_ms")) {
    if (!parse_uint(*w, wait_ms))
      return ctx.respond(
        error_response(400, "long_poll_ms: expected milliseconds"));
    wait_ms =
      std::min<uint64_t>(wait_ms, ctx.env.config.changefeed.long_poll_max_ms);
  }
  st->deadline =
    std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  poll_step(std::move(st));
}

} // namespace themis
