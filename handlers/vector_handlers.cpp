/// POST /vector/search, POST /vector/batch_insert, GET /vector/index/stats,
/// GET/PUT /vector/index/config: ThemisDB's shapes (openapi.yaml), with
/// `table` (or `collection`) and `field` added to pick the index — ThemisDB
/// has one vector index per server; without them the principal's only
/// vector index is meant.

#include <filesystem>
#include <set>

#include "engine/names.hpp"
#include "engine/search/doc_filter.hpp"
#include "handlers/http_json.hpp"
#include "handlers/search_routes.hpp"
#include "handlers/tenant_scope.hpp"
#include "handlers/vector_snapshot_routes.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using search::index_kind;
using search::index_status;
using namespace search_http;

constexpr size_t max_batch_items = 10000;

std::string field_of(const json& body) {
  for (auto* n : {"field", "vector_field", "column"})
    if (auto it = body.find(n); it != body.end() && it->is_string())
      return it->get<std::string>();
  return {};
}

/// The vector index a request means (see the file comment).
index_status pick_index(const api_request& req, search::search_service& svc,
                        const std::string& stored, const json& body) {
  auto field = field_of(body);
  std::string name = body.contains("index") && body["index"].is_string()
                       ? body["index"].get<std::string>()
                       : std::string();
  if (!stored.empty())
    return svc.resolve(index_kind::vector, stored, name, field);
  std::vector<index_status> found;
  for (auto& s : visible(req, svc))
    if (s.def.kind == index_kind::vector &&
        (field.empty() || s.def.attribute == field) &&
        (name.empty() || s.def.name == name))
      found.push_back(std::move(s));
  if (found.empty())
    throw search::search_error(404, "no vector index; create one with POST "
                                    "/index/create {\"type\":\"vector\",…}");
  if (found.size() > 1)
    throw search::search_error(400, "there are several vector indexes; name "
                                    "one with 'table' (and 'field')");
  return found.front();
}

json hit_json(const index_status& idx, const vector::hit& h) {
  return {{"pk", h.key},
          {"distance", h.distance},
          {"score", vector::score_of(idx.def.metric, h.distance)}};
}

json config_json(const api_request& req, const index_status& s) {
  return {{"objectName", shown_collection(req, s.def.collection)},
          {"field", s.def.attribute},
          {"dimension", s.def.dimension},
          {"metric", s.def.metric == vector::metric::l2       ? "L2"
                     : s.def.metric == vector::metric::cosine ? "COSINE"
                                                              : "DOT"},
          {"efSearch", s.def.ef_search},
          {"M", s.def.m},
          {"efConstruction", s.def.ef_construction},
          {"hnswEnabled", true},
          {"state", s.state}};
}

} // namespace

void vector_search(route_context& ctx) {
  auto* svc = service(ctx);
  json body;
  std::string stored;
  if (!svc || !body_object(ctx, body) || !named_collection(ctx, body, stored))
    return;
  size_t k = 0;
  if (auto e = size_option(body, "k", 10, vector::max_k, k); !e.empty())
    return ctx.respond(error_response(400, e));
  if (!body.contains("vector"))
    return ctx.respond(error_response(400, "'vector' is required"));
  std::vector<search::condition> filter;
  if (auto e = search::parse_filter(body.value("filter", json()), filter);
      !e.empty())
    return ctx.respond(error_response(400, e));
  bool cursor = body.value("use_cursor", false);
  size_t offset = 0;
  if (auto c = body.find("cursor"); c != body.end() && !c->is_null()) {
    uint64_t n = 0;
    if (!c->is_string() || !parse_uint(c->get<std::string>(), n) ||
        n >= vector::max_k)
      return ctx.respond(error_response(400, "'cursor' is not a valid cursor"));
    offset = static_cast<size_t>(n);
  }
  auto work = [svc, body = std::move(body), stored, k, filter, cursor, offset,
               req = ctx.req,
               &env = ctx.env](blocking_writer&) -> api_response {
    try {
      auto idx = pick_index(req, *svc, stored, body);
      std::vector<float> q;
      if (auto e = vector::parse_vector(body["vector"], idx.def.dimension, q);
          !e.empty())
        return error_response(400, e);
      svc->wait_applied(idx.def.id, svc->current_sequence());
      size_t want = std::min(offset + k + (cursor ? 1 : 0), vector::max_k);
      // a filter is evaluated on the candidates: fetch more until enough
      // pass or the index has no more (bounded by max_k)
      size_t fetch = filter.empty() ? want : std::min(want * 4, vector::max_k);
      std::vector<vector::hit> kept;
      while (true) {
        auto hits = svc->vector_search(idx.def.id, q, fetch);
        kept.clear();
        for (auto& h : hits) {
          if (!filter.empty()) {
            auto doc = env.reader.get(idx.def.collection, h.key);
            if (!doc)
              continue;
            auto j = json::parse(doc->json, nullptr, false);
            if (j.is_discarded() || !search::matches(j, filter))
              continue;
          }
          kept.push_back(h);
          if (kept.size() >= want)
            break;
        }
        if (kept.size() >= want || hits.size() < fetch ||
            fetch >= vector::max_k)
          break;
        fetch = std::min(fetch * 4, vector::max_k);
      }
      json items = json::array();
      for (size_t i = offset; i < kept.size() && i < offset + k; ++i)
        items.push_back(hit_json(idx, kept[i]));
      if (!cursor)
        return json_response(
          200, dump({{"results", items}, {"k", k}, {"count", items.size()}}));
      bool more = kept.size() > offset + k;
      json out = {
        {"items", items}, {"batch_size", items.size()}, {"has_more", more}};
      if (more)
        out["next_cursor"] = std::to_string(offset + k);
      return json_response(200, dump(out));
    } catch (const std::exception& e) {
      return error_of(e);
    }
  };
  ctx.work.run_blocking(std::move(work), ctx.respond);
}

