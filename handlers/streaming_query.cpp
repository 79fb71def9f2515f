#include "handlers/streaming_query.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "engine/aql/executor.hpp"
#include "engine/aql/parser.hpp"
#include "engine/store_schema.hpp"
#include "handlers/http_json.hpp"
#include "handlers/query_common.hpp"
#include "handlers/request_deadline.hpp"
#include "handlers/streaming_rows.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

/// Bytes the query may run ahead of the connection, and bytes the
/// connection may hold for a client that has not read them yet: a stream
/// holds at most about both (plus one row) whatever the result's size.
constexpr size_t max_buffered = 1 << 20;
constexpr size_t max_socket_queue = 512 << 10;
constexpr size_t chunk_bytes = 64 << 10;
constexpr uint32_t tick_ms = 2;

/// Between the worker running the query and the connection's stream.
struct stream_buffer {
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::string> chunks;
  size_t bytes = 0;
  bool done = false; ///< the last chunk (tail or error record) is queued
  aql::run_progress progress;       ///< progress.cancel: the client went away
  std::atomic<bool> started{false}; ///< the worker took the query

  /// Worker: queues `c`, waiting while the buffer is full; false if the
  /// stream was cancelled or `deadline` passed while waiting.
  bool push(std::string c, steady::time_point deadline, bool last) {
    std::unique_lock lk(m);
    while (bytes >= max_buffered && !last) {
      if (progress.cancel.load())
        return false;
      if (cv.wait_until(lk,
                        std::min(deadline, steady::now() +
                                             std::chrono::milliseconds(100))) ==
            std::cv_status::timeout &&
          steady::now() >= deadline)
        return false;
    }
    bytes += c.size();
    chunks.push_back(std::move(c));
    done = done || last;
    return true;
  }
};

/// Thrown inside the row callback to stop the query (client gone).
struct stream_cancelled {};

/// The connection's side: called on its actor; writes what the worker
/// produced while the client keeps up.
class streamed_result final : public stream_handler {
public:
  explicit streamed_result(std::shared_ptr<stream_buffer> b) :
    buf_(std::move(b)) {}
  ~streamed_result() override {
    // the connection closed (or the stream ended): stop the query
    buf_->progress.cancel = true;
    buf_->cv.notify_all();
  }
  void on_subscribed(stream_sink&, uint64_t) override {}
  /// Never stays in the backfill phase (live events would pile up behind
  /// it): pumping continues on ticks.
  bool backfill(stream_sink& sink) override {
    pump(sink);
    return false;
  }
  void on_events(stream_sink& sink, const published_events&) override {
    pump(sink);
  }
  void on_tick(stream_sink& sink) override { pump(sink); }
  void on_shutdown(stream_sink& sink, const std::string& why, bool) override {
    if (ended_)
      return;
    buf_->progress.cancel = true;
    buf_->cv.notify_all();
    ended_ = true;
    sink.write(interrupted_record(why));
    sink.end();
  }
  /// What ends a stream cut short by the server (set by the starter).
  std::function<std::string(const std::string&)> interrupted_record;

private:
  void pump(stream_sink& sink) {
    if (ended_)
      return;
    bool finished = false;
    {
      std::unique_lock lk(buf_->m);
      while (!buf_->chunks.empty() && sink.queued() < max_socket_queue) {
        auto c = std::move(buf_->chunks.front());
        buf_->chunks.pop_front();
        buf_->bytes -= c.size();
        sink.write(std::move(c));
      }
      finished = buf_->done && buf_->chunks.empty();
    }
    buf_->cv.notify_all();
    if (finished) {
      ended_ = true;
      sink.end();
    }
  }

  std::shared_ptr<stream_buffer> buf_;
  bool ended_ = false;
};

} // namespace

bool streamed_format_of(const api_request& req, stream_format& out) {
  if (auto a = req.header("Accept")) {
    if (a->find("application/x-ndjson") != std::string::npos ||
        a->find("application/jsonl") != std::string::npos) {
      out = stream_format::ndjson;
      return true;
    }
    if (a->find("text/csv") != std::string::npos) {
      out = stream_format::csv;
      return true;
    }
  }
  if (auto s = query_param(req.query, "stream"); s && *s == "true") {
    out = stream_format::json_array;
    return true;
  }
  return false;
}

