/// INSERT / UPDATE / DELETE on a view (issue 36): PostgreSQL updates a
/// simple view — one table (or updatable view) in FROM, no DISTINCT,
/// GROUP BY, HAVING, LIMIT, WITH, set operation, aggregate or window
/// function — by rewriting the statement for the base table. The same is
/// done here on the parse tree: the view's columns become the expressions
/// they stand for, its WHERE joins the statement's, and the statement is
/// then translated as one on the table. Other views: 55000 with
/// PostgreSQL's message and detail.

#include <set>

#include "engine/sql/catalog_views_view.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sql/temp_tables.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

/// A node's body ({"Type": body}), writable.
json& mut_body(json& n) {
  return n.begin().value();
}

/// Integer literals libpg_query's JSON leaves out (zero, negatives) are
/// read from `text` now: the nodes move into a statement with another text.
void fill_ints(json& j, translator& t) {
  if (j.is_object()) {
    if (j.contains("A_Const")) {
      auto& c = j.at("A_Const");
      if (c.contains("ival") && !c.at("ival").contains("ival"))
        c["ival"]["ival"] = t.int_at(c);
    }
    for (auto& [k, v] : j.items())
      fill_ints(v, t);
  } else if (j.is_array()) {
    for (auto& v : j)
      fill_ints(v, t);
  }
}

bool has_call(const json& j, const std::set<std::string>& names, bool window) {
  if (j.is_object()) {
    if (j.contains("FuncCall")) {
      auto& f = j.at("FuncCall");
      if (window ? f.contains("over")
                 : (f.value("agg_star", false) ||
                    names.count(string_list(f.at("funcname")).back())))
        return true;
    }
    if (j.contains("SubLink"))
      return false; // a subquery's own aggregates do not count
    for (auto& [k, v] : j.items())
      if (has_call(v, names, window))
        return true;
  } else if (j.is_array()) {
    for (auto& v : j)
      if (has_call(v, names, window))
        return true;
  }
  return false;
}

struct view_map {
  std::vector<std::string> names; ///< the view's columns
  std::vector<json> exprs;        ///< what each stands for (ResTarget val)
  std::string alias;              ///< how the statement names the view
};

/// Column references to the view replaced by their expressions; inside a
/// subquery only qualified ones (an unqualified name there may be the
/// subquery's own column).
void substitute(json& j, const view_map& m, bool in_sub) {
  if (j.is_object()) {
    if (j.contains("ColumnRef")) {
      auto fields = j.at("ColumnRef").value("fields", json::array());
      std::vector<std::string> parts;
      for (auto& f : fields)
        if (f.contains("String"))
          parts.push_back(f.at("String").value("sval", ""));
      bool ok = parts.size() == fields.size() &&
                ((parts.size() == 1 && !in_sub) ||
                 (parts.size() == 2 && parts[0] == m.alias));
      if (ok)
        for (size_t i = 0; i < m.names.size(); ++i)
          if (m.names[i] == parts.back()) {
            j = m.exprs[i];
            return;
          }
      return;
    }
    bool sub = in_sub || j.contains("SubLink") || j.contains("SelectStmt");
    for (auto& [k, v] : j.items())
      substitute(v, m, sub);
  } else if (j.is_array()) {
    for (auto& v : j)
      substitute(v, m, in_sub);
  }
}

/// Why PostgreSQL would not update a view whose query is `s` (a
/// SelectStmt's body) automatically; empty if it would.
std::string not_updatable(const json& s) {
  if (s.value("op", "SETOP_NONE") != "SETOP_NONE")
    return "Views containing UNION, INTERSECT, or EXCEPT are not "
           "automatically updatable.";
  if (s.contains("withClause"))
    return "Views containing WITH are not automatically updatable.";
  if (s.contains("distinctClause"))
    return "Views containing DISTINCT are not automatically updatable.";
  if (s.contains("groupClause"))
    return "Views containing GROUP BY are not automatically updatable.";
  if (s.contains("havingClause"))
    return "Views containing HAVING are not automatically updatable.";
  if (s.contains("limitCount") || s.contains("limitOffset"))
    return "Views containing LIMIT or OFFSET are not automatically "
           "updatable.";
  auto from = s.value("fromClause", json::array());
  if (from.size() != 1 || node_type(from[0]) != "RangeVar")
    return "Views that do not select from a single table or view are not "
           "automatically updatable.";
  static const std::set<std::string> aggs = {"count",
                                             "sum",
                                             "avg",
                                             "min",
                                             "max",
                                             "array_agg",
                                             "string_agg",
                                             "bool_and",
                                             "bool_or",
                                             "every",
                                             "json_agg",
                                             "jsonb_agg",
                                             "json_object_agg",
                                             "jsonb_object_agg"};
  auto targets = s.value("targetList", json::array());
  if (has_call(targets, aggs, false))
    return "Views that return aggregate functions are not automatically "
           "updatable.";
  if (has_call(targets, aggs, true))
    return "Views that return window functions are not automatically "
           "updatable.";
  return {};
}

} // namespace

