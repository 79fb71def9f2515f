/// LATERAL (subquery) in FROM (issue 36). SQLite has no correlated
/// subqueries in FROM: the subquery becomes a statement of its own, run
/// by the table-valued function themis_lateral (sql_lateral_vtab.cpp) once
/// per row of the FROM items before it. Its references to those items and
/// the statement's own parameters ($n) become bind parameters ?1, ?2 …,
/// whose values the call passes as arguments.

#include <cctype>
#include <map>
#include <memory>

#include "engine/sql/sql_lateral_vtab.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

/// A column of an outer FROM item as the subquery sees it: a marker the
/// translator copies through unchanged ("\x01<k>.\x01"; the `.` makes
/// tr_column_ref take it whole), replaced by a parameter afterwards.
std::string marker(size_t k) {
  return "\x01" + std::to_string(k) + ".\x01";
}

/// The SQL tr_column_ref gives for column `i` of `it`.
std::string outer_column_sql(const scope_item& it, size_t i) {
  auto& c = it.cols[i];
  if (!it.doc_row.empty() && it.table)
    return column_expr(
      *it.table, it.table->columns[static_cast<size_t>(it.table->find(c.name))],
      it.doc_row);
  if (it.alias.empty())
    return quote_ident(c.name);
  auto name = it.col_sql.empty() ? c.name : it.col_sql[i];
  if (name.find('.') != std::string::npos)
    return name;
  return quote_ident(it.alias) + "." + quote_ident(name);
}

/// Whether `n` (a parse tree) reads a relation named like one of `ctes`.
bool names_cte(
  const json& n,
  const std::vector<std::pair<std::string, std::vector<column>>>& ctes) {
  if (n.is_object()) {
    if (n.contains("RangeVar")) {
      auto& rv = n.at("RangeVar");
      if (rv.value("schemaname", "").empty())
        for (auto& [name, cols] : ctes)
          if (name == rv.value("relname", ""))
            return true;
    }
    for (auto& [k, v] : n.items())
      if (names_cte(v, ctes))
        return true;
  } else if (n.is_array()) {
    for (auto& v : n)
      if (names_cte(v, ctes))
        return true;
  }
  return false;
}

} // namespace

std::string translator::lateral_from(const json& node, scope& sc) {
  auto& b = body(node);
  // the statement's CTEs are not visible to a statement of its own
  if (!ctes.empty() && names_cte(b.at("subquery"), ctes))
    unsupported("a WITH query named inside LATERAL (subquery)", node);
  // copies of the enclosing scopes whose columns are markers
  std::vector<std::string> outer;
  std::vector<std::unique_ptr<scope>> copies;
  for (scope* s = &sc; s; s = s->parent) {
    auto copy = std::make_unique<scope>();
    copy->aggregates_allowed = s->aggregates_allowed;
    for (auto& it : s->items) {
      scope_item m{it.alias, it.cols, nullptr, "", {}};
      for (size_t i = 0; i < it.cols.size(); ++i) {
        m.col_sql.push_back(marker(outer.size()));
        outer.push_back(outer_column_sql(it, i));
      }
      copy->items.push_back(std::move(m));
    }
    if (!copies.empty())
      copies.back()->parent = copy.get();
    copies.push_back(std::move(copy));
  }
  auto saved = ctes;
  ctes.clear();
  select_out sub;
  try {
    sub = tr_select(b.at("subquery"), copies.front().get());
  } catch (...) {
    ctes = saved;
    throw;
  }
  ctes = saved;
  // markers and ?n renumbered ?1, ?2 … in order, outside quoted text
  std::string inner, args;
  std::map<std::string, int> slot;
  auto use = [&](const std::string& key, const std::string& value) {
    auto [pos, fresh] =
      slot.try_emplace(key, static_cast<int>(slot.size()) + 1);
    if (fresh)
      args += ", " + value;
    inner += "?" + std::to_string(pos->second);
  };
  auto& s = sub.sql;
  for (size_t i = 0; i < s.size();) {
    char ch = s[i];
    if (ch == '\'' || ch == '"') {
      auto end = s.find(ch, i + 1);
      end = end == std::string::npos ? s.size() : end + 1;
      inner.append(s, i, end - i);
      i = end;
    } else if (ch == '?' && i + 1 < s.size() &&
               std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      size_t j = i + 1;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])))
        ++j;
      auto key = s.substr(i, j - i);
      use(key, key);
      i = j;
    } else if (ch == '\x01') {
      auto end = s.find('\x01', i + 1);
      if (end == std::string::npos)
        throw sql_error("XX000", "malformed LATERAL translation");
      auto k = std::stoul(s.substr(i + 1, end - i - 1));
      use(s.substr(i, end + 1 - i), outer.at(k));
      i = end + 1;
    } else {
      inner += ch;
      ++i;
    }
  }
  if (static_cast<int>(slot.size()) > lateral_max_arguments)
    unsupported("LATERAL (subquery) naming more than " +
                  std::to_string(lateral_max_arguments) +
                  " outer columns and parameters",
                node);
  if (static_cast<int>(sub.cols.size()) > lateral_max_columns)
    unsupported("LATERAL (subquery) of more than " +
                  std::to_string(lateral_max_columns) + " columns",
                node);
  std::string alias =
    b.contains("alias") ? b.at("alias").value("aliasname", "") : "subquery";
  std::vector<std::string> names;
  if (b.contains("alias") && b.at("alias").contains("colnames"))
    names = string_list(b.at("alias").at("colnames"));
  if (names.size() > sub.cols.size())
    throw sql_error(
      "42P10", "table \"" + alias + "\" has " +
                 std::to_string(sub.cols.size()) + " columns available but " +
                 std::to_string(names.size()) + " columns specified");
  scope_item item{alias, sub.cols, nullptr, "", {}};
  for (size_t i = 0; i < item.cols.size(); ++i) {
    if (i < names.size())
      item.cols[i].name = names[i];
    item.col_sql.push_back("c" + std::to_string(i));
  }
  sc.items.push_back(std::move(item));
  return "themis_lateral(" + quote_literal(inner) + args + ") AS " +
         quote_ident(alias);
}

} // namespace themis::sql::detail
