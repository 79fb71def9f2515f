#include "engine/sql/catalog_functions.hpp"
#include "engine/sql/catalog_views.hpp"
#include "engine/sql/temp_tables.hpp"
#include "engine/sql/translate_internal.hpp"
#include "engine/stack_guard.hpp"

namespace themis::sql::detail {

namespace {

/// Two parse trees equal but for their `location` fields.
bool same_tree(const json& a, const json& b) {
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size())
      return false;
    for (auto& [k, v] : a.items())
      if (k != "location" && (!b.contains(k) || !same_tree(v, b.at(k))))
        return false;
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size())
      return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!same_tree(a[i], b[i]))
        return false;
    return true;
  }
  return a == b;
}

} // namespace

const table_def& translator::table_of(const json& rv) {
  auto schema = rv.value("schemaname", "");
  auto name = rv.value("relname", "");
  // pg_temp (or the session's pg_temp_<pid>) names its temp tables only,
  // public the permanent ones only (issue 36)
  bool temp = is_own_temp_schema(schema, info.temp_ns);
  if (!schema.empty() && schema != "public" && !temp)
    throw sql_error("42P01",
                    "relation \"" + schema + "." + name + "\" does not exist",
                    rv.value("location", -1) + 1);
  auto t = temp             ? cat.find_temp(name)
           : schema.empty() ? cat.find(name)
                            : cat.find_permanent(name);
  if (!t)
    throw sql_error("42P01", "relation \"" + name + "\" does not exist",
                    rv.value("location", -1) + 1);
  if (view_deps) // CREATE VIEW records what it reads (issue 36)
    view_deps->push_back(t->name);
  return *t;
}

std::string translator::table_source(const table_def& t) {
  std::string cols;
  for (auto& c : t.columns) {
    if (!cols.empty())
      cols += ", ";
    cols += column_expr(t, c) + " AS " + quote_ident(c.name);
  }
  return "(SELECT " + cols +
         " FROM documents WHERE collection = " + quote_literal(t.name) + ")";
}