const json& translator::view_dml(const json& n) {
  auto& type = node_type(n);
  const char* verb = type == "InsertStmt"   ? "insert into"
                     : type == "UpdateStmt" ? "update"
                                            : "delete from";
  if (!view_of(body(n).at("relation")))
    return n;
  json out = n;
  for (int depth = 0;; ++depth) {
    auto& b = out.at(type);
    auto v = view_of(b.at("relation"));
    if (!v)
      break;
    if (depth >= 64)
      throw sql_error("42P17", "infinite recursion detected in rules for "
                               "relation \"" +
                                 b.at("relation").value("relname", "") + "\"");
    auto vname = b.at("relation").value("relname", "");
    auto refuse = [&](const std::string& detail) {
      throw sql_error("55000", std::string("cannot ") + verb + " view \"" +
                                 vname + "\"" +
                                 error_trailer("", "", "", "", detail));
    };
    auto parsed = parse_sql(v->query);
    json sel = *static_cast<const json*>(parsed[0].tree.get());
    {
      auto saved = source;
      source = parsed[0].source.get();
      fill_ints(sel, *this);
      source = saved;
    }
    auto& s = body(sel);
    auto targets = s.value("targetList", json::array());
    auto from = s.value("fromClause", json::array());
    if (auto why = not_updatable(s); !why.empty())
      refuse(why);
    if (targets.size() != v->columns.size())
      unsupported("writing through a view selecting several *", n);
    view_map m;
    auto& urv = b.at("relation");
    m.alias =
      urv.contains("alias") ? urv.at("alias").value("aliasname", vname) : vname;
    std::vector<std::string> base_col; // "" where not a plain column
    for (size_t i = 0; i < targets.size(); ++i) {
      auto& val = body(targets[i]).at("val");
      m.names.push_back(v->columns[i].name);
      m.exprs.push_back(val);
      std::string col;
      if (node_type(val) == "ColumnRef") {
        auto f = body(val).value("fields", json::array());
        if (!f.empty() && f.back().contains("String"))
          col = f.back().at("String").value("sval", "");
      }
      base_col.push_back(col);
    }
    auto column_of = [&](const json& rt, const char* what) {
      auto name = body(rt).value("name", "");
      for (size_t i = 0; i < m.names.size(); ++i)
        if (m.names[i] == name) {
          if (base_col[i].empty())
            throw sql_error(
              "0A000",
              std::string("cannot ") + what + " column \"" + name +
                "\" of view \"" + vname + "\"" +
                error_trailer("", "", "", "",
                              "View columns that are not columns of their "
                              "base relation are not updatable."));
          return base_col[i];
        }
      throw sql_error("42703",
                      "column \"" + name + "\" of relation \"" + vname +
                        "\" does not exist",
                      location(rt));
    };
    json base = from[0];
    if (type == "InsertStmt") {
      if (b.contains("onConflictClause"))
        unsupported("ON CONFLICT on a view", n);
      if (!b.contains("cols") && b.contains("selectStmt")) {
        // no column list: the view's columns, as many as the values
        auto& q = body(b.at("selectStmt"));
        size_t k = q.contains("valuesLists")
                     ? list_items(q.at("valuesLists").at(0)).size()
                     : q.value("targetList", json::array()).size();
        json cols = json::array();
        for (size_t i = 0; i < k && i < m.names.size(); ++i)
          cols.push_back({{"ResTarget", {{"name", m.names[i]}}}});
        b["cols"] = cols;
      }
      if (b.contains("cols"))
        for (auto& c : b.at("cols"))
          mut_body(c)["name"] = column_of(c, "insert into");
    } else if (type == "UpdateStmt") {
      for (auto& t : b.at("targetList")) {
        mut_body(t)["name"] = column_of(t, "update");
        if (body(t).contains("val"))
          substitute(mut_body(t).at("val"), m, false);
      }
    }
    if (type != "InsertStmt") {
      json where;
      if (b.contains("whereClause")) {
        where = b.at("whereClause");
        substitute(where, m, false);
      }
      if (s.contains("whereClause")) {
        where =
          where.is_null()
            ? s.at("whereClause")
            : json{{"BoolExpr",
                    {{"boolop", "AND_EXPR"},
                     {"args", json::array({s.at("whereClause"), where})}}}};
      }
      if (!where.is_null())
        b["whereClause"] = where;
    }
    if (b.contains("returningList")) {
      json list = json::array();
      for (auto r : b.at("returningList")) {
        auto& rt = mut_body(r);
        auto& val = rt.at("val");
        bool star = false;
        std::string col;
        if (node_type(val) == "ColumnRef")
          for (auto& f : body(val).value("fields", json::array())) {
            star = star || f.contains("A_Star");
            if (f.contains("String"))
              col = f.at("String").value("sval", "");
          }
        if (star) { // RETURNING *: the view's columns, not the table's
          for (size_t i = 0; i < m.names.size(); ++i)
            list.push_back(
              {{"ResTarget", {{"name", m.names[i]}, {"val", m.exprs[i]}}}});
          continue;
        }
        if (!rt.contains("name") && !col.empty())
          rt["name"] = col; // RETURNING a keeps the view's column name
        substitute(val, m, false);
        list.push_back(std::move(r));
      }
      b["returningList"] = list;
    }
    b["relation"] = body(base);
  }
  view_dml_tree = std::move(out);
  return view_dml_tree;
}

} // namespace themis::sql::detail

namespace themis::sql {

bool view_auto_updatable(const view_def& v) {
  try {
    auto parsed = parse_sql(v.query);
    auto& sel = *static_cast<const detail::json*>(parsed.at(0).tree.get());
    return detail::node_type(sel) == "SelectStmt" &&
           detail::not_updatable(detail::body(sel)).empty();
  } catch (const std::exception&) {
    return false;
  }
}

} // namespace themis::sql
