#include <chrono>
#include <memory>

#include <nlohmann/json.hpp>

#include "engine/aql/executor.hpp"
#include "engine/aql/parser.hpp"
#include "engine/aql/traversal.hpp"
#include "engine/names.hpp"
#include "engine/store_schema.hpp"
#include "handlers/graph_routes.hpp"
#include "handlers/http_json.hpp"
#include "handlers/query_common.hpp"
#include "handlers/tenant_scope.hpp"

// Graph routes in ThemisDB's shapes (docs/graph.md). Edges are documents
// of an edge collection ("edges" unless the body names one); vertices are
// document handles "collection/key". The traversal runs as AQL on the
// query executor, so it has the same tenant namespace, time limit,
// cancellation on shutdown and traversal bounds as any query.

namespace themis {

namespace {

using json = nlohmann::json;

constexpr const char* default_edges = "edges";

/// The edge collection a body names: `collection`, `edge_collection` or
/// `edge_type` (ThemisDB's SDK sends an edge type: here each type is a
/// collection), else "edges". Empty when the value is not a valid name.
std::string edge_collection_of(const json& body) {
  for (auto name : {"collection", "edge_collection", "edge_type"})
    if (auto it = body.find(name); it != body.end() && !it->is_null()) {
      if (!it->is_string() ||
          !engine::valid_collection_name(it->get_ref<const std::string&>()))
        return {};
      return it->get<std::string>();
    }
  return default_edges;
}

bool read_object(route_context& ctx, json& body) {
  if (auto bad = parse_json_body(ctx.req.body, body)) {
    ctx.respond(std::move(*bad));
    return false;
  }
  if (body.is_discarded() || !body.is_object()) {
    ctx.respond(error_response(400, "body must be a JSON object"));
    return false;
  }
  return true;
}

} // namespace

void graph_edge_create(route_context& ctx) {
  json body;
  if (!read_object(ctx, body))
    return;
  auto coll = edge_collection_of(body);
  if (coll.empty())
    return ctx.respond(error_response(
      400, "invalid edge collection name (letters, digits, _ and -)"));
  if (!body.contains("_from") || !body.contains("_to"))
    return ctx.respond(error_response(400, "Missing '_from' or '_to'"));
  if (auto bad = aql::edge_document_error(body); !bad.empty())
    return ctx.respond(error_response(400, bad));
  std::string key;
  for (auto name : {"_key", "id"})
    if (auto it = body.find(name); it != body.end() && !it->is_null()) {
      if (!it->is_string() ||
          !engine::valid_key(it->get_ref<const std::string&>()))
        return ctx.respond(
          error_response(400, std::string("invalid edge key '") + name + "'"));
      key = it->get<std::string>();
    }
  body.erase("collection");
  body.erase("edge_collection");
  body.erase("_id");
  body.erase("_rev");
  if (!key.empty())
    body["_key"] = key;
  engine::write_op op;
  op.kind = engine::op_kind::insert;
  op.collection = stored_collection(ctx.req, coll);
  op.create_collection = true;
  op.edge = true; // a missing collection is made an edge collection
  op.doc = dump(body);
  auto from = body["_from"].get<std::string>();
  auto to = body["_to"].get<std::string>();
  submit_single(ctx.writer, std::move(op), ctx.respond,
                [coll, from, to](const engine::op_result& r, int status) {
                  return json_response(status,
                                       dump({{"success", true},
                                             {"id", r.key},
                                             {"_key", r.key},
                                             {"_id", coll + "/" + r.key},
                                             {"_rev", r.rev},
                                             {"_from", from},
                                             {"_to", to},
                                             {"collection", coll}}));
                });
}

void graph_edge_delete(route_context& ctx) {
  // the key, or a handle "collection/key"
  auto id = ctx.params.at(0);
  std::string coll =
    query_param(ctx.req.query, "collection").value_or(default_edges);
  std::string key = id;
  if (auto slash = id.find('/'); slash != std::string::npos) {
    coll = id.substr(0, slash);
    key = id.substr(slash + 1);
  }
  if (!engine::valid_collection_name(coll) || !engine::valid_key(key))
    return ctx.respond(error_response(400, "invalid edge id: " + id));
  engine::write_op op;
  op.kind = engine::op_kind::remove;
  op.collection = stored_collection(ctx.req, coll);
  op.key = key;
  submit_single(ctx.writer, std::move(op), ctx.respond,
                [coll, key](const engine::op_result&, int) {
                  return json_response(200, dump({{"success", true},
                                                  {"id", key},
                                                  {"_id", coll + "/" + key},
                                                  {"deleted", true}}));
                });
}

void graph_traverse(route_context& ctx) {
  json body;
  if (!read_object(ctx, body))
    return;
  // ThemisDB's request names the start `start_vertex`; its Python SDK
  // sends `start`
  auto start_it = body.find("start_vertex");
  if (start_it == body.end())
    start_it = body.find("start");
  auto depth_it = body.find("max_depth");
  if (start_it == body.end() || depth_it == body.end())
    return ctx.respond(
      error_response(400, "Missing 'start_vertex' or 'max_depth'"));
  if (!start_it->is_string() || start_it->get_ref<const std::string&>().empty())
    return ctx.respond(error_response(400, "'start_vertex' must be a string"));
  if (!depth_it->is_number_unsigned() ||
      depth_it->get<uint64_t>() > aql::max_traversal_depth)
    return ctx.respond(
      error_response(400, "'max_depth' must be an integer in [0, " +
                            std::to_string(aql::max_traversal_depth) + "]"));
  auto start = start_it->get<std::string>();
  auto max_depth = depth_it->get<uint64_t>();
  // ThemisDB names vertices by entity id "table:pk" (its SDKs send
  // "relational.default.users:1"): the handle of that entity's document,
  // and the answer lists vertices the same way. A bare key takes
  // `vertex_collection`.
  std::string handle = start;
  bool entity_ids = false;
  if (start.find('/') == std::string::npos) {
    if (auto vc = body.find("vertex_collection");
        vc != body.end() && vc->is_string()) {
      handle = vc->get<std::string>() + "/" + start;
    } else if (auto colon = start.find(':'); colon != std::string::npos) {
      auto table = engine::collection_of_themisdb_table(start.substr(0, colon));
      if (!table.empty()) {
        handle = table + "/" + start.substr(colon + 1);
        entity_ids = true;
      }
    }
  }
  std::string c, k;
  if (!aql::split_handle(handle, c, k))
    return ctx.respond(error_response(
      400, "'start_vertex' must be a document handle \"collection/key\", "
           "an entity id \"table:pk\" or a key with 'vertex_collection'"));
  auto dir_name = body.value("direction", std::string("outbound"));
  const char* dir = dir_name == "outbound"  ? "OUTBOUND"
                    : dir_name == "inbound" ? "INBOUND"
                    : dir_name == "any"     ? "ANY"
                                            : nullptr;
  if (!dir)
    return ctx.respond(error_response(
      400, "'direction' must be \"outbound\", \"inbound\" or \"any\""));
  auto edges = edge_collection_of(body);
  if (edges.empty())
    return ctx.respond(error_response(
      400, "invalid edge collection name (letters, digits, _ and -)"));

  // Nothing of the request is spliced into the query text but the
  // direction keyword, picked from three constants above.
  auto pq = std::make_shared<aql::parsed_query>(aql::parse(
    std::string("FOR v IN 0..@depth ") + dir +
    " @start @@edges OPTIONS {order: \"bfs\", uniqueVertices: \"global\", "
    "vertexStubs: true} RETURN v._id"));
  json binds = {{"depth", max_depth}, {"start", handle}, {"@edges", edges}};
  engine::store_options so;
  so.data_dir = ctx.env.config.engine.data_dir;
  auto db_path = engine::database_path(so);
  auto timeout = std::chrono::milliseconds(ctx.env.config.query.timeout_ms);
  auto max_rows = ctx.env.config.query.max_rows;
  auto tenant = ctx.req.who.tenant;
  bool all_tenants = tenant.empty() && ctx.req.who.is_admin();
  auto work = [=](blocking_writer& writer) -> api_response {
    aql::run_progress progress;
    aql::run_limits limits;
    limits.deadline = std::chrono::steady_clock::now() + timeout;
    limits.max_rows = max_rows;
    limits.server_stop = writer.stop_flag();
    limits.tenant = tenant;
    limits.all_tenants = all_tenants;
    json visited = json::array();
    try {
      aql::execute_file(
        db_path, *pq, binds,
        [](engine::write_batch) { return engine::write_result{}; }, progress,
        limits, [&](json row) { visited.push_back(std::move(row)); });
    } catch (const aql::aql_error& e) {
      if (e.kind() != aql::error_kind::collection_not_found)
        return aql_error_response(e);
      visited = json::array({handle}); // no edges yet: just the start
    } catch (const std::exception& e) {
      return error_response(500, std::string("traversal failed: ") + e.what());
    }
    if (entity_ids) // back to ThemisDB's "table:pk"
      for (auto& v : visited) {
        auto& h = v.get_ref<const std::string&>();
        auto slash = h.find('/');
        v = engine::themisdb_table_of(h.substr(0, slash)) + ":" +
            h.substr(slash + 1);
      }
    auto n = visited.size();
    return json_response(200, dump({{"start_vertex", start},
                                    {"max_depth", max_depth},
                                    {"visited_count", n},
                                    {"visited", visited},
                                    {"nodes", visited}}));
  };
  ctx.work.run_blocking(std::move(work), ctx.respond);
}

} // namespace themis
