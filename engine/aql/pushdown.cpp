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
  use_scan uses{slot, false, {}};
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

} // namespace themis::aql
