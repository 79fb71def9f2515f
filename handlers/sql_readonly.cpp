/// run_readonly_sql (sql_readonly.hpp): the statement runs on its own
/// read-only SQLite connection, so nothing it does can write, whatever
/// the translator decided; the statement kind is still checked first to
/// give a clear refusal instead of SQLite's "attempt to write a readonly
/// database".

#include "handlers/sql_readonly.hpp"

#include <sqlite3.h>

#include "engine/aql/executor.hpp"
#include "engine/sql/session_functions.hpp"
#include "engine/sql/sql_catalog.hpp"
#include "engine/sql/sql_executor.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sql/translator.hpp"
#include "handlers/http_json.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using outcome = sql_readonly_result::outcome;

/// What SQLite's progress handler checks every few thousand steps.
struct stop_check {
  const aql::run_progress* progress;
  const std::atomic<bool>* server_stop;
  std::chrono::steady_clock::time_point deadline;
  bool timed_out = false;
};

int on_progress(void* p) {
  auto* s = static_cast<stop_check*>(p);
  if (s->progress->cancel.load() || (s->server_stop && s->server_stop->load()))
    return 1;
  if (std::chrono::steady_clock::now() >= s->deadline) {
    s->timed_out = true;
    return 1;
  }
  return 0;
}

json to_json(const sql::value& v, uint32_t oid) {
  using k = sql::value::kind;
  switch (v.k) {
    case k::null:
      return nullptr;
    case k::integer:
      if (oid == 16)
        return v.i != 0;
      return v.i;
    case k::real:
      return v.d;
    case k::text:
      if (oid == 114 || oid == 3802) { // json, jsonb
        json j;
        if (!parse_json_body(v.s, j) && !j.is_discarded())
          return j;
      }
      return v.s;
    case k::blob: {
      static constexpr char hex[] = "0123456789abcdef";
      std::string out = "\\x";
      for (unsigned char ch : v.s) {
        out.push_back(hex[ch >> 4]);
        out.push_back(hex[ch & 15]);
      }
      return out;
    }
  }
  return nullptr;
}

struct db_guard {
  sqlite3* db = nullptr;
  ~db_guard() { sqlite3_close_v2(db); }
};

sql_readonly_result fail(outcome o, std::string state, std::string msg) {
  sql_readonly_result r;
  r.what = o;
  r.sqlstate = std::move(state);
  r.message = std::move(msg);
  return r;
}

/// The PostgreSQL port's rule (pg_frontend::authorize): a read needs
/// data:read or query, a write data:write. Refusal text or "".
std::string missing_scope(const sql::statement& st, const principal& who) {
  const char* need = nullptr;
  if (st.writes || st.kind == sql::stmt_kind::copy_from)
    need = "data:write";
  else if (!who.has_scope("data:read") && !who.has_scope("query"))
    need = "data:read";
  if (!need || who.has_scope(need))
    return {};
  return "permission denied: " +
         (st.tag.empty() ? std::string("this statement") : st.tag) +
         " needs the " + need + " scope";
}

} // namespace

sql_readonly_result run_readonly_sql(const sql_readonly_request& rq) {
  db_guard g;
  if (sqlite3_open_v2(rq.db_path.c_str(), &g.db,
                      SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    return fail(outcome::internal, "58030", "cannot open the store");
  sqlite3_busy_timeout(g.db, 5000);
  sql::register_functions(g.db, nullptr);
  sql::register_session_functions(g.db, rq.hooks.get());
  sqlite3_exec(g.db, "PRAGMA case_sensitive_like=ON", nullptr, nullptr,
               nullptr);
  sql::session_info info;
  info.user = rq.who.user.empty() ? "themis" : rq.who.user;
  info.tenant = !rq.who.tenant.empty();
  info.ns = rq.who.tenant.empty() ? std::string() : rq.who.tenant + ".";
  info.all_namespaces = rq.who.tenant.empty() && rq.who.is_admin();
  stop_check stop{rq.progress.get(), rq.server_stop, rq.deadline};
  sqlite3_progress_handler(g.db, 4000, on_progress, &stop);
  try {
    auto cat = sql::catalog::load(g.db).scoped(info.ns, info.all_namespaces);
    auto stmts = sql::parse_sql(rq.text);
    if (stmts.size() != 1)
      return fail(outcome::refused, "42601",
                  "exactly one statement is run (" +
                    std::to_string(stmts.size()) + " given)");
    auto st = sql::translate(stmts[0], cat, info);
    if (auto denied = missing_scope(st, rq.who); !denied.empty())
      return fail(outcome::refused, "42501", denied);
    if (st.kind != sql::stmt_kind::select || st.writes || st.locking ||
        st.uses_sequences || !st.returns_rows || st.sql.empty())
      return fail(outcome::refused, "0A000",
                  "only read-only SELECT statements run here (" +
                    (st.tag.empty() ? std::string("this statement") : st.tag) +
                    " is refused; writes go through the PostgreSQL port)");
    sql_readonly_result r;
    r.what = outcome::ok;
    r.tag = st.tag;
    sql::query_cursor cur(g.db, st.sql, {});
    r.truncated = cur.fetch(rq.max_rows, [&](sql::row& row) {
      json a = json::array();
      for (size_t i = 0; i < row.size() && i < st.columns.size(); ++i)
        a.push_back(to_json(row[i], st.columns[i].type_oid));
      r.rows.push_back(std::move(a));
    });
    for (auto& col : st.columns)
      r.columns.push_back({{"name", col.name}, {"type_oid", col.type_oid}});
    return r;
  } catch (const sql::sql_error& e) {
    if (rq.progress->cancel.load())
      return fail(outcome::cancelled, "57014",
                  "canceling statement due to user request");
    if (stop.timed_out)
      return fail(outcome::failed, "57014",
                  "canceling statement due to statement timeout");
    return fail(outcome::failed, e.sqlstate(), e.what());
  } catch (const std::exception& e) {
    return fail(rq.progress->cancel.load() ? outcome::cancelled
                                           : outcome::internal,
                "XX000", std::string("query failed: ") + e.what());
  }
}

} // namespace themis
