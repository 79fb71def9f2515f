#pragma once
/// What a principal sees and may signal of the PostgreSQL sessions
/// (issue 36), shared by a PG session (pg_frontend_notify.cpp) and by SQL
/// run outside one (POST /api/v1/query/sql, MCP sql_query; issue 29):
/// a tenant sees only its tenant's sessions, a non-admin only its own
/// user's; a global admin sees all.

#include <cstdint>
#include <memory>
#include <string>

#include "engine/sql/session_functions.hpp"
#include "themis/principal.hpp"

namespace themis {

class pg_sessions;
struct pg_backend_entry;

/// Whether `who` may see `e` (call under e.mtx).
bool pg_session_visible(const principal& who, const pg_backend_entry& e);

/// pg_stat_activity's rows `who` may see: a JSON array of objects with the
/// view's column names.
std::string pg_activity_json(const pg_sessions& sessions, const principal& who);

/// The backend `pid` if `who` may signal it; null if there is none it can
/// see. Throws sql_error 42501 (`denied` …) if it belongs to another user
/// of the caller's tenant and the caller is no admin.
std::shared_ptr<pg_backend_entry> pg_signal_target(pg_sessions* sessions,
                                                   const principal& who,
                                                   int32_t pid,
                                                   const char* denied);

/// session_hooks for SQL run without a PG session: NOTIFY has no
/// transaction to wait for and is refused (0A000); pg_cancel_backend and
/// pg_terminate_backend answer false for a session the caller cannot see
/// (PostgreSQL's WARNING has no client to go to).
class pg_sql_hooks : public sql::session_hooks {
public:
  pg_sql_hooks(std::shared_ptr<pg_sessions> sessions, principal who);

  void notify(const std::string& channel, const std::string& payload) override;
  bool terminate_backend(int32_t pid) override;
  bool cancel_backend(int32_t pid) override;
  std::string activity_json() override;

private:
  std::shared_ptr<pg_sessions> sessions_;
  principal who_;
};

} // namespace themis
