/// CREATE [TEMP] TABLE name [(columns)] [ON COMMIT …] AS query [WITH [NO]
/// DATA] (issue 36: drivers' tests and applications create temp tables
/// this way). The table's columns are the query's, named and typed as its
/// result columns; its rows are inserted by the same store write that
/// creates it, as `INSERT INTO name query` would insert them.

#include "engine/sql/temp_tables.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

statement translator::tr_create_as(const json& n) {
  auto& b = body(n);
  if (b.value("objtype", "OBJECT_TABLE") != "OBJECT_TABLE")
    unsupported("CREATE MATERIALIZED VIEW", n);
  auto& into = b.at("into");
  auto& rv = into.at("rel");
  auto name = rv.value("relname", "");
  auto schema = rv.value("schemaname", "");
  bool temp = rv.value("relpersistence", "p") == "t" ||
              is_own_temp_schema(schema, info.temp_ns);
  if (!schema.empty() && schema != "public" && !temp)
    throw sql_error("3F000", "schema \"" + schema + "\" does not exist");
  auto on_commit = temp_on_commit(into.value("onCommit", ""), temp, schema,
                                  !info.temp_ns.empty());
  if (name.find('.') != std::string::npos &&
      (temp || !info.ns.empty() || !info.all_namespaces))
    throw sql_error("42602", "invalid table name \"" + name +
                               "\" (letters, digits, _ and -)");
  auto sub = tr_select(b.at("query"), nullptr);
  std::vector<std::string> names;
  if (into.contains("colNames"))
    names = string_list(into.at("colNames"));
  if (names.size() > sub.cols.size())
    throw sql_error("42601", "too many column names were specified");

  statement st;
  st.kind = stmt_kind::create_table;
  st.tag = "SELECT"; // PostgreSQL's tag: SELECT <rows>
  st.table = (temp ? info.temp_ns : info.ns) + name;
  st.temp_ns = info.temp_ns; // only it makes a temp table
  st.writes = true;
  st.if_not_exists = b.value("if_not_exists", false);
  table_def& t = st.def;
  t.name = st.table;
  t.oid = table_oid(st.table);
  t.on_commit = on_commit;
  for (size_t i = 0; i < sub.cols.size(); ++i) {
    column_def c;
    c.name = i < names.size() ? names[i] : sub.cols[i].name;
    c.type_oid = sub.cols[i].type_oid ? sub.cols[i].type_oid : oid::text;
    if (t.find(c.name) >= 0)
      throw sql_error("42701",
                      "column \"" + c.name + "\" specified more than once");
    t.columns.push_back(std::move(c));
  }
  if (into.value("skipData", false))
    return st; // WITH NO DATA

  // the rows: INSERT INTO the new table the query's rows, translated
  // against a catalog that already has it (the qualified name keeps a
  // temp table and a permanent one of the same name apart)
  catalog with = cat;
  with.put(t);
  json rel = rv;
  rel["schemaname"] = temp ? "pg_temp" : "public";
  json ins = {
    {"InsertStmt", {{"relation", rel}, {"selectStmt", b.at("query")}}}};
  translator tr(with, info, params);
  tr.source = source;
  auto ist = tr.tr_insert(ins);
  params = tr.params; // (set_config calls: already seen by tr_select)
  st.sql = ist.sql;
  st.hidden_columns = ist.hidden_columns;
  st.uses_sequences = ist.uses_sequences;
  return st;
}

} // namespace themis::sql::detail
