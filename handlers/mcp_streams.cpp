/// The SSE streams of the MCP transport. A call stream answers one POST:
/// the call's notifications (progress) as they happen, then its response,
/// then the end. A GET stream is the session's server→client channel:
/// notifications/resources/updated for its subscriptions, fed by the
/// changefeed. Its event ids are change-log sequences, so a client that
/// reconnects with Last-Event-ID gets what it missed from the log itself
/// (bounded by mcp.replay_events) — no per-session buffer to lose or grow.

#include <set>

#include "handlers/change_filter.hpp"
#include "handlers/http_json.hpp"
#include "handlers/mcp_http.hpp"

namespace themis::mcp {

namespace {

constexpr uint32_t call_tick_ms = 100;
constexpr uint32_t get_tick_ms = 1000;
constexpr int heartbeat_ticks = 15;
constexpr size_t backfill_page = 1000;
constexpr int max_get_streams = 4;

api_response stream_head(const std::string& session_id) {
  api_response head;
  head.stream = true;
  head.set_header("Content-Type", "text/event-stream");
  head.set_header("Cache-Control", "no-cache, no-transform");
  head.set_header("X-Accel-Buffering", "no");
  head.set_header("Mcp-Session-Id", session_id);
  return head;
}

std::string message_frame(const json& j) {
  return "event: message\ndata: " + dump(j) + "\n\n";
}

class call_stream : public stream_handler,
                    public std::enable_shared_from_this<call_stream> {
public:
  call_stream(context_ptr c, rpc_message m) :
    c_(std::move(c)), m_(std::move(m)) {}

  void on_subscribed(stream_sink& sink, uint64_t) override {
    sink_ = &sink;
    std::weak_ptr<call_stream> weak = shared_from_this();
    c_->notify = [weak](json n) {
      if (auto self = weak.lock(); self && !self->ended_)
        self->sink_->write(message_frame(n));
    };
    auto self = shared_from_this();
    dispatch(c_, m_, [self](outcome o) { self->answer(std::move(o)); });
  }

  bool backfill(stream_sink&) override { return false; }
  void on_events(stream_sink&, const published_events&) override {}

  void on_tick(stream_sink&) override {
    if (!ended_ && c_->on_tick)
      c_->on_tick();
  }

  void on_shutdown(stream_sink& sink, const std::string& why, bool) override {
    if (ended_)
      return;
    sink_ = &sink;
    answer({nullptr, rpc_failure(internal_error, "stream ended: " + why)});
  }

private:
  void answer(outcome o) {
    if (ended_ || !sink_)
      return;
    if (c_->call && c_->sess->find_call(c_->id_text) == c_->call)
      c_->sess->end_call(c_->id_text);
    c_->on_tick = nullptr;
    bool cancelled = o.error && o.error->code == request_cancelled;
    if (!cancelled) { // a cancelled request gets no response (MCP)
      auto resp = o.error ? rpc_error(m_.id, o.error->code, o.error->what(),
                                      o.error->data)
                          : rpc_result(m_.id, std::move(o.result));
      sink_->write(message_frame(resp));
    }
    ended_ = true;
    sink_->end();
  }

  context_ptr c_;
  rpc_message m_;
  stream_sink* sink_ = nullptr;
  bool ended_ = false;
};

class get_stream : public stream_handler {
public:
  get_stream(handler_env& env, std::shared_ptr<session> s,
             std::optional<uint64_t> resume) :
    env_(env),
    s_(std::move(s)), resume_(resume) {
    ++s_->get_streams;
  }
  ~get_stream() override { --s_->get_streams; }

  void on_subscribed(stream_sink& sink, uint64_t tip) override {
    tip_ = tip;
    last_ = tip;
    if (resume_) {
      auto bound = env_.config.mcp.replay_events;
      last_ = std::max(*resume_, tip > bound ? tip - bound : uint64_t{0});
      last_ = std::min(last_, tip);
    }
    std::string head = "retry: 2000\n\n";
    // a priming event gives the client an id to resume from; revisions
    // before 2025-11-25 do not expect events without data
    if (s_->version() >= "2025-11-25")
      head += "id: " + std::to_string(last_) + "\ndata: \n\n";
    sink.write(std::move(head));
  }

