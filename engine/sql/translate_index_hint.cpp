/// translator::index_hints (issue 22, docs/indexes.md "SQL"): a REST
/// collection's rows are `documents` rows, its persistent indexes SQLite
/// expression indexes over json_extract(doc,'$.k') (foreground) or side
/// tables (built in the background). PostgreSQL's `doc ->> 'k' = 'x'`
/// translates to SQLite's `->>`, which no index holds; for a text literal
/// that cannot be the text of a number, boolean, array or object, it holds
/// exactly when the JSON value is the string 'x', so the WHERE also gets
/// the index's own expression (or the side table's key lookup).

#include <cstdlib>

#include "engine/index_def.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

/// `doc ->> 'x'` of a number (CAST to text), true/false (1/0), an array or
/// an object (JSON text) never equals `lit`.
bool plain_text(const std::string& lit) {
  if (lit.empty())
    return true;
  if (lit[0] == '[' || lit[0] == '{')
    return false;
  char* end = nullptr;
  std::strtod(lit.c_str(), &end); // also "Inf", "NaN", " 5", hex
  return !(end && end != lit.c_str());
}

const json* string_const(const json& n) {
  if (node_type(n) != "A_Const" || !body(n).contains("sval"))
    return nullptr;
  return &body(n).at("sval");
}

void conjuncts(const json& n, std::vector<const json*>& out) {
  auto& b = body(n);
  if (node_type(n) == "BoolExpr" && b.value("boolop", "") == "AND_EXPR" &&
      b.contains("args")) {
    for (auto& a : b.at("args")) // pointers into the tree, not a copy
      conjuncts(a, out);
    return;
  }
  out.push_back(&n);
}

} // namespace

std::string translator::index_hints(const json& where, scope& sc) {
  std::vector<const json*> parts;
  conjuncts(where, parts);
  std::string out;
  for (auto* p : parts) {
    if (node_type(*p) != "A_Expr")
      continue;
    auto& b = body(*p);
    if (b.value("kind", "") != "AEXPR_OP" || !b.contains("lexpr") ||
        !b.contains("rexpr") ||
        string_list(b.at("name")) != std::vector<std::string>{"="})
      continue;
    const json* arrow = &b.at("lexpr");
    const json* lit = string_const(b.at("rexpr"));
    if (!lit) {
      arrow = &b.at("rexpr");
      lit = string_const(b.at("lexpr"));
    }
    if (!lit || node_type(*arrow) != "A_Expr")
      continue;
    auto& a = body(*arrow);
    if (!a.contains("lexpr") || !a.contains("rexpr") ||
        string_list(a.at("name")) != std::vector<std::string>{"->>"} ||
        node_type(a.at("lexpr")) != "ColumnRef")
      continue;
    auto* key = string_const(a.at("rexpr"));
    if (!key)
      continue;
    auto text = lit->value("sval", "");
    auto path = engine::field_json_path(key->value("sval", ""));
    if (path.empty() || !plain_text(text))
      continue;
    // the column: `doc` of a REST collection
    std::vector<std::string> names;
    for (auto& f : body(a.at("lexpr")).value("fields", json::array()))
      names.push_back(f.contains("A_Star") ? "*" : sval(f));
    if (names.empty() || names.back() != "doc" || names.size() > 2)
      continue;
    auto qual = names.size() == 2 ? names[0] : "";
    const scope_item* item = nullptr;
    int hits = 0;
    for (auto& it : sc.items)
      if ((qual.empty() || it.alias == qual) && it.table)
        for (auto& c : it.cols)
          if (c.name == "doc")
            item = &it, ++hits;
    if (hits != 1 || item->table->typed || !item->col_sql.empty())
      continue;
    auto& t = *item->table;
    auto doc = item->doc_row.empty()
                 ? quote_ident(item->alias) + "." + quote_ident("doc")
                 : item->doc_row;
    auto doc_key = item->doc_row.empty()
                     ? quote_ident(item->alias) + "." + quote_ident("_key")
                     : column_expr(t, t.columns[0], item->doc_row);
    for (auto& ix : t.doc_indexes) {
      if (ix.json_path != path)
        continue;
      if (ix.side_table.empty()) {
        out += " AND json_extract(" + doc + ",'" + path +
               "') = " + quote_literal(text);
        break;
      }
      if (!ix.sparse || ix.fields == 1) {
        out += " AND " + doc_key + " IN (SELECT key FROM " +
               quote_ident(ix.side_table) +
               " WHERE v0 = " + quote_literal(text) + ")";
        break;
      }
    }
  }
  return out;
}

} // namespace themis::sql::detail
