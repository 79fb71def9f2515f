/// The SQL half of the FILTER push-down (pushdown.hpp): one condition's
/// SQL given its runtime value, and all of a scan's conditions, placed on
/// the document's expressions (which SQLite's own persistent indexes hold)
/// or on a background index's side table.

#include <algorithm>

#include "engine/aql/pushdown.hpp"

namespace themis::aql {

namespace {

const char* sql_op(op_code op) {
  switch (op) {
    case op_code::lt:
      return " < ";
    case op_code::le:
      return " <= ";
    case op_code::gt:
      return " > ";
    case op_code::ge:
      return " >= ";
    default:
      return " = ";
  }
}

} // namespace

std::string condition_sql(const pushed_condition& c, const json& v,
                          std::vector<json>& params) {
  auto path = "'" + c.json_path + "'";
  auto extract = "json_extract(doc," + path + ")";
  auto type = "json_type(doc," + path + ")";
  if (c.is_key && c.op == op_code::eq) {
    if (!v.is_string())
      return "0"; // _key is always a string
    params.push_back(v);
    return "key = ?";
  }
  switch (c.op) {
    case op_code::in:
      if (!v.is_array())
        return "0"; // `x IN <non-array>` is false
      for (auto& x : v)
        if (!x.is_string() && !x.is_number() && !x.is_boolean())
          return ""; // null never matches in SQL; arrays compare as text
      params.push_back(
        json(v.dump(-1, ' ', false, json::error_handler_t::replace)));
      return extract + " IN (SELECT value FROM json_each(?))";
    case op_code::like:
      if (!v.is_string() ||
          v.get_ref<const std::string&>().find('\\') != std::string::npos)
        return ""; // escapes: let the FILTER alone decide
      params.push_back(v);
      // SQLite's LIKE ignores ASCII case: a superset of AQL's LIKE.
      return "(CASE WHEN " + type + "='text' THEN " + extract +
             " LIKE ? ESCAPE '\\' ELSE 1 END)";
    case op_code::eq:
      if (v.is_null())
        return "(" + type + " IS NULL OR " + type + "='null')";
      if (v.is_boolean())
        return type + (v.get<bool>() ? "='true'" : "='false'");
      if (v.is_number() || v.is_string()) {
        params.push_back(v);
        return extract + " = ?";
      }
      return "";
    default:
      if (v.is_number()) {
        params.push_back(v);
        return "(CASE WHEN " + type + " IN ('integer','real') THEN " + extract +
               sql_op(c.op) + "? ELSE 1 END)";
      }
      if (v.is_string()) {
        params.push_back(v);
        return "(CASE WHEN " + type + "='text' THEN " + extract + sql_op(c.op) +
               "? ELSE 1 END)";
      }
      return "";
  }
}

namespace {

bool lower(op_code op) {
  return op == op_code::gt || op == op_code::ge;
}
bool upper(op_code op) {
  return op == op_code::lt || op == op_code::le;
}

/// A range value that can be compared in SQL without a type guard.
bool plain_bound(const json* v) {
  return v && (v->is_number() || v->is_string());
}

} // namespace

namespace {

/// `part` over the side table's column `col` (the value of `json_path`)
/// instead of the document, or "" when it reads more than that value.
std::string on_side(const std::string& part, const std::string& json_path,
                    const std::string& col, bool sparse) {
  auto extract = "json_extract(doc,'" + json_path + "')";
  std::string out;
  size_t from = 0;
  for (auto at = part.find(extract); at != std::string::npos;
       at = part.find(extract, from)) {
    out += part.substr(from, at - from) + col;
    from = at + extract.size();
  }
  out += part.substr(from);
  if (out.find("doc") != std::string::npos || out == part)
    return {};
  if (sparse && out.find("NULL") != std::string::npos)
    return {};
  return out;
}

/// One pushed condition's SQL, before it is placed.
struct condition_part {
  std::string sql;
  std::vector<json> params; ///< its bound values, in text order
  const pushed_condition* cond;
  bool on_side = false; ///< moved into a side table's subquery
};

/// One side table's subquery being assembled.
struct side_fragment {
  std::string table;
  std::string where;
  std::vector<json> params;
};

/// Moves the parts a background index can answer into its subquery: those
/// on any of its fields, when one is on the first field (the index's
/// order). A sparse index of several fields lacks every document missing
/// one of them, so it is used only when each field has a condition that
/// excludes null (`=`, `IN`, a range), as ArangoDB uses sparse indexes.
void place_on_side(std::vector<condition_part>& parts,
                   const engine::side_index& x,
                   std::vector<side_fragment>& fragments) {
  auto paths = x.json_paths;
  if (paths.empty()) { // only the first field's path is known
    paths.assign(std::max<size_t>(x.fields, 1), std::string());
    paths[0] = x.json_path;
  }
  std::vector<std::pair<size_t, std::string>> mine; // part, side SQL
  std::vector<bool> covered(paths.size(), false);
  for (size_t p = 0; p < parts.size(); ++p) {
    auto& c = parts[p];
    if (c.on_side || c.cond->is_key)
      continue;
    for (size_t f = 0; f < paths.size(); ++f) {
      if (paths[f] != c.cond->json_path)
        continue;
      auto sql = on_side(c.sql, paths[f], "v" + std::to_string(f), x.sparse);
      if (!sql.empty()) {
        mine.emplace_back(p, std::move(sql));
        covered[f] = true;
      }
      break;
    }
  }
  bool usable = !covered.empty() && covered[0];
  if (x.sparse)
    usable = usable && std::all_of(covered.begin(), covered.end(),
                                   [](bool b) { return b; });
  if (!usable)
    return;
  side_fragment frag{x.table, {}, {}};
  for (auto& [p, sql] : mine) {
    frag.where += (frag.where.empty() ? "" : " AND ") + sql;
    frag.params.insert(frag.params.end(), parts[p].params.begin(),
                       parts[p].params.end());
    parts[p].on_side = true;
  }
  fragments.push_back(std::move(frag));
}

} // namespace

std::string conditions_sql(const std::vector<pushed_condition>& conds,
                           const std::vector<const json*>& values,
                           std::vector<json>& params,
                           const std::vector<engine::side_index>& side) {
  std::vector<condition_part> parts;
  for (size_t i = 0; i < conds.size(); ++i) {
    auto& c = conds[i];
    auto* v = i < values.size() ? values[i] : nullptr;
    if (!v)
      continue;
    bool sargable = false;
    if ((lower(c.op) || upper(c.op)) && plain_bound(v)) {
      bool has_lower = false, has_upper = false;
      for (size_t j = 0; j < conds.size(); ++j)
        if (j != i && conds[j].json_path == c.json_path &&
            plain_bound(j < values.size() ? values[j] : nullptr)) {
          has_lower = has_lower || lower(conds[j].op);
          has_upper = has_upper || upper(conds[j].op);
        }
      // x > number: SQLite orders every text (strings, arrays, objects)
      // after numbers and drops NULL, as AQL keeps and drops them
      sargable = (lower(c.op) && v->is_number()) ||
                 (lower(c.op) && has_upper) || (upper(c.op) && has_lower);
    }
    condition_part part{{}, {}, &c};
    if (sargable) {
      part.params.push_back(*v);
      // likelihood(): a range is selective; with the primary key's
      // statistic (index_store.hpp) the planner then reads the range
      // from a persistent index on the path, if there is one
      part.sql = "likelihood(json_extract(doc,'" + c.json_path + "')" +
                 sql_op(c.op) + "?, 0.001)";
    } else {
      part.sql = condition_sql(c, *v, part.params);
    }
    if (!part.sql.empty())
      parts.push_back(std::move(part));
  }
  std::vector<side_fragment> fragments;
  for (auto& x : side)
    place_on_side(parts, x, fragments);
  std::string out;
  for (auto& p : parts) {
    if (p.on_side)
      continue;
    out += " AND " + p.sql;
    params.insert(params.end(), p.params.begin(), p.params.end());
  }
  for (auto& f : fragments) {
    out += " AND key IN (SELECT key FROM " + engine::quote_sql_ident(f.table) +
           " WHERE " + f.where + ")";
    params.insert(params.end(), f.params.begin(), f.params.end());
  }
  return out;
}

} // namespace themis::aql
