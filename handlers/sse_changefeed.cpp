/// Server-Sent Events changefeed: GET /changefeed/stream (ThemisDB
/// parameters) and GET /v1/changes/stream.
///
/// Hand-over without gap or duplicate: the connection subscribes to the
/// hub, which names the tip it has published; this handler backfills
/// (after, tip] from the log, then delivers live events, skipping any
/// sequence it already sent. Bounded streams (`max_seconds`, `max_events`,
/// `keep_alive=false`) and at-least-once consumers (`consumer_id`) ride on
/// the same path (handlers/sse_options.hpp).

#include <chrono>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>

#include "handlers/change_filter.hpp"
#include "handlers/consumer_offsets.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/sse_options.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace {

constexpr size_t backfill_page = 1000;
using steady = std::chrono::steady_clock;

class sse_changefeed : public stream_handler {
public:
  sse_changefeed(handler_env& env, sse_options opt, uint64_t max_events,
                 uint64_t max_bytes) :
    env_(env),
    opt_(std::move(opt)), last_(opt_.after), sent_(opt_.after),
    max_queue_events_(max_events), max_bytes_(max_bytes),
    started_(steady::now()), last_write_(started_) {}

  void on_subscribed(stream_sink& sink, uint64_t tip) override {
    tip_ = tip;
    // reconnect delay for EventSource
    put(sink, "retry: " + std::to_string(opt_.retry_ms) + "\n\n", 0);
    if (opt_.consumer)
      redeliver(sink, 0); // what the consumer left unacknowledged
  }

  bool backfill(stream_sink& sink) override {
    // (last_, tip_] page by page, one socket write per page; live events
    // after tip_ follow once this returns false.
    if (ended_)
      return false;
    if (last_ >= tip_)
      return backfill_done(sink);
    auto cursor = last_;
    auto page = env_.reader.changes_after(cursor, backfill_page);
    // Retention may have run since the subscribe check: never skip
    // silently.
    if (env_.reader.compacted_through() > cursor) {
      finish(sink, "error", "compacted: re-snapshot and resume from the tip");
      return false;
    }
    std::string frames;
    size_t events = 0;
    for (auto& e : page) {
      if (e.sequence > tip_ || stopping_)
        break;
      events += append_frame(e, nullptr, frames);
    }
    // paced by the front-end: the bytes count, the event bound is about
    // live events piling up
    if (!frames.empty())
      put(sink, std::move(frames), 0);
    if (stopping_)
      return stop(sink), false;
    if (page.size() < backfill_page || last_ >= tip_) {
      last_ = std::max(last_, tip_); // nothing else exists up to the tip
      return backfill_done(sink);
    }
    return true;
  }

  void on_events(stream_sink& sink, const published_events& batch) override {
    // One socket write per batch, not per event.
    auto& rendered =
      opt_.filter.include_docs ? batch.json() : batch.json_nodoc();
    std::string frames;
    size_t events = 0;
    for (size_t i = 0; i < batch.events.size() && !ended_ && !stopping_; ++i) {
      if (batch.events[i].sequence <= last_)
        continue; // already delivered by the backfill
      deliver(sink, batch.events[i], &rendered[i], frames, events);
    }
    if (!frames.empty())
      put(sink, std::move(frames), events);
    if (stopping_)
      stop(sink);
  }

  void on_tick(stream_sink& sink) override {
    if (ended_)
      return;
    auto now = steady::now();
    if (opt_.max_seconds &&
        now - started_ >= std::chrono::seconds(opt_.max_seconds))
      return finish(sink, "end", "max_seconds reached");
    if (opt_.consumer && !stopping_)
      redeliver(sink, opt_.ack_timeout_ms);
    if (stopping_)
      return stop(sink);
    if (now - last_write_ + std::chrono::milliseconds(tick_ms() / 2) >=
        std::chrono::milliseconds(opt_.heartbeat_ms))
      put(sink, ": heartbeat\n\n", 0);
  }

  void on_shutdown(stream_sink& sink, const std::string& why,
                   bool error) override {
    if (ended_)
      return;
    finish(sink, error ? "error" : "end", why);
  }

