#include "handlers/aql_explain.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "engine/aql/pushdown.hpp"
#include "engine/aql/sort_pushdown.hpp"
#include "engine/index_explain.hpp"
#include "engine/index_store.hpp"
#include "engine/search/search_service.hpp"
#include "engine/sqlite_db.hpp"

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

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return s;
}

/// Who is asking: the search index of a call is looked up in their
/// namespace only (another tenant's indexes are never named).
struct asker {
  bool known = false; ///< false: names are not resolved
  std::string tenant;
  bool all_tenants = false;
  /// The store and the query's bind values: set, each collection loop's
  /// pushed-down SQL is planned by SQLite and the index it uses named.
  std::string db_path;
  const json* bind = nullptr;
};

/// The engine's name of `collection` for the asker (query_run::stored).
std::string stored_name(const std::string& collection, const asker& who) {
  return collection.find('.') != std::string::npos
           ? (who.tenant.empty() && who.all_tenants ? collection
                                                    : std::string())
           : (who.tenant.empty() ? collection : who.tenant + "." + collection);
}

/// The index that serves the loop's SORT … LIMIT in order, if one does
/// (engine/aql/sort_pushdown.hpp): `"sort": {"index", "direction"}`.
void sort_use_json(json& loop, const aql::pushdown_plan& p,
                   const std::string& collection, const asker& who) {
  auto stored = stored_name(collection, who);
  if (who.db_path.empty() || !p.sort || stored.empty() || loop.contains("sort"))
    return;
  std::optional<aql::order_index> ix;
  try {
    engine::sqlite_db db(who.db_path, true, 2000);
    ix = aql::choose_order_index(
      *p.sort, p.conditions, engine::load_doc_indexes(db.handle(), stored),
      engine::ready_side_indexes(db.handle(), stored));
  } catch (const std::exception&) {
  }
  if (!ix)
    return;
  loop["sort"] = {{"index", ix->name},
                  {"direction", p.sort->descending ? "desc" : "asc"},
                  {"mode", "index_order"}};
  if (!loop.contains("index")) {
    loop["index"] = ix->name;
    if (loop["mode"] != "key_lookup")
      loop["mode"] = "index_scan";
  }
}

/// The persistent index (issue 22) SQLite picks for the loop's scan, from
/// EXPLAIN QUERY PLAN over the SQL the executor would run; conditions on
/// values only known while running (outer loop variables) are left out.
void index_use_json(json& loop, const aql::pushdown_plan& p,
                    const std::string& collection, const asker& who) {
  if (who.db_path.empty() || p.conditions.empty())
    return;
  auto stored = stored_name(collection, who);
  if (stored.empty())
    return;
  // literals, bind values and arrays of them (an IN list)
  auto known = [&](const aql::expr& e, json& out) {
    if (e.kind == aql::expr_kind::literal)
      return out = e.value, true;
    if (e.kind == aql::expr_kind::bind && who.bind && who.bind->is_object() &&
        who.bind->contains(e.name))
      return out = who.bind->at(e.name), true;
    return false;
  };
  std::vector<json> held(p.conditions.size());
  std::vector<const json*> values;
  for (size_t i = 0; i < p.conditions.size(); ++i) {
    auto& e = *p.conditions[i].value;
    bool ok = known(e, held[i]);
    if (!ok && e.kind == aql::expr_kind::array) {
      ok = true;
      held[i] = json::array();
      for (auto& a : e.args) {
        json x;
        ok = ok && known(*a, x);
        held[i].push_back(std::move(x));
      }
    }
    values.push_back(ok ? &held[i] : nullptr);
  }
  std::vector<json> params;
  std::vector<engine::side_index> side; // ready background indexes
  try {
    engine::sqlite_db db(who.db_path, true, 2000);
    side = engine::ready_side_indexes(db.handle(), stored);
  } catch (const std::exception&) {
  }
  auto sql = "SELECT doc FROM documents WHERE collection = ?" +
             aql::conditions_sql(p.conditions, values, params, side) +
             " ORDER BY key";
  auto ex = engine::explain_scan(who.db_path, stored, sql, params);
  if (ex.details.empty())
    return;
  std::string plan;
  for (auto& d : ex.details)
    plan += (plan.empty() ? "" : "; ") + d;
  loop["sqlite_plan"] = plan;
  if (!ex.index.empty()) {
    loop["index"] = ex.index;
    if (loop["mode"] != "key_lookup")
      loop["mode"] = "index_scan";
  }
}

/// The index a search call with literal collection and attribute reads,
/// as EXPLAIN names it; or why it cannot be named before running.
json search_index_json(search::index_kind kind, const aql::expr& coll,
                       const aql::expr& attr, const asker& who) {
  using aql::expr_kind;
  json n = {
    {"index_type", kind == search::index_kind::vector ? "vector" : "fulltext"}};
  if (coll.kind != expr_kind::literal || !coll.value.is_string() ||
      attr.kind != expr_kind::literal || !attr.value.is_string()) {
    n["index"] = nullptr;
    n["note"] = "collection and attribute are resolved at run time";
    return n;
  }
  auto name = coll.value.get<std::string>();
  auto attribute = attr.value.get<std::string>();
  n["collection"] = name;
  n["attribute"] = attribute;
  // the namespace rule of functions_search.cpp's prepare_call
  auto stored = stored_name(name, who);
  auto* svc = search::search_service::global();
  n["index"] = nullptr;
  if (!who.known || !svc || stored.empty())
    return n;
  try {
    auto st = svc->resolve(kind, stored, {}, attribute);
    n["index"] = st.def.name;
    n["state"] = st.state;
    if (kind == search::index_kind::vector) {
      n["metric"] = vector::metric_name(st.def.metric);
      n["dimension"] = st.def.dimension;
      n["ef_search"] = st.def.ef_search;
    } else {
      n["tokenizer"] = st.def.tokenizer;
    }
  } catch (const std::exception& e) {
    n["error"] = e.what(); // no such index: the query will fail with this
  }
  return n;
}

