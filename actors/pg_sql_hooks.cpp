/// pg_stat_activity rows and backend signals by principal (pg_sql_hooks.hpp).

#include "actors/pg_sql_hooks.hpp"

#include <mutex>
#include <nlohmann/json.hpp>

#include "actors/pg_sessions.hpp"
#include "engine/sql/pg_datetime.hpp"
#include "engine/sql/sql_executor.hpp"

namespace themis {

namespace {

constexpr int64_t pg_epoch_us = 946684800000000; // 2000-01-01 in Unix µs

nlohmann::json ts(int64_t unix_us) {
  if (!unix_us)
    return nullptr;
  return sql::pg_us_to_timestamp(unix_us - pg_epoch_us, true);
}

/// The name a session records as its principal (publish_identity).
std::string principal_name(const principal& who) {
  return who.user.empty() ? who.via : who.user;
}

bool same_tenant(const principal& who, const pg_backend_entry& e) {
  return e.tenant == who.tenant || (who.tenant.empty() && who.is_admin());
}

} // namespace

bool pg_session_visible(const principal& who, const pg_backend_entry& e) {
  if (!same_tenant(who, e))
    return false;
  return who.is_admin() || e.principal == principal_name(who);
}

std::string pg_activity_json(const pg_sessions& sessions,
                             const principal& who) {
  auto rows = nlohmann::json::array();
  for (auto& e : sessions.all()) {
    std::lock_guard<std::mutex> g(e->mtx);
    if (!e->ready || !pg_session_visible(who, *e))
      continue;
    bool idle = e->state != "active";
    rows.push_back({
      {"datid", 16384},
      {"datname", e->database},
      {"pid", e->pid},
      {"leader_pid", nullptr},
      {"usesysid", 10},
      {"usename", e->user},
      {"application_name", e->application_name},
      {"client_addr", e->client_addr.empty() ? nlohmann::json(nullptr)
                                             : nlohmann::json(e->client_addr)},
      {"client_hostname", nullptr},
      {"client_port", e->client_port},
      {"backend_start", ts(e->backend_start_us)},
      {"xact_start", ts(e->xact_start_us)},
      {"query_start", ts(e->query_start_us)},
      {"state_change", ts(e->state_change_us)},
      {"wait_event_type", idle ? nlohmann::json("Client") : nullptr},
      {"wait_event", idle ? nlohmann::json("ClientRead") : nullptr},
      {"state", e->state},
      {"backend_xid", nullptr},
      {"backend_xmin", nullptr},
      {"query_id", nullptr},
      {"query", e->query},
      {"backend_type", "client backend"},
    });
  }
  return rows.dump();
}

std::shared_ptr<pg_backend_entry> pg_signal_target(pg_sessions* sessions,
                                                   const principal& who,
                                                   int32_t pid,
                                                   const char* denied) {
  auto e = sessions ? sessions->find(pid) : nullptr;
  bool visible = false, allowed = false;
  if (e) {
    std::lock_guard<std::mutex> g(e->mtx);
    visible = e->ready && same_tenant(who, *e);
    allowed = visible && pg_session_visible(who, *e);
  }
  if (!visible)
    return nullptr;
  if (!allowed)
    throw sql::sql_error("42501", std::string(denied) +
                                    ": only the session's own user or an "
                                    "admin may signal it");
  return e;
}

pg_sql_hooks::pg_sql_hooks(std::shared_ptr<pg_sessions> sessions,
                           principal who) :
  sessions_(std::move(sessions)),
  who_(std::move(who)) {}

void pg_sql_hooks::notify(const std::string&, const std::string&) {
  throw sql::sql_error("0A000", "NOTIFY and pg_notify() need a PostgreSQL "
                                "session (the PostgreSQL port)");
}

bool pg_sql_hooks::terminate_backend(int32_t pid) {
  auto e = pg_signal_target(sessions_.get(), who_, pid,
                            "permission denied to terminate process");
  if (e)
    pg_sessions::terminate(*e);
  return e != nullptr;
}

bool pg_sql_hooks::cancel_backend(int32_t pid) {
  auto e = pg_signal_target(sessions_.get(), who_, pid,
                            "permission denied to cancel query");
  if (e)
    pg_sessions::cancel(*e);
  return e != nullptr;
}

std::string pg_sql_hooks::activity_json() {
  return sessions_ ? pg_activity_json(*sessions_, who_) : "[]";
}

} // namespace themis
