#pragma once
/// What handlers may use: the read path of the engine, a port to the store
/// writer, metrics and configuration. Handlers never see wire frames; the
/// front-end (any protocol) supplies a `write_port` and a `responder`.

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "engine/read_types.hpp"

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

/// Commits a batch and waits for the answer: for work that runs on a
/// worker thread (a query), never on an actor.
class blocking_writer {
public:
  virtual ~blocking_writer() = default;
  virtual engine::write_result commit(engine::write_batch batch) = 0;
  /// Becomes true when the server shuts down (long work should stop).
  virtual const std::atomic<bool>* stop_flag() const { return nullptr; }
};

/// Runs blocking work (an AQL query) on a worker thread, off the actor
/// scheduler; `done` gets its answer on the caller's own context.
class work_port {
public:
  virtual ~work_port() = default;
  virtual void run_blocking(std::function<api_response(blocking_writer&)> work,
                            responder done) = 0;
};

/// Server-side services that are actors of their own.
enum class service_id {
  jobs, ///< the async job manager (/v2/jobs)
  /// issue 25: the Redis rate limiter (limits/limit_wire.hpp bodies)
  rate_limit,
};

/// Forwards a request to a service; `done` runs on the caller's context.
class service_port {
public:
  virtual ~service_port() = default;
  virtual void ask(service_id which, api_request req, responder done) = 0;
};

/// Where a streaming handler writes its body (implemented by the
/// front-end, which owns the connection).
class stream_sink {
public:
  virtual ~stream_sink() = default;
  virtual void write(std::string bytes) = 0;
  /// Ends the body; nothing may be written after.
  virtual void end() = 0;
  /// Pieces written but not yet handed to the network: the subscriber's
  /// queue, which a slow client makes grow.
  virtual size_t queued() const = 0;
};

struct published_events; // handlers/change_filter.hpp

/// A handler that keeps answering after its head: a changefeed stream. The
/// front-end subscribes it to the change log (after `start`) and calls it
/// on its own actor: one subscriber actor per stream.
class stream_handler {
public:
  virtual ~stream_handler() = default;
  /// Subscribed: everything after `tip` will arrive through on_events;
  /// the handler backfills up to `tip` from the log.
  virtual void on_subscribed(stream_sink& sink, uint64_t tip) = 0;
  /// One page of the backfill up to the tip; true while more remain. The
  /// front-end calls it again when the client has read what was sent, and
  /// holds live events back until it returns false.
  virtual bool backfill(stream_sink& sink) = 0;
  /// A committed group's events, in sequence order.
  virtual void on_events(stream_sink& sink, const published_events& batch) = 0;
  /// Called every `tick_ms` (heartbeats).
  virtual void on_tick(stream_sink& sink) = 0;
  /// The server drains or the feed is gone: say so and end.
  virtual void on_shutdown(stream_sink& sink, const std::string& why,
                           bool error = false) = 0;
};

/// A message channel after a protocol upgrade (WebSocket).
class message_sink {
public:
  virtual ~message_sink() = default;
  virtual void send_text(std::string text) = 0;
  /// Starts the close handshake with a status code (1000, 1008, 1011 …).
  virtual void close(uint16_t code, std::string reason) = 0;
  /// Messages written but not yet handed to the network.
  virtual size_t queued() const = 0;
};

/// The behaviour behind an upgraded connection: a changefeed over
/// WebSocket. Called on the connection's actor, which is subscribed to the
/// change log (like a stream_handler).
class channel_handler {
public:
  virtual ~channel_handler() = default;
  /// Subscribed: events after `tip` arrive through on_events.
  virtual void on_open(message_sink& sink, uint64_t tip) = 0;
  virtual void on_message(message_sink& sink, std::string text) = 0;
  virtual void on_events(message_sink& sink, const published_events& batch) = 0;
  virtual void on_shutdown(message_sink& sink, const std::string& why) = 0;
  /// One page of pending backfill work; true while more remains. The
  /// front-end calls it again once the client has read what was sent.
  virtual bool backfill_step(message_sink& sink) { return false; }
  /// What it carries, for the WebSocket message counters.
  virtual ws_endpoint endpoint() const { return ws_endpoint::changefeed; }
};

/// Lets a handler turn its answer into a stream.
class stream_port {
public:
  virtual ~stream_port() = default;
  /// Call from a handler right after answering with a `stream` head:
  /// subscribes `h` to the change log and ticks it every `tick_ms`.
  virtual void start_stream(std::shared_ptr<stream_handler> h,
                            uint32_t tick_ms) = 0;
  /// Call right after answering 101 to an Upgrade: the connection then
  /// carries `h`'s messages; pinged every `ping_ms`. Ignored if the
  /// front-end refused the upgrade.
  virtual void start_channel(std::shared_ptr<channel_handler> h,
                             uint32_t ping_ms) = 0;
  /// The connection's own write and work ports: they live as long as the
  /// connection, so a channel may use them after its upgrade request is
  /// gone (a request's ports may be wrappers that end with it).
  virtual write_port& connection_writer() = 0;
  virtual work_port& connection_work() = 0;
};

class cursor_store; // handlers/cursor_store.hpp
namespace engine {
class api_key_store; // engine/security/api_key_store.hpp
class audit_log;     // engine/security/audit_log.hpp
} // namespace engine
class fault_table;   // handlers/fault_table.hpp
class admin_state;   // handlers/admin_state.hpp
class http_tx_store; // handlers/http_tx_store.hpp
namespace functions {
class function_registry; // functions/function_registry.hpp
}
namespace auth::oauth2 {
class provider; // auth/oauth2/provider.hpp
}
namespace auth::usb_admin {
class login_service; // auth/usb_admin/login_service.hpp
}
namespace auth::saml {
class service_provider; // auth/saml/service_provider.hpp
}
namespace limits {
class rate_limiter;
class tenant_quotas;
} // namespace limits

struct handler_env {
  engine::reader_pool& reader;
  metrics_registry& metrics;
  const server_config& config;
  cursor_store& cursors;
  limits::rate_limiter& limiter;
  fault_table& faults;
  engine::api_key_store* api_keys = nullptr; ///< null: auth.api_keys off
  engine::audit_log* audit = nullptr;
  limits::tenant_quotas* quotas = nullptr; ///< auth.tenant_quotas
  admin_state* admin = nullptr; ///< /api/v1/admin/… (null: routes 404)
  http_tx_store* transactions = nullptr; ///< /transaction/* (null: 404)
  /// /api/v1/functions (issue 27; null: functions.enabled off, 404)
  functions::function_registry* functions = nullptr;
  /// /api/v1/auth/… OAuth2 / OIDC provider (issue 24; null: oauth2.enabled
  /// off, 404)
  auth::oauth2::provider* oauth2 = nullptr;
  /// /api/v1/auth/usb/…, /api/v1/admin/usb-keys (issue 24; null:
  /// auth.usb_admin.enabled off, 404)
  auth::usb_admin::login_service* usb_admin = nullptr;
  /// /api/v1/auth/saml/… SAML 2.0 SP (issue 24; null: saml.enabled off,
  /// 404)
  auth::saml::service_provider* saml = nullptr;
};

/// The ports a front-end hands to the router for one request.
struct request_ports {
  write_port& writer;
  change_notifier& notifier;
  stream_port& streams;
  work_port& work;
  service_port& services;
};

/// Thrown by the debug crash route to take the whole connection actor down
/// (tests prove that one connection's crash does not reach others).
struct actor_crash : std::runtime_error {
  using std::runtime_error::runtime_error;
};

} // namespace themis
