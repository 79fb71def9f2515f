#include "actors/blocking_work.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "actors/server_context.hpp"
#include "engine/aql/aql_error.hpp"
#include "engine/jobs/job_store.hpp"
#include "handlers/http_json.hpp"
#include "handlers/job_service.hpp"
#include "handlers/query_common.hpp"
#include "tracing/tracer.hpp"

namespace themis {

namespace {

/// A blocking request to the store writer from a detached actor.
class actor_writer : public blocking_writer {
public:
  actor_writer(caf::blocking_actor* self, server_context& ctx) :
    self_(self), ctx_(ctx) {}

  engine::write_result commit(engine::write_batch batch) override {
    engine::write_result out;
    auto writer = registered(self_->system(), store_writer_name);
    if (!writer) {
      out.error = "store writer unavailable";
      return out;
    }
    self_
      ->request(writer, std::chrono::seconds(120), write_atom::value,
                std::move(batch))
      .receive([&](engine::write_result& r) { out = std::move(r); },
               [&](caf::error& e) {
                 out.error =
                   "store writer did not answer: " + caf::to_string(e);
               });
    return out;
  }

  const std::atomic<bool>* stop_flag() const override { return &ctx_.stopping; }

private:
  caf::blocking_actor* self_;
  server_context& ctx_;
};

void work_runner(caf::blocking_actor* self, std::shared_ptr<server_context> ctx,
                 std::function<api_response(blocking_writer&)> work) {
  self->receive([&](run_atom) -> api_response {
    actor_writer writer(self, *ctx);
    try {
      return work(writer);
    } catch (const std::exception& e) {
      spdlog::error("query worker: {}", e.what());
      return error_response(500, "internal error");
    }
  });
}

void job_runner(caf::blocking_actor* self, std::shared_ptr<server_context> ctx,
                job_run run, caf::actor manager) {
  job_outcome out;
  out.id = run.id;
  auto& progress = *run.progress;
  // the run is a child of the request that submitted it (its traceparent
  // travels with the job), so a trace shows submit, queue wait and run
  auto& tracer = tracing::tracer::global();
  tracing::span job_span;
  if (tracer.enabled()) {
    auto parent = tracing::parse_traceparent(run.traceparent);
    job_span = tracer.start_span("job.run", tracing::span_kind::internal,
                                 parent ? &*parent : nullptr);
    job_span.set("themis.job_id", run.id);
  }
  auto child = [&](const tracing::span& parent, const char* name) {
    if (!parent.recording())
      return tracing::span();
    auto ctx = parent.context();
    return tracer.start_span(name, tracing::span_kind::internal, &ctx);
  };
  try {
    engine::job_store store(
      run.jobs_path, static_cast<int>(ctx->config.engine.busy_timeout_ms));
    actor_writer writer(self, *ctx);
    std::vector<std::string> buf;
    int64_t stored = 0;
    auto last = std::chrono::steady_clock::now();
    // Rows reach the store in pages: visible to result readers while the
    // job runs, without a transaction per row.
    auto flush = [&] {
      store.append_rows(run.id, stored, buf);
      stored += static_cast<int64_t>(buf.size());
      buf.clear();
      progress.stored.store(stored);
      last = std::chrono::steady_clock::now();
    };
    run.limits.server_stop = &ctx->stopping;
    auto exec_span = child(job_span, "aql.execute");
    aql::execute_file(
      run.db_path, *run.query, run.bind_vars,
      [&](engine::write_batch b) {
        auto commit_span = child(exec_span, "store.commit");
        commit_span.set("themis.ops", static_cast<int64_t>(b.ops.size()));
        return writer.commit(std::move(b));
      },
      progress.run, run.limits,
      [&](nlohmann::json row) {
        buf.push_back(dump(row));
        if (buf.size() >= 500 || std::chrono::steady_clock::now() - last >
                                   std::chrono::milliseconds(200))
          flush();
      });
    flush();
    exec_span.end();
    out.status = "completed";
    out.result_count = stored;
  } catch (const aql::aql_error& e) {
    out.status =
      e.kind() == aql::error_kind::cancelled ? "cancelled" : "failed";
    out.error = e.what();
    out.error_kind = aql_kind_name(e.kind());
    if (out.status == "cancelled" && ctx->stopping.load()) {
      // the drain stopped it, not its owner: the record must say so the
      // same way a restart after a crash does
      out.status = "failed";
      out.error = "interrupted: the server shut down while the job ran";
      out.error_kind = "interrupted";
    }
  } catch (const std::exception& e) {
    out.status = "failed";
    out.error = e.what();
    out.error_kind = "internal";
  }
  job_span.set("themis.job_status", out.status);
  job_span.set("themis.result_count", out.result_count);
  if (out.status == "failed")
    job_span.set_error(out.error);
  job_span.end();
  self->send(manager, job_done_atom::value, std::move(out));
}

} // namespace

caf::actor
spawn_work_runner(caf::actor_system& sys, std::shared_ptr<server_context> ctx,
                  std::function<api_response(blocking_writer&)> work) {
  return sys.spawn<caf::detached>(work_runner, std::move(ctx), std::move(work));
}

caf::actor spawn_job_runner(caf::actor_system& sys,
                            std::shared_ptr<server_context> ctx, job_run run,
                            caf::actor manager) {
  return sys.spawn<caf::detached>(job_runner, std::move(ctx), std::move(run),
                                  std::move(manager));
}

} // namespace themis
