#include "handlers/request_validation.hpp"

#include <cstdlib>
#include <stdexcept>

#include "engine/json_schema.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_registry.hpp"

namespace themis {

using json = nlohmann::json;

/// A route's schema, compiled once (engine/json_schema.hpp).
struct compiled_schema {
  std::shared_ptr<const engine::json_schema> schema;
};

namespace {

std::shared_ptr<const compiled_schema> compile(const json& source,
                                               const std::string& where) {
  if (source.is_null())
    return nullptr;
  auto c = std::make_shared<compiled_schema>();
  try {
    c->schema = engine::json_schema::compile_trusted(source);
  } catch (const std::exception& e) {
    throw std::logic_error("schema of " + where + ": " + e.what());
  }
  return c;
}

json violations(const compiled_schema& c, const json& value, const char* in,
                size_t max) {
  return c.schema->violations(value, in, max);
}

bool is_type(const json& schema, const char* t) {
  auto it = schema.find("type");
  if (it == schema.end())
    return false;
  if (it->is_string())
    return *it == t;
  if (it->is_array())
    for (auto& x : *it)
      if (x == t)
        return true;
  return false;
}

/// "12" → 12 when it is a whole decimal integer that fits.
std::optional<json> as_integer(const std::string& s) {
  if (s.empty() || s.size() > 19)
    return std::nullopt;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size())
    return std::nullopt;
  for (size_t k = i; k < s.size(); ++k)
    if (s[k] < '0' || s[k] > '9')
      return std::nullopt;
  return json(std::strtoll(s.c_str(), nullptr, 10));
}

} // namespace

json query_object(const json& schema, const std::string& query) {
  json out = json::object();
  auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object())
    return out;
  for (auto& [name, s] : props->items()) {
    auto v = query_param(query, name);
    if (!v)
      continue;
    if (is_type(s, "integer"))
      if (auto n = as_integer(*v)) {
        out[name] = *n;
        continue;
      }
    if (is_type(s, "boolean") && (*v == "true" || *v == "false")) {
      out[name] = *v == "true";
      continue;
    }
    out[name] = *v;
  }
  return out;
}

void compile_route_schemas(route_registry& reg) {
  for (size_t i = 0; i < reg.routes().size(); ++i) {
    auto& e = reg.at(i);
    for (auto& o : e.ops) {
      auto where = o.method + " " + e.path;
      o.body_check = compile(o.body_schema, where);
      o.query_check = compile(o.query_schema, where);
    }
  }
}

json body_violations(const route_op& op, const json& value, size_t max) {
  if (!op.body_check)
    return json::array();
  return violations(*op.body_check, value, "body", max);
}

std::optional<api_response> validate_request(const route_op& op,
                                             const api_request& req) {
  json errors = json::array();
  if (op.query_check) {
    auto q = query_object(op.query_schema, req.query);
    errors = violations(*op.query_check, q, "query", 20);
  }
  if (op.body_check && !req.body.empty()) {
    json body;
    if (auto bad = parse_json_body(req.body, body))
      return bad; // nested too deep: the parser's own 400
    // a body that is not even an object where one is expected: the
    // handler's own refusal (its message is what ThemisDB's clients know)
    bool wrong_kind = is_type(op.body_schema, "object") &&
                      !is_type(op.body_schema, "array") && !body.is_object();
    if (!body.is_discarded() && !wrong_kind)
      for (auto& e : violations(*op.body_check, body, "body", 20))
        errors.push_back(std::move(e));
  }
  if (errors.empty())
    return std::nullopt;
  auto& first = errors.front();
  std::string message =
    "request validation failed: " + first["in"].get<std::string>() + " " +
    first["pointer"].get<std::string>() + ": " +
    first["detail"].get<std::string>();
  json problem = {{"type", "about:blank"},
                  {"title", "Bad Request"},
                  {"status", 400},
                  {"detail", "the request does not match the schema of " +
                               op.method + " " + req.path},
                  {"instance", req.path},
                  {"errors", std::move(errors)},
                  {"error", true},
                  {"message", message},
                  {"status_code", 400}};
  api_response r;
  r.status = 400;
  r.body = problem.dump(-1, ' ', false, json::error_handler_t::replace);
  r.set_header("Content-Type", "application/problem+json");
  return r;
}

} // namespace themis
