/// The store writer's SQL side: translated SQL writes as batch operations,
/// and the explicit transaction of one SQL session.

#include <chrono>
#include <sqlite3.h>

#include "engine/sql/sql_executor.hpp"
#include "engine/sql/sql_sequences.hpp"
#include "engine/sql/temp_tables.hpp"
#include "engine/store_writer.hpp"

namespace themis::engine {

namespace {

/// The change log as SQL writes see it.
class writer_sink : public sql::change_sink {
public:
  using log_fn = std::function<uint64_t(
    const char*, const std::string&, const std::string&, const std::string*)>;
  writer_sink(std::function<uint64_t()> next, log_fn log) :
    next_(std::move(next)), log_(std::move(log)) {}
  int64_t next_sequence() override { return static_cast<int64_t>(next_()); }
  void log(const std::string& collection, const std::string& key,
           const std::string* doc) override {
    // temp tables are session-private: no change event, no sequence
    // (TRUNCATE and DROP of one come here row by row)
    if (sql::is_temp_table(collection))
      return;
    log_(doc ? "PUT" : "DELETE", collection, key, doc);
  }

private:
  std::function<uint64_t()> next_;
  log_fn log_;
};

} // namespace

op_result store_writer::apply_sql(sql::write_job& job, int64_t now_ms) {
  op_result r;
  writer_sink sink([this] { return next_seq_; },
                   [this, now_ms](const char* type, const std::string& c,
                                  const std::string& k, const std::string* d) {
                     return log_change(type, c, k, d, now_ms);
                   });
  try {
    job.in_block = in_session_;
    if (!dml_cache_)
      dml_cache_ = std::make_unique<sql::statement_cache>(db_.handle());
    job.cache = dml_cache_.get();
    // canceled or timed out while it waited for the writer: it never runs
    if (stopped_before_start(job)) {
      r.status = op_status::invalid;
      r.message = job.message;
      return r;
    }
    run_stoppable(job, sink);
    if (job.result.schema_changed) {
      schema_dirty_ = true;
      sql::sequences_changed(counters_); // definitions reload (issue 36)
    }
  } catch (const sql::sql_error& e) {
    job.sqlstate = e.sqlstate();
    job.message = e.what();
    job.position = e.position();
    r.status = op_status::invalid;
    r.message = e.what();
  } catch (const std::exception& e) {
    job.sqlstate = "XX000";
    job.message = e.what();
    r.status = op_status::internal;
    r.message = e.what();
  }
  return r;
}

void store_writer::after_commit() {
  if (schema_dirty_)
    ++schema_epoch();
  schema_dirty_ = false;
}

void store_writer::drop_sql_definition(const std::string& name) {
  std::vector<std::string> idx;
  {
    auto s = db_.prepare("SELECT name FROM sqlite_master WHERE type = 'index' "
                         "AND substr(name, 1, length(?1) + 8) = "
                         "'sqlidx:' || ?1 || ':'");
    s.bind(1, name);
    while (s.step())
      idx.emplace_back(s.text(0));
  }
  for (auto& i : idx)
    db_.exec(("DROP INDEX " + sql::quote_ident(i)).c_str());
  db_.prepare("DELETE FROM sql_tables WHERE name = ?1").bind(1, name).run();
}

void store_writer::save_blob(const std::string& key, const std::string& v) {
  db_.prepare("BEGIN IMMEDIATE").run();
  try {
    db_
      .prepare("INSERT INTO state_blobs(k, v) VALUES(?1, ?2) "
               "ON CONFLICT(k) DO UPDATE SET v = excluded.v")
      .bind(1, key)
      .bind(2, v)
      .run();
    db_.prepare("COMMIT").run();
  } catch (...) {
    db_.exec("ROLLBACK");
    throw;
  }
}

std::string store_writer::load_blob(const std::string& key) {
  auto s = db_.prepare("SELECT v FROM state_blobs WHERE k = ?1");
  s.bind(1, key);
  return s.step() ? std::string(s.text(0)) : std::string();
}

void store_writer::begin_session() {
  db_.prepare("BEGIN IMMEDIATE").run();
  in_session_ = true;
  lost_ = false;
  session_start_seq_ = next_seq_;
  committed_.clear();
  savepoints_.clear();
  pending_fks_.clear();
}

namespace {

const char* const aborted_message =
  "current transaction is aborted, commands ignored until end of "
  "transaction block";

} // namespace

void store_writer::run_in_session(sql::write_job& job) {
  if (lost_) { // only ROLLBACK ends it (store_writer_stop.cpp)
    job.sqlstate = "25P02";
    job.message = aborted_message;
    return;
  }
  auto save = next_seq_;
  db_.prepare("SAVEPOINT stmt").run();
  apply_sql(job, std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count());
  if (!job.sqlstate.empty() && transaction_lost()) {
    // the statement was interrupted: SQLite undid the whole transaction
    lost_ = true;
    forget_uncommitted(session_start_seq_);
    savepoints_.clear();
    pending_fks_.clear();
    job.deferred_fks.clear();
    schema_dirty_ = false;
    return;
  }
  if (!job.sqlstate.empty()) {
    db_.prepare("ROLLBACK TO stmt").run();
    forget_uncommitted(save);
  } else {
    // a check that is no longer needed (rolled back to a savepoint)
    // still passes at COMMIT: it reads the rows as they are then
    for (auto& p : job.deferred_fks)
      pending_fks_.push_back(std::move(p));
  }
  job.deferred_fks.clear();
  db_.prepare("RELEASE stmt").run();
}

void store_writer::session_savepoint(const std::string& name) {
  if (lost_)
    throw sql::sql_error("25P02", aborted_message);
  db_.exec(("SAVEPOINT " + sql::quote_ident("u_" + name)).c_str());
  savepoints_.emplace_back(name, next_seq_);
}

void store_writer::session_release(const std::string& name) {
  if (lost_)
    throw sql::sql_error("25P02", aborted_message);
  for (size_t i = savepoints_.size(); i-- > 0;)
    if (savepoints_[i].first == name) {
      db_.exec(("RELEASE " + sql::quote_ident("u_" + name)).c_str());
      savepoints_.resize(i);
      return;
    }
  throw sql::sql_error("3B001", "savepoint \"" + name + "\" does not exist");
}

void store_writer::session_rollback_to(const std::string& name) {
  if (lost_) // the savepoint went with the transaction
    throw sql::sql_error("25P02", aborted_message);
  for (size_t i = savepoints_.size(); i-- > 0;)
    if (savepoints_[i].first == name) {
      db_.exec(("ROLLBACK TO " + sql::quote_ident("u_" + name)).c_str());
      forget_uncommitted(savepoints_[i].second);
      savepoints_.resize(i + 1);
      return;
    }
  throw sql::sql_error("3B001", "savepoint \"" + name + "\" does not exist");
}

bool store_writer::commit_session(std::string& error, std::string* sqlstate) {
  in_session_ = false;
  if (lost_) { // SQLite already rolled it back
    lost_ = false;
    error = aborted_message;
    if (sqlstate)
      *sqlstate = "25P02";
    return false;
  }
  try {
    auto deferred = std::move(pending_fks_);
    pending_fks_.clear();
    sql::check_deferred(db_.handle(), deferred);
    db_.prepare("COMMIT").run();
    ++commits_;
    after_commit();
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    if (auto* se = dynamic_cast<const sql::sql_error*>(&e); se && sqlstate)
      *sqlstate = se->sqlstate();
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
    }
    forget_uncommitted(session_start_seq_);
    schema_dirty_ = false;
    return false;
  }
}

void store_writer::rollback_session() {
  in_session_ = false;
  lost_ = false;
  try {
    db_.exec("ROLLBACK");
  } catch (...) {
  }
  forget_uncommitted(session_start_seq_);
  schema_dirty_ = false;
}

} // namespace themis::engine
