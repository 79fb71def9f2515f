#pragma once
/// SORT … LIMIT served by an index (issue 22, docs/indexes.md "SORT and
/// LIMIT"): a collection loop whose SORT key is the first field of a
/// non-sparse persistent index reads its documents in AQL's order, one type
/// class at a time, so SORT passes rows through and LIMIT stops the scan
/// after n rows instead of sorting the whole collection. Pure: SQL text
/// only, run by query_run (engine/aql/ordered_scan.cpp).

#include <optional>
#include <string>
#include <vector>

#include "engine/aql/pushdown.hpp"
#include "engine/index_background.hpp"
#include "engine/index_def.hpp"

namespace themis::aql {

/// An index whose order is the sort key's order.
struct order_index {
  std::string name;         ///< as EXPLAIN names it ("primary" for _key)
  std::string sqlite_index; ///< the b-tree: "docidx:…" or "docbg:…:v"
  std::string side_table;   ///< a background index's table, else ""
  bool primary = false;     ///< SORT v._key: the primary key's order
};

/// A non-sparse persistent index (foreground first, then ready background
/// ones) whose first field is the sort path. None when a pushed condition
/// looks up a key or reads another indexed path: SQLite's planner then
/// does better reading that index and sorting what it finds.
std::optional<order_index>
choose_order_index(const sort_order& s,
                   const std::vector<pushed_condition>& conds,
                   const std::vector<engine::doc_index_def>& defs,
                   const std::vector<engine::side_index>& side);

/// One statement of an ordered scan. AQL orders null < false < true <
/// numbers < strings < arrays < objects; SQLite orders NULL < numbers
/// (booleans are stored as 0/1) < text (strings, and arrays/objects as JSON
/// text). So the scan reads one AQL type class after the other, each an
/// index range read in index order (ties in key order, as the executor's
/// stable sort of a key-ordered scan leaves them). AQL compares arrays and
/// objects element by element, not as text: their narrow ranges (text
/// starting with '[' or '{') are read whole and sorted in memory.
struct ordered_segment {
  std::string sql;
  bool in_memory = false;
  /// Descending by value: rows of equal value come in descending key
  /// order (one index direction; SQLite sorts the whole range for a mixed
  /// one over a side table), so each run of ties is reversed.
  bool reverse_ties = false;
  /// Only rows whose value is this boolean (the numbers 0 and 1 share the
  /// range of false and true).
  std::optional<bool> boolean;
};

/// `select` is "SELECT <columns>" over `doc`; `where` the pushed
/// conditions (" AND …" with anonymous parameters, bound in text order);
/// `collection` the stored name (inlined as a literal: a partial index is
/// only usable when the WHERE names its collection as a constant).
std::vector<ordered_segment> ordered_segments(const std::string& select,
                                              const std::string& collection,
                                              const std::string& where,
                                              const sort_order& s,
                                              const order_index& ix);

} // namespace themis::aql