std::string translator::tr_from_item(const json& node, scope& sc) {
  if (engine::stack_exhausted()) // a JOIN chain nests one level per table
    throw sql_error("54001", "statement too complex (stack depth)");
  auto& type = node_type(node);
  auto& b = body(node);
  if (type == "RangeVar") {
    auto name = b.value("relname", "");
    auto schema = b.value("schemaname", "");
    std::string alias =
      b.contains("alias") ? b.at("alias").value("aliasname", name) : name;
    if (b.contains("alias") && b.at("alias").contains("colnames"))
      unsupported("column aliases on a table", node);
    if (schema.empty())
      for (auto& [cte, cols] : ctes)
        if (cte == name) {
          sc.items.push_back({alias, cols, nullptr, ""});
          return quote_ident(name) +
                 (alias != name ? " AS " + quote_ident(alias) : "");
        }
    if (schema == "pg_catalog" || schema == "information_schema" ||
        (schema.empty() && is_catalog_view(name))) {
      auto v = catalog_view(schema, name, cat, info);
      if (!v)
        throw sql_error("42P01",
                        "relation \"" + (schema.empty() ? "" : schema + ".") +
                          name + "\" does not exist",
                        location(node));
      sc.items.push_back({alias, v->cols, nullptr, "", {},
                          relation_oid(cat, name).value_or(0)});
      return "(" + v->sql + ") AS " + quote_ident(alias);
    }
    if (auto v = view_from_item(b, alias, sc)) // issue 36 (translate_view.cpp)
      return *v;
    if (auto seq = sequence_from_item(b, alias, sc)) // translate_sequence.cpp
      return *seq;
    auto& t = table_of(b);
    std::vector<column> cols;
    int16_t i = 0;
    for (auto& c : t.columns)
      cols.push_back({c.name, c.type_oid, t.oid, ++i, c.typmod});
    sc.items.push_back({alias, cols, &t, ""});
    return table_source(t) + " AS " + quote_ident(alias);
  }
  if (type == "RangeSubselect") {
    if (b.value("lateral", false)) // translate_lateral.cpp
      return lateral_from(node, sc);
    auto saved = ctes;
    select_out sub;
    try {
      sub = tr_select(b.at("subquery"), sc.parent);
    } catch (const sql_error& e) {
      // an earlier FROM item without LATERAL: PostgreSQL's wording
      std::string missing = "missing FROM-clause entry for table \"";
      std::string msg = e.what();
      if (e.sqlstate() == "42P01" && msg.rfind(missing, 0) == 0)
        for (auto& it : sc.items)
          if (msg == missing + it.alias + "\"")
            throw sql_error("42P01",
                            "invalid reference to FROM-clause entry for "
                            "table \"" +
                              it.alias + "\"",
                            e.position());
      throw;
    }
    ctes = saved;
    std::string alias =
      b.contains("alias") ? b.at("alias").value("aliasname", "") : "subquery";
    if (b.contains("alias") && b.at("alias").contains("colnames")) {
      // rename through an extra level: SQLite has no alias column lists
      auto names = string_list(b.at("alias").at("colnames"));
      std::string sel;
      for (size_t i = 0; i < sub.cols.size(); ++i) {
        auto fresh = i < names.size() ? names[i] : sub.cols[i].name;
        sel += (i ? ", " : "") + quote_ident(sub.cols[i].name) + " AS " +
               quote_ident(fresh);
        sub.cols[i].name = fresh;
      }
      sc.items.push_back({alias, sub.cols, nullptr, ""});
      return "(SELECT " + sel + " FROM (" + sub.sql + ")) AS " +
             quote_ident(alias);
    }
    sc.items.push_back({alias, sub.cols, nullptr, ""});
    return "(" + sub.sql + ") AS " + quote_ident(alias);
  }
  if (type == "JoinExpr") {
    auto l = tr_from_item(b.at("larg"), sc);
    auto r = tr_from_item(b.at("rarg"), sc);
    auto jt = b.value("jointype", "JOIN_INNER");
    std::string kw = jt == "JOIN_LEFT"    ? " LEFT JOIN "
                     : jt == "JOIN_RIGHT" ? " RIGHT JOIN "
                     : jt == "JOIN_FULL"  ? " FULL JOIN "
                                          : " JOIN ";
    if (b.value("isNatural", false))
      kw = " NATURAL" + kw;
    std::string out = l + kw + r;
    if (b.contains("usingClause")) {
      std::string u;
      for (auto& n : string_list(b.at("usingClause")))
        u += (u.empty() ? "" : ", ") + quote_ident(n);
      out += " USING (" + u + ")";
    } else if (b.contains("quals")) {
      out += " ON " + tr(b.at("quals"), sc).sql;
    } else if (jt == "JOIN_INNER" && !b.value("isNatural", false)) {
      out = l + " CROSS JOIN " + r;
    }
    return "(" + out + ")";
  }
  if (type == "RangeFunction") {
    bool ordinality = b.value("ordinality", false);
    auto& fns = b.at("functions");
    if (fns.size() != 1)
      unsupported("ROWS FROM with several functions", node);
    auto& call = list_items(fns.at(0)).at(0);
    if (node_type(call) != "FuncCall")
      unsupported("this function in FROM", node);
    auto fname = string_list(body(call).at("funcname"));
    if (fname.empty())
      unsupported("this function in FROM", node);
    // vector / full-text search (issue 32; translate_vector.cpp)
    if (auto v = vector_srf_from(node, call, fname.back(), sc))
      return *v;
    // JSON / regexp functions may name earlier FROM items (LATERAL)
    if (auto j = json_srf_from(node, call, fname.back(), sc))
      return *j;
    if (auto d = dump_from_function(node, fname.back(), sc)) // issue 36
      return *d;
    if (b.value("lateral", false))
      unsupported("LATERAL", node);
    std::string alias = b.contains("alias")
                          ? b.at("alias").value("aliasname", fname.back())
                          : fname.back();
    std::string col = alias;
    if (b.contains("alias") && b.at("alias").contains("colnames"))
      col = string_list(b.at("alias").at("colnames")).at(0);
    uint32_t type = oid::int4;
    auto sql = srf_sql(call, fname.back(), col, type, sc);
    if (!sql) {
      if (ordinality)
        unsupported("WITH ORDINALITY of " + fname.back() + "()", node);
      return scalar_in_from(node, call, fname.back(), sc);
    }
    if (ordinality) { // a second column numbering the rows from 1
      std::string ord = "ordinality";
      if (b.contains("alias") && b.at("alias").contains("colnames")) {
        auto names = string_list(b.at("alias").at("colnames"));
        if (names.size() > 1)
          ord = names[1];
      }
      sc.items.push_back({alias, {{col, type}, {ord, oid::int8}}, nullptr, ""});
      return "(SELECT " + quote_ident(col) + ", row_number() OVER () AS " +
             quote_ident(ord) + " FROM " + *sql + ") AS " + quote_ident(alias);
    }
    sc.items.push_back({alias, {{col, type}}, nullptr, ""});
    return *sql + " AS " + quote_ident(alias);
  }
  unsupported("FROM item " + type, node);
}