void stream_query_rows(route_context& ctx, const std::string& query, json bind,
                       stream_format fmt) {
  std::shared_ptr<const aql::parsed_query> pq;
  try {
    pq = std::make_shared<aql::parsed_query>(aql::parse(query));
  } catch (const aql::aql_error& e) {
    return ctx.respond(aql_error_response(e));
  }
  api_response head;
  head.stream = true;
  head.set_header("Content-Type", content_type_of(fmt));
  head.set_header("Cache-Control", "no-store");
  head.set_header("X-Accel-Buffering", "no");
  ctx.respond(std::move(head));

  auto buf = std::make_shared<stream_buffer>();
  auto h = std::make_shared<streamed_result>(buf);
  h->interrupted_record = [fmt](const std::string& why) {
    return error_tail(fmt, 503, "stream ended: " + why, "cancelled", true);
  };
  ctx.streams.start_stream(h, tick_ms);

  engine::store_options so;
  so.data_dir = ctx.env.config.engine.data_dir;
  auto db_path = engine::database_path(so);
  auto timeout = std::chrono::milliseconds(ctx.env.config.query.timeout_ms);
  auto call_deadline = request_deadline(ctx.req, steady::time_point::max());
  auto write_batch = ctx.env.config.query.write_batch;
  auto tenant = ctx.req.who.tenant;
  bool all_tenants = tenant.empty() && ctx.req.who.is_admin();
  auto* metrics = &ctx.env.metrics;
  ++metrics->aql_queries;
  auto work = [=, bind =
                    std::move(bind)](blocking_writer& writer) -> api_response {
    buf->started = true;
    aql::run_limits limits;
    limits.deadline = std::min(steady::now() + timeout, call_deadline);
    limits.write_batch = write_batch;
    limits.tenant = tenant;
    limits.all_tenants = all_tenants;
    // max_rows stays unlimited: nothing is held
    row_encoder enc(fmt);
    std::string chunk = enc.head();
    uint64_t count = 0;
    auto* server_stop = writer.stop_flag();
    limits.server_stop = server_stop; // a drain stops a scan without rows
    std::string tail;
    try {
      aql::execute_file(
        db_path, *pq, bind,
        [&](engine::write_batch b) { return writer.commit(std::move(b)); },
        buf->progress, limits,
        [&](json row) {
          enc.add(row, chunk);
          ++count;
          if (chunk.size() >= chunk_bytes) {
            if (server_stop && server_stop->load())
              buf->progress.cancel = true;
            if (!buf->push(std::move(chunk), limits.deadline, false))
              throw stream_cancelled{};
            chunk.clear();
          }
        });
      tail = enc.tail(count);
    } catch (const stream_cancelled&) {
      if (!buf->progress.cancel.load())
        tail = error_tail(fmt, 504, "query exceeded its time limit", "timeout",
                          enc.started());
      else
        return {}; // the client went away: nothing more to say
    } catch (const aql::aql_error& e) {
      ++metrics->aql_query_errors;
      if (buf->progress.cancel.load())
        return {};
      tail = error_tail(fmt, aql_status(e.kind()), e.what(),
                        aql_kind_name(e.kind()), enc.started());
    } catch (const std::exception& e) {
      ++metrics->aql_query_errors;
      tail = error_tail(fmt, 500, std::string("query failed: ") + e.what(),
                        "internal", enc.started());
    }
    metrics->aql_rows_scanned += buf->progress.rows_scanned.load();
    buf->push(chunk + tail, steady::time_point::max(), true);
    return {};
  };
  // refused before it ran (no worker free, shutting down): that answer
  // becomes the stream's error record
  ctx.work.run_blocking(std::move(work), [buf, fmt](api_response r) {
    if (buf->started.load() || r.status < 400)
      return;
    auto j = json::parse(r.body, nullptr, false);
    auto msg = j.is_object() ? j.value("message", std::string("refused"))
                             : std::string("refused");
    buf->push(error_tail(fmt, r.status, msg, "unavailable", false),
              steady::time_point::max(), true);
  });
}

void query_streamed(route_context& ctx, stream_format fmt) {
  query_request qr;
  if (auto bad = read_query_request(ctx.req, qr))
    return ctx.respond(std::move(*bad));
  stream_query_rows(ctx, qr.query, std::move(qr.bind_vars), fmt);
}

} // namespace themis
