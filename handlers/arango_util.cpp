/// ArangoDB's error body, errorNums and the /_db/{name} mapping shared by
/// the handlers of the ArangoDB HTTP API subset (issue 22).

#include "handlers/arango_util.hpp"

#include <optional>

#include "engine/collection_schema.hpp"
#include "handlers/http_json.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

/// The errorNum for an AQL error kind (query_common.cpp's names).
int errnum_of_kind(const std::string& kind, const std::string& msg) {
  using namespace arango_errnum;
  if (kind == "parse")
    return query_parse;
  if (kind == "semantic")
    return contains(msg, "bind parameter") ? bind_parameter_missing
                                           : query_parse;
  if (kind == "unknown_function")
    return function_unknown;
  if (kind == "collection_not_found")
    return collection_not_found;
  if (kind == "document_not_found")
    return document_not_found;
  if (kind == "conflict")
    return contains(msg, "exists") || contains(msg, "unique") ? unique_violated
                                                              : conflict;
  if (kind == "cancelled" || kind == "timeout")
    return query_killed;
  if (kind == "limit")
    return resource_limit;
  if (kind == "internal")
    return internal;
  return bad_parameter; // runtime
}

/// The errorNum for a plain themisd error of `status` saying `msg`.
int errnum_of_status(int status, const std::string& msg, int conflict_num) {
  using namespace arango_errnum;
  switch (status) {
    case 400:
      if (contains(msg, "key"))
        return document_key_bad;
      if (contains(msg, "collection name"))
        return illegal_name;
      if (contains(msg, "JSON") || contains(msg, "json"))
        return corrupted_json;
      return bad_parameter;
    case 401:
    case 403:
      return forbidden;
    case 404:
      if (contains(msg, "collection not found"))
        return collection_not_found;
      if (contains(msg, "document not found"))
        return document_not_found;
      if (contains(msg, "cursor"))
        return cursor_not_found;
      if (contains(msg, "index"))
        return index_not_found;
      return 404;
    case 409:
      return conflict_num;
    case 412:
      return conflict;
    case 500:
      return internal;
    default:
      return status;
  }
}

} // namespace

api_response arango_error(int status, int errnum, std::string_view message) {
  return json_response(status, dump({{"error", true},
                                     {"errorNum", errnum},
                                     {"errorMessage", std::string(message)},
                                     {"code", status}}));
}

api_response arango_ok(int status, json body) {
  body["error"] = false;
  body["code"] = status;
  return json_response(status, dump(body));
}

api_response arango_from_themis(api_response r, int conflict_num) {
  if (r.status < 400 || contains(r.body, "\"errorNum\""))
    return r;
  auto body = json::parse(r.body, nullptr, false);
  std::string msg, kind;
  if (body.is_object()) {
    if (auto m = body.find("message"); m != body.end() && m->is_string())
      msg = m->get<std::string>();
    if (auto k = body.find("error_kind"); k != body.end() && k->is_string())
      kind = k->get<std::string>();
    auto line = body.value("line", 0), column = body.value("column", 0);
    if (line > 0)
      msg +=
        " at position " + std::to_string(line) + ":" + std::to_string(column);
  }
  if (msg.empty())
    msg = "HTTP " + std::to_string(r.status);
  int num = kind.empty() ? errnum_of_status(r.status, msg, conflict_num)
                         : errnum_of_kind(kind, msg);
  auto out = arango_error(r.status, num, msg);
  for (auto& [k, v] : r.headers) // Retry-After, WWW-Authenticate …
    if (!iequals(k, "Content-Type") && !iequals(k, "Content-Length"))
      out.set_header(k, v);
  return out;
}

int arango_errnum_of(engine::op_status s, std::string_view message) {
  using engine::op_status;
  using namespace arango_errnum;
  switch (s) {
    case op_status::not_found:
      return document_not_found;
    case op_status::collection_not_found:
      return collection_not_found;
    case op_status::conflict:
      return unique_violated;
    case op_status::precondition_failed:
      return contains(message, "not found") ? document_not_found : conflict;
    case op_status::invalid:
      if (engine::is_schema_refusal(message))
        return validation_failed;
      if (contains(message, "key"))
        return document_key_bad;
      if (contains(message, "object"))
        return document_type_invalid;
      return contains(message, "JSON") ? corrupted_json : bad_parameter;
    case op_status::internal:
      return internal;
    default:
      return bad_parameter;
  }
}

bool arango_flag(const api_request& req, std::string_view name, bool def) {
  auto v = query_param(req.query, name);
  if (!v)
    return def;
  if (v->empty())
    return true; // ?returnNew is a flag as written
  return *v == "true" || *v == "1" || *v == "yes" || *v == "on";
}

std::string arango_required_scope(const std::string& method,
                                  const std::string& path) {
  std::string_view p = path;
  if (p.rfind("/_db/", 0) == 0) {
    auto slash = p.find('/', 5);
    p = slash == std::string_view::npos ? std::string_view() : p.substr(slash);
  }
  bool read = method == "GET" || method == "HEAD";
  auto under = [&](std::string_view prefix) {
    return p == prefix ||
           (p.rfind(prefix, 0) == 0 && p.size() > prefix.size() &&
            (p[prefix.size()] == '/' || p[prefix.size()] == '?'));
  };
  if (under("/_api/cursor"))
    return "query";
  if (under("/_api/document") || under("/_api/collection") ||
      under("/_api/index") || under("/_api/import"))
    return read ? "data:read" : "data:write";
  return "authenticated"; // version, database/current; the rest is 404
}

std::string arango_collection_id(std::string_view stored) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : stored) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return std::to_string(h % 1000000000000ull + 1);
}

json arango_document(std::string_view doc_json,
                     const std::string& shown_collection) {
  auto doc = json::parse(doc_json, nullptr, false);
  if (!doc.is_object())
    return json::object();
  if (auto k = doc.find("_key"); k != doc.end() && k->is_string())
    doc["_id"] = shown_collection + "/" + k->get<std::string>();
  return doc;
}

void arango_enter(route_context& ctx, arango_impl impl) {
  std::string db = ctx.params.empty() ? "_system" : ctx.params[0];
  std::vector<std::string> rest;
  if (!ctx.params.empty())
    rest.assign(ctx.params.begin() + 1, ctx.params.end());
  responder respond = [r = ctx.respond](api_response a) {
    r(arango_from_themis(std::move(a)));
  };
  auto& who = ctx.req.who;
  std::optional<api_request> remapped;
  if (db != "_system" && db != who.tenant) {
    // only a global admin may enter another tenant's database, as with
    // X-Tenant-ID; to everyone else it does not exist
    if (!(who.tenant.empty() && who.is_admin() && valid_tenant_id(db)))
      return ctx.respond(arango_error(404, arango_errnum::database_not_found,
                                      "database not found"));
    remapped = ctx.req;
    remapped->who.tenant = db;
  }
  route_context inner{ctx.env,           remapped ? *remapped : ctx.req,
                      std::move(rest),   ctx.writer,
                      ctx.notifier,      ctx.streams,
                      ctx.work,          ctx.services,
                      std::move(respond)};
  impl(inner);
}

} // namespace themis