std::optional<std::string> translator::srf_sql(const json& call,
                                               const std::string& fname,
                                               const std::string& col,
                                               uint32_t& type, scope& sc) {
  auto args = body(call).value("args", json::array());
  if (fname == "unnest") // typed arrays (translate_array.cpp)
    return unnest_sql(call, col, type, sc);
  if (fname == "pg_partition_ancestors" && args.size() == 1) {
    // no partitioning: the relation itself (psql's \d, issue 36)
    type = oid::regclass;
    return "(SELECT " + tr(args[0], sc).sql + " AS " + quote_ident(col) + ")";
  }
  if (fname == "generate_subscripts") { // peewee's get_indexes (issue 36)
    if (args.size() < 2 || args.size() > 3)
      throw sql_error("42883", "generate_subscripts() takes 2 or 3 arguments");
    auto arr_expr = tr(args[0], sc);
    auto arr = arr_expr.sql;
    // int2vector / oidvector subscripts start at 0 (pg_index.indkey;
    // peewee asks pg_get_indexdef for column k + 1)
    std::string shift =
      arr_expr.type == oid::int2vector || arr_expr.type == oid::oidvector
        ? " - 1"
        : "";
    hint_param(args[1], oid::int4);
    auto dim = tr(args[1], sc).sql;
    std::string desc = "0";
    if (args.size() == 3) {
      hint_param(args[2], oid::boolean);
      desc = tr(args[2], sc).sql;
    }
    auto bound = [&](const char* what) {
      return "themis_array_dim(" + arr + ", " + dim + ", " + what + ")";
    };
    type = oid::int4;
    return "(WITH RECURSIVE _gsub(v) AS (SELECT " + bound("1") + " WHERE " +
           bound("1") +
           " IS NOT NULL UNION ALL SELECT v + 1 FROM _gsub "
           "WHERE v < " +
           bound("2") + ") SELECT v" + shift + " AS " + quote_ident(col) +
           " FROM _gsub ORDER BY CASE WHEN " + desc + " THEN -v ELSE v END)";
  }
  if (fname != "generate_series")
    return std::nullopt;
  if (args.size() < 2 || args.size() > 3)
    throw sql_error("42883", "generate_series() takes 2 or 3 arguments");
  std::vector<std::string> a;
  type = oid::int4;
  for (auto& x : args) {
    hint_param(x, oid::int8);
    auto e = tr(x, sc);
    if (e.type == oid::int8 || e.type == oid::numeric)
      type = oid::int8;
    a.push_back("CAST(" + e.sql + " AS INTEGER)");
  }
  std::string step = a.size() == 3 ? a[2] : "1";
  auto within = [&](const std::string& v) {
    return "CASE WHEN " + step + " > 0 THEN " + v + " <= " + a[1] + " ELSE " +
           v + " >= " + a[1] + " END";
  };
  // a bounded counting CTE; a zero step is 22023
  return "(WITH RECURSIVE _gs(v) AS (SELECT " + a[0] +
         " WHERE themis_gs_step(" + step + ") UNION ALL SELECT v + " + step +
         " FROM _gs WHERE " + within("v + " + step) + ") SELECT v AS " +
         quote_ident(col) + " FROM _gs WHERE " + within("v") + ")";
}

