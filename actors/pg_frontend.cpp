#include "actors/pg_frontend.hpp"
#include "actors/pg_sessions.hpp"

#include <chrono>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "engine/sql/pg_types.hpp"
#include "engine/sql/plpgsql.hpp"
#include "engine/sql/session_functions.hpp"
#include "engine/sql/sql_databases.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sql/temp_tables.hpp"
#include "engine/store_schema.hpp"
#include "handlers/metrics_registry.hpp"

namespace themis {

using namespace themis::pgwire;

pg_frontend::pg_frontend(pg_frontend_options opts, pg_backend_port& port) :
  opts_(std::move(opts)), port_(port), session_(opts_.session, *this) {
  int rc = sqlite3_open_v2(opts_.db_path.c_str(), &db_,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK)
    throw std::runtime_error(std::string("cannot open the store: ") +
                             (db_ ? sqlite3_errmsg(db_) : "out of memory"));
  sqlite3_busy_timeout(db_, 5000);
  sql::register_functions(db_, nullptr);
  sqlite3_exec(db_, "PRAGMA case_sensitive_like=ON", nullptr, nullptr, nullptr);
  // reads through a memory map: no pread(2) per page on the hot path
  sqlite3_exec(db_, "PRAGMA mmap_size=1073741824", nullptr, nullptr, nullptr);
  stmts_ = std::make_unique<sql::statement_cache>(db_);
  info_.server_version = opts_.session.server_version;
  info_.database = opts_.database;
  info_.backend_pid = opts_.session.backend_pid;
}

pg_frontend::~pg_frontend() {
  sql::forget_session_sequences(info_.backend_pid); // currval (issue 36)
  portals_.clear(); // cursors return their statements first
  stmts_.reset();
  sqlite3_close_v2(db_);
}

uint64_t pg_frontend::now_ms() {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch())
      .count());
}

