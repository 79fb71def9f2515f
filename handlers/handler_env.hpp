#pragma once
/// What handlers may use: the read path of the engine, a port to the store
/// writer, metrics and configuration. Handlers never see wire frames; the
/// front-end (any protocol) supplies a `write_port` and a `responder`.

#include <functional>

#include "engine/reader_pool.hpp"
#include "engine/write_types.hpp"
#include "handlers/metrics_registry.hpp"
#include "themis/api_message.hpp"
#include "themis/server_config.hpp"

namespace themis {

/// Asynchronous path to the store writer. `done` runs exactly once, on the
/// caller's own execution context (its actor), after commit or failure.
class write_port {
public:
  virtual ~write_port() = default;
  virtual void submit(engine::write_batch batch,
                      std::function<void(engine::write_result)> done) = 0;
};

/// Asynchronous wait for the change log to pass a sequence (long-poll).
/// `done(may_wait_again)` runs exactly once, on the caller's context: when
/// a sequence > `after` was committed or `timeout_ms` passed (true), or
/// when waiting is not possible — draining, no hub (false: answer now).
class change_notifier {
public:
  virtual ~change_notifier() = default;
  virtual void wait_after(uint64_t after, uint32_t timeout_ms,
                          std::function<void(bool)> done) = 0;
};

using responder = std::function<void(api_response)>;

struct handler_env {
  engine::reader_pool& reader;
  metrics_registry& metrics;
  const server_config& config;
};

/// Thrown by the debug crash route to take the whole connection actor down
/// (tests prove that one connection's crash does not reach others).
struct actor_crash : std::runtime_error {
  using std::runtime_error::runtime_error;
};

} // namespace themis
