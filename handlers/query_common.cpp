#include "handlers/query_common.hpp"

#include "handlers/http_json.hpp"

namespace themis {

using json = nlohmann::json;

std::optional<api_response> read_query_request(const api_request& req,
                                               query_request& out) {
  json body;
  if (auto bad = parse_json_body(req.body, body))
    return std::move(*bad);
  if (body.is_discarded() || !body.is_object())
    return error_response(400, "expected a JSON object with a \"query\"");
  auto q = body.find("query");
  if (q == body.end() || !q->is_string() ||
      q->get_ref<const std::string&>().empty())
    return error_response(400, "\"query\" must be a non-empty string");
  out.query = q->get<std::string>();
  // ThemisDB's SDKs send bind values as "params"; ArangoDB-style clients
  // as "bindVars". Both may come: bindVars wins on a shared name.
  for (auto name : {"params", "bind_vars", "bindVars"}) {
    auto b = body.find(name);
    if (b == body.end() || b->is_null())
      continue;
    if (!b->is_object())
      return error_response(400,
                            std::string("\"") + name + "\" must be an object");
    for (auto& [k, v] : b->items())
      out.bind_vars[k] = v;
  }
  out.body = std::move(body);
  return std::nullopt;
}

int aql_status(aql::error_kind k) {
  using aql::error_kind;
  switch (k) {
    case error_kind::collection_not_found:
    case error_kind::document_not_found:
      return 404;
    case error_kind::conflict:
      return 409;
    case error_kind::cancelled:
      return 410;
    case error_kind::timeout:
      return 504;
    case error_kind::internal:
      return 500;
    default:
      return 400;
  }
}

const char* aql_kind_name(aql::error_kind k) {
  using aql::error_kind;
  switch (k) {
    case error_kind::parse:
      return "parse";
    case error_kind::semantic:
      return "semantic";
    case error_kind::unknown_function:
      return "unknown_function";
    case error_kind::collection_not_found:
      return "collection_not_found";
    case error_kind::runtime:
      return "runtime";
    case error_kind::document_not_found:
      return "document_not_found";
    case error_kind::conflict:
      return "conflict";
    case error_kind::cancelled:
      return "cancelled";
    case error_kind::timeout:
      return "timeout";
    case error_kind::limit:
      return "limit";
    case error_kind::internal:
      return "internal";
  }
  return "internal";
}

api_response aql_error_response(const aql::aql_error& e) {
  auto status = aql_status(e.kind());
  std::string msg = e.what();
  if (e.line() > 0)
    msg += " (line " + std::to_string(e.line()) + ", column " +
           std::to_string(e.column()) + ")";
  json body = {{"error", true},
               {"message", msg},
               {"status_code", status},
               {"error_kind", aql_kind_name(e.kind())}};
  if (e.line() > 0) {
    body["line"] = e.line();
    body["column"] = e.column();
  }
  return json_response(
    status, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

} // namespace themis