std::string pg_frontend::random_bytes(size_t n) {
  std::string out(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  return out;
}

void pg_frontend::fatal_now(const std::string& sqlstate,
                            const std::string& message) {
  error_fields e;
  e.severity = "FATAL";
  e.sqlstate = sqlstate;
  e.message = message;
  if (opts_.metrics)
    opts_.metrics->record_pg_error(sqlstate);
  session_.error(e);
  session_.flush();
  session_.close_now();
  port_.close();
}

void pg_frontend::on_authenticated(const startup_packet& p) {
  if (auto u = p.param("user"))
    info_.user = *u;
  std::string sqlstate, message;
  if (!port_.admit(info_.user, who_, sqlstate, message))
    return fatal_now(sqlstate, message);
  // issue 36: the configured name, postgres and template1 (what tools
  // connect to first), a tenant's own name for its principals, and the
  // databases made by CREATE DATABASE (pg_frontend_database.cpp)
  try {
    auto d = p.param("database");
    open_database(d && !d->empty() ? *d : opts_.database);
  } catch (const sql::sql_error& e) {
    return fatal_now(e.sqlstate(), e.what());
  }
  // the session's temp tables (issue 36): inside its tenant, private
  info_.temp_ns = sql::temp_table_prefix(info_.ns, info_.backend_pid);
  defaults_ = {
    {"server_version", opts_.session.server_version},
    {"server_version_num", "150000"},
    {"server_encoding", "UTF8"},
    {"client_encoding", "UTF8"},
    {"datestyle", "ISO, MDY"},
    {"timezone", "UTC"},
    {"intervalstyle", "postgres"},
    {"integer_datetimes", "on"},
    {"standard_conforming_strings", "on"},
    {"application_name", ""},
    {"extra_float_digits", "1"},
    {"search_path", "\"$user\", public"},
    {"transaction_isolation", "serializable"},
    {"default_transaction_isolation", "serializable"},
    {"transaction_read_only", "off"},
    {"default_transaction_read_only", "off"},
    {"statement_timeout", "0"},
    {"lock_timeout", "0"},
    {"idle_in_transaction_session_timeout", "0"},
    {"max_identifier_length", "63"},
    {"is_superuser", who_.is_admin() ? "on" : "off"},
    {"session_authorization", info_.user},
    {"lc_messages", "C"},
    {"lc_monetary", "C"},
    {"lc_numeric", "C"},
    {"lc_time", "C"},
    {"client_min_messages", "notice"},
    {"bytea_output", "hex"},
    {"max_connections", "100"},
    {"block_size", "8192"},
    {"synchronous_commit", "on"},
    {"row_security", "on"},
    {"jit", "off"},
    // what pg_dump and the scripts it writes set (accepted, no effect)
    {"synchronize_seqscans", "on"},
    {"check_function_bodies", "on"},
    {"xmloption", "content"},
    {"quote_all_identifiers", "off"},
    {"default_tablespace", ""},
    {"default_table_access_method", "heap"},
  };
  info_.settings = defaults_;
  apply_database_settings(); // ALTER DATABASE … SET (issue 36)
  // startup parameters and `options` set the session's values, as
  // PostgreSQL's postmaster applies them (issue 36)
  try {
    apply_startup_settings(p);
  } catch (const sql::sql_error& e) {
    return fatal_now(e.sqlstate(), e.what());
  }
  publish_identity();
}

void pg_frontend::refresh_catalog() {
  if (cat_overlay_)
    return; // our own uncommitted DDL is in cat_ until the transaction ends
  if (cat_.epoch == engine::schema_epoch().load() && cat_.epoch != 0)
    return;
  cat_ = sql::catalog::load(db_).scoped(info_.ns, info_.all_namespaces,
                                        info_.temp_ns);
}

void pg_frontend::authorize(const sql::statement& st) const {
  using sql::stmt_kind;
  const char* need = nullptr;
  if (st.writes || st.kind == stmt_kind::copy_from)
    need = "data:write";
  else if (st.kind == stmt_kind::select || st.kind == stmt_kind::copy_to ||
           st.kind == stmt_kind::declare_cursor)
    need = (who_.has_scope("data:read") || who_.has_scope("query"))
             ? nullptr
             : "data:read";
  if (need && !who_.has_scope(need))
    throw sql::sql_error("42501",
                         std::string("permission denied: ") +
                           (st.tag.empty() ? "this statement" : st.tag) +
                           " needs the " + need + " scope");
  authorize_ranger(st);
}

void pg_frontend::check_storage(const sql::statement& st) {
  using sql::stmt_kind;
  if (who_.tenant.empty() ||
      (st.kind != stmt_kind::insert && st.kind != stmt_kind::copy_from))
    return;
  auto quota = port_.documents_quota(who_.tenant);
  if (!quota)
    return;
  auto n = engine::tenant_documents(db_, who_.tenant);
  if (n >= static_cast<int64_t>(quota))
    throw sql::sql_error(
      "53400", "tenant " + who_.tenant + " stores " + std::to_string(n) +
                 " documents; its quota is " + std::to_string(quota));
}

std::string pg_frontend::shown(std::string text) const {
  strip_temp_prefix(text);
  strip_tenant_prefix(text, listen_scope()); // a tenant's or a database's
  return text;
}

sql::statement pg_frontend::translate(const sql::parsed_statement& p,
                                      const std::vector<uint32_t>& declared) {
  if (auto st = sql::notify_statement(p)) // LISTEN/NOTIFY/UNLISTEN (issue 36)
    return *st;
  if (auto st = sql::database_statement(p)) // CREATE/DROP/ALTER DATABASE
    return *st;
  // DO, PREPARE, EXECUTE, DEALLOCATE: run by the session (issue 36)
  if (auto st = sql::plpgsql::session_statement(p)) {
    describe_execute(*st);
    return *st;
  }
  temp_settle(); // ON COMMIT actions of the last transaction (issue 36)
  snapshot_settle(); // a REPEATABLE READ block reads one snapshot (issue 36)
  refresh_catalog();
  auto st = sql::translate(p, cat_, info_, declared);
  temp_mark(st); // a DO block's statements come this way too (issue 36)
  return st;
}

tx_status pg_frontend::current() const {
  switch (tx_) {
    case tx::block:
      return tx_status::in_block;
    case tx::failed:
      return tx_status::failed;
    default:
      return tx_status::idle;
  }
}

void pg_frontend::send_error(const sql::sql_error& e, bool extended) {
  if (terminating()) // pg_terminate_backend interrupted the statement
    return terminate("terminating connection due to administrator command");
  // a cancel stops whatever step the statement was in (translation's
  // catalog reads, a function): the client is told it was cancelled
  if (me_ && me_->cancel.load() && e.sqlstate() != "57014")
    return send_error(
      sql::sql_error("57014", "canceling statement due to user request"),
      extended);
  error_fields f;
  f.sqlstate = e.sqlstate();
  if (opts_.metrics)
    opts_.metrics->record_pg_error(f.sqlstate);
  // constraint violations name their object (sql_functions.hpp)
  auto obj = sql::split_error_object(e.what());
  f.message = shown(obj.message);
  f.detail = shown(obj.detail);
  f.schema = shown(obj.schema);
  f.table = shown(obj.table);
  f.column = shown(obj.column);
  f.constraint = shown(obj.constraint);
  if (!info_.temp_ns.empty() && obj.table.rfind(info_.temp_ns, 0) == 0)
    f.schema = sql::temp_schema_name(info_.backend_pid); // issue 36
  f.position = e.position();
  if (auto r = dynamic_cast<const sql::plpgsql::raised*>(&e)) {
    f.detail = r->detail; // RAISE … USING DETAIL, HINT (issue 36)
    f.hint = r->hint;
  }
  if (extended)
    session_.extended_error(f);
  else
    session_.error(f);
  after_error();
}

void pg_frontend::after_error() {
  if (tx_ == tx::block)
    tx_ = tx::failed;
  if (implicit_open()) // issue 36: the batch fails as a whole
    rollback_implicit();
}

void pg_frontend::count_transaction(bool committed) {
  if (opts_.metrics)
    opts_.metrics->record_pg_transaction(
      std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                    tx_started_)
        .count(),
      committed);
}

