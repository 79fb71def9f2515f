/// Persistent and TTL indexes over REST (issue 22). Definitions are read
/// from the store's collection_indexes table on a short-lived read-only
/// connection; creating and dropping go through the store writer (a build
/// is one write: it blocks other writes while it runs, docs/indexes.md;
/// an "inBackground" one is built in chunks, engine/index_background.hpp).

#include "handlers/collection_index_handlers.hpp"

#include <algorithm>
#include <cctype>

#include "engine/index_store.hpp"
#include "engine/sqlite_db.hpp"
#include "engine/store_schema.hpp"
#include "handlers/http_json.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

std::vector<engine::doc_index_def> load_at(const std::string& data_dir,
                                           const std::string& stored) {
  engine::store_options so;
  so.data_dir = data_dir;
  engine::sqlite_db db(engine::database_path(so), true, 2000);
  return engine::load_doc_indexes(db.handle(), stored);
}

std::vector<engine::doc_index_def> load(route_context& ctx,
                                        const std::string& stored) {
  return load_at(ctx.env.config.engine.data_dir, stored);
}

json entry(const engine::doc_index_def& d) {
  auto j = engine::doc_index_json(d);
  j["inBackground"] = d.background;
  j["sqlite_index"] = d.background
                        ? engine::doc_index_side_name(d.collection, d.name)
                        : engine::doc_index_sqlite_name(d.collection, d.name);
  // a foreground index is built inside the write that created it
  j["state"] = d.state;
  if (d.background) {
    j["progress"] = {
      {"documents", d.built},
      {"total", d.total},
      {"percent", d.state == "ready" ? 100.0
                  : d.total > 0
                    ? std::min(99.9, 100.0 * static_cast<double>(d.built) /
                                       static_cast<double>(d.total))
                    : 0.0}};
    if (!d.error.empty())
      j["error"] = d.error;
  }
  return j;
}

/// The answer for a failed index write, in the principal's names.
api_response refusal(const engine::op_result& r, const std::string& shown) {
  switch (r.status) {
    case engine::op_status::collection_not_found:
      return error_response(404, "collection not found: " + shown);
    case engine::op_status::not_found:
      return error_response(404, r.message);
    case engine::op_status::conflict:
      return error_response(409, r.message);
    case engine::op_status::invalid:
      return error_response(400, r.message);
    default:
      return error_response(500, "index write failed: " + r.message);
  }
}

} // namespace

bool is_doc_index_request(const json& body) {
  auto t = body.value("type", std::string());
  return t == "persistent" || t == "ttl" || t == "hash" || t == "skiplist";
}

namespace {

/// Creates the index; `themisdb` (table, column) answers in ThemisDB's
/// shape instead of the index entry.
void create_as(route_context& ctx, const json& body, const std::string& stored,
               std::optional<json> themisdb) {
  engine::doc_index_def d;
  if (auto e = engine::parse_doc_index(body, d); !e.empty())
    return ctx.respond(error_response(400, e));
  engine::write_op op;
  op.kind = engine::op_kind::create_index;
  op.collection = stored;
  op.doc = body.dump(-1, ' ', false, json::error_handler_t::replace);
  engine::write_batch b;
  b.ops.push_back(std::move(op));
  auto shown = shown_collection(ctx.req, stored);
  ctx.writer.submit(
    std::move(b),
    [respond = ctx.respond, shown, stored, themisdb,
     dir = ctx.env.config.engine.data_dir](engine::write_result res) mutable {
      if (res.results.empty())
        return respond(unavailable_response(res));
      auto& r = res.results.front();
      if (r.status != engine::op_status::ok &&
          r.status != engine::op_status::created)
        return respond(refusal(r, shown));
      if (!res.committed)
        return respond(error_response(503, res.error));
      engine::doc_index_def made;
      made.collection = stored;
      engine::doc_index_from_json(json::parse(r.doc, nullptr, false), made);
      bool building = r.rev == "building"; // a background build just began
      if (building) {
        made.state = "building";
        for (auto& d : load_at(dir, stored)) // its progress as stored
          if (d.name == made.name)
            made = d;
      }
      auto j = entry(made);
      j["collection"] = shown;
      bool created = r.status == engine::op_status::created;
      j["isNewlyCreated"] = created;
      if (themisdb) {
        (*themisdb)["success"] = true;
        (*themisdb)["index"] = j;
        return respond(json_response(200, dump(*themisdb)));
      }
      // 202: the index exists but is not used until its build finishes
      // (GET …/indexes/{name} shows the progress)
      respond(json_response(building ? 202 : created ? 201 : 200, dump(j)));
    });
}

/// ThemisDB's type and column as this server's index name, or "".
std::string themisdb_name(const json& body, std::string& column) {
  auto type = body.value("type", std::string("equality"));
  if (type != "equality" && type != "range")
    return {};
  column = body.value("column", body.value("field", std::string()));
  std::string n = type == "range" ? "range_" : "eq_";
  for (char c : column)
    n += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
  return n.substr(0, engine::max_index_name_bytes);
}

} // namespace

