#include "engine/sql/translator.hpp"

#include <pg_query.h>
#include <pthread.h>

#include "themis/input_limits.hpp"

#include "engine/sql/translate_internal.hpp"

namespace themis::sql {

using detail::json;

statement translate_tree(const parsed_statement& p, const catalog& cat,
                         const session_info& info,
                         const std::vector<uint32_t>& param_types);

namespace {

/// Statements up to stack/128 bytes (64 KiB on 8 MiB) cannot exhaust a
/// worker's stack inside libpg_query: its deepest recursion (printing a
/// left-deep operator chain) costs ~150 bytes of stack per level and each
/// level needs at least two bytes of SQL ("+1"). Measured: 50,000 terms
/// parse on 8 MiB, 70,000 crash.
size_t inline_parse_bytes() {
  return current_parser_limits().thread_stack_bytes / 128;
}

struct parse_job {
  const char* sql;
  PgQueryParseResult result;
};

void* parse_job_run(void* arg) {
  auto* j = static_cast<parse_job*>(arg);
  // libpg_query frees this thread's memory contexts itself at thread
  // exit (a TSD destructor); pg_query_exit() here would free them twice
  j->result = pg_query_parse(j->sql);
  return nullptr;
}

/// pg_query_parse with a stack that fits the input: longer statements run
/// on a short-lived thread whose stack grows with their size, so no
/// statement below limits.max_sql_bytes can overflow a stack.
PgQueryParseResult parse_with_stack(const std::string& text) {
  if (text.size() <= inline_parse_bytes())
    return pg_query_parse(text.c_str());
  parse_job job{text.c_str(), {}};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, (8u << 20) + 256 * text.size());
  pthread_t t;
  int rc = pthread_create(&t, &attr, parse_job_run, &job);
  pthread_attr_destroy(&attr);
  if (rc != 0)
    throw sql_error("54000", "statement too large to parse here");
  pthread_join(t, nullptr);
  return job.result;
}

} // namespace

std::vector<parsed_statement> parse_sql(std::string_view sql) {
  auto& limits = current_parser_limits();
  if (sql.size() > limits.max_sql_bytes)
    throw sql_error("54000", "statement of " + std::to_string(sql.size()) +
                               " bytes exceeds limits.max_sql_bytes (" +
                               std::to_string(limits.max_sql_bytes) + ")");
  std::string text(sql);
  auto r = parse_with_stack(text);
  struct guard {
    PgQueryParseResult& r;
    ~guard() { pg_query_free_parse_result(r); }
  } g{r};
  if (r.error) {
    std::string msg = r.error->message ? r.error->message : "syntax error";
    throw sql_error("42601", msg, r.error->cursorpos);
  }
  // Every walk over the tree (nlohmann's copy, the translator) recurses
  // as deep as it nests: refuse too-complex statements first, as
  // PostgreSQL's check_stack_depth() does.
  if (json_depth(r.parse_tree, limits.max_sql_depth) > limits.max_sql_depth)
    throw sql_error("54001", "statement too complex (nested deeper than "
                             "limits.max_sql_depth " +
                               std::to_string(limits.max_sql_depth) + ")");
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
  tr.stmt_text = &p.text; // CREATE VIEW keeps its query (issue 36)
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
    if (tr.sequence_writes) { // nextval/setval (issue 36): on the writer
      st.writes = true;
      st.uses_sequences = true;
    }
  } else if (type == "InsertStmt") {
    st = tr.tr_insert(tr.view_dml(node)); // a view's base table (issue 36)
  } else if (type == "UpdateStmt") {
    st = tr.tr_update(tr.view_dml(node));
  } else if (type == "DeleteStmt") {
    st = tr.tr_delete(tr.view_dml(node));
  } else if (type == "CreateStmt") {
    st = tr.tr_create(node);
  } else if (type == "CreateTableAsStmt") {
    st = tr.tr_create_as(node);
  } else {
    st = tr.tr_utility(type, node);
    if (type == "RenameStmt") // views follow a rename (issue 36)
      tr.renames_into_views(st, node);
  }
  st.params = tr.params;
  st.set_configs = tr.set_configs;
  for (auto& t : st.params)
    if (!t)
      t = oid::text; // what PostgreSQL would call unknown: sent as text
  return st;
}

} // namespace themis::sql