void vector_batch_insert(route_context& ctx) {
  auto* svc = service(ctx);
  json body;
  std::string stored;
  if (!svc || !body_object(ctx, body) || !named_collection(ctx, body, stored))
    return;
  auto items = body.find("items");
  if (items == body.end() || !items->is_array())
    return ctx.respond(error_response(
      400, "expected {\"items\": [{\"pk\", \"vector\", \"fields\"}…]}"));
  if (items->size() > max_batch_items)
    return ctx.respond(error_response(
      400, "the batch has " + std::to_string(items->size()) +
             " items; the limit is " + std::to_string(max_batch_items)));
  std::string field = field_of(body);
  size_t dim = 0;
  try {
    // the index decides the collection, field and dimension where it can
    if (!stored.empty() || !field.empty() || !visible(ctx.req, *svc).empty()) {
      auto idx = pick_index(ctx.req, *svc, stored, body);
      stored = idx.def.collection;
      field = idx.def.attribute;
      dim = idx.def.dimension;
    }
  } catch (const search::search_error& e) {
    if (stored.empty())
      return ctx.respond(error_of(e));
    // a collection without a vector index yet: plain documents
  }
  if (stored.empty())
    return ctx.respond(error_response(
      400, "name the collection with 'table' (there is no vector index)"));
  if (field.empty())
    field = "embedding";
  if (!search::valid_attribute(field))
    return ctx.respond(error_response(400, "'vector_field' is not valid"));
  engine::write_batch b;
  b.atomic = false;
  size_t errors = 0;
  for (auto& it : *items) {
    std::vector<float> v;
    auto pk = it.is_object() ? it.find("pk") : it.end();
    if (!it.is_object() || pk == it.end() || !pk->is_string() ||
        !it.contains("vector") ||
        !vector::parse_vector(it["vector"], dim, v).empty()) {
      ++errors;
      continue;
    }
    if (dim == 0)
      dim = v.size(); // without an index: the first vector fixes it
    json doc = json::object();
    if (auto f = it.find("fields"); f != it.end() && f->is_object())
      doc = *f;
    doc.erase("_key");
    doc.erase("_rev");
    doc[field] = it["vector"];
    engine::write_op op;
    op.kind = engine::op_kind::put;
    op.collection = stored;
    op.key = pk->get<std::string>();
    op.doc = dump(doc);
    op.create_collection = true;
    b.ops.push_back(std::move(op));
  }
  auto shown = shown_collection(ctx.req, stored);
  if (b.ops.empty())
    return ctx.respond(json_response(200, dump({{"inserted", 0},
                                                {"errors", errors},
                                                {"objectName", shown},
                                                {"dimension", dim}})));
  ctx.writer.submit(std::move(b), [respond = ctx.respond, errors, shown,
                                   dim](engine::write_result res) mutable {
    if (res.overloaded)
      return respond(unavailable_response(res));
    size_t inserted = 0;
    for (auto& r : res.results)
      http_status(r.status) < 400 ? ++inserted : ++errors;
    if (res.results.empty() && !res.error.empty())
      return respond(error_response(500, res.error));
    respond(json_response(200, dump({{"inserted", inserted},
                                     {"errors", errors},
                                     {"objectName", shown},
                                     {"dimension", dim}})));
  });
}

