#pragma once
/// One GraphQL operation in flight: the executor (engine/graphql) driven
/// on the caller's own context (the connection actor), its deferred fields
/// completed by engine reads on worker threads, writes through the store
/// writer and job requests to the job manager — each port's answer comes
/// back on the same context, so the executor is only touched from there.
/// Resolvers reach it through `execute_options::user`.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "handlers/graphql_schema.hpp"
#include "handlers/handler_env.hpp"
#include "engine/graphql/executor.hpp"
#include "themis/principal.hpp"

namespace themis::gql {

/// The ports one operation uses; they outlive it (a request's until it
/// answers, a WebSocket's for the connection).
struct run_ports {
  handler_env* env = nullptr;
  write_port* writer = nullptr;
  work_port* work = nullptr;
  service_port* services = nullptr;
};

class operation_run : public std::enable_shared_from_this<operation_run> {
public:
  using clock = std::chrono::steady_clock;
  /// `response` is {"data"?, "errors"?}; `request_error` when no data.
  /// With answer_as_text() and no errors, `response` is null and `text`
  /// holds the serialised response instead (one serialisation, from the
  /// executor's result tree).
  using done_fn = std::function<void(nlohmann::json response,
                                     bool request_error, std::string text)>;

  operation_run(std::shared_ptr<const schema_bundle> bundle,
                std::shared_ptr<const graphql::document> doc,
                graphql::execute_options opts, principal who, run_ports ports,
                clock::time_point deadline);

  /// Runs until the response is complete, then calls `done` once.
  void start(done_fn done);
  /// An error-free response is handed over as text (see done_fn).
  void answer_as_text() { text_ = true; }

  // --- for resolvers (on the executor's context) ---
  const principal& who() const { return who_; }
  handler_env& env() const { return *ports_.env; }
  const schema_bundle& bundle() const { return *bundle_; }
  clock::time_point deadline() const { return deadline_; }
  bool expired() const { return clock::now() >= deadline_; }
  /// Whether the principal holds `scope`; if not, the field error to
  /// return is in `denied`.
  bool allowed(const char* scope, graphql::field_result& denied) const;

  /// Runs `work` on a worker thread; its results complete `handles` in
  /// order (a refused or failed worker fails them all).
  void read(std::vector<graphql::deferred_handle> handles,
            std::function<std::vector<graphql::field_result>()> work);
  /// Commits `batch` through the store writer; `map` turns the answer into
  /// the field's result.
  void
  write(graphql::deferred_handle h, engine::write_batch batch,
        std::function<graphql::field_result(const engine::write_result&)> map);
  /// Sends `req` (as the principal) to the job manager.
  void ask_jobs(graphql::deferred_handle h, api_request req,
                std::function<graphql::field_result(const api_response&)> map);

  /// Every engine access a resolver makes (a page, a document by key, an
  /// AQL query, a count) counts one; workers count too, hence atomic. Shown
  /// to clients that ask (request extensions.stats), so tests can check
  /// that a list costs the same number of reads whatever its length.
  void count_read() const { reads_.fetch_add(1, std::memory_order_relaxed); }
  std::size_t engine_reads() const {
    return reads_.load(std::memory_order_relaxed);
  }

  /// The request's database file (engine reads on worker threads).
  const std::string& db_path() const { return bundle_->db_path; }

private:
  void complete(graphql::deferred_handle h, graphql::field_result r);
  /// Feeds queued completions to the executor outside of its own calls,
  /// and answers when it is done.
  void pump();

  std::shared_ptr<const schema_bundle> bundle_;
  std::shared_ptr<const graphql::document> doc_;
  principal who_;
  run_ports ports_;
  clock::time_point deadline_;
  std::unique_ptr<graphql::executor> exec_;
  done_fn done_;
  bool inside_ = false; ///< within a call into the executor
  bool answered_ = false;
  bool text_ = false;
  mutable std::atomic<std::size_t> reads_{0};
  std::vector<std::pair<graphql::deferred_handle, graphql::field_result>>
    queued_;
};

/// The run a resolver belongs to (execute_options::user).
inline operation_run& run_of(void* user) {
  return *static_cast<operation_run*>(user);
}

} // namespace themis::gql
