#pragma once
/// The state of one running query: bind values, the SQLite connection and
/// its statement cache, cancellation checks. Private to engine/aql.

#include <map>
#include <optional>
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
  /// With `ordered` and a plan whose SORT an index can serve
  /// (sort_pushdown.hpp), the rows come in the SORT's order and
  /// `*ordered` is set; otherwise they come in key order.
  bool scan(const std::string& collection, const pushdown_plan& plan, env& en,
            const std::function<bool(json&)>& f, bool* ordered = nullptr);

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
  using staged_docs = std::map<std::string, std::optional<std::string>>;
  /// "SELECT <columns>" of a scan: the document or its projection.
  static std::string select_sql(const pushdown_plan& plan);
  /// The pushed conditions (" AND …") given the values of this iteration.
  std::string where_sql(const std::string& collection,
                        const pushdown_plan& plan, env& en,
                        std::vector<json>& params);
  const std::vector<engine::side_index>&
  side_indexes(const std::string& stored_name);
  /// Steps `sql` (parameters from ?1), handing each row to `f`.
  bool scan_rows(const std::string& sql, const std::vector<json>& params,
                 const pushdown_plan& plan, const staged_docs* staged,
                 const std::function<bool(json&)>& f);
  static json read_row(sqlite3_stmt* s, const pushdown_plan& plan);
  /// scan_rows over rows in descending (value, key) order, handing each
  /// run of equal values to `f` in ascending key order.
  bool scan_reversing_ties(const std::string& sql,
                           const std::vector<json>& values,
                           const pushdown_plan& plan,
                           const std::vector<std::string>& steps,
                           const std::function<bool(json&)>& f);
  /// The rows in the plan's SORT order through an index, or nullopt when
  /// no index serves it (ordered_scan.cpp); `ordered` is set before the
  /// first row. `params` holds the stored
  /// collection name first, then the conditions' values.
  std::optional<bool>
  scan_ordered(const std::string& collection, const pushdown_plan& plan,
               const std::string& where, const std::vector<json>& params,
               const std::function<bool(json&)>& f, bool& ordered);

  sqlite3* db_;
  json binds_;
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
  std::map<std::string, bool> exists_;
  /// Ready background indexes per stored collection name, read once per
  /// query (engine/index_background.hpp).
  std::map<std::string, std::vector<engine::side_index>> side_;
  /// Persistent index definitions per stored collection (ordered scans).
  std::map<std::string, std::vector<engine::doc_index_def>> defs_;
  uint32_t ticks_ = 0;

  friend int progress_callback(void*);
};

} // namespace themis::aql