void vector_index_stats(route_context& ctx) {
  vector_index_config(ctx);
}

void vector_index_config(route_context& ctx) {
  auto* svc = service(ctx);
  if (!svc)
    return;
  json body = json::object();
  if (ctx.req.method == "PUT" && !body_object(ctx, body))
    return;
  for (auto* n : {"table", "field"})
    if (auto v = query_param(ctx.req.query, n))
      body[n] = *v;
  std::string stored;
  if (!named_collection(ctx, body, stored))
    return;
  try {
    auto idx = pick_index(ctx.req, *svc, stored, body);
    if (ctx.req.method == "PUT") {
      size_t ef = 0;
      if (auto e = size_option(body, "efSearch", 0, search::max_ef, ef);
          !e.empty() || ef == 0)
        return ctx.respond(
          error_response(400, e.empty() ? "'efSearch' is required" : e));
      svc->set_ef_search(idx.def.id, ef);
      return ctx.respond(json_response(
        200, dump({{"message", "vector index configuration updated"},
                   {"updated_fields", {{"efSearch", ef}}}})));
    }
    auto j = config_json(ctx.req, idx);
    if (ctx.req.path == "/vector/index/stats") {
      j["vectorCount"] = idx.entries;
      j["skipped"] = idx.skipped;
      j["progress"] = {{"built", idx.built}, {"total", idx.total}};
      j["applied_sequence"] = idx.applied_seq;
    }
    ctx.respond(json_response(200, dump(j)));
  } catch (const std::exception& e) {
    ctx.respond(error_of(e));
  }
}

} // namespace themis

// -- /vector/index/save|load, DELETE /vector/by-filter ----------------------

