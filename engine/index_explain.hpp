#pragma once
/// What SQLite's planner does with a collection scan's SQL (issue 22):
/// EXPLAIN QUERY PLAN on a read-only connection, so AQL EXPLAIN names the
/// persistent index that a pushed-down FILTER actually uses.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace themis::engine {

struct scan_explain {
  std::vector<std::string> details; ///< EXPLAIN QUERY PLAN's detail column
  std::string index; ///< the persistent index's name ("" if none is used)
};

/// Plans `sql` ("SELECT … FROM documents WHERE collection = ?1 …") with
/// `collection` bound to ?1 and `params` to ?2… on the store at
/// `db_path`; an index named "docidx:<collection>:<name>" in the plan is
/// reported by name. Errors leave the result empty.
scan_explain explain_scan(const std::string& db_path,
                          const std::string& collection, const std::string& sql,
                          const std::vector<nlohmann::json>& params);

} // namespace themis::engine
