/// POST /v1/query/validate and /v1/query/explain (issue 22): an AQL query
/// parsed and checked — bind parameters against bindVars, collections
/// against the store — or planned, without running it. Answers as
/// ArangoDB's POST /_api/query and /_api/explain do, in themisd's shape.

#include <set>

#include <nlohmann/json.hpp>

#include "engine/aql/parser.hpp"
#include "engine/store_schema.hpp"
#include "handlers/aql_explain.hpp"
#include "handlers/breadth_handlers.hpp"
#include "handlers/http_json.hpp"
#include "handlers/query_common.hpp"
#include "handlers/route_context.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using aql::expr;

/// The collection names a query reads or writes (not @@binds): FOR loops,
/// collection names in expressions, edge collections, modification
/// targets. The parser bounded the tree's height, so recursion is safe.
class collection_walk {
public:
  std::set<std::string> names;
  void query(const aql::query& q) {
    for (auto& c : q.clauses)
      clause(c);
  }

private:
  void e(const aql::expr_ptr& x) {
    if (!x)
      return;
    if (x->kind == aql::expr_kind::collection && !x->name.empty())
      names.insert(x->name); // "" : an @@bind, resolved below
    for (auto& a : x->args)
      e(a);
    for (auto& m : x->members) {
      e(m.key_expr);
      e(m.value);
    }
    if (x->sub)
      query(*x->sub);
  }
  void clause(const aql::clause& c) {
    for (auto* x : {&c.source, &c.e, &c.with, &c.options, &c.offset, &c.count,
                    &c.into_expr})
      e(*x);
    for (auto& s : c.sort)
      e(s.e);
    for (auto* vs : {&c.groups, &c.aggregates})
      for (auto& v : *vs)
        e(v.e);
    if (!c.collection.empty())
      names.insert(c.collection);
    if (auto& g = c.graph) {
      for (auto* x : {&g->min_depth, &g->max_depth, &g->start, &g->target,
                      &g->graph_name, &g->prune})
        e(*x);
      for (auto& ref : g->edges)
        if (!ref.bind)
          names.insert(ref.name);
    }
  }
};

/// The request's query parsed, or the error sent and nullopt.
std::optional<aql::parsed_query> parse_request(route_context& ctx,
                                               query_request& qr) {
  if (auto bad = read_query_request(ctx.req, qr)) {
    ctx.respond(std::move(*bad));
    return std::nullopt;
  }
  try {
    return aql::parse(qr.query);
  } catch (const aql::aql_error& e) {
    ctx.respond(aql_error_response(e));
    return std::nullopt;
  }
}

} // namespace

void query_validate(route_context& ctx) {
  query_request qr;
  auto pq = parse_request(ctx, qr);
  if (!pq)
    return;
  using aql::aql_error;
  using aql::error_kind;
  // bind parameters: when bindVars are sent they must match the query's
  // (ArangoDB refuses a missing and an unused one alike)
  bool sent = qr.body.contains("bindVars") || qr.body.contains("bind_vars") ||
              qr.body.contains("params");
  std::set<std::string> wanted(pq->bind_names.begin(), pq->bind_names.end());
  for (auto& c : pq->collection_binds)
    wanted.insert("@" + c);
  if (sent) {
    for (auto& w : wanted)
      if (!qr.bind_vars.contains(w))
        return ctx.respond(aql_error_response(
          aql_error(error_kind::semantic, "bind parameter '" + w +
                                            "' was not declared "
                                            "in bindVars")));
    for (auto& [k, v] : qr.bind_vars.items())
      if (!wanted.count(k))
        return ctx.respond(aql_error_response(aql_error(
          error_kind::semantic, "bind parameter '" + k + "' is not used")));
  }
  collection_walk walk;
  walk.query(*pq->root);
  for (auto& c : pq->collection_binds)
    if (auto v = qr.bind_vars.find("@" + c);
        v != qr.bind_vars.end() && v->is_string())
      walk.names.insert(v->get<std::string>());
  json collections = json::array();
  for (auto& name : walk.names) {
    auto stored = stored_collection(ctx.req, name);
    if (stored.empty() || !ctx.env.reader.collection_exists(stored))
      return ctx.respond(
        aql_error_response(aql_error(error_kind::collection_not_found,
                                     "collection or view not found: " + name)));
    collections.push_back(name);
  }
  json binds = json::array();
  for (auto& w : wanted)
    binds.push_back(w);
  ctx.respond(json_response(200, dump({{"valid", true},
                                       {"bindVars", binds},
                                       {"collections", collections},
                                       {"modifies", pq->modifies}})));
}

void query_explain(route_context& ctx) {
  query_request qr;
  auto pq = parse_request(ctx, qr);
  if (!pq)
    return;
  engine::store_options so;
  so.data_dir = ctx.env.config.engine.data_dir;
  auto& who = ctx.req.who;
  bool all_tenants = who.tenant.empty() && who.is_admin();
  json out;
  try {
    out = {{"ast", aql_ast_json(*pq)},
           {"plan", aql_plan_json(*pq, who.tenant, all_tenants,
                                  engine::database_path(so), qr.bind_vars)}};
  } catch (const aql::aql_error& e) {
    return ctx.respond(aql_error_response(e));
  }
  ctx.respond(json_response(200, dump(out)));
}

} // namespace themis
