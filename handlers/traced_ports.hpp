#pragma once
/// The engine ports of one traced request (issue 28): each write batch a
/// handler submits becomes a `store.commit` span and each piece of blocking
/// work (AQL queries, reads on the worker pool) an `engine.work` span, both
/// children of the request's span. Only built when the request records.

#include <memory>

#include "handlers/handler_env.hpp"
#include "tracing/tracer.hpp"

namespace themis {

class traced_ports : public write_port, public work_port {
public:
  traced_ports(write_port& writer, work_port& work,
               tracing::trace_context parent) :
    writer_(writer),
    work_(work), parent_(parent) {}

  void submit(engine::write_batch batch,
              std::function<void(engine::write_result)> done) override {
    auto sp =
      std::make_shared<tracing::span>(tracing::tracer::global().start_span(
        "store.commit", tracing::span_kind::internal, &parent_));
    sp->set("themis.ops", static_cast<int64_t>(batch.ops.size()));
    writer_.submit(
      std::move(batch), [sp, done = std::move(done)](engine::write_result r) {
        if (!r.committed)
          sp->set_error(r.error.empty() ? "not committed" : r.error);
        sp->end();
        done(std::move(r));
      });
  }

  void run_blocking(std::function<api_response(blocking_writer&)> work,
                    responder done) override {
    auto sp =
      std::make_shared<tracing::span>(tracing::tracer::global().start_span(
        "engine.work", tracing::span_kind::internal, &parent_));
    work_.run_blocking(
      std::move(work), [sp, done = std::move(done)](api_response r) {
        sp->set("http.response.status_code", static_cast<int64_t>(r.status));
        sp->end();
        done(std::move(r));
      });
  }

private:
  write_port& writer_;
  work_port& work_;
  tracing::trace_context parent_;
};

} // namespace themis
