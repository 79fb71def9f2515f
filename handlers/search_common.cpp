/// Helpers shared by the vector, full-text and index handlers.

#include "handlers/http_json.hpp"
#include "handlers/search_routes.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis::search_http {

using json = nlohmann::json;

search::search_service* service(route_context& ctx) {
  auto* s = search::search_service::global();
  if (!s)
    ctx.respond(error_response(503, "search indexes are not available"));
  return s;
}

bool body_object(route_context& ctx, json& out) {
  if (auto bad = parse_json_body(ctx.req.body, out)) {
    ctx.respond(std::move(*bad));
    return false;
  }
  if (out.is_discarded() || !out.is_object()) {
    ctx.respond(error_response(400, "expected a JSON object"));
    return false;
  }
  return true;
}

bool named_collection(route_context& ctx, const json& body,
                      std::string& stored) {
  stored.clear();
  for (auto* n : {"table", "collection"}) {
    auto it = body.find(n);
    if (it == body.end())
      continue;
    if (!it->is_string() ||
        (stored = stored_collection(ctx.req, it->get<std::string>())).empty()) {
      ctx.respond(error_response(400, std::string("'") + n +
                                        "' must be a valid collection name"));
      return false;
    }
    return true;
  }
  return true;
}

api_response error_of(const std::exception& e) {
  if (auto* s = dynamic_cast<const search::search_error*>(&e)) {
    auto r = error_response(s->status, s->what());
    if (s->status == 503)
      r.headers.push_back({"Retry-After", "1"});
    return r;
  }
  return error_response(500, std::string("search: ") + e.what());
}

std::vector<search::index_status> visible(const api_request& req,
                                          search::search_service& svc) {
  std::vector<search::index_status> out;
  for (auto& s : svc.list(""))
    if (!shown_collection(req, s.def.collection).empty())
      out.push_back(std::move(s));
  return out;
}

std::string size_option(const json& body, const char* name, size_t def,
                        size_t hi, size_t& out) {
  out = def;
  auto it = body.find(name);
  if (it == body.end() || it->is_null())
    return {};
  if (!it->is_number_integer() || it->get<int64_t>() < 1 ||
      it->get<int64_t>() > static_cast<int64_t>(hi))
    return std::string("'") + name + "' must be an integer from 1 to " +
           std::to_string(hi);
  out = it->get<size_t>();
  return {};
}

} // namespace themis::search_http
