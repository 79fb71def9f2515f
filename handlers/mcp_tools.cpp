/// MCP tools over documents and collections (tools/list, tools/call):
/// list_collections, describe_collection, get_document, put_document,
/// delete_document; the query, job and changefeed tools are in
/// mcp_tools_query.cpp. Every tool checks the scope a REST route of the
/// same effect needs, and works in the principal's tenant namespace.

#include <map>
#include <set>

#include "engine/names.hpp"
#include "handlers/http_json.hpp"
#include "handlers/mcp_tool_util.hpp"
#include "limits/tenant_quotas.hpp"

namespace themis::mcp {

namespace {

json annotations(bool read_only, bool destructive, bool idempotent,
                 const char* title) {
  json a = {
    {"title", title}, {"readOnlyHint", read_only}, {"openWorldHint", false}};
  if (!read_only) {
    a["destructiveHint"] = destructive;
    a["idempotentHint"] = idempotent;
  }
  return a;
}

json object_schema(json props, json required) {
  return {{"type", "object"},
          {"properties", std::move(props)},
          {"required", std::move(required)}};
}

json string_prop(const char* d) {
  return {{"type", "string"}, {"description", d}};
}

json document_out() {
  return {{"type", "object"},
          {"properties",
           {{"_key", {{"type", "string"}}}, {"_rev", {{"type", "string"}}}}},
          {"required", {"_key", "_rev"}}};
}

void data_tool_definitions(json& out) {
  out.push_back(
    {{"name", "list_collections"},
     {"title", "List collections"},
     {"description", "Lists the collections of the database with their "
                     "document counts."},
     {"inputSchema", object_schema(json::object(), json::array())},
     {"outputSchema", object_schema({{"collections",
                                      {{"type", "array"},
                                       {"items",
                                        {{"type", "object"},
                                         {"properties",
                                          {{"name", {{"type", "string"}}},
                                           {"count", {{"type", "integer"}}},
                                           {"uri", {{"type", "string"}}}}}}}}}},
                                    {"collections"})},
     {"annotations", annotations(true, false, true, "List collections")}});
  out.push_back(
    {{"name", "describe_collection"},
     {"title", "Describe a collection"},
     {"description",
      "Shows a collection's document count, a few sample documents and "
      "the top-level fields seen in them with their JSON types."},
     {"inputSchema",
      object_schema({{"name", string_prop("collection name")},
                     {"sample",
                      {{"type", "integer"},
                       {"minimum", 0},
                       {"maximum", 20},
                       {"description", "sample documents (default 3)"}}}},
                    {"name"})},
     {"outputSchema", object_schema({{"name", {{"type", "string"}}},
                                     {"count", {{"type", "integer"}}},
                                     {"fields", {{"type", "object"}}},
                                     {"sample", {{"type", "array"}}}},
                                    {"name", "count", "fields", "sample"})},
     {"annotations", annotations(true, false, true, "Describe a collection")}});
  out.push_back(
    {{"name", "get_document"},
     {"title", "Get a document"},
     {"description", "Reads one document by collection and key."},
     {"inputSchema", object_schema({{"collection", string_prop("collection")},
                                    {"key", string_prop("document key")}},
                                   {"collection", "key"})},
     {"outputSchema",
      object_schema({{"document", document_out()}}, {"document"})},
     {"annotations", annotations(true, false, true, "Get a document")}});
  out.push_back(
    {{"name", "put_document"},
     {"title", "Write a document"},
     {"description",
      "Creates or replaces a document (a missing collection is created). "
      "Without a key, a new document with a generated key is inserted. "
      "if_match makes the write conditional on the stored _rev. Needs the "
      "data:write scope."},
     {"inputSchema",
      object_schema(
        {{"collection", string_prop("collection")},
         {"key", string_prop("document key (optional: generated)")},
         {"document",
          {{"type", "object"}, {"description", "the document's fields"}}},
         {"if_match", string_prop("expected _rev (optional)")}},
        {"collection", "document"})},
     {"outputSchema", object_schema({{"_key", {{"type", "string"}}},
                                     {"_rev", {{"type", "string"}}},
                                     {"created", {{"type", "boolean"}}}},
                                    {"_key", "_rev", "created"})},
     {"annotations", annotations(false, true, true, "Write a document")}});
  out.push_back(
    {{"name", "delete_document"},
     {"title", "Delete a document"},
     {"description", "Removes a document by collection and key. Needs the "
                     "data:write scope."},
     {"inputSchema",
      object_schema({{"collection", string_prop("collection")},
                     {"key", string_prop("document key")},
                     {"if_match", string_prop("expected _rev (optional)")}},
                    {"collection", "key"})},
     {"outputSchema", object_schema({{"_key", {{"type", "string"}}},
                                     {"_rev", {{"type", "string"}}},
                                     {"deleted", {{"type", "boolean"}}}},
                                    {"_key", "deleted"})},
     {"annotations", annotations(false, true, true, "Delete a document")}});
}

const char* json_type(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    default:
      return "object";
  }
}

json list_collections(call_context& c) {
  need_scope(c, "data:read");
  json arr = json::array();
  for (auto& info : c.env.reader.collections())
    if (auto name = shown_name(c, info.name); !name.empty())
      arr.push_back(
        {{"name", name}, {"count", info.count}, {"uri", collection_uri(name)}});
  return tool_ok({{"collections", std::move(arr)}});
}

json describe_collection(call_context& c, const json& args) {
  need_scope(c, "data:read");
  auto name = arg_string(args, "name", true, 256);
  auto stored = arg_collection(c, args, "name");
  auto n = arg_uint(args, "sample", 3, 0, 20);
  int64_t count = -1;
  for (auto& info : c.env.reader.collections())
    if (info.name == stored)
      count = info.count;
  if (count < 0)
    throw tool_error("collection not found: " + name);
  // fields from up to 20 documents, whatever the sample size shown
  auto docs = c.env.reader.list(stored, "", 20);
  std::map<std::string, std::set<std::string>> fields;
  json sample = json::array();
  for (auto& d : docs) {
    json doc;
    if (parse_json_body(d.json, doc) || doc.is_discarded() || !doc.is_object())
      continue;
    for (auto& [k, v] : doc.items())
      if (fields.size() < 200 || fields.count(k))
        fields[k].insert(json_type(v));
    if (sample.size() < n)
      sample.push_back(std::move(doc));
  }
  json f = json::object();
  for (auto& [k, types] : fields)
    f[k] = json(types);
  return tool_ok(
    {{"name", name}, {"count", count}, {"fields", f}, {"sample", sample}});
}

json get_document(call_context& c, const json& args) {
  need_scope(c, "data:read");
  auto name = arg_string(args, "collection", true, 256);
  auto stored = arg_collection(c, args, "collection");
  auto key = arg_string(args, "key", true, 1024);
  auto doc = c.env.reader.get(stored, key);
  if (!doc) {
    if (!c.env.reader.collection_exists(stored))
      throw tool_error("collection not found: " + name);
    throw tool_error("document not found: " + key);
  }
  json d;
  if (parse_json_body(doc->json, d) || d.is_discarded())
    throw tool_error("the stored document is not readable JSON");
  return tool_ok({{"document", std::move(d)}});
}

/// put_document / delete_document: one write through the store writer.
void write_tool(const context_ptr& c, const json& args, bool remove,
                reply_fn done) {
  need_scope(*c, "data:write");
  engine::write_op op;
  op.collection = arg_collection(*c, args, "collection");
  op.key = arg_string(args, "key", remove, 1024);
  if (!op.key.empty() && !engine::valid_key(op.key))
    throw tool_error("invalid document key: " + op.key);
  op.if_match = arg_string(args, "if_match", false, 256);
  if (remove) {
    op.kind = engine::op_kind::remove;
  } else {
    auto doc = arg_object(args, "document", true);
    op.kind = op.key.empty() ? engine::op_kind::insert : engine::op_kind::put;
    op.doc = dump(doc);
    op.create_collection = true;
  }
  // auth.tenant_quotas: the documents quota, as on the REST write routes
  if (!remove && c->env.quotas && !c->who.tenant.empty()) {
    auto q = c->env.quotas->of(c->who.tenant);
    if (q.documents && c->env.reader.tenant_documents(c->who.tenant) >=
                         static_cast<int64_t>(q.documents))
      throw tool_error("tenant " + c->who.tenant + " is over its quota of " +
                       std::to_string(q.documents) + " documents");
  }
  engine::write_batch b;
  b.ops.push_back(std::move(op));
  c->writer.submit(std::move(b), [done, remove](engine::write_result res) {
    if (res.results.empty())
      return done({tool_failed(
        res.overloaded ? "the server is busy; retry later"
                       : "the write did not reach the store: " + res.error)});
    auto& r = res.results.front();
    auto status = http_status(r.status);
    if (status >= 400)
      return done({tool_failed(std::string(engine::to_string(r.status)) + ": " +
                               r.message)});
    if (!res.committed)
      return done({tool_failed("not committed: " + res.error)});
    if (remove)
      return done(
        {tool_ok({{"_key", r.key}, {"_rev", r.rev}, {"deleted", true}})});
    done({tool_ok(
      {{"_key", r.key}, {"_rev", r.rev}, {"created", status == 201}})});
  });
}

} // namespace

