#include "engine/sql/translator.hpp"

#include <pg_query.h>

#include "engine/sql/translate_internal.hpp"

namespace themis::sql {

using detail::json;

statement translate_tree(const parsed_statement& p, const catalog& cat,
                         const session_info& info,
                         const std::vector<uint32_t>& param_types);

std::vector<parsed_statement> parse_sql(std::string_view sql) {
  std::string text(sql);
  auto r = pg_query_parse(text.c_str());
  struct guard {
    PgQueryParseResult& r;
    ~guard() { pg_query_free_parse_result(r); }
  } g{r};
  if (r.error) {
    std::string msg = r.error->message ? r.error->message : "syntax error";
    throw sql_error("42601", msg, r.error->cursorpos);
  }
  auto tree = json::parse(r.parse_tree, nullptr, false);
  auto source = std::make_shared<const std::string>(text);
  std::vector<parsed_statement> out;
  if (tree.is_discarded())
    throw sql_error("XX000", "could not read the parse tree");
  for (auto& s : tree.value("stmts", json::array())) {
    parsed_statement p;
    size_t loc = s.value("stmt_location", 0);
    size_t len = s.value("stmt_len", 0);
    if (loc > text.size())
      loc = text.size();
    p.text = len ? text.substr(loc, len) : text.substr(loc);
    if (!s.contains("stmt"))
      continue; // an empty statement between semicolons
    p.tree = std::make_shared<json>(s.at("stmt"));
    p.source = source;
    out.push_back(std::move(p));
  }
  return out;
}

statement translate(const parsed_statement& p, const catalog& cat,
                    const session_info& info,
                    const std::vector<uint32_t>& param_types) {
  try {
    return translate_tree(p, cat, info, param_types);
  } catch (const json::exception& e) {
    // a parse-tree shape the translator does not know: refuse, never crash
    throw sql_error("0A000", std::string("unsupported statement form (") +
                               e.what() + ")");
  }
}

statement translate_tree(const parsed_statement& p, const catalog& cat,
                         const session_info& info,
                         const std::vector<uint32_t>& param_types) {
  auto& node = *static_cast<const json*>(p.tree.get());
  detail::translator tr(cat, info, param_types);
  tr.source = p.source.get();
  auto& type = detail::node_type(node);
  statement st;
  if (type == "SelectStmt") {
    auto out = tr.tr_select(node, nullptr);
    st.kind = stmt_kind::select;
    st.sql = out.sql;
    st.columns = out.cols;
    st.tag = "SELECT";
    st.returns_rows = true;
    st.locking = tr.locking;
  } else if (type == "InsertStmt") {
    st = tr.tr_insert(node);
  } else if (type == "UpdateStmt") {
    st = tr.tr_update(node);
  } else if (type == "DeleteStmt") {
    st = tr.tr_delete(node);
  } else if (type == "CreateStmt") {
    st = tr.tr_create(node);
  } else {
    st = tr.tr_utility(type, node);
  }
  st.params = tr.params;
  st.set_configs = tr.set_configs;
  for (auto& t : st.params)
    if (!t)
      t = oid::text; // what PostgreSQL would call unknown: sent as text
  return st;
}

} // namespace themis::sql
