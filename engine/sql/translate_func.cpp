#include <unordered_map>

#include "engine/sql/catalog_functions.hpp"
#include "engine/sql/catalog_views_view.hpp"
#include "engine/sql/session_functions.hpp"
#include "engine/sql/temp_tables.hpp"
#include "engine/sql/translate_internal.hpp"
#include "engine/sql/udf_internal.hpp"

namespace themis::sql::detail {

namespace {

struct fn_map {
  const char* sqlite;
  uint32_t type; ///< 0: the first argument's type
  bool aggregate;
};

const std::unordered_map<std::string, fn_map>& functions() {
  static const std::unordered_map<std::string, fn_map> m = {
    {"lower", {"lower", oid::text, false}},
    {"upper", {"upper", oid::text, false}},
    {"length", {"length", oid::int4, false}},
    {"char_length", {"length", oid::int4, false}},
    {"character_length", {"length", oid::int4, false}},
    {"octet_length", {"themis_octet_length", oid::int4, false}},
    {"abs", {"abs", 0, false}},
    {"round", {"themis_round", oid::numeric, false}},
    {"trunc", {"themis_trunc", oid::numeric, false}},
    {"ceil", {"themis_ceil", oid::numeric, false}},
    {"ceiling", {"themis_ceil", oid::numeric, false}},
    {"floor", {"themis_floor", oid::numeric, false}},
    {"sqrt", {"themis_sqrt", oid::float8, false}},
    {"power", {"themis_power", oid::float8, false}},
    {"mod", {"themis_mod", 0, false}},
    {"replace", {"replace", oid::text, false}},
    {"substr", {"substr", oid::text, false}},
    {"substring", {"substr", oid::text, false}},
    {"btrim", {"trim", oid::text, false}},
    {"ltrim", {"ltrim", oid::text, false}},
    {"rtrim", {"rtrim", oid::text, false}},
    {"strpos", {"instr", oid::int4, false}},
    {"left", {"themis_left", oid::text, false}},
    {"right", {"themis_right", oid::text, false}},
    {"repeat", {"themis_repeat", oid::text, false}},
    {"md5", {"themis_md5", oid::text, false}},
    {"random", {"themis_random", oid::float8, false}},
    {"gen_random_uuid", {"themis_uuid", oid::uuid, false}},
    {"now", {"themis_now", oid::timestamptz, false}},
    {"transaction_timestamp", {"themis_now", oid::timestamptz, false}},
    {"statement_timestamp", {"themis_now", oid::timestamptz, false}},
    {"clock_timestamp", {"themis_now", oid::timestamptz, false}},
    {"json_build_object", {"json_object", oid::json, false}},
    {"jsonb_build_object", {"json_object", oid::jsonb, false}},
    {"json_build_array", {"json_array", oid::json, false}},
    {"jsonb_build_array", {"json_array", oid::jsonb, false}},
    {"json_typeof", {"themis_json_typeof", oid::text, false}},
    {"jsonb_typeof", {"themis_json_typeof", oid::text, false}},
    {"json_array_length", {"json_array_length", oid::int4, false}},
    {"jsonb_array_length", {"json_array_length", oid::int4, false}},
    {"to_json", {"themis_to_json", oid::json, false}},
    {"to_jsonb", {"themis_to_json", oid::jsonb, false}},
    {"count", {"count", oid::int8, true}},
    {"sum", {"sum", 0, true}},
    {"avg", {"avg", oid::float8, true}}, // numeric: translate_numeric.cpp
    {"min", {"min", 0, true}},
    {"max", {"max", 0, true}},
    {"string_agg", {"group_concat", oid::text, true}},
    // asyncpg's copy_from_query inlines arguments with quote_literal
    {"quote_literal", {"themis_quote_literal", oid::text, false}},
    {"quote_nullable", {"themis_quote_nullable", oid::text, false}},
    {"bool_and", {"min", oid::boolean, true}},
    {"bool_or", {"max", oid::boolean, true}},
    {"every", {"min", oid::boolean, true}},
    {"json_agg", {"json_group_array", oid::json, true}},
    {"jsonb_agg", {"json_group_array", oid::jsonb, true}},
    {"json_object_agg", {"json_group_object", oid::json, true}},
    {"jsonb_object_agg", {"json_group_object", oid::jsonb, true}},
  };
  return m;
}

} // namespace

expr translator::tr_func(const json& n, scope& sc) {
  auto& b = body(n);
  auto names = string_list(b.value("funcname", json::array()));
  std::string name = names.empty() ? "" : names.back();
  if (names.size() == 2 && names[0] == "public") // issue 36: user functions
    return tr_user_func(name, n, sc);
  if (names.size() > 1 && names[0] != "pg_catalog")
    throw sql_error("42883",
                    "function " + names[0] + "." + name + " does not exist",
                    location(n));
  if (b.contains("over"))
    unsupported("window functions", n);
  // array_agg sorts its own input (translate_array_func.cpp)
  if ((b.contains("agg_order") && name != "array_agg") ||
      b.contains("agg_filter") || b.value("agg_within_group", false))
    unsupported("ordered or filtered aggregates", n);
  if (name == "pg_sleep_for" && b.contains("args") &&
      b.at("args").size() == 1 && node_type(b.at("args")[0]) == "TypeCast") {
    // interval '1 second' / '1s'::interval: no interval type yet, the
    // sleep reads the text
    auto& cast = body(b.at("args")[0]);
    auto tn = string_list(cast.at("typeName").value("names", json::array()));
    if (!tn.empty() && tn.back() == "interval")
      return {"themis_pg_sleep(themis_interval_seconds(" +
                tr(cast.at("arg"), sc).sql + "))",
              oid::text};
  }
  if (auto a = tr_array_func(name, n, sc)) // translate_array_func.cpp
    return *a;
  if (auto s = tr_sequence_func(name, n, sc)) // translate_sequence.cpp
    return *s;
  if (auto v = tr_vector_func(name, n, sc)) // translate_vector.cpp (issue 32)
    return *v;
  std::vector<expr> args;
  if (b.contains("args"))
    for (auto& a : b.at("args"))
      args.push_back(tr(a, sc));
  auto lit = [&](size_t i) -> std::string {
    if (!b.contains("args") || i >= b.at("args").size() ||
        node_type(b.at("args")[i]) != "A_Const" ||
        !body(b.at("args")[i]).contains("sval"))
      unsupported(name + "() with a non-literal argument", n);
    return body(b.at("args")[i]).at("sval").value("sval", "");
  };
  if (auto d = tr_dump_func(name, n, args)) // comments, acldefault (issue 36)
    return *d;
  // session and catalog probes
  if (name == "version")
    return {quote_literal("PostgreSQL " + info.server_version +
                          " on x86_64-pc-linux-gnu, themisd"),
            oid::text};
  if (name == "current_database")
    return {quote_literal(info.database), oid::name};
  if (name == "current_schema")
    return {"'public'", oid::name};
  if (name == "current_schemas")
    return {"'{public}'", oid::text};
  if (name == "current_user" || name == "session_user")
    return {quote_literal(info.user), oid::name};
  if (name == "pg_backend_pid")
    return {std::to_string(info.backend_pid), oid::int4};
  // the session's temp schema once it has a temp table, else 0; other
  // sessions' temp schemas are never shown, so none is "other" (issue 36)
  if (name == "pg_my_temp_schema")
    return {cat.temp_tables().empty()
              ? std::string("0")
              : std::to_string(temp_namespace_oid(
                  temp_schema_of(cat.temp_tables().begin()->second.name))),
            oid::oid_t};
  if (name == "pg_is_other_temp_schema")
    return {"0", oid::boolean};
  if (name == "current_setting") {
    auto key = lit(0);
    auto it = info.settings.find(key);
    if (it == info.settings.end()) {
      if (args.size() > 1 && args[1].sql == "1")
        return {"NULL", oid::text};
      throw sql_error("42704",
                      "unrecognized configuration parameter \"" + key + "\"",
                      location(n));
    }
    return {quote_literal(it->second), oid::text};
  }
  if (name == "set_config") {
    // set_config('name', 'value', is_local): the session applies it after
    // the statement; with a non-literal name (pg_dump's `SELECT
    // set_config(name, …) FROM pg_settings WHERE name = …`) it is refused
    // when a row actually calls it, so a query that selects no row works
    auto& first = b.at("args")[0];
    if (node_type(first) != "A_Const" || !body(first).contains("sval"))
      return {"themis_refuse('0A000', 'set_config() with a non-literal "
              "setting name is not supported', " +
                args[0].sql + ")",
              oid::text};
    auto key = lit(0);
    auto val = lit(1);
    bool local =
      args.size() > 2 &&
      (args[2].sql == "1" || args[2].sql == "true" || args[2].sql == "TRUE");
    set_configs.push_back({key, val, local});
    return {quote_literal(val), oid::text};
  }
  if (name == "pg_get_indexdef" || name == "pg_get_constraintdef") {
    // pg_get_constraintdef(oid, true): psql's pretty form, one pair of
    // parentheses around a CHECK condition (issue 36)
    bool pretty =
      name == "pg_get_constraintdef" && args.size() > 1 &&
      (args[1].sql == "1" || args[1].sql == "true" || args[1].sql == "TRUE");
    // definitions generated from the catalog, looked up by the index oid
    std::string out =
      "CASE " + (args.empty() ? std::string("NULL") : args[0].sql);
    for (auto* tables : {&cat.tables(), &cat.temp_tables()}) // issue 36
      for (auto& [tn, t] : *tables) {
        if (!t.typed)
          continue;
        for (auto& i : t.indexes) {
          std::string cols;
          for (auto c : i.columns)
            cols += (cols.empty() ? "" : ", ") +
                    t.columns[static_cast<size_t>(c)].name;
          std::string def =
            name == "pg_get_indexdef"
              ? std::string("CREATE ") + (i.unique ? "UNIQUE " : "") +
                  "INDEX " + i.name + " ON " + temp_schema_of(t.name) + "." +
                  tn + " USING btree (" + cols + ")"
              : std::string(i.primary ? "PRIMARY KEY" : "UNIQUE") + " (" +
                  cols + ")";
          out += " WHEN " + std::to_string(table_oid(t.name + ":" + i.name)) +
                 " THEN " + quote_literal(def);
        }
        if (name != "pg_get_constraintdef")
          continue;
        for (auto& f : t.foreign_keys) {
          auto* ref =
            f.ref_table == t.name ? &t : cat.find(local_name(f.ref_table));
          if (ref)
            out += " WHEN " + std::to_string(constraint_oid(t, f.name)) +
                   " THEN " +
                   quote_literal(fk_definition(
                     t, f, *ref, path_qualified(local_name(f.ref_table))));
        }
        for (auto& c : t.checks)
          out += " WHEN " + std::to_string(constraint_oid(t, c.name)) +
                 " THEN " +
                 quote_literal(pretty ? "CHECK (" + c.text + ")"
                                      : "CHECK ((" + c.text + "))");
      }
    // no index or constraint at all (an empty database): NULL
    auto whole = out.find(" WHEN ") == std::string::npos ? std::string("NULL")
                                                         : out + " END";
    if (name == "pg_get_indexdef" && args.size() >= 2) {
      // pg_get_indexdef(oid, column, pretty): the column's name, the whole
      // definition for column 0 (peewee's get_indexes; issue 36)
      std::string col = "CASE";
      for (auto* tables : {&cat.tables(), &cat.temp_tables()})
        for (auto& [tn, t] : *tables)
          if (t.typed)
            for (auto& i : t.indexes)
              for (size_t k = 0; k < i.columns.size(); ++k)
                col += " WHEN " + args[0].sql + " = " +
                       std::to_string(table_oid(t.name + ":" + i.name)) +
                       " AND " + args[1].sql + " = " + std::to_string(k + 1) +
                       " THEN " +
                       quote_literal(
                         t.columns[static_cast<size_t>(i.columns[k])].name);
      if (col == "CASE")
        col = "NULL";
      else
        col += " END";
      return {"CASE WHEN " + args[1].sql + " = 0 THEN " + whole + " ELSE " +
                col + " END",
              oid::text};
    }
    return {whole, oid::text};
  }
  if (name == "pg_function_is_visible" || name == "pg_type_is_visible")
    return {"1", oid::boolean};
  if (name == "pg_relation_is_publishable")
    return {"0", oid::boolean};
  if (name == "pg_get_triggerdef" || name == "pg_get_ruledef" ||
      name == "pg_get_partkeydef" ||
      name == "pg_get_statisticsobjdef_columns" ||
      name == "pg_get_partition_constraintdef")
    return {"NULL", oid::text};
  // sizes psql's \l+ \di+ \dt+ show: not tracked per relation, 0 as
  // pg_relation_size gives (issue 36)
  // no partitioning: a relation's only ancestor is itself (psql's
  // "Referenced by" reads confrelid IN (SELECT pg_partition_ancestors(…)))
  if (name == "pg_partition_ancestors" && args.size() == 1)
    return {args[0].sql, oid::regclass};
  if (name == "pg_get_function_sqlbody")
    return {"NULL", oid::text};
  if (name == "pg_table_size" || name == "pg_indexes_size" ||
      name == "pg_database_size")
    return {"0", oid::int8};
  if (name == "pg_get_serial_sequence" && args.size() == 2) {
    auto [sql, type] = serial_sequence_sql(cat, args[0].sql, args[1].sql);
    return {sql, type};
  }
  if (name == "pg_table_is_visible" && !args.empty()) {
    // a permanent table a temp table of the same name shadows is not
    // visible (pg_temp comes first in the search path; issue 36)
    std::string hidden;
    for (auto& [tn, t] : cat.temp_tables())
      if (auto p = cat.find_permanent(tn))
        hidden += (hidden.empty() ? "" : ", ") + std::to_string(p->oid);
    if (!hidden.empty())
      return {"(" + args[0].sql + " NOT IN (" + hidden + "))", oid::boolean};
  }
  if (name == "pg_table_is_visible" || name == "has_table_privilege" ||
      name == "has_schema_privilege" || name == "has_database_privilege")
    return {"1", oid::boolean};
  if (name == "pg_get_userbyid")
    return {quote_literal(info.user), oid::name};
  if (name == "pg_get_viewdef" && !args.empty()) // issue 36 (views)
    return {viewdef_sql(cat, args[0].sql, args[0].type, info), oid::text};
  if (auto u = udf_catalog_call(cat, name, args)) // user functions (issue 36)
    return *u;
  if (name == "obj_description" || name == "col_description" ||
      name == "shobj_description" || name == "pg_get_expr" ||
      name == "format_type" || name == "pg_encoding_to_char" ||
      name == "array_to_string" || name == "pg_size_pretty" ||
      name == "pg_get_function_result" || name == "pg_get_function_arguments" ||
      name == "pg_relation_size" || name == "pg_total_relation_size" ||
      name == "pg_get_viewdef")
    return {"themis_" + name + "(" +
              [&] {
                std::string s;
                for (auto& a : args)
                  s += (s.empty() ? "" : ", ") + a.sql;
                return s;
              }() +
              ")",
            name == "pg_relation_size" || name == "pg_total_relation_size"
              ? oid::int8
              : oid::text};
  if (name == "concat") {
    std::string s;
    for (auto& a : args)
      s += (s.empty() ? "" : " || ") +
           ("COALESCE(CAST(" + a.sql + " AS TEXT), '')");
    return {s.empty() ? "''" : "(" + s + ")", oid::text};
  }
  if (name == "position" && args.size() == 2) // the parser gives (b, a)
    return {"instr(" + args[0].sql + ", " + args[1].sql + ")", oid::int4};
  if (name == "nullif" && args.size() == 2)
    return {"NULLIF(" + args[0].sql + ", " + args[1].sql + ")", args[0].type};
  if (name == "date_part" || name == "extract" || name == "date_trunc" ||
      name == "to_char" || name == "to_timestamp" || name == "age")
    unsupported("the date/time function " + name + "()", n);
  if (name == "pg_sleep") { // sql_functions_srf.cpp: cancellable
    if (args.size() != 1)
      throw sql_error("42883", "function pg_sleep() takes 1 argument",
                      location(n));
    return {"themis_pg_sleep(CAST(" + args[0].sql + " AS REAL))", oid::text};
  }
  if (name == "pg_sleep_for") { // an interval's text form
    if (args.size() != 1)
      throw sql_error("42883", "function pg_sleep_for() takes 1 argument",
                      location(n));
    return {"themis_pg_sleep(themis_interval_seconds(" + args[0].sql + "))",
            oid::text};
  }
  if (name == "generate_series" || name == "unnest")
    unsupported("the set-returning function " + name +
                  "() other than as a whole select-list item or in FROM",
                n);
  if (is_session_function(name)) { // issue 36: session_functions.cpp
    std::vector<std::string> a;
    for (auto& x : args)
      a.push_back(x.sql);
    auto f = session_function(name, a);
    return {f->first, f->second};
  }
  if (auto x = tr_numeric_func(name, n, args, sc)) // issue 36
    return *x;
  auto& fm = functions();
  auto it = fm.find(name);
  if (it == fm.end()) // a user function, or 42883 (translate_udf_call.cpp)
    return tr_user_func(name, n, sc);
  auto& f = it->second;
  if (f.aggregate && !sc.aggregates_allowed)
    throw sql_error("42803",
                    "aggregate functions are not allowed in this context",
                    location(n));
  std::string out = f.sqlite;
  out += "(";
  if (b.value("agg_star", false))
    out += "*";
  else {
    if (b.value("agg_distinct", false))
      out += "DISTINCT ";
    for (size_t i = 0; i < args.size(); ++i)
      out += (i ? ", " : "") + args[i].sql;
  }
  out += ")";
  uint32_t t = f.type;
  if (!t)
    t = args.empty() ? oid::text : args[0].type;
  if (name == "sum" && (t == oid::int2 || t == oid::int4))
    t = oid::int8;
  else if (name == "sum" && t == oid::int8)
    t = oid::numeric;
  if (name == "count" || name == "sum" || name == "string_agg" ||
      name == "json_agg" || name == "jsonb_agg")
    return {out, t};
  return {out, t};
}

} // namespace themis::sql::detail
