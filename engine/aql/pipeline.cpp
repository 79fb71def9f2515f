#include "engine/aql/pipeline.hpp"

#include <algorithm>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/functions.hpp"
#include "engine/aql/pipeline_state.hpp"
#include "engine/aql/query_run.hpp"
#include "engine/stack_guard.hpp"

namespace themis::aql {

pipeline::pipeline(query_run& run, const query& q, sink_fn sink) :
  run_(run), q_(q), sink_(std::move(sink)) {
  stages_.resize(q_.clauses.size());
  for (auto& s : stages_)
    s = std::make_unique<stage_state>();
}

pipeline::~pipeline() = default;

void pipeline::run(env& en) {
  base_ = en;
  push(0, en);
  finish();
}

bool pipeline::push(size_t i, env& en) {
  if (i == q_.clauses.size())
    return true;
  // one frame per clause: limits.max_aql_clauses may allow 100,000, more
  // than a small thread stack (limits.thread_stack_kb) holds
  if (engine::stack_exhausted())
    throw aql_error(error_kind::limit, "query too complex (stack depth)");
  auto& c = q_.clauses[i];
  auto& ev = run_.eval;
  switch (c.kind) {
    case clause_kind::for_:
      return push_for(i, en);
    case clause_kind::filter:
      if (!truthy(ev.eval(*c.e, en)))
        return true;
      return push(i + 1, en);
    case clause_kind::let:
      en[static_cast<size_t>(c.slot)] = ev.eval(*c.e, en);
      return push(i + 1, en);
    case clause_kind::sort: {
      if (stages_[i]->presorted)
        return push(i + 1, en);
      std::vector<json> keys;
      keys.reserve(c.sort.size());
      for (auto& k : c.sort)
        keys.push_back(ev.eval(*k.e, en));
      stages_[i]->rows.emplace_back(std::move(keys), en);
      return true;
    }
    case clause_kind::limit:
      return push_limit(i, en);
    case clause_kind::collect:
      return push_collect(i, en);
    case clause_kind::return_: {
      auto v = ev.eval(*c.e, en);
      if (c.distinct && !stages_[i]->distinct.insert(v).second)
        return true;
      return sink_(std::move(v));
    }
    default:
      return push_modify(i, en);
  }
}

void pipeline::finish() {
  for (size_t i = 0; i < q_.clauses.size(); ++i) {
    switch (q_.clauses[i].kind) {
      case clause_kind::sort:
        finish_sort(i);
        break;
      case clause_kind::collect:
        finish_collect(i);
        break;
      case clause_kind::insert:
      case clause_kind::update:
      case clause_kind::replace:
      case clause_kind::remove:
        flush_modify(i);
        break;
      default:
        break;
    }
  }
}

bool pipeline::push_for(size_t i, env& en) {
  auto& c = q_.clauses[i];
  auto slot = static_cast<size_t>(c.slot);
  auto& st = *stages_[i];
  if (c.graph)
    return push_graph(i, en);
  if (c.source->kind == expr_kind::collection) {
    if (!st.planned) {
      st.plan = plan_pushdown(q_, i + 1, c.slot);
      st.planned = true;
    }
    auto& name = collection_name(*c.source, run_);
    if (!run_.collection_exists(name))
      throw aql_error(error_kind::collection_not_found,
                      "collection or view not found: " + name, c.source->line,
                      c.source->column);
    bool* presorted =
      st.plan.sort ? &stages_[st.plan.sort->clause]->presorted : nullptr;
    return run_.scan(
      name, st.plan, en,
      [&](json& doc) {
        en[slot] = std::move(doc);
        return push(i + 1, en);
      },
      presorted);
  }
  auto src = run_.eval.eval(*c.source, en);
  if (!src.is_array())
    runtime_error_at(*c.source,
                     std::string("FOR needs an array or a collection, got ") +
                       type_name(src));
  uint32_t n = 0;
  for (auto& item : src) {
    run_.progress.rows_scanned.fetch_add(1, std::memory_order_relaxed);
    if ((++n & 255) == 0)
      run_.check_stop();
    en[slot] = std::move(item);
    if (!push(i + 1, en))
      return false;
  }
  return true;
}

bool pipeline::push_limit(size_t i, env& en) {
  auto& c = q_.clauses[i];
  auto& st = *stages_[i];
  if (!st.limit_ready) {
    auto number_arg = [&](const expr* e) -> uint64_t {
      if (!e)
        return 0;
      auto v = run_.eval.eval(*e, en);
      if (!v.is_number() || v.get<double>() < 0)
        runtime_error_at(*e, "LIMIT values must be non-negative numbers");
      return static_cast<uint64_t>(v.get<double>());
    };
    st.offset = number_arg(c.offset.get());
    st.count = number_arg(c.count.get());
    st.limit_ready = true;
  }
  if (st.seen < st.offset) {
    ++st.seen;
    return true;
  }
  if (st.emitted >= st.count)
    return false;
  ++st.emitted;
  bool more = push(i + 1, en);
  return more && st.emitted < st.count;
}

void pipeline::finish_sort(size_t i) {
  auto& c = q_.clauses[i];
  auto& rows = stages_[i]->rows;
  std::stable_sort(rows.begin(), rows.end(), [&](auto& a, auto& b) {
    for (size_t k = 0; k < c.sort.size(); ++k) {
      int r = compare(a.first[k], b.first[k]);
      if (r != 0)
        return c.sort[k].ascending ? r < 0 : r > 0;
    }
    return false;
  });
  auto taken = std::move(rows);
  rows.clear();
  for (auto& [keys, en] : taken)
    if (!push(i + 1, en))
      break;
}

bool pipeline::push_collect(size_t i, env& en) {
  auto& c = q_.clauses[i];
  auto& ev = run_.eval;
  json key = json::array();
  for (auto& g : c.groups)
    key.push_back(ev.eval(*g.e, en));
  auto [it, fresh] = stages_[i]->groups.try_emplace(std::move(key));
  auto& gs = it->second;
  if (fresh) {
    gs.first = en;
    gs.values.resize(c.aggregates.size());
  }
  ++gs.count;
  for (size_t a = 0; a < c.aggregates.size(); ++a) {
    auto& agg = c.aggregates[a];
    if (agg.function == "LENGTH" || agg.function == "COUNT")
      continue; // the group count is enough
    gs.values[a].push_back(ev.eval(*agg.e, en));
  }
  if (c.into_slot >= 0) {
    if (c.into_expr) {
      gs.into.push_back(ev.eval(*c.into_expr, en));
    } else {
      json row = json::object();
      for (auto& v : c.into_visible)
        row[v.name] = en[static_cast<size_t>(v.slot)];
      gs.into.push_back(std::move(row));
    }
  }
  return true;
}

void pipeline::finish_collect(size_t i) {
  auto& c = q_.clauses[i];
  auto& groups = stages_[i]->groups;
  // Without group keys there is exactly one group, even over no rows:
  // `COLLECT WITH COUNT INTO n` over nothing gives n = 0.
  if (groups.empty() && c.groups.empty()) {
    auto& gs = groups[json::array()];
    gs.first = base_;
    gs.values.resize(c.aggregates.size());
  }
  auto taken = std::move(groups);
  groups.clear();
  for (auto& [key, gs] : taken) {
    env en = gs.first;
    for (size_t g = 0; g < c.groups.size(); ++g)
      en[static_cast<size_t>(c.groups[g].slot)] = key[g];
    for (size_t a = 0; a < c.aggregates.size(); ++a) {
      auto& agg = c.aggregates[a];
      json result;
      if (agg.function == "LENGTH" || agg.function == "COUNT") {
        result = gs.count;
      } else {
        std::vector<json> args{json(std::move(gs.values[a]))};
        result = call_function(agg.function, args);
      }
      en[static_cast<size_t>(agg.slot)] = std::move(result);
    }
    if (c.into_slot >= 0)
      en[static_cast<size_t>(c.into_slot)] = std::move(gs.into);
    if (c.count_slot >= 0)
      en[static_cast<size_t>(c.count_slot)] = gs.count;
    if (!push(i + 1, en))
      break;
  }
}

} // namespace themis::aql
