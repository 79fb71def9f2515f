#include "handlers/route_schemas.hpp"

namespace themis::schemas {

json type(const char* t) {
  return {{"type", t}};
}

json object() {
  return {{"type", "object"}};
}

json array_of(json items) {
  return {{"type", "array"}, {"items", std::move(items)}};
}

json object_of(json props, json required) {
  json s = {{"type", "object"}, {"properties", std::move(props)}};
  if (!required.empty())
    s["required"] = std::move(required);
  return s;
}

json error_body() {
  return object_of({{"error", type("boolean")},
                    {"message", type("string")},
                    {"status_code", type("integer")}},
                   {"error", "message", "status_code"});
}

namespace {

json bind_values() {
  return {{"type", {"object", "null"}},
          {"description", "bind values (@name in the query)"}};
}

/// null keeps the configured batch size
json batch() {
  return {{"type", {"integer", "null"}}, {"minimum", 1}};
}

} // namespace

json collection_create() {
  return object_of(
    {{"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", 256}}},
     {"type",
      {{"type", {"string", "integer"}},
       {"description", "document (2) or edge (3)"}}}},
    {"name"});
}

json aql_request() {
  return object_of({{"query", {{"type", "string"}, {"minLength", 1}}},
                    {"params", bind_values()},
                    {"bind_vars", bind_values()},
                    {"bindVars", bind_values()},
                    {"explain", type("boolean")},
                    {"use_cursor", type("boolean")},
                    {"batch_size", batch()},
                    {"batchSize", batch()}},
                   {"query"});
}

json cursor_request() {
  return object_of({{"query", {{"type", "string"}, {"minLength", 1}}},
                    {"bind_vars", bind_values()},
                    {"bindVars", bind_values()},
                    {"params", bind_values()},
                    {"batch_size", batch()},
                    {"batchSize", batch()}},
                   {"query"});
}

json key_create() {
  auto scopes = array_of(type("string"));
  return object_of({{"name", type("string")},
                    {"scopes", scopes},
                    {"permissions", scopes},
                    {"tenant", type("string")},
                    {"expires_in_s", {{"type", {"integer", "null"}}}},
                    {"expires_in_days", {{"type", {"integer", "null"}}}}});
}

json key_update() {
  auto scopes = array_of(type("string"));
  return object_of({{"name", {{"type", {"string", "null"}}}},
                    {"scopes", {{"type", {"array", "null"}}}},
                    {"permissions", {{"type", {"array", "null"}}}}});
}

json structured_query() {
  return object_of({{"table", type("string")},
                    {"predicates", {{"type", {"array", "null"}}}},
                    {"range", {{"type", {"array", "null"}}}},
                    {"order_by", {{"type", {"object", "null"}}}},
                    {"return", type("string")}},
                   {"table"});
}

json list_documents_query() {
  return object_of(
    {{"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}},
     {"after", type("string")}});
}

json health() {
  return object_of({{"status", type("string")}}, {"status"});
}

json collection_info() {
  return object_of({{"name", type("string")}, {"count", type("integer")}},
                   {"name"});
}

json collection_list() {
  return object_of({{"collections", array_of(collection_info())}},
                   {"collections"});
}

json document() {
  return object_of({{"_key", type("string")}, {"_rev", type("string")}});
}

json aql_result() {
  return object_of({{"result", type("array")},
                    {"items", type("array")},
                    {"hasMore", type("boolean")},
                    {"count", type("integer")}});
}

json cursor_page() {
  return object_of({{"result", type("array")},
                    {"hasMore", type("boolean")},
                    {"id", type("string")}},
                   {"result", "hasMore"});
}

json version_info() {
  return object_of({{"server", object_of({{"name", type("string")},
                                          {"version", type("string")}},
                                         {"name", "version"})},
                    {"api", object_of({{"current", type("string")},
                                       {"supported", array_of(type("string"))},
                                       {"deprecated", array_of(object())}},
                                      {"current", "supported"})}},
                   {"server", "api"});
}

// --- issue 22 breadth: batches, patches, collection statistics ---

json batch_get_body() {
  return object_of(
    {{"keys",
      {{"type", "array"}, {"items", type("string")}, {"maxItems", 1000}}}},
    {"keys"});
}

json batch_get_answer() {
  return object_of(
    {{"documents", array_of({{"type", {"object", "null"}}})},
     {"errors", array_of(object_of({{"index", type("integer")},
                                    {"key", type("string")},
                                    {"status_code", type("integer")},
                                    {"message", type("string")}},
                                   {"index", "status_code"}))}},
    {"documents", "errors"});
}

json document_patches() {
  json item = object_of(
    {{"_key", type("string")},
     {"_rev", type("string")},
     {"patch",
      {{"type", {"object", "array"}},
       {"description", "an object: JSON Merge Patch (RFC 7396); an array: "
                       "JSON Patch (RFC 6902)"}}}},
    {"_key", "patch"});
  return {
    {"type", "array"}, {"items", item}, {"minItems", 1}, {"maxItems", 1000}};
}

json key_rev_list() {
  return object_of(
    {{"documents", array_of(object_of(
                     {{"_key", type("string")}, {"_rev", type("string")}}))}},
    {"documents"});
}

json collection_properties() {
  return object_of({{"name", type("string")},
                    {"type", {{"enum", {"document", "edge"}}}},
                    {"edge", type("boolean")},
                    {"created_ms", type("integer")},
                    {"indexes", type("integer")}},
                   {"name", "type", "created_ms"});
}

json collection_statistics() {
  json index = object_of({{"name", type("string")},
                          {"type", type("string")},
                          {"entries", type("integer")},
                          {"bytes", type("integer")},
                          {"pages", type("integer")}},
                         {"name", "entries", "bytes"});
  return object_of({{"name", type("string")},
                    {"count", type("integer")},
                    {"documents_bytes", type("integer")},
                    {"last_sequence", type("integer")},
                    {"indexes", array_of(index)}},
                   {"name", "count", "documents_bytes", "indexes"});
}

json query_validation() {
  return object_of({{"valid", type("boolean")},
                    {"bindVars", array_of(type("string"))},
                    {"collections", array_of(type("string"))},
                    {"modifies", type("boolean")}},
                   {"valid", "bindVars", "collections"});
}

json json_patch() {
  json op = object_of(
    {{"op", {{"enum", {"add", "remove", "replace", "move", "copy", "test"}}}},
     {"path", {{"type", "string"}, {"description", "RFC 6901 pointer"}}},
     {"from", type("string")},
     {"value", json::object()}},
    {"op", "path"});
  return {{"type", "array"}, {"items", op}, {"maxItems", 1000}};
}

} // namespace themis::schemas