/// A function returning one value in FROM (`SELECT * FROM current_schema()`,
/// `now()` …): one row, one column named after the function or the alias.
std::string translator::scalar_in_from(const json& node, const json& call,
                                       const std::string& fname, scope& sc) {
  static const char* set_returning[] = {"json_each",
                                        "jsonb_each",
                                        "json_each_text",
                                        "jsonb_each_text",
                                        "json_array_elements",
                                        "regexp_matches",
                                        "jsonb_array_elements",
                                        "json_object_keys",
                                        "jsonb_object_keys",
                                        "generate_subscripts",
                                        "json_array_elements_text",
                                        "jsonb_array_elements_text",
                                        "regexp_split_to_table",
                                        "pg_get_keywords"};
  for (auto* f : set_returning)
    if (fname == f)
      unsupported("the function " + fname + "() in FROM", node);
  auto& b = body(node);
  auto e = tr(call, sc);
  std::string alias =
    b.contains("alias") ? b.at("alias").value("aliasname", fname) : fname;
  std::string col = alias;
  if (b.contains("alias") && b.at("alias").contains("colnames"))
    col = string_list(b.at("alias").at("colnames")).at(0);
  sc.items.push_back(
    {alias, {{col, e.type ? e.type : oid::text}}, nullptr, ""});
  return "(SELECT " + e.sql + " AS " + quote_ident(col) + ") AS " +
         quote_ident(alias);
}

