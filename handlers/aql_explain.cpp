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

/// EXPLAIN's node for a FOR over a graph: its kind, direction, edge
/// collections and the index it reads edges through.
json graph_node_json(const aql::clause& c) {
  auto& g = *c.graph;
  using aql::graph_kind;
  const char* kind = g.kind == graph_kind::traversal       ? "traversal"
                     : g.kind == graph_kind::shortest_path ? "shortest_path"
                     : g.kind == graph_kind::k_shortest_paths
                       ? "k_shortest_paths"
                       : "all_shortest_paths";
  const char* dir = g.direction == aql::edge_direction::outbound  ? "OUTBOUND"
                    : g.direction == aql::edge_direction::inbound ? "INBOUND"
                                                                  : "ANY";
  json edges = json::array();
  for (auto& e : g.edges)
    edges.push_back(e.bind ? "@@" + e.name : e.name);
  json n = {{"mode", kind},
            {"variable", c.var},
            {"direction", dir},
            {"edge_collections", edges},
            {"edge_index", g.direction == aql::edge_direction::outbound
                             ? "documents_edge_from"
                           : g.direction == aql::edge_direction::inbound
                             ? "documents_edge_to"
                             : "documents_edge_from+documents_edge_to"}};
  auto lit = [](const aql::expr_ptr& e) -> json {
    return e && e->kind == aql::expr_kind::literal ? e->value : json();
  };
  if (g.kind == graph_kind::traversal) {
    n["min_depth"] = g.min_depth ? lit(g.min_depth) : json(1);
    n["max_depth"] = g.max_depth ? lit(g.max_depth) : n["min_depth"];
    n["prune"] = static_cast<bool>(g.prune);
  }
  if (!g.edge_var.empty())
    n["edge_variable"] = g.edge_var;
  if (!g.path_var.empty())
    n["path_variable"] = g.path_var;
  return n;
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
    else if (c.graph)
      j["source"] = "graph";
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
      if (cs[i].graph) { // issue 32: the traversal node
        auto t = graph_node_json(cs[i]);
        if (loops.empty())
          mode = t["mode"];
        loops.push_back(std::move(t));
        continue;
      }
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
