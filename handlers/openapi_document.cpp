#include "handlers/openapi_document.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "handlers/route_registry.hpp"
#include "handlers/route_schemas.hpp"

namespace themis {

using json = nlohmann::json;

const char* api_version() {
  return "1.0.0";
}

namespace {

const std::map<std::string, std::string>& tag_descriptions() {
  static const std::map<std::string, std::string> t = {
    {"health", "Liveness, readiness, Prometheus metrics"},
    {"collections", "Collections (themisd's own shapes)"},
    {"documents", "Documents with revisions and conditional requests"},
    {"query", "AQL: whole results, cursors, streams"},
    {"jobs", "Background jobs"},
    {"keys", "API keys (admin, or a tenant admin for its own keys)"},
    {"audit", "The audit log (admin)"},
    {"admin", "Server administration (global admin)"},
    {"entities", "ThemisDB's entity API (table:pk keys, blobs)"},
    {"transactions", "ThemisDB's HTTP transactions"},
    {"changefeed", "The changefeed: long-poll, SSE, WebSocket"},
    {"indexes", "Search index definitions"},
    {"vector", "Vector indexes and k-NN search"},
    {"search", "Full-text and hybrid search"},
    {"graph", "Edges, traversals, named graphs"},
    {"graphql", "GraphQL over HTTP (docs/graphql.md)"},
    {"mcp", "Model Context Protocol (docs/mcp.md)"},
    {"arangodb", "The ArangoDB HTTP API subset (docs/arangodb-api.md); "
                 "also under /_db/{db}/_api, errors in ArangoDB's shape"},
    {"oauth2", "The OAuth2 / OpenID Connect provider (docs/security.md; "
               "404 unless oauth2.enabled), errors in RFC 6749's shape"},
    {"saml", "The SAML 2.0 service provider: SSO and SLO against an IdP "
             "(docs/security.md; 404 unless saml.enabled)"},
    {"usb_admin", "USB admin keys: break-glass admin login with a key "
                  "file (docs/security.md; 404 unless "
                  "auth.usb_admin.enabled)"},
    {"meta", "This description, the reference page, versions"}};
  return t;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 207:
      return "Multi-Status";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad request";
    case 401:
      return "Authentication required";
    case 403:
      return "Insufficient scope";
    case 404:
      return "Not found";
    case 405:
      return "Method not allowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 412:
      return "Precondition failed";
    case 415:
      return "Unsupported media type";
    case 426:
      return "Upgrade required";
    case 429:
      return "Rate limited";
    case 500:
      return "Internal error";
    case 501:
      return "Not implemented";
    case 503:
      return "Unavailable";
    case 504:
      return "Timed out";
    default:
      return "Error";
  }
}

std::string operation_id(const std::string& method, const std::string& path) {
  std::string id = method == "*" ? "any" : method;
  for (auto& c : id)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool sep = true;
  for (char c : path) {
    bool word = std::isalnum(static_cast<unsigned char>(c));
    if (word) {
      if (sep)
        id.push_back('_');
      id.push_back(c);
    }
    sep = !word;
  }
  return path == "/" ? id + "_root" : id;
}

json problem_schema() {
  auto e = schemas::error_body();
  e["properties"]["type"] = schemas::type("string");
  e["properties"]["title"] = schemas::type("string");
  e["properties"]["status"] = schemas::type("integer");
  e["properties"]["detail"] = schemas::type("string");
  e["properties"]["instance"] = schemas::type("string");
  e["properties"]["errors"] = schemas::array_of(schemas::object_of(
    {{"in", {{"type", "string"}, {"enum", {"body", "query"}}}},
     {"pointer", schemas::type("string")},
     {"detail", schemas::type("string")}},
    {"in", "pointer", "detail"}));
  e["required"] = {"type",  "title",   "status",     "errors",
                   "error", "message", "status_code"};
  return e;
}

json arango_error() {
  return schemas::object_of({{"error", schemas::type("boolean")},
                             {"errorNum", schemas::type("integer")},
                             {"errorMessage", schemas::type("string")},
                             {"code", schemas::type("integer")}},
                            {"error", "code"});
}

json media(const std::string& type, json schema, const json& example = {}) {
  if (type.rfind("text/", 0) == 0 || type == "application/x-ndjson")
    schema = schemas::type("string");
  json m = {{"schema", schema.is_null() ? json::object() : schema}};
  if (!example.is_null())
    m["example"] = example;
  return {{type, m}};
}

json operation(const route_entry& e, const route_op& o, bool arango,
               std::set<std::string>& refs) {
  json op = {{"operationId", operation_id(o.method, label_of(e.path))},
             {"summary", o.summary},
             {"tags", o.tags}};
  if (!o.description.empty())
    op["description"] = o.description;
  else if (o.method == "*")
    op["description"] = "Answers every method (ThemisDB's probes).";
  if (!e.alias_of.empty())
    op["description"] =
      op.value("description", "") + " Alias of " + e.alias_of + ".";
  json params = json::array();
  for (auto& seg : split_template(e.path))
    if (seg.size() > 2 && seg.front() == '{') {
      auto name =
        seg.substr(seg[1] == '_' ? 2 : 1, seg.size() - (seg[1] == '_' ? 3 : 2));
      params.push_back({{"name", name},
                        {"in", "path"},
                        {"required", true},
                        {"schema", schemas::type("string")}});
    }
  if (o.query_schema.is_object() && o.query_schema.contains("properties")) {
    auto req = o.query_schema.value("required", json::array());
    for (auto& [name, s] : o.query_schema["properties"].items()) {
      bool r = std::find(req.begin(), req.end(), name) != req.end();
      params.push_back(
        {{"name", name}, {"in", "query"}, {"required", r}, {"schema", s}});
    }
  }
  if (!params.empty())
    op["parameters"] = params;
  if (!o.body_schema.is_null() || !o.example.is_null())
    op["requestBody"] = {
      {"required", !o.body_schema.is_null()},
      {"content", media(o.request_type, o.body_schema, o.example)}};
  for (auto& [type, schema] : o.other_bodies)
    op["requestBody"]["content"].update(media(type, schema));
  json responses = json::object();
  responses[std::to_string(o.success)] = {
    {"description", reason(o.success)},
    {"content", media(o.response_type, o.response_schema)}};
  std::set<int> errs(o.errors.begin(), o.errors.end());
  if (!o.body_schema.is_null() || !o.query_schema.is_null())
    errs.insert(400);
  if (o.scope && !o.scope->empty())
    errs.insert({401, 403});
  errs.insert({429, 500, 503});
  for (int s : errs) {
    if (s < 300 && s != o.success) { // a further success
      responses[std::to_string(s)] = {
        {"description", reason(s)},
        {"content", media(o.response_type, o.response_schema)}};
      continue;
    }
    if (o.own_error_shape && s >= 400) {
      responses[std::to_string(s)] = {
        {"description", reason(s)},
        {"content", {{"application/json", {{"schema", json::object()}}}}}};
      continue;
    }
    std::string ref = (s == 304 ? "NotModified"
                       : arango ? "Arango" + std::to_string(s)
                                : "Error" + std::to_string(s));
    refs.insert(ref);
    responses[std::to_string(s)] = {{"$ref", "#/components/responses/" + ref}};
  }
  op["responses"] = responses;
  if (!o.scope || o.scope->empty()) {
    if (o.scope)
      op["security"] = json::array();
    else { // /metrics: open or admin by configuration
      op["description"] = "Public when auth.open_metrics is set; else the "
                          "admin scope.";
      op["security"] = {json::object(),
                        {{"bearerAuth", {"admin"}}},
                        {{"apiKeyAuth", {"admin"}}}};
    }
  } else {
    json roles =
      *o.scope == "authenticated" ? json::array() : json::array({*o.scope});
    op["security"] = {{{"bearerAuth", roles}}, {{"apiKeyAuth", roles}}};
    op["x-required-scope"] = *o.scope;
  }
  if (o.deprecation.active()) {
    op["deprecated"] = true;
    op["x-deprecation"] = {{"deprecated_at", o.deprecation.deprecated_at},
                           {"sunset_at", o.deprecation.sunset_at},
                           {"successor", o.deprecation.successor}};
  }
  op["x-rate-limit-group"] = o.rate_group;
  if (o.cache.active) // issue 22: docs/caching.md
    op["x-cache-control"] = o.cache.shared_value;
  return op;
}

json component_response(const std::string& ref) {
  if (ref == "NotModified")
    return {{"description", "Not modified (If-None-Match)"}};
  bool arango = ref.rfind("Arango", 0) == 0;
  int status = std::stoi(ref.substr(arango ? 6 : 5));
  json content = {
    {"application/json",
     {{"schema",
       {{"$ref", std::string("#/components/schemas/") +
                   (arango ? "ArangoError" : "ErrorResponse")}}}}}};
  if (status == 400 && !arango)
    content["application/problem+json"] = {
      {"schema", {{"$ref", "#/components/schemas/ValidationProblem"}}}};
  return {{"description", reason(status)}, {"content", content}};
}

} // namespace

