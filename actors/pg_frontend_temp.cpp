/// Temporary tables of one PostgreSQL session (issue 36; the storage side
/// is engine/sql/temp_tables.hpp): ON COMMIT DROP / DELETE ROWS at the end
/// of each transaction, and every temp table dropped when the session ends.
///
/// ON COMMIT actions run as the session's own write right after the
/// transaction ended (COMMIT, or an autocommit statement's implicit
/// commit) and before the session's next statement is translated or
/// executed: nobody else can see a temp table, so no observer can tell
/// this from PostgreSQL's pre-commit action. A ROLLBACK needs nothing: it
/// undoes the rows (DELETE ROWS tables are empty at every transaction's
/// start) and the creation of an ON COMMIT DROP table alike. A crash in
/// between leaves nothing either: the store purges temp tables when it
/// opens.

#include <chrono>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <thread>

#include "actors/pg_frontend.hpp"
#include "engine/sql/sql_sequences.hpp"
#include "engine/sql/sql_views.hpp"
#include "engine/sql/temp_tables.hpp"

namespace themis {

using sql::stmt_kind;

void pg_frontend::temp_mark(const sql::statement& st) {
  if (temp_dirty_)
    return;
  switch (st.kind) {
    case stmt_kind::create_table:
      temp_dirty_ = !st.def.on_commit.empty();
      return;
    case stmt_kind::insert:
    case stmt_kind::update:
    case stmt_kind::remove:
    case stmt_kind::copy_from: {
      if (!sql::is_temp_table(st.table))
        return;
      auto t = cat_.find_temp(sql::temp_local_name(st.table));
      temp_dirty_ = t && !t->on_commit.empty();
      return;
    }
    default:
      return;
  }
}

void pg_frontend::temp_settle() {
  // inside a transaction block or an extended-query batch's implicit
  // transaction the actions wait for its end
  if (!temp_dirty_ || tx_ != tx::idle || pinned_ || copy_)
    return;
  temp_dirty_ = false;
  refresh_catalog();
  std::vector<std::string> drop, empty;
  for (auto& [name, t] : cat_.temp_tables()) {
    if (t.on_commit == "drop")
      drop.push_back(t.name);
    else if (t.on_commit == "delete")
      empty.push_back(t.name);
  }
  if (!drop.empty())
    temp_write(stmt_kind::drop_table, std::move(drop));
  if (!empty.empty())
    temp_write(stmt_kind::truncate, std::move(empty));
}

void pg_frontend::temp_write(stmt_kind kind, std::vector<std::string> names) {
  auto job = std::make_shared<sql::write_job>();
  job->st.kind = kind;
  job->st.tag = kind == stmt_kind::drop_table ? "DROP TABLE" : "TRUNCATE";
  job->st.writes = true;
  job->st.if_exists = true;
  job->st.names = std::move(names);
  job->st.temp_ns = info_.temp_ns;
  job->param_rows.emplace_back();
  // the writer's admission may turn a write away while it is overloaded:
  // this one is owed (a leftover would outlive its session), so it waits
  // its turn for up to about ten seconds
  if (pinned_) { // inside the session's own transaction (DISCARD TEMP)
    auto t = tx_call(sql_tx_request::op::run, job);
    if (!t.sqlstate.empty())
      throw sql::sql_error(t.sqlstate, t.message);
    if (kind == stmt_kind::drop_table)
      drop_overlay(); // reload at the next statement
    return;
  }
  engine::write_result r;
  for (int attempt = 0; attempt < 100; ++attempt) {
    r = port_.write(job);
    if (!r.overloaded)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (r.overloaded)
    throw sql::sql_error("53300", "the store is overloaded, retry later");
  if (!job->sqlstate.empty())
    throw sql::sql_error(job->sqlstate, job->message, job->position);
  if (!r.committed)
    throw sql::sql_error("XX000",
                         r.error.empty() ? "the write failed" : r.error);
  if (kind == stmt_kind::drop_table)
    cat_.epoch = 0; // reload: the tables are gone
}

void pg_frontend::drop_temp_tables() {
  if (info_.temp_ns.empty())
    return;
  portals_.clear(); // an open cursor would pin an older snapshot
  try {
    // what is committed now (not what the session saw), by a range read of
    // sql_tables' key: no catalog load at every disconnect
    std::vector<std::string> names;
    auto hi = info_.temp_ns;
    hi.back() = static_cast<char>(sql::temp_marker + 1);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_,
                           "SELECT name FROM sql_tables WHERE name >= ?1 AND "
                           "name < ?2",
                           -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error(sqlite3_errmsg(db_));
    sqlite3_bind_text(s, 1, info_.temp_ns.data(),
                      static_cast<int>(info_.temp_ns.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 2, hi.data(), static_cast<int>(hi.size()),
                      SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW)
      names.emplace_back(
        reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    if (!names.empty())
      temp_write(stmt_kind::drop_table, std::move(names));
    // and its temp views (issue 36; sql_views.hpp)
    if (auto views = sql::temp_view_names(db_, info_.temp_ns); !views.empty())
      temp_write(stmt_kind::view_ddl, std::move(views));
    // and its temp sequences (issue 36; sql_sequences.hpp)
    if (auto seqs = sql::temp_sequence_names(db_, info_.temp_ns);
        !seqs.empty())
      temp_write(stmt_kind::sequence_ddl, std::move(seqs));
  } catch (const std::exception& e) {
    // the store purges them when it next opens
    spdlog::warn("pg {}: temporary tables not dropped: {}", info_.backend_pid,
                 e.what());
  }
}

bool pg_frontend::discard_temp(const std::string& tag) {
  if (tag != "DISCARD ALL" && tag != "DISCARD TEMP")
    return false;
  if (tag == "DISCARD ALL" && tx_ != tx::idle)
    throw sql::sql_error("25001", "DISCARD ALL cannot run inside a "
                                  "transaction block");
  refresh_catalog(); // (with the transaction's own DDL, if any)
  std::vector<std::string> views; // temp views go too (issue 36)
  for (auto& [name, v] : cat_.views())
    if (sql::is_temp_table(v.name))
      views.push_back(v.name);
  if (!views.empty())
    temp_write(stmt_kind::view_ddl, std::move(views));
  std::vector<std::string> names;
  for (auto& [name, t] : cat_.temp_tables())
    names.push_back(t.name);
  if (!names.empty())
    temp_write(stmt_kind::drop_table, std::move(names));
  return tag == "DISCARD TEMP";
}

void pg_frontend::strip_temp_prefix(std::string& text) const {
  if (info_.temp_ns.empty())
    return;
  for (auto at = text.find(info_.temp_ns); at != std::string::npos;
       at = text.find(info_.temp_ns, at))
    text.erase(at, info_.temp_ns.size());
}

} // namespace themis