namespace themis {

namespace {

/// How many documents one DELETE /vector/by-filter changes at most.
constexpr size_t max_filter_deletes = 10000;

/// `<data_dir>/vector_snapshots/<tenant>/<directory>`, or "" when the
/// client's directory is not a relative path of plain names (no "..", no
/// absolute path: a client never names a place outside its own area).
std::string snapshot_dir(const route_context& ctx, const std::string& dir) {
  if (dir.empty() || dir.size() > 200 || dir.front() == '/')
    return {};
  std::filesystem::path out = std::filesystem::path(
    ctx.env.config.engine.data_dir.empty() ? "."
                                           : ctx.env.config.engine.data_dir);
  out /= "vector_snapshots";
  out /= ctx.req.who.tenant.empty() ? "_" : ctx.req.who.tenant;
  size_t from = 0, parts = 0;
  while (from <= dir.size()) {
    auto slash = dir.find('/', from);
    auto seg =
      dir.substr(from, slash == std::string::npos ? slash : slash - from);
    from = slash == std::string::npos ? dir.size() + 1 : slash + 1;
    if (seg.empty() || seg == ".")
      continue;
    if (seg == ".." || seg.size() > 64)
      return {};
    for (char c : seg)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
        return {};
    out /= seg;
    ++parts;
  }
  return parts ? out.string() : std::string();
}

} // namespace

void vector_index_save_load(route_context& ctx) {
  auto* svc = service(ctx);
  json body;
  std::string stored;
  if (!svc || !body_object(ctx, body) || !named_collection(ctx, body, stored))
    return;
  auto d = body.find("directory");
  if (d == body.end() || !d->is_string())
    return ctx.respond(
      error_response(400, "Missing required field: directory"));
  auto directory = d->get<std::string>();
  auto path = snapshot_dir(ctx, directory);
  if (path.empty())
    return ctx.respond(error_response(
      400, "'directory' must be a relative path of names ([A-Za-z0-9_.-], no "
           "'..'); snapshots live under the server's data directory"));
  bool save = ctx.req.path == "/vector/index/save";
  index_status idx;
  try {
    idx = pick_index(ctx.req, *svc, stored, body);
  } catch (const std::exception& e) {
    return ctx.respond(error_of(e));
  }
  auto id = idx.def.id;
  auto shown = shown_collection(ctx.req, idx.def.collection);
  ctx.work.run_blocking(
    [svc, id, path, directory, save, shown](blocking_writer&) {
      try {
        auto meta = save ? svc->save_vector_snapshot(id, path)
                         : svc->load_vector_snapshot(id, path);
        json out = {{"message", save ? "Index saved" : "Index loaded"},
                    {"directory", directory},
                    {"objectName", shown},
                    {"field", meta["attribute"]},
                    {"dimension", meta["dimension"]},
                    {"count", save ? meta["count"] : meta["loaded"]},
                    {"applied_sequence", meta["applied_seq"]}};
        return json_response(200, dump(out));
      } catch (const std::exception& e) {
        return error_of(e);
      }
    },
    ctx.respond);
}

void vector_delete_by_filter(route_context& ctx) {
  auto* svc = service(ctx);
  json body;
  std::string stored;
  if (!svc || !body_object(ctx, body) || !named_collection(ctx, body, stored))
    return;
  index_status idx;
  try {
    idx = pick_index(ctx.req, *svc, stored, body);
  } catch (const std::exception& e) {
    return ctx.respond(error_of(e));
  }
  auto& coll = idx.def.collection;
  auto& field = idx.def.attribute;
  auto has_vector = [&](const std::string& text) {
    auto doc = json::parse(text, nullptr, false);
    return doc.is_object() && search::attribute_of(doc, field) != nullptr;
  };
  std::vector<std::string> keys;
  auto pks = body.find("pks");
  auto prefix = body.find("prefix");
  std::string method;
  if (pks != body.end() && pks->is_array()) {
    method = "pks";
    if (pks->size() > max_filter_deletes)
      return ctx.respond(error_response(
        400, "at most " + std::to_string(max_filter_deletes) + " pks"));
    std::set<std::string> seen; // a key named twice is deleted once
    for (auto& k : *pks)
      if (k.is_string() && engine::valid_key(k.get_ref<const std::string&>()) &&
          seen.insert(k.get<std::string>()).second)
        if (auto d = ctx.env.reader.get(coll, k.get<std::string>());
            d && has_vector(d->json))
          keys.push_back(k.get<std::string>());
  } else if (prefix != body.end() && prefix->is_string() &&
             !prefix->get_ref<const std::string&>().empty()) {
    method = "prefix";
    auto& p = prefix->get_ref<const std::string&>();
    if (auto d = ctx.env.reader.get(coll, p); d && has_vector(d->json))
      keys.push_back(p);
    std::string after = p;
    bool more = true;
    while (more && keys.size() < max_filter_deletes) {
      auto page = ctx.env.reader.list(coll, after, 500);
      more = page.size() == 500;
      for (auto& d : page) {
        if (d.key.compare(0, p.size(), p) != 0) {
          more = false;
          break;
        }
        if (has_vector(d.json) && keys.size() < max_filter_deletes)
          keys.push_back(d.key);
        after = d.key;
      }
    }
  } else {
    return ctx.respond(error_response(
      400, "Provide either 'pks' array or a non-empty 'prefix' string"));
  }
  json answer = {{"deleted", 0}, {"method", method}};
  if (method == "prefix")
    answer["prefix"] = *prefix;
  if (keys.empty())
    return ctx.respond(json_response(200, dump(answer)));
  // the attribute goes (a merge patch sets it to null); the documents stay
  json patch = json::object();
  json* at = &patch;
  for (size_t from = 0;;) {
    auto dot = field.find('.', from);
    auto name = field.substr(from, dot == std::string::npos ? dot : dot - from);
    if (dot == std::string::npos) {
      (*at)[name] = nullptr;
      break;
    }
    at = &(*at)[name];
    from = dot + 1;
  }
  engine::write_batch b;
  b.atomic = false;
  for (auto& k : keys) {
    engine::write_op op;
    op.kind = engine::op_kind::patch;
    op.collection = coll;
    op.key = k;
    op.doc = dump(patch);
    b.ops.push_back(std::move(op));
  }
  ctx.writer.submit(std::move(b), [respond = ctx.respond,
                                   answer](engine::write_result res) mutable {
    if (res.results.empty())
      return respond(unavailable_response(res));
    size_t deleted = 0;
    for (auto& r : res.results)
      if (http_status(r.status) < 400)
        ++deleted;
    answer["deleted"] = deleted;
    respond(json_response(200, dump(answer)));
  });
}

} // namespace themis