json tool_ok(json structured) {
  auto text = dump(structured);
  return {{"content", json::array({{{"type", "text"}, {"text", text}}})},
          {"structuredContent", std::move(structured)},
          {"isError", false}};
}

json tool_failed(const std::string& message) {
  return {{"content", json::array({{{"type", "text"}, {"text", message}}})},
          {"isError", true}};
}

void need_scope(const call_context& c, const char* scope) {
  if (!c.who.has_scope(scope))
    throw tool_error(std::string("permission denied: the token lacks the "
                                 "scope ") +
                     scope);
}

std::string arg_string(const json& args, const char* name, bool required,
                       size_t max_len) {
  auto it = args.find(name);
  if (it == args.end() || it->is_null()) {
    if (required)
      throw tool_error(std::string("missing argument: ") + name);
    return {};
  }
  if (!it->is_string())
    throw tool_error(std::string("argument ") + name + " must be a string");
  auto& s = it->get_ref<const std::string&>();
  if (s.size() > max_len)
    throw tool_error(std::string("argument ") + name + " is longer than " +
                     std::to_string(max_len) + " bytes");
  if (required && s.empty())
    throw tool_error(std::string("argument ") + name + " must not be empty");
  return s;
}

uint64_t arg_uint(const json& args, const char* name, uint64_t dflt,
                  uint64_t lo, uint64_t hi) {
  auto it = args.find(name);
  if (it == args.end() || it->is_null())
    return dflt;
  if (!it->is_number_integer() || it->get<int64_t>() < 0 ||
      it->get<uint64_t>() < lo || it->get<uint64_t>() > hi)
    throw tool_error(std::string("argument ") + name +
                     " must be an integer in [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]");
  return it->get<uint64_t>();
}

