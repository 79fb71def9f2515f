/// WITH RECURSIVE (issue 36): asyncpg's type introspection walks array,
/// domain and composite types with it, so every asyncpg statement with an
/// array parameter or column sends one. SQLite runs recursive CTEs itself;
/// the translation keeps PostgreSQL's shape: the anchor, UNION [ALL], and
/// the recursive arm, which must name the CTE directly in its FROM (SQLite
/// refuses the reference inside a subquery, so the arms are not wrapped as
/// ordinary set operations are).
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

select_out translator::tr_recursive_cte(const json& cte, scope* parent) {
  auto& q = body(cte.at("ctequery"));
  auto name = cte.value("ctename", "");
  auto op = q.value("op", "SETOP_NONE");
  if (op != "SETOP_UNION" || q.contains("withClause") ||
      q.contains("sortClause") || q.contains("limitCount"))
    // not self-referencing in PostgreSQL's sense: an ordinary CTE (a
    // reference to itself would then fail as an unknown relation, 42P01)
    return tr_select(cte.at("ctequery"), parent);
  auto saved = ctes;
  auto anchor = tr_select(q.at("larg"), parent);
  if (cte.contains("aliascolnames")) {
    auto names = string_list(cte.at("aliascolnames"));
    if (names.size() != anchor.cols.size())
      throw sql_error("42P10", "WITH query \"" + name + "\" has " +
                                 std::to_string(anchor.cols.size()) +
                                 " columns available but " +
                                 std::to_string(names.size()) +
                                 " columns specified");
    for (size_t i = 0; i < names.size(); ++i)
      anchor.cols[i].name = names[i];
  }
  // the recursive arm sees the CTE with the anchor's columns and types
  ctes.emplace_back(name, anchor.cols);
  auto rec = tr_select(q.at("rarg"), parent);
  ctes = saved;
  if (rec.cols.size() != anchor.cols.size())
    throw sql_error("42601",
                    "each UNION query must have the same number of columns");
  bool all = q.value("all", false);
  return {anchor.sql + (all ? " UNION ALL " : " UNION ") + rec.sql,
          anchor.cols};
}

} // namespace themis::sql::detail
