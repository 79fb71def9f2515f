#include "engine/sql/session_functions.hpp"
#include "engine/sql/sql_functions.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "engine/sql/pg_types.hpp"

namespace themis::sql {

namespace {

using json = nlohmann::json;

template <class F>
void guarded(sqlite3_context* ctx, F&& f) {
  try {
    f(static_cast<session_hooks*>(sqlite3_user_data(ctx)));
  } catch (const sql_error& e) {
    result_error(ctx, e.sqlstate(), e.what());
  } catch (const std::exception& e) {
    result_error(ctx, "XX000", e.what());
  }
}

std::string text_of(sqlite3_value* v) {
  if (sqlite3_value_type(v) == SQLITE_NULL)
    return {};
  auto p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return std::string(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v)));
}

void fn_notify(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&](session_hooks* h) {
    auto channel = text_of(a[0]);
    check_channel(channel);
    auto payload = text_of(a[1]);
    check_payload(payload);
    h->notify(channel, payload);
    sqlite3_result_text(ctx, "", 0, SQLITE_STATIC); // void
  });
}

void fn_terminate(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&](session_hooks* h) {
    if (sqlite3_value_type(a[0]) == SQLITE_NULL)
      return sqlite3_result_null(ctx);
    sqlite3_result_int(ctx, h->terminate_backend(
                              static_cast<int32_t>(sqlite3_value_int64(a[0]))));
  });
}

void fn_cancel(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&](session_hooks* h) {
    if (sqlite3_value_type(a[0]) == SQLITE_NULL)
      return sqlite3_result_null(ctx);
    sqlite3_result_int(
      ctx, h->cancel_backend(static_cast<int32_t>(sqlite3_value_int64(a[0]))));
  });
}

void fn_activity(sqlite3_context* ctx, int, sqlite3_value**) {
  guarded(ctx, [&](session_hooks* h) {
    auto s = h->activity_json();
    sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()),
                        SQLITE_TRANSIENT);
  });
}

void fn_refused(sqlite3_context* ctx, int, sqlite3_value**) {
  result_error(ctx, "0A000",
       "session functions (pg_notify, pg_stat_activity, "
       "pg_terminate_backend, pg_cancel_backend) cannot run after a write "
       "in the same transaction block; call them before the first write or "
       "use NOTIFY");
}

} // namespace

void register_session_functions(sqlite3* db, session_hooks* hooks) {
  struct fn {
    const char* name;
    int n;
    void (*f)(sqlite3_context*, int, sqlite3_value**);
  };
  for (auto& x : {fn{"themis_pg_notify", 2, fn_notify},
                  fn{"themis_pg_terminate_backend", 1, fn_terminate},
                  fn{"themis_pg_cancel_backend", 1, fn_cancel},
                  fn{"themis_pg_stat_activity", 0, fn_activity}})
    sqlite3_create_function_v2(db, x.name, x.n, SQLITE_UTF8, hooks,
                               hooks ? x.f : fn_refused, nullptr, nullptr,
                               nullptr);
}

bool is_session_function(const std::string& name) {
  return name == "pg_notify" || name == "pg_terminate_backend" ||
         name == "pg_cancel_backend" || name == "pg_is_in_recovery";
}

std::optional<std::pair<std::string, uint32_t>>
session_function(const std::string& name,
                 const std::vector<std::string>& args) {
  if (!is_session_function(name))
    return std::nullopt;
  auto want = [&](size_t n) {
    if (args.size() != n)
      throw sql_error("42883", "function " + name + "() takes " +
                                 std::to_string(n) + " argument" +
                                 (n == 1 ? "" : "s"));
  };
  if (name == "pg_is_in_recovery") {
    want(0);
    return std::pair<std::string, uint32_t>{"0", oid::boolean};
  }
  if (name == "pg_notify") {
    want(2);
    return std::pair<std::string, uint32_t>{
      "themis_pg_notify(" + args[0] + ", " + args[1] + ")", oid::text};
  }
  want(1);
  return std::pair<std::string, uint32_t>{
    "themis_" + name + "(" + args[0] + ")", oid::boolean};
}

std::optional<statement> notify_statement(const parsed_statement& p) {
  if (!p.tree)
    return std::nullopt;
  auto& node = *static_cast<const json*>(p.tree.get());
  if (!node.is_object() || node.size() != 1)
    return std::nullopt;
  auto& type = node.begin().key();
  if (type != "ListenStmt" && type != "NotifyStmt" && type != "UnlistenStmt")
    return std::nullopt;
  auto& b = node.begin().value();
  statement st;
  st.kind = stmt_kind::noop;
  st.tag = type == "ListenStmt"   ? "LISTEN"
           : type == "NotifyStmt" ? "NOTIFY"
                                  : "UNLISTEN";
  st.var = b.value("conditionname", std::string());
  st.val = b.value("payload", std::string());
  if (st.tag != "UNLISTEN" || !st.var.empty())
    check_channel(st.var);
  if (st.tag == "NOTIFY") {
    check_payload(st.val);
    if (is_change_channel(st.var, nullptr))
      throw sql_error("42501", "channel \"" + st.var +
                                 "\" carries change events: NOTIFY on it "
                                 "is refused");
  }
  return st;
}

bool is_notify_statement(const statement& st) {
  return st.kind == stmt_kind::noop &&
         (st.tag == "LISTEN" || st.tag == "NOTIFY" || st.tag == "UNLISTEN");
}

void check_channel(const std::string& channel) {
  if (channel.empty())
    throw sql_error("22023", "channel name cannot be empty");
  if (channel.size() >= 64)
    throw sql_error("22023", "channel name too long");
}

void check_payload(const std::string& payload) {
  if (payload.size() >= 8000)
    throw sql_error("22023", "payload string too long");
}

bool is_change_channel(const std::string& channel, std::string* collection) {
  static const std::string base = "themis_changes";
  if (channel.compare(0, base.size(), base) != 0)
    return false;
  if (channel.size() == base.size()) {
    if (collection)
      collection->clear();
    return true;
  }
  if (channel[base.size()] != ':' || channel.size() == base.size() + 1)
    return false;
  if (collection)
    *collection = channel.substr(base.size() + 1);
  return true;
}

view_sql stat_activity_view() {
  struct c {
    const char* name;
    uint32_t type;
  };
  static const c cols[] = {
    {"datid", oid::oid_t},
    {"datname", oid::name},
    {"pid", oid::int4},
    {"leader_pid", oid::int4},
    {"usesysid", oid::oid_t},
    {"usename", oid::name},
    {"application_name", oid::text},
    {"client_addr", oid::text},
    {"client_hostname", oid::text},
    {"client_port", oid::int4},
    {"backend_start", oid::timestamptz},
    {"xact_start", oid::timestamptz},
    {"query_start", oid::timestamptz},
    {"state_change", oid::timestamptz},
    {"wait_event_type", oid::text},
    {"wait_event", oid::text},
    {"state", oid::text},
    {"backend_xid", oid::text},
    {"backend_xmin", oid::text},
    {"query_id", oid::int8},
    {"query", oid::text},
    {"backend_type", oid::text},
  };
  view_sql v;
  std::string sel;
  for (auto& x : cols) {
    sel += (sel.empty() ? "" : ", ") + std::string("json_extract(value, '$.") +
           x.name + "') AS " + quote_ident(x.name);
    v.cols.push_back({x.name, x.type});
  }
  v.sql = "SELECT " + sel + " FROM json_each(themis_pg_stat_activity())";
  return v;
}

} // namespace themis::sql
