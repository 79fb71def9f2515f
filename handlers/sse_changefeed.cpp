/// Server-Sent Events changefeed: GET /changefeed/stream (ThemisDB
/// parameters) and GET /v1/changes/stream.
///
/// Hand-over without gap or duplicate: the connection subscribes to the
/// hub, which names the tip it has published; this handler backfills
/// (after, tip] from the log, then delivers live events, skipping any
/// sequence it already sent.

#include <charconv>
#include <memory>

#include "handlers/change_filter.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

namespace {

constexpr size_t backfill_page = 1000;

class sse_changefeed : public stream_handler {
public:
  sse_changefeed(handler_env& env, change_filter filter, uint64_t after,
                 size_t max_queue) :
    env_(env),
    filter_(std::move(filter)), last_(after), sent_(after),
    max_queue_(max_queue) {}

  void on_subscribed(stream_sink& sink, uint64_t tip) override {
    tip_ = tip;
    sink.write("retry: 2000\n\n"); // reconnect delay for EventSource
  }

  bool backfill(stream_sink& sink) override {
    // (last_, tip_] page by page, one socket write per page; live events
    // after tip_ follow once this returns false.
    if (ended_ || last_ >= tip_)
      return false;
    auto cursor = last_;
    auto page = env_.reader.changes_after(cursor, backfill_page);
    // Retention may have run since the subscribe check: never skip
    // silently.
    if (env_.reader.compacted_through() > cursor) {
      finish(sink, "error", "compacted: re-snapshot and resume from the tip");
      return false;
    }
    std::string frames;
    for (auto& e : page) {
      if (e.sequence > tip_)
        break;
      append_frame(e, nullptr, frames);
    }
    if (!frames.empty())
      sink.write(std::move(frames));
    if (page.size() < backfill_page || last_ >= tip_) {
      last_ = std::max(last_, tip_); // nothing else exists up to the tip
      return false;
    }
    return true;
  }

  void on_events(stream_sink& sink, const published_events& batch) override {
    // One socket write per batch, not per event.
    auto& rendered = filter_.include_docs ? batch.json : batch.json_nodoc;
    std::string frames;
    for (size_t i = 0; i < batch.events.size() && !ended_; ++i) {
      if (batch.events[i].sequence <= last_)
        continue; // already delivered by the backfill
      deliver(sink, batch.events[i], &rendered[i], frames);
    }
    if (!frames.empty())
      sink.write(std::move(frames));
  }

  void on_tick(stream_sink& sink) override {
    if (ended_)
      return;
    if (!wrote_since_tick_)
      sink.write(": heartbeat\n\n");
    wrote_since_tick_ = false;
  }

  void on_shutdown(stream_sink& sink, const std::string& why,
                   bool error) override {
    if (ended_)
      return;
    finish(sink, error ? "error" : "end", why);
  }

private:
  /// Live delivery: bounded by the subscriber's queue.
  void deliver(stream_sink& sink, const engine::change_event& e,
               const std::string* json, std::string& batch) {
    if (sink.queued() > max_queue_) {
      // Never a silent drop: say where the client must resume.
      if (!batch.empty()) {
        sink.write(std::move(batch)); // what was already accepted
        batch.clear();
      }
      finish(sink, "error", "overflow: the client reads too slowly");
      return;
    }
    append_frame(e, json, batch);
  }

  void append_frame(const engine::change_event& e, const std::string* json,
                    std::string& out) {
    last_ = e.sequence;
    if (!filter_.matches(e))
      return;
    out += "id: " + std::to_string(e.sequence) + "\nevent: change\ndata: ";
    out += filter_.render(e, json);
    out += "\n\n";
    sent_ = e.sequence;
    wrote_since_tick_ = true;
  }

  void finish(stream_sink& sink, const char* event, const std::string& why) {
    ended_ = true;
    sink.write(std::string("event: ") + event + "\ndata: {\"error\":" +
               (event[0] == 'e' && event[1] == 'r' ? "true" : "false") +
               ",\"message\":\"" + why +
               "\",\"last_sequence\":" + std::to_string(sent_) + "}\n\n");
    sink.end();
  }

  handler_env& env_;
  change_filter filter_;
  uint64_t last_;    ///< highest sequence examined (delivered or skipped)
  uint64_t tip_ = 0; ///< backfill target named by the hub
  /// Where the client resumes: the last event it was sent (or its own
  /// starting point), reported in error and end events.
  uint64_t sent_;
  size_t max_queue_;
  bool ended_ = false;
  bool wrote_since_tick_ = true;
};

} // namespace

void changefeed_sse(route_context& ctx) {
  change_filter filter;
  if (auto err = change_filter::parse(ctx.req.query, filter))
    return ctx.respond(error_response(400, *err));
  filter.scope_to(ctx.req.who);
  auto& cf = ctx.env.config.changefeed;
  uint64_t after = 0;
  // EventSource sends Last-Event-ID on reconnect: it wins over the URL.
  auto from = ctx.req.header("Last-Event-ID")
                ? std::optional<std::string>(*ctx.req.header("Last-Event-ID"))
                : query_param(ctx.req.query, "from_seq");
  if (!from)
    from = query_param(ctx.req.query, "after");
  if (from && *from == "now")
    after = ctx.env.reader.last_sequence();
  else if (from && !parse_uint(*from, after))
    return ctx.respond(error_response(
      400, "from_seq/Last-Event-ID: expected a sequence number or 'now'"));
  uint64_t heartbeat = cf.heartbeat_ms;
  if (auto h = query_param(ctx.req.query, "heartbeat_ms"))
    if (!parse_uint(*h, heartbeat) || heartbeat < 100 || heartbeat > 3600000)
      return ctx.respond(
        error_response(400, "heartbeat_ms: expected 100 to 3600000"));
  auto through = ctx.env.reader.compacted_through();
  if (after < through) {
    auto r = error_response(
      410, "events after " + std::to_string(after) +
             " were compacted; re-snapshot and resume from the tip");
    r.set_header("X-Compacted-Through", std::to_string(through));
    return ctx.respond(std::move(r));
  }
  api_response head;
  head.stream = true;
  head.set_header("Content-Type", "text/event-stream; charset=utf-8");
  head.set_header("Cache-Control", "no-cache");
  head.set_header("X-Accel-Buffering", "no"); // proxies: do not buffer
  if (ctx.req.method == "HEAD")
    return ctx.respond(std::move(head)); // headers only, no stream
  ctx.respond(std::move(head));
  ctx.streams.start_stream(
    std::make_shared<sse_changefeed>(ctx.env, std::move(filter), after,
                                     cf.max_queue_events),
    static_cast<uint32_t>(heartbeat));
}

} // namespace themis
