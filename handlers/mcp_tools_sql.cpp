/// sql_query: one read-only SELECT through the engine the PostgreSQL
/// front-end uses (parse_sql → translate → a cursor), without a PG
/// session: on a worker thread with its own read-only SQLite connection,
/// the caller's tenant namespace and catalog, bounded rows, the query
/// timeout and cancellation (notifications/cancelled) through SQLite's
/// progress handler. Writes, locking reads, sequences, several
/// statements and session commands (SET, BEGIN …) are refused.

#include <sqlite3.h>

#include <chrono>

#include "engine/aql/executor.hpp"
#include "engine/sql/sql_catalog.hpp"
#include "engine/sql/sql_executor.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sql/translator.hpp"
#include "engine/store_schema.hpp"
#include "handlers/http_json.hpp"
#include "handlers/mcp_tool_util.hpp"

namespace themis::mcp {

namespace {

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

} // namespace

void tool_sql_query(const context_ptr& c, const json& args, reply_fn done) {
  need_scope(*c, "query");
  auto& cfg = c->env.config;
  auto text = arg_string(args, "sql", true, cfg.limits.max_sql_bytes);
  uint64_t cap = cfg.mcp.max_rows;
  auto max_rows =
    arg_uint(args, "maxRows", std::min<uint64_t>(100, cap), 1, cap);
  auto progress = std::make_shared<aql::run_progress>();
  if (c->call) {
    c->sess->set_query(c->call, progress);
    if (c->cancelled())
      progress->cancel.store(true);
  }
  engine::store_options so;
  so.data_dir = cfg.engine.data_dir;
  auto db_path = engine::database_path(so);
  sql::session_info info;
  info.user = c->who.user.empty() ? "themis" : c->who.user;
  info.tenant = !c->who.tenant.empty();
  info.ns = c->who.tenant.empty() ? std::string() : c->who.tenant + ".";
  info.all_namespaces = c->who.tenant.empty() && c->who.is_admin();
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(cfg.query.timeout_ms);
  auto work = [=](blocking_writer& w) {
    api_response r;
    r.status = 400;
    db_guard g;
    if (sqlite3_open_v2(db_path.c_str(), &g.db,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      r.status = 500;
      r.body = "cannot open the store";
      return r;
    }
    sqlite3_busy_timeout(g.db, 5000);
    sql::register_functions(g.db, nullptr);
    sqlite3_exec(g.db, "PRAGMA case_sensitive_like=ON", nullptr, nullptr,
                 nullptr);
    stop_check stop{progress.get(), w.stop_flag(), deadline};
    sqlite3_progress_handler(g.db, 4000, on_progress, &stop);
    try {
      auto cat = sql::catalog::load(g.db).scoped(info.ns, info.all_namespaces);
      auto stmts = sql::parse_sql(text);
      if (stmts.size() != 1) {
        r.body = "sql_query runs exactly one statement";
        return r;
      }
      auto st = sql::translate(stmts[0], cat, info);
      if (st.kind != sql::stmt_kind::select || st.writes || st.locking ||
          st.uses_sequences || !st.returns_rows || st.sql.empty()) {
        r.body = "sql_query runs read-only SELECT statements only (" +
                 (st.tag.empty() ? std::string("this statement") : st.tag) +
                 " is refused)";
        return r;
      }
      json rows = json::array();
      sql::query_cursor cur(g.db, st.sql, {});
      bool more = cur.fetch(max_rows, [&](sql::row& row) {
        json o = json::object();
        for (size_t i = 0; i < row.size() && i < st.columns.size(); ++i)
          o[st.columns[i].name] = to_json(row[i], st.columns[i].type_oid);
        rows.push_back(std::move(o));
      });
      json cols = json::array();
      for (auto& col : st.columns)
        cols.push_back(col.name);
      r.status = 200;
      r.body = dump(
        {{"columns", cols}, {"rows", std::move(rows)}, {"truncated", more}});
    } catch (const sql::sql_error& e) {
      if (progress->cancel.load())
        r.status = 499;
      r.body = (stop.timed_out ? std::string("57014 canceling statement due "
                                             "to statement timeout")
                               : e.sqlstate() + " " + e.what());
    } catch (const std::exception& e) {
      r.status = progress->cancel.load() ? 499 : 500;
      r.body = std::string("query failed: ") + e.what();
    }
    return r;
  };
  c->work.run_blocking(std::move(work), [c, done](api_response r) {
    if (c->cancelled())
      return done(
        {nullptr, rpc_failure(request_cancelled, "request cancelled")});
    if (r.status != 200)
      return done({tool_failed("SQL error: " + r.body)});
    json out;
    if (parse_json_body(r.body, out) || out.is_discarded())
      return done({tool_failed("the query's result could not be read")});
    done({tool_ok(std::move(out))});
  });
}

} // namespace themis::mcp