select_out translator::tr_select(const json& node, scope* parent) {
  // UNION chains and sub-selects nest as deep as limits.max_sql_depth
  // allows (up to 20,000): the stack, not only the limit, must be checked
  if (engine::stack_exhausted())
    throw sql_error("54001", "statement too complex (stack depth)");
  const json& s = node.contains("SelectStmt") ? node.at("SelectStmt") : node;
  select_out out;
  std::string with;
  if (s.contains("withClause")) {
    auto& w = s.at("withClause");
    bool recursive = w.value("recursive", false);
    for (auto& c : w.at("ctes")) {
      auto& cte = body(c);
      auto name = cte.value("ctename", "");
      auto sub = recursive ? tr_recursive_cte(cte, parent)
                           : tr_select(cte.at("ctequery"), parent);
      if (cte.contains("aliascolnames")) {
        auto names = string_list(cte.at("aliascolnames"));
        for (size_t i = 0; i < names.size() && i < sub.cols.size(); ++i)
          sub.cols[i].name = names[i];
      }
      std::string cols;
      for (auto& col : sub.cols)
        cols += (cols.empty() ? "" : ", ") + quote_ident(col.name);
      with += (with.empty() ? (recursive ? "WITH RECURSIVE " : "WITH ") : ", ") +
              quote_ident(name) + "(" + cols +
              ") AS (" + sub.sql + ")";
      ctes.emplace_back(name, sub.cols);
    }
    with += " ";
  }
  auto op = s.value("op", "SETOP_NONE");
  std::string body_sql;
  scope sc;
  sc.parent = parent;
  if (op != "SETOP_NONE") {
    auto l = tr_select(s.at("larg"), parent);
    auto r = tr_select(s.at("rarg"), parent);
    if (l.cols.size() != r.cols.size())
      throw sql_error("42601",
                      "each UNION query must have the same number of columns");
    std::string kw = op == "SETOP_UNION"       ? " UNION "
                     : op == "SETOP_INTERSECT" ? " INTERSECT "
                                               : " EXCEPT ";
    if (s.value("all", false)) {
      if (op != "SETOP_UNION")
        unsupported("INTERSECT ALL / EXCEPT ALL", json::object());
      kw = " UNION ALL ";
    }
    body_sql =
      "SELECT * FROM (" + l.sql + ")" + kw + "SELECT * FROM (" + r.sql + ")";
    out.cols = l.cols;
    for (size_t i = 0; i < out.cols.size(); ++i)
      if (!out.cols[i].type_oid || out.cols[i].type_oid == oid::unknown)
        out.cols[i].type_oid = r.cols[i].type_oid;
    // ORDER BY over a compound refers to output names
    sc.items.push_back({"", out.cols, nullptr, ""});
  } else if (s.contains("valuesLists")) {
    std::string rows;
    size_t width = 0;
    for (auto& l : s.at("valuesLists")) {
      auto& items = body(l).at("items");
      std::string row;
      size_t i = 0;
      for (auto& x : items) {
        auto e = tr(x, sc);
        row += (row.empty() ? "" : ", ") + e.sql;
        if (out.cols.size() <= i)
          out.cols.push_back(
            {"column" + std::to_string(i + 1), e.type ? e.type : oid::text});
        ++i;
      }
      if (width && i != width)
        throw sql_error("42601", "VALUES lists must all be the same length");
      width = i;
      rows += (rows.empty() ? "VALUES (" : ", (") + row + ")";
    }
    body_sql = rows;
  } else {
    std::string from;
    if (s.contains("fromClause"))
      for (auto& f : s.at("fromClause"))
        from += (from.empty() ? " FROM " : ", ") + tr_from_item(f, sc);
    std::string targets;
    int srfs = 0;
    bool first_srf_numbered = false;
    const json* unnest_arg = nullptr; // a select-list unnest's array
    for (auto& t : s.value("targetList", json::array())) {
      auto& rt = body(t);
      auto& val = rt.at("val");
      if (node_type(val) == "ColumnRef") {
        auto& fields = body(val).at("fields");
        if (fields.back().contains("A_Star")) {
          std::string qual = fields.size() > 1 ? sval(fields[0]) : "";
          bool any = false;
          for (auto& it : sc.items) {
            if (!qual.empty() && it.alias != qual)
              continue;
            any = true;
            for (size_t ci = 0; ci < it.cols.size(); ++ci) {
              auto& c = it.cols[ci];
              auto& src = it.col_sql.empty() ? c.name : it.col_sql[ci];
              bool whole = src.find('.') != std::string::npos;
              targets += (targets.empty() ? "" : ", ") +
                         (whole ? src
                                : (it.alias.empty() ? ""
                                                    : quote_ident(it.alias) +
                                                        ".") +
                                    quote_ident(src)) +
                         " AS " + quote_ident(c.name);
              out.cols.push_back(c);
            }
          }
          if (!qual.empty() && !any)
            throw sql_error(
              "42P01", "missing FROM-clause entry for table \"" + qual + "\"",
              location(val));
          if (qual.empty() && sc.items.empty())
            throw sql_error("42601",
                            "SELECT * with no tables specified is "
                            "not valid",
                            location(val));
          continue;
        }
      }
      auto name = rt.contains("name") ? rt.at("name").get<std::string>()
                                      : output_name(val);
      if (node_type(val) == "FuncCall") {
        // a set-returning function as a whole select-list item: one row
        // per value, as a subquery joined to the FROM items
        auto fn = string_list(body(val).value("funcname", json::array()));
        uint32_t type = oid::int4;
        std::optional<std::string> srf;
        std::string srf_col = "v";
        if (!fn.empty() && fn.back() == "generate_subscripts" &&
            unnest_arg && body(val).value("args", json::array()).size() == 2 &&
            same_tree(body(val).at("args")[0], *unnest_arg)) {
          // unnest(a), generate_subscripts(a, 1) side by side (SQLAlchemy's
          // primary-key reflection): the subscript is the unnest's
          // ordinality (issue 36)
          targets += (targets.empty() ? "" : ", ") +
                     std::string("\"_srf\".ordinality AS ") +
                     quote_ident(name);
          out.cols.push_back({name, oid::int4});
          continue;
        }
        if (!fn.empty() && !body(val).contains("over")) {
          if (fn.back() == "unnest" &&
              body(val).value("args", json::array()).size() == 1)
            unnest_arg = &body(val).at("args")[0];
          if (fn.back() == "generate_series" || fn.back() == "unnest") {
            srf = srf_sql(val, fn.back(), "v", type, sc);
          } else if ((srf = json_srf_select(val, fn.back(), type, sc))) {
            srf_col = "c1"; // jsonb_array_elements, regexp_matches …
          }
        }
        if (srf) {
          // table-valued functions number their rows: several of them run
          // side by side, joined on that number (TypeORM's
          // `unnest(conkey), unnest(confkey)`); rows follow the first one
          bool numbered = srf->rfind("themis_unnest(", 0) == 0 ||
                          srf->rfind("themis_srf(", 0) == 0;
          std::string alias = "_srf";
          if (srfs++) {
            if (!numbered || !first_srf_numbered)
              unsupported("several set-returning functions in the select "
                          "list",
                          val);
            alias = "_srf" + std::to_string(srfs);
            from += " LEFT JOIN " + *srf + " AS " + quote_ident(alias) +
                    " ON " + quote_ident(alias) +
                    ".ordinality = \"_srf\".ordinality";
          } else {
            first_srf_numbered = numbered;
            from += (from.empty() ? " FROM " : " CROSS JOIN ") + *srf +
                    " AS \"_srf\"";
          }
          targets += (targets.empty() ? "" : ", ") + quote_ident(alias) + "." +
                     quote_ident(srf_col) + " AS " + quote_ident(name);
          out.cols.push_back({name, type});
          continue;
        }
      }
      auto e = tr(val, sc);
      if (e.type == oid::numeric && s.contains("distinctClause"))
        e.sql = "themis_num(" + e.sql + // 1.0 and 1.00 are one (issue 36)
                ") COLLATE themis_num";
      targets +=
        (targets.empty() ? "" : ", ") + e.sql + " AS " + quote_ident(name);
      column c{name, e.type ? e.type : oid::text};
      if (node_type(val) == "ColumnRef")
        for (auto& it : sc.items)
          for (auto& ic : it.cols)
            if (ic.name == c.name && ic.table_oid) {
              c.table_oid = ic.table_oid;
              c.attnum = ic.attnum;
              c.typmod = ic.typmod;
            }
      out.cols.push_back(c);
    }
    std::string distinct;
    if (s.contains("distinctClause")) {
      auto& d = s.at("distinctClause");
      if (d.size() == 1 && d[0].empty())
        distinct = "DISTINCT ";
      else
        unsupported("DISTINCT ON", json::object());
    }
    body_sql =
      "SELECT " + distinct + (targets.empty() ? "NULL" : targets) + from;
    if (s.contains("whereClause")) {
      scope where = sc;
      where.aggregates_allowed = false;
      hint_param(s.at("whereClause"), oid::boolean);
      body_sql += " WHERE (" + tr(s.at("whereClause"), where).sql + ")" +
                  index_hints(s.at("whereClause"), where); // issue 22
    }
    if (s.contains("groupClause")) {
      std::string g;
      for (auto& x : s.at("groupClause")) {
        auto& gt = node_type(x);
        if (gt == "GroupingSet")
          unsupported("GROUPING SETS, ROLLUP and CUBE", x);
        expr e;
        try {
          e = tr(x, sc);
        } catch (const sql_error& err) {
          // a bare name that is no input column may name an output column
          // (PostgreSQL's rule; SQLite resolves the alias itself)
          bool output = false;
          if (err.sqlstate() == "42703" && gt == "ColumnRef" &&
              body(x).at("fields").size() == 1)
            for (auto& c : out.cols)
              if (c.name == sval(body(x).at("fields")[0]))
                output = true, e = {quote_ident(c.name), c.type_oid};
          if (!output)
            throw;
        }
        if (e.type == oid::numeric) // exact groups (issue 36)
          e.sql = "themis_num(" + e.sql + ") COLLATE themis_num";
        g += (g.empty() ? "" : ", ") + e.sql;
      }
      body_sql += " GROUP BY " + g;
    }
    if (s.contains("havingClause"))
      body_sql += " HAVING " + tr(s.at("havingClause"), sc).sql;
  }
  // ORDER BY may name output columns: they are visible as a last scope
  if (s.contains("sortClause")) {
    scope order = sc;
    std::string o;
    for (auto& x : s.at("sortClause")) {
      auto& sb = body(x);
      auto& key = sb.at("node");
      std::string k;
      uint32_t kt = 0; // numeric keys sort exactly (issue 36)
      // an output column name (alias) is valid in ORDER BY
      if (node_type(key) == "ColumnRef" && body(key).at("fields").size() == 1) {
        auto name = sval(body(key).at("fields")[0]);
        bool is_output = false;
        for (auto& c : out.cols)
          if (c.name == name)
            is_output = true, kt = c.type_oid;
        // PostgreSQL resolves a bare name to an output column first
        if (is_output)
          k = quote_ident(name);
        else {
          auto e = tr(key, order);
          k = e.sql, kt = e.type;
        }
      } else if (node_type(key) == "A_Const" && body(key).contains("ival")) {
        auto e = tr(key, order);
        k = e.sql;
        auto pos = int_at(body(key));
        if (pos >= 1 && static_cast<size_t>(pos) <= out.cols.size()) {
          kt = out.cols[static_cast<size_t>(pos - 1)].type_oid;
          if (kt == oid::numeric) // the output column by name, wrapped below
            k = quote_ident(out.cols[static_cast<size_t>(pos - 1)].name);
        }
      } else {
        auto e = tr(key, order);
        k = e.sql, kt = e.type;
      }
      if (kt == oid::numeric) // TEXT, so the collation sees every value
        k = "themis_num(" + k + ") COLLATE themis_num";
      auto dir = sb.value("sortby_dir", "SORTBY_DEFAULT");
      auto nulls = sb.value("sortby_nulls", "SORTBY_NULLS_DEFAULT");
      if (dir == "SORTBY_USING")
        unsupported("ORDER BY USING", x);
      bool desc = dir == "SORTBY_DESC";
      // PostgreSQL sorts NULLs as larger than every value
      bool nulls_first = nulls == "SORTBY_NULLS_FIRST" ||
                         (nulls == "SORTBY_NULLS_DEFAULT" && desc);
      o += (o.empty() ? "" : ", ") + k + (desc ? " DESC" : " ASC") +
           (nulls_first ? " NULLS FIRST" : " NULLS LAST");
    }
    body_sql += " ORDER BY " + o;
  }
  bool has_limit = s.contains("limitCount") &&
                   !body(s.at("limitCount")).value("isnull", false);
  if (has_limit || s.contains("limitOffset")) {
    if (s.value("limitOption", "") == "LIMIT_OPTION_WITH_TIES")
      unsupported("FETCH … WITH TIES", json::object());
    std::string lim = "-1";
    if (has_limit) {
      hint_param(s.at("limitCount"), oid::int8);
      lim = tr(s.at("limitCount"), sc).sql;
    }
    body_sql += " LIMIT " + lim;
    if (s.contains("limitOffset")) {
      hint_param(s.at("limitOffset"), oid::int8);
      body_sql += " OFFSET " + tr(s.at("limitOffset"), sc).sql;
    }
  }
  if (s.contains("lockingClause"))
    locking = true; // FOR UPDATE/SHARE: read through the writer
  if (s.contains("intoClause"))
    unsupported("SELECT INTO", json::object());
  out.sql = with + body_sql;
  return out;
}

} // namespace themis::sql::detail