void pg_frontend::abandon() {
  if (tx_ != tx::idle)
    count_transaction(false);
  if (pinned_ || tx_ != tx::idle)
    tx_call(sql_tx_request::op::rollback); // a no-op if the writer holds none
  pinned_ = false;
  tx_ = tx::idle;
}

void pg_frontend::terminate(const char* why) {
  error_fields e;
  e.severity = "FATAL";
  e.sqlstate = "57P01";
  e.message = why;
  session_.error(e);
  session_.flush();
  session_.close_now();
  abandon();
  port_.close();
}

void pg_frontend::ensure_fresh(prepared& p) {
  temp_settle(); // ON COMMIT actions of the last transaction (issue 36)
  refresh_catalog();
  if (p.empty || p.epoch == cat_.epoch)
    return;
  p.st = translate(p.parsed, p.declared);
  p.epoch = cat_.epoch;
}

void pg_frontend::on_query(std::string sql) {
  spdlog::debug("pg {}: query: {}", opts_.session.backend_pid, sql);
  set_active(sql);
  portals_.erase("");
  if (run_cached_query(sql)) // a learnt shape: no parse, no translation
    return;
  std::vector<sql::parsed_statement> stmts;
  try {
    stmts = sql::parse_sql(sql);
  } catch (const sql::sql_error& e) {
    send_error(e, false);
    ready();
    return;
  }
  if (stmts.empty())
    session_.empty_query();
  run_statements(std::move(stmts), 0);
}