void doc_index_create(route_context& ctx, const json& body,
                      const std::string& stored) {
  create_as(ctx, body, stored, std::nullopt);
}

bool themisdb_index_create(route_context& ctx, const json& body,
                           const std::string& stored) {
  std::string column;
  auto name = themisdb_name(body, column);
  if (name.empty())
    return false;
  if (column.empty()) {
    ctx.respond(error_response(400, "'column' is required"));
    return true;
  }
  bool range = body.value("type", std::string("equality")) == "range";
  auto u = body.find("unique");
  if (u != body.end() && !u->is_boolean() && !u->is_null()) {
    ctx.respond(error_response(400, "'unique' must be a boolean"));
    return true;
  }
  json def = {{"type", "persistent"},
              {"fields", {column}},
              {"unique", !range && body.value("unique", false)},
              {"name", name}};
  create_as(ctx, def, stored,
            json{{"table", body.value("table", body.value("collection", ""))},
                 {"column", column}});
  return true;
}

bool themisdb_index_drop(route_context& ctx, const json& body,
                         const std::string& stored) {
  std::string column;
  auto name = themisdb_name(body, column);
  if (name.empty() || !doc_index_find(ctx, stored, name))
    return false;
  engine::write_op op;
  op.kind = engine::op_kind::drop_index;
  op.collection = stored;
  op.key = name;
  engine::write_batch b;
  b.ops.push_back(std::move(op));
  auto shown = shown_collection(ctx.req, stored);
  json answer = {{"success", true},
                 {"table", body.value("table", body.value("collection", ""))},
                 {"column", column}};
  ctx.writer.submit(std::move(b), [respond = ctx.respond, shown,
                                   answer](engine::write_result res) {
    if (res.results.empty())
      return respond(unavailable_response(res));
    auto& r = res.results.front();
    if (r.status != engine::op_status::ok)
      return respond(refusal(r, shown));
    if (!res.committed)
      return respond(error_response(503, res.error));
    respond(json_response(200, dump(answer)));
  });
  return true;
}

json doc_index_list(route_context& ctx, const std::string& stored) {
  json out = json::array();
  for (auto& d : load(ctx, stored))
    out.push_back(entry(d));
  return out;
}

std::optional<json> doc_index_find(route_context& ctx,
                                   const std::string& stored,
                                   const std::string& name) {
  for (auto& d : load(ctx, stored))
    if (d.name == name)
      return entry(d);
  return std::nullopt;
}

void doc_index_drop(route_context& ctx, const std::string& stored,
                    const std::string& name) {
  engine::write_op op;
  op.kind = engine::op_kind::drop_index;
  op.collection = stored;
  op.key = name;
  engine::write_batch b;
  b.ops.push_back(std::move(op));
  auto shown = shown_collection(ctx.req, stored);
  ctx.writer.submit(std::move(b), [respond = ctx.respond, shown,
                                   name](engine::write_result res) {
    if (res.results.empty())
      return respond(unavailable_response(res));
    auto& r = res.results.front();
    if (r.status != engine::op_status::ok)
      return respond(refusal(r, shown));
    if (!res.committed)
      return respond(error_response(503, res.error));
    respond(
      json_response(200, dump({{"dropped", name}, {"collection", shown}})));
  });
}

} // namespace themis