  bool backfill(stream_sink& sink) override {
    if (ended_ || last_ >= tip_)
      return false;
    if (env_.reader.compacted_through() > last_)
      last_ = env_.reader.compacted_through(); // gone: resume where it exists
    auto page = env_.reader.changes_after(last_, backfill_page);
    std::string out;
    for (auto& e : page) {
      if (e.sequence > tip_)
        break;
      frames(e, out);
      last_ = e.sequence;
    }
    if (!out.empty())
      sink.write(std::move(out));
    if (page.size() < backfill_page)
      last_ = std::max(last_, tip_);
    return last_ < tip_;
  }

  void on_events(stream_sink& sink, const published_events& batch) override {
    if (ended_)
      return;
    std::string out;
    for (auto& e : batch.events) {
      if (e.sequence <= last_)
        continue;
      frames(e, out);
      last_ = e.sequence;
    }
    if (out.empty())
      return;
    if (sink.queued() + out.size() > env_.config.changefeed.max_queue_bytes)
      return end(sink); // too slow: it reconnects with Last-Event-ID
    idle_ticks_ = 0;
    sink.write(std::move(out));
  }

  void on_tick(stream_sink& sink) override {
    if (ended_)
      return;
    if (s_->closed())
      return end(sink);
    s_->touch(); // an open stream keeps its session from expiring
    if (++idle_ticks_ >= heartbeat_ticks) {
      idle_ticks_ = 0;
      sink.write(": keepalive\n\n");
    }
  }

  void on_shutdown(stream_sink& sink, const std::string&, bool) override {
    end(sink);
  }

private:
  void end(stream_sink& sink) {
    if (ended_)
      return;
    ended_ = true;
    sink.end();
  }

  /// notifications/resources/updated for the subscriptions `e` touches,
  /// with the event's sequence as the SSE id.
  void frames(const engine::change_event& e, std::string& out) {
    if (e.is_marker())
      return;
    int w = s_->watches(e.collection, e.key);
    if (!w)
      return;
    auto& who = s_->who();
    auto name = visible_collection(who.tenant, e.collection,
                                   who.tenant.empty() && who.is_admin());
    if (name.empty())
      return;
    auto id = std::to_string(e.sequence);
    auto one = [&](const std::string& uri) {
      out += "id: " + id + "\n" +
             message_frame(rpc_notification("notifications/resources/updated",
                                            {{"uri", uri}}));
    };
    if (w & 1)
      one(document_uri(name, e.key));
    if (w & 2)
      one(collection_uri(name));
  }

  handler_env& env_;
  std::shared_ptr<session> s_;
  std::optional<uint64_t> resume_;
  uint64_t tip_ = 0;
  uint64_t last_ = 0;
  int idle_ticks_ = 0;
  bool ended_ = false;
};

} // namespace

void start_call_stream(route_context& ctx, const context_ptr& c,
                       rpc_message m) {
  c->streaming = true;
  ctx.respond(stream_head(c->sess->id()));
  ctx.streams.start_stream(std::make_shared<call_stream>(c, std::move(m)),
                           call_tick_ms);
}

void start_get_stream(route_context& ctx, const std::shared_ptr<session>& s) {
  if (s->get_streams.load() >= max_get_streams)
    return ctx.respond(http_rpc_error(409, server_error,
                                      "Conflict: this session has " +
                                        std::to_string(max_get_streams) +
                                        " GET streams open already"));
  std::optional<uint64_t> resume;
  if (auto last = ctx.req.header("Last-Event-ID")) {
    uint64_t n = 0;
    if (parse_uint(*last, n))
      resume = n; // ids are change-log sequences; others start live
  }
  ctx.respond(stream_head(s->id()));
  ctx.streams.start_stream(std::make_shared<get_stream>(ctx.env, s, resume),
                           get_tick_ms);
}

} // namespace themis::mcp
