/// Views in the catalogs (issue 36; catalog_views_view.hpp).

#include "engine/sql/catalog_views_view.hpp"

#include "engine/sql/temp_tables.hpp"

namespace themis::sql::catv {

namespace {

constexpr uint32_t pg_rewrite_oid = 2618;

std::string view_schema(const view_def& v) {
  return is_temp_table(v.name) ? temp_schema_of(v.name) : "public";
}

} // namespace

uint32_t view_rule_oid(const view_def& v) {
  return table_oid(v.name + ":_RETURN");
}

std::vector<std::pair<std::string, table_def>> view_tables(const catalog& cat) {
  std::vector<std::pair<std::string, table_def>> out;
  for (auto& [n, v] : cat.views()) {
    table_def t;
    t.name = v.name;
    t.oid = v.oid;
    t.columns = v.columns;
    out.emplace_back(n, std::move(t));
  }
  return out;
}

void add_view_depends(builder& b, const catalog& cat) {
  for (auto& [n, v] : cat.views()) {
    auto rule = num(view_rule_oid(v));
    b.row({num(pg_rewrite_oid), rule, "0", num(pg_class_oid), num(v.oid), "0",
           "'i'"});
    for (auto& d : v.deps)
      b.row({num(pg_rewrite_oid), rule, "0", num(pg_class_oid),
             num(table_oid(d)), "0", "'n'"});
  }
}

std::optional<view_sql> view_catalog_view(const std::string& schema,
                                          const std::string& name,
                                          const catalog& cat,
                                          const session_info& info) {
  builder v;
  if (schema == "information_schema") {
    if (name != "views")
      return std::nullopt;
    for (auto* c : {"table_catalog", "table_schema", "table_name"})
      v.col(c, oid::name);
    v.col("view_definition", oid::text).col("check_option", oid::text);
    for (auto* c :
         {"is_updatable", "is_insertable_into", "is_trigger_updatable",
          "is_trigger_deletable", "is_trigger_insertable_into"})
      v.col(c, oid::text);
    for (auto& [n, d] : cat.views()) {
      auto yes = view_auto_updatable(d) ? "'YES'" : "'NO'";
      v.row({lit(info.database), lit(view_schema(d)), lit(n),
             lit(shown_definition(d, info) + ";"), "'NONE'", yes, yes, "'NO'",
             "'NO'", "'NO'"});
    }
    return v.build();
  }
  if (name == "pg_views") {
    v.col("schemaname", oid::name)
      .col("viewname", oid::name)
      .col("viewowner", oid::name)
      .col("definition", oid::text);
    for (auto& [n, d] : cat.views())
      v.row({lit(view_schema(d)), lit(n), lit(info.user),
             lit(shown_definition(d, info) + ";")});
    return v.build();
  }
  if (name == "pg_rewrite") {
    v.col("oid", oid::oid_t)
      .col("rulename", oid::name)
      .col("ev_class", oid::oid_t)
      .col("ev_type", oid::char_t)
      .col("ev_enabled", oid::char_t)
      .col("is_instead", oid::boolean)
      .col("ev_qual", oid::text)
      .col("ev_action", oid::text);
    for (auto& [n, d] : cat.views())
      v.row({num(view_rule_oid(d)), "'_RETURN'", num(d.oid), "'1'", "'O'", "1",
             "'<>'", "NULL"});
    return v.build();
  }
  return std::nullopt;
}

} // namespace themis::sql::catv

namespace themis::sql {

const std::string& shown_definition(const view_def& v,
                                    const session_info& info) {
  auto it = info.settings.find("search_path");
  if (it == info.settings.end())
    return v.query;
  // the path's items, unquoted: is public one of them?
  std::string item;
  bool on_path = false;
  for (size_t i = 0; i <= it->second.size(); ++i) {
    char c = i < it->second.size() ? it->second[i] : ',';
    if (c != ',') {
      if (c != ' ' && c != '"' && c != '\t')
        item += c;
      continue;
    }
    on_path = on_path || item == "public";
    item.clear();
  }
  return on_path ? v.query : v.qualified.empty() ? v.query : v.qualified;
}

std::string viewdef_sql(const catalog& cat, const std::string& arg,
                        uint32_t arg_type, const session_info& info) {
  bool by_name = affinity_of(arg_type) == affinity::text;
  std::string out;
  for (auto& [n, v] : cat.views()) {
    auto def = quote_literal(shown_definition(v, info) + ";");
    if (by_name) {
      out += " WHEN " + quote_literal(n) + " THEN " + def;
      out += " WHEN " +
             quote_literal((is_temp_table(v.name) ? temp_schema_of(v.name)
                                                  : std::string("public")) +
                           "." + n) +
             " THEN " + def;
    } else {
      out += " WHEN " + std::to_string(v.oid) + " THEN " + def;
    }
  }
  if (out.empty())
    return "CAST(NULL AS TEXT)";
  // psql passes '<oid>'::oid, a text literal to SQLite
  return "(CASE " + (by_name ? arg : "CAST(" + arg + " AS INTEGER)") + out +
         " END)";
}

} // namespace themis::sql