/// Runs a simple Query's statements from `from` on; the first error ends
/// the message. A COPY FROM STDIN pauses it until CopyDone.
void pg_frontend::run_statements(std::vector<sql::parsed_statement> stmts,
                                 size_t from) {
  try {
    for (size_t i = from; i < stmts.size(); ++i) {
      portal p;
      p.st = translate(stmts[i], {});
      spdlog::debug("pg {}: as {}", opts_.session.backend_pid, p.st.sql);
      if (tx_ == tx::failed && p.st.kind != sql::stmt_kind::commit &&
          p.st.kind != sql::stmt_kind::rollback &&
          p.st.kind != sql::stmt_kind::rollback_to)
        throw sql::sql_error("25P02", "current transaction is aborted, "
                                      "commands ignored until end of "
                                      "transaction block");
      temp_mark(p.st);
      run_observed(p, 0, true);
      if (copy_) {
        // COPY FROM STDIN: the data comes next; the rest runs after it
        rest_.assign(stmts.begin() + static_cast<long>(i) + 1, stmts.end());
        return;
      }
    }
  } catch (const sql::sql_error& e) {
    copy_.reset();
    send_error(e, false);
  }
  finish_batch(); // extended messages before this Query (issue 36)
  ready();
}

void pg_frontend::on_parse(parse_msg& m) {
  try {
    auto p = std::make_shared<prepared>();
    auto stmts = sql::parse_sql(m.sql);
    if (stmts.size() > 1)
      throw sql::sql_error("42601", "cannot insert multiple commands into a "
                                    "prepared statement");
    p->declared = m.param_types;
    if (stmts.empty()) {
      p->empty = true;
    } else {
      p->parsed = stmts[0];
      p->st = translate(p->parsed, p->declared);
      p->epoch = cat_.epoch;
    }
    if (!m.name.empty() && statements_.count(m.name))
      throw sql::sql_error("42P05", "prepared statement \"" + m.name +
                                      "\" already exists");
    statements_[m.name] = std::move(p);
    put_parse_complete(session_.out());
  } catch (const sql::sql_error& e) {
    send_error(e, true);
  }
}

void pg_frontend::on_bind(bind_msg& m) {
  try {
    auto it = statements_.find(m.statement);
    if (it == statements_.end())
      throw sql::sql_error("26000", "prepared statement \"" + m.statement +
                                      "\" does not exist");
    auto& ps = *it->second;
    ensure_fresh(ps);
    if (tx_ == tx::failed && !ps.empty &&
        ps.st.kind != sql::stmt_kind::commit &&
        ps.st.kind != sql::stmt_kind::rollback &&
        ps.st.kind != sql::stmt_kind::rollback_to)
      throw sql::sql_error("25P02", "current transaction is aborted, "
                                    "commands ignored until end of "
                                    "transaction block");
    auto p = std::make_unique<portal>();
    p->stmt = it->second;
    p->st = ps.st;
    if (!ps.empty) {
      if (m.params.size() != ps.st.params.size())
        throw sql::sql_error(
          "08P01", "bind message supplies " + std::to_string(m.params.size()) +
                     " parameters, but prepared statement \"" + m.statement +
                     "\" requires " + std::to_string(ps.st.params.size()));
      p->params = decode_params(m, ps.st.params);
    }
    p->formats = m.result_formats;
    if (!m.portal.empty() && portals_.count(m.portal))
      throw sql::sql_error("42P03",
                           "portal \"" + m.portal + "\" already exists");
    portals_[m.portal] = std::move(p);
    put_bind_complete(session_.out());
  } catch (const sql::sql_error& e) {
    send_error(e, true);
  }
}