/// FOR x IN APPROX_NEAR(…) / FULLTEXT(…): the loop reads a search index.
std::optional<json> search_loop_json(const aql::clause& c, const asker& who) {
  if (c.kind != clause_kind::for_ || !c.source ||
      c.source->kind != aql::expr_kind::call || c.source->args.size() < 2)
    return std::nullopt;
  auto fn = upper(c.source->name);
  if (fn != "APPROX_NEAR" && fn != "FULLTEXT")
    return std::nullopt;
  auto kind = fn == "APPROX_NEAR" ? search::index_kind::vector
                                  : search::index_kind::fulltext;
  auto n = search_index_json(kind, *c.source->args[0], *c.source->args[1], who);
  n["mode"] = fn == "APPROX_NEAR" ? "vector_index" : "fulltext_index";
  n["variable"] = c.var;
  n["function"] = fn;
  return n;
}

/// SORT VECTOR_DISTANCE(x.attr, …) (or L2_DISTANCE / COSINE_SIMILARITY):
/// computed for every document of the loop (no index is used); names the
/// vector index APPROX_NEAR could use instead.
std::optional<json> vector_sort_json(const aql::clause& sort,
                                     const aql::clause& loop,
                                     const asker& who) {
  if (sort.kind != clause_kind::sort || sort.sort.empty() || !sort.sort[0].e ||
      sort.sort[0].e->kind != aql::expr_kind::call)
    return std::nullopt;
  auto& call = *sort.sort[0].e;
  auto fn = upper(call.name);
  if (fn != "VECTOR_DISTANCE" && fn != "L2_DISTANCE" &&
      fn != "COSINE_SIMILARITY")
    return std::nullopt;
  for (auto& a : call.args) {
    if (!a || a->kind != aql::expr_kind::attribute || a->args.empty() ||
        !a->args[0] || a->args[0]->kind != aql::expr_kind::variable ||
        a->args[0]->name != loop.var)
      continue;
    aql::expr coll, attr;
    coll.value = loop.source->name;
    attr.value = a->name;
    auto n = search_index_json(search::index_kind::vector, coll, attr, who);
    n["mode"] = "brute_force_sort";
    n["function"] = fn;
    n["note"] = "the distance is computed for every document of the loop; "
                "FOR r IN APPROX_NEAR(collection, attribute, vector, k) "
                "reads the vector index instead";
    return n;
  }
  return std::nullopt;
}

json plan_json(const aql::parsed_query& q, const asker& who);

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
  return plan_json(q, asker{});
}

json aql_plan_json(const aql::parsed_query& q, const std::string& tenant,
                   bool all_tenants) {
  return plan_json(q, asker{true, tenant, all_tenants, {}, nullptr});
}

json aql_plan_json(const aql::parsed_query& q, const std::string& tenant,
                   bool all_tenants, const std::string& db_path,
                   const json& bind) {
  return plan_json(q, asker{true, tenant, all_tenants, db_path, &bind});
}

namespace {

json plan_json(const aql::parsed_query& q, const asker& who) {
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
      if (auto s = search_loop_json(cs[i], who)) { // issue 32: an index
        if (loops.empty())
          mode = (*s)["mode"];
        loops.push_back(std::move(*s));
        continue;
      }
      if (!loops_collection(cs[i]))
        continue;
      auto p = aql::plan_pushdown(*q.root, i + 1, cs[i].slot);
      bool key = false;
      for (auto& c : p.conditions)
        key = key || (c.is_key && c.op == aql::op_code::eq);
      std::string m = key                     ? "key_lookup"
                      : !p.conditions.empty() ? "filtered_scan"
                                              : "full_scan";
      json loop = {{"collection", cs[i].source->name},
                   {"variable", cs[i].var},
                   {"mode", m},
                   {"pushed_conditions", p.conditions.size()}};
      if (!p.whole)
        loop["projection"] = p.attributes;
      index_use_json(loop, p, cs[i].source->name, who); // issue 22
      m = loop["mode"].get<std::string>();
      // a SORT on a vector distance later in the query (issue 32)
      for (size_t j = i + 1; j < cs.size(); ++j)
        if (auto v = vector_sort_json(cs[j], cs[i], who)) {
          loop["sort"] = std::move(*v);
          break;
        }
      sort_use_json(loop, p, cs[i].source->name, who); // SORT … LIMIT
      m = loop["mode"].get<std::string>();
      if (loops.empty())
        mode = m;
      loops.push_back(std::move(loop));
    }
  }
  return {{"mode", mode}, {"loops", loops}};
}

} // namespace

std::string aql_first_collection(const aql::parsed_query& q) {
  if (q.root)
    for (auto& c : q.root->clauses)
      if (loops_collection(c))
        return c.source->name;
  return {};
}

} // namespace themis
