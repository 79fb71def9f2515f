#pragma once
/// The state of one running query: bind values, the SQLite connection and
/// its statement cache, cancellation checks. Private to engine/aql.

#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "engine/aql/evaluator.hpp"
#include "engine/aql/executor.hpp"
#include "engine/aql/pushdown.hpp"

struct sqlite3_stmt;

namespace themis::aql {

class query_run : public eval_host {
public:
  query_run(sqlite3* db, const parsed_query& q, const json& bind_vars,
            const write_fn& writer, run_progress& progress,
            const run_limits& limits);
  ~query_run() override;

  json run_subquery(const query& q, env& e) override;
  json load_collection(const std::string& name) override;
  const std::string& collection_bind(const std::string& name) override;
  const json& bind_value(const std::string& name) override;

  /// Calls `f(doc)` for each document of `collection` matching the pushed
  /// conditions (evaluated against `en`) until f returns false; returns
  /// false if f stopped it.
  bool scan(const std::string& collection, const pushdown_plan& plan, env& en,
            const std::function<bool(json&)>& f);

  /// Throws cancelled/timeout if the caller asked to stop.
  void check_stop();
  /// An existing document (for UPDATE/REPLACE/REMOVE's OLD), or null.
  json read_document(const std::string& collection, const std::string& key);
  bool collection_exists(const std::string& name);
  /// The engine's name of collection `name` in the query's namespace; ""
  /// (which never exists) for a name outside it.
  std::string stored(const std::string& name) const;

  /// The query's read connection (graph_source_sql.cpp prepares its edge
  /// lookups on it, inside the query's read transaction).
  sqlite3* database() const { return db_; }

  evaluator eval{*this};
  const write_fn& writer;
  run_progress& progress;
  const run_limits& limits;

private:
  sqlite3_stmt* prepare(const std::string& sql);
  bool step(sqlite3_stmt* s);
  void bind_params(sqlite3_stmt* s, const std::vector<json>& params, int from);
  /// A scan's SQL for the plan, given the values of this iteration.
  std::string scan_sql(const std::string& collection,
                       const pushdown_plan& plan, env& en,
                       std::vector<json>& params);

  sqlite3* db_;
  json binds_;
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
  std::map<std::string, bool> exists_;
  /// Ready background indexes per stored collection name, read once per
  /// query (engine/index_background.hpp).
  std::map<std::string, std::vector<engine::side_index>> side_;
  uint32_t ticks_ = 0;

  friend int progress_callback(void*);
};

} // namespace themis::aql