std::vector<sql::value>
pg_frontend::decode_params(const bind_msg& m,
                           const std::vector<uint32_t>& types) {
  std::vector<sql::value> out;
  for (size_t i = 0; i < m.params.size(); ++i) {
    auto& raw = m.params[i];
    if (!raw) {
      out.emplace_back();
      continue;
    }
    int16_t fmt = m.param_formats.empty()       ? 0
                  : m.param_formats.size() == 1 ? m.param_formats[0]
                                                : m.param_formats[i];
    auto type = i < types.size() ? types[i] : sql::oid::text;
    if (fmt == 1)
      out.push_back(sql::from_binary(*raw, type));
    else
      out.push_back(sql::coerce(sql::value::of_text(*raw), type));
  }
  return out;
}

void pg_frontend::on_describe(const describe_msg& m) {
  try {
    if (m.target == 'S') {
      auto it = statements_.find(m.name);
      if (it == statements_.end())
        throw sql::sql_error("26000", "prepared statement \"" + m.name +
                                        "\" does not exist");
      auto& ps = *it->second;
      ensure_fresh(ps);
      if (ps.st.kind == sql::stmt_kind::fetch && !ps.st.local) {
        auto c = portals_.find(ps.st.var); // as for the portal below
        if (c != portals_.end() && c->second->sql_cursor)
          ps.st.columns = c->second->st.columns;
      }
      put_parameter_description(session_.out(), ps.st.params);
      if (!ps.empty &&
          (ps.st.returns_rows || ps.st.kind == sql::stmt_kind::show))
        send_row_description(ps.st.columns, {});
      else
        put_no_data(session_.out());
      return;
    }
    auto it = portals_.find(m.name);
    if (it == portals_.end())
      throw sql::sql_error("34000", "portal \"" + m.name + "\" does not exist");
    auto& p = *it->second;
    // a FETCH's rows are its cursor's columns (psycopg 3's named cursors
    // Describe the FETCH portal, then count the DataRow fields against it)
    if (p.st.kind == sql::stmt_kind::fetch && !p.st.local) {
      auto c = portals_.find(p.st.var);
      if (c != portals_.end() && c->second->sql_cursor)
        p.st.columns = c->second->st.columns;
    }
    if (p.st.returns_rows)
      send_row_description(p.st.columns, p.formats);
    else
      put_no_data(session_.out());
  } catch (const sql::sql_error& e) {
    send_error(e, true);
  }
}

void pg_frontend::on_execute(const execute_msg& m) {
  try {
    auto it = portals_.find(m.portal);
    if (it == portals_.end())
      throw sql::sql_error("34000",
                           "portal \"" + m.portal + "\" does not exist");
    auto& p = *it->second;
    if (p.stmt && p.stmt->empty) {
      session_.empty_query();
      return;
    }
    if (tx_ == tx::failed && p.st.kind != sql::stmt_kind::commit &&
        p.st.kind != sql::stmt_kind::rollback &&
        p.st.kind != sql::stmt_kind::rollback_to)
      throw sql::sql_error("25P02", "current transaction is aborted, "
                                    "commands ignored until end of "
                                    "transaction block");
    set_active(p.stmt ? p.stmt->parsed.text : std::string());
    temp_settle(); // a prepared statement runs again (issue 36)
    temp_mark(p.st);
    executing_ = true; // issue 36: the batch's implicit transaction
    run_observed(p, m.max_rows > 0 ? static_cast<size_t>(m.max_rows) : 0,
                 false);
    executing_ = false;
  } catch (const sql::sql_error& e) {
    executing_ = false;
    send_error(e, true);
  }
}

void pg_frontend::on_close(const describe_msg& m) {
  if (m.target == 'S')
    statements_.erase(m.name);
  else
    portals_.erase(m.name);
  put_close_complete(session_.out());
}

void pg_frontend::on_sync() {
  // the unnamed portal ends with the implicit transaction
  portals_.erase("");
  finish_batch(); // the implicit transaction commits (issue 36)
  ready(); // notifications first (issue 36)
}

} // namespace themis
