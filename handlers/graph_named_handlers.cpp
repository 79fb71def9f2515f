/// Named graphs over REST (issue 32, docs/graph.md): /v1/graphs and
/// /v1/graphs/{name}, with ArangoDB's gharial bodies (`edgeDefinitions`,
/// `orphanCollections`; the answer's `graph` object). A graph is a
/// document of the tenant's `_graphs` collection (engine/aql/named_graph.hpp),
/// so every read and write here is tenant-scoped by stored_collection.

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/aql/named_graph.hpp"
#include "engine/names.hpp"
#include "handlers/graph_routes.hpp"
#include "handlers/http_json.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// How many graphs GET /v1/graphs lists at most.
constexpr size_t max_listed_graphs = 1000;

/// A stored definition as the API shows it: with `_id`.
json shown_graph(const std::string& text) {
  auto g = json::parse(text, nullptr, false);
  if (!g.is_object())
    return json::object();
  if (auto k = g.find("_key"); k != g.end() && k->is_string())
    g["_id"] =
      std::string(aql::graphs_collection) + "/" + k->get<std::string>();
  return g;
}

api_response graph_answer(int status, json graph) {
  return json_response(
    status,
    dump({{"error", false}, {"code", status}, {"graph", std::move(graph)}}));
}

} // namespace

void graph_list(route_context& ctx) {
  auto stored = stored_collection(ctx.req, aql::graphs_collection);
  json graphs = json::array();
  if (!stored.empty() && ctx.env.reader.collection_exists(stored))
    for (auto& d : ctx.env.reader.list(stored, "", max_listed_graphs))
      graphs.push_back(shown_graph(d.json));
  ctx.respond(json_response(
    200, dump({{"error", false}, {"code", 200}, {"graphs", graphs}})));
}

void graph_get(route_context& ctx) {
  auto& name = ctx.params.at(0);
  auto stored = stored_collection(ctx.req, aql::graphs_collection);
  if (!engine::valid_key(name))
    return ctx.respond(error_response(400, "invalid graph name: " + name));
  auto d = ctx.env.reader.get(stored, name);
  if (!d)
    return ctx.respond(error_response(404, aql::graph_not_found_message(name)));
  ctx.respond(graph_answer(200, shown_graph(d->json)));
}

void graph_create(route_context& ctx) {
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  json def;
  std::string error;
  if (body.is_discarded() || !aql::normalize_graph_definition(body, def, error))
    return ctx.respond(error_response(
      400, error.empty() ? "body must be a JSON object" : error));
  // what exists, and of which type, in the caller's namespace
  std::map<std::string, std::string> types;
  for (auto& c : ctx.env.reader.collections())
    types[c.name] = c.type;
  engine::write_batch batch;
  batch.atomic = true;
  std::set<std::string> planned;
  auto ensure = [&](const std::string& name, bool edge) -> bool {
    auto stored = stored_collection(ctx.req, name);
    if (stored.empty() || planned.count(stored))
      return true;
    planned.insert(stored);
    if (auto it = types.find(stored); it != types.end()) {
      if (edge && it->second != "edge") {
        ctx.respond(error_response(
          400, "collection " + name +
                 " is not an edge collection (create it with type "
                 "\"edge\", or name another)"));
        return false;
      }
      return true;
    }
    engine::write_op op;
    op.kind = engine::op_kind::create_collection;
    op.collection = stored;
    op.edge = edge;
    batch.ops.push_back(std::move(op));
    return true;
  };
  // edge collections first: a name used as both is an edge collection
  for (auto& d : def["edgeDefinitions"])
    if (!ensure(d["collection"].get<std::string>(), true))
      return;
  for (auto& d : def["edgeDefinitions"])
    for (auto* side : {"from", "to"})
      for (auto& v : d[side])
        if (!ensure(v.get<std::string>(), false))
          return;
  for (auto& v : def["orphanCollections"])
    if (!ensure(v.get<std::string>(), false))
      return;
  auto name = def["name"].get<std::string>();
  engine::write_op op;
  op.kind = engine::op_kind::insert;
  op.collection = stored_collection(ctx.req, aql::graphs_collection);
  op.create_collection = true;
  op.key = name;
  op.doc = dump(def);
  batch.ops.push_back(std::move(op));
  auto audited = audit_on_success(ctx, "graph.create", "graph " + name);
  ctx.writer.submit(std::move(batch), [respond = ctx.respond, name,
                                       audited](engine::write_result res) {
    if (res.results.empty())
      return respond(unavailable_response(res));
    for (auto& r : res.results) {
      auto status = http_status(r.status);
      if (r.status == engine::op_status::not_executed || status < 400)
        continue;
      if (&r == &res.results.back() && r.status == engine::op_status::conflict)
        return respond(
          error_response(409, "graph '" + name + "' already exists"));
      return respond(error_response(status, r.message));
    }
    if (!res.committed)
      return respond(error_response(503, res.error));
    audited();
    auto out = graph_answer(201, shown_graph(res.results.back().doc));
    out.set_header("Location", "/v1/graphs/" + name);
    respond(std::move(out));
  });
}

void graph_delete(route_context& ctx) {
  auto name = ctx.params.at(0);
  if (!engine::valid_key(name))
    return ctx.respond(error_response(400, "invalid graph name: " + name));
  engine::write_op op;
  op.kind = engine::op_kind::remove;
  op.collection = stored_collection(ctx.req, aql::graphs_collection);
  op.key = name;
  auto audited = audit_on_success(ctx, "graph.drop", "graph " + name);
  engine::write_batch batch;
  batch.ops.push_back(std::move(op));
  ctx.writer.submit(std::move(batch), [respond = ctx.respond, name,
                                       audited](engine::write_result res) {
    if (res.results.empty())
      return respond(unavailable_response(res));
    auto& r = res.results.front();
    if (r.status == engine::op_status::not_found ||
        r.status == engine::op_status::collection_not_found)
      return respond(error_response(404, aql::graph_not_found_message(name)));
    if (http_status(r.status) >= 400)
      return respond(error_response(http_status(r.status), r.message));
    if (!res.committed)
      return respond(error_response(503, res.error));
    audited();
    respond(json_response(
      200, dump({{"error", false}, {"code", 200}, {"removed", true}})));
  });
}

} // namespace themis
