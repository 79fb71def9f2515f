#pragma once
/// What SQL reaches of the other sessions (issue 36): LISTEN / NOTIFY /
/// UNLISTEN as statements, pg_notify(), pg_terminate_backend(),
/// pg_cancel_backend(), pg_is_in_recovery() and pg_stat_activity's rows.
/// The translator turns them into calls of `themis_pg_*` functions, which
/// a front-end registers on its read connection with its own hooks (the
/// store writer's connection gets versions that refuse).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/sql/catalog_views.hpp"
#include "engine/sql/translator.hpp"

struct sqlite3;

namespace themis::sql {

/// The session a statement runs in, as the functions see it.
class session_hooks {
public:
  virtual ~session_hooks() = default;
  /// pg_notify(): queued in the transaction (sent at COMMIT). Throws
  /// sql_error (22023 for a bad channel or payload).
  virtual void notify(const std::string& channel,
                      const std::string& payload) = 0;
  /// False: no such backend visible to the caller. Throws 42501 when the
  /// caller may not signal it.
  virtual bool terminate_backend(int32_t pid) = 0;
  virtual bool cancel_backend(int32_t pid) = 0;
  /// pg_stat_activity's rows the caller may see: a JSON array of objects
  /// with the view's column names.
  virtual std::string activity_json() = 0;
};

/// `hooks` null: the functions fail with 0A000 (the store writer's
/// connection, which runs statements of a transaction that has written).
void register_session_functions(sqlite3* db, session_hooks* hooks);

/// The SQL for a call of `name` (pg_notify, pg_terminate_backend …) with
/// arguments already translated, and its result type; nullopt if `name`
/// is not one of these.
std::optional<std::pair<std::string, uint32_t>>
session_function(const std::string& name, const std::vector<std::string>& args);
bool is_session_function(const std::string& name);

/// LISTEN / UNLISTEN / NOTIFY as a `noop` statement whose tag names it,
/// `var` the channel ("" : UNLISTEN *) and `val` the payload; nullopt for
/// any other statement.
std::optional<statement> notify_statement(const parsed_statement& p);
bool is_notify_statement(const statement& st);

/// Channel names and payloads as PostgreSQL checks them (22023).
void check_channel(const std::string& channel);
void check_payload(const std::string& payload);

/// "themis_changes" (all collections) or "themis_changes:<collection>":
/// the collection's committed change events. Sets `collection` ("" : all).
bool is_change_channel(const std::string& channel, std::string* collection);

/// pg_stat_activity: rows come from themis_pg_stat_activity() at run time
/// (a prepared statement sees the sessions of each execution).
view_sql stat_activity_view();

} // namespace themis::sql
