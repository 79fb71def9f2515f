/// Server-Sent Events changefeed: GET /changefeed/stream (ThemisDB
/// parameters) and GET /v1/changes/stream.
///
/// Hand-over without gap or duplicate: the connection subscribes to the
/// hub, which names the tip it has published; this handler backfills
/// (after, tip] from the log, then delivers live events, skipping any
/// sequence it already sent.

#include <charconv>
#include <deque>
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
                 size_t max_events, uint64_t max_bytes) :
    env_(env),
    filter_(std::move(filter)), last_(after), sent_(after),
    max_events_(max_events), max_bytes_(max_bytes) {}

  void on_subscribed(stream_sink& sink, uint64_t tip) override {
    tip_ = tip;
    put(sink, "retry: 2000\n\n", 0); // reconnect delay for EventSource
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
    // paced by the front-end: the bytes count, the event bound is about
    // live events piling up
    if (!frames.empty())
      put(sink, std::move(frames), 0);
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
    size_t events = 0;
    for (size_t i = 0; i < batch.events.size() && !ended_; ++i) {
      if (batch.events[i].sequence <= last_)
        continue; // already delivered by the backfill
      deliver(sink, batch.events[i], &rendered[i], frames, events);
    }
    if (!frames.empty())
      put(sink, std::move(frames), events);
  }

  void on_tick(stream_sink& sink) override {
    if (ended_)
      return;
    if (!wrote_since_tick_)
      put(sink, ": heartbeat\n\n", 0);
    wrote_since_tick_ = false;
  }

  void on_shutdown(stream_sink& sink, const std::string& why,
                   bool error) override {
    if (ended_)
      return;
    finish(sink, error ? "error" : "end", why);
  }

private:
  /// Live delivery: bounded by the subscriber's unsent output, in bytes
  /// and in events, whatever the number of writes (group commits and
  /// concurrent writers put many events in one).
  void deliver(stream_sink& sink, const engine::change_event& e,
               const std::string* json, std::string& batch, size_t& events) {
    if (over_bound(sink, batch.size(), events)) {
      // Never a silent drop: say where the client must resume.
      if (!batch.empty()) {
        put(sink, std::move(batch), events); // what was already accepted
        batch.clear();
        events = 0;
      }
      finish(sink, "error", "overflow: the client reads too slowly");
      return;
    }
    events += append_frame(e, json, batch);
  }

  /// Whether the output not yet taken by the network, plus `pending_bytes`
  /// and `pending_events` about to be written, passes a bound.
  bool over_bound(stream_sink& sink, size_t pending_bytes,
                  size_t pending_events) {
    auto unsent = sink.queued(); // bytes, socket queue included
    // writes whose end the network has taken are delivered; framing the
    // front-end adds makes `unsent` larger, so this errs on "not yet"
    auto taken = written_ > unsent ? written_ - unsent : 0;
    while (!marks_.empty() && marks_.front().end <= taken) {
      unsent_events_ -= marks_.front().events;
      marks_.pop_front();
    }
    return unsent + pending_bytes > max_bytes_ ||
           unsent_events_ + pending_events >= max_events_;
  }

  /// Writes and remembers how many events the bytes carry.
  void put(stream_sink& sink, std::string bytes, size_t events) {
    written_ += bytes.size();
    if (events > 0) {
      marks_.push_back({written_, events});
      unsent_events_ += events;
    }
    sink.write(std::move(bytes));
  }

  /// Appends the event's frame if it passes the filter; 1 if it did.
  size_t append_frame(const engine::change_event& e, const std::string* json,
                      std::string& out) {
    last_ = e.sequence;
    if (!filter_.matches(e))
      return 0;
    out += "id: " + std::to_string(e.sequence) + "\nevent: change\ndata: ";
    out += filter_.render(e, json);
    out += "\n\n";
    sent_ = e.sequence;
    wrote_since_tick_ = true;
    return 1;
  }

  void finish(stream_sink& sink, const char* event, const std::string& why) {
    ended_ = true;
    put(sink,
        std::string("event: ") + event + "\ndata: {\"error\":" +
          (event[0] == 'e' && event[1] == 'r' ? "true" : "false") +
          ",\"message\":\"" + why +
          "\",\"last_sequence\":" + std::to_string(sent_) + "}\n\n",
        0);
    sink.end();
  }

  handler_env& env_;
  change_filter filter_;
  uint64_t last_;    ///< highest sequence examined (delivered or skipped)
  uint64_t tip_ = 0; ///< backfill target named by the hub
  /// Where the client resumes: the last event it was sent (or its own
  /// starting point), reported in error and end events.
  uint64_t sent_;
  size_t max_events_;
  uint64_t max_bytes_;
  /// Writes carrying events, by the offset where each ends: popped once
  /// the network has taken them, so `unsent_events_` counts what waits.
  struct mark {
    uint64_t end;
    size_t events;
  };
  std::deque<mark> marks_;
  uint64_t written_ = 0; ///< bytes written through the sink
  size_t unsent_events_ = 0;
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
  if (after == 0) // the start of the retained log (docs/changefeeds.md)
    after = through;
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
                                     cf.max_queue_events, cf.max_queue_bytes),
    static_cast<uint32_t>(heartbeat));
}

} // namespace themis