json arg_object(const json& args, const char* name, bool required) {
  auto it = args.find(name);
  if (it == args.end() || it->is_null()) {
    if (required)
      throw tool_error(std::string("missing argument: ") + name);
    return json::object();
  }
  if (!it->is_object())
    throw tool_error(std::string("argument ") + name + " must be an object");
  return *it;
}

bool arg_bool(const json& args, const char* name, bool dflt) {
  auto it = args.find(name);
  if (it == args.end() || it->is_null())
    return dflt;
  if (!it->is_boolean())
    throw tool_error(std::string("argument ") + name + " must be a boolean");
  return it->get<bool>();
}

std::string arg_collection(const call_context& c, const json& args,
                           const char* name) {
  auto n = arg_string(args, name, true, 256);
  auto stored = stored_name(c, n);
  if (stored.empty())
    throw tool_error("invalid collection name: " + n);
  return stored;
}

std::string stored_name(const call_context& c, const std::string& name) {
  if (!engine::valid_collection_name(name))
    return {};
  return tenant_collection(c.who.tenant, name);
}

std::string shown_name(const call_context& c, const std::string& stored) {
  return visible_collection(c.who.tenant, stored,
                            c.who.tenant.empty() && c.who.is_admin());
}

json tools_list() {
  json out = json::array();
  data_tool_definitions(out);
  query_tool_definitions(out);
  // arguments are closed (a misspelt one is an error, not ignored);
  // results may grow fields
  for (auto& t : out)
    t["inputSchema"]["additionalProperties"] = false;
  return {{"tools", std::move(out)}};
}

void tools_call(const context_ptr& c, const json& params, reply_fn done) {
  auto n = params.find("name");
  if (n == params.end() || !n->is_string())
    throw rpc_failure(invalid_params, "tools/call needs a string \"name\"");
  auto name = n->get<std::string>();
  json args = json::object();
  if (auto a = params.find("arguments"); a != params.end() && !a->is_null()) {
    if (!a->is_object())
      throw rpc_failure(invalid_params, "\"arguments\" must be an object");
    args = *a;
  }
  static const json defs = tools_list();
  const json* def = nullptr;
  for (auto& t : defs["tools"])
    if (t["name"] == name)
      def = &t;
  if (!def)
    throw rpc_failure(invalid_params, "unknown tool: " + name.substr(0, 128));
  auto& props = (*def)["inputSchema"]["properties"];
  for (auto& [k, _] : args.items())
    if (!props.contains(k))
      return done({tool_failed("unknown argument " + k.substr(0, 128) +
                               " for tool " + name)});
  try {
    if (name == "list_collections")
      return done({list_collections(*c)});
    if (name == "describe_collection")
      return done({describe_collection(*c, args)});
    if (name == "get_document")
      return done({get_document(*c, args)});
    if (name == "put_document" || name == "delete_document")
      return write_tool(c, args, name == "delete_document", done);
    if (name == "aql_query")
      return tool_aql_query(c, args, done);
    if (name == "sql_query")
      return tool_sql_query(c, args, done);
    if (name == "submit_job")
      return tool_submit_job(c, args, done);
    if (name == "job_status")
      return tool_job_status(c, args, done);
    if (name == "job_result")
      return tool_job_result(c, args, done);
    if (name == "recent_changes")
      return done({tool_recent_changes(*c, args)});
  } catch (const tool_error& e) {
    return done({tool_failed(e.what())});
  }
  throw rpc_failure(invalid_params, "unknown tool: " + name);
}

} // namespace themis::mcp