json openapi_document(const route_registry& reg,
                      const std::string& server_version) {
  json paths = json::object();
  std::set<std::string> refs, tags;
  for (auto& e : reg.routes()) {
    if (!e->documented || e->reserved || e->path.find('*') != std::string::npos)
      continue;
    bool arango = !e->tags.empty() && e->tags.front() == "arangodb";
    json item = json::object();
    for (auto& o : e->ops) {
      for (auto& t : o.tags)
        tags.insert(t);
      auto m = o.method == "*" ? std::string("get") : o.method;
      for (auto& c : m)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      item[m] = operation(*e, o, arango, refs);
    }
    paths[label_of(e->path)] = std::move(item);
  }
  json tag_list = json::array();
  for (auto& t : tags) {
    auto d = tag_descriptions().find(t);
    tag_list.push_back(
      {{"name", t},
       {"description", d == tag_descriptions().end() ? t : d->second}});
  }
  json responses = json::object();
  for (auto& r : refs)
    responses[r] = component_response(r);
  return {
    {"openapi", "3.1.0"},
    {"info",
     {{"title", "themisd REST API"},
      {"version", api_version()},
      {"x-server-version", server_version},
      {"description",
       "The HTTP API of themisd, generated from its handler registry. "
       "Versioned under /api/v1 (docs/versioning.md); /v1/... paths are "
       "deprecated aliases; ThemisDB's own paths keep their shapes. Errors "
       "carry ThemisDB's body {error, message, status_code}; a request "
       "that fails its schema gets 400 application/problem+json (RFC "
       "9457) with one entry per violation."}}},
    {"servers", {{{"url", "/"}, {"description", "this server"}}}},
    {"tags", tag_list},
    {"paths", paths},
    {"components",
     {{"securitySchemes",
       {{"bearerAuth",
         {{"type", "http"},
          {"scheme", "bearer"},
          {"bearerFormat", "JWT"},
          {"description", "A JWT or an API key as a bearer token"}}},
        {"apiKeyAuth",
         {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}}}}},
      {"schemas",
       {{"ErrorResponse", schemas::error_body()},
        {"ValidationProblem", problem_schema()},
        {"ArangoError", arango_error()}}},
      {"responses", responses}}}};
}

} // namespace themis
