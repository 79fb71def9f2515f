/// query_run::scan_ordered: a collection loop's rows in its SORT's order
/// through an index (sort_pushdown.hpp, issue 22).

#include <algorithm>

#include "engine/aql/query_run.hpp"
#include "engine/aql/sort_pushdown.hpp"
#include "engine/aql/value.hpp"
#include "engine/index_store.hpp"

namespace themis::aql {

namespace {

/// `row.a.b` as AQL reads it: null where a step is missing or not an
/// object (the projection holds the top-level attributes the query reads).
json value_at(const json& row, const std::vector<std::string>& steps) {
  const json* v = &row;
  for (auto& s : steps) {
    if (!v->is_object())
      return nullptr;
    auto it = v->find(s);
    if (it == v->end())
      return nullptr;
    v = &*it;
  }
  return *v;
}

} // namespace

bool query_run::scan_reversing_ties(const std::string& sql,
                                    const std::vector<json>& values,
                                    const pushdown_plan& plan,
                                    const std::vector<std::string>& steps,
                                    const std::function<bool(json&)>& f) {
  std::vector<std::pair<json, json>> ties; // (value, row), keys descending
  auto flush = [&] {
    for (auto it = ties.rbegin(); it != ties.rend(); ++it)
      if (!f(it->second))
        return false;
    ties.clear();
    return true;
  };
  bool stopped = false;
  scan_rows(sql, values, plan, nullptr, [&](json& row) {
    auto v = value_at(row, steps);
    if (!ties.empty() && compare(ties.front().first, v) != 0 && !flush())
      return !(stopped = true);
    ties.emplace_back(std::move(v), std::move(row));
    return true;
  });
  return !stopped && flush();
}

std::optional<bool> query_run::scan_ordered(const std::string& collection,
                                            const pushdown_plan& plan,
                                            const std::string& where,
                                            const std::vector<json>& params,
                                            const std::function<bool(json&)>& f,
                                            bool& ordered) {
  auto name = stored(collection);
  auto it = defs_.find(name);
  if (it == defs_.end())
    it = defs_.emplace(name, engine::load_doc_indexes(db_, name)).first;
  auto& s = *plan.sort;
  auto ix =
    choose_order_index(s, plan.conditions, it->second, side_indexes(name));
  if (!ix)
    return std::nullopt;
  ordered = true;
  // the segments inline the collection: the conditions' values only
  std::vector<json> values(params.begin() + 1, params.end());
  for (auto& seg : ordered_segments(select_sql(plan), name, where, s, *ix)) {
    if (seg.reverse_ties) {
      if (!scan_reversing_ties(seg.sql, values, plan, s.steps, f))
        return false;
      continue;
    }
    if (seg.boolean) {
      bool want = *seg.boolean;
      auto only = [&](json& row) {
        auto v = value_at(row, s.steps);
        return !(v.is_boolean() && v.get<bool>() == want) || f(row);
      };
      if (!scan_rows(seg.sql, values, plan, nullptr, only))
        return false;
      continue;
    }
    if (!seg.in_memory) {
      if (!scan_rows(seg.sql, values, plan, nullptr, f))
        return false;
      continue;
    }
    // arrays or objects: AQL compares them element by element
    std::vector<std::pair<json, json>> rows;
    scan_rows(seg.sql, values, plan, nullptr, [&](json& row) {
      rows.emplace_back(value_at(row, s.steps), std::move(row));
      return true;
    });
    std::stable_sort(rows.begin(), rows.end(), [&](auto& a, auto& b) {
      int c = compare(a.first, b.first);
      return s.descending ? c > 0 : c < 0;
    });
    for (auto& r : rows)
      if (!f(r.second))
        return false;
  }
  return true;
}

} // namespace themis::aql