  /// Ticks drive heartbeats, and (finer) the time bound and redelivery.
  uint32_t tick_ms() const {
    auto t = opt_.heartbeat_ms;
    if (opt_.max_seconds || opt_.consumer)
      t = std::min<uint64_t>(t, 200);
    return static_cast<uint32_t>(t);
  }

private:
  /// The backfill reached the live position: a batch stream ends here.
  bool backfill_done(stream_sink& sink) {
    if (!opt_.keep_alive && !ended_)
      finish(sink, "end", "backlog sent (keep_alive=false)");
    return false;
  }

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
           unsent_events_ + pending_events >= max_queue_events_;
  }

  /// Writes and remembers how many events the bytes carry.
  void put(stream_sink& sink, std::string bytes, size_t events) {
    written_ += bytes.size();
    last_write_ = steady::now();
    if (events > 0) {
      marks_.push_back({written_, events});
      unsent_events_ += events;
    }
    sink.write(std::move(bytes));
  }

  void frame(const engine::change_event& e, const std::string* json,
             std::string& out) {
    out += "id: " + std::to_string(e.sequence);
    out += opt_.filter.format == event_format::themisdb
             ? "\ndata: "
             : "\nevent: change\ndata: ";
    out += opt_.filter.render(e, json);
    out += "\n\n";
    ++count_;
    if (opt_.max_events && count_ >= opt_.max_events)
      stopping_ = true; // the bound: end once this write is out
  }

  /// Appends the event's frame if it passes the filter; 1 if it did.
  size_t append_frame(const engine::change_event& e, const std::string* json,
                      std::string& out) {
    last_ = e.sequence;
    if (!opt_.filter.matches(e))
      return 0;
    if (opt_.consumer && !offsets().sent(opt_.tenant, opt_.consumer_id,
                                         e.sequence, unix_now_ms())) {
      pending_full_ = stopping_ = true;
      return 0;
    }
    frame(e, json, out);
    sent_ = e.sequence;
    return 1;
  }

  /// Sends again what the consumer has not acknowledged `timeout_ms`
  /// after it was sent (read back from the log, in sequence order).
  void redeliver(stream_sink& sink, uint64_t timeout_ms) {
    auto due =
      offsets().due(opt_.tenant, opt_.consumer_id, timeout_ms, unix_now_ms());
    if (due.empty())
      return;
    std::string frames;
    size_t i = 0;
    uint64_t cursor = due.front() - 1;
    while (i < due.size() && !stopping_) {
      auto page = env_.reader.changes_after(cursor, backfill_page);
      if (page.empty())
        break;
      for (auto& e : page) {
        while (i < due.size() && due[i] < e.sequence)
          ++i; // compacted meanwhile: nothing to send
        if (i == due.size() || stopping_)
          break;
        if (due[i] == e.sequence && opt_.filter.matches(e))
          frame(e, nullptr, frames);
      }
      cursor = page.back().sequence;
    }
    if (!frames.empty())
      put(sink, std::move(frames), 0);
  }

  /// A bound (max_events, pending acknowledgements) was reached.
  void stop(stream_sink& sink) {
    if (ended_)
      return;
    if (pending_full_)
      return finish(sink, "error",
                    "too many unacknowledged events (" +
                      std::to_string(consumer_offsets::max_pending) +
                      "): acknowledge and reconnect",
                    offsets().acked(opt_.tenant, opt_.consumer_id));
    finish(sink, "end", "max_events reached");
  }

  /// The closing event names where to resume: the last event sent (or
  /// `resume`, for a consumer: its acknowledged position). In ThemisDB's
  /// format a clean end is a comment (its clients parse every `data:`
  /// line as an event); errors stay `event: error`.
  void finish(stream_sink& sink, const char* event, const std::string& why,
              std::optional<uint64_t> resume = std::nullopt) {
    ended_ = true;
    bool error = std::string_view(event) == "error";
    std::string body =
      std::string("{\"error\":") + (error ? "true" : "false") +
      ",\"message\":" + dump(nlohmann::json(why)) +
      ",\"last_sequence\":" + std::to_string(resume ? *resume : sent_) + "}";
    if (!error && opt_.filter.format == event_format::themisdb)
      put(sink, ": end " + body + "\n\n", 0);
    else
      put(sink, std::string("event: ") + event + "\ndata: " + body + "\n\n", 0);
    sink.end();
  }

  consumer_offsets& offsets() {
    return consumer_offsets::of(env_.config.engine.data_dir);
  }

  handler_env& env_;
  sse_options opt_;
  uint64_t last_;    ///< highest sequence examined (delivered or skipped)
  uint64_t tip_ = 0; ///< backfill target named by the hub
  /// Where the client resumes: the last event it was sent (or its own
  /// starting point), reported in error and end events.
  uint64_t sent_;
  size_t max_queue_events_;
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
  uint64_t count_ = 0; ///< event frames sent (max_events)
  steady::time_point started_, last_write_;
  bool ended_ = false;
  bool stopping_ = false;     ///< a bound was reached: end after this write
  bool pending_full_ = false; ///< ... the consumer's pending bound
};

} // namespace

void changefeed_sse(route_context& ctx) {
  sse_options opt;
  if (auto err = read_sse_options(ctx, opt))
    return ctx.respond(std::move(*err));
  api_response head;
  head.stream = true;
  head.set_header("Content-Type", "text/event-stream; charset=utf-8");
  head.set_header("Cache-Control", "no-cache");
  head.set_header("X-Accel-Buffering", "no"); // proxies: do not buffer
  if (ctx.req.method == "HEAD")
    return ctx.respond(std::move(head)); // headers only, no stream
  ctx.respond(std::move(head));
  auto& cf = ctx.env.config.changefeed;
  auto h = std::make_shared<sse_changefeed>(
    ctx.env, std::move(opt), cf.max_queue_events, cf.max_queue_bytes);
  auto tick = h->tick_ms();
  ctx.streams.start_stream(std::move(h), tick);
}

} // namespace themis
