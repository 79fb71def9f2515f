#include "handlers/graphql_run.hpp"

namespace themis::gql {

using graphql::deferred_handle;
using graphql::field_result;
using json = nlohmann::json;

operation_run::operation_run(std::shared_ptr<const schema_bundle> bundle,
                             std::shared_ptr<const graphql::document> doc,
                             graphql::execute_options opts, principal who,
                             run_ports ports, clock::time_point deadline) :
  bundle_(std::move(bundle)),
  doc_(std::move(doc)), who_(std::move(who)), ports_(ports),
  deadline_(deadline) {
  opts.user = this;
  exec_ = std::make_unique<graphql::executor>(bundle_->schema, *doc_,
                                              std::move(opts));
}

void operation_run::start(done_fn done) {
  done_ = std::move(done);
  auto self = shared_from_this(); // alive until the end of this call
  inside_ = true;
  exec_->start();
  inside_ = false;
  pump();
}

bool operation_run::allowed(const char* scope, field_result& denied) const {
  if (who_.has_scope(scope))
    return true;
  denied = field_result::fail(std::string("the token lacks the scope ") + scope,
                              "FORBIDDEN");
  return false;
}

void operation_run::complete(deferred_handle h, field_result r) {
  queued_.emplace_back(h, std::move(r));
  if (!inside_)
    pump();
}

void operation_run::pump() {
  auto self = shared_from_this();
  while (!queued_.empty() && !answered_) {
    auto batch = std::move(queued_);
    queued_.clear();
    inside_ = true;
    for (auto& [h, r] : batch)
      exec_->resolve(h, std::move(r));
    exec_->resume();
    inside_ = false;
  }
  if (!answered_ && exec_->done()) {
    answered_ = true;
    auto done = std::move(done_);
    if (done && text_ && !exec_->has_errors())
      done(json(), false, exec_->response_text());
    else if (done)
      done(exec_->response(), exec_->request_error(), {});
  }
}

void operation_run::read(std::vector<deferred_handle> handles,
                         std::function<std::vector<field_result>()> work) {
  if (expired()) {
    for (auto h : handles)
      complete(h, field_result::fail("the operation timed out (graphql."
                                     "timeout_ms)",
                                     "TIMEOUT"));
    return;
  }
  auto out = std::make_shared<std::vector<field_result>>();
  auto self = shared_from_this();
  // the worker holds the run too: its work reads the run's principal and
  // paths even if the connection (and the answer's callback) went away
  ports_.work->run_blocking(
    [work = std::move(work), out, keep = self](blocking_writer&) {
      (void)keep;
      try {
        *out = work();
      } catch (const std::exception& e) {
        out->clear();
        return api_response{500, {}, e.what()};
      }
      return api_response{200, {}, {}};
    },
    [self, out, handles](api_response r) {
      for (size_t i = 0; i < handles.size(); ++i) {
        if (r.status == 200 && i < out->size())
          self->complete(handles[i], std::move((*out)[i]));
        else
          self->complete(handles[i],
                         field_result::fail(r.status == 200
                                              ? "internal: missing result"
                                              : "engine read failed: " +
                                                  r.body.substr(0, 200),
                                            "INTERNAL_SERVER_ERROR"));
      }
    });
}

void operation_run::write(
  deferred_handle h, engine::write_batch batch,
  std::function<field_result(const engine::write_result&)> map) {
  auto self = shared_from_this();
  ports_.writer->submit(std::move(batch), [self, h, map = std::move(map)](
                                            engine::write_result res) {
    self->complete(h, map(res));
  });
}

void operation_run::ask_jobs(
  deferred_handle h, api_request req,
  std::function<field_result(const api_response&)> map) {
  req.who = who_;
  auto self = shared_from_this();
  ports_.services->ask(service_id::jobs, std::move(req),
                       [self, h, map = std::move(map)](api_response r) {
                         self->complete(h, map(r));
                       });
}

} // namespace themis::gql
