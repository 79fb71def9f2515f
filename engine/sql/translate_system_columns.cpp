/// System columns (issue 36): pg_dump reads `x.tableoid, x.oid` of every
/// catalog it scans, psql and ORMs sometimes `xmin` or `ctid`. Rows here
/// have no heap tuple, so each reads as a constant: tableoid the
/// relation's oid (catalog views: PostgreSQL's own catalog oids), the
/// transaction ids 0, ctid `(0,0)`.

#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

/// The relation oid behind a FROM item (0: a subquery or function).
uint32_t item_relation(const scope_item& it) {
  return it.table ? it.table->oid : it.rel_oid;
}

} // namespace

std::optional<expr> system_column(const std::string& qual,
                                  const std::string& col, const scope& sc,
                                  int location) {
  static const std::pair<const char*, uint32_t> names[] = {
    {"tableoid", oid::oid_t}, {"xmin", oid::oid_t}, {"xmax", oid::oid_t},
    {"cmin", oid::oid_t},     {"cmax", oid::oid_t}, {"ctid", oid::text}};
  uint32_t type = 0;
  for (auto& [n, t] : names)
    if (col == n)
      type = t;
  if (!type)
    return std::nullopt;
  for (const scope* s = &sc; s; s = s->parent) {
    const scope_item* hit = nullptr;
    for (auto& it : s->items) {
      if (!qual.empty() && it.alias != qual)
        continue;
      if (!item_relation(it))
        continue;
      // unqualified with two relations in FROM: ambiguous, as PostgreSQL
      if (hit)
        throw sql_error(
          "42702", "column reference \"" + col + "\" is ambiguous", location);
      hit = &it;
    }
    if (!hit)
      continue;
    if (col == "tableoid")
      return expr{std::to_string(item_relation(*hit)), type};
    if (col == "ctid")
      return expr{"'(0,0)'", type};
    return expr{"0", type};
  }
  return std::nullopt;
}

} // namespace themis::sql::detail
