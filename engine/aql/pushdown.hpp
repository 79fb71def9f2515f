#pragma once
/// FILTER push-down: conditions on the documents of a `FOR v IN coll` that
/// SQLite can check (with its JSON functions) while scanning, so fewer
/// documents are parsed and evaluated.
///
/// The SQL condition is a *superset* of the AQL one: it never drops a
/// document the FILTER would keep; the FILTER still runs on every row the
/// scan returns. That lets the translation stay simple and exact where it
/// matters (same-type comparisons) and say "maybe" (1) everywhere else,
/// e.g. where AQL's cross-type order differs from SQLite's.

#include <optional>
#include <string>
#include <vector>

#include "engine/aql/ast.hpp"
#include "engine/index_background.hpp"

namespace themis::aql {

/// One pushable conjunct: `path(v) op value` where `value` does not depend
/// on `v` (it may use outer loop variables: a join key).
struct pushed_condition {
  op_code op = op_code::eq;
  std::string json_path; ///< "$.a.b" or empty for `_key`
  bool is_key = false;   ///< v._key: the primary key column
  const expr* value = nullptr;
};

/// `FOR v IN coll [FILTER|LET]* SORT v.a.b [DESC] LIMIT …` at the start of
/// a query level: a persistent index on `a.b` can hand the scan its rows
/// in AQL's order, so SORT passes them through and LIMIT stops the scan
/// (engine/aql/sort_pushdown.hpp, docs/indexes.md).
struct sort_order {
  size_t clause = 0;              ///< the SORT clause
  std::string json_path;          ///< "$.a.b" ("$._key": the primary key)
  std::vector<std::string> steps; ///< "a", "b"
  bool descending = false;
};

struct pushdown_plan {
  std::vector<pushed_condition> conditions; ///< ANDed
  std::optional<sort_order> sort;
  /// Projection: when the rest of the query only reads top-level
  /// attributes of the loop variable (`d.v`, `d.g.x`), the scan selects just
  /// those (`doc -> '$.v'`) and the variable holds an object of them;
  /// parsing a few small JSON values is much cheaper than the document.
  bool whole = true;
  std::vector<std::string> attributes;
};

/// Picks the pushable conjuncts of the FILTERs that directly follow a FOR
/// over a collection (clauses [first, …) of `q`) for loop variable `slot`,
/// and the attributes the rest of the query reads from it.
pushdown_plan plan_pushdown(const query& q, size_t first, int slot);

/// The SORT of `q` that the collection loop at clause `for_clause` (loop
/// variable `slot`) could serve in index order, if the query has that
/// shape: only LET/FILTER before the loop (it runs once) and between it
/// and the SORT, one sort key that is an attribute path of the variable,
/// and a LIMIT right after the SORT.
std::optional<sort_order> plan_sort(const query& q, size_t for_clause,
                                    int slot);

/// SQL for one condition given the runtime value; appends bound values to
/// `params`. Returns "" when the value's type gives no useful test.
std::string condition_sql(const pushed_condition& c, const json& value,
                          std::vector<json>& params);

/// All conditions of a scan ANDed (" AND …" each), `values[i]` the runtime
/// value of `conds[i]` (null pointer: leave that condition to the FILTER).
/// Range conditions come out index-friendly (issue 22, docs/indexes.md):
/// `json_extract(doc,'$.p') > ?`, the expression a persistent index on "p"
/// holds, wherever that is still a superset of the AQL condition: a
/// numeric lower bound always; another bound only when the same path has
/// both a lower and an upper bound (which excludes null, booleans and the
/// cross-type orders where SQLite and AQL differ). Otherwise the
/// type-guarded form of condition_sql.
///
/// `side`: the collection's ready background indexes. A condition on the
/// first field of one whose SQL reads nothing but that value (`= ?`,
/// `IN (…)`, an index-friendly range) is asked of its side table instead:
/// `key IN (SELECT key FROM "docbg:…" WHERE v0 = ? AND …)`, one subquery
/// per side table with all of its conditions. A multi-field sparse one is
/// skipped (a document lacking another field is not in it).
std::string conditions_sql(const std::vector<pushed_condition>& conds,
                           const std::vector<const json*>& values,
                           std::vector<json>& params,
                           const std::vector<engine::side_index>& side = {});

} // namespace themis::aql
