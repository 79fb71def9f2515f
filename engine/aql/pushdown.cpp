#include "engine/aql/pushdown.hpp"

#include <algorithm>

namespace themis::aql {

namespace {

bool uses_slot(const expr& e, int slot) {
  if (e.kind == expr_kind::variable && e.slot == slot)
    return true;
  if (e.kind == expr_kind::subquery)
    return true; // conservative: subqueries may read anything
  for (auto& a : e.args)
    if (a && uses_slot(*a, slot))
      return true;
  for (auto& m : e.members)
    if ((m.key_expr && uses_slot(*m.key_expr, slot)) ||
        (m.value && uses_slot(*m.value, slot)))
      return true;
  return false;
}

/// Can stand inside '$."…"' in SQL text: no quotes, no control bytes.
bool quotable(const std::string& n) {
  for (unsigned char c : n)
    if (c == '"' || c == '\'' || c < 0x20)
      return false;
  return true;
}

bool simple_name(const std::string& n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0])))
    return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

/// `v.a.b[2]` → "$.a.b[2]"; false if `e` is not such a path on `slot`.
bool json_path(const expr& e, int slot, std::string& out) {
  if (e.kind == expr_kind::variable)
    return e.slot == slot && (out = "$", true);
  if (e.kind == expr_kind::attribute) {
    if (!json_path(*e.args[0], slot, out))
      return false;
    if (!quotable(e.name))
      return false;
    out += simple_name(e.name) ? "." + e.name : ".\"" + e.name + "\"";
    return true;
  }
  // No `[n]` steps: AQL's v.a[0] also reads key "0" of an object, which
  // the JSON path $.a[0] would not.
  return false;
}

/// Values safe to evaluate once before the scan: no function calls (RAND,
/// DATE_NOW, errors the FILTER might short-circuit), no subqueries; only
/// literals, bind parameters and paths on variables (join keys).
bool simple_value(const expr& e) {
  switch (e.kind) {
    case expr_kind::literal:
    case expr_kind::bind:
    case expr_kind::variable:
      return true;
    case expr_kind::attribute:
      return simple_value(*e.args[0]);
    case expr_kind::array:
      for (auto& a : e.args)
        if (!simple_value(*a))
          return false;
      return true;
    default:
      return false;
  }
}

op_code flip(op_code op) {
  switch (op) {
    case op_code::lt:
      return op_code::gt;
    case op_code::le:
      return op_code::ge;
    case op_code::gt:
      return op_code::lt;
    case op_code::ge:
      return op_code::le;
    default:
      return op;
  }
}

void conjuncts(const expr& e, std::vector<const expr*>& out) {
  if (e.kind == expr_kind::binary && e.op == op_code::and_) {
    conjuncts(*e.args[0], out);
    conjuncts(*e.args[1], out);
  } else {
    out.push_back(&e);
  }
}

bool pushable(const expr& e, int slot, pushed_condition& c) {
  if (e.kind != expr_kind::binary)
    return false;
  auto op = e.op;
  if (op != op_code::eq && op != op_code::lt && op != op_code::le &&
      op != op_code::gt && op != op_code::ge && op != op_code::in &&
      op != op_code::like)
    return false;
  const expr* path = e.args[0].get();
  const expr* value = e.args[1].get();
  std::string p;
  if (!json_path(*path, slot, p)) {
    if (op == op_code::in || op == op_code::like)
      return false; // not symmetric
    std::swap(path, value);
    op = flip(op);
    if (!json_path(*path, slot, p))
      return false;
  }
  if (p == "$" || uses_slot(*value, slot) || !simple_value(*value))
    return false;
  c.op = op;
  c.value = value;
  c.is_key = p == "$._key";
  c.json_path = p;
  return true;
}

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

namespace {

constexpr size_t max_projected = 16;

struct use_scan {
  int slot;
  bool whole = false;
  std::vector<std::string> names;

