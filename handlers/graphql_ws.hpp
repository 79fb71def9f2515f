#pragma once
/// GraphQL over WebSocket with the graphql-transport-ws protocol (the
/// `graphql-ws` library's): connection_init / connection_ack within
/// graphql.init_timeout_ms (else close 4408), ping/pong, subscribe / next /
/// error / complete, close codes 4400 (invalid message), 4401 (subscribe
/// before ack), 4409 (duplicate id), 4429 (a second connection_init).
/// Queries and mutations run once (next + complete); the subscriptions
/// `changes(collection, filter, fromSequence)` — the changefeed, resumable
/// after a sequence (exclusive), bounded like every subscriber (overflow
/// ends it with an error naming the last sequence sent) — and
/// `jobProgress(id)`.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "handlers/change_filter.hpp"
#include "handlers/graphql_http.hpp"
#include "handlers/handler_env.hpp"

namespace themis {

struct route_context;

/// GET /graphql with Upgrade: websocket (graphql_http dispatches here).
void graphql_ws_upgrade(route_context& ctx);

class graphql_ws : public channel_handler,
                   public std::enable_shared_from_this<graphql_ws> {
public:
  graphql_ws(handler_env& env, principal who, gql::run_ports ports,
             change_notifier* timer) :
    env_(env),
    who_(std::move(who)), ports_(ports), timer_(timer) {}

  void on_open(message_sink& sink, uint64_t tip) override;
  void on_message(message_sink& sink, std::string text) override;
  void on_events(message_sink& sink, const published_events& batch) override;
  void on_shutdown(message_sink& sink, const std::string& why) override;
  bool backfill_step(message_sink& sink) override;
  ws_endpoint endpoint() const override { return ws_endpoint::graphql; }

private:
  enum class kind { operation, changes, job };
  struct subscription {
    kind k = kind::operation;
    std::shared_ptr<const gql::schema_bundle> bundle;
    std::shared_ptr<const graphql::document> doc;
    std::string operation_name;
    nlohmann::json variables;
    change_filter filter;
    uint64_t last = 0;   ///< highest sequence examined
    uint64_t sent = 0;   ///< last event sent (the resume point)
    uint64_t target = 0; ///< backfill up to here, then live
    bool backfilling = false;
    bool ended = false; ///< overflowed: erased by the loop that saw it
    std::vector<engine::change_event> held; ///< live events meanwhile
    std::string job_id;
    std::string job_seen; ///< the last job value sent
  };

  void close(int code, const std::string& why);
  void send(const nlohmann::json& msg);
  void send_error(const std::string& id, nlohmann::json errors);
  void subscribe(const nlohmann::json& msg);
  void start_changes(const std::string& id, subscription sub,
                     const graphql::subscription_root& root);
  /// Executes the subscription's selection set on one event value.
  void emit(const std::string& id, subscription& sub,
            const nlohmann::json& root_value);
  /// One change for one subscription (filter, bounds, emit).
  void deliver(const std::string& id, subscription& sub,
               const engine::change_event& e);
  /// Ends a subscriber that fell behind, naming its resume point.
  void overflow(const std::string& id, subscription& sub);
  void poll_job(const std::string& id);
  void after(uint32_t ms, std::function<void(graphql_ws&)> fn);

  handler_env& env_;
  principal who_;
  gql::run_ports ports_;
  change_notifier* timer_;
  message_sink* sink_ = nullptr;
  std::map<std::string, subscription> subs_;
  uint64_t live_ = 0;
  bool init_ = false, acked_ = false, closed_ = false;
};

} // namespace themis
