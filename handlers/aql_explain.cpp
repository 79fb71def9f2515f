#include "handlers/aql_explain.hpp"

#include "engine/aql/pushdown.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using aql::clause_kind;

const char* clause_name(clause_kind k) {
  switch (k) {
    case clause_kind::for_:
      return "FOR";
    case clause_kind::filter:
      return "FILTER";
    case clause_kind::let:
      return "LET";
    case clause_kind::sort:
      return "SORT";
    case clause_kind::limit:
      return "LIMIT";
    case clause_kind::collect:
      return "COLLECT";
    case clause_kind::return_:
      return "RETURN";
    case clause_kind::insert:
      return "INSERT";
    case clause_kind::update:
      return "UPDATE";
    case clause_kind::replace:
      return "REPLACE";
    case clause_kind::remove:
      return "REMOVE";
  }
  return "?";
}

bool loops_collection(const aql::clause& c) {
  return c.kind == clause_kind::for_ && c.source &&
         c.source->kind == aql::expr_kind::collection;
}

} // namespace

json aql_ast_json(const aql::parsed_query& q) {
  json clauses = json::array();
  if (!q.root)
    return {{"type", "query"}, {"clauses", clauses}};
  for (auto& c : q.root->clauses) {
    json j = {{"type", clause_name(c.kind)}, {"line", c.line}};
    if (!c.var.empty())
      j["variable"] = c.var;
    if (loops_collection(c))
      j["collection"] = c.source->name;
    else if (c.kind == clause_kind::for_)
      j["source"] = "expression";
    if (!c.collection.empty())
      j["collection"] = c.collection;
    if (!c.collection_bind.empty())
      j["collection"] = "@@" + c.collection_bind;
    if (c.kind == clause_kind::sort)
      j["keys"] = c.sort.size();
    if (c.kind == clause_kind::return_ && c.distinct)
      j["distinct"] = true;
    clauses.push_back(std::move(j));
  }
  return {{"type", "query"}, {"clauses", clauses}};
}

json aql_plan_json(const aql::parsed_query& q) {
  json loops = json::array();
  std::string mode = "no_collection";
  if (q.root) {
    auto& cs = q.root->clauses;
    for (size_t i = 0; i < cs.size(); ++i) {
      if (!loops_collection(cs[i]))
        continue;
      auto p = aql::plan_pushdown(*q.root, i + 1, cs[i].slot);
      bool key = false;
      for (auto& c : p.conditions)
        key = key || (c.is_key && c.op == aql::op_code::eq);
      const char* m = key                     ? "key_lookup"
                      : !p.conditions.empty() ? "filtered_scan"
                                              : "full_scan";
      json loop = {{"collection", cs[i].source->name},
                   {"variable", cs[i].var},
                   {"mode", m},
                   {"pushed_conditions", p.conditions.size()}};
      if (!p.whole)
        loop["projection"] = p.attributes;
      if (loops.empty())
        mode = m;
      loops.push_back(std::move(loop));
    }
  }
  return {{"mode", mode}, {"loops", loops}};
}

std::string aql_first_collection(const aql::parsed_query& q) {
  if (q.root)
    for (auto& c : q.root->clauses)
      if (loops_collection(c))
        return c.source->name;
  return {};
}

} // namespace themis