  void add(const std::string& n) {
    if (std::find(names.begin(), names.end(), n) == names.end())
      names.push_back(n);
  }
  void walk(const expr* e) {
    if (!e || whole)
      return;
    if (e->kind == expr_kind::attribute &&
        e->args[0]->kind == expr_kind::variable && e->args[0]->slot == slot) {
      add(e->name);
      return;
    }
    if (e->kind == expr_kind::variable && e->slot == slot) {
      whole = true;
      return;
    }
    for (auto& a : e->args)
      walk(a.get());
    for (auto& m : e->members) {
      walk(m.key_expr.get());
      walk(m.value.get());
    }
    if (e->sub)
      walk(*e->sub, 0);
  }
  void walk(const query& q, size_t first) {
    for (size_t i = first; i < q.clauses.size() && !whole; ++i) {
      auto& c = q.clauses[i];
      walk(c.source.get());
      walk(c.e.get());
      walk(c.with.get());
      walk(c.options.get());
      walk(c.offset.get());
      walk(c.count.get());
      walk(c.into_expr.get());
      if (c.graph) { // a traversal's start, depths, target and PRUNE
        walk(c.graph->start.get());
        walk(c.graph->target.get());
        walk(c.graph->min_depth.get());
        walk(c.graph->max_depth.get());
        walk(c.graph->prune.get());
      }
      for (auto& k : c.sort)
        walk(k.e.get());
      for (auto& g : c.groups)
        walk(g.e.get());
      for (auto& a : c.aggregates)
        walk(a.e.get());
      if (c.kind == clause_kind::collect && c.into_slot >= 0 && !c.into_expr)
        for (auto& v : c.into_visible)
          if (v.slot == slot)
            whole = true; // INTO captures the variable itself
    }
  }
};

} // namespace

pushdown_plan plan_pushdown(const query& q, size_t first, int slot) {
  pushdown_plan plan;
  if (first > 0 && q.clauses[first - 1].kind == clause_kind::for_)
    plan.sort = plan_sort(q, first - 1, slot);
  use_scan uses{slot};
  uses.walk(q, first);
  plan.whole = uses.whole || uses.names.size() > max_projected;
  for (auto& n : uses.names)
    if (!quotable(n))
      plan.whole = true; // not expressible in a quoted SQL/JSON path
  if (!plan.whole)
    plan.attributes = std::move(uses.names);
  for (size_t i = first; i < q.clauses.size(); ++i) {
    auto& c = q.clauses[i];
    if (c.kind != clause_kind::filter)
      break;
    std::vector<const expr*> parts;
    conjuncts(*c.e, parts);
    for (auto* p : parts) {
      pushed_condition pc;
      if (pushable(*p, slot, pc))
        plan.conditions.push_back(pc);
    }
  }
  return plan;
}

std::optional<sort_order> plan_sort(const query& q, size_t for_clause,
                                    int slot) {
  auto& cs = q.clauses;
  auto row_local = [](clause_kind k) {
    return k == clause_kind::let || k == clause_kind::filter;
  };
  for (size_t i = 0; i < for_clause; ++i)
    if (!row_local(cs[i].kind))
      return std::nullopt; // an earlier loop: the SORT sees many scans
  size_t j = for_clause + 1;
  while (j < cs.size() && row_local(cs[j].kind))
    ++j;
  if (j + 1 >= cs.size() || cs[j].kind != clause_kind::sort ||
      cs[j + 1].kind != clause_kind::limit || cs[j].sort.size() != 1)
    return std::nullopt;
  auto& key = *cs[j].sort[0].e;
  sort_order o;
  if (!json_path(key, slot, o.json_path) || o.json_path == "$")
    return std::nullopt;
  for (auto* e = &key; e->kind == expr_kind::attribute; e = e->args[0].get())
    o.steps.insert(o.steps.begin(), e->name);
  o.clause = j;
  o.descending = !cs[j].sort[0].ascending;
  return o;
}

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
